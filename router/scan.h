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

/* Table references beyond this many are counted but not kept in tables[]. */
#define SP_SCAN_MAX_TABLES 16
/* ON and USING clauses beyond this many set joins_overflow. */
#define SP_SCAN_MAX_JOINS 16

/* The kind of join that connects a table reference to the references before it. */
enum sp_scan_join_kind {
    SP_SCAN_JOIN_INNER, /* the first reference, a comma, [INNER|CROSS] JOIN, STRAIGHT_JOIN */
    SP_SCAN_JOIN_LEFT,  /* LEFT [OUTER] JOIN: this side may be NULL-extended */
    SP_SCAN_JOIN_RIGHT  /* RIGHT [OUTER] JOIN: the references before may be NULL-extended */
};

struct sp_scan_table {
    struct sp_token name;             /* without the database qualifier */
    struct sp_token alias;            /* SP_TOK_EOF when there is none */
    const struct sp_table_cfg *rule;  /* NULL for an unsharded table */
    unsigned depth;                   /* parentheses around the reference */
    /* The join that introduced the reference, or the first one inside it when parenthesized. */
    enum sp_scan_join_kind join;
};

/* A join condition outside parentheses: ON expr or USING (columns). */
struct sp_scan_join {
    bool using_list;
    /*
     * USING: the index in tables[] of the table reference just before it,
     * or SIZE_MAX when that reference is a derived table or a
     * parenthesized join.
     */
    size_t right;
    struct sp_token_cursor at; /* the first token of the condition or column list */
};

struct sp_scan {
    struct sp_classification cls;
    struct sp_str text;       /* the statement, without the ';' that ends it */
    bool has_next;            /* a ';' ended the statement */
    struct sp_lexer next;     /* after that ';', where the next statement starts */
    const char *error;        /* static reason when the statement cannot be followed */
    bool pins_session;
    uint32_t user_locks_get;      /* GET_LOCK() calls, which do not set pins_session */
    uint32_t user_locks_release;  /* RELEASE_LOCK() calls */
    bool user_locks_release_all;  /* RELEASE_ALL_LOCKS() */
    bool locking_read;        /* FOR UPDATE, FOR SHARE or LOCK IN SHARE MODE */
    bool primary_only;        /* calls a function with side effects, or SELECT ... INTO */
    enum sp_route_hint hint;  /* the last routing hint comment in the statement */

    size_t ntables;           /* table references, counted once per mention */
    size_t nsharded;          /* references to tables with a rule of type sharded */
    size_t nreference;        /* references to reference tables */
    struct sp_scan_table first;          /* the first reference: INSERT's target */
    struct sp_scan_table first_sharded;
    struct sp_scan_table first_reference;
    struct sp_scan_table first_unsharded;
    /* The first SP_SCAN_MAX_TABLES references in text order, with their aliases. */
    struct sp_scan_table tables[SP_SCAN_MAX_TABLES];

    struct sp_scan_join joins[SP_SCAN_MAX_JOINS];
    size_t njoins;
    bool joins_overflow;

    /* The first identifier anywhere that matches a table rule (sharded or reference). */
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
