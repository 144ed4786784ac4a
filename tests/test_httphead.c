/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the response header readers: header lines and status
 * lines as curl hands them over, Retry-After in both forms, HTTP dates,
 * validators, Content-Type and the meta refresh and challenge checks.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "httphead.h"

/* Mon, 03 Jun 2024 10:00:00 GMT, the Date of the shared failure cases. */
#define CASE_DATE	"Mon, 03 Jun 2024 10:00:00 GMT"
#define CASE_TIME	((time_t)1717408800)

static enum treg_httphead_line
kind(const char *line)
{
	return treg_httphead_line_kind(line, strlen(line));
}

static long
status(const char *line)
{
	return treg_httphead_status(line, strlen(line));
}

/* Splits line and checks its value; returns the name length. */
static size_t
field(const char *line, const char *want_value)
{
	struct treg_httphead_field fl;

	assert_int_equal(treg_httphead_field(line, strlen(line), &fl), 0);
	assert_int_equal(fl.value_len, strlen(want_value));
	assert_memory_equal(fl.value, want_value, fl.value_len);
	return fl.name_len;
}

static char *
refresh(const char *body)
{
	return treg_httphead_find_refresh(body, strlen(body));
}

/* ---- lines ----------------------------------------------------------- */

static void
test_treg_httphead_line_kind_each(void **state)
{
	assert_int_equal(kind("HTTP/1.1 200 OK\r\n"), TREG_HTTPHEAD_STATUS);
	assert_int_equal(kind("HTTP/2 200 \r\n"), TREG_HTTPHEAD_STATUS);
	assert_int_equal(kind("\r\n"), TREG_HTTPHEAD_END);
	assert_int_equal(kind("\n"), TREG_HTTPHEAD_END);
	assert_int_equal(kind("ETag: \"v1\"\r\n"), TREG_HTTPHEAD_FIELD);
	assert_int_equal(kind("HTTP"), TREG_HTTPHEAD_FIELD);
	assert_int_equal(kind(""), TREG_HTTPHEAD_FIELD);
}

static void
test_treg_httphead_status_http11(void **state)
{
	assert_int_equal(status("HTTP/1.1 200 OK\r\n"), 200);
	assert_int_equal(status("HTTP/1.1 429 Too Many Requests\r\n"), 429);
	assert_int_equal(status("HTTP/1.0 304\r\n"), 304);
}

static void
test_treg_httphead_status_http2(void **state)
{
	assert_int_equal(status("HTTP/2 200 \r\n"), 200);
	assert_int_equal(status("HTTP/2 503\r\n"), 503);
	assert_int_equal(status("HTTP/3 301 \r\n"), 301);
}

static void
test_treg_httphead_status_malformed(void **state)
{
	assert_int_equal(status("HTTP/1.1\r\n"), -1);
	assert_int_equal(status("HTTP/1.1 abc\r\n"), 0);
	assert_int_equal(status("HTTP/1.1  200\r\n"), 0);
	/* Reading stops once the value passes three digits. */
	assert_int_equal(status("HTTP/1.1 1234567\r\n"), 1234);
}

static void
test_treg_httphead_field_trims_value(void **state)
{
	struct treg_httphead_field fl;
	size_t nlen;

	nlen = field("Content-Type:  text/html; charset=utf-8 \t\r\n",
	    "text/html; charset=utf-8");

	assert_int_equal(nlen, 12);
	assert_int_equal(field("X-Empty:\r\n", ""), 7);
	assert_int_equal(field("Location:/a:b\n", "/a:b"), 8);
	/* A value ends at a CR, LF or NUL inside it, as curl reads it. */
	field("Location: /ok\rjunk\r\n", "/ok");
	field("Location: /ok \n/x\r\n", "/ok");
	field("Location: \r /ok\r\n", "/ok");
	field("Location: \r\n", "");
	assert_int_equal(treg_httphead_field("Location: /a\0b\r\n", 15,
	    &fl), 0);
	assert_int_equal(fl.value_len, 2);
}

static void
test_treg_httphead_field_no_colon(void **state)
{
	struct treg_httphead_field fl;
	const char *line = "not a header\r\n";

	memset(&fl, 0, sizeof(fl));

	assert_int_equal(treg_httphead_field(line, strlen(line), &fl),
	    -EINVAL);

	assert_null(fl.name);
}

static void
test_treg_httphead_field_folded(void **state)
{
	struct treg_httphead_field fl;
	const char *first = "Location: /a\r\n", *cont = " /b\r\n";
	const char *colon_cont = "\tLocation: /c\r\n";

	/* obs-fold: the first line stands alone, a continuation without a
	 * colon is no field, and one with a colon names no header. */
	assert_int_equal(treg_httphead_field(first, strlen(first), &fl), 0);
	assert_true(treg_httphead_field_is(&fl, "location"));
	assert_int_equal(treg_httphead_field(cont, strlen(cont), &fl),
	    -EINVAL);
	assert_int_equal(treg_httphead_field(colon_cont, strlen(colon_cont),
	    &fl), 0);
	assert_false(treg_httphead_field_is(&fl, "location"));
}

static void
test_treg_httphead_field_is_duplicates(void **state)
{
	static const char *const block[] = {
		"Retry-After: 120\r\n", "retry-after: 5\r\n",
		"RETRY-AFTER: 9\r\n", "Retry-After-X: 1\r\n",
	};
	struct treg_httphead_field fl;
	size_t i, matches = 0;

	for (i = 0; i < 4; i++) {
		assert_int_equal(treg_httphead_field(block[i],
		    strlen(block[i]), &fl), 0);
		matches += (size_t)treg_httphead_field_is(&fl, "retry-after");
	}

	/* Which one wins is the fetcher's choice (the first); every
	 * spelling must be seen as the same header for it to choose. */
	assert_int_equal(matches, 3);
}

/* ---- dates and Retry-After ------------------------------------------- */

static void
test_treg_httphead_date_imf_fixdate(void **state)
{
	assert_int_equal(treg_httphead_date(CASE_DATE), CASE_TIME);
	assert_int_equal(treg_httphead_date("Sun, 06 Nov 1994 08:49:37 GMT"),
	    (time_t)784111777);
	assert_int_equal(treg_httphead_date("  " CASE_DATE " "), CASE_TIME);
	assert_int_equal(treg_httphead_date("mon, 03 jun 2024 10:00:00 utc"),
	    CASE_TIME);
	assert_int_equal(treg_httphead_date("03 Jun 2024 10:00:00 GMT"),
	    CASE_TIME);
	assert_int_equal(treg_httphead_date("Mon, 3 Jun 2024 10:00:00 GMT"),
	    CASE_TIME);
}

static void
test_treg_httphead_date_rfc850(void **state)
{
	assert_int_equal(
	    treg_httphead_date("Sunday, 06-Nov-94 08:49:37 GMT"),
	    (time_t)784111777);
	assert_int_equal(treg_httphead_date("Monday, 03-Jun-24 10:00:00 GMT"),
	    CASE_TIME);
}

static void
test_treg_httphead_date_asctime(void **state)
{
	assert_int_equal(treg_httphead_date("Sun Nov  6 08:49:37 1994"),
	    (time_t)784111777);
	assert_int_equal(treg_httphead_date("Mon Jun 03 10:00:00 2024"),
	    CASE_TIME);
}

static void
test_treg_httphead_date_garbage(void **state)
{
	assert_int_equal(treg_httphead_date(NULL), -1);
	assert_int_equal(treg_httphead_date(""), -1);
	assert_int_equal(treg_httphead_date("tomorrow"), -1);
	assert_int_equal(treg_httphead_date("Mon, 03 Jun 2024"), -1);
	assert_int_equal(treg_httphead_date("Mon, 03 Jun 2024 10:00:00 PST"),
	    -1);
	assert_int_equal(treg_httphead_date("Mon, 32 Jun 2024 10:00:00 GMT"),
	    -1);
	assert_int_equal(treg_httphead_date("Mon, 03 Jun 2024 24:00:00 GMT"),
	    -1);
	assert_int_equal(treg_httphead_date("Mon, 03 Jun 1969 10:00:00 GMT"),
	    -1);
	assert_int_equal(treg_httphead_date(CASE_DATE "x"), -1);
	assert_int_equal(treg_httphead_date("Mo, 03 Jun 2024 10:00:00 GMT"),
	    -1);
}

static void
test_treg_httphead_retry_after_seconds(void **state)
{
	assert_int_equal(treg_httphead_retry_after("120", NULL, 0), 120);
	assert_int_equal(treg_httphead_retry_after("  120 ", NULL, 0), 120);
	assert_int_equal(treg_httphead_retry_after("0", NULL, 0), 0);
	assert_int_equal(treg_httphead_retry_after("007", NULL, 0), 7);
}

static void
test_treg_httphead_retry_after_huge(void **state)
{
	long s;

	s = treg_httphead_retry_after("999999999999", NULL, 0);

	assert_true(s == 999999999999L || s == LONG_MAX);
	assert_int_equal(treg_httphead_retry_after(
	    "99999999999999999999999999999", NULL, 0), LONG_MAX);
}

static void
test_treg_httphead_retry_after_invalid(void **state)
{
	assert_int_equal(treg_httphead_retry_after(NULL, NULL, 0), -1);
	assert_int_equal(treg_httphead_retry_after("", NULL, 0), -1);
	assert_int_equal(treg_httphead_retry_after("-1", NULL, 0), -1);
	assert_int_equal(treg_httphead_retry_after("+5", NULL, 0), -1);
	assert_int_equal(treg_httphead_retry_after("12 3", NULL, 0), -1);
	assert_int_equal(treg_httphead_retry_after("120s", NULL, 0), -1);
	assert_int_equal(treg_httphead_retry_after("soon", NULL, 0), -1);
	assert_int_equal(treg_httphead_retry_after("1.5", NULL, 0), -1);
}

static void
test_treg_httphead_retry_after_date_from_server_date(void **state)
{
	long s;

	/* The server's Date is the reference, not our skewed clock. */
	s = treg_httphead_retry_after("Mon, 03 Jun 2024 10:05:00 GMT",
	    CASE_DATE, CASE_TIME + 100000);

	assert_int_equal(s, 300);
}

static void
test_treg_httphead_retry_after_date_from_now(void **state)
{
	assert_int_equal(treg_httphead_retry_after(
	    "Mon, 03 Jun 2024 10:05:00 GMT", NULL, CASE_TIME), 300);
	assert_int_equal(treg_httphead_retry_after(
	    "Mon, 03 Jun 2024 10:05:00 GMT", "garbage", CASE_TIME + 60), 240);
	assert_int_equal(treg_httphead_retry_after(
	    "Monday, 03-Jun-24 10:01:00 GMT", NULL, CASE_TIME), 60);
}

static void
test_treg_httphead_retry_after_date_past(void **state)
{
	assert_int_equal(treg_httphead_retry_after(
	    "Sun, 06 Nov 1994 08:49:37 GMT", CASE_DATE, 0), 0);
}

/* ---- validators and Content-Type ------------------------------------- */

static void
test_treg_httphead_validator_ok_each(void **state)
{
	char *big;

	big = malloc(TREG_HTTPHEAD_VALIDATOR_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', TREG_HTTPHEAD_VALIDATOR_MAX);
	big[TREG_HTTPHEAD_VALIDATOR_MAX] = '\0';

	assert_true(treg_httphead_validator_ok("\"v1\""));
	assert_true(treg_httphead_validator_ok("W/\"abc\""));
	assert_true(treg_httphead_validator_ok(CASE_DATE));
	assert_false(treg_httphead_validator_ok(NULL));
	assert_false(treg_httphead_validator_ok(""));
	assert_false(treg_httphead_validator_ok("\"v1\"\r\nX-Evil: 1"));
	assert_false(treg_httphead_validator_ok("a\nb"));
	assert_false(treg_httphead_validator_ok(big));
	big[TREG_HTTPHEAD_VALIDATOR_MAX - 1] = '\0';
	assert_true(treg_httphead_validator_ok(big));
	free(big);
}

static void
test_treg_httphead_content_type_quoted_charset(void **state)
{
	char *type = NULL, *cs = NULL;

	assert_int_equal(treg_httphead_content_type(
	    "text/html; charset=\"ISO-8859-1\"", &type, &cs), 0);

	assert_string_equal(type, "text/html");
	assert_string_equal(cs, "ISO-8859-1");
	free(type);
	free(cs);
}

static void
test_treg_httphead_content_type_uppercase(void **state)
{
	char *type = NULL, *cs = NULL;

	assert_int_equal(treg_httphead_content_type(
	    " Text/HTML ;Charset = UTF-8 ; q=1", &type, &cs), 0);

	assert_string_equal(type, "text/html");
	assert_string_equal(cs, "UTF-8");
	free(type);
	free(cs);
}

static void
test_treg_httphead_content_type_no_charset(void **state)
{
	char *type = NULL, *cs = NULL;

	assert_int_equal(treg_httphead_content_type("application/pdf", &type,
	    &cs), 0);

	assert_string_equal(type, "application/pdf");
	assert_null(cs);
	free(type);
}

static void
test_treg_httphead_content_type_empty(void **state)
{
	char *type = NULL, *cs = NULL;

	assert_int_equal(treg_httphead_content_type(";charset=", &type, &cs),
	    0);

	assert_string_equal(type, "");
	assert_string_equal(cs, "");
	free(type);
	free(cs);
}

static void
test_treg_httphead_charset_in_meta_content(void **state)
{
	const char *s = "text/html;charset='windows-1252'", *cs;
	size_t len = 0;

	cs = treg_httphead_charset(s, strlen(s), &len);

	assert_non_null(cs);
	assert_int_equal(len, 12);
	assert_memory_equal(cs, "windows-1252", len);
	assert_null(treg_httphead_charset("charset", 7, &len));
	assert_null(treg_httphead_charset("charsetutf-8", 12, &len));
}

/* ---- meta refresh and challenges ------------------------------------- */

static void
test_treg_httphead_find_refresh_quoted(void **state)
{
	char *t;

	t = refresh("<html><head><meta http-equiv=\"refresh\" "
	    "content=\"0; url=/new\"></head></html>");

	assert_string_equal(t, "/new");
	free(t);
}

static void
test_treg_httphead_find_refresh_variants(void **state)
{
	char *a, *b, *c, *d;

	a = refresh("<META HTTP-EQUIV=Refresh CONTENT='3;URL=https://x.test/a "
	    "'>");
	b = refresh("<meta content=\"1; url='/b?x=1'\" http-equiv=refresh>");
	c = refresh("<meta charset=utf-8><meta name=x>"
	    "<meta http-equiv=\"refresh\" content=\"5;url=/c\">");
	d = refresh("<meta http-equiv=\"refresh\" content = \"2 ; URL = "
	    "/d\">");

	assert_string_equal(a, "https://x.test/a");
	assert_string_equal(b, "/b?x=1");
	assert_string_equal(c, "/c");
	assert_string_equal(d, "/d");
	free(a);
	free(b);
	free(c);
	free(d);
}

static void
test_treg_httphead_find_refresh_none(void **state)
{
	/* Too slow, no URL, not a refresh, an unclosed tag, empty. */
	assert_null(refresh("<meta http-equiv=\"refresh\" "
	    "content=\"30; url=/slow\">"));
	assert_null(refresh("<meta http-equiv=\"refresh\" content=\"0\">"));
	assert_null(refresh("<meta name=\"refresh\" content=\"0; url=/x\">"));
	assert_null(refresh("<meta http-equiv=\"refresh\" content=\"0; "
	    "url=/x\""));
	assert_null(refresh("<meta http-equiv=\"refresh\" "
	    "content=\"0; url=\">"));
	assert_null(refresh(""));
	assert_null(treg_httphead_find_refresh(NULL, 0));
}

static void
test_treg_httphead_meta_refresh_one_tag(void **state)
{
	const char *tag = "<meta http-equiv=refresh content=\"0;url=/t\"";
	char *t;

	t = treg_httphead_meta_refresh(tag, strlen(tag));

	assert_string_equal(t, "/t");
	free(t);
}

static void
test_treg_httphead_challenge_header(void **state)
{
	assert_true(treg_httphead_challenge(200, "challenge", NULL, 0));
	assert_true(treg_httphead_challenge(403, "Challenge", "", 0));
	assert_false(treg_httphead_challenge(200, "managed", NULL, 0));
}

static void
test_treg_httphead_challenge_body(void **state)
{
	const char *body = "<title>Just a moment...</title>";

	assert_true(treg_httphead_challenge(403, NULL, body, strlen(body)));
	assert_true(treg_httphead_challenge(503, NULL, body, strlen(body)));
	assert_false(treg_httphead_challenge(200, NULL, body, strlen(body)));
	assert_false(treg_httphead_challenge(403, NULL, "Forbidden", 9));
	/* Only the bytes given are looked at. */
	assert_false(treg_httphead_challenge(403, NULL, body, 10));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_httphead_line_kind_each),
		cmocka_unit_test(test_treg_httphead_status_http11),
		cmocka_unit_test(test_treg_httphead_status_http2),
		cmocka_unit_test(test_treg_httphead_status_malformed),
		cmocka_unit_test(test_treg_httphead_field_trims_value),
		cmocka_unit_test(test_treg_httphead_field_no_colon),
		cmocka_unit_test(test_treg_httphead_field_folded),
		cmocka_unit_test(test_treg_httphead_field_is_duplicates),
		cmocka_unit_test(test_treg_httphead_date_imf_fixdate),
		cmocka_unit_test(test_treg_httphead_date_rfc850),
		cmocka_unit_test(test_treg_httphead_date_asctime),
		cmocka_unit_test(test_treg_httphead_date_garbage),
		cmocka_unit_test(test_treg_httphead_retry_after_seconds),
		cmocka_unit_test(test_treg_httphead_retry_after_huge),
		cmocka_unit_test(test_treg_httphead_retry_after_invalid),
		cmocka_unit_test(
		    test_treg_httphead_retry_after_date_from_server_date),
		cmocka_unit_test(test_treg_httphead_retry_after_date_from_now),
		cmocka_unit_test(test_treg_httphead_retry_after_date_past),
		cmocka_unit_test(test_treg_httphead_validator_ok_each),
		cmocka_unit_test(
		    test_treg_httphead_content_type_quoted_charset),
		cmocka_unit_test(test_treg_httphead_content_type_uppercase),
		cmocka_unit_test(test_treg_httphead_content_type_no_charset),
		cmocka_unit_test(test_treg_httphead_content_type_empty),
		cmocka_unit_test(test_treg_httphead_charset_in_meta_content),
		cmocka_unit_test(test_treg_httphead_find_refresh_quoted),
		cmocka_unit_test(test_treg_httphead_find_refresh_variants),
		cmocka_unit_test(test_treg_httphead_find_refresh_none),
		cmocka_unit_test(test_treg_httphead_meta_refresh_one_tag),
		cmocka_unit_test(test_treg_httphead_challenge_header),
		cmocka_unit_test(test_treg_httphead_challenge_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
