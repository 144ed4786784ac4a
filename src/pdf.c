/* SPDX-License-Identifier: MIT */
/*
 * PDF to text with poppler-glib.  Each page's text comes from
 * poppler_page_get_text(), which lays the glyphs out in reading order with
 * a line break per text line; pages are joined with a line break.  GLib
 * errors are logged here and become negative errnos.
 *
 * poppler-glib is opened with dlopen() at the first PDF, not linked: it
 * brings some forty libraries (cairo, NSS, X11, TIFF...) that cost every
 * run start-up time and resident memory, and most crawls meet no PDF.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <poppler.h>

#include "buf.h"
#include "log.h"
#include "pdf.h"

#define MOD	"pdf"

/* The library's name as the dynamic linker knows it, then the
 * development link as a fallback. */
#define PDF_SONAME	"libpoppler-glib.so.8"
#define PDF_DEVNAME	"libpoppler-glib.so"

/* The entry points used, looked up once; the GLib ones come from the
 * libraries poppler-glib itself depends on. */
struct pdf_api {
	GBytes *(*bytes_new_static)(gconstpointer, gsize);
	void (*bytes_unref)(GBytes *);
	void (*error_free)(GError *);
	void (*gfree)(gpointer);
	void (*object_unref)(gpointer);
	PopplerDocument *(*document_new_from_bytes)(GBytes *, const char *,
	    GError **);
	int (*document_get_n_pages)(PopplerDocument *);
	PopplerPage *(*document_get_page)(PopplerDocument *, int);
	char *(*page_get_text)(PopplerPage *);
};

static struct pdf_api pdf_api;
static int pdf_state;		/* 0: not tried, 1: loaded, -1: missing */

/*
 * One PDF at a time, whatever the thread: the two above are filled at the
 * first PDF, and poppler-glib makes its global parameters at its first
 * document, neither under a lock.  PDFs are few; the wait costs little.
 */
static pthread_mutex_t pdf_lock = PTHREAD_MUTEX_INITIALIZER;

/* dlsym's object pointer into a function pointer, the way POSIX says. */
static int
pdf_sym(void *lib, const char *name, void *fnp)
{
	void *sym = dlsym(lib, name);

	if (sym == NULL) {
		log_err(MOD, "poppler-glib lacks %s", name);
		return -1;
	}
	memcpy(fnp, &sym, sizeof(sym));
	return 0;
}

/* Loads poppler-glib once.  The library stays loaded for the process. */
static int
pdf_load(void)
{
	struct pdf_api *a = &pdf_api;
	void *lib;
	int bad = 0;

	if (pdf_state != 0)
		return pdf_state > 0 ? 0 : -ENOTSUP;
	pdf_state = -1;
	lib = dlopen(PDF_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		lib = dlopen(PDF_DEVNAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		log_err(MOD, "cannot load poppler-glib: %s", dlerror());
		return -ENOTSUP;
	}
	bad |= pdf_sym(lib, "g_bytes_new_static", &a->bytes_new_static);
	bad |= pdf_sym(lib, "g_bytes_unref", &a->bytes_unref);
	bad |= pdf_sym(lib, "g_error_free", &a->error_free);
	bad |= pdf_sym(lib, "g_free", &a->gfree);
	bad |= pdf_sym(lib, "g_object_unref", &a->object_unref);
	bad |= pdf_sym(lib, "poppler_document_new_from_bytes",
	    &a->document_new_from_bytes);
	bad |= pdf_sym(lib, "poppler_document_get_n_pages",
	    &a->document_get_n_pages);
	bad |= pdf_sym(lib, "poppler_document_get_page",
	    &a->document_get_page);
	bad |= pdf_sym(lib, "poppler_page_get_text", &a->page_get_text);
	if (bad) {
		dlclose(lib);
		return -ENOTSUP;
	}
	pdf_state = 1;
	return 0;
}

/* Appends one page's text and the line break that ends it. */
static int
pdf_page_text(PopplerDocument *doc, int i, struct treg_buf *out)
{
	const struct pdf_api *a = &pdf_api;
	PopplerPage *page;
	char *text;
	int rc = 0;

	page = a->document_get_page(doc, i);
	if (page == NULL)
		return 0;
	text = a->page_get_text(page);
	if (text != NULL)
		rc = treg_buf_append(out, text, strlen(text));
	if (rc == 0)
		rc = treg_buf_append(out, "\n", 1);
	a->gfree(text);
	a->object_unref(page);
	return rc;
}

static int
pdf_text(const char *data, size_t len, char **textp, size_t *lenp)
{
	const struct pdf_api *a = &pdf_api;
	PopplerDocument *doc = NULL;
	GBytes *bytes;
	GError *gerr = NULL;
	struct treg_buf out;
	int i, n, rc;

	*textp = NULL;
	*lenp = 0;
	rc = pdf_load();
	if (rc < 0)
		return rc;
	treg_buf_init(&out, 0);

	/* Static: data outlives the document, which is gone on return. */
	bytes = a->bytes_new_static(data, len);
	doc = a->document_new_from_bytes(bytes, NULL, &gerr);
	if (doc == NULL) {
		log_debug(MOD, "cannot open the PDF: err=%s",
		    gerr != NULL ? gerr->message : "unknown");
		rc = -EINVAL;
		goto out;
	}

	n = a->document_get_n_pages(doc);
	for (i = 0; i < n && rc == 0; i++)
		rc = pdf_page_text(doc, i, &out);
	if (rc == 0)
		rc = treg_buf_append(&out, "", 0);
	if (rc == 0) {
		*lenp = out.len;
		*textp = treg_buf_steal(&out);
	}

out:
	if (gerr != NULL)
		a->error_free(gerr);
	if (doc != NULL)
		a->object_unref(doc);
	a->bytes_unref(bytes);
	treg_buf_cleanup(&out);
	return rc;
}

int
treg_pdf_text(const char *data, size_t len, char **textp, size_t *lenp)
{
	int rc;

	pthread_mutex_lock(&pdf_lock);
	rc = pdf_text(data, len, textp, lenp);
	pthread_mutex_unlock(&pdf_lock);
	return rc;
}
