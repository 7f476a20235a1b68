/*
 * JSON tokenizing with jsmn, the grammar checks jsmn leaves out, token
 * walking with a JSON path, and line:column positions for messages.
 *
 * This is the only translation unit that includes <jsmn.h>: JSMN_STATIC
 * keeps jsmn's functions private to it. It must not know the config
 * schema, log or keep global state.
 */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "config/json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_ERROR_SQLSTATE "HY000"

/* Maximum length of a schema key that sp_json_string_equals can compare. */
#define JSON_KEY_MAX 40

struct sp_json_doc {
    const char *text;
    size_t len;
    const char *source;
    jsmntok_t *tokens;
    int ntokens;
};

/* Offsets of the first byte of TOK and one past its last, quotes included. */
static size_t
json_raw_start(const struct sp_json_doc *doc, int tok)
{
    const jsmntok_t *t = &doc->tokens[tok];

    return (size_t)(t->type == JSMN_STRING ? t->start - 1 : t->start);
}

static size_t
json_raw_end(const struct sp_json_doc *doc, int tok)
{
    const jsmntok_t *t = &doc->tokens[tok];

    return (size_t)(t->type == JSMN_STRING ? t->end + 1 : t->end);
}

/*
 * Converts a byte offset to a 1-based line and column. The column counts
 * characters (UTF-8 code points), so that it matches what editors show for
 * non-ASCII text. A tab counts as one.
 */
static void
json_position(const struct sp_json_doc *doc, size_t offset, size_t *line, size_t *column)
{
    size_t i;

    *line = 1;
    *column = 1;
    for (i = 0; i < offset && i < doc->len; i++) {
        unsigned char c = (unsigned char)doc->text[i];

        if (c == '\n') {
            (*line)++;
            *column = 1;
        } else if ((c & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

static void
json_vset_error(struct sp_error *err, const struct sp_json_doc *doc, size_t offset,
                const char *path, const char *fmt, va_list ap)
{
    char reason[SP_ERROR_MESSAGE_MAX];
    size_t line;
    size_t column;

    vsnprintf(reason, sizeof(reason), fmt, ap);
    json_position(doc, offset, &line, &column);

    if (path != NULL && path[0] != '\0') {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, JSON_ERROR_SQLSTATE, "%s:%zu:%zu: %s: %s",
                     doc->source, line, column, path, reason);
    } else {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, JSON_ERROR_SQLSTATE, "%s:%zu:%zu: %s",
                     doc->source, line, column, reason);
    }
}

/* Reports a syntax error at byte OFFSET and returns SP_EINVAL. */
static int __attribute__((format(printf, 4, 5)))
json_syntax_error(const struct sp_json_doc *doc, size_t offset, struct sp_error *err,
                  const char *fmt, ...)
{
    char reason[SP_ERROR_MESSAGE_MAX];
    size_t line;
    size_t column;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    json_position(doc, offset, &line, &column);
    sp_error_set(err, SP_ER_UNKNOWN_ERROR, JSON_ERROR_SQLSTATE, "%s:%zu:%zu: invalid JSON: %s",
                 doc->source, line, column, reason);
    return SP_EINVAL;
}

/* Writes a quoted, printable form of byte C into BUF for messages. */
static const char *
json_describe_char(char c, char *buf, size_t size)
{
    unsigned char u = (unsigned char)c;

    if (u == '\'') {
        snprintf(buf, size, "\"'\"");
    } else if (u >= 0x20 && u < 0x7F) {
        snprintf(buf, size, "'%c'", c);
    } else {
        snprintf(buf, size, "byte 0x%02x", u);
    }
    return buf;
}

static bool
json_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Returns the offset of the first non-whitespace byte in FROM..TO, or TO. */
static size_t
json_skip_space(const struct sp_json_doc *doc, size_t from, size_t to)
{
    while (from < to && json_is_space(doc->text[from])) {
        from++;
    }
    return from;
}

static int
json_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Reads the four hex digits of a \u escape, which jsmn has already checked. */
static unsigned
json_hex4(const char *s)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        v = v << 4 | (unsigned)json_hex_digit(s[i]);
    }
    return v;
}

/*
 * Returns the length of the UTF-8 sequence at S (N bytes available), or 0
 * when it is malformed, overlong, a UTF-16 surrogate or above U+10FFFF.
 */
static size_t
json_utf8_length(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    size_t len;
    size_t i;

    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        if (s[0] == 0xE0) {
            lo = 0xA0;
        } else if (s[0] == 0xED) {
            hi = 0x9F;
        }
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        if (s[0] == 0xF0) {
            lo = 0x90;
        } else if (s[0] == 0xF4) {
            hi = 0x8F;
        }
    } else {
        return 0;
    }

    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

static size_t
json_utf8_encode(unsigned cp, char *dst)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | cp >> 6);
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | cp >> 12);
        dst[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | cp >> 18);
    dst[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    dst[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool
json_is_high_surrogate(unsigned cp)
{
    return cp >= 0xD800 && cp <= 0xDBFF;
}

static bool
json_is_low_surrogate(unsigned cp)
{
    return cp >= 0xDC00 && cp <= 0xDFFF;
}

/*
 * Decodes the escapes of string content S (N bytes) into DST, which has room
 * for N bytes: no escape decodes to more bytes than it takes in the text.
 * The content must have passed json_check_string. Returns the length.
 */
static size_t
json_decode(const char *s, size_t n, char *dst)
{
    size_t i = 0;
    size_t o = 0;

    while (i < n) {
        unsigned cp;

        if (s[i] != '\\') {
            dst[o++] = s[i++];
            continue;
        }

        switch (s[i + 1]) {
        case 'b':
            dst[o++] = '\b';
            break;
        case 'f':
            dst[o++] = '\f';
            break;
        case 'n':
            dst[o++] = '\n';
            break;
        case 'r':
            dst[o++] = '\r';
            break;
        case 't':
            dst[o++] = '\t';
            break;
        case 'u':
            cp = json_hex4(s + i + 2);
            if (json_is_high_surrogate(cp)) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (json_hex4(s + i + 8) - 0xDC00);
                i += 6;
            }
            o += json_utf8_encode(cp, dst + o);
            i += 6;
            continue;
        default: /* '"', '\\' and '/' decode to themselves */
            dst[o++] = s[i + 1];
            break;
        }
        i += 2;
    }
    return o;
}

/*
 * Checks what jsmn does not check inside a string: raw control characters,
 * UTF-8 and surrogate pairs in \u escapes. jsmn has already checked that
 * every backslash starts a known escape.
 */
static int
json_check_string(const struct sp_json_doc *doc, int tok, struct sp_error *err)
{
    const char *text = doc->text;
    size_t end = (size_t)doc->tokens[tok].end;
    size_t i = (size_t)doc->tokens[tok].start;

    while (i < end) {
        unsigned char c = (unsigned char)text[i];
        size_t n;

        if (c < 0x20) {
            return json_syntax_error(doc, i, err,
                                     "control character 0x%02x in string; write it as an escape "
                                     "such as \\n or \\u00%02x", c, c);
        }

        if (c == '\\' && text[i + 1] == 'u') {
            unsigned cp = json_hex4(text + i + 2);

            if (json_is_low_surrogate(cp)) {
                return json_syntax_error(doc, i, err, "unpaired UTF-16 surrogate in \\u escape");
            }
            if (json_is_high_surrogate(cp)) {
                if (i + 12 > end || text[i + 6] != '\\' || text[i + 7] != 'u' ||
                    !json_is_low_surrogate(json_hex4(text + i + 8))) {
                    return json_syntax_error(doc, i, err,
                                             "unpaired UTF-16 surrogate in \\u escape");
                }
                i += 6;
            }
            i += 6;
            continue;
        }

        if (c == '\\') {
            i += 2;
            continue;
        }

        if (c < 0x80) {
            i++;
            continue;
        }

        n = json_utf8_length((const unsigned char *)text + i, end - i);
        if (n == 0) {
            return json_syntax_error(doc, i, err, "invalid UTF-8 in string");
        }
        i += n;
    }
    return SP_OK;
}

static bool
json_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether S (N bytes) is a number as JSON defines it. */
static bool
json_is_number(const char *s, size_t n)
{
    size_t i = 0;

    if (i < n && s[i] == '-') {
        i++;
    }
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && json_is_digit(s[i])) {
            i++;
        }
    } else {
        return false;
    }

    if (i < n && s[i] == '.') {
        i++;
        if (i == n || !json_is_digit(s[i])) {
            return false;
        }
        while (i < n && json_is_digit(s[i])) {
            i++;
        }
    }

    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (i == n || !json_is_digit(s[i])) {
            return false;
        }
        while (i < n && json_is_digit(s[i])) {
            i++;
        }
    }
    return i == n;
}

/* jsmn in strict mode accepts any printable run after - 0-9 t f n. */
static int
json_check_primitive(const struct sp_json_doc *doc, int tok, struct sp_error *err)
{
    struct sp_str raw = sp_json_raw(doc, tok);

    if (sp_str_eq(raw, SP_STR_LIT("true")) || sp_str_eq(raw, SP_STR_LIT("false")) ||
        sp_str_eq(raw, SP_STR_LIT("null")) || json_is_number(raw.ptr, raw.len)) {
        return SP_OK;
    }
    return json_syntax_error(doc, json_raw_start(doc, tok), err, "invalid value \"%.*s\"",
                             raw.len > 32 ? 32 : (int)raw.len, raw.ptr);
}

/* Returns the token after TOK and everything nested in it. */
static int
json_skip(const struct sp_json_doc *doc, int tok)
{
    size_t end = json_raw_end(doc, tok);
    int next = tok + 1;

    while (next < doc->ntokens && (size_t)doc->tokens[next].start < end) {
        next++;
    }
    return next;
}

/*
 * Reports the byte at OFFSET where a separator was expected. It is either a
 * stray ',' or ':' (the only bytes jsmn skips besides whitespace) or the
 * start of a value that EXPECTED should have preceded.
 */
static int
json_separator_error(const struct sp_json_doc *doc, size_t offset, const char *expected,
                     struct sp_error *err)
{
    char c = doc->text[offset];
    char desc[16];

    if (c == ',' || c == ':') {
        return json_syntax_error(doc, offset, err, "unexpected %s",
                                 json_describe_char(c, desc, sizeof(desc)));
    }
    return json_syntax_error(doc, offset, err, "expected %s", expected);
}

static int json_check_value(const struct sp_json_doc *doc, int tok, int depth, int *next,
                            struct sp_error *err);

/*
 * Checks the members of object or array TOK, including every byte between
 * them: jsmn counts members but skips ',' and ':' without checking where
 * they appear, so "[1 2]", "[1,,2]" and "{"a":1,}" get past it.
 */
static int
json_check_container(const struct sp_json_doc *doc, int tok, int depth, int *next,
                     struct sp_error *err)
{
    const jsmntok_t *t = &doc->tokens[tok];
    bool object = t->type == JSMN_OBJECT;
    const char *expected_sep = object ? "',' or '}'" : "',' or ']'";
    size_t close = (size_t)t->end - 1;
    size_t pos = (size_t)t->start + 1;
    int child = tok + 1;
    int i;
    int rc;

    if (depth > SP_JSON_DEPTH_MAX) {
        return json_syntax_error(doc, (size_t)t->start, err,
                                 "objects and arrays are nested deeper than %d levels",
                                 SP_JSON_DEPTH_MAX);
    }

    for (i = 0; i < t->size; i++) {
        size_t start = json_raw_start(doc, child);
        size_t gap = json_skip_space(doc, pos, start);
        int value = child;

        if (i > 0) {
            if (gap == start || doc->text[gap] != ',') {
                return json_separator_error(doc, gap, expected_sep, err);
            }
            gap = json_skip_space(doc, gap + 1, start);
        }
        if (gap != start) {
            return json_separator_error(doc, gap, "a value", err);
        }

        if (object) {
            if (doc->tokens[child].type != JSMN_STRING) {
                return json_syntax_error(doc, start, err, "object keys must be strings");
            }
            rc = json_check_string(doc, child, err);
            if (rc != SP_OK) {
                return rc;
            }
            if (doc->tokens[child].size == 0) {
                gap = json_skip_space(doc, json_raw_end(doc, child), close + 1);
                if (doc->text[gap] == ':') {
                    gap = json_skip_space(doc, gap + 1, close + 1);
                    return json_syntax_error(doc, gap, err, "expected a value after ':'");
                }
                return json_separator_error(doc, gap, "':' after the key", err);
            }

            value = child + 1;
            start = json_raw_start(doc, value);
            gap = json_skip_space(doc, json_raw_end(doc, child), start);
            if (gap == start || doc->text[gap] != ':') {
                return json_syntax_error(doc, gap, err, "expected ':' after the key");
            }
            gap = json_skip_space(doc, gap + 1, start);
            if (gap != start) {
                return json_separator_error(doc, gap, "a value", err);
            }
        }

        rc = json_check_value(doc, value, depth + 1, &child, err);
        if (rc != SP_OK) {
            return rc;
        }

        /* A key with two values, or a value with one, means a missing ','. */
        pos = json_raw_end(doc, value);
        if ((object && doc->tokens[value - 1].size != 1) ||
            (doc->tokens[value].type != JSMN_OBJECT && doc->tokens[value].type != JSMN_ARRAY &&
             doc->tokens[value].size != 0)) {
            gap = json_skip_space(doc, pos, close + 1);
            return json_separator_error(doc, gap, expected_sep, err);
        }
    }

    pos = json_skip_space(doc, pos, close);
    if (pos != close) {
        if (doc->text[pos] == ',') {
            return json_syntax_error(doc, pos, err, "trailing comma before '%c'",
                                     object ? '}' : ']');
        }
        return json_separator_error(doc, pos, expected_sep, err);
    }

    *next = child;
    return SP_OK;
}

static int
json_check_value(const struct sp_json_doc *doc, int tok, int depth, int *next,
                 struct sp_error *err)
{
    int rc;

    switch (doc->tokens[tok].type) {
    case JSMN_OBJECT:
    case JSMN_ARRAY:
        return json_check_container(doc, tok, depth, next, err);
    case JSMN_STRING:
        rc = json_check_string(doc, tok, err);
        break;
    default:
        rc = json_check_primitive(doc, tok, err);
        break;
    }

    *next = json_skip(doc, tok);
    return rc;
}

/* Checks that the text is one JSON value with nothing but whitespace around it. */
static int
json_check_document(const struct sp_json_doc *doc, struct sp_error *err)
{
    size_t start = json_raw_start(doc, 0);
    size_t pos = json_skip_space(doc, 0, start);
    int next;
    int rc;

    if (pos != start) {
        return json_separator_error(doc, pos, "a value", err);
    }

    rc = json_check_value(doc, 0, 1, &next, err);
    if (rc != SP_OK) {
        return rc;
    }

    pos = json_skip_space(doc, json_raw_end(doc, 0), doc->len);
    if (pos != doc->len || next != doc->ntokens) {
        return json_syntax_error(doc, pos, err, "unexpected data after the top-level value");
    }
    return SP_OK;
}

/* Turns a jsmn failure into a message at the position where it stopped. */
static int
json_tokenize_error(const struct sp_json_doc *doc, const jsmn_parser *parser, int rc,
                    struct sp_error *err)
{
    size_t pos = parser->pos;
    char desc[16];
    char c;
    int i;

    /* The first token is the top-level value; once it is closed, anything more is extra. */
    if (parser->toknext > 0 && doc->tokens[0].end != -1 && pos >= (size_t)doc->tokens[0].end) {
        return json_syntax_error(doc, pos, err, "unexpected data after the top-level value");
    }

    if (rc == JSMN_ERROR_PART) {
        /* NOTE: strict jsmn needs a delimiter after a number or literal, so "1" is rejected. */
        if (parser->toknext == 0 && pos < doc->len && doc->text[pos] != '"') {
            return json_syntax_error(doc, pos, err,
                                     "a number or literal alone is not supported as the document");
        }
        if (pos < doc->len && doc->text[pos] == '"') {
            return json_syntax_error(doc, pos, err, "unterminated string");
        }
        /* A number at the very end also stops jsmn, so name the unclosed container. */
        for (i = (int)parser->toknext - 1; i >= 0; i--) {
            const jsmntok_t *t = &doc->tokens[i];

            if (t->start != -1 && t->end == -1) {
                return json_syntax_error(doc, (size_t)t->start, err,
                                         "'%c' is never closed",
                                         t->type == JSMN_OBJECT ? '{' : '[');
            }
        }
        return json_syntax_error(doc, doc->len, err, "unexpected end of input");
    }

    c = doc->text[pos];
    if (c == '"') {
        /* jsmn rewinds to the opening quote; point at the bad escape. */
        for (i = 1; pos + (size_t)i < doc->len && doc->text[pos + (size_t)i] != '"'; i++) {
            if (doc->text[pos + (size_t)i] == '\\') {
                size_t at = pos + (size_t)i;
                char e = at + 1 < doc->len ? doc->text[at + 1] : '\0';

                if (strchr("\"\\/bfnrtu", e) == NULL || e == '\0') {
                    return json_syntax_error(doc, at, err, "invalid escape sequence in string");
                }
                if (e == 'u') {
                    int k;

                    for (k = 2; k < 6; k++) {
                        if (at + (size_t)k >= doc->len ||
                            json_hex_digit(doc->text[at + (size_t)k]) < 0) {
                            return json_syntax_error(doc, at, err,
                                                     "invalid \\u escape in string: expected "
                                                     "four hex digits");
                        }
                    }
                }
                i++;
            }
        }
        return json_syntax_error(doc, pos, err, "invalid string");
    }

    if (parser->toksuper >= 0) {
        const jsmntok_t *super = &doc->tokens[parser->toksuper];
        const jsmntok_t *last = &doc->tokens[parser->toknext - 1];

        /* A value's parent is its key, so a string whose parent is the object is a key. */
        if (super->type == JSMN_OBJECT && last->type == JSMN_STRING && last->size == 0 &&
            last->parent == parser->toksuper) {
            return json_syntax_error(doc, pos, err, "expected ':' after the key");
        }
        if (super->type == JSMN_OBJECT && c != '}' && c != ']') {
            return json_syntax_error(doc, pos, err, "expected a string key, found %s",
                                     json_describe_char(c, desc, sizeof(desc)));
        }
        if (super->type == JSMN_STRING && super->size != 0) {
            return json_syntax_error(doc, pos, err, "expected ',' or '}'");
        }
    }

    /* jsmn rewinds to the start of a number or literal with a bad byte in it. */
    if (c == '-' || json_is_digit(c) || c == 't' || c == 'f' || c == 'n') {
        while (pos < doc->len) {
            unsigned char u = (unsigned char)doc->text[pos];

            if (u < 0x20 || u >= 0x7F) {
                break;
            }
            pos++;
        }
    }
    if (pos >= doc->len) {
        return json_syntax_error(doc, doc->len, err, "unexpected end of input");
    }
    return json_syntax_error(doc, pos, err, "unexpected %s",
                             json_describe_char(doc->text[pos], desc, sizeof(desc)));
}

static int
json_tokenize(struct sp_json_doc *doc, struct sp_error *err)
{
    jsmn_parser parser;
    unsigned cap = 64;
    int rc;

    jsmn_init(&parser);
    for (;;) {
        jsmntok_t *grown = realloc(doc->tokens, cap * sizeof(*grown));

        if (grown == NULL) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, JSON_ERROR_SQLSTATE,
                         "%s: out of memory while parsing", doc->source);
            return SP_ENOMEM;
        }
        doc->tokens = grown;

        /* After JSMN_ERROR_NOMEM jsmn resumes where it stopped. */
        rc = jsmn_parse(&parser, doc->text, doc->len, doc->tokens, cap);
        if (rc != JSMN_ERROR_NOMEM) {
            break;
        }
        cap *= 2;
    }

    if (rc < 0) {
        return json_tokenize_error(doc, &parser, rc, err);
    }
    doc->ntokens = (int)parser.toknext;
    return SP_OK;
}

int
sp_json_parse(const char *text, size_t len, const char *source, struct sp_json_doc **out,
              struct sp_error *err)
{
    struct sp_json_doc *doc;
    const char *nul;
    int rc;

    *out = NULL;
    if (len > SP_JSON_TEXT_MAX) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, JSON_ERROR_SQLSTATE,
                     "%s: the text is %zu bytes, more than the limit of %u", source, len,
                     SP_JSON_TEXT_MAX);
        return SP_EINVAL;
    }

    doc = calloc(1, sizeof(*doc));
    if (doc == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, JSON_ERROR_SQLSTATE,
                     "%s: out of memory while parsing", source);
        return SP_ENOMEM;
    }
    doc->text = text;
    doc->len = len;
    doc->source = source;

    /* jsmn stops at a NUL byte as if the text ended there. */
    nul = memchr(text, '\0', len);
    if (nul != NULL) {
        rc = json_syntax_error(doc, (size_t)(nul - text), err, "NUL byte");
        goto fail;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        rc = json_syntax_error(doc, 0, err, "byte order mark; save the file as UTF-8 without BOM");
        goto fail;
    }

    rc = json_tokenize(doc, err);
    if (rc != SP_OK) {
        goto fail;
    }
    if (doc->ntokens == 0) {
        rc = json_syntax_error(doc, json_skip_space(doc, 0, len), err,
                               len == 0 ? "the text is empty" : "no value, only whitespace");
        goto fail;
    }

    rc = json_check_document(doc, err);
    if (rc != SP_OK) {
        goto fail;
    }

    *out = doc;
    return SP_OK;

fail:
    sp_json_destroy(doc);
    return rc;
}

void
sp_json_destroy(struct sp_json_doc *doc)
{
    if (doc == NULL) {
        return;
    }
    free(doc->tokens);
    free(doc);
}

enum sp_json_type
sp_json_type(const struct sp_json_doc *doc, int tok)
{
    const jsmntok_t *t = &doc->tokens[tok];

    switch (t->type) {
    case JSMN_OBJECT:
        return SP_JSON_OBJECT;
    case JSMN_ARRAY:
        return SP_JSON_ARRAY;
    case JSMN_STRING:
        return SP_JSON_STRING;
    default:
        break;
    }

    switch (doc->text[t->start]) {
    case 't':
    case 'f':
        return SP_JSON_BOOL;
    case 'n':
        return SP_JSON_NULL;
    default:
        return SP_JSON_NUMBER;
    }
}

size_t
sp_json_count(const struct sp_json_doc *doc, int tok)
{
    const jsmntok_t *t = &doc->tokens[tok];

    if (t->type != JSMN_OBJECT && t->type != JSMN_ARRAY) {
        return 0;
    }
    return (size_t)t->size;
}

struct sp_str
sp_json_raw(const struct sp_json_doc *doc, int tok)
{
    const jsmntok_t *t = &doc->tokens[tok];

    return sp_str_make(doc->text + t->start, (size_t)(t->end - t->start));
}

bool
sp_json_string_equals(const struct sp_json_doc *doc, int tok, const char *s)
{
    struct sp_str raw = sp_json_raw(doc, tok);
    size_t n = strlen(s);
    char buf[JSON_KEY_MAX * 6];
    size_t len;

    if (doc->tokens[tok].type != JSMN_STRING) {
        return false;
    }
    if (memchr(raw.ptr, '\\', raw.len) == NULL) {
        return sp_str_eq(raw, sp_str_make(s, n));
    }

    /* An escape takes at most six bytes per decoded byte ("\u0041" for 'A'). */
    SP_BUG_ON(n > JSON_KEY_MAX);
    if (raw.len > sizeof(buf)) {
        return false;
    }
    len = json_decode(raw.ptr, raw.len, buf);
    return len == n && memcmp(buf, s, n) == 0;
}

void
sp_json_iter_init(const struct sp_json_doc *doc, int tok, struct sp_json_iter *it)
{
    it->next = tok + 1;
    it->index = 0;
    it->count = sp_json_count(doc, tok);
    it->object = doc->tokens[tok].type == JSMN_OBJECT;
}

bool
sp_json_iter_next(const struct sp_json_doc *doc, struct sp_json_iter *it, int *key, int *value)
{
    if (it->index >= it->count) {
        return false;
    }

    if (it->object) {
        *key = it->next;
        *value = it->next + 1;
    } else {
        *key = -1;
        *value = it->next;
    }

    it->next = json_skip(doc, *value);
    it->index++;
    return true;
}

void
sp_json_walk_init(struct sp_json_walk *walk, const struct sp_json_doc *doc, struct sp_error *err)
{
    walk->doc = doc;
    walk->err = err;
    walk->path[0] = '\0';
    walk->pathlen = 0;
}

/* Keeps pathlen within the buffer when snprintf truncated the path. */
static void
json_path_advance(struct sp_json_walk *walk, int written)
{
    size_t room = SP_JSON_PATH_MAX - 1 - walk->pathlen;

    if (written < 0) {
        return;
    }
    walk->pathlen += (size_t)written < room ? (size_t)written : room;
}

size_t
sp_json_path_push_key(struct sp_json_walk *walk, const char *key)
{
    size_t saved = walk->pathlen;
    int n;

    n = snprintf(walk->path + saved, SP_JSON_PATH_MAX - saved, saved == 0 ? "%s" : ".%s", key);
    json_path_advance(walk, n);
    return saved;
}

size_t
sp_json_path_push_index(struct sp_json_walk *walk, size_t index)
{
    size_t saved = walk->pathlen;
    int n;

    n = snprintf(walk->path + saved, SP_JSON_PATH_MAX - saved, "[%zu]", index);
    json_path_advance(walk, n);
    return saved;
}

void
sp_json_path_pop(struct sp_json_walk *walk, size_t saved)
{
    walk->pathlen = saved;
    walk->path[saved] = '\0';
}

int
sp_json_fail(struct sp_json_walk *walk, int tok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    json_vset_error(walk->err, walk->doc, json_raw_start(walk->doc, tok), walk->path, fmt, ap);
    va_end(ap);
    return SP_EINVAL;
}

int
sp_json_get_string(struct sp_json_walk *walk, int tok, char **out, size_t *len)
{
    struct sp_str raw;
    char *s;
    size_t n;

    if (walk->doc->tokens[tok].type != JSMN_STRING) {
        return sp_json_fail(walk, tok, "expected a string");
    }

    raw = sp_json_raw(walk->doc, tok);
    s = malloc(raw.len + 1);
    if (s == NULL) {
        sp_error_set(walk->err, SP_ER_UNKNOWN_ERROR, JSON_ERROR_SQLSTATE,
                     "%s: out of memory", walk->doc->source);
        return SP_ENOMEM;
    }
    n = json_decode(raw.ptr, raw.len, s);
    s[n] = '\0';

    /* Values become C strings, which a NUL would silently cut short. */
    if (memchr(s, '\0', n) != NULL) {
        free(s);
        return sp_json_fail(walk, tok, "\\u0000 (NUL) is not allowed in strings");
    }

    *out = s;
    if (len != NULL) {
        *len = n;
    }
    return SP_OK;
}

int
sp_json_get_int(struct sp_json_walk *walk, int tok, int64_t min, int64_t max, int64_t *out)
{
    struct sp_str raw = sp_json_raw(walk->doc, tok);
    bool negative = false;
    uint64_t magnitude = 0;
    size_t i = 0;

    if (sp_json_type(walk->doc, tok) != SP_JSON_NUMBER) {
        goto fail;
    }
    if (raw.ptr[0] == '-') {
        negative = true;
        i++;
    }

    /* The grammar check has ensured at least one digit follows the sign. */
    for (; i < raw.len; i++) {
        unsigned digit;

        if (!json_is_digit(raw.ptr[i])) {
            goto fail; /* a fraction or an exponent */
        }
        digit = (unsigned)(raw.ptr[i] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10) {
            goto fail;
        }
        magnitude = magnitude * 10 + digit;
    }

    if (negative) {
        if (magnitude > (uint64_t)INT64_MAX + 1) {
            goto fail;
        }
        *out = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
    } else {
        if (magnitude > (uint64_t)INT64_MAX) {
            goto fail;
        }
        *out = (int64_t)magnitude;
    }

    if (*out < min || *out > max) {
        goto fail;
    }
    return SP_OK;

fail:
    return sp_json_fail(walk, tok, "expected an integer %" PRId64 "..%" PRId64, min, max);
}
