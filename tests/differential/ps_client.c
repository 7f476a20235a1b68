/*
 * Prepared-statement client for the differential test.
 *
 * difftest.py starts one ps_client per server (the reference or the proxy)
 * and sends it requests on standard input: a statement text whose literals
 * difftest.py replaced with '?' markers, plus one typed value per marker.
 * For each request the client prepares the statement (COM_STMT_PREPARE),
 * binds the values with their MYSQL_BIND types, executes it
 * (COM_STMT_EXECUTE) the number of times that the request gives, reads every row in
 * the binary protocol and prints each execution's result on standard
 * output. Executions after the first send no parameter types, as
 * libmariadb sends them only after mysql_stmt_bind_param, so the server
 * must use the types it stored. Each value is printed as the text that a
 * text-protocol result carries for it, so that difftest.py can compare it
 * with the reference's text result of the original query.
 *
 * It does not choose which literals become parameters and does not compare
 * anything: difftest.py does both. It talks to the one server given on the
 * command line and to no other.
 *
 * Framing. Numbers are decimal ASCII. Every payload of LENGTH bytes is
 * followed by one '\n', so the stream stays readable in a terminal.
 *
 *   request:   query NPARAMS LENGTH EXECUTIONS\n SQL\n
 *              then NPARAMS times: param KIND LENGTH\n VALUE\n
 *              KIND is null, int, uint, decimal, double, string, date,
 *              time or datetime. VALUE is the decimal text of a number,
 *              the bytes of a string, YYYY-MM-DD for a date,
 *              [-]hh:mm:ss.ffffff for a time, YYYY-MM-DD hh:mm:ss.ffffff
 *              for a datetime, and empty for null.
 *
 *   response:  one per execution, up to the first error or client
 *              failure (a failed prepare gives one error response). Each
 *              is one of:
 *              error CODE SQLSTATE LENGTH\n MESSAGE\n
 *                  the server rejected the prepare, the execute or the
 *                  fetch; it may follow rows that were already printed
 *              client LENGTH\n MESSAGE\n
 *                  no usable connection, or a client-side failure; the
 *                  connection is opened again for the next request
 *              ok AFFECTED\n
 *                  a statement without a result set
 *              columns N\n
 *              N times: column TYPE DECIMALS CHARSETNR LENGTH FLAGS NAMELEN\n NAME\n
 *              per row: row\n then N times null\n or value LENGTH\n BYTES\n
 *              end NROWS\n
 *
 * Usage: ps_client HOST PORT USER PASSWORD DATABASE
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>

#define PS_MAX_PARAMS 65535
#define PS_MAX_EXECUTIONS 100
#define PS_MAX_PAYLOAD (64UL * 1024 * 1024)
/* Every corpus statement takes milliseconds, so a reply that has not come
 * within these bounds is not coming. Short bounds keep a proxy that hangs
 * from stretching the run. */
#define PS_CONNECT_TIMEOUT_S 10
#define PS_IO_TIMEOUT_S 10
/* Fetch buffer for string values before the first row shows their size. */
#define PS_MIN_STRING_BUFFER 64

struct ps_target {
    const char *host;
    unsigned int port;
    const char *user;
    const char *password;
    const char *database;
};

enum ps_kind {
    PS_KIND_NULL,
    PS_KIND_INT,
    PS_KIND_UINT,
    PS_KIND_DECIMAL,
    PS_KIND_DOUBLE,
    PS_KIND_STRING,
    PS_KIND_DATE,
    PS_KIND_TIME,
    PS_KIND_DATETIME,
};

struct ps_param {
    enum ps_kind kind;
    char *text;            /* LENGTH bytes plus a NUL, so numbers can go to strto* */
    unsigned long length;
    long long int_value;
    double double_value;
    MYSQL_TIME time_value;
};

struct ps_request {
    char *sql;
    unsigned long sql_length;
    unsigned long nexecutions;
    size_t nparams;
    struct ps_param *params;
};

/* One result column: the bound buffer and what the last fetch put there. */
struct ps_column {
    MYSQL_FIELD *field;
    long long int_value;
    double double_value;
    float float_value;
    MYSQL_TIME time_value;
    char *bytes;
    unsigned long capacity;
    unsigned long length;
    my_bool is_null;
    my_bool truncated;
};

/* ---- output ---------------------------------------------------------- */

static int
ps_write(const void *data, size_t length)
{
    if (length > 0 && fwrite(data, 1, length, stdout) != length) {
        return -1;
    }
    return 0;
}

/* Prints a header line, then PAYLOAD and a newline when PAYLOAD is not NULL. */
static int
ps_emit(const char *payload, size_t length, const char *format, ...)
{
    va_list ap;
    int rc;

    va_start(ap, format);
    rc = vfprintf(stdout, format, ap);
    va_end(ap);
    if (rc < 0) {
        return -1;
    }
    if (payload == NULL) {
        return 0;
    }
    if (ps_write(payload, length) != 0 || ps_write("\n", 1) != 0) {
        return -1;
    }
    return 0;
}

static int
ps_emit_client_failure(const char *format, ...)
{
    char message[1024];
    va_list ap;

    va_start(ap, format);
    vsnprintf(message, sizeof(message), format, ap);
    va_end(ap);
    return ps_emit(message, strlen(message), "client %zu\n", strlen(message));
}

/*
 * What printing one execution's response came to: its result (or OK), a
 * failure that ends the request (an error or a client failure), or a
 * failed write to standard output.
 */
enum ps_printed {
    PS_PRINTED_RESULT = 0,
    PS_PRINTED_FAILURE = 1,
    PS_OUTPUT_FAILED = -1,
};

/* Maps the status of printing a failure to what the response came to. */
static enum ps_printed
ps_printed_failure(int emit_status)
{
    return emit_status == 0 ? PS_PRINTED_FAILURE : PS_OUTPUT_FAILED;
}

static bool
ps_is_client_error(unsigned int code)
{
    return code >= CR_MIN_ERROR && code <= CR_MAX_ERROR;
}

/* Prints the statement's error as a server error, or as a client failure for a CR_* code. */
static int
ps_emit_stmt_error(MYSQL_STMT *stmt, const char *step)
{
    unsigned int code = mysql_stmt_errno(stmt);
    const char *message = mysql_stmt_error(stmt);

    if (ps_is_client_error(code)) {
        return ps_emit_client_failure("%s failed: error %u: %s", step, code, message);
    }
    return ps_emit(message, strlen(message), "error %u %s %zu\n", code, mysql_stmt_sqlstate(stmt),
                   strlen(message));
}

/* ---- requests -------------------------------------------------------- */

static void
ps_request_free(struct ps_request *req)
{
    for (size_t i = 0; i < req->nparams; i++) {
        free(req->params[i].text);
    }
    free(req->params);
    free(req->sql);
    memset(req, 0, sizeof(*req));
}

/* Reads LENGTH bytes and the newline after them into a new NUL-terminated buffer. */
static char *
ps_read_payload(unsigned long length)
{
    char *data;

    if (length > PS_MAX_PAYLOAD) {
        return NULL;
    }
    data = malloc(length + 1);
    if (data == NULL) {
        return NULL;
    }
    if (fread(data, 1, length, stdin) != length || fgetc(stdin) != '\n') {
        free(data);
        return NULL;
    }
    data[length] = '\0';
    return data;
}

static int
ps_parse_kind(const char *name, enum ps_kind *kind)
{
    static const struct {
        const char *name;
        enum ps_kind kind;
    } kinds[] = {
        {"null", PS_KIND_NULL},       {"int", PS_KIND_INT},       {"uint", PS_KIND_UINT},
        {"decimal", PS_KIND_DECIMAL}, {"double", PS_KIND_DOUBLE}, {"string", PS_KIND_STRING},
        {"date", PS_KIND_DATE},       {"time", PS_KIND_TIME},     {"datetime", PS_KIND_DATETIME},
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(name, kinds[i].name) == 0) {
            *kind = kinds[i].kind;
            return 0;
        }
    }
    return -1;
}

/* Parses a temporal parameter's text into its MYSQL_TIME. Returns -1 when it does not fit the kind. */
static int
ps_param_parse_time(struct ps_param *param)
{
    MYSQL_TIME *t = &param->time_value;
    const char *text = param->text;
    int consumed = -1;

    memset(t, 0, sizeof(*t));
    switch (param->kind) {
    case PS_KIND_DATE:
        t->time_type = MYSQL_TIMESTAMP_DATE;
        sscanf(text, "%4u-%2u-%2u%n", &t->year, &t->month, &t->day, &consumed);
        break;
    case PS_KIND_DATETIME:
        t->time_type = MYSQL_TIMESTAMP_DATETIME;
        sscanf(text, "%4u-%2u-%2u %2u:%2u:%2u.%6lu%n", &t->year, &t->month, &t->day, &t->hour,
               &t->minute, &t->second, &t->second_part, &consumed);
        break;
    default:
        t->time_type = MYSQL_TIMESTAMP_TIME;
        if (*text == '-') {
            t->neg = 1;
            text++;
        }
        sscanf(text, "%3u:%2u:%2u.%6lu%n", &t->hour, &t->minute, &t->second, &t->second_part,
               &consumed);
        break;
    }
    return consumed >= 0 && text[consumed] == '\0' ? 0 : -1;
}

/* Converts a number's or a temporal value's text. Returns -1 when it is not a value of its kind. */
static int
ps_param_convert(struct ps_param *param)
{
    char *end = NULL;

    errno = 0;
    switch (param->kind) {
    case PS_KIND_DATE:
    case PS_KIND_TIME:
    case PS_KIND_DATETIME:
        return ps_param_parse_time(param);
    case PS_KIND_INT:
        param->int_value = strtoll(param->text, &end, 10);
        break;
    case PS_KIND_UINT:
        if (param->text[0] == '-') {
            return -1;
        }
        param->int_value = (long long)strtoull(param->text, &end, 10);
        break;
    case PS_KIND_DOUBLE:
        param->double_value = strtod(param->text, &end);
        break;
    default:
        return 0;
    }
    if (errno != 0 || end == param->text || *end != '\0') {
        return -1;
    }
    return 0;
}

/*
 * Reads one request. Returns 1 on success, 0 at the end of the input, and
 * -1 for a malformed request (a harness bug, so the client stops).
 */
static int
ps_read_request(struct ps_request *req)
{
    char line[128];
    char kind_name[16];
    unsigned long nparams, length, nexecutions;

    memset(req, 0, sizeof(*req));
    if (fgets(line, sizeof(line), stdin) == NULL) {
        return 0;
    }
    if (sscanf(line, "query %lu %lu %lu", &nparams, &length, &nexecutions) != 3 ||
        nparams > PS_MAX_PARAMS || nexecutions == 0 || nexecutions > PS_MAX_EXECUTIONS) {
        fprintf(stderr, "ps_client: invalid request header: %s", line);
        return -1;
    }
    req->sql = ps_read_payload(length);
    if (req->sql == NULL) {
        fprintf(stderr, "ps_client: the statement text of %lu bytes is cut or too long\n", length);
        return -1;
    }
    req->sql_length = length;
    req->nexecutions = nexecutions;
    req->params = calloc(nparams > 0 ? nparams : 1, sizeof(*req->params));
    if (req->params == NULL) {
        fprintf(stderr, "ps_client: out of memory\n");
        ps_request_free(req);
        return -1;
    }

    for (unsigned long i = 0; i < nparams; i++) {
        struct ps_param *param = &req->params[i];

        if (fgets(line, sizeof(line), stdin) == NULL ||
            sscanf(line, "param %15s %lu", kind_name, &length) != 2 ||
            ps_parse_kind(kind_name, &param->kind) != 0) {
            fprintf(stderr, "ps_client: invalid parameter %lu header: %s", i + 1, line);
            goto fail;
        }
        param->text = ps_read_payload(length);
        if (param->text == NULL) {
            fprintf(stderr, "ps_client: parameter %lu of %lu bytes is cut or too long\n", i + 1,
                    length);
            goto fail;
        }
        req->nparams = i + 1;
        param->length = length;
        if (ps_param_convert(param) != 0) {
            fprintf(stderr, "ps_client: parameter %lu is not a valid %s: %s\n", i + 1, kind_name,
                    param->text);
            goto fail;
        }
    }
    return 1;

fail:
    ps_request_free(req);
    return -1;
}

/* ---- connection ------------------------------------------------------ */

static MYSQL *
ps_connect(const struct ps_target *target)
{
    unsigned int connect_timeout = PS_CONNECT_TIMEOUT_S;
    unsigned int io_timeout = PS_IO_TIMEOUT_S;
    MYSQL *conn;

    conn = mysql_init(NULL);
    if (conn == NULL) {
        ps_emit_client_failure("mysql_init failed: out of memory");
        return NULL;
    }
    mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (mysql_real_connect(conn, target->host, target->user, target->password, target->database,
                           target->port, NULL, 0) == NULL) {
        ps_emit_client_failure("cannot connect to %s:%u: error %u: %s", target->host, target->port,
                               mysql_errno(conn), mysql_error(conn));
        mysql_close(conn);
        return NULL;
    }
    return conn;
}

/* ---- binding --------------------------------------------------------- */

static void
ps_bind_params(const struct ps_request *req, MYSQL_BIND *binds)
{
    for (size_t i = 0; i < req->nparams; i++) {
        struct ps_param *param = &req->params[i];
        MYSQL_BIND *bind = &binds[i];

        switch (param->kind) {
        case PS_KIND_NULL:
            bind->buffer_type = MYSQL_TYPE_NULL;
            break;
        case PS_KIND_INT:
        case PS_KIND_UINT:
            bind->buffer_type = MYSQL_TYPE_LONGLONG;
            bind->buffer = &param->int_value;
            bind->is_unsigned = param->kind == PS_KIND_UINT;
            break;
        case PS_KIND_DOUBLE:
            bind->buffer_type = MYSQL_TYPE_DOUBLE;
            bind->buffer = &param->double_value;
            break;
        case PS_KIND_DATE:
        case PS_KIND_TIME:
        case PS_KIND_DATETIME:
            bind->buffer_type = param->kind == PS_KIND_DATE   ? MYSQL_TYPE_DATE
                                : param->kind == PS_KIND_TIME ? MYSQL_TYPE_TIME
                                                              : MYSQL_TYPE_DATETIME;
            bind->buffer = &param->time_value;
            bind->buffer_length = sizeof(param->time_value);
            break;
        case PS_KIND_DECIMAL:
        case PS_KIND_STRING:
            bind->buffer_type =
                param->kind == PS_KIND_DECIMAL ? MYSQL_TYPE_NEWDECIMAL : MYSQL_TYPE_STRING;
            bind->buffer = param->text;
            bind->buffer_length = param->length;
            bind->length = &param->length;
            break;
        }
    }
}

static bool
ps_is_integer_type(enum enum_field_types type)
{
    return type == MYSQL_TYPE_TINY || type == MYSQL_TYPE_SHORT || type == MYSQL_TYPE_LONG ||
           type == MYSQL_TYPE_INT24 || type == MYSQL_TYPE_LONGLONG || type == MYSQL_TYPE_YEAR;
}

static bool
ps_is_temporal_type(enum enum_field_types type)
{
    return type == MYSQL_TYPE_DATE || type == MYSQL_TYPE_NEWDATE || type == MYSQL_TYPE_DATETIME ||
           type == MYSQL_TYPE_TIMESTAMP || type == MYSQL_TYPE_TIME;
}

/*
 * Binds every column to a buffer of its own kind. Integers bind as LONGLONG
 * with the column's signedness, FLOAT and DOUBLE as themselves, and
 * temporal types as MYSQL_TIME. Everything else (DECIMAL, strings, BLOBs,
 * BIT, ENUM, SET, JSON, GEOMETRY, NULL) binds as the bytes that the binary
 * protocol carries.
 */
static int
ps_bind_columns(struct ps_column *cols, MYSQL_BIND *binds, MYSQL_FIELD *fields, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        struct ps_column *col = &cols[i];
        MYSQL_BIND *bind = &binds[i];
        enum enum_field_types type = fields[i].type;

        col->field = &fields[i];
        bind->is_null = &col->is_null;
        bind->length = &col->length;
        bind->error = &col->truncated;
        if (ps_is_integer_type(type)) {
            bind->buffer_type = MYSQL_TYPE_LONGLONG;
            bind->buffer = &col->int_value;
            bind->is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
        } else if (type == MYSQL_TYPE_FLOAT) {
            bind->buffer_type = MYSQL_TYPE_FLOAT;
            bind->buffer = &col->float_value;
        } else if (type == MYSQL_TYPE_DOUBLE) {
            bind->buffer_type = MYSQL_TYPE_DOUBLE;
            bind->buffer = &col->double_value;
        } else if (ps_is_temporal_type(type)) {
            bind->buffer_type = type == MYSQL_TYPE_NEWDATE ? MYSQL_TYPE_DATE : type;
            bind->buffer = &col->time_value;
            bind->buffer_length = sizeof(col->time_value);
        } else {
            /* max_length is known because STMT_ATTR_UPDATE_MAX_LENGTH is set before the store. */
            col->capacity = fields[i].max_length > PS_MIN_STRING_BUFFER ? fields[i].max_length
                                                                        : PS_MIN_STRING_BUFFER;
            col->bytes = malloc(col->capacity);
            if (col->bytes == NULL) {
                return -1;
            }
            bind->buffer_type = MYSQL_TYPE_STRING;
            bind->buffer = col->bytes;
            bind->buffer_length = col->capacity;
        }
    }
    return 0;
}

/* Fetches again, into a buffer of the full size, each column that the last fetch cut short. */
static int
ps_refetch_truncated(MYSQL_STMT *stmt, struct ps_column *cols, MYSQL_BIND *binds, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        struct ps_column *col = &cols[i];
        char *bigger;

        if (!col->truncated || col->bytes == NULL) {
            continue;
        }
        bigger = realloc(col->bytes, col->length);
        if (bigger == NULL) {
            return -1;
        }
        col->bytes = bigger;
        col->capacity = col->length;
        binds[i].buffer = col->bytes;
        binds[i].buffer_length = col->capacity;
        if (mysql_stmt_fetch_column(stmt, &binds[i], (unsigned int)i, 0) != 0) {
            return -1;
        }
        col->truncated = 0;
    }
    return 0;
}

/* ---- values as text ---------------------------------------------------- */

/* The shortest %g text that strtod reads back as VALUE. */
static void
ps_format_double(char *out, size_t size, double value)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(out, size, "%.*g", precision, value);
        if (strtod(out, NULL) == value) {
            return;
        }
    }
}

/*
 * Appends the fractional seconds that a text result shows for a temporal
 * column: as many digits as the column's decimals. A column with decimals
 * above 6 (not fixed) shows all 6 digits, but only when they are not zero.
 */
static size_t
ps_format_fraction(char *out, size_t size, const MYSQL_FIELD *field, const MYSQL_TIME *t)
{
    unsigned int digits = field->decimals;
    unsigned long part = t->second_part;

    if (digits > 6) {
        digits = part != 0 ? 6 : 0;
    }
    if (digits == 0) {
        return 0;
    }
    for (unsigned int i = digits; i < 6; i++) {
        part /= 10;
    }
    return (size_t)snprintf(out, size, ".%0*lu", (int)digits, part);
}

static size_t
ps_format_temporal(char *out, size_t size, const MYSQL_FIELD *field, const MYSQL_TIME *t)
{
    size_t n;

    switch (field->type) {
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
        return (size_t)snprintf(out, size, "%04u-%02u-%02u", t->year, t->month, t->day);
    case MYSQL_TYPE_TIME:
        /* libmariadb has already added the days to the hours of a TIME value. */
        n = (size_t)snprintf(out, size, "%s%02u:%02u:%02u", t->neg ? "-" : "", t->hour, t->minute,
                             t->second);
        break;
    default:
        n = (size_t)snprintf(out, size, "%04u-%02u-%02u %02u:%02u:%02u", t->year, t->month, t->day,
                             t->hour, t->minute, t->second);
        break;
    }
    return n + ps_format_fraction(out + n, size - n, field, t);
}

/*
 * Prints one fetched value as the text of a text-protocol result. Integers
 * are decimal, padded with zeros to the column length for ZEROFILL (which
 * also gives YEAR its four digits). FLOAT and DOUBLE get the shortest text
 * that reads back as the same double, and difftest.py compares them by
 * value because the server prints them its own way. Temporal values are
 * YYYY-MM-DD, YYYY-MM-DD hh:mm:ss and [-]hh:mm:ss with the column's
 * fractional digits. Everything else is printed as its bytes.
 */
static int
ps_emit_value(const struct ps_column *col)
{
    const MYSQL_FIELD *field = col->field;
    char text[128];
    char padded[160];
    size_t n;

    if (col->is_null) {
        return ps_emit(NULL, 0, "null\n");
    }
    if (ps_is_integer_type(field->type)) {
        if (field->flags & UNSIGNED_FLAG) {
            n = (size_t)snprintf(text, sizeof(text), "%llu", (unsigned long long)col->int_value);
        } else {
            n = (size_t)snprintf(text, sizeof(text), "%lld", col->int_value);
        }
        if ((field->flags & ZEROFILL_FLAG) && n < field->length && field->length < sizeof(padded)) {
            size_t zeros = field->length - n;

            memset(padded, '0', zeros);
            memcpy(padded + zeros, text, n + 1);
            return ps_emit(padded, field->length, "value %lu\n", field->length);
        }
        return ps_emit(text, n, "value %zu\n", n);
    }
    if (field->type == MYSQL_TYPE_FLOAT || field->type == MYSQL_TYPE_DOUBLE) {
        /* A FLOAT is printed as the double it converts to exactly, so no digit is lost here. */
        ps_format_double(text, sizeof(text),
                         field->type == MYSQL_TYPE_FLOAT ? (double)col->float_value
                                                         : col->double_value);
        return ps_emit(text, strlen(text), "value %zu\n", strlen(text));
    }
    if (ps_is_temporal_type(field->type)) {
        n = ps_format_temporal(text, sizeof(text), field, &col->time_value);
        return ps_emit(text, n, "value %zu\n", n);
    }
    return ps_emit(col->bytes, col->length, "value %lu\n", col->length);
}

/* ---- one statement ----------------------------------------------------- */

static int
ps_emit_columns(MYSQL_FIELD *fields, size_t ncols)
{
    if (ps_emit(NULL, 0, "columns %zu\n", ncols) != 0) {
        return -1;
    }
    for (size_t i = 0; i < ncols; i++) {
        const MYSQL_FIELD *f = &fields[i];

        if (ps_emit(f->name, f->name_length, "column %d %u %u %lu %u %u\n", (int)f->type,
                    f->decimals, f->charsetnr, f->length, f->flags, f->name_length) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Fetches and prints every row of an executed statement that returns a result set. */
static enum ps_printed
ps_emit_result(MYSQL_STMT *stmt)
{
    my_bool update_max_length = 1;
    struct ps_column *cols = NULL;
    MYSQL_BIND *binds = NULL;
    MYSQL_RES *meta = NULL;
    MYSQL_FIELD *fields;
    unsigned long long nrows = 0;
    size_t ncols;
    enum ps_printed rc = PS_OUTPUT_FAILED;

    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length);
    if (mysql_stmt_store_result(stmt) != 0) {
        return ps_printed_failure(ps_emit_stmt_error(stmt, "mysql_stmt_store_result"));
    }
    meta = mysql_stmt_result_metadata(stmt);
    if (meta == NULL) {
        return ps_printed_failure(ps_emit_stmt_error(stmt, "mysql_stmt_result_metadata"));
    }
    fields = mysql_fetch_fields(meta);
    ncols = mysql_num_fields(meta);
    cols = calloc(ncols, sizeof(*cols));
    binds = calloc(ncols, sizeof(*binds));
    if (cols == NULL || binds == NULL || ps_bind_columns(cols, binds, fields, ncols) != 0) {
        rc = ps_printed_failure(ps_emit_client_failure("out of memory for %zu result columns", ncols));
        goto fail;
    }
    if (mysql_stmt_bind_result(stmt, binds) != 0) {
        rc = ps_printed_failure(ps_emit_stmt_error(stmt, "mysql_stmt_bind_result"));
        goto fail;
    }
    if (ps_emit_columns(fields, ncols) != 0) {
        goto fail;
    }

    for (;;) {
        int status;

        for (size_t i = 0; i < ncols; i++) {
            memset(&cols[i].time_value, 0, sizeof(cols[i].time_value));
        }
        status = mysql_stmt_fetch(stmt);
        if (status == MYSQL_NO_DATA) {
            break;
        }
        if (status == 1) {
            rc = ps_printed_failure(ps_emit_stmt_error(stmt, "mysql_stmt_fetch"));
            goto fail;
        }
        if (status == MYSQL_DATA_TRUNCATED && ps_refetch_truncated(stmt, cols, binds, ncols) != 0) {
            rc = ps_printed_failure(
                ps_emit_client_failure("fetching a long value of row %llu failed", nrows + 1));
            goto fail;
        }
        if (ps_emit(NULL, 0, "row\n") != 0) {
            goto fail;
        }
        for (size_t i = 0; i < ncols; i++) {
            if (ps_emit_value(&cols[i]) != 0) {
                goto fail;
            }
        }
        nrows++;
    }
    rc = ps_emit(NULL, 0, "end %llu\n", nrows) == 0 ? PS_PRINTED_RESULT : PS_OUTPUT_FAILED;

fail:
    for (size_t i = 0; cols != NULL && i < ncols; i++) {
        free(cols[i].bytes);
    }
    free(cols);
    free(binds);
    mysql_free_result(meta);
    return rc;
}

/*
 * Executes a prepared and bound statement once and prints the response.
 *
 * NOTE: only the first result set is read. A CALL or another statement
 * that returns more than one result set would leave the rest unread, and
 * the corpus has none.
 */
static enum ps_printed
ps_execute_once(MYSQL_STMT *stmt)
{
    enum ps_printed rc;

    if (mysql_stmt_execute(stmt) != 0) {
        return ps_printed_failure(ps_emit_stmt_error(stmt, "mysql_stmt_execute"));
    }
    if (mysql_stmt_field_count(stmt) == 0) {
        return ps_emit(NULL, 0, "ok %llu\n", (unsigned long long)mysql_stmt_affected_rows(stmt)) == 0
                   ? PS_PRINTED_RESULT
                   : PS_OUTPUT_FAILED;
    }
    rc = ps_emit_result(stmt);
    /* The next execution needs the connection free of this result's rows. */
    if (rc == PS_PRINTED_RESULT && mysql_stmt_free_result(stmt) != 0) {
        return ps_printed_failure(ps_emit_stmt_error(stmt, "mysql_stmt_free_result"));
    }
    return rc;
}

/*
 * Prepares, executes and prints one request. Returns 0 when a response was
 * printed and -1 when standard output failed. Sets *LOST when the
 * connection cannot run another statement.
 */
static int
ps_run_request(MYSQL *conn, const struct ps_request *req, bool *lost)
{
    MYSQL_BIND *binds = NULL;
    MYSQL_STMT *stmt;
    int rc;

    *lost = false;
    stmt = mysql_stmt_init(conn);
    if (stmt == NULL) {
        *lost = true;
        return ps_emit_client_failure("mysql_stmt_init failed: %s", mysql_error(conn));
    }
    if (mysql_stmt_prepare(stmt, req->sql, req->sql_length) != 0) {
        rc = ps_emit_stmt_error(stmt, "mysql_stmt_prepare");
        goto done;
    }
    if (mysql_stmt_param_count(stmt) != req->nparams) {
        rc = ps_emit_client_failure("the server counts %lu parameter markers, the request binds %zu",
                                    mysql_stmt_param_count(stmt), req->nparams);
        goto done;
    }
    if (req->nparams > 0) {
        binds = calloc(req->nparams, sizeof(*binds));
        if (binds == NULL) {
            rc = ps_emit_client_failure("out of memory for %zu parameters", req->nparams);
            goto done;
        }
        ps_bind_params(req, binds);
        if (mysql_stmt_bind_param(stmt, binds) != 0) {
            rc = ps_emit_stmt_error(stmt, "mysql_stmt_bind_param");
            goto done;
        }
    }
    rc = 0;
    for (unsigned long i = 0; i < req->nexecutions; i++) {
        enum ps_printed printed = ps_execute_once(stmt);

        if (printed == PS_OUTPUT_FAILED) {
            rc = -1;
        }
        if (printed != PS_PRINTED_RESULT) {
            break;
        }
    }

done:
    if (ps_is_client_error(mysql_stmt_errno(stmt))) {
        *lost = true;
    }
    free(binds);
    /* A failed close only matters to the next statement, which reports its own failure. */
    if (mysql_stmt_close(stmt) != 0) {
        *lost = true;
    }
    return rc;
}

int
main(int argc, char **argv)
{
    struct ps_target target;
    struct ps_request req;
    MYSQL *conn = NULL;
    char *end = NULL;
    unsigned long port;
    int status = 0;
    int got;

    if (argc != 6) {
        fprintf(stderr, "usage: ps_client HOST PORT USER PASSWORD DATABASE\n"
                        "Reads prepared-statement requests on standard input (see the file header "
                        "of ps_client.c).\n");
        return 2;
    }
    port = strtoul(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || port == 0 || port > 65535) {
        fprintf(stderr, "ps_client: invalid port '%s' (expected 1..65535)\n", argv[2]);
        return 2;
    }
    target = (struct ps_target){argv[1], (unsigned int)port, argv[3], argv[4], argv[5]};
    if (mysql_library_init(0, NULL, NULL) != 0) {
        fprintf(stderr, "ps_client: mysql_library_init failed\n");
        return 1;
    }

    while ((got = ps_read_request(&req)) > 0) {
        bool lost = false;
        int rc;

        if (conn == NULL) {
            conn = ps_connect(&target);
        }
        rc = conn == NULL ? 0 : ps_run_request(conn, &req, &lost);
        ps_request_free(&req);
        if (rc != 0 || fflush(stdout) != 0) {
            fprintf(stderr, "ps_client: writing the response failed: %s\n", strerror(errno));
            status = 1;
            break;
        }
        if (lost && conn != NULL) {
            mysql_close(conn);
            conn = NULL;
        }
    }
    if (got < 0) {
        status = 1;
    }
    if (conn != NULL) {
        mysql_close(conn);
    }
    mysql_library_end();
    return status;
}
