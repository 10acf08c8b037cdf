/*
 * store_project.c: a project's own settings that are columns of its row
 * (schema 0007: repository_url).  The caller validated the value; this
 * file only binds it.
 */
#include "store/store_int.h"

enum err store_project_set_repository(struct store *st, const char *project,
                                      const char *url, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    if (st->mode == STORE_READONLY) {
        err_set(eb, "set repository: the database is open read-only");
        return ERR_DB;
    }
    e = store_stmt(st, SQ_PROJECT_SET_REPOSITORY,
                   "UPDATE project SET repository_url = ?2 WHERE slug = ?1", &s,
                   eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, project);
    store_bind_text(&b, url);
    e = store_step_bound(st, &b, &row, eb, "set repository");
    if (e == ERR_OK && sqlite3_changes(st->db) == 0) {
        err_set(eb, "no such project");
        e = ERR_NOT_FOUND;
    }
out:
    store_stmt_done(s);
    return e;
}
