package pickle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// randomJSON builds JSON text that exercises the pickler: shared keys,
// singleton strings, every integer width, floats, nesting and batches.
func randomJSON(r *rand.Rand, depth int) string {
	strs := []string{"", "a", "é", "ab", "key", "\\u00ff", "\\u0100", "\\ud83d\\ude00", "\\ud800", "😀", "x y", "\\n\\t\\\"", "\\u0000"}
	str := func() string {
		if r.Intn(4) == 0 {
			return `"` + strings.Repeat("s", r.Intn(300)) + `"`
		}
		return `"` + strs[r.Intn(len(strs))] + `"`
	}
	k := r.Intn(12)
	if depth > 3 && k >= 9 {
		k = r.Intn(9)
	}
	switch k {
	case 0:
		return []string{"null", "true", "false"}[r.Intn(3)]
	case 1, 2:
		widths := []int64{1, 1 << 8, 1 << 16, 1 << 31, 1 << 40, 1 << 62}
		n := r.Int63n(widths[r.Intn(len(widths))])
		if r.Intn(2) == 0 {
			n = -n
		}
		return strconv.FormatInt(n, 10)
	case 3:
		return strings.Repeat("9", 1+r.Intn(60))
	case 4:
		return fmt.Sprintf("%.*e", r.Intn(17), r.NormFloat64()*float64(int64(1)<<r.Intn(60)))
	case 5:
		return []string{"0.5", "-0.0", "1e300", "1e-7", "2.0", "NaN", "-Infinity"}[r.Intn(7)]
	case 6, 7, 8:
		return str()
	case 9:
		n, sub := r.Intn(5), depth+1
		if depth == 0 && r.Intn(10) == 0 {
			n, sub = 990+r.Intn(1020), 4 // batches of 1000, small items
		}
		parts := make([]string, n)
		for i := range parts {
			parts[i] = randomJSON(r, sub)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		n, sub := r.Intn(6), depth+1
		if depth == 0 && r.Intn(10) == 0 {
			n, sub = 990+r.Intn(1020), 4
		}
		parts := make([]string, n)
		for i := range parts {
			key := str()
			if r.Intn(3) == 0 {
				key = fmt.Sprintf(`"k%d"`, r.Intn(n+1))
			}
			parts[i] = key + ":" + randomJSON(r, sub)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
}

const pythonScript = `
import base64, json, math, pickle, sys

def norm(v):
    if isinstance(v, float):
        if math.isnan(v): return "NaN"
        if math.isinf(v): return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, list): return [norm(x) for x in v]
    if isinstance(v, dict): return {k: norm(x) for k, x in v.items()}
    return v

for line in sys.stdin:
    v = json.loads(line)
    out = [pickle.dumps(v, protocol=5).hex()]
    for proto in range(5):
        out.append(pickle.dumps(v, protocol=proto).hex())
    out.append(json.dumps(norm(v), ensure_ascii=True))
    print(json.dumps(out))
`

// TestAgainstPython compares Dumps with CPython's pickle.dumps and Loads with
// pickles CPython writes at every protocol, for random JSON documents.
func TestAgainstPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH; the golden vectors still cover Dumps and Loads")
	}
	r := rand.New(rand.NewSource(1))
	var docs []string
	for i := 0; i < 400; i++ {
		docs = append(docs, randomJSON(r, 0))
	}
	cmd := exec.Command(py, "-c", pythonScript)
	cmd.Stdin = strings.NewReader(strings.Join(docs, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(docs) {
		t.Fatalf("python3 answered %d lines for %d documents", len(lines), len(docs))
	}
	for i, doc := range docs {
		var want []string
		if err := json.Unmarshal([]byte(lines[i]), &want); err != nil {
			t.Fatal(err)
		}
		got, err := DumpsJSON([]byte(doc))
		if err != nil {
			t.Errorf("doc %d %.200s: %v", i, doc, err)
			continue
		}
		if h := hex.EncodeToString(got); h != want[0] {
			t.Errorf("doc %d %.200s:\n got %.400s\nwant %.400s", i, doc, h, want[0])
			continue
		}
		// Loads of every protocol must agree with Python's view of the value.
		for proto, h := range want[:5+1][1:] {
			b, _ := hex.DecodeString(h)
			gotJSON, err := LoadsJSON(b)
			if err != nil {
				t.Errorf("doc %d protocol %d: %v", i, proto, err)
				continue
			}
			if !sameJSON(t, gotJSON, []byte(want[6])) {
				t.Errorf("doc %d protocol %d:\n got %.300s\nwant %.300s", i, proto, gotJSON, want[6])
			}
		}
		back, err := LoadsJSON(got)
		if err != nil || !sameJSON(t, back, []byte(want[6])) {
			t.Errorf("doc %d: LoadsJSON(Dumps) = %.300s, %v", i, back, err)
		}
	}
}

// sameJSON compares JSON texts token by token (key order included) after
// undoing escapes, so "\u00e9" equals "é".
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	ta, errA := tokens(a)
	tb, errB := tokens(b)
	if errA != nil || errB != nil {
		t.Fatalf("bad JSON: %v %v", errA, errB)
	}
	return ta == tb
}

func tokens(b []byte) (string, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var sb strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return sb.String(), nil
			}
			return "", err
		}
		fmt.Fprintf(&sb, "%T:%v|", tok, tok)
	}
}
