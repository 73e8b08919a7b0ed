#!/usr/bin/env bash
# tests/bench/01-hello-server.sh SOLUTIONS_BIN - lesson 01's benchmark:
# requests/s of hello-server under wrk (one thread, -c 1 and -c 50), side
# by side with what a user would pick instead: the note's server corrected
# in Python (hello_server.py, when python3 is here) and nginx with one
# worker answering the same bytes (when nginx is here). Every server logs
# one line per request to a file, as hello-server does. Also each
# server's CPU time per request. Medians of BENCH_RUNS runs, taken round
# robin; with two CPUs or more the servers run on CPU 0 and wrk on CPU 1,
# so that they do not fight for one. It prints; it does not pass or fail
# on speed.
#
# Environment: BENCH_RUNS (default 5) runs per figure; BENCH_SECONDS
# (default 3; 1 when BENCH_RUNS=1) per wrk run; BENCH_CONNS (default
# "1 50") the connection counts; BENCH_PIN=0 lets the scheduler place
# servers and wrk (then they share both CPUs, and a server's CPU time
# per request shows in the rates too).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bin=$1
runs=${BENCH_RUNS:-5}
secs=${BENCH_SECONDS:-$((runs == 1 ? 1 : 3))}
read -ra conns <<<"${BENCH_CONNS:-1 50}"
hz=$(getconf CLK_TCK)
dir=$(mktemp -d "${TMPDIR:-/tmp}/netprog-bench.XXXXXX")
trap 'bench_cleanup; rm -rf "$dir"' EXIT

if ! command -v wrk >/dev/null; then
	echo "lesson 01 benchmark: wrk is not installed, so there is nothing to measure with."
	echo "  get it: sudo apt-get install wrk   (or build it from https://github.com/wg/wrk)"
	exit 0
fi

# Pinning: servers on CPU 0, wrk on CPU 1 (taskset, util-linux).
server_cpu=() client_cpu=()
if [[ ${BENCH_PIN:-1} != 0 ]] && (($(nproc) >= 2)) && command -v taskset >/dev/null; then
	server_cpu=(taskset -c 0)
	client_cpu=(taskset -c 1)
fi

# The servers: key|label, and how to start each.
servers=("c|hello-server")
start_c() { bench_start "$dir/c.log" "${server_cpu[@]}" "$bin/hello-server" -p 0; }
if command -v python3 >/dev/null; then
	servers+=("py|Python, the note corrected")
	start_py() { bench_start "$dir/py.log" "${server_cpu[@]}" python3 "$here/hello_server.py" -p 0; }
else
	echo "(python3 not found: the Python column is left out)"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [[ -x $nginx_bin ]]; then
	servers+=("nginx|nginx $("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///'), 1 worker")
	# nginx takes no port 0: try a few ports until one is free.
	start_nginx() {
		local try port
		for try in 1 2 3 4 5; do
			port=$((20000 + RANDOM % 40000))
			sed "s/@PORT@/$port/; s|@DIR@|$dir|g" "$here/nginx.conf" >"$dir/nginx.conf"
			"${server_cpu[@]}" "$nginx_bin" -c "$dir/nginx.conf" -p "$dir" \
				>"$dir/nginx.out" 2>&1 </dev/null &
			BENCH_PIDS+=($!)
			BENCH_LAST=$!
			BENCH_PORT=$port
			if np_bench_up "$port"; then return 0; fi
			kill "$BENCH_LAST" 2>/dev/null || true
			wait "$BENCH_LAST" 2>/dev/null || true
		done
		echo "bench: nginx did not start:" >&2
		cat "$dir/nginx.out" "$dir/nginx.err" >&2 2>/dev/null || true
		return 1
	}
else
	echo "(nginx not found: its column is left out; sudo apt-get install nginx-light)"
fi

# np_bench_up PORT: true once something answers HTTP there (at most 5 s).
np_bench_up() {
	local tries=250
	until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; do
		((tries-- > 0)) && bench_alive "$BENCH_LAST" || return 1
		sleep 0.02
	done
}

cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }

declare -A pid port label
up=()
for s in "${servers[@]}"; do
	key=${s%%|*}
	label[$key]=${s#*|}
	if ! "start_$key"; then
		[[ $key != c ]] || exit 1
		echo "(${label[$key]} did not start: left out)"
		continue
	fi
	up+=("$s")
	pid[$key]=$BENCH_LAST
	port[$key]=$BENCH_PORT
done
servers=("${up[@]}")
# nginx's worker does the work: its CPU time is the worker's.
if [[ -n ${pid[nginx]:-} ]]; then
	worker=$(ps -o pid= --ppid "${pid[nginx]}" | head -n 1 | tr -d ' ')
	[[ -n $worker ]] && pid[nginx]=$worker
fi

printf 'lesson 01 benchmark: HTTP GET / over loopback, wrk -t1 -d%ss at -c %s, median of %d runs, round robin\n' \
	"$secs" "${conns[*]}" "$runs"
printf 'every server answers the same 20-byte page with Connection: close and logs one line a request to a file\n'
if ((${#server_cpu[@]})); then
	echo "servers pinned to CPU 0, wrk to CPU 1 (taskset)"
fi
printf 'CPU: the server'"'"'s utime+stime from /proc/PID/stat (CLK_TCK %s), in microseconds per request\n' "$hz"
printf 'machine: %s\n\n' "$(bench_machine)"

# One wrk run: appends req/s and CPU us/request to rate[KEY/C], cpu[KEY/C].
declare -A rate cpu
errors=
load() {
	local key=$1 c=$2 out t0 t1 n
	t0=$(cpu_ticks "${pid[$key]}")
	out=$("${client_cpu[@]}" wrk -t1 -c"$c" -d"${secs}s" "http://127.0.0.1:${port[$key]}/" 2>&1)
	t1=$(cpu_ticks "${pid[$key]}")
	if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
		errors+="  ${label[$key]}, -c $c: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' ')"$'\n'
	fi
	n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out")
	rate[$key/$c]+="$(sed -n 's/^Requests\/sec: *//p' <<<"$out") "
	cpu[$key/$c]+="$(calc %.2f "($n > 0) ? ($t1 - $t0) / $hz * 1e6 / $n : 0") "
}
for ((i = 0; i < runs; i++)); do
	for c in "${conns[@]}"; do
		for s in "${servers[@]}"; do load "${s%%|*}" "$c"; done
	done
done
for k in "${!rate[@]}"; do
	# shellcheck disable=SC2086
	rate[$k]=$(median ${rate[$k]}) cpu[$k]=$(median ${cpu[$k]})
done

printf '| %-28s |' server
for c in "${conns[@]}"; do printf ' %11s | %9s |' "req/s -c$c" "CPU us/rq"; done
printf '\n|%s|' "------------------------------"
for c in "${conns[@]}"; do printf '%s|%s|' "-------------" "-----------"; done
echo
for s in "${servers[@]}"; do
	key=${s%%|*}
	printf '| %-28s |' "${label[$key]}"
	for c in "${conns[@]}"; do
		printf ' %11.0f | %9.1f |' "${rate[$key/$c]}" "${cpu[$key/$c]}"
	done
	echo
done
echo
[[ -z $errors ]] || printf 'wrk saw errors:\n%s\n' "$errors"

# The ratios, and the course's targets (for information).
echo "hello-server's ratios (req/s; CPU per request, lower is better):"
for other in py nginx; do
	[[ -n ${pid[$other]:-} ]] || continue
	for c in "${conns[@]}"; do
		printf '  vs %-28s -c %-3s  %sx req/s   %sx CPU/request\n' "${label[$other]}" "$c" \
			"$(calc %.2f "${rate[c/$c]} / ${rate[$other/$c]}")" \
			"$(calc %.2f "${cpu[$other/$c]} > 0 ? ${cpu[c/$c]} / ${cpu[$other/$c]} : 0")"
	done
done
echo
echo "targets (the course's, for information; they do not fail the benchmark):"
met() { if [[ $(calc %d "$1") == 1 ]]; then echo met; else echo "not met"; fi; }
if [[ -n ${pid[py]:-} && -n ${rate[c/1]:-} ]]; then
	printf '  -c 1: hello-server >= 1.3 x Python: %s\n' "$(met "${rate[c/1]} >= 1.3 * ${rate[py/1]}")"
fi
if [[ -n ${pid[nginx]:-} && -n ${rate[c/1]:-} ]]; then
	printf '  -c 1: hello-server >= 1.2 x nginx: %s\n' "$(met "${rate[c/1]} >= 1.2 * ${rate[nginx/1]}")"
fi
for s in "${servers[@]}"; do
	key=${s%%|*}
	kill -TERM "${pid[$key]}" 2>/dev/null || true
done
