/*
 * Functions that ask about the session's previous statements
 * (LAST_INSERT_ID(), ROW_COUNT(), FOUND_ROWS()) and reads of
 * @@autocommit. The backend connection that runs a statement knows
 * nothing of the statements the session ran elsewhere, so the proxy
 * writes the session's values into the text instead.
 *
 * Works on the tokens of router/lexer.c, allocates only in the caller's
 * arena, and keeps no state.
 */
#ifndef SP_ROUTER_SESSIONFN_H
#define SP_ROUTER_SESSIONFN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/status.h"
#include "common/str.h"

/* How a statement sets the value that LAST_INSERT_ID() returns next. */
enum sp_last_insert_id_set {
    SP_LAST_INSERT_ID_KEEP,     /* no LAST_INSERT_ID(expr) call */
    SP_LAST_INSERT_ID_LITERAL,  /* LAST_INSERT_ID(digits): the value is known */
    SP_LAST_INSERT_ID_EXPR      /* LAST_INSERT_ID(expr) of any other expression */
};

/* The session's answers to functions about its previous statements, and what a text sets. */
struct sp_session_functions {
    uint64_t last_insert_id;  /* LAST_INSERT_ID() */
    int64_t row_count;        /* ROW_COUNT() */
    uint64_t found_rows;      /* FOUND_ROWS(), when found_rows_known */
    bool found_rows_known;
    bool autocommit;          /* @@autocommit, when autocommit_known */
    bool autocommit_known;
    enum sp_last_insert_id_set sets; /* output: LAST_INSERT_ID(expr) in the text */
    uint64_t set_value;              /* output: its value for SP_LAST_INSERT_ID_LITERAL */
    bool calc_found_rows;            /* output: the text is a SELECT SQL_CALC_FOUND_ROWS */
    bool found_rows_left;            /* output: a FOUND_ROWS() call was left in the text */
    uint64_t limit_offset;           /* output: the offset of a SELECT's top-level LIMIT, or 0 */
};

/*
 * Writes SQL into ARENA with each call of LAST_INSERT_ID(), ROW_COUNT()
 * and FOUND_ROWS() without arguments, and each read of @@autocommit,
 * replaced by the session's value in FN, wherever the previous statements
 * ran. A replaced SELECT list item
 * without an alias gets its original text as alias, so the column keeps
 * its name. Also fills FN->sets and FN->set_value. Returns SP_OK with *OUT
 * set (SQL itself when nothing was replaced), or SP_ENOMEM.
 */
int sp_sessionfn_replace(struct sp_str sql, struct sp_session_functions *fn,
                               struct sp_arena *arena, struct sp_str *out) SP_WARN_UNUSED;

#endif
