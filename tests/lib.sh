# SPDX-License-Identifier: MIT
# Shared helpers of the integration tests: a private temporary directory,
# a test CA and server certificate made with openssl, the fixture server
# started on 127.0.0.1, a configuration pointing the crawler at it, and
# pass/fail bookkeeping that ends with "N passed, N failed".

set -u

: "${TREG_BUILDDIR:=$(pwd)}"
: "${TREG_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
TREG_BIN="$TREG_BUILDDIR/src/trustreg-crawl"
FIXTURE_BIN="$TREG_BUILDDIR/tests/fixture-server"
FIXTURES="$TREG_SRCDIR/tests/fixtures"

passed=0
failed=0
FIXTURE_PID=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/treg-test.XXXXXX") || exit 99

cleanup() {
	stop_fixture
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() {
	passed=$((passed + 1))
	echo "ok - $1"
}

fail() {
	failed=$((failed + 1))
	echo "not ok - $1"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# The test hosts every fixture certificate covers.
TEST_HOSTS="trustcenter.cohere.com cohere.com digital-strategy.ec.europa.eu web.archive.org fixture.test"

make_certs() {
	san=""
	for h in $TEST_HOSTS; do san="${san}DNS:$h,"; done
	san="${san}IP:127.0.0.1"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=treg test CA" \
	    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=fixture.test" \
	    -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    "$san" >"$WORK/server.ext"
	openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" \
	    -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
	    -extfile "$WORK/server.ext" -out "$WORK/server.pem" 2>/dev/null
}

# start_fixture ROUTES [tls|plain]: starts the server, sets FIXTURE_PORT.
start_fixture() {
	routes=$1
	mode=${2:-tls}
	rm -f "$WORK/port"
	if [ "$mode" = tls ]; then
		"$FIXTURE_BIN" --routes "$routes" --cert "$WORK/server.pem" \
		    --key "$WORK/server.key" --port-file "$WORK/port" \
		    --log "$WORK/requests.log" 2>>"$WORK/fixture.err" &
	else
		"$FIXTURE_BIN" --routes "$routes" --port-file "$WORK/port" \
		    --log "$WORK/requests.log" 2>>"$WORK/fixture.err" &
	fi
	FIXTURE_PID=$!
	i=0
	while [ ! -s "$WORK/port" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$FIXTURE_PID" 2>/dev/null; then
			echo "fixture server did not start:" >&2
			cat "$WORK/fixture.err" >&2
			return 1
		fi
		sleep 0.05
	done
	FIXTURE_PORT=$(cat "$WORK/port")
}

stop_fixture() {
	if [ -n "$FIXTURE_PID" ]; then
		kill "$FIXTURE_PID" 2>/dev/null
		wait "$FIXTURE_PID" 2>/dev/null
		FIXTURE_PID=
	fi
}

# write_config FILE [EXTRA_LINES]: a configuration sending every test host
# to the fixture, trusting the test CA, allowing 127.0.0.1 only.
write_config() {
	{
		echo "state_dir = $WORK/state"
		echo "registry = ${REGISTRY:-$TREG_SRCDIR/data/registry.json}"
		echo "contact = https://example.org/treg-tests"
		echo "host_delay_ms = 20"
		echo "timeout = 10"
		echo "connect_timeout = 5"
		# Probes add a request per host; tests/soft404.sh turns
		# them on where they are the subject.
		echo "soft404_probe = ${SOFT404_PROBE:-no}"
		# TREG_EXTRACT_THREADS=0 or 1 runs a script on the inline
		# path or a single worker; unset, the default applies.
		[ -n "${TREG_EXTRACT_THREADS:-}" ] &&
		    echo "extract_threads = $TREG_EXTRACT_THREADS"
		[ $# -ge 2 ] && printf '%s\n' "$2"
		echo "[network]"
		echo "ca_file = $WORK/ca.pem"
		echo "allow_address = 127.0.0.1"
		for h in $TEST_HOSTS; do
			echo "resolve = $h:443:127.0.0.1"
			echo "connect_to = $h:443:127.0.0.1:$FIXTURE_PORT"
		done
	} >"$1"
}

# jq_cell FILE CELL FILTER: FILTER applied to one cell of the JSON report.
jq_cell() {
	jq -r --arg c "$2" ".offerings[].cells[] | select(.id == \$c) | $3" "$1"
}
