/*
 * JSON documents for the config loader.
 *
 * sp_json_parse tokenizes with jsmn in strict mode and then checks the parts
 * of the JSON grammar that jsmn leaves unchecked (separators, number and
 * literal syntax, control characters, UTF-8, surrogate pairs), so that every
 * document it accepts is valid JSON. The walk helpers read values while
 * keeping the JSON path of the current value for error messages of the form
 * "SOURCE:LINE:COLUMN: JSON.PATH: reason".
 *
 * This module does not depend on the config schema, never logs and keeps no
 * global state.
 * json.c is the only file that includes <jsmn.h>.
 */
#ifndef SP_CONFIG_JSON_H
#define SP_CONFIG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/status.h"
#include "common/str.h"

/* Larger inputs are rejected before parsing: jsmn keeps offsets in int. */
#define SP_JSON_TEXT_MAX (16u * 1024 * 1024)

/* Objects and arrays nested deeper than this are rejected. */
#define SP_JSON_DEPTH_MAX 64

#define SP_JSON_PATH_MAX 256

enum sp_json_type {
    SP_JSON_OBJECT,
    SP_JSON_ARRAY,
    SP_JSON_STRING,
    SP_JSON_NUMBER,
    SP_JSON_BOOL,
    SP_JSON_NULL
};

/* A parsed document. Values are named by token index, and the root is token 0. */
struct sp_json_doc;

/* Members of an object or items of an array, in document order. */
struct sp_json_iter {
    int next;     /* token of the next key (object) or item (array) */
    size_t index; /* members or items returned so far */
    size_t count;
    bool object;
};

/*
 * The state of one walk over a document: the JSON path of the value being
 * read ("shards[1].primary") and where errors go.
 */
struct sp_json_walk {
    const struct sp_json_doc *doc;
    struct sp_error *err;
    char path[SP_JSON_PATH_MAX];
    size_t pathlen;
};

/*
 * Parses TEXT (LEN bytes, need not be NUL-terminated). The document borrows
 * TEXT and SOURCE, which must outlive it. Returns SP_OK with *OUT set,
 * SP_EINVAL with "SOURCE:LINE:COLUMN: invalid JSON: reason" in ERR, or
 * SP_ENOMEM.
 */
int sp_json_parse(const char *text, size_t len, const char *source, struct sp_json_doc **out,
                  struct sp_error *err) SP_WARN_UNUSED;

void sp_json_destroy(struct sp_json_doc *doc);

enum sp_json_type sp_json_type(const struct sp_json_doc *doc, int tok);

/* The number of members of an object or items of an array; 0 otherwise. */
size_t sp_json_count(const struct sp_json_doc *doc, int tok);

/*
 * The raw text of TOK as it appears in the document: a string without its
 * quotes and with its escapes undecoded, a number or literal as written.
 */
struct sp_str sp_json_raw(const struct sp_json_doc *doc, int tok);

/* Whether string TOK, once decoded, equals the NUL-terminated S. */
bool sp_json_string_equals(const struct sp_json_doc *doc, int tok, const char *s);

/* Starts iterating over the members or items of object or array TOK. */
void sp_json_iter_init(const struct sp_json_doc *doc, int tok, struct sp_json_iter *it);

/*
 * Moves to the next member (KEY and VALUE tokens) or item (VALUE; KEY is
 * set to -1). Returns false after the last one.
 */
bool sp_json_iter_next(const struct sp_json_doc *doc, struct sp_json_iter *it, int *key,
                       int *value);

void sp_json_walk_init(struct sp_json_walk *walk, const struct sp_json_doc *doc,
                       struct sp_error *err);

/*
 * Appends ".KEY" (or "KEY" at the top level) or "[INDEX]" to the path.
 * Each returns the previous path length, to hand to sp_json_path_pop.
 */
size_t sp_json_path_push_key(struct sp_json_walk *walk, const char *key);
size_t sp_json_path_push_index(struct sp_json_walk *walk, size_t index);
void sp_json_path_pop(struct sp_json_walk *walk, size_t saved);

/*
 * Fills the walk's error with "SOURCE:LINE:COLUMN: PATH: reason", where
 * LINE and COLUMN locate TOK (the opening quote of a string), and returns
 * SP_EINVAL. The "PATH: " part is left out while the path is empty.
 */
int sp_json_fail(struct sp_json_walk *walk, int tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Decodes string TOK into a new NUL-terminated string that the caller
 * frees, with its length in *LEN when LEN is not NULL. Fails with SP_EINVAL
 * when TOK is not a string or contains \u0000, or with SP_ENOMEM.
 */
int sp_json_get_string(struct sp_json_walk *walk, int tok, char **out, size_t *len) SP_WARN_UNUSED;

/*
 * Reads number TOK as an integer within MIN..MAX. Fractions and exponents
 * are rejected, so 3.0 and 1e3 are not integers here.
 */
int sp_json_get_int(struct sp_json_walk *walk, int tok, int64_t min, int64_t max,
                    int64_t *out) SP_WARN_UNUSED;

#endif
