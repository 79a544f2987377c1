// Package get implements `dagctl runs get RUN_ID`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/output"
)

// Options are the flags of runs get.
type Options struct {
	RunID string
	DagID string
}

// NewCmdGet builds `dagctl runs get`.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "get RUN_ID",
		Short: "Show one DAG run",
		Long: `Show one DAG run by its run_id, with how many of its task instances are in
each state (task_instance_states; "none" counts those without a state yet).
The same run_id can exist in several DAGs: then --dag-id is required (exit 2
lists them). A missing run is exit 3.`,
		Example: "  dagctl runs get manual__2024-06-15T10:30:00+00:00 --dag-id etl\n  dagctl runs get nightly_0000001_2024-01-01T00:00:00+00:00 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return getRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.DagID, "dag-id", "", "the DAG the run belongs to")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	return cmd
}

func getRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, run, err := f.ReadableRun(ctx, opts.RunID, opts.DagID)
	if err != nil {
		return err
	}
	// The same one-statement look runs wait takes: the run's task instances by state.
	snap, err := st.FollowRuns(ctx, run.DagID, []string{run.RunID})
	if err != nil {
		return err
	}
	var counts map[string]int
	if len(snap.Runs) == 1 {
		counts = snap.Runs[0].Tasks
	}
	return f.Print(single(shared.NewRunDetailView(*run, counts)))
}

func single(v shared.RunDetailView) output.Result {
	r := shared.DetailResult([]shared.RunDetailView{v})
	r.Data = v
	return r
}
