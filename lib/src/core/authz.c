/*
 * authz.c: role names and the handlers' authorisation checks.
 *
 * Kept free of any I/O and of Kore so the gateway and every service link
 * the very same rules, and Check tests them directly. Every branch that is
 * not an explicit grant is a denial (fail closed); a principal zeroed by a
 * failed verification is therefore denied everything.
 */
#include <errno.h>
#include <string.h>

#include "mp/authz.h"
#include "mp/principal.h"

struct role_entry {
	unsigned bit;
	const char *name;
};

static int is_admin(const struct mp_principal *);

static const struct role_entry roles[] = {
    {MP_ROLE_APPLICANT, "applicant"},
    {MP_ROLE_COUNCIL_OFFICER, "council_officer"},
    {MP_ROLE_APPRAISER, "appraiser"},
    {MP_ROLE_ERC_MEMBER, "erc_member"},
    {MP_ROLE_MUNICIPAL_AGENT, "municipal_agent"},
    {MP_ROLE_MEDIATOR, "mediator"},
    {MP_ROLE_GENDER_ANALYST, "gender_analyst"},
    {MP_ROLE_ADMIN, "admin"},
    {MP_ROLE_CLIENT, "client"},
};

int
mp_role_from_name(const char *name, unsigned *out)
{
	size_t i;

	if (name == NULL || out == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcmp(roles[i].name, name) == 0) {
			*out = roles[i].bit;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
mp_role_name(unsigned single_role)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (roles[i].bit == single_role)
			return roles[i].name;
	}
	return NULL;
}

static int
is_admin(const struct mp_principal *p)
{
	return p->authenticated && (p->roles & MP_ROLE_ADMIN) != 0;
}

int
mp_authz_has_role(const struct mp_principal *p, unsigned any_of_roles)
{
	if (p == NULL || !p->authenticated)
		return 0;
	return (p->roles & any_of_roles) != 0;
}

int
mp_authz_has_scope(const struct mp_principal *p, const char *scope)
{
	const char *s, *end;
	size_t want;

	if (p == NULL || !p->authenticated || scope == NULL)
		return 0;
	want = strlen(scope);
	if (want == 0 || memchr(scope, ' ', want) != NULL)
		return 0;

	/* Bounded walk: scopes is always NUL-terminated by the verifier, but
	 * do not trust a hand-built principal to be. */
	s = p->scopes;
	end = p->scopes + strnlen(p->scopes, sizeof(p->scopes));
	while (s < end) {
		const char *tok_end;

		while (s < end && *s == ' ')
			s++;
		tok_end = s;
		while (tok_end < end && *tok_end != ' ')
			tok_end++;
		if ((size_t)(tok_end - s) == want &&
		    memcmp(s, scope, want) == 0)
			return 1;
		s = tok_end;
	}
	return 0;
}

int
mp_authz_region(const struct mp_principal *p, const char *region)
{
	if (p == NULL || !p->authenticated)
		return -EACCES;
	if (is_admin(p))
		return 0;
	if (region == NULL || region[0] == '\0')
		return -EACCES;
	if (p->region[0] == '\0' ||
	    strncmp(p->region, region, sizeof(p->region)) != 0 ||
	    strlen(region) >= sizeof(p->region))
		return -EACCES;
	return 0;
}

int
mp_authz_commune(const struct mp_principal *p, const char *region,
                 const char *commune)
{
	int rc;

	if ((rc = mp_authz_region(p, region)) != 0)
		return rc;
	if (is_admin(p) || p->commune[0] == '\0')
		return 0;
	if (commune == NULL || commune[0] == '\0')
		return -EACCES;
	if (strlen(commune) >= sizeof(p->commune) ||
	    strncmp(p->commune, commune, sizeof(p->commune)) != 0)
		return -EACCES;
	return 0;
}
