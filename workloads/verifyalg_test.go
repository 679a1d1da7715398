package workloads

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// flipRead writes one unit with v, reads it back with byte at flipped, and
// returns what the read was judged.
func flipRead(v *verifier, unit int, at int) string {
	w := &Op{Buf: make([]byte, unit), snap: make([]blockSnap, 1)}
	for i := range w.Buf {
		w.Buf[i] = byte(i * 7)
	}
	v.submitWrite(w)
	v.completeWrite(w)
	r := &Op{Buf: make([]byte, unit), snap: make([]blockSnap, 1)}
	v.submitRead(r)
	copy(r.Buf, w.Buf)
	if at >= 0 {
		r.Buf[at] ^= 0x10
	}
	before := v.result(false)
	v.completeRead(r)
	after := v.result(false)
	switch {
	case after.CorruptReads > before.CorruptReads:
		return "corrupt"
	case after.StaleReads > before.StaleReads:
		return "stale"
	}
	return "ok"
}

// TestVerifyMethodsCatchFlippedByte: every verify= method finds one flipped
// byte in the header, in its digest and at the end of the data, and passes
// the unit untouched. meta checks the header only, as in fio; with a
// verify_pattern it checks the data against the pattern too.
func TestVerifyMethodsCatchFlippedByte(t *testing.T) {
	const unit = 4096
	for name, alg := range verifyAlgs {
		for _, pattern := range [][]byte{nil, []byte{0xaa, 0x55, 0x5a, 0xa5}} {
			if name == "pattern" && pattern == nil {
				continue
			}
			t.Run(fmt.Sprintf("%s/pattern=%x", name, pattern), func(t *testing.T) {
				spots := map[string]int{"data end": unit - 1, "data": 3000}
				if name != "pattern" {
					spots["header offset"], spots["header time"] = 20, 33
				}
				if alg.digest > 0 {
					spots["digest"] = headerSize + alg.digest - 1
				}
				v := newVerifier(1, 0, unit, 0, unit, 512, false, alg, pattern)
				if got := flipRead(v, unit, -1); got != "ok" {
					t.Fatalf("intact unit judged %s", got)
				}
				for where, at := range spots {
					want := "corrupt"
					if name == "meta" && pattern == nil && strings.HasPrefix(where, "data") {
						want = "ok" // meta checks the header alone
					}
					if got := flipRead(v, unit, at); got != want {
						t.Errorf("byte %d (%s) flipped: %s, want %s", at, where, got, want)
					}
				}
			})
		}
	}
}

// TestVerifyMethodsEndToEnd runs a verifying job per method on a device
// that flips a byte of one write: the final pass reports that block corrupt.
func TestVerifyMethodsEndToEnd(t *testing.T) {
	for _, kv := range [][]string{
		{"verify", "md5"}, {"verify", "crc64"}, {"verify", "sha256"}, {"verify", "xxhash"},
		{"verify", "meta", "verify_pattern", "0xaa555aa5"},
		{"verify_pattern", `"nvmf"`}, // verify=pattern implied, as in fio
		{"verify", "crc32c-intel", "verify_interval", "512"},
	} {
		t.Run(strings.Join(kv, "="), func(t *testing.T) {
			j := job(t, "v", append([]string{"rw", "randwrite", "bs", "4k", "size", "1m", "iodepth", "4"}, kv...)...)
			dev := &faultyDevice{memDevice: newMemDevice(4 << 20), flipWrite: 37}
			r := runT(t, dev, []Job{j})
			v := r.Jobs[0].Verify
			units := int64(1<<20) / int64(j.verifyUnit())
			if v.CorruptBlocks != 1 || v.OK != units-1 || len(v.Offenders) != 1 || v.Offenders[0].Offset != dev.hits[0].lba*4096 {
				t.Errorf("corrupt %d ok %d offenders %+v; want the unit at block %d corrupt, %d ok", v.CorruptBlocks, v.OK, v.Offenders, dev.hits[0].lba, units-1)
			}
		})
	}
}

// TestVerifyFatal: the job stops at its first failure and skips the rest
// of the final pass; without verify_fatal every block is checked.
func TestVerifyFatal(t *testing.T) {
	for _, fatal := range []string{"0", "1"} {
		j := job(t, "v", "rw", "write", "bs", "4k", "size", "1m", "verify", "md5", "verify_fatal", fatal, "verify_backlog", "1")
		dev := &faultyDevice{memDevice: newMemDevice(4 << 20), flipWrite: 10}
		r := runT(t, dev, []Job{j})
		v, w := r.Jobs[0].Verify, r.Jobs[0].Write.IOs
		if fatal == "1" && (w >= 256 || v.FinalPass) || fatal == "0" && (w != 256 || !v.FinalPass || v.CorruptBlocks != 1) {
			t.Errorf("verify_fatal=%s: %d writes, final pass %v, %d corrupt", fatal, w, v.FinalPass, v.CorruptBlocks)
		}
	}
}

func TestVerifyOptionErrors(t *testing.T) {
	for _, tc := range []struct{ lines, want string }{
		{"verify=crc7", "crc7, crc16"},
		{"verify=pattern", "pattern needs verify_pattern"},
		{"verify_pattern=170", "give the pattern as 0xHEX"},
		{"verify_pattern=0xzz", "bad hex"},
		{"verify_interval=0", "outside 1..64MiB"},
	} {
		_, err := ParseFio(strings.NewReader("[j]\n"+tc.lines+"\n"), "v.fio", nil, WithTarget("null://1m"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.lines, err, tc.want)
		}
	}
	j := job(t, "v", "verify", "sha512", "bs", "64k", "verify_interval", "96")
	if _, err := NewEngine(newMemDevice(4<<20), []Job{j}); err == nil || !strings.Contains(err.Error(), "at least 112 bytes") {
		t.Errorf("96-byte units for sha512: %v", err)
	}
}

// TestVerifyReadPhase: a reading job verifies what an earlier,
// stonewalled job wrote (fio's surface-scan: write phase, then verify
// phase), and finds a flipped byte; a concurrent writer, or one stamped
// another way, is refused.
func TestVerifyReadPhase(t *testing.T) {
	const file = `[global]
bs=64k
verify=meta
verify_pattern=0xaa555aa5
verify_interval=512
size=1m
[write-phase]
rw=write
do_verify=0
[verify-phase]
stonewall
rw=read
`
	for _, flip := range []int{0, 3} {
		jobs, err := ParseFio(strings.NewReader(file), "s.fio", nil)
		if err != nil {
			t.Fatal(err)
		}
		dev := &faultyDevice{memDevice: newMemDevice(4 << 20), flipWrite: flip}
		r := runT(t, dev, jobs)
		v, want := r.Jobs[1].Verify, int64(0)
		if flip > 0 {
			want = 1
		}
		if v.ReadsChecked != 2048 || v.CorruptReads != want {
			t.Errorf("flip write %d: %d units read back, %d corrupt; want 2048 and %d", flip, v.ReadsChecked, v.CorruptReads, want)
		}
	}
	for _, tc := range []struct{ old, new, want string }{
		{"stonewall\n", "", "writes the same blocks"},
		{"rw=read\n", "rw=read\nverify_interval=1k\n", "wrote these blocks with verify=\"meta\""},
	} {
		jobs, err := ParseFio(strings.NewReader(strings.Replace(file, tc.old, tc.new, 1)), "s.fio", nil)
		if err == nil {
			_, err = NewEngine(newMemDevice(4<<20), jobs)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %v, want %q", err, tc.want)
		}
	}
}

// TestVerifyReportedAsFio: damage found is reported in fio's words, and
// the job's error is fio's EILSEQ in the summary and the JSON.
func TestVerifyReportedAsFio(t *testing.T) {
	for _, tc := range []struct {
		dev  faultyDevice
		want string
	}{
		{faultyDevice{flipWrite: 5}, "md5: verify failed at file v offset "},
		{faultyDevice{dropWrite: 5}, "verify: bad magic header 0, wanted 4346564e at file v offset "},
		{faultyDevice{}, ""},
	} {
		j := job(t, "v", "rw", "write", "bs", "4k", "size", "64k", "verify", "md5")
		tc.dev.memDevice = newMemDevice(1 << 20)
		r := runT(t, &tc.dev, []Job{j})
		var b bytes.Buffer
		if err := WriteSummary(&b, r); err != nil {
			t.Fatal(err)
		}
		out, err := ToFio(r, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		s, wantErr := b.String(), 84
		if tc.want == "" {
			wantErr = 0
		}
		if !strings.Contains(s, tc.want) || strings.Contains(s, "err=84") != (wantErr != 0) || out.Jobs[0].Error != wantErr {
			t.Errorf("JSON error %d, summary:\n%s\nwant %q and error %d", out.Jobs[0].Error, s, tc.want, wantErr)
		}
	}
}
