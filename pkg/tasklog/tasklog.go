// Package tasklog renders the lines of an Airflow task log file for reading.
//
// Airflow 2 writes plain text lines; they print as they are. Airflow 3 writes
// one JSON object per line (structlog); Airflow's log view parses each into a
// StructuredLogMessage (airflow-core/src/airflow/utils/log/file_task_handler.py:
// a line that does not validate — not JSON, no string "event", a timestamp
// that is not a date — stays a plain string) and the UI renders it as text
// (airflow-core/src/airflow/ui/src/components/renderStructuredLog.tsx,
// renderingMode "text", the log download):
//
//	[2026-12-08T00:13:13.941748Z] INFO - attempt 2 source=airflow.task.hooks...SubprocessHook
//
// that is "[timestamp] " (as the API serializes it: UTC with a Z), the level
// upper-cased and " - ", the event, then every other key as key=value
// (logger shown as source, filename and lineno joined as loc, objects as
// JSON, the task-identity keys ti_id, dag_id, task_id, run_id, try_number and
// map_index left out), then each error_detail exception as
// "ExcType: value" followed by "    File <filename>, line <n> in <name>" per
// frame. Two differences from the UI's text, both whitespace: keys are
// separated by one space (the UI writes " key=value " each), and the
// exception starts on its own line (the UI's join runs it into the keys).
package tasklog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// tiContextFields are the keys the UI shows once, not on every line.
var tiContextFields = map[string]bool{"ti_id": true, "dag_id": true, "task_id": true, "run_id": true, "try_number": true, "map_index": true}

type field struct {
	key string
	raw json.RawMessage
}

// parseObject decodes a JSON object keeping its key order.
func parseObject(line string) ([]field, bool) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []field
	seen := map[string]int{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, ok := k.(string)
		if !ok {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		// A repeated key keeps its first place and its last value, as JSON.parse does.
		if i, dup := seen[key]; dup {
			out[i].raw = raw
			continue
		}
		seen[key] = len(out)
		out = append(out, field{key, raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // trailing data: not one JSON value
	}
	return out, true
}

// timestampRe is what pydantic accepts as a datetime string here (RFC 3339 /
// ISO 8601 with a 'T' or ' ' separator, optional fraction and offset).
var timestampRe = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|z|[+-]\d{2}:?\d{2})?$`)

// apiTimestamp is the timestamp as Airflow's API returns it: naive times are
// UTC (coerce_datetime), and UTC is written "Z" (pydantic). The fraction is
// kept as written. ok is false for a value pydantic would reject.
func apiTimestamp(s string) (string, bool) {
	m := timestampRe.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	base := strings.Replace(m[1], " ", "T", 1)
	switch off := m[2]; off {
	case "", "Z", "z", "+00:00", "-00:00", "+0000", "-0000":
		return base + "Z", true
	default:
		if !strings.Contains(off, ":") {
			off = off[:3] + ":" + off[3:]
		}
		return base + off, true
	}
}

// Render renders one stored line. A line that is not a structured log
// message is returned unchanged. The result may span several lines (an
// exception's frames); it has no trailing newline.
func Render(line string) string {
	trimmed := strings.TrimSpace(line)
	if !strings.HasPrefix(trimmed, "{") {
		return line
	}
	fields, ok := parseObject(trimmed)
	if !ok {
		return line
	}
	var (
		event     *string
		level     *string
		timestamp string
		rest      []field
		errDetail json.RawMessage
		filename  json.RawMessage
		lineno    json.RawMessage
	)
	for _, f := range fields {
		switch f.key {
		case "event":
			var s string
			if json.Unmarshal(f.raw, &s) != nil {
				return line // StructuredLogMessage.event must be a str
			}
			event = &s
		case "timestamp":
			if string(f.raw) == "null" {
				continue
			}
			var s string
			if json.Unmarshal(f.raw, &s) != nil {
				return line
			}
			ts, ok := apiTimestamp(s)
			if !ok {
				return line
			}
			timestamp = ts
		case "level":
			var s string
			if json.Unmarshal(f.raw, &s) == nil {
				level = &s
			} else {
				rest = append(rest, f)
			}
		case "error_detail":
			errDetail = f.raw
		default:
			if f.key == "filename" {
				filename = f.raw
			}
			if f.key == "lineno" {
				lineno = f.raw
			}
			rest = append(rest, f)
		}
	}
	if event == nil {
		return line
	}
	var b strings.Builder
	if timestamp != "" {
		b.WriteString("[" + timestamp + "] ")
	}
	if level != nil {
		b.WriteString(strings.ToUpper(*level) + " - ")
	}
	b.WriteString(*event)
	if filename != nil && lineno != nil {
		// renderStructuredLog.tsx: filename and lineno become loc, after the other keys.
		kept := rest[:0:0]
		for _, f := range rest {
			if f.key != "filename" && f.key != "lineno" {
				kept = append(kept, f)
			}
		}
		loc := jsValue(filename) + ":" + jsValue(lineno)
		rest = append(kept, field{"loc", json.RawMessage(mustJSON(loc))})
	}
	for _, f := range rest {
		if tiContextFields[f.key] {
			continue
		}
		key := f.key
		if key == "logger" {
			key = "source"
		}
		b.WriteString(" " + key + "=" + jsValue(f.raw))
	}
	if errDetail != nil {
		b.WriteString(renderErrorDetail(errDetail))
	}
	return b.String()
}

func mustJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// jsValue is `${val instanceof Object ? JSON.stringify(val) : val}`: strings
// raw, numbers, booleans and null as JavaScript prints them, objects and
// arrays as compact JSON.
func jsValue(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '{', '[':
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			return buf.String()
		}
	default:
		var n json.Number
		if raw[0] != 't' && raw[0] != 'f' && raw[0] != 'n' && json.Unmarshal(raw, &n) == nil {
			if f, err := n.Float64(); err == nil {
				return jsNumber(f, string(n))
			}
		}
	}
	return string(raw)
}

// jsNumber prints a number as JavaScript's String(n) does for the common cases.
func jsNumber(f float64, text string) string {
	if f == float64(int64(f)) && f < 1e21 && f > -1e21 {
		return fmt.Sprintf("%d", int64(f))
	}
	if !strings.ContainsAny(text, "eE") {
		return text
	}
	return fmt.Sprint(f)
}

type errorDetail struct {
	ExcType  string `json:"exc_type"`
	ExcValue string `json:"exc_value"`
	Frames   []struct {
		Filename string          `json:"filename"`
		Lineno   json.RawMessage `json:"lineno"`
		Name     string          `json:"name"`
	} `json:"frames"`
}

// renderErrorDetail renders error_detail: a list of exceptions with frames,
// or, from producers that render the traceback themselves, any other value
// as text on the next line.
func renderErrorDetail(raw json.RawMessage) string {
	var list []errorDetail
	if err := json.Unmarshal(raw, &list); err != nil {
		return "\n" + jsValue(raw)
	}
	var b strings.Builder
	for _, e := range list {
		b.WriteString("\n" + e.ExcType + ": " + e.ExcValue)
		for _, fr := range e.Frames {
			b.WriteString("\n    File " + fr.Filename + ", line " + jsValue(fr.Lineno) + " in " + fr.Name)
		}
	}
	return b.String()
}
