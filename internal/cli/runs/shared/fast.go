package shared

import (
	"strconv"
	"time"

	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/store"
)

// FastRun prints a streamed run without reflection: the same bytes as
// RunView through encoding/json (-o json) and RunRow (-o csv, table).
type FastRun struct{ Run *store.Run }

var _ output.Fast = FastRun{}

// AppendJSON writes the RunView object at the indent of a list item.
func (x FastRun) AppendJSON(b []byte) []byte {
	r := x.Run
	b = append(b, "  {\n    \"id\": "...)
	b = strconv.AppendInt(b, r.ID, 10)
	b = append(b, ",\n    \"dag_id\": "...)
	b = output.AppendJSONString(b, r.DagID)
	b = append(b, ",\n    \"run_id\": "...)
	b = output.AppendJSONString(b, r.RunID)
	b = append(b, ",\n    \"state\": "...)
	b = output.AppendJSONString(b, r.State)
	b = append(b, ",\n    \"run_type\": "...)
	b = output.AppendJSONString(b, r.RunType)
	b = append(b, ",\n    \"logical_date\": "...)
	b = output.AppendJSONTime(b, r.LogicalDate)
	b = append(b, ",\n    \"execution_date\": "...)
	b = output.AppendJSONTime(b, r.LogicalDate)
	b = append(b, ",\n    \"data_interval_start\": "...)
	b = output.AppendJSONTime(b, r.DataIntervalStart)
	b = append(b, ",\n    \"data_interval_end\": "...)
	b = output.AppendJSONTime(b, r.DataIntervalEnd)
	b = append(b, ",\n    \"run_after\": "...)
	b = output.AppendJSONTime(b, r.RunAfter)
	b = append(b, ",\n    \"queued_at\": "...)
	b = output.AppendJSONTime(b, r.QueuedAt)
	b = append(b, ",\n    \"start_date\": "...)
	b = output.AppendJSONTime(b, r.StartDate)
	b = append(b, ",\n    \"end_date\": "...)
	b = output.AppendJSONTime(b, r.EndDate)
	b = append(b, ",\n    \"external_trigger\": "...)
	b = strconv.AppendBool(b, r.ExternalTrigger)
	b = append(b, ",\n    \"conf\": "...)
	if len(r.Conf) == 0 {
		b = append(b, "{}"...)
	} else {
		b = output.AppendJSONRaw(b, r.Conf, 2)
	}
	b = append(b, ",\n    \"clear_number\": "...)
	b = strconv.AppendInt(b, int64(r.ClearNumber), 10)
	return append(b, "\n  }"...)
}

// AppendRow writes RunRow's cells.
func (x FastRun) AppendRow(b []byte, sep byte, cell func([]byte, string) []byte) []byte {
	r := x.Run
	b = strconv.AppendInt(b, r.ID, 10)
	b = append(b, sep)
	b = cell(b, r.DagID)
	b = append(b, sep)
	b = cell(b, r.RunID)
	b = append(b, sep)
	b = cell(b, r.State)
	b = append(b, sep)
	b = cell(b, r.RunType)
	for _, t := range [3]*time.Time{r.LogicalDate, r.StartDate, r.EndDate} {
		b = append(b, sep)
		if t != nil {
			// RFC 3339 never needs CSV quotes.
			b = output.AppendTimeText(b, *t)
		}
	}
	b = append(b, sep)
	return strconv.AppendBool(b, r.ExternalTrigger)
}

// Slow is the RunView path (yaml, name, --jq, --template).
func (x FastRun) Slow() (any, []string, string) {
	v := NewRunView(*x.Run)
	return v, RunRow(v), v.RunID
}
