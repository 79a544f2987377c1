package config

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // registers "sqlite" for the DSN test
	"github.com/jackc/pgx/v5/pgconn"
)

func TestParseDBURLPostgresForms(t *testing.T) {
	tests := []struct {
		name                         string
		raw                          string
		host, port, user, pw, dbname string
		redacted                     string
		hostPort                     string
	}{
		{
			name: "postgresql", raw: "postgresql://airflow:secret@db.example:5432/airflow",
			host: "db.example", port: "5432", user: "airflow", pw: "secret", dbname: "airflow",
			redacted: "postgresql://airflow:xxxxx@db.example:5432/airflow", hostPort: "db.example:5432",
		},
		{
			name: "postgres alias", raw: "postgres://airflow:secret@db/airflow",
			host: "db", user: "airflow", pw: "secret", dbname: "airflow",
			redacted: "postgres://airflow:xxxxx@db/airflow", hostPort: "db:5432",
		},
		{
			name: "psycopg2 driver", raw: "postgresql+psycopg2://u:pw@h:6543/db",
			host: "h", port: "6543", user: "u", pw: "pw", dbname: "db",
			redacted: "postgresql+psycopg2://u:xxxxx@h:6543/db", hostPort: "h:6543",
		},
		{
			name: "psycopg3 driver", raw: "postgresql+psycopg://u:pw@h/db",
			host: "h", user: "u", pw: "pw", dbname: "db",
			redacted: "postgresql+psycopg://u:xxxxx@h/db", hostPort: "h:5432",
		},
		{
			name: "percent-encoded password", raw: "postgresql://u:p%40ss%3Aw%2Frd%25@h/db",
			host: "h", user: "u", pw: "p@ss:w/rd%", dbname: "db",
			redacted: "postgresql://u:xxxxx@h/db", hostPort: "h:5432",
		},
		{
			// SQLAlchemy's pattern runs the password to the first '@'.
			name: "unencoded / ? # : in password", raw: "postgresql://u:pa/ss?w#r:d@h/db",
			host: "h", user: "u", pw: "pa/ss?w#r:d", dbname: "db",
			redacted: "postgresql://u:xxxxx@h/db", hostPort: "h:5432",
		},
		{
			name: "bad escape kept like Python's unquote", raw: "postgresql://u:100%zz@h/db",
			host: "h", user: "u", pw: "100%zz", dbname: "db",
			redacted: "postgresql://u:xxxxx@h/db", hostPort: "h:5432",
		},
		{
			name: "azure-style user with @", raw: "postgresql://me@server:pw@h/db",
			host: "h", user: "me@server", pw: "pw", dbname: "db",
			redacted: "postgresql://me@server:xxxxx@h/db", hostPort: "h:5432",
		},
		{
			name: "socket dir as host query, empty host", raw: "postgresql://u:pw@/airflow?host=/var/run/postgresql",
			host: "/var/run/postgresql", user: "u", pw: "pw", dbname: "airflow",
			redacted: "postgresql://u:xxxxx@/airflow?host=/var/run/postgresql", hostPort: "/var/run/postgresql",
		},
		{
			name: "no host at all", raw: "postgresql:///airflow",
			dbname: "airflow", redacted: "postgresql:///airflow", hostPort: "local socket",
		},
		{
			name: "query host and port win", raw: "postgresql://u@urlhost:1111/db?host=qhost&port=2222",
			host: "qhost", port: "2222", user: "u", dbname: "db",
			redacted: "postgresql://u@urlhost:1111/db?host=qhost&port=2222", hostPort: "qhost:2222",
		},
		{
			name: "ipv6", raw: "postgresql://u:pw@[::1]:5433/db",
			host: "::1", port: "5433", user: "u", pw: "pw", dbname: "db",
			redacted: "postgresql://u:xxxxx@[::1]:5433/db", hostPort: "[::1]:5433",
		},
		{
			name: "password in query", raw: "postgresql://u@h/db?password=qs3cret&sslmode=disable",
			host: "h", user: "u", pw: "qs3cret", dbname: "db",
			redacted: "postgresql://u@h/db?password=xxxxx&sslmode=disable", hostPort: "h:5432",
		},
		{
			name: "multihost", raw: "postgresql://u:pw@/db?host=h1:5432&host=h2:5433",
			host: "h1,h2", port: "5432,5433", user: "u", pw: "pw", dbname: "db",
			redacted: "postgresql://u:xxxxx@/db?host=h1:5432&host=h2:5433", hostPort: "h1:5432,h2:5433",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseDBURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseDBURL: %v", err)
			}
			if u.Dialect != DialectPostgres {
				t.Errorf("Dialect = %q", u.Dialect)
			}
			if u.Host != tt.host || u.Port != tt.port || u.User != tt.user || u.Database != tt.dbname {
				t.Errorf("got host=%q port=%q user=%q db=%q, want %q %q %q %q",
					u.Host, u.Port, u.User, u.Database, tt.host, tt.port, tt.user, tt.dbname)
			}
			if u.password != tt.pw {
				t.Errorf("password = %q, want %q", u.password, tt.pw)
			}
			if got := u.Redacted(); got != tt.redacted {
				t.Errorf("Redacted = %q, want %q", got, tt.redacted)
			}
			if got := u.HostPort(); got != tt.hostPort {
				t.Errorf("HostPort = %q, want %q", got, tt.hostPort)
			}
			if tt.pw != "" {
				for _, shown := range []string{u.Redacted(), u.String(), u.HostPort(), sprintAll(u)} {
					if strings.Contains(shown, tt.pw) {
						t.Errorf("%q shows the password", shown)
					}
				}
			}

			// The DSN must be one pgx reads back to the same parts.
			cfg, err := pgconn.ParseConfig(u.DSN())
			if err != nil {
				t.Fatalf("pgconn.ParseConfig(DSN): %v", Redact(err.Error(), tt.pw))
			}
			if tt.host != "" && !strings.Contains(tt.host, ",") && cfg.Host != tt.host {
				t.Errorf("pgx Host = %q, want %q", cfg.Host, tt.host)
			}
			if tt.port != "" && !strings.Contains(tt.port, ",") && strconv.Itoa(int(cfg.Port)) != tt.port {
				t.Errorf("pgx Port = %d, want %s", cfg.Port, tt.port)
			}
			if strings.Contains(tt.host, ",") {
				seen := map[string]bool{fmt.Sprintf("%s:%d", cfg.Host, cfg.Port): true}
				for _, fb := range cfg.Fallbacks {
					seen[fmt.Sprintf("%s:%d", fb.Host, fb.Port)] = true
				}
				if got := len(seen); got != 2 || !seen["h1:5432"] || !seen["h2:5433"] {
					t.Errorf("pgx targets = %v, want h1:5432 and h2:5433", seen)
				}
			}
			if tt.user != "" && cfg.User != tt.user {
				t.Errorf("pgx User = %q, want %q", cfg.User, tt.user)
			}
			if cfg.Password != tt.pw {
				t.Errorf("pgx Password = %q, want %q", cfg.Password, tt.pw)
			}
			if cfg.Database != tt.dbname {
				t.Errorf("pgx Database = %q, want %q", cfg.Database, tt.dbname)
			}
		})
	}
}

func sprintAll(u *DBURL) string {
	return strings.Join([]string{
		fmt.Sprintf("%v", u), fmt.Sprintf("%+v", u), fmt.Sprintf("%#v", u), fmt.Sprintf("%v", *u), fmt.Sprintf("%+v", *u),
	}, " ")
}

func TestDSNOptions(t *testing.T) {
	t.Run("sslmode", func(t *testing.T) {
		u := mustParse(t, "postgresql://u:pw@db/airflow?sslmode=require")
		cfg := mustPgx(t, u)
		if cfg.TLSConfig == nil {
			t.Fatal("sslmode=require: pgx has no TLS config")
		}
		if len(cfg.Fallbacks) != 0 {
			t.Errorf("sslmode=require must not fall back to plain text, got %d fallbacks", len(cfg.Fallbacks))
		}
		u = mustParse(t, "postgresql://u:pw@db/airflow?sslmode=disable")
		if cfg := mustPgx(t, u); cfg.TLSConfig != nil {
			t.Error("sslmode=disable: pgx has a TLS config")
		}
	})
	t.Run("connect_timeout from the URL", func(t *testing.T) {
		cfg := mustPgx(t, mustParse(t, "postgresql://u@db/airflow?connect_timeout=7"))
		if cfg.ConnectTimeout != 7*time.Second {
			t.Errorf("ConnectTimeout = %v, want 7s", cfg.ConnectTimeout)
		}
	})
	t.Run("WithConnectTimeout overrides, rounding up", func(t *testing.T) {
		u := mustParse(t, "postgresql://u@db/airflow?connect_timeout=7")
		u.WithConnectTimeout(2500 * time.Millisecond)
		if cfg := mustPgx(t, u); cfg.ConnectTimeout != 3*time.Second {
			t.Errorf("ConnectTimeout = %v, want 3s", cfg.ConnectTimeout)
		}
	})
	t.Run("options pass through", func(t *testing.T) {
		cfg := mustPgx(t, mustParse(t, "postgresql://u@db/airflow?options=-csearch_path%3Dother"))
		if got := cfg.RuntimeParams["options"]; got != "-csearch_path=other" {
			t.Errorf("options = %q", got)
		}
	})
	t.Run("schema is not a startup option (PgBouncer refuses options)", func(t *testing.T) {
		u := mustParse(t, "postgresql://u@db/airflow?application_name=x")
		u.WithSchema("airflow")
		cfg := mustPgx(t, u)
		if got, ok := cfg.RuntimeParams["options"]; ok {
			t.Errorf("options = %q, want none", got)
		}
		if got := cfg.RuntimeParams["application_name"]; got != "x" {
			t.Errorf("application_name = %q", got)
		}
		if got := u.SearchPath(); got != "airflow" {
			t.Errorf("SearchPath = %q", got)
		}
	})
	t.Run("schema needing quotes", func(t *testing.T) {
		u := mustParse(t, "postgresql://u@db/airflow")
		u.WithSchema("My Schema")
		if got := u.SearchPath(); got != `"My Schema"` {
			t.Errorf("SearchPath = %q", got)
		}
	})
	t.Run("application_name defaults to dagctl", func(t *testing.T) {
		if got := mustPgx(t, mustParse(t, "postgresql://u@db/airflow")).RuntimeParams["application_name"]; got != "dagctl" {
			t.Errorf("application_name = %q, want dagctl", got)
		}
		if got := mustPgx(t, mustParse(t, "postgresql://u@db/airflow?fallback_application_name=etl")).RuntimeParams["application_name"]; got != "etl" {
			t.Errorf("application_name = %q, want the URL's fallback", got)
		}
	})
	t.Run("libpq-only keywords are not sent to the server", func(t *testing.T) {
		cfg := mustPgx(t, mustParse(t, "postgresql://u@db/airflow?keepalives=1&keepalives_idle=30&gssencmode=disable&target_session_attrs=read-write"))
		for _, k := range []string{"keepalives", "keepalives_idle", "gssencmode"} {
			if _, ok := cfg.RuntimeParams[k]; ok {
				t.Errorf("%s sent as a run-time parameter", k)
			}
		}
		if cfg.ValidateConnect == nil {
			t.Error("target_session_attrs=read-write not applied")
		}
	})
	t.Run("quotes and backslashes in values", func(t *testing.T) {
		u := mustParse(t, `postgresql://u:it%27s%5Cx%20y@db/airflow`)
		if cfg := mustPgx(t, u); cfg.Password != `it's\x y` {
			t.Errorf("Password = %q", cfg.Password)
		}
	})
}

func TestSQLiteURLs(t *testing.T) {
	u := mustParse(t, "sqlite:////home/alice/airflow/airflow.db")
	if u.Dialect != DialectSQLite || u.Path != "/home/alice/airflow/airflow.db" {
		t.Fatalf("got %q %q", u.Dialect, u.Path)
	}
	if got, want := u.DSN(), "/home/alice/airflow/airflow.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"; got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
	if u.HostPort() != u.Path || u.Redacted() != "sqlite:////home/alice/airflow/airflow.db" {
		t.Errorf("HostPort %q Redacted %q", u.HostPort(), u.Redacted())
	}
	u = mustParse(t, "sqlite:////tmp/a.db?timeout=2.5")
	if got, want := u.DSN(), "/tmp/a.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(2500)"; got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
}

// The SQLite DSN opens with the driver dagctl uses and switches on what
// Airflow switches on.
func TestSQLiteDSNOpens(t *testing.T) {
	path := t.TempDir() + "/airflow.db"
	u := mustParse(t, "sqlite:///"+path+"?timeout=7")
	db, err := sql.Open("sqlite", u.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fk, busy int
	if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if fk != 1 || busy != 7000 {
		t.Errorf("foreign_keys=%d busy_timeout=%d, want 1 and 7000", fk, busy)
	}
}

func TestParseDBURLErrors(t *testing.T) {
	const pw = "Hunter2pw"
	tests := []struct {
		raw  string
		want string // part of the message
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"Hunter2pw", "not of the form"},
		{"postgresql:/u:Hunter2pw@h/db", "not of the form"},
		{"mysql://u:Hunter2pw@h/db?ssl_mode=sometimes", "ssl_mode"},
		{"mysql+mysqldb://u:Hunter2pw@h/db?charset=latin1", "charset"},
		{"mysql+pymysql://u:Hunter2pw@h:x/db", "port"},
		{"mysql://u:Hunter2pw@h/db?ssl_capath=/etc/ssl", `"ssl_capath"`},
		{"mysql://u:Hunter2pw@h/db?init_command=SET+x%3D1", `"init_command"`},
		{"mysql://u:Hunter2pw@h/db?ssl_cert=/c.pem", "ssl_key"},
		{"mysql://u:Hunter2pw@h/db?ssl_verify_cert=maybe", "ssl_verify_cert"},
		{"mysql://u:Hunter2pw@h/db?connect_timeout=soon", "connect_timeout"},
		{"mysql://u:Hunt@er2pw@h/db", "percent-encode"},
		{"mysql://u@h/db?passwd=Hunter2pw&ssl_mode=x", "ssl_mode"},
		{"mssql+pyodbc://u:Hunter2pw@h/db", `unsupported dialect "mssql"`},
		{"postgresql://u:Hunter2pw@h:port/db", "port"},
		{"postgresql://u:Hunter2pw@h:99999/db", "port"},
		{"postgresql://u:Hunter2pw@h/db?port=x", "port"},
		{"postgresql://u:Hunter2pw@h/db?connect_timeout=soon", "connect_timeout"},
		{"postgresql://u:Hunt@er2pw@h/db", "percent-encode"},
		{"postgresql://u@h/db?password=Hunter2pw&port=0", "port"},
		{"sqlite://", "in-memory"},
		{"sqlite:///relative/airflow.db", "relative path"},
		{"sqlite:///./airflow.db", "relative path"},
		{"sqlite:///:memory:", "relative path"},
		{"sqlite:///{AIRFLOW_HOME}/airflow.db", "relative path"},
		// Airflow's check is on the text: only "sqlite:///" + absolute passes.
		{"sqlite+pysqlite:////srv/airflow/airflow.db", "relative path"},
		{"sqlite:////tmp/a.db?timeout=never", "timeout"},
	}
	for _, tt := range tests {
		_, err := ParseDBURL(tt.raw)
		if err == nil {
			t.Errorf("ParseDBURL(%q): no error", Redact(tt.raw, pw))
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDBURL(%q): %v does not wrap ErrInvalid", Redact(tt.raw, pw), err)
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) {
			t.Errorf("ParseDBURL(%q) = %q, want it to mention %q", Redact(tt.raw, pw), Redact(msg, pw), tt.want)
		}
		for _, leak := range []string{pw, "Hunter2", "er2pw"} {
			if strings.Contains(msg, leak) {
				t.Errorf("error %q shows (part of) the password", msg)
			}
		}
	}
}

func TestRedact(t *testing.T) {
	got := Redact("dial postgresql://u:s3cret@h failed; password s3cret; encoded s3%2Fcret", "s3cret", "s3%2Fcret", "")
	want := "dial postgresql://u:xxxxx@h failed; password xxxxx; encoded xxxxx"
	if got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	// A longer secret containing a shorter one is masked whole.
	if got := Redact("abcdef", "abc", "abcdef"); got != "xxxxx" {
		t.Errorf("Redact overlap = %q", got)
	}
	if got := Redact("nothing here"); got != "nothing here" {
		t.Errorf("Redact without secrets = %q", got)
	}
}

func mustParse(t *testing.T, raw string) *DBURL {
	t.Helper()
	u, err := ParseDBURL(raw)
	if err != nil {
		t.Fatalf("ParseDBURL(%q): %v", raw, err)
	}
	return u
}

func mustPgx(t *testing.T, u *DBURL) *pgconn.Config {
	t.Helper()
	cfg, err := pgconn.ParseConfig(u.DSN())
	if err != nil {
		t.Fatalf("pgconn.ParseConfig: %v", Redact(err.Error(), u.secrets...))
	}
	return cfg
}
