/* SPDX-License-Identifier: MIT */
/*
 * Word diff.  Both texts are cut into words; the common prefix and suffix
 * are set aside, and the middle goes through a longest-common-subsequence
 * table when it is small enough (DIFF_MAX_CELLS entries), else counts as
 * one replaced passage.  The table costs 2 bytes an entry, so the cap
 * bounds memory at a few MiB whatever the pages.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

#define DIFF_MAX_CELLS	((size_t)2 << 20)

enum diff_op { DIFF_EQ, DIFF_DEL, DIFF_INS };

struct diff_word {
	const char *p;
	size_t	 len;
};

struct diff_words {
	struct diff_word *w;
	size_t	 n;
};

static int
diff_is_blank(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static int
diff_split(const char *s, size_t len, struct diff_words *out)
{
	size_t i = 0, cap = 0, start;
	struct diff_word *grown;

	out->w = NULL;
	out->n = 0;
	while (i < len) {
		while (i < len && diff_is_blank(s[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !diff_is_blank(s[i]))
			i++;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(out->w, cap * sizeof(*grown));
			if (grown == NULL)
				return -ENOMEM;
			out->w = grown;
		}
		out->w[out->n].p = s + start;
		out->w[out->n].len = i - start;
		out->n++;
	}
	return 0;
}

static int
diff_eq(const struct diff_word *a, const struct diff_word *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/*
 * Fills ops (length at most na + nb) with the edit script of a[0..na)
 * against b[0..nb); returns its length, or -ENOMEM.
 */
static long
diff_script(const struct diff_word *a, size_t na, const struct diff_word *b,
    size_t nb, unsigned char *ops)
{
	uint16_t *t;
	size_t i, j, w = nb + 1;
	long k = 0;

	if (na == 0 || nb == 0 || (na + 1) * w > DIFF_MAX_CELLS ||
	    na >= UINT16_MAX || nb >= UINT16_MAX) {
		for (i = 0; i < na; i++)
			ops[k++] = DIFF_DEL;
		for (j = 0; j < nb; j++)
			ops[k++] = DIFF_INS;
		return k;
	}
	t = calloc((na + 1) * w, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	/* t[i][j]: the common subsequence length of a[i..] and b[j..]. */
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;)
			t[i * w + j] = diff_eq(&a[i], &b[j]) ?
			    t[(i + 1) * w + j + 1] + 1 :
			    (t[(i + 1) * w + j] >= t[i * w + j + 1] ?
			    t[(i + 1) * w + j] : t[i * w + j + 1]);
	i = 0;
	j = 0;
	while (i < na || j < nb) {
		if (i < na && j < nb && diff_eq(&a[i], &b[j])) {
			ops[k++] = DIFF_EQ;
			i++;
			j++;
		} else if (j == nb || (i < na &&
		    t[(i + 1) * w + j] >= t[i * w + j + 1])) {
			ops[k++] = DIFF_DEL;
			i++;
		} else {
			ops[k++] = DIFF_INS;
			j++;
		}
	}
	free(t);
	return k;
}

/* Joins words[from..to) with spaces, capped at TREG_DIFF_MAX_TEXT bytes
 * (cut at a word, marked "..."). */
static char *
diff_join(const struct diff_word *w, size_t from, size_t to)
{
	size_t i, len = 0;
	char *s;

	/* Up to the cap, then " ..." and the terminator. */
	s = malloc(TREG_DIFF_MAX_TEXT + 5);
	if (s == NULL)
		return NULL;
	for (i = from; i < to; i++) {
		if (len + 1 + w[i].len > TREG_DIFF_MAX_TEXT) {
			memcpy(s + len, len > 0 ? " ..." : "...", 4);
			len += len > 0 ? 4 : 3;
			break;
		}
		if (len > 0)
			s[len++] = ' ';
		memcpy(s + len, w[i].p, w[i].len);
		len += w[i].len;
	}
	s[len] = '\0';
	return s;
}

struct diff_ctx {
	struct diff_words a, b;
	unsigned char *ops;
	size_t	 nops;
	size_t	 pre;		/* common prefix words, before ops */
};

static size_t
diff_count(const unsigned char *ops, size_t from, size_t to, int op)
{
	size_t i, n = 0;

	for (i = from; i < to; i++)
		if (ops[i] == op)
			n++;
	return n;
}

/*
 * One passage: ops[from..to) replace a's words from ai by b's from bi.
 * Its context is the unchanged words around it, at most `eq_before` and
 * `eq_after` of them: running into a neighbouring passage, it would show
 * that passage's old words as if they still stood.
 */
static int
diff_hunk(struct diff_ctx *c, struct treg_diff *d, size_t from, size_t to,
    size_t ai, size_t bi, size_t eq_before, size_t eq_after)
{
	struct treg_diff_hunk *h;
	size_t nd, ctx_from, ctx_to, before, after;

	if (d->nhunks == TREG_DIFF_MAX_HUNKS) {
		d->more++;
		return 0;
	}

	h = &d->hunks[d->nhunks++];
	nd = diff_count(c->ops, from, to, DIFF_DEL);
	before = eq_before < TREG_DIFF_CONTEXT ? eq_before : TREG_DIFF_CONTEXT;
	after = eq_after < TREG_DIFF_CONTEXT ? eq_after : TREG_DIFF_CONTEXT;
	ctx_from = ai > before ? ai - before : 0;
	ctx_to = ai + nd + after;
	if (ctx_to > c->a.n)
		ctx_to = c->a.n;
	h->before = diff_join(c->a.w, ctx_from, ai);
	h->del = diff_join(c->a.w, ai, ai + nd);
	h->ins = diff_join(c->b.w, bi, bi +
	    diff_count(c->ops, from, to, DIFF_INS));
	h->after = diff_join(c->a.w, ai + nd, ctx_to);
	if (h->before == NULL || h->del == NULL || h->ins == NULL ||
	    h->after == NULL)
		return -ENOMEM;
	return 0;
}

/* The equal operations from ops[i] on; past the last, every word is
 * the common suffix's. */
static size_t
diff_eq_run(const struct diff_ctx *c, size_t i)
{
	size_t n = 0;

	while (i + n < c->nops && c->ops[i + n] == DIFF_EQ)
		n++;
	return i + n == c->nops ? SIZE_MAX : n;
}

/* Walks the script, one passage per run of non-equal operations. */
static int
diff_collect(struct diff_ctx *c, struct treg_diff *d)
{
	size_t i = 0, start, ai = c->pre, bi = c->pre, hai, hbi;
	size_t eq_before = c->pre;
	int rc;

	while (i < c->nops) {
		if (c->ops[i] == DIFF_EQ) {
			ai++;
			bi++;
			i++;
			eq_before++;
			continue;
		}
		start = i;
		hai = ai;
		hbi = bi;
		while (i < c->nops && c->ops[i] != DIFF_EQ) {
			if (c->ops[i] == DIFF_DEL) {
				ai++;
				d->words_del++;
			} else {
				bi++;
				d->words_ins++;
			}
			i++;
		}
		rc = diff_hunk(c, d, start, i, hai, hbi, eq_before,
		    diff_eq_run(c, i));
		if (rc < 0)
			return rc;
		eq_before = 0;
	}
	return 0;
}

int
treg_diff_words(const char *old, size_t olen, const char *new, size_t nlen,
    struct treg_diff *d)
{
	struct diff_ctx c;
	size_t suf = 0, ma, mb;
	long k;
	int rc = -ENOMEM;

	memset(d, 0, sizeof(*d));
	memset(&c, 0, sizeof(c));
	if (diff_split(old, olen, &c.a) < 0 || diff_split(new, nlen, &c.b) < 0)
		goto out;
	while (c.pre < c.a.n && c.pre < c.b.n &&
	    diff_eq(&c.a.w[c.pre], &c.b.w[c.pre]))
		c.pre++;
	while (suf < c.a.n - c.pre && suf < c.b.n - c.pre &&
	    diff_eq(&c.a.w[c.a.n - 1 - suf], &c.b.w[c.b.n - 1 - suf]))
		suf++;
	ma = c.a.n - c.pre - suf;
	mb = c.b.n - c.pre - suf;

	c.ops = malloc(ma + mb + 1);
	d->hunks = calloc(TREG_DIFF_MAX_HUNKS, sizeof(*d->hunks));
	if (c.ops == NULL || d->hunks == NULL)
		goto out;
	k = diff_script(c.a.w + c.pre, ma, c.b.w + c.pre, mb, c.ops);
	if (k < 0)
		goto out;
	c.nops = (size_t)k;
	rc = diff_collect(&c, d);

out:
	if (rc < 0)
		treg_diff_cleanup(d);
	free(c.ops);
	free(c.a.w);
	free(c.b.w);
	return rc;
}

void
treg_diff_hunk_cleanup(struct treg_diff_hunk *h)
{
	if (h == NULL)
		return;
	free(h->before);
	free(h->del);
	free(h->ins);
	free(h->after);
	memset(h, 0, sizeof(*h));
}

void
treg_diff_cleanup(struct treg_diff *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nhunks; i++)
		treg_diff_hunk_cleanup(&d->hunks[i]);
	free(d->hunks);
	memset(d, 0, sizeof(*d));
}
