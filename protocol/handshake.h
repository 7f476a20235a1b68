/*
 * Connection phase: Handshake V10 (server greeting), HandshakeResponse41
 * (client reply) and capability flags. Pure codecs; the session state
 * machines in proxy/ decide what to send.
 */
#ifndef SP_PROTOCOL_HANDSHAKE_H
#define SP_PROTOCOL_HANDSHAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/status.h"
#include "common/str.h"
#include "protocol/codec.h"

/* Capability flags, named as in the MySQL protocol documentation. */
#define SP_CLIENT_LONG_PASSWORD 0x00000001u
#define SP_CLIENT_FOUND_ROWS 0x00000002u
#define SP_CLIENT_LONG_FLAG 0x00000004u
#define SP_CLIENT_CONNECT_WITH_DB 0x00000008u
#define SP_CLIENT_NO_SCHEMA 0x00000010u
#define SP_CLIENT_COMPRESS 0x00000020u
#define SP_CLIENT_ODBC 0x00000040u
#define SP_CLIENT_LOCAL_FILES 0x00000080u
#define SP_CLIENT_IGNORE_SPACE 0x00000100u
#define SP_CLIENT_PROTOCOL_41 0x00000200u
#define SP_CLIENT_INTERACTIVE 0x00000400u
#define SP_CLIENT_SSL 0x00000800u
#define SP_CLIENT_IGNORE_SIGPIPE 0x00001000u
#define SP_CLIENT_TRANSACTIONS 0x00002000u
#define SP_CLIENT_RESERVED 0x00004000u
#define SP_CLIENT_SECURE_CONNECTION 0x00008000u
#define SP_CLIENT_MULTI_STATEMENTS 0x00010000u
#define SP_CLIENT_MULTI_RESULTS 0x00020000u
#define SP_CLIENT_PS_MULTI_RESULTS 0x00040000u
#define SP_CLIENT_PLUGIN_AUTH 0x00080000u
#define SP_CLIENT_CONNECT_ATTRS 0x00100000u
#define SP_CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA 0x00200000u
#define SP_CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS 0x00400000u
#define SP_CLIENT_SESSION_TRACK 0x00800000u
#define SP_CLIENT_DEPRECATE_EOF 0x01000000u

/* Server status flags carried by OK and EOF packets. */
#define SP_SERVER_STATUS_IN_TRANS 0x0001u
#define SP_SERVER_STATUS_AUTOCOMMIT 0x0002u
#define SP_SERVER_MORE_RESULTS_EXISTS 0x0008u
#define SP_SERVER_STATUS_NO_GOOD_INDEX_USED 0x0010u
#define SP_SERVER_STATUS_NO_INDEX_USED 0x0020u
#define SP_SERVER_STATUS_CURSOR_EXISTS 0x0040u
#define SP_SERVER_STATUS_LAST_ROW_SENT 0x0080u
#define SP_SERVER_STATUS_DB_DROPPED 0x0100u
#define SP_SERVER_STATUS_NO_BACKSLASH_ESCAPES 0x0200u
#define SP_SERVER_STATUS_METADATA_CHANGED 0x0400u
#define SP_SERVER_QUERY_WAS_SLOW 0x0800u
#define SP_SERVER_PS_OUT_PARAMS 0x1000u
#define SP_SERVER_STATUS_IN_TRANS_READONLY 0x2000u
#define SP_SERVER_SESSION_STATE_CHANGED 0x4000u

#define SP_SCRAMBLE_LEN 20

/* Initial Handshake Packet, protocol version 10. Strings borrow the payload. */
struct sp_handshake_v10 {
    uint8_t protocol_version;   /* always 10 */
    struct sp_str server_version;
    uint32_t connection_id;
    uint8_t scramble[SP_SCRAMBLE_LEN]; /* auth-plugin-data parts 1 and 2 */
    uint32_t capabilities;
    uint8_t collation;          /* server default collation id */
    uint16_t status;
    struct sp_str auth_plugin;  /* empty when PLUGIN_AUTH is not set */
};

/*
 * Parses a server greeting. Returns SP_EPROTO for a truncated packet or a
 * protocol version other than 10, SP_EUNSUPPORTED when the server lacks
 * CLIENT_PROTOCOL_41 or offers a scramble shorter than 20 bytes. The plugin
 * name may lack its final NUL, as clients accept.
 */
int sp_handshake_v10_parse(const uint8_t *payload, size_t len, struct sp_handshake_v10 *out) SP_WARN_UNUSED;

/* Appends the payload of a greeting (no packet header) to OUT. */
int sp_handshake_v10_build(struct sp_buf *out, const struct sp_handshake_v10 *hs) SP_WARN_UNUSED;

/* HandshakeResponse41 (or, when ssl_request is set, an SSLRequest). */
struct sp_handshake_response {
    uint32_t capabilities;
    uint32_t max_packet_size;
    uint8_t collation;
    struct sp_str user;
    struct sp_str auth_response;
    struct sp_str database;     /* set only with CLIENT_CONNECT_WITH_DB */
    struct sp_str auth_plugin;  /* set only with CLIENT_PLUGIN_AUTH */
    struct sp_str attrs;        /* raw key/value block with CLIENT_CONNECT_ATTRS */
    bool ssl_request;           /* the 32-byte SSLRequest, nothing else */
};

/*
 * Parses a client's reply to the greeting. Flags the client sets that the
 * server did not offer (SERVER_CAPS) are masked off in out->capabilities,
 * and the masked flags decide the layout. Clients without
 * CLIENT_PROTOCOL_41 get SP_EUNSUPPORTED; malformed or truncated fields
 * SP_EPROTO. As in MariaDB, the plugin name may be missing, and the
 * database or plugin name may lack its NUL when it ends the packet.
 */
int sp_handshake_response_parse(const uint8_t *payload, size_t len, uint32_t server_caps,
                                struct sp_handshake_response *out) SP_WARN_UNUSED;

/* COM_CHANGE_USER: log in again as another (or the same) user on the same connection. */
struct sp_change_user {
    struct sp_str user;
    struct sp_str auth_response;  /* computed with the scramble of the connection's greeting */
    struct sp_str database;
    uint16_t charset;             /* collation id, 0 when the client sent none */
    struct sp_str auth_plugin;    /* set only with CLIENT_PLUGIN_AUTH */
    struct sp_str attrs;          /* raw key/value block with CLIENT_CONNECT_ATTRS */
};

/*
 * Parses a COM_CHANGE_USER payload (command byte included) laid out for
 * the capabilities CAPS negotiated at login. The fields after the
 * database are optional, as in MariaDB. Returns SP_OK, or SP_EPROTO when
 * the packet is not a change-user command or is truncated.
 */
int sp_change_user_parse(const uint8_t *payload, size_t len, uint32_t caps,
                         struct sp_change_user *out) SP_WARN_UNUSED;

/* Appends the payload of a HandshakeResponse41 built from RESP to OUT. */
int sp_handshake_response_build(struct sp_buf *out, const struct sp_handshake_response *resp) SP_WARN_UNUSED;

/*
 * Walks the CONNECT_ATTRS block: on each call stores the next key and value
 * and returns SP_OK, SP_ENOTFOUND at the end, SP_EPROTO when malformed.
 */
int sp_handshake_attrs_next(struct sp_cursor *attrs, struct sp_str *key, struct sp_str *value) SP_WARN_UNUSED;

#endif
