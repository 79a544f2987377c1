package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// FollowChunk is the most run ids one FollowRuns statement names; more are
// read in several statements (a bound far above what one command creates,
// and below every dialect's limit on bound parameters).
const FollowChunk = 10000

// RunProgress is one followed run: its state and its task instances counted by state.
type RunProgress struct {
	RunID string
	State string
	// Tasks counts the run's task instances by state ("none" for no state yet).
	Tasks map[string]int
}

// FollowSnapshot is one look at a set of runs of one DAG.
type FollowSnapshot struct {
	// Runs are the runs that exist, in no particular order; a run that was
	// asked for and is missing was deleted (or never existed).
	Runs []RunProgress
	// DagPaused is dag.is_paused at the same instant (false when the dag row is gone).
	DagPaused bool
}

// FollowRuns reads the state of the given runs of dagID, their task
// instances counted by state, and whether the DAG is paused, in one
// statement whatever the number of runs (up to FollowChunk): dag_run LEFT
// JOIN task_instance grouped by run and task state, with dag.is_paused as a
// scalar subquery. `runs wait` sends this once per interval; `runs get`
// takes its counts from it too.
func (s *Store) FollowRuns(ctx context.Context, dagID string, runIDs []string) (FollowSnapshot, error) {
	snap := FollowSnapshot{}
	byRun := map[string]*RunProgress{}
	for start := 0; start < len(runIDs); start += FollowChunk {
		chunk := runIDs[start:min(start+FollowChunk, len(runIDs))]
		// Scanned by hand: gorm's Scan would reflect over every row (and
		// render the SQL for its logger); this runs every interval.
		err := s.read(ctx, func(db *gorm.DB) error {
			rows, err := db.Raw(s.followQuery(), dagID, dagID, chunk).Rows()
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var runID string
				var runState, tiState sql.NullString
				var n int64
				var paused dbBool
				if err := rows.Scan(&runID, &runState, &tiState, &n, &paused); err != nil {
					return err
				}
				snap.DagPaused = snap.DagPaused || paused.Bool
				p := byRun[runID]
				if p == nil {
					p = &RunProgress{RunID: runID, State: runState.String, Tasks: map[string]int{}}
					byRun[runID] = p
				}
				if n == 0 {
					continue // the LEFT JOIN's row of a run without task instances
				}
				st := "none"
				if tiState.Valid && tiState.String != "" {
					st = tiState.String
				}
				p.Tasks[st] += int(n)
			}
			return rows.Err()
		})
		if err != nil {
			return snap, fmt.Errorf("follow runs of dag %q: %w", dagID, err)
		}
	}
	snap.Runs = make([]RunProgress, 0, len(byRun))
	for _, id := range runIDs {
		if p := byRun[id]; p != nil {
			snap.Runs = append(snap.Runs, *p)
			delete(byRun, id) // a duplicate id is reported once
		}
	}
	return snap, nil
}

// followQuery is FollowRuns' statement; its arguments are the dag id (for
// is_paused), the dag id and the run ids.
func (s *Store) followQuery() string {
	join := ""
	count := "0"
	state := "NULL"
	if s.schema.HasTable("task_instance") {
		join = " LEFT JOIN task_instance ti ON ti.dag_id = r.dag_id AND ti.run_id = r.run_id"
		count, state = "COUNT(ti.task_id)", "ti.state"
	}
	cols := []string{
		"r.run_id AS run_id", "r.state AS run_state", state + " AS ti_state", count + " AS n",
		// Uncorrelated: evaluated once per statement, allowed beside GROUP BY
		// on PostgreSQL, MySQL (ONLY_FULL_GROUP_BY) and SQLite.
		"(SELECT d.is_paused FROM dag d WHERE d.dag_id = ?) AS is_paused",
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM dag_run r" + join +
		" WHERE r.dag_id = ? AND r.run_id IN ? GROUP BY r.run_id, r.state"
	if state != "NULL" {
		q += ", ti.state"
	}
	return q
}

// RunsByID returns the given runs of dagID that exist, in the order asked
// (a duplicate id once), in one statement per FollowChunk ids.
func (s *Store) RunsByID(ctx context.Context, dagID string, runIDs []string) ([]Run, error) {
	found := map[string]Run{}
	for start := 0; start < len(runIDs); start += FollowChunk {
		chunk := runIDs[start:min(start+FollowChunk, len(runIDs))]
		var rows []runRow
		if err := s.scan(ctx, &rows, s.runSelect()+" WHERE r.dag_id = ? AND r.run_id IN ?", dagID, chunk); err != nil {
			return nil, fmt.Errorf("read runs of dag %q: %w", dagID, err)
		}
		for _, r := range s.toRuns(rows) {
			found[r.RunID] = r
		}
	}
	out := make([]Run, 0, len(found))
	for _, id := range runIDs {
		if r, ok := found[id]; ok {
			out = append(out, r)
			delete(found, id)
		}
	}
	return out, nil
}
