/*
 * MariaDB GTID positions and the replica lag that the health monitor
 * derives from them.
 *
 * A position such as "0-1-5,1-2-9" lists, per replication domain, the last
 * transaction as domain-server-sequence. The monitor samples the primary's
 * @@gtid_binlog_pos into a ring, stamping each sample with the time taken
 * just before the query, and compares a replica's @@gtid_slave_pos with the
 * ring: a replica that covers a sample has applied every transaction that
 * the primary had committed before that sample's time.
 *
 * Pure functions over caller-owned memory: no I/O, no locks, no logging.
 * The caller serializes access to a ring.
 */
#ifndef SP_PROXY_GTID_H
#define SP_PROXY_GTID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/* Domains in one position. A position with more is rejected. */
#define SP_GTID_DOMAINS_MAX 16

/* Capacity limit of a ring, whatever the config requests. */
#define SP_GTID_RING_MAX 1024

struct sp_gtid {
    uint32_t domain;
    uint32_t server;
    uint64_t seq;
};

/* One GTID per domain, sorted by domain. n == 0: no transactions. */
struct sp_gtid_pos {
    uint32_t n;
    struct sp_gtid gtids[SP_GTID_DOMAINS_MAX];
};

/*
 * One primary position and the times of the first and the last check that
 * read it. Consecutive checks that read the same position share a sample,
 * so an idle primary does not push older positions out of the ring.
 */
struct sp_gtid_sample {
    uint64_t first_ns;  /* sp_clock_ns() taken before the first such query */
    uint64_t last_ns;   /* sp_clock_ns() taken before the last such query */
    struct sp_gtid_pos pos;
};

/* Fixed-capacity ring of samples. When it is full, a push drops the oldest. */
struct sp_gtid_ring {
    struct sp_gtid_sample *samples;
    uint32_t capacity;
    uint32_t start;     /* index of the oldest sample */
    uint32_t count;
};

struct sp_gtid_lag {
    uint64_t applied_before_ns; /* last_ns of the newest covered sample, 0 if none */
    uint64_t lag_ns;
    bool at_least;              /* no sample is covered, so the true lag may be larger */
};

/*
 * Parses the LEN bytes at TEXT, as MariaDB prints @@gtid_binlog_pos or
 * @@gtid_slave_pos, into OUT. Whitespace (spaces, tabs, newlines) is
 * allowed around each GTID, and empty or blank text is the empty position.
 * Returns SP_OK, SP_EINVAL for malformed text (a number out of range, a
 * domain listed twice) or SP_ETOOBIG for more than SP_GTID_DOMAINS_MAX
 * domains. OUT is undefined after an error.
 */
int sp_gtid_pos_parse(const char *text, size_t len, struct sp_gtid_pos *out) SP_WARN_UNUSED;

/*
 * Whether REPLICA has applied everything in SAMPLE: for each of SAMPLE's
 * domains, REPLICA has the domain with a sequence number at least as high.
 * Server ids are not compared because a domain's sequence numbers keep
 * growing across a change of primary.
 */
bool sp_gtid_covers(const struct sp_gtid_pos *replica, const struct sp_gtid_pos *sample);

bool sp_gtid_pos_equal(const struct sp_gtid_pos *a, const struct sp_gtid_pos *b);

/* Allocates room for CAPACITY (1..SP_GTID_RING_MAX) samples: SP_OK, SP_EINVAL or SP_ENOMEM. */
int sp_gtid_ring_init(struct sp_gtid_ring *ring, uint32_t capacity) SP_WARN_UNUSED;
void sp_gtid_ring_deinit(struct sp_gtid_ring *ring);

/*
 * Records that a query started at T0_NS read POS. T0_NS must not be older
 * than the previous push's.
 */
void sp_gtid_ring_push(struct sp_gtid_ring *ring, uint64_t t0_ns, const struct sp_gtid_pos *pos);

/* Returns the sample at position I counting from the oldest (0). I < ring->count. */
const struct sp_gtid_sample *sp_gtid_ring_at(const struct sp_gtid_ring *ring, uint32_t i);

/*
 * Computes how far REPLICA is behind the primary positions in RING at
 * NOW_NS:
 *   - the newest sample is covered: lag 0;
 *   - an older sample is covered: lag runs from the first time the primary
 *     was seen past it, that is the next sample's first_ns;
 *   - none is covered: lag runs from the oldest sample's first_ns, so the
 *     true lag is at least that (OUT->at_least).
 * Returns SP_OK, or SP_ENOTFOUND when the ring is empty (OUT untouched).
 */
int sp_gtid_lag_compute(const struct sp_gtid_ring *ring, const struct sp_gtid_pos *replica,
                        uint64_t now_ns, struct sp_gtid_lag *out) SP_WARN_UNUSED;

#endif
