package testcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
)

// installCRDs creates (or updates) every CustomResourceDefinition in the
// multi-document YAML file path and waits until all are Established. It
// returns how many it installed. Safe to call again on the same file.
func installCRDs(ctx context.Context, l Layout, path string) (int, error) {
	crds, err := readCRDs(path)
	if err != nil {
		return 0, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return 0, fmt.Errorf("kubeconfig %s: %w", l.Kubeconfig(), err)
	}
	cs, err := apiextensions.NewForConfig(cfg)
	if err != nil {
		return 0, fmt.Errorf("apiextensions client: %w", err)
	}
	api := cs.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range crds {
		_, err := api.Create(ctx, crd, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			var old *apiextensionsv1.CustomResourceDefinition
			if old, err = api.Get(ctx, crd.Name, metav1.GetOptions{}); err == nil {
				crd.ResourceVersion = old.ResourceVersion
				_, err = api.Update(ctx, crd, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			return 0, fmt.Errorf("installing CRD %s: %w", crd.Name, err)
		}
	}
	for _, crd := range crds {
		err := waitHealthy(ctx, "CRD "+crd.Name+" Established", nil, time.Minute, func(ctx context.Context) error {
			got, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			return established(got)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(crds), nil
}

// established says why a CRD is not yet served, or nil once it is.
func established(crd *apiextensionsv1.CustomResourceDefinition) error {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			if c.Status == apiextensionsv1.ConditionTrue {
				return nil
			}
			return fmt.Errorf("CRD %s not Established: %s: %s", crd.Name, c.Reason, c.Message)
		}
	}
	return fmt.Errorf("CRD %s has no Established condition yet", crd.Name)
}

// readCRDs decodes every document of a YAML stream into a typed CRD; a
// document of another kind is an error, so a wrong file is not half
// installed.
func readCRDs(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("CRD manifest: %w", err)
	}
	defer f.Close()
	var crds []*apiextensionsv1.CustomResourceDefinition
	dec := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(f), 64<<10)
	for {
		var crd apiextensionsv1.CustomResourceDefinition
		err := dec.Decode(&crd)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, len(crds)+1, err)
		}
		if crd.Kind == "" && crd.Name == "" {
			continue // an empty document between two "---"
		}
		if crd.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("%s: document %d is a %s %q, not a CustomResourceDefinition", path, len(crds)+1, crd.Kind, crd.Name)
		}
		crds = append(crds, &crd)
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("%s: no CustomResourceDefinition in it", path)
	}
	return crds, nil
}
