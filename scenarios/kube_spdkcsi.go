package scenarios

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/spdkcsi"
)

// driverWait bounds how long the SPDK CSI driver's pods take to be Ready
// (images pulled, the node plugin registered).
const driverWait = 3 * time.Minute

// servesRPCHTTP says whether the target pods serve their JSON-RPC over
// HTTP for a driver in the cluster: the SPDK CSI driver reaches SPDK so.
func (k *kubeBackend) servesRPCHTTP() bool { return k.cfg.Driver == driverSPDKCSI }

// rpcCredentials are the run's target RPC credentials, made once per run:
// a random password, never on any command line.
func (k *kubeBackend) rpcCredentials() (user, password string) {
	if k.rpcPassword == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
		k.rpcPassword = hex.EncodeToString(b)
	}
	return "nvmf-chaos", k.rpcPassword
}

// rpcSecret is the Secret the target pods take their credentials from.
func (k *kubeBackend) rpcSecret() *corev1.Secret {
	user, password := k.rpcCredentials()
	return kube.RPCSecret(k.ns, k.r.opts.RunID, user, password)
}

// driverConfig is the run's SPDK CSI driver: every target pod, at its
// Service, with the run's credentials. Claims are made with the other
// drivers' claims (kube.Claim), not here.
func (k *kubeBackend) driverConfig() spdkcsi.Config {
	user, password := k.rpcCredentials()
	c := spdkcsi.Config{Namespace: k.ns, RunID: k.r.opts.RunID, Username: user, Password: password, Images: spdkcsi.DefaultImages,
		PullPolicy: k.pod.ImagePullPolicy}
	if im := k.cfg.DriverImages; im != nil {
		c.Images.Driver = cmp.Or(im.Driver, c.Images.Driver)
		c.Images.Provisioner = cmp.Or(im.Provisioner, c.Images.Provisioner)
		c.Images.Registrar = cmp.Or(im.Registrar, c.Images.Registrar)
	}
	for _, node := range k.r.s.Cluster.Nodes {
		var svcIP string
		if t := k.targets[node]; t != nil {
			svcIP = t.svcIP
		}
		host := cmp.Or(svcIP, kube.TargetPodName(node)+"."+k.ns+".svc")
		c.Targets = append(c.Targets, spdkcsi.Target{Name: node, RPCURL: kube.RPCURL(k.ns, node, svcIP), TargetType: "nvme-tcp", TargetAddr: host})
	}
	return c
}

// driverAccess is what deploying the driver adds to the run's permissions.
func (k *kubeBackend) driverAccess() []authv1.ResourceAttributes {
	if k.cfg.Driver != driverSPDKCSI {
		return nil
	}
	return []authv1.ResourceAttributes{
		{Verb: "create", Resource: "secrets"}, {Verb: "create", Resource: "configmaps"}, {Verb: "create", Resource: "serviceaccounts"},
		{Verb: "create", Group: "apps", Resource: "statefulsets"}, {Verb: "create", Group: "apps", Resource: "daemonsets"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"},
		{Verb: "delete", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
		{Verb: "delete", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"},
		{Verb: "create", Group: "storage.k8s.io", Resource: "storageclasses"},
		{Verb: "delete", Group: "storage.k8s.io", Resource: "storageclasses"},
		{Verb: "create", Group: "storage.k8s.io", Resource: "csidrivers"},
		{Verb: "delete", Group: "storage.k8s.io", Resource: "csidrivers"},
		{Verb: "list", Resource: "persistentvolumes"}, {Verb: "delete", Resource: "persistentvolumes"},
	}
}

// deployDriver gives each target an lvstore for the driver to carve
// volumes from, deploys the driver and waits for its pods to be Ready.
func (k *kubeBackend) deployDriver(ctx context.Context) error {
	for _, node := range k.r.s.Cluster.Nodes {
		if err := k.makeLvstore(ctx, node); err != nil {
			return err
		}
	}
	cfg := k.driverConfig()
	if err := cfg.Validate(); err != nil {
		return err
	}
	objs, err := spdkcsi.Objects(cfg)
	if err != nil {
		return err
	}
	for _, o := range objs {
		err := k.c.K.Resources().Create(ctx, o)
		if apierrors.IsAlreadyExists(err) && o.GetNamespace() == "" {
			k.r.logf("spdk-csi: %T %s already there: kept as it is", o, o.GetName())
			continue
		}
		if err != nil {
			return fmt.Errorf("spdk-csi: creating %T %s: %w", o, o.GetName(), err)
		}
	}
	k.r.logf("spdk-csi: driver %s deployed (image %s), storage class %s, %d target(s)", spdkcsi.DriverName, cfg.Images.Driver,
		cfg.StorageClassName(), len(cfg.Targets))
	return k.waitDriver(ctx)
}

// makeLvstore puts an lvstore on a malloc bdev big enough for every
// volume: the driver picks, for each claim, the target whose lvstore has
// the most room.
func (k *kubeBackend) makeLvstore(ctx context.Context, node string) error {
	const cluster = 4 << 20
	var size int64
	for _, v := range k.r.s.Volumes {
		size += int64(v.Size)
	}
	size += 2 * cluster // the lvstore's own metadata
	c := k.r.nodes[node].RPC()
	base, lvs := "nvmf-chaos-"+k.r.opts.RunID+"-lvs-base", "lvs-"+node
	if _, err := c.BdevMallocCreate(ctx, rpc.BdevMallocCreateParams{Name: base, NumBlocks: uint64(size / 4096), BlockSize: 4096}); err != nil {
		return fmt.Errorf("node %s: creating the driver's lvstore base %s: %w", node, base, err)
	}
	if _, err := c.BdevLvolCreateLvstore(ctx, rpc.BdevLvolCreateLvstoreParams{BdevName: base, LvsName: lvs, ClusterSz: cluster}); err != nil {
		return fmt.Errorf("node %s: creating lvstore %s: %w", node, lvs, err)
	}
	k.r.logf("node %s: lvstore %s of %d MiB for the driver", node, lvs, size>>20)
	return nil
}

// waitDriver waits for the controller's and every node plugin's pod to be
// Ready, failing at once with the reason when one cannot start.
func (k *kubeBackend) waitDriver(ctx context.Context) error {
	if _, err := k.waitPodReady(ctx, "spdkcsi-controller-0", driverWait); err != nil {
		return fmt.Errorf("spdk-csi controller: %w", err)
	}
	var pods corev1.PodList
	if err := k.c.K.Resources(k.ns).List(ctx, &pods, func(o *metav1.ListOptions) { o.LabelSelector = "app=spdkcsi-node" }); err != nil {
		return fmt.Errorf("spdk-csi node plugin: %w", err)
	}
	if len(pods.Items) == 0 {
		return errors.New("spdk-csi node plugin: no pod: no schedulable node")
	}
	for _, p := range pods.Items {
		if _, err := k.waitPodReady(ctx, p.Name, driverWait); err != nil {
			return fmt.Errorf("spdk-csi node plugin: %w", err)
		}
	}
	return nil
}

// sweepDriver removes what the driver left beyond the namespace: the
// cluster-wide objects (RBAC, StorageClass, the CSIDriver if the run made
// it) and volumes the driver could no longer delete.
func (k *kubeBackend) sweepDriver(ctx context.Context) error {
	if k.cfg.Driver != driverSPDKCSI {
		return nil
	}
	pvs, err := k.c.SweepVolumes(ctx, k.ns, false)
	objs, err2 := k.c.SweepClusterScoped(ctx, k.r.opts.RunID, false)
	if all := slices.Concat(pvs, objs); len(all) > 0 {
		k.r.logf("spdk-csi: removed %v", all)
	}
	return errors.Join(err, err2)
}

// driverObjects are the driver's objects for a dry run.
func (k *kubeBackend) driverObjects() ([]client.Object, error) {
	if k.cfg.Driver != driverSPDKCSI {
		return nil, nil
	}
	return spdkcsi.Objects(k.driverConfig())
}
