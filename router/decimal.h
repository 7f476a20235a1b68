/*
 * Exact decimal numbers for merging DECIMAL results: parsing the text a
 * server sends, addition, division rounded half away from zero (as MariaDB
 * rounds DECIMAL), comparison and formatting. Values live in a fixed-size
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

/*
 * Writes D with exactly d->scale fractional digits ("-12.50", "0.05", "7")
 * and a NUL into BUF, of SP_DECIMAL_TEXT_MAX bytes. Returns the length
 * without the NUL.
 */
size_t sp_decimal_format(const struct sp_decimal *d, char *buf);

#endif
