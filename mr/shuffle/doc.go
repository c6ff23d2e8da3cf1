// Package shuffle moves map outputs to reducers across machines. Each
// worker keeps the map output files it committed on its own disk and
// serves them over HTTP (NewHandler, NewServer); a reducer fetches its
// partition's section of each map output from the worker that holds it
// (Fetcher). Every request and reply is authenticated with HMAC-SHA256
// under a key derived from the job's shared secret, after Hadoop's
// shuffle but covering the reply's body too.
//
// # Request
//
// A request for section R of the output of attempt A of map task M of job
// J, sent at Unix time T (seconds), is
//
//	GET /v1/map-output?job=J&map=M&attempt=A&reduce=R HTTP/1.1
//	X-MR-Time: T
//	X-MR-Signature: S
//
//	S     = hex(HMAC-SHA256(key, "GET\n" + "/v1/map-output" + "\n" + query + "\n" + T))
//	query = "job=" + QueryEscape(J) + "&map=" + M + "&attempt=" + A + "&reduce=" + R
//
// M, A, R and T are canonical decimals (ASCII digits, no sign, no leading
// zero; M, A, R below 1<<31), hex is lowercase, "\n" is one 0x0a byte and
// QueryEscape is net/url's. The query on the wire must hold each of the
// four parameters exactly once and nothing else, in any order: the
// server rebuilds the canonical query from the parsed values and checks
// S against that, never against the raw query.
//
// # Reply
//
// A reply to a request that passes every check is
//
//	HTTP/1.1 200 OK
//	Content-Type: application/octet-stream
//	Content-Length: len(section) + 32
//	X-MR-Reply-Signature: hex(HMAC-SHA256(key, "reply\n" + S))
//
//	section HMAC-SHA256(key, "body\n" + S + section)
//
// where S is the request's signature as sent (64 hex digits) and section
// is the bytes of section R of the map output file exactly as stored (an
// ifile section: header, checksummed 64 KiB blocks, trailer), followed by
// the 32 raw bytes of the MAC. Other replies are plain text:
//
//	401  no X-MR-Time or no X-MR-Signature header
//	400  the query is not four canonical parameters
//	403  a repeated or malformed header, T more than MaxSkew (5 min) from
//	     the server's clock, S wrong, or J another job
//	404  any path but /v1/map-output; or no committed output of (M, A) on
//	     this worker; or its file gone or damaged (the output is lost)
//	405  any method but GET
//	500  an error reading the file (worth retrying)
//
// A 404 that answers a request passing every check (no committed output
// of (M, A) here, or its file gone or damaged) is signed:
//
//	X-MR-Reply-Signature: hex(HMAC-SHA256(key, "not found\n" + S))
//
// A 200 reply whose body ends early is cut off: the reducer sees a short
// body and tries again. Other error replies are not signed. The reducer
// takes a map output for lost (ErrNotFound) only on a 404 signed for its
// request: an unsigned or wrongly signed 404 is ErrUnavailable, tried
// again like a dropped reply. So an attacker on the path cannot forge a
// loss; it can only make the reducer give up on a source after its
// tries, as it could by dropping packets.
//
// # What the checks protect against
//
//   - The request signature proves the reducer knows the key: no one else
//     can read map outputs. It covers the method, the path, every
//     parameter and the time, so a signature captured on the wire
//     cannot be replayed for another section, attempt, map or job, and
//     is accepted only within MaxSkew of its time; within that window a
//     replay only fetches again bytes its sender has already seen. The
//     comparison takes constant time.
//   - The reply signature proves the server knows the key: a process
//     that took over a dead worker's port cannot pass itself off as the
//     worker (ErrUnauthenticated). It is bound to the request's
//     signature, so a recorded reply does not answer a new request.
//   - The body MAC proves every byte came, for this request, from a
//     holder of the key, and that none was cut off. The ifile block
//     checksums catch accidents; the MAC catches a forger who fixes them
//     up. The reducer checks each block's checksum before the block goes
//     to its destination and the MAC at the end: until Fetch returns nil
//     the destination holds bytes to discard.
//   - The key never travels, nor is logged, nor goes in a URL. The body
//     is not encrypted unless the Fetcher and the server use TLS
//     (FetcherConfig.TLS).
//
// # What the server never does
//
// It serves one path, GET only, compared as received: no path is
// cleaned, so "/v1/map-output/../x" and "/v1/%2e%2e/" are 404, and there
// is no listing and no file served from a directory. It builds no path
// from a request: the only files it opens are those HandlerConfig.Lookup
// returns for attempts this worker committed, so an uncommitted or
// foreign attempt is 404. It opens them read-only and writes nothing.
// It logs refusals with the remote address and the reason, never the
// key or a signature, and at most five lines a second with a count of
// those left out (HandlerConfig.RefusalLogEvery). NewServer closes the
// oldest of the connections that wait without a request in progress
// once there are ServerMaxQuiet of them, so strangers who connect and say
// nothing cannot hold file descriptors without bound.
//
// # Fetching
//
// Fetcher.Fetch makes one request and classifies its failure with a
// sentinel: ErrUnavailable and ErrDamaged are worth retrying; ErrNotFound,
// ErrRequestRefused and ErrUnauthenticated are not. Fetcher.FetchAll fetches a
// reducer's sources, a few at once, each into a fresh Destination per
// try, retrying with exponential backoff, and returns what it could not
// get as *FetchError values. A read that gets no byte for IdleTimeout
// fails, so a peer that stops answering mid-reply is given up on.
package shuffle
