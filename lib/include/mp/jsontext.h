/*
 * jsontext.h: JSON text handled as text. A statement's answer is JSON
 * that PostgreSQL already built and checked; parsing it into a tree only
 * to print the tree again cost a read route as much CPU as its token's
 * signature (the tree, one allocation per value, then the dump). These
 * helpers make the answer compact and find a top-level member in one pass
 * over the bytes, without allocating.
 *
 * Both expect well-formed JSON (RFC 8259), such as PostgreSQL's json and
 * jsonb output; on other input they neither crash nor read out of bounds,
 * but the result is unspecified.
 *
 * Implemented in lib/src/core/jsontext.c.
 */
#ifndef MP_JSONTEXT_H
#define MP_JSONTEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * mp_json_compact: copy the JSON text src[0..len) into dst without the
 * whitespace between tokens (strings are copied byte for byte, escapes
 * included), so {"a" : [1, 2]} becomes {"a":[1,2]}, as a compact dump
 * would print it. dst holds at least len bytes and may be src itself.
 * Returns the length written (no NUL is added).
 */
size_t mp_json_compact(char *dst, const char *src, size_t len);

/*
 * mp_json_member: find the member `key` of the top-level object of the
 * JSON text s[0..len). The key is compared with the member names as
 * written (a name spelled with escapes does not match). Returns 0 and the
 * value's raw text in *val (pointing into s) and *vlen; -ENOENT if s is
 * not an object or has no such member.
 */
int mp_json_member(const char *s, size_t len, const char *key, const char **val,
                   size_t *vlen);

/*
 * mp_json_int_value: the value of raw JSON text v[0..len) that is an
 * integer literal (-?digits, no fraction or exponent) fitting int64_t.
 * Returns 0 and *out, or -EINVAL.
 */
int mp_json_int_value(const char *v, size_t len, int64_t *out);

#endif /* MP_JSONTEXT_H */
