/* SPDX-License-Identifier: MIT */
/*
 * --show.  A cell's stored verdict already carries its evidence URLs,
 * quotations and the current diff, so the registry is not needed; the
 * region digest of each past observation is recomputed from its stored
 * text, which costs one decompression per distinct text.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline.h"
#include "region.h"
#include "report.h"
#include "show.h"
#include "store.h"
#include "verdict.h"

#define SHOW_DIGEST	12	/* hex digits of a digest shown */

static void
show_time(FILE *out, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sizeof(buf), "%" PRId64, t);
	fputs(buf, out);
}

static void
show_flags(FILE *out, unsigned flags)
{
	if (flags & TREG_OBS_NOT_MODIFIED)
		fputs(" not-modified", out);
	if (flags & TREG_OBS_UNVERIFIABLE)
		fputs(" unverifiable", out);
	if (flags & TREG_OBS_MOVED)
		fputs(" moved", out);
	if (flags & TREG_OBS_REDIRECTED)
		fputs(" redirected", out);
	if (flags & TREG_OBS_TRUNCATED)
		fputs(" truncated", out);
}

/*
 * The observations of url, one a line; with quotes, the digest of the
 * cell's region in each text (recomputed only when the text changes).
 */
static int
show_observations(FILE *out, struct treg_store *st, const char *url,
    char *const *quotes, size_t nquotes, int with_region, unsigned context)
{
	struct treg_observation *all = NULL;
	struct treg_region r;
	char last[TREG_SHA256_HEXLEN + 1] = "";
	char region[TREG_SHA256_HEXLEN + 1] = "";
	char *text = NULL;
	size_t n = 0, i, len = 0;
	int rc;

	rc = treg_store_list_observations(st, url, &all, &n);
	if (rc < 0)
		return rc;
	/* Nothing to list is the caller's to say, once. */
	if (n == 0) {
		free(all);
		return -ENOENT;
	}
	/* URLs and details came from the registry or a server: written
	 * as the report writes them, so none can drive the terminal. */
	fputs("  ", out);
	(void)treg_report_put_text(out, url);
	fprintf(out, ": %zu observation%s\n", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		fputs("    ", out);
		show_time(out, all[i].at);
		fprintf(out, "  %3u", all[i].status);
		if (all[i].digest[0] == '\0') {
			fputs("  no text", out);
		} else {
			fprintf(out, "  text %.*s  %" PRIu32 " words",
			    SHOW_DIGEST, all[i].digest, all[i].words);
		}
		if (with_region && all[i].digest[0] != '\0' &&
		    strcmp(last, all[i].digest) != 0) {
			memcpy(last, all[i].digest, sizeof(last));
			region[0] = '\0';
			if (treg_store_get_text(st, all[i].digest, &text,
			    &len) == 0 && treg_region_compute(text, len,
			    quotes, nquotes, context, &r) == 0) {
				memcpy(region, r.digest, sizeof(region));
				treg_region_cleanup(&r);
			}
			free(text);
			text = NULL;
		}
		if (with_region && all[i].digest[0] != '\0')
			fprintf(out, "  region %.*s", SHOW_DIGEST,
			    region[0] != '\0' ? region : "?");
		show_flags(out, all[i].flags);
		fputc('\n', out);
	}
	free(all);
	return n == 0 ? -ENOENT : 0;
}

int
treg_show_cell(FILE *out, struct treg_store *st, const char *key,
    unsigned context)
{
	struct treg_verdict v;
	char *data = NULL;
	size_t len = 0, i;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = treg_store_get_cell(st, key, &data, &len);
	if (rc < 0)
		return rc;
	rc = treg_report_verdict_from_json(data, len, &v);
	if (rc < 0)
		goto out;

	/* The stored verdict, as the text report shows a cell, with when
	 * it was made. */
	fputs("Verdict", out);
	if (v.judged != 0) {
		fputs(" judged ", out);
		show_time(out, v.judged);
	}
	if (v.since != 0) {
		fputs(v.judged != 0 ? ", " : " ", out);
		fputs("in this state since ", out);
		show_time(out, v.since);
	}
	fputs(":\n", out);
	rc = treg_report_put_cell(out, &v);
	if (rc < 0)
		goto out;

	fputs("Baseline (what the cell's evidence is compared with):\n",
	    out);
	rc = treg_baseline_show(st, key, out);
	if (rc < 0)
		goto out;

	fputs("\nHistory:\n", out);
	if (v.nev == 0)
		fputs("  no evidence URL: nothing is fetched for this cell\n",
		    out);
	for (i = 0; i < v.nev; i++) {
		if (v.ev[i].fetch_url == NULL)
			continue;
		rc = show_observations(out, st, v.ev[i].fetch_url, v.quotes,
		    v.nquotes, v.ev[i].role == TREG_ROLE_SOURCE, context);
		if (rc == -ENOENT)
			fputs("    never fetched\n", out);
		else if (rc < 0)
			goto out;
	}
	rc = 0;

out:
	treg_verdict_cleanup(&v);
	free(data);
	return rc;
}

int
treg_show_url(FILE *out, struct treg_store *st, const char *url)
{
	struct treg_url_state s;
	int rc;

	memset(&s, 0, sizeof(s));
	if (treg_store_get_url(st, url, &s) == 0) {
		fputs("URL ", out);
		(void)treg_report_put_text(out, url);
		fprintf(out, "\n  last status %u, %" PRIu32 " failure%s "
		    "in a row", s.last_status, s.failures,
		    s.failures == 1 ? "" : "s");
		if (s.final_url != NULL) {
			fputs(", now at ", out);
			(void)treg_report_put_text(out, s.final_url);
		}
		if (s.detail != NULL) {
			fputs(" (", out);
			(void)treg_report_put_text(out, s.detail);
			fputc(')', out);
		}
		fputc('\n', out);
		treg_store_url_cleanup(&s);
	}
	rc = show_observations(out, st, url, NULL, 0, 0, 0);
	return rc;
}
