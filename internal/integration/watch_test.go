package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// TestBackfillGridAndWatch: backfill get --grid draws the calendar strip,
// --runs prints the runs as their own table, and --watch redraws on a
// terminal until cancelled but is refused in a pipe on every command.
func TestBackfillGridAndWatch(t *testing.T) {
	forEach(t, scriptingTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-02", "--end-date", "2024-01-02")
		r.MustRun(t, 0, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-10", "--max-active-runs", "3")
		id := strings.TrimSpace(r.MustRun(t, 0, "backfill", "list", "-o", "name").Stdout)
		// Airflow 2 backfills are metered (only the first three runs exist
		// yet) and their runs are of type manual.
		for day, state := range map[string]string{"01": "success", "03": "failed", "04": "running"} {
			db.SQL(t, "UPDATE dag_run SET state = ? WHERE run_id LIKE ?", state, "fx_daily_cron_backfill_%_2024-01-"+day+"T00:00:00+00:00")
		}
		strip := r.MustRun(t, 0, "backfill", "get", id, "--grid")
		golden(t, "backfill-grid.af"+tg.Release[:1]+".txt", strip.Stdout)
		r.TTY = true
		tty := r.MustRun(t, 0, "backfill", "get", id, "--grid")
		if !strings.Contains(tty.Stdout, "\x1b[38;2;0;128;0m■") || !strings.Contains(tty.Stdout, "success") {
			t.Errorf("strip on a terminal has no colours or legend:\n%s", tty.Stdout)
		}
		// --grid --runs: the strip, then the runs table (on a terminal and in a pipe).
		for _, term := range []bool{true, false} {
			r.TTY = term
			both := r.MustRun(t, 0, "backfill", "get", id, "--grid", "--runs")
			if !strings.HasPrefix(both.Stdout, strings.SplitN(map[bool]string{true: tty.Stdout, false: strip.Stdout}[term], "\n", 2)[0]) ||
				!strings.Contains(both.Stdout, "progress: ") || !strings.Contains(both.Stdout, "2024-01-04T00:00:00+00:00") ||
				(term && !strings.Contains(both.Stdout, "LOGICAL_DATE")) {
				t.Errorf("--grid --runs (terminal %v):\n%s", term, both.Stdout)
			}
		}
		r.TTY = true
		// --runs: the fields, a blank line, then one table of runs with its own header.
		runs := r.MustRun(t, 0, "backfill", "get", id, "--runs")
		parts := strings.SplitN(runs.Stdout, "\n\n", 2)
		if len(parts) != 2 || strings.Contains(parts[0], "run 2024") || !strings.Contains(parts[1], "LOGICAL_DATE") ||
			!strings.Contains(parts[1], "2024-01-04T00:00:00+00:00") || strings.Count(parts[1], "\n") != 11 {
			t.Errorf("--runs table:\n%s", runs.Stdout)
		}

		// --watch redraws until the context ends, then exits 0.
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond) // the first frame waits for store.Open: room for it on a loaded machine
		defer cancel()
		r.Ctx = ctx
		res := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron", "--watch", "--interval", "100ms")
		if n := strings.Count(res.Stdout, "\x1b[H\x1b[2J"); n < 2 {
			t.Errorf("--watch drew %d frames:\n%q", n, res.Stdout)
		}
		r.Ctx = nil
		r.TTY = false
		for _, args := range [][]string{
			{"runs", "list", "--watch"},
			{"runs", "grid", "--dag-id", "fx_daily_cron", "--watch"},
			{"backfill", "list", "--watch"},
			{"backfill", "get", id, "--grid", "--watch"},
		} {
			if res := r.MustRun(t, 2, args...); !strings.Contains(res.Stderr, "not a terminal") {
				t.Errorf("%v: %q", args, res.Stderr)
			}
		}
	})
}
