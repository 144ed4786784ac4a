/* SPDX-License-Identifier: MIT */
/*
 * Allocation failure injection.  The linker's --wrap sends our code's
 * malloc, calloc, realloc, strdup, strndup and asprintf here; jansson and
 * libxml2 come through their own allocator hooks.  Allocations made
 * inside other libraries (libc, LMDB, inih) are not counted, so a failure
 * there is not injected.
 */
#include <errno.h>
#include <libxml/xmlmemory.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"

void	*__real_malloc(size_t size);
void	*__real_calloc(size_t n, size_t size);
void	*__real_realloc(void *p, size_t size);
char	*__real_strdup(const char *s);
char	*__real_strndup(const char *s, size_t n);
void	*__wrap_malloc(size_t size);
void	*__wrap_calloc(size_t n, size_t size);
void	*__wrap_realloc(void *p, size_t size);
char	*__wrap_strdup(const char *s);
char	*__wrap_strndup(const char *s, size_t n);
int	__real_vasprintf(char **strp, const char *fmt, va_list ap);
int	__wrap_asprintf(char **strp, const char *fmt, ...);
int	__wrap_vasprintf(char **strp, const char *fmt, va_list ap);

static unsigned long failalloc_target;
static unsigned long failalloc_seen;
static int failalloc_hit;

/* Counts one allocation; returns 1 when this one must fail. */
static int
failalloc_tick(void)
{
	failalloc_seen++;
	if (failalloc_target == 0 || failalloc_seen != failalloc_target)
		return 0;
	failalloc_hit = 1;
	errno = ENOMEM;
	return 1;
}

void *
__wrap_malloc(size_t size)
{
	return failalloc_tick() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return failalloc_tick() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	return failalloc_tick() ? NULL : __real_realloc(p, size);
}

char *
__wrap_strdup(const char *s)
{
	return failalloc_tick() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return failalloc_tick() ? NULL : __real_strndup(s, n);
}

int
__wrap_vasprintf(char **strp, const char *fmt, va_list ap)
{
	if (failalloc_tick())
		return -1;
	return __real_vasprintf(strp, fmt, ap);
}

int
__wrap_asprintf(char **strp, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = __wrap_vasprintf(strp, fmt, ap);
	va_end(ap);
	return rc;
}

static void *
failalloc_json_malloc_cb(size_t size)
{
	return __wrap_malloc(size);
}

static void *
failalloc_json_count_cb(size_t size)
{
	failalloc_seen++;
	return __real_malloc(size);
}

/*
 * XXX: libxml2 2.9.14's HTML push parser can spin forever in xmlNextChar()
 * after one of its own allocations fails, so libxml2's allocations are
 * counted but never failed; out-of-memory inside libxml2 is untested.
 */
static void *
failalloc_xml_malloc_cb(size_t size)
{
	failalloc_seen++;
	return __real_malloc(size);
}

static void *
failalloc_xml_realloc_cb(void *p, size_t size)
{
	failalloc_seen++;
	return __real_realloc(p, size);
}

static char *
failalloc_xml_strdup_cb(const char *s)
{
	failalloc_seen++;
	return __real_strdup(s);
}

static void
failalloc_free_cb(void *p)
{
	free(p);
}

void
failalloc_init(void)
{
	json_set_alloc_funcs(failalloc_json_malloc_cb, failalloc_free_cb);
	xmlMemSetup(failalloc_free_cb, failalloc_xml_malloc_cb,
	    failalloc_xml_realloc_cb, failalloc_xml_strdup_cb);
}

void
failalloc_jansson(int may_fail)
{
	json_set_alloc_funcs(may_fail ? failalloc_json_malloc_cb :
	    failalloc_json_count_cb, failalloc_free_cb);
}

void
failalloc_arm(unsigned long n)
{
	failalloc_target = n;
	failalloc_seen = 0;
	failalloc_hit = 0;
}

unsigned long
failalloc_count(void)
{
	return failalloc_seen;
}

int
failalloc_fired(void)
{
	return failalloc_hit;
}
