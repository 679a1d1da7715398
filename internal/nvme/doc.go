// Package nvme holds NVMe and NVMe-oF specification types: submission and
// completion queue entries, status codes, Identify structures and log pages.
// It does no I/O.
package nvme
