# tests/bench/lib.sh - what the benchmarks share. Benchmarks measure and
# print; they never pass or fail on speed. Every server they start is
# stopped on exit, and every wait is bounded.

BENCH_PIDS=()

bench_cleanup() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# bench_alive PID: true while PID runs. A child of ours stays a zombie
# until waited for, and kill -0 counts a zombie as alive.
bench_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != [ZX] ]]
}

# bench_start LOG CMD...: start a server in the background and wait (at
# most 10 s) for its ready line. Sets BENCH_PORT and BENCH_LAST (its pid).
# Not in $(...): the server must be this shell's child.
bench_start() {
	local log=$1 tries=500
	shift
	: >"$log"
	"$@" >"$log" 2>&1 </dev/null &
	BENCH_PIDS+=($!)
	BENCH_LAST=$!
	until grep -q '^listening on ' "$log"; do
		if ((tries-- == 0)) || ! bench_alive "$BENCH_LAST"; then
			echo "bench: $* did not start:" >&2
			cat "$log" >&2
			return 1
		fi
		sleep 0.02
	done
	BENCH_PORT=$(sed -n 's/^listening on .*://p' "$log" | head -n 1)
}

# now_ns: a monotonic-enough clock in nanoseconds.
now_ns() {
	date +%s%N
}

# median N...: the median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_machine: one line about the machine the figures come from.
bench_machine() {
	printf '%s, %s cores, %s GiB, Linux %s' \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		"$(nproc)" "$(awk '/^MemTotal/ { printf "%d", $2 / 1048576 + 0.5 }' /proc/meminfo)" \
		"$(uname -r)"
}
