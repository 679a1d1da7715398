package nvmeof

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
)

// Target is a volume as the host reaches it: its paths, subsystem and
// namespace, and the host settings to reach it with. A run builds it from
// its scenario and passes it to OpenTarget as is; `bench` users write it
// as a URL (ParseURL), and URL gives that form back for logs and workers.
type Target struct {
	// Addrs are the paths, host:port each; several make a multipath
	// volume, or with Discover one discovery controller.
	Addrs []string
	NQN   string
	// NSID is the namespace; 0 picks the first active one (single path).
	NSID uint32
	// Discover says Addrs[0] is a discovery controller whose portals are
	// the volume's paths.
	Discover bool
	Host     Host
}

// Host is the host's settings, the fields of a scenario's host block
// (zero: the host's default).
type Host struct {
	KATO, IOTimeout          time.Duration
	IOQueues, QueueSize      int
	HeaderDigest, DataDigest bool
	HostNQN                  string
	// The multipath settings, used when the volume has several paths.
	ReconnectDelay, CtrlLossTmo, FastIOFailTmo time.Duration
	// Policy is failover, round-robin or queue-depth.
	Policy string
	// ReadSpin is nvmetcp.Config.ReadSpin (0: its default; negative: off).
	ReadSpin time.Duration
}

// check refuses settings the host cannot use, naming the URL option.
func (h Host) check() error {
	var errs []error
	if h.IOQueues != 0 && (h.IOQueues < 1 || h.IOQueues > 0xFFFF) {
		errs = append(errs, fmt.Errorf("nr_io_queues %d: want 1..%d", h.IOQueues, 0xFFFF))
	}
	if h.QueueSize != 0 && (h.QueueSize < 2 || h.QueueSize > maxQueueSize) {
		errs = append(errs, fmt.Errorf("queue_size %d: want 2..%d", h.QueueSize, maxQueueSize))
	}
	switch h.Policy {
	case "", nvmetcp.PolicyFailover, nvmetcp.PolicyRoundRobin, nvmetcp.PolicyQueueDepth:
	default:
		errs = append(errs, fmt.Errorf("policy %q: want failover, round-robin or queue-depth", h.Policy))
	}
	return errors.Join(errs...)
}

// configs are the controller and multipath configurations of t.
func (t Target) configs() (nvmetcp.Config, nvmetcp.MultipathConfig, error) {
	h := t.Host
	if len(t.Addrs) == 0 || t.NQN == "" {
		return nvmetcp.Config{}, nvmetcp.MultipathConfig{}, errors.New("want nvme+tcp://HOST:PORT/NQN")
	}
	if err := h.check(); err != nil {
		return nvmetcp.Config{}, nvmetcp.MultipathConfig{}, err
	}
	cfg := nvmetcp.Config{Addr: strings.Join(t.Addrs, ","), SubsysNQN: t.NQN, HostNQN: h.HostNQN,
		IOQueues: h.IOQueues, QueueSize: h.QueueSize, KATO: h.KATO, IOTimeout: h.IOTimeout,
		HeaderDigest: h.HeaderDigest, DataDigest: h.DataDigest, ReadSpin: h.ReadSpin}
	mp := nvmetcp.MultipathConfig{ReconnectDelay: h.ReconnectDelay, CtrlLossTmo: h.CtrlLossTmo,
		FastIOFailTmo: h.FastIOFailTmo, Policy: h.Policy}
	return cfg, mp, nil
}

// urlOptions lists the options ParseURL reads, for its error message.
const urlOptions = "nsid, hdgst, ddgst, kato, io_timeout, nr_io_queues, queue_size, hostnqn, " +
	"reconnect_delay, ctrl_loss_tmo, fast_io_fail_tmo, policy, discover, spin"

// ParseURL reads a target URL (see the package doc), the form `bench`
// users write.
func ParseURL(u *url.URL) (Target, error) {
	t := Target{NQN: strings.TrimPrefix(u.Path, "/")}
	if u.Host == "" || t.NQN == "" {
		return t, errors.New("want nvme+tcp://HOST:PORT/NQN")
	}
	t.Addrs = strings.Split(u.Host, ",")
	h := &t.Host
	for key, vals := range u.Query() {
		v := vals[len(vals)-1]
		var err error
		switch key {
		case "nsid":
			var n uint64
			n, err = strconv.ParseUint(v, 10, 32)
			t.NSID = uint32(n)
		case "discover":
			t.Discover = true
		case "hdgst":
			h.HeaderDigest, err = strconv.ParseBool(v)
		case "ddgst":
			h.DataDigest, err = strconv.ParseBool(v)
		case "kato":
			h.KATO, err = time.ParseDuration(v)
		case "io_timeout":
			h.IOTimeout, err = time.ParseDuration(v)
		case "nr_io_queues":
			h.IOQueues, err = boundedInt(v, 1, 0xFFFF)
		case "queue_size":
			h.QueueSize, err = boundedInt(v, 2, maxQueueSize)
		case "hostnqn":
			h.HostNQN = v
		case "reconnect_delay":
			h.ReconnectDelay, err = time.ParseDuration(v)
		case "ctrl_loss_tmo":
			h.CtrlLossTmo, err = time.ParseDuration(v)
		case "fast_io_fail_tmo":
			h.FastIOFailTmo, err = time.ParseDuration(v)
		case "policy":
			h.Policy = v
			err = Host{Policy: v}.check()
		case "spin":
			h.ReadSpin, err = parseSpin(v)
		default:
			return t, fmt.Errorf("unknown option %q (want %s)", key, urlOptions)
		}
		if err != nil {
			return t, fmt.Errorf("option %s=%q: %w", key, v, err)
		}
	}
	return t, nil
}

// URL is t in the form ParseURL reads: for logs, `provision` output and
// worker pods, which take a target as text.
func (t Target) URL() string {
	q := url.Values{}
	h := t.Host
	setDur := func(k string, d time.Duration) {
		if d != 0 {
			q.Set(k, d.String())
		}
	}
	setInt := func(k string, n int) {
		if n != 0 {
			q.Set(k, strconv.Itoa(n))
		}
	}
	setDur("kato", h.KATO)
	setDur("io_timeout", h.IOTimeout)
	setInt("nr_io_queues", h.IOQueues)
	setInt("queue_size", h.QueueSize)
	if h.HeaderDigest {
		q.Set("hdgst", "1")
	}
	if h.DataDigest {
		q.Set("ddgst", "1")
	}
	if h.HostNQN != "" {
		q.Set("hostnqn", h.HostNQN)
	}
	setDur("reconnect_delay", h.ReconnectDelay)
	setDur("ctrl_loss_tmo", h.CtrlLossTmo)
	setDur("fast_io_fail_tmo", h.FastIOFailTmo)
	if h.Policy != "" {
		q.Set("policy", h.Policy)
	}
	switch {
	case h.ReadSpin < 0:
		q.Set("spin", "0")
	case h.ReadSpin > 0:
		q.Set("spin", h.ReadSpin.String())
	}
	if t.NSID != 0 {
		q.Set("nsid", strconv.FormatUint(uint64(t.NSID), 10))
	}
	if t.Discover {
		q.Set("discover", "1")
	}
	s := Scheme + "://" + strings.Join(t.Addrs, ",") + "/" + t.NQN
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// parseSpin reads spin=DURATION: 0 turns spinning off (ReadSpin < 0).
func parseSpin(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, err
	case d < 0:
		return 0, errors.New("want a duration >= 0")
	case d == 0:
		return -1, nil
	}
	return d, nil
}
