package pgtls

import "io/fs"

// checkKeyMode: libpq skips the key file's permission check on Windows
// (fe-secure-openssl.c), where Unix modes do not apply.
func checkKeyMode(fs.FileInfo) error { return nil }
