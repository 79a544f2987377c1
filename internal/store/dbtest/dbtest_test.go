package dbtest

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// From the table in testdata/schemas/README.md.
var want = map[string]struct {
	revision string
	tables   int
}{
	"2.10.5": {"5f2621c13b39", 48},
	"2.11.0": {"5f2621c13b39", 48},
	"2.11.1": {"5f2621c13b39", 48},
	"3.0.2":  {"29ce7909c52b", 45},
	"3.0.3":  {"fe199e1abd77", 45},
	"3.1.0":  {"cc92b33c6709", 50},
	"3.1.8":  {"509b94a1042d", 50},
	"3.2.0":  {"1d6611b6ab7c", 55},
	"3.3.0":  {"d2f4e1b3c5a7", 58},
}

func newDB(t testing.TB, dialect, release string, opts ...Option) *DB {
	t.Helper()
	switch dialect {
	case Postgres:
		return NewPostgres(t, release, opts...)
	case MySQL:
		return NewMySQL(t, release, opts...)
	}
	return NewSQLite(t, release, opts...)
}

func TestReleaseLists(t *testing.T) {
	if got := Releases(); len(got) != len(want) {
		t.Fatalf("Releases() = %v, want the %d releases of the README", got, len(want))
	}
	for _, rel := range Releases() {
		if got := Revision(rel); got != want[rel].revision {
			t.Errorf("Revision(%s) = %q, want %q", rel, got, want[rel].revision)
		}
	}
	if !slices.Equal(PostgresReleases(), Releases()) || !slices.Equal(SQLiteReleases(), Releases()) {
		t.Errorf("every release should have both schemas: pg %v, sqlite %v", PostgresReleases(), SQLiteReleases())
	}
	if got, w := ReleasesWith(SQLite, WithSampleDAGs()), []string{"2.10.5", "3.0.3", "3.1.8"}; !slices.Equal(got, w) {
		t.Errorf("SQLite sample-DAG releases = %v, want %v", got, w)
	}
	if got, w := ReleasesWith(Postgres, WithReferenceRuns()), []string{"2.10.5", "3.0.3", "3.1.8", "3.2.0", "3.3.0"}; !slices.Equal(got, w) {
		t.Errorf("PostgreSQL reference-run releases = %v, want %v", got, w)
	}
	if HasSampleDAGs(SQLite, "3.2.0") || !HasSampleDAGs(Postgres, "3.2.0") || HasReferenceRuns(SQLite, "2.10.5") ||
		!HasCompressedDAGs(Postgres, "2.10.5") || HasCompressedDAGs(Postgres, "2.11.0") {
		t.Error("Has* disagree with the files in testdata/fixtures")
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		dialect, release string
		opts             []Option
		want             string
	}{
		{Postgres, "2.9.0", nil, "unknown Airflow release"},
		{"mssql", "3.0.3", nil, "unknown dialect"},
		{MySQL, "3.0.3", nil, "no mysql schema"},
		{SQLite, "3.0.3", []Option{WithReferenceRuns()}, "no reference-runs fixture"},
		{SQLite, "3.2.0", []Option{WithSampleDAGs()}, "no sample-dags fixture"},
		{Postgres, "3.0.2", []Option{WithSampleDAGs()}, "no sample-dags fixture"},
		{Postgres, "3.0.3", []Option{WithCompressedDAGs(), WithSampleDAGs()}, "cannot be combined"},
	} {
		_, err := collect(tc.opts).layers(tc.dialect, tc.release)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: error %v, want %q", tc.dialect, tc.release, err, tc.want)
		}
	}
}

// TestLoadTimes reports how long building every template takes (in a fresh process this is
// the cost that the first tests pay).
func TestLoadTimes(t *testing.T) {
	start := time.Now()
	requireCluster(t)
	t.Logf("cluster start (initdb + postgres): %v", time.Since(start))
	start = time.Now()
	for _, rel := range Releases() {
		NewPostgres(t, rel)
		NewSQLite(t, rel)
	}
	t.Logf("first database of every release on both dialects (templates built): %v", time.Since(start))
}

func TestSchemaLoads(t *testing.T) {
	for _, dialect := range []string{Postgres, SQLite} {
		for _, rel := range Releases() {
			t.Run(dialect+"/"+rel, func(t *testing.T) {
				t.Parallel()
				db := newDB(t, dialect, rel)
				if db.Dialect != dialect || db.Release != rel {
					t.Errorf("DB = %s %s", db.Dialect, db.Release)
				}
				if got := db.ScalarString(t, "SELECT version_num FROM alembic_version"); got != want[rel].revision {
					t.Errorf("alembic_version = %q, want %q", got, want[rel].revision)
				}
				var tables []string
				for _, name := range db.Tables(t) {
					if !strings.HasPrefix(name, "sqlite_") {
						tables = append(tables, name)
					}
				}
				if len(tables) != want[rel].tables {
					t.Errorf("%d tables, want %d: %v", len(tables), want[rel].tables, tables)
				}
				if got := db.ScalarInt(t, "SELECT slots FROM slot_pool WHERE pool = ?", "default_pool"); got != 128 {
					t.Errorf("default_pool slots = %d", got)
				}
				lt := db.QueryRows(t, "SELECT id, filename, elasticsearch_id FROM log_template")
				if len(lt) != 1 || lt[0][0] != int64(1) ||
					!strings.HasPrefix(text(lt[0][1]), "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/") ||
					text(lt[0][2]) != "{dag_id}-{task_id}-{run_id}-{map_index}-{try_number}" {
					t.Errorf("log_template rows = %v", lt)
				}
				// Apart from the seed tables, the database is empty.
				if n := db.ScalarInt(t, "SELECT count(*) FROM dag"); n != 0 {
					t.Errorf("%d dag rows in a fresh database", n)
				}
			})
		}
	}
}

func TestSQLiteLogTemplateMatchesPostgresSeed(t *testing.T) {
	for _, rel := range []string{"2.10.5", "3.0.3", "3.3.0"} {
		pg := NewPostgres(t, rel)
		lite := NewSQLite(t, rel)
		q := "SELECT filename, elasticsearch_id FROM log_template WHERE id = 1"
		p, s := pg.QueryRows(t, q), lite.QueryRows(t, q)
		if fmt.Sprint(p) != fmt.Sprint(s) {
			t.Errorf("%s: log_template differs:\npostgres %v\nsqlite   %v", rel, p, s)
		}
		ts := lite.ScalarString(t, "SELECT CAST(created_at AS TEXT) FROM log_template")
		if _, err := time.Parse("2006-01-02 15:04:05.999999", ts); err != nil {
			t.Errorf("%s: SQLite created_at %q is not Airflow's naive UTC text: %v", rel, ts, err)
		}
	}
}

func TestSampleDAGs(t *testing.T) {
	for _, dialect := range []string{Postgres, SQLite} {
		for _, rel := range ReleasesWith(dialect, WithSampleDAGs()) {
			t.Run(dialect+"/"+rel, func(t *testing.T) {
				t.Parallel()
				db := newDB(t, dialect, rel, WithSampleDAGs())
				if n := db.ScalarInt(t, "SELECT count(*) FROM dag WHERE dag_id LIKE 'fx_%'"); n != 14 {
					t.Errorf("%d fx_ DAGs, want 14", n)
				}
				if n := db.ScalarInt(t, "SELECT count(*) FROM serialized_dag"); n != 14 {
					t.Errorf("%d serialized_dag rows, want 14", n)
				}
				paused := db.QueryRows(t, "SELECT dag_id FROM dag WHERE is_paused = ? ORDER BY dag_id", true)
				if len(paused) != 1 || paused[0][0] != "fx_paused" {
					t.Errorf("paused DAGs = %v, want only fx_paused", paused)
				}
				if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); n != 0 {
					t.Errorf("%d dag_run rows without WithReferenceRuns", n)
				}
			})
		}
	}
}

func TestReferenceRuns(t *testing.T) {
	for _, rel := range ReleasesWith(Postgres, WithReferenceRuns()) {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			db := NewPostgres(t, rel, WithReferenceRuns())
			wantRuns := int64(8) // 3 triggered + 5 backfill runs (README "Reference runs")
			if rel == "2.10.5" {
				wantRuns = 3
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); n != wantRuns {
				t.Errorf("%d dag_run rows, want %d", n, wantRuns)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag"); n != 14 {
				t.Errorf("%d dag rows, want the 14 sample DAGs under the runs", n)
			}
			if rel == "2.10.5" {
				conf, ok := db.Scalar(t, "SELECT conf FROM dag_run WHERE id = 1").([]byte)
				const pickled = "80059523000000000000007d94288c0161944b018c066e6573746564947d948c0162945d94284b014b026573752e"
				if !ok || hex.EncodeToString(conf) != pickled {
					t.Errorf("run 1 conf = %x, want the pickle bytes of the README", conf)
				}
				return
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM backfill_dag_run"); n != 5 {
				t.Errorf("%d backfill_dag_run rows, want 5", n)
			}
			if got := db.ScalarString(t, "SELECT conf->>'a' FROM dag_run WHERE id = 1"); got != "1" {
				t.Errorf("run 1 conf->>'a' = %q", got)
			}
		})
	}
}

func TestCompressedDAGs(t *testing.T) {
	for _, rel := range ReleasesWith(Postgres, WithCompressedDAGs()) {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			db := NewPostgres(t, rel, WithCompressedDAGs())
			rows := db.QueryRows(t, "SELECT dag_id, data::text, data_compressed FROM serialized_dag")
			if len(rows) != 1 || rows[0][0] != "fx_daily_cron" {
				t.Fatalf("serialized_dag rows = %v, want only fx_daily_cron", rows)
			}
			if rows[0][1] != nil && rows[0][1] != "null" {
				t.Errorf("data = %v, want JSON null", rows[0][1])
			}
			if b, ok := rows[0][2].([]byte); !ok || len(b) < 2 || b[0] != 0x78 {
				t.Errorf("data_compressed is not a zlib stream: %x", rows[0][2])
			}
		})
	}
}

func TestIsolation(t *testing.T) {
	for _, dialect := range []string{Postgres, SQLite} {
		t.Run(dialect, func(t *testing.T) {
			a := newDB(t, dialect, "3.0.3", WithSampleDAGs())
			b := newDB(t, dialect, "3.0.3", WithSampleDAGs())
			if a.Name == b.Name || a.URL == b.URL {
				t.Fatalf("two databases share a name: %s", a.Name)
			}
			a.SQL(t, "INSERT INTO variable (id, key, val, description, is_encrypted) VALUES (?, ?, ?, ?, ?)",
				1, "only_in_a", "x", nil, false)
			if got := a.SQL(t, "DELETE FROM dag_tag WHERE dag_id = ?", "fx_tags_params"); got == 0 {
				t.Error("no dag_tag rows deleted")
			}
			if n := b.ScalarInt(t, "SELECT count(*) FROM variable WHERE key = 'only_in_a'"); n != 0 {
				t.Error("a row written in one database is visible in another")
			}
			if n := b.ScalarInt(t, "SELECT count(*) FROM dag_tag WHERE dag_id = ?", "fx_tags_params"); n == 0 {
				t.Error("a delete in one database removed rows of another")
			}
			// A database made after the writes still starts from the template.
			c := newDB(t, dialect, "3.0.3", WithSampleDAGs())
			if c.Checksum(t) != b.Checksum(t) {
				t.Error("a later database differs from an untouched one")
			}
		})
	}
}

func TestChecksum(t *testing.T) {
	for _, dialect := range []string{Postgres, SQLite} {
		t.Run(dialect, func(t *testing.T) {
			db := newDB(t, dialect, "2.10.5", WithSampleDAGs())
			before := db.Checksum(t)
			if again := db.Checksum(t); again != before {
				t.Fatal("checksum is not stable")
			}
			if other := newDB(t, dialect, "2.10.5", WithSampleDAGs()); other.Checksum(t) != before {
				t.Error("two fresh databases of the same kind have different checksums")
			}
			if empty := newDB(t, dialect, "2.10.5"); empty.Checksum(t) == before {
				t.Error("checksum ignores the sample DAG rows")
			}
			db.SQL(t, "UPDATE dag SET is_paused = ? WHERE dag_id = ?", true, "fx_hourly")
			updated := db.Checksum(t)
			if updated == before {
				t.Error("checksum unchanged after an UPDATE")
			}
			db.SQL(t, "UPDATE dag SET is_paused = ? WHERE dag_id = ?", false, "fx_hourly")
			if db.Checksum(t) != before {
				t.Error("checksum differs after the UPDATE was undone")
			}
			db.SQL(t, "INSERT INTO slot_pool (id, pool, slots, description, include_deferred) VALUES (2, 'p2', 1, NULL, ?)", false)
			if db.Checksum(t) == before {
				t.Error("checksum unchanged after an INSERT")
			}
		})
	}
}

func TestParallelBurst(t *testing.T) {
	start := time.Now()
	var mu sync.Mutex
	names := map[string]bool{}
	t.Run("burst", func(t *testing.T) {
		for i := range 20 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				rels := []string{"3.1.8", "3.2.0"}
				db := NewPostgres(t, rels[i%2], WithReferenceRuns())
				db.SQL(t, "INSERT INTO variable (key, val, is_encrypted) VALUES (?, ?, ?)", "burst", fmt.Sprint(i), false)
				if got := db.ScalarString(t, "SELECT val FROM variable WHERE key = 'burst'"); got != fmt.Sprint(i) {
					t.Errorf("variable = %q, want %d", got, i)
				}
				if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); n != 8 {
					t.Errorf("%d dag_run rows, want 8", n)
				}
				mu.Lock()
				names[db.Name] = true
				mu.Unlock()
			})
		}
	})
	if len(names) != 20 {
		t.Errorf("%d distinct databases for 20 tests", len(names))
	}
	t.Logf("20 parallel NewPostgres (two releases, templates built on demand): %v", time.Since(start))
}

func TestURL(t *testing.T) {
	pg := NewPostgres(t, "3.0.3")
	u, err := url.Parse(pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "postgresql" || u.User.Username() != "postgres" || u.Path != "/"+pg.Name {
		t.Errorf("URL %s", pg.URL)
	}
	if st, err := os.Stat(filepath.Join(u.Query().Get("host"), ".s.PGSQL.5432")); err != nil || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("URL host %q does not hold the server socket: %v", u.Query().Get("host"), err)
	}
	lite := NewSQLite(t, "3.0.3")
	if lite.URL != "sqlite:///"+lite.Path || !filepath.IsAbs(lite.Path) || !strings.HasPrefix(lite.URL, "sqlite:////") {
		t.Errorf("SQLite URL %s for %s", lite.URL, lite.Path)
	}
	if lite.DriverName() != "sqlite" || pg.DriverName() != "pgx" {
		t.Error("driver names")
	}
	// Foreign keys are on, as Airflow turns them on for SQLite.
	if n := lite.ScalarInt(t, "PRAGMA foreign_keys"); n != 1 {
		t.Errorf("PRAGMA foreign_keys = %d", n)
	}
}

// keepTB is a test that reports failure to dbtest's cleanup, without failing the real test.
type keepTB struct {
	testing.TB
	cleanups []func()
	logs     []string
}

func (k *keepTB) Cleanup(f func()) { k.cleanups = append(k.cleanups, f) }
func (k *keepTB) Failed() bool     { return true }
func (k *keepTB) Logf(format string, args ...any) {
	k.logs = append(k.logs, fmt.Sprintf(format, args...))
}
func (k *keepTB) runCleanups() {
	for i := len(k.cleanups) - 1; i >= 0; i-- {
		k.cleanups[i]()
	}
}

func TestFailedTestKeepsDatabase(t *testing.T) {
	t.Run(Postgres, func(t *testing.T) {
		k := &keepTB{TB: t}
		db := NewPostgres(k, "2.11.1")
		k.runCleanups()
		admin := requireCluster(t).admin
		var n int
		if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", db.Name).Scan(&n); err != nil || n != 1 {
			t.Fatalf("database %s of a failed test was not kept (%d, %v)", db.Name, n, err)
		}
		if len(k.logs) != 1 || !strings.Contains(k.logs[0], db.Name) {
			t.Errorf("logs %q do not name the kept database", k.logs)
		}
		// Undo, so that this passing run does not keep the cluster.
		c := pgCluster
		c.keptMu.Lock()
		c.kept = slices.DeleteFunc(c.kept, func(s string) bool { return s == db.Name })
		c.keptMu.Unlock()
		if _, err := admin.Exec(`DROP DATABASE ` + quoteIdent(db.Name)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run(SQLite, func(t *testing.T) {
		k := &keepTB{TB: t}
		db := NewSQLite(k, "2.11.1")
		k.runCleanups()
		if _, err := os.Stat(db.Path); err != nil {
			t.Fatalf("file of a failed test was not kept: %v", err)
		}
		if len(k.logs) != 1 || !strings.Contains(k.logs[0], db.Path) {
			t.Errorf("logs %q do not name the kept file", k.logs)
		}
		os.RemoveAll(filepath.Dir(db.Path))
	})
	t.Run("passing test removes", func(t *testing.T) {
		var path, name string
		t.Run("inner", func(t *testing.T) {
			path = NewSQLite(t, "2.11.1").Path
			name = NewPostgres(t, "2.11.1").Name
		})
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("file %s of a passing test still exists (%v)", path, err)
		}
		var n int
		if err := requireCluster(t).admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil || n != 0 {
			t.Errorf("database %s of a passing test still exists (%d, %v)", name, n, err)
		}
	})
}

func TestRebind(t *testing.T) {
	pg := &DB{Dialect: Postgres}
	for in, out := range map[string]string{
		"SELECT ?":                           "SELECT $1",
		"SELECT '?', \"a?\", ? -- why?\n, ?": "SELECT '?', \"a?\", $1 -- why?\n, $2",
		"SELECT $1":                          "SELECT $1",
	} {
		if got := pg.rebind(in); got != out {
			t.Errorf("rebind(%q) = %q, want %q", in, got, out)
		}
	}
	if got := (&DB{Dialect: SQLite}).rebind("SELECT ?"); got != "SELECT ?" {
		t.Errorf("SQLite rebind = %q", got)
	}
}
