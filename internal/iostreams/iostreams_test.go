package iostreams

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotATerminal: what cron jobs and pipelines write to is not a terminal.
// /dev/null is a character device, which the old check took for one.
func TestNotATerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if fi, _ := devNull.Stat(); fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is not a character device here; the test proves nothing", os.DevNull)
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "out.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, f := range map[string]*os.File{"/dev/null": devNull, "a file": file, "a pipe": w} {
		if isTerminal(f) {
			t.Errorf("%s counts as a terminal", name)
		}
	}
}

// TestTerminalUnderScript: a real pseudo-terminal (script(1) runs the test
// binary in one) counts as a terminal, and /dev/null beside it does not.
func TestTerminalUnderScript(t *testing.T) {
	if os.Getenv("DAGCTL_TTY_PROBE") == "1" {
		// Inside script: stdout is the pty.
		if isTerminal(os.Stdout) {
			os.Stdout.WriteString("probe: stdout tty\n")
		}
		return
	}
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, "-qec", exe+" -test.run=^TestTerminalUnderScript$", os.DevNull)
	cmd.Env = append(os.Environ(), "DAGCTL_TTY_PROBE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "probe: stdout tty") {
		t.Errorf("a pseudo-terminal did not count as a terminal:\n%s", out)
	}
}
