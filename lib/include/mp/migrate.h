/*
 * Schema migrations: numbered .sql files per service (0001_init.sql, ...),
 * each applied in its own transaction and recorded with its checksum in
 * schema_migrations, under a session advisory lock so that two replicas
 * starting together never race. The library's own tables (outbox, inbox,
 * mp_emit, mp_uuid_v7) come first as the built-in migration lib-0001.
 */
#ifndef MP_MIGRATE_H
#define MP_MIGRATE_H

#include <stddef.h>

/* Apply what is missing. Waits up to 30 s for the database to accept
 * connections. 0 on success; otherwise negative and one line in err naming
 * the file and the database's reason. A file changed after it was applied
 * is an error (checksum mismatch), never silently skipped. */
int mp_migrate_run(const char *db_url, const char *dir, char *err,
                   size_t errlen);

/* Number of migrations applied so far (for status output), or negative. */
int mp_migrate_count(const char *db_url);

#endif
