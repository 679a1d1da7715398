//go:build !linux

package bdev

import (
	"errors"
	"os"
)

const directFlag = 0

var errUnsupported = errors.New("bdev: not supported on this platform")

func zeroRange(*os.File, int64, int64) error { return errUnsupported }
func punchHole(*os.File, int64, int64) error { return errUnsupported }
func datasync(f *os.File) error              { return f.Sync() }
