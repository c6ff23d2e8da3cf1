//go:build !linux

package transport

import "net"

// peerCred reports errNoPeerCred: SO_PEERCRED is Linux's.
func peerCred(net.Conn) (peerCreds, error) { return peerCreds{}, errNoPeerCred }
