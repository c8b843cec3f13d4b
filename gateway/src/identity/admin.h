/*
 * admin.h: administration of accounts and API clients (role admin only,
 * enforced by the route table). Routes and answers in admin.c and
 * openapi/gateway.yaml.
 */
#ifndef GATEWAY_ADMIN_H
#define GATEWAY_ADMIN_H

#include "mp/service.h"

/* GET /admin/users: {items, next_cursor}; ?limit (1..200, default 50),
 * ?after (cursor), ?role, ?region. */
int gw_admin_users_list(struct mp_ctx *ctx);
/* POST /admin/users: 201 with the account (never its password hash);
 * 409 when the username is taken. */
int gw_admin_users_create(struct mp_ctx *ctx);
/* GET /admin/users/{id}. */
int gw_admin_users_get(struct mp_ctx *ctx);
/* PATCH /admin/users/{id}: roles, region, commune, organisation,
 * disabled, unlock (failures forgotten, lock lifted). */
int gw_admin_users_patch(struct mp_ctx *ctx);
/* GET /admin/clients: {items}. */
int gw_admin_clients_list(struct mp_ctx *ctx);
/* POST /admin/clients: 201 with client_secret, shown this once. */
int gw_admin_clients_create(struct mp_ctx *ctx);
/* DELETE /admin/clients/{id}: 204; the client is disabled, not erased. */
int gw_admin_clients_delete(struct mp_ctx *ctx);

#endif /* GATEWAY_ADMIN_H */
