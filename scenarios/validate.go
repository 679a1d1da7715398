package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// Limits a scenario must respect. Node names become network namespace and
// veth names (15 bytes in Linux) with a prefix, hence the short maximum.
const (
	maxNodeName = 8
	minKATO     = 100 * time.Millisecond
	maxDuration = 24 * time.Hour
)

var (
	namePattern     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	validPolicies   = []string{"failover", "round-robin", "queue-depth"}
	validBackends   = []string{"local", "kubernetes"}
	validTargets    = []string{"embedded", "spdk", "external"}
	validBackings   = []string{"malloc", "file", "lvol"}
	validStatistics = []string{"worst", "median", "p90"}
)

// runOwnedOptions are fio options the run sets on every job, each with
// what sets it: an inline value would be silently replaced.
var runOwnedOptions = map[string]string{
	"runtime":         "timeline.duration, or the workload's own runtime (lower case, a Go duration)",
	"ramp_time":       "timeline.warmup",
	"time_based":      "the timeline (every job runs for timeline.duration)",
	"randseed":        "the scenario's seed (seed or --seed)",
	"filename":        "the workload's volume",
	"directory":       "the workload's volume",
	"filename_format": "the workload's volume",
	"stonewall":       "the timeline (every workload runs from its start)",
	"wait_for":        "the timeline (every workload runs from its start)",
	"startdelay":      "the workload's own startdelay (lower case, a Go duration)",
}

// validator collects semantic errors, locating each by its field path.
type validator struct {
	file string
	pos  positions
	errs Errors
	// faults are the timeline's faults with their params parsed, by
	// index: what the run builds them from.
	faults []catalog.Config
}

func (v *validator) errorf(field, format string, a ...any) {
	e := &FieldError{File: v.file, Field: field, Msg: fmt.Sprintf(format, a...)}
	// Point at the field, or at its closest ancestor present in the file.
	for p := field; p != ""; p = parentPath(p) {
		if n, ok := v.pos[p]; ok {
			e.Line, e.Column = n.Line, n.Column
			break
		}
	}
	v.errs = append(v.errs, e)
}

func parentPath(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return ""
}

func (v *validator) oneOf(field, value string, allowed []string) bool {
	if value == "" || slices.Contains(allowed, value) {
		return true
	}
	v.errorf(field, "%q is not allowed (want one of %s)", value, strings.Join(allowed, ", "))
	return false
}

func (v *validator) name(field, value string, maxLen int) {
	switch {
	case value == "":
		v.errorf(field, "required")
	case !namePattern.MatchString(value):
		v.errorf(field, "%q: use lower-case letters, digits and '-'", value)
	case maxLen > 0 && len(value) > maxLen:
		v.errorf(field, "%q: at most %d characters (it names network namespaces and interfaces)", value, maxLen)
	}
}

func (v *validator) scenario(s *Scenario) {
	if s.APIVersion != APIVersion {
		v.errorf("apiVersion", "%q: want %q", s.APIVersion, APIVersion)
	}
	if s.Kind != KindScenario {
		v.errorf("kind", "%q: want %q", s.Kind, KindScenario)
	}
	v.name("metadata.name", s.Metadata.Name, 0)
	if s.Repeat < 0 || s.Repeat > 1000 {
		v.errorf("repeat", "%d: want 0..1000", s.Repeat)
	}
	v.cluster(&s.Cluster)
	v.kubernetes(s)
	v.volumes(s)
	v.workloads(s)
	v.host(&s.Host, "host")
	v.multipathSettings(s)
	v.timeline(s)
	v.slos(s)
	v.sweep(s)
	v.runnable(s)
}

func (v *validator) cluster(c *Cluster) {
	v.oneOf("cluster.backend", c.Backend, validBackends)
	v.oneOf("cluster.target", c.Target, validTargets)
	v.oneOf("cluster.restart", c.Restart, []string{"never", "on-failure", "always"})
	if len(c.Nodes) == 0 && !c.storageClassOnly() {
		v.errorf("cluster.nodes", "at least one node is required")
	}
	seen := map[string]bool{}
	for i, n := range c.Nodes {
		f := fmt.Sprintf("cluster.nodes[%d]", i)
		v.name(f, n, maxNodeName)
		if seen[n] {
			v.errorf(f, "node %q listed twice", n)
		}
		seen[n] = true
	}
	if c.Target == "external" {
		for _, n := range c.Nodes {
			if c.RPC[n] == "" {
				v.errorf("cluster.rpc", "target external needs the RPC address of node %q", n)
			}
			if c.Listen[n] == "" {
				v.errorf("cluster.listen", "target external needs the listener address (ip:port) of node %q", n)
			}
		}
	}
	for _, m := range []struct {
		field string
		nodes map[string]string
	}{{"cluster.rpc", c.RPC}, {"cluster.listen", c.Listen}} {
		for _, n := range slices.Sorted(maps.Keys(m.nodes)) {
			if !seen[n] {
				v.errorf(m.field+"."+n, "node %q is not in cluster.nodes", n)
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(c.Listen)) {
		if a := c.Listen[n]; !validAddrPort(a) {
			v.errorf("cluster.listen."+n, "%q: want ip:port", a)
		}
	}
	v.targetOnlyFields(c)
}

// targetOnlyFields refuses settings the chosen target kind would ignore,
// so a scenario never silently runs on a different target than it says.
func (v *validator) targetOnlyFields(c *Cluster) {
	kind := cmp.Or(c.Target, targetEmbedded)
	if c.SPDKBin != "" && kind != targetSPDK {
		v.errorf("cluster.spdk_bin", "only used with target: spdk (target is %s); add target: spdk", kind)
	}
	if kind != targetExternal {
		if len(c.RPC) > 0 {
			v.errorf("cluster.rpc", "only used with target: external (target is %s): the harness gives the targets it starts their own RPC address", kind)
		}
		if len(c.Listen) > 0 {
			v.errorf("cluster.listen", "only used with target: external (target is %s): the harness gives the targets it starts their own listener address", kind)
		}
	} else if c.Restart != "" && c.Restart != "never" {
		v.errorf("cluster.restart", "%q: the harness does not run external targets, so it cannot restart them", c.Restart)
	}
}

func (v *validator) volumes(s *Scenario) {
	if len(s.Volumes) == 0 {
		v.errorf("volumes", "at least one volume is required")
	}
	used := map[string]bool{}
	names := map[string]bool{}
	for i, vol := range s.Volumes {
		f := fmt.Sprintf("volumes[%d]", i)
		v.name(f+".name", vol.Name, 0)
		if names[vol.Name] {
			v.errorf(f+".name", "volume %q defined twice", vol.Name)
		}
		names[vol.Name] = true
		if vol.Size <= 0 || vol.Size%4096 != 0 {
			v.errorf(f+".size", "%s: want a positive multiple of 4KiB", vol.Size)
		}
		if len(vol.Nodes) == 0 && !s.Cluster.volumesClaimed() {
			v.errorf(f+".nodes", "at least one node is required")
		}
		for j, n := range vol.Nodes {
			used[n] = true
			if !slices.Contains(s.Cluster.Nodes, n) {
				v.errorf(fmt.Sprintf("%s.nodes[%d]", f, j), "node %q is not in cluster.nodes %v", n, s.Cluster.Nodes)
			}
		}
		for n, state := range vol.ANA {
			if !slices.Contains(vol.Nodes, n) {
				v.errorf(f+".ana."+n, "node %q does not export this volume", n)
			}
			if err := rpcfault.CheckANAState(state); err != nil {
				v.errorf(f+".ana."+n, "%v", err)
			}
		}
		v.oneOf(f+".backing", vol.Backing, validBackings)
		if vol.Shared != nil && len(vol.Nodes) < 2 {
			v.errorf(f+".shared", "only means something for a volume on two or more nodes")
		}
	}
	for i, n := range s.Cluster.Nodes {
		if !used[n] && !s.Cluster.volumesClaimed() { // the driver places them
			v.errorf(fmt.Sprintf("cluster.nodes[%d]", i), "node %q exports no volume; remove it or add it to a volume", n)
		}
	}
}

func (v *validator) workloads(s *Scenario) {
	if len(s.Workloads) == 0 {
		v.errorf("workloads", "at least one workload is required")
	}
	names := map[string]bool{}
	for i, w := range s.Workloads {
		f := fmt.Sprintf("workloads[%d]", i)
		v.name(f+".name", w.Name, 0)
		if names[w.Name] {
			v.errorf(f+".name", "workload %q defined twice", w.Name)
		}
		names[w.Name] = true
		if !slices.ContainsFunc(s.Volumes, func(vol Volume) bool { return vol.Name == w.Volume }) {
			v.errorf(f+".volume", "volume %q is not defined in volumes", w.Volume)
		}
		v.workloadSpan(s, f, w)
		if w.Fio != "" {
			if len(w.Options) > 0 {
				v.errorf(f+".fio", "give either a fio job file or inline fio options, not both")
			}
			if _, err := v.jobsOf(w); err != nil {
				v.errorf(f+".fio", "%v", err)
			}
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(w.Options)) {
			if owner, ok := runOwnedOptions[strings.ToLower(k)]; ok {
				v.errorf(f+"."+k, "set by %s for every workload; remove it", owner)
			}
		}
		if _, err := JobOf(w); err != nil {
			v.errorf(f, "%v", err)
		}
	}
	v.sharedVolumes(s)
}

// workloadSpan checks that a workload's part of the timeline lies inside
// it: it starts before the end and, with its runtime, ends by the end.
func (v *validator) workloadSpan(s *Scenario, f string, w Workload) {
	d := s.Timeline.Duration.D()
	if d <= 0 {
		return // reported by timeline
	}
	switch start, run := w.StartDelay.D(), w.Runtime.D(); {
	case start >= d:
		v.errorf(f+".startdelay", "%s: the workload would start at or after the end of the timeline (duration %s)", w.StartDelay, s.Timeline.Duration)
	case start+run > d:
		v.errorf(f+".runtime", "startdelay %s + runtime %s = %s ends past the end of the timeline (duration %s)",
			w.StartDelay, w.Runtime, Duration(start+run), s.Timeline.Duration)
	}
}

// sharedVolumes refuses a verifying workload whose blocks another workload
// on the same volume writes: each workload verifies against its own record
// of what it wrote, so the other's writes would read back as lost writes.
// Each job of a fio job file counts as a region of its workload; jobs
// within one workload are checked by the engine.
func (v *validator) sharedVolumes(s *Scenario) {
	type region struct {
		start, end     int64
		writes, verify bool
	}
	regions := make([][]region, len(s.Workloads))
	for i, w := range s.Workloads {
		vi := slices.IndexFunc(s.Volumes, func(vol Volume) bool { return vol.Name == w.Volume })
		jobs, err := v.jobsOf(w)
		if vi < 0 || err != nil {
			continue // reported by workloads
		}
		for _, j := range jobs {
			start, end := j.Span(int64(s.Volumes[vi].Size))
			regions[i] = append(regions[i], region{start: start, end: end, writes: j.RW.Writes(), verify: j.Verify != ""})
		}
	}
	overlap := func(as, bs []region) bool {
		for _, a := range as {
			for _, b := range bs {
				if a.verify && b.writes && a.start < b.end && b.start < a.end {
					return true
				}
			}
		}
		return false
	}
	for i := range regions {
		for k := range regions {
			if i != k && s.Workloads[i].Volume == s.Workloads[k].Volume && overlap(regions[i], regions[k]) {
				v.errorf(fmt.Sprintf("workloads[%d]", i), "verifies blocks of volume %q that workload %q also writes; "+
					"give each an offset/size of its own", s.Workloads[i].Volume, s.Workloads[k].Name)
			}
		}
	}
}

// jobsOf returns a workload's jobs as validation sees them: its inline
// job, or its fio job file read relative to the scenario file.
func (v *validator) jobsOf(w Workload) ([]workloads.Job, error) {
	if w.Fio == "" {
		j, err := JobOf(w)
		return []workloads.Job{j}, err
	}
	if strings.HasPrefix(v.file, "builtin:") {
		return nil, errors.New("built-in scenarios cannot reference job files")
	}
	path := w.Fio
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(v.file), path)
	}
	jobs, err := workloads.ParseFioFile(path, workloads.WithTarget("")) // the volume is the target
	if err != nil {
		return nil, err
	}
	return jobs, workloads.CheckConcurrent(jobs)
}

// JobOf builds the fio job of an inline workload: fio's defaults, then the
// workload's options in name order (so errors are stable).
func JobOf(w Workload) (workloads.Job, error) {
	j := workloads.DefaultJob(w.Name)
	keys := make([]string, 0, len(w.Options))
	for k := range w.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := workloads.ApplyOption(&j, k, w.Options[k]); err != nil {
			return j, err
		}
	}
	return j, nil
}

func (v *validator) host(h *Host, f string) {
	v.oneOf(f+".policy", h.Policy, validPolicies)
	if h.KATO != 0 && h.KATO.D() < minKATO {
		v.errorf(f+".kato", "%s: at least %s", h.KATO, minKATO)
	}
	if h.QueueSize != 0 && (h.QueueSize < 2 || h.QueueSize > 1024) {
		v.errorf(f+".queue_size", "%d: want 2..1024", h.QueueSize)
	}
	if h.NrIOQueues < 0 || h.NrIOQueues > 128 {
		v.errorf(f+".nr_io_queues", "%d: want 0..128 (0: one per workload job)", h.NrIOQueues)
	}
	if h.CtrlLossTmo != 0 && h.ReconnectDelay.D() > h.CtrlLossTmo.D() {
		v.errorf(f+".reconnect_delay", "%s is longer than ctrl_loss_tmo %s: the path would never reconnect", h.ReconnectDelay, h.CtrlLossTmo)
	}
}

// anaName spells a validated ANA state the way SPDK's RPC does; empty
// stays empty (the target's default, optimized).
func anaName(s string) string {
	st, err := nvme.ParseANAState(s)
	if s == "" || err != nil {
		return s
	}
	return st.String()
}

// multipathSettings refuses multipath host settings in a scenario whose
// volumes all have one path: the host would ignore them, and a sweep over
// them would measure one setting in every cell.
func (v *validator) multipathSettings(s *Scenario) {
	if slices.ContainsFunc(s.Volumes, func(vol Volume) bool { return len(vol.Nodes) > 1 }) {
		return
	}
	h := s.Host
	for _, set := range []struct {
		field string
		isSet bool
	}{
		{"reconnect_delay", h.ReconnectDelay != 0},
		{"ctrl_loss_tmo", h.CtrlLossTmo != 0},
		{"fast_io_fail_tmo", h.FastIOFailTmo != 0},
		{"policy", h.Policy != ""},
	} {
		if set.isSet {
			v.errorf("host."+set.field, "only applies to a volume on two or more nodes (multipath); every volume here has one node")
		}
	}
}

func validAddrPort(s string) bool {
	_, err := netip.ParseAddrPort(s)
	return err == nil
}
