#!/bin/sh
# SPDX-License-Identifier: MIT
# The generated systemd unit: every @VAR@ substituted, clean under
# "systemd-analyze verify", and an exposure of 2.0 or lower under
# "systemd-analyze security --offline=yes".  CI installs systemd (see
# .ci/packages) for systemd-analyze; without it this test fails.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

UNIT=$TREG_BUILDDIR/systemd/trustreg-crawl.service
SA=$(command -v systemd-analyze)

check "systemd-analyze installed (Debian package systemd)" test -n "$SA"
check "unit generated" test -s "$UNIT"
check "every @VAR@ substituted" sh -c "! grep -q '@[a-z]*@' '$UNIT'"
check "Type=notify" grep -qx 'Type=notify' "$UNIT"

# verify wants ExecStart to exist: point it at the binary just built.
sed "s|^ExecStart=.*|ExecStart=$TREG_BIN|" "$UNIT" \
    >"$WORK/trustreg-crawl.service"
if [ -n "$SA" ]; then
	"$SA" verify --man=no "$WORK/trustreg-crawl.service" \
	    >"$WORK/verify.out" 2>&1
	rc=$?
	cat "$WORK/verify.out"
	check "systemd-analyze verify: exit 0" test $rc -eq 0
	check "systemd-analyze verify: no complaints" \
	    test ! -s "$WORK/verify.out"

	"$SA" security --offline=yes "$WORK/trustreg-crawl.service" \
	    >"$WORK/security.out" 2>&1
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$WORK/security.out")
	echo "exposure level: ${level:-unknown}"
	check "exposure level read" test -n "$level"
	check "exposure level <= 2.0" \
	    awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.0) }'
fi

finish
