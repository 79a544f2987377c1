package integration

import (
	"slices"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/dags/list"
	"github.com/dagctl/dagctl/internal/cli/doctor"
	"github.com/dagctl/dagctl/internal/cli/runs/create"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// rbacRoles are the FAB roles of the rights tests, as (permission, resource)
// pairs named the way Airflow 2.10's sync_perm and access_control write them
// (airflow/security/permissions.py).
var rbacRoles = []struct {
	name  string
	perms [][2]string
}{
	{"Admin", [][2]string{
		{"can_read", "DAGs"}, {"can_edit", "DAGs"}, {"can_create", "DAG Runs"}, {"can_read", "DAG Runs"},
	}},
	// per-DAG rights only: may read and edit one DAG, create runs of any DAG it may edit.
	{"fx_team", [][2]string{
		{"can_read", "DAG:fx_daily_cron"}, {"can_edit", "DAG:fx_daily_cron"}, {"can_create", "DAG Runs"},
	}},
	{"Viewer", [][2]string{{"can_read", "DAGs"}, {"can_read", "DAG Runs"}}},
}

// rbacUsers: "nobody" is deliberately absent from ab_user.
var rbacUsers = []struct {
	name   string
	active bool
	role   string
}{
	{"admin", true, "Admin"},
	{"alice", true, "fx_team"},
	{"viewer", true, "Viewer"},
	{"retired", false, "Admin"},
}

// rbacSeed fills the (empty) FAB tables of a 2.x database with rbacRoles and rbacUsers.
func rbacSeed(t *testing.T, db *dbtest.DB) {
	t.Helper()
	perms, views := map[string]int{}, map[string]int{}
	pvs := map[[2]string]int{}
	id := func(m map[string]int, table, name string) int {
		if v, ok := m[name]; ok {
			return v
		}
		m[name] = len(m) + 1
		db.SQL(t, "INSERT INTO "+table+" (id, name) VALUES (?, ?)", m[name], name)
		return m[name]
	}
	roleIDs := map[string]int{}
	pvr := 0
	for i, r := range rbacRoles {
		roleIDs[r.name] = i + 1
		db.SQL(t, "INSERT INTO ab_role (id, name) VALUES (?, ?)", i+1, r.name)
		for _, p := range r.perms {
			pv, ok := pvs[p]
			if !ok {
				pv = len(pvs) + 1
				pvs[p] = pv
				db.SQL(t, "INSERT INTO ab_permission_view (id, permission_id, view_menu_id) VALUES (?, ?, ?)",
					pv, id(perms, "ab_permission", p[0]), id(views, "ab_view_menu", p[1]))
			}
			pvr++
			db.SQL(t, "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) VALUES (?, ?, ?)", pvr, pv, i+1)
		}
	}
	for i, u := range rbacUsers {
		db.SQL(t, `INSERT INTO ab_user (id, first_name, last_name, username, email, active) VALUES (?, ?, ?, ?, ?, ?)`,
			i+1, u.name, "Test", u.name, u.name+"@example.com", u.active)
		db.SQL(t, "INSERT INTO ab_user_role (id, user_id, role_id) VALUES (?, ?, ?)", i+1, i+1, roleIDs[u.role])
	}
}

// as runs dagctl as user (global --user flag).
func as(user string, args ...string) []string { return append([]string{"--user", user}, args...) }

// rbacRefused runs args and expects exit 4 with one stderr line naming every want, and no change
// to the database (no run, backfill or audit row).
func rbacRefused(t *testing.T, r *clitest.Runner, db *dbtest.DB, args []string, want ...string) {
	t.Helper()
	before := db.Checksum(t)
	res := r.Run(t, args...)
	msg := strings.TrimSpace(res.Stderr)
	if res.Code != 4 || strings.Contains(msg, "\n") {
		t.Errorf("dagctl %s: exit %d, stderr %q; want exit 4 with one line", strings.Join(args, " "), res.Code, res.Stderr)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("dagctl %s: stderr %q does not name %q", strings.Join(args, " "), msg, w)
		}
	}
	if db.Checksum(t) != before {
		t.Errorf("dagctl %s: refused, but the database changed", strings.Join(args, " "))
	}
}

// audits counts the audit rows of event written by owner.
func audits(t *testing.T, db *dbtest.DB, event, owner string) int64 {
	t.Helper()
	return db.ScalarInt(t, "SELECT count(*) FROM log WHERE event = ? AND owner = ?", event, owner)
}

func dagIDs(vs []list.DAGView) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.DagID
	}
	return out
}

func runDagIDs(vs []shared.RunView) []string {
	seen := []string{}
	for _, v := range vs {
		if !slices.Contains(seen, v.DagID) {
			seen = append(seen, v.DagID)
		}
	}
	slices.Sort(seen)
	return seen
}

func rbacTargets() []target {
	return []target{{dbtest.Postgres, "2.10.5"}, {dbtest.SQLite, "2.10.5"}, {pgbouncer, "2.10.5"}, {dbtest.MySQL, "2.10.5"}}
}

func TestRBACReadsAreFiltered(t *testing.T) {
	forEach(t, rbacTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		// Runs of two DAGs, written before anyone exists in ab_user (auto → off).
		var dailyRuns, hourlyRuns create.Result
		r.JSON(t, &dailyRuns, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02")
		r.JSON(t, &hourlyRuns, "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-01T02:00")
		rbacSeed(t, db)

		// dags list: admin and viewer see every DAG; alice sees hers and is told how many are hidden.
		var all, viewer, alice []list.DAGView
		res := r.JSON(t, &all, as("admin", "dags", "list")...)
		if len(all) < 3 || strings.Contains(res.Stderr, "hidden") {
			t.Fatalf("admin dags list: %d dags, stderr %q", len(all), res.Stderr)
		}
		r.JSON(t, &viewer, as("viewer", "dags", "list")...)
		if !slices.Equal(dagIDs(viewer), dagIDs(all)) {
			t.Errorf("viewer sees %v, want %v", dagIDs(viewer), dagIDs(all))
		}
		res = r.JSON(t, &alice, as("alice", "dags", "list")...)
		if got := dagIDs(alice); !slices.Equal(got, []string{"fx_daily_cron"}) {
			t.Errorf("alice sees %v, want [fx_daily_cron]", got)
		}
		if want := q("%d dag(s) hidden", len(all)-1); !strings.Contains(res.Stderr, want) {
			t.Errorf("alice dags list stderr = %q, want %q", res.Stderr, want)
		}
		// The acting user may come from DAGCTL_USER as well as --user.
		env := runner(t, db)
		env.Env["DAGCTL_USER"] = "alice"
		var viaEnv []list.DAGView
		env.JSON(t, &viaEnv, "dags", "list")
		if got := dagIDs(viaEnv); !slices.Equal(got, []string{"fx_daily_cron"}) {
			t.Errorf("DAGCTL_USER=alice sees %v, want [fx_daily_cron]", got)
		}

		// runs list: filtered the same way; a DAG alice may not read gives an empty list, not an error.
		var runs []shared.RunView
		r.JSON(t, &runs, as("admin", "runs", "list")...)
		if got := runDagIDs(runs); !slices.Equal(got, []string{"fx_daily_cron", "fx_hourly"}) || len(runs) != 5 {
			t.Errorf("admin runs list: %d runs of %v, want 5 of fx_daily_cron and fx_hourly", len(runs), got)
		}
		r.JSON(t, &runs, as("alice", "runs", "list")...)
		if got := runDagIDs(runs); !slices.Equal(got, []string{"fx_daily_cron"}) || len(runs) != 2 {
			t.Errorf("alice runs list: %d runs of %v, want 2 of fx_daily_cron", len(runs), got)
		}
		res = r.JSON(t, &runs, as("alice", "runs", "list", "--dag-id", "fx_hourly")...)
		if len(runs) != 0 || strings.TrimSpace(res.Stdout) != "[]" {
			t.Errorf("alice runs list --dag-id fx_hourly = %s, want []", res.Stdout)
		}
		r.JSON(t, &runs, as("viewer", "runs", "list", "--all")...)
		if len(runs) != 5 {
			t.Errorf("viewer runs list --all: %d runs, want 5", len(runs))
		}

		// runs get: allowed on a readable DAG, refused (naming user, right, DAG) on another.
		daily, hourly := dailyRuns.DagRunIDs[0], hourlyRuns.DagRunIDs[1]
		var one shared.RunView
		r.JSON(t, &one, as("alice", "runs", "get", daily, "--dag-id", "fx_daily_cron")...)
		if one.DagID != "fx_daily_cron" {
			t.Errorf("alice runs get: %+v", one)
		}
		rbacRefused(t, r, db, as("alice", "runs", "get", hourly, "--dag-id", "fx_hourly"),
			`"alice"`, "can_read", `"fx_hourly"`, "DAG:fx_hourly")
		r.MustRun(t, 0, as("viewer", "runs", "get", hourly, "--dag-id", "fx_hourly")...)
		// tasks list and tasks logs: can_read on the run's DAG, checked before
		// anything of the run is read (an unknown task is still exit 4, not 3).
		r.MustRun(t, 0, as("alice", "tasks", "list", daily, "--dag-id", "fx_daily_cron")...)
		rbacRefused(t, r, db, as("alice", "tasks", "list", hourly, "--dag-id", "fx_hourly"), `"alice"`, "can_read", `"fx_hourly"`)
		rbacRefused(t, r, db, as("alice", "tasks", "logs", hourly, "no_such_task", "--dag-id", "fx_hourly"), `"alice"`, "can_read", `"fx_hourly"`)
		r.MustRun(t, 3, as("viewer", "tasks", "logs", hourly, "no_such_task", "--dag-id", "fx_hourly")...)

		// Users who cannot act at all: inactive, unknown, and the runner's default "tester".
		for _, c := range []struct{ user, want string }{
			{"retired", "inactive"}, {"nobody", "not an Airflow user"}, {"tester", "not an Airflow user"},
		} {
			rbacRefused(t, r, db, as(c.user, "dags", "list"), q("%q", c.user), c.want)
			rbacRefused(t, r, db, as(c.user, "runs", "list"), q("%q", c.user), c.want)
			rbacRefused(t, r, db, as(c.user, "runs", "get", daily, "--dag-id", "fx_daily_cron"), q("%q", c.user), c.want)
			rbacRefused(t, r, db, as(c.user, "backfill", "list"), q("%q", c.user), c.want)
		}
		// FAB compares user names case-insensitively.
		r.JSON(t, &alice, as("ALICE", "dags", "list")...)
		if got := dagIDs(alice); !slices.Equal(got, []string{"fx_daily_cron"}) {
			t.Errorf("ALICE sees %v, want [fx_daily_cron]", got)
		}
	})
}

func TestRBACRunsCreate(t *testing.T) {
	forEach(t, rbacTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		rbacSeed(t, db)
		const ev = "dagctl.runs.create"

		var res create.Result
		r.JSON(t, &res, as("alice", "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02")...)
		if len(res.DagRunIDs) != 2 || audits(t, db, ev, "alice") != 1 {
			t.Fatalf("alice create on her DAG: %+v, %d audit rows", res, audits(t, db, ev, "alice"))
		}
		r.JSON(t, &res, as("admin", "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-01T01:00")...)
		if len(res.DagRunIDs) != 2 || audits(t, db, ev, "admin") != 1 {
			t.Fatalf("admin create: %+v, %d audit rows", res, audits(t, db, ev, "admin"))
		}

		rbacRefused(t, r, db, as("alice", "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-02T00:00", "--end-date", "2024-01-02T01:00"),
			`"alice"`, "can_edit", `"fx_hourly"`, "DAG:fx_hourly")
		rbacRefused(t, r, db, as("viewer", "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-05", "--end-date", "2024-01-06"),
			`"viewer"`, "can_edit", `"fx_daily_cron"`)
		rbacRefused(t, r, db, as("retired", "runs", "create", "--dag-id", "fx_daily_cron"), `"retired"`, "inactive")
		rbacRefused(t, r, db, as("nobody", "runs", "create", "--dag-id", "fx_daily_cron"), `"nobody"`, "not an Airflow user")
		for _, u := range []string{"viewer", "retired", "nobody"} {
			if n := audits(t, db, ev, u); n != 0 {
				t.Errorf("%d audit rows by %s after refusals", n, u)
			}
		}
		// A missing DAG is still "not found" (3), not a refusal that would reveal nothing either way.
		r.MustRun(t, 3, as("alice", "runs", "create", "--dag-id", "nope")...)

		// --rbac off: no checks, still audited under the acting user's name.
		r.JSON(t, &res, as("viewer", "--rbac", "off", "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-05", "--end-date", "2024-01-05")...)
		if len(res.DagRunIDs) != 1 || audits(t, db, ev, "viewer") != 1 {
			t.Errorf("viewer with --rbac off: %+v, %d audit rows", res, audits(t, db, ev, "viewer"))
		}
		r.JSON(t, &res, as("nobody", "--rbac", "off", "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-03T00:00", "--end-date", "2024-01-03T00:00")...)
		if len(res.DagRunIDs) != 1 || audits(t, db, ev, "nobody") != 1 {
			t.Errorf("nobody with --rbac off: %+v, %d audit rows", res, audits(t, db, ev, "nobody"))
		}
		// DAGCTL_RBAC=off works the same way.
		env := runner(t, db)
		env.Env["DAGCTL_RBAC"] = "off"
		env.Env["DAGCTL_USER"] = "retired"
		env.JSON(t, &res, "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-04T00:00", "--end-date", "2024-01-04T00:00")
		if len(res.DagRunIDs) != 1 || audits(t, db, ev, "retired") != 1 {
			t.Errorf("DAGCTL_RBAC=off as retired: %+v, %d audit rows", res, audits(t, db, ev, "retired"))
		}
	})
}

func TestRBACBackfills(t *testing.T) {
	forEach(t, rbacTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		rbacSeed(t, db)

		hourly := createBackfill(t, r, as("admin", "--dag-id", "fx_hourly", "--start-date", "2024-03-01T00:00", "--end-date", "2024-03-01T03:00")...)
		daily := createBackfill(t, r, as("alice", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03")...)
		if audits(t, db, "dagctl.backfill.create", "admin") != 1 || audits(t, db, "dagctl.backfill.create", "alice") != 1 {
			t.Fatal("backfill create: one audit row per creator expected")
		}
		if daily.SubmittedBy == nil || *daily.SubmittedBy != "alice" {
			t.Errorf("submitted_by = %v, want alice", daily.SubmittedBy)
		}
		rbacRefused(t, r, db, as("alice", "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2024-04-01T00:00", "--end-date", "2024-04-01T01:00"),
			`"alice"`, "can_edit", `"fx_hourly"`, "DAG:fx_hourly")
		rbacRefused(t, r, db, as("viewer", "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-04-01", "--end-date", "2024-04-02"),
			`"viewer"`, "can_edit", `"fx_daily_cron"`)

		// list: alice sees only the backfill of her DAG and is told one is hidden.
		var vs []backfillops.View
		res := r.JSON(t, &vs, as("alice", "backfill", "list")...)
		if len(vs) != 1 || vs[0].BackfillDagID != daily.BackfillDagID || !strings.Contains(res.Stderr, "1 backfill(s) hidden") {
			t.Errorf("alice backfill list: %d backfills, stderr %q", len(vs), res.Stderr)
		}
		r.JSON(t, &vs, as("viewer", "backfill", "list")...)
		if len(vs) != 2 {
			t.Errorf("viewer backfill list: %d backfills, want 2", len(vs))
		}
		rbacRefused(t, r, db, as("alice", "backfill", "get", hourly.BackfillDagID), `"alice"`, "can_read", `"fx_hourly"`)

		// pause, resume, cancel, delete: can_edit on the backfill's DAG.
		for _, verb := range []string{"pause", "resume", "cancel", "delete"} {
			rbacRefused(t, r, db, as("viewer", "backfill", verb, daily.BackfillDagID), `"viewer"`, "can_edit", `"fx_daily_cron"`)
			rbacRefused(t, r, db, as("alice", "backfill", verb, hourly.BackfillDagID), `"alice"`, "can_edit", `"fx_hourly"`)
			rbacRefused(t, r, db, as("nobody", "backfill", verb, daily.BackfillDagID), `"nobody"`)
			r.MustRun(t, 0, as("alice", "backfill", verb, daily.BackfillDagID)...)
			if n := audits(t, db, "dagctl.backfill."+verb, "alice"); n != 1 {
				t.Errorf("after alice's %s: %d audit rows, want 1", verb, n)
			}
			for _, u := range []string{"viewer", "nobody"} {
				if n := audits(t, db, "dagctl.backfill."+verb, u); n != 0 {
					t.Errorf("%d %s audit rows by refused %s", n, verb, u)
				}
			}
		}

		// reconcile acts on every DAG: global can_edit on DAGs.
		rbacRefused(t, r, db, as("alice", "backfill", "reconcile"), `"alice"`, "can_edit on DAGs")
		rbacRefused(t, r, db, as("viewer", "backfill", "reconcile"), `"viewer"`, "can_edit on DAGs")
		rbacRefused(t, r, db, as("retired", "backfill", "reconcile"), `"retired"`, "inactive")
		r.MustRun(t, 0, as("admin", "backfill", "reconcile")...)
		// alice's deleted backfill is purged by admin's pass, audited as admin.
		if n := audits(t, db, "dagctl.backfill.purge", "admin"); n != 1 {
			t.Errorf("purge audit rows by admin = %d, want 1", n)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_id LIKE ?", daily.BackfillDagID+"%"); n != 0 {
			t.Errorf("%d runs of the purged backfill remain", n)
		}
		// --rbac off: alice may reconcile, and the pass is hers.
		r.MustRun(t, 0, as("alice", "--rbac", "off", "backfill", "reconcile")...)
	})
}

func TestRBACDoctorStatus(t *testing.T) {
	forEach(t, rbacTargets(), func(t *testing.T, tg target) {
		db := open(t, tg)
		r := runner(t, db)
		var rep doctor.Report
		r.JSON(t, &rep, "doctor")
		if rep.RBACEnforced || !strings.Contains(rep.RBAC, "no users") {
			t.Errorf("empty FAB tables: rbac %q enforced %t, want off because there are no users", rep.RBAC, rep.RBACEnforced)
		}
		rbacSeed(t, db)
		r.JSON(t, &rep, as("alice", "doctor")...)
		if !rep.RBACEnforced || rep.User != "alice" || !strings.Contains(rep.RBAC, `enforced as user "alice"`) || !strings.Contains(rep.RBAC, "4 users") {
			t.Errorf("seeded, as alice: user %q rbac %q enforced %t", rep.User, rep.RBAC, rep.RBACEnforced)
		}
		r.JSON(t, &rep, as("nobody", "doctor")...)
		if !rep.RBACEnforced || !strings.Contains(rep.RBAC, `"nobody" is not an Airflow user`) {
			t.Errorf("as nobody: rbac %q enforced %t", rep.RBAC, rep.RBACEnforced)
		}
		r.JSON(t, &rep, as("alice", "--rbac", "off", "doctor")...)
		if rep.RBACEnforced || !strings.HasPrefix(rep.RBAC, "off") {
			t.Errorf("--rbac off: rbac %q enforced %t", rep.RBAC, rep.RBACEnforced)
		}
		// The JSON keys are the documented ones.
		res := r.MustRun(t, 0, "doctor", "-o", "json")
		if !strings.Contains(res.Stdout, `"rbac":`) || !strings.Contains(res.Stdout, `"rbac_enforced":`) {
			t.Errorf("doctor -o json lacks rbac keys: %s", res.Stdout)
		}
	})
}

// Airflow 3 without the FAB auth manager has no ab_* tables: auto is off,
// enforce refuses everything and says why.
func TestRBACAirflow3WithoutFAB(t *testing.T) {
	var targets []target
	for _, tg := range sampleTargets() {
		if tg.Release == "3.0.3" {
			targets = append(targets, tg)
		}
	}
	forEach(t, targets, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var rep doctor.Report
		r.JSON(t, &rep, "doctor")
		if rep.RBACEnforced || !strings.Contains(rep.RBAC, "no FAB role tables") {
			t.Errorf("auto on 3.x: rbac %q enforced %t", rep.RBAC, rep.RBACEnforced)
		}
		// auto → off: every command works for any user.
		var res create.Result
		r.JSON(t, &res, as("whoever", "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-01")...)
		b := createBackfill(t, r, as("whoever", "--dag-id", "fx_hourly", "--start-date", "2024-03-01T00:00", "--end-date", "2024-03-01T01:00")...)
		if audits(t, db, "dagctl.runs.create", "whoever") != 1 || audits(t, db, "dagctl.backfill.create", "whoever") != 1 {
			t.Error("writes under auto on 3.x were not audited under the acting user")
		}
		var dags []list.DAGView
		r.JSON(t, &dags, as("whoever", "dags", "list")...)
		if len(dags) < 3 {
			t.Errorf("dags list: %d dags", len(dags))
		}

		r.JSON(t, &rep, "--rbac", "enforce", "doctor")
		if !rep.RBACEnforced || !strings.Contains(rep.RBAC, "no FAB role tables") {
			t.Errorf("enforce on 3.x: rbac %q enforced %t", rep.RBAC, rep.RBACEnforced)
		}
		enforce := func(args ...string) []string { return append([]string{"--rbac", "enforce"}, args...) }
		run := res.DagRunIDs[0]
		for _, args := range [][]string{
			{"dags", "list"},
			{"runs", "list"},
			{"runs", "get", run, "--dag-id", "fx_daily_cron"},
			{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-02", "--end-date", "2024-01-02"},
			{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-02"},
			{"backfill", "list"},
			{"backfill", "get", b.BackfillDagID},
			{"backfill", "pause", b.BackfillDagID},
			{"backfill", "resume", b.BackfillDagID},
			{"backfill", "cancel", b.BackfillDagID},
			{"backfill", "delete", b.BackfillDagID},
			{"backfill", "reconcile"},
		} {
			rbacRefused(t, r, db, enforce(args...), "permission checks are enforced", "no FAB role tables", "auto or off")
		}
	})
}
