/*
 * The gateway's route table: one entry per route of each upstream, with
 * the same roles and public flag as the service's own table (an
 * integration test, check_gateway_edge.c, compares them route by route
 * against the running funding service so the two cannot drift).
 *
 * Why repeat the services' tables here: the gateway refuses what a
 * service would refuse (401/403) before anything is forwarded, and it
 * needs facts that only it uses: cacheability and TTL, the scopes an API
 * client needs, the rate-limit class.
 *
 * Caching choices:
 *   - reference data (regions, provinces, communes, themes, applicant
 *     types) is the same for everyone: GW_R_PUBLIC_DATA, 300 s;
 *   - calls are public but NOT public data: an officer's token shows the
 *     drafts of their region (funding's f_call_visible), so their key is
 *     principal-scoped; every anonymous caller shares one entry, 60 s;
 *   - per-principal reads (lists, an application, an agreement...) are
 *     cached 30 s under keys that carry role, region, commune,
 *     organisation and, for applicants and API clients, the subject
 *     (gw_cache_key). Appraisers and ERC members see what is assigned to
 *     them personally, which that key does not capture: edge.c bypasses
 *     the cache for such principals (edge_cache_scoped_ok).
 * Writes are class WRITE; reads DEFAULT. Cases and gender have no routes
 * of their own yet: authenticated catch-alls forward everything below
 * their prefix and let the service decide (it verifies the token again).
 */
#include "mp/principal.h"

#include "edge/route_table.h"

#define OFF (MP_ROLE_COUNCIL_OFFICER | MP_ROLE_ADMIN)
#define APP MP_ROLE_APPLICANT
#define APR MP_ROLE_APPRAISER
#define ERC MP_ROLE_ERC_MEMBER
#define ANA MP_ROLE_GENDER_ANALYST

#define G GW_M_GET
#define PO GW_M_POST
#define PU GW_M_PUT
#define PA GW_M_PATCH

#define REF (GW_R_PUBLIC | GW_R_CACHEABLE | GW_R_PUBLIC_DATA)
#define PUBC (GW_R_PUBLIC | GW_R_CACHEABLE)
#define C GW_R_CACHEABLE
#define RD GW_SCOPE_FUNDING_READ
#define TTL_REF 300
#define TTL_CALL 60
#define TTL_OWN 30
#define F "funding"
#define W GW_RC_WRITE
#define D GW_RC_DEFAULT

const struct gw_route gw_routes[] = {
	/* reference data */
	{G, "/v1/funding/regions", REF, 0, RD, TTL_REF, D, F},
	{G, "/v1/funding/regions/{region}/provinces", REF, 0, RD, TTL_REF, D,
	    F},
	{G, "/v1/funding/regions/{region}/communes", REF, 0, RD, TTL_REF, D,
	    F},
	{G, "/v1/funding/themes", REF, 0, RD, TTL_REF, D, F},
	{G, "/v1/funding/applicant-types", REF, 0, RD, TTL_REF, D, F},
	/* envelopes */
	{G, "/v1/funding/envelopes", C, OFF | ANA, NULL, TTL_OWN, D, F},
	{G, "/v1/funding/envelopes/{region}/{year}", C, OFF | ANA, NULL,
	    TTL_OWN, D, F},
	{PU, "/v1/funding/envelopes/{region}/{year}", 0, OFF, NULL, 0, W, F},
	/* calls */
	{G, "/v1/funding/calls", PUBC, 0, RD, TTL_CALL, D, F},
	{PO, "/v1/funding/calls", 0, OFF, NULL, 0, W, F},
	{G, "/v1/funding/calls/{id}", PUBC, 0, RD, TTL_CALL, D, F},
	{PA, "/v1/funding/calls/{id}", 0, OFF, NULL, 0, W, F},
	{PO, "/v1/funding/calls/{id}/transitions", 0, OFF, NULL, 0, W, F},
	{G, "/v1/funding/calls/{id}/ranking", C, OFF | ERC, NULL, TTL_OWN, D,
	    F},
	{G, "/v1/funding/calls/{id}/applications", C, OFF, NULL, TTL_OWN, D,
	    F},
	{PO, "/v1/funding/calls/{id}/applications", 0, APP, NULL, 0, W, F},
	/* applications */
	{G, "/v1/funding/applications", C, APP | OFF, NULL, TTL_OWN, D, F},
	{G, "/v1/funding/applications/{id}", C, APP | OFF | APR | ERC, NULL,
	    TTL_OWN, D, F},
	{PA, "/v1/funding/applications/{id}", 0, APP, NULL, 0, W, F},
	{PO, "/v1/funding/applications/{id}/submit", 0, APP, NULL, 0, W, F},
	{PO, "/v1/funding/applications/{id}/transitions", 0, APP | OFF, NULL,
	    0, W, F},
	{PO, "/v1/funding/applications/{id}/appraisals", 0, OFF, NULL, 0, W,
	    F},
	{PO, "/v1/funding/applications/{id}/agreement", 0, OFF, NULL, 0, W,
	    F},
	/* appraisal */
	{G, "/v1/funding/appraisals", C, APR | OFF, NULL, TTL_OWN, D, F},
	{G, "/v1/funding/appraisals/{id}", C, APR | OFF, NULL, TTL_OWN, D, F},
	{PO, "/v1/funding/appraisals/{id}/declaration", 0, APR, NULL, 0, W,
	    F},
	{PU, "/v1/funding/appraisals/{id}/scores", 0, APR, NULL, 0, W, F},
	/* ERC */
	{G, "/v1/funding/erc/members", C, OFF | ERC, NULL, TTL_OWN, D, F},
	{PO, "/v1/funding/erc/members", 0, OFF, NULL, 0, W, F},
	{PO, "/v1/funding/erc/sessions", 0, OFF, NULL, 0, W, F},
	{G, "/v1/funding/erc/sessions/{id}", C, OFF | ERC, NULL, TTL_OWN, D,
	    F},
	{PU, "/v1/funding/erc/sessions/{id}/attendance", 0, OFF, NULL, 0, W,
	    F},
	{PO, "/v1/funding/erc/sessions/{id}/open", 0, OFF, NULL, 0, W, F},
	{PO, "/v1/funding/erc/sessions/{id}/conflicts", 0, ERC, NULL, 0, W, F},
	{PO, "/v1/funding/erc/sessions/{id}/votes", 0, ERC, NULL, 0, W, F},
	{PO, "/v1/funding/erc/sessions/{id}/decisions", 0, OFF, NULL, 0, W, F},
	{PO, "/v1/funding/erc/sessions/{id}/close", 0, OFF, NULL, 0, W, F},
	/* agreements, tranches, monitoring, evaluation */
	{G, "/v1/funding/agreements/{id}", C, APP | OFF, NULL, TTL_OWN, D, F},
	{PO, "/v1/funding/agreements/{id}/transitions", 0, OFF, NULL, 0, W,
	    F},
	{PO, "/v1/funding/tranches/{id}/release", 0, OFF, NULL, 0, W, F},
	{PO, "/v1/funding/agreements/{id}/reports", 0, APP, NULL, 0, W, F},
	{G, "/v1/funding/reports/{id}", C, APP | OFF, NULL, TTL_OWN, D, F},
	{PO, "/v1/funding/reports/{id}/transitions", 0, APP | OFF, NULL, 0, W,
	    F},
	{PO, "/v1/funding/agreements/{id}/visits", 0, OFF, NULL, 0, W, F},
	{PO, "/v1/funding/agreements/{id}/evaluation", 0, OFF, NULL, 0, W, F},
	/* dashboards */
	{G, "/v1/funding/dashboard", C, OFF | ANA, NULL, TTL_OWN, D, F},
	{G, "/v1/funding/dashboard.csv", C, OFF | ANA, NULL, TTL_OWN, D, F},
	/* services without a route table yet: any authenticated principal,
	 * the service decides (repeated query parameters too: gender's
	 * figures take dimension= and filter= more than once) */
	{GW_M_ALL, "/v1/cases/**", GW_R_REPEATS, 0, NULL, 0, D, "cases"},
	{GW_M_ALL, "/v1/gender/**", GW_R_REPEATS, 0, NULL, 0, D, "gender"},
};

const size_t gw_nroutes = sizeof(gw_routes) / sizeof(gw_routes[0]);
