/* SPDX-License-Identifier: MIT */
/*
 * Reports.  The text form leads with the cells that need a maintainer,
 * oldest verification first; the JSON form (documented, versioned, in
 * data/report-format.md) is built with jansson.  Strings that came from a
 * server are repaired on the way out: invalid UTF-8 becomes U+FFFD in
 * both forms, and control characters become '?' in the text form so a
 * report shown on a terminal cannot drive it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "report.h"

#define REPORT_FORMAT_NAME	"trustreg-crawl-report"

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

/*
 * Appends s to b as valid UTF-8.  In text mode, C0 and C1 control
 * characters and DEL become '?' too.  Returns 0 or -ENOMEM.
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
		    (p[0] == 0xc2 && p[1] < 0xa0))) {
			rc = treg_buf_puts(b, "?");
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

/* Sets key on o, remembering any failure (including a NULL value from a
 * failed constructor) in *err so the caller checks once. */
static void
report_set(json_t *o, const char *key, json_t *val, int *err)
{
	if (val == NULL || json_object_set_new(o, key, val) < 0)
		*err = -ENOMEM;
}

static void
report_push(json_t *a, json_t *val, int *err)
{
	if (val == NULL || json_array_append_new(a, val) < 0)
		*err = -ENOMEM;
}

static json_t *
report_jstr(const char *s)
{
	struct treg_buf b;
	json_t *j = NULL;

	if (s == NULL)
		return json_null();

	treg_buf_init(&b, 0);
	if (report_clean(&b, s, 0) == 0)
		j = json_stringn(b.data != NULL ? b.data : "", b.len);
	treg_buf_cleanup(&b);
	return j;
}

/* Times are ISO 8601 in UTC; 0 (never) is null.  A time no calendar
 * year 1000-9999 holds is kept as seconds so it still round-trips. */
static json_t *
report_jtime(int64_t t)
{
	char iso[32];

	if (t == 0)
		return json_null();
	if (report_iso(t, iso, sizeof(iso)) < 0)
		return json_integer((json_int_t)t);
	return json_string(iso);
}

static json_t *
report_jhex(const char *digest)
{
	return digest[0] == '\0' ? json_null() : report_jstr(digest);
}

static json_t *
report_jfingerprint(uint64_t h)
{
	char hex[FINGERPRINT_HEXLEN + 1];

	snprintf(hex, sizeof(hex), "%016" PRIx64, h);
	return json_string(hex);
}

static json_t *
report_jquote(int result)
{
	if (result == TREG_QUOTE_FOUND)
		return json_true();
	if (result == TREG_QUOTE_MISSING)
		return json_false();
	return json_null();
}

static json_t *
report_baseline_json(const struct treg_evidence *e)
{
	json_t *o;
	int err = 0;

	if (!e->has_baseline)
		return json_null();

	o = json_object();
	if (o == NULL)
		return NULL;
	report_set(o, "at", report_jtime(e->baseline_at), &err);
	report_set(o, "digest", report_jhex(e->baseline_digest), &err);
	report_set(o, "words", json_integer(e->baseline_words), &err);
	report_set(o, "fingerprint",
	    report_jfingerprint(e->baseline_simhash), &err);
	if (err < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
report_distance(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ b;
	int n = 0;

	while (x != 0) {
		x &= x - 1;
		n++;
	}
	return n;
}

static json_t *
report_distance_json(const struct treg_evidence *e)
{
	if (!e->has_baseline || e->digest[0] == '\0' ||
	    e->baseline_digest[0] == '\0')
		return json_null();
	return json_integer(report_distance(e->simhash, e->baseline_simhash));
}

static json_t *
report_evidence_json(const struct treg_evidence *e)
{
	json_t *o, *q;
	size_t i;
	int err = 0;

	o = json_object();
	q = json_array();
	if (o == NULL || q == NULL) {
		json_decref(o);
		json_decref(q);
		return NULL;
	}
	for (i = 0; i < e->nquotes; i++)
		report_push(q, report_jquote(e->quotes[i]), &err);

	report_set(o, "url", report_jstr(e->url), &err);
	report_set(o, "fetch_url", report_jstr(e->fetch_url), &err);
	report_set(o, "role", json_string(e->role == TREG_ROLE_ARCHIVE ?
	    "archive" : "source"), &err);
	report_set(o, "fetched", json_boolean(e->fetched), &err);
	report_set(o, "at", report_jtime(e->at), &err);
	report_set(o, "status", e->status != 0 ?
	    json_integer(e->status) : json_null(), &err);
	report_set(o, "error", report_jstr(e->error), &err);
	report_set(o, "detail", report_jstr(e->detail), &err);
	report_set(o, "final_url", report_jstr(e->final_url), &err);
	report_set(o, "moved", json_boolean(e->moved), &err);
	report_set(o, "unverifiable", json_boolean(e->unverifiable), &err);
	report_set(o, "failures", json_integer(e->failures), &err);
	report_set(o, "digest", report_jhex(e->digest), &err);
	report_set(o, "words", json_integer(e->words), &err);
	report_set(o, "fingerprint", report_jfingerprint(e->simhash), &err);
	report_set(o, "baseline", report_baseline_json(e), &err);
	report_set(o, "fingerprint_distance", report_distance_json(e), &err);
	report_set(o, "quotes", q, &err);
	if (err < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Whether the cell's quotation i was found: missing from any source
 * wins, then found in one; null when no source text was searched. */
static json_t *
report_quote_found(const struct treg_verdict *v, size_t i)
{
	int found = 0;
	size_t k;

	for (k = 0; k < v->nev; k++) {
		if (v->ev[k].role != TREG_ROLE_SOURCE || i >= v->ev[k].nquotes)
			continue;
		if (v->ev[k].quotes[i] == TREG_QUOTE_MISSING)
			return json_false();
		if (v->ev[k].quotes[i] == TREG_QUOTE_FOUND)
			found = 1;
	}
	return found ? json_true() : json_null();
}

static json_t *
report_cell_quotes_json(const struct treg_verdict *v)
{
	json_t *a, *q;
	size_t i;
	int err = 0;

	a = json_array();
	if (a == NULL)
		return NULL;
	for (i = 0; i < v->nquotes && err == 0; i++) {
		q = json_object();
		if (q != NULL) {
			report_set(q, "text", report_jstr(v->quotes[i]), &err);
			report_set(q, "found", report_quote_found(v, i), &err);
		}
		report_push(a, q, &err);
	}
	if (err < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* One cell.  The store form carries its offering id; in a report the
 * enclosing offering says it. */
static json_t *
report_cell_json(const struct treg_verdict *v, int with_offering)
{
	json_t *o, *flags, *reasons, *ev;
	size_t i;
	int err = 0;

	o = json_object();
	flags = json_array();
	reasons = json_array();
	ev = json_array();
	if (o == NULL || flags == NULL || reasons == NULL || ev == NULL) {
		json_decref(o);
		json_decref(flags);
		json_decref(reasons);
		json_decref(ev);
		return NULL;
	}

	for (i = 0; i < TREG_NSTATES; i++) {
		if (v->flags & TREG_STATE_BIT(i))
			report_push(flags, json_string(treg_state_name(
			    (enum treg_state)i)), &err);
	}
	for (i = 0; i < v->nreasons; i++)
		report_push(reasons, report_jstr(v->reasons[i]), &err);
	for (i = 0; i < v->nev; i++)
		report_push(ev, report_evidence_json(&v->ev[i]), &err);

	if (with_offering)
		report_set(o, "offering", report_jstr(v->offering), &err);
	report_set(o, "id", report_jstr(v->cell), &err);
	report_set(o, "state", json_string(treg_state_name(v->state)), &err);
	report_set(o, "flags", flags, &err);
	report_set(o, "verified", report_jstr(v->verified), &err);
	report_set(o, "needs_attention",
	    json_boolean(treg_verdict_needs_attention(v)), &err);
	report_set(o, "reasons", reasons, &err);
	report_set(o, "quotes", report_cell_quotes_json(v), &err);
	report_set(o, "evidence", ev, &err);
	if (err < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
treg_report_verdict_to_json(const struct treg_verdict *v, char **jsonp)
{
	json_t *o;

	*jsonp = NULL;
	o = report_cell_json(v, 1);
	if (o == NULL)
		return -ENOMEM;
	*jsonp = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return *jsonp != NULL ? 0 : -ENOMEM;
}

static json_t *
report_summary_json(const struct treg_verdict *v, size_t n)
{
	size_t count[TREG_NSTATES] = { 0 };
	size_t i, attention = 0;
	json_t *o, *by;
	int err = 0;

	for (i = 0; i < n; i++) {
		if ((unsigned)v[i].state < TREG_NSTATES)
			count[v[i].state]++;
		if (treg_verdict_needs_attention(&v[i]))
			attention++;
	}

	o = json_object();
	by = json_object();
	if (o == NULL || by == NULL) {
		json_decref(o);
		json_decref(by);
		return NULL;
	}
	for (i = 0; i < TREG_NSTATES; i++)
		report_set(by, treg_state_name((enum treg_state)i),
		    json_integer((json_int_t)count[i]), &err);
	report_set(o, "cells", json_integer((json_int_t)n), &err);
	report_set(o, "needs_attention", json_integer((json_int_t)attention),
	    &err);
	report_set(o, "by_state", by, &err);
	if (err < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
report_same_offering(const struct treg_verdict *a,
    const struct treg_verdict *b)
{
	if (a->offering == NULL || b->offering == NULL)
		return a->offering == b->offering;
	return strcmp(a->offering, b->offering) == 0;
}

/* Offerings in the order given; consecutive cells of one offering form
 * one group. */
static json_t *
report_offerings_json(const struct treg_verdict *v, size_t n)
{
	json_t *all, *off = NULL, *cells = NULL;
	size_t i;
	int err = 0;

	all = json_array();
	if (all == NULL)
		return NULL;

	for (i = 0; i < n && err == 0; i++) {
		if (i == 0 || !report_same_offering(&v[i - 1], &v[i])) {
			off = json_object();
			cells = json_array();
			if (off == NULL || cells == NULL) {
				json_decref(off);
				json_decref(cells);
				err = -ENOMEM;
				break;
			}
			report_set(off, "id", report_jstr(v[i].offering), &err);
			report_set(off, "cells", cells, &err);
			report_push(all, off, &err);
		}
		report_push(cells, report_cell_json(&v[i], 0), &err);
	}
	if (err < 0) {
		json_decref(all);
		return NULL;
	}
	return all;
}

static json_t *
report_health_json(const struct treg_report_health *h)
{
	json_t *o;
	int err = 0;

	if (h == NULL)
		return json_null();

	o = json_object();
	if (o == NULL)
		return NULL;
	report_set(o, "urls_checked", json_integer((json_int_t)h->urls_checked),
	    &err);
	report_set(o, "urls_failed", json_integer((json_int_t)h->urls_failed),
	    &err);
	report_set(o, "ms", json_integer(h->ms), &err);
	if (err < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
report_write_json(FILE *out, const struct treg_verdict *v, size_t n,
    time_t generated, const struct treg_report_health *health)
{
	json_t *root;
	int err = 0;
	int rc;

	root = json_object();
	if (root == NULL)
		return -ENOMEM;
	report_set(root, "format", json_string(REPORT_FORMAT_NAME), &err);
	report_set(root, "version", json_integer(TREG_REPORT_VERSION), &err);
	report_set(root, "generated", report_jtime((int64_t)generated), &err);
	report_set(root, "summary", report_summary_json(v, n), &err);
	report_set(root, "offerings", report_offerings_json(v, n), &err);
	report_set(root, "health", report_health_json(health), &err);
	if (err < 0) {
		rc = err;
		goto out;
	}

	if (json_dumpf(root, out, JSON_INDENT(2)) < 0 ||
	    fputc('\n', out) == EOF) {
		rc = -EIO;
		goto out;
	}
	rc = 0;

out:
	json_decref(root);
	return rc;
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

/* "error: NAME (DETAIL)" as one field, so it wraps as a whole. */
static int
report_put_error(struct treg_buf *line, size_t *col,
    const struct treg_evidence *e)
{
	struct treg_buf raw;
	int rc;

	treg_buf_init(&raw, 0);
	rc = treg_buf_puts(&raw, e->error);
	if (rc == 0 && e->detail != NULL)
		rc = treg_buf_printf(&raw, " (%s)", e->detail);
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
		if (rc == 0 && e->digest[0] != '\0') {
			snprintf(num, sizeof(num), "words %" PRIu32, e->words);
			rc = report_field(&line, &col, num, NULL);
			snprintf(num, sizeof(num), "sha256 %.*s", TEXT_DIGEST,
			    e->digest);
			if (rc == 0)
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
	if (rc == 0) {
		fwrite(line.data, 1, line.len, out);
		fputc('\n', out);
	}

out:
	treg_buf_cleanup(&line);
	return rc;
}

/* The cell line: "offering / cell  STATE  verified DATE". */
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
		rc = report_put_reason(out, v->reasons[i]);
	for (i = 0; full && i < v->nev && rc == 0; i++)
		rc = report_put_evidence(out, &v->ev[i]);
	if (full && rc == 0)
		fputc('\n', out);
	return rc;
}

/* Oldest verification first; an unknown date is oldest of all.  Ties
 * keep the order given (the pointers are into one array). */
static int
report_oldest_cmp(const void *a, const void *b)
{
	const struct treg_verdict *x = *(const struct treg_verdict *const *)a;
	const struct treg_verdict *y = *(const struct treg_verdict *const *)b;
	int c;

	if (x->verified == NULL || y->verified == NULL)
		c = (x->verified != NULL) - (y->verified != NULL);
	else
		c = strcmp(x->verified, y->verified);
	if (c != 0)
		return c;
	return (x > y) - (x < y);
}

static int
report_section(FILE *out, const char *title,
    const struct treg_verdict *v, size_t n, int attention,
    enum treg_state state)
{
	size_t i, count = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (attention ? treg_verdict_needs_attention(&v[i]) :
		    v[i].state == state)
			count++;
	}
	fprintf(out, "%s (%zu)\n\n", title, count);
	if (count == 0)
		return 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (!attention && v[i].state == state)
			rc = report_put_cell(out, &v[i], 0);
	}
	if (!attention)
		fputc('\n', out);
	return rc;
}

static int
report_write_text(FILE *out, const struct treg_verdict *v, size_t n,
    time_t generated, const struct treg_report_health *health)
{
	const struct treg_verdict **flagged = NULL;
	char iso[32];
	size_t i, nflagged = 0;
	long ms;
	int rc;

	if (report_iso((int64_t)generated, iso, sizeof(iso)) < 0)
		snprintf(iso, sizeof(iso), "at an unknown time");
	fprintf(out, "trustreg-crawl report, generated %s\n\n", iso);

	if (n > 0) {
		flagged = calloc(n, sizeof(*flagged));
		if (flagged == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (treg_verdict_needs_attention(&v[i]))
			flagged[nflagged++] = &v[i];
	}
	if (nflagged > 0)
		qsort(flagged, nflagged, sizeof(*flagged), report_oldest_cmp);

	rc = report_section(out, "Needs attention", v, n, 1, 0);
	for (i = 0; i < nflagged && rc == 0; i++)
		rc = report_put_cell(out, flagged[i], 1);
	if (rc == 0)
		rc = report_section(out, "Fresh", v, n, 0, TREG_STATE_FRESH);
	if (rc == 0)
		rc = report_section(out, "No source", v, n, 0,
		    TREG_STATE_NO_SOURCE);
	if (rc < 0)
		goto out;

	if (health != NULL) {
		ms = health->ms > 0 ? health->ms : 0;
		fprintf(out, "Checked %zu URL%s, %zu failed, in %ld.%ld s\n",
		    health->urls_checked, health->urls_checked == 1 ?
		    "" : "s", health->urls_failed, ms / 1000,
		    ms % 1000 / 100);
	}
	rc = 0;

out:
	free(flagged);
	return rc;
}

int
treg_report_write(FILE *out, enum treg_report_format fmt,
    const struct treg_verdict *v, size_t n, time_t generated,
    const struct treg_report_health *health)
{
	int rc;

	if (fmt == TREG_REPORT_JSON)
		rc = report_write_json(out, v, n, generated, health);
	else
		rc = report_write_text(out, v, n, generated, health);
	if (rc < 0)
		return rc;

	/* Individual writes are not checked: the stream's error flag
	 * remembers any failure, and the flush surfaces a full disk. */
	if (fflush(out) == EOF || ferror(out))
		return -EIO;
	return 0;
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
	return rc;
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
	if (rc == 0)
		rc = report_get_strv(o, "reasons", &v->reasons, &v->nreasons);
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
