/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 through OpenSSL's EVP interface, and a 64-bit simhash over word
 * shingles.  The SHA-256 implementation is fetched from the provider once
 * and shared by every context; OpenSSL errors are logged here and become
 * -EIO, so no caller sees an OpenSSL code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "digest.h"
#include "log.h"
#include "normalize.h"

struct treg_sha256 {
	EVP_MD_CTX	*md;
	int		 finished;
};

/*
 * Fetching an algorithm walks the provider tables and takes locks; doing
 * it once, not per page, matters at crawl rates.  The daemon digests from
 * one thread, and the fetched method lives until exit.
 */
static EVP_MD *sha256_md;

static const EVP_MD *
sha256_method(void)
{
	if (sha256_md == NULL) {
		sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (sha256_md == NULL)
			log_err("digest", "EVP_MD_fetch SHA256 failed err=%s",
			    ERR_error_string(ERR_get_error(), NULL));
	}
	return sha256_md;
}

struct treg_sha256 *
treg_sha256_new(void)
{
	struct treg_sha256 *ctx = NULL;
	const EVP_MD *md;

	md = sha256_method();
	if (md == NULL)
		goto out;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		log_err("digest", "calloc failed err=%s", strerror(ENOMEM));
		goto out;
	}
	ctx->md = EVP_MD_CTX_new();
	if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, md, NULL) != 1) {
		log_err("digest", "EVP_DigestInit_ex failed err=%s",
		    ERR_error_string(ERR_get_error(), NULL));
		treg_sha256_free(ctx);
		ctx = NULL;
	}

out:
	return ctx;
}

int
treg_sha256_update(struct treg_sha256 *ctx, const void *data, size_t len)
{
	if (ctx->finished)
		return -EIO;
	if (len == 0)
		return 0;
	if (EVP_DigestUpdate(ctx->md, data, len) != 1) {
		log_err("digest", "EVP_DigestUpdate failed err=%s",
		    ERR_error_string(ERR_get_error(), NULL));
		return -EIO;
	}
	return 0;
}

int
treg_sha256_final(struct treg_sha256 *ctx, unsigned char *out)
{
	unsigned int n = 0;

	if (ctx->finished)
		return -EIO;
	ctx->finished = 1;
	if (EVP_DigestFinal_ex(ctx->md, out, &n) != 1 ||
	    n != TREG_SHA256_LEN) {
		log_err("digest", "EVP_DigestFinal_ex failed err=%s",
		    ERR_error_string(ERR_get_error(), NULL));
		return -EIO;
	}
	return 0;
}

void
treg_sha256_free(struct treg_sha256 *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

void
treg_sha256_hex(const unsigned char *digest, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < TREG_SHA256_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0x0f];
	}
	hex[TREG_SHA256_HEXLEN] = '\0';
}

int
treg_sha256_hex_of(const void *data, size_t len, char *hex)
{
	unsigned char digest[TREG_SHA256_LEN];
	unsigned int n = 0;
	const EVP_MD *md;

	md = sha256_method();
	if (md == NULL)
		return -EIO;
	if (EVP_Digest(data, len, digest, &n, md, NULL) != 1 ||
	    n != TREG_SHA256_LEN) {
		log_err("digest", "EVP_Digest failed err=%s",
		    ERR_error_string(ERR_get_error(), NULL));
		return -EIO;
	}
	treg_sha256_hex(digest, hex);
	return 0;
}

/* splitmix64's finaliser: every input bit reaches every output bit, which
 * the votes need (FNV-1a alone leaves the high bits poorly mixed). */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/*
 * FNV-1a over the word with ASCII letters lowered, so "Terms" and "terms"
 * hash alike.  Other scripts keep their case: lowering them needs the
 * Unicode tables, and a case-only edit there moves only a few shingles.
 */
static uint64_t
word_hash(const char *word, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)word[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h ^= c;
		h *= UINT64_C(0x100000001b3);
	}
	return mix64(h);
}

/* Order matters: "a b c" and "c b a" are different shingles. */
static uint64_t
shingle_hash(const uint64_t *words, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15);
	size_t i;

	for (i = 0; i < n; i++)
		h = mix64(h ^ words[i]);
	return h;
}

void
treg_simhash_init(struct treg_simhash *sh)
{
	memset(sh, 0, sizeof(*sh));
}

void
treg_simhash_add_word(struct treg_simhash *sh, const char *word, size_t len)
{
	uint64_t h;
	int bit;

	memmove(sh->ring, sh->ring + 1,
	    (TREG_SHINGLE_WORDS - 1) * sizeof(sh->ring[0]));
	sh->ring[TREG_SHINGLE_WORDS - 1] = word_hash(word, len);
	sh->nwords++;
	if (sh->nwords < TREG_SHINGLE_WORDS)
		return;

	h = shingle_hash(sh->ring, TREG_SHINGLE_WORDS);
	for (bit = 0; bit < 64; bit++)
		sh->votes[bit] += (h >> bit) & 1 ? 1 : -1;
}

void
treg_simhash_add_text(struct treg_simhash *sh, const char *text, size_t len)
{
	size_t pos = 0, start, wlen;

	while (treg_normalize_next_word(text, len, &pos, &start, &wlen))
		treg_simhash_add_word(sh, text + start, wlen);
}

uint64_t
treg_simhash_value(const struct treg_simhash *sh)
{
	uint64_t v = 0;
	int bit;

	if (sh->nwords == 0)
		return 0;

	/* Too short for one shingle: the few words there are make one. */
	if (sh->nwords < TREG_SHINGLE_WORDS)
		return shingle_hash(sh->ring + TREG_SHINGLE_WORDS -
		    sh->nwords, sh->nwords);

	for (bit = 0; bit < 64; bit++)
		if (sh->votes[bit] > 0)
			v |= UINT64_C(1) << bit;
	return v;
}

int
treg_simhash_distance(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ b;
	int n = 0;

	while (x != 0) {
		x &= x - 1;
		n++;
	}
	return n;
}
