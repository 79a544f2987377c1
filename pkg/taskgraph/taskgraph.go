// Package taskgraph selects tasks of a DAG the way Airflow's
// DAG.partial_subset does for `airflow tasks clear -t REGEX -d -u`: the tasks
// whose id the regular expression matches, plus, on request, everything
// downstream and/or upstream of them in the task graph.
package taskgraph

import "regexp"

// Graph is a DAG's tasks in serialized order and each task's downstream task ids.
type Graph struct {
	Tasks      []string
	Downstream map[string][]string
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

// Select returns the selected task ids in the graph's order.
func Select(g Graph, sel Selection) []string {
	if sel.Regex == nil {
		return append([]string{}, g.Tasks...)
	}
	keep := map[string]bool{}
	for _, id := range g.Tasks {
		if sel.Regex.MatchString(id) {
			keep[id] = true
		}
	}
	matched := make([]string, 0, len(keep))
	for _, id := range g.Tasks {
		if keep[id] {
			matched = append(matched, id)
		}
	}
	if sel.Downstream {
		closure(matched, g.Downstream, keep)
	}
	if sel.Upstream {
		closure(matched, upstream(g), keep)
	}
	out := make([]string, 0, len(keep))
	for _, id := range g.Tasks {
		if keep[id] {
			out = append(out, id)
		}
	}
	return out
}

// closure adds to keep everything reachable from roots along edges.
func closure(roots []string, edges map[string][]string, keep map[string]bool) {
	seen := map[string]bool{}
	stack := append([]string{}, roots...)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, next := range edges[id] {
			if !seen[next] {
				seen[next] = true
				keep[next] = true
				stack = append(stack, next)
			}
		}
	}
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
