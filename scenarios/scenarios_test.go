package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

const minimal = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t1}
cluster: {nodes: [tgt-a, tgt-b]}
volumes:
  - {name: vol0, size: 64MiB, nodes: [tgt-a, tgt-b], ana: {tgt-a: optimized, tgt-b: non-optimized}}
workloads:
  - {name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8}
timeline:
  warmup: 1s
  duration: 20s
  faults:
    - {at: 5s, kind: process-kill, node: tgt-a, duration: 5s}
slos:
  - {metric: failover_time, max: 2s}
  - {metric: io_errors, max: 0}
  - {metric: latency.p99, window: baseline, max: 2ms}
  - {metric: iops, window: baseline, min: 20k}
`

func TestParseScenarioMinimal(t *testing.T) {
	s, err := ParseScenario("t.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Volumes[0].Size; got != 64<<20 {
		t.Errorf("size = %d, want 64MiB", got)
	}
	if got := s.Timeline.Faults[0].At.D(); got != 5*time.Second {
		t.Errorf("at = %s", got)
	}
	if got := s.Workloads[0].Options["iodepth"]; got != "8" {
		t.Errorf("iodepth option = %q", got)
	}
	j, err := JobOf(s.Workloads[0])
	if err != nil || j.IODepth != 8 || j.BS != 4096 {
		t.Errorf("job = %+v, %v", j, err)
	}
}

// TestValidationErrors checks that each mistake is reported at the right
// line and field with a message that says what is allowed.
func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name, from, to string
		line           int
		want           string
	}{
		{"unknown key", "  duration: 20s", "  duraton: 20s", 11, `timeline.duraton: unknown field "duraton" (did you mean "duration"?)`},
		{"bad duration", "at: 5s", "at: 5", 13, `timeline.faults[0].at: duration "5"`},
		{"bad size", "size: 64MiB", "size: 64QB", 6, `volumes[0].size: size "64QB": unknown suffix`},
		{"fault past end", "at: 5s", "at: 18s", 13, "past the end of the timeline"},
		{"unknown node", "node: tgt-a, duration", "node: tgt-c, duration", 13, `node "tgt-c" is not in cluster.nodes`},
		{"unknown kind", "process-kill", "process-kil", 13, `unknown fault kind "process-kil"`},
		{"unknown metric", "metric: failover_time", "metric: failover", 15, `unknown metric "failover"`},
		{"window on per-fault metric", "{metric: failover_time, max: 2s}", "{metric: failover_time, window: fault, max: 2s}", 15, "takes no window"},
		{"bad threshold", "max: 2ms}", "max: fast}", 17, `"fast": want a duration`},
		{"bad fio option", "iodepth: 8}", "iodeth: 8}", 8, `"iodeth"`},
		{"window on count metric", "{metric: io_errors, max: 0}", "{metric: io_errors, window: baseline, max: 0}", 16, "counted over the whole run and takes no window"},
		{"verified blocks written by another workload", "iodepth: 8}", "iodepth: 8, verify: crc32c}\n  - {name: w2, volume: vol0, rw: randwrite, bs: 4k, offset: 32MiB}",
			8, `workload "w2" also writes`},
		{"unused node", "nodes: [tgt-a, tgt-b]}", "nodes: [tgt-a, tgt-b, tgt-c]}", 4, `node "tgt-c" exports no volume`},
		{"bad ana state", "tgt-b: non-optimized", "tgt-b: sleepy", 6, "sleepy"},
		{"missing duration", "node: tgt-a, duration: 5s}", "node: tgt-a}\n    - {at: 6s, kind: process-pause, node: tgt-a}", 14, "process-pause needs a duration"},
		{"wrong api", "nvmf-chaos/v1", "nvmf-chaos/v2", 1, `want "nvmf-chaos/v1"`},
		{"list expected", "nodes: [tgt-a, tgt-b]}", "nodes: tgt-a}", 4, "want a list"},
		{"inline option the run sets", "iodepth: 8}", "iodepth: 8, ramp_time: 3s}", 8, "set by timeline.warmup"},
		{"inline job that waits", "iodepth: 8}", "iodepth: 8, wait_for: x}", 8, "wait_for: set by the timeline"},
		{"multipath setting without multipath", "nodes: [tgt-a, tgt-b], ana: {tgt-a: optimized, tgt-b: non-optimized}}\nworkloads:",
			"nodes: [tgt-a]}\n  - {name: vol1, size: 64MiB, nodes: [tgt-b]}\nhost: {policy: round-robin}\nworkloads:", 8, "host.policy: only applies to a volume on two or more nodes"},
		{"spdk_bin without target spdk", "cluster: {nodes: [tgt-a, tgt-b]}", "cluster: {nodes: [tgt-a, tgt-b], spdk_bin: /opt/nvmf_tgt}", 4, "cluster.spdk_bin: only used with target: spdk"},
		{"rpc without target external", "cluster: {nodes: [tgt-a, tgt-b]}", "cluster: {nodes: [tgt-a, tgt-b], rpc: {tgt-a: /tmp/a.sock}}", 4, "cluster.rpc: only used with target: external"},
		{"restart of external targets", "cluster: {nodes: [tgt-a, tgt-b]}",
			"cluster: {target: external, restart: always, nodes: [tgt-a, tgt-b], rpc: {tgt-a: /a, tgt-b: /b}, listen: {tgt-a: 127.0.0.1:4420, tgt-b: 127.0.0.1:4421}}",
			4, "cannot restart them"},
		{"volume on a node-level fault", "node: tgt-a, duration: 5s}", "node: tgt-a, volume: vol0, duration: 5s}", 13, "process-kill acts on the whole node"},
		{"ana state a listener cannot take", "tgt-b: non-optimized", "tgt-b: persistent_loss", 6, "cannot be set on a listener"},
		{"zero latency", "kind: process-kill, node: tgt-a, duration: 5s}", "kind: latency, node: tgt-a, duration: 5s, params: {delay: 0s}}", 13, "want more than 0"},
		{"jitter past the end", "node: tgt-a, duration: 5s}", "node: tgt-a, duration: 5s, jitter: 11s}", 13, "the fault can end at 21s"},
		{"jitter overlapping the next firing", "node: tgt-a, duration: 5s}", "node: tgt-a, duration: 1s, jitter: 2s, repeat: {count: 2, every: 3s}}", 13,
			"must be longer than the fault's duration 1s plus its jitter 2s"},
		{"long node name", "[tgt-a, tgt-b]}\nvolumes", "[tgt-a, tgt-b-long-name]}\nvolumes", 4, "at most 8 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(minimal, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			doc := strings.Replace(minimal, tc.from, tc.to, 1)
			_, err := ParseScenario("t.yaml", []byte(doc))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.want) {
					if e.Line != tc.line {
						t.Errorf("%q reported at line %d, want %d", e.Error(), e.Line, tc.line)
					}
					return
				}
			}
			t.Errorf("errors\n%v\nlack %q", err, tc.want)
		})
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	doc := strings.Replace(minimal, "size: 64MiB", "size: nope", 1)
	doc = strings.Replace(doc, "duration: 20s", "durtion: 20s", 1)
	_, err := ParseScenario("t.yaml", []byte(doc))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) < 2 {
		t.Fatalf("want both errors, got %v", err)
	}
	if errs[0].Line > errs[1].Line {
		t.Errorf("errors not in file order: %v", err)
	}
}

func TestBuiltinsValidate(t *testing.T) {
	bs, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) < 15 {
		t.Errorf("%d built-ins, want the 15 availability cases", len(bs))
	}
	for _, b := range bs {
		if b.Description == "" {
			t.Errorf("%s has no description", b.Name)
		}
		if _, err := Load(b.Name); err != nil {
			t.Errorf("Load(%s): %v", b.Name, err)
		}
	}
}

func TestLoadFileAndFioReference(t *testing.T) {
	dir := t.TempDir()
	fio := "[global]\nbs=4k\n[job1]\nrw=randread\niodepth=4\n"
	if err := os.WriteFile(filepath.Join(dir, "oltp.fio"), []byte(fio), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(minimal, "{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8}", "{name: w, volume: vol0, fio: oltp.fio}", 1)
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Dir != dir || l.Scenario.Workloads[0].Fio != filepath.Join(dir, "oltp.fio") {
		t.Errorf("loaded %+v, want the job file resolved against %s", l.Scenario.Workloads[0], dir)
	}
	// The run reads the same file validation read, from any directory.
	t.Chdir(t.TempDir())
	if _, err := workloads.ParseFioFile(l.Scenario.Workloads[0].Fio); err != nil {
		t.Errorf("job file from another working directory: %v", err)
	}
	// The volume is the target: file options of the job file do not count.
	named := "[global]\nfilename=fio-rand-read\ndirectory=data\n[file1]\nrw=randread\n"
	if err := os.WriteFile(filepath.Join(dir, "oltp.fio"), []byte(named), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseScenario(path, []byte(doc)); err != nil {
		t.Errorf("job file naming a relative file: %v", err)
	}
	r := &Runner{s: l.Scenario}
	if jobs, err := r.jobsOf(0, l.Scenario.Workloads[0]); err != nil {
		t.Errorf("run's jobs: %v", err)
	} else if jobs[0].Target != "" {
		t.Errorf("run's jobs: target %q, want the volume's", jobs[0].Target)
	}
	// Sequential jobs cannot share the timeline: refused with their line.
	seq := "[a]\nrw=randread\n[b]\nrw=randwrite\nstonewall\n"
	if err := os.WriteFile(filepath.Join(dir, "oltp.fio"), []byte(seq), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseScenario(path, []byte(doc)); err == nil || !strings.Contains(err.Error(), "stonewall ("+filepath.Join(dir, "oltp.fio")+":5)") {
		t.Errorf("job file with a stonewall: %v", err)
	}
	if _, err := r.jobsOf(0, l.Scenario.Workloads[0]); !errors.Is(err, workloads.ErrSequential) {
		t.Errorf("run's jobs with a stonewall: %v", err)
	}
	broken := strings.Replace(doc, "oltp.fio", "missing.fio", 1)
	if _, err := ParseScenario(path, []byte(broken)); err == nil || !strings.Contains(err.Error(), "missing.fio") {
		t.Errorf("missing job file: %v", err)
	}
	if _, err := Load("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "nvmf-chaos list") {
		t.Errorf("unknown name: %v", err)
	}
}

func TestSweepValidation(t *testing.T) {
	good := minimal + "sweep:\n  - {param: host.kato, values: [500ms, 1s]}\n  - {param: 'faults[0].duration', values: [1s, 2s]}\n"
	if _, err := ParseScenario("t.yaml", []byte(good)); err != nil {
		t.Fatal(err)
	}
	bad := minimal + "sweep:\n  - {param: host.colour, values: [red]}\n  - {param: 'faults[3].at', values: [1s]}\n"
	_, err := ParseScenario("t.yaml", []byte(bad))
	if err == nil || !strings.Contains(err.Error(), "not sweepable") || !strings.Contains(err.Error(), "faults[N]") {
		t.Errorf("err = %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"4096", 4096, true}, {"4k", 4096, true}, {"1GiB", 1 << 30, true}, {"256m", 256 << 20, true},
		{"2TB", 2 << 40, true}, {"", 0, false}, {"k", 0, false}, {"1x", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("kind: Suite\nscenarios: [{scenario: baseline}]"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScenario("fuzz.yaml", data)
		if err == nil && s == nil {
			t.Fatal("nil scenario without error")
		}
	})
}

// TestDisjointVerifyingWorkloadsValidate checks that workloads sharing a
// volume are accepted when their regions do not overlap, or when the
// other workload only reads.
func TestDisjointVerifyingWorkloadsValidate(t *testing.T) {
	for _, other := range []string{
		"{name: w2, volume: vol0, rw: randwrite, bs: 4k, offset: 32MiB}",
		"{name: w2, volume: vol0, rw: randread, bs: 4k}",
	} {
		doc := strings.Replace(minimal, "iodepth: 8}", "iodepth: 8, verify: crc32c, size: 32MiB}\n  - "+other, 1)
		if _, err := ParseScenario("t.yaml", []byte(doc)); err != nil {
			t.Errorf("with %s: %v", other, err)
		}
	}
}

// TestOverlapWithJobFile: a job file's verifying job and an inline
// workload writing the same blocks are refused like two inline ones; at
// separate offsets they are accepted.
func TestOverlapWithJobFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		fio, offset string
		want        bool // refused
	}{
		{"size=32MiB", "16MiB", true},
		{"size=32MiB", "32MiB", false},
		{"size=32MiB\nfilesize=16MiB", "16MiB", false}, // filesize is the region
		{"size=50%", "16MiB", true},                    // of a 64MiB volume
	} {
		fio := "[verified]\nrw=randwrite\nbs=4k\nverify=crc32c\n" + tc.fio + "\n"
		if err := os.WriteFile(filepath.Join(dir, "v.fio"), []byte(fio), 0o644); err != nil {
			t.Fatal(err)
		}
		doc := strings.Replace(minimal, "{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8}",
			"{name: w, volume: vol0, fio: v.fio}\n  - {name: w2, volume: vol0, rw: randwrite, bs: 4k, offset: "+tc.offset+"}", 1)
		_, err := ParseScenario(filepath.Join(dir, "s.yaml"), []byte(doc))
		refused := err != nil && strings.Contains(err.Error(), `workload "w2" also writes`)
		if refused != tc.want {
			t.Errorf("%s, w2 at %s: err %v, want refused %v", tc.fio, tc.offset, err, tc.want)
		}
	}
}
