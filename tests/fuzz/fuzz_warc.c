/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the WARC readers.  The input goes into a memory file
 * read back through /proc by both treg_warc_read() and the libarchive
 * based treg_warc_read_archive(); each record's block is also split
 * into HTTP head and body, as --show does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "warc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the byte sums go, so the reads are not optimised away. */
static volatile size_t fuzz_warc_sink;

/* Touches every byte handed out, so a short buffer shows as a read
 * overflow here rather than going unnoticed. */
static int
fuzz_warc_record_cb(void *arg, const char *uri, const char *block,
    size_t len)
{
	size_t *sum = arg, blen = 0, i;
	const char *body;

	if (uri != NULL)
		*sum += strlen(uri);
	for (i = 0; i < len; i++)
		*sum += (unsigned char)block[i];
	body = treg_warc_http_body(block, len, &blen);
	if (body != NULL && blen > 0)
		*sum += (unsigned char)body[blen - 1];
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	size_t sum = 0, n = 0;
	int fd;

	treg_log_set_level(TREG_LOG_ERR);
	fd = memfd_create("fuzz-warc", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	(void)treg_warc_read(path, fuzz_warc_record_cb, &sum, &n);
	(void)treg_warc_read_archive(path, fuzz_warc_record_cb, &sum, &n);
out:
	close(fd);
	fuzz_warc_sink = sum + n;
	return 0;
}
