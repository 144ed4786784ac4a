/* SPDX-License-Identifier: MIT */
/*
 * Reports.  The text form leads with the cells that need a maintainer,
 * oldest verification first; the JSON form (documented, versioned, in
 * data/report-format.md) is built with jansson.  Strings that came from a
 * server are repaired on the way out: invalid UTF-8 becomes U+FFFD in
 * both forms, and control characters become '?' in the text form so a
 * report shown on a terminal cannot drive it.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "digest.h"
#include "log.h"
#include "registry.h"
#include "report.h"

#define REPORT_FORMAT_NAME	"trustreg-crawl-report"

/* Atom ids are tag URIs (RFC 4151) under this prefix. */
#define REPORT_ATOM_TAG		"tag:trustreg-crawl,2026:"

/* Text reasons wrap at this column; evidence lines are not wrapped, a
 * URL is more useful whole. */
#define TEXT_WIDTH	78

/* Evidence lines break between fields before this column, continuing
 * under the URL. */
#define TEXT_LINE_MAX	100
#define TEXT_EV_INDENT	10

/* Digest prefix shown in the text form: enough to tell pages apart. */
#define TEXT_DIGEST	12

#define FINGERPRINT_HEXLEN	16

static const char utf8_replacement[] = "\xef\xbf\xbd";

int
treg_report_parse_format(const char *name, enum treg_report_format *fmt)
{
	if (name == NULL)
		return -EINVAL;
	if (strcmp(name, "text") == 0)
		*fmt = TREG_REPORT_TEXT;
	else if (strcmp(name, "json") == 0)
		*fmt = TREG_REPORT_JSON;
	else if (strcmp(name, "html") == 0)
		*fmt = TREG_REPORT_HTML;
	else if (strcmp(name, "atom") == 0)
		*fmt = TREG_REPORT_ATOM;
	else
		return -EINVAL;
	return 0;
}

/*
 * Length of the valid UTF-8 sequence at p, or 0 when p does not start
 * one.  Overlong forms, surrogates and code points past U+10FFFF are
 * invalid, as jansson would judge them.
 */
static size_t
report_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;

	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;

	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

/* Whether the len bytes at p are a bidirectional embedding, override or
 * isolate (U+202A-U+202E, U+2066-U+2069), which reorder what follows on
 * screen: a URL or reason could be made to read as another. */
static int
report_bidi_control(const unsigned char *p, size_t len)
{
	return len == 3 && p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa &&
	    p[2] <= 0xae) || (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9));
}

/*
 * Appends s to b as valid UTF-8.  In text mode, C0 and C1 control
 * characters and DEL become '?' too, as do bidirectional controls, and
 * U+FFFE and U+FFFF become U+FFFD: text mode feeds the terminal, HTML
 * and Atom forms, and XML 1.0 allows neither (with surrogates, which
 * are never valid UTF-8, and the controls, those are the only code
 * points it forbids).  JSON keeps them all.  Returns 0 or -ENOMEM.
 */
static int
report_clean(struct treg_buf *b, const char *s, int text)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	int rc = 0;

	while (*p != '\0' && rc == 0) {
		len = report_utf8_len(p);
		if (len == 0) {
			rc = treg_buf_puts(b, utf8_replacement);
			p++;
		} else if (text && (p[0] < 0x20 || p[0] == 0x7f ||
		    (p[0] == 0xc2 && p[1] < 0xa0) ||
		    report_bidi_control(p, len))) {
			rc = treg_buf_puts(b, "?");
			p += len;
		} else if (text && len == 3 && p[0] == 0xef &&
		    p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
			rc = treg_buf_puts(b, utf8_replacement);
			p += len;
		} else {
			rc = treg_buf_append(b, p, len);
			p += len;
		}
	}
	return rc;
}

/* "YYYY-MM-DDTHH:MM:SSZ" of t; -EINVAL outside the years 1000-9999,
 * where the year would not be four digits. */
static int
report_iso(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    tm.tm_year < 1000 - 1900 || tm.tm_year > 9999 - 1900)
		return -EINVAL;
	if (strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -EINVAL;
	return 0;
}

/* The inverse of report_iso(), strict: only what it writes parses. */
static int
report_parse_iso(const char *s, int64_t *t)
{
	char again[32];
	struct tm tm;
	time_t tt;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec) != 6)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;

	tt = timegm(&tm);
	if (report_iso((int64_t)tt, again, sizeof(again)) < 0 ||
	    strcmp(again, s) != 0)
		return -EINVAL;
	*t = (int64_t)tt;
	return 0;
}

/* ---- JSON out ---- */

/*
 * The cells' JSON is written here by hand, not built as a jansson tree
 * and dumped: a report and the store each take one form of every cell,
 * and the tree's allocations and callbacks made them most of the cost
 * of judging.  The bytes are those jansson writes: JSON_COMPACT for the
 * store, JSON_INDENT(2) for a report, strings escaped as its dump does
 * (", \, and controls; everything else as UTF-8), after report_clean()'s
 * repair of invalid UTF-8.  The report's head is written the same way:
 * jansson's dump goes on past a key it failed to allocate, which left
 * an invalid document with no error.
 */
#define REPORT_JW_DEPTH	8	/* nesting a cell needs, and more */

struct report_jw {
	struct treg_buf *b;
	int	 pretty;	/* JSON_INDENT(2), not JSON_COMPACT */
	int	 margin;	/* spaces after each new line */
	int	 depth;
	/* Whether the object or array open at each depth is empty. */
	unsigned char empty[REPORT_JW_DEPTH + 1];
	int	 err;
	/* The last time written, and its text in iso (iso_ok 1) or none
	 * (-1: out of range; 0: no time yet). */
	int64_t	 iso_t;
	int	 iso_ok;
	char	 iso[32];
};

/* A string literal, as is. */
#define REPORT_JW_LIT(w, lit)	report_jw_raw((w), (lit), sizeof(lit) - 1)

static void
report_jw_init(struct report_jw *w, struct treg_buf *b, int pretty,
    int margin)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->pretty = pretty;
	w->margin = margin;
}

static void
report_jw_raw(struct report_jw *w, const char *s, size_t len)
{
	struct treg_buf *b = w->b;

	/* Most pieces are a few bytes: copied in place while they fit. */
	if (b->data != NULL && b->cap - b->len > len && b->limit == 0) {
		memcpy(b->data + b->len, s, len);
		b->len += len;
		b->data[b->len] = '\0';
	} else if (w->err == 0) {
		w->err = treg_buf_append(b, s, len);
	}
}

static void
report_jw_newline(struct report_jw *w, int depth)
{
	static const char spaces[] = "                                ";
	size_t n = (size_t)w->margin + 2 * (size_t)depth;

	REPORT_JW_LIT(w, "\n");
	for (; n > 0 && w->err == 0; n -= n < 32 ? n : 32)
		report_jw_raw(w, spaces, n < 32 ? n : 32);
}

/* What comes before a member or an element: a comma after the one
 * before, and in the indented form a new line. */
static void
report_jw_next(struct report_jw *w)
{
	if (!w->empty[w->depth])
		REPORT_JW_LIT(w, ",");
	w->empty[w->depth] = 0;
	if (w->pretty)
		report_jw_newline(w, w->depth);
}

static void
report_jw_open(struct report_jw *w, char c)
{
	report_jw_raw(w, &c, 1);
	assert(w->depth < REPORT_JW_DEPTH);
	w->empty[++w->depth] = 1;
}

static void
report_jw_close(struct report_jw *w, char c)
{
	int empty = w->empty[w->depth--];

	if (w->pretty && !empty)
		report_jw_newline(w, w->depth);
	report_jw_raw(w, &c, 1);
}

/* A string, as report_clean() repairs it and jansson escapes it. */
static void
report_jw_string(struct report_jw *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *run;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t len;

	REPORT_JW_LIT(w, "\"");
	while (*p != '\0' && w->err == 0) {
		run = p;
		while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		report_jw_raw(w, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if (*p >= 0x80) {
			len = report_utf8_len(p);
			if (len == 0) {
				report_jw_raw(w, utf8_replacement, 3);
				len = 1;
			} else {
				report_jw_raw(w, (const char *)p, len);
			}
			p += len;
			continue;
		}
		switch (*p) {
		case '"':  REPORT_JW_LIT(w, "\\\""); break;
		case '\\': REPORT_JW_LIT(w, "\\\\"); break;
		case '\b': REPORT_JW_LIT(w, "\\b"); break;
		case '\f': REPORT_JW_LIT(w, "\\f"); break;
		case '\n': REPORT_JW_LIT(w, "\\n"); break;
		case '\r': REPORT_JW_LIT(w, "\\r"); break;
		case '\t': REPORT_JW_LIT(w, "\\t"); break;
		default:
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			report_jw_raw(w, esc, sizeof(esc));
		}
		p++;
	}
	REPORT_JW_LIT(w, "\"");
}

static void
report_jw_key(struct report_jw *w, const char *key)
{
	report_jw_next(w);
	report_jw_string(w, key);
	report_jw_raw(w, ": ", w->pretty ? 2 : 1);
}

static void
report_jw_null(struct report_jw *w)
{
	REPORT_JW_LIT(w, "null");
}

static void
report_jw_bool(struct report_jw *w, int yes)
{
	if (yes)
		REPORT_JW_LIT(w, "true");
	else
		REPORT_JW_LIT(w, "false");
}

static void
report_jw_int(struct report_jw *w, long long n)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n :
	    (unsigned long long)n;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (n < 0)
		*--p = '-';
	report_jw_raw(w, p, (size_t)(num + sizeof(num) - p));
}

/* A string or, for NULL, null. */
static void
report_jw_str(struct report_jw *w, const char *s)
{
	if (s == NULL)
		report_jw_null(w);
	else
		report_jw_string(w, s);
}

/* As report_jtime().  A cell's times are mostly one (judged, since,
 * fetched), so the last one's form is kept. */
static void
report_jw_time(struct report_jw *w, int64_t t)
{
	if (t == 0) {
		report_jw_null(w);
		return;
	}
	if (!w->iso_ok || w->iso_t != t) {
		w->iso_t = t;
		w->iso_ok = report_iso(t, w->iso, sizeof(w->iso)) == 0 ? 1 :
		    -1;
	}
	if (w->iso_ok < 0)
		report_jw_int(w, (long long)t);
	else
		report_jw_string(w, w->iso);
}

static void
report_jw_hex(struct report_jw *w, const char *digest)
{
	report_jw_str(w, digest[0] == '\0' ? NULL : digest);
}

static void
report_jw_fingerprint(struct report_jw *w, uint64_t h)
{
	static const char digits[] = "0123456789abcdef";
	char hex[FINGERPRINT_HEXLEN + 2];
	int i;

	hex[0] = hex[FINGERPRINT_HEXLEN + 1] = '"';
	for (i = FINGERPRINT_HEXLEN; i > 0; i--, h >>= 4)
		hex[i] = digits[h & 0xf];
	report_jw_raw(w, hex, sizeof(hex));
}

/* A member: its key, then its value as the writer of that type. */
static void
report_jw_kstr(struct report_jw *w, const char *key, const char *s)
{
	report_jw_key(w, key);
	report_jw_str(w, s);
}

static void
report_jw_kstring(struct report_jw *w, const char *key, const char *s)
{
	report_jw_key(w, key);
	report_jw_string(w, s);
}

static void
report_jw_kint(struct report_jw *w, const char *key, long long n)
{
	report_jw_key(w, key);
	report_jw_int(w, n);
}

static void
report_jw_kbool(struct report_jw *w, const char *key, int yes)
{
	report_jw_key(w, key);
	report_jw_bool(w, yes);
}

static void
report_jw_ktime(struct report_jw *w, const char *key, int64_t t)
{
	report_jw_key(w, key);
	report_jw_time(w, t);
}

static void
report_jw_khex(struct report_jw *w, const char *key, const char *digest)
{
	report_jw_key(w, key);
	report_jw_hex(w, digest);
}

static void
report_jw_kfp(struct report_jw *w, const char *key, uint64_t h)
{
	report_jw_key(w, key);
	report_jw_fingerprint(w, h);
}

static void
report_jw_quote(struct report_jw *w, int result)
{
	if (result == TREG_QUOTE_FOUND || result == TREG_QUOTE_MISSING)
		report_jw_bool(w, result == TREG_QUOTE_FOUND);
	else
		report_jw_null(w);
}

static void
report_baseline_write(struct report_jw *w, const struct treg_evidence *e)
{
	if (!e->has_baseline) {
		report_jw_null(w);
		return;
	}
	report_jw_open(w, '{');
	report_jw_ktime(w, "at", e->baseline_at);
	report_jw_khex(w, "digest", e->baseline_digest);
	report_jw_kint(w, "words", (long long)e->baseline_words);
	report_jw_kfp(w, "fingerprint", e->baseline_simhash);
	report_jw_kbool(w, "archived", e->baseline_archived);
	report_jw_close(w, '}');
}

static void
report_distance_write(struct report_jw *w, const struct treg_evidence *e)
{
	if (!e->has_baseline || e->digest[0] == '\0' ||
	    e->baseline_digest[0] == '\0')
		report_jw_null(w);
	else
		report_jw_int(w, (long long)treg_simhash_distance(e->simhash,
		    e->baseline_simhash));
}

/* The cell's region of this page, now and at the baseline. */
static void
report_region_write(struct report_jw *w, const struct treg_evidence *e)
{
	if (!e->has_region) {
		report_jw_null(w);
		return;
	}
	report_jw_open(w, '{');
	report_jw_kbool(w, "whole_text", e->region_whole);
	report_jw_khex(w, "digest", e->region_digest);
	report_jw_kint(w, "words", (long long)e->region_words);
	report_jw_kfp(w, "fingerprint", e->region_simhash);
	report_jw_khex(w, "baseline_digest", e->baseline_region_digest);
	report_jw_kint(w, "baseline_words",
	    (long long)e->baseline_region_words);
	report_jw_kfp(w, "baseline_fingerprint", e->baseline_region_simhash);
	report_jw_kbool(w, "page_changed", e->page_changed);
	report_jw_kbool(w, "chrome_changed", e->chrome_changed);
	report_jw_kstr(w, "page_note", e->page_note);
	report_jw_close(w, '}');
}

static void
report_diff_write(struct report_jw *w, const struct treg_evidence *e)
{
	size_t i;

	if (e->ndiff == 0) {
		report_jw_null(w);
		return;
	}
	report_jw_open(w, '[');
	for (i = 0; i < e->ndiff; i++) {
		report_jw_next(w);
		report_jw_open(w, '{');
		report_jw_kstr(w, "before", e->diff[i].before);
		report_jw_kstr(w, "removed", e->diff[i].del);
		report_jw_kstr(w, "added", e->diff[i].ins);
		report_jw_kstr(w, "after", e->diff[i].after);
		report_jw_close(w, '}');
	}
	report_jw_close(w, ']');
}

static void
report_evidence_write(struct report_jw *w, const struct treg_evidence *e)
{
	size_t i;

	report_jw_open(w, '{');
	report_jw_kstr(w, "url", e->url);
	report_jw_kstr(w, "fetch_url", e->fetch_url);
	report_jw_kstring(w, "role", e->role == TREG_ROLE_ARCHIVE ?
	    "archive" : "source");
	report_jw_kbool(w, "fetched", e->fetched);
	report_jw_ktime(w, "at", e->at);
	report_jw_key(w, "status");
	if (e->status != 0)
		report_jw_int(w, (long long)e->status);
	else
		report_jw_null(w);
	report_jw_kstr(w, "error", e->error);
	report_jw_kstr(w, "detail", e->detail);
	report_jw_kstr(w, "final_url", e->final_url);
	report_jw_kstr(w, "reason", e->reason);
	report_jw_kstr(w, "chain", e->chain);
	report_jw_kbool(w, "moved", e->moved);
	report_jw_kbool(w, "unverifiable", e->unverifiable);
	report_jw_kint(w, "failures", (long long)e->failures);
	report_jw_khex(w, "digest", e->digest);
	report_jw_kint(w, "words", (long long)e->words);
	report_jw_kfp(w, "fingerprint", e->simhash);
	report_jw_key(w, "baseline");
	report_baseline_write(w, e);
	report_jw_key(w, "fingerprint_distance");
	report_distance_write(w, e);
	report_jw_key(w, "quotes");
	report_jw_open(w, '[');
	for (i = 0; i < e->nquotes; i++) {
		report_jw_next(w);
		report_jw_quote(w, e->quotes[i]);
	}
	report_jw_close(w, ']');
	report_jw_key(w, "region");
	report_region_write(w, e);
	report_jw_key(w, "diff");
	report_diff_write(w, e);
	report_jw_kint(w, "diff_more", (long long)e->diff_more);
	report_jw_close(w, '}');
}

/* Whether the cell's quotation i was found: missing from any source
 * wins, then found in one; TREG_QUOTE_UNCHECKED when no source text was
 * searched. */
static int
report_quote_found(const struct treg_verdict *v, size_t i)
{
	int found = 0;
	size_t k;

	for (k = 0; k < v->nev; k++) {
		if (v->ev[k].role != TREG_ROLE_SOURCE || i >= v->ev[k].nquotes)
			continue;
		if (v->ev[k].quotes[i] == TREG_QUOTE_MISSING)
			return TREG_QUOTE_MISSING;
		if (v->ev[k].quotes[i] == TREG_QUOTE_FOUND)
			found = 1;
	}
	return found ? TREG_QUOTE_FOUND : TREG_QUOTE_UNCHECKED;
}

/* An array of the strings. */
static void
report_jw_strings(struct report_jw *w, char *const *s, size_t n)
{
	size_t i;

	report_jw_open(w, '[');
	for (i = 0; i < n; i++) {
		report_jw_next(w);
		report_jw_str(w, s[i]);
	}
	report_jw_close(w, ']');
}

/*
 * Appends one cell to b: the store's form (compact, with its offering
 * and registry position) or a report's (indented, every line after the
 * first margin spaces further in; the enclosing offering says which).
 * Returns 0 or -ENOMEM.
 */
static int
report_cell_write(struct treg_buf *b, const struct treg_verdict *v,
    int store_form, int margin)
{
	struct report_jw w;
	size_t i;

	report_jw_init(&w, b, !store_form, margin);
	report_jw_open(&w, '{');
	if (store_form) {
		report_jw_kstr(&w, "offering", v->offering);
	}
	report_jw_kstr(&w, "id", v->cell);
	report_jw_kstring(&w, "state", treg_state_name(v->state));
	report_jw_ktime(&w, "since", v->since);
	report_jw_ktime(&w, "judged", v->judged);
	/* The registry position only orders the store's records. */
	if (store_form) {
		report_jw_kint(&w, "order", (long long)v->order);
	}
	report_jw_key(&w, "flags");
	report_jw_open(&w, '[');
	for (i = 0; i < TREG_NSTATES; i++) {
		if (v->flags & TREG_STATE_BIT(i)) {
			report_jw_next(&w);
			report_jw_string(&w, treg_state_name(
			    (enum treg_state)i));
		}
	}
	report_jw_close(&w, ']');
	report_jw_kstr(&w, "verified", v->verified);
	report_jw_kbool(&w, "needs_attention", treg_verdict_needs_attention(v));
	report_jw_key(&w, "reasons");
	report_jw_strings(&w, v->reasons, v->nreasons);
	report_jw_key(&w, "info");
	report_jw_strings(&w, v->info, v->ninfo);
	report_jw_key(&w, "quotes");
	report_jw_open(&w, '[');
	for (i = 0; i < v->nquotes; i++) {
		report_jw_next(&w);
		report_jw_open(&w, '{');
		report_jw_kstr(&w, "text", v->quotes[i]);
		report_jw_key(&w, "found");
		report_jw_quote(&w, report_quote_found(v, i));
		report_jw_close(&w, '}');
	}
	report_jw_close(&w, ']');
	report_jw_key(&w, "evidence");
	report_jw_open(&w, '[');
	for (i = 0; i < v->nev; i++) {
		report_jw_next(&w);
		report_evidence_write(&w, &v->ev[i]);
	}
	report_jw_close(&w, ']');
	report_jw_close(&w, '}');
	return w.err < 0 ? -ENOMEM : 0;
}

int
treg_report_verdict_to_json(const struct treg_verdict *v, char **jsonp)
{
	struct treg_buf b;
	int rc;

	*jsonp = NULL;
	treg_buf_init(&b, 0);
	rc = report_cell_write(&b, v, 1, 0);
	if (rc == 0)
		*jsonp = treg_buf_steal(&b);
	treg_buf_cleanup(&b);
	return *jsonp != NULL ? 0 : -ENOMEM;
}

/* The errno of the stdio call that just failed (or, when the caller
 * cleared errno first, of the write that set a stream's error flag), or
 * -EIO without one: "No space left on device" tells an operator what to
 * do. */
static int
report_io_error(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* ---- Text out ---- */

/* Writes s cleaned for a terminal.  Returns 0 or -ENOMEM. */
static int
report_put(FILE *out, const char *s)
{
	struct treg_buf b;
	int rc;

	if (s == NULL)
		s = "-";
	treg_buf_init(&b, 0);
	rc = report_clean(&b, s, 1);
	if (rc == 0 && b.len > 0)
		fwrite(b.data, 1, b.len, out);
	treg_buf_cleanup(&b);
	return rc;
}

int
treg_report_put_text(FILE *out, const char *s)
{
	int rc = report_put(out, s);

	if (rc == 0 && ferror(out))
		rc = -EIO;
	return rc;
}

/* Columns a UTF-8 string takes, counting each code point as one. */
static size_t
report_width(const char *s, size_t len)
{
	size_t i, w = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	}
	return w;
}

/*
 * Writes a reason as "  - " and its words, wrapped before TEXT_WIDTH with
 * continuation lines indented under the first word.  A word longer than
 * a line (a URL) stands alone rather than being broken.
 */
static int
report_put_reason(FILE *out, const char *reason)
{
	static const char first[] = "  - ", rest[] = "    ";
	struct treg_buf b;
	const char *p, *end;
	size_t col, w;
	int rc;

	treg_buf_init(&b, 0);
	rc = report_clean(&b, reason, 1);
	if (rc < 0 || b.data == NULL)
		goto out;

	fputs(first, out);
	col = sizeof(first) - 1;
	p = b.data;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			break;

		w = report_width(p, (size_t)(end - p));
		if (col > sizeof(first) - 1 && col + 1 + w > TEXT_WIDTH) {
			fprintf(out, "\n%s", rest);
			col = sizeof(rest) - 1;
		} else if (col > sizeof(first) - 1) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, (size_t)(end - p), out);
		col += w;
		p = end;
	}
	fputc('\n', out);

out:
	treg_buf_cleanup(&b);
	return rc;
}

/*
 * Appends one field of an evidence line: label then value (cleaned; may
 * be NULL).  Fields are two spaces apart; one that would pass
 * TEXT_LINE_MAX starts a continuation line instead.
 */
static int
report_field(struct treg_buf *line, size_t *col, const char *label,
    const char *value)
{
	struct treg_buf f;
	size_t w;
	int rc;

	treg_buf_init(&f, 0);
	rc = treg_buf_puts(&f, label);
	if (rc == 0 && value != NULL)
		rc = report_clean(&f, value, 1);
	if (rc < 0)
		goto out;

	w = report_width(f.data, f.len);
	if (*col + 2 + w > TEXT_LINE_MAX && *col > TEXT_EV_INDENT) {
		rc = treg_buf_printf(line, "\n%*s", TEXT_EV_INDENT, "");
		*col = TEXT_EV_INDENT;
	} else {
		rc = treg_buf_puts(line, "  ");
		*col += 2;
	}
	if (rc == 0)
		rc = treg_buf_append(line, f.data, f.len);
	*col += w;

out:
	treg_buf_cleanup(&f);
	return rc;
}

/* "error: NAME" as one field.  The detail is in the cell's reasons or
 * the failed fetches, once: here it would only repeat it. */
static int
report_put_error(struct treg_buf *line, size_t *col,
    const struct treg_evidence *e)
{
	struct treg_buf raw;
	int rc;

	treg_buf_init(&raw, 0);
	rc = treg_buf_puts(&raw, e->error);
	if (rc == 0)
		rc = report_field(line, col, "error: ", raw.data);
	treg_buf_cleanup(&raw);
	return rc;
}

static int
report_put_evidence(FILE *out, const struct treg_evidence *e)
{
	struct treg_buf line;
	char num[64];
	size_t i, col, found = 0;
	int rc;

	treg_buf_init(&line, 0);
	rc = treg_buf_printf(&line, "  %-7s ", e->role == TREG_ROLE_ARCHIVE ?
	    "archive" : "source");
	if (rc == 0)
		rc = report_clean(&line, e->url != NULL ? e->url : "-", 1);
	if (rc < 0)
		goto out;
	col = report_width(line.data, line.len);

	if (!e->fetched) {
		rc = report_field(&line, &col, "not fetched yet", NULL);
	} else if (e->error != NULL) {
		rc = report_put_error(&line, &col, e);
	} else {
		if (e->status != 0) {
			snprintf(num, sizeof(num), "%ld", e->status);
			rc = report_field(&line, &col, num, NULL);
		}
		if (rc == 0 && e->moved)
			rc = report_field(&line, &col, "moved to ",
			    e->final_url != NULL ? e->final_url : "?");
		if (rc == 0 && e->unverifiable)
			rc = report_field(&line, &col, "unverifiable", NULL);
		if (rc == 0 && e->reason != NULL)
			rc = report_field(&line, &col, "reason: ", e->reason);
		if (rc == 0 && e->digest[0] != '\0') {
			snprintf(num, sizeof(num), "words %" PRIu32, e->words);
			rc = report_field(&line, &col, num, NULL);
			snprintf(num, sizeof(num), "sha256 %.*s", TEXT_DIGEST,
			    e->digest);
			if (rc == 0)
				rc = report_field(&line, &col, num, NULL);
		}
		if (rc == 0 && e->has_baseline && e->digest[0] != '\0' &&
		    e->baseline_digest[0] != '\0') {
			/* The whole page's distance; a cell's passage has
			 * its own, in the reason when it changed. */
			snprintf(num, sizeof(num), "page distance %d to "
			    "baseline", treg_simhash_distance(e->simhash,
			    e->baseline_simhash));
			rc = report_field(&line, &col, num, NULL);
		}
		for (i = 0; i < e->nquotes; i++) {
			if (e->quotes[i] == TREG_QUOTE_FOUND)
				found++;
		}
		snprintf(num, sizeof(num), "quotes %zu/%zu found", found,
		    e->nquotes);
		if (rc == 0 && e->nquotes > 0)
			rc = report_field(&line, &col, num, NULL);
	}
	if (rc == 0 && e->fetched && e->chain != NULL)
		rc = report_field(&line, &col, "via: ", e->chain);
	if (rc == 0) {
		fwrite(line.data, 1, line.len, out);
		fputc('\n', out);
	}

out:
	treg_buf_cleanup(&line);
	return rc;
}

/* Changed passages as "... before [-removed-] {+added+} after ...". */
static int
report_put_diff(FILE *out, const struct treg_evidence *e)
{
	struct treg_buf b;
	size_t i;
	int rc = 0;

	treg_buf_init(&b, 0);
	for (i = 0; i < e->ndiff && rc == 0; i++) {
		treg_buf_reset(&b);
		rc = treg_buf_printf(&b, "changed: ...%s%s%s%s%s%s%s%s%s...",
		    e->diff[i].before, *e->diff[i].before ? " " : "",
		    *e->diff[i].del ? "[-" : "", e->diff[i].del,
		    *e->diff[i].del ? "-] " : "",
		    *e->diff[i].ins ? "{+" : "", e->diff[i].ins,
		    *e->diff[i].ins ? "+} " : "", e->diff[i].after);
		if (rc == 0)
			rc = report_put_reason(out, b.data);
	}
	if (rc == 0 && e->diff_more > 0) {
		treg_buf_reset(&b);
		rc = treg_buf_printf(&b, "changed: %zu more passage%s",
		    e->diff_more, e->diff_more == 1 ? "" : "s");
		if (rc == 0)
			rc = report_put_reason(out, b.data);
	}
	treg_buf_cleanup(&b);
	return rc;
}

static int
report_put_info(FILE *out, const char *info)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 0);
	rc = treg_buf_printf(&b, "info: %s", info);
	if (rc == 0)
		rc = report_put_reason(out, b.data);
	treg_buf_cleanup(&b);
	return rc;
}

/* Whether e's latest fetch failed in a way "Failed fetches" lists: an
 * error, not a refusal we obey. */
static int
report_fetch_failed(const struct treg_evidence *e)
{
	return e->fetched && e->error != NULL && e->url != NULL &&
	    e->fetch_url != NULL &&
	    strcmp(e->error, "disallowed-by-robots") != 0 &&
	    strcmp(e->error, "rate-limited") != 0;
}

/*
 * A reason, except that the failure of an evidence URL listed under
 * "Failed fetches" is said there in full and here in a few words, so a
 * host that failed for seven cells is described once.
 */
static int
report_put_cell_reason(FILE *out, const struct treg_verdict *v,
    const char *reason)
{
	const struct treg_evidence *e;
	const char *what, *p;
	char *shortr = NULL;
	size_t i;
	int rc;

	for (i = 0; i < v->nev; i++) {
		e = &v->ev[i];
		if (!report_fetch_failed(e))
			continue;
		what = e->role == TREG_ROLE_ARCHIVE ? "archived copy " : "";
		p = reason;
		if (strncmp(p, what, strlen(what)) != 0)
			continue;
		p += strlen(what);
		if (strncmp(p, e->url, strlen(e->url)) != 0 ||
		    strncmp(p + strlen(e->url), ": fetch failed", 14) != 0)
			continue;
		if (asprintf(&shortr, "%s fetch failed (%s), see Failed "
		    "fetches", e->role == TREG_ROLE_ARCHIVE ?
		    "archived copy" : "source", e->error) < 0)
			return -ENOMEM;
		rc = report_put_reason(out, shortr);
		free(shortr);
		return rc;
	}
	return report_put_reason(out, reason);
}

/*
 * The cell line, "offering / cell  STATE  verified DATE", and what
 * follows it: with full, its evidence and diffs; with REPORT_CELL_ALONE
 * (a cell shown outside a report), every reason whole too.
 */
#define REPORT_CELL_ALONE	2

static int
report_put_cell(FILE *out, const struct treg_verdict *v, int full)
{
	const char *name;
	size_t i;
	int rc;

	fputs(full ? "" : "  ", out);
	rc = report_put(out, v->offering);
	if (rc == 0) {
		fputs(" / ", out);
		rc = report_put(out, v->cell);
	}
	if (rc < 0)
		return rc;

	if (full) {
		fputs("  ", out);
		for (name = treg_state_name(v->state); *name != '\0'; name++)
			fputc(*name >= 'a' && *name <= 'z' ?
			    *name - 'a' + 'A' : *name, out);
	}
	fputs("  verified ", out);
	rc = report_put(out, v->verified != NULL ? v->verified : "never");
	fputc('\n', out);

	for (i = 0; i < v->nreasons && rc == 0; i++)
		rc = full == REPORT_CELL_ALONE ?
		    report_put_reason(out, v->reasons[i]) :
		    report_put_cell_reason(out, v, v->reasons[i]);
	for (i = 0; full && i < v->nev && rc == 0; i++)
		rc = report_put_evidence(out, &v->ev[i]);
	for (i = 0; full && i < v->nev && rc == 0; i++)
		rc = report_put_diff(out, &v->ev[i]);
	for (i = 0; i < v->ninfo && rc == 0; i++)
		rc = report_put_info(out, v->info[i]);
	if (full && rc == 0)
		fputc('\n', out);
	return rc;
}

int
treg_report_put_cell(FILE *out, const struct treg_verdict *v)
{
	int rc = report_put_cell(out, v, REPORT_CELL_ALONE);

	if (rc == 0 && ferror(out))
		rc = -EIO;
	return rc;
}

static int
report_strcmp0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* ---- HTML and Atom out ---- */

/* Writes s as XML character data: valid UTF-8, no control characters,
 * markup characters escaped.  Returns 0 or -ENOMEM. */
static int
report_xml(FILE *out, const char *s)
{
	struct treg_buf b;
	const char *p;
	int rc;

	treg_buf_init(&b, 0);
	rc = report_clean(&b, s != NULL ? s : "", 1);
	for (p = b.data; rc == 0 && p != NULL && *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(*p, out);
		}
	}
	treg_buf_cleanup(&b);
	return rc;
}

/* Only http(s) links are made; anything else is shown as text. */
static int
report_is_web(const char *url)
{
	return url != NULL && (strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://", 7) == 0);
}

static int
report_html_link(FILE *out, const char *url)
{
	int rc;

	if (!report_is_web(url))
		return report_xml(out, url);
	fputs("<a href=\"", out);
	rc = report_xml(out, url);
	fputs("\">", out);
	if (rc == 0)
		rc = report_xml(out, url);
	fputs("</a>", out);
	return rc;
}

static const char report_css[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:0;background:#f4f5f7;color:#1d2430}\n"
	"header,main,footer{max-width:1080px;margin:0 auto;padding:0 24px}\n"
	"header{padding-top:24px}\n"
	"h1{font-size:24px;margin:0 0 4px}\n"
	"h2{font-size:19px;margin:28px 0 10px;border-bottom:2px solid #d8dce3;"
	"padding-bottom:4px}\n"
	"h3{font-size:15px;margin:18px 0 8px;text-transform:uppercase;"
	"letter-spacing:.04em;color:#4a5568}\n"
	".meta{color:#5b6573;font-size:13px}\n"
	".alarm{background:#fdecea;border:1px solid #c62828;color:#8e1c1c;"
	"padding:8px 12px;border-radius:6px;font-weight:600}\n"
	".counts{display:flex;flex-wrap:wrap;gap:8px;padding:0;"
	"list-style:none;margin:14px 0}\n"
	".counts li{background:#fff;border:1px solid #d8dce3;"
	"border-radius:6px;padding:6px 12px}\n"
	".counts b{font-size:18px;margin-right:4px}\n"
	".cell{background:#fff;border:1px solid #d8dce3;border-left:6px solid"
	" #999;border-radius:6px;padding:12px 16px;margin:0 0 12px}\n"
	".cell .title{font-size:16px;font-weight:600}\n"
	".badge{display:inline-block;border-radius:10px;padding:1px 9px;"
	"font-size:12px;font-weight:600;color:#fff;background:#777;"
	"margin-right:8px;vertical-align:2px}\n"
	".s-dead{border-left-color:#b42318}.s-dead .badge,.b-dead"
	"{background:#b42318}\n"
	".s-moved{border-left-color:#c4320a}.s-moved .badge,.b-moved"
	"{background:#c4320a}\n"
	".s-quote-missing{border-left-color:#b54708}.s-quote-missing .badge,"
	".b-quote-missing{background:#b54708}\n"
	".s-changed{border-left-color:#a15c07}.s-changed .badge,.b-changed"
	"{background:#a15c07}\n"
	".s-unverifiable{border-left-color:#6941c6}.s-unverifiable .badge,"
	".b-unverifiable{background:#6941c6}\n"
	".s-stale{border-left-color:#475467}.s-stale .badge,.b-stale"
	"{background:#475467}\n"
	".b-fresh{background:#067647}.b-no-source{background:#667085}\n"
	"ul.reasons{margin:8px 0;padding-left:20px}\n"
	"ul.info{margin:6px 0;padding-left:20px;color:#5b6573;font-size:13px}"
	"\n"
	".diff{background:#fbfbfc;border:1px solid #e4e7ec;border-radius:4px;"
	"padding:8px 12px;margin:8px 0;font-size:14px}\n"
	".diff p{margin:4px 0}\n"
	"del{background:#fde3e1;color:#8f1d13;text-decoration:line-through}\n"
	"ins{background:#dcf5e5;color:#05603a;text-decoration:none}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px;"
	"margin-top:8px}\n"
	"th,td{text-align:left;padding:4px 8px;border-top:1px solid #eaecf0;"
	"vertical-align:top}\n"
	"th{color:#5b6573;font-weight:600}\n"
	"td.url{word-break:break-all}\n"
	".quiet td:nth-child(-n+3){white-space:nowrap}\n"
	".quiet{background:#fff;border:1px solid #d8dce3;border-radius:6px}\n"
	"footer{padding-bottom:32px}\n"
	"a{color:#175cd3}\n";

static void
report_html_date(FILE *out, int64_t t)
{
	char iso[32];

	if (t != 0 && report_iso(t, iso, sizeof(iso)) == 0)
		fprintf(out, "%.10s", iso);
	else
		fputs("unknown", out);
}

static int
report_html_diff(FILE *out, const struct treg_evidence *e)
{
	size_t i;
	int rc = 0;

	if (e->ndiff == 0)
		return 0;
	fputs("<div class=\"diff\"><div class=\"meta\">What changed in the "
	    "cell's evidence since the baseline of ", out);
	report_html_date(out, e->baseline_at);
	fputs(e->baseline_archived ? " (archived copy)" : "", out);
	fputs(":</div>\n", out);
	for (i = 0; i < e->ndiff && rc == 0; i++) {
		fputs("<p>&#8230; ", out);
		rc = report_xml(out, e->diff[i].before);
		if (rc == 0 && *e->diff[i].del != '\0') {
			fputs(" <del>", out);
			rc = report_xml(out, e->diff[i].del);
			fputs("</del>", out);
		}
		if (rc == 0 && *e->diff[i].ins != '\0') {
			fputs(" <ins>", out);
			rc = report_xml(out, e->diff[i].ins);
			fputs("</ins>", out);
		}
		fputc(' ', out);
		if (rc == 0)
			rc = report_xml(out, e->diff[i].after);
		fputs(" &#8230;</p>\n", out);
	}
	if (e->diff_more > 0)
		fprintf(out, "<p class=\"meta\">and %zu more passage%s</p>\n",
		    e->diff_more, e->diff_more == 1 ? "" : "s");
	fputs("</div>\n", out);
	return rc;
}

static int
report_html_evidence(FILE *out, const struct treg_verdict *v)
{
	const struct treg_evidence *e;
	size_t i, k, found;
	int rc = 0;

	if (v->nev == 0)
		return 0;
	fputs("<table><tr><th>role</th><th>URL</th><th>last check</th>"
	    "<th>status</th><th>quotations</th></tr>\n", out);
	for (i = 0; i < v->nev && rc == 0; i++) {
		e = &v->ev[i];
		fprintf(out, "<tr><td>%s</td><td class=\"url\">",
		    e->role == TREG_ROLE_ARCHIVE ? "archive" : "source");
		rc = report_html_link(out, e->url);
		fputs("</td><td>", out);
		if (e->fetched)
			report_html_date(out, e->at);
		else
			fputs("never", out);
		fputs("</td><td>", out);
		/* Not over a failed link's error: the row would be reported
		 * written with its URL missing. */
		if (e->error != NULL && rc == 0)
			rc = report_xml(out, e->error);
		else if (e->status != 0)
			fprintf(out, "%ld", e->status);
		fputs("</td><td>", out);
		for (k = 0, found = 0; k < e->nquotes; k++)
			found += e->quotes[k] == TREG_QUOTE_FOUND;
		if (e->nquotes > 0)
			fprintf(out, "%zu/%zu found", found, e->nquotes);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	return rc;
}

static int
report_html_cell(FILE *out, const struct treg_verdict *v)
{
	const char *name = treg_state_name(v->state);
	size_t i;
	int rc;

	fprintf(out, "<article class=\"cell s-%s\" id=\"", name);
	rc = report_xml(out, v->offering);
	fputc('/', out);
	if (rc == 0)
		rc = report_xml(out, v->cell);
	fprintf(out, "\">\n<div class=\"title\"><span class=\"badge\">%s"
	    "</span>", name);
	if (rc == 0)
		rc = report_xml(out, v->offering);
	fputs(" / ", out);
	if (rc == 0)
		rc = report_xml(out, v->cell);
	fputs("</div>\n<div class=\"meta\">verified ", out);
	if (rc == 0)
		rc = report_xml(out, v->verified != NULL ? v->verified :
		    "never");
	if (v->since != 0) {
		fputs(" &#183; in this state since ", out);
		report_html_date(out, v->since);
	}
	fputs("</div>\n<ul class=\"reasons\">\n", out);
	for (i = 0; i < v->nreasons && rc == 0; i++) {
		fputs("<li>", out);
		rc = report_xml(out, v->reasons[i]);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
	for (i = 0; i < v->nev && rc == 0; i++)
		rc = report_html_diff(out, &v->ev[i]);
	if (v->ninfo > 0)
		fputs("<ul class=\"info\">\n", out);
	for (i = 0; i < v->ninfo && rc == 0; i++) {
		fputs("<li>", out);
		rc = report_xml(out, v->info[i]);
		fputs("</li>\n", out);
	}
	if (v->ninfo > 0)
		fputs("</ul>\n", out);
	if (rc == 0)
		rc = report_html_evidence(out, v);
	fputs("</article>\n", out);
	return rc;
}

/* A quiet cell (fresh, no-source) as one table row. */
static int
report_html_row(FILE *out, const struct treg_verdict *v)
{
	int rc;

	fputs("<tr><td>", out);
	rc = report_xml(out, v->offering);
	fputs("</td><td>", out);
	if (rc == 0)
		rc = report_xml(out, v->cell);
	fputs("</td><td>", out);
	if (rc == 0)
		rc = report_xml(out, v->verified);
	fputs("</td><td class=\"meta\">", out);
	if (rc == 0 && v->ninfo > 0)
		rc = report_xml(out, v->info[0]);
	fputs("</td></tr>\n", out);
	return rc;
}

/* An IRI segment: unreserved characters kept, the rest %-encoded. */
static void
report_iri(FILE *out, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(s != NULL ? s : ""); *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~')
			fputc(*p, out);
		else
			fprintf(out, "%%%02X", *p);
	}
}

/*
 * One entry per flagged cell.  Its id names the cell, its state and the
 * time it entered that state, so it stays the same from one report to
 * the next while the cell stays flagged, and a feed reader shows it once;
 * a cell that changes state again is a new entry.
 */
static int
report_atom_entry(FILE *out, const struct treg_verdict *v, time_t generated)
{
	const char *name = treg_state_name(v->state);
	int64_t since = v->since != 0 ? v->since : (int64_t)generated;
	char iso[32];
	size_t i;
	int rc;

	if (report_iso(since, iso, sizeof(iso)) < 0)
		return -EINVAL;
	fputs("<entry>\n<id>" REPORT_ATOM_TAG "cell/", out);
	report_iri(out, v->offering);
	fputc('/', out);
	report_iri(out, v->cell);
	fprintf(out, "/%s/%s</id>\n<title>", name, iso);
	rc = report_xml(out, v->offering);
	fputs(" / ", out);
	if (rc == 0)
		rc = report_xml(out, v->cell);
	fprintf(out, ": %s</title>\n<updated>%s</updated>\n", name, iso);
	for (i = 0; i < v->nev && rc == 0; i++) {
		if (v->ev[i].role != TREG_ROLE_SOURCE ||
		    !report_is_web(v->ev[i].url))
			continue;
		fputs("<link rel=\"related\" href=\"", out);
		rc = report_xml(out, v->ev[i].url);
		fputs("\"/>\n", out);
	}
	fputs("<content type=\"text\">", out);
	for (i = 0; i < v->nreasons && rc == 0; i++) {
		rc = report_xml(out, v->reasons[i]);
		fputs(i + 1 < v->nreasons ? "\n" : "", out);
	}
	fputs("</content>\n</entry>\n", out);
	return rc;
}

/* ---- Building a report a verdict at a time ---- */

/*
 * Each verdict is rendered once, as it comes, into the sections it
 * belongs to; the sections are spooled in unlinked temporary files and
 * the documents assembled from them at the end.  Only counts and a few
 * fixed-size words per flagged cell and per failed fetch stay in memory:
 * the strings they are ordered by (verified dates, failed URLs) and the
 * rest of each failure's line are spooled too, and mapped back while a
 * document is assembled.  So a run of any size never holds every verdict
 * (at 36,000 cells they were 24 MiB, most of the run's peak), nor a copy
 * of every failure (140 MiB over 366,663 cells on a night without
 * network).
 */
enum report_spool_id {
	/* Copied out run by run (struct report_run)... */
	SPOOL_JSON,		/* the offerings array's members */
	SPOOL_TEXT_FRESH,
	SPOOL_TEXT_NO_SOURCE,
	SPOOL_HTML_FRESH,	/* table rows */
	SPOOL_HTML_NO_SOURCE,
	SPOOL_ATOM,		/* entries */
	SPOOL_RUNS,
	/* ...and read at the places noted. */
	SPOOL_TEXT_FLAGGED = SPOOL_RUNS,	/* whole cells */
	SPOOL_TEXT_FAILS,	/* the rest of each failure's line */
	SPOOL_HTML_FLAGGED,	/* articles */
	SPOOL_KEYS,		/* what the text and HTML orders compare */
	SPOOL_N
};

#define REPORT_TEXT_HTML	(TREG_REPORT_BIT(TREG_REPORT_TEXT) | \
	TREG_REPORT_BIT(TREG_REPORT_HTML))

/* The formats each spool serves: a spool that fails fails them. */
static const unsigned report_spool_formats[SPOOL_N] = {
	[SPOOL_JSON] = TREG_REPORT_BIT(TREG_REPORT_JSON),
	[SPOOL_TEXT_FLAGGED] = TREG_REPORT_BIT(TREG_REPORT_TEXT),
	[SPOOL_TEXT_FRESH] = TREG_REPORT_BIT(TREG_REPORT_TEXT),
	[SPOOL_TEXT_NO_SOURCE] = TREG_REPORT_BIT(TREG_REPORT_TEXT),
	[SPOOL_TEXT_FAILS] = TREG_REPORT_BIT(TREG_REPORT_TEXT),
	[SPOOL_HTML_FLAGGED] = TREG_REPORT_BIT(TREG_REPORT_HTML),
	[SPOOL_HTML_FRESH] = TREG_REPORT_BIT(TREG_REPORT_HTML),
	[SPOOL_HTML_NO_SOURCE] = TREG_REPORT_BIT(TREG_REPORT_HTML),
	[SPOOL_ATOM] = TREG_REPORT_BIT(TREG_REPORT_ATOM),
	[SPOOL_KEYS] = REPORT_TEXT_HTML,
};

/* File name extensions, also the formats' names in messages. */
static const char *const report_ext[] = {
	[TREG_REPORT_TEXT] = "txt",
	[TREG_REPORT_JSON] = "json",
	[TREG_REPORT_HTML] = "html",
	[TREG_REPORT_ATOM] = "atom",
};

/*
 * A flagged cell, 32 bytes whatever its strings: where its text and HTML
 * forms start in their spools, and its record in SPOOL_KEYS: the two
 * forms' lengths (uint64_t each) and its verified date, which orders it.
 */
struct report_flag {
	off_t	 key;		/* records follow one another as cells
				 * come, so this breaks ties */
	off_t	 at[2];		/* text, HTML */
	uint8_t	 state;
	uint8_t	 verified;	/* 0: unknown, oldest of all */
};

/* One failed evidence URL of one cell, for "Failed fetches", 16 bytes:
 * the URL as fetched lies in SPOOL_KEYS; the offering, cell, error,
 * detail and failures in SPOOL_TEXT_FAILS (built with the text form). */
struct report_fail {
	off_t	 url;		/* ascending as failures come */
	off_t	 at;
};

/*
 * A run of verdicts that came in registry order, and where it starts in
 * each spool.  A crawl judges each offering once its URLs have ended,
 * which is not always in registry order; the documents are assembled
 * run by run in that order, and cells that tie in a sort keep it.  Runs
 * split between offerings only, so an offering is never cut in two.
 */
struct report_run {
	uint64_t first;		/* its first verdict's order; unknown
				 * (0) after every known one */
	off_t	 at[SPOOL_RUNS];
	off_t	 keys_at;	/* in SPOOL_KEYS */
	uint32_t rank;		/* its place in order, once sorted */
};

/* The orders the last finish left the arrays in. */
#define REPORT_SORTED_FLAGS	0x1
#define REPORT_SORTED_FAILS	0x2
#define REPORT_SORTED_RUNS	0x4

struct treg_report {
	unsigned formats;	/* TREG_REPORT_BIT of each one built */
	time_t	 generated;
	char	*spool_dir;	/* NULL: tmpfile()'s */
	unsigned spool_failed;	/* formats whose spool write failed */
	FILE	*spool[SPOOL_N];	/* NULL for formats not built */
	off_t	 keys_len;	/* bytes written to SPOOL_KEYS */
	off_t	 fails_len;	/* and to SPOOL_TEXT_FAILS */
	int	 err[TREG_REPORT_NFORMATS];	/* first error of each */
	size_t	 n;
	size_t	 count[TREG_NSTATES];
	int	 coverage;	/* 1: unjudged, gone known; -1: no
				 * registry; 0: neither said */
	size_t	 unjudged;	/* registry cells with no verdict */
	size_t	 gone;		/* verdicts of cells gone from it */
	char	*named[TREG_REPORT_NAMED];	/* first unjudged */
	size_t	 nnamed;
	int64_t	 judged;	/* latest judgement; 0 if unknown */
	char	*last_offering;	/* of the last verdict added */
	int	 json_open;
	struct treg_buf json_cell;	/* the cell being written */
	struct report_flag *flags;	/* one per cell needing attention */
	size_t	 nflags, capflags;
	struct report_fail *fails;
	size_t	 nfails, capfails;
	struct report_run *runs;	/* as they came */
	size_t	 nruns, capruns;
	size_t	*run_seq;	/* run indices in order, once sorted */
	uint32_t last_order;	/* of the last verdict added */
	int	 shuffled;	/* some run came after a later one */
	size_t	 nfailed;	/* URLs among fails, once sorted */
	unsigned sorted;	/* REPORT_SORTED_* */
	int	 read_back;	/* a finish moved the spools' positions */
	/* Hashes of the fetched URLs, an open-addressing set (0: empty
	 * slot).  XXX: two URLs of one 64-bit hash count once, which
	 * only the "N URLs" figures would show, and never in practice. */
	uint64_t *urls;
	size_t	 nurls, capurls;
};

static int
report_building(const struct treg_report *r, enum treg_report_format fmt)
{
	return (r->formats & TREG_REPORT_BIT(fmt)) != 0 && r->err[fmt] == 0;
}

static void
report_failed(struct treg_report *r, enum treg_report_format fmt, int rc)
{
	if (rc < 0 && r->err[fmt] == 0)
		r->err[fmt] = rc;
}

/* An unlinked temporary file in dir, or tmpfile()'s when dir is NULL. */
static FILE *
report_spool_open(const char *dir, int *errp)
{
	char *path = NULL;
	FILE *f = NULL;
	int fd;

	if (dir == NULL) {
		f = tmpfile();
		*errp = f == NULL ? -errno : 0;
		return f;
	}
	if (asprintf(&path, "%s/.report-spool-XXXXXX", dir) < 0) {
		*errp = -ENOMEM;
		return NULL;
	}
	fd = mkstemp(path);
	*errp = fd < 0 ? -errno : 0;
	if (fd >= 0) {
		unlink(path);
		f = fdopen(fd, "w+");
		if (f == NULL) {
			*errp = -errno;
			close(fd);
		}
	}
	free(path);
	return f;
}

/* Appends s and its NUL to the spool f, whose length *lenp follows;
 * returns where s starts.  A failed write stays in the stream's error
 * flag, for report_spools_check(). */
static off_t
report_spool_str(FILE *f, off_t *lenp, const char *s)
{
	off_t at = *lenp;
	size_t n = strlen(s) + 1;

	fwrite(s, 1, n, f);
	*lenp += (off_t)n;
	return at;
}

/* Copies len bytes of the spool f from at (len SIZE_MAX: to its end) to
 * out.  Returns 0, the errno of a spool that cannot be flushed (a full
 * disk) or -EIO. */
static int
report_copy(FILE *out, FILE *f, off_t at, size_t len)
{
	char buf[65536];
	size_t want, got;

	errno = 0;
	if (fflush(f) == EOF || fseeko(f, at, SEEK_SET) < 0)
		return report_io_error();
	while (len > 0) {
		want = len < sizeof(buf) ? len : sizeof(buf);
		got = fread(buf, 1, want, f);
		if (got == 0)
			break;
		if (fwrite(buf, 1, got, out) != got)
			return -EIO;
		if (len != SIZE_MAX)
			len -= got;
	}
	return ferror(f) || (len != SIZE_MAX && len > 0) ? -EIO : 0;
}

static char *
report_strdup0(const char *s, int *err)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*err = -ENOMEM;
	return d;
}

int
treg_report_begin(struct treg_report **rp, unsigned formats,
    const char *spool_dir, time_t generated)
{
	struct treg_report *r;
	size_t i;
	int rc = 0;

	*rp = NULL;
	if (formats == 0 || (formats & ~TREG_REPORT_ALL) != 0)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->formats = formats;
	r->generated = generated;
	treg_buf_init(&r->json_cell, 0);
	r->spool_dir = report_strdup0(spool_dir, &rc);
	for (i = 0; i < SPOOL_N && rc == 0; i++) {
		if (formats & report_spool_formats[i])
			r->spool[i] = report_spool_open(spool_dir, &rc);
	}
	if (rc < 0) {
		treg_report_free(r);
		return rc;
	}
	*rp = r;
	return 0;
}

/* A URL's slot key; 0 marks an empty slot. */
static uint64_t
report_hash(const char *s)
{
	uint64_t h = treg_hash64(TREG_HASH64_INIT, s, strlen(s));

	return h != 0 ? h : 1;
}

static int
report_urls_grow(struct treg_report *r)
{
	uint64_t *old = r->urls, *slots;
	size_t cap = r->capurls ? r->capurls * 2 : 1024, i, j;

	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	for (i = 0; i < r->capurls; i++) {
		if (old[i] == 0)
			continue;
		for (j = old[i] & (cap - 1); slots[j] != 0; j = (j + 1) &
		    (cap - 1))
			;
		slots[j] = old[i];
	}
	free(old);
	r->urls = slots;
	r->capurls = cap;
	return 0;
}

static int
report_urls_add(struct treg_report *r, const char *url)
{
	uint64_t h = report_hash(url);
	size_t j;

	if ((r->nurls + 1) * 2 > r->capurls && report_urls_grow(r) < 0)
		return -ENOMEM;
	for (j = h & (r->capurls - 1); r->urls[j] != 0; j = (j + 1) &
	    (r->capurls - 1)) {
		if (r->urls[j] == h)
			return 0;
	}
	r->urls[j] = h;
	r->nurls++;
	return 0;
}

/*
 * The array of n elements of size bytes, holding *capp, with room for
 * more: grown by half (from first) until they fit, half rather than
 * double so that a large array wastes less.  NULL when it cannot grow;
 * the capacity grows only with the array, so a caller may go on adding
 * after an -ENOMEM.
 */
static void *
report_room(void *array, size_t *capp, size_t n, size_t more, size_t size,
    size_t first)
{
	void *grown;
	size_t cap = *capp;

	if (more <= cap - n)
		return array;
	while (more > cap - n) {
		cap = cap != 0 ? cap + cap / 2 : first;
		if (cap > SIZE_MAX / size)
			return NULL;
	}
	grown = realloc(array, cap * size);
	if (grown != NULL)
		*capp = cap;
	return grown;
}

/*
 * Takes what v needs from the allocator: its flag's and failures' room
 * and its fetched URLs in the set (which the text and HTML forms sum up
 * at their top, with notes set), all before anything of v is written,
 * so an -ENOMEM leaves no half-noted cell.
 */
static int
report_reserve(struct treg_report *r, const struct treg_verdict *v,
    int notes, int run)
{
	const struct treg_evidence *e;
	size_t i, failed = 0;
	void *grown;
	int rc = 0;

	if (run) {
		grown = report_room(r->runs, &r->capruns, r->nruns, 1,
		    sizeof(*r->runs), 16);
		if (grown == NULL)
			return -ENOMEM;
		r->runs = grown;
	}
	if (treg_verdict_needs_attention(v)) {
		grown = report_room(r->flags, &r->capflags, r->nflags, 1,
		    sizeof(*r->flags), 64);
		if (grown == NULL)
			return -ENOMEM;
		r->flags = grown;
	}
	for (i = 0; notes && i < v->nev && rc == 0; i++) {
		e = &v->ev[i];
		if (!e->fetched || e->fetch_url == NULL)
			continue;
		rc = report_urls_add(r, e->fetch_url);
		failed += report_fetch_failed(e);
	}
	if (rc == 0 && failed > 0) {
		grown = report_room(r->fails, &r->capfails, r->nfails, failed,
		    sizeof(*r->fails), 16);
		if (grown == NULL)
			return -ENOMEM;
		r->fails = grown;
	}
	return rc;
}

/* Notes v's failed fetches in the room reserved: each URL in the keys
 * spool and, for the text form, the rest of its line, with "-" for a
 * missing offering or cell as the line shows them. */
static void
report_note_fails(struct treg_report *r, const struct treg_verdict *v)
{
	const struct treg_evidence *e;
	struct report_fail *f;
	FILE *rest = NULL;
	char num[16];
	size_t i;

	if (report_building(r, TREG_REPORT_TEXT))
		rest = r->spool[SPOOL_TEXT_FAILS];
	for (i = 0; i < v->nev; i++) {
		e = &v->ev[i];
		if (!report_fetch_failed(e))
			continue;
		f = &r->fails[r->nfails++];
		f->url = report_spool_str(r->spool[SPOOL_KEYS], &r->keys_len,
		    e->fetch_url);
		f->at = r->fails_len;
		if (rest == NULL)
			continue;
		report_spool_str(rest, &r->fails_len, v->offering != NULL ?
		    v->offering : "-");
		report_spool_str(rest, &r->fails_len, v->cell != NULL ?
		    v->cell : "-");
		report_spool_str(rest, &r->fails_len, e->error);
		/* '+' before a detail tells it from none. */
		fputc(e->detail != NULL ? '+' : '-', rest);
		r->fails_len++;
		report_spool_str(rest, &r->fails_len, e->detail != NULL ?
		    e->detail : "");
		snprintf(num, sizeof(num), "%" PRIu32, e->failures);
		report_spool_str(rest, &r->fails_len, num);
	}
}

/* Notes a flagged cell's record in the keys spool, once its text and
 * HTML forms are spooled (len: their lengths). */
static void
report_note_flag(struct treg_report *r, const struct treg_verdict *v,
    struct report_flag *flag, const size_t *len)
{
	uint64_t lens[2] = { len[0], len[1] };

	flag->key = r->keys_len;
	fwrite(lens, sizeof(lens), 1, r->spool[SPOOL_KEYS]);
	r->keys_len += (off_t)sizeof(lens);
	report_spool_str(r->spool[SPOOL_KEYS], &r->keys_len,
	    v->verified != NULL ? v->verified : "");
}

/* Renders v at the spool's end, noting where it lies in *at and *len. */
static int
report_spool_cell(FILE *f, const struct treg_verdict *v,
    int (*put)(FILE *, const struct treg_verdict *), off_t *at,
    size_t *len)
{
	off_t end;
	int rc;

	*at = ftello(f);
	if (*at < 0)
		return -EIO;
	rc = put(f, v);
	end = ftello(f);
	if (rc == 0 && end < *at)
		rc = -EIO;
	*len = rc == 0 ? (size_t)(end - *at) : 0;
	return rc;
}

static int
report_text_flagged(FILE *out, const struct treg_verdict *v)
{
	return report_put_cell(out, v, 1);
}

static int
report_text_quiet(FILE *out, const struct treg_verdict *v)
{
	return report_put_cell(out, v, 0);
}

/* One member of the JSON offerings array holds an offering's run of
 * consecutive cells; the bytes are those one json_dumpf() of the whole
 * tree with JSON_INDENT(2) would write. */
static int
report_json_add(struct treg_report *r, const struct treg_verdict *v)
{
	FILE *f = r->spool[SPOOL_JSON];
	struct treg_buf *b = &r->json_cell;
	struct report_jw w;
	int rc = 0;

	treg_buf_reset(b);
	report_jw_init(&w, b, 1, 6);
	if (r->json_open && report_strcmp0(r->last_offering,
	    v->offering) == 0) {
		REPORT_JW_LIT(&w, ",\n        ");
	} else {
		if (r->json_open)
			REPORT_JW_LIT(&w, "\n      ]\n    },");
		REPORT_JW_LIT(&w, "\n    {\n      \"id\": ");
		report_jw_str(&w, v->offering);
		REPORT_JW_LIT(&w, ",\n      \"cells\": [\n        ");
		r->json_open = 1;
	}
	if (rc == 0 && w.err == 0)
		rc = report_cell_write(b, v, 0, 8);
	else if (rc == 0)
		rc = -ENOMEM;
	if (rc == 0 && fwrite(b->data, 1, b->len, f) != b->len)
		rc = -EIO;
	return rc;
}

/* Renders v into the spools of the formats built, a flagged cell's text
 * and HTML forms at flag->at, len long.  A format that fails keeps its
 * first error and is not written to again. */
static void
report_render(struct treg_report *r, const struct treg_verdict *v,
    struct report_flag *flag, size_t *len)
{
	int quiet = v->state == TREG_STATE_FRESH ? 0 :
	    v->state == TREG_STATE_NO_SOURCE ? 1 : -1;

	if (report_building(r, TREG_REPORT_JSON))
		report_failed(r, TREG_REPORT_JSON, report_json_add(r, v));
	if (report_building(r, TREG_REPORT_TEXT) && flag != NULL)
		report_failed(r, TREG_REPORT_TEXT, report_spool_cell(
		    r->spool[SPOOL_TEXT_FLAGGED], v, report_text_flagged,
		    &flag->at[0], &len[0]));
	else if (report_building(r, TREG_REPORT_TEXT) && quiet >= 0)
		report_failed(r, TREG_REPORT_TEXT, report_text_quiet(
		    r->spool[SPOOL_TEXT_FRESH + quiet], v));
	if (report_building(r, TREG_REPORT_HTML) && flag != NULL)
		report_failed(r, TREG_REPORT_HTML, report_spool_cell(
		    r->spool[SPOOL_HTML_FLAGGED], v, report_html_cell,
		    &flag->at[1], &len[1]));
	else if (report_building(r, TREG_REPORT_HTML) && quiet >= 0)
		report_failed(r, TREG_REPORT_HTML, report_html_row(
		    r->spool[SPOOL_HTML_FRESH + quiet], v));
	if (report_building(r, TREG_REPORT_ATOM) && flag != NULL)
		report_failed(r, TREG_REPORT_ATOM, report_atom_entry(
		    r->spool[SPOOL_ATOM], v, r->generated));
}

/* Fails fmt, whose spool write failed with rc, once, saying where. */
static void
report_spool_failed(struct treg_report *r, enum treg_report_format fmt,
    int rc)
{
	if ((r->formats & TREG_REPORT_BIT(fmt)) == 0 ||
	    (r->spool_failed & TREG_REPORT_BIT(fmt)) != 0)
		return;
	r->spool_failed |= TREG_REPORT_BIT(fmt);
	/* A bare -EIO the render returned is this failure. */
	if (r->err[fmt] == -EIO)
		r->err[fmt] = rc;
	report_failed(r, fmt, rc);
	log_err("report", "cannot spool the %s report dir=%s err=%s",
	    report_ext[fmt], r->spool_dir != NULL ? r->spool_dir :
	    P_tmpdir, strerror(-r->err[fmt]));
}

/* Fails every format spool i serves, with rc. */
static void
report_spool_lost(struct treg_report *r, size_t i, int rc)
{
	unsigned fmt;

	for (fmt = 0; fmt < TREG_REPORT_NFORMATS; fmt++) {
		if (report_spool_formats[i] & TREG_REPORT_BIT(fmt))
			report_spool_failed(r, (enum treg_report_format)fmt,
			    rc);
	}
}

/*
 * A spool write that failed (a full disk) fails its formats at once, with
 * the errno the failed write left (errno was cleared before rendering),
 * and says where: otherwise it would only surface as a bare -EIO when
 * the document is assembled, blamed on the report file.
 */
static void
report_spools_check(struct treg_report *r)
{
	int rc = report_io_error();
	size_t i;

	for (i = 0; i < SPOOL_N; i++) {
		if (r->spool[i] != NULL && ferror(r->spool[i]))
			report_spool_lost(r, i, rc);
	}
}

/* A finish read the spools back and left each where its reading
 * stopped, inside a section that the next cell must not overwrite. */
static void
report_spools_end(struct treg_report *r)
{
	size_t i;

	for (i = 0; i < SPOOL_N && r->read_back; i++) {
		if (r->spool[i] != NULL && fseeko(r->spool[i], 0,
		    SEEK_END) < 0)
			report_spool_lost(r, i, report_io_error());
	}
	r->read_back = 0;
}

/* Whether v starts a run: the first verdict, or one that is not next
 * in order after the last and not of its offering. */
static int
report_run_starts(const struct treg_report *r, const struct treg_verdict *v)
{
	if (r->nruns == 0)
		return 1;
	if (v->order == (r->last_order != 0 ? r->last_order + 1 : 0))
		return 0;
	return report_strcmp0(r->last_offering, v->offering) != 0;
}

static uint64_t
report_order_key(uint32_t order)
{
	return order != 0 ? order : UINT64_MAX;
}

/* Starts a run at v in the room report_reserve() made: the JSON group
 * open before it is closed, so that a run's members stand alone. */
static void
report_run_start(struct treg_report *r, const struct treg_verdict *v)
{
	struct report_run *run;
	size_t i;

	if (r->json_open && report_building(r, TREG_REPORT_JSON))
		fputs("\n      ]\n    }", r->spool[SPOOL_JSON]);
	r->json_open = 0;
	run = &r->runs[r->nruns];
	memset(run, 0, sizeof(*run));
	run->first = report_order_key(v->order);
	for (i = 0; i < SPOOL_RUNS; i++) {
		if (r->spool[i] == NULL)
			continue;
		run->at[i] = ftello(r->spool[i]);
		if (run->at[i] < 0)
			report_spool_lost(r, i, report_io_error());
	}
	run->keys_at = r->keys_len;
	if (r->nruns > 0 && run->first < r->runs[r->nruns - 1].first)
		r->shuffled = 1;
	r->nruns++;
	r->sorted &= ~REPORT_SORTED_RUNS;
}

int
treg_report_add(struct treg_report *r, const struct treg_verdict *v)
{
	struct report_flag *flag = NULL;
	size_t i, len[2] = { 0, 0 };
	char *offering = NULL;
	int notes, starts, moved, rc;

	notes = report_building(r, TREG_REPORT_TEXT) ||
	    report_building(r, TREG_REPORT_HTML);
	starts = report_run_starts(r, v);
	rc = report_reserve(r, v, notes, starts);
	moved = report_strcmp0(r->last_offering, v->offering) != 0;
	if (rc == 0 && moved)
		offering = report_strdup0(v->offering, &rc);
	/* Without its bookkeeping no form of the report would be true. */
	if (rc < 0) {
		for (i = 0; i < TREG_REPORT_NFORMATS; i++)
			report_failed(r, (enum treg_report_format)i, rc);
		free(offering);
		return rc;
	}

	report_spools_end(r);
	errno = 0;
	if (starts)
		report_run_start(r, v);
	if (treg_verdict_needs_attention(v)) {
		/* report_reserve() made room. */
		assert(r->flags != NULL);
		flag = &r->flags[r->nflags++];
		memset(flag, 0, sizeof(*flag));
		/* Out of range, a state must not wrap into an HTML
		 * group. */
		flag->state = (unsigned)v->state < TREG_NSTATES ?
		    (uint8_t)v->state : UINT8_MAX;
		flag->verified = v->verified != NULL;
	}
	if (notes)
		report_note_fails(r, v);
	report_render(r, v, flag, len);
	if (notes && flag != NULL)
		report_note_flag(r, v, flag, len);
	r->sorted = 0;
	r->last_order = v->order;
	if (moved) {
		free(r->last_offering);
		r->last_offering = offering;
	}
	report_spools_check(r);
	if ((unsigned)v->state < TREG_NSTATES)
		r->count[v->state]++;
	if (v->judged > r->judged)
		r->judged = v->judged;
	r->n++;
	return 0;
}

size_t
treg_report_attention(const struct treg_report *r)
{
	return r->nflags;
}

static void
report_names_free(struct treg_report *r)
{
	size_t i;

	for (i = 0; i < r->nnamed; i++)
		free(r->named[i]);
	r->nnamed = 0;
}

void
treg_report_set_coverage(struct treg_report *r, size_t unjudged,
    size_t gone, char *const *named, size_t nnamed)
{
	size_t i;

	report_names_free(r);
	r->coverage = 1;
	r->unjudged = unjudged;
	r->gone = gone;
	/* Names are an aid: without memory for one, the count stands. */
	for (i = 0; i < nnamed && r->nnamed < TREG_REPORT_NAMED; i++) {
		r->named[r->nnamed] = strdup(named[i]);
		if (r->named[r->nnamed] == NULL)
			break;
		r->nnamed++;
	}
}

void
treg_report_set_no_registry(struct treg_report *r)
{
	report_names_free(r);
	r->coverage = -1;
	r->unjudged = 0;
	r->gone = 0;
}

/* ", A, B and 4 more" after the count of cells not judged yet. */
static void
report_named(const struct treg_report *r, char *buf, size_t size)
{
	size_t i, len;

	buf[0] = '\0';
	for (i = 0; i < r->nnamed; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i == 0 ? " (" :
		    i + 1 == r->nnamed && r->unjudged == r->nnamed ? " and " :
		    ", ", r->named[i]);
	}
	len = strlen(buf);
	if (r->nnamed > 0 && r->unjudged > r->nnamed)
		snprintf(buf + len, size - len, " and %zu more)",
		    r->unjudged - r->nnamed);
	else if (r->nnamed > 0)
		snprintf(buf + len, size - len, ")");
}

/* Room for a sentence of the head on what a report leaves out. */
#define REPORT_COVERAGE_LINE \
	(TREG_REPORT_NAMED * (TREG_REGISTRY_ID_MAX + 48) + 160)

/*
 * Sentence k (0 or 1) of the report's head on what it leaves out, into
 * buf (no final stop); 0 when it has nothing to say.
 */
static int
report_coverage(const struct treg_report *r, int k, char *buf, size_t size)
{
	size_t n = k == 0 ? r->unjudged : r->gone;
	char names[TREG_REPORT_NAMED * (TREG_REGISTRY_ID_MAX + 48) + 32];

	if (r->coverage < 0 && k == 0) {
		snprintf(buf, size, "The registry could not be read: every "
		    "stored verdict is listed, cells not judged yet are not "
		    "counted");
		return 1;
	}
	if (n == 0)
		return 0;
	if (k == 0) {
		report_named(r, names, sizeof(names));
		snprintf(buf, size, "%zu cell%s of the registry not judged "
		    "yet: no verdict stored%s", n, n == 1 ? "" : "s", names);
	}
	else
		snprintf(buf, size, "%zu stored verdict%s of cells no longer "
		    "in the registry left out", n, n == 1 ? "" : "s");
	return 1;
}

/* Those sentences as lines of the text report's head. */
static void
report_text_coverage(const struct treg_report *r, FILE *out)
{
	char line[REPORT_COVERAGE_LINE];
	int k;

	for (k = 0; k < 2; k++) {
		if (!report_coverage(r, k, line, sizeof(line)))
			continue;
		(void)report_put(out, line);
		fputc('\n', out);
	}
}

/* ... and as a paragraph of the HTML report's header. */
static void
report_html_coverage(const struct treg_report *r, FILE *out)
{
	char line[REPORT_COVERAGE_LINE];
	int k, open = 0;

	for (k = 0; k < 2; k++) {
		if (!report_coverage(r, k, line, sizeof(line)))
			continue;
		fputs(open ? " " : "<p class=\"meta\">", out);
		(void)report_xml(out, line);
		fputc('.', out);
		open = 1;
	}
	if (open)
		fputs("</p>\n", out);
}

void
treg_report_free(struct treg_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	report_names_free(r);
	for (i = 0; i < SPOOL_N; i++)
		if (r->spool[i] != NULL)
			fclose(r->spool[i]);
	free(r->flags);
	free(r->fails);
	free(r->urls);
	free(r->last_offering);
	free(r->runs);
	free(r->run_seq);
	treg_buf_cleanup(&r->json_cell);
	free(r->spool_dir);
	free(r);
}

/* ---- Assembling the documents ---- */

/* ---- Runs back in order ---- */

static int
report_run_cmp(const void *a, const void *b, void *arg)
{
	const struct treg_report *r = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t fx = r->runs[x].first, fy = r->runs[y].first;

	if (fx != fy)
		return (fx > fy) - (fx < fy);
	return (x > y) - (x < y);
}

/* Puts the runs in order, when some came out of it.  Returns 0 or
 * -ENOMEM. */
static int
report_runs_sort(struct treg_report *r)
{
	size_t i;

	if (!r->shuffled || (r->sorted & REPORT_SORTED_RUNS))
		return 0;
	free(r->run_seq);
	r->run_seq = malloc(r->nruns * sizeof(*r->run_seq));
	if (r->run_seq == NULL)
		return -ENOMEM;
	for (i = 0; i < r->nruns; i++)
		r->run_seq[i] = i;
	qsort_r(r->run_seq, r->nruns, sizeof(*r->run_seq), report_run_cmp,
	    r);
	for (i = 0; i < r->nruns; i++)
		r->runs[r->run_seq[i]].rank = (uint32_t)i;
	r->sorted |= REPORT_SORTED_RUNS;
	return 0;
}

/* The run, in arrival order, whose records in SPOOL_KEYS hold at. */
static size_t
report_run_of(const struct treg_report *r, off_t at)
{
	size_t lo = 0, hi = r->nruns, mid;

	/* The first run starts at 0, so at is at or after it. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (r->runs[mid].keys_at <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Compares two cells by the order they take in the registry, from where
 * their records lie in SPOOL_KEYS (records of one run came in order). */
static int
report_came_cmp(const struct treg_report *r, off_t a, off_t b)
{
	uint32_t ra, rb;

	if (r->shuffled && r->nruns > 1) {
		ra = r->runs[report_run_of(r, a)].rank;
		rb = r->runs[report_run_of(r, b)].rank;
		if (ra != rb)
			return (ra > rb) - (ra < rb);
	}
	return (a > b) - (a < b);
}

/* Copies spool id to out, run by run in order.  A JSON run's members are
 * joined by commas, and the group left open at the end is closed where
 * its run ends. */
static int
report_copy_runs(struct treg_report *r, FILE *out, enum report_spool_id id)
{
	FILE *f = r->spool[id];
	const struct report_run *run;
	size_t k, i;
	off_t end;
	int json = id == SPOOL_JSON, rc = 0;

	assert(id < SPOOL_RUNS && (!r->shuffled ||
	    (r->sorted & REPORT_SORTED_RUNS)));
	if (!json && !r->shuffled)
		return report_copy(out, f, 0, SIZE_MAX);
	for (k = 0; k < r->nruns && rc == 0; k++) {
		i = r->shuffled ? r->run_seq[k] : k;
		run = &r->runs[i];
		end = i + 1 < r->nruns ? r->runs[i + 1].at[id] : -1;
		if (json && k > 0)
			fputc(',', out);
		rc = report_copy(out, f, run->at[id], end < 0 ? SIZE_MAX :
		    (size_t)(end - run->at[id]));
		if (json && i + 1 == r->nruns && r->json_open)
			fputs("\n      ]\n    }", out);
	}
	return rc;
}

static int
report_write_json(struct treg_report *r, FILE *out,
    const struct treg_report_health *health)
{
	struct treg_buf b;
	struct report_jw w;
	size_t i;
	int rc = 0;

	treg_buf_init(&b, 0);
	report_jw_init(&w, &b, 1, 0);
	report_jw_open(&w, '{');
	report_jw_kstring(&w, "format", REPORT_FORMAT_NAME);
	report_jw_kint(&w, "version", TREG_REPORT_VERSION);
	report_jw_ktime(&w, "generated", (int64_t)r->generated);
	report_jw_key(&w, "summary");
	report_jw_open(&w, '{');
	report_jw_kint(&w, "cells", (long long)r->n);
	report_jw_kint(&w, "needs_attention", (long long)r->nflags);
	report_jw_key(&w, "not_judged");
	if (r->coverage > 0)
		report_jw_int(&w, (long long)r->unjudged);
	else
		report_jw_null(&w);
	report_jw_key(&w, "not_in_registry");
	if (r->coverage > 0)
		report_jw_int(&w, (long long)r->gone);
	else
		report_jw_null(&w);
	report_jw_key(&w, "by_state");
	report_jw_open(&w, '{');
	for (i = 0; i < TREG_NSTATES; i++)
		report_jw_kint(&w, treg_state_name((enum treg_state)i),
		    (long long)r->count[i]);
	report_jw_close(&w, '}');
	report_jw_close(&w, '}');
	report_jw_key(&w, "offerings");
	REPORT_JW_LIT(&w, "[");
	if (w.err != 0)
		rc = -ENOMEM;
	else if (fwrite(b.data, 1, b.len, out) != b.len)
		rc = -EIO;
	if (rc == 0)
		rc = report_copy_runs(r, out, SPOOL_JSON);

	/* The array's members came from the spool: what closes it, then
	 * the rest of the document. */
	treg_buf_reset(&b);
	if (r->n > 0)
		REPORT_JW_LIT(&w, "\n  ]");
	else
		REPORT_JW_LIT(&w, "]");
	report_jw_key(&w, "health");
	if (health == NULL) {
		report_jw_null(&w);
	} else {
		report_jw_open(&w, '{');
		report_jw_kint(&w, "urls_checked",
		    (long long)health->urls_checked);
		report_jw_kint(&w, "urls_failed",
		    (long long)health->urls_failed);
		report_jw_kint(&w, "ms", (long long)health->ms);
		report_jw_close(&w, '}');
	}
	report_jw_close(&w, '}');
	REPORT_JW_LIT(&w, "\n");
	if (rc == 0 && w.err != 0)
		rc = -ENOMEM;
	if (rc == 0 && (fwrite(b.data, 1, b.len, out) != b.len ||
	    ferror(out)))
		rc = -EIO;
	treg_buf_cleanup(&b);
	return rc;
}

/*
 * A spool mapped read-only, so the sorts compare its strings in place
 * rather than holding copies: the pages are the spool's, which the
 * kernel may drop and read again, not the heap's.  XXX: while a text
 * document is assembled both its maps are touched nearly whole, so the
 * resident size rises by the two spools' size (72 MiB over 366,663
 * failed cells), page cache that memory pressure reclaims but that a
 * glance at RSS counts.
 */
struct report_map {
	const char *data;	/* NULL when empty */
	size_t	 len;
};

static void
report_unmap(struct report_map *m)
{
	if (m->data != NULL)
		munmap((void *)m->data, m->len);
	m->data = NULL;
	m->len = 0;
}

/* Maps the len bytes written to the spool f.  Returns 0, the errno of a
 * spool that cannot be flushed (a full disk) or of mmap(), or -EIO when
 * the spool is not what was written. */
static int
report_map(FILE *f, off_t len, struct report_map *m)
{
	struct stat sb;
	void *p;

	m->data = NULL;
	m->len = 0;
	if (f == NULL || len == 0)
		return 0;
	errno = 0;
	if (fflush(f) == EOF)
		return report_io_error();
	if (fstat(fileno(f), &sb) < 0)
		return -errno;
	if (sb.st_size != len || (uintmax_t)len > SIZE_MAX)
		return -EIO;
	p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fileno(f), 0);
	if (p == MAP_FAILED)
		return -errno;
	m->data = p;
	m->len = (size_t)len;
	/* Every record ends in a NUL, so no string read runs past the
	 * end. */
	if (m->data[m->len - 1] != '\0') {
		report_unmap(m);
		return -EIO;
	}
	return 0;
}

/* The string at at in m; "" past its end. */
static const char *
report_map_str(const struct report_map *m, off_t at)
{
	if (at < 0 || (uintmax_t)at >= m->len)
		return "";
	return m->data + at;
}

/* The string at *at in m, moving *at past it. */
static const char *
report_map_next(const struct report_map *m, off_t *at)
{
	const char *s = report_map_str(m, *at);

	*at += (off_t)strlen(s) + 1;
	return s;
}

/* By URL, then as they came. */
/* What the sorts below compare in: the keys spool mapped, and the report
 * whose runs break ties. */
struct report_sort_arg {
	const struct report_map *keys;
	const struct treg_report *r;
};

static int
report_fail_cmp(const void *a, const void *b, void *arg)
{
	const struct report_fail *x = a, *y = b;
	const struct report_sort_arg *sa = arg;
	int c;

	c = strcmp(report_map_str(sa->keys, x->url),
	    report_map_str(sa->keys, y->url));
	if (c != 0)
		return c;
	return report_came_cmp(sa->r, x->url, y->url);
}

/* Sorts the failures by URL (keys: the keys spool mapped) and counts
 * the URLs among them. */
static size_t
report_fails_sort(struct treg_report *r, const struct report_map *keys)
{
	struct report_sort_arg sa = { keys, r };
	size_t i, urls = 0;

	if (r->sorted & REPORT_SORTED_FAILS)
		return r->nfailed;
	if (r->nfails > 1)
		qsort_r(r->fails, r->nfails, sizeof(*r->fails),
		    report_fail_cmp, &sa);
	for (i = 0; i < r->nfails; i++)
		urls += i == 0 || strcmp(report_map_str(keys, r->fails[i].url),
		    report_map_str(keys, r->fails[i - 1].url)) != 0;
	r->nfailed = urls;
	r->sorted |= REPORT_SORTED_FAILS;
	return urls;
}

/* Cells named after a failed URL before "and N more". */
#define TEXT_FAIL_CELLS	6

/* One failure's line parts, read back from SPOOL_TEXT_FAILS. */
struct report_fail_parts {
	const char *offering;
	const char *cell;
	const char *error;
	const char *detail;	/* or NULL */
	uint32_t failures;
};

static void
report_fail_parts(const struct report_map *rest, off_t at,
    struct report_fail_parts *p)
{
	const char *detail;

	p->offering = report_map_next(rest, &at);
	p->cell = report_map_next(rest, &at);
	p->error = report_map_next(rest, &at);
	detail = report_map_next(rest, &at);
	p->detail = detail[0] == '+' ? detail + 1 : NULL;
	p->failures = (uint32_t)strtoul(report_map_next(rest, &at), NULL,
	    10);
}

/* "URL failed: ERROR (DETAIL), N consecutive failures; cited by ...". */
static int
report_put_failure(FILE *out, const struct report_map *keys,
    const struct report_map *rest, const struct report_fail *f, size_t n)
{
	struct report_fail_parts p;
	struct treg_buf b;
	size_t i;
	int rc;

	treg_buf_init(&b, 0);
	report_fail_parts(rest, f[0].at, &p);
	rc = treg_buf_printf(&b, "%s failed: %s", report_map_str(keys,
	    f[0].url), p.error);
	if (rc == 0 && p.detail != NULL)
		rc = treg_buf_printf(&b, " (%s)", p.detail);
	if (rc == 0 && p.failures > 0)
		rc = treg_buf_printf(&b, ", %" PRIu32 " consecutive failure%s",
		    p.failures, p.failures == 1 ? "" : "s");
	if (rc == 0)
		rc = treg_buf_printf(&b, "; cited by %zu cell%s:", n,
		    n == 1 ? "" : "s");
	for (i = 0; i < n && i < TEXT_FAIL_CELLS && rc == 0; i++) {
		report_fail_parts(rest, f[i].at, &p);
		rc = treg_buf_printf(&b, "%s %s/%s", i > 0 ? "," : "",
		    p.offering, p.cell);
	}
	if (rc == 0 && n > TEXT_FAIL_CELLS)
		rc = treg_buf_printf(&b, " and %zu more", n - TEXT_FAIL_CELLS);
	if (rc == 0)
		rc = report_put_reason(out, b.data);
	treg_buf_cleanup(&b);
	return rc;
}

/*
 * Every failed evidence URL once, with the cells citing it, and a warning
 * at the top when every URL failed (the network, not the registry, is
 * then the likely trouble).
 */
static int
report_put_failures(struct treg_report *r, FILE *out,
    const struct report_map *keys, const struct report_map *rest)
{
	const char *url;
	size_t i, start, nfailed;
	int rc = 0;

	nfailed = report_fails_sort(r, keys);
	if (r->nurls > 0 && nfailed == r->nurls)
		fprintf(out, "ALL %zu URL%s FAILED on %s latest fetch: is the "
		    "network reachable, and allowed by [network]?\n\n",
		    r->nurls, r->nurls == 1 ? "" : "s",
		    r->nurls == 1 ? "its" : "their");
	if (nfailed == 0)
		return 0;

	fprintf(out, "Failed fetches (%zu of %zu URL%s)\n\n", nfailed,
	    r->nurls, r->nurls == 1 ? "" : "s");
	for (start = 0; start < r->nfails && rc == 0; start = i) {
		url = report_map_str(keys, r->fails[start].url);
		for (i = start + 1; i < r->nfails && strcmp(report_map_str(
		    keys, r->fails[i].url), url) == 0; i++)
			;
		rc = report_put_failure(out, keys, rest, &r->fails[start],
		    i - start);
	}
	fputc('\n', out);
	return rc;
}

/* A flagged cell's verified date, behind its forms' lengths. */
static const char *
report_flag_verified(const struct report_map *keys,
    const struct report_flag *f)
{
	return report_map_str(keys, f->key + 2 * (off_t)sizeof(uint64_t));
}

/* Oldest verification first; an unknown date is oldest of all; ties as
 * they came. */
static int
report_oldest_cmp(const void *a, const void *b, void *arg)
{
	const struct report_flag *x = a, *y = b;
	const struct report_sort_arg *sa = arg;
	int c;

	c = (x->verified != 0) - (y->verified != 0);
	if (c == 0 && x->verified)
		c = strcmp(report_flag_verified(sa->keys, x),
		    report_flag_verified(sa->keys, y));
	if (c != 0)
		return c;
	return report_came_cmp(sa->r, x->key, y->key);
}

static void
report_flags_sort(struct treg_report *r, const struct report_map *keys)
{
	struct report_sort_arg sa = { keys, r };

	if (r->nflags > 1 && (r->sorted & REPORT_SORTED_FLAGS) == 0)
		qsort_r(r->flags, r->nflags, sizeof(*r->flags),
		    report_oldest_cmp, &sa);
	r->sorted |= REPORT_SORTED_FLAGS;
}

/* The flagged cells of state (TREG_NSTATES: all) in the sorted order,
 * form 0 text, 1 HTML. */
static int
report_put_flagged(struct treg_report *r, FILE *out, FILE *spool,
    const struct report_map *keys, int form, unsigned state)
{
	uint64_t len[2];
	size_t i;
	int rc = 0;

	for (i = 0; i < r->nflags && rc == 0; i++) {
		if (state != TREG_NSTATES && r->flags[i].state != state)
			continue;
		if (r->flags[i].key < 0 || (uintmax_t)r->flags[i].key +
		    sizeof(len) > keys->len)
			return -EIO;
		memcpy(len, keys->data + r->flags[i].key, sizeof(len));
		rc = report_copy(out, spool, r->flags[i].at[form],
		    (size_t)len[form]);
	}
	return rc;
}

/* "Fresh (N)" and its cells. */
static int
report_text_section(struct treg_report *r, FILE *out, const char *title,
    size_t count, enum report_spool_id id)
{
	int rc;

	fprintf(out, "%s (%zu)\n\n", title, count);
	if (count == 0)
		return 0;
	rc = report_copy_runs(r, out, id);
	fputc('\n', out);
	return rc;
}

/* What the health line counts as failed: flap damping's failures. */
#define REPORT_FAILED_MEANS \
	"an error status or no answer; blocked and rate-limited aside"

/*
 * The crawl-health sentence of the text and HTML forms.  "Failed" counts
 * every URL that gave no page (an error status too), where "Failed
 * fetches" lists those that gave no answer, so both are said.  A
 * daemon's figures run from its start and have no duration.
 */
static void
report_health_line(const struct treg_report_health *health, char *buf,
    size_t size)
{
	long ms = health->ms > 0 ? health->ms : 0;
	int n;

	if (health->since_start)
		n = snprintf(buf, size, "%zu fetch%s since the daemon "
		    "started, %zu failed (%s)", health->urls_checked,
		    health->urls_checked == 1 ? "" : "es",
		    health->urls_failed, REPORT_FAILED_MEANS);
	else
		n = snprintf(buf, size, "Checked %zu URL%s, %zu failed (%s), "
		    "in %ld.%ld s", health->urls_checked,
		    health->urls_checked == 1 ? "" : "s", health->urls_failed,
		    REPORT_FAILED_MEANS, ms / 1000, ms % 1000 / 100);
	if (n < 0)
		buf[0] = '\0';
}

static int
report_write_text(struct treg_report *r, FILE *out,
    const struct treg_report_health *health)
{
	struct report_map keys = { NULL, 0 }, rest = { NULL, 0 };
	char iso[32], line[160];
	int rc;

	rc = report_map(r->spool[SPOOL_KEYS], r->keys_len, &keys);
	if (rc == 0)
		rc = report_map(r->spool[SPOOL_TEXT_FAILS], r->fails_len,
		    &rest);
	if (rc < 0)
		goto out;

	if (report_iso((int64_t)r->generated, iso, sizeof(iso)) < 0)
		snprintf(iso, sizeof(iso), "at an unknown time");
	fprintf(out, "trustreg-crawl report, generated %s\n", iso);
	/* A report rebuilt from the store, or a back-dated --now run,
	 * shows when its verdicts were made. */
	if (r->judged != 0 && report_iso(r->judged, iso, sizeof(iso)) == 0)
		fprintf(out, "verdicts judged at %s\n", iso);
	report_text_coverage(r, out);
	fputc('\n', out);
	rc = report_put_failures(r, out, &keys, &rest);
	if (rc < 0)
		goto out;

	fprintf(out, "Needs attention (%zu)\n\n", r->nflags);
	report_flags_sort(r, &keys);
	rc = report_put_flagged(r, out, r->spool[SPOOL_TEXT_FLAGGED], &keys,
	    0, TREG_NSTATES);
	if (rc == 0)
		rc = report_text_section(r, out, "Fresh",
		    r->count[TREG_STATE_FRESH], SPOOL_TEXT_FRESH);
	if (rc == 0)
		rc = report_text_section(r, out, "No source",
		    r->count[TREG_STATE_NO_SOURCE], SPOOL_TEXT_NO_SOURCE);
	if (rc < 0)
		goto out;

	if (health != NULL) {
		report_health_line(health, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}

out:
	report_unmap(&keys);
	report_unmap(&rest);
	return rc;
}

/* The quiet cells (fresh, no-source) as one table of their rows. */
static int
report_html_quiet(struct treg_report *r, FILE *out, const char *title,
    size_t count, enum report_spool_id id)
{
	int rc;

	fprintf(out, "<h2>%s (%zu)</h2>\n", title, count);
	if (count == 0)
		return 0;
	fputs("<table class=\"quiet\"><tr><th>offering</th><th>cell</th>"
	    "<th>verified</th><th>notes</th></tr>\n", out);
	rc = report_copy_runs(r, out, id);
	fputs("</table>\n", out);
	return rc;
}

static int
report_write_html(struct treg_report *r, FILE *out,
    const struct treg_report_health *health)
{
	struct report_map keys;
	char iso[32], judged[32], line[160];
	size_t s, nfailed;
	int rc;

	rc = report_map(r->spool[SPOOL_KEYS], r->keys_len, &keys);
	if (rc < 0)
		return rc;
	if (report_iso((int64_t)r->generated, iso, sizeof(iso)) < 0)
		snprintf(iso, sizeof(iso), "unknown");
	if (r->judged == 0 || report_iso(r->judged, judged,
	    sizeof(judged)) < 0)
		judged[0] = '\0';

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"/>\n"
	    "<title>Trust registry evidence report %.10s</title>\n"
	    "<style>\n%s</style>\n</head>\n<body>\n<header>\n"
	    "<h1>Trust registry evidence report</h1>\n"
	    "<div class=\"meta\">generated %s%s%s &#183; %zu cells &#183; "
	    "%zu need a maintainer</div>\n<ul class=\"counts\">\n",
	    iso, report_css, iso, judged[0] != '\0' ?
	    " &#183; verdicts judged at " : "", judged, r->n, r->nflags);
	for (s = 0; s < TREG_NSTATES; s++)
		fprintf(out, "<li><b>%zu</b><span class=\"badge b-%s\">%s"
		    "</span></li>\n", r->count[s],
		    treg_state_name((enum treg_state)s),
		    treg_state_name((enum treg_state)s));
	fputs("</ul>\n", out);
	report_html_coverage(r, out);
	/* The warning that every evidence URL failed, as the text report
	 * says it at its top. */
	nfailed = report_fails_sort(r, &keys);
	if (r->nurls > 0 && nfailed == r->nurls)
		fprintf(out, "<p class=\"alarm\">All %zu evidence URL%s failed "
		    "on %s latest fetch: is the network reachable, and "
		    "allowed by [network]?</p>\n",
		    r->nurls, r->nurls == 1 ? "" : "s", r->nurls == 1 ?
		    "its" : "their");
	fprintf(out, "</header>\n<main>\n<h2>Needs attention (%zu)"
	    "</h2>\n", r->nflags);
	if (r->nflags == 0)
		fputs("<p>Nothing needs a maintainer today.</p>\n", out);

	/* Grouped by what the cells need, most urgent first; within a
	 * group the oldest verification first. */
	report_flags_sort(r, &keys);
	for (s = 0; s < TREG_STATE_NO_SOURCE && rc == 0; s++) {
		if (r->count[s] == 0)
			continue;
		fprintf(out, "<h3>%s (%zu)</h3>\n",
		    treg_state_name((enum treg_state)s), r->count[s]);
		rc = report_put_flagged(r, out, r->spool[SPOOL_HTML_FLAGGED],
		    &keys, 1, (unsigned)s);
	}
	if (rc == 0)
		rc = report_html_quiet(r, out, "Fresh",
		    r->count[TREG_STATE_FRESH], SPOOL_HTML_FRESH);
	if (rc == 0)
		rc = report_html_quiet(r, out, "No public source",
		    r->count[TREG_STATE_NO_SOURCE], SPOOL_HTML_NO_SOURCE);
	fputs("</main>\n<footer>\n<h2>Crawl health</h2>\n", out);
	if (health != NULL) {
		report_health_line(health, line, sizeof(line));
		fprintf(out, "<p>%s.</p>\n", line);
	} else
		fputs("<p class=\"meta\">Printed from the store; no crawl "
		    "figures.</p>\n", out);
	fputs("</footer>\n</body>\n</html>\n", out);
	report_unmap(&keys);
	return rc;
}

static int
report_write_atom(struct treg_report *r, FILE *out)
{
	char iso[32];
	int rc;

	if (report_iso((int64_t)r->generated, iso, sizeof(iso)) < 0)
		return -EINVAL;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
	    "<id>" REPORT_ATOM_TAG "feed</id>\n"
	    "<title>Trust registry cells needing attention</title>\n"
	    "<updated>%s</updated>\n"
	    "<author><name>trustreg-crawl</name></author>\n"
	    "<generator>trustreg-crawl</generator>\n", iso);
	rc = report_copy_runs(r, out, SPOOL_ATOM);
	fputs("</feed>\n", out);
	return rc;
}

int
treg_report_finish(struct treg_report *r, enum treg_report_format fmt,
    FILE *out, const struct treg_report_health *health)
{
	int rc;

	if ((unsigned)fmt >= TREG_REPORT_NFORMATS ||
	    (r->formats & TREG_REPORT_BIT(fmt)) == 0)
		return -EINVAL;
	if (r->err[fmt] < 0)
		return r->err[fmt];
	/* The sorts break ties by the runs' order. */
	rc = report_runs_sort(r);
	if (rc < 0)
		return rc;
	r->read_back = 1;
	if (fmt == TREG_REPORT_JSON)
		rc = report_write_json(r, out, health);
	else if (fmt == TREG_REPORT_HTML)
		rc = report_write_html(r, out, health);
	else if (fmt == TREG_REPORT_ATOM)
		rc = report_write_atom(r, out);
	else
		rc = report_write_text(r, out, health);
	if (rc < 0)
		return rc;

	/* Individual writes are not checked: the stream's error flag
	 * remembers any failure, and the flush surfaces a full disk. */
	if (fflush(out) == EOF || ferror(out))
		return -EIO;
	return 0;
}

/* A report of the n verdicts v in the formats given. */
static int
report_build(struct treg_report **rp, unsigned formats,
    const char *spool_dir, const struct treg_verdict *v, size_t n,
    time_t generated)
{
	size_t i;
	int rc;

	rc = treg_report_begin(rp, formats, spool_dir, generated);
	for (i = 0; i < n && rc == 0; i++)
		rc = treg_report_add(*rp, &v[i]);
	if (rc < 0) {
		treg_report_free(*rp);
		*rp = NULL;
	}
	return rc;
}

int
treg_report_write(FILE *out, enum treg_report_format fmt,
    const struct treg_verdict *v, size_t n, time_t generated,
    const struct treg_report_health *health)
{
	struct treg_report *r = NULL;
	int rc;

	if ((unsigned)fmt >= TREG_REPORT_NFORMATS)
		return -EINVAL;
	rc = report_build(&r, TREG_REPORT_BIT(fmt), NULL, v, n, generated);
	if (rc == 0)
		rc = treg_report_finish(r, fmt, out, health);
	treg_report_free(r);
	return rc;
}

/* ---- Report files ---- */

/* Writes the report to a temporary file in dir and renames it to path. */
static int
report_write_file(const char *dir, const char *path, struct treg_report *r,
    enum treg_report_format fmt, const struct treg_report_health *health)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd, rc = -ENOMEM;

	if (asprintf(&tmp, "%s/.report-XXXXXX", dir) < 0) {
		tmp = NULL;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	(void)fchmod(fd, 0644);
	rc = treg_report_finish(r, fmt, f, health);
	if (rc == 0 && fsync(fileno(f)) < 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc == 0)
		goto out;

fail:
	unlink(tmp);
out:
	free(tmp);
	return rc;
}

/*
 * Makes path a second name of the finished file at from, replacing it
 * atomically: a hard link under a temporary name, then a rename.  The
 * report is rendered once for its dated file and its latest.* name.
 * Returns 0 or a negative errno (the caller renders it again).
 */
static int
report_link_file(const char *dir, const char *from, const char *path)
{
	char *tmp = NULL;
	int fd, rc = -ENOMEM;

	if (asprintf(&tmp, "%s/.report-XXXXXX", dir) < 0)
		return -ENOMEM;
	/* mkstemp only finds a free name: link() needs it free again. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	close(fd);
	unlink(tmp);
	rc = link(from, tmp) == 0 ? 0 : -errno;
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
	}

out:
	free(tmp);
	return rc;
}

/* The dated file and latest.EXT of one format. */
static int
report_finish_file(struct treg_report *r, const char *dir,
    enum treg_report_format fmt, const struct treg_report_health *health)
{
	char *rdir = NULL, *dated = NULL, *latest = NULL;
	const char *failed = NULL;
	char day[16];
	struct tm tm;
	int rc = -ENOMEM;

	if (localtime_r(&r->generated, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		return -EINVAL;
	if (asprintf(&rdir, "%s/reports", dir) < 0) {
		rdir = NULL;
		goto out;
	}
	if (asprintf(&dated, "%s/report-%s.%s", rdir, day,
	    report_ext[fmt]) < 0) {
		dated = NULL;
		goto out;
	}
	if (asprintf(&latest, "%s/latest.%s", rdir, report_ext[fmt]) < 0) {
		latest = NULL;
		goto out;
	}
	if (mkdir(rdir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		goto out;
	}

	/* XXX: latest.* follows the last run, not the newest day, so a run
	 * with a back-dated --now points it at an older report; and a
	 * reports directory that is a symbolic link is followed, outside
	 * the state directory if it points there. */
	failed = dated;
	rc = report_write_file(rdir, dated, r, fmt, health);
	if (rc == 0 && report_link_file(rdir, dated, latest) < 0) {
		failed = latest;
		rc = report_write_file(rdir, latest, r, fmt, health);
	}

out:
	if (rc < 0)
		log_err("report", "cannot write the report file=%s err=%s",
		    failed != NULL ? failed : rdir != NULL ? rdir : dir,
		    strerror(-rc));
	free(rdir);
	free(dated);
	free(latest);
	return rc;
}

/* Temporary report files older than this are a killed writer's. */
#define REPORT_STALE_TMP	3600

/*
 * Removes the temporary files (".report-" and mkstemp's six characters)
 * that writers killed before their rename left in the reports directory
 * of dir: nothing else would, and each is a whole report's size.  A
 * writer running beside this one (a --once beside the daemon) is spared
 * by the file's age.
 */
static void
report_sweep(const char *dir, time_t now)
{
	static const char prefix[] = ".report-";
	char *rdir = NULL;
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if (asprintf(&rdir, "%s/reports", dir) < 0)
		return;
	d = opendir(rdir);
	free(rdir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, sizeof(prefix) - 1) != 0 ||
		    strlen(de->d_name) != sizeof(prefix) - 1 + 6)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_mtime < now - REPORT_STALE_TMP &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("report", "removed a killed writer's "
			    "temporary file=%s", de->d_name);
	}
	closedir(d);
}

int
treg_report_finish_files(struct treg_report *r, const char *dir,
    const struct treg_report_health *health)
{
	unsigned fmt;
	int rc, first = 0;

	report_sweep(dir, time(NULL));
	for (fmt = 0; fmt < TREG_REPORT_NFORMATS; fmt++) {
		if ((r->formats & TREG_REPORT_BIT(fmt)) == 0)
			continue;
		rc = report_finish_file(r, dir, (enum treg_report_format)fmt,
		    health);
		if (rc < 0 && first == 0)
			first = rc;
	}
	return first;
}

/* The spools of a report built to be filed lie in the state directory,
 * beside the store: the JSON form of a large registry is hundreds of
 * megabytes, more than /tmp may hold. */
static int
report_file_all(const char *dir, unsigned formats,
    const struct treg_verdict *v, size_t n, time_t generated,
    const struct treg_report_health *health)
{
	struct treg_report *r = NULL;
	int rc;

	rc = report_build(&r, formats, dir, v, n, generated);
	if (rc < 0)
		log_err("report", "cannot build the report dir=%s err=%s", dir,
		    strerror(-rc));
	else
		rc = treg_report_finish_files(r, dir, health);
	treg_report_free(r);
	return rc;
}

int
treg_report_write_files(const char *dir, enum treg_report_format fmt,
    const struct treg_verdict *v, size_t n, time_t generated,
    const struct treg_report_health *health)
{
	if ((unsigned)fmt >= TREG_REPORT_NFORMATS)
		return -EINVAL;
	return report_file_all(dir, TREG_REPORT_BIT(fmt), v, n, generated,
	    health);
}

int
treg_report_write_all(const char *dir, const struct treg_verdict *v,
    size_t n, time_t generated, const struct treg_report_health *health)
{
	return report_file_all(dir, TREG_REPORT_ALL, v, n, generated,
	    health);
}

/* ---- JSON in ---- */

/*
 * The getters below take a member that must be present.  Each returns 0,
 * -EINVAL when the member is missing or of the wrong type or form, or
 * -ENOMEM.
 */
static int
report_get_str(const json_t *o, const char *key, int nullable, char **out)
{
	const json_t *j = json_object_get(o, key);

	*out = NULL;
	if (nullable && json_is_null(j))
		return 0;
	if (!json_is_string(j))
		return -EINVAL;
	*out = strdup(json_string_value(j));
	return *out != NULL ? 0 : -ENOMEM;
}

static int
report_get_bool(const json_t *o, const char *key, int *out)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_boolean(j))
		return -EINVAL;
	*out = json_is_true(j);
	return 0;
}

static int
report_get_u32(const json_t *o, const char *key, uint32_t *out)
{
	const json_t *j = json_object_get(o, key);
	json_int_t i;

	if (!json_is_integer(j))
		return -EINVAL;
	i = json_integer_value(j);
	if (i < 0 || i > (json_int_t)UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)i;
	return 0;
}

static int
report_get_time(const json_t *o, const char *key, int64_t *out)
{
	const json_t *j = json_object_get(o, key);

	*out = 0;
	if (json_is_null(j))
		return 0;
	if (json_is_integer(j)) {
		*out = (int64_t)json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return -EINVAL;
	return report_parse_iso(json_string_value(j), out);
}

static int
report_is_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

static int
report_get_digest(const json_t *o, const char *key, char *out)
{
	const json_t *j = json_object_get(o, key);

	out[0] = '\0';
	if (json_is_null(j))
		return 0;
	if (!json_is_string(j) ||
	    !report_is_hex(json_string_value(j), TREG_SHA256_HEXLEN))
		return -EINVAL;
	memcpy(out, json_string_value(j), TREG_SHA256_HEXLEN + 1);
	return 0;
}

static int
report_get_fingerprint(const json_t *o, const char *key, uint64_t *out)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_string(j) ||
	    !report_is_hex(json_string_value(j), FINGERPRINT_HEXLEN))
		return -EINVAL;
	*out = (uint64_t)strtoull(json_string_value(j), NULL, 16);
	return 0;
}

static int
report_get_baseline(const json_t *o, struct treg_evidence *e)
{
	const json_t *b = json_object_get(o, "baseline");
	int rc;

	if (json_is_null(b))
		return 0;
	if (!json_is_object(b))
		return -EINVAL;

	e->has_baseline = 1;
	rc = report_get_time(b, "at", &e->baseline_at);
	if (rc == 0)
		rc = report_get_digest(b, "digest", e->baseline_digest);
	if (rc == 0)
		rc = report_get_u32(b, "words", &e->baseline_words);
	if (rc == 0)
		rc = report_get_fingerprint(b, "fingerprint",
		    &e->baseline_simhash);
	e->baseline_archived = json_is_true(json_object_get(b, "archived"));
	return rc;
}

/* Version 2 members; a record stored by version 1 has none of them. */
static int
report_get_region(const json_t *o, struct treg_evidence *e)
{
	const json_t *r = json_object_get(o, "region");
	int rc;

	if (r == NULL || json_is_null(r))
		return 0;
	if (!json_is_object(r))
		return -EINVAL;
	e->has_region = 1;
	e->region_whole = json_is_true(json_object_get(r, "whole_text"));
	e->page_changed = json_is_true(json_object_get(r, "page_changed"));
	e->chrome_changed = json_is_true(json_object_get(r,
	    "chrome_changed"));
	rc = report_get_digest(r, "digest", e->region_digest);
	if (rc == 0)
		rc = report_get_u32(r, "words", &e->region_words);
	if (rc == 0)
		rc = report_get_fingerprint(r, "fingerprint",
		    &e->region_simhash);
	if (rc == 0)
		rc = report_get_digest(r, "baseline_digest",
		    e->baseline_region_digest);
	if (rc == 0)
		rc = report_get_u32(r, "baseline_words",
		    &e->baseline_region_words);
	if (rc == 0)
		rc = report_get_fingerprint(r, "baseline_fingerprint",
		    &e->baseline_region_simhash);
	if (rc == 0)
		rc = report_get_str(r, "page_note", 1, &e->page_note);
	return rc;
}

static int
report_get_diff(const json_t *o, struct treg_evidence *e)
{
	const json_t *a = json_object_get(o, "diff");
	const json_t *h, *more;
	size_t i;
	int rc = 0;

	more = json_object_get(o, "diff_more");
	if (json_is_integer(more) && json_integer_value(more) >= 0)
		e->diff_more = (size_t)json_integer_value(more);
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return -EINVAL;
	e->diff = calloc(json_array_size(a), sizeof(*e->diff));
	if (e->diff == NULL)
		return -ENOMEM;
	json_array_foreach(a, i, h) {
		if (!json_is_object(h))
			return -EINVAL;
		e->ndiff++;
		rc = report_get_str(h, "before", 0, &e->diff[i].before);
		if (rc == 0)
			rc = report_get_str(h, "removed", 0, &e->diff[i].del);
		if (rc == 0)
			rc = report_get_str(h, "added", 0, &e->diff[i].ins);
		if (rc == 0)
			rc = report_get_str(h, "after", 0, &e->diff[i].after);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
report_get_ev_quotes(const json_t *o, struct treg_evidence *e)
{
	const json_t *a = json_object_get(o, "quotes");
	const json_t *q;
	size_t i;

	if (!json_is_array(a))
		return -EINVAL;
	if (json_array_size(a) == 0)
		return 0;

	e->quotes = calloc(json_array_size(a), sizeof(*e->quotes));
	if (e->quotes == NULL)
		return -ENOMEM;
	e->nquotes = json_array_size(a);
	json_array_foreach(a, i, q) {
		if (json_is_true(q))
			e->quotes[i] = TREG_QUOTE_FOUND;
		else if (json_is_false(q))
			e->quotes[i] = TREG_QUOTE_MISSING;
		else if (json_is_null(q))
			e->quotes[i] = TREG_QUOTE_UNCHECKED;
		else
			return -EINVAL;
	}
	return 0;
}

static int
report_get_role(const json_t *o, enum treg_role *role)
{
	const char *s = json_string_value(json_object_get(o, "role"));

	if (s != NULL && strcmp(s, "source") == 0)
		*role = TREG_ROLE_SOURCE;
	else if (s != NULL && strcmp(s, "archive") == 0)
		*role = TREG_ROLE_ARCHIVE;
	else
		return -EINVAL;
	return 0;
}

static int
report_get_status(const json_t *o, long *status)
{
	const json_t *j = json_object_get(o, "status");

	*status = 0;
	if (json_is_null(j))
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < LONG_MIN ||
	    json_integer_value(j) > LONG_MAX)
		return -EINVAL;
	*status = (long)json_integer_value(j);
	return 0;
}

/* Derived members (fingerprint_distance) are not read back. */
static int
report_evidence_from(const json_t *o, struct treg_evidence *e)
{
	int rc;

	if (!json_is_object(o))
		return -EINVAL;

	rc = report_get_str(o, "url", 1, &e->url);
	if (rc == 0)
		rc = report_get_str(o, "fetch_url", 1, &e->fetch_url);
	if (rc == 0)
		rc = report_get_role(o, &e->role);
	if (rc == 0)
		rc = report_get_bool(o, "fetched", &e->fetched);
	if (rc == 0)
		rc = report_get_time(o, "at", &e->at);
	if (rc == 0)
		rc = report_get_status(o, &e->status);
	if (rc == 0)
		rc = report_get_str(o, "error", 1, &e->error);
	if (rc == 0)
		rc = report_get_str(o, "detail", 1, &e->detail);
	if (rc == 0)
		rc = report_get_str(o, "final_url", 1, &e->final_url);
	/* Absent from verdicts stored before they existed. */
	if (rc == 0 && json_object_get(o, "reason") != NULL)
		rc = report_get_str(o, "reason", 1, &e->reason);
	if (rc == 0 && json_object_get(o, "chain") != NULL)
		rc = report_get_str(o, "chain", 1, &e->chain);
	if (rc == 0)
		rc = report_get_bool(o, "moved", &e->moved);
	if (rc == 0)
		rc = report_get_bool(o, "unverifiable", &e->unverifiable);
	if (rc == 0)
		rc = report_get_u32(o, "failures", &e->failures);
	if (rc == 0)
		rc = report_get_digest(o, "digest", e->digest);
	if (rc == 0)
		rc = report_get_u32(o, "words", &e->words);
	if (rc == 0)
		rc = report_get_fingerprint(o, "fingerprint", &e->simhash);
	if (rc == 0)
		rc = report_get_baseline(o, e);
	if (rc == 0)
		rc = report_get_ev_quotes(o, e);
	if (rc == 0)
		rc = report_get_region(o, e);
	if (rc == 0)
		rc = report_get_diff(o, e);
	return rc;
}

/* A string array into a calloc'd vector; the count is set before the
 * strings are copied so a cleanup frees a partial vector. */
static int
report_get_strv(const json_t *o, const char *key, char ***vp, size_t *np)
{
	const json_t *a = json_object_get(o, key);
	const json_t *s;
	size_t i;

	if (!json_is_array(a))
		return -EINVAL;
	if (json_array_size(a) == 0)
		return 0;

	*vp = calloc(json_array_size(a), sizeof(**vp));
	if (*vp == NULL)
		return -ENOMEM;
	*np = json_array_size(a);
	json_array_foreach(a, i, s) {
		if (!json_is_string(s))
			return -EINVAL;
		(*vp)[i] = strdup(json_string_value(s));
		if ((*vp)[i] == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* The cell's quotations: objects whose "text" is read back; "found" is
 * derived from the evidence. */
static int
report_get_cell_quotes(const json_t *o, struct treg_verdict *v)
{
	const json_t *a = json_object_get(o, "quotes");
	const json_t *q;
	size_t i;
	int rc;

	if (!json_is_array(a))
		return -EINVAL;
	if (json_array_size(a) == 0)
		return 0;

	v->quotes = calloc(json_array_size(a), sizeof(*v->quotes));
	if (v->quotes == NULL)
		return -ENOMEM;
	v->nquotes = json_array_size(a);
	json_array_foreach(a, i, q) {
		if (!json_is_object(q))
			return -EINVAL;
		rc = report_get_str(q, "text", 0, &v->quotes[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * The members of a verdict in store form before the first member named
 * by cut (",\"judged\":" say), as an object of their own: a quote
 * inside a JSON string is escaped, so the first cut ends the part to
 * read, and closed there it is an object.  NULL when cut is not found
 * or the part cannot be read.
 */
static json_t *
report_verdict_head(const char *json, size_t len, const char *cut)
{
	const char *p;
	char *head;
	json_t *o;
	size_t n;

	p = memmem(json, len, cut, strlen(cut));
	if (p == NULL)
		return NULL;
	n = (size_t)(p - json);
	head = malloc(n + 2);
	if (head == NULL)
		return NULL;
	memcpy(head, json, n);
	head[n] = '}';
	head[n + 1] = '\0';
	o = json_loadb(head, n + 1, 0, NULL);
	free(head);
	return o;
}

int
treg_report_verdict_state(const char *json, size_t len,
    enum treg_state *state, int64_t *since)
{
	struct treg_verdict v;
	json_t *o;
	int rc;

	/* "state" and "since" come before "judged". */
	o = report_verdict_head(json, len, ",\"judged\":");
	if (o == NULL) {
		rc = treg_report_verdict_from_json(json, len, &v);
		if (rc == 0) {
			*state = v.state;
			*since = v.since;
			treg_verdict_cleanup(&v);
		}
		return rc;
	}
	rc = treg_state_parse(json_string_value(json_object_get(o, "state")),
	    state) == 0 ? 0 : -EINVAL;
	if (rc == 0)
		rc = report_get_time(o, "since", since);
	json_decref(o);
	return rc;
}

int
treg_report_verdict_order(const char *json, size_t len, uint32_t *order)
{
	struct treg_verdict v;
	json_int_t i;
	json_t *o;
	int rc = -EINVAL;

	/* "order" comes before "flags". */
	o = report_verdict_head(json, len, ",\"flags\":");
	if (o == NULL) {
		rc = treg_report_verdict_from_json(json, len, &v);
		if (rc == 0) {
			*order = v.order;
			treg_verdict_cleanup(&v);
		}
		return rc;
	}
	/* Records of older versions have no "order": position unknown. */
	if (json_object_get(o, "order") == NULL) {
		*order = 0;
		rc = 0;
	} else if (json_is_integer(json_object_get(o, "order"))) {
		i = json_integer_value(json_object_get(o, "order"));
		if (i >= 0 && i <= (json_int_t)UINT32_MAX) {
			*order = (uint32_t)i;
			rc = 0;
		}
	}
	json_decref(o);
	return rc;
}

static int
report_get_states(const json_t *o, struct treg_verdict *v)
{
	const json_t *a = json_object_get(o, "flags");
	const json_t *s;
	enum treg_state st;
	size_t i;

	if (treg_state_parse(json_string_value(json_object_get(o, "state")),
	    &v->state) < 0 || !json_is_array(a))
		return -EINVAL;

	v->flags = 0;
	json_array_foreach(a, i, s) {
		if (treg_state_parse(json_string_value(s), &st) < 0)
			return -EINVAL;
		v->flags |= TREG_STATE_BIT(st);
	}
	return 0;
}

static int
report_get_evidence(const json_t *o, struct treg_verdict *v)
{
	const json_t *a = json_object_get(o, "evidence");
	const json_t *e;
	size_t i;
	int rc;

	if (!json_is_array(a))
		return -EINVAL;
	if (json_array_size(a) == 0)
		return 0;

	v->ev = calloc(json_array_size(a), sizeof(*v->ev));
	if (v->ev == NULL)
		return -ENOMEM;
	v->nev = json_array_size(a);
	json_array_foreach(a, i, e) {
		rc = report_evidence_from(e, &v->ev[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
treg_report_verdict_from_json(const char *json, size_t len,
    struct treg_verdict *v)
{
	json_t *o = NULL;
	int rc = -EINVAL;

	memset(v, 0, sizeof(*v));
	if (json == NULL)
		goto out;

	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		goto out;

	rc = report_get_str(o, "offering", 1, &v->offering);
	if (rc == 0)
		rc = report_get_str(o, "id", 1, &v->cell);
	if (rc == 0)
		rc = report_get_str(o, "verified", 1, &v->verified);
	if (rc == 0)
		rc = report_get_states(o, v);
	if (rc == 0 && json_object_get(o, "since") != NULL)
		rc = report_get_time(o, "since", &v->since);
	if (rc == 0 && json_object_get(o, "judged") != NULL)
		rc = report_get_time(o, "judged", &v->judged);
	if (rc == 0 && json_object_get(o, "order") != NULL)
		rc = report_get_u32(o, "order", &v->order);
	if (rc == 0)
		rc = report_get_strv(o, "reasons", &v->reasons, &v->nreasons);
	if (rc == 0 && json_object_get(o, "info") != NULL)
		rc = report_get_strv(o, "info", &v->info, &v->ninfo);
	if (rc == 0)
		rc = report_get_cell_quotes(o, v);
	if (rc == 0)
		rc = report_get_evidence(o, v);

out:
	json_decref(o);
	if (rc < 0)
		treg_verdict_cleanup(v);
	return rc;
}
