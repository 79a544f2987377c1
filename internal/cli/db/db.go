// Package db implements `dagctl db migrate`: dagctl's own tables.
package db

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
)

// NewCmdDB builds `dagctl db`.
func NewCmdDB(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("db", "Manage dagctl's own tables in the Airflow database", "  dagctl db migrate")
	cmd.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Create dagctl's own tables (dagctl_*) if missing; Airflow's tables are never altered",
		Long: `Create dagctl's own tables (dagctl_meta, dagctl_backfill, dagctl_backfill_run)
when they are missing. They are also created on the first backfill. They have no
foreign keys into Airflow's tables, and Airflow's own tables are never altered.`,
		Example: "  dagctl db migrate",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.Store(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.MigrateDagctl(cmd.Context()); err != nil {
				return err
			}
			f.IO.Infof("dagctl tables are up to date")
			return nil
		},
	})
	return cmd
}
