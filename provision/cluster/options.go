package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/supervisor"
)

// Mode is how nodes are isolated from each other.
type Mode string

// Modes.
const (
	// ModeAuto uses namespaces when root and ip are available, loopback otherwise.
	ModeAuto Mode = ""
	// ModeNetns makes each node a network namespace on a bridge (needs root).
	ModeNetns Mode = "netns"
	// ModeLoopback runs every node's target on 127.0.0.1 with its own port:
	// no root needed, no network faults possible.
	ModeLoopback Mode = "loopback"
)

// TargetKind is which NVMe-oF target a node runs.
type TargetKind string

// Target kinds.
const (
	// TargetEmbedded runs `nvmf-chaos target --rpc-socket SOCK`.
	TargetEmbedded TargetKind = "embedded"
	// TargetSPDK runs SPDK's nvmf_tgt without hugepages or PCI devices.
	TargetSPDK TargetKind = "spdk"
)

// Defaults.
const (
	// DefaultPrefix starts every name a cluster creates.
	DefaultPrefix = "nvmfc"
	// DefaultDataPort is the NVMe/TCP port nodes listen on in ModeNetns.
	DefaultDataPort = 4420
	// DefaultRPCPort is where embedded targets in namespaces serve JSON-RPC
	// over TCP (SPDK's customary -r host:5260).
	DefaultRPCPort = 5260
	// DefaultGrace is how long Destroy lets a target exit after SIGTERM.
	DefaultGrace = 2 * time.Second
)

// benchNet is 198.18.0.0/15 (RFC 2544), the only range nodes get addresses
// from: it is set aside for benchmarking, so it never collides with a real
// network the machine is on.
var benchNet = netip.MustParsePrefix("198.18.0.0/15")

// Options configure a Cluster. Only Nodes and RunDir are required.
type Options struct {
	// Nodes are the node names: lower-case letters, digits and '-'.
	Nodes []string
	// RunDir holds the nodes' RPC sockets, logs/ and state.json.
	RunDir string
	// RunID tells this run's names apart; 1-6 lower-case letters or digits,
	// random when empty.
	RunID string
	// Prefix starts every name; DefaultPrefix when empty.
	Prefix string
	// Mode picks namespaces or loopback; ModeAuto by default.
	Mode Mode
	// Subnet is the nodes' network in ModeNetns: a prefix of /16 to /29
	// inside 198.18.0.0/15. By default a /24 derived from the run ID, so
	// concurrent runs rarely collide (Create refuses a subnet in use).
	Subnet netip.Prefix
	// DataPort is the port nodes' listeners use in ModeNetns.
	DataPort uint16
	// Target is the target kind; TargetEmbedded by default.
	Target TargetKind
	// Binary is the target program: the nvmf-chaos binary for
	// TargetEmbedded (this executable by default), nvmf_tgt for TargetSPDK.
	Binary string
	// TargetArgs are appended to the target's command line.
	TargetArgs []string
	// Restart is the targets' restart policy when they exit on their own;
	// a restarted target comes back empty, so whoever provisioned it must
	// provision it again (watch Node.Process.Starts).
	Restart supervisor.RestartPolicy
	// StateDir is where runs register their state for Sweep;
	// DefaultStateDir() when empty.
	StateDir string
	// Detached marks the cluster as left running on purpose, for a plain
	// cleanup to tear down although its owner lives (see State.Detached).
	Detached bool
	// Logger receives progress and the loopback fallback notice.
	Logger *slog.Logger
}

var (
	nodeNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)
	runIDRE    = regexp.MustCompile(`^[a-z0-9]{1,6}$`)
	prefixRE   = regexp.MustCompile(`^[a-z][a-z0-9]{0,4}$`)
)

// MaxNodes keeps host-side veth names ("<prefix>-<id>-<index>") within
// Linux's 15-character interface names.
const MaxNodes = 100

// maxSocketPath is the longest unix socket path Linux accepts.
const maxSocketPath = 107

// normalize fills defaults and checks every field, naming the bad one.
func (o *Options) normalize() error {
	if len(o.Nodes) == 0 || len(o.Nodes) > MaxNodes {
		return fmt.Errorf("local cluster: %d nodes, want 1 to %d", len(o.Nodes), MaxNodes)
	}
	seen := map[string]bool{}
	for _, n := range o.Nodes {
		if !nodeNameRE.MatchString(n) {
			return fmt.Errorf("local cluster: node name %q: want 1-32 lower-case letters, digits or '-'", n)
		}
		if seen[n] {
			return fmt.Errorf("local cluster: node %q listed twice", n)
		}
		seen[n] = true
	}
	if o.RunDir == "" {
		return errors.New("local cluster: RunDir is required")
	}
	abs, err := filepath.Abs(o.RunDir)
	if err != nil {
		return fmt.Errorf("local cluster: RunDir: %w", err)
	}
	o.RunDir = abs
	if err := o.normalizeNames(); err != nil {
		return err
	}
	if err := o.normalizeNet(); err != nil {
		return err
	}
	return o.normalizeTarget()
}

func (o *Options) normalizeNames() error {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(o.Prefix) {
		return fmt.Errorf("local cluster: prefix %q: want 1-5 lower-case letters or digits, starting with a letter", o.Prefix)
	}
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if !runIDRE.MatchString(o.RunID) {
		return fmt.Errorf("local cluster: run ID %q: want 1-6 lower-case letters or digits", o.RunID)
	}
	for _, n := range o.Nodes {
		if p := socketPath(o.RunDir, n); len(p) > maxSocketPath {
			return fmt.Errorf("local cluster: node %s: RPC socket path %s is longer than %d bytes; use a shorter RunDir",
				n, p, maxSocketPath)
		}
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func (o *Options) normalizeNet() error {
	if o.DataPort == 0 {
		o.DataPort = DefaultDataPort
	}
	if !o.Subnet.IsValid() {
		o.Subnet = subnetFor(o.RunID)
	}
	o.Subnet = o.Subnet.Masked()
	if !o.Subnet.Addr().Is4() || o.Subnet.Bits() < 16 || o.Subnet.Bits() > 29 ||
		!benchNet.Contains(o.Subnet.Addr()) {
		return fmt.Errorf("local cluster: subnet %s: want a /16 to /29 inside %s", o.Subnet, benchNet)
	}
	if hosts := 1<<(32-o.Subnet.Bits()) - 2; hosts < firstNodeHost+len(o.Nodes) {
		return fmt.Errorf("local cluster: subnet %s has room for %d nodes, not %d",
			o.Subnet, max(0, hosts-firstNodeHost), len(o.Nodes))
	}
	switch o.Restart {
	case supervisor.RestartNever, supervisor.RestartOnFailure, supervisor.RestartAlways:
	default:
		return fmt.Errorf("local cluster: restart policy %q: want %q, %q or none", o.Restart,
			supervisor.RestartOnFailure, supervisor.RestartAlways)
	}
	switch o.Mode {
	case ModeAuto, ModeNetns, ModeLoopback:
		return nil
	default:
		return fmt.Errorf("local cluster: mode %q: want %q or %q", o.Mode, ModeNetns, ModeLoopback)
	}
}

func (o *Options) normalizeTarget() error {
	switch o.Target {
	case "", TargetEmbedded:
		o.Target = TargetEmbedded
		if o.Binary == "" {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("local cluster: embedded target binary: %w", err)
			}
			o.Binary = exe
		}
	case TargetSPDK:
		if o.Binary == "" {
			return errors.New("local cluster: the spdk target needs the path of nvmf_tgt")
		}
	default:
		return fmt.Errorf("local cluster: target %q: want %q or %q", o.Target, TargetEmbedded, TargetSPDK)
	}
	if _, err := os.Stat(o.Binary); err != nil {
		return fmt.Errorf("local cluster: %s target: %w", o.Target, err)
	}
	return nil
}

// NewRunID returns a random 6-character run ID.
func NewRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// subnetFor picks one of the 384 /24s of 198.18.0.0/15 below
// 198.19.128.0/17 from the run ID; that upper block is the Kubernetes test
// cluster's (internal/testcluster), whose routes would clash.
func subnetFor(runID string) netip.Prefix {
	h := fnv.New32a()
	_, _ = h.Write([]byte(runID))
	i := h.Sum32() % 384
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i/256), byte(i % 256), 0}), 24)
}

// firstNodeHost is the host number of the first node; .1 is the bridge.
const firstNodeHost = 11

// hostAddr is the n-th address of p.
func hostAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// socketPath is a node's RPC socket in the run directory.
func socketPath(runDir, node string) string {
	return filepath.Join(runDir, node+".sock")
}

// DefaultStateDir is where clusters register their state files: /run when
// root, the user's runtime or temporary directory otherwise.
func DefaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/run/nvmf-chaos"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "nvmf-chaos")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("nvmf-chaos-%d", os.Getuid()))
}
