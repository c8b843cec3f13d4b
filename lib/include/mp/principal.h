/*
 * principal.h: the verified identity behind a request.
 *
 * A principal is only ever filled by mp_jwt_verify() from a token whose
 * signature and claims were checked, or zeroed for a public (anonymous)
 * request. It is a plain value (fixed-size arrays, no pointers) so a handler
 * can copy it into request state and forget about ownership. Every string
 * member is NUL-terminated; a claim too long for its array makes the token
 * invalid rather than being truncated (see jwt.h).
 *
 * The role helpers are implemented in lib/src/core/authz.c.
 */
#ifndef MP_PRINCIPAL_H
#define MP_PRINCIPAL_H

#include <stdint.h>

/* Roles, one bit each; a principal may hold several. */
enum mp_role {
	MP_ROLE_APPLICANT = 1 << 0,
	MP_ROLE_COUNCIL_OFFICER = 1 << 1,
	MP_ROLE_APPRAISER = 1 << 2,
	MP_ROLE_ERC_MEMBER = 1 << 3,
	MP_ROLE_MUNICIPAL_AGENT = 1 << 4,
	MP_ROLE_MEDIATOR = 1 << 5,
	MP_ROLE_GENDER_ANALYST = 1 << 6,
	MP_ROLE_ADMIN = 1 << 7,
	MP_ROLE_CLIENT = 1 << 8 /* machine API client */
};

/* Every bit that names a known role. */
#define MP_ROLE_ALL 0x1ffu

/* The two regions of the programme, as they appear in tokens, URLs, events. */
#define MP_REGION_SOUSS_MASSA "souss-massa"
#define MP_REGION_ORIENTAL "oriental"

struct mp_principal {
	char subject[64]; /* claim "sub": user UUID or client id */
	unsigned roles;   /* bitmask of enum mp_role, from claim "roles" */
	char region[32];  /* "souss-massa", "oriental" or "" (none: see
	                     authz.h, a non-admin without region acts on no
	                     region's data) */
	char commune[64]; /* "" when not bound to a commune */
	char organisation[64];
	char scopes[512];   /* claim "scope": space-separated tokens */
	char jti[64];       /* claim "jti", "" if absent */
	char client_id[64]; /* claim "client_id" (API clients), "" if absent */
	int64_t exp, iat;   /* seconds since the epoch */
	int authenticated;  /* 0 = public (no token) */
};

/*
 * mp_role_from_name: map a role name as written in tokens ("applicant",
 * "council_officer", "appraiser", "erc_member", "municipal_agent",
 * "mediator", "gender_analyst", "admin", "client") to its bit.
 * Exact, case-sensitive match. Returns 0 and sets *out, or -EINVAL for a
 * NULL argument or an unknown name (*out untouched).
 */
int mp_role_from_name(const char *name, unsigned *out);

/*
 * mp_role_name: the token name of ONE role bit. Returns a static string, or
 * NULL if single_role is zero, has several bits set or names no known role.
 */
const char *mp_role_name(unsigned single_role);

#endif /* MP_PRINCIPAL_H */
