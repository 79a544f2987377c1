// Package wait implements `dagctl runs wait RUN_ID... --dag-id DAG`.
package wait

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/rbac"
)

// Options are the arguments and flags of runs wait.
type Options struct {
	RunIDs []string
	DagID  string
	Wait   shared.WaitFlags
}

// NewCmdWait builds `dagctl runs wait`.
func NewCmdWait(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "wait RUN_ID... --dag-id DAG",
		Short: "Follow DAG runs to their end: exit 0 all succeeded, 1 any failed, 124 timeout",
		Long: `Follow existing runs of one DAG (scheduled ones, ones created earlier, ones
re-run by 'runs clear') until every one has finished, that is success or failed.

Exit 0 when all succeeded; 1 when any failed, and stderr names each failed run
with its failed and upstream_failed tasks, their try numbers and the
'dagctl tasks logs' command that shows each log; 124 when --timeout passed
first: the runs are left as they are and go on. stdout gets the final runs
as 'runs get' shows them (-o json: an array of that view; --jq applies).

On a terminal stderr carries a live progress line; in a pipe or file (cron)
nothing but the result. Each look is one query for all the runs, however
many. A paused DAG gets one warning line; the wait goes on until the
timeout. An unknown run is exit 3 before waiting.`,
		Example: `  dagctl runs wait manual__2024-06-15T10:30:00+00:00 --dag-id etl
  dagctl runs wait nightly_0000001_2024-01-01T00:00:00+00:00 nightly_0000002_2024-01-02T00:00:00+00:00 --dag-id etl --timeout 2h -o json
  dagctl runs wait $(dagctl runs list --dag-id etl --state running -o name) --dag-id etl --interval 30s`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: shared.CompleteRunIDs(f, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunIDs = args
			if opts.DagID == "" {
				return apperr.Invalid("--dag-id: required")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return waitRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.DagID, "dag-id", "", "the DAG the runs belong to (required)")
	shared.AddWaitFlags(cmd, &opts.Wait, "")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	return cmd
}

func waitRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.Read, opts.DagID); err != nil {
		return err
	}
	runs, err := st.RunsByID(ctx, opts.DagID, opts.RunIDs)
	if err != nil {
		return err
	}
	found := map[string]bool{}
	for _, r := range runs {
		found[r.RunID] = true
	}
	for _, id := range opts.RunIDs {
		if !found[id] {
			return apperr.NotFound("run %q not found in dag %q; nothing to wait for", id, opts.DagID)
		}
	}
	return shared.Follow(ctx, f, st, opts.DagID, opts.RunIDs, opts.Wait)
}
