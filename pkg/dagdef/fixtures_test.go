package dagdef

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDir holds the sample-DAG rows written by real Airflow releases
// (see its README.md).
var fixtureDir = filepath.Join("..", "..", "internal", "store", "dbtest", "testdata", "fixtures")

// fixtureRow is one serialized_dag row: data is the JSON column text (nil for
// SQL NULL), compressed the decoded data_compressed bytes.
type fixtureRow struct {
	data       []byte
	compressed []byte
}

// serializedDagRows scans a pg_dump --inserts or sqlite .dump file for the
// serialized_dag INSERTs. The data column is the string that holds the JSON
// envelope (or the JSON text null); data_compressed is the bytea hex string.
func serializedDagRows(t *testing.T, name string) []fixtureRow {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []fixtureRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "INSERT INTO public.serialized_dag ") &&
			!strings.HasPrefix(line, "INSERT INTO serialized_dag ") {
			continue
		}
		fields, err := sqlValues(line)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var row fixtureRow
		for _, fv := range fields {
			if fv == nil {
				continue
			}
			s := *fv
			switch {
			case row.data == nil && strings.HasPrefix(s, "{") && strings.Contains(s, `"__version"`):
				row.data = []byte(s)
			case row.data == nil && s == "null":
				row.data = []byte(s)
			case strings.HasPrefix(s, `\x`):
				b, err := hex.DecodeString(s[2:])
				if err != nil {
					t.Fatalf("%s: bytea: %v", name, err)
				}
				row.compressed = b
			}
		}
		if row.data == nil && row.compressed == nil {
			t.Fatalf("%s: no data column in %.80s", name, line)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// sqlValues splits the VALUES (...) tuple of one INSERT line into its
// fields: quoted strings (with ” unescaped), NULL (nil) and bare tokens.
func sqlValues(line string) ([]*string, error) {
	i := strings.Index(line, "VALUES")
	if i < 0 {
		return nil, fmt.Errorf("no VALUES in %.60s", line)
	}
	i = strings.IndexByte(line[i:], '(') + i + 1
	var out []*string
	for i < len(line) {
		switch c := line[i]; {
		case c == ' ' || c == ',':
			i++
		case c == ')':
			return out, nil
		case c == '\'':
			var sb strings.Builder
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unterminated string")
				}
				if line[i] == '\'' {
					if i+1 < len(line) && line[i+1] == '\'' {
						sb.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				sb.WriteByte(line[i])
				i++
			}
			s := sb.String()
			out = append(out, &s)
		default:
			j := i
			for j < len(line) && line[j] != ',' && line[j] != ')' {
				j++
			}
			tok := strings.TrimSpace(line[i:j])
			if strings.EqualFold(tok, "NULL") {
				out = append(out, nil)
			} else {
				out = append(out, &tok)
			}
			i = j
		}
	}
	return nil, fmt.Errorf("unterminated VALUES tuple")
}

func TestSQLValues(t *testing.T) {
	got, err := sqlValues(`INSERT INTO x VALUES ('a''b', NULL, 12, '\x00ff', 'c,)d');`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a'b", "<nil>", "12", `\x00ff`, "c,)d"}
	if len(got) != len(want) {
		t.Fatalf("got %d fields, want %d", len(got), len(want))
	}
	for i, g := range got {
		s := "<nil>"
		if g != nil {
			s = *g
		}
		if s != want[i] {
			t.Errorf("field %d = %q, want %q", i, s, want[i])
		}
	}
}
