/*
 * Unit tests for proxy/gtid.c: parsing MariaDB GTID positions, comparing
 * them, and the replica lag derived from a ring of primary samples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/gtid.h"

#define MS 1000000ull /* nanoseconds */

static struct sp_gtid_pos
pos_of(const char *text)
{
    struct sp_gtid_pos pos;

    assert_int_equal(sp_gtid_pos_parse(text, strlen(text), &pos), SP_OK);
    return pos;
}

static void
assert_gtid(const struct sp_gtid *g, uint32_t domain, uint32_t server, uint64_t seq)
{
    assert_int_equal(g->domain, domain);
    assert_int_equal(g->server, server);
    assert_int_equal(g->seq, seq);
}

static void
parse_empty_and_blank(void **state)
{
    struct sp_gtid_pos pos;

    (void)state;
    assert_int_equal(sp_gtid_pos_parse("", 0, &pos), SP_OK);
    assert_int_equal(pos.n, 0);
    assert_int_equal(sp_gtid_pos_parse(" \n\t", 3, &pos), SP_OK);
    assert_int_equal(pos.n, 0);
}

static void
parse_single_gtid(void **state)
{
    struct sp_gtid_pos pos = pos_of("0-1-5");

    (void)state;
    assert_int_equal(pos.n, 1);
    assert_gtid(&pos.gtids[0], 0, 1, 5);
}

/* As MariaDB 10.11 prints @@gtid_binlog_pos after writes in three domains. */
static void
parse_several_domains(void **state)
{
    struct sp_gtid_pos pos = pos_of("0-27001-2,1-27001-1,2-27001-1");

    (void)state;
    assert_int_equal(pos.n, 3);
    assert_gtid(&pos.gtids[0], 0, 27001, 2);
    assert_gtid(&pos.gtids[1], 1, 27001, 1);
    assert_gtid(&pos.gtids[2], 2, 27001, 1);
}

/* SHOW SLAVE STATUS printed Gtid_IO_Pos in this order on the same server. */
static void
parse_sorts_by_domain(void **state)
{
    struct sp_gtid_pos pos = pos_of("1-27001-1,2-27001-1,0-27001-2");

    (void)state;
    assert_int_equal(pos.n, 3);
    assert_gtid(&pos.gtids[0], 0, 27001, 2);
    assert_gtid(&pos.gtids[1], 1, 27001, 1);
    assert_gtid(&pos.gtids[2], 2, 27001, 1);
}

static void
parse_whitespace_and_newlines(void **state)
{
    struct sp_gtid_pos pos;

    (void)state;
    pos = pos_of("0-1-5,\n1-2-9");
    assert_int_equal(pos.n, 2);
    assert_gtid(&pos.gtids[1], 1, 2, 9);

    pos = pos_of("  0-1-5 ,\r\n\t1-2-9 \n");
    assert_int_equal(pos.n, 2);
    assert_gtid(&pos.gtids[0], 0, 1, 5);
    assert_gtid(&pos.gtids[1], 1, 2, 9);
}

static void
parse_largest_values(void **state)
{
    struct sp_gtid_pos pos = pos_of("4294967295-4294967295-18446744073709551615");

    (void)state;
    assert_int_equal(pos.n, 1);
    assert_gtid(&pos.gtids[0], UINT32_MAX, UINT32_MAX, UINT64_MAX);
}

/* A column value is not NUL-terminated where its length ends. */
static void
parse_stops_at_length(void **state)
{
    struct sp_gtid_pos pos;

    (void)state;
    assert_int_equal(sp_gtid_pos_parse("0-1-5,garbage", 5, &pos), SP_OK);
    assert_int_equal(pos.n, 1);
    assert_gtid(&pos.gtids[0], 0, 1, 5);
}

static void
parse_rejects_malformed(void **state)
{
    static const char *const cases[] = {
        "0",
        "0-1",
        "0-1-",
        "-1-5",
        "0--5",
        "0-1--5",
        "+0-1-5",
        "0-+1-5",
        "a-1-5",
        "0x1-1-5",
        "0-1-5x",
        "0-1-5,",
        ",0-1-5",
        "0-1-5,,1-2-3",
        "0-1-5 1-2-3",
        "0-1-5;1-2-3",
        "0 -1-5",
        "0-1 -5",
        "4294967296-1-5",
        "0-4294967296-5",
        "0-1-18446744073709551616",
        "0-1-99999999999999999999999",
        "0-1-5,0-2-6",
        "0-1-5,1-1-1,0-1-5",
    };
    struct sp_gtid_pos pos;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = sp_gtid_pos_parse(cases[i], strlen(cases[i]), &pos);

        if (rc != SP_EINVAL) {
            fail_msg("\"%s\": expected SP_EINVAL, got %d", cases[i], rc);
        }
    }
}

static void
parse_domain_limit(void **state)
{
    char text[1024];
    struct sp_gtid_pos pos;
    size_t len = 0;
    int d;

    (void)state;
    for (d = 0; d < SP_GTID_DOMAINS_MAX; d++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d-1-%d", d ? "," : "", d, d);
    }
    assert_int_equal(sp_gtid_pos_parse(text, len, &pos), SP_OK);
    assert_int_equal(pos.n, SP_GTID_DOMAINS_MAX);

    len += (size_t)snprintf(text + len, sizeof(text) - len, ",%d-1-1", SP_GTID_DOMAINS_MAX);
    assert_int_equal(sp_gtid_pos_parse(text, len, &pos), SP_ETOOBIG);
}

static void
covers_by_sequence(void **state)
{
    struct sp_gtid_pos empty = pos_of("");
    struct sp_gtid_pos sample = pos_of("0-1-5,1-2-9");
    struct sp_gtid_pos ahead = pos_of("0-1-6,1-2-9");
    struct sp_gtid_pos behind_in_one_domain = pos_of("0-1-100,1-2-8");

    (void)state;
    assert_true(sp_gtid_covers(&empty, &empty));
    assert_true(sp_gtid_covers(&sample, &empty));
    assert_false(sp_gtid_covers(&empty, &sample));

    assert_true(sp_gtid_covers(&sample, &sample));
    assert_true(sp_gtid_covers(&ahead, &sample));
    assert_false(sp_gtid_covers(&sample, &ahead));
    assert_false(sp_gtid_covers(&behind_in_one_domain, &sample));
}

static void
covers_needs_every_domain(void **state)
{
    struct sp_gtid_pos sample = pos_of("0-1-5,1-2-9");
    struct sp_gtid_pos missing = pos_of("0-1-5");
    struct sp_gtid_pos extra = pos_of("2-3-1,0-1-5,1-2-9");
    struct sp_gtid_pos other_domains = pos_of("3-1-50,4-1-50");

    (void)state;
    assert_false(sp_gtid_covers(&missing, &sample));
    assert_true(sp_gtid_covers(&extra, &sample));
    assert_false(sp_gtid_covers(&other_domains, &sample));
}

/* After a change of primary a domain's sequence goes on under another server id. */
static void
covers_ignores_server_id(void **state)
{
    struct sp_gtid_pos sample = pos_of("0-27001-7");
    struct sp_gtid_pos replica = pos_of("0-27002-8");

    (void)state;
    assert_true(sp_gtid_covers(&replica, &sample));
}

static void
ring_init_rejects_capacity(void **state)
{
    struct sp_gtid_ring ring;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 0), SP_EINVAL);
    assert_int_equal(sp_gtid_ring_init(&ring, SP_GTID_RING_MAX + 1), SP_EINVAL);
    assert_int_equal(sp_gtid_ring_init(&ring, SP_GTID_RING_MAX), SP_OK);
    sp_gtid_ring_deinit(&ring);
}

static void
ring_merges_equal_positions(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos a = pos_of("0-1-5");
    struct sp_gtid_pos b = pos_of("0-1-6");

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 4), SP_OK);
    sp_gtid_ring_push(&ring, 100, &a);
    sp_gtid_ring_push(&ring, 200, &a);
    sp_gtid_ring_push(&ring, 300, &b);
    assert_int_equal(ring.count, 2);
    assert_int_equal(sp_gtid_ring_at(&ring, 0)->first_ns, 100);
    assert_int_equal(sp_gtid_ring_at(&ring, 0)->last_ns, 200);
    assert_int_equal(sp_gtid_ring_at(&ring, 1)->first_ns, 300);
    assert_int_equal(sp_gtid_ring_at(&ring, 1)->last_ns, 300);
    sp_gtid_ring_deinit(&ring);
}

static void
ring_drops_oldest_when_full(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos pos;
    uint64_t seq;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 3), SP_OK);
    for (seq = 1; seq <= 5; seq++) {
        pos.n = 1;
        pos.gtids[0] = (struct sp_gtid){0, 1, seq};
        sp_gtid_ring_push(&ring, seq * 1000, &pos);
    }
    assert_int_equal(ring.count, 3);
    assert_int_equal(sp_gtid_ring_at(&ring, 0)->pos.gtids[0].seq, 3);
    assert_int_equal(sp_gtid_ring_at(&ring, 2)->pos.gtids[0].seq, 5);
    assert_int_equal(sp_gtid_ring_at(&ring, 2)->first_ns, 5000);
    sp_gtid_ring_deinit(&ring);
}

/* Pushes one sample per 250 ms from T0, with sequence numbers FIRST_SEQ.. */
static void
push_writes(struct sp_gtid_ring *ring, uint64_t t0, uint64_t first_seq, int nsamples)
{
    struct sp_gtid_pos pos;
    int i;

    for (i = 0; i < nsamples; i++) {
        pos.n = 1;
        pos.gtids[0] = (struct sp_gtid){0, 1, first_seq + (uint64_t)i};
        sp_gtid_ring_push(ring, t0 + (uint64_t)i * 250 * MS, &pos);
    }
}

static void
lag_empty_ring(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos replica = pos_of("0-1-5");
    struct sp_gtid_lag lag = {7, 7, false};

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 8), SP_OK);
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 1000 * MS, &lag), SP_ENOTFOUND);
    assert_int_equal(lag.applied_before_ns, 7);
    sp_gtid_ring_deinit(&ring);
}

static void
lag_zero_when_newest_covered(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos replica = pos_of("0-1-13");
    struct sp_gtid_lag lag;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 8), SP_OK);
    push_writes(&ring, 1000 * MS, 10, 4); /* seq 10..13 at 1000, 1250, 1500, 1750 ms */
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 1800 * MS, &lag), SP_OK);
    assert_int_equal(lag.lag_ns, 0);
    assert_int_equal(lag.applied_before_ns, 1750 * MS);
    assert_false(lag.at_least);
    sp_gtid_ring_deinit(&ring);
}

static void
lag_grows_while_replica_stalls(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos replica = pos_of("0-1-11");
    struct sp_gtid_lag lag;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 16), SP_OK);

    /* The replica applied seq 11 (sampled at 1250 ms) and then stopped. */
    push_writes(&ring, 1000 * MS, 10, 4);
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 1800 * MS, &lag), SP_OK);
    assert_int_equal(lag.applied_before_ns, 1250 * MS);
    /* The primary was first seen past seq 11 at 1500 ms. */
    assert_int_equal(lag.lag_ns, 300 * MS);

    push_writes(&ring, 2000 * MS, 14, 4);
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 2800 * MS, &lag), SP_OK);
    assert_int_equal(lag.applied_before_ns, 1250 * MS);
    assert_int_equal(lag.lag_ns, 1300 * MS);
    assert_false(lag.at_least);

    /* Catching up to the newest sample brings the lag back to 0. */
    replica = pos_of("0-1-17");
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 2800 * MS, &lag), SP_OK);
    assert_int_equal(lag.lag_ns, 0);
    assert_int_equal(lag.applied_before_ns, 2750 * MS);
    sp_gtid_ring_deinit(&ring);
}

/* A replica whose SQL thread stopped long ago is fresh while nothing is written. */
static void
lag_zero_without_writes(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos pos = pos_of("0-1-42,1-1-7");
    struct sp_gtid_pos replica = pos_of("0-1-42,1-1-7");
    struct sp_gtid_lag lag;
    uint64_t t;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 4), SP_OK);
    for (t = 0; t <= 100000; t += 250) {
        sp_gtid_ring_push(&ring, t * MS, &pos);
    }
    assert_int_equal(ring.count, 1);
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 100100 * MS, &lag), SP_OK);
    assert_int_equal(lag.lag_ns, 0);
    assert_int_equal(lag.applied_before_ns, 100000 * MS);
    sp_gtid_ring_deinit(&ring);
}

/* Behind every sample: the lag is at least the age of the oldest one. */
static void
lag_none_covered(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos replica = pos_of("0-1-3");
    struct sp_gtid_lag lag;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 4), SP_OK);
    push_writes(&ring, 1000 * MS, 10, 6); /* seq 12..15 remain, oldest at 1500 ms */
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 3000 * MS, &lag), SP_OK);
    assert_int_equal(lag.applied_before_ns, 0);
    assert_int_equal(lag.lag_ns, 1500 * MS);
    assert_true(lag.at_least);
    sp_gtid_ring_deinit(&ring);
}

/* A sample stamped after NOW (another thread pushed it) gives no negative lag. */
static void
lag_sample_newer_than_now(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos replica = pos_of("0-1-10");
    struct sp_gtid_lag lag;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 4), SP_OK);
    push_writes(&ring, 1000 * MS, 10, 2); /* seq 11 sampled at 1250 ms */
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 1200 * MS, &lag), SP_OK);
    assert_int_equal(lag.lag_ns, 0);
    assert_int_equal(lag.applied_before_ns, 1000 * MS);
    sp_gtid_ring_deinit(&ring);
}

/* Each domain must be covered: ahead in one does not make up for another. */
static void
lag_counts_every_domain(void **state)
{
    struct sp_gtid_ring ring;
    struct sp_gtid_pos p1 = pos_of("0-1-5,1-1-1");
    struct sp_gtid_pos p2 = pos_of("0-1-5,1-1-2");
    struct sp_gtid_pos replica = pos_of("0-1-900,1-1-1");
    struct sp_gtid_lag lag;

    (void)state;
    assert_int_equal(sp_gtid_ring_init(&ring, 4), SP_OK);
    sp_gtid_ring_push(&ring, 1000 * MS, &p1);
    sp_gtid_ring_push(&ring, 2000 * MS, &p2);
    assert_int_equal(sp_gtid_lag_compute(&ring, &replica, 2500 * MS, &lag), SP_OK);
    assert_int_equal(lag.applied_before_ns, 1000 * MS);
    assert_int_equal(lag.lag_ns, 500 * MS);
    sp_gtid_ring_deinit(&ring);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_empty_and_blank),
        cmocka_unit_test(parse_single_gtid),
        cmocka_unit_test(parse_several_domains),
        cmocka_unit_test(parse_sorts_by_domain),
        cmocka_unit_test(parse_whitespace_and_newlines),
        cmocka_unit_test(parse_largest_values),
        cmocka_unit_test(parse_stops_at_length),
        cmocka_unit_test(parse_rejects_malformed),
        cmocka_unit_test(parse_domain_limit),
        cmocka_unit_test(covers_by_sequence),
        cmocka_unit_test(covers_needs_every_domain),
        cmocka_unit_test(covers_ignores_server_id),
        cmocka_unit_test(ring_init_rejects_capacity),
        cmocka_unit_test(ring_merges_equal_positions),
        cmocka_unit_test(ring_drops_oldest_when_full),
        cmocka_unit_test(lag_empty_ring),
        cmocka_unit_test(lag_zero_when_newest_covered),
        cmocka_unit_test(lag_grows_while_replica_stalls),
        cmocka_unit_test(lag_zero_without_writes),
        cmocka_unit_test(lag_none_covered),
        cmocka_unit_test(lag_sample_newer_than_now),
        cmocka_unit_test(lag_counts_every_domain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
