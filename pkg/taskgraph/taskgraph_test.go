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

// s3 (setup) >> [other, td3]; other >> work; s1 (setup) >> [work, td1];
// s2 (setup, no teardown) >> work; work >> [td1, after]. td1 and td3 are
// teardowns; td3 is not downstream of work.
var st = Graph{
	Tasks: []string{"s3", "s1", "s2", "other", "work", "td1", "td3", "after"},
	Downstream: map[string][]string{
		"s3":    {"other", "td3"},
		"other": {"work"},
		"s1":    {"work", "td1"},
		"s2":    {"work"},
		"work":  {"td1", "after"},
	},
	Setup:    map[string]bool{"s1": true, "s2": true, "s3": true},
	Teardown: map[string]bool{"td1": true, "td3": true},
}

// Expected sets worked out from DAG.partial_subset and
// get_upstreams_only_setups_and_teardowns / get_upstreams_follow_setups.
func TestSelectSetupTeardown(t *testing.T) {
	cases := []struct {
		name     string
		re       string
		down, up bool
		want     []string
	}{
		// s3's teardown td3 is not downstream of work: s3 is not relevant.
		{"plain task brings its relevant setups and their teardowns", "^work$", false, false, []string{"s1", "s2", "work", "td1"}},
		{"upstream follows every setup to its teardowns", "^work$", false, true, []string{"s3", "s1", "s2", "other", "work", "td1", "td3"}},
		{"downstream relatives bring their setups", "^other$", true, false, []string{"s1", "s2", "other", "work", "td1", "after"}},
		{"a setup brings its teardowns", "^s1$", false, false, []string{"s1", "td1"}},
		{"a setup with downstream", "^s1$", true, false, []string{"s1", "s2", "work", "td1", "after"}},
		{"a teardown brings nothing", "^td1$", false, false, []string{"td1"}},
		{"a setup without teardowns is relevant to everything below it", "^after$", false, false, []string{"s2", "after"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Select(st, Selection{Regex: regexp.MustCompile(c.re), Downstream: c.down, Upstream: c.up})
			if !slices.Equal(got, c.want) {
				t.Errorf("Select(%q, down=%t, up=%t) = %v, want %v", c.re, c.down, c.up, got, c.want)
			}
		})
	}
}
