/* SPDX-License-Identifier: MIT */
/*
 * HTTP(S) transfers: libcurl's multi interface driven by a libevent loop
 * through its socket and timer callbacks, never a blocking transfer.  This
 * module alone includes curl.h; curl's codes are translated here into
 * enum treg_fetch_error.  It enforces the limits of the configuration
 * (timeouts, sizes, redirects, schemes) and checks every address actually
 * connected to against the allowed set.
 */
#ifndef TREG_FETCH_H
#define TREG_FETCH_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct treg_config;

enum treg_fetch_error {
	TREG_FETCH_OK = 0,		/* an HTTP response, any status */
	TREG_FETCH_DNS,			/* name did not resolve */
	TREG_FETCH_CONNECT,		/* refused, unreachable */
	TREG_FETCH_TLS,			/* handshake or verification */
	TREG_FETCH_TIMEOUT,		/* connect, total or low speed */
	TREG_FETCH_RESET,		/* connection lost mid-response */
	TREG_FETCH_TOO_LARGE,		/* body or decoded size over cap */
	TREG_FETCH_HEADER_TOO_LARGE,	/* response headers over cap */
	TREG_FETCH_FORBIDDEN_ADDRESS,	/* private/loopback/... address */
	TREG_FETCH_BAD_SCHEME,		/* not http or https */
	TREG_FETCH_BAD_URL,		/* unparsable, or credentials */
	TREG_FETCH_REDIRECT_LOOP,	/* a URL came back in the chain */
	TREG_FETCH_TOO_MANY_REDIRECTS,
	TREG_FETCH_UNDECODABLE,         /* bad or unknown Content-Encoding */
	TREG_FETCH_PROTOCOL,		/* malformed HTTP */
	TREG_FETCH_ABORTED,		/* by us: shutdown or body_cb */
	TREG_FETCH_OTHER,
	/* Added later: the values above are stored, so new ones go here. */
	TREG_FETCH_ROBOTS,		/* disallowed by robots.txt */
	TREG_FETCH_RATE_LIMITED,	/* host's Retry-After outlasts the
					 * wait: not requested */
};

/* Stable short name ("dns", "timeout", "too-large", ...), static. */
const char *treg_fetch_error_name(enum treg_fetch_error err);

/* One response of a redirect chain. */
struct treg_fetch_hop {
	long	 status;	/* 301, 302, ... */
	char	*url;		/* the URL that answered with it */
	char	*location;	/* where it pointed, resolved */
};

/* What one transfer produced.  Owned by the fetcher; valid only during
 * the callback that receives it. */
struct treg_fetch_result {
	const char *url;		/* as requested */
	enum treg_fetch_error error;
	const char *error_detail;	/* curl's message, or NULL */
	long	 status;		/* final HTTP status; 0 if none */
	const char *final_url;		/* after redirects */
	const struct treg_fetch_hop *hops;	/* redirects, in order */
	size_t	 nhops;
	const char *content_type;	/* header value or NULL */
	const char *etag;		/* NULL if none */
	const char *last_modified;	/* NULL if none */
	const char *memento_datetime;	/* web archives; NULL if none */
	long	 retry_after;		/* s, capped; -1 if none */
	long long body_size_hint;	/* a plain Content-Length without
					 * content encoding: what the body
					 * should hold, a hint only; -1 if
					 * none */
	const char *body_head;          /* first bytes of the decoded final
					 * body (at most 16 KiB), whatever
					 * the status, for classification */
	size_t	 body_head_len;
	size_t	 bytes_received;	/* decoded body bytes */
	long	 ms;			/* wall time of the transfer */
	int	 challenge;		/* a bot-protection challenge: a
					 * cf-mitigated header, or a
					 * 401/403/429/503 with challenge
					 * markup in body_head */
	long     attempts;              /* requests made, retries included */
	const char *refresh_url;	/* a 2xx page's <meta http-equiv=
					 * "refresh"> (delay <= 5 s) to
					 * another URL, resolved; or NULL */
	const char *raw_headers;	/* the final response's status line
					 * and header lines as received
					 * (CRLFs kept, NUL-terminated);
					 * complete with its blank line in
					 * done_cb; NULL if none */
	size_t	 raw_headers_len;
};

struct treg_fetch_ops {
	/* The final response's headers are in (res->status set, body not
	 * yet).  Return 0 to receive the body through body_cb, 1 to let it
	 * go by (it still fills body_head), or a negative errno to abort.
	 * May be NULL. */
	int     (*headers_cb)(void *arg, const struct treg_fetch_result *res);

	/* Decoded bytes of the final response's body, as they arrive.
	 * Return 0, or a negative errno to abort (TREG_FETCH_ABORTED). */
	int	(*body_cb)(void *arg, const char *data, size_t len);

	/* Called exactly once per added request, when it ends for any
	 * reason, including treg_fetch_free() of a busy fetcher.  None of
	 * these callbacks may call treg_fetch_free(); done_cb may call
	 * treg_fetch_add(). */
	void	(*done_cb)(void *arg, const struct treg_fetch_result *res);

	/* Optional; when set, transient failures (reset, timeout, connect,
	 * 5xx and 429 that are not challenges) are retried up to
	 * cfg->retries times after an exponential backoff with jitter, or
	 * the server's Retry-After when that is longer and at most
	 * cfg->retry_after_wait.  Called before each retry: drop whatever
	 * body_cb delivered.  NULL: no retries. */
	void	(*retry_cb)(void *arg, const struct treg_fetch_result *res);
};

/*
 * robots.txt cache kept by the caller (the store).  get_cb fills *bodyp
 * (malloc'd, the caller of get_cb frees it), *lenp and *statusp with a
 * copy fetched recently enough to use, and returns 0, or -ENOENT.
 * put_cb is given every robots.txt that was fetched and answered (2xx or
 * 4xx).  Either may be NULL.
 */
struct treg_fetch_robots_ops {
	int	(*get_cb)(void *arg, const char *robots_url, char **bodyp,
		    size_t *lenp, long *statusp);
	void	(*put_cb)(void *arg, const char *robots_url, long status,
		    const char *body, size_t len);
	void	*arg;
};

struct treg_fetch_request {
	const char *url;
	const char *etag;		/* sent as If-None-Match, or NULL */
	const char *last_modified;      /* sent as If-Modified-Since, or NULL */
};

struct treg_fetch;

/*
 * Creates a fetcher on base using cfg's limits, User-Agent and network
 * settings.  cfg must outlive the fetcher.  Returns NULL (logged) on
 * failure.
 */
struct treg_fetch *treg_fetch_new(struct event_base *base,
	    const struct treg_config *cfg);

/*
 * Queues one transfer.  The request's strings are copied; ops must stay
 * valid until done_cb.  Returns 0, or a negative errno (then no callback
 * is called).
 */
int	treg_fetch_add(struct treg_fetch *f,
	    const struct treg_fetch_request *req,
	    const struct treg_fetch_ops *ops, void *arg);

/*
 * Makes f honour robots.txt for product token agent: before the first
 * request to a host its /robots.txt is looked up in ops' cache or fetched
 * (once per fetcher), requests it disallows end with TREG_FETCH_ROBOTS,
 * and its Crawl-delay raises the host's delay.  A 4xx robots.txt allows
 * everything; a 5xx (or 429) disallows everything for the life of f (RFC
 * 9309 "unreachable"); one that got no HTTP answer at all decides
 * nothing, so each request goes ahead and reports its own error.  ops is
 * copied; its arg must outlive f.  Returns 0 or -ENOMEM.
 */
int	treg_fetch_set_robots(struct treg_fetch *f, const char *agent,
	    const struct treg_fetch_robots_ops *ops);

/*
 * While hold is set, no queued transfer starts; those running go on to
 * their end.  A consumer that cannot keep up with what arrives uses it
 * to stop more from coming; releasing it starts the queue again.
 */
void	treg_fetch_hold(struct treg_fetch *f, int hold);

/* Number of transfers queued or running. */
size_t	treg_fetch_pending(const struct treg_fetch *f);

/* Transfers run at once: max_connections, or fewer where the open-file
 * limit would not hold them. */
long	treg_fetch_max_connections(const struct treg_fetch *f);

/* The open-file limit under which a crawl cannot run one transfer: below
 * it, sockets fail for want of files, and each failure would be stored
 * as the evidence server's. */
long	treg_fetch_files_needed(void);

/* Abandons every transfer (each gets done_cb with TREG_FETCH_ABORTED) and
 * frees f; NULL does nothing. */
void	treg_fetch_free(struct treg_fetch *f);

/*
 * Copies a result for use after its callback: *dst owns copies of every
 * string and of the hops, and is released with treg_fetch_result_cleanup()
 * (also after a failed copy).  body_head is not copied (NULL, length 0).
 * Returns 0 or -ENOMEM.
 */
int	treg_fetch_result_copy(struct treg_fetch_result *dst,
	    const struct treg_fetch_result *src);

/* Frees what a copy made by treg_fetch_result_copy() owns and zeroes it;
 * never call it on a result the fetcher handed to a callback. */
void	treg_fetch_result_cleanup(struct treg_fetch_result *res);

/*
 * Returns 1 when a connection to addr may be made under cfg: public
 * unicast addresses, and those listed in allow_address; 0 for loopback,
 * private, link-local, unique-local, multicast, unspecified, metadata and
 * IPv4-mapped forms of those.
 */
int	treg_fetch_address_allowed(const struct treg_config *cfg,
	    const struct sockaddr *addr);

/*
 * The URL to fetch for a cited one: a Wayback Machine capture URL
 * (web.archive.org/web/TIMESTAMP/URL) gets the raw "id_" form; any other
 * URL is returned as it is.  Returns a malloc'd string or NULL.
 */
char	*treg_fetch_raw_archive_url(const char *url);

/*
 * Resolves location (a Location header or a meta refresh target) against
 * base, the URL that sent it, as redirects are followed: any scheme is
 * kept, the fragment is dropped and the result is normalised.  Returns a
 * malloc'd URL for the caller to free, or NULL when either does not
 * parse or memory ran out.
 */
char	*treg_fetch_resolve_url(const char *base, const char *location);

#endif
