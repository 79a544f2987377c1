package cmdutil

import (
	"context"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/dagload"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dates"
)

// ParseDate reads a user date for flag; a date without an offset is read in
// Airflow's [core] default_timezone (UTC when unset or unloadable, as in Airflow).
func (f *Factory) ParseDate(ctx context.Context, flag, value string) (time.Time, error) {
	s, err := f.Settings(ctx)
	if err != nil {
		return time.Time{}, err
	}
	loc, _ := s.Location()
	t, err := dates.Parse(flag, value, loc)
	if err != nil {
		return time.Time{}, apperr.Invalid("%v", err)
	}
	return t, nil
}

// ParseRange reads --start-date and --end-date and checks their order.
func (f *Factory) ParseRange(ctx context.Context, start, end string) (from, to time.Time, err error) {
	if from, err = f.ParseDate(ctx, "--start-date", start); err != nil {
		return from, to, err
	}
	if to, err = f.ParseDate(ctx, "--end-date", end); err != nil {
		return from, to, err
	}
	if from.After(to) {
		return from, to, apperr.Invalid("--start-date: %s is after --end-date %s", dates.FormatISO(from), dates.FormatISO(to))
	}
	return from, to, nil
}

// WritableDAG opens the store, checks that dagctl may write to it, and loads the DAG.
func (f *Factory) WritableDAG(ctx context.Context, dagID string) (*store.Store, *dagload.Loaded, error) {
	st, err := f.Store(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := st.CheckWritable(); err != nil {
		return nil, nil, err
	}
	dag, err := dagload.Load(ctx, st, dagID)
	if err != nil {
		return nil, nil, err
	}
	return st, dag, nil
}
