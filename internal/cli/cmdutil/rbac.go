package cmdutil

import (
	"context"

	"github.com/dagctl/dagctl/internal/rbac"
	"github.com/dagctl/dagctl/internal/store"
)

// Checker returns the permission checker for the acting user.
func (f *Factory) Checker(ctx context.Context) (rbac.Checker, error) {
	f.mu.Lock()
	c := f.checker
	f.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := f.newChecker(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.checker = c
	f.mu.Unlock()
	return c, nil
}

// Authorize checks one action on one DAG for the acting user.
func (f *Factory) Authorize(ctx context.Context, action rbac.Action, dagID string) error {
	c, err := f.Checker(ctx)
	if err != nil {
		return err
	}
	return c.Check(ctx, action, dagID)
}

// newChecker builds the checker from the rbac setting and Airflow's FAB tables.
func (f *Factory) newChecker(ctx context.Context) (rbac.Checker, error) {
	c, _, err := f.RBACStatus(ctx)
	return c, err
}

// RBACStatus builds the checker and says whether and why it enforces (for doctor).
func (f *Factory) RBACStatus(ctx context.Context) (rbac.Checker, rbac.Status, error) {
	s, err := f.Settings(ctx)
	if err != nil {
		return nil, rbac.Status{}, err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, rbac.Status{}, err
	}
	return rbac.New(ctx, rbac.Mode(s.RBAC.Value), s.User.Value, st)
}

// User is the acting user's name.
func (f *Factory) User(ctx context.Context) (string, error) {
	s, err := f.Settings(ctx)
	if err != nil {
		return "", err
	}
	return s.User.Value, nil
}

// RestrictToReadable narrows a run filter to the DAGs the user may read.
func (f *Factory) RestrictToReadable(ctx context.Context, filter *store.RunFilter) error {
	c, err := f.Checker(ctx)
	if err != nil || !c.Enforced() {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	ids := []string{filter.DagID}
	if filter.DagID == "" {
		dags, err := st.ListDAGs(ctx, store.DAGFilter{IncludeInactive: true})
		if err != nil {
			return err
		}
		ids = make([]string, len(dags))
		for i, d := range dags {
			ids[i] = d.ID
		}
	}
	kept, all, err := c.Readable(ctx, ids)
	if err != nil || all {
		return err
	}
	if hidden := len(ids) - len(kept); hidden > 0 {
		f.IO.Infof("runs of %d dag(s) hidden: the acting user may not read them", hidden)
	}
	filter.DagIDs = kept
	return nil
}

// KeepReadableDAGs drops the DAGs the user may not read and says how many were hidden.
func (f *Factory) KeepReadableDAGs(ctx context.Context, dags []store.DAG) ([]store.DAG, int, error) {
	c, err := f.Checker(ctx)
	if err != nil || !c.Enforced() {
		return dags, 0, err
	}
	ids := make([]string, len(dags))
	for i, d := range dags {
		ids[i] = d.ID
	}
	kept, all, err := c.Readable(ctx, ids)
	if err != nil || all {
		return dags, 0, err
	}
	keep := make(map[string]bool, len(kept))
	for _, id := range kept {
		keep[id] = true
	}
	out := make([]store.DAG, 0, len(kept))
	for _, d := range dags {
		if keep[d.ID] {
			out = append(out, d)
		}
	}
	return out, len(dags) - len(out), nil
}

// KeepReadableBackfills drops backfills of DAGs the user may not read.
func (f *Factory) KeepReadableBackfills(ctx context.Context, bs []store.Backfill) ([]store.Backfill, int, error) {
	c, err := f.Checker(ctx)
	if err != nil || !c.Enforced() {
		return bs, 0, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, b := range bs {
		if !seen[b.DagID] {
			seen[b.DagID] = true
			ids = append(ids, b.DagID)
		}
	}
	kept, all, err := c.Readable(ctx, ids)
	if err != nil || all {
		return bs, 0, err
	}
	keep := map[string]bool{}
	for _, id := range kept {
		keep[id] = true
	}
	out := make([]store.Backfill, 0, len(bs))
	for _, b := range bs {
		if keep[b.DagID] {
			out = append(out, b)
		}
	}
	return out, len(bs) - len(out), nil
}

// ReadableRun opens the store, finds the run (dagID "" when the run id is in
// one DAG only) and checks that the user may read its DAG.
func (f *Factory) ReadableRun(ctx context.Context, runID, dagID string) (*store.Store, *store.Run, error) {
	st, err := f.Store(ctx)
	if err != nil {
		return nil, nil, err
	}
	run, err := st.GetRun(ctx, runID, dagID)
	if err != nil {
		return nil, nil, err
	}
	if err := f.Authorize(ctx, rbac.Read, run.DagID); err != nil {
		return nil, nil, err
	}
	return st, run, nil
}
