/* SPDX-License-Identifier: MIT */
/*
 * One crawl of a set of offerings.  Every distinct URL is fetched once,
 * however many cells cite it; each body streams through an extractor
 * while it arrives; each ending becomes one observation.  Observations are
 * written into the store's open batch and the batch is committed once per
 * turn of the event loop, so a burst of completions costs one fsync and a
 * crash loses at most the turn in flight.  Judging reads everything back
 * from the store, so a one-shot run and the daemon judge alike.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "config.h"
#include "crawl.h"
#include "extract.h"
#include "fetch.h"
#include "log.h"
#include "normalize.h"
#include "registry.h"
#include "report.h"
#include "store.h"

/* Statuses at which a server is refusing us, not saying the page is gone:
 * the evidence is unverifiable rather than dead. */
#define CRAWL_IS_BLOCKED(status) \
	((status) == 401 || (status) == 403 || (status) == 429)

struct crawl;

/* One URL being fetched; freed in crawl_done_cb, its only ending. */
struct crawl_job {
	struct crawl *crawl;
	char	*url;			/* as fetched */
	struct treg_extract *extract;	/* while a body streams */
	int	 extract_failed;
	struct treg_url_state prev;	/* what the store knew before */
	int	 has_prev;
};

struct crawl {
	const struct treg_config *cfg;
	struct treg_store *store;
	struct event_base *base;
	struct event *commit_ev;	/* end-of-turn batch commit */
	int64_t	 now;
	size_t	 running;
	struct treg_crawl_stats *stats;
	int	 store_failed;
};

static int
crawl_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct crawl_urls {
	char	**urls;
	size_t	 n;
	size_t	 cap;
};

/* Takes ownership of url (which may be NULL after a failed strdup). */
static int
crawl_urls_push(struct crawl_urls *set, char *url)
{
	char **grown;

	if (url == NULL)
		return -ENOMEM;
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 32;
		grown = realloc(set->urls, set->cap * sizeof(*grown));
		if (grown == NULL) {
			free(url);
			return -ENOMEM;
		}
		set->urls = grown;
	}
	set->urls[set->n++] = url;
	return 0;
}

static void
crawl_urls_cleanup(struct crawl_urls *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->urls[i]);
	free(set->urls);
	memset(set, 0, sizeof(*set));
}

/* Sorts the set and drops repeats, so each URL is fetched once. */
static void
crawl_urls_unique(struct crawl_urls *set)
{
	size_t i, kept = 0;

	if (set->n == 0)
		return;
	qsort(set->urls, set->n, sizeof(*set->urls), crawl_cmp_str);
	for (i = 0; i < set->n; i++) {
		if (kept > 0 && strcmp(set->urls[kept - 1], set->urls[i]) == 0)
			free(set->urls[i]);
		else
			set->urls[kept++] = set->urls[i];
	}
	set->n = kept;
}

/* The distinct URLs to fetch for the offerings, archives in raw form. */
static int
crawl_collect_urls(const struct treg_offering *const *offerings, size_t n,
    struct crawl_urls *set)
{
	const struct treg_cell *cell;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		for (j = 0; j < offerings[i]->ncells && rc == 0; j++) {
			cell = &offerings[i]->cells[j];
			if (cell->source != NULL)
				rc = crawl_urls_push(set, strdup(cell->source));
			if (rc == 0 && cell->archived != NULL)
				rc = crawl_urls_push(set,
				    treg_fetch_raw_archive_url(cell->archived));
		}
	}
	if (rc < 0) {
		crawl_urls_cleanup(set);
		return rc;
	}
	crawl_urls_unique(set);
	return 0;
}

static void
crawl_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct crawl *c = arg;

	if (treg_store_commit(c->store) < 0)
		c->store_failed = 1;
}

/* Commits after the callbacks of this turn of the loop have run. */
static void
crawl_schedule_commit(struct crawl *c)
{
	struct timeval zero = { 0, 0 };

	if (!evtimer_pending(c->commit_ev, NULL))
		evtimer_add(c->commit_ev, &zero);
}

static int
crawl_headers_cb(void *arg, const struct treg_fetch_result *res)
{
	struct crawl_job *job = arg;

	if (res->status < 200 || res->status > 299)
		return 1;

	job->extract = treg_extract_new(res->content_type,
	    job->crawl->cfg->max_text);
	if (job->extract == NULL)
		return -ENOMEM;
	return 0;
}

static int
crawl_body_cb(void *arg, const char *data, size_t len)
{
	struct crawl_job *job = arg;
	int rc;

	if (job->extract == NULL)
		return 0;
	rc = treg_extract_feed(job->extract, data, len);
	if (rc < 0)
		job->extract_failed = 1;
	return rc;
}

/* Carries the previous text over for a 304, from the latest observation
 * that had one. */
static void
crawl_carry_over(struct crawl *c, const char *url,
    struct treg_observation *obs)
{
	struct treg_observation *all = NULL;
	size_t n = 0, i;

	if (treg_store_list_observations(c->store, url, &all, &n) < 0)
		return;
	for (i = n; i-- > 0;) {
		if (all[i].digest[0] != '\0') {
			memcpy(obs->digest, all[i].digest, sizeof(obs->digest));
			obs->simhash = all[i].simhash;
			obs->words = all[i].words;
			obs->flags |= all[i].flags & TREG_OBS_UNVERIFIABLE;
			break;
		}
	}
	free(all);
}

/* Turns a finished body into the observation's text fields. */
static void
crawl_take_text(struct crawl_job *job, struct treg_observation *obs,
    struct treg_url_state *state)
{
	struct treg_extract_result res;
	const char *why;

	memset(&res, 0, sizeof(res));
	if (job->extract == NULL || job->extract_failed ||
	    treg_extract_finish(job->extract, &res) < 0) {
		obs->flags |= TREG_OBS_UNVERIFIABLE;
		free(state->detail);
		state->detail = strdup("text could not be extracted");
		goto out;
	}

	why = treg_extract_unverifiable_reason(&res);
	if (why != NULL) {
		obs->flags |= TREG_OBS_UNVERIFIABLE;
		free(state->detail);
		state->detail = strdup(why);
	}
	if (res.text_truncated)
		obs->flags |= TREG_OBS_TRUNCATED;
	memcpy(obs->digest, res.digest, sizeof(obs->digest));
	obs->simhash = res.simhash;
	obs->words = (uint32_t)res.words;
	if (res.text != NULL &&
	    treg_store_put_text(job->crawl->store, res.digest, res.text,
	    res.text_len) < 0)
		job->crawl->store_failed = 1;

out:
	treg_extract_result_cleanup(&res);
}

/* The redirect facts of a response: a permanent first hop is a move. */
static void
crawl_note_redirects(const struct treg_fetch_result *res,
    struct treg_observation *obs, struct treg_url_state *state)
{
	if (res->nhops == 0)
		return;
	if (res->hops[0].status == 301 || res->hops[0].status == 308)
		obs->flags |= TREG_OBS_MOVED;
	else
		obs->flags |= TREG_OBS_REDIRECTED;
	if (res->final_url != NULL)
		state->final_url = strdup(res->final_url);
}

static void
crawl_done_cb(void *arg, const struct treg_fetch_result *res)
{
	struct crawl_job *job = arg;
	struct crawl *c = job->crawl;
	struct treg_observation obs;
	struct treg_url_state state;
	int failed;

	memset(&obs, 0, sizeof(obs));
	memset(&state, 0, sizeof(state));
	obs.at = c->now;
	obs.status = (uint16_t)(res->status > 0 && res->status < 1000 ?
	    res->status : 0);
	obs.error = (uint8_t)res->error;

	failed = res->error != TREG_FETCH_OK || res->status >= 500 ||
	    res->status == 404 || res->status == 410;
	if (res->error != TREG_FETCH_OK && res->error_detail != NULL)
		state.detail = strdup(res->error_detail);

	if (res->error == TREG_FETCH_OK) {
		crawl_note_redirects(res, &obs, &state);
		if (res->status == 304) {
			obs.flags |= TREG_OBS_NOT_MODIFIED;
			crawl_carry_over(c, job->url, &obs);
		} else if (res->status >= 200 && res->status <= 299) {
			crawl_take_text(job, &obs, &state);
		} else if (CRAWL_IS_BLOCKED(res->status)) {
			obs.flags |= TREG_OBS_UNVERIFIABLE;
		}
	}

	/* Validators are kept only from a response that carried text, so a
	 * 304 always refers to text we hold. */
	if (res->status == 304 && job->has_prev) {
		state.etag = job->prev.etag ? strdup(job->prev.etag) : NULL;
		state.last_modified = job->prev.last_modified ?
		    strdup(job->prev.last_modified) : NULL;
	} else if (res->status >= 200 && res->status <= 299) {
		state.etag = res->etag ? strdup(res->etag) : NULL;
		state.last_modified = res->last_modified ?
		    strdup(res->last_modified) : NULL;
	}
	state.last_fetch = c->now;
	state.last_status = obs.status;
	state.last_error = obs.error;
	if (failed && res->error != TREG_FETCH_ABORTED) {
		state.failures = job->has_prev ? job->prev.failures + 1 : 1;
		state.first_failure = job->has_prev &&
		    job->prev.first_failure != 0 ?
		    job->prev.first_failure : c->now;
		c->stats->failed++;
	}

	log_debug("crawl", "url=%s status=%ld err=%s ms=%ld", job->url,
	    res->status, treg_fetch_error_name(res->error), res->ms);

	/* A transfer we abandoned (shutdown) says nothing about the URL. */
	if (res->error == TREG_FETCH_ABORTED)
		goto out;
	if (treg_store_put_url(c->store, job->url, &state) < 0 ||
	    treg_store_add_observation(c->store, job->url, &obs) < 0)
		c->store_failed = 1;
	crawl_schedule_commit(c);

out:
	treg_store_url_cleanup(&state);
	treg_extract_free(job->extract);
	if (job->has_prev)
		treg_store_url_cleanup(&job->prev);
	free(job->url);
	free(job);
	c->running--;
}

static const struct treg_fetch_ops crawl_fetch_ops = {
	.headers_cb = crawl_headers_cb,
	.body_cb = crawl_body_cb,
	.done_cb = crawl_done_cb,
};

static int
crawl_start(struct crawl *c, struct treg_fetch *fetch, const char *url)
{
	struct treg_fetch_request req;
	struct crawl_job *job;
	int rc;

	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return -ENOMEM;
	job->crawl = c;
	job->url = strdup(url);
	if (job->url == NULL) {
		free(job);
		return -ENOMEM;
	}
	job->has_prev = treg_store_get_url(c->store, url, &job->prev) == 0;

	memset(&req, 0, sizeof(req));
	req.url = url;
	if (job->has_prev) {
		req.etag = job->prev.etag;
		req.last_modified = job->prev.last_modified;
	}
	rc = treg_fetch_add(fetch, &req, &crawl_fetch_ops, job);
	if (rc < 0) {
		if (job->has_prev)
			treg_store_url_cleanup(&job->prev);
		free(job->url);
		free(job);
		return rc;
	}
	c->running++;
	return 0;
}

static long
crawl_ms_since(const struct timeval *start)
{
	struct timeval now;

	gettimeofday(&now, NULL);
	return (now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_usec - start->tv_usec) / 1000;
}

int
treg_crawl_run(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_offering *const *offerings, size_t n, time_t now,
    struct treg_crawl_stats *stats)
{
	struct crawl c;
	struct treg_fetch *fetch = NULL;
	struct crawl_urls set = { NULL, 0, 0 };
	struct timeval start;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(stats, 0, sizeof(*stats));
	gettimeofday(&start, NULL);
	c.cfg = cfg;
	c.store = st;
	c.now = now;
	c.stats = stats;

	rc = crawl_collect_urls(offerings, n, &set);
	if (rc < 0)
		goto out;

	rc = -ENOMEM;
	c.base = event_base_new();
	if (c.base == NULL)
		goto out;
	c.commit_ev = evtimer_new(c.base, crawl_commit_cb, &c);
	fetch = treg_fetch_new(c.base, cfg);
	if (c.commit_ev == NULL || fetch == NULL)
		goto out;

	for (i = 0; i < set.n; i++) {
		rc = crawl_start(&c, fetch, set.urls[i]);
		if (rc < 0) {
			log_err("crawl", "url=%s cannot start: err=%s",
			    set.urls[i], strerror(-rc));
			goto out;
		}
		stats->urls++;
	}

	while (c.running > 0)
		if (event_base_loop(c.base, EVLOOP_ONCE) < 0)
			break;
	rc = treg_store_commit(st);
	if (rc == 0 && c.store_failed)
		rc = -EIO;

out:
	treg_fetch_free(fetch);
	if (c.commit_ev != NULL)
		event_free(c.commit_ev);
	if (c.base != NULL)
		event_base_free(c.base);
	crawl_urls_cleanup(&set);
	stats->ms = crawl_ms_since(&start);
	return rc;
}

/* Picks, from url's history, the latest observation and the baseline: the
 * first observation with text at or after the verified date. */
static int
crawl_find_observations(struct treg_store *st, const char *url,
    int64_t verified_at, struct treg_observation *latest, int *has_latest,
    struct treg_observation *baseline, int *has_baseline)
{
	struct treg_observation *all = NULL;
	size_t n = 0, i;
	int rc;

	*has_latest = 0;
	*has_baseline = 0;
	rc = treg_store_list_observations(st, url, &all, &n);
	if (rc < 0)
		return rc;

	if (n > 0) {
		*latest = all[n - 1];
		*has_latest = 1;
	}
	for (i = 0; i < n; i++) {
		if (all[i].at >= verified_at && all[i].digest[0] != '\0' &&
		    !(all[i].flags & TREG_OBS_UNVERIFIABLE)) {
			*baseline = all[i];
			*has_baseline = 1;
			break;
		}
	}
	free(all);
	return 0;
}

/* Looks for each of the cell's quotations in the evidence's latest text. */
static int
crawl_check_quotes(struct treg_store *st, const struct treg_cell *cell,
    struct treg_evidence *ev)
{
	char *text = NULL;
	size_t len = 0, i;
	int found, have_text;

	ev->nquotes = cell->nquotes;
	if (cell->nquotes == 0)
		return 0;
	ev->quotes = calloc(cell->nquotes, sizeof(*ev->quotes));
	if (ev->quotes == NULL)
		return -ENOMEM;

	have_text = ev->digest[0] != '\0' && !ev->unverifiable &&
	    treg_store_get_text(st, ev->digest, &text, &len) == 0;
	for (i = 0; i < cell->nquotes; i++) {
		ev->quotes[i] = TREG_QUOTE_UNCHECKED;
		if (!have_text)
			continue;
		found = treg_normalize_find_quote(text, len, cell->quotes[i]);
		if (found >= 0)
			ev->quotes[i] = found ? TREG_QUOTE_FOUND :
			    TREG_QUOTE_MISSING;
	}
	free(text);
	return 0;
}

static int
crawl_fill_evidence(struct treg_store *st, const struct treg_cell *cell,
    const char *cited, enum treg_role role, struct treg_evidence *ev)
{
	struct treg_observation latest, base;
	struct treg_url_state state;
	int has_latest, has_base, rc;

	memset(&state, 0, sizeof(state));
	ev->role = role;
	ev->url = strdup(cited);
	ev->fetch_url = role == TREG_ROLE_ARCHIVE ?
	    treg_fetch_raw_archive_url(cited) : strdup(cited);
	if (ev->url == NULL || ev->fetch_url == NULL)
		return -ENOMEM;

	rc = crawl_find_observations(st, ev->fetch_url, cell->verified_at,
	    &latest, &has_latest, &base, &has_base);
	if (rc < 0)
		return rc;
	if (has_latest) {
		ev->fetched = 1;
		ev->at = latest.at;
		ev->status = latest.status;
		if (latest.error != TREG_FETCH_OK) {
			ev->error = strdup(treg_fetch_error_name(
			    (enum treg_fetch_error)latest.error));
			if (ev->error == NULL)
				return -ENOMEM;
		}
		ev->moved = (latest.flags & TREG_OBS_MOVED) != 0;
		ev->unverifiable = (latest.flags & TREG_OBS_UNVERIFIABLE) != 0;
		memcpy(ev->digest, latest.digest, sizeof(ev->digest));
		ev->simhash = latest.simhash;
		ev->words = latest.words;
	}
	if (has_base) {
		ev->has_baseline = 1;
		ev->baseline_at = base.at;
		memcpy(ev->baseline_digest, base.digest,
		    sizeof(ev->baseline_digest));
		ev->baseline_simhash = base.simhash;
		ev->baseline_words = base.words;
	}

	if (treg_store_get_url(st, ev->fetch_url, &state) == 0) {
		ev->failures = state.failures;
		ev->detail = state.detail;
		ev->final_url = state.final_url;
		state.detail = NULL;
		state.final_url = NULL;
		treg_store_url_cleanup(&state);
	}
	return crawl_check_quotes(st, cell, ev);
}

static int
crawl_judge_cell(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_offering *off, const struct treg_cell *cell,
    time_t now, struct treg_verdict *v)
{
	struct treg_policy policy = { cfg->review_after_days };
	char *key = NULL, *json = NULL;
	size_t i;
	int rc = -ENOMEM;

	v->offering = strdup(off->id);
	v->cell = strdup(cell->key);
	v->verified = strdup(cell->verified);
	v->quotes = calloc(cell->nquotes + 1, sizeof(*v->quotes));
	v->ev = calloc(2, sizeof(*v->ev));
	if (v->offering == NULL || v->cell == NULL || v->verified == NULL ||
	    v->quotes == NULL || v->ev == NULL)
		goto out;
	for (i = 0; i < cell->nquotes; i++) {
		v->quotes[i] = strdup(cell->quotes[i]);
		if (v->quotes[i] == NULL)
			goto out;
		v->nquotes++;
	}

	if (cell->source != NULL) {
		rc = crawl_fill_evidence(st, cell, cell->source,
		    TREG_ROLE_SOURCE, &v->ev[v->nev++]);
		if (rc < 0)
			goto out;
	}
	if (cell->archived != NULL) {
		rc = crawl_fill_evidence(st, cell, cell->archived,
		    TREG_ROLE_ARCHIVE, &v->ev[v->nev++]);
		if (rc < 0)
			goto out;
	}

	rc = treg_verdict_judge(v, cell->verified_at, now, &policy);
	if (rc < 0)
		goto out;

	rc = -ENOMEM;
	if (asprintf(&key, "%s/%s", off->id, cell->key) < 0) {
		key = NULL;
		goto out;
	}
	rc = treg_report_verdict_to_json(v, &json);
	if (rc == 0)
		rc = treg_store_put_cell(st, key, json, strlen(json));

out:
	free(key);
	free(json);
	return rc;
}

int
treg_crawl_judge(const struct treg_config *cfg, struct treg_store *st,
    const struct treg_offering *const *offerings, size_t n, time_t now,
    struct treg_verdict **vp, size_t *nvp)
{
	struct treg_verdict *v = NULL;
	size_t total = 0, count = 0, i, j;
	int rc = -ENOMEM;

	for (i = 0; i < n; i++)
		total += offerings[i]->ncells;
	v = calloc(total + 1, sizeof(*v));
	if (v == NULL)
		goto out;

	for (i = 0; i < n; i++) {
		for (j = 0; j < offerings[i]->ncells; j++) {
			rc = crawl_judge_cell(cfg, st, offerings[i],
			    &offerings[i]->cells[j], now, &v[count]);
			count++;
			if (rc < 0)
				goto out;
		}
	}
	rc = treg_store_commit(st);

out:
	if (rc < 0) {
		log_err("crawl", "judging failed: err=%s", strerror(-rc));
		treg_store_abort(st);
		treg_crawl_verdicts_free(v, count);
		return rc;
	}
	*vp = v;
	*nvp = count;
	return 0;
}

void
treg_crawl_verdicts_free(struct treg_verdict *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		treg_verdict_cleanup(&v[i]);
	free(v);
}
