package testcluster

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Chaos Mesh's listeners default to 0.0.0.0: every *_HOST setting the
// controller gets must be an address of the cluster's own block.
func TestChaosMeshListensOnlyOnTheNode(t *testing.T) {
	l := NewLayout(t.TempDir())
	c := chaosMeshOf(l, nodeAt(0))
	hosts := 0
	for _, kv := range c.env {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasSuffix(k, "_HOST") && k != "PPROF_ADDR" {
			continue
		}
		hosts++
		if k == "PPROF_ADDR" {
			if v != "0" {
				t.Errorf("PPROF_ADDR=%q, want 0 (off)", v)
			}
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil || !clusterNet.Contains(a) {
			t.Errorf("%s=%q is not an address inside %s", k, v, clusterNet)
		}
	}
	if hosts != 3 {
		t.Errorf("found %d listener settings, want METRICS_HOST, WEBHOOK_HOST and PPROF_ADDR: %v", hosts, c.env)
	}
}

const twoCRDs = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: podchaos.chaos-mesh.org
spec:
  group: chaos-mesh.org
  names: {kind: PodChaos, plural: podchaos}
  scope: Namespaced
  versions: [{name: v1alpha1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: stresschaos.chaos-mesh.org
spec:
  group: chaos-mesh.org
  names: {kind: StressChaos, plural: stresschaos}
  scope: Namespaced
  versions: [{name: v1alpha1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`

func TestReadCRDs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	crds, err := readCRDs(write("ok.yaml", twoCRDs))
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 2 || crds[0].Name != "podchaos.chaos-mesh.org" || crds[1].Spec.Names.Kind != "StressChaos" {
		t.Errorf("got %d CRDs: %+v", len(crds), crds)
	}
	bad := twoCRDs + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: chaos-mesh}\n"
	if _, err := readCRDs(write("bad.yaml", bad)); err == nil || !strings.Contains(err.Error(), "not a CustomResourceDefinition") {
		t.Errorf("a Namespace in the manifest: err %v, want it refused", err)
	}
	if _, err := readCRDs(write("empty.yaml", "---\n")); err == nil {
		t.Error("an empty manifest was accepted")
	}
}
