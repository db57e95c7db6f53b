/*
 * xalloc.h - allocation that cannot return NULL, and a growable string buffer.
 *
 * pgdrill is a short-lived frontend tool: running out of memory is not a
 * condition worth threading through every caller, so these helpers print one
 * line and exit with the "inconclusive" code, the same policy as pg_malloc in
 * PostgreSQL's frontend tools.
 */
#ifndef PGDRILL_XALLOC_H
#define PGDRILL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *pgd_malloc(size_t size);
void *pgd_calloc(size_t count, size_t size);
void *pgd_realloc(void *ptr, size_t size);
char *pgd_strdup(const char *s);
char *pgd_strndup(const char *s, size_t n);
char *pgd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pgd_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A NUL-terminated string that grows as text is appended. */
typedef struct pgd_buf {
    char *data;
    size_t len;
    size_t cap;
} pgd_buf;

void pgd_buf_init(pgd_buf *buf);
void pgd_buf_append(pgd_buf *buf, const char *text);
void pgd_buf_append_n(pgd_buf *buf, const char *text, size_t n);
void pgd_buf_appendf(pgd_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pgd_buf_reset(pgd_buf *buf);
/* Hand the string to the caller; the buffer is empty and must be re-initialized to reuse. */
char *pgd_buf_steal(pgd_buf *buf);
void pgd_buf_free(pgd_buf *buf);

#endif
