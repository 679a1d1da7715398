package netns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// ErrNotRoot means the caller lacks the privileges namespaces need.
var ErrNotRoot = errors.New("network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN)")

// ErrNoIP means iproute2's ip is not installed.
var ErrNoIP = errors.New("iproute2's ip not found in PATH (apt-get install -y iproute2)")

// Available reports why namespaces cannot be used here, or nil when they can.
func Available() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return ErrNoIP
	}
	return nil
}

// IP runs `ip args...` and returns its stdout. A failure's error quotes the
// command and ip's stderr.
func IP(ctx context.Context, args ...string) ([]byte, error) {
	return Run(ctx, "ip", args...)
}

// Exec runs argv inside the named namespace (`ip netns exec`) and returns
// its stdout; for short commands such as nft or tc, not for daemons.
func Exec(ctx context.Context, ns string, argv ...string) ([]byte, error) {
	return IP(ctx, append([]string{"netns", "exec", ns}, argv...)...)
}

// Run runs a short command (ip, nft, tc) and returns its stdout; a
// failure's error quotes the command and its stderr.
func Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}

// Namespaces lists the named network namespaces (`ip netns list`).
func Namespaces(ctx context.Context) ([]string, error) {
	out, err := IP(ctx, "-j", "netns", "list")
	if err != nil {
		return nil, err
	}
	var list []struct {
		Name string `json:"name"`
	}
	if err := decode(out, &list); err != nil {
		return nil, fmt.Errorf("ip netns list: %w", err)
	}
	names := make([]string, len(list))
	for i, n := range list {
		names[i] = n.Name
	}
	return names, nil
}

// HasNamespace reports whether the named namespace exists.
func HasNamespace(ctx context.Context, name string) (bool, error) {
	names, err := Namespaces(ctx)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// AddNamespace creates the named namespace unless it exists.
func AddNamespace(ctx context.Context, name string) error {
	ok, err := HasNamespace(ctx, name)
	if err != nil || ok {
		return err
	}
	_, err = IP(ctx, "netns", "add", name)
	return err
}

// DeleteNamespace removes the named namespace if it exists. Links inside it
// go with it (a veth's peer too); processes still inside keep it alive
// unnamed, so kill them first (NamespacePIDs).
func DeleteNamespace(ctx context.Context, name string) error {
	ok, err := HasNamespace(ctx, name)
	if err != nil || !ok {
		return err
	}
	if _, err = IP(ctx, "netns", "del", name); err != nil {
		if ok, lerr := HasNamespace(ctx, name); lerr == nil && !ok {
			return nil // deleted concurrently
		}
	}
	return err
}

// NamespacePIDs lists the processes running in the named namespace.
func NamespacePIDs(ctx context.Context, name string) ([]int, error) {
	out, err := IP(ctx, "netns", "pids", name)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("ip netns pids %s: %q is not a pid", name, f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// Links lists the link names in namespace ns ("" for the caller's own).
func Links(ctx context.Context, ns string) ([]string, error) {
	args := []string{"-j", "link", "show"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	out, err := IP(ctx, args...)
	if err != nil {
		return nil, err
	}
	var list []struct {
		Name string `json:"ifname"`
	}
	if err := decode(out, &list); err != nil {
		return nil, fmt.Errorf("ip link show: %w", err)
	}
	names := make([]string, len(list))
	for i, l := range list {
		names[i] = l.Name
	}
	return names, nil
}

// HasLink reports whether a link of that name exists in namespace ns.
func HasLink(ctx context.Context, ns, name string) (bool, error) {
	names, err := Links(ctx, ns)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// DeleteLink removes a link of the caller's namespace if it exists; deleting
// one end of a veth pair deletes both.
func DeleteLink(ctx context.Context, name string) error {
	ok, err := HasLink(ctx, "", name)
	if err != nil || !ok {
		return err
	}
	if _, err = IP(ctx, "link", "del", name); err != nil {
		// A veth goes asynchronously with its peer's namespace: gone is gone.
		if ok, lerr := HasLink(ctx, "", name); lerr == nil && !ok {
			return nil
		}
	}
	return err
}

// decode parses ip's JSON output; ip prints nothing at all for an empty list.
func decode(out []byte, v any) error {
	if len(bytes.TrimSpace(out)) == 0 {
		return nil
	}
	return json.Unmarshal(out, v)
}
