/* SPDX-License-Identifier: MIT */
/*
 * Extraction against the shared real-world corpus: main-text recall on
 * the article benchmark, change detection on consecutive captures of
 * AI-provider policy pages, and robustness on html5lib's malformed
 * documents, whole and streamed in random chunks.  The corpus lives in
 * $TREG_SHARED/corpus; a missing file fails the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "buf.h"
#include "digest.h"
#include "extract.h"
#include "normalize.h"

#define MAX_TEXT	(16 * 1024 * 1024)
#define RECALL_MIN	0.95	/* share of ground-truth words we must keep */
#define BENCH_PAGES	50	/* pages in the benchmark subset */
#define OTA_PAIRS	12	/* consecutive captures in manifest.tsv */
#define H5_CASES	345	/* #data documents in the .dat files */

/* Helpers. */

static char *
corpus_path(const char *rel)
{
	const char *shared = getenv("TREG_SHARED");
	char *path = NULL;

	assert_non_null(shared);
	assert_true(asprintf(&path, "%s/corpus/%s", shared, rel) > 0);
	return path;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
		if (data != NULL) {
			data[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return data;
}

static char *
gunzip_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0;
	int got;

	if (gz == NULL)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap * 2 + 65536;
			data = realloc(data, cap + 1);
			assert_non_null(data);
		}
		got = gzread(gz, data + n, (unsigned)(cap - n));
		if (got > 0)
			n += (size_t)got;
	} while (got > 0);
	gzclose(gz);
	if (got < 0) {
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = n;
	return data;
}

/* A multiset of words (open addressing; keys point into a text that
 * outlives the set). */
struct wset {
	const char	**key;
	size_t		 *klen;
	size_t		 *count;
	size_t		  cap;
};

static uint64_t
wset_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static void
wset_init(struct wset *w, size_t words)
{
	w->cap = 64;
	while (w->cap < words * 2)
		w->cap *= 2;
	w->key = calloc(w->cap, sizeof(*w->key));
	w->klen = calloc(w->cap, sizeof(*w->klen));
	w->count = calloc(w->cap, sizeof(*w->count));
	assert_non_null(w->key);
	assert_non_null(w->klen);
	assert_non_null(w->count);
}

static size_t *
wset_slot(struct wset *w, const char *s, size_t n, int add)
{
	size_t i = (size_t)wset_hash(s, n) & (w->cap - 1);

	while (w->key[i] != NULL) {
		if (w->klen[i] == n && memcmp(w->key[i], s, n) == 0)
			return &w->count[i];
		i = (i + 1) & (w->cap - 1);
	}
	if (!add)
		return NULL;
	w->key[i] = s;
	w->klen[i] = n;
	return &w->count[i];
}

static void
wset_free(struct wset *w)
{
	free(w->key);
	free(w->klen);
	free(w->count);
}

/* Match form of text, so case and typography do not count. */
static void
fold(const char *text, size_t len, struct treg_buf *out)
{
	treg_buf_init(out, 0);
	assert_int_equal(treg_normalize_fold(text, len, out), 0);
}

/*
 * Share of the truth's words (counted with repetition) that our text has
 * at least as many times: multiset containment, stricter than a set.
 */
static double
recall(const char *truth, const char *ours, size_t ours_len)
{
	struct treg_buf t, o;
	struct wset w;
	size_t pos = 0, start, wlen, total = 0, hit = 0;
	size_t *c;

	fold(truth, strlen(truth), &t);
	fold(ours, ours_len, &o);
	wset_init(&w, treg_normalize_count_words(o.data, o.len));
	while (treg_normalize_next_word(o.data, o.len, &pos, &start, &wlen))
		(*wset_slot(&w, o.data + start, wlen, 1))++;

	pos = 0;
	while (treg_normalize_next_word(t.data, t.len, &pos, &start, &wlen)) {
		total++;
		c = wset_slot(&w, t.data + start, wlen, 0);
		if (c != NULL && *c > 0) {
			(*c)--;
			hit++;
		}
	}
	wset_free(&w);
	treg_buf_cleanup(&t);
	treg_buf_cleanup(&o);
	return total > 0 ? (double)hit / (double)total : 1.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Extracts data streamed in chunks of random sizes (1..max bytes). */
static int
extract_chunked(const char *ctype, const char *data, size_t len,
    size_t max, unsigned *seed, struct treg_extract_result *res)
{
	struct treg_extract *ex;
	size_t off = 0, n;
	int rc = 0;

	ex = treg_extract_new(ctype, MAX_TEXT);
	assert_non_null(ex);
	while (off < len && rc == 0) {
		n = 1 + (size_t)rand_r(seed) % max;
		if (n > len - off)
			n = len - off;
		rc = treg_extract_feed(ex, data + off, n);
		off += n;
	}
	if (rc == 0)
		rc = treg_extract_finish(ex, res);
	treg_extract_free(ex);
	return rc;
}

/* Tests. */

static void
test_corpus_article_benchmark_recall(void **state)
{
	char *gt_path = corpus_path(
	    "article-extraction-benchmark/ground-truth-subset.json");
	double scores[BENCH_PAGES];
	json_error_t jerr;
	json_t *gt, *entry;
	const char *key, *body;
	struct treg_extract_result res;
	char rel[160];
	char *path, *html;
	size_t len = 0, n = 0, failed = 0;

	gt = json_load_file(gt_path, 0, &jerr);

	assert_non_null(gt);
	json_object_foreach(gt, key, entry) {
		body = json_string_value(json_object_get(entry, "articleBody"));
		assert_non_null(body);
		snprintf(rel, sizeof(rel),
		    "article-extraction-benchmark/html/%s.html.gz", key);
		path = corpus_path(rel);
		html = gunzip_file(path, &len);
		assert_non_null(html);
		assert_int_equal(treg_extract_buffer("text/html", html, len,
		    MAX_TEXT, &res), 0);

		assert_true(n < BENCH_PAGES);
		scores[n] = recall(body, res.text, res.text_len);
		if (scores[n] < RECALL_MIN) {
			printf("# recall %.3f below %.2f: %s\n", scores[n],
			    RECALL_MIN, key);
			failed++;
		}
		n++;
		treg_extract_result_cleanup(&res);
		free(html);
		free(path);
	}
	qsort(scores, n, sizeof(scores[0]), cmp_double);
	printf("# article benchmark: %zu pages, ground-truth word recall "
	    "(multiset) min %.3f p10 %.3f median %.3f\n", n, scores[0],
	    scores[n / 10], scores[n / 2]);

	assert_int_equal(n, BENCH_PAGES);
	assert_int_equal(failed, 0);
	json_decref(gt);
	free(gt_path);
}

/* One capture of an OTA document and our result for it. */
struct capture {
	char	 doc[96];
	char	 changed[32];
	char	 digest[TREG_SHA256_HEXLEN + 1];
	uint64_t simhash;
};

static void
ota_extract(const char *doc, const char *file, struct capture *c)
{
	struct treg_extract_result res;
	char rel[512];
	char *path, *html;
	size_t len;

	snprintf(rel, sizeof(rel), "ota-genai/%s/%s", doc, file);
	path = corpus_path(rel);
	html = slurp(path, &len);
	assert_non_null(html);
	assert_int_equal(treg_extract_buffer("text/html; charset=utf-8",
	    html, len, MAX_TEXT, &res), 0);
	assert_null(treg_extract_unverifiable_reason(&res));
	memcpy(c->digest, res.digest, sizeof(c->digest));
	c->simhash = res.simhash;
	treg_extract_result_cleanup(&res);
	free(html);
	free(path);
}

static void
test_corpus_ota_changes_match(void **state)
{
	char *path = corpus_path("ota-genai/manifest.tsv");
	struct capture prev, cur;
	char *tsv, *line, *save = NULL, *f[11], *p;
	size_t len = 0, pairs = 0, wrong = 0;
	int i, ours, theirs;

	tsv = slurp(path, &len);

	assert_non_null(tsv);
	memset(&prev, 0, sizeof(prev));
	line = strtok_r(tsv, "\n", &save);	/* the header */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		for (i = 0, p = line; i < 11; i++) {
			f[i] = p;
			p = p != NULL ? strchr(p, '\t') : NULL;
			if (p != NULL)
				*p++ = '\0';
		}
		assert_non_null(f[10]);
		memset(&cur, 0, sizeof(cur));
		snprintf(cur.doc, sizeof(cur.doc), "%s", f[0]);
		snprintf(cur.changed, sizeof(cur.changed), "%s", f[9]);
		ota_extract(f[0], f[2], &cur);

		if (strcmp(cur.changed, "first-in-set") != 0) {
			assert_string_equal(prev.doc, cur.doc);
			ours = strcmp(prev.digest, cur.digest) != 0;
			theirs = strcmp(cur.changed, "yes") == 0;
			printf("# %s %s: ota %s, ours %s (simhash distance "
			    "%d)\n", cur.doc, f[2], theirs ? "changed" :
			    "same", ours ? "changed" : "same",
			    treg_simhash_distance(prev.simhash, cur.simhash));
			if (ours != theirs)
				wrong++;
			pairs++;
		}
		prev = cur;
	}

	assert_int_equal(pairs, OTA_PAIRS);
	assert_int_equal(wrong, 0);
	free(tsv);
	free(path);
}

/* Runs one html5lib document whole and in random chunks; both must
 * succeed and agree. */
static void
h5_case(const char *data, size_t len, unsigned *seed)
{
	struct treg_extract_result whole, streamed;

	assert_int_equal(treg_extract_buffer("text/html", data, len,
	    MAX_TEXT, &whole), 0);
	assert_int_equal(extract_chunked("text/html", data, len, 7, seed,
	    &streamed), 0);

	assert_string_equal(whole.digest, streamed.digest);
	assert_int_equal(whole.simhash, streamed.simhash);
	assert_int_equal(whole.words, streamed.words);
	treg_extract_result_cleanup(&whole);
	treg_extract_result_cleanup(&streamed);
}

static void
test_corpus_html5lib_all_extract(void **state)
{
	static const char *const files[] = {
		"tests1.dat", "adoption01.dat", "tables01.dat",
		"entities01.dat", "tricky01.dat", "webkit01.dat",
		"comments01.dat", "scriptdata01.dat", "noscript01.dat",
	};
	char rel[128];
	char *path, *dat, *p, *end;
	size_t len = 0, i, cases = 0;
	unsigned seed = 4;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "html5lib-tree-construction/%s",
		    files[i]);
		path = corpus_path(rel);
		dat = slurp(path, &len);
		assert_non_null(dat);

		/* A document runs from "#data\n" to the "\n#errors" line. */
		p = dat;
		while ((p = strstr(p, "#data\n")) != NULL &&
		    (p == dat || p[-1] == '\n')) {
			p += 6;
			end = strstr(p - 1, "\n#errors");
			assert_non_null(end);
			h5_case(p, (size_t)(end > p ? end - p : 0), &seed);
			cases++;
			p = end + 1;
		}
		free(dat);
		free(path);
	}

	printf("# html5lib: %zu documents extracted whole and streamed\n",
	    cases);
	assert_int_equal(cases, H5_CASES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_article_benchmark_recall),
		cmocka_unit_test(test_corpus_ota_changes_match),
		cmocka_unit_test(test_corpus_html5lib_all_extract),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
