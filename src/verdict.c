/* SPDX-License-Identifier: MIT */
/*
 * Verdicts.  Every rule of the review policy that applies to a cell sets
 * its bit in the flags and adds a sentence to the reasons, so a report
 * can say everything that is wrong at once; the state is the most urgent
 * of the flags.  Pure logic: no I/O and no clock, the caller passes now.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "verdict.h"

/*
 * A reason quotes server strings (error details, redirect targets), so
 * each is capped; a longer one is cut rather than refused.
 */
#define REASON_MAX	1024

/* Quotations are shown up to this many bytes, then "...". */
#define QUOTE_SHOW	80

/* Simhash distances up to these are a minor edit, an edit; beyond, a
 * rewrite.  A one-word change moves a few bits, a new page about 32. */
#define DIST_MINOR	3
#define DIST_EDITED	10

#define DAY_SECONDS	86400

static const char *const state_names[TREG_NSTATES] = {
	[TREG_STATE_DEAD] = "dead",
	[TREG_STATE_MOVED] = "moved",
	[TREG_STATE_QUOTE_MISSING] = "quote-missing",
	[TREG_STATE_CHANGED] = "changed",
	[TREG_STATE_UNVERIFIABLE] = "unverifiable",
	[TREG_STATE_STALE] = "stale",
	[TREG_STATE_NO_SOURCE] = "no-source",
	[TREG_STATE_FRESH] = "fresh",
};

const char *
treg_state_name(enum treg_state state)
{
	if ((unsigned)state >= TREG_NSTATES)
		return "unknown";
	return state_names[state];
}

int
treg_state_parse(const char *name, enum treg_state *state)
{
	int i;

	if (name == NULL)
		return -EINVAL;

	for (i = 0; i < TREG_NSTATES; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*state = (enum treg_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Length of s cut to at most max bytes without splitting a UTF-8
 * sequence, so a shortened string stays as valid as it was. */
static size_t
verdict_cut(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Appends one formatted line, cut to REASON_MAX, to a list of lines. */
static int
verdict_vpush(char ***listp, size_t *np, const char *fmt, va_list ap)
{
	char line[REASON_MAX + 1];
	char **list;
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return -EINVAL;
	line[verdict_cut(line, REASON_MAX)] = '\0';

	list = realloc(*listp, (*np + 1) * sizeof(*list));
	if (list == NULL)
		return -ENOMEM;
	*listp = list;
	list[*np] = strdup(line);
	if (list[*np] == NULL)
		return -ENOMEM;
	(*np)++;
	return 0;
}

static void
verdict_free_lines(char ***listp, size_t *np)
{
	size_t i;

	for (i = 0; i < *np; i++)
		free((*listp)[i]);
	free(*listp);
	*listp = NULL;
	*np = 0;
}

static int
verdict_add_reason(struct treg_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
verdict_add_reason(struct treg_verdict *v, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verdict_vpush(&v->reasons, &v->nreasons, fmt, ap);
	va_end(ap);
	return rc;
}

static void
verdict_free_reasons(struct treg_verdict *v)
{
	verdict_free_lines(&v->reasons, &v->nreasons);
	verdict_free_lines(&v->info, &v->ninfo);
}

/* Page-level information: listed with the cell, flags nothing. */
static int
verdict_add_info(struct treg_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
verdict_add_info(struct treg_verdict *v, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verdict_vpush(&v->info, &v->ninfo, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *
verdict_url(const struct treg_evidence *e)
{
	return e->url != NULL ? e->url : "(no URL)";
}

/* "YYYY-MM-DD" of t in UTC, or "an unknown date". */
static void
verdict_date(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d", &tm) == 0)
		snprintf(out, size, "an unknown date");
}

static const char *
verdict_plural(unsigned long n)
{
	return n == 1 ? "" : "s";
}

static const char *
verdict_size_word(int distance)
{
	if (distance <= DIST_MINOR)
		return "minor edit";
	if (distance <= DIST_EDITED)
		return "edited";
	return "rewritten";
}

/*
 * A failed fetch: an error, or an HTTP error status with a page that was
 * not judged unverifiable (a 403 bot wall is unverifiable, not gone).  A
 * failing source is dead.  An archive failure only makes the cell
 * unverifiable: the source may well be fine, but the baseline cannot be
 * confirmed.  Returns 1 when e failed, 0 when not, or -ENOMEM.
 */
static int
verdict_failed(struct treg_verdict *v, const struct treg_evidence *e)
{
	enum treg_state st = e->role == TREG_ROLE_ARCHIVE ?
	    TREG_STATE_UNVERIFIABLE : TREG_STATE_DEAD;
	const char *what = e->role == TREG_ROLE_ARCHIVE ?
	    "archived copy " : "";
	char why[REASON_MAX + 1];
	char count[128] = "", date[32];
	int rc;

	if (e->error != NULL)
		snprintf(why, sizeof(why), "fetch failed: %s%s%s%s",
		    e->error, e->detail != NULL ? " (" : "",
		    e->detail != NULL ? e->detail : "",
		    e->detail != NULL ? ")" : "");
	else if (e->status >= 400 && !e->unverifiable)
		snprintf(why, sizeof(why), "HTTP %ld", e->status);
	else
		return 0;

	/* A refusal we obey (robots.txt, a server's pause) says nothing
	 * about the page; a failure not yet repeated long enough is only
	 * "failing" (flap damping). */
	if (e->error != NULL && (strcmp(e->error, "disallowed-by-robots") ==
	    0 || strcmp(e->error, "rate-limited") == 0)) {
		st = TREG_STATE_UNVERIFIABLE;
		snprintf(why, sizeof(why), "not fetched: %s%s%s%s", e->error,
		    e->detail != NULL ? " (" : "",
		    e->detail != NULL ? e->detail : "",
		    e->detail != NULL ? ")" : "");
	} else if (e->damped && e->role == TREG_ROLE_SOURCE) {
		st = TREG_STATE_UNVERIFIABLE;
		verdict_date(e->first_failure, date, sizeof(date));
		/* Past the count, only the time is missing: "6/3" read as a
		 * count that had gone wrong. */
		if (e->failures < e->dead_after)
			snprintf(count, sizeof(count), ", failing %lu/%lu "
			    "since %s", (unsigned long)e->failures,
			    (unsigned long)e->dead_after, date);
		else
			snprintf(count, sizeof(count), ", failing since %s: "
			    "%lu failures, dead once they span %lu hours",
			    date, (unsigned long)e->failures,
			    (unsigned long)e->dead_after_hours);
	} else if (e->failures > 0) {
		snprintf(count, sizeof(count), ", %lu consecutive failure%s",
		    (unsigned long)e->failures,
		    verdict_plural(e->failures));
	}

	rc = verdict_add_reason(v, "%s%s: %s%s", what, verdict_url(e), why,
	    count);
	if (rc < 0)
		return rc;

	v->flags |= TREG_STATE_BIT(st);
	return 1;
}

/*
 * A source judged on the cell's own region: a change inside it is the
 * cell's change; a change elsewhere on the page is listed as information
 * so that one edited paragraph of a page cited by many cells flags only
 * the cells that rely on it.
 */
static int
verdict_region_changed(struct treg_verdict *v, const struct treg_evidence *e)
{
	const char *what = e->region_whole ? "text" : "the cell's evidence";
	const char *since = e->baseline_archived ?
	    "the archived copy of" : "baseline";
	char date[32];
	int dist;
	int rc = 0;

	if (!e->has_baseline)
		return 0;
	verdict_date(e->baseline_at, date, sizeof(date));
	if (strcmp(e->region_digest, e->baseline_region_digest) != 0) {
		dist = treg_simhash_distance(e->region_simhash,
		    e->baseline_region_simhash);
		rc = verdict_add_reason(v, "%s: %s changed since %s %s (%s: "
		    "fingerprint distance %d, %" PRIu32 " -> %" PRIu32
		    " words)", verdict_url(e), what, since, date,
		    verdict_size_word(dist), dist,
		    e->baseline_region_words, e->region_words);
		v->flags |= TREG_STATE_BIT(TREG_STATE_CHANGED);
		return rc;
	}
	if (e->page_changed || e->chrome_changed)
		rc = verdict_add_info(v, "%s: page changed outside this "
		    "cell's evidence since %s: %s", verdict_url(e), date,
		    e->page_note != NULL ? e->page_note :
		    e->chrome_changed ? "navigation, header or footer" :
		    "other passages");
	return rc;
}

/*
 * The text differs from the baseline.  For a source that is the change a
 * maintainer reviews; an archived copy must never change, so there the
 * reason says so.
 */
static int
verdict_changed(struct treg_verdict *v, const struct treg_evidence *e)
{
	char date[32];
	int dist;
	int rc;

	if (e->role == TREG_ROLE_SOURCE && e->has_region)
		return verdict_region_changed(v, e);
	if (!e->has_baseline || e->digest[0] == '\0' ||
	    strcmp(e->digest, e->baseline_digest) == 0)
		return 0;

	verdict_date(e->baseline_at, date, sizeof(date));
	dist = treg_simhash_distance(e->simhash, e->baseline_simhash);

	if (e->role == TREG_ROLE_ARCHIVE)
		rc = verdict_add_reason(v, "%s: archived copy changed since "
		    "%s (%s: fingerprint distance %d, %" PRIu32 " -> %"
		    PRIu32 " words): archives must not move",
		    verdict_url(e), date, verdict_size_word(dist), dist,
		    e->baseline_words, e->words);
	else
		rc = verdict_add_reason(v, "%s: text changed since baseline "
		    "%s (%s: fingerprint distance %d, %" PRIu32 " -> %"
		    PRIu32 " words)", verdict_url(e), date,
		    verdict_size_word(dist), dist, e->baseline_words,
		    e->words);
	if (rc < 0)
		return rc;

	v->flags |= TREG_STATE_BIT(TREG_STATE_CHANGED);
	return 0;
}

/*
 * Quotations missing from a source make the cell quote-missing.  From an
 * archived copy they are only mentioned: the copy is checked for change
 * on its own, and a quotation it never held is not news.
 */
static int
verdict_quotes(struct treg_verdict *v, const struct treg_evidence *e)
{
	const char *q;
	size_t i, len;
	int rc;

	for (i = 0; i < e->nquotes; i++) {
		if (e->quotes[i] != TREG_QUOTE_MISSING)
			continue;

		q = i < v->nquotes && v->quotes[i] != NULL ?
		    v->quotes[i] : "";
		len = verdict_cut(q, QUOTE_SHOW);
		rc = verdict_add_reason(v, "%s%s: quotation %zu not found: "
		    "\"%.*s%s\"", e->role == TREG_ROLE_ARCHIVE ?
		    "archived copy " : "", verdict_url(e), i + 1,
		    (int)len, q, q[len] != '\0' ? "..." : "");
		if (rc < 0)
			return rc;

		if (e->role == TREG_ROLE_SOURCE)
			v->flags |= TREG_STATE_BIT(TREG_STATE_QUOTE_MISSING);
	}
	return 0;
}

/*
 * One evidence URL.  Never fetched means there is nothing to judge yet,
 * which is not fresh either: the cell is unverifiable until the first
 * fetch.  Without a baseline the caller takes the current observation as
 * the baseline, so there is no change to report on that count.
 */
static int
verdict_evidence(struct treg_verdict *v, const struct treg_evidence *e)
{
	int rc;

	if (!e->fetched) {
		v->flags |= TREG_STATE_BIT(TREG_STATE_UNVERIFIABLE);
		return verdict_add_reason(v, "%s: not fetched yet",
		    verdict_url(e));
	}

	rc = verdict_failed(v, e);
	if (rc != 0)
		return rc < 0 ? rc : 0;

	if (e->moved) {
		v->flags |= TREG_STATE_BIT(TREG_STATE_MOVED);
		rc = verdict_add_reason(v, "%s: permanently redirected to %s",
		    verdict_url(e), e->final_url != NULL ? e->final_url :
		    "an unnamed location");
		if (rc < 0)
			return rc;
	}

	if (e->unverifiable) {
		v->flags |= TREG_STATE_BIT(TREG_STATE_UNVERIFIABLE);
		rc = verdict_add_reason(v, "%s: no usable text%s%s%s",
		    verdict_url(e), e->detail != NULL ? " (" : "",
		    e->detail != NULL ? e->detail : "",
		    e->detail != NULL ? ")" : "");
		if (rc < 0)
			return rc;
	} else {
		rc = verdict_changed(v, e);
		if (rc < 0)
			return rc;
	}

	return verdict_quotes(v, e);
}

static int
verdict_stale(struct treg_verdict *v, time_t verified_at, time_t now,
    const struct treg_policy *policy)
{
	char date[32];
	int64_t age;

	if (policy == NULL || policy->review_after_days <= 0)
		return 0;

	age = (int64_t)now - (int64_t)verified_at;
	if (age <= (int64_t)policy->review_after_days * DAY_SECONDS)
		return 0;

	if (v->verified != NULL)
		snprintf(date, sizeof(date), "%s", v->verified);
	else
		verdict_date(verified_at, date, sizeof(date));

	/* On the first day past the limit the whole days are the limit
	 * itself: "90 days ago (review after 90 days)" read as a bug. */
	v->flags |= TREG_STATE_BIT(TREG_STATE_STALE);
	return verdict_add_reason(v, "verified %s, %s%" PRId64 " days ago "
	    "(review after %ld days)", date, age / DAY_SECONDS ==
	    policy->review_after_days ? "more than " : "", age / DAY_SECONDS,
	    policy->review_after_days);
}

/*
 * An observation dated after the judgement: a run with a later --now
 * wrote it into this store, and it counts as the URL's latest until the
 * clock passes it, whatever runs in between fetch (a newcomer's future
 * --now left a page "quote-missing" after it was put back).  Said where
 * the surprise shows, in the cell's notes.
 */
#define VERDICT_CLOCK_SLACK	3600	/* s: clocks and runs drift */

static int
verdict_from_the_future(struct treg_verdict *v, const struct treg_evidence *e,
    time_t now)
{
	char when[32], today[32];

	if (!e->fetched || e->at <= (int64_t)now + VERDICT_CLOCK_SLACK)
		return 0;
	verdict_date(e->at, when, sizeof(when));
	verdict_date((int64_t)now, today, sizeof(today));
	return verdict_add_info(v, "%s: the latest observation, of %s, is "
	    "dated after this judgement (%s): a run with a later --now "
	    "stored it, and it stays the latest until then", verdict_url(e),
	    when, today);
}

int
treg_verdict_judge(struct treg_verdict *v, time_t verified_at, time_t now,
    const struct treg_policy *policy)
{
	int has_source = 0;
	size_t i;
	int rc;

	/* Judging again replaces the previous verdict. */
	verdict_free_reasons(v);
	v->flags = 0;

	for (i = 0; i < v->nev; i++) {
		if (v->ev[i].role == TREG_ROLE_SOURCE)
			has_source = 1;
	}
	if (!has_source) {
		v->flags |= TREG_STATE_BIT(TREG_STATE_NO_SOURCE);
		rc = verdict_add_reason(v, "no public source to check");
		if (rc < 0)
			goto out;
	}

	for (i = 0; i < v->nev; i++) {
		rc = verdict_evidence(v, &v->ev[i]);
		if (rc == 0)
			rc = verdict_from_the_future(v, &v->ev[i], now);
		if (rc < 0)
			goto out;
	}

	rc = verdict_stale(v, verified_at, now, policy);
	if (rc < 0)
		goto out;

	if (v->flags == 0)
		v->flags = TREG_STATE_BIT(TREG_STATE_FRESH);
	rc = 0;

out:
	/* The lowest bit is the most urgent state; on failure the flags
	 * gathered so far still name one. */
	v->state = TREG_STATE_FRESH;
	for (i = 0; i < TREG_NSTATES; i++) {
		if (v->flags & TREG_STATE_BIT(i)) {
			v->state = (enum treg_state)i;
			break;
		}
	}
	return rc;
}

int
treg_verdict_needs_attention(const struct treg_verdict *v)
{
	return v->state != TREG_STATE_FRESH &&
	    v->state != TREG_STATE_NO_SOURCE;
}

void
treg_evidence_cleanup(struct treg_evidence *ev)
{
	size_t i;

	free(ev->url);
	free(ev->fetch_url);
	free(ev->error);
	free(ev->detail);
	free(ev->final_url);
	free(ev->quotes);
	free(ev->page_note);
	free(ev->reason);
	free(ev->chain);
	for (i = 0; i < ev->ndiff; i++)
		treg_diff_hunk_cleanup(&ev->diff[i]);
	free(ev->diff);
	memset(ev, 0, sizeof(*ev));
}

void
treg_verdict_cleanup(struct treg_verdict *v)
{
	size_t i;

	if (v == NULL)
		return;

	free(v->offering);
	free(v->cell);
	free(v->verified);
	verdict_free_reasons(v);
	for (i = 0; i < v->nquotes; i++)
		free(v->quotes[i]);
	free(v->quotes);
	for (i = 0; i < v->nev; i++)
		treg_evidence_cleanup(&v->ev[i]);
	free(v->ev);
	memset(v, 0, sizeof(*v));
}

/* v's evidence in role, or NULL. */
static const struct treg_evidence *
verdict_role(const struct treg_verdict *v, enum treg_role role)
{
	size_t i;

	for (i = 0; i < v->nev; i++)
		if (v->ev[i].role == role)
			return &v->ev[i];
	return NULL;
}

static int
verdict_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static int
verdict_quotes_differ(const struct treg_verdict *v,
    const struct treg_cell_now *now)
{
	size_t i;

	if (v->nquotes != now->nquotes)
		return 1;
	for (i = 0; i < v->nquotes; i++)
		if (verdict_differs(v->quotes[i], now->quotes[i]))
			return 1;
	return 0;
}

int
treg_verdict_note_registry(struct treg_verdict *v,
    const struct treg_cell_now *now)
{
	const struct treg_evidence *src, *arch;
	struct treg_buf b;
	int rc = 0, any = 0;

	src = verdict_role(v, TREG_ROLE_SOURCE);
	arch = verdict_role(v, TREG_ROLE_ARCHIVE);
	treg_buf_init(&b, 0);
	if (verdict_differs(v->verified, now->verified)) {
		rc = treg_buf_printf(&b, "verified %s", now->verified != NULL ?
		    now->verified : "never");
		any = 1;
	}
	if (rc == 0 && verdict_differs(src != NULL ? src->url : NULL,
	    now->source)) {
		rc = treg_buf_printf(&b, "%ssource %s", any ? ", " : "",
		    now->source != NULL ? now->source : "none");
		any = 1;
	}
	if (rc == 0 && verdict_differs(arch != NULL ? arch->fetch_url :
	    NULL, now->archived_fetch)) {
		rc = treg_buf_printf(&b, "%sarchived copy %s", any ? ", " : "",
		    now->archived != NULL ? now->archived : "none");
		any = 1;
	}
	if (rc == 0 && verdict_quotes_differ(v, now)) {
		rc = treg_buf_printf(&b, "%squotations", any ? ", " : "");
		any = 1;
	}
	if (rc == 0 && any)
		rc = verdict_add_info(v, "the registry has changed this cell "
		    "since this verdict (%s), which stands until the cell is "
		    "judged again", b.data);
	treg_buf_cleanup(&b);
	return rc;
}

int
treg_verdict_damped(uint32_t failures, int64_t first_failure, time_t now,
    long dead_after, long dead_after_hours)
{
	if (failures == 0 || dead_after <= 1)
		return 0;
	if ((long)failures < dead_after)
		return 1;
	return first_failure > 0 && dead_after_hours > 0 &&
	    (int64_t)now - first_failure < (int64_t)dead_after_hours * 3600;
}
