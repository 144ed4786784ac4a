#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS
# (default 30).  "make fuzz" and "make fuzz-smoke" call it with the
# flags configure found; it builds under $FUZZ_OUT, never in the source
# tree.  New inputs go to $FUZZ_OUT/corpus/TARGET; the tree's seeds, the
# regression inputs and the shared corpus are read only.
#
# usage: fuzz.sh build | run [TARGET...]
set -eu

: "${TREG_SRCDIR:?}" "${FUZZ_OUT:?}"
: "${FUZZ_CC:=clang}" "${FUZZ_SECONDS:=30}" "${FUZZ_JOBS:=1}"
: "${TREG_SHARED:=$TREG_SRCDIR/../shared}"
: "${FUZZ_CPPFLAGS:=}" "${FUZZ_LIBS:=}"
: "${FUZZ_SYSCONFDIR:=/etc/trustreg-crawl}" "${FUZZ_SBINDIR:=/usr/sbin}"
: "${FUZZ_DATADIR:=/usr/share/trustreg-crawl}"
fz=$TREG_SRCDIR/tests/fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer $san"

# FUZZ_CPPFLAGS holds configure's DEFS, whose values carry backslash
# quoting for the shell, so compile commands go through eval; the path
# macros the Makefile passes in single quotes are rebuilt here.
paths="-DTREG_SYSCONFDIR='\"$FUZZ_SYSCONFDIR\"'"
paths="$paths -DTREG_DATADIR='\"$FUZZ_DATADIR\"'"
paths="$paths -DTREG_SBINDIR='\"$FUZZ_SBINDIR\"'"
paths="$paths -DTREG_SRCDIR='\"$TREG_SRCDIR\"'"
cc() {
	eval "$FUZZ_CC $cflags -iquote '$TREG_SRCDIR/src' $paths" \
	    "$FUZZ_CPPFLAGS" '"$@"'
}

targets() {
	for f in "$fz"/fuzz_*.c; do
		t=${f##*/fuzz_}
		echo "${t%.c}"
	done
}

# The library is built once with fuzzer-no-link instrumentation from
# every src/*.c but main.c, so targets for modules added later (robots,
# bundle, WARC) need only their own fuzz_*.c.
build() {
	mkdir -p "$FUZZ_OUT/obj" "$FUZZ_OUT/bin"
	objs=
	for src in "$TREG_SRCDIR"/src/*.c; do
		base=${src##*/}
		[ "$base" = main.c ] && continue
		obj=$FUZZ_OUT/obj/${base%.c}.o
		if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
			cc -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
		fi
		objs="$objs $obj"
	done
	rm -f "$FUZZ_OUT/libtreg-fuzz.a"
	ar cr "$FUZZ_OUT/libtreg-fuzz.a" $objs
	for t in $(targets); do
		cc -fsanitize=fuzzer "$fz/fuzz_$t.c" \
		    "$FUZZ_OUT/libtreg-fuzz.a" $FUZZ_LIBS \
		    -o "$FUZZ_OUT/bin/fuzz_$t"
	done
}

# Extra read-only corpora per target, from the shared corpus.  The
# article pages are gzipped; libFuzzer reads plain files, so they are
# unpacked under $FUZZ_OUT.
shared_dirs() {
	case $1 in
	extract|charset)
		[ -d "$TREG_SHARED/corpus" ] || return 0
		d=$FUZZ_OUT/shared-html
		if [ ! -d "$d" ]; then
			mkdir -p "$d"
			find "$TREG_SHARED/corpus/ota-genai" -name '*.html' \
			    -exec cp {} "$d/" \;
			aeb=$TREG_SHARED/corpus/article-extraction-benchmark
			for g in "$aeb"/html/*.html.gz; do
				[ -f "$g" ] || continue
				b=${g##*/}
				gzip -dc "$g" >"$d/${b%.gz}"
			done
			h5=$TREG_SHARED/corpus/html5lib-tree-construction
			cp "$h5"/*.dat "$d/" 2>/dev/null || :
		fi
		echo "$d"
		;;
	warc)
		echo "$TREG_SHARED/corpus/warc-samples"
		;;
	esac
}

run_one() {
	t=$1
	bin=$FUZZ_OUT/bin/fuzz_$t
	work=$FUZZ_OUT/corpus/$t
	log=$FUZZ_OUT/fuzz_$t.log
	mkdir -p "$work" "$FUZZ_OUT/crashes/$t"

	# Every input that once crashed a target must pass first.
	reg=$fz/regressions/$t
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
		"$bin" -runs=0 "$reg"/* >"$FUZZ_OUT/regress_$t.log" 2>&1 || {
			echo "fuzz: $t: a regression input fails:"
			tail -n 40 "$FUZZ_OUT/regress_$t.log"
			return 1
		}
	fi

	dirs=$work
	[ -d "$fz/corpus/$t" ] && dirs="$dirs $fz/corpus/$t"
	for d in $(shared_dirs "$t"); do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=65536 \
	    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_OUT/crashes/$t/" $dirs >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz: $t: ok, ${execs:-?} executions in ${FUZZ_SECONDS}s"
		return 0
	fi
	echo "fuzz: $t: FAILED, input kept in $FUZZ_OUT/crashes/$t/"
	grep -A 30 'ERROR: \|runtime error' "$log" | head -n 60
	return 1
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case $cmd in
build)
	build
	;;
run)
	build
	[ $# -gt 0 ] || set -- $(targets)
	rc=0
	for t in "$@"; do
		run_one "$t" || rc=1
	done
	exit $rc
	;;
*)
	echo "usage: $0 build | run [TARGET...]" >&2
	exit 2
	;;
esac
