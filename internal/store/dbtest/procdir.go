package dbtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Every test process keeps its cluster and SQLite templates in one directory,
// <tmp>/dagctl-dbtest-<random>, with a "pid" file naming the owner. Directories whose owner is
// gone (a test binary that was killed) are removed by the next process, unless they hold a
// "KEEP" file (written when a failed test left a database behind).
const procDirPrefix = "dagctl-dbtest-"

var (
	procOnce sync.Once
	procPath string
	procErr  error
)

func processDir() (string, error) {
	procOnce.Do(func() {
		base := baseDir()
		sweepStale(base)
		dir, err := os.MkdirTemp(base, procDirPrefix)
		if err != nil {
			procErr = fmt.Errorf("dbtest: create temp dir: %w", err)
			return
		}
		// The postgres OS user must be able to reach <dir>/pg.
		if err := os.Chmod(dir, 0o755); err != nil {
			procErr = fmt.Errorf("dbtest: %w", err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			procErr = fmt.Errorf("dbtest: %w", err)
			return
		}
		procPath = dir
	})
	return procPath, procErr
}

// baseDir picks where the process directory goes: $DBTEST_TMPDIR if set; else /dev/shm when it is
// a tmpfs with at least 1 GiB free, because cloning a template there is about 8 times faster
// than on disk (about 25 ms instead of 190 ms per database); else the usual temporary directory.
func baseDir() string {
	if d := os.Getenv("DBTEST_TMPDIR"); d != "" {
		return d
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil && uint64(st.Bavail)*uint64(st.Bsize) >= 1<<30 &&
		syscall.Access("/dev/shm", 0o2 /* W_OK */) == nil {
		return "/dev/shm"
	}
	base := os.TempDir()
	// A unix socket path must stay under ~100 bytes: <dir>/pg/.s.PGSQL.5432.
	if len(base) > 60 {
		base = "/tmp"
	}
	return base
}

// At most this many directories kept by failed tests survive, none older than keepFor: they may
// sit on /dev/shm, in memory.
const (
	keepAtMost = 5
	keepFor    = 3 * 24 * time.Hour
)

func sweepStale(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	type keptDir struct {
		path string
		mod  time.Time
	}
	var kept []keptDir
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), procDirPrefix) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		if st, err := os.Stat(filepath.Join(dir, "KEEP")); err == nil {
			kept = append(kept, keptDir{dir, st.ModTime()})
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		os.RemoveAll(dir)
	}
	slices.SortFunc(kept, func(a, b keptDir) int { return b.mod.Compare(a.mod) })
	for i, k := range kept {
		if i >= keepAtMost || time.Since(k.mod) > keepFor {
			os.RemoveAll(k.path)
		}
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// shutdown stops the cluster and removes the process directory, or keeps it (with a note on
// stderr) when a failed test left a PostgreSQL database in it.
func shutdown() {
	stopBouncer()
	kept := stopCluster()
	keptMy := stopMariaDB()
	if procPath == "" {
		return
	}
	os.RemoveAll(filepath.Join(procPath, "sqlite"))
	if len(kept) == 0 && len(keptMy) == 0 {
		os.RemoveAll(procPath)
		return
	}
	os.WriteFile(filepath.Join(procPath, "KEEP"), []byte(strings.Join(append(kept, keptMy...), "\n")+"\n"), 0o644)
	if len(keptMy) > 0 {
		fmt.Fprintf(os.Stderr, "dbtest: kept MariaDB server %s with the databases of failed tests: %s\n",
			filepath.Join(procPath, "my"), strings.Join(keptMy, ", "))
		fmt.Fprintf(os.Stderr, "dbtest: start it with: %s\n", mariadbRestartCommand())
		fmt.Fprintf(os.Stderr, "dbtest: then connect with: mariadb -S %s -u root %s; remove the directory when done\n",
			filepath.Join(procPath, "my", "mysqld.sock"), keptMy[0])
	}
	if len(kept) == 0 {
		return
	}
	fmt.Fprintf(os.Stderr, "dbtest: kept PostgreSQL cluster %s with the databases of failed tests: %s\n",
		procPath, strings.Join(kept, ", "))
	fmt.Fprintf(os.Stderr, "dbtest: start it with: %s\n", restartCommand())
	fmt.Fprintf(os.Stderr, "dbtest: then connect with: psql 'postgresql://postgres@/%s?host=%s'; remove the directory when done\n",
		kept[0], filepath.Join(procPath, "pg"))
}

// stopProcess asks a server process to stop with sig and waits for exited
// (closed when it has been reaped); after grace it is killed.
func stopProcess(proc *os.Process, exited <-chan struct{}, sig os.Signal, grace time.Duration) {
	proc.Signal(sig)
	select {
	case <-exited:
	case <-time.After(grace):
		proc.Kill()
		<-exited
	}
}
