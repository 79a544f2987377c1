// Package buildinfo holds the version stamped into the binary by ldflags.
package buildinfo

// Set by -ldflags "-X github.com/dagctl/dagctl/internal/buildinfo.Version=…" (see .goreleaser.yaml, Makefile).
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)
