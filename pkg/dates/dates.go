// Package dates reads the dates users type on the command line the way
// Airflow reads them, and prints them the way Airflow prints them.
//
// It is pure: the default time zone arrives as an argument.
package dates

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AcceptedForms is the part of a DateError message that lists the forms
// Parse accepts.
const AcceptedForms = "use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], with Z or ±HH:MM, or RFC 3339"

// DateError says that a flag's value is not a date Parse understands.
type DateError struct {
	Flag  string // the flag as shown to the user, e.g. "--start-date"
	Value string // the value as given
}

func (e *DateError) Error() string {
	return fmt.Sprintf("%s %q: not a date; %s", e.Flag, e.Value, AcceptedForms)
}

// form: date, optional time (T, t or a space; minutes required, seconds
// and a fraction optional), optional zone (Z, ±HH:MM, ±HHMM or ±HH).
var form = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([0-9]{4})-([0-9]{2})-([0-9]{2})` +
		`(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?` +
		`([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$`)
})

// Parse reads a date given to flag. Accepted: YYYY-MM-DD,
// YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS with an optional fraction (RFC 3339),
// a space instead of the T, and a zone of Z, ±HH:MM, ±HHMM or ±HH (a bare
// date takes Z or ±HH:MM only). Surrounding white space is ignored. Values
// whose UTC instant falls outside the years 1-9999 are refused, as Python's
// datetime cannot hold them.
//
// A value without a zone is wall-clock time in defaultTZ (Airflow's [core]
// default_timezone; UTC when nil), as airflow/utils/timezone.py parse() does
// through pendulum.parse(value, tz=TIMEZONE). pendulum builds the result
// with dst_rule=POST_TRANSITION (pendulum 2; fold=1 in pendulum 3), so:
// a wall-clock time skipped by a DST gap moves forward by the length of the
// gap (02:30 on a spring-forward night becomes 03:30), and a time that
// occurs twice takes the second occurrence, after the transition.
//
// The result is in UTC.
func Parse(flag, value string, defaultTZ *time.Location) (time.Time, error) {
	if !strings.HasPrefix(flag, "-") {
		flag = "--" + flag
	}
	bad := &DateError{Flag: flag, Value: value}
	m := form().FindStringSubmatch(strings.TrimSpace(value))
	if m == nil {
		return time.Time{}, bad
	}
	num := func(s string) int {
		if s == "" {
			return 0
		}
		n, _ := strconv.Atoi(s) // the pattern allows digits only
		return n
	}
	year, month, day := num(m[1]), num(m[2]), num(m[3])
	hour, minute, second := num(m[4]), num(m[5]), num(m[6])
	nanos := 0
	if m[7] != "" {
		nanos = num((m[7] + "00000000")[:9])
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, bad
	}

	if zone := m[8]; zone != "" {
		if m[4] == "" && len(zone) > 1 && len(zone) != 6 {
			// A bare date takes Z or ±HH:MM only: "2024-01-01-05" reads
			// too much like a typo to guess at.
			return time.Time{}, bad
		}
		offset := 0
		if zone != "Z" && zone != "z" {
			digits := strings.ReplaceAll(zone[1:], ":", "")
			oh, om := num(digits[:2]), 0
			if len(digits) == 4 {
				om = num(digits[2:])
			}
			if oh > 23 || om > 59 {
				return time.Time{}, bad
			}
			offset = oh*3600 + om*60
			if zone[0] == '-' {
				offset = -offset
			}
		}
		t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.FixedZone("", offset))
		return inPythonRange(t.UTC(), bad)
	}

	if defaultTZ == nil {
		defaultTZ = time.UTC
	}
	return inPythonRange(wallClock(year, time.Month(month), day, hour, minute, second, nanos, defaultTZ).UTC(), bad)
}

// inPythonRange refuses instants whose UTC year leaves 1..9999: Python's
// datetime cannot hold them (Airflow would fail with OverflowError).
func inPythonRange(t time.Time, bad error) (time.Time, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, bad
	}
	return t, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// wallClock resolves a wall-clock time in loc like pendulum's
// POST_TRANSITION rule (see Parse).
func wallClock(year int, month time.Month, day, hour, minute, second, nanos int, loc *time.Location) time.Time {
	// naive is the wall clock read as if it were UTC.
	naive := time.Date(year, month, day, hour, minute, second, nanos, time.UTC)
	_, before := naive.Add(-24 * time.Hour).In(loc).Zone()
	_, after := naive.Add(24 * time.Hour).In(loc).Zone()

	var found []time.Time
	for _, off := range []int{before, after} {
		t := naive.Add(-time.Duration(off) * time.Second)
		if _, got := t.In(loc).Zone(); got == off {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 0:
		// In a gap: keep the offset from before the transition, which lands
		// the gap's length later on the new wall clock.
		return naive.Add(-time.Duration(before) * time.Second).In(loc)
	case len(found) == 2 && !found[0].Equal(found[1]):
		// Twice on the wall clock: the later instant, after the transition.
		if found[1].After(found[0]) {
			return found[1].In(loc)
		}
		return found[0].In(loc)
	default:
		return found[0].In(loc)
	}
}

// FormatISO prints t in UTC like Airflow prints dates (Python's
// datetime.isoformat() of a UTC value): "2024-06-15T10:30:00+00:00", with
// ".ffffff" microseconds only when they are not zero. Nanoseconds below a
// microsecond are dropped, as Python cannot hold them.
func FormatISO(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05") + "+00:00"
}
