package workloads

// refusedOptions are fio options nvmf-chaos knows and cannot honour, with
// why: a job file that sets one fails naming the option, its line and
// the reason, rather than the bare "unsupported".
var refusedOptions = map[string]string{
	"atomic":                "atomic writes (RWF_ATOMIC, NVMe atomic write units) are not in nvmf-chaos's hosts or targets",
	"continue_on_error":     "the engine never stops a job at an I/O error: it counts each one, and the verdict judges them",
	"ignore_error":          "every I/O error is counted: there is no list of errors to ignore",
	"sync":                  "O_SYNC/O_DSYNC writes: the devices have no FUA write; use fsync= or fdatasync=",
	"sync_file_range":       "a file-system call; the targets are block devices (use fsync= or fdatasync=)",
	"end_syncfs":            "a file-system call; the targets are block devices (use end_fsync)",
	"scramble_buffers":      "buffers are random per worker, or refilled per write with refill_buffers",
	"buffer_compress_chunk": "compressible buffers are shaped per 4 KiB only (buffer_compress_percentage)",
	"job_max_open_zones":    "zoned mode limits open zones per run (max_open_zones), not per job",
	"write_zone_remainders": "zoned mode's writes do not fill zone remainders",
	"trim_percentage":       "fio's trim verification is not implemented",
	"trim_verify_zero":      "fio's trim verification is not implemented",
	"sprandom":              "fio's SPRandom preconditioning (sprandom, spr_*) is not implemented",
	"spr_op":                "fio's SPRandom preconditioning (sprandom, spr_*) is not implemented",
	"spr_num_regions":       "fio's SPRandom preconditioning (sprandom, spr_*) is not implemented",
}
