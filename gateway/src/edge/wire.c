/*
 * Byte-level helpers of the gateway's pure modules (wire.h): one
 * reader and writer for the records they keep in Redis, so a bound check
 * is written, reviewed and fuzzed once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edge/wire.h"

void
gw_put_be(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
}

/* One text field: u16 length, bytes, 0x00. Returns the bytes written. */
static size_t
put_text(unsigned char *p, const char *s, size_t len)
{
	gw_put_be(p, len, 2);
	memcpy(p + 2, s, len);
	p[2 + len] = 0;
	return 3 + len;
}

size_t
gw_put_answer(unsigned char *p, int status, const char *a, size_t al,
              const char *b, size_t bl, const void *body, size_t body_len)
{
	size_t o = 2;

	gw_put_be(p, (uint64_t)status, 2);
	o += put_text(p + o, a, al);
	o += put_text(p + o, b, bl);
	gw_put_be(p + o, body_len, 4);
	if (body_len > 0)
		memcpy(p + o + 4, body, body_len);
	return o + 4 + body_len;
}

int
gw_rd_be(struct gw_rd *r, int bytes, uint64_t *v)
{
	uint64_t x = 0;
	int i;

	if (r->left < (size_t)bytes)
		return -EINVAL;
	for (i = 0; i < bytes; i++)
		x = (x << 8) | r->p[i];
	r->p += bytes;
	r->left -= (size_t)bytes;
	*v = x;
	return 0;
}

int
gw_rd_text(struct gw_rd *r, size_t max, const char **s)
{
	uint64_t len;

	if (gw_rd_be(r, 2, &len) != 0 || len > max || r->left < len + 1 ||
	    r->p[len] != 0 || !gw_hdr_text_ok((const char *)r->p, (size_t)len))
		return -EINVAL;
	*s = (const char *)r->p;
	r->p += len + 1;
	r->left -= (size_t)len + 1;
	return 0;
}

int
gw_hdr_text_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c == '\t' || (c >= 0x20 && c != 0x7f)))
			return 0;
	}
	return 1;
}

void
gw_frame_header(unsigned char hdr[GW_FRAME_HDR], unsigned char tag, size_t len)
{
	hdr[0] = tag;
	gw_put_be(hdr + 1, (uint64_t)len, 8);
}

void
gw_hash_feed(crypto_hash_sha256_state *st, unsigned char tag, const void *data,
             size_t len)
{
	unsigned char hdr[GW_FRAME_HDR];

	gw_frame_header(hdr, tag, len);
	crypto_hash_sha256_update(st, hdr, sizeof(hdr));
	if (len > 0)
		crypto_hash_sha256_update(st, (const unsigned char *)data,
		                          (unsigned long long)len);
}

static unsigned
memo_slot(struct gw_memo *m, const void *in, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];

	if (!m->ready) {
		crypto_shorthash_keygen(m->key);
		m->ready = 1;
	}
	crypto_shorthash(h, (const unsigned char *)in, len, m->key);
	return ((unsigned)h[0] | (unsigned)h[1] << 8) % GW_MEMO_SLOTS;
}

const char *
gw_memo_find(struct gw_memo *m, const void *in, size_t len)
{
	unsigned i = memo_slot(m, in, len);

	if (m->slot[i].input == NULL || m->slot[i].len != len ||
	    memcmp(m->slot[i].input, in, len) != 0)
		return NULL;
	return m->slot[i].hex;
}

void
gw_memo_keep(struct gw_memo *m, const void *in, size_t len, const char *hex)
{
	unsigned i = memo_slot(m, in, len);
	unsigned char *copy;

	if (strlen(hex) > GW_MEMO_HEX ||
	    (copy = realloc(m->slot[i].input, len > 0 ? len : 1)) == NULL)
		return;
	memcpy(copy, in, len);
	m->slot[i].input = copy;
	m->slot[i].len = len;
	strcpy(m->slot[i].hex, hex);
}

void
gw_sb_init(struct gw_sb *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sb->len = 0;
	sb->over = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

void
gw_sb_mem(struct gw_sb *sb, const char *s, size_t len)
{
	if (sb->over || sb->cap - sb->len <= len) {
		sb->over = 1;
		return;
	}
	memcpy(sb->buf + sb->len, s, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void
gw_sb_str(struct gw_sb *sb, const char *s)
{
	gw_sb_mem(sb, s, strlen(s));
}

void
gw_sb_u64(struct gw_sb *sb, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	gw_sb_mem(sb, d + sizeof(d) - n, n);
}

void
gw_sb_i64(struct gw_sb *sb, int64_t v)
{
	if (v < 0) {
		gw_sb_mem(sb, "-", 1);
		gw_sb_u64(sb, (uint64_t)0 - (uint64_t)v);
		return;
	}
	gw_sb_u64(sb, (uint64_t)v);
}

int
gw_sb_done(struct gw_sb *sb)
{
	if (!sb->over)
		return 0;
	if (sb->cap > 0)
		sb->buf[0] = '\0';
	return -ENOSPC;
}

int
gw_name_valid(const char *s, size_t max)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= max ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return i > 0;
}
