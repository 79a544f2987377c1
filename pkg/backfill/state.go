package backfill

import (
	"sort"
	"time"
)

// State is the state dagctl shows for a backfill.
type State string

const (
	StateSubmitted State = "submitted" // waiting for its scheduled time
	StateQueued    State = "queued"    // due, but none of its runs has started
	StateRunning   State = "running"   // some run started or finished, not all finished
	StatePaused    State = "paused"    // paused by the user and not finished
	StateSuccess   State = "success"   // every run finished and none failed (or nothing to run)
	StateFailed    State = "failed"    // every run finished and one failed, or cancelled
)

// Finished reports whether s is a final state.
func Finished(s State) bool { return s == StateSuccess || s == StateFailed }

// Progress counts the dates of a backfill.
type Progress struct {
	// Total is the dates that need a run (create + rerun).
	Total int
	// Planned is the runs of Total not created (or, for reruns, not re-queued)
	// yet; dagctl creates them as slots free up (see NextToCreate).
	Planned int
	// Queued, Running, Success and Failed count the runs of Total by their
	// state after the backfill created or re-queued them.
	Queued, Running, Success, Failed int
	// Skipped is the dates left alone (skip items); they are not in Total.
	Skipped int
}

// Finished is the number of runs of Total that ended.
func (p Progress) Finished() int { return p.Success + p.Failed }

// Facts is what DeriveState looks at.
type Facts struct {
	Now, ScheduledAt time.Time
	Paused           bool
	CancelledAt      *time.Time
	Progress         Progress
	// FirstRunStart and LastRunEnd are the earliest start and latest end of
	// the backfill's runs; only Elapsed uses them.
	FirstRunStart, LastRunEnd *time.Time
}

// DeriveState derives the state of a backfill, first rule that applies:
//
//  1. cancelled → failed, at once ("the backfill ends failed"; Airflow's
//     _cancel_backfill also sets completed_at immediately);
//  2. every run of Total finished (nothing planned, queued or running) →
//     failed if one failed, else success; nothing to run at all → success;
//  3. paused → paused, also before the scheduled time: a paused backfill
//     does not start when its time comes, and that is what the user needs
//     to see;
//  4. now before the scheduled time → submitted;
//  5. some run running or finished → running;
//  6. otherwise → queued.
//
// A backfill with nothing to run is success even before its scheduled time:
// there is nothing it would wait for.
func DeriveState(f Facts) State {
	p := f.Progress
	switch {
	case f.CancelledAt != nil:
		return StateFailed
	case p.Planned <= 0 && p.Queued <= 0 && p.Running <= 0:
		if p.Failed > 0 {
			return StateFailed
		}
		return StateSuccess
	case f.Paused:
		return StatePaused
	case f.Now.Before(f.ScheduledAt):
		return StateSubmitted
	case p.Running > 0 || p.Finished() > 0:
		return StateRunning
	}
	return StateQueued
}

// Elapsed is the time from the first run's start to the last run's end for a
// finished backfill, or to now while it goes on; false before any run
// started.
func Elapsed(f Facts) (time.Duration, bool) {
	if f.FirstRunStart == nil {
		return 0, false
	}
	end := f.Now
	if Finished(DeriveState(f)) && f.LastRunEnd != nil {
		end = *f.LastRunEnd
	}
	if end.Before(*f.FirstRunStart) {
		return 0, true
	}
	return end.Sub(*f.FirstRunStart), true
}

// FreeSlots is how many more runs may be started when active of the
// backfill's runs are queued or running and at most maxActive may be.
func FreeSlots(active, maxActive int) int {
	if n := maxActive - active; n > 0 {
		return n
	}
	return 0
}

// NextToCreate returns the planned items (create and rerun) not yet created,
// in sort order, that fill the free slots: dagctl keeps at most
// max_active_runs of a backfill's runs queued or running, where Airflow 2 has
// no scheduler support for backfills. created holds the RunIDs already
// created or re-queued. Callers do not call it for a paused backfill.
func NextToCreate(items []Item, created map[string]bool, active int, maxActive int) []Item {
	free := FreeSlots(active, maxActive)
	if free == 0 {
		return []Item{}
	}
	todo := make([]Item, 0, free)
	for _, it := range items {
		if (it.Disposition == DispositionCreate || it.Disposition == DispositionRerun) && !created[it.RunID] {
			todo = append(todo, it)
		}
	}
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].SortOrdinal < todo[j].SortOrdinal })
	if len(todo) > free {
		todo = todo[:free]
	}
	return todo
}

// Overlaps reports whether the inclusive ranges [aFrom, aTo] and [bFrom, bTo]
// share an instant.
func Overlaps(aFrom, aTo, bFrom, bTo time.Time) bool {
	return !aFrom.After(bTo) && !bFrom.After(aTo)
}

// DeleteAt is when a backfill submitted at submittedAt is due for deletion:
// submitted_at + delete_after_days × 24 hours.
func DeleteAt(submittedAt time.Time, deleteAfterDays int) time.Time {
	return submittedAt.Add(time.Duration(deleteAfterDays) * 24 * time.Hour)
}

// DueForDeletion reports whether a backfill in state s becomes ToBeDeleted on
// its own: it is finished and submitted_at + delete_after_days has been
// reached.
func DueForDeletion(s State, submittedAt time.Time, deleteAfterDays int, now time.Time) bool {
	return Finished(s) && deleteAfterDays >= MinDeleteAfterDays && !now.Before(DeleteAt(submittedAt, deleteAfterDays))
}
