package pickle

import (
	"encoding/json"
	"testing"
)

// FuzzLoads feeds arbitrary bytes to Loads: it must never panic, and what it
// accepts must come out as valid JSON that survives DumpsJSON -> LoadsJSON
// unchanged. Seeds (pickles of every protocol, hostile and broken ones) live
// in testdata/fuzz/FuzzLoads.
func FuzzLoads(f *testing.F) {
	f.Add([]byte("\x80\x05}\x94."))
	f.Add([]byte("cos\nsystem\n(S'echo hi'\ntR."))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := LoadsJSON(data)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("LoadsJSON(%q) = %s is not valid JSON", data, out)
		}
		p, err := DumpsJSON(out)
		if err != nil {
			t.Fatalf("DumpsJSON(%s): %v", out, err)
		}
		again, err := LoadsJSON(p)
		if err != nil || string(again) != string(out) {
			t.Fatalf("round trip of %s gave %s, %v", out, again, err)
		}
	})
}
