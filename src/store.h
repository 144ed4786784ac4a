/* SPDX-License-Identifier: MIT */
/*
 * The state store: one LMDB environment under the state directory.  It
 * holds, with a schema version, per-URL fetch state, the observations of
 * each URL in time order, extracted texts deduplicated by digest
 * (zlib-compressed), and per-cell records.  Only this module includes
 * lmdb.h.  Writes are grouped: treg_store_begin() opens one write
 * transaction that every put joins until treg_store_commit(), so a crawl
 * pays one fsync per batch, not per page.  Values returned are copies the
 * caller owns; nothing points into LMDB's map after a call returns.
 */
#ifndef TREG_STORE_H
#define TREG_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "digest.h"

#define TREG_STORE_SCHEMA	1

/* Observation flags. */
#define TREG_OBS_NOT_MODIFIED	0x01	/* 304: digest carried over */
#define TREG_OBS_UNVERIFIABLE	0x02	/* fetched, no usable text */
#define TREG_OBS_MOVED		0x04	/* permanent redirect */
#define TREG_OBS_REDIRECTED	0x08	/* temporary redirect(s) followed */
#define TREG_OBS_TRUNCATED	0x10	/* text kept was cut at max_text */

/* One fetch of one URL.  Kept small: a few dozen bytes on disk. */
struct treg_observation {
	int64_t	 at;		/* time of the fetch, seconds since epoch */
	uint16_t status;	/* HTTP status; 0 if none */
	uint8_t	 error;		/* enum treg_fetch_error */
	uint8_t	 flags;		/* TREG_OBS_* */
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
	int64_t	 first_failure;	/* start of the failure streak; 0 */
	uint32_t failures;	/* consecutive failures */
	uint16_t last_status;
	uint8_t	 last_error;
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

/* Stores a text under its digest unless present (compressed).  Returns 0
 * or a negative errno. */
int	treg_store_put_text(struct treg_store *st, const char *digest,
	    const char *text, size_t len);

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

/* Calls fn for each cell record in key order until fn returns non-zero
 * (that value is returned).  Returns 0 or a negative errno. */
int	treg_store_foreach_cell(struct treg_store *st,
	    int (*fn)(void *arg, const char *key, const char *data,
	    size_t len), void *arg);

#endif
