/*
 * Incremental tracker of a server's response to one command.
 *
 * A proxy that streams a response packet by packet must know the role of
 * each physical packet: OK, ERR, column count, column definition, row, the
 * EOF that ends a result set, and so on. It must also know when the whole
 * response has arrived, including result sets chained by
 * SERVER_MORE_RESULTS_EXISTS. A COM_STMT_PREPARE response is a prepare OK
 * followed by parameter and column definitions. The tracker decides both from packet headers
 * and the first bytes of each payload, so large rows can be forwarded
 * before their last byte has arrived.
 */
#ifndef SP_PROTOCOL_RESPONSE_H
#define SP_PROTOCOL_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/*
 * Payload bytes the caller must supply for the first physical packet of a
 * logical packet: the whole payload when it is at most this long, else at
 * least this many. OK, ERR and EOF packets always fit, so their fields
 * (status flags, warnings) can be read.
 */
#define SP_RESPONSE_HEAD_MAX 16384

enum sp_response_mode {
    SP_RESPONSE_MODE_QUERY,      /* COM_QUERY, COM_INIT_DB, most commands */
    SP_RESPONSE_MODE_FIELD_LIST, /* COM_FIELD_LIST: definitions, then EOF */
    SP_RESPONSE_MODE_SINGLE,     /* one packet of any kind (COM_STATISTICS) */
    SP_RESPONSE_MODE_PREPARE,    /* COM_STMT_PREPARE: prepare OK and definitions, or ERR */
    SP_RESPONSE_MODE_FETCH       /* COM_STMT_FETCH: rows and their end, or ERR */
};

enum sp_packet_role {
    SP_ROLE_OK,           /* OK; ends the response unless more results follow */
    SP_ROLE_ERR,          /* ERR; always ends the response */
    SP_ROLE_COLUMN_COUNT,
    SP_ROLE_COLUMN_DEF,
    SP_ROLE_COLUMNS_EOF,  /* the EOF after the definitions (classic EOF only) */
    SP_ROLE_ROW,
    SP_ROLE_ROWS_END,     /* EOF, or OK with 0xFE header, after the last row; also the EOF
                           * after the definitions when an execute opened a cursor */
    SP_ROLE_LOCAL_INFILE, /* LOCAL INFILE request; the proxy never enables it */
    SP_ROLE_OTHER,        /* the packet of a SINGLE-mode response */
    SP_ROLE_PREPARE_OK,   /* COM_STMT_PREPARE_OK */
    SP_ROLE_PARAM_DEF,    /* a parameter definition after a prepare OK */
    SP_ROLE_PARAMS_EOF    /* the EOF after the parameter definitions (classic EOF only) */
};

enum sp_response_state {
    SP_RESPONSE_FIRST,       /* expecting the first packet of a result */
    SP_RESPONSE_PARAM_DEFS,
    SP_RESPONSE_PARAMS_EOF,
    SP_RESPONSE_COLUMN_DEFS,
    SP_RESPONSE_COLUMNS_EOF,
    SP_RESPONSE_ROWS,
    SP_RESPONSE_DONE
};

struct sp_response_tracker {
    enum sp_response_mode mode;
    enum sp_response_state state;
    bool deprecate_eof;         /* negotiated with the server that replies */
    bool continuing;            /* the last physical packet was 0xFFFFFF long */
    enum sp_packet_role last_role;
    uint64_t columns_left;
    uint64_t params_left;       /* SP_RESPONSE_MODE_PREPARE */
    uint16_t status;            /* status flags of the last OK/EOF seen */
    uint16_t warnings;          /* warnings of the last OK/EOF seen */
    uint64_t affected_rows;     /* of the last OK seen */
    uint64_t last_insert_id;    /* of the last OK seen */
    uint64_t result_sets;       /* result sets begun (column counts seen) */
    uint64_t rows;              /* rows of the last result set */
};

void sp_response_tracker_init(struct sp_response_tracker *t, enum sp_response_mode mode,
                              bool deprecate_eof);

/*
 * Feeds the next physical packet: LEN is its payload length from the
 * header, HEAD its first AVAIL payload bytes (see SP_RESPONSE_HEAD_MAX).
 * Stores the packet's role in *ROLE; a continuation packet of a logical
 * packet longer than 0xFFFFFF bytes gets the role of its first part.
 * Returns SP_OK, or SP_EPROTO when the packet cannot occur at this point
 * (the connection is then unusable).
 */
int sp_response_tracker_feed(struct sp_response_tracker *t, uint32_t len, const uint8_t *head,
                             size_t avail, enum sp_packet_role *role) SP_WARN_UNUSED;

static inline bool
sp_response_tracker_done(const struct sp_response_tracker *t)
{
    return t->state == SP_RESPONSE_DONE;
}

#endif
