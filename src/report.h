/* SPDX-License-Identifier: MIT */
/*
 * Reports: the verdicts of a set of cells rendered for people (text) and
 * for programs (JSON, through jansson so every string, even invalid UTF-8
 * from a server, comes out valid).  Also the serialisation of one verdict
 * for the store, so reports can be rebuilt without crawling.
 */
#ifndef TREG_REPORT_H
#define TREG_REPORT_H

#include <stdio.h>
#include <time.h>

#include "verdict.h"

#define TREG_REPORT_VERSION	2	/* of the JSON format */

enum treg_report_format {
	TREG_REPORT_TEXT,
	TREG_REPORT_JSON,
	TREG_REPORT_HTML,	/* one self-contained page */
	TREG_REPORT_ATOM,	/* one entry per flagged cell */
};

/* Parses "text", "json", "html" or "atom"; -EINVAL if none. */
int	treg_report_parse_format(const char *name,
	    enum treg_report_format *fmt);

/* Crawl health, shown at the end of the report. */
struct treg_report_health {
	size_t	 urls_checked;
	size_t	 urls_failed;
	long	 ms;		/* time spent crawling */
};

/*
 * Writes the report of the n verdicts (grouped by offering, in the order
 * given) to out.  generated is the report's time; health may be NULL.
 * Returns 0 or a negative errno (-EIO on a write error).
 */
int	treg_report_write(FILE *out, enum treg_report_format fmt,
	    const struct treg_verdict *v, size_t n, time_t generated,
	    const struct treg_report_health *health);

/*
 * Writes the report in fmt to DIR/reports/report-YYYY-MM-DD.EXT (the
 * local date of generated) and DIR/reports/latest.EXT, each through a
 * temporary file renamed into place, so a reader never sees half a
 * report.  Returns 0 or a negative errno (logged).
 */
int	treg_report_write_files(const char *dir, enum treg_report_format fmt,
	    const struct treg_verdict *v, size_t n, time_t generated,
	    const struct treg_report_health *health);

/* As treg_report_write_files() for the text, JSON, HTML and Atom forms.
 * Returns 0 or the first error (every form is still attempted). */
int	treg_report_write_all(const char *dir, const struct treg_verdict *v,
	    size_t n, time_t generated,
	    const struct treg_report_health *health);

/* Copies DIR/reports/latest.EXT of format fmt to out: printing the
 * report just written costs no second rendering.  Returns 0, -ENOENT
 * when it cannot be opened (nothing was written to out), or another
 * negative errno. */
int	treg_report_copy_latest(const char *dir, enum treg_report_format fmt,
	    FILE *out);

/* Sorts verdicts read back from the store into the order a crawl
 * reports them in: registry order (v->order), then by name. */
void	treg_report_sort(struct treg_verdict *v, size_t n);

/* Serialises one verdict as compact JSON into a malloc'd string the
 * caller frees (*jsonp).  Returns 0 or -ENOMEM. */
int	treg_report_verdict_to_json(const struct treg_verdict *v,
	    char **jsonp);

/* The inverse: fills *v (caller cleans up with treg_verdict_cleanup()).
 * Returns 0 or -EINVAL on malformed input. */
int	treg_report_verdict_from_json(const char *json, size_t len,
	    struct treg_verdict *v);

/* Only the state and since of a verdict in that form, without reading
 * the rest (judging asks this of every cell's previous verdict).
 * Returns 0 or -EINVAL on malformed input. */
int	treg_report_verdict_state(const char *json, size_t len,
	    enum treg_state *state, int64_t *since);

#endif
