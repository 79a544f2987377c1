// Package setstate implements `dagctl runs set-state`.
package setstate

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/internal/runops"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dagdef"
	"github.com/dagctl/dagctl/pkg/dates"
)

var states = []string{runops.StateSuccess, runops.StateFailed, runops.StateQueued}

// Options are the flags and argument of runs set-state.
type Options struct {
	RunID  string
	DagID  string
	State  string
	DryRun bool
}

// TaskInstanceView is one task instance whose state changed.
type TaskInstanceView struct {
	TaskID   string `json:"task_id"`
	MapIndex int    `json:"map_index"`
	From     string `json:"previous_state"`
	To       string `json:"state"`
}

// Result is the JSON shape of runs set-state.
type Result struct {
	DagID         string             `json:"dag_id"`
	RunID         string             `json:"run_id"`
	LogicalDate   *string            `json:"logical_date"`
	PreviousState string             `json:"previous_state"`
	State         string             `json:"state"`
	DryRun        bool               `json:"dry_run"`
	TaskInstances []TaskInstanceView `json:"task_instances"`
}

// NewCmdSetState builds `dagctl runs set-state`.
func NewCmdSetState(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "set-state RUN_ID --dag-id DAG --state success|failed|queued",
		Short: "Mark a run success, failed or queued, as Airflow's \"Mark run as\"",
		Long: `Mark a run as Airflow's "Mark run as" (the REST API's PATCH of a dag run) does:

  success  every task instance that is not success becomes success
  failed   every instance of a task that has a running (also deferred,
           up_for_reschedule) instance becomes failed, all map indexes, so
           Airflow's task supervisor stops them; the other task instances
           not started or not finished become skipped
  queued   the run is queued again; its task instances are not touched

The run's end_date is set as Airflow sets it (now, when it had not finished).
Task instances keep their try_number. Teardown tasks are left to run, as in
Airflow. Needs can_edit on the DAG; one audit row is written.`,
		Example: `  dagctl runs set-state manual__2024-02-02T00:00:00+00:00 --dag-id etl --state success
  dagctl runs set-state nightly_0000003_2024-03-01T00:00:00+00:00 --dag-id etl --state failed --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunID = args[0]
			if opts.DagID == "" {
				return apperr.Invalid("--dag-id: required")
			}
			if !slices.Contains(states, opts.State) {
				return apperr.Invalid("--state: %q is not accepted; use success, failed or queued", opts.State)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return setStateRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "the DAG of the run (required)")
	fl.StringVar(&opts.State, "state", "", "success, failed or queued (required)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print what would change and write nothing")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	cmdutil.RegisterValuesCompletion(cmd, "state", states...)
	cmd.ValidArgsFunction = shared.CompleteRunIDs(f, 1)
	return cmd
}

func setStateRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	if err := st.CheckWritable(); err != nil {
		return err
	}
	def, err := loadDef(ctx, st, opts.DagID)
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.Edit, opts.DagID); err != nil {
		return err
	}
	user, err := f.User(ctx)
	if err != nil {
		return err
	}
	res, err := runops.SetState(ctx, st, def, runops.SetStateRequest{DagID: opts.DagID, RunID: opts.RunID, State: opts.State, DryRun: opts.DryRun, User: user})
	if err != nil {
		return err
	}
	return f.Print(result(res))
}

// loadDef reads the DAG's serialized form for its teardown tasks; a run whose
// DAG is no longer serialized can still be marked (no teardowns then).
func loadDef(ctx context.Context, st *store.Store, dagID string) (*dagdef.DAG, error) {
	data, compressed, err := st.SerializedDAG(ctx, dagID)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	def, err := dagdef.Parse(data, compressed)
	if errors.Is(err, dagdef.ErrNoData) {
		return nil, nil
	}
	return def, err
}

func result(res runops.SetStateResult) output.Result {
	r := Result{DagID: res.DagID, RunID: res.RunID, PreviousState: res.From, State: res.To, DryRun: res.DryRun, TaskInstances: []TaskInstanceView{}}
	if res.LogicalDate != nil {
		s := dates.FormatISO(*res.LogicalDate)
		r.LogicalDate = &s
	}
	for _, ti := range res.TaskInstances {
		r.TaskInstances = append(r.TaskInstances, TaskInstanceView{TaskID: ti.TaskID, MapIndex: ti.MapIndex, From: ti.From, To: ti.To})
	}
	none := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	return output.Result{
		Data: r,
		Table: func() output.Rows {
			rows := [][]string{{r.RunID, "", "", none(r.PreviousState) + " → " + r.State}}
			for _, ti := range r.TaskInstances {
				rows = append(rows, []string{r.RunID, ti.TaskID, strconv.Itoa(ti.MapIndex), none(ti.From) + " → " + ti.To})
			}
			return output.Rows{Headers: []string{"run_id", "task_id", "map_index", "state"}, Rows: rows}
		},
		Names: func() []string { return []string{r.RunID} },
	}
}
