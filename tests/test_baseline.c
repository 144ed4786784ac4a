/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cell baselines against a real store in a temporary
 * directory: a change of the extraction rules re-derives the baseline
 * from its kept raw body instead of flagging the cell, a text without a
 * raw body cannot be re-derived, observation records keep the rules
 * version they were made with, and history pruning keeps what baselines
 * rest on while removing what nothing refers to.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "baseline.h"
#include "digest.h"
#include "extract.h"
#include "registry.h"
#include "store.h"
#include "verdict.h"

#define URL		"https://trustcenter.example/"
#define VERIFIED_AT	1783209600	/* 2026-07-05T00:00:00Z */

static const char body[] =
	"<html><head><title>Trust</title></head><body><main>"
	"<p>We hold a SOC 2 Type II report, renewed every year.</p>"
	"<p>Audits run yearly and their results are shared on request.</p>"
	"</main></body></html>";

/* What older extraction rules made of the same body. */
static const char old_text[] =
	"Trust We hold a SOC 2 Type II report, renewed every year.\n"
	"Audits run yearly and their results are shared on request.";

static char *quotes[] = { "hold a SOC 2 Type II report" };

struct fixture {
	char	 dir[64];
	struct treg_store *st;
	struct treg_cell cell;
	char	 old_digest[TREG_SHA256_HEXLEN + 1];
	char	 new_digest[TREG_SHA256_HEXLEN + 1];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct treg_extract_result res;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/treg-baseline.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->st = treg_store_open(f->dir);
	if (f->st == NULL)
		return -1;
	f->cell.key = "soc2_type2";
	f->cell.verified = "2026-07-05";
	f->cell.verified_at = VERIFIED_AT;
	f->cell.source = URL;
	f->cell.quotes = quotes;
	f->cell.nquotes = 1;

	if (treg_sha256_hex_of(old_text, strlen(old_text), f->old_digest) < 0 ||
	    treg_extract_buffer("text/html", body, strlen(body), 1 << 20,
	    &res) < 0)
		return -1;
	memcpy(f->new_digest, res.digest, sizeof(f->new_digest));
	if (treg_store_put_text(f->st, res.digest, res.text,
	    res.text_len) < 0 || treg_store_put_text(f->st, f->old_digest,
	    old_text, strlen(old_text)) < 0)
		return -1;
	treg_extract_result_cleanup(&res);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	unsetenv("TREG_TEST_RULES_VERSION");
	treg_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Keeps body as the raw body of the old text, as a crawl does. */
static void
keep_raw(struct fixture *f)
{
	char bd[TREG_SHA256_HEXLEN + 1];

	assert_int_equal(treg_sha256_hex_of(body, strlen(body), bd), 0);
	assert_int_equal(treg_store_put_text(f->st, bd, body, strlen(body)), 0);
	assert_int_equal(treg_baseline_note_raw(f->st, f->old_digest, bd,
	    "text/html", 1 << 20, NULL), 0);
}

/* Evidence whose baseline is the old text (rules 2, an older version
 * than built in) and whose latest text is the body as rules 3 make it. */
static void
evidence(const struct fixture *f, struct treg_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->url = strdup(URL);
	ev->fetch_url = strdup(URL);
	ev->role = TREG_ROLE_SOURCE;
	ev->fetched = 1;
	ev->at = VERIFIED_AT + 86400;
	memcpy(ev->digest, f->new_digest, sizeof(ev->digest));
	ev->rules = 3;
	ev->has_baseline = 1;
	ev->baseline_at = VERIFIED_AT + 3600;
	memcpy(ev->baseline_digest, f->old_digest,
	    sizeof(ev->baseline_digest));
	ev->baseline_rules = 2;
}

/* The cell pointed at another page, whose first text is the body as
 * the current rules make it. */
static void
evidence_moved(struct fixture *f, struct treg_evidence *ev)
{
	f->cell.source = URL "moved";
	evidence(f, ev);
	free(ev->url);
	free(ev->fetch_url);
	ev->url = strdup(URL "moved");
	ev->fetch_url = strdup(URL "moved");
	memcpy(ev->baseline_digest, f->new_digest,
	    sizeof(ev->baseline_digest));
}

static void
test_baseline_fill_rules_bump_rederives(void **state)
{
	struct fixture *f = *state;
	struct treg_evidence ev;
	char *rec = NULL;
	size_t len = 0;
	unsigned rules = 0;

	keep_raw(f);
	evidence(f, &ev);
	setenv("TREG_TEST_RULES_VERSION", "3", 1);

	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);

	assert_string_equal(ev.baseline_digest, f->new_digest);
	assert_true(ev.has_region);
	assert_string_equal(ev.region_digest, ev.baseline_region_digest);
	assert_int_equal(ev.ndiff, 0);
	assert_int_equal(treg_store_get_aux(f->st, "base/acme/soc2_type2",
	    &rec, &len), 0);
	assert_non_null(strstr(rec, f->new_digest));
	assert_int_equal(sscanf(rec, "%*d %*s %*d %*d %*s %*s %*s %*s %u",
	    &rules), 1);
	assert_int_equal(rules, 3);
	free(rec);
	treg_evidence_cleanup(&ev);
}

/*
 * A cell pointed at another page with the same verified date takes the
 * new page's baseline (its first text at or after that date), not the
 * old page's: measured against another page's text, the cell would read
 * as changed.  With the same page, the stored baseline stands.
 */
static void
test_baseline_fill_new_source_takes_its_own_baseline(void **state)
{
	struct fixture *f = *state;
	struct treg_evidence ev;
	unsigned rules = treg_baseline_rules_version();

	evidence(f, &ev);
	ev.baseline_rules = rules;
	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);
	assert_string_equal(ev.baseline_digest, f->old_digest);
	treg_evidence_cleanup(&ev);

	/* Same page: the stored baseline, whatever the URL's history says. */
	evidence(f, &ev);
	memcpy(ev.baseline_digest, f->new_digest, sizeof(ev.baseline_digest));
	ev.baseline_rules = rules;
	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);
	assert_string_equal(ev.baseline_digest, f->old_digest);
	treg_evidence_cleanup(&ev);

	/* Another page: its own first text. */
	evidence_moved(f, &ev);
	ev.baseline_rules = rules;
	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);
	assert_string_equal(ev.baseline_digest, f->new_digest);
	assert_int_equal(ev.ndiff, 0);
	treg_evidence_cleanup(&ev);
}

/*
 * A record from before baselines named their evidence still stands when
 * it is the baseline the cell's pages give now, and is marked as theirs;
 * for another page it is taken again.
 */
static void
test_baseline_fill_reads_version_2_record(void **state)
{
	struct fixture *f = *state;
	struct treg_evidence ev;
	struct treg_observation obs;
	char rec[256], *saved = NULL;
	size_t len = 0;
	int n;

	memset(&obs, 0, sizeof(obs));
	obs.at = VERIFIED_AT + 60;
	obs.status = 200;
	obs.words = 412;
	memcpy(obs.digest, f->old_digest, sizeof(obs.digest));
	assert_int_equal(treg_store_add_observation(f->st, URL, &obs), 0);

	n = snprintf(rec, sizeof(rec), "2 2026-07-05 0 %d %s "
	    "0123456789abcdef 412 - %u\n", VERIFIED_AT + 60, f->old_digest,
	    treg_baseline_rules_version());
	assert_true(n > 0 && (size_t)n < sizeof(rec));
	assert_int_equal(treg_store_put_aux(f->st, "base/acme/soc2_type2",
	    rec, (size_t)n), 0);
	/* The URL's history gives that same baseline, as a crawl finds. */
	evidence(f, &ev);
	ev.baseline_at = VERIFIED_AT + 60;
	ev.baseline_rules = treg_baseline_rules_version();

	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);

	assert_string_equal(ev.baseline_digest, f->old_digest);
	assert_int_equal(ev.baseline_at, VERIFIED_AT + 60);
	treg_evidence_cleanup(&ev);
	assert_int_equal(treg_store_get_aux(f->st, "base/acme/soc2_type2",
	    &saved, &len), 0);
	assert_int_equal(saved[0], '3');
	free(saved);

	/* The same old record, for a cell now pointed elsewhere. */
	assert_int_equal(treg_store_put_aux(f->st, "base/acme/soc2_type2",
	    rec, (size_t)n), 0);
	evidence_moved(f, &ev);
	ev.baseline_rules = treg_baseline_rules_version();

	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);

	assert_string_equal(ev.baseline_digest, f->new_digest);
	treg_evidence_cleanup(&ev);
}

/*
 * The only quotation edited away: the current text has none of the
 * cell's quotations, so both sides are compared whole, and the diff is
 * the edit alone, not every paragraph outside the baseline's passage.
 */
static void
test_baseline_fill_quotation_gone_compares_whole_texts(void **state)
{
	static const char edited[] =
	    "Trust We hold a SOC 3 Type II report, renewed every year.\n"
	    "Audits run yearly and their results are shared on request.";
	struct fixture *f = *state;
	struct treg_evidence ev;
	char digest[TREG_SHA256_HEXLEN + 1];

	assert_int_equal(treg_sha256_hex_of(edited, strlen(edited), digest),
	    0);
	assert_int_equal(treg_store_put_text(f->st, digest, edited,
	    strlen(edited)), 0);
	evidence(f, &ev);
	memcpy(ev.digest, digest, sizeof(ev.digest));
	ev.words = 19;
	ev.rules = ev.baseline_rules = treg_baseline_rules_version();

	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);

	assert_true(ev.has_region);
	assert_true(ev.region_whole);
	assert_string_equal(ev.region_digest, digest);
	assert_string_equal(ev.baseline_region_digest, f->old_digest);
	assert_int_equal(ev.ndiff, 1);
	assert_string_equal(ev.diff[0].del, "2");
	assert_string_equal(ev.diff[0].ins, "3");
	treg_evidence_cleanup(&ev);
}

static void
test_baseline_fill_without_raw_body_keeps_old_digest(void **state)
{
	struct fixture *f = *state;
	struct treg_evidence ev;

	evidence(f, &ev);
	setenv("TREG_TEST_RULES_VERSION", "3", 1);

	assert_int_equal(treg_baseline_fill(f->st, "acme", &f->cell, 1, &ev),
	    0);

	assert_string_equal(ev.baseline_digest, f->old_digest);
	assert_string_not_equal(ev.region_digest, ev.baseline_region_digest);
	treg_evidence_cleanup(&ev);
}

static void
test_baseline_fill_archive_rules_bump_rederives(void **state)
{
	struct fixture *f = *state;
	struct treg_evidence ev;

	keep_raw(f);
	evidence(f, &ev);
	ev.role = TREG_ROLE_ARCHIVE;
	setenv("TREG_TEST_RULES_VERSION", "3", 1);

	assert_int_equal(treg_baseline_fill_archive(f->st, &ev), 0);

	assert_string_equal(ev.baseline_digest, ev.digest);
	assert_int_equal(ev.baseline_rules, 3);
	treg_evidence_cleanup(&ev);
}

static void
test_baseline_rules_version_default_and_override(void **state)
{
	unsetenv("TREG_TEST_RULES_VERSION");
	assert_int_equal(treg_baseline_rules_version(),
	    TREG_EXTRACT_RULES_VERSION);

	setenv("TREG_TEST_RULES_VERSION", "9", 1);
	assert_int_equal(treg_baseline_rules_version(), 9);

	setenv("TREG_TEST_RULES_VERSION", "200", 1);
	assert_int_equal(treg_baseline_rules_version(),
	    TREG_EXTRACT_RULES_VERSION);
}

static void
test_store_observation_keeps_rules(void **state)
{
	struct fixture *f = *state;
	struct treg_observation o, *all = NULL;
	size_t n = 0;

	memset(&o, 0, sizeof(o));
	o.at = VERIFIED_AT;
	o.status = 200;
	o.rules = 5;
	memcpy(o.digest, f->new_digest, sizeof(o.digest));

	assert_int_equal(treg_store_add_observation(f->st, URL, &o), 0);
	assert_int_equal(treg_store_commit(f->st), 0);
	assert_int_equal(treg_store_list_observations(f->st, URL, &all, &n),
	    0);

	assert_int_equal(n, 1);
	assert_int_equal(all[0].rules, 5);
	assert_string_equal(all[0].digest, f->new_digest);
	free(all);
}

/* Puts text under its digest, returned in digest. */
static void
put(struct treg_store *st, const char *text, char *digest)
{
	assert_int_equal(treg_sha256_hex_of(text, strlen(text), digest), 0);
	assert_int_equal(treg_store_put_text(st, digest, text, strlen(text)),
	    0);
}

static int
has_text(struct treg_store *st, const char *digest)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = treg_store_get_text(st, digest, &text, &len);
	free(text);
	return rc == 0;
}

static void
test_baseline_prune_keeps_baseline_and_latest(void **state)
{
	struct fixture *f = *state;
	struct treg_baseline_pruned pruned;
	struct treg_observation o, *all = NULL;
	char a[TREG_SHA256_HEXLEN + 1], b[TREG_SHA256_HEXLEN + 1];
	char c[TREG_SHA256_HEXLEN + 1], x[TREG_SHA256_HEXLEN + 1];
	char y[TREG_SHA256_HEXLEN + 1], line[256], *rec = NULL;
	size_t n = 0, len = 0;
	int day;

	put(f->st, "text a", a);
	put(f->st, "text b", b);
	put(f->st, "text c", c);
	put(f->st, "raw body of c", x);
	put(f->st, "raw body of a", y);
	assert_int_equal(treg_baseline_note_raw(f->st, c, x, "text/html",
	    1024, NULL), 0);
	assert_int_equal(treg_baseline_note_raw(f->st, a, y, "text/html",
	    1024, NULL), 0);
	snprintf(line, sizeof(line), "2 2026-07-05 0 %d %s 0 2 - 1\n",
	    VERIFIED_AT, a);
	assert_int_equal(treg_store_put_aux(f->st, "base/acme/soc2_type2",
	    line, strlen(line)), 0);
	/* Day 0-2 a, day 3 c, day 4-9 a, day 10-20 b. */
	for (day = 0; day <= 20; day++) {
		memset(&o, 0, sizeof(o));
		o.at = VERIFIED_AT + (int64_t)day * 86400;
		o.status = 200;
		o.rules = 1;
		memcpy(o.digest, day == 3 ? c : day < 10 ? a : b,
		    sizeof(o.digest));
		assert_int_equal(treg_store_add_observation(f->st, URL, &o),
		    0);
	}
	assert_int_equal(treg_store_commit(f->st), 0);

	assert_int_equal(treg_baseline_prune(f->st, VERIFIED_AT +
	    15 * 86400, &pruned), 0);
	assert_int_equal(treg_store_commit(f->st), 0);

	/* Kept: day 0 (first text, baseline), day 4 (the baseline text
	 * again), days 15-20. */
	assert_int_equal(treg_store_list_observations(f->st, URL, &all, &n),
	    0);
	assert_int_equal(n, 8);
	assert_int_equal(pruned.observations, 13);
	assert_int_equal(all[0].at, VERIFIED_AT);
	assert_int_equal(all[1].at, VERIFIED_AT + 4 * 86400);
	assert_int_equal(all[2].at, VERIFIED_AT + 15 * 86400);
	free(all);
	assert_true(has_text(f->st, a));
	assert_true(has_text(f->st, b));
	assert_true(has_text(f->st, y));
	assert_false(has_text(f->st, c));
	assert_false(has_text(f->st, x));
	/* c, its raw body, and the two texts setup() stored. */
	assert_int_equal(pruned.texts, 4);
	snprintf(line, sizeof(line), "raw/%s", c);
	assert_int_equal(treg_store_get_aux(f->st, line, &rec, &len),
	    -ENOENT);
	snprintf(line, sizeof(line), "raw/%s", a);
	assert_int_equal(treg_store_get_aux(f->st, line, &rec, &len), 0);
	free(rec);
}

static void
test_baseline_prune_nothing_old_removes_nothing(void **state)
{
	struct fixture *f = *state;
	struct treg_baseline_pruned pruned;
	struct treg_observation o;

	memset(&o, 0, sizeof(o));
	o.at = VERIFIED_AT;
	memcpy(o.digest, f->new_digest, sizeof(o.digest));
	assert_int_equal(treg_store_add_observation(f->st, URL, &o), 0);
	o.at += 86400;
	assert_int_equal(treg_store_add_observation(f->st, URL, &o), 0);

	assert_int_equal(treg_baseline_prune(f->st, VERIFIED_AT, &pruned),
	    0);

	assert_int_equal(pruned.observations, 0);
	assert_true(has_text(f->st, f->new_digest));
	/* The old text is referred to by nothing. */
	assert_false(has_text(f->st, f->old_digest));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_baseline_fill_rules_bump_rederives, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_baseline_fill_new_source_takes_its_own_baseline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_baseline_fill_reads_version_2_record, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_baseline_fill_quotation_gone_compares_whole_texts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_baseline_fill_without_raw_body_keeps_old_digest,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_baseline_fill_archive_rules_bump_rederives, setup,
		    teardown),
		cmocka_unit_test(
		    test_baseline_rules_version_default_and_override),
		cmocka_unit_test_setup_teardown(
		    test_store_observation_keeps_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_baseline_prune_keeps_baseline_and_latest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_baseline_prune_nothing_old_removes_nothing, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
