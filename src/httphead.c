/* SPDX-License-Identifier: MIT */
/*
 * Response header lines, HTTP dates, Retry-After, validators,
 * Content-Type, meta refresh and challenge pages, read from bytes alone.
 * Nothing here keeps state or allocates beyond the strings it returns,
 * and no input is trusted: every scan is bounded by the length given.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "httphead.h"

/* ---- header lines ---------------------------------------------------- */

enum treg_httphead_line
treg_httphead_line_kind(const char *line, size_t len)
{
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
		return TREG_HTTPHEAD_STATUS;
	if ((len == 2 && line[0] == '\r') || (len == 1 && line[0] == '\n'))
		return TREG_HTTPHEAD_END;
	return TREG_HTTPHEAD_FIELD;
}

long
treg_httphead_status(const char *line, size_t len)
{
	const char *sp;
	long code = 0;
	size_t i;

	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return -1;
	for (i = (size_t)(sp - line) + 1; i < len && code < 1000; i++) {
		if (line[i] < '0' || line[i] > '9')
			break;
		code = code * 10 + (line[i] - '0');
	}
	return code;
}

int
treg_httphead_field(const char *line, size_t len,
    struct treg_httphead_field *out)
{
	const char *colon, *v, *end, *cut;

	colon = memchr(line, ':', len);
	if (colon == NULL)
		return -EINVAL;

	v = colon + 1;
	end = line + len;
	/* As curl reads a value: white space first, CR and LF included,
	 * is skipped, and the value ends at the next CR, LF or NUL.  A
	 * Location with a CR inside or in front was followed by curl while
	 * ours failed our checks, credentials' included. */
	while (v < end && (*v == ' ' || *v == '\t' || *v == '\r' ||
	    *v == '\n' || *v == '\v' || *v == '\f'))
		v++;
	for (cut = v; cut < end && *cut != '\r' && *cut != '\n' &&
	    *cut != '\0'; cut++)
		;
	end = cut;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;

	out->name = line;
	out->name_len = (size_t)(colon - line);
	out->value = v;
	out->value_len = (size_t)(end - v);
	return 0;
}

int
treg_httphead_field_is(const struct treg_httphead_field *fl,
    const char *name)
{
	return strlen(name) == fl->name_len &&
	    strncasecmp(fl->name, name, fl->name_len) == 0;
}

/* ---- HTTP dates ------------------------------------------------------ */

static const char *const httphead_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static const char *const httphead_days[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sunday",
};

/* Reads between min and max digits at *pp into *out.  Returns 0 and
 * moves *pp past them, or -1. */
static int
httphead_digits(const char **pp, int min, int max, int *out)
{
	const char *p = *pp;
	int n = 0, v = 0;

	while (n < max && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

/* Expects the character c at *pp and moves past it.  Returns 0 or -1. */
static int
httphead_char(const char **pp, char c)
{
	if (**pp != c)
		return -1;
	(*pp)++;
	return 0;
}

/* Reads a three-letter month name at *pp into *mon (0-11). */
static int
httphead_month(const char **pp, int *mon)
{
	int i;

	for (i = 0; i < 12; i++) {
		if (strncasecmp(*pp, httphead_months[i], 3) == 0) {
			*mon = i;
			*pp += 3;
			return 0;
		}
	}
	return -1;
}

/* Reads a weekday name at *pp, abbreviated or in full.  Returns 0 and
 * moves *pp past it, or -1. */
static int
httphead_weekday(const char **pp)
{
	size_t n = 0;
	int i;

	while (n < 10 && (((*pp)[n] >= 'a' && (*pp)[n] <= 'z') ||
	    ((*pp)[n] >= 'A' && (*pp)[n] <= 'Z')))
		n++;
	for (i = 0; i < 7; i++) {
		if ((n == 3 || n == strlen(httphead_days[i])) &&
		    strncasecmp(*pp, httphead_days[i], n) == 0) {
			*pp += n;
			return 0;
		}
	}
	return -1;
}

/* "hh:mm:ss" into tm. */
static int
httphead_clock(const char **pp, struct tm *tm)
{
	if (httphead_digits(pp, 2, 2, &tm->tm_hour) < 0 ||
	    httphead_char(pp, ':') < 0 ||
	    httphead_digits(pp, 2, 2, &tm->tm_min) < 0 ||
	    httphead_char(pp, ':') < 0 ||
	    httphead_digits(pp, 2, 2, &tm->tm_sec) < 0)
		return -1;
	return 0;
}

/* " GMT" (or " UTC"). */
static int
httphead_zone(const char **pp)
{
	if (httphead_char(pp, ' ') < 0)
		return -1;
	if (strncasecmp(*pp, "GMT", 3) != 0 && strncasecmp(*pp, "UTC", 3) != 0)
		return -1;
	*pp += 3;
	return 0;
}

/* After the weekday and ", ": "06 Nov 1994 08:49:37 GMT".  A day
 * without its leading zero, which some servers send, is taken too. */
static int
httphead_imf(const char **pp, struct tm *tm)
{
	if (httphead_digits(pp, 1, 2, &tm->tm_mday) < 0 ||
	    httphead_char(pp, ' ') < 0 || httphead_month(pp, &tm->tm_mon) < 0 ||
	    httphead_char(pp, ' ') < 0 ||
	    httphead_digits(pp, 4, 4, &tm->tm_year) < 0 ||
	    httphead_char(pp, ' ') < 0 || httphead_clock(pp, tm) < 0)
		return -1;
	return httphead_zone(pp);
}

/* After the full weekday and ", ": "06-Nov-94 08:49:37 GMT". */
static int
httphead_rfc850(const char **pp, struct tm *tm)
{
	if (httphead_digits(pp, 2, 2, &tm->tm_mday) < 0 ||
	    httphead_char(pp, '-') < 0 || httphead_month(pp, &tm->tm_mon) < 0 ||
	    httphead_char(pp, '-') < 0 ||
	    httphead_digits(pp, 2, 2, &tm->tm_year) < 0 ||
	    httphead_char(pp, ' ') < 0 || httphead_clock(pp, tm) < 0)
		return -1;
	tm->tm_year += tm->tm_year < 70 ? 2000 : 1900;
	return httphead_zone(pp);
}

/* After the weekday and " ": "Nov  6 08:49:37 1994". */
static int
httphead_asctime(const char **pp, struct tm *tm)
{
	if (httphead_month(pp, &tm->tm_mon) < 0 ||
	    httphead_char(pp, ' ') < 0)
		return -1;
	/* A one-digit day is padded with a space. */
	if (**pp == ' ')
		(*pp)++;
	if (httphead_digits(pp, 1, 2, &tm->tm_mday) < 0 ||
	    httphead_char(pp, ' ') < 0 || httphead_clock(pp, tm) < 0 ||
	    httphead_char(pp, ' ') < 0 ||
	    httphead_digits(pp, 4, 4, &tm->tm_year) < 0)
		return -1;
	return 0;
}

/* Reads one of the three forms at *pp into tm (tm_year as the year).
 * Which one it is shows after the weekday: a blank is asctime, a comma
 * then a day with '-' is RFC 850, anything else IMF-fixdate.  An
 * IMF-fixdate without its weekday, which libcurl took, is taken too. */
static int
httphead_date_form(const char **pp, struct tm *tm)
{
	const char *p;

	if (**pp >= '0' && **pp <= '9')
		return httphead_imf(pp, tm);
	if (httphead_weekday(pp) < 0)
		return -1;
	if (**pp == ' ') {
		(*pp)++;
		return httphead_asctime(pp, tm);
	}
	if (httphead_char(pp, ',') < 0 || httphead_char(pp, ' ') < 0)
		return -1;
	p = *pp;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '-')
		return httphead_rfc850(pp, tm);
	return httphead_imf(pp, tm);
}

/*
 * XXX: libcurl's curl_getdate(), which read these dates before, also
 * took numeric zones ("+0000"), a missing zone and days past the end of
 * the month; such a Retry-After is now taken as absent (the fetcher's
 * own backoff applies) and such a Date as unknown (our clock is used).
 */
time_t
treg_httphead_date(const char *s)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	struct tm tm;
	const char *p = s;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	while (*p == ' ' || *p == '\t')
		p++;
	if (httphead_date_form(&p, &tm) < 0)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return -1;

	/* 29 February passes in every year: timegm() makes it 1 March of
	 * a common year, the value curl_getdate() gave. */
	if (tm.tm_year < 1970 || tm.tm_mday < 1 ||
	    tm.tm_mday > mdays[tm.tm_mon] || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	return timegm(&tm);
}

/* ---- Retry-After and validators -------------------------------------- */

long
treg_httphead_retry_after(const char *value, const char *server_date,
    time_t now)
{
	const char *p, *end;
	time_t when, ref;
	long s = 0;

	if (value == NULL)
		return -1;
	p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;

	if (p < end && *p >= '0' && *p <= '9') {
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			/* Saturates: "too long" is still "too long". */
			if (s > (LONG_MAX - (*p - '0')) / 10)
				s = LONG_MAX;
			else
				s = s * 10 + (*p - '0');
		}
		return s;
	}

	when = treg_httphead_date(value);
	if (when == -1)
		return -1;
	ref = server_date != NULL ? treg_httphead_date(server_date) : -1;
	if (ref == -1)
		ref = now;
	return when > ref ? (long)(when - ref) : 0;
}

int
treg_httphead_validator_ok(const char *v)
{
	return v != NULL && v[0] != '\0' && strpbrk(v, "\r\n") == NULL &&
	    strlen(v) < TREG_HTTPHEAD_VALIDATOR_MAX;
}

/* ---- Content-Type ---------------------------------------------------- */

const char *
treg_httphead_charset(const char *s, size_t n, size_t *lenp)
{
	const char *end = s + n;
	const char *p, *v;

	for (p = s; (size_t)(end - p) >= 7; p++) {
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		v = p + 7;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		p = v;
		if (p < end && (*p == '"' || *p == '\'')) {
			p++;
			v++;
			while (p < end && *p != '"' && *p != '\'')
				p++;
		} else {
			while (p < end && *p != ';' && *p != ' ' &&
			    *p != '\t' && *p != ',')
				p++;
		}
		*lenp = (size_t)(p - v);
		return v;
	}
	return NULL;
}

static int
httphead_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

int
treg_httphead_content_type(const char *value, char **typep,
    char **charsetp)
{
	size_t n = strcspn(value, ";"), cslen, i;
	const char *cs;
	char *type = NULL, *charset = NULL;
	int rc = -ENOMEM;

	while (n > 0 && httphead_is_space(value[n - 1]))
		n--;
	while (n > 0 && httphead_is_space(*value)) {
		value++;
		n--;
	}
	type = strndup(value, n);
	if (type == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (type[i] >= 'A' && type[i] <= 'Z')
			type[i] = (char)(type[i] - 'A' + 'a');

	cs = treg_httphead_charset(value + n, strlen(value + n), &cslen);
	if (cs != NULL) {
		charset = strndup(cs, cslen);
		if (charset == NULL)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(type);
		type = NULL;
	}
	*typep = type;
	*charsetp = charset;
	return rc;
}

/* ---- the start of a body --------------------------------------------- */

/* Words that bot-protection pages (Cloudflare, Akamai, Imperva,
 * PerimeterX, DataDome and home-made ones) carry in their markup. */
static const char *const httphead_challenge_markers[] = {
	"challenge-platform", "cf-chl", "cf_chl", "just a moment...",
	"attention required!", "checking your browser",
	"checking if the site connection is secure", "_incapsula_resource",
	"px-captcha", "captcha-delivery", "g-recaptcha", "h-captcha",
	"enable javascript and cookies to continue",
};

/* The first place word occurs in [p, end), without case, or NULL. */
static const char *
httphead_find(const char *p, const char *end, const char *word)
{
	size_t wlen = strlen(word);
	int first = (unsigned char)word[0];

	/* A first byte without case ('<' of "<meta") is found by memchr:
	 * this runs over the head of every page fetched. */
	if (wlen > 0 && !isalpha(first)) {
		while ((size_t)(end - p) >= wlen) {
			p = memchr(p, first, (size_t)(end - p) - wlen + 1);
			if (p == NULL)
				return NULL;
			if (strncasecmp(p, word, wlen) == 0)
				return p;
			p++;
		}
		return NULL;
	}
	for (; (size_t)(end - p) >= wlen; p++) {
		if (strncasecmp(p, word, wlen) == 0)
			return p;
	}
	return NULL;
}

int
treg_httphead_challenge(long status, const char *cf_mitigated,
    const char *body, size_t len)
{
	size_t i;

	if (cf_mitigated != NULL && strcasecmp(cf_mitigated, "challenge") == 0)
		return 1;
	if (body == NULL ||
	    (status != 401 && status != 403 && status != 429 && status != 503))
		return 0;
	for (i = 0; i < sizeof(httphead_challenge_markers) /
	    sizeof(httphead_challenge_markers[0]); i++) {
		if (httphead_find(body, body + len,
		    httphead_challenge_markers[i]) != NULL)
			return 1;
	}
	return 0;
}

char *
treg_httphead_meta_refresh(const char *tag, size_t len)
{
	const char *end = tag + len, *c, *u, *stop;
	char quote;
	long delay = 0;

	if (httphead_find(tag, end, "http-equiv") == NULL ||
	    httphead_find(tag, end, "refresh") == NULL)
		return NULL;
	c = httphead_find(tag, end, "content");
	if (c == NULL)
		return NULL;
	c += 7;
	while (c < end && (*c == ' ' || *c == '='))
		c++;
	quote = c < end && (*c == '"' || *c == '\'') ? *c++ : ' ';
	while (c < end && *c == ' ')
		c++;
	while (c < end && *c >= '0' && *c <= '9' && delay < 1000)
		delay = delay * 10 + (*c++ - '0');
	if (delay > TREG_HTTPHEAD_REFRESH_MAX_DELAY)
		return NULL;
	u = httphead_find(c, end, "url");
	if (u == NULL)
		return NULL;
	u += 3;
	while (u < end && (*u == ' ' || *u == '='))
		u++;
	if (u < end && (*u == '"' || *u == '\'') && *u != quote)
		quote = *u++;
	for (stop = u; stop < end && *stop != quote && *stop != '"' &&
	    *stop != '\'' && *stop != '>'; stop++)
		;
	while (stop > u && stop[-1] == ' ')
		stop--;
	return stop > u ? strndup(u, (size_t)(stop - u)) : NULL;
}

char *
treg_httphead_find_refresh(const char *body, size_t len)
{
	const char *p, *end, *tag, *close;
	char *target = NULL;

	if (body == NULL)
		return NULL;
	p = body;
	end = body + len;
	while (target == NULL) {
		tag = httphead_find(p, end, "<meta");
		if (tag == NULL)
			break;
		close = memchr(tag, '>', (size_t)(end - tag));
		if (close == NULL)
			break;
		target = treg_httphead_meta_refresh(tag,
		    (size_t)(close - tag));
		p = close + 1;
	}
	return target;
}
