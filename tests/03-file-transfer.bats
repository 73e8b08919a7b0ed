#!/usr/bin/env bats
# Lesson 03 - fileserver and filecli. Each test names the TODO it checks
# first. Raw frames (hostile names, bad headers, dribbled or broken uploads)
# are sent with np-peer; real transfers use filecli.

load lib/harness

setup() {
	np_setup
	NP_PORT_HINT=8090
	STORE=$BATS_TEST_TMPDIR/store
	WORK=$BATS_TEST_TMPDIR/work
	np_mkdir "$WORK"
}

teardown() {
	np_teardown
}

teardown_file() {
	np_teardown_file
}

# be32 N: N as 4 bytes, big-endian.
be32() {
	local bytes
	printf -v bytes '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255))
	printf "$bytes"
}

# frame JSON: a whole frame (length, then the JSON bytes as given).
frame() {
	local LC_ALL=C
	be32 "${#1}"
	printf '%s' "$1"
}

# reply_json: REPLY_JSON, the JSON of the reply frame in $REPLY_FILE (as
# many bytes as its length says), REPLY_LEN that length, and REPLY_EXACT
# set when exactly that many bytes, none of them NUL, follow the length.
reply_json() {
	local LC_ALL=C b=() rest nul=
	read -ra b < <(od -An -tu1 -N4 "$REPLY_FILE")
	# read stops at a NUL and then succeeds: JSON text has none.
	IFS= read -r -d '' rest < <(tail -c +5 "$REPLY_FILE") && nul=1
	REPLY_LEN=-1
	((${#b[@]} == 4)) && REPLY_LEN=$((b[0] * 16777216 + b[1] * 65536 + b[2] * 256 + b[3]))
	REPLY_JSON=${rest:0:REPLY_LEN < 0 ? 0 : REPLY_LEN}
	REPLY_EXACT=
	[[ -z $nul ]] && ((REPLY_LEN == ${#rest})) && REPLY_EXACT=1
	return 0
}

# expect_error_reply REGEX: the reply is one frame {"status":"error",...}
# (its big-endian length counting exactly the JSON that follows) whose
# message matches REGEX.
expect_error_reply() {
	local json
	reply_json
	json=$REPLY_JSON
	[[ -n $REPLY_EXACT ]] ||
		np_mismatch "the reply's 4-byte length does not match its JSON (big-endian?)" \
			"4 + ${#json} bytes" "$(wc -c <"$REPLY_FILE") bytes: $(od -An -tx1 -N4 "$REPLY_FILE")"
	[[ $json == *'"status":"error"'* ]] ||
		np_mismatch "no error reply" '{"status":"error","message":...}' "${json:-(no frame)}"
	[[ $json =~ \"message\":\".*($1) ]] ||
		np_mismatch "the error message does not say what is wrong" "a message matching /$1/" "$json"
}

# random_file PATH SIZE
random_file() {
	head -c "$2" /dev/urandom >"$1"
}

# temp_of_4mib: the store holds a temporary upload file of 4 MiB or more.
temp_of_4mib() {
	[[ -n $(find "$STORE" -name '.upload-*' -size +4095k) ]]
}

# no_temp: the store holds no temporary upload file.
no_temp() {
	[[ -z $(find "$STORE" -name '.upload-*') ]]
}

# store_is_clean: no temporary file is left in the store.
expect_no_temp() {
	local left
	left=$(find "$STORE" -name '.upload-*' | head -n 3)
	[[ -z $left ]] ||
		np_mismatch "a temporary upload file was left in the store" "none" "$left"
}

# expect_store_has NAME FILE: the store holds NAME with FILE's bytes.
expect_store_has() {
	cmp -s "$STORE/$1" "$2" ||
		np_mismatch "the store does not hold '$1' as sent" \
			"$(wc -c <"$2") bytes equal to ${2##*/}" \
			"$( [[ -e $STORE/$1 ]] && wc -c <"$STORE/$1" || echo 'no such file') "
}


# or_gone PID CMD...: CMD succeeds, or PID has exited (waiting for CMD
# any longer is no use).
or_gone() {
	local pid=$1
	shift
	"$@" || np_gone "$pid"
}

# expect_accepted BASE WHO: the server accepted the client just started
# (it holds more descriptors than the BASE it held before).
expect_accepted() {
	np_until $((5 * NP_SLOW)) or_gone "$SERVER_PID" fd_above "$SERVER_PID" "$1" || true
	fd_above "$SERVER_PID" "$1" ||
		np_mismatch "the server did not accept $2" "a new descriptor within $((5 * NP_SLOW)) s" \
			"$(fd_count "$SERVER_PID") descriptors, $1 before"
}

# bg_peer FILE [NP-PEER OPTION...]: np-peer sends FILE in the background
# (NP_BG), its reply in $WORK/bg.reply; killed in teardown if still there.
bg_peer() {
	local in=$1
	shift
	"$NP_PEER" -a "$SERVER_IP" -p "$SERVER_PORT" "$@" <"$in" \
		>"$WORK/bg.reply" 2>"$WORK/bg.err" 3>&- &
	NP_BG=$!
	np_track "$NP_BG"
}

# wrote_at_least PID BYTES: PID has written BYTES or more (/proc/PID/io).
wrote_at_least() {
	local line
	[[ -r /proc/$1/io ]] || return 1
	while IFS= read -r line; do
		[[ $line == wchar:* ]] && ((${line#wchar: } >= $2)) && return 0
	done <"/proc/$1/io"
	return 1
}

# has_part DIR: DIR holds a partial download of filecli (OUT.partXXXXXX).
has_part() {
	local f=("$1"/*.part*)
	[[ -e ${f[0]} ]]
}

# part_stalled DIR: the partial download in DIR has the same size as at
# the last look (PART_SIZE), three looks in a row: filecli is waiting.
part_stalled() {
	local f=("$1"/*.part*) size
	size=$(stat -c %s "${f[0]}" 2>/dev/null) || return 1
	if [[ $size == "${PART_SIZE%%:*}" ]]; then
		PART_SIZE=$size:$((${PART_SIZE#*:} + 1))
	else
		PART_SIZE=$size:0
	fi
	((${PART_SIZE#*:} >= 3))
}

# expect_valid_reply: the reply's frame is JSON that json_parse() accepts:
# valid JSON, valid UTF-8 (tests/json-check.c --frame).
expect_valid_reply() {
	local why
	why=$("$NP_ROOT/build/tests/json-check" --frame "$REPLY_FILE" 2>&1) ||
		np_mismatch "the reply is not valid JSON and UTF-8" "a frame json_parse() accepts" "$why"
}

# expect_utf8 FILE WHAT: all of FILE is valid UTF-8.
expect_utf8() {
	local why
	why=$("$NP_ROOT/build/tests/json-check" --utf8 "$1" 2>&1) ||
		np_mismatch "$2 is not valid UTF-8 (a character cut in two?)" "valid UTF-8" "$why: $(cat -v "$1" | head -c 600)"
}

# -a the server's own address: where localhost also means ::1, the
# default would first report a refused [::1] on stderr.
put_file() {
	NP_SENT="filecli put ${1##*/} ${2:-}"
	run_program filecli -a "$SERVER_IP" -p "$SERVER_PORT" put "$@"
}

get_file() {
	NP_SENT="filecli get $*"
	run_program filecli -a "$SERVER_IP" -p "$SERVER_PORT" get "$@"
}

@test "TODO(03.3) TODO(03.4) TODO(03.6) TODO(03.8) put then get: sizes 0, 1 and around 64 KiB, byte for byte" {
	local size
	start_server fileserver -d "$STORE"
	for size in 0 1 2 65535 65536 65537; do
		random_file "$WORK/f$size" "$size"
		put_file "$WORK/f$size"
		expect_exit 0
		expect_store_has "f$size" "$WORK/f$size"
		get_file "f$size" "$WORK/back$size"
		expect_exit 0
		expect_stdout ''
		cmp -s "$WORK/f$size" "$WORK/back$size" ||
			np_mismatch "get returned other bytes" "the $size bytes sent" "$(wc -c <"$WORK/back$size") bytes"
	done
	expect_no_temp
}

@test "TODO(03.1) TODO(03.2) TODO(03.7) TODO(03.9) put then get: 256 KiB boundaries and 5 MiB, byte for byte" {
	local size
	start_server fileserver -d "$STORE"
	for size in 262143 262144 262145 5242887; do
		random_file "$WORK/g$size" "$size"
		put_file "$WORK/g$size" "copy-$size"
		expect_exit 0
		expect_store_has "copy-$size" "$WORK/g$size"
		get_file "copy-$size" -
		expect_exit 0
		expect_stdout_file "$WORK/g$size"
	done
}

@test "TODO(03.7) TODO(03.9) TODO(03.10) get of a missing file: exit 1 with the server's message, no file written" {
	start_server fileserver -d "$STORE"
	get_file nothing-here "$WORK/out"
	expect_exit 1
	expect_stderr_match 'no such file'
	[[ ! -e $WORK/out ]] || np_mismatch "get wrote a file for a failed request" "no $WORK/out" "it exists"
	[[ -z $(ls -A "$WORK") ]] || np_mismatch "get left a temporary file" "an empty folder" "$(ls -A "$WORK")"
}

@test "TODO(03.1) TODO(03.4) a header and payload dribbled in tiny writes are read whole" {
	start_server fileserver -d "$STORE"
	{ frame '{"action":"put","filename":"slow.txt","filesize":11}'; printf 'hello world'; } >"$WORK/req"
	peer_request -c 3 -d 1 <"$WORK/req"
	expect_client_ok
	reply_json
	[[ $REPLY_JSON == *'"status":"ok"'* ]] ||
		np_mismatch "no ok reply" '{"status":"ok",...}' "$REPLY_JSON"
	printf 'hello world' >"$WORK/expected"
	expect_store_has slow.txt "$WORK/expected"
}

@test "TODO(03.5) hostile names are refused, nothing written outside the store" {
	local name
	start_server fileserver -d "$STORE"
	touch "$BATS_TEST_TMPDIR/marker"
	# An absolute path inside this test's folder, never a real system file:
	# a server that trusted it must not be able to harm the machine.
	for name in '..' '.' '' 'a/b' "$BATS_TEST_TMPDIR/outside" '../escape' 'x\u0000y' \
		"$(head -c 256 /dev/zero | tr '\0' n)" '.upload-abc'; do
		frame "{\"action\":\"put\",\"filename\":\"$name\",\"filesize\":4}" >"$WORK/req"
		printf 'evil' >>"$WORK/req"
		peer_request <"$WORK/req"
		expect_error_reply 'name'
	done
	[[ -z $(find "$BATS_TEST_TMPDIR" -newer "$BATS_TEST_TMPDIR/marker" -type f \
		! -path "$STORE/*" ! -path "$WORK/*" ! -name '*.log' ! -name 'reply*' ! -name 'std*') ]] ||
		np_mismatch "a file appeared outside the store" "none" "$(find "$BATS_TEST_TMPDIR" -newer "$BATS_TEST_TMPDIR/marker" -type f)"
	[[ ! -e $BATS_TEST_TMPDIR/outside ]] ||
		np_mismatch "an absolute file name was written" "no $BATS_TEST_TMPDIR/outside" "it exists"
	[[ -z $(ls -A "$STORE") ]] || np_mismatch "the store is not empty" "nothing stored" "$(ls -A "$STORE")"
}

@test "TODO(03.4) TODO(03.5) bad headers each get an error reply, and the server goes on" {
	local json
	start_server fileserver -d "$STORE"
	be32 0 >"$WORK/req"
	peer_request <"$WORK/req"
	expect_error_reply 'length'
	{ be32 65537; head -c 65537 /dev/zero; } >"$WORK/req"
	peer_request <"$WORK/req"
	expect_error_reply 'length'
	for json in 'not json' '[1,2]' '"put"' '{"action":"put","filename":"a"' \
		'{"action":"put","filename":"a","filesize":4}x'; do
		frame "$json" >"$WORK/req"
		peer_request <"$WORK/req"
		expect_error_reply 'byte|expected|object'
	done
	for json in '{"filename":"a","filesize":1}' '{"action":"delete","filename":"a"}' \
		'{"action":1,"filename":"a"}' '{"action":"get"}' '{"action":"get","filename":7}'; do
		frame "$json" >"$WORK/req"
		peer_request <"$WORK/req"
		expect_error_reply 'action|filename'
	done
	for json in '{"action":"put","filename":"a"}' '{"action":"put","filename":"a","filesize":"12"}' \
		'{"action":"put","filename":"a","filesize":-1}' '{"action":"put","filename":"a","filesize":1.5}'; do
		frame "$json" >"$WORK/req"
		peer_request <"$WORK/req"
		expect_error_reply 'filesize|fraction'
	done
	random_file "$WORK/after" 1000
	put_file "$WORK/after"
	expect_exit 0
	expect_store_has after "$WORK/after"
	expect_no_temp
}

@test "TODO(03.6) a broken upload leaves no file, no temp, and the old file intact" {
	start_server fileserver -d "$STORE"
	printf 'old content\n' >"$WORK/keep"
	put_file "$WORK/keep"
	expect_exit 0
	{ frame '{"action":"put","filename":"keep","filesize":100000}'; head -c 5000 /dev/zero; } >"$WORK/req"
	peer_request -R -S 100 <"$WORK/req"
	{ frame '{"action":"put","filename":"new","filesize":100000}'; head -c 5000 /dev/zero; } >"$WORK/req"
	peer_request -H <"$WORK/req"
	expect_error_reply 'broken|closed'
	# One more request: it is served only after the broken ones are done.
	get_file keep -
	expect_exit 0
	expect_stdout $'old content\n'
	[[ ! -e $STORE/new ]] || np_mismatch "a broken upload became a file" "no file 'new'" "it exists"
	expect_no_temp
}

@test "TODO(03.6) a full disk (file size limit): error, nothing stored, the server goes on" {
	# A 1 MiB file size limit: writing past it is EFBIG (once the server
	# ignores SIGXFSZ, which would otherwise kill it).
	NP_LAUNCH=(bash -c 'ulimit -f 1024 && exec "$@"' np-launch)
	start_server fileserver -d "$STORE"
	random_file "$WORK/big" 3000000
	put_file "$WORK/big"
	expect_exit 1
	# The server's own error reply, not a connection that just broke.
	expect_stderr_match 'server says'
	[[ ! -e $STORE/big ]] || np_mismatch "a file that did not fit was stored" "no file 'big'" "it exists"
	expect_no_temp
	random_file "$WORK/small" 1000
	put_file "$WORK/small"
	expect_exit 0
	expect_store_has small "$WORK/small"
}

@test "TODO(03.6) UTF-8 names are stored and served" {
	local name
	start_server fileserver -d "$STORE"
	for name in '文件.txt' 'naïve café 😀.bin' 'with space'; do
		random_file "$WORK/u" 3000
		put_file "$WORK/u" "$name"
		expect_exit 0
		expect_store_has "$name" "$WORK/u"
		get_file "$name" -
		expect_exit 0
		expect_stdout_file "$WORK/u"
	done
}

@test "TODO(03.6) two clients uploading together (one waits its turn) both land intact" {
	local pid1 pid2 rc1=0 rc2=0
	start_server fileserver -d "$STORE"
	random_file "$WORK/one" 3000000
	random_file "$WORK/two" 3000000
	timeout 60 "${NP_AS[@]}" "$NP_BIN/filecli" -a "$SERVER_IP" -p "$SERVER_PORT" put "$WORK/one" 2>"$WORK/err1" 3>&- &
	pid1=$!
	np_track "$pid1"
	timeout 60 "${NP_AS[@]}" "$NP_BIN/filecli" -a "$SERVER_IP" -p "$SERVER_PORT" put "$WORK/two" 2>"$WORK/err2" 3>&- &
	pid2=$!
	np_track "$pid2"
	wait "$pid1" || rc1=$?
	wait "$pid2" || rc2=$?
	NP_SENT="two filecli put at once (3 MB each)"
	[[ $rc1 == 0 && $rc2 == 0 ]] ||
		np_mismatch "a concurrent upload failed" "both exit 0" "exit $rc1 ($(cat "$WORK/err1")) and $rc2 ($(cat "$WORK/err2"))"
	expect_store_has one "$WORK/one"
	expect_store_has two "$WORK/two"
	expect_no_temp
}

@test "TODO(03.6) a header claiming 4 GiB streams to disk: the server's memory does not grow" {
	local rss_before rss_after
	start_server fileserver -d "$STORE"
	rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status")
	{ frame '{"action":"put","filename":"huge","filesize":4294967296}'; head -c 4194304 /dev/zero; } >"$WORK/req"
	"$NP_PEER" -p "$SERVER_PORT" -S 20000 -w 30 <"$WORK/req" >/dev/null 2>&1 3>&- &
	NP_BG=$!
	np_track "$NP_BG"
	# The 4 MiB sent must reach the temporary file, not the heap.
	np_until $((5 * NP_SLOW)) or_gone "$SERVER_PID" temp_of_4mib || true
	temp_of_4mib ||
		np_mismatch "the upload did not reach a temporary file in the store" \
			"a .upload-* file of 4 MiB" "$(ls -la "$STORE")"
	rss_after=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status")
	kill "$NP_BG" 2>/dev/null || true
	wait "$NP_BG" 2>/dev/null || true
	NP_SENT="a put header claiming 4294967296 bytes, then 4 MiB, then silence"
	((rss_after - rss_before < 3072)) ||
		np_mismatch "the server's memory grew with the upload" "less than 3 MiB more (it streams)" \
			"VmRSS $rss_before kB before, $rss_after kB after"
	# The peer is gone: the upload is broken, its temporary file removed.
	np_until $((5 * NP_SLOW)) no_temp || expect_no_temp
}

@test "TODO(03.8) a progress bar on a terminal, none otherwise" {
	start_server fileserver -d "$STORE"
	random_file "$WORK/p" 1000000
	NP_SENT="filecli put p, with stderr on a terminal (script)"
	timeout -k 5 $((20 * NP_SLOW)) script -qec "${NP_AS[*]} '$NP_BIN/filecli' -a $SERVER_IP -p $SERVER_PORT put '$WORK/p'" /dev/null >"$WORK/tty" 2>&1 </dev/null 3>&-
	grep -q '100%' "$WORK/tty" ||
		np_mismatch "no progress bar on a terminal" "a line ending at 100%" "$(cat -v "$WORK/tty" | head -c 300)"
	put_file "$WORK/p"
	expect_exit 0
	[[ ! -s $PROG_ERR ]] || np_mismatch "progress output although stderr is not a terminal" "nothing on stderr" "$(cat -v "$PROG_ERR" | head -c 200)"
}

@test "TODO(03.1) TODO(03.4) a header dribbled past -t is cut off at -t: the client queued behind it is served right after" {
	local base took
	start_server fileserver -d "$STORE" -t 1
	base=$(fd_count "$SERVER_PID")
	# 56 bytes, one every 200 ms: 11 s. A limit per read (1 s) never fires.
	frame '{"action":"put","filename":"slow.txt","filesize":11}' >"$WORK/slow"
	bg_peer "$WORK/slow" -c 1 -d 200 -w 30
	expect_accepted "$base" "the dribbling client"
	np_clock
	took=$NP_MS
	be32 0 >"$WORK/req"
	peer_request <"$WORK/req"
	np_clock
	took=$((NP_MS - took))
	NP_SENT="a put header, 1 byte every 200 ms (11 s in all), from a client; then, from another, a header length of 0 (-t 1)"
	((took <= 4000 * NP_SLOW)) ||
		np_mismatch "the client queued behind a dribbler waited too long" \
			"its reply within $((4 * NP_SLOW)) s: -t (1 s) bounds the whole header, then the drain at most 1 s" "$took ms"
	expect_error_reply 'length'
	expect_log 'no whole request header within 1 s'
}

@test "TODO(03.6) a payload has an idle bound, not a deadline: a steady trickle longer than -t is stored, a stall longer than -t dropped" {
	local json piece
	start_server fileserver -d "$STORE" -t 1
	# The header in one piece, then 8 pieces of its size 150 ms apart:
	# 1.2 s in all, more than -t, but never 1 s without a byte.
	json='{"action":"put","filename":"trickle","filesize":000}'
	piece=$((4 + ${#json}))
	json="{\"action\":\"put\",\"filename\":\"trickle\",\"filesize\":$((8 * piece))}"
	((4 + ${#json} == piece)) || fail "test bug: the header is not $piece bytes"
	random_file "$WORK/trickle" $((8 * piece))
	{ frame "$json"; cat "$WORK/trickle"; } >"$WORK/req"
	peer_request -c "$piece" -d 150 <"$WORK/req"
	expect_client_ok
	reply_json
	[[ $REPLY_JSON == *'"status":"ok"'* ]] ||
		np_mismatch "an upload that never paused for -t was dropped" '{"status":"ok",...}' "$REPLY_JSON"
	expect_store_has trickle "$WORK/trickle"
	# 100 of 1000 bytes, then silence (the client waits for a reply).
	{ frame '{"action":"put","filename":"stalled","filesize":1000}'; head -c 100 /dev/zero; } >"$WORK/req"
	peer_request <"$WORK/req"
	expect_error_reply 'upload broken after 100 of 1000 bytes: .*timed out'
	[[ ! -e $STORE/stalled ]] || np_mismatch "a stalled upload became a file" "no file 'stalled'" "it exists"
	expect_no_temp
}

@test "TODO(03.1) SIGINT or SIGTERM stops fileserver within 1 s while a client is idle or dribbles its header" {
	local base
	start_server fileserver -d "$STORE" -t 30
	base=$(fd_count "$SERVER_PID")
	: >"$WORK/nothing"
	bg_peer "$WORK/nothing" -S 20000 -w 30
	expect_accepted "$base" "a client that sends nothing"
	stop_server_within 1000 "a client is connected and sends nothing (-t 30)" INT
	start_server fileserver -d "$STORE" -t 30
	base=$(fd_count "$SERVER_PID")
	frame '{"action":"get","filename":"slow"}' >"$WORK/slow"
	bg_peer "$WORK/slow" -c 1 -d 100 -w 30
	expect_accepted "$base" "a client that dribbles its header"
	stop_server_within 1000 "a client dribbles its header, a byte every 100 ms (-t 30)"
}

@test "TODO(03.6) SIGTERM in the middle of an upload at full speed: exit 0 within 1 s, no file, no temporary file" {
	local pid
	start_server fileserver -d "$STORE" -t 30
	truncate -s 1G "$WORK/huge"
	timeout -k 5 60 "${NP_AS[@]}" "$NP_BIN/filecli" -a "$SERVER_IP" -p "$SERVER_PORT" put "$WORK/huge" \
		>/dev/null 2>"$WORK/err" 3>&- &
	pid=$!
	np_track "$pid"
	np_until $((5 * NP_SLOW)) or_gone "$SERVER_PID" or_gone "$pid" temp_of_4mib || true
	NP_SENT="filecli put of a 1 GiB file, at full speed (filecli said: $(cat "$WORK/err"))"
	temp_of_4mib ||
		np_mismatch "the upload did not reach a temporary file in the store" \
			"a .upload-* file of 4 MiB" "$(ls -la "$STORE")"
	stop_server_within 1000 "a client uploads at full speed (-t 30)"
	[[ ! -e $STORE/huge ]] || np_mismatch "an upload cut by SIGTERM became a file" "no file 'huge'" "$(ls -la "$STORE")"
	expect_no_temp
}

@test "TODO(03.2) TODO(03.7) SIGTERM while a client does not read the file it asked for: exit 0 within 1 s" {
	np_mkdir "$STORE"
	truncate -s 64M "$STORE/big"
	start_server fileserver -d "$STORE" -t 30
	frame '{"action":"get","filename":"big"}' >"$WORK/req"
	bg_peer "$WORK/req" -S 30000 -w 30
	NP_SENT="a get of a 64 MiB file, then no read for 30 s"
	# The socket buffers take a few MiB: past 1 MiB the server is in the
	# middle of the file, and soon blocked in write().
	np_until $((5 * NP_SLOW)) or_gone "$SERVER_PID" wrote_at_least "$SERVER_PID" 1048576 || true
	wrote_at_least "$SERVER_PID" 1048576 ||
		np_mismatch "the server did not start sending the file" "1 MiB written" \
			"$(grep wchar "/proc/$SERVER_PID/io" 2>/dev/null || echo 'the server is gone')"
	stop_server_within 1000 "a client does not read the 64 MiB it asked for (-t 30)"
}

@test "fileserver: out of descriptors, accept() backs off (no busy loop, logged once) and serves the waiting client once they free" {
	local cpu lines
	start_server fileserver -d "$STORE"
	np_limit_fds "$SERVER_PID"
	be32 0 >"$WORK/req"
	bg_peer "$WORK/req" -w $((10 * NP_SLOW))
	NP_SENT="a header length of 0, while the server's RLIMIT_NOFILE (prlimit) leaves it no descriptor for accept()"
	np_until $((5 * NP_SLOW)) grep -q 'accept' "$SERVER_LOG" ||
		np_mismatch "accept() failing (EMFILE) was not logged" "a log line about accept" "see the log below"
	np_cpu_ms "$SERVER_PID"
	cpu=$NP_CPU_MS
	np_pause 0.5 # the window the CPU time is measured over
	np_cpu_ms "$SERVER_PID"
	cpu=$((NP_CPU_MS - cpu))
	lines=$(grep -c 'accept' "$SERVER_LOG")
	np_restore_fds "$SERVER_PID"
	((cpu <= 100 * NP_SLOW)) ||
		np_mismatch "the server spins while accept() fails" "at most $((100 * NP_SLOW)) ms of CPU in 0.5 s (a pause between tries)" "$cpu ms"
	((lines == 1)) ||
		np_mismatch "accept()'s failure was logged again and again" "one line" "$lines lines"
	np_wait_gone "$NP_BG" $((5 * NP_SLOW)) ||
		np_mismatch "the waiting client was not served once descriptors were free" "a reply within $((5 * NP_SLOW)) s" "none"
	REPLY_FILE=$WORK/bg.reply
	expect_error_reply 'length'
}

@test "TODO(03.10) a FIFO, a folder or a symbolic link in the store: an error reply at once, and the server goes on" {
	local case base
	np_mkdir "$STORE"
	mkdir "$STORE/folder"
	mkfifo "$STORE/fifo"
	printf 'secret\n' >"$BATS_TEST_TMPDIR/secret"
	ln -s "$BATS_TEST_TMPDIR/secret" "$STORE/link"
	printf 'hello\n' >"$STORE/plain"
	start_server fileserver -d "$STORE"
	base=$(fd_count "$SERVER_PID")
	for case in 'fifo:not a regular file: fifo' 'folder:not a regular file: folder' \
		'link:cannot open link'; do
		frame "{\"action\":\"get\",\"filename\":\"${case%%:*}\"}" >"$WORK/req"
		peer_request <"$WORK/req"
		expect_client_ok
		expect_error_reply "${case#*:}"
	done
	get_file plain -
	expect_exit 0
	expect_stdout $'hello\n'
	(($(fd_count_settled "$SERVER_PID" "$base") <= base)) ||
		np_mismatch "the server keeps descriptors open after refusing them" "$base descriptors" \
			"$(ls -l "/proc/$SERVER_PID/fd" | tail -n +2)"
}

@test "fileserver: an error reply that quotes a 250-byte non-ASCII name is valid JSON and valid UTF-8" {
	local LC_ALL=C c name
	start_server fileserver -d "$STORE"
	for c in é € 😀; do
		name=
		while ((${#name} + ${#c} <= 250)); do name+=$c; done
		while ((${#name} < 250)); do name=x$name; done
		frame "{\"action\":\"get\",\"filename\":\"$name\"}" >"$WORK/req"
		peer_request <"$WORK/req"
		expect_error_reply 'no such file'
		expect_valid_reply
		[[ $REPLY_JSON == *"no such file: $name\""* ]] ||
			np_mismatch "the error message does not hold the whole name" "no such file: $name" "$REPLY_JSON"
	done
}

@test "TODO(03.11) a file name with control characters cannot forge a line of the server's log" {
	local name want
	# JSON: a newline, a fake log line, a carriage return, ESC [2J (clear
	# the screen), and a backslash followed by n.
	name='x\nfileserver: 127.0.0.1:1 put evil: ok\r\u001b[2Jz\\n'
	want='x\nfileserver: 127.0.0.1:1 put evil: ok\r\x1b[2Jz\\n'
	start_server fileserver -d "$STORE"
	frame "{\"action\":\"get\",\"filename\":\"$name\"}" >"$WORK/req"
	peer_request <"$WORK/req"
	expect_error_reply 'no such file'
	NP_SENT="a get of the name \"$name\" (JSON)"
	! grep -q '^fileserver: 127\.0\.0\.1:1 ' "$SERVER_LOG" ||
		np_mismatch "the name forged a line of the log" "one line for the request" "$(cat -v "$SERVER_LOG")"
	! LC_ALL=C grep -q $'[\r\e]' "$SERVER_LOG" ||
		np_mismatch "a control character reached the log as it is" "\\r and ESC escaped" "$(cat -v "$SERVER_LOG")"
	grep -qF -- "get $want: no such file: $want" "$SERVER_LOG" ||
		np_mismatch "the log does not show the name escaped" "get $want: no such file: $want" "$(cat -v "$SERVER_LOG")"
}

@test "TODO(03.11) a long name of control bytes and UTF-8 is cut whole in the log: no half escape, no half character" {
	local units= i lead line
	# 62 times U+0001 and the euro sign: 248 bytes, 434 once escaped, too
	# long for the log line: cut where an escape begins, or, after 4
	# more bytes, where a euro sign does.
	for ((i = 0; i < 62; i++)); do units+='\u0001€'; done
	start_server fileserver -d "$STORE"
	for lead in '' abcd; do
		frame "{\"action\":\"get\",\"filename\":\"$lead$units\"}" >"$WORK/req"
		peer_request <"$WORK/req"
		expect_error_reply 'no such file'
		NP_SENT="a get of ${lead:+$lead and }62 times \\u0001€ (JSON)"
		line=$(grep -a " get $lead" "$SERVER_LOG" | tail -n 1)
		printf '%s\n' "$line" >"$WORK/line"
		! LC_ALL=C grep -q $'[\x01-\x1f\x7f]' "$WORK/line" ||
			np_mismatch "a control byte reached the log as it is" "\\x01 for each U+0001" "$(cat -v "$WORK/line")"
		expect_utf8 "$WORK/line" "the log line"
		line=${line//'\x01'/}
		[[ $line != *\\* ]] ||
			np_mismatch "the log line holds half an escape" "only whole \\x01 escapes" "$(cat "$WORK/line")"
	done
}

@test "TODO(03.11) filecli prints the server's message with control characters escaped" {
	local name=$'x\nfilecli: all went well\r\e[2Jz'
	start_server fileserver -d "$STORE"
	get_file "$name" "$WORK/out"
	expect_exit 1
	NP_SENT="filecli get of a name with a newline, a fake message, a carriage return and ESC [2J"
	(($(wc -l <"$PROG_ERR") == 1)) ||
		np_mismatch "the server's message spans several lines" "one line" "$(cat -v "$PROG_ERR")"
	! LC_ALL=C grep -q $'[\r\e]' "$PROG_ERR" ||
		np_mismatch "a control character reached the terminal as it is" "\\r and ESC escaped" "$(cat -v "$PROG_ERR")"
	expect_stderr_match 'no such file: x\\nfilecli: all went well\\r\\x1b\[2Jz'
}

@test "TODO(03.9) filecli: Ctrl-C or SIGTERM in the middle of a get removes the partial file and exits 1 at once" {
	local sig pid
	np_mkdir "$STORE"
	truncate -s 1G "$STORE/big"
	start_server fileserver -d "$STORE"
	for sig in INT TERM; do
		NP_SENT="filecli -w 30 get big OUT (1 GiB); the server stopped (SIGSTOP) once OUT.part* exists and stops growing; then SIG$sig to filecli"
		NP_REPRO=("${NP_BIN#"$NP_ROOT"/}/filecli" -p "$NP_PORT_HINT" -w 30 get big out)
		NP_SHOW=np_show_program
		np_clock
		PROG_MS=$NP_MS
		"${NP_WRAP[@]}" "$NP_BIN/filecli" -a "$SERVER_IP" -p "$SERVER_PORT" -w 30 get big "$WORK/out" \
			>"$PROG_OUT" 2>"$PROG_ERR" 3>&- &
		pid=$!
		np_track "$pid"
		np_until $((5 * NP_SLOW)) or_gone "$pid" has_part "$WORK" || true
		if ! has_part "$WORK"; then
			np_clock
			PROG_MS=$((NP_MS - PROG_MS))
			PROG_STATUS="(still running)"
			np_gone "$pid" && { wait "$pid" && PROG_STATUS=0 || PROG_STATUS=$?; }
			np_mismatch "filecli wrote no partial file" "$WORK/out.partXXXXXX" "$(ls -A "$WORK")"
		fi
		kill -STOP "$SERVER_PID"
		# What was on its way drains in milliseconds: then filecli waits.
		PART_SIZE=-1
		np_until $((5 * NP_SLOW)) part_stalled "$WORK" || true
		np_clock
		PROG_MS=$NP_MS
		kill -s "$sig" "$pid"
		np_wait_gone "$pid" $((5 * NP_SLOW)) || kill -KILL "$pid" 2>/dev/null || true
		np_clock
		PROG_MS=$((NP_MS - PROG_MS))
		kill -CONT "$SERVER_PID"
		PROG_STATUS=0
		wait "$pid" || PROG_STATUS=$?
		((PROG_MS <= 1000 * NP_SLOW)) ||
			np_mismatch "filecli did not stop at once" "gone within $((1000 * NP_SLOW)) ms of SIG$sig" "$PROG_MS ms"
		expect_exit 1
		expect_stderr_match 'interrupted'
		[[ -z $(ls -A "$WORK") ]] ||
			np_mismatch "filecli left its partial file" "an empty folder" "$(ls -A "$WORK")"
	done
}

@test "given: the JSON reader and writer pass their unit tests (tests/json-check.c)" {
	run timeout -k 5 $((60 * NP_SLOW)) "${NP_WRAP[@]}" "$NP_ROOT/build/tests/json-check"
	assert_success
	assert_line --regexp '^1\.\.[0-9]+$'
	refute_output --partial 'not ok'
}

@test "TODO(03.8) filecli: a missing local file or a refused port: exit 1 with a message" {
	start_server fileserver -d "$STORE"
	put_file "$WORK/does-not-exist"
	expect_exit 1
	expect_stderr_match 'does-not-exist'
	stop_server
	random_file "$WORK/x" 10
	put_file "$WORK/x"
	expect_exit 1
	expect_stderr_match 'refused'
}

@test "fileserver: creates the store, removes stale temporary files, exits 0 on SIGTERM" {
	np_mkdir "$STORE"
	# Left by an earlier run of the server: its user's file.
	"${NP_AS[@]}" bash -c 'printf half >"$1"' - "$STORE/.upload-stale1"
	start_server fileserver -d "$STORE/sub"
	[[ -d $STORE/sub ]] || np_mismatch "the store was not created" "a folder $STORE/sub" "none"
	stop_server
	[[ $SERVER_STATUS == 0 ]] || np_mismatch "SIGTERM" "exit status 0" "$(np_explain_status "$SERVER_STATUS")"
	start_server fileserver -d "$STORE"
	[[ ! -e $STORE/.upload-stale1 ]] || np_mismatch "a stale temporary file was kept" "it is removed at start" "it is still there"
}

@test "usage: -h and bad options for fileserver and filecli" {
	local args
	np_run fileserver -h
	assert_success
	assert_output --partial 'usage: fileserver'
	np_run filecli -h
	assert_success
	assert_output --partial 'usage: filecli'
	for args in '-x' '-p 70000' '-t 0' 'extra'; do
		# shellcheck disable=SC2086
		np_run fileserver $args
		assert_failure 2
		[[ $stderr == *'usage: fileserver'* ]] || fail "fileserver $args: no usage on stderr: $stderr"
	done
	for args in '' 'put' 'get' 'list x' 'put a b c' '-p 0 get x' '-w 0 get x'; do
		# shellcheck disable=SC2086
		np_run filecli $args
		assert_failure 2
		[[ $stderr == *'usage: filecli'* ]] || fail "filecli $args: no usage on stderr: $stderr"
	done
}
