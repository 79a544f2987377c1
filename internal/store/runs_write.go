package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dagctl/dagctl/pkg/pickle"
)

// Run types and trigger kinds dagctl writes (Airflow's DagRunType and, in 3.x, DagRunTriggeredByType).
const (
	RunTypeManual   = "manual"
	RunTypeBackfill = "backfill"

	TriggeredByCLI      = "CLI"
	TriggeredByBackfill = "BACKFILL"
)

// WriteContext holds the rows a new run points at.
type WriteContext struct {
	// LogTemplateID is the newest log_template row, as DagRun's constructor
	// picks it (airflow/models/dagrun.py); nil when the schema has no log templates.
	LogTemplateID *int64
	// DagVersionID is the DAG's newest dag_version (3.x created_dag_version_id).
	DagVersionID *string
}

// WriteContext reads the log template and (3.x) the DAG's newest version.
func (t *Tx) WriteContext(dagID string) (WriteContext, error) {
	var wc WriteContext
	sc := t.s.schema
	if sc.HasTable("log_template") && sc.Has("dag_run", "log_template_id") {
		var ids []int64
		if err := t.db.Raw("SELECT id FROM log_template ORDER BY id DESC LIMIT 1").Scan(&ids).Error; err != nil {
			return wc, fmt.Errorf("read log_template: %w", err)
		}
		if len(ids) == 0 {
			return wc, fmt.Errorf("log_template is empty: Airflow's 'db migrate' inserts its row; run it first")
		}
		wc.LogTemplateID = &ids[0]
	}
	if sc.Has("dag_run", "created_dag_version_id") && sc.HasTable("dag_version") {
		idCol := t.s.textCol("id")
		var ids []string
		// DagVersion.get_latest_version orders by created_at (airflow/models/dag_version.py).
		q := fmt.Sprintf("SELECT %s FROM dag_version WHERE dag_id = ? ORDER BY created_at DESC, version_number DESC LIMIT 1", idCol)
		if err := t.db.Raw(q, dagID).Scan(&ids).Error; err != nil {
			return wc, fmt.Errorf("read dag_version of %q: %w", dagID, err)
		}
		if len(ids) == 0 {
			return wc, fmt.Errorf("dag %q has no dag_version row: has Airflow's DAG processor parsed it?", dagID)
		}
		wc.DagVersionID = &ids[0]
	}
	return wc, nil
}

// ExistingRun is a run already at a logical date.
type ExistingRun struct {
	ID          int64
	RunID       string
	RunType     string
	State       string
	LogicalDate time.Time
	BackfillID  *int64
}

// ExistingRuns returns the runs of dagID whose logical date lies in
// [from, to], keyed by logical date (UnixMicro), keeping only those that
// conflict with a new run of runType under the unique key the database
// really has: (dag_id, logical date), or (dag_id, run_type, logical date).
func (t *Tx) ExistingRuns(dagID, runType string, from, to time.Time) (map[int64]ExistingRun, error) {
	sc := t.s.schema
	ld := sc.LogicalDateColumn()
	q := fmt.Sprintf(`SELECT r.id AS id, r.run_id AS run_id, r.run_type AS run_type, r.state AS state,
		r.%s AS logical_date, %s AS backfill_id FROM dag_run r WHERE r.dag_id = ? AND r.%s >= ? AND r.%s <= ?`,
		ld, optCol(sc, "dag_run", "backfill_id", "r."), ld, ld)
	args := []any{dagID, t.s.timeArg(from), t.s.timeArg(to)}
	if runType != "" && slices.Contains(sc.LogicalDateKey(), "run_type") {
		q += " AND r.run_type = ?"
		args = append(args, runType)
	}
	type row struct {
		ID          int64
		RunID       string
		RunType     string
		State       *string
		LogicalDate dbTime
		BackfillID  *int64
	}
	var rows []row
	if err := t.db.Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read existing runs of %q: %w", dagID, err)
	}
	out := make(map[int64]ExistingRun, len(rows))
	for _, r := range rows {
		e := ExistingRun{ID: r.ID, RunID: r.RunID, RunType: r.RunType, LogicalDate: r.LogicalDate.Time, BackfillID: r.BackfillID}
		if r.State != nil {
			e.State = *r.State
		}
		out[r.LogicalDate.Time.UnixMicro()] = e
	}
	return out, nil
}

func optCol(sc *Schema, table, col, prefix string) string {
	if sc.Has(table, col) {
		return prefix + col
	}
	return "NULL"
}

// RunIDsWithPrefix returns the run ids of dagID that start with prefix.
func (t *Tx) RunIDsWithPrefix(dagID, prefix string) ([]string, error) {
	var ids []string
	var err error
	if t.s.dialect == DialectSQLite {
		err = t.db.Raw("SELECT run_id FROM dag_run WHERE dag_id = ? AND substr(run_id, 1, ?) = ?", dagID, len([]rune(prefix)), prefix).Scan(&ids).Error
	} else {
		clause, arg := t.s.likeClause("run_id", likeEscape(prefix)+"%")
		err = t.db.Raw("SELECT run_id FROM dag_run WHERE dag_id = ? AND "+clause, dagID, arg).Scan(&ids).Error
	}
	if err != nil {
		return nil, fmt.Errorf("read run ids of %q: %w", dagID, err)
	}
	return ids, nil
}

// NewRun is one run to insert.
type NewRun struct {
	RunID             string
	LogicalDate       time.Time
	DataIntervalStart time.Time
	DataIntervalEnd   time.Time
	RunAfter          time.Time
}

// InsertRunsRequest describes a batch of runs of one DAG.
type InsertRunsRequest struct {
	DagID   string
	RunType string // RunTypeManual or RunTypeBackfill
	// TriggeredBy is Airflow 3's dag_run.triggered_by.
	TriggeredBy string
	// Conf is the run conf as JSON object text, keys in the user's order.
	Conf []byte
	// User is the acting user (3.1+ triggering_user_name).
	User string
	// BackfillID links the runs to Airflow 3's native backfill row.
	BackfillID *int64
	Runs       []NewRun
	Context    WriteContext
}

// InsertRuns writes the runs the way Airflow's trigger path does for this
// schema, in batched multi-row INSERTs, and returns run_id → dag_run.id.
//
// Columns follow DagRun.__init__ and DAG.create_dagrun (airflow/models/dagrun.py,
// airflow/models/dag.py): state queued with queued_at now; clear_number 0;
// the newest log_template; Airflow 2: execution_date, external_trigger true,
// conf pickled as PickleType does, dag_hash NULL so the scheduler's
// _verify_integrity_if_dag_changed creates the task instances
// (airflow/jobs/scheduler_job_runner.py); Airflow 3: logical_date, run_after,
// triggered_by, JSON conf, created_dag_version_id = newest dag_version and
// bundle_version NULL so the scheduler creates the task instances.
func (t *Tx) InsertRuns(req InsertRunsRequest) (map[string]int64, error) {
	if len(req.Runs) == 0 {
		return map[string]int64{}, nil
	}
	sc := t.s.schema
	conf, err := t.encodeConf(req.Conf)
	if err != nil {
		return nil, err
	}
	now := t.s.timeArg(t.Now)
	type colVal struct {
		col string
		val func(r NewRun) any
	}
	constant := func(col string, v any) colVal { return colVal{col, func(NewRun) any { return v }} }
	cols := []colVal{
		constant("dag_id", req.DagID),
		{"run_id", func(r NewRun) any { return r.RunID }},
		{sc.LogicalDateColumn(), func(r NewRun) any { return t.s.timeArg(r.LogicalDate) }},
		constant("state", "queued"),
		constant("run_type", req.RunType),
		constant("conf", conf),
		{"data_interval_start", func(r NewRun) any { return t.s.timeArg(r.DataIntervalStart) }},
		{"data_interval_end", func(r NewRun) any { return t.s.timeArg(r.DataIntervalEnd) }},
		constant("queued_at", now),
		constant("updated_at", now),
		constant("clear_number", 0),
	}
	if req.Context.LogTemplateID != nil {
		cols = append(cols, constant("log_template_id", *req.Context.LogTemplateID))
	}
	if sc.Has("dag_run", "external_trigger") {
		cols = append(cols, constant("external_trigger", t.s.boolArg(true)))
	}
	if sc.Has("dag_run", "run_after") {
		cols = append(cols, colVal{"run_after", func(r NewRun) any { return t.s.timeArg(r.RunAfter) }})
	}
	if sc.Has("dag_run", "triggered_by") {
		cols = append(cols, constant("triggered_by", req.TriggeredBy))
	}
	if sc.Has("dag_run", "backfill_id") && req.BackfillID != nil {
		cols = append(cols, constant("backfill_id", *req.BackfillID))
	}
	if sc.Has("dag_run", "created_dag_version_id") && req.Context.DagVersionID != nil {
		cols = append(cols, constant("created_dag_version_id", *req.Context.DagVersionID))
	}
	if sc.Has("dag_run", "context_carrier") {
		// What DagRun.__init__ stores for an empty trace carrier (ExtendedJSON of {}).
		cols = append(cols, constant("context_carrier", `{"__var": {}, "__type": "dict"}`))
	}
	if sc.Has("dag_run", "span_status") {
		cols = append(cols, constant("span_status", "not_started"))
	}
	if sc.Has("dag_run", "triggering_user_name") {
		cols = append(cols, constant("triggering_user_name", nullIfEmpty(req.User)))
	}
	if sc.Has("dag_run", "created_at") {
		cols = append(cols, constant("created_at", now))
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.col
	}
	rows := make([][]any, len(req.Runs))
	for i, r := range req.Runs {
		row := make([]any, len(cols))
		for j, c := range cols {
			row[j] = c.val(r)
		}
		rows[i] = row
	}
	return t.insertRows("dag_run", names, rows, "run_id")
}

// runIDs maps the new runs' run_id to their dag_run.id (one query per 1000).
func (t *Tx) runIDs(dagID string, runs []NewRun) (map[string]int64, error) {
	out := make(map[string]int64, len(runs))
	for start := 0; start < len(runs); start += 1000 {
		end := min(start+1000, len(runs))
		ids := make([]string, 0, end-start)
		for _, r := range runs[start:end] {
			ids = append(ids, r.RunID)
		}
		type row struct {
			ID    int64
			RunID string
		}
		var rows []row
		if err := t.db.Raw("SELECT id, run_id FROM dag_run WHERE dag_id = ? AND run_id IN ?", dagID, ids).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read new run ids: %w", err)
		}
		for _, r := range rows {
			out[r.RunID] = r.ID
		}
	}
	return out, nil
}

// encodeConf stores conf as Airflow does: a pickle in 2.x (PickleType), JSON in 3.x.
func (t *Tx) encodeConf(conf []byte) (any, error) {
	if len(conf) == 0 {
		conf = []byte("{}")
	}
	if !json.Valid(conf) {
		return nil, fmt.Errorf("conf is not valid JSON")
	}
	if t.s.schema.ConfIsPickle() {
		b, err := pickle.DumpsJSON(conf)
		if err != nil {
			return nil, fmt.Errorf("pickle conf: %w", err)
		}
		return b, nil
	}
	return string(conf), nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AuditEntry is one row of Airflow's log table.
type AuditEntry struct {
	Event       string
	DagID       string
	RunID       string     // only when the write concerns exactly one run
	LogicalDate *time.Time // only when there is one
	Owner       string
	// Extra is marshalled to JSON (never holds a password).
	Extra any
}

// Audit adds a row to Airflow's log table in the same transaction as the write.
func (t *Tx) Audit(e AuditEntry) error {
	sc := t.s.schema
	if !sc.HasTable("log") {
		return nil
	}
	extra, err := json.Marshal(e.Extra)
	if err != nil {
		return fmt.Errorf("audit: encode extra: %w", err)
	}
	cols := []string{"dttm", "event", "dag_id", "owner", "extra"}
	vals := []any{t.s.timeArg(t.Now), e.Event, nullIfEmpty(e.DagID), nullIfEmpty(e.Owner), string(extra)}
	if sc.Has("log", "owner_display_name") {
		cols = append(cols, "owner_display_name")
		vals = append(vals, nullIfEmpty(e.Owner))
	}
	if sc.Has("log", "run_id") && e.RunID != "" {
		cols = append(cols, "run_id")
		vals = append(vals, e.RunID)
	}
	if col := sc.LogDateColumn(); col != "" && e.LogicalDate != nil {
		cols = append(cols, col)
		vals = append(vals, t.s.timeArg(*e.LogicalDate))
	}
	if _, err := t.insertRows("log", cols, [][]any{vals}, ""); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}
