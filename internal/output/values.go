package output

import (
	"strconv"
	"time"
)

// Time formats t as RFC 3339 in UTC, or "" for nil.
func Time(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Bool formats a boolean for a table cell.
func Bool(b bool) string { return strconv.FormatBool(b) }

// Int formats an int for a table cell.
func Int(i int64) string { return strconv.FormatInt(i, 10) }

// Str formats an optional string, "" for nil.
func Str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TimeStr renders an optional time as RFC 3339 UTC for JSON (nil stays null).
func TimeStr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
