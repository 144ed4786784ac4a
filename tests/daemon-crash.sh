#!/bin/sh
# SPDX-License-Identifier: MIT
# Crash safety: the daemon is killed with SIGKILL at 20 moments during
# crawls against the fixture server (pages answer slowly, so transfers are
# in flight), restarted each time.  The store must open every time, no
# committed observation may be lost (each piece of evidence's latest
# fetch time never goes back), and the final verdicts must equal those of
# an undisturbed run over the same pages.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/daemon-lib.sh"

KILLS=20

# latest_fetches STATE_CONF OUT: "cell role at" lines from --report.
latest_fetches() {
	"$TREG_BIN" --config "$1" --report --format json >"$WORK/r.json" \
	    2>>"$WORK/report.err"
	[ $? -le 1 ] || return 1
	jq -r '.offerings[].cells[] | .id as $c | .evidence[]? |
	    "\($c) \(.role) \(.at // 0)"' "$WORK/r.json" | sort >"$2"
}

# not_older PREV NEXT: no line of NEXT has an older time than in PREV.
not_older() {
	awk 'NR == FNR { t[$1 " " $2] = $3; next }
	    ($1 " " $2) in t && $3 < t[$1 " " $2] { bad++ }
	    END { exit bad > 0 }' "$1" "$2"
}

states() {
	"$TREG_BIN" --config "$1" --report --format json 2>/dev/null |
	    jq -r '.offerings[].cells[] | "\(.id) \(.state)"' | sort
}

check "test CA and certificate made" make_certs
first_light_routes "$WORK/routes"
sed 's|$| delay=150|' "$WORK/routes" \
    >"$WORK/routes.slow"
check "fixture server started" start_fixture "$WORK/routes.slow"
write_config "$WORK/conf.calm" "interval = 2s"
sed "s|^state_dir = .*|state_dir = $WORK/killed|" "$WORK/conf.calm" \
    >"$WORK/conf.killed"

# The undisturbed run.
start_daemon "$WORK/conf.calm"
check "undisturbed: every URL fetched" wait_for 20 distinct_fetched_ge 6
sleep 3
stop_daemon TERM
check "undisturbed: exit 0" test "$DAEMON_RC" = 0
states "$WORK/conf.calm" >"$WORK/states.calm"
check "undisturbed: 11 verdicts" test "$(wc -l <"$WORK/states.calm")" -eq 11

: >"$WORK/prev"
opened=0
kept=0
i=1
while [ $i -le $KILLS ]; do
	pause=$(awk -v s=$i 'BEGIN { srand(s); printf "%.2f", 0.1 + rand() * 0.9 }')
	start_daemon "$WORK/conf.killed"
	sleep "$pause"
	stop_daemon KILL
	if latest_fetches "$WORK/conf.killed" "$WORK/next"; then
		opened=$((opened + 1))
		not_older "$WORK/prev" "$WORK/next" && kept=$((kept + 1))
		mv "$WORK/next" "$WORK/prev"
	fi
	i=$((i + 1))
done
check "the store opened after each of $KILLS kills" test $opened -eq $KILLS
check "no committed observation lost across $KILLS kills" \
    test $kept -eq $KILLS
check "no daemon refused to start" \
    test "$(grep -c 'cannot start' "$WORK/daemon.err")" -eq 0

# Then left alone long enough to fetch everything once more.
start_daemon "$WORK/conf.killed"
sleep 5
stop_daemon TERM
check "after the kills: clean exit" test "$DAEMON_RC" = 0
states "$WORK/conf.killed" >"$WORK/states.killed"
check "final verdicts equal the undisturbed run's" \
    cmp -s "$WORK/states.calm" "$WORK/states.killed"

finish
