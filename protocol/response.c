/*
 * Response tracking: the result-set grammar of the text protocol.
 *
 *   response   = OK | ERR | LOCAL_INFILE | resultset
 *   resultset  = column-count column-def* [EOF] row* (EOF | OK-0xFE | ERR)
 *   prepared   = ERR | prepare-ok [param-def+ [EOF]] [column-def+ [EOF]]
 *
 * and any OK or terminating EOF with SERVER_MORE_RESULTS_EXISTS is
 * followed by another response. No I/O and no allocation.
 */
#include "protocol/response.h"

#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/result.h"

void
sp_response_tracker_init(struct sp_response_tracker *t, enum sp_response_mode mode,
                         bool deprecate_eof)
{
    t->mode = mode;
    if (mode == SP_RESPONSE_MODE_FIELD_LIST) {
        t->state = SP_RESPONSE_COLUMN_DEFS;
    } else if (mode == SP_RESPONSE_MODE_FETCH) {
        t->state = SP_RESPONSE_ROWS;
    } else {
        t->state = SP_RESPONSE_FIRST;
    }
    t->deprecate_eof = deprecate_eof;
    t->continuing = false;
    t->last_role = SP_ROLE_OTHER;
    t->columns_left = 0;
    t->params_left = 0;
    t->status = 0;
    t->warnings = 0;
    t->affected_rows = 0;
    t->last_insert_id = 0;
    t->result_sets = 0;
    t->rows = 0;
}

/* Sets the state after an OK or a terminating EOF with status STATUS. */
static void
tracker_finish_result(struct sp_response_tracker *t, uint16_t status)
{
    t->status = status;
    t->state = (status & SP_SERVER_MORE_RESULTS_EXISTS) ? SP_RESPONSE_FIRST : SP_RESPONSE_DONE;
}

static int
tracker_take_ok(struct sp_response_tracker *t, const uint8_t *head, size_t avail)
{
    struct sp_ok_packet ok;
    int rc;

    /* The backend connection never negotiates SESSION_TRACK, so caps 0 is right. */
    rc = sp_ok_parse(head, avail, SP_CLIENT_PROTOCOL_41, &ok);
    if (rc != SP_OK) {
        return SP_EPROTO;
    }
    t->warnings = ok.warnings;
    t->affected_rows = ok.affected_rows;
    t->last_insert_id = ok.last_insert_id;
    tracker_finish_result(t, ok.status);
    return SP_OK;
}

static int
tracker_take_eof(struct sp_response_tracker *t, const uint8_t *head, size_t avail)
{
    struct sp_eof_packet eof;

    if (sp_eof_parse(head, avail, &eof) != SP_OK) {
        return SP_EPROTO;
    }
    t->warnings = eof.warnings;
    tracker_finish_result(t, eof.status);
    return SP_OK;
}

static int
tracker_first(struct sp_response_tracker *t, uint32_t len, const uint8_t *head, size_t avail,
              enum sp_packet_role *role)
{
    uint64_t ncolumns;

    switch (sp_response_classify(head, avail < len ? avail : len, true, t->deprecate_eof)) {
    case SP_RESPONSE_OK:
        *role = SP_ROLE_OK;
        return tracker_take_ok(t, head, avail);
    case SP_RESPONSE_ERR:
        *role = SP_ROLE_ERR;
        t->state = SP_RESPONSE_DONE;
        return SP_OK;
    case SP_RESPONSE_LOCAL_INFILE:
        *role = SP_ROLE_LOCAL_INFILE;
        t->state = SP_RESPONSE_DONE;
        return SP_OK;
    case SP_RESPONSE_EOF:
        return SP_EPROTO;
    case SP_RESPONSE_DATA:
        break;
    }

    if (sp_column_count_parse(head, avail, &ncolumns) != SP_OK || ncolumns == 0) {
        return SP_EPROTO;
    }
    t->columns_left = ncolumns;
    t->state = SP_RESPONSE_COLUMN_DEFS;
    *role = SP_ROLE_COLUMN_COUNT;
    t->result_sets++;
    t->rows = 0;
    return SP_OK;
}

/* After the parameter definitions of a prepare response: column definitions, or the end. */
static void
tracker_prepare_columns(struct sp_response_tracker *t)
{
    t->state = t->columns_left > 0 ? SP_RESPONSE_COLUMN_DEFS : SP_RESPONSE_DONE;
}

/* The first packet of a COM_STMT_PREPARE response: ERR, or the prepare OK with its counts. */
static int
tracker_prepare_first(struct sp_response_tracker *t, uint32_t len, const uint8_t *head,
                      size_t avail, enum sp_packet_role *role)
{
    if (len > 0 && head[0] == SP_PACKET_ERR) {
        *role = SP_ROLE_ERR;
        t->state = SP_RESPONSE_DONE;
        return SP_OK;
    }
    /* 0x00, statement id (4 bytes), column count (2), parameter count (2), ... */
    if (len < 9 || avail < 9 || head[0] != SP_PACKET_OK) {
        return SP_EPROTO;
    }
    *role = SP_ROLE_PREPARE_OK;
    t->columns_left = (uint64_t)head[5] | (uint64_t)head[6] << 8;
    t->params_left = (uint64_t)head[7] | (uint64_t)head[8] << 8;
    t->status = 0;
    t->warnings = len >= 12 && avail >= 12 ? (uint16_t)(head[10] | head[11] << 8) : 0;
    if (t->params_left > 0) {
        t->state = SP_RESPONSE_PARAM_DEFS;
    } else {
        tracker_prepare_columns(t);
    }
    return SP_OK;
}

static int
tracker_param_defs(struct sp_response_tracker *t, uint32_t len, const uint8_t *head,
                   size_t avail, enum sp_packet_role *role)
{
    if (sp_response_classify(head, avail < len ? avail : len, false, false) != SP_RESPONSE_DATA ||
        t->params_left == 0) {
        return SP_EPROTO;
    }
    *role = SP_ROLE_PARAM_DEF;
    t->params_left--;
    if (t->params_left == 0) {
        if (t->deprecate_eof) {
            tracker_prepare_columns(t);
        } else {
            t->state = SP_RESPONSE_PARAMS_EOF;
        }
    }
    return SP_OK;
}

static int
tracker_rows(struct sp_response_tracker *t, uint32_t len, const uint8_t *head, size_t avail,
             enum sp_packet_role *role)
{
    switch (sp_response_classify(head, avail < len ? avail : len, false, t->deprecate_eof)) {
    case SP_RESPONSE_ERR:
        *role = SP_ROLE_ERR;
        t->state = SP_RESPONSE_DONE;
        return SP_OK;
    case SP_RESPONSE_EOF:
        *role = SP_ROLE_ROWS_END;
        return tracker_take_eof(t, head, avail);
    case SP_RESPONSE_OK:
        *role = SP_ROLE_ROWS_END;
        return tracker_take_ok(t, head, avail);
    default:
        *role = SP_ROLE_ROW;
        t->rows++;
        return SP_OK;
    }
}

static int
tracker_column_defs(struct sp_response_tracker *t, uint32_t len, const uint8_t *head,
                    size_t avail, enum sp_packet_role *role)
{
    enum sp_response_kind kind;

    kind = sp_response_classify(head, avail < len ? avail : len, false, false);

    if (t->mode == SP_RESPONSE_MODE_FIELD_LIST) {
        /* COM_FIELD_LIST: definitions until an EOF (or an ERR first). */
        if (kind == SP_RESPONSE_ERR) {
            *role = SP_ROLE_ERR;
            t->state = SP_RESPONSE_DONE;
            return SP_OK;
        }
        if (kind == SP_RESPONSE_EOF || (t->deprecate_eof && kind == SP_RESPONSE_OK)) {
            *role = SP_ROLE_ROWS_END;
            return kind == SP_RESPONSE_EOF ? tracker_take_eof(t, head, avail)
                                           : tracker_take_ok(t, head, avail);
        }
        *role = SP_ROLE_COLUMN_DEF;
        return SP_OK;
    }

    if (kind != SP_RESPONSE_DATA || t->columns_left == 0) {
        return SP_EPROTO;
    }
    *role = SP_ROLE_COLUMN_DEF;
    t->columns_left--;
    if (t->columns_left == 0) {
        if (!t->deprecate_eof) {
            t->state = SP_RESPONSE_COLUMNS_EOF;
        } else {
            t->state = t->mode == SP_RESPONSE_MODE_PREPARE ? SP_RESPONSE_DONE : SP_RESPONSE_ROWS;
        }
    }
    return SP_OK;
}

int
sp_response_tracker_feed(struct sp_response_tracker *t, uint32_t len, const uint8_t *head,
                         size_t avail, enum sp_packet_role *role)
{
    int rc;

    if (t->continuing) {
        *role = t->last_role;
        t->continuing = len == SP_PACKET_MAX_PAYLOAD;
        return SP_OK;
    }

    if (avail > len) {
        avail = len;
    }
    if (avail < len && avail < SP_RESPONSE_HEAD_MAX) {
        return SP_EINVAL; /* the caller broke the contract on HEAD */
    }

    switch (t->state) {
    case SP_RESPONSE_FIRST:
        if (t->mode == SP_RESPONSE_MODE_SINGLE) {
            *role = (len > 0 && head[0] == SP_PACKET_ERR) ? SP_ROLE_ERR : SP_ROLE_OTHER;
            t->state = SP_RESPONSE_DONE;
            rc = SP_OK;
            break;
        }
        if (t->mode == SP_RESPONSE_MODE_PREPARE) {
            rc = tracker_prepare_first(t, len, head, avail, role);
            break;
        }
        rc = tracker_first(t, len, head, avail, role);
        break;
    case SP_RESPONSE_PARAM_DEFS:
        rc = tracker_param_defs(t, len, head, avail, role);
        break;
    case SP_RESPONSE_PARAMS_EOF:
        if (sp_response_classify(head, avail, false, false) != SP_RESPONSE_EOF) {
            return SP_EPROTO;
        }
        *role = SP_ROLE_PARAMS_EOF;
        tracker_prepare_columns(t);
        rc = SP_OK;
        break;
    case SP_RESPONSE_COLUMN_DEFS:
        rc = tracker_column_defs(t, len, head, avail, role);
        break;
    case SP_RESPONSE_COLUMNS_EOF:
        if (sp_response_classify(head, avail, false, false) != SP_RESPONSE_EOF) {
            return SP_EPROTO;
        }
        *role = SP_ROLE_COLUMNS_EOF;
        t->state = t->mode == SP_RESPONSE_MODE_PREPARE ? SP_RESPONSE_DONE : SP_RESPONSE_ROWS;
        rc = SP_OK;
        if (t->mode == SP_RESPONSE_MODE_QUERY) {
            struct sp_eof_packet eof;

            /* An execute that opened a cursor ends here; COM_STMT_FETCH reads the rows. */
            if (sp_eof_parse(head, avail, &eof) == SP_OK &&
                (eof.status & SP_SERVER_STATUS_CURSOR_EXISTS) != 0) {
                *role = SP_ROLE_ROWS_END;
                t->warnings = eof.warnings;
                t->status = eof.status;
                t->state = SP_RESPONSE_DONE;
            }
        }
        break;
    case SP_RESPONSE_ROWS:
        rc = tracker_rows(t, len, head, avail, role);
        break;
    case SP_RESPONSE_DONE:
    default:
        return SP_EPROTO;
    }

    if (rc != SP_OK) {
        return rc;
    }
    t->last_role = *role;
    t->continuing = len == SP_PACKET_MAX_PAYLOAD;
    return SP_OK;
}
