/*
 * Shard keys: literal values in canonical form, and the shard sets that a
 * WHERE clause restricts a statement to.
 *
 * A value is mapped to a shard only when the server is certain to compare
 * or store exactly that value. Any other value is an unknown key: reads
 * and writes by condition then keep every shard, and inserts are
 * rejected. Only string values with escapes need the arena.
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
 * Stores in OUT the shards that can hold rows matching the WHERE clause
 * whose first token is at WHERE, for TABLE (a sharded table, the only one
 * in the statement). Only key = literal, literal = key and key IN
 * (literals) in the clause's top-level AND list (also inside
 * parenthesized AND groups) restrict the set, where a qualified key must
 * be qualified by the table's name or alias; anything else keeps every
 * shard. When the conditions contradict each other, OUT contains one shard
 * that an earlier condition allowed, since no shard has matching rows.
 * Returns SP_OK or SP_ENOMEM.
 */
int sp_shardkey_where(const struct sp_router *router, const struct sp_scan_table *table,
                      const struct sp_token_cursor *where, struct sp_arena *arena,
                      struct sp_shard_set *out) SP_WARN_UNUSED;

/*
 * Sets *ASSIGNS when the assignment list at AT (after UPDATE ... SET or
 * ON DUPLICATE KEY UPDATE) assigns COLUMN, qualified or not. Returns SP_OK,
 * or SP_EPARSE when an assignment has no column name before its '='.
 */
int sp_shardkey_assigns(const struct sp_token_cursor *at, const char *column,
                        bool *assigns) SP_WARN_UNUSED;

/*
 * When C is at [db.][table.]column with COLUMN last, moves C past it and
 * returns true; otherwise leaves C and returns false. With TABLE, a
 * qualifier must name TABLE or its alias; without, any qualifier will do.
 */
bool sp_shardkey_column(struct sp_token_cursor *c, const char *column, const struct sp_scan_table *table);

#endif
