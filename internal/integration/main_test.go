// Package integration runs dagctl end to end, in-process, against real
// PostgreSQL and MySQL (MariaDB) databases and SQLite files loaded with
// Airflow's own schemas and sample DAGs.
package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// target is one (dialect, release) database to run a test on.
type target struct {
	Dialect, Release string
}

// pgbouncer is PostgreSQL reached through a throwaway PgBouncer in
// pool_mode=transaction, with the same URL form a user would give.
const pgbouncer = "pgbouncer"

// pooledReleases are the releases whose suites also run through PgBouncer.
var pooledReleases = []string{"2.10.5", "3.0.3"}

func (tg target) String() string { return tg.Dialect + "/" + tg.Release }

// SQL is the SQL dialect of the target's database.
func (tg target) SQL() string {
	if tg.Dialect == pgbouncer {
		return dbtest.Postgres
	}
	return tg.Dialect
}

func (tg target) Major() int {
	if tg.Release[0] == '2' {
		return 2
	}
	return 3
}

// sampleTargets are every database with the sample DAGs loaded.
func sampleTargets() []target {
	var out []target
	for _, d := range []string{dbtest.Postgres, dbtest.SQLite, dbtest.MySQL} {
		for _, r := range dbtest.ReleasesWith(d, dbtest.WithSampleDAGs()) {
			out = append(out, target{d, r})
		}
	}
	for _, r := range pooledReleases {
		out = append(out, target{pgbouncer, r})
	}
	return out
}

// open creates a fresh database for tg with opts.
func open(t *testing.T, tg target, opts ...dbtest.Option) *dbtest.DB {
	t.Helper()
	switch tg.Dialect {
	case dbtest.Postgres:
		return dbtest.NewPostgres(t, tg.Release, opts...)
	case pgbouncer:
		return dbtest.NewPostgres(t, tg.Release, append(opts, dbtest.ViaPgBouncer())...)
	case dbtest.MySQL:
		return dbtest.NewMySQL(t, tg.Release, opts...)
	}
	return dbtest.NewSQLite(t, tg.Release, opts...)
}

// fixedNow is the clock of the tests: after every fixture date.
var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func runner(t *testing.T, db *dbtest.DB) *clitest.Runner {
	r := clitest.New(t, db)
	r.Now = func() time.Time { return fixedNow }
	return r
}

// forEach runs fn as a parallel subtest on every target.
func forEach(t *testing.T, targets []target, fn func(t *testing.T, tg target)) {
	for _, tg := range targets {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			fn(t, tg)
		})
	}
}

func ld(tg target) string {
	if tg.Major() == 2 {
		return "execution_date"
	}
	return "logical_date"
}

func q(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// clitestNoDB is a runner with no database flag.
func clitestNoDB(t *testing.T) *clitest.Runner {
	r := clitest.New(t, nil)
	return r
}
