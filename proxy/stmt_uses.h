/*
 * The statement texts that the clients of one worker have prepared and
 * not closed yet, each with the number of statements that use it. Backend connections keep
 * a text prepared only while some client statement uses it: when the last
 * use ends, the idle connections close theirs, and a busy connection
 * closes its when it returns to the pool. So the servers' prepared
 * statement count returns to its baseline once the clients are gone.
 */
#ifndef SP_PROXY_STMT_USES_H
#define SP_PROXY_STMT_USES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "common/str.h"

#define SP_STMT_USES_BUCKETS 256

struct sp_stmt_use {
    struct sp_stmt_use *next;
    uint64_t hash;
    size_t count;
    struct sp_str sql; /* owned, stored after the struct */
};

struct sp_stmt_uses {
    struct sp_stmt_use *buckets[SP_STMT_USES_BUCKETS];
    size_t ntexts;
};

void sp_stmt_uses_init(struct sp_stmt_uses *u);
void sp_stmt_uses_free(struct sp_stmt_uses *u);

/* Counts one more statement using SQL. Returns SP_OK or SP_ENOMEM. */
int sp_stmt_uses_add(struct sp_stmt_uses *u, struct sp_str sql) SP_WARN_UNUSED;

/* Counts one statement less; true when none uses SQL any more. */
bool sp_stmt_uses_remove(struct sp_stmt_uses *u, struct sp_str sql);

bool sp_stmt_uses_has(const struct sp_stmt_uses *u, struct sp_str sql);

#endif
