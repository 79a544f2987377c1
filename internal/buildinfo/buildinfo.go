// Package buildinfo holds the version stamped into the binary by ldflags.
package buildinfo

import "runtime/debug"

// Set by -ldflags "-X github.com/dagctl/dagctl/internal/buildinfo.Version=…" (see .goreleaser.yaml, Makefile).
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

// Info is what the binary knows about its own build.
type Info struct {
	Version, Commit, Date string
}

// Get returns the stamped version, commit and date. A binary built without
// the ldflags (`go install github.com/dagctl/dagctl/cmd/dagctl@v1.2.3`) falls
// back to what the go command recorded: the module's version, and the VCS
// revision and time when it was built from a checkout.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = fromBuildInfo(info, bi)
	}
	return info
}

func fromBuildInfo(info Info, bi *debug.BuildInfo) Info {
	if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && info.Commit == "none" && s.Value != "":
			info.Commit = s.Value[:min(len(s.Value), 7)]
		case s.Key == "vcs.time" && info.Date == "unknown" && s.Value != "":
			info.Date = s.Value
		}
	}
	return info
}
