/* SPDX-License-Identifier: MIT */
/*
 * The state store: one LMDB environment under the state directory.  It
 * holds, with a schema version, per-URL fetch state, the observations of
 * each URL in time order, extracted texts deduplicated by digest
 * (zstd-compressed), and per-cell records.  Only this module includes
 * lmdb.h.  Writes are grouped: treg_store_begin() opens one write
 * transaction that every put joins until treg_store_commit(), so a crawl
 * pays one fsync per batch, not per page.  Values returned are copies the
 * caller owns; nothing points into LMDB's map after a call returns.
 */
#ifndef TREG_STORE_H
#define TREG_STORE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "digest.h"

#define TREG_STORE_SCHEMA	1

/* Observation flags. */
#define TREG_OBS_NOT_MODIFIED	0x01	/* 304: digest carried over */
#define TREG_OBS_UNVERIFIABLE	0x02	/* fetched, no usable text */
#define TREG_OBS_MOVED		0x04	/* permanent redirect */
#define TREG_OBS_REDIRECTED     0x08    /* temporary redirect(s) followed */
#define TREG_OBS_TRUNCATED      0x10    /* text kept was cut at max_text */
#define TREG_OBS_BLOCKED	0x20	/* a bot wall answered */

/* One fetch of one URL.  Kept small: a few dozen bytes on disk. */
struct treg_observation {
	int64_t  at;            /* time of the fetch, seconds since epoch */
	uint16_t status;	/* HTTP status; 0 if none */
	uint8_t	 error;		/* enum treg_fetch_error */
	uint8_t	 flags;		/* TREG_OBS_* */
	uint8_t  rules;         /* extraction rules version of digest
				 * (TREG_EXTRACT_RULES_VERSION, 1-127);
				 * 0 in records written before it */
	uint32_t words;		/* words of text; 0 if none */
	uint64_t simhash;
	char	 digest[TREG_SHA256_HEXLEN + 1];  /* "" if no text */
};

/* The latest state of one URL.  Strings are malloc'd, owned by the
 * struct; release with treg_store_url_cleanup(). */
struct treg_url_state {
	char	*etag;
	char	*last_modified;
	char	*final_url;	/* after redirects, or NULL */
	char	*detail;	/* last error or redirect detail, or NULL */
	int64_t	 last_fetch;
	int64_t	 next_due;
	int64_t  first_failure; /* start of the failure streak; 0 */
	uint32_t failures;	/* consecutive failures */
	uint16_t last_status;
	uint8_t	 last_error;
	char    *reason;        /* named reason of the last fetch, or NULL */
	char    *chain;         /* "301 URL -> 302 URL" redirects, or NULL */
};

struct treg_store;

/*
 * Opens (creating if needed) the environment in directory dir, which is
 * created too.  Returns NULL (logged with the reason) on failure,
 * including a store of a newer schema.
 */
struct treg_store *treg_store_open(const char *dir);

/* As treg_store_open(), starting from a map of mapsize bytes (rounded up
 * to a page) instead of the default 256 MiB.  The map doubles as it
 * fills; tests use a small one to exercise that. */
struct treg_store *treg_store_open_with_mapsize(const char *dir,
	    size_t mapsize);

/* Commits any open batch and closes; NULL does nothing. */
void	treg_store_close(struct treg_store *st);

/* Opens the write batch if none is open.  Returns 0 or a negative errno. */
int	treg_store_begin(struct treg_store *st);

/* Commits the open batch (durably); no batch is not an error.  Returns 0
 * or a negative errno (the batch is then lost, earlier ones kept). */
int	treg_store_commit(struct treg_store *st);

/*
 * A put that fails inside a batch (disk error, or a map that filled: it
 * is then grown) loses the whole batch: that put, every later put and
 * the commit return the error, and treg_store_commit() or
 * treg_store_abort() clears it so the caller can redo the batch.  A put
 * that is the first of its batch is retried on the grown map instead.
 */

/* Drops the open batch, if any. */
void	treg_store_abort(struct treg_store *st);

/* URL state.  get returns 0 and fills *out, -ENOENT, or another negative
 * errno.  put writes inside the open batch (opening one if needed). */
int	treg_store_get_url(struct treg_store *st, const char *url,
	    struct treg_url_state *out);
int	treg_store_put_url(struct treg_store *st, const char *url,
	    const struct treg_url_state *state);
void	treg_store_url_cleanup(struct treg_url_state *state);

/* Appends an observation to url's history (inside the batch). */
int	treg_store_add_observation(struct treg_store *st, const char *url,
	    const struct treg_observation *obs);

/* All observations of url, oldest first, as a malloc'd array the caller
 * frees (NULL and 0 when none).  Returns 0 or a negative errno. */
int	treg_store_list_observations(struct treg_store *st, const char *url,
	    struct treg_observation **obsp, size_t *nobsp);

/* Writes in the open batch so far (0 when none is open). */
unsigned int treg_store_batch_writes(const struct treg_store *st);

/* Stores a text under its digest unless present (compressed).  Returns 0
 * or a negative errno. */
int	treg_store_put_text(struct treg_store *st, const char *digest,
	    const char *text, size_t len);

/* As treg_store_put_text() for the first len bytes of fp, compressed
 * from a mapping of the file (treg_digest_map_file()) or, when it cannot
 * be mapped, streamed through the compressor, so a large body is never
 * whole in the heap: only its compressed form is.  Returns 0 or a
 * negative errno (-EIO when fp holds fewer than len bytes). */
int	treg_store_put_text_file(struct treg_store *st, const char *digest,
	    FILE *fp, size_t len);

/* The text of a digest: *textp is a malloc'd NUL-terminated copy the
 * caller frees.  Returns 0, -ENOENT, or another negative errno. */
int	treg_store_get_text(struct treg_store *st, const char *digest,
	    char **textp, size_t *lenp);

/* Per-cell records (opaque bytes, the verdict as report.h serialises
 * it), keyed "OFFERING/CELL".  get: *datap malloc'd, NUL-terminated. */
int	treg_store_put_cell(struct treg_store *st, const char *key,
	    const char *data, size_t len);
int	treg_store_get_cell(struct treg_store *st, const char *key,
	    char **datap, size_t *lenp);
/* The number of cell records. */
int	treg_store_cell_count(struct treg_store *st, size_t *np);

/* Calls fn for each cell record in key order until fn returns non-zero
 * (that value is returned).  Records are read a batch at a time, so a
 * record fn writes or deletes ahead of the walk may or may not be seen.
 * Returns 0 or a negative errno. */
int	treg_store_foreach_cell(struct treg_store *st,
	    int (*fn)(void *arg, const char *key, const char *data,
	    size_t len), void *arg);

/*
 * The crawl schedule: each URL's next due time (seconds since the epoch),
 * indexed by time in the store so that it is read a page at a time.
 * set and remove write inside the open batch (opening one if needed);
 * removing an unscheduled URL is not an error.  get returns 0, -ENOENT
 * or another negative errno.  count gives the number of scheduled URLs.
 */
int	treg_store_sched_set(struct treg_store *st, const char *url,
	    int64_t due);
int	treg_store_sched_remove(struct treg_store *st, const char *url);
int	treg_store_sched_get(struct treg_store *st, const char *url,
	    int64_t *duep);
int	treg_store_sched_count(struct treg_store *st, size_t *np);

/* A place in the schedule's time order; zero it to start at the top. */
struct treg_store_sched_pos {
	int64_t	 due;
	uint64_t id;
	int	 started;
};

/* One scheduled URL; url is malloc'd, released with
 * treg_store_sched_entries_cleanup(). */
struct treg_store_sched_entry {
	char	*url;
	int64_t	 due;
};

/*
 * Reads up to max scheduled URLs due at or before until, in due order,
 * starting after *pos, into out, and advances *pos past them.  *np is
 * the count read; fewer than max means the end was reached.  Returns 0
 * or a negative errno (then out holds nothing).
 */
int	treg_store_sched_page(struct treg_store *st,
	    struct treg_store_sched_pos *pos, int64_t until,
	    struct treg_store_sched_entry *out, size_t max, size_t *np);
void	treg_store_sched_entries_cleanup(struct treg_store_sched_entry *e,
	    size_t n);

/* Named byte blobs (the registry's last good export).  put writes inside
 * the batch; get sets *datap to a malloc'd NUL-terminated copy.  Return
 * 0, -ENOENT (get) or another negative errno. */
int	treg_store_put_blob(struct treg_store *st, const char *name,
	    const char *data, size_t len);
int	treg_store_get_blob(struct treg_store *st, const char *name,
	    char **datap, size_t *lenp);

/* Auxiliary records of the modules above the store, keyed by a string
 * (at most 400 bytes): get returns a malloc'd NUL-terminated copy in
 * *datap, or -ENOENT; put and del join the batch (deleting a missing key
 * is not an error).  Return 0 or a negative errno. */
int	treg_store_put_aux(struct treg_store *st, const char *key,
	    const void *data, size_t len);
int	treg_store_get_aux(struct treg_store *st, const char *key,
	    char **datap, size_t *lenp);
int	treg_store_del_aux(struct treg_store *st, const char *key);

/*
 * History pruning.  Removes, inside the batch, every observation older
 * than before except the latest of each URL and those keep_cb keeps (it
 * returns non-zero).  how tells keep_cb where the observation stands in
 * its URL's history: TREG_STORE_PRUNE_RUN_START when its digest differs
 * from the one before it, TREG_STORE_PRUNE_FIRST_TEXT for the first with
 * text.  keep_cb must not call the store.  *removedp counts the removed.
 * Returns 0 or a negative errno.
 */
#define TREG_STORE_PRUNE_RUN_START	0x1
#define TREG_STORE_PRUNE_FIRST_TEXT	0x2
int	treg_store_prune_observations(struct treg_store *st, int64_t before,
	    int (*keep_cb)(void *arg, const struct treg_observation *o,
	    unsigned int how), void *arg, size_t *removedp);

/* Calls fn for every observation of every URL (each URL's in time
 * order) until fn returns non-zero, which is returned; fn must not write
 * to the store.  Returns 0 or a negative errno. */
int	treg_store_foreach_observation(struct treg_store *st,
	    int (*fn)(void *arg, const struct treg_observation *o),
	    void *arg);

/* Calls fn for each auxiliary record whose key starts with prefix, in
 * key order, until fn returns non-zero (returned); fn gets copies and
 * must not write to the store.  Returns 0 or a negative errno. */
int	treg_store_foreach_aux(struct treg_store *st, const char *prefix,
	    int (*fn)(void *arg, const char *key, const char *data,
	    size_t len), void *arg);

/* Removes, inside the batch, every stored text (page texts and raw
 * bodies alike) whose digest keep_cb does not keep; keep_cb must not
 * call the store.  *removedp counts them.  Returns 0 or a negative
 * errno. */
int	treg_store_prune_texts(struct treg_store *st,
	    int (*keep_cb)(void *arg, const char *digest), void *arg,
	    size_t *removedp);

#endif
