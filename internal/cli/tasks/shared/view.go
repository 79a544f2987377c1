// Package shared holds what the tasks verbs (and the runs verbs that show
// task instances) share: the JSON view of a task instance and its table.
package shared

import (
	"strconv"

	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/store"
)

// TaskInstanceView is the JSON shape of a task instance. Keys are those of
// Airflow's REST API (TaskInstanceSchema in 2.x, TaskInstanceResponse in
// 3.x); id, the task instance's uuid, exists on Airflow 3 only.
type TaskInstanceView struct {
	ID               string   `json:"id,omitempty"`
	TaskID           string   `json:"task_id"`
	DagID            string   `json:"dag_id"`
	DagRunID         string   `json:"dag_run_id"`
	MapIndex         int      `json:"map_index"`
	State            *string  `json:"state"`
	TryNumber        int      `json:"try_number"`
	MaxTries         int      `json:"max_tries"`
	StartDate        *string  `json:"start_date"`
	EndDate          *string  `json:"end_date"`
	Duration         *float64 `json:"duration"`
	Operator         *string  `json:"operator"`
	OperatorName     *string  `json:"operator_name"`
	Hostname         string   `json:"hostname"`
	Unixname         string   `json:"unixname"`
	Pool             string   `json:"pool"`
	PoolSlots        int      `json:"pool_slots"`
	Queue            *string  `json:"queue"`
	PriorityWeight   *int     `json:"priority_weight"`
	QueuedWhen       *string  `json:"queued_when"`
	PID              *int     `json:"pid"`
	Executor         *string  `json:"executor"`
	RenderedMapIndex *string  `json:"rendered_map_index"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// NewTaskInstanceView maps a store task instance to its view.
func NewTaskInstanceView(ti store.TaskInstance) TaskInstanceView {
	name := ti.CustomOperatorName
	if name == "" {
		name = ti.Operator
	}
	return TaskInstanceView{
		ID: ti.ID, TaskID: ti.TaskID, DagID: ti.DagID, DagRunID: ti.RunID, MapIndex: ti.MapIndex,
		State: optStr(ti.State), TryNumber: ti.TryNumber, MaxTries: ti.MaxTries,
		StartDate: output.TimeStr(ti.StartDate), EndDate: output.TimeStr(ti.EndDate), Duration: ti.Duration,
		Operator: optStr(ti.Operator), OperatorName: optStr(name), Hostname: ti.Hostname, Unixname: ti.Unixname,
		Pool: ti.Pool, PoolSlots: ti.PoolSlots, Queue: optStr(ti.Queue), PriorityWeight: ti.PriorityWeight,
		QueuedWhen: output.TimeStr(ti.QueuedAt), PID: ti.PID, Executor: optStr(ti.Executor),
		RenderedMapIndex: optStr(ti.RenderedMapIndex),
	}
}

// Headers are the table columns of a task instance list; withID adds the
// Airflow 3 task instance id.
func Headers(withID bool) []string {
	h := []string{"task_id", "map_index", "state", "try_number", "max_tries", "start_date", "end_date", "duration", "operator", "hostname", "pool", "queue"}
	if withID {
		h = append(h, "id")
	}
	return h
}

// Row is one table row.
func Row(v TaskInstanceView, withID bool) []string {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	state := s(v.State)
	if state == "" {
		state = "none"
	}
	duration := ""
	if v.Duration != nil {
		duration = strconv.FormatFloat(*v.Duration, 'f', -1, 64)
	}
	row := []string{v.TaskID, strconv.Itoa(v.MapIndex), state, strconv.Itoa(v.TryNumber), strconv.Itoa(v.MaxTries),
		s(v.StartDate), s(v.EndDate), duration, s(v.OperatorName), v.Hostname, v.Pool, s(v.Queue)}
	if withID {
		row = append(row, v.ID)
	}
	return row
}

// Result builds the printable result of a list of task instances.
func Result(views []TaskInstanceView) output.Result {
	withID := false
	for _, v := range views {
		if v.ID != "" {
			withID = true
		}
	}
	return output.Result{
		Data: views,
		Table: func() output.Rows {
			rows := make([][]string, len(views))
			for i, v := range views {
				rows[i] = Row(v, withID)
			}
			return output.Rows{Headers: Headers(withID), Rows: rows}
		},
		Names: func() []string {
			names := make([]string, len(views))
			for i, v := range views {
				names[i] = v.TaskID
				if v.MapIndex >= 0 {
					names[i] += "[" + strconv.Itoa(v.MapIndex) + "]"
				}
			}
			return names
		},
	}
}
