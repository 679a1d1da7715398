package bdev

import (
	"os"
	"syscall"
)

const directFlag = syscall.O_DIRECT

const (
	fallocKeepSize  = 0x01
	fallocPunchHole = 0x02
	fallocZeroRange = 0x10
)

func zeroRange(f *os.File, off, n int64) error {
	return syscall.Fallocate(int(f.Fd()), fallocZeroRange|fallocKeepSize, off, n)
}

func punchHole(f *os.File, off, n int64) error {
	return syscall.Fallocate(int(f.Fd()), fallocPunchHole|fallocKeepSize, off, n)
}

func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
