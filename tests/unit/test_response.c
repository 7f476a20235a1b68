/*
 * Unit tests for protocol/response.c: the role of each packet of a
 * server's response and where the response ends, for result sets and for
 * COM_STMT_PREPARE responses, with classic EOF and with DEPRECATE_EOF.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/response.h"

/* A column definition: catalog "def", empty names, the fixed-length fields. */
static const uint8_t column_def[] = {3, 'd', 'e', 'f', 0, 0, 0, 1, 'a', 0, 0x0c, 0x3f, 0,
                                     11, 0, 0, 0, 3, 0, 0, 0, 0, 0};
static const uint8_t eof[] = {0xFE, 0, 0, 2, 0};
static const uint8_t ok[] = {0x00, 0, 0, 2, 0, 0, 0};
static const uint8_t err[] = {0xFF, 0x28, 0x04, '#', '4', '2', '0', '0', '0', 'x'};

/* Prepare OK: statement 7, COLUMNS columns, PARAMS parameters, 1 warning. */
static void
prepare_ok(uint8_t *out, uint16_t columns, uint16_t params)
{
    const uint8_t head[] = {0x00, 7, 0, 0, 0, (uint8_t)columns, (uint8_t)(columns >> 8),
                            (uint8_t)params, (uint8_t)(params >> 8), 0, 1, 0};

    memcpy(out, head, sizeof(head));
}

static enum sp_packet_role
feed(struct sp_response_tracker *t, const uint8_t *payload, size_t len)
{
    enum sp_packet_role role;

    assert_int_equal(sp_response_tracker_feed(t, (uint32_t)len, payload, len, &role), SP_OK);
    return role;
}

static void
prepare_with_params_and_columns(void **state)
{
    struct sp_response_tracker t;
    uint8_t head[12];

    (void)state;
    prepare_ok(head, 2, 1);
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_PREPARE, false);
    assert_int_equal(feed(&t, head, sizeof(head)), SP_ROLE_PREPARE_OK);
    assert_int_equal(t.warnings, 1);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_PARAM_DEF);
    assert_int_equal(feed(&t, eof, sizeof(eof)), SP_ROLE_PARAMS_EOF);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_COLUMN_DEF);
    assert_false(sp_response_tracker_done(&t));
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_COLUMN_DEF);
    assert_int_equal(feed(&t, eof, sizeof(eof)), SP_ROLE_COLUMNS_EOF);
    assert_true(sp_response_tracker_done(&t));
}

static void
prepare_without_eof_packets(void **state)
{
    struct sp_response_tracker t;
    uint8_t head[12];

    (void)state;
    prepare_ok(head, 1, 2);
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_PREPARE, true);
    assert_int_equal(feed(&t, head, sizeof(head)), SP_ROLE_PREPARE_OK);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_PARAM_DEF);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_PARAM_DEF);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_COLUMN_DEF);
    assert_true(sp_response_tracker_done(&t));
}

static void
prepare_without_definitions_ends_at_ok(void **state)
{
    struct sp_response_tracker t;
    uint8_t head[12];

    (void)state;
    prepare_ok(head, 0, 0);
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_PREPARE, false);
    assert_int_equal(feed(&t, head, sizeof(head)), SP_ROLE_PREPARE_OK);
    assert_true(sp_response_tracker_done(&t));

    /* Parameters only: the EOF after them ends the response. */
    prepare_ok(head, 0, 1);
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_PREPARE, false);
    assert_int_equal(feed(&t, head, sizeof(head)), SP_ROLE_PREPARE_OK);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_PARAM_DEF);
    assert_int_equal(feed(&t, eof, sizeof(eof)), SP_ROLE_PARAMS_EOF);
    assert_true(sp_response_tracker_done(&t));
}

static void
prepare_error_and_malformed(void **state)
{
    struct sp_response_tracker t;
    enum sp_packet_role role;
    uint8_t head[12];

    (void)state;
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_PREPARE, false);
    assert_int_equal(feed(&t, err, sizeof(err)), SP_ROLE_ERR);
    assert_true(sp_response_tracker_done(&t));

    /* A prepare OK cut before its counts. */
    prepare_ok(head, 1, 1);
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_PREPARE, false);
    assert_int_equal(sp_response_tracker_feed(&t, 5, head, 5, &role), SP_EPROTO);

    /* An EOF where a parameter definition belongs. */
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_PREPARE, false);
    assert_int_equal(feed(&t, head, sizeof(head)), SP_ROLE_PREPARE_OK);
    assert_int_equal(sp_response_tracker_feed(&t, sizeof(eof), eof, sizeof(eof), &role),
                     SP_EPROTO);
}

static void
query_result_set_and_ok(void **state)
{
    const uint8_t count[] = {1};
    const uint8_t row[] = {1, '5'};
    struct sp_response_tracker t;

    (void)state;
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_QUERY, false);
    assert_int_equal(feed(&t, count, sizeof(count)), SP_ROLE_COLUMN_COUNT);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_COLUMN_DEF);
    assert_int_equal(feed(&t, eof, sizeof(eof)), SP_ROLE_COLUMNS_EOF);
    assert_int_equal(feed(&t, row, sizeof(row)), SP_ROLE_ROW);
    assert_int_equal(feed(&t, eof, sizeof(eof)), SP_ROLE_ROWS_END);
    assert_true(sp_response_tracker_done(&t));

    sp_response_tracker_init(&t, SP_RESPONSE_MODE_QUERY, false);
    assert_int_equal(feed(&t, ok, sizeof(ok)), SP_ROLE_OK);
    assert_true(sp_response_tracker_done(&t));
}

static void
cursor_open_and_fetch(void **state)
{
    const uint8_t count[] = {1};
    const uint8_t cursor_eof[] = {0xFE, 0, 0, 0x42, 0};   /* AUTOCOMMIT | CURSOR_EXISTS */
    const uint8_t last_eof[] = {0xFE, 0, 0, 0xC2, 0};     /* ... | LAST_ROW_SENT */
    const uint8_t row[] = {0x00, 0x00, 5, 0, 0, 0};
    struct sp_response_tracker t;

    (void)state;
    /* The execute's response ends after the definitions. */
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_QUERY, false);
    assert_int_equal(feed(&t, count, sizeof(count)), SP_ROLE_COLUMN_COUNT);
    assert_int_equal(feed(&t, column_def, sizeof(column_def)), SP_ROLE_COLUMN_DEF);
    assert_int_equal(feed(&t, cursor_eof, sizeof(cursor_eof)), SP_ROLE_ROWS_END);
    assert_true(sp_response_tracker_done(&t));
    assert_int_equal(t.status, 0x42);

    /* A fetch returns rows and an EOF. */
    sp_response_tracker_init(&t, SP_RESPONSE_MODE_FETCH, false);
    assert_int_equal(feed(&t, row, sizeof(row)), SP_ROLE_ROW);
    assert_int_equal(feed(&t, last_eof, sizeof(last_eof)), SP_ROLE_ROWS_END);
    assert_true(sp_response_tracker_done(&t));
    assert_int_equal(t.status, 0xC2);

    sp_response_tracker_init(&t, SP_RESPONSE_MODE_FETCH, false);
    assert_int_equal(feed(&t, err, sizeof(err)), SP_ROLE_ERR);
    assert_true(sp_response_tracker_done(&t));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prepare_with_params_and_columns),
        cmocka_unit_test(prepare_without_eof_packets),
        cmocka_unit_test(prepare_without_definitions_ends_at_ok),
        cmocka_unit_test(prepare_error_and_malformed),
        cmocka_unit_test(query_result_set_and_ok),
        cmocka_unit_test(cursor_open_and_fetch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
