
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Calls to LiveKit's RoomService (Twirp) after a moderation step.  A call
 * is an in-memory subrequest to the internal location named by
 * "bedrud_livekit_api", which proxies to LiveKit: nginx's upstream code
 * does the connecting, the timeouts and the keepalive, not ours.  The
 * location takes the request's headers and body from the variables
 * $bedrud_livekit_auth and $bedrud_livekit_body.
 *
 * A call never changes the answer: its outcome is logged, then the
 * request goes on with its next step.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


/* the tokens of server calls live for minutes, not hours */
#define NGX_HTTP_BEDRUD_LIVEKIT_API_TTL  600


/* the subrequest's context, also read by the variables */
typedef struct {
    ngx_str_t                   method;
    ngx_str_t                   auth;      /* "Bearer <jwt>" */
    ngx_str_t                   body;
    ngx_uint_t                  status;
    ngx_http_bedrud_step_pt     next;
    unsigned                    done:1;
    unsigned                    resumed:1;
} ngx_http_bedrud_livekit_call_t;


static ngx_http_request_body_t *ngx_http_bedrud_livekit_api_request_body(
    ngx_pool_t *pool, ngx_str_t *body);
static ngx_int_t ngx_http_bedrud_livekit_api_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static void ngx_http_bedrud_livekit_api_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_bedrud_livekit_api_token(ngx_http_request_t *r,
    ngx_str_t *room, ngx_uint_t admin, ngx_str_t *auth);
static ngx_int_t ngx_http_bedrud_livekit_api_body(ngx_pool_t *pool,
    ngx_str_t *room, ngx_str_t *identity, ngx_str_t *body);
static ngx_int_t ngx_http_bedrud_livekit_api_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_bedrud_livekit_api_vars[] = {

    { ngx_string("bedrud_livekit_auth"), NULL,
      ngx_http_bedrud_livekit_api_variable,
      offsetof(ngx_http_bedrud_livekit_call_t, auth),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("bedrud_livekit_body"), NULL,
      ngx_http_bedrud_livekit_api_variable,
      offsetof(ngx_http_bedrud_livekit_call_t, body),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/*
 * Calls RoomService's "method" for a room: with an identity, a
 * participant call ({"room","identity"}, a roomAdmin grant for that
 * room), without one a room call ({"room"}, a roomCreate grant, which
 * DeleteRoom needs).  Runs "next" once the call is over, whatever its
 * outcome, or at once when calls are off or there is no room name.
 */

void
ngx_http_bedrud_livekit_call(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *method, ngx_str_t *room,
    ngx_str_t *identity, ngx_http_bedrud_step_pt next)
{
    ngx_str_t                        uri;
    ngx_http_request_t              *sr;
    ngx_http_request_body_t         *rb;
    ngx_http_post_subrequest_t      *ps;
    ngx_http_bedrud_main_conf_t     *bmcf;
    ngx_http_bedrud_livekit_call_t  *call;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (bmcf->livekit_api.len == 0 || room == NULL || room->len == 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "bedrud: LiveKit %s skipped", method);
        next(r, ctx);
        return;
    }

    call = ngx_pcalloc(r->pool, sizeof(ngx_http_bedrud_livekit_call_t));
    if (call == NULL) {
        goto failed;
    }

    call->next = next;
    call->method.data = (u_char *) method;
    call->method.len = ngx_strlen(method);

    if (ngx_http_bedrud_livekit_api_token(r, room, identity != NULL,
                                          &call->auth)
        != NGX_OK
        || ngx_http_bedrud_livekit_api_body(r->pool, room, identity,
                                            &call->body)
           != NGX_OK)
    {
        goto failed;
    }

    /* "<prefix>/<Method>"; the prefix was stored without a trailing "/" */

    uri.len = bmcf->livekit_api.len + 1 + call->method.len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        goto failed;
    }

    ngx_sprintf(uri.data, "%V/%V", &bmcf->livekit_api, &call->method);

    /* all is allocated before the subrequest exists: then nothing fails */

    rb = ngx_http_bedrud_livekit_api_request_body(r->pool, &call->body);
    if (rb == NULL) {
        goto failed;
    }

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        goto failed;
    }

    ps->handler = ngx_http_bedrud_livekit_api_done;
    ps->data = call;

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        goto failed;
    }

    /*
     * headers_in is the subrequest's own copy of the parent's; the header
     * list in it, shared with the parent, stays untouched: the location
     * sets the headers LiveKit sees.
     */

    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");
    sr->request_body = rb;
    sr->headers_in.content_length_n = call->body.len;
    sr->headers_in.content_length = NULL;
    sr->headers_in.chunked = 0;

    ngx_http_set_ctx(sr, call, ngx_http_bedrud_module);
    ctx->call = call;

    /*
     * The parent is past its content phase: when the subrequest is done,
     * nginx posts the parent and runs its write handler.  Left as
     * ngx_http_core_run_phases(), that would run the route again.
     */

    r->write_event_handler = ngx_http_bedrud_livekit_api_resume;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "bedrud: LiveKit %s: %V", method, &call->body);

    return;

failed:

    /* the call is best effort: the step it follows has been done */

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "bedrud: LiveKit %s could not be started", method);

    next(r, ctx);
}


/*
 * A POST body in memory, so that a location without proxy_set_body works
 * too.
 */

static ngx_http_request_body_t *
ngx_http_bedrud_livekit_api_request_body(ngx_pool_t *pool, ngx_str_t *body)
{
    ngx_buf_t                *b;
    ngx_http_request_body_t  *rb;

    b = ngx_calloc_buf(pool);
    if (b == NULL) {
        return NULL;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;

    rb = ngx_pcalloc(pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NULL;
    }

    rb->bufs = ngx_alloc_chain_link(pool);
    if (rb->bufs == NULL) {
        return NULL;
    }

    rb->bufs->buf = b;
    rb->bufs->next = NULL;

    return rb;
}


/*
 * The subrequest's post handler: it may run twice (an upstream error,
 * then its error page), so it only records; the parent acts on it.
 */

static ngx_int_t
ngx_http_bedrud_livekit_api_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc)
{
    ngx_http_bedrud_livekit_call_t  *call = data;

    call->done = 1;

    if (r->headers_out.status) {
        call->status = r->headers_out.status;

    } else if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        call->status = rc;

    } else if (call->status == 0) {
        call->status = NGX_HTTP_BAD_GATEWAY;
    }

    return rc;
}


static void
ngx_http_bedrud_livekit_api_resume(ngx_http_request_t *r)
{
    ngx_http_bedrud_ctx_t           *ctx;
    ngx_http_bedrud_livekit_call_t  *call;

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    call = ctx->call;

    /* posted or woken before the call is over: keep waiting */

    if (call == NULL || !call->done || call->resumed) {
        return;
    }

    call->resumed = 1;
    ctx->call = NULL;

    r->write_event_handler = ngx_http_request_empty_handler;

    if (call->status >= 200 && call->status < 300) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: LiveKit %V done", &call->method);

    } else if (call->status == NGX_HTTP_NOT_FOUND) {
        /* RemoveParticipant: not connected; DeleteRoom: never started */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: LiveKit %V: not found", &call->method);

    } else {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "bedrud: LiveKit %V failed: %ui", &call->method,
                      call->status);
    }

    if (ctx->done) {
        return;
    }

    /* it replies and finalizes: nothing may touch r afterwards */

    call->next(r, ctx);
}


/*
 * A server token: {"iss":key,"nbf":now,"exp":now+600,"video":{...}} with
 * {"roomCreate":true} or {"roomAdmin":true,"room":name}, as "Bearer ...".
 */

static ngx_int_t
ngx_http_bedrud_livekit_api_token(ngx_http_request_t *r, ngx_str_t *room,
    ngx_uint_t admin, ngx_str_t *auth)
{
    u_char                       *p;
    size_t                        len;
    time_t                        now;
    ngx_str_t                     payload, jwt;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    now = ngx_time();

    len = sizeof("{\"iss\":\"\",\"nbf\":,\"exp\":,\"video\":"
                 "{\"roomAdmin\":true,\"room\":\"\"}}") - 1
          + ngx_http_bedrud_json_escape_len(&bmcf->livekit_key)
          + 2 * NGX_TIME_T_LEN
          + ngx_http_bedrud_json_escape_len(room);

    payload.data = ngx_pnalloc(r->pool, len);
    if (payload.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(payload.data, "{\"iss\":\"", sizeof("{\"iss\":\"") - 1);
    p = ngx_http_bedrud_json_escape(p, &bmcf->livekit_key);
    p = ngx_sprintf(p, "\",\"nbf\":%T,\"exp\":%T,\"video\":", now,
                    now + NGX_HTTP_BEDRUD_LIVEKIT_API_TTL);

    if (admin) {
        p = ngx_cpymem(p, "{\"roomAdmin\":true,\"room\":\"",
                       sizeof("{\"roomAdmin\":true,\"room\":\"") - 1);
        p = ngx_http_bedrud_json_escape(p, room);
        p = ngx_cpymem(p, "\"}}", sizeof("\"}}") - 1);

    } else {
        p = ngx_cpymem(p, "{\"roomCreate\":true}}",
                       sizeof("{\"roomCreate\":true}}") - 1);
    }

    payload.len = p - payload.data;

    if (ngx_http_bedrud_jwt_encode(r->pool, &bmcf->livekit_secret,
                                   payload.data, payload.len, &jwt)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    auth->len = sizeof("Bearer ") - 1 + jwt.len;
    auth->data = ngx_pnalloc(r->pool, auth->len);
    if (auth->data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(auth->data, "Bearer %V", &jwt);

    return NGX_OK;
}


/* {"room":name} or {"room":name,"identity":identity} */

static ngx_int_t
ngx_http_bedrud_livekit_api_body(ngx_pool_t *pool, ngx_str_t *room,
    ngx_str_t *identity, ngx_str_t *body)
{
    u_char  *p;
    size_t   len;

    len = sizeof("{\"room\":\"\",\"identity\":\"\"}") - 1
          + ngx_http_bedrud_json_escape_len(room)
          + (identity ? ngx_http_bedrud_json_escape_len(identity) : 0);

    body->data = ngx_pnalloc(pool, len);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(body->data, "{\"room\":\"", sizeof("{\"room\":\"") - 1);
    p = ngx_http_bedrud_json_escape(p, room);

    if (identity) {
        p = ngx_cpymem(p, "\",\"identity\":\"",
                       sizeof("\",\"identity\":\"") - 1);
        p = ngx_http_bedrud_json_escape(p, identity);
    }

    p = ngx_cpymem(p, "\"}", sizeof("\"}") - 1);

    body->len = p - body->data;

    return NGX_OK;
}


/*
 * $bedrud_livekit_auth and $bedrud_livekit_body: set in a call's
 * subrequest only.  The main request's context is of another type, and
 * other subrequests have none.
 */

static ngx_int_t
ngx_http_bedrud_livekit_api_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                       *s;
    ngx_http_bedrud_livekit_call_t  *call;

    call = (r == r->main) ? NULL
                          : ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    if (call == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((u_char *) call + data);

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_livekit_api_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_bedrud_livekit_api_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}
