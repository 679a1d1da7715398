package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client is the harness's side of a worker's control endpoint.
type Client struct {
	// Base is http://HOST:PORT of the worker (a port-forward on Kubernetes).
	Base string
	HTTP *http.Client
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Clock measures the worker's clock against this process's over rounds
// round trips and keeps the tightest: offset = worker time minus the
// midpoint of the round trip, exact within half the round trip.
func (c *Client) Clock(ctx context.Context, rounds int) (ClockSample, error) {
	best := ClockSample{Bound: time.Duration(1<<63 - 1)}
	for range rounds {
		t0 := time.Now()
		var reply clockReply
		if err := c.do(ctx, http.MethodGet, "/clock", nil, &reply); err != nil {
			return ClockSample{}, err
		}
		t1 := time.Now()
		mid := t0.Add(t1.Sub(t0) / 2)
		s := ClockSample{Offset: time.Unix(0, reply.UnixNs).Sub(mid), Bound: t1.Sub(t0) / 2}
		if s.Bound < best.Bound {
			best = s
		}
	}
	return best, nil
}

// Start tells the worker when run-clock zero is, in its own clock.
func (c *Client) Start(ctx context.Context, zero time.Time) error {
	return c.do(ctx, http.MethodPost, "/start", startRequest{StartUnixNs: zero.UnixNano()}, nil)
}

// Result waits for the worker's record.
func (c *Client) Result(ctx context.Context) (*Report, error) {
	var r Report
	if err := c.do(ctx, http.MethodGet, "/result", nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Intervals returns the worker's closed intervals numbered from since on,
// for the harness's live views.
func (c *Client) Intervals(ctx context.Context, since int64) ([]LiveInterval, error) {
	var out []LiveInterval
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/intervals?since=%d", since), nil, &out)
	return out, err
}

// Exit lets the worker's process end.
func (c *Client) Exit(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/exit", nil, nil)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return fmt.Errorf("worker %s%s: %w", c.Base, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("worker %s%s: %s: %s", c.Base, path, resp.Status, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("worker %s%s: %w", c.Base, path, err)
	}
	return nil
}
