package taskgraph

// Group is a task group of a serialized DAG (its "_task_group"): the
// children in declaration order, each a task or a nested group, and the
// tasks set upstream of the group itself (group >> ... in the DAG file).
type Group struct {
	// ID is the group's id ("" for the DAG's root group).
	ID              string
	Children        []Node
	UpstreamTaskIDs []string
}

// Node is one child of a group: a task (TaskID) or a group (Group).
type Node struct {
	TaskID string
	Group  *Group
}

func (n Node) id() string {
	if n.Group != nil {
		return n.Group.ID
	}
	return n.TaskID
}

// TopologicalOrder returns the DAG's task ids in the order Airflow's
// DAG.topological_sort gives them (airflow/models/dag.py in 2.x,
// task-sdk's definitions/dag.py in 3.x): each group's children are sorted
// by TaskGroup.topological_sort (airflow/utils/task_group.py,
// task-sdk's definitions/taskgroup.py), which repeatedly walks the unsorted
// children in declaration order and takes every child none of whose
// upstream tasks is still unsorted, counting a task inside an unsorted
// group as unsorted; nested groups are then expanded in place.
//
// root nil stands for a DAG without groups: its tasks in serialized order.
// Tasks that a cycle (which Airflow refuses to load) would leave behind
// follow in declaration order; tasks in downstream but not in tasks are
// ignored, and so are group children that are not in tasks.
func TopologicalOrder(root *Group, tasks []string, downstream map[string][]string) []string {
	known := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		known[t] = true
	}
	// The group tree holds only the DAG's tasks: a child that is not one is
	// dropped, and a task the tree lacks joins the root, in declaration order.
	inTree := map[string]bool{}
	var prune func(g *Group) *Group
	prune = func(g *Group) *Group {
		out := &Group{ID: g.ID, UpstreamTaskIDs: g.UpstreamTaskIDs}
		for _, c := range g.Children {
			switch {
			case c.Group != nil:
				out.Children = append(out.Children, Node{Group: prune(c.Group)})
			case known[c.TaskID] && !inTree[c.TaskID]:
				inTree[c.TaskID] = true
				out.Children = append(out.Children, c)
			}
		}
		return out
	}
	if root == nil {
		root = &Group{}
	}
	root = prune(root)
	for _, t := range tasks {
		if !inTree[t] {
			inTree[t] = true
			root.Children = append(root.Children, Node{TaskID: t})
		}
	}
	upstream := map[string][]string{}
	for _, t := range tasks {
		for _, d := range downstream[t] {
			upstream[d] = append(upstream[d], t)
		}
	}
	// parents[task] is the chain of groups around a task, innermost first.
	parents := map[string][]string{}
	var walk func(g *Group, chain []string)
	walk = func(g *Group, chain []string) {
		if g.ID != "" {
			chain = append([]string{g.ID}, chain...)
		}
		for _, c := range g.Children {
			if c.Group != nil {
				walk(c.Group, chain)
			} else {
				parents[c.TaskID] = chain
			}
		}
	}
	walk(root, nil)

	var out []string
	seen := map[string]bool{}
	var expand func(g *Group)
	expand = func(g *Group) {
		for _, n := range sortGroup(g, upstream, parents) {
			if n.Group != nil {
				expand(n.Group)
			} else if !seen[n.TaskID] {
				seen[n.TaskID] = true
				out = append(out, n.TaskID)
			}
		}
	}
	expand(root)
	return out
}

// sortGroup is TaskGroup.topological_sort for one group's children.
func sortGroup(g *Group, upstream map[string][]string, parents map[string][]string) []Node {
	unsorted := map[string]bool{}
	pending := make([]Node, 0, len(g.Children))
	for _, c := range g.Children {
		unsorted[c.id()] = true
		pending = append(pending, c)
	}
	sorted := make([]Node, 0, len(pending))
	for len(pending) > 0 {
		progressed := false
		rest := pending[:0:0]
		for _, n := range pending {
			edges := upstream[n.TaskID]
			if n.Group != nil {
				edges = n.Group.UpstreamTaskIDs
			}
			if blocked(edges, unsorted, parents) {
				rest = append(rest, n)
				continue
			}
			// Taken at once: later children of the same pass see it sorted.
			delete(unsorted, n.id())
			sorted = append(sorted, n)
			progressed = true
		}
		pending = rest
		if !progressed {
			// A cycle: Airflow raises; keep the rest in declaration order.
			return append(sorted, pending...)
		}
	}
	return sorted
}

// blocked reports whether an upstream task, or a group around it, is still unsorted.
func blocked(edges []string, unsorted map[string]bool, parents map[string][]string) bool {
	for _, e := range edges {
		if unsorted[e] {
			return true
		}
		for _, gid := range parents[e] {
			if unsorted[gid] {
				return true
			}
		}
	}
	return false
}
