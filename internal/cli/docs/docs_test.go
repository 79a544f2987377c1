package docs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/app"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/docs"
	"github.com/dagctl/dagctl/internal/iostreams"
)

// run runs dagctl in-process with an environment that holds only env.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code = app.Run(context.Background(), ios, args, func(f *cmdutil.Factory) {
		f.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	})
	return out.String(), errOut.String(), code
}

// generate writes dir/commands and dir/man as cmd/gen-docs does for `make docs`.
func generate(t *testing.T, dir string) {
	t.Helper()
	env := cleanEnv(t)
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	root := app.NewRootCmd(f)
	if err := docs.Markdown(root, filepath.Join(dir, "commands")); err != nil {
		t.Fatal(err)
	}
	if err := docs.Man(root, filepath.Join(dir, "man")); err != nil {
		t.Fatal(err)
	}
}

func cleanEnv(t *testing.T) map[string]string {
	home := t.TempDir()
	return map[string]string{"HOME": home, "AIRFLOW_HOME": filepath.Join(home, "airflow"), "DAGCTL_USER": "tester"}
}

// generated lists the files of dir/commands and dir/man, relative to dir.
func generated(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, sub := range []string{"commands", "man"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[sub+"/"+e.Name()] = b
		}
	}
	return files
}

// TestDocsAreFresh fails when the checked-in command reference no longer
// matches the commands: a flag, a command or a help text changed without
// `make docs`.
func TestDocsAreFresh(t *testing.T) {
	tmp := t.TempDir()
	generate(t, tmp)
	fresh := generated(t, tmp)
	if len(fresh) < 20 {
		t.Fatalf("only %d pages generated", len(fresh))
	}
	checkedIn := generated(t, filepath.Join("..", "..", "..", "docs"))
	var missing, outdated, stale []string
	for name, body := range fresh {
		old, ok := checkedIn[name]
		switch {
		case !ok:
			missing = append(missing, "docs/"+name)
		case !bytes.Equal(old, body):
			outdated = append(outdated, "docs/"+name)
		}
	}
	for name := range checkedIn {
		if _, ok := fresh[name]; !ok {
			stale = append(stale, "docs/"+name)
		}
	}
	if len(missing)+len(outdated)+len(stale) > 0 {
		sort.Strings(missing)
		sort.Strings(outdated)
		sort.Strings(stale)
		t.Errorf("the checked-in command reference does not match the commands; run `make docs` and commit docs/commands and docs/man\n"+
			"  out of date: %v\n  missing (new commands): %v\n  of no command any more: %v", outdated, missing, stale)
	}
}

func TestDocsDeterministicAndComplete(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		generate(t, dir)
	}
	first, second := generated(t, a), generated(t, b)
	if len(first) != len(second) {
		t.Fatalf("%d pages, then %d", len(first), len(second))
	}
	for name, body := range first {
		if !bytes.Equal(body, second[name]) {
			t.Errorf("%s differs between two runs", name)
		}
		if bytes.Contains(body, []byte("Auto generated")) {
			t.Errorf("%s carries cobra's dated auto-gen tag", name)
		}
	}
	for _, want := range []string{
		"commands/dagctl.md", "commands/dagctl_runs_create.md", "commands/dagctl_sandbox_init.md",
		"commands/dagctl_completion_bash.md", "man/dagctl.1", "man/dagctl-runs-list.1",
	} {
		if _, ok := first[want]; !ok {
			t.Errorf("%s not generated", want)
		}
	}
	if page := string(first["man/dagctl-runs-list.1"]); !strings.Contains(page, `"Jan 2026"`) {
		t.Errorf("man page header lacks the fixed date:\n%.300s", page)
	}
	if page := string(first["commands/dagctl_runs_create.md"]); !strings.Contains(page, "--dry-run") {
		t.Errorf("runs create page lacks its flags:\n%s", page)
	}

	// A page of a command that no longer exists is removed on the next run.
	stale := filepath.Join(a, "commands", "dagctl_gone.md")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(a, "commands", "notes.md")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	generate(t, a)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale page kept: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file docs did not write was removed: %v", err)
	}
}
