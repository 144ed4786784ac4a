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
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "config.h"
#include "fetch.h"
#include "log.h"

#define FETCH_BODY_HEAD		16384	/* decoded bytes kept for callers */
#define FETCH_PER_HOST		2	/* when the configuration says 0 */
#define FETCH_HOST_DELAY_MS	1000
#define FETCH_MAX_CONNECTIONS	8
#define FETCH_USER_AGENT	"trustreg-crawl"

/* ---- global state ---------------------------------------------------- */

struct fetch_transfer;
TAILQ_HEAD(fetch_tqueue, fetch_transfer);

/* One host's politeness state.  Kept while a transfer refers to it or its
 * delay since the last start has not run out. */
struct fetch_host {
	TAILQ_ENTRY(fetch_host) entry;
	char		*name;		/* lower case */
	long		 refs;		/* transfers queued or running */
	long		 running;
	int		 started;	/* last_start is valid */
	int64_t		 last_start;	/* ms, monotonic */
};
TAILQ_HEAD(fetch_hosts, fetch_host);

struct treg_fetch {
	struct event_base	*base;
	const struct treg_config *cfg;
	CURLM			*multi;
	struct event		*timer_ev;	/* curl's timeout */
	struct event		*queue_ev;	/* starts queued transfers */
	struct curl_slist	*resolve;
	struct curl_slist	*connect_to;
	struct fetch_tqueue	 queue;		/* waiting, in arrival order */
	struct fetch_tqueue	 running;	/* added to the multi handle */
	struct fetch_hosts	 hosts;
	size_t			 nqueued;
	size_t			 nrunning;
	int			 closing;	/* treg_fetch_free() began */
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

	/* Our own reason to stop, which curl reports only as a write or
	 * callback error; TREG_FETCH_OK while none. */
	enum treg_fetch_error	 reason;
	const char		*reason_detail;
	int			 refused;	/* opensocket said no */

	/* The response being read. */
	char			*cur_url;	/* URL that is answering */
	unsigned		 cur_gen;	/* cookie_gen when requested */
	unsigned		 cookie_gen;	/* Set-Cookie headers so far */
	long			 status;
	char			*hdr[HDR_COUNT];
	size_t			 header_bytes;	/* all responses */
	int			 final;		/* final headers complete */
	int			 want_body;	/* headers_cb returned 0 */
	long			 retry_after;

	/* Redirects followed; hop_gen[i] is the cookie generation in which
	 * hops[i].url was requested. */
	struct treg_fetch_hop	*hops;
	unsigned		*hop_gen;
	size_t			 nhops;

	size_t			 bytes;		/* decoded body bytes */
	size_t			 head_len;
	char			 head[FETCH_BODY_HEAD];
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
	{ { 0xfe, 0xc0 }, 10 },				/* old site-local */
	{ { 0xff }, 8 },				/* multicast */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },		/* documentation */
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 },	/* local NAT64 */
	{ { 0x01, 0x00 }, 64 },				/* discard-only */
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
	out = malloc(strlen(url) + 4);
	if (out == NULL)
		return NULL;
	memcpy(out, url, pre);
	memcpy(out + pre, "id_", 3);
	strcpy(out + pre + 3, url + pre);
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

/*
 * Resolves a Location value against the URL that sent it.  Returns a
 * normalised malloc'd URL (curl_free), or NULL when it does not parse.
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
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		out = NULL;
	curl_url_cleanup(u);
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
	if (t->final) {
		res->content_type = t->hdr[HDR_CONTENT_TYPE];
		res->etag = t->hdr[HDR_ETAG];
		res->last_modified = t->hdr[HDR_LAST_MODIFIED];
		res->memento_datetime = t->hdr[HDR_MEMENTO];
		res->retry_after = t->retry_after;
	}
	res->body_head = t->head;
	res->body_head_len = t->head_len;
	res->bytes_received = t->bytes;
	res->ms = t->started != 0 ? (long)(now_ms() - t->started) : 0;
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
	} else {
		f->nqueued--;
	}
	if (t->host != NULL)
		t->host->refs--;

	transfer_fill_result(t, err, detail);
	log_debug("fetch", "url=%s err=%s status=%ld bytes=%zu ms=%ld",
	    t->url, treg_fetch_error_name(err), t->status, t->bytes,
	    t->res.ms);
	if (t->ops != NULL && t->ops->done_cb != NULL)
		t->ops->done_cb(t->arg, &t->res);

	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	transfer_reset_headers(t);
	for (i = 0; i < t->nhops; i++) {
		free(t->hops[i].url);
		free(t->hops[i].location);
	}
	free(t->hops);
	free(t->hop_gen);
	free(t->cur_url);
	free(t->url);
	free(t->etag);
	free(t->last_modified);
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
	const char *v = t->hdr[HDR_RETRY_AFTER];
	long cap = t->f->cfg->retry_after_max;
	time_t when, ref;
	long s;
	char *end;

	if (v == NULL)
		return -1;

	if (v[0] >= '0' && v[0] <= '9') {
		errno = 0;
		s = strtol(v, &end, 10);
		if (*end != '\0')
			return -1;
		if (errno == ERANGE)
			s = LONG_MAX;
	} else {
		/* An HTTP date is measured from the server's own Date, so
		 * that a skewed clock on either side does not matter. */
		when = curl_getdate(v, NULL);
		if (when == -1)
			return -1;
		ref = t->hdr[HDR_DATE] != NULL ?
		    curl_getdate(t->hdr[HDR_DATE], NULL) : -1;
		if (ref == -1)
			ref = time(NULL);
		s = when > ref ? (long)(when - ref) : 0;
	}
	if (s < 0)
		s = 0;
	if (cap > 0 && s > cap)
		s = cap;
	return s;
}

static int
header_status_line(struct fetch_transfer *t, const char *line, size_t len)
{
	const char *sp;
	long code = 0;
	size_t i;

	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return 0;
	for (i = (size_t)(sp - line) + 1; i < len && code < 1000; i++) {
		if (line[i] < '0' || line[i] > '9')
			break;
		code = code * 10 + (line[i] - '0');
	}

	/* A new response of the chain: what the previous one said is no
	 * longer what this one says. */
	transfer_reset_headers(t);
	t->status = code;
	return 0;
}

static int
header_field(struct fetch_transfer *t, const char *line, size_t len)
{
	const char *colon, *v, *end;
	size_t nlen;
	int i;

	colon = memchr(line, ':', len);
	if (colon == NULL)
		return 0;
	nlen = (size_t)(colon - line);

	v = colon + 1;
	end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;

	if (nlen == 10 && strncasecmp(line, "set-cookie", nlen) == 0) {
		t->cookie_gen++;
		return 0;
	}
	/* Trailers after the body never replace what headers_cb saw. */
	if (t->final)
		return 0;
	for (i = 0; i < HDR_COUNT; i++) {
		if (strlen(fetch_hdr_names[i]) != nlen ||
		    strncasecmp(line, fetch_hdr_names[i], nlen) != 0)
			continue;
		/* The first of repeated headers wins, as curl does for
		 * Location. */
		if (t->hdr[i] != NULL)
			return 0;
		t->hdr[i] = strndup(v, (size_t)(end - v));
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

	/* Unparsable: curl will fail on it and say why. */
	if (loc == NULL)
		return 0;

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
	 * been followed; the one after that is the last response. */
	if (t->status >= 300 && t->status < 400 &&
	    t->hdr[HDR_LOCATION] != NULL &&
	    (long)t->nhops < max_redirects(t->f->cfg))
		return header_redirect(t);

	t->final = 1;
	t->retry_after = retry_after_seconds(t);
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
	int rc;

	t->header_bytes += len;
	if (cfg->max_header > 0 && t->header_bytes > cfg->max_header) {
		transfer_abort(t, TREG_FETCH_HEADER_TOO_LARGE,
		    "response headers over max_header");
		return 0;
	}

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		rc = header_status_line(t, data, len);
	else if ((len == 2 && data[0] == '\r') || (len == 1 && *data == '\n'))
		rc = header_end(t);
	else
		rc = header_field(t, data, len);

	/* A loop or a refusal recorded its own reason; anything else that
	 * failed here was an allocation. */
	if (rc < 0) {
		transfer_abort(t, TREG_FETCH_OTHER, "out of memory");
		return 0;
	}
	return len;
}

/* ---- transfers: body ------------------------------------------------- */

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct fetch_transfer *t = userp;
	size_t len = size * nmemb, room;
	size_t cap = t->f->cfg->max_decoded;

	/* Bodies of redirects are skipped by curl; be sure of it. */
	if (!t->final)
		return len;

	/* Counted after decoding, so a compressed bomb stops here. */
	if (cap > 0 && len > cap - t->bytes) {
		transfer_abort(t, TREG_FETCH_TOO_LARGE,
		    "decoded body over max_decoded");
		return 0;
	}
	t->bytes += len;

	room = sizeof(t->head) - t->head_len;
	if (room > len)
		room = len;
	memcpy(t->head + t->head_len, data, room);
	t->head_len += room;

	if (t->want_body && t->ops != NULL && t->ops->body_cb != NULL &&
	    t->ops->body_cb(t->arg, data, len) < 0) {
		transfer_abort(t, TREG_FETCH_ABORTED, "refused by body_cb");
		return 0;
	}
	return len;
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
header_value_ok(const char *v)
{
	return v != NULL && v[0] != '\0' && strpbrk(v, "\r\n") == NULL;
}

static int
transfer_headers(struct fetch_transfer *t)
{
	struct curl_slist *l;
	char line[1024];

	if (header_value_ok(t->etag) && strlen(t->etag) < 900) {
		snprintf(line, sizeof(line), "If-None-Match: %s", t->etag);
		l = curl_slist_append(t->headers, line);
		if (l == NULL)
			return -ENOMEM;
		t->headers = l;
	}
	if (header_value_ok(t->last_modified) &&
	    strlen(t->last_modified) < 900) {
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
	if (cfg->max_body > 0)
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
	t->started = now;
	log_debug("fetch", "url=%s host=%s started", t->url, t->host->name);
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
	free(h->name);
	free(h);
}

static long
host_delay(const struct treg_fetch *f)
{
	return f->cfg->host_delay_ms >= 0 ? f->cfg->host_delay_ms :
	    FETCH_HOST_DELAY_MS;
}

/* Forgets hosts nobody waits for whose delay has run out, so the table
 * stays as small as the set of hosts in use. */
static void
hosts_prune(struct treg_fetch *f, int64_t now)
{
	struct fetch_host *h, *next;

	for (h = TAILQ_FIRST(&f->hosts); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (h->refs == 0 &&
		    (!h->started || now - h->last_start >= host_delay(f)))
			host_free(f, h);
	}
}

/*
 * Starts what the caps allow, in arrival order, and ends the requests that
 * failed their checks in treg_fetch_add().  When a host's delay holds a
 * request back, the queue timer is set for the moment it runs out; the
 * caps are rechecked whenever a transfer completes.
 */
static void
fetch_dispatch(struct treg_fetch *f)
{
	const struct treg_config *cfg = f->cfg;
	struct fetch_transfer *t, *next;
	long max_conn, per_host, delay, wait = -1, left;
	int64_t now = now_ms();

	max_conn = cfg->max_connections > 0 ? cfg->max_connections :
	    FETCH_MAX_CONNECTIONS;
	per_host = cfg->per_host > 0 ? cfg->per_host : FETCH_PER_HOST;
	delay = host_delay(f);

	for (t = TAILQ_FIRST(&f->queue); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);

		if (t->reason != TREG_FETCH_OK) {
			transfer_done(t, t->reason, t->reason_detail);
			continue;
		}
		if ((long)f->nrunning >= max_conn ||
		    t->host->running >= per_host)
			continue;
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

int
treg_fetch_add(struct treg_fetch *f, const struct treg_fetch_request *req,
    const struct treg_fetch_ops *ops, void *arg)
{
	struct fetch_transfer *t = NULL;
	char *host = NULL;
	int rc = -ENOMEM;

	if (f == NULL || req == NULL || req->url == NULL)
		return -EINVAL;
	if (f->closing)
		return -ESHUTDOWN;

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

size_t
treg_fetch_pending(const struct treg_fetch *f)
{
	return f != NULL ? f->nqueued + f->nrunning : 0;
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
		transfer_done(t, err, detail);
		ended = 1;
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

static int
fetch_setup_multi(struct treg_fetch *f)
{
	CURLMcode mc = CURLM_OK;

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

	/* done_cb may not add more now: treg_fetch_add() sees closing. */
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

	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	if (f->timer_ev != NULL)
		event_free(f->timer_ev);
	if (f->queue_ev != NULL)
		event_free(f->queue_ev);
	curl_slist_free_all(f->resolve);
	curl_slist_free_all(f->connect_to);
	free(f);
	curl_global_cleanup();
}
