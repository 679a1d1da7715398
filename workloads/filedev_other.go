//go:build !linux

package workloads

import (
	"context"
	"errors"
	"net/url"
)

// openFile is Linux-only: it relies on O_DIRECT and pread/pwrite.
func openFile(context.Context, *url.URL, OpenOptions) (Device, error) {
	return nil, errors.New("file: the file backend needs Linux")
}
