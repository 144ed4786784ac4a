/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: charset detection and decoding.  The input's first
 * line is the Content-Type header value and the rest the body, so the
 * fuzzer drives the header charset, the BOM, <meta charset> and the
 * sniffing fallback against each other.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_extract_result res = { 0 };
	const uint8_t *nl;
	char *type;
	size_t tlen;

	treg_log_set_level(TREG_LOG_ERR);
	nl = memchr(data, '\n', size < 256 ? size : 256);
	if (nl == NULL)
		return 0;
	tlen = (size_t)(nl - data);
	type = strndup((const char *)data, tlen);
	if (type == NULL)
		return 0;

	if (treg_extract_buffer(type, (const char *)nl + 1, size - tlen - 1,
	    4096, &res) == 0)
		treg_extract_result_cleanup(&res);
	free(type);
	return 0;
}
