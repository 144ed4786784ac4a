/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the verdict rules: one case per rule, then how the rules
 * combine (precedence, re-judging) and which states need attention.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "verdict.h"

#define DAY	86400

static const struct treg_policy policy = { .review_after_days = 90 };

/* 2026-07-05T00:00:00Z, the verified date of the seed offering. */
static time_t
verified_at(void)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 6, .tm_mday = 5 };

	return timegm(&tm);
}

static void
fill_digest(char *digest, char c)
{
	memset(digest, c, TREG_SHA256_HEXLEN);
	digest[TREG_SHA256_HEXLEN] = '\0';
}

/* An evidence URL fetched a day after verification, unchanged since its
 * baseline, with every quotation found. */
static void
evidence_ok(struct treg_evidence *e, enum treg_role role, const char *url,
    size_t nquotes)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->url = strdup(url);
	e->fetch_url = strdup(url);
	e->role = role;
	e->fetched = 1;
	e->at = (int64_t)verified_at() + DAY;
	e->status = 200;
	fill_digest(e->digest, 'a');
	e->simhash = 0x0123456789abcdefULL;
	e->words = 412;
	e->has_baseline = 1;
	e->baseline_at = (int64_t)verified_at();
	fill_digest(e->baseline_digest, 'a');
	e->baseline_simhash = e->simhash;
	e->baseline_words = 412;
	e->nquotes = nquotes;
	e->quotes = calloc(nquotes ? nquotes : 1, sizeof(*e->quotes));
	assert_non_null(e->quotes);
	for (i = 0; i < nquotes; i++)
		e->quotes[i] = TREG_QUOTE_FOUND;
}

/* A cell with one source (and an archive when asked) and two quotes. */
static void
cell_init(struct treg_verdict *v, int with_archive)
{
	memset(v, 0, sizeof(*v));
	v->offering = strdup("cohere-api");
	v->cell = strdup("hipaa_baa");
	v->verified = strdup("2026-07-05");
	v->nquotes = 2;
	v->quotes = calloc(2, sizeof(*v->quotes));
	assert_non_null(v->quotes);
	v->quotes[0] = strdup("may execute a Business Associate Agreement");
	v->quotes[1] = strdup("does not cover Cohere hosted products");
	v->nev = with_archive ? 2 : 1;
	v->ev = calloc(v->nev, sizeof(*v->ev));
	assert_non_null(v->ev);
	evidence_ok(&v->ev[0], TREG_ROLE_SOURCE,
	    "https://trustcenter.cohere.com/", 2);
	if (with_archive)
		evidence_ok(&v->ev[1], TREG_ROLE_ARCHIVE,
		    "https://web.archive.org/web/20260705000000/"
		    "https://trustcenter.cohere.com/", 2);
}

static int
judge(struct treg_verdict *v, long age_days)
{
	return treg_verdict_judge(v, verified_at(),
	    verified_at() + (time_t)age_days * DAY, &policy);
}

static int
has_reason(const struct treg_verdict *v, const char *needle)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++) {
		if (strstr(v->reasons[i], needle) != NULL)
			return 1;
	}
	return 0;
}

static void
test_verdict_judge_no_source(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	treg_evidence_cleanup(&v.ev[0]);
	v.nev = 0;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_NO_SOURCE);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_NO_SOURCE));
	assert_int_equal(v.nreasons, 1);
	assert_string_equal(v.reasons[0], "no public source to check");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_no_source_archive_only(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);
	v.ev[0].role = TREG_ROLE_ARCHIVE;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_NO_SOURCE);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_no_source_stale(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	treg_evidence_cleanup(&v.ev[0]);
	v.nev = 0;

	rc = judge(&v, 152);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_STALE);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_NO_SOURCE) |
	    TREG_STATE_BIT(TREG_STATE_STALE));
	assert_true(has_reason(&v, "no public source to check"));
	assert_true(has_reason(&v, "152 days ago"));
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_dead_fetch_failed(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].error = strdup("timeout");
	v.ev[0].detail = strdup("no answer in 30 s");
	v.ev[0].status = 0;
	v.ev[0].failures = 1;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_DEAD);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_DEAD));
	assert_int_equal(v.nreasons, 1);
	assert_string_equal(v.reasons[0], "https://trustcenter.cohere.com/: "
	    "fetch failed: timeout (no answer in 30 s), 1 consecutive failure");
	treg_verdict_cleanup(&v);
}

/* A source failing since nine days after verification, failures times,
 * not yet dead (3 failures over 48 hours make it dead). */
static void
cell_failing(struct treg_verdict *v, uint32_t failures)
{
	cell_init(v, 0);
	v->ev[0].error = strdup("timeout");
	v->ev[0].status = 0;
	v->ev[0].failures = failures;
	v->ev[0].damped = 1;
	v->ev[0].dead_after = 3;
	v->ev[0].dead_after_hours = 48;
	v->ev[0].first_failure = (int64_t)verified_at() + 9 * DAY;
}

/* A failing source not yet dead says what is missing: more failures,
 * or only time once there are enough. */
static void
test_verdict_judge_failing_says_what_is_missing(void **state)
{
	struct treg_verdict v;

	cell_failing(&v, 2);
	assert_int_equal(judge(&v, 10), 0);
	assert_int_equal(v.state, TREG_STATE_UNVERIFIABLE);
	assert_true(has_reason(&v, ", failing 2/3 since 2026-07-14"));
	treg_verdict_cleanup(&v);

	cell_failing(&v, 6);
	assert_int_equal(judge(&v, 10), 0);
	assert_int_equal(v.state, TREG_STATE_UNVERIFIABLE);
	assert_true(has_reason(&v, ", failing since 2026-07-14: 6 failures, "
	    "dead once they span 48 hours"));
	treg_verdict_cleanup(&v);
}

/* An observation dated after the judgement (a run with a later --now)
 * is pointed out in the cell's notes; one of the same day is not. */
static void
test_verdict_judge_observation_from_the_future_noted(void **state)
{
	struct treg_verdict v;
	size_t i;
	int noted = 0;

	cell_init(&v, 0);
	v.ev[0].at = (int64_t)verified_at() + 12 * DAY;
	assert_int_equal(judge(&v, 10), 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	for (i = 0; i < v.ninfo; i++)
		noted |= strstr(v.info[i], "the latest observation, of "
		    "2026-07-17, is dated after this judgement (2026-07-15)") !=
		    NULL;
	assert_true(noted);
	treg_verdict_cleanup(&v);

	cell_init(&v, 0);
	v.ev[0].at = (int64_t)verified_at() + 10 * DAY;
	assert_int_equal(judge(&v, 10), 0);
	assert_int_equal(v.ninfo, 0);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_dead_http_404(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].status = 404;
	v.ev[0].failures = 3;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_DEAD);
	assert_string_equal(v.reasons[0], "https://trustcenter.cohere.com/: "
	    "HTTP 404, 3 consecutive failures");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_http_403_unverifiable_not_dead(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].status = 403;
	v.ev[0].unverifiable = 1;
	v.ev[0].detail = strdup("bot challenge");
	v.ev[0].digest[0] = '\0';

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_UNVERIFIABLE);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_UNVERIFIABLE));
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_moved(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].moved = 1;
	v.ev[0].final_url = strdup("https://cohere.com/trust");

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_MOVED);
	assert_string_equal(v.reasons[0], "https://trustcenter.cohere.com/: "
	    "permanently redirected to https://cohere.com/trust");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_quote_missing(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].quotes[1] = TREG_QUOTE_MISSING;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_QUOTE_MISSING);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_QUOTE_MISSING));
	assert_string_equal(v.reasons[0], "https://trustcenter.cohere.com/: "
	    "quotation 2 not found: "
	    "\"does not cover Cohere hosted products\"");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_quote_missing_long_truncated(void **state)
{
	char quote[201];
	struct treg_verdict v;
	const char *open;
	int rc;

	cell_init(&v, 0);
	memset(quote, 'q', 200);
	quote[200] = '\0';
	free(v.quotes[0]);
	v.quotes[0] = strdup(quote);
	v.ev[0].quotes[0] = TREG_QUOTE_MISSING;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	open = strchr(v.reasons[0], '"');
	assert_non_null(open);
	assert_int_equal(strlen(open), 1 + 80 + 3 + 1);
	assert_string_equal(open + 81, "...\"");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_quote_missing_utf8_cut_whole(void **state)
{
	struct treg_verdict v;
	const char *open;
	int rc;

	cell_init(&v, 0);
	free(v.quotes[0]);
	/* 79 ASCII bytes then "é": byte 80 is inside the two-byte form. */
	v.quotes[0] = strdup("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9 and more");
	v.ev[0].quotes[0] = TREG_QUOTE_MISSING;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	open = strchr(v.reasons[0], '"');
	assert_string_equal(open + 80, "...\"");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_archive_quote_missing_informational(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);
	v.ev[1].quotes[0] = TREG_QUOTE_MISSING;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_FRESH));
	assert_int_equal(v.nreasons, 1);
	assert_true(has_reason(&v, "archived copy https://web.archive.org/"));
	assert_true(has_reason(&v, "quotation 1 not found"));
	treg_verdict_cleanup(&v);
}

static void
changed_case(uint64_t flip, uint32_t words, const char *want)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	fill_digest(v.ev[0].digest, 'b');
	v.ev[0].simhash ^= flip;
	v.ev[0].words = words;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_CHANGED);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_CHANGED));
	assert_int_equal(v.nreasons, 1);
	assert_string_equal(v.reasons[0], want);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_changed_minor_edit(void **state)
{
	changed_case(0x5, 413, "https://trustcenter.cohere.com/: text changed "
	    "since baseline 2026-07-05 (minor edit: fingerprint distance 2, "
	    "412 -> 413 words)");
}

static void
test_verdict_judge_changed_edited(void **state)
{
	changed_case(0x7f, 415, "https://trustcenter.cohere.com/: text changed "
	    "since baseline 2026-07-05 (edited: fingerprint distance 7, "
	    "412 -> 415 words)");
}

static void
test_verdict_judge_changed_rewritten(void **state)
{
	changed_case(0xffffffffULL, 120, "https://trustcenter.cohere.com/: "
	    "text changed since baseline 2026-07-05 (rewritten: fingerprint "
	    "distance 32, 412 -> 120 words)");
}

static void
test_verdict_judge_same_digest_unchanged(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].simhash ^= 0xff;	/* only the digest decides */

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_no_baseline_taken_now(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].has_baseline = 0;
	fill_digest(v.ev[0].baseline_digest, 'c');

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	assert_int_equal(v.nreasons, 0);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_archive_changed(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);
	fill_digest(v.ev[1].digest, 'd');
	v.ev[1].simhash ^= 0x1;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_CHANGED);
	assert_int_equal(v.nreasons, 1);
	assert_true(has_reason(&v, "archived copy changed since 2026-07-05"));
	assert_true(has_reason(&v, "archives must not move"));
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_archive_failed_unverifiable(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);
	v.ev[1].error = strdup("connect");
	v.ev[1].failures = 2;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_UNVERIFIABLE);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_UNVERIFIABLE));
	assert_true(has_reason(&v, "archived copy https://web.archive.org/"));
	assert_true(has_reason(&v,
	    "fetch failed: connect, 2 consecutive failures"));
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_archive_404_unverifiable(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);
	v.ev[1].status = 404;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_UNVERIFIABLE);
	assert_true(has_reason(&v, "HTTP 404"));
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_unverifiable(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].unverifiable = 1;
	v.ev[0].detail = strdup("JavaScript shell, 3 words");
	v.ev[0].digest[0] = '\0';
	v.ev[0].quotes[0] = TREG_QUOTE_UNCHECKED;
	v.ev[0].quotes[1] = TREG_QUOTE_UNCHECKED;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_UNVERIFIABLE);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_UNVERIFIABLE));
	assert_string_equal(v.reasons[0], "https://trustcenter.cohere.com/: "
	    "no usable text (JavaScript shell, 3 words)");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_not_fetched(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	v.ev[0].fetched = 0;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_UNVERIFIABLE);
	assert_string_equal(v.reasons[0],
	    "https://trustcenter.cohere.com/: not fetched yet");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_stale(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);

	rc = judge(&v, 152);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_STALE);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_STALE));
	assert_string_equal(v.reasons[0],
	    "verified 2026-07-05, 152 days ago (review after 90 days)");
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_stale_boundary_not_stale(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);

	rc = judge(&v, 90);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	treg_verdict_cleanup(&v);

	/* A second later it is stale, and the reason does not read as if
	 * the limit had not been passed. */
	cell_init(&v, 0);
	rc = treg_verdict_judge(&v, verified_at(),
	    verified_at() + 90 * DAY + 1, &policy);
	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_STALE);
	assert_true(has_reason(&v, "verified 2026-07-05, more than 90 days "
	    "ago (review after 90 days)"));
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_fresh(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_FRESH));
	assert_int_equal(v.nreasons, 0);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_precedence_most_urgent(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);
	v.ev[0].moved = 1;
	v.ev[0].final_url = strdup("https://cohere.com/trust");
	v.ev[0].quotes[0] = TREG_QUOTE_MISSING;
	fill_digest(v.ev[0].digest, 'e');
	v.ev[1].error = strdup("timeout");

	rc = judge(&v, 200);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_MOVED);
	assert_int_equal(v.flags, TREG_STATE_BIT(TREG_STATE_MOVED) |
	    TREG_STATE_BIT(TREG_STATE_QUOTE_MISSING) |
	    TREG_STATE_BIT(TREG_STATE_CHANGED) |
	    TREG_STATE_BIT(TREG_STATE_UNVERIFIABLE) |
	    TREG_STATE_BIT(TREG_STATE_STALE));
	assert_int_equal(v.nreasons, 5);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_precedence_dead_first(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 1);
	v.ev[1].role = TREG_ROLE_SOURCE;
	v.ev[0].moved = 1;
	v.ev[1].status = 410;

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_DEAD);
	assert_true(v.flags & TREG_STATE_BIT(TREG_STATE_MOVED));
	assert_true(has_reason(&v, "an unnamed location"));
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_again_replaces_reasons(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);
	assert_int_equal(judge(&v, 152), 0);

	rc = judge(&v, 10);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	assert_int_equal(v.nreasons, 0);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_judge_no_policy_never_stale(void **state)
{
	struct treg_verdict v;
	int rc;

	cell_init(&v, 0);

	rc = treg_verdict_judge(&v, verified_at(),
	    verified_at() + 1000 * DAY, NULL);

	assert_int_equal(rc, 0);
	assert_int_equal(v.state, TREG_STATE_FRESH);
	treg_verdict_cleanup(&v);
}

static void
test_verdict_needs_attention_by_state(void **state)
{
	struct treg_verdict v;
	int want[TREG_NSTATES] = { 1, 1, 1, 1, 1, 1, 0, 0 };
	int i;

	memset(&v, 0, sizeof(v));

	for (i = 0; i < TREG_NSTATES; i++) {
		v.state = (enum treg_state)i;
		assert_int_equal(treg_verdict_needs_attention(&v), want[i]);
	}
}

static void
test_state_parse_round_trip(void **state)
{
	enum treg_state st;
	int i;

	for (i = 0; i < TREG_NSTATES; i++) {
		assert_int_equal(treg_state_parse(
		    treg_state_name((enum treg_state)i), &st), 0);
		assert_int_equal(st, i);
	}
	assert_string_equal(treg_state_name(TREG_STATE_QUOTE_MISSING),
	    "quote-missing");
	assert_string_equal(treg_state_name(TREG_STATE_NO_SOURCE),
	    "no-source");
}

static void
test_state_parse_unknown(void **state)
{
	enum treg_state st = TREG_STATE_FRESH;

	assert_int_equal(treg_state_parse("asleep", &st), -EINVAL);
	assert_int_equal(treg_state_parse(NULL, &st), -EINVAL);
	assert_int_equal(st, TREG_STATE_FRESH);
	assert_string_equal(treg_state_name(TREG_NSTATES), "unknown");
}

static void
test_verdict_cleanup_null(void **state)
{
	treg_verdict_cleanup(NULL);
}

/* A stored verdict against the registry's cell now: each of the date,
 * source, archived copy (as fetched) and quotations that changed is
 * named; none, no note. */
static void
test_verdict_note_registry(void **state)
{
	static char *const quotes[] = { "we never train on your data" };
	static char *const other[] = { "we may train on your data" };
	struct treg_cell_now now = { "2026-07-05", "https://a.test/p",
	    "https://web.archive.org/web/1/https://a.test/p",
	    "https://web.archive.org/web/1id_/https://a.test/p", quotes, 1 };
	struct treg_evidence ev[2];
	struct treg_verdict v;

	memset(&v, 0, sizeof(v));
	memset(ev, 0, sizeof(ev));
	v.verified = strdup("2026-07-05");
	v.quotes = calloc(1, sizeof(*v.quotes));
	assert_non_null(v.quotes);
	v.quotes[0] = strdup(quotes[0]);
	v.nquotes = 1;
	ev[0].role = TREG_ROLE_SOURCE;
	ev[0].url = strdup("https://a.test/p");
	ev[1].role = TREG_ROLE_ARCHIVE;
	ev[1].url = strdup("https://web.archive.org/web/1id_/https://a.test/p");
	ev[1].fetch_url = strdup(now.archived_fetch);
	v.ev = malloc(sizeof(ev));
	assert_non_null(v.ev);
	memcpy(v.ev, ev, sizeof(ev));
	v.nev = 2;

	/* The archived copy cited in another form of the same capture. */
	assert_int_equal(treg_verdict_note_registry(&v, &now), 0);
	assert_int_equal(v.ninfo, 0);
	now.source = "https://b.test/q";
	now.archived = NULL;
	now.archived_fetch = NULL;
	assert_int_equal(treg_verdict_note_registry(&v, &now), 0);
	assert_int_equal(v.ninfo, 1);
	assert_string_equal(v.info[0], "the registry has changed this cell "
	    "since this verdict (source https://b.test/q, archived copy "
	    "none), which stands until the cell is judged again");
	now.source = "https://a.test/p";
	now.archived_fetch = ev[1].fetch_url;
	now.verified = NULL;
	now.quotes = other;
	assert_int_equal(treg_verdict_note_registry(&v, &now), 0);
	assert_string_equal(v.info[1], "the registry has changed this cell "
	    "since this verdict (verified never, quotations), which stands "
	    "until the cell is judged again");
	treg_verdict_cleanup(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_judge_no_source),
		cmocka_unit_test(test_verdict_judge_no_source_archive_only),
		cmocka_unit_test(test_verdict_judge_no_source_stale),
		cmocka_unit_test(test_verdict_judge_dead_fetch_failed),
		cmocka_unit_test(
		    test_verdict_judge_failing_says_what_is_missing),
		cmocka_unit_test(
		    test_verdict_judge_observation_from_the_future_noted),
		cmocka_unit_test(test_verdict_judge_dead_http_404),
		cmocka_unit_test(
		    test_verdict_judge_http_403_unverifiable_not_dead),
		cmocka_unit_test(test_verdict_judge_moved),
		cmocka_unit_test(test_verdict_judge_quote_missing),
		cmocka_unit_test(
		    test_verdict_judge_quote_missing_long_truncated),
		cmocka_unit_test(
		    test_verdict_judge_quote_missing_utf8_cut_whole),
		cmocka_unit_test(
		    test_verdict_judge_archive_quote_missing_informational),
		cmocka_unit_test(test_verdict_judge_changed_minor_edit),
		cmocka_unit_test(test_verdict_judge_changed_edited),
		cmocka_unit_test(test_verdict_judge_changed_rewritten),
		cmocka_unit_test(test_verdict_judge_same_digest_unchanged),
		cmocka_unit_test(test_verdict_judge_no_baseline_taken_now),
		cmocka_unit_test(test_verdict_judge_archive_changed),
		cmocka_unit_test(
		    test_verdict_judge_archive_failed_unverifiable),
		cmocka_unit_test(test_verdict_judge_archive_404_unverifiable),
		cmocka_unit_test(test_verdict_judge_unverifiable),
		cmocka_unit_test(test_verdict_judge_not_fetched),
		cmocka_unit_test(test_verdict_judge_stale),
		cmocka_unit_test(test_verdict_judge_stale_boundary_not_stale),
		cmocka_unit_test(test_verdict_judge_fresh),
		cmocka_unit_test(test_verdict_judge_precedence_most_urgent),
		cmocka_unit_test(test_verdict_judge_precedence_dead_first),
		cmocka_unit_test(test_verdict_judge_again_replaces_reasons),
		cmocka_unit_test(test_verdict_judge_no_policy_never_stale),
		cmocka_unit_test(test_verdict_needs_attention_by_state),
		cmocka_unit_test(test_state_parse_round_trip),
		cmocka_unit_test(test_state_parse_unknown),
		cmocka_unit_test(test_verdict_cleanup_null),
		cmocka_unit_test(test_verdict_note_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
