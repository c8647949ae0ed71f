
/*
 * Copyright (C) ngx_bedrud authors
 *
 * One hiredis async connection per worker, driven by nginx's event loop.
 *
 * States: DISCONNECTED -> CONNECTING (TCP connect and handshake: AUTH,
 * SELECT, FUNCTION LOAD) -> READY -> DISCONNECTED.  A watchdog timer
 * bounds connects, detects a Redis that stopped answering and pings an
 * idle connection.  Reconnects back off exponentially.
 *
 * This layer reports to its callers and never answers a request itself.
 * A request's commands are refused at once when there is no connection;
 * while one is being made, they queue behind the handshake.  They are
 * tracked by a tracker allocated outside the request pool, because
 * hiredis may call back after the request is gone (then the tracker is
 * orphaned and freed on the last reply).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_RS_DISCONNECTED  0
#define NGX_HTTP_BEDRUD_RS_CONNECTING    1
#define NGX_HTTP_BEDRUD_RS_READY         2

#define NGX_HTTP_BEDRUD_BACKOFF_MIN      100
#define NGX_HTTP_BEDRUD_BACKOFF_MAX      5000
#define NGX_HTTP_BEDRUD_PING_IDLE        5000


struct ngx_http_bedrud_tracker_s {
    ngx_http_request_t            *r;       /* NULL once orphaned */
    ngx_http_bedrud_redis_done_pt  done;
    ngx_uint_t                     pending;
    ngx_uint_t                     index;
    unsigned                       failed:1;
};


/* a command outside any request */
typedef struct {
    ngx_pool_t                        *pool;
    ngx_http_bedrud_redis_handler_pt   handler;
    void                              *data;
} ngx_http_bedrud_redis_command_t;


typedef struct {
    redisAsyncContext             *ac;
    ngx_connection_t              *conn;
    ngx_uint_t                     state;
    ngx_event_t                    reconnect;
    ngx_event_t                    watchdog;
    ngx_msec_t                     backoff;
    ngx_msec_t                     connect_start;
    ngx_msec_t                     last_io;     /* last reply or send */
    ngx_uint_t                     inflight;
    ngx_http_bedrud_main_conf_t   *bmcf;
    ngx_log_t                     *log;
    ngx_http_bedrud_redis_ready_pt ready;
    unsigned                       handshake_failed:1;
    unsigned                       exiting:1;
} ngx_http_bedrud_redis_t;


static void ngx_http_bedrud_redis_connect(void);
static void ngx_http_bedrud_redis_handshake(
    ngx_http_bedrud_main_conf_t *bmcf);
static void ngx_http_bedrud_redis_schedule(void);
static void ngx_http_bedrud_redis_drop(const char *why);
static void ngx_http_bedrud_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_bedrud_redis_watchdog_handler(ngx_event_t *ev);
static void ngx_http_bedrud_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_bedrud_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_bedrud_redis_handshake_cb(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_bedrud_redis_command_cb(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_bedrud_redis_ping_cb(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_bedrud_redis_cmd_cb(redisAsyncContext *ac,
    void *reply, void *privdata);
static ngx_int_t ngx_http_bedrud_redis_send(redisCallbackFn *fn,
    void *privdata, ngx_uint_t argc, ngx_str_t *argv);
static ngx_http_bedrud_reply_t *ngx_http_bedrud_redis_copy(ngx_pool_t *pool,
    redisReply *reply, ngx_uint_t depth);
static void ngx_http_bedrud_redis_timeout(ngx_event_t *ev);
static void ngx_http_bedrud_redis_cleanup(void *data);

static void ngx_http_bedrud_redis_add_read(void *data);
static void ngx_http_bedrud_redis_del_read(void *data);
static void ngx_http_bedrud_redis_add_write(void *data);
static void ngx_http_bedrud_redis_del_write(void *data);
static void ngx_http_bedrud_redis_ev_cleanup(void *data);
static void ngx_http_bedrud_redis_read_handler(ngx_event_t *ev);
static void ngx_http_bedrud_redis_write_handler(ngx_event_t *ev);


/* per worker process: the connection belongs to the process, not a cycle */
static ngx_http_bedrud_redis_t  ngx_http_bedrud_rd;


ngx_int_t
ngx_http_bedrud_redis_init_process(ngx_cycle_t *cycle)
{
    ngx_http_bedrud_redis_t      *rd;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_bedrud_module);

    /*
     * Without functions the handshake could never complete, and nothing
     * would use the connection: bedrud_api requires them.
     */

    if (bmcf == NULL
        || (bmcf->redis_host.len == 0 && bmcf->redis_unix.len == 0)
        || bmcf->redis_functions == NULL)
    {
        return NGX_OK;
    }

    rd = &ngx_http_bedrud_rd;
    ngx_memzero(rd, sizeof(ngx_http_bedrud_redis_t));

    rd->bmcf = bmcf;
    rd->log = cycle->log;
    rd->backoff = NGX_HTTP_BEDRUD_BACKOFF_MIN;

    rd->reconnect.handler = ngx_http_bedrud_redis_reconnect_handler;
    rd->reconnect.log = cycle->log;
    rd->reconnect.data = rd;
    rd->reconnect.cancelable = 1;

    rd->watchdog.handler = ngx_http_bedrud_redis_watchdog_handler;
    rd->watchdog.log = cycle->log;
    rd->watchdog.data = rd;
    rd->watchdog.cancelable = 1;

    ngx_http_bedrud_redis_connect();

    ngx_add_timer(&rd->watchdog, ngx_min(bmcf->redis_timeout, 250));

    return NGX_OK;
}


void
ngx_http_bedrud_redis_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    if (rd->bmcf == NULL) {
        return;
    }

    rd->exiting = 1;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    if (rd->watchdog.timer_set) {
        ngx_del_timer(&rd->watchdog);
    }

    if (rd->ac != NULL) {
        /* pending callbacks get NULL replies; the fd is closed by hiredis */
        redisAsyncFree(rd->ac);
        rd->ac = NULL;
    }

    rd->state = NGX_HTTP_BEDRUD_RS_DISCONNECTED;
}


/* NGX_OK when connected or connecting */

ngx_int_t
ngx_http_bedrud_redis_ready(void)
{
    return ngx_http_bedrud_rd.state != NGX_HTTP_BEDRUD_RS_DISCONNECTED
           ? NGX_OK : NGX_DECLINED;
}


/* "handler" runs each time the connection becomes READY */

void
ngx_http_bedrud_redis_on_ready(ngx_http_bedrud_redis_ready_pt handler)
{
    ngx_http_bedrud_rd.ready = handler;
}


static void
ngx_http_bedrud_redis_connect(void)
{
    ngx_connection_t             *c;
    redisAsyncContext            *ac;
    ngx_http_bedrud_redis_t      *rd;
    ngx_http_bedrud_main_conf_t  *bmcf;

    rd = &ngx_http_bedrud_rd;
    bmcf = rd->bmcf;

    /* addresses are IP literals or paths: hiredis does no DNS lookup */

    if (bmcf->redis_unix.len) {
        ac = redisAsyncConnectUnix((char *) bmcf->redis_unix.data);

    } else {
        ac = redisAsyncConnect((char *) bmcf->redis_host.data,
                               bmcf->redis_port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "bedrud: redis connect failed: out of memory");
        ngx_http_bedrud_redis_schedule();
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "bedrud: redis connect failed: %s", ac->errstr);
        redisAsyncFree(ac);
        ngx_http_bedrud_redis_schedule();
        return;
    }

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_bedrud_redis_schedule();
        return;
    }

    c->data = ac;
    c->read->handler = ngx_http_bedrud_redis_read_handler;
    c->write->handler = ngx_http_bedrud_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;

    /* the hooks first: setting the connect callback already adds a write */

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_bedrud_redis_add_read;
    ac->ev.delRead = ngx_http_bedrud_redis_del_read;
    ac->ev.addWrite = ngx_http_bedrud_redis_add_write;
    ac->ev.delWrite = ngx_http_bedrud_redis_del_write;
    ac->ev.cleanup = ngx_http_bedrud_redis_ev_cleanup;

    rd->ac = ac;
    rd->conn = c;
    rd->state = NGX_HTTP_BEDRUD_RS_CONNECTING;
    rd->connect_start = ngx_current_msec;
    rd->last_io = ngx_current_msec;
    rd->inflight = 0;
    rd->handshake_failed = 0;

    redisAsyncSetConnectCallback(ac, ngx_http_bedrud_redis_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_bedrud_redis_disconnected);

    /* hiredis buffers the handshake until the connect completes */

    ngx_http_bedrud_redis_handshake(bmcf);
}


/* AUTH, SELECT, FUNCTION LOAD of each library: the last one marks READY */

static void
ngx_http_bedrud_redis_handshake(ngx_http_bedrud_main_conf_t *bmcf)
{
    ngx_str_t   argv[4], *libs;
    ngx_uint_t  i, n;
    u_char      db[NGX_INT_T_LEN];

    if (bmcf->redis_password.len) {
        ngx_str_set(&argv[0], "AUTH");
        argv[1] = bmcf->redis_password;

        if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_handshake_cb,
                                       NULL, 2, argv)
            != NGX_OK)
        {
            return;
        }
    }

    if (bmcf->redis_db) {
        ngx_str_set(&argv[0], "SELECT");
        argv[1].data = db;
        argv[1].len = ngx_sprintf(db, "%i", bmcf->redis_db) - db;

        if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_handshake_cb,
                                       NULL, 2, argv)
            != NGX_OK)
        {
            return;
        }
    }

    libs = bmcf->redis_functions->elts;
    n = bmcf->redis_functions->nelts;

    for (i = 0; i < n; i++) {
        ngx_str_set(&argv[0], "FUNCTION");
        ngx_str_set(&argv[1], "LOAD");
        ngx_str_set(&argv[2], "REPLACE");
        argv[3] = libs[i];

        /* a non-NULL privdata marks the last handshake step */

        if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_handshake_cb,
                                       i == n - 1 ? &ngx_http_bedrud_rd
                                                  : NULL,
                                       4, argv)
            != NGX_OK)
        {
            return;
        }
    }
}


static void
ngx_http_bedrud_redis_schedule(void)
{
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    rd->state = NGX_HTTP_BEDRUD_RS_DISCONNECTED;

    if (rd->exiting || ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (rd->reconnect.timer_set) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "bedrud: redis reconnect in %M ms", rd->backoff);

    ngx_add_timer(&rd->reconnect, rd->backoff);

    rd->backoff = ngx_min(rd->backoff * 2, NGX_HTTP_BEDRUD_BACKOFF_MAX);
}


/*
 * Frees the connection from outside hiredis callbacks (a timer).  Every
 * pending callback gets a NULL reply: waiting requests learn that there
 * is no answer.
 */

static void
ngx_http_bedrud_redis_drop(const char *why)
{
    redisAsyncContext        *ac;
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    ngx_log_error(NGX_LOG_ERR, rd->log, 0, "bedrud: redis %s", why);

    ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_RECONNECT);

    ac = rd->ac;
    rd->ac = NULL;
    rd->state = NGX_HTTP_BEDRUD_RS_DISCONNECTED;

    if (ac != NULL) {
        redisAsyncFree(ac);
    }

    ngx_http_bedrud_redis_schedule();
}


static void
ngx_http_bedrud_redis_reconnect_handler(ngx_event_t *ev)
{
    if (ngx_http_bedrud_rd.exiting || ngx_exiting) {
        return;
    }

    ngx_http_bedrud_redis_connect();
}


static void
ngx_http_bedrud_redis_watchdog_handler(ngx_event_t *ev)
{
    ngx_msec_t                    limit;
    ngx_str_t                     argv[1];
    ngx_http_bedrud_redis_t      *rd;

    rd = ev->data;

    if (rd->exiting || ngx_exiting) {
        return;
    }

    limit = ngx_max(rd->bmcf->redis_timeout * 2, 1000);

    switch (rd->state) {

    case NGX_HTTP_BEDRUD_RS_CONNECTING:
        if (ngx_current_msec - rd->connect_start > limit) {
            ngx_http_bedrud_redis_drop("connect timed out");
        }
        break;

    case NGX_HTTP_BEDRUD_RS_READY:

        /* replies come in order: one stuck reply stalls all later ones */

        if (rd->inflight && ngx_current_msec - rd->last_io > limit) {
            ngx_http_bedrud_redis_drop("stopped answering");
            break;
        }

        if (rd->inflight == 0
            && ngx_current_msec - rd->last_io > NGX_HTTP_BEDRUD_PING_IDLE)
        {
            /* finds half-open connections */
            ngx_str_set(&argv[0], "PING");

            if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_ping_cb,
                                           NULL, 1, argv)
                == NGX_OK)
            {
                rd->inflight++;
            }
        }

        break;

    default:
        break;
    }

    ngx_add_timer(ev, ngx_min(rd->bmcf->redis_timeout, 250));
}


static void
ngx_http_bedrud_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    if (status == REDIS_OK) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "bedrud: redis connected");
        rd->last_io = ngx_current_msec;
        return;
    }

    /* hiredis frees the context itself after this callback */

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "bedrud: redis connect failed: %s", ac->errstr);

    if (rd->ac == ac) {
        rd->ac = NULL;
        ngx_http_bedrud_redis_schedule();
    }
}


static void
ngx_http_bedrud_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    if (rd->ac != ac) {
        /* dropped by us: already rescheduled */
        return;
    }

    if (!rd->exiting) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "bedrud: redis connection lost%s%s",
                      status == REDIS_OK ? "" : ": ",
                      status == REDIS_OK ? "" : ac->errstr);
        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_RECONNECT);
    }

    rd->ac = NULL;
    ngx_http_bedrud_redis_schedule();
}


static void
ngx_http_bedrud_redis_handshake_cb(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply               *rr;
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;
    rr = reply;

    if (rr == NULL || rd->ac != ac) {
        return;
    }

    rd->last_io = ngx_current_msec;

    if (rr->type == REDIS_REPLY_ERROR) {
        /*
         * Wrong password, bad db, an old Redis without functions, ...
         * The first error says why; the queued steps after it only fail
         * with NOAUTH and the like.
         */

        if (!rd->handshake_failed) {
            rd->handshake_failed = 1;

            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "bedrud: redis handshake failed: %*s",
                          (size_t) rr->len, rr->str);
            ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_ERROR);

            /* not freed here (inside a callback): hiredis disconnects */
            redisAsyncDisconnect(ac);
        }

        return;
    }

    if (privdata == NULL) {
        return;
    }

    rd->state = NGX_HTTP_BEDRUD_RS_READY;
    rd->backoff = NGX_HTTP_BEDRUD_BACKOFF_MIN;

    ngx_log_error(NGX_LOG_INFO, rd->log, 0, "bedrud: redis ready");

    if (rd->ready) {
        rd->ready();
    }
}


static void
ngx_http_bedrud_redis_ping_cb(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    rd->inflight--;
    rd->last_io = ngx_current_msec;
}


static ngx_int_t
ngx_http_bedrud_redis_send(redisCallbackFn *fn, void *privdata,
    ngx_uint_t argc, ngx_str_t *argv)
{
    ngx_uint_t                i;
    ngx_http_bedrud_redis_t  *rd;
    const char               *args[32];
    size_t                    lens[32];

    rd = &ngx_http_bedrud_rd;

    if (rd->ac == NULL || argc > 32) {
        return NGX_ERROR;
    }

    for (i = 0; i < argc; i++) {
        args[i] = (const char *) argv[i].data;
        lens[i] = argv[i].len;
    }

    /* argv with explicit lengths: no format strings, NUL bytes are safe */

    if (redisAsyncCommandArgv(rd->ac, fn, privdata, (int) argc, args, lens)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    if (rd->inflight == 0) {
        rd->last_io = ngx_current_msec;
    }

    return NGX_OK;
}


/*
 * Sends a request's commands.  NGX_OK: "done" runs once the last reply is
 * in (they are in ctx->replies), or when there will be none.  NGX_DECLINED:
 * there is no connection; NGX_ERROR: no memory.  "done" then never runs.
 */

ngx_int_t
ngx_http_bedrud_redis_request(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_cmd_t *cmds, ngx_uint_t n,
    ngx_http_bedrud_redis_done_pt done)
{
    ngx_uint_t                  i;
    ngx_pool_cleanup_t         *cln;
    ngx_http_bedrud_tracker_t  *t;
    ngx_http_bedrud_redis_t    *rd;

    rd = &ngx_http_bedrud_rd;

    /*
     * While connecting, commands queue behind the handshake (hiredis keeps
     * their order): a request right after a (re)start waits a little
     * instead of failing.  Its timer still bounds the wait.
     */

    if (rd->state == NGX_HTTP_BEDRUD_RS_DISCONNECTED || n == 0
        || n > NGX_HTTP_BEDRUD_MAX_CMDS)
    {
        return NGX_DECLINED;
    }

    if (ctx->timer.handler == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_bedrud_redis_cleanup;
        cln->data = r;

        ctx->timer.handler = ngx_http_bedrud_redis_timeout;
        ctx->timer.data = r;
        ctx->timer.log = r->connection->log;
    }

    /* outlives the request if need be: not from the request pool */

    t = ngx_calloc(sizeof(ngx_http_bedrud_tracker_t), r->connection->log);
    if (t == NULL) {
        return NGX_ERROR;
    }

    t->r = r;
    t->done = done;

    for (i = 0; i < n; i++) {
        if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_cmd_cb, t,
                                       cmds[i].argc, cmds[i].argv)
            != NGX_OK)
        {
            break;
        }

        t->pending++;
        rd->inflight++;
    }

    if (t->pending == 0) {
        ngx_free(t);
        return NGX_DECLINED;
    }

    if (i < n) {
        /* the sent ones still call back: let them find an orphan */
        t->r = NULL;
        return NGX_DECLINED;
    }

    ctx->tracker = t;
    ctx->nreplies = 0;

    ngx_add_timer(&ctx->timer, rd->bmcf->redis_timeout);

    return NGX_OK;
}


/* FCALL function nkeys key... arg...: args holds the keys, then the args */

ngx_int_t
ngx_http_bedrud_redis_fcall(ngx_pool_t *pool, const char *function,
    ngx_uint_t nkeys, ngx_uint_t nargs, ngx_str_t *args,
    ngx_http_bedrud_cmd_t *cmd)
{
    u_char     *p;
    ngx_str_t  *argv;

    argv = ngx_palloc(pool, (nargs + 3) * sizeof(ngx_str_t));
    p = ngx_pnalloc(pool, NGX_INT_T_LEN);

    if (argv == NULL || p == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&argv[0], "FCALL");
    argv[1].data = (u_char *) function;
    argv[1].len = ngx_strlen(function);
    argv[2].data = p;
    argv[2].len = ngx_sprintf(p, "%ui", nkeys) - p;

    ngx_memcpy(&argv[3], args, nargs * sizeof(ngx_str_t));

    cmd->argc = nargs + 3;
    cmd->argv = argv;

    return NGX_OK;
}


/*
 * A command of no request, on a READY connection only: "handler" gets its
 * reply copied into "pool", or NULL when there is none.  NGX_DECLINED: not
 * READY; NGX_ERROR: not sent.  "handler" runs only after NGX_OK.
 */

ngx_int_t
ngx_http_bedrud_redis_command(ngx_pool_t *pool, ngx_uint_t argc,
    ngx_str_t *argv, ngx_http_bedrud_redis_handler_pt handler, void *data)
{
    ngx_http_bedrud_redis_t          *rd;
    ngx_http_bedrud_redis_command_t  *cmd;

    rd = &ngx_http_bedrud_rd;

    if (rd->state != NGX_HTTP_BEDRUD_RS_READY) {
        return NGX_DECLINED;
    }

    cmd = ngx_palloc(pool, sizeof(ngx_http_bedrud_redis_command_t));
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    cmd->pool = pool;
    cmd->handler = handler;
    cmd->data = data;

    if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_command_cb, cmd,
                                   argc, argv)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rd->inflight++;

    return NGX_OK;
}


static void
ngx_http_bedrud_redis_command_cb(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_bedrud_reply_t          *copy;
    ngx_http_bedrud_redis_t          *rd;
    ngx_http_bedrud_redis_command_t  *cmd;

    rd = &ngx_http_bedrud_rd;
    cmd = privdata;

    rd->inflight--;
    rd->last_io = ngx_current_msec;

    copy = reply ? ngx_http_bedrud_redis_copy(cmd->pool, reply, 0) : NULL;

    cmd->handler(copy, cmd->data);
}


static void
ngx_http_bedrud_redis_cmd_cb(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_int_t                       rc;
    ngx_uint_t                      i, nreplies, failed;
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_bedrud_ctx_t          *ctx;
    ngx_http_bedrud_reply_t        *copy;
    ngx_http_bedrud_tracker_t      *t;
    ngx_http_bedrud_redis_t        *rd;
    ngx_http_bedrud_redis_done_pt   done;

    rd = &ngx_http_bedrud_rd;
    t = privdata;

    rd->inflight--;
    rd->last_io = ngx_current_msec;
    t->pending--;

    r = t->r;

    if (r != NULL) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

        /*
         * A command sent while the handshake was still on its way is
         * answered after it; if the handshake failed (a wrong password),
         * its error (NOAUTH) says that Redis is unusable, not that the
         * request was wrong: 503, as for a Redis that is down.
         */

        if (reply == NULL || (rd->handshake_failed && ac == rd->ac)) {
            t->failed = 1;

        } else if (!t->failed) {
            copy = ngx_http_bedrud_redis_copy(r->pool, reply, 0);

            if (copy == NULL || t->index >= NGX_HTTP_BEDRUD_MAX_CMDS) {
                t->failed = 1;

            } else {
                ctx->replies[t->index++] = copy;
            }
        }
    }

    if (t->pending) {
        return;
    }

    failed = t->failed;
    nreplies = t->index;
    done = t->done;

    ngx_free(t);

    if (r == NULL) {
        return;
    }

    c = r->connection;

    ctx->tracker = NULL;
    ctx->nreplies = nreplies;

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    ngx_http_set_log_request(c->log, r);

    rc = NGX_OK;

    if (failed) {
        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_ERROR);
        rc = NGX_DECLINED;
    }

    for (i = 0; rc == NGX_OK && i < ctx->nreplies; i++) {
        if (ctx->replies[i]->type == NGX_HTTP_BEDRUD_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, c->log, 0,
                          "bedrud: redis error: %V", &ctx->replies[i]->str);
            ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_ERROR);
            rc = NGX_ERROR;
        }
    }

    done(r, ctx, rc);

    ngx_http_run_posted_requests(c);
}


static ngx_http_bedrud_reply_t *
ngx_http_bedrud_redis_copy(ngx_pool_t *pool, redisReply *reply,
    ngx_uint_t depth)
{
    size_t                    i;
    ngx_http_bedrud_reply_t  *rep;

    if (depth > 8) {
        return NULL;
    }

    rep = ngx_pcalloc(pool, sizeof(ngx_http_bedrud_reply_t));
    if (rep == NULL) {
        return NULL;
    }

    rep->type = reply->type;

    switch (reply->type) {

    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        rep->str.len = reply->len;
        rep->str.data = ngx_pnalloc(pool, reply->len + 1);
        if (rep->str.data == NULL) {
            return NULL;
        }

        ngx_memcpy(rep->str.data, reply->str, reply->len);
        rep->str.data[reply->len] = '\0';
        break;

    case REDIS_REPLY_INTEGER:
        rep->integer = reply->integer;
        break;

    case REDIS_REPLY_ARRAY:
        rep->nelts = reply->elements;

        if (rep->nelts == 0) {
            break;
        }

        rep->elts = ngx_palloc(pool, rep->nelts * sizeof(void *));
        if (rep->elts == NULL) {
            return NULL;
        }

        for (i = 0; i < reply->elements; i++) {
            rep->elts[i] = ngx_http_bedrud_redis_copy(pool, reply->element[i],
                                                      depth + 1);
            if (rep->elts[i] == NULL) {
                return NULL;
            }
        }

        break;

    default:
        rep->type = NGX_HTTP_BEDRUD_REPLY_NIL;
        break;
    }

    return rep;
}


ngx_http_bedrud_reply_t *
ngx_http_bedrud_reply_elt(ngx_http_bedrud_reply_t *reply, ngx_uint_t i)
{
    if (reply == NULL || reply->type != NGX_HTTP_BEDRUD_REPLY_ARRAY
        || i >= reply->nelts)
    {
        return NULL;
    }

    return reply->elts[i];
}


/* Element i of an array reply if it is a string, else NULL. */

ngx_str_t *
ngx_http_bedrud_reply_str(ngx_http_bedrud_reply_t *reply, ngx_uint_t i)
{
    ngx_http_bedrud_reply_t  *elt;

    elt = ngx_http_bedrud_reply_elt(reply, i);

    if (elt == NULL || elt->type != NGX_HTTP_BEDRUD_REPLY_STRING) {
        return NULL;
    }

    return &elt->str;
}


/* Is the reply an array whose first element is the status word given? */

ngx_int_t
ngx_http_bedrud_reply_is(ngx_http_bedrud_reply_t *reply, const char *status)
{
    size_t                    len;
    ngx_http_bedrud_reply_t  *first;

    first = ngx_http_bedrud_reply_elt(reply, 0);

    if (first == NULL || first->type != NGX_HTTP_BEDRUD_REPLY_STRING) {
        return 0;
    }

    len = ngx_strlen(status);

    return first->str.len == len
           && ngx_strncmp(first->str.data, status, len) == 0;
}


static void
ngx_http_bedrud_redis_timeout(ngx_event_t *ev)
{
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_bedrud_ctx_t          *ctx;
    ngx_http_bedrud_redis_done_pt   done;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    ngx_http_set_log_request(c->log, r);

    ngx_log_error(NGX_LOG_ERR, c->log, 0, "bedrud: redis command timed out");

    ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_TIMEOUT);

    if (ctx->tracker == NULL) {
        /* the timer is set only while a tracker is */
        return;
    }

    /* the replies still come: the tracker, orphaned, is freed then */

    done = ctx->tracker->done;
    ctx->tracker->r = NULL;
    ctx->tracker = NULL;

    done(r, ctx, NGX_DECLINED);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_bedrud_redis_cleanup(void *data)
{
    ngx_http_request_t     *r = data;

    ngx_http_bedrud_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);
    if (ctx == NULL) {
        return;
    }

    if (ctx->tracker) {
        ctx->tracker->r = NULL;
        ctx->tracker = NULL;
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }
}


/* hiredis event hooks: level-triggered, idempotent */

static void
ngx_http_bedrud_redis_add_read(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->read->active) {
        (void) ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_bedrud_redis_del_read(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_bedrud_redis_add_write(void *data)
{
    ngx_connection_t  *c = data;

    if (!c->write->active) {
        (void) ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_bedrud_redis_del_write(void *data)
{
    ngx_connection_t  *c = data;

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


/*
 * What ngx_close_connection() does, minus close(): hiredis closes the fd
 * itself right after this hook.
 */

static void
ngx_http_bedrud_redis_ev_cleanup(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);

    /* a stale event of this epoll round sees fd -1 and is skipped */
    c->fd = (ngx_socket_t) -1;

    if (ngx_http_bedrud_rd.conn == c) {
        ngx_http_bedrud_rd.conn = NULL;
    }
}


static void
ngx_http_bedrud_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c;

    c = ev->data;

    redisAsyncHandleRead(c->data);
}


static void
ngx_http_bedrud_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c;

    c = ev->data;

    redisAsyncHandleWrite(c->data);
}
