// Package dagload assembles what the write commands need to know of a DAG:
// its dag row, its serialized definition and its timetable.
package dagload

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dagdef"
	"github.com/dagctl/dagctl/pkg/schedule"
)

// Loaded is a DAG ready for planning runs.
type Loaded struct {
	Row       *store.DAG
	Def       *dagdef.DAG
	Timetable schedule.Timetable
}

// NotRunnableError says why the scheduler would never run a DAG's runs:
// it is inactive (2.x) or stale (3.x), or Airflow has not serialized it.
// It is the not-found error Err (exit 3), as Airflow's trigger endpoint
// answers 404; a caller that would wait for the runs may refuse otherwise.
type NotRunnableError struct {
	Reason string
	Err    error
}

func (e *NotRunnableError) Error() string { return e.Err.Error() }
func (e *NotRunnableError) Unwrap() error { return e.Err }

// Load reads the DAG's row and serialized form and decodes its timetable.
func Load(ctx context.Context, st *store.Store, dagID string) (*Loaded, error) {
	row, err := st.GetDAG(ctx, dagID)
	if err != nil {
		return nil, err
	}
	// As Airflow's trigger endpoints do (api_connexion/endpoints/dag_run_endpoint.py
	// post_dag_run; 3.x core_api routes/public/dag_run.py trigger_dag_run): an
	// inactive (2.x) or stale (3.x) DAG is not found, and one with import
	// errors cannot be triggered.
	if !row.IsActive {
		return nil, &NotRunnableError{Reason: "is inactive (no longer in Airflow's DAG files)",
			Err: apperr.NotFound("dag %q not found: it is inactive (no longer in Airflow's DAG files)", dagID)}
	}
	if row.HasImportErrors {
		return nil, apperr.Invalid("dag %q has import errors; fix them before creating runs", dagID)
	}
	data, compressed, err := st.SerializedDAG(ctx, dagID)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil, &NotRunnableError{Reason: "has no serialized form (Airflow has not parsed it)", Err: err}
	}
	if err != nil {
		return nil, err
	}
	def, err := dagdef.Parse(data, compressed)
	if err != nil {
		return nil, fmt.Errorf("dag %q: read serialized dag: %w", dagID, err)
	}
	tt, err := timetableOf(def)
	if err != nil {
		var unknown *schedule.UnknownTimetableError
		if errors.As(err, &unknown) {
			return nil, apperr.Invalid("dag %q: %v", dagID, err)
		}
		return nil, fmt.Errorf("dag %q: %w", dagID, err)
	}
	if row.TimetablePeriodic != nil && *row.TimetablePeriodic != tt.Periodic() {
		// dag.timetable_periodic (3.3+) is Airflow's own word; disagreeing means
		// dagctl misread the timetable, so refuse rather than guess.
		return nil, apperr.Invalid("dag %q: timetable %s parsed as periodic=%t but dag.timetable_periodic is %t; nothing written (let Airflow re-parse the DAG, or report this)",
			dagID, tt.Type(), tt.Periodic(), *row.TimetablePeriodic)
	}
	return &Loaded{Row: row, Def: def, Timetable: tt}, nil
}

func timetableOf(def *dagdef.DAG) (schedule.Timetable, error) {
	if len(def.TimetableJSON) > 0 && string(def.TimetableJSON) != "null" {
		return schedule.Decode(def.TimetableJSON)
	}
	return schedule.FromScheduleInterval(def.ScheduleInterval, def.Timezone)
}

// AllowsRunType checks Airflow 3.2's dag.allowed_run_types (nil = all).
func (l *Loaded) AllowsRunType(runType string) error {
	if l.Row.AllowedRunTypes == nil || slices.Contains(l.Row.AllowedRunTypes, runType) {
		return nil
	}
	// Wording of airflow/models/dag.py's check.
	return apperr.Invalid("Dag with dag_id: '%s' does not allow %s runs", l.Row.ID, runType)
}
