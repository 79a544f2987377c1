// Package bench measures dagctl on big databases, each figure next to its
// baseline measured in the same run: runs create vs COPY of the same rows,
// backfill create vs COPY, runs list pages and their plans, streaming 1M
// runs, dags list over 5,000 DAGs, start-up time, the 10,000-date
// backfill on MySQL (MariaDB) vs multi-row INSERTs of the same rows, and
// runs wait following 500 runs vs 1 run (statements and CPU per look).
//
// The benchmarks seed about 1.4 GB of PostgreSQL data and take minutes, so
// they run only with DAGCTL_BENCH=1 (scripts/bench.sh, `make bench`). Each
// figure is also appended as a tab-separated line to $DAGCTL_BENCH_OUT when
// set: name, value, unit, target, verdict, note.
package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// reps is how many times each figure is measured; the median is reported.
const reps = 5

var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func enabled(b *testing.B) {
	if os.Getenv("DAGCTL_BENCH") != "1" {
		b.Skip("set DAGCTL_BENCH=1 (scripts/bench.sh) to run the big-database benchmarks")
	}
}

var outMu sync.Mutex

// report records one figure: as a benchmark metric and as a line of the table.
func report(b *testing.B, name string, value float64, unit, target string, ok bool, note string) {
	b.Helper()
	b.ReportMetric(value, strings.ReplaceAll(unit, " ", "_"))
	verdict := "met"
	if target == "" {
		verdict = "-"
	} else if !ok {
		verdict = "MISSED"
	}
	line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\n", name, fmtValue(value), unit, target, verdict, note)
	b.Logf("%s", strings.TrimSpace(line))
	path := os.Getenv("DAGCTL_BENCH_OUT")
	if path == "" {
		return
	}
	outMu.Lock()
	defer outMu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	f.WriteString(line)
}

func fmtValue(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func connect(b *testing.B, db *dbtest.DB) *pgx.Conn {
	b.Helper()
	conn, err := pgx.Connect(context.Background(), db.DSN())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec1(b *testing.B, conn *pgx.Conn, sql string, args ...any) {
	b.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		b.Fatalf("%s: %v", firstLine(sql), err)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

// snapshot reads the rows of table matching where, every column, as pgx decodes them.
type snapshot struct {
	table string
	cols  []string
	rows  [][]any
}

func take(b *testing.B, conn *pgx.Conn, table, where string, args ...any) snapshot {
	b.Helper()
	rs, err := conn.Query(context.Background(), "SELECT * FROM "+table+" WHERE "+where, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	s := snapshot{table: table}
	for _, fd := range rs.FieldDescriptions() {
		s.cols = append(s.cols, fd.Name)
	}
	for rs.Next() {
		v, err := rs.Values()
		if err != nil {
			b.Fatal(err)
		}
		s.rows = append(s.rows, v)
	}
	if err := rs.Err(); err != nil {
		b.Fatal(err)
	}
	return s
}

// copyBack writes snapshots with COPY in one transaction on a fresh
// connection (so the baseline pays for connecting, as dagctl does) and
// returns the wall time.
func copyBack(b *testing.B, db *dbtest.DB, snaps ...snapshot) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	conn, err := pgx.Connect(ctx, db.DSN())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range snaps {
		if len(s.rows) == 0 {
			continue
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{s.table}, s.cols, pgx.CopyFromRows(s.rows))
		if err != nil || int(n) != len(s.rows) {
			b.Fatalf("copy %s: %d rows, %v", s.table, n, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func runner(b *testing.B, db *dbtest.DB) *clitest.Runner {
	r := clitest.New(b, db)
	r.Now = func() time.Time { return fixedNow }
	return r
}

// timed runs dagctl in-process and returns the wall time; it fails unless exit 0.
func timed(b *testing.B, r *clitest.Runner, args ...string) (time.Duration, clitest.Result) {
	b.Helper()
	start := time.Now()
	res := r.Run(b, args...)
	d := time.Since(start)
	if res.Code != 0 {
		b.Fatalf("dagctl %s: exit %d: %s", strings.Join(args, " "), res.Code, res.Stderr)
	}
	return d, res
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds dagctl once (as `make build` does: CGO off, trimmed, stripped).
func binary(b *testing.B) string {
	b.Helper()
	binOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			binErr = err
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		dir, err := os.MkdirTemp("", "dagctl-bench-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "dagctl")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binPath, "./cmd/dagctl")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if o, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("%v\n%s", err, o)
		}
	})
	if binErr != nil {
		b.Fatalf("build dagctl: %v", binErr)
	}
	return binPath
}

func binEnv(b *testing.B) []string {
	home := b.TempDir()
	return []string{"HOME=" + home, "AIRFLOW_HOME=" + home + "/airflow", "DAGCTL_USER=bench", "PATH=/usr/bin:/bin", "TZ=UTC"}
}
