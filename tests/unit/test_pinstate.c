/*
 * Unit tests for proxy/pinstate.c: which table locks, user locks and
 * temporary tables a held backend connection keeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/pinstate.h"

static const struct sp_str db = SP_STR_LIT("shop");

static void
apply(struct sp_pin_state *st, const struct sp_pin_effect *effect)
{
    assert_int_equal(sp_pin_state_apply(st, effect, db), SP_OK);
}

static void
table_and_user_locks(void **state)
{
    struct sp_pin_state st = {0};
    struct sp_pin_effect effect;

    (void)state;
    memset(&effect, 0, sizeof(effect));
    effect.lock_tables = true;
    apply(&st, &effect);
    assert_true(sp_pin_state_active(&st));

    memset(&effect, 0, sizeof(effect));
    effect.unlock_tables = true;
    apply(&st, &effect);
    assert_false(sp_pin_state_active(&st));

    /* Two locks taken, one released: one is left. */
    memset(&effect, 0, sizeof(effect));
    effect.user_locks_get = 2;
    apply(&st, &effect);
    memset(&effect, 0, sizeof(effect));
    effect.user_locks_release = 1;
    apply(&st, &effect);
    assert_int_equal(st.user_locks, 1);
    assert_true(sp_pin_state_active(&st));

    /* Releasing more than was taken leaves none, not a negative count. */
    effect.user_locks_release = 5;
    apply(&st, &effect);
    assert_int_equal(st.user_locks, 0);

    /* RELEASE_ALL_LOCKS() first, then a GET_LOCK() in the same statement. */
    memset(&effect, 0, sizeof(effect));
    effect.user_locks_get = 3;
    apply(&st, &effect);
    effect.user_locks_get = 1;
    effect.user_locks_release_all = true;
    apply(&st, &effect);
    assert_int_equal(st.user_locks, 1);
    sp_pin_state_clear(&st);
    assert_false(sp_pin_state_active(&st));
}

static void
temporary_tables_by_name(void **state)
{
    struct sp_pin_state st = {0};
    struct sp_pin_effect effect;

    (void)state;
    memset(&effect, 0, sizeof(effect));
    effect.temp_create = true;
    effect.ntemp = 1;
    effect.temp_name[0] = sp_str_cstr("t");
    apply(&st, &effect);
    apply(&st, &effect); /* IF NOT EXISTS: still one table */
    effect.temp_db[0] = sp_str_cstr("other");
    apply(&st, &effect);
    assert_int_equal(st.ntemps, 2);

    /* shop.t, spelled with its database, is the unqualified t above. */
    memset(&effect, 0, sizeof(effect));
    effect.temp_drop = true;
    effect.ntemp = 2;
    effect.temp_db[0] = sp_str_cstr("shop");
    effect.temp_name[0] = sp_str_cstr("t");
    effect.temp_name[1] = sp_str_cstr("unknown");
    apply(&st, &effect);
    assert_int_equal(st.ntemps, 1);
    assert_true(sp_pin_state_active(&st));

    /* Names compare exactly: T is another table. */
    memset(&effect, 0, sizeof(effect));
    effect.temp_drop = true;
    effect.ntemp = 1;
    effect.temp_db[0] = sp_str_cstr("other");
    effect.temp_name[0] = sp_str_cstr("T");
    apply(&st, &effect);
    assert_int_equal(st.ntemps, 1);
    effect.temp_name[0] = sp_str_cstr("t");
    apply(&st, &effect);
    assert_false(sp_pin_state_active(&st));
    sp_pin_state_clear(&st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_and_user_locks),
        cmocka_unit_test(temporary_tables_by_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
