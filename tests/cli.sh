#!/bin/sh
# SPDX-License-Identifier: MIT
# The command line: each mode's options, and an option the mode would
# ignore refused with exit 2 and a message saying where it applies (a
# newcomer's -f with no mode started the daemon).  Nothing is fetched:
# the registry's one cell has no source.
. "${TREG_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

cat >"$WORK/registry.json" <<'REG'
{"name": "cli", "offerings": [{"id": "o1", "name": "O1",
 "developer": "D", "platform": "P", "category": "first_party",
 "sort_order": 1, "dimensions": {"soc2_type2": {"value": "unclear",
 "confidence": "medium", "verified": "2026-11-01", "notes": "n",
 "source": null, "archived": null}}}]}
REG
printf 'registry = %s\nstate_dir = %s\n' "$WORK/registry.json" \
    "$WORK/state" >"$WORK/conf"

# refused WHAT ARGS...: exit 2 with a message naming WHAT.
refused() {
	what=$1
	shift
	"$TREG_BIN" --config "$WORK/conf" "$@" >"$WORK/out" 2>"$WORK/err"
	[ $? -eq 2 ] && grep -q -- "$what" "$WORK/err"
}

check "-f alone (the daemon) is refused" \
    refused "--format applies only to --once and --report" -f json
check "--check -f is refused" \
    refused "--format applies only" --check -f json
check "--show -f is refused" \
    refused "--format applies only" --show o1/soc2_type2 -f json
check "--report --now is refused" \
    refused "--now applies only to --once" --report \
    --now 2026-12-01T00:00:00Z
check "--check --now is refused" \
    refused "--now applies only" --check --now 2026-12-01T00:00:00Z
check "an offering without --once is refused" \
    refused "offerings are named only with --once" --report o1
check "two modes are refused" refused "once" --once --report
check "--config twice is refused" \
    refused "--config given twice" --config "$WORK/conf" --check
check "--show before any store is refused" \
    refused "no store in $WORK/state" --show o1/soc2_type2
check "an unknown option is named" \
    refused "trustreg-crawl: unknown option --bogus (see --help)" --bogus
check "a missing value is named" \
    refused "trustreg-crawl: --now needs a value" --once --now
check "a value for a flag is refused" \
    refused "trustreg-crawl: --once takes no value" --once=3

"$TREG_BIN" --config "$WORK/conf" --once --format json \
    --now 2026-12-01T00:00:00Z >"$WORK/once.json" 2>"$WORK/once.err"
check "--once --format json --now runs" test $? -eq 0
check "its cell has no source" grep -q '"state": "no-source"' \
    "$WORK/once.json"
"$TREG_BIN" --config "$WORK/conf" --report --format atom \
    >"$WORK/report.atom" 2>"$WORK/report.err"
check "--report --format atom runs" test $? -eq 0
check "--show without a slash or scheme is refused" \
    refused "--show takes OFFERING/CELL or a URL" --show o1
check "--show of a cell not in the registry says so" \
    refused "the registry has no cell o1/nope" --show o1/nope
check "--show of a URL never fetched says so" \
    refused "was never fetched" --show http://127.0.0.1:9/x
check "... and prints nothing" test ! -s "$WORK/out"
"$TREG_BIN" --config "$WORK/conf" --show o1/soc2_type2 >"$WORK/show.out" \
    2>"$WORK/show.err"
check "--show OFFERING/CELL exits 0" test $? -eq 0
check "... with its state and baseline" grep -q "^Baseline" "$WORK/show.out"
check "... and says why it has no history" \
    grep -q "no evidence URL: nothing is fetched" "$WORK/show.out"
check "--now before 1970 is refused" \
    refused "in the years 1970-9999" --once --now 1969-12-31T23:59:59Z
printf 'registry = missing.json\n' >"$WORK/missing.conf"
"$TREG_BIN" --config "$WORK/missing.conf" --check >"$WORK/out" 2>"$WORK/err"
check "a registry that cannot be opened names the config line" \
    grep -q "missing.json: open: .*(registry set at $WORK/missing.conf:1)" \
    "$WORK/err"
"$TREG_BIN" --config "$WORK/conf" --check >"$WORK/check.out" 2>&1
check "--check counts one cell" grep -q "1 offering, 1 cell$" \
    "$WORK/check.out"

# A report from the store says how many registry cells it leaves out:
# here o2's two, until a run judges them.
cat >"$WORK/two.json" <<'REG'
{"name": "cli", "offerings": [{"id": "o1", "name": "O1",
 "developer": "D", "platform": "P", "category": "first_party",
 "sort_order": 1, "dimensions": {"soc2_type2": {"value": "unclear",
 "confidence": "medium", "verified": "2026-11-01", "notes": "n",
 "source": null, "archived": null}}},
 {"id": "o2", "name": "O2", "developer": "D", "platform": "P",
 "category": "first_party", "sort_order": 2, "dimensions": {
 "soc2_type2": {"value": "unclear", "confidence": "medium",
 "verified": "2026-11-01", "notes": "n", "source": null,
 "archived": null}, "iso_27001": {"value": "unclear",
 "confidence": "medium", "verified": "2026-11-01", "notes": "n",
 "source": null, "archived": null}}}]}
REG
printf 'registry = %s\nstate_dir = %s\n' "$WORK/two.json" \
    "$WORK/state2" >"$WORK/two.conf"
"$TREG_BIN" --config "$WORK/two.conf" --once o1 >/dev/null 2>&1
check "--once o1 of two offerings runs" test $? -eq 0
"$TREG_BIN" --config "$WORK/two.conf" --report --format json \
    >"$WORK/two.json.out" 2>&1
check "--report counts o2's cells as not judged" \
    grep -q '"not_judged": 2,' "$WORK/two.json.out"
check "... and no verdict of a cell gone from the registry" \
    grep -q '"not_in_registry": 0,' "$WORK/two.json.out"
"$TREG_BIN" --config "$WORK/two.conf" --report >"$WORK/two.txt" 2>&1
check "... exits 1: those cells are not known to be fresh" test $? -eq 1
check "... and the text report says so" grep -q \
    "^2 cells of the registry not judged yet: no verdict stored \
(o2/soc2_type2 and o2/iso_27001)$" \
    "$WORK/two.txt"
"$TREG_BIN" --config "$WORK/two.conf" --report --format html \
    >"$WORK/two.html" 2>&1
check "... and the HTML report" grep -q "2 cells of the registry not" \
    "$WORK/two.html"
"$TREG_BIN" --config "$WORK/two.conf" --once >/dev/null 2>&1
"$TREG_BIN" --config "$WORK/two.conf" --report --format json \
    >"$WORK/two.json.out" 2>&1
check "once all are judged none is left out" \
    grep -q '"not_judged": 0,' "$WORK/two.json.out"
"$TREG_BIN" --config "$WORK/two.conf" --report >"$WORK/two.txt" 2>&1
check "... --report exits 0" test $? -eq 0
check "... and the text report says nothing of it" \
    eval '! grep -q "not judged" "$WORK/two.txt"'

# o1 re-verified in the registry since its verdict: the report says so.
sed '0,/"verified": "2026-11-01"/s//"verified": "2026-11-30"/' \
    "$WORK/two.json" >"$WORK/reverified.json"
sed "s|$WORK/two.json|$WORK/reverified.json|" "$WORK/two.conf" \
    >"$WORK/reverified.conf"
"$TREG_BIN" --config "$WORK/reverified.conf" --report --format json \
    >"$WORK/reverified.out" 2>&1
check "--report notes a cell the registry changed since its verdict" \
    test "$(jq -r '.offerings[0].cells[0].info[0]' "$WORK/reverified.out")" \
    = "the registry has changed this cell since this verdict (verified \
2026-11-30), which stands until the cell is judged again"
check "... that cell only" test "$(jq '[.offerings[].cells[].info[]] |
    length' "$WORK/reverified.out")" -eq 1

"$TREG_BIN" --config "$WORK/reverified.conf" --show o1/soc2_type2 \
    >"$WORK/show-rev.out" 2>&1
check "--show of a cell still in the registry has no removal note" \
    eval '! grep -q "no longer in the registry" "$WORK/show-rev.out"'

# o2 leaves the registry: its stored verdicts are left out, and counted.
sed "s|$WORK/two.json|$WORK/registry.json|" "$WORK/two.conf" \
    >"$WORK/one.conf"
"$TREG_BIN" --config "$WORK/one.conf" --report --format json \
    >"$WORK/one.json.out" 2>&1
check "--report of a smaller registry lists its one cell" \
    grep -q '"cells": 1,' "$WORK/one.json.out"
check "... and counts o2's two verdicts left out" \
    grep -q '"not_in_registry": 2,' "$WORK/one.json.out"
"$TREG_BIN" --config "$WORK/one.conf" --report >"$WORK/one.txt" 2>&1
check "... and the text report says so" grep -q \
    "^2 stored verdicts of cells no longer in the registry left out$" \
    "$WORK/one.txt"
"$TREG_BIN" --config "$WORK/one.conf" --show o2/iso_27001 \
    >"$WORK/show-gone.out" 2>&1
check "--show of a removed cell says it left the registry" grep -q \
    "^o2/iso_27001 is no longer in the registry: this is its last verdict" \
    "$WORK/show-gone.out"

# A registry that does not load: every stored verdict, counts unknown.
printf '{' >"$WORK/broken.json"
sed "s|$WORK/two.json|$WORK/broken.json|" "$WORK/two.conf" \
    >"$WORK/broken.conf"
"$TREG_BIN" --config "$WORK/broken.conf" --report --format json \
    >"$WORK/broken.out" 2>"$WORK/broken.err"
check "--report without a registry still prints, exit 0" test $? -eq 0
check "... every stored verdict" grep -q '"cells": 3,' "$WORK/broken.out"
check "... with the counts unknown" \
    grep -q '"not_judged": null,' "$WORK/broken.out"
check "... and a warning saying so" grep -q \
    "warning: registry: .*broken.json.*; the report lists every stored" \
    "$WORK/broken.err"
"$TREG_BIN" --config "$WORK/broken.conf" --report >"$WORK/broken.txt" \
    2>/dev/null
check "... as does the text report's head" grep -q \
    "^The registry could not be read: every stored verdict is listed" \
    "$WORK/broken.txt"

# Every offering renamed: nothing of the registry is judged, and the
# store's verdicts are all of cells gone; the report says both.
sed 's/"id": "o1"/"id": "o9"/' "$WORK/registry.json" >"$WORK/renamed.json"
sed "s|$WORK/two.json|$WORK/renamed.json|" "$WORK/two.conf" \
    >"$WORK/renamed.conf"
"$TREG_BIN" --config "$WORK/renamed.conf" --report --format json \
    >"$WORK/renamed.out" 2>"$WORK/renamed.err"
check "--report with every offering renamed prints, exit 1" test $? -eq 1
check "... counting one cell not judged and three gone" jq -e \
    '.summary | .cells == 0 and .not_judged == 1 and .not_in_registry == 3' \
    "$WORK/renamed.out"
finish
