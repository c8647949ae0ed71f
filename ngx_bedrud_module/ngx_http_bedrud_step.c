
/*
 * Copyright (C) ngx_bedrud authors
 *
 * A handler is a chain of steps: each starts one asynchronous action (a
 * Redis call here, a password hash in ngx_http_bedrud_password.c, a
 * LiveKit call in ngx_http_bedrud_livekit_api.c) whose completion runs the
 * next step.  This is where what the Redis layer reports becomes an
 * answer: no answer from Redis is a 503, an error reply a 500, and a
 * Redis function's status word is answered from the handler's table; and
 * where a LiveKit call's outcome does.
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


#if (NGX_THREADS)

/* how often a task that is still queued or running gets a warning */
#define NGX_HTTP_BEDRUD_TASK_GUARD  30000


static void ngx_http_bedrud_task_guard(ngx_event_t *ev);


/*
 * The request waits for a thread task ("what" names it in the log): it is
 * blocked, which keeps it and its pool alive even if the client goes, and
 * a guard timer keeps a worker that exits gracefully (it waits for timers
 * only) from closing the connection under the task.
 */

void
ngx_http_bedrud_block(ngx_http_request_t *r, ngx_event_t *guard,
    const char *what)
{
    r->main->blocked++;
    r->aio = 1;

    guard->handler = ngx_http_bedrud_task_guard;
    guard->data = (void *) what;
    guard->log = r->connection->log;

    ngx_add_timer(guard, NGX_HTTP_BEDRUD_TASK_GUARD);
}


/*
 * The task is over: NGX_OK to answer, NGX_DONE when the request was
 * terminated meanwhile (the client went away) and is now finalized.
 */

ngx_int_t
ngx_http_bedrud_unblock(ngx_http_request_t *r, ngx_event_t *guard)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (guard->timer_set) {
        ngx_del_timer(guard);
    }

    r->main->blocked--;
    r->aio = 0;

    if (c->error) {
        /*
         * ngx_http_terminate_request() left the close to whoever unblocks
         * it: finalizing with an error gets there
         */
        ngx_http_finalize_request(r, NGX_ERROR);
        ngx_http_run_posted_requests(c);
        return NGX_DONE;
    }

    return NGX_OK;
}


static void
ngx_http_bedrud_task_guard(ngx_event_t *ev)
{
    ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                  "bedrud: %s task is still queued or running",
                  (char *) ev->data);

    ngx_add_timer(ev, NGX_HTTP_BEDRUD_TASK_GUARD);
}

#endif


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


/*
 * The answer for a LiveKit call that did not do it (ctx->livekit): 404
 * "Participant not found" for LiveKit's not_found, a 502 that says why
 * for the rest.  "done": what was done all the same before the call (a
 * ban, a demotion), said after the reason.
 */

void
ngx_http_bedrud_livekit_failed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *done)
{
    u_char      *p;
    json_t      *json;
    ngx_uint_t   status;
    const char  *why;

    status = NGX_HTTP_BAD_GATEWAY;

    switch (ctx->livekit.outcome) {

    case NGX_HTTP_BEDRUD_LK_NOT_FOUND:
        status = NGX_HTTP_NOT_FOUND;
        why = "Participant not found";
        break;

    case NGX_HTTP_BEDRUD_LK_OFF:
        why = "LiveKit is not configured";
        break;

    case NGX_HTTP_BEDRUD_LK_REFUSED:
        why = "LiveKit refused the request";
        break;

    case NGX_HTTP_BEDRUD_LK_DOWN:
        why = "LiveKit is unavailable";
        break;

    default:
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (done == NULL) {
        ngx_http_bedrud_error(r, status, why);
        return;
    }

    p = ngx_pnalloc(r->pool, ngx_strlen(why) + 2 + ngx_strlen(done) + 1);
    if (p == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_sprintf(p, "%s: %s%Z", why, done);

    json = json_pack("{ss}", "error", (char *) p);
    if (json == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, status, json);
}
