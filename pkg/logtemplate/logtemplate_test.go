package logtemplate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The templates Airflow ships or seeds into log_template.
const (
	// [logging] log_filename_template default, 2.3–2.11 (airflow/config_templates/config.yml).
	default2 = "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}attempt={{ try_number }}.log"
	// The 3.x default (airflow-core/src/airflow/config_templates/config.yml).
	default3 = "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}attempt={{ try_number|default(ti.try_number) }}.log"
	// The row synchronize_log_template seeds for logs written before 2.3 (airflow/utils/db.py).
	pre23 = "{{ ti.dag_id }}/{{ ti.task_id }}/{{ ts }}/{{ try_number }}.log"
	// Airflow 1.x's str.format default, still valid in a log_template row.
	format1 = "{dag_id}/{task_id}/{execution_date}/{try_number}.log"
)

func date(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// in2 and in3 are the fixture runs' task instances (../shared/airflow-fixtures/logs).
func in2(task string, mapIndex, try int) Input {
	return Input{Airflow: 2, DagID: "fx_logs", TaskID: task, RunID: "manual__2026-12-08T00:12:25+00:00", MapIndex: mapIndex,
		TryNumber: try, TI: TI{TryNumber: 2, MaxTries: 1, State: "failed", Hostname: "airflow-worker"},
		LogicalDate: date("2026-12-08T00:12:25Z"), DataIntervalStart: date("2026-12-08T00:12:25Z"), DataIntervalEnd: date("2026-12-08T00:12:25Z")}
}

func in3(task string, mapIndex, try int) Input {
	return Input{Airflow: 3, DagID: "fx_logs", TaskID: task, RunID: "manual__2026-12-08T00:12:59.028328+00:00_4tU4A3Tr", MapIndex: mapIndex,
		TryNumber: try, TI: TI{TryNumber: 2, MaxTries: 1, State: "failed"},
		LogicalDate: date("2026-12-08T00:12:59.028328Z"), RunAfter: date("2026-12-08T00:12:59.028328Z")}
}

func TestRender(t *testing.T) {
	noLogical := in3("hello", -1, 1)
	noLogical.LogicalDate = nil
	noLogical.RunAfter = date("2026-12-08T00:13:00Z")
	cases := []struct {
		name, tpl string
		in        Input
		want      string
	}{
		// The fixture trees: the paths Airflow 2.10.5 and 3.0.3 wrote.
		{"2.x default", default2, in2("flaky", -1, 2), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:25+00:00/task_id=flaky/attempt=2.log"},
		{"2.x default, first try", default2, in2("flaky", -1, 1), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:25+00:00/task_id=flaky/attempt=1.log"},
		{"2.x default, mapped", default2, in2("mapped", 1, 1), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:25+00:00/task_id=mapped/map_index=1/attempt=1.log"},
		{"2.x default, map index 0", default2, in2("mapped", 0, 1), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:25+00:00/task_id=mapped/map_index=0/attempt=1.log"},
		{"3.x default", default3, in3("flaky", -1, 2), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:59.028328+00:00_4tU4A3Tr/task_id=flaky/attempt=2.log"},
		{"3.x default, older try (not ti.try_number)", default3, in3("flaky", -1, 1), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:59.028328+00:00_4tU4A3Tr/task_id=flaky/attempt=1.log"},
		{"3.x default, mapped", default3, in3("mapped", 1, 1), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:59.028328+00:00_4tU4A3Tr/task_id=mapped/map_index=1/attempt=1.log"},
		// A 3.x row can hold the 2.x default (a database upgraded from 2.x).
		{"2.x default on 3.x", default2, in3("mapped", 0, 1), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:59.028328+00:00_4tU4A3Tr/task_id=mapped/map_index=0/attempt=1.log"},
		{"3.x default on 2.x", default3, in2("hello", -1, 1), "dag_id=fx_logs/run_id=manual__2026-12-08T00:12:25+00:00/task_id=hello/attempt=1.log"},
		// The pre-2.3 row: ts is the logical date's isoformat.
		{"pre-2.3 on 2.x", pre23, in2("flaky", -1, 2), "fx_logs/flaky/2026-12-08T00:12:25+00:00/2.log"},
		{"pre-2.3 on 3.x", pre23, in3("flaky", -1, 2), "fx_logs/flaky/2026-12-08T00:12:59.028328+00:00/2.log"},
		{"pre-2.3 on 3.x, no logical date: run_after", pre23, noLogical, "fx_logs/hello/2026-12-08T00:13:00+00:00/1.log"},
		// str.format templates.
		{"format 1.x", format1, in2("flaky", -1, 1), "fx_logs/flaky/2026-12-08T00:12:25+00:00/1.log"},
		{"format with run_id and interval", "{dag_id}/{run_id}/{data_interval_start}/{data_interval_end}/{task_id}/{try_number}.log", in2("hello", -1, 1),
			"fx_logs/manual__2026-12-08T00:12:25+00:00/2026-12-08T00:12:25+00:00/2026-12-08T00:12:25+00:00/hello/1.log"},
		{"format 3.x logical_date", "{dag_id}/{task_id}/{logical_date}/{try_number}.log", in3("hello", -1, 1), "fx_logs/hello/2026-12-08T00:12:59.028328+00:00/1.log"},
		{"format 3.x no interval", "{dag_id}/{data_interval_start}x{try_number!s}.log", in3("hello", -1, 1), "fx_logs/x1.log"},
		{"format escapes", "{dag_id}}}/{try_number}.log", in2("hello", -1, 1), "fx_logs}/1.log"}, // "{{" would make it Jinja
		// Airflow 2's full template context.
		{"2.x ts_nodash and ds", "{{ dag.dag_id }}/{{ task.task_id }}/{{ ds }}/{{ ds_nodash }}/{{ ts_nodash }}/{{ ts_nodash_with_tz }}/{{ try_number }}.log", in2("hello", -1, 1),
			"fx_logs/hello/2026-12-08/20261208/20261208T001225/20261208T001225+0000/1.log"},
		{"2.x execution_date methods", "{{ execution_date.strftime('%Y/%m/%d/%H%M%S') }}/{{ logical_date.isoformat() }}/{{ dag_run.run_id }}/{{ run_id }}.log", in2("hello", -1, 1),
			"2026/12/08/001225/2026-12-08T00:12:25+00:00/manual__2026-12-08T00:12:25+00:00/manual__2026-12-08T00:12:25+00:00.log"},
		{"2.x execution_date printed", "{{ execution_date }}|{{ ti.execution_date.isoformat(' ') }}", in2("hello", -1, 1), "2026-12-08 00:12:25+00:00|2026-12-08 00:12:25+00:00"},
		{"2.x task_instance_key_str", "{{ task_instance_key_str }}/{{ task_instance.try_number }}", in2("hello", -1, 1), "fx_logs__hello__20261208/2"},
		{"2.x data interval", "{{ data_interval_start.isoformat() }}-{{ data_interval_end.strftime('%F') }}", in2("hello", -1, 1), "2026-12-08T00:12:25+00:00-2026-12-08"},
		// Airflow 3 passes ti, ts and try_number only: other names are Jinja's Undefined ("").
		{"3.x ds is undefined", "{{ ds }}x{{ ts }}", in3("hello", -1, 1), "x2026-12-08T00:12:59.028328+00:00"},
		{"3.x undefined with default", "{{ ds|default('none') }}/{{ ti.logical_date.strftime('%Y%m%d') }}", in3("hello", -1, 1), "none/20261208"},
		// Jinja syntax.
		{"if/elif/else", "{% if ti.map_index > 0 %}pos{% elif ti.map_index == 0 %}zero{% else %}neg{% endif %}{{ '' }}", in2("hello", -1, 1), "neg"},
		{"elif taken", "{% if ti.map_index > 0 %}pos{% elif ti.map_index == 0 %}zero{% else %}neg{% endif %}{{ '' }}", in2("m", 0, 1), "zero"},
		{"and/or/not", "{% if not ti.map_index >= 0 and try_number > 1 or false %}a{% endif %}{{ '' }}", in2("hello", -1, 2), "a"},
		{"whitespace control", "x {{- ti.task_id -}} y {%- if true -%} z {%- endif %}", in2("hello", -1, 1), "xhelloyz"},
		{"comment", "{# note #}{{ ti.task_id }}", in2("hello", -1, 1), "hello"},
		{"concat and filters", "{{ ti.dag_id ~ '-' ~ ti.task_id|upper }}/{{ (try_number + 1)|string }}/{{ ti.run_id|replace(':', '_')|lower }}", in2("hello", -1, 1),
			"fx_logs-HELLO/2/manual__2026-12-08t00_12_25+00_00"},
		{"default boolean", "{{ ''|default('x', true) }}{{ 0|default('y') }}", in2("hello", -1, 1), "x0"},
		{"item access", "{{ ti['task_id'] }}", in2("hello", -1, 1), "hello"},
		{"string literals", `{{ "a" 'b' }}{{ 'c\'d' }}`, in2("hello", -1, 1), "abc'd"},
		{"bool and none", "{{ true }} {{ none }} {{ ti.map_index < 0 }}", in2("hello", -1, 1), "True None True"},
		{"ti columns", "{{ ti.hostname }}/{{ ti.max_tries }}/{{ ti.state }}/{{ ti.try_number }}", in2("hello", -1, 1), "airflow-worker/1/failed/2"},
		{"in", "{% if 'manual' in ti.run_id %}m{% endif %}{{ '' }}", in2("hello", -1, 1), "m"},
		{"newlines kept", "a\n{{ ti.task_id }}\n", in2("hello", -1, 1), "a\nhello\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Render(c.tpl, c.in)
			if err != nil {
				t.Fatalf("Render(%q): %v", c.tpl, err)
			}
			if got != c.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", c.tpl, got, c.want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	cases := []struct {
		tpl  string
		in   Input
		want string
	}{
		{"{{ ti.nope( }}", in2("a", -1, 1), "unexpected end"},
		{"{{ ti.dag_id ", in2("a", -1, 1), "unclosed"},
		{"{% if ti.map_index >= 0 %}{{ x }}", in2("a", -1, 1), "without {% endif %}"},
		{"{{{dag_id}}}/{try_number}.log", in2("a", -1, 1), "unexpected \"{\""},
		{"a}}b{{c", in2("a", -1, 1), "unclosed"},
		{"{% if x %}{dag_id}", in2("a", -1, 1), "no value for {% if x %}"}, // no "{{": str.format, as in Airflow
		{"{% endif %}{{ x }}", in2("a", -1, 1), "unexpected {% endif %}"},
		{"{% for x in y %}{% endfor %}{{ x }}", in2("a", -1, 1), "not supported"},
		{"{{ ti.nope }}", in3("a", -1, 1), "TaskInstance.nope is not supported"},
		{"{{ nope.x }}", in3("a", -1, 1), `"nope" is undefined`},
		{"{{ params.x }}", in2("a", -1, 1), "params is not supported"},
		{"{{ macros.ds_add(ds, 1) }}", in2("a", -1, 1), "macros is not supported"},
		{"{{ ti.map_index * 2 }}", in2("a", -1, 1), "unexpected"},
		{"{{ ts|tojson }}", in2("a", -1, 1), "filter tojson is not supported"},
		{"{{ execution_date.strftime('%Q') }}", in2("a", -1, 1), "%Q is not supported"},
		{"{{ ti }}", in2("a", -1, 1), "cannot print TaskInstance"},
		{"{% if nope >= 0 %}{% endif %}{{ 1 }}", in3("a", -1, 1), `"nope" is undefined`},
		{"{{ ti.task_id >= 1 }}", in3("a", -1, 1), "not supported between str and int"},
		{"{{ range(3) }}", in3("a", -1, 1), "Jinja global range"},
		{"{dag_id}-{task_id}-{run_id}-{map_index}-{try_number}", in2("a", -1, 1), "no value for {map_index}"},
		{"{dag_id}/{execution_date}.log", in3("a", -1, 1), "no value for {execution_date}"},
		{"{dag_id}/{logical_date}.log", in2("a", -1, 1), "no value for {logical_date}"},
		{"{}/{try_number}", in2("a", -1, 1), "positional"},
		{"{try_number:03d}", in2("a", -1, 1), "format spec"},
		{"{dag_id", in2("a", -1, 1), "single '{'"},
		{"dag}", in2("a", -1, 1), "single '}'"},
		{"{{ 1.5 }}", in2("a", -1, 1), "floating-point"},
	}
	for _, c := range cases {
		_, err := Render(c.tpl, c.in)
		var te *Error
		if !errors.As(err, &te) || te.Template != c.tpl {
			t.Errorf("Render(%q): error %v, want an *Error naming the template", c.tpl, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.tpl) {
			t.Errorf("Render(%q): %q, want it to contain %q and the template", c.tpl, err, c.want)
		}
	}
	if _, err := Render(default2, Input{Airflow: 4}); err == nil {
		t.Error("Airflow 4: no error")
	}
}

func TestIsoformat(t *testing.T) {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 1000, time.UTC), "2024-01-02T03:04:05.000001+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 999, time.UTC), "2024-01-02T03:04:05+00:00"},
		{time.Date(2024, 7, 2, 3, 4, 5, 0, zurich), "2024-07-02T03:04:05+02:00"},
	} {
		if got := isoformat(c.t, "T"); got != c.want {
			t.Errorf("isoformat(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{default2, default3, pre23, format1, "{{ ti.dag_id|default('x') }}", "{% if a %}{% elif b %}{% else %}{% endif %}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tpl string) {
		out, err := Render(tpl, in3("mapped", 1, 1))
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error of another type: %v", err)
			}
			return
		}
		_ = out
	})
}
