/* SPDX-License-Identifier: MIT */
/*
 * Evidence text from response bodies, fed as the bytes arrive.  HTML goes
 * through libxml2's push parser (no DOM, no whole-page buffer): only what a
 * reader sees is kept, block elements break lines, and each finished block
 * is normalised (normalize.h), hashed and fingerprinted (digest.h) at once.
 * text/plain is taken as is; other types are recorded by the digest of
 * their bytes.  No I/O happens here.
 */
#ifndef TREG_EXTRACT_H
#define TREG_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

enum treg_text_kind {
	TREG_TEXT_HTML,
	TREG_TEXT_PLAIN,
	TREG_TEXT_BYTES,	/* not text: digest of the raw bytes */
};

struct treg_extract_result {
	enum treg_text_kind kind;
	char	*text;		/* normalised main text, one block a line,
				 * malloc'd, owned by the result; at most
				 * max_text bytes */
	size_t	 text_len;
	int	 text_truncated; /* the text went past max_text (the digest
				  * still covers all of it) */
	char	 digest[TREG_SHA256_HEXLEN + 1];  /* of the whole text */
	uint64_t simhash;
	size_t	 words;
	char	*charset;	/* what the bytes were decoded from; owned;
				 * NULL for TREG_TEXT_BYTES */
	char	*content_type;	/* media type, lowercased, no parameters
				 * (the sniffed one when none was given) */

	/* Navigation, page header and footer text, kept apart from the
	 * main text so a changed menu is not a changed policy.  Same form
	 * and cap as text. */
	char	*boiler_text;	/* owned */
	size_t	 boiler_len;
	char	 boiler_digest[TREG_SHA256_HEXLEN + 1];
	size_t	 boiler_words;

	char	*title;		/* normalised <title>, at most 512 bytes;
				 * owned, "" when none */
	unsigned hints;		/* TREG_EXTRACT_HINT_* seen in markup */
};

/* Markup evidence for treg_extract_unverifiable_reason(). */
#define TREG_EXTRACT_HINT_CHALLENGE	0x1	/* bot-challenge markup */
#define TREG_EXTRACT_HINT_PASSWORD	0x2	/* a password field */
#define TREG_EXTRACT_HINT_NOSCRIPT_JS	0x4	/* <noscript> asks for JS */

struct treg_extract;

/*
 * Starts an extraction for a body with the given Content-Type header value
 * (may be NULL: sniffed from the first bytes).  max_text caps the text
 * kept in the result.  Returns NULL on allocation failure (logged).
 */
struct treg_extract *treg_extract_new(const char *content_type,
	    size_t max_text);

/* Feeds the next len bytes of the body.  Returns 0 or a negative errno;
 * after an error the extraction can only be freed. */
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
 * Why a result is not usable evidence (too little text, a JavaScript
 * application shell, a bot challenge, a login or consent wall), as a
 * static string, or NULL when it is usable.
 */
const char *treg_extract_unverifiable_reason(
	    const struct treg_extract_result *res);

/* Convenience for tests and re-extraction: the whole body at once. */
int	treg_extract_buffer(const char *content_type, const char *data,
	    size_t len, size_t max_text, struct treg_extract_result *res);

#endif
