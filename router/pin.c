/*
 * Table names of the statements that create and drop temporary tables.
 */
#include "router/pin.h"

#include <string.h>

#include "router/lexer.h"

/* Reads [db.]name at C into the next slot of PIN and moves C past it. */
static int
pin_take_name(struct sp_token_cursor *c, struct sp_arena *arena, struct sp_pin_effect *pin)
{
    struct sp_str first, second = SP_STR_NULL;
    int rc;

    if (pin->ntemp == SP_PIN_TEMP_MAX ||
        (c->tok.kind != SP_TOK_IDENT && c->tok.kind != SP_TOK_QUOTED_IDENT)) {
        return SP_EINVAL;
    }
    first = c->tok.text;
    if (c->tok.kind == SP_TOK_QUOTED_IDENT) {
        rc = sp_lexer_unquote(&c->tok, arena, &first);
        if (rc != SP_OK) {
            return rc;
        }
    }
    sp_token_cursor_advance(c);
    if (c->tok.kind == SP_TOK_DOT) {
        sp_token_cursor_advance(c);
        if (c->tok.kind != SP_TOK_IDENT && c->tok.kind != SP_TOK_QUOTED_IDENT) {
            return SP_EINVAL;
        }
        second = c->tok.text;
        if (c->tok.kind == SP_TOK_QUOTED_IDENT) {
            rc = sp_lexer_unquote(&c->tok, arena, &second);
            if (rc != SP_OK) {
                return rc;
            }
        }
        sp_token_cursor_advance(c);
    }
    if (second.ptr != NULL) {
        pin->temp_db[pin->ntemp] = first;
        pin->temp_name[pin->ntemp] = second;
    } else {
        pin->temp_db[pin->ntemp] = SP_STR_NULL;
        pin->temp_name[pin->ntemp] = first;
    }
    pin->ntemp++;
    return SP_OK;
}

static int
pin_create(struct sp_token_cursor *c, struct sp_arena *arena, struct sp_pin_effect *pin)
{
    if (SP_TOKEN_IS(&c->tok, "OR")) {
        sp_token_cursor_advance(c);
        if (!SP_TOKEN_IS(&c->tok, "REPLACE")) {
            return SP_ENOTFOUND;
        }
        sp_token_cursor_advance(c);
    }
    if (!SP_TOKEN_IS(&c->tok, "TEMPORARY")) {
        return SP_ENOTFOUND;
    }
    sp_token_cursor_advance(c);
    if (!SP_TOKEN_IS(&c->tok, "TABLE")) {
        return SP_ENOTFOUND;
    }
    sp_token_cursor_advance(c);
    if (SP_TOKEN_IS(&c->tok, "IF")) {
        sp_token_cursor_advance(c);
        if (!SP_TOKEN_IS(&c->tok, "NOT")) {
            return SP_EINVAL;
        }
        sp_token_cursor_advance(c);
        if (!SP_TOKEN_IS(&c->tok, "EXISTS")) {
            return SP_EINVAL;
        }
        sp_token_cursor_advance(c);
    }
    pin->temp_create = true;
    return pin_take_name(c, arena, pin);
}

static int
pin_drop(struct sp_token_cursor *c, struct sp_arena *arena, struct sp_pin_effect *pin)
{
    int rc;

    if (SP_TOKEN_IS(&c->tok, "TEMPORARY")) {
        sp_token_cursor_advance(c);
    }
    if (!SP_TOKEN_IS(&c->tok, "TABLE") && !SP_TOKEN_IS(&c->tok, "TABLES")) {
        return SP_ENOTFOUND;
    }
    sp_token_cursor_advance(c);
    if (SP_TOKEN_IS(&c->tok, "IF")) {
        sp_token_cursor_advance(c);
        if (!SP_TOKEN_IS(&c->tok, "EXISTS")) {
            return SP_EINVAL;
        }
        sp_token_cursor_advance(c);
    }
    pin->temp_drop = true;
    for (;;) {
        rc = pin_take_name(c, arena, pin);
        if (rc != SP_OK) {
            return rc;
        }
        if (c->tok.kind != SP_TOK_COMMA) {
            break;
        }
        sp_token_cursor_advance(c);
    }
    if (SP_TOKEN_IS(&c->tok, "RESTRICT") || SP_TOKEN_IS(&c->tok, "CASCADE")) {
        sp_token_cursor_advance(c);
    }
    if (c->tok.kind == SP_TOK_SEMICOLON) {
        sp_token_cursor_advance(c);
    }
    return c->tok.kind == SP_TOK_EOF ? SP_OK : SP_EINVAL;
}

int
sp_pin_temp_tables(struct sp_str text, struct sp_arena *arena, struct sp_pin_effect *pin)
{
    struct sp_token_cursor c;
    int rc;

    pin->temp_create = false;
    pin->temp_drop = false;
    pin->ntemp = 0;
    sp_token_cursor_init(&c, text.ptr, text.len);
    if (SP_TOKEN_IS(&c.tok, "CREATE")) {
        sp_token_cursor_advance(&c);
        rc = pin_create(&c, arena, pin);
    } else if (SP_TOKEN_IS(&c.tok, "DROP")) {
        sp_token_cursor_advance(&c);
        rc = pin_drop(&c, arena, pin);
    } else {
        rc = SP_ENOTFOUND;
    }
    if (rc != SP_OK) {
        pin->temp_create = false;
        pin->temp_drop = false;
        pin->ntemp = 0;
    }
    return rc;
}
