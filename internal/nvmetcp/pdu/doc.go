// Package pdu encodes and decodes NVMe/TCP protocol data units (NVMe/TCP
// transport specification): common header, per-type headers, digests and padding.
// Host and target both use it.
package pdu
