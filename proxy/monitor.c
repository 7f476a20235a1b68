/*
 * Health checks of the primaries and replicas, one thread per node, so
 * that a slow or unreachable node never delays another node's checks.
 *
 * Each thread keeps one libmariadb connection to its node and runs a
 * check every health_interval_ms:
 *   primary: SELECT @@gtid_binlog_pos, @@read_only; the position goes
 *            into the shard's ring of samples (proxy/gtid.h);
 *   replica: SHOW SLAVE STATUS and SELECT @@gtid_slave_pos. The verdict
 *            (healthy, or why not) drives the replica's readable flag.
 *            Its position, compared with the ring, gives its lag and
 *            applied_before_ns.
 * A shard's ring is shared by its threads under the shard's mutex. The
 * topology atomics are written only here, with release stores.
 *
 * Blocking calls are fine on these threads; they must never run on a
 * worker's loop.
 */
#include "proxy/monitor.h"

#include <inttypes.h>
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "proxy/gtid.h"
#include "proxy/log.h"

#define MONITOR_REASON_MAX 512
#define MONITOR_ERROR_TEXT_MAX 200 /* of a Last_*_Error, in a reason */

/* Samples kept beyond max_replica_lag_ms, so the last sample older than the max lag stays. */
#define MONITOR_RING_MARGIN 4

/* A primary sample older than this many intervals means the primary is not being read. */
#define MONITOR_STALE_INTERVALS 3

#define NS_PER_MS 1000000u

enum monitor_flavor {
    MONITOR_MARIADB,
    MONITOR_MYSQL
};

enum monitor_primary_state {
    MONITOR_PRIMARY_UNCHECKED,
    MONITOR_PRIMARY_OK,
    MONITOR_PRIMARY_UNREACHABLE,
    MONITOR_PRIMARY_READ_ONLY,
    MONITOR_PRIMARY_BAD_GTID    /* @@gtid_binlog_pos did not parse */
};

struct monitor_shard {
    pthread_mutex_t lock;       /* guards ring and server_id */
    struct sp_gtid_ring ring;   /* the primary's positions, oldest first */
    unsigned long server_id;    /* the primary's @@server_id, 0 until read */
};

/* One node's thread and what it remembers between checks. */
struct monitor_node {
    struct sp_monitor *monitor;
    struct sp_node *node;
    pthread_t thread;
    bool started;

    MYSQL *conn;                /* NULL while disconnected */
    enum monitor_flavor flavor; /* of the server behind conn */

    enum monitor_primary_state primary_state;

    /* A replica's readable state machine. */
    bool checked;               /* at least one check has finished */
    bool readable;              /* the value last stored in node->readable */
    bool ever_readable;
    uint32_t healthy_run;       /* consecutive healthy checks */
};

struct sp_monitor {
    const struct sp_config *cfg;
    struct sp_topology *topo;
    unsigned int timeout_s;     /* connect, read and write timeout of each check */
    uint64_t interval_ns;

    pthread_mutex_t lock;       /* guards stopping */
    pthread_cond_t wake;        /* broadcast when stopping is set */
    bool stopping;

    struct monitor_shard *shards;
    uint32_t nshards_ready;     /* shards whose mutex and ring are initialized */
    struct monitor_node *nodes;
};

/* The outcome of one replica check. */
struct monitor_verdict {
    bool healthy;
    uint64_t applied_before_ns; /* when healthy; 0 if unknown */
    char reason[MONITOR_REASON_MAX];
};

/* The columns of SHOW SLAVE STATUS that a replica check reads. */
enum monitor_column {
    MONITOR_COL_IO_RUNNING,
    MONITOR_COL_SQL_RUNNING,
    MONITOR_COL_IO_ERRNO,
    MONITOR_COL_IO_ERROR,
    MONITOR_COL_SQL_ERRNO,
    MONITOR_COL_SQL_ERROR,
    MONITOR_COL_SECONDS_BEHIND,
    MONITOR_COL_MASTER_SERVER_ID,
    MONITOR_NCOLUMNS
};

/*
 * NOTE: MySQL servers get a reduced check: SHOW REPLICA STATUS (MySQL
 * 8.0.22 and later) judged by Seconds_Behind_Source alone, no GTID
 * sampling, and applied_before_ns stays 0.
 */
static const char *const monitor_status_sql[] = {
    [MONITOR_MARIADB] = "SHOW SLAVE STATUS",
    [MONITOR_MYSQL] = "SHOW REPLICA STATUS",
};

static const char *const monitor_primary_sql[] = {
    [MONITOR_MARIADB] = "SELECT @@gtid_binlog_pos, @@read_only, @@server_id",
    [MONITOR_MYSQL] = "SELECT NULL, @@read_only, @@server_id",
};

static const char *const monitor_column_names[][MONITOR_NCOLUMNS] = {
    [MONITOR_MARIADB] = {"Slave_IO_Running", "Slave_SQL_Running", "Last_IO_Errno",
                         "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error",
                         "Seconds_Behind_Master", "Master_Server_Id"},
    [MONITOR_MYSQL] = {"Replica_IO_Running", "Replica_SQL_Running", "Last_IO_Errno",
                       "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error",
                       "Seconds_Behind_Source", "Source_Server_Id"},
};

/*
 * SHOW SLAVE STATUS has no Gtid_Slave_Pos column (MariaDB 10.11 shows it
 * in SHOW ALL SLAVES STATUS only), so the position is a second query.
 */
#define MONITOR_GTID_SLAVE_POS_SQL "SELECT @@gtid_slave_pos"


/* A replica's replication state, decoded. */
struct monitor_slave_status {
    bool io_running;
    bool sql_running;
    unsigned long io_errno;
    unsigned long sql_errno;
    char io_error[MONITOR_ERROR_TEXT_MAX];
    char sql_error[MONITOR_ERROR_TEXT_MAX];
    bool has_seconds_behind;    /* false when the server shows NULL */
    uint64_t seconds_behind;
    unsigned long master_server_id; /* of the server it replicates from, 0 if unknown */
    bool has_gtid;              /* false on MySQL */
    struct sp_gtid_pos gtid;    /* @@gtid_slave_pos */
};

static pthread_once_t monitor_library_once = PTHREAD_ONCE_INIT;
static int monitor_library_status;

/*
 * The MySQL C API manual requires mysql_library_init before threads use
 * the library, because mysql_init would otherwise run it without a lock.
 * mysql_library_end is never called because another monitor may start
 * later in the same process.
 */
static void
monitor_library_init(void)
{
    monitor_library_status = mysql_library_init(0, NULL, NULL);
}

static const char *
monitor_region(const struct sp_node *node)
{
    return node->endpoint->region != NULL ? node->endpoint->region : "-";
}

/* ---- Sleeping and stopping ---- */

/* Sleeps until DEADLINE_NS (sp_clock_ns time). Returns true when the monitor stops. */
static bool
monitor_sleep_until(struct sp_monitor *m, uint64_t deadline_ns)
{
    struct timespec ts = {
        .tv_sec = (time_t)(deadline_ns / 1000000000u),
        .tv_nsec = (long)(deadline_ns % 1000000000u),
    };
    bool stopping;

    pthread_mutex_lock(&m->lock);
    while (!m->stopping && sp_clock_ns() < deadline_ns) {
        /* The condition variable uses CLOCK_MONOTONIC, the clock of sp_clock_ns(). */
        pthread_cond_timedwait(&m->wake, &m->lock, &ts);
    }
    stopping = m->stopping;
    pthread_mutex_unlock(&m->lock);
    return stopping;
}

/*
 * Returns the start of the check after one that was due at DUE_NS. Checks
 * keep a fixed period, and a check that overran skips the starts it missed.
 */
static uint64_t
monitor_next_start(uint64_t due_ns, uint64_t interval_ns, uint64_t now_ns)
{
    uint64_t next = due_ns + interval_ns;

    if (next <= now_ns) {
        next += ((now_ns - next) / interval_ns + 1) * interval_ns;
    }
    return next;
}

/* ---- The connection ---- */

static void
monitor_disconnect(struct monitor_node *mn)
{
    if (mn->conn != NULL) {
        mysql_close(mn->conn);
        mn->conn = NULL;
    }
}

/* Connects if not connected. On failure fills ERROR with the reason. */
static int
monitor_connect(struct monitor_node *mn, char *error, size_t len)
{
    const struct sp_config *cfg = mn->monitor->cfg;
    const struct sp_endpoint_cfg *ep = mn->node->endpoint;
    unsigned int timeout = mn->monitor->timeout_s;
    /* Over TCP even for "localhost", which libmariadb would take as its Unix socket. */
    unsigned int protocol = MYSQL_PROTOCOL_TCP;
    MYSQL *conn;

    if (mn->conn != NULL) {
        return SP_OK;
    }
    conn = mysql_init(NULL);
    if (conn == NULL) {
        snprintf(error, len, "out of memory");
        return SP_ENOMEM;
    }
    if (mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) != 0 ||
        mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &timeout) != 0 ||
        mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &timeout) != 0 ||
        mysql_options(conn, MYSQL_OPT_PROTOCOL, &protocol) != 0) {
        snprintf(error, len, "cannot set connection options");
        mysql_close(conn);
        return SP_EIO;
    }
    if (mysql_real_connect(conn, ep->host, cfg->monitor_user, cfg->monitor_password, NULL,
                           ep->port, NULL, 0) == NULL) {
        snprintf(error, len, "%s", mysql_error(conn));
        mysql_close(conn);
        return SP_EIO;
    }

    mn->flavor = strstr(mysql_get_server_info(conn), "MariaDB") != NULL ? MONITOR_MARIADB
                                                                       : MONITOR_MYSQL;
    mn->conn = conn;
    return SP_OK;
}

/*
 * Runs SQL and returns its stored result. On failure returns NULL, fills
 * ERROR and closes the connection, so the next check starts on a fresh
 * one.
 */
static MYSQL_RES *
monitor_query(struct monitor_node *mn, const char *sql, char *error, size_t len)
{
    MYSQL_RES *res;

    if (mysql_query(mn->conn, sql) != 0) {
        snprintf(error, len, "%s", mysql_error(mn->conn));
        monitor_disconnect(mn);
        return NULL;
    }
    res = mysql_store_result(mn->conn);
    if (res == NULL) {
        snprintf(error, len, "%s",
                 mysql_errno(mn->conn) != 0 ? mysql_error(mn->conn) : "no result set");
        monitor_disconnect(mn);
        return NULL;
    }
    return res;
}

/* ---- Primaries ---- */

static void
monitor_record_sample(struct monitor_node *mn, uint64_t t0_ns, const struct sp_gtid_pos *pos)
{
    struct monitor_shard *shard = &mn->monitor->shards[mn->node->shard];

    pthread_mutex_lock(&shard->lock);
    sp_gtid_ring_push(&shard->ring, t0_ns, pos);
    pthread_mutex_unlock(&shard->lock);
}

/* Reads the primary's position and read_only. REASON explains any state but OK. */
static enum monitor_primary_state
monitor_read_primary(struct monitor_node *mn, char *reason, size_t len)
{
    struct sp_gtid_pos pos;
    enum monitor_primary_state state = MONITOR_PRIMARY_OK;
    unsigned long *lengths;
    MYSQL_RES *res;
    MYSQL_ROW row;
    uint64_t t0;

    if (monitor_connect(mn, reason, len) != SP_OK) {
        return MONITOR_PRIMARY_UNREACHABLE;
    }

    /* Taken before the query, so every commit before t0 is in the position it reads. */
    t0 = sp_clock_ns();
    res = monitor_query(mn, monitor_primary_sql[mn->flavor], reason, len);
    if (res == NULL) {
        return MONITOR_PRIMARY_UNREACHABLE;
    }
    row = mysql_fetch_row(res);
    lengths = mysql_fetch_lengths(res);
    if (row == NULL || lengths == NULL || mysql_num_fields(res) != 3 || row[1] == NULL) {
        snprintf(reason, len, "unexpected result of %s", monitor_primary_sql[mn->flavor]);
        mysql_free_result(res);
        monitor_disconnect(mn);
        return MONITOR_PRIMARY_UNREACHABLE;
    }

    if (mn->flavor == MONITOR_MARIADB) {
        if (row[0] != NULL && sp_gtid_pos_parse(row[0], lengths[0], &pos) == SP_OK) {
            monitor_record_sample(mn, t0, &pos);
        } else {
            snprintf(reason, len, "invalid @@gtid_binlog_pos \"%.*s\"", (int)lengths[0],
                     row[0] != NULL ? row[0] : "");
            state = MONITOR_PRIMARY_BAD_GTID;
        }
    }
    if (row[2] != NULL) {
        struct monitor_shard *shard = &mn->monitor->shards[mn->node->shard];

        pthread_mutex_lock(&shard->lock);
        shard->server_id = strtoul(row[2], NULL, 10);
        pthread_mutex_unlock(&shard->lock);
    }
    if (state == MONITOR_PRIMARY_OK && strcmp(row[1], "0") != 0) {
        snprintf(reason, len, "read_only=%s", row[1]);
        state = MONITOR_PRIMARY_READ_ONLY;
    }
    mysql_free_result(res);
    return state;
}

/* Logs a change of the primary's state. Repeats of one state are not logged. */
static void
monitor_log_primary(struct monitor_node *mn, enum monitor_primary_state state, const char *reason)
{
    const struct sp_node *node = mn->node;
    const char *host = node->endpoint->host;
    unsigned port = node->endpoint->port;

    if (state == mn->primary_state) {
        return;
    }

    switch (state) {
    case MONITOR_PRIMARY_OK:
        if (mn->primary_state != MONITOR_PRIMARY_UNCHECKED) {
            sp_log_info("primary_recovered", "shard=%s addr=%s:%u", node->shard_name, host, port);
        }
        break;
    case MONITOR_PRIMARY_UNREACHABLE:
        sp_log_warn("primary_unreachable", "shard=%s addr=%s:%u error=\"%s\"", node->shard_name,
                    host, port, reason);
        break;
    case MONITOR_PRIMARY_READ_ONLY:
        sp_log_warn("primary_read_only", "shard=%s addr=%s:%u reason=\"%s\"", node->shard_name,
                    host, port, reason);
        break;
    case MONITOR_PRIMARY_BAD_GTID:
        sp_log_warn("primary_gtid_invalid", "shard=%s addr=%s:%u error=\"%s\"", node->shard_name,
                    host, port, reason);
        break;
    case MONITOR_PRIMARY_UNCHECKED:
        break;
    }
    mn->primary_state = state;
}

static void
monitor_check_primary(struct monitor_node *mn)
{
    char reason[MONITOR_REASON_MAX] = "";
    enum monitor_primary_state state;

    state = monitor_read_primary(mn, reason, sizeof(reason));
    monitor_log_primary(mn, state, reason);
}

/* ---- Replicas: reading SHOW SLAVE STATUS ---- */

/* Finds each column by name, as the column order differs between versions. */
static int
monitor_find_columns(MYSQL_RES *res, enum monitor_flavor flavor, int *index, char *reason,
                     size_t len)
{
    const MYSQL_FIELD *fields = mysql_fetch_fields(res);
    unsigned int nfields = mysql_num_fields(res);
    unsigned int f;
    int c;

    for (c = 0; c < MONITOR_NCOLUMNS; c++) {
        const char *name = monitor_column_names[flavor][c];

        index[c] = -1;
        for (f = 0; f < nfields; f++) {
            if (strcmp(fields[f].name, name) == 0) {
                index[c] = (int)f;
                break;
            }
        }
        if (index[c] < 0) {
            snprintf(reason, len, "%s has no column %s", monitor_status_sql[flavor], name);
            return SP_ENOTFOUND;
        }
    }
    return SP_OK;
}

static const char *
monitor_cell(MYSQL_ROW row, const int *index, enum monitor_column c)
{
    return row[index[c]];
}

static void
monitor_decode_thread(MYSQL_ROW row, const int *index, enum monitor_column running,
                      enum monitor_column errnum, enum monitor_column error, bool *is_running,
                      unsigned long *errno_out, char *text, size_t text_len)
{
    const char *v;

    /*
     * "Connecting" and "Preparing" count as running: the thread retries on
     * its own, and the lag shows whether the replica still gets data.
     */
    v = monitor_cell(row, index, running);
    *is_running = v != NULL && strcmp(v, "No") != 0;
    v = monitor_cell(row, index, errnum);
    *errno_out = v != NULL ? strtoul(v, NULL, 10) : 0;
    v = monitor_cell(row, index, error);
    snprintf(text, text_len, "%s", v != NULL ? v : "");
}

static void
monitor_decode_status(MYSQL_ROW row, const int *index, struct monitor_slave_status *st)
{
    const char *v;

    monitor_decode_thread(row, index, MONITOR_COL_IO_RUNNING, MONITOR_COL_IO_ERRNO,
                          MONITOR_COL_IO_ERROR, &st->io_running, &st->io_errno, st->io_error,
                          sizeof(st->io_error));
    monitor_decode_thread(row, index, MONITOR_COL_SQL_RUNNING, MONITOR_COL_SQL_ERRNO,
                          MONITOR_COL_SQL_ERROR, &st->sql_running, &st->sql_errno, st->sql_error,
                          sizeof(st->sql_error));

    v = monitor_cell(row, index, MONITOR_COL_SECONDS_BEHIND);
    st->has_seconds_behind = v != NULL;
    st->seconds_behind = v != NULL ? strtoull(v, NULL, 10) : 0;
    v = monitor_cell(row, index, MONITOR_COL_MASTER_SERVER_ID);
    st->master_server_id = v != NULL ? strtoul(v, NULL, 10) : 0;
}

/* Reads @@gtid_slave_pos into ST. Fills REASON on failure. */
static int
monitor_read_gtid_slave_pos(struct monitor_node *mn, struct monitor_slave_status *st,
                            char *reason, size_t len)
{
    unsigned long *lengths;
    MYSQL_RES *res;
    MYSQL_ROW row;
    int rc = SP_OK;

    res = monitor_query(mn, MONITOR_GTID_SLAVE_POS_SQL, reason, len);
    if (res == NULL) {
        return SP_EIO;
    }
    row = mysql_fetch_row(res);
    lengths = mysql_fetch_lengths(res);
    if (row == NULL || lengths == NULL || row[0] == NULL) {
        snprintf(reason, len, "unexpected result of %s", MONITOR_GTID_SLAVE_POS_SQL);
        rc = SP_EIO;
    } else if (sp_gtid_pos_parse(row[0], lengths[0], &st->gtid) != SP_OK) {
        snprintf(reason, len, "invalid @@gtid_slave_pos \"%.*s\"", (int)lengths[0], row[0]);
        rc = SP_EINVAL;
    } else {
        st->has_gtid = true;
    }
    mysql_free_result(res);
    return rc;
}

/*
 * Reads the replica's status into ST. Returns SP_OK, or fills REASON and
 * returns SP_EIO (connect or query failed), SP_ENOTFOUND (not a replica,
 * or a column is missing) or SP_EINVAL (a value that does not parse).
 */
static int
monitor_read_status(struct monitor_node *mn, struct monitor_slave_status *st, char *reason,
                    size_t len)
{
    int index[MONITOR_NCOLUMNS];
    MYSQL_RES *res;
    MYSQL_ROW row;
    int rc;

    if (monitor_connect(mn, reason, len) != SP_OK) {
        return SP_EIO;
    }
    res = monitor_query(mn, monitor_status_sql[mn->flavor], reason, len);
    if (res == NULL) {
        return SP_EIO;
    }

    row = mysql_fetch_row(res);
    if (row == NULL) {
        snprintf(reason, len, "not a replica");
        rc = SP_ENOTFOUND;
    } else {
        rc = monitor_find_columns(res, mn->flavor, index, reason, len);
        if (rc == SP_OK) {
            monitor_decode_status(row, index, st);
        }
    }
    mysql_free_result(res);

    if (rc == SP_OK && mn->flavor == MONITOR_MARIADB) {
        rc = monitor_read_gtid_slave_pos(mn, st, reason, len);
    }
    return rc;
}

/* ---- Replicas: the verdict ---- */

/*
 * Fills V when a replication thread stopped on an error. A thread that an
 * operator stopped without one is judged by lag alone, because a replica
 * whose SQL thread is stopped is still fresh while nothing is written.
 */
static bool
monitor_replication_failed(struct monitor_node *mn, const struct monitor_slave_status *st,
                           struct monitor_verdict *v)
{
    struct monitor_shard *shard = &mn->monitor->shards[mn->node->shard];
    unsigned long primary_id;

    pthread_mutex_lock(&shard->lock);
    primary_id = shard->server_id;
    pthread_mutex_unlock(&shard->lock);
    /*
     * A replica of another server would return another shard's rows.
     * The server id is compared, not the address, which may differ from
     * the one the proxy uses. 0 means not known yet, or not connected.
     */
    if (primary_id != 0 && st->master_server_id != 0 && primary_id != st->master_server_id) {
        snprintf(v->reason, sizeof(v->reason),
                 "replicates server_id %lu, not the shard's primary (server_id %lu)",
                 st->master_server_id, primary_id);
        return true;
    }
    if (!st->io_running && st->io_errno != 0) {
        snprintf(v->reason, sizeof(v->reason), "replication stopped: IO thread error %lu: %s",
                 st->io_errno, st->io_error);
        return true;
    }
    if (!st->sql_running && st->sql_errno != 0) {
        snprintf(v->reason, sizeof(v->reason), "replication stopped: SQL thread error %lu: %s",
                 st->sql_errno, st->sql_error);
        return true;
    }
    return false;
}

/*
 * Compares POS with the shard's primary samples. Returns false when there
 * is no sample. Sets *FRESH when the newest sample is recent enough to
 * measure lag with.
 */
static bool
monitor_gtid_lag(struct sp_monitor *m, uint32_t shard_index, const struct sp_gtid_pos *pos,
                 uint64_t now_ns, struct sp_gtid_lag *lag, bool *fresh)
{
    struct monitor_shard *shard = &m->shards[shard_index];
    uint64_t newest_ns;
    int rc;

    pthread_mutex_lock(&shard->lock);
    rc = sp_gtid_lag_compute(&shard->ring, pos, now_ns, lag);
    newest_ns = rc == SP_OK ? sp_gtid_ring_at(&shard->ring, shard->ring.count - 1)->last_ns : 0;
    pthread_mutex_unlock(&shard->lock);

    /* The primary's thread may have pushed a sample stamped after NOW_NS. */
    *fresh = rc == SP_OK && newest_ns + MONITOR_STALE_INTERVALS * m->interval_ns >= now_ns;
    return rc == SP_OK;
}

/*
 * Judges lag as max(GTID lag, Seconds_Behind_Master). While the primary is
 * not being sampled, the GTID lag would only grow with the age of the last
 * sample, so Seconds_Behind_Master decides alone.
 */
static void
monitor_judge_lag(struct monitor_node *mn, const struct monitor_slave_status *st,
                  struct monitor_verdict *v)
{
    struct sp_monitor *m = mn->monitor;
    struct sp_gtid_lag gl = {0, 0, false};
    uint64_t now = sp_clock_ns();
    uint64_t seconds_ms = st->seconds_behind * 1000u;
    bool sampled = false, fresh = false, at_least = false;
    uint64_t lag_ms;

    if (st->has_gtid) {
        sampled = monitor_gtid_lag(m, mn->node->shard, &st->gtid, now, &gl, &fresh);
    }

    if (fresh) {
        lag_ms = gl.lag_ns / NS_PER_MS;
        at_least = gl.at_least;
        if (st->has_seconds_behind && seconds_ms > lag_ms) {
            lag_ms = seconds_ms;
            at_least = false;
        }
    } else if (st->has_seconds_behind) {
        lag_ms = seconds_ms;
    } else {
        /*
         * The primary is not being sampled (it is unreachable) and the
         * replica's IO thread has nothing to measure against: the replica
         * still contains everything the primary sent it, so it keeps serving
         * reads rather than leave none to serve them.
         */
        v->healthy = true;
        v->applied_before_ns = sampled ? gl.applied_before_ns : 0;
        snprintf(v->reason, sizeof(v->reason), "lag unknown while the primary is not sampled");
        return;
    }

    if (lag_ms > m->cfg->max_replica_lag_ms) {
        snprintf(v->reason, sizeof(v->reason), "lagging %s%" PRIu64 " ms (max %" PRIu32 " ms)",
                 at_least ? "at least " : "", lag_ms, m->cfg->max_replica_lag_ms);
        return;
    }

    v->healthy = true;
    /* Stale samples still bound what the replica has applied, so they count here. */
    v->applied_before_ns = sampled ? gl.applied_before_ns : 0;
    snprintf(v->reason, sizeof(v->reason), "lag %" PRIu64 " ms", lag_ms);
}

static void
monitor_judge_replica(struct monitor_node *mn, struct monitor_verdict *v)
{
    struct monitor_slave_status st;
    char error[MONITOR_REASON_MAX - 32];
    int rc;

    memset(v, 0, sizeof(*v));
    memset(&st, 0, sizeof(st));
    rc = monitor_read_status(mn, &st, error, sizeof(error));
    if (rc != SP_OK) {
        snprintf(v->reason, sizeof(v->reason), "%s%s", rc == SP_EIO ? "unreachable: " : "",
                 error);
        return;
    }
    if (monitor_replication_failed(mn, &st, v)) {
        return;
    }
    monitor_judge_lag(mn, &st, v);
}

/* ---- Replicas: publishing ---- */

static void
monitor_set_readable(struct monitor_node *mn, bool readable, const char *reason)
{
    const struct sp_node *node = mn->node;

    mn->readable = readable;
    atomic_store_explicit(&mn->node->readable, readable, memory_order_release);
    if (readable) {
        sp_log_info("replica_up", "shard=%s addr=%s:%u region=%s reason=\"%s\"",
                    node->shard_name, node->endpoint->host, node->endpoint->port,
                    monitor_region(node), reason);
    } else {
        sp_log_warn("replica_down", "shard=%s addr=%s:%u region=%s reason=\"%s\"",
                    node->shard_name, node->endpoint->host, node->endpoint->port,
                    monitor_region(node), reason);
    }
}

/*
 * Applies V to the replica's atomics. A replica that has never been
 * readable joins on its first healthy check, so that start-up does not
 * wait. One that was taken out returns only after health_rise_checks
 * healthy checks in a row, so that a flapping replica stays out.
 */
static void
monitor_publish(struct monitor_node *mn, const struct monitor_verdict *v)
{
    struct sp_node *node = mn->node;
    uint32_t rise = mn->monitor->cfg->health_rise_checks;
    bool first = !mn->checked;

    mn->checked = true;
    sp_log_debug("replica_checked", "shard=%s addr=%s:%u healthy=%s reason=\"%s\"",
                 node->shard_name, node->endpoint->host, node->endpoint->port,
                 v->healthy ? "yes" : "no", v->reason);

    if (!v->healthy) {
        mn->healthy_run = 0;
        if (mn->readable || first) {
            monitor_set_readable(mn, false, v->reason);
        }
        atomic_store_explicit(&node->applied_before_ns, 0, memory_order_release);
        return;
    }

    mn->healthy_run++;
    /* Stored before readable, so a worker that loads readable == true also loads this value. */
    atomic_store_explicit(&node->applied_before_ns, v->applied_before_ns, memory_order_release);
    if (!mn->readable && (!mn->ever_readable || mn->healthy_run >= rise)) {
        mn->ever_readable = true;
        monitor_set_readable(mn, true, v->reason);
    }
}

static void
monitor_check_replica(struct monitor_node *mn)
{
    struct monitor_verdict v;

    monitor_judge_replica(mn, &v);
    monitor_publish(mn, &v);
}

/* ---- Threads ---- */

static void *
monitor_thread_main(void *arg)
{
    struct monitor_node *mn = arg;
    struct sp_monitor *m = mn->monitor;
    uint64_t due = sp_clock_ns();

    mysql_thread_init();
    while (!monitor_sleep_until(m, due)) {
        if (mn->node->replica) {
            monitor_check_replica(mn);
        } else {
            monitor_check_primary(mn);
        }
        due = monitor_next_start(due, m->interval_ns, sp_clock_ns());
    }
    monitor_disconnect(mn);
    mysql_thread_end();
    return NULL;
}

/* Frees M; every thread has been joined. */
static void
monitor_destroy(struct sp_monitor *m)
{
    uint32_t s;

    for (s = 0; s < m->nshards_ready; s++) {
        sp_gtid_ring_deinit(&m->shards[s].ring);
        pthread_mutex_destroy(&m->shards[s].lock);
    }
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    free(m->shards);
    free(m->nodes);
    free(m);
}

/* Enough samples to find the one just older than max_replica_lag_ms. */
static uint32_t
monitor_ring_capacity(const struct sp_config *cfg)
{
    uint64_t n = cfg->max_replica_lag_ms / cfg->health_interval_ms + MONITOR_RING_MARGIN;

    /*
     * NOTE: past the cap, a primary written every interval keeps less
     * history than max_replica_lag_ms. A replica behind the whole ring then
     * gets the ring's span as its GTID lag, which is too low, and only
     * Seconds_Behind_Master can take it out.
     */
    return n > SP_GTID_RING_MAX ? SP_GTID_RING_MAX : (uint32_t)n;
}

static int
monitor_init_shards(struct sp_monitor *m)
{
    uint32_t capacity = monitor_ring_capacity(m->cfg);
    uint32_t s;
    int rc;

    m->shards = calloc(m->topo->nshards, sizeof(*m->shards));
    if (m->shards == NULL) {
        return SP_ENOMEM;
    }
    for (s = 0; s < m->topo->nshards; s++) {
        rc = sp_gtid_ring_init(&m->shards[s].ring, capacity);
        if (rc != SP_OK) {
            return rc;
        }
        if (pthread_mutex_init(&m->shards[s].lock, NULL) != 0) {
            sp_gtid_ring_deinit(&m->shards[s].ring);
            return SP_ENOMEM;
        }
        m->nshards_ready++;
    }
    return SP_OK;
}

/* The stop condition variable waits on CLOCK_MONOTONIC, as sp_clock_ns() reads it. */
static int
monitor_init_wake(struct sp_monitor *m)
{
    pthread_condattr_t attr;
    int rc;

    if (pthread_condattr_init(&attr) != 0) {
        return SP_ENOMEM;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(&m->wake, &attr);
    }
    pthread_condattr_destroy(&attr);
    return rc == 0 ? SP_OK : SP_ENOMEM;
}

static int
monitor_create(const struct sp_config *cfg, struct sp_topology *topo, struct sp_monitor **out)
{
    uint64_t timeout_s = (cfg->health_interval_ms + 999u) / 1000u;
    struct sp_monitor *m;
    uint32_t i;
    int rc;

    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return SP_ENOMEM;
    }
    m->cfg = cfg;
    m->topo = topo;
    m->timeout_s = timeout_s < 1 ? 1 : (unsigned int)timeout_s;
    m->interval_ns = (uint64_t)cfg->health_interval_ms * NS_PER_MS;

    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return SP_ENOMEM;
    }
    rc = monitor_init_wake(m);
    if (rc != SP_OK) {
        pthread_mutex_destroy(&m->lock);
        free(m);
        return rc;
    }

    rc = monitor_init_shards(m);
    if (rc != SP_OK) {
        goto fail;
    }
    m->nodes = calloc(topo->nnodes, sizeof(*m->nodes));
    if (m->nodes == NULL) {
        rc = SP_ENOMEM;
        goto fail;
    }
    for (i = 0; i < topo->nnodes; i++) {
        m->nodes[i].monitor = m;
        m->nodes[i].node = &topo->nodes[i];
    }
    *out = m;
    return SP_OK;

fail:
    monitor_destroy(m);
    return rc;
}

int
sp_monitor_start(const struct sp_config *cfg, struct sp_topology *topo, struct sp_monitor **out)
{
    struct sp_monitor *m;
    uint32_t i;
    int rc;

    *out = NULL;
    pthread_once(&monitor_library_once, monitor_library_init);
    if (monitor_library_status != 0) {
        sp_log_error("monitor_start_failed", "error=\"mysql_library_init failed\"");
        return SP_EIO;
    }
    rc = monitor_create(cfg, topo, &m);
    if (rc != SP_OK) {
        return rc;
    }

    for (i = 0; i < topo->nnodes; i++) {
        struct monitor_node *mn = &m->nodes[i];

        rc = pthread_create(&mn->thread, NULL, monitor_thread_main, mn);
        if (rc != 0) {
            sp_log_error("monitor_start_failed", "shard=%s addr=%s:%u error=\"%s\"",
                         mn->node->shard_name, mn->node->endpoint->host,
                         mn->node->endpoint->port, strerror(rc));
            sp_monitor_stop(m);
            return SP_EIO;
        }
        mn->started = true;
    }

    sp_log_info("monitor_started", "nodes=%" PRIu32 " interval_ms=%" PRIu32
                " max_replica_lag_ms=%" PRIu32 " rise_checks=%" PRIu32,
                topo->nnodes, cfg->health_interval_ms, cfg->max_replica_lag_ms,
                cfg->health_rise_checks);
    *out = m;
    return SP_OK;
}

void
sp_monitor_stop(struct sp_monitor *m)
{
    uint32_t i;

    if (m == NULL) {
        return;
    }

    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);

    for (i = 0; i < m->topo->nnodes; i++) {
        if (m->nodes[i].started) {
            pthread_join(m->nodes[i].thread, NULL);
        }
    }
    monitor_destroy(m);
}
