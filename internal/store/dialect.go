package store

import (
	"strings"
)

// The small differences between the SQL dialects live here, so that the
// statements elsewhere read the same for PostgreSQL, SQLite and MySQL, and no
// caller of the store ever sees which one it talks to.
//
// MySQL here means what MySQL 8.0 and MariaDB 10.11 both run: no RETURNING,
// no INSERT ... ON CONFLICT, no "double-quoted" identifiers, no ::casts.

// textCol reads a json/uuid column as text: PostgreSQL needs a cast, the
// others hand text (or bytes) back as they are.
func (s *Store) textCol(col string) string {
	if s.dialect == DialectPostgres {
		return col + "::text"
	}
	return col
}

// quoteIdent quotes an identifier that may be a reserved word (e.g. key).
func (s *Store) quoteIdent(name string) string {
	if s.dialect == DialectMySQL {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// likeClause returns "col LIKE ? ESCAPE ..." and its argument for a pattern
// written with backslash escapes (see likeEscape, globToLike). MySQL reads a
// backslash inside a string literal as an escape itself (unless the server
// runs with NO_BACKSLASH_ESCAPES), so there the pattern is re-escaped with '!'.
func (s *Store) likeClause(col, pattern string) (string, any) {
	if s.dialect != DialectMySQL {
		return col + ` LIKE ? ESCAPE '\'`, pattern
	}
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
			switch pattern[i] {
			case '%', '_':
				b.WriteByte('!')
			case '!':
				b.WriteByte('!')
			}
			b.WriteByte(pattern[i])
		case c == '!':
			b.WriteString("!!")
		default:
			b.WriteByte(c)
		}
	}
	return col + ` LIKE ? ESCAPE '!'`, b.String()
}

// forUpdate is the row-lock suffix of a SELECT (SQLite holds the database
// write lock for the whole transaction already).
func (s *Store) forUpdate(skipLocked bool) string {
	if s.dialect == DialectSQLite {
		return ""
	}
	if skipLocked {
		// MySQL 8.0.1+, MariaDB 10.6+.
		return " FOR UPDATE SKIP LOCKED"
	}
	return " FOR UPDATE"
}

// versionQuery reads the server's version.
func (s *Store) versionQuery() string {
	switch s.dialect {
	case DialectPostgres:
		return "SHOW server_version"
	case DialectMySQL:
		return "SELECT version()"
	}
	return "SELECT sqlite_version()"
}
