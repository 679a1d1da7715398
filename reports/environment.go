package reports

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// CurrentMachine describes this machine and this build of nvmf-chaos, for
// Environment.Machine. Fields it cannot learn are left empty.
func CurrentMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.CPUModel = cpuModel()
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				m.Revision = s.Value
			case "vcs.time":
				m.RevisionTime = s.Value
			case "vcs.modified":
				m.Modified = s.Value == "true"
			}
		}
		if m.Revision == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			m.Revision = bi.Main.Version // installed with go install module@version
		}
	}
	return m
}

// cpuModel reads the first "model name" of /proc/cpuinfo (Linux only).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
