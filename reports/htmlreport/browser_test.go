package htmlreport

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReportInChromium loads a report in headless Chromium and checks the
// browser built the whole page (headline, every plot) and logged nothing
// to the console. A canary page with a console.error proves the check can
// see console output at all, so a silent browser is a skip, never a pass.
//
// Not flaky by construction: the browser gets a fresh profile, a bounded
// time, and one retry only when it failed to start or timed out (a slow
// start on a loaded 2-core machine); what it rendered is never retried.
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	r := loadFixture(t, "kill-two-workloads")
	if err := Write(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	canary := filepath.Join(dir, "canary.html")
	if err := os.WriteFile(canary, []byte(`<html><body><script>console.error("canary")</script></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, logs := loadPage(t, bin, canary); len(consoleLines(logs)) == 0 {
		t.Skipf("%s does not log console messages to stderr here; cannot check the report's console", bin)
	}
	dom, logs := loadPage(t, bin, page)
	if lines := consoleLines(logs); len(lines) > 0 {
		t.Errorf("console output while loading the report:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.Contains(dom, "<h1>kill-two-workloads</h1>") {
		t.Errorf("the DOM lacks the report headline:\n%.500s", dom)
	}
	if n, want := strings.Count(dom, "<svg"), 3*len(r.Workloads)+1; n != want {
		t.Errorf("the DOM has %d plots, want %d", n, want)
	}
}

// loadPage returns the DOM Chromium built from path and its log.
func loadPage(t *testing.T, bin, path string) (dom, logs string) {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
			"--no-first-run", "--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
			"--dump-dom", "file://"+path)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		cancel()
		if err == nil && out.Len() > 0 {
			return out.String(), errOut.String()
		}
		t.Logf("chromium attempt %d: %v\n%s", attempt, err, tail(errOut.String(), 20))
	}
	t.Fatalf("chromium could not load %s: %v", path, err)
	return "", ""
}

// consoleLines are the log lines of the page's console (Chromium logs
// them as INFO:CONSOLE) and of resources it failed to load.
func consoleLines(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "net::ERR_") {
			out = append(out, l)
		}
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// chromium finds a Chromium binary, installing Debian's package when
// running as root (apt-get update once only if the first install fails);
// it skips the test with the reason when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if bin := lookChromium(); bin != "" {
		return bin
	}
	if os.Geteuid() != 0 {
		t.Skip("chromium not installed and not root to apt-get install it")
	}
	if err := apt(t, "install", "-y", "-qq", "chromium"); err != nil {
		t.Logf("apt-get install chromium: %v; updating the package lists and retrying", err)
		if err := apt(t, "update", "-qq"); err != nil {
			t.Skipf("chromium not installed; apt-get update failed: %v", err)
		}
		if err := apt(t, "install", "-y", "-qq", "chromium"); err != nil {
			t.Skipf("chromium not installed; apt-get install failed: %v", err)
		}
	}
	if bin := lookChromium(); bin != "" {
		return bin
	}
	t.Skip("chromium still not found after apt-get install")
	return ""
}

func lookChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func apt(t *testing.T, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.Join(err, errors.New(tail(string(out), 5)))
	}
	t.Logf("apt-get %s: done", strings.Join(args, " "))
	return nil
}
