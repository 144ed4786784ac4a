/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the evidence archive: records written by
 * treg_warc_append() are read back one by one through libarchive's WARC
 * reader with their target URIs and exact payloads; the encoding header
 * lines are renamed; and the reader copes with the real WARC samples of
 * the shared corpus, malformed ones included.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
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
#include <zlib.h>

#include "digest.h"
#include "warc.h"

#define DATE	INT64_C(1783296000)	/* 2026-07-06T00:00:00Z */

struct seen {
	char	*uri[8];
	char	*body[8];
	size_t	 len[8];
	char	*block[8];
	size_t	 n;
};

static int
collect_cb(void *arg, const char *uri, const char *block, size_t len)
{
	struct seen *s = arg;
	const char *body;
	size_t blen;

	if (s->n == 8)
		return 0;
	body = treg_warc_http_body(block, len, &blen);
	assert_non_null(body);
	s->uri[s->n] = strdup(uri);
	s->body[s->n] = malloc(blen + 1);
	assert_non_null(s->body[s->n]);
	memcpy(s->body[s->n], body, blen);
	s->len[s->n] = blen;
	s->block[s->n] = strndup(block, len);
	s->n++;
	return 0;
}

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->uri[i]);
		free(s->body[i]);
		free(s->block[i]);
	}
}

static void
append(const char *dir, const char *uri, const char *head,
    const char *body, size_t len)
{
	struct treg_warc_response r = {
		.target_uri = uri, .date = DATE,
		.http_head = head, .http_head_len = strlen(head),
		.payload = body, .payload_len = len,
	};

	assert_int_equal(treg_warc_append(dir, &r), 0);
}

static void
test_warc_append_read_back_record_by_record(void **state)
{
	static const char binary[] = "PDF\0\x01\x02 bytes\r\n\r\nafter";
	char dir[] = "/tmp/treg-warc-XXXXXX";
	char path[256];
	struct seen s = { 0 };
	size_t n = 0;

	assert_non_null(mkdtemp(dir));
	append(dir, "https://trustcenter.cohere.com/",
	    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	    "Content-Encoding: gzip\r\nContent-Length: 31\r\n\r\n",
	    "<p>We sign a BAA.</p>", 21);
	append(dir, "https://cohere.com/doc.pdf",
	    "HTTP/2 200\r\ncontent-type: application/pdf\r\n\r\n", binary,
	    sizeof(binary) - 1);
	append(dir, "https://cohere.com/empty",
	    "HTTP/1.1 200 OK\r\n\r\n", "", 0);
	snprintf(path, sizeof(path), "%s/2026-07-06.warc.gz", dir);

	assert_int_equal(treg_warc_read(path, collect_cb, &s, &n), 0);

	assert_int_equal(n, 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.uri[0], "https://trustcenter.cohere.com/");
	assert_int_equal(s.len[0], 21);
	assert_memory_equal(s.body[0], "<p>We sign a BAA.</p>", 21);
	assert_non_null(strstr(s.block[0],
	    "\r\nX-Treg-Original-Content-Encoding: gzip\r\n"));
	assert_non_null(strstr(s.block[0], "\r\nContent-Length: 21\r\n"));
	assert_string_equal(s.uri[1], "https://cohere.com/doc.pdf");
	assert_int_equal(s.len[1], sizeof(binary) - 1);
	assert_memory_equal(s.body[1], binary, sizeof(binary) - 1);
	assert_int_equal(s.len[2], 0);
	seen_free(&s);

	/* libarchive's own WARC reader sees the records whose URI does not
	 * end in '/', named by the URI's path, with the same payloads. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(treg_warc_read_archive(path, collect_cb, &s, &n),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(s.uri[0], "doc.pdf");
	assert_memory_equal(s.body[0], binary, sizeof(binary) - 1);
	assert_string_equal(s.uri[1], "empty");
	seen_free(&s);
	unlink(path);
	rmdir(dir);
}

static void
test_warc_append_payload_from_file(void **state)
{
	char dir[] = "/tmp/treg-warc-XXXXXX";
	char path[256], *big, *head;
	struct seen s = { 0 };
	size_t n = 0, len = 300000, i;
	FILE *fp;
	struct treg_warc_response r = {
		.target_uri = "https://example.test/big", .date = DATE,
		.http_head = "HTTP/1.1 200 OK\r\n\r\n",
		.http_head_len = 19,
	};

	/* A spilled body larger than any one read, with the caller's
	 * digest left out so that it is computed from the file. */
	assert_non_null(mkdtemp(dir));
	big = malloc(len);
	assert_non_null(big);
	for (i = 0; i < len; i++)
		big[i] = (char)("evidence text "[i % 14] + (i / 65536));
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(fwrite(big, 1, len, fp), len);
	r.payload_fp = fp;
	r.payload_len = len;
	snprintf(path, sizeof(path), "%s/2026-07-06.warc.gz", dir);

	assert_int_equal(treg_warc_append(dir, &r), 0);

	assert_int_equal(treg_warc_read(path, collect_cb, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s.len[0], len);
	assert_memory_equal(s.body[0], big, len);
	head = s.block[0];
	assert_non_null(strstr(head, "\r\nContent-Length: 300000\r\n"));
	seen_free(&s);

	/* The same body from memory reads back the same. */
	r.payload_fp = NULL;
	r.payload = big;
	assert_int_equal(treg_warc_append(dir, &r), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(treg_warc_read(path, collect_cb, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(s.body[1], big, len);
	seen_free(&s);
	fclose(fp);
	free(big);
	unlink(path);
	rmdir(dir);
}

/*
 * Inflates every gzip member of the file at path, each on its own, and
 * returns how many there are; each must hold one whole record, ending
 * with the record trailer.
 */
static size_t
gzip_members(const char *path)
{
	static unsigned char out[1 << 16];
	unsigned char *in, tail[4];
	size_t len, pos = 0, members = 0, outlen;
	struct stat sb;
	z_stream z;
	FILE *f;
	int zrc;

	assert_int_equal(stat(path, &sb), 0);
	len = (size_t)sb.st_size;
	in = malloc(len);
	assert_non_null(in);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(in, 1, len, f), len);
	fclose(f);

	while (pos < len) {
		memset(&z, 0, sizeof(z));
		assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
		z.next_in = in + pos;
		z.avail_in = (uInt)(len - pos);
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			zrc = inflate(&z, Z_NO_FLUSH);
			assert_true(zrc == Z_OK || zrc == Z_STREAM_END);
			outlen = sizeof(out) - z.avail_out;
			if (outlen >= 4)
				memcpy(tail, out + outlen - 4, 4);
		} while (zrc != Z_STREAM_END);
		assert_memory_equal(tail, "\r\n\r\n", 4);
		pos = len - z.avail_in;
		inflateEnd(&z);
		members++;
	}
	free(in);
	return members;
}

/*
 * Appends body as r's payload twice, spilled to a file and then from
 * memory, and checks that both records read back from path as body, with
 * the same HTTP block, one gzip member each; path is removed after.
 */
static void
append_spilled_and_in_memory(const char *dir, const char *path,
    struct treg_warc_response *r, const char *body, size_t len)
{
	struct seen s = { 0 };
	size_t n = 0, j;
	FILE *fp;

	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(fwrite(body, 1, len, fp), len);
	r->payload_len = len;
	r->payload = NULL;
	r->payload_fp = fp;
	assert_int_equal(treg_warc_append(dir, r), 0);
	r->payload = body;
	r->payload_fp = NULL;
	assert_int_equal(treg_warc_append(dir, r), 0);

	assert_int_equal(treg_warc_read(path, collect_cb, &s, &n), 0);
	assert_int_equal(n, 2);
	for (j = 0; j < 2; j++) {
		assert_int_equal(s.len[j], len);
		assert_memory_equal(s.body[j], body, len);
	}
	assert_string_equal(s.block[0], s.block[1]);
	assert_int_equal(gzip_members(path), 2);
	seen_free(&s);
	fclose(fp);
	unlink(path);
}

/*
 * A spilled body is compressed from a mapping with the record laid
 * around it; the body ending on a page, in a page's tail, or two bytes
 * short of one puts the trailer in each place the mapping can hold it.
 * Past the mapping bound the body streams through zlib instead.  Every
 * way reads back as the same body from memory does, one member each.
 */
static void
test_warc_append_spilled_same_as_memory(void **state)
{
	static const size_t lens[] = {
		65536, 300000, 3 * 4096 - 2, TREG_DIGEST_MAP_MAX + 3,
	};
	char dir[] = "/tmp/treg-warc-XXXXXX";
	char path[256], *body;
	size_t i, j, len;
	struct treg_warc_response r = {
		.target_uri = "https://example.test/spilled", .date = DATE,
		.http_head = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
	};

	r.http_head_len = strlen(r.http_head);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/2026-07-06.warc.gz", dir);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		body = malloc(len);
		assert_non_null(body);
		for (j = 0; j < len; j++)
			body[j] = (char)("<p>spilled body</p>\n"[j % 20] +
			    (j / 4093) % 3);
		append_spilled_and_in_memory(dir, path, &r, body, len);
		free(body);
	}
	rmdir(dir);
}

/*
 * Bytes that do not compress (a fixed pseudo-random run, as an image or
 * an already gzipped body would be) make the largest members: each
 * compressor must fit them in its bound, from memory and spilled, at
 * sizes on both sides of a 64 KiB stored block.
 */
static void
test_warc_append_incompressible(void **state)
{
	static const size_t lens[] = { 1, 65535, 65536, 200003, 1048576 };
	char dir[] = "/tmp/treg-warc-XXXXXX";
	char path[256], *body;
	size_t i, j, len;
	uint64_t x = 0x9e3779b97f4a7c15u;
	struct treg_warc_response r = {
		.target_uri = "https://example.test/noise.bin", .date = DATE,
		.http_head = "HTTP/1.1 200 OK\r\n\r\n",
	};

	r.http_head_len = strlen(r.http_head);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/2026-07-06.warc.gz", dir);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		body = malloc(len);
		assert_non_null(body);
		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			body[j] = (char)(x >> 56);
		}
		append_spilled_and_in_memory(dir, path, &r, body, len);
		free(body);
	}
	rmdir(dir);
}

static void
test_warc_append_failed_write_cut_off(void **state)
{
	char dir[] = "/tmp/treg-warc-XXXXXX";
	char path[256], *big;
	struct seen s = { 0 };
	struct stat before, after;
	struct rlimit lim;
	size_t n = 0, len = 1 << 20, i;
	uint32_t x = 1;
	struct treg_warc_response r = {
		.target_uri = "https://example.test/big", .date = DATE,
		.http_head = "HTTP/1.1 200 OK\r\n\r\n", .http_head_len = 19,
	};

	/* A body that does not compress, so its member is about 1 MiB,
	 * against a file size limit 64 KiB above the file: the write
	 * fails part-way, as on a full disk. */
	assert_non_null(mkdtemp(dir));
	append(dir, "https://example.test/first", "HTTP/1.1 200 OK\r\n\r\n",
	    "kept", 4);
	snprintf(path, sizeof(path), "%s/2026-07-06.warc.gz", dir);
	assert_int_equal(stat(path, &before), 0);
	big = malloc(len);
	assert_non_null(big);
	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)(x >> 24);
	}
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &lim), 0);
	lim.rlim_cur = (rlim_t)before.st_size + 65536;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r.payload = big;
	r.payload_len = len;

	assert_int_equal(treg_warc_append(dir, &r), -EFBIG);

	lim.rlim_cur = lim.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	append(dir, "https://example.test/later", "HTTP/1.1 200 OK\r\n\r\n",
	    "later", 5);
	assert_int_equal(treg_warc_read(path, collect_cb, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s.uri[1], "https://example.test/later");
	seen_free(&s);
	free(big);
	unlink(path);
	rmdir(dir);
}

static void
test_warc_append_one_gzip_member_per_record(void **state)
{
	char dir[] = "/tmp/treg-warc-XXXXXX";
	char path[256];
	unsigned char buf[8192];
	size_t len, i, members = 0;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	append(dir, "https://a.example/", "HTTP/1.1 200 OK\r\n\r\n", "a", 1);
	append(dir, "https://b.example/", "HTTP/1.1 200 OK\r\n\r\n", "b", 1);
	snprintf(path, sizeof(path), "%s/2026-07-06.warc.gz", dir);
	f = fopen(path, "rb");
	assert_non_null(f);

	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);

	/* Each member starts with the gzip magic and deflate method. */
	for (i = 0; i + 2 < len; i++)
		if (buf[i] == 0x1f && buf[i + 1] == 0x8b && buf[i + 2] == 8)
			members++;
	assert_int_equal(members, 2);
	assert_int_equal(buf[0], 0x1f);
	unlink(path);
	rmdir(dir);
}

static int
count_cb(void *arg, const char *uri, const char *block, size_t len)
{
	size_t *bodies = arg;
	size_t blen;

	if (treg_warc_http_body(block, len, &blen) != NULL)
		(*bodies)++;
	return 0;
}

static const char *
shared(void)
{
	const char *dir = getenv("TREG_SHARED");

	assert_non_null(dir);
	return dir;
}

static size_t
read_sample(const char *rel, int *rcp)
{
	char path[1024];
	size_t n = 0, bodies = 0;

	snprintf(path, sizeof(path), "%s/corpus/warc-samples/%s", shared(),
	    rel);
	assert_int_equal(access(path, R_OK), 0);
	*rcp = treg_warc_read(path, count_cb, &bodies, &n);
	return n;
}

static void
test_warc_read_corpus_samples(void **state)
{
	int rc;

	assert_true(read_sample("warcio/example.warc.gz", &rc) >= 1);
	assert_int_equal(rc, 0);
	assert_true(read_sample("warcio/example.warc", &rc) >= 1);
	assert_int_equal(rc, 0);
	assert_true(read_sample("pywb/iana.warc.gz", &rc) >= 48);
	assert_int_equal(rc, 0);
	assert_true(read_sample("pywb/example-wget-1-14.warc.gz", &rc) >= 1);
	assert_int_equal(rc, 0);
	assert_true(read_sample("libarchive/test_read_format_warc.warc",
	    &rc) >= 1);
	assert_int_equal(rc, 0);
}

static void
test_warc_read_malformed_samples_no_crash(void **state)
{
	static const char *const bad[] = {
		"warcio/example-trunc.warc",
		"warcio/example-bad.warc.gz.bad",
		"warcio/example-bad-non-chunked.warc.gz",
		"warcio/example.arc",
		"libarchive/test_read_format_warc_incomplete.warc",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)read_sample(bad[i], &rc);
		assert_true(rc == 0 || rc == -EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warc_append_read_back_record_by_record),
		cmocka_unit_test(test_warc_append_payload_from_file),
		cmocka_unit_test(test_warc_append_spilled_same_as_memory),
		cmocka_unit_test(test_warc_append_incompressible),
		cmocka_unit_test(test_warc_append_failed_write_cut_off),
		cmocka_unit_test(test_warc_append_one_gzip_member_per_record),
		cmocka_unit_test(test_warc_read_corpus_samples),
		cmocka_unit_test(test_warc_read_malformed_samples_no_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
