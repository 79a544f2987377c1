// Package retry implements `dagctl backfill retry`.
package retry

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
)

// Options are the flags and argument of backfill retry.
type Options struct {
	ID     string
	DryRun bool
}

// Result is the JSON shape of backfill retry: the backfill and its re-run runs.
type Result struct {
	backfillops.View
	DryRun      bool     `json:"dry_run"`
	RetriedRuns []string `json:"retried_runs"`
	ClearedRuns []string `json:"cleared_runs"`
}

// NewCmdRetry builds `dagctl backfill retry`.
func NewCmdRetry(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "retry BACKFILL_ID",
		Short: "Re-run the failed runs of a backfill in place",
		Long: `Re-run the failed runs of a backfill: they are cleared as 'runs clear' clears
them (try history kept, task instances reset, run queued with clear_number + 1)
and the backfill is running again. On Airflow 3 the runs stay linked to the
native backfill, whose scheduler runs them within max_active_runs; on Airflow 2
they go back into the backfill's plan and are cleared within max_active_runs
now and by 'backfill wait' / 'backfill reconcile' as slots free up.

A cancelled backfill is reopened (no longer cancelled; the runs cancel or
'cancel --terminate' failed are among those re-run). --dry-run lists the failed
runs. A deleted backfill, or one with no failed run: exit 5. Needs can_edit on
the DAG; one audit row is written.`,
		Example: `  dagctl backfill retry etl_backfill_20240601_120000 --dry-run
  dagctl backfill retry etl_backfill_20240601_120000 && dagctl backfill wait etl_backfill_20240601_120000`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: shared.CompleteBackfillIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return retryRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list the failed runs and write nothing")
	return cmd
}

func retryRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	if err := st.CheckWritable(); err != nil {
		return err
	}
	b, err := st.GetBackfill(ctx, opts.ID)
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.Edit, b.DagID); err != nil {
		return err
	}
	user, err := f.User(ctx)
	if err != nil {
		return err
	}
	res, err := backfillops.Retry(ctx, st, opts.ID, user, opts.DryRun)
	if err != nil {
		return err
	}
	r := Result{View: backfillops.NewView(res.Summary, false), DryRun: res.DryRun, RetriedRuns: res.Failed, ClearedRuns: res.Cleared}
	if !res.DryRun && len(res.Cleared) < len(res.Failed) {
		f.IO.Infof("%d of %d failed runs cleared now; the rest follow as runs finish ('backfill wait' or 'backfill reconcile')", len(res.Cleared), len(res.Failed))
	}
	status := "retried"
	if res.DryRun {
		status = "would retry"
	}
	return f.Print(output.Result{
		Data: r,
		Table: func() output.Rows {
			rows := [][]string{}
			for _, id := range r.RetriedRuns {
				rows = append(rows, []string{r.BackfillDagID, id, status})
			}
			return output.Rows{Headers: []string{"backfill_dag_id", "run_id", "status"}, Rows: rows}
		},
		Names: func() []string { return r.RetriedRuns },
	})
}
