/* SPDX-License-Identifier: MIT */
/*
 * Registry export bundles: a .tar, .tar.gz (.tgz) or .zip of registry
 * JSON files, read member by member through libarchive without unpacking
 * anything to disk.  Only regular members whose names stay inside the
 * bundle are read: absolute names, ".." components, links, devices and
 * members over TREG_BUNDLE_MEMBER_MAX are refused, naming the member.
 */
#ifndef TREG_BUNDLE_H
#define TREG_BUNDLE_H

#include <stddef.h>

struct treg_registry;

#define TREG_BUNDLE_MEMBER_MAX	((size_t)32 << 20)	/* one member */
#define TREG_BUNDLE_TOTAL_MAX   ((size_t)128 << 20)     /* all of them */
#define TREG_BUNDLE_MEMBERS_MAX	4096

/* Returns 1 when path names a bundle by its suffix, 0 otherwise. */
int	treg_bundle_is_bundle(const char *path);

/*
 * Loads every "*.json" member of the bundle at path (in name order) as
 * one registry, as treg_registry_load() does for a directory.  Messages
 * name the file as "BUNDLE:MEMBER".  On success sets *regp (caller frees
 * with treg_registry_free()) and returns 0; otherwise returns a negative
 * errno and, when errp is not NULL, a malloc'd message in *errp.
 */
int	treg_bundle_load(const char *path, struct treg_registry **regp,
	    char **errp);

#endif
