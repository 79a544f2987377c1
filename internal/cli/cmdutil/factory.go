// Package cmdutil holds what every command shares: the streams, the global
// flags, lazily loaded settings and a lazily opened store, and the clock.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5"
	"os"
	"os/exec"
	"os/user"
	"sync"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/config"
	"github.com/dagctl/dagctl/internal/iostreams"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/pgtls"
	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/internal/store"
)

// GlobalOptions are the persistent flags of the root command.
type GlobalOptions struct {
	DB             string
	ConfigFile     string
	Context        string
	User           string
	RBAC           string
	ConnectTimeout time.Duration
	// LockTimeout and StatementTimeout: nil = not given.
	LockTimeout, StatementTimeout *time.Duration
	Output                        string
	NoHeaders                     bool
	Quiet                         bool
	JQ                            string
	Template                      string
	NoColor                       bool
}

// Factory is the small set of dependencies handed to every command.
type Factory struct {
	IO     *iostreams.IOStreams
	Global GlobalOptions
	Getenv func(string) (string, bool)
	Now    func() time.Time

	mu       sync.Mutex
	settings *config.Settings
	store    *store.Store
	checker  rbac.Checker
	filter   *output.Filter
}

// New returns a Factory wired to the process.
func New(io *iostreams.IOStreams) *Factory {
	return &Factory{
		IO:     io,
		Getenv: os.LookupEnv,
		Now:    func() time.Time { return time.Now().UTC() },
	}
}

// Settings loads the effective settings once.
func (f *Factory) Settings(ctx context.Context) (*config.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.settings != nil {
		return f.settings, nil
	}
	home, _ := os.UserHomeDir()
	osUser := ""
	if u, err := user.Current(); err == nil {
		osUser = u.Username
	}
	s, err := config.Load(ctx, config.Inputs{
		DBFlag:               f.Global.DB,
		ConfigFlag:           f.Global.ConfigFile,
		ContextFlag:          f.Global.Context,
		UserFlag:             f.Global.User,
		RBACFlag:             f.Global.RBAC,
		ConnectTimeoutFlag:   f.Global.ConnectTimeout,
		LockTimeoutFlag:      f.Global.LockTimeout,
		StatementTimeoutFlag: f.Global.StatementTimeout,
		Getenv:               f.Getenv,
		HomeDir:              home,
		OSUser:               osUser,
		RunCmd:               runShell,
	})
	if err != nil {
		if errors.Is(err, config.ErrInvalid) {
			return nil, apperr.Wrap(apperr.KindInvalid, err)
		}
		return nil, err
	}
	f.settings = s
	// Notes: Airflow settings dagctl ignores (a _SECRET, sql_alchemy_connect_args),
	// an unknown default_timezone, a TLS key the URL overrides.
	for _, w := range s.Warnings {
		f.IO.Warnf("warning: %s", w)
	}
	for _, n := range s.Notes {
		f.IO.Infof("warning: %s", n)
	}
	return s, nil
}

// Store opens the database once, on first use.
func (f *Factory) Store(ctx context.Context) (*store.Store, error) {
	s, err := f.Settings(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.store != nil {
		return f.store, nil
	}
	// Airflow falls back to UTC for a zone it cannot load; so do we, aloud
	// (the warning is one of the settings' notes, printed by Settings).
	loc, _ := s.Location()
	timeout, _ := time.ParseDuration(s.ConnectTimeout.Value)
	st, err := store.Open(ctx, store.OpenOptions{
		Dialect:               s.URL.Dialect,
		DSN:                   s.URL.DSN(),
		Redacted:              s.URL.Redacted(),
		HostPort:              s.URL.HostPort(),
		SearchPath:            s.URL.SearchPath(),
		ConnectTimeout:        timeout,
		ConnectTimeoutSource:  s.ConnectTimeout.Source,
		LockTimeout:           s.LockWait,
		StatementTimeout:      s.StatementLimit,
		WriteStatementTimeout: s.WriteStatementLimit,
		QueryExecModeSet:      s.URL.Query.Get("default_query_exec_mode") != "",
		PgConfig: func(dsn string) (*pgx.ConnConfig, error) {
			return pgtls.ParseConfig(dsn, f.Getenv, f.homeDir())
		},
		DefaultTimezone: loc,
		Now:             f.Now,
	})
	if err != nil {
		return nil, err
	}
	if w := st.Schema().Warning; w != "" {
		f.IO.Infof("warning: %s", w)
	}
	f.store = st
	return st, nil
}

// homeDir is $HOME as the command sees it (so ~/.postgresql is the one libpq
// would read), else the OS user's home.
func (f *Factory) homeDir() string {
	if h, ok := f.Getenv("HOME"); ok && h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// Close releases the store if it was opened.
func (f *Factory) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.store != nil {
		_ = f.store.Close()
		f.store = nil
	}
}

// Secrets are the strings no output line may contain (the database password).
func (f *Factory) Secrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.settings == nil {
		return nil
	}
	return f.settings.Secrets()
}

// Redact masks every known secret in s.
func (f *Factory) Redact(s string) string { return config.Redact(s, f.Secrets()...) }

// OutputOptions returns the parsed -o and --no-headers.
func (f *Factory) OutputOptions() (output.Options, error) {
	format, err := output.ParseFormat(f.Global.Output)
	if err != nil {
		return output.Options{}, err
	}
	return output.Options{Format: format, NoHeaders: f.Global.NoHeaders, Filter: f.filter}, nil
}

// Print prints a result with the global output options.
func (f *Factory) Print(r output.Result) error {
	opts, err := f.OutputOptions()
	if err != nil {
		return err
	}
	return output.Print(f.IO, opts, r)
}

func runShell(ctx context.Context, command string) (string, error) {
	out, err := exec.CommandContext(ctx, "sh", "-c", command).Output()
	if err != nil {
		return "", fmt.Errorf("run %q: %w", command, err)
	}
	return string(out), nil
}
