/* SPDX-License-Identifier: MIT */
/*
 * One crawl: the distinct evidence URLs of a set of offerings fetched once
 * each on one event loop, their bodies extracted as they stream, every
 * result stored as an observation (with its text, by digest), and then
 * each cell judged from what the store holds.  The one-shot mode and the
 * daemon both go through here.
 */
#ifndef TREG_CRAWL_H
#define TREG_CRAWL_H

#include <stddef.h>
#include <time.h>

#include "verdict.h"

struct treg_config;
struct treg_offering;
struct treg_store;

struct treg_crawl_stats {
	size_t	 urls;		/* distinct URLs fetched */
	size_t	 failed;	/* of which ended without a response */
	long	 ms;		/* wall time */
};

/*
 * Fetches the evidence of the n offerings, stores what it finds, and
 * fills stats.  now stamps the observations.  Returns 0 once every URL
 * has ended (failures are results, not errors), or a negative errno when
 * the crawl itself could not run (store, event loop).
 */
int	treg_crawl_run(const struct treg_config *cfg, struct treg_store *st,
	    const struct treg_offering *const *offerings, size_t n,
	    time_t now, struct treg_crawl_stats *stats);

/*
 * Judges every cell of the n offerings from the store as of now, stores
 * each verdict, and returns them in *vp (a malloc'd array of *nvp
 * verdicts the caller releases with treg_crawl_verdicts_free()).
 * Returns 0 or a negative errno.
 */
int	treg_crawl_judge(const struct treg_config *cfg, struct treg_store *st,
	    const struct treg_offering *const *offerings, size_t n,
	    time_t now, struct treg_verdict **vp, size_t *nvp);

/* Frees an array returned by treg_crawl_judge(); NULL does nothing. */
void	treg_crawl_verdicts_free(struct treg_verdict *v, size_t n);

#endif
