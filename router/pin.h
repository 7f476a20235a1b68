/*
 * The table names of CREATE TEMPORARY TABLE and DROP [TEMPORARY] TABLE,
 * for the session to follow which temporary tables a backend connection
 * keeps (struct sp_pin_effect in router/router.h).
 *
 * Works on the tokens of router/lexer.c and allocates only in the
 * caller's arena.
 */
#ifndef SP_ROUTER_PIN_H
#define SP_ROUTER_PIN_H

#include "common/arena.h"
#include "common/status.h"
#include "common/str.h"
#include "router/router.h"

/*
 * Reads TEXT, one statement, as CREATE [OR REPLACE] TEMPORARY TABLE [IF
 * NOT EXISTS] name, or DROP [TEMPORARY] TABLE[S] [IF EXISTS] name [, name
 * ...], and sets the temp_* fields of PIN. Returns SP_OK, SP_ENOTFOUND
 * for any other statement, SP_EINVAL when the names cannot be read (more
 * than SP_PIN_TEMP_MAX of them, or not plain names), or SP_ENOMEM.
 */
int sp_pin_temp_tables(struct sp_str text, struct sp_arena *arena,
                       struct sp_pin_effect *pin) SP_WARN_UNUSED;

#endif
