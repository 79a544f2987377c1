package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
)

// airflowSettings reads settings the way Airflow's AirflowConfigParser.get
// does (airflow/configuration.py, 2.7–3.x):
//
//  1. env AIRFLOW__{SECTION}__{KEY}, with env vars and ~ expanded;
//  2. env AIRFLOW__{SECTION}__{KEY}_CMD, run, for sensitive options only;
//  3. env AIRFLOW__{SECTION}__{KEY}_SECRET: needs Airflow's secrets backend,
//     which dagctl cannot load; it is skipped with a note;
//  4. 1–3 for the deprecated location of the option ([core] in 2.x);
//  5. airflow.cfg [section] key (interpolated, then expanded), then the
//     deprecated location;
//  6. airflow.cfg [section] key_cmd, then the deprecated location (an empty
//     output falls through, as Airflow's "if option" does);
//  7. airflow.cfg key_secret: skipped with a note, like 3;
//  8. Airflow's default.
//
// So a plain value beats a command at each level, and the environment beats
// the file. The [core] fallbacks are what Airflow 2.3–2.11 reads for the
// options moved to [database]; Airflow 3 no longer reads them, but a 3.x
// airflow.cfg has [database] and so never gets that far.
type airflowSettings struct {
	getenv   func(string) (string, bool)
	home     string // the user's home, for ~
	runCmd   func(ctx context.Context, command string) (string, error)
	notes    *[]string
	noted    map[string]bool
	homeDir  Value // AIRFLOW_HOME
	cfgPath  Value // airflow.cfg
	cfg      *iniFile
	cfgFound bool
}

type airflowOption struct {
	section, key string
	// legacySection is where 2.x also looks ("core" for options moved to
	// [database] in 2.3, configuration.py deprecated_options).
	legacySection string
	sensitive     bool // sensitive options may come from _CMD / _cmd
}

var (
	optSQLAlchemyConn   = airflowOption{section: "database", key: "sql_alchemy_conn", legacySection: "core", sensitive: true}
	optSQLAlchemySchema = airflowOption{section: "database", key: "sql_alchemy_schema", legacySection: "core"}
	optDefaultTimezone  = airflowOption{section: "core", key: "default_timezone"}
	// Task logs ([logging] since 2.0; 2.x still reads the old [core] place,
	// configuration.py deprecated_options).
	optBaseLogFolder       = airflowOption{section: "logging", key: "base_log_folder", legacySection: "core"}
	optRemoteLogging       = airflowOption{section: "logging", key: "remote_logging", legacySection: "core"}
	optRemoteBaseLogFolder = airflowOption{section: "logging", key: "remote_base_log_folder", legacySection: "core"}
	optLogFilenameTemplate = airflowOption{section: "logging", key: "log_filename_template", legacySection: "core"}
)

func newAirflowSettings(in Inputs, notes *[]string) (*airflowSettings, error) {
	a := &airflowSettings{getenv: in.Getenv, home: in.HomeDir, runCmd: in.RunCmd, notes: notes, noted: map[string]bool{}}
	// configuration.py get_airflow_home / get_airflow_config.
	if h, ok := a.getenv("AIRFLOW_HOME"); ok {
		a.homeDir = Value{Value: a.expand(h), Source: "env AIRFLOW_HOME"}
	} else {
		a.homeDir = Value{Value: a.expand("~/airflow"), Source: "Airflow default"}
	}
	if c, ok := a.getenv("AIRFLOW_CONFIG"); ok {
		a.cfgPath = Value{Value: a.expand(c), Source: "env AIRFLOW_CONFIG"}
	} else {
		a.cfgPath = Value{Value: filepath.Join(a.homeDir.Value, "airflow.cfg"), Source: "$AIRFLOW_HOME/airflow.cfg"}
	}
	f, err := os.Open(a.cfgPath.Value)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Airflow would write a default airflow.cfg here; dagctl writes
		// nothing and reads the defaults.
		a.cfgPath.Source += " (not found)"
		return a, nil
	case err != nil:
		return nil, fmt.Errorf("read airflow.cfg: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, invalidf("airflow config %s is a directory, not a file", a.cfgPath.Value)
	}
	if a.cfg, err = parseINI(a.cfgPath.Value, f); err != nil {
		return nil, err
	}
	a.cfgFound = true
	return a, nil
}

func envName(section, key string) string {
	return "AIRFLOW__" + strings.ToUpper(strings.ReplaceAll(section, ".", "_")) + "__" + strings.ToUpper(key)
}

func (a *airflowSettings) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !a.noted[msg] {
		a.noted[msg] = true
		*a.notes = append(*a.notes, msg)
	}
}

// lookup resolves opt; found is false when only Airflow's default remains.
func (a *airflowSettings) lookup(ctx context.Context, opt airflowOption) (v Value, found bool, err error) {
	sections := []string{opt.section}
	if opt.legacySection != "" {
		sections = append(sections, opt.legacySection)
	}
	// Environment: configuration.py _get_environment_variables / _get_env_var_option.
	for _, sec := range sections {
		name := envName(sec, opt.key)
		if val, ok := a.getenv(name); ok {
			return Value{Value: a.expand(val), Source: "env " + name}, true, nil
		}
		if !opt.sensitive {
			continue
		}
		if cmd, ok := a.getenv(name + "_CMD"); ok {
			out, err := a.run(ctx, cmd, "env "+name+"_CMD")
			if err != nil {
				return Value{}, false, err
			}
			return Value{Value: out, Source: "env " + name + "_CMD"}, true, nil
		}
		if _, ok := a.getenv(name + "_SECRET"); ok {
			a.note("%s_SECRET is set but dagctl cannot read Airflow's secrets backend; ignored", name)
		}
	}
	if a.cfg == nil {
		return Value{}, false, nil
	}
	// Config file: _get_option_from_config_file.
	for _, sec := range sections {
		val, ok, err := a.cfg.get(sec, opt.key)
		if err != nil {
			return Value{}, false, err
		}
		if ok {
			return Value{Value: a.expand(val), Source: fmt.Sprintf("airflow.cfg %s [%s] %s", a.cfg.path, sec, opt.key)}, true, nil
		}
	}
	if !opt.sensitive {
		return Value{}, false, nil
	}
	// Commands: _get_option_from_commands / _get_cmd_option. The command is
	// interpolated but not expanded; an empty output falls through.
	for _, sec := range sections {
		cmd, ok, err := a.cfg.get(sec, opt.key+"_cmd")
		if err != nil {
			return Value{}, false, err
		}
		if !ok {
			continue
		}
		src := fmt.Sprintf("airflow.cfg %s [%s] %s_cmd", a.cfg.path, sec, opt.key)
		out, err := a.run(ctx, cmd, src)
		if err != nil {
			return Value{}, false, err
		}
		if out != "" {
			return Value{Value: out, Source: src}, true, nil
		}
	}
	for _, sec := range sections {
		if a.cfg.has(sec, opt.key+"_secret") {
			a.note("airflow.cfg %s [%s] %s_secret is set but dagctl cannot read Airflow's secrets backend; ignored", a.cfg.path, sec, opt.key)
		}
	}
	return Value{}, false, nil
}

// run runs a _CMD. Airflow splits the command with shlex and runs it without
// a shell; dagctl passes it to sh -c, which runs every such command the same
// way. The error names the setting, never the command or its output: either
// may hold the password.
func (a *airflowSettings) run(ctx context.Context, cmd, source string) (string, error) {
	out, err := a.runCmd(ctx, cmd)
	if err != nil {
		return "", fmt.Errorf("run the command in %s: %w", source, err)
	}
	return strings.TrimSpace(out), nil
}

// expand is configuration.py expand_env_var: os.path.expandvars then
// os.path.expanduser, repeated until nothing changes.
func (a *airflowSettings) expand(s string) string {
	for i := 0; i < 100 && s != ""; i++ {
		next := a.expandUser(a.expandVars(s))
		if next == s {
			break
		}
		s = next
	}
	return s
}

var pyVarRef = regexp.MustCompile(`\$([A-Za-z0-9_]+|\{[^}]*\})`)

// expandVars is posixpath.expandvars: $name and ${name}; unknown names stay.
func (a *airflowSettings) expandVars(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	i := 0
	for {
		loc := pyVarRef.FindStringSubmatchIndex(s[i:])
		if loc == nil {
			return s
		}
		start, end := i+loc[0], i+loc[1]
		name := s[i+loc[2] : i+loc[3]]
		if strings.HasPrefix(name, "{") && strings.HasSuffix(name, "}") {
			name = name[1 : len(name)-1]
		}
		val, ok := a.getenv(name)
		if !ok {
			i = end
			continue
		}
		tail := s[end:]
		s = s[:start] + val
		i = len(s)
		s += tail
	}
}

// expandUser is posixpath.expanduser: "~" is $HOME (else the account's
// home), "~name" that user's home; an unknown user leaves the text as is.
func (a *airflowSettings) expandUser(s string) string {
	if !strings.HasPrefix(s, "~") {
		return s
	}
	i := strings.IndexByte(s[1:], '/') + 1
	if i == 0 {
		i = len(s)
	}
	var home string
	if i == 1 {
		if h, ok := a.getenv("HOME"); ok {
			home = h
		} else if a.home != "" {
			home = a.home
		} else {
			return s
		}
	} else {
		u, err := user.Lookup(s[1:i])
		if err != nil {
			return s
		}
		home = u.HomeDir
	}
	home = strings.TrimRight(home, "/")
	if out := home + s[i:]; out != "" {
		return out
	}
	return "/"
}
