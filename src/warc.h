/* SPDX-License-Identifier: MIT */
/*
 * The evidence archive: HTTP responses written as WARC/1.0 `response`
 * records into daily files (DIR/YYYY-MM-DD.warc.gz, by the UTC date of
 * the fetch), one gzip member per record, so standard web-archive tools
 * open the exact evidence a verdict was based on.  Records are built and
 * compressed here (libarchive 3.6 writes only `resource` records); the
 * reader side goes through libarchive's WARC reader, which is what the
 * tests and --show use to check a file.  Only this module and the bundle
 * code include archive.h.
 */
#ifndef TREG_WARC_H
#define TREG_WARC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One response as fetched.  All pointers are borrowed. */
struct treg_warc_response {
	const char *target_uri;		/* the URL requested */
	int64_t	 date;			/* time of the fetch */
	const char *http_head;		/* status line and header lines as
					 * received, CRLFs kept, ending with
					 * the blank line */
	size_t	 http_head_len;
	const char *payload;		/* the body as decoded by the
					 * fetcher */
	size_t	 payload_len;
	/* Instead of payload: payload_len bytes from this file's start,
	 * so a large body is never whole in memory (only compressed). */
	FILE	*payload_fp;
	const char *payload_sha256;	/* its SHA-256 in hex when the caller
					 * has it, or NULL */
};

/*
 * Appends r as one gzip member to DIR/YYYY-MM-DD.warc.gz, creating dir
 * and the file as needed.  The body is the decoded one, so the header
 * lines that described the encoding on the wire (Content-Encoding,
 * Transfer-Encoding, Content-Length) are kept renamed with an
 * "X-Treg-Original-" prefix and a Content-Length of the stored body is
 * added.  WARC-Payload-Digest is "sha256:" and the base32 SHA-256 of
 * the stored body.  Returns 0 or a negative errno (logged).
 */
int     treg_warc_append(const char *dir, const struct treg_warc_response *r);

/*
 * The two halves of treg_warc_append(), so that the costly one can run
 * off the thread that owns the files.  treg_warc_build() compresses r's
 * record into one gzip member in *gzp (malloc'd; the caller frees it)
 * and touches nothing but r and its payload file; treg_warc_write()
 * appends such a member to the day's file for date.  Both return 0 or a
 * negative errno; only treg_warc_write() logs, naming target_uri.
 */
int	treg_warc_build(const struct treg_warc_response *r,
	    unsigned char **gzp, size_t *gzlenp);
int	treg_warc_write(const char *dir, int64_t date,
	    const char *target_uri, const unsigned char *gz, size_t gzlen);

/*
 * Reads the WARC file at path (gzip-per-record, whole-file gzip or plain;
 * libarchive decompresses) and calls fn for each `response` or
 * `resource` record, with its target URI and its block (for a response:
 * the HTTP head, then the body), until fn returns non-zero.  *nrecords
 * (when not NULL) counts those records.  Returns 0, fn's value, or
 * -EINVAL for a file that is not a well-framed WARC.
 */
int	treg_warc_read(const char *path,
	    int (*fn)(void *arg, const char *uri, const char *block,
	    size_t len), void *arg, size_t *nrecords);

/*
 * As treg_warc_read(), through libarchive's own WARC reader, the way
 * other tools built on it see the file.  XXX: libarchive 3.6 skips
 * records whose target URI ends in '/' (it takes them for directories),
 * so those are only seen by treg_warc_read().
 */
int	treg_warc_read_archive(const char *path,
	    int (*fn)(void *arg, const char *uri, const char *block,
	    size_t len), void *arg, size_t *nrecords);

/* The body of an HTTP response block: what follows the first blank line
 * (CRLF CRLF or LF LF); NULL when there is none.  *lenp is set. */
const char *treg_warc_http_body(const char *block, size_t len,
	    size_t *lenp);

#endif
