/* SPDX-License-Identifier: MIT */
/*
 * Bounded growable byte buffers.  Everything fed by the network or a file
 * grows through one of these, each with an explicit cap, so no input can
 * make the process grow without bound.  The data is always NUL-terminated
 * (the terminator is not counted in len).
 */
#ifndef TREG_BUF_H
#define TREG_BUF_H

#include <stddef.h>

struct treg_buf {
	char    *data;          /* owned; NULL before the first append */
	size_t	 len;		/* bytes held, terminator excluded */
	size_t	 cap;		/* bytes allocated */
	size_t   limit;         /* most bytes len may reach; 0: none */
};

/* Prepares an empty buffer that will hold at most limit bytes. */
void	treg_buf_init(struct treg_buf *b, size_t limit);

/* Frees the data and returns the buffer to its empty state. */
void	treg_buf_cleanup(struct treg_buf *b);

/* Empties the buffer, keeping its allocation and limit. */
void	treg_buf_reset(struct treg_buf *b);

/* Makes room for len bytes in all (at most the limit) without changing
 * what the buffer holds.  Returns 0 or -ENOMEM. */
int	treg_buf_reserve(struct treg_buf *b, size_t len);

/* Appends len bytes.  Returns 0, -E2BIG when the cap would be passed (the
 * buffer then holds as many bytes as fit, up to the cap), or -ENOMEM. */
int	treg_buf_append(struct treg_buf *b, const void *data, size_t len);

/* Appends a NUL-terminated string; as treg_buf_append. */
int	treg_buf_puts(struct treg_buf *b, const char *s);

/* Appends printf-style output; as treg_buf_append. */
int	treg_buf_printf(struct treg_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Hands the data to the caller (who frees it) and empties the buffer.
 * Returns an empty string rather than NULL when nothing was appended, or
 * NULL when that allocation fails. */
char	*treg_buf_steal(struct treg_buf *b);

#endif
