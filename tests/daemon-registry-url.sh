#!/bin/sh
# SPDX-License-Identifier: MIT
# The registry followed by URL from the fixture server: the daemon fetches
# the export, keeps it as the last good copy (which --check then uses), a
# later export moving a cell's verified date forward drops the old
# baseline of that cell (it is judged against fetches from its new date
# on), and a truncated export is rejected with the last good one kept.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/daemon-lib.sh"

REG=$TREG_SRCDIR/data/registry.json
CELL=training_on_customer_data
TOMORROW=$(date -u -d tomorrow +%F)

# serve EXPORT PAGE: the export at fixture.test/data.json and the data
# commitments page, routes re-read by the running fixture.
serve() {
	first_light_routes "$WORK/routes" \
	    "fixture.test /data.json page $1 type=application/json"
	sed "s|$F/data-commitments.html type=text/html\$|$F/$2 type=text/html|" \
	    "$WORK/routes" >"$WORK/routes.new"
	mv "$WORK/routes.new" "$WORK/routes"
	[ -n "$FIXTURE_PID" ] && kill -HUP "$FIXTURE_PID"
	return 0
}

report() {
	"$TREG_BIN" --config "$WORK/conf" --report --format json \
	    >"$WORK/report.json" 2>/dev/null
	jq_cell "$WORK/report.json" "$CELL" "$1"
}

cell_is() { [ "$(report "$1")" = "$2" ]; }
updates_ge() {
	[ "$(grep -c 'daemon: registry updated' "$WORK/daemon.err")" -ge "$1" ]
}

cp "$REG" "$WORK/export1.json"
jq --arg d "$TOMORROW" \
    ".offerings[0].dimensions.$CELL.verified = \$d" "$REG" \
    >"$WORK/export2.json"
head -c 3000 "$WORK/export2.json" >"$WORK/export3.json"

check "test CA and certificate made" make_certs
serve "$WORK/export1.json" data-commitments.html
check "fixture server started" start_fixture "$WORK/routes"
REGISTRY=https://fixture.test/data.json write_config "$WORK/conf" \
    "interval = 2s
registry_interval = 1s"
check "--check without a fetched copy fails" \
    sh -c "! '$TREG_BIN' --config '$WORK/conf' --check 2>/dev/null"
check "notification socket up" start_notify

start_daemon "$WORK/conf"
check "READY with an empty registry" wait_for 10 notified_ge 1 READY=1
check "export fetched and taken" wait_for 10 updates_ge 1
check "its evidence crawled" wait_for 10 distinct_fetched_ge 7
check "--check uses the last good copy" sh -c \
    "'$TREG_BIN' --config '$WORK/conf' --check | grep -q 'ok, 1 offering'"
check "cell has a baseline" wait_for 10 cell_is \
    '.evidence[] | select(.role == "source") | .baseline != null' true

serve "$WORK/export1.json" data-commitments-v2.html
check "page edited: the cell changed" wait_for 10 cell_is .state changed

serve "$WORK/export2.json" data-commitments-v2.html
check "newer export taken" wait_for 10 updates_ge 2
check "cell judged at its new verified date" \
    wait_for 10 cell_is .verified "$TOMORROW"
check "old baseline dropped" \
    cell_is '.evidence[] | select(.role == "source") | .baseline' null
check "no longer changed" sh -c "[ \"\$(jq -r --arg c $CELL \
    '.offerings[].cells[] | select(.id == \$c) | .state' \
    '$WORK/report.json')\" != changed ]"

serve "$WORK/export3.json" data-commitments-v2.html
check "truncated export rejected" wait_for 10 grep -q \
    'registry export rejected, keeping the last good copy' \
    "$WORK/daemon.err"
check "rejection names where the JSON broke" grep -Eq \
    'rejected.*data\.json:[0-9]+:[0-9]+: ' "$WORK/daemon.err"
check "no update from the truncated export" updates_ge 2
check "no third update" sh -c "! grep -c 'registry updated' \
    '$WORK/daemon.err' | grep -qx 3"
check "daemon still running" kill -0 "$DAEMON_PID"
stop_daemon TERM
check "SIGTERM: exit 0" test "$DAEMON_RC" = 0
check "last good copy kept in the store" sh -c \
    "'$TREG_BIN' --config '$WORK/conf' --once --format json \
    >'$WORK/once.json' 2>/dev/null; [ \$? -le 1 ]"
check "and it is the newer export" test "$(jq_cell "$WORK/once.json" \
    "$CELL" .verified)" = "$TOMORROW"

finish
