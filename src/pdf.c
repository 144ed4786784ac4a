/* SPDX-License-Identifier: MIT */
/*
 * PDF to text with poppler-glib.  Each page's text comes from
 * poppler_page_get_text(), which lays the glyphs out in reading order with
 * a line break per text line; pages are joined with a line break.  GLib
 * errors are logged here and become negative errnos.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <poppler.h>

#include "buf.h"
#include "log.h"
#include "pdf.h"

#define MOD	"pdf"

/* Appends one page's text and the line break that ends it. */
static int
pdf_page_text(PopplerDocument *doc, int i, struct treg_buf *out)
{
	PopplerPage *page;
	char *text;
	int rc = 0;

	page = poppler_document_get_page(doc, i);
	if (page == NULL)
		return 0;
	text = poppler_page_get_text(page);
	if (text != NULL)
		rc = treg_buf_append(out, text, strlen(text));
	if (rc == 0)
		rc = treg_buf_append(out, "\n", 1);
	g_free(text);
	g_object_unref(page);
	return rc;
}

int
treg_pdf_text(const char *data, size_t len, char **textp, size_t *lenp)
{
	PopplerDocument *doc = NULL;
	GBytes *bytes;
	GError *gerr = NULL;
	struct treg_buf out;
	int i, n, rc = 0;

	*textp = NULL;
	*lenp = 0;
	treg_buf_init(&out, 0);

	/* Static: data outlives the document, which is gone on return. */
	bytes = g_bytes_new_static(data, len);
	doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	if (doc == NULL) {
		log_debug(MOD, "cannot open the PDF: err=%s",
		    gerr != NULL ? gerr->message : "unknown");
		rc = -EINVAL;
		goto out;
	}

	n = poppler_document_get_n_pages(doc);
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
		g_error_free(gerr);
	if (doc != NULL)
		g_object_unref(doc);
	g_bytes_unref(bytes);
	treg_buf_cleanup(&out);
	return rc;
}
