/* SPDX-License-Identifier: MIT */
/*
 * Cell baselines and evidence regions: which text a cell's source is
 * compared with (the archived copy when it was captured on the verified
 * date, else the first observation at or after that date), kept per cell
 * in the store so it survives the observations it came from, and the
 * comparison of the cell's own region of the page, now against then.
 * Also the page chrome (navigation, header, footer) digest of each URL,
 * so a changed footer is reported as page-level information.
 */
#ifndef TREG_BASELINE_H
#define TREG_BASELINE_H

#include <stddef.h>
#include <time.h>

#include "verdict.h"

struct treg_cell;
struct treg_extract_select;
struct treg_store;

/*
 * The extraction rules version digests are made with now:
 * TREG_EXTRACT_RULES_VERSION, unless the environment variable
 * TREG_TEST_RULES_VERSION (1-127) says otherwise, which the tests use to
 * stage a rules change without rebuilding.
 */
unsigned treg_baseline_rules_version(void);

/*
 * Records that the text text_digest was extracted from the raw body
 * stored (as a text) under body_digest, with the given Content-Type
 * (may be NULL), max_text and selectors (may be NULL), as the aux record
 * "raw/TEXT_DIGEST", so the text can be re-extracted when the rules
 * change.  Returns 0 or a negative errno.
 */
int     treg_baseline_note_raw(struct treg_store *st, const char *text_digest,
	    const char *body_digest, const char *content_type,
	    size_t max_text, const struct treg_extract_select *sel);

/*
 * Brings an archived copy's evidence (latest and baseline digests) to
 * the current extraction rules, re-extracting kept raw bodies made by
 * other rules.  Returns 0 or a negative errno.
 */
int	treg_baseline_fill_archive(struct treg_store *st,
	    struct treg_evidence *ev);

/*
 * Fills the region, baseline and diff members of ev, the source evidence
 * of cell (of offering offering), whose latest observation the caller has
 * already put into ev.  Chooses and stores the cell's baseline on first
 * use and again when the verified date changes.  Digests made by other
 * extraction rules (the latest one or the baseline's) are re-derived
 * from their raw bodies first.  context is the number of
 * neighbouring blocks in a region.  Evidence without usable text is left
 * as it is.  Returns 0 or a negative errno.
 */
int	treg_baseline_fill(struct treg_store *st, const char *offering,
	    const struct treg_cell *cell, unsigned context,
	    struct treg_evidence *ev);

/*
 * Records the page chrome of url's latest response: its text (stored by
 * digest, like page texts) and the digest, rewritten only when it
 * changed so an unchanged check costs nothing.  Returns 0 or a negative
 * errno.
 */
int	treg_baseline_note_chrome(struct treg_store *st, const char *url,
	    const char *digest, const char *text, size_t len);

/*
 * The capture time of a Wayback Machine URL (".../web/YYYYMMDDhhmmss
 * .../"), in seconds since the epoch, or -1 when url has none.
 */
int64_t	treg_baseline_capture_time(const char *url);

/* Writes the baseline kept for key ("OFFERING/CELL") to out as one
 * indented line a reader can follow, or "none yet".  Returns 0 or the
 * store's -errno. */
int	treg_baseline_show(struct treg_store *st, const char *key,
	    FILE *out);

/* What treg_baseline_prune() removed. */
struct treg_baseline_pruned {
	size_t	 observations;
	size_t	 texts;		/* page texts and raw bodies */
	size_t	 records;	/* raw and re-extraction records */
};

/*
 * History retention: removes, inside the store's batch, the observations
 * older than before (the end of a crawl passes now - history_days),
 * except each URL's latest, its first with text and the one where a
 * cell's baseline text first appeared; then the texts, raw bodies and
 * raw records nothing refers to any more.  The caller commits.  Returns
 * 0 or a negative errno (logged).
 */
int	treg_baseline_prune(struct treg_store *st, int64_t before,
	    struct treg_baseline_pruned *out);

#endif
