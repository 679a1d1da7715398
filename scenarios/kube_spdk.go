package scenarios

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// spdkTarget is the target pods' nvmf_tgt as the scenario asks, with the
// defaults filled in: nvmf_tgt on the image's PATH, one core, and without
// hugepages --no-huge with 1 GiB of ordinary memory.
func spdkTarget(s *KubeSPDK) (*kube.SPDKTarget, error) {
	if s == nil || s.Image == "" {
		return nil, errors.New("cluster.kubernetes.spdk.image: required with target: spdk")
	}
	t := &kube.SPDKTarget{Image: s.Image, Command: s.Command, Args: s.Args, Privileged: s.Privileged == nil || *s.Privileged}
	if len(t.Command) == 0 {
		t.Command = []string{"nvmf_tgt"}
	}
	if s.Hugepages != "" {
		q, err := resource.ParseQuantity(s.Hugepages)
		if err != nil {
			return nil, fmt.Errorf("cluster.kubernetes.spdk.hugepages: %w", err)
		}
		t.Hugepages = &q
	}
	if len(t.Args) == 0 {
		t.Args = []string{"-m", "0x1"}
		if t.Hugepages == nil {
			t.Args = append(t.Args, "--no-huge", "-s", "1024")
		}
	}
	return t, nil
}
