/* SPDX-License-Identifier: MIT */
/*
 * Verdicts: one state per cell and the reasons for it, computed from the
 * cell and what was observed of its evidence.  Pure logic, no I/O: the
 * caller gathers the evidence (latest and baseline observations, the
 * quotation checks) and this module applies the rules of the review
 * policy.
 */
#ifndef TREG_VERDICT_H
#define TREG_VERDICT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diff.h"
#include "digest.h"

/* In order of urgency: a cell's state is the most urgent that applies. */
enum treg_state {
	TREG_STATE_DEAD,
	TREG_STATE_MOVED,
	TREG_STATE_QUOTE_MISSING,
	TREG_STATE_CHANGED,
	TREG_STATE_UNVERIFIABLE,
	TREG_STATE_STALE,
	TREG_STATE_NO_SOURCE,
	TREG_STATE_FRESH,
	TREG_NSTATES
};

#define TREG_STATE_BIT(s)	(1u << (s))

enum treg_role {
	TREG_ROLE_SOURCE,
	TREG_ROLE_ARCHIVE,
};

/* Result of looking for one quotation in one evidence text. */
enum treg_quote_result {
	TREG_QUOTE_UNCHECKED = -1,	/* no text to look in */
	TREG_QUOTE_MISSING = 0,
	TREG_QUOTE_FOUND = 1,
};

/* One evidence URL of a cell.  Strings are malloc'd and owned. */
struct treg_evidence {
	char	*url;		/* as cited */
	char	*fetch_url;	/* as fetched (raw archive form) */
	enum treg_role role;

	int	 fetched;	/* 0: never fetched yet */
	int64_t	 at;		/* latest observation */
	long	 status;	/* HTTP status; 0 if none */
	char    *error;         /* fetch error name; NULL on a response */
	char	*detail;	/* more about the error, or NULL */
	char	*final_url;	/* after redirects, or NULL */
	int	 moved;		/* permanent redirect to final_url */
	int	 unverifiable;	/* fetched, no usable text */
	uint32_t failures;	/* consecutive failed fetches */
	char	 digest[TREG_SHA256_HEXLEN + 1];	/* "" if no text */
	uint64_t simhash;
	uint32_t words;

	unsigned rules;		/* extraction rules version of digest and
				 * of baseline_digest (0: unknown), so
				 * baseline.h can re-derive older ones */
	unsigned baseline_rules;

	int	 has_baseline;
	int64_t	 baseline_at;
	char	 baseline_digest[TREG_SHA256_HEXLEN + 1];
	uint64_t baseline_simhash;
	uint32_t baseline_words;

	int	*quotes;	/* enum treg_quote_result per cell quote */
	size_t	 nquotes;

	/* The cell's evidence region on this page (region.h), now and at
	 * the baseline.  With has_region a source's change is judged on
	 * the region alone; page_changed and chrome_changed say the page
	 * moved elsewhere, which is information, not a finding. */
	int	 has_region;
	int      region_whole;  /* no quotation placed: the whole text */
	char	 region_digest[TREG_SHA256_HEXLEN + 1];
	uint64_t region_simhash;
	uint32_t region_words;
	char	 baseline_region_digest[TREG_SHA256_HEXLEN + 1];
	uint64_t baseline_region_simhash;
	uint32_t baseline_region_words;
	int      baseline_archived;     /* baseline is the archived copy */
	int      page_changed;  /* main text outside the region changed */
	int	 chrome_changed; /* navigation, header or footer changed */
	char	*page_note;	/* what changed outside, or NULL */

	/* Changed passages, baseline region against now (diff.h); owned. */
	struct treg_diff_hunk *diff;
	size_t	 ndiff;
	size_t	 diff_more;	/* passages left out */

	/* Fetch politeness and flap damping. */
	char	*reason;	/* named reason a rule or limit stopped the
				 * fetch ("timeout", "blocked",
				 * "disallowed-by-robots", "soft-404", ...),
				 * or NULL; owned */
	char    *chain;         /* redirects, "301 URL -> 302 URL", or
				 * NULL; owned */
	int64_t  first_failure; /* start of the failure streak; 0 */
	int	 damped;	/* failing, but not yet long enough to be
				 * called dead (treg_verdict_damped()) */
	uint32_t dead_after;	/* failures that make it dead */
	uint32_t dead_after_hours;	/* ...spread over this long */
	uint32_t blocked_streak; /* consecutive bot-wall answers */
};

struct treg_verdict {
	char	*offering;	/* offering id */
	char	*cell;		/* cell key */
	char	*verified;	/* "YYYY-MM-DD" */
	enum treg_state state;
	unsigned flags;         /* TREG_STATE_BIT of every state that applies */
	char	**reasons;	/* one human-readable line each */
	size_t	 nreasons;
	char	**quotes;	/* the cell's quotations */
	size_t	 nquotes;
	struct treg_evidence *ev;
	size_t	 nev;
	char    **info;         /* page-level facts that flag nothing */
	size_t	 ninfo;
	int64_t  since;         /* when the cell entered this state; 0 if
				 * unknown (set by the caller) */
	int64_t	 judged;	/* when it was judged; 0 if unknown (set
				 * by the caller) */
	uint32_t order;         /* position in the registry, 1-based; 0 if
				 * unknown (set by the caller): reports
				 * list cells in this order */
};

/* Stable name of a state ("fresh", "quote-missing", ...), static. */
const char *treg_state_name(enum treg_state state);

/* The state with that name; -EINVAL if none. */
int	treg_state_parse(const char *name, enum treg_state *state);

/* Review policy. */
struct treg_policy {
	long	 review_after_days;	/* verified older: stale */
};

/*
 * Judges v, whose offering, cell, verified, quotes and ev the caller has
 * filled: sets v->state, v->flags and v->reasons.  verified_at is the
 * cell's verified date; now the time of judgement.  Rules: no source is
 * no-source; a failed latest fetch is dead; a permanent redirect moved; a
 * missing quotation quote-missing; a digest different from the baseline
 * changed; no usable text unverifiable; a verified date older than the
 * policy allows stale; otherwise fresh.  Returns 0 or -ENOMEM.
 */
int	treg_verdict_judge(struct treg_verdict *v, time_t verified_at,
	    time_t now, const struct treg_policy *policy);

/* A cell as the registry has it now (NULL: none). */
struct treg_cell_now {
	const char *verified;
	const char *source;
	const char *archived;		/* as cited */
	const char *archived_fetch;	/* as fetched (raw archive form) */
	char *const *quotes;
	size_t	 nquotes;
};

/*
 * Notes in v's info when the registry's cell no longer says what v was
 * judged on: its verified date, source, archived copy (compared as
 * fetched, so another form of one capture is no change) or quotations.
 * A report from the store still shows the stored verdict until the
 * cell is judged again.  Returns 0 or -ENOMEM.
 */
int	treg_verdict_note_registry(struct treg_verdict *v,
	    const struct treg_cell_now *now);

/*
 * Flap damping: 1 while a URL that failed failures times in a row, the
 * first at first_failure, is still only "failing" at now: fewer than
 * dead_after failures, or spread over less than dead_after_hours.  0
 * when it is dead (and always when dead_after is 0 or 1).
 */
int	treg_verdict_damped(uint32_t failures, int64_t first_failure,
	    time_t now, long dead_after, long dead_after_hours);

/* 1 when the state needs a maintainer's attention (neither fresh nor
 * no-source), else 0. */
int	treg_verdict_needs_attention(const struct treg_verdict *v);

/* Frees what v owns and zeroes it; NULL does nothing. */
void	treg_verdict_cleanup(struct treg_verdict *v);

/* Frees what ev owns and zeroes it. */
void	treg_evidence_cleanup(struct treg_evidence *ev);

#endif
