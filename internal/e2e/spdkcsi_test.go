//go:build e2e

package e2e

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/nvmf-chaos/nvmf-chaos/provision/spdkcsi"
)

// The SPDK CSI driver's objects, as the harness builds them, are created
// in the test cluster and accepted by the real API server. Its pods cannot
// run here (no registry, no kernel NVMe/TCP): the test stops at the API.
func TestSPDKCSIObjectsAccepted(t *testing.T) {
	f := features.New("spdk-csi objects").Assess("created and accepted", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		ns := namespace(ctx)
		c := spdkcsi.Config{Namespace: ns, RunID: ns[len(ns)-6:],
			Targets:  []spdkcsi.Target{{Name: "tgt-a", RPCURL: "http://198.19.254.10:9009", TargetType: "nvme-tcp", TargetAddr: "198.19.254.10"}},
			Username: "u", Password: "p", Images: spdkcsi.DefaultImages,
			Volumes: []spdkcsi.Volume{{Name: "vol0", Size: 64 << 20}}}
		objs, err := spdkcsi.Objects(c)
		if err != nil {
			t.Fatal(err)
		}
		res := cfg.Client().Resources()
		var created []client.Object
		defer func() {
			for _, o := range created {
				if o.GetNamespace() == "" { // the namespace takes the rest
					_ = res.Delete(context.WithoutCancel(ctx), o)
				}
			}
		}()
		for _, o := range objs {
			err := res.Create(ctx, o)
			switch {
			case apierrors.IsAlreadyExists(err) && o.GetName() == spdkcsi.DriverName:
				// an installed driver's: kept, not ours to delete
			case err != nil:
				t.Errorf("%s %s: the API server refuses it: %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
			default:
				created = append(created, o)
			}
		}
		if len(created) < len(objs)-1 {
			t.Fatalf("%d of %d objects created", len(created), len(objs))
		}
		return ctx
	}).Feature()
	testenv.Test(t, f)
}
