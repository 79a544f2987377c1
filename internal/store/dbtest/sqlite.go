package dbtest

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite" (pure Go, modernc.org/sqlite)
)

var (
	sqliteMu   sync.Mutex
	sqliteTpls = map[string]*sqliteTemplate{}
)

type sqliteTemplate struct {
	mu   sync.Mutex
	done bool
	path string
	err  error
}

// NewSQLite creates a fresh SQLite database file holding the schema of release, the rows that
// Airflow's own 'db migrate' writes (alembic_version, log_template, default_pool) and the rows the
// options ask for. The file lives in its own temporary directory, removed when the test ends or
// kept and logged when the test failed.
func NewSQLite(t testing.TB, release string, opts ...Option) *DB {
	t.Helper()
	layers, err := collect(opts).layers(SQLite, release)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := sqliteTemplateFile(release, layers)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	dir, err := os.MkdirTemp("", "dagctl-sqlite-")
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	path := filepath.Join(dir, "airflow.db")
	if err := copyFile(tpl, path); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("dbtest: %v", err)
	}
	db := &DB{
		Dialect: SQLite,
		URL:     "sqlite:///" + path,
		Name:    path,
		Path:    path,
		Release: release,
		driver:  "sqlite",
		dsn:     sqliteDSN(path),
	}
	t.Cleanup(func() {
		db.close()
		if t.Failed() {
			t.Logf("dbtest: test failed; kept SQLite database %s (%s)", path, db.URL)
			return
		}
		os.RemoveAll(dir)
	})
	return db
}

// sqliteDSN turns foreign keys on, as Airflow does for every SQLite connection
// (airflow/utils/orm_event_handlers.py, setup_event_handlers), and waits on a locked file.
func sqliteDSN(path string) string {
	return path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
}

// sqliteTemplateFile returns a file built once per process for release and layers; new
// databases are copies of it.
func sqliteTemplateFile(release string, layers []layer) (string, error) {
	keys := make([]string, len(layers))
	for i, l := range layers {
		keys[i] = l.key
	}
	key := release + "-" + strings.Join(keys, "-")
	sqliteMu.Lock()
	tp := sqliteTpls[key]
	if tp == nil {
		tp = &sqliteTemplate{}
		sqliteTpls[key] = tp
	}
	sqliteMu.Unlock()

	tp.mu.Lock()
	defer tp.mu.Unlock()
	if !tp.done {
		tp.path, tp.err = buildSQLiteTemplate(key, release, layers)
		tp.done = true
	}
	return tp.path, tp.err
}

func buildSQLiteTemplate(key, release string, layers []layer) (string, error) {
	root, err := processDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "sqlite")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, key+".db")
	if err := loadSQLite(path, release, layers); err != nil {
		os.Remove(path)
		return "", err
	}
	return path, nil
}

func loadSQLite(path, release string, layers []layer) error {
	h, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer h.Close()
	// One connection: PRAGMA and BEGIN/COMMIT in the fixture scripts are per connection.
	h.SetMaxOpenConns(1)
	for i, l := range layers {
		for _, f := range l.files {
			script, err := readScript(f)
			if err != nil {
				return err
			}
			if _, err := h.Exec(script); err != nil {
				return fmt.Errorf("load %s into %s: %w", filepath.Base(f), path, err)
			}
		}
		if i == 0 {
			seed, err := sqliteSeed(release)
			if err != nil {
				return err
			}
			if _, err := h.Exec(seed); err != nil {
				return fmt.Errorf("seed %s: %w", path, err)
			}
		}
	}
	return nil
}

var logTemplateInsert = regexp.MustCompile(`(?m)^INSERT INTO public\.log_template VALUES \(1, ('(?:[^']|'')*'), ('(?:[^']|'')*'), '([0-9-]+ [0-9:.]+)\+00'\);$`)

// sqliteSeed returns the rows that Airflow's 'db migrate' writes into an empty database and the
// SQLite schema dumps do not hold: the alembic head, the log_template row and default_pool
// (airflow/utils/db.py: initdb → _create_db_from_orm, add_default_pool_if_not_exists,
// synchronize_log_template). The log_template values are those of the PostgreSQL seed dump of
// the same release; SQLite stores Airflow's UTC timestamps as naive text.
func sqliteSeed(release string) (string, error) {
	pgSeed, err := readScript(seedFile(release))
	if err != nil {
		return "", err
	}
	m := logTemplateInsert.FindStringSubmatch(pgSeed)
	if m == nil {
		return "", fmt.Errorf("dbtest: no log_template row in %s", seedFile(release))
	}
	rev := Revision(release)
	if rev == "" {
		return "", fmt.Errorf("dbtest: no alembic_version in the header of %s", schemaFile(release, SQLite))
	}
	return fmt.Sprintf(`BEGIN;
INSERT INTO alembic_version (version_num) VALUES ('%s');
INSERT INTO log_template (id, filename, elasticsearch_id, created_at) VALUES (1, %s, %s, '%s');
INSERT INTO slot_pool (id, pool, slots, description, include_deferred) VALUES (1, 'default_pool', 128, 'Default pool', 0);
COMMIT;
`, rev, m[1], m[2], m[3]), nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
