// Package action implements `dagctl backfill pause|resume|cancel|delete ID`:
// four verbs of one shape, a state change on one backfill.
package action

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/rbac"
)

var help = map[backfillops.Action]struct{ short, long, example string }{
	backfillops.Pause: {"Pause a backfill: no new run starts, running ones finish",
		`Pause a backfill: no new run of it starts; running ones finish. On Airflow 3 the
native backfill is paused; on Airflow 2 the runs dagctl wrote that have not
started are taken back and written again on resume. A finished backfill: exit 5.`,
		"  dagctl backfill pause etl_backfill_20240601_120000"},
	backfillops.Resume: {"Resume a paused backfill",
		"Resume a paused backfill. A finished or not paused backfill: exit 5.",
		"  dagctl backfill resume etl_backfill_20240601_120000"},
	backfillops.Cancel: {"Cancel a backfill: queued runs fail, running ones finish (or stop, with --terminate)",
		`Cancel a backfill: no further runs start or get created, queued runs become
failed, running ones finish, and the backfill ends failed. With --terminate the
running runs are also marked failed as 'runs set-state --state failed' does, so
Airflow stops their running tasks. Already finished: exit 5.`,
		"  dagctl backfill cancel etl_backfill_20240601_120000\n  dagctl backfill cancel etl_backfill_20240601_120000 --terminate"},
	backfillops.Delete: {"Delete a paused or finished backfill (purged by reconcile)",
		`Mark a paused, successful or failed backfill ToBeDeleted (otherwise exit 5:
cancel it first). The next 'backfill reconcile' purges it: deletes the runs it
created (and their task instances), unlinks runs it only re-ran, removes
Airflow 3's native rows, and marks it Deleted.`,
		"  dagctl backfill delete etl_backfill_20240601_120000 && dagctl backfill reconcile"},
}

// NewCmd builds one of the four verbs.
func NewCmd(f *cmdutil.Factory, action backfillops.Action) *cobra.Command {
	h := help[action]
	var opts backfillops.ApplyOptions
	cmd := &cobra.Command{
		Use:               string(action) + " BACKFILL_ID",
		Short:             h.short,
		Long:              h.long,
		Example:           h.example,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: shared.CompleteBackfillIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			return apply(cmd.Context(), f, action, args[0], opts)
		},
	}
	if action == backfillops.Cancel {
		cmd.Flags().BoolVar(&opts.Terminate, "terminate", false, "also mark the running runs failed, so Airflow stops their tasks")
	}
	return cmd
}

func apply(ctx context.Context, f *cmdutil.Factory, action backfillops.Action, id string, opts backfillops.ApplyOptions) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	if err := st.CheckWritable(); err != nil {
		return err
	}
	b, err := st.GetBackfill(ctx, id)
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
	sum, err := backfillops.ApplyWith(ctx, st, id, action, user, f.Now(), opts)
	if err != nil {
		return err
	}
	return f.Print(shared.One(backfillops.NewView(sum, false)))
}
