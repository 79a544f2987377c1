// Package list implements `dagctl dags list`.
package list

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/store"
)

// Options are the flags of dags list.
type Options struct {
	Paused          bool
	Unpaused        bool
	IncludeInactive bool
	Tags            []string
	Pattern         string
}

// DAGView is the stable JSON shape of a DAG.
type DAGView struct {
	DagID           string   `json:"dag_id"`
	IsPaused        bool     `json:"is_paused"`
	IsActive        bool     `json:"is_active"`
	FullPath        string   `json:"full_path"`
	Schedule        string   `json:"schedule"`
	Owners          string   `json:"owners"`
	Tags            []string `json:"tags"`
	LastExecution   *string  `json:"last_execution"`
	NextDagrun      *string  `json:"next_dagrun"`
	MaxActiveRuns   *int     `json:"max_active_runs"`
	HasImportErrors bool     `json:"has_import_errors"`
}

// NewCmdList builds `dagctl dags list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List DAGs with their schedule and latest run",
		Long: `List the DAGs in Airflow's dag table, sorted by dag_id, with the latest logical
date of any of their runs. Inactive (2.x) or stale (3.x) DAGs are hidden unless
--include-inactive is given. In a pipe, rows are printed without a header.`,
		Example: `  dagctl dags list
  dagctl dags list --tag finance --tag daily --unpaused
  dagctl dags list --pattern 'etl_*' -o json
  dagctl dags list | wc -l`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Paused && opts.Unpaused {
				return apperr.Invalid("--paused and --unpaused: give one or neither")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listDAGs(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Paused, "paused", false, "only paused DAGs")
	fl.BoolVar(&opts.Unpaused, "unpaused", false, "only unpaused DAGs")
	fl.BoolVar(&opts.IncludeInactive, "include-inactive", false, "also list inactive (2.x) or stale (3.x) DAGs")
	fl.StringArrayVar(&opts.Tags, "tag", nil, "only DAGs with this tag (repeatable; all must match)")
	fl.StringVar(&opts.Pattern, "pattern", "", "only DAGs whose dag_id matches this glob (* ? [..])")
	return cmd
}

func listDAGs(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	filter := store.DAGFilter{IncludeInactive: opts.IncludeInactive, Tags: opts.Tags, Pattern: opts.Pattern}
	if opts.Paused || opts.Unpaused {
		p := opts.Paused
		filter.Paused = &p
	}
	dags, err := st.ListDAGs(ctx, filter)
	if err != nil {
		return err
	}
	dags, hidden, err := f.KeepReadableDAGs(ctx, dags)
	if err != nil {
		return err
	}
	if hidden > 0 {
		f.IO.Infof("%d dag(s) hidden: the acting user may not read them", hidden)
	}
	views := make([]DAGView, len(dags))
	for i, d := range dags {
		views[i] = DAGView{
			DagID: d.ID, IsPaused: d.IsPaused, IsActive: d.IsActive, FullPath: d.FullPath, Schedule: d.Schedule,
			Owners: d.Owners, Tags: d.Tags, LastExecution: output.TimeStr(d.LastExecution), NextDagrun: output.TimeStr(d.NextDagrun),
			MaxActiveRuns: d.MaxActiveRuns, HasImportErrors: d.HasImportErrors,
		}
	}
	return f.Print(output.Result{
		Data: views,
		Table: func() output.Rows {
			rows := make([][]string, len(views))
			for i, v := range views {
				mar := ""
				if v.MaxActiveRuns != nil {
					mar = strconv.Itoa(*v.MaxActiveRuns)
				}
				rows[i] = []string{v.DagID, strconv.FormatBool(v.IsPaused), strconv.FormatBool(v.IsActive), v.Schedule,
					v.Owners, strings.Join(v.Tags, ","), deref(v.LastExecution), deref(v.NextDagrun), mar,
					strconv.FormatBool(v.HasImportErrors), v.FullPath}
			}
			return output.Rows{Headers: []string{"dag_id", "is_paused", "is_active", "schedule", "owners", "tags",
				"last_execution", "next_dagrun", "max_active_runs", "has_import_errors", "full_path"}, Rows: rows}
		},
		Names: func() []string {
			names := make([]string, len(views))
			for i, v := range views {
				names[i] = v.DagID
			}
			return names
		},
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
