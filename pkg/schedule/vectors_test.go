package schedule

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

type vectorInfo struct {
	LogicalDate       string `json:"logical_date"`
	DataIntervalStart string `json:"data_interval_start"`
	DataIntervalEnd   string `json:"data_interval_end"`
	RunAfter          string `json:"run_after"`
}

type vector struct {
	ID             string          `json:"id"`
	Timetable      json.RawMessage `json:"timetable"`
	Start          string          `json:"start"`
	End            string          `json:"end"`
	Infos          []vectorInfo    `json:"infos"`
	ManualInterval struct {
		Start string `json:"start"`
		End   string `json:"end"`
		Error string `json:"error"`
	} `json:"manual_interval"`
	Truncated bool   `json:"truncated"`
	IterError string `json:"iter_error"`
}

func mustTime(t *testing.T, id, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s: bad time %q: %v", id, s, err)
	}
	return v
}

func fmtUTC(v time.Time) string { return v.UTC().Format("2006-01-02T15:04:05.999999Z07:00") }

// TestTimetableVectors replays every line Airflow computed (testdata/timetable-vectors.jsonl).
func TestTimetableVectors(t *testing.T) {
	f, err := os.Open("testdata/timetable-vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n, failed := 0, 0
	for sc.Scan() {
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		if msg := checkVector(t, &v); msg != "" {
			failed++
			t.Errorf("%s: %s", v.ID, msg)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 400 {
		t.Errorf("read %d vectors, want 400", n)
	}
	t.Logf("%d/%d vectors agree", n-failed, n)
}

func checkVector(t *testing.T, v *vector) string {
	tt, err := Decode(v.Timetable)
	if err != nil {
		return "decode: " + err.Error()
	}
	start, end := mustTime(t, v.ID, v.Start), mustTime(t, v.ID, v.End)
	want := v.Infos
	var got []DagRunInfo
	limit := -1
	if v.Truncated {
		limit = len(want)
	}
	iterErr := tt.Each(start, end, func(i DagRunInfo) bool {
		got = append(got, i)
		return limit < 0 || len(got) < limit
	})
	if v.IterError != "" {
		if iterErr == nil {
			return "expected error " + v.IterError + ", got none"
		}
		if !strings.HasSuffix(v.IterError, iterErr.Error()) {
			return "error " + iterErr.Error() + ", want " + v.IterError
		}
	} else if iterErr != nil {
		return "unexpected error: " + iterErr.Error()
	}
	if len(got) != len(want) {
		msg := "got " + itoa(len(got)) + " infos, want " + itoa(len(want))
		for i := 0; i < len(got) && i < len(want); i++ {
			if fmtUTC(got[i].LogicalDate) != fmtUTC(mustTime(t, v.ID, want[i].LogicalDate)) {
				msg += "; first diff at " + itoa(i) + ": " + fmtUTC(got[i].LogicalDate) + " vs " + want[i].LogicalDate
				break
			}
		}
		return msg
	}
	for i, w := range want {
		g := got[i]
		pairs := [][2]string{
			{"logical_date", w.LogicalDate}, {"data_interval_start", w.DataIntervalStart},
			{"data_interval_end", w.DataIntervalEnd}, {"run_after", w.RunAfter},
		}
		gv := []time.Time{g.LogicalDate, g.DataIntervalStart, g.DataIntervalEnd, g.RunAfter}
		for k, p := range pairs {
			if !gv[k].Equal(mustTime(t, v.ID, p[1])) {
				return "info " + itoa(i) + " " + p[0] + ": got " + fmtUTC(gv[k]) + ", want " + p[1]
			}
		}
	}
	mi, err := tt.ManualInterval(start)
	if v.ManualInterval.Error != "" {
		if err == nil {
			return "manual interval: expected error " + v.ManualInterval.Error
		}
	} else {
		if err != nil {
			return "manual interval: " + err.Error()
		}
		if !mi.Start.Equal(mustTime(t, v.ID, v.ManualInterval.Start)) || !mi.End.Equal(mustTime(t, v.ID, v.ManualInterval.End)) {
			return "manual interval: got " + fmtUTC(mi.Start) + "/" + fmtUTC(mi.End) + ", want " + v.ManualInterval.Start + "/" + v.ManualInterval.End
		}
	}
	return ""
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
