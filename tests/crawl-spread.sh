#!/bin/sh
# SPDX-License-Identifier: MIT
# A one-shot crawl starts its URLs a host at a time in turn.  cohere.com
# holds 528 URLs, more than the crawl keeps queued at once, and sorts
# before fixture.test's one: in sorted order fixture.test waited until
# cohere.com's queue drained, as a registry's hosts sorted after its
# archive's host did.  Now fixture.test is asked among the first.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

printf '<html><body><main><p>The data processing terms say customer '\
'records are deleted after thirty days.</p></main></body></html>\n' \
    >"$WORK/page.html"

# 48 offerings of 11 cells on cohere.com, then one on fixture.test.
{
	echo '{"name": "spread test", "offerings": ['
	for o in $(seq 1 48); do
		printf '  {"id": "o%02d", "name": "O%s", "developer": "T",' \
		    "$o" "$o"
		printf ' "platform": "T", "category": "first_party",'
		printf ' "dimensions": {\n'
		c=0
		for k in soc2_type2 iso_27001 iso_42001 trust_center \
		    hipaa_baa gdpr_dpa training_on_customer_data \
		    retention_zdr data_residency gpai_cop art53_summary; do
			c=$((c + 1))
			[ $c -gt 1 ] && printf ',\n'
			printf '    "%s": {"value": "yes_public",' "$k"
			printf ' "confidence": "high", "verified": "2026-07-05",'
			printf ' "source": "https://cohere.com/p/%s/%s",' "$o" "$k"
			printf ' "archived": null}'
		done
		printf '}},\n'
	done
	cat <<'JSON'
  {"id": "z", "name": "Z", "developer": "T", "platform": "T",
   "category": "first_party", "dimensions": {
    "soc2_type2": {"value": "yes_public", "confidence": "high",
      "verified": "2026-07-05", "source": "https://fixture.test/late",
      "archived": null}}}
]}
JSON
} >"$WORK/registry.json"

cat >"$WORK/routes" <<ROUTES
cohere.com /p/* page $WORK/page.html
fixture.test /late page $WORK/page.html
ROUTES

check "test CA and certificate made" make_certs
check "fixture server started" start_fixture "$WORK/routes"
REGISTRY=$WORK/registry.json write_config "$WORK/conf.tmp"
sed 's/^host_delay_ms = .*/host_delay_ms = 0/' "$WORK/conf.tmp" \
    >"$WORK/conf"

"$TREG_BIN" --config "$WORK/conf" --once --format json \
    --now 2026-07-06T00:00:00Z >"$WORK/once.json" 2>"$WORK/once.err"
check "the crawl exits 0" test $? -eq 0
check "529 cells reported" \
    test "$(jq '[.offerings[].cells[]] | length' "$WORK/once.json")" -eq 529
check "every page fetched once" \
    test "$(grep -c ' /p/' "$WORK/requests.log")" -eq 528
# cohere.com pages asked before fixture.test's one.
before=$(awk '$2 == "fixture.test" && $4 == "/late" { exit }
    $2 == "cohere.com" && $4 ~ /^\/p\// { n++ } END { print n + 0 }' \
    "$WORK/requests.log")
check "fixture.test asked among the first (after $before cohere.com pages)" \
    test "$before" -lt 8
check "every cell is fresh" test "$(jq '[.offerings[].cells[] |
    select(.state != "fresh")] | length' "$WORK/once.json")" -eq 0
finish
