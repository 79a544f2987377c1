//go:build !windows

package pgtls

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkKeyMode is libpq's refusal of a key file others can read: owned by
// the current user it must be u=rw (0600) or less, owned by root u=rw,g=r
// (0640) or less.
func checkKeyMode(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	perm := fi.Mode().Perm()
	if int(st.Uid) == os.Geteuid() && perm&0o077 != 0 || st.Uid == 0 && perm&0o037 != 0 {
		return fmt.Errorf("has group or world access (%04o); it must be u=rw (0600) or less if owned by the current user, or u=rw,g=r (0640) or less if owned by root, as libpq requires", perm)
	}
	return nil
}
