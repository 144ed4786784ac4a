#!/bin/sh
# SPDX-License-Identifier: MIT
# A one-shot crawl starts its URLs a host at a time in turn.  cohere.com
# holds 528 URLs, more than the crawl keeps queued at once, and both
# sorts and is cited before fixture.test's one: in either order
# fixture.test would wait until cohere.com's queue drained, as a
# registry's other hosts waited on its archive's host.  Now fixture.test
# is asked among the first.
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
# In sorted order it came after 461; a new TLS connection under load may
# let a few dozen go by on cohere.com's open ones.
check "fixture.test asked among the first (after $before cohere.com pages)" \
    test "$before" -lt 150
check "every cell is fresh" test "$(jq '[.offerings[].cells[] |
    select(.state != "fresh")] | length' "$WORK/once.json")" -eq 0

# Hosts visited in turn keep their connections: 4,400 URLs over 22 hosts,
# two transfers a host, took 150-180 connections while libcurl sized its
# cache by the transfers of the moment; 22-26 now.
stop_fixture
hosts=""
for h in $(seq 1 22); do hosts="$hosts h$h.test"; done
TEST_HOSTS="$TEST_HOSTS$hosts"
check "certificate for 22 more hosts made" make_certs
echo "* * page $WORK/page.html" >"$WORK/routes"
: >"$WORK/requests.log"
check "fixture server started again" start_fixture "$WORK/routes"
awk -v hosts="$hosts" 'BEGIN {
	n = split(hosts, h, " ")
	split("soc2_type2 iso_27001 iso_42001 trust_center hipaa_baa " \
	    "gdpr_dpa training_on_customer_data retention_zdr " \
	    "data_residency gpai_cop art53_summary", k, " ")
	print "{\"name\": \"hosts\", \"offerings\": ["
	for (o = 0; o < 400; o++) {
		printf "%s{\"id\": \"o%d\", \"name\": \"O\", " \
		    "\"developer\": \"T\", \"platform\": \"T\", " \
		    "\"category\": \"first_party\", \"dimensions\": {", \
		    (o > 0 ? ",\n" : ""), o
		for (c = 1; c <= 11; c++)
			printf "%s\"%s\": {\"value\": \"yes_public\", " \
			    "\"confidence\": \"high\", \"verified\": " \
			    "\"2026-07-05\", \"source\": " \
			    "\"https://%s/p/%d/%d\", \"archived\": null}", \
			    (c > 1 ? ", " : ""), k[c], h[(o * 11 + c) % n + 1], \
			    o, c
		printf "}}"
	}
	print "]}"
}' >"$WORK/hosts.json"
REGISTRY=$WORK/hosts.json write_config "$WORK/conf.tmp"
sed -e 's/^host_delay_ms = .*/host_delay_ms = 0/' \
    -e "s|^state_dir = .*|state_dir = $WORK/state-hosts|" \
    "$WORK/conf.tmp" >"$WORK/conf"
"$TREG_BIN" --config "$WORK/conf" --once --format json \
    --now 2026-07-06T00:00:00Z >"$WORK/hosts-once.json" 2>"$WORK/hosts.err"
check "the 22-host crawl exits 0" test $? -eq 0
check "4,400 pages fetched" \
    test "$(grep -c ' /p/' "$WORK/requests.log")" -eq 4400
conns=$(awk '{ print $5 }' "$WORK/requests.log" | sort -u | wc -l)
check "over a few connections a host ($conns)" \
    test "$conns" -ge 22 -a "$conns" -le 66

# The same under 200 open files with max_connections = 100: lowered to
# fit, it still keeps an idle connection a transfer (every request had
# reconnected when the transfers took all the room).
: >"$WORK/requests.log"
sed -e "s|^state_dir = .*|state_dir = $WORK/state-hosts-200|" \
    -e 's/^\[network\]$/max_connections = 100\n&/' "$WORK/conf" \
    >"$WORK/conf.200"
(
	ulimit -n 200
	"$TREG_BIN" --config "$WORK/conf.200" --once --format json \
	    --now 2026-07-06T00:00:00Z >/dev/null 2>"$WORK/hosts-200.err"
)
check "under 200 open files the crawl exits 0" test $? -eq 0
conns=$(awk '{ print $5 }' "$WORK/requests.log" | sort -u | wc -l)
# 22-40 when the machine is quiet, more under load, as transfers of 34
# share 34 idle slots among 44 connections; 4,400 without them.
check "... still reusing connections ($conns for 4,400 pages)" \
    test "$conns" -ge 22 -a "$conns" -le 440

# 300 hosts of one URL each, max_connections = 100, 200 open files: the
# transfers and the idle connections kept fit in what is left, where
# running out of descriptors failed every fetch after it.
stop_fixture
keep=$TEST_HOSTS
TEST_HOSTS="$TEST_HOSTS *.h.test"
check "wildcard certificate made" make_certs
TEST_HOSTS=$keep
: >"$WORK/requests.log"
check "fixture server started a third time" start_fixture "$WORK/routes"
awk 'BEGIN {
	print "{\"name\": \"many hosts\", \"offerings\": ["
	for (o = 0; o < 300; o++)
		printf "%s{\"id\": \"m%d\", \"name\": \"M\", " \
		    "\"developer\": \"T\", \"platform\": \"T\", " \
		    "\"category\": \"first_party\", \"dimensions\": " \
		    "{\"soc2_type2\": {\"value\": \"yes_public\", " \
		    "\"confidence\": \"high\", \"verified\": " \
		    "\"2026-07-05\", \"source\": " \
		    "\"https://x%d.h.test/p/1\", \"archived\": null}}}", \
		    (o > 0 ? ",\n" : ""), o, o
	print "]}"
}' >"$WORK/many.json"
REGISTRY=$WORK/many.json write_config "$WORK/conf.tmp"
{
	sed -e 's/^host_delay_ms = .*/host_delay_ms = 0/' \
	    -e "s|^state_dir = .*|state_dir = $WORK/state-many|" \
	    -e 's/^\[network\]$/max_connections = 100\n&/' "$WORK/conf.tmp"
	echo "connect_to = ::127.0.0.1:$FIXTURE_PORT"
} >"$WORK/conf"
(
	ulimit -n 200
	"$TREG_BIN" --config "$WORK/conf" --once --format json \
	    --now 2026-07-06T00:00:00Z >"$WORK/many.out" 2>"$WORK/many.err"
)
check "300 hosts under 200 open files: exit 0" test $? -eq 0
check "... every cell fresh" test "$(jq '[.offerings[].cells[] |
    select(.state == "fresh")] | length' "$WORK/many.out")" -eq 300
check "... with max_connections lowered and said so" \
    grep -q "max_connections=100 is more than 200 open files allow: 34" \
    "$WORK/many.err"

# Under the files one transfer needs besides the rest, every socket
# failed and each URL was stored as failing: refused before any fetch.
: >"$WORK/requests.log"
(
	ulimit -n 24
	"$TREG_BIN" --config "$WORK/conf" --once --format json \
	    --now 2026-07-06T00:00:00Z >"$WORK/few.out" 2>"$WORK/few.err"
)
check "24 open files: refused with exit 2" test $? -eq 2
check "... saying the limit and what is needed" grep -q \
    "open-file limit is 24, and a crawl needs at least 68" \
    "$WORK/few.err"
check "... and nothing fetched" test ! -s "$WORK/requests.log"
finish
