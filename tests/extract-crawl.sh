#!/bin/sh
# SPDX-License-Identifier: MIT
# Extraction through the whole stack: a registry cell with "extract"
# selectors (drop a rotating banner, keep only <main>) and a cell whose
# evidence is a PDF, crawled with --once against the fixture server.  A
# change outside the kept part leaves the cell fresh; a change inside it
# does not; the PDF's quotation is found in its text.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

H=fixture.test

# page N BANNER OUTSIDE RETENTION: one version of the policy page.
page() {
	cat >"$WORK/policy$1.html" <<PAGE
<!doctype html><html><head><title>Acme policy</title></head><body>
<div id="banner">$2</div><header><a href="/">Acme</a></header>
<main><h1>Privacy policy</h1>
<p>We delete customer data within $4 days of a request.</p></main>
<p class="promo">$3</p><p>Cookie settings</p></body></html>
PAGE
}

# A one-page PDF with a correct cross-reference table, built with printf.
make_pdf() {
	f=$WORK/dpa.pdf
	s="BT /F1 12 Tf 72 720 Td (The processor acts only on documented) Tj"
	s="$s 0 -16 Td (instructions from the customer.) Tj ET"
	printf '%%PDF-1.4\n' >"$f"
	o1=$(wc -c <"$f")
	printf '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n' >>"$f"
	o2=$(wc -c <"$f")
	printf '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n' \
	    >>"$f"
	o3=$(wc -c <"$f")
	printf '3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n' \
	    >>"$f"
	o4=$(wc -c <"$f")
	printf '4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n' \
	    $((${#s} + 1)) "$s" >>"$f"
	o5=$(wc -c <"$f")
	printf '5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n' \
	    >>"$f"
	x=$(wc -c <"$f")
	{
		printf 'xref\n0 6\n0000000000 65535 f \n'
		for o in $o1 $o2 $o3 $o4 $o5; do printf '%010d 00000 n \n' $o; done
		printf 'trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' $x
	} >>"$f"
}

routes() {
	cat >"$WORK/routes" <<ROUTES
$H /policy page $WORK/policy$1.html type=text/html;charset=utf-8
$H /dpa.pdf page $WORK/dpa.pdf type=application/pdf
ROUTES
}

cat >"$WORK/registry.json" <<'JSON'
{"offerings": [{"id": "acme", "name": "Acme",
 "extract": {"drop": ["#banner", ".promo"]},
 "dimensions": {
  "trust_center": {"value": "yes_public", "confidence": "high",
   "verified": "2026-07-05", "source": "https://fixture.test/policy",
   "notes": "\"We delete customer data within 30 days\".",
   "extract": {"drop": ["#banner", ".promo"], "keep": ["main"]}},
  "gdpr_dpa": {"value": "yes_public", "confidence": "high",
   "verified": "2026-07-05", "source": "https://fixture.test/dpa.pdf",
   "notes": "\"The processor acts only on documented instructions\"."}
 }}]}
JSON

crawl() {
	routes "$2"
	"$TREG_BIN" --config "$WORK/conf" --once --format json --now "$1" \
	    acme >"$WORK/$3.json" 2>"$WORK/$3.err"
}

src() { jq_cell "$WORK/$1.json" "$2" \
    ".evidence[] | select(.role == \"source\") | $3"; }
state_is() { [ "$(jq_cell "$WORK/$1.json" "$2" .state)" = "$3" ]; }

page 1 "Sale ends Monday" "Try Acme Pro" 30
page 2 "Sale ends Friday" "Acme Pro is half price" 30
page 3 "Sale ends Friday" "Acme Pro is half price" 90
make_pdf
check "test CA and certificate made" make_certs
routes 1
check "fixture server started" start_fixture "$WORK/routes"
REGISTRY=$WORK/registry.json write_config "$WORK/conf"

crawl 2026-07-06T00:00:00Z 1 run1
check "run 1: policy fresh" state_is run1 trust_center fresh
check "run 1: only <main> counted (12 words)" \
    test "$(src run1 trust_center .words)" = 12
check "run 1: policy quotation found" \
    test "$(src run1 trust_center '.quotes[0]')" = true
check "run 1: PDF fresh" state_is run1 gdpr_dpa fresh
check "run 1: PDF text has words" \
    test "$(src run1 gdpr_dpa .words)" -ge 10
check "run 1: PDF quotation found across its lines" \
    test "$(src run1 gdpr_dpa '.quotes[0]')" = true

crawl 2026-07-07T00:00:00Z 2 run2
check "run 2: banner and promo changes ignored" \
    state_is run2 trust_center fresh
check "run 2: same main-text digest" \
    test "$(src run2 trust_center .digest)" = \
    "$(src run1 trust_center .digest)"

crawl 2026-07-08T00:00:00Z 3 run3
check "run 3: edit inside <main> noticed" \
    state_is run3 trust_center quote-missing
check "run 3: policy quotation missing" \
    test "$(src run3 trust_center '.quotes[0]')" = false

finish
