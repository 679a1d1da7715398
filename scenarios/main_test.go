package scenarios

import (
	"os"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
)

// TestMain removes the nvmf-chaos build the runner tests start targets from.
func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
