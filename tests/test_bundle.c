/* SPDX-License-Identifier: MIT */
/*
 * Tests of registry bundles.  Each case writes its bundle with libarchive
 * into a temporary directory (nothing is shipped pre-made), then loads
 * it: the good ones give the registry, the hostile ones are refused with
 * a message naming the member.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "bundle.h"
#include "registry.h"

#define REGISTRY_FILE	TREG_SRCDIR "/data/registry.json"

enum member_kind { M_FILE, M_SYMLINK, M_HARDLINK, M_FIFO };

struct member {
	const char *name;
	enum member_kind kind;
	const char *data;	/* NULL: the real registry */
};

static char tmpdir[64];

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *data;
	long len;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*lenp = (size_t)len;
	return data;
}

/* Writes a bundle at dir/name (format by suffix) with the members. */
static char *
make_bundle(const char *name, const struct member *m, size_t n)
{
	struct archive_entry *e;
	struct archive *a;
	char *path = NULL, *reg;
	size_t reglen, i, len;
	const char *data;

	reg = slurp(REGISTRY_FILE, &reglen);
	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	a = archive_write_new();
	if (strstr(name, ".zip") != NULL) {
		archive_write_set_format_zip(a);
	} else {
		archive_write_set_format_pax_restricted(a);
		if (strstr(name, ".gz") != NULL)
			archive_write_add_filter_gzip(a);
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		data = m[i].data != NULL ? m[i].data : reg;
		len = m[i].data != NULL ? strlen(m[i].data) : reglen;
		e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_perm(e, 0644);
		switch (m[i].kind) {
		case M_FILE:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)len);
			break;
		case M_SYMLINK:
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, "/etc/passwd");
			len = 0;
			break;
		case M_HARDLINK:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, "registry.json");
			len = 0;
			break;
		case M_FIFO:
			archive_entry_set_filetype(e, AE_IFIFO);
			len = 0;
			break;
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len > 0)
			assert_int_equal(archive_write_data(a, data, len),
			    (la_ssize_t)len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(reg);
	return path;
}

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/test_bundle.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Loads the bundle; returns the result and the message. */
static int
load(const char *path, struct treg_registry **reg, char **err)
{
	*reg = NULL;
	*err = NULL;
	return treg_registry_load(path, reg, err);
}

static void
test_treg_bundle_load_reads_tar_gz(void **state)
{
	static const struct member m[] = {
		{ "export/", M_FILE, "" },
		{ "export/registry.json", M_FILE, NULL },
		{ "export/README.txt", M_FILE, "not json, skipped" },
	};
	struct treg_registry *reg;
	char *path, *err;

	path = make_bundle("good.tar.gz", m + 1, 2);

	assert_int_equal(load(path, &reg, &err), 0);

	assert_null(err);
	assert_non_null(treg_registry_find(reg, "cohere-api"));
	treg_registry_free(reg);
	free(path);
}

static void
test_treg_bundle_load_reads_zip(void **state)
{
	static const struct member m[] = {
		{ "registry.json", M_FILE, NULL },
	};
	struct treg_registry *reg;
	char *path, *err;

	path = make_bundle("good.zip", m, 1);

	assert_int_equal(load(path, &reg, &err), 0);

	assert_non_null(treg_registry_find(reg, "cohere-api"));
	treg_registry_free(reg);
	free(path);
}

static void
test_treg_bundle_load_refuses_dotdot(void **state)
{
	static const struct member m[] = {
		{ "registry.json", M_FILE, NULL },
		{ "../escape.json", M_FILE, "{}" },
	};
	struct treg_registry *reg;
	char *path, *err;

	path = make_bundle("dotdot.tar", m, 2);

	assert_int_equal(load(path, &reg, &err), -EPERM);

	assert_null(reg);
	assert_non_null(strstr(err, "\"../escape.json\""));
	assert_non_null(strstr(err, "leaves the bundle"));
	free(err);
	free(path);
}

static void
test_treg_bundle_load_refuses_symlink(void **state)
{
	static const struct member m[] = {
		{ "link.json", M_SYMLINK, NULL },
	};
	struct treg_registry *reg;
	char *path, *err;

	path = make_bundle("link.tar", m, 1);

	assert_int_equal(load(path, &reg, &err), -EPERM);

	assert_non_null(strstr(err, "\"link.json\""));
	assert_non_null(strstr(err, "symbolic link"));
	free(err);
	free(path);
}

static void
test_treg_bundle_load_refuses_absolute_hardlink_and_fifo(void **state)
{
	static const struct member abs[] = {
		{ "/etc/registry.json", M_FILE, "{}" },
	};
	static const struct member hard[] = {
		{ "registry.json", M_FILE, NULL },
		{ "again.json", M_HARDLINK, NULL },
	};
	static const struct member fifo[] = {
		{ "pipe.json", M_FIFO, NULL },
	};
	struct treg_registry *reg;
	char *p1, *p2, *p3, *err;

	p1 = make_bundle("abs.tar", abs, 1);
	p2 = make_bundle("hard.tar", hard, 2);
	p3 = make_bundle("fifo.tar", fifo, 1);

	assert_int_equal(load(p1, &reg, &err), -EPERM);
	assert_non_null(strstr(err, "/etc/registry.json"));
	free(err);
	assert_int_equal(load(p2, &reg, &err), -EPERM);
	assert_non_null(strstr(err, "hard link"));
	free(err);
	assert_int_equal(load(p3, &reg, &err), -EPERM);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
	free(p1);
	free(p2);
	free(p3);
}

static void
test_treg_bundle_load_names_member_in_json_errors(void **state)
{
	static const struct member m[] = {
		{ "bad/broken.json", M_FILE, "{\n  \"offerings\": [\n" },
	};
	struct treg_registry *reg;
	char *path, *err;

	path = make_bundle("broken.tgz", m, 1);

	assert_int_equal(load(path, &reg, &err), -EINVAL);

	assert_non_null(strstr(err, "broken.tgz:bad/broken.json:"));
	free(err);
	free(path);
}

static void
test_treg_bundle_is_bundle_by_suffix(void **state)
{
	assert_int_equal(treg_bundle_is_bundle("x.tar"), 1);
	assert_int_equal(treg_bundle_is_bundle("x.tar.gz"), 1);
	assert_int_equal(treg_bundle_is_bundle("x.zip"), 1);
	assert_int_equal(treg_bundle_is_bundle("x.json"), 0);
	assert_int_equal(treg_bundle_is_bundle("dir"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_treg_bundle_load_reads_tar_gz, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_bundle_load_reads_zip, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_bundle_load_refuses_dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_bundle_load_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_bundle_load_refuses_absolute_hardlink_and_fifo,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_treg_bundle_load_names_member_in_json_errors, setup,
		    teardown),
		cmocka_unit_test(test_treg_bundle_is_bundle_by_suffix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
