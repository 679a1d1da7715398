package rpc

import "github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"

// The params and result types are defined once in internal/spdkrpc, shared
// with the embedded target's server; these aliases let callers of the
// Client use them without importing that package.
type (
	NvmfCreateTransportParams              = spdkrpc.NvmfCreateTransportParams
	NvmfGetTransportsParams                = spdkrpc.NvmfGetTransportsParams
	Transport                              = spdkrpc.Transport
	NvmfCreateSubsystemParams              = spdkrpc.NvmfCreateSubsystemParams
	NvmfDeleteSubsystemParams              = spdkrpc.NvmfDeleteSubsystemParams
	NvmfGetSubsystemsParams                = spdkrpc.NvmfGetSubsystemsParams
	Subsystem                              = spdkrpc.Subsystem
	ListenAddress                          = spdkrpc.ListenAddress
	Host                                   = spdkrpc.Host
	Namespace                              = spdkrpc.Namespace
	NamespaceParams                        = spdkrpc.NamespaceParams
	NvmfSubsystemAddNsParams               = spdkrpc.NvmfSubsystemAddNsParams
	NvmfSubsystemRemoveNsParams            = spdkrpc.NvmfSubsystemRemoveNsParams
	NvmfSubsystemListenerParams            = spdkrpc.NvmfSubsystemListenerParams
	NvmfSubsystemListenerSetAnaStateParams = spdkrpc.NvmfSubsystemListenerSetAnaStateParams
	NvmfSubsystemAddHostParams             = spdkrpc.NvmfSubsystemAddHostParams

	BdevMallocCreateParams = spdkrpc.BdevMallocCreateParams
	BdevAioCreateParams    = spdkrpc.BdevAioCreateParams
	BdevNullCreateParams   = spdkrpc.BdevNullCreateParams
	BdevGetBdevsParams     = spdkrpc.BdevGetBdevsParams
	Bdev                   = spdkrpc.Bdev

	BdevLvolCreateLvstoreParams = spdkrpc.BdevLvolCreateLvstoreParams
	BdevLvolGetLvstoresParams   = spdkrpc.BdevLvolGetLvstoresParams
	Lvstore                     = spdkrpc.Lvstore
	BdevLvolCreateParams        = spdkrpc.BdevLvolCreateParams
	BdevLvolResizeParams        = spdkrpc.BdevLvolResizeParams

	BdevDelayCreateParams        = spdkrpc.BdevDelayCreateParams
	BdevDelayUpdateLatencyParams = spdkrpc.BdevDelayUpdateLatencyParams
	BdevErrorCreateParams        = spdkrpc.BdevErrorCreateParams
	BdevErrorInjectErrorParams   = spdkrpc.BdevErrorInjectErrorParams

	SpdkGetVersion = spdkrpc.SpdkGetVersion
	VersionFields  = spdkrpc.VersionFields
)
