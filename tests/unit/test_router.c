/*
 * Unit tests for router/. The routing decisions are in
 * tests/data/router/routes.txt: SQL in, then plan kind, shards, merge spec,
 * per-target SQL and error out. This file also checks the exact text of
 * split INSERTs and merge rewrites, sysbench's statements, USE, statement
 * classification and config checks.
 *
 * The config is built by hand here, not loaded from JSON. It has three
 * shards with equal hash ranges, so shard i owns
 * [floor(i * 2^64 / 3), floor((i + 1) * 2^64 / 3) - 1]. The default shard
 * is 1, and the table rules are those in test_tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router/classify.h"
#include "router/router.h"

#define DEFAULT_SHARD 1
#define NSHARDS 3
#define RENDER_MAX 4096
#define SQL_MAX 8192

/* Keys below 5000 on shard 0, below 10000 on shard 1, the rest on shard 2. */
static struct sp_range_cfg test_ranges[] = {
    {.shard_name = "s0", .shard = 0, .has_below = true, .below = 5000},
    {.shard_name = "s1", .shard = 1, .has_below = true, .below = 10000},
    {.shard_name = "s2", .shard = 2},
};

/* Negative keys and keys from 1000 on shard 2, 0..999 on shard 0. */
static struct sp_range_cfg other_ranges[] = {
    {.shard_name = "s2", .shard = 2, .has_below = true, .below = 0},
    {.shard_name = "s0", .shard = 0, .has_below = true, .below = 1000},
    {.shard_name = "s2", .shard = 2},
};

/* The first NTABLES_TWO_SHARDS rules name no third shard, for the two-shard fixture. */
#define NTABLES_TWO_SHARDS 5

static struct sp_table_cfg test_tables[] = {
    {.name = "sbtest", .prefix = true, .shard_key = "id", .key_type = SP_KEY_INT},
    {.name = "photo", .shard_key = "id", .key_type = SP_KEY_INT},
    {.name = "users", .shard_key = "name", .key_type = SP_KEY_STRING},
    {.name = "orders", .shard_key = "customer_id", .key_type = SP_KEY_INT},
    {.name = "customers", .shard_key = "id", .key_type = SP_KEY_INT},
    {.name = "rsbtest", .prefix = true, .shard_key = "id", .algorithm = SP_ALGORITHM_RANGE,
     .ranges = test_ranges, .nranges = 3},
    {.name = "rlog", .shard_key = "sb_id", .algorithm = SP_ALGORITHM_RANGE,
     .ranges = test_ranges, .nranges = 3},
    {.name = "rhist", .shard_key = "id", .algorithm = SP_ALGORITHM_RANGE,
     .ranges = other_ranges, .nranges = 3},
    {.name = "currencies", .type = SP_TABLE_REFERENCE},
    {.name = "tax_rates", .type = SP_TABLE_REFERENCE},
};

struct fixture {
    struct sp_shard_cfg shards[NSHARDS];
    struct sp_config cfg;
    struct sp_router *router;
    struct sp_arena arena;
};

static void
fill_config(struct fixture *f, size_t nshards)
{
    static char *names[] = {"s0", "s1", "s2"};
    size_t i;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < nshards; i++) {
        f->shards[i].name = names[i];
        f->shards[i].hash_from = (uint64_t)(((unsigned __int128)i << 64) / nshards);
        f->shards[i].hash_to = i + 1 == nshards
                                   ? UINT64_MAX
                                   : (uint64_t)(((unsigned __int128)(i + 1) << 64) / nshards) - 1;
    }
    f->cfg.shards = f->shards;
    f->cfg.nshards = nshards;
    f->cfg.default_shard = nshards > DEFAULT_SHARD ? DEFAULT_SHARD : 0;
    f->cfg.tables = test_tables;
    f->cfg.ntables = nshards == NSHARDS ? sizeof(test_tables) / sizeof(test_tables[0])
                                        : NTABLES_TWO_SHARDS;
}

static int
setup_shards(void **state, size_t nshards)
{
    struct sp_error err;
    struct fixture *f;

    f = malloc(sizeof(*f));
    assert_non_null(f);
    fill_config(f, nshards);
    assert_int_equal(sp_router_create(&f->cfg, &f->router, &err), SP_OK);
    sp_arena_init(&f->arena, 4096);
    *state = f;
    return 0;
}

static int
setup(void **state)
{
    return setup_shards(state, NSHARDS);
}

static int
setup_two(void **state)
{
    return setup_shards(state, 2);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    sp_router_destroy(f->router);
    sp_arena_deinit(&f->arena);
    free(f);
    return 0;
}

/* Plans a heap copy of SQL without its NUL, so that overreads show under ASan. */
static char *
plan_exact(struct fixture *f, const char *sql, size_t len, struct sp_plan *plan)
{
    char *buf = malloc(len > 0 ? len : 1);

    assert_non_null(buf);
    memcpy(buf, sql, len);
    assert_int_equal(sp_router_plan(f->router, buf, len, &f->arena, plan), SP_OK);
    return buf;
}

static const char *
plan_kind_name(enum sp_plan_kind kind)
{
    switch (kind) {
    case SP_PLAN_SINGLE:
        return "SINGLE";
    case SP_PLAN_SCATTER_ROWS:
        return "SCATTER_ROWS";
    case SP_PLAN_SCATTER_OK:
        return "SCATTER_OK";
    case SP_PLAN_BROADCAST:
        return "BROADCAST";
    case SP_PLAN_SCATTER_MERGE:
        return "SCATTER_MERGE";
    case SP_PLAN_REJECT:
        return "REJECT";
    }
    return "UNKNOWN";
}

/* Appends printf output to OUT, which contains *USED of CAP bytes. Output past CAP is cut. */
static void
append(char *out, size_t cap, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*used >= cap) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(out + *used, cap - *used, fmt, ap);
    va_end(ap);
    *used += n > 0 ? (size_t)n : 0;
}

/* A column reference as the spec dump writes it: 3 for a visible column, h0 for a hidden one. */
static void
append_col(char *out, size_t cap, size_t *used, int32_t col)
{
    if (col == SP_MERGE_NO_COLUMN) {
        append(out, cap, used, "-");
    } else if (col >= 0) {
        append(out, cap, used, "%d", (int)col);
    } else {
        append(out, cap, used, "h%d", (int)(-col - 1));
    }
}

static void
append_keys(char *out, size_t cap, size_t *used, const char *name,
            const struct sp_merge_key *keys, size_t n)
{
    size_t i;

    if (n == 0) {
        return;
    }
    append(out, cap, used, " %s=[", name);
    for (i = 0; i < n; i++) {
        append(out, cap, used, "%s", i > 0 ? ", " : "");
        append_col(out, cap, used, keys[i].col);
        if (keys[i].weight_col != SP_MERGE_NO_COLUMN) {
            append(out, cap, used, "~");
            append_col(out, cap, used, keys[i].weight_col);
        }
        append(out, cap, used, "%s", keys[i].desc ? " desc" : "");
    }
    append(out, cap, used, "]");
}

static void
append_having(char *out, size_t cap, size_t *used, const struct sp_merge_having *h)
{
    static const char *const cmp[] = {
        [SP_CMP_EQ] = "=",  [SP_CMP_NE] = "<>", [SP_CMP_LT] = "<",
        [SP_CMP_LE] = "<=", [SP_CMP_GT] = ">",  [SP_CMP_GE] = ">=",
        [SP_CMP_NULLSAFE_EQ] = "<=>", [SP_CMP_IS_NULL] = "is-null",
        [SP_CMP_IS_NOT_NULL] = "is-not-null",
    };

    if (h == NULL) {
        append(out, cap, used, "NULL");
        return;
    }
    switch (h->op) {
    case SP_HAVING_AND:
    case SP_HAVING_OR:
        append(out, cap, used, "(%s ", h->op == SP_HAVING_AND ? "and" : "or");
        append_having(out, cap, used, h->left);
        append(out, cap, used, " ");
        append_having(out, cap, used, h->right);
        append(out, cap, used, ")");
        return;
    case SP_HAVING_NOT:
        append(out, cap, used, "(not ");
        append_having(out, cap, used, h->left);
        append(out, cap, used, ")");
        return;
    case SP_HAVING_CMP:
        append(out, cap, used, "(%s ", cmp[h->cmp]);
        append_col(out, cap, used, h->col);
        if (h->cmp != SP_CMP_IS_NULL && h->cmp != SP_CMP_IS_NOT_NULL) {
            append(out, cap, used, h->literal_is_string ? " '%.*s'" : " %.*s",
                   (int)h->literal.len, h->literal.ptr);
        }
        append(out, cap, used, ")");
        return;
    }
}

/* An expression over aggregates as a prefix form: (/ h0 h1), (round h2 1), avg(h0/h1). */
static void
append_expr(char *out, size_t cap, size_t *used, const struct sp_merge_expr *e)
{
    static const char *const ops[] = {
        [SP_EXPR_NEG] = "neg",     [SP_EXPR_ADD] = "+",          [SP_EXPR_SUB] = "-",
        [SP_EXPR_MUL] = "*",       [SP_EXPR_DIV] = "/",          [SP_EXPR_INT_DIV] = "div",
        [SP_EXPR_MOD] = "mod",     [SP_EXPR_ROUND] = "round",    [SP_EXPR_TRUNCATE] = "truncate",
        [SP_EXPR_ABS] = "abs",     [SP_EXPR_FLOOR] = "floor",    [SP_EXPR_CEILING] = "ceiling",
        [SP_EXPR_IFNULL] = "ifnull",
    };

    if (e == NULL) {
        append(out, cap, used, "NULL");
        return;
    }
    switch (e->op) {
    case SP_EXPR_COLUMN:
        append_col(out, cap, used, e->col);
        return;
    case SP_EXPR_AVG:
        append(out, cap, used, "avg(");
        append_col(out, cap, used, e->col);
        append(out, cap, used, "/");
        append_col(out, cap, used, e->count_col);
        append(out, cap, used, ")");
        return;
    case SP_EXPR_NUMBER:
        append(out, cap, used, "%.*s", (int)e->text.len, e->text.ptr);
        return;
    case SP_EXPR_NULL:
        append(out, cap, used, "NULL");
        return;
    default:
        append(out, cap, used, "(%s ", ops[e->op]);
        append_expr(out, cap, used, e->arg[0]);
        if (e->op == SP_EXPR_ROUND || e->op == SP_EXPR_TRUNCATE) {
            append(out, cap, used, " %d", (int)e->places);
        } else if (e->arg[1] != NULL) {
            append(out, cap, used, " ");
            append_expr(out, cap, used, e->arg[1]);
        }
        append(out, cap, used, ")");
        return;
    }
}

/*
 * Renders SPEC in the "spec:" syntax of routes.txt: hidden=N, then grouped,
 * cols=[col:agg ...], group=[...], order=[...], having=(...), distinct,
 * limit=N offset=N, each only when set. An expression column shows its
 * tree, an aggregate over DISTINCT values its (argument~weight) list.
 */
static void
render_spec(const struct sp_merge_spec *spec, char *out, size_t cap)
{
    static const char *const aggs[] = {
        [SP_MERGE_AGG_NONE] = "none", [SP_MERGE_AGG_COUNT] = "count", [SP_MERGE_AGG_SUM] = "sum",
        [SP_MERGE_AGG_MIN] = "min",   [SP_MERGE_AGG_MAX] = "max",     [SP_MERGE_AGG_AVG] = "avg",
        [SP_MERGE_AGG_EXPR] = "expr", [SP_MERGE_AGG_COUNT_DISTINCT] = "count-distinct",
        [SP_MERGE_AGG_SUM_DISTINCT] = "sum-distinct",
        [SP_MERGE_AGG_AVG_DISTINCT] = "avg-distinct",
    };
    const struct sp_merge_column *c;
    size_t used = 0, i;

    out[0] = '\0';
    append(out, cap, &used, "hidden=%u", spec->nhidden);
    if (spec->grouped) {
        append(out, cap, &used, " grouped");
    }
    if (spec->ncolumns > 0) {
        append(out, cap, &used, " cols=[");
        for (i = 0; i < spec->ncolumns; i++) {
            c = &spec->columns[i];
            append(out, cap, &used, "%s", i > 0 ? ", " : "");
            append_col(out, cap, &used, c->col);
            append(out, cap, &used, ":%s", aggs[c->agg]);
            if (c->agg == SP_MERGE_AGG_AVG) {
                append(out, cap, &used, "(");
                append_col(out, cap, &used, c->sum_col);
                append(out, cap, &used, "/");
                append_col(out, cap, &used, c->count_col);
                append(out, cap, &used, ")");
            }
            if (c->agg == SP_MERGE_AGG_EXPR) {
                append_expr(out, cap, &used, c->expr);
            }
            for (size_t a = 0; a < c->nargs; a++) {
                append(out, cap, &used, "%s", a == 0 ? "(" : ",");
                append_col(out, cap, &used, c->args[a].col);
                append(out, cap, &used, "~");
                append_col(out, cap, &used, c->args[a].weight_col);
                append(out, cap, &used, "%s", a + 1 == c->nargs ? ")" : "");
            }
            if (c->weight_col != SP_MERGE_NO_COLUMN) {
                append(out, cap, &used, "~");
                append_col(out, cap, &used, c->weight_col);
            }
        }
        append(out, cap, &used, "]");
    }
    append_keys(out, cap, &used, "group", spec->group_keys, spec->ngroup_keys);
    append_keys(out, cap, &used, "order", spec->order_keys, spec->norder_keys);
    if (spec->having != NULL) {
        append(out, cap, &used, " having=");
        append_having(out, cap, &used, spec->having);
    }
    if (spec->distinct) {
        append(out, cap, &used, " distinct");
    }
    if (spec->has_limit) {
        append(out, cap, &used, " limit=%llu offset=%llu", (unsigned long long)spec->limit,
               (unsigned long long)spec->offset);
    }
}

/* Writes the pin effect of PLAN as "lock_tables,get_lock:1,temp+db.t", or "" for none. */
static void
render_pin(const struct sp_plan *plan, char *out, size_t cap)
{
    const struct sp_pin_effect *pin = &plan->pin;
    size_t used = 0, i;

    out[0] = '\0';
    if (pin->lock_tables) {
        append(out, cap, &used, "%slock_tables", used > 0 ? "," : "");
    }
    if (pin->unlock_tables) {
        append(out, cap, &used, "%sunlock_tables", used > 0 ? "," : "");
    }
    if (pin->user_locks_get > 0) {
        append(out, cap, &used, "%sget_lock:%u", used > 0 ? "," : "", pin->user_locks_get);
    }
    if (pin->user_locks_release > 0) {
        append(out, cap, &used, "%srelease_lock:%u", used > 0 ? "," : "", pin->user_locks_release);
    }
    if (pin->user_locks_release_all) {
        append(out, cap, &used, "%srelease_all", used > 0 ? "," : "");
    }
    for (i = 0; i < pin->ntemp; i++) {
        append(out, cap, &used, "%stemp%c%.*s%s%.*s", used > 0 ? "," : "",
               pin->temp_create ? '+' : '-', (int)pin->temp_db[i].len, pin->temp_db[i].ptr,
               pin->temp_db[i].len > 0 ? "." : "", (int)pin->temp_name[i].len,
               pin->temp_name[i].ptr);
    }
}

/* Renders PLAN in the expectation syntax of routes.txt, with every flag spelled out. */
static void
render_plan(const struct sp_plan *plan, char *out, size_t cap)
{
    char spec[RENDER_MAX];
    size_t used = 0, i;

    append(out, cap, &used, "%s", plan_kind_name(plan->kind));
    if (plan->kind == SP_PLAN_REJECT) {
        append(out, cap, &used, " %u", plan->error.code);
    }
    for (i = 0; i < plan->ntargets; i++) {
        append(out, cap, &used, " %u", plan->targets[i].shard);
    }
    if (plan->pins_session) {
        append(out, cap, &used, " pins");
    }
    if (plan->multi_statement) {
        append(out, cap, &used, " multi");
    }
    if (plan->broadcast_same_rows) {
        append(out, cap, &used, " same_rows");
    }
    render_pin(plan, spec, sizeof(spec));
    if (spec[0] != '\0') {
        append(out, cap, &used, " pin=%s", spec);
    }
    append(out, cap, &used, " stmt=%s", sp_stmt_kind_name(plan->stmt));
    if (plan->kind == SP_PLAN_REJECT) {
        append(out, cap, &used, " [%s] \"%s\"", plan->error.sqlstate, plan->error.message);
    }
    if (plan->merge != NULL) {
        render_spec(plan->merge, spec, sizeof(spec));
        append(out, cap, &used, "\n  spec: %s", spec);
    }
    for (i = 0; i < plan->ntargets; i++) {
        append(out, cap, &used, "\n  sql %u: %.*s", plan->targets[i].shard,
               (int)plan->targets[i].sql.len, plan->targets[i].sql.ptr);
    }
}

struct expectation {
    enum sp_plan_kind kind;
    unsigned code;
    uint32_t shards[NSHARDS];
    size_t nshards;
    bool pins;
    bool multi;
    bool same_rows;
    const char *stmt;    /* NULL: not checked */
    const char *message; /* NULL: not checked */
    const char *pin;     /* the plan's pin effect as render_pin writes it; "" for none */
    const char *reads;   /* "replica" (read_only set) or "primary"; NULL: not checked */
    const char *hint;    /* "none", "primary" or "replica"; NULL: not checked */
};

/* One case of routes.txt: SQL lines, the "=>" line and its optional spec: and sql: lines. */
struct route_case {
    int line;                     /* of the "=>" line */
    char sql[SQL_MAX];
    size_t sql_len;
    char *expect;                 /* after "=> " */
    const char *spec;             /* after "spec: ", or NULL */
    const char *all_sql;          /* after "sql: ", or NULL */
    const char *shard_sql[NSHARDS]; /* after "sql N: ", or NULL */
};

static bool
parse_kind(const char *word, enum sp_plan_kind *kind)
{
    static const enum sp_plan_kind kinds[] = {SP_PLAN_SINGLE, SP_PLAN_SCATTER_ROWS,
                                              SP_PLAN_SCATTER_OK, SP_PLAN_BROADCAST,
                                              SP_PLAN_SCATTER_MERGE, SP_PLAN_REJECT};
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(word, plan_kind_name(kinds[i])) == 0) {
            *kind = kinds[i];
            return true;
        }
    }
    return false;
}

/* Parses "KIND [shards|code] [flags] ["message"]" in LINE, which it modifies. */
static bool
parse_expectation(char *line, struct expectation *e)
{
    char *quote, *word, *save = NULL;
    uint32_t i;

    memset(e, 0, sizeof(*e));
    quote = strchr(line, '"');
    if (quote != NULL) {
        *quote = '\0';
        e->message = quote + 1;
        quote = strrchr(quote + 1, '"');
        if (quote == NULL) {
            return false;
        }
        *quote = '\0';
    }

    word = strtok_r(line, " ", &save);
    if (word == NULL || !parse_kind(word, &e->kind)) {
        return false;
    }
    while ((word = strtok_r(NULL, " ", &save)) != NULL) {
        if (strcmp(word, "all") == 0) {
            for (i = 0; i < NSHARDS; i++) {
                e->shards[e->nshards++] = i;
            }
        } else if (strcmp(word, "pins") == 0) {
            e->pins = true;
        } else if (strcmp(word, "multi") == 0) {
            e->multi = true;
        } else if (strcmp(word, "same_rows") == 0) {
            e->same_rows = true;
        } else if (strncmp(word, "stmt=", 5) == 0) {
            e->stmt = word + 5;
        } else if (strncmp(word, "pin=", 4) == 0) {
            e->pin = word + 4;
        } else if (strncmp(word, "reads=", 6) == 0) {
            e->reads = word + 6;
        } else if (strncmp(word, "hint=", 5) == 0) {
            e->hint = word + 5;
        } else if (e->kind == SP_PLAN_REJECT && e->code == 0) {
            e->code = (unsigned)strtoul(word, NULL, 10);
        } else if (e->nshards < NSHARDS) {
            e->shards[e->nshards++] = (uint32_t)strtoul(word, NULL, 10);
        } else {
            return false;
        }
    }
    return true;
}

/* Compares the targets' text with the case's sql: lines, or with the original text. */
static bool
targets_match(const struct route_case *c, const struct sp_plan *plan, const char *sql, size_t len,
              char *why, size_t cap)
{
    const char *expected;
    bool lines = c->all_sql != NULL, rewritten;
    size_t i;

    for (i = 0; i < NSHARDS; i++) {
        lines = lines || c->shard_sql[i] != NULL;
    }
    rewritten = plan->kind == SP_PLAN_SCATTER_MERGE
                || (plan->kind == SP_PLAN_SCATTER_OK
                    && (plan->stmt == SP_STMT_INSERT || plan->stmt == SP_STMT_REPLACE));

    for (i = 0; i < plan->ntargets; i++) {
        if (!lines) {
            if (!rewritten && (plan->targets[i].sql.ptr != sql || plan->targets[i].sql.len != len)) {
                snprintf(why, cap, "target %zu does not send the original text", i);
                return false;
            }
            continue;
        }
        expected = c->shard_sql[plan->targets[i].shard];
        if (expected == NULL) {
            expected = c->all_sql;
        }
        if (expected == NULL) {
            snprintf(why, cap, "no sql line for shard %u", plan->targets[i].shard);
            return false;
        }
        if (plan->targets[i].sql.len != strlen(expected)
            || memcmp(plan->targets[i].sql.ptr, expected, strlen(expected)) != 0) {
            snprintf(why, cap, "the SQL of shard %u differs", plan->targets[i].shard);
            return false;
        }
    }
    return true;
}

/* Compares PLAN with the case; fills WHY and returns false on the first difference. */
static bool
plan_matches(const struct route_case *c, const struct expectation *e, const struct sp_plan *plan,
             const char *sql, size_t len, char *why, size_t cap)
{
    char spec[RENDER_MAX];
    size_t i;

    if (plan->kind != e->kind) {
        snprintf(why, cap, "plan kind differs");
        return false;
    }
    if (plan->pins_session != e->pins || plan->multi_statement != e->multi
        || plan->broadcast_same_rows != e->same_rows) {
        snprintf(why, cap, "pins, multi or same_rows differs");
        return false;
    }
    if (e->stmt != NULL && strcmp(e->stmt, sp_stmt_kind_name(plan->stmt)) != 0) {
        snprintf(why, cap, "statement kind differs");
        return false;
    }
    if (e->reads != NULL && strcmp(e->reads, plan->read_only ? "replica" : "primary") != 0) {
        snprintf(why, cap, "read_only differs");
        return false;
    }
    if (e->hint != NULL && strcmp(e->hint, plan->hint == SP_HINT_PRIMARY   ? "primary"
                                           : plan->hint == SP_HINT_REPLICA ? "replica"
                                                                           : "none") != 0) {
        snprintf(why, cap, "hint differs");
        return false;
    }
    render_pin(plan, spec, sizeof(spec));
    if (strcmp(spec, e->pin != NULL ? e->pin : "") != 0) {
        snprintf(why, cap, "pin effect differs");
        return false;
    }
    if (e->kind == SP_PLAN_REJECT) {
        if (plan->error.code != e->code || plan->ntargets != 0) {
            snprintf(why, cap, "error code differs or targets are set");
            return false;
        }
        if (strcmp(plan->error.sqlstate,
                   e->code == 1235 || e->code == 1064 ? "42000" : "HY000") != 0) {
            snprintf(why, cap, "SQLSTATE differs");
            return false;
        }
        if (e->message != NULL && strstr(plan->error.message, e->message) == NULL) {
            snprintf(why, cap, "message lacks \"%s\"", e->message);
            return false;
        }
        return true;
    }

    if (plan->error.code != 0) {
        snprintf(why, cap, "error set on a plan that is not REJECT");
        return false;
    }
    if ((plan->kind == SP_PLAN_SCATTER_MERGE) != (plan->merge != NULL)) {
        snprintf(why, cap, "a merge spec belongs to SCATTER_MERGE plans only");
        return false;
    }
    if (plan->merge != NULL && c->spec != NULL) {
        render_spec(plan->merge, spec, sizeof(spec));
        if (strcmp(spec, c->spec) != 0) {
            snprintf(why, cap, "merge spec differs: expected %s", c->spec);
            return false;
        }
    }
    if (plan->ntargets != e->nshards) {
        snprintf(why, cap, "number of targets differs");
        return false;
    }
    for (i = 0; i < plan->ntargets; i++) {
        if (plan->targets[i].shard != e->shards[i]) {
            snprintf(why, cap, "target %zu differs", i);
            return false;
        }
    }
    return targets_match(c, plan, sql, len, why, cap);
}

static char *
read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    long size;
    char *buf;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size > 0);
    rewind(fp);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    buf[size] = '\0';
    fclose(fp);
    return buf;
}

/* Cuts the line at *CURSOR off the text and moves *CURSOR to the next; NULL at the end. */
static char *
take_line(char **cursor, int *lineno)
{
    char *line = *cursor, *next;

    if (line == NULL || *line == '\0') {
        return NULL;
    }
    next = strchr(line, '\n');
    if (next != NULL) {
        *next++ = '\0';
    }
    *cursor = next;
    (*lineno)++;
    return line;
}

/* Whether the line at CURSOR is a spec: or sql: line of the case before it. */
static bool
is_case_detail(const char *cursor)
{
    return cursor != NULL
           && (strncmp(cursor, "spec: ", 6) == 0 || strncmp(cursor, "sql: ", 5) == 0
               || (strncmp(cursor, "sql ", 4) == 0 && cursor[4] >= '0' && cursor[4] <= '9'
                   && cursor[5] == ':'));
}

/* Reads the next case of routes.txt from *CURSOR. Returns false after the last one. */
static bool
read_case(char **cursor, int *lineno, struct route_case *c)
{
    char *line;
    unsigned shard;

    c->sql_len = 0;
    c->spec = NULL;
    c->all_sql = NULL;
    memset(c->shard_sql, 0, sizeof(c->shard_sql));
    while ((line = take_line(cursor, lineno)) != NULL) {
        if (line[0] == '\0' || strncmp(line, ";;", 2) == 0) {
            continue;
        }
        if (strncmp(line, "=> ", 3) != 0) {
            /* An SQL line; several lines form one statement text. */
            assert_true(c->sql_len + strlen(line) + 2 < sizeof(c->sql));
            if (c->sql_len > 0) {
                c->sql[c->sql_len++] = '\n';
            }
            memcpy(c->sql + c->sql_len, line, strlen(line));
            c->sql_len += strlen(line);
            continue;
        }

        c->line = *lineno;
        c->expect = line + 3;
        if (c->sql_len == 0) {
            fail_msg("routes.txt:%d: a case without SQL", *lineno);
        }
        while (is_case_detail(*cursor)) {
            line = take_line(cursor, lineno);
            if (strncmp(line, "spec: ", 6) == 0) {
                c->spec = line + 6;
            } else if (strncmp(line, "sql: ", 5) == 0) {
                c->all_sql = line + 5;
            } else {
                shard = (unsigned)(line[4] - '0');
                if (shard >= NSHARDS || line[6] != ' ') {
                    fail_msg("routes.txt:%d: malformed sql line", *lineno);
                }
                c->shard_sql[shard] = line + 7;
            }
        }
        return true;
    }
    assert_int_equal(c->sql_len, 0);
    return false;
}

static void
routing_table_cases(void **state)
{
    struct fixture *f = *state;
    char *text, *cursor, *buf, got[RENDER_MAX], why[512], expected[RENDER_MAX];
    struct route_case *c = malloc(sizeof(*c));
    struct expectation e;
    struct sp_plan plan;
    size_t ncases = 0, nfailures = 0;
    int lineno = 0;

    assert_non_null(c);
    text = read_file(SP_TEST_DATA_DIR "/router/routes.txt");
    cursor = text;
    while (read_case(&cursor, &lineno, c)) {
        snprintf(expected, sizeof(expected), "%s", c->expect);
        if (!parse_expectation(c->expect, &e)) {
            fail_msg("routes.txt:%d: malformed case", c->line);
        }
        ncases++;
        buf = plan_exact(f, c->sql, c->sql_len, &plan);
        if (!plan_matches(c, &e, &plan, buf, c->sql_len, why, sizeof(why))) {
            render_plan(&plan, got, sizeof(got));
            print_error("routes.txt:%d: %s\n  sql:      %.*s\n  expected: %s\n  got:      %s\n",
                        c->line, why, (int)c->sql_len, c->sql, expected, got);
            nfailures++;
        }
        free(buf);
        sp_arena_reset(&f->arena);
    }
    free(text);
    free(c);

    assert_true(ncases >= 300);
    assert_int_equal(nfailures, 0);
}

/* A merge spec column reference: a visible index, or a hidden one below NHIDDEN. */
static void
check_ref(int32_t col, uint32_t nhidden, bool optional)
{
    if (optional && col == SP_MERGE_NO_COLUMN) {
        return;
    }
    assert_true(col != SP_MERGE_NO_COLUMN);
    if (col < 0) {
        assert_true((uint32_t)(-(int64_t)col - 1) < nhidden);
    }
}

static void
check_having(const struct sp_merge_having *h, uint32_t nhidden, unsigned depth)
{
    assert_non_null(h);
    assert_true(depth < 64);
    switch (h->op) {
    case SP_HAVING_AND:
    case SP_HAVING_OR:
        check_having(h->left, nhidden, depth + 1);
        check_having(h->right, nhidden, depth + 1);
        return;
    case SP_HAVING_NOT:
        check_having(h->left, nhidden, depth + 1);
        return;
    case SP_HAVING_CMP:
        check_ref(h->col, nhidden, false);
        assert_true(h->cmp <= SP_CMP_IS_NOT_NULL);
        return;
    }
    fail_msg("unknown HAVING operator %d", (int)h->op);
}

/* Checks that every reference of SPEC names a column the shard rows have. */
static void
check_spec(const struct sp_merge_spec *spec)
{
    size_t i;

    for (i = 0; i < spec->ncolumns; i++) {
        check_ref(spec->columns[i].col, spec->nhidden, false);
        check_ref(spec->columns[i].weight_col, spec->nhidden, true);
        assert_true(spec->grouped || spec->columns[i].agg == SP_MERGE_AGG_NONE);
        if (spec->columns[i].agg == SP_MERGE_AGG_AVG) {
            check_ref(spec->columns[i].sum_col, spec->nhidden, false);
            check_ref(spec->columns[i].count_col, spec->nhidden, false);
        }
    }
    for (i = 0; i < spec->ngroup_keys; i++) {
        check_ref(spec->group_keys[i].col, spec->nhidden, false);
        check_ref(spec->group_keys[i].weight_col, spec->nhidden, true);
    }
    for (i = 0; i < spec->norder_keys; i++) {
        check_ref(spec->order_keys[i].col, spec->nhidden, false);
        check_ref(spec->order_keys[i].weight_col, spec->nhidden, true);
    }
    assert_true(spec->grouped || (spec->ngroup_keys == 0 && spec->having == NULL));
    if (spec->having != NULL) {
        check_having(spec->having, spec->nhidden, 0);
    }
}

/* Checks what every plan must satisfy, whatever the text. */
static void
check_plan_invariants(const struct sp_plan *plan)
{
    size_t i;

    if (plan->kind == SP_PLAN_REJECT) {
        assert_int_equal(plan->ntargets, 0);
        assert_true(plan->error.code == 1235 || plan->error.code == 1105 ||
                    plan->error.code == 1064);
        assert_true(strlen(plan->error.message) > 0);
        return;
    }
    assert_int_equal(plan->error.code, 0);
    assert_in_range(plan->ntargets, 1, NSHARDS);
    assert_int_equal(plan->kind == SP_PLAN_SCATTER_MERGE, plan->merge != NULL);
    if (plan->merge != NULL) {
        check_spec(plan->merge);
    }
    assert_true(!plan->broadcast_same_rows || plan->kind == SP_PLAN_BROADCAST);
    if (plan->kind == SP_PLAN_SINGLE) {
        assert_int_equal(plan->ntargets, 1);
    }
    if (plan->kind == SP_PLAN_BROADCAST) {
        assert_int_equal(plan->ntargets, NSHARDS);
    }
    for (i = 0; i < plan->ntargets; i++) {
        assert_true(plan->targets[i].shard < NSHARDS);
        assert_true(i == 0 || plan->targets[i].shard > plan->targets[i - 1].shard);
        assert_non_null(plan->targets[i].sql.ptr);
    }
}

/* Every prefix of every case text: truncated statements must plan cleanly. */
static void
every_prefix_plans_cleanly(void **state)
{
    struct fixture *f = *state;
    struct route_case *c = malloc(sizeof(*c));
    char *text, *cursor, *buf;
    struct sp_plan plan;
    size_t len, nplans = 0;
    int lineno = 0;

    assert_non_null(c);
    text = read_file(SP_TEST_DATA_DIR "/router/routes.txt");
    cursor = text;
    while (read_case(&cursor, &lineno, c)) {
        for (len = 0; len <= c->sql_len; len++) {
            buf = plan_exact(f, c->sql, len, &plan);
            check_plan_invariants(&plan);
            free(buf);
            sp_arena_reset(&f->arena);
            nplans++;
        }
    }
    free(text);
    free(c);
    assert_true(nplans > 1000);
}

/* Random sequences of SQL fragments, from a fixed seed so that a failure repeats. */
static void
random_fragments_plan_cleanly(void **state)
{
    static const char *const fragments[] = {
        "SELECT", "FROM", "sbtest1", "photo", "users", "settings", "WHERE", "id", "name", "=",
        "4", "-", "'x'", "'dave'", "(", ")", ",", ";", "AND", "OR", "IN", "INSERT", "INTO",
        "VALUES", "UPDATE", "SET", "DELETE", "JOIN", "ON", "ORDER BY", "LIMIT", "/*!", "*/",
        "-- ", "\n", "`a`", "@x", "WITH", "AS", "UNION", "CREATE", "TABLE", "DROP", "USE",
        "BEGIN", "COUNT(", "\"", "'", "`", "/*", "#", ".", "0x1", "BETWEEN", "CASE", "END",
        "NOT", "DUPLICATE", "KEY", "REPLACE", "INDEX", "EXPLAIN", "FOR UPDATE", "?", "NULL",
        "GROUP BY", "HAVING", "DISTINCT", "SUM(", "AVG(", "MIN(", "k", "c", "1", "*", "<",
        ">=", "rsbtest1", "currencies", "sbtest2", "DESC", "OFFSET", "IS", "s.id", "USING",
    };
    const size_t nfragments = sizeof(fragments) / sizeof(fragments[0]);
    struct fixture *f = *state;
    uint64_t seed = 0x2545f4914f6cdd1dULL;
    struct sp_plan plan;
    char sql[1024], *buf;
    size_t len, n, i, iter;
    const char *frag;

    for (iter = 0; iter < 20000; iter++) {
        len = 0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        n = 1 + (size_t)(seed >> 59);
        for (i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            frag = fragments[(seed >> 33) % nfragments];
            /* Fragments are glued together now and then, as in "id=4". */
            if (len > 0 && ((seed >> 20) & 3) != 0) {
                sql[len++] = ' ';
            }
            memcpy(sql + len, frag, strlen(frag));
            len += strlen(frag);
        }
        buf = plan_exact(f, sql, len, &plan);
        check_plan_invariants(&plan);
        free(buf);
        sp_arena_reset(&f->arena);
    }
}

static void
check_target(const struct sp_plan *plan, size_t i, uint32_t shard, const char *sql)
{
    assert_true(i < plan->ntargets);
    assert_int_equal(plan->targets[i].shard, shard);
    if (plan->targets[i].sql.len != strlen(sql)
        || memcmp(plan->targets[i].sql.ptr, sql, strlen(sql)) != 0) {
        print_error("target %zu:\n  expected: %s\n  got:      %.*s\n", i, sql,
                    (int)plan->targets[i].sql.len, plan->targets[i].sql.ptr);
        fail();
    }
}

static void
insert_split_exact_text(void **state)
{
    static const char sql[] =
        "/* lead */ INSERT INTO photo (id, url) VALUES (4, 'a,b(c'), "
        "(2, CONCAT('x', '(', ')')) ,\n (7, f(1, (2))), (8, 'it''s') "
        "ON DUPLICATE KEY UPDATE url = VALUES(url); -- tail";
    struct fixture *f = *state;
    struct sp_plan plan;
    char *buf;

    buf = plan_exact(f, sql, sizeof(sql) - 1, &plan);
    assert_int_equal(plan.kind, SP_PLAN_SCATTER_OK);
    assert_int_equal(plan.stmt, SP_STMT_INSERT);
    assert_int_equal(plan.ntargets, 2);
    check_target(&plan, 0, 0,
                 "/* lead */ INSERT INTO photo (id, url) VALUES (4, 'a,b(c'),(7, f(1, (2))) "
                 "ON DUPLICATE KEY UPDATE url = VALUES(url); -- tail");
    check_target(&plan, 1, 2,
                 "/* lead */ INSERT INTO photo (id, url) VALUES (2, CONCAT('x', '(', ')')),"
                 "(8, 'it''s') ON DUPLICATE KEY UPDATE url = VALUES(url); -- tail");
    free(buf);
}

static void
insert_split_sysbench_rows(void **state)
{
    static const char sql[] = "INSERT INTO sbtest1(id, k, c, pad) VALUES(1, 2, 'c1', 'p1'),"
                              "(2, 3, 'c2', 'p2'),(3, 4, 'c3', 'p3'),(4, 5, 'c4', 'p4')";
    struct fixture *f = *state;
    struct sp_plan plan;
    char *buf;

    buf = plan_exact(f, sql, sizeof(sql) - 1, &plan);
    assert_int_equal(plan.kind, SP_PLAN_SCATTER_OK);
    assert_int_equal(plan.ntargets, 3);
    check_target(&plan, 0, 0, "INSERT INTO sbtest1(id, k, c, pad) VALUES(4, 5, 'c4', 'p4')");
    check_target(&plan, 1, 1,
                 "INSERT INTO sbtest1(id, k, c, pad) VALUES(1, 2, 'c1', 'p1'),(3, 4, 'c3', 'p3')");
    check_target(&plan, 2, 2, "INSERT INTO sbtest1(id, k, c, pad) VALUES(2, 3, 'c2', 'p2')");
    free(buf);
}

static void
insert_split_string_keys(void **state)
{
    static const char sql[] =
        "REPLACE users (name, n) VALUE ('dave', 1), ('bob', 2), (\"it's\", 3), ('alice', 4)";
    struct fixture *f = *state;
    struct sp_plan plan;
    char *buf;

    buf = plan_exact(f, sql, sizeof(sql) - 1, &plan);
    assert_int_equal(plan.kind, SP_PLAN_SCATTER_OK);
    assert_int_equal(plan.stmt, SP_STMT_REPLACE);
    assert_int_equal(plan.ntargets, 3);
    check_target(&plan, 0, 0, "REPLACE users (name, n) VALUE ('dave', 1)");
    check_target(&plan, 1, 1, "REPLACE users (name, n) VALUE ('bob', 2),('alice', 4)");
    check_target(&plan, 2, 2, "REPLACE users (name, n) VALUE (\"it's\", 3)");
    free(buf);
}

/* The shard that a single-key SELECT goes to, for comparison with INSERT. */
static uint32_t
select_shard(struct fixture *f, int64_t id)
{
    struct sp_plan plan;
    char sql[128];
    int n;

    n = snprintf(sql, sizeof(sql), "SELECT * FROM photo WHERE id = %lld", (long long)id);
    assert_int_equal(sp_router_plan(f->router, sql, (size_t)n, &f->arena, &plan), SP_OK);
    assert_int_equal(plan.kind, SP_PLAN_SINGLE);
    return plan.targets[0].shard;
}

static void
insert_split_keeps_every_row(void **state)
{
    enum { NROWS = 500 };
    struct fixture *f = *state;
    unsigned seen[NROWS + 1];
    uint32_t expected_shard[NROWS + 1];
    struct sp_plan plan;
    const char *p, *end;
    char *sql, *buf;
    size_t len = 0, i, cap = 64 + NROWS * 40;
    long id, last;

    for (id = 1; id <= NROWS; id++) {
        expected_shard[id] = select_shard(f, id);
    }
    sp_arena_reset(&f->arena);

    sql = malloc(cap);
    assert_non_null(sql);
    len = (size_t)snprintf(sql, cap, "INSERT INTO photo (url, id) VALUES ");
    for (id = 1; id <= NROWS; id++) {
        len += (size_t)snprintf(sql + len, cap - len, "%s('row %ld, (x)', %ld)", id > 1 ? ", " : "",
                                id, id);
    }
    buf = plan_exact(f, sql, len, &plan);
    assert_int_equal(plan.kind, SP_PLAN_SCATTER_OK);
    assert_int_equal(plan.ntargets, NSHARDS);

    memset(seen, 0, sizeof(seen));
    for (i = 0; i < plan.ntargets; i++) {
        p = plan.targets[i].sql.ptr;
        end = p + plan.targets[i].sql.len;
        assert_true(plan.targets[i].sql.len > 35);
        assert_memory_equal(p, "INSERT INTO photo (url, id) VALUES (", 36);
        last = 0;
        /* Every row carries its id twice; rows keep their original order. */
        while ((p = memchr(p, '\'', (size_t)(end - p))) != NULL) {
            assert_int_equal(sscanf(p, "'row %ld, (x)', ", &id), 1);
            assert_in_range(id, 1, NROWS);
            assert_true(id > last);
            assert_int_equal(expected_shard[id], plan.targets[i].shard);
            seen[id]++;
            last = id;
            p = memchr(p + 1, '\'', (size_t)(end - p - 1)) + 1;
        }
    }
    for (id = 1; id <= NROWS; id++) {
        assert_int_equal(seen[id], 1);
    }
    free(buf);
    free(sql);
}

/* The rewrite keeps comments, line breaks and the trailing text of the client's statement. */
static void
merge_rewrite_keeps_text(void **state)
{
    static const char sql[] = "/* report */ SELECT c,\n  COUNT(*) AS n -- per c\nFROM sbtest1\n"
                              "WHERE id IN (4, 2, 7)\nGROUP BY c\nHAVING n > 1\n"
                              "ORDER BY n DESC\nLIMIT 5, 10; # done";
    struct fixture *f = *state;
    struct sp_plan plan;
    char *buf;

    buf = plan_exact(f, sql, sizeof(sql) - 1, &plan);
    assert_int_equal(plan.kind, SP_PLAN_SCATTER_MERGE);
    assert_int_equal(plan.ntargets, 2);
    check_target(&plan, 0, 0,
                 "/* report */ SELECT c,\n  COUNT(*) AS n, WEIGHT_STRING(RTRIM(c)) AS _sp_h0 -- per c\n"
                 "FROM sbtest1\nWHERE id IN (4, 7)\nGROUP BY c\nORDER BY n DESC; # done");
    check_target(&plan, 1, 2,
                 "/* report */ SELECT c,\n  COUNT(*) AS n, WEIGHT_STRING(RTRIM(c)) AS _sp_h0 -- per c\n"
                 "FROM sbtest1\nWHERE id IN (2)\nGROUP BY c\nORDER BY n DESC; # done");
    assert_true(plan.merge->has_limit);
    assert_int_equal(plan.merge->limit, 10);
    assert_int_equal(plan.merge->offset, 5);
    free(buf);
}

/* Every value of a long key IN list goes to exactly the shard that its key belongs to. */
static void
in_list_split_keeps_every_value(void **state)
{
    enum { NVALUES = 300 };
    struct fixture *f = *state;
    uint32_t expected_shard[NVALUES + 1];
    unsigned seen[NVALUES + 1];
    struct sp_plan plan;
    const char *p, *end;
    char *sql, *buf;
    size_t len, i, cap = 64 + NVALUES * 8;
    long id;

    for (id = 1; id <= NVALUES; id++) {
        expected_shard[id] = select_shard(f, id);
    }
    sp_arena_reset(&f->arena);

    sql = malloc(cap);
    assert_non_null(sql);
    len = (size_t)snprintf(sql, cap, "DELETE FROM photo WHERE id IN (");
    for (id = 1; id <= NVALUES; id++) {
        len += (size_t)snprintf(sql + len, cap - len, "%s%ld", id > 1 ? ", " : "", id);
    }
    len += (size_t)snprintf(sql + len, cap - len, ") AND url = 'x'");
    buf = plan_exact(f, sql, len, &plan);
    assert_int_equal(plan.kind, SP_PLAN_SCATTER_OK);
    assert_int_equal(plan.ntargets, NSHARDS);

    memset(seen, 0, sizeof(seen));
    for (i = 0; i < plan.ntargets; i++) {
        p = plan.targets[i].sql.ptr;
        end = p + plan.targets[i].sql.len;
        assert_true(plan.targets[i].sql.len > 31);
        assert_memory_equal(p, "DELETE FROM photo WHERE id IN (", 31);
        assert_memory_equal(end - 15, ") AND url = 'x'", 15);
        for (p += 31; p < end - 15; p++) {
            id = strtol(p, (char **)&p, 10);
            assert_in_range(id, 1, NVALUES);
            assert_int_equal(expected_shard[id], plan.targets[i].shard);
            seen[id]++;
        }
    }
    for (id = 1; id <= NVALUES; id++) {
        assert_int_equal(seen[id], 1);
    }
    free(buf);
    free(sql);
}

/* For range tables, reads by key and inserts place every key alike, at each boundary too. */
static void
range_reads_match_inserts(void **state)
{
    static const int64_t keys[] = {INT64_MIN, -1, 0, 4999, 5000, 5001, 9999, 10000, INT64_MAX};
    struct fixture *f = *state;
    struct sp_plan read, write;
    char sql[160];
    size_t i;
    int n;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        n = snprintf(sql, sizeof(sql), "SELECT c FROM rsbtest1 WHERE id = %lld",
                     (long long)keys[i]);
        assert_int_equal(sp_router_plan(f->router, sql, (size_t)n, &f->arena, &read), SP_OK);
        n = snprintf(sql, sizeof(sql), "INSERT INTO rsbtest1 (id, k) VALUES (%lld, 1)",
                     (long long)keys[i]);
        assert_int_equal(sp_router_plan(f->router, sql, (size_t)n, &f->arena, &write), SP_OK);
        assert_int_equal(read.kind, SP_PLAN_SINGLE);
        assert_int_equal(write.kind, SP_PLAN_SINGLE);
        assert_int_equal(read.targets[0].shard, write.targets[0].shard);
        if (keys[i] < 5000) {
            assert_int_equal(read.targets[0].shard, 0);
        } else if (keys[i] < 10000) {
            assert_int_equal(read.targets[0].shard, 1);
        } else {
            assert_int_equal(read.targets[0].shard, 2);
        }
        sp_arena_reset(&f->arena);
    }
}

/* Random SELECT shapes: a merge never changes the client's select list, whatever it adds. */
static void
random_select_shapes_plan_cleanly(void **state)
{
    static const char *const items[] = {
        "c", "k AS x", "COUNT(*)", "SUM(k)", "AVG(k) a", "MIN(c)", "MAX(k) AS m", "*", "s.*",
        "k + 1", "COUNT(DISTINCT c)", "LEFT(c, 2) p", "GROUP_CONCAT(c)", "SUM(k) + 1",
    };
    static const char *const clauses[] = {
        "", " WHERE id IN (4, 2, 7)", " WHERE k > 1", " GROUP BY c", " GROUP BY k DESC, 1",
        " HAVING COUNT(*) > 1", " HAVING x < 5 OR m IS NULL", " ORDER BY c", " ORDER BY 1 DESC",
        " ORDER BY x, k", " LIMIT 3", " LIMIT 2, 5", " ORDER BY COUNT(*) DESC LIMIT 1",
    };
    struct fixture *f = *state;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    size_t len, head, iter, i, n;
    struct sp_plan plan;
    char sql[512], *buf;

    for (iter = 0; iter < 5000; iter++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        len = (size_t)snprintf(sql, sizeof(sql), "SELECT %s", (seed >> 40) % 4 == 0 ? "DISTINCT " : "");
        n = 1 + (size_t)((seed >> 20) % 3);
        for (i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s%s", i > 0 ? ", " : "",
                                    items[(seed >> 33) % (sizeof(items) / sizeof(items[0]))]);
        }
        head = len;
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, " FROM sbtest1 s");
        for (i = 0; i < 2; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s",
                                    clauses[(seed >> 33) % (sizeof(clauses) / sizeof(clauses[0]))]);
        }

        buf = plan_exact(f, sql, len, &plan);
        check_plan_invariants(&plan);
        assert_true(plan.kind == SP_PLAN_SCATTER_MERGE || plan.kind == SP_PLAN_SCATTER_ROWS
                    || plan.kind == SP_PLAN_REJECT);
        for (i = 0; i < plan.ntargets; i++) {
            if (plan.targets[i].sql.len < head || memcmp(plan.targets[i].sql.ptr, sql, head) != 0) {
                fail_msg("%.*s: target %zu changed the select list: %.*s", (int)len, sql, i,
                         (int)plan.targets[i].sql.len, plan.targets[i].sql.ptr);
            }
        }
        free(buf);
        sp_arena_reset(&f->arena);
    }
}

static void
check_route(struct fixture *f, const char *sql, enum sp_plan_kind kind, enum sp_stmt_kind stmt,
            size_t ntargets)
{
    struct sp_plan plan;
    char *buf;

    buf = plan_exact(f, sql, strlen(sql), &plan);
    assert_int_equal(plan.kind, kind);
    assert_int_equal(plan.stmt, stmt);
    assert_int_equal(plan.ntargets, ntargets);
    assert_false(plan.pins_session);
    free(buf);
    sp_arena_reset(&f->arena);
}

static void
sysbench_statements(void **state)
{
    struct fixture *f = *state;

    check_route(f, "DROP TABLE IF EXISTS sbtest1", SP_PLAN_BROADCAST, SP_STMT_DDL_TABLE, NSHARDS);
    check_route(f,
                "CREATE TABLE sbtest1(\n  id INTEGER NOT NULL,\n  k INTEGER DEFAULT '0' NOT NULL,\n"
                "  c CHAR(120) DEFAULT '' NOT NULL,\n  pad CHAR(60) DEFAULT '' NOT NULL,\n"
                "  PRIMARY KEY (id)\n) /*! ENGINE = innodb */ ",
                SP_PLAN_BROADCAST, SP_STMT_DDL_TABLE, NSHARDS);
    check_route(f,
                "INSERT INTO sbtest1(id, k, c, pad) VALUES(1, 2, '83868641912-28773972837', "
                "'67847967377-48000963322'),(2, 3, '38014276128-25250245652', "
                "'23183251411-36241541236'),(3, 4, '33973744704-80540844748', "
                "'38615512647-91458489257')",
                SP_PLAN_SCATTER_OK, SP_STMT_INSERT, 2);
    check_route(f, "CREATE INDEX k_1 ON sbtest1(k)", SP_PLAN_BROADCAST, SP_STMT_DDL_TABLE, NSHARDS);
    check_route(f, "SELECT c FROM sbtest1 WHERE id=5", SP_PLAN_SINGLE, SP_STMT_SELECT, 1);
    check_route(f, "SELECT c FROM sbtest7 WHERE id=5000", SP_PLAN_SINGLE, SP_STMT_SELECT, 1);
    check_route(f, "UPDATE sbtest1 SET k=k+1 WHERE id=5", SP_PLAN_SINGLE, SP_STMT_UPDATE, 1);
    check_route(f, "DELETE FROM sbtest1 WHERE id=5", SP_PLAN_SINGLE, SP_STMT_DELETE, 1);
    check_route(f, "INSERT INTO sbtest1 (id, k, c, pad) VALUES (5, 4, 'c', 'p')", SP_PLAN_SINGLE,
                SP_STMT_INSERT, 1);
}

static void
single_target_sends_original_text(void **state)
{
    static const char sql[] = "SELECT c FROM sbtest1 WHERE id=5000";
    struct fixture *f = *state;
    struct sp_plan plan;

    assert_int_equal(sp_router_plan(f->router, sql, sizeof(sql) - 1, &f->arena, &plan), SP_OK);
    assert_int_equal(plan.kind, SP_PLAN_SINGLE);
    assert_int_equal(plan.ntargets, 1);
    assert_int_equal(plan.targets[0].shard, 1);
    assert_ptr_equal(plan.targets[0].sql.ptr, sql);
    assert_int_equal(plan.targets[0].sql.len, sizeof(sql) - 1);
    assert_int_equal(plan.use_db.len, 0);
    assert_int_equal(plan.error.code, 0);
}

static void
check_use_db(struct fixture *f, const char *sql, const char *db)
{
    struct sp_plan plan;
    char *buf;

    buf = plan_exact(f, sql, strlen(sql), &plan);
    assert_int_equal(plan.kind, SP_PLAN_SINGLE);
    assert_int_equal(plan.targets[0].shard, DEFAULT_SHARD);
    assert_int_equal(plan.use_db.len, strlen(db));
    assert_memory_equal(plan.use_db.ptr, db, plan.use_db.len);
    assert_int_equal(plan.use_db.ptr[plan.use_db.len], '\0');
    free(buf);
}

static void
use_db_unquoted(void **state)
{
    struct fixture *f = *state;

    check_use_db(f, "USE db2", "db2");
    check_use_db(f, "/* app:checkout */ USE db2", "db2");
    check_use_db(f, "use `shop`;", "shop");
    check_use_db(f, "USE `my``db`", "my`db");
    check_use_db(f, "-- pick\nUSE `a b`  # done", "a b");
    check_use_db(f, "USE first; USE `second`", "second");
}

static void
empty_text(void **state)
{
    struct fixture *f = *state;
    struct sp_plan plan;

    assert_int_equal(sp_router_plan(f->router, NULL, 0, &f->arena, &plan), SP_OK);
    assert_int_equal(plan.kind, SP_PLAN_SINGLE);
    assert_int_equal(plan.stmt, SP_STMT_EMPTY);
    assert_int_equal(plan.ntargets, 1);
    assert_int_equal(plan.targets[0].shard, DEFAULT_SHARD);
}

static void
two_shard_config(void **state)
{
    struct fixture *f = *state;
    struct sp_plan plan;

    /* Key 5 is on shard 1 and key 5000 on shard 0 with two equal ranges (test_shardmap.c). */
    assert_int_equal(sp_router_plan(f->router, "SELECT c FROM sbtest1 WHERE id=5", 32, &f->arena,
                                     &plan),
                     SP_OK);
    assert_int_equal(plan.kind, SP_PLAN_SINGLE);
    assert_int_equal(plan.targets[0].shard, 1);
    assert_int_equal(sp_router_plan(f->router, "SELECT c FROM sbtest1 WHERE id=5000", 35,
                                    &f->arena, &plan),
                     SP_OK);
    assert_int_equal(plan.targets[0].shard, 0);
    assert_int_equal(sp_router_plan(f->router, "SELECT c FROM sbtest1", 21, &f->arena, &plan),
                     SP_OK);
    assert_int_equal(plan.kind, SP_PLAN_SCATTER_ROWS);
    assert_int_equal(plan.ntargets, 2);
}

static void
shard_for_table(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("sbtest1")), 0);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("SBTEST7")), 0);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("sbtest")), 0);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("Photo")), 0);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("photos")), DEFAULT_SHARD);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("settings")), DEFAULT_SHARD);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("")), DEFAULT_SHARD);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("rsbtest1")), 0);
    assert_int_equal(sp_router_shard_for_table(f->router, sp_str_cstr("currencies")),
                     DEFAULT_SHARD);
}

struct kind_case {
    const char *sql;
    enum sp_stmt_kind kind;
};

static void
classify_statement_kinds(void **state)
{
    static const struct kind_case cases[] = {
        {"", SP_STMT_EMPTY},
        {"  -- c\n /* d */ ", SP_STMT_EMPTY},
        {";", SP_STMT_EMPTY},
        {"SELECT 1", SP_STMT_SELECT},
        {"/*!50000 SELECT */ 1", SP_STMT_SELECT},
        {"((SELECT 1)) UNION (SELECT 2)", SP_STMT_SELECT},
        {"WITH c AS (SELECT 1) SELECT * FROM c", SP_STMT_SELECT},
        {"WITH RECURSIVE c (n) AS (SELECT 1), d AS (SELECT 2) (SELECT * FROM c)", SP_STMT_SELECT},
        {"WITH c AS (SELECT 1) UPDATE t SET a = 1", SP_STMT_OTHER},
        {"(VALUES (1))", SP_STMT_OTHER},
        {"insert into t values (1)", SP_STMT_INSERT},
        {"REPLACE t VALUES (1)", SP_STMT_REPLACE},
        {"UPDATE t SET a = 1", SP_STMT_UPDATE},
        {"DELETE FROM t", SP_STMT_DELETE},
        {"CREATE TABLE t (a INT)", SP_STMT_DDL_TABLE},
        {"CREATE OR REPLACE TEMPORARY TABLE t (a INT)", SP_STMT_DDL_TABLE},
        {"CREATE UNIQUE INDEX i ON t (a)", SP_STMT_DDL_TABLE},
        {"CREATE FULLTEXT INDEX i ON t (a)", SP_STMT_DDL_TABLE},
        {"CREATE SPATIAL INDEX i ON t (a)", SP_STMT_DDL_TABLE},
        {"CREATE INDEX i ON t (a)", SP_STMT_DDL_TABLE},
        {"ALTER TABLE t ADD b INT", SP_STMT_DDL_TABLE},
        {"ALTER ONLINE IGNORE TABLE t ADD b INT", SP_STMT_DDL_TABLE},
        {"DROP TABLE t", SP_STMT_DDL_TABLE},
        {"DROP TEMPORARY TABLE t", SP_STMT_DDL_TABLE},
        {"DROP INDEX i ON t", SP_STMT_DDL_TABLE},
        {"TRUNCATE t", SP_STMT_DDL_TABLE},
        {"RENAME TABLE a TO b", SP_STMT_DDL_TABLE},
        {"RENAME USER a TO b", SP_STMT_OTHER},
        {"CREATE DATABASE d", SP_STMT_DDL_DATABASE},
        {"CREATE SCHEMA IF NOT EXISTS d", SP_STMT_DDL_DATABASE},
        {"DROP DATABASE d", SP_STMT_DDL_DATABASE},
        {"ALTER DATABASE d CHARACTER SET utf8mb4", SP_STMT_DDL_DATABASE},
        {"CREATE VIEW v AS SELECT 1", SP_STMT_OTHER},
        {"CREATE USER u", SP_STMT_OTHER},
        {"USE d", SP_STMT_USE},
        {"SET a = 1", SP_STMT_SET},
        {"SHOW DATABASES", SP_STMT_SHOW},
        {"BEGIN", SP_STMT_BEGIN},
        {"BEGIN WORK", SP_STMT_BEGIN},
        {"BEGIN NOT ATOMIC SELECT 1; END", SP_STMT_OTHER},
        {"START TRANSACTION WITH CONSISTENT SNAPSHOT", SP_STMT_BEGIN},
        {"START SLAVE", SP_STMT_OTHER},
        {"COMMIT WORK", SP_STMT_COMMIT},
        {"ROLLBACK", SP_STMT_ROLLBACK},
        {"ROLLBACK WORK AND CHAIN", SP_STMT_ROLLBACK},
        {"ROLLBACK TO s1", SP_STMT_OTHER},
        {"ROLLBACK WORK TO SAVEPOINT s1", SP_STMT_OTHER},
        {"XA START 'x'", SP_STMT_OTHER},
        {"EXPLAIN SELECT 1", SP_STMT_OTHER},
        {"42", SP_STMT_OTHER},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (sp_classify_sql(cases[i].sql, strlen(cases[i].sql)) != cases[i].kind) {
            fail_msg("%s: expected %s, got %s", cases[i].sql, sp_stmt_kind_name(cases[i].kind),
                     sp_stmt_kind_name(sp_classify_sql(cases[i].sql, strlen(cases[i].sql))));
        }
    }
}

/* Which statements make the server commit the open transaction first. */
static void
classify_implicit_commits(void **state)
{
    static const struct {
        const char *sql;
        bool commits;
    } cases[] = {
        {"CREATE TABLE t (a INT)", true},
        {"CREATE OR REPLACE TABLE t (a INT)", true},
        {"CREATE TEMPORARY TABLE t (a INT)", false},
        {"CREATE OR REPLACE TEMPORARY TABLE t (a INT)", false},
        {"CREATE INDEX i ON t (a)", true},
        {"CREATE DATABASE d", true},
        {"CREATE VIEW v AS SELECT 1", true},
        {"CREATE USER u", true},
        {"ALTER TABLE t ADD b INT", true},
        {"ALTER USER u ACCOUNT LOCK", true},
        {"DROP TABLE t", true},
        {"DROP TEMPORARY TABLE t", false},
        {"DROP PREPARE s", false},
        {"DROP DATABASE d", true},
        {"TRUNCATE TABLE t", true},
        {"RENAME TABLE a TO b", true},
        {"GRANT SELECT ON d.* TO u", true},
        {"REVOKE SELECT ON d.* FROM u", true},
        {"LOCK TABLES t WRITE", true},
        {"LOCK TABLE t READ", true},
        {"UNLOCK TABLES", false},
        {"ANALYZE TABLE t", true},
        {"OPTIMIZE NO_WRITE_TO_BINLOG TABLE t", true},
        {"REPAIR TABLE t", true},
        {"CHECK TABLE t", true},
        {"CHECKSUM TABLE t", false},
        {"CACHE INDEX t IN c", true},
        {"LOAD INDEX INTO CACHE t", true},
        {"LOAD DATA INFILE 'f' INTO TABLE t", false},
        {"FLUSH TABLES", true},
        {"RESET QUERY CACHE", true},
        {"INSTALL SONAME 'x'", true},
        {"SELECT 1", false},
        {"INSERT INTO t VALUES (1)", false},
        {"SET autocommit = 1", false},
        {"BEGIN", false},
        {"SAVEPOINT s", false},
        {"SELECT * FROM t FOR UPDATE", false},
    };
    struct sp_classification cls;
    struct sp_token_cursor c;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sp_token_cursor_init(&c, cases[i].sql, strlen(cases[i].sql));
        sp_classify(&c, &cls);
        if (cls.implicit_commit != cases[i].commits) {
            fail_msg("%s: implicit commit expected %d, got %d", cases[i].sql, cases[i].commits,
                     cls.implicit_commit);
        }
    }
}

static void
create_rejects_bad_config(void **state)
{
    struct sp_table_cfg bad_table = {.name = "t", .shard_key = NULL, .key_type = SP_KEY_INT};
    struct sp_router *router = (struct sp_router *)1;
    struct sp_error err;
    struct fixture f;

    fill_config(&f, NSHARDS);
    f.cfg.default_shard = NSHARDS;
    assert_int_equal(sp_router_create(&f.cfg, &router, &err), SP_EINVAL);
    assert_null(router);
    assert_non_null(strstr(err.message, "default_shard 3 is not one of the 3 shards"));

    fill_config(&f, NSHARDS);
    f.cfg.tables = &bad_table;
    f.cfg.ntables = 1;
    assert_int_equal(sp_router_create(&f.cfg, &router, &err), SP_EINVAL);
    assert_non_null(strstr(err.message, "tables[0] needs a non-empty name and shard_key"));

    fill_config(&f, NSHARDS);
    f.shards[1].hash_from++;
    assert_int_equal(sp_router_create(&f.cfg, &router, &err), SP_EINVAL);
    assert_non_null(strstr(err.message, "belong to no shard"));

    fill_config(&f, NSHARDS);
    f.cfg.nshards = 0;
    assert_int_equal(sp_router_create(&f.cfg, &router, &err), SP_EINVAL);

    /* The range rules name shard 2, which a two-shard config lacks. */
    fill_config(&f, 2);
    f.cfg.ntables = sizeof(test_tables) / sizeof(test_tables[0]);
    assert_int_equal(sp_router_create(&f.cfg, &router, &err), SP_EINVAL);
    assert_non_null(strstr(err.message, "table 'rsbtest' has an invalid range 2"));

    bad_table = (struct sp_table_cfg){.name = "r", .shard_key = "id",
                                      .algorithm = SP_ALGORITHM_RANGE};
    fill_config(&f, NSHARDS);
    f.cfg.tables = &bad_table;
    f.cfg.ntables = 1;
    assert_int_equal(sp_router_create(&f.cfg, &router, &err), SP_EINVAL);
    assert_non_null(strstr(err.message, "needs int keys and at least one range"));

    bad_table = (struct sp_table_cfg){.name = "ref", .type = SP_TABLE_REFERENCE};
    assert_int_equal(sp_router_create(&f.cfg, &router, &err), SP_OK);
    sp_router_destroy(router);

    sp_router_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(routing_table_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(every_prefix_plans_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(random_fragments_plan_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_split_exact_text, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_split_sysbench_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_split_string_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_split_keeps_every_row, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_rewrite_keeps_text, setup, teardown),
        cmocka_unit_test_setup_teardown(in_list_split_keeps_every_value, setup, teardown),
        cmocka_unit_test_setup_teardown(range_reads_match_inserts, setup, teardown),
        cmocka_unit_test_setup_teardown(random_select_shapes_plan_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(sysbench_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(single_target_sends_original_text, setup, teardown),
        cmocka_unit_test_setup_teardown(use_db_unquoted, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_text, setup, teardown),
        cmocka_unit_test_setup_teardown(two_shard_config, setup_two, teardown),
        cmocka_unit_test_setup_teardown(shard_for_table, setup, teardown),
        cmocka_unit_test(classify_statement_kinds),
        cmocka_unit_test(classify_implicit_commits),
        cmocka_unit_test(create_rejects_bad_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
