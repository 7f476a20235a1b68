/*
 * Unit tests for protocol/command.c: COM_* names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/command.h"

static void
command_names_known(void **state)
{
    assert_string_equal(sp_command_name(SP_COM_SLEEP), "COM_SLEEP");
    assert_string_equal(sp_command_name(SP_COM_QUIT), "COM_QUIT");
    assert_string_equal(sp_command_name(SP_COM_INIT_DB), "COM_INIT_DB");
    assert_string_equal(sp_command_name(SP_COM_QUERY), "COM_QUERY");
    assert_string_equal(sp_command_name(0x03), "COM_QUERY");
    assert_string_equal(sp_command_name(SP_COM_FIELD_LIST), "COM_FIELD_LIST");
    assert_string_equal(sp_command_name(SP_COM_PING), "COM_PING");
    assert_string_equal(sp_command_name(SP_COM_CHANGE_USER), "COM_CHANGE_USER");
    assert_string_equal(sp_command_name(SP_COM_STMT_PREPARE), "COM_STMT_PREPARE");
    assert_string_equal(sp_command_name(SP_COM_STMT_EXECUTE), "COM_STMT_EXECUTE");
    assert_string_equal(sp_command_name(SP_COM_SET_OPTION), "COM_SET_OPTION");
    assert_string_equal(sp_command_name(SP_COM_RESET_CONNECTION), "COM_RESET_CONNECTION");
    assert_string_equal(sp_command_name(0x1F), "COM_RESET_CONNECTION");
}

static void
command_names_every_byte(void **state)
{
    unsigned v;

    for (v = 0; v <= 0xFF; v++) {
        const char *name = sp_command_name((uint8_t)v);

        assert_non_null(name);
        if (v <= 0x1F) {
            assert_int_equal(strncmp(name, "COM_", 4), 0);
            assert_string_not_equal(name, "COM_UNKNOWN");
        } else {
            assert_string_equal(name, "COM_UNKNOWN");
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(command_names_known),
        cmocka_unit_test(command_names_every_byte),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
