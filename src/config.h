/* SPDX-License-Identifier: MIT */
/*
 * The configuration file (INI style, parsed by inih).  Every setting has a
 * default that works, so a missing file or one that sets only state_dir is
 * valid.  Unknown keys and bad values are errors naming FILE:LINE.
 */
#ifndef TREG_CONFIG_H
#define TREG_CONFIG_H

#include <stddef.h>

#define TREG_CONFIG_MAX_LIST    64      /* resolve / allow_address entries */
#define TREG_CONFIG_MAX_THREADS 64      /* extract_threads */

struct treg_config {
	char    *path;          /* file read, or NULL for built-in defaults */
	char    *registry;      /* JSON file, directory, bundle or https URL */
	int	 registry_line;	/* line of path setting it, or 0 */
	char	*state_dir;	/* LMDB environment and reports */
	char	*contact;	/* URL or address for server operators */
	char    *user_agent;    /* "trustreg-crawl/VERSION (+contact)" */
	char	*log_level;	/* err|warning|notice|info|debug */

	/* [crawl] */
	long	 timeout;		/* s, whole transfer */
	long	 connect_timeout;	/* s */
	long	 low_speed_limit;	/* bytes/s below which ... */
	long     low_speed_time;        /* ... for this many s, we give up */
	size_t	 max_body;		/* bytes on the wire */
	size_t   max_decoded;           /* bytes after content decoding */
	size_t   max_header;            /* bytes of response headers */
	size_t   max_text;              /* bytes of extracted text kept */
	long	 max_redirects;
	long	 max_connections;	/* global concurrency cap */
	long     per_host;              /* concurrent transfers per host */
	long     host_delay_ms;         /* between requests to one host */
	long     retries;               /* transient failure retries per run */
	long     retry_after_max;       /* s, cap on a server's Retry-After */
	long     retry_after_wait;      /* s, longest Retry-After waited for
					 * within a crawl; longer: the URL
					 * is rate-limited until then */
	long     retry_backoff_ms;      /* first retry's backoff, doubling */
	long     dead_after_failures;   /* flap damping: consecutive ... */
	long     dead_after_hours;      /* ... spread over at least this */
	long     extract_threads;       /* worker threads extracting text;
					 * 0: on the event loop's thread */

	/* [report] */
	long     review_after_days;     /* verified older than this: stale */
	long     region_context;        /* blocks around a cell's quotations */
	long     history_days;          /* observations kept this long */
	int      soft404_probe;         /* probe each host's unknown path */
	char	*report_time;		/* "HH:MM" local time */
	long	 interval;		/* s, daemon: each URL once per */
	long	 registry_interval;	/* s, a URL registry's refetch */

	/* [network] */
	char    *proxy;                 /* NULL: none (libcurl's env ignored) */
	char	*ca_file;		/* NULL: the system store */
	char    *resolve[TREG_CONFIG_MAX_LIST]; /* "HOST:PORT:ADDRESS" */
	size_t	 nresolve;
	char    *allow_address[TREG_CONFIG_MAX_LIST];   /* literal IPs */
	size_t	 nallow_address;
	char	*connect_to[TREG_CONFIG_MAX_LIST];	/* "H:P:H2:P2" */
	size_t	 nconnect_to;
};

/*
 * Reads the file at path (NULL: built-in defaults only, then the
 * environment decides the state directory).  On success *cfgp owns a new
 * configuration for the caller to free with treg_config_free().  On error
 * returns -EINVAL and, when errp is not NULL, sets *errp to a malloc'd
 * "FILE:LINE: message" the caller frees; -ENOENT when the file is missing.
 */
int	treg_config_load(const char *path, struct treg_config **cfgp,
	    char **errp);

/* Returns the built-in defaults (as treg_config_load(NULL, ...)). */
struct treg_config *treg_config_new_default(void);

/* Frees cfg and everything it owns; NULL does nothing. */
void	treg_config_free(struct treg_config *cfg);

/*
 * Where the configuration file is looked for when none is given:
 * treg_config_default_file() is that path, whether or not it exists;
 * treg_config_default_path() is the same if it exists, else NULL
 * (built-in defaults).  Static storage.
 */
const char *treg_config_default_file(void);
const char *treg_config_default_path(void);

#endif
