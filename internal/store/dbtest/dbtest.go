// Package dbtest gives integration tests throwaway databases that hold the real Airflow metadata
// schemas: PostgreSQL databases cloned from per-release templates in a private cluster, and SQLite
// files. The schemas and fixture rows are the dumps under testdata/ (see the READMEs there).
//
// A test package that uses NewPostgres should call Main from its TestMain, so that the cluster is
// stopped and its directory removed when the tests end:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// A database whose test failed is kept and its name or path is logged.
package dbtest

import (
	"embed"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Dialect names, as in DB.Dialect.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
	// MySQL is Airflow's MySQL dialect, served in tests by MariaDB (see NewMySQL).
	MySQL = "mysql"
)

//go:embed testdata/schemas/*.sql testdata/fixtures/*.sql
var files embed.FS

var releases = []string{"2.10.5", "2.11.0", "2.11.1", "3.0.2", "3.0.3", "3.1.0", "3.1.8", "3.2.0", "3.3.0"}

// Releases returns every Airflow release dbtest has a schema for, oldest first.
func Releases() []string { return slices.Clone(releases) }

// PostgresReleases returns the releases NewPostgres accepts.
func PostgresReleases() []string { return releasesWith(Postgres) }

// SQLiteReleases returns the releases NewSQLite accepts.
func SQLiteReleases() []string { return releasesWith(SQLite) }

// ReleasesWith returns the releases for which dialect supports the given options, for example
// ReleasesWith(SQLite, WithSampleDAGs()).
func ReleasesWith(dialect string, opts ...Option) []string {
	return releasesWith(dialect, opts...)
}

func releasesWith(dialect string, opts ...Option) []string {
	o := collect(opts)
	var out []string
	for _, rel := range releases {
		if _, err := o.layers(dialect, rel); err == nil {
			out = append(out, rel)
		}
	}
	return out
}

// HasSampleDAGs reports whether the sample-DAG rows exist for dialect and release.
func HasSampleDAGs(dialect, release string) bool {
	return exists(fixtureFile(release, "sample-dags", dialect))
}

// HasReferenceRuns reports whether the reference dag_run/task_instance rows exist for dialect and release.
func HasReferenceRuns(dialect, release string) bool {
	return exists(fixtureFile(release, "reference-runs", dialect))
}

// HasCompressedDAGs reports whether the compress_serialized_dags fixture exists for dialect and release.
func HasCompressedDAGs(dialect, release string) bool {
	return exists(fixtureFile(release, "sample-dags-compressed", dialect))
}

var revisionLine = regexp.MustCompile(`(?m)^-- alembic_version: ([0-9a-f]+)\s*$`)

// Revision returns the alembic head revision that release stamps into alembic_version, read from
// the header of its schema dump ("" for an unknown release).
func Revision(release string) string {
	b, err := files.ReadFile(schemaFile(release, SQLite))
	if err != nil {
		return ""
	}
	m := revisionLine.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// Option selects the rows a new database starts with, on top of the schema and the seed rows.
type Option func(*options)

type options struct {
	sampleDAGs    bool
	referenceRuns bool
	compressed    bool
	pgbouncer     bool     // NewPostgres: connect through PgBouncer (ViaPgBouncer)
	extra         []string // fixture kinds loaded on top, in order (WithFixture)
}

// WithSampleDAGs loads the rows Airflow writes when it serializes the fixture DAGs
// (testdata/fixtures/dags-2, dags-3): dag, serialized_dag, dag_code, tags, assets.
func WithSampleDAGs() Option { return func(o *options) { o.sampleDAGs = true } }

// WithReferenceRuns loads the sample DAGs plus the dag_run, task_instance, log (and, for 3.x,
// backfill) rows that Airflow itself wrote for them. PostgreSQL and MySQL (2.10.5) only.
func WithReferenceRuns() Option {
	return func(o *options) { o.sampleDAGs, o.referenceRuns = true, true }
}

// WithCompressedDAGs loads, instead of the sample DAGs, the rows of fx_daily_cron written with
// [core] compress_serialized_dags=True (serialized_dag.data_compressed set, data NULL).
// PostgreSQL only; it cannot be combined with WithSampleDAGs or WithReferenceRuns.
func WithCompressedDAGs() Option { return func(o *options) { o.compressed = true } }

// WithFixture loads testdata/fixtures/airflow-<release>.<kind>.<dialect>.sql on top of the other
// layers, e.g. WithFixture("ops-base.before") with WithSampleDAGs() for the rows Airflow wrote
// before an operator action (see fixtures/OPS-README.md). Several are loaded in order.
func WithFixture(kind string) Option {
	return func(o *options) { o.extra = append(o.extra, kind) }
}

// HasFixture reports whether the fixture file of kind exists for dialect and release.
func HasFixture(dialect, release, kind string) bool {
	return exists(fixtureFile(release, kind, dialect))
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// layer is one step of building a database: a name for its template and the scripts it adds to
// the layer below it.
type layer struct {
	key   string // "base", "dags", "runs", "compressed"
	files []string
}

// layers returns the layers that build a database with these options, bottom first.
func (o options) layers(dialect, release string) ([]layer, error) {
	if dialect != Postgres && dialect != SQLite && dialect != MySQL {
		return nil, fmt.Errorf("dbtest: unknown dialect %q", dialect)
	}
	if !slices.Contains(releases, release) {
		return nil, fmt.Errorf("dbtest: unknown Airflow release %q (known: %s)", release, strings.Join(releases, ", "))
	}
	if !exists(schemaFile(release, dialect)) {
		return nil, fmt.Errorf("dbtest: no %s schema for Airflow %s", dialect, release)
	}
	base := layer{key: "base", files: []string{schemaFile(release, dialect)}}
	if dialect != SQLite {
		base.files = append(base.files, dialectSeedFile(release, dialect))
	}
	out := []layer{base}
	need := func(kind string) error {
		f := fixtureFile(release, kind, dialect)
		if !exists(f) {
			return fmt.Errorf("dbtest: no %s fixture for Airflow %s on %s", kind, release, dialect)
		}
		return nil
	}
	switch {
	case o.compressed && o.sampleDAGs:
		return nil, fmt.Errorf("dbtest: WithCompressedDAGs cannot be combined with WithSampleDAGs or WithReferenceRuns")
	case o.compressed:
		if err := need("sample-dags-compressed"); err != nil {
			return nil, err
		}
		out = append(out, layer{key: "compressed", files: []string{fixtureFile(release, "sample-dags-compressed", dialect)}})
	case o.sampleDAGs:
		if err := need("sample-dags"); err != nil {
			return nil, err
		}
		out = append(out, layer{key: "dags", files: []string{fixtureFile(release, "sample-dags", dialect)}})
		if o.referenceRuns {
			if err := need("reference-runs"); err != nil {
				return nil, err
			}
			out = append(out, layer{key: "runs", files: []string{fixtureFile(release, "reference-runs", dialect)}})
		}
	}
	for _, kind := range o.extra {
		if err := need(kind); err != nil {
			return nil, err
		}
		// The key names the whole stack below, so one fixture on different stacks gets different templates.
		out = append(out, layer{key: out[len(out)-1].key + "_" + kind, files: []string{fixtureFile(release, kind, dialect)}})
	}
	return out, nil
}

func schemaFile(release, dialect string) string {
	return "testdata/schemas/airflow-" + release + "." + dialect + ".sql"
}

func seedFile(release string) string { return dialectSeedFile(release, Postgres) }

func dialectSeedFile(release, dialect string) string {
	return "testdata/schemas/airflow-" + release + "." + dialect + ".seed.sql"
}

func fixtureFile(release, kind, dialect string) string {
	return "testdata/fixtures/airflow-" + release + "." + kind + "." + dialect + ".sql"
}

func exists(name string) bool {
	_, err := files.Open(name)
	return err == nil
}

func readScript(name string) (string, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("dbtest: read %s: %w", name, err)
	}
	return string(b), nil
}

// inCI reports whether CI is set to a true value; there a missing PostgreSQL fails the test
// instead of skipping it.
func inCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Main runs the tests of a package, then stops the PostgreSQL cluster and the MariaDB server and
// removes the temporary files. If a test failed and kept a database, the server's directory is
// kept too and a note on stderr says how to start it again.
func Main(m *testing.M) {
	code := m.Run()
	shutdown()
	os.Exit(code)
}
