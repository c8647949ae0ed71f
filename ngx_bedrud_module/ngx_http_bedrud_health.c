
/*
 * Copyright (C) ngx_bedrud authors
 *
 * GET /api/health: whether Redis answers and holds our functions.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


static void ngx_http_bedrud_health_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* one pipelined round trip: PING and FUNCTION LIST */

void
ngx_http_bedrud_health(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t              ping[1], list[4];
    ngx_http_bedrud_cmd_t  cmds[2];

    if (ngx_http_bedrud_redis_ready() != NGX_OK) {
        ngx_http_bedrud_send(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                             json_pack("{sssIss}", "status", "unhealthy",
                                       "time", (json_int_t) ngx_time(),
                                       "redis", "down"));
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

    ngx_http_bedrud_query(r, ctx, cmds, 2, ngx_http_bedrud_health_done);
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
