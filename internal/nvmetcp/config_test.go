package nvmetcp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := Config{Addr: "198.18.0.1", SubsysNQN: testNQN, HostNQN: "nqn.2014-08.org.example:host"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "198.18.0.1:4420" || cfg.IOQueues != 1 || cfg.QueueSize != DefaultQueueSize ||
		cfg.KATO != DefaultKATO || cfg.IOTimeout != DefaultIOTimeout || cfg.ReadSpin != DefaultReadSpin || cfg.Dialer == nil {
		t.Fatalf("defaults: %+v", cfg)
	}
	again, _ := Config{Addr: "x", SubsysNQN: testNQN, HostNQN: cfg.HostNQN}.withDefaults()
	if cfg.HostID == [16]byte{} || again.HostID != cfg.HostID || cfg.HostID[6]>>4 != 4 {
		t.Fatalf("host ID %x not stable per NQN (%x) or not a v4 UUID", cfg.HostID, again.HostID)
	}
	anon1, _ := Config{Addr: "x", SubsysNQN: testNQN}.withDefaults()
	anon2, _ := Config{Addr: "x", SubsysNQN: testNQN}.withDefaults()
	if anon1.HostNQN != anon2.HostNQN || !strings.HasPrefix(anon1.HostNQN, "nqn.2014-08.org.nvmexpress:uuid:") {
		t.Fatalf("per-process host NQN %q / %q", anon1.HostNQN, anon2.HostNQN)
	}
	if (&Config{KATO: -1}).katoMillis() != 0 || (&Config{KATO: 1500 * time.Millisecond}).katoMillis() != 1500 {
		t.Fatal("katoMillis")
	}
	for _, bad := range []Config{
		{SubsysNQN: testNQN},
		{Addr: "x"},
		{Addr: "x", SubsysNQN: testNQN, QueueSize: 1},
		{Addr: "x", SubsysNQN: testNQN, IOQueues: -1},
		{Addr: "x", SubsysNQN: strings.Repeat("n", 300)},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

func TestCloseFailsOutstanding(t *testing.T) {
	p := newPeer(t, peerConfig{})
	c := dial(t, hostConfig(p))
	p.silent.Store(true)
	ch := submitReads(t, c, 5)
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	collect(t, ch, 5, func(err error) bool { return errors.Is(err, ErrControllerDown) && errors.Is(err, ErrClosed) })
	select {
	case err := <-done: // the silent peer never finishes the shutdown
		if err == nil {
			t.Log("close reported a clean shutdown")
		}
	case <-time.After(testTimeout):
		t.Fatal("Close hung")
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestReadAtContext(t *testing.T) {
	p := newPeer(t, peerConfig{})
	c := dial(t, hostConfig(p))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	buf := make([]byte, 512)
	if err := c.ReadAt(ctx, 1, buf, 0); err != nil { // warms the block-size cache
		t.Fatal(err)
	}
	if err := c.ReadAt(ctx, 2, buf, 0); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("ReadAt of an inactive namespace: %v", err)
	}
	p.silent.Store(true)
	if err := c.ReadAt(ctx, 1, buf, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadAt past its context: %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("controller failed before IOTimeout: %v", c.Err())
	}
}
