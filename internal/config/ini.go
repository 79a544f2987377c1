package config

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// iniFile is the part of Python's configparser.ConfigParser that Airflow's
// airflow.cfg relies on (AirflowConfigParser subclasses ConfigParser with its
// defaults, airflow/configuration.py):
//   - "[section]" headers; "key = value" or "key: value" (the first '=' or
//     ':' splits), white space around both stripped;
//   - whole-line comments starting with '#' or ';' (no inline comments);
//   - indented lines continue the previous value (joined with "\n");
//   - a [DEFAULT] section whose options every section inherits;
//   - names are case-sensitive: Airflow's optionxform keeps the case and its
//     get() looks up lower-case names;
//   - duplicate sections or options are errors (strict=True);
//   - values are read through BasicInterpolation: "%%" is a literal '%',
//     "%(name)s" is another option of the same section (or [DEFAULT]).
type iniFile struct {
	path     string
	sections map[string]map[string]string
	defaults map[string]string
}

var (
	iniSection = regexp.MustCompile(`^\[(?P<header>.+)\]`)
	iniOption  = regexp.MustCompile(`^(?P<option>.*?)\s*[=:]\s*(?P<value>.*)$`)
)

func parseINI(path string, r io.Reader) (*iniFile, error) {
	f := &iniFile{path: path, sections: map[string]map[string]string{}, defaults: map[string]string{}}
	var (
		cur       map[string]string // current section's options
		curName   string
		key       string // option being read, for continuation lines
		keyIndent int
		blankRun  int
		lineNo    int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		stripped := strings.TrimSpace(line)
		if strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";") {
			continue
		}
		if stripped == "" {
			if key != "" {
				blankRun++ // kept only if a continuation line follows
			}
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if key != "" && cur != nil && indent > keyIndent {
			cur[key] += strings.Repeat("\n", blankRun) + "\n" + stripped
			blankRun = 0
			continue
		}
		blankRun = 0
		key = ""
		if m := iniSection.FindStringSubmatch(stripped); m != nil && indent == 0 {
			curName = m[1]
			if curName == "DEFAULT" {
				cur = f.defaults
				continue
			}
			if _, dup := f.sections[curName]; dup {
				return nil, invalidf("%s:%d: section [%s] appears twice", path, lineNo, curName)
			}
			cur = map[string]string{}
			f.sections[curName] = cur
			continue
		}
		if cur == nil {
			return nil, invalidf("%s:%d: option outside any [section]", path, lineNo)
		}
		m := iniOption.FindStringSubmatch(stripped)
		if m == nil || m[1] == "" {
			return nil, invalidf("%s:%d: expected \"key = value\" in section [%s]", path, lineNo, curName)
		}
		if _, dup := cur[m[1]]; dup {
			return nil, invalidf("%s:%d: option %q in section [%s] appears twice", path, lineNo, m[1], curName)
		}
		cur[m[1]] = m[2]
		key, keyIndent = m[1], indent
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return f, nil
}

// has reports whether section has option, counting [DEFAULT], as
// ConfigParser.has_option does (false when the section itself is missing).
func (f *iniFile) has(section, option string) bool {
	if f == nil {
		return false
	}
	s, ok := f.sections[section]
	if !ok {
		return false
	}
	if _, ok := s[option]; ok {
		return true
	}
	_, ok = f.defaults[option]
	return ok
}

func (f *iniFile) raw(section, option string) (string, bool) {
	if s, ok := f.sections[section]; ok {
		if v, ok := s[option]; ok {
			return v, true
		}
		if v, ok := f.defaults[option]; ok {
			return v, true
		}
	}
	return "", false
}

// get returns the interpolated value; ok is false when the option is absent.
func (f *iniFile) get(section, option string) (string, bool, error) {
	if !f.has(section, option) {
		return "", false, nil
	}
	v, _ := f.raw(section, option)
	out, err := f.interpolate(section, option, v, 1)
	if err != nil {
		return "", true, err
	}
	return out, true, nil
}

// maxInterpolationDepth is configparser's MAX_INTERPOLATION_DEPTH.
const maxInterpolationDepth = 10

func (f *iniFile) interpolate(section, option, v string, depth int) (string, error) {
	if depth > maxInterpolationDepth {
		return "", invalidf("%s: [%s] %s: interpolation nested too deeply", f.path, section, option)
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(v, '%')
		if i < 0 {
			b.WriteString(v)
			return b.String(), nil
		}
		b.WriteString(v[:i])
		v = v[i:]
		switch {
		case strings.HasPrefix(v, "%%"):
			b.WriteByte('%')
			v = v[2:]
		case strings.HasPrefix(v, "%("):
			end := strings.IndexByte(v, ')')
			if end < 3 || !strings.HasPrefix(v[end:], ")s") {
				return "", invalidf("%s: [%s] %s: bad interpolation syntax (write %%%% for a literal %%)", f.path, section, option)
			}
			name := v[2:end]
			ref, ok := f.raw(section, name)
			if !ok {
				return "", invalidf("%s: [%s] %s: interpolation refers to missing option %q", f.path, section, option, name)
			}
			if strings.Contains(ref, "%") {
				var err error
				if ref, err = f.interpolate(section, name, ref, depth+1); err != nil {
					return "", err
				}
			}
			b.WriteString(ref)
			v = v[end+2:]
		default:
			// Do not echo the value: it may be a URL with a password.
			return "", invalidf("%s: [%s] %s: '%%' must be followed by '%%' or '(' (write %%%% for a literal %%, e.g. in a percent-encoded password)", f.path, section, option)
		}
	}
}
