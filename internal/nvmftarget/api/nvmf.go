package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"syscall"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

func (a *API) nvmfHandlers() map[string]spdkrpc.Handler {
	return map[string]spdkrpc.Handler{
		spdkrpc.MethodNvmfCreateTransport:              a.createTransport,
		spdkrpc.MethodNvmfGetTransports:                a.getTransports,
		spdkrpc.MethodNvmfCreateSubsystem:              a.createSubsystem,
		spdkrpc.MethodNvmfDeleteSubsystem:              a.deleteSubsystem,
		spdkrpc.MethodNvmfGetSubsystems:                a.getSubsystems,
		spdkrpc.MethodNvmfSubsystemAddNs:               a.addNamespace,
		spdkrpc.MethodNvmfSubsystemRemoveNs:            a.removeNamespace,
		spdkrpc.MethodNvmfSubsystemAddListener:         a.addListener,
		spdkrpc.MethodNvmfSubsystemRemoveListener:      a.removeListener,
		spdkrpc.MethodNvmfSubsystemListenerSetAnaState: a.setANAState,
		spdkrpc.MethodNvmfSubsystemAddHost:             a.addHost,
		spdkrpc.MethodNvmfSubsystemGetListeners:        a.getListeners,
	}
}

var invalidParams = spdkrpc.NewError(spdkrpc.CodeInvalidParams, spdkrpc.MsgInvalidParams)

// MarkTransportCreated records a TCP transport made outside the API (the
// target command's own listener), so nvmf_create_transport reports it.
func (a *API) MarkTransportCreated() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.transport == nil {
		a.transport = defaultTransport()
	}
}

func defaultTransport() *spdkrpc.Transport {
	success := true
	return &spdkrpc.Transport{Trtype: spdkrpc.TransportTCP, MaxQueueDepth: nvmftarget.MaxQueueDepth,
		MaxIOQpairsPerCtrlr: nvmftarget.MaxIOQueues, InCapsuleDataSize: nvmftarget.InCapsuleDataSize,
		MaxIOSize: nvmftarget.MaxTransfer, IOUnitSize: nvmftarget.MaxTransfer, MaxAQDepth: nvmftarget.MaxQueueDepth,
		C2HSuccess: &success}
}

func (a *API) createTransport(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfCreateTransportParams
	if err := decode(params, &p, false); err != nil {
		return nil, err
	}
	if !strings.EqualFold(p.Trtype, spdkrpc.TransportTCP) {
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, fmt.Sprintf("Transport type '%s' unavailable.", p.Trtype))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.transport != nil {
		return nil, spdkrpc.NewError(spdkrpc.CodeInternalError, "Transport type 'TCP' already exists")
	}
	a.transport = defaultTransport()
	return true, nil
}

func (a *API) getTransports(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfGetTransportsParams
	if params != nil {
		if err := decode(params, &p, true); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.Trtype != "" && (a.transport == nil || !strings.EqualFold(p.Trtype, spdkrpc.TransportTCP)) {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	out := []spdkrpc.Transport{}
	if a.transport != nil {
		out = append(out, *a.transport)
	}
	return out, nil
}

func (a *API) createSubsystem(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfCreateSubsystemParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	_, err := a.tgt.AddSubsystem(nvmftarget.SubsystemConfig{NQN: p.NQN, Serial: p.SerialNumber, Model: p.ModelNumber,
		AllowAnyHost: p.AllowAnyHost, ANAReporting: p.AnaReporting, MaxNamespaces: p.MaxNamespaces})
	if err != nil {
		return nil, spdkrpc.NewError(spdkrpc.CodeInternalError, "Unable to create subsystem "+p.NQN)
	}
	return true, nil
}

func (a *API) deleteSubsystem(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfDeleteSubsystemParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	s := a.tgt.Subsystem(p.NQN)
	if s == nil || p.NQN == nvme.DiscoveryNQN {
		return nil, invalidParams
	}
	info := s.Info()
	if err := a.tgt.RemoveSubsystem(p.NQN); err != nil {
		return nil, invalidParams
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ns := range info.Namespaces {
		a.release(ns.BdevName)
	}
	return true, nil
}

// release drops a namespace's claim on its bdev. The caller holds a.mu.
func (a *API) release(name string) {
	if e := a.lookup(name); e != nil && e.claims > 0 {
		e.claims--
	}
}

func (a *API) getSubsystems(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfGetSubsystemsParams
	if params != nil {
		if err := decode(params, &p, true); err != nil {
			return nil, err
		}
	}
	out := []spdkrpc.Subsystem{}
	for _, info := range a.tgt.Subsystems() {
		if p.NQN != "" && info.NQN != p.NQN {
			continue
		}
		out = append(out, describeSubsystem(info))
	}
	if p.NQN != "" && len(out) == 0 {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	return out, nil
}

func describeSubsystem(info nvmftarget.SubsystemInfo) spdkrpc.Subsystem {
	s := spdkrpc.Subsystem{NQN: info.NQN, Subtype: "NVMe", ListenAddresses: []spdkrpc.ListenAddress{},
		AllowAnyHost: info.AllowAnyHost, Hosts: []spdkrpc.Host{}}
	for _, l := range info.Listeners {
		s.ListenAddresses = append(s.ListenAddresses, listenAddress(l.Addr))
	}
	for _, h := range info.Hosts {
		s.Hosts = append(s.Hosts, spdkrpc.Host{NQN: h})
	}
	if info.Discovery {
		s.Subtype = "Discovery"
		s.AllowAnyHost = true
		return s
	}
	s.SerialNumber, s.ModelNumber, s.MaxNamespaces = info.Serial, info.Model, info.MaxNamespaces
	s.Namespaces = []spdkrpc.Namespace{}
	for _, ns := range info.Namespaces {
		n := spdkrpc.Namespace{Nsid: ns.NSID, BdevName: ns.BdevName, Name: ns.BdevName,
			NGUID: strings.ToUpper(hex.EncodeToString(ns.NGUID[:])), UUID: formatUUID(ns.UUID)}
		if info.ANAReporting {
			n.Anagrpid = ns.ANAGroupID
		}
		s.Namespaces = append(s.Namespaces, n)
	}
	return s
}

func listenAddress(addr string) spdkrpc.ListenAddress {
	host, port, _ := net.SplitHostPort(addr)
	fam := spdkrpc.AdrfamIPv4
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		fam = spdkrpc.AdrfamIPv6
	}
	return spdkrpc.ListenAddress{Trtype: spdkrpc.TransportTCP, Adrfam: fam, Traddr: host, Trsvcid: port,
		Transport: spdkrpc.TransportTCP}
}

// getListeners answers nvmf_subsystem_get_listeners. SPDK lists a state
// for every ANA group up to the subsystem's max_nsid; the target knows the
// groups that hold namespaces, and lists those.
func (a *API) getListeners(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfSubsystemGetListenersParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	s := a.tgt.Subsystem(p.NQN)
	if s == nil {
		return nil, invalidParams
	}
	info := s.Info()
	out := []spdkrpc.SubsystemListener{}
	for _, l := range info.Listeners {
		sl := spdkrpc.SubsystemListener{Address: listenAddress(l.Addr)}
		sl.Address.Transport = "" // v24.01 writes the deprecated member only in nvmf_get_subsystems
		if info.ANAReporting {
			sl.AnaStates = []spdkrpc.ListenerAnaState{}
			for _, g := range slices.Sorted(maps.Keys(l.ANA)) {
				sl.AnaStates = append(sl.AnaStates, spdkrpc.ListenerAnaState{AnaGroup: g, AnaState: l.ANA[g].String()})
			}
		}
		out = append(out, sl)
	}
	return out, nil
}

func (a *API) addNamespace(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfSubsystemAddNsParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	s := a.tgt.Subsystem(p.NQN)
	if s == nil {
		return nil, invalidParams
	}
	cfg := nvmftarget.NamespaceConfig{NSID: p.Namespace.Nsid, ANAGroupID: p.Namespace.Anagrpid}
	var err error
	if cfg.NGUID, err = parseHexID(p.Namespace.NGUID); err != nil {
		return nil, invalidParams
	}
	if cfg.UUID, err = parseUUIDParam(p.Namespace.UUID); err != nil {
		return nil, invalidParams
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.lookup(p.Namespace.BdevName)
	if e == nil {
		return nil, invalidParams
	}
	cfg.Bdev = e.b
	nsid, err := s.AddNamespace(cfg)
	if err != nil {
		return nil, invalidParams
	}
	e.claims++
	return nsid, nil
}

func parseHexID(s string) ([16]byte, error) {
	var id [16]byte
	if s == "" {
		return id, nil
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		return id, fmt.Errorf("NGUID %q: want 32 hex digits", s)
	}
	copy(id[:], b)
	return id, nil
}

func (a *API) removeNamespace(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfSubsystemRemoveNsParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	s := a.tgt.Subsystem(p.NQN)
	if s == nil {
		return nil, invalidParams
	}
	var bdevName string
	for _, ns := range s.Info().Namespaces {
		if ns.NSID == p.Nsid {
			bdevName = ns.BdevName
		}
	}
	if err := s.RemoveNamespace(p.Nsid); err != nil {
		return nil, invalidParams
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.release(bdevName)
	return true, nil
}

// listenerAddr turns a listen_address into host:port, refusing what the
// embedded target cannot serve.
func listenerAddr(l spdkrpc.ListenAddress) (string, error) {
	if !strings.EqualFold(l.Trtype, spdkrpc.TransportTCP) || l.Traddr == "" || l.Trsvcid == "" {
		return "", invalidParams
	}
	return net.JoinHostPort(l.Traddr, l.Trsvcid), nil
}

func (a *API) addListener(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfSubsystemListenerParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	addr, err := listenerAddr(p.ListenAddress)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	haveTransport := a.transport != nil
	a.mu.Unlock()
	if !haveTransport {
		return nil, invalidParams
	}
	var state nvme.ANAState
	if p.AnaState != "" {
		if state, err = nvme.ParseANAState(p.AnaState); err != nil {
			return nil, invalidParams
		}
	}
	if s := a.tgt.Subsystem(p.NQN); s != nil {
		for _, l := range s.Info().Listeners {
			if l.Addr == addr {
				return true, nil // v24.01: adding an existing listener succeeds
			}
		}
	}
	if _, err := a.tgt.AddListener(p.NQN, addr, state); err != nil {
		return nil, invalidParams
	}
	return true, nil
}

func (a *API) removeListener(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfSubsystemListenerParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	addr, err := listenerAddr(p.ListenAddress)
	if err != nil {
		return nil, err
	}
	if err := a.tgt.RemoveListener(p.NQN, addr); err != nil {
		return nil, invalidParams
	}
	return true, nil
}

func (a *API) setANAState(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfSubsystemListenerSetAnaStateParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	addr, err := listenerAddr(p.ListenAddress)
	if err != nil {
		return nil, err
	}
	state, err := nvme.ParseANAState(p.AnaState)
	if err != nil {
		return nil, invalidParams
	}
	if err := a.tgt.SetANAState(p.NQN, addr, p.Anagrpid, state); err != nil {
		return nil, invalidParams
	}
	return true, nil
}

func (a *API) addHost(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.NvmfSubsystemAddHostParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	s := a.tgt.Subsystem(p.NQN)
	if s == nil {
		return nil, invalidParams
	}
	if err := s.AddHost(p.Host); err != nil {
		return nil, spdkrpc.NewError(spdkrpc.CodeInternalError, spdkrpc.MsgInternalError)
	}
	return true, nil
}
