package nvmetcp

import (
	"context"
	"fmt"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

const (
	discoveryHeaderSize = 1024
	discoveryEntrySize  = 1024
	discoveryRetries    = 10
)

// Discover connects to the discovery controller at cfg.Addr (SubsysNQN is
// replaced by the well-known discovery NQN; keep-alive is off, as for a
// non-persistent discovery connection) and returns its log page entries.
func Discover(ctx context.Context, cfg Config) ([]nvme.DiscoveryEntry, error) {
	cfg.SubsysNQN = nvme.DiscoveryNQN
	cfg.KATO = -1
	c, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	l, err := c.DiscoveryLog(ctx)
	if err != nil {
		return nil, err
	}
	return l.Entries, nil
}

// DiscoveryLog reads the whole discovery log page: header, then all
// records (in several reads when large), then the header again; if GENCTR
// moved meanwhile the log changed under us and is read again.
func (c *Controller) DiscoveryLog(ctx context.Context) (*nvme.DiscoveryLog, error) {
	for range discoveryRetries {
		hdr, err := c.GetLogPage(ctx, nvme.LogDiscovery, 0, 0, 0, discoveryHeaderSize)
		if err != nil {
			return nil, err
		}
		l, numrec, err := nvme.UnmarshalDiscoveryLog(hdr)
		if err != nil {
			return nil, err
		}
		if numrec > 1<<16 {
			return nil, fmt.Errorf("discovery log claims %d records", numrec)
		}
		if numrec > 0 {
			page, err := c.GetLogPage(ctx, nvme.LogDiscovery, 0, 0, 0, discoveryHeaderSize+int(numrec)*discoveryEntrySize)
			if err != nil {
				return nil, err
			}
			if l, _, err = nvme.UnmarshalDiscoveryLog(page); err != nil {
				return nil, err
			}
		}
		again, err := c.GetLogPage(ctx, nvme.LogDiscovery, 0, 0, 0, discoveryHeaderSize)
		if err != nil {
			return nil, err
		}
		last, n, err := nvme.UnmarshalDiscoveryLog(again)
		if err != nil {
			return nil, err
		}
		if last.GenCtr == l.GenCtr && n == numrec && uint64(len(l.Entries)) == numrec {
			return l, nil
		}
	}
	return nil, fmt.Errorf("discovery log kept changing over %d reads", discoveryRetries)
}
