// Package list implements `dagctl runs list`.
package list

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/store"
)

// MaxLimit is the largest page, as the plugin's API allowed.
const MaxLimit = 100

// RunStates are Airflow's DagRunState values.
var RunStates = []string{"queued", "running", "success", "failed"}

// RunTypes are Airflow's DagRunType values (dataset_triggered in 2.x, asset_triggered in 3.x).
var RunTypes = []string{"manual", "scheduled", "backfill", "dataset_triggered", "asset_triggered"}

// Options are the flags of runs list.
type Options struct {
	DagID           string
	State           string
	ExternalTrigger string
	Prefix          string
	RunType         string
	Backfill        string
	Start           int64
	Limit           int
	All             bool
	Sort            string
	Desc            bool
	Watch           cmdutil.WatchOptions
}

// NewCmdList builds `dagctl runs list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List DAG runs in id or date order, a page at a time",
		Long: `List DAG runs ordered by --sort (id by default; logical_date, start_date or
end_date), oldest first, or newest first with --desc; runs with equal dates
come in id order (reversed with --desc). Runs with no start or end date yet
come after the dated ones (before them with --desc).

--start ID returns the runs after the run with that id in the chosen order
(keyset paging: pass the last id of a page to get the next page); --limit is 50
by default and at most 100; --all streams every matching run through one query,
and --jq/--template then apply to each run as it comes, as the one-element list
[run] (so .[] expressions work unchanged; length is 1, not the count).
With --dag-id, --sort logical_date follows Airflow's (dag_id, logical_date)
index.

--external-trigger: Airflow 3 has no external_trigger column; there a run counts
as external when its run_type is not scheduled, dataset_triggered or
asset_triggered (so manual and backfill runs are external).
--state and --run-type without --dag-id walk the runs in id order: Airflow has
no index for them alone, so on a big database add --dag-id.
--prefix matches the start of run_id exactly (case-sensitive); % and _ are
ordinary characters.`,
		Example: `  dagctl runs list --dag-id etl --state failed
  dagctl runs list --dag-id etl --prefix nightly --limit 100
  dagctl runs list --dag-id etl --sort logical_date --desc --limit 10
  dagctl runs list --start 1200 --limit 100 -o json
  dagctl runs list --all --state running -o csv
  dagctl runs list --dag-id etl --sort start_date --desc --watch`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 1 || opts.Limit > MaxLimit {
				return apperr.Invalid("--limit: %d is out of range; use 1 to %d (or --all)", opts.Limit, MaxLimit)
			}
			if opts.Start < 0 {
				return apperr.Invalid("--start: must be a run id ≥ 0")
			}
			if !slices.Contains(store.RunSorts, opts.Sort) {
				return apperr.Invalid("--sort: %q is not a sort key; use one of %s", opts.Sort, strings.Join(store.RunSorts, "|"))
			}
			if opts.State != "" && !slices.Contains(RunStates, opts.State) {
				return apperr.Invalid("--state: %q is not a dag run state; use one of %s", opts.State, strings.Join(RunStates, "|"))
			}
			if opts.RunType != "" && !slices.Contains(RunTypes, opts.RunType) {
				return apperr.Invalid("--run-type: %q is not a run type; use one of %s", opts.RunType, strings.Join(RunTypes, "|"))
			}
			if opts.ExternalTrigger != "" {
				if _, err := strconv.ParseBool(opts.ExternalTrigger); err != nil {
					return apperr.Invalid("--external-trigger: %q is not a boolean; use true or false", opts.ExternalTrigger)
				}
			}
			if err := f.CheckWatch(opts.Watch); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return f.Watch(cmd.Context(), opts.Watch, func(ctx context.Context) error { return listRuns(ctx, f, opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "only runs of this DAG")
	fl.StringVar(&opts.State, "state", "", "only runs in this state (queued, running, success, failed)")
	fl.StringVar(&opts.ExternalTrigger, "external-trigger", "", "true: only externally triggered runs; false: only scheduled ones")
	fl.StringVar(&opts.Prefix, "prefix", "", "only runs whose run_id starts with this (exact case, no wildcards)")
	fl.StringVar(&opts.RunType, "run-type", "", "only runs of this type (manual, scheduled, backfill, dataset_triggered, asset_triggered)")
	fl.StringVar(&opts.Backfill, "backfill", "", "only runs of this backfill (its backfill_dag_id)")
	fl.Int64Var(&opts.Start, "start", 0, "return the runs after the run with this id, in the chosen order")
	fl.StringVar(&opts.Sort, "sort", store.SortID, "order by id|logical_date|start_date|end_date (ties in id order)")
	fl.BoolVar(&opts.Desc, "desc", false, "newest first (reverse the order)")
	fl.IntVar(&opts.Limit, "limit", 50, "page size, at most 100")
	fl.BoolVar(&opts.All, "all", false, "stream every matching run through one query (--jq/--template apply per run)")
	cmdutil.AddWatchFlags(cmd, &opts.Watch)
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	cmdutil.RegisterValuesCompletion(cmd, "state", RunStates...)
	cmdutil.RegisterValuesCompletion(cmd, "sort", store.RunSorts...)
	cmdutil.RegisterValuesCompletion(cmd, "run-type", RunTypes...)
	cmdutil.RegisterValuesCompletion(cmd, "external-trigger", "true", "false")
	return cmd
}

func listRuns(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	filter := store.RunFilter{
		DagID: opts.DagID, State: opts.State, Prefix: opts.Prefix, RunType: opts.RunType,
		AfterID: opts.Start, Limit: opts.Limit, Sort: opts.Sort, Desc: opts.Desc,
	}
	if opts.ExternalTrigger != "" {
		b, _ := strconv.ParseBool(opts.ExternalTrigger)
		filter.ExternalTrigger = &b
	}
	if opts.Backfill != "" {
		if err := f.ApplyBackfillFilter(ctx, opts.Backfill, &filter); err != nil {
			return err
		}
	}
	if err := f.RestrictToReadable(ctx, &filter); err != nil {
		return err
	}
	if !opts.All {
		runs, err := st.ListRuns(ctx, filter)
		if err != nil {
			return err
		}
		if outOpts, err := f.OutputOptions(); err == nil && outOpts.Format == output.JSON && outOpts.Filter == nil {
			// -o json: each run encodes itself as the stream of --all does,
			// the same bytes as the views through encoding/json, without
			// reflection (a few milliseconds of every page).
			stream := output.NewStream(f.IO, outOpts, shared.RunHeaders)
			for i := range runs {
				if err := stream.FastItem(shared.FastRun{Run: &runs[i]}); err != nil {
					_ = stream.Flush()
					return err
				}
			}
			return stream.Close()
		}
		if outOpts, err := f.OutputOptions(); err == nil && outOpts.Filter != nil {
			// --jq/--template: the same JSON document, encoded without
			// reflection, is what the filter reads.
			doc := []byte{'['}
			for i := range runs {
				if i > 0 {
					doc = append(doc, ',')
				}
				doc = shared.FastRun{Run: &runs[i]}.AppendJSON(doc)
			}
			doc = append(doc, ']')
			return outOpts.Filter.ApplyJSON(f.IO.Out, doc)
		}
		views := make([]shared.RunView, len(runs))
		for i, r := range runs {
			views[i] = shared.NewRunView(r)
		}
		return f.Print(shared.Result(views))
	}
	outOpts, err := f.OutputOptions()
	if err != nil {
		return err
	}
	// One query read row by row, each run encoded without reflection.
	stream := output.NewStream(f.IO, outOpts, shared.RunHeaders)
	withConf := outOpts.Format == output.JSON || outOpts.Format == output.YAML || outOpts.Filter != nil
	if err := st.StreamRuns(ctx, filter, withConf, func(r *store.Run) error {
		return stream.FastItem(shared.FastRun{Run: r})
	}); err != nil {
		_ = stream.Flush()
		return err
	}
	return stream.Close()
}
