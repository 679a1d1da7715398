package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// Environment variables that carry the --rpc-http credentials, as a
// Kubernetes Secret is handed to a pod (env valueFrom secretKeyRef).
const (
	envRPCUser     = "NVMF_CHAOS_RPC_USER"
	envRPCPassword = "NVMF_CHAOS_RPC_PASSWORD"
)

// maxCredentialsFile bounds what is read from --rpc-http-credentials: the
// file holds one short line, and a huge file is a mistake, not a password.
const maxCredentialsFile = 4 << 10

// rpcHTTPAuth is how the --rpc-http endpoint authenticates clients.
type rpcHTTPAuth struct {
	file     string // --rpc-http-credentials
	insecure bool   // --rpc-http-insecure
}

// credentials decides the endpoint's credentials from the flags and the
// environment. Passwords never come from the command line, where every
// user of the node reads them in /proc/PID/cmdline. Without credentials
// the endpoint is refused unless insecure is explicit: the API creates and
// deletes volumes, opens any file the process can (bdev_aio_create) and
// kills the process (spdk_kill_instance), so an open port on the node's
// network would hand all of that to anyone who reaches it. getenv and
// readFile are os.Getenv and os.ReadFile outside tests.
func (a rpcHTTPAuth) credentials(getenv func(string) string, readFile func(string) ([]byte, error)) (*spdkrpc.Credentials, error) {
	user, pass := getenv(envRPCUser), getenv(envRPCPassword)
	fromEnv := user != "" || pass != ""
	switch {
	case fromEnv && (user == "" || pass == ""):
		return nil, fmt.Errorf("--rpc-http: set both %s and %s, or neither", envRPCUser, envRPCPassword)
	case a.insecure && (fromEnv || a.file != ""):
		return nil, errors.New("--rpc-http-insecure serves without credentials: do not also give --rpc-http-credentials or " +
			envRPCUser + "/" + envRPCPassword)
	case a.insecure:
		return nil, nil
	case fromEnv && a.file != "":
		return nil, fmt.Errorf("--rpc-http: credentials from both --rpc-http-credentials and %s/%s: give one", envRPCUser, envRPCPassword)
	case fromEnv:
		return &spdkrpc.Credentials{User: user, Password: pass}, nil
	case a.file != "":
		return readCredentials(a.file, readFile)
	}
	return nil, fmt.Errorf("--rpc-http needs credentials: --rpc-http-credentials FILE or %s and %s "+
		"(or --rpc-http-insecure to serve without authentication)", envRPCUser, envRPCPassword)
}

// readCredentials reads a credentials file: one line "user:password",
// split at the first colon (RFC 7617 forbids colons in the user, not in
// the password), the same form as curl -u and the user:pass@ part of the
// http:// addresses the provisioner dials. Only the line ending is
// trimmed: spaces are part of the password.
func readCredentials(path string, readFile func(string) ([]byte, error)) (*spdkrpc.Credentials, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("--rpc-http-credentials: %w", err)
	}
	if len(b) > maxCredentialsFile {
		return nil, fmt.Errorf("--rpc-http-credentials %s: %d bytes, want one user:password line", path, len(b))
	}
	line := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if strings.ContainsAny(line, "\r\n") {
		return nil, fmt.Errorf("--rpc-http-credentials %s: more than one line, want one user:password line", path)
	}
	user, pass, ok := strings.Cut(line, ":")
	if !ok || user == "" || pass == "" {
		// Never echo the content: it may be a password without its user.
		return nil, fmt.Errorf("--rpc-http-credentials %s: want one line user:password, both non-empty", path)
	}
	return &spdkrpc.Credentials{User: user, Password: pass}, nil
}

// rpcHTTPOptions are the endpoint options for the command's flags.
func rpcHTTPOptions(a rpcHTTPAuth) (spdkrpc.HTTPOptions, error) {
	creds, err := a.credentials(os.Getenv, os.ReadFile)
	if err != nil {
		return spdkrpc.HTTPOptions{}, err
	}
	return spdkrpc.HTTPOptions{Credentials: creds}, nil
}

// rpcClientAuth is the client side of the same variables: when set, they
// are the credentials of the http(s) RPC addresses a command dials, so a
// password need not sit in an address on its command line.
func rpcClientAuth(getenv func(string) string) ([]rpc.Option, error) {
	user, pass := getenv(envRPCUser), getenv(envRPCPassword)
	switch {
	case user == "" && pass == "":
		return nil, nil
	case user == "" || pass == "":
		return nil, fmt.Errorf("set both %s and %s, or neither", envRPCUser, envRPCPassword)
	}
	return []rpc.Option{rpc.WithBasicAuth(user, pass)}, nil
}
