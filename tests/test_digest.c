/* SPDX-License-Identifier: MIT */
/* Unit tests for SHA-256 and the simhash fingerprint. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"
#include "normalize.h"

#define NWORDS	300

static const char sha_empty[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char sha_abc[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static uint32_t
next_rand(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

/*
 * Writes a text of n pseudo-random words drawn from a small vocabulary,
 * as prose repeats its words; the same seed gives the same text.
 */
static void
make_text(char *buf, size_t size, uint32_t seed, size_t n)
{
	static const char *vocab[] = {
		"the", "model", "data", "customer", "train", "may", "not",
		"use", "outputs", "terms", "policy", "we", "you", "retain",
		"days", "api", "safety", "review", "content", "provider",
		"license", "and", "or", "of", "to", "in", "for", "with", "by",
		"service", "request", "access", "delete", "store", "share",
		"third", "party", "enterprise", "zero", "logging",
	};
	const size_t nvocab = sizeof(vocab) / sizeof(vocab[0]);
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    i ? " " : "", vocab[next_rand(&seed) % nvocab]);
}

static uint64_t
simhash_of(const char *text)
{
	struct treg_simhash sh;

	treg_simhash_init(&sh);
	treg_simhash_add_text(&sh, text, strlen(text));
	return treg_simhash_value(&sh);
}

static void
test_treg_sha256_hex_of_known_vectors(void **state)
{
	char hex[TREG_SHA256_HEXLEN + 1];
	int rc;

	rc = treg_sha256_hex_of("", 0, hex);

	assert_int_equal(rc, 0);
	assert_string_equal(hex, sha_empty);

	rc = treg_sha256_hex_of("abc", 3, hex);

	assert_int_equal(rc, 0);
	assert_string_equal(hex, sha_abc);
}

static void
test_treg_sha256_final_known_vector(void **state)
{
	unsigned char digest[TREG_SHA256_LEN];
	char hex[TREG_SHA256_HEXLEN + 1];
	struct treg_sha256 *ctx;
	int rc;

	ctx = treg_sha256_new();
	assert_non_null(ctx);

	assert_int_equal(treg_sha256_update(ctx, "a", 1), 0);
	assert_int_equal(treg_sha256_update(ctx, "", 0), 0);
	assert_int_equal(treg_sha256_update(ctx, "bc", 2), 0);
	rc = treg_sha256_final(ctx, digest);
	treg_sha256_hex(digest, hex);

	assert_int_equal(rc, 0);
	assert_string_equal(hex, sha_abc);
	treg_sha256_free(ctx);
}

static void
test_treg_sha256_update_split_equals_one_shot(void **state)
{
	unsigned char data[10000], digest[TREG_SHA256_LEN];
	char want[TREG_SHA256_HEXLEN + 1], got[TREG_SHA256_HEXLEN + 1];
	struct treg_sha256 *ctx;
	uint32_t seed = 99;
	size_t i, pos, step;
	int round;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)next_rand(&seed);
	assert_int_equal(treg_sha256_hex_of(data, sizeof(data), want), 0);

	for (round = 0; round < 50; round++) {
		ctx = treg_sha256_new();
		assert_non_null(ctx);

		for (pos = 0; pos < sizeof(data); pos += step) {
			step = next_rand(&seed) % (size_t)(round * 40 + 2);
			if (step > sizeof(data) - pos)
				step = sizeof(data) - pos;
			assert_int_equal(treg_sha256_update(ctx, data + pos,
			    step), 0);
		}
		assert_int_equal(treg_sha256_final(ctx, digest), 0);
		treg_sha256_hex(digest, got);

		assert_string_equal(got, want);
		treg_sha256_free(ctx);
	}
}

static void
test_treg_sha256_update_after_final_refused(void **state)
{
	unsigned char digest[TREG_SHA256_LEN];
	struct treg_sha256 *ctx;
	int rc;

	ctx = treg_sha256_new();
	assert_non_null(ctx);
	assert_int_equal(treg_sha256_final(ctx, digest), 0);

	rc = treg_sha256_update(ctx, "x", 1);

	assert_int_equal(rc, -EIO);
	assert_int_equal(treg_sha256_final(ctx, digest), -EIO);
	treg_sha256_free(ctx);
}

static void
test_treg_sha256_free_null(void **state)
{
	treg_sha256_free(NULL);
}

static void
test_treg_simhash_distance_identical_zero(void **state)
{
	char text[4096];
	uint64_t a, b;

	make_text(text, sizeof(text), 1, NWORDS);

	a = simhash_of(text);
	b = simhash_of(text);

	assert_int_equal(treg_simhash_distance(a, b), 0);
	assert_true(a != 0);
}

static void
test_treg_simhash_distance_one_word_small(void **state)
{
	char text[4096], edited[4096 + 16];
	const char *mid;
	uint64_t a, b;
	int d;

	make_text(text, sizeof(text), 1, NWORDS);
	mid = strchr(text + strlen(text) / 2, ' ');
	assert_non_null(mid);
	snprintf(edited, sizeof(edited), "%.*s unexpectedly%s",
	    (int)(mid - text), text, strchr(mid + 1, ' '));

	a = simhash_of(text);
	b = simhash_of(edited);
	d = treg_simhash_distance(a, b);

	print_message("one-word edit: distance %d\n", d);
	assert_true(d > 0);
	assert_true(d <= 8);
}

static void
test_treg_simhash_distance_unrelated_large(void **state)
{
	char a_text[4096], b_text[4096];
	uint64_t a, b;
	int d;

	make_text(a_text, sizeof(a_text), 1, NWORDS);
	make_text(b_text, sizeof(b_text), 2, NWORDS);

	a = simhash_of(a_text);
	b = simhash_of(b_text);
	d = treg_simhash_distance(a, b);

	print_message("unrelated texts: distance %d\n", d);
	assert_true(d >= 20);
}

static void
test_treg_simhash_add_text_case_insensitive(void **state)
{
	char text[4096], upper[4096];
	size_t i;

	make_text(text, sizeof(text), 3, NWORDS);
	for (i = 0; text[i] != '\0'; i++)
		upper[i] = (char)(text[i] >= 'a' && text[i] <= 'z' ?
		    text[i] - 'a' + 'A' : text[i]);
	upper[i] = '\0';

	assert_int_equal(simhash_of(text), simhash_of(upper));
}

static void
test_treg_simhash_add_text_splits_as_words(void **state)
{
	struct treg_simhash sh;
	uint64_t by_word;

	treg_simhash_init(&sh);
	treg_simhash_add_word(&sh, "Cohere", 6);
	treg_simhash_add_word(&sh, "s", 1);
	treg_simhash_add_word(&sh, "model", 5);
	treg_simhash_add_word(&sh, "3", 1);
	by_word = treg_simhash_value(&sh);

	assert_int_equal(simhash_of("  Cohere's model-3!\n"), by_word);
}

static void
test_treg_simhash_value_short_text(void **state)
{
	uint64_t none, one, two, other;

	none = simhash_of(" ... ");
	one = simhash_of("hello");
	two = simhash_of("hello world");
	other = simhash_of("world hello");

	assert_int_equal(none, 0);
	assert_true(one != 0);
	assert_true(two != 0);
	assert_true(one != two);
	assert_true(two != other);
}

static void
test_treg_simhash_value_streamed_equals_whole(void **state)
{
	char text[4096];
	struct treg_simhash sh;
	size_t cut;

	make_text(text, sizeof(text), 4, NWORDS);
	cut = (size_t)(strchr(text + 100, ' ') - text);

	treg_simhash_init(&sh);
	treg_simhash_add_text(&sh, text, cut);
	treg_simhash_add_text(&sh, text + cut, strlen(text) - cut);

	assert_int_equal(treg_simhash_value(&sh), simhash_of(text));
}

static void
test_treg_simhash_add_text_counts_as_normalize(void **state)
{
	static const char text[] = "R\xc3\xa9sum\xc3\xa9 e\xcc\x81t\xc3\xa9 "
	    "\xe2\x80\x9cquoted\xe2\x80\x9d \xe6\x97\xa5\xe6\x9c\xac "
	    "\xcc\x81lone-mark x\xe2\x80\x8by 42";
	struct treg_simhash sh;
	size_t words;

	treg_simhash_init(&sh);
	words = treg_simhash_add_text(&sh, text, sizeof(text) - 1);

	assert_int_equal(words, treg_normalize_count_words(text,
	    sizeof(text) - 1));
	assert_int_equal(words, 8);
}

/*
 * Words of every length from one byte to several groups of eight, in
 * both cases, with digits, accented letters, marks and punctuation, and
 * texts cut at every length, so words end both well inside the buffer
 * and within eight bytes of its end: treg_simhash_add_text() must agree
 * with the words of treg_normalize_next_word() fed one by one.
 */
static void
test_treg_simhash_add_text_equals_word_by_word(void **state)
{
	static const char *const pieces[] = {
		"a", "Zy", "x9", "Terms", "policy", "PROVIDER", "retention",
		"confidentiality", "0123456789", "Subprocessors2024Q3",
		"caf\xc3\xa9", "\xc3\xa9t\xc3\xa9", "e\xcc\x81tude",
		"na\xc3\xafveDataProcessingAddendum", " ", "  ", "\n", ", ",
		"'s ", "-", "\xe2\x80\x94", "\xe6\x97\xa5\xe6\x9c\xac",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	struct treg_simhash a, b;
	char text[2048];
	size_t len, cut, pos, start, wlen, words, want;
	uint32_t seed = 17;
	int round;

	for (round = 0; round < 40; round++) {
		len = 0;
		while (len < sizeof(text) - 64)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "%s", pieces[next_rand(&seed) % npieces]);
		for (cut = len - 80; cut <= len; cut++) {
			treg_simhash_init(&a);
			treg_simhash_init(&b);
			pos = 0;
			want = 0;

			words = treg_simhash_add_text(&a, text, cut);
			while (treg_normalize_next_word(text, cut, &pos, &start,
			    &wlen)) {
				treg_simhash_add_word(&b, text + start, wlen);
				want++;
			}

			assert_int_equal(words, want);
			assert_int_equal(treg_simhash_value(&a),
			    treg_simhash_value(&b));
		}
	}
}

/* Past 255 shingles the byte lanes are folded into the totals; the value
 * must not depend on when that happened. */
static void
test_treg_simhash_value_long_text_folds_lanes(void **state)
{
	enum { LONG_WORDS = 3000 };
	static char text[LONG_WORDS * 12], edited[LONG_WORDS * 12 + 16];
	struct treg_simhash sh;
	size_t pos = 0, start, wlen, len;
	const char *mid;
	uint64_t a, b;
	int d;

	make_text(text, sizeof(text), 5, LONG_WORDS);
	len = strlen(text);
	mid = strchr(text + len / 2, ' ');
	snprintf(edited, sizeof(edited), "%.*s unexpectedly%s",
	    (int)(mid - text), text, strchr(mid + 1, ' '));
	treg_simhash_init(&sh);
	while (treg_normalize_next_word(text, len, &pos, &start, &wlen))
		treg_simhash_add_word(&sh, text + start, wlen);

	a = simhash_of(text);
	b = simhash_of(edited);
	d = treg_simhash_distance(a, b);

	assert_int_equal(treg_simhash_value(&sh), a);
	assert_true(d <= 4);
	assert_true(a != 0 && a != UINT64_MAX);
}

/*
 * Fingerprints computed by the first release of this simhash.  Stores
 * keep them, and a new crawl compares against what they hold: any change
 * to the word split, the word hash, the shingles or the votes would turn
 * every stored page "changed", so these values must never move.
 */
static void
test_treg_simhash_value_pinned(void **state)
{
	static const char mixed[] = "R\xc3\xa9sum\xc3\xa9 e\xcc\x81t\xc3\xa9 "
	    "\xe2\x80\x9cquoted\xe2\x80\x9d \xe6\x97\xa5\xe6\x9c\xac "
	    "\xcc\x81lone-mark x\xe2\x80\x8by 42";
	static const char longw[] = "Supercalifragilisticexpialidocious DATA-"
	    "Processing-Addendum v2024Q3 0123456789ABCDEFGHIJ retention";
	static char text[3000 * 12];
	struct treg_simhash sh;
	size_t words;

	make_text(text, sizeof(text), 5, 3000);
	treg_simhash_init(&sh);

	words = treg_simhash_add_text(&sh, text, strlen(text));

	assert_int_equal(words, 3000);
	assert_int_equal(treg_simhash_value(&sh),
	    UINT64_C(0x037a042e446f288f));
	assert_int_equal(simhash_of("hello"), UINT64_C(0x637a7847bbde5840));
	assert_int_equal(simhash_of("hello world"),
	    UINT64_C(0x64be0ec87944ba14));
	assert_int_equal(simhash_of("Hello, World! again"),
	    UINT64_C(0xcf03eef45686096a));
	assert_int_equal(simhash_of(mixed), UINT64_C(0x6544d000039a6af1));
	assert_int_equal(simhash_of(longw), UINT64_C(0xa480f9aa4a5752ec));
}

static void
test_treg_simhash_distance_counts_bits(void **state)
{
	assert_int_equal(treg_simhash_distance(0, 0), 0);
	assert_int_equal(treg_simhash_distance(0, UINT64_MAX), 64);
	assert_int_equal(treg_simhash_distance(0x5, 0x6), 2);
	assert_int_equal(treg_simhash_distance(UINT64_C(1) << 63, 0), 1);
}

static void
test_treg_sha256_unhex_and_file(void **state)
{
	static const char abc[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	unsigned char raw[TREG_SHA256_LEN], again[TREG_SHA256_LEN];
	char hex[TREG_SHA256_HEXLEN + 1];
	FILE *fp;

	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(fputs("abcdef", fp) >= 0, 1);

	assert_int_equal(treg_sha256_unhex(abc, raw), 0);
	assert_int_equal(treg_sha256_file(fp, 3, again), 0);

	assert_memory_equal(raw, again, sizeof(raw));
	treg_sha256_hex(raw, hex);
	assert_string_equal(hex, abc);
	assert_int_equal(treg_sha256_file(fp, 7, again), -EIO);
	assert_int_equal(treg_sha256_unhex("BA7816", raw), -EINVAL);
	hex[0] = 'B';
	assert_int_equal(treg_sha256_unhex(hex, raw), -EINVAL);
	fclose(fp);
}

/* A file of len pseudo-random bytes, left in fp's stdio buffer as far
 * as it still is, and the same bytes in *datap (malloc'd). */
static FILE *
make_file(size_t len, uint32_t seed, unsigned char **datap)
{
	unsigned char *data;
	FILE *fp;
	size_t i;

	data = malloc(len > 0 ? len : 1);
	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)next_rand(&seed);
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	*datap = data;
	return fp;
}

static void
test_treg_digest_map_file_room_around_body(void **state)
{
	/* Ends on a page, in a page's tail with room for the four bytes
	 * after, and two bytes short of a page so they straddle it. */
	static const size_t lens[] = { 4096, 8192 + 100, 3 * 4096 - 2, 1 };
	struct treg_digest_map m;
	unsigned char *data, back[3 * 4096];
	size_t i, len;
	FILE *fp;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		fp = make_file(len, (uint32_t)i + 7, &data);

		assert_int_equal(treg_digest_map_file(fp, len, 700, 4, &m), 0);
		memset(m.data, 'H', 700);
		memcpy(m.data + 700 + len, "\r\n\r\n", 4);

		assert_memory_equal(m.data + 700, data, len);
		assert_memory_equal(m.data + 700 + len, "\r\n\r\n", 4);
		treg_digest_unmap_file(&m);
		assert_null(m.base);
		/* The writes around the body never reach the file. */
		rewind(fp);
		assert_int_equal(fread(back, 1, sizeof(back), fp), len);
		assert_memory_equal(back, data, len);
		fclose(fp);
		free(data);
	}
}

static void
test_treg_digest_map_file_refused(void **state)
{
	struct treg_digest_map m;
	unsigned char *data;
	FILE *fp;

	fp = make_file(100, 3, &data);

	assert_int_equal(treg_digest_map_file(fp, 0, 0, 0, &m), -EFBIG);
	assert_int_equal(treg_digest_map_file(fp, 101, 0, 0, &m), -EIO);
	assert_int_equal(treg_digest_map_file(fp, TREG_DIGEST_MAP_MAX + 1,
	    0, 0, &m), -EFBIG);

	assert_null(m.base);
	treg_digest_unmap_file(&m);
	fclose(fp);
	free(data);
}

static void
test_treg_sha256_file_mapped_and_streamed_agree(void **state)
{
	/* Mapped, then one byte over the mapping bound: streamed. */
	static const size_t lens[] = { 300001, TREG_DIGEST_MAP_MAX + 1 };
	unsigned char raw[TREG_SHA256_LEN], *data;
	char want[TREG_SHA256_HEXLEN + 1], got[TREG_SHA256_HEXLEN + 1];
	size_t i;
	FILE *fp;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		fp = make_file(lens[i], 11, &data);
		assert_int_equal(treg_sha256_hex_of(data, lens[i], want), 0);

		assert_int_equal(treg_sha256_file(fp, lens[i], raw), 0);

		treg_sha256_hex(raw, got);
		assert_string_equal(got, want);
		fclose(fp);
		free(data);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_sha256_hex_of_known_vectors),
		cmocka_unit_test(test_treg_sha256_final_known_vector),
		cmocka_unit_test(test_treg_sha256_update_split_equals_one_shot),
		cmocka_unit_test(test_treg_sha256_update_after_final_refused),
		cmocka_unit_test(test_treg_sha256_free_null),
		cmocka_unit_test(test_treg_simhash_distance_identical_zero),
		cmocka_unit_test(test_treg_simhash_distance_one_word_small),
		cmocka_unit_test(
		    test_treg_simhash_add_text_counts_as_normalize),
		cmocka_unit_test(
		    test_treg_simhash_value_long_text_folds_lanes),
		cmocka_unit_test(test_treg_simhash_distance_unrelated_large),
		cmocka_unit_test(test_treg_simhash_add_text_case_insensitive),
		cmocka_unit_test(test_treg_simhash_add_text_splits_as_words),
		cmocka_unit_test(test_treg_simhash_value_short_text),
		cmocka_unit_test(
		    test_treg_simhash_value_streamed_equals_whole),
		cmocka_unit_test(test_treg_simhash_value_pinned),
		cmocka_unit_test(test_treg_simhash_distance_counts_bits),
		cmocka_unit_test(
		    test_treg_simhash_add_text_equals_word_by_word),
		cmocka_unit_test(test_treg_sha256_unhex_and_file),
		cmocka_unit_test(test_treg_digest_map_file_room_around_body),
		cmocka_unit_test(test_treg_digest_map_file_refused),
		cmocka_unit_test(
		    test_treg_sha256_file_mapped_and_streamed_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
