package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/dagctl/dagctl/internal/apperr"
)

// DAG is one row of Airflow's dag table, schema family hidden.
type DAG struct {
	ID              string
	IsPaused        bool
	IsActive        bool // 2.x is_active; 3.x NOT is_stale
	FullPath        string
	Schedule        string // as a human writes it
	Owners          string
	Tags            []string
	LastExecution   *time.Time
	NextDagrun      *time.Time
	MaxActiveRuns   *int
	HasImportErrors bool
	// AllowedRunTypes is dag.allowed_run_types (3.2+); nil means every type.
	AllowedRunTypes []string
	// TimetablePartitioned is dag.timetable_partitioned (3.2+).
	TimetablePartitioned bool
	// TimetablePeriodic is dag.timetable_periodic (3.3+); nil when the column is
	// absent or the row predates it (timetable_type still empty after the migration).
	TimetablePeriodic *bool
	// TimetableType is dag.timetable_type (3.2+), "" when absent or not yet filled.
	TimetableType string
}

// DAGFilter narrows ListDAGs.
type DAGFilter struct {
	Paused          *bool
	IncludeInactive bool
	Tags            []string // all must match
	Pattern         string   // glob on dag_id
	// IDs, when not nil, keeps only these DAGs (used by permission filtering).
	IDs []string
}

type dagRow struct {
	DagID                string
	IsPaused             dbBool
	IsActive             dbBool
	Fileloc              *string
	Schedule             *string
	Owners               *string
	NextDagrun           dbTime
	MaxActiveRuns        *int
	HasImportErrors      dbBool
	AllowedRunTypes      *string
	TimetablePartitioned dbBool
	TimetablePeriodic    dbBool
	TimetableType        *string
	LastExecution        dbTime
}

func (s *Store) dagSelect(withLast bool) string {
	sc := s.schema
	active := "d.is_active"
	if sc.Has("dag", "is_stale") {
		active = "NOT d.is_stale"
		if s.dialect == DialectSQLite {
			active = "(d.is_stale = 0)"
		}
	}
	schedule := "NULL"
	switch {
	case sc.Has("dag", "timetable_summary"):
		schedule = "d.timetable_summary"
	case sc.Has("dag", "schedule_interval"):
		schedule = "d.schedule_interval"
	}
	opt := func(col string) string {
		if sc.Has("dag", col) {
			return "d." + col
		}
		return "NULL"
	}
	allowed := opt("allowed_run_types")
	if allowed != "NULL" {
		allowed = s.textCol(allowed)
	}
	cols := []string{
		"d.dag_id AS dag_id",
		"d.is_paused AS is_paused",
		active + " AS is_active",
		"d.fileloc AS fileloc",
		schedule + " AS schedule",
		"d.owners AS owners",
		"d.next_dagrun AS next_dagrun",
		"d.max_active_runs AS max_active_runs",
		opt("has_import_errors") + " AS has_import_errors",
		allowed + " AS allowed_run_types",
		opt("timetable_partitioned") + " AS timetable_partitioned",
		opt("timetable_periodic") + " AS timetable_periodic",
		opt("timetable_type") + " AS timetable_type",
	}
	if withLast {
		// max() over the (dag_id, logical date) unique index: one backward
		// index probe per DAG, all in this one statement.
		ld := sc.LogicalDateColumn()
		cols = append(cols, fmt.Sprintf("(SELECT max(r.%s) FROM dag_run r WHERE r.dag_id = d.dag_id) AS last_execution", ld))
	} else {
		cols = append(cols, "NULL AS last_execution")
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM dag d"
}

// ListDAGs returns the DAGs matching f, sorted by dag_id, with tags and the
// latest logical date, in two statements whatever the number of DAGs.
func (s *Store) ListDAGs(ctx context.Context, f DAGFilter) ([]DAG, error) {
	q := s.dagSelect(true)
	var where []string
	var args []any
	if f.Paused != nil {
		where = append(where, "d.is_paused = ?")
		args = append(args, s.boolArg(*f.Paused))
	}
	if !f.IncludeInactive {
		if s.schema.Has("dag", "is_stale") {
			where = append(where, "d.is_stale = ?")
			args = append(args, s.boolArg(false))
		} else if s.schema.Has("dag", "is_active") {
			where = append(where, "d.is_active = ?")
			args = append(args, s.boolArg(true))
		}
	}
	globInGo := false
	if f.Pattern != "" {
		if like, ok := globToLike(f.Pattern); ok {
			clause, arg := s.likeClause("d.dag_id", like)
			where = append(where, clause)
			args = append(args, arg)
		} else {
			globInGo = true
		}
	}
	if len(f.Tags) > 0 {
		tags := dedupe(f.Tags)
		where = append(where, "d.dag_id IN (SELECT t.dag_id FROM dag_tag t WHERE t.name IN ? GROUP BY t.dag_id HAVING count(DISTINCT t.name) = ?)")
		args = append(args, tags, len(tags))
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return []DAG{}, nil
		}
		where = append(where, "d.dag_id IN ?")
		args = append(args, f.IDs)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY d.dag_id"
	var rows []dagRow
	if err := s.scan(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("list dags: %w", err)
	}
	dags := make([]DAG, 0, len(rows))
	for _, r := range rows {
		if globInGo {
			if ok, _ := path.Match(f.Pattern, r.DagID); !ok {
				continue
			}
		}
		dags = append(dags, r.toDAG())
	}
	if err := s.attachTags(ctx, dags); err != nil {
		return nil, err
	}
	return dags, nil
}

// GetDAG returns one DAG or a not-found error (exit 3).
func (s *Store) GetDAG(ctx context.Context, dagID string) (*DAG, error) {
	var rows []dagRow
	if err := s.scan(ctx, &rows, s.dagSelect(false)+" WHERE d.dag_id = ?", dagID); err != nil {
		return nil, fmt.Errorf("get dag %q: %w", dagID, err)
	}
	if len(rows) == 0 {
		return nil, apperr.NotFound("dag %q not found", dagID)
	}
	d := rows[0].toDAG()
	return &d, nil
}

func (r dagRow) toDAG() DAG {
	d := DAG{
		ID:                   r.DagID,
		IsPaused:             r.IsPaused.Bool,
		IsActive:             r.IsActive.Bool,
		FullPath:             deref(r.Fileloc),
		Schedule:             humanSchedule(deref(r.Schedule)),
		Owners:               deref(r.Owners),
		NextDagrun:           r.NextDagrun.Ptr(),
		MaxActiveRuns:        r.MaxActiveRuns,
		HasImportErrors:      r.HasImportErrors.Bool,
		TimetablePartitioned: r.TimetablePartitioned.Bool,
		LastExecution:        r.LastExecution.Ptr(),
		Tags:                 []string{},
	}
	d.TimetableType = deref(r.TimetableType)
	// Migration 3.3 fills timetable_periodic with false for every DAG; it is
	// Airflow's word only once the DAG processor has written timetable_type.
	if r.TimetablePeriodic.Valid && d.TimetableType != "" {
		v := r.TimetablePeriodic.Bool
		d.TimetablePeriodic = &v
	}
	if r.AllowedRunTypes != nil {
		var types []string
		if err := json.Unmarshal([]byte(*r.AllowedRunTypes), &types); err == nil && types != nil {
			d.AllowedRunTypes = types
		}
	}
	return d
}

// humanSchedule turns Airflow 2's JSON-encoded schedule_interval ("\"@daily\"",
// "null", {"type":"timedelta",...}) into what a person writes; 3.x's
// timetable_summary is already text.
func humanSchedule(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if raw == "null" {
		return "None"
	}
	var str string
	if err := json.Unmarshal([]byte(raw), &str); err == nil {
		return str
	}
	var td struct {
		Type  string `json:"type"`
		Attrs struct {
			Days         int64 `json:"days"`
			Seconds      int64 `json:"seconds"`
			Microseconds int64 `json:"microseconds"`
		} `json:"attrs"`
	}
	if err := json.Unmarshal([]byte(raw), &td); err == nil && td.Type == "timedelta" {
		return pythonTimedelta(td.Attrs.Days, td.Attrs.Seconds, td.Attrs.Microseconds)
	}
	return raw
}

// pythonTimedelta formats like Python's str(timedelta): "6:00:00", "1 day, 0:00:00".
func pythonTimedelta(days, seconds, micros int64) string {
	h, m, sec := seconds/3600, (seconds%3600)/60, seconds%60
	s := fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	if micros != 0 {
		s += fmt.Sprintf(".%06d", micros)
	}
	if days != 0 {
		unit := "days"
		if days == 1 || days == -1 {
			unit = "day"
		}
		s = fmt.Sprintf("%d %s, %s", days, unit, s)
	}
	return s
}

func (s *Store) attachTags(ctx context.Context, dags []DAG) error {
	if len(dags) == 0 || !s.schema.HasTable("dag_tag") {
		return nil
	}
	idx := make(map[string]int, len(dags))
	ids := make([]string, 0, len(dags))
	for i, d := range dags {
		idx[d.ID] = i
		ids = append(ids, d.ID)
	}
	type tagRow struct{ DagID, Name string }
	var rows []tagRow
	// Chunked to stay under SQLite's bound-parameter limit.
	for start := 0; start < len(ids); start += 5000 {
		end := min(start+5000, len(ids))
		var chunk []tagRow
		if err := s.scan(ctx, &chunk, "SELECT dag_id, name FROM dag_tag WHERE dag_id IN ? ORDER BY dag_id, name", ids[start:end]); err != nil {
			return fmt.Errorf("list dag tags: %w", err)
		}
		rows = append(rows, chunk...)
	}
	for _, r := range rows {
		i := idx[r.DagID]
		dags[i].Tags = append(dags[i].Tags, r.Name)
	}
	return nil
}

// globToLike translates a glob with * and ? into a LIKE pattern; it reports
// false for globs LIKE cannot express (character classes, escapes).
func globToLike(glob string) (string, bool) {
	if strings.ContainsAny(glob, `[\`) {
		return "", false
	}
	var b strings.Builder
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SerializedDAG returns the newest serialized form of a DAG: the JSON in
// data, or zlib(JSON) in data_compressed when data is NULL.
func (s *Store) SerializedDAG(ctx context.Context, dagID string) (data, compressed []byte, err error) {
	err = s.read(ctx, func(db *gorm.DB) error {
		data, compressed, err = s.serializedDAG(db, dagID)
		return err
	})
	return data, compressed, err
}

// SerializedDAG reads the DAG's serialized form inside the transaction.
func (t *Tx) SerializedDAG(dagID string) (data, compressed []byte, err error) {
	return t.s.serializedDAG(t.db, dagID)
}

func (s *Store) serializedDAG(db *gorm.DB, dagID string) (data, compressed []byte, err error) {
	order := ""
	switch {
	case s.schema.Has("serialized_dag", "created_at"):
		order = " ORDER BY created_at DESC"
	case s.schema.Has("serialized_dag", "last_updated"):
		order = " ORDER BY last_updated DESC"
	}
	dataCol := s.textCol("data")
	compCol := "NULL"
	if s.schema.Has("serialized_dag", "data_compressed") {
		compCol = "data_compressed"
	}
	type row struct {
		Data       []byte
		Compressed []byte
	}
	var rows []row
	q := fmt.Sprintf("SELECT %s AS data, %s AS compressed FROM serialized_dag WHERE dag_id = ?%s LIMIT 1", dataCol, compCol, order)
	if err := db.Raw(q, dagID).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("read serialized dag %q: %w", dagID, err)
	}
	if len(rows) == 0 {
		return nil, nil, apperr.NotFound("dag %q has no serialized form (has Airflow parsed it?)", dagID)
	}
	return rows[0].Data, rows[0].Compressed, nil
}
