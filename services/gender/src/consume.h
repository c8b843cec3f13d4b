/*
 * The gender service's stream consumers (consume.c).
 */
#ifndef GENDER_CONSUME_H
#define GENDER_CONSUME_H

#include "mp/events.h"

/* funding and cases streams (projections) and the service's own stream
 * (rebuild requests); NULL-terminated by .stream == NULL. */
extern const struct mp_consumer_def gender_consumers[];

#endif /* GENDER_CONSUME_H */
