package catalog

import (
	"context"
	"fmt"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// DriverKill deletes the storage driver's pods; their controllers bring
// them back.
const DriverKill faults.Kind = "driver-kill"

type driverKillParams struct {
	// Namespace and Selector find the driver's pods.
	Namespace, Selector string
}

var driverKill = Define(Def[driverKillParams]{
	Kind:    DriverKill,
	Summary: "delete the storage driver's pods; their controllers bring them back",
	Params: []Param{
		{Name: "namespace", Help: "namespace of the driver's pods", Default: "kube-system"},
		{Name: "selector", Help: "label selector of the driver's pods", Default: "app in (spdkcsi-controller,spdkcsi-node)"}},
	Parse: func(v *Values) driverKillParams {
		p := driverKillParams{Namespace: v.String("namespace"), Selector: v.String("selector")}
		if msgs := validation.IsDNS1123Label(p.Namespace); len(msgs) > 0 {
			v.Fail("namespace", fmt.Errorf("not a namespace name: %s", msgs[0]))
		}
		if _, err := labels.Parse(p.Selector); err != nil {
			v.Fail("selector", err)
		}
		return p
	},
	OnCluster: true,
	Native: func(run kubeapi.Run, _ string, p driverKillParams) (faults.Fault, error) {
		return &kubeapi.DriverKill{Client: run.Client(), Namespace: p.Namespace, Selector: p.Selector}, nil
	},
	NativeAccess: func(p driverKillParams) []authv1.ResourceAttributes {
		return []authv1.ResourceAttributes{{Verb: "list", Resource: "pods", Namespace: p.Namespace},
			{Verb: "delete", Resource: "pods", Namespace: p.Namespace}}
	},
	// The driver's pods are there before the run starts, rather than
	// missing at the inject half-way through.
	NativeCheck: func(ctx context.Context, c *kube.Client, p driverKillParams) error {
		pods, err := c.CS.CoreV1().Pods(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: p.Selector})
		if err != nil {
			return err
		}
		if len(pods.Items) == 0 {
			return fmt.Errorf("no pod matches %q in namespace %s: deploy the storage driver, or name its pods with params.namespace and params.selector",
				p.Selector, p.Namespace)
		}
		return nil
	},
})
