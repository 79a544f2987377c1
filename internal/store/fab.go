package store

import (
	"context"
	"fmt"
)

// fabTables are the Flask-AppBuilder tables that hold Airflow 2's users,
// roles and permissions. Airflow 2 creates them with its own schema; Airflow 3
// only has them when the FAB auth manager's migrations have run.
var fabTables = []string{
	"ab_user", "ab_role", "ab_user_role",
	"ab_permission", "ab_view_menu", "ab_permission_view", "ab_permission_view_role",
}

// FABTablesPresent reports whether ab_user, ab_role, ab_user_role,
// ab_permission, ab_view_menu, ab_permission_view and ab_permission_view_role
// all exist.
func (s *Store) FABTablesPresent() bool {
	for _, t := range fabTables {
		if !s.schema.HasTable(t) {
			return false
		}
	}
	return true
}

// FABUserCount counts the rows of ab_user (0 when the table is absent).
func (s *Store) FABUserCount(ctx context.Context) (int64, error) {
	if !s.schema.HasTable("ab_user") {
		return 0, nil
	}
	var n int64
	if err := s.scan(ctx, &n, "SELECT count(*) FROM ab_user"); err != nil {
		return 0, fmt.Errorf("count airflow users: %w", err)
	}
	return n, nil
}

// FABUser is one row of ab_user, as far as permission checks need it.
type FABUser struct {
	ID       int64
	Username string // as stored (the lookup ignores case)
	Active   bool   // ab_user.active; NULL counts as inactive, as in FAB
	Found    bool
}

// FABUser finds the user by name. Like Flask-AppBuilder's find_user in the
// Airflow FAB provider (airflow/providers/fab/auth_manager/security_manager/override.py)
// the name is compared with lower() on both sides (Airflow's unique index on
// lower(username) makes that one row at most; should a database hold two,
// nobody is found, as one_or_none fails there and FAB returns None).
func (s *Store) FABUser(ctx context.Context, username string) (FABUser, error) {
	if !s.schema.HasTable("ab_user") {
		return FABUser{}, nil
	}
	type row struct {
		ID       int64
		Username string
		Active   dbBool
	}
	var rows []row
	err := s.scan(ctx, &rows, `SELECT id, username, active FROM ab_user
		WHERE lower(username) = lower(?) ORDER BY id LIMIT 2`, username)
	if err != nil {
		return FABUser{}, fmt.Errorf("look up airflow user %q: %w", username, err)
	}
	if len(rows) != 1 {
		return FABUser{}, nil
	}
	r := rows[0]
	return FABUser{ID: r.ID, Username: r.Username, Active: r.Active.Valid && r.Active.Bool, Found: true}, nil
}

// FABPermissions returns the (permission, resource) pairs held by any role of
// the user, e.g. {"can_read","DAGs"}, {"can_edit","DAG:etl"}, sorted and
// without duplicates. It is the query behind the FAB User.perms property
// (airflow/providers/fab/auth_manager/models/__init__.py): actions joined to
// resources through the role's permissions, for every role of the user.
func (s *Store) FABPermissions(ctx context.Context, userID int64) ([][2]string, error) {
	if !s.FABTablesPresent() {
		return [][2]string{}, nil
	}
	type row struct {
		Permission string
		Resource   string
	}
	var rows []row
	err := s.scan(ctx, &rows, `SELECT DISTINCT p.name AS permission, v.name AS resource
		FROM ab_user_role ur
		JOIN ab_permission_view_role pvr ON pvr.role_id = ur.role_id
		JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id
		JOIN ab_permission p ON p.id = pv.permission_id
		JOIN ab_view_menu v ON v.id = pv.view_menu_id
		WHERE ur.user_id = ?
		ORDER BY p.name, v.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("read permissions of airflow user %d: %w", userID, err)
	}
	out := make([][2]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, [2]string{r.Permission, r.Resource})
	}
	return out, nil
}
