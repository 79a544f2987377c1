// Package runs groups the DAG run verbs.
package runs

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/clear"
	"github.com/dagctl/dagctl/internal/cli/runs/create"
	"github.com/dagctl/dagctl/internal/cli/runs/get"
	"github.com/dagctl/dagctl/internal/cli/runs/grid"
	"github.com/dagctl/dagctl/internal/cli/runs/list"
	"github.com/dagctl/dagctl/internal/cli/runs/setstate"
	"github.com/dagctl/dagctl/internal/cli/runs/wait"
)

// NewCmdRuns builds `dagctl runs`.
func NewCmdRuns(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("runs", "List, show, create, wait for, clear and mark DAG runs", "  dagctl runs list --dag-id etl --state failed\n  dagctl runs get manual_0000001_2024-01-01T00:00:00+00:00 --dag-id etl\n  dagctl runs create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-07")
	cmd.AddCommand(list.NewCmdList(f, nil), get.NewCmdGet(f, nil), create.NewCmdCreate(f, nil))
	cmd.AddCommand(clear.NewCmdClear(f, nil), setstate.NewCmdSetState(f, nil))
	cmd.AddCommand(grid.NewCmdGrid(f, nil), wait.NewCmdWait(f, nil))
	return cmd
}
