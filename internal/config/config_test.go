package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // IANA names in tests, whatever the machine has

	"github.com/jackc/pgx/v5/pgconn"
)

type fakeEnv map[string]string

func (e fakeEnv) get(k string) (string, bool) { v, ok := e[k]; return v, ok }

// world is a fake machine: a temp home, an environment, files.
type world struct {
	t    *testing.T
	home string
	env  fakeEnv
	ran  []string
}

func newWorld(t *testing.T) *world {
	return &world{t: t, home: t.TempDir(), env: fakeEnv{}}
}

func (w *world) write(rel, content string) string {
	w.t.Helper()
	p := rel
	if !filepath.IsAbs(rel) {
		p = filepath.Join(w.home, rel)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) inputs() Inputs {
	return Inputs{
		Getenv:  w.env.get,
		HomeDir: w.home,
		OSUser:  "osuser",
		RunCmd: func(ctx context.Context, command string) (string, error) {
			w.ran = append(w.ran, command)
			return RunShell(ctx, command)
		},
	}
}

func (w *world) load(in Inputs) *Settings {
	w.t.Helper()
	s, err := Load(context.Background(), in)
	if err != nil {
		w.t.Fatalf("Load: %v", err)
	}
	return s
}

func (w *world) loadErr(in Inputs) error {
	w.t.Helper()
	s, err := Load(context.Background(), in)
	if err == nil {
		w.t.Fatalf("Load: no error, db %s from %s", s.DB.Value, s.DB.Source)
	}
	return err
}

// TestDBPrecedence sets every source of the database URL, then takes them
// away from the top one at a time: each time the next one must decide.
func TestDBPrecedence(t *testing.T) {
	type layer struct {
		name   string
		host   string // the host its URL names ("" for the sqlite default)
		source string // %H = home, %C = the config file, %A = airflow.cfg
	}
	layers := []layer{
		{"flag", "flaghost", "flag --db"},
		{"DAGCTL_DB", "dagctlenvhost", "env DAGCTL_DB"},
		{"context", "ctxhost", "config file %C (context prod)"},
		{"top-level db", "tophost", "config file %C"},
		{"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "afenvhost", "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"},
		{"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD", "afenvcmdhost", "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"},
		{"AIRFLOW__CORE__SQL_ALCHEMY_CONN", "coreenvhost", "env AIRFLOW__CORE__SQL_ALCHEMY_CONN"},
		{"AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD", "coreenvcmdhost", "env AIRFLOW__CORE__SQL_ALCHEMY_CONN_CMD"},
		{"cfg [database] sql_alchemy_conn", "cfghost", "airflow.cfg %A [database] sql_alchemy_conn"},
		{"cfg [core] sql_alchemy_conn", "cfgcorehost", "airflow.cfg %A [core] sql_alchemy_conn"},
		{"cfg [database] sql_alchemy_conn_cmd", "cfgcmdhost", "airflow.cfg %A [database] sql_alchemy_conn_cmd"},
		{"cfg [core] sql_alchemy_conn_cmd", "cfgcorecmdhost", "airflow.cfg %A [core] sql_alchemy_conn_cmd"},
		{"default", "", "Airflow default"},
	}
	pg := func(host string) string { return "postgresql://airflow:pw@" + host + "/airflow" }
	for from := range layers {
		t.Run(layers[from].name, func(t *testing.T) {
			w := newWorld(t)
			in := w.inputs()
			on := func(name string) bool {
				for _, l := range layers[from:] {
					if l.name == name {
						return true
					}
				}
				return false
			}
			if on("flag") {
				in.DBFlag = pg("flaghost")
			}
			if on("DAGCTL_DB") {
				w.env["DAGCTL_DB"] = pg("dagctlenvhost")
			}
			var yml strings.Builder
			yml.WriteString("contexts:\n  prod:\n    user: bob\n")
			if on("context") {
				yml.WriteString("    db: " + pg("ctxhost") + "\n")
				yml.WriteString("current-context: prod\n")
			}
			if on("top-level db") {
				yml.WriteString("db: " + pg("tophost") + "\n")
			}
			cfgFile := w.write(".config/dagctl/config.yaml", yml.String())
			for _, v := range []string{"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__SQL_ALCHEMY_CONN"} {
				if on(v) {
					w.env[v] = pg(strings.ToLower(map[bool]string{true: "afenvhost", false: "coreenvhost"}[strings.Contains(v, "DATABASE")]))
				}
				if on(v + "_CMD") {
					h := map[bool]string{true: "afenvcmdhost", false: "coreenvcmdhost"}[strings.Contains(v, "DATABASE")]
					w.env[v+"_CMD"] = "echo " + pg(h)
				}
			}
			var db, core strings.Builder
			if on("cfg [database] sql_alchemy_conn") {
				db.WriteString("sql_alchemy_conn = " + pg("cfghost") + "\n")
			}
			if on("cfg [database] sql_alchemy_conn_cmd") {
				db.WriteString("sql_alchemy_conn_cmd = echo " + pg("cfgcmdhost") + "\n")
			}
			if on("cfg [core] sql_alchemy_conn") {
				core.WriteString("sql_alchemy_conn = " + pg("cfgcorehost") + "\n")
			}
			if on("cfg [core] sql_alchemy_conn_cmd") {
				core.WriteString("sql_alchemy_conn_cmd = echo " + pg("cfgcorecmdhost") + "\n")
			}
			afCfg := w.write("airflow/airflow.cfg", "[core]\n"+core.String()+"dags_folder = /dags\n\n[database]\n"+db.String())

			s := w.load(in)
			l := layers[from]
			wantSource := strings.NewReplacer("%C", cfgFile, "%A", afCfg).Replace(l.source)
			if s.DB.Source != wantSource {
				t.Errorf("DB source = %q, want %q", s.DB.Source, wantSource)
			}
			if l.host == "" {
				want := filepath.Join(w.home, "airflow", "airflow.db")
				if s.URL.Dialect != DialectSQLite || s.URL.Path != want {
					t.Errorf("default DB = %s %q, want sqlite %q", s.URL.Dialect, s.URL.Path, want)
				}
			} else if s.URL.Host != l.host {
				t.Errorf("DB host = %q, want %q", s.URL.Host, l.host)
			}
			if strings.Contains(s.DB.Value, ":pw@") {
				t.Errorf("DB value %q is not redacted", s.DB.Value)
			}
			// A command runs only when it decides.
			isCmd := strings.HasSuffix(l.source, "_CMD") || strings.HasSuffix(l.source, "_cmd")
			if isCmd && len(w.ran) != 1 || !isCmd && len(w.ran) != 0 {
				t.Errorf("commands run: %q", w.ran)
			}
		})
	}
}

func TestContexts(t *testing.T) {
	const yml = `current-context: prod
user: topuser
rbac: off
contexts:
  prod:   { db: "postgresql://airflow:secret@db:5432/airflow", user: alice, rbac: enforce, schema: airflow }
  local:  { db: "sqlite:////home/alice/airflow/airflow.db" }
`
	w := newWorld(t)
	path := w.write(".config/dagctl/config.yaml", yml)

	s := w.load(w.inputs())
	if s.Context != (Value{"prod", "config file current-context"}) {
		t.Errorf("Context = %+v", s.Context)
	}
	if s.ConfigFile != (Value{path, "~/.config/dagctl/config.yaml"}) {
		t.Errorf("ConfigFile = %+v", s.ConfigFile)
	}
	src := "config file " + path + " (context prod)"
	if s.DB != (Value{"postgresql://airflow:xxxxx@db:5432/airflow", src}) {
		t.Errorf("DB = %+v", s.DB)
	}
	if s.User != (Value{"alice", src}) || s.RBAC != (Value{"enforce", src}) || s.Schema != (Value{"airflow", src}) {
		t.Errorf("User %+v RBAC %+v Schema %+v", s.User, s.RBAC, s.Schema)
	}
	if s.URL.SearchPath() != "airflow" {
		t.Errorf("SearchPath = %q, want the context's schema", s.URL.SearchPath())
	}

	in := w.inputs()
	in.ContextFlag = "local"
	s = w.load(in)
	if s.Context != (Value{"local", "flag --context"}) || s.URL.Path != "/home/alice/airflow/airflow.db" {
		t.Errorf("Context %+v path %q", s.Context, s.URL.Path)
	}
	// local sets no user or rbac: the top-level ones apply.
	top := "config file " + path
	if s.User != (Value{"topuser", top}) || s.RBAC != (Value{"off", top}) {
		t.Errorf("User %+v RBAC %+v", s.User, s.RBAC)
	}

	w.env["DAGCTL_CONTEXT"] = "local"
	if s := w.load(w.inputs()); s.Context != (Value{"local", "env DAGCTL_CONTEXT"}) {
		t.Errorf("Context = %+v", s.Context)
	}
	delete(w.env, "DAGCTL_CONTEXT")

	in.ContextFlag = "staging"
	err := w.loadErr(in)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `context "staging"`) ||
		!strings.Contains(err.Error(), "known contexts: local, prod") {
		t.Errorf("unknown context error = %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows the password: %v", err)
	}

	w.write(".config/dagctl/config.yaml", "current-context: gone\ncontexts:\n  prod: {db: 'sqlite:////x.db'}\n")
	if err := w.loadErr(w.inputs()); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `context "gone" (config file current-context)`) {
		t.Errorf("missing current-context error = %v", err)
	}
}

func TestConfigFileLocation(t *testing.T) {
	w := newWorld(t)
	// No file anywhere: fine, and said so.
	s := w.load(w.inputs())
	if want := filepath.Join(w.home, ".config", "dagctl", "config.yaml"); s.ConfigFile.Value != want ||
		!strings.Contains(s.ConfigFile.Source, "not found") {
		t.Errorf("ConfigFile = %+v", s.ConfigFile)
	}
	if s.Context != (Value{"", "none"}) {
		t.Errorf("Context = %+v", s.Context)
	}

	xdg := t.TempDir()
	w.env["XDG_CONFIG_HOME"] = xdg
	p := w.write(filepath.Join(xdg, "dagctl", "config.yaml"), "db: sqlite:////xdg.db\n")
	s = w.load(w.inputs())
	if s.ConfigFile != (Value{p, "$XDG_CONFIG_HOME/dagctl/config.yaml"}) || s.URL.Path != "/xdg.db" {
		t.Errorf("ConfigFile %+v path %q", s.ConfigFile, s.URL.Path)
	}

	envFile := w.write("elsewhere/env.yaml", "db: sqlite:////env.db\n")
	w.env["DAGCTL_CONFIG"] = envFile
	if s := w.load(w.inputs()); s.ConfigFile != (Value{envFile, "env DAGCTL_CONFIG"}) || s.URL.Path != "/env.db" {
		t.Errorf("ConfigFile %+v path %q", s.ConfigFile, s.URL.Path)
	}

	flagFile := w.write("elsewhere/flag.yaml", "db: sqlite:////flag.db\n")
	in := w.inputs()
	in.ConfigFlag = flagFile
	if s := w.load(in); s.ConfigFile != (Value{flagFile, "flag --config"}) || s.URL.Path != "/flag.db" {
		t.Errorf("ConfigFile %+v path %q", s.ConfigFile, s.URL.Path)
	}

	in.ConfigFlag = filepath.Join(w.home, "missing.yaml")
	if err := w.loadErr(in); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing --config error = %v", err)
	}
	in.ConfigFlag = ""
	in.ContextFlag = "prod"
	w.env["DAGCTL_CONFIG"] = filepath.Join(w.home, "missing.yaml")
	if err := w.loadErr(in); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing DAGCTL_CONFIG error = %v", err)
	}
}

func TestConfigFileErrors(t *testing.T) {
	const pw = "Sup3rSecretPw"
	for _, yml := range []string{
		"dbb: postgresql://u:" + pw + "@h/db\n",               // typo: unknown key
		"contexts:\n  prod: postgresql://u:" + pw + "@h/db\n", // context is not a mapping
		"contexts:\n  prod: {db: postgresql://u:" + pw + "@h/db}\n" + // bad timeout
			"connect_timeout: soon\n",
		"contexts: [\n", // YAML syntax
		"rbac: maybe\n", // bad mode
		"db: mysql://u:" + pw + "@h/db?ssl_mode=sometimes\n",
	} {
		w := newWorld(t)
		w.write(".config/dagctl/config.yaml", yml)
		err := w.loadErr(w.inputs())
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: error %v does not wrap ErrInvalid", Redact(yml, pw), Redact(err.Error(), pw))
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("%q: error shows the password: %v", Redact(yml, pw), Redact(err.Error(), pw))
		}
	}
}

func TestAirflowCfgReading(t *testing.T) {
	t.Run("%% escaping and %(name)s", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "[DEFAULT]\nhost = dbhost\n[database]\nuser = af\n"+
			"sql_alchemy_conn = postgresql://%(user)s:p%%40ss%%25@%(host)s/airflow\n")
		s := w.load(w.inputs())
		if s.URL.User != "af" || s.URL.Host != "dbhost" || s.URL.password != "p@ss%" {
			t.Errorf("got user %q host %q password %q", s.URL.User, s.URL.Host, s.URL.password)
		}
		if s.DB.Value != "postgresql://af:xxxxx@dbhost/airflow" {
			t.Errorf("DB = %q", s.DB.Value)
		}
	})
	t.Run("a single % is an error that does not show the value", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn = postgresql://u:p%40Zq9secret@h/db\n")
		err := w.loadErr(w.inputs())
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "[database] sql_alchemy_conn") {
			t.Errorf("error = %v", err)
		}
		if strings.Contains(err.Error(), "Zq9secret") {
			t.Errorf("error shows the password: %v", err)
		}
	})
	t.Run("env vars and ~ are expanded, {AIRFLOW_HOME} is not", func(t *testing.T) {
		w := newWorld(t)
		w.env["AIRFLOW_HOME"] = "~/af"
		s := w.load(w.inputs())
		if want := filepath.Join(w.home, "af", "airflow.db"); s.URL.Path != want {
			t.Errorf("default path = %q, want %q", s.URL.Path, want)
		}
		if s.AirflowHome != (Value{filepath.Join(w.home, "af"), "env AIRFLOW_HOME"}) {
			t.Errorf("AirflowHome = %+v", s.AirflowHome)
		}
		// Expansion repeats until nothing changes: $AIRFLOW_HOME, then $HOME.
		w.env["HOME"] = w.home
		w.env["AIRFLOW_HOME"] = "$HOME/af"
		w.env["DBFILE"] = "meta.db"
		w.write("af/airflow.cfg", "[database]\nsql_alchemy_conn = sqlite:///$AIRFLOW_HOME/${DBFILE}\n")
		s = w.load(w.inputs())
		if want := filepath.Join(w.home, "af", "meta.db"); s.URL.Path != want {
			t.Errorf("path = %q, want %q", s.URL.Path, want)
		}
		// Like os.path.expandvars, the variable's raw value is used: a "~" in
		// it is not at the start of the URL and stays, so Airflow (and
		// dagctl) see a relative path.
		w.env["AIRFLOW_HOME"] = "~/af"
		w.write("af/airflow.cfg", "[database]\nsql_alchemy_conn = sqlite:///$AIRFLOW_HOME/airflow.db\n")
		if err := w.loadErr(w.inputs()); !strings.Contains(err.Error(), "sqlite:///~/af/airflow.db: cannot use a relative path") {
			t.Errorf("error = %v", err)
		}
		// Airflow fills {AIRFLOW_HOME} only in its built-in defaults.
		w.write("af/airflow.cfg", "[database]\nsql_alchemy_conn = sqlite:///{AIRFLOW_HOME}/airflow.db\n")
		if err := w.loadErr(w.inputs()); !strings.Contains(err.Error(), "relative path") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("AIRFLOW_CONFIG", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn = sqlite:////wrong.db\n")
		p := w.write("etc/af.cfg", "[database]\nsql_alchemy_conn = sqlite:////right.db\n")
		w.env["AIRFLOW_CONFIG"] = p
		s := w.load(w.inputs())
		if s.URL.Path != "/right.db" || s.AirflowConfig != (Value{p, "env AIRFLOW_CONFIG"}) {
			t.Errorf("path %q AirflowConfig %+v", s.URL.Path, s.AirflowConfig)
		}
	})
	t.Run("multi-line values, comments, ':' delimiter, case-sensitive keys", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "# comment\n[core]\ndefault_timezone: Europe/Amsterdam\n"+
			"dags_folder = /a\n  /b\n; another comment\n[database]\nSQL_ALCHEMY_CONN = sqlite:////upper.db\n")
		s := w.load(w.inputs())
		if s.DefaultTimezone.Value != "Europe/Amsterdam" {
			t.Errorf("DefaultTimezone = %+v", s.DefaultTimezone)
		}
		// Airflow looks up lower-case names only, so the upper-case key is not seen.
		if s.DB.Source != "Airflow default" {
			t.Errorf("DB source = %q", s.DB.Source)
		}
	})
	t.Run("duplicate option is an error", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_schema = a\nsql_alchemy_schema = b\n")
		if err := w.loadErr(w.inputs()); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "appears twice") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestAirflowCommands(t *testing.T) {
	t.Run("env value beats env _CMD, which is not run", func(t *testing.T) {
		w := newWorld(t)
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = "sqlite:////env.db"
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = "echo sqlite:////cmd.db"
		s := w.load(w.inputs())
		if s.URL.Path != "/env.db" || len(w.ran) != 0 {
			t.Errorf("path %q ran %q", s.URL.Path, w.ran)
		}
	})
	t.Run("env _CMD beats the cfg value; output is trimmed", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn = sqlite:////cfg.db\n")
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = "printf '  postgresql://u:cmdpw@cmdhost/db\\n\\n'"
		s := w.load(w.inputs())
		if s.URL.Host != "cmdhost" || s.URL.Database != "db" || s.URL.password != "cmdpw" {
			t.Errorf("host %q db %q", s.URL.Host, s.URL.Database)
		}
		if got := s.Secrets(); len(got) == 0 || got[0] != "cmdpw" {
			t.Errorf("Secrets = %q", got)
		}
	})
	t.Run("cfg _cmd with empty output falls through to the default", func(t *testing.T) {
		w := newWorld(t)
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn_cmd = true\n")
		s := w.load(w.inputs())
		if s.DB.Source != "Airflow default" || len(w.ran) != 1 {
			t.Errorf("DB source %q ran %q", s.DB.Source, w.ran)
		}
	})
	t.Run("env _CMD with empty output is an empty URL", func(t *testing.T) {
		w := newWorld(t)
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = "true"
		err := w.loadErr(w.inputs())
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD: database URL is empty") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("set-but-empty env var counts, as in Airflow", func(t *testing.T) {
		w := newWorld(t)
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = ""
		if err := w.loadErr(w.inputs()); !strings.Contains(err.Error(), "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: database URL is empty") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("a failing command: the error names the setting, not the command", func(t *testing.T) {
		w := newWorld(t)
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = "echo postgresql://u:Cmd5ecret@h/db; echo vault down >&2; exit 3"
		err := w.loadErr(w.inputs())
		msg := err.Error()
		if !strings.Contains(msg, "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD") || !strings.Contains(msg, "exit status 3") ||
			!strings.Contains(msg, "vault down") {
			t.Errorf("error = %v", err)
		}
		if strings.Contains(msg, "Cmd5ecret") {
			t.Errorf("error shows the password: %v", err)
		}
	})
	t.Run("_SECRET is ignored with a note", func(t *testing.T) {
		w := newWorld(t)
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET"] = "sql_alchemy_conn"
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn_secret = conn\n")
		s := w.load(w.inputs())
		if s.DB.Source != "Airflow default" || len(s.Notes) != 2 ||
			!strings.Contains(s.Notes[0], "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET") ||
			!strings.Contains(s.Notes[1], "sql_alchemy_conn_secret") {
			t.Errorf("DB source %q notes %q", s.DB.Source, s.Notes)
		}
	})
	t.Run("a higher dagctl source keeps Airflow's commands from running", func(t *testing.T) {
		w := newWorld(t)
		w.env["DAGCTL_DB"] = "sqlite:////dagctl.db"
		w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = "echo sqlite:////cmd.db"
		w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn_cmd = echo sqlite:////cfgcmd.db\n")
		in := w.inputs()
		in.RunCmd = func(context.Context, string) (string, error) {
			t.Error("a command ran")
			return "", nil
		}
		if s := w.load(in); s.URL.Path != "/dagctl.db" {
			t.Errorf("path %q", s.URL.Path)
		}
	})
	t.Run("empty DAGCTL_DB counts as unset", func(t *testing.T) {
		w := newWorld(t)
		w.env["DAGCTL_DB"] = ""
		if s := w.load(w.inputs()); s.DB.Source != "Airflow default" {
			t.Errorf("DB source %q", s.DB.Source)
		}
	})
}

func TestSchemaPrecedence(t *testing.T) {
	w := newWorld(t)
	w.env["DAGCTL_DB"] = "postgresql://u@h/db"
	cfg := w.write("airflow/airflow.cfg", "[core]\nsql_alchemy_schema = legacy\n")
	check := func(want Value) {
		t.Helper()
		s := w.load(w.inputs())
		if s.Schema != want {
			t.Errorf("Schema = %+v, want %+v", s.Schema, want)
		}
		if s.URL.Schema() != want.Value {
			t.Errorf("URL schema = %q", s.URL.Schema())
		}
	}
	check(Value{"legacy", "airflow.cfg " + cfg + " [core] sql_alchemy_schema"})
	w.write("airflow/airflow.cfg", "[core]\nsql_alchemy_schema = legacy\n[database]\nsql_alchemy_schema = fromcfg\n")
	check(Value{"fromcfg", "airflow.cfg " + cfg + " [database] sql_alchemy_schema"})
	w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_SCHEMA"] = "fromenv"
	check(Value{"fromenv", "env AIRFLOW__DATABASE__SQL_ALCHEMY_SCHEMA"})
	p := w.write(".config/dagctl/config.yaml", "schema: fromdagctl\n")
	check(Value{"fromdagctl", "config file " + p})

	w = newWorld(t)
	w.env["DAGCTL_DB"] = "postgresql://u@h/db"
	check(Value{"", "Airflow default"})
}

func TestTimezone(t *testing.T) {
	w := newWorld(t)
	w.env["DAGCTL_DB"] = "sqlite:////x.db"
	s := w.load(w.inputs())
	if s.DefaultTimezone != (Value{"utc", "Airflow default"}) {
		t.Errorf("DefaultTimezone = %+v", s.DefaultTimezone)
	}
	if loc, err := s.Location(); err != nil || loc != time.UTC {
		t.Errorf("Location = %v, %v", loc, err)
	}

	cfg := w.write("airflow/airflow.cfg", "[core]\ndefault_timezone = America/New_York\n")
	s = w.load(w.inputs())
	if s.DefaultTimezone != (Value{"America/New_York", "airflow.cfg " + cfg + " [core] default_timezone"}) {
		t.Errorf("DefaultTimezone = %+v", s.DefaultTimezone)
	}
	if loc, err := s.Location(); err != nil || loc.String() != "America/New_York" {
		t.Errorf("Location = %v, %v", loc, err)
	}

	w.env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] = "system"
	s = w.load(w.inputs())
	if loc, err := s.Location(); err != nil || loc != time.Local || s.DefaultTimezone.Source != "env AIRFLOW__CORE__DEFAULT_TIMEZONE" {
		t.Errorf("Location = %v, %v (%+v)", loc, err, s.DefaultTimezone)
	}

	w.env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] = "UTC"
	if loc, err := w.load(w.inputs()).Location(); err != nil || loc != time.UTC {
		t.Errorf("Location(UTC) = %v, %v", loc, err)
	}

	// Airflow falls back to UTC on a zone it cannot load (settings.py).
	w.env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] = "Mars/Olympus"
	s = w.load(w.inputs())
	loc, err := s.Location()
	if loc != time.UTC || !errors.Is(err, ErrInvalid) || len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "Mars/Olympus") {
		t.Errorf("Location = %v, %v; notes %q", loc, err, s.Notes)
	}
}

func TestUserRBACTimeoutPrecedence(t *testing.T) {
	w := newWorld(t)
	w.env["DAGCTL_DB"] = "postgresql://u@h/db?connect_timeout=7"
	check := func(in Inputs, user, userSrc, rbac, rbacSrc string, timeout time.Duration, timeoutSrc string) {
		t.Helper()
		s := w.load(in)
		if s.User != (Value{user, userSrc}) {
			t.Errorf("User = %+v, want %q from %q", s.User, user, userSrc)
		}
		if s.RBAC != (Value{rbac, rbacSrc}) {
			t.Errorf("RBAC = %+v, want %q from %q", s.RBAC, rbac, rbacSrc)
		}
		if s.Timeout != timeout || s.ConnectTimeout != (Value{timeout.String(), timeoutSrc}) {
			t.Errorf("ConnectTimeout = %+v (%v), want %v from %q", s.ConnectTimeout, s.Timeout, timeout, timeoutSrc)
		}
		cfg, err := pgconn.ParseConfig(s.URL.DSN())
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ConnectTimeout != timeout.Round(time.Second) {
			t.Errorf("DSN connect timeout = %v, want %v", cfg.ConnectTimeout, timeout)
		}
	}
	in := w.inputs()
	check(in, "osuser", "OS user", "auto", "default", 7*time.Second, "database URL connect_timeout")

	w.env["DAGCTL_DB"] = "postgresql://u@h/db"
	check(in, "osuser", "OS user", "auto", "default", 10*time.Second, "default")

	p := w.write(".config/dagctl/config.yaml", "user: top\nconnect_timeout: 25\ncurrent-context: c\ncontexts:\n  c: {rbac: Enforce, connect_timeout: 20s}\n")
	ctxSrc := "config file " + p + " (context c)"
	check(in, "top", "config file "+p, "enforce", ctxSrc, 20*time.Second, ctxSrc)

	w.env["DAGCTL_USER"] = "envuser"
	w.env["DAGCTL_RBAC"] = "off"
	w.env["DAGCTL_CONNECT_TIMEOUT"] = "15"
	check(in, "envuser", "env DAGCTL_USER", "off", "env DAGCTL_RBAC", 15*time.Second, "env DAGCTL_CONNECT_TIMEOUT")
	w.env["DAGCTL_CONNECT_TIMEOUT"] = "1m"
	check(in, "envuser", "env DAGCTL_USER", "off", "env DAGCTL_RBAC", time.Minute, "env DAGCTL_CONNECT_TIMEOUT")

	in.UserFlag, in.RBACFlag, in.ConnectTimeoutFlag = "flaguser", "enforce", 3*time.Second
	check(in, "flaguser", "flag --user", "enforce", "flag --rbac", 3*time.Second, "flag --connect-timeout")

	for _, bad := range []func(*Inputs){
		func(in *Inputs) { in.RBACFlag = "sometimes" },
		func(in *Inputs) { in.ConnectTimeoutFlag = -time.Second },
	} {
		in := w.inputs()
		bad(&in)
		if err := w.loadErr(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("error = %v, want ErrInvalid", err)
		}
	}
	for _, v := range []string{"soon", "0", "-5s"} {
		w.env["DAGCTL_CONNECT_TIMEOUT"] = v
		if err := w.loadErr(w.inputs()); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "DAGCTL_CONNECT_TIMEOUT") {
			t.Errorf("DAGCTL_CONNECT_TIMEOUT=%q: error = %v", v, err)
		}
	}
}

func TestViewMasksPassword(t *testing.T) {
	const pw = "V1ewSecret/@:"
	w := newWorld(t)
	w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = "postgresql://airflow:V1ewSecret%2F%40%3A@db:5432/airflow?sslmode=require"
	s := w.load(w.inputs())
	rows := s.View()
	keys := map[string]Row{}
	for _, r := range rows {
		if _, dup := keys[r.Key]; dup {
			t.Errorf("key %q twice", r.Key)
		}
		keys[r.Key] = r
		for _, f := range []string{r.Value, r.Source} {
			if strings.Contains(f, "V1ewSecret") {
				t.Errorf("row %+v shows the password", r)
			}
		}
	}
	want := Row{"db", "postgresql://airflow:xxxxx@db:5432/airflow?sslmode=require", "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"}
	if keys["db"] != want {
		t.Errorf("db row = %+v, want %+v", keys["db"], want)
	}
	for _, k := range []string{"schema", "default_timezone", "user", "rbac", "connect_timeout", "context", "config_file", "airflow_home", "airflow_config"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("no %q row", k)
		}
	}
	secrets := s.Secrets()
	// Both the decoded password and the form written in the URL are known.
	line := "connect postgresql://airflow:V1ewSecret%2F%40%3A@db failed for password " + pw
	if got := Redact(line, secrets...); strings.Contains(got, "V1ewSecret") {
		t.Errorf("Redact left the password: %q (secrets %d)", got, len(secrets))
	}
}

// Every error from an invalid setting is free of the password, whichever
// source carried it.
func TestNoPasswordInErrors(t *testing.T) {
	const pw = "Pw0rdXyz"
	cases := map[string]func(w *world) Inputs{
		"flag mysql": func(w *world) Inputs {
			in := w.inputs()
			in.DBFlag = "mysql://u:" + pw + "@h/db?charset=latin1"
			return in
		},
		"flag bad port": func(w *world) Inputs {
			in := w.inputs()
			in.DBFlag = "postgresql://u:" + pw + "@h:x/db"
			return in
		},
		"flag unencoded @": func(w *world) Inputs {
			in := w.inputs()
			in.DBFlag = "postgresql://u:Pw0r@dXyz@h/db"
			return in
		},
		"env no scheme": func(w *world) Inputs {
			w.env["DAGCTL_DB"] = "u:" + pw + "@h/db"
			return w.inputs()
		},
		"airflow env bad timeout": func(w *world) Inputs {
			w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = "postgresql://u:" + pw + "@h/db?connect_timeout=x"
			return w.inputs()
		},
		"airflow cmd fails": func(w *world) Inputs {
			w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = "echo " + pw + "; false"
			return w.inputs()
		},
		"airflow cmd prints garbage": func(w *world) Inputs {
			w.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] = "echo " + pw
			return w.inputs()
		},
		"cfg bad interpolation": func(w *world) Inputs {
			w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn = postgresql://u:%"+pw+"@h/db\n")
			return w.inputs()
		},
		"cfg missing reference": func(w *world) Inputs {
			w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn = postgresql://u:"+pw+"@h/%(nope)s\n")
			return w.inputs()
		},
		"cfg mssql": func(w *world) Inputs {
			w.write("airflow/airflow.cfg", "[database]\nsql_alchemy_conn = mssql://u:"+pw+"@h/db\n")
			return w.inputs()
		},
		"config file bad rbac": func(w *world) Inputs {
			w.write(".config/dagctl/config.yaml", "db: postgresql://u:"+pw+"@h/db\nrbac: nope\n")
			return w.inputs()
		},
		"config file context as string": func(w *world) Inputs {
			w.write(".config/dagctl/config.yaml", "contexts:\n  a: postgresql://u:"+pw+"@h/db\n")
			return w.inputs()
		},
		"config file unknown context": func(w *world) Inputs {
			w.write(".config/dagctl/config.yaml", "contexts:\n  a: {db: 'postgresql://u:"+pw+"@h/db'}\n")
			in := w.inputs()
			in.ContextFlag = "b"
			return in
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			err := w.loadErr(setup(w))
			for _, leak := range []string{pw, "Pw0r", "dXyz"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error shows (part of) the password: %s", strings.ReplaceAll(err.Error(), leak, "<LEAK>"))
				}
			}
		})
	}
}

func TestOSInputs(t *testing.T) {
	in := OSInputs()
	if in.Getenv == nil || in.RunCmd == nil {
		t.Fatal("OSInputs leaves Getenv or RunCmd nil")
	}
	out, err := in.RunCmd(context.Background(), "echo hi | tr a-z A-Z")
	if err != nil || out != "HI\n" {
		t.Errorf("RunShell = %q, %v", out, err)
	}
}

// The [logging] settings of task logs: env, then airflow.cfg [logging],
// then its 2.x [core] place, then Airflow's default under AIRFLOW_HOME.
func TestLoggingSettings(t *testing.T) {
	w := newWorld(t)
	w.env["AIRFLOW_HOME"] = "~/af"
	s := w.load(w.inputs())
	if want := (Value{filepath.Join(w.home, "af", "logs"), "Airflow default"}); s.BaseLogFolder != want {
		t.Errorf("default BaseLogFolder = %+v, want %+v", s.BaseLogFolder, want)
	}
	if s.RemoteLoggingOn() || s.RemoteBaseLogFolder.Value != "" || s.LogFilenameTemplate.Value != DefaultLogFilenameTemplate {
		t.Errorf("defaults: remote %+v %+v template %+v", s.RemoteLogging, s.RemoteBaseLogFolder, s.LogFilenameTemplate)
	}
	cfg := w.write("af/airflow.cfg", "[core]\nbase_log_folder = /core/logs\nremote_logging = True\n[logging]\nremote_base_log_folder = s3://b/logs\n")
	s = w.load(w.inputs())
	if s.BaseLogFolder != (Value{"/core/logs", "airflow.cfg " + cfg + " [core] base_log_folder"}) || !s.RemoteLoggingOn() || s.RemoteBaseLogFolder.Value != "s3://b/logs" {
		t.Errorf("from airflow.cfg: %+v %+v %+v", s.BaseLogFolder, s.RemoteLogging, s.RemoteBaseLogFolder)
	}
	w.write("af/airflow.cfg", "[core]\nbase_log_folder = /core/logs\n[logging]\nbase_log_folder = $HOME/l\nremote_logging = off\n")
	w.env["HOME"] = w.home
	s = w.load(w.inputs())
	if s.BaseLogFolder.Value != filepath.Join(w.home, "l") || s.RemoteLoggingOn() {
		t.Errorf("[logging] first: %+v %+v", s.BaseLogFolder, s.RemoteLogging)
	}
	w.env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = "/env/logs"
	s = w.load(w.inputs())
	if s.BaseLogFolder != (Value{"/env/logs", "env AIRFLOW__LOGGING__BASE_LOG_FOLDER"}) {
		t.Errorf("env: %+v", s.BaseLogFolder)
	}
	rows := map[string]bool{}
	for _, r := range s.View() {
		rows[r.Key] = true
	}
	for _, k := range []string{"base_log_folder", "remote_logging", "remote_base_log_folder", "log_filename_template"} {
		if !rows[k] {
			t.Errorf("config view has no %s row", k)
		}
	}
}
