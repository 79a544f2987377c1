package docs_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/sandbox/sandboxdb"
)

// The operator verbs complete DAG ids, run ids of --dag-id, and their states.
func TestCompleteOperatorVerbs(t *testing.T) {
	info, err := sandboxdb.Create(context.Background(), sandboxdb.Options{Path: filepath.Join(t.TempDir(), "airflow.db")})
	if err != nil {
		t.Fatal(err)
	}
	env := cleanEnv(t)
	env["DAGCTL_DB"] = info.URL
	if _, stderr, code := run(t, env, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "c", "--start-date", "2024-01-01", "--end-date", "2024-01-02"); code != 0 {
		t.Fatalf("runs create: exit %d: %s", code, stderr)
	}
	runIDs := []string{"c_0000001_2024-01-01T00:00:00+00:00", "c_0000002_2024-01-02T00:00:00+00:00"}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"dags", "pause", "fx_d"}, []string{"fx_daily_cron"}},
		{[]string{"dags", "unpause", ""}, []string{"fx_daily_cron", "fx_hourly"}},
		{[]string{"runs", "clear", "--dag-id", ""}, []string{"fx_daily_cron"}},
		{[]string{"runs", "clear", "--dag-id", "fx_daily_cron", ""}, runIDs},
		{[]string{"runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--state", ""}, []string{"queued", "running", "success", "failed"}},
		{[]string{"runs", "set-state", "--dag-id", "fx_daily_cron", ""}, runIDs},
		{[]string{"runs", "set-state", "x", "--dag-id", "fx_daily_cron", "--state", ""}, []string{"success", "failed", "queued"}},
		{[]string{"tasks", "logs", "--dag-id", ""}, []string{"fx_daily_cron"}},
		{[]string{"tasks", "logs", "--dag-id", "fx_daily_cron", ""}, runIDs},
	}
	for _, c := range cases {
		stdout, stderr, code := run(t, env, append([]string{"__complete"}, c.args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", c.args, code, stderr)
			continue
		}
		got, _ := completions(t, stdout)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%v: %q not offered: %v", c.args, w, got)
			}
		}
	}
	// set-state takes one run: no second one is offered.
	stdout, _, _ := run(t, env, "__complete", "runs", "set-state", runIDs[0], "--dag-id", "fx_daily_cron", "")
	if got, _ := completions(t, stdout); len(got) != 0 {
		t.Errorf("a second run id offered to set-state: %v", got)
	}
}
