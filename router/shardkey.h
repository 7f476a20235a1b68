/*
 * Shard keys: literal values in canonical form, the shard sets that a
 * WHERE clause restricts a statement to, and the join conditions that tie
 * two sharded tables' keys together.
 *
 * A value is mapped to a shard only when the server is certain to compare
 * or store exactly that value. Any other value is an unknown key: reads
 * and writes by condition then keep every shard, and inserts are
 * rejected. Only string values with escapes and recorded IN lists need
 * the arena.
 */
#ifndef SP_ROUTER_SHARDKEY_H
#define SP_ROUTER_SHARDKEY_H

#include <stdbool.h>

#include "common/arena.h"
#include "router/internal.h"
#include "router/lexer.h"
#include "router/scan.h"

/* The use of a literal, which decides how the server converts it. */
enum sp_shardkey_use {
    SP_SHARDKEY_COMPARE, /* key = literal in a condition */
    SP_SHARDKEY_STORE    /* a value that INSERT stores in the key column */
};

/* One value of a key IN (...) list: its text (with any sign) and its shard. */
struct sp_shardkey_in_value {
    struct sp_str text;
    uint32_t shard;
};

/*
 * A key IN (...) list whose values belong to several shards. Each shard
 * holds only rows whose key belongs to it, so on shard s the list may be
 * cut down to the values of shard s without changing the result.
 */
struct sp_shardkey_in_list {
    const char *open;   /* just after the '(' */
    const char *close;  /* at the ')' */
    struct sp_shardkey_in_value *values;
    size_t nvalues;
    struct sp_shardkey_in_list *next;
};

/*
 * Reads the literal at C's current token (an optional + or - and a number
 * or string) as a value of RULE's key and stores its shard in *SHARD.
 * Returns SP_OK with C moved past the literal, SP_ENOTFOUND when the value
 * is not in canonical form (C may have moved), or SP_ENOMEM.
 *
 * Canonical int keys are decimal integers in int64 range, or quoted
 * strings made only of an optional sign and digits. In a comparison a
 * quoted value must also be at most 2^53 in magnitude, because the server
 * may compare it as a double. Canonical string keys are a string
 * literal's bytes after unescaping. An integer literal is a string key
 * only when stored, as its decimal text, because the server compares a
 * string column with a number as numbers.
 */
int sp_shardkey_literal(const struct sp_router *router, const struct sp_table_cfg *rule,
                        struct sp_token_cursor *c, enum sp_shardkey_use use, struct sp_arena *arena,
                        uint32_t *shard) SP_WARN_UNUSED;

/*
 * Stores in OUT the shards that can contain rows matching the WHERE clause
 * whose first token is at WHERE, for the NTABLES sharded TABLES of the
 * statement. The tables must be co-located (see sp_router_colocated), so
 * that a key value has the same shard in each of them. In the clause's
 * top-level AND list (also inside parenthesized AND groups), conditions on
 * any of the tables' keys restrict the set: key = literal, literal = key,
 * key IN (literals), and for range-sharded tables also key BETWEEN a AND b
 * and key <, <=, >, >= literal (either side). A qualified key must be
 * qualified by its table's name or alias. Anything else keeps every
 * shard. When the conditions contradict each other, OUT contains one
 * shard that an earlier condition allowed, since no shard has matching
 * rows.
 *
 * With IN_LISTS, every key IN list that the analysis read and whose
 * values belong to more than one shard is prepended to *IN_LISTS (in the
 * arena). Returns SP_OK or SP_ENOMEM.
 */
int sp_shardkey_where(const struct sp_router *router, const struct sp_scan_table *tables,
                      size_t ntables, const struct sp_token_cursor *where, struct sp_arena *arena,
                      struct sp_shard_set *out, struct sp_shardkey_in_list **in_lists) SP_WARN_UNUSED;

/*
 * Reads the AND list at AT (a WHERE or ON condition) and, for each
 * top-level condition a.key = b.key (or <=>) between the shard keys of two
 * different tables among the NTABLES (at most 32) TABLES, both qualified
 * by their table's name or alias, sets bit j of EDGES[i] and bit i of
 * EDGES[j]. Tables without a rule never match.
 */
void sp_shardkey_join_edges(const struct sp_scan_table *tables, size_t ntables,
                            const struct sp_token_cursor *at, uint32_t *edges);

/*
 * Sets *ASSIGNS when the assignment list at AT (after UPDATE ... SET or
 * ON DUPLICATE KEY UPDATE) assigns COLUMN: unqualified, or qualified by
 * TABLE's name or alias (by any name when TABLE is NULL). Returns SP_OK,
 * or SP_EPARSE when an assignment has no column name before its '='.
 */
int sp_shardkey_assigns(const struct sp_token_cursor *at, const char *column,
                        const struct sp_scan_table *table, bool *assigns) SP_WARN_UNUSED;

/*
 * When C is at [db.][table.]column with COLUMN last, moves C past it and
 * returns true; otherwise leaves C and returns false. With TABLE, a
 * qualifier must name TABLE or its alias; without, any qualifier will do.
 */
bool sp_shardkey_column(struct sp_token_cursor *c, const char *column, const struct sp_scan_table *table);

#endif
