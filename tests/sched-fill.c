/* SPDX-License-Identifier: MIT */
/*
 * A helper of the daemon benchmark (tests/bench/daemon-bench.sh): puts
 * every evidence URL of a registry into a store's schedule, spread from
 * an hour to SECONDS from now, as a daemon leaves them mid-interval.
 * Usage: sched-fill STATE_DIR REGISTRY SECONDS (more than an hour).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crawl.h"
#include "registry.h"
#include "store.h"

int
main(int argc, char **argv)
{
	const struct treg_offering **offers = NULL;
	struct treg_registry *reg = NULL;
	struct treg_store *st = NULL;
	char **urls = NULL, *err = NULL;
	size_t i, n = 0;
	long secs;
	int rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: sched-fill STATE_DIR REGISTRY "
		    "SECONDS\n");
		return 2;
	}
	secs = strtol(argv[3], NULL, 10);
	if (treg_registry_load(argv[2], &reg, &err) < 0) {
		fprintf(stderr, "sched-fill: %s\n", err);
		goto out;
	}
	offers = calloc(reg->noffer + 1, sizeof(*offers));
	st = treg_store_open(argv[1]);
	if (offers == NULL || st == NULL)
		goto out;
	for (i = 0; i < reg->noffer; i++)
		offers[i] = &reg->offerings[i];
	if (treg_crawl_list_urls(offers, reg->noffer, &urls, &n) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (treg_store_sched_set(st, urls[i], (int64_t)time(NULL) +
		    3600 + (int64_t)(i * (size_t)(secs - 3600) / n)) < 0)
			goto out;
	if (treg_store_commit(st) == 0)
		rc = 0;
	printf("%zu URLs scheduled\n", n);
out:
	treg_crawl_urls_free(urls, n);
	treg_store_close(st);
	free(offers);
	treg_registry_free(reg);
	free(err);
	return rc;
}
