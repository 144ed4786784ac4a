/* SPDX-License-Identifier: MIT */
/*
 * Evidence text from response bodies, fed as the bytes arrive.  HTML goes
 * through libxml2's push parser (no DOM, no whole-page buffer): only what a
 * reader sees is kept, block elements break lines, and each finished block
 * is normalised (normalize.h), hashed and fingerprinted (digest.h) at once.
 * text/plain is taken as is, a PDF's text lines (pdf.h) likewise; other
 * types are recorded by the digest of their bytes.  No I/O happens here.
 */
#ifndef TREG_EXTRACT_H
#define TREG_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

/*
 * The version of the extraction rules, recorded with every stored digest.
 * Whoever changes extract.c or normalize.c so that some page's text or
 * digest changes bumps it (1 to 127): stored digests of another version
 * are then re-derived from the kept raw bodies (baseline.h) instead of
 * being reported as evidence changes.
 */
#define TREG_EXTRACT_RULES_VERSION	3

enum treg_text_kind {
	TREG_TEXT_HTML,
	TREG_TEXT_PLAIN,
	TREG_TEXT_BYTES,	/* not text: digest of the raw bytes */
	TREG_TEXT_PDF,		/* application/pdf, read by pdf.h */
};

struct treg_extract_result {
	enum treg_text_kind kind;
	char    *text;          /* normalised main text, one block a line,
				 * malloc'd, owned by the result; at most
				 * max_text bytes */
	size_t	 text_len;
	int	 text_truncated; /* the text went past max_text (the digest
				  * still covers all of it) */
	char	 digest[TREG_SHA256_HEXLEN + 1];  /* of the whole text */
	uint64_t simhash;
	size_t	 words;
	char	*charset;	/* what the bytes were decoded from; owned;
				 * NULL for TREG_TEXT_BYTES and _PDF */
	char    *content_type;  /* media type, lowercased, no parameters
				 * (the sniffed one when none was given) */

	/* Navigation, page header and footer text, kept apart from the
	 * main text so a changed menu is not a changed policy.  Same form
	 * and cap as text. */
	char	*boiler_text;	/* owned */
	size_t	 boiler_len;
	char	 boiler_digest[TREG_SHA256_HEXLEN + 1];
	size_t	 boiler_words;

	char    *title;         /* normalised <title>, at most 512 bytes;
				 * owned, "" when none */
	unsigned hints;		/* TREG_EXTRACT_HINT_* seen in markup */
};

/* Markup evidence for treg_extract_unverifiable_reason(). */
#define TREG_EXTRACT_HINT_CHALLENGE	0x1	/* bot-challenge markup */
#define TREG_EXTRACT_HINT_PASSWORD	0x2	/* a password field */
#define TREG_EXTRACT_HINT_NOSCRIPT_JS   0x4     /* <noscript> asks for JS */
#define TREG_EXTRACT_HINT_BINARY        0x8     /* over a tenth of the decoded
						 * characters are U+FFFD or
						 * controls */

struct treg_extract;

/*
 * Readies libxml2 and the tables extraction shares, so that extractions
 * may then run on several threads at once, each on its own treg_extract
 * (a PDF's are read one at a time, pdf.h).  Call it on the main thread
 * before any other thread extracts.  Returns 0 or a negative errno
 * (logged).
 */
int	treg_extract_init(void);

/*
 * Starts an extraction for a body with the given Content-Type header value
 * (may be NULL: sniffed from the first bytes).  max_text caps the text
 * kept in the result.  Returns NULL on allocation failure (logged).
 */
struct treg_extract *treg_extract_new(const char *content_type,
	    size_t max_text);

/*
 * Per-source selectors (from the registry): each is a tag name ("aside"),
 * an id ("#cookie-banner") or a class (".ad").  Everything inside an
 * element a drop selector matches is not text at all.  When there are
 * keep selectors, only text inside an element one of them matches is main
 * text (the default boilerplate rules still apply within it), and the
 * rest of the page goes to the boilerplate.  The strings are copied.
 */
struct treg_extract_select {
	const char *const *keep;
	size_t	 nkeep;
	const char *const *drop;
	size_t	 ndrop;
};

/* Returns 1 when sel is a selector treg_extract_new_with() accepts: a
 * tag name, or '#' or '.' and a name, of [A-Za-z0-9_-], at most 64
 * bytes in all; else 0. */
int	treg_extract_selector_valid(const char *sel);

/*
 * As treg_extract_new(), with selectors (sel may be NULL: none).  Returns
 * NULL on allocation failure or an invalid selector (logged).
 */
struct treg_extract *treg_extract_new_with(const char *content_type,
	    size_t max_text, const struct treg_extract_select *sel);

/*
 * Caps what must be held whole before it can be read (call before the
 * first feed): a PDF body over max_body bytes (default
 * TREG_EXTRACT_MAX_BODY) fails the feed, or the finish when the whole
 * body was shorter than the first KiB, with -EFBIG.
 */
void	treg_extract_set_max_body(struct treg_extract *ex, size_t max_body);

#define TREG_EXTRACT_MAX_BODY	(16 * 1024 * 1024)

/* Feeds the next len bytes of the body.  Returns 0 or a negative errno;
 * after an error the extraction can only be freed.  A PDF is only held
 * here; its text is read at treg_extract_finish(). */
int	treg_extract_feed(struct treg_extract *ex, const char *data,
	    size_t len);

/*
 * Ends the body and fills *res (which the caller cleans up with
 * treg_extract_result_cleanup()).  Returns 0 or a negative errno.
 */
int	treg_extract_finish(struct treg_extract *ex,
	    struct treg_extract_result *res);

/* Frees ex; NULL does nothing. */
void	treg_extract_free(struct treg_extract *ex);

/* Frees what res owns and zeroes it. */
void	treg_extract_result_cleanup(struct treg_extract_result *res);

/*
 * Why a result is not usable evidence (binary served as text, too little
 * text, a JavaScript application shell, a bot challenge, a login or
 * consent wall), as a
 * static string, or NULL when it is usable.
 */
const char *treg_extract_unverifiable_reason(
	    const struct treg_extract_result *res);

/* Convenience for tests and re-extraction: the whole body at once. */
int	treg_extract_buffer(const char *content_type, const char *data,
	    size_t len, size_t max_text, struct treg_extract_result *res);

#endif
