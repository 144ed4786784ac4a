/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure injection for tests: after failalloc_arm(n) the n-th
 * allocation made from then on returns NULL (with errno ENOMEM).  Linked
 * only into test binaries built with -Wl,--wrap for the allocators (see
 * Makefile.am), plus jansson's and libxml2's allocator hooks, which
 * failalloc_init() routes through the same counter.
 */
#ifndef TREG_FAILALLOC_H
#define TREG_FAILALLOC_H

#include <stddef.h>

/* Routes jansson and libxml2 through the counter.  Call before either
 * library allocates anything. */
void	failalloc_init(void);

/* Starts counting from zero; the n-th allocation after this fails (n = 0:
 * none fails). */
void	failalloc_arm(unsigned long n);

/* Allocations seen since the last failalloc_arm(). */
unsigned long failalloc_count(void);

/* Whether the armed failure has happened. */
int	failalloc_fired(void);

/* Whether jansson's allocations may fail (they may after init); when
 * they may not, they are still counted. */
void	failalloc_jansson(int may_fail);

#endif
