package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestConnectArgsNote(t *testing.T) {
	for _, tc := range []struct {
		name, env, cfg, want string
	}{
		{name: "airflow.cfg [database]", cfg: "[database]\nsql_alchemy_connect_args = airflow_local_settings.CONNECT_ARGS\n", want: "[database] sql_alchemy_connect_args"},
		{name: "airflow.cfg [core] (Airflow 2.2)", cfg: "[core]\nsql_alchemy_connect_args = my.args\n", want: "[core] sql_alchemy_connect_args"},
		{name: "environment", env: "my_settings.connect_args", want: "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = "postgresql://airflow:pw@db/airflow"
			if tc.env != "" {
				w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS"] = tc.env
			}
			if tc.cfg != "" {
				w.write("airflow/airflow.cfg", tc.cfg)
			}
			s := w.load(w.inputs())
			if len(s.Warnings) != 1 {
				t.Fatalf("notes %q, want one", s.Warnings)
			}
			n := s.Warnings[0]
			for _, want := range []string{tc.want, "cannot load", "sslmode", "sslrootcert", "config file"} {
				if !strings.Contains(n, want) {
					t.Errorf("note %q lacks %q", n, want)
				}
			}
			if strings.Contains(n, "\n") {
				t.Errorf("note %q is not one line", n)
			}
		})
	}
	t.Run("unset or empty: no note", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn = postgresql://db/airflow\nsql_alchemy_connect_args =\n")
		if s := w.load(w.inputs()); len(s.Warnings) != 0 {
			t.Errorf("notes %q", s.Warnings)
		}
	})
}

func TestTLSKeys(t *testing.T) {
	cfg := `current-context: prod
sslmode: require
contexts:
  prod:
    db: "postgresql://airflow:pw@db/airflow"
    sslmode: verify-full
    sslrootcert: ~/certs/ca.pem
    sslcert: /etc/dagctl/client.crt
    sslkey: /etc/dagctl/client.key
    sslpassword: K3yPass
  urlwins:
    db: "postgresql://airflow:pw@db/airflow?sslmode=verify-ca"
    sslmode: disable
  lite:
    db: "sqlite:////srv/airflow/airflow.db"
    sslmode: verify-full
`
	load := func(t *testing.T, context string, env map[string]string) *Settings {
		w := newWorld(t)
		w.write(".config/dagctl/config.yaml", cfg)
		for k, v := range env {
			w.env[k] = v
		}
		in := w.inputs()
		in.ContextFlag = context
		return w.load(in)
	}
	t.Run("config keys go into the DSN; sslpassword is masked and redacted", func(t *testing.T) {
		s := load(t, "", nil)
		dsn := s.URL.DSN()
		home := filepath.Dir(filepath.Dir(filepath.Dir(s.ConfigFile.Value)))
		for _, want := range []string{"sslmode='verify-full'", "sslrootcert='" + filepath.Join(home, "certs/ca.pem") + "'", "sslcert='/etc/dagctl/client.crt'", "sslkey='/etc/dagctl/client.key'", "sslpassword='K3yPass'"} {
			if !strings.Contains(dsn, want) {
				t.Errorf("DSN lacks %s", want)
			}
		}
		rows := map[string]Row{}
		for _, r := range s.View() {
			rows[r.Key] = r
			if strings.Contains(r.Value+r.Source, "K3yPass") {
				t.Errorf("row %+v shows sslpassword", r)
			}
		}
		if r := rows["sslpassword"]; r.Value != Mask || !strings.Contains(r.Source, "context prod") {
			t.Errorf("sslpassword row %+v", r)
		}
		if r := rows["sslmode"]; r.Value != "verify-full" || !strings.Contains(r.Source, "context prod") {
			t.Errorf("sslmode row %+v", r)
		}
		if got := Redact("could not load key with K3yPass", s.Secrets()...); strings.Contains(got, "K3yPass") {
			t.Errorf("Redact left sslpassword: %q", got)
		}
	})
	t.Run("the URL's own query wins, with a note", func(t *testing.T) {
		s := load(t, "urlwins", nil)
		if dsn := s.URL.DSN(); !strings.Contains(dsn, "sslmode='verify-ca'") || strings.Contains(dsn, "disable") {
			t.Errorf("DSN sslmode: want the URL's verify-ca")
		}
		if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "sslmode") || !strings.Contains(s.Notes[0], "URL's query wins") {
			t.Errorf("notes %q", s.Notes)
		}
		for _, r := range s.View() {
			if r.Key == "sslmode" && (r.Value != "verify-ca" || !strings.HasPrefix(r.Source, "database URL")) {
				t.Errorf("row %+v", r)
			}
		}
	})
	t.Run("PGSSLMODE and libpq's default are shown", func(t *testing.T) {
		w := newWorld(t)
		w.env["DAGCTL_DB"] = "postgresql://db/airflow"
		rows := func(s *Settings) map[string]Row {
			m := map[string]Row{}
			for _, r := range s.View() {
				m[r.Key] = r
			}
			return m
		}
		if r := rows(w.load(w.inputs()))["sslmode"]; r.Value != "prefer" || r.Source != "libpq default" {
			t.Errorf("default row %+v", r)
		}
		w.env["PGSSLMODE"] = "require"
		if r := rows(w.load(w.inputs()))["sslmode"]; r.Value != "require" || r.Source != "env PGSSLMODE" {
			t.Errorf("env row %+v", r)
		}
	})
	t.Run("SQLite: ignored with a note", func(t *testing.T) {
		s := load(t, "lite", nil)
		if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "PostgreSQL only") {
			t.Errorf("notes %q", s.Notes)
		}
	})
}

func TestUnsupportedTLSKeysNoted(t *testing.T) {
	w := newWorld(t)
	w.env["DAGCTL_DB"] = "postgresql://db/airflow?sslmode=verify-full&sslcrl=/etc/crl.pem"
	s := w.load(w.inputs())
	if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "sslcrl") || !strings.Contains(s.Notes[0], "revoked") {
		t.Errorf("notes %q", s.Notes)
	}
	if strings.Contains(s.URL.DSN(), "sslcrl") {
		t.Error("sslcrl reached the DSN: the server would refuse it as a parameter")
	}
}

// A bad sslmode is a configuration mistake named with its source before any connection is
// tried (it used to surface as a fake "timed out").
func TestBadSSLMode(t *testing.T) {
	w := newWorld(t)
	w.env["DAGCTL_DB"] = "postgresql://airflow:Pw5ecret@db/airflow?sslmode=bogus"
	err := w.loadErr(w.inputs())
	if msg := err.Error(); !errors.Is(err, ErrInvalid) || !strings.Contains(msg, `sslmode "bogus" from database URL`) ||
		!strings.Contains(msg, "env DAGCTL_DB") || strings.Contains(msg, "Pw5ecret") || strings.Contains(msg, "time") {
		t.Errorf("err = %v", err)
	}
	w = newWorld(t)
	w.env["DAGCTL_DB"] = "postgresql://db/airflow"
	w.write(".config/dagctl/config.yaml", "sslmode: sometimes\n")
	if err := w.loadErr(w.inputs()); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "config file") {
		t.Errorf("config key: err = %v", err)
	}
}
