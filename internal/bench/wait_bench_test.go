package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dagctl/dagctl/internal/runops"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// waitPolls is how many looks each measurement of runs wait spans.
const waitPolls = 200

// BenchmarkRunsWait follows 500 runs and 1 run (issue 18) on an Airflow
// 3.0.3 database that also holds 100,000 other runs and 200,000 task
// instances. Every statement dagctl sends is counted by a pgx tracer on the
// store's own connections (so BEGIN, SET and COMMIT would count too), and the
// client's CPU is getrusage(RUSAGE_SELF) user+system over waitPolls looks of
// runops.Wait at a 1 ms interval, divided by the looks. The note is the
// plan of the poll's statement as sent, with its arguments.
func BenchmarkRunsWait(b *testing.B) {
	enabled(b)
	db := dbtest.NewPostgres(b, "3.0.3", dbtest.WithSampleDAGs())
	conn := connect(b, db)
	// Other runs and task instances, so that the poll has to find its rows.
	exec1(b, conn, `INSERT INTO dag_run (dag_id, run_id, logical_date, run_after, state, run_type,
			data_interval_start, data_interval_end, queued_at, start_date, end_date, clear_number)
		SELECT 'fx_hourly', 'scheduled__' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
			ts, ts, 'success', 'scheduled', ts - interval '1 hour', ts, ts, ts, ts + interval '5 minutes', 0
		FROM generate_series(0, 99999) k, LATERAL (SELECT timestamptz '2010-01-01 00:00:00+00' + k * interval '1 hour' AS ts) t`)
	tis := func(where, work string) {
		exec1(b, conn, `INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries)
			SELECT gen_random_uuid(), t.task_id, r.dag_id, r.run_id, -1, 'default_pool', 1,
				CASE WHEN t.task_id = 'start' THEN 'success' ELSE `+work+` END, 1, 0
			FROM dag_run r, (VALUES ('start'), ('work')) t(task_id) WHERE `+where)
	}
	tis("r.dag_id = 'fx_hourly'", "'success'")
	// The followed runs: 500 of fx_daily_cron and 1 of fx_manual_only, queued,
	// each with one task done and one running.
	r := runner(b, db)
	timed(b, r, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2025-05-14", "-o", "name")
	timed(b, r, "runs", "create", "--dag-id", "fx_manual_only", "-o", "name")
	tis("r.dag_id IN ('fx_daily_cron', 'fx_manual_only')", "'running'")
	exec1(b, conn, `VACUUM ANALYZE`)

	tr := &countingTracer{}
	st, err := store.Open(context.Background(), store.OpenOptions{
		Dialect: store.DialectPostgres, DSN: db.DSN(), Redacted: "bench", ConnectTimeout: 10 * time.Second,
		PgConfig: func(dsn string) (*pgx.ConnConfig, error) {
			c, err := pgx.ParseConfig(dsn)
			if err == nil {
				c.Tracer = tr
			}
			return c, err
		},
		Now: func() time.Time { return fixedNow },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()

	for _, c := range []struct {
		name, dag string
	}{{"500 runs", "fx_daily_cron"}, {"1 run", "fx_manual_only"}} {
		var ids []string
		rows, err := conn.Query(context.Background(), "SELECT run_id FROM dag_run WHERE dag_id = $1 ORDER BY id", c.dag)
		if err != nil {
			b.Fatal(err)
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		var perPoll []float64
		var cpus, walls []time.Duration
		for range reps {
			stmts, cpu, wall := followPolls(b, st, tr, c.dag, ids)
			perPoll = append(perPoll, stmts)
			cpus = append(cpus, cpu)
			walls = append(walls, wall)
		}
		sql, args := tr.last()
		plan := explain(b, conn, sql, args...)
		q := perPoll[0]
		for _, x := range perPoll {
			q = max(q, x)
		}
		which := fmt.Sprintf("all %d runs", len(ids))
		if len(ids) == 1 {
			which = "the 1 run"
		}
		report(b, fmt.Sprintf("runs wait, %s followed: statements per look", c.name), q, "statements", "1", q == 1,
			fmt.Sprintf("%s in one statement; counted by a pgx tracer over %d looks, the worst of %d rounds", which, waitPolls, reps))
		report(b, fmt.Sprintf("runs wait, %s followed: client CPU per look", c.name), float64(median(cpus).Nanoseconds())/1000, "µs", "", true,
			fmt.Sprintf("getrusage user+sys; wall per look %.2f ms (1 ms interval included); poll SQL: %s", ms(median(walls)), plan))
	}
}

// followPolls runs runops.Wait until waitPolls looks have been made and
// returns the statements per look and the CPU and wall time per look,
// measured from the first look to the last (so connecting is not counted).
func followPolls(b *testing.B, st *store.Store, tr *countingTracer, dagID string, ids []string) (float64, time.Duration, time.Duration) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var q0 int64
	var cpu0 time.Duration
	var t0 time.Time
	var stmts float64
	var cpu, wall time.Duration
	_, err := runops.Wait(ctx, st, runops.WaitRequest{
		DagID: dagID, RunIDs: ids, Timeout: time.Hour, Interval: time.Millisecond,
		OnPoll: func(p runops.Progress) {
			if p.Total != len(ids) || p.Done != 0 {
				b.Fatalf("progress %+v: the followed runs should be unfinished", p)
			}
			n++
			switch n {
			case 1:
				q0, cpu0, t0 = tr.n.Load(), rusage(b), time.Now()
			case waitPolls + 1:
				looks := float64(waitPolls)
				stmts = float64(tr.n.Load()-q0) / looks
				cpu = (rusage(b) - cpu0) / waitPolls
				wall = time.Since(t0) / waitPolls
				cancel()
			}
		},
	})
	if err == nil || ctx.Err() == nil {
		b.Fatalf("wait ended before it was stopped: %v", err)
	}
	return stmts, cpu, wall
}

func rusage(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingTracer counts every statement pgx sends and keeps the last one.
type countingTracer struct {
	n    atomic.Int64
	mu   sync.Mutex
	sql  string
	args []any
}

func (t *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	t.n.Add(1)
	t.mu.Lock()
	t.sql, t.args = d.SQL, d.Args
	t.mu.Unlock()
	return ctx
}

func (t *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (t *countingTracer) last() (string, []any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sql, t.args
}
