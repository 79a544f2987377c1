// Package dagops holds the operations on DAGs that write: pause and unpause.
// Each runs in one transaction and returns what it did.
package dagops

import (
	"context"
	"errors"
	"regexp"
	"regexp/syntax"
	"sort"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
)

// PauseRequest selects DAGs by id or by pattern and sets their is_paused.
type PauseRequest struct {
	DagIDs []string
	// Pattern, when set, selects every dag_id it matches as a whole (Go regexp).
	Pattern string
	Paused  bool
	DryRun  bool
	User    string
	// Authorize is asked for each selected DAG before anything is written.
	Authorize func(ctx context.Context, dagID string) error
}

// PauseChange is one DAG's is_paused before and after.
type PauseChange struct {
	DagID  string
	Before bool
	After  bool
}

// Changed reports whether the DAG's is_paused was (or would be) written.
func (c PauseChange) Changed() bool { return c.Before != c.After }

// WholeMatch compiles pattern so that it must match a dag_id as a whole;
// a bad pattern is invalid input naming --pattern.
func WholeMatch(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, apperr.Invalid("--pattern: %q is not a valid regular expression (Go RE2 syntax): %v", pattern, unwrapRE(err))
	}
	return re, nil
}

// unwrapRE keeps the reason of a regexp error without repeating the expression.
func unwrapRE(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return string(se.Code)
	}
	return err.Error()
}

// ErrDryRun rolls back the transaction of a dry run; SetPaused does not return it.
var ErrDryRun = errors.New("dry run")

// Select resolves the request to dag_ids (sorted) without writing: unknown
// ids and a pattern that matches nothing are not found (exit 3).
func Select(ctx context.Context, st *store.Store, req PauseRequest) ([]string, error) {
	all, err := st.PausedStates(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	if req.Pattern != "" {
		re, err := WholeMatch(req.Pattern)
		if err != nil {
			return nil, err
		}
		for id := range all {
			if re.MatchString(id) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil, apperr.NotFound("--pattern: no dag matches %q; nothing changed", req.Pattern)
		}
	} else {
		seen := map[string]bool{}
		var missing []string
		for _, id := range req.DagIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			if _, ok := all[id]; !ok {
				missing = append(missing, id)
				continue
			}
			ids = append(ids, id)
		}
		if len(missing) > 0 {
			return nil, apperr.NotFound("dag %q not found; nothing changed", missing[0])
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// SetPaused pauses or unpauses the selected DAGs in one transaction and
// leaves one audit row (dagctl.dags.pause or dagctl.dags.unpause). Every DAG
// is authorized before anything is written; with DryRun nothing is.
func SetPaused(ctx context.Context, st *store.Store, req PauseRequest) ([]PauseChange, error) {
	ids, err := Select(ctx, st, req)
	if err != nil {
		return nil, err
	}
	if req.Authorize != nil {
		for _, id := range ids {
			if err := req.Authorize(ctx, id); err != nil {
				return nil, err
			}
		}
	}
	var out []PauseChange
	err = st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = WritePaused(tx, ids, req)
		return err
	})
	if err != nil && !errors.Is(err, ErrDryRun) {
		return nil, err
	}
	return out, nil
}

// WritePaused is SetPaused's write inside a transaction the caller owns, so
// that another command can compose it with its own writes (runs create
// --unpause unpauses and creates in one transaction): it reads is_paused of
// ids, sets it to req.Paused and writes the same audit row as `dags pause` /
// `dags unpause`. The caller has selected and authorized ids. With req.DryRun
// it returns the changes and ErrDryRun, which rolls the transaction back.
func WritePaused(tx *store.Tx, ids []string, req PauseRequest) ([]PauseChange, error) {
	verb := "pause"
	if !req.Paused {
		verb = "unpause"
	}
	before, err := tx.PausedStates(ids)
	if err != nil {
		return nil, err
	}
	out := make([]PauseChange, 0, len(ids))
	for _, id := range ids {
		b, ok := before[id]
		if !ok {
			return nil, apperr.NotFound("dag %q not found (deleted meanwhile); nothing changed", id)
		}
		out = append(out, PauseChange{DagID: id, Before: b, After: req.Paused})
	}
	if req.DryRun {
		return out, ErrDryRun
	}
	changed, err := tx.SetPaused(ids, req.Paused)
	if err != nil {
		return nil, err
	}
	entry := store.AuditEntry{Event: "dagctl.dags." + verb, Owner: req.User,
		Extra: map[string]any{"dag_ids": ids, "changed": changed}}
	if len(ids) == 1 {
		entry.DagID = ids[0]
	}
	if req.Pattern != "" {
		entry.Extra.(map[string]any)["pattern"] = req.Pattern
	}
	return out, tx.Audit(entry)
}
