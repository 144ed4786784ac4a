/* SPDX-License-Identifier: MIT */
/* Unit tests for the configuration file parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config.h"

static char conf_path[] = "/tmp/treg-test-config-XXXXXX";

/* Writes text to a fresh temporary file and returns its path. */
static const char *
write_conf(const char *text)
{
	int fd;

	strcpy(conf_path, "/tmp/treg-test-config-XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return conf_path;
}

/* Loads text and expects exactly the error "PATH:msg_after_path". */
static void
expect_error(const char *text, const char *msg)
{
	struct treg_config *cfg = NULL;
	char *err = NULL, *want = NULL;
	const char *path;
	int rc;

	path = write_conf(text);
	assert_true(asprintf(&want, "%s:%s", path, msg) > 0);

	rc = treg_config_load(path, &cfg, &err);

	assert_int_equal(rc, -EINVAL);
	assert_null(cfg);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
	free(want);
	unlink(path);
}

static void
test_treg_config_load_defaults_without_file(void **state)
{
	struct treg_config *cfg = NULL;
	int rc;

	rc = treg_config_load(NULL, &cfg, NULL);

	assert_int_equal(rc, 0);
	assert_non_null(cfg->registry);
	assert_non_null(cfg->state_dir);
	assert_int_equal(cfg->review_after_days, 90);
	assert_int_equal(cfg->interval, 24 * 3600);
	assert_int_equal(cfg->per_host, 2);
	assert_int_equal(cfg->host_delay_ms, 1000);
	assert_int_equal(cfg->retry_after_wait, 10);
	assert_int_equal(cfg->retry_backoff_ms, 1000);
	assert_int_equal(cfg->nresolve, 0);
	assert_int_equal(cfg->nallow_address, 0);
	assert_true(cfg->extract_threads >= 1 && cfg->extract_threads <= 4);
	assert_non_null(strstr(cfg->user_agent, "trustreg-crawl/"));
	assert_non_null(strstr(cfg->user_agent, "(+https://"));
	treg_config_free(cfg);
}

static void
test_treg_config_load_state_dir_from_systemd(void **state)
{
	struct treg_config *cfg = NULL;

	setenv("STATE_DIRECTORY", "/var/lib/trustreg-crawl:/var/lib/other", 1);

	assert_int_equal(treg_config_load(NULL, &cfg, NULL), 0);

	assert_string_equal(cfg->state_dir, "/var/lib/trustreg-crawl");
	unsetenv("STATE_DIRECTORY");
	treg_config_free(cfg);
}

static void
test_treg_config_load_state_dir_from_xdg(void **state)
{
	struct treg_config *cfg = NULL;

	unsetenv("STATE_DIRECTORY");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/maintainer", 1);

	assert_int_equal(treg_config_load(NULL, &cfg, NULL), 0);

	assert_string_equal(cfg->state_dir,
	    "/home/maintainer/.local/state/trustreg-crawl");
	treg_config_free(cfg);
}

static void
test_treg_config_load_only_state_dir(void **state)
{
	struct treg_config *cfg = NULL;
	const char *path;
	int rc;

	path = write_conf("state_dir = /srv/treg\n");

	rc = treg_config_load(path, &cfg, NULL);

	assert_int_equal(rc, 0);
	assert_string_equal(cfg->state_dir, "/srv/treg");
	assert_non_null(cfg->registry);
	assert_int_equal(cfg->timeout, 60);
	treg_config_free(cfg);
	unlink(path);
}

static void
test_treg_config_load_every_kind_of_value(void **state)
{
	struct treg_config *cfg = NULL;
	const char *path;
	int rc;

	path = write_conf(
	    "# a comment\n"
	    "; another\n"
	    "registry = /srv/registry.json\n"
	    "contact = mailto:ops@example.org\n"
	    "timeout = 2m\n"
	    "max_body = 5M\n"
	    "max_text = 512K\n"
	    "review_after_days = 30\n"
	    "report_time = 05:30\n"
	    "interval = 12h\n"
	    "log_level = debug\n"
	    "\n"
	    "[network]\n"
	    "resolve = trustcenter.cohere.com:443:127.0.0.1\n"
	    "resolve = cohere.com:443:127.0.0.1\n"
	    "allow_address = 127.0.0.1\n"
	    "ca_file = /dev/null\n");

	rc = treg_config_load(path, &cfg, NULL);

	assert_int_equal(rc, 0);
	assert_string_equal(cfg->registry, "/srv/registry.json");
	assert_int_equal(cfg->timeout, 120);
	assert_int_equal(cfg->max_body, 5 * 1024 * 1024);
	assert_int_equal(cfg->max_text, 512 * 1024);
	assert_int_equal(cfg->review_after_days, 30);
	assert_string_equal(cfg->report_time, "05:30");
	assert_int_equal(cfg->interval, 12 * 3600);
	assert_int_equal(cfg->registry_interval, 3600);
	assert_string_equal(cfg->log_level, "debug");
	assert_int_equal(cfg->nresolve, 2);
	assert_string_equal(cfg->resolve[1], "cohere.com:443:127.0.0.1");
	assert_int_equal(cfg->nallow_address, 1);
	assert_string_equal(cfg->allow_address[0], "127.0.0.1");
	assert_string_equal(cfg->ca_file, "/dev/null");
	assert_non_null(strstr(cfg->user_agent, "(+mailto:ops@example.org)"));
	treg_config_free(cfg);
	unlink(path);
}

static void
test_treg_config_load_unknown_key(void **state)
{
	expect_error("state_dir = /x\ntimout = 5\n",
	    "2: unknown key \"timout\"");
}

static void
test_treg_config_load_unknown_key_in_section(void **state)
{
	expect_error("[network]\n\nca = /x\n",
	    "3: unknown key \"ca\" in section [network]");
}

/* An indented line is more of the previous key's value, for inih: the
 * error says so rather than that the key was set twice. */
static void
test_treg_config_load_indented_line(void **state)
{
	expect_error("registry = /x.json\n\tretries = 1\n",
	    "2: indented line, read as more of registry's value (lines must "
	    "not be indented)");
}

/* A misspelt section is named at its header, even with no key after
 * it, rather than its keys called unknown. */
static void
test_treg_config_load_unknown_section(void **state)
{
	expect_error("contact = x\n[netwrk]\nallow_address = 127.0.0.1\n",
	    "2: unknown section [netwrk]");
	expect_error("contact = x\n\n  [empty]\n",
	    "3: unknown section [empty]");
}

static void
test_treg_config_load_key_in_wrong_section(void **state)
{
	expect_error("[network]\ntimeout = 5\n",
	    "2: unknown key \"timeout\" in section [network]");
}

static void
test_treg_config_load_bad_number(void **state)
{
	expect_error("timeout = soon\n",
	    "1: timeout: \"soon\" is not a valid duration (at least 1)");
}

static void
test_treg_config_load_negative_number(void **state)
{
	expect_error("per_host = -1\n",
	    "1: per_host: \"-1\" is not a valid number (at least 1)");
}

static void
test_treg_config_load_bad_size_suffix(void **state)
{
	expect_error("\nmax_body = 10 MB\n",
	    "2: max_body: \"10 MB\" is not a valid size (at least 1024)");
}

static void
test_treg_config_load_bad_time(void **state)
{
	expect_error("report_time = 25:00\n",
	    "1: report_time: \"25:00\" is not a time of day (HH:MM)");
}

static void
test_treg_config_load_bad_level(void **state)
{
	expect_error("log_level = loud\n",
	    "1: log_level: unknown level \"loud\" (err, warning, notice, "
	    "info or debug)");
}

static void
test_treg_config_load_duplicate_scalar(void **state)
{
	expect_error("timeout = 5\n\ntimeout = 6\n",
	    "3: timeout already set on line 1");
}

static void
test_treg_config_load_syntax_error(void **state)
{
	expect_error("state_dir = /x\nthis is not a setting\n",
	    "2: syntax error (expected KEY = VALUE or [SECTION])");
}

static void
test_treg_config_load_long_line(void **state)
{
	char text[600];

	memset(text, 'a', sizeof(text));
	memcpy(text, "registry = /", 12);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';

	expect_error(text, "1: line longer than 198 bytes");
}

static void
test_treg_config_load_bad_resolve(void **state)
{
	expect_error("[network]\nresolve = host-only\n",
	    "2: resolve: \"host-only\" is not HOST:PORT:ADDRESS");
}

static void
test_treg_config_load_bad_connect_to(void **state)
{
	expect_error("[network]\nconnect_to = a:443:b\n",
	    "2: connect_to: \"a:443:b\" is not "
	    "HOST:PORT:CONNECT-HOST:CONNECT-PORT");
}

static void
test_treg_config_load_allow_address_not_literal(void **state)
{
	expect_error("[network]\nallow_address = localhost\n",
	    "2: allow_address: \"localhost\" is not an IPv4 or IPv6 "
	    "address");
}

static void
test_treg_config_load_extract_threads(void **state)
{
	struct treg_config *cfg = NULL;
	const char *path;
	int rc;

	path = write_conf("extract_threads = 0\n");

	rc = treg_config_load(path, &cfg, NULL);

	assert_int_equal(rc, 0);
	assert_int_equal(cfg->extract_threads, 0);
	treg_config_free(cfg);
	unlink(path);
}

static void
test_treg_config_load_too_many_extract_threads(void **state)
{
	expect_error("max_text = 1M\nextract_threads = 65\n",
	    "2: extract_threads: \"65\" is more than 64 threads");
}

/*
 * Every number has a largest value, so that no sum, product or shift of
 * one overflows: each key's limit is accepted and one more is refused,
 * naming the limit and its unit, as is a number past what a long holds.
 */
static void
test_treg_config_load_number_past_its_limit(void **state)
{
	static const struct {
		const char *key;
		long max;
		const char *unit;
	} limits[] = {
		{ "timeout", 86400, "seconds" },
		{ "connect_timeout", 3600, "seconds" },
		{ "low_speed_limit", 1073741824, "bytes" },
		{ "low_speed_time", 86400, "seconds" },
		{ "max_body", 1073741824, "bytes" },
		{ "max_decoded", 1073741824, "bytes" },
		{ "max_header", 1048576, "bytes" },
		{ "max_text", 1073741824, "bytes" },
		{ "max_redirects", 50, "redirects" },
		{ "max_connections", 1024, "transfers" },
		{ "per_host", 1024, "transfers" },
		{ "host_delay_ms", 86400000, "ms" },
		{ "retries", 20, "retries" },
		{ "retry_after_max", 604800, "seconds" },
		{ "retry_after_wait", 86400, "seconds" },
		{ "retry_backoff_ms", 60000, "ms" },
		{ "dead_after_failures", 1000, "failures" },
		{ "dead_after_hours", 87600, "hours" },
		{ "extract_threads", 64, "threads" },
		{ "review_after_days", 36500, "days" },
		{ "region_context", 1000, "blocks" },
		{ "history_days", 36500, "days" },
		{ "interval", 31536000, "seconds" },
		{ "registry_interval", 31536000, "seconds" },
	};
	struct treg_config *cfg = NULL;
	char *text = NULL, *msg = NULL;
	const char *path;
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		assert_true(asprintf(&text, "%s = %ld\n", limits[i].key,
		    limits[i].max) > 0);
		path = write_conf(text);
		assert_int_equal(treg_config_load(path, &cfg, NULL), 0);
		treg_config_free(cfg);
		cfg = NULL;
		unlink(path);
		free(text);

		assert_true(asprintf(&text, "%s = %ld\n", limits[i].key,
		    limits[i].max + 1) > 0);
		assert_true(asprintf(&msg, "1: %s: \"%ld\" is more than %ld %s",
		    limits[i].key, limits[i].max + 1, limits[i].max,
		    limits[i].unit) > 0);
		expect_error(text, msg);
		free(text);
		free(msg);
	}
	expect_error("history_days = 9223372036854775807\n",
	    "1: history_days: \"9223372036854775807\" is more than 36500 "
	    "days");
	expect_error("timeout = 99999999999999999999\n",
	    "1: timeout: \"99999999999999999999\" is more than 86400 "
	    "seconds");
	expect_error("max_body = 2G\n",
	    "1: max_body: \"2G\" is more than 1073741824 bytes");
	expect_error("interval = 366d\n",
	    "1: interval: \"366d\" is more than 31536000 seconds");

	/* Duration units in either case, as sizes take theirs. */
	path = write_conf("interval = 2D\ntimeout = 1M\n");
	assert_int_equal(treg_config_load(path, &cfg, NULL), 0);
	assert_int_equal(cfg->interval, 2 * 86400);
	assert_int_equal(cfg->timeout, 60);
	treg_config_free(cfg);
	unlink(path);
}

/* Relative paths name files beside the configuration file, wherever the
 * program is started; URLs and absolute paths stay as written. */
static void
test_treg_config_load_relative_paths_from_its_directory(void **state)
{
	struct treg_config *cfg = NULL;
	char dir[] = "/tmp/treg-test-confdir-XXXXXX", path[64], ca[64];
	char want[96], cwd[4096];
	FILE *fp;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	fp = fopen(ca, "w");
	assert_non_null(fp);
	fclose(fp);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("registry = data/registry.json\nstate_dir = state\n"
	    "[network]\nca_file = ca.pem\n", fp);
	fclose(fp);
	assert_int_equal(chdir("/"), 0);

	assert_int_equal(treg_config_load(path, &cfg, NULL), 0);

	snprintf(want, sizeof(want), "%s/data/registry.json", dir);
	assert_string_equal(cfg->registry, want);
	snprintf(want, sizeof(want), "%s/state", dir);
	assert_string_equal(cfg->state_dir, want);
	assert_string_equal(cfg->ca_file, ca);
	treg_config_free(cfg);

	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("registry = https://registry.example/data.json\n", fp);
	fclose(fp);
	assert_int_equal(treg_config_load(path, &cfg, NULL), 0);
	assert_string_equal(cfg->registry,
	    "https://registry.example/data.json");
	treg_config_free(cfg);
	unlink(path);
	unlink(ca);
	rmdir(dir);
	assert_int_equal(chdir(cwd), 0);
}

static void
test_treg_config_load_ca_file_missing(void **state)
{
	expect_error("[network]\nca_file = /nonexistent/ca.pem\n",
	    "2: ca_file: /nonexistent/ca.pem: No such file or directory");
}

static void
test_treg_config_load_directory(void **state)
{
	struct treg_config *cfg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_config_load("/tmp", &cfg, &err);

	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "/tmp: not a regular file");
	free(err);
}

static void
test_treg_config_load_nul_bytes(void **state)
{
	struct treg_config *cfg = NULL;
	char *err = NULL, *want = NULL;
	const char text[] = "retries = 1\n\0\0\0\nretries = 2\n";
	const char *path;
	int fd, rc;

	path = write_conf("");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_true(asprintf(&want, "%s:2: NUL byte in a text file",
	    path) > 0);

	rc = treg_config_load(path, &cfg, &err);

	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, want);
	free(err);
	free(want);
	unlink(path);
}

static void
test_treg_config_load_fifo(void **state)
{
	char path[64] = "/tmp/treg-test-fifo-XXXXXX";
	struct treg_config *cfg = NULL;
	char *err = NULL;
	int rc;

	assert_non_null(mkdtemp(path));
	strncat(path, "/f", sizeof(path) - strlen(path) - 1);
	assert_int_equal(mkfifo(path, 0600), 0);

	rc = treg_config_load(path, &cfg, &err);

	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, ": not a regular file"));
	free(err);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

static void
test_treg_config_load_missing_file(void **state)
{
	struct treg_config *cfg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_config_load("/nonexistent/treg.conf", &cfg, &err);

	assert_int_equal(rc, -ENOENT);
	assert_null(cfg);
	assert_string_equal(err,
	    "/nonexistent/treg.conf: No such file or directory");
	free(err);
}

/* The file looked for is the build's sysconfdir copy; the path that is
 * used is that one or none. */
static void
test_treg_config_default_file(void **state)
{
	const char *file = treg_config_default_file();
	const char *used = treg_config_default_path();
	size_t n = strlen(file), tail = strlen("/trustreg-crawl/"
	    "trustreg-crawl.conf");

	assert_true(n > tail);
	assert_string_equal(file + n - tail,
	    "/trustreg-crawl/trustreg-crawl.conf");
	if (used != NULL)
		assert_string_equal(used, file);
	else
		assert_int_equal(access(file, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_config_load_defaults_without_file),
		cmocka_unit_test(test_treg_config_load_state_dir_from_systemd),
		cmocka_unit_test(test_treg_config_load_state_dir_from_xdg),
		cmocka_unit_test(test_treg_config_load_only_state_dir),
		cmocka_unit_test(test_treg_config_load_every_kind_of_value),
		cmocka_unit_test(test_treg_config_load_unknown_key),
		cmocka_unit_test(test_treg_config_load_unknown_key_in_section),
		cmocka_unit_test(test_treg_config_load_unknown_section),
		cmocka_unit_test(test_treg_config_load_key_in_wrong_section),
		cmocka_unit_test(test_treg_config_load_indented_line),
		cmocka_unit_test(test_treg_config_load_bad_number),
		cmocka_unit_test(test_treg_config_load_negative_number),
		cmocka_unit_test(test_treg_config_load_bad_size_suffix),
		cmocka_unit_test(test_treg_config_load_bad_time),
		cmocka_unit_test(test_treg_config_load_bad_level),
		cmocka_unit_test(test_treg_config_load_duplicate_scalar),
		cmocka_unit_test(test_treg_config_load_syntax_error),
		cmocka_unit_test(test_treg_config_load_long_line),
		cmocka_unit_test(test_treg_config_load_bad_resolve),
		cmocka_unit_test(test_treg_config_load_bad_connect_to),
		cmocka_unit_test(
		    test_treg_config_load_allow_address_not_literal),
		cmocka_unit_test(test_treg_config_load_extract_threads),
		cmocka_unit_test(
		    test_treg_config_load_too_many_extract_threads),
		cmocka_unit_test(
		    test_treg_config_load_number_past_its_limit),
		cmocka_unit_test(
		    test_treg_config_load_relative_paths_from_its_directory),
		cmocka_unit_test(test_treg_config_load_ca_file_missing),
		cmocka_unit_test(test_treg_config_load_directory),
		cmocka_unit_test(test_treg_config_load_nul_bytes),
		cmocka_unit_test(test_treg_config_load_fifo),
		cmocka_unit_test(test_treg_config_load_missing_file),
		cmocka_unit_test(test_treg_config_default_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
