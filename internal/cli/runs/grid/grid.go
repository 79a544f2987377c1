// Package grid implements `dagctl runs grid`: Airflow's grid view in a terminal.
package grid

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dagdef"
)

// MaxLimit is the most runs one grid shows.
const MaxLimit = 100

// Options are the flags of runs grid.
type Options struct {
	DagID     string
	StartDate string
	EndDate   string
	Limit     int
	Watch     cmdutil.WatchOptions
}

// NewCmdGrid builds `dagctl runs grid`.
func NewCmdGrid(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "grid",
		Short: "Show a DAG's runs × tasks coloured by state, like Airflow's grid view",
		Long: `Show a DAG's runs as columns (oldest left, newest right, labelled by logical
date; on Airflow 3 ordered by run_after as Airflow's grid is, and a run with no
logical date labelled by its run_after) and its tasks as rows (upstream tasks first, in the order of the
serialized DAG), each cell the task instance's state: Airflow's colours on a
terminal, with a legend; one letter per state in a pipe, with NO_COLOR or
--no-color. The row "run" is the run's own state. A mapped task is one cell:
the most urgent state among its instances (Airflow's grid priority, the order
of the table below), then succeeded/total instances. A task with no task
instance yet is shown as no status.

The newest --limit runs (default 10; by run_after on Airflow 3, by logical
date on Airflow 2), or the runs with a logical date in
--start-date..--end-date (inclusive; the newest 100 when more match, with a
note on stderr).
-o json gives the same matrix as data.

Letters and colours (airflow/utils/state.py):
` + output.LetterTable(),
		Example: `  dagctl runs grid --dag-id etl
  dagctl runs grid --dag-id etl --start-date 2024-01-01 --end-date 2024-01-14
  dagctl runs grid --dag-id etl --limit 20 --watch --interval 10s
  dagctl runs grid --dag-id etl -o json --jq '.tasks[] | select(.cells | any(.state == "failed")) | .task_id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.DagID == "" {
				return apperr.Invalid("--dag-id is required")
			}
			if (opts.StartDate == "") != (opts.EndDate == "") {
				return apperr.Invalid("--start-date and --end-date: give both or neither")
			}
			if opts.StartDate != "" && cmd.Flags().Changed("limit") {
				return apperr.Invalid("--limit: give either --limit or --start-date/--end-date")
			}
			if opts.Limit < 1 || opts.Limit > MaxLimit {
				return apperr.Invalid("--limit: %d is out of range; use 1 to %d", opts.Limit, MaxLimit)
			}
			if err := f.CheckWatch(opts.Watch); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return f.Watch(cmd.Context(), opts.Watch, func(ctx context.Context) error { return showGrid(ctx, f, opts) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "the DAG (required)")
	fl.StringVar(&opts.StartDate, "start-date", "", "with --end-date: runs with a logical date from this date")
	fl.StringVar(&opts.EndDate, "end-date", "", "with --start-date: runs with a logical date up to this date (inclusive)")
	fl.IntVar(&opts.Limit, "limit", 10, "the newest N runs (by run_after on Airflow 3, logical date on 2), at most 100")
	cmdutil.AddWatchFlags(cmd, &opts.Watch)
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	return cmd
}

// RunView is one column.
type RunView struct {
	RunID       string  `json:"run_id"`
	LogicalDate *string `json:"logical_date"`
	// RunAfter is null on Airflow 2.
	RunAfter *string `json:"run_after"`
	State    string  `json:"state"`
}

// label is the date a column is labelled by: the logical date, else run_after.
func (r RunView) label() *string {
	if r.LogicalDate != nil {
		return r.LogicalDate
	}
	return r.RunAfter
}

// CellView is one task instance (or the instances of a mapped task).
type CellView struct {
	// State is null when there is no task instance or its state is NULL.
	State *string `json:"state"`
	// Mapped is the number of mapped instances (null for unmapped tasks).
	Mapped *int `json:"mapped"`
	// Counts are the mapped instances by state ("none" for no status).
	Counts map[string]int `json:"counts,omitempty"`
}

// TaskView is one row.
type TaskView struct {
	TaskID string     `json:"task_id"`
	Mapped bool       `json:"mapped"`
	Cells  []CellView `json:"cells"`
}

// View is the JSON shape of the grid.
type View struct {
	DagID string     `json:"dag_id"`
	Runs  []RunView  `json:"runs"`
	Tasks []TaskView `json:"tasks"`
}

func showGrid(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	if err := f.Authorize(ctx, rbac.Read, opts.DagID); err != nil {
		return err
	}
	if _, err := st.GetDAG(ctx, opts.DagID); err != nil {
		return err
	}
	// Airflow 3's grid orders runs by run_after (airflow/api_fastapi/core_api/
	// routes/ui/grid.py), which every run has; SortRunAfter is the logical
	// date on 2.x.
	filter := store.RunFilter{DagID: opts.DagID, Sort: store.SortRunAfter, Desc: true, Limit: opts.Limit}
	if opts.StartDate != "" {
		from, to, err := f.ParseRange(ctx, opts.StartDate, opts.EndDate)
		if err != nil {
			return err
		}
		filter.LogicalFrom, filter.LogicalTo, filter.Limit = &from, &to, MaxLimit
	}
	runs, err := st.ListRuns(ctx, filter)
	if err != nil {
		return err
	}
	if filter.LogicalFrom != nil && len(runs) == MaxLimit {
		n, err := st.CountRuns(ctx, filter)
		if err != nil {
			return err
		}
		if n > MaxLimit {
			f.IO.Infof("note: %d runs of dag %q in %s..%s; the grid shows the newest %d, %d older ones are left out: narrow --start-date/--end-date to see them",
				n, opts.DagID, opts.StartDate, opts.EndDate, MaxLimit, n-MaxLimit)
		}
	}
	slices.Reverse(runs)
	var taskIDs []string
	mapped := map[string]bool{}
	data, compressed, err := st.SerializedDAG(ctx, opts.DagID)
	if err == nil {
		if def, perr := dagdef.Parse(data, compressed); perr == nil {
			taskIDs, mapped = def.TopologicalOrder(), def.Mapped
		} else {
			f.IO.Infof("warning: dag %q: read serialized dag: %v; tasks in name order", opts.DagID, perr)
		}
	} else if !apperr.Is(err, apperr.KindNotFound) {
		return err
	}
	runIDs := make([]string, len(runs))
	for i, r := range runs {
		runIDs[i] = r.RunID
	}
	tis, err := st.TaskInstanceStates(ctx, opts.DagID, runIDs)
	if err != nil {
		return err
	}
	v := Build(opts.DagID, runs, taskIDs, mapped, tis)
	outOpts, err := f.OutputOptions()
	if err != nil {
		return err
	}
	if outOpts.Format == output.Table && outOpts.Filter == nil {
		return output.WriteGrid(f.IO, picture(v))
	}
	return f.Print(output.Result{Data: v, Table: func() output.Rows { return rows(v) }})
}

// Build assembles the matrix: tasks in order (tasks that only exist in task
// instances, e.g. removed from the DAG since, come last by name).
func Build(dagID string, runs []store.Run, taskIDs []string, mapped map[string]bool, tis []store.TaskInstanceState) View {
	col := make(map[string]int, len(runs))
	v := View{DagID: dagID, Runs: []RunView{}, Tasks: []TaskView{}}
	for i, r := range runs {
		col[r.RunID] = i
		v.Runs = append(v.Runs, RunView{RunID: r.RunID, LogicalDate: output.TimeStr(r.LogicalDate),
			RunAfter: output.TimeStr(r.RunAfter), State: r.State})
	}
	order := slices.Clone(taskIDs)
	known := map[string]bool{}
	for _, id := range order {
		known[id] = true
	}
	var extra []string
	byTask := map[string][][]store.TaskInstanceState{}
	for _, ti := range tis {
		c, ok := col[ti.RunID]
		if !ok {
			continue
		}
		if !known[ti.TaskID] {
			known[ti.TaskID] = true
			extra = append(extra, ti.TaskID)
		}
		if byTask[ti.TaskID] == nil {
			byTask[ti.TaskID] = make([][]store.TaskInstanceState, len(runs))
		}
		byTask[ti.TaskID][c] = append(byTask[ti.TaskID][c], ti)
	}
	sort.Strings(extra)
	order = append(order, extra...)
	for _, id := range order {
		tv := TaskView{TaskID: id, Mapped: mapped[id], Cells: make([]CellView, len(runs))}
		for c := range runs {
			var cellTIs []store.TaskInstanceState
			if byTask[id] != nil {
				cellTIs = byTask[id][c]
			}
			tv.Cells[c] = cellOf(cellTIs, &tv)
		}
		v.Tasks = append(v.Tasks, tv)
	}
	return v
}

func cellOf(tis []store.TaskInstanceState, tv *TaskView) CellView {
	isMapped := tv.Mapped
	for _, ti := range tis {
		if ti.MapIndex >= 0 {
			isMapped = true
		}
	}
	if isMapped {
		tv.Mapped = true
	}
	if len(tis) == 0 {
		return CellView{}
	}
	if !isMapped {
		return CellView{State: strOrNil(tis[0].State)}
	}
	counts := map[string]int{}
	best, n := "", 0
	for _, ti := range tis {
		if ti.MapIndex < 0 {
			// The unexpanded placeholder (map_index -1) before expansion.
			if len(tis) == 1 {
				best = ti.State
			}
			continue
		}
		key := ti.State
		if key == "" {
			key = "none"
		}
		counts[key]++
		if n == 0 || output.StatePriority(ti.State) < output.StatePriority(best) {
			best = ti.State
		}
		n++
	}
	return CellView{State: strOrNil(best), Mapped: &n, Counts: counts}
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// picture turns the view into the drawing.
func picture(v View) output.Grid {
	g := output.Grid{Title: fmt.Sprintf("dag %s: %d runs × %d tasks", v.DagID, len(v.Runs), len(v.Tasks))}
	if n := len(v.Runs); n > 0 && v.Runs[0].label() != nil && v.Runs[n-1].label() != nil {
		g.Title += ", " + *v.Runs[0].label() + " … " + *v.Runs[n-1].label()
	}
	g.Labels = labels(v.Runs)
	for _, r := range v.Runs {
		g.Runs = append(g.Runs, r.State)
	}
	for _, t := range v.Tasks {
		row := output.GridRow{TaskID: t.TaskID}
		for _, c := range t.Cells {
			gc := output.GridCell{}
			if c.State != nil {
				gc.State = *c.State
			}
			if c.Mapped != nil {
				gc.Mapped, gc.Done = *c.Mapped, c.Counts["success"]
			}
			row.Cells = append(row.Cells, gc)
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

// labels: dates without the time when every run is at midnight, without the
// year when all share one.
func labels(runs []RunView) []string {
	times := make([]*time.Time, len(runs))
	midnight, oneYear := true, true
	for i, r := range runs {
		if r.label() == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, *r.label())
		if err != nil {
			continue
		}
		times[i] = &t
		if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 {
			midnight = false
		}
		if times[0] != nil && t.Year() != times[0].Year() {
			oneYear = false
		}
	}
	layout := "2006-01-02T15:04"
	switch {
	case midnight && oneYear:
		layout = "01-02"
	case midnight:
		layout = "2006-01-02"
	case oneYear:
		layout = "01-02T15:04"
	}
	out := make([]string, len(runs))
	for i, t := range times {
		if t == nil {
			out[i] = "-"
			continue
		}
		out[i] = t.Format(layout)
	}
	return out
}

// rows is the csv form: one row per task, one column per run.
func rows(v View) output.Rows {
	h := []string{"task_id"}
	for _, r := range v.Runs {
		h = append(h, r.RunID)
	}
	out := output.Rows{Headers: h}
	for _, t := range v.Tasks {
		row := []string{t.TaskID}
		for _, c := range t.Cells {
			s := ""
			if c.State != nil {
				s = *c.State
			}
			row = append(row, s)
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}
