/* SPDX-License-Identifier: MIT */
/*
 * Extraction benchmark, run by hand (never by make check): the shared
 * corpus (ota-genai captures and the article benchmark, gunzipped in
 * memory) is pushed through libxml2's HTML push parser with do-nothing
 * SAX handlers and through treg_extract, in the same chunk size, on one
 * core; it prints both speeds and their ratio.  Then it extracts a
 * generated 50 MB page fed in chunks and prints the peak RSS growth.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libxml/HTMLparser.h>
#include <zlib.h>

#include "extract.h"

#define CHUNK		16384		/* what libcurl typically hands over */
#define MIN_SECONDS	0.25		/* per timed round */
#define ROUNDS		15		/* best of */
#define BIG_BYTES	(50 * 1000 * 1000)
#define MAX_TEXT	(2 * 1024 * 1024)	/* the max_text default */

struct doc {
	char	*data;
	size_t	 len;
};

struct corpus {
	struct doc	*docs;
	size_t		 n;
	size_t		 cap;
	size_t		 bytes;
};

static double
now(void)
{
	struct timespec ts;

	/* CPU time of this thread: other processes on the machine do not
	 * count against either side. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Reads a file, gunzipping it when it is gzip (gzread passes plain
 * files through). */
static int
corpus_add(struct corpus *c, const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char *data = NULL, *p;
	size_t cap = 0, n = 0;
	int got;

	if (gz == NULL)
		return -errno;
	do {
		if (cap - n < 65536) {
			cap = cap * 2 + 65536;
			p = realloc(data, cap);
			if (p == NULL) {
				free(data);
				gzclose(gz);
				return -ENOMEM;
			}
			data = p;
		}
		got = gzread(gz, data + n, (unsigned)(cap - n));
		if (got > 0)
			n += (size_t)got;
	} while (got > 0);
	gzclose(gz);
	if (got < 0 || (c->n == c->cap && (c->cap = c->cap * 2 + 16,
	    c->docs = realloc(c->docs, c->cap * sizeof(*c->docs))) == NULL)) {
		free(data);
		return -EIO;
	}
	c->docs[c->n].data = data;
	c->docs[c->n].len = n;
	c->n++;
	c->bytes += n;
	return 0;
}

/* Adds every file of dir whose name ends in suffix. */
static int
corpus_dir(struct corpus *c, const char *dir, const char *suffix)
{
	struct dirent **ents = NULL;
	char path[4096];
	size_t sl = strlen(suffix), nl;
	int i, n, rc = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		nl = strlen(ents[i]->d_name);
		if (rc == 0 && nl > sl &&
		    strcmp(ents[i]->d_name + nl - sl, suffix) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    ents[i]->d_name);
			rc = corpus_add(c, path);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static void
noop_start_cb(void *ctx, const xmlChar *name, const xmlChar **atts)
{
}

static void
noop_end_cb(void *ctx, const xmlChar *name)
{
}

static void
noop_text_cb(void *ctx, const xmlChar *ch, int len)
{
}

static void
noop_comment_cb(void *ctx, const xmlChar *value)
{
}

/*
 * libxml2 alone, with the options extract.c uses.  Chunks end after a
 * '>' as extract.c's are (see stage_flush() there): libxml2 2.9 is much
 * slower when a chunk ends inside a tag, and the baseline should be its
 * best speed, not its worst.
 */
static void
parse_noop(const struct doc *d)
{
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;
	const char *gt;
	size_t off, n;

	memset(&sax, 0, sizeof(sax));
	sax.startElement = noop_start_cb;
	sax.endElement = noop_end_cb;
	sax.characters = noop_text_cb;
	sax.ignorableWhitespace = noop_text_cb;
	sax.cdataBlock = noop_text_cb;
	sax.comment = noop_comment_cb;
	ctxt = htmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL,
	    XML_CHAR_ENCODING_UTF8);
	if (ctxt == NULL)
		abort();
	htmlCtxtUseOptions(ctxt, HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	    HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER | HTML_PARSE_COMPACT |
	    HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE);
	for (off = 0; off < d->len; off += n) {
		n = d->len - off < CHUNK ? d->len - off : CHUNK;
		gt = memrchr(d->data + off, '>', n);
		if (gt != NULL && off + n < d->len)
			n = (size_t)(gt - (d->data + off)) + 1;
		(void)htmlParseChunk(ctxt, d->data + off, (int)n, 0);
	}
	(void)htmlParseChunk(ctxt, NULL, 0, 1);
	htmlFreeParserCtxt(ctxt);
}

static size_t words_seen;	/* keeps the work from being optimised out */

static void
extract_doc(const struct doc *d)
{
	struct treg_extract_result res;
	struct treg_extract *ex;
	size_t off, n;

	ex = treg_extract_new("text/html", MAX_TEXT);
	if (ex == NULL)
		abort();
	for (off = 0; off < d->len; off += n) {
		n = d->len - off < CHUNK ? d->len - off : CHUNK;
		if (treg_extract_feed(ex, d->data + off, n) < 0)
			abort();
	}
	if (treg_extract_finish(ex, &res) < 0)
		abort();
	words_seen += res.words;
	treg_extract_result_cleanup(&res);
	treg_extract_free(ex);
}

/* MB/s of one round of at least MIN_SECONDS. */
static double
round_mbs(const struct corpus *c, void (*fn)(const struct doc *))
{
	double t0, dt;
	size_t i, passes = 0;

	t0 = now();
	do {
		for (i = 0; i < c->n; i++)
			fn(&c->docs[i]);
		passes++;
		dt = now() - t0;
	} while (dt < MIN_SECONDS);
	return (double)c->bytes * (double)passes / dt / 1e6;
}

/* Best of ROUNDS rounds each, the two sides taking turns so a slow
 * spell of the machine hits both alike. */
static void
report(const char *name, const struct corpus *c)
{
	/* For profiling one side: EXTRACT_BENCH_ONLY=parse or extract. */
	const char *only = getenv("EXTRACT_BENCH_ONLY");
	double parse = 0, extract = 0, v = 0;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		if (only == NULL || strcmp(only, "parse") == 0)
			v = round_mbs(c, parse_noop);
		if (v > parse)
			parse = v;
		if (only == NULL || strcmp(only, "extract") == 0)
			v = round_mbs(c, extract_doc);
		if (v > extract)
			extract = v;
	}
	printf("%-28s %3zu docs %6.1f MB  libxml2 no-op %7.1f MB/s  "
	    "extract %7.1f MB/s  ratio %3.0f%%\n", name, c->n,
	    (double)c->bytes / 1e6, parse, extract, 100 * extract / parse);
}

/*
 * A 50 MB page made of repeated article paragraphs, generated chunk by
 * chunk so only the extractor's memory shows in the RSS.
 */
static void
big_page(void)
{
	static const char para[] =
	    "<div class=\"c\"><p>Section %zu. We may update these terms "
	    "from time to time; the <a href=\"/p\">latest version</a> "
	    "applies to <b>your use</b> of the service %zu.</p>"
	    "<ul><li>item %zu</li><li>other</li></ul></div>\n";
	struct treg_extract_result res;
	struct treg_extract *ex;
	char buf[CHUNK + 512];
	size_t fed = 0, len = 0, i = 0;
	long before, after;
	double t0, dt;

	before = maxrss_kib();
	t0 = now();
	ex = treg_extract_new("text/html; charset=utf-8", MAX_TEXT);
	if (ex == NULL)
		abort();
	len = (size_t)snprintf(buf, sizeof(buf),
	    "<!doctype html><html><head><title>big</title></head><body>");
	while (fed < BIG_BYTES) {
		while (len < CHUNK) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    para, i, i * 7, i * 13);
			i++;
		}
		if (treg_extract_feed(ex, buf, len) < 0)
			abort();
		fed += len;
		len = 0;
	}
	if (treg_extract_feed(ex, "</body></html>", 14) < 0 ||
	    treg_extract_finish(ex, &res) < 0)
		abort();
	dt = now() - t0;
	after = maxrss_kib();

	printf("generated page: %.1f MB in %.2f s (%.1f MB/s), %zu words, "
	    "text kept %zu bytes%s\n", (double)fed / 1e6, dt,
	    (double)fed / dt / 1e6, res.words, res.text_len,
	    res.text_truncated ? " (capped)" : "");
	printf("peak RSS growth: %.2f MiB (before %ld KiB, after %ld KiB)\n",
	    (double)(after - before) / 1024, before, after);
	treg_extract_result_cleanup(&res);
	treg_extract_free(ex);
}

int
main(int argc, char **argv)
{
	struct corpus ota = { 0 }, art = { 0 }, all = { 0 };
	const char *shared = getenv("TREG_SHARED");
	char dir[4096];
	static const char *const ota_docs[] = {
		"openai-privacy-policy", "mistral-ai-privacy-policy",
		"google-generative-ai-services-acceptable-use-policy",
		"claude-ai-commercial-terms",
	};
	size_t i;

	if (argc > 1)
		shared = argv[1];
	if (shared == NULL) {
		fprintf(stderr, "usage: %s SHARED_DIR (or TREG_SHARED)\n",
		    argv[0]);
		return 2;
	}

	/* First, while the process is small. */
	big_page();

	for (i = 0; i < sizeof(ota_docs) / sizeof(ota_docs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/corpus/ota-genai/%s/snapshots",
		    shared, ota_docs[i]);
		if (corpus_dir(&ota, dir, ".html") < 0)
			goto fail;
	}
	snprintf(dir, sizeof(dir),
	    "%s/corpus/article-extraction-benchmark/html", shared);
	if (corpus_dir(&art, dir, ".html.gz") < 0)
		goto fail;
	if (ota.n == 0 || art.n == 0)
		goto fail;

	all.docs = malloc((ota.n + art.n) * sizeof(*all.docs));
	if (all.docs == NULL)
		goto fail;
	memcpy(all.docs, ota.docs, ota.n * sizeof(*all.docs));
	memcpy(all.docs + ota.n, art.docs, art.n * sizeof(*all.docs));
	all.n = ota.n + art.n;
	all.bytes = ota.bytes + art.bytes;

	report("ota-genai", &ota);
	report("article-extraction-benchmark", &art);
	report("both", &all);
	return words_seen > 0 ? 0 : 1;

fail:
	fprintf(stderr, "cannot read the corpus under %s/corpus\n", shared);
	return 1;
}
