// Package list implements `dagctl backfill list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/backfill"
)

// States are the values --state accepts.
var States = []string{"submitted", "queued", "running", "paused", "success", "failed"}

// Options are the flags of backfill list.
type Options struct {
	DagID          string
	State          string
	IncludeDeleted bool
	StartDate      string
	EndDate        string
	Sort           string
	Desc           bool
	Watch          cmdutil.WatchOptions
}

// NewCmdList builds `dagctl backfill list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List backfills, newest first",
		Long: `List backfills, newest submitted first. --sort submitted_at|start_date orders
oldest first by that date (start_date is the backfill's first logical date),
--desc newest first; equal dates come in id order. Deleted ones (ToBeDeleted,
Deleted) are hidden unless --include-deleted. --start-date with --end-date
(both or neither) keeps backfills having a logical date in that inclusive range.`,
		Example: `  dagctl backfill list
  dagctl backfill list --dag-id etl --state running
  dagctl backfill list --sort start_date --desc
  dagctl backfill list --start-date 2024-01-01 --end-date 2024-01-31 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (opts.StartDate == "") != (opts.EndDate == "") {
				return apperr.Invalid("--start-date and --end-date: give both or neither")
			}
			if opts.Sort != "" && !contains(store.BackfillSorts, opts.Sort) {
				return apperr.Invalid("--sort: %q is not a sort key; use submitted_at|start_date", opts.Sort)
			}
			if opts.State != "" && !contains(States, opts.State) {
				return apperr.Invalid("--state: %q is not a backfill state; use one of submitted|queued|running|paused|success|failed", opts.State)
			}
			if err := f.CheckWatch(opts.Watch); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return f.Watch(cmd.Context(), opts.Watch, func(ctx context.Context) error { return listBackfills(ctx, f, opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "only backfills of this DAG")
	fl.StringVar(&opts.State, "state", "", "only backfills in this state: submitted|queued|running|paused|success|failed")
	fl.BoolVar(&opts.IncludeDeleted, "include-deleted", false, "also list ToBeDeleted and Deleted backfills")
	fl.StringVar(&opts.StartDate, "start-date", "", "with --end-date: only backfills with a logical date in the range")
	fl.StringVar(&opts.EndDate, "end-date", "", "with --start-date: only backfills with a logical date in the range")
	fl.StringVar(&opts.Sort, "sort", "", "order by submitted_at|start_date, oldest first (default: submitted_at, newest first)")
	fl.BoolVar(&opts.Desc, "desc", false, "newest first")
	cmdutil.AddWatchFlags(cmd, &opts.Watch)
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	cmdutil.RegisterValuesCompletion(cmd, "sort", store.BackfillSorts...)
	cmdutil.RegisterValuesCompletion(cmd, "state", States...)
	return cmd
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func listBackfills(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	filter := store.BackfillFilter{DagID: opts.DagID, IncludeDeleted: opts.IncludeDeleted, Sort: opts.Sort, Desc: opts.Desc}
	if opts.StartDate != "" {
		from, to, err := f.ParseRange(ctx, opts.StartDate, opts.EndDate)
		if err != nil {
			return err
		}
		filter.From, filter.To = &from, &to
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	bs, err := st.ListBackfills(ctx, filter)
	if err != nil {
		return err
	}
	bs, hidden, err := f.KeepReadableBackfills(ctx, bs)
	if err != nil {
		return err
	}
	if hidden > 0 {
		f.IO.Infof("%d backfill(s) hidden: the acting user may not read their dags", hidden)
	}
	views := []backfillops.View{}
	now := f.Now()
	runsOf, err := st.BackfillRunsOf(ctx, bs)
	if err != nil {
		return err
	}
	for i := range bs {
		sum := backfillops.Summarize(bs[i], runsOf[bs[i].ID], now)
		if opts.State != "" && sum.State != backfill.State(opts.State) {
			continue
		}
		views = append(views, backfillops.NewView(sum, false))
	}
	return f.Print(shared.List(views))
}
