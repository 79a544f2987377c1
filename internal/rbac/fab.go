package rbac

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
)

// Mode says whether permission checks apply.
type Mode string

// Modes (config key rbac, flag --rbac, DAGCTL_RBAC).
const (
	// ModeAuto enforces when the FAB role tables exist and hold at least one user.
	ModeAuto Mode = "auto"
	// ModeEnforce always enforces; without FAB tables every check is denied.
	ModeEnforce Mode = "enforce"
	// ModeOff never checks.
	ModeOff Mode = "off"
)

// Source is where the FAB users and permissions come from; *store.Store satisfies it.
type Source interface {
	FABTablesPresent() bool
	FABUserCount(ctx context.Context) (int64, error)
	FABUser(ctx context.Context, name string) (store.FABUser, error)
	FABPermissions(ctx context.Context, id int64) ([][2]string, error)
}

var _ Source = (*store.Store)(nil)

// Status says what New decided, for doctor.
type Status struct {
	Mode     Mode
	Enforced bool
	// Reason is one line, e.g. `auto: FAB tables with 3 users → enforced as user "bob"`.
	Reason string
}

// FAB names, from airflow/security/permissions.py (Airflow 2.10).
const (
	actionRead   = "can_read"
	actionEdit   = "can_edit"
	actionCreate = "can_create"

	resourceDAGs      = "DAGs"
	resourceDAGRuns   = "DAG Runs"
	prefixDAG         = "DAG:"
	prefixDAGRun      = "DAG Run:"
	userSettingsHint  = "--user NAME, DAGCTL_USER or config user"
	rbacSettingsHint  = "--rbac, DAGCTL_RBAC or config rbac"
	fabTablesListText = "ab_user, ab_role, ab_user_role, ab_permission, ab_view_menu, ab_permission_view, ab_permission_view_role"
)

// New decides whether checks are enforced and returns the checker for user.
//
// auto enforces when the FAB tables exist and hold at least one user, else
// it is off; enforce without the FAB tables gives a checker whose every check
// is denied with the reason; off gives AllowAll. When enforcing, an unknown or
// inactive user also gives a checker that denies everything, naming the user
// and how to choose another one. The error is for database failures and a
// mode New does not know.
func New(ctx context.Context, mode Mode, user string, src Source) (Checker, Status, error) {
	if mode == "" {
		mode = ModeAuto
	}
	st := Status{Mode: mode}
	switch mode {
	case ModeOff:
		st.Reason = "off: permission checks disabled"
		return AllowAll{}, st, nil
	case ModeAuto, ModeEnforce:
	default:
		return nil, st, apperr.Invalid("rbac mode %q is not one of auto, enforce, off", string(mode))
	}
	if src == nil || !src.FABTablesPresent() {
		if mode == ModeAuto {
			st.Reason = "auto: no FAB role tables → off"
			return AllowAll{}, st, nil
		}
		st.Enforced = true
		st.Reason = "enforce: no FAB role tables → every check denied"
		msg := fmt.Sprintf("permission checks are enforced but this database has no FAB role tables (%s; Airflow 3 has them only with the FAB auth manager): set %s to auto or off",
			fabTablesListText, rbacSettingsHint)
		return denyAll{msg: msg}, st, nil
	}
	n, err := src.FABUserCount(ctx)
	if err != nil {
		return nil, st, err
	}
	users := fmt.Sprintf("%d users", n)
	if n == 1 {
		users = "1 user"
	}
	if mode == ModeAuto && n == 0 {
		st.Reason = "auto: FAB tables hold no users → off"
		return AllowAll{}, st, nil
	}
	st.Enforced = true
	prefix := fmt.Sprintf("%s: FAB tables with %s → enforced", mode, users)

	if strings.TrimSpace(user) == "" {
		st.Reason = prefix + ", but no user is set: every check denied"
		return denyAll{msg: fmt.Sprintf("permission checks are enforced and no Airflow user is set: set one with %s", userSettingsHint)}, st, nil
	}
	u, err := src.FABUser(ctx, user)
	if err != nil {
		return nil, st, err
	}
	switch {
	case !u.Found:
		st.Reason = fmt.Sprintf("%s, but user %q is not an Airflow user: every check denied", prefix, user)
		return denyAll{msg: fmt.Sprintf("user %q is not an Airflow user (ab_user): set the acting user with %s", user, userSettingsHint)}, st, nil
	case !u.Active:
		st.Reason = fmt.Sprintf("%s, but user %q is inactive: every check denied", prefix, u.Username)
		return denyAll{msg: fmt.Sprintf("Airflow user %q is inactive: activate it in Airflow or set another user with %s", u.Username, userSettingsHint)}, st, nil
	}
	st.Reason = fmt.Sprintf("%s as user %q", prefix, u.Username)
	return &fabChecker{src: src, user: u}, st, nil
}

// denyAll refuses everything with one message: enforcement is on but there is
// no usable user (or no FAB tables) to check against.
type denyAll struct{ msg string }

func (d denyAll) Check(context.Context, Action, string) error { return apperr.Denied("%s", d.msg) }

func (d denyAll) Readable(context.Context, []string) ([]string, bool, error) {
	return nil, false, apperr.Denied("%s", d.msg)
}

func (denyAll) Enforced() bool { return true }

// fabChecker answers for one active FAB user, the way Airflow 2.10's REST API
// does through the FAB auth manager
// (airflow/providers/fab/auth_manager/fab_auth_manager.py: is_authorized_dag,
// _is_authorized_dag, _is_authorized_dag_run, get_permitted_dag_ids).
type fabChecker struct {
	src  Source
	user store.FABUser

	mu    sync.Mutex
	perms map[[2]string]bool // nil until first read
}

// Enforced is true.
func (c *fabChecker) Enforced() bool { return true }

// load reads the user's permissions once per checker (FAB caches User.perms
// the same way for the life of the request).
func (c *fabChecker) load(ctx context.Context) (map[[2]string]bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.perms != nil {
		return c.perms, nil
	}
	pairs, err := c.src.FABPermissions(ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	m := make(map[[2]string]bool, len(pairs))
	for _, p := range pairs {
		m[p] = true
	}
	c.perms = m
	return m, nil
}

// resourceName mirrors permissions.resource_name in Airflow 2.10
// (airflow/security/permissions.py): a dag id that already is a global
// resource name ("DAGs", "DAG Runs") or carries a per-DAG prefix is used as
// is; otherwise the prefix of the resource type is put in front. (The FAB
// provider's _get_root_dag_id selects dag_id first, so a sub-DAG is checked
// under its own id, not its root's.)
func resourceName(dagID, resource string) string {
	if dagID == resourceDAGs || dagID == resourceDAGRuns ||
		strings.HasPrefix(dagID, prefixDAG) || strings.HasPrefix(dagID, prefixDAGRun) {
		return dagID
	}
	if resource == resourceDAGRuns {
		return prefixDAGRun + dagID
	}
	return prefixDAG + dagID
}

// onDAG is _is_authorized_dag: action on "DAGs", or on "DAG:<id>" when a DAG is named.
func onDAG(perms map[[2]string]bool, action, dagID string) bool {
	if perms[[2]string{action, resourceDAGs}] {
		return true
	}
	return dagID != "" && perms[[2]string{action, resourceName(dagID, resourceDAGs)}]
}

// onDAGRun is _is_authorized_dag_run (Airflow 2.10 added per-DAG "DAG Run:<id>"
// resources, apache/airflow#40703): action on "DAG Runs", or on "DAG Run:<id>".
func onDAGRun(perms map[[2]string]bool, action, dagID string) bool {
	if perms[[2]string{action, resourceDAGRuns}] {
		return true
	}
	return dagID != "" && perms[[2]string{action, resourceName(dagID, resourceDAGRuns)}]
}

// Check mirrors the API's requires_access_dag for each action:
//   - Read: GET /dags/{id} → can_read on DAGs or DAG:<id>.
//   - Edit: PATCH /dags/{id} → can_edit on DAGs or DAG:<id>.
//   - CreateRun: POST /dags/{id}/dagRuns (requires_access_dag("POST", RUN)) →
//     can_edit on DAGs or DAG:<id> (the DAG must be editable for a non-GET
//     method on a sub-entity), then can_create on DAG Runs or DAG Run:<id>.
//   - Service: can_edit on DAGs itself, with no DAG named.
func (c *fabChecker) Check(ctx context.Context, action Action, dagID string) error {
	perms, err := c.load(ctx)
	if err != nil {
		return err
	}
	switch action {
	case Read:
		if onDAG(perms, actionRead, dagID) {
			return nil
		}
		return c.denied("read", dagID, actionRead, resourceDAGs)
	case Edit:
		if onDAG(perms, actionEdit, dagID) {
			return nil
		}
		return c.denied("edit", dagID, actionEdit, resourceDAGs)
	case CreateRun:
		if !onDAG(perms, actionEdit, dagID) {
			return c.denied("create runs of", dagID, actionEdit, resourceDAGs)
		}
		if !onDAGRun(perms, actionCreate, dagID) {
			return c.denied("create runs of", dagID, actionCreate, resourceDAGRuns)
		}
		return nil
	case Service:
		if perms[[2]string{actionEdit, resourceDAGs}] {
			return nil
		}
		return c.denied("act on all", "", actionEdit, resourceDAGs)
	default:
		return apperr.Denied("user %q: unknown action %d on dag %q", c.user.Username, int(action), dagID)
	}
}

// denied is the one-line refusal: who, what, which DAG, and the right that
// would allow it (the global resource, or the DAG's own one).
func (c *fabChecker) denied(verb, dagID, action, resource string) error {
	if dagID == "" {
		return apperr.Denied("user %q may not %s dags: needs %s on %s", c.user.Username, verb, action, resource)
	}
	return apperr.Denied("user %q may not %s dag %q: needs %s on %s or %s",
		c.user.Username, verb, dagID, action, resource, resourceName(dagID, resource))
}

// Readable keeps the ids the user may read: all of them (all=true) with
// can_read on DAGs, else those with can_read on DAG:<id>, in the order given.
// This is get_permitted_dag_ids(methods=["GET"]) as the API's run, xcom and
// stats listings call it, and agrees with Check(Read). (GET /dags itself calls
// it with the default ["PUT","GET"], which would also list DAGs the user can
// only edit; dagctl keeps listing and reading consistent.)
func (c *fabChecker) Readable(ctx context.Context, ids []string) ([]string, bool, error) {
	perms, err := c.load(ctx)
	if err != nil {
		return nil, false, err
	}
	if perms[[2]string{actionRead, resourceDAGs}] {
		return ids, true, nil
	}
	kept := make([]string, 0, len(ids))
	for _, id := range ids {
		if onDAG(perms, actionRead, id) {
			kept = append(kept, id)
		}
	}
	return kept, false, nil
}
