package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServePprof(t *testing.T) {
	addr, err := servePprof("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
		t.Fatalf("GET goroutine profile: %s\n%.200s", resp.Status, body)
	}
}

func TestServePprofBadAddress(t *testing.T) {
	for _, addr := range []string{"no-port", "127.0.0.1:99999"} {
		_, err := servePprof(addr)
		if err == nil || !strings.Contains(err.Error(), envPprof+"="+addr) {
			t.Errorf("servePprof(%q) = %v, want an error naming %s=%s", addr, err, envPprof, addr)
		}
	}
}
