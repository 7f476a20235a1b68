/*
 * shardproxy entry point: command line, config, worker threads and the
 * signal loop. The main thread only waits for SIGINT/SIGTERM; all traffic
 * runs on the workers.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "config/config.h"
#include "proxy/log.h"
#include "proxy/monitor.h"
#include "proxy/worker.h"
#include "router/router.h"

#ifndef SP_VERSION
#define SP_VERSION "0.0.0"
#endif

static void
print_usage(FILE *out)
{
    fprintf(out,
            "Usage: shardproxy --config FILE\n"
            "       shardproxy --check-config FILE\n"
            "\n"
            "A MySQL sharding proxy: clients connect with ordinary MySQL drivers and\n"
            "their statements are routed to the shards that hold the rows.\n"
            "\n"
            "  -c, --config FILE        run with the JSON configuration in FILE\n"
            "  -t, --check-config FILE  validate FILE, print the result, exit 0 if valid, 1 if not\n"
            "  -h, --help               show this help and exit\n"
            "  -V, --version            show the version and exit\n"
            "\n"
            "Logs go to standard error, one line per event. SIGINT or SIGTERM stops the proxy.\n");
}

static int
load_config(const char *path, struct sp_config **cfg)
{
    struct sp_error err;

    if (sp_config_load_file(path, cfg, &err) != SP_OK) {
        sp_log_error("config_invalid", "file=%s error=\"%s\"", path, err.message);
        return -1;
    }
    return 0;
}

static int
resolve_listen(const struct sp_config *cfg, struct sockaddr_storage *addr)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;

    memset(addr, 0, sizeof(*addr));
    if (uv_ip4_addr(cfg->listen_host, cfg->listen_port, in4) == 0) {
        return 0;
    }
    if (uv_ip6_addr(cfg->listen_host, cfg->listen_port, in6) == 0) {
        return 0;
    }
    sp_log_error("config_invalid", "file=%s error=\"listen: '%s' is not an IPv4 or IPv6 address\"",
                 cfg->source, cfg->listen_host);
    return -1;
}

static struct sp_auth_user *
build_auth_users(const struct sp_config *cfg)
{
    struct sp_auth_user *users;
    size_t i;

    users = calloc(cfg->nusers, sizeof(*users));
    if (users == NULL) {
        return NULL;
    }
    for (i = 0; i < cfg->nusers; i++) {
        const char *pw = cfg->users[i].password;

        users[i].cfg = &cfg->users[i];
        users[i].empty_password = pw[0] == '\0';
        sp_auth_native_stage2(pw, strlen(pw), users[i].stage2);
    }
    return users;
}

static int
run_proxy(struct sp_config *cfg)
{
    struct sp_proxy proxy;
    struct sp_monitor *monitor = NULL;
    struct sp_error err;
    sigset_t signals;
    unsigned i, nstarted = 0;
    int sig = 0, status = 1;

    memset(&proxy, 0, sizeof(proxy));
    proxy.cfg = cfg;
    atomic_init(&proxy.nclients, 0);
    atomic_init(&proxy.next_connection_id, 1);

    if (sp_router_create(cfg, (struct sp_router **)&proxy.router, &err) != SP_OK) {
        sp_log_error("config_invalid", "file=%s error=\"%s\"", cfg->source, err.message);
        return 1;
    }
    if (sp_topology_init(&proxy.topology, cfg) != SP_OK) {
        sp_log_error("out_of_memory", "what=topology");
        goto done;
    }
    proxy.users = build_auth_users(cfg);
    proxy.nusers = cfg->nusers;
    if (proxy.users == NULL || resolve_listen(cfg, &proxy.listen_addr) != 0) {
        goto done;
    }

    proxy.nworkers = cfg->workers;
    if (proxy.nworkers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        proxy.nworkers = n > 0 ? (unsigned)n : 1;
    }
    proxy.workers = calloc(proxy.nworkers, sizeof(*proxy.workers));
    if (proxy.workers == NULL) {
        goto done;
    }

    /*
     * Workers inherit this mask: only the main thread takes the signals.
     * A shell starts background jobs with SIGINT ignored; restore the
     * default so that sigwait sees it.
     */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Replicas take reads once their first check passed, so it starts before the workers. */
    if (sp_monitor_start(cfg, &proxy.topology, &monitor) != SP_OK) {
        sp_log_error("monitor_failed", "reason=\"cannot start the health checks\"");
        goto stop;
    }
    for (i = 0; i < proxy.nworkers; i++) {
        if (sp_worker_init(&proxy.workers[i], &proxy, i) != SP_OK) {
            goto stop;
        }
    }
    for (i = 0; i < proxy.nworkers; i++) {
        if (sp_worker_start(&proxy.workers[i]) != SP_OK) {
            goto stop;
        }
        nstarted++;
    }

    sp_log_info("listening", "addr=%s:%u workers=%u shards=%zu", cfg->listen_host,
                cfg->listen_port, proxy.nworkers, cfg->nshards);

    if (sigwait(&signals, &sig) != 0) {
        sig = 0;
    }
    sp_log_info("shutdown", "signal=%s", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "none");
    status = 0;

stop:
    for (i = 0; i < nstarted; i++) {
        sp_worker_stop(&proxy.workers[i]);
    }
    for (i = 0; i < nstarted; i++) {
        sp_worker_join(&proxy.workers[i]);
    }
    sp_monitor_stop(monitor);
    free(proxy.workers);

done:
    free(proxy.users);
    sp_topology_deinit(&proxy.topology);
    sp_router_destroy((struct sp_router *)proxy.router);
    if (status == 0) {
        sp_log_info("stopped", "clean=yes");
    }
    return status;
}

int
main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *check_path = NULL;
    struct sp_config *cfg = NULL;
    int opt, status;

    while ((opt = getopt_long(argc, argv, "c:t:hV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 't':
            check_path = optarg;
            break;
        case 'h':
            print_usage(stdout);
            return 0;
        case 'V':
            printf("shardproxy %s\n", SP_VERSION);
            return 0;
        default:
            print_usage(stderr);
            return 1;
        }
    }
    if (optind < argc || (config_path == NULL) == (check_path == NULL)) {
        print_usage(stderr);
        return 1;
    }

    if (check_path != NULL) {
        if (load_config(check_path, &cfg) != 0) {
            return 1;
        }
        printf("%s: configuration is valid (shards: %zu, sharded table rules: %zu)\n", check_path,
               cfg->nshards, cfg->ntables);
        sp_config_destroy(cfg);
        return 0;
    }

    if (load_config(config_path, &cfg) != 0) {
        return 1;
    }
    sp_log_set_level(cfg->log_level);
    sp_log_info("start", "version=%s config=%s", SP_VERSION, config_path);

    status = run_proxy(cfg);
    sp_config_destroy(cfg);
    return status;
}
