package cmdutil

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// PositiveDurationVar defines a duration flag that refuses zero, negative
// and unit-less values while parsing (exit 2 naming the flag and the form).
func PositiveDurationVar(fs *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*positiveDuration)(p), name, usage)
}

type positiveDuration time.Duration

// String is the default as --help shows it: 1h, 5s (not 1h0m0s).
func (d *positiveDuration) String() string {
	s := time.Duration(*d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (d *positiveDuration) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil || x <= 0 {
		return fmt.Errorf("must be a positive duration such as 30s, 10m or 2h")
	}
	*d = positiveDuration(x)
	return nil
}

func (d *positiveDuration) Type() string { return "duration" }
