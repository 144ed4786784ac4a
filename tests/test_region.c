/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cell evidence regions: the blocks around a quotation, a
 * quotation split over two blocks, the whole text when no quotation is
 * placed, and that a change outside the region leaves its digest alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "region.h"

static const char page[] =
	"Trust center\n"
	"Security\n"
	"We hold a SOC 2 Type II report.\n"
	"Audits run yearly.\n"
	"Privacy\n"
	"Customer data is never used for training.\n"
	"Contact us\n"
	"Copyright 2025";

static char *soc2[] = { "hold a SOC 2 Type II report" };

static void
test_region_compute_quote_and_context(void **state)
{
	struct treg_region r;

	assert_int_equal(treg_region_compute(page, strlen(page), soc2, 1, 1,
	    &r), 0);

	assert_string_equal(r.text, "Security\nWe hold a SOC 2 Type II "
	    "report.\nAudits run yearly.");
	assert_int_equal(r.blocks, 3);
	assert_int_equal(r.located, 1);
	assert_false(r.whole);
	assert_int_equal(r.words, 12);
	treg_region_cleanup(&r);
}

static void
test_region_compute_no_quote_whole_text(void **state)
{
	char *none[] = { "a sentence that is not there" };
	struct treg_region r;

	assert_int_equal(treg_region_compute(page, strlen(page), none, 1, 2,
	    &r), 0);

	assert_true(r.whole);
	assert_int_equal(r.len, strlen(page));
	assert_string_equal(r.text, page);
	treg_region_cleanup(&r);
}

static void
test_region_compute_quote_across_blocks(void **state)
{
	char *split[] = { "yearly. Privacy" };
	struct treg_region r;

	assert_int_equal(treg_region_compute(page, strlen(page), split, 1, 0,
	    &r), 0);

	assert_string_equal(r.text, "Audits run yearly.\nPrivacy");
	treg_region_cleanup(&r);
}

static void
test_region_compute_change_outside_keeps_digest(void **state)
{
	const char *edited = "Trust center\n"
	    "Security\n"
	    "We hold a SOC 2 Type II report.\n"
	    "Audits run yearly.\n"
	    "Privacy\n"
	    "Customer data may be used for training.\n"
	    "Contact us\n"
	    "Copyright 2026";
	struct treg_region a, b;

	assert_int_equal(treg_region_compute(page, strlen(page), soc2, 1, 1,
	    &a), 0);
	assert_int_equal(treg_region_compute(edited, strlen(edited), soc2, 1,
	    1, &b), 0);

	assert_string_equal(a.digest, b.digest);
	assert_int_equal(a.simhash, b.simhash);
	treg_region_cleanup(&a);
	treg_region_cleanup(&b);
}

static void
test_region_compute_empty_text(void **state)
{
	struct treg_region r;

	assert_int_equal(treg_region_compute("", 0, soc2, 1, 2, &r), 0);

	assert_true(r.whole);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.words, 0);
	treg_region_cleanup(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_compute_quote_and_context),
		cmocka_unit_test(test_region_compute_no_quote_whole_text),
		cmocka_unit_test(test_region_compute_quote_across_blocks),
		cmocka_unit_test(
		    test_region_compute_change_outside_keeps_digest),
		cmocka_unit_test(test_region_compute_empty_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
