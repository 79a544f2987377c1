package schedule

import "time"

// Expr returns the expression as given to ParseCron.
func (c *Cron) Expr() string { return c.expr }

// coversEveryHour is airflow/timetables/_cron.py _covers_every_hour: croniter
// expanded the hour field to "*".
func (c *Cron) coversEveryHour() bool { return c.star[fHour] }

// Next is Airflow's CronMixin._get_next (airflow/timetables/_cron.py): the
// first match strictly after t on loc's wall clock, as a UTC instant. When the
// hour field is "*", the wall-clock distance croniter found is added to t in
// absolute time (so a repeated hour is not skipped); otherwise the matched
// wall time is localized (nonexistent times move forward, ambiguous ones take
// the later instant).
func (c *Cron) Next(t time.Time, loc *time.Location) (time.Time, error) {
	ws, ns := wallOf(t, loc)
	s, err := c.nextWall(ws)
	if err != nil {
		return time.Time{}, err
	}
	if !c.coversEveryHour() {
		return localize(s, 0, loc), nil
	}
	return t.Add(time.Duration(s-ws)*time.Second - time.Duration(ns)).UTC(), nil
}

// Prev is Airflow's CronMixin._get_prev: the last match strictly before t.
func (c *Cron) Prev(t time.Time, loc *time.Location) (time.Time, error) {
	ws, ns := wallOf(t, loc)
	s, err := c.prevWall(ws, ns)
	if err != nil {
		return time.Time{}, err
	}
	if !c.coversEveryHour() {
		return localize(s, 0, loc), nil
	}
	return t.Add(-(time.Duration(ws-s)*time.Second + time.Duration(ns))).UTC(), nil
}

// alignToNext is CronMixin._align_to_next: t itself when it is on the
// schedule, else the next match.
func (c *Cron) alignToNext(t time.Time, loc *time.Location) (time.Time, error) {
	next, err := c.Next(t, loc)
	if err != nil {
		return time.Time{}, err
	}
	back, err := c.Prev(next, loc)
	if err != nil {
		return time.Time{}, err
	}
	if !back.Equal(t) {
		return next, nil
	}
	return t, nil
}

// alignToPrev is CronMixin._align_to_prev.
func (c *Cron) alignToPrev(t time.Time, loc *time.Location) (time.Time, error) {
	prev, err := c.Prev(t, loc)
	if err != nil {
		return time.Time{}, err
	}
	fwd, err := c.Next(prev, loc)
	if err != nil {
		return time.Time{}, err
	}
	if !fwd.Equal(t) {
		return prev, nil
	}
	return t, nil
}
