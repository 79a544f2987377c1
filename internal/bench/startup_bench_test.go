package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStartup measures only the start-up of `dagctl version` (no
// database): go test -run '^$' -bench Startup ./internal/bench with
// DAGCTL_BENCH=1, and DAGCTL_BENCH_BASELINE_BIN for a before/after.
func BenchmarkStartup(b *testing.B) {
	enabled(b)
	versionStartup(b)
}

// versionStartup reports `dagctl version`'s start to first output and its
// package initialisation (GODEBUG=inittrace=1: every package's init clock
// time and allocations, summed), for this build and the baseline, measured
// in turn so that both see the same machine.
func versionStartup(b *testing.B) {
	type build struct{ label, bin string }
	builds := []build{{"this build", binary(b)}}
	if base := os.Getenv("DAGCTL_BENCH_BASELINE_BIN"); base != "" {
		label := "baseline " + os.Getenv("DAGCTL_BENCH_BASELINE")
		builds = append(builds, build{strings.TrimSpace(label), base})
	}
	first := make([][]time.Duration, len(builds))
	inits := make([][]initTrace, len(builds))
	for range 4 * reps {
		for i, bu := range builds {
			first[i] = append(first[i], firstOutput(b, bu.bin, "version"))
			inits[i] = append(inits[i], traceInit(b, bu.bin, "version"))
		}
	}
	for i, bu := range builds {
		t := medianTrace(inits[i])
		report(b, "start to first output: dagctl version ("+bu.label+")", ms(median(first[i])), "ms", "", true,
			"Airflow 2.10.5 CLI: 1.9-2.2 s (version)")
		report(b, "package init of dagctl version ("+bu.label+")", t.clock, "ms", "", true,
			fmt.Sprintf("GODEBUG=inittrace=1, sum over packages: %.2f MB in %d allocations; slowest: %s", float64(t.bytes)/1e6, t.allocs, t.top))
	}
}

// firstOutput runs bin and returns the time from its start to the first
// byte on stdout.
func firstOutput(b *testing.B, bin string, args ...string) time.Duration {
	cmd := exec.Command(bin, args...)
	cmd.Env = binEnv(b)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := out.Read(buf); err != nil {
		b.Fatalf("dagctl %v: no output: %v", args, err)
	}
	d := time.Since(start)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("dagctl %v: %v", args, err)
	}
	return d
}

type initTrace struct {
	clock         float64 // ms, summed over packages
	bytes, allocs int64
	top           string // the three slowest packages
}

// traceInit runs bin with GODEBUG=inittrace=1 and sums the runtime's lines:
// "init <pkg> @<t> ms, <clock> ms clock, <bytes> bytes, <allocs> allocs".
func traceInit(b *testing.B, bin string, args ...string) initTrace {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(binEnv(b), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("dagctl %v: %v: %s", args, err, stderr.String())
	}
	var t initTrace
	type pkg struct {
		name  string
		clock float64
	}
	var pkgs []pkg
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" || f[6] != "clock," {
			continue
		}
		clock, _ := strconv.ParseFloat(f[4], 64)
		bytes, _ := strconv.ParseInt(f[7], 10, 64)
		allocs, _ := strconv.ParseInt(f[9], 10, 64)
		t.clock += clock
		t.bytes += bytes
		t.allocs += allocs
		pkgs = append(pkgs, pkg{f[1], clock})
	}
	if len(pkgs) == 0 {
		b.Fatalf("dagctl %v: no inittrace lines on stderr", args)
	}
	slices.SortFunc(pkgs, func(x, y pkg) int { return -cmpFloat(x.clock, y.clock) })
	var top []string
	for _, p := range pkgs[:min(3, len(pkgs))] {
		top = append(top, fmt.Sprintf("%s %.2f ms", p.name, p.clock))
	}
	t.top = strings.Join(top, ", ")
	return t
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// medianTrace is the run of median clock time.
func medianTrace(ts []initTrace) initTrace {
	s := slices.Clone(ts)
	slices.SortFunc(s, func(x, y initTrace) int { return cmpFloat(x.clock, y.clock) })
	return s[len(s)/2]
}
