#!/bin/sh
# SPDX-License-Identifier: MIT
# Cell regions, baselines and report files against the fixture server:
# one trust-center page cited by seven cells, where one cell's paragraph
# and the footer year change (one cell flagged, six fresh, the footer
# listed as page-level information); an archived copy from the verified
# date that already differs from the live page (the first run flags the
# cell); an archived copy that changes (archives must not move); a newer
# verified date that resets the baseline; report files; --show.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

F=$FIXTURES/report
WB=/web/20260705120000id_
ACME="soc2_type2 iso_27001 iso_42001 trust_center hipaa_baa gdpr_dpa
data_residency"

# routes TRUST_PAGE SECURITY_ARCHIVE
routes() {
	cat >"$WORK/routes.tmp" <<ROUTES
trustcenter.cohere.com /trust page $F/$1 type=text/html
cohere.com /policy page $F/policy-live.html type=text/html
cohere.com /security page $F/security.html type=text/html
web.archive.org $WB/https://cohere.com/policy page $F/policy-archived.html type=text/html
web.archive.org $WB/https://cohere.com/security page $F/$2 type=text/html
ROUTES
	mv "$WORK/routes.tmp" "$WORK/routes"
}

crawl() {
	"$TREG_BIN" --config "$WORK/conf" --once --format json --now "$1" \
	    >"$WORK/$2.json" 2>"$WORK/$2.err"
	echo $? >"$WORK/$2.rc"
}

cellq() { jq -r --arg o "$2" --arg c "$3" \
    ".offerings[] | select(.id == \$o) | .cells[] | select(.id == \$c) | $4" \
    "$WORK/$1.json"; }
state_is() { [ "$(cellq "$1" "$2" "$3" .state)" = "$4" ]; }
flag_has() { cellq "$1" "$2" "$3" '.flags[]' | grep -qx "$4"; }
info_has() { cellq "$1" "$2" "$3" '.info[]' | grep -q "$4"; }
reason_has() { cellq "$1" "$2" "$3" '.reasons[]' | grep -q "$4"; }

check "test CA and certificate made" make_certs
routes trust-v1.html security.html
check "fixture server started" start_fixture "$WORK/routes"
REGISTRY=$F/registry.json write_config "$WORK/conf"

# Run 1: the day after verification.
crawl 2026-07-06T00:00:00Z run1
for c in $ACME; do
	check "run 1: acme $c fresh" state_is run1 acme-api "$c" fresh
done
check "run 1: acme regions hold the quotation, not the whole page" test \
    "$(cellq run1 acme-api hipaa_baa \
    '.evidence[0].region.whole_text')" = false
# The archived copy is from the verified date and already differs from
# the live page: the very first run knows.
check "run 1: beta training cell flagged at once" \
    flag_has run1 beta-api training_on_customer_data changed
check "run 1: beta training cell quotation missing" \
    state_is run1 beta-api training_on_customer_data quote-missing
check "run 1: beta training baseline is the archived copy" test \
    "$(cellq run1 beta-api training_on_customer_data \
    '.evidence[0].baseline.archived')" = true
check "run 1: the diff shows the changed words" test -n \
    "$(cellq run1 beta-api training_on_customer_data \
    '.evidence[0].diff[].added' | grep 'unless')"
check "run 1: beta soc2 fresh against its archived copy" \
    state_is run1 beta-api soc2_type2 fresh
check "run 1 report files written" test -s "$WORK/state/reports/latest.html" \
    -a -s "$WORK/state/reports/latest.atom" \
    -a -s "$WORK/state/reports/latest.json" \
    -a -s "$WORK/state/reports/latest.txt" \
    -a -s "$WORK/state/reports/report-2026-07-06.json"

warc_count() { gzip -dc "$WORK/state/warc/$1.warc.gz" |
    grep -c '^WARC-Type: response'; }
check "run 1: five first responses archived as WARC records" \
    test "$(warc_count 2026-07-06)" -eq 5
check "run 1: the WARC holds the archived copy's bytes" \
    sh -c "gzip -dc '$WORK/state/warc/2026-07-06.warc.gz' |
    grep -q 'Beta never trains its models'"

# Run 2: the HIPAA paragraph and the footer year change; the archived
# copy of the security page changes too.
routes trust-v2.html security-moved.html
crawl 2026-07-07T00:00:00Z run2
check "run 2: acme hipaa_baa changed" \
    state_is run2 acme-api hipaa_baa changed
check "run 2: acme hipaa_baa diff names the new sentence" test -n \
    "$(cellq run2 acme-api hipaa_baa '.evidence[0].diff[].added' |
    grep 'excludes')"
n=0
for c in $ACME; do
	[ "$c" = hipaa_baa ] && continue
	check "run 2: acme $c still fresh" state_is run2 acme-api "$c" fresh
	check "run 2: acme $c lists the footer change as information" \
	    info_has run2 acme-api "$c" "footer: \"2025\" -> \"2026\""
	n=$((n + 1))
done
check "run 2: six acme cells fresh" test "$n" -eq 6
check "run 2: beta soc2 archived copy moved" \
    reason_has run2 beta-api soc2_type2 "archives must not move"
check "run 2: JSON report is version 2" \
    test "$(jq .version "$WORK/run2.json")" = 2

check "run 2: only the two changed responses archived" \
    test "$(warc_count 2026-07-07)" -eq 2

# Run 3: the training cell is re-verified on 2026-07-07 with the new
# wording; its baseline resets to the first observation since.
jq '(.offerings[1].dimensions
    .training_on_customer_data) |= (.verified = "2026-07-07" |
    .notes = "The page states \"Beta may train its models on customer prompts unless customers opt out.\"")' \
    "$F/registry.json" >"$WORK/registry-reverified.json"
REGISTRY=$WORK/registry-reverified.json write_config "$WORK/conf"
crawl 2026-07-08T00:00:00Z run3
check "run 3: re-verified training cell fresh" \
    state_is run3 beta-api training_on_customer_data fresh
check "run 3: its baseline is no longer the archived copy" test \
    "$(cellq run3 beta-api training_on_customer_data \
    '.evidence[0].baseline.archived')" = false

check "run 3: unchanged responses not archived" \
    test ! -e "$WORK/state/warc/2026-07-08.warc.gz"

# Reading without crawling, with the server gone.
stop_fixture
"$TREG_BIN" --config "$WORK/conf" --report --format html \
    >"$WORK/report.html" 2>"$WORK/report.err"
check "--report --format html prints a page" \
    grep -q '<article class="cell s-changed" id="acme-api/hipaa_baa">' \
    "$WORK/report.html"
"$TREG_BIN" --config "$WORK/conf" --report --format atom \
    >"$WORK/report.atom" 2>>"$WORK/report.err"
check "--report --format atom has an entry for hipaa_baa" \
    grep -q 'cell/acme-api/hipaa_baa/changed/2026-07-07T00:00:00Z' \
    "$WORK/report.atom"
"$TREG_BIN" --config "$WORK/conf" --show acme-api/hipaa_baa \
    >"$WORK/show-cell.txt" 2>"$WORK/show.err"
check "--show OFFERING/CELL exits 0" test $? -eq 0
check "--show OFFERING/CELL starts with the verdict and its times" \
    grep -q '^Verdict judged .*, in this state since 2026-07-07T00:00:00Z:$' \
    "$WORK/show-cell.txt"
check "... then the cell" test "$(sed -n 2p "$WORK/show-cell.txt" |
    cut -c1-31)" = "acme-api / hipaa_baa  CHANGED  "
check "... not a whole report's sections" \
    test "$(grep -c '^Needs attention\|^Fresh (' "$WORK/show-cell.txt")" -eq 0
check "--show OFFERING/CELL lists three observations" \
    grep -q 'trust: 3 observations' "$WORK/show-cell.txt"
check "--show OFFERING/CELL shows region digests" \
    test "$(grep -c ' region [0-9a-f]' "$WORK/show-cell.txt")" -eq 3
check "--show OFFERING/CELL shows the diff" \
    grep -q 'changed: .*\[-covers-\] {+now' "$WORK/show-cell.txt"
"$TREG_BIN" --config "$WORK/conf" --show https://trustcenter.cohere.com/trust \
    >"$WORK/show-url.txt" 2>>"$WORK/show.err"
check "--show URL lists the observations" \
    grep -q '3 observations' "$WORK/show-url.txt"
"$TREG_BIN" --config "$WORK/conf" --show nobody/nothing \
    >/dev/null 2>>"$WORK/show.err"
check "--show of an unknown cell exits 2" test $? -eq 2

# Run 4: the extraction rules version is bumped (built-in 3, staged 4),
# as when extract.c changes: stored digests are re-derived from raw bodies,
# the baselines rewritten for the new rules, and no cell changes state.
states() { jq -r '.offerings[].cells[] | "\(.id) \(.state)"' "$WORK/$1.json"; }
check "fixture server restarted" start_fixture "$WORK/routes"
REGISTRY=$WORK/registry-reverified.json write_config "$WORK/conf" \
    "log_level = info"
export TREG_TEST_RULES_VERSION=4
crawl 2026-07-09T00:00:00Z run4
unset TREG_TEST_RULES_VERSION
check "run 4: a rules bump changes no cell's state" \
    test "$(states run3)" = "$(states run4)"
check "run 4: acme hipaa_baa still changed" \
    state_is run4 acme-api hipaa_baa changed
check "run 4: acme soc2_type2 still fresh" \
    state_is run4 acme-api soc2_type2 fresh
check "run 4: baselines were re-derived" grep -q 're-derived' \
    "$WORK/run4.err"
"$TREG_BIN" --config "$WORK/conf" --show acme-api/hipaa_baa \
    >"$WORK/show-run4.txt" 2>>"$WORK/show.err"
check "run 4: the baseline is of the cell as verified 2026-07-05" \
    grep -Eq '^  the .* text as (fetched|captured) .*, for the cell as verified 2026-07-05$' \
    "$WORK/show-run4.txt"
check "run 4: the baseline record carries rules version 4" \
    grep -Eq '^  navigation, .*; text extraction rules version 4$' \
    "$WORK/show-run4.txt"

# Run 5: with history_days = 1, the old observations go, except the
# first text and the baselines; every verdict stays as it was.
TREG_TEST_RULES_VERSION=4
export TREG_TEST_RULES_VERSION
REGISTRY=$WORK/registry-reverified.json write_config "$WORK/conf" \
    "history_days = 1"
crawl 2026-07-20T00:00:00Z run5
unset TREG_TEST_RULES_VERSION
check "run 5: pruning changes no cell's state" \
    test "$(states run4)" = "$(states run5)"
"$TREG_BIN" --config "$WORK/conf" --show https://trustcenter.cohere.com/trust \
    >"$WORK/show-run5.txt" 2>>"$WORK/show.err"
check "run 5: the trust page keeps its first and latest observations" \
    grep -q '2 observations' "$WORK/show-run5.txt"

# Run 6: a trust page of about 400 KiB, past what a transfer keeps in
# memory, so its raw body spills to a file: the WARC record still holds
# it byte for byte.
{
	sed '/<\/main>/,$d' "$F/trust-v2.html"
	i=0
	while [ $i -lt 6000 ]; do
		echo "<p>Padding paragraph $i of a large page.</p>"
		i=$((i + 1))
	done
	echo "</main></body></html>"
} >"$WORK/trust-big.html"
routes_big() {
	sed "s|page $F/trust-v2.html|page $WORK/trust-big.html|" \
	    "$WORK/routes" >"$WORK/routes.tmp" && mv "$WORK/routes.tmp" \
	    "$WORK/routes"
}
routes_big
stop_fixture
check "fixture server restarted for the large page" \
    start_fixture "$WORK/routes"
REGISTRY=$WORK/registry-reverified.json write_config "$WORK/conf"
crawl 2026-07-21T00:00:00Z run6
check "run 6: the large page is over 256 KiB" \
    test "$(wc -c <"$WORK/trust-big.html")" -gt 262144
want=$(openssl dgst -sha256 -binary "$WORK/trust-big.html" | base32 -w0 |
    tr -d =)
check "run 6: the WARC record's payload digest is the large page's" \
    sh -c "gzip -dc '$WORK/state/warc/2026-07-21.warc.gz' |
    tr -d '=\r' | grep -q 'WARC-Payload-Digest: sha256:$want'"
check "run 6: no spill file left in the state directory" \
    test -z "$(find "$WORK/state" -maxdepth 1 -name '.body-*')"

# Run 7: the report files cannot be written (a file stands where the
# reports directory should be): the run fails, but still prints its
# report and names the file it could not write.
mv "$WORK/state/reports" "$WORK/reports.saved"
: >"$WORK/state/reports"
crawl 2026-07-22T00:00:00Z run7
check "run 7: report files that cannot be written fail the run" \
    test "$(cat "$WORK/run7.rc")" = 2
check "run 7: the report is still printed" \
    jq -e '.offerings | length > 0' "$WORK/run7.json"
check "run 7: the error names the report file" \
    grep -q 'file=[^ ]*/reports/report-2026-07-22' "$WORK/run7.err"
rm -f "$WORK/state/reports"
mv "$WORK/reports.saved" "$WORK/state/reports"

finish
