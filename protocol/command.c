/*
 * Names of the COM_* command bytes, for logs and error messages. A lookup
 * table only: it does not parse command payloads.
 */
#include "protocol/command.h"

const char *
sp_command_name(uint8_t command)
{
    switch (command) {
#define SP_COMMAND_CASE(name, value)                                         \
    case value:                                                              \
        return #name;
        SP_COMMAND_LIST(SP_COMMAND_CASE)
#undef SP_COMMAND_CASE
    default:
        return "COM_UNKNOWN";
    }
}
