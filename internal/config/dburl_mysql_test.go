package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func mustMySQL(t *testing.T, u *DBURL) *mysql.Config {
	t.Helper()
	cfg, err := mysql.ParseDSN(u.DSN())
	if err != nil {
		t.Fatalf("mysql.ParseDSN: %v", Redact(err.Error(), u.secrets...))
	}
	return cfg
}

func TestParseDBURLMySQLForms(t *testing.T) {
	tests := []struct {
		raw                       string
		net, addr, user, pw, db   string
		redacted, hostPort, tlsIs string
	}{
		{raw: "mysql://airflow:secret@db.example:3307/airflow", net: "tcp", addr: "db.example:3307", user: "airflow", pw: "secret",
			db: "airflow", redacted: "mysql://airflow:xxxxx@db.example:3307/airflow", hostPort: "db.example:3307", tlsIs: "preferred"},
		{raw: "mysql+mysqldb://u:p%40ss@db/af?charset=utf8mb4&binary_prefix=true", net: "tcp", addr: "db:3306", user: "u", pw: "p@ss",
			db: "af", redacted: "mysql+mysqldb://u:xxxxx@db/af?charset=utf8mb4&binary_prefix=true", hostPort: "db:3306", tlsIs: "preferred"},
		{raw: "mysql+pymysql://u:pw@10.0.0.5/af?charset=utf8", net: "tcp", addr: "10.0.0.5:3306", user: "u", pw: "pw", db: "af",
			redacted: "mysql+pymysql://u:xxxxx@10.0.0.5/af?charset=utf8", hostPort: "10.0.0.5:3306", tlsIs: "preferred"},
		{raw: "mysql+mysqlconnector://u:pw@[::1]:3310/af", net: "tcp", addr: "[::1]:3310", user: "u", pw: "pw", db: "af",
			redacted: "mysql+mysqlconnector://u:xxxxx@[::1]:3310/af", hostPort: "[::1]:3310", tlsIs: "preferred"},
		{raw: "mysql://root@localhost/af?unix_socket=/srv/mysql/mysqld.sock", net: "unix", addr: "/srv/mysql/mysqld.sock", user: "root",
			db: "af", redacted: "mysql://root@localhost/af?unix_socket=/srv/mysql/mysqld.sock", hostPort: "/srv/mysql/mysqld.sock", tlsIs: "false"},
		{raw: "mariadb+mariadbconnector://u:pw@h/af?ssl_mode=DISABLED", net: "tcp", addr: "h:3306", user: "u", pw: "pw", db: "af",
			redacted: "mariadb+mariadbconnector://u:xxxxx@h/af?ssl_mode=DISABLED", hostPort: "h:3306", tlsIs: "false"},
		// SQLAlchemy hands the query to the driver on top of the URL's parts.
		{raw: "mysql+pymysql://u@h/af?passwd=s3cr3t&port=3399&db=other", net: "tcp", addr: "h:3399", user: "u", pw: "s3cr3t", db: "other",
			redacted: "mysql+pymysql://u@h/af?passwd=xxxxx&port=3399&db=other", hostPort: "h:3399", tlsIs: "preferred"},
	}
	for _, tt := range tests {
		u := mustParse(t, tt.raw)
		if u.Dialect != DialectMySQL {
			t.Errorf("%s: dialect %q", tt.raw, u.Dialect)
		}
		if u.Redacted() != tt.redacted || u.HostPort() != tt.hostPort {
			t.Errorf("%s: redacted %q host %q", tt.raw, u.Redacted(), u.HostPort())
		}
		cfg := mustMySQL(t, u)
		if cfg.Net != tt.net || cfg.Addr != tt.addr || cfg.User != tt.user || cfg.Passwd != tt.pw || cfg.DBName != tt.db {
			t.Errorf("%s: DSN %s %s user %q db %q", tt.raw, cfg.Net, cfg.Addr, cfg.User, cfg.DBName)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC || cfg.Params["time_zone"] != "'+00:00'" {
			t.Errorf("%s: DSN lacks Airflow's session settings: parseTime %v loc %v params %v", tt.raw, cfg.ParseTime, cfg.Loc, cfg.Params)
		}
		if cfg.TLSConfig != tt.tlsIs && !(tt.tlsIs == "custom" && strings.HasPrefix(cfg.TLSConfig, "dagctl-")) {
			t.Errorf("%s: tls %q, want %q", tt.raw, cfg.TLSConfig, tt.tlsIs)
		}
		if tt.pw != "" && (strings.Contains(u.Redacted(), tt.pw) || strings.Contains(u.String(), tt.pw) || strings.Contains(u.HostPort(), tt.pw)) {
			t.Errorf("%s: password shown", tt.raw)
		}
	}
}

func TestMySQLTLSModes(t *testing.T) {
	// The files must exist: an unreadable one is refused while parsing.
	dir := t.TempDir()
	var pairs []string
	for _, f := range []string{"ca.pem", "c.pem", "k.pem"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, "=/"+f, "="+filepath.Join(dir, f))
	}
	certFiles := strings.NewReplacer(pairs...)
	for raw, want := range map[string]string{
		"mysql://u@h/d":                                                                        mysqlTLSPreferred,
		"mysql://u@h/d?ssl_mode=required":                                                      mysqlTLSRequired,
		"mysql://u@h/d?ssl-mode=VERIFY_CA&ssl_ca=/ca.pem":                                      mysqlTLSVerifyCA,
		"mysql://u@h/d?ssl_mode=verify_identity":                                               mysqlTLSVerifyIdentity,
		"mysql://u@h/d?ssl_disabled=true":                                                      mysqlTLSDisabled,
		"mysql+pymysql://u@h/d?ssl_ca=/ca.pem":                                                 mysqlTLSVerifyIdentity,
		"mysql+pymysql://u@h/d?ssl_ca=/ca.pem&ssl_verify_identity=false":                       mysqlTLSVerifyCA,
		"mysql+pymysql://u@h/d?ssl_ca=/ca.pem&ssl_verify_cert=false&ssl_verify_identity=false": mysqlTLSRequired,
		"mysql+mysqldb://u@h/d?ssl_ca=/ca.pem&ssl_check_hostname=false":                        mysqlTLSVerifyCA,
		"mysql://u@h/d?ssl_cert=/c.pem&ssl_key=/k.pem":                                         mysqlTLSRequired,
	} {
		raw = certFiles.Replace(raw)
		u := mustParse(t, raw)
		o, err := u.mysqlTLS()
		if err != nil || o.mode != want {
			t.Errorf("%s: mode %q (%v), want %q", raw, o.mode, err, want)
		}
		cfg := mustMySQL(t, u)
		switch want {
		case mysqlTLSPreferred:
			if cfg.TLSConfig != "preferred" {
				t.Errorf("%s: tls %q", raw, cfg.TLSConfig)
			}
		case mysqlTLSDisabled:
			if cfg.TLSConfig != "false" {
				t.Errorf("%s: tls %q", raw, cfg.TLSConfig)
			}
		default:
			if !strings.HasPrefix(cfg.TLSConfig, "dagctl-") {
				t.Errorf("%s: tls %q, want a registered config", raw, cfg.TLSConfig)
			}
		}
	}
}

func TestMySQLConnectTimeout(t *testing.T) {
	u := mustParse(t, "mysql://u@h/d?connect_timeout=7&read_timeout=30")
	if cfg := mustMySQL(t, u); cfg.Timeout != 7*time.Second || cfg.ReadTimeout != 30*time.Second {
		t.Errorf("timeouts %v %v", cfg.Timeout, cfg.ReadTimeout)
	}
	u.WithConnectTimeout(1500 * time.Millisecond)
	if cfg := mustMySQL(t, u); cfg.Timeout != 2*time.Second {
		t.Errorf("WithConnectTimeout: %v", cfg.Timeout)
	}
}

// A MySQL URL goes through the same layers as a PostgreSQL one; its
// connect_timeout is a layer of its own, and config view masks the password.
func TestMySQLURLThroughTheLayers(t *testing.T) {
	const pw = "My5qlPw"
	w := newWorld(t)
	w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = "mysql+mysqldb://airflow:" + pw + "@db:3306/airflow?connect_timeout=4"
	s := w.load(w.inputs())
	if s.URL.Dialect != DialectMySQL || s.DB.Source != "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" {
		t.Fatalf("db = %+v (%s)", s.DB, s.URL.Dialect)
	}
	if s.Timeout != 4*time.Second || s.ConnectTimeout.Source != "database URL connect_timeout" {
		t.Errorf("connect timeout %v from %q", s.Timeout, s.ConnectTimeout.Source)
	}
	if cfg := mustMySQL(t, s.URL); cfg.Timeout != 4*time.Second || cfg.Passwd != pw {
		t.Errorf("DSN timeout %v", cfg.Timeout)
	}
	for _, row := range s.View() {
		if strings.Contains(row.Value, pw) {
			t.Errorf("config view shows the password: %+v", row)
		}
	}
	w.env["DAGCTL_DB"] = "mysql://u:" + pw + "@other/af"
	if s := w.load(w.inputs()); s.URL.Host != "other" || s.DB.Value != "mysql://u:xxxxx@other/af" {
		t.Errorf("DAGCTL_DB layer: %+v", s.DB)
	}
}
