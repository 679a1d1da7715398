package connset

import (
	"net"
	"testing"
	"time"
)

func TestCloseCutsTrackedAndRefusesNew(t *testing.T) {
	a1, b1 := net.Pipe()
	a2, b2 := net.Pipe()
	defer b1.Close()
	defer b2.Close()
	var s Set
	if !s.Add(a1) {
		t.Fatal("an open set refused a connection")
	}
	s.Close()
	_ = b1.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := b1.Read(make([]byte, 1)); err == nil {
		t.Error("a tracked connection stayed open after Close")
	}
	if s.Add(a2) {
		t.Error("a closed set took a connection")
	}
	a2.Close()
	s.Remove(a1) // removing after Close is harmless
}
