package spdkcsi

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

var update = flag.Bool("update", false, "rewrite the golden manifests")

func testConfig() Config {
	return Config{
		Namespace: "nvmf-chaos-0a1b2c", RunID: "0a1b2c",
		Targets: []Target{
			{Name: "tgt-a", RPCURL: "http://198.19.254.10:9009", TargetType: "nvme-tcp", TargetAddr: "198.19.254.10"},
			{Name: "tgt-b", RPCURL: "http://198.19.254.11:9009", TargetType: "nvme-tcp", TargetAddr: "198.19.254.11"},
		},
		Username: "spdkcsiuser", Password: "spdkcsipass",
		Images:  DefaultImages,
		Volumes: []Volume{{Name: "vol0", Size: 256 << 20}},
	}
}

// The manifests are what testdata/spdkcsi.golden.yaml holds, and that
// file decodes back, through client-go's own decoder, into the same
// typed objects: what `kubectl apply -f` of it would send.
func TestManifestsMatchTheGoldenFile(t *testing.T) {
	objs, err := Objects(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := kube.WriteYAML(&buf, objs...); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "spdkcsi.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("the manifests changed; if on purpose: go test ./provision/spdkcsi -update\n%s", buf.String())
	}
	docs := strings.Split(strings.TrimPrefix(string(want), "---\n"), "\n---\n")
	if len(docs) != len(objs) {
		t.Fatalf("%d documents in the golden file, %d objects", len(docs), len(objs))
	}
	decode := clientgoscheme.Codecs.UniversalDeserializer().Decode
	for i, doc := range docs {
		got, _, err := decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if !equality.Semantic.DeepEqual(withoutTypeMeta(got), withoutTypeMeta(objs[i])) {
			t.Errorf("document %d (%s) decodes to another object than built", i, objs[i].GetName())
		}
	}
}

func withoutTypeMeta(o runtime.Object) runtime.Object {
	c := o.DeepCopyObject()
	c.GetObjectKind().SetGroupVersionKind(c.GetObjectKind().GroupVersionKind().GroupVersion().WithKind(""))
	return c
}

// The ConfigMap and Secret carry the targets and credentials in the JSON
// the driver reads (upstream's config.json and secret.json).
func TestConfigAndSecretAreTheDriversFormat(t *testing.T) {
	c := testConfig()
	cm, err := c.configMap()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"nodes": [`, `"rpcURL": "http://198.19.254.10:9009"`, `"targetType": "nvme-tcp"`, `"targetAddr": "198.19.254.11"`} {
		if !strings.Contains(cm.Data["config.json"], want) {
			t.Errorf("config.json lacks %s:\n%s", want, cm.Data["config.json"])
		}
	}
	sec, err := c.secret()
	if err != nil {
		t.Fatal(err)
	}
	if s := sec.StringData["secret.json"]; strings.Count(s, `"username": "spdkcsiuser"`) != 2 || !strings.Contains(s, `"rpcTokens"`) {
		t.Errorf("secret.json: want a token per target:\n%s", s)
	}
}

// Each claim names the StorageClass the objects create, and the
// cluster-wide objects carry the run's id, which is how the run's sweep
// finds them.
func TestClaimsUseTheRunsClass(t *testing.T) {
	objs, err := Objects(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	var class string
	var claims []*corev1.PersistentVolumeClaim
	for _, o := range objs {
		switch o := o.(type) {
		case *storagev1.StorageClass:
			class = o.Name
		case *corev1.PersistentVolumeClaim:
			claims = append(claims, o)
		}
		if o.GetNamespace() == "" && o.GetLabels()[kube.LabelRunID] != "0a1b2c" {
			t.Errorf("cluster-wide %T %s: no run id label", o, o.GetName())
		}
	}
	if class == "" || len(claims) != 1 {
		t.Fatalf("class %q, %d claims: want one of each", class, len(claims))
	}
	if c := claims[0]; *c.Spec.VolumeMode != corev1.PersistentVolumeBlock || *c.Spec.StorageClassName != class {
		t.Errorf("claim %s: mode %s class %s; want a Block volume of class %s", c.Name, *c.Spec.VolumeMode, *c.Spec.StorageClassName, class)
	}
}

func TestValidate(t *testing.T) {
	tests := map[string]func(*Config){
		"no namespace":   func(c *Config) { c.Namespace = "" },
		"no target":      func(c *Config) { c.Targets = nil },
		"no credentials": func(c *Config) { c.Password = "" },
	}
	if err := testConfig().Validate(); err != nil {
		t.Fatalf("the good config: %v", err)
	}
	for name, mutate := range tests {
		c := testConfig()
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
