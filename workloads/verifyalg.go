package workloads

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// verifyAlg is one of fio's verify= methods. Every unit a job writes starts
// with the 48-byte header (see verify.go), sealed by a CRC32C of the header;
// a data checksum of digest bytes follows it and covers the whole unit with
// both checksum fields zeroed. crc32c keeps its CRC over the whole unit
// instead (no separate digest); meta checks the header alone; pattern has no
// header: every unit is the verify_pattern.
type verifyAlg struct {
	name   string
	digest int                           // bytes after the header
	sum    func(dst []byte, unit []byte) // writes the digest of unit into dst
}

var crc64Table = crc64.MakeTable(crc64.ECMA)

// verifyAlgs maps fio's verify= names (crc32c-intel is crc32c) to their method.
var verifyAlgs = map[string]verifyAlg{
	"crc32c":   {name: "crc32c"},
	"meta":     {name: "meta"},
	"pattern":  {name: "pattern"},
	"crc32":    {"crc32", 4, func(d, u []byte) { binary.LittleEndian.PutUint32(d, crc32.ChecksumIEEE(u)) }},
	"crc64":    {"crc64", 8, func(d, u []byte) { binary.LittleEndian.PutUint64(d, crc64.Checksum(u, crc64Table)) }},
	"xxhash":   {"xxhash", 8, func(d, u []byte) { binary.LittleEndian.PutUint64(d, xxhash.Sum64(u)) }},
	"md5":      {"md5", md5.Size, func(d, u []byte) { s := md5.Sum(u); copy(d, s[:]) }},
	"sha1":     {"sha1", sha1.Size, func(d, u []byte) { s := sha1.Sum(u); copy(d, s[:]) }},
	"sha256":   {"sha256", sha256.Size, func(d, u []byte) { s := sha256.Sum256(u); copy(d, s[:]) }},
	"sha512":   {"sha512", sha512.Size, func(d, u []byte) { s := sha512.Sum512(u); copy(d, s[:]) }},
	"sha3-224": {"sha3-224", 28, func(d, u []byte) { s := sha3.Sum224(u); copy(d, s[:]) }},
	"sha3-256": {"sha3-256", 32, func(d, u []byte) { s := sha3.Sum256(u); copy(d, s[:]) }},
	"sha3-384": {"sha3-384", 48, func(d, u []byte) { s := sha3.Sum384(u); copy(d, s[:]) }},
	"sha3-512": {"sha3-512", 64, func(d, u []byte) { s := sha3.Sum512(u); copy(d, s[:]) }},
}

// parseVerify reads a verify= value: "" when off.
func parseVerify(v string) (string, error) {
	switch name := strings.ToLower(strings.TrimSpace(v)); name {
	case "0", "null", "", "none":
		return "", nil
	case "1":
		return "crc32c", nil // fio's verify=1 picks its default, crc32c
	case "crc32c-intel":
		return "crc32c", nil
	default:
		if _, ok := verifyAlgs[name]; ok {
			return name, nil
		}
		names := make([]string, 0, len(verifyAlgs))
		for k := range verifyAlgs {
			names = append(names, k)
		}
		sort.Strings(names)
		return "", fmt.Errorf("%q: want one of %s (crc7, crc16 and sha3 shake are not supported)", v, strings.Join(names, ", "))
	}
}

// headerLen is the bytes of a unit the method reserves before its data.
func (a verifyAlg) headerLen() int {
	if a.name == "pattern" {
		return 0
	}
	return headerSize + a.digest
}

// ParseVerifyPattern reads verify_pattern: 0x followed by hex bytes (in
// that order), or a string in double quotes. fio's decimal form and its
// %o offset placeholder are refused rather than guessed.
func ParseVerifyPattern(s string) ([]byte, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X"):
		h := t[2:]
		if len(h)%2 == 1 {
			h = "0" + h
		}
		b, err := hex.DecodeString(h)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%q: bad hex", s)
		}
		return b, nil
	case len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"':
		u, err := strconv.Unquote(t)
		if err != nil || u == "" {
			return nil, fmt.Errorf("%q: bad string", s)
		}
		return []byte(u), nil
	}
	return nil, fmt.Errorf("%q: %w: give the pattern as 0xHEX or a \"string\"", s, ErrUnsupportedOption)
}

// fillPattern writes pattern over unit from its start; the header, if
// any, is stamped over its head afterwards.
func fillPattern(unit, pattern []byte) {
	for i := 0; i < len(unit); i += len(pattern) {
		copy(unit[i:], pattern)
	}
}

// patternIntact reports whether unit[from:] holds the pattern as
// fillPattern laid it.
func patternIntact(unit, pattern []byte, from int) bool {
	for i := from; i < len(unit); {
		k := i % len(pattern)
		n := min(len(pattern)-k, len(unit)-i)
		if !bytes.Equal(unit[i:i+n], pattern[k:k+n]) {
			return false
		}
		i += n
	}
	return true
}

// seal writes the checksums of a unit whose header fields are stamped.
func (a verifyAlg) seal(unit []byte) {
	switch a.name {
	case "crc32c":
		binary.LittleEndian.PutUint32(unit[4:], unitCRC(unit))
		return
	case "pattern":
		return
	}
	end := a.headerLen()
	if a.sum != nil {
		d := unit[headerSize:end]
		clear(d)
		binary.LittleEndian.PutUint32(unit[4:], 0)
		a.sum(d, unit)
	}
	binary.LittleEndian.PutUint32(unit[4:], unitCRC(unit[:end]))
}

var errBadDigest = errors.New("bad data checksum")

// intact checks a unit's checksums (the header's fields are checked by the
// caller). It zeroes the checksum fields of a unit with a digest: the read
// buffer is not used after.
func (a verifyAlg) intact(unit []byte) error {
	switch a.name {
	case "crc32c":
		if binary.LittleEndian.Uint32(unit[4:]) != unitCRC(unit) {
			return errBadDigest
		}
		return nil
	case "pattern":
		return nil
	}
	end := a.headerLen()
	if binary.LittleEndian.Uint32(unit[4:]) != unitCRC(unit[:end]) {
		return errors.New("bad header checksum")
	}
	if a.sum == nil {
		return nil
	}
	var want, got [64]byte
	d := unit[headerSize:end]
	copy(want[:], d)
	clear(d)
	binary.LittleEndian.PutUint32(unit[4:], 0)
	a.sum(got[:a.digest], unit)
	if !slices.Equal(want[:a.digest], got[:a.digest]) {
		return errBadDigest
	}
	return nil
}
