/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: configuration parsing.  The loader reads a path, so
 * the input goes into a memory file and the loader opens it through
 * /proc; every input must give a configuration or a FILE:LINE error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_config *cfg = NULL;
	char path[64], *err = NULL;
	int fd;

	treg_log_set_level(TREG_LOG_ERR);
	fd = memfd_create("fuzz-config", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	if (treg_config_load(path, &cfg, &err) == 0)
		treg_config_free(cfg);
	free(err);
out:
	close(fd);
	return 0;
}
