/* SPDX-License-Identifier: MIT */
/*
 * Logging.  Levels map one to one to syslog priorities.  Under systemd
 * (JOURNAL_STREAM set, or forced) each line carries an sd-daemon "<N>"
 * prefix on stderr; on a terminal it is plain text.  Every call names its
 * module so a line can be traced to the code that wrote it.
 */
#ifndef TREG_LOG_H
#define TREG_LOG_H

#include <stdarg.h>

enum treg_log_level {
	TREG_LOG_ERR = 3,
	TREG_LOG_WARNING = 4,
	TREG_LOG_NOTICE = 5,
	TREG_LOG_INFO = 6,
	TREG_LOG_DEBUG = 7,
};

/* Sets the most verbose level written (default TREG_LOG_NOTICE). */
void	treg_log_set_level(enum treg_log_level level);

/* Parses "err", "warning", "notice", "info" or "debug"; -EINVAL if none. */
int	treg_log_parse_level(const char *name, enum treg_log_level *level);

/* Chooses "<N>" prefixes (1) or plain lines (0); -1 decides from the
 * environment (JOURNAL_STREAM). */
void	treg_log_set_journal(int journal);

/* Writes one line: "module: message".  The format is never split. */
void	treg_log(enum treg_log_level level, const char *module,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	treg_vlog(enum treg_log_level level, const char *module,
	    const char *fmt, va_list ap);

#define log_err(mod, ...)	treg_log(TREG_LOG_ERR, mod, __VA_ARGS__)
#define log_warn(mod, ...)	treg_log(TREG_LOG_WARNING, mod, __VA_ARGS__)
#define log_notice(mod, ...)	treg_log(TREG_LOG_NOTICE, mod, __VA_ARGS__)
#define log_info(mod, ...)	treg_log(TREG_LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...)	treg_log(TREG_LOG_DEBUG, mod, __VA_ARGS__)

#endif
