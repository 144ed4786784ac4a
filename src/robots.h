/* SPDX-License-Identifier: MIT */
/*
 * robots.txt (RFC 9309): the rules of one file that apply to one product
 * token, and the question whether a path may be fetched.  Pure functions,
 * no I/O: the fetcher downloads the file and asks.  Any byte string is a
 * valid input; what does not parse is ignored, as the RFC asks.
 */
#ifndef TREG_ROBOTS_H
#define TREG_ROBOTS_H

#include <stddef.h>

/* Bytes of a robots.txt that are read; the rest is ignored (the RFC asks
 * parsers to read at least 500 KiB). */
#define TREG_ROBOTS_MAX_BYTES	(500 * 1024)

/* A Crawl-delay above this is taken as this, so that one file cannot
 * stall a crawl for hours. */
#define TREG_ROBOTS_MAX_DELAY_MS	60000L

struct treg_robots;

/*
 * Parses len bytes of text (not NUL-terminated; NULL with len 0 is an
 * empty file) for the product token agent ("trustreg-crawl"; anything
 * after a '/' or blank is ignored).  The groups naming agent apply,
 * merged; if none does, the "*" groups.  Returns a new rule set the
 * caller frees with treg_robots_free(), or NULL on allocation failure
 * (logged).
 */
struct treg_robots *treg_robots_parse(const char *text, size_t len,
	    const char *agent);

/* A rule set that disallows everything but /robots.txt: what an
 * unreachable robots.txt means (RFC 9309 2.3.1.4).  NULL if out of
 * memory. */
struct treg_robots *treg_robots_new_disallow_all(void);

/*
 * Returns 1 when path (the URL's path and query, starting with '/'; NULL
 * or "" is "/") may be fetched under r, else 0.  The longest matching
 * pattern wins, Allow on a tie; '*' matches any run of bytes and a final
 * '$' anchors the end.  /robots.txt itself is always allowed.
 */
int	treg_robots_allowed(const struct treg_robots *r, const char *path);

/* The Crawl-delay of the applying groups in milliseconds (capped at
 * TREG_ROBOTS_MAX_DELAY_MS), or -1 when none was given. */
long	treg_robots_crawl_delay_ms(const struct treg_robots *r);

/* Number of Allow and Disallow rules that apply. */
size_t	treg_robots_nrules(const struct treg_robots *r);

/* Frees r; NULL does nothing. */
void	treg_robots_free(struct treg_robots *r);

#endif
