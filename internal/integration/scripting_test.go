package integration

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update to create it)", name, err)
	}
	if got != string(want) {
		t.Errorf("golden %s differs\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// scriptingTargets: one 2.x and one 3.x schema, on both dialects.
func scriptingTargets() []target {
	return []target{{dbtest.Postgres, "2.10.5"}, {dbtest.SQLite, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}}
}

// TestJQAndTemplate runs --jq and --template on every command that prints
// JSON and compares with golden files: the same output on PostgreSQL and
// SQLite, one file per schema family.
func TestJQAndTemplate(t *testing.T) {
	forEach(t, scriptingTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		fam := "af" + tg.Release[:1]
		var out strings.Builder
		step := func(args ...string) {
			t.Helper()
			res := r.MustRun(t, 0, args...)
			out.WriteString("$ dagctl " + strings.Join(args, " ") + "\n" + res.Stdout)
			if !strings.HasSuffix(res.Stdout, "\n") {
				out.WriteString("\n")
			}
		}
		step("dags", "list", "--jq", `.[] | select(.dag_id | startswith("fx_daily")) | {dag_id, schedule, is_paused}`)
		step("dags", "list", "--template", `{{range .}}{{.dag_id}}{{if .is_paused}} (paused){{end}}{{"\n"}}{{end}}`)
		step("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-03",
			"--jq", `.dag_run_ids[]`)
		step("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-04", "--end-date", "2024-01-04",
			"--template", `{{json .}}{{"\n"}}`)
		step("runs", "list", "--jq", `.[].run_id`)
		step("runs", "list", "--jq", `map({id, logical_date, state})`)
		step("runs", "list", "--jq", `length`)
		step("runs", "list", "--all", "--jq", `.[] | "\(.id) \(.logical_date)"`)
		step("runs", "list", "--all", "--template", `{{range .}}{{.id}}:{{timefmt "Jan 2" .logical_date}} {{end}}`)
		step("runs", "list", "--template", `{{range .}}{{timefmt "2006-01-02 15:04" .logical_date}} {{.state}} conf={{json .conf}}{{"\n"}}{{end}}`)
		step("runs", "get", "manual_0000002_2024-01-02T00:00:00+00:00", "--jq", `[.dag_id, .state, .run_type] | join(",")`)
		step("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03",
			"--jq", `{dag_id, state, logical_dates, progress}`)
		step("backfill", "list", "--jq", `.[] | [.dag_id, .start_date, .end_date] | join(" ")`)
		id := strings.TrimSpace(r.MustRun(t, 0, "backfill", "list", "-o", "name").Stdout)
		step("backfill", "get", id, "--runs", "--jq", `.runs | map(.logical_date) | join(", ")`)
		step("backfill", "get", id, "--template", `{{.dag_id}} {{join "," .logical_dates}} {{.progress.total}}{{"\n"}}`)
		step("backfill", "pause", id, "--jq", `"\(.backfill_dag_id | length > 0) paused=\(.is_paused)"`)
		step("backfill", "resume", id, "--template", `paused={{.is_paused}}{{"\n"}}`)
		step("backfill", "reconcile", "--jq", `.examined`)
		step("backfill", "cancel", id, "--jq", `.state`)
		step("backfill", "list", "--include-deleted", "--sort", "start_date", "--desc", "--jq", `map(.state)`)
		step("runs", "grid", "--dag-id", "fx_daily_cron", "--limit", "3", "--jq", `[.runs[].logical_date, (.tasks | map(.task_id) | join(">"))]`)
		// The verbs of issue 15.
		step("dags", "pause", "fx_daily_cron", "--jq", `.[] | "\(.dag_id) \(.is_paused_before) -> \(.is_paused) changed=\(.changed)"`)
		step("dags", "unpause", "fx_daily_cron", "--template", `{{range .}}{{.dag_id}} paused={{.is_paused}}{{"\n"}}{{end}}`)
		step("runs", "set-state", "manual_0000002_2024-01-02T00:00:00+00:00", "--dag-id", "fx_daily_cron", "--state", "failed",
			"--jq", `"\(.run_id): \(.previous_state) -> \(.state) dry_run=\(.dry_run)"`)
		nTI := 0
		insertTI(t, db, tg, &nTI, "manual_0000002_2024-01-02T00:00:00+00:00", "work", -1, "failed")
		step("runs", "clear", "manual_0000002_2024-01-02T00:00:00+00:00", "--dag-id", "fx_daily_cron",
			"--template", `{{range .runs}}{{.run_id}} {{.state}}{{range .task_instances}} {{.task_id}}:{{.state}}{{end}}{{"\n"}}{{end}}`)
		later := fixedNow.Add(time.Hour)
		r.Now = func() time.Time { return later }
		id2 := strings.TrimSpace(r.MustRun(t, 0, "backfill", "create", "--dag-id", "fx_daily_cron",
			"--start-date", "2024-03-01", "--end-date", "2024-03-02", "-o", "name").Stdout)
		for range 3 {
			finishRuns(t, db, "fx_daily_cron", "failed")
			r.MustRun(t, 0, "backfill", "reconcile")
		}
		step("backfill", "retry", id2, "--jq", `{dry_run, retried: (.retried_runs | length), state}`)
		for range 3 {
			finishRuns(t, db, "fx_daily_cron", "success")
			r.MustRun(t, 0, "backfill", "reconcile")
		}
		step("backfill", "wait", id2, "--interval", "1ms", "--template", `{{.state}} {{.progress.success}}/{{.progress.total}}{{"\n"}}`)
		step("backfill", "delete", id2, "--jq", `[.state, .deleted] | join(" ")`)
		tmp := t.TempDir()
		step("sandbox", "init", filepath.Join(tmp, "sandbox.db"), "--jq", `{release, dags}`)
		step("doctor", "--jq", `{airflow_major, dags, runs}`)
		step("config", "view", "--jq", `.[] | select(.key == "default_timezone") | .value`)
		step("version", "--jq", `keys`)
		golden(t, "scripting."+fam+".txt", strings.ReplaceAll(out.String(), tmp, "$TMP"))

		// Errors: a parse error and a run-time error both exit 2 naming the expression.
		for _, c := range [][]string{
			{"runs", "list", "--jq", ".["},
			{"runs", "list", "--jq", `.[0].id | ascii_downcase`},
			{"runs", "list", "--all", "--jq", `error("boom")`},
			{"runs", "list", "--template", "{{.nope"},
			{"runs", "list", "--template", `{{timefmt "2006" .}}`},
			{"runs", "list", "--jq", ".", "--template", "x"},
			{"runs", "list", "--jq", ".", "-o", "yaml"},
		} {
			res := r.MustRun(t, 2, c...)
			if !strings.Contains(res.Stderr, "--jq") && !strings.Contains(res.Stderr, "--template") {
				t.Errorf("%v: error does not name the flag: %q", c, res.Stderr)
			}
			if c[2] == "--jq" && !strings.Contains(res.Stderr, c[3]) && c[3] != "." {
				t.Errorf("%v: error does not name the expression: %q", c, res.Stderr)
			}
		}
		// -o json together with --jq is fine.
		if res := r.MustRun(t, 0, "runs", "list", "-o", "json", "--jq", ".[0].id"); strings.TrimSpace(res.Stdout) == "" {
			t.Errorf("-o json --jq printed nothing")
		}
	})
}
