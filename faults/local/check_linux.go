package local

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
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

// Requires reports what this machine lacks for a kind of fault: root,
// when rootFor says what needs it, and each binary missing from PATH with
// the package to install. The fault catalog asks it before a run.
func Requires(rootFor string, binaries ...string) error {
	var errs []error
	if rootFor != "" {
		errs = append(errs, needRoot(rootFor))
	}
	return errors.Join(append(errs, needBinaries(binaries...))...)
}
