package nvmeof

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
)

// PathEventSource is implemented by multipath devices: the runner reads
// the path events into the run's record.
type PathEventSource interface {
	PathEvents() []nvmetcp.PathEvent
}

// mpDevice is a device over a Multipath, recording its path events.
type mpDevice struct {
	*device
	mu     sync.Mutex
	events []nvmetcp.PathEvent
}

var _ PathEventSource = (*mpDevice)(nil)

func (d *mpDevice) PathEvents() []nvmetcp.PathEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]nvmetcp.PathEvent(nil), d.events...)
}

func openMultipath(ctx context.Context, cfg nvmetcp.Config, addrs []string, nsid uint32, mp nvmetcp.MultipathConfig) (*mpDevice, error) {
	if nsid == 0 {
		return nil, errors.New("multipath needs ?nsid=N")
	}
	out := &mpDevice{}
	mp.Base, mp.Addrs, mp.NSID = cfg, addrs, nsid
	mp.OnEvent = func(e nvmetcp.PathEvent) {
		out.mu.Lock()
		out.events = append(out.events, e)
		out.mu.Unlock()
	}
	m, err := nvmetcp.DialMultipath(ctx, mp)
	if err != nil {
		return nil, err
	}
	id, err := m.IdentifyNamespace()
	if err != nil || id.BlockSize() == 0 {
		_ = m.Close()
		return nil, fmt.Errorf("namespace %d: not active (%v)", nsid, err)
	}
	out.device = newDeviceShape(m, nsid, id)
	out.maxXfer = m.MaxTransfer()
	for i := range m.Queues() {
		out.queues = append(out.queues, &queue{submit: func(r *nvmetcp.Request) error { return m.Submit(i, r) }})
	}
	return out, nil
}
