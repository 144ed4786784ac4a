/* SPDX-License-Identifier: MIT */
/*
 * Daemon mode: one libevent loop that crawls the URLs the schedule says
 * are due, a batch at a time, judges the cells they affect, writes the
 * nightly report, and talks to systemd (READY, STATUS, WATCHDOG,
 * RELOADING, STOPPING) through $NOTIFY_SOCKET directly.  Signals arrive
 * through the loop: SIGHUP reloads, SIGUSR1 writes a report, SIGTERM and
 * SIGINT stop.
 */
#ifndef TREG_DAEMON_H
#define TREG_DAEMON_H

struct treg_config;
struct treg_registry;

/* Where the daemon reads its configuration, for reloads. */
struct treg_daemon_args {
	const char *config_path;	/* NULL: treg_config_default_path() */
	const char *state_dir;		/* --state-dir, or NULL */
};

/*
 * Runs the daemon until SIGTERM or SIGINT.  Takes ownership of cfg and reg
 * (a reload replaces them).  Returns 0 after a clean stop, or a negative
 * errno when it could not start (logged).
 */
int	treg_daemon_run(const struct treg_daemon_args *args,
	    struct treg_config *cfg, struct treg_registry *reg);

/* Returns 1 when the registry setting is a URL (https://...), which only
 * the daemon fetches; 0 otherwise. */
int	treg_daemon_registry_is_url(const char *registry);

/*
 * The last good copy of a URL registry that the daemon keeps in the store
 * under cfg->state_dir (opened and closed here).  Returns 0 and sets
 * *regp, -ENOENT when the daemon has not fetched one yet, or another
 * negative errno; on error *errp (if errp is not NULL) gets a malloc'd
 * message.
 */
int	treg_daemon_cached_registry(const struct treg_config *cfg,
	    struct treg_registry **regp, char **errp);

#endif
