package backfill

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dagctl/dagctl/pkg/runid"
	"github.com/dagctl/dagctl/pkg/schedule"
)

// ExistingRun is the run already in dag_run at a date of the backfill (the
// latest one by start_date, as _get_latest_dag_run_row_query picks it).
type ExistingRun struct {
	RunID       string
	State       string
	LogicalDate time.Time
	DagRunID    int64
}

// Item is one date of the plan, as one backfill_dag_run row.
type Item struct {
	Info schedule.DagRunInfo
	// SortOrdinal is 1-based, in the order the runs should run (latest date
	// first with RunBackwards), as backfill_dag_run.sort_ordinal.
	SortOrdinal int
	Disposition Disposition
	// RunID is the new run's id for DispositionCreate
	// ({backfill_id}_{counter:07d}_{logical date}), the existing run's id
	// otherwise.
	RunID string
	// Counter is the counter inside RunID for DispositionCreate, 0 otherwise.
	Counter int64
	// Existing is the run found at the date (rerun and skip only).
	Existing *ExistingRun
	// SkipReason is one of the Reason* values, for DispositionSkip only.
	SkipReason string
}

// Request is everything Plan needs.
type Request struct {
	DagID      string
	BackfillID string
	// Infos are the timetable's runs in the range (Timetable.Between), in any
	// order.
	Infos []schedule.DagRunInfo
	// Now filters Infos to the runs already due.
	Now time.Time
	// From and To are the requested range; when both are set they are checked
	// like Airflow does (not reversed, not entirely in the future).
	From, To time.Time
	// Existing holds the run at each date, keyed by LogicalDate.UnixMicro().
	Existing      map[int64]ExistingRun
	Reprocess     Reprocess
	RunBackwards  bool
	DependsOnPast bool // any task has depends_on_past (or depends_on_previous_tasks)
	MaxActiveRuns int  // MinMaxActiveRuns..MaxMaxActiveRuns
	// DeleteAfterDays is at least MinDeleteAfterDays.
	DeleteAfterDays int
	// NextCounter is the counter of the first created run; values below 1
	// mean 1.
	NextCounter int64
}

// ErrNoRunsDue is wrapped by the ValidationError Plan returns when no date of
// the range is due yet.
var ErrNoRunsDue = errors.New("no runs are due in this range")

// Plan decides, for every due date of the request, whether the backfill
// creates a run, re-runs the existing one or skips it, in run order.
//
// It mirrors _validate_backfill_params, _get_info_list and
// _get_dag_run_no_create_reason in Airflow 3.0's airflow/models/backfill.py.
func Plan(req Request) ([]Item, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	infos := dueInfos(req.Infos, req.Now, req.RunBackwards)
	if len(infos) == 0 {
		return nil, &ValidationError{Field: FieldDates, Msg: ErrNoRunsDue.Error(), Err: ErrNoRunsDue}
	}
	counter := req.NextCounter
	if counter < 1 {
		counter = 1
	}
	items := make([]Item, 0, len(infos))
	for i, info := range infos {
		it := Item{Info: info, SortOrdinal: i + 1}
		if ex, ok := req.Existing[info.LogicalDate.UnixMicro()]; ok {
			ex := ex
			it.Existing = &ex
			it.RunID = ex.RunID
			if reason := noCreateReason(ex.State, req.Reprocess); reason != "" {
				it.Disposition, it.SkipReason = DispositionSkip, reason
			} else {
				it.Disposition = DispositionRerun
			}
		} else {
			it.Disposition = DispositionCreate
			it.Counter = counter
			it.RunID = runid.Format(req.BackfillID, counter, info.LogicalDate)
			counter++
		}
		items = append(items, it)
	}
	if err := CheckRunIDs(req.DagID, req.BackfillID, counter-1); err != nil {
		return nil, err
	}
	return items, nil
}

func validate(req Request) error {
	if req.BackfillID == "" {
		return errors.New("plan backfill: empty backfill id")
	}
	if req.MaxActiveRuns < MinMaxActiveRuns || req.MaxActiveRuns > MaxMaxActiveRuns {
		return &ValidationError{Field: FieldMaxActiveRuns,
			Msg: fmt.Sprintf("%d is out of range; use %d to %d", req.MaxActiveRuns, MinMaxActiveRuns, MaxMaxActiveRuns)}
	}
	if req.DeleteAfterDays < MinDeleteAfterDays {
		return &ValidationError{Field: FieldDeleteAfterDays,
			Msg: fmt.Sprintf("%d is out of range; use %d or more", req.DeleteAfterDays, MinDeleteAfterDays)}
	}
	if _, err := ParseReprocess(string(req.Reprocess)); err != nil {
		return err
	}
	// Same order and wording as _validate_backfill_params (Airflow 3.0).
	if req.DependsOnPast {
		if req.RunBackwards {
			return &ValidationError{Field: FieldRunBackwards,
				Msg: "Backfill cannot be run in reverse when the DAG has tasks where depends_on_past=True."}
		}
		if req.Reprocess == ReprocessNone {
			return &ValidationError{Field: FieldReprocess,
				Msg: "DAG has tasks for which depends_on_past=True. " +
					"You must set reprocess behavior to reprocess completed or reprocess failed."}
		}
	}
	if !req.From.IsZero() && !req.To.IsZero() {
		// Airflow 3.1 added the order check; 3.0 would plan an empty backfill.
		if req.From.After(req.To) {
			return &ValidationError{Field: FieldDates, Msg: "the start date must not be after the end date"}
		}
		if !req.Now.IsZero() && !req.From.Before(req.Now) && !req.To.Before(req.Now) {
			return &ValidationError{Field: FieldDates, Msg: "Backfill cannot be executed for future dates."}
		}
	}
	return nil
}

// dueInfos keeps the runs whose data interval has ended before now, in
// logical-date order or reversed: _get_info_list keeps
// `x.data_interval.end < now`. For every timetable the data interval ends at
// run_after, so this is "already due" with a strict comparison.
func dueInfos(all []schedule.DagRunInfo, now time.Time, backwards bool) []schedule.DagRunInfo {
	out := make([]schedule.DagRunInfo, 0, len(all))
	for _, info := range all {
		if info.DataIntervalEnd.Before(now) {
			out = append(out, info)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LogicalDate.Before(out[j].LogicalDate) })
	if backwards {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// noCreateReason is _get_dag_run_no_create_reason: why a date whose run
// exists is skipped, or "" when the run is re-run.
func noCreateReason(state string, r Reprocess) string {
	s := normState(state)
	switch {
	case s != RunSuccess && s != RunFailed:
		return ReasonInFlight
	case r == ReprocessNone:
		return ReasonAlreadyExists
	case r == ReprocessFailed && s != RunFailed:
		return ReasonAlreadyExists
	}
	return ""
}

// SkipReasonFor reports why a date whose run is in the given state would be
// skipped under r, or "" when the run would be re-run.
func SkipReasonFor(state string, r Reprocess) string { return noCreateReason(state, r) }

// CheckRunIDs checks that the run ids a backfill creates, up to counter
// lastCounter, fit dag_run.run_id (250 characters). Only the counter's width
// varies between them, so the last one is the longest.
func CheckRunIDs(dagID, backfillID string, lastCounter int64) error {
	if lastCounter < 1 {
		lastCounter = 1
	}
	n := len(runid.Format(backfillID, lastCounter, time.Unix(0, 0)))
	if n > runid.MaxRunIDLen {
		return &ValidationError{Field: FieldDagID, Msg: fmt.Sprintf(
			"%q is too long for a backfill: its run ids (%s_NNNNNNN_<date>) would have %d characters, more than %d",
			dagID, backfillID, n, runid.MaxRunIDLen)}
	}
	return nil
}

// NewBackfillID names a backfill submitted at submittedAt:
// {dag_id}_backfill_{YYYYMMDD_HHMMSS}, then _2, _3 … while taken reports the
// id as used. A nil taken accepts the first id.
func NewBackfillID(dagID string, submittedAt time.Time, taken func(string) bool) string {
	base := runid.FormatBackfillID(dagID, submittedAt)
	if taken == nil || !taken(base) {
		return base
	}
	for n := 2; ; n++ {
		if id := runid.WithSuffix(base, n); !taken(id) {
			return id
		}
	}
}
