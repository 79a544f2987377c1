package dagdef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dagctl/dagctl/pkg/taskgraph"
)

// parseTaskGroup reads the serialized "_task_group"
// (TaskGroupSerialization.serialize_task_group): {"_group_id": id|null,
// "children": {node_id: ["operator", task_id] | ["taskgroup", {...}]},
// "upstream_task_ids": [...], ...}. The children keep the order they were
// written in, which is the order they were added to the group: a Go map
// would lose it, so the object is read token by token.
func parseTaskGroup(raw json.RawMessage) (*taskgraph.Group, error) {
	var g struct {
		GroupID         *string         `json:"_group_id"`
		Children        json.RawMessage `json:"children"`
		UpstreamTaskIDs []string        `json:"upstream_task_ids"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("_task_group: %w", err)
	}
	out := &taskgraph.Group{UpstreamTaskIDs: g.UpstreamTaskIDs}
	if g.GroupID != nil {
		out.ID = *g.GroupID
	}
	if len(g.Children) == 0 || isNull(g.Children) {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(g.Children))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("_task_group: children is not an object")
	}
	for dec.More() {
		if _, err := dec.Token(); err != nil { // the child's node id
			return nil, fmt.Errorf("_task_group: %w", err)
		}
		var pair []json.RawMessage
		if err := dec.Decode(&pair); err != nil || len(pair) != 2 {
			return nil, errors.New("_task_group: a child is not a [type, value] pair")
		}
		var kind string
		if err := json.Unmarshal(pair[0], &kind); err != nil {
			return nil, fmt.Errorf("_task_group: child type: %w", err)
		}
		switch kind {
		case "operator":
			var id string
			if err := json.Unmarshal(pair[1], &id); err != nil {
				return nil, fmt.Errorf("_task_group: task id: %w", err)
			}
			out.Children = append(out.Children, taskgraph.Node{TaskID: id})
		case "taskgroup":
			sub, err := parseTaskGroup(pair[1])
			if err != nil {
				return nil, err
			}
			out.Children = append(out.Children, taskgraph.Node{Group: sub})
		default:
			return nil, fmt.Errorf("_task_group: unknown child type %q", kind)
		}
	}
	return out, nil
}
