/* SPDX-License-Identifier: MIT */
/*
 * Fixture and fault server for the integration tests.  It listens on
 * 127.0.0.1 only, speaks HTTP/1.1 with keep-alive over plain TCP or TLS,
 * and answers from a route table that is re-read whenever the file
 * changes.  Responses are built as bytes and then pushed through one send
 * engine that applies the faults (delay, drip, stall, reset, endless
 * bodies); that engine never holds more than one watermark of output plus
 * one repeat unit per connection, so memory stays flat whatever the client
 * does.  All per-connection state is freed in conn_free() and nowhere else.
 * See tests/fixture-server.md for the route format and the log format.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <zlib.h>

#define FX_HDR_MAX		(64 * 1024)	/* request header cap */
#define FX_READ_HIGH		(128 * 1024)	/* stop reading past this */
#define FX_WATERMARK		(64 * 1024)	/* output refill level */
#define FX_FILE_MAX		(64 * 1024 * 1024)
#define FX_HUGE_MAX		(64 * 1024 * 1024)
#define FX_TIMES_MAX		100000	/* request times kept per host */
#define FX_COUNTS_MAX		100000	/* host+path counters per table */
#define FX_COUNT_BUCKETS	256
#define FX_MAX_FILES		32
#define FX_MAX_HEADERS		32
#define FX_MAX_ENC		3

enum fx_action {
	ACT_RAW,
	ACT_PAGE,
	ACT_REDIRECT,
	ACT_STATUS
};

/* How a response is cut short; at most one per route. */
enum fx_cut {
	CUT_NONE,
	CUT_STALL,
	CUT_RESET,
	CUT_CLOSE,
	CUT_SILENT
};

enum fx_enc {
	ENC_GZIP,
	ENC_DEFLATE,
	ENC_BR
};

struct route {
	struct route	*next;
	int		 line;
	char		*host;		/* lower case, or "*" */
	char		*path;		/* without the trailing '*' */
	int		 prefix;
	enum fx_action	 action;
	char		*files[FX_MAX_FILES];
	size_t		 nfiles;
	int		 code;
	char		*location;
	char		*type;
	char		*etag;
	time_t		 lastmod;
	int		 has_lastmod;
	enum fx_enc	 enc[FX_MAX_ENC];
	size_t		 nenc;
	int		 if_accepted;
	char		*brfile;
	char		*body;
	char		*headers[FX_MAX_HEADERS];
	size_t		 nheaders;
	char		*cookie;	/* "name=value" that must be sent */
	long		 count_lo;	/* 0: any request number */
	long		 count_hi;	/* 0: no upper bound */
	long		 delay_ms;
	size_t		 drip_bytes;
	long		 drip_ms;
	enum fx_cut	 cut;
	size_t		 cut_at;
	char		*endless_chunk;
	char		*endless_body;
	int		 endless_repeat_body;
	size_t		 huge_headers;
	int		 close;
	unsigned long	 hits;
};

struct pathcount {
	struct pathcount *next;
	char		*key;
	unsigned long	 n;
};

/* One parsed route file.  Counters live here so a reload starts afresh. */
struct routes {
	struct route	*head;
	struct pathcount *buckets[FX_COUNT_BUCKETS];
	size_t		 ncounts;
};

struct hoststat {
	struct hoststat	*next;
	char		*name;
	int		 active;
	int		 max_active;
	unsigned long	 requests;
	long long	*times;
	size_t		 ntimes;
	size_t		 cap;
};

struct server {
	struct event_base *base;
	struct evconnlistener *listener;
	SSL_CTX		*ssl_ctx;
	const char	*routes_path;
	char		*routes_dir;
	struct routes	*routes;
	struct timespec	 routes_mtime;
	ino_t		 routes_ino;
	off_t		 routes_size;
	FILE		*log;
	struct hoststat	*hosts;
	struct conn	*conns;
	unsigned long	 next_conn_id;
	struct event	*sig_term;
	struct event	*sig_int;
	struct event	*sig_hup;
};

enum conn_state {
	ST_READ_LINE,
	ST_READ_HEADERS,
	ST_READ_BODY,
	ST_DELAY,
	ST_SEND,
	ST_FLUSH,
	ST_STALLED
};

struct request {
	char		*method;
	char		*target;
	char		*host;
	char		*inm;
	char		*ims;
	char		*cookie;
	char		*ae;
	char		*ua;
	int		 http10;
	int		 keep_alive;	/* HTTP/1.0 Connection: keep-alive */
	int		 want_close;
	int		 chunked;
	long long	 content_length;
};

struct conn {
	struct conn	*prev;
	struct conn	*next;
	struct server	*srv;
	struct bufferevent *bev;
	struct event	*timer;
	unsigned long	 id;
	struct hoststat	*hs;
	enum conn_state	 st;
	size_t		 hdr_bytes;
	struct request	 req;
	long long	 body_left;
	int		 peer_eof;

	/* The response being sent. */
	struct evbuffer	*pending;
	char		*repeat;
	size_t		 repeat_len;
	size_t		 repeat_off;
	size_t		 sent;
	enum fx_cut	 cut;
	size_t		 cut_at;
	int		 close_after;
	size_t		 drip_bytes;
	long		 drip_ms;
	long		 delay_ms;
};

static void conn_free(struct conn *);
static void conn_parse(struct conn *);
static void conn_pump(struct conn *);
static void fx_warnx(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static void
fx_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("fixture-server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
xstrdup(const char *s)
{
	char *p;

	p = strdup(s);
	if (p == NULL) {
		fx_warnx("out of memory");
		abort();
	}
	return p;
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	p = calloc(n, size);
	if (p == NULL) {
		fx_warnx("out of memory");
		abort();
	}
	return p;
}

static void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Reads a whole file; the caller frees *data.  Returns 0 or -errno. */
static int
file_read(const char *path, char **data, size_t *len)
{
	FILE *fp = NULL;
	char *buf = NULL;
	long size;
	int rc = 0;

	*data = NULL;
	*len = 0;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		rc = -errno;
		goto out;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		rc = -EIO;
		goto out;
	}
	if (size > FX_FILE_MAX) {
		rc = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (size > 0 && fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		rc = -EIO;
		goto out;
	}
	buf[size] = '\0';
	*data = buf;
	*len = (size_t)size;
	buf = NULL;
out:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

static const char *
reason_phrase(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 429: return "Too Many Requests";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

static int
http_date_parse(const char *s, time_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -EINVAL;
	*t = timegm(&tm);
	return 0;
}

static void
http_date_format(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ------------------------------------------------------------------ */
/* Route table                                                         */
/* ------------------------------------------------------------------ */

static void
route_free(struct route *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->host);
	free(r->path);
	for (i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->location);
	free(r->type);
	free(r->etag);
	free(r->brfile);
	free(r->body);
	free(r->cookie);
	free(r->endless_chunk);
	free(r->endless_body);
	free(r);
}

static void
routes_free(struct routes *rt)
{
	struct route *r, *rnext;
	struct pathcount *pc, *pcnext;
	size_t i;

	if (rt == NULL)
		return;
	for (r = rt->head; r != NULL; r = rnext) {
		rnext = r->next;
		route_free(r);
	}
	for (i = 0; i < FX_COUNT_BUCKETS; i++) {
		for (pc = rt->buckets[i]; pc != NULL; pc = pcnext) {
			pcnext = pc->next;
			free(pc->key);
			free(pc);
		}
	}
	free(rt);
}

/*
 * Splits one line into at most max tokens, in place.  Tokens are separated
 * by blanks; double quotes group blanks into a token and are removed, and
 * inside them \" \\ \r \n \t are escapes.  A token starting with '#' ends
 * the line.  Returns the token count or -EINVAL.
 */
static int
line_tokenize(char *line, char **tok, int max)
{
	char *src = line, *dst;
	int n = 0, quoted;

	for (;;) {
		while (*src == ' ' || *src == '\t' || *src == '\r' ||
		    *src == '\n')
			src++;
		if (*src == '\0' || *src == '#')
			break;
		if (n == max)
			return -EINVAL;
		tok[n++] = dst = src;
		quoted = 0;
		while (*src != '\0') {
			if (!quoted && (*src == ' ' || *src == '\t' ||
			    *src == '\r' || *src == '\n'))
				break;
			if (*src == '"') {
				quoted = !quoted;
				src++;
				continue;
			}
			if (quoted && *src == '\\' && src[1] != '\0') {
				src++;
				switch (*src) {
				case 'r': *dst++ = '\r'; break;
				case 'n': *dst++ = '\n'; break;
				case 't': *dst++ = '\t'; break;
				default: *dst++ = *src; break;
				}
				src++;
				continue;
			}
			*dst++ = *src++;
		}
		if (quoted)
			return -EINVAL;
		if (*src != '\0')
			src++;
		*dst = '\0';
	}
	return n;
}

static int
parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || x < lo || x > hi)
		return -EINVAL;
	*v = x;
	return 0;
}

static int
parse_size(const char *s, size_t *v)
{
	long x;

	if (parse_long(s, 0, LONG_MAX, &x) != 0)
		return -EINVAL;
	*v = (size_t)x;
	return 0;
}

/* Makes a relative file name relative to the route file's directory. */
static char *
route_file_path(const struct server *srv, const char *name)
{
	char *p;
	size_t len;

	if (name[0] == '/' || srv->routes_dir == NULL)
		return xstrdup(name);
	len = strlen(srv->routes_dir) + strlen(name) + 2;
	p = xcalloc(1, len);
	snprintf(p, len, "%s/%s", srv->routes_dir, name);
	return p;
}

static int
route_parse_count(struct route *r, const char *v)
{
	const char *dash;
	char lo[32];
	long x;

	dash = strchr(v, '-');
	if (dash == NULL) {
		if (parse_long(v, 1, LONG_MAX, &x) != 0)
			return -EINVAL;
		r->count_lo = r->count_hi = x;
		return 0;
	}
	if ((size_t)(dash - v) >= sizeof(lo) || dash == v)
		return -EINVAL;
	memcpy(lo, v, (size_t)(dash - v));
	lo[dash - v] = '\0';
	if (parse_long(lo, 1, LONG_MAX, &r->count_lo) != 0)
		return -EINVAL;
	if (dash[1] == '\0') {
		r->count_hi = 0;
		return 0;
	}
	if (parse_long(dash + 1, r->count_lo, LONG_MAX, &r->count_hi) != 0)
		return -EINVAL;
	return 0;
}

static int
route_set_cut(struct route *r, enum fx_cut cut, const char *v)
{
	if (r->cut != CUT_NONE)
		return -EINVAL;
	r->cut = cut;
	if (v == NULL)
		return 0;
	return parse_size(v, &r->cut_at);
}

/* One "key=value" or flag option.  Returns 0 or -EINVAL. */
static int
route_parse_option(const struct server *srv, struct route *r, char *opt)
{
	char *v, *colon;
	long x;

	v = strchr(opt, '=');
	if (v != NULL)
		*v++ = '\0';

	if (v == NULL) {
		if (strcmp(opt, "gzip") == 0 || strcmp(opt, "deflate") == 0 ||
		    strcmp(opt, "br") == 0) {
			if (r->nenc == FX_MAX_ENC)
				return -EINVAL;
			r->enc[r->nenc++] = opt[0] == 'g' ? ENC_GZIP :
			    opt[0] == 'd' ? ENC_DEFLATE : ENC_BR;
			return 0;
		}
		if (strcmp(opt, "if-accepted") == 0) {
			r->if_accepted = 1;
			return 0;
		}
		if (strcmp(opt, "silent") == 0)
			return route_set_cut(r, CUT_SILENT, NULL);
		if (strcmp(opt, "close") == 0) {
			r->close = 1;
			return 0;
		}
		if (strcmp(opt, "endless-repeat-body") == 0) {
			r->endless_repeat_body = 1;
			return 0;
		}
		return -EINVAL;
	}

	if (strcmp(opt, "type") == 0) {
		free(r->type);
		r->type = xstrdup(v);
	} else if (strcmp(opt, "etag") == 0) {
		free(r->etag);
		r->etag = xstrdup(v);
	} else if (strcmp(opt, "lastmod") == 0) {
		if (parse_long(v, 0, LONG_MAX, &x) == 0)
			r->lastmod = (time_t)x;
		else if (http_date_parse(v, &r->lastmod) != 0)
			return -EINVAL;
		r->has_lastmod = 1;
	} else if (strcmp(opt, "brfile") == 0) {
		free(r->brfile);
		r->brfile = route_file_path(srv, v);
	} else if (strcmp(opt, "body") == 0) {
		free(r->body);
		r->body = route_file_path(srv, v);
	} else if (strcmp(opt, "header") == 0) {
		colon = strchr(v, ':');
		if (colon == NULL || colon == v ||
		    r->nheaders == FX_MAX_HEADERS ||
		    strpbrk(v, "\r\n") != NULL)
			return -EINVAL;
		r->headers[r->nheaders++] = xstrdup(v);
	} else if (strcmp(opt, "status") == 0) {
		if (parse_long(v, 100, 999, &x) != 0)
			return -EINVAL;
		r->code = (int)x;
	} else if (strcmp(opt, "cookie") == 0) {
		if (strchr(v, '=') == NULL)
			return -EINVAL;
		free(r->cookie);
		r->cookie = xstrdup(v);
	} else if (strcmp(opt, "count") == 0) {
		return route_parse_count(r, v);
	} else if (strcmp(opt, "delay") == 0) {
		return parse_long(v, 0, LONG_MAX / 1000, &r->delay_ms);
	} else if (strcmp(opt, "drip") == 0) {
		colon = strchr(v, ':');
		if (colon == NULL)
			return -EINVAL;
		*colon++ = '\0';
		if (parse_size(v, &r->drip_bytes) != 0 ||
		    r->drip_bytes == 0 ||
		    parse_long(colon, 0, LONG_MAX / 1000, &r->drip_ms) != 0)
			return -EINVAL;
	} else if (strcmp(opt, "stall-after") == 0) {
		return route_set_cut(r, CUT_STALL, v);
	} else if (strcmp(opt, "reset-after") == 0) {
		return route_set_cut(r, CUT_RESET, v);
	} else if (strcmp(opt, "close-after") == 0) {
		return route_set_cut(r, CUT_CLOSE, v);
	} else if (strcmp(opt, "endless-chunk") == 0) {
		free(r->endless_chunk);
		r->endless_chunk = route_file_path(srv, v);
	} else if (strcmp(opt, "endless-body") == 0) {
		if (*v == '\0')
			return -EINVAL;
		free(r->endless_body);
		r->endless_body = xstrdup(v);
	} else if (strcmp(opt, "huge-headers") == 0) {
		if (parse_size(v, &r->huge_headers) != 0 ||
		    r->huge_headers > FX_HUGE_MAX)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* An action argument ends where the options begin. */
static int
token_is_option(const char *t)
{
	static const char *const flags[] = {
		"gzip", "deflate", "br", "if-accepted", "silent", "close",
		"endless-repeat-body", NULL
	};
	size_t i;

	if (strchr(t, '=') != NULL)
		return 1;
	for (i = 0; flags[i] != NULL; i++)
		if (strcmp(t, flags[i]) == 0)
			return 1;
	return 0;
}

/* Parses "HOST PATH ACTION [arg ...] [option ...]" tokens. */
static struct route *
route_parse(const struct server *srv, char **tok, int ntok, int line)
{
	struct route *r;
	const char *act;
	size_t plen;
	long code;
	int i = 3, ok = 0;

	if (ntok < 3) {
		fx_warnx("routes line %d: need HOST PATH ACTION", line);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->line = line;
	r->host = xstrdup(tok[0]);
	str_lower(r->host);
	plen = strlen(tok[1]);
	if (tok[1][0] != '/' && strcmp(tok[1], "*") != 0)
		goto out;
	r->path = xstrdup(tok[1]);
	if (plen > 0 && r->path[plen - 1] == '*') {
		r->prefix = 1;
		r->path[plen - 1] = '\0';
	}
	r->code = 200;

	act = tok[2];
	if (strcmp(act, "raw") == 0) {
		r->action = ACT_RAW;
		for (; i < ntok && !token_is_option(tok[i]); i++) {
			if (r->nfiles == FX_MAX_FILES)
				goto out;
			r->files[r->nfiles++] = route_file_path(srv, tok[i]);
		}
		if (r->nfiles == 0)
			goto out;
	} else if (strcmp(act, "page") == 0) {
		r->action = ACT_PAGE;
		if (i >= ntok || token_is_option(tok[i]))
			goto out;
		r->files[r->nfiles++] = route_file_path(srv, tok[i++]);
	} else if (strcmp(act, "redirect") == 0) {
		r->action = ACT_REDIRECT;
		if (ntok < 5 || parse_long(tok[3], 300, 399, &code) != 0 ||
		    strpbrk(tok[4], "\r\n") != NULL)
			goto out;
		r->code = (int)code;
		r->location = xstrdup(tok[4]);
		i = 5;
	} else if (strcmp(act, "status") == 0) {
		r->action = ACT_STATUS;
		if (ntok < 4 || parse_long(tok[3], 100, 999, &code) != 0)
			goto out;
		r->code = (int)code;
		i = 4;
	} else {
		goto out;
	}

	for (; i < ntok; i++) {
		if (route_parse_option(srv, r, tok[i]) != 0) {
			fx_warnx("routes line %d: bad option '%s'", line,
			    tok[i]);
			goto out;
		}
	}
	ok = 1;
out:
	if (!ok) {
		fx_warnx("routes line %d: cannot parse route", line);
		route_free(r);
		r = NULL;
	}
	return r;
}

static struct routes *
routes_load(const struct server *srv, const char *path)
{
	struct routes *rt = NULL;
	struct route *r, **tail;
	FILE *fp = NULL;
	char *line = NULL;
	char *tok[64];
	size_t cap = 0;
	int ntok, lineno = 0, ok = 0;

	fp = fopen(path, "r");
	if (fp == NULL) {
		fx_warnx("routes: cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	rt = xcalloc(1, sizeof(*rt));
	tail = &rt->head;
	while (getline(&line, &cap, fp) >= 0) {
		lineno++;
		ntok = line_tokenize(line, tok, 64);
		if (ntok < 0) {
			fx_warnx("routes line %d: bad quoting", lineno);
			goto out;
		}
		if (ntok == 0)
			continue;
		r = route_parse(srv, tok, ntok, lineno);
		if (r == NULL)
			goto out;
		*tail = r;
		tail = &r->next;
	}
	ok = 1;
out:
	free(line);
	if (fp != NULL)
		fclose(fp);
	if (!ok) {
		routes_free(rt);
		rt = NULL;
	}
	return rt;
}

/*
 * Re-reads the route file when forced or when its identity or mtime
 * changed.  Tests replace the file by rename, which changes the inode even
 * when two writes land in the same mtime tick.  A file that fails to parse
 * leaves the old table in force.
 */
static int
routes_refresh(struct server *srv, int force)
{
	struct routes *rt;
	struct stat st;

	if (stat(srv->routes_path, &st) != 0) {
		if (srv->routes == NULL)
			fx_warnx("routes: cannot stat %s: %s",
			    srv->routes_path, strerror(errno));
		return srv->routes != NULL ? 0 : -errno;
	}
	if (!force && srv->routes != NULL &&
	    st.st_ino == srv->routes_ino && st.st_size == srv->routes_size &&
	    st.st_mtim.tv_sec == srv->routes_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == srv->routes_mtime.tv_nsec)
		return 0;
	rt = routes_load(srv, srv->routes_path);
	if (rt == NULL)
		return srv->routes != NULL ? 0 : -EINVAL;
	routes_free(srv->routes);
	srv->routes = rt;
	srv->routes_ino = st.st_ino;
	srv->routes_size = st.st_size;
	srv->routes_mtime = st.st_mtim;
	return 0;
}

static unsigned long
hash_str(const char *s)
{
	unsigned long h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* Counts one request to host+path; returns its number, from 1. */
static unsigned long
routes_count(struct routes *rt, const char *host, const char *path,
    size_t pathlen)
{
	struct pathcount *pc;
	char *key;
	size_t len;
	unsigned long b;

	len = strlen(host) + pathlen + 2;
	key = xcalloc(1, len);
	snprintf(key, len, "%s %.*s", host, (int)pathlen, path);
	b = hash_str(key) % FX_COUNT_BUCKETS;
	for (pc = rt->buckets[b]; pc != NULL; pc = pc->next) {
		if (strcmp(pc->key, key) == 0) {
			free(key);
			return ++pc->n;
		}
	}
	if (rt->ncounts == FX_COUNTS_MAX) {
		/* XXX: past the cap new paths always count as request 1. */
		free(key);
		return 1;
	}
	pc = xcalloc(1, sizeof(*pc));
	pc->key = key;
	pc->n = 1;
	pc->next = rt->buckets[b];
	rt->buckets[b] = pc;
	rt->ncounts++;
	return 1;
}

static int
cookie_has(const char *header, const char *pair)
{
	size_t plen = strlen(pair);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncmp(p, pair, plen) == 0 &&
		    (p[plen] == '\0' || p[plen] == ';' || p[plen] == ' '))
			return 1;
		p = strchr(p, ';');
	}
	return 0;
}

static struct route *
routes_match(struct routes *rt, const struct request *req,
    unsigned long n)
{
	struct route *r;
	const char *target = req->target;
	size_t pathlen, plen;
	const char *subject;
	size_t sublen;

	pathlen = strcspn(target, "?");
	for (r = rt->head; r != NULL; r = r->next) {
		if (strcmp(r->host, "*") != 0 &&
		    strcmp(r->host, req->host) != 0)
			continue;
		/* A route path with a query matches the whole target. */
		subject = target;
		sublen = strchr(r->path, '?') != NULL ? strlen(target) :
		    pathlen;
		plen = strlen(r->path);
		if (r->prefix) {
			if (sublen < plen ||
			    strncmp(subject, r->path, plen) != 0)
				continue;
		} else if (sublen != plen ||
		    strncmp(subject, r->path, plen) != 0) {
			continue;
		}
		if (r->count_lo != 0 && ((long)n < r->count_lo ||
		    (r->count_hi != 0 && (long)n > r->count_hi)))
			continue;
		if (r->cookie != NULL && (req->cookie == NULL ||
		    !cookie_has(req->cookie, r->cookie)))
			continue;
		return r;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Per-host statistics and the request log                             */
/* ------------------------------------------------------------------ */

static struct hoststat *
hoststat_get(struct server *srv, const char *name)
{
	struct hoststat *hs;

	for (hs = srv->hosts; hs != NULL; hs = hs->next)
		if (strcmp(hs->name, name) == 0)
			return hs;
	hs = xcalloc(1, sizeof(*hs));
	hs->name = xstrdup(name);
	hs->next = srv->hosts;
	srv->hosts = hs;
	return hs;
}

static void
hoststat_note(struct hoststat *hs, long long t)
{
	long long *nt;
	size_t ncap;

	hs->requests++;
	if (hs->ntimes == FX_TIMES_MAX)
		return;
	if (hs->ntimes == hs->cap) {
		ncap = hs->cap == 0 ? 64 : hs->cap * 2;
		nt = realloc(hs->times, ncap * sizeof(*nt));
		if (nt == NULL)
			return;
		hs->times = nt;
		hs->cap = ncap;
	}
	hs->times[hs->ntimes++] = t;
}

static void
hoststats_free(struct hoststat *hs)
{
	struct hoststat *next;

	for (; hs != NULL; hs = next) {
		next = hs->next;
		free(hs->name);
		free(hs->times);
		free(hs);
	}
}

/* Moves a connection's attribution to the host it now talks to. */
static void
conn_attribute(struct conn *c, struct hoststat *hs)
{
	if (c->hs == hs)
		return;
	if (c->hs != NULL)
		c->hs->active--;
	c->hs = hs;
	hs->active++;
	if (hs->active > hs->max_active)
		hs->max_active = hs->active;
}

/* Log values are percent-encoded so a line always splits on blanks. */
static void
log_value(FILE *fp, const char *v)
{
	const unsigned char *p;

	if (v == NULL || *v == '\0') {
		fputc('-', fp);
		return;
	}
	if (strcmp(v, "-") == 0) {
		fputs("%2D", fp);
		return;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%')
			fprintf(fp, "%%%02X", *p);
		else
			fputc(*p, fp);
	}
}

static void
log_request(struct server *srv, const struct conn *c, long long t,
    const struct route *r, unsigned long n)
{
	FILE *fp = srv->log;
	const struct request *q = &c->req;

	if (fp == NULL)
		return;
	fprintf(fp, "%lld ", t);
	log_value(fp, q->host);
	fputc(' ', fp);
	log_value(fp, q->method);
	fputc(' ', fp);
	log_value(fp, q->target);
	fprintf(fp, " %lu %d route=%d n=%lu", c->id, c->hs->active,
	    r != NULL ? r->line : 0, n);
	fputs(" if-none-match=", fp);
	log_value(fp, q->inm);
	fputs(" if-modified-since=", fp);
	log_value(fp, q->ims);
	fputs(" cookie=", fp);
	log_value(fp, q->cookie);
	fputs(" accept-encoding=", fp);
	log_value(fp, q->ae);
	fputs(" user-agent=", fp);
	log_value(fp, q->ua);
	fputc('\n', fp);
	fflush(fp);
}

/* ------------------------------------------------------------------ */
/* Response building                                                   */
/* ------------------------------------------------------------------ */

/*
 * Appends filler header lines totalling exactly size bytes (at least one
 * 17-byte line), each under about 1 KiB.
 */
static void
add_filler(struct evbuffer *out, size_t size)
{
	char value[1024];
	size_t len, i = 0;

	memset(value, 'a', sizeof(value));
	while (size > 0) {
		len = size > 1024 + 17 ? 1024 : size;
		if (len < 17)
			len = 17;
		evbuffer_add_printf(out, "X-Fill-%06zu: %.*s\r\n",
		    i++ % 1000000, (int)(len - 17), value);
		size = size > len ? size - len : 0;
	}
}

static void
add_status_line(struct evbuffer *out, int code, size_t huge)
{
	char date[64];

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", code,
	    reason_phrase(code));
	if (huge > 0)
		add_filler(out, huge);
	http_date_format(time(NULL), date, sizeof(date));
	evbuffer_add_printf(out, "Date: %s\r\n", date);
}

static void
add_common_headers(struct conn *c, const struct route *r)
{
	size_t i;

	if (r != NULL)
		for (i = 0; i < r->nheaders; i++)
			evbuffer_add_printf(c->pending, "%s\r\n",
			    r->headers[i]);
	if (c->close_after)
		evbuffer_add_printf(c->pending, "Connection: close\r\n");
}

static int
method_is_head(const struct conn *c)
{
	return strcmp(c->req.method, "HEAD") == 0;
}

static void
build_simple(struct conn *c, const struct route *r, int code,
    const char *type, const char *body, size_t blen)
{
	add_status_line(c->pending, code, r != NULL ? r->huge_headers : 0);
	if (blen > 0 || (code >= 200 && code != 204 && code != 304)) {
		evbuffer_add_printf(c->pending, "Content-Type: %s\r\n", type);
		evbuffer_add_printf(c->pending, "Content-Length: %zu\r\n",
		    blen);
	}
	add_common_headers(c, r);
	evbuffer_add(c->pending, "\r\n", 2);
	if (!method_is_head(c) && blen > 0)
		evbuffer_add(c->pending, body, blen);
}

static void
build_error(struct conn *c, int code, const char *why)
{
	char body[512];
	int len;

	len = snprintf(body, sizeof(body),
	    "<html><body><h1>%d %s</h1><p>%s</p></body></html>\n", code,
	    reason_phrase(code), why);
	build_simple(c, NULL, code, "text/html; charset=utf-8", body,
	    (size_t)len);
}

/* Looks for a header in a raw response's header block. */
static int
raw_header_has(const char *data, size_t len, const char *name,
    const char *token)
{
	const char *p = data, *end = data + len, *eol, *v;
	size_t nlen = strlen(name), tlen;

	/* Skip the status line. */
	p = memchr(p, '\n', len);
	if (p == NULL)
		return 0;
	for (p++; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (p == eol || (p[0] == '\r' && p + 1 == eol))
			return 0;
		if ((size_t)(eol - p) <= nlen || p[nlen] != ':' ||
		    strncasecmp(p, name, nlen) != 0)
			continue;
		if (token == NULL)
			return 1;
		tlen = strlen(token);
		for (v = p + nlen + 1; v + tlen <= eol; v++)
			if (strncasecmp(v, token, tlen) == 0)
				return 1;
	}
	return 0;
}

/*
 * A raw response closes the connection when it says so, or when its body
 * can only end at EOF; otherwise the connection stays open for the next
 * request, which is also how a short body (BR-05) turns into a stall.
 */
static int
raw_wants_close(const char *data, size_t len)
{
	int code = 0;

	if (raw_header_has(data, len, "Connection", "close"))
		return 1;
	if (raw_header_has(data, len, "Content-Length", NULL) ||
	    raw_header_has(data, len, "Transfer-Encoding", "chunked"))
		return 0;
	if (sscanf(data, "HTTP/%*d.%*d %d", &code) == 1 &&
	    ((code >= 100 && code < 200) || code == 204 || code == 304))
		return 0;
	return 1;
}

static const char *
raw_body_start(const char *data, size_t len)
{
	const char *p;

	for (p = data; p + 1 < data + len; p++) {
		if (p[0] == '\n' && p[1] == '\n')
			return p + 2;
		if (p + 3 < data + len && memcmp(p, "\r\n\r\n", 4) == 0)
			return p + 4;
	}
	return NULL;
}

static int
build_raw(struct conn *c, struct route *r, char **data, size_t *len)
{
	const char *path, *nl;
	size_t idx;
	int rc;

	idx = r->hits < r->nfiles ? r->hits : r->nfiles - 1;
	path = r->files[idx];
	rc = file_read(path, data, len);
	if (rc != 0) {
		fx_warnx("route line %d: cannot read %s: %s", r->line, path,
		    strerror(-rc));
		return rc;
	}
	if (raw_wants_close(*data, *len))
		c->close_after = 1;
	nl = memchr(*data, '\n', *len);
	if (r->huge_headers > 0 && nl != NULL) {
		evbuffer_add(c->pending, *data, (size_t)(nl + 1 - *data));
		add_filler(c->pending, r->huge_headers);
		evbuffer_add(c->pending, nl + 1,
		    *len - (size_t)(nl + 1 - *data));
	} else {
		evbuffer_add(c->pending, *data, *len);
	}
	return 0;
}

static int
compress_zlib(const char *in, size_t inlen, int gzip, char **out,
    size_t *outlen)
{
	z_stream zs;
	char *buf = NULL;
	uLong bound;
	int rc = -EIO;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
	    gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -EIO;
	bound = deflateBound(&zs, (uLong)inlen) + 32;
	buf = malloc(bound);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto out;
	*out = buf;
	*outlen = zs.total_out;
	buf = NULL;
	rc = 0;
out:
	deflateEnd(&zs);
	free(buf);
	return rc;
}

static int
accepts_encoding(const char *ae, const char *name)
{
	const char *p;
	size_t n = strlen(name);

	for (p = ae; p != NULL && *p != '\0'; p++) {
		if (strncasecmp(p, name, n) == 0 &&
		    (p == ae || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ';' ||
		    p[n] == ' '))
			return 1;
	}
	return 0;
}

/* Picks the content coding for a page; -1 means identity. */
static int
page_pick_encoding(const struct conn *c, const struct route *r)
{
	static const char *const names[] = { "gzip", "deflate", "br" };
	size_t i;

	for (i = 0; i < r->nenc; i++) {
		if (!r->if_accepted ||
		    accepts_encoding(c->req.ae, names[r->enc[i]]))
			return (int)r->enc[i];
	}
	return -1;
}

static int
etag_matches(const char *header, const char *etag)
{
	const char *p = header;
	size_t elen = strlen(etag);

	if (strchr(header, '*') != NULL)
		return 1;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, elen) == 0 &&
		    (p[elen] == '\0' || p[elen] == ',' || p[elen] == ' '))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static int
page_not_modified(const struct conn *c, const struct route *r,
    const char *etag)
{
	time_t ims;

	/* If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). */
	if (c->req.inm != NULL)
		return etag_matches(c->req.inm, etag);
	if (c->req.ims != NULL && r->has_lastmod &&
	    http_date_parse(c->req.ims, &ims) == 0)
		return ims >= r->lastmod;
	return 0;
}

static uint64_t
fnv1a(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
build_page(struct conn *c, struct route *r, char **data, size_t *len)
{
	static const char *const names[] = { "gzip", "deflate", "br" };
	static const char *const suffix[] = { "-gz", "-df", "-br" };
	char etag[128], date[64];
	char *enc_data = NULL;
	const char *body;
	size_t blen, enc_len = 0;
	int enc, nm, rc;

	rc = file_read(r->files[0], data, len);
	if (rc != 0) {
		fx_warnx("route line %d: cannot read %s: %s", r->line,
		    r->files[0], strerror(-rc));
		return rc;
	}
	enc = page_pick_encoding(c, r);
	if (r->etag != NULL)
		snprintf(etag, sizeof(etag), "%s", r->etag);
	else
		snprintf(etag, sizeof(etag), "\"%016llx%s\"",
		    (unsigned long long)fnv1a(*data, *len),
		    enc >= 0 ? suffix[enc] : "");

	body = *data;
	blen = *len;
	nm = page_not_modified(c, r, etag);
	if (nm) {
		add_status_line(c->pending, 304, r->huge_headers);
		evbuffer_add_printf(c->pending, "ETag: %s\r\n", etag);
		goto trailer;
	}

	if (enc == ENC_BR) {
		rc = r->brfile != NULL ? file_read(r->brfile, &enc_data,
		    &enc_len) : -ENOENT;
		if (rc != 0) {
			fx_warnx("route line %d: br needs brfile=", r->line);
			return rc;
		}
	} else if (enc >= 0) {
		rc = compress_zlib(*data, *len, enc == ENC_GZIP, &enc_data,
		    &enc_len);
		if (rc != 0)
			return rc;
	}
	if (enc >= 0) {
		body = enc_data;
		blen = enc_len;
	}

	add_status_line(c->pending, r->code, r->huge_headers);
	evbuffer_add_printf(c->pending, "Content-Type: %s\r\n",
	    r->type != NULL ? r->type : "text/html; charset=utf-8");
	evbuffer_add_printf(c->pending, "Content-Length: %zu\r\n", blen);
	evbuffer_add_printf(c->pending, "ETag: %s\r\n", etag);
	if (enc >= 0)
		evbuffer_add_printf(c->pending, "Content-Encoding: %s\r\n",
		    names[enc]);
	if (r->nenc > 0)
		evbuffer_add_printf(c->pending, "Vary: Accept-Encoding\r\n");
trailer:
	if (r->has_lastmod) {
		http_date_format(r->lastmod, date, sizeof(date));
		evbuffer_add_printf(c->pending, "Last-Modified: %s\r\n",
		    date);
	}
	add_common_headers(c, r);
	evbuffer_add(c->pending, "\r\n", 2);
	if (!nm && !method_is_head(c))
		evbuffer_add(c->pending, body, blen);
	free(enc_data);
	return 0;
}

static int
build_status(struct conn *c, struct route *r, char **data, size_t *len)
{
	char deflt[256];
	int rc, n;

	if (r->body != NULL) {
		rc = file_read(r->body, data, len);
		if (rc != 0) {
			fx_warnx("route line %d: cannot read %s: %s",
			    r->line, r->body, strerror(-rc));
			return rc;
		}
		build_simple(c, r, r->code, r->type != NULL ? r->type :
		    "text/html; charset=utf-8", *data, *len);
		return 0;
	}
	n = snprintf(deflt, sizeof(deflt),
	    "<html><body><h1>%d %s</h1></body></html>\n", r->code,
	    reason_phrase(r->code));
	if (r->code == 204 || r->code == 304 || r->code < 200)
		n = 0;
	build_simple(c, r, r->code, r->type != NULL ? r->type :
	    "text/html; charset=utf-8", deflt, (size_t)n);
	return 0;
}

static void
build_redirect(struct conn *c, struct route *r)
{
	add_status_line(c->pending, r->code, r->huge_headers);
	evbuffer_add_printf(c->pending, "Location: %s\r\n", r->location);
	evbuffer_add_printf(c->pending, "Content-Length: 0\r\n");
	add_common_headers(c, r);
	evbuffer_add(c->pending, "\r\n", 2);
}

/* Wraps a payload in chunked framing unless it is framed already. */
static char *
chunk_frame(char *data, size_t len, size_t *outlen)
{
	char *end, *out;
	unsigned long size;
	int hlen;

	size = strtoul(data, &end, 16);
	if (end != data && end + 2 <= data + len && end[0] == '\r' &&
	    end[1] == '\n' && (size_t)(end + 2 - data) + size + 2 == len &&
	    memcmp(data + len - 2, "\r\n", 2) == 0) {
		*outlen = len;
		return data;
	}
	out = xcalloc(1, len + 32);
	hlen = snprintf(out, 32, "%zx\r\n", len);
	memcpy(out + hlen, data, len);
	memcpy(out + hlen + len, "\r\n", 2);
	*outlen = (size_t)hlen + len + 2;
	free(data);
	return out;
}

/* Sets up what repeats forever after the response bytes, if anything. */
static int
build_endless(struct conn *c, struct route *r, const char *raw,
    size_t rawlen)
{
	const char *body;
	char *data;
	size_t len;
	int rc;

	if (r->endless_chunk != NULL) {
		rc = file_read(r->endless_chunk, &data, &len);
		if (rc != 0 || len == 0) {
			fx_warnx("route line %d: cannot read %s", r->line,
			    r->endless_chunk);
			free(data);
			return rc != 0 ? rc : -EINVAL;
		}
		c->repeat = chunk_frame(data, len, &c->repeat_len);
	} else if (r->endless_body != NULL) {
		c->repeat = xstrdup(r->endless_body);
		c->repeat_len = strlen(c->repeat);
	} else if (r->endless_repeat_body && raw != NULL) {
		body = raw_body_start(raw, rawlen);
		if (body == NULL || body == raw + rawlen)
			return -EINVAL;
		len = rawlen - (size_t)(body - raw);
		c->repeat = xcalloc(1, len);
		memcpy(c->repeat, body, len);
		c->repeat_len = len;
	}
	if (c->repeat != NULL)
		c->close_after = 0;
	return 0;
}

static void
stats_reply(struct conn *c)
{
	struct evbuffer *b;
	struct hoststat *hs;
	const unsigned char *p;
	size_t i;

	b = evbuffer_new();
	if (b == NULL)
		return;
	evbuffer_add_printf(b, "{\"hosts\":{");
	for (hs = c->srv->hosts; hs != NULL; hs = hs->next) {
		evbuffer_add(b, "\"", 1);
		for (p = (const unsigned char *)hs->name; *p != '\0'; p++) {
			if (*p < 0x20 || *p >= 0x7f || *p == '"' ||
			    *p == '\\')
				evbuffer_add_printf(b, "\\u%04x", *p);
			else
				evbuffer_add(b, p, 1);
		}
		evbuffer_add_printf(b, "\":{\"requests\":%lu,"
		    "\"max_active\":%d,\"active\":%d,\"times_ms\":[",
		    hs->requests, hs->max_active, hs->active);
		for (i = 0; i < hs->ntimes; i++)
			evbuffer_add_printf(b, "%s%lld", i > 0 ? "," : "",
			    hs->times[i]);
		evbuffer_add_printf(b, "]}%s", hs->next != NULL ? "," : "");
	}
	evbuffer_add_printf(b, "}}\n");
	add_status_line(c->pending, 200, 0);
	evbuffer_add_printf(c->pending, "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n",
	    evbuffer_get_length(b));
	add_common_headers(c, NULL);
	evbuffer_add(c->pending, "\r\n", 2);
	if (!method_is_head(c))
		evbuffer_add_buffer(c->pending, b);
	evbuffer_free(b);
}

/* ------------------------------------------------------------------ */
/* Connections: reading requests                                       */
/* ------------------------------------------------------------------ */

static void
request_clear(struct request *q)
{
	free(q->method);
	free(q->target);
	free(q->host);
	free(q->inm);
	free(q->ims);
	free(q->cookie);
	free(q->ae);
	free(q->ua);
	memset(q, 0, sizeof(*q));
}

/* Frees the connection: the one place per-connection state is freed. */
static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->hs != NULL)
		c->hs->active--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->pending != NULL)
		evbuffer_free(c->pending);
	free(c->repeat);
	request_clear(&c->req);
	free(c);
}

/* Sends TLS close_notify when the output is empty, then frees. */
static void
conn_close(struct conn *c)
{
	SSL *ssl;

	ssl = bufferevent_openssl_get_ssl(c->bev);
	if (ssl != NULL)
		SSL_shutdown(ssl);
	conn_free(c);
}

static void
conn_reset(struct conn *c)
{
	struct linger lg = { 1, 0 };
	evutil_socket_t fd;

	fd = bufferevent_getfd(c->bev);
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)) != 0)
		fx_warnx("conn %lu: SO_LINGER: %s", c->id, strerror(errno));
	conn_free(c);
}

static void
conn_response_clear(struct conn *c)
{
	evbuffer_drain(c->pending, evbuffer_get_length(c->pending));
	free(c->repeat);
	c->repeat = NULL;
	c->repeat_len = 0;
	c->repeat_off = 0;
	c->sent = 0;
	c->cut = CUT_NONE;
	c->cut_at = 0;
	c->close_after = 0;
	c->drip_bytes = 0;
	c->drip_ms = 0;
	c->delay_ms = 0;
}

static char *
header_value(char *line, size_t nlen)
{
	char *v = line + nlen + 1, *end;

	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return v;
}

static void
header_keep(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

/* Returns 0, or -EINVAL on a header the server will not accept. */
static int
conn_header(struct conn *c, char *line)
{
	struct request *q = &c->req;
	char *colon, *v, *end;
	size_t nlen;

	colon = strchr(line, ':');
	if (colon == NULL || colon == line || line[0] == ' ' ||
	    line[0] == '\t')
		return -EINVAL;
	nlen = (size_t)(colon - line);
	if (strcspn(line, " \t") < nlen)
		return -EINVAL;
	v = header_value(line, nlen);
	if (nlen == 4 && strncasecmp(line, "Host", 4) == 0) {
		header_keep(&q->host, v);
	} else if (nlen == 13 && strncasecmp(line, "If-None-Match", 13) == 0) {
		header_keep(&q->inm, v);
	} else if (nlen == 17 &&
	    strncasecmp(line, "If-Modified-Since", 17) == 0) {
		header_keep(&q->ims, v);
	} else if (nlen == 6 && strncasecmp(line, "Cookie", 6) == 0) {
		header_keep(&q->cookie, v);
	} else if (nlen == 15 &&
	    strncasecmp(line, "Accept-Encoding", 15) == 0) {
		header_keep(&q->ae, v);
	} else if (nlen == 10 && strncasecmp(line, "User-Agent", 10) == 0) {
		header_keep(&q->ua, v);
	} else if (nlen == 10 && strncasecmp(line, "Connection", 10) == 0) {
		if (strcasestr(v, "close") != NULL)
			q->want_close = 1;
		if (strcasestr(v, "keep-alive") != NULL)
			q->keep_alive = 1;
	} else if (nlen == 17 &&
	    strncasecmp(line, "Transfer-Encoding", 17) == 0) {
		q->chunked = 1;
	} else if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
		errno = 0;
		q->content_length = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    q->content_length < 0)
			return -EINVAL;
	}
	return 0;
}

static int
conn_request_line(struct conn *c, char *line)
{
	struct request *q = &c->req;
	char *sp1, *sp2;

	sp1 = strchr(line, ' ');
	if (sp1 == NULL)
		return -EINVAL;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL || sp1 == line || sp2 == sp1 + 1)
		return -EINVAL;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		q->http10 = 0;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		q->http10 = 1;
	else
		return -EINVAL;
	*sp1 = *sp2 = '\0';
	if (strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(line) ||
	    sp1[1] != '/')
		return -EINVAL;
	q->method = xstrdup(line);
	q->target = xstrdup(sp1 + 1);
	return 0;
}

static void
timer_arm(struct conn *c, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

static void
conn_begin_send(struct conn *c)
{
	if (c->cut == CUT_SILENT) {
		/* Never answer; keep reading so a closing peer frees us. */
		c->st = ST_STALLED;
		return;
	}
	c->st = ST_SEND;
	conn_pump(c);
}

/* Normalises the Host header: lower case, port stripped. */
static void
request_fix_host(struct request *q)
{
	char *p;

	if (q->host == NULL || q->host[0] == '\0') {
		header_keep(&q->host, "-");
		return;
	}
	str_lower(q->host);
	if (q->host[0] == '[') {
		p = strchr(q->host, ']');
		if (p != NULL)
			p[1] = '\0';
		return;
	}
	p = strchr(q->host, ':');
	if (p != NULL)
		*p = '\0';
}

static int
conn_build(struct conn *c, struct route *r)
{
	char *data = NULL;
	size_t len = 0;
	int rc = 0;

	switch (r->action) {
	case ACT_RAW:
		rc = build_raw(c, r, &data, &len);
		break;
	case ACT_PAGE:
		rc = build_page(c, r, &data, &len);
		break;
	case ACT_REDIRECT:
		build_redirect(c, r);
		break;
	case ACT_STATUS:
		rc = build_status(c, r, &data, &len);
		break;
	}
	if (rc == 0)
		rc = build_endless(c, r, r->action == ACT_RAW ? data : NULL,
		    len);
	free(data);
	return rc;
}

/* Routes one complete request and starts sending the answer. */
static void
conn_dispatch(struct conn *c)
{
	struct server *srv = c->srv;
	struct request *q = &c->req;
	struct route *r = NULL;
	unsigned long n = 0;
	long long t;

	t = now_ms();
	request_fix_host(q);
	conn_response_clear(c);
	c->close_after = q->want_close || (q->http10 && !q->keep_alive);

	if (strcmp(q->target, "/__stats") == 0) {
		stats_reply(c);
		conn_begin_send(c);
		return;
	}

	routes_refresh(srv, 0);
	conn_attribute(c, hoststat_get(srv, q->host));
	hoststat_note(c->hs, t);
	n = routes_count(srv->routes, q->host, q->target,
	    strcspn(q->target, "?"));
	r = routes_match(srv->routes, q, n);
	log_request(srv, c, t, r, n);

	if (r == NULL) {
		build_error(c, 404, "no route");
		conn_begin_send(c);
		return;
	}
	if (conn_build(c, r) != 0) {
		conn_response_clear(c);
		c->close_after = 1;
		build_error(c, 500, "fixture file missing");
		r->hits++;
		conn_begin_send(c);
		return;
	}
	r->hits++;
	if (r->close)
		c->close_after = 1;
	c->cut = r->cut;
	c->cut_at = r->cut_at;
	c->drip_bytes = r->drip_bytes;
	c->drip_ms = r->drip_ms;
	c->delay_ms = r->delay_ms;
	if (c->delay_ms > 0) {
		c->st = ST_DELAY;
		timer_arm(c, c->delay_ms);
		return;
	}
	conn_begin_send(c);
}

/* Header bytes so far plus what waits unread must stay under the cap. */
static int
conn_over_cap(struct conn *c, struct evbuffer *in)
{
	return c->hdr_bytes + evbuffer_get_length(in) > FX_HDR_MAX;
}

/*
 * Reads as much of the next request as has arrived.  Returns 1 when a
 * request was dispatched (the connection may be gone by then: a cut at
 * zero bytes frees it at once), 0 when more input is needed, -1 when the
 * connection was freed for bad input.
 */
static int
conn_read_request(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char *line;
	size_t len;
	int rc;

	while (c->st == ST_READ_LINE || c->st == ST_READ_HEADERS) {
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			if (conn_over_cap(c, in))
				goto bad;
			return 0;
		}
		c->hdr_bytes += len + 2;
		if (c->hdr_bytes > FX_HDR_MAX) {
			free(line);
			goto bad;
		}
		if (c->st == ST_READ_LINE) {
			/* RFC 9112 2.2: ignore blank lines before a request */
			rc = len == 0 ? 0 : conn_request_line(c, line);
			if (len > 0 && rc == 0)
				c->st = ST_READ_HEADERS;
		} else if (len == 0) {
			rc = 0;
			c->st = ST_READ_BODY;
		} else {
			rc = conn_header(c, line);
		}
		free(line);
		if (rc != 0)
			goto bad;
	}
	if (c->req.chunked)
		goto bad;	/* request bodies in chunks are not needed */
	if (c->st == ST_READ_BODY) {
		if (c->body_left == 0)
			c->body_left = c->req.content_length;
		len = evbuffer_get_length(in);
		if ((long long)len > c->body_left)
			len = (size_t)c->body_left;
		evbuffer_drain(in, len);
		c->body_left -= (long long)len;
		if (c->body_left > 0)
			return 0;
		conn_dispatch(c);
		return 1;
	}
	return 0;
bad:
	conn_free(c);
	return -1;
}

/*
 * Feeds buffered input to the request reader, or throws it away while the
 * connection stalls.  The connection may be freed on return.
 */
static void
conn_parse(struct conn *c)
{
	struct evbuffer *in;

	if (c->st == ST_STALLED) {
		in = bufferevent_get_input(c->bev);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->st == ST_READ_LINE || c->st == ST_READ_HEADERS ||
	    c->st == ST_READ_BODY)
		conn_read_request(c);
}

/* ------------------------------------------------------------------ */
/* Connections: the send engine                                        */
/* ------------------------------------------------------------------ */

/*
 * Moves at most room bytes to the output: first what is left of the
 * response, then the repeat unit from where it last stopped, copied so the
 * output gathers it into few large chains instead of one per unit.
 */
static size_t
conn_fill(struct conn *c, struct evbuffer *out, size_t room)
{
	size_t moved = 0, k;
	int n;

	n = evbuffer_remove_buffer(c->pending, out, room);
	if (n > 0)
		moved = (size_t)n;
	while (moved < room && c->repeat != NULL) {
		k = c->repeat_len - c->repeat_off;
		if (k > room - moved)
			k = room - moved;
		evbuffer_add(out, c->repeat + c->repeat_off, k);
		c->repeat_off = (c->repeat_off + k) % c->repeat_len;
		moved += k;
	}
	return moved;
}

/* The response is out (or cut); decide what the connection does next. */
static void
conn_finish(struct conn *c)
{
	int cut_hit = c->cut != CUT_NONE && c->sent >= c->cut_at;

	if (cut_hit && c->cut == CUT_STALL && !c->peer_eof) {
		c->st = ST_STALLED;
		conn_parse(c);
		return;
	}
	if (cut_hit && c->cut == CUT_RESET) {
		conn_reset(c);
		return;
	}
	if (cut_hit || c->close_after || c->peer_eof) {
		conn_close(c);
		return;
	}

	/* Keep-alive: the next request may already be buffered. */
	conn_response_clear(c);
	request_clear(&c->req);
	c->hdr_bytes = 0;
	c->body_left = 0;
	c->st = ST_READ_LINE;
	bufferevent_enable(c->bev, EV_READ);
	conn_parse(c);
}

static void
conn_pump(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t olen, room;
	int done;

	if (c->st != ST_SEND)
		return;
	olen = evbuffer_get_length(out);
	room = olen < FX_WATERMARK ? FX_WATERMARK - olen : 0;
	if (c->drip_bytes > 0 && room > 0)
		room = c->drip_bytes;
	if (c->cut != CUT_NONE && room > c->cut_at - c->sent)
		room = c->cut_at - c->sent;
	c->sent += conn_fill(c, out, room);

	done = (c->cut != CUT_NONE && c->sent >= c->cut_at) ||
	    (evbuffer_get_length(c->pending) == 0 && c->repeat == NULL);
	if (done) {
		c->st = ST_FLUSH;
		if (evbuffer_get_length(out) == 0)
			conn_finish(c);
		return;
	}
	if (c->drip_bytes > 0)
		timer_arm(c, c->drip_ms);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->st == ST_DELAY)
		conn_begin_send(c);
	else if (c->st == ST_SEND)
		conn_pump(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_parse(arg);
}

/* Called when the output drained to zero (the default low watermark). */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->st == ST_FLUSH)
		conn_finish(c);
	else if (c->st == ST_SEND && c->drip_bytes == 0)
		conn_pump(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_ERROR) {
		conn_free(c);
		return;
	}
	if (!(what & BEV_EVENT_EOF))
		return;

	/*
	 * A peer that half-closes after its request still gets the answer;
	 * one that leaves between requests or during a stall is done.  Input
	 * is parsed before the EOF event arrives, so nothing more can come.
	 */
	c->peer_eof = 1;
	if (c->st == ST_STALLED || c->st == ST_READ_LINE ||
	    c->st == ST_READ_HEADERS || c->st == ST_READ_BODY)
		conn_free(c);
}

static void
listener_accept_cb(struct evconnlistener *lst, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server *srv = arg;
	struct bufferevent *bev = NULL;
	struct conn *c;
	SSL *ssl;

	if (srv->ssl_ctx != NULL) {
		ssl = SSL_new(srv->ssl_ctx);
		if (ssl == NULL) {
			evutil_closesocket(fd);
			return;
		}
		bev = bufferevent_openssl_socket_new(srv->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		bev = bufferevent_socket_new(srv->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev == NULL) {
		fx_warnx("accept: cannot make a bufferevent");
		evutil_closesocket(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->bev = bev;
	c->id = ++srv->next_conn_id;
	c->st = ST_READ_LINE;
	c->pending = evbuffer_new();
	c->timer = evtimer_new(srv->base, conn_timer_cb, c);
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	if (c->pending == NULL || c->timer == NULL) {
		conn_free(c);
		return;
	}
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(bev, EV_READ, 0, FX_READ_HIGH);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */
/* ------------------------------------------------------------------ */

static void
signal_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	event_base_loopexit(srv->base, NULL);
}

static void
signal_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	routes_refresh(srv, 1);
}

static SSL_CTX *
tls_setup(const char *cert, const char *key)
{
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	return ctx;
fail:
	fx_warnx("tls: cannot load %s / %s", cert, key);
	ERR_print_errors_fp(stderr);
	SSL_CTX_free(ctx);
	return NULL;
}

/* Accepts 127.0.0.0/8 only: the tests must never listen elsewhere. */
static int
listen_parse(const char *spec, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon;
	long port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	colon = strrchr(spec, ':');
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    (ntohl(sin->sin_addr.s_addr) >> 24) != 127)
		return -EINVAL;
	if (parse_long(colon + 1, 0, 65535, &port) != 0)
		return -EINVAL;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

static int
port_file_write(const char *path, int port)
{
	char tmp[PATH_MAX];
	FILE *fp;
	int rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fp = fopen(tmp, "w");
	if (fp == NULL)
		return -errno;
	fprintf(fp, "%d\n", port);
	if (fclose(fp) != 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fixture-server --routes FILE "
	    "[--cert CERT --key KEY] [--port-file FILE]\n"
	    "       [--log FILE] [--listen 127.0.0.1:PORT]\n");
}

static void
server_cleanup(struct server *srv)
{
	while (srv->conns != NULL)
		conn_free(srv->conns);
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	if (srv->sig_term != NULL)
		event_free(srv->sig_term);
	if (srv->sig_int != NULL)
		event_free(srv->sig_int);
	if (srv->sig_hup != NULL)
		event_free(srv->sig_hup);
	routes_free(srv->routes);
	hoststats_free(srv->hosts);
	SSL_CTX_free(srv->ssl_ctx);
	if (srv->log != NULL)
		fclose(srv->log);
	free(srv->routes_dir);
	if (srv->base != NULL)
		event_base_free(srv->base);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "routes", required_argument, NULL, 'r' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "listen", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct server srv;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	const char *cert = NULL, *key = NULL, *port_file = NULL;
	const char *log_path = NULL, *listen_spec = "127.0.0.1:0";
	char *slash;
	int ch, rc = 1;

	memset(&srv, 0, sizeof(srv));
	while ((ch = getopt_long(argc, argv, "r:c:k:p:l:L:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'r': srv.routes_path = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'p': port_file = optarg; break;
		case 'l': log_path = optarg; break;
		case 'L': listen_spec = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (srv.routes_path == NULL || optind != argc ||
	    (cert == NULL) != (key == NULL)) {
		usage();
		return 2;
	}
	if (listen_parse(listen_spec, &sin) != 0) {
		fx_warnx("--listen %s: only 127.0.0.0/8:PORT is allowed",
		    listen_spec);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	srv.routes_dir = xstrdup(srv.routes_path);
	slash = strrchr(srv.routes_dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (srv.routes_dir[0] == '\0')
			strcpy(srv.routes_dir, "/");
	} else {
		strcpy(srv.routes_dir, ".");
	}
	if (routes_refresh(&srv, 1) != 0)
		goto out;
	if (cert != NULL) {
		srv.ssl_ctx = tls_setup(cert, key);
		if (srv.ssl_ctx == NULL)
			goto out;
	}
	if (log_path != NULL) {
		srv.log = fopen(log_path, "a");
		if (srv.log == NULL) {
			fx_warnx("--log %s: %s", log_path, strerror(errno));
			goto out;
		}
	}

	srv.base = event_base_new();
	if (srv.base == NULL)
		goto out;
	srv.listener = evconnlistener_new_bind(srv.base, listener_accept_cb,
	    &srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (srv.listener == NULL) {
		fx_warnx("listen %s: %s", listen_spec, strerror(errno));
		goto out;
	}
	if (getsockname(evconnlistener_get_fd(srv.listener),
	    (struct sockaddr *)&sin, &slen) != 0)
		goto out;
	srv.sig_term = evsignal_new(srv.base, SIGTERM, signal_stop_cb, &srv);
	srv.sig_int = evsignal_new(srv.base, SIGINT, signal_stop_cb, &srv);
	srv.sig_hup = evsignal_new(srv.base, SIGHUP, signal_hup_cb, &srv);
	if (srv.sig_term == NULL || srv.sig_int == NULL ||
	    srv.sig_hup == NULL || evsignal_add(srv.sig_term, NULL) != 0 ||
	    evsignal_add(srv.sig_int, NULL) != 0 ||
	    evsignal_add(srv.sig_hup, NULL) != 0)
		goto out;

	/* The port file appears only once the socket accepts. */
	if (port_file != NULL &&
	    port_file_write(port_file, ntohs(sin.sin_port)) != 0) {
		fx_warnx("--port-file %s: cannot write", port_file);
		goto out;
	}
	event_base_dispatch(srv.base);
	rc = 0;
out:
	server_cleanup(&srv);
	return rc;
}
