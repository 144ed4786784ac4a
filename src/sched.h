/* SPDX-License-Identifier: MIT */
/*
 * The daemon's crawl schedule.  Every distinct evidence URL has a next
 * due time kept in the store, so a restart resumes where it stopped: no
 * URL is fetched early because of a restart and none is forgotten.  Due
 * URLs are read from the store a page at a time, so memory does not grow
 * with the number of URLs.  Also computes the nightly report time in
 * local time, at most one report per local calendar day.
 */
#ifndef TREG_SCHED_H
#define TREG_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct treg_store;
struct treg_store_sched_entry;

/* New URLs are spread over the first hour (or the interval if shorter),
 * so a start with thousands of them is not a burst. */
#define TREG_SCHED_RAMP		3600
/* A fetched URL is next due after the interval, give or take this many
 * per cent, so URLs fetched together drift apart. */
#define TREG_SCHED_JITTER_PCT	10

struct treg_sched;

/*
 * Creates a schedule over st (which must outlive it) with the interval in
 * seconds.  seed feeds the jitter (0: from the clock and pid).  Returns
 * NULL (logged) on failure.
 */
struct treg_sched *treg_sched_new(struct treg_store *st, long interval,
	    uint64_t seed);

/* Frees s; NULL does nothing.  The schedule itself stays in the store. */
void	treg_sched_free(struct treg_sched *s);

/* Changes the interval (after a reload). */
void	treg_sched_set_interval(struct treg_sched *s, long interval);

/*
 * Makes the stored schedule hold exactly the n URLs (sorted, distinct):
 * a URL not yet scheduled is due within TREG_SCHED_RAMP of now, one due
 * later than an interval and its jitter from now is pulled in, and URLs
 * no longer cited are dropped.  Commits.  Sets *addedp and *removedp
 * when not NULL.  Returns 0 or a negative errno.
 */
int	treg_sched_sync(struct treg_sched *s, char *const *urls, size_t n,
	    time_t now, size_t *addedp, size_t *removedp);

/* Records that url was fetched at now: it is next due an interval later,
 * with jitter.  Writes inside the store's open batch. */
int     treg_sched_fetched(struct treg_sched *s, const char *url, time_t now);

/*
 * Reads up to max URLs due at or before now, earliest first, into out
 * (release with treg_store_sched_entries_cleanup()).  Returns 0 or a
 * negative errno.
 */
int	treg_sched_due(struct treg_sched *s, time_t now,
	    struct treg_store_sched_entry *out, size_t max, size_t *np);

/* The earliest due time in *duep; -ENOENT when nothing is scheduled. */
int	treg_sched_next(struct treg_sched *s, time_t *duep);

/*
 * The next report time after now at local time hh:mm, on a local date
 * later than that of last (0: no report yet), so daylight-saving changes
 * neither skip nor repeat a day's report.  A time that does not exist
 * that day (the spring gap) is taken as mktime() normalises it.  Returns
 * (time_t)-1 if the time cannot be computed.
 */
time_t	treg_sched_next_report(time_t now, time_t last, int hh, int mm);

/* Parses "HH:MM"; -EINVAL if it is not a time of day. */
int	treg_sched_parse_hhmm(const char *s, int *hh, int *mm);

#endif
