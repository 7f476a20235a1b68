/*
 * Unit tests for router/: the routing decisions in
 * tests/data/router/routes.txt (SQL in, plan kind, shards and error out),
 * the exact text of split INSERTs, sysbench's statements, USE, statement
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
#define RENDER_MAX 1024

static struct sp_table_cfg test_tables[] = {
    {.name = "sbtest", .prefix = true, .shard_key = "id", .key_type = SP_KEY_INT},
    {.name = "photo", .shard_key = "id", .key_type = SP_KEY_INT},
    {.name = "users", .shard_key = "name", .key_type = SP_KEY_STRING},
    {.name = "orders", .shard_key = "customer_id", .key_type = SP_KEY_INT},
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
    f->cfg.ntables = sizeof(test_tables) / sizeof(test_tables[0]);
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

/* Renders PLAN in the expectation syntax of routes.txt, with every flag spelled out. */
static void
render_plan(const struct sp_plan *plan, char *out, size_t cap)
{
    size_t used, i;

    used = (size_t)snprintf(out, cap, "%s", plan_kind_name(plan->kind));
    if (plan->kind == SP_PLAN_REJECT) {
        used += (size_t)snprintf(out + used, cap - used, " %u", plan->error.code);
    }
    for (i = 0; i < plan->ntargets && used < cap; i++) {
        used += (size_t)snprintf(out + used, cap - used, " %u", plan->targets[i].shard);
    }
    if (used < cap && plan->pins_session) {
        used += (size_t)snprintf(out + used, cap - used, " pins");
    }
    if (used < cap && plan->multi_statement) {
        used += (size_t)snprintf(out + used, cap - used, " multi");
    }
    if (used < cap) {
        used += (size_t)snprintf(out + used, cap - used, " stmt=%s", sp_stmt_kind_name(plan->stmt));
    }
    if (used < cap && plan->kind == SP_PLAN_REJECT) {
        snprintf(out + used, cap - used, " [%s] \"%s\"", plan->error.sqlstate, plan->error.message);
    }
}

struct expectation {
    enum sp_plan_kind kind;
    unsigned code;
    uint32_t shards[NSHARDS];
    size_t nshards;
    bool pins;
    bool multi;
    const char *stmt;    /* NULL: not checked */
    const char *message; /* NULL: not checked */
};

static bool
parse_kind(const char *word, enum sp_plan_kind *kind)
{
    static const enum sp_plan_kind kinds[] = {SP_PLAN_SINGLE, SP_PLAN_SCATTER_ROWS,
                                              SP_PLAN_SCATTER_OK, SP_PLAN_BROADCAST,
                                              SP_PLAN_REJECT};
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
        } else if (strncmp(word, "stmt=", 5) == 0) {
            e->stmt = word + 5;
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

/* Compares PLAN with E; fills WHY and returns false on the first difference. */
static bool
plan_matches(const struct expectation *e, const struct sp_plan *plan, const char *sql, size_t len,
             char *why, size_t cap)
{
    bool rewritten;
    size_t i;

    if (plan->kind != e->kind) {
        snprintf(why, cap, "plan kind differs");
        return false;
    }
    if (plan->pins_session != e->pins || plan->multi_statement != e->multi) {
        snprintf(why, cap, "pins or multi differs");
        return false;
    }
    if (e->stmt != NULL && strcmp(e->stmt, sp_stmt_kind_name(plan->stmt)) != 0) {
        snprintf(why, cap, "statement kind differs");
        return false;
    }
    if (e->kind == SP_PLAN_REJECT) {
        if (plan->error.code != e->code || plan->ntargets != 0) {
            snprintf(why, cap, "error code differs or targets are set");
            return false;
        }
        if (strcmp(plan->error.sqlstate, e->code == 1235 ? "42000" : "HY000") != 0) {
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
    if (plan->ntargets != e->nshards) {
        snprintf(why, cap, "number of targets differs");
        return false;
    }
    rewritten = plan->kind == SP_PLAN_SCATTER_OK
                && (plan->stmt == SP_STMT_INSERT || plan->stmt == SP_STMT_REPLACE);
    for (i = 0; i < plan->ntargets; i++) {
        if (plan->targets[i].shard != e->shards[i]) {
            snprintf(why, cap, "target %zu differs", i);
            return false;
        }
        if (!rewritten && (plan->targets[i].sql.ptr != sql || plan->targets[i].sql.len != len)) {
            snprintf(why, cap, "target %zu does not send the original text", i);
            return false;
        }
    }
    return true;
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

static void
routing_table_cases(void **state)
{
    struct fixture *f = *state;
    char *text, *line, *next, *buf, sql[8192], got[RENDER_MAX], why[256], expected[RENDER_MAX];
    struct expectation e;
    struct sp_plan plan;
    size_t sql_len = 0, ncases = 0, nfailures = 0;
    int lineno = 0;

    text = read_file(SP_TEST_DATA_DIR "/router/routes.txt");
    for (line = text; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        lineno++;
        if (line[0] == '\0' || strncmp(line, ";;", 2) == 0) {
            continue;
        }
        if (strncmp(line, "=> ", 3) != 0) {
            /* An SQL line; several lines form one statement text. */
            assert_true(sql_len + strlen(line) + 2 < sizeof(sql));
            if (sql_len > 0) {
                sql[sql_len++] = '\n';
            }
            memcpy(sql + sql_len, line, strlen(line));
            sql_len += strlen(line);
            continue;
        }

        snprintf(expected, sizeof(expected), "%s", line + 3);
        if (sql_len == 0 || !parse_expectation(line + 3, &e)) {
            fail_msg("routes.txt:%d: malformed case", lineno);
        }
        ncases++;
        buf = plan_exact(f, sql, sql_len, &plan);
        if (!plan_matches(&e, &plan, buf, sql_len, why, sizeof(why))) {
            render_plan(&plan, got, sizeof(got));
            print_error("routes.txt:%d: %s\n  sql:      %.*s\n  expected: %s\n  got:      %s\n",
                        lineno, why, (int)sql_len, sql, expected, got);
            nfailures++;
        }
        free(buf);
        sp_arena_reset(&f->arena);
        sql_len = 0;
    }
    free(text);

    assert_int_equal(sql_len, 0);
    assert_true(ncases >= 60);
    assert_int_equal(nfailures, 0);
}

/* Checks what every plan must satisfy, whatever the text. */
static void
check_plan_invariants(const struct sp_plan *plan)
{
    size_t i;

    if (plan->kind == SP_PLAN_REJECT) {
        assert_int_equal(plan->ntargets, 0);
        assert_true(plan->error.code == 1235 || plan->error.code == 1105);
        assert_true(strlen(plan->error.message) > 0);
        return;
    }
    assert_int_equal(plan->error.code, 0);
    assert_in_range(plan->ntargets, 1, NSHARDS);
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
    char *text, *line, *next, *buf, sql[8192];
    struct sp_plan plan;
    size_t sql_len = 0, len, nplans = 0;

    text = read_file(SP_TEST_DATA_DIR "/router/routes.txt");
    for (line = text; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        if (line[0] == '\0' || strncmp(line, ";;", 2) == 0) {
            continue;
        }
        if (strncmp(line, "=> ", 3) != 0) {
            if (sql_len > 0) {
                sql[sql_len++] = '\n';
            }
            memcpy(sql + sql_len, line, strlen(line));
            sql_len += strlen(line);
            continue;
        }
        for (len = 0; len <= sql_len; len++) {
            buf = plan_exact(f, sql, len, &plan);
            check_plan_invariants(&plan);
            free(buf);
            sp_arena_reset(&f->arena);
            nplans++;
        }
        sql_len = 0;
    }
    free(text);
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
        cmocka_unit_test_setup_teardown(sysbench_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(single_target_sends_original_text, setup, teardown),
        cmocka_unit_test_setup_teardown(use_db_unquoted, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_text, setup, teardown),
        cmocka_unit_test_setup_teardown(two_shard_config, setup_two, teardown),
        cmocka_unit_test_setup_teardown(shard_for_table, setup, teardown),
        cmocka_unit_test(classify_statement_kinds),
        cmocka_unit_test(create_rejects_bad_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
