package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// File is dagctl's own config file, kubectl-like: named contexts, each
// pointing at one Airflow metadata database, and a current context.
//
// Where it is: --config FILE, else $DAGCTL_CONFIG, else
// $XDG_CONFIG_HOME/dagctl/config.yaml, else ~/.config/dagctl/config.yaml. A
// missing file at the default place is fine; a missing --config or
// $DAGCTL_CONFIG file is an error. The extension picks the format: .json is
// JSON, .toml is TOML, anything else (.yaml, .yml) is YAML.
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
//	    sslmode: verify-full         # libpq TLS settings: sslmode, sslrootcert,
//	    sslrootcert: ~/ca.pem        #   sslcert, sslkey, sslpassword
//	  local:
//	    db: "sqlite:////home/alice/airflow/airflow.db"
//
// A key set in the selected context wins over the same key at the top level.
// Unknown keys are errors, so a typo does not silently point dagctl
// elsewhere. The file is read with viper, which lowercases every key: keys
// and context names are case-insensitive ("Prod" and "prod" are the same
// context, whether named in the file, by --context, DAGCTL_CONTEXT or
// current-context). The file may hold passwords: keep it private (chmod 600).
type File struct {
	CurrentContext string              `mapstructure:"current-context"`
	Contexts       map[string]*Context `mapstructure:"contexts"`
	Context        `mapstructure:",squash"`
}

// Context is one named target. At the top level of File the same keys act
// as defaults.
type Context struct {
	DB             string       `mapstructure:"db"`
	User           string       `mapstructure:"user"`
	RBAC           string       `mapstructure:"rbac"`
	Schema         string       `mapstructure:"schema"`
	ConnectTimeout fileDuration `mapstructure:"connect_timeout"`
	// LockTimeout and StatementTimeout bound lock waits and statements of
	// writes ("0" turns them off).
	LockTimeout      fileLimit `mapstructure:"lock_timeout"`
	StatementTimeout fileLimit `mapstructure:"statement_timeout"`

	// libpq's TLS settings, added to the database URL's query when the URL
	// does not set them (the URL's own query wins; see tlsKeys). For
	// PostgreSQL only; sslpassword is masked in `config view`.
	SSLMode     string `mapstructure:"sslmode"`
	SSLRootCert string `mapstructure:"sslrootcert"`
	SSLCert     string `mapstructure:"sslcert"`
	SSLKey      string `mapstructure:"sslkey"`
	SSLPassword string `mapstructure:"sslpassword"`
}

// fileLimit is a fileDuration that may be zero (off).
type fileLimit fileDuration

// fileDuration accepts "15s" or a number of seconds (see fileDecodeHook).
type fileDuration struct {
	Set bool
	D   time.Duration
	Raw string
}

var (
	fileDurationType = reflect.TypeOf(fileDuration{})
	fileLimitType    = reflect.TypeOf(fileLimit{})
	stringType       = reflect.TypeOf("")
)

// fileDecodeHook turns what the YAML, JSON or TOML parser produced into the
// field types of File: "15s" or a number of seconds into a fileDuration, and
// a number or boolean into a string field (`user: 123` is the user "123", as
// when the file was decoded by yaml.v3). Anything else is left to
// mapstructure, which refuses it.
func fileDecodeHook(from, to reflect.Type, data any) (any, error) {
	switch to {
	case fileDurationType, fileLimitType:
		var raw string
		switch v := data.(type) {
		case string:
			raw = v
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			raw = fmt.Sprint(v)
		case float32:
			raw = strconv.FormatFloat(float64(v), 'f', -1, 32)
		case float64:
			raw = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return nil, errors.New("must be a duration such as 10s")
		}
		if to == fileLimitType {
			d, err := parseLimit(raw)
			if err != nil {
				return nil, err
			}
			return fileLimit{Set: true, D: d, Raw: raw}, nil
		}
		d, err := parseTimeout(raw)
		if err != nil {
			return nil, err
		}
		return fileDuration{Set: true, D: d, Raw: raw}, nil
	case stringType:
		switch v := data.(type) {
		case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			return fmt.Sprint(v), nil
		case float32:
			return strconv.FormatFloat(float64(v), 'f', -1, 32), nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		}
	}
	return data, nil
}

// configType is viper's name for the format of the config file at path.
func configType(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".toml":
		return "toml"
	default:
		return "yaml"
	}
}

// keyDelim replaces viper's "." between nested keys, so that a context
// named "prod.eu" stays one context instead of becoming prod → eu.
const keyDelim = "\x00"

// decodeFile parses data (the contents of the config file at path) with a
// private viper instance: viper only reads and decodes here, precedence is
// dagctl's own (see Load). Error texts never quote a value from the file.
func decodeFile(path string, data []byte) (*File, error) {
	f := &File{}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil // an empty file sets nothing, in every format
	}
	v := viper.NewWithOptions(viper.KeyDelimiter(keyDelim), viper.WithDecoderRegistry(caseCheckingDecoders{viper.NewCodecRegistry()}))
	v.SetConfigType(configType(path))
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		msg := err.Error()
		var pe viper.ConfigParseError
		if errors.As(err, &pe) {
			msg = pe.Unwrap().Error()
		}
		return nil, invalidf("config file %s: %s", path, parseErrorText(msg))
	}
	hook := viper.DecodeHook(mapstructure.DecodeHookFuncType(fileDecodeHook))
	strict := func(c *mapstructure.DecoderConfig) { c.WeaklyTypedInput = false }
	if err := v.UnmarshalExact(f, hook, strict); err != nil {
		return nil, invalidf("config file %s: %s", path, decodeErrorText(err))
	}
	// viper drops keys whose value is null or an empty mapping, so
	// "contexts: {local: }" would lose the context; it is an empty one.
	if m, ok := v.Get("contexts").(map[string]any); ok {
		for name := range m {
			if _, ok := f.Contexts[name]; !ok {
				if f.Contexts == nil {
					f.Contexts = map[string]*Context{}
				}
				f.Contexts[name] = &Context{}
			}
		}
	}
	return f, nil
}

// caseCheckingDecoders wraps viper's parsers to refuse two keys of one
// mapping that differ only in case ("Prod" and "prod"): viper lowercases keys
// and would silently keep one of them.
type caseCheckingDecoders struct{ viper.DecoderRegistry }

func (r caseCheckingDecoders) Decoder(format string) (viper.Decoder, error) {
	d, err := r.DecoderRegistry.Decoder(format)
	if err != nil {
		return nil, err
	}
	return caseCheckingDecoder{d}, nil
}

type caseCheckingDecoder struct{ viper.Decoder }

func (d caseCheckingDecoder) Decode(b []byte, v map[string]any) error {
	if err := d.Decoder.Decode(b, v); err != nil {
		return err
	}
	return sameKeyInOtherCase("", v)
}

func sameKeyInOtherCase(path string, m map[string]any) error {
	seen := make(map[string]string, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same error every time
	for _, k := range keys {
		lower := strings.ToLower(k)
		if other, ok := seen[lower]; ok {
			return fmt.Errorf("%s%q and %q are the same key (keys and context names are case-insensitive)", path, other, k)
		}
		seen[lower] = k
		if sub, ok := m[k].(map[string]any); ok {
			if err := sameKeyInOtherCase(path+k+": ", sub); err != nil {
				return err
			}
		}
	}
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

// parseLimit reads a timeout like parseTimeout, where "0" turns it off.
func parseLimit(s string) (time.Duration, error) {
	if t := strings.TrimSpace(s); t == "0" || t == "0s" {
		return 0, nil
	}
	return parseTimeout(s)
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
	f, err := decodeFile(st.path.Value, data)
	if err != nil {
		return nil, err
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
	// viper lowercased the names in the file; match the name asked for the
	// same way.
	key := strings.ToLower(name)
	c, ok := st.file.Contexts[key]
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
	st.ctxSource = fmt.Sprintf("config file %s (context %s)", st.path.Value, key)
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

// limit returns a lock or statement timeout from the context, else the top level.
func (st *fileState) limit(get func(*Context) fileLimit) (time.Duration, Value, bool) {
	if st.ctx != nil && get(st.ctx).Set {
		return get(st.ctx).D, Value{Source: st.ctxSource}, true
	}
	if st.file != nil && get(&st.file.Context).Set {
		return get(&st.file.Context).D, Value{Source: st.topSource}, true
	}
	return 0, Value{}, false
}

func envSet(in Inputs, name string) bool {
	v, ok := in.Getenv(name)
	return ok && v != ""
}

var quotedValue = regexp.MustCompile("`[^`]*`")

// parseErrorText is a YAML, JSON or TOML syntax error on one line, without
// the values a YAML error quotes ("cannot unmarshal !!str `postgres...`"): a
// value may be a URL with a password.
func parseErrorText(msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, quotedValue.ReplaceAllString(l, "a value"))
		}
	}
	return strings.Join(parts, "; ")
}

// decodeErrorText is what UnmarshalExact refused, one problem per clause,
// each naming the key ("unknown key dbb", "contexts[prod].connect_timeout:
// ..."). mapstructure's own messages name keys and types, never values.
func decodeErrorText(err error) string {
	var parts []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		de, ok := err.(*mapstructure.DecodeError)
		if !ok {
			if w := errors.Unwrap(err); w != nil {
				walk(w)
				return
			}
			parts = append(parts, parseErrorText(err.Error()))
			return
		}
		msg := de.Unwrap().Error()
		if keys, ok := strings.CutPrefix(msg, "has invalid keys: "); ok {
			word := "key"
			if strings.Contains(keys, ", ") {
				word = "keys"
			}
			msg = "unknown " + word + " " + keys
			if de.Name() != "" {
				msg = de.Name() + ": " + msg
			}
			parts = append(parts, msg)
			return
		}
		parts = append(parts, de.Name()+": "+parseErrorText(msg))
	}
	walk(err)
	return strings.Join(parts, "; ")
}
