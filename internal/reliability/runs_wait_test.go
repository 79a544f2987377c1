package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Cron jobs send dagctl's output to /dev/null or a file: neither is a
// terminal, so `runs wait` and `runs create --wait` write no progress line
// and no escape codes there, and still exit 0, 1, 124 or 5 as documented.
// The real binary, with real file descriptors.
func TestRunsWaitRealProcessOutputToDevNullAndFile(t *testing.T) {
	for _, tg := range []target{{"sqlite", "3.0.3"}, {"postgres", "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			db := open(t, tg)
			r := runner(t, db)
			var created struct {
				DagRunIDs []string `json:"dag_run_ids"`
			}
			r.JSON(t, &created, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-03")
			ok, bad, queued := created.DagRunIDs[0], created.DagRunIDs[1], created.DagRunIDs[2]
			db.SQL(t, "UPDATE dag_run SET state = 'success', end_date = '2026-11-23 11:30:00' WHERE run_id = ?", ok)
			db.SQL(t, "UPDATE dag_run SET state = 'failed', end_date = '2026-11-23 11:30:00' WHERE run_id = ?", bad)
			tc, tv := "task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, hostname, unixname, queue, priority_weight",
				"'work', 'fx_daily_cron', ?, -1, 'default_pool', 1, 'failed', 1, 0, '', 'airflow', 'default', 1"
			if strings.HasPrefix(tg.release, "3.") {
				tc, tv = "id, "+tc, "'01939a1e-0000-7000-8000-000000000901', "+tv
			}
			db.SQL(t, "INSERT INTO task_instance ("+tc+") VALUES ("+tv+")", bad)
			fast := []string{"--dag-id", "fx_daily_cron", "--interval", "50ms"}

			devNull := func(args ...string) int {
				p := command(t, db.URL, args...)
				null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer null.Close()
				p.cmd.Stdout, p.cmd.Stderr = null, null
				if err := p.cmd.Start(); err != nil {
					t.Fatal(err)
				}
				return p.wait()
			}
			toFile := func(args ...string) (int, string) {
				p := command(t, db.URL, args...)
				path := filepath.Join(t.TempDir(), "cron.log")
				f, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				p.cmd.Stdout, p.cmd.Stderr = f, f
				if err := p.cmd.Start(); err != nil {
					t.Fatal(err)
				}
				code := p.wait()
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if s := string(b); strings.ContainsAny(s, "\r\x1b") || strings.Contains(s, "waiting:") {
					t.Errorf("dagctl %s > file: progress or escape codes in the file:\n%q", strings.Join(args, " "), s)
				}
				return code, string(b)
			}

			for _, c := range []struct {
				args []string
				code int
			}{
				{append([]string{"runs", "wait", ok, "--timeout", "10s"}, fast...), 0},
				{append([]string{"runs", "wait", ok, bad, "--timeout", "10s"}, fast...), 1},
				{append([]string{"runs", "wait", ok, queued, "--timeout", "300ms"}, fast...), 124},
				{append([]string{"runs", "wait", "manual__nope", "--timeout", "300ms"}, fast...), 3},
				{[]string{"runs", "create", "--dag-id", "fx_paused", "--wait"}, 5},
			} {
				if code := devNull(c.args...); code != c.code {
					t.Errorf("dagctl %s >/dev/null 2>&1: exit %d, want %d", strings.Join(c.args, " "), code, c.code)
				}
			}
			code, out := toFile(append([]string{"runs", "wait", ok, bad, "--timeout", "10s"}, fast...)...)
			want := fmt.Sprintf("run %s of dag fx_daily_cron failed: task work failed (try 1 of 1)\n  dagctl tasks logs %s work --dag-id fx_daily_cron --try 1\n", bad, bad)
			if code != 1 || !strings.Contains(out, want) {
				t.Errorf("runs wait >file, a run failed: exit %d, file:\n%s\nwant it to hold:\n%s", code, out, want)
			}
			code, out = toFile(append([]string{"runs", "wait", queued, "--timeout", "300ms"}, fast...)...)
			if code != 124 || !strings.Contains(out, "they stay and go on") {
				t.Errorf("runs wait >file, timeout: exit %d, file:\n%s", code, out)
			}
		})
	}
}
