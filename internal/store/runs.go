package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/pkg/pickle"
)

// Run is one dag_run row, schema family hidden.
type Run struct {
	ID                int64
	DagID             string
	RunID             string
	State             string
	RunType           string
	LogicalDate       *time.Time
	DataIntervalStart *time.Time
	DataIntervalEnd   *time.Time
	RunAfter          *time.Time
	QueuedAt          *time.Time
	StartDate         *time.Time
	EndDate           *time.Time
	ExternalTrigger   bool
	// Conf is the decoded conf as JSON text ("{}" when empty); ConfError says why it could not be decoded.
	Conf        json.RawMessage
	ConfError   string
	ClearNumber int
	BackfillID  *int64
}

// RunFilter narrows ListRuns. Runs come ordered by id ascending.
type RunFilter struct {
	DagID           string
	DagIDs          []string // when not nil, keep runs of these DAGs only
	State           string
	RunType         string
	Prefix          string // run_id starts with this, exact case, no wildcards
	ExternalTrigger *bool
	NativeBackfill  *int64 // Airflow 3 dag_run.backfill_id
	AfterID         int64  // keyset: runs after the run with this id, in the chosen order
	Limit           int
	// LogicalFrom/LogicalTo keep runs with a logical date in [From, To].
	LogicalFrom, LogicalTo *time.Time
	Sort                   string // SortID (default), SortLogicalDate, SortStartDate, SortEndDate
	Desc                   bool
}

type runRow struct {
	ID                int64
	DagID             string
	RunID             string
	State             *string
	RunType           string
	LogicalDate       dbTime
	DataIntervalStart dbTime
	DataIntervalEnd   dbTime
	RunAfter          dbTime
	QueuedAt          dbTime
	StartDate         dbTime
	EndDate           dbTime
	ExternalTrigger   dbBool
	Conf              []byte
	ClearNumber       *int
	BackfillID        *int64
}

// externalRunTypes: Airflow 3 dropped external_trigger; a run is external
// when it was not made by the scheduler from the timetable or an asset event.
var scheduledRunTypes = []string{"scheduled", "dataset_triggered", "asset_triggered"}

func (s *Store) runSelect() string { return s.runSelectCols(true) }

// runSelectCols is runSelect, without the conf column when withConf is false.
func (s *Store) runSelectCols(withConf bool) string {
	sc := s.schema
	// Absent columns are typed NULLs on PostgreSQL, so that StreamRuns can
	// scan them with pgx into typed fields.
	opt := func(col, pgType string) string {
		if sc.Has("dag_run", col) {
			return "r." + col
		}
		if s.dialect == DialectPostgres {
			return "NULL::" + pgType
		}
		return "NULL"
	}
	external := opt("external_trigger", "boolean")
	if !sc.Has("dag_run", "external_trigger") {
		external = "CASE WHEN r.run_type IN ('scheduled', 'dataset_triggered', 'asset_triggered') THEN 0 ELSE 1 END"
		if s.dialect == DialectPostgres {
			external = "r.run_type NOT IN ('scheduled', 'dataset_triggered', 'asset_triggered')"
		}
	}
	conf := "r.conf"
	if !sc.ConfIsPickle() {
		conf = s.textCol("r.conf")
	}
	cols := []string{
		"r.id AS id", "r.dag_id AS dag_id", "r.run_id AS run_id", "r.state AS state", "r.run_type AS run_type",
		"r." + sc.LogicalDateColumn() + " AS logical_date",
		"r.data_interval_start AS data_interval_start", "r.data_interval_end AS data_interval_end",
		opt("run_after", "timestamptz") + " AS run_after",
		"r.queued_at AS queued_at", "r.start_date AS start_date", "r.end_date AS end_date",
		external + " AS external_trigger",
		conf + " AS conf",
		opt("clear_number", "integer") + " AS clear_number",
		opt("backfill_id", "integer") + " AS backfill_id",
	}
	if !withConf {
		cols = append(cols[:13], cols[14:]...)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM dag_run r"
}

// runWhere builds the WHERE clause for f (without keyset or limit).
func (s *Store) runWhere(f RunFilter) ([]string, []any) {
	var where []string
	var args []any
	if f.DagID != "" {
		where = append(where, "r.dag_id = ?")
		args = append(args, f.DagID)
	}
	if f.DagIDs != nil {
		if len(f.DagIDs) == 0 {
			where = append(where, "1 = 0")
		} else {
			where = append(where, "r.dag_id IN ?")
			args = append(args, f.DagIDs)
		}
	}
	if f.State != "" {
		where = append(where, "r.state = ?")
		args = append(args, f.State)
	}
	if f.RunType != "" {
		where = append(where, "r.run_type = ?")
		args = append(args, f.RunType)
	}
	if f.Prefix != "" {
		if s.dialect == DialectSQLite {
			// SQLite's LIKE ignores ASCII case; compare the leading bytes instead.
			where = append(where, "substr(r.run_id, 1, ?) = ?")
			args = append(args, len([]rune(f.Prefix)), f.Prefix)
		} else {
			// LIKE with escaped metacharacters: correct under every collation
			// (see docs: a >=/< range rewrite is wrong under en_US.UTF-8).
			clause, arg := s.likeClause("r.run_id", likeEscape(f.Prefix)+"%")
			where = append(where, clause)
			args = append(args, arg)
		}
	}
	if f.ExternalTrigger != nil {
		if s.schema.Has("dag_run", "external_trigger") {
			if *f.ExternalTrigger {
				where = append(where, "r.external_trigger = ?")
			} else {
				where = append(where, "(r.external_trigger = ? OR r.external_trigger IS NULL)")
			}
			args = append(args, s.boolArg(*f.ExternalTrigger))
		} else if *f.ExternalTrigger {
			where = append(where, "r.run_type NOT IN ?")
			args = append(args, scheduledRunTypes)
		} else {
			where = append(where, "r.run_type IN ?")
			args = append(args, scheduledRunTypes)
		}
	}
	if f.LogicalFrom != nil {
		where = append(where, "r."+s.schema.LogicalDateColumn()+" >= ?")
		args = append(args, s.timeArg(*f.LogicalFrom))
	}
	if f.LogicalTo != nil {
		where = append(where, "r."+s.schema.LogicalDateColumn()+" <= ?")
		args = append(args, s.timeArg(*f.LogicalTo))
	}
	if f.NativeBackfill != nil {
		if s.schema.Has("dag_run", "backfill_id") {
			where = append(where, "r.backfill_id = ?")
			args = append(args, *f.NativeBackfill)
		} else {
			where = append(where, "1 = 0")
		}
	}
	return where, args
}

// ListRuns returns one page of runs after f.AfterID in the order f.Sort, f.Desc.
func (s *Store) ListRuns(ctx context.Context, f RunFilter) ([]Run, error) {
	qs, err := s.listRunsQuery(ctx, f, true)
	if err != nil {
		return nil, err
	}
	var out []Run
	for _, q := range qs {
		sql := q.sql
		if f.Limit > 0 {
			sql += fmt.Sprintf(" LIMIT %d", f.Limit-len(out))
		}
		var rows []runRow
		if err := s.scan(ctx, &rows, sql, q.args...); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, s.toRuns(rows)...)
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
	}
	if out == nil {
		out = []Run{}
	}
	return out, nil
}

// CountRuns counts the runs matching f (f's keyset, order and limit do not apply).
func (s *Store) CountRuns(ctx context.Context, f RunFilter) (int64, error) {
	where, args := s.runWhere(f)
	q := "SELECT COUNT(*) FROM dag_run r"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	var n int64
	err := s.read(ctx, func(db *gorm.DB) error { return db.Raw(q, args...).Row().Scan(&n) })
	if err != nil {
		return 0, fmt.Errorf("count runs: %w", err)
	}
	return n, nil
}

// runQuery is one SELECT of a run list and its arguments.
type runQuery struct {
	sql  string
	args []any
}

// listRunsQuery is the SELECT of ListRuns and StreamRuns, without LIMIT: one
// query, or two whose rows follow each other (see keyset).
func (s *Store) listRunsQuery(ctx context.Context, f RunFilter, withConf bool) ([]runQuery, error) {
	col, err := s.sortColumn(f.Sort)
	if err != nil {
		return nil, err
	}
	where, args := s.runWhere(f)
	cond, kargs, nulls, err := s.keyset(ctx, col, f.Desc, f.AfterID)
	if err != nil {
		return nil, err
	}
	build := func(cond string, kargs []any, order string) runQuery {
		w, a := where, args
		if cond != "" {
			w = append(slices.Clone(w), cond)
			a = append(slices.Clone(a), kargs...)
		}
		q := s.runSelectCols(withConf)
		if len(w) > 0 {
			q += " WHERE " + strings.Join(w, " AND ")
		}
		return runQuery{q + order, a}
	}
	if nulls == "" {
		return []runQuery{build(cond, kargs, s.orderBy(col, f.Desc, !s.sortNullable(col)))}, nil
	}
	return []runQuery{
		build(cond, kargs, s.orderBy(col, f.Desc, true)),
		build(nulls, nil, " ORDER BY r.id ASC"),
	}, nil
}

// FindRuns returns the runs with this run_id (in every DAG, or in dagID).
func (s *Store) FindRuns(ctx context.Context, runID, dagID string) ([]Run, error) {
	q := s.runSelect() + " WHERE r.run_id = ?"
	args := []any{runID}
	if dagID != "" {
		q += " AND r.dag_id = ?"
		args = append(args, dagID)
	}
	q += " ORDER BY r.dag_id"
	var rows []runRow
	if err := s.scan(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("get run %q: %w", runID, err)
	}
	return s.toRuns(rows), nil
}

// GetRun returns exactly one run by run_id, or exit 3 (none) / exit 2 (ambiguous).
func (s *Store) GetRun(ctx context.Context, runID, dagID string) (*Run, error) {
	runs, err := s.FindRuns(ctx, runID, dagID)
	if err != nil {
		return nil, err
	}
	switch len(runs) {
	case 0:
		if dagID != "" {
			return nil, apperr.NotFound("run %q not found in dag %q", runID, dagID)
		}
		return nil, apperr.NotFound("run %q not found", runID)
	case 1:
		return &runs[0], nil
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.DagID
	}
	return nil, apperr.Invalid("run %q exists in several dags (%s); pass --dag-id", runID, strings.Join(ids, ", "))
}

func (s *Store) toRuns(rows []runRow) []Run {
	runs := make([]Run, len(rows))
	for i, r := range rows {
		run := Run{
			ID: r.ID, DagID: r.DagID, RunID: r.RunID, RunType: r.RunType,
			LogicalDate: r.LogicalDate.Ptr(), DataIntervalStart: r.DataIntervalStart.Ptr(),
			DataIntervalEnd: r.DataIntervalEnd.Ptr(), RunAfter: r.RunAfter.Ptr(),
			QueuedAt: r.QueuedAt.Ptr(), StartDate: r.StartDate.Ptr(), EndDate: r.EndDate.Ptr(),
			ExternalTrigger: r.ExternalTrigger.Bool, BackfillID: r.BackfillID,
		}
		if r.State != nil {
			run.State = *r.State
		}
		if r.ClearNumber != nil {
			run.ClearNumber = *r.ClearNumber
		}
		run.Conf, run.ConfError = s.decodeConf(r.Conf)
		runs[i] = run
	}
	return runs
}

// decodeConf turns a stored conf into JSON: Airflow 2 pickles it, Airflow 3 stores JSON.
func (s *Store) decodeConf(raw []byte) (json.RawMessage, string) {
	if len(raw) == 0 {
		return json.RawMessage("{}"), ""
	}
	if s.schema.ConfIsPickle() {
		js, err := pickle.LoadsJSON(raw)
		if err != nil {
			return json.RawMessage("null"), "conf: " + err.Error()
		}
		return js, ""
	}
	if !json.Valid(raw) {
		return json.RawMessage("null"), "conf: stored value is not JSON"
	}
	if string(raw) == "null" {
		return json.RawMessage("{}"), ""
	}
	return json.RawMessage(raw), ""
}
