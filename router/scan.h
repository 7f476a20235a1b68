/*
 * Statement scan: one pass over a statement's tokens that collects what
 * routing needs (the tables it names, where its WHERE and SET clauses
 * start, the constructs that cannot be merged across shards, and whether
 * it pins the session).
 *
 * The scan follows clause structure, not the full grammar: it recognizes
 * table references after FROM, JOIN, UPDATE, INTO, USING, REFERENCES and
 * in DDL headers, and records positions as cursors so that later steps
 * can re-read a clause. It never allocates. Whatever it cannot follow is
 * reported in error, and the router then treats the statement as
 * unparseable.
 */
#ifndef SP_ROUTER_SCAN_H
#define SP_ROUTER_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "router/classify.h"
#include "router/internal.h"
#include "router/lexer.h"

struct sp_scan_table {
    struct sp_token name;             /* without the database qualifier */
    struct sp_token alias;            /* SP_TOK_EOF when there is none */
    const struct sp_table_cfg *rule;  /* NULL for an unsharded table */
    unsigned depth;                   /* parentheses around the reference */
};

struct sp_scan {
    struct sp_classification cls;
    struct sp_str text;       /* the statement, without the ';' that ends it */
    bool has_next;            /* a ';' ended the statement */
    struct sp_lexer next;     /* after that ';', where the next statement starts */
    const char *error;        /* static reason when the statement cannot be followed */
    bool pins_session;

    size_t ntables;           /* table references, counted once per mention */
    size_t nsharded;
    struct sp_scan_table first;          /* the first reference: INSERT's target */
    struct sp_scan_table first_sharded;
    struct sp_scan_table first_unsharded;

    /* The first identifier anywhere that matches a sharded table rule. */
    struct sp_token named_sharded;
    const struct sp_table_cfg *named_rule;

    /* First construct that rows from several shards cannot be merged for. */
    const char *blocker;
    bool top_union;           /* UNION, EXCEPT or INTERSECT outside parentheses */
    bool has_limit;           /* LIMIT outside parentheses */
    bool has_returning;       /* RETURNING outside parentheses */

    bool has_where;
    struct sp_token_cursor where;   /* at the first token after the top-level WHERE */
    bool has_set;
    struct sp_token_cursor set;     /* UPDATE: at the first token after SET */
    struct sp_token_cursor after_target; /* INSERT: at the token after the table name */
    bool has_explained;
    struct sp_token_cursor explained;    /* EXPLAIN: at the statement explained */
    struct sp_token use_db;        /* USE: the database token; EOF otherwise */
};

/*
 * Scans the statement that starts at AT's position and fills OUT. A
 * compound statement (a stored-program body) runs to the end of the input.
 */
void sp_scan_statement(const struct sp_router *router, const struct sp_lexer *at,
                       struct sp_scan *out);

#endif
