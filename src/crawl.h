/* SPDX-License-Identifier: MIT */
/*
 * One crawl: the distinct evidence URLs of a set of offerings fetched once
 * each on one event loop, their bodies extracted as they stream (or on
 * worker threads once fetched: extract_threads), every result stored as
 * an observation (with its text, by digest), and then each cell judged
 * from what the store holds.  The one-shot mode and the daemon both go
 * through here.
 */
#ifndef TREG_CRAWL_H
#define TREG_CRAWL_H

#include <stddef.h>
#include <time.h>

#include "report.h"
#include "verdict.h"

struct treg_config;
struct treg_extract_select;
struct treg_offering;
struct treg_registry;
struct treg_store;

struct treg_crawl_stats {
	size_t	 urls;		/* distinct URLs fetched */
	size_t	 failed;	/* of which ended without a response */
	long	 ms;		/* wall time */
};

/*
 * The offerings of treg_crawl_run() and treg_crawl_judge() are entries
 * of reg (not owned; it must outlive the call).  When reg is an index
 * (reg->indexed), each entry holds no cells: the whole offering is read
 * again from its file with treg_registry_read_offering() when it is
 * needed, and freed before the next one is read, so no more than one is
 * ever held.  A read that fails is logged and stops the call with its
 * errno (-ESTALE: the file changed since it was indexed).  With reg NULL
 * or not an index, the offerings are used as they are.
 */

/*
 * Fetches the evidence of the n offerings, stores what it finds, and
 * fills stats.  now stamps the observations.  Each offering is read once,
 * for its URLs and their extraction selectors together.  Returns 0 once
 * every URL has ended (failures are results, not errors), or a negative
 * errno when the crawl itself could not run (store, event loop, an
 * offering that could not be read again).
 */
int	treg_crawl_run(const struct treg_config *cfg, struct treg_store *st,
	    const struct treg_registry *reg,
	    const struct treg_offering *const *offerings, size_t n,
	    time_t now, struct treg_crawl_stats *stats);

/* Takes one verdict; returns 0 or a negative errno that stops the
 * judging. */
typedef int (*treg_crawl_verdict_fn)(void *arg,
	    const struct treg_verdict *v);

/*
 * Judges every cell of the n offerings from the store as of now, stores
 * each verdict and hands it to each(arg, v) in registry order; v is
 * freed on return.  Returns 0; -EIO when some cells could not be judged
 * or stored (each logged) and the others' verdicts were handed on all
 * the same; or another negative errno (each's included; a failure that
 * stops the judging with EIO is -ECANCELED, so as not to read as the
 * partial -EIO).
 */
int     treg_crawl_judge(const struct treg_config *cfg, struct treg_store *st,
	    const struct treg_registry *reg,
	    const struct treg_offering *const *offerings, size_t n,
	    time_t now, treg_crawl_verdict_fn each, void *arg);

/*
 * treg_crawl_run() and treg_crawl_judge() together, overlapped: each
 * offering is judged once every URL it cites has ended, with every URL
 * the crawl started before them (and this crawl's soft-404 probes),
 * while later URLs are still fetched; what is left is judged after the
 * crawl.  Offerings are judged, and handed on, in the order they get
 * ready, each verdict's order its place in the registry (a report puts
 * them back in that order).  Returns
 * what treg_crawl_run() returns, and sets *judgedp to what
 * treg_crawl_judge() would (or to the crawl's error).
 */
int	treg_crawl_run_judge(const struct treg_config *cfg,
	    struct treg_store *st, const struct treg_registry *reg,
	    const struct treg_offering *const *offerings, size_t n,
	    time_t now, struct treg_crawl_stats *stats,
	    treg_crawl_verdict_fn each, void *arg, int *judgedp);

/*
 * Hands every verdict the store holds to each(arg, v), in registry order
 * (cells of unknown position last, by key), reading one at a time; v is
 * freed on return.  A record that cannot be read is skipped with a
 * warning.  *np counts the verdicts handed on.  Returns 0 or a negative
 * errno (each's included).
 */
int	treg_crawl_each_stored(struct treg_store *st,
	    treg_crawl_verdict_fn each, void *arg, size_t *np);

/* What a report of the registry leaves out (each_registered below). */
struct treg_crawl_coverage {
	size_t	 unjudged;	/* its cells with no readable verdict */
	size_t	 gone;		/* of cells it has lost */
	/* The first unjudged, as "OFFERING/CELL". */
	char	*named[TREG_REPORT_NAMED];
	size_t	 nnamed;
};

void	treg_crawl_coverage_cleanup(struct treg_crawl_coverage *cov);

/*
 * As treg_crawl_each_stored(), for the cells reg holds, in its order
 * (reg may be an index): a report of the registry as it stands.  Fills
 * *cov (the caller cleans it up): the cells with no verdict stored yet
 * (their URLs not fetched yet) or none that can be read, the first few
 * by name, and the verdicts stored for cells reg no longer holds, which
 * are left out.
 */
int	treg_crawl_each_registered(struct treg_store *st,
	    const struct treg_registry *reg, treg_crawl_verdict_fn each,
	    void *arg, size_t *np, struct treg_crawl_coverage *cov);

/*
 * The daemon's long-lived crawler: one fetcher on the caller's event loop
 * to which URLs are added as they fall due.  Each ending is written to
 * the store's batch (committed at the end of the loop's turn) and then
 * reported to ended_cb in the same turn, so writes the hook makes join
 * that batch.
 */
struct event_base;

struct treg_crawl_outcome {
	long	 status;	/* HTTP status; 0 if none */
	int	 error;		/* enum treg_fetch_error */
	unsigned failures;	/* consecutive failures, this one included */
	unsigned prev_failures;	/* before this fetch */
	int64_t	 first_failure;	/* streak began; 0 if none */
	int64_t	 prev_at;	/* the fetch before this one; 0 */
	int	 stored;	/* an observation was written */
	int	 abandoned;	/* by treg_crawl_free(): write nothing */
	time_t	 at;		/* when it ended */
};

struct treg_crawl_hooks {
	void	(*ended_cb)(void *arg, const char *url,
		    const struct treg_crawl_outcome *o);
};

struct treg_crawl;

/* Creates a crawler on base.  cfg, st and hooks must outlive it.  Returns
 * NULL (logged) on failure. */
struct treg_crawl *treg_crawl_new(struct event_base *base,
	    const struct treg_config *cfg, struct treg_store *st,
	    const struct treg_crawl_hooks *hooks, void *arg);

/* Tells the crawler which offerings it crawls, so each URL is extracted
 * with the "extract" selectors of the cells citing it.  The array must
 * outlive the crawler or the next call; until one, no selectors apply. */
void	treg_crawl_set_offerings(struct treg_crawl *c,
	    const struct treg_offering *const *offerings, size_t n);

/* Starts fetching url (copied).  Returns 0 or a negative errno (then no
 * hook is called for it). */
int	treg_crawl_add(struct treg_crawl *c, const char *url);

/* Transfers started and not yet ended. */
size_t	treg_crawl_running(const struct treg_crawl *c);

/* Transfers its fetcher runs at once (treg_fetch_max_connections()). */
long	treg_crawl_max_connections(const struct treg_crawl *c);

/* Whether a commit of what c stored failed since the last call (a full
 * disk): those observations, and whatever was written with them, are
 * lost. */
int	treg_crawl_store_failed(struct treg_crawl *c);

/* The crawler's fetcher, so that other transfers of the daemon (the
 * registry export) share its politeness and limits.  Owned by c; its
 * transfers are abandoned by treg_crawl_free(). */
struct treg_fetch *treg_crawl_fetcher(struct treg_crawl *c);

/* Abandons every transfer, and every body a worker still extracts
 * (ended_cb sees abandoned set), commits what was stored, and frees c;
 * NULL does nothing. */
void	treg_crawl_free(struct treg_crawl *c);

/*
 * Judges, as treg_crawl_judge() does, only the cells of the n offerings
 * (whole ones, as the daemon holds: not an index's entries, which have
 * no cells to judge) whose source or archive URL is among the nurls
 * fetch URLs (sorted, distinct), and calls cb with each cell's previous
 * verdict (NULL if it had none) and its new one; both are valid only
 * during the call.
 * With nurls 0 it judges the cells that cite no URL at all instead.
 * Commits.  Returns 0 or a negative errno.
 */
int	treg_crawl_judge_urls(const struct treg_config *cfg,
	    struct treg_store *st,
	    const struct treg_offering *const *offerings, size_t n,
	    char *const *urls, size_t nurls, time_t now,
	    void (*cb)(void *arg, const struct treg_verdict *prev,
	    const struct treg_verdict *v), void *arg);

/*
 * The distinct fetch URLs of a set of offerings (each cell's source and
 * archived copy, the archive in raw form), each with what its extraction
 * needs of the cells citing it: whether one of them keeps the whole page,
 * and copies of the keep and drop selector lists of those that have any.
 * The strings are kept in large blocks; a hash table finds a URL already
 * added until the set is sorted.
 */
struct treg_crawl_urlset;

/* An empty set, or NULL (logged) when out of memory.  Free with
 * treg_crawl_urlset_free(). */
struct treg_crawl_urlset *treg_crawl_urlset_new(void);

/* Adds the URLs that the cells of off cite, with their selectors, in
 * registry order (off is not kept; nothing points into it).  Only before
 * treg_crawl_urlset_sort().  Returns 0 or -ENOMEM. */
int	treg_crawl_urlset_add(struct treg_crawl_urlset *set,
	    const struct treg_offering *off);

/* Sorts the URLs (strcmp order) and lets the hash table go; the set takes
 * no more URLs. */
void	treg_crawl_urlset_sort(struct treg_crawl_urlset *set);

/* The number of distinct URLs, and the i-th (sorted once the set is);
 * owned by the set. */
size_t	treg_crawl_urlset_count(const struct treg_crawl_urlset *set);
const char *treg_crawl_urlset_url(const struct treg_crawl_urlset *set,
	    size_t i);

/*
 * The order a crawl starts the URLs of a sorted set in: a URL of each
 * host in turn until each host's run out, each host's URLs and each
 * turn's in the order the registry first cites them.  A window of
 * sorted URLs could hold one host's alone, all waiting on its
 * host_delay_ms while the hosts sorted after it sat idle (a registry's
 * archived copies, half its URLs, share one archive's host); and the
 * registry's order lets offerings be judged, in that order, while the
 * crawl runs.  Returns 0 or -ENOMEM; then treg_crawl_urlset_issued(set,
 * k) is the k-th URL to start (without it, the k-th in sorted order).
 */
int	treg_crawl_urlset_spread(struct treg_crawl_urlset *set);
const char *treg_crawl_urlset_issued(const struct treg_crawl_urlset *set,
	    size_t k);

/*
 * The selectors to extract url with, of a sorted set.  A URL is fetched
 * once however many cells cite it, so theirs are merged: what any citing
 * cell drops is dropped, and the kept part is the union (in registry
 * order, repeats kept) of the cells' keep lists, or the whole page when
 * any citing cell keeps it all.  A URL the set lacks gets none.  The
 * strings belong to the set; the caller frees sel->keep and sel->drop.
 * Returns 0 or -ENOMEM.
 */
int	treg_crawl_urlset_select(const struct treg_crawl_urlset *set,
	    const char *url, struct treg_extract_select *sel);

/* Frees the set and its strings; NULL does nothing. */
void	treg_crawl_urlset_free(struct treg_crawl_urlset *set);

/*
 * The distinct fetch URLs (archives in raw form) of the n offerings
 * (whole ones, not an index's entries), in a sorted malloc'd array of
 * malloc'd strings; release with treg_crawl_urls_free().  Returns 0 or
 * a negative errno.
 */
int	treg_crawl_list_urls(const struct treg_offering *const *offerings,
	    size_t n, char ***urlsp, size_t *nurlsp);
void	treg_crawl_urls_free(char **urls, size_t n);

#endif
