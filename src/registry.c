/* SPDX-License-Identifier: MIT */
/*
 * The registry loader.  It reads the registry's JSON export with jansson
 * (the only module that does), checks every field the crawler relies on and
 * copies it into plain structures, so nothing outside this file sees a
 * json_t.  Errors name the file and the JSON path of the bad field; a value
 * echoed in a message is escaped and cut short, never raw input.
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

#include "buf.h"
#include "bundle.h"
#include "extract.h"
#include "registry.h"

/* An export is a few hundred kilobytes; a file this large is not one, and
 * reading it whole would only waste memory. */
#define REGISTRY_MAX_BYTES	(64UL * 1024 * 1024)

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

/* State of one load, which may span the files of a directory. */
struct load {
	struct treg_registry	*reg;
	size_t                   cap;           /* offerings allocated */
	const char		*file;		/* file being read */
	json_t                  *questions;     /* its "dimensions", or NULL */
	json_t                  *off_extract;   /* the offering's "extract" */
	char                     off_where[48]; /* its path in messages */
	char			**errp;
};

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

/* Copies the string member key of obj (see F_*) into *dst. */
static int
get_string(struct load *ld, const char *where, json_t *obj, const char *key,
    int flags, char **dst)
{
	json_t *v;

	*dst = NULL;
	v = json_object_get(obj, key);
	if (v == NULL) {
		if (flags & F_REQUIRED)
			return fail(ld, where, key, NULL, "missing");
		return 0;
	}
	if (json_is_null(v) && (flags & F_NULLABLE))
		return 0;
	if (!json_is_string(v)) {
		return fail(ld, where, key, NULL, "%s",
		    (flags & F_NULLABLE) ? "not a string or null" :
		    "not a string");
	}
	if ((flags & F_NONEMPTY) && json_string_length(v) == 0)
		return fail(ld, where, key, NULL, "empty");

	*dst = strdup(json_string_value(v));
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
strdup_or_nomem(const char *s, int *rc)
{
	char *copy;

	copy = strdup(s);
	if (copy == NULL)
		*rc = -ENOMEM;
	return copy;
}

/* Renders a scalar as text, or returns NULL (with *rc 0) for a value that
 * is not one. */
static char *
render_scalar(json_t *v, int *rc)
{
	char text[64];
	double d;
	int prec;

	*rc = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup_or_nomem(json_string_value(v), rc);
	case JSON_TRUE:
		return strdup_or_nomem("true", rc);
	case JSON_FALSE:
		return strdup_or_nomem("false", rc);
	case JSON_INTEGER:
		snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return strdup_or_nomem(text, rc);
	case JSON_REAL:
		/* jansson keeps only the double, so the shortest text that
		 * reads back as it stands in for the number as written. */
		d = json_real_value(v);
		for (prec = 1; prec <= 17; prec++) {
			snprintf(text, sizeof(text), "%.*g", prec, d);
			if (strtod(text, NULL) == d)
				break;
		}
		return strdup_or_nomem(text, rc);
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
parse_attrs(json_t *obj, struct treg_cell *cell)
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
		text = render_scalar(v, &rc);
		if (rc < 0)
			return rc;
		if (text == NULL)
			continue;
		cell->attrs[cell->nattrs].value = text;
		cell->attrs[cell->nattrs].key = strdup(key);
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
		(*listp)[i] = strdup(json_string_value(v));
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
		cell->question = strdup(json_string_value(q));
		if (cell->question == NULL)
			return -ENOMEM;
	}

	rc = get_string(ld, where, obj, "value", F_REQUIRED | F_NONEMPTY,
	    &cell->value);
	if (rc < 0)
		return rc;

	rc = get_string(ld, where, obj, "confidence", F_REQUIRED,
	    &cell->confidence);
	if (rc < 0)
		return rc;
	if (strcmp(cell->confidence, "high") != 0 &&
	    strcmp(cell->confidence, "medium") != 0 &&
	    strcmp(cell->confidence, "low") != 0)
		return fail(ld, where, "confidence", cell->confidence,
		    "not high, medium or low");

	rc = get_string(ld, where, obj, "verified", F_REQUIRED,
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

	return parse_attrs(obj, cell);
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

/* Reads the cells in treg_cell_keys order, whatever the file's order. */
static int
parse_cells(struct load *ld, const char *where, json_t *dims,
    struct treg_offering *off)
{
	char path[128];
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
			return fail(ld, path, key, NULL, "unknown cell key");
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

	/* off is the registry's last offering: look only at those before. */
	first = find_offering(ld->reg->offerings, ld->reg->noffer - 1,
	    off->id);
	if (first != NULL)
		return fail(ld, where, "id", NULL,
		    "duplicate offering id \"%s\" (first in %s)", off->id,
		    first->file);

	off->file = strdup(ld->file);
	if (off->file == NULL)
		return -ENOMEM;

	rc = get_string(ld, where, obj, "name", F_REQUIRED | F_NONEMPTY,
	    &off->name);
	if (rc == 0)
		rc = get_string(ld, where, obj, "developer", 0,
		    &off->developer);
	if (rc == 0)
		rc = get_string(ld, where, obj, "platform", 0, &off->platform);
	if (rc == 0)
		rc = get_string(ld, where, obj, "category", 0, &off->category);
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
		free_strings(probe.keep, probe.nkeep);
		free_strings(probe.drop, probe.ndrop);
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

/* Makes room for n more offerings. */
static int
reserve_offerings(struct load *ld, size_t n)
{
	struct treg_offering *offs;
	size_t cap;

	if (ld->reg->noffer + n <= ld->cap)
		return 0;

	cap = ld->reg->noffer + n;
	offs = realloc(ld->reg->offerings, cap * sizeof(*offs));
	if (offs == NULL)
		return -ENOMEM;
	ld->reg->offerings = offs;
	ld->cap = cap;
	return 0;
}

static int
load_root(struct load *ld, json_t *root)
{
	struct treg_registry *reg = ld->reg;
	struct treg_offering *off;
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
	if (rc < 0)
		return rc;

	offs = json_object_get(root, "offerings");
	if (offs == NULL)
		return fail(ld, NULL, "offerings", NULL, "missing");
	if (!json_is_array(offs))
		return fail(ld, NULL, "offerings", NULL, "not an array");
	rc = reserve_offerings(ld, json_array_size(offs));
	if (rc < 0)
		return rc;

	/* Each offering joins the registry before it is read, so whatever
	 * a failure leaves half-built is freed with the registry. */
	json_array_foreach(offs, i, v) {
		off = &reg->offerings[reg->noffer++];
		memset(off, 0, sizeof(*off));
		rc = parse_offering(ld, i, v, off);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
is_blank(const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' &&
		    data[i] != '\r')
			return 0;
	}
	return 1;
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

static int
load_buffer(struct load *ld, const char *data, size_t len)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	ld->questions = NULL;
	if (is_blank(data, len))
		return report(ld->errp, -EINVAL,
		    "%s: empty file (expected a JSON object)", ld->file);

	/* jansson leaves jerr's code (and text) unset when it runs out of
	 * memory before parsing starts: start zeroed, and take a failure
	 * with no message for what it is. */
	memset(&jerr, 0, sizeof(jerr));
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = json_error_code(&jerr) == json_error_out_of_memory ||
		    jerr.text[0] == '\0' ? -ENOMEM : -EINVAL;
		sanitize(jerr.text);
		return report(ld->errp, rc, "%s:%d:%d: %s", ld->file,
		    jerr.line, jerr.column, jerr.text);
	}

	rc = load_root(ld, root);
	ld->questions = NULL;
	json_decref(root);
	return rc;
}

/* Reads the regular file open on fd, which the caller keeps, and loads
 * it under the name file. */
static int
load_fd(struct load *ld, int fd, const char *file)
{
	struct treg_buf b;
	char chunk[65536];
	ssize_t n;
	int err, rc = 0;

	treg_buf_init(&b, REGISTRY_MAX_BYTES);
	ld->file = file;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			rc = report(ld->errp, -err, "%s: read: %s", file,
			    strerror(err));
			goto out;
		}
		if (n == 0)
			break;
		rc = treg_buf_append(&b, chunk, (size_t)n);
		if (rc == -E2BIG) {
			rc = report(ld->errp, -EFBIG,
			    "%s: larger than %lu MiB, not a registry export",
			    file, REGISTRY_MAX_BYTES >> 20);
			goto out;
		}
		if (rc < 0)
			goto out;
	}

	rc = load_buffer(ld, b.data != NULL ? b.data : "", b.len);

out:
	treg_buf_cleanup(&b);
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
			rc = load_fd(ld, ffd, file.data);
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
	if (rc < 0) {
		if (ld->errp != NULL && *ld->errp == NULL)
			report(ld->errp, rc, "%s: %s", name, strerror(-rc));
		treg_registry_free(ld->reg);
		return rc;
	}

	if (ld->reg->noffer > 1)
		qsort(ld->reg->offerings, ld->reg->noffer,
		    sizeof(*ld->reg->offerings), cmp_offerings);
	*regp = ld->reg;
	return 0;
}

int
treg_registry_load(const char *path, struct treg_registry **regp,
    char **errp)
{
	struct load ld;
	struct stat st;
	int fd = -1, err, rc;

	*regp = NULL;
	if (errp != NULL)
		*errp = NULL;
	if (treg_bundle_is_bundle(path))
		return treg_bundle_load(path, regp, errp);
	memset(&ld, 0, sizeof(ld));
	ld.errp = errp;
	ld.file = path;
	ld.reg = calloc(1, sizeof(*ld.reg));
	if (ld.reg == NULL) {
		rc = -ENOMEM;
		goto out;
	}

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
		rc = load_fd(&ld, fd, path);
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
	ld.reg = calloc(1, sizeof(*ld.reg));
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
	ld.reg = calloc(1, sizeof(*ld.reg));
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

static void
cell_free(struct treg_cell *cell)
{
	size_t i;

	free(cell->question);
	free(cell->value);
	free(cell->confidence);
	free(cell->verified);
	free(cell->notes);
	free(cell->source);
	free(cell->archived);
	free_strings(cell->quotes, cell->nquotes);
	free_strings(cell->keep, cell->nkeep);
	free_strings(cell->drop, cell->ndrop);
	for (i = 0; i < cell->nattrs; i++) {
		free(cell->attrs[i].key);
		free(cell->attrs[i].value);
	}
	free(cell->attrs);
}

static void
offering_free(struct treg_offering *off)
{
	size_t i;

	for (i = 0; i < off->ncells; i++)
		cell_free(&off->cells[i]);
	free(off->cells);
	free(off->id);
	free(off->name);
	free(off->developer);
	free(off->platform);
	free(off->category);
	free(off->model_family);
	free(off->summary);
	free(off->file);
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
	free(reg);
}

const struct treg_offering *
treg_registry_find(const struct treg_registry *reg, const char *id)
{
	if (reg == NULL || id == NULL)
		return NULL;
	return find_offering(reg->offerings, reg->noffer, id);
}
