#!/usr/bin/env bash
# tests/bench/04-concurrent-servers.sh SOLUTIONS_BIN - lesson 04's
# benchmark: loadgen against the four line-echo servers (single-server -e,
# thread-server, fork-server, poll-server) and, where python3 exists,
# socketserver.ThreadingTCPServer (threading_echo.py) at 1, 10 and 100
# connections of 64-byte lines: round trips/s, p50/p99 latency and the
# server's CPU time, medians of BENCH_RUNS runs taken round robin. Then
# what 1,000 idle connections cost each server in memory (PSS), and
# 10,000 on poll-server. It prints; it does not pass or fail on speed.
#
# Environment: BENCH_RUNS (default 3) runs per figure; BENCH_ROUNDS
# (default 100000; 20000 when BENCH_RUNS=1) round trips per loadgen run,
# shared by its connections; BENCH_IDLE (1000) and BENCH_MANY (10000;
# 1000 when BENCH_RUNS=1) idle connections for the memory figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bin=$1
runs=${BENCH_RUNS:-3}
smoke=0
((runs == 1)) && smoke=1
rounds=${BENCH_ROUNDS:-$((smoke ? 20000 : 100000))}
idle=${BENCH_IDLE:-1000}
many=${BENCH_MANY:-$((smoke ? 1000 : 10000))}
size=64
conn_counts=(1 10 100)
big=1000 # the extra throughput row for thread- and poll-server
hz=$(getconf CLK_TCK)
dir=$(mktemp -d "${TMPDIR:-/tmp}/netprog-bench.XXXXXX")
failed=0
trap 'bench_cleanup; rm -rf "$dir"' EXIT

# The servers: key|label.
servers=("single|single-server -e" "thread|thread-server" "fork|fork-server"
	"poll|poll-server")
have_py=0
if command -v python3 >/dev/null; then
	have_py=1
	servers+=("py|Python ThreadingTCPServer")
fi
declare -A label
for s in "${servers[@]}"; do label[${s%%|*}]=${s#*|}; done

# The concurrent servers' cap (-m): room for the most connections a run
# holds, whatever BENCH_IDLE and BENCH_MANY ask for.
max_clients=$big
((idle > max_clients)) && max_clients=$idle
((many > max_clients)) && max_clients=$many

# server_cmd KEY: set cmd to the command line of that server (port 0: a
# free one).
server_cmd() {
	case $1 in
	single) cmd=("$bin/single-server" -p 0 -e) ;;
	py) cmd=(python3 "$here/threading_echo.py" -p 0) ;;
	*) cmd=("$bin/$1-server" -p 0 -m "$max_clients") ;;
	esac
}

fail() {
	echo "bench: $*" >&2
	exit 1
}

# stop PID: SIGTERM, wait (at most 10 s) and forget it; a server that
# does not exit 0 is a failure, reported at the end.
stop() {
	local pid=$1 tries=500 rc=0 i
	kill -TERM "$pid" 2>/dev/null || true
	while bench_alive "$pid"; do
		if ((tries-- == 0)); then
			echo "bench: pid $pid ignored SIGTERM for 10 s: killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			failed=1
			break
		fi
		sleep 0.02
	done
	wait "$pid" || rc=$?
	if ((rc != 0)); then
		echo "bench: pid $pid exited with status $rc after SIGTERM" >&2
		failed=1
	fi
	for i in "${!BENCH_PIDS[@]}"; do
		[[ ${BENCH_PIDS[$i]} == "$pid" ]] && unset "BENCH_PIDS[$i]"
	done
	return 0
}

# cpu_ticks PID: utime+stime+cutime+cstime of the process, in clock ticks
# (fields 14-17 of /proc/PID/stat; the name in field 2 may hold spaces).
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}

# children PID: the pids of its child processes, one a line.
children() {
	ps -o pid= --ppid "$1" || true
}

# wait_no_children PID: until every child has ended and been reaped (at
# most 5 s): only then is its CPU time in the parent's cutime and cstime.
wait_no_children() {
	local tries=250
	while [[ -n $(children "$1") ]] && ((tries-- > 0)); do
		sleep 0.02
	done
}

# pss_kib PID...: the sum of their proportional set sizes, in KiB.
pss_kib() {
	local p files=()
	for p in "$@"; do files+=("/proc/$p/smaps_rollup"); done
	awk '/^Pss:/ { s += $2 } END { print s + 0 }' "${files[@]}" 2>/dev/null || true
}

# pss_tree PID: PSS of the process and all its children, in KiB.
pss_tree() {
	# shellcheck disable=SC2046
	pss_kib "$1" $(children "$1")
}

# "${nofile[@]}" N CMD...: run CMD with a soft descriptor limit of at
# least N. A command, not a function: bench_start's $! must be the server.
# shellcheck disable=SC2016
nofile=(bash -c 'n=$1; shift
	cur=$(ulimit -S -n)
	[[ $cur == unlimited ]] || ((cur >= n)) || ulimit -S -n "$n" || exit 1
	exec "$@"' nofile)

# calc FORMAT EXPR: an awk expression, printed with FORMAT.
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }

# ---------------------------------------------------------------------
# Throughput and latency.

per_conn() { echo $((rounds / $1 > 0 ? rounds / $1 : 1)); }

printf 'lesson 04 benchmark: line echo over loopback (127.0.0.1), %d-byte lines, median of %d runs, round robin\n' \
	"$size" "$runs"
printf 'each loadgen run: -c C -n %d/C (%d round trips in all) at C = %s; thread- and poll-server also at C = %d\n' \
	"$rounds" "$rounds" "${conn_counts[*]}" "$big"
printf 'CPU: the server'"'"'s utime+stime+cutime+cstime from /proc/PID/stat (CLK_TCK %s), per 100,000 round trips\n' "$hz"
printf 'memory: PSS from /proc/PID/smaps_rollup (fork-server: parent + children), %d idle connections; poll-server also %d\n' \
	"$idle" "$many"
if ((smoke)); then
	printf '(BENCH_RUNS=1: a smoke run with fewer round trips and %d instead of 10,000 idle connections)\n' "$many"
fi
printf 'machine: %s\n' "$(bench_machine)"
((have_py)) || echo "(python3 not found: the Python column and ratios are left out)"
echo

# One server of each kind serves every throughput run.
declare -A pid port
for s in "${servers[@]}"; do
	key=${s%%|*}
	server_cmd "$key"
	bench_start "$dir/$key.log" "${cmd[@]}"
	pid[$key]=$BENCH_LAST
	port[$key]=$BENCH_PORT
done

# What runs where: "key conns" pairs, in round-robin order.
jobs=()
for c in "${conn_counts[@]}"; do
	for s in "${servers[@]}"; do jobs+=("${s%%|*} $c"); done
done
jobs+=("thread $big" "poll $big")

# load KEY CONNS: one loadgen run; appends its figures to rate/p50/p99/cpu.
declare -A rate p50 p99 cpu
load() {
	local key=$1 c=$2 n out t0 t1 trips
	n=$(per_conn "$c")
	trips=$((c * n))
	t0=$(cpu_ticks "${pid[$key]}")
	if ! out=$(timeout 300 "$bin/loadgen" -a 127.0.0.1 -p "${port[$key]}" \
		-c "$c" -n "$n" -s "$size" 2>"$dir/loadgen.err"); then
		cat "$dir/loadgen.err" >&2
		fail "loadgen -c $c -n $n against ${label[$key]} failed"
	fi
	[[ $key == fork ]] && wait_no_children "${pid[$key]}"
	t1=$(cpu_ticks "${pid[$key]}")
	rate[$key/$c]+="$(sed -n 's/.*: \([0-9.]*\) round trips\/s$/\1/p' <<<"$out") "
	p50[$key/$c]+="$(sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' <<<"$out") "
	p99[$key/$c]+="$(sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$out") "
	cpu[$key/$c]+="$(calc %.4f "($t1 - $t0) / $hz * 100000 / $trips") "
}

for ((i = 0; i < runs; i++)); do
	for job in "${jobs[@]}"; do
		# shellcheck disable=SC2086
		load $job
	done
done
# Every figure: the median of its runs.
for k in "${!rate[@]}"; do
	# shellcheck disable=SC2086
	{
		rate[$k]=$(median ${rate[$k]})
		p50[$k]=$(median ${p50[$k]})
		p99[$k]=$(median ${p99[$k]})
		cpu[$k]=$(median ${cpu[$k]})
	}
done

# ratio A B: A / B to two places, or - when there is no B.
ratio() {
	if [[ -z ${2:-} || $(calc %d "$2 == 0") == 1 ]]; then
		echo -
	else
		calc %.2fx "$1 / $2"
	fi
}

table() {
	local c=$1 key py_rate='' py_p99='' py_cpu=''
	shift
	if ((have_py)) && [[ -n ${rate[py/$c]:-} ]]; then
		py_rate=${rate[py/$c]} py_p99=${p99[py/$c]} py_cpu=${cpu[py/$c]}
	fi
	printf '%s connection%s:\n' "$c" "$( ((c == 1)) || echo s)"
	printf '| %-26s | %13s | %8s | %8s | %11s |' server "round trips/s" "p50 ms" "p99 ms" "CPU s/100k"
	((have_py)) && printf ' %8s | %8s | %8s |' "rate/py" "p99/py" "CPU/py"
	printf '\n|%s|%s|%s|%s|%s|' "----------------------------" "---------------" \
		"----------" "----------" "-------------"
	((have_py)) && printf '%s|%s|%s|' "----------" "----------" "----------"
	echo
	for key in "$@"; do
		printf '| %-26s | %13.0f | %8.3f | %8.3f | %11.3f |' "${label[$key]}" \
			"${rate[$key/$c]}" "${p50[$key/$c]}" "${p99[$key/$c]}" "${cpu[$key/$c]}"
		((have_py)) && printf ' %8s | %8s | %8s |' "$(ratio "${rate[$key/$c]}" "$py_rate")" \
			"$(ratio "${p99[$key/$c]}" "$py_p99")" "$(ratio "${cpu[$key/$c]}" "$py_cpu")"
		echo
	done
	echo
}

keys=()
for s in "${servers[@]}"; do keys+=("${s%%|*}"); done
for c in "${conn_counts[@]}"; do table "$c" "${keys[@]}"; done
table "$big" thread poll

# A bar chart of round trips/s at 100 connections.
echo "round trips/s at 100 connections:"
max=0
for key in "${keys[@]}"; do
	max=$(calc %.0f "${rate[$key/100]} > $max ? ${rate[$key/100]} : $max")
done
for key in "${keys[@]}"; do
	printf '  %-26s %-50s %8.0f\n' "${label[$key]}" \
		"$(calc %.0f "${rate[$key/100]} / $max * 50" | awk '{ s = ""; for (i = 0; i < $1; i++) s = s "#"; print s }')" \
		"${rate[$key/100]}"
done
echo

for key in "${keys[@]}"; do stop "${pid[$key]}"; done

# ---------------------------------------------------------------------
# Memory: idle connections held by loadgen -i.

# hold KEY CONNS: start a fresh server, hold CONNS idle connections to it,
# print "baseline total" PSS in KiB, stop both.
hold() {
	local key=$1 c=$2 base total lg tries=3000 server
	server_cmd "$key"
	bench_start "$dir/mem-$key.log" "${nofile[@]}" $((c + 100)) "${cmd[@]}"
	server=$BENCH_LAST
	base=$(pss_tree "$server")
	"$bin/loadgen" -a 127.0.0.1 -p "$BENCH_PORT" -c "$c" -n 1 -s "$size" -i \
		>"$dir/hold.out" 2>"$dir/hold.err" </dev/null &
	lg=$!
	BENCH_PIDS+=("$lg")
	until grep -qs '^holding ' "$dir/hold.out"; do
		if ((tries-- == 0)) || ! bench_alive "$lg"; then
			cat "$dir/hold.err" >&2
			fail "loadgen -c $c -i against ${label[$key]} did not hold its connections"
		fi
		sleep 0.02
	done
	total=$(pss_tree "$server")
	stop "$lg"
	stop "$server"
	MEM="$base $total"
}

mem_row() {
	local key=$1 c=$2 base total
	hold "$key" "$c"
	read -r base total <<<"$MEM"
	printf '| %-26s | %11s | %10d | %10d | %10.1f |\n' "${label[$key]}" "$c" \
		"$base" "$total" "$(calc %.2f "($total - $base) / $c")"
	MEM_TOTAL=$total
}

mem_keys=(thread fork poll)
((have_py)) && mem_keys+=(py)
echo "memory (PSS, KiB; per connection = (holding - idle server) / connections):"
printf '| %-26s | %11s | %10s | %10s | %10s |\n' server connections "no clients" holding "per conn"
printf '|%s|%s|%s|%s|%s|\n' "----------------------------" "-------------" \
	"------------" "------------" "------------"
declare -A mem
for key in "${mem_keys[@]}"; do
	mem_row "$key" "$idle"
	mem[$key]=$MEM_TOTAL
done
hard=$(ulimit -H -n)
if [[ $hard == unlimited ]] || ((hard >= many + 100)); then
	mem_row poll "$many"
	mem[poll_many]=$MEM_TOTAL
else
	echo "(the hard descriptor limit $hard is too low for $many connections: left out)"
fi
echo

# ---------------------------------------------------------------------
# The course's targets for this lesson, as information.

met() { if [[ $(calc %d "$1") == 1 ]]; then echo met; else echo "not met"; fi; }

echo "targets (the course's, for information; they do not fail the benchmark):"
if ((have_py)); then
	for key in thread poll; do
		r=${rate[$key/100]} p=${p99[$key/100]} u=${cpu[$key/100]}
		pr=${rate[py/100]} pp=${p99[py/100]} pu=${cpu[py/100]}
		printf '  %-13s at 100 connections: %s x Python'"'"'s round trips/s (target >= 2.5): %s\n' \
			"${label[$key]}" "$(calc %.2f "$r / $pr")" "$(met "$r >= 2.5 * $pr")"
		printf '  %-13s at 100 connections: p99 %s of Python'"'"'s (target <= 1/5 = 0.20): %s\n' \
			"${label[$key]}" "$(calc %.2f "$p / $pp")" "$(met "$p * 5 <= $pp")"
		printf '  %-13s at 100 connections: CPU per round trip %s of Python'"'"'s (target <= 1/3 = 0.33): %s\n' \
			"${label[$key]}" "$(calc %.2f "$pu > 0 ? $u / $pu : 0")" "$(met "$u * 3 <= $pu")"
	done
else
	echo "  (the targets against Python need python3: left out)"
fi
for c in 100 "$big"; do
	printf '  poll-server >= thread-server at %d connections: %.0f vs %.0f round trips/s: %s\n' \
		"$c" "${rate[poll/$c]}" "${rate[thread/$c]}" "$(met "${rate[poll/$c]} >= ${rate[thread/$c]}")"
done
if [[ -n ${mem[poll_many]:-} ]]; then
	printf '  poll-server holding %d idle connections: %.1f MiB (target <= 20 MiB at 10,000): %s\n' \
		"$many" "$(calc %.2f "${mem[poll_many]} / 1024")" \
		"$(met "${mem[poll_many]} <= 20 * 1024")$( ((many == 10000)) || echo ", measured at $many only")"
fi

if ((failed)); then
	fail "a program did not stop cleanly (see above)"
fi
