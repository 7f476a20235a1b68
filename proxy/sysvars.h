/*
 * Session variables that the proxy carries between backend connections:
 * the values a client set with SET SESSION name = value, and the values
 * each backend connection has. Before a statement runs on a connection,
 * the proxy sends one SET SESSION with the differences, so a steady
 * workload sends none, and a connection that another client used gets
 * that client's variables back to DEFAULT.
 */
#ifndef SP_PROXY_SYSVARS_H
#define SP_PROXY_SYSVARS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/status.h"
#include "common/str.h"

struct sp_sysvar {
    struct sp_sysvar *next;
    struct sp_str name;      /* lower case, owned */
    struct sp_str value;     /* the value expression as the client wrote it, owned */
};

struct sp_sysvars {
    struct sp_sysvar *head;
    size_t count;
};

void sp_sysvars_init(struct sp_sysvars *v);
void sp_sysvars_free(struct sp_sysvars *v);

/* Sets NAME to VALUE; a VALUE of DEFAULT removes NAME. Returns SP_OK or SP_ENOMEM. */
int sp_sysvars_set(struct sp_sysvars *v, struct sp_str name, struct sp_str value) SP_WARN_UNUSED;

/* Makes DST a copy of SRC. Returns SP_OK or SP_ENOMEM (DST is then empty). */
int sp_sysvars_copy(struct sp_sysvars *dst, const struct sp_sysvars *src) SP_WARN_UNUSED;

/*
 * Appends to OUT the statement that brings a connection with HAVE to WANT:
 * "SET SESSION a = <value>, b = DEFAULT". Returns true when one is needed.
 * Returns false with OUT unchanged when both hold the same values, or when
 * out of memory (*FAILED set then).
 */
bool sp_sysvars_diff(const struct sp_sysvars *want, const struct sp_sysvars *have,
                     struct sp_buf *out, bool *failed);

#endif
