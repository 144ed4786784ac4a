/* SPDX-License-Identifier: MIT */
/*
 * Evidence text from response bodies.  The bytes are decoded to UTF-8
 * here (BOM, then the Content-Type charset, then a <meta> prescan of the
 * first KiB, then UTF-8 with a windows-1252 fallback per bad byte), so
 * libxml2's push parser only ever sees valid UTF-8 and never switches
 * encoding on its own.  SAX callbacks collect the visible text of one
 * block at a time into a bounded buffer; each finished block is
 * normalised, hashed, fingerprinted and counted at once, so memory does
 * not grow with the page.  Text inside navigation, page headers and
 * footers goes to a separate boilerplate sink with its own digest, as
 * does, when a source names elements to keep, everything outside them.
 * A PDF alone is held whole (it cannot be read before its end).
 */
#include <errno.h>
#include <iconv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "buf.h"
#include "digest.h"
#include "extract.h"
#include "httphead.h"
#include "log.h"
#include "normalize.h"
#include "pdf.h"

#define MOD		"extract"

#define PRESCAN_LEN     1024    /* bytes looked at for a BOM, <meta>, sniff */
#define BLOCK_CAP       65536   /* one block is cut into pieces past this */
#define NORM_CAP        (4 * BLOCK_CAP) /* NFC and U+FFFD stay below 4x */
#define SCRATCH_LEN	16384	/* decoded bytes handed to the parser */
#define HINT_CAP        512     /* title and <noscript> text kept for hints */
#define CARRY_LEN	16	/* an incomplete multi-byte sequence */
#define STAGE_LEN       32768   /* decoded bytes on their way to libxml2 */
#define HOLD_MAX        4096    /* most bytes held back after the last '>' */

/*
 * Fewer words than this is "too little text".  The bar is low on purpose:
 * short but real policy pages (a dozen words) must keep a fingerprint, and
 * the empty shells this is meant for have next to no words at all; bot
 * walls, script shells and login walls are caught by their markers.
 */
#define MIN_WORDS	3
#define SHORT_WORDS     120     /* below this, wall markers are believed */
#define BINARY_MIN_CHARS 16	/* fewer decoded characters are not judged */
#define STYLE_VALUE_MAX 64      /* longer inline CSS values are not read */
#define STYLE_OFFSCREEN	(-999.0) /* px: left, top, text-indent as far */

enum enc {
	ENC_UTF8,		/* declared UTF-8: bad bytes become U+FFFD */
	ENC_1252,		/* windows-1252 (and what WHATWG maps to it) */
	ENC_GUESS,		/* undeclared: UTF-8, bad bytes as 1252 */
	ENC_ICONV,		/* anything else iconv(3) knows */
};

enum elem_flag {
	EL_BLOCK = 1 << 0,	/* breaks the text into blocks */
	EL_SKIP = 1 << 1,	/* nothing inside is text */
	EL_NAV = 1 << 2,	/* boilerplate wherever it is */
	EL_TOPBOIL = 1 << 3,	/* boilerplate outside sectioning content */
	EL_SECTION = 1 << 4,	/* article, main, section */
	EL_TITLE = 1 << 5,
	EL_NOSCRIPT = 1 << 6,
	EL_INPUT = 1 << 7,
	EL_SPACE = 1 << 8,	/* a form control: words on either side */
};

struct elem {
	const char	*name;
	unsigned	 flags;
};

/* Sorted by name for bsearch(); elements not listed are inline text. */
static const struct elem elems[] = {
	{ "address",	EL_BLOCK },
	{ "applet",	EL_SKIP },
	{ "article",	EL_BLOCK | EL_SECTION },
	{ "aside",	EL_BLOCK | EL_TOPBOIL },
	{ "audio",	EL_SKIP },
	{ "blockquote",	EL_BLOCK },
	{ "body",	EL_BLOCK },
	{ "br",		EL_BLOCK },
	{ "button",	EL_SPACE },
	{ "canvas",	EL_SKIP },
	{ "caption",	EL_BLOCK },
	{ "center",	EL_BLOCK },
	{ "datalist",	EL_SKIP },
	{ "dd",		EL_BLOCK },
	{ "details",	EL_BLOCK },
	{ "dialog",	EL_BLOCK },
	{ "dir",	EL_BLOCK },
	{ "div",	EL_BLOCK },
	{ "dl",		EL_BLOCK },
	{ "dt",		EL_BLOCK },
	{ "embed",	EL_SKIP },
	{ "fieldset",	EL_BLOCK },
	{ "figcaption",	EL_BLOCK },
	{ "figure",	EL_BLOCK },
	{ "footer",	EL_BLOCK | EL_TOPBOIL },
	{ "form",	EL_BLOCK },
	{ "frameset",	EL_SKIP },
	{ "h1",		EL_BLOCK },
	{ "h2",		EL_BLOCK },
	{ "h3",		EL_BLOCK },
	{ "h4",		EL_BLOCK },
	{ "h5",		EL_BLOCK },
	{ "h6",		EL_BLOCK },
	{ "head",	EL_SKIP },
	{ "header",	EL_BLOCK | EL_TOPBOIL },
	{ "hgroup",	EL_BLOCK },
	{ "hr",		EL_BLOCK },
	{ "html",	EL_BLOCK },
	{ "iframe",	EL_SKIP },
	{ "input",	EL_INPUT | EL_SPACE },
	{ "legend",	EL_BLOCK },
	{ "li",		EL_BLOCK },
	{ "main",	EL_BLOCK | EL_SECTION },
	{ "math",	EL_SKIP },
	{ "menu",	EL_BLOCK },
	{ "nav",	EL_BLOCK | EL_NAV },
	{ "noembed",	EL_SKIP },
	{ "noframes",	EL_SKIP },
	{ "noscript",	EL_SKIP | EL_NOSCRIPT },
	{ "object",	EL_SKIP },
	{ "ol",		EL_BLOCK },
	{ "p",		EL_BLOCK },
	{ "pre",	EL_BLOCK },
	{ "script",	EL_SKIP },
	{ "section",	EL_BLOCK | EL_SECTION },
	{ "select",	EL_SKIP | EL_SPACE },
	{ "style",	EL_SKIP },
	{ "summary",	EL_BLOCK },
	{ "svg",	EL_SKIP },
	{ "table",	EL_BLOCK },
	{ "tbody",	EL_BLOCK },
	{ "td",		EL_BLOCK },
	{ "template",	EL_SKIP },
	{ "textarea",	EL_SKIP | EL_SPACE },
	{ "tfoot",	EL_BLOCK },
	{ "th",		EL_BLOCK },
	{ "thead",	EL_BLOCK },
	{ "title",	EL_SKIP | EL_TITLE },
	{ "tr",		EL_BLOCK },
	{ "ul",		EL_BLOCK },
	{ "video",	EL_SKIP },
};

/* A per-source selector: kind 't' (tag), '#' (id) or '.' (class). */
struct selector {
	char	 kind;
	char	*name;
};

#define SELECTOR_MAX	64	/* bytes, kind included */

/* Element flags cached by interned name pointer, direct-mapped. */
#define NAME_CACHE_BITS	7
#define NAME_CACHE	(1 << NAME_CACHE_BITS)

/* Where finished blocks go: the main text or the boilerplate. */
struct sink {
	struct treg_sha256	*sha;
	struct treg_buf		 text;
	struct treg_simhash	 sh;
	size_t			 words;
	size_t			 blocks;
	size_t			 max;
	int			 truncated;
};

struct treg_extract {
	enum treg_text_kind	 kind;
	char			*ctype;
	char			*charset;	/* from the Content-Type */
	size_t			 max_text;
	int			 err;
	int			 started;

	unsigned char		 head[PRESCAN_LEN];
	size_t			 head_len;

	enum enc		 enc;
	char			*enc_name;
	iconv_t			 cd;
	unsigned char		 carry[CARRY_LEN];
	size_t			 carry_len;
	int			 saw_1252;	/* a byte taken as 1252 */
	int			 saw_high;	/* any non-ASCII byte */
	size_t			 nchars;	/* decoded characters */
	size_t                   nbad;          /* of them U+FFFD or controls */
	size_t			 scratch_len;

	htmlParserCtxtPtr	 ctxt;
	size_t			 stage_len;
	const void		*cache_key[NAME_CACHE];
	unsigned		 cache_val[NAME_CACHE];
	size_t			 skip_depth;
	size_t			 boil_depth;
	size_t			 sect_depth;
	int			 in_title;
	int			 title_done;
	size_t			 noscript_depth;
	int                      toolbar;       /* inside a Wayback toolbar */
	unsigned		 hints;

	struct treg_buf		 block;
	struct treg_buf		 norm;
	struct treg_buf		 filt;
	int                      block_open;    /* emitted part of this block */
	int			 pending_space;
	struct sink		 main;
	struct sink		 boil;
	struct treg_buf		 title;
	struct treg_buf		 noscript;

	struct treg_buf          pdf;           /* a PDF body, held whole */

	struct selector         *keep;          /* per-source selectors */
	size_t			 nkeep;
	struct selector		*drop;
	size_t			 ndrop;
	size_t                   keep_depth;    /* inside a kept element */
	size_t                   keep_boil;     /* boil_depth outside it */

	/* Last, and not cleared at start: scratch_len and stage_len say
	 * how much of them holds anything. */
	char			 scratch[SCRATCH_LEN];
	char			 stage[STAGE_LEN];
};

static void
set_err(struct treg_extract *ex, int rc)
{
	if (rc >= 0 || ex->err != 0)
		return;
	ex->err = rc;
	if (ex->ctxt != NULL)
		xmlStopParser(ex->ctxt);
}

/* Sinks. */

static int
sink_init(struct sink *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->sha = treg_sha256_new();
	if (s->sha == NULL)
		return -ENOMEM;
	treg_buf_init(&s->text, max);
	treg_simhash_init(&s->sh);
	s->max = max;
	return 0;
}

static void
sink_cleanup(struct sink *s)
{
	treg_sha256_free(s->sha);
	s->sha = NULL;
	treg_buf_cleanup(&s->text);
}

/* Length of the longest prefix of s[0..n) that ends on a character
 * boundary. */
static size_t
utf8_prefix(const char *s, size_t n)
{
	size_t i = n;
	unsigned char c;
	size_t need;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return 0;
	c = (unsigned char)s[i - 1];
	if (c < 0x80)
		return n;
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	return i - 1 + need <= n ? n : i - 1;
}

/* Hashes all of s; keeps it in the text while it fits, then stops for
 * good so the text stays a prefix of what was hashed. */
static int
sink_put(struct sink *s, const char *data, size_t n)
{
	size_t fit;
	int rc;

	rc = treg_sha256_update(s->sha, data, n);
	if (rc < 0)
		return rc;
	if (s->truncated || n == 0)
		return 0;

	if (s->text.len + n <= s->max)
		return treg_buf_append(&s->text, data, n);

	s->truncated = 1;
	fit = utf8_prefix(data, s->max - s->text.len);
	if (fit == 0)
		return 0;
	return treg_buf_append(&s->text, data, fit);
}

/* Blocks. */

/*
 * libxml2 2.9 passes markup declarations it does not know, such as
 * <![CDATA[...]]> and <![if !IE]>, through as text, where HTML makes
 * them comments that end at the first '>'.  Returns s itself when there
 * is none, else a filtered copy in ex->filt.
 */
static const char *
drop_bogus(struct treg_extract *ex, const char *s, size_t *n)
{
	const char *p = s, *end = s + *n, *m, *gt;
	int rc = 0;

	/* Text seldom holds a '<' at all, and memchr() is the cheaper scan
	 * on the common path. */
	if (memchr(p, '<', *n) == NULL)
		return s;
	m = memmem(p, *n, "<![", 3);
	if (m == NULL)
		return s;

	treg_buf_reset(&ex->filt);
	while (m != NULL && rc == 0) {
		rc = treg_buf_append(&ex->filt, p, (size_t)(m - p));
		gt = memchr(m, '>', (size_t)(end - m));
		p = gt != NULL ? gt + 1 : end;
		m = memmem(p, (size_t)(end - p), "<![", 3);
	}
	if (rc == 0)
		rc = treg_buf_append(&ex->filt, p, (size_t)(end - p));
	if (rc < 0) {
		set_err(ex, rc);
		return s;
	}
	*n = ex->filt.len;
	return ex->filt.data != NULL ? ex->filt.data : "";
}

/* Normalises one piece of the current block and sends it to the sink
 * of the moment: blocks are joined with "\n", the pieces of one block
 * cut at a space with " " and elsewhere with nothing. */
static int
emit_piece(struct treg_extract *ex, const char *s, size_t n)
{
	struct sink *sk = ex->boil_depth > 0 ||
	    (ex->nkeep > 0 && ex->keep_depth == 0) ? &ex->boil : &ex->main;
	const char *sep = "";
	int rc;

	s = drop_bogus(ex, s, &n);
	treg_buf_reset(&ex->norm);
	rc = treg_normalize_text(s, n, &ex->norm);
	if (rc < 0)
		return rc;
	if (ex->norm.len == 0)
		return 0;

	if (ex->block_open)
		sep = ex->pending_space ? " " : "";
	else if (sk->blocks > 0)
		sep = "\n";
	rc = sink_put(sk, sep, strlen(sep));
	if (rc == 0)
		rc = sink_put(sk, ex->norm.data, ex->norm.len);
	if (rc < 0)
		return rc;

	sk->words += treg_simhash_add_text(&sk->sh, ex->norm.data,
	    ex->norm.len);
	if (!ex->block_open)
		sk->blocks++;
	ex->block_open = 1;
	ex->pending_space = 0;
	return 0;
}

static void
block_end(struct treg_extract *ex)
{
	int rc = 0;

	if (ex->block.len > 0)
		rc = emit_piece(ex, ex->block.data, ex->block.len);
	set_err(ex, rc);
	treg_buf_reset(&ex->block);
	ex->block_open = 0;
	ex->pending_space = 0;
}

/*
 * The block buffer is full: hand on all of it up to the last ASCII space
 * (or the last whole character when there is none) and keep the rest.
 * The cut depends only on the text, never on how the bytes were chunked,
 * so streaming and whole-buffer extraction hash the same.
 */
static void
block_cut(struct treg_extract *ex)
{
	char *d = ex->block.data;
	size_t n = ex->block.len;
	size_t cut = n;
	int space = 0;
	int rc;

	while (cut > 0 && d[cut - 1] != ' ' && d[cut - 1] != '\n' &&
	    d[cut - 1] != '\t' && d[cut - 1] != '\r')
		cut--;
	if (cut > 0)
		space = 1;
	else
		cut = utf8_prefix(d, n);

	rc = emit_piece(ex, d, cut);
	set_err(ex, rc);
	if (space)
		ex->pending_space = 1;
	memmove(d, d + cut, n - cut);
	ex->block.len = n - cut;
	d[ex->block.len] = '\0';
}

static void
block_add(struct treg_extract *ex, const char *s, size_t n)
{
	size_t room, take;
	int rc;

	while (n > 0 && ex->err == 0) {
		room = BLOCK_CAP - ex->block.len;
		take = n < room ? n : room;
		rc = treg_buf_append(&ex->block, s, take);
		if (rc < 0) {
			set_err(ex, rc);
			return;
		}
		s += take;
		n -= take;
		if (ex->block.len == BLOCK_CAP)
			block_cut(ex);
	}
}

/* Element names and attributes. */

static int
elem_cmp(const void *key, const void *member)
{
	const struct elem *e = member;

	return strcmp(key, e->name);
}

/* The flags of an element name, from elems[]: the slow path of
 * elem_flags(), once per name and page. */
static unsigned
elem_lookup(const xmlChar *name)
{
	const struct elem *e;

	e = bsearch(name, elems, sizeof(elems) / sizeof(elems[0]),
	    sizeof(elems[0]), elem_cmp);
	return e != NULL ? e->flags : 0;
}

/*
 * libxml2 interns element names in the parser's dictionary, so the
 * pointer identifies the name and a lookup costs one compare.  The
 * names lie a few bytes apart in the dictionary's pool, so the slot
 * comes from the top bits of a multiplicative hash of the pointer:
 * its low bits alone put "p", "a" and "li" in one slot by turns.
 */
static unsigned
elem_flags(struct treg_extract *ex, const xmlChar *name)
{
	size_t slot = (size_t)(((uint64_t)(uintptr_t)name *
	    UINT64_C(0x9e3779b97f4a7c15)) >> (64 - NAME_CACHE_BITS));

	if (ex->cache_key[slot] != name) {
		ex->cache_key[slot] = name;
		ex->cache_val[slot] = elem_lookup(name);
	}
	return ex->cache_val[slot];
}

/* Whether a CSS declaration list says prop: value, ignoring case and
 * white space around the colon. */
static int
style_has(const char *css, const char *prop, const char *value)
{
	size_t plen = strlen(prop);
	size_t vlen = strlen(value);
	const char *p = css;

	while ((p = strcasestr(p, prop)) != NULL) {
		p += plen;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (strncasecmp(p, value, vlen) == 0)
			return 1;
	}
	return 0;
}

/*
 * Copies the value of the last declaration of prop (the one that wins)
 * in an inline style into out, trimmed, without "!important".  A match
 * must start the declaration, so "left" is not read from "margin-left".
 * Returns 1 when found and it fits, else 0.
 */
static int
style_get(const char *css, const char *prop, char *out, size_t size)
{
	size_t plen = strlen(prop), len;
	const char *p = css, *v, *end;
	int found = 0;

	while ((p = strcasestr(p, prop)) != NULL) {
		if (p > css && p[-1] != ';' && p[-1] != ' ' &&
		    p[-1] != '\t' && p[-1] != '\n' && p[-1] != '{') {
			p += plen;
			continue;
		}
		p += plen;
		v = p + strspn(p, " \t\n");
		if (*v != ':')
			continue;
		v++;
		v += strspn(v, " \t\n");
		end = v + strcspn(v, ";");
		while (end > v && strchr(" \t\n", end[-1]) != NULL)
			end--;
		len = (size_t)(end - v);
		if (len >= 10 && strncasecmp(end - 10, "!important", 10) == 0)
			len -= 10;
		while (len > 0 && strchr(" \t\n", v[len - 1]) != NULL)
			len--;
		found = len < size;
		if (found) {
			memcpy(out, v, len);
			out[len] = '\0';
		}
		p = end;
	}
	return found;
}

/* A CSS length in px (em and rem taken as 16 px, pt as 4/3 px); -1 when
 * v is not a length in one of those units.  A bare number is px. */
static int
style_px(const char *v, double *px)
{
	char *unit;
	double n;

	n = strtod(v, &unit);
	if (unit == v)
		return -1;
	if (*unit == '\0' || strcasecmp(unit, "px") == 0)
		*px = n;
	else if (strcasecmp(unit, "em") == 0 || strcasecmp(unit, "rem") == 0)
		*px = n * 16;
	else if (strcasecmp(unit, "pt") == 0)
		*px = n * 4 / 3;
	else
		return -1;
	return 0;
}

/* Whether a rect(top, right, bottom, left) clip leaves no area. */
static int
style_rect_empty(const char *v)
{
	double side[4];
	char *end;
	int i;

	if (strncasecmp(v, "rect(", 5) != 0)
		return 0;
	v += 5;
	for (i = 0; i < 4; i++) {
		v += strspn(v, " ,");
		side[i] = strtod(v, &end);
		if (end == v)
			return 0;
		v = end + strspn(end, "abcdefghijklmnopqrstuvwxyz%");
	}
	return side[2] <= side[0] || side[1] <= side[3];
}

/*
 * Whether an inline style keeps its element's text from being seen:
 * display and visibility, but also the ways pages hide text while
 * keeping it in the markup: no opacity, a font size of nothing, a clip
 * to no area on a taken-out element, or a place far off the screen.
 */
static int
style_hides(const char *css)
{
	char v[STYLE_VALUE_MAX], pos[STYLE_VALUE_MAX];
	double n;
	char *unit;
	int placed;

	if (style_has(css, "display", "none") ||
	    style_has(css, "visibility", "hidden"))
		return 1;
	if (style_get(css, "opacity", v, sizeof(v))) {
		n = strtod(v, &unit);
		if (unit != v && (*unit == '%' ? n / 100 : n) < 0.01)
			return 1;
	}
	if (style_get(css, "font-size", v, sizeof(v))) {
		n = strtod(v, &unit);
		if (unit != v && n == 0)
			return 1;
		if (style_px(v, &n) == 0 && n < 1)
			return 1;
	}
	if (style_get(css, "text-indent", v, sizeof(v)) &&
	    style_px(v, &n) == 0 && n <= STYLE_OFFSCREEN)
		return 1;

	if (!style_get(css, "position", pos, sizeof(pos)))
		return 0;
	placed = strcasecmp(pos, "absolute") == 0 ||
	    strcasecmp(pos, "fixed") == 0;
	if (placed && style_get(css, "clip", v, sizeof(v)) &&
	    style_rect_empty(v))
		return 1;
	if (placed && style_get(css, "clip-path", v, sizeof(v)) &&
	    strncasecmp(v, "inset(", 6) == 0 &&
	    strtod(v + 6, &unit) >= 50 && *unit == '%')
		return 1;
	if (!placed && strcasecmp(pos, "relative") != 0)
		return 0;
	if (style_get(css, "left", v, sizeof(v)) && style_px(v, &n) == 0 &&
	    n <= STYLE_OFFSCREEN)
		return 1;
	return style_get(css, "top", v, sizeof(v)) &&
	    style_px(v, &n) == 0 && n <= STYLE_OFFSCREEN;
}

static int
id_hidden(struct treg_extract *ex, const char *id)
{
	/* The Wayback Machine's replay toolbar and its donation banner. */
	if (strcmp(id, "wm-ipp-base") == 0 || strcmp(id, "wm-ipp") == 0 ||
	    strcmp(id, "donato") == 0)
		return 1;
	if (strcmp(id, "challenge-body") == 0 ||
	    strcmp(id, "challenge-form") == 0 ||
	    strcmp(id, "challenge-running") == 0 ||
	    strncmp(id, "cf-chl", 6) == 0)
		ex->hints |= TREG_EXTRACT_HINT_CHALLENGE;
	return 0;
}

static int
role_boiler(const char *role)
{
	return strcmp(role, "navigation") == 0 ||
	    strcmp(role, "banner") == 0 || strcmp(role, "contentinfo") == 0;
}

/*
 * Looks at the attributes that hide an element or make it boilerplate,
 * noting bot-challenge and login markers on the way.  Returns 1 when the
 * element and all inside it is not text.
 */
static int
attrs_hide(struct treg_extract *ex, unsigned flags, const xmlChar **atts,
    int *boiler)
{
	const char *k, *v;
	size_t i;

	for (i = 0; atts != NULL && atts[i] != NULL; i += 2) {
		k = (const char *)atts[i];
		v = atts[i + 1] != NULL ? (const char *)atts[i + 1] : "";
		switch (k[0]) {
		case 'h':
			if (strcmp(k, "hidden") == 0)
				return 1;
			break;
		case 'a':
			if (strcmp(k, "aria-hidden") == 0 &&
			    strcasecmp(v, "true") == 0)
				return 1;
			break;
		case 's':
			if (strcmp(k, "style") == 0 && style_hides(v))
				return 1;
			if (strcmp(k, "src") == 0 &&
			    strstr(v, "/cdn-cgi/challenge-platform") != NULL)
				ex->hints |= TREG_EXTRACT_HINT_CHALLENGE;
			break;
		case 'i':
			if (strcmp(k, "id") == 0 && id_hidden(ex, v))
				return 1;
			break;
		case 'r':
			if (strcmp(k, "role") == 0 && role_boiler(v))
				*boiler = 1;
			break;
		case 't':
			if ((flags & EL_INPUT) && strcmp(k, "type") == 0 &&
			    strcasecmp(v, "password") == 0)
				ex->hints |= TREG_EXTRACT_HINT_PASSWORD;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Whether the class attribute value cls holds the class name. */
static int
class_has(const char *cls, const char *name)
{
	size_t n = strlen(name), len;
	const char *p = cls;

	while (*p != '\0') {
		p += strspn(p, " \t\n\r\f");
		len = strcspn(p, " \t\n\r\f");
		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

static int
select_match(const struct selector *sel, size_t n, const xmlChar *name,
    const xmlChar **atts)
{
	const char *id = NULL, *cls = NULL;
	size_t i;

	for (i = 0; atts != NULL && atts[i] != NULL; i += 2) {
		if (atts[i + 1] == NULL)
			continue;
		if (strcmp((const char *)atts[i], "id") == 0)
			id = (const char *)atts[i + 1];
		else if (strcmp((const char *)atts[i], "class") == 0)
			cls = (const char *)atts[i + 1];
	}
	for (i = 0; i < n; i++) {
		switch (sel[i].kind) {
		case '#':
			if (id != NULL && strcmp(id, sel[i].name) == 0)
				return 1;
			break;
		case '.':
			if (cls != NULL && class_has(cls, sel[i].name))
				return 1;
			break;
		default:
			if (strcasecmp((const char *)name, sel[i].name) == 0)
				return 1;
			break;
		}
	}
	return 0;
}

/*
 * Starts a kept element: what is inside is main text even where an
 * ancestor made boilerplate, so the boilerplate depth is set aside
 * until the element ends (keep_end()).
 */
static void
keep_start(struct treg_extract *ex, unsigned flags)
{
	block_end(ex);
	ex->keep_depth = 1;
	ex->keep_boil = ex->boil_depth;
	ex->boil_depth = 0;
	if (flags & EL_SECTION)
		ex->sect_depth++;
}

static void
keep_end(struct treg_extract *ex)
{
	if (ex->keep_depth > 1) {
		ex->keep_depth--;
		return;
	}
	block_end(ex);
	ex->keep_depth = 0;
	ex->boil_depth = ex->keep_boil;
}

/* SAX callbacks.  libxml2 reports an end for every start, implied
 * closes included, and drops stray end tags, so depth counters stay
 * balanced on malformed markup. */

static void
skip_start(struct treg_extract *ex, unsigned flags)
{
	if ((flags & EL_TITLE) && !ex->title_done)
		ex->in_title = 1;
	if (flags & EL_NOSCRIPT)
		ex->noscript_depth++;
}

static void
start_cb(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct treg_extract *ex = ctx;
	unsigned flags = elem_flags(ex, name);
	int boiler = 0;

	if (ex->skip_depth > 0) {
		ex->skip_depth++;
		skip_start(ex, flags);
		return;
	}
	if ((flags & EL_SPACE) && !ex->toolbar)
		block_add(ex, " ", 1);

	if (attrs_hide(ex, flags, atts, &boiler) || (flags & EL_SKIP) ||
	    (ex->ndrop > 0 && select_match(ex->drop, ex->ndrop, name,
	    atts))) {
		if (flags & EL_BLOCK)
			block_end(ex);
		ex->skip_depth = 1;
		skip_start(ex, flags);
		return;
	}

	if (ex->keep_depth > 0) {
		ex->keep_depth++;
	} else if (ex->nkeep > 0 && select_match(ex->keep, ex->nkeep, name,
	    atts)) {
		keep_start(ex, flags);
		return;
	}

	if (ex->boil_depth > 0) {
		ex->boil_depth++;
	} else if (boiler || (flags & EL_NAV) ||
	    ((flags & EL_TOPBOIL) && ex->sect_depth == 0)) {
		block_end(ex);
		ex->boil_depth = 1;
		return;
	} else if (flags & EL_SECTION) {
		ex->sect_depth++;
	}

	if (flags & EL_BLOCK)
		block_end(ex);
}

static void
end_cb(void *ctx, const xmlChar *name)
{
	struct treg_extract *ex = ctx;
	unsigned flags = elem_flags(ex, name);

	if (ex->skip_depth > 0) {
		if ((flags & EL_TITLE) && ex->in_title) {
			ex->in_title = 0;
			ex->title_done = 1;
		}
		if ((flags & EL_NOSCRIPT) && ex->noscript_depth > 0)
			ex->noscript_depth--;
		ex->skip_depth--;
		if (ex->skip_depth == 0 && (flags & EL_BLOCK))
			block_end(ex);
		if (ex->skip_depth == 0 && (flags & EL_SPACE) && !ex->toolbar)
			block_add(ex, " ", 1);
		return;
	}
	if ((flags & EL_SPACE) && !ex->toolbar)
		block_add(ex, " ", 1);

	if ((flags & EL_BLOCK) || ex->boil_depth == 1)
		block_end(ex);
	if (ex->boil_depth > 0)
		ex->boil_depth--;
	else if ((flags & EL_SECTION) && ex->sect_depth > 0)
		ex->sect_depth--;
	if (ex->keep_depth > 0)
		keep_end(ex);
}

static void
hint_add(struct treg_buf *b, const char *s, size_t n)
{
	/* Hints are best effort: a full buffer just stops growing. */
	if (b->len < b->limit)
		(void)treg_buf_append(b, s, n);
}

static void
text_cb(void *ctx, const xmlChar *ch, int len)
{
	struct treg_extract *ex = ctx;

	if (len <= 0)
		return;
	if (ex->skip_depth > 0) {
		if (ex->in_title)
			hint_add(&ex->title, (const char *)ch, (size_t)len);
		else if (ex->noscript_depth > 0)
			hint_add(&ex->noscript, (const char *)ch, (size_t)len);
		return;
	}
	if (ex->toolbar)
		return;
	block_add(ex, (const char *)ch, (size_t)len);
}

static void
cdata_cb(void *ctx, const xmlChar *value, int len)
{
	/* Only script and style content arrives here: never text. */
}

static void
comment_cb(void *ctx, const xmlChar *value)
{
	struct treg_extract *ex = ctx;
	const char *v = (const char *)value;

	if (strstr(v, "BEGIN WAYBACK TOOLBAR INSERT") != NULL)
		ex->toolbar = 1;
	else if (strstr(v, "END WAYBACK TOOLBAR INSERT") != NULL)
		ex->toolbar = 0;
}

/* Plain text: every line is a block. */
static void
plain_feed(struct treg_extract *ex, const char *s, size_t n)
{
	const char *nl;

	while (n > 0 && ex->err == 0) {
		nl = memchr(s, '\n', n);
		if (nl == NULL) {
			block_add(ex, s, n);
			return;
		}
		block_add(ex, s, (size_t)(nl - s));
		block_end(ex);
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
}

/*
 * Hands the parser everything staged up to the last '>' (all of it when
 * last is set, or when more than HOLD_MAX bytes follow that '>').
 * Workaround for libxml2 2.9's push parser: when a chunk ends inside a
 * start tag, its look-up for the closing '>' resumes with the quote state
 * lost, and from then on it may wait for the end of the document,
 * buffering all of it.  Chunks that end after a '>' never leave a tag
 * open.  With RECOVER the parser's return value only reports the markup
 * errors real pages are full of, so only our own errors stop it.
 */
static void
stage_flush(struct treg_extract *ex, int last)
{
	const char *gt;
	size_t cut = ex->stage_len;

	if (!last) {
		gt = memrchr(ex->stage, '>', ex->stage_len);
		cut = gt != NULL ? (size_t)(gt - ex->stage) + 1 : 0;
		if (ex->stage_len - cut > HOLD_MAX)
			cut = ex->stage_len;
	}
	if (cut > 0)
		(void)htmlParseChunk(ex->ctxt, ex->stage, (int)cut, 0);
	memmove(ex->stage, ex->stage + cut, ex->stage_len - cut);
	ex->stage_len -= cut;
}

/* Decoded UTF-8 goes to the parser or the line splitter. */
static int
out_feed(struct treg_extract *ex, const char *s, size_t n)
{
	const char *gt;
	size_t take;

	if (ex->kind == TREG_TEXT_PLAIN) {
		plain_feed(ex, s, n);
		return ex->err;
	}

	while (n > 0 && ex->err == 0) {
		if (ex->stage_len == 0 && n > STAGE_LEN / 2) {
			/* Nothing held back: hand a long run over in place,
			 * by the same rule as stage_flush(), sparing a copy
			 * of nearly every byte. */
			gt = memrchr(s, '>', n);
			take = gt != NULL ? (size_t)(gt - s) + 1 : 0;
			if (n - take > HOLD_MAX)
				take = n;
			if (take > 0)
				(void)htmlParseChunk(ex->ctxt, s, (int)take, 0);
			s += take;
			n -= take;
			continue;
		}
		take = STAGE_LEN - ex->stage_len;
		if (take > n)
			take = n;
		memcpy(ex->stage + ex->stage_len, s, take);
		ex->stage_len += take;
		s += take;
		n -= take;
		stage_flush(ex, 0);
	}
	return ex->err;
}

/* Decoding. */

/* windows-1252 0x80..0x9F; the five holes map to C1 as WHATWG does. */
static const uint16_t cp1252_c1[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static int
scratch_flush(struct treg_extract *ex)
{
	int rc;

	rc = out_feed(ex, ex->scratch, ex->scratch_len);
	ex->scratch_len = 0;
	return rc;
}

/* Queues decoded bytes; long runs skip the copy, so valid UTF-8 reaches
 * the parser as it came.  What is queued goes first: a long run that
 * overtook it moved a decoded character after the run, and only when the
 * body's chunks were large enough to hold such a run. */
static int
scratch_put(struct treg_extract *ex, const char *s, size_t n)
{
	int rc;

	if (ex->scratch_len > 0 && (ex->scratch_len + n > SCRATCH_LEN ||
	    n >= SCRATCH_LEN / 2)) {
		rc = scratch_flush(ex);
		if (rc < 0)
			return rc;
	}
	if (n >= SCRATCH_LEN / 2)
		return out_feed(ex, s, n);
	memcpy(ex->scratch + ex->scratch_len, s, n);
	ex->scratch_len += n;
	return 0;
}

/* Queues one code point (below U+10000) as UTF-8. */
static int
scratch_cp(struct treg_extract *ex, uint32_t cp)
{
	char o[3];
	size_t n;

	if (cp < 0x80) {
		o[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	return scratch_put(ex, o, n);
}

static uint32_t
cp1252(unsigned char c)
{
	if (c == 0)
		return 0xFFFD;
	if (c >= 0x80 && c < 0xA0)
		return cp1252_c1[c - 0x80];
	return c;
}

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	(ONES << 7)

/*
 * The high bit of each byte of w that no text holds: C0 controls but
 * tab, line feed, form feed and carriage return, and DEL.  Each byte is
 * tested on its own: its low seven bits plus a constant below 0x80 set
 * bit 7 exactly when it reaches the bound, and carry nothing further.
 */
static uint64_t
bad_bytes(uint64_t w)
{
	uint64_t t = w & ~HIGHS;
	uint64_t ge_space = t + ONES * (0x80 - 0x20);
	uint64_t ge_tab = t + ONES * (0x80 - '\t');
	uint64_t ge_vt = t + ONES * (0x80 - '\v');
	uint64_t ge_ff = t + ONES * (0x80 - '\f');
	uint64_t ge_so = t + ONES * (0x80 - '\r' - 1);
	uint64_t del = t + ONES;
	uint64_t ws = (ge_tab & ~ge_vt) | (ge_ff & ~ge_so);

	return ((~ge_space & ~ws) | del) & ~w & HIGHS;
}

/* Whether w may hold a byte below 0x20, or DEL: it errs only towards
 * yes, and costs a few operations where bad_bytes() costs many. */
static uint64_t
maybe_control(uint64_t w)
{
	uint64_t x = w ^ ONES * 0x7f;

	return (((w - ONES * 0x20) & ~w) | ((x - ONES) & ~x)) & HIGHS;
}

/* The number of bytes of m, which holds only high bits, that have one. */
static size_t
count_flagged(uint64_t m)
{
	return (size_t)(((m >> 7) * ONES) >> 56);
}

/* Whether the byte c is one no text holds, as bad_bytes() tells of
 * eight. */
static int
is_bad(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\f' &&
	    c != '\r') || c == 0x7f;
}

/*
 * Counts the characters of a single-byte charset in s, one a byte, and
 * those no text holds.  Together they tell binary served as text.
 * UTF-8 is counted as it is decoded (ascii_run(), decode_utf8()).
 */
static void
count_bytes(struct treg_extract *ex, const unsigned char *s, size_t n)
{
	size_t i = 0, bad = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		if (maybe_control(w) != 0)
			bad += count_flagged(bad_bytes(w));
	}
	for (; i < n; i++)
		bad += is_bad(s[i]);
	ex->nchars += n;
	ex->nbad += bad;
}

static int
decode_1252(struct treg_extract *ex, const unsigned char *s, size_t n)
{
	size_t i, run = 0;
	int rc = 0;

	count_bytes(ex, s, n);
	for (i = 0; i < n && rc == 0; i++) {
		if (s[i] >= 0x01 && s[i] < 0x80)
			continue;
		rc = scratch_put(ex, (const char *)s + run, i - run);
		if (rc == 0)
			rc = scratch_cp(ex, cp1252(s[i]));
		run = i + 1;
	}
	if (rc == 0)
		rc = scratch_put(ex, (const char *)s + run, n - run);
	return rc;
}

/*
 * Length of the valid UTF-8 sequence at s (2..4), 0 when it is invalid,
 * or -1 when it is a valid start cut short by the end of the input.
 */
static int
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	int len, i;

	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;

	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;

	for (i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF))
			return 0;
	}
	return len;
}

/*
 * Length of the run of ASCII other than NUL at s, whose characters and
 * bad bytes it counts.  Most of a page is ASCII markup, so this goes
 * eight bytes at a time and reads each byte once for both jobs; only a
 * word that may hold a control byte, a NUL or a byte above ASCII is
 * looked at more closely.
 */
static size_t
ascii_run(struct treg_extract *ex, const unsigned char *s, size_t n)
{
	size_t i = 0, bad = 0;
	uint64_t w;

	while (i + 8 <= n) {
		memcpy(&w, s + i, 8);
		/* Any byte below 0x20, or from DEL up, perhaps: an 0xff
		 * carries into the next byte, but is caught by w itself. */
		if ((((w - ONES * 0x20) & ~w) | (w + ONES) | w) & HIGHS) {
			/* Any byte with its high bit set, or any zero byte,
			 * ends the run in this word. */
			if (((w | ((w - ONES) & ~w)) & HIGHS) != 0)
				break;
			bad += count_flagged(bad_bytes(w));
		}
		i += 8;
	}
	for (; i < n && s[i] >= 0x01 && s[i] < 0x80; i++)
		bad += is_bad(s[i]);
	ex->nchars += i;
	ex->nbad += bad;
	return i;
}

/*
 * Passes valid UTF-8 on and repairs the rest: a bad byte (or NUL, which
 * would end libxml2's input) becomes U+FFFD, or its windows-1252
 * character when the charset was only guessed.  A sequence cut short by
 * the end of s is carried to the next call unless last is set.
 */
static int
decode_utf8(struct treg_extract *ex, const unsigned char *s, size_t n,
    int last)
{
	size_t i = 0, run = 0;
	int len, rc = 0;

	while (i < n) {
		i += ascii_run(ex, s + i, n - i);
		if (i == n)
			break;
		len = s[i] != 0 ? utf8_seq(s + i, n - i) : 0;
		if (len > 0) {
			ex->saw_high = 1;
			ex->nchars++;
			i += (size_t)len;
			continue;
		}

		rc = scratch_put(ex, (const char *)s + run, i - run);
		if (rc < 0)
			return rc;
		/* A sequence cut short counts as one character here, and
		 * again when the next call completes it. */
		ex->nchars++;
		if (len < 0 && !last) {
			memcpy(ex->carry, s + i, n - i);
			ex->carry_len = n - i;
			return scratch_flush(ex);
		}
		/* A bad byte, or a NUL, is replaced: a character no text
		 * holds. */
		ex->nbad++;
		if (ex->enc == ENC_GUESS && s[i] != 0) {
			ex->saw_high = 1;
			ex->saw_1252 = 1;
			rc = scratch_cp(ex, cp1252(s[i]));
		} else {
			rc = scratch_cp(ex, 0xFFFD);
		}
		if (rc < 0)
			return rc;
		i++;
		run = i;
	}
	rc = scratch_put(ex, (const char *)s + run, n - run);
	if (rc == 0)
		rc = scratch_flush(ex);
	return rc;
}

static int
decode_iconv(struct treg_extract *ex, const unsigned char *s, size_t n,
    int last)
{
	char *in = (char *)s;
	size_t inleft = n;
	char out[SCRATCH_LEN];
	char *op;
	size_t oleft, r;
	int err, rc = 0;

	while (inleft > 0 && rc == 0) {
		op = out;
		oleft = sizeof(out);
		r = iconv(ex->cd, &in, &inleft, &op, &oleft);
		err = r == (size_t)-1 ? errno : 0;

		/* iconv's output is valid UTF-8 but may hold NULs. */
		if (op > out)
			rc = decode_utf8(ex, (unsigned char *)out,
			    (size_t)(op - out), 1);
		if (rc < 0 || err == 0 || err == E2BIG)
			continue;

		if (err == EINVAL && !last && inleft < CARRY_LEN) {
			memcpy(ex->carry, in, inleft);
			ex->carry_len = inleft;
			break;
		}
		/* A byte the charset does not define. */
		in++;
		inleft--;
		ex->nchars++;
		ex->nbad++;
		rc = scratch_cp(ex, 0xFFFD);
		if (rc == 0)
			rc = scratch_flush(ex);
	}
	return rc;
}

static int
decode_bytes(struct treg_extract *ex, const unsigned char *s, size_t n,
    int last)
{
	int rc;

	switch (ex->enc) {
	case ENC_1252:
		rc = decode_1252(ex, s, n);
		if (rc == 0)
			rc = scratch_flush(ex);
		return rc;
	case ENC_ICONV:
		return decode_iconv(ex, s, n, last);
	default:
		return decode_utf8(ex, s, n, last);
	}
}

/*
 * Decodes s after the bytes of a sequence the previous call cut short.
 * Those are completed one new byte at a time, so the result never
 * depends on where the body was split.
 */
static int
decode(struct treg_extract *ex, const unsigned char *s, size_t n, int last)
{
	unsigned char tmp[CARRY_LEN];
	size_t len;
	int rc;

	while (ex->carry_len > 0 && (n > 0 || last)) {
		if (n > 0) {
			ex->carry[ex->carry_len++] = *s++;
			n--;
		}
		len = ex->carry_len;
		memcpy(tmp, ex->carry, len);
		ex->carry_len = 0;
		rc = decode_bytes(ex, tmp, len, last && n == 0);
		if (rc < 0)
			return rc;
		if (n == 0)
			return 0;
	}
	if (n == 0)
		return 0;
	return decode_bytes(ex, s, n, last);
}

/* Charsets. */

/* Labels WHATWG decodes as windows-1252. */
static const char *const latin1_labels[] = {
	"ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1",
	"ibm819", "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591",
	"iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii",
	"windows-1252", "x-cp1252",
};

static const char *const utf8_labels[] = {
	"unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8",
	"utf8", "x-unicode20utf8",
};

static int
label_in(const char *label, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(label, list[i]) == 0)
			return 1;
	return 0;
}

/*
 * Chooses the decoder for a charset label (any case, surrounding quotes
 * and spaces allowed).  from_meta applies WHATWG's rule that a document
 * which can declare UTF-16 in ASCII is not UTF-16.  Returns 0, or
 * -ENOENT for a label neither WHATWG's list nor iconv knows.
 */
static int
enc_set(struct treg_extract *ex, const char *label, size_t len,
    int from_meta)
{
	char name[48];
	const char *use;
	size_t i, n = 0;
	iconv_t cd;

	while (len > 0 && strchr(" \t\"'", *label) != NULL) {
		label++;
		len--;
	}
	while (len > 0 && strchr(" \t\"'", label[len - 1]) != NULL)
		len--;
	if (len == 0 || len >= sizeof(name))
		return -ENOENT;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];

		/* Also keeps iconv suffixes such as //TRANSLIT out. */
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == ':'))
			return -ENOENT;
		name[n++] = (char)c;
	}
	name[n] = '\0';

	if (label_in(name, utf8_labels, sizeof(utf8_labels) /
	    sizeof(utf8_labels[0])) ||
	    (from_meta && strncmp(name, "utf-16", 6) == 0)) {
		ex->enc = ENC_UTF8;
		use = "utf-8";
	} else if (label_in(name, latin1_labels, sizeof(latin1_labels) /
	    sizeof(latin1_labels[0]))) {
		ex->enc = ENC_1252;
		use = "windows-1252";
	} else {
		if (strcmp(name, "utf-16") == 0)
			strcpy(name, "utf-16le");
		cd = iconv_open("UTF-8", name);
		if (cd == (iconv_t)-1)
			return -ENOENT;
		ex->cd = cd;
		ex->enc = ENC_ICONV;
		use = name;
	}

	ex->enc_name = strdup(use);
	return ex->enc_name != NULL ? 0 : -ENOMEM;
}

/* Prescan of the first bytes for <meta charset> or http-equiv. */

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/*
 * Reads one attribute at p (WHATWG "get an attribute", simplified).
 * Returns the position after it, or NULL at the end of the tag.
 */
static const char *
meta_attr(const char *p, const char *end, const char **k, size_t *klen,
    const char **v, size_t *vlen)
{
	char q;

	while (p < end && (is_space((unsigned char)*p) || *p == '/'))
		p++;
	if (p >= end || *p == '>')
		return NULL;
	*k = p;
	while (p < end && !is_space((unsigned char)*p) && *p != '=' &&
	    *p != '>' && *p != '/')
		p++;
	*klen = (size_t)(p - *k);
	*v = p;
	*vlen = 0;
	while (p < end && is_space((unsigned char)*p))
		p++;
	if (p >= end || *p != '=')
		return p;
	p++;
	while (p < end && is_space((unsigned char)*p))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		q = *p++;
		*v = p;
		while (p < end && *p != q)
			p++;
		*vlen = (size_t)(p - *v);
		return p < end ? p + 1 : p;
	}
	*v = p;
	while (p < end && !is_space((unsigned char)*p) && *p != '>')
		p++;
	*vlen = (size_t)(p - *v);
	return p;
}

/* Looks at one <meta>'s attributes and sets the decoder if it names a
 * charset we know.  Returns 1 when it did, 0 when not, or -ENOMEM; *pp
 * moves past the attributes. */
static int
meta_tag(struct treg_extract *ex, const char **pp, const char *end)
{
	const char *p = *pp;
	const char *k, *v, *cs = NULL, *content = NULL;
	size_t klen, vlen, cslen = 0, clen = 0;
	int http_ct = 0, rc;

	while ((p = meta_attr(p, end, &k, &klen, &v, &vlen)) != NULL) {
		if (klen == 7 && strncasecmp(k, "charset", 7) == 0 &&
		    cs == NULL) {
			cs = v;
			cslen = vlen;
		} else if (klen == 10 &&
		    strncasecmp(k, "http-equiv", 10) == 0) {
			http_ct = vlen == 12 &&
			    strncasecmp(v, "content-type", 12) == 0;
		} else if (klen == 7 && strncasecmp(k, "content", 7) == 0) {
			content = v;
			clen = vlen;
		}
		*pp = p;
	}
	if (cs == NULL && http_ct && content != NULL)
		cs = treg_httphead_charset(content, clen, &cslen);
	if (cs == NULL)
		return 0;
	rc = enc_set(ex, cs, cslen, 1);
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : 1;
}

/* Returns 1 when a <meta> set the decoder, 0 when none did, or
 * -ENOMEM. */
static int
prescan(struct treg_extract *ex)
{
	const char *p = (const char *)ex->head;
	const char *end = p + ex->head_len;
	const char *q;
	int rc;

	while (p < end) {
		p = memchr(p, '<', (size_t)(end - p));
		if (p == NULL)
			return 0;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			q = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
			if (q == NULL)
				return 0;
			p = q + 3;
		} else if (end - p >= 6 && strncasecmp(p, "<meta", 5) == 0 &&
		    (is_space((unsigned char)p[5]) || p[5] == '/')) {
			p += 5;
			rc = meta_tag(ex, &p, end);
			if (rc != 0)
				return rc;
		} else {
			/* Any other tag: step over it, quotes included. */
			p++;
			while (p < end && *p != '>') {
				if (*p == '"' || *p == '\'') {
					q = memchr(p + 1, *p,
					    (size_t)(end - p - 1));
					p = q != NULL ? q : end;
				}
				p++;
			}
		}
	}
	return 0;
}

/* Content types. */

static int
is_html_type(const char *t)
{
	return strcmp(t, "text/html") == 0 ||
	    strcmp(t, "application/xhtml+xml") == 0;
}

/* Guesses the kind of an untyped body from its first bytes. */
static enum treg_text_kind
sniff(const unsigned char *s, size_t n)
{
	size_t i = 0;
	int len;

	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	else if (n >= 2 && (memcmp(s, "\xFF\xFE", 2) == 0 ||
	    memcmp(s, "\xFE\xFF", 2) == 0))
		return TREG_TEXT_PLAIN;
	if (n >= 5 && memcmp(s, "%PDF-", 5) == 0)
		return TREG_TEXT_PDF;
	while (i < n && is_space(s[i]))
		i++;
	if (i < n && s[i] == '<')
		return TREG_TEXT_HTML;

	while (i < n) {
		if (s[i] == 0 || (s[i] < 0x20 && !is_space(s[i])))
			return TREG_TEXT_BYTES;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		len = utf8_seq(s + i, n - i);
		if (len == 0)
			return TREG_TEXT_BYTES;
		if (len < 0)
			break;
		i += (size_t)len;
	}
	return TREG_TEXT_PLAIN;
}

/* Starting: kind, charset, parser. */

static int
choose_kind(struct treg_extract *ex)
{
	const char *t;

	if (ex->ctype == NULL || ex->ctype[0] == '\0') {
		ex->kind = sniff(ex->head, ex->head_len);
		t = ex->kind == TREG_TEXT_HTML ? "text/html" :
		    ex->kind == TREG_TEXT_PLAIN ? "text/plain" :
		    ex->kind == TREG_TEXT_PDF ? "application/pdf" :
		    "application/octet-stream";
		free(ex->ctype);
		ex->ctype = strdup(t);
		return ex->ctype != NULL ? 0 : -ENOMEM;
	}
	if (is_html_type(ex->ctype))
		ex->kind = TREG_TEXT_HTML;
	else if (strcmp(ex->ctype, "text/plain") == 0)
		ex->kind = TREG_TEXT_PLAIN;
	else if (strcmp(ex->ctype, "application/pdf") == 0 ||
	    strcmp(ex->ctype, "application/x-pdf") == 0)
		ex->kind = TREG_TEXT_PDF;
	else
		ex->kind = TREG_TEXT_BYTES;
	return 0;
}

/*
 * WHATWG order: a byte-order mark, then the Content-Type charset, then
 * <meta> in the first KiB, then a guess.  Returns how many BOM bytes to
 * drop, or a negative errno.
 */
static int
choose_enc(struct treg_extract *ex)
{
	const unsigned char *h = ex->head;
	size_t n = ex->head_len;
	int rc;

	if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0) {
		rc = enc_set(ex, "utf-8", 5, 0);
		return rc < 0 ? rc : 3;
	}
	if (n >= 2 && memcmp(h, "\xFF\xFE", 2) == 0) {
		rc = enc_set(ex, "utf-16le", 8, 0);
		return rc < 0 ? rc : 2;
	}
	if (n >= 2 && memcmp(h, "\xFE\xFF", 2) == 0) {
		rc = enc_set(ex, "utf-16be", 8, 0);
		return rc < 0 ? rc : 2;
	}

	if (ex->charset != NULL) {
		rc = enc_set(ex, ex->charset, strlen(ex->charset), 0);
		if (rc != -ENOENT)
			return rc;
	}
	if (ex->kind == TREG_TEXT_HTML) {
		rc = prescan(ex);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}

	/* Nothing declared: UTF-8 where it is valid, else windows-1252. */
	ex->enc = ENC_GUESS;
	return 0;
}

static int
parser_new(struct treg_extract *ex)
{
	htmlSAXHandler sax;
	int opts = HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	    HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER | HTML_PARSE_COMPACT |
	    HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE;

	memset(&sax, 0, sizeof(sax));
	sax.startElement = start_cb;
	sax.endElement = end_cb;
	sax.characters = text_cb;
	sax.ignorableWhitespace = text_cb;
	sax.cdataBlock = cdata_cb;
	sax.comment = comment_cb;

	/* We hand over UTF-8 only; IGNORE_ENC keeps a <meta> from making
	 * libxml2 decode it a second time. */
	ex->ctxt = htmlCreatePushParserCtxt(&sax, ex, NULL, 0, NULL,
	    XML_CHAR_ENCODING_UTF8);
	if (ex->ctxt == NULL)
		return -ENOMEM;
	htmlCtxtUseOptions(ex->ctxt, opts);
	return 0;
}

static int
pdf_put(struct treg_extract *ex, const char *data, size_t len)
{
	int rc;

	rc = treg_buf_append(&ex->pdf, data, len);
	return rc == -E2BIG ? -EFBIG : rc;
}

/* Reads the PDF held whole; its text lines go through the plain-text
 * path. */
static int
pdf_finish(struct treg_extract *ex)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = treg_pdf_text(ex->pdf.data != NULL ? ex->pdf.data : "",
	    ex->pdf.len, &text, &len);
	treg_buf_cleanup(&ex->pdf);
	if (rc < 0)
		return rc;
	plain_feed(ex, text, len);
	free(text);
	return ex->err;
}

/* Decides everything from the first bytes, then decodes them. */
static int
start(struct treg_extract *ex)
{
	int skip, rc;

	ex->started = 1;
	rc = choose_kind(ex);
	if (rc < 0)
		return rc;
	if (ex->kind == TREG_TEXT_BYTES)
		return treg_sha256_update(ex->main.sha, ex->head, ex->head_len);
	if (ex->kind == TREG_TEXT_PDF)
		return pdf_put(ex, (const char *)ex->head, ex->head_len);

	skip = choose_enc(ex);
	if (skip < 0)
		return skip;
	if (ex->kind == TREG_TEXT_HTML) {
		rc = parser_new(ex);
		if (rc < 0)
			return rc;
	}
	return decode(ex, ex->head + skip, ex->head_len - (size_t)skip, 0);
}

/* The API. */

int
treg_extract_init(void)
{
	/* libxml2 2.9 sets up its locks and per-thread state here; it
	 * must happen once, before a second thread parses. */
	xmlInitParser();
	treg_normalize_init();
	return treg_digest_init();
}

int
treg_extract_selector_valid(const char *sel)
{
	const char *p = sel;
	size_t n;

	if (*p == '#' || *p == '.')
		p++;
	else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
	return n > 0 && p[n] == '\0' && strlen(sel) <= SELECTOR_MAX;
}

/* Copies n selectors into *outp.  Returns 0, -EINVAL or -ENOMEM. */
static int
select_copy(const char *const *in, size_t n, struct selector **outp,
    size_t *noutp)
{
	struct selector *out;
	size_t i;

	if (n == 0)
		return 0;
	out = calloc(n, sizeof(*out));
	if (out == NULL)
		return -ENOMEM;
	*outp = out;
	for (i = 0; i < n; i++) {
		if (!treg_extract_selector_valid(in[i]))
			return -EINVAL;
		out[i].kind = in[i][0] == '#' || in[i][0] == '.' ? in[i][0] :
		    't';
		out[i].name = strdup(in[i] + (out[i].kind != 't'));
		if (out[i].name == NULL)
			return -ENOMEM;
		*noutp = i + 1;
	}
	return 0;
}

static void
select_free(struct selector *sel, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(sel[i].name);
	free(sel);
}

struct treg_extract *
treg_extract_new(const char *content_type, size_t max_text)
{
	return treg_extract_new_with(content_type, max_text, NULL);
}

struct treg_extract *
treg_extract_new_with(const char *content_type, size_t max_text,
    const struct treg_extract_select *sel)
{
	struct treg_extract *ex;
	int rc = -ENOMEM;

	ex = malloc(sizeof(*ex));
	if (ex == NULL)
		goto fail;
	memset(ex, 0, offsetof(struct treg_extract, scratch));
	ex->cd = (iconv_t)-1;
	ex->max_text = max_text;
	treg_buf_init(&ex->block, BLOCK_CAP);
	treg_buf_init(&ex->norm, NORM_CAP);
	treg_buf_init(&ex->filt, BLOCK_CAP);
	treg_buf_init(&ex->title, HINT_CAP);
	treg_buf_init(&ex->noscript, HINT_CAP);
	treg_buf_init(&ex->pdf, TREG_EXTRACT_MAX_BODY);
	if (sink_init(&ex->main, max_text) < 0 ||
	    sink_init(&ex->boil, max_text) < 0)
		goto fail;
	if (content_type != NULL && treg_httphead_content_type(content_type,
	    &ex->ctype, &ex->charset) < 0)
		goto fail;
	if (sel != NULL) {
		rc = select_copy(sel->keep, sel->nkeep, &ex->keep, &ex->nkeep);
		if (rc == 0)
			rc = select_copy(sel->drop, sel->ndrop, &ex->drop,
			    &ex->ndrop);
		if (rc < 0)
			goto fail;
	}
	return ex;

fail:
	log_err(MOD, "cannot start an extraction: err=%s", strerror(-rc));
	treg_extract_free(ex);
	return NULL;
}

void
treg_extract_set_max_body(struct treg_extract *ex, size_t max_body)
{
	ex->pdf.limit = max_body != 0 ? max_body : TREG_EXTRACT_MAX_BODY;
}

int
treg_extract_feed(struct treg_extract *ex, const char *data, size_t len)
{
	size_t take;
	int rc;

	if (ex->err != 0)
		return ex->err;

	if (!ex->started) {
		take = PRESCAN_LEN - ex->head_len;
		if (take > len)
			take = len;
		memcpy(ex->head + ex->head_len, data, take);
		ex->head_len += take;
		data += take;
		len -= take;
		if (ex->head_len < PRESCAN_LEN)
			return 0;
		rc = start(ex);
		if (rc < 0)
			goto out;
	}

	if (ex->kind == TREG_TEXT_BYTES)
		rc = treg_sha256_update(ex->main.sha, data, len);
	else if (ex->kind == TREG_TEXT_PDF)
		rc = pdf_put(ex, data, len);
	else
		rc = decode(ex, (const unsigned char *)data, len, 0);

out:
	set_err(ex, rc);
	return ex->err;
}

static int
sink_digest(struct sink *s, char *hex)
{
	unsigned char md[TREG_SHA256_LEN];
	int rc;

	rc = treg_sha256_final(s->sha, md);
	if (rc < 0)
		return rc;
	treg_sha256_hex(md, hex);
	return 0;
}

static const char *
charset_used(struct treg_extract *ex)
{
	if (ex->kind == TREG_TEXT_BYTES || ex->kind == TREG_TEXT_PDF)
		return NULL;
	if (ex->enc != ENC_GUESS)
		return ex->enc_name;
	return ex->saw_high && !ex->saw_1252 ? "utf-8" : "windows-1252";
}

/* Normalised hint text for the unverifiable checks. */
static char *
hint_take(struct treg_buf *b, struct treg_buf *tmp)
{
	treg_buf_reset(tmp);
	if (b->len > 0 && treg_normalize_text(b->data, b->len, tmp) < 0)
		treg_buf_reset(tmp);
	return strdup(tmp->data != NULL ? tmp->data : "");
}

static int
fill_result(struct treg_extract *ex, struct treg_extract_result *res)
{
	const char *cs = charset_used(ex);
	int rc;

	res->kind = ex->kind;
	rc = sink_digest(&ex->main, res->digest);
	if (rc == 0)
		rc = sink_digest(&ex->boil, res->boiler_digest);
	if (rc < 0)
		return rc;

	res->text_truncated = ex->main.truncated;
	res->text_len = ex->main.text.len;
	res->text = treg_buf_steal(&ex->main.text);
	res->boiler_len = ex->boil.text.len;
	res->boiler_text = treg_buf_steal(&ex->boil.text);
	res->simhash = treg_simhash_value(&ex->main.sh);
	res->words = ex->main.words;
	res->boiler_words = ex->boil.words;
	res->hints = ex->hints;
	/* Binary served as text decodes to replacements and controls;
	 * pages in a wrong charset stay far below one in ten. */
	if (ex->nchars >= BINARY_MIN_CHARS && ex->nbad > ex->nchars / 10 &&
	    (ex->kind == TREG_TEXT_HTML || ex->kind == TREG_TEXT_PLAIN))
		res->hints |= TREG_EXTRACT_HINT_BINARY;
	if (strcasestr(ex->noscript.data != NULL ? ex->noscript.data : "",
	    "javascript") != NULL)
		res->hints |= TREG_EXTRACT_HINT_NOSCRIPT_JS;
	res->title = hint_take(&ex->title, &ex->norm);
	res->content_type = strdup(ex->ctype);
	res->charset = cs != NULL ? strdup(cs) : NULL;

	if (res->text == NULL || res->boiler_text == NULL ||
	    res->title == NULL || res->content_type == NULL ||
	    (cs != NULL && res->charset == NULL))
		return -ENOMEM;
	return 0;
}

int
treg_extract_finish(struct treg_extract *ex, struct treg_extract_result *res)
{
	char tail[SCRATCH_LEN];
	char *op = tail;
	size_t oleft = sizeof(tail);
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (ex->err != 0)
		return ex->err;

	if (!ex->started)
		rc = start(ex);
	if (rc == 0 && ex->kind == TREG_TEXT_PDF)
		rc = pdf_finish(ex);
	else if (rc == 0 && ex->kind != TREG_TEXT_BYTES)
		rc = decode(ex, NULL, 0, 1);
	if (rc == 0 && ex->enc == ENC_ICONV && ex->cd != (iconv_t)-1) {
		/* Stateful charsets may owe a last character. */
		(void)iconv(ex->cd, NULL, NULL, &op, &oleft);
		rc = decode_utf8(ex, (unsigned char *)tail,
		    (size_t)(op - tail), 1);
	}
	if (rc == 0 && ex->ctxt != NULL) {
		stage_flush(ex, 1);
		(void)htmlParseChunk(ex->ctxt, NULL, 0, 1);
	}
	if (rc == 0 && ex->err == 0)
		block_end(ex);
	if (rc == 0)
		rc = ex->err;
	if (rc == 0)
		rc = fill_result(ex, res);

	set_err(ex, rc);
	if (rc < 0)
		treg_extract_result_cleanup(res);
	return rc;
}

void
treg_extract_free(struct treg_extract *ex)
{
	if (ex == NULL)
		return;
	if (ex->ctxt != NULL)
		htmlFreeParserCtxt(ex->ctxt);
	if (ex->cd != (iconv_t)-1)
		iconv_close(ex->cd);
	sink_cleanup(&ex->main);
	sink_cleanup(&ex->boil);
	treg_buf_cleanup(&ex->block);
	treg_buf_cleanup(&ex->norm);
	treg_buf_cleanup(&ex->filt);
	treg_buf_cleanup(&ex->title);
	treg_buf_cleanup(&ex->noscript);
	treg_buf_cleanup(&ex->pdf);
	select_free(ex->keep, ex->nkeep);
	select_free(ex->drop, ex->ndrop);
	free(ex->enc_name);
	free(ex->ctype);
	free(ex->charset);
	free(ex);
}

void
treg_extract_result_cleanup(struct treg_extract_result *res)
{
	free(res->text);
	free(res->boiler_text);
	free(res->title);
	free(res->charset);
	free(res->content_type);
	memset(res, 0, sizeof(*res));
}

int
treg_extract_buffer(const char *content_type, const char *data, size_t len,
    size_t max_text, struct treg_extract_result *res)
{
	struct treg_extract *ex;
	int rc;

	memset(res, 0, sizeof(*res));
	ex = treg_extract_new(content_type, max_text);
	if (ex == NULL)
		return -ENOMEM;
	rc = treg_extract_feed(ex, data, len);
	if (rc == 0)
		rc = treg_extract_finish(ex, res);
	treg_extract_free(ex);
	return rc;
}

/* Unverifiable pages. */

static const char *const challenge_marks[] = {
	"just a moment...", "attention required", "checking your browser",
	"checking if the site connection is secure",
	"enable javascript and cookies to continue",
	"verify you are human", "cf-chl", "ddos protection by",
};

static const char *const script_marks[] = {
	"enable javascript", "javascript is required",
	"javascript is disabled", "requires javascript",
	"javascript must be enabled", "turn on javascript",
};

static const char *const login_marks[] = {
	"sign in to continue", "log in to continue", "login to continue",
	"please sign in", "please log in", "please login",
	"you must be logged in", "you need to sign in", "login required",
	"sign in to view", "log in to view",
};

static const char *const consent_marks[] = {
	"accept all cookies", "accept cookies", "cookie consent",
	"consent to the use of cookies", "manage cookie preferences",
};

static const char *const error_marks[] = {
	"404", "not found", "internal server error", "access denied",
	"403 forbidden", "service unavailable", "bad gateway",
};

static int
has_mark(const char *s, const char *const *marks, size_t n)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcasestr(s, marks[i]) != NULL)
			return 1;
	return 0;
}

#define MARKS(a)	(a), (sizeof(a) / sizeof((a)[0]))

const char *
treg_extract_unverifiable_reason(const struct treg_extract_result *res)
{
	int short_text = res->words < SHORT_WORDS;

	if (res->kind == TREG_TEXT_BYTES)
		return NULL;

	if (res->hints & TREG_EXTRACT_HINT_BINARY)
		return "not text (binary body)";
	if ((res->hints & TREG_EXTRACT_HINT_CHALLENGE) ||
	    (short_text && (has_mark(res->title, MARKS(challenge_marks)) ||
	    has_mark(res->text, MARKS(challenge_marks)))))
		return "bot challenge";
	if (short_text && has_mark(res->text, MARKS(script_marks)))
		return "javascript shell";
	if (res->words < MIN_WORDS &&
	    (res->hints & TREG_EXTRACT_HINT_NOSCRIPT_JS))
		return "javascript shell";
	if (short_text && ((res->hints & TREG_EXTRACT_HINT_PASSWORD) ||
	    has_mark(res->text, MARKS(login_marks))))
		return "login wall";
	if (short_text && has_mark(res->text, MARKS(consent_marks)))
		return "consent wall";
	if (short_text && has_mark(res->title, MARKS(error_marks)))
		return "error page";
	if (res->words < MIN_WORDS)
		return "too little text";
	return NULL;
}
