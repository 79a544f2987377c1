// Package pause implements `dagctl dags pause` and `dagctl dags unpause`.
package pause

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/dagops"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
)

// Options are the flags and arguments of dags pause|unpause.
type Options struct {
	DagIDs  []string
	Pattern string
	Paused  bool
	DryRun  bool
}

// View is the JSON shape of one DAG's change.
type View struct {
	DagID          string `json:"dag_id"`
	IsPausedBefore bool   `json:"is_paused_before"`
	IsPaused       bool   `json:"is_paused"`
	Changed        bool   `json:"changed"`
}

// NewCmdPause builds `dagctl dags pause` (paused true) or `dags unpause`.
func NewCmdPause(f *cmdutil.Factory, paused bool, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Paused: paused}
	verb, short, long := "pause", "Pause DAGs: the scheduler starts none of their runs",
		`Pause DAGs, as 'airflow dags pause' does: dag.is_paused becomes true, so the
scheduler creates no scheduled runs and starts none of their queued runs or tasks
until they are unpaused. Running tasks finish.`
	if !paused {
		verb, short, long = "unpause", "Unpause DAGs: the scheduler runs them again",
			`Unpause DAGs, as 'airflow dags unpause' does: dag.is_paused becomes false.`
	}
	long += `

Select DAGs by id, or with --pattern, a Go regular expression matched against
the whole dag_id. Each DAG is printed with is_paused before and after; a DAG
already in that state is left as it is. An unknown id, or a pattern matching no
DAG, exits 3 and changes nothing. Needs can_edit on each DAG; one audit row is
written to Airflow's log table.`
	cmd := &cobra.Command{
		Use:     verb + " [DAG_ID...]",
		Short:   short,
		Long:    long,
		Example: "  dagctl dags " + verb + " etl\n  dagctl dags " + verb + " etl reports\n  dagctl dags " + verb + " --pattern 'etl_.*' --dry-run",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.DagIDs = args
			switch {
			case opts.Pattern != "" && len(args) > 0:
				return apperr.Invalid("--pattern: give DAG ids or --pattern, not both")
			case opts.Pattern == "" && len(args) == 0:
				return apperr.Invalid("DAG_ID: give one or more DAG ids, or --pattern REGEX")
			}
			if opts.Pattern != "" {
				if _, err := dagops.WholeMatch(opts.Pattern); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return pauseRun(cmd.Context(), f, opts)
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return f.DagIDs(cmd), cobra.ShellCompDirectiveNoFileComp
		},
	}
	cmd.Flags().StringVar(&opts.Pattern, "pattern", "", "select every DAG whose whole dag_id matches this Go regular expression")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what would change and write nothing")
	return cmd
}

func pauseRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	if err := st.CheckWritable(); err != nil {
		return err
	}
	user, err := f.User(ctx)
	if err != nil {
		return err
	}
	changes, err := dagops.SetPaused(ctx, st, dagops.PauseRequest{
		DagIDs: opts.DagIDs, Pattern: opts.Pattern, Paused: opts.Paused, DryRun: opts.DryRun, User: user,
		Authorize: func(ctx context.Context, dagID string) error { return f.Authorize(ctx, rbac.Edit, dagID) },
	})
	if err != nil {
		return err
	}
	views := make([]View, 0, len(changes))
	for _, c := range changes {
		views = append(views, View{DagID: c.DagID, IsPausedBefore: c.Before, IsPaused: c.After, Changed: c.Changed()})
	}
	return f.Print(result(views, opts))
}

func result(views []View, opts *Options) output.Result {
	return output.Result{
		Data: views,
		Table: func() output.Rows {
			rows := make([][]string, 0, len(views))
			for _, v := range views {
				status := "unchanged"
				switch {
				case v.Changed && opts.DryRun:
					status = "would change"
				case v.Changed:
					status = "changed"
				}
				rows = append(rows, []string{v.DagID, strconv.FormatBool(v.IsPausedBefore) + " → " + strconv.FormatBool(v.IsPaused), status})
			}
			return output.Rows{Headers: []string{"dag_id", "is_paused", "status"}, Rows: rows}
		},
		Names: func() []string {
			names := make([]string, 0, len(views))
			for _, v := range views {
				names = append(names, v.DagID)
			}
			return names
		},
	}
}
