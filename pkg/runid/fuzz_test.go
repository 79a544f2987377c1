package runid

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzValidatePrefix checks the invariants of an accepted prefix, and that a
// refused one is always a *PrefixError naming the input. Seeds live in
// testdata/fuzz/FuzzValidatePrefix.
func FuzzValidatePrefix(f *testing.F) {
	f.Add("nightly")
	f.Add("manual__")
	f.Add("a_0000001")
	d := time.Date(2017, 9, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ValidatePrefix(in)
		if err != nil {
			var pe *PrefixError
			if !errors.As(err, &pe) || pe.Prefix != in || got != "" {
				t.Fatalf("ValidatePrefix(%q) = %q, %v: want a PrefixError for the input", in, got, err)
			}
			return
		}
		if !allowedPattern().MatchString(got) || strings.HasSuffix(got, "_") ||
			strings.Contains(strings.ToLower(got), "backfill") || hasReservedPrefix(got) ||
			!strings.HasPrefix(in, got) || !FitsMaxLen(got) {
			t.Fatalf("ValidatePrefix(%q) = %q breaks a rule", in, got)
		}
		if again, err := ValidatePrefix(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, got, again, err)
		}
		id := Format(got, 1<<63-1, d)
		if len(id) > MaxRunIDLen || hasReservedPrefix(id) {
			t.Fatalf("Format(%q) = %q is too long or reserved", got, id)
		}
		p, n, ld, ok := Parse(Format(got, 42, d))
		if !ok || p != got || n != 42 || !ld.Equal(d) {
			t.Fatalf("round trip of %q: %q %d %v %v", got, p, n, ld, ok)
		}
	})
}
