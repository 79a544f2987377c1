package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// File is dagctl's own config file, kubectl-like: named contexts, each
// pointing at one Airflow metadata database, and a current context.
//
// Where it is: --config FILE, else $DAGCTL_CONFIG, else
// $XDG_CONFIG_HOME/dagctl/config.yaml, else ~/.config/dagctl/config.yaml. A
// missing file at the default place is fine; a missing --config or
// $DAGCTL_CONFIG file is an error.
//
//	current-context: prod            # used when --context is not given
//	user: alice                      # optional defaults for every context:
//	rbac: auto                       #   user, rbac, connect_timeout, schema
//	connect_timeout: 10s             #   ("15s", "1m" or a number of seconds)
//	contexts:
//	  prod:
//	    db: "postgresql://airflow:secret@db:5432/airflow"
//	    user: alice
//	    rbac: enforce                # auto | enforce | off
//	    schema: airflow              # Airflow's [database] sql_alchemy_schema
//	    connect_timeout: 5s
//	  local:
//	    db: "sqlite:////home/alice/airflow/airflow.db"
//
// A key set in the selected context wins over the same key at the top level.
// Unknown keys are errors, so a typo does not silently point dagctl
// elsewhere. The file may hold passwords: keep it private (chmod 600).
type File struct {
	CurrentContext string              `yaml:"current-context"`
	Contexts       map[string]*Context `yaml:"contexts"`
	Context        `yaml:",inline"`
}

// Context is one named target. At the top level of File the same keys act
// as defaults.
type Context struct {
	DB             string       `yaml:"db"`
	User           string       `yaml:"user"`
	RBAC           string       `yaml:"rbac"`
	Schema         string       `yaml:"schema"`
	ConnectTimeout yamlDuration `yaml:"connect_timeout"`
}

// yamlDuration accepts "15s" or a number of seconds.
type yamlDuration struct {
	Set bool
	D   time.Duration
	Raw string
}

func (d *yamlDuration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: connect_timeout must be a duration such as 10s", n.Line)
	}
	v, err := parseTimeout(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: connect_timeout: %v", n.Line, err)
	}
	*d = yamlDuration{Set: true, D: v, Raw: n.Value}
	return nil
}

// parseTimeout reads "10s", "1m30s" or a bare number of seconds ("10", "2.5").
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf("%q is not a duration (examples: 10s, 1m, 30)", s)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be greater than zero", s)
	}
	return d, nil
}

// fileState is the located config file and the selected context.
type fileState struct {
	path      Value
	found     bool
	file      *File
	ctxName   Value
	ctx       *Context // selected context, nil if none
	ctxSource string   // "config file P (context N)"
	topSource string   // "config file P"
}

func loadFile(in Inputs) (*fileState, error) {
	st := &fileState{}
	explicit := true
	switch {
	case in.ConfigFlag != "":
		st.path = Value{Value: in.ConfigFlag, Source: "flag --config"}
	case envSet(in, "DAGCTL_CONFIG"):
		v, _ := in.Getenv("DAGCTL_CONFIG")
		st.path = Value{Value: v, Source: "env DAGCTL_CONFIG"}
	default:
		explicit = false
		dir := ""
		if x, ok := in.Getenv("XDG_CONFIG_HOME"); ok && x != "" && filepath.IsAbs(x) {
			dir = x
			st.path.Source = "$XDG_CONFIG_HOME/dagctl/config.yaml"
		} else if in.HomeDir != "" {
			dir = filepath.Join(in.HomeDir, ".config")
			st.path.Source = "~/.config/dagctl/config.yaml"
		}
		if dir == "" {
			st.path.Source = "none (no home directory)"
			return st, st.selectContext(in)
		}
		st.path.Value = filepath.Join(dir, "dagctl", "config.yaml")
	}
	st.topSource = "config file " + st.path.Value
	data, err := os.ReadFile(st.path.Value)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		st.path.Source += " (not found)"
		return st, st.selectContext(in)
	case errors.Is(err, fs.ErrNotExist):
		return nil, invalidf("config file %s (%s) does not exist", st.path.Value, st.path.Source)
	case err != nil:
		return nil, fmt.Errorf("read config file: %w", err)
	}
	st.found = true
	f := &File{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return nil, invalidf("config file %s: %s", st.path.Value, yamlErrorText(err))
	}
	st.file = f
	return st, st.selectContext(in)
}

func (st *fileState) selectContext(in Inputs) error {
	name, source := "", ""
	switch {
	case in.ContextFlag != "":
		name, source = in.ContextFlag, "flag --context"
	case envSet(in, "DAGCTL_CONTEXT"):
		name, _ = in.Getenv("DAGCTL_CONTEXT")
		source = "env DAGCTL_CONTEXT"
	case st.file != nil && st.file.CurrentContext != "":
		name, source = st.file.CurrentContext, "config file current-context"
	default:
		st.ctxName = Value{Source: "none"}
		return nil
	}
	st.ctxName = Value{Value: name, Source: source}
	if st.file == nil {
		return invalidf("context %q (%s) not found: there is no config file at %s", name, source, st.path.Value)
	}
	c, ok := st.file.Contexts[name]
	if !ok {
		known := make([]string, 0, len(st.file.Contexts))
		for k := range st.file.Contexts {
			known = append(known, k)
		}
		sort.Strings(known)
		list := "none are defined"
		if len(known) > 0 {
			list = "known contexts: " + strings.Join(known, ", ")
		}
		return invalidf("context %q (%s) not found in config file %s; %s", name, source, st.path.Value, list)
	}
	if c == nil {
		c = &Context{}
	}
	st.ctx = c
	st.ctxSource = fmt.Sprintf("config file %s (context %s)", st.path.Value, name)
	return nil
}

// pick returns the first set value of a key: selected context, then top level.
func (st *fileState) pick(get func(*Context) string) (Value, bool) {
	if st.ctx != nil {
		if v := get(st.ctx); v != "" {
			return Value{Value: v, Source: st.ctxSource}, true
		}
	}
	if st.file != nil {
		if v := get(&st.file.Context); v != "" {
			return Value{Value: v, Source: st.topSource}, true
		}
	}
	return Value{}, false
}

func (st *fileState) timeout() (time.Duration, Value, bool) {
	if st.ctx != nil && st.ctx.ConnectTimeout.Set {
		return st.ctx.ConnectTimeout.D, Value{Source: st.ctxSource}, true
	}
	if st.file != nil && st.file.ConnectTimeout.Set {
		return st.file.ConnectTimeout.D, Value{Source: st.topSource}, true
	}
	return 0, Value{}, false
}

func envSet(in Inputs, name string) bool {
	v, ok := in.Getenv(name)
	return ok && v != ""
}

var yamlQuoted = regexp.MustCompile("`[^`]*`")

// yamlErrorText is a yaml.v3 error on one line, without the values it quotes
// ("cannot unmarshal !!str `postgres...`"): a value may be a URL with a password.
func yamlErrorText(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, yamlQuoted.ReplaceAllString(l, "a value"))
		}
	}
	return strings.Join(parts, "; ")
}
