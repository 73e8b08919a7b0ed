# tests/lib/harness.bash - what every lesson's tests share.
#
# Start servers and clients with bounds, stop everything a test started
# (even after a failure or a timeout), and explain failures: what was sent,
# what was expected, what came back, the server's log, and commands that
# reproduce it by hand. Read by `load lib/harness` from tests/NN-name.bats.
#
# Environment (set by `make check` through tests/run):
#   NP_BIN    folder holding the lesson's programs
#   NP_PEER   the np-peer test client
#   NP_ROOT   the repository root
#   VALGRIND  non-empty: run every server and program under valgrind memcheck
#   NP_RUN_AS UID:GID (the autograder, as root): run the lesson's programs
#             as that user, in a folder under NP_RUN_TMP (see np_setup)

bats_require_minimum_version 1.5.0
# bats-support and bats-assert, in the order their load.bash files give,
# sourced directly: each load.bash line runs $(dirname ...), a fork, and
# bats reads this file again for every test (15 forks a test, ~0.15 s).
np_load_library() {
	local dir= path line
	IFS=: read -ra path <<<"${BATS_LIB_PATH:-}"
	for line in "${path[@]}"; do
		[[ -f $line/$1/load.bash ]] && dir=$line/$1 && break
	done
	[[ -n $dir ]] || {
		bats_load_library "$1"
		return
	}
	local n=0
	while IFS= read -r line; do
		[[ $line =~ ^source\ .*/(src/[A-Za-z_]+\.bash)\"$ ]] || continue
		# shellcheck disable=SC1090
		source "$dir/${BASH_REMATCH[1]}"
		n=$((n + 1))
	done <"$dir/load.bash"
	# A load.bash of another shape: let bats load it, forks and all.
	((n > 0)) || bats_load_library "$1"
}
np_load_library bats-support
np_load_library bats-assert

# np_setup: call first in setup().
np_setup() {
	: "${NP_BIN:?run the tests with make check LESSON=NN}"
	: "${NP_PEER:?run the tests with make check LESSON=NN}"
	NP_SERVE=${NP_SERVE:-${NP_PEER%/*}/np-serve}
	NP_ROOT=${NP_ROOT:-$PWD}
	# Every wait is bounded; valgrind makes programs several times slower.
	NP_SLOW=1
	np_run_as
	NP_WRAP=("${NP_AS[@]}")
	if [[ -n ${VALGRIND:-} ]]; then
		NP_SLOW=6
		NP_WRAP+=(valgrind -q --error-exitcode=99 --leak-check=full
			--errors-for-leak-kinds=definite
			--show-leak-kinds=definite)
	fi
	export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=98:detect_leaks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:exitcode=97}
	# ThreadSanitizer sleeps a second at exit (atexit_sleep_ms) while it
	# still counts another thread, and a detached thread that has just
	# ended is one: its own time, not the server's stop.
	export TSAN_OPTIONS=${TSAN_OPTIONS:-exitcode=96:atexit_sleep_ms=0}
	SERVER_PID=
	declare -gA NP_BIRTH_OF=()
	NP_PIDS=()
	NP_BG_PIDS=()
	NP_LOGS=()
	NP_SENT=
	NP_REPRO=()
	NP_REPRO_STDIN=
	NP_SHOW=np_show_reply
	NP_SERVER_CMD=
	# A command to start servers through (e.g. to set a limit first).
	NP_LAUNCH=()
	# What servers read on stdin (an operator's lines, for instance).
	NP_STDIN=/dev/null
	PROG_OUT=$BATS_TEST_TMPDIR/stdout
	PROG_ERR=$BATS_TEST_TMPDIR/stderr
	REPLY_FILE=$BATS_TEST_TMPDIR/reply
	REPLY_ERR=$BATS_TEST_TMPDIR/reply.stderr
	REPLY_BODY=$BATS_TEST_TMPDIR/reply.body
	NP_PARSED=
	# Servers of the lesson stopped with a non-zero status (teardown fails).
	NP_STOP_FAILURES=()
	NP_CHECKED_PIDS=()
}

# np_run_as: NP_AS, the command that runs a lesson's program as the
# student: empty, or with NP_RUN_AS=UID:GID (the autograder runs the tests
# as root) tests/lib/run-as, to that user. The test's folder then moves
# out of bats' own (which holds the test files, hidden ones too, and is
# root's alone) to a new one under NP_RUN_TMP, sticky and open to all like
# /tmp: the program reads what the test put there and adds its own files,
# but cannot change or remove the test's.
np_run_as() {
	NP_AS=()
	[[ -n ${NP_RUN_AS:-} ]] || return 0
	NP_AS=("$NP_ROOT/tests/lib/run-as" "$NP_RUN_AS")
	BATS_TEST_TMPDIR=$(mktemp -d "${NP_RUN_TMP:?NP_RUN_AS needs NP_RUN_TMP}/test.XXXXXXXX")
	chmod 1777 "$BATS_TEST_TMPDIR"
	# Removed with the file's tests (np_teardown_file), as bats' own are.
	echo "$BATS_TEST_TMPDIR" >>"$BATS_FILE_TMPDIR/own-dirs"
}

# np_mkdir DIR...: make folders a lesson's program writes in (a store):
# open to it as the test's own folder is (np_run_as).
np_mkdir() {
	mkdir -p "$@" || return
	((${#NP_AS[@]} == 0)) || chmod 1777 "$@"
}

# What valgrind (-q prints nothing else) and the sanitizers write when
# they find something.
NP_REPORT_RE='^==[0-9]+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|[0-9,]+ bytes in [0-9,]+ blocks are definitely lost)|^==[0-9]+==ERROR: (Address|Leak)Sanitizer|^WARNING: ThreadSanitizer|runtime error: '

# np_teardown: call in teardown(). Stops what the test started; a server
# that does not exit 0 on SIGTERM (valgrind or a sanitizer found errors, or
# it crashed) fails the test. On failure, shows the server logs.
np_teardown() {
	local rc=0 pid
	# Connections a test held open itself (exec 7<>... 8<>...): closed
	# first, or a server would wait for them on its way out.
	exec 7>&- 8>&-
	for pid in "${NP_BG_PIDS[@]}"; do
		np_kill_tree "$pid"
		wait "$pid" 2>/dev/null || true
	done
	for pid in "${NP_PIDS[@]}"; do
		[[ $pid == "$SERVER_PID" ]] || np_alive "$pid" || continue
		SERVER_PID=$pid
		stop_server
	done
	# Every server of the lesson that did not exit 0, whether the test
	# stopped it or teardown did.
	for pid in "${NP_STOP_FAILURES[@]}"; do
		np_explain_status "${pid#*:}" >&2
		rc=1
	done
	# A server's exit status speaks for its own process only; a forked
	# child's valgrind or sanitizer report lands in the same log.
	if ((rc == 0 && ${#NP_LOGS[@]} > 0)) &&
		grep -qE "$NP_REPORT_RE" "${NP_LOGS[@]}"; then
		echo "a process of the server (a forked child?) reported memory errors, leaks or data races (see the log below)" >&2
		rc=1
	fi
	if [[ -z ${BATS_TEST_COMPLETED:-} || $rc != 0 ]]; then
		np_show_logs >&2
	fi
	return "$rc"
}

# np_teardown_file: call in teardown_file(). The last safety net: kill any
# process group a test started that is somehow still there.
np_teardown_file() {
	local pid dir
	if [[ -f $BATS_FILE_TMPDIR/pids ]]; then
		while read -r pid; do
			kill -KILL -- "-$pid" 2>/dev/null || true
		done <"$BATS_FILE_TMPDIR/pids"
	fi
	if [[ -f $BATS_FILE_TMPDIR/own-dirs ]]; then
		while read -r dir; do
			rm -rf "$dir"
		done <"$BATS_FILE_TMPDIR/own-dirs"
	fi
}

# np_kill_tree PID: SIGKILL PID and every process it started (a client in
# a subshell, the program under timeout), children first.
np_kill_tree() {
	local child
	for child in $(pgrep -P "$1" 2>/dev/null); do
		np_kill_tree "$child"
	done
	kill -KILL "$1" 2>/dev/null || true
}

# np_alive PID: true while PID runs (a zombie counts as gone). Builtins
# only: it is polled, and a fork costs milliseconds in a sandbox. kill -0
# first: a process gone (and reaped) answers at once. Then /proc/PID/stat,
# read whole in one redirection: its state (Z or X: gone) and its start
# time, which must be the one np_birth saw, or a later process (or a
# thread: /proc/N also answers for a thread N of any process) took the
# number. Not /proc/PID/status: reading it while an ASan program exits
# (LeakSanitizer stops its threads with ptrace) could block for seconds,
# and a stop then looked 4 s long (issue 13: 15 of 40 loops of lesson
# 01's stop tests under ASan; 0 of 50 since).
np_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	np_start_time "$1"
	[[ -n $NP_STATE && $NP_STATE != [ZX] ]] &&
		{ [[ -z ${NP_BIRTH_OF[$1]:-} ]] || [[ $NP_START == "${NP_BIRTH_OF[$1]}" ]]; }
}

# np_start_time PID: set NP_START to when PID started (clock ticks since
# boot, field 22 of /proc/PID/stat): with its number, what tells a process
# from a later one that got the same number. NP_STATE: its state (field 3).
np_start_time() {
	local stat=
	# A process already gone has no start time: NP_START is empty then,
	# and this is no failure (bats' set -e would end the test here).
	{ IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null || true
	local f=(${stat##*) })
	NP_STATE=${f[0]:-}
	NP_START=${f[19]:-}
}

# np_birth PID: remember when PID started, so that np_alive never takes a
# later process of the same number for it.
np_birth() {
	np_start_time "$1"
	NP_BIRTH_OF[$1]=$NP_START
}

# np_pause SECONDS: the pause between two looks at a condition a bounded
# loop waits for. A read with a timeout on a FIFO no one writes to: a
# builtin, where sleep costs a fork and an exec each time.
np_pause() {
	local fifo=$BATS_FILE_TMPDIR/np-pause
	[[ -p $fifo ]] || mkfifo "$fifo" 2>/dev/null || [[ -p $fifo ]]
	read -rt "$1" <>"$fifo" || true
}

# np_until SECONDS CMD...: run CMD every 20 ms until it succeeds (true) or
# SECONDS have passed on the clock (false): the one bounded wait of the
# tests. The clock, not a count of tries: CMD itself may take time.
np_until() {
	local now=${EPOCHREALTIME/[.,]/} end
	end=$((now + $1 * 1000000))
	shift
	until "$@"; do
		now=${EPOCHREALTIME/[.,]/}
		((now < end)) || return 1
		np_pause 0.02
	done
}

np_gone() {
	! np_alive "$1"
}

# np_wait_gone PID SECONDS: wait until PID has exited; false on timeout.
np_wait_gone() {
	np_until "$2" np_gone "$1"
}

# np_no_zombies PID: PID has no child that has ended unreaped.
np_no_zombies() {
	ps -o stat= --ppid "$1" | awk '/^Z/ { z = 1 } END { exit z }'
}

# np_clock: set NP_MS to the time now in milliseconds (a builtin: it is
# called in loops, where a fork of date would cost more than it measures).
np_clock() {
	local t=${EPOCHREALTIME/[.,]/}
	NP_MS=$((t / 1000))
}

# np_cpu_ms PID: set NP_CPU_MS to the CPU time PID has used so far (user
# and system, all its threads), in milliseconds. A busy loop shows here.
np_cpu_ms() {
	local stat=
	{ IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null || true
	# Fields after the ")" that ends the command name: state is the 1st,
	# utime the 12th, stime the 13th, in clock ticks (100 a second).
	local f=(${stat##*) })
	NP_CPU_MS=$(((f[11] + f[12]) * 10))
}

# np_limit_fds PID: lower PID's soft limit on descriptors (RLIMIT_NOFILE)
# to its lowest free descriptor number, so the next one it opens (an
# accept()) fails with EMFILE. np_restore_fds PID lifts it again.
np_limit_fds() {
	local n=0
	while [[ -e /proc/$1/fd/$n ]]; do n=$((n + 1)); done
	# As the program's user (NP_AS): root without CAP_SYS_RESOURCE, as
	# in a container, may not change another user's limits.
	NP_FDS_SOFT=$("${NP_AS[@]}" prlimit --pid "$1" --nofile --noheadings --output SOFT)
	"${NP_AS[@]}" prlimit --pid "$1" --nofile="$n:"
}
np_restore_fds() {
	"${NP_AS[@]}" prlimit --pid "$1" --nofile="${NP_FDS_SOFT:-1024}:"
}

# np_group_gone PGID: no process of the group is left (a forked child
# keeps its parent's group).
np_group_gone() {
	! pgrep -g "$1" >/dev/null
}

# np_where PID: where each thread of PID waits (state, kernel wait channel,
# system call), and its stacks when gdb is there: what a failure shows of a
# server that did not stop.
np_where() {
	local task line=
	for task in /proc/"$1"/task/*; do
		{
			IFS= read -r line <"$task/wchan"
			printf '  thread %s: %s, in %s, syscall %s\n' "${task##*/}" \
				"$(grep -m1 '^State' "$task/status" | cut -f2)" "${line:-?}" \
				"$(cut -d' ' -f1 "$task/syscall")"
		} 2>/dev/null || true
	done
	if command -v gdb >/dev/null; then
		timeout 15 gdb -p "$1" -batch -ex 'thread apply all bt' 2>/dev/null |
			grep -E '^(#|Thread)' | head -n 40 || true
	fi
}

# stop_server_within MS WHILE [SIGNAL]: send SIGNAL (default TERM) to the
# server's own process, as kill(1) or systemd does, and fail unless it
# exited 0 within MS milliseconds (times NP_SLOW), leaving no process it
# started (a child it should have stopped before exiting would still run
# seconds later: looked for up to 2 s after). WHILE says what its clients
# were doing, for the message. Returns 1 on failure (usable after || too).
stop_server_within() {
	local ms=$(($1 * NP_SLOW)) what=$2 sig=${3:-TERM} pid=$SERVER_PID start took
	local wait_s=$((2 * $1 * NP_SLOW / 1000 + 2)) left=
	np_clock
	start=$NP_MS
	kill -s "$sig" "$pid"
	# Wait past the bound (to say how long it took), but not for ever;
	# timed on the server itself (a builtin look), then its children.
	np_until "$wait_s" np_gone "$pid" || true
	np_clock
	took=$((NP_MS - start))
	if ! np_gone "$pid"; then
		left=it
		local where
		where=$(np_where "$pid")
	elif ! np_until 2 np_group_gone "$pid"; then
		left="a process it started (a child)"
	fi
	stop_server
	if [[ -n $left ]]; then
		fail "SIG$sig to the server while $what: $left was still running $wait_s s later (expected: all gone within $ms ms; killed)${where:+$'\n'where it was:$'\n'$where}"
		return 1
	elif ((took > ms)); then
		fail "SIG$sig to the server while $what: it took $took ms to exit (expected: within $ms ms)"
		return 1
	fi
	if [[ $SERVER_STATUS != 0 ]]; then
		fail "SIG$sig to the server while $what: $(np_explain_status "$SERVER_STATUS")"
		return 1
	fi
}

np_explain_status() {
	case $1 in
	killed) echo "the server did not exit within $((5 * NP_SLOW)) s of SIGTERM; it was killed" ;;
	99 | 98 | 97 | 96) echo "$(np_tool_report "$1") in the server (its report is in the log below)" ;;
	*) echo "the server exited with status $1 after SIGTERM; expected 0 (see its log below)" ;;
	esac
}

# np_tool_report STATUS: which checker exits with STATUS, and what it found.
np_tool_report() {
	case $1 in
	99) echo "valgrind found memory errors or leaks" ;;
	98) echo "AddressSanitizer/LeakSanitizer found errors" ;;
	97) echo "UndefinedBehaviorSanitizer found errors" ;;
	96) echo "ThreadSanitizer found data races" ;;
	esac
}

np_show_logs() {
	local log stub
	for log in "${NP_LOGS[@]}"; do
		# A test of one TODO may need another block to run at all (a
		# server must stop on SIGTERM): say which one stopped it.
		stub=$(grep -m 1 -oE 'TODO\([0-9]+\.[0-9]+\) not implemented' "$log" || true)
		if [[ -n $stub ]]; then
			stub=${stub% not implemented}
			if [[ ${BATS_TEST_DESCRIPTION:-} == *"$stub"* ]]; then
				echo "the server stopped at $stub, this test's own block: it is not written yet"
			else
				echo "the server stopped at $stub, a block not written yet: this test needs it too"
			fi
		fi
		echo "--- server log: ${log##*/} (last 60 lines) ---"
		tail -n 60 "$log"
		echo "--- end of server log ---"
	done
}

# start_server PROGRAM [ARG...]: run the lesson's $NP_BIN/PROGRAM -p 0
# ARG... (under valgrind when asked) and wait for its ready line. Sets
# SERVER_PID, SERVER_LOG, SERVER_ADDR (as printed), SERVER_HOST (for URLs:
# 127.0.0.1 or [::1]), SERVER_IP and SERVER_PORT.
start_server() {
	np_start_server wrap "$NP_BIN/$1" 0 "${@:2}"
}

# start_server_on_port PORT PROGRAM [ARG...]: the same with a fixed port.
start_server_on_port() {
	np_start_server wrap "$NP_BIN/$2" "$1" "${@:3}"
}

# start_test_server [-a ADDR] MODE [TEXT]: start build/tests/np-serve, the
# server that misbehaves on purpose (see np-serve -h), to test a client.
start_test_server() {
	np_start_server plain "$NP_SERVE" 0 "$@"
}

# np_start_server wrap|plain PATH PORT [ARG...]: the work of the above.
np_start_server() {
	local how=$1 path=$2 port=$3 log prog end wrap=()
	shift 3
	prog=${path##*/}
	[[ $how == wrap ]] && wrap=("${NP_WRAP[@]}")
	log=$BATS_TEST_TMPDIR/$prog.$((${#NP_LOGS[@]} + 1)).log
	NP_LOGS+=("$log")
	NP_SERVER_CMD=$(printf '%q ' "${path#"$NP_ROOT"/}" -p "$port" "$@")
	: >"$log"
	# Own process group (setsid), stdin from $NP_STDIN (no terminal), and
	# bats' fd 3 closed so a stray server can never hang the suite.
	setsid "${NP_LAUNCH[@]}" "${wrap[@]}" "$path" -p "$port" "$@" \
		>"$log" 2>&1 <"$NP_STDIN" 3>&- &
	SERVER_PID=$!
	np_birth "$SERVER_PID"
	SERVER_LOG=$log
	[[ $how == wrap ]] && NP_CHECKED_PIDS+=("$SERVER_PID")
	NP_PIDS+=("$SERVER_PID")
	echo "$SERVER_PID" >>"$BATS_FILE_TMPDIR/pids"
	# 10 s (times NP_SLOW) on the clock, not a count of looks.
	end=$((${EPOCHREALTIME/[.,]/} + 10000000 * NP_SLOW))
	until np_ready_line "$log"; do
		if ! np_alive "$SERVER_PID"; then
			wait "$SERVER_PID" && SERVER_STATUS=0 || SERVER_STATUS=$?
			SERVER_PID=
			printf '%s exited with status %s before printing its ready line "listening on HOST:PORT"\n' \
				"$NP_SERVER_CMD" "$SERVER_STATUS" >&2
			return 1
		fi
		if ((${EPOCHREALTIME/[.,]/} >= end)); then
			printf '%s printed no ready line "listening on HOST:PORT" within %d s\n' \
				"$NP_SERVER_CMD" $((10 * NP_SLOW)) >&2
			return 1
		fi
		np_pause 0.02
	done
	SERVER_ADDR=$NP_READY
	# A Unix socket server names its path instead of HOST:PORT.
	[[ $SERVER_ADDR == /* || $SERVER_ADDR == ./* ]] && return 0
	SERVER_PORT=${SERVER_ADDR##*:}
	SERVER_HOST=${SERVER_ADDR%:*}
	SERVER_IP=${SERVER_HOST#[}
	SERVER_IP=${SERVER_IP%]}
	if [[ ! $SERVER_PORT =~ ^[0-9]+$ ]] || ((SERVER_PORT == 0)); then
		printf 'bad ready line: "listening on %s"; expected HOST:PORT with the real port\n' \
			"$SERVER_ADDR" >&2
		return 1
	fi
}

# np_ready_line LOG: true once LOG holds the ready line; NP_READY is what
# follows "listening on " (builtins only: it is polled).
np_ready_line() {
	local line
	while IFS= read -r line; do
		if [[ $line == 'listening on '* ]]; then
			NP_READY=${line#listening on }
			return 0
		fi
	done <"$1"
	return 1
}

# stop_server [SIGNAL]: send SIGNAL (default TERM) to the server's process
# group, wait for it with a bound, then SIGKILL the group so no child is
# left. Sets SERVER_STATUS (the exit status, or "killed").
stop_server() {
	local sig=${1:-TERM} pid=$SERVER_PID
	SERVER_STATUS=
	[[ -n $pid ]] || return 0
	SERVER_PID=
	kill -s "$sig" -- "-$pid" 2>/dev/null || true
	if ! np_wait_gone "$pid" $((5 * NP_SLOW)); then
		kill -KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		SERVER_STATUS=killed
		np_note_stop "$pid"
		return 0
	fi
	wait "$pid" && SERVER_STATUS=0 || SERVER_STATUS=$?
	kill -KILL -- "-$pid" 2>/dev/null || true
	np_note_stop "$pid"
}

# np_note_stop PID: a program of the lesson that did not exit 0 when it was
# stopped fails the test in teardown, even if the test looked no further.
np_note_stop() {
	local p
	[[ $SERVER_STATUS == 0 ]] && return 0
	for p in "${NP_CHECKED_PIDS[@]}"; do
		[[ $p == "$1" ]] && NP_STOP_FAILURES+=("$1:$SERVER_STATUS")
	done
	return 0
}

# np_run PROGRAM [ARG...]: bats' run, with stdout and stderr apart, for a
# program of the lesson that should exit by itself (bounded, and under
# valgrind when asked). Sets status, output and stderr. Programs never get
# bats' fd 3: what they wrote there would be read as test results.
np_run() {
	local prog=$1
	shift
	run --separate-stderr timeout -k 5 $((10 * NP_SLOW)) \
		"${NP_WRAP[@]}" "$NP_BIN/$prog" "$@" 3>&-
}

# np_track PID: a background process the test started (a client); it is
# killed in teardown if it is still there.
np_track() {
	NP_BG_PIDS+=("$1")
}

# fd_count PID: how many file descriptors the process holds open.
fd_count() {
	local fds=("/proc/$1/fd/"*)
	echo "${#fds[@]}"
}

# fd_count_settled PID BASE: the descriptors PID holds, once they are down
# to BASE or after a bounded wait (a server closes a connection a moment
# after its client has its reply).
fd_count_settled() {
	np_until $((5 * NP_SLOW)) fd_at_most "$1" "$2" || true
	fd_count "$1"
}

# fd_at_most PID N: PID holds at most N file descriptors. Builtins only:
# it is polled.
fd_at_most() {
	local fds=("/proc/$1/fd/"*)
	((${#fds[@]} <= $2))
}

# fd_above PID N: PID holds more than N file descriptors (a server has
# accepted a connection, or opened a file).
fd_above() {
	! fd_at_most "$@"
}

# curl_request METHOD TARGET [CURL_ARG...]: ask the server with curl (HEAD
# uses -I). The raw reply lands in $REPLY_FILE and is parsed (see
# np_parse_reply); curl's exit status is CLIENT_STATUS.
curl_request() {
	local method=$1 target=$2 args
	shift 2
	if [[ $method == HEAD ]]; then args=(-I); else args=(-X "$method"); fi
	args+=("$@")
	NP_SENT="$method $target HTTP/1.1 (from curl${*:+ $*})"
	NP_SHOW=np_show_reply
	NP_REPRO_STDIN=
	NP_REPRO=(curl -v "${args[@]}" "http://127.0.0.1:$NP_PORT_HINT$target")
	CLIENT_STATUS=0
	curl -sS -i -g --http1.1 --max-time $((5 * NP_SLOW)) "${args[@]}" \
		"http://$SERVER_HOST:$SERVER_PORT$target" \
		>"$REPLY_FILE" 2>"$REPLY_ERR" || CLIENT_STATUS=$?
	np_parse_reply
}

# peer_request [NP-PEER OPTION...]: talk to the server through np-peer
# (-m MESSAGE with C escapes, or stdin; -c/-d dribble, -H half-close, -R
# reset; see np-peer -h). Reply in $REPLY_FILE; exit status CLIENT_STATUS.
# The expect_ functions parse it as HTTP when they need to.
peer_request() {
	local arg prev= msg= opts=()
	for arg in "$@"; do
		if [[ $prev == -m ]]; then
			msg=$arg
		elif [[ $arg != -m ]]; then
			opts+=("$arg")
		fi
		prev=$arg
	done
	if [[ -n $msg ]]; then
		NP_SENT="'$msg' (np-peer${opts[*]:+ ${opts[*]}})"
	else
		NP_SENT="the bytes of a file (np-peer${opts[*]:+ ${opts[*]}})"
	fi
	local where=(-a "$SERVER_IP" -p "$SERVER_PORT") hint=(-p "$NP_PORT_HINT")
	# A Unix socket server: the test names its path with -U.
	if [[ $SERVER_ADDR == /* || $SERVER_ADDR == ./* ]]; then
		where=()
		hint=()
	fi
	NP_REPRO=(build/tests/np-peer "${hint[@]}" "$@")
	NP_SHOW=np_show_reply
	NP_REPRO_STDIN=
	CLIENT_STATUS=0
	"$NP_PEER" "${where[@]}" -w $((5 * NP_SLOW)) "$@" \
		>"$REPLY_FILE" 2>"$REPLY_ERR" || CLIENT_STATUS=$?
	# Split into head and body only when an HTTP check asks (forks); what
	# the last reply's split left is cleared, never read as this one's.
	NP_PARSED=
	REPLY_STATUS_LINE=
	REPLY_HEAD=
	: >"$REPLY_BODY"
}

# np_parse_reply: split $REPLY_FILE at the first empty line. Sets
# REPLY_STATUS_LINE (without its CRLF) and REPLY_HEAD; the body goes to
# $REPLY_BODY. The expect_ functions call it when the reply is new.
np_parse_reply() {
	local line n=0 ended=
	NP_PARSED=1
	REPLY_HEAD=
	# The head with builtins (read drops NUL bytes), at most 200 lines.
	while ((n < 200)) && { IFS= read -r line || [[ -n $line ]]; }; do
		REPLY_HEAD+=$line$'\n'
		n=$((n + 1))
		if [[ -z $line || $line == $'\r' ]]; then
			ended=1
			break
		fi
	done <"$REPLY_FILE"
	REPLY_HEAD=${REPLY_HEAD%$'\n'}
	REPLY_STATUS_LINE=${REPLY_HEAD%%$'\n'*}
	REPLY_STATUS_LINE=${REPLY_STATUS_LINE%$'\r'}
	if [[ -n $ended ]]; then
		tail -n +$((n + 1)) "$REPLY_FILE" >"$REPLY_BODY"
	else
		# No empty line: all of it is head, as far as HTTP goes.
		: >"$REPLY_BODY"
	fi
}

# np_mismatch WHAT EXPECTED RECEIVED: explain a failed expectation and fail.
np_mismatch() {
	{
		printf '%s\n' "$1"
		printf '  sent:      %s\n' "$NP_SENT"
		printf '  expected:  %s\n' "$2"
		printf '  received:  %s\n' "$3"
		"$NP_SHOW"
		np_show_repro
	} >&2
	return 1
}

# The whole reply, byte-exact: \r is a carriage return, $ ends a line.
np_show_reply() {
	local size
	if [[ ! -e $REPLY_FILE ]]; then
		echo "  no reply yet."
		return 0
	fi
	size=$(wc -c <"$REPLY_FILE")
	if ((size == 0)); then
		echo "  the reply was empty (0 bytes)."
	else
		echo "  the whole reply ($size bytes; \\r = carriage return, \$ = end of line):"
		LC_ALL=C sed -n 'l 0' "$REPLY_FILE" | head -n 30 | sed 's/^/    /'
	fi
	if [[ -s $REPLY_ERR ]]; then
		echo "  the client said:"
		head -n 10 "$REPLY_ERR" | sed 's/^/    /'
	fi
}

np_show_repro() {
	echo "  reproduce it by hand:"
	echo "    terminal 1:  ${NP_SERVER_CMD/-p 0/-p $NP_PORT_HINT}"
	((${#NP_REPRO[@]} > 0)) || return 0
	echo "    terminal 2:  $(printf '%q ' "${NP_REPRO[@]}")${NP_REPRO_STDIN:+ < $NP_REPRO_STDIN}"
}

# expect_client_ok: the client got a whole reply (exit 0) in time.
expect_client_ok() {
	[[ $CLIENT_STATUS == 0 ]] && return 0
	local what="the client exited with status $CLIENT_STATUS"
	case "${NP_REPRO[0]}:$CLIENT_STATUS" in
	curl:28 | *np-peer:3) what="the server sent no complete reply in time (the client gave up)" ;;
	curl:52) what="the server closed the connection without a reply" ;;
	curl:56 | *np-peer:1) what="the connection failed or was reset before the reply was complete" ;;
	curl:7) what="could not connect to the server" ;;
	esac
	np_mismatch "$what" "a complete reply, then the server closes" \
		"$(head -c 200 "$REPLY_ERR" | tr '\n' ' ')"
}

# expect_status CODE REASON: the reply starts with "HTTP/1.1 CODE REASON",
# every line of its head ends with CRLF, and the head ends with an empty
# line.
expect_status() {
	local want="HTTP/1.1 $1 $2" line
	[[ -n ${NP_PARSED:-} ]] || np_parse_reply
	expect_client_ok
	[[ $REPLY_STATUS_LINE == "$want" ]] ||
		np_mismatch "wrong status line" "$want" "${REPLY_STATUS_LINE:-(nothing)}"
	while IFS= read -r line; do
		[[ $line == *$'\r' ]] ||
			np_mismatch "a line of the response head does not end with \\r\\n (CRLF)" \
				"'$line\\r\\n'" "'$line\\n'"
	done <<<"$REPLY_HEAD"
	[[ ${REPLY_HEAD##*$'\n'} == $'\r' ]] ||
		np_mismatch "the response head does not end with an empty line (\\r\\n\\r\\n)" \
			"an empty line after the headers" "no empty line"
}

# expect_header NAME VALUE: exactly one NAME header (any case), value VALUE.
expect_header() {
	local name=$1 want=$2 found= line count=0
	[[ -n ${NP_PARSED:-} ]] || np_parse_reply
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ ${line,,} == "${name,,}:"* ]]; then
			found+=${found:+$'\n'}$line
			count=$((count + 1))
		fi
	done <<<"$REPLY_HEAD"
	[[ -n $found ]] ||
		np_mismatch "no $name header" "$name: $want" "(no such header)"
	((count == 1)) ||
		np_mismatch "$name appears more than once" "$name: $want" "$found"
	found=${found#*:}
	found=${found#"${found%%[! ]*}"}
	found=${found%"${found##*[! ]}"}
	[[ $found == "$want" ]] ||
		np_mismatch "wrong $name header" "$name: $want" "$name: $found"
}

# expect_body TEXT: the body is exactly TEXT, byte for byte.
expect_body() {
	local got
	[[ -n ${NP_PARSED:-} ]] || np_parse_reply
	cmp -s "$REPLY_BODY" <(printf '%s' "$1") && return 0
	got=$(cat -v "$REPLY_BODY"; echo x)
	got=${got%x}
	np_mismatch "wrong body" "'$1' ($(printf '%s' "$1" | wc -c) bytes)" \
		"'$got' ($(wc -c <"$REPLY_BODY") bytes)"
}

# expect_log REGEX: the server's log has a line matching REGEX (grep -E).
expect_log() {
	grep -qE -- "$1" "$SERVER_LOG" ||
		np_mismatch "the server's log has no line matching /$1/" "$1" "see the log below"
}

# run_program PROGRAM [ARG...]: run the lesson's program to its end,
# bounded in time (and under valgrind when asked); redirect its stdin as
# needed. stdout goes to $PROG_OUT, stderr to $PROG_ERR; sets PROG_STATUS
# (124: it was stopped at the time limit) and PROG_MS (elapsed time).
# Set NP_SENT first to describe what the test feeds it.
run_program() {
	local prog=$1 arg prev= start repro=()
	shift
	for arg in "$@"; do
		if [[ $prev == -p && $arg == "${SERVER_PORT:-}" ]]; then
			repro+=("$NP_PORT_HINT")
		else
			repro+=("$arg")
		fi
		prev=$arg
	done
	NP_REPRO=("${NP_BIN#"$NP_ROOT"/}/$prog" "${repro[@]}")
	NP_SHOW=np_show_program
	NP_PROG_LIMIT=$((${NP_PROG_LIMIT_BASE:-20} * NP_SLOW))
	start=$(date +%s%N)
	PROG_STATUS=0
	timeout -k 5 "$NP_PROG_LIMIT" "${NP_WRAP[@]}" "$NP_BIN/$prog" "$@" \
		>"$PROG_OUT" 2>"$PROG_ERR" 3>&- || PROG_STATUS=$?
	PROG_MS=$((($(date +%s%N) - start) / 1000000))
}

# What the program printed: stdout (byte-exact, cut) and stderr.
np_show_program() {
	local size
	size=$(wc -c <"$PROG_OUT")
	echo "  exit status $PROG_STATUS after $PROG_MS ms; stdout had $size bytes${size:+:}"
	LC_ALL=C sed -n 'l 0' "$PROG_OUT" | head -n 12 | cut -c1-200 | sed 's/^/    /'
	if [[ -s $PROG_ERR ]]; then
		echo "  stderr:"
		head -n 30 "$PROG_ERR" | sed 's/^/    /'
	else
		echo "  stderr was empty."
	fi
}

np_explain_exit() {
	case $1 in
	124) echo "it did not finish within $NP_PROG_LIMIT s and was stopped" ;;
	99 | 98 | 97 | 96) echo "$(np_tool_report "$1") (exit $1; report in stderr)" ;;
	*) echo "exit status $1" ;;
	esac
}

# expect_exit CODE: the program run by run_program exited with CODE.
expect_exit() {
	[[ $PROG_STATUS == "$1" ]] ||
		np_mismatch "wrong exit status" "exit status $1" "$(np_explain_exit "$PROG_STATUS")"
}

# expect_stdout TEXT: its stdout was exactly TEXT.
expect_stdout() {
	cmp -s "$PROG_OUT" <(printf '%s' "$1") ||
		np_mismatch "wrong output on stdout" "'$1' ($(printf '%s' "$1" | wc -c) bytes)" \
			"'$(head -c 200 "$PROG_OUT" | cat -v)' ($(wc -c <"$PROG_OUT") bytes)"
}

# expect_stdout_file FILE: its stdout was exactly the bytes of FILE.
expect_stdout_file() {
	local diff
	diff=$(cmp "$1" "$PROG_OUT" 2>&1) ||
		np_mismatch "stdout differs from what was sent" \
			"the $(wc -c <"$1") bytes of ${1##*/}" \
			"$(wc -c <"$PROG_OUT") bytes; cmp: ${diff:-identical}"
}

# expect_stderr_match REGEX: a line of its stderr matches REGEX (grep -E).
expect_stderr_match() {
	grep -qE -- "$1" "$PROG_ERR" ||
		np_mismatch "stderr does not say what went wrong" "a line matching /$1/" \
			"$(head -n 3 "$PROG_ERR" | tr '\n' ' ')"
}
