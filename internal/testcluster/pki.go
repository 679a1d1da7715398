package testcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certLifetime covers any test run; the PKI is thrown away with the cluster.
const certLifetime = 30 * 24 * time.Hour

// certSpec is one certificate the cluster needs.
type certSpec struct {
	file   string // base name: file.crt and file.key under pki/
	cn     string
	orgs   []string
	server bool
	dns    []string
	ips    []net.IP
}

// authority is the throwaway CA that signs every certificate.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// writePKI makes the CA, the service-account key pair and every client and
// server certificate the components use.
func writePKI(l Layout, nodes []Node) error {
	if err := os.MkdirAll(l.pki(""), 0o700); err != nil {
		return fmt.Errorf("creating pki dir: %w", err)
	}
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	if err := writePEM(l.pki("ca.crt"), "CERTIFICATE", ca.cert.Raw); err != nil {
		return err
	}
	if err := writeKey(l.pki("ca.key"), ca.key); err != nil {
		return err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	if err := writeKey(l.pki("sa.key"), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return fmt.Errorf("service-account public key: %w", err)
	}
	if err := writePEM(l.pki("sa.pub"), "PUBLIC KEY", pub); err != nil {
		return err
	}
	for _, s := range certSpecs(nodes) {
		if err := ca.issue(l, s); err != nil {
			return fmt.Errorf("certificate %s: %w", s.file, err)
		}
	}
	return nil
}

// certSpecs lists the certificates: the API server's serving certificate
// and one client certificate per identity RBAC knows (system:masters for
// the admin and the API server's calls to kubelets, the bootstrap users of
// the scheduler, controller manager and kube-proxy, one per kubelet), and
// Chaos Mesh's webhook serving certificate.
func certSpecs(nodes []Node) []certSpec {
	cp := nodes[0]
	specs := []certSpec{
		{
			file: "apiserver", cn: "kube-apiserver", server: true,
			dns: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local", "localhost", cp.Name},
			ips: []net.IP{net.ParseIP("127.0.0.1"), cp.IP.AsSlice(), serviceIP().AsSlice()},
		},
		{file: "admin", cn: "nvmf-chaos-admin", orgs: []string{"system:masters"}},
		{file: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}},
		{file: "kube-controller-manager", cn: "system:kube-controller-manager"},
		{file: "kube-scheduler", cn: "system:kube-scheduler"},
		{file: "kube-proxy", cn: "system:kube-proxy"},
		// Chaos Mesh's webhook server, which the API server calls by
		// the node's address (made even when Chaos Mesh is not run:
		// certificates cost nothing, a second PKI step would).
		{file: "chaos-mesh-webhook", cn: "chaos-mesh-webhook", server: true, ips: []net.IP{cp.IP.AsSlice()}},
	}
	for _, n := range nodes {
		specs = append(specs, certSpec{file: "kubelet-" + n.Name, cn: "system:node:" + n.Name, orgs: []string{"system:nodes"}})
	}
	return specs
}

func newAuthority() (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "nvmf-chaos test cluster CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	return &authority{cert: cert, key: key}, nil
}

func (ca *authority) issue(l Layout, s certSpec) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	usage := x509.ExtKeyUsageClientAuth
	if s.server {
		usage = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     s.dns,
		IPAddresses:  s.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return err
	}
	if err := writePEM(l.pki(s.file+".crt"), "CERTIFICATE", der); err != nil {
		return err
	}
	return writeKey(l.pki(s.file+".key"), key)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126)) // crypto/rand never fails on Linux
	return n
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, typ string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
