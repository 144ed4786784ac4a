#!/bin/sh
# SPDX-License-Identifier: MIT
# What keeps a daemon from doing harm around it: a second daemon on the
# same state directory is refused, naming the first one's PID; and a
# store that cannot commit (a full disk, here a file-size limit) pauses
# the fetching, said once, where the lost reschedules made every URL due
# again at once and the daemon fetched the same pages without end.  Also
# the sweep of temporary report files that killed writers leave.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/daemon-lib.sh"

check "test CA and certificate made" make_certs
first_light_routes "$WORK/routes"
check "fixture server started" start_fixture "$WORK/routes"
write_config "$WORK/conf" "interval = 2s"

start_daemon "$WORK/conf"
first=$DAEMON_PID
check "the first daemon fetched" wait_for 15 distinct_fetched_ge 3
"$TREG_BIN" --config "$WORK/conf" 2>"$WORK/second.err" &
second=$!
n=0
while kill -0 "$second" 2>/dev/null && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
if kill -0 "$second" 2>/dev/null; then
	kill -KILL "$second"
	wait "$second"
	check "a second daemon on the same state_dir stops" false
else
	wait "$second"
	check "a second daemon on the same state_dir exits 2" test $? -eq 2
fi
check "... naming the first one's PID" grep -q \
    "another daemon runs on state_dir=$WORK/state (pid $first," \
    "$WORK/second.err"
check "... while the first runs on" kill -0 "$first"
stop_daemon TERM
check "the first stops cleanly" test "$DAEMON_RC" -eq 0
# Temporary report files a writer killed before its rename left behind:
# swept once an hour old, while a running writer's is spared.
mkdir -p "$WORK/state/reports"
: >"$WORK/state/reports/.report-Old123"
touch -d '2 hours ago' "$WORK/state/reports/.report-Old123"
: >"$WORK/state/reports/.report-New456"
check "--once beside no daemon still runs" test "$("$TREG_BIN" --config \
    "$WORK/conf" --once --format json 2>/dev/null | jq '.summary.cells')" \
    -gt 0
check "... and sweeps a killed writer's old temporary report" \
    test ! -e "$WORK/state/reports/.report-Old123"
check "... but not a recent one" test -e "$WORK/state/reports/.report-New456"

# A store that cannot grow past 64 KiB: each commit of new pages fails
# (the limit's unit is the shell's: read back from the kernel).
: >"$WORK/requests.log"
sed "s|^state_dir = .*|state_dir = $WORK/small|" "$WORK/conf" \
    >"$WORK/conf.small"
(
	trap '' XFSZ
	ulimit -f 128
	awk '/^Max file size/ { exit $4 != 65536 && $4 != 131072 }' \
	    /proc/self/limits || exit 99
	exec "$TREG_BIN" --config "$WORK/conf.small" 2>"$WORK/small.err"
) &
DAEMON_PID=$!
sleep 6
stop_daemon TERM
requests=$(grep -vc robots.txt "$WORK/requests.log")
check "a store that cannot commit: fetching paused, said once" test \
    "$(grep -c "the store cannot keep what is fetched" "$WORK/small.err")" \
    -eq 1
check "... a few requests in 6 s, not thousands ($requests)" \
    test "$requests" -le 24
finish
