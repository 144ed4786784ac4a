/* SPDX-License-Identifier: MIT */
/*
 * Word-level differences between two texts, for people: the changed
 * passages with a few words of context on each side.  Words are runs of
 * non-blank bytes, so punctuation stays attached and a passage reads as
 * the page did.  Sizes are capped: a comparison too large for the
 * quadratic table is narrowed to the span between the common prefix and
 * suffix, and each passage and the number of passages are bounded.
 */
#ifndef TREG_DIFF_H
#define TREG_DIFF_H

#include <stddef.h>

#define TREG_DIFF_CONTEXT	6	/* words of context each side */
#define TREG_DIFF_MAX_HUNKS	8	/* passages kept */
#define TREG_DIFF_MAX_TEXT      400     /* bytes of one field of a passage */

/* One changed passage.  Strings are malloc'd, owned, never NULL. */
struct treg_diff_hunk {
	char	*before;	/* context before */
	char	*del;		/* words only in the old text */
	char	*ins;		/* words only in the new text */
	char	*after;		/* context after */
};

struct treg_diff {
	struct treg_diff_hunk *hunks;
	size_t	 nhunks;
	size_t	 more;		/* passages left out past the cap */
	size_t	 words_del;	/* over all passages, kept or not */
	size_t	 words_ins;
};

/*
 * Compares old (olen bytes) with new (nlen bytes) word by word and fills
 * *d with at most TREG_DIFF_MAX_HUNKS passages (release with
 * treg_diff_cleanup()).  Equal texts give no passage.  Returns 0 or
 * -ENOMEM.
 */
int	treg_diff_words(const char *old, size_t olen, const char *new,
	    size_t nlen, struct treg_diff *d);

/* Frees what d owns and zeroes it; NULL does nothing. */
void	treg_diff_cleanup(struct treg_diff *d);

/* Frees one passage's strings and zeroes it; NULL does nothing. */
void	treg_diff_hunk_cleanup(struct treg_diff_hunk *h);

#endif
