/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: HTML text extraction, streamed.  The first two bytes
 * of the input seed the chunk sizes, so the fuzzer explores the parser's
 * behaviour at every chunk boundary a network read could produce, and the
 * third picks the content type.
 */
#include <stddef.h>
#include <stdint.h>

#include "extract.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_types[] = {
	"text/html", "text/plain", NULL, "application/xhtml+xml",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_extract_result res = { 0 };
	struct treg_extract *ex;
	unsigned seed;
	const char *type;
	size_t off, n;

	if (size < 3)
		return 0;
	treg_log_set_level(TREG_LOG_ERR);
	seed = (unsigned)data[0] << 8 | data[1];
	type = fuzz_types[data[2] % 4];
	data += 3;
	size -= 3;

	ex = treg_extract_new(type, 4096);
	if (ex == NULL)
		return 0;
	for (off = 0; off < size; off += n) {
		/* A small linear congruential step is enough to vary the
		 * chunk sizes between 1 and 64 bytes deterministically. */
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 64;
		if (n > size - off)
			n = size - off;
		if (treg_extract_feed(ex, (const char *)data + off, n) != 0)
			goto out;
	}
	if (treg_extract_finish(ex, &res) == 0) {
		(void)treg_extract_unverifiable_reason(&res);
		treg_extract_result_cleanup(&res);
	}
out:
	treg_extract_free(ex);
	return 0;
}
