// Package streaming runs a MapReduce application whose mapper, reducer and
// optional combiner are executables in any language, as Hadoop Streaming
// does. It is the contract those programs rely on.
//
// # Commands
//
// A command line is split into arguments as a POSIX shell would split it,
// and nothing more: words are separated by blanks; 'single quotes' keep
// everything literally; "double quotes" keep everything but a backslash
// before $, `, ", \ or a newline; outside quotes a backslash keeps the next
// character (a backslash and a newline are both dropped). There is no expansion of variables, globs or ~, and no pipes
// or redirections: write `sh -c '...'` for those. The first word is looked
// up in $PATH (or taken as a path if it holds a slash) when the worker
// starts, and a command that is missing or not executable is refused then.
// Commands come only from the worker's own command line.
//
// Each attempt runs its command directly, in the job's folder, with the
// worker's environment plus MR_INPUT (the input's name as given to the
// coordinator, for map and combine), MR_TASK (e.g. map-3), MR_ATTEMPT (e.g. map-3.2),
// MR_NREDUCE and, for reduce, MR_PARTITION. The command runs in a process
// group of its own; when the attempt ends for any reason (its context is
// cancelled: revoked, -task-timeout, the worker stopping) and when the
// command exits, the whole group is killed, so no descendant outlives its
// attempt and a hung command costs an attempt, not the worker.
//
// # Lines
//
// Map: the input's bytes (for a split, only that split's lines) arrive on
// stdin. Each line of stdout is one pair: the key is everything before the
// first tab, the value everything after it; a line without a tab is a key
// with an empty value (an empty line is a pair of an empty key and an
// empty value). The last line needs no newline. One carriage return
// just before a newline (or at the end of the last line) is removed, so
// that "\r\n" ends a line like "\n"; any other "\r" is data.
//
// Reduce: stdin gets one "key<TAB>value\n" line per pair, sorted by key
// bytewise, all values of a key adjacent; the command notices key changes
// itself. Its stdout goes to the partition's output file (mr-out-R) byte
// for byte.
//
// Combine: like Reduce, once per map attempt, over the attempt's output
// (its sorted runs merged) partition after partition, each in key order;
// its stdout lines are parsed like Map's. Each pair it writes goes to its
// key's partition, so it must write them in the order it reads them:
// by partition, then by key (bytewise). A combiner that writes each key
// where it read it does; output out of that order fails the attempt.
//
// So keys may not contain a tab or a newline, and values may not contain a
// newline. A line of stdout longer than MaxLine bytes fails the attempt
// with an error saying so, rather than growing memory without bound.
//
// # Stderr
//
// A stderr line "reporter:counter:GROUP,NAME,AMOUNT" adds the integer
// AMOUNT to the counter GROUP.NAME (through mr.Count, so counted once per
// committed attempt, like a plugin's counts); "reporter:status:MESSAGE" is
// logged, with the attempt's id, and handed to the attempt's SetStatus,
// which shows it on the status page. A reporter line that does not parse
// (a missing field, an AMOUNT that is not an integer) is logged as a
// warning and otherwise ignored: a job is not failed over its bookkeeping.
// Every other stderr line is logged with the attempt's id, and the last
// StderrTail of them are kept for the failure message.
//
// # Failures
//
// A non-zero exit, a death by signal, an unparsable line, or an attempt
// that ended (cancelled) fails the attempt with an error that names the
// attempt, the input or partition, the command, its exit status, and its
// last stderr lines. A command that exits with status 0 without reading
// all of its stdin is not an error: its output is what it wrote.
//
// Stdin is written from one goroutine while stdout is read in the caller's,
// and stderr in a third, so neither side can deadlock on a full pipe; map
// output is handed to emit as each line arrives and reduce input streams
// from the engine's merge, so memory stays bounded by MaxLine and the
// pipes' buffers.
package streaming
