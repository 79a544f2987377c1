package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestKeysetPageIsIndexBounded checks, with EXPLAIN ANALYZE on PostgreSQL,
// that a middle page of one DAG's runs by logical date reads about one page
// of rows, in both directions: the keyset condition must give the
// (dag_id, logical_date) index a bound, not only a filter.
func TestKeysetPageIsIndexBounded(t *testing.T) {
	for _, rel := range []string{"2.10.5", "3.0.3"} {
		t.Run(rel, func(t *testing.T) {
			db := dbtest.NewPostgres(t, rel, dbtest.WithSampleDAGs())
			ctx := context.Background()
			s, err := Open(ctx, OpenOptions{Dialect: DialectPostgres, DSN: db.DSN(), Redacted: db.Name, HostPort: db.Name})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			col := s.Schema().LogicalDateColumn()
			const n = 20000
			extra, extraVal := "", ""
			if s.Schema().Major == 3 {
				extra, extraVal = ", run_after", ", now()"
			}
			db.SQL(t, `INSERT INTO dag_run (dag_id, run_id, `+col+`, state, run_type, data_interval_start,
				data_interval_end, clear_number, log_template_id, updated_at`+extra+`)
				SELECT 'fx_daily_cron', 'scheduled__' || g, timestamptz '2000-01-01 00:00:00+00' + g * interval '1 hour',
					'success', 'scheduled', timestamptz '2000-01-01 00:00:00+00' + g * interval '1 hour',
					timestamptz '2000-01-01 00:00:00+00' + (g + 1) * interval '1 hour', 0,
					(SELECT max(id) FROM log_template), now()`+extraVal+`
				FROM generate_series(1, ?) g`, n)
			if s.Schema().Major == 3 {
				db.SQL(t, `INSERT INTO dag_run (dag_id, run_id, state, run_type, clear_number, log_template_id, updated_at, run_after)
					SELECT 'fx_daily_cron', 'asset_triggered__' || g, 'success', 'asset_triggered', 0,
						(SELECT max(id) FROM log_template), now(), now()
					FROM generate_series(1, 50) g`)
			}
			db.SQL(t, "ANALYZE dag_run")
			mid := db.ScalarInt(t, "SELECT id FROM dag_run WHERE dag_id = 'fx_daily_cron' AND run_id = 'scheduled__10000'")
			for _, desc := range []bool{false, true} {
				f := RunFilter{DagID: "fx_daily_cron", Sort: SortLogicalDate, Desc: desc, AfterID: mid}
				qs, err := s.listRunsQuery(ctx, f, true)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range qs {
					var plan string
					err = s.read(ctx, func(db *gorm.DB) error {
						return db.Raw("EXPLAIN (ANALYZE, FORMAT JSON) "+q.sql+" LIMIT 100", q.args...).Row().Scan(&plan)
					})
					if err != nil {
						t.Fatal(err)
					}
					if read := rowsRead(t, plan); read > 500 {
						t.Errorf("desc=%v: a page of 100 read %d rows:\n%s\n%s", desc, read, q.sql, plan)
					}
				}
			}
			// The page after the last date goes on with the NULLs (3.x), and
			// every run comes exactly once.
			last := db.ScalarInt(t, "SELECT id FROM dag_run WHERE dag_id = 'fx_daily_cron' AND run_id = 'scheduled__19990'")
			runs, err := s.ListRuns(ctx, RunFilter{DagID: "fx_daily_cron", Sort: SortLogicalDate, AfterID: last, Limit: 30})
			if err != nil {
				t.Fatal(err)
			}
			want := 10
			if s.Schema().Major == 3 {
				want = 30
			}
			if len(runs) != want || runs[9].RunID != "scheduled__20000" || (want == 30 && runs[10].LogicalDate != nil) {
				t.Errorf("page after scheduled__19990: %d runs, want %d (dates then NULLs)", len(runs), want)
			}
			var streamed int
			err = s.StreamRuns(ctx, RunFilter{DagID: "fx_daily_cron", Sort: SortLogicalDate, AfterID: last}, false, func(*Run) error {
				streamed++
				return nil
			})
			if want = 10; s.Schema().Major == 3 {
				want = 60
			}
			if err != nil || streamed != want {
				t.Errorf("stream after scheduled__19990: %d runs (%v), want %d", streamed, err, want)
			}
		})
	}
}

// rowsRead sums the rows every plan node produced or removed by a filter.
func rowsRead(t *testing.T, plan string) int {
	t.Helper()
	var top []struct{ Plan map[string]any }
	if err := json.Unmarshal([]byte(plan), &top); err != nil {
		t.Fatal(err)
	}
	var walk func(node map[string]any) int
	walk = func(node map[string]any) int {
		n := 0
		for k, v := range node {
			switch {
			case k == "Actual Rows" || strings.HasPrefix(k, "Rows Removed"):
				n += int(v.(float64))
			case k == "Plans":
				for _, c := range v.([]any) {
					n += walk(c.(map[string]any))
				}
			}
		}
		return n
	}
	return walk(top[0].Plan)
}

// TestKeysetPageIsIndexBoundedSQLite: on SQLite the page after a date is a
// range search of the (dag_id, logical date) index, in index order (no
// temporary B-tree to sort).
func TestKeysetPageIsIndexBoundedSQLite(t *testing.T) {
	for _, rel := range []string{"2.10.5", "3.0.3"} {
		t.Run(rel, func(t *testing.T) {
			db := dbtest.NewSQLite(t, rel, dbtest.WithSampleDAGs())
			ctx := context.Background()
			s, err := Open(ctx, OpenOptions{Dialect: DialectSQLite, DSN: db.DSN(), Redacted: db.Name, HostPort: db.Name})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			col := s.Schema().LogicalDateColumn()
			extra, extraVal := "", ""
			if s.Schema().Major == 3 {
				extra, extraVal = ", run_after", ", d"
			}
			db.SQL(t, `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000),
				t(n, d) AS (SELECT n, strftime('%Y-%m-%d %H:%M:%S.000000', '2000-01-01', '+' || n || ' hours') FROM g)
				INSERT INTO dag_run (dag_id, run_id, `+col+`, state, run_type, data_interval_start, data_interval_end,
					clear_number, log_template_id, updated_at`+extra+`)
				SELECT 'fx_daily_cron', 'scheduled__' || n, d, 'success', 'scheduled', d, d, 0,
					(SELECT max(id) FROM log_template), d`+extraVal+` FROM t`)
			db.SQL(t, "ANALYZE")
			mid := db.ScalarInt(t, "SELECT id FROM dag_run WHERE run_id = 'scheduled__1000'")
			for _, desc := range []bool{false, true} {
				qs, err := s.listRunsQuery(ctx, RunFilter{DagID: "fx_daily_cron", Sort: SortLogicalDate, Desc: desc, AfterID: mid}, true)
				if err != nil {
					t.Fatal(err)
				}
				var details []string
				err = s.read(ctx, func(db *gorm.DB) error {
					rows, err := db.Raw("EXPLAIN QUERY PLAN "+qs[0].sql+" LIMIT 100", qs[0].args...).Rows()
					if err != nil {
						return err
					}
					defer rows.Close()
					for rows.Next() {
						var id, parent, unused int
						var detail string
						if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
							return err
						}
						details = append(details, detail)
					}
					return rows.Err()
				})
				if err != nil {
					t.Fatal(err)
				}
				plan := strings.Join(details, "; ")
				t.Logf("desc=%v: %s", desc, plan)
				bound := col + ">?"
				if desc {
					bound = col + "<?"
				}
				if !strings.Contains(plan, bound) || strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("desc=%v: plan %q, want an index range on %s in index order\n%s", desc, plan, bound, qs[0].sql)
				}
			}
		})
	}
}
