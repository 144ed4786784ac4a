/* SPDX-License-Identifier: MIT */
/*
 * The registry loader.  It reads the registry's JSON export with jansson
 * (the only module that does), one offering at a time, checks every field
 * the crawler relies on and copies it into plain structures whose strings
 * live in one pool, so nothing outside this file sees a json_t.  Errors
 * name the file and the JSON path of the bad field, or the file's line and
 * column for bad JSON, exactly as a parse of the whole file would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "bundle.h"
#include "extract.h"
#include "registry.h"

/* An export is a few hundred kilobytes; a file this large is not one, and
 * reading it whole would only waste memory. */
#define REGISTRY_MAX_BYTES	(256UL * 1024 * 1024)

/* jansson's JSON_PARSER_MAX_DEPTH.  A value parsed on its own starts that
 * count afresh, so the loader checks the whole file's nesting itself. */
#define JSON_MAX_DEPTH		2048

/* How much of a file the loader reads at a time: an export of 100,000
 * URLs is 76 MB, which a load held whole next to what it built. */
#define WINDOW_BYTES		(256UL * 1024)

/* How far past a value's end its parse may look, as jansson's reader
 * peeks a little ahead of the token it ends. */
#define VALUE_SLACK		64

/* How many of an index's files it keeps open (a directory registry has
 * a few; the rest are opened again by name). */
#define INDEX_OPEN_MAX		32

/* How many bytes of a bad value an error message echoes. */
#define ECHO_MAX		80

#define LDQUO			"\xe2\x80\x9c"	/* U+201C “ */
#define RDQUO			"\xe2\x80\x9d"	/* U+201D ” */

const char *const treg_cell_keys[TREG_NCELL_KEYS] = {
	"soc2_type2",
	"iso_27001",
	"iso_42001",
	"trust_center",
	"hipaa_baa",
	"gdpr_dpa",
	"training_on_customer_data",
	"retention_zdr",
	"data_residency",
	"gpai_cop",
	"art53_summary",
};

/* The cell fields with a meaning of their own; other scalars are attrs. */
static const char *const cell_fields[] = {
	"value", "confidence", "verified", "source", "archived", "notes",
	"quotes", "extract",
};

/* How a string member may appear (flags for get_string). */
#define F_REQUIRED	0x1	/* absence is an error */
#define F_NULLABLE	0x2	/* null stands for "none" */
#define F_NONEMPTY	0x4	/* "" is an error */
#define F_INTERN	0x8	/* one of a small set: share the copy */

/* A hash set of strings owned elsewhere, by open addressing. */
struct strset {
	char		**slots;
	size_t		 nslots;	/* 0 or a power of two */
	size_t		 count;
};

/*
 * The registry's strings.  Each is copied into large blocks rather than
 * given a malloc of its own, and the ones drawn from small sets (cell
 * values, dates, questions, attributes) are stored once and shared: a
 * registry of thousands of offerings repeats them in every cell.
 */
struct treg_registry_pool {
	struct treg_arena	 arena;
	struct strset		 interned;

	/* An index's files, to read an offering again from the same
	 * bytes (or to see that they changed). */
	struct registry_file	*files;
	size_t			 nfiles;
};

/* A file an index was made from, as it was then. */
struct registry_file {
	char		*path;		/* in the pool */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	/* No one can set it back, as touch -r or cp -p do the mtime of a
	 * file rewritten in place. */
	struct timespec	 ctime;
	json_t		*questions;	/* its "dimensions", or NULL */
	/* The file as indexed, kept open: one replaced since (by rename,
	 * as editors, git and cp to a new file do) is still read as it
	 * was checked.  -1: reopened by path. */
	int		 fd;
};

/* State of one load, which may span the files of a directory. */
struct load {
	struct treg_registry	*reg;
	struct treg_registry_pool *pool;        /* reg's */
	struct strset            ids;           /* of reg's offerings */
	size_t                   cap;           /* offerings allocated */
	const char		*file;		/* file being read */
	size_t                   len;           /* its length */
	/* Its bytes from win_off on: all of them in memory; a window of
	 * them for a file (fd), read by window(). */
	const char              *data;
	size_t                   win_off;
	size_t                   win_len;
	int                      fd;            /* -1: all in data */
	char                    *win;           /* the window's storage */
	size_t                   win_cap;
	int                      read_err;      /* the window's failure */
	int                      index;         /* treg_registry_index() */
	size_t                   off_start;     /* its "offerings" '[', or 0 */
	json_t                  *questions;     /* its "dimensions", or NULL */
	json_t                  *off_extract;   /* the offering's "extract" */
	char                     off_where[48]; /* its path in messages */
	char			**errp;
};

static void	offering_free(struct treg_offering *off);

/*
 * Appends s escaped so a message stays one printable line whatever the
 * input held, and cut after ECHO_MAX bytes on a character boundary.
 */
static void
echo_escaped(struct treg_buf *b, const char *s)
{
	size_t i;
	unsigned char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (i >= ECHO_MAX && (c & 0xc0) != 0x80) {
			treg_buf_puts(b, "...");
			return;
		}
		if (c == '"' || c == '\\')
			treg_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			treg_buf_printf(b, "\\x%02x", c);
		else
			treg_buf_append(b, &c, 1);
	}
}

/* Formats into a new string; NULL when out of memory. */
static char *
vformat(const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s != NULL)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/* Sets a free-form message ("FILE: open: ...") and returns rc. */
static int
report(char **errp, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
report(char **errp, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errp == NULL)
		return rc;

	free(*errp);
	va_start(ap, fmt);
	*errp = vformat(fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Sets "FILE: WHERE.FIELD: message" (with ": \"VALUE\"" after it when value
 * is not NULL) and returns -EINVAL.  where and field may each be NULL;
 * field and value come from the input, so both are escaped.
 */
static int
fail(struct load *ld, const char *where, const char *field,
    const char *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
fail(struct load *ld, const char *where, const char *field,
    const char *value, const char *fmt, ...)
{
	struct treg_buf b;
	va_list ap;
	char *msg;

	if (ld->errp == NULL)
		return -EINVAL;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);

	treg_buf_init(&b, 0);
	treg_buf_printf(&b, "%s: ", ld->file);
	if (where != NULL)
		treg_buf_puts(&b, where);
	if (where != NULL && field != NULL)
		treg_buf_puts(&b, ".");
	if (field != NULL)
		echo_escaped(&b, field);
	if (where != NULL || field != NULL)
		treg_buf_puts(&b, ": ");
	treg_buf_puts(&b, msg != NULL ? msg : "(out of memory)");
	if (value != NULL) {
		treg_buf_puts(&b, ": \"");
		echo_escaped(&b, value);
		treg_buf_puts(&b, "\"");
	}
	free(msg);

	free(*ld->errp);
	*ld->errp = treg_buf_steal(&b);
	return -EINVAL;
}

/* Copies s into the pool; NULL when out of memory. */
static char *
pool_copy(struct treg_registry_pool *p, const char *s)
{
	return treg_arena_strdup(&p->arena, s);
}

/* Returns the slot of s: the one holding it, or the empty one where it
 * belongs.  The set has room (strset_room()). */
static size_t
strset_slot(const struct strset *set, const char *s)
{
	size_t i;

	i = treg_hash_str(s) & (set->nslots - 1);
	while (set->slots[i] != NULL && strcmp(set->slots[i], s) != 0)
		i = (i + 1) & (set->nslots - 1);
	return i;
}

/* Makes room for one more string, keeping the table at most half full. */
static int
strset_room(struct strset *set)
{
	struct strset grown;
	size_t i;

	if ((set->count + 1) * 2 <= set->nslots)
		return 0;

	grown.nslots = set->nslots == 0 ? 64 : set->nslots * 2;
	grown.count = set->count;
	grown.slots = calloc(grown.nslots, sizeof(*grown.slots));
	if (grown.slots == NULL)
		return -ENOMEM;
	for (i = 0; i < set->nslots; i++) {
		if (set->slots[i] != NULL)
			grown.slots[strset_slot(&grown, set->slots[i])] =
			    set->slots[i];
	}
	free(set->slots);
	*set = grown;
	return 0;
}

/* Frees the table; the strings belong to someone else. */
static void
strset_cleanup(struct strset *set)
{
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* Returns the pool's one copy of s, made on first use; NULL when out of
 * memory.  The copy is shared: nobody may change it. */
static char *
pool_intern(struct treg_registry_pool *p, const char *s)
{
	size_t i;
	char *copy;

	if (strset_room(&p->interned) < 0)
		return NULL;

	i = strset_slot(&p->interned, s);
	if (p->interned.slots[i] != NULL)
		return p->interned.slots[i];
	copy = pool_copy(p, s);
	if (copy == NULL)
		return NULL;
	p->interned.slots[i] = copy;
	p->interned.count++;
	return copy;
}

static void
pool_cleanup(struct treg_registry_pool *p)
{
	size_t i;

	treg_arena_free(&p->arena);
	strset_cleanup(&p->interned);
	for (i = 0; i < p->nfiles; i++) {
		json_decref(p->files[i].questions);
		if (p->files[i].fd >= 0)
			close(p->files[i].fd);
	}
	free(p->files);
	p->files = NULL;
	p->nfiles = 0;
}

/* Allocates an empty registry with a string pool and points *poolp at
 * the pool; NULL when out of memory. */
static struct treg_registry *
registry_new(struct treg_registry_pool **poolp)
{
	struct treg_registry *reg;

	reg = calloc(1, sizeof(*reg));
	if (reg == NULL)
		return NULL;
	reg->pool = calloc(1, sizeof(*reg->pool));
	if (reg->pool == NULL) {
		free(reg);
		return NULL;
	}
	*poolp = reg->pool;
	return reg;
}

static int
is_slug(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
			continue;
		return 0;
	}
	return i > 0;
}

/* Parses a real calendar date "YYYY-MM-DD" as its midnight UTC. */
static int
parse_date(const char *s, time_t *t)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	struct tm tm;
	int y, m, d, leap, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	}

	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap))
		return -EINVAL;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*t = timegm(&tm);

	/* Midnight is never -1, so -1 can only mean time_t overflowed. */
	return *t == (time_t)-1 ? -ERANGE : 0;
}

/*
 * Returns NULL when url is an absolute http(s) URL with a host, or why
 * not.  *secret is set when the URL carries credentials, which a message
 * must then not echo.
 */
static const char *
url_problem(const char *url, int *secret)
{
	const char *p, *auth, *end, *host_end;
	size_t ndigits;
	long port;

	*secret = 0;
	for (p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "URL contains a space or control character";
	}

	if (strncasecmp(url, "http://", 7) == 0)
		auth = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		auth = url + 8;
	else
		return "not an absolute http(s) URL";
	end = auth + strcspn(auth, "/?#");

	if (memchr(auth, '@', (size_t)(end - auth)) != NULL) {
		*secret = 1;
		return "URL carries credentials (user:password@); refused";
	}

	if (*auth == '[') {
		host_end = memchr(auth, ']', (size_t)(end - auth));
		if (host_end == NULL || host_end == auth + 1)
			return "URL has a malformed host";
		host_end++;
	} else {
		host_end = auth + strcspn(auth, ":/?#");
		if (host_end == auth)
			return "URL has no host";
	}
	if (host_end == end)
		return NULL;

	ndigits = strspn(host_end + 1, "0123456789");
	port = strtol(host_end + 1, NULL, 10);
	if (*host_end != ':' || host_end + 1 + ndigits != end ||
	    ndigits == 0 || ndigits > 5 || port > 65535)
		return "URL has a malformed port";
	return NULL;
}

/* Copies the string member key of obj (see F_*) into the pool, and sets
 * *dst to the copy. */
static int
get_string(struct load *ld, const char *where, json_t *obj, const char *key,
    int flags, char **dst)
{
	json_t *v;

	*dst = NULL;
	v = json_object_get(obj, key);
	/* Each failure returns -EINVAL outright, not fail()'s value, so
	 * that the analyser sees a required string is never NULL on 0. */
	if (v == NULL) {
		if (!(flags & F_REQUIRED))
			return 0;
		(void)fail(ld, where, key, NULL, "missing");
		return -EINVAL;
	}
	if (json_is_null(v) && (flags & F_NULLABLE))
		return 0;
	if (!json_is_string(v)) {
		(void)fail(ld, where, key, NULL, "%s",
		    (flags & F_NULLABLE) ? "not a string or null" :
		    "not a string");
		return -EINVAL;
	}
	if ((flags & F_NONEMPTY) && json_string_length(v) == 0) {
		(void)fail(ld, where, key, NULL, "empty");
		return -EINVAL;
	}

	if (flags & F_INTERN)
		*dst = pool_intern(ld->pool, json_string_value(v));
	else
		*dst = pool_copy(ld->pool, json_string_value(v));
	return *dst == NULL ? -ENOMEM : 0;
}

/* Copies a URL member, absent or null meaning "no URL". */
static int
get_url(struct load *ld, const char *where, json_t *obj, const char *key,
    char **dst)
{
	const char *why;
	int secret, rc;

	rc = get_string(ld, where, obj, key, F_NULLABLE, dst);
	if (rc < 0 || *dst == NULL)
		return rc;

	why = url_problem(*dst, &secret);
	if (why == NULL)
		return 0;
	return fail(ld, where, key, secret ? NULL : *dst, "%s", why);
}

/* Appends the len bytes at s to the quotations unless already there. */
static int
add_quote(char ***quotesp, size_t *nquotesp, const char *s, size_t len)
{
	char **quotes;
	char *q;
	size_t i;

	for (i = 0; i < *nquotesp; i++) {
		q = (*quotesp)[i];
		if (strlen(q) == len && memcmp(q, s, len) == 0)
			return 0;
	}

	quotes = realloc(*quotesp, (*nquotesp + 1) * sizeof(*quotes));
	if (quotes == NULL)
		return -ENOMEM;
	*quotesp = quotes;
	q = strndup(s, len);
	if (q == NULL)
		return -ENOMEM;
	quotes[(*nquotesp)++] = q;
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

/* Adds the passage at s (len bytes, trimmed) if it is long enough to be
 * a quotation rather than emphasis. */
static int
add_passage(char ***quotesp, size_t *nquotesp, const char *s, size_t len)
{
	size_t i, words;

	while (len > 0 && is_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;

	words = 0;
	for (i = 0; i < len; i++) {
		if (!is_space(s[i]) && (i == 0 || is_space(s[i - 1])))
			words++;
	}
	if (words < TREG_QUOTE_MIN_WORDS)
		return 0;
	return add_quote(quotesp, nquotesp, s, len);
}

static void
free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
treg_registry_quotes_from_notes(const char *notes, char ***quotesp,
    size_t *nquotesp)
{
	const char *p, *start, *end, *closer;
	char **quotes = NULL;
	size_t nquotes = 0;
	int ascii_closes = 1, typo_closes = 1, rc = 0;

	p = notes != NULL ? notes : "";
	while (*p != '\0') {
		if (*p == '"' && ascii_closes) {
			start = p + 1;
			closer = "\"";
		} else if (strncmp(p, LDQUO, 3) == 0 && typo_closes) {
			start = p + 3;
			closer = RDQUO;
		} else {
			p++;
			continue;
		}

		/*
		 * An opener without its closer is a stray mark, not the start
		 * of a quotation: look on after it.  No later opener of that
		 * kind can be closed either, so none is searched again, which
		 * keeps notes full of stray marks linear.
		 */
		end = strstr(start, closer);
		if (end == NULL) {
			if (*closer == '"')
				ascii_closes = 0;
			else
				typo_closes = 0;
			p = start;
			continue;
		}
		rc = add_passage(&quotes, &nquotes, start,
		    (size_t)(end - start));
		if (rc < 0)
			goto out;
		p = end + strlen(closer);
	}

out:
	if (rc < 0) {
		free_strings(quotes, nquotes);
		quotes = NULL;
		nquotes = 0;
	}
	*quotesp = quotes;
	*nquotesp = nquotes;
	return rc;
}

static char *
intern_or_nomem(struct treg_registry_pool *p, const char *s, int *rc)
{
	char *copy;

	copy = pool_intern(p, s);
	if (copy == NULL)
		*rc = -ENOMEM;
	return copy;
}

/* Renders a scalar as text in the pool, or returns NULL (with *rc 0) for
 * a value that is not one. */
static char *
render_scalar(struct treg_registry_pool *p, json_t *v, int *rc)
{
	char text[64];
	double d;
	int prec;

	*rc = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return intern_or_nomem(p, json_string_value(v), rc);
	case JSON_TRUE:
		return intern_or_nomem(p, "true", rc);
	case JSON_FALSE:
		return intern_or_nomem(p, "false", rc);
	case JSON_INTEGER:
		snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return intern_or_nomem(p, text, rc);
	case JSON_REAL:
		/* jansson keeps only the double, so the shortest text that
		 * reads back as it stands in for the number as written. */
		d = json_real_value(v);
		for (prec = 1; prec <= 17; prec++) {
			snprintf(text, sizeof(text), "%.*g", prec, d);
			if (strtod(text, NULL) == d)
				break;
		}
		return intern_or_nomem(p, text, rc);
	default:
		return NULL;
	}
}

static int
is_cell_field(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(cell_fields) / sizeof(cell_fields[0]); i++) {
		if (strcmp(key, cell_fields[i]) == 0)
			return 1;
	}
	return 0;
}

/* Keeps the cell's other scalar fields (tier, route, ...) as text, in the
 * order the file gives them; objects, arrays and nulls are not attrs. */
static int
parse_attrs(struct load *ld, json_t *obj, struct treg_cell *cell)
{
	const char *key;
	json_t *v;
	char *text;
	size_t n = 0;
	int rc;

	json_object_foreach(obj, key, v) {
		if (!is_cell_field(key) && (json_is_string(v) ||
		    json_is_number(v) || json_is_boolean(v)))
			n++;
	}
	if (n == 0)
		return 0;

	cell->attrs = calloc(n, sizeof(*cell->attrs));
	if (cell->attrs == NULL)
		return -ENOMEM;
	json_object_foreach(obj, key, v) {
		if (is_cell_field(key))
			continue;
		text = render_scalar(ld->pool, v, &rc);
		if (rc < 0)
			return rc;
		if (text == NULL)
			continue;
		cell->attrs[cell->nattrs].value = text;
		cell->attrs[cell->nattrs].key = pool_intern(ld->pool, key);
		cell->nattrs++;
		if (cell->attrs[cell->nattrs - 1].key == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* Collects the quotations: those in the notes, then the "quotes" array. */
static int
parse_quotes(struct load *ld, const char *where, json_t *obj,
    struct treg_cell *cell)
{
	json_t *arr, *v;
	size_t i;
	char field[32];
	int rc;

	rc = treg_registry_quotes_from_notes(cell->notes, &cell->quotes,
	    &cell->nquotes);
	if (rc < 0)
		return rc;

	arr = json_object_get(obj, "quotes");
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return fail(ld, where, "quotes", NULL, "not an array");

	json_array_foreach(arr, i, v) {
		snprintf(field, sizeof(field), "quotes[%zu]", i);
		if (!json_is_string(v))
			return fail(ld, where, field, NULL, "not a string");
		if (json_string_length(v) == 0)
			return fail(ld, where, field, NULL, "empty");
		rc = add_quote(&cell->quotes, &cell->nquotes,
		    json_string_value(v), json_string_length(v));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Reads one selector list ("keep" or "drop") of an "extract" object. */
static int
parse_selector_list(struct load *ld, const char *where, json_t *ext,
    const char *name, char ***listp, size_t *np)
{
	json_t *arr, *v;
	char field[48];
	size_t i;

	arr = json_object_get(ext, name);
	snprintf(field, sizeof(field), "extract.%s", name);
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return fail(ld, where, field, NULL, "not an array");
	if (json_array_size(arr) == 0)
		return 0;
	*listp = calloc(json_array_size(arr), sizeof(**listp));
	if (*listp == NULL)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		snprintf(field, sizeof(field), "extract.%s[%zu]", name, i);
		if (!json_is_string(v))
			return fail(ld, where, field, NULL, "not a string");
		if (!treg_extract_selector_valid(json_string_value(v)))
			return fail(ld, where, field, json_string_value(v),
			    "not a tag, #id or .class selector");
		(*listp)[i] = pool_intern(ld->pool, json_string_value(v));
		if ((*listp)[i] == NULL)
			return -ENOMEM;
		*np = i + 1;
	}
	return 0;
}

/*
 * Reads the per-source extraction selectors: the cell's own "extract"
 * object, else its offering's, so one page's volatile parts are named
 * once.  Both are checked wherever they appear.
 */
static int
parse_extract(struct load *ld, const char *where, json_t *ext,
    struct treg_cell *cell)
{
	const char *key;
	json_t *v;
	int rc;

	if (ext == NULL || json_is_null(ext))
		return 0;
	if (!json_is_object(ext))
		return fail(ld, where, "extract", NULL, "not an object");
	json_object_foreach(ext, key, v) {
		if (strcmp(key, "keep") != 0 && strcmp(key, "drop") != 0)
			return fail(ld, where, "extract", key,
			    "unknown member (keep or drop)");
	}
	rc = parse_selector_list(ld, where, ext, "keep", &cell->keep,
	    &cell->nkeep);
	if (rc == 0)
		rc = parse_selector_list(ld, where, ext, "drop", &cell->drop,
		    &cell->ndrop);
	return rc;
}

static int
parse_cell(struct load *ld, const char *where, const char *key, json_t *obj,
    struct treg_cell *cell)
{
	json_t *q;
	int rc;

	cell->key = key;
	if (!json_is_object(obj))
		return fail(ld, where, NULL, NULL, "not an object");

	q = json_object_get(ld->questions, key);
	if (json_is_string(q)) {
		cell->question = pool_intern(ld->pool, json_string_value(q));
		if (cell->question == NULL)
			return -ENOMEM;
	}

	rc = get_string(ld, where, obj, "value",
	    F_REQUIRED | F_NONEMPTY | F_INTERN, &cell->value);
	if (rc < 0)
		return rc;

	rc = get_string(ld, where, obj, "confidence", F_REQUIRED | F_INTERN,
	    &cell->confidence);
	if (rc < 0)
		return rc;
	if (strcmp(cell->confidence, "high") != 0 &&
	    strcmp(cell->confidence, "medium") != 0 &&
	    strcmp(cell->confidence, "low") != 0)
		return fail(ld, where, "confidence", cell->confidence,
		    "not high, medium or low");

	rc = get_string(ld, where, obj, "verified", F_REQUIRED | F_INTERN,
	    &cell->verified);
	if (rc < 0)
		return rc;
	if (parse_date(cell->verified, &cell->verified_at) < 0)
		return fail(ld, where, "verified", cell->verified,
		    "not a date (YYYY-MM-DD)");

	rc = get_url(ld, where, obj, "source", &cell->source);
	if (rc < 0)
		return rc;
	rc = get_url(ld, where, obj, "archived", &cell->archived);
	if (rc < 0)
		return rc;

	rc = get_string(ld, where, obj, "notes", F_NULLABLE, &cell->notes);
	if (rc < 0)
		return rc;
	rc = parse_quotes(ld, where, obj, cell);
	if (rc < 0)
		return rc;
	if (json_object_get(obj, "extract") != NULL)
		rc = parse_extract(ld, where, json_object_get(obj, "extract"),
		    cell);
	else
		rc = parse_extract(ld, ld->off_where, ld->off_extract, cell);
	if (rc < 0)
		return rc;

	return parse_attrs(ld, obj, cell);
}

static int
cell_index(const char *key)
{
	int i;

	for (i = 0; i < TREG_NCELL_KEYS; i++) {
		if (strcmp(key, treg_cell_keys[i]) == 0)
			return i;
	}
	return -1;
}

/* The known cell keys in list, for an error message: "a, b ... and k". */
static const char *
registry_cell_key_list(char *list, size_t size)
{
	size_t i, len = 0;
	int n;

	list[0] = '\0';
	for (i = 0; i < TREG_NCELL_KEYS; i++) {
		n = snprintf(list + len, size - len, "%s%s",
		    i == 0 ? "" : i + 1 == TREG_NCELL_KEYS ? " and " : ", ",
		    treg_cell_keys[i]);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	return list;
}

/* Reads the cells in treg_cell_keys order, whatever the file's order. */
static int
parse_cells(struct load *ld, const char *where, json_t *dims,
    struct treg_offering *off)
{
	char path[128], known[512];
	const char *key;
	json_t *v;
	int i, rc;

	snprintf(path, sizeof(path), "%s.dimensions", where);
	if (dims == NULL)
		return fail(ld, where, "dimensions", NULL, "missing");
	if (!json_is_object(dims))
		return fail(ld, where, "dimensions", NULL, "not an object");
	json_object_foreach(dims, key, v) {
		if (cell_index(key) < 0)
			return fail(ld, path, key, NULL, "unknown cell key "
			    "(known: %s)", registry_cell_key_list(known,
			    sizeof(known)));
	}
	if (json_object_size(dims) == 0)
		return 0;

	off->cells = calloc(json_object_size(dims), sizeof(*off->cells));
	if (off->cells == NULL)
		return -ENOMEM;
	for (i = 0; i < TREG_NCELL_KEYS; i++) {
		v = json_object_get(dims, treg_cell_keys[i]);
		if (v == NULL)
			continue;
		snprintf(path, sizeof(path), "%s.dimensions.%s", where,
		    treg_cell_keys[i]);
		rc = parse_cell(ld, path, treg_cell_keys[i], v,
		    &off->cells[off->ncells++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct treg_offering *
find_offering(const struct treg_offering *offs, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(offs[i].id, id) == 0)
			return &offs[i];
	}
	return NULL;
}

static int
parse_offering(struct load *ld, size_t idx, json_t *obj,
    struct treg_offering *off)
{
	const struct treg_offering *first;
	struct treg_cell probe;
	char where[48];
	json_t *v;
	size_t slot;
	int rc;

	off->sort_order = LONG_MAX;
	snprintf(where, sizeof(where), "offerings[%zu]", idx);
	if (!json_is_object(obj))
		return fail(ld, where, NULL, NULL, "not an object");

	rc = get_string(ld, where, obj, "id", F_REQUIRED, &off->id);
	if (rc < 0)
		return rc;
	if (!is_slug(off->id))
		return fail(ld, where, "id", off->id,
		    "not a lowercase slug ([a-z0-9][a-z0-9._-]*)");
	if (strlen(off->id) > TREG_REGISTRY_ID_MAX)
		return fail(ld, where, "id", NULL, "longer than %d bytes",
		    TREG_REGISTRY_ID_MAX);

	rc = strset_room(&ld->ids);
	if (rc < 0)
		return rc;
	slot = strset_slot(&ld->ids, off->id);
	if (ld->ids.slots[slot] != NULL) {
		/* off is the registry's last offering: the first is before. */
		first = find_offering(ld->reg->offerings,
		    ld->reg->noffer - 1, off->id);
		return fail(ld, where, "id", NULL,
		    "duplicate offering id \"%s\" (first in %s)", off->id,
		    first->file);
	}
	ld->ids.slots[slot] = off->id;
	ld->ids.count++;

	off->file = pool_intern(ld->pool, ld->file);
	if (off->file == NULL)
		return -ENOMEM;

	rc = get_string(ld, where, obj, "name", F_REQUIRED | F_NONEMPTY,
	    &off->name);
	if (rc == 0)
		rc = get_string(ld, where, obj, "developer", F_INTERN,
		    &off->developer);
	if (rc == 0)
		rc = get_string(ld, where, obj, "platform", F_INTERN,
		    &off->platform);
	if (rc == 0)
		rc = get_string(ld, where, obj, "category", F_INTERN,
		    &off->category);
	if (rc == 0)
		rc = get_string(ld, where, obj, "model_family", F_NULLABLE,
		    &off->model_family);
	if (rc == 0)
		rc = get_string(ld, where, obj, "summary", F_NULLABLE,
		    &off->summary);
	if (rc < 0)
		return rc;

	v = json_object_get(obj, "sort_order");
	if (v != NULL && !json_is_integer(v))
		return fail(ld, where, "sort_order", NULL, "not an integer");
	if (v != NULL && (json_integer_value(v) < LONG_MIN ||
	    json_integer_value(v) > LONG_MAX))
		return fail(ld, where, "sort_order", NULL, "out of range");
	if (v != NULL)
		off->sort_order = (long)json_integer_value(v);

	/* Checked here too, so a bad one is found even with no cells. */
	ld->off_extract = json_object_get(obj, "extract");
	snprintf(ld->off_where, sizeof(ld->off_where), "%s", where);
	if (ld->off_extract != NULL) {
		memset(&probe, 0, sizeof(probe));
		rc = parse_extract(ld, where, ld->off_extract, &probe);
		free(probe.keep);
		free(probe.drop);
		if (rc < 0)
			return rc;
	}
	rc = parse_cells(ld, where, json_object_get(obj, "dimensions"), off);
	ld->off_extract = NULL;
	return rc;
}

/* Checks a top-level member that must be a string when present. */
static int
check_top_string(struct load *ld, json_t *root, const char *key,
    char **keep)
{
	json_t *v;

	v = json_object_get(root, key);
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return fail(ld, NULL, key, NULL, "not a string");
	if (keep == NULL || *keep != NULL)
		return 0;

	*keep = strdup(json_string_value(v));
	return *keep == NULL ? -ENOMEM : 0;
}

static int
check_questions(struct load *ld, json_t *root)
{
	const char *key;
	json_t *dims, *v;

	dims = json_object_get(root, "dimensions");
	if (dims == NULL)
		return 0;
	if (!json_is_object(dims))
		return fail(ld, NULL, "dimensions", NULL, "not an object");
	json_object_foreach(dims, key, v) {
		if (!json_is_string(v))
			return fail(ld, "dimensions", key, NULL,
			    "not a string");
	}
	ld->questions = dims;
	return 0;
}

/* Makes room for one more offering, doubling the array: how many a file
 * holds is known only once it has been read. */
static int
reserve_offering(struct load *ld)
{
	struct treg_offering *offs;
	size_t cap;

	if (ld->reg->noffer < ld->cap)
		return 0;

	cap = ld->cap < 16 ? 16 : ld->cap * 2;
	offs = realloc(ld->reg->offerings, cap * sizeof(*offs));
	if (offs == NULL)
		return -ENOMEM;
	ld->reg->offerings = offs;
	ld->cap = cap;
	return 0;
}

/*
 * Checks offerings[idx] of the file, read from v, as parse_offering()
 * does, but keeps in off only what an index holds, with the length bytes
 * at offset it came from.  Its strings go to a pool of its own, dropped
 * with its cells.
 */
static int
index_offering(struct load *ld, size_t idx, json_t *v,
    struct treg_offering *off, size_t offset, size_t length)
{
	struct treg_registry_pool scratch, *kept = ld->pool;
	char *id = NULL, *file = NULL;
	size_t ncells;
	long sort_order;
	int rc;

	memset(&scratch, 0, sizeof(scratch));
	ld->pool = &scratch;
	rc = parse_offering(ld, idx, v, off);
	ld->pool = kept;
	/* Only a file walked value by value gives an offering's place, and
	 * one the walk cannot follow is not JSON (load_whole()): this is
	 * for what jansson might accept all the same. */
	if (rc == 0 && length == 0)
		rc = report(ld->errp, -EINVAL,
		    "%s: offerings[%zu]: cannot be indexed", ld->file, idx);
	if (rc == 0) {
		id = pool_copy(kept, off->id);
		file = pool_intern(kept, ld->file);
		if (id == NULL || file == NULL)
			rc = -ENOMEM;
	}
	/* The set of ids held the scratch copy: it now holds the kept one
	 * (same string, same slot). */
	if (rc == 0)
		ld->ids.slots[strset_slot(&ld->ids, off->id)] = id;

	ncells = off->ncells;
	sort_order = off->sort_order;
	offering_free(off);
	memset(off, 0, sizeof(*off));
	pool_cleanup(&scratch);
	if (rc < 0)
		return rc;

	off->id = id;
	off->file = file;
	off->sort_order = sort_order;
	off->file_index = kept->nfiles - 1;
	off->position = idx;
	off->offset = offset;
	off->length = length;
	ld->reg->ncells += ncells;
	return 0;
}

/* Adds offerings[idx] of the file, read from v, which lies in the length
 * bytes at offset (0 and 0 when it came from a whole-file parse). */
static int
add_offering(struct load *ld, size_t idx, json_t *v, size_t offset,
    size_t length)
{
	struct treg_offering *off;
	int rc;

	rc = reserve_offering(ld);
	if (rc < 0)
		return rc;

	/* Each offering joins the registry before it is read, so whatever
	 * a failure leaves half-built is freed with the registry. */
	off = &ld->reg->offerings[ld->reg->noffer++];
	memset(off, 0, sizeof(*off));
	if (ld->index)
		return index_offering(ld, idx, v, off, offset, length);
	return parse_offering(ld, idx, v, off);
}

/* Reads the len bytes at offset of the file open on fd into buf; -ESTALE
 * when the file ends before them. */
static int
read_at(int fd, char *buf, size_t len, size_t offset)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)(offset + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ESTALE;
		got += (size_t)n;
	}
	return 0;
}

/*
 * Makes the need bytes at pos (fewer at the end of the file) readable at
 * ld->data + (pos - ld->win_off), reading them from the file when they
 * are not.  Returns 0, or a negative errno, kept in ld->read_err for the
 * message: -ESTALE when the file shrank under the load.
 */
static int
window(struct load *ld, size_t pos, size_t need)
{
	size_t size;
	char *grown;
	int rc;

	if (pos > ld->len)
		pos = ld->len;
	if (need > ld->len - pos)
		need = ld->len - pos;
	if (pos >= ld->win_off && pos - ld->win_off + need <= ld->win_len)
		return 0;
	if (ld->read_err != 0)
		return ld->read_err;
	if (ld->fd < 0)
		return ld->read_err = -EIO;

	size = need > WINDOW_BYTES ? need : WINDOW_BYTES;
	if (size > ld->len - pos)
		size = ld->len - pos;
	if (size > ld->win_cap) {
		grown = realloc(ld->win, size);
		if (grown == NULL)
			return ld->read_err = -ENOMEM;
		ld->win = grown;
		ld->win_cap = size;
	}
	ld->win_len = 0;
	rc = read_at(ld->fd, ld->win, size, pos);
	if (rc < 0)
		return ld->read_err = rc;
	ld->data = ld->win;
	ld->win_off = pos;
	ld->win_len = size;
	return 0;
}

/* The byte at pos, or -1 past the end (or when it cannot be read). */
static inline int
byte_at(struct load *ld, size_t pos)
{
	if (pos >= ld->len)
		return -1;
	if (pos - ld->win_off >= ld->win_len && window(ld, pos, 1) < 0)
		return -1;
	return (unsigned char)ld->data[pos - ld->win_off];
}

static int
is_json_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_space(struct load *ld, size_t pos)
{
	while (is_json_space(byte_at(ld, pos)))
		pos++;
	return pos;
}

/* jansson quotes the input near an error; keep the message one line. */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/*
 * Reports jansson's error about the bytes from base on as one about the
 * whole file, counting lines and columns (characters, as jansson does)
 * up to base, and returns -EINVAL (-ENOMEM when jansson ran out).
 */
static int
json_failed(struct load *ld, size_t base, json_error_t *jerr)
{
	int line = jerr->line, column = jerr->column, rc;
	int base_line = 1, base_column = 0, c;
	size_t i;

	/* jansson leaves jerr's code (and text) unset when it runs out of
	 * memory before parsing starts: jerr starts zeroed, and a failure
	 * with no message is taken for what it is. */
	rc = json_error_code(jerr) == json_error_out_of_memory ||
	    jerr->text[0] == '\0' ? -ENOMEM : -EINVAL;

	for (i = 0; i < base && line >= 1; i++) {
		c = byte_at(ld, i);
		if (c == '\n') {
			base_line++;
			base_column = 0;
		} else if ((c & 0xc0) != 0x80) {
			base_column++;
		}
	}
	if (line == 1)
		column += base_column;
	if (line >= 1)
		line += base_line - 1;

	sanitize(jerr->text);
	return report(ld->errp, rc, "%s:%d:%d: %s", ld->file, line, column,
	    jerr->text);
}

static int	scan_value(struct load *ld, size_t pos, int depth,
		    size_t *endp);

/*
 * Finds where the value at pos, inside depth arrays or objects, ends:
 * after its closing bracket or quote, or at the byte that ends a number
 * or a literal.  Returns 0, or -EAGAIN when it does not end well.
 */
static int
value_end(struct load *ld, size_t pos, int depth, size_t *endp)
{
	size_t i;
	int c;

	c = byte_at(ld, pos);
	if (c == '[' || c == '{')
		return scan_value(ld, pos, depth, endp);
	if (c == '"') {
		for (i = pos + 1; (c = byte_at(ld, i)) != '"'; i++) {
			if (c < 0)
				return -EAGAIN;
			if (c == '\\')
				i++;
		}
		*endp = i + 1;
		return 0;
	}
	for (i = pos; (c = byte_at(ld, i)) >= 0 && !is_json_space(c) &&
	    c != ',' && c != ']' && c != '}' && c != ':'; i++)
		;
	*endp = i;
	return 0;
}

/*
 * Parses the JSON value at *pos, inside depth arrays or objects and
 * followed by more of the file, into *vp and moves *pos past it.  Only
 * the value (and a few bytes after it) is read.  Returns 0, -EAGAIN when
 * it does not end (or cannot be read), which only a parse of the whole
 * file reports as it should, or what json_failed() does.
 */
static int
parse_value_at(struct load *ld, size_t *pos, int depth, size_t flags,
    json_t **vp)
{
	json_error_t jerr;
	size_t end, span;

	/* A value that does not end runs to the end of the file, where
	 * jansson would say so: a window of it would have it said at the
	 * window's end instead. */
	if (value_end(ld, *pos, depth, &end) < 0)
		return -EAGAIN;
	span = end - *pos + VALUE_SLACK;
	if (window(ld, *pos, span) < 0)
		return -EAGAIN;
	span = ld->win_off + ld->win_len - *pos;

	memset(&jerr, 0, sizeof(jerr));
	*vp = json_loadb(ld->data + (*pos - ld->win_off), span,
	    flags | JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
	if (*vp == NULL)
		return json_failed(ld, *pos, &jerr);
	*pos += (size_t)jerr.position;
	return 0;
}

/*
 * Finds the end of the array or object opening at pos, inside depth
 * others, by matching brackets outside strings; a parse of a value on
 * its own could not see how deep the whole file nests.  Sets *endp past
 * the closing bracket and returns 0, or returns -EAGAIN when the brackets
 * do not match, nest deeper than jansson allows or hold a NUL byte: the
 * file is then not valid JSON, and only a parse of all of it gives
 * jansson's message (or load_whole()'s, for the NUL).
 */
static int
scan_value(struct load *ld, size_t pos, int depth, size_t *endp)
{
	unsigned char braces[JSON_MAX_DEPTH / 8 + 1] = { 0 };
	int level = 0, brace, c;
	size_t i;

	for (i = pos; (c = byte_at(ld, i)) > 0; i++) {
		if (c == '"') {
			for (i++; (c = byte_at(ld, i)) > 0 && c != '"'; i++) {
				if (c == '\\')
					i++;
			}
			if (c <= 0)
				break;
		} else if (c == '[' || c == '{') {
			if (depth + level + 1 > JSON_MAX_DEPTH)
				return -EAGAIN;
			if (c == '{')
				braces[level / 8] |= 1u << (level % 8);
			else
				braces[level / 8] &= ~(1u << (level % 8));
			level++;
		} else if (c == ']' || c == '}') {
			brace = level > 0 &&
			    (braces[(level - 1) / 8] >> ((level - 1) % 8) & 1);
			if (level == 0 || brace != (c == '}'))
				return -EAGAIN;
			if (--level == 0) {
				*endp = i + 1;
				return 0;
			}
		}
	}
	return -EAGAIN;
}

/* Reads the "offerings" array one element at a time; rc is the result of
 * the top-level checks. */
static int
stream_offerings(struct load *ld, int rc)
{
	json_t *v;
	size_t pos, start, i;
	int err;

	pos = skip_space(ld, ld->off_start + 1);
	if (byte_at(ld, pos) == ']')
		return rc;

	/*
	 * A parse of the whole file found bad JSON before any content
	 * check ran.  Once a check has failed, the rest is still parsed so
	 * that bad JSON further on is what is reported, as it was.
	 */
	for (i = 0;; i++) {
		start = pos;
		err = parse_value_at(ld, &pos, 2, JSON_REJECT_DUPLICATES, &v);
		if (err < 0)
			return err;
		if (rc == 0)
			rc = add_offering(ld, i, v, start, pos - start);
		json_decref(v);

		pos = skip_space(ld, pos);
		if (byte_at(ld, pos) == ']')
			return rc;
		if (byte_at(ld, pos) != ',')
			return -EAGAIN;
		pos = skip_space(ld, pos + 1);
	}
}

static int
load_root(struct load *ld, json_t *root)
{
	struct treg_registry *reg = ld->reg;
	json_t *offs, *v;
	size_t i;
	int rc;

	if (!json_is_object(root))
		return fail(ld, NULL, NULL, NULL, "top level is not an object");

	/* The first file that names the registry names it. */
	rc = check_top_string(ld, root, "name", &reg->name);
	if (rc == 0)
		rc = check_top_string(ld, root, "generated", &reg->generated);
	if (rc == 0)
		rc = check_top_string(ld, root, "license", NULL);
	if (rc == 0)
		rc = check_top_string(ld, root, "disclaimer", NULL);
	if (rc == 0)
		rc = check_questions(ld, root);
	/* An index reads its offerings again with the same questions. */
	if (rc == 0 && ld->index && ld->pool->nfiles > 0)
		ld->pool->files[ld->pool->nfiles - 1].questions =
		    json_incref(ld->questions);
	if (ld->off_start != 0)
		return stream_offerings(ld, rc);
	if (rc < 0)
		return rc;

	offs = json_object_get(root, "offerings");
	if (offs == NULL)
		return fail(ld, NULL, "offerings", NULL, "missing");
	if (!json_is_array(offs))
		return fail(ld, NULL, "offerings", NULL, "not an array");
	json_array_foreach(offs, i, v) {
		rc = add_offering(ld, i, v, 0, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Whether load_root() reads the top-level member; the others are kept
 * only as names, to refuse a duplicate. */
static int
is_top_field(const char *name)
{
	static const char *const fields[] = {
		"name", "generated", "license", "disclaimer", "dimensions",
		"offerings",
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(name, fields[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Reads one "name": value member of the top-level object at *pos into
 * root, except that an "offerings" array is only found (ld->off_start)
 * to be read later.  Returns 0, -EINVAL with jansson's message for a bad
 * value, or -EAGAIN for what is not a well-formed member.
 */
static int
walk_member(struct load *ld, json_t *root, size_t *pos)
{
	json_t *key = NULL, *v = NULL;
	const char *name;
	size_t end = 0;
	int rc, c;

	if (byte_at(ld, *pos) != '"')
		return -EAGAIN;
	rc = parse_value_at(ld, pos, 1, 0, &key);
	if (rc < 0)
		goto out;
	name = json_string_value(key);
	*pos = skip_space(ld, *pos);
	if (strlen(name) != json_string_length(key) ||
	    json_object_get(root, name) != NULL ||
	    byte_at(ld, *pos) != ':') {
		rc = -EAGAIN;
		goto out;
	}

	*pos = skip_space(ld, *pos + 1);
	c = byte_at(ld, *pos);
	if (c == '[' || c == '{') {
		rc = scan_value(ld, *pos, 1, &end);
		if (rc < 0)
			goto out;
	}
	if (strcmp(name, "offerings") == 0 && c == '[') {
		ld->off_start = *pos;
		*pos = end;
		v = json_null();
	} else {
		rc = parse_value_at(ld, pos, 1, JSON_REJECT_DUPLICATES, &v);
		if (rc < 0)
			goto out;
		if (!is_top_field(name)) {
			json_decref(v);
			v = json_null();
		}
	}
	rc = json_object_set_new(root, name, v) < 0 ? -ENOMEM : 0;

out:
	json_decref(key);
	return rc;
}

/*
 * Reads the members of the top-level object opening at pos into root.
 * Returns 0, -EINVAL with jansson's message for bad JSON, or -EAGAIN
 * when only a parse of the whole file can say what is wrong.
 */
static int
walk_top(struct load *ld, json_t *root, size_t pos)
{
	int rc;

	pos = skip_space(ld, pos + 1);
	if (byte_at(ld, pos) == '}')
		return skip_space(ld, pos + 1) == ld->len ? 0 : -EAGAIN;

	for (;;) {
		rc = walk_member(ld, root, &pos);

		/* Bad JSON after the offerings array may come after bad JSON
		 * inside it, which the walk skipped unread. */
		if (rc == -EINVAL && ld->off_start != 0)
			rc = -EAGAIN;
		if (rc < 0)
			return rc;

		pos = skip_space(ld, pos);
		if (byte_at(ld, pos) == '}')
			break;
		if (byte_at(ld, pos) != ',')
			return -EAGAIN;
		pos = skip_space(ld, pos + 1);
	}
	return skip_space(ld, pos + 1) == ld->len ? 0 : -EAGAIN;
}

/* A reader of the whole file for jansson, through the window. */
struct whole_reader {
	struct load	*ld;
	size_t		 pos;
};

static size_t
whole_read_cb(void *buf, size_t size, void *arg)
{
	struct whole_reader *r = arg;
	struct load *ld = r->ld;
	size_t n = ld->len - r->pos;

	if (n > size)
		n = size;
	if (n == 0)
		return 0;
	if (window(ld, r->pos, n) < 0)
		return (size_t)-1;
	memcpy(buf, ld->data + (r->pos - ld->win_off), n);
	r->pos += n;
	return n;
}

/* Loads the file from one tree of all of it: how bad JSON is reported, in
 * jansson's words, and a top level that is not an object. */
static int
load_whole(struct load *ld)
{
	struct whole_reader reader = { ld, 0 };
	json_error_t jerr;
	json_t *root;
	size_t nul;
	int rc;

	memset(&jerr, 0, sizeof(jerr));
	if (ld->fd < 0)
		root = json_loadb(ld->data, ld->len, JSON_REJECT_DUPLICATES,
		    &jerr);
	else
		root = json_load_callback(whole_read_cb, &reader,
		    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return json_failed(ld, 0, &jerr);
	/* jansson reads a NUL byte as the end of some tokens and skips it
	 * after others; a file holding one is not JSON text. */
	for (nul = 0; nul < ld->len && byte_at(ld, nul) != 0; nul++)
		;
	if (nul < ld->len) {
		json_decref(root);
		memset(&jerr, 0, sizeof(jerr));
		jerr.line = 1;
		jerr.column = 1;
		snprintf(jerr.text, sizeof(jerr.text), "NUL byte (not JSON "
		    "text)");
		return json_failed(ld, nul, &jerr);
	}

	ld->off_start = 0;
	rc = load_root(ld, root);
	ld->questions = NULL;
	json_decref(root);
	return rc;
}

static int
is_blank(struct load *ld)
{
	return skip_space(ld, 0) >= ld->len;
}

/*
 * Loads the file in ld: the top-level object member by member, the
 * offerings one at a time, so no tree of the whole file is ever built.
 * What the walk cannot follow is bad JSON, which a parse of the whole file
 * then reports exactly as before.
 */
static int
load_json(struct load *ld)
{
	json_t *root;
	size_t first, pos, i;
	int rc;

	ld->questions = NULL;
	ld->off_start = 0;
	if (is_blank(ld))
		return report(ld->errp, -EINVAL,
		    "%s: empty file (expected a JSON object)", ld->file);

	pos = skip_space(ld, 0);
	if (byte_at(ld, pos) != '{')
		return load_whole(ld);
	root = json_object();
	if (root == NULL)
		return -ENOMEM;

	first = ld->reg->noffer;
	rc = walk_top(ld, root, pos);
	if (rc == 0)
		rc = load_root(ld, root);
	ld->questions = NULL;
	json_decref(root);
	if (rc != -EAGAIN)
		return rc;

	/* Start the file afresh: bad JSON wins over whatever was found. */
	for (i = first; i < ld->reg->noffer; i++)
		offering_free(&ld->reg->offerings[i]);
	ld->reg->noffer = first;
	strset_cleanup(&ld->ids);
	for (i = 0; i < first; i++) {
		rc = strset_room(&ld->ids);
		if (rc < 0)
			return rc;
		ld->ids.slots[strset_slot(&ld->ids,
		    ld->reg->offerings[i].id)] = ld->reg->offerings[i].id;
		ld->ids.count++;
	}
	if (ld->errp != NULL) {
		free(*ld->errp);
		*ld->errp = NULL;
	}
	return load_whole(ld);
}

static int
load_buffer(struct load *ld, const char *data, size_t len)
{
	ld->fd = -1;
	ld->data = data;
	ld->len = len;
	ld->win_off = 0;
	ld->win_len = len;
	return load_json(ld);
}

/* Remembers the file an index is being made from, with its "dimensions"
 * (set later, by load_root()). */
static int
note_file(struct load *ld, int fd, const char *file, const struct stat *st)
{
	struct treg_registry_pool *p = ld->pool;
	struct registry_file *grown, *f;

	grown = realloc(p->files, (p->nfiles + 1) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	p->files = grown;
	f = &p->files[p->nfiles];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = pool_copy(p, file);
	if (f->path == NULL)
		return -ENOMEM;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
	f->ctime = st->st_ctim;
	/* Past a few, or out of descriptors, the files are opened again by
	 * name: the crawl needs its descriptors for connections. */
	if (p->nfiles < INDEX_OPEN_MAX)
		f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	p->nfiles++;
	return 0;
}

/*
 * Loads the regular file open on fd, which the caller keeps and has
 * fstat'ed into st, under the name file.  It is read a window at a time
 * with pread(), so a large export is never held whole; not mapped, since
 * a file truncated in place while mapped would kill the process with
 * SIGBUS, where a short read is only a file that changed.
 */
static int
load_fd(struct load *ld, int fd, const char *file, const struct stat *st)
{
	int rc;

	ld->file = file;
	if (st->st_size > (off_t)REGISTRY_MAX_BYTES)
		return report(ld->errp, -EFBIG,
		    "%s: larger than %lu MiB, not a registry export",
		    file, REGISTRY_MAX_BYTES >> 20);
	if (ld->index && (rc = note_file(ld, fd, file, st)) < 0)
		return rc;

	ld->fd = fd;
	ld->len = (size_t)st->st_size;
	ld->data = NULL;
	ld->win_off = 0;
	ld->win_len = 0;
	ld->read_err = 0;
	rc = load_json(ld);
	/* What could not be read is why the rest looked wrong. */
	if (ld->read_err == -ESTALE)
		rc = report(ld->errp, -ESTALE, "%s: changed while being read",
		    file);
	else if (ld->read_err < 0)
		rc = report(ld->errp, ld->read_err, "%s: read: %s", file,
		    strerror(-ld->read_err));
	free(ld->win);
	ld->win = NULL;
	ld->win_cap = 0;
	ld->win_len = 0;
	ld->fd = -1;
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_json_name(const char *name)
{
	size_t len = strlen(name);

	/* Hidden files are editors' and tools' leftovers, not exports. */
	return name[0] != '.' && len > 5 &&
	    strcmp(name + len - 5, ".json") == 0;
}

/* Lists the directory's "*.json" names, sorted bytewise. */
static int
list_json(DIR *dir, const char *path, char ***namesp, size_t *np,
    char **errp)
{
	struct dirent *de;
	char **names = NULL, **grown;
	size_t n = 0;
	int err, rc = 0;

	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			break;
		if (!is_json_name(de->d_name))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (grown == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		names = grown;
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	err = errno;
	if (err != 0) {
		rc = report(errp, -err, "%s: readdir: %s", path,
		    strerror(err));
		goto out;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);

out:
	if (rc < 0) {
		free_strings(names, n);
		names = NULL;
		n = 0;
	}
	*namesp = names;
	*np = n;
	return rc;
}

/* Loads every regular "*.json" file of the directory open on fd, which
 * this takes over, in name order. */
static int
load_dir(struct load *ld, int fd, const char *path)
{
	struct treg_buf file;
	struct stat st;
	DIR *dir;
	char **names = NULL;
	size_t n = 0, i, loaded = 0;
	int ffd = -1, err, rc;

	treg_buf_init(&file, 0);
	dir = fdopendir(fd);
	if (dir == NULL) {
		err = errno;
		close(fd);
		rc = report(ld->errp, -err, "%s: opendir: %s", path,
		    strerror(err));
		goto out;
	}
	rc = list_json(dir, path, &names, &n, ld->errp);
	if (rc < 0)
		goto out;

	for (i = 0; i < n; i++) {
		treg_buf_reset(&file);
		rc = treg_buf_printf(&file, "%s%s%s", path,
		    path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
		if (rc < 0)
			goto out;

		/* O_NONBLOCK so a FIFO named *.json cannot hang the load;
		 * it changes nothing for the regular files read. */
		ffd = openat(dirfd(dir), names[i],
		    O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (ffd < 0 || fstat(ffd, &st) < 0) {
			err = errno;
			rc = report(ld->errp, -err, "%s: open: %s",
			    file.data, strerror(err));
			goto out;
		}
		if (S_ISREG(st.st_mode)) {
			rc = load_fd(ld, ffd, file.data, &st);
			loaded++;
		}
		close(ffd);
		ffd = -1;
		if (rc < 0)
			goto out;
	}
	if (loaded == 0)
		rc = report(ld->errp, -ENOENT,
		    "%s: no *.json registry files in the directory", path);

out:
	if (ffd >= 0)
		close(ffd);
	if (dir != NULL)
		closedir(dir);
	free_strings(names, n);
	treg_buf_cleanup(&file);
	return rc;
}

static int
cmp_offerings(const void *a, const void *b)
{
	const struct treg_offering *x = a, *y = b;

	if (x->sort_order != y->sort_order)
		return x->sort_order < y->sort_order ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Ends a load: sorts and publishes the registry, or frees it and makes
 * sure a failure has a message. */
static int
load_finish(struct load *ld, const char *name, int rc,
    struct treg_registry **regp)
{
	size_t i;

	strset_cleanup(&ld->ids);
	if (rc < 0) {
		if (ld->errp != NULL && *ld->errp == NULL)
			report(ld->errp, rc, "%s: %s", name, strerror(-rc));
		treg_registry_free(ld->reg);
		return rc;
	}

	if (ld->reg->noffer > 1)
		qsort(ld->reg->offerings, ld->reg->noffer,
		    sizeof(*ld->reg->offerings), cmp_offerings);
	for (i = 0; i < ld->reg->noffer && !ld->reg->indexed; i++)
		ld->reg->ncells += ld->reg->offerings[i].ncells;
	*regp = ld->reg;
	return 0;
}

/* Loads, or indexes, the registry at path. */
static int
registry_open(const char *path, int index, struct treg_registry **regp,
    char **errp)
{
	struct load ld;
	struct stat st;
	int fd = -1, err, rc;

	*regp = NULL;
	if (errp != NULL)
		*errp = NULL;
	/* A bundle is read into memory whole anyway: it loads whole. */
	if (treg_bundle_is_bundle(path))
		return treg_bundle_load(path, regp, errp);
	memset(&ld, 0, sizeof(ld));
	ld.errp = errp;
	ld.file = path;
	ld.fd = -1;
	ld.index = index;
	ld.reg = registry_new(&ld.pool);
	if (ld.reg == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	ld.reg->indexed = index;

	/* One descriptor for the check and the read, so what is checked is
	 * what is read; O_NONBLOCK keeps a FIFO from hanging the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = errno;
		rc = report(errp, -err, "%s: open: %s", path, strerror(err));
		goto out;
	}

	if (S_ISDIR(st.st_mode)) {
		rc = load_dir(&ld, fd, path);
		fd = -1;
	} else if (S_ISREG(st.st_mode)) {
		rc = load_fd(&ld, fd, path, &st);
	} else {
		rc = report(errp, -EINVAL,
		    "%s: not a regular file or a directory", path);
	}

out:
	if (fd >= 0)
		close(fd);
	return load_finish(&ld, path, rc, regp);
}

int
treg_registry_load(const char *path, struct treg_registry **regp,
    char **errp)
{
	return registry_open(path, 0, regp, errp);
}

int
treg_registry_index(const char *path, struct treg_registry **regp,
    char **errp)
{
	return registry_open(path, 1, regp, errp);
}

/* Whether the file open as st is still the one f records. */
static int
is_same_file(const struct registry_file *f, const struct stat *st)
{
	/* A file replaced or removed since lost its name, which changed
	 * its ctime: the bytes kept open are those indexed. */
	return f->dev == st->st_dev && f->ino == st->st_ino &&
	    f->size == st->st_size && f->mtime.tv_sec == st->st_mtim.tv_sec &&
	    f->mtime.tv_nsec == st->st_mtim.tv_nsec && (st->st_nlink == 0 ||
	    (f->ctime.tv_sec == st->st_ctim.tv_sec &&
	    f->ctime.tv_nsec == st->st_ctim.tv_nsec));
}

/*
 * Reports that the file at path changed since the offering id was indexed
 * from it, after what the load would now refuse in the offering when
 * *errp holds that ("FILE: offerings[3]...: message"): the cells read
 * again are checked as the load checks them, and an operator who edited
 * the file needs to know which one is wrong.  Returns -ESTALE.
 */
static int
read_stale(char **errp, const char *path, const char *id)
{
	char *why = NULL;
	int rc;

	if (errp != NULL) {
		why = *errp;
		*errp = NULL;
	}
	if (why != NULL)
		rc = report(errp, -ESTALE, "%s (offering \"%s\" changed since "
		    "the registry was read; run again)", why, id);
	else
		rc = report(errp, -ESTALE, "%s: changed since the registry "
		    "was read (offering \"%s\"); run again", path, id);
	free(why);
	return rc;
}

int
treg_registry_read_offering(const struct treg_registry *reg,
    const struct treg_offering *off, struct treg_registry **onep,
    char **errp)
{
	const struct registry_file *f;
	struct load ld;
	struct stat st;
	json_error_t jerr;
	json_t *v = NULL;
	char *buf = NULL;
	int fd = -1, rc;

	*onep = NULL;
	if (errp != NULL)
		*errp = NULL;
	memset(&st, 0, sizeof(st));
	if (!reg->indexed || reg->pool == NULL ||
	    off->file_index >= reg->pool->nfiles)
		return -EINVAL;
	f = &reg->pool->files[off->file_index];
	memset(&ld, 0, sizeof(ld));
	ld.errp = errp;
	ld.file = f->path;
	ld.fd = -1;
	ld.reg = registry_new(&ld.pool);
	if (ld.reg == NULL) {
		rc = -ENOMEM;
		goto out;
	}

	if (f->fd >= 0)
		rc = fstat(f->fd, &st) < 0 ? -errno : 0;
	else if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 ||
	    fstat(fd, &st) < 0)
		rc = -errno;
	else
		rc = 0;
	if (rc < 0) {
		report(errp, rc, "%s: open: %s", f->path, strerror(-rc));
		goto out;
	}
	/* The file kept open can only have been rewritten in place. */
	if (!is_same_file(f, &st))
		rc = -ESTALE;
	else if ((buf = malloc(off->length)) == NULL)
		rc = -ENOMEM;
	else
		rc = read_at(f->fd >= 0 ? f->fd : fd, buf, off->length,
		    off->offset);
	/* The times tell a rewrite only as finely as the clock they are
	 * taken from ticks, so the bytes are still checked as the load
	 * checked them.  jansson lets by a NUL byte after some tokens; the
	 * load did not. */
	if (rc == 0 && memchr(buf, '\0', off->length) != NULL)
		rc = -ESTALE;
	if (rc == 0) {
		memset(&jerr, 0, sizeof(jerr));
		v = json_loadb(buf, off->length, JSON_REJECT_DUPLICATES, &jerr);
		if (v == NULL)
			rc = json_error_code(&jerr) ==
			    json_error_out_of_memory ? -ENOMEM : -ESTALE;
	}
	if (rc == 0) {
		ld.data = buf;
		ld.len = off->length;
		ld.win_len = off->length;
		ld.questions = f->questions;
		rc = add_offering(&ld, off->position, v, 0, 0);
	}
	if (rc == 0 && strcmp(ld.reg->offerings[0].id, off->id) != 0)
		rc = -ESTALE;
	/* The index checked every byte of it: any difference now is a
	 * file that changed since, whatever it looks like. */
	if (rc == -ESTALE || rc == -EINVAL)
		rc = read_stale(errp, f->path, off->id);
	else if (rc < 0 && rc != -ENOMEM)
		report(errp, rc, "%s: read: %s", f->path, strerror(-rc));

out:
	json_decref(v);
	free(buf);
	if (fd >= 0)
		close(fd);
	return load_finish(&ld, f->path, rc, onep);
}

int
treg_registry_load_buffer(const char *name, const char *data, size_t len,
    struct treg_registry **regp, char **errp)
{
	struct load ld;
	int rc;

	*regp = NULL;
	if (errp != NULL)
		*errp = NULL;
	if (name == NULL)
		name = "(buffer)";
	memset(&ld, 0, sizeof(ld));
	ld.errp = errp;
	ld.file = name;
	ld.reg = registry_new(&ld.pool);
	if (ld.reg == NULL) {
		rc = -ENOMEM;
		goto out;
	}

	if (len > REGISTRY_MAX_BYTES)
		rc = report(errp, -EFBIG,
		    "%s: larger than %lu MiB, not a registry export", name,
		    REGISTRY_MAX_BYTES >> 20);
	else
		rc = load_buffer(&ld, data != NULL ? data : "", len);

out:
	return load_finish(&ld, name, rc, regp);
}

int
treg_registry_load_parts(const char *name,
    const struct treg_registry_part *parts, size_t n,
    struct treg_registry **regp, char **errp)
{
	struct load ld;
	size_t i;
	int rc = 0;

	*regp = NULL;
	if (errp != NULL)
		*errp = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.errp = errp;
	ld.file = name;
	ld.reg = registry_new(&ld.pool);
	if (ld.reg == NULL)
		rc = -ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		ld.file = parts[i].name;
		if (parts[i].len > REGISTRY_MAX_BYTES)
			rc = report(errp, -EFBIG, "%s: larger than %lu MiB, "
			    "not a registry export", parts[i].name,
			    REGISTRY_MAX_BYTES >> 20);
		else
			rc = load_buffer(&ld, parts[i].data, parts[i].len);
	}
	return load_finish(&ld, name, rc, regp);
}

/* Frees what a cell holds outside the pool: its arrays, and the
 * quotations treg_registry_quotes_from_notes() gave it. */
static void
cell_free(struct treg_cell *cell)
{
	free_strings(cell->quotes, cell->nquotes);
	free(cell->keep);
	free(cell->drop);
	free(cell->attrs);
}

static void
offering_free(struct treg_offering *off)
{
	size_t i;

	for (i = 0; i < off->ncells; i++)
		cell_free(&off->cells[i]);
	free(off->cells);
}

void
treg_registry_free(struct treg_registry *reg)
{
	size_t i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->noffer; i++)
		offering_free(&reg->offerings[i]);
	free(reg->offerings);
	free(reg->name);
	free(reg->generated);
	if (reg->pool != NULL)
		pool_cleanup(reg->pool);
	free(reg->pool);
	free(reg);
}

const struct treg_offering *
treg_registry_find(const struct treg_registry *reg, const char *id)
{
	if (reg == NULL || id == NULL)
		return NULL;
	return find_offering(reg->offerings, reg->noffer, id);
}

const struct treg_cell *
treg_offering_cell(const struct treg_offering *off, const char *key)
{
	size_t i;

	for (i = 0; off != NULL && i < off->ncells; i++)
		if (strcmp(off->cells[i].key, key) == 0)
			return &off->cells[i];
	return NULL;
}
