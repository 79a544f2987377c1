package dbtest

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DB is one throwaway database.
type DB struct {
	// Dialect is "postgres", "sqlite" or "mysql".
	Dialect string
	// URL is what a user would pass to dagctl --db: a SQLAlchemy-style URL such as
	// postgresql://postgres@/t_foo_1?host=/tmp/dagctl-dbtest-1/pg or sqlite:////abs/path/airflow.db.
	URL string
	// Name is the PostgreSQL or MySQL database name, or the SQLite file's absolute path.
	Name string
	// Release is the Airflow release whose schema the database holds, e.g. "3.0.3".
	Release string
	// Path is the SQLite file's absolute path ("" for PostgreSQL).
	Path string
	// PgBouncer: URL and DSN go through the throwaway PgBouncer in transaction pooling mode.
	PgBouncer bool

	driver string // database/sql driver name: "pgx", "sqlite" or "mysql"
	dsn    string

	mu     sync.Mutex
	handle *sql.DB
}

// DriverName returns the database/sql driver name for DSN: "pgx", "sqlite" or "mysql".
func (d *DB) DriverName() string { return d.driver }

// DSN returns the database/sql data source name of the database: a pgx keyword/value string, or
// the SQLite file path with _pragma parameters (foreign keys on, as Airflow sets them).
func (d *DB) DSN() string { return d.dsn }

// Handle returns a database/sql handle for the database, opened on first use and closed when
// the test ends.
func (d *DB) Handle(t testing.TB) *sql.DB {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.handle == nil {
		h, err := sql.Open(d.driver, d.dsn)
		if err != nil {
			t.Fatalf("dbtest: open %s: %v", d.Name, err)
		}
		h.SetMaxOpenConns(4)
		d.handle = h
	}
	return d.handle
}

func (d *DB) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.handle != nil {
		d.handle.Close()
		d.handle = nil
	}
}

// SQL executes a statement and returns the number of rows it affected. Placeholders are written
// "?" for both dialects; for PostgreSQL they are rewritten to $1, $2, … (a query that already
// uses $n is left alone).
func (d *DB) SQL(t testing.TB, query string, args ...any) int64 {
	t.Helper()
	res, err := d.Handle(t).Exec(d.rebind(query), args...)
	if err != nil {
		t.Fatalf("dbtest: %s: exec %q: %v", d.Name, query, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0
	}
	return n
}

// QueryRows runs a query and returns every row as a slice of column values, as the driver
// returns them (int64, float64, bool, string, []byte, time.Time or nil). Placeholders as in SQL.
func (d *DB) QueryRows(t testing.TB, query string, args ...any) [][]any {
	t.Helper()
	_, rows := d.query(t, query, args...)
	return rows
}

// Columns runs a query and returns its column names and rows.
func (d *DB) Columns(t testing.TB, query string, args ...any) ([]string, [][]any) {
	t.Helper()
	return d.query(t, query, args...)
}

func (d *DB) query(t testing.TB, query string, args ...any) ([]string, [][]any) {
	t.Helper()
	cols, rows, err := queryAll(d.Handle(t), d.rebind(query), args...)
	if err != nil {
		t.Fatalf("dbtest: %s: query %q: %v", d.Name, query, err)
	}
	return cols, rows
}

func queryAll(h *sql.DB, query string, args ...any) ([]string, [][]any, error) {
	rs, err := h.Query(query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, nil, err
	}
	out := [][]any{}
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return cols, out, rs.Err()
}

// Scalar runs a query that must return exactly one row with one column and returns that value.
func (d *DB) Scalar(t testing.TB, query string, args ...any) any {
	t.Helper()
	rows := d.QueryRows(t, query, args...)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("dbtest: %s: %q: want one row with one column, got %d rows", d.Name, query, len(rows))
	}
	return rows[0][0]
}

// ScalarInt is Scalar for an integer result (a count, an id).
func (d *DB) ScalarInt(t testing.TB, query string, args ...any) int64 {
	t.Helper()
	switch v := d.Scalar(t, query, args...).(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			return n
		}
	case []byte:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err == nil {
			return n
		}
	}
	t.Fatalf("dbtest: %s: %q: result is not an integer", d.Name, query)
	return 0
}

// ScalarString is Scalar for a text result; NULL gives "".
func (d *DB) ScalarString(t testing.TB, query string, args ...any) string {
	t.Helper()
	switch v := d.Scalar(t, query, args...).(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	default:
		return fmt.Sprint(v)
	}
}

// Tables returns the names of the database's tables, sorted.
func (d *DB) Tables(t testing.TB) []string {
	t.Helper()
	tables, err := d.tables(d.Handle(t))
	if err != nil {
		t.Fatalf("dbtest: %s: list tables: %v", d.Name, err)
	}
	return tables
}

func (d *DB) tables(h *sql.DB) ([]string, error) {
	q := `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`
	switch d.Dialect {
	case SQLite:
		q = `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	case MySQL:
		q = `SELECT table_name FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	_, rows, err := queryAll(h, q)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, text(r[0]))
	}
	return out, nil
}

// Checksum returns a digest of the content of every table: it changes when any row is inserted,
// updated or deleted, and does not depend on row order. Sequence counters are not included.
func (d *DB) Checksum(t testing.TB) string {
	t.Helper()
	h := d.Handle(t)
	tables, err := d.tables(h)
	if err != nil {
		t.Fatalf("dbtest: %s: list tables: %v", d.Name, err)
	}
	sum := sha256.New()
	for _, table := range tables {
		quoted := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
		if d.Dialect == MySQL {
			quoted = quoteMySQL(table)
		}
		_, rows, err := queryAll(h, `SELECT * FROM `+quoted)
		if err != nil {
			t.Fatalf("dbtest: %s: read %s: %v", d.Name, table, err)
		}
		digests := make([]string, 0, len(rows))
		for _, r := range rows {
			rs := sha256.New()
			for _, v := range r {
				rs.Write([]byte(encodeValue(v)))
				rs.Write([]byte{0})
			}
			digests = append(digests, hex.EncodeToString(rs.Sum(nil)))
		}
		slices.Sort(digests)
		fmt.Fprintf(sum, "%s %d\n", table, len(rows))
		for _, dg := range digests {
			fmt.Fprintln(sum, dg)
		}
	}
	return hex.EncodeToString(sum.Sum(nil))
}

func encodeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "N"
	case []byte:
		return "b" + hex.EncodeToString(x)
	case time.Time:
		return "t" + x.UTC().Format(time.RFC3339Nano)
	case string:
		return "s" + x
	default:
		return fmt.Sprintf("%T:%v", v, v)
	}
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(v)
	}
}

// rebind rewrites "?" placeholders to $1, $2, … for PostgreSQL, skipping quoted text and
// comments.
func (d *DB) rebind(query string) string {
	if d.Dialect != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) && query[j] != c {
				j++
			}
			if j >= len(query) {
				j = len(query) - 1
			}
			b.WriteString(query[i : j+1])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
