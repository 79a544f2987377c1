// Package taskops holds the operations on task instances behind the tasks
// verbs: they take the store and settings and return data.
package taskops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/config"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/logtemplate"
)

// LogRequest names one try of one task instance.
type LogRequest struct {
	DagID, RunID, TaskID string
	// MapIndex is the map index; nil means "the task is not mapped" (-1),
	// and a mapped task then is an error listing its map indexes.
	MapIndex *int
	// Try is the try wanted; 0 means the task instance's latest.
	Try int
}

// LogLocation is where one try's log file is.
type LogLocation struct {
	Run          store.Run
	TaskInstance store.TaskInstance
	Try          int
	// Template is the log_filename_template used and TemplateSource where it
	// came from (the run's log_template row, or [logging] when the schema has none).
	Template, TemplateSource string
	RelPath                  string // rendered template
	Path                     string // under base_log_folder
	Exists                   bool
	// Remote is where the log lives with remote logging on
	// (remote_base_log_folder joined with RelPath); "" when off.
	Remote string
}

// NotFoundError is the message for a try whose local file is missing.
func (l *LogLocation) NotFoundError() error {
	msg := fmt.Sprintf("no log file for try %d of task %q%s in run %q of dag %q: %s does not exist",
		l.Try, l.TaskInstance.TaskID, mapSuffix(l.TaskInstance.MapIndex), l.Run.RunID, l.Run.DagID, l.Path)
	if l.Remote != "" {
		msg += "; remote logging is on ([logging] remote_logging): the log is at " + l.Remote
	}
	return apperr.NotFound("%s", msg)
}

func mapSuffix(mapIndex int) string {
	if mapIndex < 0 {
		return ""
	}
	return fmt.Sprintf(" (map index %d)", mapIndex)
}

// LocateLog finds the task instance and renders the path of its log for the
// try, as FileTaskHandler._read does: base_log_folder / rendered template.
func LocateLog(ctx context.Context, st *store.Store, s *config.Settings, req LogRequest) (*LogLocation, error) {
	if req.Try < 0 {
		return nil, apperr.Invalid("--try: must be 1 or more")
	}
	run, err := st.GetRun(ctx, req.RunID, req.DagID)
	if err != nil {
		return nil, err
	}
	ti, err := FindTaskInstance(ctx, st, *run, req.TaskID, req.MapIndex)
	if err != nil {
		return nil, err
	}
	loc := &LogLocation{Run: *run, TaskInstance: ti, Try: req.Try}
	if loc.Try == 0 {
		// On 2.10+ and 3.x try_number is the current (latest) try; 0 means
		// it never ran.
		if ti.TryNumber < 1 {
			return nil, apperr.NotFound("task %q%s in run %q of dag %q has not run yet (state %s, try_number 0): no log",
				ti.TaskID, mapSuffix(ti.MapIndex), run.RunID, run.DagID, stateName(ti.State))
		}
		loc.Try = ti.TryNumber
	} else if loc.Try > ti.TryNumber {
		return nil, apperr.NotFound("task %q%s in run %q of dag %q has no try %d: the latest is %d",
			ti.TaskID, mapSuffix(ti.MapIndex), run.RunID, run.DagID, loc.Try, ti.TryNumber)
	}

	tpl, found, err := st.RunLogTemplate(ctx, run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	if found {
		loc.Template, loc.TemplateSource = tpl.Filename, fmt.Sprintf("log_template row %d", tpl.ID)
	} else {
		loc.Template, loc.TemplateSource = s.LogFilenameTemplate.Value, s.LogFilenameTemplate.Source
	}
	major := st.Schema().Major
	pri := 0
	if ti.PriorityWeight != nil {
		pri = *ti.PriorityWeight
	}
	rel, err := logtemplate.Render(loc.Template, logtemplate.Input{
		Airflow: major, DagID: run.DagID, TaskID: ti.TaskID, RunID: run.RunID, MapIndex: ti.MapIndex, TryNumber: loc.Try,
		TI: logtemplate.TI{TryNumber: ti.TryNumber, MaxTries: ti.MaxTries, State: ti.State, Hostname: ti.Hostname,
			Pool: ti.Pool, Queue: ti.Queue, Operator: ti.Operator, PriorityWeight: pri, Executor: ti.Executor},
		LogicalDate: run.LogicalDate, RunAfter: run.RunAfter,
		DataIntervalStart: run.DataIntervalStart, DataIntervalEnd: run.DataIntervalEnd,
	})
	if err != nil {
		return nil, apperr.Invalid("%s (%s)", err, loc.TemplateSource)
	}
	loc.RelPath = rel
	// Path(self.local_base, worker_log_rel_path): an absolute rendering wins.
	loc.Path = rel
	if !filepath.IsAbs(rel) {
		loc.Path = filepath.Join(s.BaseLogFolder.Value, rel)
	}
	fi, err := os.Stat(loc.Path)
	switch {
	case err == nil:
		loc.Exists = fi.Mode().IsRegular()
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
	default:
		return nil, fmt.Errorf("read log file %s: %w", loc.Path, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, apperr.Denied("read log file %s: permission denied", loc.Path)
	}
	if s.RemoteLoggingOn() {
		if base := strings.TrimRight(s.RemoteBaseLogFolder.Value, "/"); base != "" {
			loc.Remote = base + "/" + strings.TrimLeft(rel, "/")
		} else {
			loc.Remote = "the remote log handler's store ([logging] remote_base_log_folder is not set)"
		}
	}
	return loc, nil
}

// FindTaskInstance returns the task instance of taskID in run: mapIndex nil
// picks the unmapped one and lists the map indexes of a mapped task.
func FindTaskInstance(ctx context.Context, st *store.Store, run store.Run, taskID string, mapIndex *int) (store.TaskInstance, error) {
	tis, err := st.ListTaskInstances(ctx, store.TaskInstanceFilter{DagID: run.DagID, RunID: run.RunID, TaskID: taskID})
	if err != nil {
		return store.TaskInstance{}, err
	}
	if len(tis) == 0 {
		return store.TaskInstance{}, apperr.NotFound("task %q not found in run %q of dag %q", taskID, run.RunID, run.DagID)
	}
	want := -1
	if mapIndex != nil {
		want = *mapIndex
	}
	var mapped []int
	for _, ti := range tis {
		if ti.MapIndex == want {
			return ti, nil
		}
		if ti.MapIndex >= 0 {
			mapped = append(mapped, ti.MapIndex)
		}
	}
	slices.Sort(mapped)
	indexes := make([]string, len(mapped))
	for i, m := range mapped {
		indexes[i] = strconv.Itoa(m)
	}
	if mapIndex == nil {
		return store.TaskInstance{}, apperr.Invalid("task %q is mapped in run %q of dag %q: pass --map-index (%s)",
			taskID, run.RunID, run.DagID, strings.Join(indexes, ", "))
	}
	if len(indexes) == 0 {
		return store.TaskInstance{}, apperr.NotFound("task %q is not mapped in run %q of dag %q: it has no map index %d",
			taskID, run.RunID, run.DagID, want)
	}
	return store.TaskInstance{}, apperr.NotFound("task %q has no map index %d in run %q of dag %q (map indexes: %s)",
		taskID, want, run.RunID, run.DagID, strings.Join(indexes, ", "))
}

func stateName(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// activeStates are the states in which a try may still write to its log:
// it is queued to start, running, deferred or waiting to be rescheduled.
var activeStates = map[string]bool{
	"scheduled": true, "queued": true, "running": true, "restarting": true,
	"deferred": true, "up_for_reschedule": true,
}

// TryActive reports whether try of ti may still write to its log: the task
// instance is in an active state and still on that try.
func TryActive(ti store.TaskInstance, try int) bool {
	return activeStates[ti.State] && ti.TryNumber == try
}
