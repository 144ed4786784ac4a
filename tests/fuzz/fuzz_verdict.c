/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: stored verdicts.  The store keeps each cell's
 * verdict as JSON that report.c writes by hand and reads back through
 * jansson; --report, --show and the daemon read whatever the store
 * holds.  Any bytes must give a verdict or an error, never a crash or a
 * leak; and a verdict read must write back as JSON that reads again to
 * the same bytes, that are the bytes jansson writes for the same tree,
 * in the store's compact form and in the JSON report's indented one.
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

out:
	free(json);
	free(json2);
	treg_verdict_cleanup(&v);
	treg_verdict_cleanup(&again);
	return 0;
}
