package schedule

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Delta is a schedule step: a Python timedelta (fixed duration) or a
// dateutil relativedelta (calendar arithmetic). Airflow applies both to UTC
// datetimes, so relative months and days move the UTC calendar.
type Delta struct {
	Duration time.Duration // used when Rel is nil
	Rel      *RelDelta
}

// RelDelta is the subset of dateutil.relativedelta that Airflow serializes
// (encode_relativedelta): relative fields, absolute fields, and a weekday.
type RelDelta struct {
	Years, Months, Days, LeapDays, Hours, Minutes, Seconds, Microseconds int
	Year, Month, Day, Hour, Minute, Second, Microsecond                  *int
	Weekday                                                              *int // 0 = Monday
	WeekdayN                                                             int  // 0 = unset
}

// decodeDelta reads the serialized delta/interval: seconds as a number, the
// encode_relativedelta dict, or either wrapped as {"__type", "__var"}.
func decodeDelta(raw json.RawMessage) (Delta, error) {
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		return Delta{Duration: time.Duration(math.Round(secs*1e6)) * time.Microsecond}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Delta{}, fmt.Errorf("unsupported delta %s", raw)
	}
	if v, ok := obj["__var"]; ok {
		return decodeDelta(v)
	}
	rd := &RelDelta{}
	for k, v := range obj {
		if k == "weekday" {
			var wd []int
			if err := json.Unmarshal(v, &wd); err != nil || len(wd) == 0 {
				return Delta{}, fmt.Errorf("unsupported relativedelta weekday %s", v)
			}
			rd.Weekday = &wd[0]
			if len(wd) > 1 {
				rd.WeekdayN = wd[1]
			}
			continue
		}
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			return Delta{}, fmt.Errorf("unsupported relativedelta field %s=%s", k, v)
		}
		n := int(f)
		switch k {
		case "years":
			rd.Years = n
		case "months":
			rd.Months = n
		case "days":
			rd.Days = n
		case "leapdays":
			rd.LeapDays = n
		case "hours":
			rd.Hours = n
		case "minutes":
			rd.Minutes = n
		case "seconds":
			rd.Seconds = n
		case "microseconds":
			rd.Microseconds = n
		case "year":
			rd.Year = &n
		case "month":
			rd.Month = &n
		case "day":
			rd.Day = &n
		case "hour":
			rd.Hour = &n
		case "minute":
			rd.Minute = &n
		case "second":
			rd.Second = &n
		case "microsecond":
			rd.Microsecond = &n
		default:
			return Delta{}, fmt.Errorf("unsupported relativedelta field %q", k)
		}
	}
	return Delta{Rel: rd}, nil
}

// Add returns t + d (t in UTC, as Airflow's DateTime values are).
func (d Delta) Add(t time.Time) time.Time {
	if d.Rel == nil {
		return t.Add(d.Duration).UTC()
	}
	return d.Rel.apply(t.UTC(), 1)
}

// Sub returns t - d.
func (d Delta) Sub(t time.Time) time.Time {
	if d.Rel == nil {
		return t.Add(-d.Duration).UTC()
	}
	return d.Rel.apply(t.UTC(), -1)
}

func (d Delta) positive() bool {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	return d.Add(ref).After(ref)
}

func (d Delta) isZero() bool {
	return d.Rel == nil && d.Duration == 0
}

// apply is relativedelta.__add__ (sign -1 is __neg__ then __add__: only the
// relative fields flip).
func (r *RelDelta) apply(t time.Time, sign int) time.Time {
	year := t.Year() + sign*r.Years
	if r.Year != nil {
		year = *r.Year + sign*r.Years
	}
	month := int(t.Month())
	if r.Month != nil {
		month = *r.Month
	}
	if r.Months != 0 {
		month += sign * r.Months
		for month > 12 {
			year++
			month -= 12
		}
		for month < 1 {
			year--
			month += 12
		}
	}
	day := t.Day()
	if r.Day != nil {
		day = *r.Day
	}
	day = min(day, monthLen(year, month))
	hour, minute, second, micro := t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000
	if r.Hour != nil {
		hour = *r.Hour
	}
	if r.Minute != nil {
		minute = *r.Minute
	}
	if r.Second != nil {
		second = *r.Second
	}
	if r.Microsecond != nil {
		micro = *r.Microsecond
	}
	days := sign * r.Days
	if r.LeapDays != 0 && month > 2 && isLeap(year) {
		days += sign * r.LeapDays
	}
	ret := time.Date(year, time.Month(month), day, hour, minute, second, micro*1000, time.UTC)
	ret = ret.AddDate(0, 0, days).Add(time.Duration(sign) * (time.Duration(r.Hours)*time.Hour +
		time.Duration(r.Minutes)*time.Minute + time.Duration(r.Seconds)*time.Second +
		time.Duration(r.Microseconds)*time.Microsecond))
	if r.Weekday != nil {
		nth := r.WeekdayN
		if nth == 0 {
			nth = 1
		}
		wd := (int(ret.Weekday()) + 6) % 7 // Monday = 0
		jump := (abs(nth) - 1) * 7
		if nth > 0 {
			jump += (7 - wd + *r.Weekday) % 7
		} else {
			jump += ((wd-*r.Weekday)%7 + 7) % 7
			jump = -jump
		}
		ret = ret.AddDate(0, 0, jump)
	}
	return ret
}

// String renders the delta as Python's str() does: "1 day, 6:00:00" or
// "relativedelta(months=+1)".
func (d Delta) String() string {
	if d.Rel != nil {
		return d.Rel.String()
	}
	us := d.Duration.Microseconds()
	days := floorDiv(us, 86400e6)
	rem := us - days*86400e6
	s := rem / 1e6
	frac := rem % 1e6
	out := fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	if frac != 0 {
		out += fmt.Sprintf(".%06d", frac)
	}
	if days != 0 {
		plural := "s"
		if days == 1 || days == -1 {
			plural = ""
		}
		out = fmt.Sprintf("%d day%s, %s", days, plural, out)
	}
	return out
}

func (r *RelDelta) String() string {
	var parts []string
	rel := []struct {
		n string
		v int
	}{{"years", r.Years}, {"months", r.Months}, {"days", r.Days}, {"leapdays", r.LeapDays},
		{"hours", r.Hours}, {"minutes", r.Minutes}, {"seconds", r.Seconds}, {"microseconds", r.Microseconds}}
	for _, f := range rel {
		if f.v != 0 {
			parts = append(parts, fmt.Sprintf("%s=%+d", f.n, f.v))
		}
	}
	abs := []struct {
		n string
		v *int
	}{{"year", r.Year}, {"month", r.Month}, {"day", r.Day}}
	for _, f := range abs {
		if f.v != nil {
			parts = append(parts, f.n+"="+strconv.Itoa(*f.v))
		}
	}
	if r.Weekday != nil {
		name := [...]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}[*r.Weekday%7]
		if r.WeekdayN != 0 {
			name += fmt.Sprintf("(%+d)", r.WeekdayN)
		}
		parts = append(parts, "weekday="+name)
	}
	for _, f := range []struct {
		n string
		v *int
	}{{"hour", r.Hour}, {"minute", r.Minute}, {"second", r.Second}, {"microsecond", r.Microsecond}} {
		if f.v != nil {
			parts = append(parts, f.n+"="+strconv.Itoa(*f.v))
		}
	}
	return "relativedelta(" + strings.Join(parts, ", ") + ")"
}
