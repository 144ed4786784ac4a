/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: registry JSON loading and the quotation scanner that
 * reads a cell's notes.  Both take text a contributor wrote by hand, so
 * any byte sequence must give a registry or an error message, never a
 * crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct treg_registry *reg = NULL;
	char *err = NULL;

	treg_log_set_level(TREG_LOG_ERR);
	if (treg_registry_load_buffer("fuzz", (const char *)data, size, &reg,
	    &err) == 0 && reg->noffer > 0)
		(void)treg_registry_find(reg, reg->offerings[0].id);
	treg_registry_free(reg);
	free(err);

	fuzz_quotes(data, size);
	return 0;
}
