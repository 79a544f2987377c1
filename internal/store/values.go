package store

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sqliteTimeLayout is how SQLAlchemy stores a DateTime in SQLite (naive UTC,
// microseconds); Airflow's UtcDateTime writes UTC there.
const sqliteTimeLayout = "2006-01-02 15:04:05.000000"

// timeArg renders t for the current dialect: a time.Time for PostgreSQL, the
// SQLAlchemy text form for SQLite so that Airflow reads it back.
func (s *Store) timeArg(t time.Time) any {
	if s.dialect == DialectSQLite {
		return t.UTC().Format(sqliteTimeLayout)
	}
	return t.UTC()
}

// boolArg renders a boolean (SQLite stores 0/1).
func (s *Store) boolArg(b bool) any {
	if s.dialect == DialectSQLite {
		if b {
			return 1
		}
		return 0
	}
	return b
}

// dbTime scans a timestamp from either dialect: time.Time, or text in the
// forms SQLite holds (naive values are UTC, as Airflow writes them).
type dbTime struct {
	Time  time.Time
	Valid bool
}

var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d = dbTime{}
	case time.Time:
		*d = dbTime{Time: x.UTC(), Valid: true}
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	default:
		return fmt.Errorf("cannot scan %T into a time", v)
	}
	return nil
}

func (d *dbTime) parse(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		*d = dbTime{}
		return nil
	}
	for _, l := range sqliteTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			*d = dbTime{Time: t.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("cannot parse time %q", s)
}

// Ptr returns the time or nil.
func (d dbTime) Ptr() *time.Time {
	if !d.Valid {
		return nil
	}
	t := d.Time
	return &t
}

// Value lets dbTime be used as an argument too.
func (d dbTime) Value() (driver.Value, error) {
	if !d.Valid {
		return nil, nil
	}
	return d.Time, nil
}

// dbBool scans booleans from either dialect (SQLite stores 0/1).
type dbBool struct {
	Bool  bool
	Valid bool
}

func (b *dbBool) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*b = dbBool{}
	case bool:
		*b = dbBool{Bool: x, Valid: true}
	case int64:
		*b = dbBool{Bool: x != 0, Valid: true}
	case int:
		*b = dbBool{Bool: x != 0, Valid: true}
	case string:
		p, err := strconv.ParseBool(x)
		if err != nil {
			return fmt.Errorf("cannot scan %q into a bool", x)
		}
		*b = dbBool{Bool: p, Valid: true}
	case []byte:
		return b.Scan(string(x))
	default:
		return fmt.Errorf("cannot scan %T into a bool", v)
	}
	return nil
}

// likeEscape escapes LIKE metacharacters so that s matches literally with ESCAPE '\'.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Value lets dbBool be used as an argument too (and tells GORM it is a scalar).
func (b dbBool) Value() (driver.Value, error) {
	if !b.Valid {
		return nil, nil
	}
	return b.Bool, nil
}
