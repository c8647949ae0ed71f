
/*
 * Copyright (C) ngx_bedrud authors
 *
 * A handler is a chain of steps: each starts one asynchronous action (a
 * Redis call here, a password hash in ngx_http_bedrud_password.c, a
 * LiveKit call in ngx_http_bedrud_livekit_api.c) whose completion runs the
 * next step.  This is where what the Redis layer reports becomes an
 * answer: no answer from Redis is a 503, an error reply a 500, and a
 * Redis function's status word is answered from the handler's table.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


static void ngx_http_bedrud_query_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_int_t rc);


/*
 * A handler's per-request state, allocated on first use; NULL when there
 * is no memory for it, and the 500 has been answered.
 */

void *
ngx_http_bedrud_state(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    size_t size)
{
    if (ctx->data == NULL) {
        ctx->data = ngx_pcalloc(r->pool, size);

        if (ctx->data == NULL) {
            ngx_http_bedrud_internal_error(r);
        }
    }

    return ctx->data;
}


/* Continues a request after a thread task; nothing if it already ended. */

void
ngx_http_bedrud_resume(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    if (ctx->done) {
        return;
    }

    ctx->next(r, ctx);
}


/* Redis commands; "next" runs with their replies in ctx->replies. */

void
ngx_http_bedrud_query(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_http_bedrud_cmd_t *cmds, ngx_uint_t n, ngx_http_bedrud_step_pt next)
{
    ngx_int_t  rc;

    ctx->next = next;

    rc = ngx_http_bedrud_redis_request(r, ctx, cmds, n,
                                       ngx_http_bedrud_query_done);

    if (rc != NGX_OK) {
        ngx_http_bedrud_query_done(r, ctx, rc);
    }
}


/* A Redis function: args holds its nkeys keys, then its other arguments. */

void
ngx_http_bedrud_fcall(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    const char *function, ngx_uint_t nkeys, ngx_uint_t nargs, ngx_str_t *args,
    ngx_http_bedrud_step_pt next)
{
    ngx_http_bedrud_cmd_t  cmd;

    if (ngx_http_bedrud_redis_fcall(r->pool, function, nkeys, nargs, args,
                                    &cmd)
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_query(r, ctx, &cmd, 1, next);
}


static void
ngx_http_bedrud_query_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_int_t rc)
{
    switch (rc) {

    case NGX_OK:
        ctx->next(r, ctx);
        return;

    case NGX_DECLINED:
        /* no answer: down, lost, or too slow */
        ngx_http_bedrud_unavailable(r);
        return;

    default:
        ngx_http_bedrud_internal_error(r);
        return;
    }
}


/*
 * NGX_OK when the reply's status is "OK"; else the error "map" (ended by
 * a NULL status) gives for it, or a 500 with "fallback" (NULL: "internal
 * server error"), has been sent, and NGX_DONE is returned.
 */

ngx_int_t
ngx_http_bedrud_reply_check(ngx_http_request_t *r,
    ngx_http_bedrud_reply_t *reply, ngx_http_bedrud_status_t *map,
    const char *fallback)
{
    if (ngx_http_bedrud_reply_is(reply, "OK")) {
        return NGX_OK;
    }

    for ( /* void */ ; map && map->status; map++) {
        if (ngx_http_bedrud_reply_is(reply, map->status)) {
            ngx_http_bedrud_error(r, map->code, map->error);
            return NGX_DONE;
        }
    }

    if (fallback) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR, fallback);

    } else {
        ngx_http_bedrud_internal_error(r);
    }

    return NGX_DONE;
}
