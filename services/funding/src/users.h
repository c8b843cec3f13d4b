/*
 * Funding's consumers: the gateway's accounts (users.c).
 */
#ifndef FUNDING_USERS_H
#define FUNDING_USERS_H

#include "mp/events.h"

/* NULL-terminated (.stream == NULL), for mp_service.consumers. */
extern const struct mp_consumer_def funding_consumers[];

#endif /* FUNDING_USERS_H */
