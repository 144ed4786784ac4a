/* SPDX-License-Identifier: MIT */
/* Unit tests for the bounded buffers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_treg_buf_append_within_limit(void **state)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 16);

	rc = treg_buf_append(&b, "hello ", 6);
	assert_int_equal(rc, 0);
	rc = treg_buf_puts(&b, "world");

	assert_int_equal(rc, 0);
	assert_int_equal(b.len, 11);
	assert_string_equal(b.data, "hello world");
	treg_buf_cleanup(&b);
}

static void
test_treg_buf_append_past_limit(void **state)
{
	struct treg_buf b;
	int rc;

	treg_buf_init(&b, 8);

	rc = treg_buf_append(&b, "0123456789", 10);

	assert_int_equal(rc, -E2BIG);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "01234567");
	assert_true(b.cap <= 9);
	assert_int_equal(treg_buf_append(&b, "x", 1), -E2BIG);
	treg_buf_cleanup(&b);
}

/* Many small appends, the common use, grow the buffer step by step up to
 * its cap: every byte lands in order, the cut falls exactly at the cap
 * and the allocation never passes it. */
static void
test_treg_buf_append_small_pieces_to_limit(void **state)
{
	struct treg_buf b;
	size_t i, n = 0;
	int rc = 0;

	treg_buf_init(&b, 1000);

	while (rc == 0) {
		rc = treg_buf_append(&b, "abcdefg", 7);
		n++;
	}

	assert_int_equal(rc, -E2BIG);
	assert_int_equal(n, 143);
	assert_int_equal(b.len, 1000);
	assert_true(b.cap <= 1001);
	assert_int_equal(b.data[1000], '\0');
	for (i = 0; i < b.len; i++)
		assert_int_equal(b.data[i], "abcdefg"[i % 7]);
	treg_buf_cleanup(&b);
}

static void
test_treg_buf_printf_long_output(void **state)
{
	struct treg_buf b;
	char big[1000];
	int rc;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	treg_buf_init(&b, 0);

	rc = treg_buf_printf(&b, "[%s] %d", big, 42);

	assert_int_equal(rc, 0);
	assert_int_equal(b.len, 999 + 5);
	assert_memory_equal(b.data + 1000, "] 42", 4);
	treg_buf_cleanup(&b);
}

static void
test_treg_buf_steal_empty(void **state)
{
	struct treg_buf b;
	char *s;

	treg_buf_init(&b, 4);

	s = treg_buf_steal(&b);

	assert_non_null(s);
	assert_string_equal(s, "");
	assert_null(b.data);
	free(s);
}

static void
test_treg_buf_reset_keeps_limit(void **state)
{
	struct treg_buf b;

	treg_buf_init(&b, 4);
	treg_buf_puts(&b, "abcd");

	treg_buf_reset(&b);

	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(treg_buf_puts(&b, "abcde"), -E2BIG);
	assert_string_equal(b.data, "abcd");
	treg_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_buf_append_within_limit),
		cmocka_unit_test(test_treg_buf_append_past_limit),
		cmocka_unit_test(test_treg_buf_append_small_pieces_to_limit),
		cmocka_unit_test(test_treg_buf_printf_long_output),
		cmocka_unit_test(test_treg_buf_steal_empty),
		cmocka_unit_test(test_treg_buf_reset_keeps_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
