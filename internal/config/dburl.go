package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dialects dagctl can talk to.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
	DialectMySQL    = "mysql"
)

// DBURL is a parsed SQLAlchemy database URL, the kind Airflow users put in
// sql_alchemy_conn. The password is kept unexported: String, Redacted and
// HostPort never show it, only DSN (for the driver) contains it.
type DBURL struct {
	Dialect string // DialectPostgres, DialectSQLite or DialectMySQL
	Scheme  string // as written, e.g. "postgresql+psycopg2"

	// PostgreSQL. Host may be a socket directory ("/var/run/postgresql") or a
	// comma-separated list when the URL names several hosts; empty means the
	// driver's default (a local socket, else localhost).
	Host, Port, User, Database string

	// SQLite: the database file. Always absolute: relative paths are refused
	// as Airflow refuses them.
	Path string

	// Query holds the URL's query options, decoded (for PostgreSQL they are
	// libpq keywords: sslmode, connect_timeout, options, host, ...).
	Query url.Values

	password       string
	secrets        []string // password forms as they may appear in text
	redacted       string
	schema         string
	connectTimeout time.Duration
}

// sqlalchemyURL is the pattern SQLAlchemy's make_url reads a URL with
// (sqlalchemy/engine/url.py _parse_url), so dagctl splits a URL exactly where
// Airflow does: the username stops at ':' or '/', the password runs to the
// next '@' (so it may hold unencoded ':', '/', '?' and '#'), the database
// runs to '?'. Like Python's re.match it is anchored only at the start.
var sqlalchemyURL = regexp.MustCompile(`^(?P<name>[\w+]+)://` +
	`(?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?` +
	`(?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<ipv4host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?` +
	`(?:/(?P<database>[^?]*))?` +
	`(?:\?(?P<query>.*))?`)

// secretQueryKeys are libpq (and MySQL driver) keywords whose values are secrets.
var secretQueryKeys = map[string]bool{"password": true, "sslpassword": true, "passwd": true}

// ParseDBURL parses a SQLAlchemy URL as Airflow accepts it for
// sql_alchemy_conn: postgresql://, postgres:// (Airflow rewrites it to
// postgresql://, configuration.py _upgrade_postgres_metastore_conn),
// postgresql+<driver>://, and sqlite:////absolute/path. Surrounding white
// space is ignored. Errors wrap ErrInvalid and never contain the password.
func ParseDBURL(raw string) (*DBURL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, invalidf("database URL is empty")
	}
	m := sqlalchemyURL.FindStringSubmatchIndex(raw)
	if m == nil {
		// Nothing in it can be told apart from a password: do not echo it.
		return nil, invalidf("database URL is not of the form dialect://user:password@host:port/database (for example postgresql://airflow:PASSWORD@db:5432/airflow or sqlite:////abs/path/airflow.db)")
	}
	group := func(name string) (string, bool) {
		i := sqlalchemyURL.SubexpIndex(name)
		if m[2*i] < 0 {
			return "", false
		}
		return raw[m[2*i]:m[2*i+1]], true
	}
	scheme, _ := group("name")
	dialect, _, _ := strings.Cut(scheme, "+")

	u := &DBURL{Scheme: scheme}
	u.redacted = redactRaw(raw, m)

	switch dialect {
	case "postgresql", "postgres":
		u.Dialect = DialectPostgres
	case "sqlite":
		u.Dialect = DialectSQLite
	case "mysql", "mariadb":
		u.Dialect = DialectMySQL
	default:
		return nil, invalidf("database URL %s: unsupported dialect %q (dagctl supports postgresql, mysql and sqlite)", u.redacted, dialect)
	}

	q, _ := group("query")
	u.Query = parseQSL(q)

	switch u.Dialect {
	case DialectSQLite:
		return u, u.parseSQLite(raw, group)
	case DialectMySQL:
		return u, u.parseMySQL(group)
	}
	return u, u.parsePostgres(group)
}

func (u *DBURL) parseSQLite(raw string, group func(string) (string, bool)) error {
	// Airflow refuses in-memory and relative SQLite databases before it
	// connects (settings.py _is_sqlite_db_path_relative, configure_orm). It
	// accepts "sqlite://" (in memory) for tests, which is no use to dagctl.
	// The check is on the URL text, like Airflow's: only "sqlite:///" followed
	// by an absolute path passes.
	if raw == "sqlite://" {
		return invalidf("database URL sqlite:// is an in-memory database, which has no Airflow metadata; use sqlite:////absolute/path/airflow.db")
	}
	const absPrefix = "sqlite:///"
	if !strings.HasPrefix(raw, absPrefix) || !strings.HasPrefix(raw[len(absPrefix):], "/") {
		return invalidf("database URL %s: cannot use a relative path to connect to sqlite (Airflow refuses it too); use an absolute path such as sqlite:////srv/airflow/airflow.db", u.redacted)
	}
	u.Path, _ = group("database")
	if t := u.Query.Get("timeout"); t != "" {
		if f, err := strconv.ParseFloat(t, 64); err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return invalidf("database URL %s: timeout must be a number of seconds", u.redacted)
		}
	}
	return nil
}

func (u *DBURL) parsePostgres(group func(string) (string, bool)) error {
	if user, ok := group("username"); ok {
		u.User = pyUnquote(user)
	}
	if pw, ok := group("password"); ok {
		u.password = pyUnquote(pw)
		u.secrets = append(u.secrets, u.password, pw)
	}
	host, _ := group("ipv4host")
	if host == "" {
		host, _ = group("ipv6host")
	}
	if strings.Contains(host, "@") {
		// SQLAlchemy stops the password at the first '@', so an unencoded '@'
		// in the password leaves the rest of it in the host. Say so without
		// showing any of it.
		return invalidf("database URL %s://...: the host part contains '@'; percent-encode special characters in the password ('@' as %%40)", u.Scheme)
	}
	u.Host = host
	if port, _ := group("port"); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return invalidf("database URL %s: port must be a number from 1 to 65535", u.redacted)
		}
		u.Port = port
	}
	u.Database, _ = group("database")

	// SQLAlchemy's psycopg2 dialect passes the query to libpq on top of the
	// URL's parts (opts.update(url.query)), so query keywords win.
	if v := u.Query.Get("user"); v != "" {
		u.User = v
	}
	if v := u.Query.Get("dbname"); v != "" {
		u.Database = v
	}
	for _, k := range []string{"password", "sslpassword"} {
		for _, v := range u.Query[k] {
			u.secrets = append(u.secrets, v, url.QueryEscape(v), url.PathEscape(v))
			if k == "password" {
				u.password = v
			}
		}
	}
	if hosts := u.Query["host"]; len(hosts) > 0 {
		var hs, ps []string
		anyPort := false
		for _, h := range hosts {
			for _, one := range strings.Split(h, ",") {
				hh, pp := splitHostPort(one)
				hs = append(hs, hh)
				ps = append(ps, pp)
				anyPort = anyPort || pp != ""
			}
		}
		u.Host = strings.Join(hs, ",")
		if anyPort {
			for i := range ps {
				if ps[i] == "" {
					ps[i] = firstNonEmpty(u.Port, "5432")
				}
			}
			u.Port = strings.Join(ps, ",")
		}
	}
	if u.Host == "" {
		u.Host = u.Query.Get("hostaddr")
	}
	if v := u.Query.Get("port"); v != "" && !strings.Contains(u.Port, ",") {
		u.Port = v
	}
	for _, p := range strings.Split(u.Port, ",") {
		if p == "" {
			continue
		}
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return invalidf("database URL %s: port must be a number from 1 to 65535", u.redacted)
		}
	}
	if t := u.Query.Get("connect_timeout"); t != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(t)); err != nil || n < 0 {
			return invalidf("database URL %s: connect_timeout must be a whole number of seconds", u.redacted)
		}
	}
	return nil
}

// splitHostPort splits SQLAlchemy's multihost form "host:port". A socket
// directory (starting with '/') is never split.
func splitHostPort(s string) (string, string) {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return strings.Trim(s, "[]"), ""
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		if _, err := strconv.Atoi(p); err == nil {
			return h, p
		}
	}
	return s, ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// redactRaw returns the URL text with the password and any secret query
// values replaced by Mask, the rest left as written.
func redactRaw(raw string, m []int) string {
	pw := sqlalchemyURL.SubexpIndex("password")
	qi := sqlalchemyURL.SubexpIndex("query")
	var b strings.Builder
	pos := 0
	if m[2*pw] >= 0 {
		b.WriteString(raw[:m[2*pw]])
		b.WriteString(Mask)
		pos = m[2*pw+1]
	}
	if m[2*qi] >= 0 {
		b.WriteString(raw[pos:m[2*qi]])
		q := raw[m[2*qi]:m[2*qi+1]]
		parts := strings.Split(q, "&")
		for i, p := range parts {
			k, _, hasEq := strings.Cut(p, "=")
			if hasEq && secretQueryKeys[pyUnquote(strings.ReplaceAll(k, "+", " "))] {
				parts[i] = k + "=" + Mask
			}
		}
		b.WriteString(strings.Join(parts, "&"))
		pos = m[2*qi+1]
	}
	b.WriteString(raw[pos:])
	return b.String()
}

// pyUnquote decodes %XX escapes like Python's urllib.parse.unquote: a '%'
// not followed by two hex digits is kept as is, '+' is not a space.
func pyUnquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b = append(b, byte(n))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseQSL reads a query string like Python's urllib.parse.parse_qsl, which
// SQLAlchemy uses: pairs without '=' and blank values are dropped, '+' is a
// space, bad escapes are kept literally.
func parseQSL(q string) url.Values {
	v := url.Values{}
	for _, p := range strings.Split(q, "&") {
		k, val, ok := strings.Cut(p, "=")
		if !ok || val == "" {
			continue
		}
		k = pyUnquote(strings.ReplaceAll(k, "+", " "))
		val = pyUnquote(strings.ReplaceAll(val, "+", " "))
		v.Add(k, val)
	}
	return v
}

// String is the redacted URL, so that printing a DBURL never shows the password.
func (u DBURL) String() string { return u.redacted }

// GoString keeps %#v from printing the password field.
func (u DBURL) GoString() string { return fmt.Sprintf("config.DBURL(%q)", u.redacted) }

// Redacted is the URL as written, with the password (and any password= query
// value) replaced by Mask. Safe for any output.
func (u *DBURL) Redacted() string { return u.redacted }

// HasPassword reports whether the URL carries a password.
func (u *DBURL) HasPassword() bool { return u.password != "" }

// HostPort names the server for messages: "db.example:5432", a socket
// directory, "local socket" when the URL names no host, or the SQLite file.
func (u *DBURL) HostPort() string {
	if u.Dialect == DialectSQLite {
		return u.Path
	}
	if u.Dialect == DialectMySQL {
		return u.mysqlHostPort()
	}
	if u.Host == "" {
		if u.Port != "" {
			return "local socket (port " + u.Port + ")"
		}
		return "local socket"
	}
	hosts := strings.Split(u.Host, ",")
	ports := strings.Split(u.Port, ",")
	out := make([]string, len(hosts))
	for i, h := range hosts {
		if strings.HasPrefix(h, "/") {
			out[i] = h
			continue
		}
		p := "5432"
		if len(ports) == len(hosts) && ports[i] != "" {
			p = ports[i]
		} else if len(ports) == 1 && ports[0] != "" {
			p = ports[0]
		}
		out[i] = net.JoinHostPort(h, p)
	}
	return strings.Join(out, ",")
}

// WithConnectTimeout makes DSN ask the driver to give up connecting after d
// (PostgreSQL's connect_timeout, whole seconds, rounded up). It overrides a
// connect_timeout in the URL; 0 keeps the URL's. No effect on SQLite.
func (u *DBURL) WithConnectTimeout(d time.Duration) { u.connectTimeout = d }

// WithSchema records Airflow's [database] sql_alchemy_schema, where Airflow
// keeps its tables (airflow/models/base.py builds its MetaData with that
// schema). It is not put in the DSN: a startup "options" parameter is refused
// by transaction poolers such as PgBouncer, so the store sets search_path per
// transaction instead (SearchPath).
func (u *DBURL) WithSchema(schema string) { u.schema = schema }

// Schema is the schema set with WithSchema.
func (u *DBURL) Schema() string { return u.schema }

// SearchPath is the search_path value that puts the schema set with
// WithSchema first, quoted as SQLAlchemy quotes it ("" when none is set).
func (u *DBURL) SearchPath() string {
	if u.schema == "" {
		return ""
	}
	return quoteIdent(u.schema)
}

// pgxIgnored are libpq keywords the pgx driver does not know; pgx would send
// them to the server as run-time parameters, which the server rejects, so
// they are left out of the DSN (they tune the client only).
var pgxIgnored = map[string]bool{
	"hostaddr": true, "keepalives": true, "keepalives_idle": true, "keepalives_interval": true,
	"keepalives_count": true, "tcp_user_timeout": true, "gssencmode": true, "gsslib": true,
	"gssdelegation": true, "sslcompression": true, "sslcrl": true, "sslcrldir": true,
	"sslcertmode": true, "requirepeer": true, "load_balance_hosts": true,
	"fallback_application_name": true,
}

// handled are query keys DSN writes from the DBURL's fields.
var handled = map[string]bool{
	"host": true, "port": true, "user": true, "dbname": true, "password": true,
	"connect_timeout": true, "options": true,
}

// DSN is what the Go driver opens. PostgreSQL: a keyword/value string for
// pgx (and so gorm.io/driver/postgres), with connect_timeout and a
// search_path option when set. SQLite: the file path with the pragmas
// Airflow sets on every connection: foreign keys on
// (airflow/utils/orm_event_handlers.py), and a busy timeout from the URL's
// timeout option or pysqlite's default of 5 seconds. The DSN holds the
// password: never print it.
func (u *DBURL) DSN() string {
	if u.Dialect == DialectSQLite {
		ms := int64(5000)
		if t := u.Query.Get("timeout"); t != "" {
			if f, err := strconv.ParseFloat(t, 64); err == nil && f >= 0 {
				ms = int64(math.Round(f * 1000))
			}
		}
		return u.Path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(" + strconv.FormatInt(ms, 10) + ")"
	}
	if u.Dialect == DialectMySQL {
		return u.mysqlDSN()
	}
	var kv []string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, k+"="+quoteDSN(v))
		}
	}
	add("host", u.Host)
	add("port", u.Port)
	add("user", u.User)
	add("password", u.password)
	add("dbname", u.Database)
	if u.connectTimeout > 0 {
		add("connect_timeout", strconv.FormatInt(int64(math.Ceil(u.connectTimeout.Seconds())), 10))
	} else {
		add("connect_timeout", strings.TrimSpace(u.Query.Get("connect_timeout")))
	}
	opts := strings.Join(u.Query["options"], " ")
	add("options", opts)
	keys := make([]string, 0, len(u.Query))
	for k := range u.Query {
		if !handled[k] && !pgxIgnored[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, u.Query.Get(k))
	}
	if u.Query.Get("application_name") == "" {
		// dagctl names itself, as psql does with fallback_application_name, so
		// that a DBA sees who is connected (pg_stat_activity, PgBouncer's SHOW
		// CLIENTS); the URL's own names win.
		add("application_name", firstNonEmpty(u.Query.Get("fallback_application_name"), "dagctl"))
	}
	return strings.Join(kv, " ")
}

// quoteDSN quotes a keyword/value DSN value.
func quoteDSN(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)

// quoteIdent quotes a schema name for search_path when PostgreSQL would
// otherwise fold or split it, as SQLAlchemy quotes the schema Airflow gives it.
func quoteIdent(s string) string {
	if plainIdent.MatchString(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
