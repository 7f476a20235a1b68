/*
 * Statement classification from the leading keywords.
 *
 * Only the words that decide routing or session pinning are recognized.
 * Every other statement is SP_STMT_OTHER, which the router sends to the
 * default shard unless it names a sharded table.
 */
#include "router/classify.h"

#include <string.h>

#define CLASSIFY_LOOKAHEAD 16 /* tokens searched for a stored-program keyword */

static void
classify_skip(struct sp_token_cursor *c, const char *word, size_t len)
{
    if (sp_token_is_word(&c->tok, word, len)) {
        sp_token_cursor_advance(c);
    }
}

#define CLASSIFY_SKIP(c, word) classify_skip((c), (word), sizeof(word) - 1)

static bool
classify_is_stored_program(const struct sp_token *tok)
{
    return SP_TOKEN_IS(tok, "PROCEDURE") || SP_TOKEN_IS(tok, "FUNCTION")
           || SP_TOKEN_IS(tok, "TRIGGER") || SP_TOKEN_IS(tok, "EVENT")
           || SP_TOKEN_IS(tok, "PACKAGE");
}

static void
classify_create(struct sp_token_cursor *c, struct sp_classification *out)
{
    int i;

    if (SP_TOKEN_IS(&c->tok, "OR")) {
        sp_token_cursor_advance(c);
        CLASSIFY_SKIP(c, "REPLACE");
    }
    if (SP_TOKEN_IS(&c->tok, "TEMPORARY")) {
        out->temporary = true;
        sp_token_cursor_advance(c);
    }
    if (SP_TOKEN_IS(&c->tok, "UNIQUE") || SP_TOKEN_IS(&c->tok, "FULLTEXT")
        || SP_TOKEN_IS(&c->tok, "SPATIAL")) {
        sp_token_cursor_advance(c);
        if (SP_TOKEN_IS(&c->tok, "INDEX")) {
            out->kind = SP_STMT_DDL_TABLE;
        }
        return;
    }
    if (SP_TOKEN_IS(&c->tok, "TABLE") || SP_TOKEN_IS(&c->tok, "INDEX")) {
        out->kind = SP_STMT_DDL_TABLE;
        return;
    }
    if (SP_TOKEN_IS(&c->tok, "DATABASE") || SP_TOKEN_IS(&c->tok, "SCHEMA")) {
        out->kind = SP_STMT_DDL_DATABASE;
        return;
    }

    /* The keyword can follow DEFINER = user@host, AGGREGATE and the like. */
    for (i = 0; i < CLASSIFY_LOOKAHEAD && c->tok.kind != SP_TOK_EOF; i++) {
        if (classify_is_stored_program(&c->tok)) {
            out->compound = true;
            return;
        }
        sp_token_cursor_advance(c);
    }
}

static void
classify_alter(struct sp_token_cursor *c, struct sp_classification *out)
{
    CLASSIFY_SKIP(c, "ONLINE");
    CLASSIFY_SKIP(c, "IGNORE");
    if (SP_TOKEN_IS(&c->tok, "TABLE")) {
        out->kind = SP_STMT_DDL_TABLE;
    } else if (SP_TOKEN_IS(&c->tok, "DATABASE") || SP_TOKEN_IS(&c->tok, "SCHEMA")) {
        out->kind = SP_STMT_DDL_DATABASE;
    }
}

static void
classify_drop(struct sp_token_cursor *c, struct sp_classification *out)
{
    if (SP_TOKEN_IS(&c->tok, "TEMPORARY")) {
        out->temporary = true;
        sp_token_cursor_advance(c);
    }
    if (SP_TOKEN_IS(&c->tok, "TABLE") || SP_TOKEN_IS(&c->tok, "TABLES")
        || SP_TOKEN_IS(&c->tok, "INDEX")) {
        out->kind = SP_STMT_DDL_TABLE;
    } else if (SP_TOKEN_IS(&c->tok, "DATABASE") || SP_TOKEN_IS(&c->tok, "SCHEMA")) {
        out->kind = SP_STMT_DDL_DATABASE;
    } else if (SP_TOKEN_IS(&c->tok, "PREPARE")) {
        out->pins_session = true;
    }
}

/*
 * WITH name AS (...), ... is followed by the statement that uses the
 * common table expressions; only a SELECT (or a parenthesized one) is
 * routed as such.
 */
static void
classify_with(struct sp_token_cursor *c, struct sp_classification *out)
{
    unsigned depth = 0;

    for (; c->tok.kind != SP_TOK_EOF && c->tok.kind != SP_TOK_ERROR; sp_token_cursor_advance(c)) {
        if (c->tok.kind == SP_TOK_SEMICOLON && depth == 0) {
            return;
        }
        if (c->tok.kind == SP_TOK_LPAREN) {
            depth++;
            continue;
        }
        if (c->tok.kind != SP_TOK_RPAREN || depth == 0) {
            continue;
        }
        if (--depth > 0) {
            continue;
        }
        /*
         * A column list is followed by AS, a body by a comma and another
         * definition, or by the statement itself.
         */
        sp_token_cursor_advance(c);
        if (c->tok.kind == SP_TOK_COMMA || SP_TOKEN_IS(&c->tok, "AS")) {
            continue;
        }
        if (SP_TOKEN_IS(&c->tok, "SELECT") || c->tok.kind == SP_TOK_LPAREN) {
            out->kind = SP_STMT_SELECT;
        }
        return;
    }
}

static void
classify_transaction(const struct sp_token *first, struct sp_token_cursor *c,
                     struct sp_classification *out)
{
    if (SP_TOKEN_IS(first, "BEGIN")) {
        if (SP_TOKEN_IS(&c->tok, "NOT")) {
            out->compound = true; /* BEGIN NOT ATOMIC ... END */
        } else {
            out->kind = SP_STMT_BEGIN;
        }
    } else if (SP_TOKEN_IS(first, "START")) {
        if (SP_TOKEN_IS(&c->tok, "TRANSACTION")) {
            out->kind = SP_STMT_BEGIN;
        }
    } else if (SP_TOKEN_IS(first, "COMMIT")) {
        out->kind = SP_STMT_COMMIT;
    } else {
        CLASSIFY_SKIP(c, "WORK");
        if (!SP_TOKEN_IS(&c->tok, "TO")) {
            out->kind = SP_STMT_ROLLBACK;
        }
    }
}

/* Whether the statement after CREATE, ALTER, DROP or RENAME (at C) is about a user or role. */
static bool
classify_is_account(const struct sp_token_cursor *at)
{
    struct sp_token_cursor c = *at;

    if (SP_TOKEN_IS(&c.tok, "OR")) {
        sp_token_cursor_advance(&c);
        CLASSIFY_SKIP(&c, "REPLACE");
    }
    return SP_TOKEN_IS(&c.tok, "USER") || SP_TOKEN_IS(&c.tok, "ROLE");
}

void
sp_classify(const struct sp_token_cursor *at, struct sp_classification *out)
{
    struct sp_token_cursor c = *at;
    struct sp_token first;

    memset(out, 0, sizeof(*out));
    out->kind = SP_STMT_OTHER;

    if (c.tok.kind == SP_TOK_EOF || c.tok.kind == SP_TOK_SEMICOLON) {
        out->kind = SP_STMT_EMPTY;
        return;
    }
    if (c.tok.kind == SP_TOK_LPAREN) {
        while (c.tok.kind == SP_TOK_LPAREN) {
            sp_token_cursor_advance(&c);
        }
        if (SP_TOKEN_IS(&c.tok, "SELECT") || SP_TOKEN_IS(&c.tok, "WITH")) {
            out->kind = SP_STMT_SELECT;
        }
        return;
    }
    if (c.tok.kind != SP_TOK_IDENT) {
        return;
    }

    first = c.tok;
    sp_token_cursor_advance(&c);
    out->account = SP_TOKEN_IS(&first, "GRANT") || SP_TOKEN_IS(&first, "REVOKE") ||
                   ((SP_TOKEN_IS(&first, "CREATE") || SP_TOKEN_IS(&first, "ALTER") ||
                     SP_TOKEN_IS(&first, "DROP") || SP_TOKEN_IS(&first, "RENAME")) &&
                    classify_is_account(&c));

    if (SP_TOKEN_IS(&first, "SELECT")) {
        out->kind = SP_STMT_SELECT;
    } else if (SP_TOKEN_IS(&first, "WITH")) {
        classify_with(&c, out);
    } else if (SP_TOKEN_IS(&first, "INSERT")) {
        out->kind = SP_STMT_INSERT;
    } else if (SP_TOKEN_IS(&first, "REPLACE")) {
        out->kind = SP_STMT_REPLACE;
    } else if (SP_TOKEN_IS(&first, "UPDATE")) {
        out->kind = SP_STMT_UPDATE;
    } else if (SP_TOKEN_IS(&first, "DELETE")) {
        out->kind = SP_STMT_DELETE;
    } else if (SP_TOKEN_IS(&first, "CREATE")) {
        classify_create(&c, out);
        out->implicit_commit = !out->temporary;
    } else if (SP_TOKEN_IS(&first, "ALTER")) {
        classify_alter(&c, out);
        out->implicit_commit = true;
    } else if (SP_TOKEN_IS(&first, "DROP")) {
        out->implicit_commit = !SP_TOKEN_IS(&c.tok, "TEMPORARY") && !SP_TOKEN_IS(&c.tok, "PREPARE");
        classify_drop(&c, out);
    } else if (SP_TOKEN_IS(&first, "TRUNCATE")) {
        out->kind = SP_STMT_DDL_TABLE;
        out->implicit_commit = true;
    } else if (SP_TOKEN_IS(&first, "RENAME")) {
        if (SP_TOKEN_IS(&c.tok, "TABLE") || SP_TOKEN_IS(&c.tok, "TABLES")) {
            out->kind = SP_STMT_DDL_TABLE;
        }
        out->implicit_commit = true;
    } else if (SP_TOKEN_IS(&first, "GRANT") || SP_TOKEN_IS(&first, "REVOKE")
               || SP_TOKEN_IS(&first, "ANALYZE") || SP_TOKEN_IS(&first, "OPTIMIZE")
               || SP_TOKEN_IS(&first, "REPAIR") || SP_TOKEN_IS(&first, "FLUSH")
               || SP_TOKEN_IS(&first, "RESET") || SP_TOKEN_IS(&first, "INSTALL")
               || SP_TOKEN_IS(&first, "UNINSTALL")) {
        out->implicit_commit = true;
    } else if (SP_TOKEN_IS(&first, "CHECK")) {
        out->implicit_commit = SP_TOKEN_IS(&c.tok, "TABLE") || SP_TOKEN_IS(&c.tok, "TABLES");
    } else if (SP_TOKEN_IS(&first, "CACHE") || SP_TOKEN_IS(&first, "LOAD")) {
        out->implicit_commit = SP_TOKEN_IS(&c.tok, "INDEX");
    } else if (SP_TOKEN_IS(&first, "USE")) {
        out->kind = SP_STMT_USE;
    } else if (SP_TOKEN_IS(&first, "SET")) {
        /* NOTE: every SET pins because session variables are not replayed on other backends. */
        out->kind = SP_STMT_SET;
        out->pins_session = true;
    } else if (SP_TOKEN_IS(&first, "SHOW")) {
        out->kind = SP_STMT_SHOW;
    } else if (SP_TOKEN_IS(&first, "BEGIN") || SP_TOKEN_IS(&first, "START")
               || SP_TOKEN_IS(&first, "COMMIT") || SP_TOKEN_IS(&first, "ROLLBACK")) {
        classify_transaction(&first, &c, out);
    } else if (SP_TOKEN_IS(&first, "LOCK") || SP_TOKEN_IS(&first, "UNLOCK")
               || SP_TOKEN_IS(&first, "PREPARE") || SP_TOKEN_IS(&first, "EXECUTE")
               || SP_TOKEN_IS(&first, "DEALLOCATE") || SP_TOKEN_IS(&first, "HANDLER")
               || SP_TOKEN_IS(&first, "XA")) {
        bool tables = SP_TOKEN_IS(&c.tok, "TABLE") || SP_TOKEN_IS(&c.tok, "TABLES");

        /* Table locks are followed by the session instead (struct sp_pin_effect). */
        out->lock_tables = SP_TOKEN_IS(&first, "LOCK") && tables;
        out->unlock_tables = SP_TOKEN_IS(&first, "UNLOCK") && tables;
        out->implicit_commit = out->lock_tables;
        out->pins_session = !out->lock_tables && !out->unlock_tables;
    } else if (SP_TOKEN_IS(&first, "EXPLAIN") || SP_TOKEN_IS(&first, "DESCRIBE")
               || SP_TOKEN_IS(&first, "DESC")) {
        out->explain = true;
    }
}

enum sp_stmt_kind
sp_classify_sql(const char *sql, size_t len)
{
    struct sp_classification cls;
    struct sp_token_cursor c;

    sp_token_cursor_init(&c, sql, len);
    sp_classify(&c, &cls);
    return cls.kind;
}

const char *
sp_stmt_kind_name(enum sp_stmt_kind kind)
{
    switch (kind) {
    case SP_STMT_EMPTY:
        return "EMPTY";
    case SP_STMT_SELECT:
        return "SELECT";
    case SP_STMT_INSERT:
        return "INSERT";
    case SP_STMT_REPLACE:
        return "REPLACE";
    case SP_STMT_UPDATE:
        return "UPDATE";
    case SP_STMT_DELETE:
        return "DELETE";
    case SP_STMT_DDL_TABLE:
        return "DDL_TABLE";
    case SP_STMT_DDL_DATABASE:
        return "DDL_DATABASE";
    case SP_STMT_USE:
        return "USE";
    case SP_STMT_SET:
        return "SET";
    case SP_STMT_SHOW:
        return "SHOW";
    case SP_STMT_BEGIN:
        return "BEGIN";
    case SP_STMT_COMMIT:
        return "COMMIT";
    case SP_STMT_ROLLBACK:
        return "ROLLBACK";
    case SP_STMT_OTHER:
        return "OTHER";
    }
    return "UNKNOWN";
}
