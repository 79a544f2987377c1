package docs_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/sandbox/sandboxdb"
)

func TestCompletionBashScript(t *testing.T) {
	stdout, stderr, code := run(t, cleanEnv(t), "completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# bash completion V2 for dagctl", "__start_dagctl", "complete -o default -F __start_dagctl dagctl", "__complete"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("completion script lacks %q", want)
		}
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
}

// completions splits cobra's __complete answer into candidates and the
// final ":<directive>" line.
func completions(t *testing.T, stdout string) ([]string, string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("no directive line in %q", stdout)
	}
	return lines[:len(lines)-1], last
}

func TestCompleteDagIDsFromDatabase(t *testing.T) {
	info, err := sandboxdb.Create(context.Background(), sandboxdb.Options{Path: filepath.Join(t.TempDir(), "airflow.db")})
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, cleanEnv(t), "__complete", "--db", info.URL, "runs", "list", "--dag-id", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ids, directive := completions(t, stdout)
	if directive != ":4" { // ShellCompDirectiveNoFileComp
		t.Errorf("directive %s, want :4 (no file completion)", directive)
	}
	if len(ids) != info.DAGs {
		t.Errorf("%d candidates for %d DAGs: %v", len(ids), info.DAGs, ids)
	}
	for _, want := range []string{"fx_daily_cron", "fx_paused", "fx_tags_params"} {
		if !slices.Contains(ids, want) {
			t.Errorf("%s not offered: %v", want, ids)
		}
	}

	// The database also comes from the environment, as for any command.
	env := cleanEnv(t)
	env["DAGCTL_DB"] = info.URL
	stdout, _, code = run(t, env, "__complete", "runs", "create", "--dag-id", "fx_d")
	ids, _ = completions(t, stdout)
	if code != 0 || !slices.Contains(ids, "fx_daily_cron") {
		t.Errorf("exit %d, candidates %v", code, ids)
	}
}

func TestCompleteQuietWhenDatabaseUnreachable(t *testing.T) {
	for _, url := range []string{
		"postgresql://dagctl@127.0.0.1:1/airflow", // nothing listens on port 1
		"sqlite:///" + filepath.Join(t.TempDir(), "no", "such", "dir", "airflow.db"),
	} {
		stdout, stderr, code := run(t, cleanEnv(t), "__complete", "--db", url, "runs", "list", "--dag-id", "")
		if code != 0 {
			t.Errorf("%s: exit %d", url, code)
		}
		ids, directive := completions(t, stdout)
		if len(ids) != 0 || directive != ":4" {
			t.Errorf("%s: candidates %v, directive %s", url, ids, directive)
		}
		if strings.Contains(stderr, "dagctl:") {
			t.Errorf("%s: error printed while completing: %q", url, stderr)
		}
	}
}

func TestCompleteSandboxRelease(t *testing.T) {
	stdout, _, code := run(t, cleanEnv(t), "__complete", "sandbox", "init", "x.db", "--release", "")
	ids, _ := completions(t, stdout)
	if code != 0 || !slices.Equal(ids, sandboxdb.Releases) {
		t.Errorf("exit %d, candidates %v, want %v", code, ids, sandboxdb.Releases)
	}
}
