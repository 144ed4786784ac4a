/* SPDX-License-Identifier: MIT */
/*
 * Bundles through libarchive (this module and the WARC writer are the
 * only ones that include archive.h).  Every member's header is checked
 * before a byte of it is read, and every read is capped, so a hostile
 * bundle can make the load fail but cannot make it write, follow a link
 * or read without bound.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle.h"
#include "log.h"
#include "registry.h"

#define BUNDLE_BLOCK	16384

struct bundle_member {
	char	*name;		/* "BUNDLE:MEMBER" */
	char	*data;
	size_t	 len;
};

struct bundle {
	const char *path;
	struct bundle_member *m;
	size_t	 n;
	size_t	 total;
	char	**errp;
};

static int
bundle_fail(struct bundle *b, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bundle_fail(struct bundle *b, int rc, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (b->errp == NULL || *b->errp != NULL)
		return rc;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	*b->errp = msg;
	return rc;
}

int
treg_bundle_is_bundle(const char *path)
{
	static const char *const suffixes[] = {
		".tar", ".tar.gz", ".tgz", ".zip",
	};
	size_t len = strlen(path), slen, i;

	for (i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		slen = strlen(suffixes[i]);
		if (len > slen && strcmp(path + len - slen, suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

/* A member name stays inside the bundle: relative, no ".." part. */
static int
bundle_name_ok(const char *name)
{
	const char *p = name;
	size_t seg;

	if (name[0] == '\0' || name[0] == '/')
		return 0;
	while (*p != '\0') {
		seg = strcspn(p, "/");
		if (seg == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += seg;
		while (*p == '/')
			p++;
	}
	return 1;
}

static int
bundle_is_json(const char *name)
{
	size_t len = strlen(name);

	return len > 5 && strcmp(name + len - 5, ".json") == 0;
}

/* Refuses what a registry bundle has no business holding. */
static int
bundle_check_entry(struct bundle *b, struct archive_entry *e,
    const char *name)
{
	mode_t type = archive_entry_filetype(e);

	if (!bundle_name_ok(name))
		return bundle_fail(b, -EPERM, "%s: member \"%s\": refused, "
		    "its path leaves the bundle", b->path, name);
	if (archive_entry_symlink(e) != NULL || type == AE_IFLNK)
		return bundle_fail(b, -EPERM, "%s: member \"%s\": refused, "
		    "a symbolic link", b->path, name);
	if (archive_entry_hardlink(e) != NULL)
		return bundle_fail(b, -EPERM, "%s: member \"%s\": refused, "
		    "a hard link", b->path, name);
	if (type != AE_IFREG && type != AE_IFDIR)
		return bundle_fail(b, -EPERM, "%s: member \"%s\": refused, "
		    "not a regular file", b->path, name);
	if (type == AE_IFREG && archive_entry_size_is_set(e) &&
	    archive_entry_size(e) > (la_int64_t)TREG_BUNDLE_MEMBER_MAX)
		return bundle_fail(b, -EFBIG, "%s: member \"%s\": refused, "
		    "larger than %zu MiB", b->path, name,
		    TREG_BUNDLE_MEMBER_MAX >> 20);
	return 0;
}

/* Reads the current member's bytes, capped whatever its header says. */
static int
bundle_read_member(struct bundle *b, struct archive *a, const char *name,
    struct bundle_member *m)
{
	size_t cap = 0;
	la_ssize_t got;
	char *grown;

	for (;;) {
		if (cap - m->len < BUNDLE_BLOCK) {
			cap = cap ? cap * 2 : BUNDLE_BLOCK * 2;
			grown = realloc(m->data, cap + 1);
			if (grown == NULL)
				return -ENOMEM;
			m->data = grown;
		}
		got = archive_read_data(a, m->data + m->len, BUNDLE_BLOCK);
		if (got < 0)
			return bundle_fail(b, -EIO, "%s: member \"%s\": %s",
			    b->path, name, archive_error_string(a));
		if (got == 0)
			break;
		m->len += (size_t)got;
		if (m->len > TREG_BUNDLE_MEMBER_MAX ||
		    b->total + m->len > TREG_BUNDLE_TOTAL_MAX)
			return bundle_fail(b, -EFBIG, "%s: member \"%s\": "
			    "refused, the bundle is over its size cap",
			    b->path, name);
	}
	m->data[m->len] = '\0';
	b->total += m->len;
	return 0;
}

static int
bundle_add(struct bundle *b, struct archive *a, const char *name)
{
	struct bundle_member *grown, *m;
	int rc;

	if (b->n == TREG_BUNDLE_MEMBERS_MAX)
		return bundle_fail(b, -E2BIG, "%s: more than %d members",
		    b->path, TREG_BUNDLE_MEMBERS_MAX);
	grown = realloc(b->m, (b->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	b->m = grown;
	m = &b->m[b->n];
	memset(m, 0, sizeof(*m));
	if (asprintf(&m->name, "%s:%s", b->path, name) < 0) {
		m->name = NULL;
		return -ENOMEM;
	}
	b->n++;
	rc = bundle_read_member(b, a, name, m);
	return rc;
}

static int
bundle_read_all(struct bundle *b)
{
	struct archive_entry *e;
	struct archive *a;
	const char *name;
	int rc = 0, r;

	a = archive_read_new();
	if (a == NULL)
		return -ENOMEM;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, b->path, BUNDLE_BLOCK) !=
	    ARCHIVE_OK) {
		rc = bundle_fail(b, -EINVAL, "%s: not a readable bundle: %s",
		    b->path, archive_error_string(a));
		goto out;
	}

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		name = archive_entry_pathname(e);
		if (name == NULL)
			name = "";
		rc = bundle_check_entry(b, e, name);
		if (rc < 0)
			goto out;
		if (archive_entry_filetype(e) != AE_IFREG ||
		    !bundle_is_json(name))
			continue;
		rc = bundle_add(b, a, name);
		if (rc < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF)
		rc = bundle_fail(b, -EINVAL, "%s: damaged bundle: %s",
		    b->path, archive_error_string(a));
	else if (b->n == 0)
		rc = bundle_fail(b, -ENOENT, "%s: no *.json registry files "
		    "in the bundle", b->path);
out:
	archive_read_free(a);
	return rc;
}

static int
bundle_cmp_member(const void *x, const void *y)
{
	const struct bundle_member *a = x, *b = y;

	return strcmp(a->name, b->name);
}

int
treg_bundle_load(const char *path, struct treg_registry **regp,
    char **errp)
{
	struct treg_registry_part *parts = NULL;
	struct bundle b;
	size_t i;
	int rc;

	*regp = NULL;
	if (errp != NULL)
		*errp = NULL;
	memset(&b, 0, sizeof(b));
	b.path = path;
	b.errp = errp;

	rc = bundle_read_all(&b);
	if (rc < 0)
		goto out;
	qsort(b.m, b.n, sizeof(*b.m), bundle_cmp_member);
	parts = calloc(b.n, sizeof(*parts));
	if (parts == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < b.n; i++) {
		parts[i].name = b.m[i].name;
		parts[i].data = b.m[i].data;
		parts[i].len = b.m[i].len;
	}
	rc = treg_registry_load_parts(path, parts, b.n, regp, errp);
out:
	if (rc < 0 && errp != NULL && *errp == NULL)
		bundle_fail(&b, rc, "%s: %s", path, strerror(-rc));
	for (i = 0; i < b.n; i++) {
		free(b.m[i].name);
		free(b.m[i].data);
	}
	free(b.m);
	free(parts);
	return rc;
}
