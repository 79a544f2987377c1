package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	stamped := Info{Version: "1.2.3", Commit: "abc1234", Date: "2026-01-01T00:00:00Z"}
	unstamped := Info{Version: "dev", Commit: "none", Date: "unknown"}
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-02-03T04:05:06Z"}}
	for _, c := range []struct {
		name string
		in   Info
		bi   debug.BuildInfo
		want Info
	}{
		{"ldflags win", stamped, debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: vcs}, stamped},
		{"go install module@version", unstamped, debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			Info{Version: "v1.4.0", Commit: "none", Date: "unknown"}},
		{"go build in a checkout", unstamped, debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			Info{Version: "dev", Commit: "0123456", Date: "2026-02-03T04:05:06Z"}},
		{"nothing known", unstamped, debug.BuildInfo{}, unstamped},
	} {
		if got := fromBuildInfo(c.in, &c.bi); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
