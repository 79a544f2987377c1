// Package clear implements `dagctl runs clear`.
package clear

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/internal/runops"
	"github.com/dagctl/dagctl/pkg/dates"
)

// runStates are the dag_run states --state accepts (Airflow's DagRunState).
var runStates = []string{"queued", "running", "success", "failed"}

// Options are the flags and arguments of runs clear.
type Options struct {
	RunIDs     []string
	DagID      string
	StartDate  string
	EndDate    string
	States     []string
	TaskRegex  string
	OnlyFailed bool
	Downstream bool
	Upstream   bool
	DryRun     bool
}

// TaskInstanceView is one task instance cleared.
type TaskInstanceView struct {
	TaskID    string `json:"task_id"`
	MapIndex  int    `json:"map_index"`
	State     string `json:"state"`
	TryNumber int    `json:"try_number"`
}

// RunView is one run and the task instances cleared in it.
type RunView struct {
	RunID         string             `json:"run_id"`
	LogicalDate   *string            `json:"logical_date"`
	State         string             `json:"state"`
	TaskInstances []TaskInstanceView `json:"task_instances"`
}

// Result is the JSON shape of runs clear.
type Result struct {
	DagID  string    `json:"dag_id"`
	DryRun bool      `json:"dry_run"`
	Runs   []RunView `json:"runs"`
}

// NewCmdClear builds `dagctl runs clear`.
func NewCmdClear(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "clear [RUN_ID...] --dag-id DAG",
		Short: "Clear task instances of runs so the scheduler runs them again",
		Long: `Clear task instances, as Airflow's "Clear" does ('airflow tasks clear', the UI's
clear of a run): each try is kept in task_instance_history, the task instances
go back to no state with max_tries = try_number + retries (Airflow 3: with a new
task instance id), their reschedules are deleted, and their finished runs go
back to queued with clear_number + 1. Running task instances become restarting
(Airflow 2: those with a job, and the job too, as Airflow 2 does).

Select runs by RUN_ID..., or with --start-date/--end-date (logical dates, both
ends inclusive) and optionally --state. Narrow the task instances with
--task-regex (searched in the task id, as Airflow 2's -t; anchor with ^...$),
--downstream/--upstream (also the matched tasks' relatives in the DAG's task
graph) and --only-failed (failed and upstream_failed). The matched tasks'
setup tasks and their teardowns come along, as in Airflow's partial_subset
(also without --upstream). --dry-run prints exactly
what would be cleared. Each run is printed with the task instances cleared in
it; nothing to clear exits 0 with a note. Needs can_edit on the DAG; one audit
row is written to Airflow's log table.`,
		Example: `  dagctl runs clear manual__2024-02-02T00:00:00+00:00 --dag-id etl
  dagctl runs clear --dag-id etl --start-date 2024-02-01 --end-date 2024-02-29 --state failed --only-failed
  dagctl runs clear --dag-id etl --start-date 2024-02-01 --end-date 2024-02-03 --task-regex '^load$' --downstream --dry-run`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunIDs = args
			if err := validate(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return clearRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "the DAG whose runs to clear (required)")
	fl.StringVar(&opts.StartDate, "start-date", "", "first logical date of the runs to clear")
	fl.StringVar(&opts.EndDate, "end-date", "", "last logical date of the runs to clear")
	fl.StringSliceVar(&opts.States, "state", nil, "with dates: only runs in these states (queued, running, success, failed)")
	fl.StringVarP(&opts.TaskRegex, "task-regex", "t", "", "only tasks whose id this Go regular expression matches")
	fl.BoolVar(&opts.OnlyFailed, "only-failed", false, "only failed and upstream_failed task instances")
	fl.BoolVarP(&opts.Downstream, "downstream", "d", false, "also the matched tasks' downstream tasks")
	fl.BoolVarP(&opts.Upstream, "upstream", "u", false, "also the matched tasks' upstream tasks")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print what would be cleared and write nothing")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	cmdutil.RegisterValuesCompletion(cmd, "state", runStates...)
	cmd.ValidArgsFunction = shared.CompleteRunIDs(f, 0)
	return cmd
}

func validate(opts *Options) error {
	if opts.DagID == "" {
		return apperr.Invalid("--dag-id: required")
	}
	ranged := opts.StartDate != "" || opts.EndDate != ""
	switch {
	case len(opts.RunIDs) > 0 && ranged:
		return apperr.Invalid("--start-date/--end-date: give RUN_IDs or a date range, not both")
	case len(opts.RunIDs) > 0 && len(opts.States) > 0:
		return apperr.Invalid("--state: selects runs of a date range; not with RUN_IDs")
	case len(opts.RunIDs) == 0 && !ranged:
		return apperr.Invalid("RUN_ID: give run ids, or --start-date/--end-date to select runs")
	}
	for _, s := range opts.States {
		if !slices.Contains(runStates, s) {
			return apperr.Invalid("--state: %q is not a run state; use %s", s, strings.Join(runStates, ", "))
		}
	}
	if (opts.Downstream || opts.Upstream) && opts.TaskRegex == "" {
		return apperr.Invalid("--downstream/--upstream: need --task-regex")
	}
	if opts.TaskRegex != "" {
		if _, err := regexp.Compile(opts.TaskRegex); err != nil {
			return apperr.Invalid("--task-regex: %q is not a valid regular expression (Go RE2 syntax)", opts.TaskRegex)
		}
	}
	return nil
}

func clearRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	req := runops.ClearRequest{DagID: opts.DagID, RunIDs: opts.RunIDs, States: opts.States,
		OnlyFailed: opts.OnlyFailed, Downstream: opts.Downstream, Upstream: opts.Upstream, DryRun: opts.DryRun}
	if opts.TaskRegex != "" {
		req.TaskRegex = regexp.MustCompile(opts.TaskRegex)
	}
	for _, d := range []struct {
		flag, value string
		dst         **time.Time
	}{{"--start-date", opts.StartDate, &req.From}, {"--end-date", opts.EndDate, &req.To}} {
		if d.value == "" {
			continue
		}
		t, err := f.ParseDate(ctx, d.flag, d.value)
		if err != nil {
			return err
		}
		*d.dst = &t
	}
	if req.From != nil && req.To != nil && req.From.After(*req.To) {
		return apperr.Invalid("--start-date: %s is after --end-date %s", dates.FormatISO(*req.From), dates.FormatISO(*req.To))
	}
	st, dag, err := f.WritableDAG(ctx, opts.DagID)
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.Edit, opts.DagID); err != nil {
		return err
	}
	if req.User, err = f.User(ctx); err != nil {
		return err
	}
	res, err := runops.Clear(ctx, st, dag.Def, req)
	if err != nil {
		return err
	}
	if len(res.Runs) == 0 {
		f.IO.Infof("nothing to clear: %d run(s) selected, no task instance matched", res.Selected)
	}
	return f.Print(result(res))
}

func result(res runops.ClearResult) output.Result {
	r := Result{DagID: res.DagID, DryRun: res.DryRun, Runs: []RunView{}}
	for _, run := range res.Runs {
		v := RunView{RunID: run.RunID, State: run.State, TaskInstances: []TaskInstanceView{}}
		if run.LogicalDate != nil {
			s := dates.FormatISO(*run.LogicalDate)
			v.LogicalDate = &s
		}
		for _, ti := range run.TaskInstances {
			v.TaskInstances = append(v.TaskInstances, TaskInstanceView{TaskID: ti.TaskID, MapIndex: ti.MapIndex, State: ti.State, TryNumber: ti.TryNumber})
		}
		r.Runs = append(r.Runs, v)
	}
	status := "cleared"
	if res.DryRun {
		status = "would clear"
	}
	return output.Result{
		Data: r,
		Table: func() output.Rows {
			rows := [][]string{}
			for _, run := range r.Runs {
				for _, ti := range run.TaskInstances {
					state := ti.State
					if state == "" {
						state = "none"
					}
					rows = append(rows, []string{run.RunID, ti.TaskID, strconv.Itoa(ti.MapIndex), state, status})
				}
			}
			return output.Rows{Headers: []string{"run_id", "task_id", "map_index", "state", "status"}, Rows: rows}
		},
		Names: func() []string {
			names := []string{}
			for _, run := range r.Runs {
				names = append(names, run.RunID)
			}
			return names
		},
	}
}
