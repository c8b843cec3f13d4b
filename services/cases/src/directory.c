/*
 * The service directory's routes: each is an op of the library's runner
 * (mp/run.h) calling one SQL function of migrations/0002_directory_api.sql.
 * Every route first refuses a query argument it does not take (400 naming
 * it): an HSDS client that misspells a filter must not get an unfiltered
 * list back. The values of the arguments (page, per_page, full, search,
 * taxonomy_term_id, commune, lat/lon/radius_km...) are checked by the SQL
 * functions, which answer 400 naming the argument. Bodies are strict
 * (unknown fields refused); what needs the database (region of the
 * officer, commune of the region, French text present, known taxonomy
 * codes) is checked by the SQL functions.
 */
#include "mp/run.h"
#include "mp/service.h"

#include "directory.h"

/* Lists go out as the database wrote them; items are parsed for their
 * ETag ("version"). */
#define JSON_RAW "application/json"

/* A route whose query string must hold only name##_op.query. */
#define DIRECTORY_ROUTE(name)                                                  \
	int name(struct mp_ctx *ctx)                                           \
	{                                                                      \
		if (mp_query_strict_or_reply(ctx, name##_op.query) != 0)       \
			return MP_DONE;                                        \
		return mp_run_op(ctx, &name##_op);                             \
	}

/* ---- query arguments -------------------------------------------------- */

/* A query argument taken as text: its value is checked by the SQL
 * function, which names it in a 400. */
#define Q(n) MP_FIELD((n), MP_F_STRING, 0)

static const struct mp_field services_query[] = {Q("search"),
                                                 Q("taxonomy_term_id"),
                                                 Q("taxonomy_id"),
                                                 Q("organization_id"),
                                                 Q("modified_after"),
                                                 Q("full"),
                                                 Q("page"),
                                                 Q("per_page"),
                                                 Q("commune"),
                                                 Q("lat"),
                                                 Q("lon"),
                                                 Q("radius_km"),
                                                 MP_FIELD_END};
static const struct mp_field sal_query[] = {Q("search"),
                                            Q("taxonomy_term_id"),
                                            Q("taxonomy_id"),
                                            Q("organization_id"),
                                            Q("modified_after"),
                                            Q("full"),
                                            Q("page"),
                                            Q("per_page"),
                                            Q("commune"),
                                            Q("lat"),
                                            Q("lon"),
                                            Q("radius_km"),
                                            Q("status"),
                                            MP_FIELD_END};
static const struct mp_field organizations_query[] = {
    Q("search"), Q("full"),     Q("modified_after"),
    Q("page"),   Q("per_page"), MP_FIELD_END};
static const struct mp_field taxonomies_query[] = {Q("search"), Q("page"),
                                                   Q("per_page"), MP_FIELD_END};
static const struct mp_field terms_query[] = {
    Q("search"),    Q("page"),     Q("per_page"), Q("taxonomy_id"),
    Q("parent_id"), Q("top_only"), MP_FIELD_END};

/* ---- bodies ------------------------------------------------------------ */

static const char *const regions[] = {"souss-massa", "oriental", NULL};
static const char *const service_statuses[] = {"active", "inactive", "defunct",
                                               "temporarily closed", NULL};
static const char *const sal_statuses[] = {"active", "inactive", NULL};
static const char *const location_types[] = {"physical", "postal", "virtual",
                                             NULL};
static const char *const phone_types[] = {"text",  "voice", "fax",       "cell",
                                          "video", "pager", "textphone", NULL};

static const struct mp_field phone_fields[] = {
    MP_FIELD("number", MP_F_STRING, MP_F_REQUIRED, .min_len = 4, .max_len = 32),
    MP_FIELD("extension", MP_F_INT, 0, .min = 0, .max = 999999),
    MP_FIELD("type", MP_F_ENUM, 0, .enum_values = phone_types),
    MP_FIELD("description", MP_F_I18N, 0, .min_len = 1, .max_len = 500),
    MP_FIELD_END};
static const struct mp_field phone_item =
    MP_FIELD("phone", MP_F_OBJECT, 0, .fields = phone_fields);

/* A desk or a function, not a named person (the directory is public). */
static const struct mp_field contact_fields[] = {
    MP_FIELD("name", MP_F_STRING, 0, .min_len = 1, .max_len = 200),
    MP_FIELD("title", MP_F_STRING, 0, .min_len = 1, .max_len = 200),
    MP_FIELD("department", MP_F_STRING, 0, .min_len = 1, .max_len = 200),
    MP_FIELD("email", MP_F_EMAIL, 0, .max_len = 254), MP_FIELD_END};
static const struct mp_field contact_item =
    MP_FIELD("contact", MP_F_OBJECT, 0, .fields = contact_fields);

static const struct mp_field schedule_fields[] = {
    MP_FIELD("byday", MP_F_STRING, MP_F_REQUIRED, .min_len = 2, .max_len = 20),
    MP_FIELD("opens_at", MP_F_STRING, MP_F_REQUIRED, .min_len = 5,
             .max_len = 5),
    MP_FIELD("closes_at", MP_F_STRING, MP_F_REQUIRED, .min_len = 5,
             .max_len = 5),
    MP_FIELD("valid_from", MP_F_DATE, 0),
    MP_FIELD("valid_to", MP_F_DATE, 0),
    MP_FIELD("description", MP_F_I18N, 0, .min_len = 1, .max_len = 500),
    MP_FIELD_END};
static const struct mp_field schedule_item =
    MP_FIELD("schedule", MP_F_OBJECT, 0, .fields = schedule_fields);

static const struct mp_field language_fields[] = {
    MP_FIELD("code", MP_F_STRING, MP_F_REQUIRED, .min_len = 2, .max_len = 3),
    MP_FIELD("name", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 100),
    MP_FIELD("note", MP_F_STRING, 0, .min_len = 1, .max_len = 500),
    MP_FIELD_END};
static const struct mp_field language_item =
    MP_FIELD("language", MP_F_OBJECT, 0, .fields = language_fields);

static const struct mp_field document_fields[] = {
    MP_FIELD("document", MP_F_I18N, MP_F_REQUIRED, .min_len = 1,
             .max_len = 500),
    MP_FIELD("uri", MP_F_STRING, 0, .min_len = 8, .max_len = 500),
    MP_FIELD_END};
static const struct mp_field document_item =
    MP_FIELD("required_document", MP_F_OBJECT, 0, .fields = document_fields);

static const struct mp_field term_item =
    MP_FIELD("taxonomy_term", MP_F_STRING, 0, .min_len = 2, .max_len = 64);

static const struct mp_field address_fields[] = {
    MP_FIELD("attention", MP_F_STRING, 0, .min_len = 1, .max_len = 200),
    MP_FIELD("address_1", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 200),
    MP_FIELD("address_2", MP_F_STRING, 0, .min_len = 1, .max_len = 200),
    MP_FIELD("city", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 100),
    MP_FIELD("state_province", MP_F_STRING, 0, .min_len = 1, .max_len = 100),
    MP_FIELD("postal_code", MP_F_STRING, MP_F_REQUIRED, .min_len = 2,
             .max_len = 12),
    MP_FIELD_END};

#define CHILDREN                                                               \
	MP_FIELD("phones", MP_F_ARRAY, 0, .max_len = 10,                       \
	         .items = &phone_item),                                        \
	    MP_FIELD("contacts", MP_F_ARRAY, 0, .max_len = 10,                 \
	             .items = &contact_item),                                  \
	    MP_FIELD("schedules", MP_F_ARRAY, 0, .max_len = 14,                \
	             .items = &schedule_item)

#define ORGANIZATION_FIELDS(req)                                               \
	MP_FIELD("name", MP_F_I18N, req, .min_len = 1, .max_len = 200),        \
	    MP_FIELD("alternate_name", MP_F_STRING, 0, .min_len = 1,           \
	             .max_len = 200),                                          \
	    MP_FIELD("description", MP_F_I18N, req, .min_len = 1,              \
	             .max_len = 4000),                                         \
	    MP_FIELD("email", MP_F_EMAIL, 0, .max_len = 254),                  \
	    MP_FIELD("website", MP_F_STRING, 0, .min_len = 8, .max_len = 500), \
	    MP_FIELD("legal_status", MP_F_STRING, 0, .min_len = 1,             \
	             .max_len = 200),                                          \
	    MP_FIELD("year_incorporated", MP_F_INT, 0, .min = 1800,            \
	             .max = 2100),                                             \
	    MP_FIELD("phones", MP_F_ARRAY, 0, .max_len = 10,                   \
	             .items = &phone_item),                                    \
	    MP_FIELD("contacts", MP_F_ARRAY, 0, .max_len = 10,                 \
	             .items = &contact_item)

static const struct mp_field organization_create[] = {
    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED, .enum_values = regions),
    ORGANIZATION_FIELDS(MP_F_REQUIRED), MP_FIELD_END};
static const struct mp_field organization_patch[] = {ORGANIZATION_FIELDS(0),
                                                     MP_FIELD_END};

#define SERVICE_FIELDS(req)                                                    \
	MP_FIELD("name", MP_F_I18N, req, .min_len = 1, .max_len = 200),        \
	    MP_FIELD("alternate_name", MP_F_STRING, 0, .min_len = 1,           \
	             .max_len = 200),                                          \
	    MP_FIELD("description", MP_F_I18N, req, .min_len = 1,              \
	             .max_len = 4000),                                         \
	    MP_FIELD("url", MP_F_STRING, 0, .min_len = 8, .max_len = 500),     \
	    MP_FIELD("email", MP_F_EMAIL, 0, .max_len = 254),                  \
	    MP_FIELD("status", MP_F_ENUM, 0, .enum_values = service_statuses), \
	    MP_FIELD("interpretation_services", MP_F_STRING, 0, .min_len = 1,  \
	             .max_len = 500),                                          \
	    MP_FIELD("application_process", MP_F_I18N, 0, .min_len = 1,        \
	             .max_len = 2000),                                         \
	    MP_FIELD("fees_description", MP_F_I18N, 0, .min_len = 1,           \
	             .max_len = 1000),                                         \
	    MP_FIELD("eligibility_description", MP_F_I18N, 0, .min_len = 1,    \
	             .max_len = 2000),                                         \
	    MP_FIELD("minimum_age", MP_F_INT, 0, .min = 0, .max = 120),        \
	    MP_FIELD("maximum_age", MP_F_INT, 0, .min = 0, .max = 120),        \
	    MP_FIELD("alert", MP_F_I18N, 0, .min_len = 1, .max_len = 1000),    \
	    MP_FIELD("taxonomy_terms", MP_F_ARRAY, 0, .max_len = 9,            \
	             .items = &term_item),                                     \
	    MP_FIELD("languages", MP_F_ARRAY, 0, .max_len = 20,                \
	             .items = &language_item),                                 \
	    MP_FIELD("required_documents", MP_F_ARRAY, 0, .max_len = 20,       \
	             .items = &document_item),                                 \
	    CHILDREN

static const struct mp_field service_create[] = {
    MP_FIELD("organization_id", MP_F_UUID, MP_F_REQUIRED),
    SERVICE_FIELDS(MP_F_REQUIRED), MP_FIELD_END};
static const struct mp_field service_patch[] = {SERVICE_FIELDS(0),
                                                MP_FIELD_END};

#define LOCATION_FIELDS(req)                                                   \
	MP_FIELD("commune", MP_F_STRING, req, .min_len = 2, .max_len = 64),    \
	    MP_FIELD("location_type", MP_F_ENUM, 0,                            \
	             .enum_values = location_types),                           \
	    MP_FIELD("name", MP_F_I18N, req, .min_len = 1, .max_len = 200),    \
	    MP_FIELD("alternate_name", MP_F_STRING, 0, .min_len = 1,           \
	             .max_len = 200),                                          \
	    MP_FIELD("description", MP_F_I18N, 0, .min_len = 1,                \
	             .max_len = 2000),                                         \
	    MP_FIELD("transportation", MP_F_I18N, 0, .min_len = 1,             \
	             .max_len = 1000),                                         \
	    MP_FIELD("url", MP_F_STRING, 0, .min_len = 8, .max_len = 500),     \
	    MP_FIELD("latitude", MP_F_NUMBER, 0, .min = -90, .max = 90),       \
	    MP_FIELD("longitude", MP_F_NUMBER, 0, .min = -180, .max = 180),    \
	    MP_FIELD("address", MP_F_OBJECT, 0, .fields = address_fields),     \
	    MP_FIELD("languages", MP_F_ARRAY, 0, .max_len = 20,                \
	             .items = &language_item),                                 \
	    CHILDREN

static const struct mp_field location_create[] = {
    MP_FIELD("organization_id", MP_F_UUID, MP_F_REQUIRED),
    LOCATION_FIELDS(MP_F_REQUIRED), MP_FIELD_END};
static const struct mp_field location_patch[] = {LOCATION_FIELDS(0),
                                                 MP_FIELD_END};

#define SAL_FIELDS                                                             \
	MP_FIELD("description", MP_F_I18N, 0, .min_len = 1, .max_len = 2000),  \
	    MP_FIELD("status", MP_F_ENUM, 0, .enum_values = sal_statuses),     \
	    CHILDREN

static const struct mp_field sal_create[] = {
    MP_FIELD("service_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("location_id", MP_F_UUID, MP_F_REQUIRED), SAL_FIELDS,
    MP_FIELD_END};
static const struct mp_field sal_patch[] = {SAL_FIELDS, MP_FIELD_END};

/* ---- HSDS reads ------------------------------------------------------------
 */

static const struct mp_op cases_hsds_root_op = {
    .apply_sql = "SELECT hsds_root($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};
static const struct mp_op cases_hsds_services_op = {
    .query = services_query,
    .apply_sql = "SELECT hsds_services($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};
static const struct mp_op cases_hsds_service_get_op = {
    .apply_sql = "SELECT hsds_service_get($1, $2, $3, $4, $5)", .status = 200};
static const struct mp_op cases_hsds_service_at_locations_op = {
    .query = sal_query,
    .apply_sql = "SELECT hsds_service_at_locations($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};
static const struct mp_op cases_hsds_service_at_location_get_op = {
    .apply_sql = "SELECT hsds_service_at_location_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_hsds_organizations_op = {
    .query = organizations_query,
    .apply_sql = "SELECT hsds_organizations($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};
static const struct mp_op cases_hsds_organization_get_op = {
    .apply_sql = "SELECT hsds_organization_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_hsds_taxonomies_op = {
    .query = taxonomies_query,
    .apply_sql = "SELECT hsds_taxonomies($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};
static const struct mp_op cases_hsds_taxonomy_get_op = {
    .apply_sql = "SELECT hsds_taxonomy_get($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};
static const struct mp_op cases_hsds_taxonomy_terms_op = {
    .query = terms_query,
    .apply_sql = "SELECT hsds_taxonomy_terms($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};
static const struct mp_op cases_hsds_taxonomy_term_get_op = {
    .apply_sql = "SELECT hsds_taxonomy_term_get($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = JSON_RAW};

/* ---- directory writes
 * -------------------------------------------------------- */

static const struct mp_op cases_directory_organization_create_op = {
    .schema = organization_create,
    .apply_sql = "SELECT directory_organization_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/cases/hsds/organizations/%s"};
static const struct mp_op cases_directory_organization_update_op = {
    .schema = organization_patch,
    .apply_sql = "SELECT directory_organization_update($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_directory_service_create_op = {
    .schema = service_create,
    .apply_sql = "SELECT directory_service_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/cases/hsds/services/%s"};
static const struct mp_op cases_directory_service_update_op = {
    .schema = service_patch,
    .apply_sql = "SELECT directory_service_update($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_directory_location_create_op = {
    .schema = location_create,
    .apply_sql = "SELECT directory_location_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op cases_directory_location_update_op = {
    .schema = location_patch,
    .apply_sql = "SELECT directory_location_update($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_directory_sal_create_op = {
    .schema = sal_create,
    .apply_sql = "SELECT directory_sal_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/cases/hsds/service_at_locations/%s"};
static const struct mp_op cases_directory_sal_update_op = {
    .schema = sal_patch,
    .apply_sql = "SELECT directory_sal_update($1, $2, $3, $4, $5)",
    .status = 200};

DIRECTORY_ROUTE(cases_hsds_root)
DIRECTORY_ROUTE(cases_hsds_services)
DIRECTORY_ROUTE(cases_hsds_service_get)
DIRECTORY_ROUTE(cases_hsds_service_at_locations)
DIRECTORY_ROUTE(cases_hsds_service_at_location_get)
DIRECTORY_ROUTE(cases_hsds_organizations)
DIRECTORY_ROUTE(cases_hsds_organization_get)
DIRECTORY_ROUTE(cases_hsds_taxonomies)
DIRECTORY_ROUTE(cases_hsds_taxonomy_get)
DIRECTORY_ROUTE(cases_hsds_taxonomy_terms)
DIRECTORY_ROUTE(cases_hsds_taxonomy_term_get)
DIRECTORY_ROUTE(cases_directory_organization_create)
DIRECTORY_ROUTE(cases_directory_organization_update)
DIRECTORY_ROUTE(cases_directory_service_create)
DIRECTORY_ROUTE(cases_directory_service_update)
DIRECTORY_ROUTE(cases_directory_location_create)
DIRECTORY_ROUTE(cases_directory_location_update)
DIRECTORY_ROUTE(cases_directory_sal_create)
DIRECTORY_ROUTE(cases_directory_sal_update)
