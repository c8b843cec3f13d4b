/*
 * gql_limits.h: static limits of an operation (depth, aliases, root
 * fields, directives, cost), checked after validation and before any
 * upstream request.
 */
#ifndef GW_GQL_LIMITS_H
#define GW_GQL_LIMITS_H

#include <jansson.h>

#include "gql_schema.h"

/* 0 disables a limit. */
struct gql_limits {
	int max_depth;
	int max_aliases;
	int max_root_fields;
	int max_directives;
	double max_cost;
	int default_list_size; /* a list without first/limit */
};

struct gql_limits_seen {
	int depth, aliases, root_fields, directives;
	double cost;
};

/*
 * Measures operation op of a validated document (variables: the request's,
 * for first/limit given by variable). Returns 0 within the limits, else -1
 * with one error per limit exceeded (codes QUERY_TOO_DEEP,
 * TOO_MANY_ALIASES, TOO_MANY_ROOT_FIELDS, TOO_MANY_DIRECTIVES,
 * QUERY_TOO_COSTLY) in errs. *seen holds the measures either way.
 */
int gql_limits_check(const struct gql_schema *s, const struct gql_document *doc,
                     const struct gql_def *op, json_t *vars,
                     const struct gql_limits *lim, struct gql_limits_seen *seen,
                     struct gql_errors *errs);

#endif
