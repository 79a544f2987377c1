package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// Seed sizes: as in shared/airflow-performance-anchors.md section 5.
const (
	seedDAGs       = 5000
	seedRunsPerDAG = 200
)

// seed2 makes an Airflow 2.10.5 database with the sample DAGs, 5,000 more
// dag rows (copies of fx_daily_cron's row) and 1,000,000 dag_run rows, 200
// daily runs per seeded DAG, interleaved by day. 5% are manual (external
// trigger), and the states are mostly success with some failed, running and
// queued. Set-based SQL only: it takes about half a minute.
func seed2(b *testing.B) (*dbtest.DB, time.Duration) {
	b.Helper()
	start := time.Now()
	db := dbtest.NewPostgres(b, "2.10.5", dbtest.WithSampleDAGs())
	conn := connect(b, db)
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = 'dag' ORDER BY ordinal_position`)
	if err != nil {
		b.Fatal(err)
	}
	var cols, sel []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			b.Fatal(err)
		}
		cols = append(cols, `"`+c+`"`)
		switch c {
		case "dag_id":
			sel = append(sel, `'dag_' || lpad(g::text, 5, '0')`)
		case "fileloc":
			sel = append(sel, `'/dags/dag_' || lpad(g::text, 5, '0') || '.py'`)
		default:
			sel = append(sel, `d."`+c+`"`)
		}
	}
	rows.Close()
	exec1(b, conn, `INSERT INTO dag (`+strings.Join(cols, ", ")+`) SELECT `+strings.Join(sel, ", ")+`
		FROM dag d, generate_series(1, $1::int) g WHERE d.dag_id = 'fx_daily_cron'`, seedDAGs)
	exec1(b, conn, `
		INSERT INTO dag_run (dag_id, run_id, execution_date, state, run_type, external_trigger,
			data_interval_start, data_interval_end, queued_at, start_date, end_date, clear_number,
			log_template_id, updated_at)
		SELECT 'dag_' || lpad(d::text, 5, '0'),
			CASE WHEN (d + k) % 20 = 0 THEN 'manual__' ELSE 'scheduled__' END ||
				to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
			ts,
			CASE WHEN (d * 7 + k * 13) % 1000 < 10 THEN 'failed'
			     WHEN (d * 7 + k * 13) % 1000 < 15 THEN 'running'
			     WHEN (d * 7 + k * 13) % 1000 < 21 THEN 'queued'
			     ELSE 'success' END,
			CASE WHEN (d + k) % 20 = 0 THEN 'manual' ELSE 'scheduled' END,
			(d + k) % 20 = 0,
			ts - interval '1 day', ts, ts + interval '1 day', ts + interval '1 day 1 minute',
			ts + interval '1 day 10 minutes', 0, (SELECT max(id) FROM log_template), ts + interval '1 day 10 minutes'
		FROM generate_series(0, $1::int - 1) k, generate_series(1, $2::int) d,
			LATERAL (SELECT timestamptz '2023-01-01 00:00:00+00' + k * interval '1 day' AS ts) t
		ORDER BY k, d`, seedRunsPerDAG, seedDAGs)
	exec1(b, conn, `VACUUM ANALYZE`)
	return db, time.Since(start)
}
