// Package rbac decides what the acting user may do, from Airflow's own FAB
// role tables, the way Airflow's API checks it.
package rbac

import "context"

// Action is what a command wants to do to a DAG.
type Action int

// Actions, mapped to Airflow's (permission, resource) pairs by the checker.
const (
	// Read: can_read on DAGs or DAG:<id>.
	Read Action = iota
	// Edit: can_edit on DAGs or DAG:<id>.
	Edit
	// CreateRun: can_create on DAG Runs and can_edit on DAGs or DAG:<id>.
	CreateRun
	// Service: can_edit on DAGs (global), for reconcile.
	Service
)

// Checker answers permission questions for one acting user.
type Checker interface {
	// Check returns nil when the user may do action on dagID, or an apperr Denied error.
	Check(ctx context.Context, action Action, dagID string) error
	// Readable filters ids to the DAGs the user may read; all=true means no filtering applies.
	Readable(ctx context.Context, ids []string) (kept []string, all bool, err error)
	// Enforced reports whether checks are on.
	Enforced() bool
}

// AllowAll is the checker when enforcement is off.
type AllowAll struct{}

// Check allows everything.
func (AllowAll) Check(context.Context, Action, string) error { return nil }

// Readable keeps everything.
func (AllowAll) Readable(_ context.Context, ids []string) ([]string, bool, error) {
	return ids, true, nil
}

// Enforced is false.
func (AllowAll) Enforced() bool { return false }
