package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// NodeNet says in which network namespace a node's network faults apply and
// which run they belong to (their nftables tables carry the run id).
type NodeNet struct {
	RunID string
	Node  string
	// Netns is the node's namespace as `ip netns` names it. Network faults
	// refuse an empty one: they must never touch the harness's namespace.
	Netns string
}

func (n NodeNet) check() error {
	switch {
	case n.Node == "":
		return errors.New("no node name")
	case n.Netns == "":
		return fmt.Errorf("node %s: no network namespace (faults never touch the harness's own)", n.Node)
	case strings.ContainsAny(n.Netns, "/\x00") || n.Netns == "." || n.Netns == "..":
		return fmt.Errorf("node %s: bad network namespace name %q", n.Node, n.Netns)
	}
	return nil
}

// cmdTimeout bounds one nft, tc or ip invocation: they touch only the
// kernel, so a longer run means a stuck machine.
const cmdTimeout = 30 * time.Second

// runIn runs argv inside the network namespace ns (in ours when ns is
// empty) with stdin, returning an error carrying the command's output.
func runIn(ctx context.Context, ns, stdin string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	full := argv
	if ns != "" {
		full = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w: %s", strings.Join(full, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}
