// Package get implements `dagctl backfill get ID`.
package get

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/backfill/shared"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
)

// Options are the flags of backfill get.
type Options struct {
	ID    string
	Runs  bool
	Grid  bool
	Watch cmdutil.WatchOptions
}

// NewCmdGet builds `dagctl backfill get`.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "get BACKFILL_ID",
		Short: "Show one backfill with its derived state and progress",
		Long: `Show one backfill with its derived state and progress. --runs adds each
logical date's run id, state and skip reason (a second table; "runs" in JSON).
--grid draws the logical dates as a calendar strip, one cell per date coloured
by its run's state (Airflow's colours on a terminal, letters in a pipe or with
NO_COLOR/--no-color: S success, F failed, R running, Q queued, . planned,
K skipped), with the progress counts, and with --runs the runs table below it;
in JSON it adds the runs as --runs does.`,
		Example: `  dagctl backfill get etl_backfill_20240601_120000
  dagctl backfill get etl_backfill_20240601_120000 --runs -o json
  dagctl backfill get etl_backfill_20240601_120000 --grid --watch`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: shared.CompleteBackfillIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := f.CheckWatch(opts.Watch); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return f.Watch(cmd.Context(), opts.Watch, func(ctx context.Context) error { return getBackfill(ctx, f, opts) })
		},
	}
	cmd.Flags().BoolVar(&opts.Runs, "runs", false, "add each logical date's run id, state and skip reason")
	cmd.Flags().BoolVar(&opts.Grid, "grid", false, "draw the logical dates as a calendar strip coloured by run state")
	cmdutil.AddWatchFlags(cmd, &opts.Watch)
	return cmd
}

func getBackfill(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	sum, err := backfillops.Get(ctx, st, opts.ID, f.Now())
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.Read, sum.Backfill.DagID); err != nil {
		return err
	}
	v := backfillops.NewView(sum, opts.Runs || opts.Grid)
	outOpts, err := f.OutputOptions()
	if err != nil {
		return err
	}
	if opts.Grid && outOpts.Format == output.Table && outOpts.Filter == nil {
		if err := output.WriteStrip(f.IO, Strip(v)); err != nil || !opts.Runs {
			return err
		}
		// --runs too: the runs table below the strip, as below the object table.
		if _, err := f.IO.Out.Write([]byte("\n")); err != nil {
			return err
		}
		return f.Print(output.Result{Data: v.Runs, Table: func() output.Rows { return shared.RunRows(v.Runs) }})
	}
	return f.Print(shared.One(v))
}

// Strip is the calendar strip of a backfill: its dates in order, a week of
// daily dates or a day of hourly dates per line.
func Strip(v backfillops.View) output.Strip {
	runs := shared.RunRows(v.Runs).Rows // sorted by date: date, run_id, state, disposition, skip_reason
	s := output.Strip{
		Title:   fmt.Sprintf("backfill %s (dag %s): %s", v.BackfillDagID, v.DagID, v.State),
		PerLine: 10,
	}
	var times []time.Time
	midnight := true
	for _, r := range runs {
		t, err := time.Parse(time.RFC3339Nano, r[0])
		if err != nil {
			continue
		}
		times = append(times, t)
		if t.Hour() != 0 || t.Minute() != 0 {
			midnight = false
		}
	}
	if len(times) > 1 {
		switch times[1].Sub(times[0]) {
		case 24 * time.Hour:
			s.PerLine = 7
		case time.Hour:
			s.PerLine = 24
		}
	}
	layout := "2006-01-02T15:04"
	if midnight {
		layout = "2006-01-02 Mon"
	}
	for i, r := range runs {
		label := r[0]
		if i < len(times) && len(times) == len(runs) {
			label = times[i].UTC().Format(layout)
		}
		state := r[2]
		switch {
		case r[3] == "skip":
			state = "skipped"
		case state == "planned":
			state = ""
		}
		s.Dates = append(s.Dates, label)
		s.States = append(s.States, state)
	}
	p := v.Progress
	s.Progress = fmt.Sprintf("progress: %d/%d done: success %d, failed %d, running %d, queued %d, planned %d, skipped %d",
		p.Success+p.Failed, p.Total, p.Success, p.Failed, p.Running, p.Queued, p.Planned, p.Skipped)
	return s
}
