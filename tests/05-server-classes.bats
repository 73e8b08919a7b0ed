#!/usr/bin/env bats
# Lesson 05 - libsockserver and echo-server. Each test names the TODO it
# checks first. echo-server is driven over its four transports with
# np-peer; what it cannot show is checked by ss-check, a C driver built
# against your libsockserver, the sockserver-*.c files (tests/ss-check.c).

load lib/harness

setup() {
	np_setup
	NP_PORT_HINT=8091
	SOCK=$BATS_TEST_TMPDIR/s
}

teardown() {
	np_teardown
}

teardown_file() {
	np_teardown_file
}

# expect_reply TEXT: the client got exactly TEXT back.
expect_reply() {
	expect_client_ok
	cmp -s "$REPLY_FILE" <(printf '%s' "$1") ||
		np_mismatch "wrong echo" "'$1'" "'$(cat -v "$REPLY_FILE")'"
}

# not_a_reply WHAT [CMD...]: the next failure is about WHAT, not about a
# reply (there is none yet, or it is not the point); CMD shows it by hand.
not_a_reply() {
	NP_SENT=$1
	NP_SHOW=true
	NP_REPRO=("${@:2}")
}

# ss_check FILTER: run the library's C driver on the cases named FILTER.
ss_check() {
	run timeout -k 5 $((60 * NP_SLOW)) "${NP_WRAP[@]}" "$NP_BIN/ss-check" \
		"$BATS_TEST_TMPDIR" "$1" 3>&-
	if ((status != 0)) || grep -q '^not ok' <<<"$output"; then
		printf 'ss-check %s failed (exit %s); its report:\n%s\n' "$1" "$status" "$output" >&2
		printf '  reproduce it by hand:  %s/ss-check /tmp %s\n' "${NP_BIN#"$NP_ROOT"/}" "$1" >&2
		return 1
	fi
	grep -q '^ok ' <<<"$output" ||
		{ echo "ss-check ran no case named $1" >&2; return 1; }
}

@test "TODO(05.1) TODO(05.2) TODO(05.3) TODO(05.4) tcp: echo until EOF, then SIGTERM" {
	start_server echo-server -t tcp
	peer_request -H -m 'hello, tcp'
	expect_reply 'hello, tcp'
	peer_request -H -c 3 -d 2 -m 'dribbled in pieces'
	expect_reply 'dribbled in pieces'
}

@test "TODO(05.5) udp: each datagram comes back whole, 8 KiB included" {
	local big
	start_server echo-server -t udp
	peer_request -u -m 'one datagram'
	expect_reply 'one datagram'
	big=$(head -c 8192 /dev/zero | tr '\0' d)
	peer_request -u -m "$big"
	expect_reply "$big"
}

@test "TODO(05.6) unix: echo over a Unix stream socket; the file goes on SIGTERM" {
	start_server echo-server -t unix -s "$SOCK"
	not_a_reply "nothing yet: the server has just started" ls -l "$SOCK"
	[[ $SERVER_ADDR == "$SOCK" ]] ||
		np_mismatch "wrong ready line" "listening on $SOCK" "listening on $SERVER_ADDR"
	[[ -S $SOCK ]] || np_mismatch "no socket file" "$SOCK, a socket" "$(ls -l "$SOCK" 2>&1)"
	peer_request -U "$SOCK" -H -m 'hello, unix'
	expect_reply 'hello, unix'
	stop_server
	not_a_reply "SIGTERM, after the echo" ls -l "$SOCK"
	[[ $SERVER_STATUS == 0 ]] || np_mismatch "SIGTERM" "exit status 0" "$(np_explain_status "$SERVER_STATUS")"
	[[ ! -e $SOCK ]] || np_mismatch "the socket file was left behind" "no $SOCK" "$(ls -l "$SOCK")"
}

@test "TODO(05.5) TODO(05.6) unixgram: datagrams over a Unix socket" {
	start_server echo-server -t unixgram -s "$SOCK"
	peer_request -U "$SOCK" -u -m 'hello, unixgram'
	expect_reply 'hello, unixgram'
	stop_server
	not_a_reply "SIGTERM, after the echo" ls -l "$SOCK"
	[[ ! -e $SOCK ]] || np_mismatch "the socket file was left behind" "no $SOCK" "$(ls -l "$SOCK")"
}

@test "TODO(05.6) a Unix path longer than sun_path is refused clearly" {
	local long
	long=$BATS_TEST_TMPDIR/$(head -c 120 /dev/zero | tr '\0' p)
	np_run echo-server -t unix -s "$long" -p 0
	assert_failure 1
	[[ $stderr == *'too long'* ]] || fail "no clear message; stderr: $stderr"
	[[ ! -e ${long:0:107} ]] || fail "a truncated socket file was created"
}

# hold_client TEXT: open fd 8 to the server, send TEXT without EOF and
# read its echo: a client that is being served and stays connected.
hold_client() {
	local reply=
	NP_SENT="'$1' without EOF, from a client that then stays connected"
	NP_REPRO=(build/tests/np-peer -p "$NP_PORT_HINT" -S 30 -m "$1")
	NP_SHOW=true
	exec 8<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	printf '%s' "$1" >&8
	read -r -t $((5 * NP_SLOW)) -N ${#1} reply <&8 || true
	[[ $reply == "$1" ]] ||
		np_mismatch "the first client got no echo" "$1" "${reply:-(nothing)}"
}

@test "TODO(05.7) thread mode serves a second client while the first idles" {
	start_server echo-server -t tcp -m thread
	# The first client is being served (its bytes came back) and holds
	# its connection open, without EOF; only then does the second come.
	hold_client first
	peer_request -w 3 -H -m 'second'
	expect_reply 'second'
	exec 8>&-
}

@test "TODO(05.8) fork mode serves clients in children and leaves no zombies" {
	local i zombies children
	start_server echo-server -t tcp -m fork
	# A client that is being served (its bytes came back) and stays: a
	# child process must be what serves it, and others go on meanwhile.
	hold_client held
	children=$(ps -o pid= --ppid "$SERVER_PID" | wc -l)
	((children >= 1)) ||
		np_mismatch "fork mode: no child process serves the client" \
			"a child of the server (ps --ppid $SERVER_PID)" "no child"
	for i in 1 2 3 4 5 6 7 8; do
		peer_request -w 3 -H -m "client $i"
		expect_reply "client $i"
	done
	exec 8>&-
	# Finished children are reaped within a poll interval or two.
	np_until $((3 * NP_SLOW)) np_no_zombies "$SERVER_PID" ||
		np_mismatch "fork mode leaves zombies" "no zombie children" \
			"$(ps -o pid=,stat= --ppid "$SERVER_PID" | awk '$2 ~ /^Z/' | wc -l) zombies"
}

# ---- Limits: the largest datagrams, stale socket files, max_children,
# descriptors running out, SIGTERM whatever the clients do.

# pattern_file BYTES: a file of BYTES bytes ($BATS_TEST_TMPDIR/dgram.BYTES).
pattern_file() {
	PATTERN=$BATS_TEST_TMPDIR/dgram.$1
	yes 0123456789abcdef | head -c "$1" >"$PATTERN"
}

# expect_datagram_back BYTES NP-PEER-OPTION...: send one datagram of BYTES
# bytes and expect it back whole.
expect_datagram_back() {
	local bytes=$1
	pattern_file "$bytes"
	peer_request -u "${@:2}" <"$PATTERN"
	NP_SENT="one datagram of $bytes bytes"
	NP_REPRO_STDIN="<(yes | head -c $bytes)"
	expect_client_ok
	cmp -s "$REPLY_FILE" "$PATTERN" ||
		np_mismatch "the datagram did not come back whole" "$bytes bytes" \
			"$(wc -c <"$REPLY_FILE") bytes"
}

@test "TODO(05.5) udp: a datagram of 65,507 bytes, the largest over IPv4, comes back whole" {
	start_server echo-server -t udp
	expect_datagram_back 65507
}

# reported_or_back PID: the client PID has ended (an echo came), or the
# server's log reports a datagram too long.
reported_or_back() {
	np_gone "$1" || grep -qiE 'too long|EMSGSIZE|trunc' "$SERVER_LOG"
}

@test "TODO(05.5) unixgram: 65,507 bytes come back whole; 65,536 (more than 65,535) whole or reported, never cut" {
	local pid
	start_server echo-server -t unixgram -s "$SOCK"
	expect_datagram_back 65507 -U "$SOCK"
	pattern_file 65536
	NP_SENT="one datagram of 65536 bytes"
	NP_REPRO=(build/tests/np-peer -U "$SOCK" -u)
	NP_REPRO_STDIN="<(yes | head -c 65536)"
	NP_SHOW=np_show_reply
	"$NP_PEER" -U "$SOCK" -u -w $((5 * NP_SLOW)) <"$PATTERN" >"$REPLY_FILE" 2>"$REPLY_ERR" &
	pid=$!
	np_track "$pid"
	np_until $((5 * NP_SLOW)) reported_or_back "$pid" ||
		np_mismatch "neither an echo nor a report" \
			"the datagram back whole, or a line in the server's log about it (too long)" \
			"nothing in $((5 * NP_SLOW)) s"
	[[ ! -s $REPLY_FILE ]] || cmp -s "$REPLY_FILE" "$PATTERN" ||
		np_mismatch "the datagram came back cut" "65536 bytes, or none and a report" \
			"$(wc -c <"$REPLY_FILE") bytes"
}

# kill_server: SIGKILL the server's process group, as a crash would: it
# leaves its socket file behind.
kill_server() {
	kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

@test "TODO(05.6) TODO(05.11) unix, unixgram: a stale socket file left by a killed server is replaced" {
	local type
	for type in unix unixgram; do
		start_server echo-server -t "$type" -s "$SOCK"
		kill_server
		[[ -S $SOCK ]] || fail "setting up: SIGKILL left no socket file at $SOCK"
		not_a_reply "a stale $SOCK (its server got SIGKILL): a new $type server on it" \
			ls -l "$SOCK"
		start_server echo-server -t "$type" -s "$SOCK" ||
			np_mismatch "a stale socket file was not replaced" \
				"the server starts on $SOCK (connect() to it is refused: nobody serves it)" \
				"it did not start (see its log)"
		if [[ $type == unix ]]; then
			peer_request -U "$SOCK" -H -m 'on a stale path'
		else
			peer_request -U "$SOCK" -u -m 'on a stale path'
		fi
		expect_reply 'on a stale path'
		stop_server
		[[ ! -e $SOCK ]] || np_mismatch "the socket file was left behind" "no $SOCK" "$(ls -l "$SOCK")"
	done
}

# refused_on PATH WHAT ARG...: echo-server ARG... -s PATH must refuse, with
# exit status 1 and a message that says the address is in use.
refused_on() {
	np_run echo-server "${@:3}" -s "$1"
	not_a_reply "$2 at $1: echo-server ${*:3} -s $1" ls -l "$1"
	if [[ $status != 1 ]]; then
		np_mismatch "a second server took the path" "exit status 1 and a message" \
			"exit status $status${stderr:+; stderr: $stderr}"
	fi
	[[ $stderr == *'in use'* ]] ||
		np_mismatch "no clear message" "'... Address already in use' on stderr" "${stderr:-(nothing)}"
}

@test "TODO(05.6) TODO(05.11) a live server's socket is never stolen: the second refuses (exit 1), the first serves on" {
	local file=$BATS_TEST_TMPDIR/f
	start_server echo-server -t unix -s "$SOCK"
	refused_on "$SOCK" "a live unix server" -t unix
	refused_on "$SOCK" "a live unix server" -t unixgram
	peer_request -U "$SOCK" -H -m 'still here'
	expect_reply 'still here'
	stop_server
	# A live datagram server: a stream probe is refused with EPROTOTYPE.
	start_server echo-server -t unixgram -s "$SOCK"
	refused_on "$SOCK" "a live unixgram server" -t unix
	peer_request -U "$SOCK" -u -m 'still here'
	expect_reply 'still here'
	stop_server
	# A regular file: connect() says ECONNREFUSED there too.
	printf 'not a socket' >"$file"
	refused_on "$file" "a regular file" -t unix
	[[ $(cat "$file") == 'not a socket' ]] ||
		np_mismatch "a regular file was removed or changed" "the file kept" "$(ls -l "$file" 2>&1)"
}

# within_ms MS CMD...: CMD succeeds within MS milliseconds (np_until for a
# window shorter than a second: how long a server is watched).
within_ms() {
	local end=$((${EPOCHREALTIME/[.,]/} + $1 * 1000))
	shift
	until "$@"; do
		((${EPOCHREALTIME/[.,]/} < end)) || return 1
		np_pause 0.02
	done
}

# peer_done PID: the background client PID has exited.
peer_done() {
	np_gone "$1"
}

# background_peer FILE NP-PEER-OPTION...: a client in the background that
# writes its reply to FILE. Sets PEER_PID.
background_peer() {
	local out=$1
	shift
	# Not with the test's own connections (fd 7, 8): the server would see
	# them open for as long as this client runs.
	"$NP_PEER" -a "$SERVER_IP" -p "$SERVER_PORT" "$@" >"$out" 2>"$out.err" 7>&- 8>&- &
	PEER_PID=$!
	np_track "$PEER_PID"
}

@test "TODO(05.2) TODO(05.8) fork mode at its limit (-c 1): the next client waits, no busy loop, served once a slot frees" {
	local second=$BATS_TEST_TMPDIR/second start cpu
	start_server echo-server -t tcp -m fork -c 1
	hold_client held
	background_peer "$second" -w $((10 * NP_SLOW)) -H -m 'second'
	NP_SENT="'second' from a second client, while the first (a child's only client) stays"
	NP_REPRO=(build/tests/np-peer -p "$NP_PORT_HINT" -H -m second)
	# For half a second, the limit holds and the server sleeps.
	np_cpu_ms "$SERVER_PID"
	cpu=$NP_CPU_MS
	if within_ms 500 peer_done "$PEER_PID"; then
		np_mismatch "the limit was not kept" "no echo while the only child is busy" \
			"'$(cat "$second")'"
	fi
	np_cpu_ms "$SERVER_PID"
	((NP_CPU_MS - cpu < 150)) ||
		np_mismatch "a busy loop at the limit" "the server asleep (< 150 ms of CPU in 0.5 s)" \
			"$((NP_CPU_MS - cpu)) ms of CPU in 0.5 s"
	# The first client leaves: its child ends, and the second is served.
	exec 8>&-
	np_clock
	start=$NP_MS
	np_until $((5 * NP_SLOW)) peer_done "$PEER_PID" || true
	np_clock
	[[ $(cat "$second") == second ]] ||
		np_mismatch "the waiting client was not served" "'second' back" "'$(cat "$second")'"
	((NP_MS - start < 1000 * NP_SLOW)) ||
		np_mismatch "the waiting client was served late" \
			"within $((1000 * NP_SLOW)) ms of the first leaving" "after $((NP_MS - start)) ms"
}

@test "TODO(05.2) TODO(05.8) fork mode at its limit: SIGTERM stops it within 1 s, no child left" {
	start_server echo-server -t tcp -m fork -c 1
	hold_client held
	background_peer "$BATS_TEST_TMPDIR/second" -w $((10 * NP_SLOW)) -H -m 'second'
	stop_server_within 1000 "its only child served an idle client (-c 1) and another client waited"
}

@test "TODO(05.8) fork mode: SIGTERM stops it within 1 s while children serve idle clients" {
	start_server echo-server -t tcp -m fork
	hold_client held
	exec 7<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	stop_server_within 1000 "two children served idle clients"
}

@test "TODO(05.2) sync mode: SIGTERM stops it within 1 s while a client idles" {
	start_server echo-server -t tcp
	hold_client held
	stop_server_within 1000 "a client was connected, idle"
}

# serving BASE: the server holds more than BASE descriptors: a client's.
serving() {
	! fd_at_most "$SERVER_PID" "$1"
}

@test "TODO(05.2) sync mode: SIGINT stops it within 1 s while a client dribbles" {
	local base
	start_server echo-server -t tcp
	base=$(fd_count "$SERVER_PID")
	background_peer "$BATS_TEST_TMPDIR/dribble" -w 30 -c 1 -d 100 \
		-m 'a byte every 100 ms, for ten seconds: long enough to be stopped in the middle of it, as a slowloris would be'
	np_until $((5 * NP_SLOW)) serving "$base" || fail "setting up: the dribbling client was not taken"
	stop_server_within 1000 "a client dribbled its bytes" INT
}

@test "TODO(05.2) sync mode: SIGTERM stops it within 1 s while a client does not read its echo" {
	local data=$BATS_TEST_TMPDIR/data base
	head -c $((8 * 1024 * 1024)) /dev/zero >"$data"
	start_server echo-server -t tcp
	base=$(fd_count "$SERVER_PID")
	"$NP_PEER" -a "$SERVER_IP" -p "$SERVER_PORT" -w 30 -b 1024 <"$data" >/dev/null 2>&1 7>&- 8>&- &
	np_track $!
	np_until $((5 * NP_SLOW)) serving "$base" || fail "setting up: the slow reader was not taken"
	stop_server_within 1000 "a client sent 8 MiB and read its echo slowly"
}

@test "TODO(05.7) thread mode: SIGTERM stops it within 1 s while clients idle, no thread left" {
	start_server echo-server -t tcp -m thread
	hold_client held
	exec 7<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	stop_server_within 1000 "two clients were connected, idle"
}

# log_starved: the server's log reports descriptors running out.
log_starved() {
	grep -q 'Too many open files' "$SERVER_LOG"
}

@test "TODO(05.2) TODO(05.3) accept() out of descriptors: a pause, no busy loop, one report, served once they are free" {
	local client=$BATS_TEST_TMPDIR/client cpu lines
	start_server echo-server -t tcp
	np_limit_fds "$SERVER_PID"
	background_peer "$client" -w $((10 * NP_SLOW)) -H -m 'after the drought'
	NP_SENT="'after the drought' while the server had no descriptor left (ulimit -n: prlimit)"
	NP_REPRO=(build/tests/np-peer -p "$NP_PORT_HINT" -H -m 'after the drought')
	np_until $((5 * NP_SLOW)) log_starved ||
		np_mismatch "accept() failed unreported" "a line 'Too many open files' in the log" "none"
	np_cpu_ms "$SERVER_PID"
	cpu=$NP_CPU_MS
	if within_ms 500 peer_done "$PEER_PID"; then
		np_mismatch "served with no descriptor to spare?" "no reply yet" "'$(cat "$client")'"
	fi
	np_cpu_ms "$SERVER_PID"
	lines=$(grep -c 'Too many open files' "$SERVER_LOG")
	((NP_CPU_MS - cpu < 150)) ||
		np_mismatch "a busy loop while accept() fails" "a pause (< 150 ms of CPU in 0.5 s)" \
			"$((NP_CPU_MS - cpu)) ms of CPU in 0.5 s"
	((lines == 1)) ||
		np_mismatch "the log floods" "one line for the run of failures" "$lines lines"
	np_restore_fds "$SERVER_PID"
	np_until $((5 * NP_SLOW)) peer_done "$PEER_PID" || true
	[[ $(cat "$client") == 'after the drought' ]] ||
		np_mismatch "not served once descriptors were free" "'after the drought' back" \
			"'$(cat "$client")'"
}

@test "TODO(05.4) library: setup/handle/finish and handle_error (ss-check)" {
	ss_check 05.4
}

@test "TODO(05.2) TODO(05.3) library: verify_request refusing a client; accept() out of descriptors pauses, reported once (ss-check)" {
	ss_check 05.3
}

@test "TODO(05.2) TODO(05.10) library: shutdown within the poll interval (ss-check)" {
	ss_check 05.10
}

@test "TODO(05.2) TODO(05.9) library: handle_request times out into handle_timeout; the program's stop ends its wait (ss-check)" {
	ss_check 05.9
}

@test "TODO(05.5) TODO(05.6) TODO(05.11) library: datagrams up to the largest, never cut; Unix sockets, a stale file replaced, a live one kept (ss-check)" {
	ss_check 05.5
	ss_check 05.6
}

@test "TODO(05.7) TODO(05.8) library: threads waited for unless daemon, children reaped, max_children without blocking (ss-check)" {
	ss_check 05.7
	ss_check 05.8
}

@test "TODO(05.1) library: port 0 becomes the real port, IPv4 and IPv6; a class's address family (ss-check)" {
	ss_check 05.1
}

@test "usage: -h, a bad transport, mode or option" {
	local args
	np_run echo-server -h
	assert_success
	assert_output --partial 'usage: echo-server'
	assert_equal "$stderr" ''
	for args in '' '-t smtp' '-t tcp -m never' '-t tcp -x' '-t tcp -p 70000' '-t tcp extra'; do
		# shellcheck disable=SC2086
		np_run echo-server $args
		assert_failure 2
		[[ $stderr == *'usage: echo-server'* ]] || fail "echo-server $args: no usage on stderr: $stderr"
	done
}
