// Package logtemplate renders Airflow's log_filename_template: the relative
// path of one try's log file under [logging] base_log_folder.
//
// Airflow's FileTaskHandler._render_filename (airflow/utils/log/file_task_handler.py
// in 2.x, airflow-core/src/airflow/utils/log/file_task_handler.py in 3.x)
// reads the template of the run's log_template row and:
//
//   - when it contains "{{" (airflow/utils/helpers.py parse_template_string),
//     renders it as a Jinja template. Airflow 2 gives it the task's full
//     template context (ti, ts, ds, execution_date, dag_run, ...) with
//     try_number set to the try; Airflow 3 gives it only ti, ts
//     ((logical_date or run_after).isoformat()) and try_number;
//   - otherwise formats it with Python's str.format and the keywords dag_id,
//     task_id, run_id, data_interval_start, data_interval_end, try_number and
//     execution_date (2.x) or logical_date (3.x), each date isoformat() or "".
//
// The Jinja subset here covers what Airflow ships and documents: {{ expr }},
// {% if %}/{% elif %}/{% else %}/{% endif %}, {# comments #}, whitespace
// control, attribute access, comparisons, and/or/not, ~ and +, the filters
// default, string, lower, upper, replace, int and trim, and the datetime
// methods isoformat and strftime. Anything else is an error naming the
// template, never a guessed path.
package logtemplate

import (
	"fmt"
	"strings"
	"time"
)

// Input is what a template may refer to.
type Input struct {
	// Airflow is the schema family, 2 or 3: it decides the variables.
	Airflow   int
	DagID     string
	TaskID    string
	RunID     string
	MapIndex  int
	TryNumber int // the try whose file is wanted (the try_number variable)
	// TI holds the task instance's own columns (ti.try_number is the TI's
	// current try, which may differ from TryNumber).
	TI TI
	// Dates of the run, UTC; nil when NULL.
	LogicalDate, RunAfter              *time.Time
	DataIntervalStart, DataIntervalEnd *time.Time
}

// TI is the task instance's columns a template may read as ti.<name>.
type TI struct {
	TryNumber      int
	MaxTries       int
	State          string
	Hostname       string
	Pool           string
	Queue          string
	Operator       string
	PriorityWeight int
	Executor       string
}

// Error is a template that cannot be rendered.
type Error struct {
	Template string
	Reason   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("log filename template %q cannot be rendered: %s", e.Template, e.Reason)
}

// IsJinja reports whether Airflow reads tpl as Jinja (parse_template_string).
func IsJinja(tpl string) bool { return strings.Contains(tpl, "{{") }

// Render renders tpl for in.
func Render(tpl string, in Input) (string, error) {
	if in.Airflow != 2 && in.Airflow != 3 {
		return "", &Error{tpl, fmt.Sprintf("unknown Airflow major version %d", in.Airflow)}
	}
	var (
		out string
		err error
	)
	if IsJinja(tpl) {
		out, err = renderJinja(tpl, in)
	} else {
		out, err = renderFormat(tpl, in)
	}
	if err != nil {
		return "", &Error{tpl, err.Error()}
	}
	return out, nil
}

// isoformat is Python's datetime.isoformat() for an aware datetime:
// microseconds only when not zero, the offset as +HH:MM.
func isoformat(t time.Time, sep string) string {
	layout := "2006-01-02" + sep + "15:04:05"
	s := t.Format(layout)
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + t.Format("-07:00")
}

// dateOrEmpty is `d.isoformat() if d else ""`, as the format-style branch does.
func dateOrEmpty(d *time.Time) string {
	if d == nil {
		return ""
	}
	return isoformat(d.UTC(), "T")
}

// logicalOrRunAfter is `dag_run.logical_date or dag_run.run_after` (3.x).
func (in Input) logicalOrRunAfter() *time.Time {
	if in.LogicalDate != nil {
		return in.LogicalDate
	}
	return in.RunAfter
}

// renderFormat is Python's str.format with the keywords _render_filename passes.
func renderFormat(tpl string, in Input) (string, error) {
	vals := map[string]string{
		"dag_id":              in.DagID,
		"task_id":             in.TaskID,
		"run_id":              in.RunID,
		"data_interval_start": dateOrEmpty(in.DataIntervalStart),
		"data_interval_end":   dateOrEmpty(in.DataIntervalEnd),
		"try_number":          fmt.Sprint(in.TryNumber),
	}
	if in.Airflow == 2 {
		vals["execution_date"] = dateOrEmpty(in.LogicalDate)
	} else {
		vals["logical_date"] = dateOrEmpty(in.logicalOrRunAfter())
	}
	var b strings.Builder
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		switch c {
		case '{':
			if i+1 < len(tpl) && tpl[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			end := strings.IndexByte(tpl[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("str.format: single '{' encountered")
			}
			field := tpl[i+1 : i+end]
			i += end
			name, conv, spec := field, "", ""
			if k := strings.IndexByte(name, ':'); k >= 0 {
				name, spec = name[:k], name[k+1:]
			}
			if k := strings.IndexByte(name, '!'); k >= 0 {
				name, conv = name[:k], name[k+1:]
			}
			if conv != "" && conv != "s" {
				return "", fmt.Errorf("str.format: conversion !%s is not supported", conv)
			}
			if spec != "" {
				return "", fmt.Errorf("str.format: format spec %q is not supported", spec)
			}
			v, ok := vals[name]
			if !ok {
				if name == "" {
					return "", fmt.Errorf("str.format: positional field {} has no value")
				}
				return "", fmt.Errorf("str.format: no value for {%s} (KeyError)", name)
			}
			b.WriteString(v)
		case '}':
			if i+1 < len(tpl) && tpl[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", fmt.Errorf("str.format: single '}' encountered")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
