/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the URL and address checks the fetcher does itself.
 * The first byte chooses the check: the archive URL rewriter on the rest
 * as a string, or the address filter on an IPv4 or IPv6 address taken
 * from the rest, with and without an allow_address list.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "fetch.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_archive_url(const uint8_t *data, size_t size)
{
	char *url, *raw;

	url = strndup((const char *)data, size);
	if (url == NULL)
		return;
	raw = treg_fetch_raw_archive_url(url);
	free(raw);
	free(url);
}

static void
fuzz_address(const struct treg_config *cfg, const uint8_t *data,
    size_t size)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	if (size >= 16) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, data, 16);
		(void)treg_fetch_address_allowed(cfg,
		    (const struct sockaddr *)&sin6);
	}
	if (size >= 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, data, 4);
		(void)treg_fetch_address_allowed(cfg,
		    (const struct sockaddr *)&sin);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct treg_config *plain, *allowing;

	treg_log_set_level(TREG_LOG_ERR);
	if (plain == NULL) {
		/* Both stay for the life of the process; the fuzzer never
		 * returns to free them. */
		plain = treg_config_new_default();
		allowing = treg_config_new_default();
		if (plain == NULL || allowing == NULL)
			abort();
		allowing->allow_address[0] = strdup("127.0.0.1");
		allowing->allow_address[1] = strdup("::1");
		allowing->allow_address[2] = strdup("10.0.0.0");
		allowing->nallow_address = 3;
	}
	if (size < 1)
		return 0;

	if (data[0] & 1)
		fuzz_archive_url(data + 1, size - 1);
	else
		fuzz_address(data[0] & 2 ? allowing : plain, data + 1,
		    size - 1);
	return 0;
}
