/* SPDX-License-Identifier: MIT */
/*
 * One crawl of a set of offerings.  Every distinct URL is fetched once,
 * however many cells cite it; each body streams through an extractor
 * while it arrives, or, with extraction threads, is kept whole and
 * extracted on a worker once the transfer ends (the store is never
 * touched there, and the outcome is the same); each ending becomes one
 * observation.  Observations are written into the store's open batch and
 * the batch is committed at most every CRAWL_COMMIT_MS, so the
 * completions of that time cost one fsync and a crash loses at most that
 * time's work, which the next run fetches again.  Judging reads
 * everything back from the store, so a one-shot run and the daemon judge
 * alike.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "arena.h"
#include "baseline.h"
#include "buf.h"
#include "config.h"
#include "crawl.h"
#include "digest.h"
#include "extract.h"
#include "fetch.h"
#include "log.h"
#include "normalize.h"
#include "pool.h"
#include "registry.h"
#include "report.h"
#include "store.h"
#include "warc.h"

/* Statuses at which a server is refusing us, not saying the page is gone:
 * the evidence is unverifiable rather than dead. */
#define CRAWL_IS_BLOCKED(status) \
	((status) == 401 || (status) == 403 || (status) == 429)

struct crawl;

/* One URL being fetched; freed in crawl_end(), its only ending. */
struct crawl_job {
	struct treg_pool_job work;	/* its extraction on a worker */
	struct crawl_job *parked_next;	/* waiting for room in the pool */
	struct crawl *crawl;
	char	*url;			/* as fetched */
	struct treg_extract *extract;	/* while a body streams */
	int	 extract_failed;
	/* A 2xx body's text is wanted: what its extractor is made from,
	 * taken when the headers arrive.  With threads the worker makes
	 * it, so that the parser's memory is all the worker's own: chunks
	 * one thread allocates and another frees end up in the second's
	 * malloc cache, and every later use of them then locks the first
	 * thread's arena (two million futex calls in a 10,000-page pass). */
	int	 wants_text;
	struct treg_extract_select sel;	/* in sel_block */
	void	*sel_block;
	size_t	 max_text;
	size_t	 max_body;
	/* With extraction threads, a 2xx body is kept whole and the
	 * extractor sees none of it until the transfer has ended: then a
	 * worker feeds it all and finishes (crawl_extract()). */
	int	 deferred;
	int	 feed_rc;		/* that feed's result */
	struct treg_extract_result text;	/* the finished extraction */
	int	 text_rc;
	int	 text_done;		/* text and text_rc are set */
	struct treg_fetch_result res;	/* a copy, while a worker has it */
	time_t	 ended;		/* when the transfer ended */
	struct treg_url_state prev;	/* what the store knew before */
	int	 has_prev;
	/* The raw body, kept until the transfer ends (only then is it
	 * known to be new): its first CRAWL_BODY_MEM bytes in memory, the
	 * whole of a longer one in an unlinked file in the state
	 * directory, so memory per transfer does not grow with the page. */
	struct treg_buf body;
	FILE    *spill;                 /* the body past CRAWL_BODY_MEM */
	size_t	 body_len;		/* bytes kept, up to max_body */
	int	 keep_body;
	char	*content_type;		/* as the headers gave it */
	/* Archiving, prepared on the worker when the text differs from
	 * prev_digest (the URL's latest text when the job was handed
	 * over): the raw body's SHA-256 and the compressed WARC record,
	 * so the loop's thread, the crawl's busiest, only writes them.
	 * A URL is never fetched twice at once, so its history cannot
	 * change before the job ends: crawl_archive() trusts
	 * prev_digest when has_prev_digest is set. */
	char	 prev_digest[TREG_SHA256_HEXLEN + 1];
	int	 has_prev_digest;
	int64_t	 archive_date;		/* its WARC-Date */
	char	 body_digest[TREG_SHA256_HEXLEN + 1];	/* "" if not */
	unsigned char *warc_gz;		/* NULL if not prepared */
	size_t	 warc_gzlen;
};

/* URLs a one-shot crawl has queued or running at once. */
#define CRAWL_WINDOW		512

/* Body bytes a transfer keeps in memory before it spills to a file. */
#define CRAWL_BODY_MEM		(256 * 1024)

/* Bytes of a kept body handed to the extractor at a time. */
#define CRAWL_FEED_CHUNK	(64 * 1024)

/* Extractions in the pool at once per thread, each holding its body (up
 * to CRAWL_BODY_MEM in memory, more in a spill file).  Past that a
 * finished body is parked and the fetcher held (crawl_park()): the
 * loop's thread stays free to store what the workers finish, where
 * extracting there made it the crawl's bottleneck.  Four keep two
 * threads busy; eight held 2-4 MiB more bodies for no more speed.
 * XXX: the queued and parked bodies and the workers' malloc arenas
 * cost memory: the 10,000-page benchmark peaks at 42 MiB with two
 * threads against 34 extracting inline. */
#define CRAWL_POOL_JOBS		4

/* Longest time a completed fetch waits in the open batch, and most
 * writes the batch takes before it is committed sooner. */
#define CRAWL_COMMIT_MS		250
#define CRAWL_COMMIT_WRITES	1024

struct crawl {
	const struct treg_config *cfg;
	struct treg_store *store;
	struct event_base *base;
	struct event *commit_ev;	/* end-of-turn batch commit */
	struct treg_pool *pool;		/* extraction threads, or NULL */
	/* Finished bodies waiting for room in the pool, oldest first;
	 * while there are any, feed (the fetcher) starts nothing new. */
	struct crawl_job *parked;
	struct crawl_job **parked_tail;
	struct treg_fetch *feed;
	int64_t	 now;
	size_t	 running;
	size_t	 probing;		/* soft-404 probes of those */
	struct treg_crawl_stats *stats;
	int	 store_failed;
	struct crawl_judging *judging;	/* a one-shot crawl's, or NULL */

	/* The daemon's long-lived crawler (treg_crawl_new()) only. */
	int      live;                  /* stamp observations at their end */
	int      closing;               /* being freed: abandoned, not ended */
	struct treg_fetch *fetch;
	struct treg_crawl_stats live_stats;
	const struct treg_crawl_hooks *hooks;
	void	*hooks_arg;

	/* The offerings crawled, for their extraction selectors; NULL
	 * when not known (no selectors apply). */
	const struct treg_offering *const *offerings;
	size_t	 noffer;
	/* The URLs crawled with their selectors: a one-shot crawl's from
	 * the start, the daemon's crawler's built on first use. */
	struct treg_crawl_urlset *urlset;
	/* Origins whose soft-404 probe this crawler has queued. */
	char	**probed;
	size_t	 nprobed;
};

/*
 * The URL set.  Every string is copied into an arena, all freed at once:
 * a malloc'd string per citation cost 366,663 of them for a registry of
 * 100,000 URLs, most of them repeats sorted out only at the end.  Here a
 * URL already seen is found by its hash as the cells are read, so each
 * one is kept once.
 */

/* One citing cell's selector lists, copied into the blocks. */
struct crawl_sel {
	const char *const *keep;
	size_t	 nkeep;
	const char *const *drop;
	size_t	 ndrop;
};

/* A link in a URL's chain of citing cells that have selectors. */
struct crawl_cite {
	struct crawl_cite *next;
	const struct crawl_sel *sel;
};

struct crawl_url {
	const char *url;
	struct crawl_cite *first;	/* in registry order */
	struct crawl_cite *last;
	int	 whole;		/* a citing cell keeps it all */
	uint32_t seq;		/* its place before the sort */
};

struct treg_crawl_urlset {
	struct treg_arena arena;	/* strings, lists, links */
	struct crawl_url *urls;
	size_t	 n;
	size_t	 cap;
	/* Until sorted: each URL's index + 1 at its hash, 0 when free,
	 * in a table at most half full. */
	uint32_t *slots;
	size_t	 nslots;		/* a power of two */
	/* The lists copied last: cells of one offering mostly share its
	 * "extract", so the next cell's are likely the same. */
	const struct crawl_sel *last_sel;
	int	 sorted;
	/*
	 * With owners (crawl_collect()), for a crawl that judges as it
	 * goes: while adding, the seq of each URL each offering cites
	 * (cited, cited_end); once sorted, for each offering 1 + the
	 * place of the last of its URLs (0: none), which are ready once
	 * every URL up to that place has ended (ended, ended_below).
	 * Places count in the order the URLs start (issue, below), so
	 * they end nearly in it: a few bytes a URL and an offering,
	 * where lists of the offerings citing each URL cost 15 MiB at
	 * 100,000 URLs.  Offerings are judged in the order they get
	 * ready (ready_seq), each cell's verdict numbered by its place
	 * in the registry (first_cell) so that a report can put them
	 * back in order.
	 */
	uint32_t *cited;
	size_t	 ncited;
	size_t	 cited_cap;
	size_t	*cited_end;
	size_t	 adding;	/* index + 1 of the offering added */
	size_t	*ready_at;
	uint32_t *ready_seq;	/* offerings by ready_at */
	uint32_t *first_cell;	/* cells before each offering's */
	unsigned char *ended;
	size_t	 ended_below;
	/* Once spread: the index of the k-th URL to start, and each
	 * URL's k.  ready_at, ended and ended_below then count in that
	 * order, which is the order the URLs end in, near enough. */
	uint32_t *issue;
	uint32_t *rank;
};

/* len bytes from the set's arena, aligned for a pointer. */
static void *
crawl_urlset_alloc(struct treg_crawl_urlset *set, size_t len)
{
	return treg_arena_alloc(&set->arena, len, sizeof(void *));
}

/* The slot where url is, or the free one where it would go. */
static size_t
crawl_urlset_slot(const struct treg_crawl_urlset *set, const char *url)
{
	size_t mask = set->nslots - 1, i = treg_hash_str(url) & mask;

	while (set->slots[i] != 0 &&
	    strcmp(set->urls[set->slots[i] - 1].url, url) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Doubles the hash table and the array of URLs ahead of need. */
static int
crawl_urlset_grow(struct treg_crawl_urlset *set)
{
	struct crawl_url *urls;
	uint32_t *old = set->slots;
	size_t i;

	if (set->n == set->cap) {
		if (set->cap >= UINT32_MAX / 2)
			return -ENOMEM;
		urls = realloc(set->urls, 2 * set->cap * sizeof(*urls));
		if (urls == NULL)
			return -ENOMEM;
		set->urls = urls;
		set->cap *= 2;
	}
	if (2 * (set->n + 1) <= set->nslots)
		return 0;
	set->slots = calloc(2 * set->nslots, sizeof(*set->slots));
	if (set->slots == NULL) {
		set->slots = old;
		return -ENOMEM;
	}
	set->nslots *= 2;
	for (i = 0; i < set->n; i++)
		set->slots[crawl_urlset_slot(set, set->urls[i].url)] =
		    (uint32_t)i + 1;
	free(old);
	return 0;
}

/* The set's entry for url, added when new. */
static struct crawl_url *
crawl_urlset_intern(struct treg_crawl_urlset *set, const char *url)
{
	struct crawl_url *u;
	size_t i;

	i = crawl_urlset_slot(set, url);
	if (set->slots[i] != 0)
		return &set->urls[set->slots[i] - 1];
	if (crawl_urlset_grow(set) < 0)
		return NULL;
	i = crawl_urlset_slot(set, url);
	u = &set->urls[set->n];
	memset(u, 0, sizeof(*u));
	u->seq = (uint32_t)set->n;
	u->url = treg_arena_strdup(&set->arena, url);
	if (u->url == NULL)
		return NULL;
	set->slots[i] = (uint32_t)++set->n;
	return u;
}

static int
crawl_list_equal(const char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* A copy of list in the set's blocks, or NULL. */
static const char *const *
crawl_urlset_list(struct treg_crawl_urlset *set, char *const *list,
    size_t n)
{
	const char **copy;
	size_t i;

	copy = crawl_urlset_alloc(set, n * sizeof(*copy));
	for (i = 0; copy != NULL && i < n; i++) {
		copy[i] = treg_arena_strdup(&set->arena, list[i]);
		if (copy[i] == NULL)
			copy = NULL;
	}
	return copy;
}

/* The cell's selector lists as the set keeps them, shared with the cell
 * before when they are the same. */
static const struct crawl_sel *
crawl_urlset_sel(struct treg_crawl_urlset *set, const struct treg_cell *cell)
{
	const struct crawl_sel *last = set->last_sel;
	struct crawl_sel *sel;

	if (last != NULL &&
	    crawl_list_equal(last->keep, last->nkeep, cell->keep,
	    cell->nkeep) &&
	    crawl_list_equal(last->drop, last->ndrop, cell->drop, cell->ndrop))
		return last;
	sel = crawl_urlset_alloc(set, sizeof(*sel));
	if (sel == NULL)
		return NULL;
	memset(sel, 0, sizeof(*sel));
	sel->nkeep = cell->nkeep;
	sel->ndrop = cell->ndrop;
	if (cell->nkeep > 0)
		sel->keep = crawl_urlset_list(set, cell->keep, cell->nkeep);
	if (cell->ndrop > 0)
		sel->drop = crawl_urlset_list(set, cell->drop, cell->ndrop);
	if ((cell->nkeep > 0 && sel->keep == NULL) ||
	    (cell->ndrop > 0 && sel->drop == NULL))
		return NULL;
	set->last_sel = sel;
	return sel;
}

/* Notes that the offering being added, if owners are kept, cites u. */
static int
crawl_urlset_own(struct treg_crawl_urlset *set, struct crawl_url *u)
{
	uint32_t *grown;
	size_t cap;

	if (set->adding == 0)
		return 0;
	if (set->ncited == set->cited_cap) {
		cap = set->cited_cap > 0 ? set->cited_cap * 2 : 1024;
		grown = realloc(set->cited, cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		set->cited = grown;
		set->cited_cap = cap;
	}
	set->cited[set->ncited++] = u->seq;
	set->cited_end[set->adding - 1] = set->ncited;
	return 0;
}

/* Notes that cell cites url. */
static int
crawl_urlset_cite(struct treg_crawl_urlset *set, const char *url,
    const struct treg_cell *cell)
{
	struct crawl_url *u;
	struct crawl_cite *cite;

	u = crawl_urlset_intern(set, url);
	if (u == NULL || crawl_urlset_own(set, u) < 0)
		return -ENOMEM;
	if (cell->nkeep == 0)
		u->whole = 1;
	if (cell->nkeep == 0 && cell->ndrop == 0)
		return 0;
	cite = crawl_urlset_alloc(set, sizeof(*cite));
	if (cite == NULL)
		return -ENOMEM;
	cite->next = NULL;
	cite->sel = crawl_urlset_sel(set, cell);
	if (cite->sel == NULL)
		return -ENOMEM;
	if (u->last != NULL)
		u->last->next = cite;
	else
		u->first = cite;
	u->last = cite;
	return 0;
}

struct treg_crawl_urlset *
treg_crawl_urlset_new(void)
{
	struct treg_crawl_urlset *set;

	set = calloc(1, sizeof(*set));
	if (set != NULL) {
		set->cap = 64;
		set->nslots = 128;
		set->urls = calloc(set->cap, sizeof(*set->urls));
		set->slots = calloc(set->nslots, sizeof(*set->slots));
	}
	if (set == NULL || set->urls == NULL || set->slots == NULL) {
		log_err("crawl", "out of memory");
		treg_crawl_urlset_free(set);
		return NULL;
	}
	return set;
}

int
treg_crawl_urlset_add(struct treg_crawl_urlset *set,
    const struct treg_offering *off)
{
	const struct treg_cell *cell;
	char *raw;
	size_t i;
	int rc = 0;

	assert(!set->sorted);
	for (i = 0; i < off->ncells && rc == 0; i++) {
		cell = &off->cells[i];
		if (cell->source != NULL)
			rc = crawl_urlset_cite(set, cell->source, cell);
		if (rc < 0 || cell->archived == NULL)
			continue;
		raw = treg_fetch_raw_archive_url(cell->archived);
		if (raw == NULL)
			return -ENOMEM;
		/* A cell citing one URL twice counts once. */
		if (cell->source == NULL || strcmp(cell->source, raw) != 0)
			rc = crawl_urlset_cite(set, raw, cell);
		free(raw);
	}
	return rc;
}

static int
crawl_url_cmp(const void *a, const void *b)
{
	const struct crawl_url *x = a, *y = b;

	return strcmp(x->url, y->url);
}

void
treg_crawl_urlset_sort(struct treg_crawl_urlset *set)
{
	if (set->sorted)
		return;
	qsort(set->urls, set->n, sizeof(*set->urls), crawl_url_cmp);
	free(set->slots);
	set->slots = NULL;
	set->nslots = 0;
	set->sorted = 1;
}

size_t
treg_crawl_urlset_count(const struct treg_crawl_urlset *set)
{
	return set->n;
}

const char *
treg_crawl_urlset_url(const struct treg_crawl_urlset *set, size_t i)
{
	return set->urls[i].url;
}

int
treg_crawl_urlset_select(const struct treg_crawl_urlset *set,
    const char *url, struct treg_extract_select *sel)
{
	const struct crawl_url key = { .url = url }, *u;
	const struct crawl_cite *cite;
	const char **keep = NULL, **drop = NULL;
	size_t nkeep = 0, ndrop = 0;

	assert(set->sorted);
	memset(sel, 0, sizeof(*sel));
	u = bsearch(&key, set->urls, set->n, sizeof(*set->urls),
	    crawl_url_cmp);
	if (u == NULL)
		return 0;
	for (cite = u->first; cite != NULL; cite = cite->next) {
		nkeep += cite->sel->nkeep;
		ndrop += cite->sel->ndrop;
	}
	if (u->whole)
		nkeep = 0;
	if (nkeep > 0)
		keep = malloc(nkeep * sizeof(*keep));
	if (ndrop > 0)
		drop = malloc(ndrop * sizeof(*drop));
	if ((nkeep > 0 && keep == NULL) || (ndrop > 0 && drop == NULL)) {
		free(keep);
		free(drop);
		return -ENOMEM;
	}
	sel->keep = keep;
	sel->nkeep = nkeep;
	sel->drop = drop;
	sel->ndrop = ndrop;
	for (cite = u->first; cite != NULL; cite = cite->next) {
		/* Each list holds the sum counted above, so neither runs
		 * past its end. */
		if (keep != NULL && cite->sel->nkeep > 0) {
			memcpy(keep, cite->sel->keep,
			    cite->sel->nkeep * sizeof(*keep));
			keep += cite->sel->nkeep;
		}
		if (drop != NULL && cite->sel->ndrop > 0) {
			memcpy(drop, cite->sel->drop,
			    cite->sel->ndrop * sizeof(*drop));
			drop += cite->sel->ndrop;
		}
	}
	return 0;
}

/* The length of url's "scheme://authority", where the host's turn is
 * decided; the whole of a URL without "://". */
static size_t
crawl_url_origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return strlen(url);
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

int
treg_crawl_urlset_spread(struct treg_crawl_urlset *set)
{
	uint32_t *host = NULL, *by_seq = NULL, *start = NULL, *turn, k;
	const char *url, *prev = NULL;
	size_t i, s, len, prevlen = 0, nhosts = 0, nturns = 0;
	int rc = -ENOMEM;

	assert(set->sorted && set->issue == NULL);
	set->issue = malloc((set->n > 0 ? set->n : 1) * sizeof(*set->issue));
	set->rank = malloc((set->n > 0 ? set->n : 1) * sizeof(*set->rank));
	host = malloc((set->n > 0 ? set->n : 1) * sizeof(*host));
	by_seq = calloc(set->n > 0 ? set->n : 1, sizeof(*by_seq));
	if (set->issue == NULL || set->rank == NULL || host == NULL ||
	    by_seq == NULL)
		goto out;

	/* Hosts are told apart by their text, which the sort keeps
	 * together, so "A.test" or "a.test:443" takes turns of its own
	 * beside "a.test": a matter of fairness only, as the fetcher
	 * paces by the host itself.  by_seq walks the URLs in the order
	 * the registry first cites them. */
	for (i = 0; i < set->n; i++) {
		url = set->urls[i].url;
		len = crawl_url_origin_len(url);
		if (prev == NULL || len != prevlen ||
		    memcmp(url, prev, len) != 0)
			nhosts++;
		host[i] = (uint32_t)(nhosts - 1);
		by_seq[set->urls[i].seq] = (uint32_t)i;
		prev = url;
		prevlen = len;
	}

	/* Each URL's turn is its place among its host's URLs in that
	 * order; rank holds the turns until the end.  start counts each
	 * host's URLs first, then each turn's. */
	start = calloc((nhosts > set->n ? nhosts : set->n) + 1,
	    sizeof(*start));
	if (start == NULL)
		goto out;
	turn = set->rank;
	for (s = 0; s < set->n; s++) {
		i = by_seq[s];
		turn[i] = start[host[i]]++;
		if (turn[i] + 1 > nturns)
			nturns = turn[i] + 1;
	}

	/* A counting sort by turn, taking the URLs in the order they
	 * are first cited, keeps that order within a turn.  Each URL's
	 * turn is read once, where its rank replaces it. */
	memset(start, 0, (nturns + 1) * sizeof(*start));
	for (i = 0; i < set->n; i++)
		start[turn[i] + 1]++;
	for (i = 1; i <= nturns; i++)
		start[i] += start[i - 1];
	for (s = 0; s < set->n; s++) {
		i = by_seq[s];
		k = start[turn[i]]++;
		set->issue[k] = (uint32_t)i;
		set->rank[i] = k;
	}
	rc = 0;

out:
	if (rc < 0) {
		free(set->issue);
		free(set->rank);
		set->issue = NULL;
		set->rank = NULL;
	}
	free(host);
	free(by_seq);
	free(start);
	return rc;
}

const char *
treg_crawl_urlset_issued(const struct treg_crawl_urlset *set, size_t k)
{
	return set->urls[set->issue != NULL ? set->issue[k] : k].url;
}

void
treg_crawl_urlset_free(struct treg_crawl_urlset *set)
{
	if (set == NULL)
		return;
	treg_arena_free(&set->arena);
	free(set->issue);
	free(set->rank);
	free(set->urls);
	free(set->slots);
	free(set->cited);
	free(set->cited_end);
	free(set->ready_at);
	free(set->ready_seq);
	free(set->first_cell);
	free(set->ended);
	free(set);
}

static int
crawl_ready_cmp(const void *a, const void *b, void *arg)
{
	const size_t *ready_at = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (ready_at[x] != ready_at[y])
		return (ready_at[x] > ready_at[y]) -
		    (ready_at[x] < ready_at[y]);
	return (x > y) - (x < y);
}

/* Turns the sorted set's lists of cited seqs into each offering's
 * ready_at, and frees them; orders the offerings by it. */
static int
crawl_urlset_owners_sorted(struct treg_crawl_urlset *set, size_t noffer)
{
	uint32_t *place;
	size_t i, k, from = 0;

	place = malloc((set->n > 0 ? set->n : 1) * sizeof(*place));
	set->ended = calloc(set->n > 0 ? set->n : 1, 1);
	set->ready_seq = malloc((noffer > 0 ? noffer : 1) *
	    sizeof(*set->ready_seq));
	if (place == NULL || set->ended == NULL || set->ready_seq == NULL) {
		free(place);
		return -ENOMEM;
	}
	for (i = 0; i < set->n; i++)
		place[set->urls[i].seq] = set->rank != NULL ? set->rank[i] :
		    (uint32_t)i;
	/* ready_at takes the place of cited_end, offering by offering. */
	for (i = 0; i < noffer; i++) {
		k = set->cited_end[i];
		set->cited_end[i] = 0;
		for (; from < k; from++)
			if (place[set->cited[from]] + 1 > set->cited_end[i])
				set->cited_end[i] = place[set->cited[from]] + 1;
	}
	set->ready_at = set->cited_end;
	set->cited_end = NULL;
	free(set->cited);
	set->cited = NULL;
	free(place);
	for (i = 0; i < noffer; i++)
		set->ready_seq[i] = (uint32_t)i;
	qsort_r(set->ready_seq, noffer, sizeof(*set->ready_seq),
	    crawl_ready_cmp, set->ready_at);
	return 0;
}

/* Notes that url's transfer ended, for a set with owners. */
static void
crawl_urlset_ended(struct treg_crawl_urlset *set, const char *url)
{
	const struct crawl_url key = { .url = url };
	struct crawl_url *u;
	size_t i;

	if (set == NULL || set->ended == NULL)
		return;
	u = bsearch(&key, set->urls, set->n, sizeof(*set->urls),
	    crawl_url_cmp);
	if (u == NULL)
		return;
	i = (size_t)(u - set->urls);
	set->ended[set->rank != NULL ? set->rank[i] : i] = 1;
	while (set->ended_below < set->n && set->ended[set->ended_below])
		set->ended_below++;
}

/* Whether every URL offering i of a set with owners cites has ended. */
static int
crawl_urlset_ready(const struct treg_crawl_urlset *set, size_t i)
{
	return set->ready_at[i] <= set->ended_below;
}

static void
crawl_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct crawl *c = arg;

	if (treg_store_commit(c->store) < 0)
		c->store_failed = 1;
}

/*
 * Commits what completes in the next CRAWL_COMMIT_MS, or at the end of
 * this turn of the loop once the batch holds CRAWL_COMMIT_WRITES writes.
 * A commit per turn cost a fsync per page or two (on a fast site the
 * crawl waited on the disk as long as it computed); an unbounded batch
 * holds every page it changes in LMDB's memory until it commits (a
 * second crawl of 10,000 unchanged pages writes thousands a second).
 */
static void
crawl_schedule_commit(struct crawl *c)
{
	struct timeval later = { 0, CRAWL_COMMIT_MS * 1000 }, now = { 0, 0 };

	if (treg_store_batch_writes(c->store) >= CRAWL_COMMIT_WRITES) {
		evtimer_del(c->commit_ev);
		evtimer_add(c->commit_ev, &now);
	} else if (!evtimer_pending(c->commit_ev, NULL)) {
		evtimer_add(c->commit_ev, &later);
	}
}

/*
 * An offering lent for a while: the entry itself, or, when the registry
 * is an index, the whole offering read again from its file and held
 * until crawl_give_back(), so that no more than one is ever in memory.
 */
struct crawl_lent {
	const struct treg_offering *off;
	struct treg_registry *one;	/* what was read, or NULL */
};

static int
crawl_lend(const struct treg_registry *reg,
    const struct treg_offering *entry, struct crawl_lent *lent)
{
	char *err = NULL;
	int rc;

	lent->off = entry;
	lent->one = NULL;
	if (reg == NULL || !reg->indexed)
		return 0;
	rc = treg_registry_read_offering(reg, entry, &lent->one, &err);
	if (rc < 0) {
		log_err("registry", "offering=%s cannot be read again: %s",
		    entry->id, err != NULL ? err : strerror(-rc));
		free(err);
		treg_registry_free(lent->one);
		lent->one = NULL;
		return rc;
	}
	lent->off = &lent->one->offerings[0];
	return 0;
}

static void
crawl_give_back(struct crawl_lent *lent)
{
	treg_registry_free(lent->one);
	lent->one = NULL;
	lent->off = NULL;
}

/* The URLs of the n offerings, each offering read once, in a new sorted
 * set, spread for a crawl's start (treg_crawl_urlset_spread()) when
 * asked; with owners, the set can tell when all of an offering's URLs
 * have ended (crawl_urlset_ended(), crawl_urlset_ready()). */
static int
crawl_collect(const struct treg_registry *reg,
    const struct treg_offering *const *offerings, size_t n, int owners,
    int spread, struct treg_crawl_urlset **setp)
{
	struct treg_crawl_urlset *set;
	struct crawl_lent lent;
	size_t i, cells = 0;
	int rc = 0;

	*setp = NULL;
	set = treg_crawl_urlset_new();
	if (set == NULL)
		return -ENOMEM;
	if (owners) {
		set->cited_end = calloc(n > 0 ? n : 1,
		    sizeof(*set->cited_end));
		set->first_cell = malloc((n > 0 ? n : 1) *
		    sizeof(*set->first_cell));
		if (set->cited_end == NULL || set->first_cell == NULL)
			rc = -ENOMEM;
	}
	for (i = 0; i < n && rc == 0; i++) {
		rc = crawl_lend(reg, offerings[i], &lent);
		if (rc < 0)
			break;
		set->adding = owners ? i + 1 : 0;
		if (owners)
			set->first_cell[i] = (uint32_t)cells;
		cells += lent.off->ncells;
		rc = treg_crawl_urlset_add(set, lent.off);
		crawl_give_back(&lent);
	}
	set->adding = 0;
	if (rc == 0) {
		treg_crawl_urlset_sort(set);
		if (spread)
			rc = treg_crawl_urlset_spread(set);
	}
	if (rc == 0 && owners)
		rc = crawl_urlset_owners_sorted(set, n);
	if (rc < 0) {
		treg_crawl_urlset_free(set);
		return rc;
	}
	*setp = set;
	return 0;
}

/*
 * The selectors for url (treg_crawl_urlset_select()).  The daemon's
 * crawler collects its offerings' URLs on first use: a registry with
 * thousands of cells made the walk over all of them for every URL the
 * largest cost of a crawl.  The caller frees sel->keep and sel->drop.
 */
static int
crawl_select_for(struct crawl *c, const char *url,
    struct treg_extract_select *sel)
{
	int rc;

	memset(sel, 0, sizeof(*sel));
	if (c->urlset == NULL) {
		rc = crawl_collect(NULL, c->offerings, c->noffer, 0, 0,
		    &c->urlset);
		if (rc < 0)
			return rc;
	}
	return treg_crawl_urlset_select(c->urlset, url, sel);
}

/* Forgets the raw body kept so far. */
static void
crawl_body_drop(struct crawl_job *job)
{
	treg_buf_cleanup(&job->body);
	if (job->spill != NULL)
		fclose(job->spill);
	job->spill = NULL;
	job->body_len = 0;
}

/* Moves the body kept in memory to an unlinked temporary file. */
static int
crawl_body_spill(struct crawl_job *job)
{
	char *path = NULL;
	int fd, rc = 0;

	if (asprintf(&path, "%s/.body-XXXXXX",
	    job->crawl->cfg->state_dir) < 0)
		return -ENOMEM;
	fd = mkstemp(path);
	if (fd < 0)
		rc = -errno;
	if (fd >= 0) {
		unlink(path);
		job->spill = fdopen(fd, "w+b");
		if (job->spill == NULL) {
			rc = -errno;
			close(fd);
		}
	}
	/* The body comes in libcurl's 16 KiB pieces: unbuffered, each is
	 * one write, where stdio's 4 KiB buffer split it into two or
	 * three (a hundred thousand writes in the 10,000-page benchmark,
	 * a tenth of whose pages spill). */
	if (job->spill != NULL)
		(void)setvbuf(job->spill, NULL, _IONBF, 0);
	free(path);
	if (rc < 0)
		return rc;
	/* On failure the body stays whole in memory, where a deferred
	 * extraction catches up from. */
	if (job->body.len > 0 && fwrite(job->body.data, 1, job->body.len,
	    job->spill) != job->body.len) {
		fclose(job->spill);
		job->spill = NULL;
		return -EIO;
	}
	treg_buf_cleanup(&job->body);
	return 0;
}

/* Feeds data to the extractor a chunk at a time, as a transfer would. */
static int
crawl_feed_chunks(struct treg_extract *ex, const char *data, size_t len)
{
	size_t off, n;
	int rc = 0;

	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < CRAWL_FEED_CHUNK ? len - off : CRAWL_FEED_CHUNK;
		rc = treg_extract_feed(ex, data + off, n);
	}
	return rc;
}

/*
 * Feeds the kept body to the extractor: from memory, or from the spill
 * file read with pread() so that the stream's position, which the
 * archiving uses, is left alone.  Not mapped: every worker mapping a
 * large body at once counted them all in the resident set (16 MiB more
 * at the benchmark's peak).  Runs on a worker, or on the loop's thread
 * when extraction catches up (crawl_body_catch_up()).
 */
static int
crawl_body_feed(struct crawl_job *job)
{
	char chunk[CRAWL_FEED_CHUNK];
	size_t off;
	ssize_t got;
	int rc = 0;

	if (job->spill == NULL)
		return crawl_feed_chunks(job->extract, job->body.data,
		    job->body.len);
	if (fflush(job->spill) != 0)
		return -EIO;
	for (off = 0; off < job->body_len && rc == 0; off += (size_t)got) {
		got = pread(fileno(job->spill), chunk,
		    job->body_len - off < sizeof(chunk) ?
		    job->body_len - off : sizeof(chunk), (off_t)off);
		if (got <= 0)
			return -EIO;
		rc = treg_extract_feed(job->extract, chunk, (size_t)got);
	}
	return rc;
}

static int	crawl_extract_open(struct crawl_job *job);

/*
 * A body that can no longer be kept (over max_body, or the spill file
 * failed) cannot wait for a worker: the extractor catches up on what was
 * kept and takes the rest as it streams, as without threads.  XXX: when a
 * write to the spill file failed, what it holds may not read back; the
 * transfer then ends aborted where inline extraction kept the text.
 */
static int
crawl_body_catch_up(struct crawl_job *job)
{
	int rc;

	if (!job->deferred)
		return 0;
	job->deferred = 0;
	rc = crawl_extract_open(job);
	return rc < 0 ? rc : crawl_body_feed(job);
}

/* Keeps len more bytes of the raw body; a body over max_body is not
 * kept at all (the text still counts).  Returns 0, or the error of a
 * deferred extraction's catching up. */
static int
crawl_body_keep(struct crawl_job *job, const char *data, size_t len)
{
	int rc = 0;

	if (job->body_len + len > job->crawl->cfg->max_body) {
		rc = -E2BIG;
	} else if (job->spill == NULL &&
	    job->body.len + len <= CRAWL_BODY_MEM) {
		rc = treg_buf_append(&job->body, data, len);
	} else {
		if (job->spill == NULL)
			rc = crawl_body_spill(job);
		if (rc == 0 && fwrite(data, 1, len, job->spill) != len)
			rc = -EIO;
	}
	if (rc < 0) {
		/* The text is still judged; the page is only not archived
		 * (and a later rules change cannot re-read it). */
		if (rc == -E2BIG)
			log_info("crawl", "url=%s body over max_body: not "
			    "archived", job->url);
		else
			log_warn("crawl", "url=%s raw body not kept, not "
			    "archived: err=%s", job->url, strerror(-rc));
		rc = crawl_body_catch_up(job);
		job->keep_body = 0;
		crawl_body_drop(job);
		return rc;
	}
	job->body_len += len;
	return 0;
}

/*
 * The kept body's SHA-256 in hex: from memory, or read back in chunks
 * from the spill file, so a large body is never whole in memory.
 */
static int
crawl_body_digest(struct crawl_job *job, char *hex)
{
	unsigned char raw[TREG_SHA256_LEN];
	int rc;

	if (job->spill == NULL)
		return treg_sha256_hex_of(job->body.data != NULL ?
		    job->body.data : "", job->body_len, hex);
	rc = treg_sha256_file(job->spill, job->body_len, raw);
	if (rc == 0)
		treg_sha256_hex(raw, hex);
	return rc;
}

/* Copies sel into job->sel, pointers and strings in one block, so that
 * it outlives the URL set it points into (a reload replaces that). */
static int
crawl_keep_select(struct crawl_job *job,
    const struct treg_extract_select *sel)
{
	size_t n = sel->nkeep + sel->ndrop, size, i;
	const char *name;
	char **list, *p;

	size = n * sizeof(char *);
	for (i = 0; i < n; i++) {
		name = i < sel->nkeep ? sel->keep[i] : sel->drop[i -
		    sel->nkeep];
		size += strlen(name) + 1;
	}
	free(job->sel_block);
	memset(&job->sel, 0, sizeof(job->sel));
	job->sel_block = NULL;
	if (n == 0)
		return 0;
	job->sel_block = malloc(size);
	if (job->sel_block == NULL)
		return -ENOMEM;
	list = job->sel_block;
	p = (char *)(list + n);
	for (i = 0; i < n; i++) {
		name = i < sel->nkeep ? sel->keep[i] : sel->drop[i -
		    sel->nkeep];
		list[i] = p;
		p = stpcpy(p, name) + 1;
	}
	job->sel.keep = (const char *const *)list;
	job->sel.nkeep = sel->nkeep;
	job->sel.drop = (const char *const *)list + sel->nkeep;
	job->sel.ndrop = sel->ndrop;
	return 0;
}

/* Makes the job's extractor, on whichever thread will feed it. */
static int
crawl_extract_open(struct crawl_job *job)
{
	job->extract = treg_extract_new_with(job->content_type,
	    job->max_text, &job->sel);
	if (job->extract == NULL)
		return -ENOMEM;
	treg_extract_set_max_body(job->extract, job->max_body);
	return 0;
}

static int
crawl_headers_cb(void *arg, const struct treg_fetch_result *res)
{
	struct crawl_job *job = arg;
	struct treg_extract_select sel;
	int rc;

	if (res->status < 200 || res->status > 299)
		return 1;

	rc = crawl_select_for(job->crawl, job->url, &sel);
	if (rc == 0)
		rc = crawl_keep_select(job, &sel);
	free((void *)sel.keep);
	free((void *)sel.drop);
	free(job->content_type);
	job->content_type = NULL;
	if (rc == 0 && res->content_type != NULL) {
		job->content_type = strdup(res->content_type);
		if (job->content_type == NULL)
			rc = -ENOMEM;
	}
	if (rc < 0)
		return -ENOMEM;
	job->max_text = job->crawl->cfg->max_text;
	job->max_body = job->crawl->cfg->max_body;
	crawl_body_drop(job);
	treg_buf_init(&job->body, CRAWL_BODY_MEM);
	/* Room for the declared length at once, rather than doubling from
	 * nothing: that copied each body about twice.  Capped, as a lying
	 * server costs no more than the buffer's own limit. */
	if (res->body_size_hint > 0 &&
	    treg_buf_reserve(&job->body, res->body_size_hint < CRAWL_BODY_MEM ?
	    (size_t)res->body_size_hint : CRAWL_BODY_MEM) < 0)
		return -ENOMEM;
	job->keep_body = 1;
	job->wants_text = 1;
	job->deferred = job->crawl->pool != NULL;
	return job->deferred ? 0 : crawl_extract_open(job);
}

static int
crawl_body_cb(void *arg, const char *data, size_t len)
{
	struct crawl_job *job = arg;
	int rc = 0;

	if (!job->wants_text)
		return 0;
	if (job->keep_body)
		rc = crawl_body_keep(job, data, len);
	if (rc == 0 && !job->deferred)
		rc = treg_extract_feed(job->extract, data, len);
	if (rc < 0)
		job->extract_failed = 1;
	return rc;
}

/* The digest of url's latest text into hex, or "" when it has none (or
 * its history cannot be read). */
static void
crawl_latest_digest(struct crawl *c, const char *url, char *hex)
{
	struct treg_observation *all = NULL;
	size_t n = 0, i;

	hex[0] = '\0';
	if (treg_store_list_observations(c->store, url, &all, &n) < 0)
		return;
	for (i = n; i-- > 0;) {
		if (all[i].digest[0] != '\0') {
			memcpy(hex, all[i].digest, TREG_SHA256_HEXLEN + 1);
			break;
		}
	}
	free(all);
}

/* 1 when digest differs from the job's URL's latest text (or there is
 * none): the one read at handover, or read now. */
static int
crawl_text_is_new(struct crawl *c, const struct crawl_job *job,
    const char *digest)
{
	char latest[TREG_SHA256_HEXLEN + 1];

	if (job->has_prev_digest)
		return strcmp(job->prev_digest, digest) != 0;
	crawl_latest_digest(c, job->url, latest);
	return strcmp(latest, digest) != 0;
}

/* The response record of job for the WARC file; pointers are borrowed. */
static void
crawl_warc_record(const struct crawl_job *job,
    const struct treg_fetch_result *res, int64_t date,
    const char *body_digest, struct treg_warc_response *w)
{
	memset(w, 0, sizeof(*w));
	w->target_uri = job->url;
	w->date = date;
	w->http_head = res->raw_headers;
	w->http_head_len = res->raw_headers_len;
	w->payload = job->spill == NULL ? (job->body.data != NULL ?
	    job->body.data : "") : NULL;
	w->payload_fp = job->spill;
	w->payload_len = job->body_len;
	w->payload_sha256 = body_digest;
}

/*
 * On a worker, after the extraction: when the text differs from the
 * URL's latest, digests the raw body and compresses its WARC record, the
 * archiving's costly half.  crawl_archive() decides on the same digest
 * on the loop's thread and does whatever was not done here; a failure
 * here only moves the work there.
 */
static void
crawl_prepare_archive(struct crawl_job *job)
{
	struct treg_warc_response w;

	if (!job->keep_body || job->text_rc < 0 ||
	    job->text.digest[0] == '\0' || job->res.raw_headers == NULL ||
	    strcmp(job->text.digest, job->prev_digest) == 0)
		return;
	if (crawl_body_digest(job, job->body_digest) < 0) {
		job->body_digest[0] = '\0';
		return;
	}
	crawl_warc_record(job, &job->res, job->archive_date,
	    job->body_digest, &w);
	if (treg_warc_build(&w, &job->warc_gz, &job->warc_gzlen) < 0) {
		free(job->warc_gz);
		job->warc_gz = NULL;
	}
}

/*
 * A response whose text is new for its URL (its first, which may become
 * a baseline, or a change) is kept byte for byte: the raw body in the
 * store by its SHA-256 (compressed, deduplicated), named from the text
 * digest by an aux record "raw/TEXT", and the whole response in the
 * day's WARC file.  Unchanged checks write neither.
 */
static void
crawl_archive(struct crawl *c, struct crawl_job *job,
    const struct treg_fetch_result *res, const struct treg_observation *obs)
{
	struct treg_warc_response w;
	struct treg_extract_select sel;
	char body_digest[TREG_SHA256_HEXLEN + 1] = "";
	const char *body;
	char *dir = NULL;
	int rc;

	if (!job->keep_body || obs->digest[0] == '\0' ||
	    res->raw_headers == NULL ||
	    !crawl_text_is_new(c, job, obs->digest))
		return;
	if (job->body_digest[0] != '\0')
		memcpy(body_digest, job->body_digest, sizeof(body_digest));
	else if (crawl_body_digest(job, body_digest) < 0) {
		log_warn("crawl", "url=%s raw body lost", job->url);
		return;
	}
	body = job->body.data != NULL ? job->body.data : "";

	memset(&sel, 0, sizeof(sel));
	if (crawl_select_for(c, job->url, &sel) == 0) {
		if (job->spill != NULL)
			rc = treg_store_put_text_file(c->store, body_digest,
			    job->spill, job->body_len);
		else
			rc = treg_store_put_text(c->store, body_digest, body,
			    job->body_len);
		if (rc < 0 || treg_baseline_note_raw(c->store, obs->digest,
		    body_digest, job->content_type, c->cfg->max_text,
		    &sel) < 0)
			c->store_failed = 1;
	}
	free((void *)sel.keep);
	free((void *)sel.drop);

	if (asprintf(&dir, "%s/warc", c->cfg->state_dir) < 0)
		return;
	if (job->warc_gz != NULL) {
		(void)treg_warc_write(dir, job->archive_date, job->url,
		    job->warc_gz, job->warc_gzlen);
	} else {
		crawl_warc_record(job, res, c->now, body_digest, &w);
		(void)treg_warc_append(dir, &w);
	}
	free(dir);
}

/* Carries the previous text over for a 304, from the latest observation
 * that had one. */
static void
crawl_carry_over(struct crawl *c, const char *url,
    struct treg_observation *obs)
{
	struct treg_observation *all = NULL;
	size_t n = 0, i;

	if (treg_store_list_observations(c->store, url, &all, &n) < 0)
		return;
	for (i = n; i-- > 0;) {
		if (all[i].digest[0] != '\0') {
			memcpy(obs->digest, all[i].digest, sizeof(obs->digest));
			obs->simhash = all[i].simhash;
			obs->words = all[i].words;
			obs->rules = all[i].rules;
			obs->flags |= all[i].flags & TREG_OBS_UNVERIFIABLE;
			break;
		}
	}
	free(all);
}

/*
 * Ends the extraction into job->text and job->text_rc: a deferred one is
 * fed the kept body first.  Runs on a worker, or on the loop's thread;
 * touches nothing but the job's extractor, body and text.
 */
static void
crawl_extract(struct crawl_job *job)
{
	int rc = 0;

	if (job->deferred) {
		rc = job->extract == NULL ? crawl_extract_open(job) : 0;
		if (rc == 0)
			rc = crawl_body_feed(job);
		job->feed_rc = rc;
	}
	if (rc == 0 && (job->extract == NULL || job->extract_failed))
		rc = -EINVAL;
	if (rc == 0)
		rc = treg_extract_finish(job->extract, &job->text);
	job->text_rc = rc;
	job->text_done = 1;
}

/* Turns a finished body into the observation's text fields. */
static void
crawl_take_text(struct crawl_job *job, struct treg_observation *obs,
    struct treg_url_state *state)
{
	struct treg_extract_result *res = &job->text;
	const char *why;

	if (!job->text_done)
		crawl_extract(job);
	if (job->text_rc < 0) {
		obs->flags |= TREG_OBS_UNVERIFIABLE;
		free(state->detail);
		state->detail = strdup("text could not be extracted");
		goto out;
	}

	why = treg_extract_unverifiable_reason(res);
	if (why != NULL) {
		obs->flags |= TREG_OBS_UNVERIFIABLE;
		free(state->detail);
		state->detail = strdup(why);
	}
	if (res->text_truncated)
		obs->flags |= TREG_OBS_TRUNCATED;
	memcpy(obs->digest, res->digest, sizeof(obs->digest));
	obs->simhash = res->simhash;
	obs->words = (uint32_t)res->words;
	obs->rules = (uint8_t)treg_baseline_rules_version();
	if (res->text != NULL &&
	    treg_store_put_text(job->crawl->store, res->digest, res->text,
	    res->text_len) < 0)
		job->crawl->store_failed = 1;
	if (res->boiler_text != NULL && res->boiler_len > 0 &&
	    treg_baseline_note_chrome(job->crawl->store, job->url,
	    res->boiler_digest, res->boiler_text, res->boiler_len) < 0)
		job->crawl->store_failed = 1;

out:
	treg_extract_result_cleanup(res);
}

/* The redirect facts of a response: a permanent first hop is a move. */
static void
crawl_note_redirects(const struct treg_fetch_result *res,
    struct treg_observation *obs, struct treg_url_state *state)
{
	if (res->nhops == 0)
		return;
	if (res->hops[0].status == 301 || res->hops[0].status == 308)
		obs->flags |= TREG_OBS_MOVED;
	else
		obs->flags |= TREG_OBS_REDIRECTED;
	if (res->final_url != NULL)
		state->final_url = strdup(res->final_url);
}

/*
 * Fetch politeness and classification.  The named reason of a
 * response that is not evidence: a limit or rule that stopped it, a bot
 * wall, a server asking for a pause.  NULL for an ordinary answer.
 */
static const char *
crawl_reason(const struct treg_fetch_result *res)
{
	if (res->error != TREG_FETCH_OK)
		return treg_fetch_error_name(res->error);
	if (res->challenge || res->status == 401 || res->status == 403)
		return "blocked";
	if (res->status == 429 || (res->status == 503 &&
	    res->retry_after >= 0))
		return "rate-limited";
	return NULL;
}

/* Whether the answer counts against the page in flap damping: refusals
 * we obey, bot walls and pauses say nothing about the page itself. */
static int
crawl_failed(const struct treg_fetch_result *res)
{
	switch (res->error) {
	case TREG_FETCH_OK:
		break;
	case TREG_FETCH_ROBOTS:
	case TREG_FETCH_RATE_LIMITED:
	case TREG_FETCH_ABORTED:
		return 0;
	default:
		return 1;
	}
	if (crawl_reason(res) != NULL)
		return 0;
	/* Every other error status: a 400 or 451 counted nothing, so the
	 * verdict, which calls any error status a failure, made it dead
	 * at its first answer, past flap damping. */
	return res->status >= 400;
}

/* "301 URL -> 302 URL -> FINAL": every hop of the chain, for the report. */
static char *
crawl_chain(const struct treg_fetch_result *res)
{
	struct treg_buf b;
	size_t i;
	int rc = 0;

	if (res->nhops == 0 && res->refresh_url == NULL)
		return NULL;
	treg_buf_init(&b, 8192);
	for (i = 0; i < res->nhops && rc == 0; i++)
		rc = treg_buf_printf(&b, "%ld %s -> ", res->hops[i].status,
		    res->hops[i].url);
	if (rc == 0)
		rc = treg_buf_puts(&b, res->final_url != NULL ?
		    res->final_url : "?");
	if (rc == 0 && res->refresh_url != NULL)
		rc = treg_buf_printf(&b, " -> meta-refresh %s",
		    res->refresh_url);
	/* A chain cut at the cap is still worth showing. */
	if (rc == -ENOMEM) {
		treg_buf_cleanup(&b);
		return NULL;
	}
	return treg_buf_steal(&b);
}

/* Sets *detailp to a malloc'd copy of s, replacing what it held. */
static void
crawl_set_detail(char **detailp, const char *s)
{
	free(*detailp);
	*detailp = s != NULL ? strdup(s) : NULL;
}

/*
 * Classifies what crawl_done_cb did not: bot walls and pauses (no text,
 * never hashed), error pages served with 200 (soft 404), a meta refresh
 * to another page (a redirect), and where an archived capture landed.
 */
static void
crawl_classify(struct crawl *c, struct crawl_job *job,
    const struct treg_fetch_result *res, struct treg_observation *obs,
    struct treg_url_state *state)
{
	const char *reason = crawl_reason(res);
	char note[256];

	state->chain = crawl_chain(res);
	if (res->error == TREG_FETCH_OK && reason != NULL) {
		obs->flags |= TREG_OBS_UNVERIFIABLE;
		obs->digest[0] = '\0';
		if (strcmp(reason, "blocked") == 0) {
			obs->flags |= TREG_OBS_BLOCKED;
			snprintf(note, sizeof(note), "%s (HTTP %ld)",
			    res->challenge ? "bot challenge" : "refused",
			    res->status);
		} else {
			snprintf(note, sizeof(note), "HTTP %ld, Retry-After "
			    "%lds", res->status, res->retry_after);
			if (res->retry_after > 0)
				state->next_due = c->now + res->retry_after;
		}
		crawl_set_detail(&state->detail, note);
	}
	if (res->error == TREG_FETCH_OK && res->status >= 200 &&
	    res->status <= 299) {
		/* A page that says it is an error; one equal to the
		 * host's unknown-path page is caught at judging. */
		if (state->detail != NULL &&
		    strcmp(state->detail, "error page") == 0)
			reason = "soft-404";
		if (res->refresh_url != NULL) {
			reason = "meta-refresh";
			obs->flags |= TREG_OBS_MOVED;
			crawl_set_detail(&state->final_url, res->refresh_url);
		}
	}
	/* Wayback answers a capture it lacks with one of another date. */
	if (res->error == TREG_FETCH_OK && res->nhops > 0 &&
	    strstr(job->url, "web.archive.org/web/") != NULL &&
	    res->final_url != NULL && strcmp(res->final_url, job->url) != 0) {
		snprintf(note, sizeof(note), "capture landed on %s",
		    res->memento_datetime != NULL ? res->memento_datetime :
		    res->final_url);
		if (state->detail == NULL)
			crawl_set_detail(&state->detail, note);
	}
	state->reason = reason != NULL ? strdup(reason) : NULL;

	/* A refusal or a pause keeps the failure streak as it was: it
	 * neither proves the page alive nor dead. */
	if (!crawl_failed(res) && reason != NULL &&
	    strcmp(reason, "soft-404") != 0 &&
	    strcmp(reason, "meta-refresh") != 0 && job->has_prev) {
		state->failures = job->prev.failures;
		state->first_failure = job->prev.first_failure;
	}
}

/* A retry starts the body again: what the extractor saw is dropped. */
static void
crawl_retry_cb(void *arg, const struct treg_fetch_result *res)
{
	struct crawl_job *job = arg;

	treg_extract_free(job->extract);
	job->extract = NULL;
	job->extract_failed = 0;
	job->wants_text = 0;
	job->deferred = 0;
	job->keep_body = 0;
	crawl_body_drop(job);
}

/* robots.txt copies are kept in the store for a day, as aux records
 * "robots URL" holding "AT STATUS\n" and the body. */
#define CRAWL_ROBOTS_TTL	86400

/* The daemon's crawler stamps with the clock, a one-shot crawl with its
 * own now (which --now may set). */
static int64_t
crawl_clock(const struct crawl *c)
{
	return c->live ? (int64_t)time(NULL) : c->now;
}

static int
crawl_robots_get_cb(void *arg, const char *url, char **bodyp, size_t *lenp,
    long *statusp)
{
	struct crawl *c = arg;
	char *key = NULL, *data = NULL;
	long long at;
	size_t len = 0;
	int n = 0, rc;

	if (asprintf(&key, "robots %s", url) < 0)
		return -ENOMEM;
	rc = treg_store_get_aux(c->store, key, &data, &len);
	free(key);
	if (rc < 0)
		return rc;
	if (sscanf(data, "%lld %ld\n%n", &at, statusp, &n) != 2 || n == 0 ||
	    (size_t)n > len || at > (long long)crawl_clock(c) ||
	    (long long)crawl_clock(c) - at > CRAWL_ROBOTS_TTL) {
		free(data);
		return -ENOENT;
	}
	memmove(data, data + n, len - (size_t)n + 1);
	*bodyp = data;
	*lenp = len - (size_t)n;
	return 0;
}

static void
crawl_robots_put_cb(void *arg, const char *url, long status,
    const char *body, size_t len)
{
	struct crawl *c = arg;
	struct treg_buf b;
	char *key = NULL;

	if (asprintf(&key, "robots %s", url) < 0)
		return;
	treg_buf_init(&b, 0);
	if (treg_buf_printf(&b, "%lld %ld\n", (long long)crawl_clock(c),
	    status) == 0 && treg_buf_append(&b, body, len) == 0 &&
	    treg_store_put_aux(c->store, key, b.data, b.len) == 0)
		crawl_schedule_commit(c);
	treg_buf_cleanup(&b);
	free(key);
}

/* Turns robots.txt on for a new fetcher, with the store as its cache. */
static int
crawl_setup_fetch(struct crawl *c, struct treg_fetch *fetch)
{
	struct treg_fetch_robots_ops ops = {
		crawl_robots_get_cb, crawl_robots_put_cb, c
	};

	return treg_fetch_set_robots(fetch, c->cfg->user_agent, &ops);
}

/* Tells the daemon how a URL ended, in the turn of its store writes, so
 * what the hook writes joins the same batch. */
static void
crawl_report_end(struct crawl *c, const struct crawl_job *job,
    const struct treg_fetch_result *res, const struct treg_url_state *state)
{
	struct treg_crawl_outcome o;

	memset(&o, 0, sizeof(o));
	o.status = res->status;
	o.error = res->error;
	o.failures = state->failures;
	o.prev_failures = job->has_prev ? job->prev.failures : 0;
	o.first_failure = state->first_failure;
	o.prev_at = job->has_prev ? job->prev.last_fetch : 0;
	o.abandoned = c->closing;
	o.stored = res->error != TREG_FETCH_ABORTED;
	o.at = c->now;
	c->hooks->ended_cb(c->hooks_arg, job->url, &o);
	if (o.stored || !c->closing)
		crawl_schedule_commit(c);
}

/* How a URL ended: its observation and state stored, the job freed. */
static void
crawl_end(struct crawl_job *job, const struct treg_fetch_result *res)
{
	struct crawl *c = job->crawl;
	struct treg_observation obs;
	struct treg_url_state state;
	int failed;

	memset(&obs, 0, sizeof(obs));
	memset(&state, 0, sizeof(state));
	if (c->live)
		c->now = job->ended;
	obs.at = c->now;
	obs.status = (uint16_t)(res->status > 0 && res->status < 1000 ?
	    res->status : 0);
	obs.error = (uint8_t)res->error;

	failed = crawl_failed(res);
	if (res->error != TREG_FETCH_OK && res->error_detail != NULL)
		state.detail = strdup(res->error_detail);

	if (res->error == TREG_FETCH_OK) {
		crawl_note_redirects(res, &obs, &state);
		if (res->status == 304) {
			obs.flags |= TREG_OBS_NOT_MODIFIED;
			crawl_carry_over(c, job->url, &obs);
		} else if (res->status >= 200 && res->status <= 299) {
			crawl_take_text(job, &obs, &state);
			crawl_archive(c, job, res, &obs);
		} else if (CRAWL_IS_BLOCKED(res->status)) {
			obs.flags |= TREG_OBS_UNVERIFIABLE;
		}
	}

	/* Validators are kept only from a response that carried text, so a
	 * 304 always refers to text we hold. */
	if (res->status == 304 && job->has_prev) {
		state.etag = job->prev.etag ? strdup(job->prev.etag) : NULL;
		state.last_modified = job->prev.last_modified ?
		    strdup(job->prev.last_modified) : NULL;
	} else if (res->status >= 200 && res->status <= 299) {
		state.etag = res->etag ? strdup(res->etag) : NULL;
		state.last_modified = res->last_modified ?
		    strdup(res->last_modified) : NULL;
	}
	state.last_fetch = c->now;
	state.last_status = obs.status;
	state.last_error = obs.error;
	if (failed && res->error != TREG_FETCH_ABORTED) {
		state.failures = job->has_prev ? job->prev.failures + 1 : 1;
		state.first_failure = job->has_prev &&
		    job->prev.first_failure != 0 ?
		    job->prev.first_failure : c->now;
		c->stats->failed++;
	}
	crawl_classify(c, job, res, &obs, &state);

	log_debug("crawl", "url=%s status=%ld err=%s ms=%ld", job->url,
	    res->status, treg_fetch_error_name(res->error), res->ms);

	/* A transfer we abandoned (shutdown) says nothing about the URL. */
	if (res->error == TREG_FETCH_ABORTED)
		goto out;
	if (treg_store_put_url(c->store, job->url, &state) < 0 ||
	    treg_store_add_observation(c->store, job->url, &obs) < 0)
		c->store_failed = 1;
	crawl_schedule_commit(c);

out:
	if (c->hooks != NULL && c->hooks->ended_cb != NULL)
		crawl_report_end(c, job, res, &state);
	treg_store_url_cleanup(&state);
	treg_extract_free(job->extract);
	treg_extract_result_cleanup(&job->text);
	crawl_body_drop(job);
	free(job->warc_gz);
	free(job->sel_block);
	free(job->content_type);
	if (job->has_prev)
		treg_store_url_cleanup(&job->prev);
	crawl_urlset_ended(c->urlset, job->url);
	free(job->url);
	free(job);
	c->running--;
}

/*
 * Ends job as res says, unless reading the kept body failed: the
 * extractor fed as the body streamed would have refused it, and the
 * fetcher would have aborted the transfer, so it ends aborted here too.
 */
static void
crawl_end_extracted(struct crawl_job *job,
    const struct treg_fetch_result *res)
{
	struct treg_fetch_result r = *res;

	if (job->feed_rc < 0) {
		r.error = TREG_FETCH_ABORTED;
		r.error_detail = "refused by body_cb";
	}
	crawl_end(job, &r);
}

static struct crawl_job *
crawl_job_of(struct treg_pool_job *work)
{
	return (struct crawl_job *)(void *)((char *)work -
	    offsetof(struct crawl_job, work));
}

/* On a worker.  The extractor is freed here, so its parser's memory is
 * let go as soon as it can be. */
static void
crawl_extract_cb(struct treg_pool_job *work)
{
	struct crawl_job *job = crawl_job_of(work);

	crawl_extract(job);
	treg_extract_free(job->extract);
	job->extract = NULL;
	crawl_prepare_archive(job);
}

static void	crawl_unpark(struct crawl *c);

/* Back on the loop's thread.  A job the crawler's end caught in the pool
 * is abandoned, as its transfer would have been a moment earlier. */
static void
crawl_extracted_cb(struct treg_pool_job *work, int ran)
{
	struct crawl_job *job = crawl_job_of(work);
	struct crawl *c = job->crawl;
	struct treg_fetch_result owned = job->res, r = job->res;

	/* The pool has room again: it goes to the oldest parked body
	 * first, so that none waits behind newer ones. */
	if (!c->closing)
		crawl_unpark(c);
	if (ran && !c->closing) {
		crawl_end_extracted(job, &r);
	} else {
		r.error = TREG_FETCH_ABORTED;
		r.error_detail = "crawler closed";
		crawl_end(job, &r);
	}
	treg_fetch_result_cleanup(&owned);
}

/* Parks a job the full pool could not take and holds the fetcher, so
 * that at most the transfers already running end up parked. */
static void
crawl_park(struct crawl_job *job)
{
	struct crawl *c = job->crawl;

	if (c->parked == NULL)
		c->parked_tail = &c->parked;
	job->parked_next = NULL;
	*c->parked_tail = job;
	c->parked_tail = &job->parked_next;
	log_debug("crawl", "url=%s parked: pool full, fetcher held",
	    job->url);
	if (c->feed != NULL)
		treg_fetch_hold(c->feed, 1);
}

/* Moves parked jobs into the pool while it has room; the fetcher goes
 * on once none is left. */
static void
crawl_unpark(struct crawl *c)
{
	struct crawl_job *job;

	while ((job = c->parked) != NULL) {
		if (treg_pool_submit(c->pool, &job->work) < 0)
			return;
		c->parked = job->parked_next;
		log_debug("crawl", "url=%s unparked", job->url);
	}
	if (c->feed != NULL)
		treg_fetch_hold(c->feed, 0);
}

/*
 * Hands a kept body to a worker, or parks it until one has room.  res is
 * gone when done_cb returns, so the job keeps a copy for crawl_end().
 * Returns 0 when the pool has the job or it is parked; -EBUSY when there
 * is no pool, or -ENOMEM, and then the caller extracts on this thread.
 */
static int
crawl_defer(struct crawl_job *job, const struct treg_fetch_result *res)
{
	int rc;

	if (job->crawl->pool == NULL)
		return -EBUSY;
	/* What the worker needs to archive, read here: the store and the
	 * clock are the loop's. */
	crawl_latest_digest(job->crawl, job->url, job->prev_digest);
	job->has_prev_digest = 1;
	job->archive_date = job->crawl->live ? job->ended : job->crawl->now;
	rc = treg_fetch_result_copy(&job->res, res);
	if (rc == 0) {
		job->work.work = crawl_extract_cb;
		job->work.done = crawl_extracted_cb;
		/* Behind parked jobs, a new one waits its turn. */
		rc = job->crawl->parked != NULL ? -EBUSY :
		    treg_pool_submit(job->crawl->pool, &job->work);
		if (rc == -EBUSY) {
			crawl_park(job);
			rc = 0;
		}
	}
	if (rc < 0)
		treg_fetch_result_cleanup(&job->res);
	return rc;
}

static void
crawl_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct crawl_job *job = arg;

	job->ended = time(NULL);
	if (job->deferred && res->error == TREG_FETCH_OK) {
		if (crawl_defer(job, res) == 0)
			return;
		crawl_extract(job);
	}
	crawl_end_extracted(job, res);
}

/* Starts the extraction threads the configuration asks for.  Without
 * them each body is extracted on this thread as it streams. */
static void
crawl_pool_start(struct crawl *c)
{
	size_t n = (size_t)c->cfg->extract_threads;

	if (n == 0 || treg_extract_init() < 0)
		return;
	c->pool = treg_pool_new(c->base, (unsigned)n, n * CRAWL_POOL_JOBS);
	if (c->pool == NULL)
		log_warn("crawl", "no extraction threads: extracting on the "
		    "event loop");
}

/* Abandons what the pool holds and what is parked
 * (crawl_extracted_cb()) and stops the pool. */
static void
crawl_pool_stop(struct crawl *c)
{
	struct crawl_job *job;

	c->closing = 1;
	treg_pool_free(c->pool);
	c->pool = NULL;
	while ((job = c->parked) != NULL) {
		c->parked = job->parked_next;
		crawl_extracted_cb(&job->work, 0);
	}
}

static const struct treg_fetch_ops crawl_fetch_ops = {
	.headers_cb = crawl_headers_cb,
	.body_cb = crawl_body_cb,
	.done_cb = crawl_done_cb,
	.retry_cb = crawl_retry_cb,
};

/*
 * Soft 404 probes.  Some hosts answer any unknown path with one "not
 * found" page and status 200; such a page cited as evidence would look
 * stable forever.  Once a day per origin we fetch a random path that
 * cannot exist and keep the digest of what came back; at judging, a
 * source whose text is that same page is unverifiable.  The probe goes
 * through the fetcher like any request, so caps, delays and robots.txt
 * apply to it too.
 */
#define CRAWL_PROBE_TTL		86400	/* s a probe result holds */
#define CRAWL_PROBE_KEY		"soft404/"

struct crawl_probe {
	struct crawl *crawl;
	char	*origin;		/* "https://host:port" */
	struct treg_extract *extract;
};

/* 1 when origin was probed by this crawler already; else remembers it
 * (taking no ownership) and returns 0. */
static int
crawl_probe_seen(struct crawl *c, const char *origin)
{
	char **grown;
	size_t i;

	for (i = 0; i < c->nprobed; i++)
		if (strcmp(c->probed[i], origin) == 0)
			return 1;
	grown = realloc(c->probed, (c->nprobed + 1) * sizeof(*grown));
	if (grown == NULL)
		return 1;
	c->probed = grown;
	c->probed[c->nprobed] = strdup(origin);
	if (c->probed[c->nprobed] == NULL)
		return 1;
	c->nprobed++;
	return 0;
}

static void
crawl_probed_free(struct crawl *c)
{
	size_t i;

	for (i = 0; i < c->nprobed; i++)
		free(c->probed[i]);
	free(c->probed);
	c->probed = NULL;
	c->nprobed = 0;
}

/* The scheme, host and port of url, or NULL. */
static char *
crawl_origin(const char *url)
{
	const char *host, *end;

	host = strstr(url, "://");
	if (host == NULL)
		return NULL;
	end = strchr(host + 3, '/');
	return end != NULL ? strndup(url, (size_t)(end - url)) :
	    strdup(url);
}

/* The stored probe of origin: its time and digest ("" when unknown
 * paths did not answer 200).  Returns 0 when one is stored. */
static int
crawl_probe_get(struct treg_store *st, const char *origin, int64_t *atp,
    char *digest)
{
	char *key = NULL, *rec = NULL, hex[TREG_SHA256_HEXLEN + 1];
	long long at;
	size_t len;
	int rc = -ENOENT;

	digest[0] = '\0';
	if (asprintf(&key, "%s%s", CRAWL_PROBE_KEY, origin) < 0)
		return -ENOMEM;
	if (treg_store_get_aux(st, key, &rec, &len) == 0) {
		hex[0] = '\0';
		if (sscanf(rec, "%lld %64s", &at, hex) >= 1) {
			*atp = (int64_t)at;
			if (strlen(hex) == TREG_SHA256_HEXLEN)
				memcpy(digest, hex, sizeof(hex));
			rc = 0;
		}
	}
	free(rec);
	free(key);
	return rc;
}

static int
crawl_probe_headers_cb(void *arg, const struct treg_fetch_result *res)
{
	struct crawl_probe *p = arg;

	if (res->status < 200 || res->status > 299)
		return 1;
	p->extract = treg_extract_new(res->content_type,
	    p->crawl->cfg->max_text);
	return p->extract != NULL ? 0 : -ENOMEM;
}

static int
crawl_probe_body_cb(void *arg, const char *data, size_t len)
{
	struct crawl_probe *p = arg;

	return treg_extract_feed(p->extract, data, len);
}

static void
crawl_probe_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct crawl_probe *p = arg;
	struct crawl *c = p->crawl;
	struct treg_extract_result text;
	char *key = NULL, *rec = NULL;
	const char *digest = "-";

	memset(&text, 0, sizeof(text));
	if (res->error == TREG_FETCH_ABORTED ||
	    (res->error != TREG_FETCH_OK && p->extract == NULL))
		goto out;	/* no answer: nothing learnt */
	if (res->error == TREG_FETCH_OK && p->extract != NULL &&
	    treg_extract_finish(p->extract, &text) == 0)
		digest = text.digest;
	if (asprintf(&key, "%s%s", CRAWL_PROBE_KEY, p->origin) < 0)
		key = NULL;
	if (asprintf(&rec, "%lld %s", (long long)time(NULL), digest) < 0)
		rec = NULL;
	if (key != NULL && rec != NULL &&
	    treg_store_put_aux(c->store, key, rec, strlen(rec)) == 0)
		crawl_schedule_commit(c);
	log_debug("crawl", "origin=%s soft404 probe status=%ld digest=%s",
	    p->origin, res->status, digest);

out:
	treg_extract_result_cleanup(&text);
	treg_extract_free(p->extract);
	free(key);
	free(rec);
	free(p->origin);
	free(p);
	c->probing--;
	c->running--;
}

static const struct treg_fetch_ops crawl_probe_ops = {
	.headers_cb = crawl_probe_headers_cb,
	.body_cb = crawl_probe_body_cb,
	.done_cb = crawl_probe_done_cb,
};

/* Queues a probe of url's origin unless one is fresh or under way. */
static void
crawl_probe_maybe(struct crawl *c, struct treg_fetch *fetch,
    const char *url)
{
	struct treg_fetch_request req;
	struct crawl_probe *p = NULL;
	char digest[TREG_SHA256_HEXLEN + 1], *probe_url = NULL;
	int64_t at = 0;

	if (!c->cfg->soft404_probe)
		return;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return;
	p->crawl = c;
	p->origin = crawl_origin(url);
	if (p->origin == NULL || crawl_probe_seen(c, p->origin))
		goto fail;
	if (crawl_probe_get(c->store, p->origin, &at, digest) == 0 &&
	    time(NULL) - at < CRAWL_PROBE_TTL)
		goto fail;
	if (asprintf(&probe_url, "%s/%08x%08x-no-such-page", p->origin,
	    arc4random(), arc4random()) < 0) {
		probe_url = NULL;
		goto fail;
	}

	memset(&req, 0, sizeof(req));
	req.url = probe_url;
	if (treg_fetch_add(fetch, &req, &crawl_probe_ops, p) < 0)
		goto fail;
	c->probing++;
	c->running++;
	free(probe_url);
	return;

fail:
	free(probe_url);
	if (p->origin != NULL)
		free(p->origin);
	free(p);
}

/* A source whose text is the page its host gives for any unknown path
 * is not evidence. */
static int
crawl_soft404_judge(struct treg_store *st, struct treg_evidence *ev)
{
	char digest[TREG_SHA256_HEXLEN + 1], *origin;
	int64_t at;

	if (ev->role != TREG_ROLE_SOURCE || ev->digest[0] == '\0' ||
	    ev->unverifiable)
		return 0;
	origin = crawl_origin(ev->fetch_url);
	if (origin == NULL)
		return 0;
	if (crawl_probe_get(st, origin, &at, digest) == 0 &&
	    strcmp(digest, ev->digest) == 0) {
		ev->unverifiable = 1;
		free(ev->reason);
		ev->reason = strdup("soft-404");
		free(ev->detail);
		ev->detail = strdup("the same page as an unknown path on this "
		    "host");
	}
	free(origin);
	return 0;
}

static int
crawl_start(struct crawl *c, struct treg_fetch *fetch, const char *url)
{
	struct treg_fetch_request req;
	struct crawl_job *job;
	int rc;

	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return -ENOMEM;
	job->crawl = c;
	job->url = strdup(url);
	if (job->url == NULL) {
		free(job);
		return -ENOMEM;
	}
	job->has_prev = treg_store_get_url(c->store, url, &job->prev) == 0;

	memset(&req, 0, sizeof(req));
	req.url = url;
	if (job->has_prev) {
		req.etag = job->prev.etag;
		req.last_modified = job->prev.last_modified;
	}
	rc = treg_fetch_add(fetch, &req, &crawl_fetch_ops, job);
	if (rc < 0) {
		if (job->has_prev)
			treg_store_url_cleanup(&job->prev);
		free(job->url);
		free(job);
		return rc;
	}
	c->running++;
	crawl_probe_maybe(c, fetch, url);
	return 0;
}

/* History retention at the end of a crawl (baseline.h).  A failure to
 * prune loses nothing, so it is logged and the crawl still counts. */
static int
crawl_prune(const struct treg_config *cfg, struct treg_store *st,
    time_t now)
{
	struct treg_baseline_pruned pruned;

	if (treg_baseline_prune(st, (int64_t)now -
	    (int64_t)cfg->history_days * 86400, &pruned) < 0) {
		treg_store_abort(st);
		return 0;
	}
	return treg_store_commit(st);
}

static long
crawl_ms_since(const struct timeval *start)
{
	struct timeval now;

	gettimeofday(&now, NULL);
	return (now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_usec - start->tv_usec) / 1000;
}

/*
 * A one-shot crawl that judges as it goes: each offering is judged once
 * every URL it cites, and every URL started before those, has ended, on
 * the loop's thread while the workers extract what is still arriving.
 * Judging after the crawl left one core idle for a seventh of a
 * 10,000-page pass.  Offerings are judged in the order they get ready,
 * not the registry's: in registry order, one offering citing the last
 * URL to start held back every offering after it (in the benchmark's
 * registry, which cites its pages over and over, two thirds of them).
 * The report puts the verdicts back in registry order.
 */
struct crawl_judging {
	const struct treg_registry *reg;
	treg_crawl_verdict_fn each;
	void	*arg;
	size_t	 next;		/* offerings judged: the next one's
				 * place in the set's ready_seq */
	size_t	 count;		/* verdicts handed on */
	int	 failed;	/* some cell could not be judged */
	int	 rc;		/* what stopped the judging */
};

static void	crawl_judge_ready(struct crawl *c, int all);

static int
crawl_run(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_registry *reg,
    const struct treg_offering *const *offerings, size_t n, time_t now,
    struct treg_crawl_stats *stats, struct crawl_judging *judging)
{
	struct crawl c;
	struct treg_fetch *fetch = NULL;
	struct timeval start;
	const char *url;
	size_t i, nurls;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(stats, 0, sizeof(*stats));
	gettimeofday(&start, NULL);
	c.cfg = cfg;
	c.store = st;
	c.now = now;
	c.stats = stats;
	c.offerings = offerings;
	c.noffer = n;
	c.judging = judging;

	/* The URLs and their selectors, read in one pass: an index has
	 * each offering read from its file again for it. */
	rc = crawl_collect(reg, offerings, n, judging != NULL, 1,
	    &c.urlset);
	if (rc < 0)
		goto out;
	nurls = treg_crawl_urlset_count(c.urlset);
	log_debug("crawl", "urls=%zu collected ms=%ld", nurls,
	    crawl_ms_since(&start));

	rc = -ENOMEM;
	c.base = event_base_new();
	if (c.base == NULL)
		goto out;
	c.commit_ev = evtimer_new(c.base, crawl_commit_cb, &c);
	fetch = treg_fetch_new(c.base, cfg);
	if (c.commit_ev == NULL || fetch == NULL ||
	    crawl_setup_fetch(&c, fetch) < 0)
		goto out;
	c.feed = fetch;
	crawl_pool_start(&c);

	/*
	 * URLs go to the fetcher a window at a time, topped up between
	 * turns of the loop: every queued transfer holds its buffers, and
	 * queueing 10,000 URLs at once cost 170 MiB.  They go a host at a
	 * time in turn (treg_crawl_urlset_spread()), so a window holds as
	 * many hosts as it can.
	 */
	i = 0;
	for (;;) {
		for (; i < nurls && c.running < CRAWL_WINDOW; i++) {
			url = treg_crawl_urlset_issued(c.urlset, i);
			rc = crawl_start(&c, fetch, url);
			if (rc < 0) {
				log_err("crawl", "url=%s cannot start: "
				    "err=%s", url, strerror(-rc));
				goto out;
			}
			stats->urls++;
		}
		if (c.running == 0)
			break;
		if (event_base_loop(c.base, EVLOOP_ONCE) < 0)
			break;
		crawl_judge_ready(&c, 0);
	}
	rc = treg_store_commit(st);
	if (rc == 0)
		rc = crawl_prune(cfg, st, now);
	if (rc == 0 && c.store_failed)
		rc = -EIO;
	if (rc == 0)
		crawl_judge_ready(&c, 1);

out:
	crawl_pool_stop(&c);
	treg_fetch_free(fetch);
	if (c.commit_ev != NULL)
		event_free(c.commit_ev);
	if (c.base != NULL)
		event_base_free(c.base);
	treg_crawl_urlset_free(c.urlset);
	crawl_probed_free(&c);
	stats->ms = crawl_ms_since(&start);
	return rc;
}

int
treg_crawl_run(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_registry *reg,
    const struct treg_offering *const *offerings, size_t n, time_t now,
    struct treg_crawl_stats *stats)
{
	return crawl_run(cfg, st, reg, offerings, n, now, stats, NULL);
}

/* Picks, from url's history, the latest observation and the baseline: the
 * first observation with text at or after the verified date. */
static int
crawl_find_observations(struct treg_store *st, const char *url,
    int64_t verified_at, struct treg_observation *latest, int *has_latest,
    struct treg_observation *baseline, int *has_baseline)
{
	struct treg_observation *all = NULL;
	size_t n = 0, i;
	int rc;

	*has_latest = 0;
	*has_baseline = 0;
	rc = treg_store_list_observations(st, url, &all, &n);
	if (rc < 0)
		return rc;

	if (n > 0) {
		*latest = all[n - 1];
		*has_latest = 1;
	}
	for (i = 0; i < n; i++) {
		if (all[i].at >= verified_at && all[i].digest[0] != '\0' &&
		    !(all[i].flags & TREG_OBS_UNVERIFIABLE)) {
			*baseline = all[i];
			*has_baseline = 1;
			break;
		}
	}
	free(all);
	return 0;
}

/* Looks for each of the cell's quotations in the evidence's latest text. */
static int
crawl_check_quotes(struct treg_store *st, const struct treg_cell *cell,
    struct treg_evidence *ev)
{
	char *text = NULL;
	size_t len = 0, i;
	int found, have_text;

	ev->nquotes = cell->nquotes;
	if (cell->nquotes == 0)
		return 0;
	ev->quotes = calloc(cell->nquotes, sizeof(*ev->quotes));
	if (ev->quotes == NULL)
		return -ENOMEM;

	have_text = ev->digest[0] != '\0' && !ev->unverifiable &&
	    treg_store_get_text(st, ev->digest, &text, &len) == 0;
	for (i = 0; i < cell->nquotes; i++) {
		ev->quotes[i] = TREG_QUOTE_UNCHECKED;
		if (!have_text)
			continue;
		found = treg_normalize_find_quote(text, len, cell->quotes[i]);
		if (found >= 0)
			ev->quotes[i] = found ? TREG_QUOTE_FOUND :
			    TREG_QUOTE_MISSING;
	}
	free(text);
	return 0;
}

static int
crawl_fill_evidence(struct treg_store *st, const struct treg_cell *cell,
    const char *cited, enum treg_role role, struct treg_evidence *ev)
{
	struct treg_observation latest, base;
	struct treg_url_state state;
	int has_latest, has_base, rc;

	memset(&state, 0, sizeof(state));
	ev->role = role;
	ev->url = strdup(cited);
	ev->fetch_url = role == TREG_ROLE_ARCHIVE ?
	    treg_fetch_raw_archive_url(cited) : strdup(cited);
	if (ev->url == NULL || ev->fetch_url == NULL)
		return -ENOMEM;

	rc = crawl_find_observations(st, ev->fetch_url, cell->verified_at,
	    &latest, &has_latest, &base, &has_base);
	if (rc < 0)
		return rc;
	if (has_latest) {
		ev->fetched = 1;
		ev->at = latest.at;
		ev->status = latest.status;
		if (latest.error != TREG_FETCH_OK) {
			ev->error = strdup(treg_fetch_error_name(
			    (enum treg_fetch_error)latest.error));
			if (ev->error == NULL)
				return -ENOMEM;
		}
		ev->moved = (latest.flags & TREG_OBS_MOVED) != 0;
		ev->unverifiable = (latest.flags & TREG_OBS_UNVERIFIABLE) != 0;
		memcpy(ev->digest, latest.digest, sizeof(ev->digest));
		ev->simhash = latest.simhash;
		ev->words = latest.words;
		ev->rules = latest.rules;
	}
	if (has_base) {
		ev->has_baseline = 1;
		ev->baseline_at = base.at;
		memcpy(ev->baseline_digest, base.digest,
		    sizeof(ev->baseline_digest));
		ev->baseline_simhash = base.simhash;
		ev->baseline_words = base.words;
		ev->baseline_rules = base.rules;
	}

	if (treg_store_get_url(st, ev->fetch_url, &state) == 0) {
		ev->failures = state.failures;
		ev->first_failure = state.first_failure;
		ev->detail = state.detail;
		ev->final_url = state.final_url;
		ev->reason = state.reason;
		ev->chain = state.chain;
		state.detail = NULL;
		state.final_url = NULL;
		state.reason = NULL;
		state.chain = NULL;
		treg_store_url_cleanup(&state);
	}
	rc = crawl_soft404_judge(st, ev);
	if (rc < 0)
		return rc;
	return crawl_check_quotes(st, cell, ev);
}

/*
 * Flap damping and bot-wall streaks for one evidence URL: a failure is
 * "failing" until it has repeated dead_after_failures times over
 * dead_after_hours; the same count of bot walls in a row asks for a
 * person or the archive.
 */
static void
crawl_damp(const struct treg_config *cfg, struct treg_store *st,
    time_t now, struct treg_evidence *ev)
{
	struct treg_observation *all = NULL;
	size_t n = 0;
	char *detail = NULL;

	ev->dead_after = cfg->dead_after_failures > 0 ?
	    (uint32_t)cfg->dead_after_failures : 1;
	ev->dead_after_hours = (uint32_t)cfg->dead_after_hours;
	ev->damped = treg_verdict_damped(ev->failures, ev->first_failure, now,
	    cfg->dead_after_failures, cfg->dead_after_hours);
	if (treg_store_list_observations(st, ev->fetch_url, &all, &n) < 0)
		return;
	while (n > 0 && (all[n - 1].flags & TREG_OBS_BLOCKED)) {
		ev->blocked_streak++;
		n--;
	}
	free(all);
	if (ev->blocked_streak < ev->dead_after || ev->blocked_streak < 2)
		return;
	if (asprintf(&detail, "%s; blocked %u times in a row: needs "
	    "archive/manual check", ev->detail != NULL ? ev->detail :
	    "bot challenge", ev->blocked_streak) < 0)
		return;
	free(ev->detail);
	ev->detail = detail;
}

/* A cell keeps the time it entered its state while it stays in it, so a
 * feed entry for it keeps one id. */
static void
crawl_keep_since(struct treg_store *st, const char *key,
    struct treg_verdict *v, time_t now)
{
	enum treg_state state;
	int64_t since;
	char *data = NULL;
	size_t len = 0;

	v->since = (int64_t)now;
	if (treg_store_get_cell(st, key, &data, &len) < 0)
		return;
	if (treg_report_verdict_state(data, len, &state, &since) == 0 &&
	    state == v->state && since != 0 && since <= v->since)
		v->since = since;
	free(data);
}

static int
crawl_judge_cell(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_offering *off, const struct treg_cell *cell,
    time_t now, struct treg_verdict *v)
{
	struct treg_policy policy = { cfg->review_after_days };
	char *key = NULL, *json = NULL;
	size_t i, nev;
	int rc = -ENOMEM;

	v->offering = strdup(off->id);
	v->cell = strdup(cell->key);
	v->verified = strdup(cell->verified);
	v->quotes = calloc(cell->nquotes + 1, sizeof(*v->quotes));
	/* Room for exactly the evidence the cell has: every verdict of a
	 * run is held until the report is written. */
	nev = (size_t)(cell->source != NULL) + (cell->archived != NULL);
	v->ev = calloc(nev > 0 ? nev : 1, sizeof(*v->ev));
	if (v->offering == NULL || v->cell == NULL || v->verified == NULL ||
	    v->quotes == NULL || v->ev == NULL)
		goto out;
	for (i = 0; i < cell->nquotes; i++) {
		v->quotes[i] = strdup(cell->quotes[i]);
		if (v->quotes[i] == NULL)
			goto out;
		v->nquotes++;
	}

	if (cell->source != NULL) {
		rc = crawl_fill_evidence(st, cell, cell->source,
		    TREG_ROLE_SOURCE, &v->ev[v->nev++]);
		if (rc == 0)
			rc = treg_baseline_fill(st, off->id, cell,
			    (unsigned)cfg->region_context,
			    &v->ev[v->nev - 1]);
		if (rc < 0)
			goto out;
	}
	if (cell->archived != NULL) {
		rc = crawl_fill_evidence(st, cell, cell->archived,
		    TREG_ROLE_ARCHIVE, &v->ev[v->nev++]);
		if (rc == 0)
			rc = treg_baseline_fill_archive(st,
			    &v->ev[v->nev - 1]);
		if (rc < 0)
			goto out;
	}

	for (i = 0; i < v->nev; i++)
		crawl_damp(cfg, st, now, &v->ev[i]);
	rc = treg_verdict_judge(v, cell->verified_at, now, &policy);
	if (rc < 0)
		goto out;
	v->judged = (int64_t)now;

	rc = -ENOMEM;
	if (asprintf(&key, "%s/%s", off->id, cell->key) < 0) {
		key = NULL;
		goto out;
	}
	crawl_keep_since(st, key, v, now);
	rc = treg_report_verdict_to_json(v, &json);
	if (rc == 0)
		rc = treg_store_put_cell(st, key, json, strlen(json));

out:
	free(key);
	free(json);
	return rc;
}

#define CRAWL_JUDGE_BATCH	256	/* verdicts a commit */

/* Judges the cells of off for treg_crawl_judge(), numbered from first +
 * 1 in registry order, counting the verdicts handed on in *countp and
 * setting *failedp when a cell failed. */
static int
crawl_judge_offering(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_offering *off, uint32_t first, time_t now,
    treg_crawl_verdict_fn each, void *arg, size_t *countp, int *failedp)
{
	struct treg_verdict v;
	size_t j;
	int rc = 0;

	for (j = 0; j < off->ncells && rc == 0; j++) {
		memset(&v, 0, sizeof(v));
		v.order = first + (uint32_t)j + 1;
		rc = crawl_judge_cell(cfg, st, off, &off->cells[j], now, &v);
		/* One cell the store refuses (a key it cannot hold) must
		 * not cost every other cell its verdict.  A judged verdict
		 * is still reported; a half-built one is dropped.  A store
		 * that fails for good fails the commit after. */
		if (rc < 0 && rc != -ENOMEM) {
			log_err("crawl", "cell=%s/%s judging failed: err=%s",
			    off->id, off->cells[j].key, strerror(-rc));
			*failedp = 1;
			rc = 0;
		}
		/* Each verdict is handed on and let go: a run never holds
		 * them all. */
		if (rc == 0 && v.judged != 0) {
			(*countp)++;
			rc = each(arg, &v);
			/* Smaller batches keep LMDB's dirty pages few; a
			 * verdict stands alone, so a later failure that
			 * loses the rest loses nothing these need. */
			if (rc == 0 && *countp % CRAWL_JUDGE_BATCH == 0)
				rc = treg_store_commit(st);
		}
		treg_verdict_cleanup(&v);
	}
	return rc;
}

/* Judges the offering entry, read again from reg if it is an index, its
 * cells numbered from *first + 1; *first then counts them too. */
static int
crawl_judge_one(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_registry *reg, const struct treg_offering *entry,
    uint32_t *first, time_t now, struct crawl_judging *j)
{
	struct crawl_lent lent;
	int rc;

	rc = crawl_lend(reg, entry, &lent);
	if (rc == 0) {
		rc = crawl_judge_offering(cfg, st, lent.off, *first, now,
		    j->each, j->arg, &j->count, &j->failed);
		*first += (uint32_t)lent.off->ncells;
	}
	crawl_give_back(&lent);
	return rc;
}

/* What treg_crawl_judge() returns once judging stopped with rc. */
static int
crawl_judge_end(struct treg_store *st, const struct crawl_judging *j,
    int rc)
{
	if (rc == 0)
		rc = treg_store_commit(st);
	if (rc < 0) {
		/* A registry file changed under the run has said so, with
		 * what to do. */
		if (rc != -ESTALE)
			log_err("crawl", "judging failed: err=%s",
			    strerror(-rc));
		treg_store_abort(st);
		/* -EIO says some cells failed and the rest were judged:
		 * a store that failed for good with EIO judged too few
		 * for a report to be filed. */
		return rc == -EIO ? -ECANCELED : rc;
	}
	return j->failed ? -EIO : 0;
}

int
treg_crawl_judge(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_registry *reg,
    const struct treg_offering *const *offerings, size_t n, time_t now,
    treg_crawl_verdict_fn each, void *arg)
{
	struct crawl_judging j = { .each = each, .arg = arg };
	uint32_t first = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = crawl_judge_one(cfg, st, reg, offerings[i], &first, now,
		    &j);
	return crawl_judge_end(st, &j, rc);
}

/*
 * Judges the next offerings whose URLs have all ended, in the order they
 * get ready (crawl_urlset_ready()), about a batch of cells a turn so
 * that transfers are not kept waiting; with all set, every offering
 * left.  Not while a soft-404 probe runs: a source's verdict depends on
 * its host's probe, queued when the host's first URL started.
 */
static void
crawl_judge_ready(struct crawl *c, int all)
{
	struct crawl_judging *j = c->judging;
	struct treg_crawl_urlset *set = c->urlset;
	size_t start, k;
	uint32_t first;

	if (j == NULL || j->rc < 0 || (!all && c->probing > 0))
		return;
	start = j->count;
	while (j->next < c->noffer) {
		k = set->ready_seq[j->next];
		if (!all && (!crawl_urlset_ready(set, k) ||
		    j->count - start >= CRAWL_JUDGE_BATCH))
			break;
		first = set->first_cell[k];
		j->rc = crawl_judge_one(c->cfg, c->store, j->reg,
		    c->offerings[k], &first, (time_t)c->now, j);
		if (j->rc < 0)
			return;
		log_debug("crawl", "offering=%s judged running=%zu",
		    c->offerings[k]->id, c->running);
		j->next++;
	}
}

int
treg_crawl_run_judge(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_registry *reg,
    const struct treg_offering *const *offerings, size_t n, time_t now,
    struct treg_crawl_stats *stats, treg_crawl_verdict_fn each, void *arg,
    int *judgedp)
{
	struct crawl_judging j = { .reg = reg, .each = each, .arg = arg };
	int rc;

	rc = crawl_run(cfg, st, reg, offerings, n, now, stats, &j);
	*judgedp = rc < 0 ? rc : crawl_judge_end(st, &j, j.rc);
	return rc;
}

/*
 * The daemon's crawler.  It is the one-shot crawl kept open: same jobs,
 * same done callback, with a fetcher that lives as long as the crawler
 * and observations stamped when each URL ends.
 */
struct treg_crawl {
	struct crawl c;
};

struct treg_crawl *
treg_crawl_new(struct event_base *base, const struct treg_config *cfg,
    struct treg_store *st, const struct treg_crawl_hooks *hooks, void *arg)
{
	struct treg_crawl *cr;

	cr = calloc(1, sizeof(*cr));
	if (cr == NULL) {
		log_err("crawl", "out of memory");
		return NULL;
	}
	cr->c.cfg = cfg;
	cr->c.store = st;
	cr->c.base = base;
	cr->c.live = 1;
	cr->c.stats = &cr->c.live_stats;
	cr->c.hooks = hooks;
	cr->c.hooks_arg = arg;
	cr->c.commit_ev = evtimer_new(base, crawl_commit_cb, &cr->c);
	cr->c.fetch = treg_fetch_new(base, cfg);
	if (cr->c.commit_ev == NULL || cr->c.fetch == NULL ||
	    crawl_setup_fetch(&cr->c, cr->c.fetch) < 0) {
		log_err("crawl", "cannot create the crawler");
		treg_crawl_free(cr);
		return NULL;
	}
	cr->c.feed = cr->c.fetch;
	crawl_pool_start(&cr->c);
	return cr;
}

void
treg_crawl_set_offerings(struct treg_crawl *cr,
    const struct treg_offering *const *offerings, size_t n)
{
	treg_crawl_urlset_free(cr->c.urlset);
	cr->c.urlset = NULL;
	cr->c.offerings = offerings;
	cr->c.noffer = n;
}

int
treg_crawl_add(struct treg_crawl *cr, const char *url)
{
	return crawl_start(&cr->c, cr->c.fetch, url);
}

size_t
treg_crawl_running(const struct treg_crawl *cr)
{
	return cr->c.running;
}

long
treg_crawl_max_connections(const struct treg_crawl *cr)
{
	return treg_fetch_max_connections(cr->c.fetch);
}

int
treg_crawl_store_failed(struct treg_crawl *cr)
{
	int failed = cr->c.store_failed;

	cr->c.store_failed = 0;
	return failed;
}

struct treg_fetch *
treg_crawl_fetcher(struct treg_crawl *cr)
{
	return cr->c.fetch;
}

void
treg_crawl_free(struct treg_crawl *cr)
{
	if (cr == NULL)
		return;
	crawl_pool_stop(&cr->c);
	treg_fetch_free(cr->c.fetch);
	if (cr->c.commit_ev != NULL)
		event_free(cr->c.commit_ev);
	if (treg_store_commit(cr->c.store) < 0)
		log_warn("crawl", "last batch lost at shutdown");
	treg_crawl_urlset_free(cr->c.urlset);
	crawl_probed_free(&cr->c);
	free(cr);
}

static int
crawl_cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* Whether the cell cites one of the urls (sorted). */
static int
crawl_cell_affected(const struct treg_cell *cell, char *const *urls,
    size_t nurls)
{
	char *raw;
	int hit = 0;

	if (cell->source == NULL && cell->archived == NULL)
		return nurls == 0;
	if (nurls == 0)
		return 0;
	if (cell->source != NULL &&
	    bsearch(cell->source, urls, nurls, sizeof(*urls),
	    crawl_cmp_key) != NULL)
		return 1;
	if (cell->archived == NULL)
		return 0;
	raw = treg_fetch_raw_archive_url(cell->archived);
	if (raw != NULL)
		hit = bsearch(raw, urls, nurls, sizeof(*urls),
		    crawl_cmp_key) != NULL;
	free(raw);
	return hit;
}

/* The cell's stored verdict, if it has one that reads. */
static int
crawl_previous(struct treg_store *st, const struct treg_offering *off,
    const struct treg_cell *cell, struct treg_verdict *prev)
{
	char *key = NULL, *data = NULL;
	size_t len = 0;
	int rc;

	if (asprintf(&key, "%s/%s", off->id, cell->key) < 0)
		return -ENOMEM;
	rc = treg_store_get_cell(st, key, &data, &len);
	if (rc == 0)
		rc = treg_report_verdict_from_json(data, len, prev);
	free(key);
	free(data);
	return rc;
}

int
treg_crawl_judge_urls(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_offering *const *offerings, size_t n,
    char *const *urls, size_t nurls, time_t now,
    void (*cb)(void *arg, const struct treg_verdict *prev,
    const struct treg_verdict *v), void *arg)
{
	struct treg_verdict prev, v;
	const struct treg_cell *cell;
	size_t i, j, order = 0;
	int rc = 0, has_prev;

	for (i = 0; i < n && rc == 0; i++) {
		for (j = 0; j < offerings[i]->ncells && rc == 0; j++) {
			cell = &offerings[i]->cells[j];
			order++;
			if (!crawl_cell_affected(cell, urls, nurls))
				continue;
			memset(&prev, 0, sizeof(prev));
			memset(&v, 0, sizeof(v));
			v.order = (uint32_t)order;
			has_prev = crawl_previous(st, offerings[i], cell,
			    &prev) == 0;
			rc = crawl_judge_cell(cfg, st, offerings[i], cell,
			    now, &v);
			if (rc == 0 && cb != NULL)
				cb(arg, has_prev ? &prev : NULL, &v);
			treg_verdict_cleanup(&prev);
			treg_verdict_cleanup(&v);
		}
	}
	if (rc == 0)
		rc = treg_store_commit(st);
	if (rc < 0) {
		log_err("crawl", "judging failed: err=%s", strerror(-rc));
		treg_store_abort(st);
	}
	return rc;
}

int
treg_crawl_list_urls(const struct treg_offering *const *offerings,
    size_t n, char ***urlsp, size_t *nurlsp)
{
	struct treg_crawl_urlset *set = NULL;
	char **urls = NULL;
	size_t i, count = 0;
	int rc;

	rc = crawl_collect(NULL, offerings, n, 0, 0, &set);
	if (rc < 0)
		return rc;
	count = treg_crawl_urlset_count(set);
	urls = calloc(count + 1, sizeof(*urls));
	rc = urls != NULL ? 0 : -ENOMEM;
	for (i = 0; i < count && rc == 0; i++) {
		urls[i] = strdup(treg_crawl_urlset_url(set, i));
		if (urls[i] == NULL)
			rc = -ENOMEM;
	}
	treg_crawl_urlset_free(set);
	if (rc < 0) {
		treg_crawl_urls_free(urls, count);
		return rc;
	}
	*urlsp = urls;
	*nurlsp = count;
	return 0;
}

void
treg_crawl_urls_free(char **urls, size_t n)
{
	size_t i;

	if (urls == NULL)
		return;
	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

/* A stored verdict's key and registry position. */
struct crawl_stored {
	uint32_t order;		/* 0: unknown */
	char	*key;
};

struct crawl_stored_set {
	struct crawl_stored *s;
	size_t	 n;
	size_t	 cap;
};

static int
crawl_stored_cb(void *arg, const char *key, const char *data, size_t len)
{
	struct crawl_stored_set *set = arg;
	struct crawl_stored *grown;
	uint32_t order;

	if (treg_report_verdict_order(data, len, &order) < 0) {
		log_warn("crawl", "cell=%s unreadable record skipped", key);
		return 0;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 64;
		grown = realloc(set->s, set->cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		set->s = grown;
	}
	set->s[set->n].order = order;
	set->s[set->n].key = strdup(key);
	if (set->s[set->n].key == NULL)
		return -ENOMEM;
	set->n++;
	return 0;
}

/*
 * Keys "OFFERING/CELL" by offering, then cell.  Not strcmp() of the
 * keys: "openai-api/x" sorts before "openai/x" ('-' < '/') where the
 * offering "openai" sorts first.  An offering id is a slug, without '/'.
 */
static int
crawl_key_cmp(const char *x, const char *y)
{
	size_t xn = strcspn(x, "/"), yn = strcspn(y, "/");
	int c;

	c = memcmp(x, y, xn < yn ? xn : yn);
	if (c != 0 || xn != yn)
		return c != 0 ? c : xn < yn ? -1 : 1;
	return strcmp(x + xn, y + yn);
}

/* Registry order; cells of unknown position after, by offering and
 * cell.  Verdicts of cells gone from the registry keep their old
 * positions, so positions repeat. */
static int
crawl_stored_cmp(const void *a, const void *b)
{
	const struct crawl_stored *x = a, *y = b;
	uint64_t xo = x->order != 0 ? x->order : UINT64_MAX;
	uint64_t yo = y->order != 0 ? y->order : UINT64_MAX;

	if (xo != yo)
		return xo < yo ? -1 : 1;
	return crawl_key_cmp(x->key, y->key);
}

/* Notes in v when cell, as the registry has it now, differs from what
 * v was judged on. */
static int
crawl_note_registry(struct treg_verdict *v, const struct treg_cell *cell)
{
	struct treg_cell_now now;
	char *raw = NULL;
	int rc;

	if (cell->archived != NULL) {
		raw = treg_fetch_raw_archive_url(cell->archived);
		if (raw == NULL)
			return -ENOMEM;
	}
	now.verified = cell->verified;
	now.source = cell->source;
	now.archived = cell->archived;
	now.archived_fetch = raw;
	now.quotes = cell->quotes;
	now.nquotes = cell->nquotes;
	rc = treg_verdict_note_registry(v, &now);
	free(raw);
	return rc;
}

/* Reads the verdict stored under key and hands it to each, placed at
 * order when that is not 0, with a note when cell (when not NULL) has
 * changed since.  -ENOENT when there is none, -EBADMSG when it cannot
 * be read (logged). */
static int
crawl_each_one(struct treg_store *st, const char *key, uint32_t order,
    const struct treg_cell *cell, treg_crawl_verdict_fn each, void *arg,
    size_t *np)
{
	struct treg_verdict v;
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = treg_store_get_cell(st, key, &data, &len);
	if (rc < 0)
		return rc;
	rc = treg_report_verdict_from_json(data, len, &v);
	free(data);
	if (rc < 0) {
		log_warn("crawl", "cell=%s unreadable record skipped", key);
		return -EBADMSG;
	}
	if (order != 0)
		v.order = order;
	rc = cell != NULL ? crawl_note_registry(&v, cell) : 0;
	if (rc == 0)
		rc = each(arg, &v);
	treg_verdict_cleanup(&v);
	(*np)++;
	return rc;
}

int
treg_crawl_each_stored(struct treg_store *st, treg_crawl_verdict_fn each,
    void *arg, size_t *np)
{
	struct crawl_stored_set set = { NULL, 0, 0 };
	size_t i;
	int rc;

	*np = 0;
	/* Keys and positions first, then each verdict whole in order:
	 * only one is ever held. */
	rc = treg_store_foreach_cell(st, crawl_stored_cb, &set);
	if (rc == 0 && set.n > 1)
		qsort(set.s, set.n, sizeof(*set.s), crawl_stored_cmp);
	for (i = 0; i < set.n && rc == 0; i++) {
		rc = crawl_each_one(st, set.s[i].key, 0, NULL, each, arg,
		    np);
		/* Gone since the first walk, or unreadable (logged). */
		if (rc == -ENOENT || rc == -EBADMSG)
			rc = 0;
	}
	for (i = 0; i < set.n; i++)
		free(set.s[i].key);
	free(set.s);
	return rc;
}

void
treg_crawl_coverage_cleanup(struct treg_crawl_coverage *cov)
{
	size_t i;

	for (i = 0; i < cov->nnamed; i++)
		free(cov->named[i]);
	memset(cov, 0, sizeof(*cov));
}

/* Counts key, a cell without a readable verdict, naming the first few. */
static int
crawl_note_unjudged(struct treg_crawl_coverage *cov, const char *key)
{
	cov->unjudged++;
	if (cov->nnamed == TREG_REPORT_NAMED)
		return 0;
	cov->named[cov->nnamed] = strdup(key);
	if (cov->named[cov->nnamed] == NULL)
		return -ENOMEM;
	cov->nnamed++;
	return 0;
}

/* Hands on the stored verdicts of off's cells, counting in *foundp the
 * cells with a record and in cov those without a readable one. */
static int
crawl_each_cell_of(struct treg_store *st, const struct treg_offering *off,
    uint32_t *order, treg_crawl_verdict_fn each, void *arg, size_t *np,
    size_t *foundp, struct treg_crawl_coverage *cov)
{
	char *key;
	size_t j;
	int rc = 0;

	for (j = 0; j < off->ncells && rc == 0; j++) {
		if (asprintf(&key, "%s/%s", off->id, off->cells[j].key) < 0)
			return -ENOMEM;
		rc = crawl_each_one(st, key, ++*order, &off->cells[j], each,
		    arg, np);
		if (rc == 0 || rc == -EBADMSG)
			(*foundp)++;
		if (rc == -ENOENT || rc == -EBADMSG)
			rc = crawl_note_unjudged(cov, key);
		free(key);
	}
	return rc;
}

int
treg_crawl_each_registered(struct treg_store *st,
    const struct treg_registry *reg, treg_crawl_verdict_fn each,
    void *arg, size_t *np, struct treg_crawl_coverage *cov)
{
	struct crawl_lent lent;
	size_t i, stored = 0, found = 0;
	uint32_t order = 0;
	int rc;

	*np = 0;
	memset(cov, 0, sizeof(*cov));
	rc = treg_store_cell_count(st, &stored);
	for (i = 0; i < reg->noffer && rc == 0; i++) {
		rc = crawl_lend(reg, &reg->offerings[i], &lent);
		if (rc < 0)
			break;
		rc = crawl_each_cell_of(st, lent.off, &order, each, arg, np,
		    &found, cov);
		crawl_give_back(&lent);
	}
	if (rc == 0 && stored > found)
		cov->gone = stored - found;
	return rc;
}
