/* SPDX-License-Identifier: MIT */
/*
 * Digests of evidence text: SHA-256 (OpenSSL EVP) for identity, and a
 * 64-bit simhash over word shingles for similarity, both computed as the
 * text streams in.  A one-word edit moves the simhash by a few bits; a
 * rewritten page by about half of them.
 */
#ifndef TREG_DIGEST_H
#define TREG_DIGEST_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define TREG_SHA256_LEN		32
#define TREG_SHA256_HEXLEN	64	/* without the terminator */
#define TREG_SHINGLE_WORDS	3	/* words per simhash shingle */

struct treg_sha256;

/*
 * Fetches SHA-256's method and fills the simhash tables, which are
 * otherwise made at first use.  Call it once on the main thread before
 * other threads hash (extract.h's treg_extract_init() does); afterwards
 * every function here may run on several threads at once, each on its
 * own contexts.  Returns 0, or -EIO when OpenSSL has no SHA-256 (logged).
 */
int	treg_digest_init(void);

/* Returns a new SHA-256 context, or NULL (logged). */
struct treg_sha256 *treg_sha256_new(void);

/* Adds len bytes.  Returns 0 or -EIO. */
int	treg_sha256_update(struct treg_sha256 *ctx, const void *data,
	    size_t len);

/* Writes the digest (TREG_SHA256_LEN bytes) to out.  The context may not
 * be updated again.  Returns 0 or -EIO. */
int	treg_sha256_final(struct treg_sha256 *ctx, unsigned char *out);

/* Frees ctx; NULL does nothing. */
void	treg_sha256_free(struct treg_sha256 *ctx);

/* Writes the lowercase hex form of a digest, NUL-terminated, into hex
 * (TREG_SHA256_HEXLEN + 1 bytes). */
void	treg_sha256_hex(const unsigned char *digest, char *hex);

/* One-shot SHA-256 of data into hex.  Returns 0 or -EIO. */
int	treg_sha256_hex_of(const void *data, size_t len, char *hex);

/* The lowercase hex form back to TREG_SHA256_LEN bytes in raw.  Returns
 * 0, or -EINVAL unless hex is exactly that many lowercase digits. */
int	treg_sha256_unhex(const char *hex, unsigned char *raw);

/* SHA-256 of the first len bytes of fp into raw: on a mapping of the
 * file (treg_digest_map_file()), or read from its start in chunks when
 * it cannot be mapped, so a large body is never whole in the heap.
 * Returns 0, -EIO when fp holds fewer bytes or cannot be read, or
 * -ENOMEM. */
int	treg_sha256_file(FILE *fp, size_t len, unsigned char *raw);

/* Largest file treg_digest_map_file() maps; a larger one is streamed.
 * Above the default max_body (10 MiB), so that only a raised limit
 * streams: a mapped body adds its size to the RSS while it is mapped. */
#define TREG_DIGEST_MAP_MAX	((size_t)16 << 20)

/*
 * A spilled body seen in place.  data points at `before` writable bytes,
 * then the file's first len bytes, then `after` writable bytes, so one-
 * shot compressors and hashes take a record around the body without
 * copying it to the heap.  The mapping is private: writes never reach
 * the file.  Treat the other fields as private.
 */
struct treg_digest_map {
	unsigned char	*data;
	void		*base;		/* what munmap() takes */
	size_t		 size;
};

/*
 * Maps the first len bytes of fp (flushed first) with the room asked
 * for around them, into *m.  The file must not shrink while mapped (a
 * spill file is ours and unlinked).  Returns 0, -EFBIG when len is 0
 * or over TREG_DIGEST_MAP_MAX, -EIO when fp holds fewer bytes or is not
 * a regular file, or another negative errno from mmap(); on an error
 * the caller reads fp instead.  Nothing is logged.
 */
int	treg_digest_map_file(FILE *fp, size_t len, size_t before,
	    size_t after, struct treg_digest_map *m);

/* Undoes treg_digest_map_file(); a zeroed or failed *m does nothing. */
void	treg_digest_unmap_file(struct treg_digest_map *m);

/*
 * Streaming simhash.  Words are fed one at a time (already normalised);
 * each shingle of TREG_SHINGLE_WORDS consecutive words votes on 64 bits.
 * Texts of fewer words than a shingle still get a hash from their words.
 * The votes are kept as counts of one bits: up to 255 shingles in byte
 * lanes (bit j of every byte of the shingle hash one 64-bit add to
 * lanes[j]), then folded into the per-bit totals.  Treat the fields as
 * private.
 */
struct treg_simhash {
	uint64_t lanes[8];	/* byte k of lanes[j]: ones of bit 8k+j */
	uint32_t ones[64];	/* ones per bit folded out of the lanes */
	unsigned pending;	/* shingles in the lanes */
	uint64_t ring[TREG_SHINGLE_WORDS];	/* hashes of the last words */
	size_t	 nwords;
};

void	treg_simhash_init(struct treg_simhash *sh);

/* Feeds one word of len bytes. */
void	treg_simhash_add_word(struct treg_simhash *sh, const char *word,
	    size_t len);

/* Feeds every word of a UTF-8 text (words as treg_normalize_count_words
 * sees them), splitting and hashing in one pass.  Returns the number of
 * words fed. */
size_t	treg_simhash_add_text(struct treg_simhash *sh, const char *text,
	    size_t len);

/* Returns the fingerprint of what was fed so far. */
uint64_t treg_simhash_value(const struct treg_simhash *sh);

/* Returns the number of differing bits (0..64). */
int	treg_simhash_distance(uint64_t a, uint64_t b);

#endif
