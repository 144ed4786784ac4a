/* SPDX-License-Identifier: MIT */
/*
 * trustreg-crawl: command line and wiring.  This is the only file that
 * exits; everything else returns errors to here.  Exit codes: 0 all cells
 * fresh (or without a source), 1 something needs attention, 2 an error
 * stopped the run.
 */
#include <errno.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "crawl.h"
#include "daemon.h"
#include "fetch.h"
#include "log.h"
#include "registry.h"
#include "report.h"
#include "show.h"
#include "store.h"
#include "verdict.h"

#define EXIT_FRESH	0
#define EXIT_ATTENTION	1
#define EXIT_ERROR	2

enum main_mode {
	MODE_DAEMON,
	MODE_ONCE,
	MODE_CHECK,
	MODE_REPORT,
	MODE_SHOW,
};

struct main_opts {
	enum main_mode mode;
	const char *config_path;
	const char *state_dir;
	enum treg_report_format format;
	int	 format_set;
	time_t	 now;
	int	 now_set;
	char	**offerings;
	int	 noffer;
	const char *show;	/* --show OFFERING/CELL or URL */
};

struct main_ctx {
	struct treg_config *cfg;
	struct treg_registry *reg;
	struct treg_store *store;
	const struct treg_offering **selected;
	size_t	 nselected;
};

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: trustreg-crawl [--config FILE] [--state-dir DIR]\n"
	    "       trustreg-crawl [options] --once "
	    "[--format text|json|html|atom]\n"
	    "                      [--now TIME] [OFFERING...]\n"
	    "       trustreg-crawl [options] --report "
	    "[--format text|json|html|atom]\n"
	    "       trustreg-crawl [options] --show OFFERING/CELL|URL\n"
	    "       trustreg-crawl [options] --check\n"
	    "       trustreg-crawl -h | -V\n"
	    "\n"
	    "  (no mode)            run as the daemon until SIGTERM\n"
	    "  -c, --config FILE    configuration file\n"
	    "      --state-dir DIR  store and reports (overrides state_dir)\n"
	    "      --once           crawl the offerings now, print their "
	    "report, exit\n"
	    "      --report         print the report of the verdicts the store "
	    "holds\n"
	    "      --check          validate configuration and registry\n"
	    "      --show WHAT      history of a cell (OFFERING/CELL) or of "
	    "a URL\n"
	    "  -f, --format FMT     text (default), json, html or atom\n"
	    "      --now TIME       crawl and judge as if the clock read TIME\n"
	    "                       (YYYY-MM-DDTHH:MM:SSZ; a scratch store "
	    "only)\n"
	    "  -h, --help           this help\n"
	    "  -V, --version        version\n"
	    "\n"
	    "Exit status: 0 all fresh, 1 something needs attention, "
	    "2 error.\n");
}

/* Parses "YYYY-MM-DDTHH:MM:SSZ" as UTC. */
static int
main_parse_time(const char *s, time_t *out)
{
	struct tm tm, check;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -EINVAL;
	check = tm;
	*out = timegm(&check);

	/* timegm() normalises 30 February into March; refuse it instead.
	 * Before 1970 a time reads as "never" in places, and reports name
	 * four-digit years only: year 0 crawled, then failed its report. */
	if (check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon ||
	    check.tm_hour != tm.tm_hour || check.tm_min != tm.tm_min ||
	    tm.tm_year < 70 || tm.tm_year > 9999 - 1900)
		return -EINVAL;
	return 0;
}

/* The modes exclude each other: say so rather than pick one. */
static int
main_set_mode(struct main_opts *o, enum main_mode mode)
{
	if (o->mode != MODE_DAEMON && o->mode != mode) {
		fprintf(stderr, "trustreg-crawl: --once, --report, --show and "
		    "--check exclude each other\n");
		return -EINVAL;
	}
	o->mode = mode;
	return 0;
}

/* Sets *slot to value, once: a second one would silently win. */
static int
main_set_once(const char **slot, const char *value, const char *name)
{
	if (*slot != NULL) {
		fprintf(stderr, "trustreg-crawl: %s given twice\n", name);
		return -EINVAL;
	}
	*slot = value;
	return 0;
}

/* What getopt_long() refused in arg (ch ':' a missing value, else an
 * unknown option or a value for a flag), under the program's name. */
static void
main_option_error(int ch, const char *arg)
{
	if (ch == ':')
		fprintf(stderr, "trustreg-crawl: %s needs a value (see "
		    "--help)\n", arg);
	/* A long option known but given a value it does not take comes
	 * back with its code in optopt. */
	else if (optopt != 0 && strncmp(arg, "--", 2) == 0)
		fprintf(stderr, "trustreg-crawl: %.*s takes no value (see "
		    "--help)\n", (int)strcspn(arg, "="), arg);
	else
		fprintf(stderr, "trustreg-crawl: unknown option %s (see "
		    "--help)\n", arg);
}

/* An option the mode would ignore is a mistake to point out: -f alone
 * started the daemon, and --now on --report only changed the date the
 * report claims. */
static int
main_check_args(const struct main_opts *o)
{
	const char *err = NULL;

	if (o->noffer > 0 && o->mode != MODE_ONCE)
		err = "offerings are named only with --once";
	else if (o->format_set && o->mode != MODE_ONCE &&
	    o->mode != MODE_REPORT)
		err = "--format applies only to --once and --report";
	else if (o->now_set && o->mode != MODE_ONCE)
		err = "--now applies only to --once";
	if (err == NULL)
		return 0;
	fprintf(stderr, "trustreg-crawl: %s\n", err);
	return -EINVAL;
}

static int
main_parse_args(int argc, char **argv, struct main_opts *o)
{
	enum { OPT_ONCE = 256, OPT_CHECK, OPT_REPORT, OPT_NOW,
	    OPT_STATE_DIR, OPT_SHOW };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "report", no_argument, NULL, OPT_REPORT },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "show", required_argument, NULL, OPT_SHOW },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->now = time(NULL);
	/* Our own messages, under the program's name rather than the path
	 * it was run by. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:f:hV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			if (main_set_once(&o->config_path, optarg,
			    "--config") < 0)
				return -EINVAL;
			break;
		case 'f':
			if (treg_report_parse_format(optarg, &o->format) < 0) {
				fprintf(stderr, "trustreg-crawl: unknown "
				    "format \"%s\" (text, json, html or "
				    "atom)\n", optarg);
				return -EINVAL;
			}
			o->format_set = 1;
			break;
		case 'h':
			main_usage(stdout);
			exit(EXIT_FRESH);
		case 'V':
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(EXIT_FRESH);
		case OPT_ONCE:
			if (main_set_mode(o, MODE_ONCE) < 0)
				return -EINVAL;
			break;
		case OPT_CHECK:
			if (main_set_mode(o, MODE_CHECK) < 0)
				return -EINVAL;
			break;
		case OPT_REPORT:
			if (main_set_mode(o, MODE_REPORT) < 0)
				return -EINVAL;
			break;
		case OPT_NOW:
			if (main_parse_time(optarg, &o->now) < 0) {
				fprintf(stderr, "trustreg-crawl: --now \"%s\" "
				    "is not YYYY-MM-DDTHH:MM:SSZ in the years "
				    "1970-9999\n", optarg);
				return -EINVAL;
			}
			o->now_set = 1;
			break;
		case OPT_STATE_DIR:
			if (main_set_once(&o->state_dir, optarg,
			    "--state-dir") < 0)
				return -EINVAL;
			break;
		case OPT_SHOW:
			if (main_set_mode(o, MODE_SHOW) < 0)
				return -EINVAL;
			o->show = optarg;
			break;
		default:
			main_option_error(ch, argv[optind - 1]);
			return -EINVAL;
		}
	}
	o->offerings = argv + optind;
	o->noffer = argc - optind;
	return main_check_args(o);
}

static int
main_load_config(const struct main_opts *o, struct main_ctx *ctx)
{
	const char *path = o->config_path;
	enum treg_log_level level;
	char *err = NULL;
	int rc;

	if (path == NULL)
		path = treg_config_default_path();
	rc = treg_config_load(path, &ctx->cfg, &err);
	if (rc < 0) {
		log_err("config", "%s", err != NULL ? err : strerror(-rc));
		free(err);
		return rc;
	}
	if (o->state_dir != NULL) {
		free(ctx->cfg->state_dir);
		ctx->cfg->state_dir = strdup(o->state_dir);
		if (ctx->cfg->state_dir == NULL)
			return -ENOMEM;
	}
	if (treg_log_parse_level(ctx->cfg->log_level, &level) == 0)
		treg_log_set_level(level);
	return 0;
}

static int
main_load_registry(const struct main_opts *o, struct main_ctx *ctx)
{
	/* A report, or a cell's history, is printed without the registry,
	 * from the store. */
	enum treg_log_level level = o->mode == MODE_REPORT ||
	    o->mode == MODE_SHOW ? TREG_LOG_WARNING : TREG_LOG_ERR;
	const char *consequence = o->mode == MODE_REPORT ?
	    "; the report lists every stored verdict" :
	    o->mode == MODE_SHOW ? "; whether the cell is still in it is "
	    "not known" : "";
	char *err = NULL;
	int rc;

	/* A registry URL is the daemon's to fetch; the others use the last
	 * good copy it keeps, and a daemon without one starts empty. */
	if (treg_daemon_registry_is_url(ctx->cfg->registry)) {
		rc = treg_daemon_cached_registry(ctx->cfg, &ctx->reg, &err);
		if (rc == -ENOENT && o->mode == MODE_DAEMON) {
			free(err);
			ctx->reg = calloc(1, sizeof(*ctx->reg));
			return ctx->reg != NULL ? 0 : -ENOMEM;
		}
	} else if (o->mode == MODE_CHECK || o->mode == MODE_ONCE ||
	    o->mode == MODE_REPORT || o->mode == MODE_SHOW) {
		/* Checked just the same, without holding the cells: a run
		 * reads each offering again as it needs it. */
		rc = treg_registry_index(ctx->cfg->registry, &ctx->reg, &err);
	} else {
		rc = treg_registry_load(ctx->cfg->registry, &ctx->reg, &err);
	}
#ifdef __GLIBC__
	/* The parsed JSON is freed, but the heap would keep its pages for
	 * the whole run: tens of MiB for a large registry. */
	malloc_trim(0);
#endif
	/* The registry's own errors name its file; which setting chose
	 * that file is the configuration's line. */
	if (rc < 0 && ctx->cfg->registry_line > 0)
		treg_log(level, "registry", "%s (registry set at %s:%d)%s",
		    err != NULL ? err : strerror(-rc), ctx->cfg->path,
		    ctx->cfg->registry_line, consequence);
	else if (rc < 0)
		treg_log(level, "registry", "%s%s", err != NULL ? err :
		    strerror(-rc), consequence);
	free(err);
	return rc;
}

static void
main_list_offerings(const struct treg_registry *reg)
{
	size_t i;

	fprintf(stderr, "known offerings:");
	for (i = 0; i < reg->noffer; i++)
		fprintf(stderr, " %s", reg->offerings[i].id);
	fprintf(stderr, "\n");
}

/* A name given twice is crawled and reported once. */
static int
main_is_selected(const struct main_ctx *ctx, const struct treg_offering *off)
{
	size_t i;

	for (i = 0; i < ctx->nselected; i++)
		if (ctx->selected[i] == off)
			return 1;
	return 0;
}

/* The offerings named on the command line, or all of them. */
static int
main_select(const struct main_opts *o, struct main_ctx *ctx)
{
	const struct treg_offering *off;
	size_t i, n;

	n = o->noffer > 0 ? (size_t)o->noffer : ctx->reg->noffer;
	ctx->selected = calloc(n + 1, sizeof(*ctx->selected));
	if (ctx->selected == NULL)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		if (o->noffer == 0) {
			ctx->selected[ctx->nselected++] =
			    &ctx->reg->offerings[i];
			continue;
		}
		off = treg_registry_find(ctx->reg, o->offerings[i]);
		if (off == NULL) {
			log_err("registry", "unknown offering \"%s\"",
			    o->offerings[i]);
			main_list_offerings(ctx->reg);
			return -ENOENT;
		}
		if (!main_is_selected(ctx, off))
			ctx->selected[ctx->nselected++] = off;
	}
	return 0;
}

static int
main_open_store(struct main_ctx *ctx)
{
	ctx->store = treg_store_open(ctx->cfg->state_dir);
	return ctx->store == NULL ? -EIO : 0;
}

static int
main_add_cb(void *arg, const struct treg_verdict *v)
{
	return treg_report_add(arg, v);
}

static int
main_once(const struct main_opts *o, struct main_ctx *ctx)
{
	struct treg_crawl_stats stats;
	struct treg_report_health health;
	struct treg_report *report = NULL;
	unsigned formats;
	int rc, judged, partial, files_rc;

	if (main_select(o, ctx) < 0 || main_open_store(ctx) < 0)
		return EXIT_ERROR;

	/* A crawl of every offering is a full report, filed in every
	 * form; one of a few is printed only, so latest.* always covers
	 * the whole registry.  The report is built as cells are judged,
	 * and cells are judged as their URLs end. */
	formats = o->noffer == 0 ? TREG_REPORT_ALL :
	    TREG_REPORT_BIT(o->format);
	rc = treg_report_begin(&report, formats, ctx->cfg->state_dir,
	    o->now);
	if (rc < 0) {
		log_err("report", "cannot start the report dir=%s err=%s",
		    ctx->cfg->state_dir, strerror(-rc));
		return EXIT_ERROR;
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "trustreg-crawl: checking %zu offering%s...\n",
		    ctx->nselected, ctx->nselected == 1 ? "" : "s");
	/* XXX: verdicts are stored as offerings are judged, so a run
	 * killed mid-crawl leaves some offerings with this run's verdicts
	 * and the rest with the last run's: --report then shows that mix
	 * with exit 0 (cells never judged it does count). */
	rc = treg_crawl_run_judge(ctx->cfg, ctx->store, ctx->reg,
	    ctx->selected, ctx->nselected, o->now, &stats, main_add_cb,
	    report, &judged);
	if (rc < 0) {
		log_err("crawl", "crawl failed: err=%s", strerror(-rc));
		rc = EXIT_ERROR;
		goto out;
	}
	rc = judged;
	/* Cells that failed are logged; the rest are still reported. */
	partial = rc == -EIO;
	if (rc < 0 && !partial) {
		rc = EXIT_ERROR;
		goto out;
	}

	health.urls_checked = stats.urls;
	health.urls_failed = stats.failed;
	health.ms = stats.ms;
	health.since_start = 0;
	/* Report files that cannot be written fail the run (exit 2), but
	 * the report is still printed: the same bytes, from the same
	 * spools. */
	files_rc = 0;
	if (o->noffer == 0)
		files_rc = treg_report_finish_files(report,
		    ctx->cfg->state_dir, &health);
	rc = treg_report_finish(report, o->format, stdout, &health);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -EIO;
	if (rc < 0) {
		log_err("report", "cannot write the report: err=%s",
		    strerror(-rc));
		rc = EXIT_ERROR;
	} else if (partial || files_rc < 0) {
		rc = EXIT_ERROR;
	} else {
		rc = treg_report_attention(report) > 0 ? EXIT_ATTENTION :
		    EXIT_FRESH;
	}

out:
	treg_report_free(report);
	return rc;
}

/*
 * Adds to report the verdicts of the registry's cells, in its order, and
 * says what it leaves out (*unjudgedp: cells with no verdict); without a
 * registry (reg NULL), every stored verdict.  *storedp says whether the
 * store holds any verdict at all.
 */
static int
main_report_cells(struct main_ctx *ctx, const struct treg_registry *reg,
    struct treg_report *report, size_t *unjudgedp, int *storedp)
{
	struct treg_crawl_coverage cov;
	size_t n = 0;
	int rc;

	memset(&cov, 0, sizeof(cov));
	if (reg == NULL) {
		treg_report_set_no_registry(report);
		rc = treg_crawl_each_stored(ctx->store, main_add_cb, report,
		    &n);
	} else {
		rc = treg_crawl_each_registered(ctx->store, reg, main_add_cb,
		    report, &n, &cov);
		if (rc == 0)
			treg_report_set_coverage(report, cov.unjudged,
			    cov.gone, cov.named, cov.nnamed);
	}
	*unjudgedp = cov.unjudged;
	*storedp = n + cov.gone > 0;
	treg_crawl_coverage_cleanup(&cov);
	return rc;
}

/*
 * Prints the verdicts the store holds for the registry's cells, without
 * crawling: exit 1 when a cell needs attention or has no verdict yet,
 * as neither is known to be fresh.
 */
static int
main_report(const struct main_opts *o, struct main_ctx *ctx)
{
	struct treg_report *report = NULL;
	size_t unjudged = 0;
	int rc, stored = 0, have_reg;

	/* A report from nothing would read as "all fresh": refuse it. */
	if (access(ctx->cfg->state_dir, F_OK) != 0) {
		log_err("report", "no store in %s: run --once or the daemon "
		    "first", ctx->cfg->state_dir);
		return EXIT_ERROR;
	}
	/* Before the store: a registry URL's kept copy is read through a
	 * store handle of its own, and LMDB must not have one open twice
	 * in a process (closing one drops the other's locks). */
	have_reg = main_load_registry(o, ctx) == 0;
	if (main_open_store(ctx) < 0)
		return EXIT_ERROR;
	/* Spooled where tmpfile() puts it: whoever reads the report may
	 * not own the state directory. */
	rc = treg_report_begin(&report, TREG_REPORT_BIT(o->format), NULL,
	    o->now);
	if (rc == 0)
		rc = main_report_cells(ctx, have_reg ? ctx->reg : NULL,
		    report, &unjudged, &stored);
	if (rc == 0 && !stored) {
		log_err("report", "the store in %s holds no verdicts yet: run "
		    "--once or the daemon first", ctx->cfg->state_dir);
		rc = -ENOENT;
	} else if (rc == 0) {
		rc = treg_report_finish(report, o->format, stdout, NULL);
		if (rc < 0)
			log_err("report", "cannot print the report: err=%s",
			    strerror(-rc));
	} else {
		log_err("report", "cannot read the verdicts: err=%s",
		    strerror(-rc));
	}
	if (rc == 0)
		rc = treg_report_attention(report) > 0 || unjudged > 0 ?
		    EXIT_ATTENTION : EXIT_FRESH;
	treg_report_free(report);
	return rc < 0 ? EXIT_ERROR : rc;
}

/* 1 when the registry holds the cell key ("OFFERING/CELL"), 0 when it
 * does not, -1 when that cannot be told (logged). */
static int
main_cell_in_registry(const struct main_opts *o, struct main_ctx *ctx,
    const char *key)
{
	const struct treg_offering *off;
	struct treg_registry *one = NULL;
	const char *cell = strchr(key, '/') + 1;
	char *id, *err = NULL;
	int found;

	if (main_load_registry(o, ctx) < 0)
		return -1;
	id = strndup(key, (size_t)(cell - 1 - key));
	off = id != NULL ? treg_registry_find(ctx->reg, id) : NULL;
	free(id);
	if (off != NULL && ctx->reg->indexed &&
	    treg_registry_read_offering(ctx->reg, off, &one, &err) < 0) {
		log_warn("registry", "%s", err != NULL ? err : "unreadable");
		free(err);
		return -1;
	}
	if (one != NULL)
		off = &one->offerings[0];
	found = treg_offering_cell(off, cell) != NULL;
	treg_registry_free(one);
	return found;
}

static int
main_has_verdict(struct main_ctx *ctx, const char *key)
{
	char *data = NULL;
	size_t len = 0;
	int rc = treg_store_get_cell(ctx->store, key, &data, &len);

	free(data);
	return rc == 0;
}

/* --show: a URL has a scheme; anything else names a cell. */
static int
main_show(const struct main_opts *o, struct main_ctx *ctx)
{
	int rc, in_reg;

	int is_url = strstr(o->show, "://") != NULL;

	if (!is_url && strchr(o->show, '/') == NULL) {
		fprintf(stderr, "trustreg-crawl: --show takes OFFERING/CELL "
		    "or a URL, not \"%s\"\n", o->show);
		return EXIT_ERROR;
	}
	/* As --report: opening a store that is not there would make one. */
	if (access(ctx->cfg->state_dir, F_OK) != 0) {
		log_err("show", "no store in %s: run --once or the daemon "
		    "first", ctx->cfg->state_dir);
		return EXIT_ERROR;
	}
	/* Before the store, as for --report. */
	in_reg = is_url ? -1 : main_cell_in_registry(o, ctx, o->show);
	if (main_open_store(ctx) < 0)
		return EXIT_ERROR;
	if (in_reg == 0 && !main_has_verdict(ctx, o->show)) {
		/* Not looked up: a key past LMDB's limit is an error. */
		fprintf(stderr, "trustreg-crawl: the registry has no cell %s "
		    "(--check counts its cells)\n", o->show);
		return EXIT_ERROR;
	}
	if (in_reg == 0)
		printf("%s is no longer in the registry: this is its last "
		    "verdict, kept in the store.\n", o->show);
	if (is_url)
		rc = treg_show_url(stdout, ctx->store, o->show);
	else
		rc = treg_show_cell(stdout, ctx->store, o->show,
		    (unsigned)ctx->cfg->region_context);
	if (rc == -ENOENT && is_url)
		fprintf(stderr, "trustreg-crawl: %s was never fetched into "
		    "the store in %s\n", o->show, ctx->cfg->state_dir);
	else if (rc == -ENOENT && in_reg == 1)
		fprintf(stderr, "trustreg-crawl: no verdict stored for %s "
		    "yet: it is judged once its URLs are fetched (by the "
		    "daemon, or --once)\n", o->show);
	else if (rc == -ENOENT)
		fprintf(stderr, "trustreg-crawl: no verdict stored for %s: "
		    "not judged yet, or no such cell\n", o->show);
	else if (rc < 0)
		log_err("show", "cannot show %s: err=%s", o->show,
		    strerror(-rc));
	if (rc == 0 && fflush(stdout) != 0)
		rc = -EIO;
	return rc < 0 ? EXIT_ERROR : EXIT_FRESH;
}

static int
main_check(struct main_ctx *ctx)
{
	size_t ncells = ctx->reg->ncells;

	/* Without a file, say where one was looked for: an operator who
	 * installed under another prefix sees why theirs was not read. */
	if (ctx->cfg->path != NULL)
		printf("configuration %s: ok\n", ctx->cfg->path);
	else
		printf("configuration: built-in defaults, ok (no %s)\n",
		    treg_config_default_file());
	printf("registry %s: ok, %zu offering%s, %zu cell%s\n",
	    ctx->cfg->registry, ctx->reg->noffer,
	    ctx->reg->noffer == 1 ? "" : "s", ncells, ncells == 1 ? "" : "s");
	return EXIT_FRESH;
}

/* Runs until SIGTERM/SIGINT; the daemon takes over cfg and reg, which a
 * reload replaces. */
static int
main_daemon(const struct main_opts *o, struct main_ctx *ctx)
{
	struct treg_daemon_args args = { o->config_path, o->state_dir };
	int rc;

	rc = treg_daemon_run(&args, ctx->cfg, ctx->reg);
	ctx->cfg = NULL;
	ctx->reg = NULL;
	return rc < 0 ? EXIT_ERROR : EXIT_FRESH;
}

static void
main_cleanup(struct main_ctx *ctx)
{
	free(ctx->selected);
	treg_store_close(ctx->store);
	treg_registry_free(ctx->reg);
	treg_config_free(ctx->cfg);
}

/*
 * Open files up to the hard limit: every transfer and every idle
 * connection kept for reuse holds one, and the fetcher sizes both by
 * the soft limit, often 1,024 where the hard one is far higher.  For a
 * mode that crawls, says whether a crawl fits in what there is.
 */
static int
main_raise_nofile(int crawls)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (crawls && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)treg_fetch_files_needed()) {
		log_err("main", "the open-file limit is %llu, and a crawl "
		    "needs at least %ld (raise LimitNOFILE or ulimit -n)",
		    (unsigned long long)rl.rlim_cur,
		    treg_fetch_files_needed());
		return -EMFILE;
	}
	return 0;
}

/* libevent ends the process on an internal error it cannot recover
 * from (no files left for its own socket pair): with its exit code 1,
 * which says "cells need attention". */
static void
main_event_fatal(int err)
{
	log_err("main", "the event library failed (err=%d); stopping", err);
	exit(EXIT_ERROR);
}

int
main(int argc, char **argv)
{
	struct main_opts opts;
	struct main_ctx ctx;
	int code = EXIT_ERROR;

	memset(&opts, 0, sizeof(opts));
	memset(&ctx, 0, sizeof(ctx));
	treg_log_set_journal(-1);
	/* glibc raises its mmap threshold each time a large block is freed,
	 * after which bodies and parser buffers come from the heap and what
	 * they leave stays resident.  A fixed trim threshold keeps the
	 * threshold at its 128 KiB start: a crawl's peak was 3-5 MiB lower
	 * for no measurable time. */
	(void)mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	event_set_fatal_callback(main_event_fatal);

	if (main_parse_args(argc, argv, &opts) < 0)
		goto out;
	if (main_raise_nofile(opts.mode == MODE_ONCE ||
	    opts.mode == MODE_DAEMON) < 0)
		goto out;
	if (main_load_config(&opts, &ctx) < 0)
		goto out;
	if (opts.mode != MODE_REPORT && opts.mode != MODE_SHOW &&
	    main_load_registry(&opts, &ctx) < 0)
		goto out;

	switch (opts.mode) {
	case MODE_CHECK:
		code = main_check(&ctx);
		break;
	case MODE_ONCE:
		code = main_once(&opts, &ctx);
		break;
	case MODE_REPORT:
		code = main_report(&opts, &ctx);
		break;
	case MODE_SHOW:
		code = main_show(&opts, &ctx);
		break;
	case MODE_DAEMON:
		code = main_daemon(&opts, &ctx);
		break;
	}

out:
	main_cleanup(&ctx);
	return code;
}
