package app

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/backfill"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/configcmd"
	"github.com/dagctl/dagctl/internal/cli/dags"
	"github.com/dagctl/dagctl/internal/cli/db"
	"github.com/dagctl/dagctl/internal/cli/doctor"
	"github.com/dagctl/dagctl/internal/cli/runs"
	"github.com/dagctl/dagctl/internal/cli/sandbox"
	"github.com/dagctl/dagctl/internal/cli/tasks"
	"github.com/dagctl/dagctl/internal/cli/version"
	"github.com/dagctl/dagctl/internal/output"
)

const exitCodesHelp = `Exit codes:
  0    ok
  1    failure (database error, a connection the server or network refused, unexpected
       error; a followed backfill or run ended failed)
  2    invalid input (usage or validation error, a database URL or TLS setting dagctl
       rejects before connecting; nothing was written)
  3    not found (DAG, run, backfill, task instance or log file)
  4    permission denied
  5    conflict (duplicate, overlap, or a state that does not allow the action, e.g.
       runs create --wait on a paused DAG)
  124  timeout (backfill wait, runs wait, --wait: the followed runs go on)
`

// NewRootCmd builds the dagctl command tree.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "dagctl",
		Short: "Airflow DAG runs and backfills, straight from the metadata database",
		Long: `dagctl lists DAGs, lists and creates DAG runs, and creates, follows, pauses,
cancels and deletes backfills by talking directly to Apache Airflow's metadata
database (PostgreSQL, MySQL or SQLite; Airflow 2.7–2.11 and 3.x). It writes the rows
Airflow itself writes, so a running Airflow scheduler picks them up.

--jq EXPR filters the data -o json prints with a jq expression (strings print
raw, like jq -r). --template TEXT formats it with ` + output.TemplateHelp + `
A jq or template error exits 2; on runs list --all each run is filtered on its
own, as the list [run]. NO_COLOR or --no-color turns colour off.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			f.IO.Quiet = f.Global.Quiet
			if _, err := output.ParseFormat(f.Global.Output); err != nil {
				return err
			}
			switch f.Global.RBAC {
			case "", "auto", "enforce", "off":
			default:
				return apperr.Invalid("--rbac: %q is not a mode; use auto|enforce|off", f.Global.RBAC)
			}
			if f.Global.ConnectTimeout < 0 {
				return apperr.Invalid("--connect-timeout: must not be negative")
			}
			return f.SetupScripting(cmd.Flags().Changed("output"))
		},
	}
	root.SetFlagErrorFunc(flagErrorFunc)
	pf := root.PersistentFlags()
	pf.StringVar(&f.Global.DB, "db", "", "database URL (SQLAlchemy form, e.g. postgresql://user:pass@host/airflow or sqlite:////path/airflow.db)")
	pf.StringVar(&f.Global.ConfigFile, "config", "", "dagctl config file (default $XDG_CONFIG_HOME/dagctl/config.yaml or ~/.config/dagctl/config.yaml)")
	pf.StringVar(&f.Global.Context, "context", "", "named context of the config file to use")
	pf.StringVar(&f.Global.User, "user", "", "acting Airflow user (default $DAGCTL_USER, config user, then the OS user)")
	pf.StringVar(&f.Global.RBAC, "rbac", "", "permission checks: auto|enforce|off (default auto)")
	pf.DurationVar(&f.Global.ConnectTimeout, "connect-timeout", 0, "database connect timeout (default 10s)")
	pf.Var(optDuration{&f.Global.LockTimeout}, "lock-timeout", "longest wait for a lock held by another transaction (the scheduler, another dagctl) before a write gives up, 0 = no bound (default 10s; $DAGCTL_LOCK_TIMEOUT, config lock_timeout)")
	pf.Var(optDuration{&f.Global.StatementTimeout}, "statement-timeout", "longest any one statement may run, reads included, 0 = no bound (default 0; $DAGCTL_STATEMENT_TIMEOUT, config statement_timeout)")
	pf.StringVarP(&f.Global.Output, "output", "o", "table", fmt.Sprintf("output format: %s", joinFormats()))
	pf.BoolVar(&f.Global.NoHeaders, "no-headers", false, "omit table and csv headers")
	pf.BoolVarP(&f.Global.Quiet, "quiet", "q", false, "silence informational lines on stderr")
	pf.StringVar(&f.Global.JQ, "jq", "", "filter the json output with a jq expression (strings print raw, like jq -r)")
	pf.StringVar(&f.Global.Template, "template", "", "format the json output with a Go template; helpers: json VALUE, join SEP LIST, timefmt LAYOUT TIME")
	pf.BoolVar(&f.Global.NoColor, "no-color", false, "no colour (also when NO_COLOR is set or stdout is not a terminal)")

	root.AddCommand(
		dags.NewCmdDags(f),
		runs.NewCmdRuns(f),
		tasks.NewCmdTasks(f),
		backfill.NewCmdBackfill(f),
		doctor.NewCmdDoctor(f),
		configcmd.NewCmdConfig(f),
		db.NewCmdDB(f),
		version.NewCmdVersion(f),
		sandbox.NewCmdSandbox(f),
	)
	root.Example = `  dagctl doctor
  dagctl dags list
  dagctl runs create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-07 --dry-run
  dagctl backfill create --dag-id etl --start-date 2024-01-01 --end-date 2024-01-31 --wait --timeout 2h`
	// cobra's completion commands keep the writer they are created with.
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = `  source <(dagctl completion bash)
  dagctl completion zsh > "${fpath[1]}/_dagctl"
  dagctl completion fish > ~/.config/fish/completions/dagctl.fish
  dagctl completion powershell | Out-String | Invoke-Expression`
			for _, sh := range c.Commands() {
				sh.Example = "  dagctl completion " + sh.Name() + " > dagctl." + sh.Name()
			}
		}
	}
	markUsageErrors(root)
	return root
}

// markUsageErrors makes cobra's positional-argument errors exit 2 like flag errors.
func markUsageErrors(cmd *cobra.Command) {
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return &flagError{err: fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		markUsageErrors(sub)
	}
}

func joinFormats() string {
	s := ""
	for i, x := range output.Formats {
		if i > 0 {
			s += "|"
		}
		s += x
	}
	return s
}

// optDuration is a duration flag that remembers whether it was given, so
// that "0" (off) is told apart from "not given" (the next layer decides).
type optDuration struct{ p **time.Duration }

func (o optDuration) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return (*o.p).String()
}

func (o optDuration) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		if v != "0" {
			return fmt.Errorf("must be a duration such as 10s, or 0 for no bound")
		}
		d = 0
	}
	if d < 0 {
		return fmt.Errorf("must be 0 or more")
	}
	*o.p = &d
	return nil
}

func (o optDuration) Type() string { return "duration" }
