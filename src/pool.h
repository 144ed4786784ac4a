/* SPDX-License-Identifier: MIT */
/*
 * A few worker threads for CPU-bound jobs that share nothing with the
 * rest of the program (text extraction).  Jobs are queued from the thread
 * that runs the event loop and come back to it: each job's done callback
 * runs there, in a later turn of the loop, never on a worker.  While a
 * worker holds a job, the job belongs to that worker alone.
 */
#ifndef TREG_POOL_H
#define TREG_POOL_H

#include <stddef.h>

struct event_base;

/*
 * One job, embedded by the caller in its own structure and owned by it;
 * the pool holds it from treg_pool_submit() until its done callback.
 * work runs on a worker thread and may touch nothing but what the job
 * owns.  done runs on the loop's thread with ran set, or with ran 0
 * when treg_pool_free() dropped the job before a worker took it.
 */
struct treg_pool_job {
	void	(*work)(struct treg_pool_job *job);
	void	(*done)(struct treg_pool_job *job, int ran);
	struct treg_pool_job *next;	/* the pool's */
};

struct treg_pool;

/*
 * Starts nthreads workers (at least 1) whose finished jobs come back
 * through base, and lets at most max_jobs jobs be in the pool at once.
 * Returns NULL (logged) when the threads or the event cannot be made.
 */
struct treg_pool *treg_pool_new(struct event_base *base, unsigned nthreads,
	    size_t max_jobs);

/* Queues job (its work and done set).  Returns 0, or -EBUSY when max_jobs
 * jobs are already in the pool: the caller then does the work itself. */
int	treg_pool_submit(struct treg_pool *p, struct treg_pool_job *job);

/* Jobs submitted whose done callback has not run yet. */
size_t	treg_pool_jobs(const struct treg_pool *p);

/*
 * Stops the workers (each finishes the job it holds), then calls the
 * done callback of every job still in the pool, on the calling thread:
 * ran 1 for the finished ones, 0 for those no worker took.  Frees p;
 * NULL does nothing.  A done callback must not free the pool.
 */
void	treg_pool_free(struct treg_pool *p);

#endif
