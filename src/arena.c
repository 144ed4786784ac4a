/* SPDX-License-Identifier: MIT */
/*
 * Arena blocks of ARENA_BLOCK bytes, the newest first.  A request larger
 * than a quarter block gets a block of its own, put behind the one being
 * filled so that block's free space still serves what follows.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_BLOCK	(64UL * 1024)

struct treg_arena_block {
	struct treg_arena_block *next;
	size_t	 used;
	size_t	 size;		/* bytes in data */
	alignas(max_align_t) unsigned char data[];
};

void *
treg_arena_alloc(struct treg_arena *a, size_t len, size_t align)
{
	struct treg_arena_block *b = a->blocks;
	size_t at, size;

	if (b != NULL) {
		at = (b->used + align - 1) & ~(align - 1);
		if (at <= b->size && len <= b->size - at) {
			b->used = at + len;
			return b->data + at;
		}
	}

	size = len > ARENA_BLOCK / 4 ? len : ARENA_BLOCK;
	b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->used = len;
	b->size = size;
	if (size == len && a->blocks != NULL) {
		b->next = a->blocks->next;
		a->blocks->next = b;
	} else {
		b->next = a->blocks;
		a->blocks = b;
	}
	return b->data;
}

char *
treg_arena_strdup(struct treg_arena *a, const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy;

	copy = treg_arena_alloc(a, len, 1);
	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

void
treg_arena_free(struct treg_arena *a)
{
	struct treg_arena_block *b, *next;

	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->blocks = NULL;
}

uint64_t
treg_hash64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

size_t
treg_hash_str(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}
