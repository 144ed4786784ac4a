# SPDX-License-Identifier: MIT
# Helpers of the daemon tests, on top of tests/lib.sh: the first-light
# fixture routes, a daemon started in the background with a test
# notification socket (tests/notify-recv), waiting for a condition with a
# deadline, and stopping the daemon by its PID.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

NOTIFY_BIN="$TREG_BUILDDIR/tests/notify-recv"
DAEMON_PID=
NOTIFY_PID=
F=$FIXTURES/first-light
TC=trustcenter.cohere.com
WB=/web/20260705000000id_

daemon_cleanup() {
	stop_daemon KILL
	if [ "$failed" -gt 0 ] && [ -s "$WORK/daemon.err" ]; then
		echo "--- daemon log (last 40 lines)"
		tail -n 40 "$WORK/daemon.err"
		echo "--- requests"
		tail -n 20 "$WORK/requests.log" 2>/dev/null | cut -c1-160
	fi
	if [ -n "$NOTIFY_PID" ]; then
		kill "$NOTIFY_PID" 2>/dev/null
		wait "$NOTIFY_PID" 2>/dev/null
		NOTIFY_PID=
	fi
	cleanup
}
trap daemon_cleanup EXIT

# first_light_routes FILE [EXTRA]: the routes of the Cohere offering.
first_light_routes() {
	cat >"$1.tmp" <<ROUTES
$TC / page $F/trustcenter.html type=text/html;charset=utf-8
cohere.com /enterprise-data-commitments page $F/data-commitments.html type=text/html
digital-strategy.ec.europa.eu /en/policies/contents-code-gpai page $F/gpai-code.html type=text/html
web.archive.org $WB/https://$TC/ page $F/trustcenter.html type=text/html
web.archive.org $WB/https://cohere.com/enterprise-data-commitments page $F/data-commitments.html type=text/html
web.archive.org $WB/https://digital-strategy.ec.europa.eu/en/policies/contents-code-gpai page $F/gpai-code.html type=text/html
ROUTES
	[ $# -ge 2 ] && printf '%s\n' "$2" >>"$1.tmp"
	mv "$1.tmp" "$1"
}

# start_notify: the notification socket at $WORK/notify.sock.
start_notify() {
	rm -f "$WORK/notify.log" "$WORK/notify.sock"
	: >"$WORK/notify.log"
	"$NOTIFY_BIN" "$WORK/notify.sock" "$WORK/notify.log" &
	NOTIFY_PID=$!
	wait_for 5 test -S "$WORK/notify.sock"
}

# start_daemon CONF [ENV=VALUE...]: runs the daemon in the background,
# stderr to $WORK/daemon.err (appended), sets DAEMON_PID.
start_daemon() {
	conf=$1
	shift
	env NOTIFY_SOCKET="$WORK/notify.sock" "$@" \
	    "$TREG_BIN" --config "$conf" 2>>"$WORK/daemon.err" &
	DAEMON_PID=$!
}

# stop_daemon [SIGNAL]: signals the daemon (TERM), waits, sets DAEMON_RC.
stop_daemon() {
	DAEMON_RC=
	[ -n "$DAEMON_PID" ] || return 0
	kill -"${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	DAEMON_PID=
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds.
wait_for() {
	limit=$(($1 * 10))
	shift
	n=0
	until "$@"; do
		n=$((n + 1))
		[ $n -ge $limit ] && return 1
		sleep 0.1
	done
}

# fetches PATTERN: how many requests the fixture logged matching it.
fetches() {
	grep -v robots.txt "$WORK/requests.log" 2>/dev/null | grep -c -- "$1"
}

# quiet COMMAND...: runs it with its output thrown away.
quiet() { "$@" >/dev/null 2>&1; }

# report_ok CONF: --report opens the store and judges (exit 0 or 1).
report_ok() {
	"$TREG_BIN" --config "$1" --report >/dev/null 2>&1
	[ $? -le 1 ]
}

at_least() { [ "$(fetches "$1")" -ge "$2" ]; }

# distinct_fetched_ge N: at least N distinct URLs were requested.
distinct_fetched_ge() {
	[ "$(grep -v robots.txt "$WORK/requests.log" 2>/dev/null |
	    awk '{ print $2 $4 }' | sort -u | wc -l)" -ge "$1" ]
}

# notified_ge N LINE: the notification LINE arrived at least N times.
notified_ge() {
	[ "$(grep -cx -- "$2" "$WORK/notify.log")" -ge "$1" ]
}

# never_early SECONDS: no URL was requested again less than SECONDS after
# its previous request (the fixture logs milliseconds first).
never_early() {
	grep -v robots.txt "$WORK/requests.log" | awk -v min="$1" '
	    { k = $2 $4; if (k in last && $1 - last[k] < min * 1000) bad++;
	      last[k] = $1 }
	    END { exit bad > 0 }'
}
