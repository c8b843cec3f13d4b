/*
 * Byte-level helpers shared by the gateway's pure modules: the length-
 * prefixed binary records stored in Redis (cache entries, idempotency
 * records), the tagged SHA-256 input their keys are hashed from, and the
 * name syntax of services, rate classes and kinds. Internal to gateway/src.
 */
#ifndef GW_DOMAIN_WIRE_H
#define GW_DOMAIN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

/* A reader over bytes read back from Redis: never reads past `left`. */
struct gw_rd {
	const unsigned char *p;
	size_t left;
};

/* Writes the low `bytes` bytes of v big-endian at p (1..8). */
void gw_put_be(unsigned char *p, uint64_t v, int bytes);

/* The stored answer's shape shared by cache entries and idempotency
 * records: status (2 bytes), two texts (u16 length, bytes, 0x00 each: the
 * content type and the ETag or Location), body (u32 length, bytes), at p.
 * Returns the bytes written: 2 + 3 + al + 3 + bl + 4 + body_len (the
 * caller checked the sizes and the texts). */
size_t gw_put_answer(unsigned char *p, int status, const char *a, size_t al,
                     const char *b, size_t bl, const void *body,
                     size_t body_len);

/* Reads a `bytes`-byte big-endian number: 0, or -EINVAL when short. */
int gw_rd_be(struct gw_rd *r, int bytes, uint64_t *v);

/* Reads a text field: u16 length, that many header-text bytes, 0x00.
 * *s points at the text (NUL-terminated in place). 0, or -EINVAL when
 * short, longer than max, unterminated or not header text. */
int gw_rd_text(struct gw_rd *r, size_t max, const char **s);

/* 1 when s[0..len) is header-value text (HTAB, SP..~, obs-text: no NUL,
 * CR, LF, DEL), else 0. */
int gw_hdr_text_ok(const char *s, size_t len);

/* Feeds one field into a hash as tag, 8-byte big-endian length, bytes, so
 * that no two different field lists hash the same input. */
#define GW_FRAME_HDR 9
/* The tag and length that come before a field's bytes (gw_hash_feed's
 * framing, for callers that frame into a buffer of their own). */
void gw_frame_header(unsigned char hdr[GW_FRAME_HDR], unsigned char tag,
                     size_t len);

void gw_hash_feed(crypto_hash_sha256_state *st, unsigned char tag,
                  const void *data, size_t len);

/*
 * A process's memory of digests it computed: a hash costs more than
 * looking it up, and the same inputs come back request after request
 * (the cache key's, the rate limit's identity). GW_MEMO_SLOTS slots, one
 * by SipHash of the input under a key drawn at first use; the input is
 * kept and compared in full, so a slot shared by two inputs only costs a
 * recomputation. Not thread-safe: one per process, used from its loop.
 */
#define GW_MEMO_SLOTS 256
#define GW_MEMO_HEX 64

struct gw_memo {
	struct {
		unsigned char *input;
		size_t len;
		char hex[GW_MEMO_HEX + 1];
	} slot[GW_MEMO_SLOTS];
	unsigned char key[16];
	int ready;
};

/* The hex digest remembered for in[0..len), or NULL. */
const char *gw_memo_find(struct gw_memo *m, const void *in, size_t len);

/* Remember hex (at most GW_MEMO_HEX digits) as the digest of in[0..len),
 * in place of the slot's previous input. Out of memory: nothing kept. */
void gw_memo_keep(struct gw_memo *m, const void *in, size_t len,
                  const char *hex);

/*
 * A bounded string built piece by piece, for the keys and header values
 * every request formats (snprintf's format parsing was a tenth of a cached
 * answer's CPU). gw_sb_done: 0, or -ENOSPC with buf emptied when the
 * pieces did not fit in cap - 1 bytes. buf stays NUL-terminated.
 */
struct gw_sb {
	char *buf;
	size_t cap, len;
	int over;
};

void gw_sb_init(struct gw_sb *sb, char *buf, size_t cap);
void gw_sb_mem(struct gw_sb *sb, const char *s, size_t len);
void gw_sb_str(struct gw_sb *sb, const char *s);
void gw_sb_u64(struct gw_sb *sb, uint64_t v);
void gw_sb_i64(struct gw_sb *sb, int64_t v);
int gw_sb_done(struct gw_sb *sb);

/* 1 when s is 1..max bytes of [a-z0-9_-], else 0 (NULL is 0). */
int gw_name_valid(const char *s, size_t max);

#endif /* GW_DOMAIN_WIRE_H */
