package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error that comes from a bad setting: an
// unparsable or unsupported database URL, a malformed config file, an unknown
// context, an out-of-range value. The CLI maps it to exit code 2.
var ErrInvalid = errors.New("invalid configuration")

// invalidError is a one-line message that matches ErrInvalid with errors.Is
// without repeating "invalid configuration" in front of every message.
type invalidError struct {
	msg string
	err error
}

func (e *invalidError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func (e *invalidError) Unwrap() error { return e.err }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// invalidWrap gives err the ErrInvalid kind and a context prefix.
func invalidWrap(err error, format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...), err: err}
}

// Mask is what a secret is replaced with in anything dagctl prints.
const Mask = "xxxxx"

// Redact replaces every occurrence of each non-empty secret in s with Mask.
// Longer secrets are replaced first so that a secret which contains another
// one is not left half visible. The error printer passes Settings.Secrets()
// here so that no error line ever shows a password.
func Redact(s string, secrets ...string) string {
	uniq := make([]string, 0, len(secrets))
	seen := map[string]bool{}
	for _, sec := range secrets {
		if sec == "" || seen[sec] {
			continue
		}
		seen[sec] = true
		uniq = append(uniq, sec)
	}
	sort.SliceStable(uniq, func(i, j int) bool { return len(uniq[i]) > len(uniq[j]) })
	for _, sec := range uniq {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	return s
}
