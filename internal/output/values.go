package output

import (
	"strconv"
	"time"
)

// Int formats an int for a table cell.
func Int(i int64) string { return strconv.FormatInt(i, 10) }

// TimeStr renders an optional time as RFC 3339 UTC for JSON (nil stays null).
func TimeStr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
