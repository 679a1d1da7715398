package main

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

func TestRPCHTTPCredentials(t *testing.T) {
	files := map[string]string{
		"plain":      "csi:s3cret\n",
		"crlf":       "csi:s3cret\r\n",
		"no newline": "csi:s3cret",
		"colon":      "csi:pa:ss word\n",
		"two lines":  "csi\ns3cret\n",
		"no colon":   "csi\n",
		"no user":    ":s3cret\n",
		"no pass":    "csi:\n",
		"empty":      "",
		"huge":       "csi:" + strings.Repeat("x", maxCredentialsFile),
	}
	readFile := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	envBoth := map[string]string{envRPCUser: "envuser", envRPCPassword: "envpass"}
	tests := []struct {
		name    string
		auth    rpcHTTPAuth
		env     map[string]string
		want    *spdkrpc.Credentials // nil with wantErr "" = insecure
		wantErr string               // substring of the error
	}{
		{name: "file", auth: rpcHTTPAuth{file: "plain"}, want: &spdkrpc.Credentials{User: "csi", Password: "s3cret"}},
		{name: "file crlf", auth: rpcHTTPAuth{file: "crlf"}, want: &spdkrpc.Credentials{User: "csi", Password: "s3cret"}},
		{name: "file without newline", auth: rpcHTTPAuth{file: "no newline"}, want: &spdkrpc.Credentials{User: "csi", Password: "s3cret"}},
		{name: "password keeps colons and spaces", auth: rpcHTTPAuth{file: "colon"},
			want: &spdkrpc.Credentials{User: "csi", Password: "pa:ss word"}},
		{name: "environment", env: envBoth, want: &spdkrpc.Credentials{User: "envuser", Password: "envpass"}},
		{name: "insecure", auth: rpcHTTPAuth{insecure: true}},
		{name: "nothing refused", wantErr: "needs credentials"},
		{name: "user without password", env: map[string]string{envRPCUser: "u"}, wantErr: "set both"},
		{name: "password without user", env: map[string]string{envRPCPassword: "p"}, wantErr: "set both"},
		{name: "file and environment", auth: rpcHTTPAuth{file: "plain"}, env: envBoth, wantErr: "give one"},
		{name: "insecure with file", auth: rpcHTTPAuth{file: "plain", insecure: true}, wantErr: "without credentials"},
		{name: "insecure with environment", auth: rpcHTTPAuth{insecure: true}, env: envBoth, wantErr: "without credentials"},
		{name: "two-line file", auth: rpcHTTPAuth{file: "two lines"}, wantErr: "more than one line"},
		{name: "no colon", auth: rpcHTTPAuth{file: "no colon"}, wantErr: "want one line user:password"},
		{name: "empty user", auth: rpcHTTPAuth{file: "no user"}, wantErr: "want one line user:password"},
		{name: "empty password", auth: rpcHTTPAuth{file: "no pass"}, wantErr: "want one line user:password"},
		{name: "empty file", auth: rpcHTTPAuth{file: "empty"}, wantErr: "want one line user:password"},
		{name: "huge file", auth: rpcHTTPAuth{file: "huge"}, wantErr: "want one user:password line"},
		{name: "missing file", auth: rpcHTTPAuth{file: "absent"}, wantErr: "file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.auth.credentials(func(k string) string { return tt.env[k] }, readFile)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("credentials %+v, want %+v", got, tt.want)
			}
		})
	}
}

// startTarget runs `nvmf-chaos target` with args and env and returns the
// --rpc-http URL it prints.
func startTarget(ctx context.Context, t *testing.T, env []string, args ...string) string {
	t.Helper()
	proc := exec.Command(os.Args[0], append([]string{"target", "--log-level", "warn"}, args...)...)
	proc.Env = append(append(os.Environ(), beMainEnv+"=1"), env...)
	out, err := proc.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proc.Process.Kill(); _ = proc.Wait() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "rpc-http listening on "); ok {
				lines <- u
			}
		}
	}()
	select {
	case u, ok := <-lines:
		if !ok {
			t.Fatal("target exited without serving --rpc-http")
		}
		return u
	case <-ctx.Done():
		t.Fatal("target did not report its --rpc-http address")
	}
	return ""
}

// The command serves --rpc-http alone (no --rpc-socket) with credentials
// from the environment, and the project's own client provisions through it
// with an http:// address; wrong credentials are refused and change nothing.
func TestTargetRPCHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env := []string{envRPCUser + "=csi", envRPCPassword + "=s3cret"}
	u := startTarget(ctx, t, env, "--rpc-http", "127.0.0.1:0")
	hostPort := strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/")

	bad, err := rpc.Dial(ctx, "http://csi:wrong@"+hostPort)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	_, err = bad.BdevMallocCreate(ctx, rpc.BdevMallocCreateParams{Name: "m0", NumBlocks: 2048, BlockSize: 512})
	if !errors.Is(err, rpc.ErrUnauthorized) {
		t.Fatalf("bdev_malloc_create with a wrong password: %v, want ErrUnauthorized", err)
	}

	good, err := rpc.Dial(ctx, "http://csi:s3cret@"+hostPort)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if _, err := good.BdevGetBdevs(ctx, rpc.BdevGetBdevsParams{Name: "m0"}); !errors.Is(err, rpc.ErrNotFound) {
		t.Fatalf("the refused create left bdev m0 behind: %v", err)
	}
	if name, err := good.BdevMallocCreate(ctx, rpc.BdevMallocCreateParams{Name: "m0", NumBlocks: 2048, BlockSize: 512}); err != nil || name != "m0" {
		t.Fatalf("bdev_malloc_create over HTTP = %q, %v", name, err)
	}
}

// Without credentials the command refuses to start, and says how to give them.
func TestTargetRPCHTTPRefusesWithoutCredentials(t *testing.T) {
	for _, args := range [][]string{
		{"--rpc-http", "127.0.0.1:0"},
		{"--rpc-http", "127.0.0.1:0", "--rpc-socket", filepath.Join(t.TempDir(), "rpc.sock")},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		proc := exec.CommandContext(ctx, os.Args[0], append([]string{"target"}, args...)...)
		proc.Env = append(os.Environ(), beMainEnv+"=1", envRPCUser+"=", envRPCPassword+"=")
		out, err := proc.CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(string(out), envRPCPassword) {
			t.Errorf("target %v: %v, output %q; want a failure naming %s", args, err, out, envRPCPassword)
		}
	}
}

// cleanup --rpc http://HOST:PORT takes the credentials from the same
// environment variables as the target, so no password is on its command
// line; without them the target refuses it with 401.
func TestCleanupRPCHTTPCredentialsFromEnvironment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := startTarget(ctx, t, []string{envRPCUser + "=csi", envRPCPassword + "=s3cret"}, "--rpc-http", "127.0.0.1:0")
	tests := []struct {
		name, user, pass string
		code             int
		want             string
	}{
		{"from the environment", "csi", "s3cret", 0, ""},
		{"wrong password", "csi", "wrong", exitCannotRun, "refused the credentials"},
		{"none", "", "", exitCannotRun, "refused the credentials"},
		{"half", "csi", "", exitCannotRun, "set both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envRPCUser, tt.user)
			t.Setenv(envRPCPassword, tt.pass)
			out, code := runCLI(t, "cleanup", "--prefix", "nvmfc-zz9", "--state-dir", t.TempDir(), "--rpc", u)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}

func TestRPCClientAuth(t *testing.T) {
	tests := []struct {
		env     map[string]string
		options int
		wantErr bool
	}{
		{env: nil, options: 0},
		{env: map[string]string{envRPCUser: "u", envRPCPassword: "p"}, options: 1},
		{env: map[string]string{envRPCUser: "u"}, wantErr: true},
		{env: map[string]string{envRPCPassword: "p"}, wantErr: true},
	}
	for _, tt := range tests {
		opts, err := rpcClientAuth(func(k string) string { return tt.env[k] })
		if (err != nil) != tt.wantErr || len(opts) != tt.options {
			t.Errorf("env %v: %d options, error %v; want %d options, error %v", tt.env, len(opts), err, tt.options, tt.wantErr)
		}
	}
}
