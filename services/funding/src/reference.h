#ifndef FUNDING_REFERENCE_H
#define FUNDING_REFERENCE_H

struct mp_ctx;

/* GET /v1/funding/regions (public). */
int funding_regions_list(struct mp_ctx *ctx);
/* GET /v1/funding/regions/{region}/provinces (public); 404 unknown region. */
int funding_provinces_list(struct mp_ctx *ctx);

#endif
