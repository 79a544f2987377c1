package integration

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// TestRunsListSortPaging pages through runs in every order and direction,
// three at a time, and checks that the pages add up to exactly the expected
// order: nothing skipped or repeated, ties (equal logical dates across DAGs,
// equal start dates) in id order, NULL dates last ascending and first
// descending.
func TestRunsListSortPaging(t *testing.T) {
	// MySQL too: its keyset and NULL ordering are its own SQL.
	forEach(t, append(scriptingTargets(), target{dbtest.MySQL, "2.10.5"}), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		// Two DAGs with the same logical dates, created interleaved so that
		// id order differs from (dag, date) order.
		for _, day := range []string{"2024-01-03", "2024-01-01", "2024-01-02"} {
			for _, dag := range []string{"fx_daily_cron", "fx_max_active_runs"} {
				r.MustRun(t, 0, "runs", "create", "--dag-id", dag, "--start-date", day, "--end-date", day)
			}
		}
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_depends_on_past", "--start-date", "2024-01-02", "--end-date", "2024-01-04")
		// start/end dates: some equal, some NULL (never started / not ended).
		db.SQL(t, "UPDATE dag_run SET start_date = ?, end_date = ? WHERE id IN (1, 4, 7)",
			time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
		db.SQL(t, "UPDATE dag_run SET start_date = ? WHERE id IN (2, 9)", time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC))
		db.SQL(t, "UPDATE dag_run SET start_date = ?, end_date = ? WHERE id = 5",
			time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC))
		if tg.Major() == 3 {
			// Airflow 3 allows runs with no logical date (asset-triggered ones).
			db.SQL(t, "UPDATE dag_run SET logical_date = NULL WHERE id IN (1, 3)")
		}
		var all []shared.RunView
		r.JSON(t, &all, "runs", "list", "--limit", "100")
		if len(all) != 9 {
			t.Fatalf("%d runs, want 9", len(all))
		}
		key := func(v shared.RunView, sort string) *string {
			switch sort {
			case "logical_date":
				return v.LogicalDate
			case "start_date":
				return v.StartDate
			case "end_date":
				return v.EndDate
			}
			return nil
		}
		for _, sort := range []string{"id", "logical_date", "start_date", "end_date"} {
			for _, desc := range []bool{false, true} {
				want := slices.Clone(all)
				slices.SortFunc(want, func(a, b shared.RunView) int {
					c := cmpKey(key(a, sort), key(b, sort))
					if c == 0 {
						c = int(a.ID - b.ID)
					}
					if desc {
						return -c
					}
					return c
				})
				wantIDs := ids(want)
				args := []string{"runs", "list", "--sort", sort, "--limit", "3"}
				if desc {
					args = append(args, "--desc")
				}
				var got []int64
				start := int64(0)
				for page := 0; page < 10; page++ {
					var runs []shared.RunView
					r.JSON(t, &runs, append(args, "--start", strconv.FormatInt(start, 10))...)
					got = append(got, ids(runs)...)
					if len(runs) < 3 {
						break
					}
					start = runs[len(runs)-1].ID
				}
				if !slices.Equal(got, wantIDs) {
					t.Errorf("--sort %s desc=%v: pages gave %v, want %v", sort, desc, got, wantIDs)
				}
				var streamed []shared.RunView
				r.JSON(t, &streamed, append(args[:4], "--all", "--desc="+strconv.FormatBool(desc))...)
				if !slices.Equal(ids(streamed), wantIDs) {
					t.Errorf("--sort %s desc=%v --all: %v, want %v", sort, desc, ids(streamed), wantIDs)
				}
			}
		}
		// --dag-id with --sort logical_date --desc: newest first.
		var runs []shared.RunView
		r.JSON(t, &runs, "runs", "list", "--dag-id", "fx_depends_on_past", "--sort", "logical_date", "--desc", "--limit", "2")
		if len(runs) != 2 || *runs[0].LogicalDate != "2024-01-04T00:00:00Z" || *runs[1].LogicalDate != "2024-01-03T00:00:00Z" {
			t.Errorf("newest first = %v", ids(runs))
		}
		r.MustRun(t, 2, "runs", "list", "--sort", "run_id")
		r.MustRun(t, 3, "runs", "list", "--sort", "start_date", "--start", "999")
	})
}

func ids(runs []shared.RunView) []int64 {
	out := make([]int64, len(runs))
	for i, r := range runs {
		out[i] = r.ID
	}
	return out
}

// cmpKey orders optional RFC 3339 times with nil after every time.
func cmpKey(a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	ta, _ := time.Parse(time.RFC3339Nano, *a)
	tb, _ := time.Parse(time.RFC3339Nano, *b)
	return ta.Compare(tb)
}

// TestBackfillListSort orders backfills by submission and by first date, both ways.
func TestBackfillListSort(t *testing.T) {
	forEach(t, scriptingTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		for i, rng := range [][2]string{{"2024-03-01", "2024-03-02"}, {"2024-01-01", "2024-01-02"}, {"2024-02-01", "2024-02-02"}} {
			now := fixedNow.Add(time.Duration(i) * time.Minute)
			r.Now = func() time.Time { return now }
			r.MustRun(t, 0, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", rng[0], "--end-date", rng[1], "--ignore-overlapping")
		}
		order := func(args ...string) []string {
			var views []struct {
				StartDate string `json:"start_date"`
			}
			r.JSON(t, &views, append([]string{"backfill", "list"}, args...)...)
			out := make([]string, len(views))
			for i, v := range views {
				out[i] = v.StartDate[:7]
			}
			return out
		}
		for _, c := range []struct {
			args []string
			want []string
		}{
			{nil, []string{"2024-02", "2024-01", "2024-03"}},
			{[]string{"--sort", "submitted_at"}, []string{"2024-03", "2024-01", "2024-02"}},
			{[]string{"--sort", "submitted_at", "--desc"}, []string{"2024-02", "2024-01", "2024-03"}},
			{[]string{"--sort", "start_date"}, []string{"2024-01", "2024-02", "2024-03"}},
			{[]string{"--sort", "start_date", "--desc"}, []string{"2024-03", "2024-02", "2024-01"}},
		} {
			if got := order(c.args...); !slices.Equal(got, c.want) {
				t.Errorf("backfill list %v = %v, want %v", c.args, got, c.want)
			}
		}
		r.MustRun(t, 2, "backfill", "list", "--sort", "id")
	})
}
