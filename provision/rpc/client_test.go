package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// registerBasics serves a few methods every transport test uses.
func registerBasics(s *spdkrpc.Server) {
	s.Register(spdkrpc.MethodSpdkGetVersion, func(_ context.Context, p json.RawMessage) (any, error) {
		if p != nil { // as SPDK: this method takes no params at all
			return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "spdk_get_version method requires no parameters")
		}
		return SpdkGetVersion{Version: "SPDK v24.01", Fields: VersionFields{Major: 24, Minor: 1}}, nil
	})
	s.Register(spdkrpc.MethodBdevGetBdevs, func(_ context.Context, p json.RawMessage) (any, error) {
		var q BdevGetBdevsParams
		if p != nil {
			if err := json.Unmarshal(p, &q); err != nil {
				return nil, spdkrpc.NewError(spdkrpc.CodeInternalError, "spdk_json_decode_object failed")
			}
		}
		if q.Name != "" && q.Name != "Malloc0" {
			return nil, spdkrpc.ErrnoError(syscall.ENODEV)
		}
		return []Bdev{{Name: "Malloc0", Aliases: []string{}, BlockSize: 512, NumBlocks: 8}}, nil
	})
	s.Register(spdkrpc.MethodBdevLvolCreate, func(context.Context, json.RawMessage) (any, error) {
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "File exists") // as rpc_bdev_lvol_create_cb
	})
	s.Register("echo", func(_ context.Context, p json.RawMessage) (any, error) {
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond) // reorder replies
		return p, nil
	})
	s.Register("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
}

func TestTransports(t *testing.T) {
	tg := startTarget(t, registerBasics)
	for name, c := range dialAll(t, tg) {
		t.Run(name, func(t *testing.T) {
			v, err := c.SpdkGetVersion(testCtx(t))
			if err != nil || v.Fields.Major != 24 {
				t.Fatalf("SpdkGetVersion = %+v, %v", v, err)
			}
			bdevs, err := c.BdevGetBdevs(testCtx(t), BdevGetBdevsParams{})
			if err != nil || len(bdevs) != 1 || bdevs[0].Name != "Malloc0" {
				t.Fatalf("BdevGetBdevs = %+v, %v", bdevs, err)
			}
		})
	}
}

func TestTargetErrors(t *testing.T) {
	tg := startTarget(t, registerBasics)
	for name, c := range dialAll(t, tg) {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				name    string
				call    func(context.Context) error
				code    int
				message string
				is      error
			}{
				{"unknown method", func(ctx context.Context) error { return c.Call(ctx, "bdev_nope", nil, nil) },
					-32601, "Method not found", ErrMethodNotFound},
				{"no such bdev", func(ctx context.Context) error {
					_, err := c.BdevGetBdevs(ctx, BdevGetBdevsParams{Name: "nope"})
					return err
				}, -19, "No such device", ErrNotFound},
				{"lvol exists", func(ctx context.Context) error {
					_, err := c.BdevLvolCreate(ctx, BdevLvolCreateParams{LvolName: "l", SizeInMiB: 1, LvsName: "lvs0"})
					return err
				}, -32602, "File exists", ErrExists},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tt.call(testCtx(t))
					var e *Error
					if !errors.As(err, &e) || e.Code != tt.code || e.Message != tt.message {
						t.Fatalf("got %v, want *Error{%d, %q}", err, tt.code, tt.message)
					}
					if !errors.Is(err, tt.is) {
						t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
					}
				})
			}
		})
	}
}

func TestErrorClasses(t *testing.T) {
	all := []error{ErrMethodNotFound, ErrInvalidParams, ErrNotFound, ErrExists, ErrNoSpace}
	tests := []struct {
		code int
		msg  string
		is   []error
	}{
		{-32601, "Method not found", []error{ErrMethodNotFound}},
		{-32602, "Invalid parameters", []error{ErrInvalidParams}},
		{-19, "No such device", []error{ErrNotFound}},
		{-2, "No such file or directory", []error{ErrNotFound}},
		{-32602, "The requested bdev does not exist.", []error{ErrInvalidParams, ErrNotFound}},
		{-32602, "Unable to find subsystem with NQN nqn.x", []error{ErrInvalidParams, ErrNotFound}},
		{-17, "File exists", []error{ErrExists}},
		{-32603, "Transport type 'TCP' already exists", []error{ErrExists}},
		{-28, "No space left on device", []error{ErrNoSpace}},
		{-32602, "No space left on device", []error{ErrInvalidParams, ErrNoSpace}},
		{-32603, "Unable to create subsystem nqn.x", nil},
		{-1, "Method may only be called after framework is initialized", nil},
	}
	for _, tt := range tests {
		err := fmt.Errorf("wrapped: %w", &Error{Method: "m", Code: tt.code, Message: tt.msg})
		for _, target := range all {
			want := false
			for _, w := range tt.is {
				want = want || w == target
			}
			if got := errors.Is(err, target); got != want {
				t.Errorf("{%d %q}: errors.Is(%v) = %v, want %v", tt.code, tt.msg, target, got, want)
			}
		}
	}
}

func TestWrongProxyPassword(t *testing.T) {
	tg := startTarget(t, registerBasics)
	c := dial(t, tg.proxyURL(proxyUser, "hunter2"))
	_, err := c.SpdkGetVersion(testCtx(t))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error should name HTTP 401 and hide the password: %v", err)
	}
	if strings.Contains(c.Addr(), "hunter2") {
		t.Errorf("Addr leaks the password: %s", c.Addr())
	}
}

func TestCancelAndTimeout(t *testing.T) {
	tg := startTarget(t, registerBasics)
	for name, c := range dialAll(t, tg, WithTimeout(100*time.Millisecond)) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			err := c.Call(ctx, "block", nil, nil)
			if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
				t.Errorf("cancelled call: %v", err)
			}

			err = c.Call(context.Background(), "block", nil, nil)
			if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("timed-out call: %v", err)
			}

			ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			err = c.Call(ctx, "block", nil, nil)
			if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
				t.Errorf("caller's deadline: %v", err)
			}

			// The connection survives calls that gave up.
			if _, err := c.SpdkGetVersion(testCtx(t)); err != nil {
				t.Errorf("call after timeouts: %v", err)
			}
		})
	}
}

func TestConcurrentCalls(t *testing.T) {
	tg := startTarget(t, registerBasics)
	for name, c := range dialAll(t, tg) {
		t.Run(name, func(t *testing.T) {
			const workers, calls = 32, 20
			var wg sync.WaitGroup
			errs := make(chan error, workers*calls)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						want := map[string]int{"w": w, "i": i}
						var got map[string]int
						if err := c.Call(testCtx(t), "echo", want, &got); err != nil {
							errs <- err
							return
						}
						if got["w"] != w || got["i"] != i {
							errs <- fmt.Errorf("worker %d call %d got the reply %v", w, i, got)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestCloseFailsCalls(t *testing.T) {
	tg := startTarget(t, registerBasics)
	for name, c := range dialAll(t, tg) {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- c.Call(testCtx(t), "block", nil, nil) }()
			time.Sleep(20 * time.Millisecond)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; !errors.Is(err, ErrClosed) && !errors.Is(err, context.Canceled) {
				t.Errorf("in-flight call after Close: %v", err)
			}
			if _, err := c.SpdkGetVersion(testCtx(t)); !errors.Is(err, ErrClosed) {
				t.Errorf("call after Close: %v", err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// WithBasicAuth supplies the proxy's credentials outside the address; a
// wrong password is still refused, and credentials in both places are an
// error before anything is sent.
func TestWithBasicAuth(t *testing.T) {
	tg := startTarget(t, registerBasics)
	bare := "http://" + tg.proxy.Listener.Addr().String()
	tests := []struct {
		name, addr string
		opt        Option
		dialErr    bool
		callErr    error
	}{
		{name: "apart", addr: bare, opt: WithBasicAuth(proxyUser, proxyPass)},
		{name: "wrong password apart", addr: bare, opt: WithBasicAuth(proxyUser, "hunter2"), callErr: ErrUnauthorized},
		{name: "none", addr: bare, opt: WithTimeout(DefaultTimeout), callErr: ErrUnauthorized},
		{name: "both", addr: tg.proxyURL(proxyUser, proxyPass), opt: WithBasicAuth(proxyUser, proxyPass), dialErr: true},
		{name: "ignored on a socket", addr: tg.sock, opt: WithBasicAuth(proxyUser, "hunter2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(testCtx(t), tt.addr, tt.opt)
			if tt.dialErr {
				if err == nil {
					_ = c.Close()
					t.Fatal("Dial accepted credentials in the address and apart")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.SpdkGetVersion(testCtx(t))
			if !errors.Is(err, tt.callErr) {
				t.Fatalf("spdk_get_version: %v, want %v", err, tt.callErr)
			}
			if strings.Contains(c.Addr(), proxyPass) {
				t.Errorf("Addr leaks the password: %s", c.Addr())
			}
		})
	}
}
