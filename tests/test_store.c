/* SPDX-License-Identifier: MIT */
/*
 * Tests of the LMDB state store.  Each case gets a fresh temporary
 * directory.  A few cases reach under the module with LMDB itself, with
 * the store closed, to damage records, fake a newer schema or measure the
 * pages in use, which no public call can do.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>
#include <zlib.h>

#include "crawl.h"
#include "report.h"
#include "store.h"

#define DIGEST_A	\
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST_B	\
	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct fixture {
	char	 dir[64];
	char	 sub[96];	/* dir/state: the store itself */
};

static int
rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->sub, sizeof(f->sub), "%s/state", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct treg_observation
make_obs(int64_t at, const char *digest)
{
	struct treg_observation o;

	memset(&o, 0, sizeof(o));
	o.at = at;
	o.status = 200;
	o.words = 1234;
	o.simhash = 0x0123456789abcdefULL ^ (uint64_t)at;
	o.flags = TREG_OBS_REDIRECTED;
	if (digest != NULL)
		strcpy(o.digest, digest);
	return o;
}

/* Opens the store's environment directly; the store must be closed. */
static MDB_env *
raw_open(const char *dir)
{
	MDB_env *env = NULL;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	return env;
}

/* Overwrites every value of a named database with data. */
static void
raw_set(const char *dir, const char *name, const void *data, size_t len)
{
	MDB_env *env = raw_open(dir);
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key, val;
	int rc, n = 0;

	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
	assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		val.mv_data = (void *)data;
		val.mv_size = len;
		assert_int_equal(mdb_cursor_put(cur, &key, &val, MDB_CURRENT),
		    0);
		n++;
	}
	mdb_cursor_close(cur);
	assert_true(n > 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Overwrites every value of a named database with garbage. */
static void
raw_corrupt(const char *dir, const char *name)
{
	static const char garbage[] = "\x07garbage\xff\xff\xff\xff";

	raw_set(dir, name, garbage, sizeof(garbage) - 1);
}

/* A text record as stores before zstd wrote it: version 1, method 1
 * (zlib), the length in 8 little-endian bytes, then the zlib stream. */
static size_t
zlib_record(const char *text, size_t len, unsigned char *rec, size_t cap)
{
	uLongf clen = cap - 10;
	size_t i;

	assert_int_equal(compress2(rec + 10, &clen, (const Bytef *)text, len,
	    6), Z_OK);
	rec[0] = 1;
	rec[1] = 1;
	for (i = 0; i < 8; i++)
		rec[2 + i] = (unsigned char)(len >> (8 * i));
	return 10 + clen;
}

/*
 * Bytes of the map in use: pages up to the highest one ever written
 * (*hwp), and the same less the pages on LMDB's free list, which later
 * commits reuse (the return value).
 */
static size_t
raw_used(const char *dir, size_t *hwp)
{
	MDB_env *env = raw_open(dir);
	MDB_cursor *cur;
	MDB_envinfo info;
	MDB_txn *txn;
	MDB_stat ms;
	MDB_val key, val;
	size_t nfree = 0, hw, pgno;

	assert_int_equal(mdb_env_info(env, &info), 0);
	assert_int_equal(mdb_env_stat(env, &ms), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	/* DBI 0 is LMDB's free list: each value counts its pages first. */
	assert_int_equal(mdb_cursor_open(txn, 0, &cur), 0);
	while (mdb_cursor_get(cur, &key, &val, MDB_NEXT) == 0) {
		assert_true(val.mv_size >= sizeof(pgno));
		memcpy(&pgno, val.mv_data, sizeof(pgno));
		nfree += pgno;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);

	hw = (info.me_last_pgno + 1) * ms.ms_psize;
	if (hwp != NULL)
		*hwp = hw;
	return hw - nfree * ms.ms_psize;
}

static void
test_treg_store_open_creates_directory(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st;
	struct stat sb;
	char deep[160];

	snprintf(deep, sizeof(deep), "%s/a/b/c", f->dir);

	st = treg_store_open(deep);

	assert_non_null(st);
	assert_int_equal(stat(deep, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	treg_store_close(st);
}

static void
test_treg_store_open_file_in_the_way(void **state)
{
	struct fixture *f = *state;
	FILE *fp;

	fp = fopen(f->sub, "w");
	assert_non_null(fp);
	fclose(fp);

	assert_null(treg_store_open(f->sub));
}

static void
test_treg_store_close_null(void **state)
{
	treg_store_close(NULL);
}

static void
test_treg_store_get_url_missing(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state s;

	assert_non_null(st);

	assert_int_equal(treg_store_get_url(st, "https://a.test/", &s),
	    -ENOENT);

	assert_null(s.etag);
	treg_store_close(st);
}

static void
test_treg_store_put_url_round_trip(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in, out;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	in.etag = "\"abc\"";
	in.last_modified = "Tue, 01 Jul 2025 10:00:00 GMT";
	in.final_url = "https://b.test/final";
	in.detail = "moved";
	in.last_fetch = -5;
	in.next_due = INT64_MAX;
	in.first_failure = 1700000000;
	in.failures = 4000000000u;
	in.last_status = 503;
	in.last_error = 7;

	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	assert_int_equal(treg_store_commit(st), 0);
	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out), 0);

	assert_string_equal(out.etag, in.etag);
	assert_string_equal(out.last_modified, in.last_modified);
	assert_string_equal(out.final_url, in.final_url);
	assert_string_equal(out.detail, in.detail);
	assert_true(out.last_fetch == -5);
	assert_true(out.next_due == INT64_MAX);
	assert_true(out.first_failure == 1700000000);
	assert_int_equal(out.failures, 4000000000u);
	assert_int_equal(out.last_status, 503);
	assert_int_equal(out.last_error, 7);
	treg_store_url_cleanup(&out);
	treg_store_close(st);
}

static void
test_treg_store_put_url_null_and_empty_strings(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in, out;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	in.etag = "";
	in.last_status = 200;

	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out), 0);

	assert_string_equal(out.etag, "");
	assert_null(out.last_modified);
	assert_null(out.final_url);
	assert_null(out.detail);
	assert_int_equal(out.last_status, 200);
	treg_store_url_cleanup(&out);
	treg_store_close(st);
}

static void
test_treg_store_put_url_long_strings_and_urls(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in, out;
	char *detail, url1[2100], url2[2100];

	assert_non_null(st);
	detail = malloc(200001);
	assert_non_null(detail);
	memset(detail, 'd', 200000);
	detail[200000] = '\0';
	/* Past LMDB's 511-byte keys, and equal for the first 2000 bytes. */
	memset(url1, 'x', sizeof(url1));
	memcpy(url1, "https://a.test/", 15);
	strcpy(url1 + 2000, "?one");
	memcpy(url2, url1, sizeof(url2));
	strcpy(url2 + 2000, "?two");
	memset(&in, 0, sizeof(in));
	in.detail = detail;
	in.last_status = 1;

	assert_int_equal(treg_store_put_url(st, url1, &in), 0);
	in.detail = NULL;
	in.last_status = 2;
	assert_int_equal(treg_store_put_url(st, url2, &in), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_get_url(st, url1, &out), 0);
	assert_int_equal(out.last_status, 1);
	assert_string_equal(out.detail, detail);
	treg_store_url_cleanup(&out);
	assert_int_equal(treg_store_get_url(st, url2, &out), 0);
	assert_int_equal(out.last_status, 2);
	assert_null(out.detail);
	treg_store_url_cleanup(&out);
	url2[2001] = 'z';
	assert_int_equal(treg_store_get_url(st, url2, &out), -ENOENT);
	free(detail);
	treg_store_close(st);
}

static void
test_treg_store_put_url_overwrites(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in, out;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	in.etag = "old";
	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	assert_int_equal(treg_store_commit(st), 0);
	in.etag = NULL;
	in.failures = 3;

	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out), 0);
	assert_null(out.etag);
	assert_int_equal(out.failures, 3);
	treg_store_url_cleanup(&out);
	treg_store_close(st);
}

static void
test_treg_store_put_url_empty_url(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));

	assert_int_equal(treg_store_put_url(st, "", &in), -EINVAL);

	assert_int_equal(treg_store_commit(st), 0);
	treg_store_close(st);
}

static void
test_treg_store_list_observations_time_order(void **state)
{
	static const char *const urls[] = {
		"https://a.test/", "https://b.test/", "https://c.test/",
	};
	static const int64_t times[] = { 500, -20, 100, 300, 100, 200 };
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_observation o, *got = NULL;
	size_t i, u, n = 0;

	assert_non_null(st);
	for (i = 0; i < 6; i++) {
		for (u = 0; u < 3; u++) {
			o = make_obs(times[i] + (int64_t)u, i % 2 ? DIGEST_A :
			    "");
			/* Two fetches in one second are both kept. */
			o.status = (uint16_t)(200 + i);
			assert_int_equal(treg_store_add_observation(st,
			    urls[u], &o), 0);
		}
		if (i == 2)
			assert_int_equal(treg_store_commit(st), 0);
	}
	assert_int_equal(treg_store_commit(st), 0);

	for (u = 0; u < 3; u++) {
		assert_int_equal(treg_store_list_observations(st, urls[u],
		    &got, &n), 0);

		assert_int_equal(n, 6);
		assert_true(got[0].at == -20 + (int64_t)u);
		assert_true(got[1].at == 100 + (int64_t)u);
		assert_true(got[2].at == 100 + (int64_t)u);
		assert_int_equal(got[1].status, 202);
		assert_int_equal(got[2].status, 204);
		assert_true(got[3].at == 200 + (int64_t)u);
		assert_true(got[5].at == 500 + (int64_t)u);
		assert_string_equal(got[0].digest, DIGEST_A);
		assert_string_equal(got[5].digest, "");
		assert_int_equal(got[0].words, 1234);
		assert_int_equal(got[0].flags, TREG_OBS_REDIRECTED);
		assert_true(got[0].simhash ==
		    (0x0123456789abcdefULL ^ (uint64_t)(-20 + (int64_t)u)));
		free(got);
	}
	treg_store_close(st);
}

static void
test_treg_store_list_observations_prefix_urls(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_observation o, *got = NULL;
	size_t n = 0;

	assert_non_null(st);
	o = make_obs(10, DIGEST_A);
	assert_int_equal(treg_store_add_observation(st, "https://a.test/b",
	    &o), 0);
	o = make_obs(20, DIGEST_B);
	assert_int_equal(treg_store_add_observation(st, "https://a.test/",
	    &o), 0);
	o = make_obs(30, DIGEST_B);
	assert_int_equal(treg_store_add_observation(st, "https://a.test/bc",
	    &o), 0);

	assert_int_equal(treg_store_list_observations(st, "https://a.test/b",
	    &got, &n), 0);

	assert_int_equal(n, 1);
	assert_true(got[0].at == 10);
	assert_string_equal(got[0].digest, DIGEST_A);
	free(got);
	treg_store_close(st);
}

static void
test_treg_store_list_observations_none(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_observation *got = (void *)1;
	struct treg_url_state in;
	size_t n = 7;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	assert_int_equal(treg_store_put_url(st, "https://known.test/", &in),
	    0);

	assert_int_equal(treg_store_list_observations(st,
	    "https://unknown.test/", &got, &n), 0);
	assert_null(got);
	assert_int_equal(n, 0);
	assert_int_equal(treg_store_list_observations(st,
	    "https://known.test/", &got, &n), 0);
	assert_null(got);
	assert_int_equal(n, 0);
	treg_store_close(st);
}

static void
test_treg_store_add_observation_bad_digest(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_observation o = make_obs(1, DIGEST_A);

	assert_non_null(st);
	o.digest[10] = 'G';

	assert_int_equal(treg_store_add_observation(st, "https://a.test/",
	    &o), -EINVAL);

	assert_int_equal(treg_store_commit(st), 0);
	treg_store_close(st);
}

static void
test_treg_store_add_observation_growth_small(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st;
	struct treg_observation o, *got = NULL;
	size_t before, after, hw0, hw1, n = 0;
	double per;
	int i;

	st = treg_store_open(f->sub);
	assert_non_null(st);
	o = make_obs(1000, DIGEST_A);
	assert_int_equal(treg_store_add_observation(st, "https://a.test/",
	    &o), 0);
	treg_store_close(st);
	before = raw_used(f->sub, &hw0);

	/* One durable commit per observation, as a daemon cycle does. */
	st = treg_store_open(f->sub);
	assert_non_null(st);
	for (i = 1; i <= 1000; i++) {
		o = make_obs(1000 + (int64_t)i * 3600, DIGEST_A);
		assert_int_equal(treg_store_add_observation(st,
		    "https://a.test/", &o), 0);
		assert_int_equal(treg_store_commit(st), 0);
	}
	assert_int_equal(treg_store_list_observations(st, "https://a.test/",
	    &got, &n), 0);
	free(got);
	treg_store_close(st);
	after = raw_used(f->sub, &hw1);

	per = (double)(after - before) / 1000.0;
	print_message("bytes per unchanged observation: %.1f live, %.1f "
	    "counting free pages\n", per, (double)(hw1 - hw0) / 1000.0);
	assert_int_equal(n, 1001);
	assert_true(per < 100.0);
}

static void
test_treg_store_put_text_compresses(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st;
	size_t before, after, len = 1 << 20, got_len = 0;
	char *text, *got = NULL;
	size_t i;

	text = malloc(len);
	assert_non_null(text);
	for (i = 0; i < len; i++)
		text[i] = "The provider retains prompts for 30 days. "[i % 42];
	st = treg_store_open(f->sub);
	assert_non_null(st);
	treg_store_close(st);
	before = raw_used(f->sub, NULL);

	st = treg_store_open(f->sub);
	assert_non_null(st);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, text, len), 0);
	assert_int_equal(treg_store_commit(st), 0);
	treg_store_close(st);
	after = raw_used(f->sub, NULL);

	st = treg_store_open(f->sub);
	assert_non_null(st);
	assert_int_equal(treg_store_get_text(st, DIGEST_A, &got, &got_len), 0);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, text, len);
	assert_int_equal(got[len], '\0');
	print_message("1 MiB repetitive text took %zu bytes\n",
	    after - before);
	assert_true(after - before < 64 * 1024);
	free(got);
	free(text);
	treg_store_close(st);
}

static void
test_treg_store_put_text_dedupes(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	char *got = NULL;
	size_t len = 0;

	assert_non_null(st);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, "first", 5), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_put_text(st, DIGEST_A, "second", 6), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_get_text(st, DIGEST_A, &got, &len), 0);
	assert_string_equal(got, "first");
	assert_int_equal(len, 5);
	free(got);
	treg_store_close(st);
}

static void
test_treg_store_put_text_incompressible_and_empty(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	unsigned int seed = 42;
	char text[65536], *got = NULL;
	size_t i, len = 0;

	assert_non_null(st);
	for (i = 0; i < sizeof(text); i++)
		text[i] = (char)(rand_r(&seed) & 0xff);

	assert_int_equal(treg_store_put_text(st, DIGEST_A, text,
	    sizeof(text)), 0);
	assert_int_equal(treg_store_put_text(st, DIGEST_B, "", 0), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_get_text(st, DIGEST_A, &got, &len), 0);
	assert_int_equal(len, sizeof(text));
	assert_memory_equal(got, text, sizeof(text));
	free(got);
	assert_int_equal(treg_store_get_text(st, DIGEST_B, &got, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(got, "");
	free(got);
	treg_store_close(st);
}

static void
test_treg_store_get_text_missing(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	char *got = NULL;
	size_t len = 0;

	assert_non_null(st);

	assert_int_equal(treg_store_get_text(st, DIGEST_B, &got, &len),
	    -ENOENT);

	assert_null(got);
	treg_store_close(st);
}

static void
test_treg_store_get_text_bad_digest(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	char *got = NULL;
	size_t len = 0;

	assert_non_null(st);

	assert_int_equal(treg_store_get_text(st, "abc", &got, &len), -EINVAL);
	assert_int_equal(treg_store_put_text(st, "", "x", 1), -EINVAL);

	assert_null(got);
	treg_store_close(st);
}

static void
test_treg_store_get_cell_round_trip(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	char *got = NULL;
	size_t len = 0;

	assert_non_null(st);

	assert_int_equal(treg_store_put_cell(st, "acme-chat/retention",
	    "v\0x", 3), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_get_cell(st, "acme-chat/retention", &got,
	    &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(got, "v\0x", 4);
	free(got);
	assert_int_equal(treg_store_get_cell(st, "acme-chat/training", &got,
	    &len), -ENOENT);
	assert_int_equal(treg_store_put_cell(st, "", "x", 1), -EINVAL);
	treg_store_close(st);
}

struct cells_seen {
	char	 keys[8][64];
	int	 n;
	int	 stop_at;
};

static int
cell_cb(void *arg, const char *key, const char *data, size_t len)
{
	struct cells_seen *seen = arg;

	snprintf(seen->keys[seen->n], sizeof(seen->keys[0]), "%s=%.*s", key,
	    (int)len, data);
	seen->n++;
	return seen->n == seen->stop_at ? 42 : 0;
}

static void
test_treg_store_foreach_cell_key_order(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct cells_seen seen;

	assert_non_null(st);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(treg_store_put_cell(st, "b/x", "2", 1), 0);
	assert_int_equal(treg_store_put_cell(st, "a/y", "1", 1), 0);
	assert_int_equal(treg_store_commit(st), 0);
	assert_int_equal(treg_store_put_cell(st, "c/z", "3", 1), 0);

	/* Inside the batch: the uncommitted cell shows too. */
	assert_int_equal(treg_store_foreach_cell(st, cell_cb, &seen), 0);

	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.keys[0], "a/y=1");
	assert_string_equal(seen.keys[1], "b/x=2");
	assert_string_equal(seen.keys[2], "c/z=3");
	treg_store_close(st);
}

static int
count_cb(void *arg, const char *key, const char *data, size_t len)
{
	size_t *seen = arg;
	char want[16];

	/* Every key once, in order. */
	snprintf(want, sizeof(want), "o/%04zu", *seen);
	assert_string_equal(key, want);
	assert_int_equal(len, 1);
	(*seen)++;
	return 0;
}

static void
test_treg_store_foreach_cell_many_batches(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	char key[16];
	size_t i, seen = 0;

	assert_non_null(st);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "o/%04zu", i);
		assert_int_equal(treg_store_put_cell(st, key, "x", 1), 0);
	}
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_foreach_cell(st, count_cb, &seen), 0);

	assert_int_equal(seen, 1000);
	treg_store_close(st);
}

/* Stores a verdict of offering "o" for cell at registry position
 * order, as judging does. */
static void
put_verdict(struct treg_store *st, const char *cell, uint32_t order)
{
	struct treg_verdict v;
	char key[32], *json = NULL;

	memset(&v, 0, sizeof(v));
	v.offering = (char *)"o";
	v.cell = (char *)cell;
	v.order = order;
	assert_int_equal(treg_report_verdict_to_json(&v, &json), 0);
	snprintf(key, sizeof(key), "o/%s", cell);
	assert_int_equal(treg_store_put_cell(st, key, json, strlen(json)), 0);
	free(json);
}

static int
verdict_cb(void *arg, const struct treg_verdict *v)
{
	strcat(arg, v->cell);
	return 0;
}

static void
test_treg_crawl_each_stored_registry_order(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	char order[16] = "";
	size_t n = 0;
	int rc;

	assert_non_null(st);
	put_verdict(st, "b", 3);
	put_verdict(st, "z", 0);
	put_verdict(st, "a", 0);
	put_verdict(st, "c", 1);
	assert_int_equal(treg_store_put_cell(st, "o/bad", "{", 1), 0);
	assert_int_equal(treg_store_commit(st), 0);

	rc = treg_crawl_each_stored(st, verdict_cb, order, &n);

	/* By position, unknown ones last by key; the unreadable skipped. */
	assert_int_equal(rc, 0);
	assert_int_equal(n, 4);
	assert_string_equal(order, "cbaz");
	treg_store_close(st);
}

static void
test_treg_store_foreach_cell_early_stop(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct cells_seen seen;

	assert_non_null(st);
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 2;
	assert_int_equal(treg_store_put_cell(st, "a", "1", 1), 0);
	assert_int_equal(treg_store_put_cell(st, "b", "2", 1), 0);
	assert_int_equal(treg_store_put_cell(st, "c", "3", 1), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_foreach_cell(st, cell_cb, &seen), 42);

	assert_int_equal(seen.n, 2);
	treg_store_close(st);
}

static int
rewrite_cb(void *arg, const char *key, const char *data, size_t len)
{
	return treg_store_put_cell(arg, key, "new", 3);
}

static void
test_treg_store_foreach_cell_callback_writes(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	char *got = NULL;
	size_t len = 0;

	assert_non_null(st);
	assert_int_equal(treg_store_put_cell(st, "a", "old", 3), 0);
	assert_int_equal(treg_store_put_cell(st, "b", "old", 3), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_foreach_cell(st, rewrite_cb, st), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_get_cell(st, "b", &got, &len), 0);
	assert_string_equal(got, "new");
	free(got);
	treg_store_close(st);
}

static void
test_treg_store_abort_drops_batch(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in, out;
	char *got = NULL;
	size_t len = 0;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	assert_int_equal(treg_store_begin(st), 0);
	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	assert_int_equal(treg_store_put_cell(st, "k", "v", 1), 0);

	treg_store_abort(st);

	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out),
	    -ENOENT);
	assert_int_equal(treg_store_get_cell(st, "k", &got, &len), -ENOENT);
	treg_store_abort(st);
	assert_int_equal(treg_store_commit(st), 0);
	treg_store_close(st);
}

static void
test_treg_store_begin_reads_see_batch(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_observation o = make_obs(5, DIGEST_A), *got = NULL;
	struct treg_url_state in, out;
	char *text = NULL;
	size_t n = 0, len = 0;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	in.etag = "e";

	assert_int_equal(treg_store_begin(st), 0);
	assert_int_equal(treg_store_begin(st), 0);
	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	assert_int_equal(treg_store_add_observation(st, "https://a.test/",
	    &o), 0);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, "hello", 5), 0);

	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out), 0);
	assert_string_equal(out.etag, "e");
	treg_store_url_cleanup(&out);
	assert_int_equal(treg_store_list_observations(st, "https://a.test/",
	    &got, &n), 0);
	assert_int_equal(n, 1);
	free(got);
	assert_int_equal(treg_store_get_text(st, DIGEST_A, &text, &len), 0);
	assert_string_equal(text, "hello");
	free(text);
	treg_store_close(st);
}

static void
test_treg_store_open_reopen_keeps_everything(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_observation o = make_obs(5, DIGEST_A), *got = NULL;
	struct treg_url_state in, out;
	char *text = NULL, *cell = NULL;
	size_t n = 0, len = 0;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	in.last_modified = "lm";
	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	assert_int_equal(treg_store_add_observation(st, "https://a.test/",
	    &o), 0);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, "hello", 5), 0);
	assert_int_equal(treg_store_put_cell(st, "o/c", "d", 1), 0);
	/* Close commits the open batch. */
	treg_store_close(st);

	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out), 0);
	assert_string_equal(out.last_modified, "lm");
	treg_store_url_cleanup(&out);
	assert_int_equal(treg_store_list_observations(st, "https://a.test/",
	    &got, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].digest, DIGEST_A);
	free(got);
	assert_int_equal(treg_store_get_text(st, DIGEST_A, &text, &len), 0);
	assert_string_equal(text, "hello");
	free(text);
	assert_int_equal(treg_store_get_cell(st, "o/c", &cell, &len), 0);
	assert_string_equal(cell, "d");
	free(cell);
	/* New URLs after a reopen get ids of their own. */
	o.at = 6;
	assert_int_equal(treg_store_add_observation(st, "https://b.test/",
	    &o), 0);
	assert_int_equal(treg_store_list_observations(st, "https://a.test/",
	    &got, &n), 0);
	assert_int_equal(n, 1);
	free(got);
	treg_store_close(st);
}

static void
test_treg_store_open_newer_schema_fails(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	unsigned char v[4] = { TREG_STORE_SCHEMA + 1, 0, 0, 0 };
	MDB_val key = { 6, "schema" }, val = { 4, v };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_non_null(st);
	treg_store_close(st);
	env = raw_open(f->sub);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	st = treg_store_open(f->sub);

	assert_null(st);
}

static void
test_treg_store_open_with_mapsize_grows(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st;
	struct treg_observation *got = NULL;
	char digest[TREG_SHA256_HEXLEN + 1], *text, *back = NULL;
	unsigned int seed = 7;
	size_t i, n = 0, len = 0;
	int rc, tries;

	text = malloc(300000);
	assert_non_null(text);
	for (i = 0; i < 300000; i++)
		text[i] = (char)(rand_r(&seed) & 0xff);
	st = treg_store_open_with_mapsize(f->sub, 64 * 1024);
	assert_non_null(st);

	/* Many small batches: grown ahead of need, never an error. */
	for (i = 0; i < 40; i++) {
		snprintf(digest, sizeof(digest), "%064zx", i);
		assert_int_equal(treg_store_put_text(st, digest,
		    text + i * 7000, 7000), 0);
		assert_int_equal(treg_store_commit(st), 0);
	}
	/* One batch far bigger than the map: the first put of a batch is
	 * retried transparently; a later one loses the batch. */
	for (tries = 0; tries < 10; tries++) {
		rc = treg_store_put_text(st, DIGEST_A, text, 300000);
		if (rc == 0)
			rc = treg_store_put_text(st, DIGEST_B, text + 1,
			    299999);
		if (rc == 0)
			rc = treg_store_commit(st);
		else
			assert_int_equal(treg_store_commit(st), rc);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOSPC);
	}
	treg_store_close(st);

	st = treg_store_open_with_mapsize(f->sub, 64 * 1024);
	assert_non_null(st);
	assert_int_equal(rc, 0);
	assert_int_equal(treg_store_get_text(st, DIGEST_B, &back, &len), 0);
	assert_int_equal(len, 299999);
	assert_memory_equal(back, text + 1, len);
	free(back);
	snprintf(digest, sizeof(digest), "%064zx", (size_t)39);
	assert_int_equal(treg_store_get_text(st, digest, &back, &len), 0);
	assert_memory_equal(back, text + 39 * 7000, 7000);
	free(back);
	assert_int_equal(treg_store_list_observations(st, "https://a.test/",
	    &got, &n), 0);
	assert_int_equal(n, 0);
	free(text);
	treg_store_close(st);
}

static void
test_treg_store_put_url_map_full_mid_batch(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st;
	struct treg_url_state in, out;
	char *text;
	size_t i;
	unsigned int seed = 9;
	int rc;

	text = malloc(400000);
	assert_non_null(text);
	for (i = 0; i < 400000; i++)
		text[i] = (char)(rand_r(&seed) & 0xff);
	st = treg_store_open_with_mapsize(f->sub, 64 * 1024);
	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	assert_int_equal(treg_store_put_url(st, "https://kept.test/", &in), 0);
	assert_int_equal(treg_store_commit(st), 0);

	assert_int_equal(treg_store_put_url(st, "https://lost.test/", &in), 0);
	rc = treg_store_put_text(st, DIGEST_A, text, 400000);

	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(treg_store_put_url(st, "https://c.test/", &in),
	    -ENOSPC);
	assert_int_equal(treg_store_commit(st), -ENOSPC);
	assert_int_equal(treg_store_get_url(st, "https://lost.test/", &out),
	    -ENOENT);
	assert_int_equal(treg_store_get_url(st, "https://kept.test/", &out),
	    0);
	treg_store_url_cleanup(&out);
	/* Redoing the batch on the grown map works. */
	assert_int_equal(treg_store_put_url(st, "https://lost.test/", &in), 0);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, text, 400000), 0);
	assert_int_equal(treg_store_commit(st), 0);
	free(text);
	treg_store_close(st);
}

static void
test_treg_store_get_url_corrupt_record(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in, out;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	in.etag = "e";
	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	treg_store_close(st);
	raw_corrupt(f->sub, "url");
	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out),
	    -EINVAL);

	assert_null(out.etag);
	treg_store_close(st);
}

static void
test_treg_store_get_text_corrupt_record(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_observation *got = NULL;
	char *text = NULL;
	size_t len = 0, n = 0;

	assert_non_null(st);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, "hello", 5), 0);
	treg_store_close(st);
	raw_corrupt(f->sub, "text");
	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_get_text(st, DIGEST_A, &text, &len),
	    -EINVAL);

	assert_null(text);
	assert_int_equal(treg_store_list_observations(st, "https://a.test/",
	    &got, &n), 0);
	treg_store_close(st);
}

static void
test_treg_store_put_text_file_round_trip(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	size_t len = 200000, i, got_len = 0;
	char *body, *got = NULL;
	FILE *fp;

	body = malloc(len);
	assert_non_null(body);
	for (i = 0; i < len; i++)
		body[i] = "<p>raw body bytes</p>\n"[i % 22];
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(fwrite(body, 1, len, fp), len);
	assert_non_null(st);

	assert_int_equal(treg_store_put_text_file(st, DIGEST_A, fp, len), 0);
	assert_int_equal(treg_store_put_text_file(st, DIGEST_B, fp, len + 1),
	    -EIO);

	assert_int_equal(treg_store_get_text(st, DIGEST_A, &got, &got_len),
	    0);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, body, len);
	free(got);
	got = NULL;
	assert_int_equal(treg_store_get_text(st, DIGEST_B, &got, &got_len),
	    -ENOENT);
	fclose(fp);
	free(body);
	treg_store_close(st);
}

/* A copy of the text record of hex digest, read past the store (which
 * must be closed); *lenp is its length. */
static unsigned char *
raw_text_record(const char *dir, const char *digest, size_t *lenp)
{
	MDB_env *env = raw_open(dir);
	unsigned char raw[TREG_SHA256_LEN], *rec;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key, val;

	assert_int_equal(treg_sha256_unhex(digest, raw), 0);
	key.mv_data = raw;
	key.mv_size = sizeof(raw);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "text", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	rec = malloc(val.mv_size);
	assert_non_null(rec);
	memcpy(rec, val.mv_data, val.mv_size);
	*lenp = val.mv_size;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return rec;
}

/*
 * A spilled body (still partly in the stdio buffer) is compressed from a
 * mapping into the very record its bytes from memory make, compressed
 * or, when they do not shrink, raw; past the mapping bound it streams
 * and still reads back whole.
 */
static void
test_treg_store_put_text_file_same_record_as_memory(void **state)
{
	static const char *const digests[2][2] = {
		{ DIGEST_A, DIGEST_B },
		{ "00112233445566778899aabbccddeeff"
		  "00112233445566778899aabbccddeeff",
		  "ffeeddccbbaa99887766554433221100"
		  "ffeeddccbbaa99887766554433221100" },
	};
	static const char big[] =
	    "0000000000000000000000000000000000000000000000000000000000000001";
	struct fixture *f = *state;
	struct treg_store *st;
	unsigned char *rec_mem, *rec_file;
	size_t len, i, mem_len, file_len, got_len = 0;
	unsigned int seed = 5;
	char *body, *got = NULL;
	int round;
	FILE *fp;

	for (round = 0; round < 2; round++) {
		len = round == 0 ? 300001 : 70000;
		body = malloc(len);
		assert_non_null(body);
		for (i = 0; i < len; i++)
			body[i] = round == 0 ?
			    "<li>spilled page</li>\n"[i % 22] :
			    (char)(rand_r(&seed) & 0xff);
		fp = tmpfile();
		assert_non_null(fp);
		assert_int_equal(fwrite(body, 1, len, fp), len);
		st = treg_store_open(f->sub);
		assert_non_null(st);

		assert_int_equal(treg_store_put_text(st, digests[round][0],
		    body, len), 0);
		assert_int_equal(treg_store_put_text_file(st,
		    digests[round][1], fp, len), 0);
		assert_int_equal(treg_store_commit(st), 0);
		treg_store_close(st);

		rec_mem = raw_text_record(f->sub, digests[round][0], &mem_len);
		rec_file = raw_text_record(f->sub, digests[round][1],
		    &file_len);
		assert_int_equal(file_len, mem_len);
		assert_memory_equal(rec_file, rec_mem, mem_len);
		/* Method 2 (zstd) for the page, 0 (raw) for the noise. */
		assert_int_equal(rec_file[1], round == 0 ? 2 : 0);
		free(rec_mem);
		free(rec_file);
		fclose(fp);
		free(body);
	}

	len = TREG_DIGEST_MAP_MAX + 1;
	body = malloc(len);
	assert_non_null(body);
	for (i = 0; i < len; i++)
		body[i] = "<p>over the bound</p>\n"[i % 22];
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(fwrite(body, 1, len, fp), len);
	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_put_text_file(st, big, fp, len), 0);

	assert_int_equal(treg_store_get_text(st, big, &got, &got_len), 0);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, body, len);
	free(got);
	fclose(fp);
	free(body);
	treg_store_close(st);
}

static void
test_treg_store_get_text_zlib_record(void **state)
{
	struct fixture *f = *state;
	static const char old[] = "a text kept by an older store, "
	    "a text kept by an older store";
	unsigned char rec[256];
	size_t reclen;
	struct treg_store *st = treg_store_open(f->sub);
	char *text = NULL;
	size_t len = 0;

	assert_non_null(st);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, "x", 1), 0);
	treg_store_close(st);
	reclen = zlib_record(old, sizeof(old) - 1, rec, sizeof(rec));
	raw_set(f->sub, "text", rec, reclen);
	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_get_text(st, DIGEST_A, &text, &len), 0);

	assert_int_equal(len, sizeof(old) - 1);
	assert_string_equal(text, old);
	free(text);
	treg_store_close(st);
}

static void
test_treg_store_get_text_damaged_length(void **state)
{
	struct fixture *f = *state;
	char *text = NULL, big[4096];
	size_t len = 0;
	struct treg_store *st = treg_store_open(f->sub);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val key, val;
	unsigned char rec[4096];

	/* A compressible text is stored zstd-compressed; its recorded
	 * length is then made to lie. */
	memset(big, 'a', sizeof(big));
	assert_non_null(st);
	assert_int_equal(treg_store_put_text(st, DIGEST_A, big, sizeof(big)),
	    0);
	treg_store_close(st);
	env = raw_open(f->sub);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "text", 0, &dbi), 0);
	assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
	assert_int_equal(mdb_cursor_get(cur, &key, &val, MDB_FIRST), 0);
	assert_true(val.mv_size < sizeof(rec));
	memcpy(rec, val.mv_data, val.mv_size);
	len = val.mv_size;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	assert_int_equal(rec[1], 2);
	rec[7] = 0x40;			/* about 2^54 bytes */
	raw_set(f->sub, "text", rec, len);
	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_get_text(st, DIGEST_A, &text, &len),
	    -EINVAL);

	assert_null(text);
	treg_store_close(st);
}

static void
test_treg_store_get_url_corrupt_urlid(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st = treg_store_open(f->sub);
	struct treg_url_state in, out;

	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	assert_int_equal(treg_store_put_url(st, "https://a.test/", &in), 0);
	treg_store_close(st);
	raw_corrupt(f->sub, "urlid");
	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_get_url(st, "https://a.test/", &out),
	    -EINVAL);

	treg_store_close(st);
}

/* The child commits one batch, starts a second and dies in it. */
static void
crash_child(const char *dir)
{
	struct treg_store *st;
	struct treg_url_state in;
	struct treg_observation o = make_obs(1, DIGEST_A);
	char url[64];
	int i;

	memset(&in, 0, sizeof(in));
	st = treg_store_open(dir);
	if (st == NULL)
		_exit(2);
	if (treg_store_begin(st) != 0 ||
	    treg_store_put_url(st, "https://one.test/", &in) != 0 ||
	    treg_store_add_observation(st, "https://one.test/", &o) != 0 ||
	    treg_store_commit(st) != 0)
		_exit(3);

	if (treg_store_begin(st) != 0)
		_exit(4);
	for (i = 0; i < 500; i++) {
		snprintf(url, sizeof(url), "https://two.test/%d", i);
		if (treg_store_put_url(st, url, &in) != 0)
			_exit(5);
	}
	kill(getpid(), SIGKILL);
	_exit(6);
}

static void
test_treg_store_commit_survives_sigkill(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st;
	struct treg_url_state in, out;
	struct treg_observation *got = NULL;
	size_t n = 0;
	pid_t pid;
	int status = 0;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f->sub);

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	st = treg_store_open(f->sub);
	assert_non_null(st);

	assert_int_equal(treg_store_get_url(st, "https://one.test/", &out), 0);
	treg_store_url_cleanup(&out);
	assert_int_equal(treg_store_list_observations(st, "https://one.test/",
	    &got, &n), 0);
	assert_int_equal(n, 1);
	free(got);
	assert_int_equal(treg_store_get_url(st, "https://two.test/0", &out),
	    -ENOENT);
	/* The dead writer's lock is recovered. */
	memset(&in, 0, sizeof(in));
	assert_int_equal(treg_store_put_url(st, "https://three.test/", &in),
	    0);
	assert_int_equal(treg_store_commit(st), 0);
	treg_store_close(st);
}

/* A second process reads committed data while the first holds a batch. */
static void
test_treg_store_open_second_process_reads(void **state)
{
	struct fixture *f = *state;
	struct treg_store *st;
	struct treg_url_state in;
	int fds[2], status = 0;
	char c = 0;
	pid_t pid;

	/* Fork before the parent opens the store, so the child owns only
	 * what it opens itself and can release all of it (an inherited
	 * LMDB environment may be neither used nor closed after a fork). */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct treg_store *st2;
		struct treg_url_state out;

		if (read(fds[0], &c, 1) != 1)
			_exit(2);
		st2 = treg_store_open(f->sub);
		if (st2 == NULL)
			_exit(3);
		if (treg_store_get_url(st2, "https://old.test/", &out) != 0)
			_exit(4);
		treg_store_url_cleanup(&out);
		if (treg_store_get_url(st2, "https://new.test/", &out) !=
		    -ENOENT)
			_exit(5);
		treg_store_close(st2);
		_exit(0);
	}
	st = treg_store_open(f->sub);
	assert_non_null(st);
	memset(&in, 0, sizeof(in));
	assert_int_equal(treg_store_put_url(st, "https://old.test/", &in), 0);
	assert_int_equal(treg_store_commit(st), 0);
	assert_int_equal(treg_store_put_url(st, "https://new.test/", &in), 0);

	assert_int_equal(write(fds[1], &c, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(treg_store_commit(st), 0);
	close(fds[0]);
	close(fds[1]);
	treg_store_close(st);
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_treg_store_open_creates_directory),
		T(test_treg_store_open_file_in_the_way),
		T(test_treg_store_close_null),
		T(test_treg_store_get_url_missing),
		T(test_treg_store_put_url_round_trip),
		T(test_treg_store_put_url_null_and_empty_strings),
		T(test_treg_store_put_url_long_strings_and_urls),
		T(test_treg_store_put_url_overwrites),
		T(test_treg_store_put_url_empty_url),
		T(test_treg_store_list_observations_time_order),
		T(test_treg_store_list_observations_prefix_urls),
		T(test_treg_store_list_observations_none),
		T(test_treg_store_add_observation_bad_digest),
		T(test_treg_store_add_observation_growth_small),
		T(test_treg_store_put_text_compresses),
		T(test_treg_store_put_text_dedupes),
		T(test_treg_store_put_text_incompressible_and_empty),
		T(test_treg_store_get_text_missing),
		T(test_treg_store_get_text_bad_digest),
		T(test_treg_store_get_cell_round_trip),
		T(test_treg_store_foreach_cell_key_order),
		T(test_treg_store_foreach_cell_many_batches),
		T(test_treg_crawl_each_stored_registry_order),
		T(test_treg_store_foreach_cell_early_stop),
		T(test_treg_store_foreach_cell_callback_writes),
		T(test_treg_store_abort_drops_batch),
		T(test_treg_store_begin_reads_see_batch),
		T(test_treg_store_open_reopen_keeps_everything),
		T(test_treg_store_open_newer_schema_fails),
		T(test_treg_store_open_with_mapsize_grows),
		T(test_treg_store_put_url_map_full_mid_batch),
		T(test_treg_store_get_url_corrupt_record),
		T(test_treg_store_get_text_corrupt_record),
		T(test_treg_store_put_text_file_round_trip),
		T(test_treg_store_put_text_file_same_record_as_memory),
		T(test_treg_store_get_text_zlib_record),
		T(test_treg_store_get_text_damaged_length),
		T(test_treg_store_get_url_corrupt_urlid),
		T(test_treg_store_commit_survives_sigkill),
		T(test_treg_store_open_second_process_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
