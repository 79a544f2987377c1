// Package list implements `dagctl tasks list RUN_ID`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	runshared "github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/cli/tasks/shared"
	"github.com/dagctl/dagctl/internal/taskops"
)

// Options are the flags of tasks list.
type Options struct {
	RunID  string
	DagID  string
	States []string
}

// NewCmdList builds `dagctl tasks list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	var states []string
	cmd := &cobra.Command{
		Use:   "list RUN_ID",
		Short: "List a run's task instances in the DAG's order",
		Long: `List the task instances of one DAG run: task_id, map_index, state, try_number,
max_tries, start and end date, duration (seconds, as Airflow stores it),
operator, hostname, pool and queue (on Airflow 3 also the task instance id),
in the DAG's topological order as Airflow's DAG.topological_sort gives it;
a mapped task's instances by map index. JSON keys are those of Airflow's REST
API. --state keeps the given states (comma-separated or repeated; "none" is a
task instance that has no state yet). A missing run is exit 3; a run id that
exists in several DAGs needs --dag-id (exit 2 lists them).`,
		Example: `  dagctl tasks list manual__2024-06-15T10:30:00+00:00 --dag-id etl
  dagctl tasks list manual__2024-06-15T10:30:00+00:00 --dag-id etl --state failed,upstream_failed
  dagctl tasks list manual__2024-06-15T10:30:00+00:00 --dag-id etl -o json --jq '.[] | select(.state == "failed") | .task_id'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: runshared.CompleteRunIDs(f, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunID = args[0]
			var err error
			if opts.States, err = taskops.ParseStates("--state", states); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listTasks(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.DagID, "dag-id", "", "the DAG the run belongs to (needed when the run id exists in several DAGs)")
	cmd.Flags().StringSliceVar(&states, "state", nil, "keep task instances in these states (comma-separated)")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	cmdutil.RegisterValuesCompletion(cmd, "state", taskops.States...)
	return cmd
}

func listTasks(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, run, err := f.ReadableRun(ctx, opts.RunID, opts.DagID)
	if err != nil {
		return err
	}
	res, err := taskops.List(ctx, st, taskops.ListRequest{DagID: run.DagID, RunID: run.RunID, States: opts.States})
	if err != nil {
		return err
	}
	if !res.Ordered {
		f.IO.Infof("note: dag %q has no readable serialized form; task instances are in task id order", run.DagID)
	}
	views := make([]shared.TaskInstanceView, len(res.TaskInstances))
	for i, ti := range res.TaskInstances {
		views[i] = shared.NewTaskInstanceView(ti)
	}
	return f.Print(shared.Result(views))
}
