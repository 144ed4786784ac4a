/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for text extraction: what counts as text, block breaks,
 * boilerplate, charsets, streaming in any chunking, limits, and the
 * failure cases from the shared case folder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "buf.h"
#include "digest.h"
#include "extract.h"

#define HTML		"text/html; charset=utf-8"
#define MAX_TEXT	(1024 * 1024)

/* Helpers. */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
		if (data != NULL) {
			data[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return data;
}

/* One raw HTTP response from the shared cases: body and Content-Type. */
struct response {
	char	*raw;
	char	 ctype[128];
	const char *body;
	size_t	 body_len;
};

/* The shared failure cases live beside the source tree; the test
 * harness says where (TREG_SHARED), and a missing case fails the test. */
static const char *
shared_dir(void)
{
	const char *env = getenv("TREG_SHARED");

	return env != NULL && env[0] != '\0' ? env : TREG_SRCDIR "/../shared";
}

static void
response_load(struct response *r, const char *name)
{
	char path[512];
	const char *sep, *h, *eol;
	size_t len = 0, n;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/cases/%s", shared_dir(), name);
	r->raw = slurp(path, &len);
	if (r->raw == NULL)
		fail_msg("cannot read %s (set TREG_SHARED)", path);

	sep = strstr(r->raw, "\r\n\r\n");
	assert_non_null(sep);
	r->body = sep + 4;
	r->body_len = len - (size_t)(r->body - r->raw);
	for (h = r->raw; h < sep; h = eol + 2) {
		eol = strstr(h, "\r\n");
		if (strncasecmp(h, "Content-Type:", 13) != 0)
			continue;
		h += 13;
		while (*h == ' ')
			h++;
		n = (size_t)(eol - h);
		assert_true(n < sizeof(r->ctype));
		memcpy(r->ctype, h, n);
		r->ctype[n] = '\0';
	}
}

static void
response_free(struct response *r)
{
	free(r->raw);
}

static void
extract(const char *ctype, const char *body, struct treg_extract_result *res)
{
	int rc;

	rc = treg_extract_buffer(ctype, body, strlen(body), MAX_TEXT, res);
	assert_int_equal(rc, 0);
}

/* Feeds in chunks of size step, or of random sizes when step is 0. */
static void
extract_chunked(const char *ctype, const char *data, size_t len,
    size_t step, unsigned seed, struct treg_extract_result *res)
{
	struct treg_extract *ex;
	size_t off = 0, n;

	ex = treg_extract_new(ctype, MAX_TEXT);
	assert_non_null(ex);
	srand(seed);
	while (off < len) {
		n = step != 0 ? step : (size_t)(rand() % 300) + 1;
		if (n > len - off)
			n = len - off;
		assert_int_equal(treg_extract_feed(ex, data + off, n), 0);
		off += n;
	}
	assert_int_equal(treg_extract_finish(ex, res), 0);
	treg_extract_free(ex);
}

/* The text with its line breaks made spaces. */
static char *
flat(const struct treg_extract_result *res)
{
	char *s = strdup(res->text);
	char *p;

	assert_non_null(s);
	for (p = s; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	return s;
}

static void
assert_text(const char *ctype, const char *body, const char *want)
{
	struct treg_extract_result res;

	extract(ctype, body, &res);

	assert_string_equal(res.text, want);
	treg_extract_result_cleanup(&res);
}

/* What counts as text. */

static void
test_treg_extract_buffer_skips_script_and_friends(void **state)
{
	const char *html = "<html><head><title>T</title>"
	    "<style>p{x:y}</style><script>var a = 1;</script></head><body>"
	    "<p>one<script>s()</script> two</p>"
	    "<template><p>tpl</p></template><noscript>ns</noscript>"
	    "<svg><text>svg</text><title>st</title></svg>"
	    "<math><mi>x</mi></math><iframe>if</iframe>"
	    "<select><option>opt</option></select>"
	    "<textarea>ta</textarea><object>ob</object>"
	    "<p>three</p></body></html>";
	struct treg_extract_result res;

	extract(HTML, html, &res);

	assert_string_equal(res.text, "one two\nthree");
	assert_string_equal(res.title, "T");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_skips_hidden(void **state)
{
	const char *html = "<body><p>a</p><p hidden>b</p>"
	    "<div aria-hidden=\"true\"><p>c</p></div>"
	    "<div aria-hidden=\"false\">d</div>"
	    "<span style=\"color: red; DISPLAY : None\">e</span>"
	    "<div style=\"visibility:hidden\">f</div>"
	    "<p style=\"display:block\">g<span hidden>h</span>i</p></body>";

	assert_text(HTML, html, "a\nd\ngi");
}

/* Text kept in the markup but not seen: no opacity, no font size, a
 * clip to nothing, a place far off the screen. */
static void
test_treg_extract_buffer_skips_invisible_styles(void **state)
{
	const char *html = "<body>"
	    "<p style=\"opacity:0;font-size:0\">QUOTE</p>"
	    "<p style=\"opacity: 0.0\">h2</p>"
	    "<p style=\"font-size:0em\">h3</p>"
	    "<p style=\"color:red; font-size: 0px !important\">h4</p>"
	    "<p style=\"position:absolute;left:-9999px\">h5</p>"
	    "<p style=\"position:absolute;clip:rect(0 0 0 0)\">h6</p>"
	    "<p style=\"position: fixed; clip: rect(1px, 1px, 1px, 1px)\">"
	    "h7</p>"
	    "<p style=\"position:absolute;clip-path:inset(50%)\">h8</p>"
	    "<p style=\"text-indent:-9999px\">h9</p>"
	    "<p style=\"position:relative;top:-100em\">h10</p>"
	    "<p style=\"opacity:1\">v1</p>"
	    "<p style=\"fill-opacity:0\">v2</p>"
	    "<p style=\"left:-9999px\">v3</p>"
	    "<p style=\"font-size:0.9em\">v4</p>"
	    "<p style=\"position:absolute;clip:rect(0 100px 20px 0)\">v5</p>"
	    "<p style=\"opacity:0.5\">v6</p>"
	    "<p style=\"text-indent:-1em\">v7</p>"
	    "<p style=\"padding-top:-9999px;position:absolute\">v8</p>"
	    "</body>";

	assert_text(HTML, html, "v1\nv2\nv3\nv4\nv5\nv6\nv7\nv8");
}

static void
test_treg_extract_buffer_breaks_blocks(void **state)
{
	const char *html = "<body><h1>Title</h1><div>one <b>bold</b>"
	    "<i>it</i> <a href=x>link</a></div>line1<br>line2<br/>"
	    "<blockquote>quote</blockquote><pre>  pre\n  text </pre>"
	    "<span>in</span><span>line</span></body>";

	assert_text(HTML, html,
	    "Title\none boldit link\nline1\nline2\nquote\npre text\ninline");
}

static void
test_treg_extract_buffer_separates_table_cells(void **state)
{
	const char *html = "<table><caption>Cap</caption><tr><th>Name</th>"
	    "<th>Value</th></tr><tr><td>SOC 2</td><td>Yes</td></tr>"
	    "</table>";

	assert_text(HTML, html, "Cap\nName\nValue\nSOC 2\nYes");
}

static void
test_treg_extract_buffer_separates_list_items(void **state)
{
	const char *html = "<ul><li>one<li>two</li><li><p>three</p></li>"
	    "</ul><dl><dt>term<dd>def</dl>";

	assert_text(HTML, html, "one\ntwo\nthree\nterm\ndef");
}

static void
test_treg_extract_buffer_decodes_entities(void **state)
{
	const char *html = "<p>a &amp; b &lt;c&gt; caf&eacute; &#x2014; "
	    "&#169;&nbsp;2024 &quot;q&quot;</p>";

	assert_text(HTML, html,
	    "a & b <c> caf\xC3\xA9 \xE2\x80\x94 \xC2\xA9 2024 \"q\"");
}

static void
test_treg_extract_buffer_ignores_img_alt(void **state)
{
	const char *html = "<p>before <img src=a.png alt=\"ALT TEXT\"> "
	    "after</p><area alt=\"map\">";

	assert_text(HTML, html, "before after");
}

static void
test_treg_extract_buffer_drops_comments(void **state)
{
	const char *html = "<p>one <!-- hidden comment --> two</p>"
	    "<!-- <p>commented out</p> --><p><![CDATA[cdata]]>three</p>";
	struct treg_extract_result res;

	extract(HTML, html, &res);

	assert_null(strstr(res.text, "comment"));
	assert_null(strstr(res.text, "cdata"));
	assert_non_null(strstr(res.text, "one two"));
	assert_non_null(strstr(res.text, "three"));
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_keeps_button_text(void **state)
{
	const char *html = "<form><label>Email</label>"
	    "<input type=text value=secret><button>Sign in</button></form>";

	assert_text(HTML, html, "Email Sign in");
}

/* Boilerplate. */

static void
test_treg_extract_buffer_separates_boilerplate(void **state)
{
	const char *html = "<body><header><a>Home</a> <a>Pricing</a>"
	    "</header><nav><ul><li>Docs</li></ul></nav>"
	    "<div role=\"navigation\">Crumbs</div>"
	    "<main><article><header><h1>Policy</h1></header>"
	    "<p>We keep data 30 days.</p><footer>Updated May</footer>"
	    "</article></main><aside>Related</aside>"
	    "<footer>Copyright Acme</footer></body>";
	struct treg_extract_result res;
	char hex[TREG_SHA256_HEXLEN + 1];

	extract(HTML, html, &res);

	assert_string_equal(res.text,
	    "Policy\nWe keep data 30 days.\nUpdated May");
	assert_string_equal(res.boiler_text,
	    "Home Pricing\nDocs\nCrumbs\nRelated\nCopyright Acme");
	assert_int_equal(res.boiler_words, 7);
	assert_int_equal(treg_sha256_hex_of(res.boiler_text,
	    res.boiler_len, hex), 0);
	assert_string_equal(res.boiler_digest, hex);
	treg_extract_result_cleanup(&res);
}

/* PDF. */

/*
 * Writes a one-page PDF showing the given text lines (plain ASCII, no
 * parentheses or backslashes) in Helvetica, with a correct cross-reference
 * table.  Returns its length.
 */
static size_t
make_pdf(char *out, size_t size, const char *const *lines, size_t n)
{
	char content[1024];
	size_t clen = 0, len = 0, off[6], i;

	clen += (size_t)snprintf(content + clen, sizeof(content) - clen,
	    "BT /F1 12 Tf 72 720 Td 14 TL\n");
	for (i = 0; i < n; i++)
		clen += (size_t)snprintf(content + clen,
		    sizeof(content) - clen, "(%s) Tj T*\n", lines[i]);
	clen += (size_t)snprintf(content + clen, sizeof(content) - clen,
	    "ET\n");

	len += (size_t)snprintf(out + len, size - len, "%%PDF-1.4\n");
	off[1] = len;
	len += (size_t)snprintf(out + len, size - len, "1 0 obj\n<< /Type "
	    "/Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = len;
	len += (size_t)snprintf(out + len, size - len, "2 0 obj\n<< /Type "
	    "/Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[3] = len;
	len += (size_t)snprintf(out + len, size - len, "3 0 obj\n<< /Type "
	    "/Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
	    "/Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n");
	off[4] = len;
	len += (size_t)snprintf(out + len, size - len, "4 0 obj\n<< /Length "
	    "%zu >>\nstream\n%sendstream\nendobj\n", clen, content);
	off[5] = len;
	len += (size_t)snprintf(out + len, size - len, "5 0 obj\n<< /Type "
	    "/Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
	off[0] = len;
	len += (size_t)snprintf(out + len, size - len,
	    "xref\n0 6\n0000000000 65535 f \n");
	for (i = 1; i < 6; i++)
		len += (size_t)snprintf(out + len, size - len,
		    "%010zu 00000 n \n", off[i]);
	len += (size_t)snprintf(out + len, size - len, "trailer\n<< /Size 6 "
	    "/Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", off[0]);
	assert_true(len < size);
	return len;
}

static void
test_treg_extract_buffer_pdf_text_lines(void **state)
{
	static const char *const lines[] = {
		"We retain API   data for 30 days.",
		"Customers may opt out of training.",
	};
	char pdf[4096];
	size_t len = make_pdf(pdf, sizeof(pdf), lines, 2);
	struct treg_extract_result res, sniffed;

	assert_int_equal(treg_extract_buffer("application/pdf", pdf, len,
	    MAX_TEXT, &res), 0);
	assert_int_equal(treg_extract_buffer(NULL, pdf, len, MAX_TEXT,
	    &sniffed), 0);

	assert_int_equal(res.kind, TREG_TEXT_PDF);
	assert_string_equal(res.text, "We retain API data for 30 days.\n"
	    "Customers may opt out of training.");
	assert_int_equal(res.words, 13);
	assert_null(res.charset);
	assert_string_equal(sniffed.content_type, "application/pdf");
	assert_string_equal(sniffed.digest, res.digest);
	assert_null(treg_extract_unverifiable_reason(&res));
	treg_extract_result_cleanup(&res);
	treg_extract_result_cleanup(&sniffed);
}

static void
test_treg_extract_feed_pdf_streamed_and_capped(void **state)
{
	static const char *const lines[] = { "Streamed in small pieces." };
	char pdf[4096];
	size_t len = make_pdf(pdf, sizeof(pdf), lines, 1), i;
	struct treg_extract_result res, capped;
	struct treg_extract *ex, *small;

	ex = treg_extract_new("application/pdf", MAX_TEXT);
	small = treg_extract_new("application/pdf", MAX_TEXT);
	assert_non_null(ex);
	assert_non_null(small);
	treg_extract_set_max_body(small, 100);
	for (i = 0; i < len; i += 7)
		assert_int_equal(treg_extract_feed(ex, pdf + i,
		    len - i < 7 ? len - i : 7), 0);

	assert_int_equal(treg_extract_finish(ex, &res), 0);
	assert_string_equal(res.text, "Streamed in small pieces.");
	assert_int_equal(treg_extract_feed(small, pdf, len), 0);
	assert_int_equal(treg_extract_finish(small, &capped), -EFBIG);
	treg_extract_result_cleanup(&res);
	treg_extract_free(ex);
	treg_extract_free(small);
}

static void
test_treg_extract_finish_pdf_damaged(void **state)
{
	const char *junk = "%PDF-1.4\nnot really a PDF at all\n%%EOF\n";
	struct treg_extract_result res;

	assert_int_equal(treg_extract_buffer("application/pdf", junk,
	    strlen(junk), MAX_TEXT, &res), -EINVAL);
	assert_null(res.text);
}

/* Per-source selectors. */

static void
extract_with(const struct treg_extract_select *sel, const char *body,
    struct treg_extract_result *res)
{
	struct treg_extract *ex;

	ex = treg_extract_new_with(HTML, MAX_TEXT, sel);
	assert_non_null(ex);
	assert_int_equal(treg_extract_feed(ex, body, strlen(body)), 0);
	assert_int_equal(treg_extract_finish(ex, res), 0);
	treg_extract_free(ex);
}

static void
test_treg_extract_new_with_drop_selectors(void **state)
{
	static const char *const drop[] = { "#cookie-banner", ".ad", "aside" };
	const struct treg_extract_select sel = { NULL, 0, drop, 3 };
	const char *html = "<body><div id=\"cookie-banner\">We use cookies"
	    "</div><p>Policy text.</p><div class=\"x  ad\tbig\">Buy</div>"
	    "<div class=\"adx\">Kept</div><main><aside>Side</aside>"
	    "<p>More.</p></main><nav>Menu</nav></body>";
	struct treg_extract_result res;

	extract_with(&sel, html, &res);

	assert_string_equal(res.text, "Policy text.\nKept\nMore.");
	assert_string_equal(res.boiler_text, "Menu");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_new_with_keep_selectors(void **state)
{
	static const char *const keep[] = { "#policy", "main" };
	const struct treg_extract_select sel = { keep, 2, NULL, 0 };
	const char *html = "<body><p>Promo banner</p>"
	    "<header>Top <span id=\"policy\">Kept span</span> bar</header>"
	    "<main><h1>Terms</h1><nav>Toc</nav><p>We keep data.</p></main>"
	    "<p>Footer-ish</p></body>";
	struct treg_extract_result res;

	extract_with(&sel, html, &res);

	assert_string_equal(res.text, "Kept span\nTerms\nWe keep data.");
	assert_string_equal(res.boiler_text,
	    "Promo banner\nTop\nbar\nToc\nFooter-ish");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_new_with_selectors_any_chunking(void **state)
{
	static const char *const keep[] = { ".content" };
	static const char *const drop[] = { "figure" };
	const struct treg_extract_select sel = { keep, 1, drop, 1 };
	const char *html = "<body><div>out</div><div class=content><p>In "
	    "one</p><figure>fig</figure><p>In two</p></div></body>";
	struct treg_extract_result whole, part;
	struct treg_extract *ex;
	size_t i, len = strlen(html);

	extract_with(&sel, html, &whole);
	ex = treg_extract_new_with(HTML, MAX_TEXT, &sel);
	assert_non_null(ex);
	for (i = 0; i < len; i++)
		assert_int_equal(treg_extract_feed(ex, html + i, 1), 0);
	assert_int_equal(treg_extract_finish(ex, &part), 0);

	assert_string_equal(whole.text, "In one\nIn two");
	assert_string_equal(part.text, whole.text);
	assert_string_equal(part.digest, whole.digest);
	treg_extract_free(ex);
	treg_extract_result_cleanup(&whole);
	treg_extract_result_cleanup(&part);
}

static void
test_treg_extract_new_with_invalid_selector(void **state)
{
	static const char *const bad[] = { "div > p" };
	const struct treg_extract_select sel = { bad, 1, NULL, 0 };

	assert_null(treg_extract_new_with(HTML, MAX_TEXT, &sel));
	assert_true(treg_extract_selector_valid("aside"));
	assert_true(treg_extract_selector_valid("#cookie-banner"));
	assert_true(treg_extract_selector_valid(".ad_1"));
	assert_false(treg_extract_selector_valid(""));
	assert_false(treg_extract_selector_valid("#"));
	assert_false(treg_extract_selector_valid("1div"));
	assert_false(treg_extract_selector_valid("[role=main]"));
	assert_false(treg_extract_selector_valid(".a.b"));
}

static void
test_treg_extract_buffer_boilerplate_change_keeps_digest(void **state)
{
	const char *a = "<nav>Home</nav><p>Same policy text here.</p>"
	    "<footer>2023</footer>";
	const char *b = "<nav>Home Blog</nav><p>Same policy text here.</p>"
	    "<footer>2024</footer>";
	struct treg_extract_result ra, rb;

	extract(HTML, a, &ra);
	extract(HTML, b, &rb);

	assert_string_equal(ra.digest, rb.digest);
	assert_string_not_equal(ra.boiler_digest, rb.boiler_digest);
	treg_extract_result_cleanup(&ra);
	treg_extract_result_cleanup(&rb);
}

/* Digest definition. */

static void
test_treg_extract_buffer_digest_is_text_hash(void **state)
{
	const char *html = "<h1>Head</h1><p>Body  text\n here.</p><p></p>"
	    "<p>  </p><p>End</p>";
	struct treg_extract_result res;
	char hex[TREG_SHA256_HEXLEN + 1];

	extract(HTML, html, &res);
	assert_int_equal(treg_sha256_hex_of(res.text, res.text_len, hex), 0);

	assert_string_equal(res.text, "Head\nBody text here.\nEnd");
	assert_string_equal(res.digest, hex);
	assert_int_equal(res.words, 5);
	assert_int_equal(res.kind, TREG_TEXT_HTML);
	assert_string_equal(res.content_type, "text/html");
	assert_string_equal(res.charset, "utf-8");
	assert_false(res.text_truncated);
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_finish_truncates_text(void **state)
{
	const char *html = "<p>alpha beta</p><p>gamma \xC3\xA9t\xC3\xA9</p>"
	    "<p>delta</p>";
	struct treg_extract_result full, cut;
	int rc;

	extract(HTML, html, &full);

	rc = treg_extract_buffer(HTML, html, strlen(html), 16, &cut);

	assert_int_equal(rc, 0);
	assert_true(cut.text_truncated);
	assert_true(cut.text_len <= 16);
	/* Cut before the 2-byte é rather than through it. */
	assert_string_equal(cut.text, "alpha beta\ngamma");
	assert_string_equal(cut.digest, full.digest);
	assert_int_equal(cut.words, full.words);
	assert_false(full.text_truncated);
	treg_extract_result_cleanup(&full);
	treg_extract_result_cleanup(&cut);
}

/* Streaming. */

static void
check_chunking(const char *ctype, const char *doc, size_t len)
{
	static const size_t steps[] = { 1, 2, 3, 7, 1000, 0, 0, 0 };
	struct treg_extract_result whole, part;
	size_t i;
	int rc;

	rc = treg_extract_buffer(ctype, doc, len, MAX_TEXT, &whole);
	assert_int_equal(rc, 0);

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		extract_chunked(ctype, doc, len, steps[i], (unsigned)i, &part);

		assert_string_equal(part.text, whole.text);
		assert_string_equal(part.digest, whole.digest);
		assert_string_equal(part.boiler_digest, whole.boiler_digest);
		assert_true(part.simhash == whole.simhash);
		assert_string_equal(part.charset, whole.charset);
		treg_extract_result_cleanup(&part);
	}
	treg_extract_result_cleanup(&whole);
}

static void
test_treg_extract_feed_any_chunking_same_result(void **state)
{
	static const char *const docs[] = {
		"<!DOCTYPE html><html><head><title>x</title>"
		"<script>if (a < b && c) { document.write('<p>x</p>'); }"
		"</script></head><body><nav>N</nav><h1>caf\xC3\xA9 "
		"\xE2\x80\x9CTerms\xE2\x80\x9D \xF0\x9F\x98\x80</h1>"
		"<p>a &amp; b &eacute;&#233; &#x1F600;</p><!-- c -->"
		"<table><tr><td>1<td>2</table><p>Second <b>para.<p>Third",
		"<html><body>\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE"
		"<br>\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 "
		"<div style='display:none'>x</div>"
		"<ul><li>\xC3\xA9\xC3\xA8</li><li>bad \xFF byte</li></ul>",
		"<p>windows 1252 with no charset: caf\xE9 \x93q\x94 \x80</p>",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		check_chunking("text/html", docs[i], strlen(docs[i]));
		check_chunking(HTML, docs[i], strlen(docs[i]));
	}
}

static void
test_treg_extract_feed_case_files_any_chunking(void **state)
{
	static const char *const cases[] = {
		"BR-01/step1.http", "BR-03/step1.http", "BR-03/step3.http",
		"BR-04/response.http", "BR-14/response.http",
		"BR-15/step2.http",
	};
	struct response r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		response_load(&r, cases[i]);

		check_chunking(r.ctype, r.body, r.body_len);

		response_free(&r);
	}
}

/* Failure cases from the shared folder. */

static void
test_treg_extract_buffer_br14_malformed(void **state)
{
	static const char *const absent[] = {
		"console.log", "Hello world", "Hidden script text", "not text",
		"CDATA", "color", "style text", "Please enable JavaScript",
		"draft v2",
	};
	struct treg_extract_result res;
	struct response r;
	char *text;
	size_t i;

	response_load(&r, "BR-14/response.http");

	assert_int_equal(treg_extract_buffer(r.ctype, r.body, r.body_len,
	    MAX_TEXT, &res), 0);
	text = flat(&res);

	assert_string_equal(text,
	    "Document body text. Second paragraph. Third & last <item>.");
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_null(strstr(res.text, absent[i]));
	free(text);
	treg_extract_result_cleanup(&res);
	response_free(&r);
}

static void
test_treg_extract_buffer_br04_bom_beats_header(void **state)
{
	const char *want = "\xE2\x80\x9CTerms\xE2\x80\x9D \xE2\x80\x94 "
	    "caf\xC3\xA9 r\xC3\xA9sum\xC3\xA9 \xE2\x80\xA6 \xC2\xA9 2024";
	struct treg_extract_result res, plain;
	struct response r;

	response_load(&r, "BR-04/response.http");
	assert_string_equal(r.ctype, "text/html; charset=windows-1252");

	assert_int_equal(treg_extract_buffer(r.ctype, r.body, r.body_len,
	    MAX_TEXT, &res), 0);
	assert_int_equal(treg_extract_buffer(HTML, r.body + 3,
	    r.body_len - 3, MAX_TEXT, &plain), 0);

	assert_string_equal(res.text, want);
	assert_null(strstr(res.text, "\xC3\xA2\xE2\x82\xAC"));
	assert_null(strstr(res.text, "\xC3\x83\xC2\xA9"));
	assert_null(strstr(res.text, "\xEF\xBB\xBF"));
	assert_string_equal(res.charset, "utf-8");
	assert_string_equal(res.digest, plain.digest);
	treg_extract_result_cleanup(&res);
	treg_extract_result_cleanup(&plain);
	response_free(&r);
}

static void
test_treg_extract_buffer_br03_space_variants_hash_equal(void **state)
{
	struct treg_extract_result res[3];
	struct response r;
	char name[32];
	char *text;
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "BR-03/step%d.http", i + 1);
		response_load(&r, name);
		assert_int_equal(treg_extract_buffer(r.ctype, r.body,
		    r.body_len, MAX_TEXT, &res[i]), 0);
		response_free(&r);
	}

	text = flat(&res[0]);
	assert_string_equal(text, "Terms of use Last updated: 12 March 2024 "
	    "Section 3.1 applies to the caf\xC3\xA9 plug-in and all outputs.");
	assert_string_equal(res[0].digest, res[1].digest);
	assert_string_equal(res[0].digest, res[2].digest);
	free(text);
	for (i = 0; i < 3; i++)
		treg_extract_result_cleanup(&res[i]);
}

static void
test_treg_extract_buffer_br01_tokens_absent(void **state)
{
	static const char *const absent[] = {
		"Zq81", "Lm9c", "n0nc3", "1717400000", "0.4417", "req-",
	};
	struct treg_extract_result res[2];
	struct response r;
	size_t i;

	for (i = 0; i < 2; i++) {
		response_load(&r, i == 0 ? "BR-01/step1.http" :
		    "BR-01/step2.http");
		assert_int_equal(treg_extract_buffer(r.ctype, r.body,
		    r.body_len, MAX_TEXT, &res[i]), 0);
		response_free(&r);
	}

	assert_string_equal(res[0].digest, res[1].digest);
	assert_non_null(strstr(res[0].text, "Model usage policy"));
	assert_non_null(strstr(res[0].text,
	    "We do not train on customer prompts."));
	assert_non_null(strstr(res[0].text, "Sign in"));
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_null(strstr(res[0].text, absent[i]));
	assert_null(treg_extract_unverifiable_reason(&res[0]));
	treg_extract_result_cleanup(&res[0]);
	treg_extract_result_cleanup(&res[1]);
}

static void
test_treg_extract_buffer_br15_replay_equals_raw(void **state)
{
	struct treg_extract_result res[3];
	struct response r;
	char name[32];
	char *text;
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "BR-15/step%d.http", i + 1);
		response_load(&r, name);
		assert_int_equal(treg_extract_buffer(r.ctype, r.body,
		    r.body_len, MAX_TEXT, &res[i]), 0);
		response_free(&r);
	}

	text = flat(&res[1]);
	assert_string_equal(text, "Acme AI terms Outputs may not be used to "
	    "train competing models. Earlier versions");
	assert_string_equal(res[2].digest, res[0].digest);
	assert_string_equal(res[1].digest, res[0].digest);
	assert_null(strstr(res[1].text, "Wayback"));
	assert_null(strstr(res[1].text, "captures"));
	assert_null(strstr(res[1].boiler_text, "Wayback"));
	free(text);
	for (i = 0; i < 3; i++)
		treg_extract_result_cleanup(&res[i]);
}

static void
test_treg_extract_buffer_drops_wayback_toolbar_comments(void **state)
{
	const char *html = "<body><p>before</p>"
	    "<!-- BEGIN WAYBACK TOOLBAR INSERT --><span>toolbar</span>"
	    "<p>more toolbar</p><!-- END WAYBACK TOOLBAR INSERT -->"
	    "<p>after</p><div id=\"donato\">donate</div></body>";

	assert_text(HTML, html, "before\nafter");
}

/* Charsets. */

static void
test_treg_extract_buffer_windows1252_fallback(void **state)
{
	const char *html = "<p>caf\xE9 \x93quoted\x94 \x80 5</p>";
	struct treg_extract_result res;

	extract("text/html", html, &res);

	assert_string_equal(res.text, "caf\xC3\xA9 \xE2\x80\x9Cquoted"
	    "\xE2\x80\x9D \xE2\x82\xAC 5");
	assert_string_equal(res.charset, "windows-1252");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_undeclared_utf8_guessed(void **state)
{
	const char *html = "<p>caf\xC3\xA9 d\xC3\xA9j\xC3\xA0</p>";
	struct treg_extract_result res;

	extract("text/html", html, &res);

	assert_string_equal(res.text, "caf\xC3\xA9 d\xC3\xA9j\xC3\xA0");
	assert_string_equal(res.charset, "utf-8");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_meta_charset(void **state)
{
	static const struct {
		const char *html;
		const char *charset;
	} cases[] = {
		{ "<html><head><meta charset=\"ISO-8859-1\"></head>"
		  "<body><p>caf\xE9 \x93q\x94</p>", "windows-1252" },
		{ "<head><meta http-equiv=\"Content-Type\" "
		  "content=\"text/html; charset=windows-1252\">"
		  "<p>caf\xE9 \x93q\x94</p>", "windows-1252" },
		{ "<!-- <meta charset=utf-8> --><meta charset='utf-8'>"
		  "<p>caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D</p>", "utf-8" },
	};
	struct treg_extract_result res;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		extract_chunked("text/html", cases[i].html,
		    strlen(cases[i].html), 20, 0, &res);

		assert_string_equal(res.text,
		    "caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D");
		assert_string_equal(res.charset, cases[i].charset);
		treg_extract_result_cleanup(&res);
	}
}

static void
test_treg_extract_buffer_header_beats_meta(void **state)
{
	const char *html = "<meta charset=utf-8><p>caf\xE9</p>";
	struct treg_extract_result res;

	extract("text/html; charset=\"ISO-8859-1\"", html, &res);

	assert_string_equal(res.text, "caf\xC3\xA9");
	assert_string_equal(res.charset, "windows-1252");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_unknown_charset_falls_back(void **state)
{
	const char *html = "<meta charset=utf-8><p>caf\xC3\xA9</p>";
	struct treg_extract_result res;

	extract("text/html; charset=no-such-charset//TRANSLIT", html, &res);

	assert_string_equal(res.text, "caf\xC3\xA9");
	assert_string_equal(res.charset, "utf-8");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_iconv_charset(void **state)
{
	/* ISO-8859-2: 0xB1 is a with ogonek, 0xE6 c with acute. */
	const char *html = "<p>\xB1\xE6</p>";
	struct treg_extract_result res;

	extract("text/html; charset=iso-8859-2", html, &res);

	assert_string_equal(res.text, "\xC4\x85\xC4\x87");
	assert_string_equal(res.charset, "iso-8859-2");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_utf16_bom(void **state)
{
	static const char body[] = "\xFF\xFE<\0p\0>\0h\0\xE9\0!\0";
	struct treg_extract_result res;
	int rc;

	rc = treg_extract_buffer("text/html", body, sizeof(body) - 1,
	    MAX_TEXT, &res);

	assert_int_equal(rc, 0);
	assert_string_equal(res.text, "h\xC3\xA9!");
	assert_string_equal(res.charset, "utf-16le");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_invalid_utf8_replaced(void **state)
{
	static const char body[] = "<p>a\xFF" "b\xC3(c\0d\xED\xA0\x80</p>";
	struct treg_extract_result res;
	int rc;

	rc = treg_extract_buffer(HTML, body, sizeof(body) - 1, MAX_TEXT,
	    &res);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(res.text, "a\xEF\xBF\xBD" "b"));
	assert_non_null(strstr(res.text, "d"));
	treg_extract_result_cleanup(&res);
}

/* Other kinds of body. */

static void
test_treg_extract_buffer_plain_text_lines(void **state)
{
	const char *txt = "  Line one  \r\n\r\nline\ttwo\n\xC3\xA9t\xC3\xA9";
	struct treg_extract_result res;

	extract("text/plain; charset=utf-8", txt, &res);

	assert_int_equal(res.kind, TREG_TEXT_PLAIN);
	assert_string_equal(res.text, "Line one\nline two\n\xC3\xA9t\xC3\xA9");
	assert_string_equal(res.content_type, "text/plain");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_other_type_bytes(void **state)
{
	static const char body[] = "\x89PNG\r\n\x1a\n\0\x01\x02 binary";
	struct treg_extract_result res;
	char hex[TREG_SHA256_HEXLEN + 1];
	int rc;

	rc = treg_extract_buffer("Image/PNG", body, sizeof(body) - 1,
	    MAX_TEXT, &res);
	assert_int_equal(treg_sha256_hex_of(body, sizeof(body) - 1, hex), 0);

	assert_int_equal(rc, 0);
	assert_int_equal(res.kind, TREG_TEXT_BYTES);
	assert_string_equal(res.digest, hex);
	assert_int_equal(res.text_len, 0);
	assert_string_equal(res.content_type, "image/png");
	assert_null(treg_extract_unverifiable_reason(&res));
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_buffer_sniffs_untyped(void **state)
{
	static const char bin[] = "\x89PNG\r\n\x1a\n\0\0";
	struct treg_extract_result h, p, b;

	extract(NULL, "  \n<p>html <b>here</b></p>", &h);
	extract("", "just text\nsecond", &p);
	assert_int_equal(treg_extract_buffer(NULL, bin, sizeof(bin) - 1,
	    MAX_TEXT, &b), 0);

	assert_int_equal(h.kind, TREG_TEXT_HTML);
	assert_string_equal(h.text, "html here");
	assert_string_equal(h.content_type, "text/html");
	assert_int_equal(p.kind, TREG_TEXT_PLAIN);
	assert_string_equal(p.text, "just text\nsecond");
	assert_int_equal(b.kind, TREG_TEXT_BYTES);
	treg_extract_result_cleanup(&h);
	treg_extract_result_cleanup(&p);
	treg_extract_result_cleanup(&b);
}

/* Size. */

static void
test_treg_extract_buffer_deep_nesting(void **state)
{
	const size_t depth = 100000;
	struct treg_buf b;
	struct treg_extract_result res;
	size_t i;
	int rc;

	treg_buf_init(&b, 0);
	for (i = 0; i < depth; i++)
		assert_int_equal(treg_buf_puts(&b, "<div><span>"), 0);
	assert_int_equal(treg_buf_puts(&b, "deep inner text"), 0);
	for (i = 0; i < depth; i++)
		assert_int_equal(treg_buf_puts(&b, "</span></div>"), 0);
	assert_int_equal(treg_buf_puts(&b, "<p>after</p>"), 0);

	rc = treg_extract_buffer("text/html", b.data, b.len, MAX_TEXT, &res);

	assert_int_equal(rc, 0);
	assert_string_equal(res.text, "deep inner text\nafter");
	treg_extract_result_cleanup(&res);
	treg_buf_cleanup(&b);
}

static void
test_treg_extract_feed_large_page(void **state)
{
	const char *para = "<p>Customer data is retained for thirty days "
	    "and then deleted &amp; never used for training.</p>\n";
	const size_t total = 20 * 1024 * 1024;
	struct treg_extract *ex;
	struct treg_extract_result res;
	char chunk[16384];
	size_t plen = strlen(para), n = 0, fed = 0;

	ex = treg_extract_new(HTML, 64 * 1024);
	assert_non_null(ex);
	assert_int_equal(treg_extract_feed(ex, "<html><body>", 12), 0);
	while (n + plen <= sizeof(chunk)) {
		memcpy(chunk + n, para, plen);
		n += plen;
	}

	while (fed < total) {
		assert_int_equal(treg_extract_feed(ex, chunk, n), 0);
		fed += n;
	}
	assert_int_equal(treg_extract_finish(ex, &res), 0);

	assert_true(res.text_truncated);
	assert_true(res.text_len <= 64 * 1024);
	assert_int_equal(res.words, (fed / plen) * 14);
	treg_extract_result_cleanup(&res);
	treg_extract_free(ex);
}

static void
test_treg_extract_feed_long_block_cut_same(void **state)
{
	struct treg_buf b;
	struct treg_extract_result res;
	size_t i;

	/* One block far past the block buffer, with and without spaces. */
	treg_buf_init(&b, 0);
	assert_int_equal(treg_buf_puts(&b, "<p>"), 0);
	for (i = 0; i < 30000; i++)
		assert_int_equal(treg_buf_puts(&b, "w\xC3\xA9rd "), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(treg_buf_puts(&b, "\xC3\xA9"), 0);
	assert_int_equal(treg_buf_puts(&b, "</p><p>end</p>"), 0);

	check_chunking(HTML, b.data, b.len);
	assert_int_equal(treg_extract_buffer(HTML, b.data, b.len, 1 << 22,
	    &res), 0);

	assert_int_equal(res.text_len, 30000 * 6 + 100000 * 2 + 4);
	assert_string_equal(strchr(res.text, '\n'), "\nend");
	assert_null(strstr(res.text, "\xEF\xBF\xBD"));
	treg_extract_result_cleanup(&res);
	treg_buf_cleanup(&b);
}

static void
test_treg_extract_feed_long_run_after_decoded_char(void **state)
{
	static const char ctype[] = "text/html; charset=windows-1252";
	struct treg_buf b;
	struct treg_extract_result res;
	size_t i;

	/* Past the first KiB (decoded apart), a character that is
	 * re-encoded and queued, then a run long enough to be handed
	 * over in place, in one feed: the run must not overtake it. */
	treg_buf_init(&b, 0);
	assert_int_equal(treg_buf_puts(&b, "<p>"), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(treg_buf_puts(&b, " word"), 0);
	assert_int_equal(treg_buf_puts(&b, " caf\xE9"), 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(treg_buf_puts(&b, " word"), 0);
	assert_int_equal(treg_buf_puts(&b, "</p>"), 0);

	check_chunking(ctype, b.data, b.len);
	assert_int_equal(treg_extract_buffer(ctype, b.data, b.len, MAX_TEXT,
	    &res), 0);

	assert_non_null(strstr(res.text, "word caf\xC3\xA9 word"));
	treg_extract_result_cleanup(&res);
	treg_buf_cleanup(&b);
}

/* Unverifiable pages. */

static void
test_treg_extract_unverifiable_reason_bot_challenge(void **state)
{
	struct treg_extract_result res;
	struct response r;

	response_load(&r, "BR-12/step2.http");

	assert_int_equal(treg_extract_buffer(r.ctype, r.body, r.body_len,
	    MAX_TEXT, &res), 0);

	assert_string_equal(treg_extract_unverifiable_reason(&res),
	    "bot challenge");
	treg_extract_result_cleanup(&res);
	response_free(&r);
}

static void
test_treg_extract_unverifiable_reason_title_challenge(void **state)
{
	const char *html = "<title>Just a moment...</title><p>Please wait "
	    "while we check things.</p>";
	struct treg_extract_result res;

	extract(HTML, html, &res);

	assert_string_equal(treg_extract_unverifiable_reason(&res),
	    "bot challenge");
	treg_extract_result_cleanup(&res);
}

static void
test_treg_extract_unverifiable_reason_javascript_shell(void **state)
{
	const char *a = "<body><noscript>You need to enable JavaScript to "
	    "run this app.</noscript><div id=root></div>"
	    "<script src=main.js></script></body>";
	const char *b = "<p>Please enable JavaScript to view this page "
	    "properly.</p>";
	struct treg_extract_result ra, rb;

	extract(HTML, a, &ra);
	extract(HTML, b, &rb);

	assert_string_equal(treg_extract_unverifiable_reason(&ra),
	    "javascript shell");
	assert_string_equal(treg_extract_unverifiable_reason(&rb),
	    "javascript shell");
	treg_extract_result_cleanup(&ra);
	treg_extract_result_cleanup(&rb);
}

static void
test_treg_extract_unverifiable_reason_login_wall(void **state)
{
	const char *a = "<h1>Welcome back</h1><form><input name=u>"
	    "<input type=password name=p><button>Log in</button></form>";
	const char *b = "<p>Please sign in to continue to the trust "
	    "portal.</p>";
	struct treg_extract_result ra, rb;

	extract(HTML, a, &ra);
	extract(HTML, b, &rb);

	assert_string_equal(treg_extract_unverifiable_reason(&ra),
	    "login wall");
	assert_string_equal(treg_extract_unverifiable_reason(&rb),
	    "login wall");
	treg_extract_result_cleanup(&ra);
	treg_extract_result_cleanup(&rb);
}

static void
test_treg_extract_unverifiable_reason_too_little_text(void **state)
{
	struct treg_extract_result ra, rb;

	extract(HTML, "<div id=app></div><script>boot()</script>", &ra);
	extract(HTML, "<p>Loading</p>", &rb);

	assert_string_equal(treg_extract_unverifiable_reason(&ra),
	    "too little text");
	assert_string_equal(treg_extract_unverifiable_reason(&rb),
	    "too little text");
	treg_extract_result_cleanup(&ra);
	treg_extract_result_cleanup(&rb);
}

static void
test_treg_extract_unverifiable_reason_usable(void **state)
{
	const char *html = "<title>Trust center</title><h1>Security</h1>"
	    "<p>We hold SOC 2 Type II and ISO 27001 certificates. Sign in "
	    "to the portal to download the reports.</p>";
	struct treg_extract_result res;

	extract(HTML, html, &res);

	assert_null(treg_extract_unverifiable_reason(&res));
	treg_extract_result_cleanup(&res);
}

/* What binary served as text decodes to. */
static void
assert_binary(const char *ctype, const char *body, size_t len)
{
	struct treg_extract_result res;

	assert_int_equal(treg_extract_buffer(ctype, body, len, MAX_TEXT,
	    &res), 0);

	assert_string_equal(treg_extract_unverifiable_reason(&res),
	    "not text (binary body)");
	treg_extract_result_cleanup(&res);
}

/* Deflated zeros (a gzip body sent without its Content-Encoding) and
 * random bytes, typed as HTML and as text, with or without a charset. */
static void
test_treg_extract_unverifiable_reason_binary(void **state)
{
	size_t zlen = 1024 * 1024, i;
	uLongf clen = compressBound((uLong)zlen);
	unsigned char *zeros = calloc(1, zlen), *packed = malloc(clen);
	char rnd[8192];
	uint32_t x = 12345;

	assert_non_null(zeros);
	assert_non_null(packed);
	assert_int_equal(compress2(packed, &clen, zeros, (uLong)zlen, 9),
	    Z_OK);
	for (i = 0; i < sizeof(rnd); i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (char)(x >> 24);
	}

	assert_binary("text/html", (const char *)packed, clen);
	assert_binary(HTML, (const char *)packed, clen);
	assert_binary("text/plain; charset=iso-8859-1", rnd, sizeof(rnd));
	assert_binary("text/html; charset=utf-8", rnd, sizeof(rnd));
	assert_binary("text/plain", rnd, sizeof(rnd));
	free(zeros);
	free(packed);
}

/* A page with a few stray controls and Latin-1 letters is still text. */
static void
test_treg_extract_unverifiable_reason_few_controls_usable(void **state)
{
	const char *html = "<title>Trust center</title>"
	    "<h1>S\xe9" "curit\xe9</h1>"
	    "<p>We hold SOC 2 Type II and ISO 27001 certificates.\x01 Sign "
	    "in to the portal to download the reports.\x7f</p>";
	struct treg_extract_result res;

	extract("text/html", html, &res);

	assert_null(treg_extract_unverifiable_reason(&res));
	treg_extract_result_cleanup(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_treg_extract_buffer_skips_script_and_friends),
		cmocka_unit_test(test_treg_extract_buffer_skips_hidden),
		cmocka_unit_test(
		    test_treg_extract_buffer_skips_invisible_styles),
		cmocka_unit_test(test_treg_extract_buffer_breaks_blocks),
		cmocka_unit_test(
		    test_treg_extract_buffer_separates_table_cells),
		cmocka_unit_test(
		    test_treg_extract_buffer_separates_list_items),
		cmocka_unit_test(test_treg_extract_buffer_decodes_entities),
		cmocka_unit_test(test_treg_extract_buffer_ignores_img_alt),
		cmocka_unit_test(test_treg_extract_buffer_drops_comments),
		cmocka_unit_test(test_treg_extract_buffer_keeps_button_text),
		cmocka_unit_test(
		    test_treg_extract_buffer_separates_boilerplate),
		cmocka_unit_test(
		    test_treg_extract_buffer_boilerplate_change_keeps_digest),
		cmocka_unit_test(test_treg_extract_buffer_digest_is_text_hash),
		cmocka_unit_test(test_treg_extract_finish_truncates_text),
		cmocka_unit_test(
		    test_treg_extract_feed_any_chunking_same_result),
		cmocka_unit_test(
		    test_treg_extract_feed_case_files_any_chunking),
		cmocka_unit_test(test_treg_extract_buffer_br14_malformed),
		cmocka_unit_test(
		    test_treg_extract_buffer_br04_bom_beats_header),
		cmocka_unit_test(
		    test_treg_extract_buffer_br03_space_variants_hash_equal),
		cmocka_unit_test(test_treg_extract_buffer_br01_tokens_absent),
		cmocka_unit_test(
		    test_treg_extract_buffer_br15_replay_equals_raw),
		cmocka_unit_test(
		    test_treg_extract_buffer_drops_wayback_toolbar_comments),
		cmocka_unit_test(
		    test_treg_extract_buffer_windows1252_fallback),
		cmocka_unit_test(
		    test_treg_extract_buffer_undeclared_utf8_guessed),
		cmocka_unit_test(test_treg_extract_buffer_meta_charset),
		cmocka_unit_test(test_treg_extract_buffer_header_beats_meta),
		cmocka_unit_test(
		    test_treg_extract_buffer_unknown_charset_falls_back),
		cmocka_unit_test(test_treg_extract_buffer_iconv_charset),
		cmocka_unit_test(test_treg_extract_buffer_utf16_bom),
		cmocka_unit_test(
		    test_treg_extract_buffer_invalid_utf8_replaced),
		cmocka_unit_test(test_treg_extract_buffer_plain_text_lines),
		cmocka_unit_test(test_treg_extract_buffer_other_type_bytes),
		cmocka_unit_test(test_treg_extract_buffer_sniffs_untyped),
		cmocka_unit_test(test_treg_extract_buffer_deep_nesting),
		cmocka_unit_test(test_treg_extract_feed_large_page),
		cmocka_unit_test(test_treg_extract_feed_long_block_cut_same),
		cmocka_unit_test(
		    test_treg_extract_feed_long_run_after_decoded_char),
		cmocka_unit_test(
		    test_treg_extract_unverifiable_reason_bot_challenge),
		cmocka_unit_test(
		    test_treg_extract_unverifiable_reason_title_challenge),
		cmocka_unit_test(
		    test_treg_extract_unverifiable_reason_javascript_shell),
		cmocka_unit_test(
		    test_treg_extract_unverifiable_reason_login_wall),
		cmocka_unit_test(
		    test_treg_extract_unverifiable_reason_too_little_text),
		cmocka_unit_test(test_treg_extract_unverifiable_reason_usable),
		cmocka_unit_test(test_treg_extract_unverifiable_reason_binary),
		cmocka_unit_test(
		    test_treg_extract_unverifiable_reason_few_controls_usable),
		cmocka_unit_test(test_treg_extract_buffer_pdf_text_lines),
		cmocka_unit_test(
		    test_treg_extract_feed_pdf_streamed_and_capped),
		cmocka_unit_test(test_treg_extract_finish_pdf_damaged),
		cmocka_unit_test(test_treg_extract_new_with_drop_selectors),
		cmocka_unit_test(test_treg_extract_new_with_keep_selectors),
		cmocka_unit_test(
		    test_treg_extract_new_with_selectors_any_chunking),
		cmocka_unit_test(test_treg_extract_new_with_invalid_selector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
