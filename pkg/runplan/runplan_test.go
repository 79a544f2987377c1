package runplan

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/pkg/schedule"
)

func day(d int) schedule.DagRunInfo {
	t := time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC)
	return schedule.DagRunInfo{LogicalDate: t, DataIntervalStart: t, DataIntervalEnd: t.AddDate(0, 0, 1), RunAfter: t.AddDate(0, 0, 1)}
}

func TestMakeSkipsExistingAndNumbersInDateOrder(t *testing.T) {
	in := Input{
		Infos:       []schedule.DagRunInfo{day(1), day(2), day(3), day(4)},
		Existing:    map[int64]string{day(2).LogicalDate.UnixMicro(): "scheduled__2024-01-02T00:00:00+00:00"},
		Prefix:      "nightly",
		NextCounter: 5,
		Limit:       500,
	}
	p, err := Make(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"nightly_0000005_2024-01-01T00:00:00+00:00",
		"nightly_0000006_2024-01-03T00:00:00+00:00",
		"nightly_0000007_2024-01-04T00:00:00+00:00",
	}
	if len(p.Create) != len(want) {
		t.Fatalf("created %d runs, want %d", len(p.Create), len(want))
	}
	for i, w := range want {
		if p.Create[i].RunID != w {
			t.Errorf("run %d = %q, want %q", i, p.Create[i].RunID, w)
		}
	}
	if len(p.Skipped) != 1 || p.Skipped[0].RunID != "scheduled__2024-01-02T00:00:00+00:00" {
		t.Errorf("skipped = %+v", p.Skipped)
	}
}

func TestMakeLimit(t *testing.T) {
	in := Input{Infos: []schedule.DagRunInfo{day(1), day(2), day(3)}, Prefix: "p", NextCounter: 1, Limit: 2}
	_, err := Make(in)
	var le *LimitError
	if !errors.As(err, &le) || le.Count != 3 || le.Limit != 2 {
		t.Fatalf("err = %v, want LimitError 3/2", err)
	}
	if !strings.Contains(err.Error(), "3 dag runs would be created, which exceeds the limit of 2") {
		t.Errorf("message = %q", err)
	}
	in.Partial = true
	p, err := Make(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Create) != 2 || p.Remaining != 1 || !p.Create[1].Info.LogicalDate.Equal(day(2).LogicalDate) {
		t.Errorf("partial plan = %+v", p)
	}
}

func TestMakeExistingDoNotCountAgainstLimit(t *testing.T) {
	in := Input{
		Infos:       []schedule.DagRunInfo{day(1), day(2), day(3)},
		Existing:    map[int64]string{day(1).LogicalDate.UnixMicro(): "x"},
		Prefix:      "p",
		NextCounter: 1,
		Limit:       2,
	}
	p, err := Make(in)
	if err != nil || len(p.Create) != 2 || len(p.Skipped) != 1 {
		t.Fatalf("plan = %+v, err = %v", p, err)
	}
}

func TestMakeRejectsOverlongRunID(t *testing.T) {
	in := Input{Infos: []schedule.DagRunInfo{day(1)}, Prefix: strings.Repeat("a", 230), NextCounter: 1, Limit: 1}
	if _, err := Make(in); err == nil || !strings.Contains(err.Error(), "250") {
		t.Fatalf("err = %v, want length error", err)
	}
}

func TestMakeEmpty(t *testing.T) {
	p, err := Make(Input{Prefix: "p", NextCounter: 1, Limit: 10})
	if err != nil || p.Create == nil || len(p.Create) != 0 || p.Skipped == nil {
		t.Fatalf("plan = %+v, err = %v", p, err)
	}
}
