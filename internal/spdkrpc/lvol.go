package spdkrpc

// Clear methods of bdev_lvol_create_lvstore and bdev_lvol_create
// (compared case-insensitively by SPDK).
const (
	ClearNone        = "none"
	ClearUnmap       = "unmap"
	ClearWriteZeroes = "write_zeroes"
)

// BdevLvolCreateLvstoreParams are bdev_lvol_create_lvstore's params
// (module/bdev/lvol/vbdev_lvol_rpc.c). Result: the lvstore UUID.
type BdevLvolCreateLvstoreParams struct {
	BdevName                  string `json:"bdev_name"`
	LvsName                   string `json:"lvs_name"`
	ClusterSz                 uint32 `json:"cluster_sz,omitempty"` // bytes; SPDK default 4 MiB
	ClearMethod               string `json:"clear_method,omitempty"`
	NumMdPagesPerClusterRatio uint32 `json:"num_md_pages_per_cluster_ratio,omitempty"`
}

// BdevLvolGetLvstoresParams are bdev_lvol_get_lvstores's params: at most one
// of UUID and LvsName; none lists every lvstore. An unknown store is -19
// "No such device".
type BdevLvolGetLvstoresParams struct {
	UUID    string `json:"uuid,omitempty"`
	LvsName string `json:"lvs_name,omitempty"`
}

// Lvstore is one element of bdev_lvol_get_lvstores's result
// (rpc_dump_lvol_store_info). Free bytes = FreeClusters × ClusterSize.
type Lvstore struct {
	UUID              string `json:"uuid"`
	Name              string `json:"name"`
	BaseBdev          string `json:"base_bdev"`
	TotalDataClusters uint64 `json:"total_data_clusters"`
	FreeClusters      uint64 `json:"free_clusters"`
	BlockSize         uint64 `json:"block_size"`
	ClusterSize       uint64 `json:"cluster_size"`
}

// BdevLvolCreateParams are bdev_lvol_create's params: exactly one of UUID
// and LvsName names the store. Size is in MiB, rounded up to whole
// clusters; the byte-sized "size" member is deprecated since v23.09 and
// removed in v24.05, so it is not offered. Result: the lvol's UUID (its bdev
// also answers to the alias "lvs_name/lvol_name"). A duplicate name fails
// with -32602 "File exists".
type BdevLvolCreateParams struct {
	LvolName      string `json:"lvol_name"`
	SizeInMiB     uint64 `json:"size_in_mib"`
	ThinProvision bool   `json:"thin_provision,omitempty"`
	UUID          string `json:"uuid,omitempty"`
	LvsName       string `json:"lvs_name,omitempty"`
	ClearMethod   string `json:"clear_method,omitempty"`
}

// BdevLvolResizeParams are bdev_lvol_resize's params; Name is the lvol bdev
// name, alias or UUID. Result: true.
type BdevLvolResizeParams struct {
	Name      string `json:"name"`
	SizeInMiB uint64 `json:"size_in_mib"`
}
