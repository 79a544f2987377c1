package dates

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that a result is UTC and
// survives FormatISO -> Parse, and that a refusal is a DateError for the
// input. Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("2024-01-01T10:30:00+02:00")
	f.Add("2024-03-31T02:30")
	zones := []*time.Location{time.UTC, time.FixedZone("x", -9*3600)}
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		if loc, err := time.LoadLocation(name); err == nil {
			zones = append(zones, loc)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, loc := range zones {
			got, err := Parse("--start-date", in, loc)
			if err != nil {
				var de *DateError
				if !errors.As(err, &de) || de.Value != in {
					t.Fatalf("Parse(%q) error %v is not a DateError for the input", in, err)
				}
				continue
			}
			if got.Location() != time.UTC {
				t.Fatalf("Parse(%q) = %v, not UTC", in, got)
			}
			back, err := Parse("--start-date", FormatISO(got), loc)
			if err != nil || !back.Equal(got.Truncate(time.Microsecond)) {
				t.Fatalf("FormatISO(%v) = %q parses to %v, %v", got, FormatISO(got), back, err)
			}
		}
	})
}
