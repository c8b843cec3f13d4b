/*
 * The service directory of the cases service: Open Referral HSDS 3.0,
 * read-only and public under /v1/cases/hsds/, written by the region's
 * officers under /v1/cases/directory/. One handler per route of
 * service.c's table (and of openapi/cases.yaml); the SQL functions they
 * call are in migrations/0002_directory_api.sql.
 */
#ifndef CASES_DIRECTORY_H
#define CASES_DIRECTORY_H

#include "mp/service.h"

/* HSDS reads (public). */
int cases_hsds_root(struct mp_ctx *ctx);
int cases_hsds_services(struct mp_ctx *ctx);
int cases_hsds_service_get(struct mp_ctx *ctx);
int cases_hsds_service_at_locations(struct mp_ctx *ctx);
int cases_hsds_service_at_location_get(struct mp_ctx *ctx);
int cases_hsds_organizations(struct mp_ctx *ctx);
int cases_hsds_organization_get(struct mp_ctx *ctx);
int cases_hsds_taxonomies(struct mp_ctx *ctx);
int cases_hsds_taxonomy_get(struct mp_ctx *ctx);
int cases_hsds_taxonomy_terms(struct mp_ctx *ctx);
int cases_hsds_taxonomy_term_get(struct mp_ctx *ctx);

/* Directory writes (council officers of the record's region, admins). */
int cases_directory_organization_create(struct mp_ctx *ctx);
int cases_directory_organization_update(struct mp_ctx *ctx);
int cases_directory_service_create(struct mp_ctx *ctx);
int cases_directory_service_update(struct mp_ctx *ctx);
int cases_directory_location_create(struct mp_ctx *ctx);
int cases_directory_location_update(struct mp_ctx *ctx);
int cases_directory_sal_create(struct mp_ctx *ctx);
int cases_directory_sal_update(struct mp_ctx *ctx);

#endif /* CASES_DIRECTORY_H */
