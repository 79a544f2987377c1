// Package backfillops carries out the backfill commands over the store:
// create, reconcile (Airflow 2 metering, scheduled starts, completion,
// purges), pause, resume, cancel and delete, and the derived view of a
// backfill. The planning rules themselves are pure, in pkg/backfill.
package backfillops

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/backfill"
	"github.com/dagctl/dagctl/pkg/dates"
)

// ProgressView counts a backfill's runs by state.
type ProgressView struct {
	Total   int `json:"total"`
	Planned int `json:"planned"`
	Queued  int `json:"queued"`
	Running int `json:"running"`
	Success int `json:"success"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// RunView is one date of a backfill (`backfill get --runs`).
type RunView struct {
	SortOrdinal int     `json:"sort_ordinal"`
	LogicalDate string  `json:"logical_date"`
	RunID       *string `json:"run_id"`
	State       *string `json:"state"`
	Disposition string  `json:"disposition"`
	SkipReason  *string `json:"skip_reason"`
}

// View is the stable JSON shape of a backfill.
type View struct {
	BackfillDagID     string          `json:"backfill_dag_id"`
	DagID             string          `json:"dag_id"`
	Description       *string         `json:"description"`
	State             string          `json:"state"`
	StartDate         string          `json:"start_date"`
	EndDate           string          `json:"end_date"`
	LogicalDates      []string        `json:"logical_dates"`
	RunStartDate      *string         `json:"run_start_date"`
	RunEndDate        *string         `json:"run_end_date"`
	DagParams         json.RawMessage `json:"dag_params"`
	MaxActiveRuns     int             `json:"max_active_runs"`
	SubmittedBy       *string         `json:"submitted_by"`
	SubmittedAt       string          `json:"submitted_at"`
	ScheduledAt       string          `json:"scheduled_at"`
	UpdatedAt         string          `json:"updated_at"`
	Deleted           string          `json:"deleted"`
	ReprocessBehavior string          `json:"reprocess_behavior"`
	RunBackwards      bool            `json:"run_backwards"`
	DeleteAfterDays   int             `json:"delete_after_days"`
	CancelledAt       *string         `json:"cancelled_at"`
	IsPaused          bool            `json:"is_paused"`
	NativeBackfillID  *int64          `json:"native_backfill_id"`
	Progress          ProgressView    `json:"progress"`
	Runs              []RunView       `json:"runs,omitempty"`
}

// Summary is a backfill with its runs and derived state.
type Summary struct {
	Backfill store.Backfill
	Runs     []store.BackfillRun
	Progress backfill.Progress
	State    backfill.State
	First    *time.Time
	Last     *time.Time
}

// Summarize derives progress and state from the runs at now.
func Summarize(b store.Backfill, runs []store.BackfillRun, now time.Time) Summary {
	s := Summary{Backfill: b, Runs: runs}
	for _, r := range runs {
		if r.Disposition == store.DispositionSkip {
			s.Progress.Skipped++
			continue
		}
		s.Progress.Total++
		if !r.Created {
			// Not yet written (Airflow 2 metering, or before scheduled_at).
			s.Progress.Planned++
			continue
		}
		state := r.State
		if r.DagRunID == nil {
			// Created, then deleted outside dagctl: it can never succeed.
			state = "failed"
		}
		switch state {
		case "queued":
			s.Progress.Queued++
		case "success":
			s.Progress.Success++
		case "failed":
			s.Progress.Failed++
		default:
			s.Progress.Running++
		}
		if r.StartDate != nil && (s.First == nil || r.StartDate.Before(*s.First)) {
			t := *r.StartDate
			s.First = &t
		}
		if r.EndDate != nil && (s.Last == nil || r.EndDate.After(*s.Last)) {
			t := *r.EndDate
			s.Last = &t
		}
	}
	s.State = backfill.DeriveState(backfill.Facts{
		Now: now, ScheduledAt: b.ScheduledAt, Paused: b.Paused, CancelledAt: b.CancelledAt,
		Progress: s.Progress, FirstRunStart: s.First, LastRunEnd: s.Last,
	})
	return s
}

// NewView renders a summary.
func NewView(s Summary, withRuns bool) View {
	b := s.Backfill
	iso := dates.FormatISO
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	v := View{
		BackfillDagID: b.ID, DagID: b.DagID, Description: str(b.Description), State: string(s.State),
		StartDate: iso(b.FromDate), EndDate: iso(b.ToDate), LogicalDates: []string{},
		RunStartDate: output.TimeStr(s.First), DagParams: b.DagParams, MaxActiveRuns: b.MaxActiveRuns,
		SubmittedBy: str(b.SubmittedBy), SubmittedAt: iso(b.SubmittedAt), ScheduledAt: iso(b.ScheduledAt),
		UpdatedAt: iso(b.UpdatedAt), Deleted: b.Deleted, ReprocessBehavior: b.Reprocess, RunBackwards: b.RunBackwards,
		DeleteAfterDays: b.DeleteAfterDays, CancelledAt: output.TimeStr(b.CancelledAt), IsPaused: b.Paused,
		NativeBackfillID: b.NativeID,
		Progress: ProgressView{Total: s.Progress.Total, Planned: s.Progress.Planned, Queued: s.Progress.Queued,
			Running: s.Progress.Running, Success: s.Progress.Success, Failed: s.Progress.Failed, Skipped: s.Progress.Skipped},
	}
	if len(v.DagParams) == 0 {
		v.DagParams = json.RawMessage("{}")
	}
	if backfill.Finished(s.State) {
		switch {
		case b.CompletedAt != nil:
			v.RunEndDate = output.TimeStr(b.CompletedAt)
		case s.Last != nil:
			v.RunEndDate = output.TimeStr(s.Last)
		case b.CancelledAt != nil:
			v.RunEndDate = output.TimeStr(b.CancelledAt)
		}
	}
	dated := make([]store.BackfillRun, len(s.Runs))
	copy(dated, s.Runs)
	for _, r := range sortedByDate(dated) {
		v.LogicalDates = append(v.LogicalDates, iso(r.LogicalDate))
	}
	if withRuns {
		v.Runs = []RunView{}
		for _, r := range s.Runs {
			rv := RunView{SortOrdinal: r.SortOrdinal, LogicalDate: iso(r.LogicalDate), RunID: str(r.RunID),
				Disposition: r.Disposition, SkipReason: str(r.SkipReason)}
			if r.DagRunID != nil && (r.Created || r.Disposition == store.DispositionSkip) {
				rv.State = str(r.State)
			} else if r.Disposition != store.DispositionSkip {
				planned := "planned"
				rv.State = &planned
			}
			v.Runs = append(v.Runs, rv)
		}
	}
	return v
}

func sortedByDate(runs []store.BackfillRun) []store.BackfillRun {
	sort.Slice(runs, func(i, j int) bool { return runs[i].LogicalDate.Before(runs[j].LogicalDate) })
	return runs
}
