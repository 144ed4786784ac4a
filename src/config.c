/* SPDX-License-Identifier: MIT */
/*
 * Configuration: built-in defaults, then the file, parsed by inih.  inih
 * as Debian builds it does not pass line numbers to the handler, so the
 * file is fed through our own reader, which counts lines; the handler then
 * knows the line of every key it sees.  The first error stops the load and
 * names FILE:LINE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ini.h>

#include "config.h"
#include "log.h"

#ifndef TREG_SRCDIR
#define TREG_SRCDIR	"."
#endif
#ifndef TREG_DATADIR
#define TREG_DATADIR	"/usr/local/share/trustreg-crawl"
#endif
#ifndef TREG_SBINDIR
#define TREG_SBINDIR	"/usr/local/sbin"
#endif
#ifndef TREG_SYSCONFDIR
#define TREG_SYSCONFDIR	"/usr/local/etc/trustreg-crawl"
#endif

#define CONFIG_DEFAULT_CONTACT	PACKAGE_URL

struct config_parse {
	struct treg_config *cfg;
	FILE	*fp;
	const char *path;
	int	 line;		/* of the last line read */
	int	 long_line;	/* line number of a too-long line, or 0 */
	int	 nul_line;	/* line number of a NUL byte, or 0 */
	int	 indented;	/* the line read starts with a blank */
	int	 max_line;	/* longest line inih takes, with newline */
	char	*err;		/* first error, "FILE:LINE: message" */
	int	 seen[64];	/* line where each scalar key was set */
};

enum config_type {
	CONFIG_STRING,
	CONFIG_LONG,		/* non-negative integer */
	CONFIG_SIZE,		/* bytes, with K, M or G suffix */
	CONFIG_SECONDS,		/* with s, m, h or d suffix */
	CONFIG_LEVEL,		/* a log level name */
	CONFIG_TIME,		/* HH:MM */
	CONFIG_LIST,		/* repeatable string */
	CONFIG_BOOL,		/* yes or no */
};

struct config_key {
	const char *section;	/* "" for the top of the file */
	const char *name;
	enum config_type type;
	size_t	 offset;
	size_t	 count_offset;	/* CONFIG_LIST: its length */
	long	 min;		/* numbers: smallest accepted */
	/* Numbers: largest accepted, so that no product or shift of one
	 * overflows (history_days in seconds, retry_backoff_ms doubled
	 * sixteen times), and what it counts, for the error. */
	long	 max;
	const char *unit;
};

#define OFF(f)		offsetof(struct treg_config, f)
#define HOUR		3600L
#define DAY		(24 * HOUR)
#define MIB		(1024L * 1024)
#define GIB		(1024 * MIB)
static const struct config_key config_keys[] = {
	{ "", "registry", CONFIG_STRING, OFF(registry), 0, 0, 0, NULL },
	{ "", "state_dir", CONFIG_STRING, OFF(state_dir), 0, 0, 0, NULL },
	{ "", "contact", CONFIG_STRING, OFF(contact), 0, 0, 0, NULL },
	{ "", "user_agent", CONFIG_STRING, OFF(user_agent), 0, 0, 0, NULL },
	{ "", "log_level", CONFIG_LEVEL, OFF(log_level), 0, 0, 0, NULL },
	{ "", "timeout", CONFIG_SECONDS, OFF(timeout), 0, 1, DAY, NULL },
	{ "", "connect_timeout", CONFIG_SECONDS, OFF(connect_timeout), 0, 1,
	    HOUR, NULL },
	{ "", "low_speed_limit", CONFIG_SIZE, OFF(low_speed_limit), 0, 0,
	    GIB, NULL },
	{ "", "low_speed_time", CONFIG_SECONDS, OFF(low_speed_time), 0, 1,
	    DAY, NULL },
	{ "", "max_body", CONFIG_SIZE, OFF(max_body), 0, 1024, GIB, NULL },
	{ "", "max_decoded", CONFIG_SIZE, OFF(max_decoded), 0, 1024, GIB,
	    NULL },
	{ "", "max_header", CONFIG_SIZE, OFF(max_header), 0, 1024, MIB,
	    NULL },
	{ "", "max_text", CONFIG_SIZE, OFF(max_text), 0, 1024, GIB, NULL },
	{ "", "max_redirects", CONFIG_LONG, OFF(max_redirects), 0, 0, 50,
	    "redirects" },
	{ "", "max_connections", CONFIG_LONG, OFF(max_connections), 0, 1,
	    1024, "transfers" },
	{ "", "per_host", CONFIG_LONG, OFF(per_host), 0, 1, 1024,
	    "transfers" },
	{ "", "host_delay_ms", CONFIG_LONG, OFF(host_delay_ms), 0, 0,
	    DAY * 1000, "ms" },
	{ "", "retries", CONFIG_LONG, OFF(retries), 0, 0, 20, "retries" },
	{ "", "retry_after_max", CONFIG_SECONDS, OFF(retry_after_max), 0, 0,
	    7 * DAY, NULL },
	{ "", "retry_after_wait", CONFIG_SECONDS, OFF(retry_after_wait), 0,
	    0, DAY, NULL },
	{ "", "retry_backoff_ms", CONFIG_LONG, OFF(retry_backoff_ms), 0, 0,
	    60000, "ms" },
	{ "", "dead_after_failures", CONFIG_LONG,
	    OFF(dead_after_failures), 0, 1, 1000, "failures" },
	{ "", "dead_after_hours", CONFIG_LONG, OFF(dead_after_hours), 0, 0,
	    87600, "hours" },
	{ "", "extract_threads", CONFIG_LONG, OFF(extract_threads), 0, 0,
	    TREG_CONFIG_MAX_THREADS, "threads" },
	{ "", "review_after_days", CONFIG_LONG, OFF(review_after_days), 0, 1,
	    36500, "days" },
	{ "", "region_context", CONFIG_LONG, OFF(region_context), 0, 0,
	    1000, "blocks" },
	{ "", "history_days", CONFIG_LONG, OFF(history_days), 0, 1, 36500,
	    "days" },
	{ "", "soft404_probe", CONFIG_BOOL, OFF(soft404_probe), 0, 0, 0,
	    NULL },
	{ "", "report_time", CONFIG_TIME, OFF(report_time), 0, 0, 0, NULL },
	{ "", "interval", CONFIG_SECONDS, OFF(interval), 0, 1, 365 * DAY,
	    NULL },
	{ "", "registry_interval", CONFIG_SECONDS, OFF(registry_interval),
	    0, 1, 365 * DAY, NULL },
	{ "network", "proxy", CONFIG_STRING, OFF(proxy), 0, 0, 0, NULL },
	{ "network", "ca_file", CONFIG_STRING, OFF(ca_file), 0, 0, 0, NULL },
	{ "network", "resolve", CONFIG_LIST, OFF(resolve), OFF(nresolve), 0,
	    0, NULL },
	{ "network", "allow_address", CONFIG_LIST, OFF(allow_address),
	    OFF(nallow_address), 0, 0, NULL },
	{ "network", "connect_to", CONFIG_LIST, OFF(connect_to),
	    OFF(nconnect_to), 0, 0, NULL },
};
#undef OFF
#undef HOUR
#undef DAY
#undef MIB
#undef GIB

/* The state directory a service or a user expects when none is set. */
static char *
config_default_state_dir(void)
{
	const char *dir, *home;
	char *path = NULL;
	size_t len;

	dir = getenv("STATE_DIRECTORY");
	if (dir != NULL && *dir != '\0') {
		/* systemd lists several directories separated by ':'. */
		len = strcspn(dir, ":");
		return strndup(dir, len);
	}
	dir = getenv("XDG_STATE_HOME");
	if (dir != NULL && *dir == '/') {
		if (asprintf(&path, "%s/trustreg-crawl", dir) < 0)
			return NULL;
		return path;
	}
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		home = "/";
	if (asprintf(&path, "%s/.local/state/trustreg-crawl", home) < 0)
		return NULL;
	return path;
}

/*
 * The registry a build finds by itself: the installed copy when this is
 * the installed program, else the source tree's copy when the tree is
 * still there (a build run from the tree), else the installed one.
 */
static char *
config_default_registry(void)
{
	char exe[PATH_MAX];
	ssize_t n;
	struct stat st;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (strcmp(exe, TREG_SBINDIR "/trustreg-crawl") == 0)
			return strdup(TREG_DATADIR "/registry.json");
	}
	if (stat(TREG_SRCDIR "/data/registry.json", &st) == 0)
		return strdup(TREG_SRCDIR "/data/registry.json");
	return strdup(TREG_DATADIR "/registry.json");
}

/* Extraction threads: one per online CPU, at most four (past that the
 * event loop's own thread is the limit). */
static long
config_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n < 4 ? n : 4;
}

static int
config_make_user_agent(struct treg_config *cfg)
{
	free(cfg->user_agent);
	cfg->user_agent = NULL;
	if (asprintf(&cfg->user_agent, "%s/%s (+%s)", PACKAGE_NAME,
	    PACKAGE_VERSION, cfg->contact) < 0) {
		cfg->user_agent = NULL;
		return -ENOMEM;
	}
	return 0;
}

struct treg_config *
treg_config_new_default(void)
{
	struct treg_config *cfg;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		goto fail;

	cfg->registry = config_default_registry();
	cfg->state_dir = config_default_state_dir();
	cfg->contact = strdup(CONFIG_DEFAULT_CONTACT);
	cfg->log_level = strdup("notice");
	cfg->report_time = strdup("06:00");
	if (cfg->registry == NULL || cfg->state_dir == NULL ||
	    cfg->contact == NULL || cfg->log_level == NULL ||
	    cfg->report_time == NULL || config_make_user_agent(cfg) < 0)
		goto fail;

	cfg->timeout = 60;
	cfg->connect_timeout = 15;
	cfg->low_speed_limit = 64;
	cfg->low_speed_time = 30;
	cfg->max_body = 10 * 1024 * 1024;
	cfg->max_decoded = 10 * 1024 * 1024;
	cfg->max_header = 64 * 1024;
	cfg->max_text = 2 * 1024 * 1024;
	cfg->max_redirects = 10;
	cfg->max_connections = 16;
	cfg->per_host = 2;
	cfg->host_delay_ms = 1000;
	cfg->interval = 24 * 3600;
	cfg->registry_interval = 3600;
	cfg->retries = 2;
	cfg->retry_after_max = 3600;
	cfg->retry_after_wait = 10;
	cfg->retry_backoff_ms = 1000;
	cfg->dead_after_failures = 3;
	cfg->dead_after_hours = 48;
	cfg->extract_threads = config_default_threads();
	cfg->review_after_days = 90;
	cfg->region_context = 2;
	cfg->history_days = 400;
	cfg->soft404_probe = 1;
	return cfg;

fail:
	log_err("config", "out of memory building the defaults");
	treg_config_free(cfg);
	return NULL;
}

void
treg_config_free(struct treg_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->registry);
	free(cfg->state_dir);
	free(cfg->contact);
	free(cfg->user_agent);
	free(cfg->log_level);
	free(cfg->report_time);
	free(cfg->proxy);
	free(cfg->ca_file);
	for (i = 0; i < cfg->nresolve; i++)
		free(cfg->resolve[i]);
	for (i = 0; i < cfg->nallow_address; i++)
		free(cfg->allow_address[i]);
	for (i = 0; i < cfg->nconnect_to; i++)
		free(cfg->connect_to[i]);
	free(cfg);
}

const char *
treg_config_default_file(void)
{
	return TREG_SYSCONFDIR "/trustreg-crawl.conf";
}

const char *
treg_config_default_path(void)
{
	const char *path = treg_config_default_file();

	return access(path, F_OK) == 0 ? path : NULL;
}

static int
config_error(struct config_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
config_error(struct config_parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->err != NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&p->err, "%s:%d: %s", p->path, p->line, msg) < 0)
		p->err = NULL;
	return 0;
}

/* Parses a non-negative number with an optional unit suffix. */
static int
config_parse_number(const char *value, enum config_type type, long *out)
{
	char *end;
	long long n, unit = 1;

	if (*value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	n = strtoll(value, &end, 10);
	if (errno != 0)
		return -ERANGE;

	if (type == CONFIG_SIZE && *end != '\0') {
		if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0)
			unit = 1024;
		else if (strcasecmp(end, "m") == 0 ||
		    strcasecmp(end, "mib") == 0)
			unit = 1024 * 1024;
		else if (strcasecmp(end, "g") == 0 ||
		    strcasecmp(end, "gib") == 0)
			unit = 1024 * 1024 * 1024;
		else
			return -EINVAL;
	} else if (type == CONFIG_SECONDS && *end != '\0') {
		/* Either case, as sizes take theirs. */
		if (strcasecmp(end, "s") == 0)
			unit = 1;
		else if (strcasecmp(end, "m") == 0)
			unit = 60;
		else if (strcasecmp(end, "h") == 0)
			unit = 3600;
		else if (strcasecmp(end, "d") == 0)
			unit = 86400;
		else
			return -EINVAL;
	} else if (*end != '\0') {
		return -EINVAL;
	}

	if (n > LONG_MAX / unit)
		return -ERANGE;
	*out = (long)(n * unit);
	return 0;
}

static int
config_valid_time(const char *value)
{
	unsigned hh, mm;
	char extra;

	if (strlen(value) != 5 || value[2] != ':')
		return 0;
	if (sscanf(value, "%2u:%2u%c", &hh, &mm, &extra) != 2)
		return 0;
	return hh < 24 && mm < 60;
}

static int
config_count_colons(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == ':';
	return n;
}

static int
config_is_address(const char *value)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, value, addr) == 1 ||
	    inet_pton(AF_INET6, value, addr) == 1;
}

static int
config_set_list(struct config_parse *p, const struct config_key *key,
    const char *value)
{
	char **list = (char **)((char *)p->cfg + key->offset);
	size_t *count = (size_t *)((char *)p->cfg + key->count_offset);

	/* The forms of curl's --resolve and --connect-to. */
	if (strcmp(key->name, "resolve") == 0 &&
	    config_count_colons(value) < 2)
		return config_error(p, "resolve: \"%s\" is not "
		    "HOST:PORT:ADDRESS", value);
	if (strcmp(key->name, "connect_to") == 0 &&
	    config_count_colons(value) != 3)
		return config_error(p, "connect_to: \"%s\" is not "
		    "HOST:PORT:CONNECT-HOST:CONNECT-PORT", value);
	if (strcmp(key->name, "allow_address") == 0 &&
	    !config_is_address(value))
		return config_error(p, "allow_address: \"%s\" is not an "
		    "IPv4 or IPv6 address", value);

	if (*count >= TREG_CONFIG_MAX_LIST)
		return config_error(p, "%s: more than %d entries", key->name,
		    TREG_CONFIG_MAX_LIST);
	list[*count] = strdup(value);
	if (list[*count] == NULL)
		return config_error(p, "out of memory");
	(*count)++;
	return 1;
}

/* The keys naming a file or directory, which a relative value names
 * from the configuration file's directory. */
static int
config_is_path(const struct config_key *key)
{
	return strcmp(key->name, "registry") == 0 ||
	    strcmp(key->name, "state_dir") == 0 ||
	    strcmp(key->name, "ca_file") == 0;
}

/*
 * Sets a path key from a relative value, joined to the directory of the
 * configuration file: where the file is, not where the program happens
 * to be started (a newcomer's "registry = registry.json" read fine from
 * its own directory and failed from any other).
 */
static int
config_set_relative(struct config_parse *p, const struct config_key *key,
    const char *value, void *field)
{
	const char *slash = strrchr(p->path, '/');
	char *joined;
	int n, err;

	if (slash == NULL)
		n = asprintf(&joined, "%s", value);
	else
		n = asprintf(&joined, "%.*s/%s", (int)(slash - p->path),
		    p->path, value);
	if (n < 0)
		return config_error(p, "out of memory");
	if (strcmp(key->name, "ca_file") == 0 && access(joined, R_OK) != 0) {
		err = errno;
		config_error(p, "ca_file: %s: %s", joined, strerror(err));
		free(joined);
		return 0;
	}
	free(*(char **)field);
	*(char **)field = joined;
	return 1;
}

static int
config_set(struct config_parse *p, const struct config_key *key,
    const char *value)
{
	void *field = (char *)p->cfg + key->offset;
	enum treg_log_level level;
	long n;
	int rc;

	switch (key->type) {
	case CONFIG_LIST:
		return config_set_list(p, key, value);
	case CONFIG_LEVEL:
		if (treg_log_parse_level(value, &level) < 0)
			return config_error(p, "%s: unknown level \"%s\" "
			    "(err, warning, notice, info or debug)",
			    key->name, value);
		break;
	case CONFIG_BOOL:
		if (strcmp(value, "yes") == 0)
			*(int *)field = 1;
		else if (strcmp(value, "no") == 0)
			*(int *)field = 0;
		else
			return config_error(p, "%s: \"%s\" is not yes or no",
			    key->name, value);
		return 1;
	case CONFIG_TIME:
		if (!config_valid_time(value))
			return config_error(p, "%s: \"%s\" is not a time "
			    "of day (HH:MM)", key->name, value);
		break;
	case CONFIG_STRING:
		if (*value == '\0')
			return config_error(p, "%s: empty value", key->name);
		if (config_is_path(key) && *value != '/' &&
		    strstr(value, "://") == NULL)
			return config_set_relative(p, key, value, field);
		/* Better now, with a line number, than at the first fetch. */
		if (strcmp(key->name, "ca_file") == 0 &&
		    access(value, R_OK) != 0)
			return config_error(p, "ca_file: %s: %s", value,
			    strerror(errno));
		break;
	default:
		rc = config_parse_number(value, key->type, &n);
		if (rc == -ERANGE || (rc == 0 && n > key->max))
			return config_error(p, "%s: \"%s\" is more than %ld "
			    "%s", key->name, value, key->max,
			    key->unit != NULL ? key->unit :
			    key->type == CONFIG_SIZE ? "bytes" : "seconds");
		if (rc < 0 || n < key->min)
			return config_error(p, "%s: \"%s\" is not a valid %s "
			    "(at least %ld)", key->name, value,
			    key->type == CONFIG_SIZE ? "size" :
			    key->type == CONFIG_SECONDS ? "duration" :
			    "number", key->min);
		if (key->type == CONFIG_SIZE && key->offset !=
		    offsetof(struct treg_config, low_speed_limit))
			*(size_t *)field = (size_t)n;
		else
			*(long *)field = n;
		return 1;
	}

	free(*(char **)field);
	*(char **)field = strdup(value);
	if (*(char **)field == NULL)
		return config_error(p, "out of memory");
	return 1;
}

static int
config_handler_cb(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_parse *p = user;
	const struct config_key *key = NULL;
	size_t i;

	if (p->err != NULL)
		return 0;
	if (p->nul_line != 0) {
		p->line = p->nul_line;
		return config_error(p, "NUL byte in a text file");
	}
	if (p->long_line != 0)
		return config_error(p, "line longer than %d bytes",
		    p->max_line - 2);

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0) {
			key = &config_keys[i];
			break;
		}
	}
	if (key == NULL) {
		if (*section != '\0')
			return config_error(p, "unknown key \"%s\" in "
			    "section [%s]", name, section);
		return config_error(p, "unknown key \"%s\"", name);
	}

	/* A scalar set twice is most likely a typo in one of the two. */
	if (key->type != CONFIG_LIST) {
		/* inih reads an indented line as more of the previous
		 * key's value, which then looks set twice. */
		if (p->seen[i] != 0 && p->indented)
			return config_error(p, "indented line, read as more "
			    "of %s's value (lines must not be indented)",
			    name);
		if (p->seen[i] != 0)
			return config_error(p, "%s already set on line %d",
			    name, p->seen[i]);
		p->seen[i] = p->line;
	}
	if (key->offset == offsetof(struct treg_config, registry))
		p->cfg->registry_line = p->line;
	return config_set(p, key, value);
}

/* Whether name is a section some key lives in. */
static int
config_section_known(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (config_keys[i].section[0] != '\0' &&
		    strlen(config_keys[i].section) == len &&
		    memcmp(config_keys[i].section, name, len) == 0)
			return 1;
	return 0;
}

/* A section header must name a known section; an unknown one is an error
 * at its own line.  inih hands over keys only, so a misspelt section was
 * reported at its first key as an unknown key, or not at all when no key
 * followed. */
static void
config_check_section(struct config_parse *p, const char *line)
{
	const char *end;

	line += strspn(line, " \t");
	if (*line != '[')
		return;
	end = strchr(line, ']');
	if (end != NULL && !config_section_known(line + 1,
	    (size_t)(end - line - 1)))
		config_error(p, "unknown section %.*s", (int)(end - line + 1),
		    line);
}

/*
 * Reads one line for inih, counting lines.  A line too long for inih's
 * fixed buffer, or holding a NUL byte (which a C string would silently
 * end at), is remembered as an error rather than fed to inih in pieces.
 */
static char *
config_reader_cb(char *str, int num, void *stream)
{
	struct config_parse *p = stream;
	int c, len = 0;

	/* inih's line buffer is fixed when the library is built. */
	p->max_line = num;
	c = getc(p->fp);
	if (c == EOF)
		return NULL;
	p->line++;
	p->indented = c == ' ' || c == '\t';

	for (; c != EOF; c = getc(p->fp)) {
		if (c == '\0' && p->nul_line == 0)
			p->nul_line = p->line;
		if (len < num - 1)
			str[len++] = c == '\0' ? ' ' : (char)c;
		else if (p->long_line == 0)
			p->long_line = p->line;
		if (c == '\n')
			break;
	}
	str[len] = '\0';
	config_check_section(p, str);
	return str;
}

static int
config_key_seen(const struct config_parse *p, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return p->seen[i] != 0;
	return 0;
}

/* Checks that depend on several keys, once the file is read. */
static int
config_validate(struct config_parse *p)
{
	struct treg_config *cfg = p->cfg;

	/* A contact of the operator's goes into the default User-Agent. */
	if (config_key_seen(p, "contact") &&
	    !config_key_seen(p, "user_agent") &&
	    config_make_user_agent(cfg) < 0)
		return config_error(p, "out of memory");
	return 1;
}

int
treg_config_load(const char *path, struct treg_config **cfgp, char **errp)
{
	struct config_parse p;
	struct stat st;
	int rc, first_bad, fd = -1;

	memset(&p, 0, sizeof(p));
	if (errp != NULL)
		*errp = NULL;
	*cfgp = NULL;

	p.cfg = treg_config_new_default();
	if (p.cfg == NULL)
		return -ENOMEM;
	if (path == NULL) {
		*cfgp = p.cfg;
		return 0;
	}

	p.path = path;
	/* Non-blocking open, so a FIFO named by mistake cannot hang us
	 * before the regular-file check refuses it. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (asprintf(&p.err, "%s: %s", path, strerror(errno)) < 0)
			p.err = NULL;
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		if (asprintf(&p.err, "%s: not a regular file", path) < 0)
			p.err = NULL;
		goto out;
	}
	p.fp = fdopen(fd, "r");
	if (p.fp == NULL) {
		rc = -errno;
		goto out;
	}
	fd = -1;

	first_bad = ini_parse_stream(config_reader_cb, &p, config_handler_cb,
	    &p);
	if (first_bad > 0 && p.err == NULL) {
		p.line = first_bad;
		config_error(&p, "syntax error (expected KEY = VALUE or "
		    "[SECTION])");
	} else if (first_bad < 0 && p.err == NULL) {
		config_error(&p, "out of memory");
	}
	if (p.err == NULL && p.nul_line != 0) {
		p.line = p.nul_line;
		config_error(&p, "NUL byte in a text file");
	}
	if (p.err == NULL && p.long_line != 0) {
		p.line = p.long_line;
		config_error(&p, "line longer than %d bytes",
		    p.max_line - 2);
	}
	if (p.err == NULL)
		config_validate(&p);
	rc = p.err != NULL ? -EINVAL : 0;
	if (rc == 0) {
		p.cfg->path = strdup(path);
		if (p.cfg->path == NULL)
			rc = -ENOMEM;
	}

out:
	if (fd >= 0)
		close(fd);
	if (p.fp != NULL)
		fclose(p.fp);
	if (rc < 0) {
		treg_config_free(p.cfg);
		if (errp != NULL)
			*errp = p.err;
		else
			free(p.err);
		return rc;
	}
	*cfgp = p.cfg;
	return 0;
}
