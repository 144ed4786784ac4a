/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the word diff: equal texts, one replaced word with its
 * context, context that stops at the next passage, an insertion, the
 * passage cap, and a comparison too large for the table that still
 * yields one bounded passage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "diff.h"

static void
words(struct treg_diff *d, const char *a, const char *b)
{
	assert_int_equal(treg_diff_words(a, strlen(a), b, strlen(b), d), 0);
}

static void
assert_hunk(const struct treg_diff_hunk *h, const char *before,
    const char *del, const char *ins, const char *after)
{
	assert_string_equal(h->before, before);
	assert_string_equal(h->del, del);
	assert_string_equal(h->ins, ins);
	assert_string_equal(h->after, after);
}

static void
test_diff_words_equal_no_hunk(void **state)
{
	struct treg_diff d;

	words(&d, "same words\nhere", "same  words here");

	assert_int_equal(d.nhunks, 0);
	assert_int_equal(d.more, 0);
	treg_diff_cleanup(&d);
}

static void
test_diff_words_replacement_with_context(void **state)
{
	struct treg_diff d;

	words(&d, "one two three four five six seven eight nine ten eleven",
	    "one two three four five SIX seven eight nine ten eleven");

	assert_int_equal(d.nhunks, 1);
	assert_hunk(&d.hunks[0], "one two three four five", "six", "SIX",
	    "seven eight nine ten eleven");
	assert_int_equal(d.words_del, 1);
	assert_int_equal(d.words_ins, 1);
	treg_diff_cleanup(&d);
}

/* Two edits four words apart: each passage's context stops at the
 * other, so neither shows the other's old word as if it still stood. */
static void
test_diff_words_context_stops_at_next_passage(void **state)
{
	struct treg_diff d;

	static const char *const want[2][4] = {
		{ "we run an", "annual", "biennial", "SOC 2 Type II" },
		{ "SOC 2 Type II", "audit", "review", "performed by a firm" },
	};
	size_t i;

	words(&d, "we run an annual SOC 2 Type II audit performed by a firm",
	    "we run an biennial SOC 2 Type II review performed by a firm");

	assert_int_equal(d.nhunks, 2);
	for (i = 0; i < 2; i++)
		assert_hunk(&d.hunks[i], want[i][0], want[i][1], want[i][2],
		    want[i][3]);
	treg_diff_cleanup(&d);
}

static void
test_diff_words_insertion_only(void **state)
{
	struct treg_diff d;

	words(&d, "data is deleted after days",
	    "data is deleted after 30 days");

	assert_int_equal(d.nhunks, 1);
	assert_string_equal(d.hunks[0].del, "");
	assert_string_equal(d.hunks[0].ins, "30");
	assert_string_equal(d.hunks[0].after, "days");
	treg_diff_cleanup(&d);
}

static void
test_diff_words_caps_passages(void **state)
{
	char a[4096] = "", b[4096] = "";
	struct treg_diff d;
	int i;

	/* Twenty separate one-word edits, ten words apart. */
	for (i = 0; i < 200; i++) {
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "w%d ", i);
		snprintf(b + strlen(b), sizeof(b) - strlen(b),
		    i % 10 == 5 ? "X%d " : "w%d ", i);
	}

	words(&d, a, b);

	assert_int_equal(d.nhunks, TREG_DIFF_MAX_HUNKS);
	assert_int_equal(d.more, 20 - TREG_DIFF_MAX_HUNKS);
	assert_int_equal(d.words_del, 20);
	treg_diff_cleanup(&d);
}

static void
test_diff_words_huge_middle_one_bounded_passage(void **state)
{
	size_t n = 4000, i;
	char *a, *b;
	struct treg_diff d;

	a = malloc(n * 3 + 8);
	b = malloc(n * 3 + 8);
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < n; i++) {
		memcpy(a + i * 3, "ab ", 3);
		memcpy(b + i * 3, "cd ", 3);
	}
	strcpy(a + n * 3, "end");
	strcpy(b + n * 3, "end");

	words(&d, a, b);

	assert_int_equal(d.nhunks, 1);
	assert_true(strlen(d.hunks[0].del) <= TREG_DIFF_MAX_TEXT + 4);
	assert_string_equal(d.hunks[0].after, "end");
	assert_int_equal(d.words_del, n);
	treg_diff_cleanup(&d);
	free(a);
	free(b);
}

static void
test_diff_words_passage_exactly_at_cap(void **state)
{
	struct treg_buf old;
	struct treg_diff d;
	int i;

	/* A 10-byte word and 39 more of 9, spaced: exactly the cap, so the
	 * next word turns into " ..." right at its end. */
	treg_buf_init(&old, 0);
	assert_int_equal(treg_buf_puts(&old, "start abcdefghij"), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(treg_buf_printf(&old, " w%08d", i), 0);
	assert_int_equal(treg_buf_puts(&old, " end"), 0);

	words(&d, old.data, "start end");

	assert_int_equal(d.nhunks, 1);
	assert_int_equal(strlen(d.hunks[0].del), TREG_DIFF_MAX_TEXT + 4);
	assert_string_equal(d.hunks[0].del + TREG_DIFF_MAX_TEXT, " ...");
	treg_diff_cleanup(&d);
	treg_buf_cleanup(&old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_words_equal_no_hunk),
		cmocka_unit_test(test_diff_words_replacement_with_context),
		cmocka_unit_test(test_diff_words_insertion_only),
		cmocka_unit_test(test_diff_words_caps_passages),
		cmocka_unit_test(
		    test_diff_words_context_stops_at_next_passage),
		cmocka_unit_test(
		    test_diff_words_huge_middle_one_bounded_passage),
		cmocka_unit_test(test_diff_words_passage_exactly_at_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
