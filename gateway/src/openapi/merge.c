/*
 * The merged OpenAPI document (contract in openapi.h): a line-oriented
 * merge of YAML text, no YAML parser.
 *
 * Why text: the specs of this repository are written in one regular
 * shape (block style, two-space indentation) that a contract test already
 * relies on, and the merge only moves whole blocks: a path item is its
 * "  /path:" line and every following line indented deeper (or blank); a
 * component is its "    Name:" line and the same. Block scalars cannot
 * break this, because YAML requires their text to be indented deeper than
 * the key that holds them. What changes inside a block is only the "$ref"
 * targets, rewritten where "#/components/" occurs.
 *
 * Pure C: the Check suites link it directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openapi/openapi.h"

#define SECTIONS_MAX 16
#define SECTION_NAME_MAX 32

struct obuf {
	char *p;
	size_t len, cap;
	int err;
};

struct span {
	const char *p;
	size_t len;
};

/* Walks the lines of one document. */
struct lines {
	const char *text;
	size_t len, off;
};

static void ob_add(struct obuf *b, const char *s, size_t n);
static void ob_str(struct obuf *b, const char *s);
static int line_next(struct lines *it, struct span *l);
static size_t line_indent(const struct span *l);
static int line_blank(const struct span *l);
static int line_is(const struct span *l, const char *s);
static int line_key(const struct span *l, size_t indent, struct span *key);
static int is_fname(char c);
static int stem_ok(const char *s);
static void emit_rewritten(struct obuf *b, const char *l, size_t ll,
                           const char *stem);
static int section_find(struct lines *it, const char *header);
static int span_seen(const struct span *list, size_t n, const struct span *k);
static int merge_paths(const struct gw_openapi_doc *docs, size_t n,
                       struct obuf *paths, struct obuf *skipped);
static int merge_sections(const struct gw_openapi_doc *docs, size_t n,
                          char names[SECTIONS_MAX][SECTION_NAME_MAX],
                          size_t *count);
static void merge_components(const struct gw_openapi_doc *docs, size_t n,
                             const char *section, struct obuf *out);

static void
ob_add(struct obuf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->err || n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ob_str(struct obuf *b, const char *s)
{
	ob_add(b, s, strlen(s));
}

/* The next line without its "\n" (and "\r"). 1 while there is one. */
static int
line_next(struct lines *it, struct span *l)
{
	const char *nl;

	if (it->off >= it->len)
		return 0;
	l->p = it->text + it->off;
	nl = memchr(l->p, '\n', it->len - it->off);
	l->len = nl != NULL ? (size_t)(nl - l->p) : it->len - it->off;
	it->off += l->len + (nl != NULL);
	if (l->len > 0 && l->p[l->len - 1] == '\r')
		l->len--;
	return 1;
}

static size_t
line_indent(const struct span *l)
{
	size_t i = 0;

	while (i < l->len && l->p[i] == ' ')
		i++;
	return i;
}

static int
line_blank(const struct span *l)
{
	return line_indent(l) == l->len;
}

/* The line is exactly s, trailing blanks aside. */
static int
line_is(const struct span *l, const char *s)
{
	size_t n = strlen(s), i;

	if (l->len < n || memcmp(l->p, s, n) != 0)
		return 0;
	for (i = n; i < l->len; i++)
		if (l->p[i] != ' ')
			return 0;
	return 1;
}

/* A mapping key at exactly `indent` spaces: "<key>:" alone or followed by
 * a space. 1 and *key, or 0. */
static int
line_key(const struct span *l, size_t indent, struct span *key)
{
	size_t i;

	if (line_indent(l) != indent || l->len == indent ||
	    l->p[indent] == '#' || l->p[indent] == '-')
		return 0;
	for (i = indent; i < l->len; i++) {
		if (l->p[i] == ':' && (i + 1 == l->len || l->p[i + 1] == ' ')) {
			key->p = l->p + indent;
			key->len = i - indent;
			return key->len > 0;
		}
	}
	return 0;
}

static int
is_fname(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int
stem_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/*
 * Append line l of document `stem` with every component reference
 * renamed: "[file.yaml]#/components/<sec>/<Name>" becomes
 * "#/components/<sec>/<file stem or stem>.<Name>" (securitySchemes keep
 * their names). A newline ends it.
 */
static void
emit_rewritten(struct obuf *b, const char *l, size_t ll, const char *stem)
{
	static const char marker[] = "#/components/";
	const size_t mlen = sizeof(marker) - 1;
	const char *target;
	size_t i = 0, start = 0, f, s, e, tlen, ext;

	while (i + mlen <= ll) {
		if (memcmp(l + i, marker, mlen) != 0) {
			i++;
			continue;
		}
		f = i;
		while (f > 0 && is_fname(l[f - 1]))
			f--;
		target = stem;
		tlen = strlen(stem);
		ext = i - f >= 5 && memcmp(l + i - 5, ".yaml", 5) == 0   ? 5
		      : i - f >= 4 && memcmp(l + i - 4, ".yml", 4) == 0  ? 4
		      : i - f >= 5 && memcmp(l + i - 5, ".json", 5) == 0 ? 5
		                                                         : 0;
		if (ext != 0 && i - f > ext) {
			target = l + f;
			tlen = i - f - ext;
		} else {
			f = i; /* not a file name: keep what precedes */
		}
		ob_add(b, l + start, f - start);
		ob_add(b, marker, mlen);
		s = e = i + mlen;
		while (e < ll && is_fname(l[e]) && l[e] != '.')
			e++;
		ob_add(b, l + s, e - s);
		if (e < ll && l[e] == '/') {
			ob_add(b, "/", 1);
			if (!(e - s == 15 &&
			      memcmp(l + s, "securitySchemes", 15) == 0)) {
				ob_add(b, target, tlen);
				ob_add(b, ".", 1);
			}
			e++;
		}
		start = i = e;
	}
	ob_add(b, l + start, ll - start);
	ob_add(b, "\n", 1);
}

/* Position `it` just after the column-0 line `header` ("paths:").
 * 1 if found. */
static int
section_find(struct lines *it, const char *header)
{
	struct span l;

	it->off = 0;
	while (line_next(it, &l))
		if (line_is(&l, header))
			return 1;
	return 0;
}

static int
span_seen(const struct span *list, size_t n, const struct span *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i].len == k->len &&
		    memcmp(list[i].p, k->p, k->len) == 0)
			return 1;
	return 0;
}

/* Every path item of every document into `paths`; the keys of those left
 * out as duplicates into `skipped` (", "-separated). 0, -EINVAL (a doc
 * without paths), -ENOMEM. */
static int
merge_paths(const struct gw_openapi_doc *docs, size_t n, struct obuf *paths,
            struct obuf *skipped)
{
	struct span *seen = NULL, *grown, l, key;
	size_t nseen = 0, cap = 0, d, ind;
	struct lines it;
	int skip, rc = 0;

	for (d = 0; d < n && rc == 0; d++) {
		it.text = docs[d].text;
		it.len = docs[d].len;
		if (!section_find(&it, "paths:")) {
			rc = -EINVAL;
			break;
		}
		skip = 0;
		while (line_next(&it, &l)) {
			ind = line_indent(&l);
			if (!line_blank(&l) && ind == 0 && l.p[0] != '#')
				break; /* next top-level key */
			if (!line_blank(&l) && ind <= 2 && l.p[ind] == '#')
				continue; /* a comment between path items */
			if (line_key(&l, 2, &key)) {
				skip = span_seen(seen, nseen, &key);
				if (skip) {
					if (skipped->len > 0)
						ob_str(skipped, ", ");
					ob_add(skipped, key.p, key.len);
					continue;
				}
				if (nseen == cap) {
					cap = cap ? cap * 2 : 64;
					grown =
					    realloc(seen, cap * sizeof(*seen));
					if (grown == NULL) {
						rc = -ENOMEM;
						break;
					}
					seen = grown;
				}
				seen[nseen++] = key;
			}
			if (!skip)
				emit_rewritten(paths, l.p, l.len, docs[d].stem);
		}
	}
	free(seen);
	if (rc == 0 && (paths->err || skipped->err))
		rc = -ENOMEM;
	return rc;
}

/* The component section names ("schemas", ...) in order of first
 * appearance. 0 or -E2BIG. */
static int
merge_sections(const struct gw_openapi_doc *docs, size_t n,
               char names[SECTIONS_MAX][SECTION_NAME_MAX], size_t *count)
{
	struct lines it;
	struct span l, key;
	size_t d, i;

	*count = 0;
	for (d = 0; d < n; d++) {
		it.text = docs[d].text;
		it.len = docs[d].len;
		if (!section_find(&it, "components:"))
			continue;
		while (line_next(&it, &l)) {
			if (!line_blank(&l) && line_indent(&l) == 0 &&
			    l.p[0] != '#')
				break;
			if (!line_key(&l, 2, &key) ||
			    key.len >= SECTION_NAME_MAX)
				continue;
			for (i = 0; i < *count; i++)
				if (strlen(names[i]) == key.len &&
				    memcmp(names[i], key.p, key.len) == 0)
					break;
			if (i < *count)
				continue;
			if (*count == SECTIONS_MAX)
				return -E2BIG;
			memcpy(names[*count], key.p, key.len);
			names[*count][key.len] = '\0';
			(*count)++;
		}
	}
	return 0;
}

/* The entries of components/<section> of every document, renamed. */
static void
merge_components(const struct gw_openapi_doc *docs, size_t n,
                 const char *section, struct obuf *out)
{
	char header[SECTION_NAME_MAX + 4];
	struct span *seen = NULL, *grown, l, key;
	size_t nseen = 0, cap = 0, d, ind;
	struct lines it;
	int in, skip, keep_names = strcmp(section, "securitySchemes") == 0;

	snprintf(header, sizeof(header), "  %s:", section);
	for (d = 0; d < n; d++) {
		it.text = docs[d].text;
		it.len = docs[d].len;
		if (!section_find(&it, "components:"))
			continue;
		in = skip = 0;
		while (line_next(&it, &l)) {
			ind = line_indent(&l);
			if (!line_blank(&l) && ind == 0 && l.p[0] != '#')
				break;
			if (!line_blank(&l) && ind == 2 && l.p[2] != '#') {
				in = line_is(&l, header);
				continue;
			}
			if (!in ||
			    (!line_blank(&l) && ind <= 4 && l.p[ind] == '#'))
				continue;
			if (line_key(&l, 4, &key)) {
				skip = 0;
				if (keep_names) {
					skip = span_seen(seen, nseen, &key);
					if (!skip && nseen == cap) {
						cap = cap ? cap * 2 : 16;
						grown = realloc(
						    seen, cap * sizeof(*seen));
						if (grown == NULL) {
							out->err = 1;
							break;
						}
						seen = grown;
					}
					if (!skip)
						seen[nseen++] = key;
				}
				if (skip)
					continue;
				ob_str(out, "    ");
				if (!keep_names) {
					ob_str(out, docs[d].stem);
					ob_add(out, ".", 1);
				}
				emit_rewritten(out, l.p + 4, l.len - 4,
				               docs[d].stem);
				continue;
			}
			if (!skip)
				emit_rewritten(out, l.p, l.len, docs[d].stem);
		}
	}
	free(seen);
}

int
gw_openapi_merge(const struct gw_openapi_doc *docs, size_t n, char **out,
                 size_t *outlen)
{
	char sections[SECTIONS_MAX][SECTION_NAME_MAX];
	struct obuf doc = {0}, paths = {0}, skipped = {0};
	size_t nsec = 0, d, i;
	int rc;

	if (docs == NULL || n == 0 || out == NULL || outlen == NULL)
		return -EINVAL;
	for (d = 0; d < n; d++)
		if (!stem_ok(docs[d].stem) || docs[d].text == NULL)
			return -EINVAL;
	if ((rc = merge_paths(docs, n, &paths, &skipped)) != 0)
		goto cleanup;
	if ((rc = merge_sections(docs, n, sections, &nsec)) != 0)
		goto cleanup;

	ob_str(
	    &doc,
	    "openapi: 3.1.0\ninfo:\n"
	    "  title: Migration-policy platform — every API behind the "
	    "gateway\n"
	    "  version: merged\n"
	    "  description: |\n"
	    "    Built by the gateway at start from the OpenAPI files it serves"
	    " under /openapi/:\n    ");
	for (d = 0; d < n; d++) {
		ob_str(&doc, d ? ", " : "");
		ob_str(&doc, docs[d].stem);
		ob_str(&doc, ".yaml");
	}
	ob_str(
	    &doc,
	    ".\n    Each component is named <file>.<Name> "
	    "(funding.Call); security schemes keep\n    their names. Read the "
	    "files themselves for their descriptions.\n");
	if (skipped.len > 0) {
		ob_str(&doc, "    Paths left out (an earlier file has them): ");
		ob_add(&doc, skipped.p, skipped.len);
		ob_str(&doc, ".\n");
	}
	ob_str(&doc, "servers:\n  - url: /\npaths:\n");
	ob_add(&doc, paths.p, paths.len);
	if (nsec > 0)
		ob_str(&doc, "components:\n");
	for (i = 0; i < nsec; i++) {
		ob_str(&doc, "  ");
		ob_str(&doc, sections[i]);
		ob_str(&doc, ":\n");
		merge_components(docs, n, sections[i], &doc);
	}
	if (doc.err || doc.p == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	*out = doc.p;
	*outlen = doc.len;
	doc.p = NULL;
	rc = 0;
cleanup:
	free(doc.p);
	free(paths.p);
	free(skipped.p);
	return rc;
}
