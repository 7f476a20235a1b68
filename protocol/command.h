/*
 * Command phase: COM_* command bytes sent by a client as the first payload
 * byte of a request with sequence id 0.
 */
#ifndef SP_PROTOCOL_COMMAND_H
#define SP_PROTOCOL_COMMAND_H

#include <stdint.h>

#define SP_COMMAND_LIST(X)                                                   \
    X(COM_SLEEP, 0x00)                                                       \
    X(COM_QUIT, 0x01)                                                        \
    X(COM_INIT_DB, 0x02)                                                     \
    X(COM_QUERY, 0x03)                                                       \
    X(COM_FIELD_LIST, 0x04)                                                  \
    X(COM_CREATE_DB, 0x05)                                                   \
    X(COM_DROP_DB, 0x06)                                                     \
    X(COM_REFRESH, 0x07)                                                     \
    X(COM_SHUTDOWN, 0x08)                                                    \
    X(COM_STATISTICS, 0x09)                                                  \
    X(COM_PROCESS_INFO, 0x0A)                                                \
    X(COM_CONNECT, 0x0B)                                                     \
    X(COM_PROCESS_KILL, 0x0C)                                                \
    X(COM_DEBUG, 0x0D)                                                       \
    X(COM_PING, 0x0E)                                                        \
    X(COM_TIME, 0x0F)                                                        \
    X(COM_DELAYED_INSERT, 0x10)                                              \
    X(COM_CHANGE_USER, 0x11)                                                 \
    X(COM_BINLOG_DUMP, 0x12)                                                 \
    X(COM_TABLE_DUMP, 0x13)                                                  \
    X(COM_CONNECT_OUT, 0x14)                                                 \
    X(COM_REGISTER_SLAVE, 0x15)                                              \
    X(COM_STMT_PREPARE, 0x16)                                                \
    X(COM_STMT_EXECUTE, 0x17)                                                \
    X(COM_STMT_SEND_LONG_DATA, 0x18)                                         \
    X(COM_STMT_CLOSE, 0x19)                                                  \
    X(COM_STMT_RESET, 0x1A)                                                  \
    X(COM_SET_OPTION, 0x1B)                                                  \
    X(COM_STMT_FETCH, 0x1C)                                                  \
    X(COM_DAEMON, 0x1D)                                                      \
    X(COM_BINLOG_DUMP_GTID, 0x1E)                                            \
    X(COM_RESET_CONNECTION, 0x1F)

enum sp_command {
#define SP_COMMAND_ENUM(name, value) SP_##name = value,
    SP_COMMAND_LIST(SP_COMMAND_ENUM)
#undef SP_COMMAND_ENUM
};

/* Returns "COM_QUERY" and so on, or "COM_UNKNOWN". */
const char *sp_command_name(uint8_t command);

#endif
