/* SPDX-License-Identifier: MIT */
/*
 * Text normalisation (utf8proc).  Two forms: the evidence form, which is
 * what we hash and store, and the match form, used only to look for
 * quotations.  Both take any bytes: invalid UTF-8 becomes U+FFFD, never
 * passes through.
 */
#ifndef TREG_NORMALIZE_H
#define TREG_NORMALIZE_H

#include <stddef.h>

#include "buf.h"

/* Fills the character tables, which are otherwise made at first use.
 * Call it once on the main thread before other threads normalise
 * (extract.h's treg_extract_init() does). */
void	treg_normalize_init(void);

/*
 * Appends the evidence form of in[0..len) to out: invalid sequences
 * replaced by U+FFFD, Unicode NFC, invisible characters (zero-width
 * spaces and joiners, word joiner, BOM, soft hyphen, other format
 * controls) removed, every kind of space and line break (U+00A0, U+202F,
 * U+2000..U+200A, tabs, newlines...) made a plain space, runs collapsed to
 * one, leading and trailing space dropped.  Returns 0, or a negative errno
 * from out (-E2BIG: out's cap was reached).
 */
int     treg_normalize_text(const char *in, size_t len, struct treg_buf *out);

/*
 * Appends the match form of in to out: the evidence form, then case
 * folded, typographic quotes (‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ « »)
 * folded to ASCII ' and ", dashes and minus signs (U+2010..U+2015,
 * U+2212) to '-', the ellipsis to "...".  Returns as
 * treg_normalize_text().
 */
int     treg_normalize_fold(const char *in, size_t len, struct treg_buf *out);

/*
 * Looks for quote in text, both taken to their match form, so line breaks,
 * spacing, case and typographic differences do not matter.  Returns 1
 * when found, 0 when not, or a negative errno.
 */
int	treg_normalize_find_quote(const char *text, size_t text_len,
	    const char *quote);

/*
 * Finds the first word (run of letters or digits; combining marks and
 * invisible format characters continue a word) of text[0..len) at or after
 * *pos.  Returns 1 with the word at text + *start, *wlen bytes long, and
 * *pos moved past it; or 0, with *pos at len, when no word is left.
 * Apostrophes split words: "Cohere's" is two.
 */
int	treg_normalize_next_word(const char *text, size_t len, size_t *pos,
	    size_t *start, size_t *wlen);

/*
 * Classifies the character at s[0..len), len > 0, for word splitting:
 * 1 for a letter or digit, 2 for what continues a word but cannot start
 * one (combining marks, invisible format characters), 0 for the rest.
 * *n is set to its length in bytes (1..4; invalid bytes count one).
 */
int	treg_normalize_word_class(const char *s, size_t len, size_t *n);

/* Counts the words (as treg_normalize_next_word() finds them) in UTF-8
 * text. */
size_t	treg_normalize_count_words(const char *text, size_t len);

#endif
