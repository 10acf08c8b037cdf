/*
 * schema: the SQL migrations, embedded into the binary at build time from
 * schema/NNNN_*.sql.  store/ applies those above PRAGMA user_version, in
 * order, each in its own transaction.  Borrowed static data.
 */
#ifndef BV_SCHEMA_H
#define BV_SCHEMA_H

#include <stddef.h>

struct schema_migration {
    int version;      /* NNNN of the file name */
    const char *name; /* file name */
    const char *sql;  /* the file's text */
};

extern const struct schema_migration schema_migrations[];
extern const size_t schema_migration_count;

#endif
