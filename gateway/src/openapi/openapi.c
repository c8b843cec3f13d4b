/*
 * /openapi/: the specification files and the merged document, served from
 * memory (contract in openapi.h).
 *
 * Everything is read and built in the parent before the workers fork, so
 * the workers share it copy-on-write and never touch the file system for
 * a request. The names a request may ask for are the ones found at start:
 * the {name} parameter is only ever compared with them.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mp/log.h"
#include "mp/service.h"

#include "edge/cache.h"
#include "openapi/openapi.h"

#define NAME_MAX_LEN 64
#define CACHE_CONTROL "public, max-age=300"

struct spec_file {
	char name[NAME_MAX_LEN];
	char *data;
	size_t len;
	const char *ctype;
	const char *kind; /* "openapi", "asyncapi", "other" */
	char etag[GW_ETAG_LEN];
};

static int openapi_parent_init(void);
static int name_ok(const char *name);
static int file_read(const char *dir, const char *name, char **data,
                     size_t *len);
static const char *kind_of(const char *data, size_t len);
static int by_name(const void *a, const void *b);
static int merge_order(const struct spec_file *f);
static int by_merge_order(const void *a, const void *b);
static int merged_build(void);
static int index_build(void);
static int serve(struct mp_ctx *ctx, const struct spec_file *f);

const struct mp_extension gw_openapi_extension = {
    .name = "openapi",
    .parent_init = openapi_parent_init,
};

/* files[0..nfiles-1]: the directory's, then the merged one. */
static struct spec_file files[GW_OPENAPI_FILES_MAX + 1];
static size_t nfiles;
static struct spec_file index_doc;

/* [a-z0-9][a-z0-9_.-]* ending in .yaml or .json, shorter than
 * NAME_MAX_LEN, without "..": 1 if acceptable. */
static int
name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len < 6 || len >= NAME_MAX_LEN || strstr(name, "..") != NULL)
		return 0;
	if (!((name[0] >= 'a' && name[0] <= 'z') ||
	      (name[0] >= '0' && name[0] <= '9')))
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		      name[i] == '.' || name[i] == '-'))
			return 0;
	return strcmp(name + len - 5, ".yaml") == 0 ||
	       strcmp(name + len - 5, ".json") == 0;
}

/* Read dir/name (a regular file of at most GW_OPENAPI_FILE_MAX bytes)
 * into a malloc'd NUL-terminated buffer. 0 or -errno. */
static int
file_read(const char *dir, const char *name, char **data, size_t *len)
{
	char path[1024];
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)GW_OPENAPI_FILE_MAX) {
		rc = -EFBIG;
		goto cleanup;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto cleanup;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return rc;
}

/* What a file is, from its first key: "openapi: 3..." or "asyncapi:". */
static const char *
kind_of(const char *data, size_t len)
{
	if (len >= 10 && strncmp(data, "openapi: 3", 10) == 0)
		return "openapi";
	if (len >= 9 && strncmp(data, "asyncapi:", 9) == 0)
		return "asyncapi";
	return "other";
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct spec_file *)a)->name,
	              ((const struct spec_file *)b)->name);
}

/* gateway.yaml first (its paths win), common.yaml next, the services by
 * name. */
static int
merge_order(const struct spec_file *f)
{
	if (strcmp(f->name, "gateway.yaml") == 0)
		return 0;
	if (strcmp(f->name, "common.yaml") == 0)
		return 1;
	return 2;
}

static int
by_merge_order(const void *a, const void *b)
{
	const struct spec_file *x = *(const struct spec_file *const *)a;
	const struct spec_file *y = *(const struct spec_file *const *)b;

	if (merge_order(x) != merge_order(y))
		return merge_order(x) - merge_order(y);
	return strcmp(x->name, y->name);
}

/* The merged document from every OpenAPI .yaml file read, appended to
 * files[]. 0 (also when there is nothing to merge) or -errno. */
static int
merged_build(void)
{
	const struct spec_file *order[GW_OPENAPI_FILES_MAX];
	struct gw_openapi_doc docs[GW_OPENAPI_FILES_MAX];
	char stems[GW_OPENAPI_FILES_MAX][NAME_MAX_LEN];
	struct spec_file *m = &files[nfiles];
	size_t i, n = 0;
	int rc;

	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i].kind, "openapi") == 0 &&
		    strcmp(files[i].ctype, "application/yaml") == 0)
			order[n++] = &files[i];
	if (n == 0)
		return 0;
	qsort(order, n, sizeof(order[0]), by_merge_order);
	for (i = 0; i < n; i++) {
		snprintf(stems[i], sizeof(stems[i]), "%.*s",
		         (int)(strlen(order[i]->name) - 5), order[i]->name);
		docs[i].stem = stems[i];
		docs[i].text = order[i]->data;
		docs[i].len = order[i]->len;
	}
	if ((rc = gw_openapi_merge(docs, n, &m->data, &m->len)) != 0)
		return rc;
	snprintf(m->name, sizeof(m->name), "%s", GW_OPENAPI_MERGED);
	m->ctype = "application/yaml";
	m->kind = "openapi";
	if (gw_etag(m->data, m->len, m->etag, sizeof(m->etag)) != 0)
		return -EIO;
	nfiles++;
	return 0;
}

/* GET /openapi/'s answer: {"specs": [{name, url, kind, bytes}...],
 * "merged": url or null}. */
static int
index_build(void)
{
	json_t *list = json_array(), *doc;
	char url[NAME_MAX_LEN + 16];
	const char *merged = NULL;
	size_t i;

	if (list == NULL)
		return -ENOMEM;
	for (i = 0; i < nfiles; i++) {
		snprintf(url, sizeof(url), "/openapi/%.*s", NAME_MAX_LEN - 1,
		         files[i].name);
		if (strcmp(files[i].name, GW_OPENAPI_MERGED) == 0) {
			merged = "/openapi/" GW_OPENAPI_MERGED;
			continue;
		}
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:s, s:s, "
		                    "s:I}",
		                    "name", files[i].name, "url", url, "kind",
		                    files[i].kind, "media_type", files[i].ctype,
		                    "bytes", (json_int_t)files[i].len));
	}
	doc = json_pack("{s:o, s:s?}", "specs", list, "merged", merged);
	if (doc == NULL)
		return -ENOMEM;
	index_doc.data = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (index_doc.data == NULL)
		return -ENOMEM;
	index_doc.len = strlen(index_doc.data);
	index_doc.ctype = "application/json";
	index_doc.kind = "index";
	snprintf(index_doc.name, sizeof(index_doc.name), "index");
	return gw_etag(index_doc.data, index_doc.len, index_doc.etag,
	               sizeof(index_doc.etag)) == 0
	           ? 0
	           : -EIO;
}

/* In the parent: read MP_OPENAPI_DIR (default ./openapi), build the
 * merged document and the index. -1 stops start-up. */
static int
openapi_parent_init(void)
{
	const char *dir = getenv("MP_OPENAPI_DIR");
	struct spec_file *f;
	struct dirent *de;
	DIR *d;
	int explicit = dir != NULL && *dir != '\0', rc;

	if (!explicit)
		dir = "./openapi";
	if ((d = opendir(dir)) == NULL) {
		if (explicit) {
			fprintf(stderr, "config: MP_OPENAPI_DIR %s: %s\n", dir,
			        strerror(errno));
			return -1;
		}
		mp_log(MP_LOG_WARN, "openapi",
		       "no %s directory: /openapi/ "
		       "lists nothing",
		       dir);
		return index_build() == 0 ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!name_ok(de->d_name) ||
		    strcmp(de->d_name, GW_OPENAPI_MERGED) == 0)
			continue;
		if (nfiles == GW_OPENAPI_FILES_MAX) {
			mp_log(MP_LOG_WARN, "openapi",
			       "more than %d files in "
			       "%s: the rest is not served",
			       GW_OPENAPI_FILES_MAX, dir);
			break;
		}
		f = &files[nfiles];
		if ((rc = file_read(dir, de->d_name, &f->data, &f->len)) != 0) {
			fprintf(stderr, "openapi: %s/%s: %s\n", dir, de->d_name,
			        strerror(-rc));
			closedir(d);
			return -1;
		}
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		f->ctype = strcmp(f->name + strlen(f->name) - 5, ".json") == 0
		               ? "application/json"
		               : "application/yaml";
		f->kind = kind_of(f->data, f->len);
		if (gw_etag(f->data, f->len, f->etag, sizeof(f->etag)) != 0) {
			closedir(d);
			return -1;
		}
		nfiles++;
	}
	closedir(d);
	qsort(files, nfiles, sizeof(files[0]), by_name);
	if ((rc = merged_build()) != 0) {
		fprintf(stderr,
		        "openapi: cannot merge the specifications: "
		        "%s\n",
		        strerror(-rc));
		return -1;
	}
	if (index_build() != 0)
		return -1;
	mp_log(MP_LOG_INFO, "openapi", "serving %zu files from %s", nfiles,
	       dir);
	return 0;
}

/* Answer f with its caching headers, or 304 when If-None-Match has it. */
static int
serve(struct mp_ctx *ctx, const struct spec_file *f)
{
	mp_reply_header(ctx, "Cache-Control", CACHE_CONTROL);
	mp_reply_header(ctx, "ETag", f->etag);
	if (gw_etag_match(mp_header(ctx, "if-none-match"), f->etag))
		return mp_reply_raw(ctx, 304, NULL, NULL, 0);
	return mp_reply_raw(ctx, 200, f->ctype, f->data, f->len);
}

int
gw_openapi_index(struct mp_ctx *ctx)
{
	if (index_doc.data == NULL)
		return mp_reply_problem(ctx, 503, "unavailable",
		                        "specifications not loaded");
	return serve(ctx, &index_doc);
}

int
gw_openapi_file(struct mp_ctx *ctx)
{
	const char *name = mp_param(ctx, "name");
	size_t i;

	for (i = 0; name != NULL && i < nfiles; i++)
		if (strcmp(files[i].name, name) == 0)
			return serve(ctx, &files[i]);
	return mp_reply_problem(
	    ctx, 404, "not-found",
	    "no such specification; GET /openapi/ lists them");
}
