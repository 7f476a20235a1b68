/*
 * The clauses of a SELECT's outer query, as positions in its text: the
 * select list with aliases, GROUP BY and ORDER BY keys, HAVING and LIMIT.
 * The merge planner (mergeplan.c) reads a cross-shard SELECT through it.
 *
 * Only the outer query is parsed. Parenthesized parts (subqueries,
 * function arguments) are skipped as single steps, so their clauses never
 * count as the outer query's. The parser copies no text: every position
 * points into the statement, and arrays live in the caller's arena.
 */
#ifndef SP_ROUTER_SELECT_H
#define SP_ROUTER_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "router/internal.h"
#include "router/lexer.h"

/* A run of tokens, such as an expression, that can be lexed again from AT. */
struct sp_span {
    struct sp_token_cursor at; /* at the first token */
    const char *start;         /* the first token's first byte */
    const char *end;           /* just after the last token */
};

struct sp_select_item {
    struct sp_span expr;    /* without the alias */
    struct sp_token alias;  /* SP_TOK_EOF when there is none */
    bool star;              /* * or qualifier.* */
    int32_t col;            /* the item's result column, or -1 when a star comes before it */
};

/* A GROUP BY or ORDER BY key. */
struct sp_select_key {
    struct sp_span expr;    /* without ASC or DESC */
    bool desc;
};

struct sp_select {
    bool distinct;          /* DISTINCT or DISTINCTROW */
    struct sp_select_item *items;
    size_t nitems;
    const char *list_end;   /* just after the select list's last token */

    bool has_group;
    struct sp_select_key *group;
    size_t ngroup;
    const char *group_cut;  /* just after FROM and WHERE: where a missing GROUP BY would go */

    bool has_having;
    struct sp_span having;
    const char *having_cut; /* just after the token before HAVING */

    bool has_order;
    struct sp_select_key *order;
    size_t norder;

    bool has_limit;
    uint64_t limit;
    uint64_t offset;
    const char *limit_cut;  /* just after the token before LIMIT */
    const char *limit_start; /* the first byte of LIMIT's first value */
    const char *limit_end;  /* just after LIMIT's last value */
};

/*
 * Parses the outer query of the SELECT whose text is TEXT. Returns SP_OK
 * with OUT filled; SP_ENOTFOUND when TEXT does not start with SELECT or
 * has no FROM clause, which the merge planner does not handle; SP_ENOMEM;
 * or SP_OK with ROUTE made a REJECT (ERR filled) for a clause that rows
 * from several shards cannot be merged for: SQL_CALC_FOUND_ROWS, INTO,
 * locking clauses, WINDOW, WITH ROLLUP, LIMIT with a placeholder or ROWS
 * EXAMINED, OFFSET ... FETCH, PROCEDURE, UNION.
 */
int sp_select_parse(struct sp_str text, struct sp_arena *arena, struct sp_select *out,
                    struct sp_route *route, struct sp_error *err) SP_WARN_UNUSED;

/*
 * True when spans A and B hold the same tokens: names compared as the
 * server compares column names (ASCII case and backticks ignored), other
 * tokens byte for byte.
 */
bool sp_span_equal(const struct sp_span *a, const struct sp_span *b);

/* True when SPAN is one token and that token is a name equal to NAME's (see sp_span_equal). */
bool sp_span_is_name(const struct sp_span *span, const struct sp_token *name);

/* Returns SPAN's text. */
struct sp_str sp_span_text(const struct sp_span *span);

#endif
