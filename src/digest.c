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
#define ONES		UINT64_C(0x0101010101010101)
#define HIGHS		(ONES << 7)

/*
 * Filled on first use, which treg_digest_init() makes happen on the main
 * thread before extraction threads start; they only read it.
 * simhash_fold[c] is the ASCII byte c lowered, or 0 when c does not
 * belong in a word, so "Terms" and "terms" hash alike.  Other scripts
 * keep their case: lowering them needs the Unicode tables, and a
 * case-only edit there moves only a few shingles.
 */
static unsigned char simhash_fold[128];
static int simhash_ready;

static void
simhash_tables(void)
{
	int b;

	if (simhash_ready)
		return;
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
 * acc holds the last len % 8 bytes, the first of them highest.
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

/*
 * Adds n bytes (1..8) held in the low bytes of x, the first highest: the
 * same as n calls of word_hash_byte(), with at most one multiply.  acc
 * is 0 whenever len is a multiple of eight, so a whole group needs no
 * shift of it (which would be a shift by 64).
 */
static void
word_hash_add(struct word_hash *w, uint64_t x, unsigned n)
{
	unsigned room = 8 - (unsigned)(w->len & 7);
	unsigned rest;

	w->len += n;
	if (n < room) {
		w->acc = w->acc << (8 * n) | x;
		return;
	}

	rest = n - room;
	w->acc = room < 8 ? w->acc << (8 * room) : 0;
	w->h = (w->h ^ w->acc ^ x >> (8 * rest)) * WORD_MUL;
	w->acc = x & ((UINT64_C(1) << (8 * rest)) - 1);
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

/* Eight bytes as a number, the first least significant whatever the
 * host's byte order (on most hosts the compiler makes it one load). */
static uint64_t
load_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 |
	    (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	    (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* As load_le64() for the n (< 8) bytes at p, with zero bytes after
 * them. */
static uint64_t
load_le_short(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n > 0)
		v = v << 8 | p[--n];
	return v;
}

/* v with its bytes in the opposite order. */
static uint64_t
swap64(uint64_t v)
{
	v = (v & UINT64_C(0x00ff00ff00ff00ff)) << 8 |
	    (v >> 8 & UINT64_C(0x00ff00ff00ff00ff));
	v = (v & UINT64_C(0x0000ffff0000ffff)) << 16 |
	    (v >> 16 & UINT64_C(0x0000ffff0000ffff));
	return v << 32 | v >> 32;
}

/*
 * The high bit of each byte of v that is an ASCII letter or digit, the
 * bytes simhash_fold keeps.  Each byte is tested on its own: the sums
 * stay below 0x100, so no carry reaches the next byte.
 */
static uint64_t
word_bytes(uint64_t v)
{
	uint64_t t = v & ~HIGHS;
	uint64_t u = t | ONES * 0x20;	/* upper case made lower */
	uint64_t digit, alpha;

	digit = (t + ONES * (0x80 - '0')) & ~(t + ONES * (0x80 - '9' - 1));
	alpha = (u + ONES * (0x80 - 'a')) & ~(u + ONES * (0x80 - 'z' - 1));
	return (digit | alpha) & ~v & HIGHS;
}

/*
 * The index (0..7), in load_le64() order, of the first byte of m with
 * its high bit set; m holds only high bits, at least one.  GCC and Clang
 * count the trailing zeros in one instruction, which keeps the chain
 * from one step of simhash_ascii8() to the next short; elsewhere a
 * binary search does.
 */
static unsigned
first_flagged(uint64_t m)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctzll(m) / 8;
#else
	unsigned n = 0;

	if ((m & UINT64_C(0xffffffff)) == 0) {
		n += 4;
		m >>= 32;
	}
	if ((m & 0xffff) == 0) {
		n += 2;
		m >>= 16;
	}
	if ((m & 0xff) == 0)
		n += 1;
	return n;
#endif
}

/* Byte k of lanes[j] counts the shingles with bit 8k + j set. */
static void
simhash_fold_lanes(uint32_t *ones, const uint64_t *lanes)
{
	int k, j;

	for (k = 0; k < 8; k++)
		for (j = 0; j < 8; j++)
			ones[8 * k + j] += (uint32_t)(lanes[j] >> (8 * k) &
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

/*
 * Feeds the hash of one word.  A shingle's vote takes eight adds and no
 * table: bit j of each of its bytes lands in byte lanes of lanes[j].
 */
static void
simhash_add_hash(struct treg_simhash *sh, uint64_t wh)
{
	uint64_t h;
	int j;

	for (j = 0; j < TREG_SHINGLE_WORDS - 1; j++)
		sh->ring[j] = sh->ring[j + 1];
	sh->ring[TREG_SHINGLE_WORDS - 1] = wh;
	sh->nwords++;
	if (sh->nwords < TREG_SHINGLE_WORDS)
		return;

	/* Written out: as a loop it costs a variable shift and a branch
	 * per lane, on every word of every page. */
	h = shingle_hash(sh->ring, TREG_SHINGLE_WORDS);
	sh->lanes[0] += h & ONES;
	sh->lanes[1] += h >> 1 & ONES;
	sh->lanes[2] += h >> 2 & ONES;
	sh->lanes[3] += h >> 3 & ONES;
	sh->lanes[4] += h >> 4 & ONES;
	sh->lanes[5] += h >> 5 & ONES;
	sh->lanes[6] += h >> 6 & ONES;
	sh->lanes[7] += h >> 7 & ONES;
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
 * Takes the ASCII among the eight bytes of v (in load_le64() order): the
 * letters and digits it starts with go on with the word in w, and a run
 * of other ASCII bytes after them ends that word.  The bytes are
 * classified and folded at once (a letter or digit lowered is itself
 * with bit 5 set), so a word costs a step or two and no branch per
 * byte.  Returns the bytes taken, 0 only when the first is not ASCII,
 * which the caller classifies.
 */
static size_t
simhash_ascii8(struct treg_simhash *sh, struct word_hash *w, uint64_t v,
    size_t *words)
{
	uint64_t word = word_bytes(v);
	uint64_t other = ~word & HIGHS;
	uint64_t kept = (word | v) & HIGHS;	/* what no separator is */
	unsigned n, end;

	/*
	 * The word's bytes end at the first other byte; then the ASCII
	 * that is no word byte, up to the next byte kept.  other | -other
	 * flags every byte from the first other one on: found without
	 * waiting for n, the end is what the next step waits for.
	 */
	n = other != 0 ? first_flagged(other) : 8;
	kept &= other | (0 - other);
	end = kept != 0 ? first_flagged(kept) : 8;

	if (n > 0)
		word_hash_add(w, swap64(v | ONES * 0x20) >> (64 - 8 * n), n);
	if (end > n && w->len > 0) {
		simhash_add_hash(sh, word_hash_end(w));
		(*words)++;
	}
	return end;
}

/*
 * Splits and hashes in one pass.  ASCII, most of any page, goes eight
 * bytes at a time; other characters ask normalize.c, so words are
 * exactly those of treg_normalize_next_word().
 */
size_t
treg_simhash_add_text(struct treg_simhash *sh, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	struct word_hash w = { 0, 0, 0 };
	size_t i = 0, n, j, words = 0;
	uint64_t v;
	int k;

	while (i < len) {
		/* The last few bytes are padded with NULs: a NUL ends a word
		 * as any ASCII separator does, and the text ends there. */
		if (len - i >= 8)
			v = load_le64(s + i);
		else
			v = load_le_short(s + i, len - i);
		n = simhash_ascii8(sh, &w, v, &words);
		if (n > 0) {
			i += n < len - i ? n : len - i;
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
