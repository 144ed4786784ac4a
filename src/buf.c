/* SPDX-License-Identifier: MIT */
/*
 * Bounded buffers.  Growth doubles up to the cap, so appending n bytes
 * costs amortised O(n) and never allocates past limit + 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
treg_buf_init(struct treg_buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void
treg_buf_cleanup(struct treg_buf *b)
{
	free(b->data);
	treg_buf_init(b, b->limit);
}

void
treg_buf_reset(struct treg_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
buf_reserve(struct treg_buf *b, size_t want)
{
	size_t cap;
	char *data;

	/* data is tested too, so success always leaves a buffer (and the
	 * analyser need not trust that cap is 0 whenever data is NULL). */
	if (b->data != NULL && want + 1 <= b->cap)
		return 0;

	cap = b->cap ? b->cap : 64;
	while (cap < want + 1)
		cap *= 2;
	if (b->limit != 0 && cap > b->limit + 1)
		cap = b->limit + 1;

	data = realloc(b->data, cap);
	if (data == NULL)
		return -ENOMEM;
	b->data = data;
	b->cap = cap;
	return 0;
}

int
treg_buf_reserve(struct treg_buf *b, size_t len)
{
	if (b->limit != 0 && len > b->limit)
		len = b->limit;
	return buf_reserve(b, len);
}

int
treg_buf_append(struct treg_buf *b, const void *data, size_t len)
{
	size_t take = len;
	int rc;

	/* Most appends are a few bytes into room already allocated, once
	 * per word run of every page: they skip the cap and growth logic. */
	if (b->data != NULL && len < b->cap - b->len &&
	    (b->limit == 0 || b->len + len <= b->limit)) {
		if (len > 0)
			memcpy(b->data + b->len, data, len);
		b->len += len;
		b->data[b->len] = '\0';
		return 0;
	}

	if (b->limit != 0 && b->len + take > b->limit)
		take = b->limit - b->len;

	rc = buf_reserve(b, b->len + take);
	if (rc < 0)
		return rc;

	if (take > 0)
		memcpy(b->data + b->len, data, take);
	b->len += take;
	b->data[b->len] = '\0';

	return take < len ? -E2BIG : 0;
}

int
treg_buf_puts(struct treg_buf *b, const char *s)
{
	return treg_buf_append(b, s, strlen(s));
}

int
treg_buf_printf(struct treg_buf *b, const char *fmt, ...)
{
	char small[256];
	char *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return treg_buf_append(b, small, (size_t)n);

	big = malloc((size_t)n + 1);
	if (big == NULL)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = treg_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

char *
treg_buf_steal(struct treg_buf *b)
{
	char *data;

	if (b->data == NULL && buf_reserve(b, 0) < 0)
		return NULL;
	data = b->data;
	data[b->len] = '\0';
	treg_buf_init(b, b->limit);
	return data;
}
