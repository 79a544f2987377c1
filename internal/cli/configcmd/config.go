// Package configcmd implements `dagctl config view`.
package configcmd

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
)

// RowView is one setting in `config view -o json`.
type RowView struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

// NewCmdConfig builds `dagctl config`.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.NewGroup("config", "Show dagctl's effective settings", "  dagctl config view\n  dagctl config view --context prod -o json")
	cmd.AddCommand(&cobra.Command{
		Use:   "view",
		Short: "Show each effective setting and which layer it came from (password masked)",
		Long: `Show each effective setting, its value and the layer it came from:
flag > DAGCTL_* environment > dagctl config file > Airflow's own settings
(AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, _CMD, airflow.cfg) > Airflow's default.
The database password is always masked.`,
		Example: "  dagctl config view\n  dagctl config view --context prod -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Settings(cmd.Context())
			if err != nil {
				return err
			}
			rows := s.View()
			views := make([]RowView, len(rows))
			for i, r := range rows {
				views[i] = RowView{Key: r.Key, Value: r.Value, Source: r.Source}
			}
			return f.Print(output.Result{
				Data: views,
				Table: func() output.Rows {
					out := make([][]string, len(views))
					for i, v := range views {
						out[i] = []string{v.Key, v.Value, v.Source}
					}
					return output.Rows{Headers: []string{"key", "value", "source"}, Rows: out}
				},
				Names: func() []string {
					out := make([]string, len(views))
					for i, v := range views {
						out[i] = v.Key
					}
					return out
				},
			})
		},
	})
	return cmd
}
