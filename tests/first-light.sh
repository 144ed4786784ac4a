#!/bin/sh
# SPDX-License-Identifier: MIT
# First light: the real Cohere API offering (data/registry.json) crawled
# through the whole stack against our fixture HTTPS server standing in for
# the four evidence hosts, judged over four runs: all fresh; one page
# edited and a quotation dropped; months later, stale; server gone.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

F=$FIXTURES/first-light
TC=trustcenter.cohere.com
EDC=/enterprise-data-commitments
GPAI=/en/policies/contents-code-gpai
WB=/web/20260705000000id_

# routes EDC_PAGE: the route table, with the live data-commitments page.
routes() {
	cat >"$WORK/routes.tmp" <<ROUTES
$TC / page $F/trustcenter.html type=text/html;charset=utf-8
cohere.com $EDC page $F/$1 type=text/html
digital-strategy.ec.europa.eu $GPAI page $F/gpai-code.html type=text/html
web.archive.org $WB/https://$TC/ page $F/trustcenter.html type=text/html
web.archive.org $WB/https://cohere.com$EDC page $F/data-commitments.html type=text/html
web.archive.org $WB/https://digital-strategy.ec.europa.eu$GPAI page $F/gpai-code.html type=text/html
ROUTES
	mv "$WORK/routes.tmp" "$WORK/routes"
}

crawl() {
	"$TREG_BIN" --config "$WORK/conf" --once --format json --now "$1" \
	    cohere-api >"$WORK/$2.json" 2>"$WORK/$2.err"
	echo $? >"$WORK/$2.rc"
}

rc_is() { [ "$(cat "$WORK/$1.rc")" = "$2" ]; }
state_is() { [ "$(jq_cell "$WORK/$1.json" "$2" .state)" = "$3" ]; }
flag_has() { jq_cell "$WORK/$1.json" "$2" '.flags[]' | grep -qx "$3"; }

ALL_CELLS="soc2_type2 iso_27001 iso_42001 trust_center hipaa_baa gdpr_dpa
training_on_customer_data retention_zdr data_residency gpai_cop art53_summary"
SOURCED=$(echo $ALL_CELLS | sed 's/ art53_summary//')

check "test CA and certificate made" make_certs
routes data-commitments.html
check "fixture server started" start_fixture "$WORK/routes"
write_config "$WORK/conf"

# Run 1: the day after verification, everything matches.
crawl 2026-07-06T00:00:00Z run1
check "run 1 exits 0" rc_is run1 0
check "run 1 reports 11 cells" \
    test "$(jq '[.offerings[].cells[]] | length' "$WORK/run1.json")" = 11
for c in $SOURCED; do
	check "run 1: $c fresh" state_is run1 "$c" fresh
done
check "run 1: art53_summary no-source" state_is run1 art53_summary no-source
check "run 1: hipaa_baa quotations found" test \
    "$(jq_cell "$WORK/run1.json" hipaa_baa \
    '[.evidence[] | select(.role == "source") | .quotes[]] | all')" = true
check "run 1: each of the 6 distinct URLs fetched once" \
    test "$(grep -vc robots.txt "$WORK/requests.log")" -eq 6

# Run 2: the data-commitments page is reworded and loses the ZDR quotation.
routes data-commitments-v2.html
crawl 2026-07-07T00:00:00Z run2
check "run 2 exits 1" rc_is run2 1
check "run 2: training cell changed" \
    state_is run2 training_on_customer_data changed
check "run 2: retention cell quote-missing" \
    state_is run2 retention_zdr quote-missing
for c in soc2_type2 iso_27001 iso_42001 trust_center hipaa_baa gdpr_dpa \
    data_residency gpai_cop; do
	check "run 2: $c still fresh" state_is run2 "$c" fresh
done

# Run 3: months later every cell is also past review.
crawl 2026-12-04T00:00:00Z run3
check "run 3 exits 1" rc_is run3 1
for c in $ALL_CELLS; do
	check "run 3: $c stale" flag_has run3 "$c" stale
done
check "run 3: retention still quote-missing" \
    state_is run3 retention_zdr quote-missing

# Run 4: the server is gone; failures are reported, history is kept.
stop_fixture
crawl 2026-12-05T00:00:00Z run4
check "run 4 exits 1" rc_is run4 1
for c in $SOURCED; do
	check "run 4: $c reports the fetch failure" test \
	    "$(jq_cell "$WORK/run4.json" "$c" \
	    '.evidence[] | select(.role == "source") | .error')" = connect
done
check "run 4: art53_summary has no evidence to fail" \
    test "$(jq_cell "$WORK/run4.json" art53_summary '.evidence | length')" = 0

# The store still holds the baseline: back online, the verdicts of run 3.
check "fixture server restarted" start_fixture "$WORK/routes"
write_config "$WORK/conf"
crawl 2026-12-06T00:00:00Z run5
check "run 5: training cell changed against the kept baseline" \
    state_is run5 training_on_customer_data changed
check "run 5: retention cell quote-missing" \
    state_is run5 retention_zdr quote-missing
check "run 5: trust center cell fresh apart from age" \
    state_is run5 trust_center stale
# --report exits as --once would: 1, since cells need attention.
report() {
	"$TREG_BIN" --config "$WORK/conf" --report --format json \
	    >"$WORK/report.json"
	[ $? -eq 1 ]
}
check "--report prints the stored verdicts" report
check "--report has all 11 cells" \
    test "$(jq '[.offerings[].cells[]] | length' "$WORK/report.json")" = 11

finish
