// Package logs implements `dagctl tasks logs RUN_ID TASK_ID`.
package logs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/internal/taskops"
	"github.com/dagctl/dagctl/pkg/tasklog"
)

// Options are the flags of tasks logs.
type Options struct {
	RunID, TaskID, DagID string
	MapIndex             *int // nil: not given
	Try                  int  // 0: the latest
	Raw, Follow          bool
	Interval             time.Duration
}

// NewCmdLogs builds `dagctl tasks logs`.
func NewCmdLogs(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	var mapIndex, try int
	cmd := &cobra.Command{
		Use:   "logs RUN_ID TASK_ID",
		Short: "Print the log Airflow wrote for a task instance's try",
		Long: `Print the log Airflow wrote for one try of a task instance (default: the latest),
read from Airflow's log folder ([logging] base_log_folder: AIRFLOW__LOGGING__BASE_LOG_FOLDER,
airflow.cfg, default $AIRFLOW_HOME/logs). The file's path is the run's own log template
(its log_template row, Airflow's log_filename_template) rendered as Airflow renders it.

Airflow 2's text lines print as they are. Airflow 3's JSON lines print the way
Airflow's log view shows them: [time] LEVEL - event key=value..., exceptions
with their frames; --raw prints the stored lines untouched.

A mapped task needs --map-index (exit 2 lists them). A run, task, map index or
try that does not exist, or a log file that is not there, is exit 3; the message
names the full path looked for and, with remote logging on ([logging]
remote_logging, remote_base_log_folder), where the log lives instead. A template
dagctl cannot render is exit 2 naming it.

--follow prints the log, then what is appended to it, until the try ends (the
task instance leaves running/queued/scheduled/deferred/restarting/up_for_reschedule
or moves to another try); Ctrl-C stops it.`,
		Example: `  dagctl tasks logs manual__2024-06-15T10:30:00+00:00 extract --dag-id etl
  dagctl tasks logs manual__2024-06-15T10:30:00+00:00 load --dag-id etl --try 1
  dagctl tasks logs manual__2024-06-15T10:30:00+00:00 transform --dag-id etl --map-index 3 --raw
  dagctl tasks logs scheduled__2024-06-15T00:00:00+00:00 load --dag-id etl --follow`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeArgs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunID, opts.TaskID = args[0], args[1]
			// The log is text: a JSON filter or format would be silently ignored.
			if f.Global.JQ != "" || f.Global.Template != "" || (f.Global.Output != "" && f.Global.Output != "table") {
				return apperr.Invalid("-o/--jq/--template: tasks logs prints the log as text; --raw prints the stored lines (Airflow 3's JSON lines as they are)")
			}
			if cmd.Flags().Changed("map-index") {
				if mapIndex < -1 {
					return apperr.Invalid("--map-index: must be -1 (not mapped) or more")
				}
				opts.MapIndex = &mapIndex
			}
			if cmd.Flags().Changed("try") {
				if try < 1 {
					return apperr.Invalid("--try: must be 1 or more")
				}
				opts.Try = try
			}
			if opts.Interval < 100*time.Millisecond {
				return apperr.Invalid("--interval: must be at least 100ms")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return logsRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DagID, "dag-id", "", "the DAG the run belongs to (needed when the run id exists in several DAGs)")
	fl.IntVar(&mapIndex, "map-index", -1, "map index of a mapped task instance")
	fl.IntVar(&try, "try", 0, "try number (default: the task instance's latest)")
	fl.BoolVar(&opts.Raw, "raw", false, "print the stored lines untouched (Airflow 3's JSON lines as JSON)")
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "keep printing what the running try appends until it ends")
	fl.DurationVar(&opts.Interval, "interval", time.Second, "with --follow: how often to look for more")
	cmdutil.RegisterDagCompletion(f, cmd, "dag-id")
	return cmd
}

// completeArgs completes RUN_ID with the runs of --dag-id and TASK_ID with
// the tasks of that run.
func completeArgs(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		dagID, _ := cmd.Flags().GetString("dag-id")
		if dagID == "" || len(args) >= 2 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ids := f.CompleteWith(func(ctx context.Context, st *store.Store) []string {
			var out []string
			if len(args) == 0 {
				runs, err := st.ListRuns(ctx, store.RunFilter{DagID: dagID, Limit: 1000, Desc: true})
				if err != nil {
					return nil
				}
				for _, r := range runs {
					out = append(out, r.RunID)
				}
				return out
			}
			tis, err := st.ListTaskInstances(ctx, store.TaskInstanceFilter{DagID: dagID, RunID: args[0]})
			if err != nil {
				return nil
			}
			for _, ti := range tis {
				if !slices.Contains(out, ti.TaskID) {
					out = append(out, ti.TaskID)
				}
			}
			return out
		})
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}

func logsRun(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	// The right to read the DAG is checked before anything of its runs is told.
	st, run, err := f.ReadableRun(ctx, opts.RunID, opts.DagID)
	if err != nil {
		return err
	}
	s, err := f.Settings(ctx)
	if err != nil {
		return err
	}
	req := taskops.LogRequest{DagID: run.DagID, RunID: run.RunID, TaskID: opts.TaskID, MapIndex: opts.MapIndex, Try: opts.Try}
	loc, err := taskops.LocateLog(ctx, st, s, req)
	if err != nil {
		return err
	}
	p := &printer{out: bufio.NewWriterSize(f.IO.Out, 64*1024), raw: opts.Raw}
	if !opts.Follow {
		if !loc.Exists {
			return loc.NotFoundError()
		}
		_, err := p.copyFrom(loc.Path, 0, true)
		return err
	}
	return follow(ctx, f, st, opts, loc, p)
}

// follow prints the log and then what is appended to it, re-reading the
// task instance every interval, until the try ends or ctx does (Ctrl-C).
func follow(ctx context.Context, f *cmdutil.Factory, st *store.Store, opts *Options, loc *taskops.LogLocation, p *printer) error {
	ti := loc.TaskInstance
	if !loc.Exists && !taskops.TryActive(ti, loc.Try) {
		return loc.NotFoundError()
	}
	if !loc.Exists {
		f.IO.Infof("waiting for %s (task instance %s)", loc.Path, ti.State)
	}
	var offset int64
	for {
		active := taskops.TryActive(ti, loc.Try)
		n, err := p.copyFrom(loc.Path, offset, !active)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		offset += n
		if !active {
			if errors.Is(err, os.ErrNotExist) {
				return loc.NotFoundError()
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(opts.Interval):
		}
		mi := ti.MapIndex
		next, err := taskops.FindTaskInstance(ctx, st, loc.Run, ti.TaskID, &mi)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		ti = next
	}
}

// printer writes log lines: stored bytes with --raw, else each line through
// tasklog.Render. It keeps a partial last line until its newline arrives
// (or the end, when final).
type printer struct {
	out     *bufio.Writer // flushed at the end of each copyFrom
	raw     bool
	pending []byte
}

// copyFrom prints the file from offset on and returns how many bytes it
// read. final flushes a last line without a newline.
func (p *printer) copyFrom(path string, offset int64, final bool) (n int64, err error) {
	defer func() {
		if ferr := p.out.Flush(); err == nil {
			err = ferr
		}
	}()
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	if offset > 0 {
		if fi, err := fh.Stat(); err == nil && fi.Size() < offset {
			// Truncated or replaced: nothing new to print from where we were.
			return 0, nil
		}
		if _, err := fh.Seek(offset, io.SeekStart); err != nil {
			return 0, fmt.Errorf("read %s: %w", path, err)
		}
	}
	r := bufio.NewReaderSize(fh, 64*1024)
	for {
		chunk, err := r.ReadSlice('\n')
		n += int64(len(chunk))
		p.pending = append(p.pending, chunk...)
		if err == nil {
			if werr := p.emit(); werr != nil {
				return n, werr
			}
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if final && len(p.pending) > 0 {
				return n, p.emit()
			}
			return n, nil
		}
		return n, fmt.Errorf("read %s: %w", path, err)
	}
}

// emit prints the pending line.
func (p *printer) emit() error {
	line := p.pending
	p.pending = p.pending[:0]
	if p.raw {
		_, err := p.out.Write(line)
		return err
	}
	text := string(bytes.TrimRight(line, "\r\n"))
	_, err := io.WriteString(p.out, tasklog.Render(text)+"\n")
	return err
}
