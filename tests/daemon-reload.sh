#!/bin/sh
# SPDX-License-Identifier: MIT
# Reloads and registry sources: SIGHUP with a broken registry keeps the
# daemon crawling on the old one and logs FILE:LINE; with a good registry
# holding a new offering the new offering is crawled; an offering that
# disappears is logged once and keeps its history.  Registry bundles
# (.tar.gz good; ../ and symlink members refused) are made with tar here.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/daemon-lib.sh"

REG=$TREG_SRCDIR/data/registry.json

# with_new_offering: the registry plus a copy of the offering under
# another id whose SOC 2 cell cites a page only it cites.
with_new_offering() {
	jq '.offerings += [.offerings[0] | .id = "cohere-api-2" |
	    .sort_order = 99 |
	    .dimensions.soc2_type2.source = "https://fixture.test/new-offering"]' \
	    "$REG"
}

reloaded_ge() {
	[ "$(grep -c 'daemon: reloaded' "$WORK/daemon.err")" -ge "$1" ]
}

check "test CA and certificate made" make_certs
first_light_routes "$WORK/routes" \
    "fixture.test /new-offering page $F/trustcenter.html type=text/html"
check "fixture server started" start_fixture "$WORK/routes"
cp "$REG" "$WORK/reg.json"
REGISTRY=$WORK/reg.json write_config "$WORK/conf" "interval = 3s"
check "notification socket up" start_notify

start_daemon "$WORK/conf"
check "READY" wait_for 10 notified_ge 1 READY=1
check "first crawl done" wait_for 10 distinct_fetched_ge 6

# A registry cut in the middle: the daemon says where and keeps going.
head -c 700 "$REG" >"$WORK/reg.json"
kill -HUP "$DAEMON_PID"
check "broken registry: reload refused" \
    wait_for 5 grep -q 'reload failed' "$WORK/daemon.err"
check "broken registry: error names file:line" \
    grep -Eq "reg\.json:[0-9]+:[0-9]+: " "$WORK/daemon.err"
check "broken registry: RELOADING then READY" \
    wait_for 5 notified_ge 2 READY=1
grep -n 'RELOADING=1' "$WORK/notify.log" | head -n1 >"$WORK/rel"
check "RELOADING=1 sent" test -s "$WORK/rel"
n=$(fetches GET)
check "broken registry: still crawling" wait_for 10 at_least GET $((n + 3))
check "broken registry: daemon alive" kill -0 "$DAEMON_PID"

# A good registry with one more offering: its page gets crawled.
with_new_offering >"$WORK/reg.json"
kill -HUP "$DAEMON_PID"
check "good registry: reloaded with 2 offerings" \
    wait_for 5 grep -q 'daemon: reloaded offerings=2 urls=7' \
    "$WORK/daemon.err"
check "good registry: the new offering's page fetched" \
    wait_for 10 at_least /new-offering 1
# Judged only once its fetch is stored: a reload before would abandon it.
new_cell_judged() {
	"$TREG_BIN" --config "$WORK/conf" --show cohere-api-2/soc2_type2 \
	    >/dev/null 2>&1
}
check "good registry: the new offering's cell judged" \
    wait_for 10 new_cell_judged

# The offering goes away again: one notice, history kept.
cp "$REG" "$WORK/reg.json"
kill -HUP "$DAEMON_PID"
check "removed offering: reloaded" wait_for 5 reloaded_ge 2
kill -HUP "$DAEMON_PID"
check "removed offering: reloaded again" wait_for 5 reloaded_ge 3
check "removed offering: logged exactly once" test "$(grep -c \
    'offering removed from the registry offering=cohere-api-2' \
    "$WORK/daemon.err")" -eq 1
"$TREG_BIN" --config "$WORK/conf" --report --format json \
    >"$WORK/report.json" 2>/dev/null
check "removed offering: left out of the report, and counted" jq -e \
    '([.offerings[] | select(.id == "cohere-api-2")] | length == 0) and
    .summary.not_in_registry >= 1' "$WORK/report.json"
"$TREG_BIN" --config "$WORK/conf" --show cohere-api-2/soc2_type2 \
    >"$WORK/show.out" 2>&1
check "removed offering: its cells still in the store" \
    grep -q '^cohere-api-2 / soc2_type2 ' "$WORK/show.out"
# The status line's count was of every stored verdict, the removed
# offering's included.
flagged_now=$(grep '^STATUS=' "$WORK/notify.log" | tail -n1 |
    sed -n 's/.* \([0-9]*\) cells flagged.*/\1/p')
check "removed offering: out of the flagged count ($flagged_now)" test \
    "$flagged_now" -eq "$(jq '.summary.needs_attention' "$WORK/report.json")"

stop_daemon TERM
check "SIGTERM: exit 0" test "$DAEMON_RC" = 0

# Bundles, made with tar.
mkdir -p "$WORK/b/sub" "$WORK/good/export"
cp "$REG" "$WORK/good/export/registry.json"
(cd "$WORK/good" && tar -czf ../good.tar.gz export)
cp "$REG" "$WORK/b/reg.json"
(cd "$WORK/b/sub" && tar -cPf ../../dotdot.tar ../reg.json)
ln -s /etc/passwd "$WORK/b/link.json"
(cd "$WORK/b" && tar -cf ../link.tar link.json)

bundle_check() {
	REGISTRY=$WORK/$1 write_config "$WORK/conf.$1"
	"$TREG_BIN" --config "$WORK/conf.$1" --check >"$WORK/$1.out" \
	    2>"$WORK/$1.err"
	echo $? >"$WORK/$1.rc"
}
bundle_check good.tar.gz
check "good .tar.gz bundle loads" test "$(cat "$WORK/good.tar.gz.rc")" = 0
check "good bundle: 1 offering, 11 cells" \
    grep -q 'ok, 1 offering, 11 cells' "$WORK/good.tar.gz.out"
bundle_check dotdot.tar
check "../ member refused" test "$(cat "$WORK/dotdot.tar.rc")" = 2
check "../ member named in the error" grep -q \
    'dotdot.tar: member "../reg.json": refused, its path leaves the bundle' \
    "$WORK/dotdot.tar.err"
bundle_check link.tar
check "symlink member refused" test "$(cat "$WORK/link.tar.rc")" = 2
check "symlink member named in the error" grep -q \
    'link.tar: member "link.json": refused, a symbolic link' \
    "$WORK/link.tar.err"

finish
