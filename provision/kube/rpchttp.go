package kube

import (
	"fmt"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RPCSecretName is the Secret holding a run's target RPC credentials.
const RPCSecretName = "target-rpc-credentials"

// Keys of RPCSecret, and the environment the target reads them from
// (never its command line, which every user of the node can read).
const (
	rpcUserKey     = "username"
	rpcPasswordKey = "password"
	envRPCUser     = "NVMF_CHAOS_RPC_USER"
	envRPCPassword = "NVMF_CHAOS_RPC_PASSWORD"
)

// RPCSecret holds the credentials a run's targets ask of HTTP JSON-RPC
// clients: the storage driver, which gets the same pair in its own Secret.
func RPCSecret(namespace, runID, user, password string) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: RPCSecretName, Namespace: namespace, Labels: labels(runID, ComponentTarget)},
		StringData: map[string]string{rpcUserKey: user, rpcPasswordKey: password},
	}
}

// withRPCHTTP has the target serve its JSON-RPC over HTTP with basic auth
// on RPCHTTPPort, its credentials from secret.
func withRPCHTTP(c *corev1.Container, secret string) {
	c.Args = append(c.Args, "--rpc-http", fmt.Sprintf("0.0.0.0:%d", RPCHTTPPort))
	c.Ports = append(c.Ports, corev1.ContainerPort{Name: "rpc-http", ContainerPort: RPCHTTPPort})
	from := func(key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}
	}
	c.Env = append(c.Env,
		corev1.EnvVar{Name: envRPCUser, ValueFrom: from(rpcUserKey)},
		corev1.EnvVar{Name: envRPCPassword, ValueFrom: from(rpcPasswordKey)})
}

// RPCURL is where a client in the cluster reaches a target's HTTP
// JSON-RPC: its Service's IP, or its DNS name before the Service exists
// (a dry run). Clusters without DNS (the test cluster) need the IP.
func RPCURL(namespace, node, serviceIP string) string {
	host := serviceIP
	if host == "" {
		host = TargetPodName(node) + "." + namespace + ".svc"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(RPCHTTPPort))
}
