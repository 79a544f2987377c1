package cmdutil

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"

	"github.com/dagctl/dagctl/internal/apperr"
)

// ReadConf reads --conf: inline JSON or @file. It must be a JSON object; the
// original text is kept so that key order survives into the stored conf.
func ReadConf(flag, value string) (raw []byte, obj map[string]any, err error) {
	if value == "" {
		return []byte("{}"), map[string]any{}, nil
	}
	text := []byte(value)
	if strings.HasPrefix(value, "@") {
		text, err = os.ReadFile(value[1:])
		if err != nil {
			return nil, nil, apperr.Invalid("%s: cannot read %q: %v", flag, value[1:], unwrapPathError(err))
		}
	}
	text = bytes.TrimSpace(text)
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, apperr.Invalid("%s: not valid JSON (%v); give a JSON object like '{\"key\": \"value\"}' or @file.json", flag, err)
	}
	if dec.More() {
		return nil, nil, apperr.Invalid("%s: trailing data after the JSON object", flag)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, apperr.Invalid("%s: must be a JSON object like '{\"key\": \"value\"}'", flag)
	}
	return text, m, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
