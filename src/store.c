/* SPDX-License-Identifier: MIT */
/*
 * The state store over LMDB.  One environment in the state directory holds
 * eight named databases: meta (schema version, id counter), urlid (URL to
 * an 8-byte id), url (id to fetch state), obs (id to fixed-size
 * observations kept sorted by time as duplicates of the id), text (digest
 * to compressed text) and cell (key to opaque bytes), plus the crawl
 * schedule (sched and its time index due, near the end of this
 * file).  Records carry a version byte and little-endian fields; every
 * decoder checks lengths before it reads, so a damaged record reads as
 * -EINVAL, never past its end.  Only this file sees LMDB's codes: they are
 * logged here with the failing call and returned as negative errnos.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <zlib.h>
#include <zstd.h>

#include "arena.h"
#include "log.h"
#include "store.h"

#define STORE_MAPSIZE		((size_t)256 << 20)
#define STORE_MAXDBS		16
#define STORE_GROW_TRIES	40
#define STORE_RELEASE_MS	20	/* least time between map releases */
#define STORE_RELEASE_STEPS	512	/* or reads and walk steps */

/* URLs longer than this are keyed by this many bytes, a hash of the whole
 * URL and a probe byte, because LMDB keys stop at 511 bytes. */
#define STORE_URLKEY_MAX	400
#define STORE_URLKEY_LONG	(STORE_URLKEY_MAX + 8 + 1)
#define STORE_URL_PROBES	16

#define STORE_URL_VERSION	1
#define STORE_URL_HDR		32
#define STORE_URL_NSTR		6
/* Records written before reason and chain were added end after these. */
#define STORE_URL_NSTR_V1	4
#define STORE_STR_NULL		0

#define STORE_OBS_VERSION	1
#define STORE_OBS_SIZE		58
#define STORE_OBS_HAS_DIGEST	0x01

#define STORE_TEXT_VERSION	1
#define STORE_TEXT_HDR		10
#define STORE_TEXT_RAW		0
#define STORE_TEXT_ZLIB		1       /* read only: older stores */
#define STORE_TEXT_ZSTD		2
#define STORE_ZLIB_RATIO        1032    /* deflate's best ratio, plus slack */
#define STORE_TEXT_MAX		((size_t)1 << 31)       /* sanity bound */

enum {
	DB_META,
	DB_URLID,
	DB_URL,
	DB_OBS,
	DB_TEXT,
	DB_CELL,
	DB_SCHED,
	DB_DUE,
	DB_AUX,
	STORE_NDBS
};

static const struct {
	const char	*name;
	unsigned int	 flags;
} store_dbs[STORE_NDBS] = {
	[DB_META] = { "meta", 0 },
	[DB_URLID] = { "urlid", 0 },
	[DB_URL] = { "url", 0 },
	[DB_OBS] = { "obs", MDB_DUPSORT | MDB_DUPFIXED },
	[DB_TEXT] = { "text", 0 },
	[DB_CELL] = { "cell", 0 },
	[DB_SCHED] = { "sched", 0 },
	[DB_DUE] = { "due", 0 },
	[DB_AUX] = { "aux", 0 },
};

struct treg_store {
	MDB_env		*env;
	MDB_txn         *wtxn;          /* the open batch, or NULL */
	char		*dir;
	size_t		 mapsize;
	unsigned int	 nwrites;	/* successful puts in the batch */
	int              batch_err;     /* the batch died; until commit/abort */
	int		 broken;	/* this write op spoilt the txn */
	int		 mapfull;	/* ... because the map was full */
	size_t           want;          /* bytes the failed put needed */
	MDB_dbi		 dbi[STORE_NDBS];
	/* The text last read: judging asks for one page's text once per
	 * cell citing it and again as the cell's baseline. */
	char		 memo_digest[TREG_SHA256_HEXLEN + 1];
	char		*memo_text;
	size_t		 memo_len;
	struct timespec	 released;	/* map pages last let go */
	unsigned	 steps;		/* reads and steps since */
	uintptr_t	 map_lo;	/* data.mdb's mapping, once found */
	uintptr_t	 map_hi;	/* 0: look it up again */
	ZSTD_CCtx       *zc;            /* made at first use, reused */
	ZSTD_DCtx	*zd;
};

static void	store_release_map(struct treg_store *);

/* A long URL's key; short URLs are their own key. */
struct store_urlkey {
	unsigned char	 b[STORE_URLKEY_LONG];
	size_t		 len;
	int		 isshort;
};

/*
 * Byte order helpers.  Keys are big-endian so that memcmp order is numeric
 * order; values are little-endian, the order of the machines we run on.
 */
static void
put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int
store_errno(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
		return -ENOSPC;
	case MDB_TXN_FULL:
	case MDB_CURSOR_FULL:
	case MDB_PAGE_FULL:
		return -E2BIG;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
		return -EAGAIN;
	case MDB_BAD_VALSIZE:
	case MDB_BAD_DBI:
	case MDB_INCOMPATIBLE:
		return -EINVAL;
	case MDB_PAGE_NOTFOUND:
	case MDB_CORRUPTED:
	case MDB_PANIC:
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
	case MDB_BAD_TXN:
	case MDB_BAD_RSLOT:
	case MDB_TLS_FULL:
	case MDB_DBS_FULL:
		return -EIO;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

/* Free space under which a failed write is blamed on a full disk. */
#define STORE_LOW_SPACE	((unsigned long long)64 << 20)

/* Logs a failed LMDB call and returns the errno it stands for.  LMDB
 * reports a write cut short by a full disk as EIO; the free space then
 * says which it was. */
static int
store_fail(const struct treg_store *st, const char *call, int rc)
{
	struct statvfs sv;
	unsigned long long left;
	char hint[96] = "";

	if ((rc == EIO || rc == ENOSPC) && statvfs(st->dir, &sv) == 0) {
		left = (unsigned long long)sv.f_bavail * sv.f_frsize;
		if (left < STORE_LOW_SPACE)
			snprintf(hint, sizeof(hint), " (%llu KiB left on its "
			    "disk, which looks full)", left / 1024);
	}
	log_err("store", "%s: %s dir=%s err=%d%s", call, mdb_strerror(rc),
	    st->dir, rc, hint);
	return store_errno(rc);
}

static int
store_mkdirs(const char *dir)
{
	struct stat sb;
	char *path, *p;
	int rc = 0;

	path = strdup(dir);
	if (path == NULL)
		return -ENOMEM;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			rc = -errno;
			goto out;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		goto out;
	}

	if (stat(path, &sb) != 0)
		rc = -errno;
	else if (!S_ISDIR(sb.st_mode))
		rc = -ENOTDIR;
out:
	free(path);
	return rc;
}

static int
store_used(const struct treg_store *st, size_t *usedp)
{
	MDB_envinfo info;
	MDB_stat ms;
	int rc;

	*usedp = 0;
	rc = mdb_env_info(st->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(st->env, &ms);
	if (rc != 0)
		return store_fail(st, "mdb_env_info", rc);
	*usedp = (info.me_last_pgno + 1) * ms.ms_psize;
	return 0;
}

/*
 * Doubles the map until it holds at least need bytes.  LMDB allows this
 * only while this process has no transaction open, which the callers
 * guarantee: reads never outlive the call that made them.
 */
static int
store_grow(struct treg_store *st, size_t need)
{
	size_t size = st->mapsize;
	int rc;

	do {
		if (size > SIZE_MAX / 2)
			return -ENOSPC;
		size *= 2;
	} while (size < need);

	st->map_hi = 0;		/* remapped, perhaps elsewhere */
	rc = mdb_env_set_mapsize(st->env, size);
	if (rc != 0)
		return store_fail(st, "mdb_env_set_mapsize", rc);
	st->mapsize = size;
	log_notice("store", "map grown dir=%s kib=%zu", st->dir, size >> 10);
	return 0;
}

/* Begins a transaction, adopting the map size of another process that
 * grew the map past ours (LMDB reports that as MDB_MAP_RESIZED). */
static int
store_txn_begin(struct treg_store *st, unsigned int flags, MDB_txn **txnp)
{
	MDB_envinfo info;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, flags, txnp);
	if (rc == MDB_MAP_RESIZED && st->wtxn == NULL) {
		rc = mdb_env_set_mapsize(st->env, 0);
		st->map_hi = 0;
		if (rc == 0 && mdb_env_info(st->env, &info) == 0)
			st->mapsize = info.me_mapsize;
		if (rc == 0)
			rc = mdb_txn_begin(st->env, NULL, flags, txnp);
	}
	if (rc != 0) {
		*txnp = NULL;
		return store_fail(st, "mdb_txn_begin", rc);
	}
	return 0;
}

/* Reads go through the open batch, so they see its writes (LMDB would
 * refuse a second transaction in this thread anyway); without a batch they
 * get a short read-only snapshot. */
static int
store_read_begin(struct treg_store *st, MDB_txn **txnp)
{
	if (st->wtxn != NULL) {
		*txnp = st->wtxn;
		return 0;
	}
	return store_txn_begin(st, MDB_RDONLY, txnp);
}

static void
store_read_end(struct treg_store *st, MDB_txn *txn)
{
	if (txn != NULL && txn != st->wtxn)
		mdb_txn_abort(txn);
	store_release_map(st);
}

/* Marks the batch as dead after a failed LMDB write call. */
static int
store_txn_error(struct treg_store *st, const char *call, int rc)
{
	st->broken = 1;
	if (rc == MDB_MAP_FULL) {
		st->mapfull = 1;
		return -ENOSPC;
	}
	return store_fail(st, call, rc);
}

/* As store_txn_error(), noting how big the put was so that the map grows
 * enough for it in one step. */
static int
store_put_error(struct treg_store *st, const char *call, int rc,
    const MDB_val *key, const MDB_val *val)
{
	st->want = key->mv_size + val->mv_size;
	return store_txn_error(st, call, rc);
}

static int
store_get(struct treg_store *st, MDB_txn *txn, int db, MDB_val *key,
    MDB_val *val, const char *call)
{
	int rc;

	rc = mdb_get(txn, st->dbi[db], key, val);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc != 0)
		return store_fail(st, call, rc);
	return 0;
}

static int
store_put(struct treg_store *st, int db, MDB_val *key, MDB_val *val,
    unsigned int flags, const char *call)
{
	int rc;

	rc = mdb_put(st->wtxn, st->dbi[db], key, val, flags);
	if (rc == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE))
		return -EEXIST;
	if (rc != 0)
		return store_put_error(st, call, rc, key, val);
	return 0;
}

/* Grows the map after MDB_MAP_FULL: to double, or more when the put that
 * failed was large, so that its retry fits. */
static int
store_grow_after_full(struct treg_store *st)
{
	size_t used = 0;

	store_used(st, &used);
	return store_grow(st, used + 2 * st->want + st->mapsize / 2);
}

/* Forgets the text last read: a dropped batch or a prune may have
 * taken it away. */
static void
store_memo_clear(struct treg_store *st)
{
	free(st->memo_text);
	st->memo_text = NULL;
	st->memo_len = 0;
	st->memo_digest[0] = '\0';
}

/* Drops the open batch without touching batch_err. */
static void
store_drop(struct treg_store *st)
{
	store_memo_clear(st);
	if (st->wtxn != NULL)
		mdb_txn_abort(st->wtxn);
	st->wtxn = NULL;
	st->nwrites = 0;
}

/*
 * Runs one write operation inside the batch.  When the map fills, LMDB
 * has already spoilt the transaction, so the batch must go: if this
 * operation was its first write nothing is lost and the operation is
 * retried on a bigger map; otherwise the batch is dropped, the map grown,
 * and every call until commit or abort returns -ENOSPC so a caller who
 * ignores one error still learns at commit that the batch is gone.
 */
static int
store_write(struct treg_store *st, int (*op)(struct treg_store *, void *),
    void *arg)
{
	unsigned int before;
	int rc, tries;

	for (tries = 0; tries < STORE_GROW_TRIES; tries++) {
		rc = treg_store_begin(st);
		if (rc != 0)
			return rc;

		before = st->nwrites;
		st->broken = 0;
		st->mapfull = 0;
		st->want = 0;
		rc = op(st, arg);
		if (rc == 0) {
			st->nwrites++;
			return 0;
		}
		if (!st->broken)
			return rc;

		store_drop(st);
		if (st->mapfull && store_grow_after_full(st) == 0 &&
		    before == 0)
			continue;
		if (st->mapfull)
			log_warn("store", "map full, batch dropped dir=%s "
			    "writes=%u", st->dir, before);
		st->batch_err = rc;
		return rc;
	}
	st->batch_err = -ENOSPC;
	return -ENOSPC;
}

static void
store_urlkey(const char *url, size_t len, unsigned int probe,
    struct store_urlkey *k)
{
	uint64_t h;

	if (len <= STORE_URLKEY_MAX) {
		memcpy(k->b, url, len);
		k->len = len;
		k->isshort = 1;
		return;
	}

	/* FNV-1a only spreads the keys: the value holds the whole URL and
	 * lookups compare it, so a collision costs a probe, not a mixup. */
	h = treg_hash64(TREG_HASH64_INIT, url, len);
	memcpy(k->b, url, STORE_URLKEY_MAX);
	put_be64(k->b + STORE_URLKEY_MAX, h);
	k->b[STORE_URLKEY_MAX + 8] = (unsigned char)probe;
	k->len = STORE_URLKEY_LONG;
	k->isshort = 0;
}

/*
 * Finds url's id.  Returns 0, -ENOENT with the probe a new entry should
 * take in *freep, or another negative errno.
 */
static int
store_url_id(struct treg_store *st, MDB_txn *txn, const char *url,
    uint64_t *idp, unsigned int *freep)
{
	struct store_urlkey k;
	MDB_val key, val;
	unsigned int probe;
	size_t len;
	int rc;

	len = strlen(url);
	if (len == 0)
		return -EINVAL;

	for (probe = 0; probe < STORE_URL_PROBES; probe++) {
		store_urlkey(url, len, probe, &k);
		key.mv_data = k.b;
		key.mv_size = k.len;
		rc = store_get(st, txn, DB_URLID, &key, &val, "mdb_get urlid");
		if (rc == -ENOENT && freep != NULL)
			*freep = probe;
		if (rc != 0)
			return rc;

		if (val.mv_size < 8 ||
		    (k.isshort && val.mv_size != 8)) {
			log_warn("store", "corrupt urlid record dir=%s",
			    st->dir);
			return -EINVAL;
		}
		if (k.isshort || (val.mv_size - 8 == len &&
		    memcmp((char *)val.mv_data + 8, url, len) == 0)) {
			*idp = get_be64(val.mv_data);
			return 0;
		}
	}
	return -EOVERFLOW;
}

/* Finds url's id, or allocates one from the counter in meta. */
static int
store_url_id_alloc(struct treg_store *st, const char *url, uint64_t *idp)
{
	static const char nextkey[] = "next_id";
	unsigned char idbuf[8], cnt[8], *vbuf = NULL;
	struct store_urlkey k;
	MDB_val key, val;
	unsigned int probe = 0;
	uint64_t id = 1;
	size_t len;
	int rc;

	rc = store_url_id(st, st->wtxn, url, idp, &probe);
	if (rc != -ENOENT)
		return rc;

	key.mv_data = (void *)nextkey;
	key.mv_size = sizeof(nextkey) - 1;
	rc = store_get(st, st->wtxn, DB_META, &key, &val, "mdb_get meta");
	if (rc == 0 && val.mv_size == 8)
		id = get_le(val.mv_data, 8);
	else if (rc == 0 || rc != -ENOENT)
		return rc == 0 ? -EINVAL : rc;

	put_le(cnt, id + 1, 8);
	val.mv_data = cnt;
	val.mv_size = 8;
	rc = store_put(st, DB_META, &key, &val, 0, "mdb_put meta");
	if (rc != 0)
		return rc;

	len = strlen(url);
	store_urlkey(url, len, probe, &k);
	put_be64(idbuf, id);
	val.mv_data = idbuf;
	val.mv_size = 8;
	if (!k.isshort) {
		vbuf = malloc(8 + len);
		if (vbuf == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(vbuf, idbuf, 8);
		memcpy(vbuf + 8, url, len);
		val.mv_data = vbuf;
		val.mv_size = 8 + len;
	}
	key.mv_data = k.b;
	key.mv_size = k.len;
	rc = store_put(st, DB_URLID, &key, &val, MDB_NOOVERWRITE,
	    "mdb_put urlid");
	if (rc == 0)
		*idp = id;
out:
	free(vbuf);
	return rc;
}

/*
 * Schema: read under a snapshot first so that opening a store while the
 * daemon holds a long batch does not wait for the writer lock; only a new
 * store takes a write transaction to create its databases.
 */
static int
store_check_schema(struct treg_store *st, MDB_txn *txn, int *missingp)
{
	static const char schemakey[] = "schema";
	MDB_val key, val;
	uint32_t schema;
	int rc;

	key.mv_data = (void *)schemakey;
	key.mv_size = sizeof(schemakey) - 1;
	rc = store_get(st, txn, DB_META, &key, &val, "mdb_get meta");
	if (rc == -ENOENT) {
		*missingp = 1;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (val.mv_size != 4) {
		log_err("store", "corrupt schema record dir=%s", st->dir);
		return -EINVAL;
	}

	schema = (uint32_t)get_le(val.mv_data, 4);
	if (schema > TREG_STORE_SCHEMA) {
		log_err("store", "store schema %" PRIu32 " is newer than this "
		    "program's %d; refusing to open dir=%s", schema,
		    TREG_STORE_SCHEMA, st->dir);
		return -EPROTO;
	}
	if (schema < TREG_STORE_SCHEMA) {
		log_err("store", "store schema %" PRIu32 " is older than this "
		    "program's %d and no migration exists dir=%s", schema,
		    TREG_STORE_SCHEMA, st->dir);
		return -EPROTO;
	}
	*missingp = 0;
	return 0;
}

static int
store_open_dbs(struct treg_store *st, MDB_txn *txn, unsigned int create)
{
	int i, rc;

	for (i = 0; i < STORE_NDBS; i++) {
		rc = mdb_dbi_open(txn, store_dbs[i].name,
		    store_dbs[i].flags | create, &st->dbi[i]);
		if (rc == MDB_NOTFOUND)
			return -ENOENT;
		if (rc != 0)
			return store_fail(st, "mdb_dbi_open", rc);
	}
	return 0;
}

static int
store_create_op(struct treg_store *st, void *arg)
{
	static const char schemakey[] = "schema";
	unsigned char buf[4];
	MDB_val key, val;
	int rc, missing = 0;

	rc = store_open_dbs(st, st->wtxn, MDB_CREATE);
	if (rc != 0) {
		st->broken = 1;
		return rc;
	}
	rc = store_check_schema(st, st->wtxn, &missing);
	if (rc != 0 || !missing)
		return rc;

	key.mv_data = (void *)schemakey;
	key.mv_size = sizeof(schemakey) - 1;
	put_le(buf, TREG_STORE_SCHEMA, 4);
	val.mv_data = buf;
	val.mv_size = 4;
	return store_put(st, DB_META, &key, &val, 0, "mdb_put meta");
}

static int
store_init(struct treg_store *st)
{
	MDB_txn *txn = NULL;
	int rc, missing = 0;

	rc = store_txn_begin(st, MDB_RDONLY, &txn);
	if (rc != 0)
		return rc;
	rc = store_open_dbs(st, txn, 0);
	if (rc == 0)
		rc = store_check_schema(st, txn, &missing);
	if (rc == 0 && !missing) {
		/* Committing keeps the handles open for later txns. */
		rc = mdb_txn_commit(txn);
		return rc == 0 ? 0 : store_fail(st, "mdb_txn_commit", rc);
	}
	mdb_txn_abort(txn);
	if (rc != 0 && rc != -ENOENT)
		return rc;

	rc = store_write(st, store_create_op, NULL);
	if (rc == 0)
		rc = treg_store_commit(st);
	treg_store_abort(st);
	return rc;
}

struct treg_store *
treg_store_open_with_mapsize(const char *dir, size_t mapsize)
{
	struct treg_store *st;
	MDB_envinfo info;
	long pagesize;
	int rc, dead = 0, ok = 0;

	st = calloc(1, sizeof(*st));
	if (st != NULL)
		st->dir = strdup(dir);
	if (st == NULL || st->dir == NULL) {
		log_err("store", "out of memory dir=%s", dir);
		goto out;
	}

	rc = store_mkdirs(dir);
	if (rc != 0) {
		log_err("store", "mkdir: %s dir=%s", strerror(-rc), dir);
		goto out;
	}

	pagesize = sysconf(_SC_PAGESIZE);
	if (pagesize <= 0)
		pagesize = 4096;
	mapsize = (mapsize + (size_t)pagesize - 1) / (size_t)pagesize *
	    (size_t)pagesize;

	rc = mdb_env_create(&st->env);
	if (rc != 0) {
		st->env = NULL;
		store_fail(st, "mdb_env_create", rc);
		goto out;
	}
	rc = mdb_env_set_maxdbs(st->env, STORE_MAXDBS);
	if (rc == 0)
		rc = mdb_env_set_mapsize(st->env, mapsize);
	if (rc != 0) {
		store_fail(st, "mdb_env_set_mapsize", rc);
		goto out;
	}

	/*
	 * MDB_NOTLS ties a reader slot to its transaction rather than to
	 * the thread, so a read never trips over a slot a previous one left.
	 * Commits stay durable (no MDB_NOSYNC): a kill -9 keeps every
	 * committed batch.
	 */
	rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
	if (rc != 0) {
		store_fail(st, "mdb_env_open", rc);
		goto out;
	}

	/* A process killed mid-read leaves its slot; free it now. */
	rc = mdb_reader_check(st->env, &dead);
	if (rc != 0)
		store_fail(st, "mdb_reader_check", rc);
	else if (dead > 0)
		log_notice("store", "cleared stale readers dir=%s count=%d",
		    dir, dead);

	rc = mdb_env_info(st->env, &info);
	if (rc != 0) {
		store_fail(st, "mdb_env_info", rc);
		goto out;
	}
	st->mapsize = info.me_mapsize;

	if (store_init(st) != 0)
		goto out;
	ok = 1;
out:
	if (!ok) {
		treg_store_close(st);
		st = NULL;
	}
	return st;
}

struct treg_store *
treg_store_open(const char *dir)
{
	return treg_store_open_with_mapsize(dir, STORE_MAPSIZE);
}

void
treg_store_close(struct treg_store *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL) {
		treg_store_commit(st);
		mdb_env_close(st->env);
	}
	store_memo_clear(st);
	ZSTD_freeCCtx(st->zc);
	ZSTD_freeDCtx(st->zd);
	free(st->dir);
	free(st);
}

int
treg_store_begin(struct treg_store *st)
{
	size_t used;
	int rc;

	if (st->batch_err != 0)
		return st->batch_err;
	if (st->wtxn != NULL)
		return 0;

	/* Growing ahead, while no transaction is open, keeps MDB_MAP_FULL
	 * (which costs the whole batch) for batches bigger than the map. */
	if (store_used(st, &used) == 0 && used > st->mapsize / 2)
		store_grow(st, used * 2);

	rc = store_txn_begin(st, 0, &st->wtxn);
	st->nwrites = 0;
	return rc;
}

/*
 * LMDB does not say where it mapped the file (me_mapaddr is only set for
 * a fixed map), so the mapping of data.mdb is looked up by device and
 * inode, once per mapping (store_grow() forgets it): reading
 * /proc/self/maps at every release cost more than the release saved.
 * Without /proc nothing is released.
 */
static void
store_find_map(struct treg_store *st)
{
	struct stat sb;
	unsigned long lo, hi, off, ino;
	unsigned int maj, min;
	char line[512];
	FILE *f;
	int fd;

	st->map_lo = st->map_hi = 0;
	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) != 0)
		return;
	f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off,
		    &maj, &min, &ino) != 6)
			continue;
		if (ino == (unsigned long)sb.st_ino &&
		    makedev(maj, min) == sb.st_dev && hi > lo) {
			st->map_lo = lo;
			st->map_hi = hi;
			break;
		}
	}
	fclose(f);
}

/*
 * Every page of the map a crawl reads stays counted in the process's
 * resident set until the kernel needs it, so a crawl over 10,000 pages
 * looked like hundreds of MiB.  After a commit, a read or a step of a
 * walk, once STORE_RELEASE_MS or STORE_RELEASE_STEPS have passed, the
 * map's pages are let go: they stay in the page cache and the next read
 * maps them again cheaply.  Time alone was not enough: the kernel maps
 * up to 16 cached pages around each one read, so a walk over 10,000
 * records put 60 MiB in the resident set within 20 ms.  The
 * map is read-only (no MDB_WRITEMAP: dirty pages live in LMDB's own
 * memory until a commit writes them), so this is safe at any moment.
 */
static void
store_release_map(struct treg_store *st)
{
	struct timespec now;
	long ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return;
	ms = (now.tv_sec - st->released.tv_sec) * 1000 +
	    (now.tv_nsec - st->released.tv_nsec) / 1000000;
	if (ms < STORE_RELEASE_MS && ++st->steps < STORE_RELEASE_STEPS)
		return;
	st->released = now;
	st->steps = 0;
	if (st->map_hi == 0)
		store_find_map(st);
	if (st->map_hi > st->map_lo)
		(void)madvise((void *)st->map_lo, st->map_hi - st->map_lo,
		    MADV_DONTNEED);
}

unsigned int
treg_store_batch_writes(const struct treg_store *st)
{
	return st->wtxn != NULL ? st->nwrites : 0;
}

int
treg_store_commit(struct treg_store *st)
{
	int rc;

	if (st->batch_err != 0) {
		rc = st->batch_err;
		st->batch_err = 0;
		return rc;
	}
	if (st->wtxn == NULL)
		return 0;

	/* Commit frees the transaction whether or not it succeeds. */
	rc = mdb_txn_commit(st->wtxn);
	st->wtxn = NULL;
	st->nwrites = 0;
	if (rc == MDB_MAP_FULL) {
		log_warn("store", "map full at commit, batch dropped dir=%s",
		    st->dir);
		store_grow(st, 0);
		return -ENOSPC;
	}
	if (rc != 0)
		return store_fail(st, "mdb_txn_commit", rc);
	store_release_map(st);
	return 0;
}

void
treg_store_abort(struct treg_store *st)
{
	store_drop(st);
	st->batch_err = 0;
}

/*
 * URL state record, version 1: version(1) last_error(1) last_status(2)
 * failures(4) last_fetch(8) next_due(8) first_failure(8), then etag,
 * last_modified, final_url, detail, reason and chain, each as a 4-byte
 * tag (0 for NULL, else length + 1) and its bytes.  Older records end
 * after detail; they read with reason and chain NULL.
 */
static int
url_encode(const struct treg_url_state *s, unsigned char **bufp,
    size_t *lenp)
{
	const char *strs[STORE_URL_NSTR];
	size_t lens[STORE_URL_NSTR], total = STORE_URL_HDR;
	unsigned char *buf, *p;
	int i;

	strs[0] = s->etag;
	strs[1] = s->last_modified;
	strs[2] = s->final_url;
	strs[3] = s->detail;
	strs[4] = s->reason;
	strs[5] = s->chain;
	for (i = 0; i < STORE_URL_NSTR; i++) {
		lens[i] = strs[i] != NULL ? strlen(strs[i]) : 0;
		if (lens[i] >= UINT32_MAX - 1)
			return -E2BIG;
		total += 4 + lens[i];
	}

	buf = malloc(total);
	if (buf == NULL)
		return -ENOMEM;
	buf[0] = STORE_URL_VERSION;
	buf[1] = s->last_error;
	put_le(buf + 2, s->last_status, 2);
	put_le(buf + 4, s->failures, 4);
	put_le(buf + 8, (uint64_t)s->last_fetch, 8);
	put_le(buf + 16, (uint64_t)s->next_due, 8);
	put_le(buf + 24, (uint64_t)s->first_failure, 8);

	p = buf + STORE_URL_HDR;
	for (i = 0; i < STORE_URL_NSTR; i++) {
		put_le(p, strs[i] != NULL ? lens[i] + 1 : STORE_STR_NULL, 4);
		memcpy(p + 4, strs[i] != NULL ? strs[i] : "", lens[i]);
		p += 4 + lens[i];
	}
	*bufp = buf;
	*lenp = total;
	return 0;
}

static int
url_decode(const unsigned char *buf, size_t len, struct treg_url_state *s)
{
	char **strs[STORE_URL_NSTR];
	size_t off = STORE_URL_HDR, slen;
	uint32_t tag;
	int i, rc = -EINVAL;

	if (len < STORE_URL_HDR || buf[0] != STORE_URL_VERSION)
		return -EINVAL;
	s->last_error = buf[1];
	s->last_status = (uint16_t)get_le(buf + 2, 2);
	s->failures = (uint32_t)get_le(buf + 4, 4);
	s->last_fetch = (int64_t)get_le(buf + 8, 8);
	s->next_due = (int64_t)get_le(buf + 16, 8);
	s->first_failure = (int64_t)get_le(buf + 24, 8);

	strs[0] = &s->etag;
	strs[1] = &s->last_modified;
	strs[2] = &s->final_url;
	strs[3] = &s->detail;
	strs[4] = &s->reason;
	strs[5] = &s->chain;
	for (i = 0; i < STORE_URL_NSTR; i++) {
		if (i >= STORE_URL_NSTR_V1 && off == len)
			break;
		if (len - off < 4)
			goto out;
		tag = (uint32_t)get_le(buf + off, 4);
		off += 4;
		if (tag == STORE_STR_NULL)
			continue;
		slen = tag - 1;
		if (len - off < slen)
			goto out;
		*strs[i] = malloc(slen + 1);
		if (*strs[i] == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(*strs[i], buf + off, slen);
		(*strs[i])[slen] = '\0';
		off += slen;
	}
	if (off == len)
		rc = 0;
out:
	if (rc != 0)
		treg_store_url_cleanup(s);
	return rc;
}

int
treg_store_get_url(struct treg_store *st, const char *url,
    struct treg_url_state *out)
{
	unsigned char idk[8];
	MDB_txn *txn = NULL;
	MDB_val key, val;
	uint64_t id;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;

	rc = store_url_id(st, txn, url, &id, NULL);
	if (rc != 0)
		goto out;
	put_be64(idk, id);
	key.mv_data = idk;
	key.mv_size = 8;
	rc = store_get(st, txn, DB_URL, &key, &val, "mdb_get url");
	if (rc != 0)
		goto out;

	rc = url_decode(val.mv_data, val.mv_size, out);
	if (rc == -EINVAL)
		log_warn("store", "corrupt url record url=%s dir=%s", url,
		    st->dir);
out:
	store_read_end(st, txn);
	return rc;
}

struct store_put_url_arg {
	const char			*url;
	const struct treg_url_state	*state;
};

static int
store_put_url_op(struct treg_store *st, void *arg)
{
	struct store_put_url_arg *a = arg;
	unsigned char idk[8], *buf = NULL;
	MDB_val key, val;
	uint64_t id;
	size_t len;
	int rc;

	rc = url_encode(a->state, &buf, &len);
	if (rc != 0)
		return rc;
	rc = store_url_id_alloc(st, a->url, &id);
	if (rc != 0)
		goto out;

	put_be64(idk, id);
	key.mv_data = idk;
	key.mv_size = 8;
	val.mv_data = buf;
	val.mv_size = len;
	rc = store_put(st, DB_URL, &key, &val, 0, "mdb_put url");
out:
	free(buf);
	return rc;
}

int
treg_store_put_url(struct treg_store *st, const char *url,
    const struct treg_url_state *state)
{
	struct store_put_url_arg a = { url, state };

	return store_write(st, store_put_url_op, &a);
}

void
treg_store_url_cleanup(struct treg_url_state *state)
{
	if (state == NULL)
		return;
	free(state->etag);
	free(state->last_modified);
	free(state->final_url);
	free(state->detail);
	free(state->reason);
	free(state->chain);
	state->reason = NULL;
	state->chain = NULL;
	state->etag = NULL;
	state->last_modified = NULL;
	state->final_url = NULL;
	state->detail = NULL;
}

/*
 * Observation record, version 1, a fixed STORE_OBS_SIZE bytes stored as a
 * duplicate of the URL id (MDB_DUPFIXED packs them without per-record
 * headers): at(8, big-endian with the sign bit flipped, so memcmp order
 * is time order and it must come first), version(1) flags(1) error(1)
 * present(1) status(2) words(4) simhash(8) digest(32, raw; zero if none).
 * The present byte's upper seven bits hold the digest's extraction rules
 * version (0 in older records), so the record keeps its size.
 */
static int
obs_encode(const struct treg_observation *o, unsigned char *buf)
{
	memset(buf, 0, STORE_OBS_SIZE);
	if (o->digest[0] != '\0') {
		if (treg_sha256_unhex(o->digest, buf + 26) != 0)
			return -EINVAL;
		buf[11] = STORE_OBS_HAS_DIGEST;
	}
	buf[11] |= (unsigned char)((o->rules & 0x7f) << 1);
	put_be64(buf, (uint64_t)o->at ^ (UINT64_C(1) << 63));
	buf[8] = STORE_OBS_VERSION;
	buf[9] = o->flags;
	buf[10] = o->error;
	put_le(buf + 12, o->status, 2);
	put_le(buf + 14, o->words, 4);
	put_le(buf + 18, o->simhash, 8);
	return 0;
}

static int
obs_decode(const unsigned char *buf, size_t len, struct treg_observation *o)
{
	if (len != STORE_OBS_SIZE || buf[8] != STORE_OBS_VERSION)
		return -EINVAL;
	o->at = (int64_t)(get_be64(buf) ^ (UINT64_C(1) << 63));
	o->flags = buf[9];
	o->error = buf[10];
	o->status = (uint16_t)get_le(buf + 12, 2);
	o->words = (uint32_t)get_le(buf + 14, 4);
	o->simhash = get_le(buf + 18, 8);
	o->rules = buf[11] >> 1;
	if (buf[11] & STORE_OBS_HAS_DIGEST)
		treg_sha256_hex(buf + 26, o->digest);
	else
		o->digest[0] = '\0';
	return 0;
}

struct store_obs_arg {
	const char			*url;
	const struct treg_observation	*obs;
};

static int
store_add_obs_op(struct treg_store *st, void *arg)
{
	struct store_obs_arg *a = arg;
	unsigned char idk[8], rec[STORE_OBS_SIZE];
	MDB_cursor *cur = NULL;
	MDB_val key, val;
	unsigned int flags = 0;
	uint64_t id;
	int rc;

	rc = obs_encode(a->obs, rec);
	if (rc != 0)
		return rc;
	rc = store_url_id_alloc(st, a->url, &id);
	if (rc != 0)
		return rc;

	rc = mdb_cursor_open(st->wtxn, st->dbi[DB_OBS], &cur);
	if (rc != 0)
		return store_txn_error(st, "mdb_cursor_open", rc);

	/*
	 * Appending (the usual case: time moves forward) with MDB_APPENDDUP
	 * makes LMDB fill pages before splitting them, which roughly halves
	 * the space an observation costs.  LMDB's own check for APPENDDUP
	 * can spoil the transaction, so the order is checked here.
	 */
	put_be64(idk, id);
	key.mv_data = idk;
	key.mv_size = 8;
	rc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &key, &val, MDB_LAST_DUP);
	if (rc == 0 && val.mv_size == STORE_OBS_SIZE &&
	    memcmp(val.mv_data, rec, STORE_OBS_SIZE) < 0)
		flags = MDB_APPENDDUP;
	else if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = store_txn_error(st, "mdb_cursor_get obs", rc);
		goto out;
	}

	key.mv_data = idk;
	key.mv_size = 8;
	val.mv_data = rec;
	val.mv_size = STORE_OBS_SIZE;
	rc = mdb_cursor_put(cur, &key, &val, flags);
	if (rc != 0)
		rc = store_put_error(st, "mdb_cursor_put obs", rc, &key, &val);
out:
	mdb_cursor_close(cur);
	return rc;
}

int
treg_store_add_observation(struct treg_store *st, const char *url,
    const struct treg_observation *obs)
{
	struct store_obs_arg a = { url, obs };

	return store_write(st, store_add_obs_op, &a);
}

int
treg_store_list_observations(struct treg_store *st, const char *url,
    struct treg_observation **obsp, size_t *nobsp)
{
	struct treg_observation *obs = NULL;
	unsigned char idk[8];
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val key, val;
	size_t n = 0, count = 0;
	uint64_t id;
	int rc;

	*obsp = NULL;
	*nobsp = 0;
	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;

	rc = store_url_id(st, txn, url, &id, NULL);
	if (rc != 0)
		goto out;
	rc = mdb_cursor_open(txn, st->dbi[DB_OBS], &cur);
	if (rc != 0) {
		rc = store_fail(st, "mdb_cursor_open", rc);
		goto out;
	}

	put_be64(idk, id);
	key.mv_data = idk;
	key.mv_size = 8;
	rc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
	if (rc == 0)
		rc = mdb_cursor_count(cur, &count);
	if (rc != 0)
		goto out;
	obs = calloc(count, sizeof(*obs));
	if (obs == NULL) {
		rc = -ENOMEM;
		goto out;
	}

	while (rc == 0 && n < count) {
		rc = obs_decode(val.mv_data, val.mv_size, &obs[n]);
		if (rc != 0) {
			log_warn("store", "corrupt observation url=%s dir=%s",
			    url, st->dir);
			goto out;
		}
		n++;
		rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT_DUP);
	}
	rc = rc == MDB_NOTFOUND ? 0 : rc;
out:
	/* No history (or no such URL) is an empty list, not an error. */
	if (rc == MDB_NOTFOUND || rc == -ENOENT)
		rc = 0;
	else if (rc > 0)
		rc = store_fail(st, "mdb_cursor_get obs", rc);
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(st, txn);
	if (rc == 0 && n > 0) {
		*obsp = obs;
		*nobsp = n;
	} else
		free(obs);
	return rc;
}

/*
 * Text record, version 1: version(1) method(1: 0 raw, 1 zlib, 2 zstd)
 * length(8, the uncompressed length), then the bytes.  New records are
 * zstd at level 1 (zlib records of older stores are still read); raw is
 * kept when compression does not shrink the text.
 */
struct store_text_arg {
	unsigned char	 raw[TREG_SHA256_LEN];
	const char	*text;
	size_t		 len;
	unsigned char   *rec;           /* built once, kept across retries */
	size_t		 reclen;
};

static int
text_encode(struct treg_store *st, struct store_text_arg *a)
{
	size_t bound, clen;
	unsigned char *rec;

	if (st->zc == NULL && (st->zc = ZSTD_createCCtx()) == NULL)
		return -ENOMEM;
	bound = ZSTD_compressBound(a->len);
	rec = malloc(STORE_TEXT_HDR + (bound > a->len ? bound : a->len));
	if (rec == NULL)
		return -ENOMEM;

	rec[0] = STORE_TEXT_VERSION;
	put_le(rec + 2, a->len, 8);
	/* The fastest level: texts and raw bodies are kept for diffs and
	 * re-extraction, not archival (the WARC files are the archive). */
	clen = ZSTD_compressCCtx(st->zc, rec + STORE_TEXT_HDR, bound, a->text,
	    a->len, 1);
	if (!ZSTD_isError(clen) && clen < a->len) {
		rec[1] = STORE_TEXT_ZSTD;
		a->reclen = STORE_TEXT_HDR + clen;
	} else {
		rec[1] = STORE_TEXT_RAW;
		memcpy(rec + STORE_TEXT_HDR, a->text, a->len);
		a->reclen = STORE_TEXT_HDR + a->len;
	}
	a->rec = rec;
	return 0;
}

/* A damaged length must not become a huge allocation: it has to agree
 * with what the compressed bytes can hold. */
static int
text_len_plausible(int method, const unsigned char *data, size_t dlen,
    size_t len)
{
	unsigned long long framed;

	if (len >= STORE_TEXT_MAX)
		return 0;
	switch (method) {
	case STORE_TEXT_RAW:
		return len == dlen;
	case STORE_TEXT_ZLIB:
		return len / STORE_ZLIB_RATIO <= dlen;
	case STORE_TEXT_ZSTD:
		framed = ZSTD_getFrameContentSize(data, dlen);
		return framed == (unsigned long long)len;
	default:
		return 0;
	}
}

static int
text_decode(struct treg_store *st, const unsigned char *rec, size_t reclen,
    char **textp, size_t *lenp)
{
	const unsigned char *data = rec + STORE_TEXT_HDR;
	size_t dlen, len, got;
	uLongf outlen;
	char *text;
	int ok;

	if (reclen < STORE_TEXT_HDR || rec[0] != STORE_TEXT_VERSION)
		return -EINVAL;
	dlen = reclen - STORE_TEXT_HDR;
	len = get_le(rec + 2, 8);
	if (!text_len_plausible(rec[1], data, dlen, len))
		return -EINVAL;
	if (rec[1] == STORE_TEXT_ZSTD && st->zd == NULL &&
	    (st->zd = ZSTD_createDCtx()) == NULL)
		return -ENOMEM;

	text = malloc(len + 1);
	if (text == NULL)
		return -ENOMEM;
	if (rec[1] == STORE_TEXT_RAW) {
		memcpy(text, data, len);
		ok = 1;
	} else if (rec[1] == STORE_TEXT_ZSTD) {
		got = ZSTD_decompressDCtx(st->zd, text, len, data, dlen);
		ok = !ZSTD_isError(got) && got == len;
	} else {
		outlen = len;
		ok = uncompress((Bytef *)text, &outlen, data, dlen) == Z_OK &&
		    outlen == len;
	}
	if (!ok) {
		free(text);
		return -EINVAL;
	}
	text[len] = '\0';
	*textp = text;
	*lenp = len;
	return 0;
}

static int
store_put_text_op(struct treg_store *st, void *arg)
{
	struct store_text_arg *a = arg;
	MDB_val key, val;
	int rc;

	key.mv_data = a->raw;
	key.mv_size = TREG_SHA256_LEN;
	rc = store_get(st, st->wtxn, DB_TEXT, &key, &val, "mdb_get text");
	if (rc != -ENOENT)
		return rc;

	if (a->rec == NULL) {
		rc = text_encode(st, a);
		if (rc != 0)
			return rc;
	}
	val.mv_data = a->rec;
	val.mv_size = a->reclen;
	return store_put(st, DB_TEXT, &key, &val, 0, "mdb_put text");
}

int
treg_store_put_text(struct treg_store *st, const char *digest,
    const char *text, size_t len)
{
	struct store_text_arg a;
	int rc;

	memset(&a, 0, sizeof(a));
	if (treg_sha256_unhex(digest, a.raw) != 0)
		return -EINVAL;
	a.text = text;
	a.len = len;
	rc = store_write(st, store_put_text_op, &a);
	free(a.rec);
	return rc;
}

/* Compresses len bytes of fp into a text record in a->rec. */
static int
text_encode_file(struct treg_store *st, FILE *fp, size_t len,
    struct store_text_arg *a)
{
	char in[65536];
	unsigned char *rec = NULL, *grown;
	size_t cap, n, left = len, ret;
	ZSTD_inBuffer zin;
	ZSTD_outBuffer zout;
	ZSTD_EndDirective end;
	int rc = -ENOMEM;

	if (st->zc == NULL && (st->zc = ZSTD_createCCtx()) == NULL)
		return -ENOMEM;
	if (ZSTD_isError(ZSTD_CCtx_reset(st->zc, ZSTD_reset_session_only)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(st->zc,
	    ZSTD_c_compressionLevel, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(st->zc, len)))
		return -EINVAL;
	if (fseek(fp, 0, SEEK_SET) != 0)
		return -EIO;
	/* Pages compress four to six times; the buffer grows if not. */
	cap = STORE_TEXT_HDR + len / 4 + 4096;
	rec = malloc(cap);
	if (rec == NULL)
		goto out;
	zout.dst = rec;
	zout.size = cap;
	zout.pos = STORE_TEXT_HDR;
	do {
		n = left < sizeof(in) ? left : sizeof(in);
		if (n > 0 && fread(in, 1, n, fp) != n) {
			rc = -EIO;
			goto out;
		}
		left -= n;
		end = left == 0 ? ZSTD_e_end : ZSTD_e_continue;
		zin.src = in;
		zin.size = n;
		zin.pos = 0;
		do {
			if (zout.pos == zout.size) {
				grown = realloc(rec, zout.size * 2);
				if (grown == NULL)
					goto out;
				rec = grown;
				zout.dst = rec;
				zout.size *= 2;
			}
			ret = ZSTD_compressStream2(st->zc, &zout, &zin, end);
			if (ZSTD_isError(ret)) {
				rc = -EIO;
				goto out;
			}
		} while (zin.pos < zin.size || (end == ZSTD_e_end && ret > 0));
	} while (left > 0);

	rec[0] = STORE_TEXT_VERSION;
	rec[1] = STORE_TEXT_ZSTD;
	put_le(rec + 2, len, 8);
	a->rec = rec;
	a->reclen = zout.pos;
	rec = NULL;
	rc = 0;

out:
	free(rec);
	return rc;
}

/* A body the size of most spilled pages is compressed in one call on a
 * mapping of the file, as cheap as one held in memory; only a larger
 * one, or a file that cannot be mapped, streams. */
int
treg_store_put_text_file(struct treg_store *st, const char *digest,
    FILE *fp, size_t len)
{
	struct store_text_arg a;
	struct treg_digest_map m;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&m, 0, sizeof(m));
	if (treg_sha256_unhex(digest, a.raw) != 0)
		return -EINVAL;
	if (treg_digest_map_file(fp, len, 0, 0, &m) == 0) {
		a.text = (const char *)m.data;
		a.len = len;
		rc = 0;
	} else
		rc = text_encode_file(st, fp, len, &a);
	if (rc == 0)
		rc = store_write(st, store_put_text_op, &a);
	treg_digest_unmap_file(&m);
	free(a.rec);
	return rc;
}

int
treg_store_get_text(struct treg_store *st, const char *digest,
    char **textp, size_t *lenp)
{
	unsigned char raw[TREG_SHA256_LEN];
	MDB_txn *txn = NULL;
	MDB_val key, val;
	int rc;

	*textp = NULL;
	*lenp = 0;
	if (treg_sha256_unhex(digest, raw) != 0)
		return -EINVAL;
	if (st->memo_text != NULL && strcmp(st->memo_digest, digest) == 0) {
		*textp = malloc(st->memo_len + 1);
		if (*textp == NULL)
			return -ENOMEM;
		memcpy(*textp, st->memo_text, st->memo_len + 1);
		*lenp = st->memo_len;
		return 0;
	}
	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;

	key.mv_data = raw;
	key.mv_size = sizeof(raw);
	rc = store_get(st, txn, DB_TEXT, &key, &val, "mdb_get text");
	if (rc == 0)
		rc = text_decode(st, val.mv_data, val.mv_size, textp,
		    lenp);
	if (rc == -EINVAL)
		log_warn("store", "corrupt text record digest=%s dir=%s",
		    digest, st->dir);
	store_read_end(st, txn);
	if (rc == 0) {
		/* A copy failing to fit only loses the memo. */
		store_memo_clear(st);
		st->memo_text = malloc(*lenp + 1);
		if (st->memo_text != NULL) {
			memcpy(st->memo_text, *textp, *lenp + 1);
			st->memo_len = *lenp;
			memcpy(st->memo_digest, digest, TREG_SHA256_HEXLEN + 1);
		}
	}
	return rc;
}

static int
store_cell_key(struct treg_store *st, const char *key, MDB_val *k)
{
	k->mv_data = (void *)key;
	k->mv_size = strlen(key);
	if (k->mv_size == 0 ||
	    k->mv_size > (size_t)mdb_env_get_maxkeysize(st->env))
		return -EINVAL;
	return 0;
}

struct store_cell_arg {
	const char	*key;
	const char	*data;
	size_t		 len;
};

static int
store_put_cell_op(struct treg_store *st, void *arg)
{
	struct store_cell_arg *a = arg;
	MDB_val key, val;
	int rc;

	rc = store_cell_key(st, a->key, &key);
	if (rc != 0)
		return rc;
	val.mv_data = (void *)a->data;
	val.mv_size = a->len;
	return store_put(st, DB_CELL, &key, &val, 0, "mdb_put cell");
}

int
treg_store_put_cell(struct treg_store *st, const char *key,
    const char *data, size_t len)
{
	struct store_cell_arg a = { key, data, len };

	return store_write(st, store_put_cell_op, &a);
}

static char *
store_strndup(const void *data, size_t len)
{
	char *s;

	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* A copy of the value under a string key of db, NUL-terminated. */
static int
store_get_string(struct treg_store *st, int db, const char *key,
    const char *what, char **datap, size_t *lenp)
{
	MDB_txn *txn = NULL;
	MDB_val k, val;
	int rc;

	*datap = NULL;
	*lenp = 0;
	rc = store_cell_key(st, key, &k);
	if (rc != 0)
		return rc;
	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;

	rc = store_get(st, txn, db, &k, &val, what);
	if (rc == 0) {
		*datap = store_strndup(val.mv_data, val.mv_size);
		if (*datap == NULL)
			rc = -ENOMEM;
		else
			*lenp = val.mv_size;
	}
	store_read_end(st, txn);
	return rc;
}

int
treg_store_get_cell(struct treg_store *st, const char *key, char **datap,
    size_t *lenp)
{
	return store_get_string(st, DB_CELL, key, "mdb_get cell", datap,
	    lenp);
}

struct store_cell {
	char	*key;
	char	*data;
	size_t	 len;
};

static void
store_cells_free(struct store_cell *cells, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(cells[i].key);
		free(cells[i].data);
	}
	free(cells);
}

/* Cell records copied out at a time: a few hundred kilobytes. */
#define STORE_CELL_BATCH	256

/* Copies up to STORE_CELL_BATCH cell records out, from the first after
 * the key after (from the first of all when after is NULL), so that the
 * callback later runs with no transaction of ours open and may call back
 * into the store, and memory holds a batch, not every record. */
static int
store_collect_cells(struct treg_store *st, const char *after,
    struct store_cell **cellsp, size_t *np)
{
	struct store_cell *cells = NULL, *grown;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val key, val;
	size_t n = 0, cap = 0;
	int rc;

	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_open(txn, st->dbi[DB_CELL], &cur);
	if (rc != 0) {
		rc = store_fail(st, "mdb_cursor_open", rc);
		goto out;
	}

	if (after == NULL) {
		rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
	} else {
		key.mv_data = (void *)after;
		key.mv_size = strlen(after);
		rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
		if (rc == 0 && key.mv_size == strlen(after) &&
		    memcmp(key.mv_data, after, key.mv_size) == 0)
			rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
	}
	while (rc == 0 && n < STORE_CELL_BATCH) {
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 32;
			grown = realloc(cells, cap * sizeof(*cells));
			if (grown == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			cells = grown;
		}
		cells[n].key = store_strndup(key.mv_data, key.mv_size);
		cells[n].data = store_strndup(val.mv_data, val.mv_size);
		cells[n].len = val.mv_size;
		n++;
		if (cells[n - 1].key == NULL || cells[n - 1].data == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
	}
	/* The batch full (rc 0) or the records ended. */
	if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc != 0)
		rc = store_fail(st, "mdb_cursor_get cell", rc);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(st, txn);
	if (rc != 0) {
		store_cells_free(cells, n);
		return rc;
	}
	*cellsp = cells;
	*np = n;
	return 0;
}

int
treg_store_foreach_cell(struct treg_store *st,
    int (*fn)(void *arg, const char *key, const char *data, size_t len),
    void *arg)
{
	struct store_cell *cells;
	char *after = NULL;
	size_t i, n;
	int rc;

	do {
		cells = NULL;
		n = 0;
		rc = store_collect_cells(st, after, &cells, &n);
		free(after);
		after = NULL;
		for (i = 0; i < n && rc == 0; i++)
			rc = fn(arg, cells[i].key, cells[i].data,
			    cells[i].len);
		/* A full batch: go on after its last key. */
		if (rc == 0 && n == STORE_CELL_BATCH) {
			after = cells[n - 1].key;
			cells[n - 1].key = NULL;
		}
		store_cells_free(cells, n);
	} while (after != NULL);
	return rc;
}

/*
 * The crawl schedule.  sched maps a URL id to its due time (8 bytes,
 * little-endian) and due indexes the same facts by time: key due(8,
 * big-endian with the sign bit flipped) + id(8), value the URL.  A cursor
 * on due reads the URLs in due order a page at a time, so the daemon never
 * holds the whole schedule in memory.  Both are written in the same batch
 * as the observation that moved the time, so a crash keeps them in step.
 */
static void
sched_duekey(unsigned char *k, int64_t due, uint64_t id)
{
	put_be64(k, (uint64_t)due ^ (UINT64_C(1) << 63));
	put_be64(k + 8, id);
}

/* Deletes id's entry in due and sched, if it has one. */
static int
store_sched_unlink(struct treg_store *st, uint64_t id)
{
	unsigned char idk[8], dk[16];
	MDB_val key, val;
	int rc;

	put_be64(idk, id);
	key.mv_data = idk;
	key.mv_size = 8;
	rc = store_get(st, st->wtxn, DB_SCHED, &key, &val, "mdb_get sched");
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (val.mv_size == 8) {
		sched_duekey(dk, (int64_t)get_le(val.mv_data, 8), id);
		key.mv_data = dk;
		key.mv_size = 16;
		rc = mdb_del(st->wtxn, st->dbi[DB_DUE], &key, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return store_txn_error(st, "mdb_del due", rc);
	}
	key.mv_data = idk;
	key.mv_size = 8;
	rc = mdb_del(st->wtxn, st->dbi[DB_SCHED], &key, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_txn_error(st, "mdb_del sched", rc);
	return 0;
}

struct store_sched_arg {
	const char	*url;
	int64_t		 due;
};

static int
store_sched_set_op(struct treg_store *st, void *arg)
{
	struct store_sched_arg *a = arg;
	unsigned char idk[8], dk[16], dv[8];
	MDB_val key, val;
	uint64_t id;
	int rc;

	rc = store_url_id_alloc(st, a->url, &id);
	if (rc == 0)
		rc = store_sched_unlink(st, id);
	if (rc != 0)
		return rc;

	put_be64(idk, id);
	put_le(dv, (uint64_t)a->due, 8);
	key.mv_data = idk;
	key.mv_size = 8;
	val.mv_data = dv;
	val.mv_size = 8;
	rc = store_put(st, DB_SCHED, &key, &val, 0, "mdb_put sched");
	if (rc != 0)
		return rc;

	sched_duekey(dk, a->due, id);
	key.mv_data = dk;
	key.mv_size = 16;
	val.mv_data = (void *)a->url;
	val.mv_size = strlen(a->url);
	return store_put(st, DB_DUE, &key, &val, 0, "mdb_put due");
}

int
treg_store_sched_set(struct treg_store *st, const char *url, int64_t due)
{
	struct store_sched_arg a = { url, due };

	return store_write(st, store_sched_set_op, &a);
}

static int
store_sched_remove_op(struct treg_store *st, void *arg)
{
	const char *url = arg;
	uint64_t id;
	int rc;

	rc = store_url_id(st, st->wtxn, url, &id, NULL);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	return store_sched_unlink(st, id);
}

int
treg_store_sched_remove(struct treg_store *st, const char *url)
{
	return store_write(st, store_sched_remove_op, (void *)url);
}

int
treg_store_sched_get(struct treg_store *st, const char *url, int64_t *duep)
{
	unsigned char idk[8];
	MDB_txn *txn = NULL;
	MDB_val key, val;
	uint64_t id;
	int rc;

	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;
	rc = store_url_id(st, txn, url, &id, NULL);
	if (rc != 0)
		goto out;
	put_be64(idk, id);
	key.mv_data = idk;
	key.mv_size = 8;
	rc = store_get(st, txn, DB_SCHED, &key, &val, "mdb_get sched");
	if (rc == 0 && val.mv_size != 8)
		rc = -EINVAL;
	if (rc == 0)
		*duep = (int64_t)get_le(val.mv_data, 8);
out:
	store_read_end(st, txn);
	return rc;
}

/* The entries of database db, read in a transaction of their own. */
static int
store_count(struct treg_store *st, int db, const char *what, size_t *np)
{
	MDB_txn *txn = NULL;
	MDB_stat stat;
	int rc;

	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_stat(txn, st->dbi[db], &stat);
	if (rc == 0)
		*np = stat.ms_entries;
	else
		rc = store_fail(st, what, rc);
	store_read_end(st, txn);
	return rc;
}

int
treg_store_sched_count(struct treg_store *st, size_t *np)
{
	return store_count(st, DB_SCHED, "mdb_stat sched", np);
}

int
treg_store_cell_count(struct treg_store *st, size_t *np)
{
	return store_count(st, DB_CELL, "mdb_stat cell", np);
}

int
treg_store_sched_page(struct treg_store *st,
    struct treg_store_sched_pos *pos, int64_t until,
    struct treg_store_sched_entry *out, size_t max, size_t *np)
{
	unsigned char dk[16];
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val key, val;
	int64_t due;
	size_t n = 0;
	int rc;

	*np = 0;
	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_open(txn, st->dbi[DB_DUE], &cur);
	if (rc != 0) {
		rc = store_fail(st, "mdb_cursor_open due", rc);
		goto out;
	}

	/* Resume just after the last entry returned: its id plus one. */
	if (pos->started) {
		sched_duekey(dk, pos->due, pos->id + 1);
		key.mv_data = dk;
		key.mv_size = 16;
		rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
	}
	while (rc == 0 && n < max) {
		if (key.mv_size != 16) {
			rc = -EINVAL;
			break;
		}
		due = (int64_t)(get_be64(key.mv_data) ^ (UINT64_C(1) << 63));
		if (due > until)
			break;
		out[n].url = store_strndup(val.mv_data, val.mv_size);
		if (out[n].url == NULL) {
			rc = -ENOMEM;
			break;
		}
		out[n].due = due;
		n++;
		pos->started = 1;
		pos->due = due;
		pos->id = get_be64((const unsigned char *)key.mv_data + 8);
		rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc > 0)
		rc = store_fail(st, "mdb_cursor_get due", rc);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(st, txn);
	if (rc < 0) {
		treg_store_sched_entries_cleanup(out, n);
		return rc;
	}
	*np = n;
	return 0;
}

void
treg_store_sched_entries_cleanup(struct treg_store_sched_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(e[i].url);
		e[i].url = NULL;
	}
}

/* Named blobs (the registry's last good export) live in meta under
 * "blob:NAME", apart from the schema and counter records. */
struct store_blob_arg {
	const char	*name;
	const char	*data;
	size_t		 len;
};

static int
store_put_blob_op(struct treg_store *st, void *arg)
{
	struct store_blob_arg *a = arg;
	MDB_val key, val;
	char *k = NULL;
	int rc;

	if (asprintf(&k, "blob:%s", a->name) < 0)
		return -ENOMEM;
	key.mv_data = k;
	key.mv_size = strlen(k);
	val.mv_data = (void *)a->data;
	val.mv_size = a->len;
	rc = store_put(st, DB_META, &key, &val, 0, "mdb_put blob");
	free(k);
	return rc;
}

int
treg_store_put_blob(struct treg_store *st, const char *name,
    const char *data, size_t len)
{
	struct store_blob_arg a = { name, data, len };

	return store_write(st, store_put_blob_op, &a);
}

int
treg_store_get_blob(struct treg_store *st, const char *name, char **datap,
    size_t *lenp)
{
	MDB_txn *txn = NULL;
	MDB_val key, val;
	char *k = NULL;
	int rc;

	*datap = NULL;
	if (asprintf(&k, "blob:%s", name) < 0)
		return -ENOMEM;
	rc = store_read_begin(st, &txn);
	if (rc != 0)
		goto out;
	key.mv_data = k;
	key.mv_size = strlen(k);
	rc = store_get(st, txn, DB_META, &key, &val, "mdb_get blob");
	if (rc == 0) {
		*datap = store_strndup(val.mv_data, val.mv_size);
		*lenp = val.mv_size;
		if (*datap == NULL)
			rc = -ENOMEM;
	}
out:
	store_read_end(st, txn);
	free(k);
	return rc;
}

/*
 * Auxiliary records: small keyed blobs for the modules above the store
 * (per-cell baselines, the page chrome digest of a URL).  Same rules as
 * the cell records; a key longer than LMDB allows is -EINVAL.
 */
struct store_aux_arg {
	const char	*key;
	const void	*data;
	size_t		 len;
	int		 del;
};

static int
store_aux_op(struct treg_store *st, void *arg)
{
	struct store_aux_arg *a = arg;
	MDB_val key, val;
	int rc;

	rc = store_cell_key(st, a->key, &key);
	if (rc != 0)
		return rc;
	if (a->del) {
		rc = mdb_del(st->wtxn, st->dbi[DB_AUX], &key, NULL);
		if (rc == MDB_NOTFOUND)
			return 0;
		return rc == 0 ? 0 : store_txn_error(st, "mdb_del aux", rc);
	}
	val.mv_data = (void *)a->data;
	val.mv_size = a->len;
	return store_put(st, DB_AUX, &key, &val, 0, "mdb_put aux");
}

int
treg_store_put_aux(struct treg_store *st, const char *key, const void *data,
    size_t len)
{
	struct store_aux_arg a = { key, data, len, 0 };

	return store_write(st, store_aux_op, &a);
}

int
treg_store_del_aux(struct treg_store *st, const char *key)
{
	struct store_aux_arg a = { key, NULL, 0, 1 };

	return store_write(st, store_aux_op, &a);
}

int
treg_store_get_aux(struct treg_store *st, const char *key, char **datap,
    size_t *lenp)
{
	return store_get_string(st, DB_AUX, key, "mdb_get aux", datap,
	    lenp);
}

/*
 * History pruning.  Deletions are gathered with a cursor first
 * and made after it is closed, so no cursor walks records being deleted.
 * In these loops LMDB's codes go through store_fail() as soon as they
 * appear, so every rc past that point is 0 or a negative errno.
 */
struct store_del {
	unsigned char	 key[8];
	unsigned char	 val[STORE_OBS_SIZE];
};

struct store_prune_arg {
	int64_t		 before;
	int             (*keep_cb)(void *arg, const struct treg_observation *o,
			    unsigned int how);
	void		*arg;
	size_t		 removed;
	struct store_del *d;
	size_t		 n;
	size_t		 cap;
};

static int
store_prune_add(struct store_prune_arg *a, const MDB_val *key,
    const MDB_val *val)
{
	struct store_del *grown;

	/* d is tested too, so the analyser need not trust that cap is 0
	 * whenever d is NULL. */
	if (a->d == NULL || a->n == a->cap) {
		a->cap = a->cap != 0 ? a->cap * 2 : 256;
		grown = realloc(a->d, a->cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		a->d = grown;
	}
	memcpy(a->d[a->n].key, key->mv_data, 8);
	memcpy(a->d[a->n].val, val->mv_data, STORE_OBS_SIZE);
	a->n++;
	return 0;
}

/* Gathers the observations of the id under cur that are to go; leaves
 * the cursor somewhere within that id's records. */
static int
store_prune_gather(struct treg_store *st, struct store_prune_arg *a,
    MDB_cursor *cur, MDB_val *key, MDB_val *val)
{
	struct treg_observation o;
	char prev[TREG_SHA256_HEXLEN + 1] = "";
	size_t count = 0, k;
	unsigned int how;
	int seen_text = 0, rc;

	rc = mdb_cursor_count(cur, &count);
	if (rc != 0)
		return store_txn_error(st, "mdb_cursor_count obs", rc);
	for (k = 0; k < count; k++) {
		if (k > 0) {
			rc = mdb_cursor_get(cur, key, val, MDB_NEXT_DUP);
			if (rc != 0)
				return store_txn_error(st,
				    "mdb_cursor_get obs", rc);
		}
		if (key->mv_size != 8 || obs_decode(val->mv_data,
		    val->mv_size, &o) != 0)
			return -EINVAL;
		how = 0;
		if (strcmp(o.digest, prev) != 0)
			how |= TREG_STORE_PRUNE_RUN_START;
		if (o.digest[0] != '\0' && !seen_text)
			how |= TREG_STORE_PRUNE_FIRST_TEXT;
		seen_text |= o.digest[0] != '\0';
		memcpy(prev, o.digest, sizeof(prev));
		/* Time order: nothing after this one is old enough. */
		if (o.at >= a->before)
			break;
		if (k == count - 1 || a->keep_cb(a->arg, &o, how))
			continue;
		rc = store_prune_add(a, key, val);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
store_prune_obs_op(struct treg_store *st, void *arg)
{
	struct store_prune_arg *a = arg;
	MDB_cursor *cur = NULL;
	MDB_val key, val;
	MDB_cursor_op op = MDB_FIRST;
	size_t i;
	int rc;

	a->removed = 0;
	a->n = 0;
	rc = mdb_cursor_open(st->wtxn, st->dbi[DB_OBS], &cur);
	if (rc != 0)
		return store_txn_error(st, "mdb_cursor_open", rc);
	for (;;) {
		store_release_map(st);
		rc = mdb_cursor_get(cur, &key, &val, op);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = store_txn_error(st, "mdb_cursor_get obs", rc);
			break;
		}
		op = MDB_NEXT_NODUP;
		rc = store_prune_gather(st, a, cur, &key, &val);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(cur);
	for (i = 0; i < a->n && rc == 0; i++) {
		key.mv_data = a->d[i].key;
		key.mv_size = 8;
		val.mv_data = a->d[i].val;
		val.mv_size = STORE_OBS_SIZE;
		rc = mdb_del(st->wtxn, st->dbi[DB_OBS], &key, &val);
		if (rc != 0)
			rc = store_txn_error(st, "mdb_del obs", rc);
	}
	if (rc == 0)
		a->removed = a->n;
	return rc;
}

int
treg_store_prune_observations(struct treg_store *st, int64_t before,
    int (*keep_cb)(void *arg, const struct treg_observation *o,
    unsigned int how), void *arg, size_t *removedp)
{
	struct store_prune_arg a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.before = before;
	a.keep_cb = keep_cb;
	a.arg = arg;
	rc = store_write(st, store_prune_obs_op, &a);
	free(a.d);
	*removedp = rc == 0 ? a.removed : 0;
	return rc;
}

int
treg_store_foreach_observation(struct treg_store *st,
    int (*fn)(void *arg, const struct treg_observation *o), void *arg)
{
	struct treg_observation o;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val key, val;
	MDB_cursor_op op = MDB_FIRST;
	int rc;

	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_open(txn, st->dbi[DB_OBS], &cur);
	if (rc != 0) {
		rc = store_fail(st, "mdb_cursor_open", rc);
		goto out;
	}
	for (;;) {
		store_release_map(st);
		rc = mdb_cursor_get(cur, &key, &val, op);
		op = MDB_NEXT;
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = store_fail(st, "mdb_cursor_get obs", rc);
			break;
		}
		if (obs_decode(val.mv_data, val.mv_size, &o) != 0) {
			rc = -EINVAL;
			break;
		}
		rc = fn(arg, &o);
		if (rc != 0)
			break;
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(st, txn);
	return rc;
}

int
treg_store_foreach_aux(struct treg_store *st, const char *prefix,
    int (*fn)(void *arg, const char *key, const char *data, size_t len),
    void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val key, val;
	MDB_cursor_op op = MDB_SET_RANGE;
	size_t plen = strlen(prefix);
	char *k, *d;
	int rc;

	if (plen == 0)
		return -EINVAL;
	rc = store_read_begin(st, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_open(txn, st->dbi[DB_AUX], &cur);
	if (rc != 0) {
		rc = store_fail(st, "mdb_cursor_open", rc);
		goto out;
	}
	key.mv_data = (void *)prefix;
	key.mv_size = plen;
	for (;;) {
		store_release_map(st);
		rc = mdb_cursor_get(cur, &key, &val, op);
		op = MDB_NEXT;
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = store_fail(st, "mdb_cursor_get aux", rc);
			break;
		}
		if (key.mv_size < plen ||
		    memcmp(key.mv_data, prefix, plen) != 0)
			break;
		k = store_strndup(key.mv_data, key.mv_size);
		d = store_strndup(val.mv_data, val.mv_size);
		rc = k != NULL && d != NULL ? fn(arg, k, d, val.mv_size) :
		    -ENOMEM;
		free(k);
		free(d);
		if (rc != 0)
			break;
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_read_end(st, txn);
	return rc;
}

struct store_prune_text_arg {
	int		(*keep_cb)(void *arg, const char *digest);
	void		*arg;
	size_t		 removed;
	unsigned char	(*d)[TREG_SHA256_LEN];
	size_t		 n;
	size_t		 cap;
};

static int
store_prune_text_add(struct store_prune_text_arg *a, const void *raw)
{
	unsigned char (*grown)[TREG_SHA256_LEN];

	if (a->n == a->cap) {
		a->cap = a->cap != 0 ? a->cap * 2 : 256;
		grown = realloc(a->d, a->cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		a->d = grown;
	}
	memcpy(a->d[a->n++], raw, TREG_SHA256_LEN);
	return 0;
}

static int
store_prune_text_op(struct treg_store *st, void *arg)
{
	struct store_prune_text_arg *a = arg;
	char hex[TREG_SHA256_HEXLEN + 1];
	MDB_cursor *cur = NULL;
	MDB_val key;
	MDB_cursor_op op = MDB_FIRST;
	size_t i;
	int rc;

	a->removed = 0;
	a->n = 0;
	store_memo_clear(st);
	rc = mdb_cursor_open(st->wtxn, st->dbi[DB_TEXT], &cur);
	if (rc != 0)
		return store_txn_error(st, "mdb_cursor_open", rc);
	for (;;) {
		store_release_map(st);
		/* Keys only: with no data argument LMDB does not read a
		 * large value's first overflow page, so the walk touches
		 * the tree, not every text and raw body in the map. */
		rc = mdb_cursor_get(cur, &key, NULL, op);
		op = MDB_NEXT;
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = store_txn_error(st, "mdb_cursor_get text", rc);
			break;
		}
		if (key.mv_size != TREG_SHA256_LEN)
			continue;
		treg_sha256_hex(key.mv_data, hex);
		if (!a->keep_cb(a->arg, hex)) {
			rc = store_prune_text_add(a, key.mv_data);
			if (rc != 0)
				break;
		}
	}
	mdb_cursor_close(cur);
	for (i = 0; i < a->n && rc == 0; i++) {
		key.mv_data = a->d[i];
		key.mv_size = TREG_SHA256_LEN;
		rc = mdb_del(st->wtxn, st->dbi[DB_TEXT], &key, NULL);
		if (rc != 0)
			rc = store_txn_error(st, "mdb_del text", rc);
	}
	if (rc == 0)
		a->removed = a->n;
	return rc;
}

int
treg_store_prune_texts(struct treg_store *st,
    int (*keep_cb)(void *arg, const char *digest), void *arg,
    size_t *removedp)
{
	struct store_prune_text_arg a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.keep_cb = keep_cb;
	a.arg = arg;
	rc = store_write(st, store_prune_text_op, &a);
	free(a.d);
	*removedp = rc == 0 ? a.removed : 0;
	return rc;
}
