// Package netguard keeps servers alive and fair when peers, or the
// machine, run them short of resources.
//
// AcceptRetry and RetryListener back off and retry an Accept that fails
// for a temporary reason (too many open files, a connection aborted
// before it was accepted), as net/http's Server.Serve does, instead of
// ending serving for good. LimitListener caps the connections a server
// holds open at once. IdleCap caps the connections of an http.Server that
// are not serving a request, closing the oldest when a new one comes, so
// that peers that connect and say nothing cannot hold every connection.
// RateLog logs refused peers at a bounded rate, with a count of the lines
// it dropped.
package netguard
