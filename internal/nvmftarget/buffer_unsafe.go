package nvmftarget

import "unsafe"

// uintptrOf is the address of b's first byte, used only to align buffers.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
