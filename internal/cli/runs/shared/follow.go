package shared

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/runops"
	"github.com/dagctl/dagctl/internal/store"
)

// Defaults of --timeout and --interval of runs wait and runs create --wait:
// an hour suits a CI step (a backfill waits 24h); one small statement every
// 5 seconds costs the database nothing worth counting.
const (
	DefaultWaitTimeout  = time.Hour
	DefaultWaitInterval = 5 * time.Second
)

// WaitFlags are --timeout and --interval.
type WaitFlags struct {
	Timeout, Interval time.Duration
}

// AddWaitFlags defines --timeout and --interval on cmd.
func AddWaitFlags(cmd *cobra.Command, w *WaitFlags, what string) {
	cmdutil.PositiveDurationVar(cmd.Flags(), &w.Timeout, "timeout", DefaultWaitTimeout, "how long to wait"+what+"; then exit 124 and leave the runs going")
	cmdutil.PositiveDurationVar(cmd.Flags(), &w.Interval, "interval", DefaultWaitInterval, "how often to look (one query for all the runs)")
}

// Follow waits for the runs of dagID to finish: a progress line on a
// terminal's stderr, nothing in a pipe but the result. It prints the final
// runs on stdout (the runs get view), and for each failed run one block on
// stderr naming its failed tasks and the command showing each log. The
// returned error carries the exit code: nil 0, failed 1, timeout 124.
func Follow(ctx context.Context, f *cmdutil.Factory, st *store.Store, dagID string, runIDs []string, w WaitFlags) error {
	line := newProgressLine(f)
	warned := false
	res, werr := runops.Wait(ctx, st, runops.WaitRequest{
		DagID: dagID, RunIDs: runIDs, Timeout: w.Timeout, Interval: w.Interval,
		OnPoll: func(p runops.Progress) {
			if p.DagPaused && !warned {
				warned = true
				line.clear()
				f.IO.Warnf("warning: dag %q is paused: its runs make no progress until it is unpaused (dagctl dags unpause %s); waiting until the timeout (%s)",
					dagID, runops.ShellQuote(dagID), runops.FormatDuration(w.Timeout))
			}
			line.draw(p)
		},
	})
	line.clear()
	if res.Runs == nil {
		return werr
	}
	// The runs as `runs get` shows them, with their task instances by state.
	views := make([]RunDetailView, len(res.Runs))
	for i, r := range res.Runs {
		views[i] = NewRunDetailView(r, res.Tasks[r.RunID])
	}
	if err := f.Print(DetailResult(views)); err != nil {
		return err
	}
	writeFailures(f.IO.ErrOut, dagID, res)
	return werr
}

// writeFailures prints one block per failed run:
//
//	run RUN of dag DAG failed: task flaky failed (try 2 of 2), task report upstream_failed
//	  dagctl tasks logs RUN flaky --dag-id DAG --try 2
func writeFailures(w io.Writer, dagID string, res runops.WaitResult) {
	var b strings.Builder
	for _, runID := range res.Failed {
		tis := res.FailedTasks[runID]
		fmt.Fprintf(&b, "run %s of dag %s failed", runID, dagID)
		if len(tis) == 0 {
			b.WriteString(": no task failed (the run was marked failed, or ran past its dagrun_timeout)\n")
			continue
		}
		parts := make([]string, len(tis))
		for i, ti := range tis {
			parts[i] = "task " + taskLabel(ti) + " " + ti.State
			if ti.State == "failed" {
				parts[i] += " (" + tryText(ti) + ")"
			}
		}
		b.WriteString(": " + strings.Join(parts, ", ") + "\n")
		for _, ti := range tis {
			if ti.State != "failed" || ti.TryNumber < 1 {
				continue
			}
			fmt.Fprintf(&b, "  dagctl tasks logs %s %s --dag-id %s", runops.ShellQuote(runID), runops.ShellQuote(ti.TaskID), runops.ShellQuote(dagID))
			if ti.MapIndex >= 0 {
				fmt.Fprintf(&b, " --map-index %d", ti.MapIndex)
			}
			fmt.Fprintf(&b, " --try %d\n", ti.TryNumber)
		}
	}
	_, _ = io.WriteString(w, b.String())
}

func taskLabel(ti store.TaskInstance) string {
	if ti.MapIndex >= 0 {
		return fmt.Sprintf("%s[%d]", ti.TaskID, ti.MapIndex)
	}
	return ti.TaskID
}

// tryText is "try 2 of 2": task_instance.try_number is the latest try
// (Airflow 2.10+ and 3.x), and a task may run max_tries + 1 times
// (TaskInstance.is_eligible_to_retry: try_number <= max_tries).
func tryText(ti store.TaskInstance) string {
	switch {
	case ti.TryNumber < 1:
		return "never ran"
	case ti.MaxTries+1 >= ti.TryNumber:
		return fmt.Sprintf("try %d of %d", ti.TryNumber, ti.MaxTries+1)
	}
	return fmt.Sprintf("try %d", ti.TryNumber)
}

// progressLine is the live line on a terminal's stderr, rewritten in place.
type progressLine struct {
	w       io.Writer
	enabled bool
	drawn   bool
}

func newProgressLine(f *cmdutil.Factory) *progressLine {
	return &progressLine{w: f.IO.ErrOut, enabled: f.IO.IsStderrTTY() && !f.IO.Quiet}
}

// ProgressText is the live line: runs done/total, tasks running/failed, elapsed.
func ProgressText(p runops.Progress) string {
	s := fmt.Sprintf("waiting: %d/%d runs done", p.Done, p.Total)
	if p.Failed > 0 {
		s += fmt.Sprintf(" (%d failed)", p.Failed)
	}
	s += fmt.Sprintf(" · tasks: %d running, %d failed · %s", p.Tasks["running"], p.Tasks["failed"], runops.FormatDuration(p.Elapsed.Truncate(time.Second)))
	if p.DagPaused {
		s += " · dag paused"
	}
	return s
}

func (l *progressLine) draw(p runops.Progress) {
	if !l.enabled {
		return
	}
	_, _ = io.WriteString(l.w, "\r\x1b[K"+ProgressText(p))
	l.drawn = true
}

func (l *progressLine) clear() {
	if l.drawn {
		_, _ = io.WriteString(l.w, "\r\x1b[K")
		l.drawn = false
	}
}
