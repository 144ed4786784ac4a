#!/bin/sh
# SPDX-License-Identifier: MIT
# A one-shot crawl judges each offering as soon as every URL it cites has
# ended, while later URLs are still fetched.  Twelve offerings cite a page
# each and one more URL: offering 2 a slow page, offering 5 a page that is
# its host's unknown-path page (a soft 404, found by a probe slower than
# the page itself), offering 10 offering 1's page, offering 12 the slowest
# page.  The first offerings must be judged while the slowest page is
# still on its way, yet none before its own URLs and the probes have
# ended: every verdict must be what judging after the crawl gives, in
# registry order.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

F=$FIXTURES/soft404
SOFT404_PROBE=yes
NOW=2026-07-06T00:00:00Z

mkdir "$WORK/pages"
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
	printf '<html><body><main><h1>Policy %s</h1><p>Offering %s keeps '\
'customer records for thirty days, then deletes them.</p></main></body>'\
'</html>\n' "$i" "$i" >"$WORK/pages/p$i.html"
done
printf '<html><body><main><p>The slow page answers late but it does '\
'answer, with enough words to be evidence.</p></main></body></html>\n' \
    >"$WORK/pages/slow.html"

# offering N: its own page, and the one extra URL its number gives.
{
	echo '{"name": "judge overlap test", "offerings": ['
	for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
		case $i in
		02) extra=https://cohere.com/slow ;;
		05) extra=https://cohere.com/trust ;;
		10) extra=https://fixture.test/p/01 ;;
		12) extra=https://fixture.test/slower ;;
		*) extra=https://fixture.test/p/$i ;;
		esac
		[ "$i" = 01 ] || echo ','
		cat <<JSON
  {"id": "o$i", "name": "O$i", "developer": "Test", "platform": "Test",
   "category": "first_party", "dimensions": {
    "soc2_type2": {"value": "yes_public", "confidence": "high",
      "verified": "2026-07-05", "source": "https://fixture.test/p/$i",
      "archived": null},
    "retention_zdr": {"value": "yes_public", "confidence": "high",
      "verified": "2026-07-05", "source": "$extra", "archived": null}}}
JSON
	done
	echo ']}'
} >"$WORK/registry.json"

# cohere.com's probe (any unknown path) takes 1.5 s and its /trust is
# that same page at once; fixture.test's unknown paths are plain 404s.
cat >"$WORK/routes" <<ROUTES
cohere.com /trust page $F/not-found.html
cohere.com /slow page $WORK/pages/slow.html delay=1500
cohere.com /* page $F/not-found.html delay=1500
fixture.test /slower page $WORK/pages/slow.html delay=3000
ROUTES
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
	echo "fixture.test /p/$i page $WORK/pages/p$i.html"
done >>"$WORK/routes"

check "test CA and certificate made" make_certs
check "fixture server started" start_fixture "$WORK/routes"
REGISTRY=$WORK/registry.json write_config "$WORK/conf" "log_level = debug"

"$TREG_BIN" --config "$WORK/conf" --once --format json --now "$NOW" \
    >"$WORK/once.json" 2>"$WORK/once.err"
check "the crawl exits 0 or 1" test $? -le 1

# The running count each offering was judged with.
running() {
	sed -n "s/.*crawl: offering=$1 judged running=\([0-9]*\).*/\1/p" \
	    "$WORK/once.err"
}
state_is() { [ "$(jq_cell "$WORK/once.json" "$2" ".state")" = "$3" ]; }
cell() {
	jq -r --arg o "$1" --arg c "$2" ".offerings[] | select(.id == \$o) |
	    .cells[] | select(.id == \$c) | $3" "$WORK/once.json"
}

check "every offering judged once" \
    test "$(grep -c 'judged running=' "$WORK/once.err")" -eq 12
check "offering 1 judged while the slowest page was still running" \
    test "$(running o01)" -ge 1
check "offering 11 too" test "$(running o11)" -ge 1
check "offering 12, citing the slowest page, judged once it ended" \
    test "$(running o12)" -eq 0
check "the report lists the offerings in registry order" \
    test "$(jq -r '[.offerings[].id] | join(" ")' "$WORK/once.json")" = \
    "o01 o02 o03 o04 o05 o06 o07 o08 o09 o10 o11 o12"
check "24 cells reported" \
    test "$(jq '[.offerings[].cells[]] | length' "$WORK/once.json")" -eq 24
check "the slow page was fetched before its offering was judged" \
    test "$(cell o02 retention_zdr '.evidence[0].fetched')" = true
check "so was the slowest" \
    test "$(cell o12 retention_zdr '.evidence[0].fetched')" = true
check "the slowest page's cell is fresh" \
    test "$(cell o12 retention_zdr .state)" = fresh
check "the soft 404 was judged after its host's probe" \
    test "$(cell o05 retention_zdr '.evidence[0].reason')" = soft-404
check "a page two offerings share is fresh in both" \
    test "$(cell o10 retention_zdr .state)/$(cell o01 soc2_type2 .state)" \
    = fresh/fresh
check "every other cell is fresh" test "$(jq '[.offerings[].cells[] |
    select(.state != "fresh")] | length' "$WORK/once.json")" -eq 1

# What was judged as the crawl went is what judging afterwards gives.
"$TREG_BIN" --config "$WORK/conf" --report --format json \
    >"$WORK/report.json" 2>"$WORK/report.err"
summary() {
	jq -c '[.offerings[] | .id as $o | .cells[] |
	    [$o, .id, .state, .reasons, [.evidence[] | .digest, .reason]]]' "$1"
}
check "the stored verdicts are the ones reported" \
    test "$(summary "$WORK/once.json")" = "$(summary "$WORK/report.json")"
finish
