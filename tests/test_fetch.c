/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the fetcher.  Address rules, archive URLs and error names
 * are checked directly; transfers run against a small HTTP server in this
 * file, listening on 127.0.0.1 and driven by the same event_base, which
 * answers each path with canned raw bytes (the shared failure cases among
 * them) and counts connections, so the tests can see what reached it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "fetch.h"

#ifndef TREG_SHARED
#define TREG_SHARED TREG_SRCDIR "/../shared"
#endif
#ifndef TREG_TESTDATA
#define TREG_TESTDATA "tests/data"
#endif

#define MAX_RECS	16
#define MAX_LOG		64
#define MiB		(1024 * 1024)

/* ---- helpers --------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a whole file into a malloc'd buffer; fails the test if missing. */
static char *
slurp(const char *dir, const char *name, size_t *lenp)
{
	char path[512];
	FILE *fp;
	char *data;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	data[len] = '\0';
	fclose(fp);
	*lenp = (size_t)len;
	return data;
}

static const char *
shared_dir(void)
{
	const char *env = getenv("TREG_SHARED");

	return env != NULL && env[0] != '\0' ? env : TREG_SHARED;
}

static char *
case_file(const char *name, size_t *lenp)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/cases", shared_dir());
	return slurp(dir, name, lenp);
}

/* ---- the test server ------------------------------------------------- */

enum srv_mode {
	SRV_CLOSE,	/* close once the response is written */
	SRV_STALL,	/* keep the connection open, send nothing more */
	SRV_ENDLESS,	/* repeat a piece forever */
};

struct srv;

struct srv_conn {
	struct srv_conn		*next;
	struct srv		*s;
	struct bufferevent	*bev;
	struct event		*hold;
	enum srv_mode		 mode;
	const char		*repeat;
	size_t			 repeat_len;
	int			 answered;
};

struct srv {
	struct event_base	*base;
	struct evconnlistener	*lev;
	struct srv_conn		*conns;
	int			 port;
	int			 accepted;
	int			 active;
	int			 max_active;
	int			 nreq;
	char			 paths[MAX_LOG][128];
	int64_t			 times[MAX_LOG];
	char			 cookie[256];
	char			 inm[256];
	char			 ims[256];
	char			 ua[256];
	long			 hold_ms;

	/* Raw bytes served for the shared cases. */
	char			*files[16];
	size_t			 lens[16];
};

enum srv_file {
	F_SLOW, F_BR, F_GZIP, F_LOOP, F_GATE1, F_GATE2, F_429, F_429DATE,
	F_STREAM, F_HUGE, F_CHALLENGE, F_BOMB, F_COUNT
};

static const char *const srv_file_names[F_COUNT] = {
	[F_SLOW] = "BR-05/response.http",
	[F_BR] = "BR-06/step1.http",
	[F_GZIP] = "BR-06/step2.http",
	[F_LOOP] = "BR-08/step1.http",
	[F_GATE1] = "BR-08/step2.http",
	[F_GATE2] = "BR-08/step3.http",
	[F_429] = "BR-11/step1.http",
	[F_429DATE] = "BR-11/step2.http",
	[F_STREAM] = "BR-16/step1.http",
	[F_HUGE] = "BR-16/step2.http",
	[F_CHALLENGE] = "BR-12/step1.http",
};

static const char page_ok[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "ETag: \"v1\"\r\n"
    "Last-Modified: Mon, 03 Jun 2024 10:00:00 GMT\r\n"
    "Connection: close\r\n"
    "Content-Length: 48\r\n"
    "\r\n"
    "<html><body><p>Hello evidence.</p></body></html>";

static const char page_304[] =
    "HTTP/1.1 304 Not Modified\r\n"
    "ETag: \"v1\"\r\n"
    "Connection: close\r\n"
    "\r\n";

static const char huge_tail[] = "<p>x</p>";

static void
srv_conn_free(struct srv_conn *c)
{
	struct srv_conn **pp;

	for (pp = &c->s->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->s->active--;
	if (c->hold != NULL)
		event_free(c->hold);
	bufferevent_free(c->bev);
	free(c);
}

static void
srv_send(struct srv_conn *c, const char *data, size_t len,
    enum srv_mode mode)
{
	c->mode = mode;
	c->answered = 1;
	bufferevent_write(c->bev, data, len);
}

static void
srv_sendf(struct srv_conn *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	srv_send(c, buf, (size_t)n, SRV_CLOSE);
}

static void
srv_hold_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv_conn *c = arg;

	srv_send(c, page_ok, sizeof(page_ok) - 1, SRV_CLOSE);
}

static void
srv_big_headers(struct srv_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int i;

	c->mode = SRV_CLOSE;
	c->answered = 1;
	evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 400; i++)
		evbuffer_add_printf(out, "X-Filler-%d: %s\r\n", i,
		    "padding padding padding padding");
	evbuffer_add_printf(out, "Connection: close\r\n"
	    "Content-Length: 2\r\n\r\nok");
}

/* The gzip page of BR-06 cut after half its coded body, with a
 * Content-Length that matches the cut: complete for HTTP, not for gzip. */
static void
srv_gzip_cut(struct srv_conn *c)
{
	const char *file = c->s->files[F_GZIP], *body;
	size_t half;

	body = strstr(file, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	half = (c->s->lens[F_GZIP] - (size_t)(body - file)) / 2;
	srv_sendf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	    "Content-Encoding: gzip\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n\r\n", half);
	bufferevent_write(c->bev, body, half);
}

/* Requests for path so far, this one included. */
static int
srv_count(const struct srv *s, const char *path)
{
	int i, n = 0;

	for (i = 0; i < s->nreq && i < MAX_LOG; i++) {
		if (strcmp(s->paths[i], path) == 0)
			n++;
	}
	return n;
}

static void
srv_route(struct srv_conn *c, const char *path)
{
	struct srv *s = c->s;
	const char *p;
	int n;

	if (strcmp(path, "/ok") == 0 || strcmp(path, "/fast") == 0) {
		srv_send(c, page_ok, sizeof(page_ok) - 1, SRV_CLOSE);
	} else if (strcmp(path, "/cond") == 0) {
		if (strcmp(s->inm, "\"v1\"") == 0)
			srv_send(c, page_304, sizeof(page_304) - 1,
			    SRV_CLOSE);
		else
			srv_send(c, page_ok, sizeof(page_ok) - 1, SRV_CLOSE);
	} else if (strcmp(path, "/hold") == 0) {
		struct timeval tv = { 0, s->hold_ms * 1000 };

		c->answered = 1;
		c->hold = evtimer_new(s->base, srv_hold_cb, c);
		evtimer_add(c->hold, &tv);
	} else if (strcmp(path, "/chain/a") == 0) {
		srv_sendf(c, "HTTP/1.1 301 Moved Permanently\r\n"
		    "Location: b\r\nConnection: close\r\n"
		    "Content-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/chain/b") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\nLocation: /ok#top\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/chain/space") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\n"
		    "Location: http://127.0.0.1:%d/sp ace\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n",
		    s->port);
	} else if (strcmp(path, "/sp%20ace") == 0) {
		srv_sendf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Connection: close\r\nContent-Length: 6\r\n\r\nspaced");
	} else if (strncmp(path, "/r/", 3) == 0) {
		n = atoi(path + 3);
		srv_sendf(c, "HTTP/1.1 302 Found\r\nLocation: /r/%d\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n", n + 1);
	} else if (strcmp(path, "/away") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\n"
		    "Location: http://127.0.0.2:%d/ok\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n",
		    s->port);
	} else if (strcmp(path, "/to-ftp") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\n"
		    "Location: ftp://127.0.0.1:%d/x\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n",
		    s->port);
	} else if (strcmp(path, "/badgzip") == 0) {
		srv_sendf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		    "Connection: close\r\nContent-Length: 20\r\n\r\n"
		    "this is not gzip....");
	} else if (strcmp(path, "/unknown-enc") == 0) {
		srv_sendf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: snappy\r\n"
		    "Connection: close\r\nContent-Length: 4\r\n\r\nabcd");
	} else if (strcmp(path, "/bomb") == 0) {
		srv_sendf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		    "Content-Type: text/html\r\nConnection: close\r\n"
		    "Content-Length: %zu\r\n\r\n", s->lens[F_BOMB]);
		bufferevent_write(c->bev, s->files[F_BOMB], s->lens[F_BOMB]);
	} else if (strcmp(path, "/bigheaders") == 0) {
		srv_big_headers(c);
	} else if (strcmp(path, "/slow") == 0) {
		srv_send(c, s->files[F_SLOW], s->lens[F_SLOW], SRV_STALL);
	} else if (strcmp(path, "/silent") == 0) {
		c->answered = 1;
		c->mode = SRV_STALL;
	} else if (strcmp(path, "/br") == 0) {
		srv_send(c, s->files[F_BR], s->lens[F_BR], SRV_CLOSE);
	} else if (strcmp(path, "/gzip") == 0) {
		srv_send(c, s->files[F_GZIP], s->lens[F_GZIP], SRV_CLOSE);
	} else if (strcmp(path, "/gzip-cut") == 0) {
		srv_gzip_cut(c);
	} else if (strcmp(path, "/creds") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\n"
		    "Location: http://user:pass@127.0.0.1:%d/ok\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n",
		    s->port);
	} else if (strcmp(path, "/creds-cr") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\n"
		    "Location: http://user:pass@127.0.0.1:%d/ok\rjunk\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n",
		    s->port);
	} else if (strcmp(path, "/creds-cr-first") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\n"
		    "Location: \rhttp://user:pass@127.0.0.1:%d/ok\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n",
		    s->port);
	} else if (strcmp(path, "/empty-location") == 0) {
		srv_sendf(c, "HTTP/1.1 301 Moved Permanently\r\n"
		    "Location:   \r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/cr-inside") == 0) {
		srv_sendf(c, "HTTP/1.1 302 Found\r\n"
		    "Location: /ok\r/elsewhere\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/loop") == 0) {
		srv_send(c, s->files[F_LOOP], s->lens[F_LOOP], SRV_CLOSE);
	} else if (strcmp(path, "/gate") == 0) {
		if (strstr(s->cookie, "consent=1") != NULL)
			srv_send(c, s->files[F_GATE2], s->lens[F_GATE2],
			    SRV_CLOSE);
		else
			srv_send(c, s->files[F_GATE1], s->lens[F_GATE1],
			    SRV_CLOSE);
	} else if (strcmp(path, "/429") == 0) {
		srv_send(c, s->files[F_429], s->lens[F_429], SRV_CLOSE);
	} else if (strcmp(path, "/429date") == 0) {
		srv_send(c, s->files[F_429DATE], s->lens[F_429DATE],
		    SRV_CLOSE);
	} else if (strcmp(path, "/challenge") == 0) {
		srv_send(c, s->files[F_CHALLENGE], s->lens[F_CHALLENGE],
		    SRV_CLOSE);
	} else if (strcmp(path, "/stream") == 0) {
		/* The chunk after the headers is repeated, never ended. */
		p = strstr(s->files[F_STREAM], "\r\n\r\n") + 4;
		c->repeat = p;
		c->repeat_len = s->lens[F_STREAM] -
		    (size_t)(p - s->files[F_STREAM]);
		srv_send(c, s->files[F_STREAM], s->lens[F_STREAM],
		    SRV_ENDLESS);
	} else if (strcmp(path, "/huge") == 0) {
		c->repeat = huge_tail;
		c->repeat_len = sizeof(huge_tail) - 1;
		srv_send(c, s->files[F_HUGE], s->lens[F_HUGE], SRV_ENDLESS);
	} else if (strcmp(path, "/robots.txt") == 0) {
		srv_sendf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Connection: close\r\nContent-Length: 33\r\n\r\n"
		    "User-agent: *\nDisallow: /private\n");
	} else if (strcmp(path, "/flaky") == 0 && srv_count(s, path) == 1) {
		srv_sendf(c, "HTTP/1.1 503 Service Unavailable\r\n"
		    "Connection: close\r\nContent-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/flaky") == 0) {
		srv_send(c, page_ok, sizeof(page_ok) - 1, SRV_CLOSE);
	} else if (strcmp(path, "/refresh") == 0) {
		srv_sendf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
		    "Connection: close\r\nContent-Length: 75\r\n\r\n"
		    "<html><head><meta http-equiv=\"refresh\" "
		    "content=\"0; url=/new\"></head></html>");
	} else {
		srv_sendf(c, "HTTP/1.1 404 Not Found\r\nConnection: close\r\n"
		    "Content-Length: 0\r\n\r\n");
	}
}

static void
srv_header(const char *head, const char *name, char *out, size_t outlen)
{
	const char *p, *e;
	size_t nlen = strlen(name), len;

	out[0] = '\0';
	for (p = head; p != NULL && *p != '\0'; p = strstr(p, "\r\n")) {
		if (p[0] == '\r')
			p += 2;
		if (strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
			continue;
		p += nlen + 1;
		while (*p == ' ')
			p++;
		e = strstr(p, "\r\n");
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len >= outlen)
			len = outlen - 1;
		memcpy(out, p, len);
		out[len] = '\0';
		return;
	}
}

static void
srv_read_cb(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;
	struct srv *s = c->s;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end;
	char head[8192], path[128];
	size_t len;

	if (c->answered) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos < 0)
		return;
	len = (size_t)end.pos + 4;
	if (len >= sizeof(head))
		len = sizeof(head) - 1;
	evbuffer_remove(in, head, len);
	head[len] = '\0';

	path[0] = '\0';
	sscanf(head, "GET %127s", path);
	srv_header(head, "Cookie", s->cookie, sizeof(s->cookie));
	srv_header(head, "If-None-Match", s->inm, sizeof(s->inm));
	srv_header(head, "If-Modified-Since", s->ims, sizeof(s->ims));
	srv_header(head, "User-Agent", s->ua, sizeof(s->ua));
	if (s->nreq < MAX_LOG) {
		snprintf(s->paths[s->nreq], sizeof(s->paths[0]), "%s", path);
		s->times[s->nreq] = now_ms();
	}
	s->nreq++;
	srv_route(c, path);
}

static void
srv_write_cb(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(bev);
	int i;

	if (c->mode == SRV_CLOSE && c->answered && c->hold == NULL) {
		srv_conn_free(c);
		return;
	}
	if (c->mode == SRV_CLOSE && c->hold != NULL &&
	    !evtimer_pending(c->hold, NULL)) {
		srv_conn_free(c);
		return;
	}
	if (c->mode == SRV_ENDLESS) {
		for (i = 0; i < 16; i++)
			evbuffer_add(out, c->repeat, c->repeat_len);
	}
}

static void
srv_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		srv_conn_free(arg);
}

static void
srv_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct srv *s = arg;
	struct srv_conn *c;

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->s = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(c->bev);
	bufferevent_setcb(c->bev, srv_read_cb, srv_write_cb, srv_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->conns;
	s->conns = c;

	s->accepted++;
	s->active++;
	if (s->active > s->max_active)
		s->max_active = s->active;
}

static void
srv_start(struct srv *s, struct event_base *base)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int i;

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->hold_ms = 100;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	s->lev = evconnlistener_new_bind(base, srv_accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
	    (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(s->lev);
	assert_int_equal(getsockname(evconnlistener_get_fd(s->lev),
	    (struct sockaddr *)&sin, &slen), 0);
	s->port = ntohs(sin.sin_port);

	for (i = 0; i < F_COUNT; i++) {
		if (srv_file_names[i] != NULL)
			s->files[i] = case_file(srv_file_names[i],
			    &s->lens[i]);
	}
	s->files[F_BOMB] = slurp(TREG_TESTDATA "/fetch", "bomb.gz",
	    &s->lens[F_BOMB]);
}

static void
srv_stop(struct srv *s)
{
	int i;

	while (s->conns != NULL)
		srv_conn_free(s->conns);
	evconnlistener_free(s->lev);
	for (i = 0; i < F_COUNT; i++)
		free(s->files[i]);
}

/* ---- fixture: loop, server, configuration, fetcher ------------------- */

struct rec {
	int			 done;
	enum treg_fetch_error	 err;
	long			 status;
	char			 final_url[256];
	size_t			 nhops;
	long			 hop_status[8];
	char			 hop_url[8][256];
	char			 hop_location[8][256];
	char			 content_type[128];
	char			 etag[64];
	char			 last_modified[64];
	char			 memento[64];
	long			 retry_after;
	char			 head[4096];
	size_t			 head_len;
	size_t			 bytes;
	size_t			 body_len;
	int			 headers_calls;
	long			 headers_status;
	int			 headers_ret;
	int			 body_ret;
	int64_t			 done_at;
	int			 done_calls;
	int			 challenge;
	long			 attempts;
	int			 retries;
	char			 refresh[256];
};

struct fx {
	struct event_base	*base;
	struct srv		 srv;
	struct treg_config	 cfg;
	struct treg_fetch	*f;
	struct rec		 recs[MAX_RECS];
	int			 ndone;
	int			 want;
	int			 timed_out;
	char			 urls[MAX_RECS][256];
};

static char cfg_ua[] = "trustreg-crawl-test (+http://127.0.0.1/contact)";
static char cfg_allow_lo[] = "127.0.0.1";

static int
fx_setup(void **state)
{
	struct fx *fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->base = event_base_new();
	assert_non_null(fx->base);
	srv_start(&fx->srv, fx->base);

	fx->cfg.user_agent = cfg_ua;
	fx->cfg.timeout = 5;
	fx->cfg.connect_timeout = 2;
	fx->cfg.low_speed_limit = 1;
	fx->cfg.low_speed_time = 5;
	fx->cfg.max_body = 1 * MiB;
	fx->cfg.max_decoded = 1 * MiB;
	fx->cfg.max_header = 16384;
	fx->cfg.max_redirects = 5;
	fx->cfg.max_connections = 8;
	fx->cfg.per_host = 8;
	fx->cfg.host_delay_ms = 0;
	fx->cfg.retry_after_max = 3600;
	fx->cfg.allow_address[0] = cfg_allow_lo;
	fx->cfg.nallow_address = 1;
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;
	size_t i;

	treg_fetch_free(fx->f);
	srv_stop(&fx->srv);
	event_base_free(fx->base);
	for (i = 0; i < fx->cfg.nresolve; i++)
		free(fx->cfg.resolve[i]);
	free(fx);
	return 0;
}

static void
fx_resolve(struct fx *fx, const char *host, const char *addr)
{
	char line[256];

	snprintf(line, sizeof(line), "%s:%d:%s", host, fx->srv.port, addr);
	fx->cfg.resolve[fx->cfg.nresolve] = strdup(line);
	assert_non_null(fx->cfg.resolve[fx->cfg.nresolve]);
	fx->cfg.nresolve++;
}

static void
fx_start(struct fx *fx)
{
	fx->f = treg_fetch_new(fx->base, &fx->cfg);
	assert_non_null(fx->f);
}

static const char *
fx_url(struct fx *fx, int i, const char *host, const char *path)
{
	snprintf(fx->urls[i], sizeof(fx->urls[i]), "http://%s:%d%s", host,
	    fx->srv.port, path);
	return fx->urls[i];
}

static void
copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static struct fx *cb_fx;

static int
rec_headers_cb(void *arg, const struct treg_fetch_result *res)
{
	struct rec *r = arg;

	r->headers_calls++;
	r->headers_status = res->status;
	return r->headers_ret;
}

static int
rec_body_cb(void *arg, const char *data, size_t len)
{
	struct rec *r = arg;

	r->body_len += len;
	return r->body_ret;
}

static void
rec_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct rec *r = arg;
	size_t i;

	r->done = 1;
	r->done_calls++;
	r->err = res->error;
	r->status = res->status;
	copy_str(r->final_url, sizeof(r->final_url), res->final_url);
	r->nhops = res->nhops;
	for (i = 0; i < res->nhops && i < 8; i++) {
		r->hop_status[i] = res->hops[i].status;
		copy_str(r->hop_url[i], sizeof(r->hop_url[i]),
		    res->hops[i].url);
		copy_str(r->hop_location[i], sizeof(r->hop_location[i]),
		    res->hops[i].location);
	}
	copy_str(r->content_type, sizeof(r->content_type),
	    res->content_type);
	copy_str(r->etag, sizeof(r->etag), res->etag);
	copy_str(r->last_modified, sizeof(r->last_modified),
	    res->last_modified);
	copy_str(r->memento, sizeof(r->memento), res->memento_datetime);
	r->retry_after = res->retry_after;
	r->head_len = res->body_head_len;
	memcpy(r->head, res->body_head, res->body_head_len < 4095 ?
	    res->body_head_len : 4095);
	r->head[res->body_head_len < 4095 ? res->body_head_len : 4095] = 0;
	r->bytes = res->bytes_received;
	r->done_at = now_ms();
	r->challenge = res->challenge;
	r->attempts = res->attempts;
	copy_str(r->refresh, sizeof(r->refresh), res->refresh_url);

	cb_fx->ndone++;
	if (cb_fx->ndone >= cb_fx->want)
		event_base_loopbreak(cb_fx->base);
}

static const struct treg_fetch_ops rec_ops = {
	.headers_cb = rec_headers_cb,
	.body_cb = rec_body_cb,
	.done_cb = rec_done_cb,
};

static void
rec_retry_cb(void *arg, const struct treg_fetch_result *res)
{
	struct rec *r = arg;

	r->retries++;
	r->body_len = 0;
}

static const struct treg_fetch_ops rec_retry_ops = {
	.headers_cb = rec_headers_cb,
	.body_cb = rec_body_cb,
	.done_cb = rec_done_cb,
	.retry_cb = rec_retry_cb,
};

/* As fx_add(), with retries wanted. */
static void
fx_add_retry(struct fx *fx, int i, const char *url)
{
	struct treg_fetch_request req = { .url = url };

	cb_fx = fx;
	assert_int_equal(treg_fetch_add(fx->f, &req, &rec_retry_ops,
	    &fx->recs[i]), 0);
}

static void
fx_add_req(struct fx *fx, int i, const struct treg_fetch_request *req)
{
	cb_fx = fx;
	assert_int_equal(treg_fetch_add(fx->f, req, &rec_ops, &fx->recs[i]),
	    0);
}

static void
fx_add(struct fx *fx, int i, const char *url)
{
	struct treg_fetch_request req = { .url = url };

	fx_add_req(fx, i, &req);
}

static void
fx_safety_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fx *fx = arg;

	fx->timed_out = 1;
	event_base_loopbreak(fx->base);
}

/* Runs the loop until want transfers are done, failing after limit_ms. */
static void
fx_run(struct fx *fx, int want, long limit_ms)
{
	struct timeval tv = { limit_ms / 1000, (limit_ms % 1000) * 1000 };
	struct event *ev;

	cb_fx = fx;
	fx->want = want;
	if (fx->ndone >= want)
		return;
	ev = evtimer_new(fx->base, fx_safety_cb, fx);
	evtimer_add(ev, &tv);
	event_base_loop(fx->base, 0);
	event_free(ev);
	assert_false(fx->timed_out);
	assert_int_equal(fx->ndone, want);
}

/* Runs the loop for ms whatever happens. */
static void
fx_spin(struct fx *fx, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	fx->want = MAX_RECS + 1;
	event_base_loopexit(fx->base, &tv);
	event_base_loop(fx->base, 0);
}

/* ---- treg_fetch_address_allowed ------------------------------------- */

static int
allowed(const struct treg_config *cfg, const char *addr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return treg_fetch_address_allowed(cfg,
		    (struct sockaddr *)&sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		return treg_fetch_address_allowed(cfg,
		    (struct sockaddr *)&sin6);
	}
	fail_msg("bad test address %s", addr);
	return -1;
}

static void
test_treg_fetch_address_allowed_ipv4_special_ranges(void **state)
{
	static const char *const blocked[] = {
		"0.0.0.0", "0.255.255.255", "10.0.0.1", "10.255.255.255",
		"100.64.0.1", "100.127.255.254", "127.0.0.1", "127.1.2.3",
		"169.254.0.1", "169.254.169.254", "172.16.0.1",
		"172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1",
		"198.18.0.1", "198.19.255.255", "198.51.100.7",
		"203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1",
		"255.255.255.255",
	};
	struct treg_config cfg;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));

	for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		if (allowed(&cfg, blocked[i]) != 0)
			fail_msg("%s allowed", blocked[i]);
	}
}

static void
test_treg_fetch_address_allowed_ipv4_public(void **state)
{
	static const char *const ok[] = {
		"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0",
		"100.63.255.255", "100.128.0.0", "126.255.255.255",
		"128.0.0.0", "169.253.255.255", "172.15.255.255",
		"172.32.0.0", "192.0.1.1", "192.167.255.255", "198.17.0.1",
		"198.20.0.0", "203.0.114.1", "223.255.255.255",
	};
	struct treg_config cfg;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (allowed(&cfg, ok[i]) != 1)
			fail_msg("%s refused", ok[i]);
	}
}

static void
test_treg_fetch_address_allowed_ipv6_special_ranges(void **state)
{
	static const char *const blocked[] = {
		"::", "::1", "fc00::1", "fd00:ec2::254", "fdff::1",
		"fe80::1", "febf::1", "ff02::1", "ff05::2", "2001:db8::1",
		"2001:db8:ffff::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
		"::ffff:169.254.169.254", "64:ff9b::7f00:1",
		"64:ff9b::a9fe:a9fe", "64:ff9b::192.168.0.1",
		"2002:c0a8:101::1", "::127.0.0.1",
	};
	struct treg_config cfg;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));

	for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		if (allowed(&cfg, blocked[i]) != 0)
			fail_msg("%s allowed", blocked[i]);
	}
}

static void
test_treg_fetch_address_allowed_ipv6_public(void **state)
{
	static const char *const ok[] = {
		"2606:4700:4700::1111", "2a00:1450:4001::200e",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2001:db9::1",
		"2002:808:808::1", "fbff::1",
	};
	struct treg_config cfg;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (allowed(&cfg, ok[i]) != 1)
			fail_msg("%s refused", ok[i]);
	}
}

static void
test_treg_fetch_address_allowed_allow_list(void **state)
{
	static char lo[] = "127.0.0.1", v6[] = "fd00::5", junk[] = "nope";
	struct treg_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.allow_address[0] = junk;
	cfg.allow_address[1] = lo;
	cfg.allow_address[2] = v6;
	cfg.nallow_address = 3;

	assert_int_equal(allowed(&cfg, "127.0.0.1"), 1);
	assert_int_equal(allowed(&cfg, "::ffff:127.0.0.1"), 1);
	assert_int_equal(allowed(&cfg, "fd00:0::5"), 1);
	assert_int_equal(allowed(&cfg, "127.0.0.2"), 0);
	assert_int_equal(allowed(&cfg, "fd00::6"), 0);
	assert_int_equal(allowed(&cfg, "10.0.0.1"), 0);
}

static void
test_treg_fetch_address_allowed_other_family(void **state)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;

	assert_int_equal(treg_fetch_address_allowed(NULL, &sa), 0);
	assert_int_equal(treg_fetch_address_allowed(NULL, NULL), 0);
}

/* ---- treg_fetch_raw_archive_url -------------------------------------- */

static void
expect_raw(const char *in, const char *want)
{
	char *out;

	out = treg_fetch_raw_archive_url(in);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void
test_treg_fetch_raw_archive_url_capture(void **state)
{
	expect_raw(
	    "https://web.archive.org/web/20260705000000/"
	    "https://trustcenter.cohere.com/",
	    "https://web.archive.org/web/20260705000000id_/"
	    "https://trustcenter.cohere.com/");
	expect_raw("http://web.archive.org/web/2024/http://x.test/a?b=1",
	    "http://web.archive.org/web/2024id_/http://x.test/a?b=1");
}

static void
test_treg_fetch_raw_archive_url_modifier_kept(void **state)
{
	expect_raw("https://web.archive.org/web/20260705000000id_/https://x/",
	    "https://web.archive.org/web/20260705000000id_/https://x/");
	expect_raw("https://web.archive.org/web/20260705000000if_/https://x/",
	    "https://web.archive.org/web/20260705000000if_/https://x/");
	expect_raw("https://web.archive.org/web/20260705000000im_/https://x/",
	    "https://web.archive.org/web/20260705000000im_/https://x/");
	expect_raw("https://web.archive.org/web/2026*/https://x/",
	    "https://web.archive.org/web/2026*/https://x/");
}

static void
test_treg_fetch_raw_archive_url_other_urls(void **state)
{
	expect_raw("https://trustcenter.cohere.com/",
	    "https://trustcenter.cohere.com/");
	expect_raw("https://archive.example/web/20260705000000/https://x/",
	    "https://archive.example/web/20260705000000/https://x/");
	expect_raw("https://web.archive.org/web/123456789012345/https://x/",
	    "https://web.archive.org/web/123456789012345/https://x/");
	assert_null(treg_fetch_raw_archive_url(NULL));
}

/* ---- treg_fetch_error_name ------------------------------------------ */

static void
test_treg_fetch_error_name_all(void **state)
{
	static const char *const names[] = {
		"ok", "dns", "connect", "tls", "timeout", "reset",
		"too-large", "header-too-large", "forbidden-address",
		"bad-scheme", "bad-url", "redirect-loop",
		"too-many-redirects", "undecodable-body", "protocol",
		"aborted", "error", "disallowed-by-robots", "rate-limited",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(treg_fetch_error_name(
		    (enum treg_fetch_error)i), names[i]);
	assert_string_equal(treg_fetch_error_name(
	    (enum treg_fetch_error)99), "error");
}

/* ---- transfers ------------------------------------------------------- */

static void
test_treg_fetch_set_robots_disallowed(void **state)
{
	struct fx *fx = *state;

	fx_start(fx);
	assert_int_equal(treg_fetch_set_robots(fx->f, cfg_ua, NULL), 0);
	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/private"));
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/ok"));

	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_ROBOTS);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_OK);
	assert_int_equal(srv_count(&fx->srv, "/robots.txt"), 1);
	assert_int_equal(srv_count(&fx->srv, "/private"), 0);
}

static void
test_treg_fetch_add_retry_then_ok(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx->cfg.retries = 1;
	fx->cfg.retry_backoff_ms = 10;
	fx_start(fx);
	fx_add_retry(fx, 0, fx_url(fx, 0, "127.0.0.1", "/flaky"));

	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->attempts, 2);
	assert_int_equal(r->retries, 1);
	assert_int_equal(r->done_calls, 1);
	assert_int_equal(r->body_len, 48);
}

static void
test_treg_fetch_add_challenge_not_retried(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx->cfg.retries = 2;
	fx->cfg.retry_backoff_ms = 10;
	fx_start(fx);
	fx_add_retry(fx, 0, fx_url(fx, 0, "127.0.0.1", "/challenge"));

	fx_run(fx, 1, 3000);

	assert_int_equal(r->status, 403);
	assert_int_equal(r->challenge, 1);
	assert_int_equal(r->attempts, 1);
	assert_int_equal(r->retries, 0);
}

static void
test_treg_fetch_add_retry_after_pauses_host(void **state)
{
	struct fx *fx = *state;

	fx->cfg.retries = 2;
	fx->cfg.retry_after_wait = 1;
	fx_start(fx);
	fx_add_retry(fx, 0, fx_url(fx, 0, "127.0.0.1", "/429"));
	fx_run(fx, 1, 3000);
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/ok"));

	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[0].status, 429);
	assert_int_equal(fx->recs[0].retry_after, 120);
	assert_int_equal(fx->recs[0].attempts, 1);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_RATE_LIMITED);
	assert_int_equal(srv_count(&fx->srv, "/ok"), 0);
}

static void
test_treg_fetch_add_meta_refresh(void **state)
{
	struct fx *fx = *state;
	char want[256];

	fx_start(fx);
	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/refresh"));

	fx_run(fx, 1, 3000);

	snprintf(want, sizeof(want), "http://127.0.0.1:%d/new", fx->srv.port);
	assert_string_equal(fx->recs[0].refresh, want);
	assert_string_equal(fx->recs[1].refresh, "");
}

static void
test_treg_fetch_add_ok(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);
	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/ok"));
	assert_int_equal(treg_fetch_pending(fx->f), 1);

	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->headers_calls, 1);
	assert_int_equal(r->headers_status, 200);
	assert_int_equal(r->body_len, 48);
	assert_int_equal(r->bytes, 48);
	assert_string_equal(r->head,
	    "<html><body><p>Hello evidence.</p></body></html>");
	assert_string_equal(r->content_type, "text/html; charset=utf-8");
	assert_string_equal(r->etag, "\"v1\"");
	assert_string_equal(r->last_modified,
	    "Mon, 03 Jun 2024 10:00:00 GMT");
	assert_int_equal(r->retry_after, -1);
	assert_int_equal(r->nhops, 0);
	assert_string_equal(r->final_url, fx->urls[0]);
	assert_string_equal(fx->srv.ua, cfg_ua);
	assert_int_equal(treg_fetch_pending(fx->f), 0);
}

static void
test_treg_fetch_add_not_modified(void **state)
{
	struct fx *fx = *state;
	struct treg_fetch_request req = { 0 };
	struct rec *r = &fx->recs[0];

	fx_start(fx);
	req.url = fx_url(fx, 0, "127.0.0.1", "/cond");
	req.etag = "\"v1\"";
	req.last_modified = "Mon, 03 Jun 2024 10:00:00 GMT";

	fx_add_req(fx, 0, &req);
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(r->status, 304);
	assert_int_equal(r->bytes, 0);
	assert_string_equal(fx->srv.inm, "\"v1\"");
	assert_string_equal(fx->srv.ims, "Mon, 03 Jun 2024 10:00:00 GMT");
}

static void
test_treg_fetch_add_redirect_chain(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];
	char want[256];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/chain/a"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nhops, 2);
	assert_int_equal(r->hop_status[0], 301);
	assert_string_equal(r->hop_url[0], fx->urls[0]);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/chain/b",
	    fx->srv.port);
	assert_string_equal(r->hop_location[0], want);
	assert_int_equal(r->hop_status[1], 302);
	assert_string_equal(r->hop_url[1], want);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok", fx->srv.port);
	assert_string_equal(r->hop_location[1], want);
	assert_string_equal(r->final_url, want);
	assert_int_equal(r->headers_calls, 1);
	assert_int_equal(r->body_len, 48);
}

/* An absolute Location with a space: curl follows it percent-encoded, and
 * the chain and final URL name the URL it asked for. */
static void
test_treg_fetch_add_redirect_location_with_space(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];
	char want[256];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/chain/space"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nhops, 1);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/sp%%20ace",
	    fx->srv.port);
	assert_string_equal(r->hop_location[0], want);
	assert_string_equal(r->final_url, want);
	assert_int_equal(r->body_len, 6);
}

static void
test_treg_fetch_add_redirect_loop(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx->cfg.max_redirects = 10;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/loop"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_REDIRECT_LOOP);
	assert_int_equal(r->nhops, 1);
	assert_int_equal(r->headers_calls, 0);
	assert_true(fx->srv.nreq <= 11);
}

static void
test_treg_fetch_add_cookie_gate(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/gate"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nhops, 1);
	assert_int_equal(r->hop_status[0], 302);
	assert_string_equal(r->final_url, fx->urls[0]);
	assert_non_null(strstr(r->head, "Gate passed."));
	assert_int_equal(fx->srv.nreq, 2);
}

static void
test_treg_fetch_add_cookie_jar_per_fetch(void **state)
{
	struct fx *fx = *state;

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/gate"));
	fx_run(fx, 1, 3000);
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/gate"));
	fx_run(fx, 2, 3000);

	/* The second fetch starts without the first one's cookie. */
	assert_int_equal(fx->recs[1].err, TREG_FETCH_OK);
	assert_int_equal(fx->recs[1].nhops, 1);
	assert_int_equal(fx->srv.nreq, 4);
}

static void
test_treg_fetch_add_too_many_redirects(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx->cfg.max_redirects = 3;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/r/0"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_TOO_MANY_REDIRECTS);
	assert_int_equal(r->nhops, 3);
	assert_int_equal(fx->srv.nreq, 4);
}

static void
test_treg_fetch_add_redirect_to_ftp(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/to-ftp"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_BAD_SCHEME);
	assert_int_equal(fx->srv.nreq, 1);
}

static void
test_treg_fetch_add_gzip_body(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/gzip"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_non_null(strstr(r->head,
	    "<p>API inputs are deleted after 30 days.</p>"));
	assert_int_equal(r->bytes, r->head_len);
}

static void
test_treg_fetch_add_brotli_unasked(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/br"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_non_null(strstr(r->head,
	    "<p>API inputs are deleted after 30 days.</p>"));
	assert_string_equal(r->memento, "Fri, 01 Mar 2024 00:00:00 GMT");
}

static void
test_treg_fetch_add_undecodable(void **state)
{
	struct fx *fx = *state;

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/badgzip"));
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/unknown-enc"));
	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_UNDECODABLE);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_UNDECODABLE);
}

/* libcurl 7.88 takes a gzip stream without its end for a whole body. */
static void
test_treg_fetch_add_gzip_truncated(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/gzip-cut"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_UNDECODABLE);
	assert_int_equal(r->status, 200);
}

/* A Location with user:pass@ is neither followed nor kept. */
static void
test_treg_fetch_add_redirect_with_credentials(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/creds"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_BAD_URL);
	assert_int_equal(fx->srv.nreq, 1);
	assert_int_equal(r->nhops, 0);
	assert_null(strstr(r->final_url, "pass"));
}

/* A Location as curl reads it: a CR inside ends it, one in front is
 * skipped, and an empty one is none.  Credentials are refused either
 * way, and the chain names the URL curl asks for. */
static void
test_treg_fetch_add_redirect_cr_inside_location(void **state)
{
	struct fx *fx = *state;
	char want[256];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/creds-cr"));
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/cr-inside"));
	fx_add(fx, 2, fx_url(fx, 2, "127.0.0.1", "/creds-cr-first"));
	fx_add(fx, 3, fx_url(fx, 3, "127.0.0.1", "/empty-location"));
	fx_run(fx, 4, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_BAD_URL);
	assert_null(strstr(fx->recs[0].final_url, "pass"));
	/* A CR in front is white space, skipped, as curl skips it. */
	assert_int_equal(fx->recs[2].err, TREG_FETCH_BAD_URL);
	assert_null(strstr(fx->recs[2].final_url, "pass"));
	/* An empty Location is no redirect, as for curl. */
	assert_int_equal(fx->recs[3].err, TREG_FETCH_OK);
	assert_int_equal(fx->recs[3].status, 301);
	assert_int_equal(fx->recs[3].nhops, 0);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_OK);
	assert_int_equal(fx->recs[1].nhops, 1);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok", fx->srv.port);
	assert_string_equal(fx->recs[1].hop_location[0], want);
	assert_string_equal(fx->recs[1].final_url, want);
	/* Only the second one's /ok was asked for. */
	assert_int_equal(srv_count(&fx->srv, "/ok"), 1);
}

static void
test_treg_fetch_add_gzip_bomb(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/bomb"));
	fx_run(fx, 1, 5000);

	assert_int_equal(r->err, TREG_FETCH_TOO_LARGE);
	assert_true(r->bytes <= fx->cfg.max_decoded);
	assert_true(r->body_len <= fx->cfg.max_decoded);
	assert_int_equal(r->head_len, 16384);
}

static void
test_treg_fetch_add_endless_chunked(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx->cfg.max_body = 64 * MiB;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/stream"));
	fx_run(fx, 1, 5000);

	assert_int_equal(r->err, TREG_FETCH_TOO_LARGE);
	assert_true(r->bytes <= fx->cfg.max_decoded);
	assert_true(r->bytes > fx->cfg.max_decoded - 4096);
}

static void
test_treg_fetch_add_huge_length(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/huge"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_TOO_LARGE);
	assert_int_equal(r->bytes, 0);
	assert_int_equal(r->body_len, 0);
}

static void
test_treg_fetch_add_header_too_large(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx->cfg.max_header = 4096;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/bigheaders"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_HEADER_TOO_LARGE);
	assert_int_equal(r->headers_calls, 0);
}

static void
test_treg_fetch_add_stall_times_out(void **state)
{
	struct fx *fx = *state;
	struct rec *slow = &fx->recs[0], *silent = &fx->recs[1];
	struct rec *fast = &fx->recs[2];
	int64_t t0;

	fx->cfg.low_speed_limit = 10;
	fx->cfg.low_speed_time = 1;
	fx->cfg.timeout = 2;
	fx_start(fx);
	t0 = now_ms();

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/slow"));
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/silent"));
	fx_add(fx, 2, fx_url(fx, 2, "127.0.0.1", "/fast"));
	fx_run(fx, 3, 5000);

	assert_int_equal(slow->err, TREG_FETCH_TIMEOUT);
	assert_int_equal(slow->bytes, 200);
	assert_int_equal(silent->err, TREG_FETCH_TIMEOUT);
	assert_int_equal(fast->err, TREG_FETCH_OK);
	assert_true(fast->done_at - t0 < 500);
	assert_true(fast->done_at < slow->done_at);
	assert_true(slow->done_at - t0 < 2500);
}

static void
test_treg_fetch_add_retry_after(void **state)
{
	struct fx *fx = *state;

	fx->cfg.retry_after_max = 200;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/429"));
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/429date"));
	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_OK);
	assert_int_equal(fx->recs[0].status, 429);
	assert_int_equal(fx->recs[0].retry_after, 120);
	assert_int_equal(fx->recs[1].status, 429);
	assert_int_equal(fx->recs[1].retry_after, 200);
}

static void
test_treg_fetch_add_retry_after_date(void **state)
{
	struct fx *fx = *state;

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/429date"));
	fx_run(fx, 1, 3000);

	assert_int_equal(fx->recs[0].retry_after, 300);
}

static void
test_treg_fetch_add_challenge_body_head(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	r->headers_ret = 1;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/challenge"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(r->status, 403);
	assert_int_equal(r->body_len, 0);
	assert_true(r->head_len > 0);
	assert_int_equal(r->bytes, r->head_len);
}

static void
test_treg_fetch_add_headers_cb_refuses(void **state)
{
	struct fx *fx = *state;

	fx->recs[0].headers_ret = -ECANCELED;
	fx->recs[1].body_ret = -EIO;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/ok"));
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/ok"));
	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_ABORTED);
	assert_int_equal(fx->recs[0].body_len, 0);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_ABORTED);
}

static void
test_treg_fetch_add_forbidden_resolved_address(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx->cfg.nallow_address = 0;
	fx_resolve(fx, "evil.test", "127.0.0.1");
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "evil.test", "/ok"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_FORBIDDEN_ADDRESS);
	assert_int_equal(fx->srv.accepted, 0);
}

static void
test_treg_fetch_add_allowed_resolved_address(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_resolve(fx, "evil.test", "127.0.0.1");
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "evil.test", "/ok"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.accepted, 1);
}

static void
test_treg_fetch_add_forbidden_numeric_forms(void **state)
{
	struct fx *fx = *state;

	fx->cfg.nallow_address = 0;
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "2130706433", "/ok"));
	fx_add(fx, 1, fx_url(fx, 1, "0177.0.0.1", "/ok"));
	fx_add(fx, 2, fx_url(fx, 2, "0x7f.1", "/ok"));
	fx_run(fx, 3, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_FORBIDDEN_ADDRESS);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_FORBIDDEN_ADDRESS);
	assert_int_equal(fx->recs[2].err, TREG_FETCH_FORBIDDEN_ADDRESS);
	assert_int_equal(fx->srv.accepted, 0);
}

static void
test_treg_fetch_add_numeric_form_allowed(void **state)
{
	struct fx *fx = *state;

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "2130706433", "/ok"));
	fx_run(fx, 1, 3000);

	/* It really was 127.0.0.1: listed, so it connects. */
	assert_int_equal(fx->recs[0].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.accepted, 1);
}

static void
test_treg_fetch_add_redirect_to_forbidden(void **state)
{
	struct fx *fx = *state;
	struct rec *r = &fx->recs[0];

	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/away"));
	fx_run(fx, 1, 3000);

	assert_int_equal(r->err, TREG_FETCH_FORBIDDEN_ADDRESS);
	assert_int_equal(r->nhops, 1);
	assert_int_equal(fx->srv.accepted, 1);
}

static void
test_treg_fetch_add_bad_scheme(void **state)
{
	struct fx *fx = *state;

	fx_start(fx);

	fx_add(fx, 0, "file:///etc/passwd");
	fx_add(fx, 1, "ftp://127.0.0.1/x");
	fx_add(fx, 2, "gopher://127.0.0.1/");
	/* Reported from the loop, never from inside treg_fetch_add(). */
	assert_int_equal(fx->ndone, 0);
	fx_run(fx, 3, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_BAD_SCHEME);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_BAD_SCHEME);
	assert_int_equal(fx->recs[2].err, TREG_FETCH_BAD_SCHEME);
	assert_int_equal(fx->srv.accepted, 0);
}

static void
test_treg_fetch_add_bad_url(void **state)
{
	struct fx *fx = *state;
	char url[256];

	fx_start(fx);
	snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%d/ok",
	    fx->srv.port);

	fx_add(fx, 0, url);
	fx_add(fx, 1, "http://");
	fx_add(fx, 2, "no url at all");
	assert_int_equal(fx->ndone, 0);
	fx_run(fx, 3, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_BAD_URL);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_BAD_URL);
	assert_int_equal(fx->recs[2].err, TREG_FETCH_BAD_URL);
	assert_int_equal(fx->srv.accepted, 0);
}

static void
test_treg_fetch_add_connect_refused(void **state)
{
	struct fx *fx = *state;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char url[128];
	int fd;

	/* A port that was just free and has nobody listening. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
	    ntohs(sin.sin_port));
	fx_start(fx);

	fx_add(fx, 0, url);
	fx_run(fx, 1, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_CONNECT);
}

static void
test_treg_fetch_add_per_host_cap(void **state)
{
	struct fx *fx = *state;
	int i;

	fx->cfg.per_host = 2;
	fx->srv.hold_ms = 100;
	fx_start(fx);

	for (i = 0; i < 6; i++)
		fx_add(fx, i, fx_url(fx, i, "127.0.0.1", "/hold"));
	fx_run(fx, 6, 5000);

	for (i = 0; i < 6; i++)
		assert_int_equal(fx->recs[i].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.max_active, 2);
	assert_int_equal(fx->srv.accepted, 6);
}

static void
test_treg_fetch_add_global_cap(void **state)
{
	struct fx *fx = *state;
	static const char *const hosts[] = { "a.test", "b.test", "c.test" };
	int i;

	fx->cfg.max_connections = 2;
	fx->srv.hold_ms = 100;
	for (i = 0; i < 3; i++)
		fx_resolve(fx, hosts[i], "127.0.0.1");
	fx_start(fx);

	for (i = 0; i < 6; i++)
		fx_add(fx, i, fx_url(fx, i, hosts[i % 3], "/hold"));
	fx_run(fx, 6, 5000);

	for (i = 0; i < 6; i++)
		assert_int_equal(fx->recs[i].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.max_active, 2);
}

static void
test_treg_fetch_add_host_delay(void **state)
{
	struct fx *fx = *state;
	static const char *const hosts[] = {
		"delay.test", "DELAY.test", "Delay.Test"
	};
	int i;

	fx->cfg.host_delay_ms = 200;
	for (i = 0; i < 3; i++)
		fx_resolve(fx, hosts[i], "127.0.0.1");
	fx_start(fx);

	/* Differently spelt, the same host: one delay for all three. */
	for (i = 0; i < 3; i++)
		fx_add(fx, i, fx_url(fx, i, hosts[i], "/fast"));
	fx_run(fx, 3, 3000);

	for (i = 0; i < 3; i++)
		assert_int_equal(fx->recs[i].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.nreq, 3);
	for (i = 1; i < 3; i++) {
		if (fx->srv.times[i] - fx->srv.times[i - 1] < 190)
			fail_msg("requests %d and %d %lld ms apart", i - 1, i,
			    (long long)(fx->srv.times[i] -
			    fx->srv.times[i - 1]));
	}
}

static void
test_treg_fetch_free_aborts_pending(void **state)
{
	struct fx *fx = *state;
	int i;

	fx->cfg.per_host = 1;
	fx_start(fx);
	for (i = 0; i < 3; i++)
		fx_add(fx, i, fx_url(fx, i, "127.0.0.1", "/silent"));
	fx_add(fx, 3, "ftp://127.0.0.1/");

	fx_spin(fx, 100);
	assert_int_equal(treg_fetch_pending(fx->f), 3);
	treg_fetch_free(fx->f);
	fx->f = NULL;

	assert_int_equal(fx->ndone, 4);
	for (i = 0; i < 3; i++) {
		assert_int_equal(fx->recs[i].err, TREG_FETCH_ABORTED);
		assert_int_equal(fx->recs[i].done_calls, 1);
	}
	assert_int_equal(fx->recs[3].err, TREG_FETCH_BAD_SCHEME);
	assert_int_equal(fx->srv.accepted, 1);
}

/* ---- treg_fetch_hold ------------------------------------------------ */

static void
test_treg_fetch_hold_queued_waits(void **state)
{
	struct fx *fx = *state;

	fx_start(fx);
	treg_fetch_hold(fx->f, 1);
	treg_fetch_hold(fx->f, 1);
	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/ok"));

	fx_spin(fx, 200);

	/* Not even a connection: held means not started at all. */
	assert_int_equal(fx->srv.accepted, 0);
	assert_int_equal(fx->srv.nreq, 0);
	assert_int_equal(fx->recs[0].done_calls, 0);
	assert_int_equal(treg_fetch_pending(fx->f), 1);

	/* Released twice, started once. */
	treg_fetch_hold(fx->f, 0);
	treg_fetch_hold(fx->f, 0);
	fx_run(fx, 1, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_OK);
	assert_int_equal(fx->recs[0].body_len, 48);
	assert_int_equal(fx->recs[0].done_calls, 1);
	assert_int_equal(fx->srv.nreq, 1);
	assert_int_equal(treg_fetch_pending(fx->f), 0);

	/* Released, the fetcher starts what comes next at once. */
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/fast"));
	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[1].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.nreq, 2);
}

static void
test_treg_fetch_hold_running_go_on(void **state)
{
	struct fx *fx = *state;
	int i;

	/* The server answers /hold 300 ms after the request: the transfer
	 * is running when the hold comes.  Valgrind is slow to send the
	 * request, so the test waits for it rather than a set time. */
	fx->srv.hold_ms = 300;
	fx_start(fx);
	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/hold"));
	for (i = 0; i < 300 && fx->srv.nreq == 0; i++)
		fx_spin(fx, 10);
	assert_int_equal(fx->srv.nreq, 1);

	treg_fetch_hold(fx->f, 1);
	fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/ok"));
	fx_run(fx, 1, 3000);
	fx_spin(fx, 100);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_OK);
	assert_int_equal(fx->recs[0].body_len, 48);
	assert_int_equal(fx->recs[1].done_calls, 0);
	assert_int_equal(fx->srv.nreq, 1);
	assert_int_equal(treg_fetch_pending(fx->f), 1);

	treg_fetch_hold(fx->f, 0);
	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[1].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.nreq, 2);
}

/* As the crawler does when its extraction pool is full: the hold comes
 * from a done callback, before the fetcher takes the next request. */
static void
hold_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct fx *fx = cb_fx;

	rec_done_cb(arg, res);
	if (arg == &fx->recs[0])
		treg_fetch_hold(fx->f, 1);
}

static void
test_treg_fetch_hold_from_done_cb(void **state)
{
	static const struct treg_fetch_ops ops = {
		.body_cb = rec_body_cb,
		.done_cb = hold_done_cb,
	};
	struct fx *fx = *state;
	struct treg_fetch_request req = { 0 };
	int i;

	fx->cfg.max_connections = 1;
	fx_start(fx);
	cb_fx = fx;
	for (i = 0; i < 3; i++) {
		req.url = fx_url(fx, i, "127.0.0.1", "/ok");
		assert_int_equal(treg_fetch_add(fx->f, &req, &ops,
		    &fx->recs[i]), 0);
	}

	fx_run(fx, 1, 3000);
	fx_spin(fx, 200);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.nreq, 1);
	assert_int_equal(fx->srv.accepted, 1);
	assert_int_equal(treg_fetch_pending(fx->f), 2);

	treg_fetch_hold(fx->f, 0);
	fx_run(fx, 3, 3000);

	for (i = 1; i < 3; i++) {
		assert_int_equal(fx->recs[i].err, TREG_FETCH_OK);
		assert_int_equal(fx->recs[i].body_len, 48);
	}
	assert_int_equal(fx->srv.nreq, 3);
	assert_int_equal(fx->srv.max_active, 1);
}

static void
test_treg_fetch_hold_free_aborts_queued(void **state)
{
	struct fx *fx = *state;
	int i;

	fx_start(fx);
	treg_fetch_hold(fx->f, 1);
	for (i = 0; i < 2; i++)
		fx_add(fx, i, fx_url(fx, i, "127.0.0.1", "/ok"));
	fx_spin(fx, 50);

	treg_fetch_free(fx->f);
	fx->f = NULL;

	for (i = 0; i < 2; i++) {
		assert_int_equal(fx->recs[i].err, TREG_FETCH_ABORTED);
		assert_int_equal(fx->recs[i].done_calls, 1);
	}
	assert_int_equal(fx->srv.accepted, 0);
}

static void
test_treg_fetch_add_env_proxy_ignored(void **state)
{
	struct fx *fx = *state;

	/* A proxy that would refuse: only used if the environment won. */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	fx_start(fx);

	fx_add(fx, 0, fx_url(fx, 0, "127.0.0.1", "/ok"));
	fx_run(fx, 1, 3000);
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");

	assert_int_equal(fx->recs[0].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.accepted, 1);
}

static void
chain_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct fx *fx = cb_fx;

	rec_done_cb(arg, res);
	if (arg == &fx->recs[0])
		fx_add(fx, 1, fx_url(fx, 1, "127.0.0.1", "/fast"));
}

static void
test_treg_fetch_add_from_done_cb(void **state)
{
	static const struct treg_fetch_ops ops = {
		.done_cb = chain_done_cb,
	};
	struct fx *fx = *state;
	struct treg_fetch_request req = { 0 };

	fx_start(fx);
	cb_fx = fx;
	req.url = fx_url(fx, 0, "127.0.0.1", "/ok");

	assert_int_equal(treg_fetch_add(fx->f, &req, &ops, &fx->recs[0]), 0);
	fx_run(fx, 2, 3000);

	assert_int_equal(fx->recs[0].err, TREG_FETCH_OK);
	assert_int_equal(fx->recs[1].err, TREG_FETCH_OK);
	assert_int_equal(fx->srv.nreq, 2);
	assert_int_equal(treg_fetch_pending(fx->f), 0);
}

static void
test_treg_fetch_free_null(void **state)
{
	treg_fetch_free(NULL);
	assert_int_equal(treg_fetch_pending(NULL), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_treg_fetch_address_allowed_ipv4_special_ranges),
		cmocka_unit_test(test_treg_fetch_address_allowed_ipv4_public),
		cmocka_unit_test(
		    test_treg_fetch_address_allowed_ipv6_special_ranges),
		cmocka_unit_test(test_treg_fetch_address_allowed_ipv6_public),
		cmocka_unit_test(test_treg_fetch_address_allowed_allow_list),
		cmocka_unit_test(
		    test_treg_fetch_address_allowed_other_family),
		cmocka_unit_test(test_treg_fetch_raw_archive_url_capture),
		cmocka_unit_test(
		    test_treg_fetch_raw_archive_url_modifier_kept),
		cmocka_unit_test(test_treg_fetch_raw_archive_url_other_urls),
		cmocka_unit_test(test_treg_fetch_error_name_all),
		cmocka_unit_test_setup_teardown(
		    test_treg_fetch_set_robots_disallowed, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_fetch_add_retry_then_ok, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_fetch_add_challenge_not_retried, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_fetch_add_retry_after_pauses_host, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_fetch_add_meta_refresh, fx_setup, fx_teardown),
		T(test_treg_fetch_add_ok),
		T(test_treg_fetch_add_not_modified),
		T(test_treg_fetch_add_redirect_chain),
		T(test_treg_fetch_add_redirect_location_with_space),
		T(test_treg_fetch_add_redirect_loop),
		T(test_treg_fetch_add_cookie_gate),
		T(test_treg_fetch_add_cookie_jar_per_fetch),
		T(test_treg_fetch_add_too_many_redirects),
		T(test_treg_fetch_add_redirect_to_ftp),
		T(test_treg_fetch_add_gzip_body),
		T(test_treg_fetch_add_brotli_unasked),
		T(test_treg_fetch_add_undecodable),
		T(test_treg_fetch_add_gzip_bomb),
		T(test_treg_fetch_add_gzip_truncated),
		T(test_treg_fetch_add_redirect_with_credentials),
		T(test_treg_fetch_add_redirect_cr_inside_location),
		T(test_treg_fetch_add_endless_chunked),
		T(test_treg_fetch_add_huge_length),
		T(test_treg_fetch_add_header_too_large),
		T(test_treg_fetch_add_stall_times_out),
		T(test_treg_fetch_add_retry_after),
		T(test_treg_fetch_add_retry_after_date),
		T(test_treg_fetch_add_challenge_body_head),
		T(test_treg_fetch_add_headers_cb_refuses),
		T(test_treg_fetch_add_forbidden_resolved_address),
		T(test_treg_fetch_add_allowed_resolved_address),
		T(test_treg_fetch_add_forbidden_numeric_forms),
		T(test_treg_fetch_add_numeric_form_allowed),
		T(test_treg_fetch_add_redirect_to_forbidden),
		T(test_treg_fetch_add_bad_scheme),
		T(test_treg_fetch_add_bad_url),
		T(test_treg_fetch_add_connect_refused),
		T(test_treg_fetch_add_per_host_cap),
		T(test_treg_fetch_add_global_cap),
		T(test_treg_fetch_add_host_delay),
		T(test_treg_fetch_hold_queued_waits),
		T(test_treg_fetch_hold_running_go_on),
		T(test_treg_fetch_hold_from_done_cb),
		T(test_treg_fetch_hold_free_aborts_queued),
		T(test_treg_fetch_add_env_proxy_ignored),
		T(test_treg_fetch_add_from_done_cb),
		T(test_treg_fetch_free_aborts_pending),
		cmocka_unit_test(test_treg_fetch_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
