package poll

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	died := errors.New("process exited")
	tests := []struct {
		name     string
		cond     func(n int) error // n counts calls from 1
		opts     []Option
		ctxLimit time.Duration
		want     string // empty: nil
		wantIs   error
		maxCalls int
	}{
		{"holds at once", func(int) error { return nil }, nil, 0, "", nil, 1},
		{"holds on the third call", func(n int) error {
			if n < 3 {
				return errors.New("not yet")
			}
			return nil
		}, []Option{Every(time.Millisecond)}, 0, "", nil, 3},
		{"times out naming what and why", func(int) error { return errors.New("state R") },
			[]Option{Every(5 * time.Millisecond), Within(30 * time.Millisecond)}, 0,
			"waiting for pid 42 stopped: timed out after 30ms (last: state R)", ErrTimeout, 0},
		{"a call the deadline cuts keeps the reason before it", func(n int) error {
			if n == 1 {
				return errors.New("state R")
			}
			time.Sleep(40 * time.Millisecond) // cut by the timeout
			return errors.New("signal: killed")
		}, []Option{Every(time.Millisecond), Within(20 * time.Millisecond)}, 0,
			"waiting for pid 42 stopped: timed out after 20ms (last: state R)", ErrTimeout, 2},
		{"stop ends at once", func(int) error { return Stop(died) }, nil, 0, "waiting for pid 42 stopped: process exited", died, 1},
		{"context ends first", func(int) error { return errors.New("state R") },
			[]Option{Every(5 * time.Millisecond), Within(time.Hour)}, 20 * time.Millisecond,
			"waiting for pid 42 stopped: context deadline exceeded (last: state R)", context.DeadlineExceeded, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.ctxLimit > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxLimit)
				defer cancel()
			}
			n := 0
			err := Until(ctx, "pid 42 stopped", func(context.Context) error { n++; return tc.cond(n) }, tc.opts...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("err = %v, want %q", err, tc.want)
			case tc.wantIs != nil && !errors.Is(err, tc.wantIs):
				t.Errorf("err %v is not %v", err, tc.wantIs)
			case tc.maxCalls > 0 && n != tc.maxCalls:
				t.Errorf("%d calls, want %d", n, tc.maxCalls)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "waiting for ") {
				t.Errorf("error does not say what it waited for: %v", err)
			}
		})
	}
}

// TestHolds: a boolean check waits like any condition, and its timeout
// still names what it waited for.
func TestHolds(t *testing.T) {
	n := 0
	if err := Until(context.Background(), "the third look", Holds(func() bool { n++; return n >= 3 }), Every(time.Millisecond)); err != nil || n != 3 {
		t.Fatalf("err %v after %d looks, want nil after 3", err, n)
	}
	err := Until(context.Background(), "never", Holds(func() bool { return false }), Every(time.Millisecond), Within(10*time.Millisecond))
	if err == nil || err.Error() != "waiting for never: timed out after 10ms (last: not yet)" {
		t.Fatalf("err %v", err)
	}
}
