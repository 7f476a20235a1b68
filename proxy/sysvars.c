/*
 * Session variable lists: short linked lists (a client sets a few
 * variables), compared by name and by the value's text.
 */
#include "proxy/sysvars.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
sp_sysvars_init(struct sp_sysvars *v)
{
    memset(v, 0, sizeof(*v));
}

void
sp_sysvars_free(struct sp_sysvars *v)
{
    struct sp_sysvar *var = v->head, *next;

    for (; var != NULL; var = next) {
        next = var->next;
        free(var);
    }
    memset(v, 0, sizeof(*v));
}

static const struct sp_sysvar *
sysvars_find(const struct sp_sysvars *v, struct sp_str name)
{
    const struct sp_sysvar *var;

    for (var = v->head; var != NULL; var = var->next) {
        if (sp_str_eq(var->name, name)) {
            return var;
        }
    }
    return NULL;
}

static void
sysvars_remove(struct sp_sysvars *v, struct sp_str name)
{
    struct sp_sysvar **link;

    for (link = &v->head; *link != NULL; link = &(*link)->next) {
        struct sp_sysvar *var = *link;

        if (sp_str_eq(var->name, name)) {
            *link = var->next;
            free(var);
            v->count--;
            return;
        }
    }
}

int
sp_sysvars_set(struct sp_sysvars *v, struct sp_str name, struct sp_str value)
{
    struct sp_sysvar *var;
    char *text;

    sysvars_remove(v, name);
    if (value.len == 7 && strncasecmp(value.ptr, "DEFAULT", 7) == 0) {
        return SP_OK;
    }
    var = malloc(sizeof(*var) + name.len + value.len + 2);
    if (var == NULL) {
        return SP_ENOMEM;
    }
    text = (char *)(var + 1);
    memcpy(text, name.ptr, name.len);
    text[name.len] = '\0';
    memcpy(text + name.len + 1, value.ptr, value.len);
    text[name.len + 1 + value.len] = '\0';
    var->name = sp_str_make(text, name.len);
    var->value = sp_str_make(text + name.len + 1, value.len);
    var->next = v->head;
    v->head = var;
    v->count++;
    return SP_OK;
}

int
sp_sysvars_copy(struct sp_sysvars *dst, const struct sp_sysvars *src)
{
    const struct sp_sysvar *var;

    sp_sysvars_free(dst);
    for (var = src->head; var != NULL; var = var->next) {
        if (sp_sysvars_set(dst, var->name, var->value) != SP_OK) {
            sp_sysvars_free(dst);
            return SP_ENOMEM;
        }
    }
    return SP_OK;
}

/* Appends ", name = value" (or "SET SESSION name = value" first). */
static int
sysvars_append(struct sp_buf *out, bool first, struct sp_str name, struct sp_str value)
{
    int rc = sp_buf_append(out, first ? "SET SESSION " : ", ", first ? 12 : 2);

    if (rc == SP_OK) {
        rc = sp_buf_append(out, name.ptr, name.len);
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(out, " = ", 3);
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(out, value.ptr, value.len);
    }
    return rc;
}

bool
sp_sysvars_diff(const struct sp_sysvars *want, const struct sp_sysvars *have, struct sp_buf *out,
                bool *failed)
{
    const struct sp_sysvar *var, *other;
    size_t start = out->len;
    bool first = true;
    int rc = SP_OK;

    *failed = false;
    for (var = want->head; var != NULL && rc == SP_OK; var = var->next) {
        other = sysvars_find(have, var->name);
        if (other == NULL || !sp_str_eq(other->value, var->value)) {
            rc = sysvars_append(out, first, var->name, var->value);
            first = false;
        }
    }
    for (var = have->head; var != NULL && rc == SP_OK; var = var->next) {
        if (sysvars_find(want, var->name) == NULL) {
            rc = sysvars_append(out, first, var->name, sp_str_cstr("DEFAULT"));
            first = false;
        }
    }
    if (rc != SP_OK) {
        out->len = start;
        *failed = true;
        return false;
    }
    return !first;
}
