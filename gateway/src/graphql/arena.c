/*
 * arena.c: the engine's memory. Every node of a document, a schema or an
 * execution lives in one arena of linked blocks; the owner frees the arena
 * in one loop, so no tree is ever walked (or recursed) to be freed.
 * Errors are arena-owned too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gql.h"

#define ARENA_BLOCK 16384

struct block {
	struct block *next;
	size_t used, cap;
	unsigned char data[];
};

struct gql_arena {
	struct block *head;
	size_t total;
};

struct gql_arena *
gql_arena_new(void)
{
	return calloc(1, sizeof(struct gql_arena));
}

void
gql_arena_free(struct gql_arena *a)
{
	struct block *b, *n;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = n) {
		n = b->next;
		free(b);
	}
	free(a);
}

void *
gql_alloc(struct gql_arena *a, size_t size)
{
	struct block *b;
	size_t cap;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	b = a->head;
	if (b == NULL || b->cap - b->used < size) {
		cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
		if ((b = malloc(sizeof(*b) + cap)) == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
		a->total += sizeof(*b) + cap;
	}
	p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *
gql_strndup(struct gql_arena *a, const char *s, size_t len)
{
	char *p;

	if ((p = gql_alloc(a, len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
gql_sprintf(struct gql_arena *a, const char *fmt, ...)
{
	va_list ap;
	char small[256], *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if ((size_t)n < sizeof(small))
		return gql_strndup(a, small, (size_t)n);
	if ((p = gql_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
gql_arena_used(const struct gql_arena *a)
{
	return a->total;
}

struct gql_error *
gql_error_add(struct gql_errors *e, const char *code, const char *fmt, ...)
{
	struct gql_error *err;
	va_list ap;
	char buf[1024];
	int n;

	if (e->max > 0 && e->count >= e->max)
		return NULL;
	if ((err = gql_alloc(e->arena, sizeof(*err))) == NULL)
		return NULL;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	err->message = gql_strndup(e->arena, buf, (size_t)n);
	err->code = code;
	if (e->tail != NULL)
		e->tail->next = err;
	else
		e->head = err;
	e->tail = err;
	e->count++;
	return err;
}

void
gql_error_loc(struct gql_error *err, struct gql_loc loc)
{
	if (err == NULL || err->nlocs >= GQL_ERR_MAX_LOCS || loc.line == 0)
		return;
	err->locs[err->nlocs++] = loc;
}
