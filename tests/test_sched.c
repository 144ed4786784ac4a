/* SPDX-License-Identifier: MIT */
/*
 * Tests of the crawl schedule: its persistence in the store across a
 * close and reopen, the spread of new URLs, paging of due URLs, dropping
 * URLs no longer cited, and the nightly report time across daylight-
 * saving changes (TZ is set by the test, POSIX rules, no tzdata needed).
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sched.h"
#include "store.h"

#define NURLS	300
#define T0	((time_t)1780000000)
#define HOUR	3600
#define DAY	86400

/* Europe's rules: last Sunday of March and of October. */
#define TZ_CET	"CET-1CEST,M3.5.0,M10.5.0/3"

struct fixture {
	char	 dir[64];
	struct treg_store *st;
	char	*urls[NURLS];
};

static int
rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f;
	int i;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/test_sched.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->st = treg_store_open(f->dir);
	if (f->st == NULL)
		return -1;
	/* Zero-padded so that name order is numeric order. */
	for (i = 0; i < NURLS; i++)
		if (asprintf(&f->urls[i], "https://h%d.test/p%04d", i % 7,
		    i) < 0)
			return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	treg_store_close(f->st);
	nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < NURLS; i++)
		free(f->urls[i]);
	free(f);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Counts the URLs due by until, paging through the store. */
static size_t
count_due(struct treg_store *st, time_t until)
{
	struct treg_store_sched_entry page[16];
	struct treg_store_sched_pos pos;
	size_t got, total = 0;
	int64_t last = INT64_MIN;
	size_t i;

	memset(&pos, 0, sizeof(pos));
	do {
		assert_int_equal(treg_store_sched_page(st, &pos, until, page,
		    16, &got), 0);
		for (i = 0; i < got; i++) {
			assert_true(page[i].due >= last);
			last = page[i].due;
		}
		treg_store_sched_entries_cleanup(page, got);
		total += got;
	} while (got == 16);
	return total;
}

static void
test_treg_sched_sync_spreads_new_urls(void **state)
{
	struct fixture *f = *state;
	struct treg_sched *s = treg_sched_new(f->st, DAY, 42);
	size_t added = 0, removed = 0, first_minute;

	qsort(f->urls, NURLS, sizeof(*f->urls), cmp_str);

	assert_int_equal(treg_sched_sync(s, f->urls, NURLS, T0, &added,
	    &removed), 0);

	assert_int_equal(added, NURLS);
	assert_int_equal(removed, 0);
	assert_int_equal(count_due(f->st, T0 + TREG_SCHED_RAMP), NURLS);
	first_minute = count_due(f->st, T0 + 60);
	assert_true(first_minute < NURLS / 10);
	treg_sched_free(s);
}

static void
test_treg_sched_sync_resumes_after_reopen(void **state)
{
	struct fixture *f = *state;
	struct treg_sched *s = treg_sched_new(f->st, DAY, 7);
	int64_t before, after;
	size_t added = 1;

	qsort(f->urls, NURLS, sizeof(*f->urls), cmp_str);
	treg_sched_sync(s, f->urls, NURLS, T0, NULL, NULL);
	assert_int_equal(treg_sched_fetched(s, f->urls[3], T0 + 10), 0);
	assert_int_equal(treg_store_commit(f->st), 0);
	assert_int_equal(treg_store_sched_get(f->st, f->urls[3], &before), 0);
	treg_sched_free(s);
	treg_store_close(f->st);

	f->st = treg_store_open(f->dir);
	s = treg_sched_new(f->st, DAY, 8);
	assert_int_equal(treg_sched_sync(s, f->urls, NURLS, T0 + 20, &added,
	    NULL), 0);

	assert_int_equal(added, 0);
	assert_int_equal(treg_store_sched_get(f->st, f->urls[3], &after), 0);
	assert_int_equal(before, after);
	assert_true(after >= T0 + 10 + DAY - DAY / 10);
	assert_true(after <= T0 + 10 + DAY + DAY / 10);
	treg_sched_free(s);
}

static void
test_treg_sched_sync_drops_uncited_urls(void **state)
{
	struct fixture *f = *state;
	struct treg_sched *s = treg_sched_new(f->st, DAY, 9);
	size_t removed = 0;
	int64_t due;

	qsort(f->urls, NURLS, sizeof(*f->urls), cmp_str);
	treg_sched_sync(s, f->urls, NURLS, T0, NULL, NULL);

	assert_int_equal(treg_sched_sync(s, f->urls, NURLS / 2, T0, NULL,
	    &removed), 0);

	assert_int_equal(removed, NURLS - NURLS / 2);
	assert_int_equal(count_due(f->st, INT64_MAX), NURLS / 2);
	assert_int_equal(treg_store_sched_get(f->st, f->urls[NURLS - 1],
	    &due), -ENOENT);
	treg_sched_free(s);
}

static void
test_treg_sched_due_returns_earliest_first(void **state)
{
	struct fixture *f = *state;
	struct treg_sched *s = treg_sched_new(f->st, 100, 1);
	struct treg_store_sched_entry e[4];
	size_t n = 0;
	time_t next = 0;

	treg_store_sched_set(f->st, "https://a.test/late", T0 + 50);
	treg_store_sched_set(f->st, "https://a.test/early", T0 + 5);
	treg_store_sched_set(f->st, "https://a.test/mid", T0 + 20);
	treg_store_commit(f->st);

	assert_int_equal(treg_sched_due(s, T0 + 30, e, 4, &n), 0);

	assert_int_equal(n, 2);
	assert_string_equal(e[0].url, "https://a.test/early");
	assert_string_equal(e[1].url, "https://a.test/mid");
	treg_store_sched_entries_cleanup(e, n);
	assert_int_equal(treg_sched_next(s, &next), 0);
	assert_int_equal(next, T0 + 5);
	treg_sched_free(s);
}

static void
test_treg_sched_fetched_moves_the_index(void **state)
{
	struct fixture *f = *state;
	struct treg_sched *s = treg_sched_new(f->st, 100, 3);
	size_t n = 0;

	treg_store_sched_set(f->st, "https://a.test/x", T0);
	treg_store_commit(f->st);

	assert_int_equal(treg_sched_fetched(s, "https://a.test/x", T0), 0);
	treg_store_commit(f->st);

	assert_int_equal(count_due(f->st, T0 + 89), 0);
	n = count_due(f->st, T0 + 110);
	assert_int_equal(n, 1);
	treg_sched_free(s);
}

static time_t
local_time(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* Follows the report through n days from start, counting one per local
 * date. */
static int
reports_over(time_t start, int days, int hh, int mm)
{
	time_t now = start, last = 0, t;
	int n = 0;

	while (now < start + (time_t)days * DAY) {
		t = treg_sched_next_report(now, last, hh, mm);
		assert_true(t > now);
		if (t >= start + (time_t)days * DAY)
			break;
		last = t;
		now = t;
		n++;
	}
	return n;
}

static void
test_treg_sched_next_report_daily_in_local_time(void **state)
{
	time_t now, t;
	struct tm tm;

	setenv("TZ", TZ_CET, 1);
	tzset();
	now = local_time(2026, 6, 1, 5, 0);

	t = treg_sched_next_report(now, 0, 6, 0);

	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_hour, 6);
	assert_int_equal(tm.tm_mday, 1);
	assert_int_equal(t - now, HOUR);
}

static void
test_treg_sched_next_report_dst_neither_skips_nor_doubles(void **state)
{
	setenv("TZ", TZ_CET, 1);
	tzset();

	/* Spring: 2026-03-29 loses 02:00-03:00; autumn: 2026-10-25 has
	 * 02:00-03:00 twice.  Ten days around each, one report a day. */
	assert_int_equal(reports_over(local_time(2026, 3, 24, 12, 0), 10,
	    2, 30), 10);
	assert_int_equal(reports_over(local_time(2026, 10, 20, 12, 0), 10,
	    2, 30), 10);
	assert_int_equal(reports_over(local_time(2026, 10, 20, 12, 0), 10,
	    6, 0), 10);
}

static void
test_treg_sched_next_report_after_report_waits_a_day(void **state)
{
	time_t first, again;

	setenv("TZ", TZ_CET, 1);
	tzset();
	/* 02:30 on the autumn day comes twice; the second is not a new
	 * report. */
	first = treg_sched_next_report(local_time(2026, 10, 25, 0, 0), 0,
	    2, 30);

	again = treg_sched_next_report(first + 1, first, 2, 30);

	assert_true(again - first > 23 * HOUR);
}

static void
test_treg_sched_parse_hhmm_rejects_bad_times(void **state)
{
	int hh = -1, mm = -1;

	assert_int_equal(treg_sched_parse_hhmm("05:30", &hh, &mm), 0);
	assert_int_equal(hh, 5);
	assert_int_equal(mm, 30);
	assert_int_equal(treg_sched_parse_hhmm("24:00", &hh, &mm), -EINVAL);
	assert_int_equal(treg_sched_parse_hhmm("7", &hh, &mm), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_treg_sched_sync_spreads_new_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_sched_sync_resumes_after_reopen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_sched_sync_drops_uncited_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_sched_due_returns_earliest_first, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_sched_fetched_moves_the_index, setup, teardown),
		cmocka_unit_test(
		    test_treg_sched_next_report_daily_in_local_time),
		cmocka_unit_test(
		    test_treg_sched_next_report_dst_neither_skips_nor_doubles),
		cmocka_unit_test(
		    test_treg_sched_next_report_after_report_waits_a_day),
		cmocka_unit_test(
		    test_treg_sched_parse_hhmm_rejects_bad_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
