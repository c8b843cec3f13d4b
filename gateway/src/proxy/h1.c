/*
 * The HTTP/1.1 wire format of the upstream client (contract in h1.h).
 *
 * The parser never copies the head: it finds each line in the caller's
 * buffer, checks it and writes NUL terminators into it. It never looks at a
 * byte twice while waiting for the end of a line (r->scan), so an answer
 * that arrives a byte at a time costs linear time. Chunked bodies are decoded
 * in place: chunk data is moved down over the framing (the write position
 * never passes the read position, a chunk costs at least three bytes of
 * framing), and the unparsed rest is moved down after it at the end of each
 * call, so that the buffer never holds more than head + body + one partial
 * line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy/h1.h"

enum {
	S_LINE = 0, /* status line */
	S_FIELDS,   /* field lines of the head */
	S_BODY_LEN, /* Content-Length body */
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_END, /* the CRLF after chunk data */
	S_TRAILERS,
	S_CLOSE, /* body until the connection ends */
	S_DONE,
	S_ERROR
};

static int is_tchar(unsigned char c);
static int line_find(struct gw_h1_resp *r, const char *buf, size_t len,
                     size_t max, size_t *eol, size_t *next);
static int status_line(struct gw_h1_resp *r, const char *p, size_t n);
static int field_line(struct gw_h1_resp *r, char *buf, size_t start, size_t eol,
                      int keep);
static int head_end(struct gw_h1_resp *r, char *buf);
static const char *list_item(const char *v, const char **item, size_t *k);
static int content_length(const char *v, uint64_t *out);
static int chunk_size(const char *p, size_t n, uint64_t *out);
static int step(struct gw_h1_resp *r, char *buf, size_t len);

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

void
gw_h1_resp_init(struct gw_h1_resp *r, int head_only, size_t body_max)
{
	memset(r, 0, sizeof(*r));
	r->head_only = head_only;
	r->body_max = body_max;
	r->state = S_LINE;
}

int
gw_h1_resp_head_done(const struct gw_h1_resp *r)
{
	return r->state > S_FIELDS && r->state != S_ERROR;
}

/*
 * The line starting at r->pos: 1 with [r->pos, *eol) its content (without
 * CR LF or LF) and *next the start of the following line, 0 when its LF has
 * not arrived yet (-EBADMSG, or -E2BIG in a head, once it is over `max`).
 */
static int
line_find(struct gw_h1_resp *r, const char *buf, size_t len, size_t max,
          size_t *eol, size_t *next)
{
	const char *lf;

	if (r->scan < r->pos)
		r->scan = r->pos;
	lf = r->scan < len ? memchr(buf + r->scan, '\n', len - r->scan) : NULL;
	if (lf == NULL) {
		r->scan = len;
		if (len - r->pos > max)
			return r->state <= S_FIELDS || r->state == S_TRAILERS
			           ? -E2BIG
			           : -EBADMSG;
		return 0;
	}
	*next = (size_t)(lf - buf) + 1;
	*eol = (size_t)(lf - buf);
	if (*eol > r->pos && buf[*eol - 1] == '\r')
		(*eol)--;
	if (*eol - r->pos > max)
		return r->state <= S_FIELDS || r->state == S_TRAILERS
		           ? -E2BIG
		           : -EBADMSG;
	r->scan = *next;
	return 1;
}

/* "HTTP/1.x NNN[ reason]" */
static int
status_line(struct gw_h1_resp *r, const char *p, size_t n)
{
	size_t i;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return -EBADMSG;
	for (i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
	if (n > 12 && p[12] != ' ')
		return -EBADMSG;
	for (i = 13; i < n; i++) /* reason: HTAB, SP, VCHAR, obs-text */
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return -EBADMSG;
	r->minor = p[7] - '0';
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (r->status < 100 || r->status > 599 || r->status == 101)
		return -EBADMSG;
	return 0;
}

/*
 * One field line [start, eol): checked, and with keep (a head, not
 * trailers) recorded with its name and value NUL-terminated in place. A
 * line starting with white space continues the previous value (obs-fold):
 * the line break becomes spaces.
 */
static int
field_line(struct gw_h1_resp *r, char *buf, size_t start, size_t eol, int keep)
{
	size_t i = start, v, vend;

	if (buf[start] == ' ' || buf[start] == '\t') {
		if (!keep || r->nfields == 0)
			return -EBADMSG;
		v = start;
	} else {
		while (i < eol && is_tchar((unsigned char)buf[i]))
			i++;
		if (i == start || i == eol || buf[i] != ':')
			return -EBADMSG;
		v = i + 1;
	}
	while (v < eol && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	for (vend = v; vend < eol; vend++)
		if (((unsigned char)buf[vend] < 0x20 && buf[vend] != '\t') ||
		    buf[vend] == 0x7f)
			return -EBADMSG;
	while (vend > v && (buf[vend - 1] == ' ' || buf[vend - 1] == '\t'))
		vend--;
	if (!keep)
		return 0;
	if (buf[start] == ' ' || buf[start] == '\t') {
		/* obs-fold: the previous value runs on over spaces */
		if (vend > v) {
			memset(buf + r->vend, ' ', v - r->vend);
			r->vend = vend;
		}
		buf[r->vend] = '\0';
		return 0;
	}
	if (r->nfields >= GW_H1_FIELDS_MAX)
		return -E2BIG;
	buf[i] = '\0';
	buf[vend] = '\0';
	r->field[r->nfields].name = (uint32_t)start;
	r->field[r->nfields].value = (uint32_t)v;
	r->nfields++;
	r->vend = vend;
	return 0;
}

/* The element of a comma-separated list at v: *item and its length *k
 * without surrounding white space (0: empty). Returns where the next
 * element starts, or the terminating NUL. */
static const char *
list_item(const char *v, const char **item, size_t *k)
{
	const char *e;

	while (*v == ' ' || *v == '\t')
		v++;
	for (e = v; *e != '\0' && *e != ','; e++)
		;
	*item = v;
	*k = (size_t)(e - v);
	while (*k > 0 && (v[*k - 1] == ' ' || v[*k - 1] == '\t'))
		(*k)--;
	return *e == ',' ? e + 1 : e;
}

/* Digits only, below 2^63. */
static int
content_length(const char *v, uint64_t *out)
{
	uint64_t n = 0;

	if (*v == '\0')
		return -EBADMSG;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX / 2 - 9) / 10)
			return -EBADMSG;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*out = n;
	return 0;
}

/* The final head is complete: how is its body delimited? */
static int
head_end(struct gw_h1_resp *r, char *buf)
{
	const char *name, *v, *e;
	char one[32];
	uint64_t len = 0, n;
	int has_len = 0, chunked = 0, te = 0, conn_close = 0, conn_keep = 0;
	size_t i, k;

	for (i = 0; i < r->nfields; i++) {
		name = buf + r->field[i].name;
		v = buf + r->field[i].value;
		if (strcasecmp(name, "content-length") == 0) {
			/* "42", "42, 42": every element equal, none empty
			 * (the value is trimmed: a comma last is one) */
			if (*v != '\0' && v[strlen(v) - 1] == ',')
				return -EBADMSG;
			do {
				v = list_item(v, &e, &k);
				if (k == 0 || k >= sizeof(one))
					return -EBADMSG;
				memcpy(one, e, k);
				one[k] = '\0';
				if (content_length(one, &n) != 0 ||
				    (has_len && n != len))
					return -EBADMSG;
				len = n;
				has_len = 1;
			} while (*v != '\0');
		} else if (strcasecmp(name, "transfer-encoding") == 0) {
			/* only "chunked", once: another coding could not be
			 * forwarded (Transfer-Encoding is hop-by-hop) */
			while (*v != '\0') {
				v = list_item(v, &e, &k);
				if (k == 0)
					continue;
				if (k != 7 ||
				    strncasecmp(e, "chunked", 7) != 0 ||
				    chunked)
					return -EBADMSG;
				chunked = 1;
			}
			te = 1;
		} else if (strcasecmp(name, "connection") == 0) {
			conn_close |= gw_h1_list_has(v, "close");
			conn_keep |= gw_h1_list_has(v, "keep-alive");
		}
	}
	if (te && (!chunked || has_len || r->minor == 0))
		return -EBADMSG;
	r->keep_alive = r->minor == 1 ? !conn_close : conn_keep && !conn_close;
	r->body_off = r->pos;
	r->body_len = 0;
	if (r->head_only || r->status == 204 || r->status == 304) {
		r->state = S_DONE;
		return 0;
	}
	if (chunked) {
		r->framing = 1; /* decoded in place */
		r->state = S_CHUNK_SIZE;
		return 0;
	}
	if (has_len) {
		if (len > r->body_max)
			return -EMSGSIZE;
		r->left = len;
		r->state = len == 0 ? S_DONE : S_BODY_LEN;
		return 0;
	}
	r->keep_alive = 0;
	r->state = S_CLOSE;
	return 0;
}

/* chunk-size [ BWS ";" chunk-ext ]: hex digits, then extensions ignored. */
static int
chunk_size(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	int d;

	for (i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			break;
		if (i >= 15)
			return -EBADMSG;
		v = v * 16 + (uint64_t)d;
	}
	if (i == 0)
		return -EBADMSG;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n && p[i] != ';')
		return -EBADMSG;
	for (; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return -EBADMSG;
	*out = v;
	return 0;
}

/* One step of the state machine: 1 progress, 0 more bytes needed, or an
 * error. Decoded chunk data goes to body_off + body_len. */
static int
step(struct gw_h1_resp *r, char *buf, size_t len)
{
	size_t eol = 0, next = 0, n, wpos = r->body_off + r->body_len;
	int rc;

	switch (r->state) {
	case S_LINE:
	case S_FIELDS:
	case S_TRAILERS:
		if ((rc = line_find(r, buf, len, GW_H1_HEAD_MAX, &eol,
		                    &next)) <= 0)
			return rc;
		r->head += next - r->pos;
		if (r->head > GW_H1_HEAD_MAX)
			return -E2BIG;
		if (r->state == S_LINE) {
			if ((rc = status_line(r, buf + r->pos, eol - r->pos)) !=
			    0)
				return rc;
			r->nfields = 0;
			r->state = S_FIELDS;
		} else if (eol == r->pos) { /* the empty line */
			r->pos = next;
			if (r->state == S_TRAILERS) {
				r->state = S_DONE;
				return 1;
			}
			if (r->status < 200) { /* interim: the next head */
				r->state = S_LINE;
				return 1;
			}
			return (rc = head_end(r, buf)) != 0 ? rc : 1;
		} else if (r->state == S_TRAILERS) {
			if (++r->ntrail > GW_H1_FIELDS_MAX)
				return -E2BIG;
			if ((rc = field_line(r, buf, r->pos, eol, 0)) != 0)
				return rc;
		} else if ((rc = field_line(r, buf, r->pos, eol, 1)) != 0) {
			return rc;
		}
		r->pos = next;
		return 1;
	case S_BODY_LEN:
		n = len - r->pos;
		if (n >= r->left) {
			r->body_len += (size_t)r->left;
			r->pos += (size_t)r->left;
			r->left = 0;
			r->state = S_DONE;
			return 1;
		}
		r->body_len += n;
		r->left -= n;
		r->pos = len;
		return 0;
	case S_CHUNK_SIZE:
	case S_CHUNK_END:
		if ((rc = line_find(r, buf, len, GW_H1_CHUNK_LINE_MAX, &eol,
		                    &next)) <= 0)
			return rc;
		if (r->state == S_CHUNK_END) {
			if (eol != r->pos)
				return -EBADMSG;
			r->state = S_CHUNK_SIZE;
		} else {
			if (chunk_size(buf + r->pos, eol - r->pos, &r->left) !=
			    0)
				return -EBADMSG;
			if (r->left > r->body_max - r->body_len)
				return -EMSGSIZE;
			r->state = r->left == 0 ? S_TRAILERS : S_CHUNK_DATA;
		}
		r->pos = next;
		return 1;
	case S_CHUNK_DATA:
		n = len - r->pos;
		if (n > r->left)
			n = (size_t)r->left;
		if (n == 0)
			return 0;
		if (wpos != r->pos)
			memmove(buf + wpos, buf + r->pos, n);
		r->pos += n;
		r->body_len += n;
		r->left -= n;
		if (r->left == 0)
			r->state = S_CHUNK_END;
		return 1;
	case S_CLOSE:
		r->body_len = len - r->body_off;
		r->pos = len;
		return r->body_len > r->body_max ? -EMSGSIZE : 0;
	default:
		return -EBADMSG;
	}
}

int
gw_h1_resp_feed(struct gw_h1_resp *r, char *buf, size_t *len)
{
	size_t wpos, gap;
	int rc;

	if (r->state == S_DONE)
		return 1;
	if (r->state == S_ERROR)
		return -EBADMSG;
	while ((rc = step(r, buf, *len)) == 1 && r->state != S_DONE)
		;
	if (rc < 0) {
		r->state = S_ERROR;
		return rc;
	}
	wpos = r->body_off + r->body_len;
	if (r->framing && wpos < r->pos) {
		/* the unparsed rest follows the decoded body */
		gap = r->pos - wpos;
		memmove(buf + wpos, buf + r->pos, *len - r->pos);
		*len -= gap;
		r->pos = wpos;
		r->scan = r->scan > gap ? r->scan - gap : 0;
	}
	if (r->state != S_DONE)
		return 0;
	r->end = r->pos;
	if (r->end < *len)
		r->keep_alive = 0; /* bytes nobody asked for */
	return 1;
}

int
gw_h1_resp_eof(struct gw_h1_resp *r, char *buf, size_t *len)
{
	int rc;

	if ((rc = gw_h1_resp_feed(r, buf, len)) != 0)
		return rc;
	if (r->state != S_CLOSE)
		return -EPIPE;
	r->state = S_DONE;
	r->keep_alive = 0;
	r->end = *len;
	return 1;
}

int
gw_h1_list_has(const char *list, const char *name)
{
	const char *item;
	size_t nlen = strlen(name), k;

	while (list != NULL && *list != '\0') {
		list = list_item(list, &item, &k);
		if (k == nlen && k > 0 && strncasecmp(item, name, k) == 0)
			return 1;
	}
	return 0;
}

/* ---- writing a request ------------------------------------------------- */

int
gw_h1_buf_put(struct gw_h1_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *grown;

	if (n > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	if (b->len + n > b->cap) {
		cap = b->cap == 0 ? 512 : b->cap;
		while (cap < b->len + n)
			cap *= 2;
		if ((grown = realloc(b->p, cap)) == NULL)
			return -ENOMEM;
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

void
gw_h1_buf_free(struct gw_h1_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
gw_h1_req_line(struct gw_h1_buf *b, const char *method, const char *target)
{
	size_t i, old = b->len;

	for (i = 0; method[i] != '\0'; i++)
		if (!is_tchar((unsigned char)method[i]))
			return -EINVAL;
	if (i == 0 || *target == '\0')
		return -EINVAL;
	for (i = 0; target[i] != '\0'; i++)
		if ((unsigned char)target[i] <= 0x20 ||
		    (unsigned char)target[i] == 0x7f)
			return -EINVAL;
	if (gw_h1_buf_put(b, method, strlen(method)) != 0 ||
	    gw_h1_buf_put(b, " ", 1) != 0 ||
	    gw_h1_buf_put(b, target, strlen(target)) != 0 ||
	    gw_h1_buf_put(b, " HTTP/1.1\r\n", 11) != 0) {
		b->len = old;
		return -ENOMEM;
	}
	return 0;
}

int
gw_h1_req_field(struct gw_h1_buf *b, const char *name, const char *value)
{
	size_t i, old = b->len;

	for (i = 0; name[i] != '\0'; i++)
		if (!is_tchar((unsigned char)name[i]))
			return -EINVAL;
	if (i == 0 || strpbrk(value, "\r\n") != NULL)
		return -EINVAL;
	if (gw_h1_buf_put(b, name, i) != 0 || gw_h1_buf_put(b, ": ", 2) != 0 ||
	    gw_h1_buf_put(b, value, strlen(value)) != 0 ||
	    gw_h1_buf_put(b, "\r\n", 2) != 0) {
		b->len = old;
		return -ENOMEM;
	}
	return 0;
}

int
gw_h1_url_split(const char *url, char *host, size_t hostcap, char *authority,
                size_t authcap, unsigned *port)
{
	const char *h, *e, *p, *hend;
	unsigned long v = 80;
	size_t n;

	if (strncasecmp(url, "http://", 7) != 0)
		return -EINVAL;
	h = url + 7;
	e = h + strcspn(h, "/?#");
	if (e == h)
		return -EINVAL;
	if (*h == '[') {
		if ((hend = memchr(h, ']', (size_t)(e - h))) == NULL ||
		    hend == h + 1)
			return -EINVAL;
		p = hend + 1;
		h++;
	} else {
		for (hend = h; hend < e && *hend != ':'; hend++)
			;
		p = hend;
	}
	if (hend == h)
		return -EINVAL;
	if (p < e) {
		if (*p != ':' || p + 1 == e || e - p > 6)
			return -EINVAL;
		for (v = 0, p++; p < e; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			v = v * 10 + (unsigned long)(*p - '0');
		}
		if (v == 0 || v > 65535)
			return -EINVAL;
	}
	n = (size_t)(hend - h);
	if (n >= hostcap || (size_t)(e - (url + 7)) >= authcap)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	memcpy(authority, url + 7, (size_t)(e - (url + 7)));
	authority[e - (url + 7)] = '\0';
	*port = (unsigned)v;
	return 0;
}
