package bench

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// BenchmarkMySQL runs the 10,000-date backfill on Airflow 2.10.5's MySQL
// schema, on dbtest's MariaDB server.
func BenchmarkMySQL(b *testing.B) {
	enabled(b)
	db := dbtest.NewMySQL(b, "2.10.5", dbtest.WithSampleDAGs())
	b.Run("backfill_create_10000", func(b *testing.B) { mysqlBackfillCreate10000(b, db) })
}

// mysqlSnapshot is the rows of one table as the server sent them (text).
type mysqlSnapshot struct {
	table string
	cols  []string
	rows  [][]any
}

func mysqlHandle(b *testing.B, db *dbtest.DB) *sql.DB {
	b.Helper()
	h, err := sql.Open("mysql", db.DSN())
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func mysqlTake(b *testing.B, h *sql.DB, table, where string) mysqlSnapshot {
	b.Helper()
	rs, err := h.Query("SELECT * FROM " + table + " WHERE " + where)
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	s := mysqlSnapshot{table: table}
	s.cols, _ = rs.Columns()
	for rs.Next() {
		vals := make([]any, len(s.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		s.rows = append(s.rows, vals)
	}
	if err := rs.Err(); err != nil {
		b.Fatal(err)
	}
	return s
}

// mysqlInsertBack writes the snapshots with multi-row INSERTs of 1,000 rows in
// one transaction on a fresh connection (the fastest plain SQL path; the
// baseline pays for connecting, as dagctl does) and returns the wall time.
func mysqlInsertBack(b *testing.B, db *dbtest.DB, snaps ...mysqlSnapshot) time.Duration {
	b.Helper()
	cfg, err := mysql.ParseDSN(db.DSN())
	if err != nil {
		b.Fatal(err)
	}
	cfg.InterpolateParams = true
	start := time.Now()
	h, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	tx, err := h.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range snaps {
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(s.cols)), ", ") + ")"
		for i := 0; i < len(s.rows); i += 1000 {
			chunk := s.rows[i:min(i+1000, len(s.rows))]
			var q strings.Builder
			q.WriteString("INSERT INTO " + s.table + " (`" + strings.Join(s.cols, "`, `") + "`) VALUES ")
			args := make([]any, 0, len(chunk)*len(s.cols))
			for j, r := range chunk {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString(row)
				args = append(args, r...)
			}
			if _, err := tx.Exec(q.String(), args...); err != nil {
				b.Fatalf("insert %s: %v", s.table, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// mysqlBackfillCreate10000: Airflow 2 backfill of an hourly DAG over 14
// months (10,081 dates: dagctl_backfill_run rows, the first runs in dag_run,
// the audit row) vs multi-row INSERTs of every row it wrote.
func mysqlBackfillCreate10000(b *testing.B, db *dbtest.DB) {
	r := runner(b, db)
	h := mysqlHandle(b, db)
	defer h.Close()
	exec := func(q string) {
		if _, err := h.Exec(q); err != nil && !strings.Contains(err.Error(), "doesn't exist") {
			b.Fatalf("%s: %v", q, err)
		}
	}
	cleanup := func() {
		exec(`DELETE FROM dag_run WHERE dag_id = 'fx_hourly'`)
		exec(`DELETE FROM dagctl_backfill_run`)
		exec(`DELETE FROM dagctl_backfill`)
		exec(`DELETE FROM log WHERE event LIKE 'dagctl.%'`)
	}
	cleanup()
	var creates, inserts []time.Duration
	rows := 0
	for range reps {
		d, _ := timed(b, r, "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2023-01-01T00:00",
			"--end-date", "2024-02-25T00:00", "-o", "name")
		creates = append(creates, d)
		snaps := []mysqlSnapshot{
			mysqlTake(b, h, "dagctl_backfill", "true"),
			mysqlTake(b, h, "dagctl_backfill_run", "true"),
			mysqlTake(b, h, "dag_run", "dag_id = 'fx_hourly'"),
			mysqlTake(b, h, "log", "event LIKE 'dagctl.%'"),
		}
		if n := len(snaps[1].rows); n != 10081 {
			b.Fatalf("backfill create wrote %d dates, want 10,081", n)
		}
		rows = 0
		for _, s := range snaps {
			rows += len(s.rows)
		}
		cleanup()
		inserts = append(inserts, mysqlInsertBack(b, db, snaps...))
		cleanup()
	}
	c, p := median(creates), median(inserts)
	report(b, "backfill create 10,081 hourly dates (2.10.5 on MariaDB 10.11, in-process)", ms(c), "ms", "< 2000 ms", c < 2*time.Second,
		fmt.Sprintf("%.0f dates/s", 10081/c.Seconds()))
	report(b, fmt.Sprintf("multi-row INSERTs of the same %d rows (MariaDB, one transaction)", rows), ms(p), "ms", "", true, "")
	report(b, "backfill create speed / INSERT speed (MariaDB)", p.Seconds()/c.Seconds(), "ratio", "", true, "")
}
