package store

import (
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyThreshold is the batch size from which PostgreSQL writes go through
// COPY: several times faster than multi-row INSERTs for big backfills.
const copyThreshold = 200

// copyRows writes rows with COPY FROM STDIN on the transaction's own
// connection (so it commits or rolls back with everything else). When a
// returning column is named, ids are drawn from the table's sequence first,
// as a default would, and returned keyed by that column's value.
func (t *Tx) copyRows(table string, cols []string, rows [][]any, returning string) (map[string]int64, error) {
	ids := map[string]int64{}
	if returning != "" {
		keyAt := slices.Index(cols, returning)
		if keyAt < 0 {
			return nil, fmt.Errorf("copy into %s: no column %s", table, returning)
		}
		var seq []int64
		if err := t.db.Raw("SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)", table, len(rows)).Scan(&seq).Error; err != nil {
			return nil, fmt.Errorf("copy into %s: allocate ids: %w", table, err)
		}
		if len(seq) != len(rows) {
			return nil, fmt.Errorf("copy into %s: %d ids for %d rows", table, len(seq), len(rows))
		}
		withID := make([][]any, len(rows))
		for i, r := range rows {
			key, ok := r[keyAt].(string)
			if !ok {
				return nil, fmt.Errorf("copy into %s: %s is not text", table, returning)
			}
			ids[key] = seq[i]
			withID[i] = append([]any{seq[i]}, r...)
		}
		rows = withID
		cols = append([]string{"id"}, cols...)
	}
	err := t.conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", driverConn)
		}
		n, err := c.Conn().CopyFrom(t.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("%d of %d rows copied", n, len(rows))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy into %s: %w", table, err)
	}
	return ids, nil
}
