/* SPDX-License-Identifier: MIT */
/*
 * Tests of the worker pool: every job's work runs off the loop's thread
 * and its done callback on it, a full pool refuses more, and freeing the
 * pool hands back the jobs no worker took.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "pool.h"

/* Holds work back until the test opens it. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t	opened;
	int		open;
};

static void
gate_init(struct gate *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->opened, NULL);
	g->open = 0;
}

static void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = 1;
	pthread_cond_broadcast(&g->opened);
	pthread_mutex_unlock(&g->lock);
}

static void
gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->open)
		pthread_cond_wait(&g->opened, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void
gate_cleanup(struct gate *g)
{
	pthread_cond_destroy(&g->opened);
	pthread_mutex_destroy(&g->lock);
}

struct job {
	struct treg_pool_job pj;	/* first: a pool job is a job */
	unsigned long input;
	unsigned long sum;		/* of 1..input, computed by work */
	pthread_t worker;		/* who ran work */
	int	 ran;			/* -1 until done runs */
	size_t	*pending;		/* done callbacks to come */
	struct event_base *base;
	struct gate *gate;		/* work waits for it, or NULL */
	int	 started;		/* work has begun (atomic) */
};

static void
job_work(struct treg_pool_job *pj)
{
	struct job *j = (struct job *)pj;
	unsigned long i;

	__atomic_store_n(&j->started, 1, __ATOMIC_SEQ_CST);
	if (j->gate != NULL)
		gate_pass(j->gate);
	j->worker = pthread_self();
	for (i = 1; i <= j->input; i++)
		j->sum += i;
}

static void
job_done(struct treg_pool_job *pj, int ran)
{
	struct job *j = (struct job *)pj;

	j->ran = ran;
	if (--*j->pending == 0)
		event_base_loopbreak(j->base);
}

static void
job_init(struct job *j, unsigned long input, size_t *pending,
    struct event_base *base)
{
	memset(j, 0, sizeof(*j));
	j->pj.work = job_work;
	j->pj.done = job_done;
	j->input = input;
	j->ran = -1;
	j->pending = pending;
	j->base = base;
}

static void
test_pool_runs_every_job_off_the_loop(void **state)
{
	struct event_base *base = event_base_new();
	struct treg_pool *p;
	struct job jobs[32];
	size_t i, pending = 32;

	assert_non_null(base);
	p = treg_pool_new(base, 2, 32);
	assert_non_null(p);
	for (i = 0; i < 32; i++) {
		job_init(&jobs[i], 1000 + i, &pending, base);
		assert_int_equal(treg_pool_submit(p, &jobs[i].pj), 0);
	}

	assert_int_equal(event_base_dispatch(base), 0);

	assert_int_equal(pending, 0);
	assert_int_equal(treg_pool_jobs(p), 0);
	for (i = 0; i < 32; i++) {
		assert_int_equal(jobs[i].ran, 1);
		assert_int_equal(jobs[i].sum,
		    (1000 + i) * (1001 + i) / 2);
		assert_false(pthread_equal(jobs[i].worker, pthread_self()));
	}
	treg_pool_free(p);
	event_base_free(base);
}

static void
test_pool_full_refuses(void **state)
{
	struct event_base *base = event_base_new();
	struct gate gate;
	struct treg_pool *p;
	struct job jobs[3];
	size_t i, pending = 2;

	assert_non_null(base);
	p = treg_pool_new(base, 1, 2);
	assert_non_null(p);
	gate_init(&gate);
	for (i = 0; i < 3; i++) {
		job_init(&jobs[i], 10, &pending, base);
		jobs[i].gate = &gate;
	}

	assert_int_equal(treg_pool_submit(p, &jobs[0].pj), 0);
	assert_int_equal(treg_pool_submit(p, &jobs[1].pj), 0);
	assert_int_equal(treg_pool_submit(p, &jobs[2].pj), -EBUSY);

	assert_int_equal(treg_pool_jobs(p), 2);
	gate_open(&gate);
	assert_int_equal(event_base_dispatch(base), 0);
	assert_int_equal(jobs[0].ran, 1);
	assert_int_equal(jobs[1].ran, 1);
	assert_int_equal(jobs[2].ran, -1);
	assert_int_equal(treg_pool_jobs(p), 0);
	treg_pool_free(p);
	gate_cleanup(&gate);
	event_base_free(base);
}

static void *
open_gate_later(void *arg)
{
	usleep(100 * 1000);
	gate_open(arg);
	return NULL;
}

static void
test_pool_free_hands_back_queued_jobs(void **state)
{
	struct event_base *base = event_base_new();
	struct gate gate;
	struct treg_pool *p;
	struct job jobs[4];
	pthread_t opener;
	size_t i, pending = 4;

	assert_non_null(base);
	p = treg_pool_new(base, 1, 4);
	assert_non_null(p);
	gate_init(&gate);
	for (i = 0; i < 4; i++) {
		job_init(&jobs[i], 10, &pending, base);
		jobs[i].gate = &gate;
		assert_int_equal(treg_pool_submit(p, &jobs[i].pj), 0);
	}
	/* The one worker holds the first job, stopped at the gate, which
	 * opens only once the pool is being freed. */
	while (!__atomic_load_n(&jobs[0].started, __ATOMIC_SEQ_CST))
		usleep(1000);
	assert_int_equal(pthread_create(&opener, NULL, open_gate_later,
	    &gate), 0);

	treg_pool_free(p);

	/* Every job came back once, on this thread: the one a worker held
	 * finished, the others dropped unrun. */
	assert_int_equal(pthread_join(opener, NULL), 0);
	assert_int_equal(pending, 0);
	assert_int_equal(jobs[0].ran, 1);
	assert_int_equal(jobs[0].sum, 55);
	for (i = 1; i < 4; i++) {
		assert_int_equal(jobs[i].ran, 0);
		assert_int_equal(jobs[i].sum, 0);
	}
	gate_cleanup(&gate);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_runs_every_job_off_the_loop),
		cmocka_unit_test(test_pool_full_refuses),
		cmocka_unit_test(test_pool_free_hands_back_queued_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
