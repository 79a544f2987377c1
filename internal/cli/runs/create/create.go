// Package create implements `dagctl runs create`.
package create

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/dagload"
	"github.com/dagctl/dagctl/internal/dagops"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/internal/runops"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dates"
	"github.com/dagctl/dagctl/pkg/params"
	"github.com/dagctl/dagctl/pkg/runid"
	"github.com/dagctl/dagctl/pkg/runplan"
	"github.com/dagctl/dagctl/pkg/schedule"
)

// MaxLimit is the most runs one command creates.
const MaxLimit = 500

// Options are the flags of runs create.
type Options struct {
	DagID     string
	Prefix    string
	StartDate string
	EndDate   string
	Limit     int
	Partial   bool
	Conf      string
	DryRun    bool
	// Wait follows the runs to their end (runs wait); Unpause unpauses the
	// DAG in the same transaction as the create.
	Wait     bool
	Unpause  bool
	WaitWith shared.WaitFlags
}

// NewCmdCreate builds `dagctl runs create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create manual DAG runs for a date range, or one run now",
		Long: `Create manual DAG runs, written exactly as Airflow's own trigger path writes
them, so the scheduler picks them up.

With --start-date (and optionally --end-date, default now) one run is created
for each of the DAG's logical dates in the range, both ends inclusive. Without
dates, one run is created with logical date now. Dates that already have a run
are skipped and reported, never duplicated. Run ids are
{prefix}_{counter:07d}_{logical_date}; the counter continues per DAG and prefix.

Dates: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], with Z or an offset, or RFC 3339;
without an offset they are read in Airflow's [core] default_timezone.

With --wait the command then follows the runs as 'runs wait' does: the runs it
created and the existing runs of the dates it skipped (so a CI step run twice
waits for the same runs). Exit 0 when all succeeded, 1 when any failed (stderr
names the failed tasks and the 'dagctl tasks logs' command of each), 124 at
--timeout (default 1h; the runs stay and go on); stdout gets the final runs as
'runs get' shows them. A paused DAG would never run them: --wait on a paused
DAG is refused (exit 5) before anything is written, unless --unpause is given;
so is --wait on an inactive (stale) DAG or one Airflow has not serialized.
--unpause unpauses the DAG (as 'dags unpause' does: can_edit needed, the same
audit row) in the same transaction as the create; it works without --wait too.`,
		Example: `  dagctl runs create --dag-id etl
  dagctl runs create --dag-id etl --prefix nightly --start-date 2024-01-01 --end-date 2024-01-31
  dagctl runs create --dag-id etl --start-date 2024-01-01 --conf '{"table": "orders"}' --dry-run
  dagctl runs create --dag-id etl --start-date 2023-01-01 --limit 100 --partial --conf @conf.json
  dagctl runs create --dag-id etl --wait --timeout 30m
  dagctl runs create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-07 --unpause --wait -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.DagID == "" {
				return apperr.Invalid("--dag-id: required")
			}
			if opts.Limit < 1 || opts.Limit > MaxLimit {
				return apperr.Invalid("--limit: %d is out of range; use 1 to %d", opts.Limit, MaxLimit)
			}
			if opts.Wait && opts.DryRun {
				return apperr.Invalid("--wait: a --dry-run creates no runs to wait for; drop one of them")
			}
			for _, name := range []string{"timeout", "interval"} {
				if !opts.Wait && cmd.Flags().Changed(name) {
					return apperr.Invalid("--%s: only with --wait", name)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRuns(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "the DAG to create runs of (required)")
	fl.StringVar(&opts.Prefix, "prefix", "manual", "run id prefix")
	fl.StringVar(&opts.StartDate, "start-date", "", "first logical date of the range")
	fl.StringVar(&opts.EndDate, "end-date", "", "last logical date of the range (default now)")
	fl.IntVar(&opts.Limit, "limit", MaxLimit, "most runs to create, at most 500")
	fl.BoolVar(&opts.Partial, "partial", false, "create the first --limit runs when more are due, and report the rest")
	fl.StringVar(&opts.Conf, "conf", "", "run conf: a JSON object, or @file.json")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and write nothing")
	fl.BoolVar(&opts.Wait, "wait", false, "then follow the runs to their end: exit 0 all succeeded, 1 any failed, 124 timeout")
	fl.BoolVar(&opts.Unpause, "unpause", false, "unpause the DAG in the same transaction (as dags unpause: can_edit, audit row)")
	shared.AddWaitFlags(cmd, &opts.WaitWith, " (with --wait)")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	return cmd
}

// SkippedView is a date that already had a run.
type SkippedView struct {
	LogicalDate string `json:"logical_date"`
	RunID       string `json:"run_id"`
	Reason      string `json:"reason"`
}

// PlannedView is one run of the plan.
type PlannedView struct {
	RunID             string `json:"run_id"`
	LogicalDate       string `json:"logical_date"`
	DataIntervalStart string `json:"data_interval_start"`
	DataIntervalEnd   string `json:"data_interval_end"`
	RunAfter          string `json:"run_after"`
}

// Result is the JSON shape of runs create.
type Result struct {
	DagID     string        `json:"dag_id"`
	DryRun    bool          `json:"dry_run"`
	DagRunIDs []string      `json:"dag_run_ids"`
	Skipped   []SkippedView `json:"skipped"`
	Remaining int           `json:"remaining"`
	Runs      []PlannedView `json:"runs"`
}

func createRuns(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	prefix, err := runid.ValidatePrefix(opts.Prefix)
	if err != nil {
		return apperr.Invalid("%v", err)
	}
	confText, confObj, err := cmdutil.ReadConf("--conf", opts.Conf)
	if err != nil {
		return err
	}
	now := f.Now().UTC().Truncate(time.Second)
	rangeForm, start, end, err := parseRange(ctx, f, opts, now)
	if err != nil {
		return err
	}
	st, dag, err := f.WritableDAG(ctx, opts.DagID)
	var never *dagload.NotRunnableError
	if opts.Wait && errors.As(err, &never) {
		// The wait could never end: refused up front, as for a paused DAG.
		return apperr.Conflict("runs create --wait: dag %q %s; the scheduler would never run its runs; nothing written", opts.DagID, never.Reason)
	}
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.CreateRun, opts.DagID); err != nil {
		return err
	}
	if opts.Unpause {
		if err := f.Authorize(ctx, rbac.Edit, opts.DagID); err != nil {
			return err
		}
	}
	if err := dag.AllowsRunType(store.RunTypeManual); err != nil {
		return err
	}
	if opts.Wait && dag.Row.IsPaused && !opts.Unpause {
		return apperr.Conflict("runs create --wait: dag %q is paused; its runs would never start. Unpause it first (dagctl dags unpause %s) or add --unpause; nothing written",
			opts.DagID, runops.ShellQuote(opts.DagID))
	}
	if _, err := params.ResolveFor(st.Schema().Major, dag.Def.Params, confObj); err != nil {
		return apperr.Invalid("%v", err)
	}
	infos, err := expand(dag, rangeForm, start, end, now)
	if err != nil {
		return err
	}
	user, err := f.User(ctx)
	if err != nil {
		return err
	}

	unpaused := false
	req := runops.CreateRequest{
		DagID: opts.DagID, Prefix: prefix, Infos: infos, Limit: opts.Limit, Partial: opts.Partial,
		ConfText: confText, User: user, DryRun: opts.DryRun,
		AuditExtra: func(created int) map[string]any { return auditExtra(opts, prefix, confObj, created) },
	}
	if opts.Unpause {
		// One transaction for both: if the create fails, the DAG stays paused.
		req.BeforeWrite = func(tx *store.Tx) error {
			paused, err := tx.PausedStates([]string{opts.DagID})
			if err != nil || !paused[opts.DagID] {
				unpaused = false
				return err
			}
			_, err = dagops.WritePaused(tx, []string{opts.DagID}, dagops.PauseRequest{DagIDs: []string{opts.DagID}, Paused: false, User: user})
			unpaused = err == nil
			return err
		}
	}
	plan, err := runops.Create(ctx, st, req)
	if err != nil {
		return err
	}
	switch {
	case opts.DryRun && opts.Unpause && dag.Row.IsPaused:
		f.IO.Infof("dry run: dag %q is paused; --unpause would unpause it", opts.DagID)
	case unpaused && !opts.Wait:
		f.IO.Infof("dag %q unpaused", opts.DagID)
	case dag.Row.IsPaused && !opts.Unpause && !opts.DryRun && len(plan.Create) > 0:
		f.IO.Infof("note: dag %q is paused; its runs stay queued until it is unpaused", opts.DagID)
	}
	if plan.Remaining > 0 {
		f.IO.Infof("%d more dates remain; run again with --start-date after the last logical date created", plan.Remaining)
	}
	if !opts.Wait {
		return f.Print(result(opts, plan))
	}
	// The runs asked for: those created and the existing runs of the dates
	// skipped, so that running the same CI step again waits for the same runs.
	ids := make([]string, 0, len(plan.Create)+len(plan.Skipped))
	for _, p := range plan.Create {
		ids = append(ids, p.RunID)
	}
	for _, s := range plan.Skipped {
		ids = append(ids, s.RunID)
	}
	if len(ids) == 0 {
		return f.Print(shared.DetailResult([]shared.RunDetailView{}))
	}
	return shared.Follow(ctx, f, st, opts.DagID, ids, opts.WaitWith)
}

// parseRange reads --start-date/--end-date. Neither: the single-run form.
func parseRange(ctx context.Context, f *cmdutil.Factory, opts *Options, now time.Time) (rangeForm bool, start, end time.Time, err error) {
	switch {
	case opts.StartDate == "" && opts.EndDate == "":
		return false, now, now, nil
	case opts.StartDate == "":
		return false, start, end, apperr.Invalid("--end-date: needs --start-date")
	case opts.EndDate == "":
		// Only a start: up to now.
		start, err = f.ParseDate(ctx, "--start-date", opts.StartDate)
		if err == nil && start.After(now) {
			err = apperr.Invalid("--start-date: %s is in the future; give --end-date too", dates.FormatISO(start))
		}
		return err == nil, start, now, err
	}
	start, end, err = f.ParseRange(ctx, opts.StartDate, opts.EndDate)
	return err == nil, start, end, err
}

// expand turns the request into run infos: the timetable's dates in the
// range, or one run now with Airflow's manual data interval.
func expand(dag *dagload.Loaded, rangeForm bool, start, end, now time.Time) ([]schedule.DagRunInfo, error) {
	tt := dag.Timetable
	if !rangeForm {
		iv, err := tt.ManualInterval(now)
		if err != nil {
			return nil, fmt.Errorf("dag %q: manual data interval: %w", dag.Row.ID, err)
		}
		// run_after is the data interval's end, as the trigger endpoint sets it
		// (airflow/api_fastapi/core_api/routes/public/dag_run.py).
		return []schedule.DagRunInfo{{LogicalDate: now, DataIntervalStart: iv.Start, DataIntervalEnd: iv.End, RunAfter: iv.End}}, nil
	}
	if !tt.Periodic() {
		return nil, apperr.Invalid("--start-date: dag %q has a non-periodic schedule (%s); omit the dates to create one run now", dag.Row.ID, tt.Summary())
	}
	if dag.Row.TimetablePartitioned {
		return nil, apperr.Invalid("--start-date: dag %q has a partitioned timetable; partitioned DAGs are not supported yet", dag.Row.ID)
	}
	infos, err := tt.Between(start, end)
	if err != nil {
		return nil, fmt.Errorf("dag %q: expand schedule: %w", dag.Row.ID, err)
	}
	return infos, nil
}

func auditExtra(opts *Options, prefix string, conf map[string]any, created int) map[string]any {
	return map[string]any{
		"dag_id": opts.DagID, "prefix": prefix, "start_date": opts.StartDate, "end_date": opts.EndDate,
		"limit": opts.Limit, "partial": opts.Partial, "conf": conf, "created": created,
	}
}

func result(opts *Options, plan runplan.Plan) output.Result {
	r := Result{DagID: opts.DagID, DryRun: opts.DryRun, DagRunIDs: []string{}, Skipped: []SkippedView{},
		Remaining: plan.Remaining, Runs: []PlannedView{}}
	iso := dates.FormatISO
	for _, p := range plan.Create {
		if !opts.DryRun {
			r.DagRunIDs = append(r.DagRunIDs, p.RunID)
		}
		r.Runs = append(r.Runs, PlannedView{RunID: p.RunID, LogicalDate: iso(p.Info.LogicalDate),
			DataIntervalStart: iso(p.Info.DataIntervalStart), DataIntervalEnd: iso(p.Info.DataIntervalEnd), RunAfter: iso(p.Info.RunAfter)})
	}
	for _, s := range plan.Skipped {
		r.Skipped = append(r.Skipped, SkippedView{LogicalDate: iso(s.LogicalDate), RunID: s.RunID, Reason: "already exists"})
	}
	status := "created"
	if opts.DryRun {
		status = "would create"
	}
	return output.Result{
		Data: r,
		Table: func() output.Rows {
			rows := [][]string{}
			for _, p := range r.Runs {
				rows = append(rows, []string{p.RunID, p.LogicalDate, p.DataIntervalStart, p.DataIntervalEnd, status})
			}
			for _, s := range r.Skipped {
				rows = append(rows, []string{s.RunID, s.LogicalDate, "", "", "skipped: " + s.Reason})
			}
			return output.Rows{Headers: []string{"run_id", "logical_date", "data_interval_start", "data_interval_end", "status"}, Rows: rows}
		},
		Names: func() []string {
			names := []string{}
			for _, p := range r.Runs {
				names = append(names, p.RunID)
			}
			return names
		},
	}
}
