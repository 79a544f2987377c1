package bench

import (
	"os/exec"
	"time"

	"testing"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// BenchmarkPooled measures the same commands direct and through a PgBouncer
// in pool_mode=transaction (issue 12), side by side in the same run, on an
// Airflow 3.0.3 database: the pooled figures next to the direct ones.
func BenchmarkPooled(b *testing.B) {
	enabled(b)
	type path struct {
		name string
		db   *dbtest.DB
	}
	paths := []path{
		{"direct", dbtest.NewPostgres(b, "3.0.3", dbtest.WithSampleDAGs())},
		{"PgBouncer (transaction pooling)", dbtest.NewPostgres(b, "3.0.3", dbtest.WithSampleDAGs(), dbtest.ViaPgBouncer())},
	}
	bin := binary(b)
	for _, p := range paths {
		r := runner(b, p.db)
		conn := connect(b, p.db)
		var backfills, creates, pages, procs []time.Duration
		for range reps {
			d, _ := timed(b, r, "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2023-01-01T00:00",
				"--end-date", "2024-02-25T00:00", "-o", "name")
			backfills = append(backfills, d)
			exec1(b, conn, `DELETE FROM backfill_dag_run`)
			exec1(b, conn, `DELETE FROM dag_run WHERE dag_id = 'fx_hourly'`)
			exec1(b, conn, `DELETE FROM backfill`)
			exec1(b, conn, `DELETE FROM dagctl_backfill_run`)
			exec1(b, conn, `DELETE FROM dagctl_backfill`)

			d, _ = timed(b, r, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "bench",
				"--start-date", "2024-01-01", "--end-date", "2025-05-14", "-o", "name")
			creates = append(creates, d)
			exec1(b, conn, `DELETE FROM dag_run WHERE dag_id = 'fx_daily_cron' AND run_id LIKE 'bench%'`)
			exec1(b, conn, `DELETE FROM log WHERE event = 'dagctl.runs.create'`)

			d, _ = timed(b, r, "runs", "list", "--dag-id", "fx_daily_cron", "--limit", "100", "-o", "json")
			pages = append(pages, d)

			// A whole process, as cron or CI runs it: connect, detect, one page.
			cmd := exec.Command(bin, "--db", p.db.URL, "runs", "list", "--dag-id", "fx_daily_cron", "--limit", "100")
			cmd.Env = binEnv(b)
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("dagctl runs list via %s: %v\n%s", p.name, err, out)
			}
			procs = append(procs, time.Since(start))
		}
		report(b, "backfill create 10,081 hourly dates (3.0.3, COPY) — "+p.name, ms(median(backfills)), "ms", "< 1000 ms", median(backfills) < time.Second, "")
		report(b, "runs create 500 (3.0.3) — "+p.name, ms(median(creates)), "ms", "", true, "")
		report(b, "runs list page of 100 (in-process) — "+p.name, ms(median(pages)), "ms", "", true, "")
		report(b, "runs list page of 100 (whole process) — "+p.name, ms(median(procs)), "ms", "", true, "")
	}
}
