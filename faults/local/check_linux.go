package local

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// packageOf names the Debian package that provides a binary, for the
// message telling the user what to install.
var packageOf = map[string]string{
	"ip":  "iproute2",
	"tc":  "iproute2",
	"nft": "nftables",
	"sh":  "dash",
}

// needRoot reports that a fault needs root, and why, when we are not root.
func needRoot(why string) error {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Errorf("needs root (running as uid %d): %s", uid, why)
	}
	return nil
}

// needBinaries reports every binary missing from PATH.
func needBinaries(names ...string) error {
	var errs []error
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			msg := fmt.Sprintf("%s not found in PATH", n)
			if pkg := packageOf[n]; pkg != "" {
				msg += fmt.Sprintf(" (apt-get install -y %s)", pkg)
			}
			errs = append(errs, errors.New(msg))
		}
	}
	return errors.Join(errs...)
}

// KindRequirements reports what this machine lacks to inject kind (root,
// a tool), before any fault of that kind is built, so a run can refuse up
// front instead of half-way. Kinds of the target-RPC engine need nothing.
func KindRequirements(kind faults.Kind) error {
	switch kind {
	case faults.NetworkPartition, faults.PacketLoss, faults.NodeDown:
		return errors.Join(needRoot("nftables rules in the node's network namespace"), needBinaries("ip", "nft"))
	case faults.Bandwidth:
		return errors.Join(needRoot("tc qdiscs on the node's links"), needBinaries("ip", "tc"))
	case faults.CPUStress:
		return needBinaries("sh")
	}
	return nil
}
