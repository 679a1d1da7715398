package live

import (
	"go/build"
	"strings"
	"testing"
)

// TestLiveImportsNothingAbove: live is below what feeds it (the runner,
// the engines) and what shows it (reports/prom): it imports no package of
// the module outside internal, so dependencies point downward.
func TestLiveImportsNothingAbove(t *testing.T) {
	const module = "github.com/nvmf-chaos/nvmf-chaos/"
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, module) && !strings.HasPrefix(imp, module+"internal/") {
			t.Errorf("live imports %s, a package above it", strings.TrimPrefix(imp, module))
		}
	}
}
