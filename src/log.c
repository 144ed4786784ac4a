/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr.  Under systemd the journal reads the "<N>" prefix as
 * the syslog priority of the line; on a terminal the level is spelled out
 * instead.  Lines are written with one call so concurrent writers (the
 * daemon and a one-shot run sharing a terminal) do not interleave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "log.h"

static enum treg_log_level log_level = TREG_LOG_NOTICE;
static int log_journal = -1;

static const char *const log_names[] = {
	[TREG_LOG_ERR] = "err",
	[TREG_LOG_WARNING] = "warning",
	[TREG_LOG_NOTICE] = "notice",
	[TREG_LOG_INFO] = "info",
	[TREG_LOG_DEBUG] = "debug",
};

void
treg_log_set_level(enum treg_log_level level)
{
	log_level = level;
}

int
treg_log_parse_level(const char *name, enum treg_log_level *level)
{
	int i;

	for (i = TREG_LOG_ERR; i <= TREG_LOG_DEBUG; i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*level = (enum treg_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void
treg_log_set_journal(int journal)
{
	log_journal = journal;
}

static int
log_use_journal(void)
{
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	return log_journal;
}

void
treg_vlog(enum treg_log_level level, const char *module, const char *fmt,
    va_list ap)
{
	char line[2048];
	int off;

	if (level > log_level)
		return;

	if (log_use_journal())
		off = snprintf(line, sizeof(line), "<%d>%s: ", (int)level,
		    module);
	else
		off = snprintf(line, sizeof(line), "trustreg-crawl: %s: %s: ",
		    log_names[level], module);
	if (off < 0 || (size_t)off >= sizeof(line))
		return;

	/* A message longer than the line is cut, never split in two. */
	vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void
treg_log(enum treg_log_level level, const char *module, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	treg_vlog(level, module, fmt, ap);
	va_end(ap);
}
