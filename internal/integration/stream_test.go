package integration

import (
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// TestStreamMatchesPage: runs list --all (one query, encoded without
// reflection) prints exactly the bytes of a page (encoding/json,
// encoding/csv) in every format, with awkward run ids and confs.
func TestStreamMatchesPage(t *testing.T) {
	forEach(t, scriptingTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-03",
			"--conf", `{"a": [1, {"b": "<x> & 'y'"}], "s": "q\"uote\nline", "u": "ünï ✓", "e": {}, "n": null, "f": 1.5}`)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-01T01:00")
		db.SQL(t, "UPDATE dag_run SET run_id = ? WHERE id = 1", `odd,"id" with space`)
		db.SQL(t, "UPDATE dag_run SET run_id = ? WHERE id = 2", " leading")
		db.SQL(t, "UPDATE dag_run SET state = 'success', start_date = ?, end_date = ? WHERE id = 3", fixedNow, fixedNow)
		for _, args := range [][]string{
			{"-o", "json"}, {"-o", "csv"}, {"-o", "table"}, {"-o", "yaml"}, {"-o", "name"}, {"-o", "csv", "--no-headers"},
			{"--jq", ".[].run_id"}, {"--sort", "start_date", "--desc", "-o", "json"}, {"--sort", "logical_date", "-o", "csv"},
		} {
			page := r.MustRun(t, 0, append([]string{"runs", "list", "--limit", "100"}, args...)...)
			all := r.MustRun(t, 0, append([]string{"runs", "list", "--all"}, args...)...)
			if page.Stdout != all.Stdout {
				t.Errorf("%v: --all differs from a page\n--- page\n%s\n--- all\n%s", args, page.Stdout, all.Stdout)
			}
		}
		if res := r.MustRun(t, 0, "runs", "list", "--all", "-o", "json"); !strings.Contains(res.Stdout, `"b": "<x> & 'y'"`) {
			t.Errorf("conf not printed as is:\n%s", res.Stdout)
		}
		r.TTY = true
		page := r.MustRun(t, 0, "runs", "list", "--all", "--state", "success")
		if !strings.HasPrefix(page.Stdout, "ID\tDAG_ID\tRUN_ID") {
			t.Errorf("streamed table on a terminal has no header:\n%s", page.Stdout)
		}
	})
}
