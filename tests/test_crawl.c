/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the crawl's URL set: each URL kept once, in strcmp
 * order, and the merge of the extraction selectors of the cells citing
 * one URL (what any drops is dropped, the kept part is the union of the
 * keep lists unless one keeps the whole page); then the judging and the
 * crawl over a registry index, whose offerings are read from the file
 * again one at a time.
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

#include "config.h"
#include "crawl.h"
#include "extract.h"
#include "registry.h"
#include "store.h"

#define WAYBACK		"https://web.archive.org/web/20260101000000"

/* A registry of one offering "o" whose cells are the JSON members
 * given. */
#define ONE_OFFERING(extract, cells) \
	"{\"offerings\": [{\"id\": \"o\", \"name\": \"O\"" extract \
	", \"dimensions\": {" cells "}}]}"

/* A cell's JSON: key, source, archived (quoted or null) and what
 * follows its last member. */
#define CELL(key, source, archived, more) \
	"\"" key "\": {\"value\": \"unclear\", \"confidence\": \"low\", " \
	"\"verified\": \"2026-07-05\", \"source\": " source ", " \
	"\"archived\": " archived more "}"

static struct treg_registry *
load(const char *json)
{
	struct treg_registry *reg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_load_buffer("t.json", json, strlen(json), &reg,
	    &err);
	if (rc < 0)
		fail_msg("%s", err != NULL ? err : "load failed");
	return reg;
}

/* The sorted URL set of every offering of reg. */
static struct treg_crawl_urlset *
urlset_of(const struct treg_registry *reg)
{
	struct treg_crawl_urlset *set;
	size_t i;

	set = treg_crawl_urlset_new();
	assert_non_null(set);
	for (i = 0; i < reg->noffer; i++)
		assert_int_equal(treg_crawl_urlset_add(set,
		    &reg->offerings[i]), 0);
	treg_crawl_urlset_sort(set);
	return set;
}

static void
assert_list(const char *const *got, size_t ngot, const char *const *want,
    size_t nwant)
{
	size_t i;

	assert_int_equal(ngot, nwant);
	for (i = 0; i < nwant; i++)
		assert_string_equal(got[i], want[i]);
}

static void
sel_cleanup(struct treg_extract_select *sel)
{
	free((void *)sel->keep);
	free((void *)sel->drop);
}

/* Three cells cite one URL, each dropping and keeping something else:
 * every drop list applies and the keep lists join, in registry order,
 * repeats and all. */
static void
test_treg_crawl_urlset_select_cells_merged(void **state)
{
	struct treg_registry *reg = load(ONE_OFFERING("",
	    CELL("soc2_type2", "\"https://a.test/p\"", "null",
	    ", \"extract\": {\"keep\": [\"main\"], \"drop\": [\".ad\"]}") ","
	    CELL("iso_27001", "\"https://a.test/p\"", "null",
	    ", \"extract\": {\"keep\": [\"article\", \"main\"], "
	    "\"drop\": [\"nav\"]}") ","
	    CELL("gdpr_dpa", "\"https://a.test/p\"", "null",
	    ", \"extract\": {\"keep\": [\"#terms\"]}")));
	static const char *const keep[] = { "main", "article", "main",
	    "#terms" };
	static const char *const drop[] = { ".ad", "nav" };
	struct treg_crawl_urlset *set = urlset_of(reg);
	struct treg_extract_select sel;
	int rc;

	rc = treg_crawl_urlset_select(set, "https://a.test/p", &sel);

	assert_int_equal(rc, 0);
	assert_int_equal(treg_crawl_urlset_count(set), 1);
	assert_list(sel.keep, sel.nkeep, keep, 4);
	assert_list(sel.drop, sel.ndrop, drop, 2);
	sel_cleanup(&sel);
	treg_crawl_urlset_free(set);
	treg_registry_free(reg);
}

/* A crawl starts one URL of each host in turn, each host's and each
 * turn's in the order the registry first cites them, and http and https
 * of one host count apart; the sorted order stays for lookups. */
static void
test_treg_crawl_urlset_spread_hosts(void **state)
{
	struct treg_registry *reg = load(ONE_OFFERING("",
	    CELL("soc2_type2", "\"https://a.test/9\"", "null", "") ","
	    CELL("iso_27001", "\"https://a.test/2?x\"", "null", "") ","
	    CELL("iso_42001", "\"https://a.test:8443/3\"", "null", "") ","
	    CELL("trust_center", "\"https://a.test/3\"", "null", "") ","
	    CELL("hipaa_baa", "\"https://c.test/1\"", "null", "") ","
	    CELL("gdpr_dpa", "\"http://c.test/2\"", "null", "") ","
	    CELL("retention_zdr", "\"https://b.test\"",
	    "\"https://c.test/3\"", "")));
	static const char *const want[] = {
	    "https://a.test/9", "https://a.test:8443/3", "https://c.test/1",
	    "http://c.test/2", "https://b.test", "https://a.test/2?x",
	    "https://c.test/3", "https://a.test/3" };
	struct treg_crawl_urlset *set = urlset_of(reg);
	size_t i;

	assert_int_equal(treg_crawl_urlset_count(set), 8);
	/* Before spreading, sorted order. */
	assert_string_equal(treg_crawl_urlset_issued(set, 0),
	    "http://c.test/2");
	assert_string_equal(treg_crawl_urlset_issued(set, 1),
	    "https://a.test/2?x");
	assert_string_equal(treg_crawl_urlset_issued(set, 2),
	    "https://a.test/3");
	assert_int_equal(treg_crawl_urlset_spread(set), 0);
	for (i = 0; i < 8; i++)
		assert_string_equal(treg_crawl_urlset_issued(set, i),
		    want[i]);
	assert_string_equal(treg_crawl_urlset_url(set, 1),
	    "https://a.test/2?x");
	treg_crawl_urlset_free(set);
	treg_registry_free(reg);
}

/* One citing cell that keeps the whole page (no keep list, whether or
 * not it drops something) wins over the others' keep lists; the drops
 * of all still apply. */
static void
test_treg_crawl_urlset_select_cell_keeping_all(void **state)
{
	struct treg_registry *reg = load(ONE_OFFERING("",
	    CELL("soc2_type2", "\"https://a.test/p\"", "null",
	    ", \"extract\": {\"keep\": [\"main\"], \"drop\": [\".ad\"]}") ","
	    CELL("iso_27001", "\"https://a.test/p\"", "null",
	    ", \"extract\": {\"drop\": [\"nav\"]}") ","
	    CELL("gdpr_dpa", "\"https://a.test/q\"", "null",
	    ", \"extract\": {\"keep\": [\"main\"]}") ","
	    CELL("hipaa_baa", "\"https://a.test/q\"", "null", "")));
	static const char *const drop[] = { ".ad", "nav" };
	struct treg_crawl_urlset *set = urlset_of(reg);
	struct treg_extract_select p, q;
	int rc_p, rc_q;

	rc_p = treg_crawl_urlset_select(set, "https://a.test/p", &p);
	rc_q = treg_crawl_urlset_select(set, "https://a.test/q", &q);

	assert_int_equal(rc_p, 0);
	assert_null(p.keep);
	assert_int_equal(p.nkeep, 0);
	assert_list(p.drop, p.ndrop, drop, 2);
	assert_int_equal(rc_q, 0);
	assert_null(q.keep);
	assert_int_equal(q.nkeep, 0);
	assert_null(q.drop);
	assert_int_equal(q.ndrop, 0);
	sel_cleanup(&p);
	sel_cleanup(&q);
	treg_crawl_urlset_free(set);
	treg_registry_free(reg);
}

/* A cell whose source is its archived copy's raw form cites that URL
 * once: its keep list is not doubled. */
static void
test_treg_crawl_urlset_select_source_is_raw_archive(void **state)
{
	struct treg_registry *reg = load(ONE_OFFERING("",
	    CELL("soc2_type2", "\"" WAYBACK "id_/https://a.test/p\"",
	    "\"" WAYBACK "/https://a.test/p\"",
	    ", \"extract\": {\"keep\": [\"main\"]}")));
	static const char *const keep[] = { "main" };
	struct treg_crawl_urlset *set = urlset_of(reg);
	struct treg_extract_select sel;
	int rc;

	rc = treg_crawl_urlset_select(set, WAYBACK "id_/https://a.test/p",
	    &sel);

	assert_int_equal(rc, 0);
	assert_int_equal(treg_crawl_urlset_count(set), 1);
	assert_list(sel.keep, sel.nkeep, keep, 1);
	assert_int_equal(sel.ndrop, 0);
	sel_cleanup(&sel);
	treg_crawl_urlset_free(set);
	treg_registry_free(reg);
}

/* An archived copy is fetched, and so found, in its raw form, whether
 * the cell cites the capture or the raw form itself; the capture URL as
 * cited is not in the set. */
static void
test_treg_crawl_urlset_select_archive_raw_form(void **state)
{
	struct treg_registry *reg = load(ONE_OFFERING("",
	    CELL("soc2_type2", "\"https://a.test/p\"",
	    "\"" WAYBACK "/https://a.test/p\"",
	    ", \"extract\": {\"keep\": [\"main\"]}") ","
	    CELL("iso_27001", "null", "\"" WAYBACK "id_/https://a.test/p\"",
	    ", \"extract\": {\"keep\": [\"article\"]}")));
	static const char *const keep[] = { "main", "article" };
	struct treg_crawl_urlset *set = urlset_of(reg);
	struct treg_extract_select raw, cited, source;
	int rc;

	rc = treg_crawl_urlset_select(set, WAYBACK "id_/https://a.test/p",
	    &raw);
	treg_crawl_urlset_select(set, WAYBACK "/https://a.test/p", &cited);
	treg_crawl_urlset_select(set, "https://a.test/p", &source);

	assert_int_equal(rc, 0);
	assert_int_equal(treg_crawl_urlset_count(set), 2);
	assert_string_equal(treg_crawl_urlset_url(set, 0), "https://a.test/p");
	assert_string_equal(treg_crawl_urlset_url(set, 1),
	    WAYBACK "id_/https://a.test/p");
	assert_list(raw.keep, raw.nkeep, keep, 2);
	assert_null(cited.keep);
	assert_null(cited.drop);
	assert_list(source.keep, source.nkeep, keep, 1);
	sel_cleanup(&raw);
	sel_cleanup(&cited);
	sel_cleanup(&source);
	treg_crawl_urlset_free(set);
	treg_registry_free(reg);
}

/* The offering's "extract" is each cell's unless the cell has its own;
 * cells that share lists and cells that do not merge alike, across
 * offerings too. */
static void
test_treg_crawl_urlset_select_offering_lists(void **state)
{
	struct treg_registry *reg = load("{\"offerings\": ["
	    "{\"id\": \"a\", \"name\": \"A\", \"sort_order\": 1, "
	    "\"extract\": {\"drop\": [\".ad\"]}, \"dimensions\": {"
	    CELL("soc2_type2", "\"https://a.test/p\"", "null", "") ","
	    CELL("iso_27001", "\"https://a.test/p\"", "null",
	    ", \"extract\": {\"keep\": [\"main\"]}") ","
	    CELL("gdpr_dpa", "\"https://a.test/p\"", "null", "") "}}, "
	    "{\"id\": \"b\", \"name\": \"B\", \"sort_order\": 2, "
	    "\"extract\": {\"keep\": [\"main\"], \"drop\": [\"nav\"]}, "
	    "\"dimensions\": {"
	    CELL("soc2_type2", "\"https://a.test/q\"", "null", "") ","
	    CELL("iso_27001", "\"https://a.test/q\"", "null", "") "}}]}");
	static const char *const p_drop[] = { ".ad", ".ad" };
	static const char *const q_keep[] = { "main", "main" };
	static const char *const q_drop[] = { "nav", "nav" };
	struct treg_crawl_urlset *set = urlset_of(reg);
	struct treg_extract_select p, q;

	assert_int_equal(treg_crawl_urlset_select(set, "https://a.test/p",
	    &p), 0);
	assert_int_equal(treg_crawl_urlset_select(set, "https://a.test/q",
	    &q), 0);

	assert_int_equal(p.nkeep, 0);
	assert_list(p.drop, p.ndrop, p_drop, 2);
	assert_list(q.keep, q.nkeep, q_keep, 2);
	assert_list(q.drop, q.ndrop, q_drop, 2);
	sel_cleanup(&p);
	sel_cleanup(&q);
	treg_crawl_urlset_free(set);
	treg_registry_free(reg);
}

static void
test_treg_crawl_urlset_select_unknown_url(void **state)
{
	struct treg_registry *reg = load(ONE_OFFERING("",
	    CELL("soc2_type2", "\"https://a.test/p\"", "null",
	    ", \"extract\": {\"keep\": [\"main\"]}")));
	struct treg_crawl_urlset *set = urlset_of(reg);
	struct treg_extract_select sel;
	int rc;

	rc = treg_crawl_urlset_select(set, "https://a.test/other", &sel);

	assert_int_equal(rc, 0);
	assert_null(sel.keep);
	assert_int_equal(sel.nkeep, 0);
	assert_null(sel.drop);
	assert_int_equal(sel.ndrop, 0);
	treg_crawl_urlset_free(set);
	treg_registry_free(reg);
}

/* Thousands of URLs, each cited by several cells across offerings: the
 * set keeps each once, sorted, past its hash table's growths. */
static void
test_treg_crawl_urlset_add_distinct_sorted(void **state)
{
	static struct treg_offering offs[500];
	static struct treg_cell cells[500][11];
	static char urls[3000][40];
	struct treg_crawl_urlset *set;
	size_t i, j, c = 0;

	memset(offs, 0, sizeof(offs));
	memset(cells, 0, sizeof(cells));
	for (i = 0; i < 3000; i++)
		snprintf(urls[i], sizeof(urls[i]), "https://h%zu.test/%zu",
		    i % 7, i);
	for (i = 0; i < 500; i++) {
		offs[i].cells = cells[i];
		offs[i].ncells = 11;
		for (j = 0; j < 11; j++, c++) {
			cells[i][j].source = urls[c % 3000];
			if (c % 5 == 0)
				cells[i][j].archived = urls[(c * 7) % 3000];
		}
	}
	set = treg_crawl_urlset_new();
	assert_non_null(set);

	for (i = 0; i < 500; i++)
		assert_int_equal(treg_crawl_urlset_add(set, &offs[i]), 0);
	treg_crawl_urlset_sort(set);

	assert_int_equal(treg_crawl_urlset_count(set), 3000);
	for (i = 1; i < 3000; i++)
		assert_true(strcmp(treg_crawl_urlset_url(set, i - 1),
		    treg_crawl_urlset_url(set, i)) < 0);
	treg_crawl_urlset_free(set);
}

static void
test_treg_crawl_list_urls_distinct(void **state)
{
	struct treg_registry *reg = load(ONE_OFFERING("",
	    CELL("soc2_type2", "\"https://b.test/\"",
	    "\"" WAYBACK "/https://b.test/\"", "") ","
	    CELL("iso_27001", "\"https://a.test/\"", "null", "") ","
	    CELL("gdpr_dpa", "\"https://b.test/\"", "null", "")));
	const struct treg_offering *off[1] = { &reg->offerings[0] };
	char **urls = NULL;
	size_t n = 0;
	int rc;

	rc = treg_crawl_list_urls(off, 1, &urls, &n);

	assert_int_equal(rc, 0);
	assert_int_equal(n, 3);
	assert_string_equal(urls[0], "https://a.test/");
	assert_string_equal(urls[1], "https://b.test/");
	assert_string_equal(urls[2], WAYBACK "id_/https://b.test/");
	treg_crawl_urls_free(urls, n);
	treg_registry_free(reg);
}

/* ---- over a registry index ------------------------------------------ */

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int
count_cb(void *arg, const struct treg_verdict *v)
{
	(*(size_t *)arg)++;
	return 0;
}

struct index_fixture {
	char	 dir[32];
	char	*file;
	struct treg_registry *reg;
	const struct treg_offering **offs;
	struct treg_config *cfg;
	struct treg_store *st;
};

static void
write_file(const char *path, const char *data)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(data, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Two offerings of cells without sources (nothing to fetch). */
#define INDEX_JSON "{\"offerings\": [" \
	"{\"id\": \"a\", \"name\": \"A\", \"sort_order\": 1, " \
	"\"dimensions\": {" CELL("soc2_type2", "null", "null", "") "," \
	CELL("iso_27001", "null", "null", "") "}}, " \
	"{\"id\": \"b\", \"name\": \"B\", \"sort_order\": 2, " \
	"\"dimensions\": {" CELL("gdpr_dpa", "null", "null", "") "}}]}"

static int
index_setup(void **state)
{
	struct index_fixture *f = calloc(1, sizeof(*f));
	char *err = NULL;
	size_t i;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/treg-crawl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_true(asprintf(&f->file, "%s/registry.json", f->dir) > 0);
	write_file(f->file, INDEX_JSON);
	assert_int_equal(treg_registry_index(f->file, &f->reg, &err), 0);
	f->offs = calloc(f->reg->noffer, sizeof(*f->offs));
	assert_non_null(f->offs);
	for (i = 0; i < f->reg->noffer; i++)
		f->offs[i] = &f->reg->offerings[i];
	f->cfg = treg_config_new_default();
	assert_non_null(f->cfg);
	f->st = treg_store_open(f->dir);
	assert_non_null(f->st);
	*state = f;
	return 0;
}

static int
index_teardown(void **state)
{
	struct index_fixture *f = *state;

	treg_store_close(f->st);
	treg_config_free(f->cfg);
	free(f->offs);
	treg_registry_free(f->reg);
	rm_tree(f->dir);
	free(f->file);
	free(f);
	return 0;
}

/* Every cell of the index is judged, each offering read in turn. */
static void
test_treg_crawl_judge_index(void **state)
{
	struct index_fixture *f = *state;
	size_t calls = 0;
	int rc;

	rc = treg_crawl_judge(f->cfg, f->st, f->reg, f->offs,
	    f->reg->noffer, time(NULL), count_cb, &calls);

	assert_int_equal(rc, 0);
	assert_int_equal(calls, 3);
}

/* A registry file that changed since it was indexed stops the judging
 * and the crawl with -ESTALE before any cell is judged. */
static void
test_treg_crawl_judge_index_file_changed(void **state)
{
	struct index_fixture *f = *state;
	struct treg_crawl_stats stats;
	size_t calls = 0;
	int judged, ran;

	assert_true(f->reg->indexed);
	write_file(f->file, INDEX_JSON "\n\n");

	judged = treg_crawl_judge(f->cfg, f->st, f->reg, f->offs,
	    f->reg->noffer, time(NULL), count_cb, &calls);
	ran = treg_crawl_run(f->cfg, f->st, f->reg, f->offs, f->reg->noffer,
	    time(NULL), &stats);

	assert_int_equal(judged, -ESTALE);
	assert_int_equal(calls, 0);
	assert_int_equal(ran, -ESTALE);
	assert_int_equal(stats.urls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_crawl_urlset_select_cells_merged),
		cmocka_unit_test(test_treg_crawl_urlset_spread_hosts),
		cmocka_unit_test(
		    test_treg_crawl_urlset_select_cell_keeping_all),
		cmocka_unit_test(
		    test_treg_crawl_urlset_select_source_is_raw_archive),
		cmocka_unit_test(
		    test_treg_crawl_urlset_select_archive_raw_form),
		cmocka_unit_test(
		    test_treg_crawl_urlset_select_offering_lists),
		cmocka_unit_test(test_treg_crawl_urlset_select_unknown_url),
		cmocka_unit_test(test_treg_crawl_urlset_add_distinct_sorted),
		cmocka_unit_test(test_treg_crawl_list_urls_distinct),
		cmocka_unit_test_setup_teardown(test_treg_crawl_judge_index,
		    index_setup, index_teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_crawl_judge_index_file_changed,
		    index_setup, index_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
