#!/bin/sh
# SPDX-License-Identifier: MIT
# The daemon against the fixture server: systemd notifications on a test
# socket in order (READY, STATUS, WATCHDOG, STOPPING), every URL crawled
# soon after start, journal priority prefixes, SIGUSR1 writing a report,
# --once, --report and --check working on the store while the daemon
# runs, a restart fetching nothing early, and SIGTERM stopping cleanly.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/daemon-lib.sh"

check "test CA and certificate made" make_certs
first_light_routes "$WORK/routes"
check "fixture server started" start_fixture "$WORK/routes"
write_config "$WORK/conf" "interval = 6s"
check "notification socket up" start_notify

start_daemon "$WORK/conf" WATCHDOG_USEC=300000 JOURNAL_STREAM=8:1
check "READY=1 received" wait_for 10 grep -qx READY=1 "$WORK/notify.log"
check "each of the 6 URLs fetched within the interval" \
    wait_for 10 distinct_fetched_ge 6
check "STATUS line with counts" wait_for 5 grep -q \
    '^STATUS=6 URLs scheduled, [6-9] fetched (0 failed), [0-9]* cells flagged' \
    "$WORK/notify.log"
check "WATCHDOG=1 pings" wait_for 3 grep -qx WATCHDOG=1 "$WORK/notify.log"
check "journal lines carry <N> prefixes" \
    grep -q '^<5>daemon: started offerings=1 urls=6' "$WORK/daemon.err"
check "no line per routine fetch at notice level" \
    test "$(grep -c 'url=https' "$WORK/daemon.err")" -eq 0

kill -USR1 "$DAEMON_PID"
check "SIGUSR1 writes reports/latest.txt" \
    wait_for 5 test -s "$WORK/state/reports/latest.txt"
check "and reports/latest.json" quiet jq -e '.offerings | length == 1' \
    "$WORK/state/reports/latest.json"
check "its health line counts fetches since the start, with no time" grep -q \
    "^[0-9]* fetches since the daemon started, [0-9]* failed (.*)$" \
    "$WORK/state/reports/latest.txt"
check "and the dated report" test -s \
    "$WORK/state/reports/report-$(date +%F).txt"
check "report written logged" grep -q '^<5>daemon: report written' \
    "$WORK/daemon.err"

start=$(date +%s)
stop_daemon TERM
check "SIGTERM: exit 0" test "$DAEMON_RC" = 0
check "SIGTERM: stopped within 5 s" test $(($(date +%s) - start)) -le 5
ready=$(grep -nx READY=1 "$WORK/notify.log" | head -n1 | cut -d: -f1)
status=$(grep -n '^STATUS=' "$WORK/notify.log" | head -n1 | cut -d: -f1)
stopping=$(grep -nx STOPPING=1 "$WORK/notify.log" | cut -d: -f1)
check "order: READY, then STATUS, then STOPPING" \
    test -n "$stopping" -a "$ready" -lt "$status" -a "$status" -lt "$stopping"

# A restart fetches nothing before its time (interval less jitter).
start_daemon "$WORK/conf"
check "restart: READY again" wait_for 10 notified_ge 2 READY=1
sleep 3
# A URL is due 6 s after the second its fetch ended in; 4.5 s leaves
# room for that rounding and a slow machine.
check "restart: no URL fetched early" never_early 4.5

# Other modes share the store while the daemon holds it.
"$TREG_BIN" --config "$WORK/conf" --report --format json \
    >"$WORK/report.json" 2>"$WORK/report.err"
rc=$?
check "--report while the daemon runs" test $rc -le 1
check "--report lists the 11 cells" \
    test "$(jq '[.offerings[].cells[]] | length' "$WORK/report.json")" = 11
check "... none noted as changed in the registry since" \
    test "$(jq '[.offerings[].cells[].info[] |
    select(test("registry has changed"))] | length' "$WORK/report.json")" = 0
"$TREG_BIN" --config "$WORK/conf" --once --format json cohere-api \
    >"$WORK/once.json" 2>"$WORK/once.err"
rc=$?
check "--once while the daemon runs" test $rc -le 1
check "--check while the daemon runs" \
    quiet "$TREG_BIN" --config "$WORK/conf" --check

stop_daemon INT
check "SIGINT: exit 0" test "$DAEMON_RC" = 0
check "store opens after the daemon" report_ok "$WORK/conf"

# A report before any URL's first fetch: every URL answers after 5 s, so
# SIGUSR1 right after READY finds only the verdict of the cell without a
# URL, judged at start, and the report says how many cells it leaves out
# rather than reading as a registry of one cell.
sed 's|$| delay=5000|' "$WORK/routes" >"$WORK/routes.slow"
mv "$WORK/routes.slow" "$WORK/routes"
sed "s|^state_dir = .*|state_dir = $WORK/state-slow|" "$WORK/conf" \
    >"$WORK/conf.slow"
start_daemon "$WORK/conf.slow"
check "slow: READY" wait_for 10 notified_ge 3 READY=1
kill -USR1 "$DAEMON_PID"
check "slow: SIGUSR1 writes a report" \
    wait_for 4 test -s "$WORK/state-slow/reports/latest.json"
check "... counting the 10 cells not judged yet" quiet jq -e \
    '.summary.not_judged == 10 and .summary.cells == 1' \
    "$WORK/state-slow/reports/latest.json"
check "... and saying so in the text report" grep -q \
    "^10 cells of the registry not judged yet: no verdict stored \
(cohere-api/[a-z0-9_]*, cohere-api/[a-z0-9_]*, cohere-api/[a-z0-9_]* \
and 7 more)$" \
    "$WORK/state-slow/reports/latest.txt"
check "... and in the log line" grep -q "cells=1 flagged=1 not_judged=10" \
    "$WORK/daemon.err"
stop_daemon TERM
check "slow: SIGTERM with transfers in flight: exit 0" test "$DAEMON_RC" = 0

finish
