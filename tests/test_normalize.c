/* SPDX-License-Identifier: MIT */
/* Unit tests for the evidence and match forms of text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <utf8proc.h>

#include "normalize.h"

#define FFFD	"\xef\xbf\xbd"

/* BR-03's expected evidence text. */
static const char br03_expect[] = "Terms of use Last updated: 12 March 2024 "
    "Section 3.1 applies to the caf\xc3\xa9 plug-in and all outputs.";

static char *
norm(const char *in, size_t len)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 0);
	rc = treg_normalize_text(in, len, &b);
	assert_int_equal(rc, 0);
	return treg_buf_steal(&b);
}

static char *
fold(const char *in)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 0);
	rc = treg_normalize_fold(in, strlen(in), &b);
	assert_int_equal(rc, 0);
	return treg_buf_steal(&b);
}

static void
assert_norm(const char *in, const char *want)
{
	char *got = norm(in, strlen(in));

	assert_string_equal(got, want);
	free(got);
}

static void
assert_fold(const char *in, const char *want)
{
	char *got = fold(in);

	assert_string_equal(got, want);
	free(got);
}

/* Strict UTF-8 check, written independently of normalize.c's decoder. */
static int
valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			n = 1;
		else if ((s[i] & 0xf0) == 0xe0)
			n = 2;
		else if ((s[i] & 0xf8) == 0xf0)
			n = 3;
		else
			return 0;
		cp = s[i] & (0x3f >> n);
		min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static void
test_treg_normalize_text_br03_variants_equal(void **state)
{
	/* Each block ends a line, as the extractor separates them. */
	static const char step1[] = "Terms of use\n"
	    "Last updated:\xc2\xa0" "12\xc2\xa0" "March\xc2\xa0" "2024\n"
	    "Section\xc2\xa0 3.1 applies to the caf\xc3\xa9 plug-in and all "
	    "outputs.\n";
	static const char step2[] = "Terms of use\n"
	    "Last updated: 12 March 2024\n"
	    "Section  3.1 applies to the caf\xc3\xa9 plug-in and all "
	    "outputs.\n";
	static const char step3[] = "Terms of use\n"
	    "Last updated:\xe2\x80\xaf" "12\xe2\x80\xaf" "March\xe2\x80\xaf"
	    "2024\n"
	    "Sec\xe2\x80\x8btion   3.1 applies to the cafe\xcc\x81 plug-in and "
	    "all outputs.\n";
	char *a, *b, *c;

	a = norm(step1, strlen(step1));
	b = norm(step2, strlen(step2));
	c = norm(step3, strlen(step3));

	assert_string_equal(a, br03_expect);
	assert_string_equal(b, br03_expect);
	assert_string_equal(c, br03_expect);
	free(a);
	free(b);
	free(c);
}

static void
test_treg_normalize_text_ascii_space_collapsed(void **state)
{
	static const char in[] = " \t a\r\n\v\fb  c\t\t d \n";

	assert_norm(in, "a b c d");
}

static void
test_treg_normalize_text_unicode_spaces_made_ascii(void **state)
{
	static const char *spaces[] = {
		"\xc2\xa0", "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82",
		"\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85",
		"\xe2\x80\x86", "\xe2\x80\x87", "\xe2\x80\x88",
		"\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xaf",
		"\xe2\x81\x9f", "\xe3\x80\x80", "\xe1\x9a\x80",
		"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9",
	};
	char in[64];
	size_t i;

	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		snprintf(in, sizeof(in), "%sa%s%s b%s", spaces[i], spaces[i],
		    spaces[i], spaces[i]);

		assert_norm(in, "a b");
	}
}

static void
test_treg_normalize_text_invisibles_removed(void **state)
{
	static const char *invisible[] = {
		"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d",
		"\xe2\x81\xa0", "\xef\xbb\xbf", "\xc2\xad",
		"\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x81\xa1",
		"\xe2\x81\xa2", "\xe2\x81\xa3", "\xe2\x81\xa4",
		"\xe2\x80\xaa", "\xe2\x80\xae", "\xe2\x81\xa6",
		"\x01", "\x1f", "\x7f", "\xc2\x80", "\xc2\x9f",
	};
	char in[64];
	size_t i;

	for (i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++) {
		snprintf(in, sizeof(in), "%sab%sc%s", invisible[i],
		    invisible[i], invisible[i]);

		assert_norm(in, "abc");
	}
}

static void
test_treg_normalize_text_visible_format_kept(void **state)
{
	/* U+0600 ARABIC NUMBER SIGN is Cf but drawn. */
	static const char in[] = "\xd8\x80" "12";

	assert_norm(in, in);
}

static void
test_treg_normalize_text_nfd_composed(void **state)
{
	assert_norm("cafe\xcc\x81", "caf\xc3\xa9");
	assert_norm("A\xcc\x8a", "\xc3\x85");
	/* Jamo compose into a syllable. */
	assert_norm("\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80");
	/* Marks are put in canonical order before composing: both orders
	 * of dot below and circumflex give U+1EAD. */
	assert_norm("a\xcc\xa3\xcc\x82", "\xe1\xba\xad");
	assert_norm("a\xcc\x82\xcc\xa3", "\xe1\xba\xad");
	/* A singleton (OHM SIGN) becomes its canonical equivalent. */
	assert_norm("5 \xe2\x84\xa6", "5 \xce\xa9");
}

static void
test_treg_normalize_text_joiner_inside_pair_composed(void **state)
{
	static const char in[] = "e\xe2\x80\x8d\xcc\x81";

	assert_norm(in, "\xc3\xa9");
}

static void
test_treg_normalize_text_nfc_already_unchanged(void **state)
{
	static const char in[] = "Na\xc3\xafve r\xc3\xa9sum\xc3\xa9, "
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd0\x9c\xd0\xb8\xd1\x80";

	assert_norm(in, in);
}

static void
test_treg_normalize_text_invalid_utf8_replaced(void **state)
{
	/* Lone continuation bytes. */
	assert_norm("a\x80" "b\xbf", "a" FFFD "b" FFFD);
	/* Overlong forms: every byte of them is a maximal bad subpart. */
	assert_norm("\xc0\xaf", FFFD FFFD);
	assert_norm("\xc1\xbf", FFFD FFFD);
	assert_norm("\xe0\x80\xaf", FFFD FFFD FFFD);
	assert_norm("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	/* Encoded surrogates, high and low. */
	assert_norm("x\xed\xa0\x80y", "x" FFFD FFFD FFFD "y");
	assert_norm("\xed\xbf\xbf", FFFD FFFD FFFD);
	/* Past U+10FFFF, and bytes never valid. */
	assert_norm("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	assert_norm("\xf5\xfe\xff", FFFD FFFD FFFD);
	/* A sequence cut short counts once, wherever the cut falls. */
	assert_norm("ab\xe2\x82", "ab" FFFD);
	assert_norm("ab\xf0\x9f\x98", "ab" FFFD);
	assert_norm("\xe2\x82z", FFFD "z");
	assert_norm("\xe2\x82\xe2\x82\xac", FFFD "\xe2\x82\xac");
}

static void
test_treg_normalize_text_invalid_utf8_output_valid(void **state)
{
	unsigned char in[4096];
	uint32_t seed = 12345;
	size_t i;
	char *out;

	for (i = 0; i < sizeof(in); i++) {
		seed = seed * 1103515245u + 12345u;
		in[i] = (unsigned char)(seed >> 16);
	}

	out = norm((const char *)in, sizeof(in));

	assert_true(valid_utf8((unsigned char *)out, strlen(out)));
	free(out);
}

static void
test_treg_normalize_text_nul_byte_dropped(void **state)
{
	static const char in[] = "a\0b";
	char *out;

	out = norm(in, 3);

	assert_string_equal(out, "ab");
	free(out);
}

/*
 * Any mix of spaces, marks, invisibles and bad bytes gives valid UTF-8
 * with no leading, trailing or doubled space, and normalising it again
 * changes nothing (so it is NFC and free of what is removed).
 */
static void
test_treg_normalize_text_random_mix_idempotent(void **state)
{
	static const char *pieces[] = {
		"a", "e", "Z", " ", "\t", "\n", "\xcc\x81", "\xcc\xa3",
		"\xcc\x82", "\xc2\xa0", "\xe2\x80\x8b", "\xe2\x80\x8d",
		"\xc3\xa9", "\xe1\x84\x80", "\xe1\x85\xa1", "\x80", "\xe2\x82",
		"\xed\xa0\x80", "\xef\xbb\xbf", "\xe3\x80\x80", "\xc2\xad",
		"\xe2\x84\xa6", ".", "\xf0\x9f\x98\x80",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	char in[512], *once, *twice;
	uint32_t seed = 7;
	size_t len, round, k;

	for (round = 0; round < 500; round++) {
		len = 0;
		in[0] = '\0';
		for (k = 0; k < 40; k++) {
			seed = seed * 1103515245u + 12345u;
			len += (size_t)snprintf(in + len, sizeof(in) - len,
			    "%s", pieces[(seed >> 16) % npieces]);
		}

		once = norm(in, len);
		twice = norm(once, strlen(once));

		assert_true(valid_utf8((unsigned char *)once, strlen(once)));
		assert_null(strstr(once, "  "));
		if (once[0] != '\0') {
			assert_true(once[0] != ' ');
			assert_true(once[strlen(once) - 1] != ' ');
		}
		assert_string_equal(once, twice);
		free(once);
		free(twice);
	}
}

/*
 * One input mixing every rule, with the evidence form the first release
 * gave for it.  Stored digests are of this form, so a faster path must
 * still give exactly these bytes.
 */
static void
test_treg_normalize_text_mixed_pinned(void **state)
{
	static const char in[] = "  Terms\tof\r\n use\x01\x7f  Caf"
	    "e\xcc\x81\xc2\xa0" "cr\xc3\xa8me\xe2\x80\x8b br\xc3\xbbl\xc3\xa9"
	    "e \xe2\x80\x9cquoted\xe2\x80\x9d \xff bad \xed\xa0\x80 "
	    "\xe3\x80\x80" "end\xe2\x80\xa8" "x  ";
	static const char want[] = "Terms of use Caf\xc3\xa9 cr\xc3\xa8me "
	    "br\xc3\xbbl\xc3\xa9" "e \xe2\x80\x9cquoted\xe2\x80\x9d " FFFD
	    " bad " FFFD FFFD FFFD " end x";
	char *got;

	got = norm(in, sizeof(in) - 1);

	assert_string_equal(got, want);
	free(got);
}

static int
mark_or_jamo(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return 1;
	default:
		return (cp >= 0x1100 && cp <= 0x11ff) ||
		    (cp >= 0xa960 && cp <= 0xa97f) ||
		    (cp >= 0xd7b0 && cp <= 0xd7ff);
	}
}

/*
 * normalize.c skips utf8proc for stretches made only of starters that
 * are neither marks nor conjoining jamo and that NFC maps to themselves.
 * That is exact because every canonical decomposition holds only marks
 * and jamo after its first character, and, for such a starter, begins
 * with a starter that no composition takes as its second (Hangul's
 * leading consonants are jamo that only ever come first).  A utf8proc
 * whose Unicode broke this must fail here, not change digests quietly.
 */
static void
test_treg_normalize_text_compositions_join_marks(void **state)
{
	utf8proc_int32_t d[32];
	utf8proc_ssize_t n, k;
	int32_t cp;
	int bound;

	for (cp = 0x80; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		bound = 0;

		n = utf8proc_decompose_char(cp, d, 32,
		    UTF8PROC_STABLE | UTF8PROC_DECOMPOSE, &bound);

		assert_true(n >= 1 && n <= 32);
		for (k = 1; k < n; k++)
			assert_true(mark_or_jamo(d[k]));
		if (n > 1 && !mark_or_jamo(cp) &&
		    utf8proc_get_property(cp)->combining_class == 0) {
			assert_int_equal(
			    utf8proc_get_property(d[0])->combining_class, 0);
			assert_true(!mark_or_jamo(d[0]) ||
			    (d[0] >= 0x1100 && d[0] <= 0x115f));
		}
	}
}

/* The stretches that skip utf8proc and those that need it, side by
 * side: curly quotes and Cyrillic pass as they are, a decomposed accent
 * still composes, even after an inert character. */
static void
test_treg_normalize_text_inert_and_composing_stretches(void **state)
{
	assert_norm("\xe2\x80\x9c\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
	    "\xd1\x82\xe2\x80\x9d caf\xc3\xa9",
	    "\xe2\x80\x9c\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
	    "\xd1\x82\xe2\x80\x9d caf\xc3\xa9");
	assert_norm("\xe2\x80\x9c" "cafe\xcc\x81\xe2\x80\x9d",
	    "\xe2\x80\x9c" "caf\xc3\xa9\xe2\x80\x9d");
	assert_norm("\xd0\xb8\xcc\x86 \xea\xb0\x80\xe1\x86\xa8",
	    "\xd0\xb9 \xea\xb0\x81");
}

static void
test_treg_normalize_text_empty_input(void **state)
{
	assert_norm("", "");
	assert_norm(" \t\xe2\x80\x8b\xc2\xa0\n", "");
}

static void
test_treg_normalize_text_appends_to_existing(void **state)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 0);
	treg_buf_puts(&b, "Head.");

	rc = treg_normalize_text("  tail\xc2\xa0 end  ", 15, &b);

	assert_int_equal(rc, 0);
	assert_string_equal(b.data, "Head.tail end");
	treg_buf_cleanup(&b);
}

static void
test_treg_normalize_text_cap_reached(void **state)
{
	static const char in[] = "h\xc3\xa9llo w\xc3\xb6rld again";
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 10);

	rc = treg_normalize_text(in, strlen(in), &b);

	assert_int_equal(rc, -E2BIG);
	assert_string_equal(b.data, "h\xc3\xa9llo w\xc3\xb6");
	treg_buf_cleanup(&b);
}

static void
test_treg_normalize_text_cap_never_splits_character(void **state)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 2);

	rc = treg_normalize_text("a\xc3\xa9z", 4, &b);

	assert_int_equal(rc, -E2BIG);
	assert_string_equal(b.data, "a");
	treg_buf_cleanup(&b);
}

static void
test_treg_normalize_text_cap_no_trailing_space(void **state)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 7);

	rc = treg_normalize_text("h\xc3\xa9llo w\xc3\xb6rld", 13, &b);

	assert_int_equal(rc, -E2BIG);
	assert_string_equal(b.data, "h\xc3\xa9llo");
	treg_buf_cleanup(&b);
}

static void
test_treg_normalize_text_cap_on_ascii(void **state)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 6);

	rc = treg_normalize_text("one   two three", 15, &b);

	assert_int_equal(rc, -E2BIG);
	assert_string_equal(b.data, "one tw");
	treg_buf_cleanup(&b);
}

static void
test_treg_normalize_fold_quotes(void **state)
{
	assert_fold("\xe2\x80\x9cQuote\xe2\x80\x9d", "\"quote\"");
	assert_fold("\xe2\x80\x9e" "a\xe2\x80\x9f b\xc2\xab" "c\xc2\xbb"
	    "d\xe2\x80\xb3", "\"a\" b\"c\"d\"");
	assert_fold("\xe2\x80\x98" "a\xe2\x80\x99 \xe2\x80\x9a" "b"
	    "\xe2\x80\x9b \xe2\x80\xb9" "c\xe2\x80\xba" "5\xe2\x80\xb2",
	    "'a' 'b' 'c'5'");
}

static void
test_treg_normalize_fold_dashes(void **state)
{
	assert_fold("a\xe2\x80\x90" "b\xe2\x80\x91" "c\xe2\x80\x92"
	    "d\xe2\x80\x93" "e\xe2\x80\x94" "f\xe2\x80\x95" "g\xe2\x88\x92"
	    "h", "a-b-c-d-e-f-g-h");
	assert_fold("plug\xe2\x80\x94in", "plug-in");
}

static void
test_treg_normalize_fold_ellipsis(void **state)
{
	assert_fold("Wait\xe2\x80\xa6 what", "wait... what");
}

static void
test_treg_normalize_fold_case(void **state)
{
	assert_fold("TERMS Of USE", "terms of use");
	assert_fold("\xc3\x84SS \xc3\x9f \xce\xa3", "\xc3\xa4ss ss \xcf\x83");
	/* U+0130 folds to i and a combining dot, kept as such. */
	assert_fold("\xc4\xb0", "i\xcc\x87");
	/* Folding keeps NFC: a precomposed capital stays one character. */
	assert_fold("CAFE\xcc\x81", "caf\xc3\xa9");
}

static void
test_treg_normalize_fold_evidence_form_first(void **state)
{
	assert_fold("  A\xc2\xa0\xe2\x80\x8b" "B\n\nC ", "a b c");
}

static void
test_treg_normalize_fold_cap_reached(void **state)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 3);

	rc = treg_normalize_fold("\xc3\x84\xc3\x96", 4, &b);

	assert_int_equal(rc, -E2BIG);
	assert_string_equal(b.data, "\xc3\xa4");
	treg_buf_cleanup(&b);
}

static void
test_treg_normalize_find_quote_across_line_breaks(void **state)
{
	static const char text[] = "We do not train\n  on customer\r\n"
	    "data\xc2\xa0without consent.";
	int rc;

	rc = treg_normalize_find_quote(text, strlen(text),
	    "train on customer data without");

	assert_int_equal(rc, 1);
}

static void
test_treg_normalize_find_quote_case_and_typography(void **state)
{
	static const char text[] = "Policy: \xe2\x80\x9c" "Don\xe2\x80\x99t "
	    "Share\xe2\x80\x9d \xe2\x80\x94 outputs are yours\xe2\x80\xa6";
	int rc;

	rc = treg_normalize_find_quote(text, strlen(text),
	    "\"don't share\" - OUTPUTS are yours...");

	assert_int_equal(rc, 1);
}

static void
test_treg_normalize_find_quote_nfd_quote(void **state)
{
	static const char text[] = "the caf\xc3\xa9 terms";
	int rc;

	rc = treg_normalize_find_quote(text, strlen(text),
	    "CAFE\xcc\x81 TERMS");

	assert_int_equal(rc, 1);
}

static void
test_treg_normalize_find_quote_absent(void **state)
{
	static const char text[] = "We may train on customer data.";
	int rc;

	rc = treg_normalize_find_quote(text, strlen(text),
	    "We do not train on customer data");

	assert_int_equal(rc, 0);
}

static void
test_treg_normalize_find_quote_empty_quote(void **state)
{
	static const char text[] = "anything";
	int rc;

	rc = treg_normalize_find_quote(text, strlen(text), " \xe2\x80\x8b ");

	assert_int_equal(rc, 0);
}

static void
test_treg_normalize_count_words_letters_and_digits(void **state)
{
	static const char text[] = "Cohere's model-3, v2.1 \xe2\x80\x94 "
	    "cafe\xcc\x81 r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
	    "Sec\xe2\x80\x8btion ... " FFFD " \x80";
	size_t n;

	n = treg_normalize_count_words(text, strlen(text));

	/* Cohere, s, model, 3, v2, 1, café, résumé, 日本, Section */
	assert_int_equal(n, 10);
}

static void
test_treg_normalize_count_words_none(void **state)
{
	assert_int_equal(treg_normalize_count_words("", 0), 0);
	assert_int_equal(treg_normalize_count_words(" -- ... !", 9), 0);
}

static void
test_treg_normalize_next_word_positions(void **state)
{
	static const char text[] = "  ab, \xc3\xa9" "c!";
	size_t pos = 0, start = 0, wlen = 0;
	int rc;

	rc = treg_normalize_next_word(text, strlen(text), &pos, &start,
	    &wlen);

	assert_int_equal(rc, 1);
	assert_int_equal(start, 2);
	assert_int_equal(wlen, 2);

	rc = treg_normalize_next_word(text, strlen(text), &pos, &start,
	    &wlen);

	assert_int_equal(rc, 1);
	assert_int_equal(start, 6);
	assert_int_equal(wlen, 3);

	rc = treg_normalize_next_word(text, strlen(text), &pos, &start,
	    &wlen);

	assert_int_equal(rc, 0);
	assert_int_equal(pos, strlen(text));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_normalize_text_br03_variants_equal),
		cmocka_unit_test(
		    test_treg_normalize_text_ascii_space_collapsed),
		cmocka_unit_test(
		    test_treg_normalize_text_unicode_spaces_made_ascii),
		cmocka_unit_test(test_treg_normalize_text_invisibles_removed),
		cmocka_unit_test(test_treg_normalize_text_visible_format_kept),
		cmocka_unit_test(test_treg_normalize_text_nfd_composed),
		cmocka_unit_test(
		    test_treg_normalize_text_joiner_inside_pair_composed),
		cmocka_unit_test(
		    test_treg_normalize_text_nfc_already_unchanged),
		cmocka_unit_test(
		    test_treg_normalize_text_invalid_utf8_replaced),
		cmocka_unit_test(
		    test_treg_normalize_text_invalid_utf8_output_valid),
		cmocka_unit_test(test_treg_normalize_text_nul_byte_dropped),
		cmocka_unit_test(
		    test_treg_normalize_text_random_mix_idempotent),
		cmocka_unit_test(test_treg_normalize_text_mixed_pinned),
		cmocka_unit_test(
		    test_treg_normalize_text_compositions_join_marks),
		cmocka_unit_test(
		    test_treg_normalize_text_inert_and_composing_stretches),
		cmocka_unit_test(test_treg_normalize_text_empty_input),
		cmocka_unit_test(test_treg_normalize_text_appends_to_existing),
		cmocka_unit_test(test_treg_normalize_text_cap_reached),
		cmocka_unit_test(
		    test_treg_normalize_text_cap_never_splits_character),
		cmocka_unit_test(
		    test_treg_normalize_text_cap_no_trailing_space),
		cmocka_unit_test(test_treg_normalize_text_cap_on_ascii),
		cmocka_unit_test(test_treg_normalize_fold_quotes),
		cmocka_unit_test(test_treg_normalize_fold_dashes),
		cmocka_unit_test(test_treg_normalize_fold_ellipsis),
		cmocka_unit_test(test_treg_normalize_fold_case),
		cmocka_unit_test(test_treg_normalize_fold_evidence_form_first),
		cmocka_unit_test(test_treg_normalize_fold_cap_reached),
		cmocka_unit_test(
		    test_treg_normalize_find_quote_across_line_breaks),
		cmocka_unit_test(
		    test_treg_normalize_find_quote_case_and_typography),
		cmocka_unit_test(test_treg_normalize_find_quote_nfd_quote),
		cmocka_unit_test(test_treg_normalize_find_quote_absent),
		cmocka_unit_test(test_treg_normalize_find_quote_empty_quote),
		cmocka_unit_test(
		    test_treg_normalize_count_words_letters_and_digits),
		cmocka_unit_test(test_treg_normalize_count_words_none),
		cmocka_unit_test(test_treg_normalize_next_word_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
