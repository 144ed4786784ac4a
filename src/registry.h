/* SPDX-License-Identifier: MIT */
/*
 * The registry: offerings and their cells, read from the registry's own
 * JSON export (one file, or a directory of such files).  Every field the
 * crawler relies on is checked; unknown fields are accepted and ignored so
 * a newer export still loads.  Everything here is owned by the registry
 * and lives until treg_registry_free(); strings may be shared between
 * offerings and cells, so all of them are read-only.
 */
#ifndef TREG_REGISTRY_H
#define TREG_REGISTRY_H

#include <stddef.h>
#include <time.h>

/* The known cell keys, in the registry's display order. */
#define TREG_NCELL_KEYS	11
extern const char *const treg_cell_keys[TREG_NCELL_KEYS];

/* A quoted passage shorter than this many words is emphasis ("default"),
 * not a quotation of the evidence. */
#define TREG_QUOTE_MIN_WORDS	4

/* Longest offering id, in bytes.  The id is part of every key the store
 * writes for the offering's cells, and LMDB refuses keys over 511 bytes:
 * a longer id would pass the load and fail every run. */
#define TREG_REGISTRY_ID_MAX	128

struct treg_attr {
	char	*key;
	char	*value;		/* scalars rendered as text */
};

struct treg_cell {
	const char *key;	/* one of treg_cell_keys (static) */
	char    *question;      /* from the top-level dimensions; may be NULL */
	char	*value;		/* "yes_public", "unclear", ... */
	char	*confidence;	/* "high" | "medium" | "low" */
	char	*verified;	/* "YYYY-MM-DD" */
	time_t	 verified_at;	/* that date, 00:00:00 UTC */
	char	*notes;		/* may be NULL */
	char	*source;	/* http(s) URL, or NULL: no public source */
	char	*archived;	/* http(s) URL, or NULL */
	char    **quotes;       /* from notes' double quotes, then "quotes" */
	size_t	 nquotes;
	struct treg_attr *attrs;	/* tier, route, default, ... */
	size_t	 nattrs;
	char    **keep;         /* "extract" selectors of the cell, else */
	size_t   nkeep;         /* of its offering (see extract.h) */
	char	**drop;
	size_t	 ndrop;
};

struct treg_offering {
	char	*id;		/* "cohere-api" */
	char	*name;
	char	*developer;
	char	*platform;
	char	*category;
	char	*model_family;	/* may be NULL */
	char	*summary;	/* may be NULL */
	long	 sort_order;
	struct treg_cell *cells;	/* in treg_cell_keys order */
	size_t	 ncells;
	char	*file;		/* the file it came from */

	/* Where its JSON lies in that file, for
	 * treg_registry_read_offering(); set in an index only. */
	size_t	 file_index;	/* among the registry's files */
	size_t	 position;	/* in the file's "offerings" */
	size_t	 offset;	/* of its first byte */
	size_t	 length;	/* in bytes */
};

struct treg_registry_pool;

struct treg_registry {
	char	*name;		/* may be NULL */
	char	*generated;	/* may be NULL */
	struct treg_offering *offerings;	/* sorted by sort_order, id */
	size_t	 noffer;
	size_t	 ncells;	/* of all the offerings */

	/* Set by treg_registry_index(): each offering holds its id, file,
	 * sort order and place only, no cells (ncells 0). */
	int	 indexed;

	/* Where the loader keeps its offerings' strings; NULL in a
	 * registry its caller zeroed, which has none. */
	struct treg_registry_pool *pool;
};

/*
 * Loads a registry file or a directory of "*.json" registry files (read in
 * name order; offering ids must be unique across them).  On success sets
 * *regp to a new registry the caller frees with treg_registry_free() and
 * returns 0.  On failure returns -EINVAL (bad content), -ENOENT or another
 * negative errno, and, when errp is not NULL, sets *errp to a malloc'd
 * message the caller frees: "FILE:LINE:COLUMN: message" for JSON syntax,
 * "FILE: offerings[3].dimensions.hipaa_baa.verified: message" for content.
 */
int	treg_registry_load(const char *path, struct treg_registry **regp,
	    char **errp);

/*
 * As treg_registry_load() on a path, and every offering is checked just
 * the same, but the registry keeps of each only what treg_registry_find()
 * and the order need, and where it lies: a registry of 100,000 URLs held
 * 80 MiB of cells for the whole of a crawl that reads them twice.  The
 * file is read a window at a time, never whole.  Read each offering's
 * cells with treg_registry_read_offering().
 */
int	treg_registry_index(const char *path, struct treg_registry **regp,
	    char **errp);

/*
 * Reads the offering off of the index reg again from its file into *onep,
 * a new registry holding only it (whole, cells and all), which the caller
 * frees with treg_registry_free().  The index keeps its files open, so a
 * file replaced or removed since is still read as it was indexed.
 * Returns 0; -ESTALE when the file was rewritten in place (its size or
 * times changed, or its bytes no longer hold that offering as the load
 * would take it: the message then starts with the load's), -EINVAL when
 * reg is not an index, or another negative errno; *errp as for
 * treg_registry_load().
 */
int	treg_registry_read_offering(const struct treg_registry *reg,
	    const struct treg_offering *off, struct treg_registry **onep,
	    char **errp);

/* As treg_registry_load() on bytes in memory; name is used in messages. */
int	treg_registry_load_buffer(const char *name, const char *data,
	    size_t len, struct treg_registry **regp, char **errp);

/* Frees the registry and everything it owns; NULL does nothing. */
void	treg_registry_free(struct treg_registry *reg);

/* Returns the offering with that id, or NULL.  Owned by reg. */
const struct treg_offering *treg_registry_find(
	    const struct treg_registry *reg, const char *id);

/* Returns off's cell of that key, or NULL (off NULL too).  Owned by the
 * offering's registry. */
const struct treg_cell *treg_offering_cell(const struct treg_offering *off,
	    const char *key);

/*
 * Finds the double-quoted passages ("..." or “...”) of at least
 * TREG_QUOTE_MIN_WORDS words in notes.  On success sets *quotesp to a
 * malloc'd array of malloc'd strings (caller frees each and the array) and
 * *nquotesp to its length, and returns 0; -ENOMEM on failure.
 */
int	treg_registry_quotes_from_notes(const char *notes, char ***quotesp,
	    size_t *nquotesp);

/* One file of a registry read from elsewhere (a bundle's member). */
struct treg_registry_part {
	const char *name;	/* used as the file in messages */
	const char *data;
	size_t	 len;
};

/*
 * As treg_registry_load() on a directory, over n parts already in memory
 * (in the order given; offering ids unique across them).  name stands for
 * the whole in messages that concern no one part.
 */
int	treg_registry_load_parts(const char *name,
	    const struct treg_registry_part *parts, size_t n,
	    struct treg_registry **regp, char **errp);

#endif
