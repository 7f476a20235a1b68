/*
 * SQL tokenizer with MySQL's and MariaDB's lexical rules.
 *
 * Tokens are views into the caller's text. The lexer never allocates or
 * copies, so routing a short statement costs no memory. It does not parse
 * SQL grammar: it splits bytes the way the server would, so that words
 * inside strings, quoted identifiers and comments are never taken for
 * SQL, while the content of executable comments (slash-star-bang) is.
 *
 * NOTE: the lexer assumes the default sql_mode. With ANSI_QUOTES a
 * double-quoted token is an identifier, and with NO_BACKSLASH_ESCAPES a
 * backslash is an ordinary character; neither mode is modelled.
 */
#ifndef SP_ROUTER_LEXER_H
#define SP_ROUTER_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/status.h"
#include "common/str.h"

enum sp_token_kind {
    SP_TOK_EOF,
    SP_TOK_ERROR,        /* unterminated string, comment or identifier */
    SP_TOK_IDENT,        /* keyword or unquoted identifier */
    SP_TOK_QUOTED_IDENT, /* `name`, text includes the backticks */
    SP_TOK_STRING,       /* 'x', "x" or N'x', text includes the quotes */
    SP_TOK_NUMBER,       /* integer literal: decimal digits only */
    SP_TOK_DECIMAL,      /* 1.5, .5, 1e10 */
    SP_TOK_HEX,          /* X'0F' or 0x0F */
    SP_TOK_BIT,          /* B'01' or 0b01 */
    SP_TOK_USER_VAR,     /* @name, @'name', @`name` */
    SP_TOK_SYSTEM_VAR,   /* @@name, @@session.name */
    SP_TOK_PLACEHOLDER,  /* ? */
    SP_TOK_LPAREN,
    SP_TOK_RPAREN,
    SP_TOK_COMMA,
    SP_TOK_DOT,
    SP_TOK_SEMICOLON,
    SP_TOK_OPERATOR      /* =, <=>, :=, ||, ...: the text is the operator */
};

struct sp_token {
    enum sp_token_kind kind;
    struct sp_str text; /* raw slice of the input; empty at SP_TOK_EOF */
};

/*
 * A comment (not an executable one) whose whole text is "shardproxy:
 * primary" or "shardproxy: replica", anywhere in a statement, chooses
 * where a read goes.
 */
enum sp_route_hint {
    SP_HINT_NONE,
    SP_HINT_PRIMARY,
    SP_HINT_REPLICA
};

struct sp_lexer {
    const char *pos;
    const char *end;
    bool in_exec_comment; /* inside an executable comment: its end is skipped */
    bool after_name;      /* last token was a name, so ".5" is a dot and a name */
    const char *error;    /* static reason for the last SP_TOK_ERROR */
    enum sp_route_hint hint; /* the last routing hint comment skipped */
};

/* A lexer with the current token and the one before it. */
struct sp_token_cursor {
    struct sp_lexer lexer;
    struct sp_token tok;
    struct sp_token prev;
};

/* Starts lexing LEN bytes at SQL, which must outlive the lexer. */
void sp_lexer_init(struct sp_lexer *lexer, const char *sql, size_t len);

/*
 * Stores the next token in TOK. An error token spans the rest of the input
 * and lexer->error names what was unterminated. After SP_TOK_EOF or
 * SP_TOK_ERROR, every further call returns SP_TOK_EOF.
 */
void sp_lexer_next(struct sp_lexer *lexer, struct sp_token *tok);

/*
 * Stores in OUT the value of a quoted token (SP_TOK_STRING or
 * SP_TOK_QUOTED_IDENT): quotes stripped, doubled quotes and backslash
 * escapes decoded. OUT points into the token when nothing needs decoding
 * and into ARENA otherwise. Returns SP_OK, SP_ENOMEM, or SP_EINVAL for
 * any other token kind.
 */
int sp_lexer_unquote(const struct sp_token *tok, struct sp_arena *arena,
                     struct sp_str *out) SP_WARN_UNUSED;

/* Returns "IDENT", "STRING" and so on, for test output. */
const char *sp_token_kind_name(enum sp_token_kind kind);

/* Positions CURSOR on the first token of LEN bytes at SQL. */
void sp_token_cursor_init(struct sp_token_cursor *cursor, const char *sql, size_t len);

/* Positions CURSOR on the next token that LEXER would return; LEXER is not moved. */
void sp_token_cursor_start(struct sp_token_cursor *cursor, const struct sp_lexer *lexer);
void sp_token_cursor_advance(struct sp_token_cursor *cursor);

/* Returns the token after the current one without moving. */
struct sp_token sp_token_cursor_peek(const struct sp_token_cursor *cursor);

/* Compares an SP_TOK_IDENT with an upper-case keyword, ignoring case. */
static inline bool
sp_token_is_word(const struct sp_token *tok, const char *word, size_t len)
{
    size_t i;
    char c;

    if (tok->kind != SP_TOK_IDENT || tok->text.len != len) {
        return false;
    }
    for (i = 0; i < len; i++) {
        c = tok->text.ptr[i];
        if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        if (c != word[i]) {
            return false;
        }
    }
    return true;
}

#define SP_TOKEN_IS(tok, word) sp_token_is_word((tok), (word), sizeof(word) - 1)

/* An entry of a keyword list, for sp_token_is_word_in. */
struct sp_keyword {
    const char *word;
    size_t len;
};

#define SP_KEYWORD(w) {(w), sizeof(w) - 1}
#define SP_KEYWORDS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Whether TOK is one of the N WORDS (case-insensitively, as MySQL reads keywords). */
static inline bool
sp_token_is_word_in(const struct sp_token *tok, const struct sp_keyword *words, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (sp_token_is_word(tok, words[i].word, words[i].len)) {
            return true;
        }
    }
    return false;
}

/* True when TOK is the operator OP, for example "=" or "<=>". */
static inline bool
sp_token_is_op(const struct sp_token *tok, const char *op, size_t len)
{
    return tok->kind == SP_TOK_OPERATOR && tok->text.len == len
           && memcmp(tok->text.ptr, op, len) == 0;
}

#define SP_TOKEN_IS_OP(tok, op) sp_token_is_op((tok), (op), sizeof(op) - 1)

#endif
