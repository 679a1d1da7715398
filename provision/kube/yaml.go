package kube

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"
)

// WriteYAML writes objects as one YAML stream that `kubectl apply -f -`
// takes: each with its apiVersion and kind, without the server-set
// fields an object built here has empty (status, creationTimestamp).
// Types outside client-go's scheme must carry their TypeMeta already.
func WriteYAML(w io.Writer, objs ...client.Object) error {
	for _, o := range objs {
		if o.GetObjectKind().GroupVersionKind().Kind == "" {
			gvk, err := apiutil.GVKForObject(o, clientgoscheme.Scheme)
			if err != nil {
				return fmt.Errorf("%s: %w", o.GetName(), err)
			}
			o = o.DeepCopyObject().(client.Object)
			o.GetObjectKind().SetGroupVersionKind(gvk)
		}
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return fmt.Errorf("%s: %w", o.GetName(), err)
		}
		delete(u, "status")
		if md, ok := u["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		b, err := yaml.Marshal(u)
		if err != nil {
			return fmt.Errorf("%s: %w", o.GetName(), err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
			return err
		}
	}
	return nil
}
