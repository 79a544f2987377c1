package dates

import (
	"errors"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no tzdata for %s: %v", name, err)
	}
	return loc
}

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-01-01", utc(2024, 1, 1, 0, 0, 0, 0)},
		{"2024-01-01T10:30", utc(2024, 1, 1, 10, 30, 0, 0)},
		{"2024-01-01T10:30:15", utc(2024, 1, 1, 10, 30, 15, 0)},
		{"2024-01-01 10:30:15", utc(2024, 1, 1, 10, 30, 15, 0)},
		{"2024-01-01 00:00:00", utc(2024, 1, 1, 0, 0, 0, 0)},
		{"2024-01-01t10:30z", utc(2024, 1, 1, 10, 30, 0, 0)},
		{"2024-01-01Z", utc(2024, 1, 1, 0, 0, 0, 0)},
		{"2024-01-01+02:00", utc(2023, 12, 31, 22, 0, 0, 0)},
		{"2024-01-01T10:30Z", utc(2024, 1, 1, 10, 30, 0, 0)},
		{"2024-01-01T10:30+02:00", utc(2024, 1, 1, 8, 30, 0, 0)},
		{"2024-01-01T10:30:00+0200", utc(2024, 1, 1, 8, 30, 0, 0)},
		{"2024-01-01T10:30:00+02", utc(2024, 1, 1, 8, 30, 0, 0)},
		{"2024-01-01T10:30:00-05:30", utc(2024, 1, 1, 16, 0, 0, 0)},
		{"2024-01-01T00:30:00+01:00", utc(2023, 12, 31, 23, 30, 0, 0)},
		{"2024-01-01T10:30:00.5Z", utc(2024, 1, 1, 10, 30, 0, 500000000)},
		{"2024-01-01T10:30:00.123456+00:00", utc(2024, 1, 1, 10, 30, 0, 123456000)},
		{"2024-01-01T10:30:00.123456789Z", utc(2024, 1, 1, 10, 30, 0, 123456789)},
		{"2024-01-01T10:30:00,25Z", utc(2024, 1, 1, 10, 30, 0, 250000000)},
		{"2024-02-29", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"  2024-02-29\n", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"0001-01-01", utc(1, 1, 1, 0, 0, 0, 0)},
		{"9999-12-31T23:59:59", utc(9999, 12, 31, 23, 59, 59, 0)},
	}
	for _, tt := range tests {
		got, err := Parse("--start-date", tt.in, nil)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v, %v; want %v UTC", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", "now", "2024", "2024-1-1", "2024-13-01", "2024-00-10", "2023-02-29", "2024-04-31",
		"2024-01-00", "0000-01-01", "2024-01-01T24:00", "2024-01-01T10:60", "2024-01-01T10:30:60",
		"2024-01-01T10", "2024-01-01T1030", "2024-01-01T10:30:00.", "2024-01-01T10:30:00.1234567890Z",
		"2024-01-01T10:30+24:00", "2024-01-01T10:30+02:60", "2024-01-01T10:30+2:00",
		"2024-01-01-05", "2024-01-01+0200", "2024-01-01T10:30:00 +02:00", "2024/01/01",
		"01/02/2024", "2024-01-01TT10:30", "2024-01-01T10:30:00ZZ", "１２３４-01-01",
		"0001-01-01T00:00:00+01:00", "9999-12-31T23:00-02:00", // outside Python's years
	} {
		got, err := Parse("--start-date", in, nil)
		var de *DateError
		if !errors.As(err, &de) || de.Value != in || de.Flag != "--start-date" {
			t.Errorf("Parse(%q) = %v, %v; want a DateError", in, got, err)
		}
	}
}

func TestDateErrorMessage(t *testing.T) {
	_, err := Parse("--start-date", "2024-13-01", nil)
	want := `--start-date "2024-13-01": not a date; use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], with Z or ±HH:MM, or RFC 3339`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	_, err = Parse("end-date", "x", nil)
	if err == nil || err.Error()[:12] != `--end-date "` {
		t.Fatalf("flag without dashes: %v", err)
	}
}

func TestParseDefaultZone(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	ny := mustLoad(t, "America/New_York")
	lordHowe := mustLoad(t, "Australia/Lord_Howe")
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"winter", "2024-01-15", berlin, utc(2024, 1, 14, 23, 0, 0, 0)},
		{"summer", "2024-07-01T12:00", berlin, utc(2024, 7, 1, 10, 0, 0, 0)},
		{"explicit offset wins", "2024-07-01T12:00Z", berlin, utc(2024, 7, 1, 12, 0, 0, 0)},
		{"explicit +00:00 wins", "2024-07-01T12:00+00:00", ny, utc(2024, 7, 1, 12, 0, 0, 0)},
		// Spring forward: 02:00-03:00 does not exist; pendulum moves it forward.
		{"gap start", "2024-03-31T02:00", berlin, utc(2024, 3, 31, 1, 0, 0, 0)},
		{"gap", "2024-03-31T02:30", berlin, utc(2024, 3, 31, 1, 30, 0, 0)},
		{"gap end", "2024-03-31T03:00", berlin, utc(2024, 3, 31, 1, 0, 0, 0)},
		{"before gap", "2024-03-31T01:59:59", berlin, utc(2024, 3, 31, 0, 59, 59, 0)},
		{"gap NY", "2024-03-10T02:30", ny, utc(2024, 3, 10, 7, 30, 0, 0)},
		// Fall back: 02:00-03:00 happens twice; the second one (CET) is taken.
		{"fold", "2024-10-27T02:30", berlin, utc(2024, 10, 27, 1, 30, 0, 0)},
		{"fold start", "2024-10-27T02:00", berlin, utc(2024, 10, 27, 1, 0, 0, 0)},
		{"after fold", "2024-10-27T03:00", berlin, utc(2024, 10, 27, 2, 0, 0, 0)},
		{"before fold", "2024-10-27T01:59", berlin, utc(2024, 10, 26, 23, 59, 0, 0)},
		{"fold NY", "2024-11-03 01:30:00", ny, utc(2024, 11, 3, 6, 30, 0, 0)},
		// Half-hour DST in Lord Howe: +10:30 <-> +11.
		{"gap 30m", "2024-10-06T02:15", lordHowe, utc(2024, 10, 5, 15, 45, 0, 0)},
		{"fold 30m", "2024-04-07T01:45", lordHowe, utc(2024, 4, 6, 15, 15, 0, 0)},
		{"fraction in zone", "2024-07-01T12:00:00.25", berlin, utc(2024, 7, 1, 10, 0, 0, 250000000)},
	}
	for _, tt := range tests {
		got, err := Parse("--start-date", tt.in, tt.loc)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%s: Parse(%q, %s) = %v, %v; want %v", tt.name, tt.in, tt.loc, got, err, tt.want)
		}
	}
}

func TestFormatISO(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		in   time.Time
		want string
	}{
		{utc(2024, 6, 15, 10, 30, 0, 0), "2024-06-15T10:30:00+00:00"},
		{time.Date(2024, 6, 15, 12, 30, 0, 0, berlin), "2024-06-15T10:30:00+00:00"},
		{utc(2024, 6, 15, 10, 30, 0, 123456789), "2024-06-15T10:30:00.123456+00:00"},
		{utc(2024, 6, 15, 10, 30, 0, 1000), "2024-06-15T10:30:00.000001+00:00"},
		{utc(2024, 6, 15, 10, 30, 0, 999), "2024-06-15T10:30:00+00:00"},
		{utc(1, 1, 1, 0, 0, 0, 0), "0001-01-01T00:00:00+00:00"},
	}
	for _, tt := range tests {
		if got := FormatISO(tt.in); got != tt.want {
			t.Errorf("FormatISO(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
