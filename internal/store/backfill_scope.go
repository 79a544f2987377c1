package store

import (
	"context"
)

// NarrowToBackfill limits a run filter to the runs of one dagctl backfill:
// on Airflow 3 the runs linked to its native backfill (new and re-run), on
// Airflow 2 the runs it created (their run ids start with the backfill id;
// runs it only re-ran keep their own ids and are not listed).
func (s *Store) NarrowToBackfill(ctx context.Context, backfillID string, f *RunFilter) error {
	b, err := s.GetBackfill(ctx, backfillID)
	if err != nil {
		return err
	}
	if f.DagID != "" && f.DagID != b.DagID {
		f.DagIDs = []string{} // another DAG's backfill: nothing matches
	}
	f.DagID = b.DagID
	if b.NativeID != nil {
		id := *b.NativeID
		f.NativeBackfill = &id
		return nil
	}
	f.Prefix = b.ID + "_"
	return nil
}
