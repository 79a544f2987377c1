package schedule

import (
	"math/bits"
)

// CronBadDateError is croniter's CroniterBadDateError: no match within 50
// years of the start (for example "0 0 31 2 *").
type CronBadDateError struct{ Prev bool }

func (e *CronBadDateError) Error() string {
	if e.Prev {
		return "failed to find prev date"
	}
	return "failed to find next date"
}

// maxYearsBetweenMatches is croniter's default max_years_between_matches.
const maxYearsBetweenMatches = 50

var daysTable = [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func isLeap(y int) bool { return y%400 == 0 || (y%4 == 0 && y%100 != 0) }

func monthLen(y, m int) int {
	if m == 2 && isLeap(y) {
		return 29
	}
	return daysTable[m-1]
}

// daysFromCivil returns days since 1970-01-01 (proleptic Gregorian).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// wall is a naive date-time (croniter works on naive datetimes in Airflow).
type wall struct{ y, mo, d, h, mi, s int }

func wallFromSec(sec int64) wall {
	days := floorDiv(sec, 86400)
	rem := int(sec - days*86400)
	y, m, d := civilFromDays(days)
	return wall{y, m, d, rem / 3600, rem / 60 % 60, rem % 60}
}

func (w wall) sec() int64 {
	return daysFromCivil(w.y, w.mo, w.d)*86400 + int64(w.h*3600+w.mi*60+w.s)
}

// weekday is isoweekday() % 7: Sunday 0 … Saturday 6.
func (w wall) weekday() int {
	days := daysFromCivil(w.y, w.mo, w.d)
	return int(((days+4)%7 + 7) % 7)
}

// addDaysAt mirrors `d += relativedelta(days=n, hour=h, minute=mi, second=s)`.
func (w wall) addDaysAt(n int, h, mi, s int) wall {
	y, m, d := civilFromDays(daysFromCivil(w.y, w.mo, w.d) + int64(n))
	return wall{y, m, d, h, mi, s}
}

// addSeconds adds a relative number of seconds (relativedelta hours/minutes/seconds).
func (w wall) addSeconds(n int64) wall { return wallFromSec(w.sec() + n) }

// addMonths mirrors relativedelta(months=n): the day is clamped to the new month.
func (w wall) addMonths(n int) wall {
	m0 := w.mo - 1 + n
	y := w.y + int(floorDiv(int64(m0), 12))
	m := int(int64(m0)-floorDiv(int64(m0), 12)*12) + 1
	d := min(w.d, monthLen(y, m))
	return wall{y, m, d, w.h, w.mi, w.s}
}

func highestBit(m uint64) int { return 63 - bits.LeadingZeros64(m) }

// nextDiff is croniter._get_next_nearest_diff over a bitset (plus "l" for the
// last day, which croniter sorts after every number).
func nextDiff(x int, mask uint64, hasL bool, rangeVal int) int {
	if m := mask >> uint(x); m != 0 {
		return bits.TrailingZeros64(m)
	}
	if hasL {
		return rangeVal - x
	}
	return bits.TrailingZeros64(mask) - x + rangeVal
}

// prevDiff is croniter._get_prev_nearest_diff over a bitset.
func prevDiff(x int, mask uint64, hasL bool, rangeVal int) int {
	if m := mask & (2<<uint(x) - 1); m != 0 {
		return highestBit(m) - x
	}
	if hasL {
		return -x
	}
	cand := highestBit(mask)
	if m := mask & (2<<uint(rangeVal) - 1); m != 0 {
		cand = highestBit(m)
	}
	if cand > rangeVal {
		return -rangeVal
	}
	return cand - x - rangeVal
}

// nthWeekdays lists the days of month y-m falling on weekday wd (Sunday 0).
func nthWeekdays(y, m, wd int, buf *[5]int) []int {
	first := wall{y, m, 1, 0, 0, 0}.weekday()
	d := 1 + (wd-first+7)%7
	n := 0
	for ml := monthLen(y, m); d <= ml; d += 7 {
		buf[n] = d
		n++
	}
	return buf[:n]
}

// calc is croniter.croniter._calc: start is the (floored or ceiled) naive
// timestamp; domStar/dowStar override the fields for the day-of-month /
// day-of-week OR that _get_next performs.
func (c *Cron) calc(start int64, prev bool, domStar, dowStar bool) (int64, error) {
	offset := int64(60)
	if c.nfields > 5 || (prev && floorMod(start, 60) > 0) {
		offset = 1
	}
	if prev {
		start -= offset
	} else {
		start += offset
	}
	d := wallFromSec(start)
	currentYear := d.y
	year := d.y
	for abs(year-currentYear) <= maxYearsBetweenMatches {
		changed, stop := c.step(&d, prev, domStar, dowStar)
		if stop {
			break
		}
		if changed {
			year = d.y
			continue
		}
		return d.sec(), nil
	}
	return 0, &CronBadDateError{Prev: prev}
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// step runs croniter's procs in order (year, month, day of month, day of week,
// hour, minute, second) and reports whether one moved d.
func (c *Cron) step(d *wall, prev, domStar, dowStar bool) (changed, stop bool) {
	// proc_year
	if !c.star[fYear] {
		diff, ok := yearDiff(d.y, c.years, prev)
		if !ok {
			return false, true
		}
		if diff != 0 {
			if prev {
				*d = wall{d.y + diff, 12, 31, 23, 59, 59}
			} else {
				*d = wall{d.y + diff, 1, 1, 0, 0, 0}
			}
			return true, false
		}
	}
	// proc_month
	if !c.star[fMonth] {
		var diff int
		if prev {
			diff = prevDiff(d.mo, c.month, false, 12)
		} else {
			diff = nextDiff(d.mo, c.month, false, 12)
		}
		if diff != 0 {
			if prev {
				n := d.addMonths(diff)
				*d = wall{n.y, n.mo, monthLen(n.y, n.mo), 23, 59, 59}
			} else {
				n := d.addMonths(diff)
				*d = wall{n.y, n.mo, 1, 0, 0, 0}
			}
			return true, false
		}
	}
	// proc_day_of_month
	if !domStar && !c.star[fDOM] {
		days := monthLen(d.y, d.mo)
		if !(c.domL && days == d.d) {
			var diff int
			if prev {
				diff = prevDiff(d.d, c.dom, c.domL, daysTable[(d.mo+10)%12])
			} else {
				diff = nextDiff(d.d, c.dom, c.domL, days)
			}
			if diff != 0 {
				if prev {
					*d = d.addDaysAt(diff, 23, 59, 59)
				} else {
					*d = d.addDaysAt(diff, 0, 0, 0)
				}
				return true, false
			}
		}
	}
	// proc_day_of_week_nth / proc_day_of_week
	if c.hasNth {
		if c.nthStep(d, prev) {
			return true, false
		}
	} else if !dowStar && !c.star[fDOW] {
		var diff int
		if prev {
			diff = prevDiff(d.weekday(), c.dow, false, 7)
		} else {
			diff = nextDiff(d.weekday(), c.dow, false, 7)
		}
		if diff != 0 {
			if prev {
				*d = d.addDaysAt(diff, 23, 59, 59)
			} else {
				*d = d.addDaysAt(diff, 0, 0, 0)
			}
			return true, false
		}
	}
	// proc_hour
	if !c.star[fHour] {
		var diff int
		if prev {
			diff = prevDiff(d.h, c.hour, false, 24)
		} else {
			diff = nextDiff(d.h, c.hour, false, 24)
		}
		if diff != 0 {
			if prev {
				d.mi, d.s = 59, 59
			} else {
				d.mi, d.s = 0, 0
			}
			*d = d.addSeconds(int64(diff) * 3600)
			return true, false
		}
	}
	// proc_minute
	if !c.star[fMinute] {
		var diff int
		if prev {
			diff = prevDiff(d.mi, c.minute, false, 60)
		} else {
			diff = nextDiff(d.mi, c.minute, false, 60)
		}
		if diff != 0 {
			if prev {
				d.s = 59
			} else {
				d.s = 0
			}
			*d = d.addSeconds(int64(diff) * 60)
			return true, false
		}
	}
	// proc_second
	if c.nfields > 5 {
		if !c.star[fSecond] {
			var diff int
			if prev {
				diff = prevDiff(d.s, c.second, false, 60)
			} else {
				diff = nextDiff(d.s, c.second, false, 60)
			}
			if diff != 0 {
				*d = d.addSeconds(int64(diff))
				return true, false
			}
		}
	} else {
		d.s = 0
	}
	return false, false
}

// nthStep is croniter's proc_day_of_week_nth.
func (c *Cron) nthStep(d *wall, prev bool) bool {
	best := -1
	var buf [5]int
	for wd := 0; wd < 7; wd++ {
		spec := c.nth[wd]
		if spec == 0 {
			continue
		}
		days := nthWeekdays(d.y, d.mo, wd, &buf)
		for n := 1; n <= nthLast; n++ {
			if spec&(1<<uint(n)) == 0 {
				continue
			}
			var cand int
			if n == nthLast {
				cand = days[len(days)-1]
			} else if len(days) < n {
				continue
			} else {
				cand = days[n-1]
			}
			if prev && cand <= d.d {
				if cand > best {
					best = cand
				}
			} else if !prev && d.d <= cand {
				if best < 0 || cand < best {
					best = cand
				}
			}
		}
	}
	if best < 0 {
		if prev {
			*d = d.addDaysAt(-d.d, 23, 59, 59)
		} else {
			*d = d.addDaysAt(monthLen(d.y, d.mo)-d.d+1, 0, 0, 0)
		}
		return true
	}
	diff := best - d.d
	if diff == 0 {
		return false
	}
	if prev {
		*d = d.addDaysAt(diff, 23, 59, 59)
	} else {
		*d = d.addDaysAt(diff, 0, 0, 0)
	}
	return true
}

func yearDiff(x int, years []int, prev bool) (int, bool) {
	if prev {
		for i := len(years) - 1; i >= 0; i-- {
			if years[i] <= x {
				return years[i] - x, true
			}
		}
		return 0, false
	}
	for _, y := range years {
		if y >= x {
			return y - x, true
		}
	}
	return 0, false
}

// nextWall is croniter.get_next on a naive datetime given as wall seconds:
// the first match strictly after it.
func (c *Cron) nextWall(sec int64) (int64, error) {
	return c.search(sec, false) // croniter floors the start for get_next
}

// prevWall is croniter.get_prev: the last match strictly before the naive time.
func (c *Cron) prevWall(sec int64, nsec int) (int64, error) {
	if nsec > 0 {
		sec++ // croniter ceils the start for get_prev
	}
	return c.search(sec, true)
}

// search is croniter._get_next: when both day fields are restricted it ORs
// them by running the search twice, once per day field.
func (c *Cron) search(start int64, prev bool) (int64, error) {
	if !c.star[fDOM] && !c.star[fDOW] {
		t1, err := c.calc(start, prev, false, true)
		if err != nil {
			return 0, err
		}
		t2, err := c.calc(start, prev, true, false)
		if err != nil {
			return 0, err
		}
		if prev {
			return max(t1, t2), nil
		}
		return min(t1, t2), nil
	}
	return c.calc(start, prev, false, false)
}
