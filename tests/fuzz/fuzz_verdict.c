/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: stored verdicts.  The store keeps each cell's
 * verdict as JSON that report.c writes by hand and reads back through
 * jansson; --report, --show and the daemon read whatever the store
 * holds.  Any bytes must give a verdict or an error, never a crash or a
 * leak; and a verdict read must write back as JSON that reads again to
 * the same bytes, that are the bytes jansson writes for the same tree,
 * in the store's compact form and in the JSON report's indented one.
 * Copies of the verdict added an offering at a time out of registry
 * order must give every format of the report byte for byte as added in
 * order.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "verdict.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether text is what jansson dumps for the tree it parses to. */
static int
fuzz_as_jansson_writes(const char *text, size_t len, size_t flags)
{
	json_t *doc;
	char *again;
	int same;

	doc = json_loadb(text, len, 0, NULL);
	if (doc == NULL)
		return 0;
	again = json_dumps(doc, flags);
	same = again != NULL && strlen(again) <= len &&
	    memcmp(again, text, strlen(again)) == 0;
	free(again);
	json_decref(doc);
	return same;
}

/* The JSON report of v, checked against jansson's dump of itself. */
static void
fuzz_report(const struct treg_verdict *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	out = open_memstream(&text, &len);
	if (out == NULL)
		return;
	if (treg_report_write(out, TREG_REPORT_JSON, v, 1, 1764806400,
	    NULL) != 0) {
		fclose(out);
		free(text);
		return;
	}
	fclose(out);
	/* The document ends with a new line jansson does not write. */
	if (!fuzz_as_jansson_writes(text, len, JSON_INDENT(2)))
		abort();
	free(text);
}

#define FUZZ_OFFERINGS	3
#define FUZZ_CELLS	2

/* All four forms of a report of copies of v: FUZZ_OFFERINGS offerings
 * of FUZZ_CELLS cells, added offering by offering in the order of seq.
 * Returns 0, or -1 when a form could not be made (docs then freed). */
static int
fuzz_report_copies(const struct treg_verdict *v, const int *seq,
    char **docs, size_t *lens)
{
	static const char *const offerings[FUZZ_OFFERINGS] = { "a", "b",
	    "c" };
	static const char *const cells[FUZZ_CELLS] = { "k0", "k1" };
	struct treg_report *r = NULL;
	struct treg_verdict copy;
	FILE *out;
	int i, j, fmt, rc = 0;

	for (fmt = 0; fmt < TREG_REPORT_NFORMATS; fmt++)
		docs[fmt] = NULL;
	if (treg_report_begin(&r, TREG_REPORT_ALL, NULL, 1764806400) != 0)
		return -1;
	for (i = 0; i < FUZZ_OFFERINGS && rc == 0; i++) {
		for (j = 0; j < FUZZ_CELLS && rc == 0; j++) {
			copy = *v;
			copy.offering = (char *)offerings[seq[i]];
			copy.cell = (char *)cells[j];
			/* The middle offering's second cell is not judged,
			 * as when judging it failed. */
			if (seq[i] == 1 && j == 1)
				continue;
			copy.order = (uint32_t)(seq[i] * FUZZ_CELLS + j + 1);
			rc = treg_report_add(r, &copy);
		}
	}
	for (fmt = 0; fmt < TREG_REPORT_NFORMATS && rc == 0; fmt++) {
		out = open_memstream(&docs[fmt], &lens[fmt]);
		if (out == NULL) {
			rc = -1;
			break;
		}
		rc = treg_report_finish(r, (enum treg_report_format)fmt, out,
		    NULL);
		fclose(out);
	}
	treg_report_free(r);
	if (rc != 0) {
		for (fmt = 0; fmt < TREG_REPORT_NFORMATS; fmt++) {
			free(docs[fmt]);
			docs[fmt] = NULL;
		}
		return -1;
	}
	return 0;
}

/* The report of copies of v added out of order (which order: pick) is
 * the one added in order. */
static void
fuzz_report_out_of_order(const struct treg_verdict *v, unsigned pick)
{
	static const int seqs[][FUZZ_OFFERINGS] = {
	    { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 },
	    { 2, 1, 0 } };
	char *want[TREG_REPORT_NFORMATS], *got[TREG_REPORT_NFORMATS];
	size_t wlen[TREG_REPORT_NFORMATS], glen[TREG_REPORT_NFORMATS];
	int fmt;

	if (fuzz_report_copies(v, seqs[0], want, wlen) != 0)
		return;
	if (fuzz_report_copies(v, seqs[pick % 6], got, glen) != 0)
		abort();
	for (fmt = 0; fmt < TREG_REPORT_NFORMATS; fmt++) {
		if (wlen[fmt] != glen[fmt] ||
		    memcmp(want[fmt], got[fmt], wlen[fmt]) != 0)
			abort();
		free(want[fmt]);
		free(got[fmt]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_verdict v, again;
	char *json = NULL, *json2 = NULL;

	memset(&again, 0, sizeof(again));
	if (treg_report_verdict_from_json((const char *)data, size, &v) != 0)
		goto out;
	if (treg_report_verdict_to_json(&v, &json) != 0)
		goto out;
	if (!fuzz_as_jansson_writes(json, strlen(json), JSON_COMPACT))
		abort();
	if (treg_report_verdict_from_json(json, strlen(json), &again) != 0)
		abort();
	if (treg_report_verdict_to_json(&again, &json2) != 0)
		goto out;
	if (strcmp(json, json2) != 0)
		abort();
	fuzz_report(&v);
	fuzz_report_out_of_order(&v, size > 0 ? data[size - 1] : 0);

out:
	free(json);
	free(json2);
	treg_verdict_cleanup(&v);
	treg_verdict_cleanup(&again);
	return 0;
}
