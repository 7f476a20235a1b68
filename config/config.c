/*
 * The config loader's entry points and the top level of the schema: listen,
 * users, the extensions with their defaults, the default shard, and
 * freeing a loaded config. The "shards" section is in shards.c, the
 * "tables" section in tables.c and the field table machinery in schema.c.
 *
 * Every value is checked before it is stored, and anything invalid is an
 * error that names the file, the line and column, and the JSON path. No
 * invalid value is replaced by a default. This file never logs and never
 * includes jsmn, which only config/json.c does. A loaded struct sp_config
 * is not changed after sp_config_load_string returns.
 */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema.h"

/* The password limit is this proxy's own bound, which keeps buffers small. */
#define CONFIG_SECRET_MAX 1024
#define CONFIG_VERSION_MAX 255

#define CONFIG_DEFAULT_SERVER_VERSION "5.5.5-10.11.0-MariaDB-shardproxy"

/* Splits "host:port" or "[ipv6]:port". */
static int
config_parse_listen(struct config_loader *ld, int tok, void *base)
{
    static const char usage[] =
        "expected \"host:port\", for example \"127.0.0.1:6033\" or \"[::1]:6033\"";
    struct sp_config *cfg = base;
    const char *host;
    const char *port;
    size_t hostlen;
    char *s;
    unsigned long v;
    int rc;

    if (sp_json_type(ld->walk.doc, tok) != SP_JSON_STRING) {
        return sp_json_fail(&ld->walk, tok, "%s", usage);
    }
    rc = sp_config_store_string(ld, tok, &s, 1, CONFIG_HOST_MAX + 8);
    if (rc != SP_OK) {
        return rc;
    }

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (close == NULL || close[1] != ':') {
            rc = sp_json_fail(&ld->walk, tok, "%s", usage);
            goto fail;
        }
        host = s + 1;
        hostlen = (size_t)(close - host);
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');

        if (colon == NULL) {
            rc = sp_json_fail(&ld->walk, tok, "%s", usage);
            goto fail;
        }
        if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
            rc = sp_json_fail(&ld->walk, tok,
                              "put an IPv6 address in brackets, for example \"[::1]:6033\"");
            goto fail;
        }
        host = s;
        hostlen = (size_t)(colon - s);
        port = colon + 1;
    }

    if (hostlen == 0) {
        rc = sp_json_fail(&ld->walk, tok, "%s", usage);
        goto fail;
    }

    v = 0;
    if (port[0] != '\0' && strlen(port) <= 5 && strspn(port, "0123456789") == strlen(port)) {
        v = strtoul(port, NULL, 10);
    }
    if (v < 1 || v > 65535) {
        rc = sp_json_fail(&ld->walk, tok, "expected a port 1..65535 after the last ':'");
        goto fail;
    }

    cfg->listen_host = strndup(host, hostlen);
    if (cfg->listen_host == NULL) {
        rc = sp_config_nomem(ld);
        goto fail;
    }
    cfg->listen_port = (uint16_t)v;
    rc = sp_config_check_host(&ld->walk, tok, cfg->listen_host);

fail:
    free(s);
    return rc;
}

enum { USER_USER, USER_PASSWORD, USER_BACKEND_USER, USER_BACKEND_PASSWORD, USER_NFIELDS };

static const struct config_field config_user_fields[] = {
    [USER_USER] = CONFIG_FIELD_STRING("user", true, struct sp_user_cfg, user, 1, CONFIG_IDENT_MAX),
    [USER_PASSWORD] = CONFIG_FIELD_STRING("password", true, struct sp_user_cfg, password, 0,
                                          CONFIG_SECRET_MAX),
    [USER_BACKEND_USER] = CONFIG_FIELD_STRING("backend_user", false, struct sp_user_cfg,
                                              backend_user, 1, CONFIG_IDENT_MAX),
    [USER_BACKEND_PASSWORD] = CONFIG_FIELD_STRING("backend_password", false, struct sp_user_cfg,
                                                  backend_password, 0, CONFIG_SECRET_MAX),
};

/* Rejects a repeated user name and fills in the backend credentials. */
static int
config_finish_user(struct config_loader *ld, void *base, size_t i, int tok, const int *toks)
{
    struct sp_config *cfg = base;
    struct sp_user_cfg *user = &cfg->users[i];
    size_t j;

    for (j = 0; j < i; j++) {
        if (strcmp(cfg->users[j].user, user->user) == 0) {
            return sp_config_fail_at(ld, toks[USER_USER], "user",
                                     "duplicate user \"%s\" (also users[%zu])", user->user, j);
        }
    }

    if (user->backend_user == NULL) {
        user->backend_user = strdup(user->user);
    }
    if (user->backend_password == NULL) {
        user->backend_password = strdup(user->password);
    }
    if (user->backend_user == NULL || user->backend_password == NULL) {
        return sp_config_nomem(ld);
    }
    return SP_OK;
}

static const struct config_array config_users_array = {
    CONFIG_ARRAY_SPEC("users", 1, SIZE_MAX, struct sp_config, users, nusers,
                      config_user_fields, USER_NFIELDS),
    .finish = config_finish_user,
};

static int
config_parse_default_shard(struct config_loader *ld, int tok, void *base)
{
    return sp_config_store_string(ld, tok, &ld->default_shard_name, 1, SIZE_MAX);
}

static const char *const config_log_level_names[] = {
    [SP_LOG_ERROR] = "error", [SP_LOG_WARN] = "warn", [SP_LOG_INFO] = "info",
    [SP_LOG_DEBUG] = "debug", NULL};

static const char *const config_read_policy_names[] = {
    [SP_READ_REPLICA] = "replica", [SP_READ_PRIMARY] = "primary", NULL};

static const char *const config_transaction_reads_names[] = {
    [SP_TXN_READS_PRIMARY] = "primary", [SP_TXN_READS_REPLICA] = "replica", NULL};

static const char *const config_transaction_mode_names[] = {
    [SP_TRANSACTION_MULTI] = "multi", [SP_TRANSACTION_SINGLE] = "single", NULL};

enum {
    TOP_LISTEN,
    TOP_WORKERS,
    TOP_REGION,
    TOP_USERS,
    TOP_SHARDS,
    TOP_DEFAULT_SHARD,
    TOP_TABLES,
    TOP_MAX_CLIENT_CONNECTIONS,
    TOP_POOL_MAX_PER_BACKEND,
    TOP_POOL_IDLE_TIMEOUT_MS,
    TOP_POOL_WAIT_TIMEOUT_MS,
    TOP_CONNECT_TIMEOUT_MS,
    TOP_MAX_PACKET_SIZE,
    TOP_MAX_MERGE_ROWS,
    TOP_SERVER_VERSION,
    TOP_LOG_LEVEL,
    TOP_TRANSACTION_MODE,
    TOP_READ_POLICY,
    TOP_READ_FROM_OTHER_REGIONS,
    TOP_READ_YOUR_WRITES,
    TOP_TRANSACTION_READS,
    TOP_HEALTH_INTERVAL_MS,
    TOP_HEALTH_RISE_CHECKS,
    TOP_MAX_REPLICA_LAG_MS,
    TOP_MONITOR_USER,
    TOP_MONITOR_PASSWORD,
    TOP_NFIELDS
};

/*
 * The top level. Timeouts must be at least 1 ms, so 0 never has to mean
 * "none". Their maximums (one day for idle, one hour otherwise) only catch
 * values given in the wrong unit.
 */
static const struct config_field config_top_fields[] = {
    [TOP_LISTEN] = CONFIG_FIELD_CUSTOM("listen", true, config_parse_listen),
    [TOP_WORKERS] = CONFIG_FIELD_UINT("workers", false, struct sp_config, workers, 0, 256),
    [TOP_REGION] = CONFIG_FIELD_STRING("region", false, struct sp_config, region, 1,
                                       SP_CONFIG_NAME_MAX),
    [TOP_USERS] = CONFIG_FIELD_ARRAY("users", true, &config_users_array),
    [TOP_SHARDS] = CONFIG_FIELD_CUSTOM("shards", true, sp_config_parse_shards),
    [TOP_DEFAULT_SHARD] = CONFIG_FIELD_CUSTOM("default_shard", false, config_parse_default_shard),
    [TOP_TABLES] = CONFIG_FIELD_ARRAY("tables", false, &sp_config_tables_array),
    [TOP_MAX_CLIENT_CONNECTIONS] = CONFIG_FIELD_UINT("max_client_connections", false,
                                                     struct sp_config, max_client_connections,
                                                     1, 1000000),
    [TOP_POOL_MAX_PER_BACKEND] = CONFIG_FIELD_UINT("pool_max_per_backend", false,
                                                   struct sp_config, pool_max_per_backend, 1,
                                                   10000),
    [TOP_POOL_IDLE_TIMEOUT_MS] = CONFIG_FIELD_UINT("pool_idle_timeout_ms", false,
                                                   struct sp_config, pool_idle_timeout_ms, 1,
                                                   86400000),
    [TOP_POOL_WAIT_TIMEOUT_MS] = CONFIG_FIELD_UINT("pool_wait_timeout_ms", false,
                                                   struct sp_config, pool_wait_timeout_ms, 1,
                                                   3600000),
    [TOP_CONNECT_TIMEOUT_MS] = CONFIG_FIELD_UINT("connect_timeout_ms", false, struct sp_config,
                                                 connect_timeout_ms, 1, 3600000),
    [TOP_MAX_PACKET_SIZE] = CONFIG_FIELD_UINT("max_packet_size", false, struct sp_config,
                                              max_packet_size, 1024, 1073741824),
    [TOP_MAX_MERGE_ROWS] = CONFIG_FIELD_UINT("max_merge_rows", false, struct sp_config,
                                             max_merge_rows, 1, 100000000),
    [TOP_SERVER_VERSION] = CONFIG_FIELD_STRING("server_version", false, struct sp_config,
                                               server_version, 1, CONFIG_VERSION_MAX),
    [TOP_LOG_LEVEL] = CONFIG_FIELD_ENUM("log_level", struct sp_config, log_level,
                                        config_log_level_names),
    [TOP_TRANSACTION_MODE] = CONFIG_FIELD_ENUM("transaction_mode", struct sp_config,
                                               transaction_mode, config_transaction_mode_names),
    [TOP_READ_POLICY] = CONFIG_FIELD_ENUM("read_policy", struct sp_config, read_policy,
                                          config_read_policy_names),
    [TOP_READ_FROM_OTHER_REGIONS] = CONFIG_FIELD_BOOL("read_from_other_regions", struct sp_config,
                                                      read_from_other_regions),
    [TOP_READ_YOUR_WRITES] = CONFIG_FIELD_BOOL("read_your_writes", struct sp_config,
                                               read_your_writes),
    [TOP_TRANSACTION_READS] = CONFIG_FIELD_ENUM("transaction_reads", struct sp_config,
                                                transaction_reads, config_transaction_reads_names),
    [TOP_HEALTH_INTERVAL_MS] = CONFIG_FIELD_UINT("health_interval_ms", false, struct sp_config,
                                                 health_interval_ms, 10, 3600000),
    [TOP_HEALTH_RISE_CHECKS] = CONFIG_FIELD_UINT("health_rise_checks", false, struct sp_config,
                                                 health_rise_checks, 1, 1000),
    [TOP_MAX_REPLICA_LAG_MS] = CONFIG_FIELD_UINT("max_replica_lag_ms", false, struct sp_config,
                                                 max_replica_lag_ms, 1, 86400000),
    [TOP_MONITOR_USER] = CONFIG_FIELD_STRING("monitor_user", false, struct sp_config,
                                             monitor_user, 1, CONFIG_IDENT_MAX),
    [TOP_MONITOR_PASSWORD] = CONFIG_FIELD_STRING("monitor_password", false, struct sp_config,
                                                 monitor_password, 0, CONFIG_IDENT_MAX),
};

_Static_assert(sizeof(config_top_fields) / sizeof(config_top_fields[0]) == TOP_NFIELDS,
               "config_top_fields does not match the TOP_ enum");
_Static_assert(TOP_NFIELDS <= CONFIG_FIELDS_MAX, "raise CONFIG_FIELDS_MAX");

static void
config_set_defaults(struct sp_config *cfg)
{
    cfg->workers = 0;
    cfg->max_client_connections = 10000;
    cfg->pool_max_per_backend = 64;
    cfg->pool_idle_timeout_ms = 60000;
    cfg->pool_wait_timeout_ms = 5000;
    cfg->connect_timeout_ms = 3000;
    cfg->max_packet_size = 64u * 1024 * 1024;
    cfg->max_merge_rows = 100000;
    cfg->log_level = SP_LOG_INFO;
    cfg->transaction_mode = SP_TRANSACTION_MULTI;
    cfg->read_policy = SP_READ_REPLICA;
    cfg->read_from_other_regions = false;
    cfg->read_your_writes = true;
    cfg->transaction_reads = SP_TXN_READS_PRIMARY;
    cfg->health_interval_ms = 1000;
    cfg->health_rise_checks = 3;
    cfg->max_replica_lag_ms = 5000;
}

static int
config_resolve_default_shard(struct config_loader *ld, int tok)
{
    struct sp_config *cfg = ld->cfg;
    size_t i;

    if (ld->default_shard_name == NULL) {
        if (cfg->nshards > 1) {
            return sp_json_fail(&ld->walk, 0,
                                "missing required key \"default_shard\" (required when there is "
                                "more than one shard)");
        }
        cfg->default_shard = 0;
        return SP_OK;
    }

    for (i = 0; i < cfg->nshards; i++) {
        if (strcmp(cfg->shards[i].name, ld->default_shard_name) == 0) {
            cfg->default_shard = i;
            return SP_OK;
        }
    }
    return sp_config_fail_at(ld, tok, "default_shard", "unknown shard \"%s\"",
                          ld->default_shard_name);
}

/*
 * The health checks log in as monitor_user, by default with the first
 * user's backend account, which needs the privilege to read the replicas'
 * replication status.
 */
static int
config_resolve_monitor_account(struct config_loader *ld, int password_tok)
{
    struct sp_config *cfg = ld->cfg;

    if (cfg->monitor_user == NULL) {
        if (cfg->monitor_password != NULL) {
            return sp_config_fail_at(ld, password_tok, "monitor_password",
                                     "given without \"monitor_user\"");
        }
        cfg->monitor_user = strdup(cfg->users[0].backend_user);
        cfg->monitor_password = strdup(cfg->users[0].backend_password);
    } else if (cfg->monitor_password == NULL) {
        cfg->monitor_password = strdup("");
    }
    if (cfg->monitor_user == NULL || cfg->monitor_password == NULL) {
        return sp_config_nomem(ld);
    }
    return SP_OK;
}

static int
config_load(struct config_loader *ld, const struct sp_json_doc *doc)
{
    struct sp_config *cfg = ld->cfg;
    int toks[TOP_NFIELDS];
    int rc;

    if (sp_json_type(doc, 0) != SP_JSON_OBJECT) {
        return sp_json_fail(&ld->walk, 0, "expected a JSON object at the top level");
    }

    rc = sp_config_parse_object(ld, 0, config_top_fields, TOP_NFIELDS, cfg, toks);
    if (rc != SP_OK) {
        return rc;
    }

    rc = config_resolve_default_shard(ld, toks[TOP_DEFAULT_SHARD]);
    if (rc != SP_OK) {
        return rc;
    }

    rc = sp_config_check_shared_endpoints(ld);
    if (rc != SP_OK) {
        return rc;
    }

    rc = sp_config_resolve_range_shards(ld);
    if (rc != SP_OK) {
        return rc;
    }

    if (cfg->server_version == NULL) {
        cfg->server_version = strdup(CONFIG_DEFAULT_SERVER_VERSION);
        if (cfg->server_version == NULL) {
            return sp_config_nomem(ld);
        }
    }
    return config_resolve_monitor_account(ld, toks[TOP_MONITOR_PASSWORD]);
}

int
sp_config_load_string(const char *json, size_t len, const char *source, struct sp_config **out,
                      struct sp_error *err)
{
    struct config_loader ld = {0};
    struct sp_json_doc *doc = NULL;
    struct sp_config *cfg;
    int rc;

    *out = NULL;
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, CONFIG_SQLSTATE, "out of memory");
        return SP_ENOMEM;
    }
    config_set_defaults(cfg);
    cfg->source = strdup(source != NULL ? source : "<string>");
    if (cfg->source == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, CONFIG_SQLSTATE, "out of memory");
        rc = SP_ENOMEM;
        goto fail;
    }

    rc = sp_json_parse(json, len, cfg->source, &doc, err);
    if (rc != SP_OK) {
        goto fail;
    }

    ld.cfg = cfg;
    sp_json_walk_init(&ld.walk, doc, err);
    rc = config_load(&ld, doc);
    if (rc != SP_OK) {
        goto fail;
    }

    sp_json_destroy(doc);
    free(ld.shard_tokens);
    free(ld.endpoints);
    free(ld.range_refs);
    free(ld.default_shard_name);
    *out = cfg;
    return SP_OK;

fail:
    sp_json_destroy(doc);
    free(ld.shard_tokens);
    free(ld.endpoints);
    free(ld.range_refs);
    free(ld.default_shard_name);
    sp_config_destroy(cfg);
    return rc;
}

int
sp_config_load_file(const char *path, struct sp_config **out, struct sp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    size_t cap = 0;
    FILE *f;
    int rc;

    *out = NULL;
    f = fopen(path, "rb");
    if (f == NULL) {
        char buf[128];

        sp_error_set(err, SP_ER_UNKNOWN_ERROR, CONFIG_SQLSTATE, "%s: cannot open: %s", path,
                     strerror_r(errno, buf, sizeof(buf)));
        return SP_EIO;
    }

    /* Read one byte past the limit, so that a larger file is detected. */
    for (;;) {
        size_t n;

        if (len == cap) {
            char *grown;

            cap = cap == 0 ? 4096 : cap * 2;
            grown = realloc(text, cap);
            if (grown == NULL) {
                sp_error_set(err, SP_ER_UNKNOWN_ERROR, CONFIG_SQLSTATE, "%s: out of memory",
                             path);
                rc = SP_ENOMEM;
                goto fail;
            }
            text = grown;
        }

        n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0 || len > SP_JSON_TEXT_MAX) {
            break;
        }
    }

    if (ferror(f)) {
        char buf[128];

        sp_error_set(err, SP_ER_UNKNOWN_ERROR, CONFIG_SQLSTATE, "%s: cannot read: %s", path,
                     strerror_r(errno, buf, sizeof(buf)));
        rc = SP_EIO;
        goto fail;
    }

    rc = sp_config_load_string(text, len, path, out, err);

fail:
    free(text);
    fclose(f);
    return rc;
}

static void
config_free_endpoint(struct sp_endpoint_cfg *ep)
{
    free(ep->host);
    free(ep->region);
}

void
sp_config_destroy(struct sp_config *cfg)
{
    size_t i;
    size_t j;

    if (cfg == NULL) {
        return;
    }

    for (i = 0; i < cfg->nusers; i++) {
        free(cfg->users[i].user);
        free(cfg->users[i].password);
        free(cfg->users[i].backend_user);
        free(cfg->users[i].backend_password);
    }
    free(cfg->users);

    for (i = 0; i < cfg->nshards; i++) {
        free(cfg->shards[i].name);
        config_free_endpoint(&cfg->shards[i].primary);
        for (j = 0; j < cfg->shards[i].nreplicas; j++) {
            config_free_endpoint(&cfg->shards[i].replicas[j]);
        }
        free(cfg->shards[i].replicas);
    }
    free(cfg->shards);

    for (i = 0; i < cfg->ntables; i++) {
        free(cfg->tables[i].name);
        free(cfg->tables[i].shard_key);
        for (j = 0; j < cfg->tables[i].nranges; j++) {
            free(cfg->tables[i].ranges[j].shard_name);
        }
        free(cfg->tables[i].ranges);
    }
    free(cfg->tables);

    free(cfg->source);
    free(cfg->listen_host);
    free(cfg->region);
    free(cfg->server_version);
    free(cfg->monitor_user);
    free(cfg->monitor_password);
    free(cfg);
}

const struct sp_user_cfg *
sp_config_find_user(const struct sp_config *cfg, const char *name, size_t len)
{
    size_t i;

    if (len == 0) {
        return NULL; /* user names are never empty */
    }
    for (i = 0; i < cfg->nusers; i++) {
        const char *user = cfg->users[i].user;

        if (strlen(user) == len && memcmp(user, name, len) == 0) {
            return &cfg->users[i];
        }
    }
    return NULL;
}
