package shared

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/iostreams"
	"github.com/dagctl/dagctl/internal/output"
	"github.com/dagctl/dagctl/internal/store"
)

// runs list -o json prints a page through FastRun (as --all streams it):
// the bytes must be those of the RunViews through encoding/json.
func TestFastRunJSONMatchesViews(t *testing.T) {
	t1 := time.Date(2024, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	t2 := time.Date(2023, 12, 31, 23, 59, 59, 0, time.FixedZone("X", 3600))
	bf := int64(7)
	for _, runs := range [][]store.Run{
		nil,
		{{ID: 1, DagID: "d", RunID: "manual__2024-01-01T00:00:00+00:00", State: "queued", RunType: "manual", Conf: json.RawMessage("{}")}},
		{
			{ID: 2, DagID: "d<&>", RunID: `odd,"id" with space`, State: "", RunType: "scheduled",
				LogicalDate: &t1, DataIntervalStart: &t2, DataIntervalEnd: &t1, RunAfter: &t1, QueuedAt: &t2,
				StartDate: &t1, EndDate: &t2, ExternalTrigger: true, ClearNumber: 3, BackfillID: &bf,
				Conf: json.RawMessage(`{"a": [1, {"b": "<x> & 'y'"}], "s": "q\"uote\nline", "u": "ünï ✓", "e": {}, "n": null, "f": 1.5}`)},
			{ID: 3, DagID: "ünï\u2028\t", RunID: " leading", State: "success", RunType: "backfill",
				Conf: json.RawMessage("null"), ConfError: "conf: stored value is not JSON"},
		},
	} {
		views := make([]RunView, len(runs))
		for i, r := range runs {
			views[i] = NewRunView(r)
		}
		want, err := output.MarshalJSON(views)
		if err != nil {
			t.Fatal(err)
		}
		ios, _, out, _ := iostreams.Test()
		stream := output.NewStream(ios, output.Options{Format: output.JSON}, RunHeaders)
		for i := range runs {
			if err := stream.FastItem(FastRun{Run: &runs[i]}); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("fast:\n%s\nencoding/json:\n%s", out.Bytes(), want)
		}
	}
}
