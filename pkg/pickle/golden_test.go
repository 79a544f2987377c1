package pickle

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

type goldenCase struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	JSON   string `json:"json"`
	Pickle string `json:"pickle"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	Error  string `json:"error"`
}

// readGolden loads testdata/golden.jsonl.gz, written by testdata/generate.py
// with CPython 3.11's C pickler.
func readGolden(t *testing.T) []goldenCase {
	t.Helper()
	f, err := os.Open("testdata/golden.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c goldenCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 150 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	return cases
}

func TestGoldenDumps(t *testing.T) {
	n := 0
	for _, c := range readGolden(t) {
		if c.Kind != "dumps" {
			continue
		}
		n++
		got, err := DumpsJSON([]byte(c.JSON))
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if c.Pickle != "" {
			if h := hex.EncodeToString(got); h != c.Pickle {
				t.Errorf("%s:\n got %s\nwant %s", c.Name, h, c.Pickle)
			}
			continue
		}
		sum := sha256.Sum256(got)
		if hex.EncodeToString(sum[:]) != c.SHA256 || len(got) != c.Size {
			t.Errorf("%s: %d bytes, sha256 %x; want %d bytes, %s", c.Name, len(got), sum, c.Size, c.SHA256)
		}
	}
	if n < 100 {
		t.Fatalf("only %d dumps cases", n)
	}
}

func TestGoldenLoads(t *testing.T) {
	n := 0
	for _, c := range readGolden(t) {
		if c.Kind != "loads" {
			continue
		}
		n++
		b, err := hex.DecodeString(c.Pickle)
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadsJSON(b)
		switch c.Error {
		case "":
			if err != nil || string(got) != c.JSON {
				t.Errorf("%s:\n got %s, %v\nwant %s", c.Name, trim(got), err, trim([]byte(c.JSON)))
			}
		case "unsupported":
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Errorf("%s: got %s, %v; want an UnsupportedError", c.Name, trim(got), err)
			}
		case "malformed":
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: got %s, %v; want ErrMalformed", c.Name, trim(got), err)
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d loads cases", n)
	}
}

func trim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
