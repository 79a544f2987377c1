package runops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
)

// Airflow's finished run states (DagRunState.finished_dr_states in
// airflow/utils/state.py): success and failed.
const (
	RunSuccess = "success"
	RunFailed  = "failed"
)

// FailedTaskStates are the task states the failure report names.
var FailedTaskStates = []string{"failed", "upstream_failed"}

// WaitRequest follows runs of one DAG until each has finished.
type WaitRequest struct {
	DagID    string
	RunIDs   []string
	Timeout  time.Duration
	Interval time.Duration
	// OnPoll, when set, is told the progress after each look.
	OnPoll func(Progress)
	// Now and After are the clock (nil: the real one). The timeout is real
	// elapsed time, never the command's logical "now" (which tests fix).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// Progress is what one look found, summed over the followed runs.
type Progress struct {
	Total, Done, Failed int
	// Tasks counts the task instances of all followed runs by state.
	Tasks     map[string]int
	DagPaused bool
	Elapsed   time.Duration
}

// WaitResult is how the followed runs ended (or stood at the timeout).
type WaitResult struct {
	// Runs are the followed runs as read after the last look, in the order asked.
	Runs []store.Run
	// Tasks counts each run's task instances by state, keyed by run id.
	Tasks map[string]map[string]int
	// FailedTasks are the failed and upstream_failed task instances of each
	// failed run, keyed by run id (read once, at the end).
	FailedTasks map[string][]store.TaskInstance
	// Failed and Unfinished are run ids, in the order asked.
	Failed, Unfinished []string
	Elapsed            time.Duration
	TimedOut           bool
}

// Wait polls the runs with one statement per interval (store.FollowRuns)
// until every run is success or failed, or the timeout passes. It returns
// nil when all succeeded; apperr.FailedResult (exit 1) when any failed,
// even if others were still going at the timeout; apperr.Timeout (exit
// 124) when some had not finished and none failed. A run that disappears
// while followed is not found (exit 3). The runs are never touched: at the
// timeout they stay and go on.
func Wait(ctx context.Context, st *store.Store, req WaitRequest) (WaitResult, error) {
	now, after := req.Now, req.After
	if now == nil {
		now = time.Now
	}
	if after == nil {
		after = time.After
	}
	ids := dedupe(req.RunIDs)
	start := now()
	deadline := start.Add(req.Timeout)
	var res WaitResult
	for {
		snap, err := st.FollowRuns(ctx, req.DagID, ids)
		if err != nil {
			return res, err
		}
		if len(snap.Runs) < len(ids) {
			return res, apperr.NotFound("run %q of dag %q disappeared while waiting (deleted?)", firstMissing(ids, len(snap.Runs), func(i int) string { return snap.Runs[i].RunID }), req.DagID)
		}
		p := Progress{Total: len(ids), Tasks: map[string]int{}, DagPaused: snap.DagPaused, Elapsed: now().Sub(start)}
		res.Tasks = map[string]map[string]int{}
		for _, r := range snap.Runs {
			if r.State == RunSuccess || r.State == RunFailed {
				p.Done++
			}
			if r.State == RunFailed {
				p.Failed++
			}
			for s, n := range r.Tasks {
				p.Tasks[s] += n
			}
			res.Tasks[r.RunID] = r.Tasks
		}
		if req.OnPoll != nil {
			req.OnPoll(p)
		}
		left := deadline.Sub(now())
		res.TimedOut = left <= 0
		if p.Done == p.Total || res.TimedOut {
			runs, err := st.RunsByID(ctx, req.DagID, ids)
			if err != nil {
				return res, err
			}
			if len(runs) < len(ids) {
				return res, apperr.NotFound("run %q of dag %q disappeared while waiting (deleted?)", firstMissing(ids, len(runs), func(i int) string { return runs[i].RunID }), req.DagID)
			}
			// A run cleared between the look and this read is not finished
			// after all: then follow on.
			if res.TimedOut || allFinished(runs) {
				res.Runs, res.Elapsed = runs, now().Sub(start)
				return finish(ctx, st, req, ids, res)
			}
		}
		select {
		case <-ctx.Done():
			// Ctrl-C or SIGTERM: the runs are not touched and go on.
			return res, fmt.Errorf("runs wait: interrupted after %s; the runs go on (%s to follow again): %w",
				FormatDuration(now().Sub(start)), WaitCommand(req.DagID, ids), ctx.Err())
		case <-after(min(req.Interval, left)):
		}
	}
}

func allFinished(runs []store.Run) bool {
	for _, r := range runs {
		if r.State != RunSuccess && r.State != RunFailed {
			return false
		}
	}
	return true
}

// finish reads the failed runs' failed tasks and decides the outcome.
func finish(ctx context.Context, st *store.Store, req WaitRequest, ids []string, res WaitResult) (WaitResult, error) {
	res.FailedTasks = map[string][]store.TaskInstance{}
	for _, r := range res.Runs {
		switch r.State {
		case RunSuccess:
		case RunFailed:
			res.Failed = append(res.Failed, r.RunID)
		default:
			res.Unfinished = append(res.Unfinished, r.RunID)
		}
	}
	if len(res.Failed) > 0 {
		// The failed runs' failed tasks, in one read for all of them.
		tis, err := st.ListTaskInstances(ctx, store.TaskInstanceFilter{DagID: req.DagID, RunIDs: res.Failed, States: FailedTaskStates})
		if err != nil {
			return res, err
		}
		// failed first, then upstream_failed; each by task id and map index.
		slices.SortStableFunc(tis, func(a, b store.TaskInstance) int { return strings.Compare(a.State, b.State) })
		for _, ti := range tis {
			res.FailedTasks[ti.RunID] = append(res.FailedTasks[ti.RunID], ti)
		}
	}
	res.TimedOut = res.TimedOut && len(res.Unfinished) > 0
	switch {
	case len(res.Failed) > 0:
		msg := fmt.Sprintf("%d of %d runs of dag %q failed", len(res.Failed), len(ids), req.DagID)
		if len(res.Unfinished) > 0 {
			msg += fmt.Sprintf("; %d not finished after %s (they stay and go on)", len(res.Unfinished), FormatDuration(req.Timeout))
		}
		return res, apperr.FailedResult("%s", msg)
	case len(res.Unfinished) > 0:
		return res, apperr.Timeout("timed out after %s: %d of %d runs of dag %q not finished; they stay and go on (%s to follow again)",
			FormatDuration(req.Timeout), len(res.Unfinished), len(ids), req.DagID, WaitCommand(req.DagID, res.Unfinished))
	}
	return res, nil
}

// WaitCommand is the `dagctl runs wait` command line that follows runIDs
// again (shortened to RUN_ID... beyond three runs, to keep the message one line).
func WaitCommand(dagID string, runIDs []string) string {
	args := "RUN_ID..."
	if len(runIDs) <= 3 {
		q := make([]string, len(runIDs))
		for i, id := range runIDs {
			q[i] = ShellQuote(id)
		}
		args = strings.Join(q, " ")
	}
	return "dagctl runs wait " + args + " --dag-id " + ShellQuote(dagID)
}

// ShellQuote quotes s for a POSIX shell when it holds anything but
// characters that need no quoting (run ids usually hold only ':', '+', '-').
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-+=:,./@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FormatDuration prints d as a person writes it: 30m, 1h30m, 45s, 150ms.
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	d = d.Round(time.Second)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// firstMissing returns the first of ids that is not among the n ids idAt
// gives ("" when none is missing).
func firstMissing(ids []string, n int, idAt func(int) string) string {
	have := make(map[string]bool, n)
	for i := range n {
		have[idAt(i)] = true
	}
	for _, id := range ids {
		if !have[id] {
			return id
		}
	}
	return ""
}
