/* SPDX-License-Identifier: MIT */
/*
 * robots.txt rules.  The file is read line by line into two rule lists,
 * one for the groups that name our product token and one for the "*"
 * groups; the first list wins when any group named us.  Patterns are
 * matched with a backtracking-free wildcard walk, so a hostile file of
 * many stars costs time linear in path times pattern, never exponential.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "robots.h"

/* Longest product token and pattern kept; longer ones are cut (a
 * pattern) or never match (a token). */
#define ROBOTS_TOKEN_MAX	64
#define ROBOTS_PATTERN_MAX	2048

struct robots_rule {
	char	*pattern;
	size_t	 len;
	int	 allow;
};

struct robots_list {
	struct robots_rule *rules;
	size_t	 n;
	size_t	 cap;
	long	 delay_ms;	/* -1: none */
	int	 seen;		/* some group of this kind existed */
};

struct treg_robots {
	struct robots_list list;
	int	 deny_all;
};

/* The parser's view of the group it is in. */
struct robots_parse {
	struct robots_list specific;
	struct robots_list star;
	int	 in_agents;	/* the last line was a user-agent line */
	int	 for_us;	/* the current group names our token */
	int	 for_star;	/* the current group names "*" */
	char	 agent[ROBOTS_TOKEN_MAX + 1];
};

static void
robots_list_cleanup(struct robots_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->rules[i].pattern);
	free(l->rules);
	memset(l, 0, sizeof(*l));
	l->delay_ms = -1;
}

static int
robots_list_add(struct robots_list *l, const char *pat, size_t len,
    int allow)
{
	struct robots_rule *grown;
	char *copy;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		grown = realloc(l->rules, l->cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		l->rules = grown;
	}
	/* The body is length-delimited and may hold NUL bytes (the server
	 * chooses it): copy all len bytes, so the pattern and its length
	 * agree; a NUL in it then simply never matches a path byte. */
	copy = malloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, pat, len);
	copy[len] = '\0';
	l->rules[l->n].pattern = copy;
	l->rules[l->n].len = len;
	l->rules[l->n].allow = allow;
	l->n++;
	return 0;
}

/* Length of the product token at s: up to a '/', blank or the end. */
static size_t
robots_token_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == ' ' || s[i] == '\t')
			break;
	}
	return i;
}

static void
robots_trim(const char **s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static void
robots_user_agent(struct robots_parse *p, const char *v, size_t len)
{
	size_t tlen = robots_token_len(v, len);

	/* A user-agent after rules starts a new group. */
	if (!p->in_agents) {
		p->for_us = 0;
		p->for_star = 0;
	}
	p->in_agents = 1;

	if (tlen == 1 && v[0] == '*') {
		p->for_star = 1;
		p->star.seen = 1;
	} else if (tlen > 0 && tlen == strlen(p->agent) &&
	    strncasecmp(v, p->agent, tlen) == 0) {
		p->for_us = 1;
		p->specific.seen = 1;
	}
}

/* Crawl-delay in seconds, fractions allowed; -1 if it does not parse. */
static long
robots_delay_ms(const char *v, size_t len)
{
	char num[32];
	double s;
	char *end;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, v, len);
	num[len] = '\0';
	s = strtod(num, &end);
	/* end short of num + len: junk or an embedded NUL. */
	if (end == num || end != num + len || !(s >= 0))
		return -1;
	if (s * 1000 > (double)TREG_ROBOTS_MAX_DELAY_MS)
		return TREG_ROBOTS_MAX_DELAY_MS;
	return (long)(s * 1000);
}

static int
robots_rule_line(struct robots_parse *p, const char *key, size_t klen,
    const char *v, size_t vlen)
{
	int allow = klen == 5 && strncasecmp(key, "allow", 5) == 0;
	int deny = klen == 8 && strncasecmp(key, "disallow", 8) == 0;
	long delay;
	int rc = 0;

	if (klen == 11 && strncasecmp(key, "crawl-delay", 11) == 0) {
		delay = robots_delay_ms(v, vlen);
		if (delay >= 0 && p->for_us && delay > p->specific.delay_ms)
			p->specific.delay_ms = delay;
		if (delay >= 0 && p->for_star && delay > p->star.delay_ms)
			p->star.delay_ms = delay;
		p->in_agents = 0;
		return 0;
	}
	if (!allow && !deny)
		return 0;
	p->in_agents = 0;

	/* "Disallow:" with no path allows everything: no rule at all. */
	if (vlen == 0)
		return 0;
	if (vlen > ROBOTS_PATTERN_MAX)
		vlen = ROBOTS_PATTERN_MAX;
	if (p->for_us)
		rc = robots_list_add(&p->specific, v, vlen, allow);
	if (rc == 0 && p->for_star)
		rc = robots_list_add(&p->star, v, vlen, allow);
	return rc;
}

static int
robots_line(struct robots_parse *p, const char *line, size_t len)
{
	const char *colon, *hash, *key, *v;
	size_t klen, vlen;

	hash = memchr(line, '#', len);
	if (hash != NULL)
		len = (size_t)(hash - line);
	colon = memchr(line, ':', len);
	if (colon == NULL)
		return 0;

	key = line;
	klen = (size_t)(colon - line);
	robots_trim(&key, &klen);
	v = colon + 1;
	vlen = (size_t)(line + len - v);
	robots_trim(&v, &vlen);

	if (klen == 10 && strncasecmp(key, "user-agent", 10) == 0) {
		robots_user_agent(p, v, vlen);
		return 0;
	}
	/* Rules before any user-agent line belong to no group. */
	if (!p->for_us && !p->for_star) {
		if (klen != 7 || strncasecmp(key, "sitemap", 7) != 0)
			p->in_agents = 0;
		return 0;
	}
	return robots_rule_line(p, key, klen, v, vlen);
}

static struct treg_robots *
robots_new(void)
{
	struct treg_robots *r;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		log_err("robots", "out of memory");
		return NULL;
	}
	r->list.delay_ms = -1;
	return r;
}

struct treg_robots *
treg_robots_parse(const char *text, size_t len, const char *agent)
{
	struct robots_parse p;
	struct treg_robots *r;
	const char *line, *end, *nl;
	size_t alen;
	int rc = 0;

	r = robots_new();
	if (r == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.specific.delay_ms = -1;
	p.star.delay_ms = -1;
	alen = agent != NULL ? robots_token_len(agent, strlen(agent)) : 0;
	if (alen > ROBOTS_TOKEN_MAX)
		alen = 0;
	memcpy(p.agent, agent != NULL ? agent : "", alen);
	p.agent[alen] = '\0';

	if (text == NULL)
		len = 0;
	if (len > TREG_ROBOTS_MAX_BYTES)
		len = TREG_ROBOTS_MAX_BYTES;
	line = text;
	end = text + len;
	while (rc == 0 && line != NULL && line < end) {
		nl = line;
		while (nl < end && *nl != '\n' && *nl != '\r')
			nl++;
		rc = robots_line(&p, line, (size_t)(nl - line));
		line = nl + 1;
	}

	if (rc < 0) {
		log_err("robots", "out of memory parsing robots.txt");
		robots_list_cleanup(&p.specific);
		robots_list_cleanup(&p.star);
		free(r);
		return NULL;
	}
	if (p.specific.seen) {
		r->list = p.specific;
		robots_list_cleanup(&p.star);
	} else {
		r->list = p.star;
		robots_list_cleanup(&p.specific);
	}
	return r;
}

struct treg_robots *
treg_robots_new_disallow_all(void)
{
	struct treg_robots *r = robots_new();

	if (r != NULL)
		r->deny_all = 1;
	return r;
}

/*
 * Whether pat (plen bytes, '*' wildcards, '$' at the end anchoring) matches
 * a prefix of s, or all of s when anchored.  On a mismatch the walk goes
 * back only to the last star, which is enough for '*'-only patterns.
 */
static int
robots_match(const char *pat, size_t plen, const char *s)
{
	size_t slen = strlen(s), pi = 0, si = 0, star_p = 0, star_s = 0;
	int anchored = 0, have_star = 0;

	if (plen > 0 && pat[plen - 1] == '$') {
		anchored = 1;
		plen--;
	}
	while (si < slen || pi < plen) {
		if (pi < plen && pat[pi] == '*') {
			have_star = 1;
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi == plen && !anchored)
			return 1;
		if (pi < plen && si < slen && pat[pi] == s[si]) {
			pi++;
			si++;
			continue;
		}
		if (!have_star || star_s >= slen)
			return 0;
		pi = star_p;
		si = ++star_s;
	}
	return 1;
}

int
treg_robots_allowed(const struct treg_robots *r, const char *path)
{
	const struct robots_rule *best = NULL, *rule;
	size_t i;

	if (path == NULL || path[0] == '\0')
		path = "/";
	if (strcmp(path, "/robots.txt") == 0)
		return 1;
	if (r == NULL)
		return 1;
	if (r->deny_all)
		return 0;

	for (i = 0; i < r->list.n; i++) {
		rule = &r->list.rules[i];
		if (!robots_match(rule->pattern, rule->len, path))
			continue;
		if (best == NULL || rule->len > best->len ||
		    (rule->len == best->len && rule->allow))
			best = rule;
	}
	return best == NULL || best->allow;
}

long
treg_robots_crawl_delay_ms(const struct treg_robots *r)
{
	return r != NULL ? r->list.delay_ms : -1;
}

size_t
treg_robots_nrules(const struct treg_robots *r)
{
	return r != NULL ? r->list.n : 0;
}

void
treg_robots_free(struct treg_robots *r)
{
	if (r == NULL)
		return;
	robots_list_cleanup(&r->list);
	free(r);
}
