package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// Kind is the kind of a swept resource.
type Kind string

// Resource kinds, in the order Sweep removes them.
const (
	KindProcess   Kind = "process"
	KindNamespace Kind = "netns"
	KindLink      Kind = "link"
	KindNftables  Kind = "nftables"
	KindState     Kind = "state"
)

// Resource is one thing Sweep removed (or would remove).
type Resource struct {
	Kind Kind
	// Name is the namespace, link, "family table", state file or PID.
	Name string
	// Detail says why it matched, e.g. the run it belongs to.
	Detail string
}

func (r Resource) String() string {
	if r.Detail == "" {
		return fmt.Sprintf("%s %s", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %s (%s)", r.Kind, r.Name, r.Detail)
}

// SweepOption changes how Sweep works.
type SweepOption func(*sweeper)

// WithDryRun makes Sweep only list what it would remove.
func WithDryRun(dry bool) SweepOption { return func(s *sweeper) { s.dry = dry } }

// WithStateDir reads state files from dir instead of DefaultStateDir().
func WithStateDir(dir string) SweepOption { return func(s *sweeper) { s.stateDir = dir } }

// WithLiveRuns also sweeps runs whose harness process is still alive;
// by default they are left alone, so cleanup never breaks a running test.
func WithLiveRuns(include bool) SweepOption { return func(s *sweeper) { s.live = include } }

// WithDeadRunsOnly sweeps only runs registered in the state directory
// whose harness is gone (killed, crashed), and only what is named after
// them: nothing unregistered, nothing of a live or detached run. It is
// what a new run may do unasked; clusters registered elsewhere (tests
// with a state directory of their own) are never touched.
func WithDeadRunsOnly() SweepOption { return func(s *sweeper) { s.deadOnly = true } }

type sweeper struct {
	prefix   string
	stateDir string
	dry      bool
	live     bool
	deadOnly bool
	skip     []string // names of live runs left alone
	only     []string // with deadOnly, the dead runs swept
	found    []Resource
	errs     []error
}

// Sweep removes what crashed runs whose names start with prefix left
// behind: target processes (from state files, their RunEnv, or their
// namespace), network namespaces, links (bridges, veths), nftables tables
// (named with the prefix, '-' or '_' separated) and state files. It returns
// what it removed, and carries on past failures, joining their errors.
// Runs whose harness still lives are skipped unless WithLiveRuns(true).
// Namespaces and links need root; without it only processes and state are
// swept. prefix must be non-empty.
func Sweep(ctx context.Context, prefix string, opts ...SweepOption) ([]Resource, error) {
	if prefix == "" {
		return nil, errors.New("sweep: empty prefix would match everything")
	}
	s := &sweeper{prefix: prefix, stateDir: DefaultStateDir()}
	for _, o := range opts {
		o(s)
	}
	states := s.readStates()
	s.sweepProcesses(ctx, states)
	if netns.Available() == nil {
		s.sweepNamespaces(ctx)
		s.sweepLinks(ctx)
		s.sweepNftables(ctx)
	}
	s.sweepStates(states)
	return s.found, errors.Join(s.errs...)
}

// matches reports whether a name belongs to the prefix and to no live run
// (with WithDeadRunsOnly: to one of the dead runs).
func (s *sweeper) matches(name string) bool {
	if !strings.HasPrefix(name, s.prefix) && !strings.HasPrefix(name, strings.ReplaceAll(s.prefix, "-", "_")) {
		return false
	}
	if s.deadOnly {
		return slices.ContainsFunc(s.only, func(run string) bool { return ownedBy(name, run) })
	}
	return !slices.ContainsFunc(s.skip, func(run string) bool { return ownedBy(name, run) })
}

// ownedBy reports whether name is run's, or one of the names it makes.
func ownedBy(name, run string) bool {
	under := strings.ReplaceAll(run, "-", "_") // nftables spelling
	return name == run || strings.HasPrefix(name, run+"-") || strings.HasPrefix(name, run+"_") ||
		name == under || strings.HasPrefix(name, under+"_")
}

// stateEntry is one registered run: its registration link and its state
// (nil when the link dangles or the file is unreadable).
type stateEntry struct {
	link  string
	state *State
}

// readStates loads the registered runs matching the prefix, and notes the
// live ones to skip.
func (s *sweeper) readStates() []stateEntry {
	ents, err := os.ReadDir(s.stateDir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.errs = append(s.errs, fmt.Errorf("sweep: state dir: %w", err))
		}
		return nil
	}
	var out []stateEntry
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".json")
		if name == e.Name() || !strings.HasPrefix(name, s.prefix) {
			continue
		}
		link := filepath.Join(s.stateDir, e.Name())
		st, err := readState(link)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.errs = append(s.errs, fmt.Errorf("sweep: %w", err))
		}
		switch {
		case s.deadOnly && (st == nil || st.Owner.Alive()):
			continue
		case s.deadOnly:
			s.only = append(s.only, st.Name)
		case st != nil && st.Owner.Alive() && !s.live && !st.Detached:
			s.skip = append(s.skip, st.Name)
			continue
		}
		out = append(out, stateEntry{link: link, state: st})
	}
	return out
}

// sweepProcesses kills targets recorded in state files or carrying the
// run's RunEnv, whichever finds them.
func (s *sweeper) sweepProcesses(ctx context.Context, states []stateEntry) {
	procs := map[int]Resource{}
	refs := map[int]ProcRef{}
	for _, e := range states {
		if e.state == nil {
			continue
		}
		if e.state.Detached && e.state.Owner.Alive() {
			refs[e.state.Owner.PID] = e.state.Owner
			procs[e.state.Owner.PID] = Resource{KindProcess, strconv.Itoa(e.state.Owner.PID), e.state.Name + " (detached provision)"}
		}
		for node, ref := range e.state.Processes {
			if ref.Alive() {
				refs[ref.PID] = ref
				procs[ref.PID] = Resource{KindProcess, strconv.Itoa(ref.PID), e.state.Name + " node " + node}
			}
		}
	}
	for pid, run := range s.envProcesses() {
		if _, ok := refs[pid]; !ok {
			if ref := procRef(pid); ref.PID != 0 {
				refs[pid] = ref
				procs[pid] = Resource{KindProcess, strconv.Itoa(pid), RunEnv + "=" + run}
			}
		}
	}
	if !s.dry {
		s.stopDetached(ctx, states)
	}
	pids := make([]int, 0, len(refs))
	for pid := range refs {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	var kill []ProcRef
	for _, pid := range pids {
		s.found = append(s.found, procs[pid])
		kill = append(kill, refs[pid])
	}
	if s.dry {
		return
	}
	if err := killAll(ctx, kill); err != nil {
		s.errs = append(s.errs, fmt.Errorf("sweep: %w", err))
	}
	for _, e := range states {
		if e.state != nil {
			if err := removeDPDKDirs(e.state.SPDKPIDs); err != nil {
				s.errs = append(s.errs, fmt.Errorf("sweep: %s: %w", e.state.Name, err))
			}
		}
	}
}

// envProcesses scans /proc for processes whose RunEnv matches, by PID.
// Processes of other users are unreadable and skipped.
func (s *sweeper) envProcesses() map[int]string {
	out := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	key := []byte(RunEnv + "=")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if run, ok := bytes.CutPrefix(kv, key); ok && s.matches(string(run)) {
				out[pid] = string(run)
			}
		}
	}
	return out
}

func (s *sweeper) sweepNamespaces(ctx context.Context) {
	names, err := netns.Namespaces(ctx)
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("sweep: %w", err))
		return
	}
	for _, ns := range names {
		if !s.matches(ns) {
			continue
		}
		pids, err := netns.NamespacePIDs(ctx, ns)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("sweep: netns %s: %w", ns, err))
		}
		for _, pid := range pids {
			s.found = append(s.found, Resource{KindProcess, strconv.Itoa(pid), "in netns " + ns})
		}
		s.found = append(s.found, Resource{Kind: KindNamespace, Name: ns})
		if !s.dry {
			if err := killNamespace(ctx, ns); err != nil {
				s.errs = append(s.errs, fmt.Errorf("sweep: netns %s: %w", ns, err))
			}
		}
	}
}

func (s *sweeper) sweepLinks(ctx context.Context) {
	names, err := netns.Links(ctx, "")
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("sweep: %w", err))
		return
	}
	// Veths first: deleting a bridge first would work too, but removing
	// the ports before the bridge mirrors Destroy's order.
	sort.SliceStable(names, func(i, j int) bool {
		return !strings.HasSuffix(names[i], "-br") && strings.HasSuffix(names[j], "-br")
	})
	for _, l := range names {
		if !s.matches(l) {
			continue
		}
		s.found = append(s.found, Resource{Kind: KindLink, Name: l})
		if !s.dry {
			// A veth may already be gone with its peer's namespace.
			if err := netns.DeleteLink(ctx, l); err != nil {
				s.errs = append(s.errs, fmt.Errorf("sweep: link %s: %w", l, err))
			}
		}
	}
}

func (s *sweeper) sweepStates(states []stateEntry) {
	for _, e := range states {
		name := strings.TrimSuffix(filepath.Base(e.link), ".json")
		s.found = append(s.found, Resource{Kind: KindState, Name: e.link, Detail: name})
		if s.dry {
			continue
		}
		if e.state != nil {
			if err := removeState(s.stateDir, e.state); err != nil {
				s.errs = append(s.errs, fmt.Errorf("sweep: %w", err))
			}
		} else if err := os.Remove(e.link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.errs = append(s.errs, fmt.Errorf("sweep: %w", err))
		}
	}
}

// detachedGrace is how long a detached provision gets to tear its cluster
// down after SIGTERM before the sweep kills what is left.
const detachedGrace = 15 * time.Second

// stopDetached asks each live detached owner to tear its cluster down
// itself (SIGTERM): it knows its volumes and files, the sweep only names.
func (s *sweeper) stopDetached(ctx context.Context, states []stateEntry) {
	var owners []ProcRef
	for _, e := range states {
		if e.state != nil && e.state.Detached && e.state.Owner.Alive() {
			_ = syscall.Kill(e.state.Owner.PID, syscall.SIGTERM)
			owners = append(owners, e.state.Owner)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, detachedGrace)
	defer cancel()
	for _, o := range owners {
		// One that outlives the grace is killed with the rest.
		_ = poll.Until(ctx, fmt.Sprintf("detached provision pid %d to exit", o.PID),
			poll.Holds(func() bool { return !o.Alive() }), poll.Every(pollInterval), poll.Within(0))
	}
}

// killAll SIGKILLs each process still matching its ProcRef (and its group
// when it leads one) and waits, up to killTimeout or ctx, until all are gone.
func killAll(ctx context.Context, refs []ProcRef) error {
	for _, r := range refs {
		if !r.Alive() {
			continue
		}
		if st := procRef(r.PID); st == r {
			_ = syscall.Kill(-r.PID, syscall.SIGKILL) // its group, if it leads one
			_ = syscall.Kill(r.PID, syscall.SIGKILL)
		}
	}
	return poll.Until(ctx, "killed processes to exit", func(context.Context) error {
		var left []string
		for _, r := range refs {
			if r.Alive() {
				left = append(left, strconv.Itoa(r.PID))
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("pids %s still alive after SIGKILL", strings.Join(left, ", "))
		}
		return nil
	}, poll.Every(pollInterval), poll.Within(killTimeout))
}
