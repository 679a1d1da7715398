package spdkrpc

// Method names, exactly as SPDK v24.01 registers them (SPDK_RPC_REGISTER).
const (
	MethodNvmfCreateTransport              = "nvmf_create_transport"
	MethodNvmfGetTransports                = "nvmf_get_transports"
	MethodNvmfCreateSubsystem              = "nvmf_create_subsystem"
	MethodNvmfDeleteSubsystem              = "nvmf_delete_subsystem"
	MethodNvmfGetSubsystems                = "nvmf_get_subsystems"
	MethodNvmfSubsystemAddNs               = "nvmf_subsystem_add_ns"
	MethodNvmfSubsystemRemoveNs            = "nvmf_subsystem_remove_ns"
	MethodNvmfSubsystemAddListener         = "nvmf_subsystem_add_listener"
	MethodNvmfSubsystemRemoveListener      = "nvmf_subsystem_remove_listener"
	MethodNvmfSubsystemListenerSetAnaState = "nvmf_subsystem_listener_set_ana_state"
	MethodNvmfSubsystemAddHost             = "nvmf_subsystem_add_host"

	MethodBdevMallocCreate = "bdev_malloc_create"
	MethodBdevMallocDelete = "bdev_malloc_delete"
	MethodBdevAioCreate    = "bdev_aio_create"
	MethodBdevNullCreate   = "bdev_null_create"
	MethodBdevGetBdevs     = "bdev_get_bdevs"

	MethodBdevLvolCreateLvstore = "bdev_lvol_create_lvstore"
	MethodBdevLvolGetLvstores   = "bdev_lvol_get_lvstores"
	MethodBdevLvolCreate        = "bdev_lvol_create"
	MethodBdevLvolResize        = "bdev_lvol_resize"
	MethodBdevLvolDelete        = "bdev_lvol_delete"

	MethodBdevDelayCreate        = "bdev_delay_create"
	MethodBdevDelayUpdateLatency = "bdev_delay_update_latency"
	MethodBdevDelayDelete        = "bdev_delay_delete"

	MethodBdevErrorCreate      = "bdev_error_create"
	MethodBdevErrorInjectError = "bdev_error_inject_error"
	MethodBdevErrorDelete      = "bdev_error_delete"

	MethodSpdkGetVersion   = "spdk_get_version"
	MethodSpdkKillInstance = "spdk_kill_instance"
)

// HarnessMethods lists every method above, for targets that want to check they
// serve the whole set the harness uses.
var HarnessMethods = []string{
	MethodNvmfCreateTransport, MethodNvmfGetTransports,
	MethodNvmfCreateSubsystem, MethodNvmfDeleteSubsystem, MethodNvmfGetSubsystems,
	MethodNvmfSubsystemAddNs, MethodNvmfSubsystemRemoveNs,
	MethodNvmfSubsystemAddListener, MethodNvmfSubsystemRemoveListener,
	MethodNvmfSubsystemListenerSetAnaState, MethodNvmfSubsystemAddHost,
	MethodBdevMallocCreate, MethodBdevMallocDelete, MethodBdevAioCreate,
	MethodBdevNullCreate, MethodBdevGetBdevs,
	MethodBdevLvolCreateLvstore, MethodBdevLvolGetLvstores, MethodBdevLvolCreate,
	MethodBdevLvolResize, MethodBdevLvolDelete,
	MethodBdevDelayCreate, MethodBdevDelayUpdateLatency, MethodBdevDelayDelete,
	MethodBdevErrorCreate, MethodBdevErrorInjectError, MethodBdevErrorDelete,
	MethodSpdkGetVersion, MethodSpdkKillInstance,
}
