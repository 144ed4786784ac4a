/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: robots.txt parsing and matching.  The input's first
 * line is a path to test against the rules parsed from the rest, so the
 * fuzzer reaches the wildcard and "$" matcher as well as the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "robots.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_robots *r;
	const uint8_t *nl;
	char *path;
	size_t plen;

	treg_log_set_level(TREG_LOG_ERR);
	nl = memchr(data, '\n', size < 512 ? size : 512);
	plen = nl != NULL ? (size_t)(nl - data) : 0;
	path = strndup((const char *)data, plen);
	if (path == NULL)
		return 0;
	if (nl != NULL) {
		data += plen + 1;
		size -= plen + 1;
	}

	r = treg_robots_parse((const char *)data, size, "trustreg-crawl");
	if (r != NULL) {
		(void)treg_robots_allowed(r, path[0] == '/' ? path : "/");
		(void)treg_robots_allowed(r, path);
		(void)treg_robots_crawl_delay_ms(r);
		(void)treg_robots_nrules(r);
	}
	treg_robots_free(r);
	free(path);
	return 0;
}
