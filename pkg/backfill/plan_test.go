package backfill

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/pkg/runid"
	"github.com/dagctl/dagctl/pkg/schedule"
)

func day(d int) time.Time { return time.Date(2024, 2, d, 0, 0, 0, 0, time.UTC) }

// daily returns the infos of a daily data-interval timetable for Feb from..to
// (logical date = interval start, run after = interval end).
func daily(from, to int) []schedule.DagRunInfo {
	var out []schedule.DagRunInfo
	for d := from; d <= to; d++ {
		out = append(out, schedule.DagRunInfo{LogicalDate: day(d), DataIntervalStart: day(d),
			DataIntervalEnd: day(d + 1), RunAfter: day(d + 1)})
	}
	return out
}

const bfID = "etl_backfill_20240301_120000"

func baseReq() Request {
	return Request{
		DagID: "etl", BackfillID: bfID, Infos: daily(1, 5), Now: day(20),
		Reprocess: ReprocessNone, MaxActiveRuns: 1, DeleteAfterDays: 7, NextCounter: 1,
	}
}

func existing(d int, state string) ExistingRun {
	return ExistingRun{RunID: fmt.Sprintf("scheduled__2024-02-%02dT00:00:00+00:00", d), State: state,
		LogicalDate: day(d), DagRunID: int64(100 + d)}
}

func exMap(runs ...ExistingRun) map[int64]ExistingRun {
	m := map[int64]ExistingRun{}
	for _, r := range runs {
		m[r.LogicalDate.UnixMicro()] = r
	}
	return m
}

// summary renders a plan as "day:disposition[:reason|counter]" for compact tables.
func summary(items []Item) string {
	var parts []string
	for _, it := range items {
		s := fmt.Sprintf("%d:%s", it.Info.LogicalDate.Day(), it.Disposition)
		switch it.Disposition {
		case DispositionCreate:
			s += fmt.Sprintf(":%d", it.Counter)
		case DispositionSkip:
			s += ":" + it.SkipReason
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestPlanDispositions(t *testing.T) {
	states := exMap(existing(1, "success"), existing(2, "failed"), existing(3, "running"),
		existing(4, "queued"))
	tests := []struct {
		name   string
		mutate func(*Request)
		want   string
	}{
		{"no existing runs", func(r *Request) {},
			"1:create:1 2:create:2 3:create:3 4:create:4 5:create:5"},
		{"reprocess none skips every existing run", func(r *Request) { r.Existing = states },
			"1:skip:already exists 2:skip:already exists 3:skip:in flight 4:skip:in flight 5:create:1"},
		{"reprocess failed re-runs failed only", func(r *Request) { r.Existing = states; r.Reprocess = ReprocessFailed },
			"1:skip:already exists 2:rerun 3:skip:in flight 4:skip:in flight 5:create:1"},
		{"reprocess completed re-runs success and failed", func(r *Request) {
			r.Existing = states
			r.Reprocess = ReprocessCompleted
		}, "1:rerun 2:rerun 3:skip:in flight 4:skip:in flight 5:create:1"},
		{"backwards reverses order, counters follow sort order", func(r *Request) {
			r.RunBackwards = true
			r.Existing = exMap(existing(4, "success"))
		}, "5:create:1 4:skip:already exists 3:create:2 2:create:3 1:create:4"},
		{"counters start at NextCounter", func(r *Request) { r.NextCounter = 41 },
			"1:create:41 2:create:42 3:create:43 4:create:44 5:create:45"},
		{"NextCounter 0 means 1", func(r *Request) { r.NextCounter = 0; r.Infos = daily(1, 1) }, "1:create:1"},
		{"infos out of order are sorted", func(r *Request) {
			in := daily(1, 3)
			r.Infos = []schedule.DagRunInfo{in[2], in[0], in[1]}
		}, "1:create:1 2:create:2 3:create:3"},
		// _get_info_list keeps data_interval.end < now: Feb 5's interval ends
		// Feb 6 00:00, exactly now, so it is not due yet.
		{"due filter is strict on the interval end", func(r *Request) { r.Now = day(6) },
			"1:create:1 2:create:2 3:create:3 4:create:4"},
		{"due filter one microsecond later", func(r *Request) { r.Now = day(6).Add(time.Microsecond) },
			"1:create:1 2:create:2 3:create:3 4:create:4 5:create:5"},
		{"backwards with due filter", func(r *Request) { r.Now = day(4); r.RunBackwards = true },
			"2:create:1 1:create:2"},
		{"depends_on_past with reprocess failed", func(r *Request) {
			r.DependsOnPast = true
			r.Reprocess = ReprocessFailed
			r.Existing = states
		}, "1:skip:already exists 2:rerun 3:skip:in flight 4:skip:in flight 5:create:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := baseReq()
			tt.mutate(&req)
			items, err := Plan(req)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if got := summary(items); got != tt.want {
				t.Errorf("plan\n got %s\nwant %s", got, tt.want)
			}
			for i, it := range items {
				if it.SortOrdinal != i+1 {
					t.Errorf("item %d has SortOrdinal %d", i, it.SortOrdinal)
				}
			}
		})
	}
}

func TestPlanItemFields(t *testing.T) {
	req := baseReq()
	req.Infos = daily(1, 3)
	req.Reprocess = ReprocessCompleted
	req.Existing = exMap(existing(2, "failed"), existing(3, "running"))
	req.NextCounter = 7
	items, err := Plan(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("got %d items", len(items))
	}
	c := items[0]
	if c.RunID != "etl_backfill_20240301_120000_0000007_2024-02-01T00:00:00+00:00" || c.Existing != nil ||
		c.SkipReason != "" || c.Counter != 7 || !c.Info.DataIntervalEnd.Equal(day(2)) {
		t.Errorf("create item: %+v", c)
	}
	if c.RunID != runid.Format(bfID, 7, day(1)) {
		t.Errorf("create run id %q is not runid.Format's", c.RunID)
	}
	r := items[1]
	if r.Disposition != DispositionRerun || r.RunID != "scheduled__2024-02-02T00:00:00+00:00" ||
		r.Existing == nil || r.Existing.DagRunID != 102 || r.SkipReason != "" || r.Counter != 0 {
		t.Errorf("rerun item: %+v", r)
	}
	s := items[2]
	if s.Disposition != DispositionSkip || s.RunID != "scheduled__2024-02-03T00:00:00+00:00" ||
		s.Existing == nil || s.Existing.State != "running" || s.SkipReason != ReasonInFlight {
		t.Errorf("skip item: %+v", s)
	}
	// Existing must be a copy: changing the map afterwards does not change the plan.
	req.Existing[day(2).UnixMicro()] = existing(2, "success")
	if items[1].Existing.State != "failed" {
		t.Error("Existing aliases the request's map")
	}
}

func TestSkipReasonFor(t *testing.T) {
	// _get_dag_run_no_create_reason: every state but success and failed is in flight.
	tests := []struct {
		state                   string
		none, failed, completed string
	}{
		{"success", ReasonAlreadyExists, ReasonAlreadyExists, ""},
		{"failed", ReasonAlreadyExists, "", ""},
		{"queued", ReasonInFlight, ReasonInFlight, ReasonInFlight},
		{"running", ReasonInFlight, ReasonInFlight, ReasonInFlight},
		{"", ReasonInFlight, ReasonInFlight, ReasonInFlight},
		{"upstream_failed", ReasonInFlight, ReasonInFlight, ReasonInFlight},
		{"SUCCESS", ReasonAlreadyExists, ReasonAlreadyExists, ""},
	}
	for _, tt := range tests {
		for r, want := range map[Reprocess]string{ReprocessNone: tt.none, ReprocessFailed: tt.failed, ReprocessCompleted: tt.completed} {
			if got := SkipReasonFor(tt.state, r); got != want {
				t.Errorf("SkipReasonFor(%q, %s) = %q, want %q", tt.state, r, got, want)
			}
		}
	}
}

func TestPlanValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Request)
		field  string
		msg    string
	}{
		{"max active runs 0", func(r *Request) { r.MaxActiveRuns = 0 }, FieldMaxActiveRuns,
			"--max-active-runs: 0 is out of range; use 1 to 3"},
		{"max active runs 5", func(r *Request) { r.MaxActiveRuns = 5 }, FieldMaxActiveRuns,
			"--max-active-runs: 5 is out of range; use 1 to 3"},
		{"delete after 0 days", func(r *Request) { r.DeleteAfterDays = 0 }, FieldDeleteAfterDays,
			"--delete-after-days: 0 is out of range; use 1 or more"},
		{"bad reprocess", func(r *Request) { r.Reprocess = "all" }, FieldReprocess,
			`--reprocess: "all" is not valid; use none, failed or completed`},
		{"backwards with depends_on_past", func(r *Request) {
			r.DependsOnPast, r.RunBackwards, r.Reprocess = true, true, ReprocessCompleted
		}, FieldRunBackwards,
			"--run-backwards: Backfill cannot be run in reverse when the DAG has tasks where depends_on_past=True."},
		// Airflow checks the direction before the reprocess behavior.
		{"backwards and reprocess none with depends_on_past", func(r *Request) {
			r.DependsOnPast, r.RunBackwards = true, true
		}, FieldRunBackwards, ""},
		{"reprocess none with depends_on_past", func(r *Request) { r.DependsOnPast = true }, FieldReprocess,
			"--reprocess: DAG has tasks for which depends_on_past=True. " +
				"You must set reprocess behavior to reprocess completed or reprocess failed."},
		{"nothing due", func(r *Request) { r.Now = day(2) }, FieldDates,
			"--start-date/--end-date: no runs are due in this range"},
		{"no infos", func(r *Request) { r.Infos = nil }, FieldDates, ""},
		{"start after end", func(r *Request) { r.From, r.To = day(5), day(1) }, FieldDates,
			"--start-date/--end-date: the start date must not be after the end date"},
		{"range in the future", func(r *Request) { r.From, r.To = day(20), day(25) }, FieldDates,
			"--start-date/--end-date: Backfill cannot be executed for future dates."},
		{"dag id too long", func(r *Request) {
			r.BackfillID = strings.Repeat("x", runid.MaxRunIDLen-34+1)
		}, FieldDagID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := baseReq()
			tt.mutate(&req)
			items, err := Plan(req)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Plan = %v, %v; want a ValidationError", summary(items), err)
			}
			if ve.Field != tt.field {
				t.Errorf("field %q, want %q (%v)", ve.Field, tt.field, err)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("error\n got %s\nwant %s", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("error %q does not name %s first", err, tt.field)
			}
			if items != nil {
				t.Errorf("items returned with an error: %s", summary(items))
			}
			if errors.Is(err, ErrNoRunsDue) != (tt.msg == "--start-date/--end-date: no runs are due in this range" || tt.name == "no infos") {
				t.Errorf("errors.Is(%v, ErrNoRunsDue) = %v", err, errors.Is(err, ErrNoRunsDue))
			}
		})
	}
}

func TestPlanRangeChecksPass(t *testing.T) {
	// A range starting in the past and ending in the future is allowed; only
	// the due dates are planned.
	req := baseReq()
	req.From, req.To, req.Now = day(1), day(25), day(3).Add(time.Hour)
	items, err := Plan(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(items); got != "1:create:1 2:create:2" {
		t.Errorf("got %s", got)
	}
	// From == To in the past is a valid one-date range.
	req.From, req.To, req.Infos = day(1), day(1), daily(1, 1)
	if _, err := Plan(req); err != nil {
		t.Errorf("single date: %v", err)
	}
}

func TestPlanEmptyBackfillID(t *testing.T) {
	req := baseReq()
	req.BackfillID = ""
	if _, err := Plan(req); err == nil {
		t.Fatal("no error for an empty backfill id")
	}
}

func TestCheckRunIDs(t *testing.T) {
	// A run id is the backfill id + "_" + 7 digits + "_" + 25 date characters.
	fits := strings.Repeat("b", runid.MaxRunIDLen-34)
	if err := CheckRunIDs("etl", fits, 9_999_999); err != nil {
		t.Errorf("%d-character backfill id with 7-digit counters: %v", len(fits), err)
	}
	if err := CheckRunIDs("etl", fits, 10_000_000); err == nil {
		t.Error("an 8-digit counter should not fit")
	}
	err := CheckRunIDs("my_dag", fits+"b", 1)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != FieldDagID || !strings.Contains(err.Error(), `"my_dag"`) ||
		!strings.Contains(err.Error(), "251 characters") {
		t.Errorf("too long: %v", err)
	}
	// The longest dag id that fits: 250 - 34 - len("_backfill_20240301_120000").
	dagID := strings.Repeat("d", runid.MaxRunIDLen-34-25)
	id := NewBackfillID(dagID, time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), nil)
	if err := CheckRunIDs(dagID, id, 1); err != nil {
		t.Errorf("dag id of %d: %v", len(dagID), err)
	}
	id = NewBackfillID(dagID+"d", time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), nil)
	if err := CheckRunIDs(dagID+"d", id, 1); err == nil {
		t.Errorf("dag id of %d fits", len(dagID)+1)
	}
}

func TestNewBackfillID(t *testing.T) {
	at := time.Date(2024, 3, 1, 13, 0, 5, 0, time.FixedZone("CET", 3600))
	base := "etl_backfill_20240301_120005"
	tests := []struct {
		name  string
		taken []string
		want  string
	}{
		{"free", nil, base},
		{"taken once", []string{base}, base + "_2"},
		{"taken thrice", []string{base, base + "_2", base + "_3"}, base + "_4"},
		{"gap", []string{base, base + "_3"}, base + "_2"},
		{"only a suffix taken", []string{base + "_2"}, base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]bool{}
			for _, s := range tt.taken {
				set[s] = true
			}
			if got := NewBackfillID("etl", at, func(s string) bool { return set[s] }); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := NewBackfillID("etl", at, nil); got != base {
		t.Errorf("nil taken: %q", got)
	}
}

func TestParseReprocess(t *testing.T) {
	for _, s := range []string{"none", "failed", "completed"} {
		r, err := ParseReprocess(s)
		if err != nil || string(r) != s {
			t.Errorf("ParseReprocess(%q) = %q, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "None", "all", "success"} {
		r, err := ParseReprocess(s)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != FieldReprocess || r != "" ||
			!strings.Contains(err.Error(), "none, failed or completed") {
			t.Errorf("ParseReprocess(%q) = %q, %v", s, r, err)
		}
	}
}

// TestPlanAirflowReference replays the backfill recorded in
// internal/store/dbtest/testdata/fixtures/airflow-3.0.3.reference-runs.postgres.sql:
// _create_backfill(dag_id="fx_daily_cron" (schedule "0 0 * * *", a
// CronTriggerTimetable in Airflow 3), from 2024-02-01 to 2024-02-05,
// reverse=False, reprocess none) wrote backfill_dag_run rows with sort_ordinal
// 1..5 for logical dates Feb 1..5, each with a new run.
func TestPlanAirflowReference(t *testing.T) {
	tt := schedule.NewCronTrigger("0 0 * * *", time.UTC)
	infos, err := tt.Between(day(1), day(5))
	if err != nil {
		t.Fatal(err)
	}
	req := baseReq()
	req.Infos, req.From, req.To = infos, day(1), day(5)
	req.Now = time.Date(2026, 11, 23, 16, 55, 36, 0, time.UTC) // the backfill's created_at
	items, err := Plan(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 5 {
		t.Fatalf("got %d items: %s", len(items), summary(items))
	}
	for i, it := range items {
		if it.SortOrdinal != i+1 || !it.Info.LogicalDate.Equal(day(i+1)) || it.Disposition != DispositionCreate {
			t.Errorf("row %d: ordinal %d, date %v, %s", i+1, it.SortOrdinal, it.Info.LogicalDate, it.Disposition)
		}
	}
	// With a trigger timetable the interval ends at the logical date, so the
	// strict due filter drops the run whose time is exactly now.
	req.Now = day(5)
	items, err = Plan(req)
	if err != nil || summary(items) != "1:create:1 2:create:2 3:create:3 4:create:4" {
		t.Errorf("now = Feb 5: %s, %v", summary(items), err)
	}
}
