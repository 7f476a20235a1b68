/*
 * Arithmetic over merged aggregates (struct sp_merge_expr): SUM(a) /
 * COUNT(*), ROUND(AVG(x), 1), COUNT(*) - COUNT(y). The shards return each
 * aggregate as a hidden column; once the groups are merged, this file
 * computes the expression the way MariaDB does. Integers stay 64-bit and
 * fail on overflow, DECIMAL stays exact, anything with a DOUBLE is a
 * DOUBLE, and "/" on exact numbers keeps the digits the server keeps. The
 * text printed is the one the server would send for the column type and
 * decimals the shards reported for the whole expression.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/decimal.h"
#include "router/merge_internal.h"

/* Deeper expressions are rejected when the merger is created, which bounds the recursion. */
#define EXPR_MAX_DEPTH 64

/*
 * The server's div_precision_increment default: digits "/" adds to the
 * dividend's scale. NOTE: a session that changes div_precision_increment
 * still gets the quotient cut where the default cuts it.
 */
#define EXPR_DIV_INCREMENT 4

/* The server computes DECIMAL in words of nine digits. */
#define EXPR_WORD_DIGITS 9

#define EXPR_UNSIGNED_FLAG 0x20

enum expr_kind {
    EXPR_NULL,
    EXPR_INT,     /* exact integer in d (scale 0); is_unsigned as BIGINT UNSIGNED */
    EXPR_DECIMAL, /* exact, in d */
    EXPR_DOUBLE   /* in f */
};

struct expr_value {
    enum expr_kind kind;
    bool is_unsigned;
    struct sp_decimal d;
    double f;
};

struct expr_eval {
    struct sp_merger *m;
    const struct sp_merge_operand *operands;
    struct sp_error *err;
};

static bool
expr_is_integer_type(uint8_t type)
{
    switch (type) {
    case SP_MYSQL_TYPE_TINY:
    case SP_MYSQL_TYPE_SHORT:
    case SP_MYSQL_TYPE_LONG:
    case SP_MYSQL_TYPE_LONGLONG:
    case SP_MYSQL_TYPE_INT24:
    case SP_MYSQL_TYPE_YEAR:
        return true;
    default:
        return false;
    }
}

static bool
expr_is_numeric_type(uint8_t type)
{
    return expr_is_integer_type(type) || type == SP_MYSQL_TYPE_DECIMAL ||
           type == SP_MYSQL_TYPE_NEWDECIMAL || type == SP_MYSQL_TYPE_FLOAT ||
           type == SP_MYSQL_TYPE_DOUBLE;
}

static int
expr_not_supported(struct sp_error *err, const char *what)
{
    sp_error_set(err, SP_ER_NOT_SUPPORTED_YET, "42000",
                 "an expression over aggregates whose %s is not a number, on a query that spans "
                 "several shards, is not supported yet",
                 what);
    return SP_EINVAL;
}

static int
expr_check_ref(struct sp_merger *m, int32_t ref, struct sp_error *err)
{
    size_t col;

    if (ref == SP_MERGE_NO_COLUMN || (ref >= 0 && (size_t)ref >= m->nvisible) ||
        (ref < 0 && (size_t)-(int64_t)ref > m->ndefs - m->nvisible)) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "merge spec: an expression names a column outside the %zu shard columns",
                     m->ndefs);
        return SP_EINVAL;
    }
    col = sp_merge_resolve(m, ref);
    if (!expr_is_numeric_type(m->defs[col].type)) {
        return expr_not_supported(err, "operand");
    }
    return SP_OK;
}

static int
expr_check_node(struct sp_merger *m, const struct sp_merge_expr *e, unsigned depth,
                struct sp_error *err)
{
    int rc;

    if (e == NULL || depth > EXPR_MAX_DEPTH || e->op > SP_EXPR_IFNULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "merge spec: an expression is missing a part, is deeper than %d levels or "
                     "has an unknown operator",
                     EXPR_MAX_DEPTH);
        return SP_EINVAL;
    }
    switch (e->op) {
    case SP_EXPR_COLUMN:
        return expr_check_ref(m, e->col, err);
    case SP_EXPR_AVG:
        rc = expr_check_ref(m, e->col, err);
        return rc == SP_OK ? expr_check_ref(m, e->count_col, err) : rc;
    case SP_EXPR_NULL:
        return SP_OK;
    case SP_EXPR_NUMBER:
        if (e->text.ptr == NULL || e->text.len == 0) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "merge spec: an empty number");
            return SP_EINVAL;
        }
        return SP_OK;
    case SP_EXPR_ADD:
    case SP_EXPR_SUB:
    case SP_EXPR_MUL:
    case SP_EXPR_DIV:
    case SP_EXPR_INT_DIV:
    case SP_EXPR_MOD:
    case SP_EXPR_IFNULL:
        rc = expr_check_node(m, e->arg[0], depth + 1, err);
        return rc == SP_OK ? expr_check_node(m, e->arg[1], depth + 1, err) : rc;
    default:
        return expr_check_node(m, e->arg[0], depth + 1, err);
    }
}

int
sp_merge_expr_check(struct sp_merger *m, const struct sp_merge_expr *e, size_t out_col,
                    struct sp_error *err)
{
    /* NULL type: an expression with a NULL literal, such as SUM(a) / NULL. */
    if (!expr_is_numeric_type(m->defs[out_col].type) && m->defs[out_col].type != SP_MYSQL_TYPE_NULL) {
        return expr_not_supported(err, "result");
    }
    return expr_check_node(m, e, 0, err);
}

/* ---- values ---- */

static int
expr_out_of_range(struct expr_eval *ev, const char *type)
{
    int rc = sp_merge_fail(ev->m, SP_ERANGE, NULL, "%s value is out of range in a merged expression",
                           type);

    ev->m->error.code = SP_ER_DATA_OUT_OF_RANGE;
    memcpy(ev->m->error.sqlstate, "22003", sizeof(ev->m->error.sqlstate));
    if (ev->err != NULL) {
        *ev->err = ev->m->error;
    }
    return rc;
}

static int
expr_too_long(struct expr_eval *ev)
{
    return sp_merge_fail(ev->m, SP_ERANGE, ev->err,
                         "a merged expression needs more than %d decimal digits",
                         SP_DECIMAL_MAX_DIGITS);
}

/* An INT result must fit BIGINT, or BIGINT UNSIGNED when an operand was unsigned. */
static int
expr_int_result(struct expr_eval *ev, struct expr_value *v)
{
    int64_t i;
    uint64_t u;

    v->kind = EXPR_INT;
    if (sp_decimal_to_i64(&v->d, v->is_unsigned, &i, &u) != SP_OK) {
        return expr_out_of_range(ev, v->is_unsigned ? "BIGINT UNSIGNED" : "BIGINT");
    }
    return SP_OK;
}

static int
expr_double_result(struct expr_eval *ev, struct expr_value *v, double f)
{
    if (!isfinite(f)) {
        return expr_out_of_range(ev, "DOUBLE");
    }
    v->kind = EXPR_DOUBLE;
    v->f = f;
    return SP_OK;
}

static double
expr_as_double(const struct expr_value *v)
{
    return v->kind == EXPR_DOUBLE ? v->f : sp_decimal_to_double(&v->d);
}

/* Reads a merged column as the server types it: integer, DECIMAL or DOUBLE. */
static int
expr_column(struct expr_eval *ev, int32_t ref, struct expr_value *v)
{
    size_t col = sp_merge_resolve(ev->m, ref);
    const struct sp_merge_operand *op = &ev->operands[col];
    const struct sp_column_def *def = &ev->m->defs[col];

    memset(v, 0, sizeof(*v));
    if (op->null) {
        v->kind = EXPR_NULL;
        return SP_OK;
    }
    if (def->type == SP_MYSQL_TYPE_FLOAT || def->type == SP_MYSQL_TYPE_DOUBLE) {
        v->kind = EXPR_DOUBLE;
        v->f = op->has_double ? op->dbl : sp_merge_string_to_double(op->text);
        return SP_OK;
    }
    if (sp_decimal_parse(&v->d, op->text.ptr, op->text.len) != SP_OK) {
        return sp_merge_fail(ev->m, SP_EPROTO, ev->err,
                             "a shard sent '%.*s' for a numeric column of a merged expression",
                             (int)(op->text.len > 40 ? 40 : op->text.len), op->text.ptr);
    }
    v->kind = expr_is_integer_type(def->type) ? EXPR_INT : EXPR_DECIMAL;
    v->is_unsigned = v->kind == EXPR_INT && (def->flags & EXPR_UNSIGNED_FLAG) != 0;
    return SP_OK;
}

static int
expr_number(struct expr_eval *ev, struct sp_str text, struct expr_value *v)
{
    int64_t i;
    uint64_t u;

    memset(v, 0, sizeof(*v));
    if (memchr(text.ptr, 'e', text.len) != NULL || memchr(text.ptr, 'E', text.len) != NULL) {
        v->kind = EXPR_DOUBLE;
        v->f = sp_merge_string_to_double(text);
        return SP_OK;
    }
    if (sp_decimal_parse(&v->d, text.ptr, text.len) != SP_OK) {
        return expr_too_long(ev);
    }
    if (v->d.scale > 0) {
        v->kind = EXPR_DECIMAL;
    } else if (sp_decimal_to_i64(&v->d, false, &i, &u) == SP_OK) {
        v->kind = EXPR_INT;
    } else if (sp_decimal_to_i64(&v->d, true, &i, &u) == SP_OK) {
        v->kind = EXPR_INT;
        v->is_unsigned = true;
    } else {
        v->kind = EXPR_DECIMAL; /* the server reads a longer literal as DECIMAL */
    }
    return SP_OK;
}

/*
 * The digits after the point that the server keeps in an exact quotient:
 * it works in nine-digit words and adds div_precision_increment digits,
 * counting the unused digits of the operands' last words toward them. The
 * quotient is cut there, and only rounded when it is printed.
 */
static unsigned
expr_quotient_scale(unsigned scale_a, unsigned scale_b)
{
    unsigned wa = (scale_a + EXPR_WORD_DIGITS - 1) / EXPR_WORD_DIGITS * EXPR_WORD_DIGITS;
    unsigned wb = (scale_b + EXPR_WORD_DIGITS - 1) / EXPR_WORD_DIGITS * EXPR_WORD_DIGITS;
    int incr = EXPR_DIV_INCREMENT - (int)(wa - scale_a) - (int)(wb - scale_b);
    unsigned total = wa + wb + (incr > 0 ? (unsigned)incr : 0);

    return (total + EXPR_WORD_DIGITS - 1) / EXPR_WORD_DIGITS * EXPR_WORD_DIGITS;
}

int
sp_merge_decimal_divide(struct sp_decimal *out, const struct sp_decimal *a,
                        const struct sp_decimal *b)
{
    unsigned scale = expr_quotient_scale(a->scale, b->scale);

    return sp_decimal_div_trunc(out, a, b, scale < SP_DECIMAL_MAX_SCALE ? scale
                                                                        : SP_DECIMAL_MAX_SCALE);
}

static int
expr_divide(struct expr_eval *ev, const struct expr_value *a, const struct expr_value *b,
            struct expr_value *out)
{
    int rc;

    if (a->kind == EXPR_DOUBLE || b->kind == EXPR_DOUBLE) {
        double fb = expr_as_double(b);

        if (fb == 0.0) {
            out->kind = EXPR_NULL;
            return SP_OK;
        }
        return expr_double_result(ev, out, expr_as_double(a) / fb);
    }
    if (sp_decimal_is_zero(&b->d)) {
        out->kind = EXPR_NULL; /* the server returns NULL with a warning */
        return SP_OK;
    }
    rc = sp_merge_decimal_divide(&out->d, &a->d, &b->d);
    if (rc != SP_OK) {
        return expr_too_long(ev);
    }
    out->kind = EXPR_DECIMAL;
    return SP_OK;
}

/* +, -, * and MOD: DOUBLE if either side is one, else DECIMAL if either is one, else BIGINT. */
static int
expr_arith(struct expr_eval *ev, enum sp_merge_expr_op op, const struct expr_value *a,
           const struct expr_value *b, struct expr_value *out)
{
    int rc;

    if (a->kind == EXPR_DOUBLE || b->kind == EXPR_DOUBLE) {
        double fa = expr_as_double(a), fb = expr_as_double(b);

        switch (op) {
        case SP_EXPR_ADD:
            return expr_double_result(ev, out, fa + fb);
        case SP_EXPR_SUB:
            return expr_double_result(ev, out, fa - fb);
        case SP_EXPR_MUL:
            return expr_double_result(ev, out, fa * fb);
        default:
            if (fb == 0.0) {
                out->kind = EXPR_NULL;
                return SP_OK;
            }
            return expr_double_result(ev, out, fmod(fa, fb));
        }
    }

    switch (op) {
    case SP_EXPR_ADD:
        rc = sp_decimal_add(&out->d, &a->d, &b->d);
        break;
    case SP_EXPR_SUB:
        rc = sp_decimal_sub(&out->d, &a->d, &b->d);
        break;
    case SP_EXPR_MUL:
        rc = sp_decimal_mul(&out->d, &a->d, &b->d);
        break;
    default:
        if (sp_decimal_is_zero(&b->d)) {
            out->kind = EXPR_NULL;
            return SP_OK;
        }
        rc = sp_decimal_mod(&out->d, &a->d, &b->d);
        break;
    }
    if (rc != SP_OK) {
        return expr_too_long(ev);
    }
    if (a->kind == EXPR_INT && b->kind == EXPR_INT) {
        out->is_unsigned = a->is_unsigned || b->is_unsigned;
        return expr_int_result(ev, out);
    }
    out->kind = EXPR_DECIMAL;
    return SP_OK;
}

static int
expr_int_div(struct expr_eval *ev, const struct expr_value *a, const struct expr_value *b,
             struct expr_value *out)
{
    if (a->kind == EXPR_DOUBLE || b->kind == EXPR_DOUBLE) {
        double fb = expr_as_double(b), q;

        if (fb == 0.0) {
            out->kind = EXPR_NULL;
            return SP_OK;
        }
        q = trunc(expr_as_double(a) / fb);
        if (!(q >= -9223372036854775808.0 && q < 9223372036854775808.0)) {
            return expr_out_of_range(ev, "BIGINT");
        }
        sp_decimal_from_i64(&out->d, (int64_t)q);
        return expr_int_result(ev, out);
    }
    if (sp_decimal_is_zero(&b->d)) {
        out->kind = EXPR_NULL;
        return SP_OK;
    }
    if (sp_decimal_div_trunc(&out->d, &a->d, &b->d, 0) != SP_OK) {
        return expr_too_long(ev);
    }
    out->is_unsigned = a->kind == EXPR_INT && b->kind == EXPR_INT &&
                       (a->is_unsigned || b->is_unsigned);
    return expr_int_result(ev, out);
}

/* ROUND and TRUNCATE of a DOUBLE: scaled by a power of ten, rounded to even or cut. */
static double
expr_double_round(double v, int places, bool truncate)
{
    double scale = pow(10.0, places < 0 ? -(double)places : (double)places);
    double scaled = places < 0 ? v / scale : v * scale;
    double r;

    if (places < 0 && isinf(scale)) {
        return 0.0;
    }
    if (places >= 0 && isinf(scaled)) {
        return v;
    }
    if (truncate) {
        r = v >= 0.0 ? floor(scaled) : ceil(scaled);
    } else {
        r = rint(scaled);
    }
    return places < 0 ? r * scale : r / scale;
}

static int
expr_unary(struct expr_eval *ev, const struct sp_merge_expr *e, struct expr_value *v)
{
    enum sp_decimal_rounding mode;
    int places = e->places;

    switch (e->op) {
    case SP_EXPR_NEG:
        if (v->kind == EXPR_DOUBLE) {
            v->f = -v->f;
            return SP_OK;
        }
        sp_decimal_negate(&v->d);
        if (v->kind == EXPR_INT) {
            v->is_unsigned = false;
            return expr_int_result(ev, v);
        }
        return SP_OK;
    case SP_EXPR_ABS:
        if (v->kind == EXPR_DOUBLE) {
            v->f = fabs(v->f);
            return SP_OK;
        }
        v->d.negative = false;
        return v->kind == EXPR_INT ? expr_int_result(ev, v) : SP_OK;
    case SP_EXPR_FLOOR:
    case SP_EXPR_CEILING:
        if (v->kind == EXPR_DOUBLE) {
            v->f = e->op == SP_EXPR_FLOOR ? floor(v->f) : ceil(v->f);
            return SP_OK;
        }
        mode = e->op == SP_EXPR_FLOOR ? SP_DECIMAL_FLOOR : SP_DECIMAL_CEILING;
        places = 0;
        break;
    case SP_EXPR_ROUND:
    case SP_EXPR_TRUNCATE:
        if (v->kind == EXPR_DOUBLE) {
            return expr_double_result(ev, v,
                                      expr_double_round(v->f, places, e->op == SP_EXPR_TRUNCATE));
        }
        if (v->kind == EXPR_INT && places >= 0) {
            return SP_OK;
        }
        mode = e->op == SP_EXPR_ROUND ? SP_DECIMAL_HALF_UP : SP_DECIMAL_TRUNCATE;
        break;
    default:
        return SP_OK;
    }

    if (sp_decimal_round_places(&v->d, places, mode) != SP_OK) {
        return expr_too_long(ev);
    }
    return v->kind == EXPR_INT ? expr_int_result(ev, v) : SP_OK;
}

static int
expr_avg(struct expr_eval *ev, const struct sp_merge_expr *e, struct expr_value *v)
{
    struct expr_value sum, count;
    int rc;

    rc = expr_column(ev, e->col, &sum);
    if (rc == SP_OK) {
        rc = expr_column(ev, e->count_col, &count);
    }
    if (rc != SP_OK) {
        return rc;
    }
    if (sum.kind == EXPR_NULL || count.kind == EXPR_NULL ||
        (count.kind != EXPR_DOUBLE && sp_decimal_is_zero(&count.d))) {
        memset(v, 0, sizeof(*v));
        v->kind = EXPR_NULL;
        return SP_OK;
    }
    memset(v, 0, sizeof(*v));
    return expr_divide(ev, &sum, &count, v);
}

static int
expr_eval_node(struct expr_eval *ev, const struct sp_merge_expr *e, struct expr_value *v)
{
    struct expr_value b;
    int rc;

    switch (e->op) {
    case SP_EXPR_COLUMN:
        return expr_column(ev, e->col, v);
    case SP_EXPR_AVG:
        return expr_avg(ev, e, v);
    case SP_EXPR_NUMBER:
        return expr_number(ev, e->text, v);
    case SP_EXPR_NULL:
        memset(v, 0, sizeof(*v));
        v->kind = EXPR_NULL;
        return SP_OK;
    default:
        break;
    }

    rc = expr_eval_node(ev, e->arg[0], v);
    if (rc != SP_OK) {
        return rc;
    }
    if (e->op == SP_EXPR_IFNULL) {
        return v->kind == EXPR_NULL ? expr_eval_node(ev, e->arg[1], v) : SP_OK;
    }
    if (e->arg[1] == NULL || e->op == SP_EXPR_ROUND || e->op == SP_EXPR_TRUNCATE) {
        return v->kind == EXPR_NULL ? SP_OK : expr_unary(ev, e, v);
    }

    rc = expr_eval_node(ev, e->arg[1], &b);
    if (rc != SP_OK) {
        return rc;
    }
    if (v->kind == EXPR_NULL || b.kind == EXPR_NULL) {
        v->kind = EXPR_NULL;
        return SP_OK;
    }
    {
        struct expr_value a = *v;

        memset(v, 0, sizeof(*v));
        switch (e->op) {
        case SP_EXPR_DIV:
            return expr_divide(ev, &a, &b, v);
        case SP_EXPR_INT_DIV:
            return expr_int_div(ev, &a, &b, v);
        default:
            return expr_arith(ev, e->op, &a, &b, v);
        }
    }
}

/* Fractional digits of a DECIMAL result: the column's, unless it has none fixed. */
static unsigned
expr_decimal_scale(const struct sp_column_def *def, unsigned natural)
{
    if (def->decimals >= SP_MERGE_NOT_FIXED_DEC || def->decimals > SP_DECIMAL_MAX_SCALE) {
        return natural;
    }
    return def->decimals;
}

int
sp_merge_expr_eval(struct sp_merger *m, const struct sp_merge_expr *e, size_t out_col,
                   const struct sp_merge_operand *operands, struct sp_buf *out, bool *null,
                   struct sp_error *err)
{
    const struct sp_column_def *def = &m->defs[out_col];
    char text[SP_DECIMAL_TEXT_MAX + SP_MERGE_DOUBLE_TEXT_MAX];
    struct expr_eval ev = {m, operands, err};
    struct expr_value v;
    size_t len;
    int rc;

    rc = expr_eval_node(&ev, e, &v);
    if (rc != SP_OK) {
        return rc;
    }
    *null = v.kind == EXPR_NULL;
    if (*null) {
        return SP_OK;
    }

    if (def->type == SP_MYSQL_TYPE_FLOAT || def->type == SP_MYSQL_TYPE_DOUBLE ||
        v.kind == EXPR_DOUBLE) {
        len = sp_merge_format_double(expr_as_double(&v), def->decimals, text);
    } else {
        unsigned scale = expr_is_integer_type(def->type) ? 0 : expr_decimal_scale(def, v.d.scale);

        if (sp_decimal_round(&v.d, scale) != SP_OK) {
            return expr_too_long(&ev);
        }
        len = sp_decimal_format(&v.d, text);
    }
    if (sp_buf_append(out, text, len) != SP_OK) {
        return sp_merge_fail(m, SP_ENOMEM, err, "out of memory while merging an expression");
    }
    return SP_OK;
}
