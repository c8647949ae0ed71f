
/*
 * Copyright (C) ngx_bedrud authors
 *
 * The revocation log mirror.  Redis keeps every revoked login session
 * ("family") in the sorted set bedrud:revlog, member "<fam> <expiry>"
 * scored by the revocation time in ms; and every role or status change,
 * member "u:<user id>:<version> <expiry>" (the user's access tokens of
 * older versions are stale).  Each worker reads the entries new
 * since its last read every second, and all of them again after each
 * (re)connect, into the shared zone's denylist, which the pipeline checks
 * on every request without a Redis round trip.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_REVLOG_EVERY   1000
#define NGX_HTTP_BEDRUD_REVLOG_BATCH   1000


typedef struct {
    ngx_event_t                 timer;
    ngx_pool_t                 *pool;      /* of the read in flight */
    ngx_log_t                  *log;
    u_char                      from[32];  /* the score to read from */
} ngx_http_bedrud_revlog_t;


static void ngx_http_bedrud_revlog_ready(void);
static void ngx_http_bedrud_revlog_timer(ngx_event_t *ev);
static void ngx_http_bedrud_revlog_read(void);
static void ngx_http_bedrud_revlog_handler(ngx_http_bedrud_reply_t *reply,
    void *data);
static ngx_uint_t ngx_http_bedrud_revlog_mirror(
    ngx_http_bedrud_reply_t *reply);
static void ngx_http_bedrud_revlog_checked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* per worker process */
static ngx_http_bedrud_revlog_t  ngx_http_bedrud_revlog;


ngx_int_t
ngx_http_bedrud_revlog_init_process(ngx_cycle_t *cycle)
{
    ngx_http_bedrud_revlog_t     *rl;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_bedrud_module);

    if (bmcf == NULL || !ngx_http_bedrud_redis_configured(bmcf)) {
        return NGX_OK;
    }

    rl = &ngx_http_bedrud_revlog;
    ngx_memzero(rl, sizeof(ngx_http_bedrud_revlog_t));

    rl->log = cycle->log;
    ngx_memcpy(rl->from, "-inf", sizeof("-inf"));

    rl->timer.handler = ngx_http_bedrud_revlog_timer;
    rl->timer.log = cycle->log;
    rl->timer.data = rl;
    rl->timer.cancelable = 1;

    ngx_http_bedrud_redis_on_ready(ngx_http_bedrud_revlog_ready);

    ngx_add_timer(&rl->timer, NGX_HTTP_BEDRUD_REVLOG_EVERY);

    return NGX_OK;
}


void
ngx_http_bedrud_revlog_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_bedrud_revlog.timer.timer_set) {
        ngx_del_timer(&ngx_http_bedrud_revlog.timer);
    }
}


/* a reconnect may have missed revocations: read the whole log again */

static void
ngx_http_bedrud_revlog_ready(void)
{
    ngx_memcpy(ngx_http_bedrud_revlog.from, "-inf", sizeof("-inf"));

    ngx_http_bedrud_revlog_read();
}


static void
ngx_http_bedrud_revlog_timer(ngx_event_t *ev)
{
    if (ngx_exiting) {
        return;
    }

    ngx_http_bedrud_revlog_read();

    ngx_add_timer(ev, NGX_HTTP_BEDRUD_REVLOG_EVERY);
}


static void
ngx_http_bedrud_revlog_read(void)
{
    ngx_str_t                  argv[8];
    ngx_http_bedrud_revlog_t  *rl;

    rl = &ngx_http_bedrud_revlog;

    if (rl->pool) {
        /* one read at a time */
        return;
    }

    rl->pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, rl->log);
    if (rl->pool == NULL) {
        return;
    }

    ngx_str_set(&argv[0], "ZRANGEBYSCORE");
    ngx_str_set(&argv[1], NGX_HTTP_BEDRUD_REVLOG_KEY);
    argv[2].data = rl->from;
    argv[2].len = ngx_strlen(rl->from);
    ngx_str_set(&argv[3], "+inf");
    ngx_str_set(&argv[4], "WITHSCORES");
    ngx_str_set(&argv[5], "LIMIT");
    ngx_str_set(&argv[6], "0");
    argv[7].data = (u_char *) ngx_value(NGX_HTTP_BEDRUD_REVLOG_BATCH);
    argv[7].len = sizeof(ngx_value(NGX_HTTP_BEDRUD_REVLOG_BATCH)) - 1;

    if (ngx_http_bedrud_redis_command(rl->pool, 8, argv,
                                      ngx_http_bedrud_revlog_handler, rl)
        != NGX_OK)
    {
        ngx_destroy_pool(rl->pool);
        rl->pool = NULL;
    }
}


static void
ngx_http_bedrud_revlog_handler(ngx_http_bedrud_reply_t *reply, void *data)
{
    ngx_http_bedrud_revlog_t  *rl = data;

    ngx_uint_t  n;

    n = ngx_http_bedrud_revlog_mirror(reply);

    ngx_destroy_pool(rl->pool);
    rl->pool = NULL;

    if (n == NGX_HTTP_BEDRUD_REVLOG_BATCH) {
        /* more to read: do not wait for the next tick */
        ngx_http_bedrud_revlog_read();
    }
}


/* Revokes the entries of a ZRANGEBYSCORE WITHSCORES reply; their number. */

static ngx_uint_t
ngx_http_bedrud_revlog_mirror(ngx_http_bedrud_reply_t *reply)
{
    u_char                   *sp;
    time_t                    exp;
    ngx_str_t                 id, *m, *s;
    ngx_uint_t                i, n;
    ngx_http_bedrud_revlog_t *rl;

    rl = &ngx_http_bedrud_revlog;

    if (reply == NULL || reply->type != NGX_HTTP_BEDRUD_REPLY_ARRAY) {
        return 0;
    }

    n = reply->nelts / 2;

    for (i = 0; i < n; i++) {
        m = ngx_http_bedrud_reply_str(reply, 2 * i);
        s = ngx_http_bedrud_reply_str(reply, 2 * i + 1);

        if (m == NULL || s == NULL) {
            continue;
        }

        /* member: "<family id> <expiry>" */

        sp = ngx_strlchr(m->data, m->data + m->len, ' ');
        if (sp == NULL) {
            continue;
        }

        id.data = m->data;
        id.len = sp - id.data;

        exp = ngx_atotm(sp + 1, m->data + m->len - sp - 1);
        if (exp == NGX_ERROR || id.len == 0) {
            continue;
        }

        ngx_http_bedrud_shm_revoke(&id, exp);

        /* inclusive: an entry added in the same millisecond is not lost */
        if (s->len < sizeof(rl->from)) {
            ngx_memcpy(rl->from, s->data, s->len);
            rl->from[s->len] = '\0';
        }
    }

    return n;
}


/*
 * The families listed from element "from" of a Redis function's reply,
 * denied on this node at once (the others learn it from the log); their
 * number.
 */

ngx_uint_t
ngx_http_bedrud_revlog_revoke(ngx_http_bedrud_reply_t *reply, ngx_uint_t from,
    time_t exp)
{
    ngx_str_t   *fam;
    ngx_uint_t   i, n;

    n = 0;

    for (i = from; i < reply->nelts; i++) {
        fam = ngx_http_bedrud_reply_str(reply, i);

        if (fam) {
            ngx_http_bedrud_shm_revoke(fam, exp);
            n++;
        }
    }

    return n;
}


/*
 * A role or status change: element 1 of the Redis function's reply is
 * the user's new token version, and this node refuses the user's older
 * access tokens at once (the others learn it from the log).
 */

void
ngx_http_bedrud_revlog_stale(ngx_str_t *uid, ngx_http_bedrud_reply_t *reply,
    time_t exp)
{
    ngx_str_t                 id;
    ngx_http_bedrud_reply_t  *ver;
    u_char                    buf[NGX_HTTP_BEDRUD_STALE_ID_LEN];

    ver = ngx_http_bedrud_reply_elt(reply, 1);

    if (ver == NULL || ver->type != NGX_HTTP_BEDRUD_REPLY_INTEGER
        || ver->integer <= 0
        || ngx_http_bedrud_stale_id(uid, (uint64_t) ver->integer, buf, &id)
           != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_shm_revoke(&id, exp);
}


/*
 * The zone could not vouch for a token (revocations were evicted from
 * it, ngx_http_bedrud_shm.c): Redis, where every revocation lives, does.
 * The token's login session must still exist, and its version must be
 * the user's; then the route's handler runs, else 401.
 */

void
ngx_http_bedrud_revlog_check(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t              session[2], version[3];
    ngx_http_bedrud_cmd_t  cmds[2];

    ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REVOKED_CHECKED);

    ngx_str_set(&session[0], "EXISTS");
    ngx_str_set(&version[0], "HGET");
    ngx_str_set(&version[2], "tokv");

    if (ngx_http_bedrud_session_key(r->pool, &ctx->claims.user_id,
                                    &ctx->claims.fam, &session[1])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER,
                               &ctx->claims.user_id, &version[1])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    cmds[0].argc = 2;
    cmds[0].argv = session;
    cmds[1].argc = 3;
    cmds[1].argv = version;

    ngx_http_bedrud_query(r, ctx, cmds, 2, ngx_http_bedrud_revlog_checked);
}


static void
ngx_http_bedrud_revlog_checked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    off_t                     v;
    ngx_str_t                 h;
    ngx_http_bedrud_reply_t  *session, *version;

    session = ctx->replies[0];
    version = ctx->replies[1];

    v = 0;

    if (version->type == NGX_HTTP_BEDRUD_REPLY_STRING) {
        v = ngx_atoof(version->str.data, version->str.len);
    }

    if (session->type != NGX_HTTP_BEDRUD_REPLY_INTEGER
        || session->integer != 1
        || v == NGX_ERROR
        || (uint64_t) v > ctx->claims.version)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: revoked token used (checked in Redis)");

        /* a route that reads its own body (an upload) has not yet */
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        ngx_str_set(&h, "Bearer error=\"invalid_token\"");
        (void) ngx_http_bedrud_add_header(r, "WWW-Authenticate", &h);
        ngx_http_bedrud_error(r, NGX_HTTP_UNAUTHORIZED, "Invalid token");
        return;
    }

    ctx->route->handler(r, ctx);
}
