// Package sandboxdb writes a throwaway Airflow metadata database into a
// SQLite file: a real Airflow schema, the rows Airflow's own `db migrate`
// writes into an empty database, and the sample DAGs as Airflow serialized
// them. Everything comes from files embedded in the binary; nothing is
// downloaded and no Airflow is needed.
//
// The embedded files are copies of internal/store/dbtest/testdata (see
// airflow/README.md); the seed rows mirror internal/store/dbtest/sqlite.go.
package sandboxdb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite" (pure Go)

	"github.com/dagctl/dagctl/internal/apperr"
)

//go:embed airflow/*.sql
var files embed.FS

// DefaultRelease is the release a sandbox holds unless asked otherwise.
const DefaultRelease = "3.0.3"

// Releases are the Airflow releases a sandbox can hold.
var Releases = []string{"2.10.5", "3.0.3"}

// Info describes a sandbox database that was written.
type Info struct {
	Path     string `json:"path"`
	URL      string `json:"url"`
	Release  string `json:"release"`
	Revision string `json:"alembic_revision"`
	DAGs     int    `json:"dags"`
}

// Options say where and what to write.
type Options struct {
	Path    string
	Release string // "" = DefaultRelease
	Force   bool   // replace an existing file
}

// Create writes a new sandbox database. It refuses (apperr.KindConflict) to
// replace an existing file unless Force is set. The database is built in a
// temporary file next to Path and moved into place when complete, so a
// failure never leaves a half-loaded database behind.
func Create(ctx context.Context, opts Options) (*Info, error) {
	release := opts.Release
	if release == "" {
		release = DefaultRelease
	}
	if !slices.Contains(Releases, release) {
		return nil, apperr.Invalid("--release: %q is not available; use one of %v", release, Releases)
	}
	if opts.Path == "" {
		return nil, apperr.Invalid("sandbox path: required")
	}
	path, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("sandbox path: %w", err)
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return nil, apperr.Conflict("create sandbox: %s is a directory", path)
		}
		if !opts.Force {
			return nil, apperr.Conflict("create sandbox: %s already exists (use --force to replace it)", path)
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(tmpPath) // a no-op once renamed

	rev, dags, err := load(ctx, tmpPath, release)
	if err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	if err := place(tmpPath, path, opts.Force); err != nil {
		return nil, err
	}
	return &Info{Path: path, URL: "sqlite:///" + path, Release: release, Revision: rev, DAGs: dags}, nil
}

// place moves the finished file to path. Without force it links, which fails
// if path appeared in the meantime, rather than silently replacing it.
func place(tmpPath, path string, force bool) error {
	if force {
		// Stale journals of the replaced database would be applied to the new one.
		for _, suffix := range []string{"-journal", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
		if err := os.Rename(tmpPath, path); err != nil {
			return fmt.Errorf("create sandbox: %w", err)
		}
		return nil
	}
	err := os.Link(tmpPath, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrExist):
		return apperr.Conflict("create sandbox: %s already exists (use --force to replace it)", path)
	}
	// Some file systems cannot hard-link; path did not exist a moment ago.
	if err := os.Rename(tmpPath, path); err != nil {
		return fmt.Errorf("create sandbox: %w", err)
	}
	return nil
}

func load(ctx context.Context, path, release string) (revision string, dags int, err error) {
	schema, err := read("airflow-" + release + ".sqlite.sql")
	if err != nil {
		return "", 0, err
	}
	revision, err = Revision(release)
	if err != nil {
		return "", 0, err
	}
	seed, err := seedSQL(release, revision)
	if err != nil {
		return "", 0, err
	}
	sample, err := read("airflow-" + release + ".sample-dags.sqlite.sql")
	if err != nil {
		return "", 0, err
	}
	h, err := sql.Open("sqlite", path)
	if err != nil {
		return "", 0, err
	}
	defer h.Close()
	// One connection: PRAGMA and BEGIN/COMMIT in the scripts are per connection.
	h.SetMaxOpenConns(1)
	for _, step := range []struct{ name, script string }{
		{"schema", schema}, {"seed rows", seed}, {"sample DAGs", sample},
	} {
		if _, err := h.ExecContext(ctx, step.script); err != nil {
			return "", 0, fmt.Errorf("load %s of Airflow %s: %w", step.name, release, err)
		}
	}
	if err := h.QueryRowContext(ctx, "SELECT count(*) FROM dag").Scan(&dags); err != nil {
		return "", 0, fmt.Errorf("count sample DAGs: %w", err)
	}
	if err := h.Close(); err != nil {
		return "", 0, err
	}
	return revision, dags, nil
}

var revisionLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^-- alembic_version: ([0-9a-f]+)\s*$`) })

// Revision returns the alembic head stamped by release, read from the header
// of its schema dump.
func Revision(release string) (string, error) {
	schema, err := read("airflow-" + release + ".sqlite.sql")
	if err != nil {
		return "", err
	}
	m := revisionLine().FindStringSubmatch(schema)
	if m == nil {
		return "", fmt.Errorf("no alembic_version line in the schema of Airflow %s", release)
	}
	return m[1], nil
}

var logTemplateInsert = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^INSERT INTO public\.log_template VALUES \(1, ('(?:[^']|'')*'), ('(?:[^']|'')*'), '([0-9-]+ [0-9:.]+)\+00'\);$`)
})

// seedSQL returns the rows Airflow's `db migrate` writes into an empty
// database and the SQLite schema dump does not hold: the alembic head, the
// log_template row and default_pool with 128 slots (airflow/utils/db.py:
// initdb → _create_db_from_orm, add_default_pool_if_not_exists,
// synchronize_log_template). The log_template values come from the
// PostgreSQL seed dump of the same release; SQLite keeps UTC as naive text.
func seedSQL(release, revision string) (string, error) {
	pg, err := read("airflow-" + release + ".postgres.seed.sql")
	if err != nil {
		return "", err
	}
	m := logTemplateInsert().FindStringSubmatch(pg)
	if m == nil {
		return "", fmt.Errorf("no log_template row in the seed of Airflow %s", release)
	}
	return fmt.Sprintf(`BEGIN;
INSERT INTO alembic_version (version_num) VALUES ('%s');
INSERT INTO log_template (id, filename, elasticsearch_id, created_at) VALUES (1, %s, %s, '%s');
INSERT INTO slot_pool (id, pool, slots, description, include_deferred) VALUES (1, 'default_pool', 128, 'Default pool', 0);
COMMIT;
`, revision, m[1], m[2], m[3]), nil
}

func read(name string) (string, error) {
	b, err := files.ReadFile("airflow/" + name)
	if err != nil {
		return "", fmt.Errorf("embedded %s: %w", name, err)
	}
	return string(b), nil
}
