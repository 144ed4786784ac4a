/* SPDX-License-Identifier: MIT */
/* Unit tests for the robots.txt parser and matcher (RFC 9309). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "robots.h"

#define AGENT	"trustreg-crawl/0.1 (+https://example.org/contact)"

static struct treg_robots *
parse(const char *text)
{
	struct treg_robots *r;

	r = treg_robots_parse(text, strlen(text), AGENT);
	assert_non_null(r);
	return r;
}

static void
test_treg_robots_parse_empty_allows_all(void **state)
{
	struct treg_robots *r;

	r = treg_robots_parse(NULL, 0, AGENT);

	assert_non_null(r);
	assert_int_equal(treg_robots_allowed(r, "/"), 1);
	assert_int_equal(treg_robots_allowed(r, "/any/thing?x=1"), 1);
	assert_int_equal(treg_robots_crawl_delay_ms(r), -1);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_star_group(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /private\n");

	assert_int_equal(treg_robots_allowed(r, "/private"), 0);
	assert_int_equal(treg_robots_allowed(r, "/private/x"), 0);
	assert_int_equal(treg_robots_allowed(r, "/privateer"), 0);
	assert_int_equal(treg_robots_allowed(r, "/public"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_own_group_wins(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /\n\n"
	    "User-agent: TrustReg-Crawl\nDisallow: /admin\n");

	assert_int_equal(treg_robots_nrules(r), 1);
	assert_int_equal(treg_robots_allowed(r, "/terms"), 1);
	assert_int_equal(treg_robots_allowed(r, "/admin/x"), 0);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_other_agent_ignored(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: otherbot\nDisallow: /\n");

	assert_int_equal(treg_robots_allowed(r, "/terms"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_groups_merged(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: trustreg-crawl\nDisallow: /a\n"
	    "User-agent: other\nDisallow: /b\n"
	    "User-agent: trustreg-crawl/2.0\nDisallow: /c\n");

	assert_int_equal(treg_robots_allowed(r, "/a"), 0);
	assert_int_equal(treg_robots_allowed(r, "/b"), 1);
	assert_int_equal(treg_robots_allowed(r, "/c"), 0);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_shared_agent_lines(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: foo\nUser-agent: trustreg-crawl\n"
	    "Disallow: /x  # comment\n");

	assert_int_equal(treg_robots_allowed(r, "/x/1"), 0);
	treg_robots_free(r);
}

static void
test_treg_robots_allowed_longest_match(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /docs\nAllow: /docs/public\n");

	assert_int_equal(treg_robots_allowed(r, "/docs/x"), 0);
	assert_int_equal(treg_robots_allowed(r, "/docs/public/a"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_allowed_tie_allows(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /page\nAllow: /page\n");

	assert_int_equal(treg_robots_allowed(r, "/page"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_allowed_wildcards(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /*.pdf$\nDisallow: /a*/b\n");

	assert_int_equal(treg_robots_allowed(r, "/x/report.pdf"), 0);
	assert_int_equal(treg_robots_allowed(r, "/x/report.pdf?x"), 1);
	assert_int_equal(treg_robots_allowed(r, "/a1/2/b"), 0);
	assert_int_equal(treg_robots_allowed(r, "/a1/2/c"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_allowed_anchor_exact(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /$\n");

	assert_int_equal(treg_robots_allowed(r, "/"), 0);
	assert_int_equal(treg_robots_allowed(r, "/terms"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_allowed_query(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /*?session=\n");

	assert_int_equal(treg_robots_allowed(r, "/p?session=1"), 0);
	assert_int_equal(treg_robots_allowed(r, "/p?lang=en"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_allowed_robots_txt_always(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow: /\n");

	assert_int_equal(treg_robots_allowed(r, "/robots.txt"), 1);
	assert_int_equal(treg_robots_allowed(r, "/"), 0);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_empty_disallow_allows(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nDisallow:\n");

	assert_int_equal(treg_robots_nrules(r), 0);
	assert_int_equal(treg_robots_allowed(r, "/x"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_crlf_and_case(void **state)
{
	struct treg_robots *r;

	r = parse("USER-AGENT: *\r\nDISALLOW: /Secret\r\n");

	assert_int_equal(treg_robots_allowed(r, "/Secret"), 0);
	assert_int_equal(treg_robots_allowed(r, "/secret"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_rules_before_group_ignored(void **state)
{
	struct treg_robots *r;

	r = parse("Disallow: /\nUser-agent: *\nAllow: /\n");

	assert_int_equal(treg_robots_allowed(r, "/x"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_crawl_delay_ms(void **state)
{
	struct treg_robots *r, *big;

	r = parse("User-agent: *\nCrawl-delay: 1.5\nDisallow: /x\n");
	big = parse("User-agent: *\nCrawl-delay: 86400\n");

	assert_int_equal(treg_robots_crawl_delay_ms(r), 1500);
	assert_int_equal(treg_robots_crawl_delay_ms(big),
	    TREG_ROBOTS_MAX_DELAY_MS);
	assert_int_equal(treg_robots_allowed(r, "/x"), 0);
	treg_robots_free(r);
	treg_robots_free(big);
}

static void
test_treg_robots_crawl_delay_bad_ignored(void **state)
{
	struct treg_robots *r;

	r = parse("User-agent: *\nCrawl-delay: soon\n");

	assert_int_equal(treg_robots_crawl_delay_ms(r), -1);
	treg_robots_free(r);
}

static void
test_treg_robots_new_disallow_all(void **state)
{
	struct treg_robots *r;

	r = treg_robots_new_disallow_all();

	assert_non_null(r);
	assert_int_equal(treg_robots_allowed(r, "/"), 0);
	assert_int_equal(treg_robots_allowed(r, "/robots.txt"), 1);
	treg_robots_free(r);
}

static void
test_treg_robots_allowed_many_stars_fast(void **state)
{
	char pat[3000], path[5000];
	struct treg_robots *r;
	char *text;
	size_t i;

	for (i = 0; i < 1000; i++) {
		pat[2 * i] = '*';
		pat[2 * i + 1] = 'a';
	}
	pat[2000] = '\0';
	memset(path, 'a', sizeof(path) - 2);
	path[0] = '/';
	path[sizeof(path) - 2] = 'b';
	path[sizeof(path) - 1] = '\0';
	assert_true(asprintf(&text, "User-agent: *\nDisallow: /%s$\n",
	    pat) > 0);

	r = parse(text);

	assert_int_equal(treg_robots_allowed(r, path), 1);
	treg_robots_free(r);
	free(text);
}

static void
test_treg_robots_parse_binary_garbage(void **state)
{
	static const char junk[] = "\0\xff:User-agent:\0*\n\x01Disallow:/z\n";
	struct treg_robots *r;

	r = treg_robots_parse(junk, sizeof(junk) - 1, AGENT);

	assert_non_null(r);
	assert_int_equal(treg_robots_allowed(r, "/a"), 1);
	treg_robots_free(r);
}

/* tests/fuzz/regressions/robots/robots-match-heap-overflow, without
 * the path line: NUL bytes inside a Disallow value once left the copied
 * pattern shorter than its recorded length. */
static void
test_treg_robots_parse_nul_in_rule(void **state)
{
	static const char text[] =
	    "us\xe5r-agent: other\ndisallow: /\n# comment\nS$\n"
	    "Crawl-delay: 2\n\nUser-agent: trustreg-crawl\n"
	    "Disallow: / .pitemap: http://x/s.x\0\0\n";
	struct treg_robots *r;

	r = treg_robots_parse(text, sizeof(text) - 1, AGENT);

	assert_non_null(r);
	assert_int_equal(treg_robots_nrules(r), 1);
	assert_int_equal(treg_robots_allowed(r, "/a"), 1);
	assert_int_equal(treg_robots_allowed(r, "/ .pitemap: http://x/s.x"),
	    1);
	treg_robots_free(r);
}

static void
test_treg_robots_parse_nul_before_anchor(void **state)
{
	static const char text[] =
	    "User-agent: *\nDisallow: /x\0$\nAllow: /y\0*\n"
	    "Crawl-delay: 2\0" "9\nDisallow: /z\n";
	struct treg_robots *r;

	r = treg_robots_parse(text, sizeof(text) - 1, AGENT);

	assert_non_null(r);
	assert_int_equal(treg_robots_nrules(r), 3);
	assert_int_equal(treg_robots_allowed(r, "/x"), 1);
	assert_int_equal(treg_robots_allowed(r, "/z"), 0);
	assert_int_equal(treg_robots_crawl_delay_ms(r), -1);
	treg_robots_free(r);
}

static void
test_treg_robots_free_null(void **state)
{
	treg_robots_free(NULL);

	assert_int_equal(treg_robots_allowed(NULL, "/x"), 1);
	assert_int_equal(treg_robots_crawl_delay_ms(NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_robots_parse_empty_allows_all),
		cmocka_unit_test(test_treg_robots_parse_star_group),
		cmocka_unit_test(test_treg_robots_parse_own_group_wins),
		cmocka_unit_test(test_treg_robots_parse_other_agent_ignored),
		cmocka_unit_test(test_treg_robots_parse_groups_merged),
		cmocka_unit_test(test_treg_robots_parse_shared_agent_lines),
		cmocka_unit_test(test_treg_robots_allowed_longest_match),
		cmocka_unit_test(test_treg_robots_allowed_tie_allows),
		cmocka_unit_test(test_treg_robots_allowed_wildcards),
		cmocka_unit_test(test_treg_robots_allowed_anchor_exact),
		cmocka_unit_test(test_treg_robots_allowed_query),
		cmocka_unit_test(test_treg_robots_allowed_robots_txt_always),
		cmocka_unit_test(test_treg_robots_parse_empty_disallow_allows),
		cmocka_unit_test(test_treg_robots_parse_crlf_and_case),
		cmocka_unit_test(
		    test_treg_robots_parse_rules_before_group_ignored),
		cmocka_unit_test(test_treg_robots_crawl_delay_ms),
		cmocka_unit_test(test_treg_robots_crawl_delay_bad_ignored),
		cmocka_unit_test(test_treg_robots_new_disallow_all),
		cmocka_unit_test(test_treg_robots_allowed_many_stars_fast),
		cmocka_unit_test(test_treg_robots_parse_binary_garbage),
		cmocka_unit_test(test_treg_robots_parse_nul_in_rule),
		cmocka_unit_test(test_treg_robots_parse_nul_before_anchor),
		cmocka_unit_test(test_treg_robots_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
