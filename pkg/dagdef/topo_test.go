package dagdef

import (
	"slices"
	"testing"
)

func TestTopologicalOrder(t *testing.T) {
	cases := []struct {
		name  string
		tasks []string
		down  map[string][]string
		want  []string
	}{
		{"chain given backwards", []string{"load", "transform", "extract"},
			map[string][]string{"extract": {"transform"}, "transform": {"load"}}, []string{"extract", "transform", "load"}},
		{"independent keep serialized order", []string{"b", "a", "c"}, nil, []string{"b", "a", "c"}},
		{"diamond", []string{"end", "left", "right", "start"},
			map[string][]string{"start": {"left", "right"}, "left": {"end"}, "right": {"end"}}, []string{"start", "left", "right", "end"}},
		{"unknown downstream ignored", []string{"a", "b"}, map[string][]string{"a": {"zzz"}, "b": {"a"}}, []string{"b", "a"}},
		{"cycle comes last", []string{"x", "y", "z"}, map[string][]string{"x": {"y"}, "y": {"x"}}, []string{"z", "x", "y"}},
	}
	for _, c := range cases {
		d := &DAG{TaskIDs: c.tasks, Downstream: c.down}
		if got := d.TopologicalOrder(); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseDownstreamAndMapped(t *testing.T) {
	data := `{"__version": 1, "dag": {"_dag_id": "d", "tasks": [
	  {"__type": "operator", "__var": {"task_id": "b", "downstream_task_ids": []}},
	  {"__type": "operator", "__var": {"task_id": "m", "_is_mapped": true, "downstream_task_ids": ["b"], "partial_kwargs": {"retries": 2}}},
	  {"__type": "operator", "__var": {"task_id": "a", "downstream_task_ids": ["m"]}}]}}`
	d, err := Parse([]byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Mapped["m"] || d.Mapped["a"] || !slices.Equal(d.Downstream["a"], []string{"m"}) {
		t.Errorf("mapped %v downstream %v", d.Mapped, d.Downstream)
	}
	if got := d.TopologicalOrder(); !slices.Equal(got, []string{"a", "m", "b"}) {
		t.Errorf("order %v", got)
	}
}

// TestParseTaskGroupOrder: the children of "_task_group" keep the order they
// were serialized in (not alphabetical), groups nest, and the order uses them.
func TestParseTaskGroupOrder(t *testing.T) {
	data := `{"__version": 2, "dag": {"dag_id": "d",
	  "_task_group": {"_group_id": null, "children": {
	    "zeta": ["operator", "zeta"],
	    "grp": ["taskgroup", {"_group_id": "grp", "children": {"grp.b": ["operator", "grp.b"], "grp.a": ["operator", "grp.a"]}, "upstream_task_ids": ["zeta"]}],
	    "alpha": ["operator", "alpha"]},
	    "upstream_task_ids": []},
	  "tasks": [
	    {"__type": "operator", "__var": {"task_id": "alpha"}},
	    {"__type": "operator", "__var": {"task_id": "grp.a"}},
	    {"__type": "operator", "__var": {"task_id": "grp.b"}},
	    {"__type": "operator", "__var": {"task_id": "zeta", "downstream_task_ids": ["grp.b", "grp.a"]}}]}}`
	d, err := Parse([]byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.TaskGroup == nil || len(d.TaskGroup.Children) != 3 || d.TaskGroup.Children[0].TaskID != "zeta" || d.TaskGroup.Children[1].Group == nil {
		t.Fatalf("task group %+v", d.TaskGroup)
	}
	// root: zeta, then grp (its upstream zeta is sorted), then alpha; grp keeps b before a.
	if got := d.TopologicalOrder(); !slices.Equal(got, []string{"zeta", "grp.b", "grp.a", "alpha"}) {
		t.Errorf("order %v", got)
	}
	for _, bad := range []string{`{"children": []}`, `{"children": {"x": ["weird", "x"]}}`, `{"children": {"x": ["operator"]}}`} {
		if _, err := parseTaskGroup([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
