#!/usr/bin/env bash
#
# test-mr.sh: end-to-end tests of the MapReduce engine and the applications
# in mrapps/. It builds everything with `make build`, then runs real jobs, a
# coordinator and several worker processes each, over testdata/pg-*.txt and
# compares their output with mrsequential's.
#
# Usage:
#   ./test-mr.sh [TEST...]    run the named tests (default: all of them)
#   ./test-mr.sh -l           list the tests
#   RACE=1 ./test-mr.sh       build and test with the race detector
#   MR_KEEP=1 ./test-mr.sh    keep the scratch folders (paths go to stderr)
#
# It prints one line per test, "PASS name" or "FAIL name: reason", then
# "N passed, N failed", and exits non-zero if any test failed.
#
# Each test runs in its own folder made by mktemp -d, with its own
# coordinator socket there ($MR_ADDR), so tests never share files and never
# touch a job running elsewhere; only lab-socket uses the default address,
# /var/tmp/5840-mr-UID, on purpose, and fails if a job of yours holds it.
# Every process runs under timeout(1) and is killed when its test ends, also
# on failure or interrupt.

set -u

TESTS=(wc indexer map-parallelism reduce-parallelism job-count early-exit
	crash bad-inputs side-by-side map-apis lab-socket
	streaming-wc streaming-indexer streaming-crash streaming-hang
	streaming-reducer-fails streaming-bad-command streaming-garbage streaming-mixed
	sort)

usage() {
	echo "usage: $0 [-l] [TEST...]" >&2
	echo "tests: ${TESTS[*]}" >&2
}

# --- arguments and prerequisites ---------------------------------------------

if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 3))); then
	echo "$0: needs bash 4.3 or later (for wait -n), this is $BASH_VERSION" >&2
	exit 2
fi

SELECTED=()
for arg in "$@"; do
	case $arg in
	-l | --list)
		printf '%s\n' "${TESTS[@]}"
		exit 0
		;;
	-h | --help)
		usage
		exit 0
		;;
	-*)
		echo "$0: unknown option $arg" >&2
		usage
		exit 2
		;;
	*)
		known=""
		for t in "${TESTS[@]}"; do
			[ "$t" = "$arg" ] && known=1
		done
		if [ -z "$known" ]; then
			echo "$0: unknown test $arg" >&2
			usage
			exit 2
		fi
		SELECTED+=("$arg")
		;;
	esac
done
if [ ${#SELECTED[@]} -eq 0 ]; then
	SELECTED=("${TESTS[@]}")
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P) || exit 2
cd "$ROOT" || exit 2
BIN=$ROOT/bin
GO=${GO:-go}

if command -v timeout >/dev/null 2>&1; then
	TIMEOUT_CMD=timeout
elif command -v gtimeout >/dev/null 2>&1; then
	TIMEOUT_CMD=gtimeout # macOS with coreutils
else
	echo "$0: needs timeout(1) (GNU coreutils)" >&2
	exit 2
fi

RACEFLAG=()
if [ "${RACE:-}" = 1 ]; then
	RACEFLAG=(-race)
fi

INPUTS=("$ROOT"/testdata/pg-*.txt)
if [ ! -e "${INPUTS[0]}" ]; then
	echo "$0: no inputs: $ROOT/testdata/pg-*.txt not found" >&2
	exit 2
fi

# Export LC_ALL so that sort, grep and the comparisons agree on byte order.
export LC_ALL=C

# --- cleanup -------------------------------------------------------------------

SCRATCHES=() # every scratch folder made, removed on exit
TEST_PID=""  # the subshell running the current test

cleanup() {
	if [ -n "$TEST_PID" ]; then
		kill -TERM "$TEST_PID" 2>/dev/null
		wait "$TEST_PID" 2>/dev/null
		TEST_PID=""
	fi
	local d
	for d in ${SCRATCHES[@]+"${SCRATCHES[@]}"}; do
		if [ "${MR_KEEP:-}" = 1 ]; then
			echo "kept $d" >&2
		else
			rm -rf "$d"
		fi
	done
	SCRATCHES=()
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# new_scratch makes a fresh folder for one test and prints its path.
new_scratch() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/mr-test.XXXXXX") || return 1
	# A Unix socket path must stay under ~100 bytes; long $TMPDIRs exceed it.
	if [ ${#d} -gt 60 ]; then
		rm -rf "$d"
		d=$(mktemp -d /tmp/mr-test.XXXXXX) || return 1
	fi
	(cd "$d" && pwd -P)
}

# --- build ---------------------------------------------------------------------

BUILD_LOG=$(mktemp "${TMPDIR:-/tmp}/mr-build.XXXXXX") || exit 2
if ! make build RACE="${RACE:-}" >"$BUILD_LOG" 2>&1; then
	cat "$BUILD_LOG" >&2
	rm -f "$BUILD_LOG"
	echo "$0: make build failed; not running the tests" >&2
	exit 2
fi
rm -f "$BUILD_LOG"
for f in mrcoordinator mrworker mrsequential; do
	if [ ! -x "$BIN/$f" ]; then
		echo "$0: make build did not produce $BIN/$f" >&2
		exit 2
	fi
done

# --- helpers used inside a test ------------------------------------------------
#
# A test is a function test_NAME run in a subshell, with SCRATCH set to its
# folder and MR_ADDR to a socket there. It calls fail to stop with a reason;
# returning normally means it passed. The subshell's EXIT trap kills every
# process the test started in the background.

TIMEOUT_LEN=180s # how long any one process may run
BG_PIDS=()       # background processes of the current test

# fail records why the test failed and ends it.
fail() {
	printf '%s\n' "$*" >"$SCRATCH/reason"
	exit 1
}

kill_bg() {
	local p i alive
	for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null
	done
	# Give them five seconds to go (the processes under timeout -k get
	# SIGKILL after 2s), then kill what is left.
	for ((i = 0; i < 50; i++)); do
		alive=""
		for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

# last_line FILE prints the last non-empty line of FILE, shortened, for a
# failure reason.
last_line() {
	local l
	l=$(grep . "$1" 2>/dev/null | tail -n 1)
	if [ ${#l} -gt 200 ]; then
		l="${l:0:200}..."
	fi
	printf '%s' "${l:-(no output)}"
}

# start NAME DIR CMD... runs CMD in DIR in the background under timeout, with
# stdout and stderr in $SCRATCH/NAME.log, and sets LAST_PID.
start() {
	local name=$1 dir=$2
	shift 2
	mkdir -p "$dir" || fail "cannot create $dir"
	(cd "$dir" && exec "$TIMEOUT_CMD" -k 2s "$TIMEOUT_LEN" "$@") >"$SCRATCH/$name.log" 2>&1 &
	LAST_PID=$!
	BG_PIDS+=("$LAST_PID")
}

# wait_socket ADDR PID NAME waits up to 10 s for the coordinator PID to create
# its socket ADDR, and fails the test if it does not.
wait_socket() {
	local addr=$1 pid=$2 name=$3 i
	for ((i = 0; i < 100; i++)); do
		[ -S "$addr" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	[ -S "$addr" ] && return 0
	fail "coordinator did not create its socket $addr: $(last_line "$SCRATCH/$name.log")"
}

# start_coordinator DIR [FLAG...] starts a coordinator over INPUTS in DIR,
# listening on $MR_ADDR, and waits for its socket; it sets COORD_PID.
start_coordinator() {
	local dir=$1
	shift
	start coordinator "$dir" "$BIN/mrcoordinator" "$@" "${INPUTS[@]}"
	COORD_PID=$LAST_PID
	wait_socket "$MR_ADDR" "$COORD_PID" coordinator
}

# start_workers N APP DIR starts N workers running bin/APP.so in DIR and sets
# WORKER_PIDS.
start_workers() {
	local n=$1 app=$2 dir=$3 i
	WORKER_PIDS=()
	for ((i = 1; i <= n; i++)); do
		start "worker-$i" "$dir" "$BIN/mrworker" "$BIN/$app.so"
		WORKER_PIDS+=("$LAST_PID")
	done
}

# check_exit PID NAME waits for PID and fails the test unless it exited 0.
check_exit() {
	local pid=$1 name=$2 rc
	wait "$pid"
	rc=$?
	case $rc in
	0) return 0 ;;
	124) fail "$name timed out after $TIMEOUT_LEN" ;;
	137) fail "$name was killed (SIGKILL), after a timeout or otherwise" ;;
	*) fail "$name exited with status $rc: $(last_line "$SCRATCH/$name.log")" ;;
	esac
}

# check_workers waits for every worker in WORKER_PIDS; each must exit 0.
check_workers() {
	local i
	for i in "${!WORKER_PIDS[@]}"; do
		check_exit "${WORKER_PIDS[$i]}" "worker-$((i + 1))"
	done
}

# sequential APP OUT runs mrsequential with bin/APP.so over INPUTS and writes
# its sorted output, without empty lines, to OUT.
sequential() {
	local app=$1 out=$2 dir rc
	dir=$SCRATCH/seq-$app
	mkdir -p "$dir" || fail "cannot create $dir"
	(cd "$dir" && "$TIMEOUT_CMD" -k 2s "$TIMEOUT_LEN" "$BIN/mrsequential" "$BIN/$app.so" "${INPUTS[@]}") \
		>"$SCRATCH/sequential-$app.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "mrsequential $app.so exited with status $rc: $(last_line "$SCRATCH/sequential-$app.log")"
	fi
	[ -f "$dir/mr-out-0" ] || fail "mrsequential $app.so wrote no mr-out-0"
	sort "$dir/mr-out-0" | grep . >"$out"
}

# outputs DIR prints the sorted union of the final mr-out-R files in DIR,
# without empty lines.
outputs() {
	local f files=()
	for f in "$1"/mr-out-*; do
		[[ ${f##*/} =~ ^mr-out-[0-9]+$ ]] && files+=("$f")
	done
	if [ ${#files[@]} -gt 0 ]; then
		cat "${files[@]}" | sort | grep .
	fi
	return 0
}

# EXAMPLES holds the streaming applications' commands (examples/streaming).
EXAMPLES=$ROOT/examples/streaming

# start_stream_workers N DIR MAPPER REDUCER [FLAG...] starts N workers
# running the commands MAPPER and REDUCER in DIR, with FLAGs (e.g.
# -combiner CMD), and sets WORKER_PIDS.
start_stream_workers() {
	local n=$1 dir=$2 mapper=$3 reducer=$4 i
	shift 4
	WORKER_PIDS=()
	for ((i = 1; i <= n; i++)); do
		start "worker-$i" "$dir" "$BIN/mrworker" -mapper "$mapper" -reducer "$reducer" "$@"
		WORKER_PIDS+=("$LAST_PID")
	done
}

# sequential_stream NAME MAPPER REDUCER OUT runs mrsequential with the
# commands MAPPER and REDUCER over INPUTS and writes its sorted output,
# without empty lines, to OUT.
sequential_stream() {
	local name=$1 mapper=$2 reducer=$3 out=$4 dir rc
	dir=$SCRATCH/seq-$name
	mkdir -p "$dir" || fail "cannot create $dir"
	(cd "$dir" && "$TIMEOUT_CMD" -k 2s "$TIMEOUT_LEN" "$BIN/mrsequential" -mapper "$mapper" -reducer "$reducer" "${INPUTS[@]}") \
		>"$SCRATCH/sequential-$name.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "mrsequential -mapper $mapper exited with status $rc: $(last_line "$SCRATCH/sequential-$name.log")"
	fi
	[ -f "$dir/mr-out-0" ] || fail "mrsequential -mapper $mapper wrote no mr-out-0"
	sort "$dir/mr-out-0" | grep . >"$out"
}

# compare EXPECTED ACTUAL WHAT fails the test unless the two files are equal.
compare() {
	local expected=$1 actual=$2 what=$3 n first
	if cmp -s "$expected" "$actual"; then
		return 0
	fi
	if [ ! -s "$actual" ]; then
		fail "$what: no output"
	fi
	n=$(diff "$expected" "$actual" | grep -c '^[<>]')
	first=$(diff "$expected" "$actual" | grep '^[<>]' | head -n 1)
	fail "$what differs from mrsequential's in $n lines ($(wc -l <"$expected" | tr -d ' ') lines expected, $(wc -l <"$actual" | tr -d ' ') got), first: ${first:0:120}"
}

# --- the tests -------------------------------------------------------------

# wc: three workers count words; the output must equal mrsequential's.
test_wc() {
	sequential wc "$SCRATCH/expected"
	start_coordinator "$SCRATCH/run"
	start_workers 3 wc "$SCRATCH/run"
	check_exit "$COORD_PID" coordinator
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
	check_workers
}

# indexer: two workers build an inverted index. The output must be complete
# as soon as any process exits, and equal mrsequential's.
test_indexer() {
	sequential indexer "$SCRATCH/expected"
	start_coordinator "$SCRATCH/run"
	start_workers 2 indexer "$SCRATCH/run"
	wait -n
	outputs "$SCRATCH/run" >"$SCRATCH/first-exit"
	check_exit "$COORD_PID" coordinator
	check_workers
	compare "$SCRATCH/expected" "$SCRATCH/first-exit" "output when the first process exited"
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
}

# map-parallelism: two workers must both run map tasks, at the same time.
test_map_parallelism() {
	local n
	start_coordinator "$SCRATCH/run"
	start_workers 2 mtiming "$SCRATCH/run"
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	n=$(grep -c '^times-' "$SCRATCH/actual")
	[ "$n" -eq 2 ] || fail "saw $n workers run map tasks rather than 2"
	grep -q '^parallel.* 2' "$SCRATCH/actual" || fail "map tasks did not run in parallel"
}

# reduce-parallelism: two workers must run reduce tasks at the same time.
test_reduce_parallelism() {
	local n
	start_coordinator "$SCRATCH/run"
	start_workers 2 rtiming "$SCRATCH/run"
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	n=$(grep -c '^[a-z] 2' "$SCRATCH/actual")
	[ "$n" -ge 2 ] || fail "only $n reduce calls saw two workers reducing at once, want at least 2"
}

# job-count: with no failures, each map task must run exactly once, even
# when workers join late.
test_job_count() {
	local got want="a ${#INPUTS[@]}" pids
	start_coordinator "$SCRATCH/run"
	start_workers 2 jobcount "$SCRATCH/run"
	pids=("${WORKER_PIDS[@]}")
	sleep 1
	start worker-3 "$SCRATCH/run" "$BIN/mrworker" "$BIN/jobcount.so"
	pids+=("$LAST_PID")
	start worker-4 "$SCRATCH/run" "$BIN/mrworker" "$BIN/jobcount.so"
	pids+=("$LAST_PID")
	WORKER_PIDS=("${pids[@]}")
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	got=$(cat "$SCRATCH/actual")
	if [ "$got" != "$want" ]; then
		fail "output is '$(tr '\n' ' ' <"$SCRATCH/actual")', want '$want' (one Map call per input)"
	fi
}

# early-exit: no process may exit before the output is final. The output
# when the first process exits must equal the output at the end.
test_early_exit() {
	sequential early_exit "$SCRATCH/expected"
	start_coordinator "$SCRATCH/run"
	start_workers 3 early_exit "$SCRATCH/run"
	wait -n
	outputs "$SCRATCH/run" >"$SCRATCH/first-exit"
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	if ! cmp -s "$SCRATCH/first-exit" "$SCRATCH/actual"; then
		fail "output changed after the first process exited ($(wc -l <"$SCRATCH/first-exit" | tr -d ' ') lines then, $(wc -l <"$SCRATCH/actual" | tr -d ' ') at the end)"
	fi
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
}

# worker_loop ALIVE LOG APP keeps running a worker with bin/APP.so, one after
# another, while the file ALIVE exists.
worker_loop() {
	local alive=$1 log=$2 app=$3 child=""
	# On TERM, stop the worker too, and wait until it is gone (timeout -k
	# makes that at most 2s).
	trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"; exit 0' TERM
	while [ -e "$alive" ]; do
		"$TIMEOUT_CMD" -k 2s "$TIMEOUT_LEN" "$BIN/mrworker" "$BIN/$app.so" >>"$log" 2>&1 &
		child=$!
		wait "$child"
		child=""
		sleep 1
	done
}

# crash: workers crash or stall at random and are restarted; the output must
# still equal mrsequential's with the well-behaved nocrash.
test_crash() {
	local alive=$SCRATCH/coordinator-running i
	sequential nocrash "$SCRATCH/expected"
	touch "$alive"
	# One call in three kills its worker, so a task fails five times in a
	# row once in 243 tries: with the coordinator's default limit on failed
	# attempts per task, about one run in fourteen would give up on the job.
	# This test is about recovering, however often, so it lifts the limit.
	start_coordinator "$SCRATCH/run" -max-failures -1
	for i in 1 2 3 4; do
		# (stderr to the log too: it gets bash's reports of killed workers.)
		(cd "$SCRATCH/run" && worker_loop "$alive" "$SCRATCH/worker-loop-$i.log" crash) 2>>"$SCRATCH/worker-loop-$i.log" &
		BG_PIDS+=("$!")
	done
	check_exit "$COORD_PID" coordinator
	rm -f "$alive"
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
	# The loops end by themselves once their worker hears the job is done or
	# finds the coordinator gone; the EXIT trap stops them sooner.
}

# expect_failure NAME SECONDS WANT... runs the command after "--" in
# $SCRATCH/run for at most SECONDS, and fails the test unless it exits
# non-zero within that time with every WANT string in its output.
expect_failure() {
	local name=$1 secs=$2 rc w log=$SCRATCH/$1.log
	shift 2
	local want=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		want+=("$1")
		shift
	done
	shift
	mkdir -p "$SCRATCH/run"
	(cd "$SCRATCH/run" && "$TIMEOUT_CMD" -k 2s "${secs}s" "$@") >"$log" 2>&1 </dev/null
	rc=$?
	case $rc in
	0) fail "$name: exited 0, want a failure" ;;
	124 | 137) fail "$name: still running after ${secs}s, want a quick failure" ;;
	esac
	for w in ${want[@]+"${want[@]}"}; do
		if ! grep -qF -- "$w" "$log"; then
			fail "$name: message does not mention '$w': $(last_line "$log")"
		fi
	done
	if [ ! -s "$log" ]; then
		fail "$name: exited with status $rc but printed no message"
	fi
}

# bad-inputs: the binaries must fail fast, with a useful message, on bad
# inputs, bad plugins and a missing coordinator.
test_bad_inputs() {
	local missing=$SCRATCH/no-such-input.txt start_time elapsed rc p nobody stale=$SCRATCH/stale.sock

	MR_ADDR=$SCRATCH/c1.sock expect_failure missing-input 20 "$missing" -- \
		"$BIN/mrcoordinator" "$missing"
	MR_ADDR=$SCRATCH/c2.sock expect_failure missing-input-among-others 20 "$missing" -- \
		"$BIN/mrcoordinator" "${INPUTS[0]}" "$missing"
	MR_ADDR=$SCRATCH/c3.sock expect_failure no-inputs 20 -- \
		"$BIN/mrcoordinator"
	# A named pipe would block a reader forever: refused at once, by name.
	mkfifo "$SCRATCH/pipe.txt" || fail "mkfifo failed"
	MR_ADDR=$SCRATCH/c4.sock expect_failure fifo-input 20 "$SCRATCH/pipe.txt" "named pipe" -- \
		"$BIN/mrcoordinator" "${INPUTS[0]}" "$SCRATCH/pipe.txt"
	# An explicit value is the user's: -nreduce 0 is refused, not replaced.
	MR_ADDR=$SCRATCH/c5.sock expect_failure nreduce-zero 20 "-nreduce must be at least 1" -- \
		"$BIN/mrcoordinator" -nreduce 0 "${INPUTS[0]}"
	MR_ADDR=$SCRATCH/c7.sock expect_failure backup-min-age-negative 20 "-backup-min-age must not be negative" -- \
		"$BIN/mrcoordinator" -backup-min-age -1s "${INPUTS[0]}"
	# Another job's outputs would mix into this one's.
	mkdir -p "$SCRATCH/stale-outputs" && touch "$SCRATCH/stale-outputs/mr-out-12"
	(cd "$SCRATCH/stale-outputs" && MR_ADDR=$SCRATCH/c6.sock "$TIMEOUT_CMD" -k 2s 20s "$BIN/mrcoordinator" "${INPUTS[0]}") \
		>"$SCRATCH/stale-outputs.log" 2>&1 </dev/null
	rc=$?
	[ $rc -eq 2 ] || fail "stale-outputs: the coordinator exited with status $rc, want 2: $(last_line "$SCRATCH/stale-outputs.log")"
	grep -qF mr-out-12 "$SCRATCH/stale-outputs.log" || fail "stale-outputs: message does not name mr-out-12: $(last_line "$SCRATCH/stale-outputs.log")"

	# A worker with no coordinator: first nothing at the address, then a
	# socket file left by a coordinator that was killed. Each takes the
	# worker's retry window, so the first runs in the background, in a
	# subshell whose fail only ends the subshell: its status says whether it
	# passed.
	(
		start_time=$SECONDS
		MR_ADDR=$SCRATCH/nobody.sock expect_failure no-coordinator 30 "$SCRATCH/nobody.sock" -- \
			"$BIN/mrworker" "$BIN/wc.so"
		elapsed=$((SECONDS - start_time))
		[ "$elapsed" -le 15 ] || fail "no-coordinator: the worker took ${elapsed}s to give up, want at most 15s"
		exit 0
	) &
	nobody=$!
	BG_PIDS+=("$nobody")

	# A coordinator killed with SIGKILL leaves its socket file behind.
	mkdir -p "$SCRATCH/stale"
	# (The subshell waits for timeout itself, rather than exec it, so that
	# bash's "Killed" report goes to the log.)
	(
		cd "$SCRATCH/stale" || exit 1
		MR_ADDR=$stale "$TIMEOUT_CMD" -s KILL 2s "$BIN/mrcoordinator" "${INPUTS[0]}"
		exit $?
	) >"$SCRATCH/stale-coordinator.log" 2>&1 </dev/null
	rc=$?
	[ $rc -eq 137 ] || fail "stale-socket: the coordinator exited with status $rc before it could be killed: $(last_line "$SCRATCH/stale-coordinator.log")"
	[ -S "$stale" ] || fail "stale-socket: the coordinator did not create its socket $stale within 2s"
	start_time=$SECONDS
	MR_ADDR=$stale expect_failure stale-socket 30 "$stale" -- \
		"$BIN/mrworker" "$BIN/wc.so"
	elapsed=$((SECONDS - start_time))
	[ "$elapsed" -le 15 ] || fail "stale-socket: the worker took ${elapsed}s to give up, want at most 15s"

	# Bad plugins, with a live coordinator so that only the plugin is wrong.
	for p in nomap badsig; do
		(cd "$ROOT" && "$GO" build ${RACEFLAG[@]+"${RACEFLAG[@]}"} -buildmode=plugin -o "$SCRATCH/$p.so" "./testdata/plugins/$p") \
			>"$SCRATCH/build-$p.log" 2>&1 || fail "cannot build testdata/plugins/$p: $(last_line "$SCRATCH/build-$p.log")"
	done
	# A plugin built with other flags than the worker (the opposite of
	# RACE), which Go refuses to load: the lab's "cannot load plugin".
	local other=(-race)
	[ "${RACE:-}" = 1 ] && other=()
	(cd "$ROOT" && "$GO" build ${other[@]+"${other[@]}"} -buildmode=plugin -o "$SCRATCH/mismatched.so" ./mrapps/wc) \
		>"$SCRATCH/build-mismatched.log" 2>&1 || fail "cannot build the mismatched plugin: $(last_line "$SCRATCH/build-mismatched.log")"
	start coordinator "$SCRATCH/run" "$BIN/mrcoordinator" -nreduce 1 "${INPUTS[0]}"
	COORD_PID=$LAST_PID
	wait_socket "$MR_ADDR" "$COORD_PID" coordinator
	expect_failure missing-plugin 30 "$SCRATCH/no-such-plugin.so" -- \
		"$BIN/mrworker" "$SCRATCH/no-such-plugin.so"
	expect_failure plugin-without-map 30 Map -- \
		"$BIN/mrworker" "$SCRATCH/nomap.so"
	expect_failure plugin-with-bad-map 30 Map "func(" -- \
		"$BIN/mrworker" "$SCRATCH/badsig.so"
	expect_failure plugin-built-differently 30 "different version of package" "make build" -- \
		"$BIN/mrworker" "$SCRATCH/mismatched.so"
	expect_failure stuck-grace-zero 30 "-stuck-grace must be positive" -- \
		"$BIN/mrworker" -stuck-grace 0s "$BIN/wc.so"

	wait "$nobody" || exit 1
}

# side-by-side: two jobs at once, each with its own coordinator, socket and
# folder, must not disturb each other. Job a finds its coordinator through
# $MR_ADDR, job b through -addr, which must win over $MR_ADDR.
test_side_by_side() {
	local a=$SCRATCH/a b=$SCRATCH/b ca cb wa=() wb=() i
	sequential wc "$SCRATCH/expected"
	mkdir -p "$a" "$b"

	MR_ADDR=$a/mr.sock start coordinator-a "$a" "$BIN/mrcoordinator" "${INPUTS[@]}"
	ca=$LAST_PID
	MR_ADDR=$SCRATCH/decoy-coordinator.sock start coordinator-b "$b" \
		"$BIN/mrcoordinator" -addr "$b/mr.sock" "${INPUTS[@]}"
	cb=$LAST_PID
	wait_socket "$a/mr.sock" "$ca" coordinator-a
	wait_socket "$b/mr.sock" "$cb" coordinator-b

	for i in 1 2; do
		MR_ADDR=$a/mr.sock start "worker-a$i" "$a" "$BIN/mrworker" "$BIN/wc.so"
		wa+=("$LAST_PID")
		MR_ADDR=$SCRATCH/decoy-worker.sock start "worker-b$i" "$b" \
			"$BIN/mrworker" -addr "$b/mr.sock" "$BIN/wc.so"
		wb+=("$LAST_PID")
	done

	check_exit "$ca" coordinator-a
	check_exit "$cb" coordinator-b
	for i in 1 2; do
		check_exit "${wa[$((i - 1))]}" "worker-a$i"
		check_exit "${wb[$((i - 1))]}" "worker-b$i"
	done
	outputs "$a" >"$SCRATCH/actual-a"
	compare "$SCRATCH/expected" "$SCRATCH/actual-a" "job a's output"
	outputs "$b" >"$SCRATCH/actual-b"
	compare "$SCRATCH/expected" "$SCRATCH/actual-b" "job b's output"
}

# map-apis: the same word count through the two Map APIs must give the
# same answer: labwc (the lab's Map returning a slice, no Combine) and
# emitonly (a plugin with MapEmit and no Map), both as mrsequential and as
# a job of two workers.
test_map_apis() {
	local p
	sequential wc "$SCRATCH/expected"
	(cd "$ROOT" && "$GO" build ${RACEFLAG[@]+"${RACEFLAG[@]}"} -buildmode=plugin -o "$BIN/emitonly.so" ./testdata/plugins/emitonly) \
		>"$SCRATCH/build-emitonly.log" 2>&1 || fail "cannot build testdata/plugins/emitonly: $(last_line "$SCRATCH/build-emitonly.log")"
	for p in labwc emitonly; do
		sequential "$p" "$SCRATCH/sequential-$p"
		compare "$SCRATCH/expected" "$SCRATCH/sequential-$p" "mrsequential $p.so"
		MR_ADDR=$SCRATCH/$p.sock start "coordinator-$p" "$SCRATCH/$p" "$BIN/mrcoordinator" -nreduce 3 "${INPUTS[@]}"
		COORD_PID=$LAST_PID
		wait_socket "$SCRATCH/$p.sock" "$COORD_PID" "coordinator-$p"
		MR_ADDR=$SCRATCH/$p.sock start_workers 2 "$p" "$SCRATCH/$p"
		check_exit "$COORD_PID" "coordinator-$p"
		check_workers
		outputs "$SCRATCH/$p" >"$SCRATCH/actual-$p"
		compare "$SCRATCH/expected" "$SCRATCH/actual-$p" "$p job output"
	done
}

# wait_listening NAME PID waits up to 10 s for the coordinator PID, logging to
# $SCRATCH/NAME.log, to say that it listens, and fails the test if it does not
# or if it exits first.
wait_listening() {
	local name=$1 pid=$2 i
	for ((i = 0; i < 100; i++)); do
		grep -q 'coordinator listening' "$SCRATCH/$name.log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'coordinator listening' "$SCRATCH/$name.log" 2>/dev/null && return 0
	fail "the coordinator did not start listening: $(last_line "$SCRATCH/$name.log")"
}

# lab-socket: a job with neither -addr nor $MR_ADDR listens at the MIT 6.5840
# lab's name, /var/tmp/5840-mr-UID, which the lab's own test-mr.sh relies on:
# like its crash check, workers running crash.so are restarted only while that
# name exists. The output must equal mrsequential's (with nocrash), and the
# name must be gone once the coordinator has exited. If another job of yours
# already listens there, the coordinator refuses to start and so does this
# test, with that reason.
test_lab_socket() {
	local sock i
	sock=/var/tmp/5840-mr-$(id -u)
	unset MR_ADDR
	sequential nocrash "$SCRATCH/expected"
	# (The crash test explains -max-failures -1.)
	start coordinator "$SCRATCH/run" "$BIN/mrcoordinator" -max-failures -1 "${INPUTS[@]}"
	COORD_PID=$LAST_PID
	wait_listening coordinator "$COORD_PID"
	grep -qF "addr=$sock" "$SCRATCH/coordinator.log" ||
		fail "the coordinator does not listen at $sock: $(grep -F 'coordinator listening' "$SCRATCH/coordinator.log")"
	[ -S "$sock" ] || fail "$sock is not a socket while the coordinator listens"
	for i in 1 2 3; do
		(cd "$SCRATCH/run" && worker_loop "$sock" "$SCRATCH/worker-loop-$i.log" crash) 2>>"$SCRATCH/worker-loop-$i.log" &
		BG_PIDS+=("$!")
	done
	check_exit "$COORD_PID" coordinator
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
	if [ -e "$sock" ] || [ -L "$sock" ]; then
		fail "the coordinator exited and left $sock behind"
	fi
	if [ -e "$sock.lock" ]; then
		fail "the coordinator exited and left $sock.lock behind"
	fi
	# The loops see the name gone and end by themselves.
}

# --- streaming: commands as mapper and reducer --------------------------------

# streaming-wc: three workers count words with a Python mapper, combiner
# and reducer; the output must equal mrsequential's with the same commands,
# and the wc plugin's, as must the awk version's. Each combiner run is
# counted on stderr: the job's report must show them.
test_streaming_wc() {
	local m="$EXAMPLES/wc_map.py" r="$EXAMPLES/wc_reduce.py"
	sequential wc "$SCRATCH/plugin"
	sequential_stream py "$m" "$r" "$SCRATCH/expected"
	compare "$SCRATCH/plugin" "$SCRATCH/expected" "mrsequential's Python word count"
	sequential_stream awk "awk -f $EXAMPLES/wc_map.awk" "$EXAMPLES/wc_reduce.awk" "$SCRATCH/awk"
	compare "$SCRATCH/plugin" "$SCRATCH/awk" "mrsequential's awk word count"
	start_coordinator "$SCRATCH/run"
	start_stream_workers 3 "$SCRATCH/run" "$m" "$r" \
		-combiner "sh -c 'echo reporter:counter:wc,combiner_runs,1 >&2; exec $EXAMPLES/wc_combine.py'"
	check_exit "$COORD_PID" coordinator
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
	check_workers
	grep -q '"wc.combiner_runs": *8\b' "$SCRATCH/run/mr-report.json" ||
		fail "the report does not count 8 combiner runs, one per map task: $(grep -o '"wc[^,]*' "$SCRATCH/run/mr-report.json")"
}

# streaming-indexer: two workers build the inverted index with the shell
# mapper and reducer; the Python and shell versions must equal the plugin.
test_streaming_indexer() {
	local m="$EXAMPLES/indexer_map.sh" r="$EXAMPLES/indexer_reduce.sh"
	sequential indexer "$SCRATCH/plugin"
	sequential_stream py "$EXAMPLES/indexer_map.py" "$EXAMPLES/indexer_reduce.py" "$SCRATCH/py"
	compare "$SCRATCH/plugin" "$SCRATCH/py" "mrsequential's Python indexer"
	sequential_stream sh "$m" "$r" "$SCRATCH/expected"
	compare "$SCRATCH/plugin" "$SCRATCH/expected" "mrsequential's shell indexer"
	start_coordinator "$SCRATCH/run"
	start_stream_workers 2 "$SCRATCH/run" "$m" "$r"
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
}

# write_script PATH BODY writes an executable shell script.
write_script() {
	printf '#!/bin/sh\n%s\n' "$2" >"$1" && chmod +x "$1" || fail "cannot write $1"
}

# streaming-crash: the mapper and reducer die at random, by exit status or
# by kill -9 of themselves; the workers survive every one of them and the
# output still equals mrsequential's.
test_streaming_crash() {
	local crashy=$SCRATCH/crashy.sh
	# One run in three fails: half of those after reading some input.
	write_script "$crashy" 'r=$(od -An -N2 -tu2 /dev/urandom | tr -d " ")
case $((r % 6)) in
0) exit 3 ;;
1) head -c 2000 >/dev/null; kill -9 $$ ;;
esac
exec "$@"'
	sequential_stream py "$EXAMPLES/wc_map.py" "$EXAMPLES/wc_reduce.py" "$SCRATCH/expected"
	start_coordinator "$SCRATCH/run" -max-failures -1
	start_stream_workers 3 "$SCRATCH/run" "$crashy $EXAMPLES/wc_map.py" "$crashy $EXAMPLES/wc_reduce.py"
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
}

# streaming-hang: the first attempt of map-0 hangs, with a child of its
# own; -task-timeout ends the attempt, the worker kills its whole process
# group, and the job still ends right.
test_streaming_hang() {
	local hang=$SCRATCH/hang.sh pid
	write_script "$hang" 'if [ "$MR_TASK" = map-0 ] && mkdir hung 2>/dev/null; then
	sleep 600 & echo $! >hung/pid
	wait
fi
exec "$@"'
	sequential_stream py "$EXAMPLES/wc_map.py" "$EXAMPLES/wc_reduce.py" "$SCRATCH/expected"
	start_coordinator "$SCRATCH/run" -task-timeout 5s -max-failures -1
	start_stream_workers 2 "$SCRATCH/run" "$hang $EXAMPLES/wc_map.py" "$EXAMPLES/wc_reduce.py"
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
	[ -s "$SCRATCH/run/hung/pid" ] || fail "the mapper never hung"
	pid=$(cat "$SCRATCH/run/hung/pid")
	if kill -0 "$pid" 2>/dev/null && ! grep -q '^[^ ]* ([^)]*) Z' "/proc/$pid/stat" 2>/dev/null; then
		kill -KILL "$pid"
		fail "the hung mapper's child $pid outlived its attempt"
	fi
}

# streaming-reducer-fails: the first attempt of each reduce task reads a
# little and exits 7; that fails the attempt (named in the coordinator's
# log with the status and stderr), and the retries make the right output.
test_streaming_reducer_fails() {
	local early=$SCRATCH/early.sh
	write_script "$early" 'if mkdir "failed-$MR_PARTITION" 2>/dev/null; then
	head -n 3 >/dev/null
	echo "giving up on partition $MR_PARTITION" >&2
	exit 7
fi
exec "$@"'
	sequential_stream py "$EXAMPLES/wc_map.py" "$EXAMPLES/wc_reduce.py" "$SCRATCH/expected"
	start_coordinator "$SCRATCH/run"
	start_stream_workers 2 "$SCRATCH/run" "$EXAMPLES/wc_map.py" "$early $EXAMPLES/wc_reduce.py"
	check_exit "$COORD_PID" coordinator
	check_workers
	outputs "$SCRATCH/run" >"$SCRATCH/actual"
	compare "$SCRATCH/expected" "$SCRATCH/actual" "output"
	grep -q 'exited with status 7' "$SCRATCH"/worker-*.log || fail "no worker log says the reducer exited with status 7"
	grep -q 'giving up on partition' "$SCRATCH"/worker-*.log || fail "no worker log quotes the reducer's stderr"
}

# expect_usage NAME WANT -- CMD...: CMD must exit 2 at once, naming WANT.
expect_usage() {
	local name=$1 want=$2 rc log=$SCRATCH/$1.log
	shift 3
	("$TIMEOUT_CMD" -k 2s 20s "$@") >"$log" 2>&1 </dev/null
	rc=$?
	[ $rc -eq 2 ] || fail "$name: exited with status $rc, want 2: $(last_line "$log")"
	grep -qF -- "$want" "$log" || fail "$name: message does not mention '$want': $(last_line "$log")"
}

# streaming-bad-command: a command that does not exist or cannot be run is
# refused at start, by name, with exit status 2; no coordinator is needed.
test_streaming_bad_command() {
	printf 'not executable\n' >"$SCRATCH/plain.txt"
	export MR_ADDR=$SCRATCH/nobody.sock
	expect_usage missing-mapper no-such-mapper -- "$BIN/mrworker" -mapper "no-such-mapper -x" -reducer cat
	expect_usage missing-reducer "$SCRATCH/no-such-reducer" -- "$BIN/mrworker" -mapper cat -reducer "$SCRATCH/no-such-reducer"
	expect_usage not-executable "$SCRATCH/plain.txt" -- "$BIN/mrworker" -mapper "$SCRATCH/plain.txt" -reducer cat
	expect_usage unterminated-quote "unterminated" -- "$BIN/mrworker" -mapper "sh -c 'cat" -reducer cat
	expect_usage mapper-alone "-mapper needs -reducer" -- "$BIN/mrworker" -mapper cat
	expect_usage sequential-missing no-such-mapper -- "$BIN/mrsequential" -mapper no-such-mapper -reducer cat "${INPUTS[0]}"
}

# streaming-garbage: a mapper that writes a line longer than the bound
# fails every attempt with a clear message, and the job fails, soon.
test_streaming_garbage() {
	local rc
	start coordinator "$SCRATCH/run" "$BIN/mrcoordinator" -nreduce 1 -max-failures 1 "${INPUTS[0]}"
	COORD_PID=$LAST_PID
	wait_socket "$MR_ADDR" "$COORD_PID" coordinator
	start_stream_workers 1 "$SCRATCH/run" "sh -c 'head -c 20000000 /dev/zero | tr \"\\0\" x'" cat
	wait "$COORD_PID"
	rc=$?
	[ $rc -ne 0 ] || fail "the job succeeded with a mapper that writes garbage"
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "the coordinator timed out"
	grep -q 'line too long' "$SCRATCH/worker-1.log" || fail "the worker's log does not say the line is too long: $(last_line "$SCRATCH/worker-1.log")"
	grep -q 'map-0' "$SCRATCH/worker-1.log" || fail "the worker's log does not name the attempt"
}

# streaming-mixed: a plugin worker and a command worker cannot join one
# job: the coordinator refuses the one that registers second.
test_streaming_mixed() {
	local rc
	start_coordinator "$SCRATCH/run"
	start_stream_workers 1 "$SCRATCH/run" "$EXAMPLES/wc_map.py" "$EXAMPLES/wc_reduce.py"
	sleep 1
	(cd "$SCRATCH/run" && "$TIMEOUT_CMD" -k 2s 30s "$BIN/mrworker" "$BIN/wc.so") >"$SCRATCH/plugin-worker.log" 2>&1 </dev/null
	rc=$?
	[ $rc -ne 0 ] || fail "a plugin worker joined a job of commands"
	grep -q 'another application' "$SCRATCH/plugin-worker.log" || fail "the refused worker does not say why: $(last_line "$SCRATCH/plugin-worker.log")"
	check_exit "$COORD_PID" coordinator
	check_workers
}

# sort: three workers sort gensort records, half of them of one 10-byte
# key, with -total-order into five outputs. Read in order, the outputs
# must be sorted and hold exactly the input's records (mrbench
# validate-sort), be mrsequential's mr-out-0 byte for byte, and none may
# be empty: the sampled split points spread the hot key by record number.
test_sort() {
	local data=$SCRATCH/data nreduce=5 outs=() f i dir rc
	"$BIN/mrbench" gen -kind sort -dir "$data" -size 4MiB -files 4 -seed 7 -skew onekey >"$SCRATCH/gen.log" 2>&1 ||
		fail "mrbench gen -kind sort failed: $(last_line "$SCRATCH/gen.log")"
	INPUTS=("$data"/gensort-*)
	start_coordinator "$SCRATCH/run" -total-order -nreduce "$nreduce"
	start_workers 3 sort "$SCRATCH/run"
	check_exit "$COORD_PID" coordinator
	check_workers
	for ((i = 0; i < nreduce; i++)); do
		outs+=("$SCRATCH/run/mr-out-$i")
	done
	"$BIN/mrbench" validate-sort -input "$data/gensort-*" "${outs[@]}" >"$SCRATCH/validate.log" 2>&1 ||
		fail "validate-sort: $(last_line "$SCRATCH/validate.log")"
	for f in "${outs[@]}"; do
		[ -s "$f" ] || fail "${f##*/} is empty: the split points did not spread the hot key"
	done
	dir=$SCRATCH/seq-sort
	mkdir -p "$dir" || fail "cannot create $dir"
	(cd "$dir" && "$TIMEOUT_CMD" -k 2s "$TIMEOUT_LEN" "$BIN/mrsequential" "$BIN/sort.so" "${INPUTS[@]}") \
		>"$SCRATCH/sequential-sort.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "mrsequential sort.so exited with status $rc: $(last_line "$SCRATCH/sequential-sort.log")"
	cat "${outs[@]}" | cmp -s "$dir/mr-out-0" - || fail "mr-out-0 .. mr-out-$((nreduce - 1)) in order differ from mrsequential's mr-out-0"
}

# --- running them --------------------------------------------------------------

PASSED=0
FAILED=0
for name in "${SELECTED[@]}"; do
	scratch=$(new_scratch) || {
		echo "$0: mktemp -d failed" >&2
		exit 2
	}
	SCRATCHES+=("$scratch")
	(
		trap kill_bg EXIT
		trap 'exit 143' TERM
		SCRATCH=$scratch
		export MR_ADDR=$scratch/mr.sock
		cd "$scratch" || exit 1
		"test_${name//-/_}"
		exit 0
	) &
	TEST_PID=$!
	wait "$TEST_PID"
	rc=$?
	TEST_PID=""
	if [ $rc -eq 0 ]; then
		echo "PASS $name"
		PASSED=$((PASSED + 1))
	else
		reason=$(cat "$scratch/reason" 2>/dev/null)
		echo "FAIL $name: ${reason:-test exited with status $rc}"
		FAILED=$((FAILED + 1))
	fi
	if [ "${MR_KEEP:-}" = 1 ]; then
		echo "kept $scratch" >&2
	else
		rm -rf "$scratch"
	fi
	SCRATCHES=()
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
