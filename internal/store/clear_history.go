package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// finishedTIStates are Airflow's State.finished for task instances.
const finishedTIStates = "('success', 'failed', 'skipped', 'upstream_failed', 'removed')"

// jsonNullCols are the task_instance_history JSON columns Airflow fills with
// JSON 'null' where the task instance has SQL NULL (see the ops-tasks-clear
// reference rows of 2.10.5 and 3.0.3).
var jsonNullCols = map[string]bool{"next_kwargs": true, "context_carrier": true}

// recordTaskInstanceHistory does what TaskInstanceHistory.record_ti does for
// each task instance of the runs being cleared
// (airflow/models/taskinstancehistory.py): a copy of the try goes to
// task_instance_history unless that try is there already; an unfinished try
// is recorded failed, and the task instance gets end_date now and its duration.
func (t *Tx) recordTaskInstanceHistory(dagID string, runIDs []string, only TIFilter) error {
	sc := t.s.schema
	if !sc.HasTable("task_instance_history") || !sc.HasTable("task_instance") {
		return nil
	}
	now := t.s.timeArg(t.Now)
	finished := "ti.state IN " + finishedTIStates
	duration := t.s.secondsBetween("ti.start_date", t.nowLiteral())
	var cols, exprs []string
	var args []any
	skip := map[string]bool{"id": true, "dag_hash": true, "task_instance_id": true, "state": true, "end_date": true, "duration": true}
	for c := range sc.columns["task_instance_history"] {
		if !skip[c] && sc.Has("task_instance", c) {
			cols = append(cols, c)
			if jsonNullCols[c] {
				// SQLAlchemy's JSON type writes None as JSON null in the history
				// row (record_ti passes the attribute through), unlike the TI's SQL NULL.
				exprs = append(exprs, "COALESCE(ti."+c+", 'null')")
			} else {
				exprs = append(exprs, "ti."+c)
			}
		}
	}
	cols = append(cols, "state", "end_date", "duration")
	exprs = append(exprs,
		"CASE WHEN "+finished+" THEN ti.state ELSE 'failed' END",
		"CASE WHEN "+finished+" THEN ti.end_date ELSE ? END",
		"CASE WHEN "+finished+" THEN ti.duration WHEN ti.start_date IS NULL THEN NULL ELSE "+duration+" END")
	args = append(args, now)
	if sc.Has("task_instance_history", "task_instance_id") && sc.Has("task_instance", "id") {
		// Airflow 3: the history row keeps the try's task instance id.
		cols = append(cols, "task_instance_id")
		exprs = append(exprs, "ti.id")
	}
	var same []string
	for _, c := range []string{"dag_id", "task_id", "run_id", "map_index", "region_index", "try_number"} {
		if sc.Has("task_instance_history", c) && sc.Has("task_instance", c) {
			same = append(same, "h."+c+" = ti."+c)
		}
	}
	tiOnly, onlyArgs := only.sql("ti.")
	q := fmt.Sprintf(`INSERT INTO task_instance_history (%s) SELECT %s FROM task_instance ti
		WHERE ti.dag_id = ? AND ti.run_id IN ?%s AND NOT EXISTS (SELECT 1 FROM task_instance_history h WHERE %s)`,
		strings.Join(cols, ", "), strings.Join(exprs, ", "), tiOnly, strings.Join(same, " AND "))
	args = append(args, dagID, runIDs)
	args = append(args, onlyArgs...)
	if err := t.db.Exec(q, args...).Error; err != nil {
		return fmt.Errorf("record task instance history: %w", err)
	}
	set := "end_date = ?"
	setArgs := []any{now}
	if sc.Has("task_instance", "duration") {
		set += ", duration = CASE WHEN start_date IS NULL THEN NULL ELSE " + strings.ReplaceAll(duration, "ti.", "") + " END"
	}
	setArgs = append(setArgs, dagID, runIDs)
	plain, plainArgs := only.sql("")
	setArgs = append(setArgs, plainArgs...)
	if err := t.db.Exec("UPDATE task_instance SET "+set+" WHERE dag_id = ? AND run_id IN ? AND (state IS NULL OR state NOT IN "+finishedTIStates+")"+plain,
		setArgs...).Error; err != nil {
		return fmt.Errorf("end unfinished task instances: %w", err)
	}
	return nil
}

// renewTaskInstanceIDs gives each task instance of the runs a new uuid7 id,
// as prepare_db_for_next_try does in Airflow 3, so the next try is a new
// task instance and the history row keeps the old id.
func (t *Tx) renewTaskInstanceIDs(dagID string, runIDs []string, only TIFilter) error {
	sc := t.s.schema
	if !sc.Has("task_instance", "id") || !sc.Has("task_instance_history", "task_instance_id") {
		return nil
	}
	idCol := t.s.textCol("id")
	var old []string
	cond, condArgs := only.sql("")
	if err := t.db.Raw("SELECT "+idCol+" FROM task_instance WHERE dag_id = ? AND run_id IN ?"+cond, append([]any{dagID, runIDs}, condArgs...)...).Scan(&old).Error; err != nil {
		return fmt.Errorf("read task instance ids: %w", err)
	}
	for start := 0; start < len(old); start += 500 {
		chunk := old[start:min(start+500, len(old))]
		var b strings.Builder
		args := make([]any, 0, 2*len(chunk))
		for i, id := range chunk {
			if t.s.dialect == DialectSQLite {
				// SQLite names VALUES columns column1, column2: select them by name instead.
				if i > 0 {
					b.WriteString(" UNION ALL ")
				}
				b.WriteString("SELECT ? AS old_id, ? AS new_id")
			} else {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?)")
			}
			args = append(args, id, uuidString(uuid7(t.Now)))
		}
		if t.s.dialect == DialectMySQL {
			if err := t.mysqlRenewIDs(args); err != nil {
				return fmt.Errorf("renew task instance ids: %w", err)
			}
			continue
		}
		q := "UPDATE task_instance SET id = v.new_id FROM (" + b.String() + ") AS v WHERE task_instance.id = v.old_id"
		if t.s.dialect == DialectPostgres {
			q = "UPDATE task_instance SET id = v.new_id::uuid FROM (VALUES " + b.String() + ") AS v(old_id, new_id) WHERE task_instance.id = v.old_id::uuid"
		}
		if err := t.db.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("renew task instance ids: %w", err)
		}
	}
	return nil
}

// uuidString renders a UUID in its canonical dashed form, as Airflow stores
// task instance ids (PostgreSQL uuid; String(36) elsewhere).
func uuidString(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// uuid7 is an RFC 9562 version 7 UUID: 48 bits of Unix milliseconds, then random bits.
func uuid7(now time.Time) [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:])
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(u[0:6], ms[2:8])
	u[6] = 0x70 | (u[6] & 0x0f)
	u[8] = 0x80 | (u[8] & 0x3f)
	return u
}
