package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The same config in each format viper reads for dagctl. The top-level
// connect_timeout is a number of seconds, the context's a duration string.
var sameConfig = map[string]string{
	"config.yaml": `current-context: prod
user: topuser
connect_timeout: 25
contexts:
  prod:
    db: "postgresql://airflow:secret@db:5432/airflow"
    rbac: enforce
    schema: airflow
    connect_timeout: 5s
  local:
    db: "sqlite:////home/alice/airflow/airflow.db"
`,
	"config.yml": `{current-context: prod, user: topuser, connect_timeout: 25, contexts: {
  prod: {db: "postgresql://airflow:secret@db:5432/airflow", rbac: enforce, schema: airflow, connect_timeout: 5s},
  local: {db: "sqlite:////home/alice/airflow/airflow.db"}}}
`,
	"config.json": `{
  "current-context": "prod",
  "user": "topuser",
  "connect_timeout": 25,
  "contexts": {
    "prod": {"db": "postgresql://airflow:secret@db:5432/airflow", "rbac": "enforce", "schema": "airflow", "connect_timeout": "5s"},
    "local": {"db": "sqlite:////home/alice/airflow/airflow.db"}
  }
}
`,
	"config.toml": `current-context = "prod"
user = "topuser"
connect_timeout = 25

[contexts.prod]
db = "postgresql://airflow:secret@db:5432/airflow"
rbac = "enforce"
schema = "airflow"
connect_timeout = "5s"

[contexts.local]
db = "sqlite:////home/alice/airflow/airflow.db"
`,
}

func TestConfigFileFormats(t *testing.T) {
	for name, content := range sameConfig {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			p := w.write("cfg/"+name, content)
			in := w.inputs()
			in.ConfigFlag = p
			s := w.load(in)
			src, top := "config file "+p+" (context prod)", "config file "+p
			for _, c := range []struct {
				what      string
				got, want Value
			}{
				{"Context", s.Context, Value{"prod", "config file current-context"}},
				{"DB", s.DB, Value{"postgresql://airflow:xxxxx@db:5432/airflow", src}},
				{"User", s.User, Value{"topuser", top}},
				{"RBAC", s.RBAC, Value{"enforce", src}},
				{"Schema", s.Schema, Value{"airflow", src}},
				{"ConnectTimeout", s.ConnectTimeout, Value{"5s", src}},
			} {
				if c.got != c.want {
					t.Errorf("%s = %+v, want %+v", c.what, c.got, c.want)
				}
			}
			if s.Timeout != 5*time.Second {
				t.Errorf("Timeout = %v", s.Timeout)
			}

			// The other context: only db is its own, the rest is top level.
			in.ContextFlag = "local"
			s = w.load(in)
			if s.URL.Path != "/home/alice/airflow/airflow.db" || s.DB.Source != src[:len(src)-len("prod)")]+"local)" {
				t.Errorf("local: DB %+v path %q", s.DB, s.URL.Path)
			}
			if s.Timeout != 25*time.Second || s.ConnectTimeout != (Value{"25s", top}) {
				t.Errorf("local: ConnectTimeout %+v (%v), want 25s from the top level", s.ConnectTimeout, s.Timeout)
			}
			if s.RBAC != (Value{"auto", "default"}) {
				t.Errorf("local: RBAC = %+v", s.RBAC)
			}

			// Through $DAGCTL_CONFIG the extension decides the same way.
			w.env["DAGCTL_CONFIG"] = p
			if s := w.load(w.inputs()); s.DB.Source != src || s.ConfigFile != (Value{p, "env DAGCTL_CONFIG"}) {
				t.Errorf("DAGCTL_CONFIG: DB %+v ConfigFile %+v", s.DB, s.ConfigFile)
			}
		})
	}
}

// A file is read in the format its extension names, not guessed from the
// contents: TOML in a .json file is a syntax error.
func TestConfigFileFormatFromExtension(t *testing.T) {
	w := newWorld(t)
	in := w.inputs()
	in.ConfigFlag = w.write("cfg/config.json", sameConfig["config.toml"])
	if err := w.loadErr(in); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), in.ConfigFlag) {
		t.Errorf("TOML in .json: error = %v", err)
	}
	// Any other extension is YAML.
	in.ConfigFlag = w.write("cfg/dagctl.conf", sameConfig["config.yaml"])
	if s := w.load(in); s.Context.Value != "prod" || s.Schema.Value != "airflow" {
		t.Errorf(".conf as YAML: Context %+v Schema %+v", s.Context, s.Schema)
	}
	// An empty file sets nothing, whatever the format.
	for _, name := range []string{"empty.json", "empty.toml", "empty.yaml"} {
		in.ConfigFlag = w.write("cfg/"+name, "\n")
		if s := w.load(in); s.Context != (Value{"", "none"}) || s.ConfigFile.Value != in.ConfigFlag {
			t.Errorf("%s: Context %+v ConfigFile %+v", name, s.Context, s.ConfigFile)
		}
	}
}

func TestConfigFileUnknownKey(t *testing.T) {
	const pw = "Sup3rSecretPw"
	db := "postgresql://u:" + pw + "@h/db"
	for _, c := range []struct {
		name, content, key string
	}{
		{"top.yaml", "db: " + db + "\ndbb: " + db + "\n", "unknown key dbb"},
		{"ctx.yaml", "contexts:\n  prod: {db: '" + db + "', usr: alice}\n", "contexts[prod]: unknown key usr"},
		{"two.yaml", "db: " + db + "\ncurrent_context: prod\nrbca: off\n", "unknown keys current_context, rbca"},
		{"top.json", `{"db": "` + db + `", "conect_timeout": 5}`, "unknown key conect_timeout"},
		{"ctx.json", `{"contexts": {"prod": {"db": "` + db + `", "sheme": "x"}}}`, "contexts[prod]: unknown key sheme"},
		{"top.toml", "db = '" + db + "'\ndatabase = '" + db + "'\n", "unknown key database"},
		{"ctx.toml", "[contexts.prod]\ndb = '" + db + "'\n[contexts.prod.extra]\nx = 1\n", "contexts[prod]: unknown key extra"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			in := w.inputs()
			in.ConfigFlag = w.write("cfg/"+c.name, c.content)
			err := w.loadErr(in)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", Redact(err.Error(), pw))
			}
			if msg := err.Error(); !strings.Contains(msg, c.key) || !strings.Contains(msg, "config file "+in.ConfigFlag) {
				t.Errorf("error = %q, want it to name %q and the file", Redact(msg, pw), c.key)
			}
			if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error shows the password or spans lines: %q", Redact(err.Error(), pw))
			}
		})
	}
}

// Bad values in JSON and TOML files are refused like in YAML, without
// quoting the value.
func TestConfigFileBadValues(t *testing.T) {
	const pw = "Sup3rSecretPw"
	db := "postgresql://u:" + pw + "@h/db"
	for name, content := range map[string]string{
		"ctx-string.json":    `{"contexts": {"prod": "` + db + `"}}`,
		"ctx-string.toml":    "[contexts]\nprod = '" + db + "'\n",
		"timeout-word.json":  `{"db": "` + db + `", "connect_timeout": "soon"}`,
		"timeout-zero.toml":  "db = '" + db + "'\nconnect_timeout = 0\n",
		"timeout-bool.yaml":  "db: " + db + "\nconnect_timeout: true\n",
		"timeout-map.yaml":   "db: " + db + "\nconnect_timeout: {s: 10}\n",
		"user-list.json":     `{"db": "` + db + `", "user": ["a", "b"]}`,
		"db-map.yaml":        "db: {url: '" + db + "'}\n",
		"syntax.json":        `{"db": "` + db + `",}`,
		"syntax.toml":        "db = '" + db + "\n",
		"scalar-file.yaml":   db + "\n",
		"contexts-list.toml": "contexts = ['" + db + "']\n",
		"ctx-list.yaml":      "contexts:\n  prod:\n  - db: " + db + "\n", // a list of mappings is not a mapping
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			in := w.inputs()
			in.ConfigFlag = w.write("cfg/"+name, content)
			err := w.loadErr(in)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), in.ConfigFlag) {
				t.Errorf("error = %v, want ErrInvalid naming the file", Redact(err.Error(), pw))
			}
			for _, leak := range []string{pw, "Sup3r", "etPw"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error shows (part of) the password: %s", strings.ReplaceAll(err.Error(), leak, "<LEAK>"))
				}
			}
		})
	}
}

// Numbers in string fields are strings, as when YAML was decoded straight
// into the struct; a timeout may be a fraction of seconds.
func TestConfigFileScalars(t *testing.T) {
	w := newWorld(t)
	in := w.inputs()
	in.ConfigFlag = w.write("cfg/c.json", `{"db": "sqlite:////x.db", "user": 1234, "schema": 2024, "connect_timeout": 2.5}`)
	s := w.load(in)
	if s.User.Value != "1234" || s.Schema.Value != "2024" {
		t.Errorf("User %+v Schema %+v", s.User, s.Schema)
	}
	if s.Timeout != 2500*time.Millisecond {
		t.Errorf("Timeout = %v", s.Timeout)
	}
	in.ConfigFlag = w.write("cfg/c.toml", "db = 'sqlite:////x.db'\nuser = 77\nconnect_timeout = 90\n")
	if s := w.load(in); s.User.Value != "77" || s.Timeout != 90*time.Second {
		t.Errorf("TOML: User %+v Timeout %v", s.User, s.Timeout)
	}
}

// viper lowercases keys, so context names are case-insensitive everywhere.
func TestContextNameCase(t *testing.T) {
	w := newWorld(t)
	p := w.write(".config/dagctl/config.yaml", `current-context: PROD
DB: "sqlite:////top.db"
contexts:
  Prod: {db: "sqlite:////prod.db", RBAC: enforce}
  team.eu: {db: "sqlite:////eu.db"}
  empty:
`)
	src := "config file " + p + " (context prod)"
	s := w.load(w.inputs())
	if s.Context != (Value{"PROD", "config file current-context"}) || s.URL.Path != "/prod.db" ||
		s.DB.Source != src || s.RBAC != (Value{"enforce", src}) {
		t.Errorf("current-context PROD: Context %+v DB %+v RBAC %+v", s.Context, s.DB, s.RBAC)
	}

	in := w.inputs()
	in.ContextFlag = "pRoD"
	if s := w.load(in); s.Context != (Value{"pRoD", "flag --context"}) || s.URL.Path != "/prod.db" {
		t.Errorf("--context pRoD: Context %+v path %q", s.Context, s.URL.Path)
	}
	w.env["DAGCTL_CONTEXT"] = "prod"
	if s := w.load(w.inputs()); s.Context != (Value{"prod", "env DAGCTL_CONTEXT"}) || s.URL.Path != "/prod.db" {
		t.Errorf("DAGCTL_CONTEXT=prod: Context %+v path %q", s.Context, s.URL.Path)
	}
	delete(w.env, "DAGCTL_CONTEXT")

	// A dot in a name is part of the name, not a nesting.
	in.ContextFlag = "Team.EU"
	if s := w.load(in); s.URL.Path != "/eu.db" || s.DB.Source != "config file "+p+" (context team.eu)" {
		t.Errorf("--context Team.EU: DB %+v path %q", s.DB, s.URL.Path)
	}
	// A context with nothing in it exists; the top level fills it.
	in.ContextFlag = "EMPTY"
	if s := w.load(in); s.URL.Path != "/top.db" || s.DB.Source != "config file "+p {
		t.Errorf("--context EMPTY: DB %+v path %q", s.DB, s.URL.Path)
	}

	in.ContextFlag = "Staging"
	err := w.loadErr(in)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `context "Staging" (flag --context)`) ||
		!strings.Contains(err.Error(), "known contexts: empty, prod, team.eu") {
		t.Errorf("unknown context error = %v", err)
	}
}

// Two names that differ only in case would be one after viper lowercased
// them: an error, not a silent pick.
func TestConfigFileKeysDifferingInCase(t *testing.T) {
	for name, c := range map[string]struct{ content, want string }{
		"ctx.yaml": {"contexts:\n  prod: {db: 'sqlite:////a.db'}\n  Prod: {db: 'sqlite:////b.db'}\n",
			`contexts: "Prod" and "prod" are the same key`},
		"top.json": {`{"db": "sqlite:////a.db", "DB": "sqlite:////b.db"}`, `"DB" and "db" are the same key`},
		"ctx.toml": {"[contexts.prod]\nuser = 'a'\nUser = 'b'\n", `contexts: prod: "User" and "user" are the same key`},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			in := w.inputs()
			in.ConfigFlag = w.write("cfg/"+name, c.content)
			err := w.loadErr(in)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), in.ConfigFlag) {
				t.Errorf("error = %v, want ErrInvalid with %q and the file", err, c.want)
			}
		})
	}
}
