//go:build !linux

package nvmftarget

import (
	"io"
	"net"
	"time"
)

// newSpinReader returns nc: spinning before parking is Linux-only.
func newSpinReader(nc net.Conn, _ time.Duration) io.Reader { return nc }
