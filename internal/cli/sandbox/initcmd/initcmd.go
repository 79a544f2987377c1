// Package initcmd implements `dagctl sandbox init`.
package initcmd

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/sandbox/sandboxdb"
	"github.com/dagctl/dagctl/internal/output"
)

// Options are the arguments and flags of sandbox init.
type Options struct {
	Path    string
	Release string
	Force   bool
}

// NewCmdInit builds `dagctl sandbox init`.
func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "init PATH",
		Short: "Write a throwaway Airflow metadata database with sample DAGs into a SQLite file",
		Long: `Write a throwaway Airflow metadata database into the SQLite file PATH: the
schema Airflow's own 'db migrate' creates, its seed rows (alembic_version,
log_template, default_pool) and a set of sample DAGs as Airflow serialized
them. Everything is embedded in dagctl; no Airflow, server or network is
needed. Prints the URL to pass as --db (or to set as DAGCTL_DB).

An existing file is never replaced unless --force is given (exit 5).`,
		Example: `  dagctl sandbox init ./sandbox/airflow.db
  dagctl sandbox init /tmp/af2.db --release 2.10.5 --force
  export DAGCTL_DB=$(dagctl sandbox init ./airflow.db -o name)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return initRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Release, "release", sandboxdb.DefaultRelease, "Airflow release of the schema: "+strings.Join(sandboxdb.Releases, "|"))
	fl.BoolVar(&opts.Force, "force", false, "replace PATH if it exists")
	cmdutil.RegisterValuesCompletion(cmd, "release", sandboxdb.Releases...)
	return cmd
}

func initRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	info, err := sandboxdb.Create(ctx, sandboxdb.Options{Path: opts.Path, Release: opts.Release, Force: opts.Force})
	if err != nil {
		return err
	}
	f.IO.Infof("created an Airflow %s database with %d sample DAGs; use it with:\n  dagctl --db %s dags list\n", info.Release, info.DAGs, info.URL)
	return f.Print(output.Result{
		Data: info,
		Table: func() output.Rows {
			return output.Rows{Headers: []string{"key", "value"}, Rows: [][]string{
				{"path", info.Path},
				{"url", info.URL},
				{"release", info.Release},
				{"alembic_revision", info.Revision},
				{"dags", strconv.Itoa(info.DAGs)},
			}}
		},
		Names: func() []string { return []string{info.URL} },
	})
}
