/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the response header readers of httphead.c and the
 * fetcher's Location resolution.  The first line of the input is the URL
 * that answered; the lines after it go through the line classifier as
 * curl would hand them over, each field's value through the reader its
 * name calls for (and the date readers whatever the name), and what
 * follows the blank line is the body searched for a meta refresh and a
 * challenge page.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch.h"
#include "httphead.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed clock, so that a crash replays the same way. */
#define FUZZ_NOW	((time_t)1717408800)

/* What the header block said so far, as the fetcher keeps it. */
struct fuzz_state {
	char	*base;
	long	 status;
	char	*date;
	char	*cf;
};

static void
fuzz_resolve(const char *base, const char *location)
{
	char *abs;

	abs = treg_fetch_resolve_url(base, location);
	free(abs);
}

static void
fuzz_value(struct fuzz_state *st, const struct treg_httphead_field *fl,
    char *v)
{
	char *type = NULL, *cs = NULL;
	size_t cslen;

	(void)treg_httphead_date(v);
	(void)treg_httphead_retry_after(v, st->date, FUZZ_NOW);
	(void)treg_httphead_validator_ok(v);
	(void)treg_httphead_charset(v, strlen(v), &cslen);

	if (treg_httphead_field_is(fl, "content-type")) {
		/* The media type is a trimmed piece of the value. */
		if (treg_httphead_content_type(v, &type, &cs) == 0 &&
		    (type == NULL || strlen(type) > strlen(v)))
			abort();
		free(type);
		free(cs);
	} else if (treg_httphead_field_is(fl, "location")) {
		fuzz_resolve(st->base, v);
	} else if (treg_httphead_field_is(fl, "date") && st->date == NULL) {
		st->date = v;
		return;
	} else if (treg_httphead_field_is(fl, "cf-mitigated") &&
	    st->cf == NULL) {
		st->cf = v;
		return;
	}
	free(v);
}

/* One header line, copied to a buffer of its own size so that a read
 * past its end is caught. */
static int
fuzz_line(struct fuzz_state *st, const uint8_t *data, size_t len)
{
	struct treg_httphead_field fl;
	char *line, *v;
	int end = 0;

	line = malloc(len > 0 ? len : 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, len);

	switch (treg_httphead_line_kind(line, len)) {
	case TREG_HTTPHEAD_STATUS:
		st->status = treg_httphead_status(line, len);
		break;
	case TREG_HTTPHEAD_END:
		end = 1;
		break;
	case TREG_HTTPHEAD_FIELD:
		if (treg_httphead_field(line, len, &fl) < 0)
			break;
		if (fl.value < line || fl.value + fl.value_len > line + len ||
		    fl.name != line)
			abort();
		v = strndup(fl.value, fl.value_len);
		if (v != NULL)
			fuzz_value(st, &fl, v);
		break;
	}
	free(line);
	return end;
}

static void
fuzz_body(const struct fuzz_state *st, const uint8_t *data, size_t len)
{
	char *body, *target;

	body = malloc(len > 0 ? len : 1);
	if (body == NULL)
		return;
	memcpy(body, data, len);

	(void)treg_httphead_challenge(st->status, st->cf, body, len);
	target = treg_httphead_find_refresh(body, len);
	if (target != NULL)
		fuzz_resolve(st->base, target);
	free(target);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state st;
	const uint8_t *p = data, *end = data + size, *nl;
	size_t n;

	treg_log_set_level(TREG_LOG_ERR);
	memset(&st, 0, sizeof(st));

	nl = memchr(p, '\n', size);
	n = nl != NULL ? (size_t)(nl - p) : size;
	st.base = strndup((const char *)p, n);
	if (st.base == NULL)
		return 0;
	p += nl != NULL ? n + 1 : n;

	/* Lines up to the blank one; the rest is the body. */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		p += n;
		if (fuzz_line(&st, p - n, n))
			break;
	}
	fuzz_body(&st, p, (size_t)(end - p));

	free(st.date);
	free(st.cf);
	free(st.base);
	return 0;
}
