/* SPDX-License-Identifier: MIT */
/*
 * An arena: small allocations carved out of large blocks and freed all at
 * once.  The registry's strings and the crawl's URL set live in one each,
 * where a malloc apiece cost hundreds of thousands of calls and headers
 * for a large registry.  Also the string hash their sets use.
 */
#ifndef TREG_ARENA_H
#define TREG_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct treg_arena_block;

/* Zeroed, an empty arena. */
struct treg_arena {
	struct treg_arena_block *blocks;	/* the one filled first */
};

/* len bytes aligned to align (a power of two, at most that of max_align_t;
 * 1 for strings), or NULL when out of memory.  They stay until
 * treg_arena_free(). */
void	*treg_arena_alloc(struct treg_arena *a, size_t len, size_t align);

/* A copy of s in the arena, or NULL when out of memory. */
char	*treg_arena_strdup(struct treg_arena *a, const char *s);

/* Frees every block and leaves the arena empty. */
void	 treg_arena_free(struct treg_arena *a);

/* FNV-1a of s: the sets over arena strings hash short keys written by
 * people (URLs, ids, cell values), where it spreads well enough. */
size_t	 treg_hash_str(const char *s);

/* FNV-1a, 64 bits, of len bytes, going on from h (TREG_HASH64_INIT to
 * start): spreads keys that differ in a byte or two, never a digest. */
#define TREG_HASH64_INIT	0xcbf29ce484222325ULL
uint64_t treg_hash64(uint64_t h, const void *data, size_t len);

#endif
