/* SPDX-License-Identifier: MIT */
/*
 * Inspection without crawling: the history of one cell (its stored
 * verdict, its baseline, every observation of its evidence URLs with the
 * digest of the cell's region in each, and the current diff) or of one
 * URL.  Reads the store only, through short read transactions, so it
 * runs while the daemon writes.
 */
#ifndef TREG_SHOW_H
#define TREG_SHOW_H

#include <stdio.h>

struct treg_store;

/*
 * Prints the history of the cell "OFFERING/CELL" to out; context is the
 * region setting.  Returns 0, -ENOENT when the store has no such cell,
 * or another negative errno.
 */
int	treg_show_cell(FILE *out, struct treg_store *st, const char *key,
	    unsigned context);

/* Prints the observations of url to out.  Returns 0, -ENOENT when the
 * store has none, or another negative errno. */
int	treg_show_url(FILE *out, struct treg_store *st, const char *url);

#endif
