package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/app"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/docs"
	"github.com/dagctl/dagctl/internal/iostreams"
)

// The release ships the scripts gen-docs writes; they must be the ones
// `dagctl completion SHELL` prints.
func TestCompletionsMatchTheCompletionCommand(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, _ := iostreams.Test()
	if err := docs.Completions(app.NewRootCmd(cmdutil.New(ios)), dir); err != nil {
		t.Fatal(err)
	}
	for shell, file := range map[string]string{"bash": "dagctl.bash", "zsh": "_dagctl", "fish": "dagctl.fish", "powershell": "dagctl.ps1"} {
		want, stderr, code := run(t, cleanEnv(t), "completion", shell)
		if code != 0 {
			t.Fatalf("completion %s: exit %d: %s", shell, code, stderr)
		}
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s differs from `dagctl completion %s`", file, shell)
		}
	}
}

// The dagctl binary must not link the man-page renderer: its package
// initialisation would run at every command's start (cmd/gen-docs links it).
func TestDagctlDoesNotLinkTheManRenderer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/dagctl/dagctl/cmd/dagctl").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/cpuguy83/go-md2man", "github.com/russross/blackfriday", "github.com/spf13/cobra/doc", "github.com/dagctl/dagctl/internal/cli/docs"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("cmd/dagctl depends on %s", pkg)
			}
		}
	}
}
