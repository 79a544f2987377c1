package schedule

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseCron checks that ParseCron never panics, that a refusal is a
// CronSyntaxError for the input, and that a parsed expression's Next is
// strictly after its input (or a CronBadDateError when croniter would give
// up), in UTC and in zones with DST gaps and folds. Seeds live in
// testdata/fuzz/FuzzParseCron.
func FuzzParseCron(f *testing.F) {
	for _, s := range []string{
		"*/5 * * * *", "0 0 ? * MON-FRI", "0 0 1 JAN,JUL *", "@annually", "@hourly",
		"0 0 * * * 30", "0 0 1 1 * 0 2030", "5-20/5 */7 * * *", "0 0 L * *", "0 0 * * 5#3",
		"0 0 * * L5", "0 0 30 2 *", "0 2 * * *", "30 1 * * *", "0 0 1,30 * *", "61 * * * *",
	} {
		f.Add(s, int64(1711846800), uint8(0)) // 2024-03-31T01:00:00Z, the Berlin spring gap
	}
	zones := []*time.Location{time.UTC, time.FixedZone("x", -9*3600)}
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		if loc, err := time.LoadLocation(name); err == nil {
			zones = append(zones, loc)
		}
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64, zone uint8) {
		c, err := ParseCron(expr)
		if err != nil {
			var se *CronSyntaxError
			if !errors.As(err, &se) || se.Expr != expr {
				t.Fatalf("ParseCron(%q) error %v is not a CronSyntaxError for the input", expr, err)
			}
			return
		}
		if c.Expr() != expr {
			t.Fatalf("Expr() = %q, want %q", c.Expr(), expr)
		}
		// Keep the instant within years croniter handles (1970..2200).
		const span = 230 * 365 * 24 * 3600
		if unix < 0 {
			unix = -unix
		}
		at := time.Unix(unix%span, 0).UTC()
		loc := zones[int(zone)%len(zones)]
		next, err := c.Next(at, loc)
		if err != nil {
			var bad *CronBadDateError
			if !errors.As(err, &bad) || bad.Prev {
				t.Fatalf("ParseCron(%q).Next(%v, %s) error %v is not CronBadDateError", expr, at, loc, err)
			}
			return
		}
		if !next.After(at) {
			t.Fatalf("ParseCron(%q).Next(%v, %s) = %v, not after its input", expr, at, loc, next)
		}
		if next.Location() != time.UTC {
			t.Fatalf("Next = %v, not UTC", next)
		}
	})
}
