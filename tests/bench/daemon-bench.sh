#!/bin/sh
# SPDX-License-Identifier: MIT
# Daemon figures, run by hand from a build directory (never by "make
# check"): with 10,000 scheduled URLs, the CPU share and RSS of the idle
# daemon over a minute, and the time from exec to READY=1 with those URLs
# in the store.  tests/sched-fill puts the URLs in the store's schedule
# due a day from now, as a daemon leaves them mid-interval.  The URLs
# point at 50 made-up hosts that resolve to a closed port on 127.0.0.1,
# so any fetch is refused at once and nothing leaves the machine.
#
# usage: daemon-bench.sh [BUILDDIR] [IDLE_SECONDS]
set -eu

build=$(cd "${1:-.}" && pwd)
idle=${2:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=$build/src/trustreg-crawl
recv=$build/tests/notify-recv
fill=$build/tests/sched-fill
work=$(mktemp -d "${TMPDIR:-/tmp}/treg-dbench.XXXXXX")
pid=
rpid=
trap 'kill $pid $rpid 2>/dev/null; rm -rf "$work"' EXIT

[ -x "$bin" ] && [ -x "$recv" ] && [ -x "$fill" ] || {
	echo "build $build first: make && make check" >&2
	exit 2
}

# 910 offerings x 11 cells = 10,010 distinct source URLs.
jq '.offerings[0] as $o | .offerings = [range(910) as $i |
    $o | .id = "bench-\($i)" | .sort_order = $i |
    .dimensions |= with_entries(.value.source =
	"https://h\($i % 50).bench.test/o\($i)/\(.key)" |
	.value.archived = null)]' "$src/data/registry.json" \
    >"$work/registry.json"

conf() {
	{
		echo "state_dir = $work/state"
		echo "registry = $work/registry.json"
		echo "interval = $1"
		echo "host_delay_ms = 0"
		echo "per_host = 16"
		echo "connect_timeout = 2"
		echo "[network]"
		echo "allow_address = 127.0.0.1"
		i=0
		while [ $i -lt 50 ]; do
			echo "resolve = h$i.bench.test:443:127.0.0.1"
			echo "connect_to = h$i.bench.test:443:127.0.0.1:9"
			i=$((i + 1))
		done
	} >"$work/conf"
}

start() {
	: >"$work/notify.log"
	NOTIFY_SOCKET=$work/notify.sock "$bin" --config "$work/conf" \
	    2>>"$work/daemon.err" &
	pid=$!
}

stop() {
	kill "$pid"
	wait "$pid" || true
	pid=
}

ready() { grep -qx READY=1 "$work/notify.log"; }

"$recv" "$work/notify.sock" "$work/notify.log" &
rpid=$!
sleep 0.2

echo "filling the schedule..."
conf 24h
"$fill" "$work/state" "$work/registry.json" 86400

echo "start-up to READY, 5 runs:"
n=0
while [ $n -lt 5 ]; do
	t0=$(date +%s%N)
	start
	until ready; do sleep 0.005; done
	t1=$(date +%s%N)
	echo "  $(( (t1 - t0) / 1000000 )) ms"
	stop
	n=$((n + 1))
done

echo "idle for ${idle}s..."
start
until ready; do sleep 0.01; done
sleep 5
hz=$(getconf CLK_TCK)
c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep "$idle"
c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
file=$(awk '/^RssFile/ { print $2 }' "/proc/$pid/status")
echo "  CPU: $(awk -v c=$((c1 - c0)) -v hz="$hz" -v s="$idle" \
    'BEGIN { printf "%.3f%% of one core", 100 * c / hz / s }')"
echo "  RSS: $((rss / 1024)) MiB now ($((anon / 1024)) MiB anonymous," \
    "$((file / 1024)) MiB of mapped files: the LMDB map and libraries)," \
    "$((hwm / 1024)) MiB peak"
grep -o 'STATUS=.*' "$work/notify.log" | tail -n 1
stop
