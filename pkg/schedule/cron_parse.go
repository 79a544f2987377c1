package schedule

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Field indexes, in croniter's order (the seconds field is the 6th, the year the 7th).
const (
	fMinute = iota
	fHour
	fDOM
	fMonth
	fDOW
	fSecond
	fYear
)

var fieldRanges = [7][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 6}, {0, 59}, {1970, 2099}}

// lenMeansAll is croniter's LEN_MEANS_ALL: a field listing this many values is "*".
var lenMeansAll = [7]int{60, 24, 31, 12, 7, 60, 130}

var monthNames = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

var dowNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// cronAliases are croniter's own @-aliases (applied to the lowercased expression).
// Airflow's cron_presets (@hourly … @quarterly) are applied before, in the timetables.
var cronAliases = map[string]string{
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
	"@daily":    "0 0 * * *",
	"@weekly":   "0 0 * * 0",
	"@monthly":  "0 0 1 * *",
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
}

var (
	stepSearchRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^-]+)-([^-/]+)(/(\d+))?$`) })
	onlyIntRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d+$`) })
	starOrIntRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+|\*)$`) })
	starStepRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\*(/.+)$`) })
	startStepRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)/(.+)$`) })
	hashRe       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(h|r)(\((\d+)-(\d+)\))?(/(\d+))?$`) })
	specialDOWRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(((((sun|mon|tue|wed|thu|fri|sat)(-(sun|mon|tue|wed|thu|fri|sat))?)` +
			`|((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)|\w+)#)|l)(\d+)$`)
	})
)

// CronSyntaxError reports an expression croniter 6.0.0 rejects (CroniterBadCronError).
type CronSyntaxError struct {
	Expr   string
	Reason string
}

func (e *CronSyntaxError) Error() string {
	return fmt.Sprintf("invalid cron expression %q: %s", e.Expr, e.Reason)
}

const nthLast = 6 // bit used in Cron.nth for croniter's "l" (last weekday of the month)

// Cron is a parsed cron expression with croniter 6.0.0's semantics.
//
// Why not robfig/cron, adhocore/gronx or another Go library: Airflow's results
// are croniter's, including its quirks, and none of those libraries reproduce
// them. croniter ORs day-of-month and day-of-week only when both are
// restricted, and decides "restricted" from its own expansion (a field listing
// every value still counts as restricted when the other field has no "*");
// it searches field by field with wrap-around arithmetic that can skip a
// valid day (for "1,30" it jumps from 5 Feb past 1 Mar to 30 Mar); it applies
// "#" and "L<n>" weekday rules even to the day-of-month half of an OR; it gives
// up 50 years past the start; and it reads a 6th field as seconds and a 7th as
// the year. The search below is a port of croniter.croniter._calc on naive
// wall-clock fields, using bitsets for the field look-ups.
type Cron struct {
	expr    string
	nfields int

	minute, hour, second uint64 // bit v set: value v allowed
	dom                  uint64 // bits 1..31
	domL                 bool   // "L": last day of the month
	month                uint64 // bits 1..12
	dow                  uint64 // bits 0..6, Sunday = 0
	years                []int  // sorted; 7-field form only

	star [7]bool // croniter's expanded[i] == ["*"]

	hasNth bool
	nth    [7]uint8 // per weekday: bit n (1..5) for "#n", bit nthLast for "L"
}

// ParseCron parses a cron expression as croniter 6.0.0 does (croniter.expand):
// 5 fields, or 6 with seconds last, or 7 with the year last; names (JAN, MON),
// lists, ranges, steps, "?" for day fields, "L" in day-of-month, "n#k" and "Ln"
// in day-of-week, and croniter's @-aliases. Airflow's own presets (@daily,
// @quarterly …) are resolved by the timetables before this is called.
func ParseCron(expr string) (*Cron, error) {
	c := &Cron{expr: expr}
	efl := strings.ToLower(expr)
	if a, ok := cronAliases[efl]; ok {
		efl = a
	}
	fields := strings.Fields(efl)
	if n := len(fields); n != 5 && n != 6 && n != 7 {
		return nil, &CronSyntaxError{expr, "Exactly 5, 6 or 7 columns has to be specified for iterator expression."}
	}
	c.nfields = len(fields)
	nthMap := map[int]uint8{}
	for fi, fexpr := range fields {
		if m := hashRe().FindStringSubmatch(fexpr); m != nil {
			if m[1] == "h" {
				return nil, &CronSyntaxError{expr, "Hashed definitions must include hash_id"}
			}
			return nil, &CronSyntaxError{expr, "random (R) fields are not deterministic and not supported"}
		}
		if strings.Contains(fexpr, "?") {
			if fexpr != "?" {
				return nil, &CronSyntaxError{expr, "Question mark can not used with other characters"}
			}
			if fi != fDOM && fi != fDOW {
				return nil, &CronSyntaxError{expr, "Question mark can only used in day_of_month or day_of_week"}
			}
			fexpr = "*"
		}
		res, star, hasL, err := expandField(c, expr, fields, fi, fexpr, nthMap)
		if err != nil {
			return nil, err
		}
		distinct := len(res)
		if hasL {
			distinct++
		}
		if !star && distinct == lenMeansAll[fi] {
			keep := (fi == fDOM && !strings.Contains(fields[fDOW], "*")) ||
				(fi == fDOW && !strings.Contains(fields[fDOM], "*"))
			if !keep {
				star = true
			}
		}
		c.star[fi] = star
		for _, v := range res {
			switch fi {
			case fMinute:
				c.minute |= 1 << uint(v)
			case fHour:
				c.hour |= 1 << uint(v)
			case fDOM:
				c.dom |= 1 << uint(v)
			case fMonth:
				c.month |= 1 << uint(v)
			case fDOW:
				c.dow |= 1 << uint(v)
			case fSecond:
				c.second |= 1 << uint(v)
			case fYear:
				c.years = append(c.years, v)
			}
		}
		if fi == fDOM {
			c.domL = hasL
		}
	}
	sort.Ints(c.years)
	if c.nfields < 6 {
		c.star[fSecond] = true
	}
	if c.nfields < 7 {
		c.star[fYear] = true
	}
	if len(nthMap) > 0 {
		c.hasNth = true
		for wd, bits := range nthMap {
			c.nth[wd] = bits
		}
		// croniter refuses plain weekdays mixed with "#"/"L" ones unless all 7 are listed.
		if !c.star[fDOW] {
			var plain, all uint64
			all = c.dow
			plain = c.dow
			for wd := range nthMap {
				plain &^= 1 << uint(wd)
			}
			if plain != 0 && all != 0x7f {
				return nil, &CronSyntaxError{expr, "day-of-week field does not support mixing literal values and nth day of week syntax"}
			}
		}
	}
	return c, nil
}

// valueAlias mirrors croniter.value_alias: 7 means Sunday only in 5-field
// crons, and day 0 means day 1 only in 6-field crons.
func valueAlias(v, fi, n int) int {
	switch {
	case fi == fDOW && v == 7 && n == 5:
		return 0
	case fi == fDOM && v == 0 && n == 6:
		return 1
	}
	return v
}

func alphaconv(expr string, fi int, key string) (string, error) {
	switch fi {
	case fDOM:
		if key == "l" {
			return "l", nil
		}
	case fMonth:
		if v, ok := monthNames[key]; ok {
			return strconv.Itoa(v), nil
		}
	case fDOW:
		if v, ok := dowNames[key]; ok {
			return strconv.Itoa(v), nil
		}
	}
	return "", &CronSyntaxError{expr, fmt.Sprintf("[%s] is not acceptable", key)}
}

// expandField is croniter._expand for one field: the allowed integer values,
// whether the field is "*", and whether it holds "l".
func expandField(c *Cron, expr string, fields []string, fi int, fexpr string, nthMap map[int]uint8) (res []int, star, hasL bool, err error) {
	lo, hi := fieldRanges[fi][0], fieldRanges[fi][1]
	type item struct {
		s   string
		nth int // 0 none, 1..5, nthLast
	}
	var list []item
	for _, p := range strings.Split(fexpr, ",") {
		list = append(list, item{s: p})
	}
	seen := map[int]bool{}
	for len(list) > 0 {
		e := list[len(list)-1]
		list = list[:len(list)-1]
		s, nth := e.s, e.nth
		if fi == fDOW {
			if m := specialDOWRe().FindStringSubmatch(s); m != nil {
				he, last := m[3], m[len(m)-1]
				if he != "" {
					s = he
					n, _ := strconv.Atoi(last)
					if n < 1 || n > 5 {
						return nil, false, false, &CronSyntaxError{expr, fmt.Sprintf("Invalid day_of_week value: '%s'", last)}
					}
					nth = n
				} else {
					s = last
					nth = nthLast
				}
			}
		}
		t := s
		if m := starStepRe().FindStringSubmatch(s); m != nil {
			t = fmt.Sprintf("%d-%d%s", lo, hi, m[1])
		}
		m := stepSearchRe().FindStringSubmatch(t)
		if m == nil {
			if m2 := startStepRe().FindStringSubmatch(s); m2 != nil {
				t = fmt.Sprintf("%s-%d/%s", m2[1], hi, m2[2])
			} else {
				t = s
			}
			m = stepSearchRe().FindStringSubmatch(t)
		}
		if m != nil {
			low, high, stepS := m[1], m[2], m[4]
			if stepS == "" {
				stepS = "1"
			}
			if fi == fDOM && high == "l" {
				high = "31"
			}
			if !onlyIntRe().MatchString(low) {
				if low, err = alphaconv(expr, fi, low); err != nil {
					return nil, false, false, err
				}
			}
			if !onlyIntRe().MatchString(high) {
				if high, err = alphaconv(expr, fi, high); err != nil {
					return nil, false, false, err
				}
			}
			if !onlyIntRe().MatchString(low) || !onlyIntRe().MatchString(high) {
				return nil, false, false, &CronSyntaxError{expr, fmt.Sprintf("bands '%s-%s' in field %d are not acceptable", low, high, fi)}
			}
			step, _ := strconv.Atoi(stepS)
			l, _ := strconv.Atoi(low)
			h, _ := strconv.Atoi(high)
			l, h = valueAlias(l, fi, len(fields)), valueAlias(h, fi, len(fields))
			if max(l, h) > max(lo, hi) {
				return nil, false, false, &CronSyntaxError{expr, "out of bands"}
			}
			if step == 0 {
				return nil, false, false, &CronSyntaxError{expr, "range() arg 3 must not be zero"}
			}
			var rng []int
			switch {
			case l > h:
				for v := l; v <= hi; v += step {
					rng = append(rng, v)
				}
				toSkip := 0
				if len(rng) > 0 {
					last := rng[len(rng)-1]
					alreadySkipped := hi - last
					curpos := last - lo
					if curpos+step > hi-lo+1 && alreadySkipped < step {
						toSkip = step - alreadySkipped
					}
				}
				for v := lo + toSkip; v <= h; v += step {
					rng = append(rng, v)
				}
			case l == h:
				// croniter: "Jan-Jan" or "Sun-Sun" means the whole cycle.
				for v := lo; v <= hi; v += step {
					rng = append(rng, v)
				}
			default:
				for v := l; v <= h; v += step {
					rng = append(rng, v)
				}
			}
			for _, v := range rng {
				if fi == fDOW && nth != 0 && nth != nthLast {
					list = append(list, item{s: fmt.Sprintf("%d#%d", v, nth)})
				} else {
					list = append(list, item{s: strconv.Itoa(v)})
				}
			}
			continue
		}
		if strings.HasPrefix(t, "-") {
			return nil, false, false, &CronSyntaxError{expr, "negative numbers not allowed"}
		}
		if !starOrIntRe().MatchString(t) {
			if t, err = alphaconv(expr, fi, t); err != nil {
				return nil, false, false, err
			}
		}
		switch t {
		case "*":
			star = true
			continue
		case "l":
			hasL = true
			continue
		}
		v, _ := strconv.Atoi(t)
		v = valueAlias(v, fi, len(fields))
		if v < lo || v > hi {
			return nil, false, false, &CronSyntaxError{expr, "out of range"}
		}
		if !seen[v] {
			seen[v] = true
			res = append(res, v)
		}
		if fi == fDOW && nth != 0 {
			nthMap[v] |= 1 << uint(nth)
		}
	}
	sort.Ints(res)
	return res, star, hasL, nil
}
