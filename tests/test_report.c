/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of reports: the order and content of the text form, the
 * documented members of the JSON form, repair of invalid UTF-8, the
 * round trip of one verdict through JSON, refusal of malformed input and
 * write errors.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "config.h"
#include "crawl.h"
#include "registry.h"
#include "report.h"
#include "store.h"

#define DAY	86400
#define FIXTURE	TREG_TESTDATA "/report/verdict-v1.json"

static const struct treg_policy policy = { .review_after_days = 90 };
static const struct treg_report_health health = {
	.urls_checked = 3, .urls_failed = 1, .ms = 2540,
};

static time_t
day(int year, int mon, int mday)
{
	struct tm tm = {
		.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday,
	};

	return timegm(&tm);
}

/* 2027-01-01T00:00:00Z: when the reports are generated. */
static time_t
now(void)
{
	return day(2027, 1, 1);
}

static void
fill_digest(char *digest, char c)
{
	memset(digest, c, TREG_SHA256_HEXLEN);
	digest[TREG_SHA256_HEXLEN] = '\0';
}

static void
evidence_ok(struct treg_evidence *e, enum treg_role role, const char *url)
{
	memset(e, 0, sizeof(*e));
	e->url = strdup(url);
	e->fetch_url = strdup(url);
	e->role = role;
	e->fetched = 1;
	e->at = (int64_t)now() - 3600;
	e->status = 200;
	fill_digest(e->digest, 'a');
	e->simhash = 0xfedcba9876543210ULL;
	e->words = 412;
	e->has_baseline = 1;
	e->baseline_at = (int64_t)day(2026, 7, 5);
	fill_digest(e->baseline_digest, 'a');
	e->baseline_simhash = e->simhash;
	e->baseline_words = 412;
	e->nquotes = 1;
	e->quotes = calloc(1, sizeof(*e->quotes));
	assert_non_null(e->quotes);
	e->quotes[0] = TREG_QUOTE_FOUND;
}

/* A judged cell with one source and one quote, verified on date. */
static void
cell(struct treg_verdict *v, const char *offering, const char *key,
    const char *date, int with_source)
{
	int y, m, d;

	memset(v, 0, sizeof(*v));
	v->offering = strdup(offering);
	v->cell = strdup(key);
	v->verified = strdup(date);
	v->nquotes = 1;
	v->quotes = calloc(1, sizeof(*v->quotes));
	assert_non_null(v->quotes);
	v->quotes[0] = strdup("annual SOC 2 Type II audit");
	if (with_source) {
		v->nev = 1;
		v->ev = calloc(1, sizeof(*v->ev));
		assert_non_null(v->ev);
		evidence_ok(&v->ev[0], TREG_ROLE_SOURCE,
		    "https://trustcenter.cohere.com/");
	}
	assert_int_equal(sscanf(date, "%d-%d-%d", &y, &m, &d), 3);
	(void)treg_verdict_judge(v, day(y, m, d), now(), &policy);
}

/* Four cells of two offerings: a fresh one, a quote-missing one
 * verified recently, a dead one verified long ago and a no-source. */
static void
report_set4(struct treg_verdict *v)
{
	cell(&v[0], "cohere-api", "soc2", "2026-12-01", 1);
	cell(&v[1], "cohere-api", "hipaa_baa", "2026-12-05", 1);
	v[1].ev[0].quotes[0] = TREG_QUOTE_MISSING;
	(void)treg_verdict_judge(&v[1], day(2026, 12, 5), now(), &policy);
	cell(&v[2], "openai-api", "iso27001", "2026-11-20", 1);
	v[2].ev[0].error = strdup("dns");
	v[2].ev[0].failures = 4;
	v[2].ev[0].digest[0] = '\0';
	(void)treg_verdict_judge(&v[2], day(2026, 11, 20), now(), &policy);
	cell(&v[3], "openai-api", "eu_residency", "2026-12-20", 0);
}

static void
cleanup_n(struct treg_verdict *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		treg_verdict_cleanup(&v[i]);
}

/* Writes a report to a temporary file and returns its text (freed by
 * the caller). */
static char *
render(enum treg_report_format fmt, const struct treg_verdict *v,
    size_t n, int *rcp)
{
	FILE *f = tmpfile();
	char *text;
	long len;

	assert_non_null(f);
	*rcp = treg_report_write(f, fmt, v, n, now(), &health);
	len = ftell(f);
	assert_true(len >= 0);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(f);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

static size_t
pos(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);

	assert_non_null(p);
	return (size_t)(p - hay);
}

static void
test_report_parse_format_names(void **state)
{
	enum treg_report_format fmt = TREG_REPORT_TEXT;

	assert_int_equal(treg_report_parse_format("json", &fmt), 0);
	assert_int_equal(fmt, TREG_REPORT_JSON);
	assert_int_equal(treg_report_parse_format("text", &fmt), 0);
	assert_int_equal(fmt, TREG_REPORT_TEXT);
	assert_int_equal(treg_report_parse_format("html", &fmt), 0);
	assert_int_equal(fmt, TREG_REPORT_HTML);
	assert_int_equal(treg_report_parse_format("atom", &fmt), 0);
	assert_int_equal(fmt, TREG_REPORT_ATOM);
	assert_int_equal(treg_report_parse_format("pdf", &fmt), -EINVAL);
	assert_int_equal(treg_report_parse_format(NULL, &fmt), -EINVAL);
}

static void
test_report_write_text_flagged_first_oldest(void **state)
{
	struct treg_verdict v[4];
	char *text;
	int rc;

	report_set4(v);

	text = render(TREG_REPORT_TEXT, v, 4, &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(pos(text, "trustreg-crawl report, generated "
	    "2027-01-01T00:00:00Z\n"), 0);
	assert_true(pos(text, "Needs attention (2)") <
	    pos(text, "openai-api / iso27001  DEAD  verified 2026-11-20"));
	assert_true(pos(text, "openai-api / iso27001  DEAD") <
	    pos(text, "cohere-api / hipaa_baa  QUOTE-MISSING  verified "
	    "2026-12-05"));
	assert_true(pos(text, "cohere-api / hipaa_baa  QUOTE-MISSING") <
	    pos(text, "Fresh (1)"));
	assert_true(pos(text, "Fresh (1)") <
	    pos(text, "  cohere-api / soc2  verified 2026-12-01"));
	assert_true(pos(text, "cohere-api / soc2") <
	    pos(text, "No source (1)"));
	assert_true(pos(text, "No source (1)") <
	    pos(text, "  openai-api / eu_residency  verified 2026-12-20"));
	assert_non_null(strstr(text, "  source  https://trustcenter.cohere."
	    "com/  200  words 412  sha256 aaaaaaaaaaaa\n"
	    "          page distance 0 to baseline  quotes 0/1 found\n"));
	assert_non_null(strstr(text, "  source  https://trustcenter.cohere."
	    "com/  error: dns\n"));
	assert_non_null(strstr(text, "  - source fetch failed (dns), see "
	    "Failed fetches\n"));
	assert_non_null(strstr(text, "Failed fetches (1 of 1 URL)\n\n"
	    "  - https://trustcenter.cohere.com/ failed: dns, 4 consecutive "
	    "failures; cited\n    by 1 cell: openai-api/iso27001\n"));
	assert_non_null(strstr(text, "Checked 3 URLs, 1 failed (an error "
	    "status or no answer; blocked and rate-limited aside), in "
	    "2.5 s\n"));
	free(text);
	cleanup_n(v, 4);
}

static void
test_report_write_text_all_failed_said_at_top(void **state)
{
	struct treg_verdict v[2];
	char *text;
	int rc;

	cell(&v[0], "cohere-api", "soc2", "2026-12-01", 1);
	cell(&v[1], "cohere-api", "gdpr", "2026-12-01", 1);
	free(v[1].ev[0].fetch_url);
	v[1].ev[0].fetch_url = strdup("https://cohere.com/gdpr");
	v[0].ev[0].error = strdup("dns");
	v[0].ev[0].failures = 1;
	v[1].ev[0].error = strdup("dns");
	v[1].ev[0].failures = 2;

	text = render(TREG_REPORT_TEXT, v, 2, &rc);

	assert_int_equal(rc, 0);
	assert_true(pos(text, "ALL 2 URLs FAILED on their latest fetch: is "
	    "the network reachable, and allowed by [network]?\n") <
	    pos(text, "Failed fetches (2 of 2 URLs)\n"));
	assert_non_null(strstr(text, ", 1 consecutive failure;"));
	free(text);
	text = render(TREG_REPORT_HTML, v, 2, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "<p class=\"alarm\">All 2 evidence URLs "
	    "failed on their latest fetch"));
	free(text);
	cleanup_n(v, 2);
}

static void
test_report_write_text_one_failure_is_not_all(void **state)
{
	struct treg_verdict v[2];
	char *text;
	int rc;

	cell(&v[0], "cohere-api", "soc2", "2026-12-01", 1);
	cell(&v[1], "cohere-api", "gdpr", "2026-12-01", 1);
	free(v[1].ev[0].fetch_url);
	v[1].ev[0].fetch_url = strdup("https://cohere.com/gdpr");
	v[1].ev[0].error = strdup("dns");

	text = render(TREG_REPORT_TEXT, v, 2, &rc);

	assert_int_equal(rc, 0);
	assert_null(strstr(text, "ALL "));
	assert_non_null(strstr(text, "Failed fetches (1 of 2 URLs)\n"));
	free(text);
	cleanup_n(v, 2);
}

static void
test_report_write_text_says_when_judged(void **state)
{
	struct treg_verdict v[2];
	char *text;
	int rc;

	cell(&v[0], "cohere-api", "soc2", "2026-12-01", 1);
	cell(&v[1], "cohere-api", "gdpr", "2026-12-01", 1);
	v[0].judged = (int64_t)day(2026, 12, 2);
	v[1].judged = (int64_t)day(2026, 12, 3);

	text = render(TREG_REPORT_TEXT, v, 2, &rc);

	assert_int_equal(rc, 0);
	assert_int_equal(pos(text, "verdicts judged at 2026-12-03T00:00:00Z\n"),
	    pos(text, "\n") + 1);
	free(text);
	cleanup_n(v, 2);
}

static void
test_report_verdict_order_reads_position(void **state)
{
	struct treg_verdict v[1];
	char *json = NULL;
	uint32_t order = 99;
	const char old[] = "{\"offering\":\"o\",\"id\":\"c\",\"state\":"
	    "\"fresh\",\"flags\":[]}";
	const char bad[] = "{\"order\":-1,\"flags\":[]}";
	int rc;

	cell(&v[0], "cohere-api", "soc2", "2026-12-01", 0);
	v[0].order = 7;
	assert_int_equal(treg_report_verdict_to_json(&v[0], &json), 0);

	rc = treg_report_verdict_order(json, strlen(json), &order);

	assert_int_equal(rc, 0);
	assert_int_equal(order, 7);
	/* A record of an older version has no position: unknown. */
	assert_int_equal(treg_report_verdict_order(old, strlen(old), &order),
	    0);
	assert_int_equal(order, 0);
	assert_int_equal(treg_report_verdict_order(bad, strlen(bad), &order),
	    -EINVAL);
	free(json);
	cleanup_n(v, 1);
}

/* text is the JSON report jansson would write for the tree it parses
 * to, in one dump with JSON_INDENT(2), plus the final new line. */
static void
assert_as_one_dump(const char *text)
{
	json_t *doc;
	char *again;

	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	again = json_dumps(doc, JSON_INDENT(2));
	assert_non_null(again);
	assert_int_equal(strncmp(text, again, strlen(again)), 0);
	assert_string_equal(text + strlen(again), "\n");
	free(again);
	json_decref(doc);
}

static void
test_report_write_json_same_bytes_as_one_dump(void **state)
{
	struct treg_verdict v[4];
	char *text;
	int rc;

	report_set4(v);

	text = render(TREG_REPORT_JSON, v, 4, &rc);

	assert_int_equal(rc, 0);
	assert_as_one_dump(text);
	free(text);
	cleanup_n(v, 4);
}

/*
 * The cells' JSON is written by hand: its bytes must be jansson's, in
 * both forms, whatever the strings hold.  Every control character, quote
 * and backslash, DEL, invalid UTF-8 (a stray byte, a cut sequence, an
 * overlong form, a surrogate), U+FFFE and an astral character; a time no
 * four-digit year holds; diffs, quotes in all three states, empty lists.
 */
static void
test_report_json_hand_written_same_as_jansson(void **state)
{
	static const char nasty_tail[] = "\"q\\b/\x7f \xff \xe2\x82 "
	    "\xc0\x80 \xed\xa0\x80 \xef\xbf\xbe \xf0\x9f\x98\x80 caf\xc3\xa9";
	struct treg_verdict v[2];
	struct treg_evidence *e;
	char nasty[64 + sizeof(nasty_tail)], *json, *again, *text;
	json_t *doc;
	size_t i;
	int rc;

	for (i = 0; i < 31; i++)
		nasty[i] = (char)(i + 1);
	memcpy(nasty + 31, nasty_tail, sizeof(nasty_tail));
	cell(&v[0], nasty, "soc2", "2026-01-01", 1);
	cell(&v[1], "plain", nasty, "2026-12-01", 1);
	e = &v[0].ev[0];
	free(e->url);
	e->url = strdup(nasty);
	e->detail = strdup(nasty);
	e->chain = strdup("301 a -> 302 b");
	e->at = (int64_t)253402300800LL;	/* 10000-01-01: seconds */
	e->status = 0;
	e->ndiff = 2;
	e->diff = calloc(2, sizeof(*e->diff));
	assert_non_null(e->diff);
	e->diff[0].before = strdup(nasty);
	e->diff[0].del = strdup("old");
	e->diff[1].ins = strdup("new\n\tline");
	e->diff_more = 3;
	e->has_region = 1;
	e->page_note = strdup(nasty);
	free(e->quotes);
	e->quotes = calloc(3, sizeof(*e->quotes));
	assert_non_null(e->quotes);
	e->nquotes = 3;
	e->quotes[0] = TREG_QUOTE_MISSING;
	e->quotes[2] = TREG_QUOTE_FOUND;
	v[1].ev[0].has_baseline = 0;
	v[1].since = -5;

	for (i = 0; i < 2; i++) {
		assert_int_equal(treg_report_verdict_to_json(&v[i], &json), 0);
		doc = json_loads(json, 0, NULL);
		assert_non_null(doc);
		again = json_dumps(doc, JSON_COMPACT);
		assert_non_null(again);
		assert_string_equal(json, again);
		free(again);
		json_decref(doc);
		free(json);
	}
	text = render(TREG_REPORT_JSON, v, 2, &rc);
	assert_int_equal(rc, 0);
	assert_as_one_dump(text);
	/* Invalid UTF-8 became U+FFFD; the rest is kept. */
	assert_non_null(strstr(text, "\\u0001\\u0002"));
	assert_non_null(strstr(text, "\\b\\t\\n\\u000B\\f\\r\\u000E"));
	assert_non_null(strstr(text, "\\\"q\\\\b/\x7f \xef\xbf\xbd \xef\xbf"
	    "\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf"
	    "\xbd\xef\xbf\xbd \xef\xbf\xbe \xf0\x9f\x98\x80 caf\xc3\xa9"));
	assert_non_null(strstr(text, "\"at\": 253402300800,"));
	free(text);
	cleanup_n(v, 2);
}

static void
test_report_write_text_wraps_long_reasons(void **state)
{
	struct treg_verdict v;
	const char *line, *nl;
	char *text;
	int rc, wrapped = 0;

	cell(&v, "cohere-api", "soc2", "2026-01-01", 1);
	free(v.reasons[0]);
	v.reasons[0] = strdup("this reason goes on and on with words that a "
	    "reader wants to see in full, so the report wraps it before the "
	    "edge of a terminal rather than letting it run past one hundred "
	    "columns of text");

	text = render(TREG_REPORT_TEXT, &v, 1, &rc);

	assert_int_equal(rc, 0);
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line <= 100);
		if (strncmp(line, "  - ", 4) == 0 ||
		    strncmp(line, "    ", 4) == 0)
			assert_true(nl - line <= 78);
		if (strncmp(line, "    ", 4) == 0 && line[4] != ' ')
			wrapped++;
	}
	assert_true(wrapped >= 2);
	free(text);
	treg_verdict_cleanup(&v);
}

static void
test_report_write_text_control_chars_replaced(void **state)
{
	struct treg_verdict v;
	char *text;
	int rc;

	cell(&v, "cohere-api", "soc2", "2026-12-01", 1);
	v.ev[0].error = strdup("tls");
	v.ev[0].detail = strdup("\x1b[2J\x1b]0;owned\x07 \xc2\x9b" "31m");
	(void)treg_verdict_judge(&v, day(2026, 12, 1), now(), &policy);

	text = render(TREG_REPORT_TEXT, &v, 1, &rc);

	assert_int_equal(rc, 0);
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\x07'));
	assert_null(strstr(text, "\xc2\x9b"));
	assert_non_null(strstr(text, "failed: tls (?[2J?]0;owned? ?31m)"));
	free(text);
	treg_verdict_cleanup(&v);
}

static void
test_report_write_text_empty(void **state)
{
	char *text;
	int rc;

	text = render(TREG_REPORT_TEXT, NULL, 0, &rc);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "Needs attention (0)"));
	assert_non_null(strstr(text, "Fresh (0)"));
	assert_non_null(strstr(text, "Checked 3 URLs"));
	free(text);
}

static json_t *
parse_report(const struct treg_verdict *v, size_t n)
{
	json_error_t err;
	json_t *root;
	char *text;
	int rc;

	text = render(TREG_REPORT_JSON, v, n, &rc);
	assert_int_equal(rc, 0);
	root = json_loads(text, 0, &err);
	if (root == NULL)
		fail_msg("report is not JSON: %s at line %d", err.text,
		    err.line);
	free(text);
	return root;
}

static void
test_report_write_json_documented_fields(void **state)
{
	struct treg_verdict v[4];
	json_t *root, *sum, *offs, *c, *e;

	report_set4(v);

	root = parse_report(v, 4);

	assert_string_equal(json_string_value(json_object_get(root, "format")),
	    "trustreg-crawl-report");
	assert_int_equal(json_integer_value(json_object_get(root, "version")),
	    TREG_REPORT_VERSION);
	assert_string_equal(json_string_value(json_object_get(root,
	    "generated")), "2027-01-01T00:00:00Z");
	sum = json_object_get(root, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "cells")), 4);
	assert_int_equal(json_integer_value(json_object_get(sum,
	    "needs_attention")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    sum, "by_state"), "dead")), 1);
	assert_int_equal(json_object_size(json_object_get(sum, "by_state")),
	    TREG_NSTATES);
	offs = json_object_get(root, "offerings");
	assert_int_equal(json_array_size(offs), 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(offs, 1), "id")), "openai-api");
	c = json_array_get(json_object_get(json_array_get(offs, 0), "cells"),
	    1);
	assert_string_equal(json_string_value(json_object_get(c, "id")),
	    "hipaa_baa");
	assert_string_equal(json_string_value(json_object_get(c, "state")),
	    "quote-missing");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    c, "flags"), 0)), "quote-missing");
	assert_true(json_is_true(json_object_get(c, "needs_attention")));
	assert_string_equal(json_string_value(json_object_get(c,
	    "verified")), "2026-12-05");
	assert_int_equal(json_array_size(json_object_get(c, "reasons")), 1);
	assert_true(json_is_false(json_object_get(json_array_get(
	    json_object_get(c, "quotes"), 0), "found")));
	e = json_array_get(json_object_get(c, "evidence"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "role")),
	    "source");
	assert_int_equal(json_integer_value(json_object_get(e, "status")),
	    200);
	assert_true(json_is_null(json_object_get(e, "error")));
	assert_string_equal(json_string_value(json_object_get(e,
	    "fingerprint")), "fedcba9876543210");
	assert_string_equal(json_string_value(json_object_get(e, "at")),
	    "2026-12-31T23:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(e,
	    "fingerprint_distance")), 0);
	assert_true(json_is_object(json_object_get(e, "baseline")));
	assert_true(json_is_false(json_array_get(json_object_get(e,
	    "quotes"), 0)));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    root, "health"), "ms")), 2540);
	json_decref(root);
	cleanup_n(v, 4);
}

static void
test_report_write_json_invalid_utf8_repaired(void **state)
{
	struct treg_verdict v;
	json_t *root, *c, *e;
	const char *s;

	cell(&v, "cohere-api", "soc2", "2026-01-01", 1);
	free(v.reasons[0]);
	v.reasons[0] = strdup("bad \xff\xfe then \xc0\xaf then \xed\xa0\x80 "
	    "cut \xe2\x82");
	v.ev[0].detail = strdup("latin-1 caf\xe9");
	free(v.ev[0].url);
	v.ev[0].url = strdup("https://example.test/\xf5\x80");

	root = parse_report(&v, 1);

	assert_non_null(root);
	c = json_array_get(json_object_get(json_array_get(json_object_get(
	    root, "offerings"), 0), "cells"), 0);
	s = json_string_value(json_array_get(json_object_get(c, "reasons"),
	    0));
	assert_non_null(strstr(s, "bad \xef\xbf\xbd\xef\xbf\xbd then "));
	assert_non_null(strstr(s, "cut \xef\xbf\xbd"));
	e = json_array_get(json_object_get(c, "evidence"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "detail")),
	    "latin-1 caf\xef\xbf\xbd");
	assert_non_null(strstr(json_string_value(json_object_get(e, "url")),
	    "\xef\xbf\xbd"));
	json_decref(root);
	treg_verdict_cleanup(&v);
}

static void
test_report_write_json_valid_utf8_kept(void **state)
{
	struct treg_verdict v;
	json_t *root, *c;

	cell(&v, "cohere-api", "soc2", "2026-12-01", 1);
	free(v.quotes[0]);
	v.quotes[0] = strdup("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");

	root = parse_report(&v, 1);

	c = json_array_get(json_object_get(json_array_get(json_object_get(
	    root, "offerings"), 0), "cells"), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(c, "quotes"), 0), "text")),
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	json_decref(root);
	treg_verdict_cleanup(&v);
}

/* A verdict with every member set to something other than its zero. */
static void
full_verdict(struct treg_verdict *v)
{
	cell(v, "cohere-api", "hipaa_baa", "2026-07-05", 1);
	v->ev = realloc(v->ev, 2 * sizeof(*v->ev));
	assert_non_null(v->ev);
	v->nev = 2;
	evidence_ok(&v->ev[1], TREG_ROLE_ARCHIVE,
	    "https://web.archive.org/web/20260705000000/https://x.test/");
	free(v->ev[1].fetch_url);
	v->ev[1].fetch_url = strdup("https://web.archive.org/web/"
	    "20260705000000id_/https://x.test/");
	v->ev[0].moved = 1;
	v->ev[0].final_url = strdup("https://cohere.com/trust");
	v->ev[0].failures = 7;
	v->ev[0].status = 301;
	v->ev[0].simhash = 0xffffffffffffffffULL;
	v->ev[0].baseline_words = 9;
	fill_digest(v->ev[0].baseline_digest, 'f');
	v->ev[1].error = strdup("timeout");
	v->ev[1].detail = strdup("no response");
	v->ev[1].unverifiable = 1;
	v->ev[1].quotes[0] = TREG_QUOTE_UNCHECKED;
	v->ev[1].at = 1;
	(void)treg_verdict_judge(v, day(2026, 7, 5), now(), &policy);
}

static void
assert_str_or_null_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_evidence_equal(const struct treg_evidence *a,
    const struct treg_evidence *b)
{
	size_t i;

	assert_str_or_null_equal(a->url, b->url);
	assert_str_or_null_equal(a->fetch_url, b->fetch_url);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->fetched, b->fetched);
	assert_int_equal(a->at, b->at);
	assert_int_equal(a->status, b->status);
	assert_str_or_null_equal(a->error, b->error);
	assert_str_or_null_equal(a->detail, b->detail);
	assert_str_or_null_equal(a->final_url, b->final_url);
	assert_int_equal(a->moved, b->moved);
	assert_int_equal(a->unverifiable, b->unverifiable);
	assert_int_equal(a->failures, b->failures);
	assert_string_equal(a->digest, b->digest);
	assert_true(a->simhash == b->simhash);
	assert_int_equal(a->words, b->words);
	assert_int_equal(a->has_baseline, b->has_baseline);
	assert_int_equal(a->baseline_at, b->baseline_at);
	assert_string_equal(a->baseline_digest, b->baseline_digest);
	assert_true(a->baseline_simhash == b->baseline_simhash);
	assert_int_equal(a->baseline_words, b->baseline_words);
	assert_int_equal(a->nquotes, b->nquotes);
	for (i = 0; i < a->nquotes; i++)
		assert_int_equal(a->quotes[i], b->quotes[i]);
}

static void
assert_verdict_equal(const struct treg_verdict *a,
    const struct treg_verdict *b)
{
	size_t i;

	assert_str_or_null_equal(a->offering, b->offering);
	assert_str_or_null_equal(a->cell, b->cell);
	assert_str_or_null_equal(a->verified, b->verified);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->nreasons, b->nreasons);
	for (i = 0; i < a->nreasons; i++)
		assert_string_equal(a->reasons[i], b->reasons[i]);
	assert_int_equal(a->nquotes, b->nquotes);
	for (i = 0; i < a->nquotes; i++)
		assert_string_equal(a->quotes[i], b->quotes[i]);
	assert_int_equal(a->nev, b->nev);
	for (i = 0; i < a->nev; i++)
		assert_evidence_equal(&a->ev[i], &b->ev[i]);
}

static void
test_report_verdict_to_json_round_trip(void **state)
{
	struct treg_verdict v, back;
	char *json;
	int rc;

	full_verdict(&v);
	assert_int_equal(treg_report_verdict_to_json(&v, &json), 0);

	rc = treg_report_verdict_from_json(json, strlen(json), &back);

	assert_int_equal(rc, 0);
	assert_true(v.flags != TREG_STATE_BIT(v.state));
	assert_verdict_equal(&v, &back);
	assert_null(strchr(json, '\n'));
	free(json);
	treg_verdict_cleanup(&back);
	treg_verdict_cleanup(&v);
}

static void
test_report_verdict_state_reads_state_and_since(void **state)
{
	static const char no_judged[] = "{\"offering\":\"o\",\"id\":\"c\","
	    "\"state\":\"changed\",\"since\":null,\"flags\":[\"changed\"],"
	    "\"reasons\":[],\"evidence\":[]}";
	struct treg_verdict v;
	enum treg_state st = TREG_STATE_FRESH;
	int64_t since = -1;
	char *json;

	full_verdict(&v);
	v.since = INT64_C(1780000000);
	assert_int_equal(treg_report_verdict_to_json(&v, &json), 0);

	assert_int_equal(treg_report_verdict_state(json, strlen(json), &st,
	    &since), 0);

	assert_int_equal(st, v.state);
	assert_int_equal(since, v.since);
	/* Without "judged" the whole verdict is read instead; a broken
	 * one is refused either way. */
	assert_int_equal(treg_report_verdict_state(no_judged,
	    sizeof(no_judged) - 1, &st, &since), -EINVAL);
	assert_int_equal(treg_report_verdict_state("{\"state\":\"nope\","
	    "\"judged\":0}", 27, &st, &since), -EINVAL);
	free(json);
	treg_verdict_cleanup(&v);
}

static void
test_report_verdict_to_json_round_trip_sparse(void **state)
{
	struct treg_verdict v, back;
	char *json;
	int rc;

	cell(&v, "cohere-api", "soc2", "2026-12-01", 1);
	free(v.verified);
	v.verified = NULL;
	free(v.ev[0].url);
	free(v.ev[0].fetch_url);
	v.ev[0].url = v.ev[0].fetch_url = NULL;
	v.ev[0].fetched = 0;
	v.ev[0].at = 0;
	v.ev[0].status = 0;
	v.ev[0].digest[0] = '\0';
	v.ev[0].has_baseline = 0;
	v.ev[0].baseline_at = 0;
	v.ev[0].baseline_digest[0] = '\0';
	v.ev[0].baseline_simhash = 0;
	v.ev[0].baseline_words = 0;
	v.ev[0].nquotes = 0;
	assert_int_equal(treg_report_verdict_to_json(&v, &json), 0);

	rc = treg_report_verdict_from_json(json, strlen(json), &back);

	assert_int_equal(rc, 0);
	assert_null(back.verified);
	assert_null(back.ev[0].url);
	assert_verdict_equal(&v, &back);
	free(json);
	treg_verdict_cleanup(&back);
	treg_verdict_cleanup(&v);
}

static void
test_report_verdict_to_json_time_out_of_range(void **state)
{
	struct treg_verdict v, back;
	char *json;
	int rc;

	cell(&v, "cohere-api", "soc2", "2026-12-01", 1);
	v.ev[0].at = INT64_MAX;
	v.ev[0].baseline_at = -50000000000LL;	/* the year 385 */
	v.ev[0].failures = UINT32_MAX;
	assert_int_equal(treg_report_verdict_to_json(&v, &json), 0);

	rc = treg_report_verdict_from_json(json, strlen(json), &back);

	assert_int_equal(rc, 0);
	assert_verdict_equal(&v, &back);
	assert_non_null(strstr(json, "\"at\":9223372036854775807"));
	free(json);
	treg_verdict_cleanup(&back);
	treg_verdict_cleanup(&v);
}

static void
test_report_verdict_to_json_time_before_epoch(void **state)
{
	struct treg_verdict v, back;
	char *json;
	int rc;

	cell(&v, "cohere-api", "soc2", "2026-12-01", 1);
	v.ev[0].baseline_at = -1;
	assert_int_equal(treg_report_verdict_to_json(&v, &json), 0);

	rc = treg_report_verdict_from_json(json, strlen(json), &back);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(json, "\"1969-12-31T23:59:59Z\""));
	assert_int_equal(back.ev[0].baseline_at, -1);
	free(json);
	treg_verdict_cleanup(&back);
	treg_verdict_cleanup(&v);
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	data[len] = '\0';
	fclose(f);
	*lenp = (size_t)len;
	return data;
}

static void
test_report_verdict_from_json_documented_example(void **state)
{
	struct treg_verdict v;
	size_t len;
	char *json;
	int rc;

	json = slurp(FIXTURE, &len);

	rc = treg_report_verdict_from_json(json, len, &v);

	assert_int_equal(rc, 0);
	assert_string_equal(v.offering, "cohere-api");
	assert_int_equal(v.state, TREG_STATE_QUOTE_MISSING);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_QUOTE_MISSING) |
	    TREG_STATE_BIT(TREG_STATE_UNVERIFIABLE) |
	    TREG_STATE_BIT(TREG_STATE_STALE));
	assert_int_equal(v.nreasons, 3);
	assert_int_equal(v.nquotes, 2);
	assert_int_equal(v.nev, 2);
	assert_int_equal(v.ev[0].at, (int64_t)day(2026, 12, 4) + 3 * 3600 +
	    600);
	assert_true(v.ev[0].simhash == 0x0123456789abcdefULL);
	assert_int_equal(v.ev[0].quotes[1], TREG_QUOTE_MISSING);
	assert_int_equal(v.ev[1].role, TREG_ROLE_ARCHIVE);
	assert_string_equal(v.ev[1].error, "timeout");
	assert_int_equal(v.ev[1].status, 0);
	assert_int_equal(v.ev[1].has_baseline, 0);
	assert_string_equal(v.ev[1].digest, "");
	assert_int_equal(v.ev[1].quotes[0], TREG_QUOTE_UNCHECKED);
	free(json);
	treg_verdict_cleanup(&v);
}

static void
assert_rejected(const char *json, size_t len)
{
	struct treg_verdict v;
	int rc;

	rc = treg_report_verdict_from_json(json, len, &v);

	assert_int_equal(rc, -EINVAL);
	assert_null(v.offering);
	assert_null(v.ev);
	assert_int_equal(v.nreasons, 0);
}

static void
test_report_verdict_from_json_garbage(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{}", "null", "42", "\"x\"",
		"{\"offering\":", "\xff\xfe\x00\x01", "{\"a\":1,\"a\":2}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_rejected(bad[i], strlen(bad[i]));
	assert_rejected(NULL, 0);
}

/* Each mutation of the documented example must be refused. */
static void
test_report_verdict_from_json_wrong_types(void **state)
{
	static const struct {
		const char *path;	/* "key" or "ev0.key" or "base.key" */
		const char *value;	/* JSON */
	} bad[] = {
		{ "offering", "1" }, { "id", "[]" }, { "verified", "true" },
		{ "state", "\"asleep\"" }, { "state", "null" },
		{ "flags", "[\"fresh\",\"bogus\"]" }, { "flags", "{}" },
		{ "reasons", "[1]" }, { "reasons", "\"x\"" },
		{ "quotes", "[\"text\"]" }, { "quotes", "[{\"found\":true}]" },
		{ "evidence", "[1]" }, { "evidence", "{}" },
		{ "ev0.url", "5" }, { "ev0.role", "\"mirror\"" },
		{ "ev0.fetched", "1" },
		{ "ev0.at", "\"2026-13-01T00:00:00Z\"" },
		{ "ev0.at", "\"2026-02-30T00:00:00Z\"" },
		{ "ev0.at", "\"2026-12-04 03:10:00\"" }, { "ev0.at", "1.5" },
		{ "ev0.status", "\"200\"" }, { "ev0.error", "false" },
		{ "ev0.moved", "null" }, { "ev0.failures", "-1" },
		{ "ev0.words", "4294967296" }, { "ev0.digest", "\"abc\"" },
		{ "ev0.digest", "\"3F2A9B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C"
		    "4D5E6F708192A3B4C5D6E\"" },
		{ "ev0.fingerprint", "\"xyz\"" }, { "ev0.fingerprint", "7" },
		{ "ev0.fingerprint", "\"0123456789abcdef0\"" },
		{ "ev0.baseline", "[]" }, { "ev0.quotes", "[true,1]" },
		{ "ev0.quotes", "null" }, { "base.words", "\"412\"" },
		{ "base.fingerprint", "null" }, { "ev0.detail", "{}" },
	};
	json_t *root, *target, *val;
	const char *key;
	size_t i, len;
	char *fixture, *json;

	fixture = slurp(FIXTURE, &len);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		root = json_loads(fixture, 0, NULL);
		assert_non_null(root);
		target = root;
		key = bad[i].path;
		if (strncmp(key, "ev0.", 4) == 0 ||
		    strncmp(key, "base.", 5) == 0) {
			target = json_array_get(json_object_get(root,
			    "evidence"), 0);
			if (key[0] == 'b')
				target = json_object_get(target, "baseline");
			key = strchr(key, '.') + 1;
		}
		val = json_loads(bad[i].value, JSON_DECODE_ANY, NULL);
		assert_non_null(val);
		assert_int_equal(json_object_set_new(target, key, val), 0);
		json = json_dumps(root, JSON_COMPACT);
		assert_non_null(json);

		assert_rejected(json, strlen(json));

		free(json);
		json_decref(root);
	}
	free(fixture);
}

/* Deleting any member that is read back is refused; derived members
 * (needs_attention, fingerprint_distance) may be left out. */
static void
test_report_verdict_from_json_missing_member(void **state)
{
	json_t *root, *ev, *copy, *obj;
	struct treg_verdict v;
	const char *key;
	json_t *val;
	size_t len;
	char *fixture, *json;
	int level, rc;

	fixture = slurp(FIXTURE, &len);
	root = json_loads(fixture, 0, NULL);
	assert_non_null(root);
	ev = json_array_get(json_object_get(root, "evidence"), 0);

	for (level = 0; level < 2; level++) {
		json_object_foreach(level == 0 ? root : ev, key, val) {
			copy = json_deep_copy(root);
			obj = level == 0 ? copy : json_array_get(
			    json_object_get(copy, "evidence"), 0);
			assert_int_equal(json_object_del(obj, key), 0);
			json = json_dumps(copy, JSON_COMPACT);

			rc = treg_report_verdict_from_json(json,
			    strlen(json), &v);

			if (strcmp(key, "needs_attention") == 0 ||
			    strcmp(key, "fingerprint_distance") == 0)
				assert_int_equal(rc, 0);
			else
				assert_int_equal(rc, -EINVAL);
			treg_verdict_cleanup(&v);
			free(json);
			json_decref(copy);
		}
	}
	json_decref(root);
	free(fixture);
}

static void
test_report_verdict_from_json_truncated(void **state)
{
	size_t len, cut;
	char *json;

	json = slurp(FIXTURE, &len);

	for (cut = 0; cut < len - 2; cut++)
		assert_rejected(json, cut);

	free(json);
}

static void
test_report_write_dev_full_eio(void **state)
{
	struct treg_verdict v[4];
	FILE *f;
	int rc_text, rc_json;

	report_set4(v);
	f = fopen("/dev/full", "w");
	assert_non_null(f);

	rc_text = treg_report_write(f, TREG_REPORT_TEXT, v, 4, now(),
	    &health);
	clearerr(f);
	rc_json = treg_report_write(f, TREG_REPORT_JSON, v, 4, now(),
	    &health);

	assert_int_equal(rc_text, -EIO);
	assert_int_equal(rc_json, -EIO);
	fclose(f);
	cleanup_n(v, 4);
}

/* A changed cell with a diff and page-level information, so every
 * version 2 member is filled. */
static void
report_set_changed(struct treg_verdict *v)
{
	struct treg_evidence *e;

	report_set4(v);
	e = &v[0].ev[0];
	fill_digest(e->digest, 'b');
	e->has_region = 1;
	fill_digest(e->region_digest, 'c');
	fill_digest(e->baseline_region_digest, 'd');
	e->region_words = 40;
	e->baseline_region_words = 41;
	e->ndiff = 1;
	e->diff = calloc(1, sizeof(*e->diff));
	assert_non_null(e->diff);
	e->diff[0].before = strdup("we keep logs for");
	e->diff[0].del = strdup("30 days <b>&");
	e->diff[0].ins = strdup("90 days");
	e->diff[0].after = strdup("after deletion.");
	e->diff_more = 2;
	e->page_note = strdup("footer: \"2025\" -> \"2026\"");
	(void)treg_verdict_judge(&v[0], day(2026, 12, 1), now(), &policy);
	v[0].since = (int64_t)day(2026, 12, 30);
	v[1].since = (int64_t)day(2026, 12, 31);
	v[2].since = (int64_t)day(2026, 12, 29);
	v[3].info = calloc(1, sizeof(*v[3].info));
	assert_non_null(v[3].info);
	v[3].info[0] = strdup("page changed outside this cell's evidence");
	v[3].ninfo = 1;
}

/* Both the HTML page and the feed must parse as XML. */
static xmlDocPtr
parse_xml(const char *text)
{
	xmlDocPtr doc;

	doc = xmlReadMemory(text, (int)strlen(text), "report.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	return doc;
}

static long
xpath_count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	long n;

	ctx = xmlXPathNewContext(doc);
	assert_non_null(ctx);
	xmlXPathRegisterNs(ctx, BAD_CAST "a",
	    BAD_CAST "http://www.w3.org/2005/Atom");
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(obj);
	n = obj->nodesetval != NULL ? obj->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	return n;
}

static void
test_report_write_html_well_formed_with_every_flagged_cell(void **state)
{
	struct treg_verdict v[4];
	xmlDocPtr doc;
	char *html;
	int rc;

	report_set_changed(v);

	html = render(TREG_REPORT_HTML, v, 4, &rc);

	assert_int_equal(rc, 0);
	doc = parse_xml(html);
	assert_int_equal(xpath_count(doc, "//article"), 3);
	assert_int_equal(xpath_count(doc,
	    "//article[@id='cohere-api/soc2']"), 1);
	assert_int_equal(xpath_count(doc,
	    "//article[@id='cohere-api/hipaa_baa']"), 1);
	assert_int_equal(xpath_count(doc,
	    "//article[@id='openai-api/iso27001']"), 1);
	assert_int_equal(xpath_count(doc, "//del"), 1);
	assert_int_equal(xpath_count(doc, "//ins"), 1);
	assert_int_equal(xpath_count(doc, "//script|//link|//img"), 0);
	assert_int_equal(xpath_count(doc, "//style"), 1);
	assert_non_null(strstr(html, "30 days &lt;b&gt;&amp;"));
	/* Grouped by urgency: dead before quote-missing before changed. */
	assert_true(pos(html, "id=\"openai-api/iso27001\"") <
	    pos(html, "id=\"cohere-api/hipaa_baa\""));
	assert_true(pos(html, "id=\"cohere-api/hipaa_baa\"") <
	    pos(html, "id=\"cohere-api/soc2\""));
	xmlFreeDoc(doc);
	free(html);
	cleanup_n(v, 4);
}

static void
test_report_write_atom_valid_entries_stable_ids(void **state)
{
	struct treg_verdict v[4];
	xmlDocPtr doc;
	char *atom, *again;
	int rc;

	report_set_changed(v);

	atom = render(TREG_REPORT_ATOM, v, 4, &rc);
	again = render(TREG_REPORT_ATOM, v, 4, &rc);

	assert_int_equal(rc, 0);
	doc = parse_xml(atom);
	assert_int_equal(xpath_count(doc, "/a:feed/a:id"), 1);
	assert_int_equal(xpath_count(doc, "/a:feed/a:title"), 1);
	assert_int_equal(xpath_count(doc, "/a:feed/a:updated"), 1);
	assert_int_equal(xpath_count(doc, "/a:feed/a:author/a:name"), 1);
	assert_int_equal(xpath_count(doc, "/a:feed/a:entry"), 3);
	assert_int_equal(xpath_count(doc, "/a:feed/a:entry/a:id"), 3);
	assert_int_equal(xpath_count(doc, "/a:feed/a:entry/a:updated"), 3);
	assert_int_equal(xpath_count(doc, "/a:feed/a:entry/a:title"), 3);
	assert_non_null(strstr(atom, "<id>tag:trustreg-crawl,2026:cell/"
	    "cohere-api/soc2/changed/2026-12-30T00:00:00Z</id>"));
	assert_string_equal(atom, again);
	xmlFreeDoc(doc);
	free(atom);
	free(again);
	cleanup_n(v, 4);
}

/* U+FFFE and U+FFFF are valid UTF-8 but not XML characters: a feed
 * carrying them is rejected by a strict parser. */
static void
test_report_write_xml_noncharacters_replaced(void **state)
{
	static const enum treg_report_format fmts[] = {
		TREG_REPORT_HTML, TREG_REPORT_ATOM,
	};
	struct treg_verdict v;
	xmlDocPtr doc;
	json_t *root;
	char *text;
	size_t i;
	int rc;

	cell(&v, "cohere-api", "soc2", "2026-01-01", 1);
	free(v.reasons[0]);
	v.reasons[0] = strdup("reason \xef\xbf\xbe and \xef\xbf\xbf end");
	free(v.quotes[0]);
	v.quotes[0] = strdup("quote \xef\xbf\xbf");
	free(v.ev[0].url);
	v.ev[0].url = strdup("https://example.test/\xef\xbf\xbe");

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		text = render(fmts[i], &v, 1, &rc);

		assert_int_equal(rc, 0);
		assert_non_null(strstr(text, "soc2"));
		assert_null(strstr(text, "\xef\xbf\xbe"));
		assert_null(strstr(text, "\xef\xbf\xbf"));
		assert_non_null(strstr(text, "reason \xef\xbf\xbd and "
		    "\xef\xbf\xbd end"));
		doc = parse_xml(text);
		xmlFreeDoc(doc);
		free(text);
	}
	root = parse_report(&v, 1);
	assert_non_null(root);
	json_decref(root);
	treg_verdict_cleanup(&v);
}

static void
test_report_write_json_version2_members(void **state)
{
	struct treg_verdict v[4];
	json_t *root, *c, *e, *d;
	char *json;
	int rc;

	report_set_changed(v);

	json = render(TREG_REPORT_JSON, v, 4, &rc);

	assert_int_equal(rc, 0);
	root = json_loads(json, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root,
	    "version")), 2);
	c = json_array_get(json_object_get(json_array_get(
	    json_object_get(root, "offerings"), 0), "cells"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "since")),
	    "2026-12-30T00:00:00Z");
	assert_true(json_is_array(json_object_get(c, "info")));
	e = json_array_get(json_object_get(c, "evidence"), 0);
	assert_true(json_is_object(json_object_get(e, "region")));
	assert_int_equal(json_integer_value(json_object_get(e,
	    "diff_more")), 2);
	d = json_array_get(json_object_get(e, "diff"), 0);
	assert_string_equal(json_string_value(json_object_get(d,
	    "removed")), "30 days <b>&");
	assert_string_equal(json_string_value(json_object_get(d, "added")),
	    "90 days");
	json_decref(root);
	free(json);
	cleanup_n(v, 4);
}

/* Every member of o (and of the objects below it) has a row in doc. */
static void
assert_documented(const char *doc, json_t *o)
{
	const char *key;
	json_t *val, *item;
	char row[128];
	size_t i;

	json_object_foreach(o, key, val) {
		snprintf(row, sizeof(row), "| `%s` |", key);
		if (strstr(doc, row) == NULL)
			fail_msg("member %s is not in report-format.md", key);
		if (json_is_object(val))
			assert_documented(doc, val);
		json_array_foreach(val, i, item)
			if (json_is_object(item))
				assert_documented(doc, item);
	}
}

static void
test_report_write_json_every_member_documented(void **state)
{
	struct treg_verdict v[4];
	json_t *root;
	char *json, *doc;
	FILE *f;
	long len;
	int rc;

	report_set_changed(v);
	f = fopen(TREG_SRCDIR "/data/report-format.md", "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)len + 1);
	assert_non_null(doc);
	assert_int_equal(fread(doc, 1, (size_t)len, f), (size_t)len);
	fclose(f);

	json = render(TREG_REPORT_JSON, v, 4, &rc);
	root = json_loads(json, 0, NULL);

	assert_non_null(root);
	assert_documented(doc, root);
	json_decref(root);
	free(json);
	free(doc);
	cleanup_n(v, 4);
}

static void
test_report_verdict_to_json_round_trips_region_and_diff(void **state)
{
	struct treg_verdict v[4], back;
	char *json, *again;

	report_set_changed(v);

	assert_int_equal(treg_report_verdict_to_json(&v[0], &json), 0);
	assert_int_equal(treg_report_verdict_from_json(json, strlen(json),
	    &back), 0);
	assert_int_equal(treg_report_verdict_to_json(&back, &again), 0);

	assert_string_equal(json, again);
	assert_int_equal(back.ev[0].ndiff, 1);
	assert_string_equal(back.ev[0].diff[0].ins, "90 days");
	assert_int_equal(back.since, v[0].since);
	free(json);
	free(again);
	treg_verdict_cleanup(&back);
	cleanup_n(v, 4);
}

static void
test_report_write_all_dated_and_latest(void **state)
{
	struct treg_verdict v[4];
	char dir[] = "/tmp/treg-report-XXXXXX";
	char path[256], day_s[16];
	const char *ext[] = { "txt", "json", "html", "atom" };
	time_t t = now();
	struct tm tm;
	struct stat dated, latest;
	FILE *copied, *rendered;
	char *cbuf = NULL, *rbuf = NULL;
	size_t i, clen = 0, rlen = 0;

	report_set4(v);
	assert_non_null(mkdtemp(dir));
	localtime_r(&t, &tm);
	strftime(day_s, sizeof(day_s), "%Y-%m-%d", &tm);

	assert_int_equal(treg_report_write_all(dir, v, 4, t, &health), 0);

	for (i = 0; i < 4; i++) {
		/* Rendered once: latest.* is a second name of the dated
		 * file, and printing it gives what rendering gives. */
		snprintf(path, sizeof(path), "%s/reports/report-%s.%s", dir,
		    day_s, ext[i]);
		assert_int_equal(stat(path, &dated), 0);
		assert_int_equal(unlink(path), 0);
		snprintf(path, sizeof(path), "%s/reports/latest.%s", dir,
		    ext[i]);
		assert_int_equal(stat(path, &latest), 0);
		assert_int_equal(dated.st_ino, latest.st_ino);
		copied = fopen(path, "rb");
		assert_non_null(copied);
		cbuf = malloc((size_t)latest.st_size + 1);
		assert_non_null(cbuf);
		clen = fread(cbuf, 1, (size_t)latest.st_size + 1, copied);
		rendered = open_memstream(&rbuf, &rlen);
		assert_int_equal(treg_report_write(rendered,
		    (enum treg_report_format)i, v, 4, t, &health), 0);
		fclose(copied);
		fclose(rendered);
		assert_int_equal(clen, rlen);
		assert_memory_equal(cbuf, rbuf, clen);
		free(cbuf);
		free(rbuf);
		assert_int_equal(unlink(path), 0);
	}
	snprintf(path, sizeof(path), "%s/reports", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
	cleanup_n(v, 4);
}

static int
rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Stores the verdict of offering/cell at registry position order. */
static void
store_verdict(struct treg_store *st, const char *offering,
    const char *cell_key, uint32_t order)
{
	struct treg_verdict v;
	char key[64], *json = NULL;

	cell(&v, offering, cell_key, "2026-12-01", 0);
	v.order = order;
	assert_int_equal(treg_report_verdict_to_json(&v, &json), 0);
	snprintf(key, sizeof(key), "%s/%s", offering, cell_key);
	assert_int_equal(treg_store_put_cell(st, key, json, strlen(json)), 0);
	free(json);
	treg_verdict_cleanup(&v);
}

static int
append_cell_cb(void *arg, const struct treg_verdict *v)
{
	strcat(arg, v->offering);
	strcat(arg, "/");
	strcat(arg, v->cell);
	strcat(arg, " ");
	return 0;
}

/*
 * Verdicts of cells gone from the registry keep their positions, so
 * positions repeat; ties go by offering, then cell, as the reports
 * always listed them: "openai" before "openai-api" although the key
 * "openai-api/x" sorts before "openai/x".
 */
static void
test_treg_crawl_each_stored_ties_by_offering(void **state)
{
	char dir[] = "/tmp/treg-report-XXXXXX", order[256] = "";
	struct treg_store *st;
	size_t n = 0;
	int rc;

	assert_non_null(mkdtemp(dir));
	st = treg_store_open(dir);
	assert_non_null(st);
	store_verdict(st, "openai-api", "soc2", 1);
	store_verdict(st, "openai", "soc2", 1);
	store_verdict(st, "openai", "iso", 2);
	store_verdict(st, "a.b", "x", 0);
	store_verdict(st, "a", "x", 0);
	assert_int_equal(treg_store_commit(st), 0);

	rc = treg_crawl_each_stored(st, append_cell_cb, order, &n);

	assert_int_equal(rc, 0);
	assert_int_equal(n, 5);
	assert_string_equal(order, "openai/soc2 openai-api/soc2 openai/iso "
	    "a/x a.b/x ");
	treg_store_close(st);
	rm_tree(dir);
}

/*
 * Text from a server reaches a terminal through --show as through the
 * report: C0 and C1 controls (a CSI among them) and the bidirectional
 * overrides and isolates become '?'; other characters stay.
 */
static void
test_report_put_text_defuses_terminal_controls(void **state)
{
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	assert_non_null(f);
	assert_int_equal(treg_report_put_text(f, "https://a.test/p\xc2\x9b"
	    "2J\x1b[31m\xe2\x80\xae" "evil\xe2\x81\xa6x\xe2\x80\x8f"
	    "\xc3\xa9\xe2\x80\xa9"), 0);
	assert_int_equal(treg_report_put_text(f, NULL), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(got, "https://a.test/p?2J?[31m?evil?x"
	    "\xe2\x80\x8f\xc3\xa9\xe2\x80\xa9-");
	free(got);
}

static int
append_order_cb(void *arg, const struct treg_verdict *v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", (unsigned)v->order);
	strcat(arg, v->offering);
	strcat(arg, "/");
	strcat(arg, v->cell);
	strcat(arg, "@");
	strcat(arg, num);
	strcat(arg, " ");
	return 0;
}

/*
 * The registry's cells in its order, placed at their positions now; a
 * cell whose record cannot be read counts as not judged, like one with
 * none, and the verdicts of cells the registry no longer holds are left
 * out and counted.
 */
static void
test_treg_crawl_each_registered_counts(void **state)
{
#define REG_CELL(key) "\"" key "\":{\"value\":\"unclear\"," \
	"\"confidence\":\"low\",\"verified\":\"2026-12-01\"," \
	"\"notes\":\"n\",\"source\":null,\"archived\":null}"
#define REG_OFFER(id, order, cells) "{\"id\":\"" id "\",\"name\":\"N\"," \
	"\"developer\":\"D\",\"platform\":\"P\",\"category\":" \
	"\"first_party\",\"sort_order\":" order ",\"dimensions\":{" \
	cells "}}"
	static const char json[] = "{\"name\":\"t\",\"offerings\":["
	    REG_OFFER("a", "1", REG_CELL("soc2_type2") ","
	    REG_CELL("iso_27001") "," REG_CELL("hipaa_baa")) ","
	    REG_OFFER("b", "2", REG_CELL("soc2_type2")) "]}";
#undef REG_CELL
#undef REG_OFFER
	char dir[] = "/tmp/treg-report-XXXXXX", order[256] = "", *err = NULL;
	struct treg_registry *reg = NULL;
	struct treg_store *st;
	struct treg_crawl_coverage cov;
	size_t n = 0;
	int rc;

	assert_int_equal(treg_registry_load_buffer("r.json", json,
	    sizeof(json) - 1, &reg, &err), 0);
	assert_non_null(mkdtemp(dir));
	st = treg_store_open(dir);
	assert_non_null(st);
	store_verdict(st, "a", "soc2_type2", 9);
	assert_int_equal(treg_store_put_cell(st, "a/iso_27001", "garbage{",
	    8), 0);
	store_verdict(st, "b", "soc2_type2", 9);
	store_verdict(st, "c", "soc2_type2", 1);
	store_verdict(st, "a", "gdpr_dpa", 2);
	assert_int_equal(treg_store_commit(st), 0);

	rc = treg_crawl_each_registered(st, reg, append_order_cb, order, &n,
	    &cov);

	assert_int_equal(rc, 0);
	assert_string_equal(order, "a/soc2_type2@1 b/soc2_type2@4 ");
	assert_int_equal(n, 2);
	assert_int_equal(cov.unjudged, 2);
	assert_int_equal(cov.nnamed, 2);
	assert_string_equal(cov.named[0], "a/iso_27001");
	assert_string_equal(cov.named[1], "a/hipaa_baa");
	assert_int_equal(cov.gone, 2);
	treg_crawl_coverage_cleanup(&cov);
	treg_store_close(st);
	treg_registry_free(reg);
	rm_tree(dir);
}

static int
fail_eio_cb(void *arg, const struct treg_verdict *v)
{
	(*(size_t *)arg)++;
	return -EIO;
}

/*
 * A failure that stops the judging must not read as -EIO, which says
 * the other cells were judged and may be reported (--once would file a
 * report of the few cells judged before it as latest.*).
 */
static void
test_treg_crawl_judge_stopped_by_eio_not_partial(void **state)
{
	static const char json[] = "{\"name\":\"t\",\"offerings\":[{\"id\":"
	    "\"o\",\"name\":\"O\",\"developer\":\"D\",\"platform\":\"P\","
	    "\"category\":\"first_party\",\"sort_order\":1,\"dimensions\":"
	    "{\"soc2_type2\":{\"value\":\"unclear\",\"confidence\":\"low\","
	    "\"verified\":\"2026-12-01\",\"notes\":\"n\",\"source\":null,"
	    "\"archived\":null}}}]}";
	const struct treg_offering *off[1];
	char dir[] = "/tmp/treg-report-XXXXXX", *err = NULL;
	struct treg_registry *reg = NULL;
	struct treg_config *cfg;
	struct treg_store *st;
	size_t calls = 0;
	int rc;

	assert_int_equal(treg_registry_load_buffer("r.json", json,
	    sizeof(json) - 1, &reg, &err), 0);
	off[0] = &reg->offerings[0];
	cfg = treg_config_new_default();
	assert_non_null(cfg);
	assert_non_null(mkdtemp(dir));
	st = treg_store_open(dir);
	assert_non_null(st);

	rc = treg_crawl_judge(cfg, st, reg, off, 1, now(), fail_eio_cb,
	    &calls);

	assert_int_equal(calls, 1);
	assert_int_equal(rc, -ECANCELED);
	treg_store_close(st);
	rm_tree(dir);
	treg_config_free(cfg);
	treg_registry_free(reg);
}

/* A dead cell whose one source, url, failed with error and detail. */
static void
cell_failed(struct treg_verdict *v, const char *key, const char *url,
    const char *error, const char *detail)
{
	cell(v, "o", key, "2026-12-01", 1);
	free(v->ev[0].url);
	free(v->ev[0].fetch_url);
	v->ev[0].url = strdup(url);
	v->ev[0].fetch_url = strdup(url);
	v->ev[0].error = strdup(error);
	v->ev[0].detail = detail != NULL ? strdup(detail) : NULL;
	v->ev[0].failures = 2;
	v->ev[0].digest[0] = '\0';
	(void)treg_verdict_judge(v, day(2026, 12, 1), now(), &policy);
}

/*
 * Failures are listed by URL, each URL once however its cells came, its
 * first failure's error and detail said, six cells named and the rest
 * counted; URLs that differ only after a long common part stay apart.
 */
static void
test_report_write_text_failures_grouped_by_url(void **state)
{
	struct treg_verdict v[11];
	char longa[400], longb[400], key[16], *text;
	size_t i;
	int rc;

	memset(longa, 'x', sizeof(longa) - 1);
	longa[sizeof(longa) - 1] = '\0';
	memcpy(longa, "https://l.test/", 15);
	snprintf(longb, sizeof(longb), "%s", longa);
	longb[sizeof(longb) - 2] = 'y';
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "c%zu", i);
		cell_failed(&v[i], key, "https://b.test/", i == 0 ? "dns" :
		    "tls", i == 0 ? "no such host" : NULL);
	}
	cell_failed(&v[8], "l2", longb, "connect", NULL);
	cell_failed(&v[9], "a", "https://a.test/", "timeout", "");
	cell_failed(&v[10], "l1", longa, "connect", NULL);

	text = render(TREG_REPORT_TEXT, v, 11, &rc);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "Failed fetches (4 of 4 URLs)\n"));
	assert_non_null(strstr(text, "  - https://a.test/ failed: timeout (), "
	    "2 consecutive failures; cited by 1\n    cell: o/a\n"));
	assert_non_null(strstr(text, "  - https://b.test/ failed: dns (no "
	    "such host), 2 consecutive failures; cited\n    by 8 cells: o/c0, "
	    "o/c1, o/c2, o/c3, o/c4, o/c5 and 2 more\n"));
	assert_true(pos(text, "https://a.test/ failed") <
	    pos(text, "https://b.test/ failed"));
	assert_true(pos(text, "https://b.test/ failed") <
	    pos(text, "xxx\n    failed: connect, 2 consecutive failures; "
	    "cited by 1 cell: o/l1\n"));
	assert_true(pos(text, "cited by 1 cell: o/l1") <
	    pos(text, "xxy\n    failed: connect, 2 consecutive failures; "
	    "cited by 1 cell: o/l2\n"));
	free(text);
	cleanup_n(v, 11);
}

/* Flagged cells in the order of their verified strings, whatever they
 * hold: never verified first, then by bytes, long ones included. */
static void
test_report_write_text_flagged_any_verified_ordered(void **state)
{
	struct treg_verdict v[5];
	char longa[300], longb[300], *text, *html;
	size_t i;
	int rc;

	memset(longa, '9', sizeof(longa) - 1);
	longa[sizeof(longa) - 1] = '\0';
	memcpy(longb, longa, sizeof(longb));
	longb[sizeof(longb) - 2] = '8';
	report_set4(v);
	cell_failed(&v[4], "never", "https://x.test/", "dns", NULL);
	free(v[4].verified);
	v[4].verified = NULL;
	free(v[0].verified);
	v[0].verified = strdup(longa);
	v[0].state = TREG_STATE_STALE;
	free(v[1].verified);
	v[1].verified = strdup("\xc3\xa9t\xc3\xa9");
	free(v[2].verified);
	v[2].verified = strdup(longb);
	free(v[3].verified);
	v[3].verified = strdup("");
	v[3].state = TREG_STATE_STALE;

	text = render(TREG_REPORT_TEXT, v, 5, &rc);
	assert_int_equal(rc, 0);
	html = render(TREG_REPORT_HTML, v, 5, &rc);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(text, "Needs attention (5)"));
	assert_true(pos(text, "o / never  DEAD  verified never\n") <
	    pos(text, "openai-api / eu_residency  STALE  verified \n"));
	assert_true(pos(text, "eu_residency  STALE") <
	    pos(text, "openai-api / iso27001  DEAD  verified 999"));
	assert_true(pos(text, "iso27001  DEAD") <
	    pos(text, "cohere-api / soc2  STALE  verified 999"));
	assert_true(pos(text, "soc2  STALE") <
	    pos(text, "hipaa_baa  QUOTE-MISSING  verified \xc3\xa9t"));
	/* Grouped by state in HTML, in the same order within a group. */
	assert_true(pos(html, "id=\"o/never\"") <
	    pos(html, "id=\"openai-api/iso27001\""));
	assert_true(pos(html, "id=\"openai-api/eu_residency\"") <
	    pos(html, "id=\"cohere-api/soc2\""));
	for (i = 0; i < 5; i++)
		assert_non_null(strstr(html, v[i].cell));
	free(text);
	free(html);
	cleanup_n(v, 5);
}

/* Reads the whole of f, rewound, into a string the caller frees. */
static char *
read_stream(FILE *f)
{
	long len = ftell(f);
	char *text;

	assert_true(len >= 0);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(f);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	return text;
}

/* A cell added after a finish takes its place at the next one: the
 * orders are made again, not kept from the first finish. */
static void
test_report_finish_again_after_add_orders_anew(void **state)
{
	struct treg_report *r = NULL;
	struct treg_verdict v[5];
	FILE *f1, *f2;
	char *first, *second;
	size_t i;
	int rc;

	report_set4(v);
	cell_failed(&v[4], "late", "https://a.test/", "dns", NULL);
	free(v[4].verified);
	v[4].verified = strdup("2000-01-01");
	f1 = tmpfile();
	f2 = tmpfile();
	assert_non_null(f1);
	assert_non_null(f2);
	assert_int_equal(treg_report_begin(&r, TREG_REPORT_ALL, NULL,
	    now()), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(treg_report_add(r, &v[i]), 0);
	assert_int_equal(treg_report_finish(r, TREG_REPORT_TEXT, f1,
	    &health), 0);

	assert_int_equal(treg_report_add(r, &v[4]), 0);
	rc = treg_report_finish(r, TREG_REPORT_TEXT, f2, &health);

	assert_int_equal(rc, 0);
	first = read_stream(f1);
	second = read_stream(f2);
	assert_non_null(strstr(first, "Failed fetches (1 of 1 URL)"));
	assert_non_null(strstr(second, "Failed fetches (2 of 2 URLs)"));
	assert_true(pos(second, "https://a.test/ failed") <
	    pos(second, "https://trustcenter.cohere.com/ failed"));
	assert_true(pos(second, "o / late  DEAD  verified 2000-01-01") <
	    pos(second, "openai-api / iso27001  DEAD"));
	assert_int_equal(treg_report_attention(r), 3);
	free(first);
	free(second);
	fclose(f1);
	fclose(f2);
	treg_report_free(r);
	cleanup_n(v, 5);
}

/* The report of verdicts added in the order of adds[], every format. */
static void
render_added(const struct treg_verdict *v, const size_t *adds, size_t n,
    char **docs)
{
	struct treg_report *r = NULL;
	FILE *f;
	size_t i;
	int fmt;

	assert_int_equal(treg_report_begin(&r, TREG_REPORT_ALL, NULL,
	    now()), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(treg_report_add(r, &v[adds[i]]), 0);
	for (fmt = 0; fmt < TREG_REPORT_NFORMATS; fmt++) {
		f = tmpfile();
		assert_non_null(f);
		assert_int_equal(treg_report_finish(r,
		    (enum treg_report_format)fmt, f, &health), 0);
		docs[fmt] = read_stream(f);
		fclose(f);
	}
	treg_report_free(r);
}

/*
 * A crawl judges each offering once its URLs have ended, so verdicts
 * come an offering at a time in any order, numbered by their place in
 * the registry: every format comes out as if they had come in order,
 * ties (one verified date, one failed URL) included.  A cell missing
 * from the numbering (not judged) does not split its offering.
 */
static void
test_report_out_of_order_offerings_same_bytes(void **state)
{
	static const char *const offerings[] = { "a", "b", "c", "d" };
	static const size_t in_order[] = {
	    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const size_t shuffled[] = {
	    6, 7, 8, 3, 4, 5, 9, 10, 0, 1, 2 };
	struct treg_verdict v[11];
	char *want[TREG_REPORT_NFORMATS], *got[TREG_REPORT_NFORMATS];
	char key[16];
	size_t i;
	int fmt;

	for (i = 0; i < 11; i++) {
		snprintf(key, sizeof(key), "k%zu", i % 3);
		if (i % 4 == 1) {
			cell_failed(&v[i], key, "https://x.test/down", "dns",
			    NULL);
			free(v[i].offering);
			v[i].offering = strdup(offerings[i / 3]);
		} else {
			cell(&v[i], offerings[i / 3], key, i % 4 == 2 ?
			    "2026-12-01" : i % 4 == 3 ? "2026-01-05" :
			    "2026-12-03", i % 5 != 4);
		}
		/* d's second cell (10) was not judged: 11 is its place. */
		v[i].order = (uint32_t)(i < 10 ? i + 1 : i + 2);
	}
	render_added(v, in_order, 11, want);
	render_added(v, shuffled, 11, got);
	for (fmt = 0; fmt < TREG_REPORT_NFORMATS; fmt++) {
		assert_string_equal(got[fmt], want[fmt]);
		free(want[fmt]);
		free(got[fmt]);
	}
	cleanup_n(v, 11);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_parse_format_names),
		cmocka_unit_test(test_report_out_of_order_offerings_same_bytes),
		cmocka_unit_test(test_report_write_text_flagged_first_oldest),
		cmocka_unit_test(test_report_write_text_all_failed_said_at_top),
		cmocka_unit_test(test_report_write_text_one_failure_is_not_all),
		cmocka_unit_test(test_report_write_text_says_when_judged),
		cmocka_unit_test(test_report_verdict_order_reads_position),
		cmocka_unit_test(test_report_write_json_same_bytes_as_one_dump),
		cmocka_unit_test(test_report_json_hand_written_same_as_jansson),
		cmocka_unit_test(test_report_write_text_wraps_long_reasons),
		cmocka_unit_test(test_report_write_text_control_chars_replaced),
		cmocka_unit_test(test_report_write_text_empty),
		cmocka_unit_test(test_report_write_json_documented_fields),
		cmocka_unit_test(test_report_write_json_invalid_utf8_repaired),
		cmocka_unit_test(test_report_write_json_valid_utf8_kept),
		cmocka_unit_test(test_report_verdict_to_json_round_trip),
		cmocka_unit_test(
		    test_report_verdict_state_reads_state_and_since),
		cmocka_unit_test(test_report_verdict_to_json_round_trip_sparse),
		cmocka_unit_test(test_report_verdict_to_json_time_out_of_range),
		cmocka_unit_test(test_report_verdict_to_json_time_before_epoch),
		cmocka_unit_test(
		    test_report_verdict_from_json_documented_example),
		cmocka_unit_test(test_report_verdict_from_json_garbage),
		cmocka_unit_test(test_report_verdict_from_json_wrong_types),
		cmocka_unit_test(test_report_verdict_from_json_missing_member),
		cmocka_unit_test(test_report_verdict_from_json_truncated),
		cmocka_unit_test(test_report_write_dev_full_eio),
		cmocka_unit_test(
		    test_report_write_html_well_formed_with_every_flagged_cell),
		cmocka_unit_test(
		    test_report_write_atom_valid_entries_stable_ids),
		cmocka_unit_test(
		    test_report_write_xml_noncharacters_replaced),
		cmocka_unit_test(test_report_write_json_version2_members),
		cmocka_unit_test(
		    test_report_write_json_every_member_documented),
		cmocka_unit_test(
		    test_report_verdict_to_json_round_trips_region_and_diff),
		cmocka_unit_test(test_report_write_all_dated_and_latest),
		cmocka_unit_test(test_treg_crawl_each_stored_ties_by_offering),
		cmocka_unit_test(test_treg_crawl_each_registered_counts),
		cmocka_unit_test(
		    test_report_put_text_defuses_terminal_controls),
		cmocka_unit_test(
		    test_treg_crawl_judge_stopped_by_eio_not_partial),
		cmocka_unit_test(
		    test_report_write_text_failures_grouped_by_url),
		cmocka_unit_test(
		    test_report_write_text_flagged_any_verified_ordered),
		cmocka_unit_test(
		    test_report_finish_again_after_add_orders_anew),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
