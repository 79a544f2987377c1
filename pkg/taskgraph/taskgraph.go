// Package taskgraph selects tasks of a DAG the way Airflow's
// DAG.partial_subset does for `airflow tasks clear -t REGEX -d -u`: the tasks
// whose id the regular expression matches, plus, on request, everything
// downstream and/or upstream of them in the task graph, plus the setup and
// teardown tasks that belong to them (Airflow 2.7+).
package taskgraph

import "regexp"

// Graph is a DAG's tasks in serialized order, each task's downstream task
// ids, and which tasks are setups and teardowns.
type Graph struct {
	Tasks      []string
	Downstream map[string][]string
	Setup      map[string]bool
	Teardown   map[string]bool
}

// Selection says which tasks to keep.
type Selection struct {
	// Regex, when not nil, keeps the tasks whose id it matches anywhere in
	// the id (Python's re.search, as 2.x partial_subset uses); anchor it with
	// ^ and $ to match whole ids. nil keeps every task.
	Regex *regexp.Regexp
	// Downstream and Upstream add the matched tasks' relatives, transitively
	// (BaseOperator.get_flat_relatives).
	Downstream bool
	Upstream   bool
}

// Select returns the selected task ids in the graph's order. It follows
// DAG.partial_subset (airflow/models/dag.py in 2.7–2.11,
// airflow-core/src/airflow/serialization/serialized_objects.py and
// task-sdk's definitions/dag.py in 3.x), which is the same on both families:
//
//   - with Downstream, every downstream relative; each one that was not
//     matched itself and is neither a setup nor a teardown also brings its
//     relevant setups and teardowns (get_upstreams_only_setups_and_teardowns);
//   - with Upstream, every upstream relative and, for each upstream setup,
//     its teardowns (get_upstreams_follow_setups); without Upstream, a matched
//     task that is neither a setup nor a teardown brings its relevant setups
//     and their teardowns;
//   - a matched setup brings its direct teardowns unless Downstream is set
//     (then they are among its downstream relatives already).
func Select(g Graph, sel Selection) []string {
	if sel.Regex == nil {
		return append([]string{}, g.Tasks...)
	}
	up := upstream(g)
	matched := map[string]bool{}
	for _, id := range g.Tasks {
		if sel.Regex.MatchString(id) {
			matched[id] = true
		}
	}
	keep := map[string]bool{}
	for id := range matched {
		keep[id] = true
	}
	plain := func(id string) bool { return !g.Setup[id] && !g.Teardown[id] }
	for _, t := range g.Tasks {
		if !matched[t] {
			continue
		}
		if sel.Downstream {
			for _, rel := range flat(t, g.Downstream) {
				keep[rel] = true
				if !matched[rel] && plain(rel) {
					onlySetupsAndTeardowns(g, up, rel, keep)
				}
			}
		}
		if sel.Upstream {
			// get_upstreams_follow_setups
			for _, rel := range flat(t, up) {
				keep[rel] = true
				if g.Setup[rel] {
					for _, d := range g.Downstream[rel] {
						if g.Teardown[d] && d != t {
							keep[d] = true
						}
					}
				}
			}
		} else if plain(t) {
			onlySetupsAndTeardowns(g, up, t, keep)
		}
		if g.Setup[t] && !sel.Downstream {
			for _, d := range g.Downstream[t] {
				if g.Teardown[d] {
					keep[d] = true
				}
			}
		}
	}
	out := make([]string, 0, len(keep))
	for _, id := range g.Tasks {
		if keep[id] {
			out = append(out, id)
		}
	}
	return out
}

// onlySetupsAndTeardowns is AbstractOperator.get_upstreams_only_setups_and_teardowns
// (airflow/models/abstractoperator.py in 2.x, task-sdk's
// definitions/_internal/abstractoperator.py in 3.x): the upstream setups of
// task that have no teardown or a teardown downstream of task, with their
// teardowns (task itself excepted).
func onlySetupsAndTeardowns(g Graph, up map[string][]string, task string, keep map[string]bool) {
	downTeardowns := map[string]bool{}
	for _, d := range flat(task, g.Downstream) {
		if g.Teardown[d] {
			downTeardowns[d] = true
		}
	}
	for _, s := range flat(task, up) {
		if !g.Setup[s] {
			continue
		}
		hasTeardown, relevant := false, false
		for _, d := range g.Downstream[s] {
			if g.Teardown[d] {
				hasTeardown = true
				if downTeardowns[d] {
					relevant = true
				}
			}
		}
		if hasTeardown && !relevant {
			continue
		}
		keep[s] = true
		for _, d := range g.Downstream[s] {
			if g.Teardown[d] && d != task {
				keep[d] = true
			}
		}
	}
}

// flat is get_flat_relative_ids: everything reachable from id along edges,
// id itself excluded unless a cycle leads back to it.
func flat(id string, edges map[string][]string) []string {
	seen := map[string]bool{}
	var out []string
	stack := append([]string{}, edges[id]...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
		stack = append(stack, edges[n]...)
	}
	return out
}

func upstream(g Graph) map[string][]string {
	up := map[string][]string{}
	for _, id := range g.Tasks {
		for _, d := range g.Downstream[id] {
			up[d] = append(up[d], id)
		}
	}
	return up
}
