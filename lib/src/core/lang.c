/*
 * lang.c: Accept-Language negotiation and picking text out of i18n objects.
 *
 * Why a single pass with no allocation: the header is client bytes of any
 * length, so the parser keeps only a few integers per supported language
 * and never copies the header. Why lenient per element but strict per
 * token: one broken element (a typo in a q-value) should not throw away
 * the user's other preferences, but a token that does not follow RFC 9110
 * is never guessed at. Whatever happens, the answer is a supported
 * language, because a response must always be produced.
 */
#include <string.h>
#include <strings.h>

#include "mp/util.h"

enum { L_FR, L_AR, L_EN, L_ZGH, NLANG };

/* In the order that breaks ties. */
static const char *const lang_names[NLANG] = {"fr", "ar", "en", "zgh"};

/* Weak matches: vernaculars whose readers are best served by a supported
 * language. Treated like a subtagged range ("fr-MA"). */
static const struct {
	const char *range;
	int lang;
} lang_alias[] = {
    {"ary", L_AR},  {"shi", L_ZGH}, {"tzm", L_ZGH},
    {"rif", L_ZGH}, {"ber", L_ZGH},
};

struct lang_elem {
	char primary[9]; /* primary subtag, NUL-terminated */
	size_t plen;
	int star, subtags, q;
};

struct lang_pref {
	int exact_q, exact_pos; /* from "fr" */
	int weak_q, weak_pos;   /* from "fr-MA" or an alias */
};

static int is_ows(char c);
static int is_alpha(char c);
static int is_alnum(char c);
static const char *parse_qvalue(const char *p, int *q);
static const char *parse_element(const char *p, struct lang_elem *e);
static void lang_note(struct lang_pref *prefs, const struct lang_elem *e,
                      int pos, int *star_q, int *star_pos);

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths. Returns the end, or NULL if malformed. */
static const char *
parse_qvalue(const char *p, int *q)
{
	int v, i;

	if (*p != '0' && *p != '1')
		return NULL;
	v = (*p - '0') * 1000;
	p++;
	if (*p == '.') {
		p++;
		for (i = 0; i < 3 && *p >= '0' && *p <= '9'; i++, p++) {
			if (v == 1000 && *p != '0')
				return NULL;
			v += (*p - '0') * (i == 0 ? 100 : i == 1 ? 10 : 1);
		}
		if (*p >= '0' && *p <= '9')
			return NULL; /* a fourth decimal */
	}
	*q = v;
	return p;
}

/*
 * One list element: OWS range [ OWS ";" OWS "q=" qvalue ] OWS, ending at
 * "," or NUL, with range = "*" / 1*8ALPHA *( "-" 1*8alphanum ). Returns the
 * position after the element (at "," or NUL) and fills e (e->plen == 0 for
 * an empty element), or NULL when the element is malformed.
 */
static const char *
parse_element(const char *p, struct lang_elem *e)
{
	size_t sub;

	e->plen = 0;
	e->star = 0;
	e->subtags = 0;
	e->q = 1000;
	while (is_ows(*p))
		p++;
	if (*p == ',' || *p == '\0')
		return p; /* empty element, allowed by the list syntax */
	if (*p == '*') {
		e->star = 1;
		e->plen = 1;
		p++;
	} else {
		while (is_alpha(*p) && e->plen < 8)
			e->primary[e->plen++] = *p++;
		if (e->plen == 0)
			return NULL;
		while (*p == '-') {
			p++;
			for (sub = 0; is_alnum(*p) && sub < 8; sub++)
				p++;
			if (sub == 0)
				return NULL;
			e->subtags = 1;
		}
	}
	e->primary[e->plen] = '\0';
	while (is_ows(*p))
		p++;
	if (*p == ';') {
		p++;
		while (is_ows(*p))
			p++;
		if ((*p != 'q' && *p != 'Q') || p[1] != '=')
			return NULL;
		if ((p = parse_qvalue(p + 2, &e->q)) == NULL)
			return NULL;
		while (is_ows(*p))
			p++;
	}
	if (*p != ',' && *p != '\0')
		return NULL;
	return p;
}

static void
lang_note(struct lang_pref *prefs, const struct lang_elem *e, int pos,
          int *star_q, int *star_pos)
{
	size_t i;
	int l = -1, weak = e->subtags;

	if (e->star) {
		if (e->q > *star_q) {
			*star_q = e->q;
			*star_pos = pos;
		}
		return;
	}
	for (i = 0; i < NLANG && l < 0; i++)
		if (strcasecmp(e->primary, lang_names[i]) == 0)
			l = (int)i;
	for (i = 0; i < sizeof(lang_alias) / sizeof(lang_alias[0]) && l < 0;
	     i++) {
		if (strcasecmp(e->primary, lang_alias[i].range) == 0) {
			l = lang_alias[i].lang;
			weak = 1;
		}
	}
	if (l < 0)
		return;
	if (!weak && e->q > prefs[l].exact_q) {
		prefs[l].exact_q = e->q;
		prefs[l].exact_pos = pos;
	} else if (weak && e->q > prefs[l].weak_q) {
		prefs[l].weak_q = e->q;
		prefs[l].weak_pos = pos;
	}
}

const char *
mp_lang_negotiate(const char *accept_language)
{
	struct lang_pref prefs[NLANG];
	struct lang_elem e;
	const char *p = accept_language, *next;
	size_t i;
	int pos = 0, star_q = -1, star_pos = 0, best = -1, best_q = 0;
	int best_pos = 0, eq, epos;

	if (p == NULL)
		return MP_LANG_DEFAULT;
	for (i = 0; i < NLANG; i++) {
		prefs[i].exact_q = prefs[i].weak_q = -1;
		prefs[i].exact_pos = prefs[i].weak_pos = 0;
	}

	while (*p != '\0') {
		next = parse_element(p, &e);
		if (next == NULL) {
			/* Malformed element: skip to the next comma. */
			next = strchr(p, ',');
			if (next == NULL)
				break;
		} else if (e.plen > 0) {
			lang_note(prefs, &e, pos, &star_q, &star_pos);
		}
		pos++;
		p = *next == ',' ? next + 1 : next;
	}

	for (i = 0; i < NLANG; i++) {
		if (prefs[i].exact_q >= 0) {
			eq = prefs[i].exact_q;
			epos = prefs[i].exact_pos;
		} else if (prefs[i].weak_q >= 0) {
			eq = prefs[i].weak_q;
			epos = prefs[i].weak_pos;
		} else {
			eq = star_q;
			epos = star_pos;
		}
		if (eq <= 0)
			continue;
		if (best < 0 || eq > best_q ||
		    (eq == best_q && epos < best_pos)) {
			best = (int)i;
			best_q = eq;
			best_pos = epos;
		}
	}
	return best < 0 ? MP_LANG_DEFAULT : lang_names[best];
}

const char *
mp_i18n_pick(const json_t *obj, const char *lang)
{
	static const char *const order[] = {"fr", "en", "ar"};
	const char *s;
	void *it;
	size_t i;

	if (!json_is_object(obj))
		return NULL;
	if (lang != NULL) {
		s = json_string_value(json_object_get(obj, lang));
		if (s != NULL && *s != '\0')
			return s;
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		s = json_string_value(json_object_get(obj, order[i]));
		if (s != NULL && *s != '\0')
			return s;
	}
	/* jansson's iterator takes a non-const object; iterating does not
	 * modify it. */
	for (it = json_object_iter((json_t *)(uintptr_t)obj); it != NULL;
	     it = json_object_iter_next((json_t *)(uintptr_t)obj, it)) {
		s = json_string_value(json_object_iter_value(it));
		if (s != NULL && *s != '\0')
			return s;
	}
	return NULL;
}
