// Package volume creates and deletes NVMe-oF volumes through SPDK's
// JSON-RPC API, on real SPDK or the embedded target alike: a backing bdev, a
// subsystem with a stable serial and namespace identity, and listeners with
// ANA states on one or more nodes.
//
// Create is idempotent: it finds and reuses what a previous attempt made.
// Delete removes everything a volume could have created, in reverse order,
// and carries on past errors, so it also cleans up after a partial Create.
package volume

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// Prefix starts every name the harness gives to SPDK objects, so a sweep
// can tell them from anything else on a target.
const Prefix = "nvmfc"

// NQNPrefix starts the NQN of every subsystem the harness creates.
const NQNPrefix = "nqn.2016-06.io.nvmf-chaos:"

// Backing is what a volume's namespace stores its data in.
type Backing string

// Backings.
const (
	// Malloc is memory in one target process: single node only.
	Malloc Backing = "malloc"
	// File is a file every node opens (bdev_aio): the way two target
	// processes export one namespace, like two controllers of one array.
	File Backing = "file"
	// Lvol is a thin logical volume in an lvstore on a malloc base, as
	// spdk-csi provisions: single node only.
	Lvol Backing = "lvol"
)

// RPC is the part of the SPDK client volumes use.
type RPC interface {
	BdevMallocCreate(ctx context.Context, p rpc.BdevMallocCreateParams) (string, error)
	BdevAioCreate(ctx context.Context, p rpc.BdevAioCreateParams) (string, error)
	BdevGetBdevs(ctx context.Context, p rpc.BdevGetBdevsParams) ([]rpc.Bdev, error)
	BdevMallocDelete(ctx context.Context, name string) error
	BdevLvolCreateLvstore(ctx context.Context, p rpc.BdevLvolCreateLvstoreParams) (string, error)
	BdevLvolGetLvstores(ctx context.Context, p rpc.BdevLvolGetLvstoresParams) ([]rpc.Lvstore, error)
	BdevLvolCreate(ctx context.Context, p rpc.BdevLvolCreateParams) (string, error)
	BdevLvolDelete(ctx context.Context, name string) error
	BdevDelayCreate(ctx context.Context, p rpc.BdevDelayCreateParams) (string, error)
	BdevDelayDelete(ctx context.Context, name string) error
	BdevErrorCreate(ctx context.Context, p rpc.BdevErrorCreateParams) error
	BdevErrorDelete(ctx context.Context, name string) error
	NvmfCreateSubsystem(ctx context.Context, p rpc.NvmfCreateSubsystemParams) error
	NvmfDeleteSubsystem(ctx context.Context, p rpc.NvmfDeleteSubsystemParams) error
	NvmfGetSubsystems(ctx context.Context, p rpc.NvmfGetSubsystemsParams) ([]rpc.Subsystem, error)
	NvmfSubsystemAddNs(ctx context.Context, p rpc.NvmfSubsystemAddNsParams) (uint32, error)
	NvmfSubsystemAddListener(ctx context.Context, p rpc.NvmfSubsystemListenerParams) error
	NvmfSubsystemListenerSetAnaState(ctx context.Context, p rpc.NvmfSubsystemListenerSetAnaStateParams) error
	Call(ctx context.Context, method string, params, result any) error
}

// Path is one node that exports the volume.
type Path struct {
	Node string
	RPC  RPC
	// Addr is the listener, host:port.
	Addr string
	// ANA is the listener's ANA state ("optimized", "non_optimized",
	// "inaccessible"); empty means optimized.
	ANA string
}

// Spec describes a volume.
type Spec struct {
	// Name is the scenario's volume name; RunID makes names unique per run.
	Name, RunID string
	Size        int64
	BlockSize   int // default 4096
	Backing     Backing
	// FilePath is the shared backing file of a File volume; Create makes it
	// (sparse) when missing. The caller removes it.
	FilePath string
	// FileOnTarget says FilePath is on the targets' machine, made there
	// (by a Kubernetes target pod's init container): Create leaves it be.
	FileOnTarget bool
	Paths        []Path
	// Delay and Errors stack a bdev_delay and a bdev_error vbdev between the
	// backing bdev and the namespace, so backing-device faults can be
	// injected later (both start inert).
	Delay, Errors bool
}

// Volume is a created volume.
type Volume struct {
	Spec
	NQN    string
	Serial string
	// NGUID identifies the namespace on every path: multipath hosts group
	// paths by it.
	NGUID [16]byte
	NSID  uint32
}

// CheckSharing refuses a backing exported by more nodes than can open
// it: only a file is reachable from several target processes. Scenario
// validation calls it too, so a file is refused before a run starts.
func CheckSharing(b Backing, nodes int) error {
	if b != File && nodes > 1 {
		return fmt.Errorf("%s backing lives in one process and cannot be shared by %d nodes; use file", b, nodes)
	}
	return nil
}

// Names derives the volume's SPDK object names; they are stable for a
// (run, volume) pair, which is what makes Create idempotent.
func (s *Spec) names() (nqn, bdevName, lvs, serial string) {
	base := fmt.Sprintf("%s_%s_%s", Prefix, s.RunID, s.Name)
	sum := sha256.Sum256([]byte(base))
	return s.NQN(), base, base + "_lvs", fmt.Sprintf("NVMFC%015X", sum[:8])[:20]
}

// NQN is the subsystem NQN the volume gets, known before it exists.
func (s *Spec) NQN() string { return NQNPrefix + s.RunID + ":" + s.Name }

func (s *Spec) validate() error {
	switch {
	case s.Name == "" || s.RunID == "":
		return errors.New("volume needs a name and a run ID")
	case strings.ContainsAny(s.Name+s.RunID, " /:"):
		return fmt.Errorf("volume %q run %q: names may not contain spaces, '/' or ':'", s.Name, s.RunID)
	case len(s.Paths) == 0:
		return fmt.Errorf("volume %s: no node exports it", s.Name)
	case CheckSharing(s.Backing, len(s.Paths)) != nil:
		return fmt.Errorf("volume %s: %w", s.Name, CheckSharing(s.Backing, len(s.Paths)))
	case s.Backing == File && s.FilePath == "":
		return fmt.Errorf("volume %s: file backing needs a file path", s.Name)
	case s.Size <= 0:
		return fmt.Errorf("volume %s: size %d", s.Name, s.Size)
	}
	if s.BlockSize == 0 {
		s.BlockSize = 4096
	}
	if s.Size%int64(s.BlockSize) != 0 {
		return fmt.Errorf("volume %s: size %d is not a multiple of the block size %d", s.Name, s.Size, s.BlockSize)
	}
	return nil
}

// Create provisions the volume on every path, reusing what exists. On
// failure it deletes what this call created and returns the error.
func Create(ctx context.Context, spec Spec) (*Volume, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	nqn, _, _, serial := spec.names()
	v := &Volume{Spec: spec, NQN: nqn, Serial: serial}
	sum := sha256.Sum256([]byte(nqn))
	copy(v.NGUID[:], sum[:16])
	if spec.Backing == File && !spec.FileOnTarget {
		if err := EnsureFile(spec.FilePath, spec.Size); err != nil {
			return nil, fmt.Errorf("volume %s: %w", spec.Name, err)
		}
	}
	for _, p := range spec.Paths {
		if err := v.createOn(ctx, p); err != nil {
			err = fmt.Errorf("create volume %s on %s: %w", spec.Name, p.Node, err)
			if derr := v.Delete(context.WithoutCancel(ctx)); derr != nil {
				err = errors.Join(err, fmt.Errorf("cleanup: %w", derr))
			}
			return nil, err
		}
	}
	return v, nil
}

// EnsureFile creates a backing file or grows it (sparse) to size; it never
// shrinks one, so a restarted target keeps its data.
func EnsureFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("backing file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backing file: %w", err)
	}
	if st.Size() < size {
		if err := f.Truncate(size); err != nil {
			return fmt.Errorf("backing file %s: %w", path, err)
		}
	}
	return nil
}

// DelayBdev is the name of the volume's delay bdev (when Spec.Delay).
func (v *Volume) DelayBdev() string { _, name, _, _ := v.names(); return name + "_delay" }

// ErrorBdev is the name of the volume's error bdev (when Spec.Errors).
func (v *Volume) ErrorBdev() string {
	if v.Delay {
		return "EE_" + v.DelayBdev()
	}
	_, name, lvs, _ := v.names()
	if v.Backing == Lvol {
		return "EE_" + lvs + "/" + v.Name
	}
	return "EE_" + name
}

// Addr returns the listener address of a node's path.
func (v *Volume) Addr(node string) (string, bool) {
	for _, p := range v.Paths {
		if p.Node == node {
			return p.Addr, true
		}
	}
	return "", false
}

func splitAddr(addr string) (rpc.ListenAddress, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return rpc.ListenAddress{}, fmt.Errorf("listener %q: %w", addr, err)
	}
	fam := "IPv4"
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		fam = "IPv6"
	}
	return rpc.ListenAddress{Trtype: "TCP", Adrfam: fam, Traddr: host, Trsvcid: port}, nil
}
