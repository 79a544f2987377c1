// Package create implements `dagctl backfill create`.
package create

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/pkg/backfill"
)

// Options are the flags of backfill create.
type Options struct {
	DagID             string
	StartDate         string
	EndDate           string
	Description       string
	Conf              string
	ScheduledAt       string
	MaxActiveRuns     int
	DeleteAfterDays   int
	IgnoreOverlapping bool
	Reprocess         string
	RunBackwards      bool
	DryRun            bool
	Wait              bool
	Timeout           time.Duration
	Interval          time.Duration
}

// NewCmdCreate builds `dagctl backfill create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a backfill of a DAG over a date range",
		Long: `Create a backfill: one run per logical date of the DAG between --start-date and
--end-date (both inclusive), keeping only dates already due.

On Airflow 3 dagctl writes Airflow's own backfill (backfill, backfill_dag_run and
runs of type backfill), so the scheduler enforces --max-active-runs and pause.
On Airflow 2, whose scheduler ignores backfill runs, dagctl writes manual runs a
few at a time (at most --max-active-runs queued or running); 'backfill wait' or
'backfill reconcile' (from cron) write the next ones as earlier ones finish.

Dates that already have a run: queued or running ones are skipped ("in flight");
with --reprocess none they are skipped ("already exists"); failed re-runs failed
runs; completed re-runs failed and successful runs (cleared as Airflow's clear does).`,
		Example: `  dagctl backfill create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-31
  dagctl backfill create --dag-id etl --start-date 2024-01-01 --end-date 2024-03-31 --max-active-runs 3 --reprocess failed
  dagctl backfill create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-07 --wait --timeout 2h
  dagctl backfill create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-07 --scheduled-at 2024-06-01T22:00Z --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.DagID == "":
				return apperr.Invalid("--dag-id: required")
			case opts.StartDate == "":
				return apperr.Invalid("--start-date: required")
			case opts.EndDate == "":
				return apperr.Invalid("--end-date: required")
			case opts.MaxActiveRuns < backfill.MinMaxActiveRuns || opts.MaxActiveRuns > backfill.MaxMaxActiveRuns:
				return apperr.Invalid("--max-active-runs: %d is out of range; use %d to %d", opts.MaxActiveRuns, backfill.MinMaxActiveRuns, backfill.MaxMaxActiveRuns)
			case opts.DeleteAfterDays < backfill.MinDeleteAfterDays:
				return apperr.Invalid("--delete-after-days: %d is out of range; use at least %d", opts.DeleteAfterDays, backfill.MinDeleteAfterDays)
			case opts.Timeout <= 0:
				return apperr.Invalid("--timeout: must be positive, e.g. 2h")
			case opts.Interval <= 0:
				return apperr.Invalid("--interval: must be positive, e.g. 10s")
			}
			if _, err := backfill.ParseReprocess(opts.Reprocess); err != nil {
				return apperr.Invalid("%v", err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createBackfill(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "the DAG to backfill (required)")
	fl.StringVar(&opts.StartDate, "start-date", "", "first logical date (required)")
	fl.StringVar(&opts.EndDate, "end-date", "", "last logical date (required)")
	fl.StringVar(&opts.Description, "description", "", "free text shown by list and get")
	fl.StringVar(&opts.Conf, "conf", "", "run conf: a JSON object, or @file.json")
	fl.StringVar(&opts.ScheduledAt, "scheduled-at", "", "start no run before this time (default now)")
	fl.IntVar(&opts.MaxActiveRuns, "max-active-runs", backfill.DefaultMaxActiveRuns, "most runs of the backfill queued or running at once (1-3)")
	fl.IntVar(&opts.DeleteAfterDays, "delete-after-days", 30, "purge the finished backfill this many days after submission (at least 1)")
	fl.BoolVar(&opts.IgnoreOverlapping, "ignore-overlapping", false, "create even when another unfinished backfill of the DAG overlaps")
	fl.StringVar(&opts.Reprocess, "reprocess", string(backfill.DefaultReprocess), "existing runs to run again: none|failed|completed")
	fl.BoolVar(&opts.RunBackwards, "run-backwards", false, "run the newest date first")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and write nothing")
	fl.BoolVar(&opts.Wait, "wait", false, "follow the backfill to its end (exit 0 success, 1 failed, 124 timeout)")
	fl.DurationVar(&opts.Timeout, "timeout", 24*time.Hour, "with --wait: how long to wait")
	fl.DurationVar(&opts.Interval, "interval", 10*time.Second, "with --wait: how often to look")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	cmdutil.RegisterValuesCompletion(cmd, "reprocess", "none", "failed", "completed")
	return cmd
}

func createBackfill(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	confText, confObj, err := cmdutil.ReadConf("--conf", opts.Conf)
	if err != nil {
		return err
	}
	from, to, err := f.ParseRange(ctx, opts.StartDate, opts.EndDate)
	if err != nil {
		return err
	}
	req := backfillops.CreateRequest{
		DagID: opts.DagID, From: from, To: to, Description: opts.Description, ConfText: confText, Conf: confObj,
		MaxActiveRuns: opts.MaxActiveRuns, DeleteAfterDays: opts.DeleteAfterDays, IgnoreOverlapping: opts.IgnoreOverlapping,
		Reprocess: backfill.Reprocess(opts.Reprocess), RunBackwards: opts.RunBackwards, DryRun: opts.DryRun,
	}
	if opts.ScheduledAt != "" {
		at, err := f.ParseDate(ctx, "--scheduled-at", opts.ScheduledAt)
		if err != nil {
			return err
		}
		req.ScheduledAt = &at
	}
	st, dag, err := f.WritableDAG(ctx, opts.DagID)
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.Edit, opts.DagID); err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.CreateRun, opts.DagID); err != nil {
		return err
	}
	if req.User, err = f.User(ctx); err != nil {
		return err
	}
	sum, err := backfillops.Create(ctx, st, dag, req)
	if err != nil {
		return err
	}
	if opts.DryRun {
		return f.Print(shared.One(backfillops.NewView(sum, true)))
	}
	if dag.Row.IsPaused {
		f.IO.Infof("note: dag %q is paused; the scheduler starts none of its runs until it is unpaused", opts.DagID)
	}
	if !opts.Wait {
		return f.Print(shared.One(backfillops.NewView(sum, false)))
	}
	final, werr := shared.Follow(ctx, f, sum.Backfill.ID, opts.Timeout, opts.Interval)
	if final.Backfill.ID != "" {
		if err := f.Print(shared.One(backfillops.NewView(final, false))); err != nil {
			return err
		}
	}
	return werr
}
