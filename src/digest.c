/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 through OpenSSL's EVP interface, and a 64-bit simhash over word
 * shingles.  The SHA-256 implementation is fetched from the provider once
 * and shared by every context; OpenSSL errors are logged here and become
 * -EIO, so no caller sees an OpenSSL code.  A spilled body is mapped
 * here for the hash and, through the same helper, for the compressors
 * in store and warc.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
 * it once, not per page, matters at crawl rates.  It is fetched on the
 * main thread (treg_digest_init()) before extraction threads start, and
 * lives until exit.
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

static int
sha256_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
treg_sha256_unhex(const char *hex, unsigned char *raw)
{
	int hi, lo, i;

	if (strlen(hex) != TREG_SHA256_HEXLEN)
		return -EINVAL;
	for (i = 0; i < TREG_SHA256_LEN; i++) {
		hi = sha256_hexval(hex[2 * i]);
		lo = sha256_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/*
 * With room around the body, an anonymous reservation holds the whole
 * span and the file is mapped over its middle (MAP_FIXED), page-aligned
 * as file offset 0 must be: `before` ends where the first page starts,
 * and `after` falls in the last page's tail past the end of the file or
 * in the reservation's last page.  Either way only those few pages are
 * copied on write; the body's pages stay the page cache's own.
 */
int
treg_digest_map_file(FILE *fp, size_t len, size_t before, size_t after,
    struct treg_digest_map *m)
{
	unsigned char *base, *body;
	size_t page, lead, size;
	struct stat sb;
	int fd, rc;

	memset(m, 0, sizeof(*m));
	if (len == 0 || len > TREG_DIGEST_MAP_MAX ||
	    before > TREG_DIGEST_MAP_MAX || after > TREG_DIGEST_MAP_MAX)
		return -EFBIG;
	/* Bytes still in the stdio buffer are not in the file yet. */
	if (fflush(fp) != 0)
		return -EIO;
	fd = fileno(fp);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size < (uint64_t)len)
		return -EIO;

	if (before == 0 && after == 0) {
		base = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (base == MAP_FAILED)
			return -errno;
		m->data = base;
		m->base = base;
		m->size = len;
		return 0;
	}

	page = (size_t)sysconf(_SC_PAGESIZE);
	lead = (before + page - 1) / page * page;
	size = lead + (len + after + page - 1) / page * page;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	body = mmap(base + lead, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_FIXED, fd, 0);
	if (body == MAP_FAILED) {
		rc = -errno;
		munmap(base, size);
		return rc;
	}
	m->data = body - before;
	m->base = base;
	m->size = size;
	return 0;
}

void
treg_digest_unmap_file(struct treg_digest_map *m)
{
	if (m->base != NULL)
		munmap(m->base, m->size);
	memset(m, 0, sizeof(*m));
}

int
treg_sha256_file(FILE *fp, size_t len, unsigned char *raw)
{
	struct treg_digest_map m;
	struct treg_sha256 *ctx;
	char chunk[65536];
	unsigned int got = 0;
	const EVP_MD *md;
	size_t n;
	int rc;

	/* One call over the mapping spares a copy of every byte through
	 * the stdio buffer and the chunk. */
	if (treg_digest_map_file(fp, len, 0, 0, &m) == 0) {
		md = sha256_method();
		rc = md != NULL ? 0 : -EIO;
		if (rc == 0 && (EVP_Digest(m.data, len, raw, &got, md,
		    NULL) != 1 || got != TREG_SHA256_LEN)) {
			log_err("digest", "EVP_Digest failed err=%s",
			    ERR_error_string(ERR_get_error(), NULL));
			rc = -EIO;
		}
		treg_digest_unmap_file(&m);
		return rc;
	}

	ctx = treg_sha256_new();
	if (ctx == NULL)
		return -ENOMEM;
	rc = fflush(fp) == 0 && fseek(fp, 0, SEEK_SET) == 0 ? 0 : -EIO;
	while (rc == 0 && len > 0) {
		n = len < sizeof(chunk) ? len : sizeof(chunk);
		if (fread(chunk, 1, n, fp) != n)
			rc = -EIO;
		else
			rc = treg_sha256_update(ctx, chunk, n);
		len -= n;
	}
	if (rc == 0)
		rc = treg_sha256_final(ctx, raw);
	treg_sha256_free(ctx);
	return rc;
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
 * the votes need (a multiply alone leaves the low bits poorly mixed). */
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

#define WORD_MUL	UINT64_C(0x9e3779b97f4a7c15)

/*
 * Filled on first use, which treg_digest_init() makes happen on the main
 * thread before extraction threads start; they only read them.
 * simhash_spread[b] has byte j set to bit j of b.  simhash_fold[c] is
 * the ASCII byte c lowered, or 0 when c does not belong in a word, so
 * "Terms" and "terms" hash alike.  Other scripts keep their case:
 * lowering them needs the Unicode tables, and a case-only edit there
 * moves only a few shingles.
 */
static uint64_t simhash_spread[256];
static unsigned char simhash_fold[128];
static int simhash_ready;

static void
simhash_tables(void)
{
	int b, j;

	if (simhash_ready)
		return;
	for (b = 0; b < 256; b++)
		for (j = 0; j < 8; j++)
			if (b & (1 << j))
				simhash_spread[b] |= UINT64_C(1) << (8 * j);
	for (b = 0; b < 128; b++) {
		if (b >= 'A' && b <= 'Z')
			simhash_fold[b] = (unsigned char)(b - 'A' + 'a');
		else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9'))
			simhash_fold[b] = (unsigned char)b;
	}
	simhash_ready = 1;
}

int
treg_digest_init(void)
{
	simhash_tables();
	return sha256_method() != NULL ? 0 : -EIO;
}

/*
 * A word is hashed eight bytes at a time: bytes are shifted into acc and
 * only a full acc costs a multiply, so the per-byte work carries no
 * multiply latency.  The finaliser at the end of the word mixes well
 * enough that a shingle can be the XOR of its rotated word hashes.
 */
struct word_hash {
	uint64_t	 h;
	uint64_t	 acc;
	size_t		 len;
};

static void
word_hash_byte(struct word_hash *w, unsigned char c)
{
	w->acc = w->acc << 8 | c;
	if ((++w->len & 7) == 0) {
		w->h = (w->h ^ w->acc) * WORD_MUL;
		w->acc = 0;
	}
}

static uint64_t
word_hash_end(struct word_hash *w)
{
	uint64_t h = mix64((w->h ^ w->acc) * WORD_MUL ^ w->len);

	w->h = 0;
	w->acc = 0;
	w->len = 0;
	return h;
}

static void
simhash_fold_lanes(uint32_t *ones, const uint64_t *lanes)
{
	int k, j;

	for (k = 0; k < 8; k++)
		for (j = 0; j < 8; j++)
			ones[8 * k + j] += (uint32_t)(lanes[k] >> (8 * j) &
			    0xff);
}

/* Order matters: "a b c" and "c b a" are different shingles, hence the
 * rotations. */
static uint64_t
shingle_hash(const uint64_t *words, size_t n)
{
	uint64_t h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h << 21 | h >> 43) ^ words[i];
	return h;
}

/* Feeds the hash of one word. */
static void
simhash_add_hash(struct treg_simhash *sh, uint64_t wh)
{
	uint64_t h;
	int k;

	memmove(sh->ring, sh->ring + 1,
	    (TREG_SHINGLE_WORDS - 1) * sizeof(sh->ring[0]));
	sh->ring[TREG_SHINGLE_WORDS - 1] = wh;
	sh->nwords++;
	if (sh->nwords < TREG_SHINGLE_WORDS)
		return;

	h = shingle_hash(sh->ring, TREG_SHINGLE_WORDS);
	for (k = 0; k < 8; k++)
		sh->lanes[k] += simhash_spread[h >> (8 * k) & 0xff];
	if (++sh->pending == 255) {
		simhash_fold_lanes(sh->ones, sh->lanes);
		memset(sh->lanes, 0, sizeof(sh->lanes));
		sh->pending = 0;
	}
}

void
treg_simhash_init(struct treg_simhash *sh)
{
	memset(sh, 0, sizeof(*sh));
	simhash_tables();
}

void
treg_simhash_add_word(struct treg_simhash *sh, const char *word, size_t len)
{
	struct word_hash w = { 0, 0, 0 };
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)word[i];
		if (c < 0x80 && simhash_fold[c] != 0)
			c = simhash_fold[c];
		word_hash_byte(&w, c);
	}
	simhash_add_hash(sh, word_hash_end(&w));
}

/*
 * Splits and hashes in one pass.  ASCII, most of any page, is classified
 * by table; other characters ask normalize.c, so words are exactly those
 * of treg_normalize_next_word().
 */
size_t
treg_simhash_add_text(struct treg_simhash *sh, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	struct word_hash w = { 0, 0, 0 };
	size_t i = 0, n, j, words = 0;
	int k;

	while (i < len) {
		if (s[i] < 0x80 && simhash_fold[s[i]] != 0) {
			/* A run of ASCII word bytes, the bulk of any text. */
			do {
				word_hash_byte(&w, simhash_fold[s[i]]);
				i++;
			} while (i < len && s[i] < 0x80 &&
			    simhash_fold[s[i]] != 0);
			continue;
		}
		if (s[i] < 0x80) {
			if (w.len > 0) {
				simhash_add_hash(sh, word_hash_end(&w));
				words++;
			}
			i++;
			continue;
		}

		k = treg_normalize_word_class(text + i, len - i, &n);
		if (k == 1 || (k == 2 && w.len > 0)) {
			for (j = 0; j < n; j++)
				word_hash_byte(&w, s[i + j]);
		} else if (w.len > 0) {
			simhash_add_hash(sh, word_hash_end(&w));
			words++;
		}
		i += n;
	}
	if (w.len > 0) {
		simhash_add_hash(sh, word_hash_end(&w));
		words++;
	}
	return words;
}

uint64_t
treg_simhash_value(const struct treg_simhash *sh)
{
	uint32_t ones[64];
	uint64_t v = 0, shingles;
	int bit;

	if (sh->nwords == 0)
		return 0;

	/* Too short for one shingle: the few words there are make one. */
	if (sh->nwords < TREG_SHINGLE_WORDS)
		return shingle_hash(sh->ring + TREG_SHINGLE_WORDS -
		    sh->nwords, sh->nwords);

	/* A bit is set when more shingles voted for it than against. */
	shingles = sh->nwords - TREG_SHINGLE_WORDS + 1;
	memcpy(ones, sh->ones, sizeof(ones));
	simhash_fold_lanes(ones, sh->lanes);
	for (bit = 0; bit < 64; bit++)
		if (2 * (uint64_t)ones[bit] > shingles)
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
