package taskgraph

import (
	"regexp"
	"slices"
	"testing"
)

// extract >> [clean_a, clean_b]; clean_a >> load; clean_b >> load; load >> report; audit alone.
var g = Graph{
	Tasks: []string{"extract", "clean_a", "clean_b", "load", "report", "audit"},
	Downstream: map[string][]string{
		"extract": {"clean_a", "clean_b"},
		"clean_a": {"load"},
		"clean_b": {"load"},
		"load":    {"report"},
	},
}

func TestSelect(t *testing.T) {
	cases := []struct {
		name     string
		re       string
		down, up bool
		want     []string
	}{
		{"no regex keeps all", "", false, false, g.Tasks},
		{"search semantics", "clean", false, false, []string{"clean_a", "clean_b"}},
		{"anchored", "^load$", false, false, []string{"load"}},
		{"downstream closure is transitive", "^clean_a$", true, false, []string{"clean_a", "load", "report"}},
		{"upstream closure is transitive", "^report$", false, true, []string{"extract", "clean_a", "clean_b", "load", "report"}},
		{"both", "^load$", true, true, []string{"extract", "clean_a", "clean_b", "load", "report"}},
		{"no match", "^nope$", true, true, []string{}},
		{"unconnected task has no relatives", "^audit$", true, true, []string{"audit"}},
		{"graph order, not match order", "report|extract", false, false, []string{"extract", "report"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel := Selection{Downstream: c.down, Upstream: c.up}
			if c.re != "" {
				sel.Regex = regexp.MustCompile(c.re)
			}
			got := Select(g, sel)
			if !slices.Equal(got, c.want) {
				t.Errorf("Select(%q, down=%t, up=%t) = %v, want %v", c.re, c.down, c.up, got, c.want)
			}
		})
	}
}

// A cycle (impossible in Airflow, but the input is data) does not loop forever.
func TestSelectCycle(t *testing.T) {
	cyc := Graph{Tasks: []string{"a", "b"}, Downstream: map[string][]string{"a": {"b"}, "b": {"a"}}}
	got := Select(cyc, Selection{Regex: regexp.MustCompile("^a$"), Downstream: true})
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("got %v", got)
	}
}
