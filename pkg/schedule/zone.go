package schedule

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	_ "time/tzdata" // the DAG's zone must resolve without a system zoneinfo
)

// wallOf returns t's wall clock in loc as naive seconds (the civil fields read
// as if UTC) and nanoseconds: Airflow's make_naive.
func wallOf(t time.Time, loc *time.Location) (int64, int) {
	lt := t.In(loc)
	_, off := lt.Zone()
	return lt.Unix() + int64(off), lt.Nanosecond()
}

func offsetAt(unix int64, loc *time.Location) int64 {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return int64(off)
}

// localize turns a naive wall time in loc into an instant the way Airflow's
// make_aware does with pendulum 2 (airflow/utils/timezone.py: it sets fold=1,
// so pendulum's Timezone._normalize applies POST_TRANSITION): an ambiguous
// wall time (clocks turned back) takes its second occurrence, and a
// nonexistent one (clocks turned forward) is shifted forward by the gap,
// which is the same instant as reading it with the offset from before the
// change.
func localize(wallSec int64, nsec int, loc *time.Location) time.Time {
	if loc == time.UTC {
		return time.Unix(wallSec, int64(nsec)).UTC()
	}
	cands := [3]int64{
		offsetAt(wallSec, loc),
		offsetAt(wallSec-86400, loc),
		offsetAt(wallSec+86400, loc),
	}
	best := int64(0)
	found := false
	minOff := cands[0]
	for _, o := range cands {
		minOff = min(minOff, o)
		u := wallSec - o
		if offsetAt(u, loc) == o && (!found || u > best) {
			best, found = u, true
		}
	}
	if !found {
		best = wallSec - minOff
	}
	return time.Unix(best, int64(nsec)).UTC()
}

// decodeTimezone mirrors airflow.serialization decode_timezone / parse_timezone:
// a zone name, or a fixed offset in seconds (encode_timezone writes "UTC" for
// a zero offset and the offset for other fixed zones).
func decodeTimezone(raw json.RawMessage) (*time.Location, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.UTC, nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		return LoadZone(name)
	}
	var off float64
	if err := json.Unmarshal(raw, &off); err == nil {
		return fixedZone(int(off)), nil
	}
	// Tolerate an object form, {"name": …} or {"__var": …}.
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err == nil {
		for _, k := range []string{"name", "__var", "offset"} {
			if v, ok := obj[k]; ok {
				return decodeTimezone(v)
			}
		}
	}
	return nil, fmt.Errorf("unsupported timezone value %s", raw)
}

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	sign := '+'
	a := off
	if off < 0 {
		sign, a = '-', -off
	}
	return time.FixedZone(fmt.Sprintf("%c%02d:%02d", sign, a/3600, a/60%60), off)
}

// LoadZone resolves a zone name as pendulum does: "UTC" (any case) is UTC,
// "+05:30"-style names are fixed offsets, anything else is an IANA name.
func LoadZone(name string) (*time.Location, error) {
	if strings.EqualFold(name, "utc") || name == "" {
		return time.UTC, nil
	}
	if len(name) == 6 && (name[0] == '+' || name[0] == '-') && name[3] == ':' {
		var h, m int
		if _, err := fmt.Sscanf(name[1:], "%02d:%02d", &h, &m); err == nil {
			off := h*3600 + m*60
			if name[0] == '-' {
				off = -off
			}
			return fixedZone(off), nil
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown timezone %q", name)
	}
	return loc, nil
}
