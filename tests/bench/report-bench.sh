#!/bin/sh
# SPDX-License-Identifier: MIT
# Report generation at registry scale, run by hand (not part of make
# check): a synthetic registry of 1,000 offerings x 11 cells is judged
# once (cells without a source, so nothing is fetched), then the stored
# verdicts are rendered in every format by --report, timed and measured
# for peak RSS with GNU time.  Targets: under 2 s and 64 MiB each.
#   TREG_BUILDDIR=/tmp/build sh tests/bench/report-bench.sh
set -eu
: "${TREG_BUILDDIR:=$(pwd)}"
BIN="$TREG_BUILDDIR/src/trustreg-crawl"
N=${N:-1000}
W=$(mktemp -d "${TMPDIR:-/tmp}/treg-report-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

jq -n --argjson n "$N" '
  ["soc2_type2","iso_27001","iso_42001","trust_center","hipaa_baa",
   "gdpr_dpa","training_on_customer_data","retention_zdr",
   "data_residency","gpai_cop","art53_summary"] as $keys |
  { name: "bench", generated: "2026-07-05", dimensions: {},
    offerings: [range(0; $n) | . as $i | {
      id: "offering-\($i)", name: "Offering \($i)", developer: "Dev",
      platform: "P", category: "first_party", sort_order: $i,
      dimensions: ([$keys[] | { key: ., value: {
        value: "yes_public", confidence: "high",
        verified: (if $i % 3 == 0 then "2025-01-05" else "2026-07-05" end),
        notes: "The vendor states \"customer data is never used for training\" on its page.",
        source: null, archived: null } }] | from_entries) }] }' \
    >"$W/registry.json"
printf 'registry = %s\nstate_dir = %s/state\n' "$W/registry.json" "$W" \
    >"$W/conf"

"$BIN" --config "$W/conf" --once --now 2026-07-06T00:00:00Z \
    >/dev/null 2>&1 || true
ls "$W/state/reports" >/dev/null
for fmt in text json html atom; do
	/usr/bin/time -f "$fmt: %e s, %M KiB peak RSS" "$BIN" \
	    --config "$W/conf" --report --format "$fmt" >"$W/out.$fmt" \
	    2>"$W/time.$fmt" || true
	tail -1 "$W/time.$fmt"
	echo "   $(wc -c <"$W/out.$fmt") bytes"
done
