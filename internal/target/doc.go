// Package target is the embedded NVMe/TCP target: subsystems, dynamic
// controllers, namespaces, ANA groups, served over real TCP sockets.
package target
