#!/bin/sh
# SPDX-License-Identifier: MIT
# Bodies parked while the extraction pool is full: 48 different pages on
# one host, six of them past the 256 KiB a transfer keeps in memory, are
# crawled with --once by one extraction thread, whose pool takes four
# bodies, while sixteen transfers run at once.  The pages are sent
# gzip'd, so that they arrive faster than a worker extracts them: most
# finished bodies must wait for room, with the fetcher held.  Every page
# must still get its text and exactly one WARC record holding its bytes,
# and the text digests must be those of an inline run and of a
# two-thread run.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

H=fixture.test
NPAGES=48
NOW=2026-07-06T00:00:00Z
DAY=2026-07-06
DIMS="soc2_type2 iso_27001 iso_42001 trust_center hipaa_baa gdpr_dpa
training_on_customer_data retention_zdr"
# The runs below set the number of threads themselves.
unset TREG_EXTRACT_THREADS

# Page N holds its own quotation and paragraphs, then markup without
# text, slow to parse but small once compressed; every eighth page is
# about 450 KiB, so that its body spills to a file.
mkdir "$WORK/pages"
LC_ALL=C awk -v n=$NPAGES -v dir="$WORK/pages" 'BEGIN {
	for (i = 1; i <= n; i++) {
		f = sprintf("%s/p%02d.html", dir, i)
		printf "<!doctype html><html><head><title>Policy %d" \
		    "</title></head><body><main><h1>Policy %d</h1>\n", i, i >f
		printf "<p>Page %d keeps customer records for %d days.</p>\n",
		    i, i + 10 >f
		lines = i % 8 == 0 ? 7000 : 150 + 10 * i
		for (k = 0; k < lines; k++)
			printf "<p>Paragraph %d of page %d says %d.</p>\n",
			    k, i, k * i >f
		for (k = 0; k < 2000; k++)
			print "<div class=\"row\"><span><b><i></i></b></span>" \
			    "<span></span></div>" >f
		print "</main></body></html>" >f
		close(f)
	}
}'

# Each page as a raw response, gzip'd once here rather than by the
# server at each request; and the payload digest its record must have.
: >"$WORK/routes"
: >"$WORK/expected"
i=1
while [ $i -le $NPAGES ]; do
	p=$(printf 'p%02d' $i)
	gzip -9 -c "$WORK/pages/$p.html" >"$WORK/$p.gz"
	{
		printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n'
		printf 'Content-Encoding: gzip\r\nContent-Length: %s\r\n\r\n' \
		    "$(wc -c <"$WORK/$p.gz")"
		cat "$WORK/$p.gz"
	} >"$WORK/$p.http"
	echo "$H /$p raw $WORK/$p.http" >>"$WORK/routes"
	d=$(openssl dgst -sha256 -binary "$WORK/pages/$p.html" | base32 -w0)
	echo "https://$H/$p sha256:$d" >>"$WORK/expected"
	i=$((i + 1))
done
sort -o "$WORK/expected" "$WORK/expected"

# Six offerings of eight cells, one page each, quoting it.
jq -n --arg h $H --arg dims "$DIMS" --argjson n $NPAGES '
	($dims | gsub("\n"; " ") | split(" ")) as $d
	| [range(1; $n + 1) | {n: ., p: (tostring
	    | if length < 2 then "p0" + . else "p" + . end)}] as $pages
	| {offerings: [range(0; $n / ($d | length)) as $o | {
	    id: "o\($o + 1)", name: "Offering \($o + 1)",
	    dimensions: ([range(0; $d | length) as $k
		| $pages[$o * ($d | length) + $k] as $pg | {key: $d[$k],
		value: {value: "yes_public", confidence: "high",
		    verified: "2026-07-05", source: "https://\($h)/\($pg.p)",
		    notes: "\"Page \($pg.n) keeps customer records for \(
		    $pg.n + 10) days\"."}}] | from_entries)}]}' \
    >"$WORK/registry.json"

check "test CA and certificate made" make_certs
check "fixture server started" start_fixture "$WORK/routes"

# crawl NAME THREADS: one --once run into a state directory of its own.
crawl() {
	REGISTRY=$WORK/registry.json write_config "$WORK/conf-$1" \
	    "host_delay_ms = 0
max_connections = 16
per_host = 16
extract_threads = $2
log_level = debug"
	sed -i '/^host_delay_ms = 20$/d' "$WORK/conf-$1"
	# A parked body never handed over would leave the crawl waiting
	# for it forever: a minute is plenty, even for a sanitizer build.
	timeout 60 "$TREG_BIN" --config "$WORK/conf-$1" \
	    --state-dir "$WORK/state-$1" --once --format json --now $NOW \
	    >"$WORK/$1.json" 2>"$WORK/$1.err"
	echo $? >"$WORK/$1.rc"
}

cells() { jq "[.offerings[].cells[] | $2] | length" "$WORK/$1.json"; }

# The URL and text digest of every source, sorted.
digests() {
	jq -r '.offerings[].cells[].evidence[] | select(.role == "source") |
	    "\(.url) \(.digest)"' "$WORK/$1.json" | sort
}

# Each response record of the day's WARC file as "URI DIGEST FRAMING",
# its payload written to $WORK/warc-NAME/ under the URI's last part.
# The block is the HTTP head, the payload, then CRLF CRLF.
warc_records() {
	mkdir -p "$WORK/warc-$1"
	gzip -dc "$WORK/state-$1/warc/$DAY.warc.gz" |
	    LC_ALL=C awk -v dir="$WORK/warc-$1" '
	BEGIN { RS = "WARC/1\\.0\r\n" }
	NR > 1 {
		h = index($0, "\r\n\r\n")
		head = substr($0, 1, h - 1)
		block = substr($0, h + 4)
		uri = field(head, "WARC-Target-URI")
		type = field(head, "WARC-Type")
		len = field(head, "Content-Length")
		b = index(block, "\r\n\r\n")
		payload = substr(block, b + 4, length(block) - b - 7)
		name = uri
		sub(/.*\//, "", name)
		printf "%s", payload >(dir "/" name)
		close(dir "/" name)
		print type, uri, field(head, "WARC-Payload-Digest"),
		    length(block) == len + 4 ? "framed" : "misframed"
	}
	function field(head, name,    i, v) {
		i = index(head, name ": ")
		if (i == 0)
			return "-"
		v = substr(head, i + length(name) + 2)
		return substr(v, 1, index(v "\r", "\r") - 1)
	}' >"$WORK/warc-$1.txt"
}

# payloads_match NAME: each record's payload is its page, byte for byte.
payloads_match() {
	for f in "$WORK"/pages/*.html; do
		cmp -s "$f" "$WORK/warc-$1/$(basename "$f" .html)" || return 1
	done
}

requests() { grep -c " GET /p[0-9][0-9] " "$WORK/requests.log"; }

check "six pages over 256 KiB" test "$(find "$WORK/pages" -size +256k |
    wc -l)" -eq 6

for run in 1:park1 2:park2 0:inline; do
	threads=${run%%:*}
	name=${run#*:}
	before=$(requests)
	crawl "$name" "$threads"
	check "$name: exits 0" test "$(cat "$WORK/$name.rc")" = 0
	# One thread's pool is full most of the time (34 to 40 of the 48
	# bodies waited in trials); with two it may not be.
	[ "$name" = park1 ] && check "$name: bodies parked, then unparked" \
	    sh -c "grep -q ' parked: pool full' '$WORK/$name.err' &&
	    grep -q ' unparked' '$WORK/$name.err'"
	check "$name: each page fetched once" \
	    test $(($(requests) - before)) -eq $NPAGES
	check "$name: $NPAGES cells" test "$(cells "$name" .)" -eq $NPAGES
	check "$name: every cell fresh" \
	    test "$(cells "$name" 'select(.state != "fresh")')" -eq 0
	check "$name: every cell's quotation found" test "$(cells "$name" \
	    'select(.quotes | map(.found) == [true])')" -eq $NPAGES
	digests "$name" >"$WORK/$name.digests"
	check "$name: $NPAGES different text digests" test \
	    "$(cut -d' ' -f2 "$WORK/$name.digests" | grep -v null |
	    sort -u | wc -l)" -eq $NPAGES

	warc_records "$name"
	check "$name: one response record a page" test \
	    "$(grep -c '^response ' "$WORK/warc-$name.txt")" -eq $NPAGES
	check "$name: every record framed by its Content-Length" \
	    test "$(grep -vc ' framed$' "$WORK/warc-$name.txt")" -eq 0
	check "$name: payload digests are the pages'" test \
	    "$(cut -d' ' -f2,3 "$WORK/warc-$name.txt" | sort)" = \
	    "$(cat "$WORK/expected")"
	check "$name: payloads are the pages" payloads_match "$name"
	check "$name: no spill file left" \
	    test -z "$(find "$WORK/state-$name" -maxdepth 1 -name '.body-*')"
done

check "one thread: same text digests as inline" \
    cmp -s "$WORK/park1.digests" "$WORK/inline.digests"
check "two threads: same text digests as inline" \
    cmp -s "$WORK/park2.digests" "$WORK/inline.digests"

finish
