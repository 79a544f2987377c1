package cmdutil

import (
	"context"

	"github.com/dagctl/dagctl/internal/store"
)

// ApplyBackfillFilter narrows a run filter to the runs of one backfill.
func (f *Factory) ApplyBackfillFilter(ctx context.Context, backfillID string, filter *store.RunFilter) error {
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	return st.NarrowToBackfill(ctx, backfillID, filter)
}
