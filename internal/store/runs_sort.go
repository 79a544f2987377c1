package store

import (
	"gorm.io/gorm"

	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dagctl/dagctl/internal/apperr"
)

// Run sort keys (RunFilter.Sort).
const (
	SortID          = "id"
	SortLogicalDate = "logical_date"
	SortStartDate   = "start_date"
	SortEndDate     = "end_date"
)

// RunSorts lists the accepted RunFilter.Sort values.
var RunSorts = []string{SortID, SortLogicalDate, SortStartDate, SortEndDate}

// SortRunAfter orders by run_after, the date Airflow 3's grid orders by
// (a run without a logical date still has one); where dag_run has no
// run_after (2.x) it is the logical date. Not offered by runs list --sort.
const SortRunAfter = "run_after"

// sortColumn is the dag_run column behind a sort key ("" for id).
func (s *Store) sortColumn(sort string) (string, error) {
	switch sort {
	case "", SortID:
		return "", nil
	case SortLogicalDate:
		return "r." + s.schema.LogicalDateColumn(), nil
	case SortStartDate:
		return "r.start_date", nil
	case SortEndDate:
		return "r.end_date", nil
	case SortRunAfter:
		if s.schema.Has("dag_run", "run_after") {
			return "r.run_after", nil
		}
		return "r." + s.schema.LogicalDateColumn(), nil
	}
	return "", apperr.Invalid("--sort: %q is not a sort key", sort)
}

// orderBy is the ORDER BY of a run list: the sort column, then id as the
// tie-break, both in the chosen direction. NULL dates sort after every date
// ascending and before them descending, so that descending is exactly
// ascending reversed, on every dialect (PostgreSQL does so by default, and
// can then walk the (dag_id, logical_date) index either way).
// nonNull: the column is NOT NULL or the WHERE clause excludes NULL dates,
// so the plain order, which MySQL and SQLite can walk an index in, is right.
func (s *Store) orderBy(col string, desc, nonNull bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if col == "" {
		return " ORDER BY r.id" + dir
	}
	switch {
	case s.dialect == DialectPostgres || nonNull:
		return " ORDER BY " + col + dir + ", r.id" + dir
	case s.dialect == DialectSQLite:
		nulls := " NULLS LAST"
		if desc {
			nulls = " NULLS FIRST"
		}
		return " ORDER BY " + col + dir + nulls + ", r.id" + dir
	default:
		return " ORDER BY (" + col + " IS NULL)" + dir + ", " + col + dir + ", r.id" + dir
	}
}

// keyset returns the condition "comes after run afterID in this order". For
// a date order it reads that run's date first (as stored, so that the
// comparison is exact on every dialect). nulls is "" or the condition of the
// rows that come after those, read by a second query: ascending after a
// date, on a nullable column, the NULLs (see below).
func (s *Store) keyset(ctx context.Context, col string, desc bool, afterID int64) (cond string, args []any, nulls string, err error) {
	if afterID <= 0 {
		return "", nil, "", nil
	}
	if col == "" {
		if desc {
			return "r.id < ?", []any{afterID}, "", nil
		}
		return "r.id > ?", []any{afterID}, "", nil
	}
	sel := col
	if s.dialect == DialectSQLite {
		// The driver would turn a DATETIME into a time.Time and bind it back
		// in another text form; the stored text compares exactly.
		sel = "CAST(" + col + " AS TEXT)"
	}
	var k any
	err = s.read(ctx, func(db *gorm.DB) error {
		return db.Raw("SELECT "+sel+" FROM dag_run r WHERE r.id = ?", afterID).Row().Scan(&k)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, "", apperr.NotFound("--start: run id %d not found (with --sort other than id, --start must be the id of an existing run)", afterID)
	}
	if err != nil {
		return "", nil, "", fmt.Errorf("list runs: read --start run: %w", err)
	}
	switch {
	case k == nil && !desc:
		return "(" + col + " IS NULL AND r.id > ?)", []any{afterID}, "", nil
	case k == nil && desc:
		return "(" + col + " IS NOT NULL OR r.id < ?)", []any{afterID}, "", nil
	case !desc:
		// The redundant bound lets an index range scan start at the key.
		// The NULLs that sort after every date are outside that range; "OR
		// col IS NULL" would turn the bound back into a filter over the
		// whole index (100k rows read for a middle page of a 200k-run DAG
		// on PostgreSQL), so they come from a second query.
		if s.sortNullable(col) {
			nulls = col + " IS NULL"
		}
		return "(" + col + " >= ? AND (" + col + " > ? OR r.id > ?))", []any{k, k, afterID}, nulls, nil
	default:
		// Descending, NULLs come first, so none follow a date.
		return "(" + col + " <= ? AND (" + col + " < ? OR r.id < ?))", []any{k, k, afterID}, "", nil
	}
}

// sortNullable reports whether the sort column col can be NULL: start and
// end dates always; the logical date only in Airflow 3 (logical_date is
// nullable since 3.0, execution_date is NOT NULL in 2.x); run_after never
// (NOT NULL, airflow/models/dagrun.py).
func (s *Store) sortNullable(col string) bool {
	return col != "r.execution_date" && col != "r.run_after"
}

// Backfill sort keys (BackfillFilter.Sort).
const (
	BackfillSortSubmittedAt = "submitted_at"
	BackfillSortStartDate   = "start_date"
)

// BackfillSorts lists the accepted BackfillFilter.Sort values.
var BackfillSorts = []string{BackfillSortSubmittedAt, BackfillSortStartDate}

// backfillOrderBy: both columns are NOT NULL, so no NULL ordering to settle.
func backfillOrderBy(f BackfillFilter) string {
	col, dir := "b.submitted_at", " ASC"
	if f.Sort == BackfillSortStartDate {
		col = "b.from_date"
	}
	if f.Desc || f.Sort == "" {
		dir = " DESC"
	}
	return " ORDER BY " + col + dir + ", b.id" + dir
}
