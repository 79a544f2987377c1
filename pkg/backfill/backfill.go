// Package backfill plans and follows `dagctl backfill`: which dates get a new
// run, which existing runs are re-run and which are skipped (mirroring
// Airflow 3's airflow/models/backfill.py), how backfill and run ids are
// named, the state a backfill is in, how many runs may be started next, and
// when a finished backfill is due for deletion.
//
// It is pure: no database, no flags, and time arrives as an argument.
package backfill

import (
	"fmt"
	"strings"
)

// Reprocess is Airflow 3's ReprocessBehavior: what to do with dates that
// already have a finished run.
type Reprocess string

const (
	// ReprocessNone leaves every existing run alone.
	ReprocessNone Reprocess = "none"
	// ReprocessFailed re-runs existing runs that failed.
	ReprocessFailed Reprocess = "failed"
	// ReprocessCompleted re-runs existing runs that failed or succeeded.
	ReprocessCompleted Reprocess = "completed"
)

// DefaultReprocess is the column default of backfill.reprocess_behavior.
const DefaultReprocess = ReprocessNone

// ParseReprocess reads a --reprocess value (exact, lower case).
func ParseReprocess(s string) (Reprocess, error) {
	switch r := Reprocess(s); r {
	case ReprocessNone, ReprocessFailed, ReprocessCompleted:
		return r, nil
	}
	return "", &ValidationError{Field: FieldReprocess,
		Msg: fmt.Sprintf("%q is not valid; use none, failed or completed", s)}
}

// Flag names a ValidationError can point at.
const (
	FieldDates           = "--start-date/--end-date"
	FieldMaxActiveRuns   = "--max-active-runs"
	FieldDeleteAfterDays = "--delete-after-days"
	FieldReprocess       = "--reprocess"
	FieldRunBackwards    = "--run-backwards"
	FieldDagID           = "--dag-id"
)

// ValidationError is a request dagctl refuses, naming the flag to change.
type ValidationError struct {
	Field string // a Field* constant
	Msg   string
	Err   error // a sentinel such as ErrNoRunsDue, for errors.Is; may be nil
}

func (e *ValidationError) Unwrap() error { return e.Err }

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Limits on the request (dagctl's own rules; Airflow accepts any positive
// max_active_runs).
const (
	DefaultMaxActiveRuns = 1
	MinMaxActiveRuns     = 1
	MaxMaxActiveRuns     = 3
	MinDeleteAfterDays   = 1
)

// Disposition is what a backfill does at one date.
type Disposition string

const (
	// DispositionCreate: no run exists at the date; the backfill creates one.
	DispositionCreate Disposition = "create"
	// DispositionRerun: a finished run exists and reprocess asks for it to be
	// cleared and queued again (_handle_clear_run).
	DispositionRerun Disposition = "rerun"
	// DispositionSkip: a run exists and is left alone; SkipReason says why.
	DispositionSkip Disposition = "skip"
)

// Skip reasons: Airflow 3's BackfillDagRunExceptionReason values, stored in
// backfill_dag_run.exception_reason.
const (
	ReasonInFlight      = "in flight"
	ReasonAlreadyExists = "already exists"
	ReasonUnknown       = "unknown"
)

// Dag run states that count as finished for a backfill. Every other state
// (queued, running, an empty/NULL state, anything unknown) is "in flight" in
// _get_dag_run_no_create_reason. "upstream_failed" is a task-instance state
// and never a dag run's.
const (
	RunSuccess = "success"
	RunFailed  = "failed"
	RunQueued  = "queued"
	RunRunning = "running"
)

func normState(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
