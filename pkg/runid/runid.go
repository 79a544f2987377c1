// Package runid holds the run-id rules of dagctl: which prefixes users may
// choose for `dagctl runs create`, how numbered run ids are formatted and
// parsed back, how backfill ids look, and Airflow's own run-id format.
//
// It is pure: times arrive as arguments and nothing reads the clock.
package runid

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxRunIDLen is the width of dag_run.run_id (ID_LEN = 250 in
// airflow/models/base.py); a longer id cannot be stored.
const MaxRunIDLen = 250

// CounterDigits is the minimum width of the counter in a run id; larger
// counters grow past it instead of wrapping.
const CounterDigits = 7

// Rules a prefix can break. PrefixError.Rule holds one of them.
const (
	RuleEmpty      = "empty"
	RuleCharacters = "characters"
	RuleBackfill   = "backfill"
	RuleReserved   = "reserved"
	RuleTooLong    = "too-long"
)

// ReservedPrefixes are the run-id prefixes Airflow gives to the run types it
// creates itself (DagRunType in airflow/utils/types.py, "dataset_triggered"
// in 2.x, "asset_triggered" in 3.x). DagRunType.from_run_id classifies a run
// by these prefixes, so a user prefix must not start with one of them.
var ReservedPrefixes = []string{
	"scheduled__",
	"manual__",
	"backfill__",
	"dataset_triggered__",
	"asset_triggered__",
}

// allowedPattern is Airflow's default [scheduler] allowed_run_id_pattern.
var allowedPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.~:+-]+$`) })

// PrefixError says which rule a --prefix value breaks.
type PrefixError struct {
	Rule   string // one of the Rule* constants
	Prefix string // the value as the user gave it
}

func (e *PrefixError) Error() string {
	var why string
	switch e.Rule {
	case RuleEmpty:
		why = "must contain a letter or digit (empty after dropping trailing underscores)"
	case RuleCharacters:
		why = "only letters, digits and _.~:+- are allowed"
	case RuleBackfill:
		why = `"backfill" is reserved for backfill runs`
	case RuleReserved:
		why = "must not start with one of Airflow's run-type prefixes " + strings.Join(ReservedPrefixes, ", ")
	case RuleTooLong:
		why = fmt.Sprintf("too long: the run ids would exceed %d characters", MaxRunIDLen)
	default:
		why = e.Rule
	}
	return fmt.Sprintf("--prefix %q: %s", e.Prefix, why)
}

// ValidatePrefix checks a user-chosen run-id prefix and returns it normalised.
//
// Order of the rules, each failing with a *PrefixError:
//  1. non-empty;
//  2. only the characters of Airflow's default allowed_run_id_pattern;
//  3. no "backfill" in any letter case (kept for backfill runs);
//  4. no reserved run-type prefix, checked on the value as given, so
//     "manual__" and "manual__x" are refused even though dropping trailing
//     underscores would turn the first into the harmless "manual";
//  5. trailing underscores are dropped, so the separator before the counter
//     is exactly one "_"; the result must still be non-empty;
//  6. the reserved rule again, on what the run ids will start with
//     (normalised prefix + "_"): "manual_" normalises to "manual", whose ids
//     "manual_0000001_…" are not classified as manual runs by Airflow;
//  7. the longest run id this prefix can produce fits MaxRunIDLen.
func ValidatePrefix(prefix string) (string, error) {
	if prefix == "" {
		return "", &PrefixError{Rule: RuleEmpty, Prefix: prefix}
	}
	if !allowedPattern().MatchString(prefix) {
		return "", &PrefixError{Rule: RuleCharacters, Prefix: prefix}
	}
	if strings.Contains(strings.ToLower(prefix), "backfill") {
		return "", &PrefixError{Rule: RuleBackfill, Prefix: prefix}
	}
	if hasReservedPrefix(prefix) {
		return "", &PrefixError{Rule: RuleReserved, Prefix: prefix}
	}
	norm := strings.TrimRight(prefix, "_")
	if norm == "" {
		return "", &PrefixError{Rule: RuleEmpty, Prefix: prefix}
	}
	if hasReservedPrefix(norm + "_") {
		return "", &PrefixError{Rule: RuleReserved, Prefix: prefix}
	}
	if !FitsMaxLen(norm) {
		return "", &PrefixError{Rule: RuleTooLong, Prefix: prefix}
	}
	return norm, nil
}

func hasReservedPrefix(s string) bool {
	for _, r := range ReservedPrefixes {
		if strings.HasPrefix(s, r) {
			return true
		}
	}
	return false
}

// MaxFormattedLen is the length of the longest id Format can produce for the
// prefix: the largest int64 counter (19 digits) and a logical date of 25
// characters ("2017-09-01T12:00:00+00:00"; years stay four digits).
func MaxFormattedLen(prefix string) int {
	return len(prefix) + 1 + len(strconv.FormatInt(1<<63-1, 10)) + 1 + len(isoSeconds)
}

// FitsMaxLen reports whether every id Format can produce for the prefix fits
// in dag_run.run_id.
func FitsMaxLen(prefix string) bool {
	return MaxFormattedLen(prefix) <= MaxRunIDLen
}

const isoSeconds = "2006-01-02T15:04:05-07:00"

// Format builds a numbered run id: {prefix}_{counter:07d}_{logical date},
// the date in UTC as ISO 8601 with seconds and offset, e.g.
// nightly_0000001_2017-09-01T12:00:00+00:00. Sub-second parts are dropped.
func Format(prefix string, counter int64, logicalDate time.Time) string {
	return fmt.Sprintf("%s_%0*d_%s", prefix, CounterDigits, counter, logicalDate.UTC().Format(isoSeconds))
}

// tail matches what Format appends to the prefix.
var tail = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`_([0-9]{7,19})_([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00)$`)
})

// Parse splits an id made by Format. The prefix may itself contain
// underscores and digits: the counter is the group of 7 or more digits right
// before the date. ok is false for ids Format cannot have produced.
func Parse(runID string) (prefix string, counter int64, logicalDate time.Time, ok bool) {
	m := tail().FindStringSubmatchIndex(runID)
	if m == nil || m[0] == 0 {
		return "", 0, time.Time{}, false
	}
	digits := runID[m[2]:m[3]]
	if len(digits) > CounterDigits && digits[0] == '0' {
		// Format pads to seven digits only; a longer zero-led group is not its.
		return "", 0, time.Time{}, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, time.Time{}, false
	}
	t, err := time.Parse(isoSeconds, runID[m[4]:m[5]])
	if err != nil {
		return "", 0, time.Time{}, false
	}
	prefix = runID[:m[0]]
	if prefix == "" || strings.HasSuffix(prefix, "_") {
		return "", 0, time.Time{}, false
	}
	return prefix, n, t.UTC(), true
}

// NextCounter returns the highest counter among the ids made by Format for
// exactly this prefix, plus one (1 when there is none). Ids of a longer
// prefix that merely starts with the same text ("nightly_x" for "nightly")
// do not count.
func NextCounter(existingRunIDs []string, prefix string) int64 {
	var highest int64
	for _, id := range existingRunIDs {
		p, n, _, ok := Parse(id)
		if ok && p == prefix && n > highest {
			highest = n
		}
	}
	return highest + 1
}

// FormatBackfillID names a backfill submitted at the given time:
// {dag_id}_backfill_{YYYYMMDD_HHMMSS}, the time in UTC.
func FormatBackfillID(dagID string, submittedAt time.Time) string {
	return dagID + "_backfill_" + submittedAt.UTC().Format("20060102_150405")
}

// WithSuffix disambiguates an id that is already taken: n = 2 gives id_2.
func WithSuffix(id string, n int) string {
	return id + "_" + strconv.Itoa(n)
}

// GenerateAirflowRunID reproduces Airflow's own run ids,
// f"{run_type}__{logical_date.isoformat()}" (DagRunType.generate_run_id in
// airflow/utils/types.py, called by DagRun.generate_run_id in
// airflow/models/dagrun.py). Python's isoformat prints microseconds only
// when they are non-zero, and keeps the offset of the value; Go times carry
// nanoseconds, which are truncated to microseconds as Python would hold them.
// Airflow passes UTC datetimes, so callers should too.
func GenerateAirflowRunID(runType string, logicalDate time.Time) string {
	return runType + "__" + PythonISOFormat(logicalDate)
}

// PythonISOFormat renders t like Python's datetime.isoformat() for an aware
// datetime: "2024-06-15T10:30:00+00:00" or "2024-06-15T10:30:00.123456+00:00".
func PythonISOFormat(t time.Time) string {
	t = t.Truncate(time.Microsecond)
	layout := "2006-01-02T15:04:05"
	if t.Nanosecond() != 0 {
		layout += ".000000"
	}
	_, off := t.Zone()
	if off%60 != 0 {
		layout += "-07:00:00"
	} else {
		layout += "-07:00"
	}
	return t.Format(layout)
}
