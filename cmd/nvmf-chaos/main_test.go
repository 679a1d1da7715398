package main

import (
	"os"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
)

// beMainEnv makes the test binary behave as nvmf-chaos itself: commands
// that start their own binary again (targets, provision --detach) run this
// one, so they are tested without a separate build.
const beMainEnv = "NVMF_CHAOS_TEST_BE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(beMainEnv) == "1" {
		main()
		return
	}
	os.Exit(testbin.Main(m))
}
