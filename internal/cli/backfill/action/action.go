// Package action implements `dagctl backfill pause|resume|cancel|delete ID`:
// four verbs of one shape, a state change on one backfill.
package action

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
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
Airflow stops their running tasks; the runs it marked are listed
(terminated_runs). --dry-run does it all in a transaction that is rolled back
and prints what would result. Already finished: exit 5.`,
		"  dagctl backfill cancel etl_backfill_20240601_120000\n  dagctl backfill cancel etl_backfill_20240601_120000 --terminate --dry-run"},
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
		cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "show what cancelling would do and write nothing")
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
	res, err := backfillops.ApplyWith(ctx, st, id, action, user, f.Now(), opts)
	if err != nil {
		return err
	}
	view := backfillops.NewView(res.Summary, false)
	if action != backfillops.Cancel {
		return f.Print(shared.One(view))
	}
	return f.Print(cancelResult(CancelResult{View: view, DryRun: res.DryRun, TerminatedRuns: res.Terminated}, opts.Terminate))
}

// CancelResult is the JSON shape of backfill cancel: the backfill, and the
// running runs --terminate marked failed (empty without it).
type CancelResult struct {
	backfillops.View
	DryRun         bool     `json:"dry_run"`
	TerminatedRuns []string `json:"terminated_runs"`
}

// cancelResult prints the backfill's fields, then, with --terminate, the
// runs marked failed as a second table.
func cancelResult(r CancelResult, terminate bool) output.Result {
	res := shared.One(r.View)
	res.Data = r
	if terminate {
		status := "terminated"
		if r.DryRun {
			status = "would terminate"
		}
		res.More = func() output.Rows {
			rows := [][]string{}
			for _, id := range r.TerminatedRuns {
				rows = append(rows, []string{id, status})
			}
			return output.Rows{Headers: []string{"terminated_run_id", "status"}, Rows: rows}
		}
	}
	if r.DryRun {
		table := res.Table
		res.Table = func() output.Rows {
			rows := table()
			rows.Rows = append(rows.Rows, []string{"dry_run", "true"})
			return rows
		}
	}
	return res
}
