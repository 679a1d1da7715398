package ociimage

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// libDirs are where the dynamic loader of a Debian-like system looks for
// shared objects without an ld.so.cache entry of their own.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"}

// sharedObjects lists, as host paths, what a dynamically linked binary
// needs to start: its program interpreter and every shared object its
// DT_NEEDED entries name, transitively. A static binary needs none.
func sharedObjects(binary string) ([]string, error) {
	interp, err := interpreter(binary)
	if err != nil || interp == "" {
		return nil, err
	}
	out := []string{interp}
	seen := map[string]bool{}
	queue := []string{binary}
	for len(queue) > 0 {
		f, err := elf.Open(queue[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", queue[0], err)
		}
		needed, err := f.ImportedLibraries()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: reading its DT_NEEDED: %w", queue[0], err)
		}
		queue = queue[1:]
		for _, name := range needed {
			if seen[name] {
				continue
			}
			seen[name] = true
			path, err := findLib(name)
			if err != nil {
				return nil, err
			}
			out = append(out, path)
			queue = append(queue, path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// interpreter is the binary's PT_INTERP, "" for a static binary.
func interpreter(binary string) (string, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return "", fmt.Errorf("%s: not an executable: %w", binary, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", fmt.Errorf("%s: reading its interpreter: %w", binary, err)
			}
			return string(b[:len(b)-1]), nil // NUL-terminated
		}
	}
	return "", nil
}

func findLib(name string) (string, error) {
	for _, d := range libDirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("shared object %s: not found in %v", name, libDirs)
}
