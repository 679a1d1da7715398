package local

import (
	"context"
	"testing"
)

// injectRecover injects f, runs during, and recovers f.
func injectRecover(t *testing.T, f interface {
	Inject(context.Context) error
	Recover(context.Context) error
}, during func()) {
	t.Helper()
	ctx := context.Background()
	if err := f.Inject(ctx); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	during()
	if err := f.Recover(ctx); err != nil {
		t.Fatalf("Recover: %v", err)
	}
}

// errOf keeps the error of a constructor's result.
func errOf[T any](_ T, err error) error { return err }
