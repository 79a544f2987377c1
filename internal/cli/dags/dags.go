// Package dags groups the DAG verbs.
package dags

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/dags/list"
	"github.com/dagctl/dagctl/internal/cli/dags/pause"
)

// NewCmdDags builds `dagctl dags`.
func NewCmdDags(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("dags", "Work with DAGs", "  dagctl dags list\n  dagctl dags list --tag finance --unpaused -o json")
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(pause.NewCmdPause(f, true, nil), pause.NewCmdPause(f, false, nil))
	return cmd
}
