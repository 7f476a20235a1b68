/*
 * GTID position parsing, comparison and the sample ring behind the
 * monitor's replica lag. See gtid.h for the model.
 */
#include "proxy/gtid.h"

#include <stdlib.h>
#include <string.h>

struct gtid_cursor {
    const char *p;
    const char *end;
};

static bool
gtid_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
gtid_skip_space(struct gtid_cursor *cur)
{
    while (cur->p < cur->end && gtid_is_space(*cur->p)) {
        cur->p++;
    }
}

/* Reads an unsigned decimal number up to MAX: at least one digit and no sign. */
static int
gtid_read_uint(struct gtid_cursor *cur, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *first = cur->p;

    while (cur->p < cur->end && *cur->p >= '0' && *cur->p <= '9') {
        unsigned digit = (unsigned)(*cur->p - '0');

        if (v > (max - digit) / 10) {
            return SP_EINVAL;
        }
        v = v * 10 + digit;
        cur->p++;
    }
    if (cur->p == first) {
        return SP_EINVAL;
    }
    *out = v;
    return SP_OK;
}

static int
gtid_expect(struct gtid_cursor *cur, char c)
{
    if (cur->p >= cur->end || *cur->p != c) {
        return SP_EINVAL;
    }
    cur->p++;
    return SP_OK;
}

/* Reads "domain-server-seq". MariaDB's ids are 32-bit and its sequence numbers 64-bit. */
static int
gtid_read_one(struct gtid_cursor *cur, struct sp_gtid *out)
{
    uint64_t domain, server, seq;

    if (gtid_read_uint(cur, UINT32_MAX, &domain) != SP_OK || gtid_expect(cur, '-') != SP_OK ||
        gtid_read_uint(cur, UINT32_MAX, &server) != SP_OK || gtid_expect(cur, '-') != SP_OK ||
        gtid_read_uint(cur, UINT64_MAX, &seq) != SP_OK) {
        return SP_EINVAL;
    }
    out->domain = (uint32_t)domain;
    out->server = (uint32_t)server;
    out->seq = seq;
    return SP_OK;
}

/*
 * Inserts G keeping POS sorted by domain. MariaDB prints domains in no
 * fixed order, and sorting lets comparisons walk both lists once.
 */
static int
gtid_insert_sorted(struct sp_gtid_pos *pos, const struct sp_gtid *g)
{
    uint32_t i;

    for (i = 0; i < pos->n; i++) {
        if (pos->gtids[i].domain == g->domain) {
            return SP_EINVAL; /* a position has one GTID per domain */
        }
    }
    if (pos->n == SP_GTID_DOMAINS_MAX) {
        return SP_ETOOBIG;
    }

    i = pos->n;
    while (i > 0 && pos->gtids[i - 1].domain > g->domain) {
        pos->gtids[i] = pos->gtids[i - 1];
        i--;
    }
    pos->gtids[i] = *g;
    pos->n++;
    return SP_OK;
}

int
sp_gtid_pos_parse(const char *text, size_t len, struct sp_gtid_pos *out)
{
    struct gtid_cursor cur = {text, text + len};
    struct sp_gtid g;
    int rc;

    out->n = 0;
    gtid_skip_space(&cur);
    if (cur.p == cur.end) {
        return SP_OK;
    }

    for (;;) {
        if (gtid_read_one(&cur, &g) != SP_OK) {
            return SP_EINVAL;
        }
        rc = gtid_insert_sorted(out, &g);
        if (rc != SP_OK) {
            return rc;
        }

        gtid_skip_space(&cur);
        if (cur.p == cur.end) {
            return SP_OK;
        }
        if (gtid_expect(&cur, ',') != SP_OK) {
            return SP_EINVAL;
        }
        gtid_skip_space(&cur);
    }
}

bool
sp_gtid_covers(const struct sp_gtid_pos *replica, const struct sp_gtid_pos *sample)
{
    uint32_t r = 0, s;

    /* Both lists are sorted by domain, so one pass over each suffices. */
    for (s = 0; s < sample->n; s++) {
        uint32_t domain = sample->gtids[s].domain;

        while (r < replica->n && replica->gtids[r].domain < domain) {
            r++;
        }
        if (r == replica->n || replica->gtids[r].domain != domain ||
            replica->gtids[r].seq < sample->gtids[s].seq) {
            return false;
        }
    }
    return true;
}

bool
sp_gtid_pos_equal(const struct sp_gtid_pos *a, const struct sp_gtid_pos *b)
{
    uint32_t i;

    if (a->n != b->n) {
        return false;
    }
    for (i = 0; i < a->n; i++) {
        if (a->gtids[i].domain != b->gtids[i].domain || a->gtids[i].server != b->gtids[i].server ||
            a->gtids[i].seq != b->gtids[i].seq) {
            return false;
        }
    }
    return true;
}

int
sp_gtid_ring_init(struct sp_gtid_ring *ring, uint32_t capacity)
{
    memset(ring, 0, sizeof(*ring));
    if (capacity == 0 || capacity > SP_GTID_RING_MAX) {
        return SP_EINVAL;
    }
    ring->samples = calloc(capacity, sizeof(*ring->samples));
    if (ring->samples == NULL) {
        return SP_ENOMEM;
    }
    ring->capacity = capacity;
    return SP_OK;
}

void
sp_gtid_ring_deinit(struct sp_gtid_ring *ring)
{
    free(ring->samples);
    memset(ring, 0, sizeof(*ring));
}

const struct sp_gtid_sample *
sp_gtid_ring_at(const struct sp_gtid_ring *ring, uint32_t i)
{
    SP_BUG_ON(i >= ring->count);
    return &ring->samples[(ring->start + i) % ring->capacity];
}

void
sp_gtid_ring_push(struct sp_gtid_ring *ring, uint64_t t0_ns, const struct sp_gtid_pos *pos)
{
    struct sp_gtid_sample *s;

    if (ring->count > 0) {
        s = &ring->samples[(ring->start + ring->count - 1) % ring->capacity];
        if (sp_gtid_pos_equal(&s->pos, pos)) {
            s->last_ns = t0_ns;
            return;
        }
    }

    if (ring->count == ring->capacity) {
        ring->start = (ring->start + 1) % ring->capacity;
        ring->count--;
    }
    s = &ring->samples[(ring->start + ring->count) % ring->capacity];
    s->first_ns = t0_ns;
    s->last_ns = t0_ns;
    s->pos = *pos;
    ring->count++;
}

static uint64_t
gtid_elapsed(uint64_t now_ns, uint64_t since_ns)
{
    return now_ns > since_ns ? now_ns - since_ns : 0;
}

int
sp_gtid_lag_compute(const struct sp_gtid_ring *ring, const struct sp_gtid_pos *replica,
                    uint64_t now_ns, struct sp_gtid_lag *out)
{
    uint32_t i;

    if (ring->count == 0) {
        return SP_ENOTFOUND;
    }

    /* Search from the newest: a caught-up replica stops at the first step. */
    for (i = ring->count; i > 0; i--) {
        const struct sp_gtid_sample *s = sp_gtid_ring_at(ring, i - 1);

        if (sp_gtid_covers(replica, &s->pos)) {
            out->applied_before_ns = s->last_ns;
            out->at_least = false;
            out->lag_ns = i == ring->count
                              ? 0
                              : gtid_elapsed(now_ns, sp_gtid_ring_at(ring, i)->first_ns);
            return SP_OK;
        }
    }

    out->applied_before_ns = 0;
    out->at_least = true;
    out->lag_ns = gtid_elapsed(now_ns, sp_gtid_ring_at(ring, 0)->first_ns);
    return SP_OK;
}
