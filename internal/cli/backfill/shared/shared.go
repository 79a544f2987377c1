// Package shared holds what the backfill verbs share: the printed form of a
// backfill and the follower used by wait and create --wait.
package shared

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/output"
)

// Headers are the table columns of a backfill list.
var Headers = []string{"backfill_dag_id", "dag_id", "state", "start_date", "end_date", "progress", "submitted_by", "submitted_at", "deleted"}

// Row is one table row.
func Row(v backfillops.View) []string {
	p := v.Progress
	prog := strconv.Itoa(p.Success+p.Failed) + "/" + strconv.Itoa(p.Total)
	if p.Failed > 0 {
		prog += " (" + strconv.Itoa(p.Failed) + " failed)"
	}
	by := ""
	if v.SubmittedBy != nil {
		by = *v.SubmittedBy
	}
	return []string{v.BackfillDagID, v.DagID, v.State, v.StartDate, v.EndDate, prog, by, v.SubmittedAt, v.Deleted}
}

// List prints backfills.
func List(views []backfillops.View) output.Result {
	return output.Result{
		Data: views,
		Table: func() output.Rows {
			rows := make([][]string, len(views))
			for i, v := range views {
				rows[i] = Row(v)
			}
			return output.Rows{Headers: Headers, Rows: rows}
		},
		Names: func() []string {
			out := make([]string, len(views))
			for i, v := range views {
				out[i] = v.BackfillDagID
			}
			return out
		},
	}
}

// One prints a single backfill: key/value rows, then its runs as a second
// table when present.
func One(v backfillops.View) output.Result {
	res := output.Result{
		Data: v,
		Table: func() output.Rows {
			s := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			p := v.Progress
			rows := [][]string{
				{"backfill_dag_id", v.BackfillDagID}, {"dag_id", v.DagID}, {"description", s(v.Description)},
				{"state", v.State}, {"start_date", v.StartDate}, {"end_date", v.EndDate},
				{"logical_dates", strconv.Itoa(len(v.LogicalDates))},
				{"progress", "total " + strconv.Itoa(p.Total) + ", planned " + strconv.Itoa(p.Planned) + ", queued " + strconv.Itoa(p.Queued) +
					", running " + strconv.Itoa(p.Running) + ", success " + strconv.Itoa(p.Success) + ", failed " + strconv.Itoa(p.Failed) +
					", skipped " + strconv.Itoa(p.Skipped)},
				{"run_start_date", s(v.RunStartDate)}, {"run_end_date", s(v.RunEndDate)},
				{"dag_params", string(v.DagParams)}, {"max_active_runs", strconv.Itoa(v.MaxActiveRuns)},
				{"reprocess_behavior", v.ReprocessBehavior}, {"run_backwards", strconv.FormatBool(v.RunBackwards)},
				{"submitted_by", s(v.SubmittedBy)}, {"submitted_at", v.SubmittedAt}, {"scheduled_at", v.ScheduledAt},
				{"updated_at", v.UpdatedAt}, {"cancelled_at", s(v.CancelledAt)}, {"is_paused", strconv.FormatBool(v.IsPaused)},
				{"deleted", v.Deleted}, {"delete_after_days", strconv.Itoa(v.DeleteAfterDays)},
			}
			return output.Rows{Headers: []string{"field", "value"}, Rows: rows}
		},
		Names: func() []string { return []string{v.BackfillDagID} },
	}
	if v.Runs != nil {
		res.More = func() output.Rows { return RunRows(v.Runs) }
	}
	return res
}

// RunRows is the table of a backfill's runs (`backfill get --runs`), in date order.
func RunRows(runs []backfillops.RunView) output.Rows {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b backfillops.RunView) int { return strings.Compare(a.LogicalDate, b.LogicalDate) })
	rows := make([][]string, len(sorted))
	for i, r := range sorted {
		rows[i] = []string{r.LogicalDate, s(r.RunID), s(r.State), r.Disposition, s(r.SkipReason)}
	}
	return output.Rows{Headers: []string{"logical_date", "run_id", "state", "disposition", "skip_reason"}, Rows: rows}
}
