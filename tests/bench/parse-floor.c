/* SPDX-License-Identifier: MIT */
/*
 * The parsing floor of the benchmark: libxml2's HTML push parser over each
 * file named on standard input, fed in 16 KiB chunks with SAX handlers
 * that only count text bytes.  What trustreg-crawl spends above this (and
 * above curl's fetch cost) is the price of extraction, hashing, verdicts
 * and storage.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/HTMLparser.h>

static unsigned long long parse_floor_text;

static void
parse_floor_characters_cb(void *ctx, const xmlChar *ch, int len)
{
	parse_floor_text += (unsigned long long)len;
}

static int
parse_floor_file(const char *path, htmlSAXHandler *sax)
{
	static char buf[16384];
	htmlParserCtxtPtr ctxt;
	size_t n;
	FILE *fp;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		perror(path);
		return -1;
	}
	ctxt = htmlCreatePushParserCtxt(sax, NULL, NULL, 0, NULL,
	    XML_CHAR_ENCODING_NONE);
	if (ctxt == NULL) {
		fclose(fp);
		return -1;
	}
	htmlCtxtUseOptions(ctxt, HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	    HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER | HTML_PARSE_COMPACT);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		htmlParseChunk(ctxt, buf, (int)n, 0);
	htmlParseChunk(ctxt, NULL, 0, 1);
	htmlFreeParserCtxt(ctxt);
	fclose(fp);
	return 0;
}

int
main(void)
{
	htmlSAXHandler sax;
	char path[4096];
	unsigned long files = 0;

	memset(&sax, 0, sizeof(sax));
	sax.characters = parse_floor_characters_cb;
	sax.cdataBlock = parse_floor_characters_cb;
	xmlInitParser();
	while (fgets(path, sizeof(path), stdin) != NULL) {
		path[strcspn(path, "\n")] = '\0';
		if (path[0] != '\0' && parse_floor_file(path, &sax) == 0)
			files++;
	}
	printf("%lu files, %llu text bytes\n", files, parse_floor_text);
	xmlCleanupParser();
	return 0;
}
