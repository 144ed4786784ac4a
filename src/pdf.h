/* SPDX-License-Identifier: MIT */
/*
 * Text of PDF evidence, through poppler's GLib interface.  A PDF can only
 * be read whole (its cross-reference table sits at the end), so the caller
 * buffers the body, bounded by its own cap, and gets plain UTF-8 back to
 * normalise like any other text.  Only this module sees poppler and GLib.
 */
#ifndef TREG_PDF_H
#define TREG_PDF_H

#include <stddef.h>

/*
 * Extracts the text of the PDF in data[0..len): each page's text lines in
 * reading order, one a line ('\n'), pages one after another.  On success
 * sets *textp to a malloc'd NUL-terminated string the caller frees and
 * *lenp to its length, and returns 0.  Returns -EINVAL when data is not a
 * PDF poppler can open (damaged, or encrypted with a password),
 * -ENOTSUP when poppler-glib cannot be loaded (logged once), or -ENOMEM.
 * Safe to call from any thread: calls are serialised.
 */
int	treg_pdf_text(const char *data, size_t len, char **textp,
	    size_t *lenp);

#endif
