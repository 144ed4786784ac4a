#!/bin/sh
# SPDX-License-Identifier: MIT
# Store growth per unchanged daily check, run by hand (not part of make
# check): the report fixtures (five evidence URLs) are crawled once a day
# for DAYS days with nothing changing, and the LMDB pages in use (less
# the free ones, from mdb_stat of lmdb-utils) after the first day and
# after the last give the bytes each unchanged check of one URL costs.
# Target: under 100 bytes.
#   TREG_BUILDDIR=/tmp/build sh tests/bench/store-growth.sh
: "${TREG_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TREG_SRCDIR/tests/lib.sh"

DAYS=${DAYS:-200}
F=$FIXTURES/report
WB=/web/20260705120000id_
URLS=5

if ! command -v mdb_stat >/dev/null; then
	echo "mdb_stat (Debian package lmdb-utils) is needed" >&2
	exit 1
fi
H=type=text/html
cat >"$WORK/routes" <<ROUTES
trustcenter.cohere.com /trust page $F/trust-v1.html $H
cohere.com /policy page $F/policy-live.html $H
cohere.com /security page $F/security.html $H
web.archive.org $WB/https://cohere.com/policy page $F/policy-archived.html $H
web.archive.org $WB/https://cohere.com/security page $F/security.html $H
ROUTES
make_certs || exit 1
start_fixture "$WORK/routes" || exit 1
REGISTRY=$F/registry.json write_config "$WORK/conf"

# Pages in use: the last page number less the free ones.
used() {
	mdb_stat -ef "$WORK/state" | awk '
	    /Number of pages used:/ { used = $NF }
	    /Free pages:/ { free = $NF }
	    END { print used - free }'
}

day=1
while [ $day -le "$DAYS" ]; do
	now=$(date -u -d "2026-07-06 + $((day - 1)) days" +%Y-%m-%dT00:00:00Z)
	"$TREG_BIN" --config "$WORK/conf" --once --format json --now "$now" \
	    >/dev/null 2>>"$WORK/err"
	# 0 fresh, 1 something flagged; anything else is a failed run.
	if [ $? -gt 1 ]; then
		cat "$WORK/err" >&2
		exit 1
	fi
	[ $day -eq 1 ] && first=$(used)
	day=$((day + 1))
done
last=$(used)
psize=$(mdb_stat -e "$WORK/state" | awk '/Page size:/ { print $NF }')
echo "days=$DAYS urls=$URLS pages_after_day1=$first" \
    "pages_after=$last page=$psize"
echo "bytes per unchanged check of one URL:" \
    $(( (last - first) * psize / ((DAYS - 1) * URLS) ))
