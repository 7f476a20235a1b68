/*
 * Declarations shared by the files of plan execution (exec.c, the leg
 * life cycle; exec_result.c, what the legs' packets become for the client).
 * Not for use outside them.
 */
#ifndef SP_PROXY_EXEC_INTERNAL_H
#define SP_PROXY_EXEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/response.h"
#include "proxy/exec.h"

struct sp_session;

/* A waiting scatter leg stops reading its backend past this many buffered bytes. */
#define LEG_BUFFER_MAX (1u << 20)

enum leg_action {
    LEG_FORWARD,   /* copy the packet to the client */
    LEG_DROP,      /* consume it */
    LEG_REPLACED,  /* consume it; a replacement is already in the client buffer */
    LEG_WAIT       /* leave it: this leg may not write to the client yet */
};

/* MariaDB's ER_LOCK_WAIT_TIMEOUT and ER_LOCK_DEADLOCK. */
#define EXEC_ER_LOCK_WAIT_TIMEOUT 1205
#define EXEC_ER_LOCK_DEADLOCK 1213

bool client_deprecate_eof(const struct sp_session *s);

/*
 * Whether LEG failed on a lock inside a transaction, after which the
 * transaction is rolled back on every shard.
 */
bool exec_leg_lock_failure(const struct sp_leg *leg);
bool exec_is_streaming(const struct sp_exec *ex);

/* Whether LEG may write to the client now. */
bool exec_leg_is_active(const struct sp_leg *leg);

/* Appends the packet that ends a result set, as the client negotiated it. */
int exec_append_rows_end(struct sp_session *s, uint16_t status, uint16_t warnings) SP_WARN_UNUSED;

/* Records the ERR packet PAYLOAD as LEG's outcome. */
void exec_leg_record_err(struct sp_leg *leg, const uint8_t *payload, size_t len);

/* Decides the action for a packet of ROLE on a streamed plan (SINGLE, SCATTER_ROWS). */
enum leg_action exec_stream_action(struct sp_leg *leg, enum sp_packet_role role, uint16_t status,
                                   uint16_t warnings);

/* Records a packet of a merged write plan: nothing reaches the client until the end. */
void exec_merge_record(struct sp_leg *leg, enum sp_packet_role role, const uint8_t *payload,
                       size_t avail);

/* Appends the single OK or ERR that a merged write plan returns. */
int exec_reply_merged(struct sp_session *s) SP_WARN_UNUSED;

/* Works out that reply without sending it. */
void exec_merged_reply(struct sp_session *s, struct sp_reply *out);

/* Appends the OK or ERR of R. */
int exec_append_reply(struct sp_session *s, const struct sp_reply *r) SP_WARN_UNUSED;

/*
 * The insert id the client gets for the statement: the first row's leg's
 * (a split INSERT), else the first leg with one; 0 when none has.
 */
uint64_t exec_insert_id(const struct sp_exec *ex);

/* Writes over several shards made all or nothing (exec_atomic.c). */
bool exec_atomic_applies(const struct sp_session *s, const struct sp_plan *plan, uint8_t command);

/*
 * After such a write, with OK whether every shard applied it: starts the
 * COMMIT, ROLLBACK or ROLLBACK TO SAVEPOINT that ends it and returns
 * true, or returns false when nothing is left to do and the reply in
 * s->deferred can go at once.
 */
bool exec_atomic_followup_start(struct sp_session *s, bool ok);

/*
 * After a deadlock, when the reply is out: starts a ROLLBACK on the held
 * connections that keep a transaction and session state (see
 * exec_rollback_after_lock_failure in exec.c). Returns false when none
 * needs one. After a write over several shards, whose reply waits in
 * s->deferred, the ROLLBACK also ends that write.
 */
bool exec_followup_rollback_kept(struct sp_session *s);

/* The follow-up ended: sends s->deferred, or the ERR of a failed commit, and ends the command. */
void exec_atomic_followup_done(struct sp_session *s);

/* Walks the bytes buffered from LEG's backend (exec.c); does nothing when re-entered. */
void exec_leg_process(struct sp_leg *leg);

/* Merged SELECTs (exec_merge.c): what a packet of ROLE becomes. */
enum leg_action exec_merge_action(struct sp_leg *leg, enum sp_packet_role role,
                                  const uint8_t *payload, size_t len, uint16_t status,
                                  uint16_t warnings);

/* Sends what the merger can tell and lets waiting legs go on. */
void exec_merge_resume(struct sp_session *s);

/* Ends a merged SELECT once every leg is done: the last rows and the terminator. */
void exec_merge_finish(struct sp_session *s);

/* exec_stmt.c: the prepared-statement protocol. */

/* What a packet of a COM_STMT_PREPARE response becomes: the prepare OK gets the proxy's id. */
enum leg_action exec_prepare_action(struct sp_leg *leg, enum sp_packet_role role,
                                    const uint8_t *payload, size_t len);

/*
 * For an execute answered in binary rows: a streamed packet that would be
 * forwarded. Keeps the column definitions and replaces each text row by a
 * binary one (PAYLOAD is the whole packet).
 */
enum leg_action exec_binary_action(struct sp_leg *leg, enum sp_packet_role role,
                                   const uint8_t *payload, size_t len);

/* Appends the text row PAYLOAD to the client as a binary row over ex->bin_defs. */
int exec_append_binary_row(struct sp_session *s, const uint8_t *payload, size_t len) SP_WARN_UNUSED;

/* Frees the merger (command end or abort). */
void exec_merge_cleanup(struct sp_exec *ex);

#endif
