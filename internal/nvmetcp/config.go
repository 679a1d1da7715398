package nvmetcp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// Defaults applied by Dial to zero Config fields.
const (
	DefaultPort           = "4420"
	DefaultQueueSize      = 128
	DefaultKATO           = 10 * time.Second
	DefaultIOTimeout      = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	// DefaultReconnectDelay and DefaultCtrlLossTmo are nvme-cli's multipath
	// defaults; fast_io_fail_tmo defaults to ctrl_loss_tmo.
	// DefaultReadSpin is the default Config.ReadSpin, the embedded
	// target's: longer than a loopback round trip, short enough that a
	// queue waiting on a slow target gives its CPU up soon.
	DefaultReadSpin       = 50 * time.Microsecond
	DefaultReconnectDelay = 10 * time.Second
	DefaultCtrlLossTmo    = 600 * time.Second
	adminQueueSize        = 32 // entries, as the Linux host uses
	maxQueueSize          = 4096
	fabricsICD            = 8192 // in-capsule limit for admin and Connect commands
)

// Config says where a controller is and how to connect to it. The zero
// value of every field except Addr and SubsysNQN picks a default.
type Config struct {
	Addr      string // host:port; the port defaults to 4420
	SubsysNQN string
	// HostNQN and HostID identify this host. Empty values are derived: the
	// HostID from a hash of HostNQN, both from one random per-process
	// identity when both are empty (so all paths of a process look alike).
	HostNQN string
	HostID  [16]byte
	// IOQueues is the number of I/O queues (default 1); the controller may
	// grant fewer (Set Features Number of Queues).
	IOQueues int
	// QueueSize is the number of entries per I/O queue (default 128), capped
	// by CAP.MQES+1. min(QueueSize-1, MAXCMD) commands may be outstanding.
	QueueSize int
	// KATO is the keep-alive timeout sent in the admin Connect (default
	// 10 s; negative disables keep-alive). Keep Alive goes out every KATO/2
	// and one not answered within KATO fails the controller.
	KATO time.Duration
	// IOTimeout bounds every command but Async Event Requests (default
	// 30 s). A command that exceeds it fails the controller.
	IOTimeout time.Duration
	// ConnectTimeout bounds Dial: TCP connect, ICReq and bring-up of all
	// queues (default 10 s).
	ConnectTimeout time.Duration
	// HeaderDigest and DataDigest request CRC32C digests in ICReq.
	HeaderDigest, DataDigest bool
	// DisableSQFlowControl sets Connect CATTR.DISSQFC; targets that honour
	// it may then complete reads by C2HData with SUCCESS (no CapsuleResp).
	DisableSQFlowControl bool
	// ReadSpin is how long an I/O queue's reader polls its socket for the
	// next PDU before parking, while the controller answers within that
	// time (default DefaultReadSpin; negative: never; Linux only). A busy
	// queue then spends up to ReadSpin of CPU per wait instead of
	// sleeping, as spdk_nvme_perf polls: at QD1 a parked reader pays a
	// vCPU wake-up per I/O. See package spinread.
	ReadSpin time.Duration
	// PolledIO starts no reader goroutine for the I/O queues: their
	// commands complete only while a caller polls the queue (Queue.Poll),
	// on that caller's goroutine. For an I/O engine that polls the queues
	// it waits on; the synchronous wrappers (ReadAt...) poll themselves.
	PolledIO bool
	// Dialer opens the TCP connections (default net.Dialer.DialContext).
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
	// OnEvent receives asynchronous events, one at a time, in order, on a
	// goroutine of the controller: it may issue admin commands.
	OnEvent func(Event)
}

// Event is an asynchronous event reported by the controller. Reading the
// log page it names (with ANALog for ANA changes) re-arms that event type.
type Event struct {
	nvme.AsyncEvent
	DW0 uint32
}

// withDefaults returns a copy of c with zero fields defaulted, or an error
// for values no controller could accept.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		return c, errors.New("config: Addr is empty")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		c.Addr = net.JoinHostPort(c.Addr, DefaultPort)
	}
	if c.SubsysNQN == "" || len(c.SubsysNQN) > nvme.MaxNQNLength {
		return c, fmt.Errorf("config: SubsysNQN %q must be 1..%d bytes", c.SubsysNQN, nvme.MaxNQNLength)
	}
	c.HostNQN, c.HostID = hostIdentity(c.HostNQN, c.HostID)
	if len(c.HostNQN) > nvme.MaxNQNLength {
		return c, fmt.Errorf("config: HostNQN longer than %d bytes", nvme.MaxNQNLength)
	}
	c.IOQueues = defaultInt(c.IOQueues, 1)
	c.QueueSize = defaultInt(c.QueueSize, DefaultQueueSize)
	if c.IOQueues < 1 || c.IOQueues > 0xFFFF || c.QueueSize < 2 || c.QueueSize > maxQueueSize {
		return c, fmt.Errorf("config: IOQueues %d (1..65535) or QueueSize %d (2..%d) out of range",
			c.IOQueues, c.QueueSize, maxQueueSize)
	}
	c.KATO = defaultDuration(c.KATO, DefaultKATO)
	c.IOTimeout = defaultDuration(c.IOTimeout, DefaultIOTimeout)
	c.ConnectTimeout = defaultDuration(c.ConnectTimeout, DefaultConnectTimeout)
	c.ReadSpin = defaultDuration(c.ReadSpin, DefaultReadSpin)
	if c.Dialer == nil {
		var d net.Dialer
		c.Dialer = d.DialContext
	}
	return c, nil
}

func defaultInt(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func defaultDuration(v, d time.Duration) time.Duration {
	if v == 0 {
		return d
	}
	return v
}

// katoMillis is the KATO field of the admin Connect.
func (c *Config) katoMillis() uint32 {
	if c.KATO <= 0 {
		return 0
	}
	return uint32(max(c.KATO.Milliseconds(), 1))
}

var processHost = sync.OnceValues(func() (string, [16]byte) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	id = uuidV4(id)
	return "nqn.2014-08.org.nvmexpress:uuid:" + formatUUID(id), id
})

// hostIdentity fills in a missing host NQN or host ID. A HostID derived
// from the NQN stays stable across runs, as targets expect per host NQN.
func hostIdentity(nqn string, id [16]byte) (string, [16]byte) {
	switch {
	case nqn == "" && id == [16]byte{}:
		return processHost()
	case nqn == "":
		return "nqn.2014-08.org.nvmexpress:uuid:" + formatUUID(id), id
	case id == [16]byte{}:
		sum := sha256.Sum256([]byte(nqn))
		copy(id[:], sum[:16])
		return nqn, uuidV4(id)
	}
	return nqn, id
}

func uuidV4(id [16]byte) [16]byte {
	id[6] = id[6]&0x0F | 0x40
	id[8] = id[8]&0x3F | 0x80
	return id
}

func formatUUID(id [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
}
