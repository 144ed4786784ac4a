/* SPDX-License-Identifier: MIT */
/*
 * Worker threads fed from the event loop.  Two lists under one mutex are
 * all the threads share: jobs waiting for a worker, and jobs done waiting
 * for the loop.  A worker that puts the first job on an empty done list
 * writes to an eventfd the loop watches; the loop then takes the whole
 * list at once and runs each job's done callback.  Nothing else of the
 * pool is touched off the loop's thread.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <event2/event.h>

#include "log.h"
#include "pool.h"

struct pool_list {
	struct treg_pool_job *head;
	struct treg_pool_job **tail;
};

struct treg_pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;	/* work queued, or stopping */
	struct pool_list todo;		/* under lock */
	struct pool_list done;		/* under lock */
	int		 stopping;	/* under lock */

	/* The loop's thread only. */
	pthread_t	*threads;
	unsigned	 nthreads;	/* started */
	size_t		 njobs;	/* submitted, not yet done */
	size_t		 max_jobs;
	int		 efd;
	struct event	*ev;
};

static void
pool_list_init(struct pool_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static void
pool_list_push(struct pool_list *l, struct treg_pool_job *job)
{
	job->next = NULL;
	*l->tail = job;
	l->tail = &job->next;
}

/* Empties l and returns what it held, in order. */
static struct treg_pool_job *
pool_list_take(struct pool_list *l)
{
	struct treg_pool_job *all = l->head;

	pool_list_init(l);
	return all;
}

static struct treg_pool_job *
pool_list_pop(struct pool_list *l)
{
	struct treg_pool_job *job = l->head;

	l->head = job->next;
	if (l->head == NULL)
		l->tail = &l->head;
	return job;
}

/* Tells the loop that the done list has something. */
static void
pool_notify(struct treg_pool *p)
{
	uint64_t one = 1;

	/* Cannot fail short of a counter at its maximum, which a read
	 * empties; the loop is already due to wake then. */
	(void)!write(p->efd, &one, sizeof(one));
}

static void *
pool_worker(void *arg)
{
	struct treg_pool *p = arg;
	struct treg_pool_job *job;

	/* Named for top -H and perf. */
	(void)pthread_setname_np(pthread_self(), "treg-worker");
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->todo.head == NULL && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->stopping)
			break;
		job = pool_list_pop(&p->todo);
		pthread_mutex_unlock(&p->lock);

		job->work(job);

		pthread_mutex_lock(&p->lock);
		/* The loop takes the list whole, so only the first job
		 * after a take needs to wake it. */
		if (p->done.head == NULL)
			pool_notify(p);
		pool_list_push(&p->done, job);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Runs the done callbacks of a list taken from the pool. */
static void
pool_deliver(struct treg_pool *p, struct treg_pool_job *job, int ran)
{
	struct treg_pool_job *next;

	for (; job != NULL; job = next) {
		next = job->next;
		p->njobs--;
		job->done(job, ran);
	}
}

static void
pool_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct treg_pool *p = arg;
	struct treg_pool_job *all;
	uint64_t n;

	/* Read first: a job posted after the take below wakes us again. */
	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&p->lock);
	all = pool_list_take(&p->done);
	pthread_mutex_unlock(&p->lock);
	pool_deliver(p, all, 1);
}

struct treg_pool *
treg_pool_new(struct event_base *base, unsigned nthreads, size_t max_jobs)
{
	struct treg_pool *p;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		log_err("pool", "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	pool_list_init(&p->todo);
	pool_list_init(&p->done);
	p->max_jobs = max_jobs > 0 ? max_jobs : 1;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		log_err("pool", "eventfd failed: err=%s", strerror(errno));
		goto fail;
	}
	p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, pool_done_cb,
	    p);
	p->threads = calloc(nthreads > 0 ? nthreads : 1,
	    sizeof(*p->threads));
	if (p->ev == NULL || p->threads == NULL ||
	    event_add(p->ev, NULL) < 0) {
		log_err("pool", "out of memory");
		goto fail;
	}
	/* glibc gives threads arenas of their own, up to eight a core,
	 * and an arena keeps what its threads freed: one for the loop's
	 * thread and one for each worker, no more.  One fewer, so that
	 * two threads share one, saved 1.5 MiB of the benchmark's peak
	 * but made every third allocation wait on a lock: 180 futex
	 * calls a page and a sixth more time.  The setting is the
	 * process's: libcurl's resolver threads, short-lived, share these
	 * arenas with the pool's. */
	(void)mallopt(M_ARENA_MAX, (int)(nthreads > 0 ? nthreads : 1) + 1);
	do {
		rc = pthread_create(&p->threads[p->nthreads], NULL,
		    pool_worker, p);
		if (rc != 0) {
			log_err("pool", "pthread_create failed: err=%s",
			    strerror(rc));
			goto fail;
		}
		p->nthreads++;
	} while (p->nthreads < nthreads);
	return p;

fail:
	treg_pool_free(p);
	return NULL;
}

int
treg_pool_submit(struct treg_pool *p, struct treg_pool_job *job)
{
	if (p->njobs >= p->max_jobs)
		return -EBUSY;
	p->njobs++;
	pthread_mutex_lock(&p->lock);
	pool_list_push(&p->todo, job);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

size_t
treg_pool_jobs(const struct treg_pool *p)
{
	return p->njobs;
}

void
treg_pool_free(struct treg_pool *p)
{
	struct treg_pool_job *done, *todo;
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);

	/* No worker is left: the lists are ours. */
	done = pool_list_take(&p->done);
	todo = pool_list_take(&p->todo);
	pool_deliver(p, done, 1);
	pool_deliver(p, todo, 0);

	if (p->ev != NULL)
		event_free(p->ev);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
	/* Each worker had its own malloc arena, which keeps what it freed
	 * after the thread is gone: without this, a one-shot run judged
	 * with the crawl's peak still resident. */
	malloc_trim(0);
}
