/*
 * SQL-level prepared statements and user variables, as far as the proxy
 * must understand them to route them: PREPARE name FROM 'text', EXECUTE
 * name [USING @a, ...], DEALLOCATE | DROP PREPARE name, and the
 * assignments of SET @a = literal. The session keeps the statements and
 * the variables' values and routes each EXECUTE as its text with the
 * values written in, so a statement over a sharded table reaches the shard
 * its key names. Pure parsing: no I/O, results in the caller's arena.
 */
#ifndef SP_ROUTER_SQLPREPARE_H
#define SP_ROUTER_SQLPREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/status.h"
#include "common/str.h"

enum sp_sqlps_kind {
    SP_SQLPS_NONE,       /* another statement */
    SP_SQLPS_PREPARE,
    SP_SQLPS_EXECUTE,
    SP_SQLPS_DEALLOCATE
};

struct sp_sqlps {
    enum sp_sqlps_kind kind;
    struct sp_str name;      /* the statement name, unquoted */
    struct sp_str text;      /* PREPARE: the statement text, unquoted */
    bool from_variable;      /* PREPARE name FROM @var: the text is in a variable */
    struct sp_str *vars;     /* EXECUTE ... USING: the variable names, without @ */
    size_t nvars;
    bool using_other;        /* USING lists something other than user variables */
};

/*
 * Reads SQL as one of the statements above. Returns SP_OK with out->kind
 * SP_SQLPS_NONE for any other statement, SP_EINVAL for a malformed one of
 * them (the server would answer with a syntax error), or SP_ENOMEM.
 */
int sp_sqlps_parse(struct sp_str sql, struct sp_arena *arena, struct sp_sqlps *out) SP_WARN_UNUSED;

/* One @name = value of a SET statement. */
struct sp_user_assign {
    struct sp_str name;      /* without @, as written */
    struct sp_str literal;   /* a literal in SQL form ('x', -5, 1.5e3, NULL); empty when the value is no literal */
};

/*
 * Reads the user variable assignments of a SET statement (SET @a = 1,
 * @b := 'x', @@session.x = 2): stores those to @name in *OUT (arena). An
 * assignment whose value is not a single literal gets an empty literal,
 * so that the caller forgets the variable's value. Returns SP_OK (*N is 0
 * for another statement) or SP_ENOMEM.
 */
int sp_sqlps_user_assignments(struct sp_str sql, struct sp_arena *arena,
                              struct sp_user_assign **out, size_t *n) SP_WARN_UNUSED;

/*
 * Stores in *OUT (arena) the user variables that a statement other than
 * SET assigns: @a := expr, and SELECT ... INTO @a, @b. The proxy cannot know
 * those values. Returns SP_OK or SP_ENOMEM.
 */
int sp_sqlps_user_writes(struct sp_str sql, struct sp_arena *arena, struct sp_str **out,
                         size_t *n) SP_WARN_UNUSED;

/*
 * For a SELECT whose select list has parameter markers: SQL with an alias
 * after each item that has a marker and no alias, naming the column as
 * the server names it (the item's text, markers included: SUM(a) + ?).
 * The text with values written in then keeps the server's column names.
 * *OUT is SQL itself when nothing needs a name. Returns SP_OK or SP_ENOMEM.
 */
int sp_sqlps_name_marker_columns(struct sp_str sql, struct sp_arena *arena,
                                 struct sp_str *out) SP_WARN_UNUSED;

/* One session variable assignment of a SET statement. */
struct sp_session_assign {
    struct sp_str name;      /* lower case (arena) */
    struct sp_str value;     /* the value expression as written */
};

/*
 * Reads a SET statement whose assignments all set, to constants (a string,
 * a number or a word such as ON or DEFAULT), session variables that the
 * proxy can carry to another backend connection (sql_mode, time_zone,
 * the character sets and collations, transaction isolation and read-only,
 * group_concat_max_len and similar; see the list in sqlprepare.c): stores
 * them in *OUT (arena) and sets *TRACKABLE. *TRACKABLE is false for any
 * other statement, or a SET with a user variable, a GLOBAL variable, a
 * variable not on the list, NAMES, CHARACTER SET or TRANSACTION. Returns
 * SP_OK or SP_ENOMEM.
 */
int sp_sqlps_session_assignments(struct sp_str sql, struct sp_arena *arena,
                                 struct sp_session_assign **out, size_t *n,
                                 bool *trackable) SP_WARN_UNUSED;

/*
 * Reads SQL as SET [SESSION] autocommit = 0 | 1 | ON | OFF | TRUE | FALSE
 * alone: returns 0 or 1, or -1 for any other statement.
 */
int sp_sqlps_autocommit(struct sp_str sql);

/*
 * Whether any statement of SQL, which may hold several, is a SET that
 * assigns the session's autocommit.
 */
bool sp_sqlps_sets_autocommit(struct sp_str sql);

/* Whether SQL, a BEGIN or START TRANSACTION, starts a READ ONLY transaction. */
bool sp_sqlps_begin_read_only(struct sp_str sql);

/*
 * Finds the assignments to the session's autocommit in a SET statement
 * that also sets other variables. Returns SP_OK with *VALUE 0 or 1 (the
 * last one wins) and *REST the same SET without them (in ARENA);
 * SP_ENOTFOUND when SQL is no SET or does not set the session's
 * autocommit; SP_EINVAL when it sets it to anything but a constant 0, 1,
 * ON, OFF, TRUE or FALSE; SP_ENOMEM.
 */
int sp_sqlps_split_autocommit(struct sp_str sql, struct sp_arena *arena, struct sp_str *rest,
                              int *value) SP_WARN_UNUSED;

/*
 * Reads SQL as SET NAMES charset [COLLATE collation] alone, storing the
 * names without quotes; *COLLATION gets a null pointer without COLLATE.
 * Returns false for any other statement (SET NAMES DEFAULT included).
 */
bool sp_sqlps_set_names(struct sp_str sql, struct sp_str *charset, struct sp_str *collation);
enum sp_savepoint_kind {
    SP_SAVEPOINT_NONE,       /* another statement */
    SP_SAVEPOINT_SET,        /* SAVEPOINT name */
    SP_SAVEPOINT_ROLLBACK,   /* ROLLBACK [WORK] TO [SAVEPOINT] name */
    SP_SAVEPOINT_RELEASE     /* RELEASE SAVEPOINT name */
};

/*
 * Reads SQL as one of the savepoint statements, storing the name as
 * written (backquotes kept) in *NAME. Returns the kind, SP_SAVEPOINT_NONE
 * for any other or a malformed statement.
 */
enum sp_savepoint_kind sp_sqlps_savepoint(struct sp_str sql, struct sp_str *name);

/* Number of parameter markers (?) in SQL, outside strings and comments. */
size_t sp_sqlps_count_markers(struct sp_str sql);

/*
 * Writes SQL with its parameter markers replaced, in order, by the NVALUES
 * LITERALS into ARENA. Returns SP_OK, SP_EINVAL when the counts differ,
 * or SP_ENOMEM.
 */
int sp_sqlps_substitute(struct sp_str sql, const struct sp_str *literals, size_t nvalues,
                        struct sp_arena *arena, struct sp_str *out) SP_WARN_UNUSED;

#endif
