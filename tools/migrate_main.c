/*
 * mp-migrate: apply a service's migrations and exit (the `migrate` mode
 * for deployments that run schema changes as a separate job).
 *   MP_DB_URL=postgresql://... mp-migrate services/funding/migrations
 */
#include <stdio.h>
#include <stdlib.h>

#include "mp/migrate.h"

int
main(int argc, char **argv)
{
	const char *url = getenv("MP_DB_URL");
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: MP_DB_URL=... %s MIGRATIONS_DIR\n",
		        argv[0]);
		return 2;
	}
	if (url == NULL || *url == '\0') {
		fprintf(stderr, "config: MP_DB_URL is required (PostgreSQL "
		                "connection URL)\n");
		return 2;
	}
	if (mp_migrate_run(url, argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "migrate: %s\n", err);
		return 1;
	}
	printf("migrate: %d migrations applied in total\n",
	       mp_migrate_count(url));
	return 0;
}
