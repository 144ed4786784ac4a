/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the registry loader: the shipped data/registry.json, the
 * exact message for each kind of broken file, unknown fields, directories
 * and the quotation finder.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry.h"

#ifndef TREG_SRCDIR
#define TREG_SRCDIR	"."
#endif
#ifndef TREG_TESTDATA
#define TREG_TESTDATA	"tests/data"
#endif

#define SHIPPED		TREG_SRCDIR "/data/registry.json"
#define FIXTURE(name)	TREG_TESTDATA "/registry/" name

/* 2026-07-05T00:00:00Z */
#define VERIFIED_AT	((time_t)1783209600)

/* Loads path, which must fail with rc and exactly msg. */
static void
expect_error(const char *path, int rc_want, const char *msg)
{
	struct treg_registry *reg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_load(path, &reg, &err);

	assert_int_equal(rc, rc_want);
	assert_null(reg);
	assert_non_null(err);
	assert_string_equal(err, msg);
	free(err);
}

/* Loads bytes, which must fail with -EINVAL and exactly msg. */
static void
expect_buffer_error(const char *json, const char *msg)
{
	struct treg_registry *reg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_load_buffer("buf", json, strlen(json), &reg, &err);

	assert_int_equal(rc, -EINVAL);
	assert_null(reg);
	assert_non_null(err);
	assert_string_equal(err, msg);
	free(err);
}

static const struct treg_cell *
find_cell(const struct treg_offering *off, const char *key)
{
	size_t i;

	for (i = 0; i < off->ncells; i++) {
		if (strcmp(off->cells[i].key, key) == 0)
			return &off->cells[i];
	}
	return NULL;
}

static const char *
find_attr(const struct treg_cell *cell, const char *key)
{
	size_t i;

	for (i = 0; i < cell->nattrs; i++) {
		if (strcmp(cell->attrs[i].key, key) == 0)
			return cell->attrs[i].value;
	}
	return NULL;
}

/* Writes a temporary file holding the parts in order; returns its path,
 * which the caller unlinks and frees. */
static char *
write_temp(const char *prefix, size_t repeat, const char *middle,
    const char *suffix)
{
	char *path;
	size_t i, n;
	int fd;

	path = strdup("/tmp/test_registry.XXXXXX");
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);

	n = strlen(prefix);
	assert_int_equal(write(fd, prefix, n), (ssize_t)n);
	for (i = 0; i < repeat; i++)
		assert_int_equal(write(fd, middle, strlen(middle)),
		    (ssize_t)strlen(middle));
	n = strlen(suffix);
	assert_int_equal(write(fd, suffix, n), (ssize_t)n);
	close(fd);
	return path;
}

static void
test_treg_registry_load_shipped_data(void **state)
{
	const struct treg_offering *off;
	const struct treg_cell *c;
	struct treg_registry *reg = NULL;
	char *err = NULL;
	size_t i;
	int rc;

	rc = treg_registry_load(SHIPPED, &reg, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	assert_string_equal(reg->name, "AI Provider Trust Registry");
	assert_string_equal(reg->generated, "2026-07-05");
	assert_int_equal(reg->noffer, 1);
	off = treg_registry_find(reg, "cohere-api");
	assert_ptr_equal(off, &reg->offerings[0]);
	assert_string_equal(off->name, "Cohere API");
	assert_string_equal(off->developer, "Cohere");
	assert_string_equal(off->platform, "Cohere (first-party)");
	assert_string_equal(off->category, "first_party");
	assert_string_equal(off->model_family, "Command");
	assert_non_null(strstr(off->summary, "hosted on Google Cloud"));
	assert_int_equal(off->sort_order, 1);
	assert_string_equal(off->file, SHIPPED);
	assert_int_equal(off->ncells, TREG_NCELL_KEYS);
	for (i = 0; i < off->ncells; i++) {
		c = &off->cells[i];
		assert_ptr_equal(c->key, treg_cell_keys[i]);
		assert_non_null(c->question);
		assert_string_equal(c->verified, "2026-07-05");
		assert_int_equal(c->verified_at, VERIFIED_AT);
		assert_non_null(c->notes);
	}
	treg_registry_free(reg);
}

static void
test_treg_registry_load_shipped_cells(void **state)
{
	const struct treg_offering *off;
	const struct treg_cell *c;
	struct treg_registry *reg = NULL;
	int rc;

	rc = treg_registry_load(SHIPPED, &reg, NULL);
	assert_int_equal(rc, 0);
	off = &reg->offerings[0];

	c = find_cell(off, "soc2_type2");
	assert_string_equal(c->question,
	    "Is a SOC 2 Type II report available for this offering?");
	assert_string_equal(c->value, "yes_sales_gated");
	assert_string_equal(c->confidence, "high");
	assert_string_equal(c->source, "https://trustcenter.cohere.com/");
	assert_null(c->archived);
	assert_int_equal(c->nattrs, 3);
	assert_string_equal(find_attr(c, "tier"), "self_serve");
	assert_string_equal(find_attr(c, "route"), "trust_center_nda");
	assert_string_equal(find_attr(c, "audit_cadence"), "annual");
	c = find_cell(off, "gdpr_dpa");
	assert_string_equal(c->value, "partial");
	assert_string_equal(c->archived, "https://web.archive.org/web/"
	    "20260705000000/https://trustcenter.cohere.com/");
	assert_string_equal(find_attr(c, "subprocessors_public"), "true");
	assert_string_equal(find_attr(c, "sccs"),
	    "2021-06-04 EU Commission SCCs incorporated");
	assert_non_null(strstr(c->notes, "[email\xc2\xa0protected]"));
	c = find_cell(off, "training_on_customer_data");
	assert_string_equal(c->confidence, "medium");
	assert_string_equal(c->source,
	    "https://cohere.com/enterprise-data-commitments");
	assert_string_equal(find_attr(c, "default"), "requires_config");
	assert_string_equal(find_attr(c, "opt_out_location"),
	    "dashboard Settings > Data Controls");
	c = find_cell(off, "retention_zdr");
	assert_string_equal(find_attr(c, "retention_days"), "30");
	assert_string_equal(c->archived, "https://web.archive.org/web/"
	    "20260705000000/https://cohere.com/enterprise-data-commitments");
	c = find_cell(off, "data_residency");
	assert_string_equal(c->value, "yes_platform_only");
	assert_string_equal(find_attr(c, "geography"), "US-only (hosted API)");
	assert_string_equal(find_attr(c, "hosted_api_region"),
	    "GCP US-Central");
	c = find_cell(off, "gpai_cop");
	assert_string_equal(c->source, "https://digital-strategy.ec.europa.eu"
	    "/en/policies/contents-code-gpai");
	assert_string_equal(find_attr(c, "chapters"), "all");
	c = find_cell(off, "art53_summary");
	assert_string_equal(c->value, "no_public_evidence");
	assert_null(c->source);
	assert_null(c->archived);

	treg_registry_free(reg);
}

static void
test_treg_registry_load_shipped_quotes(void **state)
{
	const struct treg_offering *off;
	const struct treg_cell *c;
	struct treg_registry *reg = NULL;
	size_t i, total = 0;
	int rc;

	rc = treg_registry_load(SHIPPED, &reg, NULL);
	assert_int_equal(rc, 0);
	off = &reg->offerings[0];

	c = find_cell(off, "hipaa_baa");
	assert_int_equal(c->nquotes, 2);
	assert_string_equal(c->quotes[0], "may execute a Business Associate "
	    "Agreement (BAA) for custom model development engagements");
	assert_string_equal(c->quotes[1], "does not cover Cohere hosted "
	    "products and applications such as Cohere's SaaS services");
	c = find_cell(off, "training_on_customer_data");
	assert_int_equal(c->nquotes, 1);
	assert_string_equal(c->quotes[0], "can opt out from your prompts and "
	    "generations being used to train Cohere models");
	c = find_cell(off, "retention_zdr");
	assert_int_equal(c->nquotes, 1);
	assert_string_equal(c->quotes[0], "we only allow ZDR for enterprise "
	    "customers who can make additional commitments about their "
	    "usage");
	for (i = 0; i < off->ncells; i++)
		total += off->cells[i].nquotes;
	assert_int_equal(total, 4);

	treg_registry_free(reg);
}

static void
test_treg_registry_load_malformed_json(void **state)
{
	expect_error(FIXTURE("syntax.json"), -EINVAL,
	    FIXTURE("syntax.json") ":3:16: string or '}' expected near '}'");
}

static void
test_treg_registry_load_duplicate_key(void **state)
{
	expect_error(FIXTURE("dup-key.json"), -EINVAL,
	    FIXTURE("dup-key.json")
	    ":1:37: duplicate object key near '\"name\"'");
}

static void
test_treg_registry_load_invalid_utf8(void **state)
{
	expect_error(FIXTURE("invalid-utf8.json"), -EINVAL,
	    FIXTURE("invalid-utf8.json")
	    ":1:14: unable to decode byte 0xff near '\"Bad '");
}

static void
test_treg_registry_load_empty_file(void **state)
{
	expect_error(FIXTURE("empty.json"), -EINVAL,
	    FIXTURE("empty.json") ": empty file (expected a JSON object)");
}

static void
test_treg_registry_load_missing_file(void **state)
{
	expect_error(FIXTURE("no-such-file.json"), -ENOENT,
	    FIXTURE("no-such-file.json")
	    ": open: No such file or directory");
}

static void
test_treg_registry_load_top_level_array(void **state)
{
	expect_error(FIXTURE("top-array.json"), -EINVAL,
	    FIXTURE("top-array.json") ": top level is not an object");
}

static void
test_treg_registry_load_missing_offerings(void **state)
{
	expect_error(FIXTURE("no-offerings.json"), -EINVAL,
	    FIXTURE("no-offerings.json") ": offerings: missing");
}

static void
test_treg_registry_load_id_not_string(void **state)
{
	expect_error(FIXTURE("id-type.json"), -EINVAL,
	    FIXTURE("id-type.json") ": offerings[0].id: not a string");
}

static void
test_treg_registry_load_id_not_slug(void **state)
{
	expect_error(FIXTURE("bad-slug.json"), -EINVAL,
	    FIXTURE("bad-slug.json") ": offerings[0].id: not a lowercase "
	    "slug ([a-z0-9][a-z0-9._-]*): \"Cohere API\"");
}

static void
test_treg_registry_load_sort_order_not_integer(void **state)
{
	expect_error(FIXTURE("sort-order-type.json"), -EINVAL,
	    FIXTURE("sort-order-type.json")
	    ": offerings[0].sort_order: not an integer");
}

static void
test_treg_registry_load_notes_not_string(void **state)
{
	expect_error(FIXTURE("notes-type.json"), -EINVAL,
	    FIXTURE("notes-type.json") ": offerings[0].dimensions."
	    "trust_center.notes: not a string or null");
}

static void
test_treg_registry_load_quotes_not_array(void **state)
{
	expect_error(FIXTURE("quotes-type.json"), -EINVAL,
	    FIXTURE("quotes-type.json") ": offerings[0].dimensions."
	    "trust_center.quotes: not an array");
}

static void
test_treg_registry_load_cell_not_object(void **state)
{
	expect_error(FIXTURE("cell-type.json"), -EINVAL,
	    FIXTURE("cell-type.json")
	    ": offerings[0].dimensions.iso_42001: not an object");
}

static void
test_treg_registry_load_question_not_string(void **state)
{
	expect_error(FIXTURE("question-type.json"), -EINVAL,
	    FIXTURE("question-type.json")
	    ": dimensions.soc2_type2: not a string");
}

static void
test_treg_registry_load_missing_verified(void **state)
{
	expect_error(FIXTURE("missing-verified.json"), -EINVAL,
	    FIXTURE("missing-verified.json")
	    ": offerings[0].dimensions.iso_42001.verified: missing");
}

static void
test_treg_registry_load_bad_date(void **state)
{
	expect_error(FIXTURE("bad-date.json"), -EINVAL,
	    FIXTURE("bad-date.json") ": offerings[0].dimensions.hipaa_baa."
	    "verified: not a date (YYYY-MM-DD): \"2026-13-40\"");
}

static void
test_treg_registry_load_february_30(void **state)
{
	expect_error(FIXTURE("feb30.json"), -EINVAL,
	    FIXTURE("feb30.json") ": offerings[0].dimensions.soc2_type2."
	    "verified: not a date (YYYY-MM-DD): \"2026-02-30\"");
}

static void
test_treg_registry_load_bad_confidence(void **state)
{
	expect_error(FIXTURE("bad-confidence.json"), -EINVAL,
	    FIXTURE("bad-confidence.json") ": offerings[0].dimensions."
	    "iso_27001.confidence: not high, medium or low: \"certain\"");
}

static void
test_treg_registry_load_unknown_cell_key(void **state)
{
	expect_error(FIXTURE("unknown-key.json"), -EINVAL,
	    FIXTURE("unknown-key.json")
	    ": offerings[0].dimensions.soc3: unknown cell key (known: "
	    "soc2_type2, iso_27001, iso_42001, trust_center, hipaa_baa, "
	    "gdpr_dpa, training_on_customer_data, retention_zdr, "
	    "data_residency, gpai_cop and art53_summary)");
}

static void
test_treg_registry_load_duplicate_id_in_file(void **state)
{
	expect_error(FIXTURE("dup-id.json"), -EINVAL,
	    FIXTURE("dup-id.json") ": offerings[2].id: duplicate offering "
	    "id \"cohere-api\" (first in " FIXTURE("dup-id.json") ")");
}

static void
test_treg_registry_load_duplicate_id_across_files(void **state)
{
	expect_error(FIXTURE("dir-dup"), -EINVAL,
	    FIXTURE("dir-dup/b.json") ": offerings[1].id: duplicate "
	    "offering id \"cohere-api\" (first in " FIXTURE("dir-dup/a.json")
	    ")");
}

static void
test_treg_registry_load_file_source(void **state)
{
	expect_error(FIXTURE("file-source.json"), -EINVAL,
	    FIXTURE("file-source.json") ": offerings[0].dimensions.gdpr_dpa."
	    "source: not an absolute http(s) URL: \"file:///etc/passwd\"");
}

static void
test_treg_registry_load_ftp_archived(void **state)
{
	expect_error(FIXTURE("ftp-archived.json"), -EINVAL,
	    FIXTURE("ftp-archived.json") ": offerings[0].dimensions.gpai_cop."
	    "archived: not an absolute http(s) URL: "
	    "\"ftp://archive.example.org/x\"");
}

static void
test_treg_registry_load_url_credentials(void **state)
{
	/* The message must not repeat the password. */
	expect_error(FIXTURE("credentials.json"), -EINVAL,
	    FIXTURE("credentials.json") ": offerings[0].dimensions."
	    "retention_zdr.source: URL carries credentials "
	    "(user:password@); refused");
}

static void
test_treg_registry_load_deep_nesting(void **state)
{
	char *path, *want;

	path = write_temp("{\"offerings\": ", 100000, "[", "");
	want = malloc(strlen(path) + 64);
	assert_non_null(want);
	snprintf(want, strlen(path) + 64,
	    "%s:1:2062: maximum parsing depth reached near '['", path);

	expect_error(path, -EINVAL, want);

	unlink(path);
	free(path);
	free(want);
}

static void
test_treg_registry_load_too_large(void **state)
{
	char *path, *want;
	int fd;

	path = write_temp("", 0, "", "");
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 256L * 1024 * 1024 + 1), 0);
	close(fd);
	want = malloc(strlen(path) + 64);
	assert_non_null(want);
	snprintf(want, strlen(path) + 64,
	    "%s: larger than 256 MiB, not a registry export", path);

	expect_error(path, -EFBIG, want);

	unlink(path);
	free(path);
	free(want);
}

static void
test_treg_registry_load_not_regular(void **state)
{
	expect_error("/dev/null", -EINVAL,
	    "/dev/null: not a regular file or a directory");
}

static void
test_treg_registry_load_without_errp(void **state)
{
	struct treg_registry *reg = NULL;
	int rc;

	rc = treg_registry_load(FIXTURE("bad-date.json"), &reg, NULL);

	assert_int_equal(rc, -EINVAL);
	assert_null(reg);
}

static void
test_treg_registry_load_unknown_fields(void **state)
{
	const struct treg_offering *off;
	const struct treg_cell *c;
	struct treg_registry *reg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_load(FIXTURE("unknown-fields.json"), &reg, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	assert_int_equal(reg->noffer, 2);
	/* Equal sort_order: the id decides. */
	assert_string_equal(reg->offerings[0].id, "a-first");
	assert_string_equal(reg->offerings[1].id, "b-second");
	assert_null(reg->offerings[0].cells[0].source);
	off = &reg->offerings[1];
	assert_int_equal(off->ncells, 1);
	c = &off->cells[0];
	assert_string_equal(c->question,
	    "Is a SOC 2 Type II report available?");
	assert_int_equal(c->nattrs, 3);
	assert_string_equal(c->attrs[0].key, "tier");
	assert_string_equal(c->attrs[0].value, "self_serve");
	assert_string_equal(c->attrs[1].key, "future_flag");
	assert_string_equal(c->attrs[1].value, "false");
	assert_string_equal(c->attrs[2].key, "score");
	assert_string_equal(c->attrs[2].value, "2.5");
	assert_int_equal(c->nquotes, 2);
	assert_string_equal(c->quotes[0], "this is a quoted passage");
	assert_string_equal(c->quotes[1], "An explicit quotation");

	treg_registry_free(reg);
}

static void
test_treg_registry_load_directory(void **state)
{
	struct treg_registry *reg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_load(FIXTURE("dir-ok"), &reg, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	/* The first file names the registry; hidden and non-.json files
	 * (one of them broken) are not read. */
	assert_string_equal(reg->name, "Test registry");
	assert_int_equal(reg->noffer, 3);
	assert_string_equal(reg->offerings[0].id, "zeta");
	assert_string_equal(reg->offerings[0].file,
	    FIXTURE("dir-ok/10-first.json"));
	assert_string_equal(reg->offerings[0].cells[0].question,
	    "Question from the first file?");
	assert_string_equal(reg->offerings[1].id, "alpha");
	assert_int_equal(reg->offerings[1].sort_order, 5);
	assert_string_equal(reg->offerings[2].id, "beta");
	assert_int_equal(reg->offerings[2].sort_order, LONG_MAX);
	assert_null(reg->offerings[2].cells[0].question);
	assert_string_equal(reg->offerings[2].file,
	    FIXTURE("dir-ok/20-second.json"));
	assert_non_null(treg_registry_find(reg, "beta"));
	assert_null(treg_registry_find(reg, "gamma"));
	treg_registry_free(reg);
}

static void
test_treg_registry_load_directory_without_json(void **state)
{
	expect_error(FIXTURE("dir-empty"), -ENOENT,
	    FIXTURE("dir-empty") ": no *.json registry files in the "
	    "directory");
}

static void
test_treg_registry_load_buffer_cells_in_key_order(void **state)
{
	static const char json[] = "{\"offerings\": [{\"id\": \"x\", "
	    "\"name\": \"X\", \"dimensions\": {"
	    "\"art53_summary\": {\"value\": \"unclear\", \"confidence\": "
	    "\"low\", \"verified\": \"2024-02-29\", \"source\": null}, "
	    "\"soc2_type2\": {\"value\": \"yes_public\", \"confidence\": "
	    "\"high\", \"verified\": \"2026-07-05\", \"source\": "
	    "\"HTTPS://[2001:db8::1]:8443/x?y#z\", \"retention_days\": 30}"
	    "}}]}";
	struct treg_registry *reg = NULL;
	const struct treg_offering *off;
	char *err = NULL;
	int rc;

	rc = treg_registry_load_buffer(NULL, json, strlen(json), &reg, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	off = &reg->offerings[0];
	assert_int_equal(off->ncells, 2);
	assert_string_equal(off->cells[0].key, "soc2_type2");
	assert_string_equal(off->cells[0].attrs[0].value, "30");
	assert_string_equal(off->cells[1].key, "art53_summary");
	assert_int_equal(off->cells[1].verified_at, (time_t)1709164800);
	assert_null(off->model_family);
	assert_null(off->cells[0].question);
	assert_string_equal(off->file, "(buffer)");
	treg_registry_free(reg);
}

static void
test_treg_registry_load_buffer_bad_urls(void **state)
{
	static const char *const urls[] = {
		"http:///no-host",
		"https://",
		"https://example.com:99999/",
		"https://example.com:/",
		"https://exa mple.com/",
		"javascript:alert(1)",
		"//example.com/",
	};
	static const char *const msgs[] = {
		"URL has no host: \"http:///no-host\"",
		"URL has no host: \"https://\"",
		"URL has a malformed port: \"https://example.com:99999/\"",
		"URL has a malformed port: \"https://example.com:/\"",
		"URL contains a space or control character: "
		    "\"https://exa mple.com/\"",
		"not an absolute http(s) URL: \"javascript:alert(1)\"",
		"not an absolute http(s) URL: \"//example.com/\"",
	};
	char json[512], msg[512];
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(json, sizeof(json), "{\"offerings\": [{\"id\": \"x\", "
		    "\"name\": \"X\", \"dimensions\": {\"gpai_cop\": {"
		    "\"value\": \"yes_public\", \"confidence\": \"high\", "
		    "\"verified\": \"2026-07-05\", \"source\": \"%s\"}}}]}",
		    urls[i]);
		snprintf(msg, sizeof(msg), "buf: offerings[0].dimensions."
		    "gpai_cop.source: %s", msgs[i]);

		expect_buffer_error(json, msg);
	}
}

/* Per-source extraction selectors, the cell's own winning over
 * its offering's. */
static void
test_treg_registry_load_buffer_extract_selectors(void **state)
{
	const char *json = "{\"offerings\": [{\"id\": \"x\", \"name\": \"X\", "
	    "\"extract\": {\"drop\": [\"#cookie-banner\", \".ad\"]}, "
	    "\"dimensions\": {\"gpai_cop\": {\"value\": \"yes_public\", "
	    "\"confidence\": \"high\", \"verified\": \"2026-07-05\"}, "
	    "\"hipaa_baa\": {\"value\": \"partial\", \"confidence\": "
	    "\"low\", \"verified\": \"2026-07-05\", \"extract\": "
	    "{\"keep\": [\"main\"]}}}}]}";
	struct treg_registry *reg = NULL;
	const struct treg_cell *cop, *baa;
	char *err = NULL;

	assert_int_equal(treg_registry_load_buffer("buf", json, strlen(json),
	    &reg, &err), 0);
	cop = find_cell(&reg->offerings[0], "gpai_cop");
	baa = find_cell(&reg->offerings[0], "hipaa_baa");

	assert_null(err);
	assert_int_equal(cop->ndrop, 2);
	assert_string_equal(cop->drop[1], ".ad");
	assert_int_equal(cop->nkeep, 0);
	assert_int_equal(baa->nkeep, 1);
	assert_string_equal(baa->keep[0], "main");
	assert_int_equal(baa->ndrop, 0);
	assert_int_equal(baa->nattrs, 0);
	treg_registry_free(reg);
}

static void
test_treg_registry_load_buffer_extract_bad_selector(void **state)
{
	expect_buffer_error("{\"offerings\": [{\"id\": \"x\", \"name\": \"X\", "
	    "\"extract\": {\"drop\": [\"aside\", \"div > p\"]}, "
	    "\"dimensions\": {}}]}",
	    "buf: offerings[0].extract.drop[1]: not a tag, #id or .class "
	    "selector: \"div > p\"");
	expect_buffer_error("{\"offerings\": [{\"id\": \"x\", \"name\": \"X\", "
	    "\"dimensions\": {\"gpai_cop\": {\"value\": \"yes_public\", "
	    "\"confidence\": \"high\", \"verified\": \"2026-07-05\", "
	    "\"extract\": {\"keep\": \"main\"}}}}]}",
	    "buf: offerings[0].dimensions.gpai_cop.extract.keep: not an "
	    "array");
	expect_buffer_error("{\"offerings\": [{\"id\": \"x\", \"name\": \"X\", "
	    "\"extract\": {\"select\": []}, \"dimensions\": {}}]}",
	    "buf: offerings[0].extract: unknown member (keep or drop): "
	    "\"select\"");
}

static void
test_treg_registry_load_buffer_user_only(void **state)
{
	expect_buffer_error("{\"offerings\": [{\"id\": \"x\", \"name\": \"X\", "
	    "\"dimensions\": {\"gpai_cop\": {\"value\": \"yes_public\", "
	    "\"confidence\": \"high\", \"verified\": \"2026-07-05\", "
	    "\"archived\": \"http://me@example.com/\"}}}]}",
	    "buf: offerings[0].dimensions.gpai_cop.archived: URL carries "
	    "credentials (user:password@); refused");
}

/* An id the store could not key: refused at load, not on every run. */
static void
test_treg_registry_load_buffer_id_too_long(void **state)
{
	char id[TREG_REGISTRY_ID_MAX + 2], json[512];

	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"offerings\": [{\"id\": \"ok\", "
	    "\"name\": \"O\", \"dimensions\": {}}, {\"id\": \"%s\", "
	    "\"name\": \"X\", \"dimensions\": {}}]}", id);

	expect_buffer_error(json,
	    "buf: offerings[1].id: longer than 128 bytes");
}

/* Exactly the limit still loads. */
static void
test_treg_registry_load_buffer_id_at_limit(void **state)
{
	char id[TREG_REGISTRY_ID_MAX + 1], json[512], *err = NULL;
	struct treg_registry *reg = NULL;
	int rc;

	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"offerings\": [{\"id\": \"%s\", "
	    "\"name\": \"X\", \"dimensions\": {}}]}", id);

	rc = treg_registry_load_buffer("buf", json, strlen(json), &reg, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	treg_registry_free(reg);
}

static void
test_treg_registry_load_buffer_escapes_values(void **state)
{
	expect_buffer_error("{\"offerings\": [{\"id\": \"a\\u001b[31m\"}]}",
	    "buf: offerings[0].id: not a lowercase slug "
	    "([a-z0-9][a-z0-9._-]*): \"a\\x1b[31m\"");
}

/* The top-level members may come in any order: the questions are found
 * even when the offerings come first. */
static void
test_treg_registry_load_buffer_offerings_first(void **state)
{
	static const char json[] = "{\"offerings\": [{\"id\": \"x\", "
	    "\"name\": \"X\", \"dimensions\": {\"gpai_cop\": {\"value\": "
	    "\"partial\", \"confidence\": \"low\", \"verified\": "
	    "\"2026-07-05\"}}}], \"name\": \"Late\", \"history\": [1, {}], "
	    "\"dimensions\": {\"gpai_cop\": \"Signed the code?\"}}";
	struct treg_registry *reg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_load_buffer("buf", json, strlen(json), &reg, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	assert_string_equal(reg->name, "Late");
	assert_int_equal(reg->noffer, 1);
	assert_string_equal(reg->offerings[0].cells[0].question,
	    "Signed the code?");
	assert_string_equal(reg->offerings[0].cells[0].value, "partial");
	treg_registry_free(reg);
}

/* Bad JSON inside one offering is placed in the whole file. */
static void
test_treg_registry_load_syntax_in_third_offering(void **state)
{
	char *path, *want;

	path = write_temp("{\"offerings\": [\n"
	    "  {\"id\": \"a\", \"name\": \"A\", \"dimensions\": {}},\n"
	    "  {\"id\": \"b\", \"name\": \"B\", \"dimensions\": {}},\n"
	    "  {\"id\": \"c\", \"name\": \"C\",\n"
	    "   \"dimensions\": {\"soc2_type2\": {\"value\": \"x\" "
	    "\"confidence\": \"low\"}}}\n]}\n", 0, "", "");
	want = malloc(strlen(path) + 64);
	assert_non_null(want);
	snprintf(want, strlen(path) + 64,
	    "%s:5:58: '}' expected near '\"confidence\"'", path);

	expect_error(path, -EINVAL, want);

	unlink(path);
	free(path);
	free(want);
}

static void
test_treg_registry_load_buffer_duplicate_top_key(void **state)
{
	expect_buffer_error("{\"offerings\": [], \"name\": \"a\", "
	    "\"offerings\": []}",
	    "buf:1:42: duplicate object key near '\"offerings\"'");
}

static void
test_treg_registry_load_buffer_trailing_garbage(void **state)
{
	expect_buffer_error("{\"offerings\": []} x",
	    "buf:1:19: end of file expected near 'x'");
}

static void
test_treg_registry_load_buffer_truncated_array(void **state)
{
	expect_buffer_error("{\"offerings\": [{\"id\": \"a\", \"name\": "
	    "\"A\", \"dimensions\": {}},",
	    "buf:1:58: ']' expected near end of file");
}

/* As when the whole file was parsed first, bad JSON is reported rather
 * than a bad field before it. */
static void
test_treg_registry_load_buffer_syntax_beats_content(void **state)
{
	expect_buffer_error("{\"offerings\": [{\"id\": \"A\", \"name\": "
	    "\"A\", \"dimensions\": {}},\n {\"id\": \"b\" \"name\": "
	    "\"B\"}]}", "buf:2:18: '}' expected near '\"name\"'");
	expect_buffer_error("{\"name\": 5, \"offerings\": [{\"id\": "
	    "\"a\",}]}", "buf:1:38: string or '}' expected near '}'");
}

/* A file of several MiB, read through a mapping whose pages are given
 * back as the load moves on. */
static void
test_treg_registry_load_large_file(void **state)
{
	struct treg_registry *reg = NULL;
	const struct treg_offering *off;
	char *path, *err = NULL;
	FILE *f;
	int rc, i;

	path = write_temp("{\"offerings\": [", 0, "", "");
	f = fopen(path, "a");
	assert_non_null(f);
	for (i = 0; i < 20000; i++)
		fprintf(f, "%s{\"id\": \"o%d\", \"name\": \"O\", "
		    "\"sort_order\": %d, \"dimensions\": {\"hipaa_baa\": "
		    "{\"value\": \"unclear\", \"confidence\": \"low\", "
		    "\"verified\": \"2026-07-05\", \"notes\": "
		    "\"padding padding padding padding padding\"}}}\n",
		    i > 0 ? "," : "", i, i);
	fprintf(f, "], \"name\": \"Large\"}\n");
	assert_int_equal(fclose(f), 0);

	rc = treg_registry_load(path, &reg, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	assert_string_equal(reg->name, "Large");
	assert_int_equal(reg->noffer, 20000);
	off = treg_registry_find(reg, "o19999");
	assert_ptr_equal(off, &reg->offerings[19999]);
	assert_string_equal(off->cells[0].value, "unclear");
	assert_ptr_equal(off->cells[0].value, reg->offerings[0].cells[0].value);
	treg_registry_free(reg);
	unlink(path);
	free(path);
}

/*
 * Writes a registry of n offerings, each with several kinds of cell, the
 * questions after the offerings, and over a megabyte long for n of 2000:
 * several of the loader's read windows.  At offering bad (when below n)
 * the text from the last "verified" date of it is replaced by bad_tail.
 */
static char *
write_big(int n, int bad, const char *bad_tail)
{
	char *path;
	FILE *f;
	int i;

	path = write_temp("{\"name\": \"Big\", \"offerings\": [\n", 0, "", "");
	f = fopen(path, "a");
	assert_non_null(f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"id\": \"off-%05d\", "
		    "\"name\": \"Offering %d\", "
		    "\"developer\": \"Dev %d\", \"platform\": \"P\", "
		    "\"category\": \"first_party\", "
		    "\"model_family\": null, \"summary\": "
		    "\"Summary of %d with \\u00e9 and \\\"q\\\"\", "
		    "\"sort_order\": %d, "
		    "\"extract\": {\"drop\": [\"nav\"]}, "
		    "\"dimensions\": {"
		    "\"soc2_type2\": {\"value\": \"yes_public\", "
		    "\"confidence\": \"high\", "
		    "\"verified\": \"2026-07-05\", "
		    "\"notes\": \"It says "
		    "\\\"we hold a current SOC 2 report\\\" "
		    "today.\", \"source\": \"https://e%d.example/trust\", "
		    "\"archived\": "
		    "\"https://web.archive.org/web/20260705000000/"
		    "https://e%d.example/trust\", "
		    "\"tier\": \"enterprise\", "
		    "\"retention_days\": %d},\n"
		    "\"hipaa_baa\": {\"value\": \"unclear\", \"confidence\": "
		    "\"low\", \"quotes\": [\"a quotation given on its own\"], "
		    "\"extract\": {\"keep\": [\"main\"], \"drop\": [\".ad\"]}, "
		    "\"source\": null, ",
		    i > 0 ? "," : "", i, i, i % 7, i, (i * 37) % 1000, i, i,
		    i % 90);
		if (i == bad)
			fputs(bad_tail, f);
		else
			fputs("\"verified\": \"2026-08-01\"}}}\n", f);
	}
	fputs("], \"dimensions\": {\"soc2_type2\": \"Is there a report?\", "
	    "\"hipaa_baa\": \"Is a BAA signed?\"}}\n", f);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Reads path's bytes into a malloc'd buffer. */
static char *
read_whole(const char *path, size_t *lenp)
{
	char *data;
	FILE *f;
	long len;

	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*lenp = (size_t)len;
	return data;
}

static void
assert_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
}

/* Checks two offerings hold the same data, cells and all. */
static void
assert_same_offering(const struct treg_offering *a,
    const struct treg_offering *b)
{
	const struct treg_cell *x, *y;
	size_t i, j;

	assert_string_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_same_string(a->developer, b->developer);
	assert_same_string(a->platform, b->platform);
	assert_same_string(a->category, b->category);
	assert_same_string(a->model_family, b->model_family);
	assert_same_string(a->summary, b->summary);
	assert_int_equal(a->sort_order, b->sort_order);
	assert_string_equal(a->file, b->file);
	assert_int_equal(a->ncells, b->ncells);
	for (i = 0; i < a->ncells; i++) {
		x = &a->cells[i];
		y = &b->cells[i];
		assert_string_equal(x->key, y->key);
		assert_same_string(x->question, y->question);
		assert_string_equal(x->value, y->value);
		assert_string_equal(x->confidence, y->confidence);
		assert_string_equal(x->verified, y->verified);
		assert_int_equal(x->verified_at, y->verified_at);
		assert_same_string(x->notes, y->notes);
		assert_same_string(x->source, y->source);
		assert_same_string(x->archived, y->archived);
		assert_same_list(x->quotes, x->nquotes, y->quotes,
		    y->nquotes);
		assert_same_list(x->keep, x->nkeep, y->keep, y->nkeep);
		assert_same_list(x->drop, x->ndrop, y->drop, y->ndrop);
		assert_int_equal(x->nattrs, y->nattrs);
		for (j = 0; j < x->nattrs; j++) {
			assert_string_equal(x->attrs[j].key, y->attrs[j].key);
			assert_string_equal(x->attrs[j].value,
			    y->attrs[j].value);
		}
	}
}

static void
test_treg_registry_index_reads_offerings_again(void **state)
{
	struct treg_registry *whole = NULL, *index = NULL, *one = NULL;
	char *path, *err = NULL;
	size_t i, ncells = 0;
	int rc;

	path = write_big(2000, -1, NULL);
	assert_int_equal(treg_registry_load(path, &whole, &err), 0);

	rc = treg_registry_index(path, &index, &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	assert_true(index->indexed);
	assert_false(whole->indexed);
	assert_string_equal(index->name, "Big");
	assert_int_equal(index->noffer, whole->noffer);
	assert_int_equal(index->ncells, whole->ncells);
	assert_int_equal(index->ncells, 4000);
	for (i = 0; i < whole->noffer; i++) {
		assert_string_equal(index->offerings[i].id,
		    whole->offerings[i].id);
		assert_int_equal(index->offerings[i].ncells, 0);
		assert_null(index->offerings[i].cells);
		ncells += whole->offerings[i].ncells;
		rc = treg_registry_read_offering(index, &index->offerings[i],
		    &one, &err);
		assert_int_equal(rc, 0);
		assert_null(err);
		assert_int_equal(one->noffer, 1);
		assert_same_offering(&one->offerings[0],
		    &whole->offerings[i]);
		treg_registry_free(one);
		one = NULL;
	}
	assert_int_equal(ncells, whole->ncells);
	assert_ptr_equal(treg_registry_find(index, "off-01999"),
	    &index->offerings[treg_registry_find(whole, "off-01999") -
	    whole->offerings]);
	treg_registry_free(index);
	treg_registry_free(whole);
	unlink(path);
	free(path);
}

/* The file read a window at a time and the same bytes in memory load
 * alike, and fail alike with the same line and column. */
static void
expect_file_as_buffer(const char *path, int rc_want)
{
	struct treg_registry *from_file = NULL, *from_buf = NULL;
	char *data, *file_err = NULL, *buf_err = NULL, *index_err = NULL;
	struct treg_registry *index = NULL;
	size_t len, i;

	data = read_whole(path, &len);

	assert_int_equal(treg_registry_load(path, &from_file, &file_err),
	    rc_want);
	assert_int_equal(treg_registry_load_buffer(path, data, len,
	    &from_buf, &buf_err), rc_want);
	assert_int_equal(treg_registry_index(path, &index, &index_err),
	    rc_want);

	if (rc_want < 0) {
		assert_non_null(file_err);
		assert_string_equal(file_err, buf_err);
		assert_string_equal(index_err, buf_err);
	} else {
		assert_int_equal(from_file->noffer, from_buf->noffer);
		for (i = 0; i < from_file->noffer; i++)
			assert_same_offering(&from_file->offerings[i],
			    &from_buf->offerings[i]);
	}
	treg_registry_free(from_file);
	treg_registry_free(from_buf);
	treg_registry_free(index);
	free(file_err);
	free(buf_err);
	free(index_err);
	free(data);
}

static void
test_treg_registry_load_windows_as_buffer(void **state)
{
	static const char *const tails[] = {
		/* content: a bad date, far into the file */
		"\"verified\": \"2026-13-01\"}}}\n",
		/* syntax: a missing comma */
		"\"verified\": \"2026-08-01\"}} {}}\n",
		/* an unterminated string that runs to the end */
		"\"verified\": \"2026-08-01}}}\n",
		/* a bad literal */
		"\"verified\": nul}}}\n",
		/* a bad escape */
		"\"verified\": \"2026\\q-08-01\"}}}\n",
	};
	char *path;
	size_t i;

	path = write_big(2000, -1, NULL);
	expect_file_as_buffer(path, 0);
	unlink(path);
	free(path);

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		path = write_big(2000, 1900, tails[i]);
		expect_file_as_buffer(path, -EINVAL);
		unlink(path);
		free(path);
	}
}

static void
test_treg_registry_index_directory(void **state)
{
	struct treg_registry *index = NULL, *one = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_index(FIXTURE("dir-ok"), &index, &err);

	assert_int_equal(rc, 0);
	assert_int_equal(index->noffer, 3);
	assert_int_equal(index->ncells, 3);
	assert_string_equal(index->offerings[2].id, "beta");
	assert_string_equal(index->offerings[2].file,
	    FIXTURE("dir-ok/20-second.json"));
	assert_int_not_equal(index->offerings[0].file_index,
	    index->offerings[2].file_index);
	/* Each offering comes back with its own file's questions. */
	assert_int_equal(treg_registry_read_offering(index,
	    &index->offerings[0], &one, &err), 0);
	assert_string_equal(one->offerings[0].cells[0].question,
	    "Question from the first file?");
	treg_registry_free(one);
	assert_int_equal(treg_registry_read_offering(index,
	    &index->offerings[2], &one, &err), 0);
	assert_null(one->offerings[0].cells[0].question);
	assert_int_equal(one->offerings[0].sort_order, LONG_MAX);
	treg_registry_free(one);
	treg_registry_free(index);
}

static void
test_treg_registry_read_offering_changed_file(void **state)
{
	struct treg_registry *index = NULL, *one = NULL;
	struct timespec times[2] = { { 0, 0 }, { 1000000000, 0 } };
	char *path, *err = NULL, *want, *data;
	size_t len;
	FILE *f;
	int rc;

	path = write_big(3, -1, NULL);
	assert_int_equal(treg_registry_index(path, &index, &err), 0);
	/* Same length, other bytes, another time: rewritten in place. */
	data = read_whole(path, &len);
	data[strstr(data, "off-00001") - data + 4] = '9';
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	want = malloc(strlen(path) + 128);
	assert_non_null(want);
	snprintf(want, strlen(path) + 128, "%s: changed since the registry "
	    "was read (offering \"off-00001\"); run again", path);

	rc = treg_registry_read_offering(index, &index->offerings[1], &one,
	    &err);

	assert_int_equal(rc, -ESTALE);
	assert_null(one);
	assert_string_equal(err, want);
	free(err);
	err = NULL;
	/* Shorter now: still the same answer, never a crash. */
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(treg_registry_read_offering(index,
	    &index->offerings[2], &one, &err), -ESTALE);
	free(err);
	free(want);
	free(data);
	treg_registry_free(index);
	unlink(path);
	free(path);
}

/*
 * Puts the n bytes of to where the first n bytes of from lie in the file
 * at path, keeping its size, inode and modification time, as an edit
 * followed by touch -r would.
 */
static void
rewrite_in_place(const char *path, const char *from, const char *to,
    size_t n)
{
	struct timespec times[2];
	struct stat st;
	char *data, *at;
	size_t len;
	int fd;

	assert_int_equal(stat(path, &st), 0);
	data = read_whole(path, &len);
	at = memmem(data, len, from, n);
	assert_non_null(at);
	memcpy(at, to, n);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, 0), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	free(data);
}

/* Rewrites offering 1 of a fresh write_big(3) file behind its index's
 * back (from and to: n bytes) and reads it again, which must fail. */
static void
expect_unseen_edit_stale(const char *from, const char *to, size_t n)
{
	struct treg_registry *index = NULL, *one = NULL;
	char *path, *err = NULL;
	int rc;

	path = write_big(3, -1, NULL);
	assert_int_equal(treg_registry_index(path, &index, &err), 0);
	rewrite_in_place(path, from, to, n);

	rc = treg_registry_read_offering(index, &index->offerings[1], &one,
	    &err);

	assert_int_equal(rc, -ESTALE);
	assert_null(one);
	assert_non_null(err);
	assert_non_null(strstr(err, "offering \"off-00001\""));
	assert_non_null(strstr(err, "run again"));
	/* Whether the times or the bytes gave it away, a message about
	 * the bytes names what the load would refuse. */
	if (strstr(err, ": offerings[1].") != NULL)
		assert_non_null(strstr(err, "dimensions"));
	free(err);
	treg_registry_free(index);
	unlink(path);
	free(path);
}

/* Same size, same mtime, same id, a cell the load would refuse: never
 * judged. */
static void
test_treg_registry_read_offering_restored_mtime(void **state)
{
	static const char from[] = "\"verified\": \"2026-08-01\"}}}\n,"
	    "{\"id\": \"off-00002\"";
	static const char to[] = "\"verified\": \"2026-02-30\"}}}\n,"
	    "{\"id\": \"off-00002\"";

	expect_unseen_edit_stale(from, to, sizeof(from) - 1);
}

/* A NUL byte after a literal, which jansson alone lets by. */
static void
test_treg_registry_read_offering_nul_byte(void **state)
{
	static const char from[] = "\"model_family\": null, \"summary\": "
	    "\"Summary of 1 ";
	static const char to[] = "\"model_family\": null\0 \"summary\": "
	    "\"Summary of 1 ";

	expect_unseen_edit_stale(from, to, sizeof(from) - 1);
}

/* A string that never ends, longer than a read window: the file, its
 * bytes in memory and the index all say where the file ends. */
static void
test_treg_registry_load_unterminated_past_window(void **state)
{
	static const char *const prefixes[] = {
		"{\"name\": \"",	/* a value */
		"{\"na",		/* a key */
		"{\"offerings\": [], \"name\": \"",
	};
	char *path, run[101];
	size_t i;

	memset(run, 'a', sizeof(run) - 1);
	run[sizeof(run) - 1] = '\0';
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		path = write_temp(prefixes[i], 3000, run, "");

		expect_file_as_buffer(path, -EINVAL);

		unlink(path);
		free(path);
	}
}

/* A NUL byte is no JSON, wherever it is: jansson alone accepts some. */
static void
test_treg_registry_load_buffer_nul_byte(void **state)
{
	static const char text[] = "{\"offerings\": [{\"id\": \"a\", "
	    "\"name\": \"A\", \"dimensions\": {}, \"x\": null\0}]}";
	struct treg_registry *reg = NULL;
	char *err = NULL;
	int rc;

	rc = treg_registry_load_buffer("buf", text, sizeof(text) - 1, &reg,
	    &err);

	assert_int_equal(rc, -EINVAL);
	assert_null(reg);
	assert_string_equal(err, "buf:1:68: NUL byte (not JSON text)");
	free(err);
}

/* A file replaced by rename, as editors and git write, or removed, is
 * still read as it was indexed: the index keeps it open. */
static void
test_treg_registry_read_offering_replaced_file(void **state)
{
	struct treg_registry *index = NULL, *one = NULL;
	char *path, *other, *err = NULL;
	int rc;

	path = write_big(3, -1, NULL);
	other = write_big(1, 0, "\"verified\": \"2026-99-99\"}}}\n");
	assert_int_equal(treg_registry_index(path, &index, &err), 0);
	assert_int_equal(rename(other, path), 0);

	rc = treg_registry_read_offering(index, &index->offerings[2], &one,
	    &err);

	assert_int_equal(rc, 0);
	assert_null(err);
	assert_string_equal(one->offerings[0].id, "off-00002");
	assert_string_equal(one->offerings[0].cells[1].verified,
	    "2026-08-01");
	treg_registry_free(one);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(treg_registry_read_offering(index,
	    &index->offerings[0], &one, &err), 0);
	assert_string_equal(one->offerings[0].id, "off-00000");
	treg_registry_free(one);
	treg_registry_free(index);
	free(path);
	free(other);
}

static void
test_treg_registry_read_offering_not_index(void **state)
{
	struct treg_registry *reg = NULL, *one = NULL;
	char *err = NULL;

	assert_int_equal(treg_registry_load(FIXTURE("dir-ok"), &reg, &err),
	    0);

	assert_int_equal(treg_registry_read_offering(reg, &reg->offerings[0],
	    &one, &err), -EINVAL);

	assert_null(one);
	treg_registry_free(reg);
}

static void
test_treg_registry_free_null(void **state)
{
	treg_registry_free(NULL);
}

/* Runs the finder and checks it found exactly the n passages in want. */
static void
expect_quotes(const char *notes, const char *const *want, size_t n)
{
	char **quotes = NULL;
	size_t nquotes = 99, i;
	int rc;

	rc = treg_registry_quotes_from_notes(notes, &quotes, &nquotes);

	assert_int_equal(rc, 0);
	assert_int_equal(nquotes, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(quotes[i], want[i]);
		free(quotes[i]);
	}
	free(quotes);
}

static void
test_treg_registry_quotes_from_notes_ascii(void **state)
{
	static const char *const want[] = {
		"we keep logs for thirty days",
		"no training on API data",
	};

	expect_quotes("The FAQ says \"we keep logs for thirty days\" and "
	    "later \" no training on API data \".", want, 2);
}

static void
test_treg_registry_quotes_from_notes_typographic(void **state)
{
	static const char *const want[] = {
		"the BAA does not cover hosted products",
	};

	expect_quotes("Per the FAQ, \xe2\x80\x9cthe BAA does not cover hosted "
	    "products\xe2\x80\x9d (checked).", want, 1);
}

static void
test_treg_registry_quotes_from_notes_short_emphasis(void **state)
{
	static const char *const want[] = {
		"can opt out from your prompts",
	};

	expect_quotes("States \"can opt out from your prompts\" rather than "
	    "\"default\" or \xe2\x80\x9c" "deployment flexibility\xe2\x80\x9d "
	    "or \"three words here\".", want, 1);
}

static void
test_treg_registry_quotes_from_notes_unbalanced(void **state)
{
	static const char *const want[] = {
		"a balanced quotation of words",
	};

	expect_quotes("A stray \xe2\x80\x9c opener, then \"a balanced "
	    "quotation of words\", then \"an opener that never closes", want,
	    1);
}

static void
test_treg_registry_quotes_from_notes_duplicates(void **state)
{
	static const char *const want[] = {
		"the same four words",
	};

	expect_quotes("\"the same four words\" and again "
	    "\xe2\x80\x9cthe same four words\xe2\x80\x9d", want, 1);
}

static void
test_treg_registry_quotes_from_notes_null(void **state)
{
	expect_quotes(NULL, NULL, 0);
	expect_quotes("no quotation marks at all", NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_treg_registry_load_shipped_data),
		cmocka_unit_test(test_treg_registry_load_shipped_cells),
		cmocka_unit_test(test_treg_registry_load_shipped_quotes),
		cmocka_unit_test(test_treg_registry_load_malformed_json),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_extract_selectors),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_extract_bad_selector),
		cmocka_unit_test(test_treg_registry_load_duplicate_key),
		cmocka_unit_test(test_treg_registry_load_invalid_utf8),
		cmocka_unit_test(test_treg_registry_load_empty_file),
		cmocka_unit_test(test_treg_registry_load_missing_file),
		cmocka_unit_test(test_treg_registry_load_top_level_array),
		cmocka_unit_test(test_treg_registry_load_missing_offerings),
		cmocka_unit_test(test_treg_registry_load_id_not_string),
		cmocka_unit_test(test_treg_registry_load_id_not_slug),
		cmocka_unit_test(
		    test_treg_registry_load_sort_order_not_integer),
		cmocka_unit_test(test_treg_registry_load_notes_not_string),
		cmocka_unit_test(test_treg_registry_load_quotes_not_array),
		cmocka_unit_test(test_treg_registry_load_cell_not_object),
		cmocka_unit_test(test_treg_registry_load_question_not_string),
		cmocka_unit_test(test_treg_registry_load_missing_verified),
		cmocka_unit_test(test_treg_registry_load_bad_date),
		cmocka_unit_test(test_treg_registry_load_february_30),
		cmocka_unit_test(test_treg_registry_load_bad_confidence),
		cmocka_unit_test(test_treg_registry_load_unknown_cell_key),
		cmocka_unit_test(test_treg_registry_load_duplicate_id_in_file),
		cmocka_unit_test(
		    test_treg_registry_load_duplicate_id_across_files),
		cmocka_unit_test(test_treg_registry_load_file_source),
		cmocka_unit_test(test_treg_registry_load_ftp_archived),
		cmocka_unit_test(test_treg_registry_load_url_credentials),
		cmocka_unit_test(test_treg_registry_load_deep_nesting),
		cmocka_unit_test(test_treg_registry_load_too_large),
		cmocka_unit_test(test_treg_registry_load_not_regular),
		cmocka_unit_test(test_treg_registry_load_without_errp),
		cmocka_unit_test(test_treg_registry_load_unknown_fields),
		cmocka_unit_test(test_treg_registry_load_directory),
		cmocka_unit_test(
		    test_treg_registry_load_directory_without_json),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_cells_in_key_order),
		cmocka_unit_test(test_treg_registry_load_buffer_bad_urls),
		cmocka_unit_test(test_treg_registry_load_buffer_user_only),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_escapes_values),
		cmocka_unit_test(test_treg_registry_load_buffer_id_too_long),
		cmocka_unit_test(test_treg_registry_load_buffer_id_at_limit),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_offerings_first),
		cmocka_unit_test(
		    test_treg_registry_load_syntax_in_third_offering),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_duplicate_top_key),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_trailing_garbage),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_truncated_array),
		cmocka_unit_test(
		    test_treg_registry_load_buffer_syntax_beats_content),
		cmocka_unit_test(test_treg_registry_load_large_file),
		cmocka_unit_test(
		    test_treg_registry_index_reads_offerings_again),
		cmocka_unit_test(test_treg_registry_load_windows_as_buffer),
		cmocka_unit_test(test_treg_registry_index_directory),
		cmocka_unit_test(
		    test_treg_registry_read_offering_changed_file),
		cmocka_unit_test(test_treg_registry_read_offering_not_index),
		cmocka_unit_test(
		    test_treg_registry_read_offering_replaced_file),
		cmocka_unit_test(
		    test_treg_registry_read_offering_restored_mtime),
		cmocka_unit_test(test_treg_registry_read_offering_nul_byte),
		cmocka_unit_test(
		    test_treg_registry_load_unterminated_past_window),
		cmocka_unit_test(test_treg_registry_load_buffer_nul_byte),
		cmocka_unit_test(test_treg_registry_free_null),
		cmocka_unit_test(test_treg_registry_quotes_from_notes_ascii),
		cmocka_unit_test(
		    test_treg_registry_quotes_from_notes_typographic),
		cmocka_unit_test(
		    test_treg_registry_quotes_from_notes_short_emphasis),
		cmocka_unit_test(
		    test_treg_registry_quotes_from_notes_unbalanced),
		cmocka_unit_test(
		    test_treg_registry_quotes_from_notes_duplicates),
		cmocka_unit_test(test_treg_registry_quotes_from_notes_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
