package netns

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestNamespaceLifecycle(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("skipped: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := fmt.Sprintf("nvmfc-n%05d", os.Getpid()%100000)
	t.Cleanup(func() { _ = DeleteNamespace(context.Background(), ns) })
	for i := 0; i < 2; i++ { // idempotent
		if err := AddNamespace(ctx, ns); err != nil {
			t.Fatalf("AddNamespace #%d: %v", i+1, err)
		}
	}
	if ok, err := HasNamespace(ctx, ns); err != nil || !ok {
		t.Fatalf("HasNamespace: %v, %v", ok, err)
	}
	links, err := Links(ctx, ns)
	if err != nil || len(links) != 1 || links[0] != "lo" {
		t.Fatalf("links in a new namespace: %v, %v", links, err)
	}
	out, err := Exec(ctx, ns, "ip", "-o", "link", "show", "lo")
	if err != nil || !strings.Contains(string(out), "lo:") {
		t.Fatalf("Exec: %q, %v", out, err)
	}
	if pids, err := NamespacePIDs(ctx, ns); err != nil || len(pids) != 0 {
		t.Fatalf("pids in an idle namespace: %v, %v", pids, err)
	}
	if _, err := Exec(ctx, ns, "false"); err == nil || !strings.Contains(err.Error(), "netns exec "+ns+" false") {
		t.Fatalf("failing command: %v, want an error quoting it", err)
	}
	for i := 0; i < 2; i++ {
		if err := DeleteNamespace(ctx, ns); err != nil {
			t.Fatalf("DeleteNamespace #%d: %v", i+1, err)
		}
	}
	if err := DeleteLink(ctx, ns+"x"); err != nil {
		t.Fatalf("DeleteLink of a missing link: %v", err)
	}
}

func TestIPErrorCarriesStderr(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("skipped: %v", ErrNoIP)
	}
	if _, err := IP(context.Background(), "link", "show", "nvmfc-no-such"); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("error %v, want ip's own message", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, "sleep", "5"); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("cancelled run: %v", err)
	}
}
