// Package clitest runs dagctl in-process against a test database and
// captures what it printed and its exit code.
package clitest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/app"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/iostreams"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// Result is one dagctl invocation.
type Result struct {
	Args   []string
	Stdout string
	Stderr string
	Code   int
}

// Env is a controlled environment: only these variables exist.
type Env map[string]string

// Runner runs dagctl against one database.
type Runner struct {
	DB  *dbtest.DB
	Env Env
	// Now, when set, is the clock.
	Now func() time.Time
	// TTY makes stdout a (fake) terminal.
	TTY bool
	// StderrTTY makes stderr a (fake) terminal (progress lines).
	StderrTTY bool
	// Ctx, when set, is the context of the run (cancel it to stop --watch).
	Ctx context.Context
}

// New returns a runner for db with an empty environment (HOME in a temp dir,
// so no real config file or airflow.cfg is read).
func New(t testing.TB, db *dbtest.DB) *Runner {
	home := t.TempDir()
	return &Runner{DB: db, Env: Env{"HOME": home, "AIRFLOW_HOME": home + "/airflow", "DAGCTL_USER": "tester"}}
}

// Run runs dagctl with args (--db is added when the runner has a database).
func (r *Runner) Run(t testing.TB, args ...string) Result {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(r.TTY)
	ios.SetStderrTTY(r.StderrTTY)
	full := args
	if r.DB != nil {
		full = append([]string{"--db", r.DB.URL}, args...)
	}
	ctx := r.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	code := app.Run(ctx, ios, full, func(f *cmdutil.Factory) {
		f.Getenv = func(k string) (string, bool) {
			v, ok := r.Env[k]
			return v, ok
		}
		if r.Now != nil {
			f.Now = r.Now
		}
	})
	return Result{Args: args, Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// MustRun runs and fails the test unless the exit code is want.
func (r *Runner) MustRun(t testing.TB, want int, args ...string) Result {
	t.Helper()
	res := r.Run(t, args...)
	if res.Code != want {
		t.Fatalf("dagctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.Code, want, res.Stdout, res.Stderr)
	}
	return res
}

// JSON runs with -o json, expects exit 0 and decodes stdout into v.
func (r *Runner) JSON(t testing.TB, v any, args ...string) Result {
	t.Helper()
	res := r.MustRun(t, 0, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(res.Stdout), v); err != nil {
		t.Fatalf("dagctl %s: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, res.Stdout)
	}
	return res
}
