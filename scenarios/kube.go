package scenarios

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kptr "k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// DefaultKubeImage is the image kubernetes runs use unless the scenario
// names one: what `make image` builds and the test cluster imports.
const DefaultKubeImage = "nvmf-chaos:dev"

// kubeBackend is a run on a Kubernetes cluster: the namespace it made,
// its target pods (one per scenario node, reached over port-forwards) and
// its worker Jobs.
type kubeBackend struct {
	r       *Runner
	c       *kube.Client
	cfg     Kubernetes
	ns      string
	pod     kube.PodSettings
	targets map[string]*kubeTarget
	// nsCreated is set once the namespace exists: teardown deletes it.
	nsCreated bool
	// clusterNodes are the cluster nodes target pods ran on, for the
	// janitor that removes their data folders.
	clusterNodes map[string]bool
	// chaos reaches Chaos Mesh objects, made on the first such fault;
	// chaosSeq numbers their names.
	chaos    client.Client
	chaosSeq int
	// rpcPassword guards the targets' HTTP JSON-RPC (driver: spdk-csi).
	rpcPassword string
	// spdk runs SPDK's nvmf_tgt in the target pods (target: spdk).
	spdk *kube.SPDKTarget
}

// kubeTarget is one scenario node's target pod.
type kubeTarget struct {
	spec  kube.TargetSpec
	svcIP string
	fwd   *kube.Forward
}

// newKubeBackend connects to the cluster and checks, before anything is
// created, that the run can work there: API reachable, permissions for
// every verb and resource it uses, mapped nodes present.
func newKubeBackend(ctx context.Context, r *Runner) (*kubeBackend, error) {
	cfg := Kubernetes{}
	if r.s.Cluster.Kubernetes != nil {
		cfg = *r.s.Cluster.Kubernetes
	}
	cfg.Kubeconfig = cmp.Or(r.opts.Kubeconfig, cfg.Kubeconfig)
	cfg.Context = cmp.Or(r.opts.KubeContext, cfg.Context)
	c, err := kube.Connect(cfg.Kubeconfig, cfg.Context)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	version, err := c.Reachable(pctx)
	if err != nil {
		return nil, err
	}
	k := &kubeBackend{r: r, c: c, cfg: cfg, targets: map[string]*kubeTarget{}, clusterNodes: map[string]bool{},
		ns: cmp.Or(cfg.Namespace, "nvmf-chaos-"+r.opts.RunID)}
	if k.pod, err = podSettings(cfg); err != nil {
		return nil, err
	}
	if r.targetKind() == targetSPDK {
		if k.spdk, err = spdkTarget(cfg.SPDK); err != nil {
			return nil, err
		}
	}
	if err := k.checkAccess(pctx); err != nil {
		return nil, err
	}
	if err := k.checkNodes(pctx); err != nil {
		return nil, err
	}
	if err := chaosmesh.Preflight(pctx, c.CS, k.chaosUses()); err != nil {
		return nil, err
	}
	if err := k.checkFaultTargets(pctx); err != nil {
		return nil, err
	}
	if err := k.checkStorageClass(pctx); err != nil {
		return nil, err
	}
	r.logf("kubernetes: %s, server %s, namespace %s, image %s", c.Source, version, k.ns, k.pod.Image)
	return k, nil
}

func podSettings(cfg Kubernetes) (kube.PodSettings, error) {
	p := kube.PodSettings{Image: cmp.Or(cfg.Image, DefaultKubeImage), ImagePullPolicy: corev1.PullPolicy(cfg.ImagePullPolicy)}
	if p.ImagePullPolicy == "" {
		p.ImagePullPolicy = corev1.PullIfNotPresent
	}
	for name, q := range map[corev1.ResourceName]string{corev1.ResourceCPU: cfg.CPU, corev1.ResourceMemory: cfg.Memory} {
		if q == "" {
			continue
		}
		v, err := resource.ParseQuantity(q)
		if err != nil {
			return p, fmt.Errorf("cluster.kubernetes.%s: %w", name, err)
		}
		if p.Resources.Limits == nil {
			p.Resources.Limits, p.Resources.Requests = corev1.ResourceList{}, corev1.ResourceList{}
		}
		p.Resources.Limits[name], p.Resources.Requests[name] = v, v
	}
	return p, nil
}

// kubeAccess is every verb and resource a run uses.
var kubeAccess = []authv1.ResourceAttributes{
	{Verb: "create", Resource: "namespaces"}, {Verb: "delete", Resource: "namespaces"},
	{Verb: "create", Resource: "pods"}, {Verb: "delete", Resource: "pods"}, {Verb: "get", Resource: "pods"},
	{Verb: "list", Resource: "pods"}, {Verb: "create", Resource: "pods", Subresource: "portforward"},
	{Verb: "get", Resource: "pods", Subresource: "log"},
	{Verb: "create", Resource: "services"}, {Verb: "get", Resource: "services"},
	{Verb: "create", Group: "batch", Resource: "jobs"}, {Verb: "get", Group: "batch", Resource: "jobs"},
	{Verb: "list", Resource: "nodes"},
}

// clusterWide are the resources a run uses that live in no namespace.
var clusterWide = map[string]bool{"namespaces": true, "nodes": true, "storageclasses": true, "persistentvolumes": true,
	"clusterroles": true, "clusterrolebindings": true, "csidrivers": true}

// checkAccess asks the API server (SelfSubjectAccessReview) whether this
// user may do each thing the run does, and names every one it may not.
func (k *kubeBackend) checkAccess(ctx context.Context) error {
	var denied []string
	for _, a := range slices.Concat(kubeAccess, k.claimAccess(), k.driverAccess(), k.faultAccess()) {
		if !clusterWide[a.Resource] && a.Namespace == "" {
			a.Namespace = k.ns
		}
		rev := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &a}}
		out, err := k.c.CS.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, rev, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("checking permissions on %s: %w", k.c.Source, err)
		}
		if !out.Status.Allowed {
			what := a.Resource
			if a.Subresource != "" {
				what += "/" + a.Subresource
			}
			denied = append(denied, a.Verb+" "+what)
		}
	}
	if len(denied) > 0 {
		return fmt.Errorf("kubernetes: %s may not: %s", k.c.Source, strings.Join(denied, ", "))
	}
	return nil
}

// checkNodes makes sure every mapped cluster node exists and is Ready.
func (k *kubeBackend) checkNodes(ctx context.Context) error {
	for _, n := range slices.Sorted(maps.Keys(k.cfg.Nodes)) {
		ref := k.cfg.Nodes[n]
		var list corev1.NodeList
		var err error
		if strings.Contains(ref, "=") {
			err = k.c.K.Resources().List(ctx, &list, func(o *metav1.ListOptions) { o.LabelSelector = ref })
		} else {
			var node corev1.Node
			if err = k.c.K.Resources().Get(ctx, ref, "", &node); err == nil {
				list.Items = []corev1.Node{node}
			} else if apierrors.IsNotFound(err) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("cluster.kubernetes.nodes.%s: %w", n, err)
		}
		if !slices.ContainsFunc(list.Items, nodeReady) {
			return fmt.Errorf("cluster.kubernetes.nodes.%s: no Ready cluster node matches %q", n, ref)
		}
	}
	return nil
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue && !n.Spec.Unschedulable
		}
	}
	return false
}

// targetSpec is a scenario node's target pod: pinned where the scenario
// maps it, holding the backing files of the volumes it exports.
func (k *kubeBackend) targetSpec(node string) kube.TargetSpec {
	s := kube.TargetSpec{Namespace: k.ns, RunID: k.r.opts.RunID, Node: node, Pod: k.pod}
	if k.servesRPCHTTP() {
		s.RPCSecret = kube.RPCSecretName
	}
	s.SPDK = k.spdk
	if ref := k.cfg.Nodes[node]; ref != "" {
		if strings.Contains(ref, "=") {
			sel, _ := labels.ConvertSelectorToLabelsMap(ref)
			s.NodeSelector = sel
		} else {
			s.NodeName = ref
		}
	}
	for _, v := range k.r.s.Volumes {
		if !slices.Contains(v.Nodes, node) || !k.r.fileBacked(v) {
			continue
		}
		name := v.Name
		if v.Shared != nil && !*v.Shared && len(v.Nodes) > 1 {
			name += "-" + node // each node its own copy (createVolume)
		} else if len(v.Nodes) > 1 && k.cfg.Nodes[node] == "" {
			// Two controllers open one file: only one machine's
			// filesystem has it, so the pods go where the others are.
			s.CoLocate = true
		}
		s.Files = append(s.Files, kube.BackingFile{Name: name + ".img", Size: int64(v.Size)})
	}
	return s
}

// startNodes creates the namespace, a Service and a target pod per
// scenario node, and connects to each target's JSON-RPC.
func (k *kubeBackend) startNodes(ctx context.Context) error {
	r := k.r
	ns := kube.Namespace(k.ns, r.opts.RunID)
	ns.Annotations = map[string]string{kube.AnnotationHarness: kube.HarnessID()}
	if err := k.c.K.Resources().Create(ctx, ns); err != nil {
		return fmt.Errorf("creating namespace %s: %w", k.ns, err)
	}
	k.nsCreated = true
	if r.targetKind() == targetExternal {
		// The targets run outside the cluster: the run makes only its
		// workers here, and reaches the targets at their RPC addresses.
		return r.connectExternal(ctx)
	}
	if k.servesRPCHTTP() {
		if err := k.c.K.Resources().Create(ctx, k.rpcSecret()); err != nil {
			return fmt.Errorf("creating the targets' RPC credentials: %w", err)
		}
	}
	for _, node := range r.s.Cluster.Nodes {
		svc := kube.TargetService(k.ns, r.opts.RunID, node, k.servesRPCHTTP())
		if err := k.c.K.Resources().Create(ctx, svc); err != nil {
			return fmt.Errorf("node %s: creating service: %w", node, err)
		}
		k.targets[node] = &kubeTarget{spec: k.targetSpec(node), svcIP: svc.Spec.ClusterIP}
		if err := k.c.K.Resources().Create(ctx, kube.TargetPod(k.targets[node].spec)); err != nil {
			return fmt.Errorf("node %s: creating target pod: %w", node, err)
		}
	}
	for _, node := range r.s.Cluster.Nodes {
		n := &runNode{name: node, dataAddr: fmt.Sprintf("0.0.0.0:%d", kube.DataPort)}
		r.nodes[node] = n
		if err := k.bringUp(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// bringUp waits for a node's target pod to be Ready, forwards a local port
// to its JSON-RPC and connects there.
func (k *kubeBackend) bringUp(ctx context.Context, n *runNode) error {
	t := k.targets[n.name]
	pod, err := k.waitPodReady(ctx, kube.TargetPodName(n.name), 2*time.Minute)
	if err != nil {
		return fmt.Errorf("node %s: %w", n.name, err)
	}
	k.clusterNodes[pod.Spec.NodeName] = true
	if k.spdk != nil {
		// nvmf_tgt admits a connection only at a listener of the address
		// it arrived on, which is the pod's own (the Service's NAT hands
		// it over), never 0.0.0.0; a recreated pod has a new one.
		n.dataAddr = net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(kube.DataPort))
	}
	if err := k.waitEndpoint(ctx, n.name, pod.Status.PodIP, time.Minute); err != nil {
		return fmt.Errorf("node %s: %w", n.name, err)
	}
	if t.fwd != nil {
		t.fwd.Close()
	}
	if t.fwd, err = k.c.Forward(ctx, k.ns, pod.Name, kube.RPCPort); err != nil {
		return fmt.Errorf("node %s: %w", n.name, err)
	}
	n.mgmt = t.fwd.Addr
	if err := n.connect(ctx); err != nil {
		return err
	}
	k.r.logf("node %s: target pod %s on %s (pod %s), service %s, rpc via port-forward %s", n.name, pod.Name,
		pod.Spec.NodeName, pod.Status.PodIP, t.svcIP, t.fwd.Addr)
	return nil
}

// waitEndpoint waits until the node's Service lists the pod as a ready
// endpoint, so hosts connecting to the Service reach the new pod.
func (k *kubeBackend) waitEndpoint(ctx context.Context, node, podIP string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	svc := kube.TargetPodName(node)
	for {
		var list discoveryv1.EndpointSliceList
		err := k.c.K.Resources(k.ns).List(ctx, &list, func(o *metav1.ListOptions) { o.LabelSelector = discoveryv1.LabelServiceName + "=" + svc })
		if err == nil && endpointReady(list.Items, podIP) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service %s/%s: pod %s not a ready endpoint after %s", k.ns, svc, podIP, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func endpointReady(list []discoveryv1.EndpointSlice, ip string) bool {
	for _, s := range list {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready && slices.Contains(e.Addresses, ip) {
				return true
			}
		}
	}
	return false
}

// waitPodReady waits until the pod is Ready, failing at once when it
// fails or cannot start (a bad image, a crash), with its reason.
func (k *kubeBackend) waitPodReady(ctx context.Context, name string, timeout time.Duration) (*corev1.Pod, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var pod corev1.Pod
	var last string
	for {
		err := k.c.K.Resources().Get(ctx, name, k.ns, &pod)
		switch {
		case err != nil && !apierrors.IsNotFound(err):
			last = err.Error()
		case err == nil && podIsReady(&pod):
			return &pod, nil
		case err == nil:
			last = describePod(&pod)
			if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded || podCannotStart(&pod) {
				return nil, fmt.Errorf("pod %s/%s will not become Ready: %s", k.ns, name, last)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("pod %s/%s not Ready after %s: %s", k.ns, name, timeout, cmp.Or(last, "not created"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podCannotStart recognises the waiting reasons that do not go away by
// waiting: the image cannot be had, or the container keeps failing.
func podCannotStart(p *corev1.Pod) bool {
	for _, cs := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImageNeverPull", "InvalidImageName", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CrashLoopBackOff":
				return true
			}
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return true
		}
	}
	return false
}

// describePod says where a pod is, for errors: phase, then the first
// container state or condition that explains it.
func describePod(p *corev1.Pod) string {
	parts := []string{string(p.Status.Phase)}
	for _, cs := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			parts = append(parts, fmt.Sprintf("%s: %s %s", cs.Name, w.Reason, w.Message))
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			parts = append(parts, fmt.Sprintf("%s: exit %d (%s) %s", cs.Name, t.ExitCode, t.Reason, strings.TrimSpace(t.Message)))
		}
	}
	for _, c := range p.Status.Conditions {
		// Ready and ContainersReady often carry one message: say it once.
		if c.Status != corev1.ConditionTrue && c.Message != "" && !slices.Contains(parts, c.Message) {
			parts = append(parts, c.Message)
		}
	}
	if p.Status.Reason != "" {
		parts = append(parts, p.Status.Reason+": "+p.Status.Message)
	}
	return strings.Join(parts, "; ")
}

// teardown removes the run from the cluster: the port-forwards, the
// namespace (and everything in it), and the targets' data folders on the
// nodes. It waits until the namespace is gone, so a run that returns has
// left nothing behind.
func (k *kubeBackend) teardown(ctx context.Context) error {
	for _, t := range k.targets {
		if t.fwd != nil {
			t.fwd.Close()
		}
	}
	if !k.nsCreated {
		return nil
	}
	var errs []error
	if err := k.removeData(ctx); err != nil {
		errs = append(errs, err)
	}
	if k.chaos != nil {
		// Normally gone with their recovery; one left by a failed
		// recovery would hold the namespace in Terminating.
		if left, err := k.c.SweepChaos(ctx, k.ns, false); err != nil || len(left) > 0 {
			k.r.logf("kubernetes: removed chaos objects a recovery left: %v", left)
			errs = append(errs, err)
		}
	}
	if k.cordons() {
		if _, err := k.c.Uncordon(ctx, k.r.opts.RunID, false); err != nil {
			errs = append(errs, err)
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: k.ns}}
	if err := k.c.K.Resources().Delete(ctx, ns, func(o *metav1.DeleteOptions) {
		o.PropagationPolicy = kptr.To(metav1.DeletePropagationForeground)
	}); err != nil && !apierrors.IsNotFound(err) {
		return errors.Join(append(errs, fmt.Errorf("deleting namespace %s: %w", k.ns, err))...)
	}
	for ctx.Err() == nil {
		if err := k.c.K.Resources().Get(ctx, k.ns, "", ns); apierrors.IsNotFound(err) {
			return errors.Join(append(errs, k.sweepDriver(ctx))...)
		}
		time.Sleep(250 * time.Millisecond)
	}
	return errors.Join(append(errs, fmt.Errorf("namespace %s still terminating: %w", k.ns, ctx.Err()))...)
}

// removeData runs a janitor pod on every cluster node a target ran on, to
// delete the run's data folder there, and waits for each to finish.
func (k *kubeBackend) removeData(ctx context.Context) error {
	var errs []error
	for node := range k.clusterNodes {
		if err := k.c.RunJanitor(ctx, k.ns, k.r.opts.RunID, node, k.pod); err != nil {
			errs = append(errs, fmt.Errorf("%w (the run's data stays in %s/%s there)", err, kube.HostDataRoot, k.r.opts.RunID))
		}
	}
	return errors.Join(errs...)
}
