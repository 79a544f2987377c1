// Package config decides where dagctl's settings come from: its flags, its
// DAGCTL_* environment, its own config file (see File), and, for the
// database and what Airflow itself configures, Airflow's settings read the
// way Airflow reads them (airflow/configuration.py). Every resolved value
// carries its source, so `dagctl config view` can answer "why am I pointed
// at production?".
//
// Database URL, first found wins:
//
//  1. --db URL
//  2. env DAGCTL_DB
//  3. dagctl's config file: the selected context's db (--context NAME, else
//     env DAGCTL_CONTEXT, else current-context), else a top-level db
//  4. Airflow's sql_alchemy_conn: env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN,
//     env ..._CMD, airflow.cfg ($AIRFLOW_CONFIG, else
//     $AIRFLOW_HOME/airflow.cfg) [database] sql_alchemy_conn, then
//     [database] sql_alchemy_conn_cmd, each also at its 2.x [core] place
//     (see airflowSettings for the exact order)
//  5. Airflow's default sqlite:///$AIRFLOW_HOME/airflow.db (AIRFLOW_HOME
//     defaults to ~/airflow)
//
// Others: schema (context schema, top-level schema, Airflow's
// sql_alchemy_schema, else none); default_timezone (Airflow's [core]
// default_timezone, default "utc"); user (--user, DAGCTL_USER, config user,
// the OS user); rbac (--rbac, DAGCTL_RBAC, config rbac, default auto);
// connect timeout (flag, DAGCTL_CONNECT_TIMEOUT, config connect_timeout,
// the URL's connect_timeout, default 10s); TLS (the URL's query, else config
// sslmode/sslrootcert/sslcert/sslkey/sslpassword, else libpq's PGSSL*
// variables, read by the driver). Airflow's sql_alchemy_connect_args cannot
// be loaded: when set, a note says so. An empty DAGCTL_* variable counts
// as unset; a set-but-empty AIRFLOW__* variable counts as set, as in Airflow.
//
// Errors from bad settings wrap ErrInvalid. No error, Value or View row
// contains a password; Settings.Secrets lists them for Redact.
package config

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"time"
)

// Inputs is what the CLI layer hands to Load: flag values (empty or zero
// when not given) and the process's environment as functions.
type Inputs struct {
	DBFlag, ConfigFlag, ContextFlag, UserFlag, RBACFlag string
	ConnectTimeoutFlag                                  time.Duration // 0 = not given
	// LockTimeoutFlag and StatementTimeoutFlag: nil = not given, 0 = off.
	LockTimeoutFlag, StatementTimeoutFlag *time.Duration

	Getenv  func(string) (string, bool)                               // os.LookupEnv in production
	HomeDir string                                                    // os.UserHomeDir
	OSUser  string                                                    // os/user name
	RunCmd  func(ctx context.Context, command string) (string, error) // runs a _CMD (RunShell)
}

// OSInputs returns Inputs for the real process: os.LookupEnv, the user's
// home directory and name, and RunShell. The caller fills in the flags.
func OSInputs() Inputs {
	in := Inputs{Getenv: os.LookupEnv, RunCmd: RunShell}
	in.HomeDir, _ = os.UserHomeDir()
	if u, err := user.Current(); err == nil {
		in.OSUser = u.Username
	}
	return in
}

// RunShell runs command with sh -c and returns its standard output. On
// failure the error holds the exit status and the last line of standard
// error, never the output.
func RunShell(ctx context.Context, command string) (string, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
			return "", fmt.Errorf("%w: %s", err, last)
		}
		return "", err
	}
	return stdout.String(), nil
}

// Value is a resolved setting and where it came from, e.g. "flag --db",
// "env DAGCTL_DB", "config file /p/config.yaml (context prod)",
// "env AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
// "airflow.cfg /p/airflow.cfg [database] sql_alchemy_conn", "Airflow default".
type Value struct {
	Value  string
	Source string
}

// RBAC modes.
const (
	RBACAuto    = "auto"
	RBACEnforce = "enforce"
	RBACOff     = "off"
)

// DefaultConnectTimeout applies when nothing sets a connect timeout.
const DefaultConnectTimeout = 10 * time.Second

// DefaultLockTimeout bounds a write's lock waits when nothing else does.
const DefaultLockTimeout = 10 * time.Second

// DefaultWriteStatementTimeout bounds each statement of a write when no
// statement timeout is set (reads are unbounded then).
const DefaultWriteStatementTimeout = time.Minute

// Settings is everything Load resolved.
type Settings struct {
	// DB is the database URL, already redacted: the password is only inside
	// URL (for URL.DSN).
	DB              Value
	Schema          Value // Airflow's sql_alchemy_schema; "" = the default search_path
	DefaultTimezone Value // "utc", "system" or an IANA name
	User            Value
	RBAC            Value // auto | enforce | off
	ConnectTimeout  Value // a Go duration, e.g. "10s"
	// LockTimeout bounds each lock wait of a write ("0s" = off);
	// StatementTimeout bounds each statement ("0s" = off, the default).
	LockTimeout, StatementTimeout Value
	ConfigFile                    Value // dagctl's config file (Source says if it was not found)
	Context                       Value // selected context; "" = none
	AirflowHome                   Value
	AirflowConfig                 Value // airflow.cfg

	// Task logs, Airflow's [logging] settings: where `tasks logs` reads.
	BaseLogFolder       Value // default $AIRFLOW_HOME/logs
	RemoteLogging       Value // "True"/"False" as written; see RemoteLoggingOn
	RemoteBaseLogFolder Value
	// LogFilenameTemplate is Airflow's current template: used only when
	// the schema has no log_template table (Airflow 3.4+).
	LogFilenameTemplate Value

	URL *DBURL // parsed DB, with Schema and the connect timeout applied

	// TLS holds the effective libpq TLS settings (sslmode, sslrootcert,
	// sslcert, sslkey, sslpassword masked) that something sets, with their
	// source: the database URL's query, dagctl's config file (merged into
	// URL's query when the URL does not set the key), a PGSSL* variable, or
	// libpq's default (sslmode prefer). PostgreSQL only.
	TLS map[string]Value

	// Timeout is ConnectTimeout as a duration.
	Timeout time.Duration
	// LockWait and StatementLimit are LockTimeout and StatementTimeout as
	// durations; WriteStatementLimit is the statement timeout of writes
	// (StatementLimit when one is set, else DefaultWriteStatementTimeout,
	// or 0 when the URL's options set statement_timeout themselves).
	LockWait, StatementLimit, WriteStatementLimit time.Duration

	// Warnings must reach the user even with -q: a security setting of
	// Airflow's that dagctl cannot apply (sql_alchemy_connect_args).
	Warnings []string

	// Notes are things the user may want to know, such as an Airflow
	// setting dagctl ignored. The CLI may print them as warnings.
	Notes []string
}

// Load resolves the settings. ctx bounds any _CMD it has to run; a command
// runs only when its setting is the one that decides.
func Load(ctx context.Context, in Inputs) (*Settings, error) {
	if in.Getenv == nil {
		in.Getenv = os.LookupEnv
	}
	if in.RunCmd == nil {
		in.RunCmd = RunShell
	}
	s := &Settings{}

	fst, err := loadFile(in)
	if err != nil {
		return nil, err
	}
	s.ConfigFile, s.Context = fst.path, fst.ctxName

	af, err := newAirflowSettings(in, &s.Notes)
	if err != nil {
		return nil, err
	}
	s.AirflowHome, s.AirflowConfig = af.homeDir, af.cfgPath

	// Database URL.
	switch {
	case in.DBFlag != "":
		s.DB = Value{Value: in.DBFlag, Source: "flag --db"}
	case envSet(in, "DAGCTL_DB"):
		v, _ := in.Getenv("DAGCTL_DB")
		s.DB = Value{Value: v, Source: "env DAGCTL_DB"}
	default:
		if v, ok := fst.pick(func(c *Context) string { return c.DB }); ok {
			s.DB = v
			break
		}
		v, found, err := af.lookup(ctx, optSQLAlchemyConn)
		if err != nil {
			return nil, err
		}
		if !found {
			// config.yml default "sqlite:///{AIRFLOW_HOME}/airflow.db",
			// formatted with AIRFLOW_HOME and then expanded.
			v = Value{Value: af.expand("sqlite:///" + af.homeDir.Value + "/airflow.db"), Source: "Airflow default"}
		}
		s.DB = v
	}
	u, err := ParseDBURL(s.DB.Value)
	if err != nil {
		return nil, invalidWrap(err, "%s", s.DB.Source)
	}
	s.URL = u
	s.DB.Value = u.Redacted()
	if err := s.applyTLS(fst, u, in); err != nil {
		return nil, err
	}
	s.noteUnsupportedTLS(u)
	s.noteConnectArgs(ctx, af)

	// Schema: the context's, else Airflow's.
	if v, ok := fst.pick(func(c *Context) string { return c.Schema }); ok {
		s.Schema = v
	} else if v, found, err := af.lookup(ctx, optSQLAlchemySchema); err != nil {
		return nil, err
	} else if found {
		s.Schema = v
	} else {
		s.Schema = Value{Source: "Airflow default"}
	}
	if u.Dialect == DialectPostgres {
		u.WithSchema(s.Schema.Value)
	}

	// default_timezone, Airflow's only (settings.py reads it at import).
	if v, found, err := af.lookup(ctx, optDefaultTimezone); err != nil {
		return nil, err
	} else if found {
		s.DefaultTimezone = v
	} else {
		s.DefaultTimezone = Value{Value: "utc", Source: "Airflow default"}
	}
	if _, err := s.Location(); err != nil {
		s.Notes = append(s.Notes, err.Error())
	}

	if err := s.loadLogging(ctx, af); err != nil {
		return nil, err
	}

	// User.
	switch {
	case in.UserFlag != "":
		s.User = Value{Value: in.UserFlag, Source: "flag --user"}
	case envSet(in, "DAGCTL_USER"):
		v, _ := in.Getenv("DAGCTL_USER")
		s.User = Value{Value: v, Source: "env DAGCTL_USER"}
	default:
		if v, ok := fst.pick(func(c *Context) string { return c.User }); ok {
			s.User = v
		} else if in.OSUser != "" {
			s.User = Value{Value: in.OSUser, Source: "OS user"}
		} else {
			s.User = Value{Source: "none"}
		}
	}

	// RBAC mode.
	switch {
	case in.RBACFlag != "":
		s.RBAC = Value{Value: in.RBACFlag, Source: "flag --rbac"}
	case envSet(in, "DAGCTL_RBAC"):
		v, _ := in.Getenv("DAGCTL_RBAC")
		s.RBAC = Value{Value: v, Source: "env DAGCTL_RBAC"}
	default:
		if v, ok := fst.pick(func(c *Context) string { return c.RBAC }); ok {
			s.RBAC = v
		} else {
			s.RBAC = Value{Value: RBACAuto, Source: "default"}
		}
	}
	switch mode := strings.ToLower(strings.TrimSpace(s.RBAC.Value)); mode {
	case RBACAuto, RBACEnforce, RBACOff:
		s.RBAC.Value = mode
	default:
		return nil, invalidf("rbac mode %q from %s: must be auto, enforce or off", s.RBAC.Value, s.RBAC.Source)
	}

	// Connect timeout.
	var src string
	switch {
	case in.ConnectTimeoutFlag < 0:
		return nil, invalidf("connect timeout from flag: %s must be greater than zero", in.ConnectTimeoutFlag)
	case in.ConnectTimeoutFlag > 0:
		s.Timeout, src = in.ConnectTimeoutFlag, "flag --connect-timeout"
	case envSet(in, "DAGCTL_CONNECT_TIMEOUT"):
		v, _ := in.Getenv("DAGCTL_CONNECT_TIMEOUT")
		d, err := parseTimeout(v)
		if err != nil {
			return nil, invalidf("connect timeout from env DAGCTL_CONNECT_TIMEOUT: %v", err)
		}
		s.Timeout, src = d, "env DAGCTL_CONNECT_TIMEOUT"
	default:
		if d, v, ok := fst.timeout(); ok {
			s.Timeout, src = d, v.Source
		} else if t := u.Query.Get("connect_timeout"); u.Dialect != DialectSQLite && t != "" {
			var n int
			fmt.Sscan(t, &n) // validated by ParseDBURL
			s.Timeout, src = time.Duration(n)*time.Second, "database URL connect_timeout"
		} else {
			s.Timeout, src = DefaultConnectTimeout, "default"
		}
	}
	s.ConnectTimeout = Value{Value: s.Timeout.String(), Source: src}
	if s.Timeout > 0 {
		u.WithConnectTimeout(s.Timeout)
	}

	var err2 error
	if s.LockWait, s.LockTimeout, err2 = resolveLimit(in, fst, "lock", in.LockTimeoutFlag, DefaultLockTimeout,
		func(c *Context) fileLimit { return c.LockTimeout }); err2 != nil {
		return nil, err2
	}
	if s.StatementLimit, s.StatementTimeout, err2 = resolveLimit(in, fst, "statement", in.StatementTimeoutFlag, 0,
		func(c *Context) fileLimit { return c.StatementTimeout }); err2 != nil {
		return nil, err2
	}
	s.WriteStatementLimit = s.StatementLimit
	if s.StatementTimeout.Source == "default" {
		s.WriteStatementLimit = DefaultWriteStatementTimeout
		if strings.Contains(strings.Join(u.Query["options"], " "), "statement_timeout") {
			s.WriteStatementLimit = 0 // the URL's own setting stays
		}
		s.StatementTimeout.Value = "off for reads, " + s.WriteStatementLimit.String() + " for writes"
		if s.WriteStatementLimit == 0 {
			s.StatementTimeout.Value = "off (the database URL's options set statement_timeout)"
		}
	}
	return s, nil
}

// DefaultLogFilenameTemplate is [logging] log_filename_template's default
// in Airflow 3 (airflow-core/src/airflow/config_templates/config.yml).
const DefaultLogFilenameTemplate = "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/" +
	"{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}attempt={{ try_number|default(ti.try_number) }}.log"

// loadLogging resolves the [logging] settings task logs need, Airflow's only.
func (s *Settings) loadLogging(ctx context.Context, af *airflowSettings) error {
	get := func(opt airflowOption, def string) (Value, error) {
		v, found, err := af.lookup(ctx, opt)
		if err != nil {
			return Value{}, err
		}
		if !found {
			return Value{Value: def, Source: "Airflow default"}, nil
		}
		return v, nil
	}
	var err error
	// config.yml default "{AIRFLOW_HOME}/logs", formatted with AIRFLOW_HOME
	// (only defaults get that, as for sql_alchemy_conn).
	if s.BaseLogFolder, err = get(optBaseLogFolder, af.expand(af.homeDir.Value+"/logs")); err != nil {
		return err
	}
	if s.RemoteLogging, err = get(optRemoteLogging, "False"); err != nil {
		return err
	}
	if s.RemoteBaseLogFolder, err = get(optRemoteBaseLogFolder, ""); err != nil {
		return err
	}
	if s.LogFilenameTemplate, err = get(optLogFilenameTemplate, DefaultLogFilenameTemplate); err != nil {
		return err
	}
	return nil
}

// RemoteLoggingOn is [logging] remote_logging read as conf.getboolean does
// (configuration.py: "t", "true", "1" are true, case-insensitive).
func (s *Settings) RemoteLoggingOn() bool {
	switch strings.ToLower(strings.TrimSpace(s.RemoteLogging.Value)) {
	case "t", "true", "1":
		return true
	}
	return false
}

// resolveLimit resolves the lock or statement timeout: flag
// --<what>-timeout, env DAGCTL_<WHAT>_TIMEOUT, the config file's
// <what>_timeout, else def. "0" turns it off.
func resolveLimit(in Inputs, fst *fileState, what string, flag *time.Duration, def time.Duration,
	get func(*Context) fileLimit) (time.Duration, Value, error) {
	env := "DAGCTL_" + strings.ToUpper(what) + "_TIMEOUT"
	switch {
	case flag != nil && *flag < 0:
		return 0, Value{}, invalidf("%s timeout from flag --%s-timeout: %s must be 0 (off) or more", what, what, *flag)
	case flag != nil:
		return *flag, Value{Value: flag.String(), Source: "flag --" + what + "-timeout"}, nil
	case envSet(in, env):
		v, _ := in.Getenv(env)
		d, err := parseLimit(v)
		if err != nil {
			return 0, Value{}, invalidf("%s timeout from env %s: %v", what, env, err)
		}
		return d, Value{Value: d.String(), Source: "env " + env}, nil
	}
	if d, v, ok := fst.limit(get); ok {
		return d, Value{Value: d.String(), Source: v.Source}, nil
	}
	return def, Value{Value: def.String(), Source: "default"}, nil
}

// Row is one line of `dagctl config view`.
type Row struct {
	Key, Value, Source string
}

// View lists every setting with its value and source, the password masked.
func (s *Settings) View() []Row {
	rows := []Row{
		{"db", s.DB.Value, s.DB.Source},
		{"schema", s.Schema.Value, s.Schema.Source},
		{"default_timezone", s.DefaultTimezone.Value, s.DefaultTimezone.Source},
		{"user", s.User.Value, s.User.Source},
		{"rbac", s.RBAC.Value, s.RBAC.Source},
		{"connect_timeout", s.ConnectTimeout.Value, s.ConnectTimeout.Source},
		{"lock_timeout", s.LockTimeout.Value, s.LockTimeout.Source},
		{"statement_timeout", s.StatementTimeout.Value, s.StatementTimeout.Source},
		{"context", s.Context.Value, s.Context.Source},
		{"config_file", s.ConfigFile.Value, s.ConfigFile.Source},
		{"airflow_home", s.AirflowHome.Value, s.AirflowHome.Source},
		{"airflow_config", s.AirflowConfig.Value, s.AirflowConfig.Source},
		{"base_log_folder", s.BaseLogFolder.Value, s.BaseLogFolder.Source},
		{"remote_logging", s.RemoteLogging.Value, s.RemoteLogging.Source},
		{"remote_base_log_folder", s.RemoteBaseLogFolder.Value, s.RemoteBaseLogFolder.Source},
		{"log_filename_template", s.LogFilenameTemplate.Value, s.LogFilenameTemplate.Source},
	}
	for _, k := range tlsKeys {
		if v, ok := s.TLS[k.key]; ok {
			rows = append(rows, Row{k.key, v.Value, v.Source})
		}
	}
	return rows
}

// Secrets are the password forms known to the settings, for Redact.
func (s *Settings) Secrets() []string {
	if s == nil || s.URL == nil {
		return nil
	}
	out := make([]string, 0, len(s.URL.secrets))
	for _, v := range s.URL.secrets {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Location is default_timezone as Airflow reads it (settings.py): "system"
// is the machine's zone, otherwise pendulum.timezone(name): "utc" in any
// case is UTC, else an IANA name. On a name Airflow cannot load it falls
// back to UTC silently; Location returns time.UTC too, with an error
// wrapping ErrInvalid that callers may show as a warning.
func (s *Settings) Location() (*time.Location, error) {
	name := s.DefaultTimezone.Value
	switch {
	case name == "system":
		return time.Local, nil
	case strings.EqualFold(name, "utc"):
		return time.UTC, nil
	case name == "" || name == "Local":
		// time.LoadLocation would accept these; pendulum does not.
	default:
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	return time.UTC, invalidf("default_timezone %q from %s is not a known time zone; using UTC as Airflow does", name, s.DefaultTimezone.Source)
}
