package reconcile

import (
	"testing"
	"time"
)

func TestBackoffDoublesUpToALimit(t *testing.T) {
	cases := []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{30 * time.Second, 1, 30 * time.Second},
		{30 * time.Second, 2, time.Minute},
		{30 * time.Second, 4, 4 * time.Minute},
		{30 * time.Second, 5, 5 * time.Minute},
		{30 * time.Second, 50, 5 * time.Minute},
		{10 * time.Minute, 3, 10 * time.Minute},
		{50 * time.Millisecond, 3, 200 * time.Millisecond},
		{50 * time.Millisecond, 10, 800 * time.Millisecond},
	}
	for _, c := range cases {
		if got := backoff(c.interval, c.failures); got != c.want {
			t.Errorf("backoff(%s, %d) = %s, want %s", c.interval, c.failures, got, c.want)
		}
	}
}
