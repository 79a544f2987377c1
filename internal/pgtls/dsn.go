package pgtls

import (
	"fmt"
	"strings"
)

// kv is one keyword/value pair of a libpq connection string, in order.
type kv struct{ key, value string }

// parseDSN reads a libpq connection string: keyword/value ("host=db
// sslmode='verify-full'") or a postgres:// URL. Errors never quote a value:
// the string holds the password.
func parseDSN(dsn string) ([]kv, error) {
	s := strings.TrimSpace(dsn)
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return nil, fmt.Errorf("a URL connection string is not supported here; pass the keyword/value form")
	}
	var out []kv
	for {
		s = strings.TrimLeft(s, " \t\n\r\f\v")
		if s == "" {
			return out, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, fmt.Errorf("connection string: missing \"=\" after keyword")
		}
		key := strings.TrimSpace(s[:eq])
		if key == "" || strings.ContainsAny(key, " \t\n\r'") {
			return nil, fmt.Errorf("connection string: bad keyword")
		}
		s = strings.TrimLeft(s[eq+1:], " \t\n\r\f\v")
		var b strings.Builder
		if strings.HasPrefix(s, "'") {
			s = s[1:]
			closed := false
			for i := 0; i < len(s); i++ {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i++
					continue
				}
				if c == '\'' {
					s = s[i+1:]
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("connection string: unterminated quoted value of %s", key)
			}
		} else {
			i := 0
			for ; i < len(s); i++ {
				c := s[i]
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
					break
				}
				if c == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				b.WriteByte(c)
			}
			s = s[i:]
		}
		out = append(out, kv{key, b.String()})
	}
}

// quote quotes a keyword/value value.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// formatDSN writes pairs back as a keyword/value string.
func formatDSN(pairs []kv) string {
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.key + "=" + quote(p.value)
	}
	return strings.Join(parts, " ")
}
