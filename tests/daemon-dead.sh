#!/bin/sh
# SPDX-License-Identifier: MIT
# The daemon's "url dead" line agrees with flap damping: a source that
# keeps answering 404 is logged failing once, and dead only when its
# failures are both as many as dead_after_failures and spread over
# dead_after_hours (here never, within the test), as its cells' verdicts
# say; with dead_after_hours = 0 the count alone makes it dead, logged
# once.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/daemon-lib.sh"

check "test CA and certificate made" make_certs
first_light_routes "$WORK/routes.ok"
{
	echo "$TC / status 404"
	cat "$WORK/routes.ok"
} >"$WORK/routes"
check "fixture server started" start_fixture "$WORK/routes"

# gone_fetches_ge N: the 404 page was asked for at least N times.
gone_fetches_ge() {
	[ "$(grep -v robots.txt "$WORK/requests.log" |
	    awk -v h="$TC" '$2 == h && $4 == "/"' | wc -l)" -ge "$1" ]
}

write_config "$WORK/conf" "interval = 2s
dead_after_failures = 2
dead_after_hours = 48"
start_daemon "$WORK/conf"
check "the 404 page fetched three times" wait_for 15 gone_fetches_ge 3
sleep 0.5
stop_daemon TERM
check "logged failing once" test "$(grep -c \
    "url failing url=https://$TC/ status=404" "$WORK/daemon.err")" -eq 1
check "never logged dead within 48 hours" \
    eval '! grep -q "url dead" "$WORK/daemon.err"'
check "its cells unverifiable, not dead" test "$("$TREG_BIN" --config \
    "$WORK/conf" --report --format json 2>/dev/null | jq '[.offerings[].cells[] |
    select(.state == "dead")] | length')" -eq 0

: >"$WORK/requests.log"
: >"$WORK/daemon.err"
sed -e "s|^state_dir = .*|state_dir = $WORK/state-count|" \
    -e 's/^dead_after_hours = 48$/dead_after_hours = 0/' "$WORK/conf" \
    >"$WORK/conf.count"
start_daemon "$WORK/conf.count"
check "again, three fetches with dead_after_hours = 0" \
    wait_for 15 gone_fetches_ge 3
sleep 0.5
stop_daemon TERM
check "logged dead once, at the second failure" test "$(grep -c \
    "url dead url=https://$TC/ failures=2 status=404" \
    "$WORK/daemon.err")" -eq 1 -a "$(grep -c "url dead" \
    "$WORK/daemon.err")" -eq 1
finish
