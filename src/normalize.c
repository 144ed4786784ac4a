/* SPDX-License-Identifier: MIT */
/*
 * Text normalisation.  ASCII runs, which are most of every page, are
 * handled here, eight bytes at a time where they are plain; only the
 * stretches holding other characters that NFC may change go through
 * utf8proc, after our own strict UTF-8 decoder has replaced invalid
 * sequences, removed invisible characters and turned every kind of space
 * into U+0020.  The output of every call is valid UTF-8 in NFC.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <utf8proc.h>

#include "normalize.h"

#define REPLACEMENT	0xFFFD
#define SCRATCH_CPS     512     /* code points decomposed without malloc */
#define SCRATCH_TMP	512	/* stretch bytes mapped without malloc */
#define BMP		0x10000

/* What the ASCII fast path does with each byte. */
enum ascii_class {
	AC_PLAIN = 0,		/* copied */
	AC_SPACE,		/* becomes one space */
	AC_DROP,		/* control character, removed */
};

/* What a decoded code point becomes in the evidence form. */
enum cp_action {
	CP_KEEP,
	CP_SPACE,
	CP_DROP,
};

/* Per-call state: spaces are held back until a visible character follows,
 * which drops trailing ones and collapses runs for free. */
struct norm_state {
	struct treg_buf	*out;
	int		 pending_space;
	int              emitted;       /* anything visible written this call */
	unsigned char   *tmp;           /* mapped UTF-8 of one stretch */
	size_t		 tmp_cap;
	int		 composes;	/* tmp holds what NFC may change */
	utf8proc_int32_t *cps;		/* decomposition of one stretch */
	size_t		 cps_cap;
	utf8proc_int32_t small[SCRATCH_CPS];
	unsigned char	 tmp_small[SCRATCH_TMP];
};

/*
 * Filled on first use, which treg_normalize_init() makes happen on the
 * main thread before extraction threads start; they only read them.
 * Bit cp of nfc_inert is set for the characters of the BMP that NFC
 * leaves as they are among any others of the kind (see nfc_inert_of()).
 */
static unsigned char ascii_class[128];
static unsigned char ascii_word[128];
static unsigned char nfc_inert[BMP / 8];
static int tables_ready;

/* Conjoining jamo: Hangul syllables compose from them with no mark. */
static int
is_jamo(int32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x11ff) ||
	    (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff);
}

/*
 * Whether NFC leaves cp as it is in any text made only of such
 * characters (and ASCII): a starter (combining class 0) that is neither
 * a mark nor a conjoining jamo, and that NFC maps to itself when alone.
 * Every canonical composition joins a starter to a mark or a jamo (and
 * every decomposition puts one of those after its first character;
 * test_normalize checks both against the utf8proc linked), so nothing
 * in such a text composes across characters, nor reorders: NFC is the
 * identity on it, and utf8proc can be skipped.
 */
static int
nfc_inert_of(int32_t cp)
{
	const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
	utf8proc_int32_t d[16];
	utf8proc_ssize_t n;
	int bound = 0;

	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (utf8proc_get_property(cp)->combining_class != 0 || is_jamo(cp))
		return 0;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return 0;
	default:
		break;
	}

	n = utf8proc_decompose_char(cp, d, 16, opt, &bound);
	if (n < 1 || n > 16)
		return 0;
	n = utf8proc_normalize_utf32(d, n, opt);
	return n == 1 && d[0] == cp;
}

static void
tables_init(void)
{
	int32_t cp;
	int c;

	if (tables_ready)
		return;
	for (c = 0; c < 128; c++) {
		if (c == ' ' || (c >= '\t' && c <= '\r'))
			ascii_class[c] = AC_SPACE;
		else if (c < 0x20 || c == 0x7f)
			ascii_class[c] = AC_DROP;
		else
			ascii_class[c] = AC_PLAIN;
		ascii_word[c] = (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	}
	for (cp = 0; cp < BMP; cp++)
		if (cp < 0x80 || nfc_inert_of(cp))
			nfc_inert[cp >> 3] |= (unsigned char)(1 << (cp & 7));
	tables_ready = 1;
}

void
treg_normalize_init(void)
{
	tables_init();
}

/*
 * Decodes one code point at s[0..len), len > 0.  Invalid input yields
 * U+FFFD for each maximal subpart of an ill-formed sequence (Unicode's
 * recommended practice, also what browsers do): overlong forms, encoded
 * surrogates and code points past U+10FFFF are rejected on their first
 * bad byte.  Returns the number of bytes consumed (1..4).
 */
static size_t
utf8_decode(const unsigned char *s, size_t len, int32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;
	int32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (c == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;		/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
	} else {
		*cp = REPLACEMENT;
		return 1;
	}

	for (i = 1; i <= need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*cp = REPLACEMENT;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

static size_t
utf8_encode(int32_t cp, unsigned char *d)
{
	if (cp < 0x80) {
		d[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (unsigned char)(0xc0 | (cp >> 6));
		d[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (unsigned char)(0xe0 | (cp >> 12));
		d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (unsigned char)(0xf0 | (cp >> 18));
	d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Prepended concatenation marks are format characters (Cf) that are drawn,
 * spanning the digits that follow them; removing them would lose text.
 */
static int
is_visible_format(int32_t cp)
{
	return (cp >= 0x0600 && cp <= 0x0605) || cp == 0x06dd ||
	    cp == 0x070f || cp == 0x0890 || cp == 0x0891 || cp == 0x08e2 ||
	    cp == 0x110bd || cp == 0x110cd;
}

static enum cp_action
classify(int32_t cp)
{
	if (cp < 0x80)
		return ascii_class[cp] == AC_SPACE ? CP_SPACE :
		    ascii_class[cp] == AC_DROP ? CP_DROP : CP_KEEP;
	if (cp == 0x85)
		return CP_SPACE;	/* NEL, a line break */
	if (cp < 0xa0)
		return CP_DROP;		/* C1 controls */

	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return CP_SPACE;
	case UTF8PROC_CATEGORY_CF:
		return is_visible_format(cp) ? CP_KEEP : CP_DROP;
	default:
		return CP_KEEP;
	}
}

/*
 * Writes n visible bytes, preceded by the space held back if any.  When
 * out's cap is reached, writes what fits cut at a character boundary and
 * never leaves a trailing space, so the text stays valid and in form.
 */
static int
emit(struct norm_state *st, const char *p, size_t n)
{
	struct treg_buf *out = st->out;
	int space = st->pending_space && st->emitted;
	size_t room;
	int rc;

	if (n == 0)
		return 0;

	if (out->limit != 0 && out->len + (size_t)space + n > out->limit) {
		room = out->limit - out->len;
		if (room <= (size_t)space)
			return -E2BIG;
		n = room - (size_t)space;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			return -E2BIG;
		rc = space ? treg_buf_append(out, " ", 1) : 0;
		if (rc == 0)
			rc = treg_buf_append(out, p, n);
		return rc < 0 ? rc : -E2BIG;
	}

	if (space) {
		rc = treg_buf_append(out, " ", 1);
		if (rc < 0)
			return rc;
	}
	st->pending_space = 0;
	st->emitted = 1;
	return treg_buf_append(out, p, n);
}

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	(ONES << 7)

/* The high bit of each ASCII byte of x that is a control (below 0x20, or
 * DEL), and perhaps of bytes above one: enough to rule out controls. */
static uint64_t
maybe_control(uint64_t x)
{
	/* DEL plus one is 0x80, masked to 0: with the others plus one, the
	 * bytes below 0x21.  No ASCII byte carries into the next. */
	uint64_t y = (x + ONES) & ~HIGHS;

	return (y - ONES * 0x21) & ~y & HIGHS;
}

/* The high bit of each space of x, and perhaps of bytes above one. */
static uint64_t
maybe_space(uint64_t x)
{
	x ^= ONES * ' ';
	return (x - ONES) & ~x & HIGHS;
}

/*
 * Whether the eight ASCII bytes at s, with the one after them, go on
 * with a run norm_ascii() copies as it is: no control among the nine,
 * and no space followed by a space.  It may say no when they do (the
 * byte loop then decides), never the reverse.  Comparing s with s + 1
 * pairs each byte with the next on either byte order.
 */
static int
plain8(const unsigned char *s)
{
	uint64_t a, b;

	memcpy(&a, s, 8);
	memcpy(&b, s + 1, 8);
	return (maybe_control(a) | maybe_control(b) |
	    (maybe_space(a) & maybe_space(b))) == 0;
}

/*
 * The end of the run that starts with the plain character s[i]: plain
 * characters and single spaces between them.  Eight bytes at a time
 * while no control or doubled space is near, then byte by byte past the
 * one that stopped that.
 */
static size_t
plain_run_end(const unsigned char *s, size_t i, size_t len)
{
	size_t j = i + 1, stop;

	while (j < len) {
		if (len - j >= 9 && plain8(s + j)) {
			j += 8;
			continue;
		}
		stop = j + 8;
		while (j < len && j < stop) {
			if (ascii_class[s[j]] == AC_PLAIN)
				j++;
			else if (s[j] == ' ' && j + 1 < len &&
			    ascii_class[s[j + 1]] == AC_PLAIN)
				j += 2;
			else
				return j;
		}
	}
	return j;
}

/*
 * ASCII fast path.  Words joined by single spaces are written in one
 * append: that is the common shape of text and keeps the call count low.
 */
static int
norm_ascii(struct norm_state *st, const unsigned char *s, size_t len)
{
	size_t i = 0, j;
	int rc;

	while (i < len) {
		unsigned char c = s[i];

		if (ascii_class[c] != AC_PLAIN) {
			if (ascii_class[c] == AC_SPACE)
				st->pending_space = 1;
			i++;
			continue;
		}

		j = plain_run_end(s, i, len);
		rc = emit(st, (const char *)s + i, j - i);
		if (rc < 0)
			return rc;
		i = j;
	}
	return 0;
}

/* Whether cp is one nfc_inert_of() accepts. */
static int
is_nfc_inert(int32_t cp)
{
	return cp < BMP && (nfc_inert[cp >> 3] >> (cp & 7) & 1);
}

static int
grow(void **p, size_t *cap, size_t want, size_t size)
{
	void *np;

	if (want <= *cap)
		return 0;
	np = realloc(*p, want * size);
	if (np == NULL)
		return -ENOMEM;
	*p = np;
	*cap = want;
	return 0;
}

/* Makes st->tmp hold at least want bytes, its content lost: the room on
 * the stack first, as most stretches are a few characters. */
static int
tmp_reserve(struct norm_state *st, size_t want)
{
	unsigned char *p;

	if (want <= st->tmp_cap)
		return 0;
	p = malloc(want);
	if (p == NULL)
		return -ENOMEM;
	if (st->tmp != st->tmp_small)
		free(st->tmp);
	st->tmp = p;
	st->tmp_cap = want;
	return 0;
}

/*
 * Decodes and maps s[0..len) into st->tmp, noting in st->composes
 * whether NFC may change the result; returns its length or -ENOMEM.
 */
static ssize_t
map_stretch(struct norm_state *st, const unsigned char *s, size_t len)
{
	size_t i = 0, o = 0, n;
	int32_t cp;

	/* Each invalid byte may become three bytes of U+FFFD. */
	if (tmp_reserve(st, len * 3 + 1) < 0)
		return -ENOMEM;

	st->composes = 0;
	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		switch (classify(cp)) {
		case CP_SPACE:
			st->tmp[o++] = ' ';
			break;
		case CP_KEEP:
			if (!is_nfc_inert(cp))
				st->composes = 1;
			o += utf8_encode(cp, st->tmp + o);
			break;
		case CP_DROP:
			break;
		}
		i += n;
	}
	return (ssize_t)o;
}

/* Writes mapped text, whose spaces are single ASCII spaces, word by
 * word: a space is held back as emit() wants. */
static int
emit_mapped(struct norm_state *st, const char *u, size_t n)
{
	const char *end = u + n, *sp;
	int rc;

	while (u < end) {
		sp = memchr(u, ' ', (size_t)(end - u));
		if (sp == NULL)
			sp = end;
		rc = emit(st, u, (size_t)(sp - u));
		if (rc < 0)
			return rc;
		if (sp < end)
			st->pending_space = 1;
		u = sp + 1;
	}
	return 0;
}

/*
 * A stretch holding non-ASCII characters: map them, then NFC.  Mapping
 * comes first because removing, say, a zero-width joiner between a letter
 * and its accent must still leave the pair composed.  Most stretches
 * (curly quotes, accented letters, Cyrillic or Hangul words) hold only
 * characters NFC leaves alone, and skip utf8proc.
 */
static int
norm_stretch(struct norm_state *st, const unsigned char *s, size_t len)
{
	const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
	utf8proc_ssize_t ncp, nbytes;
	ssize_t tlen;

	tlen = map_stretch(st, s, len);
	if (tlen < 0)
		return (int)tlen;
	if (!st->composes)
		return emit_mapped(st, (const char *)st->tmp, (size_t)tlen);

	for (;;) {
		ncp = utf8proc_decompose(st->tmp, tlen, st->cps,
		    (utf8proc_ssize_t)st->cps_cap, opt);
		if (ncp < 0)
			return -EILSEQ;	/* cannot happen: tmp is valid */
		/* reencode needs one spare slot for its terminator. */
		if ((size_t)ncp < st->cps_cap)
			break;
		if (st->cps == st->small) {
			st->cps = NULL;
			st->cps_cap = 0;
		}
		if (grow((void **)&st->cps, &st->cps_cap, (size_t)ncp + 1,
		    sizeof(*st->cps)) < 0)
			return -ENOMEM;
	}

	nbytes = utf8proc_reencode(st->cps, ncp, opt);
	if (nbytes < 0)
		return -EILSEQ;

	/* The text aliases st->cps, which the caller frees; the analyser
	 * loses st->cps once utf8proc has written into st. */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	return emit_mapped(st, (const char *)st->cps, (size_t)nbytes);
}

/* Returns the length of the ASCII prefix of s[0..len). */
static size_t
ascii_span(const unsigned char *s, size_t len)
{
	size_t i = 0;
	uint64_t w;

	while (i + 8 <= len) {
		memcpy(&w, s + i, 8);
		if (w & UINT64_C(0x8080808080808080))
			break;
		i += 8;
	}
	while (i < len && s[i] < 0x80)
		i++;
	return i;
}

int
treg_normalize_text(const char *in, size_t len, struct treg_buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	struct norm_state st;
	size_t p = 0, q, hold, r;
	int rc = 0;

	/* Field by field: clearing the code point scratch as well would
	 * cost 2 KiB of stores on every block. */
	tables_init();
	st.out = out;
	st.pending_space = 0;
	st.emitted = 0;
	st.tmp = st.tmp_small;
	st.tmp_cap = SCRATCH_TMP;
	st.cps = st.small;
	st.cps_cap = SCRATCH_CPS;

	while (p < len) {
		q = p + ascii_span(s + p, len - p);
		if (q == len) {
			rc = norm_ascii(&st, s + p, q - p);
			break;
		}

		/*
		 * The last ASCII character goes with the stretch after it: a
		 * combining accent there may compose with it.  Stretches end
		 * before an ASCII byte, which never composes with what
		 * precedes it, so cutting there keeps NFC exact.
		 */
		hold = q > p ? q - 1 : q;
		rc = norm_ascii(&st, s + p, hold - p);
		if (rc < 0)
			break;
		r = q;
		while (r < len && s[r] >= 0x80)
			r++;
		rc = norm_stretch(&st, s + hold, r - hold);
		if (rc < 0)
			break;
		p = r;
	}

	/* Callers may use out->data as a string even when nothing was
	 * visible, as for an empty block. */
	if (out->data == NULL && rc == 0)
		rc = treg_buf_append(out, "", 0);
	if (st.tmp != st.tmp_small)
		free(st.tmp);
	if (st.cps != st.small)
		free(st.cps);
	return rc;
}

/* Returns the ASCII replacement for a typographic character, or NULL. */
static const char *
fold_typography(int32_t cp)
{
	switch (cp) {
	case 0x2018: case 0x2019: case 0x201a: case 0x201b:
	case 0x2032: case 0x2039: case 0x203a:
		return "'";
	case 0x201c: case 0x201d: case 0x201e: case 0x201f:
	case 0x2033: case 0x00ab: case 0x00bb:
		return "\"";
	case 0x2010: case 0x2011: case 0x2012: case 0x2013:
	case 0x2014: case 0x2015: case 0x2212:
		return "-";
	case 0x2026:
		return "...";
	default:
		return NULL;
	}
}

/* As treg_buf_append, but a cut at out's cap falls between characters. */
static int
append_whole(struct treg_buf *out, const unsigned char *s, size_t len)
{
	size_t n = len;
	int rc;

	if (out->limit != 0 && out->len + len > out->limit) {
		n = out->limit - out->len;
		while (n > 0 && (s[n] & 0xc0) == 0x80)
			n--;
	}
	rc = treg_buf_append(out, s, n);
	return rc == 0 && n < len ? -E2BIG : rc;
}

/* Appends s[0..len), already case folded, with typography made ASCII. */
static int
fold_append(const unsigned char *s, size_t len, struct treg_buf *out)
{
	size_t i = 0, start = 0, n;
	const char *rep;
	int32_t cp;
	int rc;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		rep = fold_typography(cp);
		if (rep != NULL) {
			rc = append_whole(out, s + start, i - start);
			if (rc == 0)
				rc = treg_buf_puts(out, rep);
			if (rc < 0)
				return rc;
			start = i + n;
		}
		i += n;
	}
	return append_whole(out, s + start, len - start);
}

int
treg_normalize_fold(const char *in, size_t len, struct treg_buf *out)
{
	const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	    UTF8PROC_CASEFOLD;
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t flen;
	struct treg_buf ev;
	size_t i;
	int rc;

	treg_buf_init(&ev, 0);
	rc = treg_normalize_text(in, len, &ev);
	if (rc < 0)
		goto out;

	if (ascii_span((unsigned char *)ev.data, ev.len) == ev.len) {
		for (i = 0; i < ev.len; i++)
			if (ev.data[i] >= 'A' && ev.data[i] <= 'Z')
				ev.data[i] = (char)(ev.data[i] - 'A' + 'a');
		rc = append_whole(out, (unsigned char *)ev.data, ev.len);
		goto out;
	}

	/* Folding can decompose (U+0130 gives i and a dot above), hence the
	 * COMPOSE: the match form stays NFC. */
	flen = utf8proc_map((const utf8proc_uint8_t *)ev.data,
	    (utf8proc_ssize_t)ev.len, &folded, opt);
	if (flen < 0) {
		rc = flen == UTF8PROC_ERROR_NOMEM ? -ENOMEM : -EILSEQ;
		goto out;
	}
	rc = fold_append(folded, (size_t)flen, out);

out:
	free(folded);
	treg_buf_cleanup(&ev);
	return rc;
}

/*
 * An empty quote (or one that is only spaces and invisible characters) is
 * reported as not found: matching nothing would prove nothing.
 */
int
treg_normalize_find_quote(const char *text, size_t text_len,
    const char *quote)
{
	struct treg_buf t, q;
	int rc;

	treg_buf_init(&t, 0);
	treg_buf_init(&q, 0);

	rc = treg_normalize_fold(quote, strlen(quote), &q);
	if (rc < 0)
		goto out;
	if (q.len == 0)
		goto out;
	rc = treg_normalize_fold(text, text_len, &t);
	if (rc < 0)
		goto out;

	rc = memmem(t.data, t.len, q.data, q.len) != NULL;

out:
	treg_buf_cleanup(&t);
	treg_buf_cleanup(&q);
	return rc;
}

/* Letters and digits make words.  Marks (an NFD accent) and invisible
 * format characters (a zero-width space in "Sec\u200btion") continue one,
 * so raw text counts as its evidence form does. */
static int
word_class(const unsigned char *s, size_t len, size_t *n)
{
	int32_t cp;

	if (s[0] < 0x80) {
		*n = 1;
		return ascii_word[s[0]] ? 1 : 0;
	}
	*n = utf8_decode(s, len, &cp);
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_CF:
		return 2;
	default:
		return 0;
	}
}

int
treg_normalize_word_class(const char *s, size_t len, size_t *n)
{
	tables_init();
	return word_class((const unsigned char *)s, len, n);
}

/*
 * An apostrophe splits a word: "Cohere's" is "Cohere" and "s".  Counting
 * it as one would need a rule for every quote-like character, and the
 * simhash only needs the split to be stable, which it is.
 */
int
treg_normalize_next_word(const char *text, size_t len, size_t *pos,
    size_t *start, size_t *wlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = *pos, n, b;
	int k;

	tables_init();
	while (i < len) {
		k = word_class(s + i, len - i, &n);
		if (k == 1)
			break;
		i += n;
	}
	if (i >= len) {
		*pos = len;
		return 0;
	}

	b = i;
	i += n;
	while (i < len) {
		k = word_class(s + i, len - i, &n);
		if (k == 0)
			break;
		i += n;
	}
	*start = b;
	*wlen = i - b;
	*pos = i;
	return 1;
}

size_t
treg_normalize_count_words(const char *text, size_t len)
{
	size_t pos = 0, start, wlen, count = 0;

	while (treg_normalize_next_word(text, len, &pos, &start, &wlen))
		count++;
	return count;
}
