// Package shared holds what the runs verbs share: the JSON view of a run and its table.
package shared

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/store"
)

// RunView is the stable JSON shape of a run (keys documented in the README).
type RunView struct {
	ID                int64           `json:"id"`
	DagID             string          `json:"dag_id"`
	RunID             string          `json:"run_id"`
	State             string          `json:"state"`
	RunType           string          `json:"run_type"`
	LogicalDate       *string         `json:"logical_date"`
	ExecutionDate     *string         `json:"execution_date"`
	DataIntervalStart *string         `json:"data_interval_start"`
	DataIntervalEnd   *string         `json:"data_interval_end"`
	RunAfter          *string         `json:"run_after"`
	QueuedAt          *string         `json:"queued_at"`
	StartDate         *string         `json:"start_date"`
	EndDate           *string         `json:"end_date"`
	ExternalTrigger   bool            `json:"external_trigger"`
	Conf              json.RawMessage `json:"conf"`
	ClearNumber       int             `json:"clear_number"`
}

// TimeStr renders an optional time as RFC 3339 UTC (nil stays nil → JSON null).
var TimeStr = output.TimeStr

// NewRunView maps a store run to its view.
func NewRunView(r store.Run) RunView {
	conf := r.Conf
	if len(conf) == 0 {
		conf = json.RawMessage("{}")
	}
	return RunView{
		ID: r.ID, DagID: r.DagID, RunID: r.RunID, State: r.State, RunType: r.RunType,
		LogicalDate: TimeStr(r.LogicalDate), ExecutionDate: TimeStr(r.LogicalDate),
		DataIntervalStart: TimeStr(r.DataIntervalStart), DataIntervalEnd: TimeStr(r.DataIntervalEnd),
		RunAfter: TimeStr(r.RunAfter), QueuedAt: TimeStr(r.QueuedAt),
		StartDate: TimeStr(r.StartDate), EndDate: TimeStr(r.EndDate),
		ExternalTrigger: r.ExternalTrigger, Conf: conf, ClearNumber: r.ClearNumber,
	}
}

// RunHeaders are the table columns of a run list.
var RunHeaders = []string{"id", "dag_id", "run_id", "state", "run_type", "logical_date", "start_date", "end_date", "external_trigger"}

// RunRow is one table row.
func RunRow(v RunView) []string {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return []string{strconv.FormatInt(v.ID, 10), v.DagID, v.RunID, v.State, v.RunType, s(v.LogicalDate), s(v.StartDate), s(v.EndDate), strconv.FormatBool(v.ExternalTrigger)}
}

// Result builds the printable result of a list of runs.
func Result(views []RunView) output.Result {
	return output.Result{
		Data: views,
		Table: func() output.Rows {
			rows := make([][]string, len(views))
			for i, v := range views {
				rows[i] = RunRow(v)
			}
			return output.Rows{Headers: RunHeaders, Rows: rows}
		},
		Names: func() []string {
			names := make([]string, len(views))
			for i, v := range views {
				names[i] = v.RunID
			}
			return names
		},
	}
}

// RunDetailView is a run as `runs get` (and `runs wait`) show it: the run's
// view plus how many of its task instances are in each state ("none" for
// those without one).
type RunDetailView struct {
	RunView
	TaskInstanceStates map[string]int `json:"task_instance_states"`
}

// NewRunDetailView maps a run and its task instance counts to the view.
func NewRunDetailView(r store.Run, counts map[string]int) RunDetailView {
	if counts == nil {
		counts = map[string]int{}
	}
	return RunDetailView{RunView: NewRunView(r), TaskInstanceStates: counts}
}

// taskStateOrder is the order counts are shown in: as a run progresses.
var taskStateOrder = []string{"success", "failed", "upstream_failed", "skipped", "running", "deferred", "queued", "scheduled",
	"up_for_retry", "up_for_reschedule", "restarting", "removed", "none"}

// TaskCounts renders counts as "3 success, 1 failed" in a fixed order.
func TaskCounts(counts map[string]int) string {
	var parts []string
	seen := map[string]bool{}
	for _, s := range taskStateOrder {
		seen[s] = true
		if n := counts[s]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+s)
		}
	}
	var other []string
	for s, n := range counts {
		if !seen[s] && n > 0 {
			other = append(other, strconv.Itoa(n)+" "+s)
		}
	}
	sort.Strings(other)
	return strings.Join(append(parts, other...), ", ")
}

// DetailResult builds the printable result of runs shown with their task
// counts: the runs table plus a tasks column.
func DetailResult(views []RunDetailView) output.Result {
	return output.Result{
		Data: views,
		Table: func() output.Rows {
			rows := make([][]string, len(views))
			for i, v := range views {
				rows[i] = append(RunRow(v.RunView), TaskCounts(v.TaskInstanceStates))
			}
			return output.Rows{Headers: append(append([]string{}, RunHeaders...), "tasks"), Rows: rows}
		},
		Names: func() []string {
			names := make([]string, len(views))
			for i, v := range views {
				names[i] = v.RunID
			}
			return names
		},
	}
}
