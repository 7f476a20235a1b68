/*
 * SHA-1 (FIPS 180-4), mysql_native_password and the AuthSwitchRequest
 * packet.
 *
 * SHA-1 lives here because mysql_native_password needs nothing else from a
 * crypto library. Nothing here does I/O or keeps secrets beyond the caller's
 * buffers. Intermediate hashes on the stack are wiped before returning.
 */
#include "protocol/auth.h"

#include <string.h>

#include "protocol/codec.h"

#define SHA1_BLOCK_LEN 64
#define AUTH_SWITCH_HEADER 0xFE

static uint32_t
sha1_rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t
sha1_load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes through a volatile pointer so the compiler keeps the stores. */
static void
auth_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;

    while (n-- > 0) {
        *v++ = 0;
    }
}

static void
sha1_compress(uint32_t state[5], const uint8_t block[SHA1_BLOCK_LEN])
{
    uint32_t w[80];
    uint32_t a, b, c, d, e, f, k, t;
    int i;

    for (i = 0; i < 16; i++) {
        w[i] = sha1_load_be32(block + 4 * i);
    }
    for (i = 16; i < 80; i++) {
        w[i] = sha1_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }

    a = state[0];
    b = state[1];
    c = state[2];
    d = state[3];
    e = state[4];

    for (i = 0; i < 80; i++) {
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        t = sha1_rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = sha1_rol(b, 30);
        b = a;
        a = t;
    }

    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    auth_wipe(w, sizeof(w));
}

void
sp_sha1_init(struct sp_sha1 *ctx)
{
    ctx->state[0] = 0x67452301u;
    ctx->state[1] = 0xEFCDAB89u;
    ctx->state[2] = 0x98BADCFEu;
    ctx->state[3] = 0x10325476u;
    ctx->state[4] = 0xC3D2E1F0u;
    ctx->nbytes = 0;
    ctx->nblock = 0;
}

void
sp_sha1_update(struct sp_sha1 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t take;

    ctx->nbytes += len;

    if (ctx->nblock > 0) {
        take = SHA1_BLOCK_LEN - ctx->nblock;
        if (take > len) {
            take = len;
        }
        memcpy(ctx->block + ctx->nblock, p, take);
        ctx->nblock += take;
        p += take;
        len -= take;
        if (ctx->nblock < SHA1_BLOCK_LEN) {
            return;
        }
        sha1_compress(ctx->state, ctx->block);
        ctx->nblock = 0;
    }

    while (len >= SHA1_BLOCK_LEN) {
        sha1_compress(ctx->state, p);
        p += SHA1_BLOCK_LEN;
        len -= SHA1_BLOCK_LEN;
    }

    if (len > 0) {
        memcpy(ctx->block, p, len);
        ctx->nblock = len;
    }
}

/* Padding: a 0x80 byte, zeros up to 56 bytes mod 64, then the bit length
 * as a 64-bit big-endian number. */
void
sp_sha1_final(struct sp_sha1 *ctx, uint8_t digest[SP_SHA1_LEN])
{
    uint64_t nbits = ctx->nbytes * 8;
    int i;

    ctx->block[ctx->nblock++] = 0x80;
    if (ctx->nblock > SHA1_BLOCK_LEN - 8) {
        memset(ctx->block + ctx->nblock, 0, SHA1_BLOCK_LEN - ctx->nblock);
        sha1_compress(ctx->state, ctx->block);
        ctx->nblock = 0;
    }
    memset(ctx->block + ctx->nblock, 0, SHA1_BLOCK_LEN - 8 - ctx->nblock);
    for (i = 0; i < 8; i++) {
        ctx->block[SHA1_BLOCK_LEN - 1 - i] = (uint8_t)(nbits >> (8 * i));
    }
    sha1_compress(ctx->state, ctx->block);

    for (i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(ctx->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)ctx->state[i];
    }
    auth_wipe(ctx, sizeof(*ctx));
}

void
sp_sha1(const void *data, size_t len, uint8_t digest[SP_SHA1_LEN])
{
    struct sp_sha1 ctx;

    sp_sha1_init(&ctx);
    sp_sha1_update(&ctx, data, len);
    sp_sha1_final(&ctx, digest);
}

void
sp_auth_native_stage2(const char *password, size_t len, uint8_t stage2[SP_SHA1_LEN])
{
    uint8_t stage1[SP_SHA1_LEN];

    sp_sha1(password, len, stage1);
    sp_sha1(stage1, sizeof(stage1), stage2);
    auth_wipe(stage1, sizeof(stage1));
}

/* SHA1(scramble || stage2): the mask that hides SHA1(password) on the wire. */
static void
auth_native_mask(const uint8_t scramble[20], const uint8_t stage2[SP_SHA1_LEN],
                 uint8_t mask[SP_SHA1_LEN])
{
    struct sp_sha1 ctx;

    sp_sha1_init(&ctx);
    sp_sha1_update(&ctx, scramble, SP_SHA1_LEN);
    sp_sha1_update(&ctx, stage2, SP_SHA1_LEN);
    sp_sha1_final(&ctx, mask);
}

void
sp_auth_native_scramble(const uint8_t scramble[20], const char *password, size_t len,
                        uint8_t out[SP_SHA1_LEN], size_t *out_len)
{
    uint8_t stage1[SP_SHA1_LEN], stage2[SP_SHA1_LEN], mask[SP_SHA1_LEN];
    int i;

    if (len == 0) {
        *out_len = 0;
        return;
    }

    sp_sha1(password, len, stage1);
    sp_sha1(stage1, sizeof(stage1), stage2);
    auth_native_mask(scramble, stage2, mask);
    for (i = 0; i < SP_SHA1_LEN; i++) {
        out[i] = stage1[i] ^ mask[i];
    }
    *out_len = SP_SHA1_LEN;

    auth_wipe(stage1, sizeof(stage1));
    auth_wipe(stage2, sizeof(stage2));
    auth_wipe(mask, sizeof(mask));
}

/*
 * Unmasking the answer gives the client's claimed SHA1(password). Hashing
 * that once more must give the stored stage 2 hash. The final comparison
 * ORs all byte differences so that its time does not depend on where the
 * first difference is.
 */
bool
sp_auth_native_verify(const uint8_t scramble[20], const uint8_t stage2[SP_SHA1_LEN],
                      bool empty_password, const uint8_t *answer, size_t answer_len)
{
    uint8_t mask[SP_SHA1_LEN], stage1[SP_SHA1_LEN], check[SP_SHA1_LEN];
    uint8_t diff = 0;
    int i;

    if (empty_password) {
        return answer_len == 0;
    }
    if (answer_len != SP_SHA1_LEN) {
        return false;
    }

    auth_native_mask(scramble, stage2, mask);
    for (i = 0; i < SP_SHA1_LEN; i++) {
        stage1[i] = answer[i] ^ mask[i];
    }
    sp_sha1(stage1, sizeof(stage1), check);
    for (i = 0; i < SP_SHA1_LEN; i++) {
        diff |= (uint8_t)(check[i] ^ stage2[i]);
    }

    auth_wipe(mask, sizeof(mask));
    auth_wipe(stage1, sizeof(stage1));
    auth_wipe(check, sizeof(check));
    return diff == 0;
}

int
sp_auth_switch_request_build(struct sp_buf *out, const char *plugin, const uint8_t *data,
                             size_t len)
{
    size_t mark = sp_codec_mark(out);

    if (plugin == NULL) {
        return SP_EINVAL;
    }

    if (sp_codec_put_u8(out, AUTH_SWITCH_HEADER) != SP_OK
        || sp_codec_put_nul_str(out, plugin, strlen(plugin)) != SP_OK
        || sp_codec_put_bytes(out, data, len) != SP_OK) {
        sp_codec_rollback(out, mark);
        return SP_ENOMEM;
    }
    return SP_OK;
}

int
sp_auth_switch_request_parse(const uint8_t *payload, size_t len, struct sp_str *plugin,
                             struct sp_str *data)
{
    struct sp_cursor c;
    uint8_t header;

    sp_cursor_init(&c, payload, len);
    if (sp_codec_take_u8(&c, &header) != SP_OK || header != AUTH_SWITCH_HEADER) {
        return SP_EPROTO;
    }

    /* A lone 0xFE requests the pre-4.1 mysql_old_password method. */
    if (sp_cursor_left(&c) == 0) {
        return SP_EUNSUPPORTED;
    }

    if (sp_codec_take_nul_str(&c, plugin) != SP_OK) {
        return SP_EPROTO;
    }
    sp_codec_take_rest(&c, data);
    if (data->len > 0 && data->ptr[data->len - 1] == '\0') {
        data->len--;
    }
    return SP_OK;
}
