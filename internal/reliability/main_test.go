// Package reliability proves dagctl under concurrency with real processes,
// faults (kill -9, a stopped server, statement timeouts), bad input on every
// command, and that a database password is never printed or stored.
package reliability

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// binary is the dagctl executable built once for the package.
var binary string

// moduleRoot is the directory holding go.mod.
var moduleRoot string

func TestMain(m *testing.M) {
	if err := build(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability: build dagctl:", err)
		os.Exit(1)
	}
	dbtest.Main(m)
}

// build compiles ./cmd/dagctl, from the module root found by `go env GOMOD`,
// into <tmp>/dagctl-reliability/dagctl. It builds under a temporary name and
// renames, so two test processes never run a half-written binary; the one
// file is left for the next run (dbtest.Main exits without returning).
func build() error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("not inside the dagctl module")
	}
	moduleRoot = filepath.Dir(gomod)
	// One directory per checkout: two checkouts tested at once must not run
	// each other's binary.
	sum := sha256.Sum256([]byte(moduleRoot))
	dir := filepath.Join(os.TempDir(), "dagctl-reliability-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	binary = filepath.Join(dir, "dagctl")
	tmp := fmt.Sprintf("%s.%d", binary, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, "./cmd/dagctl")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	return os.Rename(tmp, binary)
}

// proc is one dagctl process.
type proc struct {
	args           []string
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

// command prepares dagctl with args against dbURL, in a clean environment:
// HOME in a temp dir (no config file, no airflow.cfg), DAGCTL_USER=tester.
func command(t *testing.T, dbURL string, args ...string) *proc {
	t.Helper()
	home := t.TempDir()
	full := args
	if dbURL != "" {
		full = append([]string{"--db", dbURL}, args...)
	}
	p := &proc{args: args, cmd: exec.Command(binary, full...)}
	p.cmd.Env = []string{"HOME=" + home, "AIRFLOW_HOME=" + home + "/airflow", "DAGCTL_USER=tester", "PATH=/usr/bin:/bin", "TZ=UTC"}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	return p
}

// exitCode waits for p and returns its exit code (-1 when it was killed by a signal).
func (p *proc) wait() int {
	err := p.cmd.Wait()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1
		}
		return ee.ExitCode()
	}
	return -2
}

// run runs dagctl to the end and returns its exit code, stdout and stderr.
func run(t *testing.T, dbURL string, args ...string) (int, string, string) {
	t.Helper()
	p := command(t, dbURL, args...)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start dagctl: %v", err)
	}
	code := p.wait()
	return code, p.stdout.String(), p.stderr.String()
}

// runner runs dagctl in-process against db, with the tests' clock.
func runner(t *testing.T, db *dbtest.DB) *clitest.Runner {
	r := clitest.New(t, db)
	r.Now = func() time.Time { return fixedNow }
	return r
}

// fixedNow is the in-process clock: after every fixture date.
var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// socketDir returns the host= directory of a dbtest PostgreSQL URL.
func socketDir(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("host")
}

// ld is the logical date column of release's dag_run.
func ld(release string) string {
	if strings.HasPrefix(release, "2.") {
		return "execution_date"
	}
	return "logical_date"
}

// waitFor polls cond every 10ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}
