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
	TREG_REPORT_NFORMATS
};

#define TREG_REPORT_BIT(fmt)	(1u << (fmt))
#define TREG_REPORT_ALL	(TREG_REPORT_BIT(TREG_REPORT_NFORMATS) - 1)

/* Parses "text", "json", "html" or "atom"; -EINVAL if none. */
int	treg_report_parse_format(const char *name,
	    enum treg_report_format *fmt);

/* Crawl health, shown at the end of the report. */
struct treg_report_health {
	size_t	 urls_checked;
	size_t	 urls_failed;	/* error status, or no answer */
	long	 ms;		/* time spent crawling */
	int	 since_start;	/* a daemon's fetches since it started,
				 * with no time */
};

/*
 * A report built a verdict at a time, so that no caller holds every
 * verdict: each is rendered when added, into sections spooled in
 * unlinked temporary files, and the documents are assembled from them
 * by treg_report_finish() or treg_report_finish_files().
 */
struct treg_report;

/*
 * Starts a report in the formats of the mask (TREG_REPORT_BIT of each,
 * or TREG_REPORT_ALL), generated at generated, spooling in spool_dir
 * (NULL: tmpfile()'s directory).  Returns 0 or a negative errno.
 */
int	treg_report_begin(struct treg_report **rp, unsigned formats,
	    const char *spool_dir, time_t generated);

/*
 * Adds the next verdict; the caller may free it on return.  Verdicts of
 * one offering come one after another, in registry order; offerings may
 * come in any order when every verdict's order gives its place in the
 * registry, and the report is then the same as if they came in order.  A format
 * whose rendering fails keeps the error for its finish; returns 0, or
 * -ENOMEM when no format can be finished any more.
 */
int	treg_report_add(struct treg_report *r, const struct treg_verdict *v);

/* Cells not judged yet that a report's head names. */
#define TREG_REPORT_NAMED	3

/*
 * What a report of the registry leaves out: unjudged, its cells with no
 * verdict stored yet (before their URLs' first fetch), the first nnamed
 * of them named ("OFFERING/CELL", copied), and gone, the verdicts stored
 * for cells it no longer holds.  The report says both, so that its
 * counts do not read as the whole registry.  Unknown (null in JSON)
 * unless set.
 */
void	treg_report_set_coverage(struct treg_report *r, size_t unjudged,
	    size_t gone, char *const *named, size_t nnamed);

/* Says instead that the registry could not be read, so the report
 * lists every stored verdict and counts neither. */
void	treg_report_set_no_registry(struct treg_report *r);

/* Cells added so far that need a maintainer's attention. */
size_t	treg_report_attention(const struct treg_report *r);

/*
 * Writes the whole report in fmt, one of the formats begun, to out;
 * health may be NULL.  May be called for each format, and again.
 * Returns 0 or a negative errno (-EIO on a write error).
 */
int	treg_report_finish(struct treg_report *r,
	    enum treg_report_format fmt, FILE *out,
	    const struct treg_report_health *health);

/*
 * Writes each format begun to DIR/reports/report-YYYY-MM-DD.EXT (the
 * local date of the report) and DIR/reports/latest.EXT, each through a
 * temporary file renamed into place, so a reader never sees half a
 * report.  Returns 0 or the first error (logged; every format is still
 * attempted).
 */
int	treg_report_finish_files(struct treg_report *r, const char *dir,
	    const struct treg_report_health *health);

/* Frees r and its spools; NULL does nothing. */
void	treg_report_free(struct treg_report *r);

/* Writes s as the text report writes text from the registry or a
 * server: valid UTF-8, with '?' for each control character that could
 * move a terminal's cursor or reorder the line.  NULL writes "-".
 * Returns 0 or a negative errno. */
int	treg_report_put_text(FILE *out, const char *s);

/*
 * Writes v alone as the text report shows a flagged cell: its state,
 * reasons, evidence and diffs; a failed fetch's reason whole, where the
 * report points at its "Failed fetches" section.  Returns 0 or a
 * negative errno.
 */
int	treg_report_put_cell(FILE *out, const struct treg_verdict *v);

/*
 * Writes the report of the n verdicts (grouped by offering, in the order
 * given) to out.  generated is the report's time; health may be NULL.
 * Returns 0 or a negative errno (-EIO on a write error).
 */
int	treg_report_write(FILE *out, enum treg_report_format fmt,
	    const struct treg_verdict *v, size_t n, time_t generated,
	    const struct treg_report_health *health);

/* As treg_report_finish_files() for one format of the n verdicts,
 * spooled in dir. */
int	treg_report_write_files(const char *dir, enum treg_report_format fmt,
	    const struct treg_verdict *v, size_t n, time_t generated,
	    const struct treg_report_health *health);

/* As treg_report_write_files() for the text, JSON, HTML and Atom forms.
 * Returns 0 or the first error (every form is still attempted). */
int	treg_report_write_all(const char *dir, const struct treg_verdict *v,
	    size_t n, time_t generated,
	    const struct treg_report_health *health);

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

/* Only the registry position of a verdict in that form (0: unknown), so
 * stored verdicts can be put in order before any is read whole.  Returns
 * 0 or -EINVAL on malformed input. */
int	treg_report_verdict_order(const char *json, size_t len,
	    uint32_t *order);

#endif
