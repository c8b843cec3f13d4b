/*
 * The analytics query (see domain.h), modelled on DHIS2's analytics API:
 * dimension=<dim>[:<item>;<item>...] chooses what rows and columns show,
 * filter=<dim>:<item>[;...] restricts without showing. Read from the raw
 * query string because a dimension may be given several times, which the
 * library's one-value-per-name accessor cannot express.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mp/util.h"

#include "domain.h"

static const char *const dim_names[GENDER_DIM_COUNT] = {
    "region", "province", "commune",          "period",
    "sex",    "age_band", "beneficiary_type", "gender_marker",
};

static const char *const regions[] = {"souss-massa", "oriental", NULL};
static const char *const sexes[] = {"female", "male", NULL};
static const char *const age_bands[] = {"0-17",  "18-24", "25-34", "35-49",
                                        "50-64", "65+",   NULL};
static const char *const markers[] = {"0", "1", "2", NULL};

static int url_decode(const char *s, size_t n, char *out, size_t outlen);
static bool in_list(const char *const *list, const char *s);
static bool code_ok(const char *s, const char *extra, size_t max);
static int item_check(struct gender_dimsel *d, const char *item, char *err,
                      size_t errlen);
static int arg_parse(struct gender_query *q, const char *v, bool filter,
                     char *err, size_t errlen);
static const char *ptype_sql(enum gender_period_type t);

const char *
gender_dim_name(enum gender_dim d)
{
	return (unsigned)d < GENDER_DIM_COUNT ? dim_names[d] : NULL;
}

int
gender_dim_from_name(const char *name, enum gender_dim *out)
{
	for (int i = 0; name != NULL && i < GENDER_DIM_COUNT; i++)
		if (strcmp(name, dim_names[i]) == 0) {
			*out = (enum gender_dim)i;
			return 0;
		}
	return -EINVAL;
}

static int
url_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	int hi, lo;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n)
				return -EINVAL;
			hi = mp_hex_value((unsigned char)s[i + 1]);
			lo = mp_hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= outlen)
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* [a-z0-9] plus the characters of `extra`, 2..max long. */
static bool
code_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);

	if (n < 2 || n > max)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr(extra, *s) != NULL))
			return false;
	return true;
}

static int
item_check(struct gender_dimsel *d, const char *item, char *err, size_t errlen)
{
	struct gender_period p;
	bool ok;

	switch (d->dim) {
	case GENDER_DIM_REGION:
		ok = in_list(regions, item);
		break;
	case GENDER_DIM_PROVINCE:
	case GENDER_DIM_COMMUNE:
		ok = code_ok(item, "-", 64);
		break;
	case GENDER_DIM_SEX:
		ok = in_list(sexes, item);
		break;
	case GENDER_DIM_AGE_BAND:
		ok = in_list(age_bands, item);
		break;
	case GENDER_DIM_BENEFICIARY_TYPE:
		ok = code_ok(item, "_", 32);
		break;
	case GENDER_DIM_GENDER_MARKER:
		ok = in_list(markers, item);
		break;
	case GENDER_DIM_PERIOD:
		if (gender_period_parse(item, &p) != 0) {
			snprintf(err, errlen,
			         "'%s' is not a DHIS2 period "
			         "(202701, 2027Q1 or 2027)",
			         item);
			return -EINVAL;
		}
		if (d->nitems > 0 && p.type != d->ptype) {
			snprintf(err, errlen,
			         "periods of one query must be "
			         "of one type ('%s' differs)",
			         item);
			return -EINVAL;
		}
		d->ptype = p.type;
		return 0;
	default:
		ok = false;
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "'%s' is not a valid %s", item,
		         dim_names[d->dim]);
		return -EINVAL;
	}
	return 0;
}

static int
arg_parse(struct gender_query *q, const char *v, bool filter, char *err,
          size_t errlen)
{
	char name[32];
	const char *colon = strchr(v, ':'), *s, *semi;
	size_t n = colon != NULL ? (size_t)(colon - v) : strlen(v), len;
	struct gender_dimsel *d;
	enum gender_dim dim;
	bool dummy;

	if (n == 0 || n >= sizeof(name)) {
		snprintf(err, errlen, "expected <dimension>[:<items>]");
		return -EINVAL;
	}
	memcpy(name, v, n);
	name[n] = '\0';
	if (gender_dim_from_name(name, &dim) != 0) {
		snprintf(err, errlen,
		         "unknown dimension '%.31s' (region, "
		         "province, commune, period, sex, age_band, "
		         "beneficiary_type, gender_marker)",
		         name);
		return -EINVAL;
	}
	if (gender_query_find(q, dim, &dummy) != NULL) {
		snprintf(err, errlen, "dimension '%s' given twice", name);
		return -EINVAL;
	}
	d = filter ? &q->filters[q->nfilters] : &q->dims[q->ndims];
	memset(d, 0, sizeof(*d));
	d->dim = dim;
	d->ptype = GENDER_PERIOD_YEARLY;
	for (s = colon != NULL ? colon + 1 : NULL; s != NULL; s = semi) {
		semi = strchr(s, ';');
		len = semi != NULL ? (size_t)(semi - s) : strlen(s);
		if (semi != NULL)
			semi++;
		if (len == 0 || len >= GENDER_ITEM_MAX) {
			snprintf(err, errlen, "empty or too long item in '%s'",
			         name);
			return -EINVAL;
		}
		if (d->nitems == GENDER_QUERY_MAX_ITEMS) {
			snprintf(err, errlen, "at most %d items per dimension",
			         GENDER_QUERY_MAX_ITEMS);
			return -EINVAL;
		}
		memcpy(d->items[d->nitems], s, len);
		d->items[d->nitems][len] = '\0';
		if (item_check(d, d->items[d->nitems], err, errlen) != 0)
			return -EINVAL;
		d->nitems++;
	}
	if (filter && d->nitems == 0) {
		snprintf(err, errlen, "a filter needs items: %s:<item>", name);
		return -EINVAL;
	}
	if (filter)
		q->nfilters++;
	else
		q->ndims++;
	return 0;
}

int
gender_query_parse(const char *qs, struct gender_query *q, const char **field,
                   char *err, size_t errlen)
{
	const char *s, *amp, *eq;
	char name[16], value[2048];
	size_t n;
	bool filter;

	if (q == NULL || err == NULL || field == NULL)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	*field = NULL;
	err[0] = '\0';
	for (s = qs; s != NULL && *s != '\0'; s = amp) {
		amp = strchr(s, '&');
		n = amp != NULL ? (size_t)(amp - s) : strlen(s);
		if (amp != NULL)
			amp++;
		eq = memchr(s, '=', n);
		if (eq == NULL || (size_t)(eq - s) >= sizeof(name))
			continue;
		memcpy(name, s, (size_t)(eq - s));
		name[eq - s] = '\0';
		if (strcmp(name, "dimension") == 0)
			filter = false;
		else if (strcmp(name, "filter") == 0)
			filter = true;
		else
			continue;
		*field = filter ? "filter" : "dimension";
		if (url_decode(eq + 1, n - (size_t)(eq + 1 - s), value,
		               sizeof(value)) != 0) {
			snprintf(err, errlen, "badly encoded or too long");
			return -EINVAL;
		}
		if (arg_parse(q, value, filter, err, errlen) != 0)
			return -EINVAL;
	}
	*field = NULL;
	/* rows in one canonical order whatever the order of the arguments:
	 * the same figures for a cache that sorts query parameters */
	for (size_t i = 1; i < q->ndims; i++)
		for (size_t k = i; k > 0 && q->dims[k - 1].dim > q->dims[k].dim;
		     k--) {
			struct gender_dimsel tmp = q->dims[k];

			q->dims[k] = q->dims[k - 1];
			q->dims[k - 1] = tmp;
		}
	return 0;
}

const struct gender_dimsel *
gender_query_find(const struct gender_query *q, enum gender_dim d,
                  bool *is_filter)
{
	for (size_t i = 0; i < q->ndims; i++)
		if (q->dims[i].dim == d) {
			*is_filter = false;
			return &q->dims[i];
		}
	for (size_t i = 0; i < q->nfilters; i++)
		if (q->filters[i].dim == d) {
			*is_filter = true;
			return &q->filters[i];
		}
	return NULL;
}

static const char *
ptype_sql(enum gender_period_type t)
{
	return t == GENDER_PERIOD_MONTHLY     ? "monthly"
	       : t == GENDER_PERIOD_QUARTERLY ? "quarterly"
	                                      : "yearly";
}

json_t *
gender_query_json(const struct gender_query *q)
{
	json_t *o, *dims, *items, *arr, *pe;
	const struct gender_dimsel *d;
	struct gender_period p;
	char from[11], to[11];
	enum gender_period_type pt = GENDER_PERIOD_YEARLY;

	if ((o = json_object()) == NULL)
		return NULL;
	dims = json_array();
	items = json_object();
	json_object_set_new(o, "dims", dims);
	json_object_set_new(o, "items", items);
	for (size_t i = 0; i < q->ndims + q->nfilters; i++) {
		d = i < q->ndims ? &q->dims[i] : &q->filters[i - q->ndims];
		if (i < q->ndims)
			json_array_append_new(dims,
			                      json_string(dim_names[d->dim]));
		if (d->dim == GENDER_DIM_PERIOD)
			pt = d->ptype;
		if (d->nitems == 0)
			continue;
		arr = json_array();
		for (size_t k = 0; k < d->nitems; k++) {
			if (d->dim != GENDER_DIM_PERIOD) {
				json_array_append_new(arr,
				                      json_string(d->items[k]));
				continue;
			}
			(void)gender_period_parse(d->items[k], &p);
			(void)gender_period_bounds(&p, from, to);
			pe = json_pack("{s:s, s:s, s:s}", "id", d->items[k],
			               "from", from, "to", to);
			json_array_append_new(arr, pe);
		}
		json_object_set_new(items, dim_names[d->dim], arr);
	}
	json_object_set_new(o, "ptype", json_string(ptype_sql(pt)));
	if (json_array_size(dims) != q->ndims) {
		json_decref(o);
		return NULL;
	}
	return o;
}
