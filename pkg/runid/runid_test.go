package runid

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidatePrefix(t *testing.T) {
	long := strings.Repeat("a", MaxRunIDLen)
	// The longest prefix that still fits: 250 - "_" - 19 digits - "_" - 25.
	fitting := strings.Repeat("a", MaxRunIDLen-1-19-1-25)
	tests := []struct {
		in   string
		want string
		rule string
	}{
		{in: "nightly", want: "nightly"},
		{in: "nightly_", want: "nightly"},
		{in: "nightly___", want: "nightly"},
		{in: "_nightly", want: "_nightly"},
		{in: "a.b~c:d+e-f_9", want: "a.b~c:d+e-f_9"},
		{in: "2024", want: "2024"},
		{in: "manual", want: "manual"},
		{in: "manual_", want: "manual"},
		{in: "manualx__", want: "manualx"},
		{in: "scheduled_", want: "scheduled"},
		{in: "my_manual__run", want: "my_manual__run"},
		{in: "Scheduled__x", want: "Scheduled__x"}, // Airflow's check is case-sensitive
		{in: fitting, want: fitting},

		{in: "", rule: RuleEmpty},
		{in: "_", rule: RuleEmpty},
		{in: "____", rule: RuleEmpty},
		{in: "x y", rule: RuleCharacters},
		{in: "a/b", rule: RuleCharacters},
		{in: "é", rule: RuleCharacters},
		{in: "a\nb", rule: RuleCharacters},
		{in: "nightly\n", rule: RuleCharacters},
		{in: "backfill", rule: RuleBackfill},
		{in: "my_BackFill_run", rule: RuleBackfill},
		{in: "BACKFILL__x", rule: RuleBackfill},
		{in: "manual__", rule: RuleReserved},
		{in: "manual__x", rule: RuleReserved},
		{in: "scheduled__2024", rule: RuleReserved},
		{in: "dataset_triggered__a", rule: RuleReserved},
		{in: "asset_triggered__", rule: RuleReserved},
		{in: fitting + "b", rule: RuleTooLong},
		{in: long, rule: RuleTooLong},
	}
	for _, tt := range tests {
		got, err := ValidatePrefix(tt.in)
		if tt.rule == "" {
			if err != nil || got != tt.want {
				t.Errorf("ValidatePrefix(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var pe *PrefixError
		if !errors.As(err, &pe) {
			t.Errorf("ValidatePrefix(%q) = %q, %v; want a PrefixError (%s)", tt.in, got, err, tt.rule)
			continue
		}
		if pe.Rule != tt.rule || pe.Prefix != tt.in || got != "" {
			t.Errorf("ValidatePrefix(%q): rule %q prefix %q got %q; want rule %q", tt.in, pe.Rule, pe.Prefix, got, tt.rule)
		}
	}
}

func TestPrefixErrorMessage(t *testing.T) {
	_, err := ValidatePrefix("x y")
	want := `--prefix "x y": only letters, digits and _.~:+- are allowed`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	for _, p := range []string{"", "backfill", "manual__", strings.Repeat("z", 300)} {
		_, err := ValidatePrefix(p)
		if err == nil || !strings.HasPrefix(err.Error(), "--prefix ") {
			t.Errorf("ValidatePrefix(%q) error %v does not name the flag", p, err)
		}
	}
}

func TestMaxFormattedLen(t *testing.T) {
	d := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, p := range []string{"a", "nightly", strings.Repeat("x", 100)} {
		id := Format(p, 1<<63-1, d)
		if len(id) != MaxFormattedLen(p) {
			t.Errorf("len(Format(%q, max)) = %d, MaxFormattedLen = %d", p, len(id), MaxFormattedLen(p))
		}
	}
	if FitsMaxLen(strings.Repeat("a", 205)) {
		t.Error("205-char prefix should not fit")
	}
	if !FitsMaxLen(strings.Repeat("a", 204)) {
		t.Error("204-char prefix should fit")
	}
}

func TestFormat(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	tests := []struct {
		prefix  string
		counter int64
		date    time.Time
		want    string
	}{
		{"nightly", 1, time.Date(2017, 9, 1, 12, 0, 0, 0, time.UTC), "nightly_0000001_2017-09-01T12:00:00+00:00"},
		{"n", 1234567, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "n_1234567_2024-01-01T00:00:00+00:00"},
		{"n", 12345678, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "n_12345678_2024-01-01T00:00:00+00:00"},
		{"n", 0, time.Date(2024, 1, 1, 0, 0, 0, 999999999, time.UTC), "n_0000000_2024-01-01T00:00:00+00:00"},
		{"n_2", 3, time.Date(2024, 7, 1, 2, 0, 0, 0, berlin), "n_2_0000003_2024-07-01T00:00:00+00:00"},
	}
	for _, tt := range tests {
		if got := Format(tt.prefix, tt.counter, tt.date); got != tt.want {
			t.Errorf("Format(%q, %d, %v) = %q, want %q", tt.prefix, tt.counter, tt.date, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	d := time.Date(2017, 9, 1, 12, 0, 0, 0, time.UTC)
	ok := []struct {
		id      string
		prefix  string
		counter int64
	}{
		{"nightly_0000001_2017-09-01T12:00:00+00:00", "nightly", 1},
		{"nightly_x_0000042_2017-09-01T12:00:00+00:00", "nightly_x", 42},
		{"run_2024_0000002_2017-09-01T12:00:00+00:00", "run_2024", 2},
		{"a_0000001_0000002_2017-09-01T12:00:00+00:00", "a_0000001", 2},
		{"a1234567_0000009_2017-09-01T12:00:00+00:00", "a1234567", 9},
		{"n_12345678_2017-09-01T12:00:00+00:00", "n", 12345678},
		{"n_9223372036854775807_2017-09-01T12:00:00+00:00", "n", 1<<63 - 1},
	}
	for _, tt := range ok {
		p, n, ld, good := Parse(tt.id)
		if !good || p != tt.prefix || n != tt.counter || !ld.Equal(d) || ld.Location() != time.UTC {
			t.Errorf("Parse(%q) = %q, %d, %v, %v; want %q, %d, %v", tt.id, p, n, ld, good, tt.prefix, tt.counter, d)
		}
	}
	bad := []string{
		"",
		"manual__2017-09-01T12:00:00+00:00",
		"scheduled__2017-09-01T12:00:00.123456+00:00",
		"_0000001_2017-09-01T12:00:00+00:00",               // no prefix
		"n__0000001_2017-09-01T12:00:00+00:00",             // prefix ending in _
		"n_000001_2017-09-01T12:00:00+00:00",               // 6 digits
		"n_00000001_2017-09-01T12:00:00+00:00",             // zero-padded to 8
		"n_0000001_2017-09-01T12:00:00+02:00",              // not UTC
		"n_0000001_2017-13-01T12:00:00+00:00",              // no month 13
		"n_0000001_2017-09-01T12:00:00",                    // no offset
		"n_0000001_2017-09-01T12:00:00+00:00x",             // trailing text
		"n_99999999999999999999_2017-09-01T12:00:00+00:00", // overflows int64
	}
	for _, id := range bad {
		if p, n, _, good := Parse(id); good {
			t.Errorf("Parse(%q) = %q, %d, ok; want not ok", id, p, n)
		}
	}
}

func TestFormatParseRoundTrip(t *testing.T) {
	dates := []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 3, 31, 1, 30, 0, 0, time.FixedZone("x", 5*3600+1800)),
	}
	for _, p := range []string{"a", "a_1", "x.y-z", "0000001", "a_0000001_2017-09-01T12:00:00+00:00"} {
		for _, c := range []int64{0, 1, 9999999, 10000000, 1<<63 - 1} {
			for _, d := range dates {
				id := Format(p, c, d)
				gp, gc, gd, ok := Parse(id)
				if !ok || gp != p || gc != c || !gd.Equal(d) {
					t.Errorf("Parse(Format(%q, %d, %v)) = %q, %d, %v, %v", p, c, d, gp, gc, gd, ok)
				}
			}
		}
	}
}

func TestNextCounter(t *testing.T) {
	ids := []string{
		"nightly_0000001_2017-09-01T12:00:00+00:00",
		"nightly_0000007_2017-09-02T12:00:00+00:00",
		"nightly_0000003_2017-09-03T12:00:00+00:00",
		"nightly_x_0000050_2017-09-01T12:00:00+00:00",
		"nightlyx_0000060_2017-09-01T12:00:00+00:00",
		"xnightly_0000070_2017-09-01T12:00:00+00:00",
		"manual__2017-09-01T12:00:00+00:00",
		"nightly_0000099_garbage",
	}
	tests := []struct {
		prefix string
		want   int64
	}{
		{"nightly", 8},
		{"nightly_x", 51},
		{"nightlyx", 61},
		{"night", 1},
		{"other", 1},
	}
	for _, tt := range tests {
		if got := NextCounter(ids, tt.prefix); got != tt.want {
			t.Errorf("NextCounter(%q) = %d, want %d", tt.prefix, got, tt.want)
		}
	}
	if got := NextCounter(nil, "nightly"); got != 1 {
		t.Errorf("NextCounter(nil) = %d, want 1", got)
	}
	big := []string{"n_12345678_2017-09-01T12:00:00+00:00", "n_0000009_2017-09-01T12:00:00+00:00"}
	if got := NextCounter(big, "n"); got != 12345679 {
		t.Errorf("NextCounter past 7 digits = %d", got)
	}
}

func TestBackfillIDs(t *testing.T) {
	at := time.Date(2024, 6, 15, 12, 30, 5, 999, time.FixedZone("x", 2*3600))
	id := FormatBackfillID("etl", at)
	if id != "etl_backfill_20240615_103005" {
		t.Errorf("FormatBackfillID = %q", id)
	}
	if got := WithSuffix(id, 2); got != "etl_backfill_20240615_103005_2" {
		t.Errorf("WithSuffix 2 = %q", got)
	}
	if got := WithSuffix(id, 13); got != "etl_backfill_20240615_103005_13" {
		t.Errorf("WithSuffix 13 = %q", got)
	}
}

func TestGenerateAirflowRunID(t *testing.T) {
	tests := []struct {
		runType string
		date    time.Time
		want    string
	}{
		{"manual", time.Date(2024, 6, 15, 10, 30, 0, 0, time.UTC), "manual__2024-06-15T10:30:00+00:00"},
		{"scheduled", time.Date(2024, 6, 15, 10, 30, 0, 123456000, time.UTC), "scheduled__2024-06-15T10:30:00.123456+00:00"},
		{"scheduled", time.Date(2024, 6, 15, 10, 30, 0, 1000, time.UTC), "scheduled__2024-06-15T10:30:00.000001+00:00"},
		// Nanoseconds below a microsecond do not exist in Python.
		{"manual", time.Date(2024, 6, 15, 10, 30, 0, 999, time.UTC), "manual__2024-06-15T10:30:00+00:00"},
		{"manual", time.Date(2024, 6, 15, 10, 30, 0, 0, time.FixedZone("", -(5*3600+1800))), "manual__2024-06-15T10:30:00-05:30"},
		{"manual", time.Date(2024, 6, 15, 10, 30, 0, 0, time.FixedZone("", 3600+30)), "manual__2024-06-15T10:30:00+01:00:30"},
		{"dataset_triggered", time.Date(2017, 1, 2, 3, 4, 5, 0, time.UTC), "dataset_triggered__2017-01-02T03:04:05+00:00"},
	}
	for _, tt := range tests {
		if got := GenerateAirflowRunID(tt.runType, tt.date); got != tt.want {
			t.Errorf("GenerateAirflowRunID(%q, %v) = %q, want %q", tt.runType, tt.date, got, tt.want)
		}
	}
}
