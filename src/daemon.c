/* SPDX-License-Identifier: MIT */
/*
 * The daemon's event loop.  At most a batch of due URLs is in flight;
 * the cells that the URLs ended in a turn of the loop affect are judged,
 * and the flight is topped up from the store's schedule, so memory
 * follows the batch, not the number of URLs.  Every schedule change is
 * written in the batch of the observation that caused it, so a kill -9
 * loses at most the turn in flight and never makes a URL early or
 * forgotten.  systemd is spoken to over its datagram socket directly; no
 * libsystemd is needed.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "baseline.h"
#include "buf.h"
#include "config.h"
#include "crawl.h"
#include "daemon.h"
#include "fetch.h"
#include "log.h"
#include "registry.h"
#include "report.h"
#include "sched.h"
#include "store.h"
#include "verdict.h"

#define DAEMON_BATCH_MIN	8
#define DAEMON_BATCH_MAX	64
#define DAEMON_IDLE_MAX		60	/* s between schedule looks */
#define DAEMON_PAUSE_MIN	60	/* s without fetching, first */
#define DAEMON_LOCK_FILE	"daemon.lock"
#define DAEMON_LAST_REPORT	"last-report"
#define DAEMON_REGISTRY_BLOB	"registry"
#define DAEMON_REGISTRY_MAX	((size_t)64 << 20)

struct daemon {
	const struct treg_daemon_args *args;
	struct event_base *base;
	struct treg_config *cfg;
	struct treg_registry *reg;
	const struct treg_offering **offers;
	size_t	 noffer;
	struct treg_store *store;
	struct treg_sched *sched;
	struct treg_crawl *crawl;
	struct treg_crawl_hooks hooks;

	struct event *signals[4];
	struct event *tick_ev;		/* look for due URLs */
	struct event *judge_ev;		/* URLs ended: judge */
	struct event *report_ev;	/* the nightly report */
	struct event *watchdog_ev;
	struct event *registry_ev;	/* fetch the registry export */

	struct treg_buf regbody;	/* the export arriving */
	int	 regbody_over;		/* ... and it passed the cap */
	int	 registry_busy;

	char	*inflight[DAEMON_BATCH_MAX];	/* URLs being fetched */
	size_t	 ninflight;
	char	*ended[DAEMON_BATCH_MAX];	/* ... ended, to judge */
	size_t	 nended;

	time_t	 next_report;
	time_t	 last_report;
	size_t	 nurls;
	size_t	 fetched;
	size_t	 failed;
	size_t	 flagged;

	/* A store that failed to commit pauses the fetching (see
	 * daemon_store_pause()). */
	int	 store_trouble;
	time_t	 paused_until;
	long	 pause;		/* s, the last; 0 after a commit */

	int	 lock_fd;	/* holds DAEMON_LOCK_FILE; -1 */

	int	 notify_fd;
	struct sockaddr_un notify_addr;
	socklen_t notify_len;
};

/* systemd's notification protocol: one datagram per message to the
 * socket named by NOTIFY_SOCKET, "@" standing for the abstract
 * namespace. */
static void
daemon_notify_open(struct daemon *d)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	d->notify_fd = -1;
	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(d->notify_addr.sun_path)) {
		log_warn("daemon", "NOTIFY_SOCKET too long, not notifying");
		return;
	}
	memset(&d->notify_addr, 0, sizeof(d->notify_addr));
	d->notify_addr.sun_family = AF_UNIX;
	memcpy(d->notify_addr.sun_path, path, len);
	if (path[0] == '@')
		d->notify_addr.sun_path[0] = '\0';
	d->notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->notify_fd < 0)
		log_warn("daemon", "socket: %s; not notifying",
		    strerror(errno));
}

static void
daemon_notify(struct daemon *d, const char *msg)
{
	if (d->notify_fd < 0)
		return;
	if (sendto(d->notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&d->notify_addr, d->notify_len) < 0)
		log_debug("daemon", "sd_notify: %s", strerror(errno));
}

static void
daemon_status(struct daemon *d)
{
	char msg[256], when[32] = "none";
	struct tm tm;

	if (d->next_report > 0 && localtime_r(&d->next_report, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	snprintf(msg, sizeof(msg), "STATUS=%zu URLs scheduled, %zu fetched "
	    "(%zu failed), %zu cells flagged, next report %s", d->nurls,
	    d->fetched, d->failed, d->flagged, when);
	daemon_notify(d, msg);
}

/* History retention once a report is out, so pruning never races the
 * report's reading; a failure loses nothing and is only logged. */
static void
daemon_prune(struct daemon *d, time_t now)
{
	struct treg_baseline_pruned pruned;
	int rc;

	rc = treg_baseline_prune(d->store, (int64_t)now -
	    (int64_t)d->cfg->history_days * 86400, &pruned);
	if (rc == 0)
		rc = treg_store_commit(d->store);
	else
		treg_store_abort(d->store);
	if (rc < 0)
		log_warn("daemon", "history pruning failed: err=%s",
		    strerror(-rc));
}

/*
 * Writes the report of every verdict the store holds through the report
 * module: STATE_DIR/reports/report-YYYY-MM-DD.{txt,json,html,atom} and
 * reports/latest.*, each replaced whole so a reader never sees half.
 * History is pruned afterwards.
 */
static int
daemon_add_cb(void *arg, const struct treg_verdict *v)
{
	return treg_report_add(arg, v);
}

static int
daemon_write_report(struct daemon *d, const char *why)
{
	struct treg_report_health health = { d->fetched, d->failed, 0, 1 };
	struct treg_report *report = NULL;
	struct treg_crawl_coverage cov;
	time_t now = time(NULL);
	size_t n = 0;
	int rc;

	memset(&cov, 0, sizeof(cov));
	rc = treg_report_begin(&report, TREG_REPORT_ALL, d->cfg->state_dir,
	    now);
	/* The registry's cells, with how many it has no verdict for yet
	 * (SIGUSR1 before every URL's first fetch).  Until a registry
	 * given as a URL first arrives, every stored verdict. */
	if (rc == 0 && d->reg->pool != NULL) {
		rc = treg_crawl_each_registered(d->store, d->reg,
		    daemon_add_cb, report, &n, &cov);
		if (rc == 0)
			treg_report_set_coverage(report, cov.unjudged,
			    cov.gone, cov.named, cov.nnamed);
	} else if (rc == 0) {
		treg_report_set_no_registry(report);
		rc = treg_crawl_each_stored(d->store, daemon_add_cb, report,
		    &n);
	}
	if (rc == 0)
		rc = treg_report_finish_files(report, d->cfg->state_dir,
		    &health);
	if (rc < 0)
		log_err("daemon", "cannot write the report (%s): err=%s", why,
		    strerror(-rc));
	else if (d->reg->pool == NULL)
		log_notice("daemon", "report written (%s) dir=%s/reports "
		    "cells=%zu flagged=%zu registry=none", why,
		    d->cfg->state_dir, n, treg_report_attention(report));
	else
		log_notice("daemon", "report written (%s) dir=%s/reports "
		    "cells=%zu flagged=%zu not_judged=%zu gone=%zu", why,
		    d->cfg->state_dir, n, treg_report_attention(report),
		    cov.unjudged, cov.gone);
	treg_crawl_coverage_cleanup(&cov);
	treg_report_free(report);
	daemon_prune(d, now);
	malloc_trim(0);
	return rc;
}

static void
daemon_arm(struct event *ev, time_t secs)
{
	struct timeval tv = { secs > 0 ? secs : 0, 0 };

	evtimer_add(ev, &tv);
}

static void
daemon_plan_report(struct daemon *d)
{
	time_t now = time(NULL);
	int hh = 6, mm = 0;

	if (treg_sched_parse_hhmm(d->cfg->report_time, &hh, &mm) < 0)
		log_warn("daemon", "report_time \"%s\" unreadable, using 06:00",
		    d->cfg->report_time);
	d->next_report = treg_sched_next_report(now, d->last_report, hh, mm);
	if (d->next_report == (time_t)-1) {
		log_err("daemon", "cannot compute the next report time");
		d->next_report = 0;
		return;
	}
	evtimer_del(d->report_ev);
	daemon_arm(d->report_ev, d->next_report - now);
}

static void
daemon_report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	char buf[32];
	time_t now = time(NULL);

	/* The timer may wake early if the clock was set back: wait on. */
	if (now < d->next_report) {
		daemon_arm(d->report_ev, d->next_report - now);
		return;
	}
	daemon_write_report(d, "nightly");
	d->last_report = now;
	snprintf(buf, sizeof(buf), "%lld", (long long)now);
	if (treg_store_put_blob(d->store, DAEMON_LAST_REPORT, buf,
	    strlen(buf)) < 0 || treg_store_commit(d->store) < 0)
		log_warn("daemon", "cannot record the report time");
	daemon_plan_report(d);
	daemon_status(d);
}

/* Forgets the URLs in flight and those ended but not judged. */
static void
daemon_batch_free(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->ninflight; i++)
		free(d->inflight[i]);
	for (i = 0; i < d->nended; i++)
		free(d->ended[i]);
	d->ninflight = 0;
	d->nended = 0;
}

/* Moves url from the in-flight list to the ended one. */
static void
daemon_batch_end(struct daemon *d, const char *url)
{
	struct timeval zero = { 0, 0 };
	size_t i;

	for (i = 0; i < d->ninflight; i++) {
		if (strcmp(d->inflight[i], url) != 0)
			continue;
		d->ended[d->nended++] = d->inflight[i];
		d->inflight[i] = d->inflight[--d->ninflight];
		break;
	}
	evtimer_add(d->judge_ev, &zero);
}

/* Logs the noteworthy changes of one URL's health: dead as its cells'
 * verdicts say it, once the failures are as many and span as long as
 * flap damping asks. */
static void
daemon_note_url(struct daemon *d, const char *url,
    const struct treg_crawl_outcome *o)
{
	long after = d->cfg->dead_after_failures;
	long hours = d->cfg->dead_after_hours;
	const char *why;
	int dead_now, dead_before;

	dead_now = o->failures > 0 && !treg_verdict_damped(o->failures,
	    o->first_failure, o->at, after, hours);
	dead_before = o->prev_failures > 0 && o->prev_at > 0 &&
	    !treg_verdict_damped(o->prev_failures, o->first_failure,
	    (time_t)o->prev_at, after, hours);
	/* The status, or for no answer at all why (a timeout...). */
	why = o->status != 0 ? "" : treg_fetch_error_name(
	    (enum treg_fetch_error)o->error);
	if (o->failures == 1 && o->prev_failures == 0 && !dead_now)
		log_notice("daemon", "url failing url=%s status=%ld%s%s", url,
		    o->status, *why != '\0' ? " err=" : "", why);
	else if (dead_now && !dead_before)
		log_notice("daemon", "url dead url=%s failures=%u status=%ld"
		    "%s%s", url, o->failures, o->status,
		    *why != '\0' ? " err=" : "", why);
	else if (o->failures == 0 && o->prev_failures > 0)
		log_notice("daemon", "url recovered url=%s failures=%u", url,
		    o->prev_failures);
}

static void
daemon_ended_cb(void *arg, const char *url,
    const struct treg_crawl_outcome *o)
{
	struct daemon *d = arg;

	if (o->abandoned)
		return;

	/* Rescheduled in the observation's batch: both or neither. */
	if (treg_sched_fetched(d->sched, url, o->at) < 0)
		log_warn("daemon", "url=%s cannot reschedule", url);
	d->fetched++;
	/* This fetch failed, not an earlier one of the streak. */
	if (o->failures > o->prev_failures)
		d->failed++;
	if (o->stored)
		daemon_note_url(d, url, o);
	daemon_batch_end(d, url);
}

/* Until each of its URLs has been fetched once a cell is pending, not
 * flagged: a first start would otherwise flag every cell as unverifiable
 * while its first batches are still to come. */
static int
daemon_pending(const struct treg_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nev; i++)
		if (!v->ev[i].fetched)
			return 1;
	return 0;
}

static void
daemon_flag_cb(void *arg, const struct treg_verdict *prev,
    const struct treg_verdict *v)
{
	struct daemon *d = arg;
	int was, is;

	if (daemon_pending(v))
		return;
	was = prev != NULL && !daemon_pending(prev) &&
	    treg_verdict_needs_attention(prev);
	is = treg_verdict_needs_attention(v);
	if (is && (!was || prev->state != v->state))
		log_notice("daemon", "evidence flagged offering=%s cell=%s "
		    "state=%s", v->offering, v->cell,
		    treg_state_name(v->state));
	else if (was && !is)
		log_notice("daemon", "cell back to %s offering=%s cell=%s",
		    treg_state_name(v->state), v->offering, v->cell);
	if (is && !was)
		d->flagged++;
	else if (was && !is && d->flagged > 0)
		d->flagged--;
}

static int
daemon_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
daemon_judge_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval zero = { 0, 0 };

	size_t i;

	if (d->nended > 0) {
		qsort(d->ended, d->nended, sizeof(*d->ended),
		    daemon_cmp_str);
		/* Judging ends in a commit: one that works ends a run of
		 * pauses. */
		if (treg_crawl_judge_urls(d->cfg, d->store, d->offers,
		    d->noffer, d->ended, d->nended, time(NULL),
		    daemon_flag_cb, d) < 0)
			d->store_trouble = 1;
		else
			d->pause = 0;
		log_info("daemon", "judged urls=%zu fetched=%zu "
		    "flagged=%zu", d->nended, d->fetched, d->flagged);
		for (i = 0; i < d->nended; i++)
			free(d->ended[i]);
		d->nended = 0;
		daemon_status(d);
	}
	evtimer_add(d->tick_ev, &zero);
}

static size_t
daemon_batch_size(const struct daemon *d)
{
	/* What the fetcher runs, which the open-file limit may lower. */
	long conns = d->crawl != NULL ?
	    treg_crawl_max_connections(d->crawl) : d->cfg->max_connections;
	size_t n = (size_t)conns * 2;

	if (n < DAEMON_BATCH_MIN)
		n = DAEMON_BATCH_MIN;
	return n > DAEMON_BATCH_MAX ? DAEMON_BATCH_MAX : n;
}

/* Sleeps until the earliest due time, looking at least once a minute. */
static void
daemon_idle(struct daemon *d, time_t now)
{
	time_t due, wait = DAEMON_IDLE_MAX;

	if (treg_sched_next(d->sched, &due) == 0 && due - now < wait)
		wait = due - now;
	daemon_arm(d->tick_ev, wait < 1 ? 1 : wait);
}

static int
daemon_inflight(const struct daemon *d, const char *url)
{
	size_t i;

	for (i = 0; i < d->ninflight; i++)
		if (strcmp(d->inflight[i], url) == 0)
			return 1;
	return 0;
}

/*
 * Whether fetching must wait on the store.  A commit that fails (a full
 * disk) loses the observations it held and the moves of their URLs to
 * their next due time, so those URLs are due again at once: without a
 * pause a daemon fetched the same pages thousands of times a minute and
 * logged two errors each time.  The pause doubles from a minute up to
 * the interval while the failures go on, and the log says it once per
 * pause.
 */
static int
daemon_store_pause(struct daemon *d, time_t now)
{
	long most = d->cfg->interval > DAEMON_PAUSE_MIN ?
	    d->cfg->interval : DAEMON_PAUSE_MIN;

	if (d->crawl != NULL && treg_crawl_store_failed(d->crawl))
		d->store_trouble = 1;
	if (now < d->paused_until) {
		daemon_arm(d->tick_ev, d->paused_until - now);
		return 1;
	}
	if (!d->store_trouble)
		return 0;
	/* What is in flight ends first; its commit may fail too. */
	if (d->ninflight > 0)
		return 1;
	d->store_trouble = 0;
	d->pause = d->pause == 0 ? DAEMON_PAUSE_MIN : d->pause * 2;
	if (d->pause > most)
		d->pause = most;
	d->paused_until = now + d->pause;
	log_err("daemon", "the store cannot keep what is fetched "
	    "(state_dir=%s): no fetching for %lds", d->cfg->state_dir,
	    d->pause);
	daemon_arm(d->tick_ev, d->pause);
	return 1;
}

/*
 * Tops the URLs in flight up from the schedule once half of them have
 * ended, so one slow server never holds the others back.  The due URLs
 * read include those in flight (their time moves only when they end),
 * which are skipped.
 */
static void
daemon_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct treg_store_sched_entry due[2 * DAEMON_BATCH_MAX];
	size_t cap = daemon_batch_size(d), n = 0, i;
	time_t now = time(NULL);
	char *url;

	if (d->ninflight > cap / 2 || d->nended > 0 ||
	    daemon_store_pause(d, now))
		return;
	if (treg_sched_due(d->sched, now, due, d->ninflight + cap, &n) < 0)
		n = 0;
	for (i = 0; i < n && d->ninflight < cap; i++) {
		if (daemon_inflight(d, due[i].url))
			continue;
		url = due[i].url;
		log_debug("daemon", "due url=%s", url);
		if (treg_crawl_add(d->crawl, url) < 0) {
			/* Never started: moved on a full interval, not
			 * retried in a hot loop. */
			log_warn("daemon", "url=%s cannot be fetched", url);
			treg_sched_fetched(d->sched, url, now);
			treg_store_commit(d->store);
			continue;
		}
		d->inflight[d->ninflight++] = url;
		due[i].url = NULL;
	}
	treg_store_sched_entries_cleanup(due, n);
	if (d->ninflight == 0)
		daemon_idle(d, now);
}

static int
daemon_select_all(struct daemon *d)
{
	size_t i;

	free(d->offers);
	d->noffer = 0;
	d->offers = calloc(d->reg->noffer + 1, sizeof(*d->offers));
	if (d->offers == NULL)
		return -ENOMEM;
	for (i = 0; i < d->reg->noffer; i++)
		d->offers[d->noffer++] = &d->reg->offerings[i];
	return 0;
}

/* Brings the stored schedule in line with the registry's URLs. */
static int
daemon_sync(struct daemon *d, size_t *addedp, size_t *removedp)
{
	char **urls = NULL;
	size_t n = 0;
	int rc;

	rc = daemon_select_all(d);

	/* The crawler keeps a pointer to the offerings (for selectors):
	 * it must never outlive the array just replaced. */
	if (rc == 0 && d->crawl != NULL)
		treg_crawl_set_offerings(d->crawl, d->offers, d->noffer);
	if (rc == 0)
		rc = treg_crawl_list_urls(d->offers, d->noffer, &urls, &n);
	if (rc == 0)
		rc = treg_sched_sync(d->sched, urls, n, time(NULL), addedp,
		    removedp);
	if (rc == 0)
		d->nurls = n;
	treg_crawl_urls_free(urls, n);

	/* Cells without evidence are judged here: no fetch will. */
	if (rc == 0)
		rc = treg_crawl_judge_urls(d->cfg, d->store, d->offers,
		    d->noffer, NULL, 0, time(NULL), NULL, NULL);
	return rc;
}

/* Whether a stored verdict counts as flagged: judged on every URL it
 * cites, and needing a maintainer. */
static int
daemon_flagged(const char *data, size_t len)
{
	struct treg_verdict v;
	int flagged;

	memset(&v, 0, sizeof(v));
	flagged = treg_report_verdict_from_json(data, len, &v) == 0 &&
	    !daemon_pending(&v) && treg_verdict_needs_attention(&v);
	treg_verdict_cleanup(&v);
	return flagged;
}

/* Whether reg has the cell of key "OFFERING/CELL". */
static int
daemon_has_cell(const struct treg_registry *reg, const char *key)
{
	const char *slash = strchr(key, '/');
	char id[TREG_REGISTRY_ID_MAX + 1];

	/* Longer than any id the registry takes. */
	if (slash == NULL || (size_t)(slash - key) >= sizeof(id))
		return 0;
	memcpy(id, key, (size_t)(slash - key));
	id[slash - key] = '\0';
	return treg_offering_cell(treg_registry_find(reg, id),
	    slash + 1) != NULL;
}

/* Counts the flagged cells of the registry; the verdicts of cells it
 * has lost stay in the store, not in the count. */
static int
daemon_count_cb(void *arg, const char *key, const char *data, size_t len)
{
	struct daemon *d = arg;

	if (daemon_has_cell(d->reg, key) && daemon_flagged(data, len))
		d->flagged++;
	return 0;
}

/* The flagged count anew, for a registry that changed: cells it lost
 * leave the count, cells it gained (a first export) join it. */
static int
daemon_recount(struct daemon *d)
{
	d->flagged = 0;
	return treg_store_foreach_cell(d->store, daemon_count_cb, d);
}

/* Logs, once, each offering and cell the new registry no longer has;
 * their history stays in the store. */
static void
daemon_note_removed(const struct treg_registry *old,
    const struct treg_registry *new)
{
	const struct treg_offering *o, *n;
	size_t i, j;

	for (i = 0; i < old->noffer; i++) {
		o = &old->offerings[i];
		n = treg_registry_find(new, o->id);
		if (n == NULL) {
			log_notice("daemon", "offering removed from the "
			    "registry offering=%s (history kept)", o->id);
			continue;
		}
		for (j = 0; j < o->ncells; j++)
			if (treg_offering_cell(n, o->cells[j].key) == NULL)
				log_notice("daemon", "cell removed from the "
				    "registry offering=%s cell=%s (history "
				    "kept)", o->id, o->cells[j].key);
	}
}

/* Loads configuration and registry as a start would; NULL (logged) when
 * either is invalid. */
static int
daemon_load(const struct treg_daemon_args *args, struct treg_config **cfgp,
    struct treg_registry **regp)
{
	const char *path = args->config_path;
	char *err = NULL;
	int rc;

	*cfgp = NULL;
	*regp = NULL;
	if (path == NULL)
		path = treg_config_default_path();
	rc = treg_config_load(path, cfgp, &err);
	if (rc < 0) {
		log_err("config", "%s", err != NULL ? err : strerror(-rc));
		goto out;
	}
	if (args->state_dir != NULL) {
		free((*cfgp)->state_dir);
		(*cfgp)->state_dir = strdup(args->state_dir);
		if ((*cfgp)->state_dir == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* A URL registry is fetched by the loop, not read here: *regp
	 * stays NULL and the caller keeps the copy it has. */
	if (treg_daemon_registry_is_url((*cfgp)->registry))
		goto out;
	rc = treg_registry_load((*cfgp)->registry, regp, &err);
	if (rc < 0)
		log_err("registry", "%s", err != NULL ? err : strerror(-rc));
out:
	free(err);
	if (rc < 0) {
		treg_config_free(*cfgp);
		*cfgp = NULL;
	}
	return rc;
}

int
treg_daemon_registry_is_url(const char *registry)
{
	return registry != NULL && strncmp(registry, "https://", 8) == 0;
}

int
treg_daemon_cached_registry(const struct treg_config *cfg,
    struct treg_registry **regp, char **errp)
{
	struct treg_store *st;
	char *data = NULL;
	size_t len = 0;
	int rc;

	*regp = NULL;
	st = treg_store_open(cfg->state_dir);
	if (st == NULL)
		return -EIO;
	rc = treg_store_get_blob(st, DAEMON_REGISTRY_BLOB, &data, &len);
	treg_store_close(st);
	if (rc == -ENOENT) {
		if (errp != NULL && asprintf(errp, "%s: not fetched yet; the "
		    "daemon keeps the last good copy of a registry URL",
		    cfg->registry) < 0)
			*errp = NULL;
		return rc;
	}
	if (rc == 0)
		rc = treg_registry_load_buffer(cfg->registry, data, len, regp,
		    errp);
	free(data);
	return rc;
}

/* Arms the next fetch of a URL registry, secs from now. */
static void
daemon_registry_plan(struct daemon *d, long secs)
{
	if (!treg_daemon_registry_is_url(d->cfg->registry))
		return;
	evtimer_del(d->registry_ev);
	daemon_arm(d->registry_ev, secs);
}

static int
daemon_registry_headers_cb(void *arg, const struct treg_fetch_result *res)
{
	return res->status == 200 ? 0 : 1;
}

static int
daemon_registry_body_cb(void *arg, const char *data, size_t len)
{
	struct daemon *d = arg;
	int rc;

	rc = treg_buf_append(&d->regbody, data, len);
	if (rc == -E2BIG)
		d->regbody_over = 1;
	return rc;
}

/* Takes a new registry in: logs what went away, reschedules. */
static void
daemon_registry_apply(struct daemon *d, struct treg_registry *reg)
{
	size_t added = 0, removed = 0;

	daemon_note_removed(d->reg, reg);
	treg_registry_free(d->reg);
	d->reg = reg;
	daemon_sync(d, &added, &removed);
	if (daemon_recount(d) < 0)
		log_warn("daemon", "cannot count the flagged cells anew");
	log_notice("daemon", "registry updated url=%s offerings=%zu "
	    "urls=%zu added=%zu removed=%zu", d->cfg->registry,
	    d->reg->noffer, d->nurls, added, removed);
	daemon_status(d);

	/* New URLs may be due before the idle timer would look. */
	if (d->ninflight == 0) {
		evtimer_del(d->tick_ev);
		daemon_arm(d->tick_ev, 0);
	}
}

/* Validates a fetched export; only a valid one that differs from the
 * last good copy replaces it. */
static void
daemon_registry_take(struct daemon *d)
{
	struct treg_registry *reg = NULL;
	char *err = NULL, *old = NULL;
	size_t oldlen = 0;
	int rc, same;

	rc = treg_registry_load_buffer(d->cfg->registry, d->regbody.data,
	    d->regbody.len, &reg, &err);
	if (rc < 0) {
		log_warn("daemon", "registry export rejected, keeping the "
		    "last good copy: %s", err != NULL ? err : strerror(-rc));
		free(err);
		return;
	}
	same = treg_store_get_blob(d->store, DAEMON_REGISTRY_BLOB, &old,
	    &oldlen) == 0 && oldlen == d->regbody.len &&
	    memcmp(old, d->regbody.data, oldlen) == 0;
	free(old);
	if (same) {
		log_debug("daemon", "registry unchanged url=%s",
		    d->cfg->registry);
		treg_registry_free(reg);
		return;
	}
	rc = treg_store_put_blob(d->store, DAEMON_REGISTRY_BLOB,
	    d->regbody.data, d->regbody.len);
	if (rc == 0)
		rc = treg_store_commit(d->store);
	if (rc < 0)
		log_warn("daemon", "cannot keep the registry copy: err=%s",
		    strerror(-rc));
	daemon_registry_apply(d, reg);
}

static void
daemon_registry_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct daemon *d = arg;

	d->registry_busy = 0;
	if (d->regbody_over)
		log_warn("daemon", "registry export rejected, keeping the "
		    "last good copy: url=%s larger than %zu MiB",
		    d->cfg->registry, DAEMON_REGISTRY_MAX >> 20);
	else if (res->error == TREG_FETCH_ABORTED)
		log_debug("daemon", "registry fetch abandoned");
	else if (res->error != TREG_FETCH_OK || res->status != 200)
		log_warn("daemon", "registry export unreachable, keeping the "
		    "last good copy: url=%s status=%ld err=%s",
		    d->cfg->registry, res->status,
		    treg_fetch_error_name(res->error));
	else
		daemon_registry_take(d);
	treg_buf_cleanup(&d->regbody);
	daemon_registry_plan(d, d->cfg->registry_interval);
}

static const struct treg_fetch_ops daemon_registry_ops = {
	.headers_cb = daemon_registry_headers_cb,
	.body_cb = daemon_registry_body_cb,
	.done_cb = daemon_registry_done_cb,
};

static void
daemon_registry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct treg_fetch_request req;

	if (d->registry_busy || d->crawl == NULL ||
	    !treg_daemon_registry_is_url(d->cfg->registry))
		return;
	memset(&req, 0, sizeof(req));
	req.url = d->cfg->registry;
	treg_buf_init(&d->regbody, DAEMON_REGISTRY_MAX);
	d->regbody_over = 0;
	if (treg_fetch_add(treg_crawl_fetcher(d->crawl), &req,
	    &daemon_registry_ops, d) < 0) {
		log_warn("daemon", "registry url=%s cannot be fetched",
		    d->cfg->registry);
		daemon_registry_plan(d, d->cfg->registry_interval);
		return;
	}
	d->registry_busy = 1;
	log_debug("daemon", "registry fetch url=%s", d->cfg->registry);
}

static void
daemon_reload(struct daemon *d)
{
	struct treg_config *cfg = NULL;
	struct treg_registry *reg = NULL;
	enum treg_log_level level;
	size_t added = 0, removed = 0;

	daemon_notify(d, "RELOADING=1");
	if (daemon_load(d->args, &cfg, &reg) < 0) {
		log_err("daemon", "reload failed; still running on the "
		    "previous configuration and registry");
		daemon_notify(d, "READY=1");
		return;
	}
	/* XXX: the store stays open across a reload, so a changed
	 * state_dir is ignored until the daemon restarts. */
	if (strcmp(cfg->state_dir, d->cfg->state_dir) != 0)
		log_warn("daemon", "state_dir changed; it takes effect at "
		    "the next start");

	/* What ended is judged on the old registry; what is in flight is
	 * abandoned: still due, it comes back on the new settings. */
	daemon_judge_cb(-1, 0, d);
	evtimer_del(d->tick_ev);
	treg_crawl_free(d->crawl);
	d->crawl = NULL;
	daemon_batch_free(d);
	evtimer_del(d->judge_ev);

	free(cfg->state_dir);
	cfg->state_dir = d->cfg->state_dir;
	d->cfg->state_dir = NULL;
	treg_config_free(d->cfg);
	d->cfg = cfg;
	if (reg != NULL) {
		daemon_note_removed(d->reg, reg);
		treg_registry_free(d->reg);
		d->reg = reg;
	}
	if (treg_log_parse_level(cfg->log_level, &level) == 0)
		treg_log_set_level(level);

	treg_sched_set_interval(d->sched, cfg->interval);
	daemon_sync(d, &added, &removed);
	if (reg != NULL && daemon_recount(d) < 0)
		log_warn("daemon", "cannot count the flagged cells anew");
	d->crawl = treg_crawl_new(d->base, d->cfg, d->store, &d->hooks, d);
	if (d->crawl == NULL) {
		log_err("daemon", "cannot restart the crawler; stopping");
		event_base_loopbreak(d->base);
		return;
	}
	treg_crawl_set_offerings(d->crawl, d->offers, d->noffer);
	daemon_plan_report(d);
	d->registry_busy = 0;
	daemon_registry_plan(d, 0);
	log_notice("daemon", "reloaded offerings=%zu urls=%zu "
	    "urls_added=%zu urls_removed=%zu", d->reg->noffer, d->nurls,
	    added, removed);
	daemon_notify(d, "READY=1");
	daemon_status(d);
	daemon_arm(d->tick_ev, 0);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGHUP:
		log_notice("daemon", "SIGHUP: reloading");
		daemon_reload(d);
		break;
	case SIGUSR1:
		daemon_write_report(d, "on request");
		break;
	default:
		log_notice("daemon", "signal %d: stopping", (int)sig);
		daemon_notify(d, "STOPPING=1");
		event_base_loopbreak(d->base);
		break;
	}
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	daemon_notify(arg, "WATCHDOG=1");
}

/* Pings systemd's watchdog at half its period, from the loop itself, so a
 * stuck loop is what stops the pings. */
static int
daemon_watchdog_start(struct daemon *d)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	struct timeval tv;
	long long us;
	char *end;

	if (usec == NULL || d->notify_fd < 0)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	us = strtoll(usec, &end, 10);
	if (end == usec || *end != '\0' || us <= 0)
		return 0;
	us /= 2;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	d->watchdog_ev = event_new(d->base, -1, EV_PERSIST,
	    daemon_watchdog_cb, d);
	if (d->watchdog_ev == NULL || event_add(d->watchdog_ev, &tv) < 0)
		return -ENOMEM;
	return 0;
}

static int
daemon_events(struct daemon *d)
{
	static const int sigs[4] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	int i;

	for (i = 0; i < 4; i++) {
		d->signals[i] = evsignal_new(d->base, sigs[i],
		    daemon_signal_cb, d);
		if (d->signals[i] == NULL ||
		    evsignal_add(d->signals[i], NULL) < 0)
			return -ENOMEM;
	}
	d->tick_ev = evtimer_new(d->base, daemon_tick_cb, d);
	d->judge_ev = evtimer_new(d->base, daemon_judge_cb, d);
	d->report_ev = evtimer_new(d->base, daemon_report_cb, d);
	d->registry_ev = evtimer_new(d->base, daemon_registry_cb, d);
	if (d->tick_ev == NULL || d->judge_ev == NULL ||
	    d->report_ev == NULL || d->registry_ev == NULL)
		return -ENOMEM;
	return daemon_watchdog_start(d);
}

static void
daemon_read_last_report(struct daemon *d)
{
	char *data = NULL;
	size_t len = 0;

	if (treg_store_get_blob(d->store, DAEMON_LAST_REPORT, &data,
	    &len) == 0)
		d->last_report = (time_t)strtoll(data, NULL, 10);
	free(data);
}

/*
 * One daemon to a state directory: a second one fetched every URL again
 * behind the first's back and wrote the same reports and WARC files.
 * The lock belongs to the open file, so the kernel drops it however the
 * daemon ends; the file says which process holds it.  --once runs
 * beside a daemon need no lock (README).
 */
static int
daemon_lock(struct daemon *d)
{
	char *path = NULL, pid[32];
	ssize_t n;
	int fd, rc = 0;

	if (asprintf(&path, "%s/" DAEMON_LOCK_FILE, d->cfg->state_dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		log_err("daemon", "cannot open %s: %s", path, strerror(-rc));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (rc == -EBUSY)
			log_err("daemon", "another daemon runs on state_dir=%s "
			    "(pid %s, in %s); stop it first", d->cfg->state_dir,
			    pid[0] != '\0' ? pid : "unknown", path);
		else
			log_err("daemon", "cannot lock %s: %s", path,
			    strerror(-rc));
		close(fd);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("daemon", "cannot write the pid to %s: %s", path,
		    strerror(errno));
	d->lock_fd = fd;
out:
	free(path);
	return rc;
}

static int
daemon_start(struct daemon *d)
{
	size_t added = 0, removed = 0;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	daemon_notify_open(d);
	d->base = event_base_new();
	if (d->base == NULL)
		return -ENOMEM;
	d->store = treg_store_open(d->cfg->state_dir);
	if (d->store == NULL)
		return -EIO;
	rc = daemon_lock(d);
	if (rc < 0)
		return rc;
	d->sched = treg_sched_new(d->store, d->cfg->interval, 0);
	if (d->sched == NULL)
		return -ENOMEM;
	rc = daemon_sync(d, &added, &removed);
	if (rc < 0)
		return rc;
	rc = daemon_recount(d);
	if (rc < 0)
		return rc;

	d->hooks.ended_cb = daemon_ended_cb;
	d->crawl = treg_crawl_new(d->base, d->cfg, d->store, &d->hooks, d);
	if (d->crawl == NULL)
		return -ENOMEM;
	/* Per-source selectors travel with the offerings. */
	treg_crawl_set_offerings(d->crawl, d->offers, d->noffer);
	rc = daemon_events(d);
	if (rc < 0)
		return rc;
	daemon_read_last_report(d);
	daemon_plan_report(d);
	daemon_registry_plan(d, 0);
	daemon_arm(d->tick_ev, 0);

	/* Start-up read every cell record; give those pages back. */
	malloc_trim(0);
	log_notice("daemon", "started offerings=%zu urls=%zu new=%zu "
	    "dropped=%zu flagged=%zu interval=%lds state_dir=%s",
	    d->reg->noffer, d->nurls, added, removed, d->flagged,
	    d->cfg->interval, d->cfg->state_dir);
	daemon_notify(d, "READY=1");
	daemon_status(d);
	return 0;
}

static void
daemon_cleanup(struct daemon *d)
{
	int i;

	treg_crawl_free(d->crawl);
	daemon_batch_free(d);
	for (i = 0; i < 4; i++)
		if (d->signals[i] != NULL)
			event_free(d->signals[i]);
	if (d->tick_ev != NULL)
		event_free(d->tick_ev);
	if (d->judge_ev != NULL)
		event_free(d->judge_ev);
	if (d->report_ev != NULL)
		event_free(d->report_ev);
	if (d->watchdog_ev != NULL)
		event_free(d->watchdog_ev);
	if (d->registry_ev != NULL)
		event_free(d->registry_ev);
	treg_buf_cleanup(&d->regbody);
	treg_sched_free(d->sched);
	treg_store_close(d->store);
	if (d->base != NULL)
		event_base_free(d->base);
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->offers);
	treg_registry_free(d->reg);
	treg_config_free(d->cfg);
}

int
treg_daemon_run(const struct treg_daemon_args *args,
    struct treg_config *cfg, struct treg_registry *reg)
{
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.args = args;
	d.cfg = cfg;
	d.reg = reg;
	d.notify_fd = -1;
	d.lock_fd = -1;

	rc = daemon_start(&d);
	if (rc < 0) {
		log_err("daemon", "cannot start: err=%s", strerror(-rc));
		goto out;
	}
	if (event_base_dispatch(d.base) < 0)
		rc = -EIO;
	/* A URL that ended in the loop's last turn was stored, but its
	 * judging waits on a timer the stop left unrun, and it is not due
	 * again for a whole interval: judge it now, as a reload does. */
	daemon_judge_cb(-1, 0, &d);
	log_notice("daemon", "stopped fetched=%zu failed=%zu", d.fetched,
	    d.failed);
out:
	daemon_cleanup(&d);
	return rc;
}
