/*
 * Unit tests of store/'s browser sessions (store_session.c): a fresh
 * database per test in its own mkdtemp folder, through store.h only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "store/store.h"
#include "tmpdb.h"

#define H (3600LL * 1000)
#define IDLE (12 * H)
#define MAX (7 * 24 * H)

static int64_t token(struct store *st, const char *name, enum token_scope sc,
                     const char *project)
{
    char *secret = NULL;
    int64_t id = 0;

    assert_int_equal(
        store_token_create(st, name, sc, project, &secret, &id, NULL), ERR_OK);
    free(secret);
    return id;
}

/* A session acts with its token: scope and project come from it. */
static void test_create_and_lookup(void **state)
{
    struct tmpdb *f = *state;
    int64_t tid = token(f->st, "w", SCOPE_WRITE, "alpha");
    struct store_session s;
    char *sid = NULL;

    assert_int_equal(store_session_create(f->st, tid, 1000, &sid, NULL),
                     ERR_OK);
    assert_int_equal(strlen(sid), STORE_SESSION_ID_LEN);
    assert_int_equal(strspn(sid, "0123456789abcdef"), STORE_SESSION_ID_LEN);
    assert_int_equal(store_session_lookup(f->st, sid, 2000, IDLE, MAX, &s),
                     ERR_OK);
    assert_int_equal(s.token.id, tid);
    assert_int_equal(s.token.scope, SCOPE_WRITE);
    assert_string_equal(s.token.project, "alpha");
    assert_string_equal(s.token.name, "w");
    assert_int_equal(s.created_at, 1000);
    store_session_cleanup(&s);
    /* malformed, unknown, upper-case: no session */
    assert_int_equal(store_session_lookup(f->st, "", 2000, IDLE, MAX, &s),
                     ERR_AUTH);
    assert_int_equal(store_session_lookup(f->st, "abc", 2000, IDLE, MAX, &s),
                     ERR_AUTH);
    sid[0] = sid[0] == 'a' ? 'b' : 'a';
    assert_int_equal(store_session_lookup(f->st, sid, 2000, IDLE, MAX, &s),
                     ERR_AUTH);
    free(sid);
}

/* Idle expiry from last_seen_at (moved by touch), absolute from creation. */
static void test_expiry(void **state)
{
    struct tmpdb *f = *state;
    int64_t tid = token(f->st, "r", SCOPE_READ, NULL), gone = -1;
    struct store_session s;
    char *sid = NULL;

    assert_int_equal(store_session_create(f->st, tid, 0, &sid, NULL), ERR_OK);
    assert_int_equal(store_session_lookup(f->st, sid, IDLE - 1, IDLE, MAX, &s),
                     ERR_OK);
    store_session_cleanup(&s);
    assert_int_equal(store_session_lookup(f->st, sid, IDLE, IDLE, MAX, &s),
                     ERR_AUTH);
    /* touched at 11 h: alive at 22 h, however the clock of a late touch
     * says (never backwards) */
    assert_int_equal(store_session_touch(f->st, 1, 11 * H, NULL), ERR_OK);
    assert_int_equal(store_session_touch(f->st, 1, 5 * H, NULL), ERR_OK);
    assert_int_equal(store_session_lookup(f->st, sid, 22 * H, IDLE, MAX, &s),
                     ERR_OK);
    store_session_cleanup(&s);
    /* kept busy: still ends at the absolute limit */
    for (int64_t t = 22 * H; t < MAX; t += 10 * H)
        assert_int_equal(store_session_touch(f->st, 1, t, NULL), ERR_OK);
    assert_int_equal(store_session_lookup(f->st, sid, MAX - 1, IDLE, MAX, &s),
                     ERR_OK);
    store_session_cleanup(&s);
    assert_int_equal(store_session_lookup(f->st, sid, MAX, IDLE, MAX, &s),
                     ERR_AUTH);
    assert_int_equal(store_sessions_expire(f->st, MAX, IDLE, MAX, &gone, NULL),
                     ERR_OK);
    assert_int_equal(gone, 1);
    free(sid);
}

/* Revoking the token ends its sessions; sign-out deletes one. */
static void test_revoke_and_delete(void **state)
{
    struct tmpdb *f = *state;
    int64_t tid = token(f->st, "w", SCOPE_WRITE, NULL), gone = -1;
    struct store_session s;
    char *a = NULL, *b = NULL;

    assert_int_equal(store_session_create(f->st, tid, 0, &a, NULL), ERR_OK);
    assert_int_equal(store_session_create(f->st, tid, 0, &b, NULL), ERR_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(store_session_delete(f->st, a, NULL), ERR_OK);
    assert_int_equal(store_session_lookup(f->st, a, 1, IDLE, MAX, &s),
                     ERR_AUTH);
    assert_int_equal(store_session_lookup(f->st, b, 1, IDLE, MAX, &s), ERR_OK);
    store_session_cleanup(&s);
    assert_int_equal(store_session_delete(f->st, "not-a-session", NULL),
                     ERR_OK);
    assert_int_equal(store_token_revoke(f->st, "w", NULL), ERR_OK);
    assert_int_equal(store_session_lookup(f->st, b, 1, IDLE, MAX, &s),
                     ERR_AUTH);
    assert_int_equal(store_sessions_expire(f->st, 1, IDLE, MAX, &gone, NULL),
                     ERR_OK);
    assert_int_equal(gone, 1);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_lookup, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_expiry, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_revoke_and_delete, tmpdb_setup,
                                        tmpdb_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
