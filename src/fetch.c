/* SPDX-License-Identifier: MIT */
/*
 * HTTP(S) transfers on one libevent loop: curl's multi interface tells us
 * which sockets to watch and when to wake it, and we tell it what happened.
 * Requests wait in a queue until the global cap, the per-host cap and the
 * per-host delay allow them to start.  Each transfer's state hangs off its
 * easy handle and is freed in one function, transfer_done(), which also
 * calls done_cb; nothing kept per transfer grows with the body.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <zlib.h>

#include "buf.h"
#include "config.h"
#include "fetch.h"
#include "httphead.h"
#include "log.h"
#include "robots.h"

#define FETCH_BACKOFF_MAX_MS    3600000 /* longest retry wait, ms */
#define FETCH_BODY_HEAD         16384   /* decoded bytes kept for callers */
#define FETCH_PER_HOST          2       /* when the configuration says 0 */
#define FETCH_HOST_DELAY_MS	1000
#define FETCH_MAX_CONNECTIONS	8
#define FETCH_USER_AGENT	"trustreg-crawl"
#define FETCH_ROBOTS_TTL_MS	(24L * 3600 * 1000)
#define FETCH_DELAY_SLACK_MS	25

/* ---- global state ---------------------------------------------------- */

struct fetch_transfer;
TAILQ_HEAD(fetch_tqueue, fetch_transfer);

enum fetch_robots_state {
	ROBOTS_NONE,		/* not looked at (or not wanted) */
	ROBOTS_FETCHING,	/* its transfer is queued or running */
	ROBOTS_READY,		/* robots says what it says */
};

/* One host's politeness state.  Kept while a transfer refers to it, its
 * delay since the last start or a server's pause has not run out, or its
 * robots.txt is known (that is asked once per fetcher). */
struct fetch_host {
	TAILQ_ENTRY(fetch_host) entry;
	struct treg_fetch	*f;
	char		*name;		/* lower case */
	long             refs;          /* transfers queued or running */
	long		 running;
	long		 unsent;	/* running, request not yet sent */
	int		 started;	/* last_start is valid */
	int64_t		 last_start;	/* ms, monotonic */
	int64_t          hold_until;    /* ms: Retry-After; 0 if none */
	long             crawl_delay;   /* ms from robots.txt; -1 if none */
	enum fetch_robots_state robots_state;
	int64_t		 robots_at;	/* ms: when it became READY */
	struct treg_robots *robots;	/* NULL: everything allowed */
	struct treg_buf	 robots_body;	/* while it arrives */
};
TAILQ_HEAD(fetch_hosts, fetch_host);

struct treg_fetch {
	struct event_base	*base;
	const struct treg_config *cfg;
	CURLM			*multi;
	struct event		*timer_ev;	/* curl's timeout */
	struct event            *queue_ev;      /* starts queued transfers */
	struct curl_slist	*resolve;
	struct curl_slist	*connect_to;
	struct fetch_tqueue      queue;         /* waiting, in arrival order */
	struct fetch_tqueue      running;       /* added to the multi handle */
	struct fetch_hosts	 hosts;
	size_t			 nqueued;
	size_t			 nrunning;
	long			 max_conn;	/* transfers at once */
	long			 idle_max;	/* idle ones kept */
	int                      closing;       /* treg_fetch_free() began */
	int			 held;		/* treg_fetch_hold() */

	/* robots.txt, when treg_fetch_set_robots() asked for it. */
	int			 robots_on;
	char			*robots_agent;
	struct treg_fetch_robots_ops robots_ops;
};

/* ---- per-transfer state ---------------------------------------------- */

/* Response headers remembered for the final response. */
enum fetch_hdr {
	HDR_LOCATION,
	HDR_CONTENT_TYPE,
	HDR_ETAG,
	HDR_LAST_MODIFIED,
	HDR_MEMENTO,
	HDR_RETRY_AFTER,
	HDR_DATE,
	HDR_CF_MITIGATED,
	HDR_CONTENT_ENCODING,
	HDR_CONTENT_LENGTH,
	HDR_COUNT
};

static const char *const fetch_hdr_names[HDR_COUNT] = {
	[HDR_LOCATION] = "location",
	[HDR_CONTENT_TYPE] = "content-type",
	[HDR_ETAG] = "etag",
	[HDR_LAST_MODIFIED] = "last-modified",
	[HDR_MEMENTO] = "memento-datetime",
	[HDR_RETRY_AFTER] = "retry-after",
	[HDR_DATE] = "date",
	[HDR_CF_MITIGATED] = "cf-mitigated",
	[HDR_CONTENT_ENCODING] = "content-encoding",
	[HDR_CONTENT_LENGTH] = "content-length",
};

struct fetch_transfer {
	TAILQ_ENTRY(fetch_transfer) entry;
	struct fetch_tqueue	*list;		/* queue or running */
	struct treg_fetch	*f;
	struct fetch_host	*host;
	const struct treg_fetch_ops *ops;
	void			*arg;
	CURL			*easy;
	struct curl_slist	*headers;	/* conditional GET */
	char			*url;
	char			*etag;
	char			*last_modified;
	int64_t			 started;	/* ms, 0 while queued */
	int64_t                  not_before;    /* ms: retry backoff */
	long			 attempts;	/* requests made */
	int                      robots_fetch;  /* is a host's robots.txt */
	int                      sent;          /* a request went out */
	char                    *refresh_url;   /* meta refresh target */

	/* Our own reason to stop, which curl reports only as a write or
	 * callback error; TREG_FETCH_OK while none. */
	enum treg_fetch_error	 reason;
	const char		*reason_detail;
	int			 refused;	/* opensocket said no */

	/* The response being read. */
	char			*cur_url;	/* URL that is answering */
	unsigned		 cur_gen;	/* cookie_gen when requested */
	unsigned                 cookie_gen;    /* Set-Cookie headers so far */
	long			 status;
	char			*hdr[HDR_COUNT];
	size_t			 header_bytes;	/* all responses */
	int                      final;         /* final headers complete */
	int                      want_body;     /* headers_cb returned 0 */
	long			 retry_after;
	char                    *raw_head;      /* this response's status line
						 * and headers as received */
	size_t			 raw_head_len;

	/* Redirects followed; hop_gen[i] is the cookie generation in which
	 * hops[i].url was requested. */
	struct treg_fetch_hop	*hops;
	unsigned		*hop_gen;
	size_t			 nhops;

	/* gzip and deflate are inflated here rather than by curl, which
	 * takes a stream cut before its end for the whole body. */
	z_stream		*zs;		/* NULL: curl decodes */
	size_t                   z_in;          /* coded bytes received */
	int                      z_end;         /* Z_STREAM_END seen */
	int			 z_deflate;	/* may fall back to raw */

	size_t                   bytes;         /* decoded body bytes */
	size_t			 head_len;
	/* FETCH_BODY_HEAD bytes, made at the first body byte: hundreds of
	 * transfers can wait in the queue. */
	char			*head;
	char			 errbuf[CURL_ERROR_SIZE];
	struct treg_fetch_result res;
};

/* ---- per-socket state ------------------------------------------------ */

struct fetch_sock {
	struct treg_fetch	*f;
	curl_socket_t		 fd;
	struct event		*ev;
};

static void	fetch_kick(struct treg_fetch *f, long ms);
static long	host_delay(const struct treg_fetch *f,
		    const struct fetch_host *h);
static void	fetch_drain(struct treg_fetch *f);

static long
max_redirects(const struct treg_config *cfg)
{
	/* curl reads -1 as "no limit"; nothing here wants that. */
	return cfg->max_redirects > 0 ? cfg->max_redirects : 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- error names and translation ------------------------------------- */

const char *
treg_fetch_error_name(enum treg_fetch_error err)
{
	switch (err) {
	case TREG_FETCH_OK:			return "ok";
	case TREG_FETCH_DNS:			return "dns";
	case TREG_FETCH_CONNECT:		return "connect";
	case TREG_FETCH_TLS:			return "tls";
	case TREG_FETCH_TIMEOUT:		return "timeout";
	case TREG_FETCH_RESET:			return "reset";
	case TREG_FETCH_TOO_LARGE:		return "too-large";
	case TREG_FETCH_HEADER_TOO_LARGE:	return "header-too-large";
	case TREG_FETCH_FORBIDDEN_ADDRESS:	return "forbidden-address";
	case TREG_FETCH_BAD_SCHEME:		return "bad-scheme";
	case TREG_FETCH_BAD_URL:		return "bad-url";
	case TREG_FETCH_REDIRECT_LOOP:		return "redirect-loop";
	case TREG_FETCH_TOO_MANY_REDIRECTS:	return "too-many-redirects";
	case TREG_FETCH_UNDECODABLE:		return "undecodable-body";
	case TREG_FETCH_PROTOCOL:		return "protocol";
	case TREG_FETCH_ABORTED:		return "aborted";
	case TREG_FETCH_ROBOTS:                 return "disallowed-by-robots";
	case TREG_FETCH_RATE_LIMITED:		return "rate-limited";
	case TREG_FETCH_OTHER:			break;
	}
	return "error";
}

static enum treg_fetch_error
error_from_curl(const struct fetch_transfer *t, CURLcode code)
{
	if (code == CURLE_OK)
		return TREG_FETCH_OK;

	/* Our callbacks stopped it; curl only knows that a callback failed. */
	if (t->reason != TREG_FETCH_OK)
		return t->reason;

	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return TREG_FETCH_DNS;
	case CURLE_COULDNT_CONNECT:
		/* Every address was refused by us, or the rest failed. */
		return t->refused ? TREG_FETCH_FORBIDDEN_ADDRESS :
		    TREG_FETCH_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return TREG_FETCH_TLS;
	case CURLE_OPERATION_TIMEDOUT:
		return TREG_FETCH_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return TREG_FETCH_TOO_LARGE;
	case CURLE_TOO_MANY_REDIRECTS:
		return TREG_FETCH_TOO_MANY_REDIRECTS;
	case CURLE_BAD_CONTENT_ENCODING:
		return TREG_FETCH_UNDECODABLE;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2_STREAM:
		return TREG_FETCH_RESET;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP3:
		return TREG_FETCH_PROTOCOL;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return TREG_FETCH_BAD_SCHEME;
	case CURLE_URL_MALFORMAT:
		return TREG_FETCH_BAD_URL;
	case CURLE_WRITE_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
		return TREG_FETCH_ABORTED;
	default:
		return TREG_FETCH_OTHER;
	}
}

/* ---- addresses --------------------------------------------------------- */

/* Networks no crawl may reach: RFC 6890 special purpose, private, shared,
 * loopback, link-local (cloud metadata), documentation, benchmarking,
 * multicast, reserved and broadcast. */
static const struct {
	uint32_t	net;
	unsigned	bits;
} ipv4_blocked[] = {
	{ 0x00000000, 8 },	/* 0/8 "this network" */
	{ 0x0a000000, 8 },	/* 10/8 */
	{ 0x64400000, 10 },	/* 100.64/10 carrier-grade NAT */
	{ 0x7f000000, 8 },	/* 127/8 */
	{ 0xa9fe0000, 16 },	/* 169.254/16, 169.254.169.254 metadata */
	{ 0xac100000, 12 },	/* 172.16/12 */
	{ 0xc0000000, 24 },	/* 192.0.0/24 protocol assignments */
	{ 0xc0000200, 24 },	/* 192.0.2/24 TEST-NET-1 */
	{ 0xc0a80000, 16 },	/* 192.168/16 */
	{ 0xc6120000, 15 },	/* 198.18/15 benchmarking */
	{ 0xc6336400, 24 },	/* 198.51.100/24 TEST-NET-2 */
	{ 0xcb007100, 24 },	/* 203.0.113/24 TEST-NET-3 */
	{ 0xe0000000, 4 },	/* 224/4 multicast */
	{ 0xf0000000, 4 },	/* 240/4 reserved, 255.255.255.255 */
};

static const struct {
	uint8_t		prefix[16];
	unsigned	bits;
} ipv6_blocked[] = {
	{ { 0xfc }, 7 },				/* unique local */
	{ { 0xfe, 0x80 }, 10 },				/* link-local */
	{ { 0xfe, 0xc0 }, 10 },                         /* old site-local */
	{ { 0xff }, 8 },				/* multicast */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },		/* documentation */
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 },	/* local NAT64 */
	{ { 0x01, 0x00 }, 64 },                         /* discard-only */
};

static int
ipv4_allowed(uint32_t a)
{
	size_t i;
	uint32_t mask;

	for (i = 0; i < sizeof(ipv4_blocked) / sizeof(ipv4_blocked[0]);
	    i++) {
		mask = 0xffffffffu << (32 - ipv4_blocked[i].bits);
		if ((a & mask) == ipv4_blocked[i].net)
			return 0;
	}
	return 1;
}

static int
prefix_match(const uint8_t *a, const uint8_t *prefix, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, prefix, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (prefix[full] & mask);
}

static uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * The IPv4 address an IPv6 one stands for, when it carries one: mapped
 * (::ffff:a.b.c.d), the deprecated compatible form (::a.b.c.d, which also
 * makes :: and ::1 judged as 0.0.0.0 and 0.0.0.1), NAT64 (64:ff9b::/96)
 * and 6to4 (2002:AABB:CCDD::/48).  Returns 1 and sets *v4, or 0.
 */
static int
ipv6_embedded_ipv4(const uint8_t *a, uint32_t *v4)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	static const uint8_t zero[12];
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

	if (memcmp(a, mapped, 12) == 0 || memcmp(a, zero, 12) == 0 ||
	    memcmp(a, nat64, 12) == 0) {
		*v4 = load_be32(a + 12);
		return 1;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {
		*v4 = load_be32(a + 2);
		return 1;
	}
	return 0;
}

static int
ipv6_allowed(const uint8_t *a)
{
	size_t i;
	uint32_t v4;

	if (ipv6_embedded_ipv4(a, &v4))
		return ipv4_allowed(v4);

	for (i = 0; i < sizeof(ipv6_blocked) / sizeof(ipv6_blocked[0]);
	    i++) {
		if (prefix_match(a, ipv6_blocked[i].prefix,
		    ipv6_blocked[i].bits))
			return 0;
	}
	return 1;
}

/*
 * Reduces addr to its family and bytes, an IPv4-mapped IPv6 address to
 * plain IPv4, so that an allow-list entry "127.0.0.1" also matches the
 * address of a dual-stack socket.  Returns the family, or AF_UNSPEC.
 */
static int
address_bytes(const struct sockaddr *addr, uint8_t *out)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (addr->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)addr;
		memcpy(out, &sin->sin_addr, 4);
		return AF_INET;
	}
	if (addr->sa_family != AF_INET6)
		return AF_UNSPEC;

	sin6 = (const struct sockaddr_in6 *)(const void *)addr;
	if (memcmp(sin6->sin6_addr.s6_addr, mapped, 12) == 0) {
		memcpy(out, sin6->sin6_addr.s6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(out, sin6->sin6_addr.s6_addr, 16);
	return AF_INET6;
}

static int
address_listed(const struct treg_config *cfg, int family,
    const uint8_t *bytes)
{
	uint8_t entry[16];
	size_t i;

	for (i = 0; i < cfg->nallow_address; i++) {
		if (cfg->allow_address[i] == NULL)
			continue;
		if (family == AF_INET &&
		    inet_pton(AF_INET, cfg->allow_address[i], entry) == 1 &&
		    memcmp(entry, bytes, 4) == 0)
			return 1;
		if (family == AF_INET6 &&
		    inet_pton(AF_INET6, cfg->allow_address[i], entry) == 1 &&
		    memcmp(entry, bytes, 16) == 0)
			return 1;
	}
	return 0;
}

int
treg_fetch_address_allowed(const struct treg_config *cfg,
    const struct sockaddr *addr)
{
	uint8_t bytes[16];
	int family;

	if (addr == NULL)
		return 0;
	family = address_bytes(addr, bytes);
	if (family == AF_UNSPEC)
		return 0;

	if (cfg != NULL && address_listed(cfg, family, bytes))
		return 1;
	if (family == AF_INET)
		return ipv4_allowed(load_be32(bytes));
	return ipv6_allowed(bytes);
}

/* ---- web archive URLs ------------------------------------------------ */

char *
treg_fetch_raw_archive_url(const char *url)
{
	static const char *const prefixes[] = {
		"https://web.archive.org/web/",
		"http://web.archive.org/web/",
	};
	const char *p = NULL;
	size_t i, pre, ndigits;
	char *out;

	if (url == NULL)
		return NULL;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncasecmp(url, prefixes[i], strlen(prefixes[i])) == 0) {
			p = url + strlen(prefixes[i]);
			break;
		}
	}
	if (p == NULL)
		return strdup(url);

	ndigits = strspn(p, "0123456789");

	/* A timestamp followed directly by the original URL is the replay
	 * view; anything else (id_, if_, a wildcard, a calendar page) is
	 * either raw already or not a capture, and stays as it is. */
	if (ndigits == 0 || ndigits > 14 || p[ndigits] != '/')
		return strdup(url);

	pre = (size_t)(p - url) + ndigits;
	if (pre > INT_MAX)
		return NULL;
	if (asprintf(&out, "%.*sid_%s", (int)pre, url, url + pre) < 0)
		return NULL;
	return out;
}

/* ---- URL checks ------------------------------------------------------ */

/*
 * Normalises url with curl's parser into *normp and its lower case host
 * into *hostp (both malloc'd, set only on success).  Returns TREG_FETCH_OK,
 * BAD_SCHEME, BAD_URL or OTHER (no memory); URLs carrying credentials are
 * refused so that no secret is ever sent or logged.
 */
static enum treg_fetch_error
url_check(const char *url, char **normp, char **hostp)
{
	enum treg_fetch_error err = TREG_FETCH_BAD_URL;
	CURLU *u = NULL;
	char *scheme = NULL, *part = NULL, *host = NULL, *norm = NULL, *p;
	CURLUcode uc;

	u = curl_url();
	if (u == NULL)
		goto out;

	uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK)
		goto out;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0) {
		err = TREG_FETCH_BAD_SCHEME;
		goto out;
	}

	if (curl_url_get(u, CURLUPART_USER, &part, 0) != CURLUE_NO_USER ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) !=
	    CURLUE_NO_PASSWORD ||
	    curl_url_get(u, CURLUPART_OPTIONS, &part, 0) !=
	    CURLUE_NO_OPTIONS)
		goto out;

	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0')
		goto out;

	/* The fragment never reaches the server; comparing URLs without it
	 * keeps "#top" from hiding a redirect loop. */
	if (curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &norm, 0) != CURLUE_OK)
		goto out;

	*normp = strdup(norm);
	*hostp = strdup(host);
	if (*normp == NULL || *hostp == NULL) {
		free(*normp);
		free(*hostp);
		*normp = *hostp = NULL;
		err = TREG_FETCH_OTHER;
		goto out;
	}
	for (p = *hostp; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	err = TREG_FETCH_OK;
out:
	curl_free(norm);
	curl_free(part);
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return err;
}

/* Whether url carries a user name or password (user:pass@host). */
static int
url_has_userinfo(const char *url)
{
	CURLU *u;
	char *part = NULL;
	int found = 0;

	u = curl_url();
	if (u == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_USER, &part, 0) !=
		    CURLUE_NO_USER)
			found = 1;
		curl_free(part);
		part = NULL;
		if (curl_url_get(u, CURLUPART_PASSWORD, &part, 0) !=
		    CURLUE_NO_PASSWORD)
			found = 1;
		curl_free(part);
	}
	curl_url_cleanup(u);
	return found;
}

/*
 * Resolves a Location value against the URL that sent it, as curl does
 * when it follows one: spaces and other bytes a URL cannot hold are
 * percent-encoded (an absolute Location with a space otherwise did not
 * parse here, while curl followed it, so the chain and final_url named
 * the wrong URL).  Returns a normalised malloc'd URL (curl_free), or
 * NULL when it does not parse.
 */
static char *
url_resolve(const char *base, const char *location)
{
	CURLU *u;
	char *out = NULL;

	u = curl_url();
	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, location,
	    CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE | CURLU_ALLOW_SPACE) !=
	    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		out = NULL;
	curl_url_cleanup(u);
	return out;
}

char *
treg_fetch_resolve_url(const char *base, const char *location)
{
	char *abs, *out;

	abs = url_resolve(base, location);
	if (abs == NULL)
		return NULL;
	out = strdup(abs);
	curl_free(abs);
	return out;
}

/* ---- transfers: results and the one place they end ------------------- */

static void
transfer_reset_headers(struct fetch_transfer *t)
{
	int i;

	for (i = 0; i < HDR_COUNT; i++) {
		free(t->hdr[i]);
		t->hdr[i] = NULL;
	}
	t->retry_after = -1;
	free(t->raw_head);
	t->raw_head = NULL;
	t->raw_head_len = 0;
}

static void
transfer_inflate_end(struct fetch_transfer *t)
{
	if (t->zs == NULL)
		return;
	inflateEnd(t->zs);
	free(t->zs);
	t->zs = NULL;
	t->z_in = 0;
	t->z_end = 0;
	t->z_deflate = 0;
}

/* Keeps a header line as received; max_header bounds the total. */
static int
header_keep_raw(struct fetch_transfer *t, const char *data, size_t len)
{
	char *grown;

	grown = realloc(t->raw_head, t->raw_head_len + len + 1);
	if (grown == NULL)
		return -ENOMEM;
	memcpy(grown + t->raw_head_len, data, len);
	t->raw_head_len += len;
	grown[t->raw_head_len] = '\0';
	t->raw_head = grown;
	return 0;
}

/* A bot wall rather than an answer about the page: the header some CDNs
 * send, or a refusal status whose body is a challenge page. */
static int
transfer_is_challenge(const struct fetch_transfer *t)
{
	return t->final && treg_httphead_challenge(t->status,
	    t->hdr[HDR_CF_MITIGATED], t->head, t->head_len);
}

/* Finds a meta refresh to another URL in a 2xx HTML body's head. */
static void
transfer_find_refresh(struct fetch_transfer *t)
{
	char *target, *abs;

	free(t->refresh_url);
	t->refresh_url = NULL;
	if (!t->final || t->status < 200 || t->status > 299)
		return;
	target = treg_httphead_find_refresh(t->head, t->head_len);
	if (target == NULL)
		return;
	abs = url_resolve(t->cur_url, target);
	free(target);
	if (abs != NULL && strcmp(abs, t->cur_url) != 0)
		t->refresh_url = strdup(abs);
	curl_free(abs);
}

/* The body's size as Content-Length declares it, when the body is not
 * content-encoded and the value is plain digits; else -1. */
static long long
transfer_size_hint(const struct fetch_transfer *t)
{
	const char *cl = t->hdr[HDR_CONTENT_LENGTH];
	long long n = 0;

	if (cl == NULL || *cl == '\0' || t->hdr[HDR_CONTENT_ENCODING] != NULL)
		return -1;
	for (; *cl >= '0' && *cl <= '9'; cl++) {
		if (n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*cl - '0');
	}
	return *cl == '\0' ? n : -1;
}

static void
transfer_fill_result(struct fetch_transfer *t, enum treg_fetch_error err,
    const char *detail)
{
	struct treg_fetch_result *res = &t->res;

	memset(res, 0, sizeof(*res));
	res->url = t->url;
	res->error = err;
	res->error_detail = detail;
	res->status = t->status;
	/* Without a redirect the URL is the one asked for, spelt the same
	 * way, so callers comparing the two never see a move that is only
	 * curl's normalisation; after one it is the last Location, resolved
	 * and without its fragment. */
	res->final_url = t->nhops > 0 ? t->cur_url : t->url;
	res->hops = t->hops;
	res->nhops = t->nhops;
	res->retry_after = -1;
	res->body_size_hint = -1;
	if (t->final) {
		res->body_size_hint = transfer_size_hint(t);
		res->content_type = t->hdr[HDR_CONTENT_TYPE];
		res->etag = t->hdr[HDR_ETAG];
		res->last_modified = t->hdr[HDR_LAST_MODIFIED];
		res->memento_datetime = t->hdr[HDR_MEMENTO];
		res->retry_after = t->retry_after;
		res->raw_headers = t->raw_head;
		res->raw_headers_len = t->raw_head_len;
	}
	res->body_head = t->head != NULL ? t->head : "";
	res->body_head_len = t->head_len;
	res->bytes_received = t->bytes;
	res->ms = t->started != 0 ? (long)(now_ms() - t->started) : 0;
	res->challenge = transfer_is_challenge(t);
	res->attempts = t->attempts;
	res->refresh_url = t->refresh_url;
}

/*
 * Ends t: takes it off its list, reports it through done_cb and frees it.
 * Every transfer, started or not, ends here and nowhere else.
 */
static void
transfer_done(struct fetch_transfer *t, enum treg_fetch_error err,
    const char *detail)
{
	struct treg_fetch *f = t->f;
	size_t i;

	TAILQ_REMOVE(t->list, t, entry);
	if (t->list == &f->running) {
		f->nrunning--;
		t->host->running--;
		if (!t->sent)
			t->host->unsent--;
	} else {
		f->nqueued--;
	}
	if (t->host != NULL)
		t->host->refs--;

	if (err == TREG_FETCH_OK)
		transfer_find_refresh(t);
	transfer_fill_result(t, err, detail);
	log_debug("fetch", "url=%s err=%s status=%ld bytes=%zu ms=%ld",
	    t->url, treg_fetch_error_name(err), t->status, t->bytes,
	    t->res.ms);
	if (t->ops != NULL && t->ops->done_cb != NULL)
		t->ops->done_cb(t->arg, &t->res);

	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	transfer_inflate_end(t);
	curl_slist_free_all(t->headers);
	transfer_reset_headers(t);
	for (i = 0; i < t->nhops; i++) {
		free(t->hops[i].url);
		free(t->hops[i].location);
	}
	free(t->hops);
	free(t->hop_gen);
	free(t->cur_url);
	free(t->refresh_url);
	free(t->url);
	free(t->etag);
	free(t->last_modified);
	free(t->head);
	free(t);
}

/* Stops the transfer from inside a curl callback; curl then reports a
 * write or callback error that error_from_curl() turns into reason. */
static void
transfer_abort(struct fetch_transfer *t, enum treg_fetch_error reason,
    const char *detail)
{
	if (t->reason == TREG_FETCH_OK) {
		t->reason = reason;
		t->reason_detail = detail;
	}
}

/* ---- transfers: header parsing ------------------------------------------ */

static long
retry_after_seconds(const struct fetch_transfer *t)
{
	long cap = t->f->cfg->retry_after_max;
	long s;

	s = treg_httphead_retry_after(t->hdr[HDR_RETRY_AFTER],
	    t->hdr[HDR_DATE], time(NULL));
	if (s < 0)
		return -1;
	if (cap > 0 && s > cap)
		s = cap;
	return s;
}

static int
header_status_line(struct fetch_transfer *t, const char *line, size_t len)
{
	long code;

	code = treg_httphead_status(line, len);
	if (code < 0)
		return 0;

	/* A new response of the chain: what the previous one said is no
	 * longer what this one says. */
	transfer_reset_headers(t);
	t->status = code;
	return 0;
}

static int
header_field(struct fetch_transfer *t, const char *line, size_t len)
{
	struct treg_httphead_field fl;
	int i;

	if (treg_httphead_field(line, len, &fl) < 0)
		return 0;

	if (treg_httphead_field_is(&fl, "set-cookie")) {
		t->cookie_gen++;
		return 0;
	}
	/* Trailers after the body never replace what headers_cb saw. */
	if (t->final)
		return 0;
	for (i = 0; i < HDR_COUNT; i++) {
		if (!treg_httphead_field_is(&fl, fetch_hdr_names[i]))
			continue;
		/* The first of repeated headers wins, as curl does for
		 * Location. */
		if (t->hdr[i] != NULL)
			return 0;
		t->hdr[i] = strndup(fl.value, fl.value_len);
		return t->hdr[i] == NULL ? -ENOMEM : 0;
	}
	return 0;
}

/*
 * Records a redirect curl is about to follow.  A Location that leads back
 * to a URL of the chain with no cookie set since is a loop: requesting it
 * again would get the same answer.  A cookie changes that (a consent gate
 * redirects to itself once the cookie is set), and max_redirects bounds
 * loops that set cookies every time.
 */
static int
header_redirect(struct fetch_transfer *t)
{
	struct treg_fetch_hop *hops;
	unsigned *gens;
	char *loc;
	size_t i;

	loc = url_resolve(t->cur_url, t->hdr[HDR_LOCATION]);
	/* Checked before curl follows it: credentials a server hands out
	 * must be neither sent on nor kept in final_url and the hops. */
	if (loc != NULL && url_has_userinfo(loc)) {
		curl_free(loc);
		transfer_abort(t, TREG_FETCH_BAD_URL,
		    "credentials in redirect");
		return -EPERM;
	}

	hops = realloc(t->hops, (t->nhops + 1) * sizeof(*hops));
	if (hops != NULL)
		t->hops = hops;
	gens = realloc(t->hop_gen, (t->nhops + 1) * sizeof(*gens));
	if (gens != NULL)
		t->hop_gen = gens;
	if (hops == NULL || gens == NULL) {
		curl_free(loc);
		return -ENOMEM;
	}

	hops[t->nhops].status = t->status;
	hops[t->nhops].url = strdup(t->cur_url);
	hops[t->nhops].location = strdup(loc != NULL ? loc :
	    t->hdr[HDR_LOCATION]);
	gens[t->nhops] = t->cur_gen;
	t->nhops++;
	curl_free(loc);
	if (hops[t->nhops - 1].url == NULL ||
	    hops[t->nhops - 1].location == NULL)
		return -ENOMEM;

	/* What does not parse here cannot be checked (credentials, loops),
	 * so it is not followed, whatever curl would make of it. */
	if (loc == NULL) {
		transfer_abort(t, TREG_FETCH_BAD_URL, "unparsable redirect");
		return -EINVAL;
	}

	for (i = 0; i < t->nhops; i++) {
		if (gens[i] == t->cookie_gen &&
		    strcmp(hops[i].url, hops[t->nhops - 1].location) == 0) {
			transfer_abort(t, TREG_FETCH_REDIRECT_LOOP,
			    "redirect back to a URL of the chain");
			return -ELOOP;
		}
	}

	free(t->cur_url);
	t->cur_url = strdup(hops[t->nhops - 1].location);
	t->cur_gen = t->cookie_gen;
	return t->cur_url == NULL ? -ENOMEM : 0;
}

/*
 * Takes a final response coded gzip or deflate (alone) away from curl's
 * decoder: libcurl 7.88 reports no error when such a stream stops before
 * its end and CRC, so a cut page would pass for the whole one.  curl
 * reads CURLOPT_HTTP_CONTENT_DECODING as each body block arrives, so
 * setting it here, before the first, is in time.  XXX: curl 8 builds its
 * decoders while it parses the headers; on an upgrade this must move to
 * transfer_setup() (test_fetch's gzip tests fail if it does not).  XXX:
 * br and zstd are still decoded by curl, and its 7.88 decoders do not
 * report a stream cut before its end either (no curl issue says they
 * do), so a truncated br or zstd body is taken whole.  Returns 0 or a
 * negative errno with t stopped.
 */
static int
transfer_inflate_begin(struct fetch_transfer *t)
{
	const char *ce = t->hdr[HDR_CONTENT_ENCODING];
	int deflate;

	if (ce == NULL)
		return 0;
	deflate = strcasecmp(ce, "deflate") == 0;
	if (!deflate && strcasecmp(ce, "gzip") != 0 &&
	    strcasecmp(ce, "x-gzip") != 0)
		return 0;

	t->zs = calloc(1, sizeof(*t->zs));
	/* 15 + 32: a zlib or a gzip header, whichever comes. */
	if (t->zs == NULL || inflateInit2(t->zs, 15 + 32) != Z_OK) {
		free(t->zs);
		t->zs = NULL;
		return -ENOMEM;
	}
	t->z_deflate = deflate;
	if (curl_easy_setopt(t->easy, CURLOPT_HTTP_CONTENT_DECODING, 0L) !=
	    CURLE_OK) {
		transfer_inflate_end(t);
		transfer_abort(t, TREG_FETCH_OTHER,
		    "cannot take over content decoding");
		return -EINVAL;
	}
	return 0;
}

/* The blank line after one response's headers. */
static int
header_end(struct fetch_transfer *t)
{
	const struct treg_fetch_ops *ops = t->ops;
	int rc;

	/* Trailers after a chunked body end with a blank line too. */
	if (t->final)
		return 0;
	/* 1xx: the real response follows. */
	if (t->status >= 100 && t->status < 200)
		return 0;

	/* curl follows any 3xx with a Location until max_redirects have
	 * been followed; the one after that is the last response.  An
	 * empty Location it ignores, and so do we. */
	if (t->status >= 300 && t->status < 400 &&
	    t->hdr[HDR_LOCATION] != NULL && *t->hdr[HDR_LOCATION] != '\0' &&
	    (long)t->nhops < max_redirects(t->f->cfg))
		return header_redirect(t);

	t->final = 1;
	t->retry_after = retry_after_seconds(t);
	rc = transfer_inflate_begin(t);
	if (rc < 0)
		return rc;
	if (ops == NULL || ops->headers_cb == NULL) {
		t->want_body = 1;
		return 0;
	}

	transfer_fill_result(t, TREG_FETCH_OK, NULL);
	rc = ops->headers_cb(t->arg, &t->res);
	if (rc < 0) {
		transfer_abort(t, TREG_FETCH_ABORTED, "refused by headers_cb");
		return rc;
	}
	t->want_body = rc == 0;
	return 0;
}

static size_t
header_cb(char *data, size_t size, size_t nitems, void *userp)
{
	struct fetch_transfer *t = userp;
	const struct treg_config *cfg = t->f->cfg;
	size_t len = size * nitems;
	int rc, was_final = t->final;

	t->header_bytes += len;
	if (cfg->max_header > 0 && t->header_bytes > cfg->max_header) {
		transfer_abort(t, TREG_FETCH_HEADER_TOO_LARGE,
		    "response headers over max_header");
		return 0;
	}

	switch (treg_httphead_line_kind(data, len)) {
	case TREG_HTTPHEAD_STATUS:
		rc = header_status_line(t, data, len);
		break;
	case TREG_HTTPHEAD_END:
		rc = header_end(t);
		break;
	default:
		rc = header_field(t, data, len);
		break;
	}
	/* After the status line has reset the previous response's block;
	 * trailers after a body are not part of it. */
	if (rc == 0 && !was_final)
		rc = header_keep_raw(t, data, len);

	/* A loop or a refusal recorded its own reason; anything else that
	 * failed here was an allocation. */
	if (rc < 0) {
		transfer_abort(t, TREG_FETCH_OTHER, "out of memory");
		return 0;
	}
	return len;
}

/* ---- transfers: body ------------------------------------------------- */

/* Hands decoded body bytes on: the cap, the head kept for callers and
 * body_cb.  Returns 0, or -1 when t was stopped. */
static int
write_decoded(struct fetch_transfer *t, const char *data, size_t len)
{
	size_t room, cap = t->f->cfg->max_decoded;

	/* Counted after decoding, so a compressed bomb stops here. */
	if (cap > 0 && len > cap - t->bytes) {
		transfer_abort(t, TREG_FETCH_TOO_LARGE,
		    "decoded body over max_decoded");
		return -1;
	}
	t->bytes += len;

	if (t->head == NULL && len > 0 &&
	    (t->head = malloc(FETCH_BODY_HEAD)) == NULL) {
		transfer_abort(t, TREG_FETCH_ABORTED, "out of memory");
		return -1;
	}
	room = FETCH_BODY_HEAD - t->head_len;
	if (room > len)
		room = len;
	if (room > 0)
		memcpy(t->head + t->head_len, data, room);
	t->head_len += room;

	if (t->want_body && t->ops != NULL && t->ops->body_cb != NULL &&
	    t->ops->body_cb(t->arg, data, len) < 0) {
		transfer_abort(t, TREG_FETCH_ABORTED, "refused by body_cb");
		return -1;
	}
	return 0;
}

/*
 * Inflates len coded bytes of a gzip or deflate body into write_decoded().
 * "deflate" is meant to be zlib-wrapped, but some servers send it raw:
 * when the first bytes fail as zlib, they are read again as raw deflate.
 * Returns 0, or -1 when t was stopped.
 */
static int
write_inflate(struct fetch_transfer *t, char *data, size_t len)
{
	z_stream *zs = t->zs;
	char out[16384];
	size_t made;
	int rc;

	t->z_in += len;
	/* After the end (padding, a second gzip member) nothing counts,
	 * as with curl's own decoder.  XXX: a body sent as several gzip
	 * members is judged on the first member's text alone, and nothing
	 * says the rest was left out. */
	if (t->z_end)
		return 0;

	zs->next_in = (Bytef *)data;
	zs->avail_in = (uInt)len;
	do {
		zs->next_out = (Bytef *)out;
		zs->avail_out = sizeof(out);
		rc = inflate(zs, Z_NO_FLUSH);
		if (rc == Z_DATA_ERROR && t->z_deflate && t->z_in == len &&
		    zs->total_out == 0 && inflateReset2(zs, -15) == Z_OK) {
			t->z_deflate = 0;
			zs->next_in = (Bytef *)data;
			zs->avail_in = (uInt)len;
			continue;
		}
		made = sizeof(out) - zs->avail_out;
		if (made > 0 && write_decoded(t, out, made) < 0)
			return -1;
		if (rc == Z_STREAM_END) {
			t->z_end = 1;
			break;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			transfer_abort(t, TREG_FETCH_UNDECODABLE,
			    "corrupt gzip or deflate body");
			return -1;
		}
		if (rc == Z_BUF_ERROR && made == 0)
			break;
	} while (zs->avail_in > 0 || zs->avail_out == 0);
	return 0;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct fetch_transfer *t = userp;
	size_t len = size * nmemb;
	int rc;

	/* Bodies of redirects are skipped by curl; be sure of it. */
	if (!t->final)
		return len;

	if (t->zs != NULL)
		rc = write_inflate(t, data, len);
	else
		rc = write_decoded(t, data, len);
	return rc < 0 ? 0 : len;
}

/* Caps the bytes on the wire, which curl's MAXFILESIZE checks only against
 * a declared Content-Length. */
static int
progress_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct fetch_transfer *t = userp;
	size_t cap = t->f->cfg->max_body;

	if (cap > 0 && dlnow > 0 && (uint64_t)dlnow > (uint64_t)cap) {
		transfer_abort(t, TREG_FETCH_TOO_LARGE,
		    "body over max_body");
		return 1;
	}
	return 0;
}

/*
 * Every connection curl opens, for the first URL and each redirect, after
 * DNS or CURLOPT_RESOLVE, passes here, so the check sees the address that
 * is really used.  A reused connection was checked when it was opened.
 */
static curl_socket_t
opensocket_cb(void *userp, curlsocktype purpose,
    struct curl_sockaddr *address)
{
	struct fetch_transfer *t = userp;
	char host[NI_MAXHOST];

	if (!treg_fetch_address_allowed(t->f->cfg, &address->addr)) {
		t->refused = 1;
		if (getnameinfo(&address->addr, address->addrlen, host,
		    sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
			strcpy(host, "?");
		log_debug("fetch", "url=%s addr=%s refused: not allowed",
		    t->url, host);
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype,
	    address->protocol);
}

/* Right before each request goes out, on a connection made or reused:
 * the host's delay counts from here.  XXX: redirect hops of one transfer
 * are followed by curl at once, so a chain to one host comes faster than
 * host_delay_ms (bounded by max_redirects). */
static int
prereq_cb(void *userp, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct fetch_transfer *t = userp;
	struct fetch_host *h = t->host;

	h->last_start = now_ms();
	log_debug("fetch", "url=%s host=%s sent at_ms=%lld", t->url, h->name,
	    (long long)h->last_start);
	if (!t->sent) {
		t->sent = 1;
		h->unsent--;
		fetch_kick(t->f, host_delay(t->f, h));
	}
	return CURL_PREREQFUNC_OK;
}

/* ---- transfers: start ------------------------------------------------ */

static int
easy_check(CURLcode rc, const char *name)
{
	if (rc == CURLE_OK)
		return 0;
	log_err("fetch", "curl_easy_setopt %s failed: %s", name,
	    curl_easy_strerror(rc));
	return 1;
}

#define easy_set(e, opt, val) \
	easy_check(curl_easy_setopt((e), (opt), (val)), #opt)

static int
transfer_headers(struct fetch_transfer *t)
{
	struct curl_slist *l;
	char line[1024];

	if (treg_httphead_validator_ok(t->etag)) {
		snprintf(line, sizeof(line), "If-None-Match: %s", t->etag);
		l = curl_slist_append(t->headers, line);
		if (l == NULL)
			return -ENOMEM;
		t->headers = l;
	}
	if (treg_httphead_validator_ok(t->last_modified)) {
		snprintf(line, sizeof(line), "If-Modified-Since: %s",
		    t->last_modified);
		l = curl_slist_append(t->headers, line);
		if (l == NULL)
			return -ENOMEM;
		t->headers = l;
	}
	return 0;
}

/*
 * Sets up t's easy handle.  Every setopt is checked: curl leaves an option
 * unset when it rejects a value (an unknown protocol name in particular),
 * and a transfer without its limits must not run.
 */
static int
transfer_setup(struct fetch_transfer *t)
{
	const struct treg_config *cfg = t->f->cfg;
	CURL *e = t->easy;
	int bad = 0;

	if (transfer_headers(t) < 0)
		return -ENOMEM;

	bad |= easy_set(e, CURLOPT_URL, t->url);
	bad |= easy_set(e, CURLOPT_PRIVATE, (void *)t);
	bad |= easy_set(e, CURLOPT_ERRORBUFFER, t->errbuf);
	bad |= easy_set(e, CURLOPT_NOSIGNAL, 1L);
	bad |= easy_set(e, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= easy_set(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	bad |= easy_set(e, CURLOPT_FOLLOWLOCATION, 1L);
	bad |= easy_set(e, CURLOPT_MAXREDIRS, max_redirects(cfg));
	/* Per handle, so a cookie lives as long as one fetch's chain. */
	bad |= easy_set(e, CURLOPT_COOKIEFILE, "");
	bad |= easy_set(e, CURLOPT_ACCEPT_ENCODING, "");
	bad |= easy_set(e, CURLOPT_USERAGENT, cfg->user_agent != NULL ?
	    cfg->user_agent : FETCH_USER_AGENT);
	bad |= easy_set(e, CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout);
	bad |= easy_set(e, CURLOPT_TIMEOUT, cfg->timeout);
	bad |= easy_set(e, CURLOPT_LOW_SPEED_LIMIT, cfg->low_speed_limit);
	bad |= easy_set(e, CURLOPT_LOW_SPEED_TIME, cfg->low_speed_time);
	/* Not for robots.txt: curl would refuse a long one by its
	 * Content-Length before a byte of it, and its start is what counts
	 * (RFC 9309 2.5); progress_cb() still stops it at max_body. */
	if (cfg->max_body > 0 && !t->robots_fetch)
		bad |= easy_set(e, CURLOPT_MAXFILESIZE_LARGE,
		    (curl_off_t)cfg->max_body);
	if (cfg->ca_file != NULL)
		bad |= easy_set(e, CURLOPT_CAINFO, cfg->ca_file);
	if (t->f->resolve != NULL)
		bad |= easy_set(e, CURLOPT_RESOLVE, t->f->resolve);
	if (t->f->connect_to != NULL)
		bad |= easy_set(e, CURLOPT_CONNECT_TO, t->f->connect_to);
	/* "" rather than unset: curl would otherwise take http_proxy and
	 * friends from the environment, which a service must not do
	 * behind its operator's back.  XXX: through a proxy, the address
	 * check sees only the proxy's address (which allow_address must
	 * then list); the proxy resolves and connects to the target. */
	bad |= easy_set(e, CURLOPT_PROXY, cfg->proxy != NULL ?
	    cfg->proxy : "");
	bad |= easy_set(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	if (t->headers != NULL)
		bad |= easy_set(e, CURLOPT_HTTPHEADER, t->headers);
	bad |= easy_set(e, CURLOPT_HEADERFUNCTION, header_cb);
	bad |= easy_set(e, CURLOPT_HEADERDATA, (void *)t);
	bad |= easy_set(e, CURLOPT_WRITEFUNCTION, write_cb);
	bad |= easy_set(e, CURLOPT_WRITEDATA, (void *)t);
	bad |= easy_set(e, CURLOPT_XFERINFOFUNCTION, progress_cb);
	bad |= easy_set(e, CURLOPT_XFERINFODATA, (void *)t);
	bad |= easy_set(e, CURLOPT_NOPROGRESS, 0L);
	bad |= easy_set(e, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	bad |= easy_set(e, CURLOPT_OPENSOCKETDATA, (void *)t);
	bad |= easy_set(e, CURLOPT_PREREQFUNCTION, prereq_cb);
	bad |= easy_set(e, CURLOPT_PREREQDATA, (void *)t);

	return bad ? -EINVAL : 0;
}

static int
transfer_start(struct treg_fetch *f, struct fetch_transfer *t, int64_t now)
{
	CURLMcode mc;

	t->easy = curl_easy_init();
	if (t->easy == NULL)
		return -ENOMEM;
	if (transfer_setup(t) < 0)
		return -EINVAL;

	mc = curl_multi_add_handle(f->multi, t->easy);
	if (mc != CURLM_OK) {
		log_err("fetch", "curl_multi_add_handle failed: %s",
		    curl_multi_strerror(mc));
		return -EIO;
	}

	TAILQ_REMOVE(&f->queue, t, entry);
	f->nqueued--;
	TAILQ_INSERT_TAIL(&f->running, t, entry);
	t->list = &f->running;
	f->nrunning++;
	t->host->running++;
	t->host->started = 1;
	t->host->last_start = now;
	t->host->unsent++;
	t->sent = 0;
	if (t->started == 0)
		t->started = now;
	t->attempts++;
	log_debug("fetch", "url=%s host=%s attempt=%ld started", t->url,
	    t->host->name, t->attempts);
	return 0;
}

/* ---- queue ------------------------------------------------------------- */

static struct fetch_host *
host_get(struct treg_fetch *f, const char *name)
{
	struct fetch_host *h;

	TAILQ_FOREACH(h, &f->hosts, entry) {
		if (strcmp(h->name, name) == 0)
			return h;
	}

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->f = f;
	h->crawl_delay = -1;
	treg_buf_init(&h->robots_body, TREG_ROBOTS_MAX_BYTES);
	h->name = strdup(name);
	if (h->name == NULL) {
		free(h);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&f->hosts, h, entry);
	return h;
}

static void
host_free(struct treg_fetch *f, struct fetch_host *h)
{
	TAILQ_REMOVE(&f->hosts, h, entry);
	treg_robots_free(h->robots);
	treg_buf_cleanup(&h->robots_body);
	free(h->name);
	free(h);
}

/* The configured delay, or the host's Crawl-delay when that is longer. */
static long
host_delay(const struct treg_fetch *f, const struct fetch_host *h)
{
	long d = f->cfg->host_delay_ms >= 0 ? f->cfg->host_delay_ms :
	    FETCH_HOST_DELAY_MS;

	if (h != NULL && h->crawl_delay > d)
		d = h->crawl_delay;
	/* A little over, so the server never sees two requests closer
	 * than the delay however timers round and however long a busy
	 * server takes to read the earlier one. */
	return d > 0 ? d + FETCH_DELAY_SLACK_MS : 0;
}

/* Forgets hosts nobody waits for whose delay has run out, so the table
 * stays as small as the set of hosts in use. */
static void
hosts_prune(struct treg_fetch *f, int64_t now)
{
	struct fetch_host *h, *next;

	for (h = TAILQ_FIRST(&f->hosts); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (h->refs == 0 && h->robots_state == ROBOTS_NONE &&
		    h->hold_until <= now &&
		    (!h->started || now - h->last_start >= host_delay(f, h)))
			host_free(f, h);
	}
}

/* ---- robots.txt ------------------------------------------------------ */

static int	fetch_enqueue(struct treg_fetch *f,
		    const struct treg_fetch_request *req,
		    const struct treg_fetch_ops *ops, void *arg,
		    struct fetch_transfer **tp);

/* The part of url robots.txt rules look at: path and query. */
static char *
url_path_query(const char *url)
{
	char *path = NULL, *query = NULL, *out = NULL;
	CURLU *u;

	u = curl_url();
	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
			query = NULL;
		if (asprintf(&out, "%s%s%s", path, query != NULL ? "?" : "",
		    query != NULL ? query : "") < 0)
			out = NULL;
	}
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return out;
}

/* scheme://host[:port]/robots.txt of url, malloc'd (curl_free), or NULL. */
static char *
url_robots(const char *url)
{
	char *out = NULL;
	CURLU *u;

	u = curl_url();
	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PATH, "/robots.txt", 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		out = NULL;
	curl_url_cleanup(u);
	return out;
}

static void
robots_ready(struct fetch_host *h)
{
	h->robots_state = ROBOTS_READY;
	h->robots_at = now_ms();
}

/*
 * What a robots.txt answer means for h (RFC 9309 2.3.1): 2xx its rules;
 * 4xx but 429 no rules at all; 429 and 5xx "unreachable", so nothing may
 * be fetched; anything else (a redirect left over) no rules.
 */
static void
robots_apply(struct fetch_host *h, long status, const char *body,
    size_t len)
{
	struct treg_fetch *f = h->f;

	treg_robots_free(h->robots);
	h->robots = NULL;
	if (status >= 200 && status <= 299)
		h->robots = treg_robots_parse(body, len, f->robots_agent);
	else if (status == 429 || status >= 500)
		h->robots = treg_robots_new_disallow_all();
	/* Out of memory above leaves NULL, which allows: the caps and
	 * delays still hold, so that is the safe side of failing. */
	h->crawl_delay = treg_robots_crawl_delay_ms(h->robots);
	robots_ready(h);
	log_debug("fetch", "host=%s robots status=%ld rules=%zu delay=%ld",
	    h->name, status, treg_robots_nrules(h->robots), h->crawl_delay);
}

static int
robots_headers_cb(void *arg, const struct treg_fetch_result *res)
{
	struct fetch_host *h = arg;

	/* A retried transfer starts its body again. */
	treg_buf_cleanup(&h->robots_body);
	treg_buf_init(&h->robots_body, TREG_ROBOTS_MAX_BYTES);
	return res->status >= 200 && res->status <= 299 ? 0 : 1;
}

static int
robots_body_cb(void *arg, const char *data, size_t len)
{
	struct fetch_host *h = arg;

	/* Past the cap the rest is ignored, as the RFC allows. */
	(void)treg_buf_append(&h->robots_body, data, len);
	return 0;
}

static void
robots_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct fetch_host *h = arg;
	struct treg_fetch *f = h->f;
	const struct treg_fetch_robots_ops *ops = &f->robots_ops;
	const char *body = h->robots_body.data != NULL ?
	    h->robots_body.data : "";

	if (res->error == TREG_FETCH_ABORTED) {
		robots_ready(h);
	} else if (res->error == TREG_FETCH_TOO_LARGE &&
	    res->status >= 200 && res->status <= 299) {
		/* RFC 9309 2.5: the first TREG_ROBOTS_MAX_BYTES, which is
		 * what robots_body kept, are the rules. */
		robots_apply(h, res->status, body, h->robots_body.len);
		log_info("fetch", "host=%s robots.txt over max_body: its "
		    "first %zu bytes apply", h->name, h->robots_body.len);
	} else if (res->error != TREG_FETCH_OK && res->status >= 200 &&
	    res->status <= 299) {
		/* Answered, then cut off (timeout, reset, stall): the rules
		 * are unknown, and a lost Disallow must not allow, so the
		 * host is unreachable for this fetcher, as on a 5xx. */
		robots_apply(h, 503, "", 0);
		log_info("fetch", "host=%s robots.txt cut off: err=%s; host "
		    "disallowed", h->name,
		    treg_fetch_error_name(res->error));
	} else if (res->error != TREG_FETCH_OK && res->status >= 400) {
		/* The status is the answer, whatever became of its body. */
		robots_apply(h, res->status, "", 0);
	} else if (res->error != TREG_FETCH_OK) {
		/* No HTTP answer: the pages would get none either, and
		 * each should report its own error rather than a robots
		 * refusal, so this decides nothing. */
		robots_ready(h);
		log_info("fetch", "host=%s robots.txt failed: err=%s", h->name,
		    treg_fetch_error_name(res->error));
	} else {
		robots_apply(h, res->status, body, h->robots_body.len);
		if (ops->put_cb != NULL && res->status != 429 &&
		    res->status >= 200 && res->status <= 499)
			ops->put_cb(ops->arg, res->url, res->status, body,
			    h->robots_body.len);
	}
	treg_buf_cleanup(&h->robots_body);
	if (!f->closing)
		fetch_kick(f, 0);
}

static const struct treg_fetch_ops robots_fetch_ops = {
	.headers_cb = robots_headers_cb,
	.body_cb = robots_body_cb,
	.done_cb = robots_done_cb,
};

/* Looks h's robots.txt up in the cache, or queues its fetch.  XXX: hosts
 * are keyed by name alone, so the robots.txt of the first scheme and
 * port asked for applies to all of them; a site that differs between
 * http and https is judged by one of its files. */
static void
robots_start(struct treg_fetch *f, struct fetch_host *h, const char *url)
{
	const struct treg_fetch_robots_ops *ops = &f->robots_ops;
	struct treg_fetch_request req;
	struct fetch_transfer *rt;
	char *rurl, *body = NULL;
	size_t len = 0;
	long status = 0;

	rurl = url_robots(url);
	if (rurl == NULL) {
		robots_ready(h);
		return;
	}
	if (ops->get_cb != NULL &&
	    ops->get_cb(ops->arg, rurl, &body, &len, &status) == 0) {
		robots_apply(h, status, body, len);
		free(body);
		curl_free(rurl);
		return;
	}

	memset(&req, 0, sizeof(req));
	req.url = rurl;
	if (fetch_enqueue(f, &req, &robots_fetch_ops, h, &rt) < 0) {
		robots_ready(h);
	} else {
		rt->robots_fetch = 1;
		h->robots_state = ROBOTS_FETCHING;
	}
	curl_free(rurl);
}

/*
 * The host-wide rules for t beyond the caps: robots.txt and a server's
 * pause.  Returns 0 when t may start, 1 when it must wait (*leftp ms, or
 * -1 for an event), 2 when it was ended here.
 */
static int
fetch_gate(struct treg_fetch *f, struct fetch_transfer *t, int64_t now,
    long *leftp)
{
	struct fetch_host *h = t->host;
	long wait_max = f->cfg->retry_after_wait;
	char *path;
	int ok;

	*leftp = -1;
	/* A long-lived fetcher (the daemon's) asks again after a day. */
	if (h->robots_state == ROBOTS_READY &&
	    now - h->robots_at > FETCH_ROBOTS_TTL_MS) {
		treg_robots_free(h->robots);
		h->robots = NULL;
		h->crawl_delay = -1;
		h->robots_state = ROBOTS_NONE;
	}
	if (f->robots_on && !t->robots_fetch) {
		if (h->robots_state == ROBOTS_NONE)
			robots_start(f, h, t->url);
		if (h->robots_state == ROBOTS_FETCHING)
			return 1;
		if (h->robots != NULL) {
			path = url_path_query(t->url);
			ok = treg_robots_allowed(h->robots, path);
			free(path);
			if (!ok) {
				transfer_done(t, TREG_FETCH_ROBOTS,
				    "disallowed by robots.txt");
				return 2;
			}
		}
	}

	if (h->hold_until > now) {
		*leftp = (long)(h->hold_until - now);
		if (*leftp > (wait_max > 0 ? wait_max : 0) * 1000) {
			transfer_done(t, TREG_FETCH_RATE_LIMITED,
			    "host asked for a pause (Retry-After)");
			return 2;
		}
		return 1;
	}
	return 0;
}

/* ---- queue ------------------------------------------------------------- */

/*
 * Starts what the caps allow, in arrival order, and ends the requests that
 * failed their checks in treg_fetch_add().  When a host's delay, a pause
 * or a backoff holds a request back, the queue timer is set for the
 * moment it runs out; the caps are rechecked whenever a transfer
 * completes.
 */
static void
fetch_dispatch(struct treg_fetch *f)
{
	const struct treg_config *cfg = f->cfg;
	struct fetch_transfer *t, *next;
	long max_conn, per_host, delay, wait = -1, left;
	int64_t now = now_ms();

	max_conn = f->max_conn;
	per_host = cfg->per_host > 0 ? cfg->per_host : FETCH_PER_HOST;

	for (t = TAILQ_FIRST(&f->queue); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);

		if (t->reason != TREG_FETCH_OK) {
			transfer_done(t, t->reason, t->reason_detail);
			continue;
		}
		if (t->not_before > now) {
			left = (long)(t->not_before - now);
			if (wait < 0 || left < wait)
				wait = left;
			continue;
		}
		switch (fetch_gate(f, t, now, &left)) {
		case 0:
			break;
		case 1:
			if (left >= 0 && (wait < 0 || left < wait))
				wait = left;
			continue;
		default:
			/* Ended; a robots.txt transfer it queued kicked the
			 * queue again. */
			continue;
		}
		/* The delay runs from the moment a request is sent, which
		 * a new connection's handshake puts off: until it is,
		 * the host's next request waits (prereq_cb kicks). */
		if (f->held || (long)f->nrunning >= max_conn ||
		    t->host->running >= per_host || t->host->unsent > 0)
			continue;
		delay = host_delay(f, t->host);
		if (t->host->started && now - t->host->last_start < delay) {
			left = (long)(t->host->last_start + delay - now);
			if (wait < 0 || left < wait)
				wait = left;
			continue;
		}
		if (transfer_start(f, t, now) < 0)
			transfer_done(t, TREG_FETCH_OTHER,
			    "could not set up the transfer");
	}

	hosts_prune(f, now);
	if (wait >= 0)
		fetch_kick(f, wait);
}

static void
queue_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	fetch_dispatch(arg);
}

/* Runs fetch_dispatch() from the loop after ms milliseconds. */
static void
fetch_kick(struct treg_fetch *f, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(f->queue_ev, &tv) < 0)
		log_err("fetch", "evtimer_add failed");
}

/* Queues one transfer and, when tp is not NULL, says which. */
static int
fetch_enqueue(struct treg_fetch *f, const struct treg_fetch_request *req,
    const struct treg_fetch_ops *ops, void *arg, struct fetch_transfer **tp)
{
	struct fetch_transfer *t = NULL;
	char *host = NULL;
	int rc = -ENOMEM;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	t->f = f;
	t->ops = ops;
	t->arg = arg;
	t->retry_after = -1;
	t->url = strdup(req->url);
	if (req->etag != NULL)
		t->etag = strdup(req->etag);
	if (req->last_modified != NULL)
		t->last_modified = strdup(req->last_modified);
	if (t->url == NULL || (req->etag != NULL && t->etag == NULL) ||
	    (req->last_modified != NULL && t->last_modified == NULL))
		goto out;

	/* A refused URL is reported from the loop like any other failure,
	 * so callers have a single path for results. */
	t->reason = url_check(t->url, &t->cur_url, &host);
	if (t->reason == TREG_FETCH_OTHER)
		goto out;
	if (t->reason == TREG_FETCH_BAD_SCHEME) {
		t->reason_detail = "only http and https are fetched";
	} else if (t->reason != TREG_FETCH_OK) {
		t->reason_detail = "unparsable URL or credentials in it";
	} else {
		t->host = host_get(f, host);
		if (t->host == NULL)
			goto out;
		t->host->refs++;
	}

	TAILQ_INSERT_TAIL(&f->queue, t, entry);
	t->list = &f->queue;
	f->nqueued++;
	fetch_kick(f, 0);
	if (tp != NULL)
		*tp = t;
	t = NULL;
	rc = 0;
out:
	free(host);
	if (t != NULL) {
		free(t->url);
		free(t->etag);
		free(t->last_modified);
		free(t->cur_url);
		free(t);
	}
	return rc;
}

int
treg_fetch_add(struct treg_fetch *f, const struct treg_fetch_request *req,
    const struct treg_fetch_ops *ops, void *arg)
{
	if (f == NULL || req == NULL || req->url == NULL)
		return -EINVAL;
	if (f->closing)
		return -ESHUTDOWN;
	return fetch_enqueue(f, req, ops, arg, NULL);
}

void
treg_fetch_hold(struct treg_fetch *f, int hold)
{
	if (f->held == (hold != 0))
		return;
	f->held = hold != 0;
	if (!f->held)
		fetch_kick(f, 0);
}

int
treg_fetch_set_robots(struct treg_fetch *f, const char *agent,
    const struct treg_fetch_robots_ops *ops)
{
	char *copy;

	copy = strdup(agent != NULL ? agent : FETCH_USER_AGENT);
	if (copy == NULL)
		return -ENOMEM;
	free(f->robots_agent);
	f->robots_agent = copy;
	memset(&f->robots_ops, 0, sizeof(f->robots_ops));
	if (ops != NULL)
		f->robots_ops = *ops;
	f->robots_on = 1;
	return 0;
}

size_t
treg_fetch_pending(const struct treg_fetch *f)
{
	return f != NULL ? f->nqueued + f->nrunning : 0;
}

long
treg_fetch_max_connections(const struct treg_fetch *f)
{
	return f->max_conn;
}

/* ---- curl multi: timer update and completion drain ------------------- */

/* curl asks to be woken after timeout_ms (-1: never).  It must not be
 * called back from here, so the loop does it. */
static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct treg_fetch *f = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(f->timer_ev);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(f->timer_ev, &tv) < 0 ? -1 : 0;
}

/* A 429 or 503 with Retry-After pauses the whole host, whatever URL
 * asked: the server speaks about itself, not about one page. */
static void
transfer_note_pause(struct fetch_transfer *t)
{
	int64_t until;

	if (!t->final || t->retry_after < 0 ||
	    (t->status != 429 && t->status != 503))
		return;
	until = now_ms() + (int64_t)t->retry_after * 1000;
	if (until > t->host->hold_until)
		t->host->hold_until = until;
	log_info("fetch", "host=%s paused for %lds (Retry-After)",
	    t->host->name, t->retry_after);
}

static int
transfer_transient(const struct fetch_transfer *t, enum treg_fetch_error err)
{
	switch (err) {
	case TREG_FETCH_CONNECT:
	case TREG_FETCH_TIMEOUT:
	case TREG_FETCH_RESET:
		return 1;
	case TREG_FETCH_OK:
		return (t->status >= 500 || t->status == 429) &&
		    !transfer_is_challenge(t);
	default:
		return 0;
	}
}

/* Puts t back to the state it had before its first start. */
static int
transfer_rewind(struct fetch_transfer *t)
{
	char *norm = NULL, *host = NULL;
	size_t i;

	if (url_check(t->url, &norm, &host) != TREG_FETCH_OK)
		return -ENOMEM;
	free(host);
	free(t->cur_url);
	t->cur_url = norm;

	curl_easy_cleanup(t->easy);
	t->easy = NULL;
	transfer_inflate_end(t);
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	transfer_reset_headers(t);
	for (i = 0; i < t->nhops; i++) {
		free(t->hops[i].url);
		free(t->hops[i].location);
	}
	free(t->hops);
	free(t->hop_gen);
	t->hops = NULL;
	t->hop_gen = NULL;
	t->nhops = 0;
	t->reason = TREG_FETCH_OK;
	t->reason_detail = NULL;
	t->refused = 0;
	t->cur_gen = t->cookie_gen = 0;
	t->status = 0;
	t->header_bytes = 0;
	t->final = 0;
	t->want_body = 0;
	t->bytes = 0;
	t->head_len = 0;
	t->errbuf[0] = '\0';
	return 0;
}

/* Tells t's caller that what it got so far is void, and queues t again
 * to start after backoff ms.  Returns 0, or -1 when t cannot be made
 * again (it must then end). */
static int
transfer_requeue(struct fetch_transfer *t, enum treg_fetch_error err,
    const char *detail, long backoff)
{
	struct treg_fetch *f = t->f;

	transfer_fill_result(t, err, detail);
	t->ops->retry_cb(t->arg, &t->res);
	if (transfer_rewind(t) < 0)
		return -1;

	TAILQ_REMOVE(&f->running, t, entry);
	f->nrunning--;
	t->host->running--;
	if (!t->sent)
		t->host->unsent--;
	t->sent = 0;
	TAILQ_INSERT_TAIL(&f->queue, t, entry);
	t->list = &f->queue;
	f->nqueued++;
	t->not_before = now_ms() + backoff;
	return 0;
}

/*
 * Retries a transient failure of t, if its caller wants retries and any
 * are left: after base * 2^(n-1) ms plus up to as much jitter, or the
 * server's Retry-After if that is longer (one longer than
 * retry_after_wait is not waited for).  Returns 0 when t was queued
 * again, -1 when it ends now.
 */
static int
transfer_retry(struct fetch_transfer *t, enum treg_fetch_error err,
    const char *detail)
{
	struct treg_fetch *f = t->f;
	const struct treg_config *cfg = f->cfg;
	long base, backoff, shift, status = t->status;

	if (f->closing || t->ops == NULL || t->ops->retry_cb == NULL ||
	    t->robots_fetch || t->attempts > cfg->retries ||
	    !transfer_transient(t, err))
		return -1;
	if (t->final && t->retry_after >= 0 &&
	    t->retry_after > cfg->retry_after_wait)
		return -1;

	base = cfg->retry_backoff_ms > 0 ? cfg->retry_backoff_ms : 0;
	shift = t->attempts - 1 < 16 ? t->attempts - 1 : 16;
	backoff = base << shift;
	/* Doubling stops at an hour a wait: retries = 20 with the longest
	 * backoff once meant months. */
	if (backoff > FETCH_BACKOFF_MAX_MS)
		backoff = FETCH_BACKOFF_MAX_MS;
	if (backoff > 0)
		backoff += (long)arc4random_uniform((uint32_t)backoff + 1);
	if (t->final && t->retry_after >= 0 &&
	    t->retry_after * 1000 > backoff)
		backoff = t->retry_after * 1000;

	if (transfer_requeue(t, err, detail, backoff) < 0)
		return -1;
	log_info("fetch", "url=%s err=%s status=%ld retry=%ld in=%ldms",
	    t->url, treg_fetch_error_name(err), status, t->attempts,
	    backoff);
	return 0;
}

/*
 * A 304 at the end of a redirect answers the validators of the URL
 * asked for, which curl sends again on every hop: it says nothing of
 * the page moved to, whose text would have been taken for the old
 * page's.  The transfer is made again at once without them.  Returns 0
 * when t was queued again, -1 when it ends now.
 */
static int
transfer_moved_304(struct fetch_transfer *t, enum treg_fetch_error err)
{
	if (err != TREG_FETCH_OK || t->status != 304 || t->nhops == 0 ||
	    (t->etag == NULL && t->last_modified == NULL) ||
	    t->f->closing || t->ops == NULL || t->ops->retry_cb == NULL)
		return -1;
	free(t->etag);
	free(t->last_modified);
	t->etag = NULL;
	t->last_modified = NULL;
	if (transfer_requeue(t, err, "304 after a redirect", 0) < 0)
		return -1;
	log_info("fetch", "url=%s 304 after a redirect answers the first "
	    "URL's validators: fetched again without them", t->url);
	return 0;
}

static void
fetch_drain(struct treg_fetch *f)
{
	struct fetch_transfer *t;
	enum treg_fetch_error err;
	const char *detail;
	CURLMsg *msg;
	CURL *easy;
	char *priv;
	int left, ended = 0;

	for (;;) {
		msg = curl_multi_info_read(f->multi, &left);
		if (msg == NULL)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) !=
		    CURLE_OK || priv == NULL)
			continue;
		t = (struct fetch_transfer *)(void *)priv;

		err = error_from_curl(t, msg->data.result);
		/* Complete by its length, but not by its own coding; a body
		 * no one asked for (a 404's) does not matter. */
		if (err == TREG_FETCH_OK && t->zs != NULL && t->z_in > 0 &&
		    !t->z_end && t->want_body) {
			transfer_abort(t, TREG_FETCH_UNDECODABLE,
			    "gzip or deflate body ends before its stream");
			err = t->reason;
		}
		if (t->reason != TREG_FETCH_OK)
			detail = t->reason_detail;
		else if (err == TREG_FETCH_FORBIDDEN_ADDRESS)
			detail = "address not allowed";
		else if (err != TREG_FETCH_OK)
			detail = t->errbuf[0] != '\0' ? t->errbuf :
			    curl_easy_strerror(msg->data.result);
		else
			detail = NULL;

		/* msg points into the handle: done with it before removal. */
		curl_multi_remove_handle(f->multi, easy);
		transfer_note_pause(t);
		ended = 1;
		if (transfer_moved_304(t, err) == 0 ||
		    transfer_retry(t, err, detail) == 0)
			continue;
		transfer_done(t, err, detail);
	}
	if (ended && !TAILQ_EMPTY(&f->queue))
		fetch_kick(f, 0);
}

/* ---- curl multi: socket and timer callbacks -------------------------- */

static void
sock_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct treg_fetch *f = arg;
	int action = 0, still;
	CURLMcode mc;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;

	mc = curl_multi_socket_action(f->multi, fd, action, &still);
	if (mc != CURLM_OK)
		log_warn("fetch", "curl_multi_socket_action failed: %s",
		    curl_multi_strerror(mc));
	fetch_drain(f);
}

static void
curl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct treg_fetch *f = arg;
	int still;
	CURLMcode mc;

	mc = curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0,
	    &still);
	if (mc != CURLM_OK)
		log_warn("fetch", "curl_multi_socket_action failed: %s",
		    curl_multi_strerror(mc));
	fetch_drain(f);
}

/* curl says which events it wants on a socket, or that it is done with
 * it; the per-socket state lives in curl's socket hash. */
static int
multi_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct treg_fetch *f = userp;
	struct fetch_sock *fs = socketp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (fs != NULL) {
			if (fs->ev != NULL)
				event_free(fs->ev);
			free(fs);
		}
		return 0;
	}

	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;

	if (fs == NULL) {
		fs = calloc(1, sizeof(*fs));
		if (fs == NULL)
			return -1;
		fs->f = f;
		fs->fd = s;
		if (curl_multi_assign(f->multi, s, fs) != CURLM_OK) {
			free(fs);
			return -1;
		}
	} else if (fs->ev != NULL) {
		event_free(fs->ev);
	}

	fs->ev = event_new(f->base, s, kind, sock_event_cb, f);
	if (fs->ev == NULL || event_add(fs->ev, NULL) < 0) {
		log_err("fetch", "event_new failed fd=%d", (int)s);
		return -1;
	}
	return 0;
}

/* ---- lifecycle ------------------------------------------------------- */

/* Idle connections kept for reuse, per transfer allowed at once. */
#define FETCH_IDLE_PER_TRANSFER	4
/* Open files a running transfer may hold: its socket, and the threaded
 * resolver's pair while it resolves. */
#define FETCH_FDS_PER_TRANSFER	3
/* Open files left to the rest: the store, WARC and report files,
 * spools, the log, the event loop's own. */
#define FETCH_FDS_RESERVED	64

long
treg_fetch_files_needed(void)
{
	return FETCH_FDS_RESERVED + FETCH_FDS_PER_TRANSFER + 1;
}

/*
 * Transfers at once and idle connections kept, within the open-file
 * limit: past it every new connection fails, and with a thousand idle
 * ones cached libcurl closes none to make room, so the rest of a crawl
 * failed as "couldn't connect" (a reviewer's 3,000 hosts at
 * max_connections = 256 under ulimit -n 1024).
 */
static void
fetch_setup_limits(struct treg_fetch *f)
{
	long want = f->cfg->max_connections > 0 ?
	    f->cfg->max_connections : FETCH_MAX_CONNECTIONS;
	long fds = LONG_MAX / 2, fit;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)fds)
		fds = (long)rl.rlim_cur - FETCH_FDS_RESERVED;
	/* Room for each transfer and one idle connection: with less, the
	 * hosts a crawl visits in turn reconnect at every request (4,400
	 * connections for 4,400 URLs over 22 hosts). */
	fit = fds / (FETCH_FDS_PER_TRANSFER + 1);
	f->max_conn = want;
	if (fit < want) {
		f->max_conn = fit > 1 ? fit : 1;
		log_warn("fetch", "max_connections=%ld is more than %ld open "
		    "files allow: %ld transfer%s at once (raise LimitNOFILE "
		    "or ulimit -n)", want, (long)rl.rlim_cur, f->max_conn,
		    f->max_conn == 1 ? "" : "s");
	}
	/* 0 would be no limit at all. */
	f->idle_max = fds - f->max_conn * FETCH_FDS_PER_TRANSFER;
	if (f->idle_max > f->max_conn * FETCH_IDLE_PER_TRANSFER)
		f->idle_max = f->max_conn * FETCH_IDLE_PER_TRANSFER;
	if (f->idle_max < 1)
		f->idle_max = 1;
}

static int
fetch_setup_multi(struct treg_fetch *f)
{
	CURLMcode mc = CURLM_OK;

	fetch_setup_limits(f);
	f->multi = curl_multi_init();
	if (f->multi == NULL)
		return -ENOMEM;

	mc = curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION,
	    multi_socket_cb);
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION,
		    multi_timer_cb);
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	/*
	 * libcurl's own cache size is four times the transfers added at
	 * the moment, and shrinks with them: between two transfers it
	 * closed the idle connections of the hosts a crawl visits in
	 * turn, and 5,000 URLs over 22 hosts took 150-180 connections
	 * where 22 serve.  A fixed size keeps them.  It has room beyond
	 * the transfers running where open files allow: at
	 * max_connections itself the same crawl took 4,000 connections
	 * and ten times as long.
	 */
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS,
		    f->idle_max);
	if (mc != CURLM_OK) {
		log_err("fetch", "curl_multi_setopt failed: %s",
		    curl_multi_strerror(mc));
		return -EINVAL;
	}
	return 0;
}

/* Copies n configuration strings into a curl list, built once per
 * fetcher rather than per transfer. */
static int
fetch_slist_from(struct curl_slist **listp, char *const *items, size_t n)
{
	struct curl_slist *l;
	size_t i;

	for (i = 0; i < n; i++) {
		if (items[i] == NULL)
			continue;
		l = curl_slist_append(*listp, items[i]);
		if (l == NULL)
			return -ENOMEM;
		*listp = l;
	}
	return 0;
}

static int
fetch_setup_resolve(struct treg_fetch *f)
{
	const struct treg_config *cfg = f->cfg;

	if (fetch_slist_from(&f->resolve, cfg->resolve, cfg->nresolve) < 0)
		return -ENOMEM;
	return fetch_slist_from(&f->connect_to, cfg->connect_to,
	    cfg->nconnect_to);
}

struct treg_fetch *
treg_fetch_new(struct event_base *base, const struct treg_config *cfg)
{
	struct treg_fetch *f = NULL;
	CURLcode cc;
	int ok = 0;

	if (base == NULL || cfg == NULL) {
		log_err("fetch", "treg_fetch_new: no event base or config");
		return NULL;
	}

	cc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cc != CURLE_OK) {
		log_err("fetch", "curl_global_init failed: %s",
		    curl_easy_strerror(cc));
		return NULL;
	}

	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		log_err("fetch", "out of memory");
		curl_global_cleanup();
		return NULL;
	}
	f->base = base;
	f->cfg = cfg;
	TAILQ_INIT(&f->queue);
	TAILQ_INIT(&f->running);
	TAILQ_INIT(&f->hosts);

	f->timer_ev = evtimer_new(base, curl_timer_cb, f);
	f->queue_ev = evtimer_new(base, queue_timer_cb, f);
	if (f->timer_ev == NULL || f->queue_ev == NULL) {
		log_err("fetch", "evtimer_new failed");
		goto out;
	}
	if (fetch_setup_multi(f) < 0)
		goto out;
	if (fetch_setup_resolve(f) < 0) {
		log_err("fetch", "out of memory");
		goto out;
	}
	ok = 1;
out:
	if (!ok) {
		treg_fetch_free(f);
		f = NULL;
	}
	return f;
}

void
treg_fetch_free(struct treg_fetch *f)
{
	struct fetch_transfer *t;

	if (f == NULL)
		return;
	f->closing = 1;

	/* done_cb may not add more now: treg_fetch_add() sees closing.
	 * transfer_done() unlinks t from t->list, the list it was taken
	 * from; the analyser cannot tie t->list to that list and reports
	 * the next TAILQ_FIRST() as a use after free. */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while (!TAILQ_EMPTY(&f->running)) {
		t = TAILQ_FIRST(&f->running);
		curl_multi_remove_handle(f->multi, t->easy);
		transfer_done(t, TREG_FETCH_ABORTED, "fetcher shut down");
	}
	while (!TAILQ_EMPTY(&f->queue))
		transfer_done(TAILQ_FIRST(&f->queue), TREG_FETCH_ABORTED,
		    "fetcher shut down");
	while (!TAILQ_EMPTY(&f->hosts))
		host_free(f, TAILQ_FIRST(&f->hosts));
	/* NOLINTEND(clang-analyzer-unix.Malloc) */

	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	if (f->timer_ev != NULL)
		event_free(f->timer_ev);
	if (f->queue_ev != NULL)
		event_free(f->queue_ev);
	curl_slist_free_all(f->resolve);
	curl_slist_free_all(f->connect_to);
	free(f->robots_agent);
	free(f);
	curl_global_cleanup();
}

/* ---- results kept past their callback -------------------------------- */

/* Copies s into *dstp (NULL stays NULL).  Returns 0 or -ENOMEM. */
static int
result_dup(const char **dstp, const char *s)
{
	*dstp = NULL;
	if (s == NULL)
		return 0;
	*dstp = strdup(s);
	return *dstp != NULL ? 0 : -ENOMEM;
}

static int
result_copy_hops(struct treg_fetch_result *dst,
    const struct treg_fetch_result *src)
{
	struct treg_fetch_hop *hops;
	size_t i;

	dst->hops = NULL;
	dst->nhops = 0;
	if (src->nhops == 0)
		return 0;
	hops = calloc(src->nhops, sizeof(*hops));
	if (hops == NULL)
		return -ENOMEM;
	dst->hops = hops;
	dst->nhops = src->nhops;
	for (i = 0; i < src->nhops; i++) {
		hops[i].status = src->hops[i].status;
		hops[i].url = src->hops[i].url != NULL ?
		    strdup(src->hops[i].url) : NULL;
		hops[i].location = src->hops[i].location != NULL ?
		    strdup(src->hops[i].location) : NULL;
		if ((src->hops[i].url != NULL && hops[i].url == NULL) ||
		    (src->hops[i].location != NULL &&
		    hops[i].location == NULL))
			return -ENOMEM;
	}
	return 0;
}

int
treg_fetch_result_copy(struct treg_fetch_result *dst,
    const struct treg_fetch_result *src)
{
	char *head = NULL;
	int rc = 0;

	*dst = *src;
	dst->body_head = NULL;
	dst->body_head_len = 0;
	dst->raw_headers = NULL;
	rc |= result_dup(&dst->url, src->url);
	rc |= result_dup(&dst->error_detail, src->error_detail);
	rc |= result_dup(&dst->final_url, src->final_url);
	rc |= result_dup(&dst->content_type, src->content_type);
	rc |= result_dup(&dst->etag, src->etag);
	rc |= result_dup(&dst->last_modified, src->last_modified);
	rc |= result_dup(&dst->memento_datetime, src->memento_datetime);
	rc |= result_dup(&dst->refresh_url, src->refresh_url);
	rc |= result_copy_hops(dst, src);
	if (src->raw_headers != NULL) {
		head = malloc(src->raw_headers_len + 1);
		if (head != NULL) {
			memcpy(head, src->raw_headers, src->raw_headers_len);
			head[src->raw_headers_len] = '\0';
		}
		dst->raw_headers = head;
		if (head == NULL)
			rc = -ENOMEM;
	}
	return rc < 0 ? -ENOMEM : 0;
}

void
treg_fetch_result_cleanup(struct treg_fetch_result *res)
{
	size_t i;

	free((void *)res->url);
	free((void *)res->error_detail);
	free((void *)res->final_url);
	free((void *)res->content_type);
	free((void *)res->etag);
	free((void *)res->last_modified);
	free((void *)res->memento_datetime);
	free((void *)res->refresh_url);
	free((void *)res->raw_headers);
	for (i = 0; i < res->nhops; i++) {
		free(res->hops[i].url);
		free(res->hops[i].location);
	}
	free((void *)res->hops);
	memset(res, 0, sizeof(*res));
}
