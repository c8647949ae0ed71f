
/*
 * Copyright (C) ngx_bedrud authors
 */


/*
 * The few nginx runtime symbols that the pure helpers (password, JWT,
 * validation) use, for the unit tests and the fuzz harness, which link
 * no nginx objects.  The pool hands out malloc()ed blocks that
 * ngx_stub_pool_reset() frees, so valgrind sees leaks of the code under
 * test only; ngx_stub_fail_after makes the n-th allocation fail.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stubs.h"


typedef struct ngx_stub_block_s  ngx_stub_block_t;

struct ngx_stub_block_s {
    ngx_stub_block_t  *next;
    void              *align;
};


static ngx_stub_block_t  *ngx_stub_blocks;
static ngx_log_t          ngx_stub_log;
static ngx_cycle_t        ngx_stub_cycle;

volatile ngx_cycle_t     *ngx_cycle = &ngx_stub_cycle;
ngx_int_t                 ngx_stub_fail_after = -1;
ngx_pool_t                ngx_stub_pool;


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    ngx_stub_block_t  *b;

    if (ngx_stub_fail_after == 0) {
        return NULL;
    }

    if (ngx_stub_fail_after > 0) {
        ngx_stub_fail_after--;
    }

    b = malloc(sizeof(ngx_stub_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = ngx_stub_blocks;
    ngx_stub_blocks = b;

    return b + 1;
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_pnalloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_pnalloc(pool, size);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}


void
ngx_stub_pool_reset(void)
{
    ngx_stub_block_t  *b;

    while (ngx_stub_blocks) {
        b = ngx_stub_blocks;
        ngx_stub_blocks = b->next;
        free(b);
    }

    ngx_stub_fail_after = -1;
}


void
ngx_libc_gmtime(time_t s, struct tm *tm)
{
    (void) gmtime_r(&s, tm);
}


/*
 * The characters of a text, as nginx's ngx_utf8_length() counts them for
 * well-formed UTF-8 (the only kind the helpers pass): every byte but the
 * continuation bytes starts one.
 */

size_t
ngx_utf8_length(u_char *p, size_t n)
{
    size_t  len;

    for (len = 0; n; n--, p++) {
        if ((*p & 0xc0) != 0x80) {
            len++;
        }
    }

    return len;
}


/* as nginx's (src/core/ngx_string.c): ASCII only */

ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    while (n) {
        c1 = (ngx_uint_t) *s1++;
        c2 = (ngx_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 == c2) {

            if (c1) {
                n--;
                continue;
            }

            return 0;
        }

        return c1 - c2;
    }

    return 0;
}


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    fprintf(stderr, "# log: ");
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
}


void
ngx_stub_init(void)
{
    ngx_stub_log.log_level = NGX_LOG_DEBUG;
    ngx_stub_cycle.log = &ngx_stub_log;
}
