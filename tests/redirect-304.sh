#!/bin/sh
# SPDX-License-Identifier: MIT
# A page that moves: curl sends the validators of the URL asked for on
# every hop of a redirect, so the new address can answer 304 to the old
# page's ETag, and the old page's text was then kept as the new one's.
# Such a 304 is now fetched again without validators, and the moved
# page's own text is judged.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

cat >"$WORK/registry.json" <<JSON
{
  "name": "redirect 304 test",
  "offerings": [{
    "id": "mv", "name": "Moved", "developer": "Test",
    "platform": "Test", "category": "first_party",
    "dimensions": {
      "gdpr_dpa": {"value": "yes_public", "confidence": "high",
        "verified": "2026-07-05", "source": "https://fixture.test/old",
        "archived": null,
        "quotes": ["customer records are deleted after thirty days"]}
    }
  }]
}
JSON
printf '<html><body><main><p>The data processing terms say customer '\
'records are deleted after thirty days.</p></main></body></html>\n' \
    >"$WORK/old.html"
printf '<html><body><main><p>The data processing terms now keep '\
'customer records for as long as the law allows.</p></main></body>'\
'</html>\n' >"$WORK/new.html"
# One ETag for both pages, as a server that does not derive it from the
# content may send.
cat >"$WORK/routes.1" <<ROUTES
fixture.test /old page $WORK/old.html etag="\"v1\""
ROUTES
cat >"$WORK/routes.2" <<ROUTES
fixture.test /old redirect 301 /new
fixture.test /new page $WORK/new.html etag="\"v1\""
ROUTES

check "test CA and certificate made" make_certs
check "fixture server started" start_fixture "$WORK/routes.1"
REGISTRY=$WORK/registry.json write_config "$WORK/conf"
"$TREG_BIN" --config "$WORK/conf" --once --format json \
    --now 2026-07-06T00:00:00Z >"$WORK/run1.json" 2>"$WORK/run1.err"
check "run 1: the page fresh, its quote found" \
    test "$(jq_cell "$WORK/run1.json" gdpr_dpa .state)" = fresh

stop_fixture
: >"$WORK/requests.log"
check "fixture server started on the moved routes" \
    start_fixture "$WORK/routes.2"
sed "s|:443:127.0.0.1:[0-9]*\$|:443:127.0.0.1:$FIXTURE_PORT|" \
    "$WORK/conf" >"$WORK/conf.2"
"$TREG_BIN" --config "$WORK/conf.2" --once --format json \
    --now 2026-07-07T00:00:00Z >"$WORK/run2.json" 2>"$WORK/run2.err"
check "run 2: the new address answered 304 to the old validators" \
    test "$(awk '$4 == "/new" && $9 != "if-none-match=-"' \
    "$WORK/requests.log" | wc -l)" -eq 1
check "... then gave its page, asked without them" \
    test "$(awk '$4 == "/new" && $9 == "if-none-match=-"' \
    "$WORK/requests.log" | wc -l)" -eq 1
check "... the cell is judged on the moved page: its quote is missing" \
    test "$(jq -r '.offerings[].cells[] | select(.id == "gdpr_dpa") |
    .evidence[0].quotes[0]' "$WORK/run2.json")" = false
check "... and it says the page moved" \
    test "$(jq_cell "$WORK/run2.json" gdpr_dpa .state)" = moved
finish
