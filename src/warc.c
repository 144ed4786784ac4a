/* SPDX-License-Identifier: MIT */
/*
 * WARC writing and reading.  A record is assembled in memory (the body
 * is bounded by max_body), deflated as one gzip member, and appended
 * with a single write to a file opened O_APPEND, so concurrent writers
 * and a crash leave at worst a truncated last member, which readers
 * report and skip.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <libdeflate.h>
#endif
#include <zlib.h>

#include "buf.h"
#include "digest.h"
#include "log.h"
#include "warc.h"

#define WARC_READ_BLOCK	65536
/* XXX: a file is read whole into memory to be walked, so a daily file
 * larger than this cannot be checked; evidence files are far smaller. */
#define WARC_READ_MAX	((size_t)256 << 20)

static const char *const warc_renamed[] = {
	"content-encoding", "transfer-encoding", "content-length",
};

/* RFC 4648 base32, as WARC tools print payload digests. */
static void
warc_base32(const unsigned char *in, size_t len, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	size_t i, k = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[k++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[k++] = alphabet[(acc << (5 - bits)) & 31];
	while (k % 8 != 0)
		out[k++] = '=';
	out[k] = '\0';
}

/* The body is hashed here only when the caller has not done it already:
 * a second pass over every new page costs as much as its text's. */
static int
warc_payload_digest(const struct treg_warc_response *r, char *out)
{
	struct treg_sha256 *ctx;
	unsigned char raw[TREG_SHA256_LEN];
	int rc = -ENOMEM;

	if (r->payload_sha256 != NULL &&
	    treg_sha256_unhex(r->payload_sha256, raw) == 0) {
		warc_base32(raw, sizeof(raw), out);
		return 0;
	}
	if (r->payload_fp != NULL) {
		rc = treg_sha256_file(r->payload_fp, r->payload_len, raw);
		if (rc == 0)
			warc_base32(raw, sizeof(raw), out);
		return rc;
	}
	ctx = treg_sha256_new();
	if (ctx == NULL)
		return rc;
	rc = treg_sha256_update(ctx, r->payload, r->payload_len);
	if (rc == 0)
		rc = treg_sha256_final(ctx, raw);
	treg_sha256_free(ctx);
	if (rc == 0)
		warc_base32(raw, sizeof(raw), out);
	return rc;
}

static int
warc_record_id(char *out, size_t size)
{
	unsigned char u[16];

	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		return -EIO;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, size, "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x>", u[0], u[1], u[2], u[3],
	    u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	    u[14], u[15]);
	return 0;
}

static int
warc_is_renamed(const char *line, size_t len)
{
	size_t i, n;

	for (i = 0; i < sizeof(warc_renamed) / sizeof(warc_renamed[0]);
	    i++) {
		n = strlen(warc_renamed[i]);
		if (len > n && line[n] == ':' &&
		    strncasecmp(line, warc_renamed[i], n) == 0)
			return 1;
	}
	return 0;
}

/* The HTTP head as stored: status line kept, encoding lines renamed,
 * the stored body's length added, one blank line at the end. */
static int
warc_http_head(const struct treg_warc_response *r, struct treg_buf *b)
{
	const char *p = r->http_head, *end = p + r->http_head_len, *nl;
	size_t len;
	int rc = 0;

	while (p < end && rc == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0) {
			if (warc_is_renamed(p, len))
				rc = treg_buf_puts(b, "X-Treg-Original-");
			if (rc == 0)
				rc = treg_buf_append(b, p, len);
			if (rc == 0)
				rc = treg_buf_puts(b, "\r\n");
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (rc == 0)
		rc = treg_buf_printf(b, "Content-Length: %zu\r\n\r\n",
		    r->payload_len);
	return rc;
}

static int
warc_record(const struct treg_warc_response *r, struct treg_buf *rec)
{
	struct treg_buf head;
	char digest[128], id[64], date[32];
	time_t t = (time_t)r->date;
	struct tm tm;
	int rc;

	treg_buf_init(&head, 0);
	if (gmtime_r(&t, &tm) == NULL)
		return -EINVAL;
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = warc_http_head(r, &head);
	if (rc == 0)
		rc = warc_payload_digest(r, digest);
	if (rc == 0)
		rc = warc_record_id(id, sizeof(id));
	if (rc == 0)
		rc = treg_buf_printf(rec, "WARC/1.0\r\n"
		    "WARC-Type: response\r\n"
		    "WARC-Record-ID: %s\r\n"
		    "WARC-Date: %s\r\n"
		    "WARC-Target-URI: %s\r\n"
		    "WARC-Payload-Digest: sha256:%s\r\n"
		    "Content-Type: application/http;msgtype=response\r\n"
		    "Content-Length: %zu\r\n\r\n", id, date, r->target_uri,
		    digest, head.len + r->payload_len);
	if (rc == 0)
		rc = treg_buf_append(rec, head.data, head.len);
	/* A payload in a file is compressed from there, trailer after. */
	if (rc == 0 && r->payload_fp == NULL && r->payload_len > 0)
		rc = treg_buf_append(rec, r->payload, r->payload_len);
	if (rc == 0 && r->payload_fp == NULL)
		rc = treg_buf_puts(rec, "\r\n\r\n");
	treg_buf_cleanup(&head);
	return rc;
}

/*
 * The gzip compressor, one of two: ISA-L's igzip where it is built (about
 * twice as fast as libdeflate's fastest level on our pages, for members
 * about 7% larger; WARC writing is the largest cost of a first crawl
 * after parsing), else libdeflate.  Speed over size either way: this runs
 * for every new or changed page.
 */
#ifdef HAVE_ISAL
struct warc_gzipper {
	struct isal_zstream z;
	/* Level 1's token buffer: the small size is as fast within 4% and
	 * compresses the same, for 86 KB instead of 283. */
	uint8_t level_buf[ISAL_DEF_LVL1_SMALL];
};

static void *
warc_gzipper_new(void)
{
	/* Zeroed: igzip reads hash-table entries that no record has
	 * written yet, as match candidates, and valgrind reports a jump
	 * on uninitialised memory (test_warc reads every record back
	 * whole, incompressible ones included). */
	return calloc(1, sizeof(struct warc_gzipper));
}

static void
warc_gzipper_free(void *g)
{
	free(g);
}

/* At most what the compressor writes for len bytes: igzip falls back to
 * stored blocks (5 bytes of header each 65,535 bytes), then the gzip
 * header and trailer. */
static size_t
warc_gzip_bound(void *g, size_t len)
{
	return len + (len / 65535 + 1) * 5 + 64;
}

static size_t
warc_gzip_into(void *g, const char *in, size_t len, unsigned char *out,
    size_t cap)
{
	struct warc_gzipper *gz = g;

	/* igzip counts in 32 bits; bodies past max_body never get here. */
	if (len > UINT32_MAX || cap > UINT32_MAX)
		return 0;
	isal_deflate_stateless_init(&gz->z);
	gz->z.gzip_flag = IGZIP_GZIP;
	gz->z.level = 1;
	gz->z.level_buf = gz->level_buf;
	gz->z.level_buf_size = sizeof(gz->level_buf);
	gz->z.end_of_stream = 1;
	gz->z.flush = NO_FLUSH;
	/* The input is only read; igzip's stream has no const. */
	gz->z.next_in = (uint8_t *)(uintptr_t)in;
	gz->z.avail_in = (uint32_t)len;
	gz->z.next_out = out;
	gz->z.avail_out = (uint32_t)cap;
	if (isal_deflate_stateless(&gz->z) != COMP_OK)
		return 0;
	return gz->z.total_out;
}
#else
static void *
warc_gzipper_new(void)
{
	/* libdeflate's fastest level still compresses our pages better
	 * than zlib's fastest. */
	return libdeflate_alloc_compressor(1);
}

static void
warc_gzipper_free(void *g)
{
	libdeflate_free_compressor(g);
}

static size_t
warc_gzip_bound(void *g, size_t len)
{
	return libdeflate_gzip_compress_bound(g, len);
}

static size_t
warc_gzip_into(void *g, const char *in, size_t len, unsigned char *out,
    size_t cap)
{
	return libdeflate_gzip_compress(g, in, len, out, cap);
}
#endif

/*
 * Each thread keeps one compressor: 170 KB of state with igzip, 200 KB
 * of tables with libdeflate, which allocating for every record cost a
 * large malloc and free per page.  The key's destructor frees a
 * worker's at its exit; the main thread's lasts the process.
 */
static pthread_key_t warc_gzipper_key;
static pthread_once_t warc_gzipper_once = PTHREAD_ONCE_INIT;
static int warc_gzipper_key_rc;

static void
warc_gzipper_key_new(void)
{
	warc_gzipper_key_rc = pthread_key_create(&warc_gzipper_key,
	    warc_gzipper_free);
}

static void *
warc_gzipper(void)
{
	void *g;

	if (pthread_once(&warc_gzipper_once, warc_gzipper_key_new) != 0 ||
	    warc_gzipper_key_rc != 0)
		return NULL;
	g = pthread_getspecific(warc_gzipper_key);
	if (g != NULL)
		return g;
	g = warc_gzipper_new();
	if (g != NULL && pthread_setspecific(warc_gzipper_key, g) != 0) {
		warc_gzipper_free(g);
		g = NULL;
	}
	return g;
}

/* in as one gzip member in *outp (malloc'd). */
static int
warc_gzip(const char *in, size_t len, unsigned char **outp, size_t *outlenp)
{
	unsigned char *out = NULL, *fit;
	size_t cap, n;
	void *g;
	int rc = -ENOMEM;

	g = warc_gzipper();
	if (g == NULL)
		goto out;
	cap = warc_gzip_bound(g, len);
	out = malloc(cap);
	if (out == NULL)
		goto out;
	n = warc_gzip_into(g, in, len, out, cap);
	if (n == 0) {
		rc = -EIO;
		goto out;
	}
	/* The bound is the input's size; a member may wait a while for
	 * its write, so it keeps only what it uses. */
	fit = realloc(out, n);
	if (fit != NULL)
		out = fit;
	*outp = out;
	*outlenp = n;
	out = NULL;
	rc = 0;

out:
	free(out);
	return rc;
}

/* Feeds len bytes to z, growing *outp (of *capp bytes) as it fills. */
static int
warc_deflate(z_stream *z, const void *in, size_t len, int flush,
    unsigned char **outp, size_t *capp)
{
	unsigned char *grown;
	size_t used;
	int zrc;

	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)len;
	do {
		if (z->avail_out == 0) {
			used = *capp;
			grown = realloc(*outp, *capp * 2);
			if (grown == NULL)
				return -ENOMEM;
			*outp = grown;
			*capp *= 2;
			z->next_out = grown + used;
			z->avail_out = (uInt)(*capp - used);
		}
		zrc = deflate(z, flush);
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
			return -EIO;
	} while (z->avail_in > 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
	return 0;
}

/*
 * The record's head, then len bytes of fp, then the trailer, as one
 * gzip member in *outp (malloc'd), for a spilled body that cannot be
 * mapped.  zlib's stream, not the one-call compressor: a body this
 * large is spilled to a file so as not to be whole in memory.
 * XXX: the member itself is built in memory before its one write, so a
 * body that does not compress still costs about its size.
 */
static int
warc_gzip_file(const struct treg_buf *head, FILE *fp, size_t len,
    unsigned char **outp, size_t *outlenp)
{
	char chunk[65536];
	unsigned char *out = NULL;
	size_t cap, n;
	z_stream z;
	int rc = -ENOMEM;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = head->len + len / 4 + 4096;
	out = malloc(cap);
	if (out == NULL)
		goto out;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	rc = fseek(fp, 0, SEEK_SET) == 0 ? 0 : -EIO;
	if (rc == 0)
		rc = warc_deflate(&z, head->data, head->len, Z_NO_FLUSH, &out,
		    &cap);
	while (rc == 0 && len > 0) {
		n = len < sizeof(chunk) ? len : sizeof(chunk);
		if (fread(chunk, 1, n, fp) != n) {
			rc = -EIO;
			break;
		}
		rc = warc_deflate(&z, chunk, n, Z_NO_FLUSH, &out, &cap);
		len -= n;
	}
	if (rc == 0)
		rc = warc_deflate(&z, "\r\n\r\n", 4, Z_FINISH, &out, &cap);
	if (rc == 0) {
		*outp = out;
		*outlenp = cap - z.avail_out;
		out = NULL;
	}

out:
	deflateEnd(&z);
	free(out);
	return rc;
}

/*
 * A spilled payload: the record's head and trailer are laid around a
 * mapping of the file and the whole is compressed in one call, as a
 * payload in memory is (zlib's stream costs two to four times the
 * one-call compressor, and these bodies are more than half the bytes
 * crawled).
 * Only a body too large to map, or a file that cannot be mapped,
 * streams through zlib.
 */
static int
warc_gzip_spilled(const struct treg_buf *head, FILE *fp, size_t len,
    unsigned char **outp, size_t *outlenp)
{
	struct treg_digest_map m;
	int rc;

	if (treg_digest_map_file(fp, len, head->len, 4, &m) < 0)
		return warc_gzip_file(head, fp, len, outp, outlenp);
	memcpy(m.data, head->data, head->len);
	memcpy(m.data + head->len + len, "\r\n\r\n", 4);
	rc = warc_gzip((const char *)m.data, head->len + len + 4, outp,
	    outlenp);
	treg_digest_unmap_file(&m);
	return rc;
}

static int
warc_write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Appends one member.  A write that fails part-way (disk full, file size
 * limit) is cut back off, so the file stays a valid series of members:
 * half a member would make every later one unreadable.  The lock keeps
 * another writer's member from landing between the size taken and the
 * cut.
 */
static int
warc_append_member(int fd, const unsigned char *gz, size_t len)
{
	struct stat sb;
	int rc;

	if (flock(fd, LOCK_EX) < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	rc = warc_write_all(fd, gz, len);
	if (rc < 0 && ftruncate(fd, sb.st_size) < 0)
		log_err("warc", "cannot cut a failed record off: err=%s",
		    strerror(errno));

out:
	(void)flock(fd, LOCK_UN);
	return rc;
}

int
treg_warc_build(const struct treg_warc_response *r, unsigned char **gzp,
    size_t *gzlenp)
{
	struct treg_buf rec;
	int rc;

	*gzp = NULL;
	*gzlenp = 0;
	treg_buf_init(&rec, 0);
	rc = warc_record(r, &rec);
	if (rc == 0 && r->payload_fp != NULL)
		rc = warc_gzip_spilled(&rec, r->payload_fp, r->payload_len,
		    gzp, gzlenp);
	else if (rc == 0)
		rc = warc_gzip(rec.data, rec.len, gzp, gzlenp);
	treg_buf_cleanup(&rec);
	return rc;
}

int
treg_warc_write(const char *dir, int64_t date, const char *target_uri,
    const unsigned char *gz, size_t gzlen)
{
	char path[4096], day[16];
	time_t t = (time_t)date;
	struct tm tm;
	int fd = -1, rc;

	if (gmtime_r(&t, &tm) == NULL) {
		rc = -EINVAL;
		goto out;
	}
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	if (snprintf(path, sizeof(path), "%s/%s.warc.gz", dir, day) >=
	    (int)sizeof(path)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		goto out;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = warc_append_member(fd, gz, gzlen);

out:
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		log_warn("warc", "url=%s cannot archive the response: err=%s",
		    target_uri, strerror(-rc));
	return rc;
}

int
treg_warc_append(const char *dir, const struct treg_warc_response *r)
{
	unsigned char *gz = NULL;
	size_t gzlen = 0;
	int rc;

	rc = treg_warc_build(r, &gz, &gzlen);
	if (rc < 0)
		log_warn("warc", "url=%s cannot archive the response: err=%s",
		    r->target_uri, strerror(-rc));
	else
		rc = treg_warc_write(dir, r->date, r->target_uri, gz, gzlen);
	free(gz);
	return rc;
}

const char *
treg_warc_http_body(const char *block, size_t len, size_t *lenp)
{
	size_t i;

	*lenp = 0;
	for (i = 0; i + 1 < len; i++) {
		if (block[i] != '\n')
			continue;
		if (block[i + 1] == '\n') {
			*lenp = len - i - 2;
			return block + i + 2;
		}
		if (i + 2 < len && block[i + 1] == '\r' &&
		    block[i + 2] == '\n') {
			*lenp = len - i - 3;
			return block + i + 3;
		}
	}
	return NULL;
}

/* Reads one entry's data into b (bounded by WARC_READ_MAX). */
static int
warc_read_data(struct archive *a, struct treg_buf *b)
{
	char chunk[WARC_READ_BLOCK];
	la_ssize_t n;
	int rc = 0;

	treg_buf_reset(b);
	while (rc == 0 && (n = archive_read_data(a, chunk,
	    sizeof(chunk))) > 0)
		rc = treg_buf_append(b, chunk, (size_t)n);
	if (rc == -E2BIG)
		rc = -EFBIG;
	else if (rc == 0 && n < 0)
		rc = -EINVAL;
	return rc;
}

static struct archive *
warc_open(const char *path, int format)
{
	struct archive *a;

	a = archive_read_new();
	if (a == NULL)
		return NULL;
	archive_read_support_filter_all(a);
	if (format)
		archive_read_support_format_warc(a);
	else
		archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, WARC_READ_BLOCK) !=
	    ARCHIVE_OK) {
		log_debug("warc", "file=%s unreadable: %s", path,
		    archive_error_string(a) != NULL ?
		    archive_error_string(a) : "no detail");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* The value of header name in the WARC header block [p, end), or NULL;
 * *lenp is its length. */
static const char *
warc_field(const char *p, const char *end, const char *name, size_t *lenp)
{
	size_t n = strlen(name);
	const char *nl, *v;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > n && p[n] == ':' &&
		    strncasecmp(p, name, n) == 0) {
			v = p + n + 1;
			while (v < nl && (*v == ' ' || *v == '\t'))
				v++;
			*lenp = (size_t)(nl - v);
			if (*lenp > 0 && v[*lenp - 1] == '\r')
				(*lenp)--;
			return v;
		}
		p = nl + 1;
	}
	return NULL;
}

/*
 * Walks the records of a decompressed WARC: a "WARC/" version line,
 * header lines, a blank line, Content-Length bytes of block, CRLF CRLF.
 */
static int
warc_walk(const char *p, size_t len, int (*fn)(void *, const char *,
    const char *, size_t), void *arg, size_t *nrecords)
{
	const char *end = p + len, *hdr_end, *v;
	char uri[4096], type[32];
	size_t vlen, clen;
	int rc = 0;

	while (rc == 0 && p < end) {
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
		if (p == end)
			break;
		if ((size_t)(end - p) < 5 || memcmp(p, "WARC/", 5) != 0)
			return -EINVAL;
		hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hdr_end == NULL)
			return -EINVAL;
		v = warc_field(p, hdr_end, "Content-Length", &vlen);
		if (v == NULL || vlen == 0 || vlen > 18)
			return -EINVAL;
		clen = (size_t)strtoull(v, NULL, 10);
		if (clen > (size_t)(end - hdr_end - 4))
			return -EINVAL;
		v = warc_field(p, hdr_end, "WARC-Type", &vlen);
		snprintf(type, sizeof(type), "%.*s", v != NULL ? (int)vlen : 0,
		    v != NULL ? v : "");
		v = warc_field(p, hdr_end, "WARC-Target-URI", &vlen);
		snprintf(uri, sizeof(uri), "%.*s", v != NULL ? (int)vlen : 0,
		    v != NULL ? v : "");
		p = hdr_end + 4;
		if (strcmp(type, "response") == 0 ||
		    strcmp(type, "resource") == 0) {
			if (nrecords != NULL)
				(*nrecords)++;
			if (fn != NULL)
				rc = fn(arg, uri, p, clen);
		}
		p += clen;
	}
	return rc;
}

int
treg_warc_read(const char *path, int (*fn)(void *arg, const char *uri,
    const char *block, size_t len), void *arg, size_t *nrecords)
{
	struct archive *a;
	struct archive_entry *entry;
	struct treg_buf b;
	int rc;

	if (nrecords != NULL)
		*nrecords = 0;
	treg_buf_init(&b, WARC_READ_MAX);
	a = warc_open(path, 0);
	if (a == NULL)
		return -EINVAL;
	rc = archive_read_next_header(a, &entry) == ARCHIVE_OK ? 0 : -EINVAL;
	if (rc == 0)
		rc = warc_read_data(a, &b);
	if (rc == 0)
		rc = warc_walk(b.data != NULL ? b.data : "", b.len, fn, arg,
		    nrecords);
	archive_read_free(a);
	treg_buf_cleanup(&b);
	return rc;
}

int
treg_warc_read_archive(const char *path, int (*fn)(void *arg,
    const char *uri, const char *block, size_t len), void *arg,
    size_t *nrecords)
{
	struct archive *a;
	struct archive_entry *entry;
	struct treg_buf b;
	const char *uri;
	int rc = 0, arc;

	if (nrecords != NULL)
		*nrecords = 0;
	treg_buf_init(&b, WARC_READ_MAX);
	a = warc_open(path, 1);
	if (a == NULL)
		return -EINVAL;
	while (rc == 0) {
		arc = archive_read_next_header(a, &entry);
		if (arc == ARCHIVE_EOF)
			break;
		if (arc != ARCHIVE_OK && arc != ARCHIVE_WARN) {
			rc = -EINVAL;
			break;
		}
		rc = warc_read_data(a, &b);
		if (rc < 0)
			break;
		if (nrecords != NULL)
			(*nrecords)++;
		uri = archive_entry_pathname(entry);
		if (fn != NULL)
			rc = fn(arg, uri != NULL ? uri : "",
			    b.data != NULL ? b.data : "", b.len);
	}
	archive_read_free(a);
	treg_buf_cleanup(&b);
	return rc;
}
