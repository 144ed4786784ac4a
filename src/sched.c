/* SPDX-License-Identifier: MIT */
/*
 * The crawl schedule over the store's due index.  The schedule is the
 * store's: this module only decides times (ramp for new URLs, interval
 * with jitter after a fetch, the nightly report in local time) and reads
 * due URLs a page at a time.  Nothing here holds a list of every URL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sched.h"
#include "store.h"

#define SCHED_PAGE	256

struct treg_sched {
	struct treg_store *store;
	long	 interval;
	uint64_t rng;
};

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t
sched_random(struct treg_sched *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * UINT64_C(2685821657736338717);
}

/* A uniform-enough value in [0, n), n > 0. */
static int64_t
sched_below(struct treg_sched *s, int64_t n)
{
	if (n <= 0)
		return 0;
	return (int64_t)(sched_random(s) % (uint64_t)n);
}

struct treg_sched *
treg_sched_new(struct treg_store *st, long interval, uint64_t seed)
{
	struct treg_sched *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_err("sched", "out of memory");
		return NULL;
	}
	s->store = st;
	s->interval = interval > 0 ? interval : 1;
	if (seed == 0)
		seed = (uint64_t)time(NULL) * UINT64_C(6364136223846793005) ^
		    (uint64_t)getpid();
	s->rng = seed != 0 ? seed : 1;
	return s;
}

void
treg_sched_free(struct treg_sched *s)
{
	free(s);
}

void
treg_sched_set_interval(struct treg_sched *s, long interval)
{
	s->interval = interval > 0 ? interval : 1;
}

static int64_t
sched_ramp(const struct treg_sched *s)
{
	return s->interval < TREG_SCHED_RAMP ? s->interval : TREG_SCHED_RAMP;
}

static int64_t
sched_max_jitter(const struct treg_sched *s)
{
	return (int64_t)s->interval * TREG_SCHED_JITTER_PCT / 100;
}

static int
sched_cmp_url(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* Adds the URLs not yet scheduled; pulls in those due too far ahead (the
 * interval was shortened). */
static int
sched_add_missing(struct treg_sched *s, char *const *urls, size_t n,
    time_t now, size_t *addedp)
{
	int64_t due, latest;
	size_t i;
	int rc;

	latest = (int64_t)now + s->interval + sched_max_jitter(s);
	for (i = 0; i < n; i++) {
		rc = treg_store_sched_get(s->store, urls[i], &due);
		if (rc == 0 && due <= latest)
			continue;
		if (rc != 0 && rc != -ENOENT)
			return rc;
		if (rc == -ENOENT)
			(*addedp)++;
		due = (int64_t)now + sched_below(s, sched_ramp(s));
		rc = treg_store_sched_set(s->store, urls[i], due);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Drops scheduled URLs that no cell cites any more, a page at a time. */
static int
sched_drop_stale(struct treg_sched *s, char *const *urls, size_t n,
    size_t *removedp)
{
	struct treg_store_sched_entry page[SCHED_PAGE];
	struct treg_store_sched_pos pos;
	size_t got, i;
	int rc;

	memset(&pos, 0, sizeof(pos));
	do {
		rc = treg_store_sched_page(s->store, &pos, INT64_MAX, page,
		    SCHED_PAGE, &got);
		if (rc < 0)
			return rc;
		for (i = 0; i < got && rc == 0; i++) {
			if (bsearch(page[i].url, urls, n, sizeof(*urls),
			    sched_cmp_url) != NULL)
				continue;
			log_debug("sched", "url=%s no longer cited",
			    page[i].url);
			rc = treg_store_sched_remove(s->store, page[i].url);
			(*removedp)++;
		}
		treg_store_sched_entries_cleanup(page, got);
		if (rc < 0)
			return rc;
	} while (got == SCHED_PAGE);
	return 0;
}

int
treg_sched_sync(struct treg_sched *s, char *const *urls, size_t n,
    time_t now, size_t *addedp, size_t *removedp)
{
	size_t added = 0, removed = 0;
	int rc;

	rc = sched_add_missing(s, urls, n, now, &added);
	if (rc == 0)
		rc = sched_drop_stale(s, urls, n, &removed);
	if (rc == 0)
		rc = treg_store_commit(s->store);
	else
		treg_store_abort(s->store);
	if (rc < 0) {
		log_err("sched", "cannot update the schedule: err=%s",
		    strerror(-rc));
		return rc;
	}
	if (addedp != NULL)
		*addedp = added;
	if (removedp != NULL)
		*removedp = removed;
	return 0;
}

int
treg_sched_fetched(struct treg_sched *s, const char *url, time_t now)
{
	int64_t jitter, due;

	jitter = sched_max_jitter(s);
	due = (int64_t)now + s->interval - jitter +
	    sched_below(s, 2 * jitter + 1);
	if (due <= (int64_t)now)
		due = (int64_t)now + 1;
	return treg_store_sched_set(s->store, url, due);
}

int
treg_sched_due(struct treg_sched *s, time_t now,
    struct treg_store_sched_entry *out, size_t max, size_t *np)
{
	struct treg_store_sched_pos pos;

	memset(&pos, 0, sizeof(pos));
	return treg_store_sched_page(s->store, &pos, (int64_t)now, out, max,
	    np);
}

int
treg_sched_next(struct treg_sched *s, time_t *duep)
{
	struct treg_store_sched_entry e;
	struct treg_store_sched_pos pos;
	size_t got = 0;
	int rc;

	memset(&pos, 0, sizeof(pos));
	rc = treg_store_sched_page(s->store, &pos, INT64_MAX, &e, 1, &got);
	if (rc < 0)
		return rc;
	if (got == 0)
		return -ENOENT;
	*duep = (time_t)e.due;
	treg_store_sched_entries_cleanup(&e, got);
	return 0;
}

/* Local calendar date of day offset days after base's, as year * 400 +
 * day of year (comparable). */
static long
sched_local_day(const struct tm *base, int offset)
{
	struct tm d = *base;

	d.tm_mday += offset;
	d.tm_hour = 12;
	d.tm_min = 0;
	d.tm_sec = 0;
	d.tm_isdst = -1;
	if (mktime(&d) == (time_t)-1)
		return -1;
	return (long)d.tm_year * 400 + d.tm_yday;
}

time_t
treg_sched_next_report(time_t now, time_t last, int hh, int mm)
{
	struct tm today, lastday, c;
	long last_day = -1, day;
	time_t t;
	int i;

	if (localtime_r(&now, &today) == NULL)
		return (time_t)-1;
	if (last != 0) {
		if (localtime_r(&last, &lastday) == NULL)
			return (time_t)-1;
		last_day = (long)lastday.tm_year * 400 + lastday.tm_yday;
	}

	/* Each candidate is built from the local date, not by adding 24 h,
	 * so a 23- or 25-hour day still gets its one report. */
	for (i = 0; i < 3; i++) {
		day = sched_local_day(&today, i);
		if (day < 0)
			return (time_t)-1;
		if (day <= last_day)
			continue;
		c = today;
		c.tm_mday += i;
		c.tm_hour = hh;
		c.tm_min = mm;
		c.tm_sec = 0;
		c.tm_isdst = -1;
		t = mktime(&c);
		if (t != (time_t)-1 && t > now)
			return t;
	}
	return (time_t)-1;
}

int
treg_sched_parse_hhmm(const char *s, int *hh, int *mm)
{
	char *end;
	long h, m;

	h = strtol(s, &end, 10);
	if (end == s || *end != ':' || h < 0 || h > 23)
		return -EINVAL;
	s = end + 1;
	m = strtol(s, &end, 10);
	if (end == s || *end != '\0' || m < 0 || m > 59)
		return -EINVAL;
	*hh = (int)h;
	*mm = (int)m;
	return 0;
}
