package runops

import (
	"testing"
	"time"
)

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"manual__2024-01-01T00:00:00+00:00": "manual__2024-01-01T00:00:00+00:00",
		"etl":                               "etl",
		"with space":                        "'with space'",
		"it's":                              `'it'\''s'`,
		"$(rm -rf /)":                       "'$(rm -rf /)'",
		"":                                  "''",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute: "30m", time.Hour: "1h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s",
		250 * time.Millisecond: "250ms", 2*time.Minute + 10*time.Second: "2m10s", 0: "0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestWaitCommand(t *testing.T) {
	if got, want := WaitCommand("my dag", []string{"a", "b c"}), "dagctl runs wait a 'b c' --dag-id 'my dag'"; got != want {
		t.Errorf("WaitCommand = %s, want %s", got, want)
	}
	if got, want := WaitCommand("etl", []string{"a", "b", "c", "d"}), "dagctl runs wait RUN_ID... --dag-id etl"; got != want {
		t.Errorf("WaitCommand of 4 runs = %s, want %s", got, want)
	}
}
