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
	mkdir -p "$WORK"
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

@test "TODO(03.7) TODO(03.9) get of a missing file: exit 1 with the server's message, no file written" {
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
	timeout 60 "$NP_BIN/filecli" -a "$SERVER_IP" -p "$SERVER_PORT" put "$WORK/one" 2>"$WORK/err1" 3>&- &
	pid1=$!
	np_track "$pid1"
	timeout 60 "$NP_BIN/filecli" -a "$SERVER_IP" -p "$SERVER_PORT" put "$WORK/two" 2>"$WORK/err2" 3>&- &
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
	np_until $((5 * NP_SLOW)) temp_of_4mib ||
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
	timeout -k 5 $((20 * NP_SLOW)) script -qec "'$NP_BIN/filecli' -a $SERVER_IP -p $SERVER_PORT put '$WORK/p'" /dev/null >"$WORK/tty" 2>&1 </dev/null 3>&-
	grep -q '100%' "$WORK/tty" ||
		np_mismatch "no progress bar on a terminal" "a line ending at 100%" "$(cat -v "$WORK/tty" | head -c 300)"
	put_file "$WORK/p"
	expect_exit 0
	[[ ! -s $PROG_ERR ]] || np_mismatch "progress output although stderr is not a terminal" "nothing on stderr" "$(cat -v "$PROG_ERR" | head -c 200)"
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
	mkdir -p "$STORE"
	printf 'half' >"$STORE/.upload-stale1"
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
