/*
 * xalloc.c - allocation that cannot return NULL, and a growable string buffer.
 */
#include "xalloc.h"

#include "exitcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(void)
{
    fputs("pgdrill: out of memory\n", stderr);
    exit(PGD_EXIT_INCONCLUSIVE);
}

void *pgd_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL)
        out_of_memory();
    return p;
}

void *pgd_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);

    if (p == NULL)
        out_of_memory();
    return p;
}

void *pgd_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);

    if (p == NULL)
        out_of_memory();
    return p;
}

char *pgd_strdup(const char *s)
{
    return pgd_strndup(s, strlen(s));
}

char *pgd_strndup(const char *s, size_t n)
{
    char *p = pgd_malloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pgd_vasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    int len;
    char *out;

    va_copy(copy, ap);
    len = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (len < 0)
        return pgd_strdup("(unformattable message)");
    out = pgd_malloc((size_t)len + 1);
    vsnprintf(out, (size_t)len + 1, fmt, ap);
    return out;
}

char *pgd_asprintf(const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = pgd_vasprintf(fmt, ap);
    va_end(ap);
    return out;
}

void pgd_buf_init(pgd_buf *buf)
{
    buf->cap = 64;
    buf->len = 0;
    buf->data = pgd_malloc(buf->cap);
    buf->data[0] = '\0';
}

void pgd_buf_append_n(pgd_buf *buf, const char *text, size_t n)
{
    if (buf->len + n + 1 > buf->cap) {
        while (buf->len + n + 1 > buf->cap)
            buf->cap *= 2;
        buf->data = pgd_realloc(buf->data, buf->cap);
    }
    memcpy(buf->data + buf->len, text, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
}

void pgd_buf_append(pgd_buf *buf, const char *text)
{
    pgd_buf_append_n(buf, text, strlen(text));
}

void pgd_buf_appendf(pgd_buf *buf, const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    text = pgd_vasprintf(fmt, ap);
    va_end(ap);
    pgd_buf_append(buf, text);
    free(text);
}

void pgd_buf_reset(pgd_buf *buf)
{
    buf->len = 0;
    buf->data[0] = '\0';
}

char *pgd_buf_steal(pgd_buf *buf)
{
    char *out = buf->data;

    buf->data = NULL;
    buf->len = buf->cap = 0;
    return out;
}

void pgd_buf_free(pgd_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}
