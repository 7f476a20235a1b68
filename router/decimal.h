/*
 * Exact decimal numbers for merging DECIMAL results: parsing the text a
 * server sends, the four operations with MariaDB's rounding (half away
 * from zero), comparison and formatting. Values live in a fixed-size
 * struct, so nothing here allocates; a result that does not fit in
 * SP_DECIMAL_MAX_DIGITS digits gives SP_ERANGE.
 */
#ifndef SP_ROUTER_DECIMAL_H
#define SP_ROUTER_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/*
 * MariaDB's DECIMAL has at most 65 digits with at most 38 after the
 * point. Sums over many shards and the extra digits of a division need
 * room beyond that.
 */
#define SP_DECIMAL_MAX_DIGITS 160
#define SP_DECIMAL_MAX_SCALE 80
/* Buffer size for sp_decimal_format: sign, "0.", digits and a NUL. */
#define SP_DECIMAL_TEXT_MAX (SP_DECIMAL_MAX_DIGITS + SP_DECIMAL_MAX_SCALE + 4)

/* The value (-1)^negative * coefficient * 10^-scale. */
struct sp_decimal {
    uint8_t digit[SP_DECIMAL_MAX_DIGITS]; /* coefficient, least significant first, 0..9 */
    uint16_t ndigits;                     /* without leading zeros; 0 for zero */
    uint16_t scale;                       /* digits after the decimal point */
    bool negative;                        /* never set for zero */
};

void sp_decimal_zero(struct sp_decimal *d);
void sp_decimal_from_u64(struct sp_decimal *d, uint64_t v);

/*
 * Parses [+-]digits[.digits], at least one digit, no exponent and no
 * spaces. Leading zeros are dropped; trailing fractional zeros count in
 * the scale. Returns SP_OK, SP_EINVAL for other text, or SP_ERANGE when
 * the value needs more digits than the struct holds.
 */
int sp_decimal_parse(struct sp_decimal *d, const char *text, size_t len) SP_WARN_UNUSED;

/* Returns <0, 0 or >0 as A is below, equal to or above B ("1.50" == "1.5"). */
int sp_decimal_cmp(const struct sp_decimal *a, const struct sp_decimal *b);

bool sp_decimal_is_zero(const struct sp_decimal *d);

/* OUT = A + B with the larger of the two scales. OUT may alias A or B. */
int sp_decimal_add(struct sp_decimal *out, const struct sp_decimal *a,
                   const struct sp_decimal *b) SP_WARN_UNUSED;

/*
 * OUT = A / B rounded half away from zero to SCALE fractional digits.
 * SP_EINVAL when B is zero, SP_ERANGE when a value does not fit.
 */
int sp_decimal_div(struct sp_decimal *out, const struct sp_decimal *a, const struct sp_decimal *b,
                   unsigned scale) SP_WARN_UNUSED;

/* Changes D's scale to SCALE: pads with zeros or rounds half away from zero. */
int sp_decimal_round(struct sp_decimal *d, unsigned scale) SP_WARN_UNUSED;

/* Where sp_decimal_round_places moves a value that lies between two results. */
enum sp_decimal_rounding {
    SP_DECIMAL_HALF_UP,  /* half away from zero, as ROUND() on DECIMAL */
    SP_DECIMAL_TRUNCATE, /* toward zero, as TRUNCATE() */
    SP_DECIMAL_FLOOR,    /* toward minus infinity */
    SP_DECIMAL_CEILING   /* toward plus infinity */
};

void sp_decimal_from_i64(struct sp_decimal *d, int64_t v);
void sp_decimal_negate(struct sp_decimal *d);

/* OUT = A - B with the larger of the two scales. OUT may alias A or B. */
int sp_decimal_sub(struct sp_decimal *out, const struct sp_decimal *a,
                   const struct sp_decimal *b) SP_WARN_UNUSED;

/* OUT = A * B, exact, with the sum of the two scales. OUT may alias A or B. */
int sp_decimal_mul(struct sp_decimal *out, const struct sp_decimal *a,
                   const struct sp_decimal *b) SP_WARN_UNUSED;

/* Like sp_decimal_div, but cut toward zero after SCALE digits instead of rounded. */
int sp_decimal_div_trunc(struct sp_decimal *out, const struct sp_decimal *a,
                         const struct sp_decimal *b, unsigned scale) SP_WARN_UNUSED;

/*
 * Keeps PLACES fractional digits under MODE; a negative PLACES clears
 * integer digits too (-1: to tens). The scale becomes max(PLACES, 0).
 */
int sp_decimal_round_places(struct sp_decimal *d, int places,
                            enum sp_decimal_rounding mode) SP_WARN_UNUSED;

/* OUT = A MOD B: the sign of A, the larger of the two scales. SP_EINVAL when B is zero. */
int sp_decimal_mod(struct sp_decimal *out, const struct sp_decimal *a,
                   const struct sp_decimal *b) SP_WARN_UNUSED;

/* The nearest double. */
double sp_decimal_to_double(const struct sp_decimal *d);

/*
 * The integer part of D as int64_t (*I) or, with IS_UNSIGNED, uint64_t
 * (*U); SP_ERANGE when it does not fit.
 */
int sp_decimal_to_i64(const struct sp_decimal *d, bool is_unsigned, int64_t *i,
                      uint64_t *u) SP_WARN_UNUSED;

/*
 * Writes D with exactly d->scale fractional digits ("-12.50", "0.05", "7")
 * and a NUL into BUF, of SP_DECIMAL_TEXT_MAX bytes. Returns the length
 * without the NUL.
 */
size_t sp_decimal_format(const struct sp_decimal *d, char *buf);

#endif
