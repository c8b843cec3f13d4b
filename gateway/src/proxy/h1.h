/*
 * h1.h: the HTTP/1.1 wire format of the gateway's upstream client (pure: no
 * Kore, no network), RFC 9112.
 *
 * The response parser is incremental and works in the caller's one buffer:
 * the caller appends what it reads and calls gw_h1_resp_feed again. The head
 * is parsed in place (field names and values are NUL-terminated where they
 * lie, obsolete line folding is replaced by spaces) and a chunked body is
 * decoded in place, so that once the answer is complete the buffer holds the
 * head, then the body as one contiguous run, then whatever followed the
 * answer. Fields are kept as offsets: the buffer may move (realloc) between
 * calls.
 *
 * Accepted: "HTTP/1.0" or "HTTP/1.1", a three-digit status 100..599 with an
 * optional reason, lines ended by CRLF or a bare LF, interim 1xx answers
 * (skipped; 101 is refused: the client never asks to switch protocols),
 * Content-Length (a list of equal values, or several equal fields),
 * Transfer-Encoding: chunked (extensions ignored, trailers checked and
 * dropped), a body delimited by the end of the connection, no body for a
 * HEAD request and 1xx, 204 and 304 answers. Refused as malformed: anything
 * else in the status line, a field name that is not a token or is followed
 * by white space, a control byte in a value, obs-fold before the first
 * field, a Content-Length that is not digits or whose values differ, any
 * transfer coding but chunked, Transfer-Encoding with Content-Length or in
 * an HTTP/1.0 answer, bad chunk framing.
 */
#ifndef GW_PROXY_H1_H
#define GW_PROXY_H1_H

#include <stddef.h>
#include <stdint.h>

#define GW_H1_FIELDS_MAX 100       /* fields of a head, and of trailers */
#define GW_H1_HEAD_MAX (64 * 1024) /* bytes of all heads (1xx included) */
#define GW_H1_CHUNK_LINE_MAX 4096  /* a chunk-size line with extensions */

struct gw_h1_field {
	uint32_t name;  /* offsets into the buffer; both NUL-terminated */
	uint32_t value; /* there once the head is complete */
};

struct gw_h1_resp {
	/* set by gw_h1_resp_init */
	int head_only;   /* the request was HEAD: no body whatever the head */
	size_t body_max; /* a longer body is refused (-EMSGSIZE) */
	/* results, valid once gw_h1_resp_feed returned 1 (nfields and the
	 * fields once the head is complete: gw_h1_resp_head_done) */
	int status;     /* 200..599 */
	int minor;      /* HTTP/1.<minor> */
	int keep_alive; /* the connection may carry another request */
	size_t nfields;
	struct gw_h1_field field[GW_H1_FIELDS_MAX];
	size_t body_off, body_len; /* the body: buf[body_off..+body_len) */
	size_t end;                /* first byte after the answer */
	/* parser state */
	int state;
	int framing; /* chunked: decoded in place */
	size_t pos;  /* first byte not consumed */
	size_t scan; /* where the search for the next LF resumes */
	size_t head; /* bytes of heads (and trailers) seen */
	size_t ntrail;
	uint64_t left; /* of the body (Content-Length) or of the chunk */
	size_t vend;   /* end of the last field's value (obs-fold) */
};

/* gw_h1_resp_init: ready to parse the answer to a request (head_only: it was
 * HEAD) whose body may have at most body_max bytes. */
void gw_h1_resp_init(struct gw_h1_resp *r, int head_only, size_t body_max);

/*
 * gw_h1_resp_feed: parse what buf[0..*len) holds now (the same buffer as
 * before, with bytes appended; it may have moved). May change bytes already
 * seen and lower *len (a chunked body is decoded in place). Returns 1 when
 * the answer is complete, 0 when more bytes are needed, -EBADMSG
 * (malformed), -EMSGSIZE (body over body_max) or -E2BIG (too many or too
 * long fields). After an error or 1 it must not be called again.
 */
int gw_h1_resp_feed(struct gw_h1_resp *r, char *buf, size_t *len);

/*
 * gw_h1_resp_eof: the peer closed the connection after buf[0..*len). Returns
 * 1 when that completes the answer (a body delimited by the close, or an
 * answer already complete), -EPIPE when the answer was cut short (nothing
 * at all included: the caller knows whether it received a byte), or the
 * errors of gw_h1_resp_feed.
 */
int gw_h1_resp_eof(struct gw_h1_resp *r, char *buf, size_t *len);

/* 1 once the final (non-1xx) head has been parsed. */
int gw_h1_resp_head_done(const struct gw_h1_resp *r);

/* 1 if `name` is one of the comma-separated tokens of `list`
 * (case-insensitive; a Connection or Transfer-Encoding value). NULL-safe. */
int gw_h1_list_has(const char *list, const char *name);

/* A growable byte buffer for writing a request (grows by doubling). */
struct gw_h1_buf {
	char *p;
	size_t len, cap;
};

/* Append n bytes. 0 or -ENOMEM (b unchanged). */
int gw_h1_buf_put(struct gw_h1_buf *b, const char *s, size_t n);

/* Release b's memory; b is empty afterwards. */
void gw_h1_buf_free(struct gw_h1_buf *b);

/* "<method> <target> HTTP/1.1\r\n". The method must be a token and the
 * target non-empty with no control byte or space: -EINVAL; -ENOMEM. */
int gw_h1_req_line(struct gw_h1_buf *b, const char *method, const char *target);

/* "<name>: <value>\r\n". The name must be a token and the value free of
 * CR, LF and NUL (no header injection): -EINVAL; -ENOMEM. */
int gw_h1_req_field(struct gw_h1_buf *b, const char *name, const char *value);

/*
 * gw_h1_url_split: an "http://host[:port][/...]" base URL into the host to
 * resolve (brackets of an IPv6 literal removed) and the port (80 when
 * absent), and `authority` for the Host field (host[:port] as written).
 * Returns 0, or -EINVAL (not http://, empty host, bad port, too long).
 */
int gw_h1_url_split(const char *url, char *host, size_t hostcap,
                    char *authority, size_t authcap, unsigned *port);

#endif /* GW_PROXY_H1_H */
