/*
 * The prepared statements of one client session: a small hash table by
 * statement id. Each statement is one allocation with its text, plus the
 * type and long-data arrays.
 */
#include "proxy/prepared.h"

#include <stdlib.h>
#include <string.h>

#include "router/lexer.h"

/* The id that MariaDB clients send for "the statement prepared last". */
#define PREPARED_LAST_ID 0xFFFFFFFFu

void
sp_prepared_set_init(struct sp_prepared_set *set)
{
    memset(set, 0, sizeof(*set));
    set->next_id = 1;
}

static void
prepared_free(struct sp_prepared *stmt)
{
    if (stmt->long_data != NULL) {
        for (size_t i = 0; i < stmt->nparams; i++) {
            sp_buf_deinit(&stmt->long_data[i]);
        }
        free(stmt->long_data);
    }
    if (stmt->named_sql.ptr != stmt->sql.ptr) {
        free((char *)stmt->named_sql.ptr);
    }
    free(stmt->types);
    free(stmt->has_long_data);
    free(stmt);
}

void
sp_prepared_set_clear(struct sp_prepared_set *set,
                      void (*on_stmt)(const struct sp_prepared *stmt, void *ctx), void *ctx)
{
    for (size_t b = 0; b < SP_PREPARED_BUCKETS; b++) {
        struct sp_prepared *stmt = set->buckets[b], *next;

        for (; stmt != NULL; stmt = next) {
            next = stmt->next;
            if (on_stmt != NULL) {
                on_stmt(stmt, ctx);
            }
            prepared_free(stmt);
        }
        set->buckets[b] = NULL;
    }
    set->count = 0;
    set->last_id = 0;
}

struct sp_prepared *
sp_prepared_add(struct sp_prepared_set *set, struct sp_str sql, uint16_t nparams,
                uint16_t ncolumns, bool *full)
{
    struct sp_prepared *stmt;
    size_t bucket;

    *full = set->count >= SP_PREPARED_MAX;
    if (*full) {
        return NULL;
    }
    stmt = calloc(1, sizeof(*stmt) + sql.len + 1);
    if (stmt == NULL) {
        return NULL;
    }
    stmt->types = calloc(nparams > 0 ? nparams : 1, sizeof(*stmt->types));
    stmt->has_long_data = calloc(nparams > 0 ? nparams : 1, sizeof(*stmt->has_long_data));
    if (stmt->types == NULL || stmt->has_long_data == NULL) {
        prepared_free(stmt);
        return NULL;
    }
    memcpy(stmt + 1, sql.ptr, sql.len);
    stmt->sql = sp_str_make((const char *)(stmt + 1), sql.len);
    stmt->nparams = nparams;
    stmt->ncolumns = ncolumns;
    stmt->cursor_shard = -1;

    /* Ids count up and skip 0 and the "last statement" id when they wrap. */
    do {
        stmt->id = set->next_id++;
    } while (stmt->id == 0 || stmt->id == PREPARED_LAST_ID ||
             sp_prepared_find(set, stmt->id) != NULL);

    bucket = stmt->id % SP_PREPARED_BUCKETS;
    stmt->next = set->buckets[bucket];
    set->buckets[bucket] = stmt;
    set->count++;
    set->last_id = stmt->id;
    return stmt;
}

struct sp_prepared *
sp_prepared_find(struct sp_prepared_set *set, uint32_t id)
{
    struct sp_prepared *stmt;

    if (id == PREPARED_LAST_ID) {
        id = set->last_id;
    }
    for (stmt = set->buckets[id % SP_PREPARED_BUCKETS]; stmt != NULL; stmt = stmt->next) {
        if (stmt->id == id) {
            return stmt;
        }
    }
    return NULL;
}

void
sp_prepared_remove(struct sp_prepared_set *set, uint32_t id)
{
    struct sp_prepared **link;

    if (id == PREPARED_LAST_ID) {
        id = set->last_id;
    }
    for (link = &set->buckets[id % SP_PREPARED_BUCKETS]; *link != NULL; link = &(*link)->next) {
        struct sp_prepared *stmt = *link;

        if (stmt->id == id) {
            *link = stmt->next;
            prepared_free(stmt);
            set->count--;
            return;
        }
    }
}

int
sp_prepared_append_long_data(struct sp_prepared *stmt, uint16_t param, struct sp_str data)
{
    if (param >= stmt->nparams) {
        return SP_EINVAL;
    }
    if (stmt->long_data == NULL) {
        stmt->long_data = calloc(stmt->nparams, sizeof(*stmt->long_data));
        if (stmt->long_data == NULL) {
            return SP_ENOMEM;
        }
        for (size_t i = 0; i < stmt->nparams; i++) {
            sp_buf_init(&stmt->long_data[i]);
        }
    }
    stmt->has_long_data[param] = true;
    return data.len > 0 ? sp_buf_append(&stmt->long_data[param], data.ptr, data.len) : SP_OK;
}

void
sp_prepared_reset_long_data(struct sp_prepared *stmt)
{
    for (size_t i = 0; i < stmt->nparams; i++) {
        stmt->has_long_data[i] = false;
        if (stmt->long_data != NULL) {
            sp_buf_reset(&stmt->long_data[i], 0);
        }
    }
}

/*
 * A LIMIT or OFFSET count takes only an unsigned integer literal, while
 * drivers bind counts as DOUBLE (5e0) or strings ('5'), which the server
 * accepts as parameters. Such a value is written as its digits; anything
 * else as its usual literal, which the server then rejects as it would.
 */
static int
prepared_count_literal(const struct sp_stmt_param *param, uint16_t collation, unsigned flags,
                       struct sp_buf *text)
{
    struct sp_buf digits;
    bool plain = !param->is_null;
    int rc;

    sp_buf_init(&digits);
    if (plain && sp_stmt_param_to_text(param, &digits) == SP_OK && digits.len > 0) {
        for (size_t i = 0; i < digits.len; i++) {
            plain = plain && digits.data[i] >= '0' && digits.data[i] <= '9';
        }
    } else {
        plain = false;
    }
    rc = plain ? sp_buf_append(text, digits.data, digits.len)
               : sp_stmt_param_to_sql(param, collation, flags, text);
    sp_buf_deinit(&digits);
    return rc;
}

int
sp_prepared_set_named(struct sp_prepared *stmt, struct sp_str text)
{
    char *copy;

    if (text.ptr == stmt->sql.ptr) {
        stmt->named_sql = stmt->sql;
        stmt->named = true;
        return SP_OK;
    }
    copy = malloc(text.len + 1);
    if (copy == NULL) {
        return SP_ENOMEM;
    }
    memcpy(copy, text.ptr, text.len);
    copy[text.len] = '\0';
    stmt->named_sql = sp_str_make(copy, text.len);
    stmt->named = true;
    return SP_OK;
}

int
sp_prepared_expand(const struct sp_prepared *stmt, struct sp_stmt_param *params,
                   uint16_t collation, unsigned flags, struct sp_arena *arena, struct sp_str *out)
{
    struct sp_lexer lexer;
    struct sp_token tok;
    struct sp_str sql = stmt->named ? stmt->named_sql : stmt->sql;
    const char *copied = sql.ptr;
    bool count_next = false, after_count = false, is_count;
    struct sp_buf text;
    size_t next = 0;
    char *dst;
    int rc = SP_OK;

    sp_buf_init(&text);
    sp_lexer_init(&lexer, sql.ptr, sql.len);
    for (;;) {
        sp_lexer_next(&lexer, &tok);
        if (tok.kind == SP_TOK_EOF || tok.kind == SP_TOK_ERROR) {
            break;
        }
        /* LIMIT ?, LIMIT ?, ? and OFFSET ? take counts. */
        if (SP_TOKEN_IS(&tok, "LIMIT") || SP_TOKEN_IS(&tok, "OFFSET")) {
            count_next = true;
            after_count = false;
            continue;
        }
        if (tok.kind == SP_TOK_COMMA) {
            count_next = after_count;
            after_count = false;
            continue;
        }
        is_count = count_next;
        count_next = false;
        after_count = is_count && (tok.kind == SP_TOK_NUMBER || tok.kind == SP_TOK_PLACEHOLDER);
        if (tok.kind != SP_TOK_PLACEHOLDER) {
            continue;
        }
        if (next == stmt->nparams) {
            rc = SP_EINVAL;
            break;
        }
        rc = sp_buf_append(&text, copied, (size_t)(tok.text.ptr - copied));
        if (rc == SP_OK && stmt->has_long_data[next]) {
            params[next].is_long_data = true;
            params[next].value = sp_str_make((const char *)stmt->long_data[next].data,
                                             stmt->long_data[next].len);
        }
        if (rc == SP_OK) {
            rc = is_count ? prepared_count_literal(&params[next], collation, flags, &text)
                          : sp_stmt_param_to_sql(&params[next], collation, flags, &text);
        }
        if (rc != SP_OK) {
            break;
        }
        copied = tok.text.ptr + tok.text.len;
        next++;
    }
    if (rc == SP_OK && next != stmt->nparams) {
        rc = SP_EINVAL;
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(&text, copied, (size_t)(sql.ptr + sql.len - copied));
    }
    if (rc == SP_OK) {
        dst = sp_arena_alloc(arena, text.len + 1);
        if (dst == NULL) {
            rc = SP_ENOMEM;
        } else {
            memcpy(dst, text.data, text.len);
            dst[text.len] = '\0';
            *out = sp_str_make(dst, text.len);
        }
    }
    sp_buf_deinit(&text);
    return rc;
}

/* ---- SQL-level statements and user variables ---- */

static bool
prepared_same_name(struct sp_str a, struct sp_str b)
{
    if (a.len != b.len) {
        return false;
    }
    for (size_t i = 0; i < a.len; i++) {
        char x = a.ptr[i], y = b.ptr[i];

        if (x >= 'A' && x <= 'Z') {
            x = (char)(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = (char)(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

/* One allocation of SIZE bytes followed by copies of A and B; views stored in *A_OUT and *B_OUT. */
static void *
prepared_alloc_with(size_t size, struct sp_str a, struct sp_str b, struct sp_str *a_out,
                    struct sp_str *b_out)
{
    char *mem = malloc(size + a.len + b.len + 2);
    char *text;

    if (mem == NULL) {
        return NULL;
    }
    memset(mem, 0, size);
    text = mem + size;
    if (a.len > 0) {
        memcpy(text, a.ptr, a.len);
    }
    text[a.len] = '\0';
    if (b.len > 0) {
        memcpy(text + a.len + 1, b.ptr, b.len);
    }
    text[a.len + 1 + b.len] = '\0';
    *a_out = sp_str_make(text, a.len);
    *b_out = sp_str_make(text + a.len + 1, b.len);
    return mem;
}

void
sp_sql_state_clear(struct sp_sql_state *st)
{
    struct sp_sql_stmt *stmt, *next_stmt;
    struct sp_user_var *var, *next_var;

    for (stmt = st->stmts; stmt != NULL; stmt = next_stmt) {
        next_stmt = stmt->next;
        free(stmt);
    }
    for (var = st->vars; var != NULL; var = next_var) {
        next_var = var->next;
        free(var);
    }
    memset(st, 0, sizeof(*st));
}

const struct sp_sql_stmt *
sp_sql_state_find(const struct sp_sql_state *st, struct sp_str name)
{
    const struct sp_sql_stmt *stmt;

    for (stmt = st->stmts; stmt != NULL; stmt = stmt->next) {
        if (prepared_same_name(stmt->name, name)) {
            return stmt;
        }
    }
    return NULL;
}

bool
sp_sql_state_deallocate(struct sp_sql_state *st, struct sp_str name)
{
    struct sp_sql_stmt **link;

    for (link = &st->stmts; *link != NULL; link = &(*link)->next) {
        struct sp_sql_stmt *stmt = *link;

        if (prepared_same_name(stmt->name, name)) {
            *link = stmt->next;
            free(stmt);
            st->nstmts--;
            return true;
        }
    }
    return false;
}

int
sp_sql_state_prepare(struct sp_sql_state *st, struct sp_str name, struct sp_str text,
                     size_t nparams)
{
    struct sp_str name_copy, text_copy;
    struct sp_sql_stmt *stmt;
    bool replaced = sp_sql_state_deallocate(st, name);

    if (!replaced && st->nstmts >= SP_PREPARED_MAX) {
        return SP_ERANGE;
    }
    stmt = prepared_alloc_with(sizeof(*stmt), name, text, &name_copy, &text_copy);
    if (stmt == NULL) {
        return SP_ENOMEM;
    }
    stmt->name = name_copy;
    stmt->text = text_copy;
    stmt->nparams = nparams;
    stmt->next = st->stmts;
    st->stmts = stmt;
    st->nstmts++;
    return SP_OK;
}

int
sp_sql_state_set_var(struct sp_sql_state *st, struct sp_str name, struct sp_str literal)
{
    struct sp_str name_copy, literal_copy;
    struct sp_user_var **link, *var;

    for (link = &st->vars; *link != NULL; link = &(*link)->next) {
        if (prepared_same_name((*link)->name, name)) {
            var = *link;
            *link = var->next;
            free(var);
            st->nvars--;
            break;
        }
    }
    var = prepared_alloc_with(sizeof(*var), name, literal, &name_copy, &literal_copy);
    if (var == NULL) {
        return SP_ENOMEM;
    }
    var->name = name_copy;
    var->literal = literal_copy;
    var->next = st->vars;
    st->vars = var;
    st->nvars++;
    return SP_OK;
}

int
sp_sql_state_get_var(const struct sp_sql_state *st, struct sp_str name, struct sp_str *literal)
{
    const struct sp_user_var *var;

    for (var = st->vars; var != NULL; var = var->next) {
        if (prepared_same_name(var->name, name)) {
            *literal = var->literal;
            return var->literal.len > 0 ? SP_OK : SP_EINVAL;
        }
    }
    return SP_ENOTFOUND;
}
