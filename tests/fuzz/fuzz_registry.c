/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: registry JSON loading and the quotation scanner that
 * reads a cell's notes.  Both take text a contributor wrote by hand, so
 * any byte sequence must give a registry or an error message, never a
 * crash or a leak.  The same bytes are also indexed from a file, which
 * must agree with the load: same result, same message, same offerings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "registry.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_quotes(const uint8_t *data, size_t size)
{
	char **quotes = NULL;
	size_t nquotes = 0, i;
	char *notes;

	notes = strndup((const char *)data, size);
	if (notes == NULL)
		return;
	if (treg_registry_quotes_from_notes(notes, &quotes, &nquotes) == 0) {
		for (i = 0; i < nquotes; i++)
			free(quotes[i]);
		free(quotes);
	}
	free(notes);
}

/* Indexes the bytes from a file named path and checks the index against
 * the load of the same bytes (rc, err, reg). */
static void
fuzz_index(const char *path, int rc, const char *err,
    const struct treg_registry *reg)
{
	struct treg_registry *index = NULL, *one = NULL;
	char *index_err = NULL, *one_err = NULL;
	size_t i;

	if (treg_registry_index(path, &index, &index_err) != rc)
		abort();
	if (rc < 0 && (index_err == NULL || strcmp(index_err, err) != 0))
		abort();
	for (i = 0; rc == 0 && i < index->noffer; i++) {
		if (strcmp(index->offerings[i].id, reg->offerings[i].id) != 0 ||
		    treg_registry_read_offering(index, &index->offerings[i],
		    &one, &one_err) != 0 ||
		    one->offerings[0].ncells != reg->offerings[i].ncells)
			abort();
		treg_registry_free(one);
	}
	treg_registry_free(index);
	free(index_err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_registry *reg = NULL;
	char *err = NULL, path[64];
	int fd, rc;

	treg_log_set_level(TREG_LOG_ERR);
	fd = memfd_create("fuzz-registry", MFD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = treg_registry_load_buffer(path, (const char *)data, size, &reg,
	    &err);
	if (rc == 0 && reg->noffer > 0)
		(void)treg_registry_find(reg, reg->offerings[0].id);
	/* A failed memfd or write only skips the comparison. */
	if (fd >= 0 && write(fd, data, size) == (ssize_t)size)
		fuzz_index(path, rc, err, reg);
	if (fd >= 0)
		close(fd);
	treg_registry_free(reg);
	free(err);

	fuzz_quotes(data, size);
	return 0;
}
