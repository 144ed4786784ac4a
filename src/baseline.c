/* SPDX-License-Identifier: MIT */
/*
 * Cell baselines.  A baseline record ("base/OFFERING/CELL" in the store's
 * auxiliary records) names the page text a cell's source is compared
 * with, by digest, and the verified date it belongs to; a different
 * verified date in the registry makes a new one.  Regions are computed
 * from stored texts at judge time, which is cheap, so only digests are
 * kept.  Records are one line of text so that --show can print them.
 */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "baseline.h"
#include "diff.h"
#include "digest.h"
#include "extract.h"
#include "fetch.h"
#include "log.h"
#include "region.h"
#include "registry.h"
#include "store.h"

/* Baseline records: 1 had no rules field, 2 no evidence field. */
#define BASELINE_RECORD_VERSION	3
#define BASELINE_SEL_MAX	16	/* selectors kept per raw record */
#define BASELINE_KEY_MAX	400
#define BASELINE_NOTE_MAX	240

/* What a cell's source is compared with. */
struct baseline {
	char	 verified[16];
	int	 archived;	/* from the archived copy */
	int64_t	 at;
	char	 digest[TREG_SHA256_HEXLEN + 1];
	uint64_t simhash;
	uint32_t words;
	char	 chrome[TREG_SHA256_HEXLEN + 1];	/* "" if unknown */
	unsigned rules;         /* extraction rules of digest and chrome */
	/* baseline_evidence() of the cell it was taken for; 0 in records
	 * made before it was kept. */
	uint64_t evidence;
};

/* A text as the current extraction rules make it. */
struct baseline_text {
	char	 digest[TREG_SHA256_HEXLEN + 1];
	uint64_t simhash;
	uint32_t words;
	char	 chrome[TREG_SHA256_HEXLEN + 1];	/* "" if none */
};

unsigned
treg_baseline_rules_version(void)
{
	const char *s = getenv("TREG_TEST_RULES_VERSION");
	long v;
	char *end;

	if (s == NULL || *s == '\0')
		return TREG_EXTRACT_RULES_VERSION;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 127)
		return TREG_EXTRACT_RULES_VERSION;
	return (unsigned)v;
}

/* Records written before rules versions existed were made by version 1. */
static unsigned
baseline_rules_of(unsigned rules)
{
	return rules == 0 ? 1 : rules;
}

/* Appends the selectors as "a,b,c", or "-" when there are none. */
static int
baseline_put_sels(FILE *f, const char *const *sels, size_t n)
{
	size_t i;

	if (n == 0)
		return fputs("-", f) < 0 ? -EIO : 0;
	for (i = 0; i < n && i < BASELINE_SEL_MAX; i++)
		if (fprintf(f, "%s%s", i > 0 ? "," : "", sels[i]) < 0)
			return -EIO;
	return 0;
}

int
treg_baseline_note_raw(struct treg_store *st, const char *text_digest,
    const char *body_digest, const char *content_type, size_t max_text,
    const struct treg_extract_select *sel)
{
	char key[BASELINE_KEY_MAX];
	char *data = NULL;
	const char *p;
	size_t len = 0;
	FILE *f;
	int rc;

	snprintf(key, sizeof(key), "raw/%s", text_digest);
	f = open_memstream(&data, &len);
	if (f == NULL)
		return -ENOMEM;
	/* A header value holds no line breaks; a tab would split the
	 * record, so it becomes a space. */
	fprintf(f, "%s\t", body_digest);
	for (p = content_type; p != NULL && *p != '\0'; p++)
		fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, f);
	rc = fprintf(f, "%s\t%zu\t", content_type != NULL &&
	    *content_type != '\0' ? "" : "-", max_text) < 0 ? -EIO : 0;
	if (rc == 0)
		rc = baseline_put_sels(f, sel != NULL ? sel->keep : NULL,
		    sel != NULL ? sel->nkeep : 0);
	if (rc == 0 && fputc('\t', f) == EOF)
		rc = -EIO;
	if (rc == 0)
		rc = baseline_put_sels(f, sel != NULL ? sel->drop : NULL,
		    sel != NULL ? sel->ndrop : 0);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc == 0)
		rc = treg_store_put_aux(st, key, data, len);
	free(data);
	return rc;
}

/* Splits "a,b,c" in place into up to BASELINE_SEL_MAX selectors. */
static size_t
baseline_split_sels(char *s, const char **out)
{
	size_t n = 0;
	char *save = NULL, *tok;

	if (strcmp(s, "-") == 0)
		return 0;
	for (tok = strtok_r(s, ",", &save); tok != NULL &&
	    n < BASELINE_SEL_MAX; tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

/* Extracts body as recorded in the raw record rec (modified). */
static int
baseline_extract_raw(char *rec, const char *body, size_t blen,
    struct treg_extract_result *res)
{
	const char *keep[BASELINE_SEL_MAX], *drop[BASELINE_SEL_MAX];
	struct treg_extract_select sel;
	struct treg_extract *ex;
	char *field[5], *p = rec, *tab;
	size_t nf = 0, max_text = 2 * 1024 * 1024;
	const char *ct = NULL;
	int rc;

	memset(&sel, 0, sizeof(sel));
	p[strcspn(p, "\n")] = '\0';
	field[nf++] = p;
	while (nf < 5 && (tab = strchr(p, '\t')) != NULL) {
		*tab = '\0';
		p = tab + 1;
		field[nf++] = p;
	}
	/* Records from before selectors were kept hold the digest only. */
	if (nf == 5) {
		if (strcmp(field[1], "-") != 0)
			ct = field[1];
		max_text = strtoul(field[2], NULL, 10);
		sel.keep = keep;
		sel.nkeep = baseline_split_sels(field[3], keep);
		sel.drop = drop;
		sel.ndrop = baseline_split_sels(field[4], drop);
	}
	memset(res, 0, sizeof(*res));
	ex = treg_extract_new_with(ct, max_text, &sel);
	if (ex == NULL)
		return -ENOMEM;
	rc = treg_extract_feed(ex, body, blen);
	if (rc == 0)
		rc = treg_extract_finish(ex, res);
	treg_extract_free(ex);
	return rc;
}

/*
 * The text of digest, extracted by rules version rules, as the current
 * rules make it: re-extracted from the raw body kept for it, once (the
 * result is remembered as "rx/VERSION/DIGEST").  Returns 1 when *t was
 * filled, 0 when digest is current or cannot be re-derived, or -errno.
 */
static int
baseline_rederive(struct treg_store *st, const char *digest,
    unsigned rules, struct baseline_text *t)
{
	struct treg_extract_result res;
	char key[BASELINE_KEY_MAX], line[256];
	char body_digest[TREG_SHA256_HEXLEN + 1];
	char *rec = NULL, *body = NULL, *data = NULL;
	size_t len = 0, blen = 0;
	unsigned cur = treg_baseline_rules_version();
	int n, rc;

	memset(t, 0, sizeof(*t));
	memset(&res, 0, sizeof(res));
	if (digest[0] == '\0' || baseline_rules_of(rules) == cur)
		return 0;
	snprintf(key, sizeof(key), "rx/%u/%s", cur, digest);
	if (treg_store_get_aux(st, key, &data, &len) == 0) {
		rc = sscanf(data, "%64s %" SCNx64 " %" SCNu32 " %64s",
		    t->digest, &t->simhash, &t->words, t->chrome) == 4 ?
		    1 : 0;
		free(data);
		if (strcmp(t->chrome, "-") == 0)
			t->chrome[0] = '\0';
		return rc;
	}

	/* XXX: a text whose raw body was not kept (over max_body, or
	 * fetched before raw bodies were kept) cannot be re-derived; a
	 * rules change then shows as a change of the cells citing it. */
	snprintf(key, sizeof(key), "raw/%s", digest);
	if (treg_store_get_aux(st, key, &rec, &len) < 0 || len <
	    TREG_SHA256_HEXLEN) {
		rc = 0;
		goto out;
	}
	memcpy(body_digest, rec, TREG_SHA256_HEXLEN);
	body_digest[TREG_SHA256_HEXLEN] = '\0';
	if (treg_store_get_text(st, body_digest, &body, &blen) < 0) {
		rc = 0;
		goto out;
	}
	rc = baseline_extract_raw(rec, body, blen, &res);
	if (rc < 0)
		goto out;
	memcpy(t->digest, res.digest, sizeof(t->digest));
	t->simhash = res.simhash;
	t->words = (uint32_t)res.words;
	if (res.text != NULL)
		rc = treg_store_put_text(st, res.digest, res.text,
		    res.text_len);
	if (rc == 0 && res.boiler_text != NULL && res.boiler_len > 0) {
		memcpy(t->chrome, res.boiler_digest, sizeof(t->chrome));
		rc = treg_store_put_text(st, res.boiler_digest,
		    res.boiler_text, res.boiler_len);
	}
	/* The new text keeps the raw body it came from. */
	if (rc == 0 && strcmp(t->digest, digest) != 0) {
		snprintf(key, sizeof(key), "raw/%s", t->digest);
		free(data);
		data = NULL;
		if (treg_store_get_aux(st, key, &data, &len) == -ENOENT) {
			snprintf(key, sizeof(key), "raw/%s", digest);
			free(rec);
			rec = NULL;
			rc = treg_store_get_aux(st, key, &rec, &len);
			snprintf(key, sizeof(key), "raw/%s", t->digest);
			if (rc == 0)
				rc = treg_store_put_aux(st, key, rec, len);
		}
	}
	if (rc < 0)
		goto out;
	n = snprintf(line, sizeof(line), "%s %016" PRIx64 " %" PRIu32 " %s\n",
	    t->digest, t->simhash, t->words, t->chrome[0] != '\0' ?
	    t->chrome : "-");
	snprintf(key, sizeof(key), "rx/%u/%s", cur, digest);
	rc = treg_store_put_aux(st, key, line, (size_t)n);
	if (rc == 0) {
		log_info("baseline", "digest=%.12s rules=%u re-derived as "
		    "%.12s", digest, baseline_rules_of(rules), t->digest);
		rc = 1;
	}

out:
	treg_extract_result_cleanup(&res);
	free(rec);
	free(body);
	free(data);
	return rc;
}

/* Brings the latest text of ev to the current rules, when it can. */
static int
baseline_current_ev(struct treg_store *st, struct treg_evidence *ev)
{
	struct baseline_text t;
	int rc;

	rc = baseline_rederive(st, ev->digest, ev->rules, &t);
	if (rc <= 0)
		return rc;
	memcpy(ev->digest, t.digest, sizeof(ev->digest));
	ev->simhash = t.simhash;
	ev->words = t.words;
	ev->rules = treg_baseline_rules_version();
	return 0;
}

int
treg_baseline_fill_archive(struct treg_store *st, struct treg_evidence *ev)
{
	struct baseline_text t;
	int rc;

	if (!ev->fetched || ev->digest[0] == '\0' || ev->unverifiable)
		return 0;
	rc = baseline_current_ev(st, ev);
	if (rc < 0 || !ev->has_baseline)
		return rc;
	rc = baseline_rederive(st, ev->baseline_digest, ev->baseline_rules,
	    &t);
	if (rc <= 0)
		return rc;
	memcpy(ev->baseline_digest, t.digest, sizeof(ev->baseline_digest));
	ev->baseline_simhash = t.simhash;
	ev->baseline_words = t.words;
	ev->baseline_rules = treg_baseline_rules_version();
	return 0;
}

int64_t
treg_baseline_capture_time(const char *url)
{
	const char *p;
	struct tm tm;
	int i;

	p = strstr(url, "/web/");
	if (p == NULL)
		return -1;
	p += 5;
	for (i = 0; i < 14; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(p, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static int
baseline_chrome_key(const char *url, char *key, size_t size)
{
	char hex[TREG_SHA256_HEXLEN + 1];
	int rc;

	rc = treg_sha256_hex_of(url, strlen(url), hex);
	if (rc < 0)
		return rc;
	snprintf(key, size, "chrome/%s", hex);
	return 0;
}

/* The chrome digest last seen at url, or "" when none is known. */
static void
baseline_get_chrome(struct treg_store *st, const char *url, char *digest)
{
	char key[BASELINE_KEY_MAX];
	char *data = NULL;
	size_t len = 0;

	digest[0] = '\0';
	if (baseline_chrome_key(url, key, sizeof(key)) < 0)
		return;
	if (treg_store_get_aux(st, key, &data, &len) == 0 &&
	    len == TREG_SHA256_HEXLEN)
		memcpy(digest, data, TREG_SHA256_HEXLEN + 1);
	free(data);
}

int
treg_baseline_note_chrome(struct treg_store *st, const char *url,
    const char *digest, const char *text, size_t len)
{
	char key[BASELINE_KEY_MAX];
	char old[TREG_SHA256_HEXLEN + 1];
	int rc;

	baseline_get_chrome(st, url, old);
	if (strcmp(old, digest) == 0)
		return 0;
	rc = treg_store_put_text(st, digest, text, len);
	if (rc == 0)
		rc = baseline_chrome_key(url, key, sizeof(key));
	if (rc == 0)
		rc = treg_store_put_aux(st, key, digest, strlen(digest));
	return rc;
}

static int
baseline_key(const char *offering, const char *cell, char *key, size_t size)
{
	int n;

	n = snprintf(key, size, "base/%s/%s", offering, cell);
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

/*
 * What a cell's baseline was taken from: its source and archived URLs,
 * hashed (FNV-1a, 64 bits).  A maintainer who points a cell at another
 * page without changing its verified date gets the new page's baseline,
 * not a "change" measured against the old page's text.
 */
static uint64_t
baseline_evidence(const struct treg_cell *cell)
{
	const char *parts[2] = { cell->source, cell->archived };
	uint64_t h = TREG_HASH64_INIT;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (parts[i] != NULL)
			h = treg_hash64(h, parts[i], strlen(parts[i]));
		h = treg_hash64(h, "\n", 1);
	}
	return h != 0 ? h : 1;
}

static int
baseline_load(struct treg_store *st, const char *key, struct baseline *b)
{
	char *data = NULL;
	size_t len = 0;
	int version, n, rc;

	memset(b, 0, sizeof(*b));
	rc = treg_store_get_aux(st, key, &data, &len);
	if (rc < 0)
		return rc;
	n = sscanf(data, "%d %15s %d %" SCNd64 " %64s %" SCNx64 " %" SCNu32
	    " %64s %u %" SCNx64, &version, b->verified, &b->archived, &b->at,
	    b->digest, &b->simhash, &b->words, b->chrome, &b->rules,
	    &b->evidence);
	/* Version 1 records predate rules versions: made by rules 1;
	 * version 2 ones do not say what evidence they were taken from
	 * (evidence 0: baseline_get() finds out). */
	if (n == 8 && version == 1) {
		b->rules = 1;
	} else if (n == 9 && version == 2) {
		b->evidence = 0;
	} else if (n != 10 || version != BASELINE_RECORD_VERSION) {
		rc = -EINVAL;
	}
	if (strlen(b->digest) != TREG_SHA256_HEXLEN)
		rc = -EINVAL;
	if (strcmp(b->chrome, "-") == 0)
		b->chrome[0] = '\0';
	free(data);
	return rc;
}

static int
baseline_save(struct treg_store *st, const char *key,
    const struct baseline *b)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "%d %s %d %" PRId64 " %s %016"
	    PRIx64 " %" PRIu32 " %s %u %016" PRIx64 "\n",
	    BASELINE_RECORD_VERSION, b->verified, b->archived, b->at,
	    b->digest, b->simhash, b->words,
	    b->chrome[0] != '\0' ? b->chrome : "-",
	    baseline_rules_of(b->rules), b->evidence);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	return treg_store_put_aux(st, key, line, (size_t)n);
}

/*
 * The archived copy as the baseline: only when it was captured on the
 * verified date, so it shows the evidence the maintainer saw.  Returns 1
 * when *b was filled, 0 when the archive cannot serve, or -errno.
 */
static int
baseline_from_archive(struct treg_store *st, const struct treg_cell *cell,
    struct baseline *b)
{
	struct treg_observation *all = NULL;
	char *fetch_url = NULL;
	size_t n = 0, i;
	int64_t at;
	int rc = 0;

	if (cell->archived == NULL)
		return 0;
	at = treg_baseline_capture_time(cell->archived);
	if (at < 0 || at / 86400 != (int64_t)cell->verified_at / 86400)
		return 0;
	fetch_url = treg_fetch_raw_archive_url(cell->archived);
	if (fetch_url == NULL)
		return -ENOMEM;
	if (treg_store_list_observations(st, fetch_url, &all, &n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (all[i].digest[0] == '\0' ||
		    (all[i].flags & TREG_OBS_UNVERIFIABLE))
			continue;
		b->archived = 1;
		b->at = at;
		memcpy(b->digest, all[i].digest, sizeof(b->digest));
		b->simhash = all[i].simhash;
		b->words = all[i].words;
		b->rules = baseline_rules_of(all[i].rules);
		baseline_get_chrome(st, fetch_url, b->chrome);
		rc = 1;
		break;
	}

out:
	free(all);
	free(fetch_url);
	return rc;
}

/* Saves b under key; 1 (a baseline is there) or -errno. */
static int
baseline_save_as(struct treg_store *st, const char *key,
    const struct baseline *b)
{
	int rc = baseline_save(st, key, b);

	return rc < 0 ? rc : 1;
}

/*
 * The baseline the cell would take now: the archived copy when captured
 * on the verified date, else the source's first text at or after it.
 * Returns 1 when *b holds one, 0 when none exists yet, or -errno.
 */
static int
baseline_take(struct treg_store *st, const struct treg_cell *cell,
    const struct treg_evidence *ev, struct baseline *b)
{
	int rc;

	memset(b, 0, sizeof(*b));
	snprintf(b->verified, sizeof(b->verified), "%s", cell->verified);
	b->evidence = baseline_evidence(cell);
	rc = baseline_from_archive(st, cell, b);
	if (rc != 0)
		return rc;
	if (!ev->has_baseline)
		return 0;
	b->at = ev->baseline_at;
	memcpy(b->digest, ev->baseline_digest, sizeof(b->digest));
	b->simhash = ev->baseline_simhash;
	b->words = ev->baseline_words;
	b->rules = baseline_rules_of(ev->baseline_rules);
	/* XXX: the chrome recorded is the URL's latest, not the one of the
	 * baseline observation, so a chrome change between the baseline
	 * and the first judgement goes unlisted. */
	baseline_get_chrome(st, ev->fetch_url, b->chrome);
	return 1;
}

/* The cell's baseline: the stored one for this verified date and these
 * pages, or a new one.  Returns 1 when *b holds one, 0 when none exists
 * yet, or -errno. */
static int
baseline_get(struct treg_store *st, const char *offering,
    const struct treg_cell *cell, const struct treg_evidence *ev,
    struct baseline *b)
{
	struct baseline taken;
	char key[BASELINE_KEY_MAX];
	int rc, stored;

	rc = baseline_key(offering, cell->key, key, sizeof(key));
	if (rc < 0)
		return rc;
	stored = baseline_load(st, key, b) == 0 &&
	    strcmp(b->verified, cell->verified) == 0;
	if (stored && b->evidence == baseline_evidence(cell))
		return 1;

	rc = baseline_take(st, cell, ev, &taken);
	if (rc <= 0)
		return rc;
	/* A record from before records named their pages (evidence 0)
	 * stands when it is the baseline these pages give now, first
	 * taken under older rules perhaps; it is then marked as theirs.
	 * A rules upgrade re-derives it either way. */
	if (stored && b->evidence == 0 && b->archived == taken.archived &&
	    b->at == taken.at && (b->rules != taken.rules ||
	    strcmp(b->digest, taken.digest) == 0)) {
		b->evidence = taken.evidence;
		return baseline_save_as(st, key, b);
	}
	*b = taken;
	log_debug("baseline", "cell=%s/%s at=%" PRId64 " archived=%d",
	    offering, cell->key, b->at, b->archived);
	return baseline_save_as(st, key, b);
}

int
treg_baseline_show(struct treg_store *st, const char *key, FILE *out)
{
	struct baseline b;
	char bkey[BASELINE_KEY_MAX], when[32];
	time_t at;
	struct tm tm;
	int n, rc;

	n = snprintf(bkey, sizeof(bkey), "base/%s", key);
	if (n < 0 || (size_t)n >= sizeof(bkey))
		return -EINVAL;
	rc = baseline_load(st, bkey, &b);
	if (rc == -ENOENT || rc == -EINVAL) {
		fputs(rc == -ENOENT ? "  none yet\n" : "  unreadable\n", out);
		return 0;
	}
	if (rc < 0)
		return rc;
	at = (time_t)b.at;
	if (gmtime_r(&at, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%" PRId64, b.at);
	/* An archived copy's time is its capture's, not our fetch's. */
	fprintf(out, "  the %s text as %s %s, for the cell as verified "
	    "%s\n  text sha256 %.12s, %" PRIu32 " words, fingerprint %016"
	    PRIx64 "\n  navigation, header and footer sha256 %.12s; text "
	    "extraction rules version %u\n",
	    b.archived ? "archived copy's" : "page's",
	    b.archived ? "captured" : "fetched", when, b.verified,
	    b.digest, b.words, b.simhash,
	    b.chrome[0] != '\0' ? b.chrome : "unknown",
	    baseline_rules_of(b.rules));
	return 0;
}

/* A baseline made by other extraction rules is re-derived from its raw
 * body and saved, so a rules change is never an evidence change. */
static int
baseline_upgrade(struct treg_store *st, const char *offering,
    const struct treg_cell *cell, struct baseline *b)
{
	struct baseline_text t;
	char key[BASELINE_KEY_MAX];
	int rc;

	rc = baseline_rederive(st, b->digest, b->rules, &t);
	if (rc <= 0)
		return rc;
	memcpy(b->digest, t.digest, sizeof(b->digest));
	b->simhash = t.simhash;
	b->words = t.words;
	if (t.chrome[0] != '\0')
		memcpy(b->chrome, t.chrome, sizeof(b->chrome));
	b->rules = treg_baseline_rules_version();
	rc = baseline_key(offering, cell->key, key, sizeof(key));
	if (rc == 0)
		rc = baseline_save(st, key, b);
	return rc;
}

/* "what: "old" -> "new"" from the first passage of a diff. */
static char *
baseline_note(const char *what, const char *old, size_t olen,
    const char *new, size_t nlen)
{
	struct treg_diff d;
	char *note = NULL;
	int n;

	if (treg_diff_words(old, olen, new, nlen, &d) < 0)
		return NULL;
	if (d.nhunks == 0)
		n = asprintf(&note, "%s", what);
	else
		n = asprintf(&note, "%s: \"%.80s\" -> \"%.80s\"%s", what,
		    d.hunks[0].del, d.hunks[0].ins,
		    d.nhunks + d.more > 1 ? " and more" : "");
	treg_diff_cleanup(&d);
	return n < 0 ? NULL : note;
}

static void
baseline_region_fields(struct treg_evidence *ev, const struct treg_region *cur,
    const struct treg_region *base)
{
	ev->has_region = 1;
	ev->region_whole = base->whole;
	memcpy(ev->region_digest, cur->digest, sizeof(ev->region_digest));
	ev->region_simhash = cur->simhash;
	ev->region_words = cur->words;
	memcpy(ev->baseline_region_digest, base->digest,
	    sizeof(ev->baseline_region_digest));
	ev->baseline_region_simhash = base->simhash;
	ev->baseline_region_words = base->words;
}

static int
baseline_take_diff(struct treg_evidence *ev, const char *cur, size_t clen,
    const char *base, size_t blen)
{
	struct treg_diff d;
	int rc;

	rc = treg_diff_words(base, blen, cur, clen, &d);
	if (rc < 0)
		return rc;
	ev->diff = d.hunks;
	ev->ndiff = d.nhunks;
	ev->diff_more = d.more;
	return 0;
}

/*
 * The note on changes outside the region: the page's other passages and
 * its chrome, each with its first changed words.  Either may be NULL.
 */
static void
baseline_outside(struct treg_store *st, struct treg_evidence *ev,
    const struct baseline *b, const char *btext, size_t blen,
    const char *text, size_t len)
{
	char chrome[TREG_SHA256_HEXLEN + 1];
	char *old = NULL, *new = NULL, *page = NULL, *nav = NULL;
	size_t olen = 0, nlen = 0;

	ev->page_changed = strcmp(ev->digest, b->digest) != 0;
	baseline_get_chrome(st, ev->fetch_url, chrome);
	ev->chrome_changed = b->chrome[0] != '\0' && chrome[0] != '\0' &&
	    strcmp(b->chrome, chrome) != 0;

	if (ev->page_changed)
		page = baseline_note("other passages", btext, blen, text,
		    len);
	if (ev->chrome_changed &&
	    treg_store_get_text(st, b->chrome, &old, &olen) == 0 &&
	    treg_store_get_text(st, chrome, &new, &nlen) == 0)
		nav = baseline_note("navigation, header or footer", old,
		    olen, new, nlen);
	if (page != NULL && nav != NULL) {
		if (asprintf(&ev->page_note, "%s; %s", page, nav) < 0)
			ev->page_note = NULL;
	} else {
		ev->page_note = page != NULL ? page : nav;
		page = nav = NULL;
	}
	free(page);
	free(nav);
	free(old);
	free(new);
}

/*
 * A cell that quotes nothing relies on the whole page, so its region is
 * the page: the digest, fingerprint and word count of the whole text,
 * even where the stored copy was cut at max_text.
 */
static void
baseline_whole(struct treg_region *r, const char *digest, uint64_t simhash,
    uint32_t words)
{
	memset(r, 0, sizeof(*r));
	r->whole = 1;
	memcpy(r->digest, digest, sizeof(r->digest));
	r->simhash = simhash;
	r->words = words;
}

/*
 * The region fields when the current text is the baseline's: the region
 * is the same on both sides, and only the chrome can have changed.
 */
static int
baseline_same_text(struct treg_store *st, struct treg_evidence *ev,
    const struct treg_cell *cell, unsigned context, const struct baseline *b)
{
	struct treg_region r;
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	if (cell->nquotes == 0) {
		baseline_whole(&r, b->digest, b->simhash, b->words);
	} else if (treg_store_get_text(st, ev->digest, &text, &len) < 0) {
		goto out;	/* the page-level comparison stands */
	} else {
		rc = treg_region_compute(text, len, cell->quotes,
		    cell->nquotes, context, &r);
		if (rc < 0)
			goto out;
	}
	baseline_region_fields(ev, &r, &r);
	baseline_outside(st, ev, b, NULL, 0, NULL, 0);

out:
	treg_region_cleanup(&r);
	free(text);
	return rc;
}

int
treg_baseline_fill(struct treg_store *st, const char *offering,
    const struct treg_cell *cell, unsigned context, struct treg_evidence *ev)
{
	struct treg_region cur, base;
	struct baseline b;
	char *text = NULL, *btext = NULL;
	size_t len = 0, blen = 0;
	int rc;

	memset(&cur, 0, sizeof(cur));
	memset(&base, 0, sizeof(base));
	if (!ev->fetched || ev->digest[0] == '\0' || ev->unverifiable)
		return 0;
	rc = baseline_current_ev(st, ev);
	if (rc == 0)
		rc = baseline_get(st, offering, cell, ev, &b);
	if (rc <= 0)
		return rc;
	rc = baseline_upgrade(st, offering, cell, &b);
	if (rc < 0)
		return rc;

	ev->has_baseline = 1;
	ev->baseline_archived = b.archived;
	ev->baseline_at = b.at;
	memcpy(ev->baseline_digest, b.digest, sizeof(ev->baseline_digest));
	ev->baseline_simhash = b.simhash;
	ev->baseline_words = b.words;

	/* Most checks find the baseline's own text: its region is the
	 * current one, so it is computed once, or not at all when the cell
	 * quotes nothing (the region is then the whole page, whose digest,
	 * fingerprint and word count the observation already holds). */
	if (strcmp(ev->digest, b.digest) == 0) {
		rc = baseline_same_text(st, ev, cell, context, &b);
		goto out;
	}

	/* Without both texts the page-level comparison stands. */
	if (treg_store_get_text(st, ev->digest, &text, &len) < 0 ||
	    treg_store_get_text(st, b.digest, &btext, &blen) < 0) {
		rc = 0;
		goto out;
	}
	if (cell->nquotes == 0) {
		baseline_whole(&cur, ev->digest, ev->simhash, ev->words);
		baseline_whole(&base, b.digest, b.simhash, b.words);
		baseline_region_fields(ev, &cur, &base);
		rc = baseline_take_diff(ev, text, len, btext, blen);
		goto out;
	}
	rc = treg_region_compute(text, len, cell->quotes, cell->nquotes,
	    context, &cur);
	if (rc == 0)
		rc = treg_region_compute(btext, blen, cell->quotes,
		    cell->nquotes, context, &base);
	if (rc < 0)
		goto out;
	/* A side with none of the quotations is its whole text; against
	 * the other side's passage that read as a rewrite, with every
	 * unchanged paragraph "added" (a one-word edit inside the only
	 * quotation, in a newcomer's test).  Then both sides are whole. */
	if (cur.whole != base.whole) {
		treg_region_cleanup(&cur);
		treg_region_cleanup(&base);
		baseline_whole(&cur, ev->digest, ev->simhash, ev->words);
		baseline_whole(&base, b.digest, b.simhash, b.words);
		baseline_region_fields(ev, &cur, &base);
		rc = baseline_take_diff(ev, text, len, btext, blen);
		goto out;
	}

	baseline_region_fields(ev, &cur, &base);
	if (strcmp(cur.digest, base.digest) != 0)
		rc = baseline_take_diff(ev, cur.text, cur.len, base.text,
		    base.len);
	else
		baseline_outside(st, ev, &b, btext, blen, text, len);

out:
	treg_region_cleanup(&cur);
	treg_region_cleanup(&base);
	free(text);
	free(btext);
	return rc;
}

/*
 * History retention.  Digests are gathered in sorted arrays: the ones a
 * baseline protects, then every one still referenced once the old
 * observations are gone, so the texts, raw bodies and re-extraction
 * records nothing refers to can go too.
 */
/*
 * A set of digests, raw, kept sorted and distinct by compacting when
 * full rather than growing at once: a store of 100,000 pages cited by
 * 366,663 cells listed a million digests in hex, most of them repeats,
 * and pruning peaked at 80 MiB above the crawl.
 */
struct baseline_set {
	unsigned char (*d)[TREG_SHA256_LEN];
	size_t	 n;
	size_t	 cap;
	int	 sorted;		/* and distinct */
};

static int
baseline_cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, TREG_SHA256_LEN);
}

/* Sorts the set and drops repeats. */
static void
baseline_set_compact(struct baseline_set *s)
{
	size_t i, kept = 0;

	if (s->sorted || s->n == 0)
		return;
	qsort(s->d, s->n, sizeof(*s->d), baseline_cmp_digest);
	for (i = 0; i < s->n; i++) {
		if (kept == 0 || memcmp(s->d[kept - 1], s->d[i],
		    TREG_SHA256_LEN) != 0)
			memmove(s->d[kept++], s->d[i], TREG_SHA256_LEN);
	}
	s->n = kept;
	s->sorted = 1;
}

static int
baseline_set_add_raw(struct baseline_set *s, const unsigned char *raw)
{
	unsigned char (*grown)[TREG_SHA256_LEN];
	size_t cap;

	/* Full: make room by dropping repeats, and grow only when that
	 * leaves the set more than half full. */
	if (s->n == s->cap) {
		baseline_set_compact(s);
		if (s->cap == 0 || s->n > s->cap / 2) {
			cap = s->cap != 0 ? s->cap * 2 : 256;
			grown = realloc(s->d, cap * sizeof(*s->d));
			if (grown == NULL)
				return -ENOMEM;
			s->d = grown;
			s->cap = cap;
		}
	}
	memcpy(s->d[s->n++], raw, TREG_SHA256_LEN);
	s->sorted = 0;
	return 0;
}

/* Adds the digest in hex; what is not one is ignored, as no text has
 * it. */
static int
baseline_set_add(struct baseline_set *s, const char *digest)
{
	unsigned char raw[TREG_SHA256_LEN];

	if (treg_sha256_unhex(digest, raw) < 0)
		return 0;
	return baseline_set_add_raw(s, raw);
}

static int
baseline_set_has(struct baseline_set *s, const char *digest)
{
	unsigned char raw[TREG_SHA256_LEN];

	if (treg_sha256_unhex(digest, raw) < 0 || s->n == 0)
		return 0;
	baseline_set_compact(s);
	return bsearch(raw, s->d, s->n, sizeof(*s->d),
	    baseline_cmp_digest) != NULL;
}

struct baseline_prune {
	struct baseline_set protect;	/* baseline texts */
	struct baseline_set refs;	/* every text still referenced */
	/* What a walk that also looks digests up in refs finds referenced:
	 * added to refs after the walk, since adding while looking up
	 * re-sorted refs at every record (quadratic in the store). */
	struct baseline_set later;
	char	**dead;			/* aux keys to delete */
	size_t	 ndead;
	size_t	 capdead;
};

static int
baseline_prune_dead(struct baseline_prune *p, const char *key)
{
	char **grown;

	if (p->ndead == p->capdead) {
		p->capdead = p->capdead != 0 ? p->capdead * 2 : 64;
		grown = realloc(p->dead, p->capdead * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		p->dead = grown;
	}
	p->dead[p->ndead] = strdup(key);
	return p->dead[p->ndead++] == NULL ? -ENOMEM : 0;
}

/* A baseline record protects its text and refers to it and its chrome. */
static int
baseline_prune_base_cb(void *arg, const char *key, const char *data,
    size_t len)
{
	struct baseline_prune *p = arg;
	char digest[TREG_SHA256_HEXLEN + 1] = "", chrome[TREG_SHA256_HEXLEN +
	    1] = "";
	int rc;

	if (sscanf(data, "%*s %*s %*s %*s %64s %*s %*s %64s", digest,
	    chrome) < 1)
		return 0;
	rc = baseline_set_add(&p->protect, digest);
	if (rc == 0)
		rc = baseline_set_add(&p->refs, digest);
	if (rc == 0)
		rc = baseline_set_add(&p->refs, chrome);
	return rc;
}

static int
baseline_prune_chrome_cb(void *arg, const char *key, const char *data,
    size_t len)
{
	struct baseline_prune *p = arg;

	return baseline_set_add(&p->refs, data);
}

static int
baseline_prune_obs_cb(void *arg, const struct treg_observation *o)
{
	struct baseline_prune *p = arg;

	return baseline_set_add(&p->refs, o->digest);
}

/* An old observation stays when it is where a baseline's text first
 * appeared, or the first text of its URL (an archived copy's baseline,
 * which has no record of its own). */
static int
baseline_prune_keep_cb(void *arg, const struct treg_observation *o,
    unsigned int how)
{
	struct baseline_prune *p = arg;

	if (how & TREG_STORE_PRUNE_FIRST_TEXT)
		return 1;
	return (how & TREG_STORE_PRUNE_RUN_START) &&
	    baseline_set_has(&p->protect, o->digest);
}

/* Adds digest to p->later unless refs has it already. */
static int
baseline_prune_later(struct baseline_prune *p, const char *digest)
{
	if (baseline_set_has(&p->refs, digest))
		return 0;
	return baseline_set_add(&p->later, digest);
}

/* Moves p->later into p->refs; returns how many moved, or -errno. */
static int
baseline_prune_merge(struct baseline_prune *p)
{
	size_t i, n = p->later.n;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = baseline_set_add_raw(&p->refs, p->later.d[i]);
	p->later.n = 0;
	return rc < 0 ? rc : (int)(n > INT_MAX ? INT_MAX : n);
}

/* "rx/VERSION/DIGEST" refers, while DIGEST is referenced, to the texts
 * it re-derived. */
static int
baseline_prune_rx_refs_cb(void *arg, const char *key, const char *data,
    size_t len)
{
	struct baseline_prune *p = arg;
	char digest[TREG_SHA256_HEXLEN + 1] = "", chrome[TREG_SHA256_HEXLEN +
	    1] = "";
	const char *old = strrchr(key, '/');
	int rc;

	if (old == NULL || !baseline_set_has(&p->refs, old + 1) ||
	    sscanf(data, "%64s %*s %*s %64s", digest, chrome) < 1)
		return 0;
	rc = baseline_prune_later(p, digest);
	if (rc == 0)
		rc = baseline_prune_later(p, chrome);
	return rc;
}

/* "rx/VERSION/DIGEST": kept while DIGEST is referenced. */
static int
baseline_prune_rx_cb(void *arg, const char *key, const char *data,
    size_t len)
{
	struct baseline_prune *p = arg;
	const char *old = strrchr(key, '/');

	if (old == NULL || !baseline_set_has(&p->refs, old + 1))
		return baseline_prune_dead(p, key);
	return 0;
}

/* "raw/DIGEST": kept, with its body, while DIGEST is referenced. */
static int
baseline_prune_raw_cb(void *arg, const char *key, const char *data,
    size_t len)
{
	struct baseline_prune *p = arg;
	char body[TREG_SHA256_HEXLEN + 1];

	if (!baseline_set_has(&p->refs, key + 4))
		return baseline_prune_dead(p, key);
	if (len < TREG_SHA256_HEXLEN)
		return 0;
	memcpy(body, data, TREG_SHA256_HEXLEN);
	body[TREG_SHA256_HEXLEN] = '\0';
	return baseline_prune_later(p, body);
}

static int
baseline_prune_text_cb(void *arg, const char *digest)
{
	struct baseline_prune *p = arg;

	return baseline_set_has(&p->refs, digest);
}

int
treg_baseline_prune(struct treg_store *st, int64_t before,
    struct treg_baseline_pruned *out)
{
	struct baseline_prune p;
	size_t i;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(out, 0, sizeof(*out));
	rc = treg_store_foreach_aux(st, "base/", baseline_prune_base_cb, &p);
	if (rc == 0)
		rc = treg_store_prune_observations(st, before,
		    baseline_prune_keep_cb, &p, &out->observations);
	if (rc == 0)
		rc = treg_store_foreach_aux(st, "chrome/",
		    baseline_prune_chrome_cb, &p);
	if (rc == 0)
		rc = treg_store_foreach_observation(st, baseline_prune_obs_cb,
		    &p);
	/* Re-derived texts first: their raw records refer to bodies.  A
	 * re-derivation can start from an earlier one's text, so the walk
	 * repeats until it finds nothing new. */
	while (rc >= 0) {
		rc = treg_store_foreach_aux(st, "rx/",
		    baseline_prune_rx_refs_cb, &p);
		if (rc == 0)
			rc = baseline_prune_merge(&p);
		if (rc <= 0)
			break;
	}
	if (rc == 0)
		rc = treg_store_foreach_aux(st, "rx/", baseline_prune_rx_cb,
		    &p);
	if (rc == 0)
		rc = treg_store_foreach_aux(st, "raw/", baseline_prune_raw_cb,
		    &p);
	if (rc == 0)
		rc = baseline_prune_merge(&p);
	if (rc > 0)
		rc = 0;
	for (i = 0; i < p.ndead && rc == 0; i++)
		rc = treg_store_del_aux(st, p.dead[i]);
	if (rc == 0)
		rc = treg_store_prune_texts(st, baseline_prune_text_cb, &p,
		    &out->texts);
	if (rc == 0)
		out->records = p.ndead;
	for (i = 0; i < p.ndead; i++)
		free(p.dead[i]);
	free(p.dead);
	free(p.protect.d);
	free(p.refs.d);
	free(p.later.d);
	if (rc < 0)
		log_err("baseline", "pruning the history failed: err=%s",
		    strerror(-rc));
	else if (out->observations + out->texts > 0)
		log_info("baseline", "pruned observations=%zu texts=%zu "
		    "records=%zu", out->observations, out->texts,
		    out->records);
	return rc;
}
