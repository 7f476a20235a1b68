/*
 * Statement classification: the kind of a statement from its leading
 * keywords, after comments.
 *
 * Reads only the first few tokens (all of them for WITH, to find the
 * statement after the common table expressions) and never allocates.
 */
#ifndef SP_ROUTER_CLASSIFY_H
#define SP_ROUTER_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "router/lexer.h"
#include "router/router.h"

struct sp_classification {
    enum sp_stmt_kind kind;
    /*
     * The leading keywords alone create session state: SET, PREPARE,
     * EXECUTE, DEALLOCATE, HANDLER, XA.
     */
    bool pins_session;
    bool temporary; /* CREATE or DROP TEMPORARY TABLE: the router decides about pinning */
    /*
     * The server commits the open transaction before it runs the
     * statement: CREATE, ALTER, DROP (but not of a TEMPORARY table or a
     * prepared statement), RENAME, TRUNCATE, GRANT, REVOKE, LOCK TABLES,
     * ANALYZE, CHECK, OPTIMIZE and REPAIR TABLE, CACHE INDEX, LOAD INDEX,
     * FLUSH, RESET, INSTALL and UNINSTALL.
     */
    bool implicit_commit;
    bool account;       /* GRANT, REVOKE, CREATE/ALTER/DROP/RENAME USER or ROLE */
    bool lock_tables;   /* LOCK TABLE[S] */
    bool unlock_tables; /* UNLOCK TABLE[S] */
    /*
     * CREATE PROCEDURE, FUNCTION, TRIGGER, EVENT or PACKAGE and BEGIN NOT
     * ATOMIC: a stored-program body follows whose ';' do not end the
     * statement.
     */
    bool compound;
    bool explain;   /* EXPLAIN, DESCRIBE or DESC (kind is SP_STMT_OTHER) */
};

/* Classifies the statement that starts at AT's current token; AT is not moved. */
void sp_classify(const struct sp_token_cursor *at, struct sp_classification *out);

/* Returns the kind of the first statement in LEN bytes at SQL. */
enum sp_stmt_kind sp_classify_sql(const char *sql, size_t len);

/* Returns "SELECT", "DDL_TABLE" and so on, for test output. */
const char *sp_stmt_kind_name(enum sp_stmt_kind kind);

#endif
