/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the arena: alignment, a large request in a block of its
 * own that leaves the block being filled in use, string copies, and a
 * freed arena that starts empty again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

static void
test_treg_arena_alloc_aligned(void **state)
{
	struct treg_arena a = { NULL };
	char *odd;
	void *p;

	odd = treg_arena_alloc(&a, 3, 1);
	p = treg_arena_alloc(&a, sizeof(void *), sizeof(void *));

	assert_non_null(odd);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % sizeof(void *), 0);
	assert_true((char *)p >= odd + 3);
	treg_arena_free(&a);
	assert_null(a.blocks);
}

static void
test_treg_arena_alloc_large_keeps_block(void **state)
{
	struct treg_arena a = { NULL };
	char *first, *big, *next;

	first = treg_arena_alloc(&a, 10, 1);
	memset(first, 'x', 10);

	big = treg_arena_alloc(&a, 1024 * 1024, 1);
	next = treg_arena_alloc(&a, 10, 1);

	assert_non_null(big);
	memset(big, 'y', 1024 * 1024);
	/* The small request after it still comes from the first block. */
	assert_ptr_equal(next, first + 10);
	assert_int_equal(first[9], 'x');
	treg_arena_free(&a);
}

static void
test_treg_arena_strdup_many(void **state)
{
	struct treg_arena a = { NULL };
	char *copies[10000], text[32];
	size_t i;

	for (i = 0; i < 10000; i++) {
		snprintf(text, sizeof(text), "https://e%zu.example/", i);
		copies[i] = treg_arena_strdup(&a, text);
		assert_non_null(copies[i]);
	}

	for (i = 0; i < 10000; i++) {
		snprintf(text, sizeof(text), "https://e%zu.example/", i);
		assert_string_equal(copies[i], text);
	}
	treg_arena_free(&a);
	treg_arena_free(&a);
}

static void
test_treg_hash_str_differs(void **state)
{
	assert_int_equal(treg_hash_str(""), treg_hash_str(""));
	assert_int_not_equal(treg_hash_str("ab"), treg_hash_str("ba"));
	assert_int_equal(treg_hash_str("https://a/"),
	    treg_hash_str("https://a/"));
}

/* The store keys long URLs by this hash: its values are pinned (FNV-1a
 * 64's published ones), and going on in pieces equals one call. */
static void
test_treg_hash64_values(void **state)
{
	uint64_t h;

	assert_true(treg_hash64(TREG_HASH64_INIT, "", 0) ==
	    0xcbf29ce484222325ULL);
	assert_true(treg_hash64(TREG_HASH64_INIT, "a", 1) ==
	    0xaf63dc4c8601ec8cULL);
	assert_true(treg_hash64(TREG_HASH64_INIT, "foobar", 6) ==
	    0x85944171f73967e8ULL);
	h = treg_hash64(TREG_HASH64_INIT, "foo", 3);
	assert_true(treg_hash64(h, "bar", 3) == 0x85944171f73967e8ULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_arena_alloc_aligned),
		cmocka_unit_test(test_treg_arena_alloc_large_keeps_block),
		cmocka_unit_test(test_treg_arena_strdup_many),
		cmocka_unit_test(test_treg_hash_str_differs),
		cmocka_unit_test(test_treg_hash64_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
