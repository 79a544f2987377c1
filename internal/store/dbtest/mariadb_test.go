package dbtest

import (
	"encoding/hex"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMySQLReleases(t *testing.T) {
	if got := MySQLReleases(); !slices.Equal(got, []string{"2.10.5"}) {
		t.Errorf("MySQLReleases() = %v, want [2.10.5]", got)
	}
	if got := ReleasesWith(MySQL, WithReferenceRuns()); !slices.Equal(got, []string{"2.10.5"}) {
		t.Errorf("MySQL reference-run releases = %v", got)
	}
	if !HasSampleDAGs(MySQL, "2.10.5") || !HasReferenceRuns(MySQL, "2.10.5") || HasCompressedDAGs(MySQL, "2.10.5") {
		t.Error("Has* disagree with the MySQL files in testdata")
	}
}

func TestMySQLSchemaLoads(t *testing.T) {
	start := time.Now()
	db := NewMySQL(t, "2.10.5")
	t.Logf("first MySQL database (server start + load): %v", time.Since(start))
	if db.Dialect != MySQL || db.DriverName() != "mysql" {
		t.Errorf("DB = %s %s", db.Dialect, db.DriverName())
	}
	if got := db.ScalarString(t, "SELECT version_num FROM alembic_version"); got != want["2.10.5"].revision {
		t.Errorf("alembic_version = %q", got)
	}
	if tables := db.Tables(t); len(tables) != want["2.10.5"].tables {
		t.Errorf("%d tables, want %d: %v", len(tables), want["2.10.5"].tables, tables)
	}
	if got := db.ScalarInt(t, "SELECT slots FROM slot_pool WHERE pool = ?", "default_pool"); got != 128 {
		t.Errorf("default_pool slots = %d", got)
	}
	// The server's own zone is not UTC, the handle's session is (as Airflow's).
	if got := db.ScalarString(t, "SELECT @@global.time_zone"); got != ServerTimeZone {
		t.Errorf("server time zone %q, want %q", got, ServerTimeZone)
	}
	if got := db.ScalarString(t, "SELECT @@session.time_zone"); got != "+00:00" {
		t.Errorf("session time zone %q, want +00:00", got)
	}
	lt, ok := db.Scalar(t, "SELECT created_at FROM log_template WHERE id = 1").(time.Time)
	if !ok || lt.Format("2006-01-02 15:04:05.000000") != "2026-11-27 10:15:45.182085" || lt.Location() != time.UTC {
		t.Errorf("log_template.created_at = %v, want the dump's UTC value", lt)
	}
	start = time.Now()
	NewMySQL(t, "2.10.5", WithReferenceRuns())
	t.Logf("a MySQL database with reference runs: %v", time.Since(start))
}

func TestMySQLReferenceRuns(t *testing.T) {
	db := NewMySQL(t, "2.10.5", WithReferenceRuns())
	if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); n != 3 {
		t.Errorf("%d dag_run rows, want 3", n)
	}
	if n := db.ScalarInt(t, "SELECT count(*) FROM dag"); n != 14 {
		t.Errorf("%d dag rows", n)
	}
	conf, ok := db.Scalar(t, "SELECT conf FROM dag_run WHERE id = 1").([]byte)
	const pickled = "80059523000000000000007d94288c0161944b018c066e6573746564947d948c0162945d94284b014b026573752e"
	if !ok || hex.EncodeToString(conf) != pickled {
		t.Errorf("run 1 conf = %x, want the pickle bytes of the README", conf)
	}
	ed, ok := db.Scalar(t, "SELECT execution_date FROM dag_run WHERE id = 1").(time.Time)
	if !ok || !ed.Equal(time.Date(2024, 6, 15, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("run 1 execution_date = %v", ed)
	}
}

func TestMySQLIsolationAndChecksum(t *testing.T) {
	a := NewMySQL(t, "2.10.5", WithSampleDAGs())
	b := NewMySQL(t, "2.10.5", WithSampleDAGs())
	if a.Name == b.Name {
		t.Fatal("two databases share a name")
	}
	before := b.Checksum(t)
	if a.Checksum(t) != before {
		t.Error("two fresh databases of the same kind have different checksums")
	}
	a.SQL(t, "UPDATE dag SET is_paused = ? WHERE dag_id = ?", true, "fx_hourly")
	if a.Checksum(t) == before {
		t.Error("checksum unchanged after an UPDATE")
	}
	if b.Checksum(t) != before {
		t.Error("a write in one database changed another")
	}
}

func TestMySQLURL(t *testing.T) {
	db := NewMySQL(t, "2.10.5")
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "mysql" || u.User.Username() != "root" || u.Path != "/"+db.Name || u.Host != "localhost" {
		t.Errorf("URL %s", db.URL)
	}
	if st, err := os.Stat(u.Query().Get("unix_socket")); err != nil || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("URL unix_socket %q is not the server socket: %v", u.Query().Get("unix_socket"), err)
	}
}

func TestMySQLFailedTestKeepsDatabase(t *testing.T) {
	k := &keepTB{TB: t}
	db := NewMySQL(k, "2.10.5")
	k.runCleanups()
	s := requireMariaDB(t)
	var n int
	if err := s.admin.QueryRow("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", db.Name).Scan(&n); err != nil || n != 1 {
		t.Fatalf("database %s of a failed test was not kept (%d, %v)", db.Name, n, err)
	}
	if len(k.logs) != 1 || !strings.Contains(k.logs[0], db.Name) {
		t.Errorf("logs %q do not name the kept database", k.logs)
	}
	s.keptMu.Lock()
	s.kept = slices.DeleteFunc(s.kept, func(x string) bool { return x == db.Name })
	s.keptMu.Unlock()
	if _, err := s.admin.Exec("DROP DATABASE " + quoteMySQL(db.Name)); err != nil {
		t.Fatal(err)
	}
}
