// Package testbin builds the nvmf-chaos command for tests that start it as
// a real process (targets, runners): once per test binary, into a folder
// that Main removes when the tests are done. Each build is ~90 MB; left in
// the temporary folder by every package on every run, they had piled up to
// gigabytes.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

const pkg = "github.com/nvmf-chaos/nvmf-chaos/cmd/nvmf-chaos"

// prebuiltEnv names a prebuilt nvmf-chaos that Path returns instead of
// building one: it lets the tests run where go build cannot (e.g. as an
// unprivileged user without a module cache).
const prebuiltEnv = "NVMF_CHAOS_TEST_BIN"

var (
	once     sync.Once
	dir      string
	path     string
	buildErr error
)

// Path returns the nvmf-chaos executable: NVMF_CHAOS_TEST_BIN when set,
// else one it builds on first use. The
// test binary's TestMain must run its tests through Main, or the build is
// left behind.
func Path(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(prebuiltEnv); bin != "" {
		return bin
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to build nvmf-chaos")
	}
	once.Do(build)
	if buildErr != nil {
		t.Fatalf("build nvmf-chaos: %v", buildErr)
	}
	return path
}

func build() {
	dir, buildErr = os.MkdirTemp("", "nvmf-chaos-bin")
	if buildErr != nil {
		return
	}
	path = filepath.Join(dir, "nvmf-chaos")
	if out, err := exec.Command("go", "build", "-o", path, pkg).CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build %s: %v: %s", pkg, err, out)
	}
}

// Main runs m's tests, removes the build and returns the exit code: a
// TestMain's body is os.Exit(testbin.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	return code
}
