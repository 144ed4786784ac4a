/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: registry bundles.  The bundle reader opens a path,
 * so the input goes into a memory file read back through /proc; every
 * input must give a registry or a message, never a crash or a leak.
 * Member names, sizes and types all come from the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bundle.h"
#include "log.h"
#include "registry.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_registry *reg = NULL;
	char path[64], *err = NULL;
	int fd;

	treg_log_set_level(TREG_LOG_ERR);
	fd = memfd_create("fuzz-bundle", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	if (treg_bundle_load(path, &reg, &err) == 0)
		treg_registry_free(reg);
	free(err);
out:
	close(fd);
	return 0;
}
