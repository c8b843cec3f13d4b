/*
 * authz.h: one-line authorisation checks for handlers, on a principal that
 * mp_jwt_verify() filled (or zeroed, for a public request).
 *
 * Every check fails closed: a NULL or unauthenticated principal, a NULL or
 * empty argument, or a principal without the attribute asked about, is a
 * denial. The checks are pure functions of their arguments, so the gateway
 * and each service (defence in depth) get the same answer.
 */
#ifndef MP_AUTHZ_H
#define MP_AUTHZ_H

#include "mp/principal.h"

/*
 * mp_authz_has_role: 1 if p is authenticated and holds at least one of the
 * roles in the bitmask any_of_roles, else 0 (also 0 for any_of_roles == 0).
 */
int mp_authz_has_role(const struct mp_principal *p, unsigned any_of_roles);

/*
 * mp_authz_has_scope: 1 if p is authenticated and scope is one of the
 * space-separated tokens of p->scopes (exact, case-sensitive token match:
 * "cases:read" does not match "cases:read-all" nor "cases"), else 0.
 * A NULL or empty scope, or one containing a space, is 0.
 */
int mp_authz_has_scope(const struct mp_principal *p, const char *scope);

/*
 * mp_authz_region: 0 if p may act on data of `region`, -EACCES otherwise.
 * An admin may act on every region; any other principal only on its own,
 * non-empty region (exact match). A non-admin whose token carried no region
 * acts on no region's data. A NULL or empty region is -EACCES for everyone
 * but admin.
 */
int mp_authz_region(const struct mp_principal *p, const char *region);

/*
 * mp_authz_commune: 0 if p may act on data of `commune` in `region`,
 * -EACCES otherwise. The region rule above applies first. Then: an admin,
 * or a principal not bound to a commune (p->commune empty: e.g. a council
 * officer, region-wide), may act on every commune of the region; a
 * principal bound to a commune (e.g. a municipal agent) only on that
 * commune (exact match; a NULL or empty commune is then -EACCES).
 */
int mp_authz_commune(const struct mp_principal *p, const char *region,
                     const char *commune);

#endif /* MP_AUTHZ_H */
