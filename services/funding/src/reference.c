/*
 * Reference data of the funding service (public): the programme's regions
 * and their provinces. Labels are chosen by Accept-Language (fr fallback);
 * the full multilingual name is returned too, for clients that cache it.
 */
#include "mp/service.h"

#include "reference.h"

static int reply_list(struct mp_ctx *ctx);
static int provinces_checked(struct mp_ctx *ctx);

static int
reply_list(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 200);
}

int
funding_regions_list(struct mp_ctx *ctx)
{
	const char *v[1] = {ctx->lang};

	return mp_db_query(
	    ctx, reply_list,
	    "SELECT json_build_object('items', "
	    "coalesce(json_agg(json_build_object("
	    "'code', code, 'label', coalesce(name->>$1, name->>'fr'), "
	    "'name', name, 'seat', seat) ORDER BY code), '[]'::json)) "
	    "FROM regions",
	    1, v);
}

/* 404 for an unknown region, else the list (possibly empty). */
static int
provinces_checked(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 200);
}

int
funding_provinces_list(struct mp_ctx *ctx)
{
	const char *v[2] = {mp_param(ctx, "region"), ctx->lang};

	return mp_db_query(
	    ctx, provinces_checked,
	    "SELECT json_build_object('region', r.code, 'items', "
	    "coalesce((SELECT json_agg(json_build_object('code', p.code, "
	    "'label', coalesce(p.name->>$2, p.name->>'fr'), 'name', p.name) "
	    "ORDER BY p.code) FROM provinces p WHERE p.region = r.code), "
	    "'[]'::json)) FROM regions r WHERE r.code = $1",
	    2, v);
}
