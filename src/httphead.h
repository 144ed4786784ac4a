/* SPDX-License-Identifier: MIT */
/*
 * The parts of an HTTP response that we read ourselves rather than leave
 * to libcurl: header lines, the status code, Retry-After and HTTP dates,
 * validators sent back in conditional requests, Content-Type, and the
 * quick meta refresh or challenge page at the start of a body.  Pure
 * functions on bytes, no library and no I/O, so any byte string is a
 * valid input; the fetcher feeds them what curl hands it.
 */
#ifndef TREG_HTTPHEAD_H
#define TREG_HTTPHEAD_H

#include <stddef.h>
#include <time.h>

/* A validator (ETag, Last-Modified) this long or longer is not sent
 * back: a server that hands out such a value is not worth a header line
 * of that size on every request. */
#define TREG_HTTPHEAD_VALIDATOR_MAX	900

/* A meta refresh slower than this many seconds is a page that reloads
 * itself, not a redirect. */
#define TREG_HTTPHEAD_REFRESH_MAX_DELAY	5

/* What one line of a response's header block is. */
enum treg_httphead_line {
	TREG_HTTPHEAD_FIELD,	/* "name: value", or a line to ignore */
	TREG_HTTPHEAD_STATUS,	/* starts with "HTTP/" */
	TREG_HTTPHEAD_END,	/* the blank line that ends the block */
};

/* One header line split at its first colon.  The pointers point into
 * the line given to treg_httphead_field() and live as long as it. */
struct treg_httphead_field {
	const char	*name;		/* as sent, not trimmed */
	size_t		 name_len;
	const char      *value;         /* without surrounding blanks, CR, LF */
	size_t		 value_len;
};

/*
 * Classifies one line of len bytes as curl hands it over (CRLF or LF
 * kept; not NUL-terminated): a status line, the blank end line ("\r?"
 * plus one byte, or "\n"), or anything else, which is a field.
 */
enum treg_httphead_line treg_httphead_line_kind(const char *line,
	    size_t len);

/*
 * The status code of a status line of len bytes ("HTTP/1.1 200 OK",
 * "HTTP/2 404"): the digits after the first space, read until a
 * non-digit or until the value reaches 1000; 0 when no digit follows.
 * Returns -1 when the line has no space, which makes it no status line.
 */
long	treg_httphead_status(const char *line, size_t len);

/*
 * Splits one header line of len bytes at its first colon into *out.
 * Continuation lines of a folded header (obs-fold) are lines of their
 * own here: one without a colon is no field, one with a colon has a name
 * starting with a blank, which matches no header name.  Returns 0, or
 * -EINVAL (out untouched) when the line has no colon.
 */
int	treg_httphead_field(const char *line, size_t len,
	    struct treg_httphead_field *out);

/* Returns 1 when fl's name is name, compared without case, else 0. */
int	treg_httphead_field_is(const struct treg_httphead_field *fl,
	    const char *name);

/*
 * Parses an HTTP date in any of the three forms RFC 9110 (5.6.7) asks a
 * recipient to accept: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
 * RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"; a year below 70 is 20xx)
 * and asctime ("Sun Nov  6 08:49:37 1994"), with blanks around it.
 * "UTC" is taken for "GMT"; the weekday may be abbreviated, in full or
 * (IMF-fixdate) left out, and is not checked against the date; an
 * IMF-fixdate day may lack its leading zero.
 * Returns the time in seconds since the epoch, or -1 for anything else,
 * a field out of range or a date before 1970.
 */
time_t	treg_httphead_date(const char *s);

/*
 * The wait a Retry-After value asks for, in seconds: delta-seconds
 * ("120", with blanks around it; too many digits is LONG_MAX), or an
 * HTTP date measured from the server's own Date header value server_date
 * (NULL or unparsable: from now), so that a skewed clock on either side
 * does not matter; a date in the past is 0.  The caller applies its own
 * cap.  Returns the seconds, or -1 when value is NULL or neither form.
 */
long	treg_httphead_retry_after(const char *value,
	    const char *server_date, time_t now);

/*
 * Returns 1 when v, an ETag or Last-Modified value kept from an earlier
 * response, may be sent back as If-None-Match or If-Modified-Since: not
 * NULL, not empty, no CR or LF (which would start a header of its own)
 * and shorter than TREG_HTTPHEAD_VALIDATOR_MAX; else 0.
 */
int	treg_httphead_validator_ok(const char *v);

/*
 * Finds the charset parameter in the n bytes at s (a Content-Type value,
 * or a meta tag's content attribute): the first "charset" followed by
 * optional blanks and '='; a quoted value ends at the next quote of
 * either kind (or at the end), a bare one at ';', a blank or ','.
 * Returns a pointer into s with its length in *lenp (maybe 0), or NULL
 * when there is none.
 */
const char *treg_httphead_charset(const char *s, size_t n, size_t *lenp);

/*
 * Splits a Content-Type value: *typep gets the media type (what comes
 * before the first ';', without surrounding white space, in lower case;
 * maybe ""), *charsetp the charset parameter as sent (see
 * treg_httphead_charset()) or NULL.  Both are malloc'd for the caller to
 * free.  Returns 0, or -ENOMEM with both set to NULL.
 */
int	treg_httphead_content_type(const char *value, char **typep,
	    char **charsetp);

/*
 * The target of one <meta http-equiv="refresh" content="N; url=...">
 * tag, given as the len bytes from its '<' to before its '>', when the
 * delay N is at most TREG_HTTPHEAD_REFRESH_MAX_DELAY.  The target is
 * returned as written (not resolved), malloc'd for the caller to free;
 * NULL when the tag is no such refresh, or out of memory.
 */
char	*treg_httphead_meta_refresh(const char *tag, size_t len);

/*
 * The target of the first quick meta refresh (above) in the len bytes
 * at body, the start of an HTML page (NULL when len is 0); tags are not
 * looked for past the first '<meta' that has no '>'.  Returns it
 * malloc'd for the caller to free, or NULL.
 */
char	*treg_httphead_find_refresh(const char *body, size_t len);

/*
 * Returns 1 when a response is a bot-protection wall rather than an
 * answer about the page: cf_mitigated (the cf-mitigated header value, or
 * NULL) says "challenge", or status is 401, 403, 429 or 503 and the len
 * bytes at body (its start; NULL when len is 0) carry a known challenge
 * page's marker; else 0.
 */
int	treg_httphead_challenge(long status, const char *cf_mitigated,
	    const char *body, size_t len);

#endif
