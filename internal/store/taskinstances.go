package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// TaskInstance is one task_instance row, schema family hidden. Columns a
// release lacks read as their zero value.
type TaskInstance struct {
	// ID is the task instance's uuid (Airflow 3); "" on Airflow 2.
	ID        string
	DagID     string
	RunID     string
	TaskID    string
	MapIndex  int
	State     string // "" when NULL (no status yet)
	TryNumber int
	MaxTries  int
	StartDate *time.Time
	EndDate   *time.Time
	// Duration is in seconds, as Airflow stores it; nil when not set.
	Duration *float64
	// Operator is the operator's class name; CustomOperatorName the name
	// it asked to be shown by (e.g. "@task"), "" when none.
	Operator           string
	CustomOperatorName string
	Hostname           string
	Unixname           string
	Pool               string
	PoolSlots          int
	Queue              string
	PriorityWeight     *int
	QueuedAt           *time.Time
	PID                *int
	Executor           string
	RenderedMapIndex   string
	UpdatedAt          *time.Time
}

type taskInstanceRow struct {
	ID                 *string
	DagID              string
	RunID              string
	TaskID             string
	MapIndex           int
	State              *string
	TryNumber          *int
	MaxTries           *int
	StartDate          dbTime
	EndDate            dbTime
	Duration           *float64
	Operator           *string
	CustomOperatorName *string
	Hostname           *string
	Unixname           *string
	Pool               *string
	PoolSlots          *int
	Queue              *string
	PriorityWeight     *int
	QueuedAt           dbTime
	PID                *int
	Executor           *string
	RenderedMapIndex   *string
	UpdatedAt          dbTime
}

func (r taskInstanceRow) toTaskInstance() TaskInstance {
	ti := TaskInstance{
		ID: deref(r.ID), DagID: r.DagID, RunID: r.RunID, TaskID: r.TaskID, MapIndex: r.MapIndex,
		State: deref(r.State), StartDate: r.StartDate.Ptr(), EndDate: r.EndDate.Ptr(), Duration: r.Duration,
		Operator: deref(r.Operator), Hostname: deref(r.Hostname), Unixname: deref(r.Unixname),
		Pool: deref(r.Pool), Queue: deref(r.Queue), PriorityWeight: r.PriorityWeight, QueuedAt: r.QueuedAt.Ptr(),
		PID: r.PID, Executor: deref(r.Executor), RenderedMapIndex: deref(r.RenderedMapIndex), UpdatedAt: r.UpdatedAt.Ptr(),
	}
	ti.CustomOperatorName = deref(r.CustomOperatorName)
	if r.TryNumber != nil {
		ti.TryNumber = *r.TryNumber
	}
	if r.MaxTries != nil {
		ti.MaxTries = *r.MaxTries
	}
	if r.PoolSlots != nil {
		ti.PoolSlots = *r.PoolSlots
	}
	return ti
}

// taskInstanceSelect selects the columns of taskInstanceRow; a column the
// release lacks is NULL.
func (s *Store) taskInstanceSelect() string {
	sc := s.schema
	col := func(name string) string {
		if sc.Has("task_instance", name) {
			return "ti." + name + " AS " + name
		}
		return "NULL AS " + name
	}
	id := "NULL AS id"
	if sc.Has("task_instance", "id") {
		id = s.textCol("ti.id") + " AS id"
	}
	cols := []string{id, "ti.dag_id AS dag_id", "ti.run_id AS run_id", "ti.task_id AS task_id", "ti.map_index AS map_index",
		"ti.state AS state", col("try_number"), col("max_tries"), col("start_date"), col("end_date"), col("duration"),
		col("operator"), col("custom_operator_name"), col("hostname"), col("unixname"), col("pool"), col("pool_slots"),
		col("queue"), col("priority_weight"), strings.Replace(col("queued_dttm"), " AS queued_dttm", " AS queued_at", 1),
		col("pid"), col("executor"), col("rendered_map_index"), col("updated_at")}
	return "SELECT " + strings.Join(cols, ", ") + " FROM task_instance ti"
}

// TaskInstanceFilter narrows ListTaskInstances.
type TaskInstanceFilter struct {
	DagID string
	RunID string
	// RunIDs, when set, reads the task instances of these runs instead of
	// RunID's, in one statement per FollowChunk runs.
	RunIDs []string
	// TaskID, when not "", keeps that task's instances only.
	TaskID string
	// MapIndex, when not nil, keeps that map index only (-1: not mapped).
	MapIndex *int
	// States keeps these states; "none" stands for no state (NULL), as in Airflow's API.
	States []string
}

// ListTaskInstances returns the task instances of one run, ordered by task id
// and map index (callers put them in the DAG's order).
func (s *Store) ListTaskInstances(ctx context.Context, f TaskInstanceFilter) ([]TaskInstance, error) {
	out := []TaskInstance{}
	if !s.schema.HasTable("task_instance") {
		return out, nil
	}
	runIDs := f.RunIDs
	if runIDs == nil {
		runIDs = []string{f.RunID}
	}
	where := []string{"ti.dag_id = ?", "ti.run_id IN ?"}
	args := []any{f.DagID, nil}
	if f.TaskID != "" {
		where = append(where, "ti.task_id = ?")
		args = append(args, f.TaskID)
	}
	if f.MapIndex != nil {
		where = append(where, "ti.map_index = ?")
		args = append(args, *f.MapIndex)
	}
	if len(f.States) > 0 {
		var named []string
		withNone := false
		for _, st := range f.States {
			if st == "none" {
				withNone = true
			} else {
				named = append(named, st)
			}
		}
		var or []string
		if len(named) > 0 {
			or = append(or, "ti.state IN ?")
			args = append(args, named)
		}
		if withNone {
			or = append(or, "ti.state IS NULL")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	q := s.taskInstanceSelect() + " WHERE " + strings.Join(where, " AND ") + " ORDER BY ti.run_id, ti.task_id, ti.map_index"
	for start := 0; start < len(runIDs); start += FollowChunk {
		args[1] = runIDs[start:min(start+FollowChunk, len(runIDs))]
		var rows []taskInstanceRow
		if err := s.scan(ctx, &rows, q, args...); err != nil {
			return nil, fmt.Errorf("read task instances of dag %q: %w", f.DagID, err)
		}
		for _, r := range rows {
			out = append(out, r.toTaskInstance())
		}
	}
	return out, nil
}

// LogTemplate is the log_template row a run points at: Airflow renders
// Filename (a Jinja template) to find a try's log file.
type LogTemplate struct {
	ID              int
	Filename        string
	ElasticsearchID string
}

// RunLogTemplate returns the log template of the run: the row its
// log_template_id names, or the oldest row for a run that names none, as
// DagRun.get_log_template does (airflow/models/dagrun.py). found is false
// when the schema has no log_template (Airflow 3.4+) or the table is empty;
// then Airflow uses its [logging] log_filename_template.
func (s *Store) RunLogTemplate(ctx context.Context, dagID, runID string) (tpl LogTemplate, found bool, err error) {
	if !s.schema.Has("dag_run", "log_template_id") || !s.schema.HasTable("log_template") {
		return tpl, false, nil
	}
	var rows []struct {
		ID              int
		Filename        string
		ElasticsearchID string
	}
	q := "SELECT id, filename, elasticsearch_id FROM log_template WHERE id = COALESCE(" +
		"(SELECT log_template_id FROM dag_run WHERE dag_id = ? AND run_id = ?), (SELECT MIN(id) FROM log_template))"
	if err := s.scan(ctx, &rows, q, dagID, runID); err != nil {
		return tpl, false, fmt.Errorf("read log template of run %q of dag %q: %w", runID, dagID, err)
	}
	if len(rows) == 0 {
		return tpl, false, nil
	}
	return LogTemplate{ID: rows[0].ID, Filename: rows[0].Filename, ElasticsearchID: rows[0].ElasticsearchID}, true, nil
}
