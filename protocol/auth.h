/*
 * Authentication: SHA-1, mysql_native_password and the AuthSwitchRequest /
 * AuthMoreData packets.
 *
 * mysql_native_password: the client sends
 *     SHA1(password) XOR SHA1(scramble || SHA1(SHA1(password)))
 * and the server, which stores only SHA1(SHA1(password)) (the "stage 2"
 * hash), checks it without knowing the password.
 */
#ifndef SP_PROTOCOL_AUTH_H
#define SP_PROTOCOL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/status.h"
#include "common/str.h"

#define SP_SHA1_LEN 20
#define SP_AUTH_NATIVE_PLUGIN "mysql_native_password"
#define SP_AUTH_CACHING_SHA2_PLUGIN "caching_sha2_password"

struct sp_sha1 {
    uint32_t state[5];
    uint64_t nbytes;
    uint8_t block[64];
    size_t nblock;
};

void sp_sha1_init(struct sp_sha1 *ctx);
void sp_sha1_update(struct sp_sha1 *ctx, const void *data, size_t len);
void sp_sha1_final(struct sp_sha1 *ctx, uint8_t digest[SP_SHA1_LEN]);
void sp_sha1(const void *data, size_t len, uint8_t digest[SP_SHA1_LEN]);

/* SHA1(SHA1(password)): what a server stores for a native-password account. */
void sp_auth_native_stage2(const char *password, size_t len, uint8_t stage2[SP_SHA1_LEN]);

/*
 * Computes the client's 20-byte answer to SCRAMBLE. An empty password
 * gives an empty answer: *OUT_LEN is 0 then, 20 otherwise.
 */
void sp_auth_native_scramble(const uint8_t scramble[20], const char *password, size_t len,
                             uint8_t out[SP_SHA1_LEN], size_t *out_len);

/*
 * Checks a client's answer against the stored STAGE2 hash. EMPTY_PASSWORD
 * says the account has no password, in which case only an empty answer
 * passes. Comparison time does not depend on where bytes differ.
 */
bool sp_auth_native_verify(const uint8_t scramble[20], const uint8_t stage2[SP_SHA1_LEN],
                           bool empty_password, const uint8_t *answer, size_t answer_len);

/*
 * Appends an AuthSwitchRequest payload: 0xFE, plugin name NUL, plugin data.
 * DATA is written as given, so for mysql_native_password pass the 20-byte
 * scramble followed by a NUL, as MariaDB 10.11 sends it: the MySQL client
 * library's native-password plugin rejects the switch unless exactly 21
 * bytes follow the plugin name. Returns SP_OK, SP_EINVAL without a plugin
 * name, or SP_ENOMEM (OUT unchanged).
 */
int sp_auth_switch_request_build(struct sp_buf *out, const char *plugin,
                                 const uint8_t *data, size_t len) SP_WARN_UNUSED;

/*
 * Parses an AuthSwitchRequest (first byte 0xFE). A trailing NUL after the
 * plugin data, as servers send after a scramble, is not part of DATA.
 * Returns SP_EUNSUPPORTED for the one-byte request for the pre-4.1
 * mysql_old_password method, SP_EPROTO when malformed.
 */
int sp_auth_switch_request_parse(const uint8_t *payload, size_t len, struct sp_str *plugin,
                                 struct sp_str *data) SP_WARN_UNUSED;

#endif
