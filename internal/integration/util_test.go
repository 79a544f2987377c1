package integration

import (
	"bytes"
	"encoding/json"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// text renders a scanned value for comparisons (booleans as true/false or 1/0, bytes as text).
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return q("%v", x)
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
