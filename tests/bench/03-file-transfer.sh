#!/usr/bin/env bash
# tests/bench/03-file-transfer.sh SOLUTIONS_BIN RAWPAIR - lesson 03's
# benchmark: MB/s of a 1 GiB put and get on loopback, files on tmpfs,
# median of 5 runs, against the raw C pair (same file I/O, no protocol)
# and, where python3 exists, the note's transfer corrected, at 64 KiB and
# at the note's 1 KiB chunks. It prints; it does not pass or fail.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bin=$1
raw=$2
size=${BENCH_SIZE:-1073741824}
runs=${BENCH_RUNS:-5}
base=/dev/shm
[[ -d $base && -w $base ]] || base=${TMPDIR:-/tmp}
dir=$(mktemp -d "$base/netprog-bench.XXXXXX")
trap 'bench_cleanup; rm -rf "$dir"' EXIT

mbps() { awk -v b="$size" -v ns="$1" 'BEGIN { printf "%.0f", b / (ns / 1e9) / 1e6 }'; }

# time_pair RECV_CMD... -- SEND_CMD...: time one transfer through a
# one-shot receiver (PORT in SEND_CMD becomes its port); sets BENCH_NS.
time_pair() {
	local recv=() send=() port t0 arg
	while [[ $1 != -- ]]; do recv+=("$1"); shift; done
	shift
	# Freeing the last run's 1 GiB is not part of this run.
	rm -f "$dir/raw-out" "$dir/py-out"
	bench_start "$dir/recv.log" "${recv[@]}"
	for arg in "$@"; do send+=("${arg/PORT/$BENCH_PORT}"); done
	t0=$(now_ns)
	"${send[@]}"
	wait "$BENCH_LAST"
	BENCH_NS=$(($(now_ns) - t0))
}

head -c "$size" /dev/urandom >"$dir/src"
printf 'lesson 03 benchmark: %d MiB over loopback, files on %s, median of %d runs\n' \
	$((size >> 20)) "$base" "$runs"
printf 'machine: %s\n\n' "$(bench_machine)"

raw_once() { time_pair "$raw" recv "$dir/raw-out" -- "$raw" send "$dir/src" PORT; }
bench_start "$dir/server.log" "$bin/fileserver" -p 0 -d "$dir/store" -t 60
port=$BENCH_PORT
put_once() {
	local t0
	rm -f "$dir/store/src"
	t0=$(now_ns)
	"$bin/filecli" -p "$port" put "$dir/src" >/dev/null
	BENCH_NS=$(($(now_ns) - t0))
}
get_once() {
	local t0
	rm -f "$dir/get-out"
	t0=$(now_ns)
	"$bin/filecli" -p "$port" get src "$dir/get-out" >/dev/null
	BENCH_NS=$(($(now_ns) - t0))
}
py64_once() { time_pair python3 "$here/note_transfer.py" recv "$dir/py-out" 65536 -- \
	python3 "$here/note_transfer.py" send "$dir/src" PORT 65536; }
py1k_once() { time_pair python3 "$here/note_transfer.py" recv "$dir/py-out" 1024 -- \
	python3 "$here/note_transfer.py" send "$dir/src" PORT 1024; }

rows=("raw C pair, 256 KiB buffers|raw" "filecli put|put" "filecli get|get")
if command -v python3 >/dev/null; then
	rows+=("Python, corrected note, 64 KiB|py64" "Python, the note's 1 KiB chunks|py1k")
else
	echo "(python3 not found: the Python baselines are left out)"
fi

# Round robin: run i of every transfer before run i+1 of any, so a drift
# in the machine's speed spreads over all of them alike.
declare -A times result
for ((i = 0; i < runs; i++)); do
	for row in "${rows[@]}"; do
		key=${row#*|}
		"${key}_once"
		times[$key]+="$BENCH_NS "
	done
done
for row in "${rows[@]}"; do
	key=${row#*|}
	# shellcheck disable=SC2086
	result[$key]=$(mbps "$(median ${times[$key]})")
done

printf '| %-34s | %7s | %8s |\n' "transfer" "MB/s" "vs raw C"
printf '|%s|%s|%s|\n' "------------------------------------" "---------" "----------"
for row in "${rows[@]}"; do
	key=${row#*|}
	printf '| %-34s | %7s | %8s |\n' "${row%|*}" "${result[$key]}" \
		"$(awk -v a="${result[$key]}" -v b="${result[raw]}" 'BEGIN { printf "%.2f", a / b }')"
done
if [[ -n ${result[py1k]:-} ]]; then
	printf '\nput is %s x the note'"'"'s 1 KiB chunks; get is %s x.\n' \
		"$(awk -v a="${result[put]}" -v b="${result[py1k]}" 'BEGIN { printf "%.1f", a / b }')" \
		"$(awk -v a="${result[get]}" -v b="${result[py1k]}" 'BEGIN { printf "%.1f", a / b }')"
fi
