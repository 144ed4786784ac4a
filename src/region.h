/* SPDX-License-Identifier: MIT */
/*
 * Cell evidence regions: the part of a page's normalised text (one block a
 * line) that one cell relies on.  It is the blocks holding the cell's
 * quotations plus a few neighbouring blocks, or the whole text when no
 * quotation can be placed.  A region has its own digest and fingerprint,
 * so a change elsewhere on a page cited by many cells flags none of them.
 * Pure computation on text; no I/O.
 */
#ifndef TREG_REGION_H
#define TREG_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

#define TREG_REGION_CONTEXT	2	/* default neighbouring blocks */

struct treg_region {
	char    *text;          /* the region's blocks, '\n'-separated;
				 * malloc'd, owned by the struct */
	size_t	 len;
	char	 digest[TREG_SHA256_HEXLEN + 1];	/* of text */
	uint64_t simhash;
	uint32_t words;
	size_t	 blocks;	/* blocks in the region */
	size_t	 located;	/* quotations placed in a block */
	int      whole;         /* no quotation placed: the whole text */
};

/*
 * Computes the region of the quotations (nquotes strings) in text (len
 * bytes, blocks separated by '\n'), with context blocks on each side of
 * every block that holds a quotation.  A quotation that spans two blocks
 * is placed on both.  Fills *out (release with treg_region_cleanup()).
 * Returns 0 or a negative errno.
 */
int	treg_region_compute(const char *text, size_t len,
	    char *const *quotes, size_t nquotes, unsigned context,
	    struct treg_region *out);

/* Frees what r owns and zeroes it. */
void	treg_region_cleanup(struct treg_region *r);

#endif
