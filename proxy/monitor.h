/*
 * The health monitor: background threads that check every node of the
 * topology each health_interval_ms with blocking libmariadb calls, and
 * publish each replica's readable and applied_before_ns atomics.
 *
 * Workers only read those atomics, and the monitor never touches a
 * worker's data or loop. A primary's check samples its GTID position so
 * that the replicas of its shard can be compared with it to measure their
 * lag. It changes no atomic and only logs when the primary is unreachable
 * or read-only.
 */
#ifndef SP_PROXY_MONITOR_H
#define SP_PROXY_MONITOR_H

#include "common/status.h"
#include "config/config.h"
#include "proxy/topology.h"

struct sp_monitor;

/*
 * Starts one check thread per node of TOPO. CFG and TOPO are borrowed and
 * must outlive the monitor. Every replica stays not readable until its
 * first healthy check. Returns SP_OK and stores the monitor in *OUT, or
 * SP_ENOMEM, or SP_EIO when libmariadb or a thread cannot start (then no
 * thread is left running and *OUT is NULL). Call from one thread at a time.
 */
int sp_monitor_start(const struct sp_config *cfg, struct sp_topology *topo,
                     struct sp_monitor **out) SP_WARN_UNUSED;

/*
 * Stops every check thread and frees M. A sleeping thread wakes at once.
 * A thread inside a check finishes it first, which takes at most the
 * connect timeout plus the read timeout. Each is max(1,
 * ceil(health_interval_ms / 1000)) seconds. The atomics keep their last
 * values. M may be NULL.
 */
void sp_monitor_stop(struct sp_monitor *m);

#endif
