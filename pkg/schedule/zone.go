package schedule

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "time/tzdata" // the DAG's zone must resolve without a system zoneinfo
)

// period is one stretch of constant UTC offset of a zone: [start, end).
type period struct{ start, end, off int64 }

// zoneCache memoizes a zone's periods. Go's Location.lookup re-parses the
// zone's POSIX rule for every instant past the last listed transition, which
// costs more than the whole cron search; schedules walk forward through a
// handful of periods, so a small copy-on-write list serves nearly every call.
type zoneCache struct {
	loc     *time.Location
	periods atomic.Pointer[[]period]
}

var zoneCaches sync.Map // *time.Location -> *zoneCache

func zoneFor(loc *time.Location) *zoneCache {
	if z, ok := zoneCaches.Load(loc); ok {
		return z.(*zoneCache)
	}
	z, _ := zoneCaches.LoadOrStore(loc, &zoneCache{loc: loc})
	return z.(*zoneCache)
}

func (z *zoneCache) period(u int64) period {
	if ps := z.periods.Load(); ps != nil {
		for _, p := range *ps {
			if p.start <= u && u < p.end {
				return p
			}
		}
	}
	t := time.Unix(u, 0).In(z.loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	p := period{start: math.MinInt64, end: math.MaxInt64, off: int64(off)}
	if !s.IsZero() {
		p.start = s.Unix()
	}
	if !e.IsZero() {
		p.end = e.Unix()
	}
	for {
		old := z.periods.Load()
		var next []period
		if old != nil && len(*old) < 64 {
			next = append(append(next, *old...), p)
		} else {
			next = []period{p}
		}
		if z.periods.CompareAndSwap(old, &next) {
			return p
		}
	}
}

func (z *zoneCache) offset(u int64) int64 { return z.period(u).off }

// wallOf returns t's wall clock in loc as naive seconds (the civil fields read
// as if UTC) and nanoseconds: Airflow's make_naive.
func wallOf(t time.Time, loc *time.Location) (int64, int) {
	u := t.Unix()
	if loc == time.UTC {
		return u, t.Nanosecond()
	}
	return u + zoneFor(loc).offset(u), t.Nanosecond()
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
	z := zoneFor(loc)
	// Fast path: the offset at the guessed instant holds and no transition is
	// within a day of it, so the wall time is neither skipped nor repeated.
	o := z.offset(wallSec)
	u := wallSec - o
	if p := z.period(u); p.off == o && u-p.start >= 86400 && p.end-u >= 86400 {
		return time.Unix(u, int64(nsec)).UTC()
	}
	cands := [3]int64{o, z.offset(wallSec - 86400), z.offset(wallSec + 86400)}
	best := int64(0)
	found := false
	minOff := cands[0]
	for _, o := range cands {
		minOff = min(minOff, o)
		u := wallSec - o
		if z.offset(u) == o && (!found || u > best) {
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
