package store

import (
	"context"
)

// NarrowToBackfill limits a run filter to the runs a dagctl backfill created:
// their run ids start with the backfill's id.
func (s *Store) NarrowToBackfill(ctx context.Context, backfillID string, f *RunFilter) error {
	f.Prefix = backfillID + "_"
	return nil
}
