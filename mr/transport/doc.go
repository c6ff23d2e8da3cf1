// Package transport carries the connections between workers and the
// coordinator: where the coordinator listens (Addr, the -addr flag and
// $MR_ADDR), dialing it, and listening for workers. The messages that
// travel on these connections are mr/protocol's.
//
// Over TCP both sides prove they know the job's secret (mr/auth) before
// anything else is sent, optionally under TLS (mr/tlsconf): Dial and
// ListenAuthenticated refuse a TCP address without a secret. Over a Unix
// socket the folder's permissions and the peer's credentials guard the
// connection: Listen takes an exclusive lock beside the socket, so two
// coordinators cannot both take an address, never replaces a name that is
// not this user's own socket, and both sides refuse a peer that runs as
// another user.
package transport
