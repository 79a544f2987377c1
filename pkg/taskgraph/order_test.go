package taskgraph

import (
	"slices"
	"testing"
)

func tasksOf(g *Group) []string {
	var out []string
	for _, c := range g.Children {
		if c.Group != nil {
			out = append(out, tasksOf(c.Group)...)
		} else {
			out = append(out, c.TaskID)
		}
	}
	return out
}

// TestTopologicalOrder: cases worked through Airflow's TaskGroup.topological_sort
// by hand (airflow/utils/task_group.py; task-sdk definitions/taskgroup.py).
func TestTopologicalOrder(t *testing.T) {
	task := func(id string) Node { return Node{TaskID: id} }
	group := func(id string, up []string, children ...Node) Node {
		return Node{Group: &Group{ID: id, UpstreamTaskIDs: up, Children: children}}
	}
	cases := []struct {
		name string
		root *Group
		down map[string][]string
		want []string
	}{
		{
			name: "a group waits for its upstream and blocks what follows its tasks",
			root: &Group{Children: []Node{task("end"), group("g", []string{"start"}, task("g.a"), task("g.b")), task("start")}},
			down: map[string][]string{"start": {"g.a"}, "g.a": {"g.b"}, "g.b": {"end"}},
			want: []string{"start", "g.a", "g.b", "end"},
		},
		{
			// x >> g.a sets no group-level upstream, so the group sorts first:
			// Airflow lists g.a before x, and so does dagctl.
			name: "task-level edge into a group does not hold the group back",
			root: &Group{Children: []Node{group("g", nil, task("g.a")), task("x")}},
			down: map[string][]string{"x": {"g.a"}},
			want: []string{"g.a", "x"},
		},
		{
			name: "nested groups expand in place",
			root: &Group{Children: []Node{
				task("z"),
				group("outer", []string{"a"}, group("outer.inner", []string{"outer.t0"}, task("outer.inner.t2"), task("outer.inner.t1")), task("outer.t0")),
				task("a"),
			}},
			down: map[string][]string{"a": {"outer.t0"}, "outer.t0": {"outer.inner.t1"}, "outer.inner.t1": {"outer.inner.t2"}, "outer.inner.t2": {"z"}},
			// root: z is blocked by outer (t2's group chain), outer by a; a first, then outer, then z.
			// outer: inner (outer.t0 >> inner) waits for t0. inner: t1, then t2.
			want: []string{"a", "outer.t0", "outer.inner.t1", "outer.inner.t2", "z"},
		},
		{
			name: "a task freed in a pass is taken in that same pass",
			root: &Group{Children: []Node{task("a"), task("b"), task("c")}},
			down: map[string][]string{"a": {"b"}, "b": {"c"}},
			want: []string{"a", "b", "c"},
		},
		{
			name: "a cycle keeps the rest in declaration order",
			root: &Group{Children: []Node{task("x"), task("y"), task("z")}},
			down: map[string][]string{"x": {"y"}, "y": {"x"}},
			want: []string{"z", "x", "y"},
		},
	}
	for _, c := range cases {
		got := TopologicalOrder(c.root, tasksOf(c.root), c.down)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Without a task group: the serialized tasks as the root's children.
	if got := TopologicalOrder(nil, []string{"load", "extract"}, map[string][]string{"extract": {"load"}}); !slices.Equal(got, []string{"extract", "load"}) {
		t.Errorf("no group: %v", got)
	}
	// A task missing from the group tree still appears, last.
	if got := TopologicalOrder(&Group{Children: []Node{task("a")}}, []string{"a", "stray"}, nil); !slices.Equal(got, []string{"a", "stray"}) {
		t.Errorf("stray: %v", got)
	}
}

// TestTopologicalOrderTreeOutOfStep: a group tree that names tasks the DAG
// does not have, and lacks some it has, still orders the DAG's tasks.
func TestTopologicalOrderTreeOutOfStep(t *testing.T) {
	root := &Group{Children: []Node{{TaskID: "start"}, {TaskID: "work"}, {TaskID: "transform"}}}
	got := TopologicalOrder(root, []string{"load", "transform", "extract"}, map[string][]string{"extract": {"transform"}, "transform": {"load"}})
	if !slices.Equal(got, []string{"extract", "transform", "load"}) {
		t.Errorf("%v", got)
	}
}
