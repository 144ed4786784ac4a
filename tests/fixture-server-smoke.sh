#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Smoke test for tests/fixture-server: starts it over TLS on 127.0.0.1 with
# a CA and certificate made here, and checks each feature with curl.  Every
# request goes to 127.0.0.1 through --resolve.  Only the server started here
# is stopped, by its PID, and the temporary directory is removed on exit.
#
# usage: fixture-server-smoke.sh [FIXTURE_SERVER]

if [ -n "$1" ]; then
	server=$1
elif [ -n "$TREG_BUILDDIR" ]; then
	server=$TREG_BUILDDIR/tests/fixture-server
else
	server=./tests/fixture-server
fi
srcdir=$(cd "$(dirname "$0")" && pwd)
data=$srcdir/data/fixture-server

for tool in curl openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "fixture-server-smoke: $tool not found" >&2
		exit 99
	fi
done
if [ ! -x "$server" ]; then
	echo "fixture-server-smoke: no server binary at $server" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fixture-smoke.XXXXXX") || exit 99
pid=
passed=0
failed=0

cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
}

check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
}

# --- certificates -----------------------------------------------------
cd "$tmp" || exit 99
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fixture-ca \
    -keyout ca.key -out ca.pem \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign >/dev/null 2>&1 &&
openssl req -newkey rsa:2048 -nodes -subj /CN=fixture.test \
    -keyout server.key -out server.csr >/dev/null 2>&1 || exit 99
san=DNS:trustcenter.cohere.com,DNS:cohere.com
san=$san,DNS:digital-strategy.ec.europa.eu,DNS:web.archive.org
san=$san,DNS:fixture.test,IP:127.0.0.1
cat > ext.cnf <<EOF
subjectAltName=$san
basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth
EOF
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
    -CAcreateserial -days 2 -extfile ext.cnf -out server.pem \
    >/dev/null 2>&1 || exit 99

# --- fixture files ----------------------------------------------------
crlf() {
	printf '%s\r\n' "$@"
}
{ crlf 'HTTP/1.1 200 OK' 'Content-Type: text/plain' 'X-Odd:  kept as is ' \
    'Content-Length: 6' ''; printf 'raw-1\n'; } > raw1.http
{ crlf 'HTTP/1.1 200 OK' 'Content-Type: text/plain' 'Content-Length: 6' ''
    printf 'raw-2\n'; } > raw2.http
{ crlf 'HTTP/1.1 200 OK' 'Content-Length: 1000' ''
    printf '0123456789'; } > short.http
{ crlf 'HTTP/1.1 200 OK' 'Content-Length: 5368709120' ''
    printf '<html><body>'; } > huge.http
crlf 'HTTP/1.1 200 OK' 'Transfer-Encoding: chunked' 'Connection: close' \
    '' > chunked.http
crlf 'HTTP/1.1 302 Found' 'Location: /gate' \
    'Set-Cookie: consent=1; Path=/' 'Content-Length: 0' '' \
    > gate-redirect.http
{ crlf 'HTTP/1.1 200 OK' 'Content-Length: 12' ''
    printf 'gate passed\n'; } > gate-ok.http
printf 'filler line\n%.0s' 1 2 3 4 5 6 7 8 9 10 > chunk.bin
printf '<p>x</p>' > x.txt
cp "$data/hello.html" "$data/hello.html.br" .

cat > routes.1 <<'EOF'
# smoke test routes
fixture.test /hello page hello.html lastmod="Mon, 03 Jun 2024 10:00:00 GMT"
fixture.test /hello-br page hello.html br brfile=hello.html.br
fixture.test /gz page hello.html gzip if-accepted
fixture.test /hdr page hello.html type=text/plain header="X-Test: yes"
# (options may not wrap: one route per line)
fixture.test /hdr2 page hello.html status=203
cohere.com /hello page raw1.http type=text/plain
fixture.test /raw raw raw1.http raw2.http
fixture.test /redir redirect 301 /hello
fixture.test /abs redirect 302 https://cohere.com/elsewhere
fixture.test /teapot status 418
fixture.test /seq raw raw1.http count=1
fixture.test /seq raw raw2.http count=2-3
fixture.test /seq status 410
fixture.test /gate raw gate-ok.http cookie=consent=1
fixture.test /gate raw gate-redirect.http
fixture.test /prefix/* status 204
fixture.test /stall raw short.http stall-after=48
fixture.test /silent status 200 silent
fixture.test /reset raw short.http reset-after=30
fixture.test /close raw short.http close-after=48
fixture.test /drip raw raw1.http drip=16:150
fixture.test /delay raw raw1.http delay=700
fixture.test /huge-headers status 200 huge-headers=20000
fixture.test /endless-chunk raw chunked.http endless-chunk=chunk.bin
fixture.test /endless-body raw huge.http endless-body="<p>x</p>"
* /any status 202
EOF
cp routes.1 routes

# --- start ------------------------------------------------------------
"$server" --routes routes --cert server.pem --key server.key \
    --port-file port --log requests.log 2>server.err &
pid=$!
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s port ]; then
	echo "fixture-server-smoke: server did not start" >&2
	cat server.err >&2
	exit 1
fi
port=$(cat port)
base=https://fixture.test:$port

fetch() {
	curl -sS --no-progress-meter --max-time 20 --cacert ca.pem \
	    --resolve "fixture.test:$port:127.0.0.1" \
	    --resolve "cohere.com:$port:127.0.0.1" "$@"
}

# --- basic features ---------------------------------------------------
check "port file holds a port" test "$port" -gt 0

code=$(fetch -o body -w '%{http_code}' "$base/hello")
check "page serves over TLS" \
    sh -c "[ '$code' = 200 ] && cmp -s body '$data/hello.html'"

# curl writes no file for an empty body, so clear it before each check.
etag=$(fetch -o /dev/null -D - "$base/hello" | tr -d '\r' |
    awk 'tolower($1) == "etag:" { print $2 }')
rm -f body
code=$(fetch -o body -w '%{http_code}' -H "If-None-Match: $etag" \
    "$base/hello")
check "If-None-Match gives 304 without body" \
    sh -c "[ '$code' = 304 ] && [ ! -s body ]"

code=$(fetch -o /dev/null -w '%{http_code}' \
    -H 'If-Modified-Since: Tue, 04 Jun 2024 10:00:00 GMT' "$base/hello")
check "If-Modified-Since gives 304" [ "$code" = 304 ]

code=$(fetch -o /dev/null -w '%{http_code}' \
    -H 'If-Modified-Since: Sun, 02 Jun 2024 10:00:00 GMT' "$base/hello")
check "older If-Modified-Since gives 200" [ "$code" = 200 ]

fetch -o /dev/null -D headers "$base/hdr"
fetch -o /dev/null -D headers2 "$base/hdr2"
check "page options type= header= status=" \
    sh -c "grep -q '^HTTP/1.1 203' headers2 &&
    grep -qi '^Content-Type: text/plain' headers &&
    grep -qi '^X-Test: yes' headers"

fetch -sS -v -o /dev/null -o /dev/null "$base/hello" "$base/hello" \
    2>verbose
check "keep-alive: curl reuses the connection" \
    grep -q 'Re-using existing connection' verbose

fetch --raw -i -o got "$base/raw"
check "raw file is byte exact" cmp -s got raw1.http
fetch --raw -i -o got "$base/raw"
check "raw second file on second request" cmp -s got raw2.http
fetch --raw -i -o got "$base/raw"
check "raw last file repeats" cmp -s got raw2.http

body=$(fetch "https://cohere.com:$port/hello")
check "routing by Host" [ "$body" = "$(cat raw1.http)" ]

code=$(fetch -o /dev/null -w '%{http_code}' "$base/nothing")
check "no route gives 404" [ "$code" = 404 ]
code=$(fetch -o /dev/null -w '%{http_code}' "$base/any")
check "host * matches" [ "$code" = 202 ]
code=$(fetch -o /dev/null -w '%{http_code}' "$base/prefix/a/b?q=1")
check "path prefix with *" [ "$code" = 204 ]

re="^[0-9]{13} fixture.test GET /hello [0-9]+ 1 route=2 n=[0-9]+"
re="$re if-none-match=$etag if-modified-since=- cookie=- accept-encoding=-"
re="$re user-agent=curl/"
check "log line has host, method, path, conn, active and headers" \
    grep -Eq "$re" requests.log

sed 's#^fixture.test /teapot status 418#fixture.test /teapot status 402#' \
    routes.1 > routes.tmp && mv routes.tmp routes
code=$(fetch -o /dev/null -w '%{http_code}' "$base/teapot")
check "route file reload on rename" [ "$code" = 402 ]

# --- sequencing, cookies, redirects, encodings ------------------------
s1=$(fetch "$base/seq")
s2=$(fetch "$base/seq")
s3=$(fetch "$base/seq")
c4=$(fetch -o /dev/null -w '%{http_code}' "$base/seq")
check "count= picks a line per request number" \
    [ "$s1 $s2 $s3 $c4" = "raw-1 raw-2 raw-2 410" ]

loc=$(fetch -o /dev/null -w '%{http_code} %{redirect_url}' "$base/redir")
check "relative redirect" [ "$loc" = "301 $base/hello" ]
loc=$(fetch -o /dev/null -w '%{http_code} %{redirect_url}' "$base/abs")
check "absolute redirect" \
    [ "$loc" = "302 https://cohere.com/elsewhere" ]

body=$(fetch -L -c jar -b jar "$base/gate")
check "cookie= selects the line (redirect then 200)" \
    [ "$body" = "gate passed" ]

fetch --compressed -o body -D headers "$base/gz"
check "gzip on the fly when accepted" \
    sh -c "grep -qi '^Content-Encoding: gzip' headers &&
    cmp -s body '$data/hello.html'"
fetch -o body -D headers "$base/gz"
check "if-accepted: identity when not accepted" \
    sh -c "! grep -qi '^Content-Encoding' headers &&
    cmp -s body '$data/hello.html'"
fetch --compressed -o body -D headers "$base/hello-br"
check "br from brfile=" \
    sh -c "grep -qi '^Content-Encoding: br' headers &&
    cmp -s body '$data/hello.html'"

# --- faults -----------------------------------------------------------
rm -f body
fetch --max-time 2 -o body "$base/stall" 2>/dev/null
rc=$?
check "stall-after: curl times out after the first bytes" \
    sh -c "[ $rc = 28 ] && [ \$(wc -c < body) = 7 ]"

fetch --max-time 1 -o /dev/null "$base/silent" 2>/dev/null
check "silent: curl times out with nothing" [ $? = 28 ]

fetch -o /dev/null "$base/reset" 2>/dev/null
check "reset-after: connection reset (curl 56)" [ $? = 56 ]

fetch -o /dev/null "$base/close" 2>/dev/null
check "close-after: partial file (curl 18)" [ $? = 18 ]

t=$(fetch -o body -w '%{time_total}' "$base/drip")
check "drip: slow but complete" \
    sh -c "[ \"\$(cat body)\" = raw-1 ] && awk 'BEGIN { exit !($t >= 0.5) }'"

t=$(fetch -o /dev/null -w '%{time_total}' "$base/delay")
check "delay: answer after the delay" awk "BEGIN { exit !($t >= 0.6) }"

size=$(fetch -o /dev/null -w '%{size_header}' "$base/huge-headers")
check "huge-headers: about 20000 bytes of headers" \
    awk "BEGIN { exit !($size >= 20000 && $size < 20400) }"

# A slow reader must not make the server buffer: RSS stays flat.
before=$(rss_kb)
fetch --limit-rate 200k --max-time 3 -o body "$base/endless-chunk" \
    2>/dev/null
rc=$?
after=$(rss_kb)
check "endless-chunk: stopped by curl, body is repeated chunks" \
    sh -c "[ $rc = 28 ] && [ \$(wc -c < body) -gt 100000 ] &&
    head -c 12 body | grep -q 'filler line'"
check "endless-chunk: server RSS flat (${before} -> ${after} kB)" \
    [ $((after - before)) -lt 16384 ]

before=$(rss_kb)
fetch --limit-rate 200k --max-time 3 -o body "$base/endless-body" \
    2>/dev/null
rc=$?
after=$(rss_kb)
check "endless-body: never ends" \
    sh -c "[ $rc = 28 ] && grep -q '<p>x</p><p>x</p>' body"
check "endless-body: server RSS flat (${before} -> ${after} kB)" \
    [ $((after - before)) -lt 16384 ]

fetch --max-filesize 2000000 -o /dev/null "$base/endless-body" \
    2>/dev/null
check "huge Content-Length: refused by --max-filesize" [ $? = 63 ]

# --- stats, reload by SIGHUP, shutdown --------------------------------
fetch --max-time 1 -o /dev/null "$base/silent" 2>/dev/null &
c1=$!
fetch --max-time 1 -o /dev/null "$base/silent" 2>/dev/null &
c2=$!
sleep 0.5
stats=$(fetch "$base/__stats")
wait $c1 $c2
check "/__stats counts concurrent connections per host" \
    sh -c "echo '$stats' |
    grep -Eq '\"fixture.test\":\\{\"requests\":[0-9]+,\"max_active\":[2-9]'"

# Same inode, size and mtime: only the signal can make it reload.
cp -p routes routes.ref
sed 's#/teapot status 402#/teapot status 418#' routes.ref > routes.hup
cat routes.hup > routes
touch -r routes.ref routes
code=$(fetch -o /dev/null -w '%{http_code}' "$base/teapot")
kill -HUP "$pid"
sleep 0.3
code2=$(fetch -o /dev/null -w '%{http_code}' "$base/teapot")
check "SIGHUP reloads an in-place edit" [ "$code $code2" = "402 418" ]

"$server" --routes routes --listen 0.0.0.0:0 2>/dev/null
check "non-loopback --listen refused" [ $? = 2 ]

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: clean exit (status 0)" [ "$rc" = 0 ]
if [ -s server.err ]; then
	echo "# server stderr:"
	sed 's/^/# /' server.err
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
