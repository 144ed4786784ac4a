#!/bin/sh
# SPDX-License-Identifier: MIT
# Soft 404s by probe: a host that answers every unknown path with the
# same 200 page gets that page recognised when a cell cites it, while a
# host that answers unknown paths with 404 keeps its evidence fresh.  One
# probe per host, and none again within a day.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

F=$FIXTURES/soft404
SOFT404_PROBE=yes

cat >"$WORK/registry.json" <<JSON
{
  "name": "soft 404 test",
  "dimensions": {"soc2_type2": "SOC 2?", "retention_zdr": "Retention?"},
  "offerings": [{
    "id": "probe-test", "name": "Probe test", "developer": "Test",
    "platform": "Test", "category": "first_party",
    "dimensions": {
      "soc2_type2": {"value": "yes_public", "confidence": "high",
        "verified": "2026-07-05", "source": "https://cohere.com/trust",
        "archived": null},
      "retention_zdr": {"value": "yes_public", "confidence": "high",
        "verified": "2026-07-05", "source": "https://fixture.test/policy",
        "archived": null}
    }
  }]
}
JSON
cat >"$WORK/routes" <<ROUTES
cohere.com /* page $F/not-found.html type=text/html
fixture.test /policy page $F/policy.html type=text/html
ROUTES

crawl() {
	"$TREG_BIN" --config "$WORK/conf" --once --format json --now "$1" \
	    probe-test >"$WORK/$2.json" 2>"$WORK/$2.err"
}
state_is() { [ "$(jq_cell "$WORK/$1.json" "$2" .state)" = "$3" ]; }
reason_is() {
	[ "$(jq_cell "$WORK/$1.json" "$2" '.evidence[0].reason')" = "$3" ]
}
probes() { grep -c -- '-no-such-page' "$WORK/requests.log"; }

check "test CA and certificate made" make_certs
check "fixture server started" start_fixture "$WORK/routes"
REGISTRY=$WORK/registry.json write_config "$WORK/conf"

crawl 2026-07-06T00:00:00Z run1
check "a page equal to the host's unknown-path page is unverifiable" \
    state_is run1 soc2_type2 unverifiable
check "its reason is soft-404" reason_is run1 soc2_type2 soft-404
check "a host answering unknown paths with 404 stays fresh" \
    state_is run1 retention_zdr fresh
check "one probe per host" test "$(probes)" -eq 2

crawl 2026-07-06T01:00:00Z run2
check "no new probe within a day" test "$(probes)" -eq 2
check "the verdict holds from the stored probe" \
    state_is run2 soc2_type2 unverifiable

finish
