package store

import (
	"context"
	"fmt"
	"gorm.io/gorm"
	"sort"
	"strings"
)

// release names an Airflow release (or range) that stamps an alembic head.
type release struct {
	Name  string
	Major int
}

// knownRevisions maps alembic heads to Airflow releases. Writes are allowed
// only on these; the columns actually present still decide every feature.
var knownRevisions = map[string]release{
	"405de8318b3a": {"2.7.0", 2},
	"10b52ebd31f7": {"2.8.0", 2},
	"88344c1d9134": {"2.8.1", 2},
	"1949afb29106": {"2.9.0", 2},
	"686269002441": {"2.9.2", 2},
	"22ed7efa9da2": {"2.10.0", 2},
	"5f2621c13b39": {"2.10.3–2.11.x", 2},
	"29ce7909c52b": {"3.0.0–3.0.2", 3},
	"fe199e1abd77": {"3.0.3+", 3},
	"cc92b33c6709": {"3.1.0–3.1.7", 3},
	"509b94a1042d": {"3.1.8", 3},
	"1d6611b6ab7c": {"3.2.x", 3},
	"d2f4e1b3c5a7": {"3.3.0–3.3.2", 3},
	"b4f1a7d2c903": {"3.4.0", 3},
}

// Schema is what dagctl found in the database: the revision, the release it
// stands for, and the columns present, which decide every feature.
type Schema struct {
	Revision string // "" when alembic_version is missing or empty
	Release  string // e.g. "2.10.3–2.11.x"; "unknown" when the revision is not known
	Major    int    // 2 or 3; 0 when neither shape fits
	Known    bool   // the revision is in the table of known heads
	// WriteRefusal is why writes are refused ("" when allowed).
	WriteRefusal string
	// Warning is said once on stderr for reads of an unrecognised schema.
	Warning string

	columns map[string]map[string]bool
	// DagRunUniqueKeys are the unique constraints of dag_run, read from the
	// catalog by the first write (reads do not need them).
	DagRunUniqueKeys [][]string
	uniqueKeysRead   bool
}

// Writable reports whether dagctl may write to this database.
func (s *Schema) Writable() bool { return s.WriteRefusal == "" }

// Has reports whether table has column.
func (s *Schema) Has(table, column string) bool { return s.columns[table][column] }

// HasTable reports whether the table exists.
func (s *Schema) HasTable(table string) bool { return len(s.columns[table]) > 0 }

// LogicalDateColumn is dag_run's logical date column: execution_date in 2.x, logical_date in 3.x.
func (s *Schema) LogicalDateColumn() string {
	if s.Has("dag_run", "logical_date") {
		return "logical_date"
	}
	return "execution_date"
}

// LogDateColumn is the log table's date column (execution_date in 2.x, logical_date in 3.x).
func (s *Schema) LogDateColumn() string {
	if s.Has("log", "logical_date") {
		return "logical_date"
	}
	if s.Has("log", "execution_date") {
		return "execution_date"
	}
	return ""
}

// ConfIsPickle reports whether dag_run.conf holds a pickle (Airflow 2) rather than JSON.
func (s *Schema) ConfIsPickle() bool { return s.Major == 2 }

// requiredForWrite lists, per major version, the columns dagctl writes and
// therefore must find with the meaning it knows.
var requiredForWrite = map[int]map[string][]string{
	2: {
		"dag_run": {"id", "dag_id", "run_id", "execution_date", "state", "run_type", "external_trigger", "conf",
			"data_interval_start", "data_interval_end", "queued_at", "log_template_id", "clear_number", "dag_hash"},
		"dag":           {"dag_id", "is_paused", "is_active"},
		"log_template":  {"id"},
		"log":           {"dttm", "dag_id", "event", "owner", "extra", "run_id"},
		"task_instance": {"dag_id", "run_id", "task_id", "map_index", "state", "try_number", "max_tries"},
	},
	3: {
		"dag_run": {"id", "dag_id", "run_id", "logical_date", "state", "run_type", "triggered_by", "conf",
			"data_interval_start", "data_interval_end", "run_after", "queued_at", "clear_number",
			"backfill_id", "bundle_version", "created_dag_version_id", "updated_at"},
		"dag":              {"dag_id", "is_paused", "is_stale"},
		"dag_version":      {"id", "dag_id", "version_number", "created_at"},
		"log":              {"dttm", "dag_id", "event", "owner", "extra", "run_id"},
		"backfill":         {"id", "dag_id", "from_date", "to_date", "dag_run_conf", "is_paused", "reprocess_behavior", "max_active_runs", "created_at", "completed_at", "updated_at"},
		"backfill_dag_run": {"id", "backfill_id", "dag_run_id", "exception_reason", "logical_date", "sort_ordinal"},
		"task_instance":    {"dag_id", "run_id", "task_id", "state", "try_number", "max_tries"},
	},
}

// Airflow 3.4 drops log_template and dag_run.log_template_id together; a
// run points at a log template exactly when the column exists, so the table
// is required only then.

// detectSchema reads alembic_version and the catalog.
func (s *Store) detectSchema(ctx context.Context) (*Schema, error) {
	var sc *Schema
	err := s.read(ctx, func(db *gorm.DB) error {
		var err error
		sc, err = s.detectSchemaWith(db)
		return err
	})
	return sc, err
}

func (s *Store) detectSchemaWith(db *gorm.DB) (*Schema, error) {
	cols, err := s.readColumns(db)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	sc := &Schema{columns: cols, Release: "unknown"}
	if sc.HasTable("alembic_version") {
		var revs []string
		if err := db.Raw("SELECT version_num FROM alembic_version").Scan(&revs).Error; err != nil {
			return nil, fmt.Errorf("read alembic_version: %w", err)
		}
		sort.Strings(revs)
		sc.Revision = strings.Join(revs, ",")
	}
	switch {
	case sc.Has("dag_run", "logical_date") && sc.Has("dag_run", "run_after"):
		sc.Major = 3
	case sc.Has("dag_run", "execution_date"):
		sc.Major = 2
	}
	if rel, ok := knownRevisions[sc.Revision]; ok {
		sc.Known = true
		sc.Release = rel.Name
		if sc.Major == 0 {
			sc.Major = rel.Major
		}
	}
	sc.WriteRefusal = writeRefusal(sc)
	switch {
	case !sc.Known && sc.WriteRefusal != "":
		sc.Warning = fmt.Sprintf("unrecognised Airflow schema (alembic revision %q): reads may be incomplete, writes are refused", sc.Revision)
	case !sc.Known:
		// An unknown head (e.g. a patch release newer than dagctl) whose
		// tables have every column dagctl writes, in the shapes it knows.
		sc.Warning = fmt.Sprintf("alembic revision %q is not a release dagctl knows; its tables have the Airflow %d shape dagctl writes, so it proceeds", sc.Revision, sc.Major)
	}
	return sc, nil
}

func writeRefusal(sc *Schema) string {
	switch {
	case sc.Revision == "":
		return "writes refused: the database has no alembic_version; is this an Airflow metadata database?"
	case sc.Major == 0:
		return fmt.Sprintf("writes refused: alembic revision %q is not a known Airflow release and dag_run has neither the 2.x nor the 3.x shape", sc.Revision)
	}
	var missing []string
	tables := make([]string, 0, len(requiredForWrite[sc.Major]))
	for t := range requiredForWrite[sc.Major] {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		for _, c := range requiredForWrite[sc.Major][t] {
			if !sc.Has(t, c) {
				missing = append(missing, t+"."+c)
			}
		}
	}
	if sc.Has("dag_run", "log_template_id") && !sc.Has("log_template", "id") {
		missing = append(missing, "log_template.id")
	}
	if len(missing) > 0 {
		return fmt.Sprintf("writes refused: Airflow %s schema (alembic revision %s) lacks column(s) dagctl writes: %s", sc.Release, sc.Revision, strings.Join(missing, ", "))
	}
	return ""
}

func (s *Store) readColumns(db *gorm.DB) (map[string]map[string]bool, error) {
	type row struct{ TableName, ColumnName string }
	var rows []row
	var err error
	switch s.dialect {
	case DialectMySQL:
		var my []struct{ TableName, ColumnName string }
		my, err = s.mysqlReadColumns(db.Statement.Context, db)
		for _, r := range my {
			rows = append(rows, row(r))
		}
	case DialectPostgres:
		// Straight from pg_catalog: information_schema.columns costs 20-40 ms
		// per command, this a few. Tables, views, foreign and partitioned tables.
		err = scanPairs(db.Raw(`SELECT c.relname AS table_name, a.attname AS column_name
			FROM pg_attribute a
			JOIN pg_class c ON c.oid = a.attrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'f', 'p')
			  AND a.attnum > 0 AND NOT a.attisdropped`), func(t, c string) { rows = append(rows, row{t, c}) })
	default:
		err = scanPairs(db.Raw(`SELECT m.name AS table_name, p.name AS column_name
			FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`),
			func(t, c string) { rows = append(rows, row{t, c}) })
	}
	if err != nil {
		return nil, err
	}
	cols := map[string]map[string]bool{}
	for _, r := range rows {
		if cols[r.TableName] == nil {
			cols[r.TableName] = map[string]bool{}
		}
		cols[r.TableName][r.ColumnName] = true
	}
	return cols, nil
}

// scanPairs reads a query of two text columns row by row: the catalog has
// hundreds of rows, and gorm's reflective Scan cost milliseconds per command.
func scanPairs(q *gorm.DB, fn func(a, b string)) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var a, b string
	for rows.Next() {
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

// readUniqueKeys returns the unique constraints and unique indexes of table
// (excluding the primary key), each as its ordered column list.
func (s *Store) readUniqueKeys(ctx context.Context, db *gorm.DB, table string) ([][]string, error) {
	var keys [][]string
	if s.dialect == DialectMySQL {
		return s.mysqlUniqueKeys(ctx, db, table)
	}
	if s.dialect == DialectPostgres {
		type row struct {
			Name string
			Cols string
		}
		var rows []row
		err := db.Raw(`SELECT i.relname AS name,
			  string_agg(a.attname, ',' ORDER BY k.ord) AS cols
			FROM pg_index x
			JOIN pg_class t ON t.oid = x.indrelid
			JOIN pg_class i ON i.oid = x.indexrelid
			JOIN pg_namespace n ON n.oid = t.relnamespace
			CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
			WHERE t.relname = ? AND n.nspname = current_schema() AND x.indisunique AND NOT x.indisprimary
			  AND x.indpred IS NULL
			GROUP BY i.relname ORDER BY i.relname`, table).Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			keys = append(keys, strings.Split(r.Cols, ","))
		}
		return keys, nil
	}
	type idx struct {
		Name    string
		Unique  int
		Origin  string
		Partial int
	}
	var idxs []idx
	if err := db.Raw(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, table).Scan(&idxs).Error; err != nil {
		return nil, err
	}
	for _, ix := range idxs {
		if ix.Unique != 1 || ix.Origin == "pk" || ix.Partial == 1 {
			continue
		}
		var cols []string
		if err := db.Raw(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.Name).Scan(&cols).Error; err != nil {
			return nil, err
		}
		keys = append(keys, cols)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i], ",") < strings.Join(keys[j], ",") })
	return keys, nil
}

// LogicalDateKey returns the dag_run unique key that contains the logical
// date column, e.g. [dag_id logical_date] or, in later schemas,
// [dag_id run_type logical_date]; nil if there is none.
func (s *Schema) LogicalDateKey() []string {
	col := s.LogicalDateColumn()
	for _, k := range s.DagRunUniqueKeys {
		for _, c := range k {
			if c == col {
				return k
			}
		}
	}
	return nil
}
