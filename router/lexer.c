/*
 * SQL tokenizer: a byte-level state machine over the caller's text.
 *
 * It follows the server's lexer where that decides routing: comments and
 * executable comments, the three quote characters with their escapes,
 * identifiers that start with digits, and 0x/0b literals that are only
 * literals when no identifier character follows. It must not allocate:
 * sp_lexer_unquote is the only function that may use an arena.
 */
#include "router/lexer.h"

#include <string.h>
#include <strings.h>

static bool
lexer_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
lexer_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
lexer_is_hex(unsigned char c)
{
    return lexer_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Bytes of unquoted identifiers; every byte of a multi-byte UTF-8 sequence counts. */
static bool
lexer_is_ident(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || lexer_is_digit(c)
           || c == '_' || c == '$' || c >= 0x80;
}

static const char *
lexer_scan_ident(const char *p, const char *end)
{
    while (p < end && lexer_is_ident((unsigned char)*p)) {
        p++;
    }
    return p;
}

/*
 * Returns the byte after the closing QUOTE of a quoted run that starts
 * after the opening quote at P, or NULL when the input ends first. A
 * doubled quote is one quote character. With BACKSLASH, a backslash
 * escapes the next byte, as in strings but not in backtick identifiers.
 */
static const char *
lexer_scan_quoted(const char *p, const char *end, char quote, bool backslash)
{
    const char *q, *b;

    /* memchr keeps long string values (row data in INSERTs) cheap to skip. */
    while (p < end) {
        q = memchr(p, quote, (size_t)(end - p));
        if (backslash) {
            b = memchr(p, '\\', (size_t)((q != NULL ? q : end) - p));
            if (b != NULL) {
                if (end - b < 2) {
                    return NULL;
                }
                p = b + 2;
                continue;
            }
        }
        if (q == NULL) {
            return NULL;
        }
        if (end - q >= 2 && q[1] == quote) {
            p = q + 2;
            continue;
        }
        return q + 1;
    }
    return NULL;
}

static void
lexer_set(struct sp_lexer *lexer, struct sp_token *tok, enum sp_token_kind kind,
          const char *start, const char *stop)
{
    tok->kind = kind;
    tok->text = sp_str_make(start, (size_t)(stop - start));
    lexer->pos = stop;
    lexer->after_name = kind == SP_TOK_IDENT || kind == SP_TOK_QUOTED_IDENT;
}

static void
lexer_fail(struct sp_lexer *lexer, struct sp_token *tok, const char *start, const char *reason)
{
    lexer_set(lexer, tok, SP_TOK_ERROR, start, lexer->end);
    lexer->error = reason;
    lexer->in_exec_comment = false;
}

/* Matches WORD (lowercase) at *P, ignoring case, and moves past it. */
static bool
lexer_match_word(const char **p, const char *end, const char *word)
{
    size_t len = strlen(word);

    if ((size_t)(end - *p) < len || strncasecmp(*p, word, len) != 0) {
        return false;
    }
    *p += len;
    return true;
}

/* Records a routing hint when the comment body [P, END) is one. */
static void
lexer_read_hint(struct sp_lexer *lexer, const char *p, const char *end)
{
    enum sp_route_hint hint;

    while (p < end && lexer_is_space((unsigned char)*p)) {
        p++;
    }
    if (!lexer_match_word(&p, end, "shardproxy")) {
        return;
    }
    while (p < end && lexer_is_space((unsigned char)*p)) {
        p++;
    }
    if (p == end || *p != ':') {
        return;
    }
    p++;
    while (p < end && lexer_is_space((unsigned char)*p)) {
        p++;
    }
    if (lexer_match_word(&p, end, "primary")) {
        hint = SP_HINT_PRIMARY;
    } else if (lexer_match_word(&p, end, "replica")) {
        hint = SP_HINT_REPLICA;
    } else {
        return;
    }
    while (p < end && lexer_is_space((unsigned char)*p)) {
        p++;
    }
    if (p == end) {
        lexer->hint = hint;
    }
}

/*
 * Skips whitespace and comments. Entering an executable comment only
 * skips its opening marker and version number, because its content is SQL;
 * its closing marker is skipped when it shows up. Returns the reason when
 * a comment is unterminated, NULL otherwise.
 */
static const char *
lexer_skip(struct sp_lexer *lexer)
{
    const char *p = lexer->pos, *end = lexer->end, *close;
    int ndigits;

    for (;;) {
        while (p < end && lexer_is_space((unsigned char)*p)) {
            p++;
        }
        if (p == end) {
            break;
        }

        if (*p == '#'
            || (*p == '-' && end - p >= 2 && p[1] == '-'
                && (end - p == 2 || lexer_is_space((unsigned char)p[2])
                    || (unsigned char)p[2] < 0x20))) {
            const char *body = p + (*p == '#' ? 1 : 2);

            while (p < end && *p != '\n') {
                p++;
            }
            lexer_read_hint(lexer, body, p > body && p[-1] == '\r' ? p - 1 : p);
            continue;
        }

        if (lexer->in_exec_comment && *p == '*' && end - p >= 2 && p[1] == '/') {
            lexer->in_exec_comment = false;
            p += 2;
            continue;
        }

        if (*p != '/' || end - p < 2 || p[1] != '*') {
            break;
        }

        if (end - p >= 3 && p[2] == '!') {
            /* MySQL's form takes a five-digit minimum server version. */
            p += 3;
            ndigits = 5;
        } else if (end - p >= 4 && p[2] == 'M' && p[3] == '!') {
            /* MariaDB's own form takes a six-digit version. */
            p += 4;
            ndigits = 6;
        } else {
            /* Plain comments, including optimizer hints, mean nothing to routing. */
            close = NULL;
            for (const char *q = p + 2; end - q >= 2; q++) {
                if (q[0] == '*' && q[1] == '/') {
                    close = q;
                    break;
                }
            }
            if (close == NULL) {
                lexer->pos = p;
                return "unterminated comment";
            }
            lexer_read_hint(lexer, p + 2, close);
            p = close + 2;
            continue;
        }
        while (ndigits > 0 && p < end && lexer_is_digit((unsigned char)*p)) {
            p++;
            ndigits--;
        }
        lexer->in_exec_comment = true;
    }

    lexer->pos = p;
    if (lexer->in_exec_comment && p == end) {
        return "unterminated comment";
    }
    return NULL;
}

/* Numbers, and identifiers that start with a digit such as 1abc. */
static void
lexer_number(struct sp_lexer *lexer, struct sp_token *tok)
{
    const char *start = lexer->pos, *p = start, *end = lexer->end, *q;
    bool decimal = false;

    if (end - p >= 3 && p[0] == '0' && (p[1] == 'x' || p[1] == 'b')) {
        /* The prefixes are case-sensitive: 0X0F is an identifier. */
        q = p + 2;
        if (p[1] == 'x') {
            while (q < end && lexer_is_hex((unsigned char)*q)) {
                q++;
            }
        } else {
            while (q < end && (*q == '0' || *q == '1')) {
                q++;
            }
        }
        if (q > p + 2 && (q == end || !lexer_is_ident((unsigned char)*q))) {
            lexer_set(lexer, tok, p[1] == 'x' ? SP_TOK_HEX : SP_TOK_BIT, start, q);
            return;
        }
    }

    while (p < end && lexer_is_digit((unsigned char)*p)) {
        p++;
    }
    if (p < end && *p == '.') {
        decimal = true;
        p++;
        while (p < end && lexer_is_digit((unsigned char)*p)) {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        q = p + 1;
        if (q < end && (*q == '+' || *q == '-')) {
            q++;
        }
        if (q < end && lexer_is_digit((unsigned char)*q)) {
            decimal = true;
            p = q;
            while (p < end && lexer_is_digit((unsigned char)*p)) {
                p++;
            }
        }
    }

    if (!decimal && p < end && lexer_is_ident((unsigned char)*p)) {
        lexer_set(lexer, tok, SP_TOK_IDENT, start, lexer_scan_ident(p, end));
        return;
    }
    lexer_set(lexer, tok, decimal ? SP_TOK_DECIMAL : SP_TOK_NUMBER, start, p);
}

/* X'0F', B'01' and N'text': a one-letter prefix glued to a quote. */
static bool
lexer_prefixed_string(struct sp_lexer *lexer, struct sp_token *tok)
{
    const char *p = lexer->pos, *stop;
    enum sp_token_kind kind;

    if (lexer->end - p < 2 || p[1] != '\'') {
        return false;
    }
    switch (*p) {
    case 'x':
    case 'X':
        kind = SP_TOK_HEX;
        break;
    case 'b':
    case 'B':
        kind = SP_TOK_BIT;
        break;
    case 'n':
    case 'N':
        kind = SP_TOK_STRING;
        break;
    default:
        return false;
    }

    stop = lexer_scan_quoted(p + 2, lexer->end, '\'', kind == SP_TOK_STRING);
    if (stop == NULL) {
        lexer_fail(lexer, tok, p, "unterminated string");
        return true;
    }
    lexer_set(lexer, tok, kind, p, stop);
    return true;
}

static void
lexer_variable(struct sp_lexer *lexer, struct sp_token *tok)
{
    const char *start = lexer->pos, *p = start + 1, *end = lexer->end, *stop;
    enum sp_token_kind kind = SP_TOK_USER_VAR;

    if (p < end && *p == '@') {
        kind = SP_TOK_SYSTEM_VAR;
        p++;
    }

    if (p < end && (*p == '\'' || *p == '"' || *p == '`')) {
        stop = lexer_scan_quoted(p + 1, end, *p, *p != '`');
        if (stop == NULL) {
            lexer_fail(lexer, tok, start, "unterminated variable name");
            return;
        }
        lexer_set(lexer, tok, kind, start, stop);
        return;
    }

    /* Dots belong to the name: @@session.sql_mode, @a.b. */
    stop = p;
    while (stop < end && (lexer_is_ident((unsigned char)*stop) || *stop == '.')) {
        stop++;
    }
    if (stop == p) {
        lexer_set(lexer, tok, SP_TOK_OPERATOR, start, p);
        return;
    }
    lexer_set(lexer, tok, kind, start, stop);
}

/*
 * Operators of up to three bytes, longest match first: <=>, ->>, <=, >=,
 * <>, !=, :=, ||, &&, <<, >>, ->. Any other byte is a one-byte operator.
 */
static void
lexer_operator(struct sp_lexer *lexer, struct sp_token *tok)
{
    const char *p = lexer->pos;
    char next = lexer->end - p >= 2 ? p[1] : '\0';
    char third = lexer->end - p >= 3 ? p[2] : '\0';
    size_t n = 1;

    switch (p[0]) {
    case '<':
        if (next == '=' && third == '>') {
            n = 3;
        } else if (next == '=' || next == '>' || next == '<') {
            n = 2;
        }
        break;
    case '>':
        n = next == '=' || next == '>' ? 2 : 1;
        break;
    case '-':
        if (next == '>') {
            n = third == '>' ? 3 : 2;
        }
        break;
    case '!':
    case ':':
        n = next == '=' ? 2 : 1;
        break;
    case '|':
    case '&':
        n = next == p[0] ? 2 : 1;
        break;
    default:
        break;
    }
    lexer_set(lexer, tok, SP_TOK_OPERATOR, p, p + n);
}

void
sp_lexer_init(struct sp_lexer *lexer, const char *sql, size_t len)
{
    lexer->pos = sql;
    lexer->end = sql + len;
    lexer->in_exec_comment = false;
    lexer->after_name = false;
    lexer->error = NULL;
    lexer->hint = SP_HINT_NONE;
}

void
sp_lexer_next(struct sp_lexer *lexer, struct sp_token *tok)
{
    const char *reason, *p, *stop;
    unsigned char c;

    reason = lexer_skip(lexer);
    if (reason != NULL) {
        lexer_fail(lexer, tok, lexer->pos, reason);
        return;
    }
    p = lexer->pos;
    if (p == lexer->end) {
        lexer_set(lexer, tok, SP_TOK_EOF, p, p);
        return;
    }

    c = (unsigned char)*p;
    if (lexer_is_digit(c)) {
        lexer_number(lexer, tok);
        return;
    }
    if (lexer_is_ident(c)) {
        if (!lexer_prefixed_string(lexer, tok)) {
            lexer_set(lexer, tok, SP_TOK_IDENT, p, lexer_scan_ident(p, lexer->end));
        }
        return;
    }

    switch (c) {
    case '\'':
    case '"':
        stop = lexer_scan_quoted(p + 1, lexer->end, (char)c, true);
        if (stop == NULL) {
            lexer_fail(lexer, tok, p, "unterminated string");
            return;
        }
        lexer_set(lexer, tok, SP_TOK_STRING, p, stop);
        return;
    case '`':
        stop = lexer_scan_quoted(p + 1, lexer->end, '`', false);
        if (stop == NULL) {
            lexer_fail(lexer, tok, p, "unterminated quoted identifier");
            return;
        }
        lexer_set(lexer, tok, SP_TOK_QUOTED_IDENT, p, stop);
        return;
    case '.':
        /* ".5" is a number, but in "t.5" the 5 names a column of t. */
        if (!lexer->after_name && lexer->end - p >= 2 && lexer_is_digit((unsigned char)p[1])) {
            lexer_number(lexer, tok);
            return;
        }
        lexer_set(lexer, tok, SP_TOK_DOT, p, p + 1);
        return;
    case '@':
        lexer_variable(lexer, tok);
        return;
    case '?':
        lexer_set(lexer, tok, SP_TOK_PLACEHOLDER, p, p + 1);
        return;
    case '(':
        lexer_set(lexer, tok, SP_TOK_LPAREN, p, p + 1);
        return;
    case ')':
        lexer_set(lexer, tok, SP_TOK_RPAREN, p, p + 1);
        return;
    case ',':
        lexer_set(lexer, tok, SP_TOK_COMMA, p, p + 1);
        return;
    case ';':
        lexer_set(lexer, tok, SP_TOK_SEMICOLON, p, p + 1);
        return;
    default:
        lexer_operator(lexer, tok);
        return;
    }
}

static char
lexer_unescape_byte(char c)
{
    switch (c) {
    case '0':
        return '\0';
    case 'b':
        return '\b';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'Z':
        return '\032';
    default:
        return c;
    }
}

int
sp_lexer_unquote(const struct sp_token *tok, struct sp_arena *arena, struct sp_str *out)
{
    const char *p = tok->text.ptr, *end = tok->text.ptr + tok->text.len;
    bool backslash;
    char quote, *dst;
    size_t n;

    if (tok->kind != SP_TOK_STRING && tok->kind != SP_TOK_QUOTED_IDENT) {
        return SP_EINVAL;
    }
    if (*p == 'n' || *p == 'N') {
        p++;
    }
    quote = *p;
    backslash = quote != '`';
    p++;
    end--;

    /* The common case has nothing to decode and stays a view. */
    if (memchr(p, quote, (size_t)(end - p)) == NULL
        && (!backslash || memchr(p, '\\', (size_t)(end - p)) == NULL)) {
        *out = sp_str_make(p, (size_t)(end - p));
        return SP_OK;
    }

    dst = sp_arena_alloc(arena, (size_t)(end - p) + 1);
    if (dst == NULL) {
        return SP_ENOMEM;
    }
    n = 0;
    while (p < end) {
        if (backslash && *p == '\\' && end - p >= 2) {
            /* The server keeps the backslash of \% and \_ for LIKE patterns. */
            if (p[1] == '%' || p[1] == '_') {
                dst[n++] = '\\';
                dst[n++] = p[1];
            } else {
                dst[n++] = lexer_unescape_byte(p[1]);
            }
            p += 2;
            continue;
        }
        if (*p == quote && end - p >= 2 && p[1] == quote) {
            dst[n++] = quote;
            p += 2;
            continue;
        }
        dst[n++] = *p++;
    }
    dst[n] = '\0';
    *out = sp_str_make(dst, n);
    return SP_OK;
}

const char *
sp_token_kind_name(enum sp_token_kind kind)
{
    switch (kind) {
    case SP_TOK_EOF:
        return "EOF";
    case SP_TOK_ERROR:
        return "ERROR";
    case SP_TOK_IDENT:
        return "IDENT";
    case SP_TOK_QUOTED_IDENT:
        return "QUOTED_IDENT";
    case SP_TOK_STRING:
        return "STRING";
    case SP_TOK_NUMBER:
        return "NUMBER";
    case SP_TOK_DECIMAL:
        return "DECIMAL";
    case SP_TOK_HEX:
        return "HEX";
    case SP_TOK_BIT:
        return "BIT";
    case SP_TOK_USER_VAR:
        return "USER_VAR";
    case SP_TOK_SYSTEM_VAR:
        return "SYSTEM_VAR";
    case SP_TOK_PLACEHOLDER:
        return "PLACEHOLDER";
    case SP_TOK_LPAREN:
        return "LPAREN";
    case SP_TOK_RPAREN:
        return "RPAREN";
    case SP_TOK_COMMA:
        return "COMMA";
    case SP_TOK_DOT:
        return "DOT";
    case SP_TOK_SEMICOLON:
        return "SEMICOLON";
    case SP_TOK_OPERATOR:
        return "OPERATOR";
    }
    return "UNKNOWN";
}

void
sp_token_cursor_init(struct sp_token_cursor *cursor, const char *sql, size_t len)
{
    sp_lexer_init(&cursor->lexer, sql, len);
    cursor->prev = (struct sp_token){SP_TOK_EOF, sp_str_make(sql, 0)};
    sp_lexer_next(&cursor->lexer, &cursor->tok);
}

void
sp_token_cursor_start(struct sp_token_cursor *cursor, const struct sp_lexer *lexer)
{
    cursor->lexer = *lexer;
    cursor->prev = (struct sp_token){SP_TOK_EOF, sp_str_make(lexer->pos, 0)};
    sp_lexer_next(&cursor->lexer, &cursor->tok);
}

void
sp_token_cursor_advance(struct sp_token_cursor *cursor)
{
    cursor->prev = cursor->tok;
    if (cursor->tok.kind == SP_TOK_EOF || cursor->tok.kind == SP_TOK_ERROR) {
        cursor->tok = (struct sp_token){SP_TOK_EOF, sp_str_make(cursor->lexer.end, 0)};
        return;
    }
    sp_lexer_next(&cursor->lexer, &cursor->tok);
}

struct sp_token
sp_token_cursor_peek(const struct sp_token_cursor *cursor)
{
    struct sp_lexer copy = cursor->lexer;
    struct sp_token tok;

    if (cursor->tok.kind == SP_TOK_EOF || cursor->tok.kind == SP_TOK_ERROR) {
        return (struct sp_token){SP_TOK_EOF, sp_str_make(cursor->lexer.end, 0)};
    }
    sp_lexer_next(&copy, &tok);
    return tok;
}
