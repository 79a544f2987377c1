// Package version implements `dagctl version`.
package version

import (
	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/buildinfo"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
)

// Info is the JSON shape of `dagctl version -o json`.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
}

// NewCmdVersion builds `dagctl version`.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print dagctl's version, commit and build date",
		Args:    cobra.NoArgs,
		Example: "  dagctl version\n  dagctl version -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			b := buildinfo.Get()
			info := Info{Version: b.Version, Commit: b.Commit, Date: b.Date}
			return f.Print(output.Result{
				Data: info,
				Table: func() output.Rows {
					return output.Rows{Headers: []string{"version", "commit", "date"},
						Rows: [][]string{{info.Version, info.Commit, info.Date}}}
				},
				Names: func() []string { return []string{info.Version} },
			})
		},
	}
}
