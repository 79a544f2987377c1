package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/iostreams"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := Run(context.Background(), ios, args, func(f *cmdutil.Factory) {
		f.Getenv = func(string) (string, bool) { return "", false }
	})
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExit2OnOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"nope"},
		{"runs", "nope"},
		{"runs", "get"},
		{"runs", "list", "--bogus"},
		{"runs", "list", "--limit", "x"},
		{"backfill", "get", "a", "b"},
		{"version", "-o", "xml"},
		{"version", "--rbac", "sometimes"},
	} {
		code, _, stderr := run(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "dagctl: ") {
			t.Errorf("dagctl %v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := run(t, "version", "-o", "json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] == "" || v["commit"] == "" || v["date"] == "" {
		t.Fatalf("version -o json: exit %d %q", code, out)
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	code, out, _ := run(t, "--help")
	for _, want := range []string{"124", "permission denied", "conflict", "not found", "invalid input"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
