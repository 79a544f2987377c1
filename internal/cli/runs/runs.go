// Package runs groups the DAG run verbs.
package runs

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/create"
	"github.com/dagctl/dagctl/internal/cli/runs/get"
	"github.com/dagctl/dagctl/internal/cli/runs/list"
)

// NewCmdRuns builds `dagctl runs`.
func NewCmdRuns(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("runs", "List, show and create DAG runs")
	cmd.AddCommand(list.NewCmdList(f, nil), get.NewCmdGet(f, nil), create.NewCmdCreate(f, nil))
	return cmd
}
