/*
 * problem.c: RFC 9457 problem objects.
 *
 * Why a URN base rather than an https URL: RFC 9457 allows any URI for
 * "type", and a URN promises nothing dereferenceable that we would then
 * have to host. Slugs are checked so a type is always a well-formed,
 * stable identifier that clients can switch on; titles come from one table
 * so the same status always reads the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mp/problem.h"

static int slug_ok(const char *slug);
static int utf8_valid(const char *s);

static const struct {
	int status;
	const char *title;
} status_titles[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {507, "Insufficient Storage"},
    {511, "Network Authentication Required"},
};

const char *
mp_http_status_title(int status)
{
	static const char *const class_titles[] = {
	    "Informational", "Success", "Redirection", "Client Error",
	    "Server Error"};
	size_t i;

	for (i = 0; i < sizeof(status_titles) / sizeof(status_titles[0]); i++)
		if (status_titles[i].status == status)
			return status_titles[i].title;
	if (status < 100 || status > 599)
		return "Unknown Status";
	return class_titles[status / 100 - 1];
}

static int
slug_ok(const char *slug)
{
	size_t i;

	for (i = 0; slug[i] != '\0'; i++) {
		if (i >= MP_PROBLEM_SLUG_MAX)
			return 0;
		if (!((slug[i] >= 'a' && slug[i] <= 'z') ||
		      (slug[i] >= '0' && slug[i] <= '9') || slug[i] == '-'))
			return 0;
	}
	return i > 0;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF),
 * the same rule jansson applies to every string it stores. */
static int
utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c, n, i, cp;

	while ((c = *s) != 0) {
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		s += n + 1;
	}
	return 1;
}

json_t *
mp_problem_new(int status, const char *slug, const char *title,
               const char *detail)
{
	char type[sizeof(MP_PROBLEM_BASE) + MP_PROBLEM_SLUG_MAX];
	json_t *p;

	if (status < 100 || status > 599)
		return NULL;
	if (slug == NULL)
		snprintf(type, sizeof(type), "about:blank");
	else if (slug_ok(slug))
		snprintf(type, sizeof(type), "%s%s", MP_PROBLEM_BASE, slug);
	else
		return NULL;
	if (title == NULL)
		title = mp_http_status_title(status);

	if ((p = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(p, "type", json_string(type)) != 0 ||
	    json_object_set_new(p, "title", json_string(title)) != 0 ||
	    json_object_set_new(p, "status", json_integer(status)) != 0 ||
	    (detail != NULL &&
	     json_object_set_new(p, "detail", json_string(detail)) != 0)) {
		json_decref(p);
		return NULL;
	}
	return p;
}

int
mp_problem_add_error(json_t *problem, const char *field, const char *reason)
{
	json_t *errors, *e;

	if (!json_is_object(problem) || field == NULL || reason == NULL)
		return -EINVAL;
	if (!utf8_valid(field) || !utf8_valid(reason))
		return -EINVAL;
	errors = json_object_get(problem, "errors");
	if (errors != NULL && !json_is_array(errors))
		return -EINVAL;

	e = json_pack("{s:s, s:s}", "field", field, "reason", reason);
	if (e == NULL)
		return -ENOMEM;
	if (errors == NULL) {
		/* set_new releases the new array itself if it fails. */
		if ((errors = json_array()) == NULL ||
		    json_object_set_new(problem, "errors", errors) != 0) {
			json_decref(e);
			return -ENOMEM;
		}
	}
	if (json_array_append_new(errors, e) != 0)
		return -ENOMEM; /* append_new released e */
	return 0;
}

size_t
mp_problem_error_count(const json_t *problem)
{
	return json_array_size(json_object_get(problem, "errors"));
}
