#!/usr/bin/env bats
# Lesson 02 - client. Each test names the TODO it checks first. The servers
# are build/tests/np-serve (see np-serve -h), which misbehaves on purpose
# or, in its request mode, answers an HTTP request as lesson 01's does.

load lib/harness

setup() {
	np_setup
	NP_PORT_HINT=8089
}

teardown() {
	np_teardown
}

teardown_file() {
	np_teardown_file
}

# with_hosts FILE: make the programs run next see FILE as /etc/hosts
# (nss_wrapper), so a test name can have several addresses.
with_hosts() {
	export LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_HOSTS=$1
	export ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0
}

have_ipv6() {
	grep -qs '^0\{31\}1 ' /proc/net/if_inet6
}

@test "TODO(02.1) TODO(02.4) an echo server sends the message back, byte for byte" {
	start_test_server echo
	NP_SENT="'hello, world' to np-serve echo"
	run_program client -p "$SERVER_PORT" 'hello, world'
	expect_exit 0
	expect_stdout 'hello, world'
}

@test "TODO(02.1) TODO(02.4) with no MESSAGE the client sends hello" {
	start_test_server echo
	NP_SENT="nothing given: the default message"
	run_program client -p "$SERVER_PORT"
	expect_exit 0
	expect_stdout 'hello'
}

@test "TODO(02.3) the client half-closes: a server that answers after EOF answers" {
	start_test_server after-eof
	NP_SENT="'abcdef' to np-serve after-eof (it answers only once it reads EOF)"
	run_program client -p "$SERVER_PORT" -w 3 abcdef
	expect_exit 0
	expect_stdout $'received 6 bytes\n'
}

@test "TODO(02.2) TODO(02.5) '-' streams 8 MiB of stdin through an echo server intact" {
	head -c 8388608 /dev/urandom >"$BATS_TEST_TMPDIR/input"
	start_test_server echo
	NP_SENT="8 MiB of random bytes on stdin to np-serve echo (it echoes while you send)"
	NP_REPRO_STDIN=an-8MiB-file
	run_program client -p "$SERVER_PORT" - <"$BATS_TEST_TMPDIR/input"
	[[ $PROG_STATUS != 124 ]] ||
		np_mismatch "the client hung: sending everything before reading deadlocks with an echo server (both sides blocked in send())" \
			"exit status 0 and the 8 MiB back" "$(np_explain_exit 124)"
	expect_exit 0
	expect_stdout_file "$BATS_TEST_TMPDIR/input"
}

@test "TODO(02.5) the reply is printed while stdin is still open" {
	local fifo=$BATS_TEST_TMPDIR/stdin
	start_test_server dribble 'ready\n'
	# The test holds the write end of stdin open and never writes: a
	# client that reads all of stdin before it reads the socket waits
	# forever; one that polls both prints the reply and stops when the
	# server closes.
	mkfifo "$fifo"
	exec 7<>"$fifo"
	NP_SENT="nothing: stdin stays open; np-serve dribble sends 'ready\\n' and closes"
	NP_PROG_LIMIT_BASE=5 run_program client -p "$SERVER_PORT" - <"$fifo"
	exec 7>&-
	expect_exit 0
	expect_stdout $'ready\n'
}

@test "TODO(02.3) TODO(02.5) '-' with empty stdin half-closes at once" {
	start_test_server after-eof
	NP_SENT="empty stdin to np-serve after-eof"
	NP_REPRO_STDIN=/dev/null
	run_program client -p "$SERVER_PORT" -w 3 - </dev/null
	expect_exit 0
	expect_stdout $'received 0 bytes\n'
}

@test "TODO(02.4) a reply dribbled one byte at a time arrives whole" {
	local reply=$'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
	start_test_server dribble 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
	NP_SENT="hello to np-serve dribble (it answers one byte per millisecond)"
	run_program client -p "$SERVER_PORT"
	expect_exit 0
	expect_stdout "$reply"
}

@test "TODO(02.1) a refused port: exit 1, the address named on stderr, nothing on stdout" {
	local port
	start_test_server echo
	port=$SERVER_PORT
	stop_server
	NP_SENT="hello to 127.0.0.1:$port, where nothing listens any more"
	run_program client -a 127.0.0.1 -p "$port"
	expect_exit 1
	expect_stdout ''
	expect_stderr_match "127\.0\.0\.1:$port.*(refused|Connection refused)"
}

@test "TODO(02.1) a name that does not resolve: exit 1, the resolver's reason on stderr" {
	# Two dots in a row: not a valid domain name, so the C library's
	# resolver refuses it without asking DNS. (nss_wrapper would pass a
	# name its file lacks on to DNS, and cannot run under ASan then.)
	start_test_server echo
	NP_SENT="hello to nosuch..invalid, a name that cannot resolve (np-serve echo listens on 127.0.0.1)"
	run_program client -a nosuch..invalid -p "$SERVER_PORT"
	expect_exit 1
	expect_stdout ''
	grep -qE 'not known|No address associated|does not resolve|[Nn]on-recoverable' "$PROG_ERR" ||
		np_mismatch "stderr does not give the resolver's reason (getaddrinfo() sets no errno: gai_strerror() words its code)" \
			"a line such as 'client: nosuch..invalid port $NP_PORT_HINT: Name or service not known'" \
			"$(head -n 3 "$PROG_ERR" | tr '\n' ' ')"
}

@test "TODO(02.5) a silent server with -w 1: exit 1 after about a second" {
	start_test_server silent
	NP_SENT="hello to np-serve silent (it never answers, never closes)"
	run_program client -p "$SERVER_PORT" -w 1
	expect_exit 1
	expect_stdout ''
	expect_stderr_match 'no data|timed out'
	((PROG_MS >= 900 && PROG_MS < 8000 * NP_SLOW)) ||
		np_mismatch "-w 1 did not bound the wait" "exit after about 1 s" "exit after $PROG_MS ms"
}

@test "TODO(02.4) a server that resets mid-reply: exit 1 with a message" {
	start_test_server reset 'partial reply'
	NP_SENT="hello to np-serve reset (it sends 'partial reply', then RST)"
	run_program client -p "$SERVER_PORT"
	expect_exit 1
	expect_stderr_match '[Rr]eset'
}

@test "TODO(02.1) -a ::1 reaches a server on ::1 only (or says why it cannot)" {
	if have_ipv6; then
		start_test_server -a ::1 echo
		NP_SENT="'over IPv6' to np-serve echo on [::1] only"
		run_program client -a ::1 -p "$SERVER_PORT" 'over IPv6'
		expect_exit 0
		expect_stdout 'over IPv6'
	else
		start_test_server echo
		NP_SENT="hello to ::1, on a machine without IPv6"
		run_program client -a ::1 -p "$SERVER_PORT"
		expect_exit 1
		expect_stderr_match '::1'
	fi
}

@test "TODO(02.1) a name with several addresses is tried address by address" {
	local hosts=$BATS_TEST_TMPDIR/hosts where tried=0
	printf '127.0.0.1 np-multi\n127.0.0.2 np-multi\n' >"$hosts"
	if have_ipv6; then
		printf '::1 np-both\n127.0.0.1 np-both\n' >>"$hosts"
	fi
	with_hosts "$hosts"
	# Whatever order the resolver returns, one of the two servers sits on
	# the second address, so the client must go on after a refusal.
	for where in 127.0.0.1 127.0.0.2; do
		start_test_server -a "$where" echo
		NP_SENT="'to $where' to np-multi (127.0.0.1 and 127.0.0.2); the server listens on $where only"
		run_program client -a np-multi -p "$SERVER_PORT" "to $where"
		expect_exit 0
		expect_stdout "to $where"
		grep -q refused "$PROG_ERR" && tried=1
		stop_server
	done
	((tried)) || np_mismatch "no address was refused first: the test did not prove anything" \
		"one refusal reported on stderr" "none"
	if have_ipv6; then
		for where in ::1 127.0.0.1; do
			start_test_server -a "$where" echo
			NP_SENT="'to $where' to np-both (::1 and 127.0.0.1); the server listens on $where only"
			run_program client -a np-both -p "$SERVER_PORT" "to $where"
			expect_exit 0
			expect_stdout "to $where"
			stop_server
		done
	fi
}

@test "TODO(02.1) TODO(02.4) an HTTP request to a server that answers like lesson 01's prints the page" {
	start_test_server request 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 20\r\nConnection: close\r\n\r\n<h1>Hello,World</h1>'
	NP_SENT="GET / HTTP/1.1 with Host and a blank line, to np-serve request (it answers once the blank line is in, as lesson 01's server does)"
	run_program client -p "$SERVER_PORT" $'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
	expect_exit 0
	grep -q $'^HTTP/1.1 200 OK\r$' "$PROG_OUT" ||
		np_mismatch "no status line in the output" "HTTP/1.1 200 OK" "$(head -n 1 "$PROG_OUT" | cat -v)"
	[[ $(tail -c 20 "$PROG_OUT") == '<h1>Hello,World</h1>' ]] ||
		np_mismatch "the page is not at the end of the output" "<h1>Hello,World</h1>" "$(tail -c 40 "$PROG_OUT" | cat -v)"
}

@test "usage: client -h prints the usage on stdout and exits 0" {
	np_run client -h
	assert_success
	assert_output --partial 'usage: client'
	assert_equal "$stderr" ''
}

@test "usage: a bad option, port, wait or two messages: usage on stderr, exit 2" {
	local args
	for args in '-x' '-p 70000' '-p 0' '-p http' '-w 0' '-w x' 'one two'; do
		# shellcheck disable=SC2086
		np_run client $args
		assert_failure 2
		assert_output ''
		[[ $stderr == *'usage: client'* ]] ||
			fail "client $args: no usage on stderr; stderr was: $stderr"
	done
}
