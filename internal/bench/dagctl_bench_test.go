package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// BenchmarkAirflow2 runs every figure that needs the 1M-run Airflow 2.10.5 database.
func BenchmarkAirflow2(b *testing.B) {
	enabled(b)
	db, took := seed2(b)
	report(b, "seed: 5,000 DAGs + 1,000,000 runs (2.10.5, set-based SQL, VACUUM ANALYZE)", took.Seconds(), "s", "", true, "")
	conn := connect(b, db)
	b.Run("runs_create_500", func(b *testing.B) { runsCreate500(b, db, conn) })
	b.Run("runs_list_page", func(b *testing.B) { runsListPages(b, db, conn) })
	b.Run("runs_list_all", func(b *testing.B) { runsListAll(b, db) })
	b.Run("runs_list_page_vs_psql", func(b *testing.B) { pageVsPsql(b, db) })
	b.Run("dags_list", func(b *testing.B) { dagsList(b, db) })
	b.Run("startup", func(b *testing.B) { startup(b, db) })
}

// BenchmarkAirflow3 runs the 10,000-run backfill on an Airflow 3.0.3 database.
func BenchmarkAirflow3(b *testing.B) {
	enabled(b)
	db := dbtest.NewPostgres(b, "3.0.3", dbtest.WithSampleDAGs())
	conn := connect(b, db)
	b.Run("backfill_create_10000", func(b *testing.B) { backfillCreate10000(b, db, conn) })
}

// runsCreate500: 500 manual runs of a daily DAG through the real code path
// (flags, DAG load, timetable, existing-run check, batched INSERTs, audit
// row, commit) vs COPY of the identical rows on a fresh connection.
func runsCreate500(b *testing.B, db *dbtest.DB, conn *pgx.Conn) {
	r := runner(b, db)
	var creates, copies []time.Duration
	cleanup := func() {
		exec1(b, conn, `DELETE FROM dag_run WHERE dag_id = 'fx_daily_cron' AND run_id LIKE 'bench%'`)
		exec1(b, conn, `DELETE FROM log WHERE event = 'dagctl.runs.create'`)
	}
	cleanup()
	for range reps {
		d, res := timed(b, r, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "bench",
			"--start-date", "2024-01-01", "--end-date", "2025-05-14", "-o", "json")
		var out struct {
			DagRunIDs []string `json:"dag_run_ids"`
		}
		if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || len(out.DagRunIDs) != 500 {
			b.Fatalf("runs create wrote %d runs (%v), want 500", len(out.DagRunIDs), err)
		}
		creates = append(creates, d)
		runs := take(b, conn, "dag_run", "dag_id = 'fx_daily_cron' AND run_id LIKE 'bench%'")
		logs := take(b, conn, "log", "event = 'dagctl.runs.create'")
		cleanup()
		copies = append(copies, copyBack(b, db, runs, logs))
		cleanup()
	}
	c, p := median(creates), median(copies)
	report(b, "runs create 500 (in-process app.Run)", ms(c), "ms", "", true, fmt.Sprintf("%.0f runs/s", 500/c.Seconds()))
	report(b, "COPY of the same 500 dag_run rows + audit row", ms(p), "ms", "", true, fmt.Sprintf("%.0f rows/s", 500/p.Seconds()))
	report(b, "runs create speed / COPY speed", p.Seconds()/c.Seconds(), "ratio", ">= 0.3", p.Seconds()/c.Seconds() >= 0.3, "")
}

// backfillCreate10000: Airflow 3 native backfill of an hourly DAG over 14
// months (10,081 runs + backfill_dag_run rows) vs COPY of every row it wrote.
func backfillCreate10000(b *testing.B, db *dbtest.DB, conn *pgx.Conn) {
	r := runner(b, db)
	tables := func() []string {
		var ts []string
		for _, t := range []string{"dagctl_backfill_run", "dagctl_backfill"} {
			var reg *string
			if err := conn.QueryRow(context.Background(), "SELECT to_regclass($1)::text", t).Scan(&reg); err != nil {
				b.Fatal(err)
			}
			if reg != nil {
				ts = append(ts, t)
			}
		}
		return ts
	}
	cleanup := func() {
		exec1(b, conn, `DELETE FROM backfill_dag_run`)
		exec1(b, conn, `DELETE FROM dag_run WHERE dag_id = 'fx_hourly'`)
		exec1(b, conn, `DELETE FROM backfill`)
		for _, t := range tables() {
			exec1(b, conn, "DELETE FROM "+t)
		}
		exec1(b, conn, `DELETE FROM log WHERE event LIKE 'dagctl.%'`)
	}
	cleanup()
	var creates, copies []time.Duration
	rows := 0
	for range reps {
		d, _ := timed(b, r, "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2023-01-01T00:00",
			"--end-date", "2024-02-25T00:00", "-o", "name")
		creates = append(creates, d)
		snaps := []snapshot{
			take(b, conn, "backfill", "true"),
			take(b, conn, "dag_run", "dag_id = 'fx_hourly'"),
			take(b, conn, "backfill_dag_run", "true"),
		}
		for _, t := range tables() {
			snaps = append(snaps, take(b, conn, t, "true"))
		}
		snaps = append(snaps, take(b, conn, "log", "event LIKE 'dagctl.%'"))
		if n := len(snaps[1].rows); n != 10081 {
			b.Fatalf("backfill create wrote %d runs, want 10,081", n)
		}
		rows = 0
		for _, s := range snaps {
			rows += len(s.rows)
		}
		cleanup()
		copies = append(copies, copyBack(b, db, snaps...))
		cleanup()
	}
	c, p := median(creates), median(copies)
	report(b, "backfill create 10,081 hourly dates (3.0.3 native, in-process)", ms(c), "ms", "< 1000 ms", c < time.Second,
		fmt.Sprintf("%.0f runs/s; Airflow 3.0.3 itself: 183.8 s", 10081/c.Seconds()))
	report(b, fmt.Sprintf("COPY of the same %d rows (all tables)", rows), ms(p), "ms", "", true, "")
	report(b, "backfill create speed / COPY speed", p.Seconds()/c.Seconds(), "ratio", "", true, "")
}

// listCase is one filtered page and the SQL the store sends for it
// (internal/store/runs.go runSelect/runWhere/ListRuns), for EXPLAIN.
type listCase struct {
	name  string
	args  []string
	where string
}

func runsListPages(b *testing.B, db *dbtest.DB, conn *pgx.Conn) {
	r := runner(b, db)
	cases := []listCase{
		{"no filter", nil, "true"},
		{"--dag-id", []string{"--dag-id", "dag_02500"}, "r.dag_id = 'dag_02500'"},
		{"--dag-id --state success", []string{"--dag-id", "dag_02500", "--state", "success"}, "r.dag_id = 'dag_02500' AND r.state = 'success'"},
		{"--dag-id --prefix manual", []string{"--dag-id", "dag_02500", "--prefix", "manual"}, `r.dag_id = 'dag_02500' AND r.run_id LIKE 'manual%' ESCAPE '\'`},
		{"--state failed", []string{"--state", "failed"}, "r.state = 'failed'"},
		{"--state queued", []string{"--state", "queued"}, "r.state = 'queued'"},
		{"--run-type manual", []string{"--run-type", "manual"}, "r.run_type = 'manual'"},
		{"--prefix manual", []string{"--prefix", "manual"}, `r.run_id LIKE 'manual%' ESCAPE '\'`},
		{"--external-trigger true", []string{"--external-trigger", "true"}, "r.external_trigger = true"},
		{"--start 500000 (keyset)", []string{"--start", "500000"}, "true"},
		{"--run-type backfill (matches nothing)", []string{"--run-type", "backfill"}, "r.run_type = 'backfill'"},
		{"--dag-id --sort logical_date --desc", []string{"--dag-id", "dag_02500", "--sort", "logical_date", "--desc"}, "r.dag_id = 'dag_02500'"},
	}
	for _, c := range cases {
		var ds []time.Duration
		for range reps + 2 {
			d, _ := timed(b, r, append([]string{"runs", "list", "--limit", "100", "-o", "json"}, c.args...)...)
			ds = append(ds, d)
		}
		after := "0"
		if strings.HasPrefix(c.name, "--start") {
			after = "500000"
		}
		order := "r.id"
		if strings.Contains(c.name, "--sort logical_date --desc") {
			order = "r.execution_date DESC, r.id DESC"
		}
		plan := explain(b, conn, "SELECT r.* FROM dag_run r WHERE "+c.where+" AND r.id > "+after+" ORDER BY "+order+" LIMIT 100")
		m := median(ds)
		report(b, "runs list page of 100: "+c.name, ms(m), "ms", "< 30 ms", m < 30*time.Millisecond && !strings.Contains(plan, "Seq Scan"), plan)
	}
}

// explain returns the plan's node lines, compressed to one line, e.g.
// "Limit > Index Scan using dag_run_pkey on dag_run r (filter)".
func explain(b *testing.B, conn *pgx.Conn, q string, args ...any) string {
	b.Helper()
	rows, err := conn.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) "+q, args...)
	if err != nil {
		b.Fatalf("explain %s: %v", firstLine(q), err)
	}
	defer rows.Close()
	var nodes []string
	exec := ""
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "->"))
		switch {
		case strings.HasPrefix(t, "Execution Time"):
			exec = strings.TrimSpace(strings.TrimPrefix(t, "Execution Time:"))
		case strings.HasPrefix(t, "Rows Removed by Filter"):
			nodes[len(nodes)-1] += " [" + strings.ToLower(t) + "]"
		case strings.Contains(t, "(cost="):
			nodes = append(nodes, strings.TrimSpace(t[:strings.Index(t, "(cost=")]))
		}
	}
	return strings.Join(nodes, " > ") + "; SQL " + exec
}

// proc runs a whole process with stdout read through a pipe (as a user's
// pipe would) and returns its wall time, peak RSS in KiB and output lines.
func proc(b *testing.B, name string, args ...string) (time.Duration, int64, int) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = binEnv(b)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := 0
	buf := make([]byte, 1<<20)
	for {
		n, err := out.Read(buf)
		for _, c := range buf[:n] {
			if c == '\n' {
				lines++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	d := time.Since(start)
	return d, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, lines
}

// psqlCopyCSV is the yardstick: psql's \copy of the columns `runs list -o
// csv` prints, in the same order, to stdout as CSV.
const psqlCopyCSV = `\copy (SELECT id, dag_id, run_id, state, run_type, execution_date, start_date, end_date, external_trigger FROM dag_run ORDER BY id) TO STDOUT CSV HEADER`

// runsListAll streams every run through the binary and, in turn, psql's
// \copy of the same columns from the same database (A B A B ..., medians),
// and reads the peak RSS from the kernel's rusage.
func runsListAll(b *testing.B, db *dbtest.DB) {
	bin := binary(b)
	var copies []time.Duration
	walls := map[string][]time.Duration{}
	rss := map[string]int64{}
	for range reps {
		d, _, lines := proc(b, "psql", "-X", "-q", db.URL, "-c", psqlCopyCSV)
		if lines < 1_000_000 {
			b.Fatalf("psql \\copy printed %d lines", lines)
		}
		copies = append(copies, d)
		for _, format := range []string{"csv", "json"} {
			d, kib, lines := proc(b, bin, "--db", db.URL, "runs", "list", "--all", "-o", format)
			if lines < 1_000_000 {
				b.Fatalf("runs list --all -o %s printed %d lines, want over 1,000,000", format, lines)
			}
			walls[format] = append(walls[format], d)
			rss[format] = max(rss[format], kib)
		}
	}
	c := median(copies)
	report(b, "psql \\copy (same columns) to stdout csv: 1,000,025 runs", c.Seconds(), "s", "", true, "the yardstick, same run")
	for _, f := range []struct {
		format string
		limit  float64
	}{{"csv", 2}, {"json", 3}} {
		d := median(walls[f.format])
		ratio := d.Seconds() / c.Seconds()
		report(b, "runs list --all -o "+f.format+": 1,000,025 runs", d.Seconds(), "s", "", true,
			fmt.Sprintf("%.0f rows/s", float64(1_000_025)/d.Seconds()))
		report(b, "runs list --all -o "+f.format+" / psql \\copy", ratio, "ratio", fmt.Sprintf("<= %.0f", f.limit), ratio <= f.limit, "")
		report(b, "runs list --all -o "+f.format+": peak RSS of the binary", float64(rss[f.format])/1024, "MiB", "< 64 MiB", rss[f.format] < 64*1024, "")
	}
}

// pageVsPsql: one page of 100 through the binary against psql running the
// same SELECT, both whole processes; then the cost of --jq on that page.
func pageVsPsql(b *testing.B, db *dbtest.DB) {
	bin := binary(b)
	const sql = `SELECT r.id, r.dag_id, r.run_id, r.state, r.run_type, r.execution_date, r.data_interval_start, r.data_interval_end,
		r.queued_at, r.start_date, r.end_date, r.external_trigger, r.conf, r.clear_number FROM dag_run r ORDER BY r.id LIMIT 100`
	var pages, psqls, jqs, added []time.Duration
	// 20 rounds of page, psql, page with --jq in turn: whole processes vary by
	// a connection's start-up, so the --jq cost is the median of each round's
	// own difference, not a difference of medians.
	for range 4 * reps {
		d, _, _ := proc(b, bin, "--db", db.URL, "runs", "list", "--limit", "100", "-o", "json")
		pages = append(pages, d)
		page := d
		d, _, _ = proc(b, "psql", "-X", "-q", db.URL, "-c", sql)
		psqls = append(psqls, d)
		d, _, lines := proc(b, bin, "--db", db.URL, "runs", "list", "--limit", "100", "--jq", ".[].run_id")
		if lines != 100 {
			b.Fatalf("--jq printed %d lines, want 100", lines)
		}
		jqs = append(jqs, d)
		added = append(added, d-page)
	}
	p, q, j, a := median(pages), median(psqls), median(jqs), median(added)
	report(b, "runs list page of 100 -o json (binary)", ms(p), "ms", "<= psql", p <= q, fmt.Sprintf("psql, same SELECT: %.1f ms", ms(q)))
	report(b, "--jq '.[].run_id' on that page: added time", ms(a), "ms", "< 5 ms", a < 5*time.Millisecond, fmt.Sprintf("median of 20 paired rounds; %.1f ms with --jq", ms(j)))
}

func dagsList(b *testing.B, db *dbtest.DB) {
	r := runner(b, db)
	var ds []time.Duration
	var n int
	for range reps {
		d, res := timed(b, r, "dags", "list", "-o", "json")
		var out []json.RawMessage
		if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
			b.Fatal(err)
		}
		n = len(out)
		ds = append(ds, d)
	}
	if n < 5000 {
		b.Fatalf("dags list: %d DAGs, want over 5,000", n)
	}
	m := median(ds)
	report(b, fmt.Sprintf("dags list -o json: %d DAGs with last run", n), ms(m), "ms", "< 300 ms", m < 300*time.Millisecond,
		"anchor: the LATERAL query alone took 113 ms")
}

// startup measures process start to first byte of output of a command that
// reads the database (`dagctl version` is BenchmarkStartup's).
func startup(b *testing.B, db *dbtest.DB) {
	bin := binary(b)
	var ds []time.Duration
	for range 2 * reps {
		ds = append(ds, firstOutput(b, bin, "--db", db.URL, "runs", "list", "--limit", "1"))
	}
	report(b, "start to first output: dagctl runs list --limit 1 (1M-run database)", ms(median(ds)), "ms", "", true, "Airflow 2.10.5 CLI: 1.9-2.2 s (version)")
}
