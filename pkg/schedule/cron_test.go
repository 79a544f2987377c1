package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// runs lists the run times (data interval ends) of a CronTriggerTimetable.
func triggerRuns(t *testing.T, expr, tz, start, end string) []string {
	t.Helper()
	tt := NewCronTrigger(expr, zone(t, tz))
	infos, err := tt.Between(utc(start), utc(end))
	if err != nil {
		t.Fatalf("%s in %s: %v", expr, tz, err)
	}
	out := []string{}
	for _, i := range infos {
		out = append(out, i.RunAfter.Format(time.RFC3339))
	}
	return out
}

func assertRuns(t *testing.T, name string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s:\n got  %v\n want %v", name, got, want)
	}
}

func TestDSTGapsAndFolds(t *testing.T) {
	cases := []struct {
		name, expr, tz, start, end string
		want                       []string
	}{
		// Zurich, 2024-03-31 02:00 CET -> 03:00 CEST: 02:30 does not exist and
		// moves forward by the gap (03:30 CEST).
		{"zurich gap", "30 2 * * *", "Europe/Zurich", "2024-03-30T00:00:00Z", "2024-04-01T12:00:00Z",
			[]string{"2024-03-30T01:30:00Z", "2024-03-31T01:30:00Z", "2024-04-01T00:30:00Z"}},
		// Zurich, 2024-10-27 03:00 CEST -> 02:00 CET: 02:30 happens twice; the
		// second one (CET) is used.
		{"zurich fold", "30 2 * * *", "Europe/Zurich", "2024-10-26T00:00:00Z", "2024-10-28T12:00:00Z",
			[]string{"2024-10-26T00:30:00Z", "2024-10-27T01:30:00Z", "2024-10-28T01:30:00Z"}},
		// With "*" hours the step is added in absolute time, so the repeated
		// hour is run twice (00:30Z is 02:30 CEST, 01:30Z is 02:30 CET).
		{"zurich fold hourly", "30 * * * *", "Europe/Zurich", "2024-10-26T23:00:00Z", "2024-10-27T02:45:00Z",
			[]string{"2024-10-26T23:30:00Z", "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z", "2024-10-27T02:30:00Z"}},
		{"zurich gap hourly", "30 * * * *", "Europe/Zurich", "2024-03-30T23:45:00Z", "2024-03-31T02:45:00Z",
			[]string{"2024-03-31T00:30:00Z", "2024-03-31T01:30:00Z", "2024-03-31T02:30:00Z"}},
		// New York, 2024-03-10 02:00 EST -> 03:00 EDT.
		{"new york gap", "30 2 * * *", "America/New_York", "2024-03-09T00:00:00Z", "2024-03-11T12:00:00Z",
			[]string{"2024-03-09T07:30:00Z", "2024-03-10T07:30:00Z", "2024-03-11T06:30:00Z"}},
		// New York, 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 is taken in EST.
		{"new york fold", "30 1 * * *", "America/New_York", "2024-11-02T00:00:00Z", "2024-11-04T12:00:00Z",
			[]string{"2024-11-02T05:30:00Z", "2024-11-03T06:30:00Z", "2024-11-04T06:30:00Z"}},
		// Lord Howe moves by 30 minutes: 2024-04-07 02:00 (+11) -> 01:30 (+10:30).
		{"lord howe fold", "45 1 * * *", "Australia/Lord_Howe", "2024-04-05T00:00:00Z", "2024-04-07T16:00:00Z",
			[]string{"2024-04-05T14:45:00Z", "2024-04-06T15:15:00Z", "2024-04-07T15:15:00Z"}},
		// 2024-10-06 02:00 (+10:30) -> 02:30 (+11): 02:15 becomes 02:45 (+11).
		{"lord howe gap", "15 2 * * *", "Australia/Lord_Howe", "2024-10-04T00:00:00Z", "2024-10-06T16:00:00Z",
			[]string{"2024-10-04T15:45:00Z", "2024-10-05T15:45:00Z", "2024-10-06T15:15:00Z"}},
	}
	for _, c := range cases {
		assertRuns(t, c.name, triggerRuns(t, c.expr, c.tz, c.start, c.end), c.want...)
	}
}

func TestCronDataIntervalAcrossFold(t *testing.T) {
	tt := NewCronDataInterval("0 2 * * *", zone(t, "Europe/Zurich"))
	infos, err := tt.Between(utc("2024-10-26T00:00:00Z"), utc("2024-10-27T12:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	// 02:00 on the 27th is ambiguous and resolves to CET (01:00Z): that day's
	// interval is 25 hours long.
	if len(infos) != 2 {
		t.Fatalf("got %d infos, want 2: %+v", len(infos), infos)
	}
	if !infos[0].DataIntervalStart.Equal(utc("2024-10-26T00:00:00Z")) || !infos[0].DataIntervalEnd.Equal(utc("2024-10-27T01:00:00Z")) {
		t.Errorf("first interval %v – %v", infos[0].DataIntervalStart, infos[0].DataIntervalEnd)
	}
	if !infos[1].LogicalDate.Equal(utc("2024-10-27T01:00:00Z")) || !infos[1].RunAfter.Equal(utc("2024-10-28T01:00:00Z")) {
		t.Errorf("second run %v / %v", infos[1].LogicalDate, infos[1].RunAfter)
	}
}

func TestDayOfMonthOrDayOfWeek(t *testing.T) {
	// croniter ORs the two day fields when both are restricted: every 13th
	// and every Friday.
	assertRuns(t, "13th or friday", triggerRuns(t, "0 0 13 * 5", "UTC", "2024-09-01T00:00:00Z", "2024-10-19T00:00:00Z"),
		"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z", "2024-09-27T00:00:00Z",
		"2024-10-04T00:00:00Z", "2024-10-11T00:00:00Z", "2024-10-13T00:00:00Z", "2024-10-18T00:00:00Z")
	// A day-of-month listing every day still counts as restricted when the
	// weekday field has no "*", so the OR makes it daily.
	assertRuns(t, "1-31 or monday", triggerRuns(t, "0 0 1-31 * 1", "UTC", "2024-09-01T00:00:00Z", "2024-09-03T00:00:00Z"),
		"2024-09-01T00:00:00Z", "2024-09-02T00:00:00Z", "2024-09-03T00:00:00Z")
	// With "*" the weekday alone decides.
	assertRuns(t, "mondays", triggerRuns(t, "0 0 * * MON", "UTC", "2024-09-01T00:00:00Z", "2024-09-17T00:00:00Z"),
		"2024-09-02T00:00:00Z", "2024-09-09T00:00:00Z", "2024-09-16T00:00:00Z")
	// 7 is Sunday too; a range ending on 7 wraps.
	assertRuns(t, "sat-sun", triggerRuns(t, "0 0 * * 6-7", "UTC", "2024-09-01T00:00:00Z", "2024-09-09T00:00:00Z"),
		"2024-09-01T00:00:00Z", "2024-09-07T00:00:00Z", "2024-09-08T00:00:00Z")
}

func TestNthAndLastWeekday(t *testing.T) {
	assertRuns(t, "second monday", triggerRuns(t, "0 9 * * 1#2", "UTC", "2024-01-01T00:00:00Z", "2024-03-31T00:00:00Z"),
		"2024-01-08T09:00:00Z", "2024-02-12T09:00:00Z", "2024-03-11T09:00:00Z")
	assertRuns(t, "last friday", triggerRuns(t, "0 9 * * L5", "UTC", "2024-01-01T00:00:00Z", "2024-03-31T00:00:00Z"),
		"2024-01-26T09:00:00Z", "2024-02-23T09:00:00Z", "2024-03-29T09:00:00Z")
}

func TestMonthEndsAndLeapDays(t *testing.T) {
	assertRuns(t, "L", triggerRuns(t, "0 0 L * *", "UTC", "2024-01-01T00:00:00Z", "2024-05-01T00:00:00Z"),
		"2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z", "2024-04-30T00:00:00Z")
	assertRuns(t, "31st", triggerRuns(t, "0 0 31 * *", "UTC", "2023-01-01T00:00:00Z", "2023-06-01T00:00:00Z"),
		"2023-01-31T00:00:00Z", "2023-03-31T00:00:00Z", "2023-05-31T00:00:00Z")
	assertRuns(t, "feb 29", triggerRuns(t, "0 0 29 2 *", "UTC", "2021-01-01T00:00:00Z", "2029-01-01T00:00:00Z"),
		"2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z")

	c, err := ParseCron("0 0 29 2 *")
	if err != nil {
		t.Fatal(err)
	}
	prev, err := c.Prev(utc("2027-06-01T00:00:00Z"), time.UTC)
	if err != nil || !prev.Equal(utc("2024-02-29T00:00:00Z")) {
		t.Errorf("prev leap day = %v, %v", prev, err)
	}
	// Data interval of a leap-day schedule spans four years.
	mi, err := NewCronDataInterval("0 0 29 2 *", time.UTC).ManualInterval(utc("2025-01-01T00:00:00Z"))
	if err != nil || !mi.Start.Equal(utc("2020-02-29T00:00:00Z")) || !mi.End.Equal(utc("2024-02-29T00:00:00Z")) {
		t.Errorf("manual interval = %+v, %v", mi, err)
	}
}

// croniter's field-by-field search can step over a valid day: from 5 Feb,
// "1,30" jumps 25 days to 2 Mar, then to 30 Mar, never seeing 1 Mar. Airflow
// inherits this, and so do we.
func TestCroniterDayListQuirk(t *testing.T) {
	c, err := ParseCron("0 0 1,30 * *")
	if err != nil {
		t.Fatal(err)
	}
	next, err := c.Next(utc("2023-02-05T00:00:00Z"), time.UTC)
	if err != nil || !next.Equal(utc("2023-03-30T00:00:00Z")) {
		t.Errorf("next = %v, %v; croniter gives 2023-03-30", next, err)
	}
}

func TestCronNeverFires(t *testing.T) {
	tt := NewCronTrigger("0 0 30 2 *", time.UTC)
	infos, err := tt.Between(utc("2024-01-01T00:00:00Z"), utc("2024-12-31T00:00:00Z"))
	var bad *CronBadDateError
	if !errors.As(err, &bad) || bad.Prev || len(infos) != 0 {
		t.Errorf("Between = %v, %v; want no runs and CronBadDateError", infos, err)
	}
	if err.Error() != "failed to find next date" {
		t.Errorf("message %q", err)
	}
	_, err = NewCronDataInterval("0 0 31 4 *", time.UTC).ManualInterval(utc("2024-01-01T00:00:00Z"))
	if !errors.As(err, &bad) {
		t.Errorf("ManualInterval error = %v, want CronBadDateError", err)
	}
}

func TestParseCronErrors(t *testing.T) {
	for _, expr := range []string{"61 * * * *", "* * *", "0 0 * * 1#6", "0 0 0 * *", "0 0 * 13 *", "H * * * *", "0 0 * * FOO", "0 0 * * 1,2#2"} {
		var se *CronSyntaxError
		if _, err := ParseCron(expr); !errors.As(err, &se) {
			t.Errorf("ParseCron(%q) = %v, want CronSyntaxError", expr, err)
		}
	}
	for _, expr := range []string{"*/5 * * * *", "0 0 ? * MON-FRI", "0 0 1 JAN,JUL *", "@annually", "0 0 * * * 30", "0 0 1 1 * 0 2030", "5-20/5 */7 * * *"} {
		if _, err := ParseCron(expr); err != nil {
			t.Errorf("ParseCron(%q): %v", expr, err)
		}
	}
}

func TestSecondsAndYearFields(t *testing.T) {
	c, err := ParseCron("0 12 * * * 30")
	if err != nil {
		t.Fatal(err)
	}
	next, err := c.Next(utc("2024-01-01T12:00:00Z"), time.UTC)
	if err != nil || !next.Equal(utc("2024-01-01T12:00:30Z")) {
		t.Errorf("seconds field: %v, %v", next, err)
	}
	c, err = ParseCron("0 0 1 1 * 0 2030")
	if err != nil {
		t.Fatal(err)
	}
	next, err = c.Next(utc("2024-06-01T00:00:00Z"), time.UTC)
	if err != nil || !next.Equal(utc("2030-01-01T00:00:00Z")) {
		t.Errorf("year field: %v, %v", next, err)
	}
	if _, err = c.Next(utc("2031-06-01T00:00:00Z"), time.UTC); err == nil {
		t.Error("year field in the past: want an error")
	}
}

func BenchmarkCronNext(b *testing.B) {
	for _, bc := range []struct{ expr, tz string }{
		{"*/7 9-17 * * 1-5", "UTC"},
		{"0 0 * * *", "Europe/Zurich"},
		{"15 4 1 */3 *", "America/New_York"},
	} {
		b.Run(bc.expr+"@"+bc.tz, func(b *testing.B) {
			c, err := ParseCron(bc.expr)
			if err != nil {
				b.Fatal(err)
			}
			loc, _ := LoadZone(bc.tz)
			// Walk 2024–2034 over and over: realistic dates, DST changes included.
			first, stop := utc("2024-01-01T00:00:00Z"), utc("2034-01-01T00:00:00Z")
			at := first
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if at, err = c.Next(at, loc); err != nil {
					b.Fatal(err)
				}
				if at.After(stop) {
					at = first
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
		})
	}
}
