package logtemplate

import (
	"fmt"
	"strings"
	"time"
)

// unmodelled2 are names of Airflow 2's task template context
// (TaskInstance.get_template_context, airflow/models/taskinstance.py) that
// dagctl does not compute: a template using one is an error, not "".
var unmodelled2 = map[string]bool{
	"conf": true, "conn": true, "macros": true, "params": true, "var": true, "test_mode": true,
	"next_ds": true, "next_ds_nodash": true, "next_execution_date": true,
	"prev_ds": true, "prev_ds_nodash": true, "prev_execution_date": true, "prev_execution_date_success": true,
	"prev_start_date_success": true, "prev_end_date_success": true,
	"prev_data_interval_start_success": true, "prev_data_interval_end_success": true,
	"tomorrow_ds": true, "tomorrow_ds_nodash": true, "yesterday_ds": true, "yesterday_ds_nodash": true,
	"templates_dict": true, "inlets": true, "outlets": true, "inlet_events": true, "outlet_events": true,
	"triggering_dataset_events": true, "expanded_ti_count": true, "map_index_template": true,
	"task_reschedule_count": true,
}

// jinjaGlobals are Jinja's default globals; calling them is not supported.
var jinjaGlobals = map[string]bool{"range": true, "dict": true, "lipsum": true, "cycler": true, "joiner": true, "namespace": true}

func timeOrNone(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func strOrNone(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scope is the Jinja context _render_filename passes for in.Airflow.
func scope(in Input) map[string]any {
	dagRun := &object{name: "DagRun", attrs: map[string]any{
		"dag_id": in.DagID, "run_id": in.RunID,
		"logical_date":        timeOrNone(in.LogicalDate),
		"data_interval_start": timeOrNone(in.DataIntervalStart),
		"data_interval_end":   timeOrNone(in.DataIntervalEnd),
	}}
	ti := &object{name: "TaskInstance", attrs: map[string]any{
		"dag_id": in.DagID, "task_id": in.TaskID, "run_id": in.RunID,
		"map_index": int64(in.MapIndex), "try_number": int64(in.TI.TryNumber), "max_tries": int64(in.TI.MaxTries),
		"state": strOrNone(in.TI.State), "hostname": in.TI.Hostname, "pool": in.TI.Pool, "queue": in.TI.Queue,
		"operator": strOrNone(in.TI.Operator), "priority_weight": int64(in.TI.PriorityWeight),
		"executor": strOrNone(in.TI.Executor), "dag_run": dagRun,
		"logical_date": timeOrNone(in.LogicalDate),
	}}
	s := map[string]any{"ti": ti, "try_number": int64(in.TryNumber)}
	if in.Airflow == 3 {
		// file_task_handler.py (3.x): {"ti": ti, "ts": date, "try_number": try_number}.
		dagRun.attrs["run_after"] = timeOrNone(in.RunAfter)
		s["ts"] = ""
		if d := in.logicalOrRunAfter(); d != nil {
			s["ts"] = isoformat(d.UTC(), "T")
		}
		return s
	}
	// Airflow 2: the task's template context (taskinstance.py get_template_context).
	dagRun.attrs["execution_date"] = timeOrNone(in.LogicalDate)
	ti.attrs["execution_date"] = timeOrNone(in.LogicalDate)
	s["task_instance"] = ti
	s["run_id"] = in.RunID
	s["dag_run"] = dagRun
	s["dag"] = &object{name: "DAG", attrs: map[string]any{"dag_id": in.DagID}}
	s["task"] = &object{name: "Operator", attrs: map[string]any{"task_id": in.TaskID, "dag_id": in.DagID}}
	s["data_interval_start"] = timeOrNone(in.DataIntervalStart)
	s["data_interval_end"] = timeOrNone(in.DataIntervalEnd)
	s["logical_date"] = timeOrNone(in.LogicalDate)
	s["execution_date"] = timeOrNone(in.LogicalDate)
	if d := in.LogicalDate; d != nil {
		u := d.UTC()
		ts := isoformat(u, "T")
		s["ts"] = ts
		s["ts_nodash"] = u.Format("20060102T150405")
		s["ts_nodash_with_tz"] = strings.NewReplacer("-", "", ":", "").Replace(ts)
		s["ds"] = u.Format("2006-01-02")
		s["ds_nodash"] = u.Format("20060102")
		s["task_instance_key_str"] = in.DagID + "__" + in.TaskID + "__" + u.Format("20060102")
	}
	return s
}

func renderJinja(tpl string, in Input) (string, error) {
	segs, err := split(tpl)
	if err != nil {
		return "", err
	}
	nodes, err := parseNodes(segs)
	if err != nil {
		return "", err
	}
	ev := &evaluator{scope: scope(in), airflow: in.Airflow}
	var b strings.Builder
	if err := ev.run(&b, nodes); err != nil {
		return "", err
	}
	return b.String(), nil
}

type evaluator struct {
	scope   map[string]any
	airflow int
}

func (ev *evaluator) run(b *strings.Builder, nodes []node) error {
	for _, n := range nodes {
		switch x := n.(type) {
		case textNode:
			b.WriteString(x.s)
		case outputNode:
			v, err := ev.eval(x.e)
			if err != nil {
				return err
			}
			s, err := pyStr(v)
			if err != nil {
				return err
			}
			b.WriteString(s)
		case *ifNode:
			done := false
			for i, c := range x.conds {
				v, err := ev.eval(c)
				if err != nil {
					return err
				}
				if truthy(v) {
					if err := ev.run(b, x.bodies[i]); err != nil {
						return err
					}
					done = true
					break
				}
			}
			if !done {
				if err := ev.run(b, x.els); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (ev *evaluator) eval(e expr) (any, error) {
	switch x := e.(type) {
	case literalExpr:
		return x.v, nil
	case nameExpr:
		if v, ok := ev.scope[x.name]; ok {
			return v, nil
		}
		if ev.airflow == 2 && unmodelled2[x.name] {
			return nil, fmt.Errorf("%s is not supported by dagctl", x.name)
		}
		if jinjaGlobals[x.name] {
			return nil, fmt.Errorf("the Jinja global %s is not supported", x.name)
		}
		// Not in Airflow's context either: Jinja's Undefined prints "".
		return undefined{x.name}, nil
	case attrExpr:
		v, err := ev.eval(x.x)
		if err != nil {
			return nil, err
		}
		return getattr(v, x.name)
	case itemExpr:
		v, err := ev.eval(x.x)
		if err != nil {
			return nil, err
		}
		k, err := ev.eval(x.key)
		if err != nil {
			return nil, err
		}
		if name, ok := k.(string); ok {
			return getattr(v, name)
		}
		return nil, fmt.Errorf("subscript [%v] is not supported", k)
	case callExpr:
		f, err := ev.eval(x.x)
		if err != nil {
			return nil, err
		}
		args, kwargs, err := ev.evalArgs(x.args, x.kwargs)
		if err != nil {
			return nil, err
		}
		m, ok := f.(method)
		if !ok {
			if u, isU := f.(undefined); isU {
				return nil, fmt.Errorf("%q is undefined", u.name)
			}
			return nil, fmt.Errorf("cannot call a %s", typeName(f))
		}
		return callMethod(m, args, kwargs)
	case filterExpr:
		v, err := ev.eval(x.x)
		if err != nil {
			return nil, err
		}
		args, kwargs, err := ev.evalArgs(x.args, x.kwargs)
		if err != nil {
			return nil, err
		}
		return applyFilter(x.name, v, args, kwargs)
	case notExpr:
		v, err := ev.eval(x.x)
		if err != nil {
			return nil, err
		}
		return !truthy(v), nil
	case negExpr:
		v, err := ev.eval(x.x)
		if err != nil {
			return nil, err
		}
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("cannot negate a %s", typeName(v))
		}
		return -n, nil
	case binExpr:
		l, err := ev.eval(x.l)
		if err != nil {
			return nil, err
		}
		// and/or short-circuit and return an operand, as in Python.
		switch x.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return ev.eval(x.r)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return ev.eval(x.r)
		}
		r, err := ev.eval(x.r)
		if err != nil {
			return nil, err
		}
		return binop(x.op, l, r)
	}
	return nil, fmt.Errorf("unsupported expression %T", e)
}

func (ev *evaluator) evalArgs(args []expr, kwargs map[string]expr) ([]any, map[string]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := ev.eval(a)
		if err != nil {
			return nil, nil, err
		}
		out[i] = v
	}
	kw := map[string]any{}
	for k, a := range kwargs {
		v, err := ev.eval(a)
		if err != nil {
			return nil, nil, err
		}
		kw[k] = v
	}
	return out, kw, nil
}

func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case undefined:
		return "undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case string:
		return "str"
	case time.Time:
		return "datetime"
	case *object:
		return x.name
	case method:
		return "method"
	}
	return fmt.Sprintf("%T", v)
}

var (
	timeMethods = map[string]bool{"isoformat": true, "strftime": true}
	strMethods  = map[string]bool{"replace": true, "lower": true, "upper": true, "strip": true}
)

func getattr(v any, name string) (any, error) {
	switch x := v.(type) {
	case undefined:
		return nil, fmt.Errorf("%q is undefined", x.name)
	case nil:
		// Jinja's getattr on None gives Undefined.
		return undefined{"None." + name}, nil
	case *object:
		if a, ok := x.attrs[name]; ok {
			return a, nil
		}
		return nil, fmt.Errorf("%s.%s is not supported by dagctl", x.name, name)
	case time.Time:
		switch name {
		case "year":
			return int64(x.Year()), nil
		case "month":
			return int64(x.Month()), nil
		case "day":
			return int64(x.Day()), nil
		case "hour":
			return int64(x.Hour()), nil
		case "minute":
			return int64(x.Minute()), nil
		case "second":
			return int64(x.Second()), nil
		case "microsecond":
			return int64(x.Nanosecond() / 1000), nil
		}
		if timeMethods[name] {
			return method{x, name}, nil
		}
		return nil, fmt.Errorf("datetime.%s is not supported by dagctl", name)
	case string:
		if strMethods[name] {
			return method{x, name}, nil
		}
		return nil, fmt.Errorf("str.%s is not supported by dagctl", name)
	}
	return nil, fmt.Errorf("%s has no attribute %s", typeName(v), name)
}

func callMethod(m method, args []any, kwargs map[string]any) (any, error) {
	str := func(i int, name string) (string, bool, error) {
		if i < len(args) {
			s, ok := args[i].(string)
			if !ok {
				return "", false, fmt.Errorf("%s() argument %s must be a str", m.name, name)
			}
			return s, true, nil
		}
		if v, ok := kwargs[name]; ok {
			s, isStr := v.(string)
			if !isStr {
				return "", false, fmt.Errorf("%s() argument %s must be a str", m.name, name)
			}
			return s, true, nil
		}
		return "", false, nil
	}
	switch recv := m.recv.(type) {
	case time.Time:
		switch m.name {
		case "isoformat":
			sep, ok, err := str(0, "sep")
			if err != nil {
				return nil, err
			}
			if !ok {
				sep = "T"
			}
			if _, ok := kwargs["timespec"]; ok {
				return nil, fmt.Errorf("isoformat(timespec=...) is not supported")
			}
			return isoformat(recv, sep), nil
		case "strftime":
			f, ok, err := str(0, "format")
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("strftime() needs a format")
			}
			return strftime(recv, f)
		}
	case string:
		switch m.name {
		case "lower":
			return strings.ToLower(recv), nil
		case "upper":
			return strings.ToUpper(recv), nil
		case "strip":
			return strings.TrimSpace(recv), nil
		case "replace":
			old, ok1, err := str(0, "old")
			if err != nil {
				return nil, err
			}
			nw, ok2, err := str(1, "new")
			if err != nil {
				return nil, err
			}
			if !ok1 || !ok2 || len(args) > 2 {
				return nil, fmt.Errorf("replace() takes exactly two strings here")
			}
			return strings.ReplaceAll(recv, old, nw), nil
		}
	}
	return nil, fmt.Errorf("method %s is not supported", m.name)
}

func applyFilter(name string, v any, args []any, kwargs map[string]any) (any, error) {
	switch name {
	case "default", "d":
		// jinja2/filters.py do_default(value, default_value='', boolean=False).
		def := any("")
		if len(args) > 0 {
			def = args[0]
		} else if x, ok := kwargs["default_value"]; ok {
			def = x
		}
		boolean := false
		if len(args) > 1 {
			boolean = truthy(args[1])
		} else if x, ok := kwargs["boolean"]; ok {
			boolean = truthy(x)
		}
		if _, isU := v.(undefined); isU || (boolean && !truthy(v)) {
			return def, nil
		}
		return v, nil
	case "string":
		return pyStr(v)
	case "lower", "upper", "trim":
		s, err := pyStr(v)
		if err != nil {
			return nil, err
		}
		switch name {
		case "lower":
			return strings.ToLower(s), nil
		case "upper":
			return strings.ToUpper(s), nil
		}
		return strings.TrimSpace(s), nil
	case "replace":
		s, err := pyStr(v)
		if err != nil {
			return nil, err
		}
		if len(args) != 2 {
			return nil, fmt.Errorf("replace filter takes two arguments here")
		}
		old, ok1 := args[0].(string)
		nw, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("replace filter takes two strings")
		}
		return strings.ReplaceAll(s, old, nw), nil
	case "int":
		switch x := v.(type) {
		case int64:
			return x, nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case string:
			var n int64
			if _, err := fmt.Sscan(strings.TrimSpace(x), &n); err != nil {
				return int64(0), nil
			}
			return n, nil
		}
		return int64(0), nil
	}
	return nil, fmt.Errorf("the filter %s is not supported", name)
}

func binop(op string, l, r any) (any, error) {
	if u, ok := l.(undefined); ok && op != "==" && op != "!=" && op != "~" {
		return nil, fmt.Errorf("%q is undefined", u.name)
	}
	if u, ok := r.(undefined); ok && op != "==" && op != "!=" && op != "~" {
		return nil, fmt.Errorf("%q is undefined", u.name)
	}
	switch op {
	case "~":
		ls, err := pyStr(l)
		if err != nil {
			return nil, err
		}
		rs, err := pyStr(r)
		if err != nil {
			return nil, err
		}
		return ls + rs, nil
	case "==", "!=":
		eq := equal(l, r)
		if op == "==" {
			return eq, nil
		}
		return !eq, nil
	case "in", "not in":
		ls, ok1 := l.(string)
		rs, ok2 := r.(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("'in' is supported between strings only")
		}
		in := strings.Contains(rs, ls)
		if op == "in" {
			return in, nil
		}
		return !in, nil
	case "+", "-":
		if a, ok := asInt(l); ok {
			if b, ok := asInt(r); ok {
				if op == "+" {
					return a + b, nil
				}
				return a - b, nil
			}
		}
		if a, ok := l.(string); ok && op == "+" {
			if b, ok := r.(string); ok {
				return a + b, nil
			}
		}
		return nil, fmt.Errorf("unsupported operand types for %s: %s and %s", op, typeName(l), typeName(r))
	}
	c, err := compare(l, r)
	if err != nil {
		return nil, fmt.Errorf("'%s' not supported between %s and %s", op, typeName(l), typeName(r))
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return nil, fmt.Errorf("operator %s is not supported", op)
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func equal(l, r any) bool {
	if a, ok := asInt(l); ok {
		b, ok := asInt(r)
		return ok && a == b
	}
	switch a := l.(type) {
	case undefined:
		_, ok := r.(undefined)
		return ok
	case nil:
		return r == nil
	case string:
		b, ok := r.(string)
		return ok && a == b
	case time.Time:
		b, ok := r.(time.Time)
		return ok && a.Equal(b)
	}
	return l == r
}

func compare(l, r any) (int, error) {
	if a, ok := asInt(l); ok {
		if b, ok := asInt(r); ok {
			switch {
			case a < b:
				return -1, nil
			case a > b:
				return 1, nil
			}
			return 0, nil
		}
	}
	if a, ok := l.(string); ok {
		if b, ok := r.(string); ok {
			return strings.Compare(a, b), nil
		}
	}
	if a, ok := l.(time.Time); ok {
		if b, ok := r.(time.Time); ok {
			return a.Compare(b), nil
		}
	}
	return 0, fmt.Errorf("not comparable")
}
