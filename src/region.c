/* SPDX-License-Identifier: MIT */
/*
 * Cell evidence regions.  The text is cut into its blocks (lines); each
 * quotation is looked for block by block, then in pairs of adjacent
 * blocks for one that a block break splits, and every hit marks its
 * blocks and their neighbours.  The marked blocks, in page order, are the
 * region; its digest and fingerprint are computed the way the extractor
 * computes a page's, so a region equal to a whole page has the same
 * digest as that page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "region.h"

struct region_block {
	const char *p;
	size_t	 len;
};

/* Cuts text into its lines; *blocksp is malloc'd, pointing into text. */
static int
region_split(const char *text, size_t len, struct region_block **blocksp,
    size_t *nblocksp)
{
	struct region_block *b;
	size_t n = 1, i, start = 0, k = 0;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	for (i = 0; i <= len; i++) {
		if (i == len || text[i] == '\n') {
			b[k].p = text + start;
			b[k].len = i - start;
			k++;
			start = i + 1;
		}
	}
	*blocksp = b;
	*nblocksp = k;
	return 0;
}

static void
region_mark(unsigned char *mark, size_t n, size_t from, size_t to,
    unsigned context)
{
	size_t lo, hi, i;

	lo = from > context ? from - context : 0;
	hi = to + context < n ? to + context : n - 1;
	for (i = lo; i <= hi; i++)
		mark[i] = 1;
}

/* Places one quotation; returns 1 when placed, 0 when not, or -errno. */
static int
region_place(const struct region_block *b, size_t n, const char *quote,
    unsigned context, unsigned char *mark)
{
	size_t i, span;
	int found, placed = 0;

	for (i = 0; i < n; i++) {
		found = treg_normalize_find_quote(b[i].p, b[i].len, quote);
		if (found < 0)
			return found;
		if (found) {
			region_mark(mark, n, i, i, context);
			placed = 1;
		}
	}
	if (placed)
		return 1;

	/* Adjacent blocks are contiguous in the text, so a pair is one
	 * span of it. */
	for (i = 0; i + 1 < n; i++) {
		span = (size_t)(b[i + 1].p - b[i].p) + b[i + 1].len;
		found = treg_normalize_find_quote(b[i].p, span, quote);
		if (found < 0)
			return found;
		if (found) {
			region_mark(mark, n, i, i + 1, context);
			placed = 1;
		}
	}
	return placed;
}

/*
 * A page cited by several cells, and a cell whose region is the same in
 * its baseline, give the same region text again and again, so the
 * fingerprint and word count are remembered by the region's digest (the
 * same digest is the same text).  The table is direct-mapped and small:
 * a miss only costs the computation.  Single-threaded, like the crawler.
 */
#define REGION_MEMO_SLOTS	4096

struct region_memo {
	uint64_t simhash;
	uint32_t words;
	char	 digest[TREG_SHA256_HEXLEN + 1];
};

static struct region_memo region_memo[REGION_MEMO_SLOTS];

static struct region_memo *
region_memo_slot(const char *digest)
{
	unsigned h = 0;
	int i;

	/* The digest is uniform: its first characters spread well. */
	for (i = 0; i < 8; i++)
		h = h * 31 + (unsigned char)digest[i];
	return &region_memo[h % REGION_MEMO_SLOTS];
}

static int
region_finish(struct treg_region *r)
{
	struct treg_simhash sh;
	struct region_memo *m;
	int rc;

	rc = treg_sha256_hex_of(r->text, r->len, r->digest);
	if (rc < 0)
		return rc;
	m = region_memo_slot(r->digest);
	if (strcmp(m->digest, r->digest) == 0) {
		r->simhash = m->simhash;
		r->words = m->words;
		return 0;
	}
	treg_simhash_init(&sh);
	/* The simhash splits words exactly as treg_normalize_next_word()
	 * does, so its count is the word count. */
	r->words = (uint32_t)treg_simhash_add_text(&sh, r->text, r->len);
	r->simhash = treg_simhash_value(&sh);
	memcpy(m->digest, r->digest, sizeof(m->digest));
	m->simhash = r->simhash;
	m->words = r->words;
	return 0;
}

int
treg_region_compute(const char *text, size_t len, char *const *quotes,
    size_t nquotes, unsigned context, struct treg_region *out)
{
	struct region_block *b = NULL;
	unsigned char *mark = NULL;
	size_t n = 0, i, pos = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = region_split(text, len, &b, &n);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	mark = calloc(n, 1);
	out->text = malloc(len + 1);
	if (mark == NULL || out->text == NULL)
		goto out;

	for (i = 0; i < nquotes; i++) {
		rc = region_place(b, n, quotes[i], context, mark);
		if (rc < 0)
			goto out;
		out->located += (size_t)rc;
	}

	for (i = 0; i < n; i++) {
		if (out->located > 0 && !mark[i])
			continue;
		if (pos > 0)
			out->text[pos++] = '\n';
		memcpy(out->text + pos, b[i].p, b[i].len);
		pos += b[i].len;
		out->blocks++;
	}
	out->text[pos] = '\0';
	out->len = pos;
	out->whole = out->located == 0;
	rc = region_finish(out);

out:
	if (rc < 0)
		treg_region_cleanup(out);
	free(mark);
	free(b);
	return rc;
}

void
treg_region_cleanup(struct treg_region *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}
