
/*
 * Copyright (C) ngx_bedrud authors
 *
 * GET /api/health: whether Redis answers and holds our functions.  A
 * health check that finds no connection has one tried, as any request
 * does: a node a load balancer took out of rotation comes back as soon
 * as Redis does.  No answer is "down", not the generic 503.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


static void ngx_http_bedrud_health_redis(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_int_t rc);
static void ngx_http_bedrud_health_down(ngx_http_request_t *r);
static void ngx_http_bedrud_health_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* one pipelined round trip: PING and FUNCTION LIST */

void
ngx_http_bedrud_health(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_str_t              ping[1], list[4];
    ngx_http_bedrud_cmd_t  cmds[2];

    if (ngx_http_bedrud_redis_ready() != NGX_OK) {
        ngx_http_bedrud_health_down(r);
        return;
    }

    ngx_str_set(&ping[0], "PING");

    ngx_str_set(&list[0], "FUNCTION");
    ngx_str_set(&list[1], "LIST");
    ngx_str_set(&list[2], "LIBRARYNAME");
    ngx_str_set(&list[3], "bedrud");

    cmds[0].argc = 1;
    cmds[0].argv = ping;
    cmds[1].argc = 4;
    cmds[1].argv = list;

    rc = ngx_http_bedrud_redis_request(r, ctx, cmds, 2,
                                       ngx_http_bedrud_health_redis);

    if (rc != NGX_OK) {
        ngx_http_bedrud_health_redis(r, ctx, rc);
    }
}


static void
ngx_http_bedrud_health_redis(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_int_t rc)
{
    switch (rc) {

    case NGX_OK:
        ngx_http_bedrud_health_done(r, ctx);
        return;

    case NGX_DECLINED:
        ngx_http_bedrud_health_down(r);
        return;

    default:
        ngx_http_bedrud_internal_error(r);
        return;
    }
}


static void
ngx_http_bedrud_health_down(ngx_http_request_t *r)
{
    ngx_http_bedrud_send(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                         json_pack("{sssIss}", "status", "unhealthy",
                                   "time", (json_int_t) ngx_time(),
                                   "redis", "down"));
}


static void
ngx_http_bedrud_health_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_uint_t                loaded;
    ngx_http_bedrud_reply_t  *libs;

    libs = ctx->replies[1];
    loaded = (libs->type == NGX_HTTP_BEDRUD_REPLY_ARRAY && libs->nelts > 0);

    if (!loaded) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: the Redis Functions libraries are not "
                      "loaded (FUNCTION FLUSH?); they return on reconnect");

        /* the handshake loads them (at most once a second) */
        ngx_http_bedrud_redis_reconnect("lost its functions");
    }

    ngx_http_bedrud_send(r, loaded ? NGX_HTTP_OK
                                   : NGX_HTTP_SERVICE_UNAVAILABLE,
                         json_pack("{sssIssss}",
                                   "status", loaded ? "healthy" : "unhealthy",
                                   "time", (json_int_t) ngx_time(),
                                   "redis", "up",
                                   "functions",
                                   loaded ? "loaded" : "missing"));
}
