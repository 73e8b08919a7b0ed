#!/usr/bin/env bats
# Lesson 01 - hello-server. Each test names the TODO it checks first.

load lib/harness

setup() {
	np_setup
	NP_PORT_HINT=8089
	PAGE='<h1>Hello,World</h1>'
}

teardown() {
	np_teardown
}

teardown_file() {
	np_teardown_file
}

# A request head of exactly SIZE bytes, blank line included.
head_of_size() {
	# 40 bytes of request line and headers, the pad, 4 bytes "\r\n\r\n".
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: '
	head -c $(($1 - 44)) /dev/zero | tr '\0' a
	printf '\r\n\r\n'
}

@test "TODO(01.1) prints 'listening on 127.0.0.1:PORT' with the real port for -p 0" {
	start_server hello-server
	[[ $SERVER_ADDR == 127.0.0.1:* ]] ||
		np_mismatch "wrong ready line" "listening on 127.0.0.1:PORT" "listening on $SERVER_ADDR"
	peer_request -m 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
	expect_client_ok
}

@test "TODO(01.5) TODO(01.6) GET / answers 200 with Content-Type, Content-Length and the page (curl)" {
	start_server hello-server
	curl_request GET /
	expect_status 200 OK
	expect_header Content-Type 'text/html; charset=utf-8'
	expect_header Content-Length 20
	expect_header Connection close
	expect_body "$PAGE"
	expect_log '"GET / HTTP/1.1" 200'
}

@test "TODO(01.4) HEAD / answers the same head as GET and no body" {
	start_server hello-server
	peer_request -m 'HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n'
	expect_status 200 OK
	expect_header Content-Type 'text/html; charset=utf-8'
	expect_header Content-Length 20
	expect_body ''
	curl_request HEAD /
	expect_status 200 OK
}

@test "TODO(01.4) TODO(01.6) POST answers 405 with Allow: GET, HEAD, its body intact (not reset)" {
	start_server hello-server
	head -c 200000 /dev/zero >"$BATS_TEST_TMPDIR/upload"
	curl_request POST / --data-binary "@$BATS_TEST_TMPDIR/upload"
	expect_status 405 'Method Not Allowed'
	expect_header Allow 'GET, HEAD'
	expect_header Content-Length "$(wc -c <"$REPLY_BODY")"
	# curl reads only Content-Length bytes; np-peer reads to the close,
	# so a length that is wrong either way shows here.
	peer_request -H -m 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n'
	expect_status 405 'Method Not Allowed'
	expect_header Content-Length "$(wc -c <"$REPLY_BODY")"
}

@test "TODO(01.4) methods are case-sensitive: 'get' and DELETE answer 405" {
	start_server hello-server
	peer_request -m 'get / HTTP/1.1\r\n\r\n'
	expect_status 405 'Method Not Allowed'
	peer_request -m 'DELETE /x HTTP/1.1\r\n\r\n'
	expect_status 405 'Method Not Allowed'
}

@test "TODO(01.4) malformed request lines answer 400" {
	local bad
	start_server hello-server
	for bad in 'hello\r\n\r\n' 'GET /\r\n\r\n' 'GET  / HTTP/1.1\r\n\r\n' \
		'GET / HTTP/1.1 x\r\n\r\n' 'GET / HTTP/x.1\r\n\r\n' \
		'GET / http/1.1\r\n\r\n' ' GET / HTTP/1.1\r\n\r\n' \
		'G(T / HTTP/1.1\r\n\r\n' '\x16\x03\x01\x00\xa5\x01\r\n\r\n'; do
		peer_request -m "$bad"
		expect_status 400 'Bad Request'
	done
}

@test "TODO(01.4) an HTTP/2.0 or HTTP/0.9 request line answers 505" {
	start_server hello-server
	peer_request -m 'GET / HTTP/2.0\r\n\r\n'
	expect_status 505 'HTTP Version Not Supported'
	peer_request -m 'GET / HTTP/0.9\r\n\r\n'
	expect_status 505 'HTTP Version Not Supported'
	peer_request -m 'GET / HTTP/1.0\r\n\r\n'
	expect_status 200 OK
}

@test "TODO(01.3) a request dribbled one byte at a time is read whole" {
	start_server hello-server
	peer_request -c 1 -d 2 -m 'GET /a/b?c=d HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n'
	expect_status 200 OK
	expect_body "$PAGE"
	expect_log '"GET /a/b\?c=d HTTP/1.1" 200'
}

@test "TODO(01.3) a blank line split across two writes is found" {
	start_server hello-server
	# The pieces end at "...\r\n\r" and "\n": the search must span reads.
	peer_request -c 40 -d 30 -m 'GET / HTTP/1.1\r\nHost: localhost\r\nX: y\r\n\r\n'
	expect_status 200 OK
}

@test "TODO(01.3) EOF before the blank line answers 400" {
	start_server hello-server
	peer_request -H -m 'GET / HTTP/1.1\r\nHost: localhost\r\n'
	expect_status 400 'Bad Request'
	peer_request -H -m 'GET / HT'
	expect_status 400 'Bad Request'
}

@test "TODO(01.3) a head of exactly 8192 bytes is served; 8193 bytes answer 431" {
	start_server hello-server
	head_of_size 8192 >"$BATS_TEST_TMPDIR/req"
	peer_request <"$BATS_TEST_TMPDIR/req"
	expect_status 200 OK
	head_of_size 8193 >"$BATS_TEST_TMPDIR/req"
	peer_request <"$BATS_TEST_TMPDIR/req"
	expect_status 431 'Request Header Fields Too Large'
}

@test "TODO(01.3) a 100 KiB head (curl) answers 431, and the server goes on" {
	start_server hello-server
	curl_request GET / -H "X-Big: $(head -c 102400 /dev/zero | tr '\0' a)"
	expect_status 431 'Request Header Fields Too Large'
	curl_request GET /
	expect_status 200 OK
}

@test "TODO(01.3) a client that stalls mid-request gets 408 after -t seconds" {
	start_server hello-server -t 1
	peer_request -m 'GET / HTTP/1.1\r\n'
	expect_status 408 'Request Timeout'
	curl_request GET /
	expect_status 200 OK
}

@test "TODO(01.2) a client that resets mid-request does not stop the server" {
	start_server hello-server
	peer_request -R -m 'GET / HTTP/1.1\r\nHost: lo'
	peer_request -R -S 50 -m 'GET / HTTP/1.1\r\n\r\n'
	curl_request GET /
	expect_status 200 OK
	expect_body "$PAGE"
}

@test "TODO(01.2) 300 requests in a row all answer 200 and leak no file descriptor" {
	local before after codes
	start_server hello-server
	curl_request GET /
	expect_status 200 OK
	before=$(fd_count "$SERVER_PID")
	codes=$(curl -sS --max-time $((30 * NP_SLOW)) -o /dev/null -w '%{http_code}\n' \
		"http://$SERVER_HOST:$SERVER_PORT/[1-300]" | sort | uniq -c | tr -s ' ')
	after=$(fd_count_settled "$SERVER_PID" "$before")
	NP_SENT="300 x GET /N HTTP/1.1, one after another (curl)"
	NP_REPRO=(curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:8089/[1-300]")
	[[ $codes == " 300 200" ]] ||
		np_mismatch "not every request got 200" "300 x 200" "counts and codes: $codes"
	[[ $after == "$before" ]] ||
		np_mismatch "the server leaks file descriptors (see ls -l /proc/PID/fd)" \
			"$before open fds after 300 requests, as before" "$after open fds"
}

@test "TODO(01.2) SIGTERM ends the server with exit status 0 and frees the port" {
	start_server hello-server
	curl_request GET /
	expect_status 200 OK
	stop_server TERM
	[[ $SERVER_STATUS == 0 ]] ||
		np_mismatch "SIGTERM did not end the server cleanly" "exit status 0" "$(np_explain_status "$SERVER_STATUS")"
	run "$NP_PEER" -p "$SERVER_PORT" -w 2 -m 'GET / HTTP/1.1\r\n\r\n'
	assert_failure 1
}

@test "TODO(01.2) SIGINT (Ctrl-C) ends an idle server with exit status 0" {
	start_server hello-server
	stop_server INT
	[[ $SERVER_STATUS == 0 ]] ||
		np_mismatch "SIGINT did not end the server cleanly" "exit status 0" "$(np_explain_status "$SERVER_STATUS")"
}

@test "TODO(01.1) restarts at once on the same port after serving (SO_REUSEADDR)" {
	local port
	start_server hello-server
	curl_request GET /
	expect_status 200 OK
	port=$SERVER_PORT
	stop_server
	[[ $SERVER_STATUS == 0 ]]
	# The server closed first, so its side of that connection is now in
	# TIME_WAIT: without SO_REUSEADDR, bind() fails with EADDRINUSE.
	start_server_on_port "$port" hello-server
	curl_request GET /
	expect_status 200 OK
}

@test "TODO(01.1) listens on [::1] with -a ::1 (or says why it cannot)" {
	if grep -qs '^0\{31\}1 ' /proc/net/if_inet6; then
		start_server hello-server -a ::1
		[[ $SERVER_ADDR == "[::1]:$SERVER_PORT" ]] ||
			np_mismatch "wrong ready line for IPv6" "listening on [::1]:PORT" "listening on $SERVER_ADDR"
		curl_request GET /
		expect_status 200 OK
		expect_body "$PAGE"
	else
		# No IPv6 on this machine: a clear error and exit 1, no crash.
		np_run hello-server -a ::1 -p 0
		assert_failure 1
		[[ $stderr == hello-server:*::1* ]]
	fi
}

@test "TODO(01.1) -a localhost is refused: a name is not an address (exit 1, gai_errno()'s reason)" {
	np_run hello-server -a localhost -p 0
	[[ $output != listening* ]] ||
		fail "hello-server -a localhost started ($output): -a takes a numeric address only (AI_NUMERICHOST), never a name to look up"
	assert_failure 1
	[[ $stderr == *'listen on localhost port 0: Cannot assign requested address'* ]] ||
		fail "expected on stderr: 'hello-server: listen on localhost port 0: Cannot assign requested address' (open_listener() returns -1 with errno = gai_errno(rc): EAI_NONAME is EADDRNOTAVAIL); stderr was: $stderr"
}

@test "usage: -h prints the usage on stdout and exits 0" {
	np_run hello-server -h
	assert_success
	assert_output --partial 'usage: hello-server'
	assert_equal "$stderr" ''
}

@test "usage: a bad option, port or argument prints the usage on stderr and exits 2" {
	local args
	for args in '-x' '-p 70000' '-p http' '-t 0' 'extra'; do
		# shellcheck disable=SC2086
		np_run hello-server $args
		assert_failure 2
		assert_output ''
		[[ $stderr == *'usage: hello-server'* ]] ||
			fail "hello-server $args: no usage on stderr; stderr was: $stderr"
	done
}
