// Package sandbox groups the sandbox verbs: a throwaway Airflow database to try dagctl on.
package sandbox

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/sandbox/initcmd"
)

// NewCmdSandbox builds `dagctl sandbox`.
func NewCmdSandbox(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("sandbox", "Create a throwaway Airflow database to try dagctl on", "  dagctl sandbox init ./sandbox.db\n  export DAGCTL_DB=$(dagctl sandbox init ./sandbox-2.db --release 2.10.5 -o name)")
	cmd.AddCommand(initcmd.NewCmdInit(f, nil))
	return cmd
}
