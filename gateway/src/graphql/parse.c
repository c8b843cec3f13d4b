/*
 * parse.c: the lexer and the recursive-descent parser of GraphQL documents
 * (executable definitions and the type system of the SDL), October 2021.
 *
 * The lexer is lazy, as graphql-js' is: a token is read when the parser
 * consumes the one before it, so both report the same first error at the
 * same place. A syntax error unwinds with longjmp (everything is in the
 * arena, nothing else to release). Recursion (selection sets, list and
 * object values, list types) is bounded by max_depth, and the token count
 * by max_tokens, so no input can exhaust the stack or the CPU.
 * Columns count UTF-16 code units, like graphql-js.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gql_schema.h"

enum tok {
	T_EOF,
	T_BANG,
	T_DOLLAR,
	T_AMP,
	T_PAREN_L,
	T_PAREN_R,
	T_SPREAD,
	T_COLON,
	T_EQUALS,
	T_AT,
	T_BRACKET_L,
	T_BRACKET_R,
	T_BRACE_L,
	T_PIPE,
	T_BRACE_R,
	T_NAME,
	T_INT,
	T_FLOAT,
	T_STRING,
	T_BLOCK_STRING,
};

static const char *const tok_desc[] = {
    "<EOF>", "\"!\"", "\"$\"", "\"&\"", "\"(\"",  "\")\"",       "\"...\"",
    "\":\"", "\"=\"", "\"@\"", "\"[\"", "\"]\"",  "\"{\"",       "\"|\"",
    "\"}\"", "Name",  "Int",   "Float", "String", "BlockString",
};

struct token {
	enum tok kind;
	size_t start, end;
	struct gql_loc loc;
	const char *val; /* arena copy: name, number text, decoded string */
	size_t len;
};

struct lexer {
	const char *src;
	size_t len;
	size_t pos;        /* where the next token read starts */
	uint32_t line;     /* line of pos */
	size_t line_start; /* byte offset where that line starts */
	/* column cache: byte offset and its column on the current line */
	size_t col_pos;
	uint32_t col;
};

struct parser {
	struct gql_arena *a;
	struct lexer lx;
	struct token tok;  /* current token */
	struct token prev; /* last consumed */
	int has_ahead;
	struct token ahead;
	struct lexer ahead_lx; /* lexer state after the lookahead token */
	size_t ntokens, max_tokens;
	int depth, max_depth;
	struct gql_errors *errs;
	jmp_buf jb;
};

static void fail_at(struct parser *, struct gql_loc, const char *, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static struct gql_loc loc_of(struct lexer *, size_t);
static void lex_next(struct parser *, struct lexer *, struct token *);
static void advance(struct parser *);
static struct token *lookahead(struct parser *);
static const char *describe(struct parser *, const struct token *);
static int peek(struct parser *, enum tok);
static struct token expect(struct parser *, enum tok);
static int expect_opt(struct parser *, enum tok);
static int peek_kw(struct parser *, const char *);
static void expect_kw(struct parser *, const char *);
static int expect_opt_kw(struct parser *, const char *);
static void unexpected(struct parser *, const struct token *)
    __attribute__((noreturn));
static void enter(struct parser *, const struct token *);
static const char *parse_name(struct parser *, struct gql_loc *);
static struct gql_def *parse_definition(struct parser *);
static struct gql_def *parse_operation(struct parser *);
static struct gql_def *parse_fragment_def(struct parser *);
static struct gql_vardef *parse_vardefs(struct parser *);
static struct gql_selection *parse_selection_set(struct parser *,
                                                 struct gql_loc *);
static struct gql_selection *parse_selection(struct parser *);
static struct gql_arg *parse_arguments(struct parser *, int);
static struct gql_value *parse_value(struct parser *, int);
static struct gql_directive *parse_directives(struct parser *, int);
static struct gql_typeref *parse_type(struct parser *);
static struct gql_typeref *parse_named_type(struct parser *);
static const char *parse_description(struct parser *);
static struct gql_def *parse_type_system(struct parser *, int);
static struct gql_fielddef *parse_input_values(struct parser *, enum tok,
                                               enum tok);
static struct gql_fielddef *parse_fields_def(struct parser *);
static struct gql_name *parse_named_list(struct parser *, enum tok);

static void *
xalloc(struct parser *p, size_t n)
{
	void *v;

	if ((v = gql_alloc(p->a, n)) == NULL)
		fail_at(p, p->tok.loc, "Out of memory.");
	return v;
}

static void
fail_at(struct parser *p, struct gql_loc loc, const char *fmt, ...)
{
	struct gql_error *e;
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e = gql_error_add(p->errs, "GRAPHQL_PARSE_FAILED", "Syntax Error: %s",
	                  buf);
	gql_error_loc(e, loc);
	longjmp(p->jb, 1);
}

/* ---- lexer ---------------------------------------------------------- */

/* Column of byte offset off (>= the current line's start), in UTF-16 code
 * units, computed forward from the last one asked. */
static struct gql_loc
loc_of(struct lexer *lx, size_t off)
{
	struct gql_loc l;
	size_t i;
	unsigned char c;

	if (lx->col_pos < lx->line_start || lx->col_pos > off) {
		lx->col_pos = lx->line_start;
		lx->col = 1;
	}
	for (i = lx->col_pos; i < off && i < lx->len; i++) {
		c = (unsigned char)lx->src[i];
		if ((c & 0xC0) == 0x80)
			continue;
		lx->col += (c >= 0xF0) ? 2 : 1;
	}
	lx->col_pos = off;
	l.line = lx->line;
	l.col = lx->col;
	return l;
}

/* Decodes one UTF-8 sequence at s[i]; returns its length, 0 if invalid. */
static size_t
utf8_decode(const char *s, size_t len, size_t i, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s + i;
	size_t n = len - i, k, need;
	uint32_t c;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xE0) == 0xC0) {
		need = 2;
		c = u[0] & 0x1F;
	} else if ((u[0] & 0xF0) == 0xE0) {
		need = 3;
		c = u[0] & 0x0F;
	} else if ((u[0] & 0xF8) == 0xF0) {
		need = 4;
		c = u[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (k = 1; k < need; k++) {
		if ((u[k] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (u[k] & 0x3F);
	}
	if ((need == 2 && c < 0x80) || (need == 3 && c < 0x800) ||
	    (need == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need;
}

static size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int
is_name_start(int c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_name_continue(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The character at i for messages: "\"x\"" or "U+XXXX". */
static const char *
char_desc(struct parser *p, struct lexer *lx, size_t i)
{
	uint32_t cp;
	unsigned char c;

	if (i >= lx->len)
		return "<EOF>";
	c = (unsigned char)lx->src[i];
	if (c >= 0x20 && c < 0x7F)
		return gql_sprintf(p->a, c == '"' ? "'\"'" : "\"%c\"", c);
	if (utf8_decode(lx->src, lx->len, i, &cp) == 0)
		return gql_sprintf(p->a, "byte 0x%02X", c);
	return gql_sprintf(p->a, "U+%04X", (unsigned)cp);
}

static int
at(struct lexer *lx, size_t i)
{
	return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

static void
lex_fail(struct parser *p, struct lexer *lx, size_t off, const char *fmt,
         const char *arg)
{
	fail_at(p, loc_of(lx, off), fmt, arg);
}

static void
newline(struct lexer *lx, size_t next)
{
	lx->line++;
	lx->line_start = next;
}

static void
lex_number(struct parser *p, struct lexer *lx, struct token *t)
{
	size_t i = lx->pos;
	int isfloat = 0;

	if (at(lx, i) == '-')
		i++;
	if (at(lx, i) == '0') {
		i++;
		if (is_digit(at(lx, i)))
			lex_fail(
			    p, lx, i,
			    "Invalid number, unexpected digit after 0: %s.",
			    char_desc(p, lx, i));
	} else {
		if (!is_digit(at(lx, i)))
			lex_fail(p, lx, i,
			         "Invalid number, expected digit but got: %s.",
			         char_desc(p, lx, i));
		while (is_digit(at(lx, i)))
			i++;
	}
	if (at(lx, i) == '.') {
		isfloat = 1;
		i++;
		if (!is_digit(at(lx, i)))
			lex_fail(p, lx, i,
			         "Invalid number, expected digit but got: %s.",
			         char_desc(p, lx, i));
		while (is_digit(at(lx, i)))
			i++;
	}
	if (at(lx, i) == 'e' || at(lx, i) == 'E') {
		isfloat = 1;
		i++;
		if (at(lx, i) == '+' || at(lx, i) == '-')
			i++;
		if (!is_digit(at(lx, i)))
			lex_fail(p, lx, i,
			         "Invalid number, expected digit but got: %s.",
			         char_desc(p, lx, i));
		while (is_digit(at(lx, i)))
			i++;
	}
	if (at(lx, i) == '.' || is_name_start(at(lx, i)))
		lex_fail(p, lx, i,
		         "Invalid number, expected digit but got: %s.",
		         char_desc(p, lx, i));
	t->kind = isfloat ? T_FLOAT : T_INT;
	t->end = i;
	t->val = gql_strndup(p->a, lx->src + t->start, i - t->start);
	t->len = i - t->start;
}

/* A \u escape at i (pointing at the backslash): appends the code point to
 * out and returns the escape's length. */
static size_t
lex_unicode_escape(struct parser *p, struct lexer *lx, size_t i, char *out,
                   size_t *olen)
{
	uint32_t point = 0, lead, trail;
	size_t size;
	int h, k;

	if (at(lx, i + 2) == '{') {
		size = 3;
		while (size < 12) {
			int c = at(lx, i + size++);
			if (c == '}') {
				if (size < 5 || point > 0x10FFFF ||
				    (point >= 0xD800 && point <= 0xDFFF))
					break;
				*olen += utf8_encode(point, out + *olen);
				return size;
			}
			if ((h = hexval(c)) < 0)
				break;
			point = (point << 4) | (uint32_t)h;
			if (point > 0x10FFFF)
				break;
		}
		fail_at(p, loc_of(lx, i),
		        "Invalid Unicode escape sequence: \"%.*s\".",
		        (int)(i + size <= lx->len ? size : lx->len - i),
		        lx->src + i);
	}
	lead = 0;
	for (k = 0; k < 4; k++) {
		if ((h = hexval(at(lx, i + 2 + (size_t)k))) < 0)
			goto bad;
		lead = (lead << 4) | (uint32_t)h;
	}
	if (lead < 0xD800 || lead > 0xDFFF) {
		*olen += utf8_encode(lead, out + *olen);
		return 6;
	}
	if (lead <= 0xDBFF && at(lx, i + 6) == '\\' && at(lx, i + 7) == 'u') {
		trail = 0;
		for (k = 0; k < 4; k++) {
			if ((h = hexval(at(lx, i + 8 + (size_t)k))) < 0)
				goto bad;
			trail = (trail << 4) | (uint32_t)h;
		}
		if (trail >= 0xDC00 && trail <= 0xDFFF) {
			point = 0x10000 + ((lead - 0xD800) << 10) +
			        (trail - 0xDC00);
			*olen += utf8_encode(point, out + *olen);
			return 12;
		}
	}
bad:
	fail_at(p, loc_of(lx, i), "Invalid Unicode escape sequence: \"%.*s\".",
	        (int)(i + 6 <= lx->len ? 6 : lx->len - i), lx->src + i);
}

static void
lex_string(struct parser *p, struct lexer *lx, struct token *t)
{
	static const char esc_from[] = "\"\\/bfnrt";
	static const char esc_to[] = "\"\\/\b\f\n\r\t";
	size_t i = lx->pos + 1, n, olen = 0;
	const char *e;
	char *out;
	uint32_t cp;
	int c;

	/* decoded never longer than the source */
	out = xalloc(p, lx->len - lx->pos + 1);
	while (i < lx->len) {
		c = at(lx, i);
		if (c == '"') {
			t->kind = T_STRING;
			t->end = i + 1;
			out[olen] = '\0';
			t->val = out;
			t->len = olen;
			return;
		}
		if (c == '\\') {
			c = at(lx, i + 1);
			if (c == 'u') {
				i += lex_unicode_escape(p, lx, i, out, &olen);
				continue;
			}
			if (c <= 0 || (e = strchr(esc_from, c)) == NULL)
				fail_at(p, loc_of(lx, i),
				        "Invalid character escape sequence: "
				        "\"%.*s\".",
				        (int)(i + 2 <= lx->len ? 2 : 1),
				        lx->src + i);
			out[olen++] = esc_to[e - esc_from];
			i += 2;
			continue;
		}
		if (c == '\n' || c == '\r')
			break;
		if ((n = utf8_decode(lx->src, lx->len, i, &cp)) == 0)
			lex_fail(p, lx, i,
			         "Invalid character within String: %s.",
			         char_desc(p, lx, i));
		memcpy(out + olen, lx->src + i, n);
		olen += n;
		i += n;
	}
	lex_fail(p, lx, i, "Unterminated string.%s", "");
}

static size_t
indent_of(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

char *
gql_block_string_value(struct gql_arena *a, const char *raw, size_t len,
                       size_t *out_len)
{
	/* lines split on \r\n, \n, \r; common indentation of all lines but
	 * the first removed; leading and trailing blank lines dropped */
	size_t common = (size_t)-1, i, s, e, nlines = 0, k, first = (size_t)-1,
	       last = 0, olen = 0;
	size_t *ls, *le;
	char *out;

	for (i = 0; i <= len; i++)
		if (i == len || raw[i] == '\n' ||
		    (raw[i] == '\r' && !(i + 1 < len && raw[i + 1] == '\n')))
			nlines++;
	ls = gql_alloc(a, nlines * sizeof(size_t));
	le = gql_alloc(a, nlines * sizeof(size_t));
	out = gql_alloc(a, len + 1);
	if (ls == NULL || le == NULL || out == NULL)
		return NULL;
	k = 0;
	s = 0;
	for (i = 0; i <= len; i++) {
		if (i == len || raw[i] == '\n' || raw[i] == '\r') {
			ls[k] = s;
			le[k] = i;
			k++;
			if (i < len && raw[i] == '\r' && i + 1 < len &&
			    raw[i + 1] == '\n')
				i++;
			s = i + 1;
		}
	}
	for (k = 0; k < nlines; k++) {
		size_t n = le[k] - ls[k], ind = indent_of(raw + ls[k], n);
		if (ind == n)
			continue;
		if (first == (size_t)-1)
			first = k;
		last = k;
		if (k != 0 && ind < common)
			common = ind;
	}
	if (first == (size_t)-1) {
		*out_len = 0;
		return out;
	}
	for (k = first; k <= last; k++) {
		s = ls[k];
		e = le[k];
		if (k != 0)
			s = (e - s > common) ? s + common : e;
		if (k != first)
			out[olen++] = '\n';
		memcpy(out + olen, raw + s, e - s);
		olen += e - s;
	}
	out[olen] = '\0';
	*out_len = olen;
	return out;
}

static void
lex_block_string(struct parser *p, struct lexer *lx, struct token *t)
{
	size_t i = lx->pos + 3, n, rlen = 0;
	char *raw;
	uint32_t cp;
	int c;

	raw = xalloc(p, lx->len - lx->pos + 1);
	while (i < lx->len) {
		c = at(lx, i);
		if (c == '"' && at(lx, i + 1) == '"' && at(lx, i + 2) == '"') {
			t->kind = T_BLOCK_STRING;
			t->end = i + 3;
			t->val =
			    gql_block_string_value(p->a, raw, rlen, &t->len);
			if (t->val == NULL)
				fail_at(p, t->loc, "Out of memory.");
			return;
		}
		if (c == '\\' && at(lx, i + 1) == '"' && at(lx, i + 2) == '"' &&
		    at(lx, i + 3) == '"') {
			memcpy(raw + rlen, "\"\"\"", 3);
			rlen += 3;
			i += 4;
			continue;
		}
		if (c == '\n' || c == '\r') {
			raw[rlen++] = (char)c;
			if (c == '\r' && at(lx, i + 1) == '\n') {
				raw[rlen++] = '\n';
				i++;
			}
			i++;
			newline(lx, i);
			continue;
		}
		if ((n = utf8_decode(lx->src, lx->len, i, &cp)) == 0)
			lex_fail(p, lx, i,
			         "Invalid character within String: %s.",
			         char_desc(p, lx, i));
		memcpy(raw + rlen, lx->src + i, n);
		rlen += n;
		i += n;
	}
	lex_fail(p, lx, i, "Unterminated string.%s", "");
}

/* Reads the token at lx->pos into t and moves past it; comments and
 * ignored characters are skipped. */
static void
lex_next(struct parser *p, struct lexer *lx, struct token *t)
{
	static const char punct[] = "!$&():=@[]{|}";
	static const enum tok punct_kind[] = {
	    T_BANG,    T_DOLLAR, T_AMP,    T_PAREN_L,   T_PAREN_R,
	    T_COLON,   T_EQUALS, T_AT,     T_BRACKET_L, T_BRACKET_R,
	    T_BRACE_L, T_PIPE,   T_BRACE_R};
	const char *pc;
	uint32_t cp;
	size_t n;
	int c;

	memset(t, 0, sizeof(*t));
	for (;;) {
		c = at(lx, lx->pos);
		if (c < 0) {
			t->kind = T_EOF;
			t->start = t->end = lx->len;
			t->loc = loc_of(lx, lx->len);
			return;
		}
		if (c == ' ' || c == '\t' || c == ',') {
			lx->pos++;
			continue;
		}
		if (c == 0xEF && at(lx, lx->pos + 1) == 0xBB &&
		    at(lx, lx->pos + 2) == 0xBF) {
			lx->pos += 3;
			continue;
		}
		if (c == '\n') {
			lx->pos++;
			newline(lx, lx->pos);
			continue;
		}
		if (c == '\r') {
			lx->pos += at(lx, lx->pos + 1) == '\n' ? 2 : 1;
			newline(lx, lx->pos);
			continue;
		}
		if (c == '#') {
			size_t i = lx->pos + 1;
			while (i < lx->len && lx->src[i] != '\n' &&
			       lx->src[i] != '\r') {
				if ((n = utf8_decode(lx->src, lx->len, i,
				                     &cp)) == 0)
					break;
				i += n;
			}
			lx->pos = i;
			/* an invalid byte ends the comment and is then an
			 * unexpected character */
			if (i < lx->len && lx->src[i] != '\n' &&
			    lx->src[i] != '\r')
				goto invalid;
			continue;
		}
		break;
	}
	t->start = lx->pos;
	t->loc = loc_of(lx, lx->pos);
	if (c != 0 && (pc = strchr(punct, c)) != NULL) {
		t->kind = punct_kind[pc - punct];
		t->end = lx->pos + 1;
		lx->pos = t->end;
		return;
	}
	if (c == '.' && at(lx, lx->pos + 1) == '.' &&
	    at(lx, lx->pos + 2) == '.') {
		t->kind = T_SPREAD;
		t->end = lx->pos + 3;
		lx->pos = t->end;
		return;
	}
	if (c == '"') {
		if (at(lx, lx->pos + 1) == '"' && at(lx, lx->pos + 2) == '"')
			lex_block_string(p, lx, t);
		else
			lex_string(p, lx, t);
		lx->pos = t->end;
		return;
	}
	if (is_digit(c) || c == '-') {
		lex_number(p, lx, t);
		lx->pos = t->end;
		return;
	}
	if (is_name_start(c)) {
		size_t i = lx->pos + 1;
		while (is_name_continue(at(lx, i)))
			i++;
		t->kind = T_NAME;
		t->end = i;
		t->val = gql_strndup(p->a, lx->src + t->start, i - t->start);
		t->len = i - t->start;
		lx->pos = i;
		return;
	}
invalid:
	if (at(lx, lx->pos) == '\'')
		lex_fail(
		    p, lx, lx->pos,
		    "Unexpected single quote character ('), did you mean to "
		    "use a double quote (\")?%s",
		    "");
	if (utf8_decode(lx->src, lx->len, lx->pos, &cp) == 0)
		lex_fail(p, lx, lx->pos, "Invalid character: %s.",
		         char_desc(p, lx, lx->pos));
	lex_fail(p, lx, lx->pos, "Unexpected character: %s.",
	         char_desc(p, lx, lx->pos));
}

/* ---- parser helpers ------------------------------------------------- */

static void
advance(struct parser *p)
{
	p->prev = p->tok;
	if (p->has_ahead) {
		p->tok = p->ahead;
		p->lx = p->ahead_lx;
		p->has_ahead = 0;
	} else
		lex_next(p, &p->lx, &p->tok);
	if (p->tok.kind != T_EOF) {
		p->ntokens++;
		if (p->max_tokens > 0 && p->ntokens > p->max_tokens)
			fail_at(
			    p, p->tok.loc,
			    "Document contains more than %zu tokens. Parsing "
			    "aborted.",
			    p->max_tokens);
	}
}

static struct token *
lookahead(struct parser *p)
{
	if (!p->has_ahead) {
		if (p->tok.kind == T_EOF)
			return &p->tok;
		p->ahead_lx = p->lx;
		lex_next(p, &p->ahead_lx, &p->ahead);
		p->has_ahead = 1;
	}
	return &p->ahead;
}

static const char *
describe(struct parser *p, const struct token *t)
{
	if (t->kind == T_NAME || t->kind == T_INT || t->kind == T_FLOAT)
		return gql_sprintf(p->a, "%s \"%s\"", tok_desc[t->kind],
		                   t->val);
	if (t->kind == T_STRING || t->kind == T_BLOCK_STRING)
		return gql_sprintf(p->a, "%s \"%.*s\"", tok_desc[t->kind],
		                   (int)(t->len > 40 ? 40 : t->len), t->val);
	return tok_desc[t->kind];
}

static int
peek(struct parser *p, enum tok k)
{
	return p->tok.kind == k;
}

static struct token
expect(struct parser *p, enum tok k)
{
	struct token t = p->tok;

	if (t.kind != k)
		fail_at(p, t.loc, "Expected %s, found %s.", tok_desc[k],
		        describe(p, &t));
	advance(p);
	return t;
}

static int
expect_opt(struct parser *p, enum tok k)
{
	if (p->tok.kind != k)
		return 0;
	advance(p);
	return 1;
}

static int
peek_kw(struct parser *p, const char *kw)
{
	return p->tok.kind == T_NAME && strcmp(p->tok.val, kw) == 0;
}

static void
expect_kw(struct parser *p, const char *kw)
{
	if (!peek_kw(p, kw))
		fail_at(p, p->tok.loc, "Expected \"%s\", found %s.", kw,
		        describe(p, &p->tok));
	advance(p);
}

static int
expect_opt_kw(struct parser *p, const char *kw)
{
	if (!peek_kw(p, kw))
		return 0;
	advance(p);
	return 1;
}

static void
unexpected(struct parser *p, const struct token *t)
{
	if (t == NULL)
		t = &p->tok;
	fail_at(p, t->loc, "Unexpected %s.", describe(p, t));
}

static void
enter(struct parser *p, const struct token *t)
{
	if (++p->depth > p->max_depth)
		fail_at(
		    p, t->loc,
		    "Document nests deeper than %d levels. Parsing aborted.",
		    p->max_depth);
}

static const char *
parse_name(struct parser *p, struct gql_loc *loc)
{
	struct token t = expect(p, T_NAME);

	if (loc != NULL)
		*loc = t.loc;
	return t.val;
}

/* ---- executable definitions ----------------------------------------- */

static struct gql_def *
parse_definition(struct parser *p)
{
	struct token *kw;
	int desc;

	if (peek(p, T_BRACE_L))
		return parse_operation(p);
	desc = peek(p, T_STRING) || peek(p, T_BLOCK_STRING);
	kw = desc ? lookahead(p) : &p->tok;
	if (kw->kind == T_NAME) {
		static const char *const ts[] = {
		    "schema", "scalar", "type",      "interface", "union",
		    "enum",   "input",  "directive", NULL};
		int i;
		for (i = 0; ts[i] != NULL; i++)
			if (strcmp(kw->val, ts[i]) == 0)
				return parse_type_system(p, 0);
		if (desc)
			fail_at(p, p->tok.loc,
			        "Unexpected description, descriptions are "
			        "supported only on type definitions.");
		if (strcmp(kw->val, "query") == 0 ||
		    strcmp(kw->val, "mutation") == 0 ||
		    strcmp(kw->val, "subscription") == 0)
			return parse_operation(p);
		if (strcmp(kw->val, "fragment") == 0)
			return parse_fragment_def(p);
		if (strcmp(kw->val, "extend") == 0)
			return parse_type_system(p, 1);
	}
	unexpected(p, kw);
}

static struct gql_def *
parse_operation(struct parser *p)
{
	struct gql_def *d = xalloc(p, sizeof(*d));

	d->kind = GQL_D_OPERATION;
	d->loc = p->tok.loc;
	if (peek(p, T_BRACE_L)) {
		d->op = GQL_OP_QUERY;
		d->sel = parse_selection_set(p, &d->sel_loc);
		return d;
	}
	if (peek_kw(p, "query"))
		d->op = GQL_OP_QUERY;
	else if (peek_kw(p, "mutation"))
		d->op = GQL_OP_MUTATION;
	else if (peek_kw(p, "subscription"))
		d->op = GQL_OP_SUBSCRIPTION;
	else
		unexpected(p, NULL);
	advance(p);
	if (peek(p, T_NAME))
		d->name = parse_name(p, &d->name_loc);
	d->vars = parse_vardefs(p);
	d->directives = parse_directives(p, 0);
	d->sel = parse_selection_set(p, &d->sel_loc);
	return d;
}

static struct gql_vardef *
parse_vardefs(struct parser *p)
{
	struct gql_vardef *head = NULL, **tail = &head, *v;

	if (!expect_opt(p, T_PAREN_L))
		return NULL;
	do {
		v = xalloc(p, sizeof(*v));
		v->loc = expect(p, T_DOLLAR).loc;
		v->name = parse_name(p, &v->name_loc);
		expect(p, T_COLON);
		v->type = parse_type(p);
		if (expect_opt(p, T_EQUALS))
			v->defval = parse_value(p, 1);
		v->directives = parse_directives(p, 1);
		*tail = v;
		tail = &v->next;
	} while (!expect_opt(p, T_PAREN_R));
	return head;
}

static struct gql_selection *
parse_selection_set(struct parser *p, struct gql_loc *loc)
{
	struct gql_selection *head = NULL, **tail = &head, *s;
	struct token open = p->tok;

	expect(p, T_BRACE_L);
	*loc = open.loc;
	enter(p, &open);
	do {
		s = parse_selection(p);
		*tail = s;
		tail = &s->next;
	} while (!expect_opt(p, T_BRACE_R));
	p->depth--;
	return head;
}

static const char *
parse_fragment_name(struct parser *p, struct gql_loc *loc)
{
	if (peek_kw(p, "on"))
		unexpected(p, NULL);
	return parse_name(p, loc);
}

static struct gql_selection *
parse_selection(struct parser *p)
{
	struct gql_selection *s = xalloc(p, sizeof(*s));

	s->loc = p->tok.loc;
	if (expect_opt(p, T_SPREAD)) {
		int has_cond = expect_opt_kw(p, "on");
		if (!has_cond && peek(p, T_NAME)) {
			s->kind = GQL_SEL_SPREAD;
			s->name = parse_fragment_name(p, &s->name_loc);
			s->directives = parse_directives(p, 0);
			return s;
		}
		s->kind = GQL_SEL_INLINE;
		if (has_cond) {
			s->type_cond_loc = p->tok.loc;
			s->type_cond = parse_name(p, NULL);
		}
		s->directives = parse_directives(p, 0);
		s->sel = parse_selection_set(p, &s->sel_loc);
		s->has_sel = 1;
		return s;
	}
	s->kind = GQL_SEL_FIELD;
	s->name = parse_name(p, &s->name_loc);
	if (expect_opt(p, T_COLON)) {
		s->alias = s->name;
		s->name = parse_name(p, &s->name_loc);
	}
	s->args = parse_arguments(p, 0);
	s->directives = parse_directives(p, 0);
	if (peek(p, T_BRACE_L)) {
		s->sel = parse_selection_set(p, &s->sel_loc);
		s->has_sel = 1;
	}
	return s;
}

static struct gql_arg *
parse_arguments(struct parser *p, int isconst)
{
	struct gql_arg *head = NULL, **tail = &head, *a;

	if (!expect_opt(p, T_PAREN_L))
		return NULL;
	do {
		a = xalloc(p, sizeof(*a));
		a->name = parse_name(p, &a->loc);
		expect(p, T_COLON);
		a->value = parse_value(p, isconst);
		*tail = a;
		tail = &a->next;
	} while (!expect_opt(p, T_PAREN_R));
	return head;
}

static struct gql_value *
parse_value(struct parser *p, int isconst)
{
	struct gql_value *v = xalloc(p, sizeof(*v)), **itail;
	struct gql_arg **ftail, *f;
	struct token t = p->tok;

	v->loc = t.loc;
	switch (t.kind) {
	case T_BRACKET_L:
		enter(p, &t);
		advance(p);
		v->kind = GQL_V_LIST;
		itail = &v->items;
		while (!expect_opt(p, T_BRACKET_R)) {
			*itail = parse_value(p, isconst);
			itail = &(*itail)->next;
		}
		p->depth--;
		return v;
	case T_BRACE_L:
		enter(p, &t);
		advance(p);
		v->kind = GQL_V_OBJECT;
		ftail = &v->fields;
		while (!expect_opt(p, T_BRACE_R)) {
			f = xalloc(p, sizeof(*f));
			f->name = parse_name(p, &f->loc);
			expect(p, T_COLON);
			f->value = parse_value(p, isconst);
			*ftail = f;
			ftail = &f->next;
		}
		p->depth--;
		return v;
	case T_INT:
	case T_FLOAT:
		advance(p);
		v->kind = t.kind == T_INT ? GQL_V_INT : GQL_V_FLOAT;
		v->s = t.val;
		v->len = t.len;
		return v;
	case T_STRING:
	case T_BLOCK_STRING:
		advance(p);
		v->kind = GQL_V_STRING;
		v->s = t.val;
		v->len = t.len;
		v->b = t.kind == T_BLOCK_STRING;
		return v;
	case T_NAME:
		advance(p);
		if (strcmp(t.val, "true") == 0 || strcmp(t.val, "false") == 0) {
			v->kind = GQL_V_BOOL;
			v->b = t.val[0] == 't';
		} else if (strcmp(t.val, "null") == 0)
			v->kind = GQL_V_NULL;
		else
			v->kind = GQL_V_ENUM;
		v->s = t.val;
		v->len = t.len;
		return v;
	case T_DOLLAR:
		if (isconst) {
			advance(p);
			if (p->tok.kind == T_NAME)
				fail_at(
				    p, t.loc,
				    "Unexpected variable \"$%s\" in constant "
				    "value.",
				    p->tok.val);
			unexpected(p, &t);
		}
		advance(p);
		v->kind = GQL_V_VAR;
		v->s = parse_name(p, NULL);
		v->len = strlen(v->s);
		return v;
	default:
		unexpected(p, NULL);
	}
}

static struct gql_directive *
parse_directives(struct parser *p, int isconst)
{
	struct gql_directive *head = NULL, **tail = &head, *d;

	while (peek(p, T_AT)) {
		d = xalloc(p, sizeof(*d));
		d->loc = p->tok.loc;
		advance(p);
		d->name = parse_name(p, &d->name_loc);
		d->args = parse_arguments(p, isconst);
		*tail = d;
		tail = &d->next;
	}
	return head;
}

static struct gql_typeref *
parse_type(struct parser *p)
{
	struct gql_typeref *t, *nn;
	struct token start = p->tok;

	if (expect_opt(p, T_BRACKET_L)) {
		enter(p, &start);
		t = xalloc(p, sizeof(*t));
		t->kind = GQL_T_LIST;
		t->loc = start.loc;
		t->of = parse_type(p);
		expect(p, T_BRACKET_R);
		p->depth--;
	} else
		t = parse_named_type(p);
	if (expect_opt(p, T_BANG)) {
		nn = xalloc(p, sizeof(*nn));
		nn->kind = GQL_T_NONNULL;
		nn->loc = start.loc;
		nn->of = t;
		return nn;
	}
	return t;
}

static struct gql_typeref *
parse_named_type(struct parser *p)
{
	struct gql_typeref *t = xalloc(p, sizeof(*t));

	t->kind = GQL_T_NAMED;
	t->name = parse_name(p, &t->loc);
	return t;
}

static struct gql_def *
parse_fragment_def(struct parser *p)
{
	struct gql_def *d = xalloc(p, sizeof(*d));

	d->kind = GQL_D_FRAGMENT;
	d->loc = p->tok.loc;
	expect_kw(p, "fragment");
	d->name = parse_fragment_name(p, &d->name_loc);
	expect_kw(p, "on");
	d->type_cond_loc = p->tok.loc;
	d->type_cond = parse_name(p, NULL);
	d->directives = parse_directives(p, 0);
	d->sel = parse_selection_set(p, &d->sel_loc);
	return d;
}

/* ---- type system ---------------------------------------------------- */

static const char *
parse_description(struct parser *p)
{
	struct token t = p->tok;

	if (t.kind != T_STRING && t.kind != T_BLOCK_STRING)
		return NULL;
	advance(p);
	return t.val;
}

static struct gql_fielddef *
parse_input_value(struct parser *p)
{
	struct gql_fielddef *f = xalloc(p, sizeof(*f));

	f->description = parse_description(p);
	f->name = parse_name(p, &f->loc);
	expect(p, T_COLON);
	f->type = parse_type(p);
	if (expect_opt(p, T_EQUALS))
		f->defval = parse_value(p, 1);
	f->directives = parse_directives(p, 1);
	return f;
}

/* optionalMany(open, InputValueDefinition, close) */
static struct gql_fielddef *
parse_input_values(struct parser *p, enum tok open, enum tok close)
{
	struct gql_fielddef *head = NULL, **tail = &head, *f;

	if (!expect_opt(p, open))
		return NULL;
	do {
		f = parse_input_value(p);
		*tail = f;
		tail = &f->next;
	} while (!expect_opt(p, close));
	return head;
}

static struct gql_fielddef *
parse_fields_def(struct parser *p)
{
	struct gql_fielddef *head = NULL, **tail = &head, *f;

	if (!expect_opt(p, T_BRACE_L))
		return NULL;
	do {
		f = xalloc(p, sizeof(*f));
		f->description = parse_description(p);
		f->name = parse_name(p, &f->loc);
		f->args = parse_input_values(p, T_PAREN_L, T_PAREN_R);
		expect(p, T_COLON);
		f->type = parse_type(p);
		f->directives = parse_directives(p, 1);
		*tail = f;
		tail = &f->next;
	} while (!expect_opt(p, T_BRACE_R));
	return head;
}

static struct gql_fielddef *
parse_enum_values(struct parser *p)
{
	struct gql_fielddef *head = NULL, **tail = &head, *f;

	if (!expect_opt(p, T_BRACE_L))
		return NULL;
	do {
		f = xalloc(p, sizeof(*f));
		f->description = parse_description(p);
		if (peek_kw(p, "true") || peek_kw(p, "false") ||
		    peek_kw(p, "null"))
			fail_at(p, p->tok.loc,
			        "%s is reserved and cannot be used for an enum "
			        "value.",
			        describe(p, &p->tok));
		f->name = parse_name(p, &f->loc);
		f->directives = parse_directives(p, 1);
		*tail = f;
		tail = &f->next;
	} while (!expect_opt(p, T_BRACE_R));
	return head;
}

/* delimitedMany(delim, NamedType) */
static struct gql_name *
parse_named_list(struct parser *p, enum tok delim)
{
	struct gql_name *head = NULL, **tail = &head, *n;

	expect_opt(p, delim);
	do {
		n = xalloc(p, sizeof(*n));
		n->name = parse_name(p, &n->loc);
		*tail = n;
		tail = &n->next;
	} while (expect_opt(p, delim));
	return head;
}

static struct gql_def *
parse_type_system(struct parser *p, int ext)
{
	struct gql_def *d = xalloc(p, sizeof(*d));
	struct token kwt;
	const char *kw;
	int i;

	d->loc = p->tok.loc;
	d->extension = ext;
	if (ext) {
		static const char *const ek[] = {"schema",    "scalar", "type",
		                                 "interface", "union",  "enum",
		                                 "input",     NULL};
		advance(p); /* extend */
		kwt = p->tok;
		for (i = 0; kwt.kind == T_NAME && ek[i] != NULL; i++)
			if (strcmp(kwt.val, ek[i]) == 0)
				break;
		if (kwt.kind != T_NAME || ek[i] == NULL)
			unexpected(p, NULL);
	} else {
		d->description = parse_description(p);
		kwt = p->tok;
	}
	kw = kwt.val;
	advance(p);
	if (strcmp(kw, "schema") == 0) {
		d->kind = GQL_D_SCHEMA;
		d->directives = parse_directives(p, 1);
		if (ext && !peek(p, T_BRACE_L)) {
			if (d->directives == NULL)
				unexpected(p, NULL);
			return d;
		}
		expect(p, T_BRACE_L);
		{
			struct gql_fielddef **tail = &d->roots, *f;
			do {
				f = xalloc(p, sizeof(*f));
				f->loc = p->tok.loc;
				if (!peek_kw(p, "query") &&
				    !peek_kw(p, "mutation") &&
				    !peek_kw(p, "subscription"))
					unexpected(p, NULL);
				f->name = p->tok.val;
				advance(p);
				expect(p, T_COLON);
				f->type = parse_named_type(p);
				*tail = f;
				tail = &f->next;
			} while (!expect_opt(p, T_BRACE_R));
		}
		return d;
	}
	if (strcmp(kw, "directive") == 0 && !ext) {
		d->kind = GQL_D_DIRECTIVE;
		expect(p, T_AT);
		d->name = parse_name(p, &d->name_loc);
		d->fields = parse_input_values(p, T_PAREN_L, T_PAREN_R);
		d->repeatable = expect_opt_kw(p, "repeatable");
		expect_kw(p, "on");
		{
			struct gql_name **tail = &d->locations, *n;
			expect_opt(p, T_PIPE);
			do {
				struct token lt = p->tok;
				n = xalloc(p, sizeof(*n));
				n->name = parse_name(p, &n->loc);
				for (i = 0; i < GQL_L_COUNT; i++)
					if (strcmp(gql_dirloc_names[i],
					           n->name) == 0)
						break;
				if (i == GQL_L_COUNT)
					unexpected(p, &lt);
				*tail = n;
				tail = &n->next;
			} while (expect_opt(p, T_PIPE));
		}
		return d;
	}
	d->name = parse_name(p, &d->name_loc);
	if (strcmp(kw, "scalar") == 0) {
		d->kind = GQL_D_SCALAR;
		d->directives = parse_directives(p, 1);
		if (ext && d->directives == NULL)
			unexpected(p, NULL);
	} else if (strcmp(kw, "type") == 0 || strcmp(kw, "interface") == 0) {
		d->kind = kw[0] == 't' ? GQL_D_OBJECT : GQL_D_INTERFACE;
		if (expect_opt_kw(p, "implements"))
			d->interfaces = parse_named_list(p, T_AMP);
		d->directives = parse_directives(p, 1);
		d->fields = parse_fields_def(p);
		if (ext && d->interfaces == NULL && d->directives == NULL &&
		    d->fields == NULL)
			unexpected(p, NULL);
	} else if (strcmp(kw, "union") == 0) {
		d->kind = GQL_D_UNION;
		d->directives = parse_directives(p, 1);
		if (expect_opt(p, T_EQUALS))
			d->interfaces = parse_named_list(p, T_PIPE);
		if (ext && d->interfaces == NULL && d->directives == NULL)
			unexpected(p, NULL);
	} else if (strcmp(kw, "enum") == 0) {
		d->kind = GQL_D_ENUM;
		d->directives = parse_directives(p, 1);
		d->fields = parse_enum_values(p);
		if (ext && d->directives == NULL && d->fields == NULL)
			unexpected(p, NULL);
	} else if (strcmp(kw, "input") == 0) {
		d->kind = GQL_D_INPUT;
		d->directives = parse_directives(p, 1);
		d->fields = parse_input_values(p, T_BRACE_L, T_BRACE_R);
		if (ext && d->directives == NULL && d->fields == NULL)
			unexpected(p, NULL);
	} else
		unexpected(p, &kwt);
	return d;
}

/* ---- entry ---------------------------------------------------------- */

int
gql_parse(struct gql_arena *a, const char *src, size_t len,
          const struct gql_parse_limits *lim, struct gql_document **out,
          struct gql_errors *errs)
{
	struct parser *p;
	struct gql_document *doc;
	struct gql_def **tail;

	*out = NULL;
	if ((p = gql_alloc(a, sizeof(*p))) == NULL ||
	    (doc = gql_alloc(a, sizeof(*doc))) == NULL)
		return -1;
	p->a = a;
	p->errs = errs;
	p->lx.src = src;
	p->lx.len = len;
	p->lx.line = 1;
	p->lx.col = 1;
	p->max_tokens = lim != NULL ? lim->max_tokens : 0;
	p->max_depth = lim != NULL && lim->max_depth > 0 ? lim->max_depth : 256;
	if (setjmp(p->jb) != 0)
		return -1;
	lex_next(p, &p->lx, &p->tok);
	if (p->tok.kind != T_EOF)
		p->ntokens = 1;
	tail = &doc->defs;
	do {
		*tail = parse_definition(p);
		tail = &(*tail)->next;
	} while (!peek(p, T_EOF));
	doc->ntokens = p->ntokens;
	*out = doc;
	return 0;
}
