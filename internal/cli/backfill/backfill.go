// Package backfill groups the backfill verbs.
package backfill

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/action"
	"github.com/dagctl/dagctl/internal/cli/backfill/create"
	"github.com/dagctl/dagctl/internal/cli/backfill/get"
	"github.com/dagctl/dagctl/internal/cli/backfill/list"
	"github.com/dagctl/dagctl/internal/cli/backfill/reconcile"
	"github.com/dagctl/dagctl/internal/cli/backfill/retry"
	"github.com/dagctl/dagctl/internal/cli/backfill/wait"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
)

// NewCmdBackfill builds `dagctl backfill`.
func NewCmdBackfill(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("backfill", "Create, follow, pause, cancel and delete backfills", "  dagctl backfill create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-31 --wait\n  dagctl backfill list --state running\n  dagctl backfill cancel etl_backfill_20240601_120000")
	cmd.AddCommand(
		create.NewCmdCreate(f, nil),
		list.NewCmdList(f, nil),
		get.NewCmdGet(f, nil),
		action.NewCmd(f, backfillops.Pause),
		action.NewCmd(f, backfillops.Resume),
		action.NewCmd(f, backfillops.Cancel),
		action.NewCmd(f, backfillops.Delete),
		wait.NewCmdWait(f),
		reconcile.NewCmdReconcile(f),
	)
	cmd.AddCommand(retry.NewCmdRetry(f, nil))
	return cmd
}
