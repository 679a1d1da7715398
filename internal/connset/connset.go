// Package connset tracks the open connections of a TCP relay (the latency
// proxy, the Kubernetes port-forward) so that closing the relay cuts them
// all, including ones accepted while it closes.
package connset

import (
	"net"
	"sync"
)

// Set is the relay's open connections. The zero value is ready.
type Set struct {
	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

// Add tracks c, reporting false (and tracking nothing) once the set is
// closed: the caller then closes c itself.
func (s *Set) Add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

// Remove stops tracking c and closes it.
func (s *Set) Remove(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// Close closes every tracked connection and refuses new ones.
func (s *Set) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
}
