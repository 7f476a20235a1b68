/*
 * Statement scan: table references, clause positions, merge blockers and
 * session pinning, in one pass over the tokens of one statement.
 *
 * Parentheses are tracked on a small stack, so a closing parenthesis
 * shows what it ends. After a derived table or parenthesized join, the
 * table list may go on. After a common table expression, another may
 * follow. Inside a function such as EXTRACT(x FROM y), FROM starts no
 * table list. Every token passes through scan_advance, which records user
 * variables and identifiers that name sharded tables, also in the parts
 * that the scan skips. Nothing here allocates.
 */
#include "router/scan.h"

#include <string.h>

#define SCAN_MAX_DEPTH 64 /* deeper nesting is reported as unparseable */
#define SCAN_MAX_CTES 16  /* more common table expressions are reported as unparseable */

struct scan_paren {
    bool table_list;    /* a derived table or parenthesized join: a table list may go on */
    bool derived;       /* a derived table: a column alias list may follow its alias */
    bool from_function; /* EXTRACT(x FROM y) and the like: FROM starts no table list */
    bool cte_body;      /* a common table expression: another may follow a comma */
};

/* A common table expression's name, visible at its depth and deeper. */
struct scan_cte {
    struct sp_token name;
    unsigned depth;
};

struct scan {
    const struct sp_router *router;
    struct sp_scan *out;
    struct sp_token_cursor c;
    unsigned depth; /* open parentheses, also those beyond SCAN_MAX_DEPTH */
    struct scan_paren parens[SCAN_MAX_DEPTH];
    struct scan_cte ctes[SCAN_MAX_CTES];
    size_t nctes;
    bool tables;        /* the statement kind routes by the tables it names */
    size_t alias_target; /* index of the reference an alias read now belongs to, or SIZE_MAX */
    size_t last_ref;    /* index of the last reference outside parentheses, or SIZE_MAX */
    enum sp_scan_join_kind outer_word; /* LEFT or RIGHT was read, and JOIN may follow */
    enum sp_scan_join_kind next_join;  /* the join of the next reference recorded */
};

/* Words that end a table reference instead of being its alias. */
static const struct sp_keyword scan_not_alias[] = {
    SP_KEYWORD("AS"),        SP_KEYWORD("CROSS"),     SP_KEYWORD("EXCEPT"),
    SP_KEYWORD("FETCH"),     SP_KEYWORD("FOR"),       SP_KEYWORD("FORCE"),
    SP_KEYWORD("FULL"),      SP_KEYWORD("GROUP"),     SP_KEYWORD("HAVING"),
    SP_KEYWORD("IGNORE"),    SP_KEYWORD("INNER"),     SP_KEYWORD("INTERSECT"),
    SP_KEYWORD("INTO"),      SP_KEYWORD("JOIN"),      SP_KEYWORD("LATERAL"),
    SP_KEYWORD("LEFT"),      SP_KEYWORD("LIMIT"),     SP_KEYWORD("LOCK"),
    SP_KEYWORD("NATURAL"),   SP_KEYWORD("OFFSET"),    SP_KEYWORD("ON"),
    SP_KEYWORD("ORDER"),     SP_KEYWORD("OUTER"),     SP_KEYWORD("PARTITION"),
    SP_KEYWORD("PROCEDURE"), SP_KEYWORD("RETURNING"), SP_KEYWORD("RIGHT"),
    SP_KEYWORD("SELECT"),    SP_KEYWORD("SET"),       SP_KEYWORD("STRAIGHT_JOIN"),
    SP_KEYWORD("UNION"),     SP_KEYWORD("USE"),       SP_KEYWORD("USING"),
    SP_KEYWORD("VALUE"),     SP_KEYWORD("VALUES"),    SP_KEYWORD("WHERE"),
    SP_KEYWORD("WINDOW"),    SP_KEYWORD("WITH"),
};

/* Select options: STRAIGHT_JOIN after them is an option, not a join. */
static const struct sp_keyword scan_select_options[] = {
    SP_KEYWORD("SELECT"),          SP_KEYWORD("ALL"),
    SP_KEYWORD("DISTINCT"),        SP_KEYWORD("DISTINCTROW"),
    SP_KEYWORD("HIGH_PRIORITY"),   SP_KEYWORD("SQL_SMALL_RESULT"),
    SP_KEYWORD("SQL_BIG_RESULT"),  SP_KEYWORD("SQL_BUFFER_RESULT"),
    SP_KEYWORD("SQL_CACHE"),       SP_KEYWORD("SQL_NO_CACHE"),
    SP_KEYWORD("SQL_CALC_FOUND_ROWS"),
};

/*
 * Functions whose result depends on the backend connection that runs
 * them. The session computes LAST_INSERT_ID() and ROW_COUNT() itself, and
 * FOUND_ROWS() except after SQL_CALC_FOUND_ROWS. GET_LOCK() and the
 * functions that release user locks are counted instead (see
 * struct sp_pin_effect).
 */
static const struct sp_keyword scan_session_functions[] = {
    SP_KEYWORD("FOUND_ROWS"), SP_KEYWORD("CONNECTION_ID"),
};

/*
 * Functions that change state or return a value of one server (sequences,
 * user locks, replication waits). A read that calls one stays on the primary.
 */
static const struct sp_keyword scan_primary_functions[] = {
    SP_KEYWORD("NEXTVAL"),       SP_KEYWORD("LASTVAL"),       SP_KEYWORD("SETVAL"),
    SP_KEYWORD("GET_LOCK"),      SP_KEYWORD("RELEASE_LOCK"),  SP_KEYWORD("RELEASE_ALL_LOCKS"),
    SP_KEYWORD("IS_FREE_LOCK"),  SP_KEYWORD("IS_USED_LOCK"),  SP_KEYWORD("LAST_INSERT_ID"),
    SP_KEYWORD("MASTER_GTID_WAIT"), SP_KEYWORD("MASTER_POS_WAIT"),
};

/* Functions that take "x FROM y" arguments. */
static const struct sp_keyword scan_from_functions[] = {
    SP_KEYWORD("EXTRACT"), SP_KEYWORD("TRIM"),    SP_KEYWORD("SUBSTRING"),
    SP_KEYWORD("SUBSTR"),  SP_KEYWORD("MID"),     SP_KEYWORD("OVERLAY"),
};

struct scan_aggregate {
    struct sp_keyword name;
    const char *blocker;
};

#define SCAN_AGGREGATE(w) {SP_KEYWORD(w), "aggregate function " w "()"}

static const struct scan_aggregate scan_aggregates[] = {
    SCAN_AGGREGATE("COUNT"),       SCAN_AGGREGATE("SUM"),          SCAN_AGGREGATE("MIN"),
    SCAN_AGGREGATE("MAX"),         SCAN_AGGREGATE("AVG"),          SCAN_AGGREGATE("GROUP_CONCAT"),
    SCAN_AGGREGATE("STD"),         SCAN_AGGREGATE("STDDEV"),       SCAN_AGGREGATE("STDDEV_POP"),
    SCAN_AGGREGATE("STDDEV_SAMP"), SCAN_AGGREGATE("VARIANCE"),     SCAN_AGGREGATE("VAR_POP"),
    SCAN_AGGREGATE("VAR_SAMP"),    SCAN_AGGREGATE("BIT_AND"),      SCAN_AGGREGATE("BIT_OR"),
    SCAN_AGGREGATE("BIT_XOR"),     SCAN_AGGREGATE("JSON_ARRAYAGG"),
    SCAN_AGGREGATE("JSON_OBJECTAGG"),
};

static bool
scan_is(const struct scan *s, const char *word, size_t len)
{
    return sp_token_is_word(&s->c.tok, word, len);
}

#define SCAN_IS(s, w) scan_is((s), (w), sizeof(w) - 1)
#define SCAN_PEEK_IS(tok, w) SP_TOKEN_IS(&(tok), (w))

static void
scan_fail(struct scan *s, const char *reason)
{
    if (s->out->error == NULL) {
        s->out->error = reason;
    }
}

static void
scan_set_blocker(struct scan *s, const char *what)
{
    if (s->out->blocker == NULL) {
        s->out->blocker = what;
    }
}

static bool
scan_at_end(const struct scan *s)
{
    return s->c.tok.kind == SP_TOK_EOF || s->c.tok.kind == SP_TOK_ERROR
           || (s->c.tok.kind == SP_TOK_SEMICOLON && !s->out->cls.compound);
}

static bool
scan_is_name(const struct sp_token *tok)
{
    return tok->kind == SP_TOK_IDENT || tok->kind == SP_TOK_QUOTED_IDENT;
}

/* Records a user variable or sharded table name in the current token, then moves on. */
static void
scan_advance(struct scan *s)
{
    const struct sp_token *tok = &s->c.tok;
    const struct sp_table_cfg *rule;

    if (tok->kind == SP_TOK_USER_VAR) {
        const struct sp_token *prev = &s->c.prev;

        /* 'user'@'host' names an account, with no space before the @: no variable. */
        if (!((prev->kind == SP_TOK_STRING || scan_is_name(prev)) &&
              prev->text.ptr + prev->text.len == tok->text.ptr)) {
            s->out->pins_session = true;
        }
    } else if (scan_is_name(tok) && s->out->named_rule == NULL &&
               sp_token_cursor_peek(&s->c).kind != SP_TOK_DOT) {
        /* A name before a dot qualifies the next one: sbtest.t is table t of database sbtest. */
        rule = sp_router_match_table(s->router, tok);
        if (rule != NULL) {
            s->out->named_rule = rule;
            s->out->named_sharded = *tok;
        }
    } else if (tok->kind == SP_TOK_ERROR) {
        scan_fail(s, s->c.lexer.error);
    }
    sp_token_cursor_advance(&s->c);
}

static bool
scan_skip(struct scan *s, const char *word, size_t len)
{
    if (!scan_is(s, word, len)) {
        return false;
    }
    scan_advance(s);
    return true;
}

#define SCAN_SKIP(s, w) scan_skip((s), (w), sizeof(w) - 1)

/* Skips a parenthesized list that holds no table references, such as a column list. */
static void
scan_skip_parens(struct scan *s)
{
    unsigned depth = 0;

    do {
        if (s->c.tok.kind == SP_TOK_LPAREN) {
            depth++;
        } else if (s->c.tok.kind == SP_TOK_RPAREN) {
            depth--;
        } else if (scan_at_end(s) || s->c.tok.kind == SP_TOK_SEMICOLON) {
            scan_fail(s, "unbalanced parentheses");
            return;
        }
        scan_advance(s);
    } while (depth > 0);
}

static void
scan_record(struct scan *s, const struct sp_token *name)
{
    struct sp_scan *out = s->out;
    struct sp_scan_table table;
    size_t i, index;

    /* A common table expression of the same name hides the table. */
    for (i = 0; i < s->nctes; i++) {
        if (sp_router_same_name(&s->ctes[i].name, name)) {
            return;
        }
    }

    memset(&table, 0, sizeof(table));
    table.name = *name;
    table.rule = sp_router_match_table(s->router, name);
    table.depth = s->depth;
    table.join = s->next_join;
    s->next_join = SP_SCAN_JOIN_INNER;
    index = out->ntables++;
    if (index == 0) {
        out->first = table;
    }
    if (index < SP_SCAN_MAX_TABLES) {
        out->tables[index] = table;
        s->alias_target = index;
    }
    if (s->depth == 0) {
        s->last_ref = index < SP_SCAN_MAX_TABLES ? index : SIZE_MAX;
    }

    if (table.rule == NULL) {
        if (out->first_unsharded.name.kind == SP_TOK_EOF) {
            out->first_unsharded = table;
        }
    } else if (table.rule->type == SP_TABLE_REFERENCE) {
        if (out->nreference++ == 0) {
            out->first_reference = table;
        }
    } else if (out->nsharded++ == 0) {
        out->first_sharded = table;
    }
}

/* Reads [db.]name into NAME. Returns false, with the scan failed, when there is none. */
static bool
scan_name(struct scan *s, struct sp_token *name)
{
    if (!scan_is_name(&s->c.tok)) {
        scan_fail(s, "expected a table name");
        return false;
    }
    *name = s->c.tok;
    scan_advance(s);
    if (s->c.tok.kind != SP_TOK_DOT) {
        return true;
    }
    scan_advance(s);
    if (!scan_is_name(&s->c.tok)) {
        scan_fail(s, "expected a table name after the database name");
        return false;
    }
    *name = s->c.tok;
    scan_advance(s);
    return true;
}

static void
scan_table_name(struct scan *s)
{
    struct sp_token name;

    if (scan_name(s, &name)) {
        scan_record(s, &name);
    }
}

static void
scan_open(struct scan *s, struct scan_paren paren)
{
    const struct sp_token *prev = &s->c.prev;
    size_t i;

    if (prev->kind == SP_TOK_IDENT) {
        if (sp_token_is_word_in(prev, scan_session_functions, SP_KEYWORDS_COUNT(scan_session_functions))) {
            s->out->pins_session = true;
        } else if (SP_TOKEN_IS(prev, "GET_LOCK")) {
            s->out->user_locks_get++;
        } else if (SP_TOKEN_IS(prev, "RELEASE_LOCK")) {
            s->out->user_locks_release++;
        } else if (SP_TOKEN_IS(prev, "RELEASE_ALL_LOCKS")) {
            s->out->user_locks_release_all = true;
        }
        for (i = 0; i < SP_KEYWORDS_COUNT(scan_aggregates); i++) {
            if (sp_token_is_word(prev, scan_aggregates[i].name.word, scan_aggregates[i].name.len)) {
                scan_set_blocker(s, scan_aggregates[i].blocker);
                break;
            }
        }
        if (sp_token_is_word_in(prev, scan_primary_functions,
                                SP_KEYWORDS_COUNT(scan_primary_functions))) {
            s->out->primary_only = true;
        }
        paren.from_function =
            sp_token_is_word_in(prev, scan_from_functions, SP_KEYWORDS_COUNT(scan_from_functions));
    }

    if (s->depth < SCAN_MAX_DEPTH) {
        s->parens[s->depth] = paren;
    } else {
        scan_fail(s, "parentheses nested too deeply");
    }
    s->depth++;
    scan_advance(s);
}

static bool scan_table_ref(struct scan *s);
static bool scan_table_tail(struct scan *s, bool derived);

/* Parses table references separated by commas, from the current token. */
static void
scan_table_list(struct scan *s)
{
    while (scan_table_ref(s) && scan_table_tail(s, false)) {
    }
}

/*
 * Parses one table reference. Returns true when a table name was read, so
 * an alias may follow. Returns false when a parenthesis was opened, whose
 * closing continues the list, or when nothing could be read.
 */
static bool
scan_table_ref(struct scan *s)
{
    struct sp_token name, next;
    bool derived;

    s->alias_target = SIZE_MAX;
    if (SCAN_IS(s, "LATERAL") && sp_token_cursor_peek(&s->c).kind == SP_TOK_LPAREN) {
        scan_advance(s);
    }

    if (s->c.tok.kind == SP_TOK_LPAREN) {
        if (s->depth >= SCAN_MAX_DEPTH) {
            scan_fail(s, "parentheses nested too deeply");
            return false;
        }
        next = sp_token_cursor_peek(&s->c);
        derived = SCAN_PEEK_IS(next, "SELECT") || SCAN_PEEK_IS(next, "WITH")
                  || SCAN_PEEK_IS(next, "VALUES");
        scan_open(s, (struct scan_paren){.table_list = true, .derived = derived});
        if (derived) {
            return false;
        }
        if (s->c.tok.kind == SP_TOK_LPAREN) {
            scan_table_ref(s);
        } else {
            scan_table_list(s);
        }
        return false;
    }

    if (SP_TOKEN_IS(&s->c.tok, "DUAL")) {
        scan_advance(s);
        return true;
    }
    if (!scan_name(s, &name)) {
        return false;
    }
    if (s->c.tok.kind == SP_TOK_LPAREN) {
        /* JSON_TABLE(...) and other table functions produce rows the router cannot place. */
        scan_fail(s, "table functions are not supported");
        return false;
    }
    scan_record(s, &name);
    return true;
}

/* Gives the alias to the reference just read, and to the copies of it in out. */
static void
scan_alias(struct scan *s)
{
    struct sp_scan *out = s->out;
    struct sp_scan_table *table;

    if (s->alias_target != SIZE_MAX) {
        table = &out->tables[s->alias_target];
        table->alias = s->c.tok;
        if (s->alias_target == 0) {
            out->first.alias = s->c.tok;
        }
        /* The copies are of the same token, so its position identifies them. */
        if (out->first_sharded.name.text.ptr == table->name.text.ptr) {
            out->first_sharded.alias = s->c.tok;
        }
        if (out->first_reference.name.text.ptr == table->name.text.ptr) {
            out->first_reference.alias = s->c.tok;
        }
        if (out->first_unsharded.name.text.ptr == table->name.text.ptr) {
            out->first_unsharded.alias = s->c.tok;
        }
    }
    scan_advance(s);
}

/*
 * Skips what may follow a table reference: PARTITION (...), an alias and
 * index hints. Returns true when a comma follows (it is consumed) and
 * another table reference comes next.
 */
static bool
scan_table_tail(struct scan *s, bool derived)
{
    struct sp_token next;

    if (SCAN_IS(s, "PARTITION") && sp_token_cursor_peek(&s->c).kind == SP_TOK_LPAREN) {
        scan_advance(s);
        scan_skip_parens(s);
    }

    if (SCAN_SKIP(s, "AS")) {
        if (scan_is_name(&s->c.tok) || s->c.tok.kind == SP_TOK_STRING) {
            scan_alias(s);
        }
    } else if (s->c.tok.kind == SP_TOK_QUOTED_IDENT
               || (s->c.tok.kind == SP_TOK_IDENT
                   && !sp_token_is_word_in(&s->c.tok, scan_not_alias, SP_KEYWORDS_COUNT(scan_not_alias)))) {
        scan_alias(s);
    }
    s->alias_target = SIZE_MAX;
    if (derived && s->c.tok.kind == SP_TOK_LPAREN) {
        scan_skip_parens(s);
    }

    /* USE|IGNORE|FORCE INDEX|KEY [FOR JOIN|ORDER BY|GROUP BY] (...), comma-separated. */
    for (;;) {
        if (!(SCAN_IS(s, "USE") || SCAN_IS(s, "IGNORE") || SCAN_IS(s, "FORCE"))) {
            break;
        }
        next = sp_token_cursor_peek(&s->c);
        if (!(SCAN_PEEK_IS(next, "INDEX") || SCAN_PEEK_IS(next, "KEY"))) {
            break;
        }
        scan_advance(s);
        scan_advance(s);
        if (SCAN_SKIP(s, "FOR")) {
            if (!SCAN_SKIP(s, "JOIN")) {
                scan_advance(s); /* ORDER or GROUP */
                SCAN_SKIP(s, "BY");
            }
        }
        if (s->c.tok.kind == SP_TOK_LPAREN) {
            scan_skip_parens(s);
        }
        next = sp_token_cursor_peek(&s->c);
        if (s->c.tok.kind == SP_TOK_COMMA
            && (SCAN_PEEK_IS(next, "USE") || SCAN_PEEK_IS(next, "IGNORE")
                || SCAN_PEEK_IS(next, "FORCE"))) {
            scan_advance(s);
        }
    }

    if (s->c.tok.kind != SP_TOK_COMMA) {
        return false;
    }
    scan_advance(s);
    return true;
}

/* Reads the name of a common table expression and opens its body. */
static void
scan_cte_head(struct scan *s)
{
    if (!scan_is_name(&s->c.tok)) {
        scan_fail(s, "expected a common table expression name");
        return;
    }
    if (s->nctes == SCAN_MAX_CTES) {
        /* An unrecorded name would be taken for the table it may hide. */
        scan_fail(s, "too many common table expressions");
    } else {
        s->ctes[s->nctes].name = s->c.tok;
        s->ctes[s->nctes].depth = s->depth;
        s->nctes++;
    }
    scan_advance(s);
    if (s->c.tok.kind == SP_TOK_LPAREN) {
        scan_skip_parens(s);
    }
    SCAN_SKIP(s, "AS");
    if (s->c.tok.kind == SP_TOK_LPAREN) {
        scan_open(s, (struct scan_paren){.cte_body = true});
    }
}

static void
scan_close(struct scan *s)
{
    struct scan_paren paren = {0};

    if (s->depth == 0) {
        scan_fail(s, "unbalanced parentheses");
        scan_advance(s);
        return;
    }
    s->depth--;
    if (s->depth < SCAN_MAX_DEPTH) {
        paren = s->parens[s->depth];
    }
    /* Names defined inside the closed parentheses are out of scope now. */
    while (s->nctes > 0 && s->ctes[s->nctes - 1].depth > s->depth) {
        s->nctes--;
    }
    s->alias_target = SIZE_MAX;
    if (paren.table_list && s->depth == 0) {
        s->last_ref = SIZE_MAX;
    }
    scan_advance(s);

    if (paren.cte_body && s->c.tok.kind == SP_TOK_COMMA) {
        scan_advance(s);
        scan_cte_head(s);
    } else if (paren.table_list && scan_table_tail(s, paren.derived)) {
        scan_table_list(s);
    }
}

static bool
scan_in_from_function(const struct scan *s)
{
    return s->depth > 0 && s->depth <= SCAN_MAX_DEPTH && s->parens[s->depth - 1].from_function;
}

/* Keywords that start table lists. Returns true when the keyword was consumed. */
static bool
scan_table_keyword(struct scan *s)
{
    enum sp_stmt_kind kind = s->out->cls.kind;
    struct sp_token next;

    if (SCAN_IS(s, "FROM") && !scan_in_from_function(s)) {
        scan_advance(s);
        scan_table_list(s);
        return true;
    }
    if (SCAN_IS(s, "JOIN")
        || (SCAN_IS(s, "STRAIGHT_JOIN")
            && !sp_token_is_word_in(&s->c.prev, scan_select_options, SP_KEYWORDS_COUNT(scan_select_options)))) {
        s->next_join = SCAN_IS(s, "JOIN") ? s->outer_word : SP_SCAN_JOIN_INNER;
        s->outer_word = SP_SCAN_JOIN_INNER;
        scan_advance(s);
        scan_table_list(s);
        return true;
    }
    if ((SCAN_IS(s, "LEFT") || SCAN_IS(s, "RIGHT"))
        && sp_token_cursor_peek(&s->c).kind != SP_TOK_LPAREN) {
        /* LEFT [OUTER] JOIN; LEFT(...) is the string function. */
        s->outer_word = SCAN_IS(s, "LEFT") ? SP_SCAN_JOIN_LEFT : SP_SCAN_JOIN_RIGHT;
        scan_advance(s);
        return true;
    }
    if (SCAN_IS(s, "USING") && kind == SP_STMT_DELETE && s->depth == 0) {
        next = sp_token_cursor_peek(&s->c);
        if (scan_is_name(&next)) {
            scan_advance(s);
            scan_table_list(s);
            return true;
        }
        return false;
    }
    if (SCAN_IS(s, "REFERENCES")) {
        scan_advance(s);
        scan_table_name(s);
        return true;
    }
    if (kind != SP_STMT_DDL_TABLE || s->depth > 0) {
        return false;
    }
    if (SCAN_IS(s, "RENAME")) {
        /* ALTER TABLE t RENAME [TO|AS] t2, but not RENAME COLUMN, INDEX or KEY. */
        scan_advance(s);
        if (SCAN_SKIP(s, "TO") || SCAN_SKIP(s, "AS")
            || (scan_is_name(&s->c.tok) && !SCAN_IS(s, "COLUMN") && !SCAN_IS(s, "INDEX")
                && !SCAN_IS(s, "KEY"))) {
            scan_table_name(s);
        }
        return true;
    }
    return false;
}

/*
 * Records the join condition after ON, or the column list after USING,
 * and moves past the keyword. USING's list is left for scan_body to open.
 */
static void
scan_join(struct scan *s)
{
    struct sp_scan *out = s->out;
    struct sp_scan_join *join;
    bool using_list = SCAN_IS(s, "USING");

    scan_advance(s);
    if (using_list && s->c.tok.kind != SP_TOK_LPAREN) {
        return;
    }
    if (out->njoins == SP_SCAN_MAX_JOINS) {
        out->joins_overflow = true;
        return;
    }
    join = &out->joins[out->njoins++];
    join->using_list = using_list;
    join->right = using_list ? s->last_ref : SIZE_MAX;
    join->at = s->c;
    if (using_list) {
        sp_token_cursor_advance(&join->at);
    }
}

/* Keywords that matter for routing outside table lists. Returns true when consumed. */
static bool
scan_clause_keyword(struct scan *s)
{
    enum sp_stmt_kind kind = s->out->cls.kind;
    struct sp_scan *out = s->out;
    struct sp_token next;

    if (SCAN_IS(s, "WHERE") && s->depth == 0 && !out->has_where) {
        scan_advance(s);
        out->has_where = true;
        out->where = s->c;
        return true;
    }
    if (SCAN_IS(s, "SET") && s->depth == 0 && kind == SP_STMT_UPDATE && !out->has_set) {
        scan_advance(s);
        out->has_set = true;
        out->set = s->c;
        return true;
    }
    if ((SCAN_IS(s, "ON") || SCAN_IS(s, "USING")) && s->depth == 0
        && (kind == SP_STMT_SELECT || kind == SP_STMT_UPDATE || kind == SP_STMT_DELETE)) {
        scan_join(s);
        return true;
    }
    if (SCAN_IS(s, "WITH") && s->tables && kind != SP_STMT_DDL_TABLE) {
        next = sp_token_cursor_peek(&s->c);
        if (scan_is_name(&next) && !SCAN_PEEK_IS(next, "ROLLUP")) {
            scan_advance(s);
            SCAN_SKIP(s, "RECURSIVE");
            scan_cte_head(s);
            return true;
        }
        return false;
    }

    if (SCAN_IS(s, "UNION") || SCAN_IS(s, "EXCEPT") || SCAN_IS(s, "INTERSECT")) {
        scan_set_blocker(s, SCAN_IS(s, "UNION") ? "UNION" : SCAN_IS(s, "EXCEPT") ? "EXCEPT"
                                                                               : "INTERSECT");
        if (s->depth == 0) {
            out->top_union = true;
        }
    } else if (SCAN_IS(s, "LIMIT")) {
        scan_set_blocker(s, "LIMIT");
        if (s->depth == 0) {
            out->has_limit = true;
        }
    } else if (SCAN_IS(s, "RETURNING")) {
        if (s->depth == 0) {
            out->has_returning = true;
        }
    } else if (SCAN_IS(s, "HAVING")) {
        scan_set_blocker(s, "HAVING");
    } else if (SCAN_IS(s, "DISTINCT") || SCAN_IS(s, "DISTINCTROW")) {
        scan_set_blocker(s, "DISTINCT");
    } else if (SCAN_IS(s, "WINDOW")) {
        scan_set_blocker(s, "window function (WINDOW)");
    } else if (SCAN_IS(s, "SQL_CALC_FOUND_ROWS")) {
        /* FOUND_ROWS() must later run on the same backend connection. */
        out->pins_session = true;
        scan_set_blocker(s, "SQL_CALC_FOUND_ROWS");
    } else if (SCAN_IS(s, "INTO") && kind == SP_STMT_SELECT) {
        scan_set_blocker(s, "SELECT ... INTO");
        out->primary_only = true;
    } else if (SCAN_IS(s, "ORDER") || SCAN_IS(s, "GROUP") || SCAN_IS(s, "OVER")
               || SCAN_IS(s, "FOR") || SCAN_IS(s, "LOCK") || SCAN_IS(s, "NEXT")
               || SCAN_IS(s, "PREVIOUS")) {
        next = sp_token_cursor_peek(&s->c);
        if (SCAN_IS(s, "ORDER") && SCAN_PEEK_IS(next, "BY")) {
            scan_set_blocker(s, "ORDER BY");
        } else if (SCAN_IS(s, "GROUP") && SCAN_PEEK_IS(next, "BY")) {
            scan_set_blocker(s, "GROUP BY");
        } else if (SCAN_IS(s, "OVER") && (next.kind == SP_TOK_LPAREN || scan_is_name(&next))) {
            scan_set_blocker(s, "window function (OVER)");
        } else if (SCAN_IS(s, "FOR") && SCAN_PEEK_IS(next, "UPDATE")) {
            scan_set_blocker(s, "FOR UPDATE");
            out->locking_read = true;
        } else if (SCAN_IS(s, "FOR") && SCAN_PEEK_IS(next, "SHARE")) {
            scan_set_blocker(s, "FOR SHARE");
            out->locking_read = true;
        } else if (SCAN_IS(s, "LOCK") && SCAN_PEEK_IS(next, "IN")) {
            scan_set_blocker(s, "LOCK IN SHARE MODE");
            out->locking_read = true;
        } else if (SCAN_IS(s, "NEXT") || SCAN_IS(s, "PREVIOUS")) {
            /* NEXT VALUE FOR seq, PREVIOUS VALUE FOR seq */
            if (SCAN_PEEK_IS(next, "VALUE")) {
                out->primary_only = true;
            }
        }
    }
    return false;
}

static void
scan_body(struct scan *s)
{
    while (!scan_at_end(s)) {
        switch (s->c.tok.kind) {
        case SP_TOK_LPAREN:
            scan_open(s, (struct scan_paren){0});
            continue;
        case SP_TOK_RPAREN:
            scan_close(s);
            continue;
        case SP_TOK_IDENT:
            if (s->tables && scan_table_keyword(s)) {
                continue;
            }
            if (scan_clause_keyword(s)) {
                continue;
            }
            break;
        default:
            break;
        }
        scan_advance(s);
    }

    if (s->c.tok.kind == SP_TOK_ERROR) {
        /* The lexer's reason explains more than whatever the scan tripped on before it. */
        s->out->error = s->c.lexer.error;
    }
    if (s->depth != 0) {
        scan_fail(s, "unbalanced parentheses");
    }
}

static void
scan_skip_if_exists(struct scan *s)
{
    struct sp_token next;

    if (!SCAN_IS(s, "IF")) {
        return;
    }
    next = sp_token_cursor_peek(&s->c);
    if (SCAN_PEEK_IS(next, "NOT") || SCAN_PEEK_IS(next, "EXISTS")) {
        scan_advance(s);
        SCAN_SKIP(s, "NOT");
        SCAN_SKIP(s, "EXISTS");
    }
}

/* CREATE INDEX and DROP INDEX name their table after ON. */
static void
scan_index_table(struct scan *s)
{
    while (!scan_at_end(s) && !SCAN_IS(s, "ON")) {
        scan_advance(s);
    }
    if (!SCAN_SKIP(s, "ON")) {
        scan_fail(s, "expected ON and a table name");
        return;
    }
    scan_table_name(s);
}

static void
scan_header_create(struct scan *s)
{
    struct sp_token next;

    if (SCAN_SKIP(s, "OR")) {
        SCAN_SKIP(s, "REPLACE");
    }
    SCAN_SKIP(s, "TEMPORARY");
    if (!SCAN_SKIP(s, "TABLE")) {
        scan_index_table(s);
        return;
    }
    scan_skip_if_exists(s);
    scan_table_name(s);

    /* CREATE TABLE t LIKE t2, or CREATE TABLE t (LIKE t2). */
    next = sp_token_cursor_peek(&s->c);
    if (s->c.tok.kind == SP_TOK_LPAREN && SCAN_PEEK_IS(next, "LIKE")) {
        scan_open(s, (struct scan_paren){0});
    }
    if (SCAN_SKIP(s, "LIKE")) {
        scan_table_name(s);
    }
}

static void
scan_header_ddl(struct scan *s)
{
    if (SCAN_SKIP(s, "CREATE")) {
        scan_header_create(s);
    } else if (SCAN_SKIP(s, "ALTER")) {
        SCAN_SKIP(s, "ONLINE");
        SCAN_SKIP(s, "IGNORE");
        SCAN_SKIP(s, "TABLE");
        scan_skip_if_exists(s);
        scan_table_name(s);
    } else if (SCAN_SKIP(s, "DROP")) {
        SCAN_SKIP(s, "TEMPORARY");
        if (SCAN_SKIP(s, "INDEX")) {
            scan_index_table(s);
            return;
        }
        if (!SCAN_SKIP(s, "TABLE")) {
            SCAN_SKIP(s, "TABLES");
        }
        scan_skip_if_exists(s);
        do {
            scan_table_name(s);
        } while (s->c.tok.kind == SP_TOK_COMMA && (scan_advance(s), true));
    } else if (SCAN_SKIP(s, "TRUNCATE")) {
        SCAN_SKIP(s, "TABLE");
        scan_table_name(s);
    } else if (SCAN_SKIP(s, "RENAME")) {
        if (!SCAN_SKIP(s, "TABLE")) {
            SCAN_SKIP(s, "TABLES");
        }
        do {
            scan_table_name(s);
            while (!scan_at_end(s) && !SCAN_IS(s, "TO")) {
                scan_advance(s); /* WAIT n, NOWAIT */
            }
            if (!SCAN_SKIP(s, "TO")) {
                scan_fail(s, "expected TO and a table name");
                return;
            }
            scan_table_name(s);
        } while (s->c.tok.kind == SP_TOK_COMMA && (scan_advance(s), true));
    }
}

static void
scan_header(struct scan *s)
{
    struct sp_scan *out = s->out;

    switch (out->cls.kind) {
    case SP_STMT_INSERT:
    case SP_STMT_REPLACE:
        scan_advance(s);
        while (SCAN_SKIP(s, "LOW_PRIORITY") || SCAN_SKIP(s, "DELAYED")
               || SCAN_SKIP(s, "HIGH_PRIORITY") || SCAN_SKIP(s, "IGNORE")) {
        }
        SCAN_SKIP(s, "INTO");
        scan_table_name(s);
        out->after_target = s->c;
        return;
    case SP_STMT_UPDATE:
        scan_advance(s);
        while (SCAN_SKIP(s, "LOW_PRIORITY") || SCAN_SKIP(s, "IGNORE")) {
        }
        scan_table_list(s);
        return;
    case SP_STMT_DELETE:
        scan_advance(s);
        while (SCAN_SKIP(s, "LOW_PRIORITY") || SCAN_SKIP(s, "QUICK") || SCAN_SKIP(s, "IGNORE")) {
        }
        /* DELETE t1, t2 FROM ...: the targets are repeated in the FROM list. */
        while (!scan_at_end(s) && !SCAN_IS(s, "FROM")) {
            scan_advance(s);
        }
        if (!SCAN_IS(s, "FROM")) {
            scan_fail(s, "expected FROM");
        }
        return;
    case SP_STMT_DDL_TABLE:
        scan_header_ddl(s);
        return;
    case SP_STMT_USE:
        scan_advance(s);
        if (scan_is_name(&s->c.tok)) {
            out->use_db = s->c.tok;
        }
        return;
    default:
        break;
    }

    if (!out->cls.explain) {
        return;
    }
    scan_advance(s);
    while (SCAN_SKIP(s, "EXTENDED") || SCAN_SKIP(s, "PARTITIONS")) {
    }
    if (SCAN_SKIP(s, "FORMAT")) {
        if (SP_TOKEN_IS_OP(&s->c.tok, "=")) {
            scan_advance(s);
        }
        scan_advance(s);
    }
    if (s->c.tok.kind == SP_TOK_LPAREN || SCAN_IS(s, "SELECT") || SCAN_IS(s, "WITH")
        || SCAN_IS(s, "INSERT") || SCAN_IS(s, "REPLACE") || SCAN_IS(s, "UPDATE")
        || SCAN_IS(s, "DELETE")) {
        out->has_explained = true;
        out->explained = s->c;
    } else if (scan_is_name(&s->c.tok)) {
        /* DESCRIBE t: the table definition, which is the same on every shard. */
        scan_table_name(s);
    }
}

void
sp_scan_statement(const struct sp_router *router, const struct sp_lexer *at, struct sp_scan *out)
{
    struct scan s;
    enum sp_stmt_kind kind;

    memset(out, 0, sizeof(*out));
    s.router = router;
    s.out = out;
    s.depth = 0;
    s.nctes = 0;
    s.alias_target = SIZE_MAX;
    s.last_ref = SIZE_MAX;
    s.outer_word = SP_SCAN_JOIN_INNER;
    s.next_join = SP_SCAN_JOIN_INNER;
    sp_token_cursor_start(&s.c, at);
    sp_classify(&s.c, &out->cls);
    out->pins_session = out->cls.pins_session;

    kind = out->cls.kind;
    s.tables = kind == SP_STMT_SELECT || kind == SP_STMT_INSERT || kind == SP_STMT_REPLACE
               || kind == SP_STMT_UPDATE || kind == SP_STMT_DELETE || kind == SP_STMT_DDL_TABLE;

    scan_header(&s);
    scan_body(&s);

    out->hint = s.c.lexer.hint;
    if (s.c.tok.kind == SP_TOK_SEMICOLON) {
        out->text = sp_str_make(at->pos, (size_t)(s.c.tok.text.ptr - at->pos));
        out->has_next = true;
        out->next = s.c.lexer;
    } else {
        out->text = sp_str_make(at->pos, (size_t)(at->end - at->pos));
    }
}
