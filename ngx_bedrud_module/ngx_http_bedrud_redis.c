
/*
 * Copyright (C) ngx_bedrud authors
 *
 * One hiredis async connection per worker, driven by nginx's event loop.
 *
 * States: DISCONNECTED -> CONNECTING (TCP connect and handshake: AUTH,
 * SELECT, FUNCTION LOAD) -> READY -> DISCONNECTED.  A watchdog timer
 * bounds connects, detects a Redis that stopped answering and pings an
 * idle connection.  Reconnects back off exponentially while nothing asks
 * for Redis; a request that finds no connection has one tried at once,
 * or within NGX_HTTP_BEDRUD_PROBE ms of the last try.
 *
 * With Sentinel, each connect first asks the sentinels for the primary
 * (ngx_http_bedrud_sentinel.c), the handshake checks with ROLE that the
 * node is one, and a failover they announce moves the connection.  A
 * READONLY answer (the node was demoted) or missing functions make it
 * reconnect.
 *
 * With bedrud_redis_wait, the writes of one event loop turn are followed
 * by one WAIT, and answered only once enough replicas have them.  When a
 * WAIT comes back short, writes are refused unsent (503: nothing happened)
 * until ROLE, asked every NGX_HTTP_BEDRUD_PROBE ms, lists enough replicas
 * again; reads go on meanwhile.
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

/* while requests ask: a connect at least this often (ms), not more */
#define NGX_HTTP_BEDRUD_PROBE            250


struct ngx_http_bedrud_tracker_s {
    ngx_http_request_t            *r;       /* NULL once orphaned */
    ngx_http_bedrud_redis_done_pt  done;
    ngx_uint_t                     pending;
    ngx_uint_t                     index;
    ngx_http_bedrud_tracker_t     *wait_next; /* in a WAIT's batch */
    ngx_str_t                     *fcalls;  /* while "unknown" (r's pool) */
    ngx_uint_t                     nfcalls;
    unsigned                       failed:1;
    unsigned                       unknown:1; /* writes? asked before the
                                                 function list came */
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
    ngx_msec_t                     attempt;     /* last connect (or ask) */
    ngx_msec_t                     ready_at;
    ngx_uint_t                     inflight;
    ngx_http_bedrud_main_conf_t   *bmcf;
    ngx_log_t                     *log;
    ngx_http_bedrud_redis_ready_pt ready;

    /* the node: bedrud_redis's, or the primary the sentinels name */
    char                          *host;
    in_port_t                      port;
    u_char                         primary[NGX_INET6_ADDRSTRLEN + 1];

    /* WAIT: the writes sent this turn, on this connection */
    ngx_http_bedrud_tracker_t     *wait_batch;
    redisAsyncContext             *wait_ac;
    ngx_event_t                    wait_event;
    ngx_event_t                    replicas_probe;

    /* the functions flagged no-writes (ngx_str_t), from FUNCTION LIST */
    ngx_pool_t                    *ro_pool;
    ngx_array_t                   *ro;

    unsigned                       handshake_failed:1;
    unsigned                       refused:1;   /* wrong credentials */
    unsigned                       no_replicas:1; /* writes refused */
    unsigned                       probing:1;   /* a ROLE on its way */
    unsigned                       waiting:1;   /* a WAIT on its way */
    unsigned                       discovering:1;
    unsigned                       discovered:1;
    unsigned                       exiting:1;
} ngx_http_bedrud_redis_t;


static void ngx_http_bedrud_redis_connect(void);
static void ngx_http_bedrud_redis_discovered(u_char *host, in_port_t port);
static void ngx_http_bedrud_redis_probe(void);
static void ngx_http_bedrud_redis_handshake(
    ngx_http_bedrud_main_conf_t *bmcf);
static ngx_int_t ngx_http_bedrud_redis_handshake_step(
    ngx_http_bedrud_redis_t *rd, redisReply *rr, void *privdata);
static void ngx_http_bedrud_redis_functions(ngx_http_bedrud_redis_t *rd,
    redisReply *list);
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
static ngx_int_t ngx_http_bedrud_redis_unavailable(redisAsyncContext *ac,
    redisReply *reply);
static void ngx_http_bedrud_redis_finish(ngx_http_bedrud_tracker_t *t);
static ngx_uint_t ngx_http_bedrud_redis_writes(ngx_http_bedrud_cmd_t *cmds,
    ngx_uint_t n);
static ngx_uint_t ngx_http_bedrud_redis_ro(ngx_str_t *fn);
static ngx_int_t ngx_http_bedrud_redis_fcalls(ngx_http_request_t *r,
    ngx_http_bedrud_tracker_t *t, ngx_http_bedrud_cmd_t *cmds, ngx_uint_t n);
static void ngx_http_bedrud_redis_wait_sort(ngx_http_bedrud_redis_t *rd);
static void ngx_http_bedrud_redis_wait_handler(ngx_event_t *ev);
static void ngx_http_bedrud_redis_wait_cb(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_bedrud_redis_wait_done(ngx_http_bedrud_tracker_t *t,
    ngx_uint_t ok);
static void ngx_http_bedrud_redis_replicas_handler(ngx_event_t *ev);
static void ngx_http_bedrud_redis_replicas_cb(redisAsyncContext *ac,
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

/* what a handshake step's reply says (its privdata) */
static u_char  ngx_http_bedrud_redis_step_role;
static u_char  ngx_http_bedrud_redis_step_list;
static u_char  ngx_http_bedrud_redis_step_last;


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

    if (bmcf == NULL || !ngx_http_bedrud_redis_configured(bmcf)
        || bmcf->redis_functions == NULL)
    {
        return NGX_OK;
    }

    rd = &ngx_http_bedrud_rd;
    ngx_memzero(rd, sizeof(ngx_http_bedrud_redis_t));

    rd->bmcf = bmcf;
    rd->log = cycle->log;
    rd->backoff = NGX_HTTP_BEDRUD_BACKOFF_MIN;
    rd->host = (char *) bmcf->redis_host.data;
    rd->port = bmcf->redis_port;

    rd->wait_event.handler = ngx_http_bedrud_redis_wait_handler;
    rd->wait_event.log = cycle->log;
    rd->wait_event.data = rd;

    rd->replicas_probe.handler = ngx_http_bedrud_redis_replicas_handler;
    rd->replicas_probe.log = cycle->log;
    rd->replicas_probe.data = rd;
    rd->replicas_probe.cancelable = 1;

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

    if (rd->wait_event.posted) {
        ngx_delete_posted_event(&rd->wait_event);
    }

    if (rd->replicas_probe.timer_set) {
        ngx_del_timer(&rd->replicas_probe);
    }

    if (rd->ac != NULL) {
        /* pending callbacks get NULL replies; the fd is closed by hiredis */
        redisAsyncFree(rd->ac);
        rd->ac = NULL;
    }

    /* writes whose WAIT was never sent */

    if (rd->wait_batch) {
        ngx_http_bedrud_redis_wait_done(rd->wait_batch, 0);
        rd->wait_batch = NULL;
    }

    if (rd->ro_pool) {
        ngx_destroy_pool(rd->ro_pool);
        rd->ro_pool = NULL;
        rd->ro = NULL;
    }

    rd->state = NGX_HTTP_BEDRUD_RS_DISCONNECTED;
}


/* NGX_OK when connected or connecting; asking counts as a request */

ngx_int_t
ngx_http_bedrud_redis_ready(void)
{
    ngx_http_bedrud_redis_probe();

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
    redisAsyncContext            *ac;
    ngx_http_bedrud_redis_t      *rd;
    ngx_http_bedrud_main_conf_t  *bmcf;

    rd = &ngx_http_bedrud_rd;
    bmcf = rd->bmcf;

    if (rd->ac != NULL || rd->discovering) {
        /* one connection, or one ask, at a time */
        return;
    }

    rd->attempt = ngx_current_msec;

    /* a new connection, its own replicas */
    rd->no_replicas = 0;

    if (bmcf->sentinels && !rd->discovered) {

        /* which node is the primary now: the answer comes back here */

        rd->discovering = 1;

        if (ngx_http_bedrud_sentinel_discover(
                                           ngx_http_bedrud_redis_discovered)
            != NGX_OK)
        {
            rd->discovering = 0;
            ngx_http_bedrud_redis_schedule();
        }

        return;
    }

    rd->discovered = 0;

    /* addresses are IP literals or paths: hiredis does no DNS lookup */

    if (bmcf->redis_unix.len) {
        ac = redisAsyncConnectUnix((char *) bmcf->redis_unix.data);

    } else {
        ac = redisAsyncConnect(rd->host, rd->port);
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

    /* the hooks first: setting the connect callback already adds a write */

    if (ngx_http_bedrud_redis_attach(ac, rd->log) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_bedrud_redis_schedule();
        return;
    }

    rd->ac = ac;
    rd->conn = ac->ev.data;
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


/*
 * The hooks that let nginx's event loop drive a hiredis context: a
 * connection of nginx for its socket.  hiredis frees it (the cleanup hook)
 * with the context.
 */

ngx_int_t
ngx_http_bedrud_redis_attach(redisAsyncContext *ac, ngx_log_t *log)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = ac;
    c->read->handler = ngx_http_bedrud_redis_read_handler;
    c->write->handler = ngx_http_bedrud_redis_write_handler;
    c->read->log = log;
    c->write->log = log;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_bedrud_redis_add_read;
    ac->ev.delRead = ngx_http_bedrud_redis_del_read;
    ac->ev.addWrite = ngx_http_bedrud_redis_add_write;
    ac->ev.delWrite = ngx_http_bedrud_redis_del_write;
    ac->ev.cleanup = ngx_http_bedrud_redis_ev_cleanup;

    return NGX_OK;
}


/* the sentinels' answer: the primary's address, or NULL */

static void
ngx_http_bedrud_redis_discovered(u_char *host, in_port_t port)
{
    size_t                    len;
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    rd->discovering = 0;

    if (rd->exiting || ngx_exiting) {
        return;
    }

    if (host == NULL) {
        ngx_http_bedrud_redis_schedule();
        return;
    }

    len = ngx_min(ngx_strlen(host), NGX_INET6_ADDRSTRLEN);

    if (rd->port != port || ngx_strncmp(rd->primary, host, len + 1) != 0) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "bedrud: redis primary \"%V\" is %s:%d",
                      &rd->bmcf->sentinel_master, host, (int) port);
    }

    ngx_memcpy(rd->primary, host, len);
    rd->primary[len] = '\0';

    rd->host = (char *) rd->primary;
    rd->port = port;
    rd->discovered = 1;

    ngx_http_bedrud_redis_connect();
}


/*
 * A request found no connection.  Idle, reconnects back off up to
 * NGX_HTTP_BEDRUD_BACKOFF_MAX; while requests keep asking, one is tried
 * NGX_HTTP_BEDRUD_PROBE ms after the last at the latest, so service
 * resumes within that of Redis answering again, and a Redis that is still
 * down gets a few connects a second from each worker, no more.  Not with
 * wrong credentials: trying again soon would not help.
 */

static void
ngx_http_bedrud_redis_probe(void)
{
    ngx_msec_t                since;
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    if (rd->bmcf == NULL || rd->state != NGX_HTTP_BEDRUD_RS_DISCONNECTED
        || rd->discovering || rd->refused || rd->exiting || ngx_exiting)
    {
        return;
    }

    since = ngx_current_msec - rd->attempt;

    if (since >= NGX_HTTP_BEDRUD_PROBE) {
        if (rd->reconnect.timer_set) {
            ngx_del_timer(&rd->reconnect);
        }

        ngx_http_bedrud_redis_connect();
        return;
    }

    if (rd->reconnect.timer_set
        && (ngx_msec_int_t) (rd->reconnect.timer.key - ngx_current_msec)
           > (ngx_msec_int_t) (NGX_HTTP_BEDRUD_PROBE - since))
    {
        /* ngx_add_timer() would keep a timer it finds close enough */
        ngx_del_timer(&rd->reconnect);
        ngx_add_timer(&rd->reconnect, NGX_HTTP_BEDRUD_PROBE - since);
    }
}


/*
 * AUTH, (with Sentinel) ROLE, SELECT, FUNCTION LOAD of each library, and
 * (with WAIT) FUNCTION LIST: the last step marks READY.
 */

static void
ngx_http_bedrud_redis_handshake(ngx_http_bedrud_main_conf_t *bmcf)
{
    void        *last;
    ngx_str_t    argv[4], *libs;
    ngx_uint_t   i, n;
    u_char       db[NGX_INT_T_LEN];

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

    /* a node the sentinels named may have been demoted since */

    if (bmcf->sentinels) {
        ngx_str_set(&argv[0], "ROLE");

        if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_handshake_cb,
                                       &ngx_http_bedrud_redis_step_role,
                                       1, argv)
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

    last = bmcf->redis_wait ? NULL : &ngx_http_bedrud_redis_step_last;

    /*
     * REPLACE: the libraries may be there already (loaded by another node,
     * or replicated to a promoted replica) and are loaded again as this
     * node has them; a replica refuses (READONLY), ROLE said so before.
     */

    for (i = 0; i < n; i++) {
        ngx_str_set(&argv[0], "FUNCTION");
        ngx_str_set(&argv[1], "LOAD");
        ngx_str_set(&argv[2], "REPLACE");
        argv[3] = libs[i];

        if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_handshake_cb,
                                       i == n - 1 ? last : NULL, 4, argv)
            != NGX_OK)
        {
            return;
        }
    }

    /* which functions write, and so wait for the replicas */

    if (bmcf->redis_wait) {
        ngx_str_set(&argv[0], "FUNCTION");
        ngx_str_set(&argv[1], "LIST");

        (void) ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_handshake_cb,
                                          &ngx_http_bedrud_redis_step_list,
                                          2, argv);
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

    if (rd->handshake_failed) {
        return;
    }

    if (ngx_http_bedrud_redis_handshake_step(rd, rr, privdata) != NGX_OK) {

        /*
         * Wrong password, bad db, an old Redis without functions, a
         * replica, ...  The first error says why; the queued steps after
         * it only fail with NOAUTH and the like.
         */

        rd->handshake_failed = 1;
        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_ERROR);

        /* not freed here (inside a callback): hiredis disconnects */
        redisAsyncDisconnect(ac);

        return;
    }

    if (privdata != &ngx_http_bedrud_redis_step_last
        && privdata != &ngx_http_bedrud_redis_step_list)
    {
        return;
    }

    rd->state = NGX_HTTP_BEDRUD_RS_READY;
    rd->backoff = NGX_HTTP_BEDRUD_BACKOFF_MIN;
    rd->ready_at = ngx_current_msec;
    rd->refused = 0;

    ngx_http_bedrud_redis_wait_sort(rd);

    ngx_log_error(NGX_LOG_INFO, rd->log, 0, "bedrud: redis ready");

    if (rd->ready) {
        rd->ready();
    }
}


/* NGX_OK: the step went well; else it is logged why not */

static ngx_int_t
ngx_http_bedrud_redis_handshake_step(ngx_http_bedrud_redis_t *rd,
    redisReply *rr, void *privdata)
{
    ngx_str_t    name;
    redisReply  *role;

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "bedrud: redis handshake failed: %*s",
                      (size_t) rr->len, rr->str);

        /* credentials do not get better by asking sooner */

        rd->refused = (ngx_strncmp(rr->str, "WRONGPASS", 9) == 0
                       || ngx_strncmp(rr->str, "NOAUTH", 6) == 0
                       || ngx_strncmp(rr->str, "NOPERM", 6) == 0
                       || ngx_strncmp(rr->str, "ERR AUTH", 8) == 0
                       || ngx_strncmp(rr->str, "ERR invalid password", 20)
                          == 0);
        return NGX_ERROR;
    }

    if (privdata == &ngx_http_bedrud_redis_step_role) {
        role = (rr->type == REDIS_REPLY_ARRAY && rr->elements > 0)
               ? rr->element[0] : NULL;

        ngx_str_set(&name, "?");

        if (role && role->type == REDIS_REPLY_STRING) {
            name.len = role->len;
            name.data = (u_char *) role->str;
        }

        if (name.len != 6 || ngx_strncmp(name.data, "master", 6) != 0) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "bedrud: redis handshake failed: %s:%d is no "
                          "primary (ROLE: %V); asking the sentinels again",
                          rd->host, (int) rd->port, &name);
            return NGX_ERROR;
        }
    }

    if (privdata == &ngx_http_bedrud_redis_step_list) {
        ngx_http_bedrud_redis_functions(rd, rr);
    }

    return NGX_OK;
}


/*
 * The functions registered with the no-writes flag, from FUNCTION LIST
 * (RESP2: per library and per function, name/value pairs).  Any other
 * FCALL is a write.  Without a list, every FCALL counts as one.
 */

static void
ngx_http_bedrud_redis_functions(ngx_http_bedrud_redis_t *rd,
    redisReply *list)
{
    size_t       i, j, k, f;
    ngx_str_t   *name, text;
    redisReply  *lib, *fn, *flags, *fname;

    if (rd->ro_pool) {
        ngx_destroy_pool(rd->ro_pool);
        rd->ro_pool = NULL;
        rd->ro = NULL;
    }

    if (list->type != REDIS_REPLY_ARRAY) {
        return;
    }

    rd->ro_pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, rd->log);
    if (rd->ro_pool == NULL) {
        return;
    }

    rd->ro = ngx_array_create(rd->ro_pool, 16, sizeof(ngx_str_t));
    if (rd->ro == NULL) {
        return;
    }

    for (i = 0; i < list->elements; i++) {
        lib = list->element[i];

        if (lib->type != REDIS_REPLY_ARRAY) {
            continue;
        }

        for (j = 0; j + 1 < lib->elements; j += 2) {
            if (lib->element[j]->type != REDIS_REPLY_STRING
                || ngx_strcmp(lib->element[j]->str, "functions") != 0
                || lib->element[j + 1]->type != REDIS_REPLY_ARRAY)
            {
                continue;
            }

            for (f = 0; f < lib->element[j + 1]->elements; f++) {
                fn = lib->element[j + 1]->element[f];
                fname = NULL;
                flags = NULL;

                if (fn->type != REDIS_REPLY_ARRAY) {
                    continue;
                }

                for (k = 0; k + 1 < fn->elements; k += 2) {
                    if (fn->element[k]->type != REDIS_REPLY_STRING) {
                        continue;
                    }

                    if (ngx_strcmp(fn->element[k]->str, "name") == 0) {
                        fname = fn->element[k + 1];

                    } else if (ngx_strcmp(fn->element[k]->str, "flags")
                               == 0)
                    {
                        flags = fn->element[k + 1];
                    }
                }

                if (fname == NULL || fname->type != REDIS_REPLY_STRING
                    || flags == NULL || flags->type != REDIS_REPLY_ARRAY)
                {
                    continue;
                }

                /* the flags are status replies */

                for (k = 0; k < flags->elements; k++) {
                    if ((flags->element[k]->type == REDIS_REPLY_STATUS
                         || flags->element[k]->type == REDIS_REPLY_STRING)
                        && ngx_strcmp(flags->element[k]->str, "no-writes")
                           == 0)
                    {
                        break;
                    }
                }

                if (k == flags->elements) {
                    continue;
                }

                name = ngx_array_push(rd->ro);
                if (name == NULL) {
                    rd->ro = NULL;
                    return;
                }

                text.len = fname->len;
                text.data = (u_char *) fname->str;

                name->len = text.len;
                name->data = ngx_pstrdup(rd->ro_pool, &text);
                if (name->data == NULL) {
                    rd->ro = NULL;
                    return;
                }
            }
        }
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "bedrud: %ui redis functions do not write",
                   rd->ro->nelts);
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
    ngx_uint_t                  i, wait;
    ngx_pool_cleanup_t         *cln;
    ngx_http_bedrud_tracker_t  *t;
    ngx_http_bedrud_redis_t    *rd;

    rd = &ngx_http_bedrud_rd;

    /*
     * While connecting, commands queue behind the handshake (hiredis keeps
     * their order): a request right after a (re)start waits a little
     * instead of failing.  Its timer still bounds the wait.  Without a
     * connection, the request may have one tried now.
     */

    if (rd->state == NGX_HTTP_BEDRUD_RS_DISCONNECTED) {
        ngx_http_bedrud_redis_probe();
    }

    if (rd->state == NGX_HTTP_BEDRUD_RS_DISCONNECTED || n == 0
        || n > NGX_HTTP_BEDRUD_MAX_CMDS)
    {
        return NGX_DECLINED;
    }

    wait = rd->bmcf->redis_wait && ngx_http_bedrud_redis_writes(cmds, n);

    if (wait && rd->no_replicas) {
        /* not sent: the client learns that nothing happened */
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

    if (wait && rd->ro == NULL
        && ngx_http_bedrud_redis_fcalls(r, t, cmds, n) != NGX_OK)
    {
        ngx_free(t);
        return NGX_ERROR;
    }

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

    /* a write is answered once the replicas have it: one more reply */

    if (wait) {

        if (rd->wait_batch == NULL) {
            rd->wait_ac = rd->ac;
            ngx_post_event(&rd->wait_event, &ngx_posted_events);
        }

        t->wait_next = rd->wait_batch;
        rd->wait_batch = t;
        t->pending++;
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
    ngx_http_request_t         *r;
    ngx_http_bedrud_ctx_t      *ctx;
    ngx_http_bedrud_reply_t    *copy;
    ngx_http_bedrud_tracker_t  *t;
    ngx_http_bedrud_redis_t    *rd;

    rd = &ngx_http_bedrud_rd;
    t = privdata;

    rd->inflight--;
    rd->last_io = ngx_current_msec;
    t->pending--;

    /*
     * A command sent while the handshake was still on its way is
     * answered after it; if the handshake failed (a wrong password),
     * its error (NOAUTH) says that Redis is unusable, not that the
     * request was wrong: 503, as for a Redis that is down.  So do the
     * errors of a Redis that cannot serve now (a replica, loading, ...).
     */

    if (reply == NULL || (rd->handshake_failed && ac == rd->ac)
        || ngx_http_bedrud_redis_unavailable(ac, reply) != NGX_OK)
    {
        t->failed = 1;
    }

    r = t->r;

    if (r != NULL && !t->failed) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

        copy = ngx_http_bedrud_redis_copy(r->pool, reply, 0);

        if (copy == NULL || t->index >= NGX_HTTP_BEDRUD_MAX_CMDS) {
            t->failed = 1;

        } else {
            ctx->replies[t->index++] = copy;
        }
    }

    if (t->pending) {
        return;
    }

    ngx_http_bedrud_redis_finish(t);
}


/*
 * NGX_DECLINED for an error reply that says Redis cannot serve now rather
 * than that the command was wrong; the request gets a 503.  A node that
 * became a replica, or lost its functions, is reconnected: the sentinels
 * name the primary, the handshake loads the functions.
 */

static ngx_int_t
ngx_http_bedrud_redis_unavailable(redisAsyncContext *ac, redisReply *reply)
{
    ngx_uint_t                i;
    ngx_http_bedrud_redis_t  *rd;

    /* why to reconnect, if that helps */

    static struct {
        const char  *prefix;
        size_t       len;
        const char  *reconnect;
    } errors[] = {
        { "READONLY ", sizeof("READONLY ") - 1, "is a replica now" },
        { "ERR Function not found", sizeof("ERR Function not found") - 1,
          "lost its functions" },
        { "LOADING ", sizeof("LOADING ") - 1, NULL },
        { "MASTERDOWN ", sizeof("MASTERDOWN ") - 1, NULL },
        { "NOREPLICAS ", sizeof("NOREPLICAS ") - 1, NULL },
        { "BUSY ", sizeof("BUSY ") - 1, NULL },
        { "TRYAGAIN ", sizeof("TRYAGAIN ") - 1, NULL },
        { NULL, 0, NULL }
    };

    if (reply->type != REDIS_REPLY_ERROR) {
        return NGX_OK;
    }

    for (i = 0; errors[i].prefix; i++) {
        if ((size_t) reply->len >= errors[i].len
            && ngx_strncmp(reply->str, errors[i].prefix, errors[i].len) == 0)
        {
            break;
        }
    }

    if (errors[i].prefix == NULL) {
        return NGX_OK;
    }

    rd = &ngx_http_bedrud_rd;

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "bedrud: redis cannot serve: %*s", (size_t) reply->len,
                  reply->str);

    if (errors[i].reconnect && ac == rd->ac) {
        ngx_http_bedrud_redis_reconnect(errors[i].reconnect);
    }

    return NGX_DECLINED;
}


/* the request's commands are answered: its handler continues */

static void
ngx_http_bedrud_redis_finish(ngx_http_bedrud_tracker_t *t)
{
    ngx_int_t                       rc;
    ngx_uint_t                      i, nreplies, failed;
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_bedrud_ctx_t          *ctx;
    ngx_http_bedrud_redis_done_pt   done;

    r = t->r;
    failed = t->failed;
    nreplies = t->index;
    done = t->done;

    ngx_free(t);

    if (r == NULL) {
        return;
    }

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

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


/* Does a request's command write: an FCALL of a function not no-writes? */

static ngx_uint_t
ngx_http_bedrud_redis_writes(ngx_http_bedrud_cmd_t *cmds, ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (cmds[i].argc < 2 || cmds[i].argv[0].len != 5
            || ngx_strncmp(cmds[i].argv[0].data, "FCALL", 5) != 0)
        {
            continue;
        }

        if (!ngx_http_bedrud_redis_ro(&cmds[i].argv[1])) {
            return 1;
        }
    }

    return 0;
}


/* Is a function known to be flagged no-writes?  Unknown: no. */

static ngx_uint_t
ngx_http_bedrud_redis_ro(ngx_str_t *fn)
{
    ngx_str_t                *ro;
    ngx_uint_t                j;
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    if (rd->ro == NULL) {
        return 0;
    }

    ro = rd->ro->elts;

    for (j = 0; j < rd->ro->nelts; j++) {
        if (ro[j].len == fn->len
            && ngx_strncmp(ro[j].data, fn->data, fn->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * A request sent during the handshake, before FUNCTION LIST answered,
 * counts as a write; the names of its functions are kept so that, once
 * the list is in, a read leaves the WAIT's batch
 * (ngx_http_bedrud_redis_wait_sort()).
 */

static ngx_int_t
ngx_http_bedrud_redis_fcalls(ngx_http_request_t *r,
    ngx_http_bedrud_tracker_t *t, ngx_http_bedrud_cmd_t *cmds, ngx_uint_t n)
{
    ngx_uint_t  i;

    t->fcalls = ngx_palloc(r->pool, n * sizeof(ngx_str_t));
    if (t->fcalls == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (cmds[i].argc < 2 || cmds[i].argv[0].len != 5
            || ngx_strncmp(cmds[i].argv[0].data, "FCALL", 5) != 0)
        {
            continue;
        }

        t->fcalls[t->nfcalls].len = cmds[i].argv[1].len;
        t->fcalls[t->nfcalls].data = ngx_pstrdup(r->pool, &cmds[i].argv[1]);

        if (t->fcalls[t->nfcalls].data == NULL) {
            return NGX_ERROR;
        }

        t->nfcalls++;
    }

    t->unknown = 1;

    return NGX_OK;
}


/*
 * The handshake is done: the requests of the WAIT's batch that were sent
 * before it knew which functions write, and only read, leave the batch.
 * Their replies are still to come (they were sent after the handshake's
 * commands), so they are not finished here.  Then the WAIT goes out.
 */

static void
ngx_http_bedrud_redis_wait_sort(ngx_http_bedrud_redis_t *rd)
{
    ngx_uint_t                  i;
    ngx_http_bedrud_tracker_t  *t, **prev;

    prev = &rd->wait_batch;

    for (t = rd->wait_batch; t; t = *prev) {

        if (t->unknown && t->r && rd->ro) {
            t->unknown = 0;

            for (i = 0; i < t->nfcalls; i++) {
                if (!ngx_http_bedrud_redis_ro(&t->fcalls[i])) {
                    break;
                }
            }

            if (i == t->nfcalls && t->pending > 1) {
                *prev = t->wait_next;
                t->wait_next = NULL;
                t->pending--;
                continue;
            }
        }

        t->unknown = 0;
        prev = &t->wait_next;
    }

    if (rd->wait_batch && !rd->wait_event.posted && !rd->exiting) {
        ngx_post_event(&rd->wait_event, &ngx_posted_events);
    }
}


/*
 * One WAIT for the writes sent since the last one, after them on the same
 * connection.  WAIT holds up the connection's later commands until the
 * replicas answer, so one per write would serialize them: a batch is the
 * writes of an event loop turn, or all of those sent while the WAIT
 * before was on its way (group commit).
 */

static void
ngx_http_bedrud_redis_wait_handler(ngx_event_t *ev)
{
    ngx_str_t                   argv[3];
    ngx_http_bedrud_redis_t    *rd;
    ngx_http_bedrud_tracker_t  *batch;
    u_char                      n[NGX_INT_T_LEN], ms[NGX_INT_T_LEN];

    rd = ev->data;

    if (rd->waiting && rd->ac == rd->wait_ac) {
        /* sent when the WAIT before comes back */
        return;
    }

    if (rd->state == NGX_HTTP_BEDRUD_RS_CONNECTING && rd->ac == rd->wait_ac) {
        /* sent once the handshake tells the reads from the writes */
        return;
    }

    batch = rd->wait_batch;
    rd->wait_batch = NULL;

    if (batch == NULL) {
        return;
    }

    ngx_str_set(&argv[0], "WAIT");
    argv[1].data = n;
    argv[1].len = ngx_sprintf(n, "%ui", rd->bmcf->redis_wait) - n;
    argv[2].data = ms;
    argv[2].len = ngx_sprintf(ms, "%M", rd->bmcf->redis_wait_timeout) - ms;

    /* the writes went out on a connection that is gone: they failed */

    if (rd->ac == NULL || rd->ac != rd->wait_ac
        || ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_wait_cb, batch,
                                      3, argv)
           != NGX_OK)
    {
        ngx_http_bedrud_redis_wait_done(batch, 0);
        return;
    }

    rd->inflight++;
    rd->waiting = 1;
}


static void
ngx_http_bedrud_redis_wait_cb(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply               *rr;
    ngx_uint_t                ok;
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;
    rr = reply;

    rd->inflight--;
    rd->last_io = ngx_current_msec;

    ok = (rr && rr->type == REDIS_REPLY_INTEGER
          && rr->integer >= (long long) rd->bmcf->redis_wait);

    if (rr && rr->type == REDIS_REPLY_INTEGER && !ok) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "bedrud: redis WAIT: %L of %ui replicas within %M ms; "
                      "writes are answered 503 until enough are back",
                      rr->integer, rd->bmcf->redis_wait,
                      rd->bmcf->redis_wait_timeout);
        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_TIMEOUT);

        /*
         * Each WAIT holds the connection up to its timeout: the next
         * writes are refused before they are sent, and reads go on.
         */

        if (ac == rd->ac && !rd->no_replicas) {
            rd->no_replicas = 1;

            if (!rd->replicas_probe.timer_set) {
                ngx_add_timer(&rd->replicas_probe, NGX_HTTP_BEDRUD_PROBE);
            }
        }

    } else if (rr && !ok) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "bedrud: redis WAIT failed: %*s", (size_t) rr->len,
                      rr->str);
        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_REDIS_ERROR);
    }

    ngx_http_bedrud_redis_wait_done(privdata, ok);

    /* the writes sent meanwhile */

    rd->waiting = 0;

    if (rd->wait_batch && !rd->wait_event.posted && !rd->exiting) {
        ngx_post_event(&rd->wait_event, &ngx_posted_events);
    }
}


/* the WAIT of a batch answered: ok, or too few replicas (503) */

static void
ngx_http_bedrud_redis_wait_done(ngx_http_bedrud_tracker_t *t, ngx_uint_t ok)
{
    ngx_http_bedrud_tracker_t  *next;

    for ( /* void */ ; t; t = next) {
        next = t->wait_next;

        if (!ok) {
            t->failed = 1;
        }

        if (--t->pending == 0) {
            ngx_http_bedrud_redis_finish(t);
        }
    }
}


/*
 * While writes are refused for want of replicas: ROLE (it never blocks)
 * lists the replicas the primary has online.
 */

static void
ngx_http_bedrud_redis_replicas_handler(ngx_event_t *ev)
{
    ngx_str_t                 argv[1];
    ngx_http_bedrud_redis_t  *rd;

    rd = ev->data;

    if (!rd->no_replicas || rd->exiting || ngx_exiting) {
        return;
    }

    if (rd->state == NGX_HTTP_BEDRUD_RS_READY && !rd->probing) {
        ngx_str_set(&argv[0], "ROLE");

        if (ngx_http_bedrud_redis_send(ngx_http_bedrud_redis_replicas_cb,
                                       rd->ac, 1, argv)
            == NGX_OK)
        {
            rd->inflight++;
            rd->probing = 1;
        }
    }

    ngx_add_timer(ev, NGX_HTTP_BEDRUD_PROBE);
}


static void
ngx_http_bedrud_redis_replicas_cb(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply               *rr, *replicas;
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;
    rr = reply;

    rd->inflight--;
    rd->last_io = ngx_current_msec;
    rd->probing = 0;

    if (rr == NULL || ac != rd->ac) {
        return;
    }

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements < 3
        || rr->element[0]->type != REDIS_REPLY_STRING
        || ngx_strcmp(rr->element[0]->str, "master") != 0)
    {
        /* demoted since: the sentinels know where the primary is now */
        ngx_http_bedrud_redis_reconnect("is no primary any more");
        return;
    }

    replicas = rr->element[2];

    if (replicas->type == REDIS_REPLY_ARRAY
        && replicas->elements >= rd->bmcf->redis_wait)
    {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "bedrud: redis has %uz replicas online again: writes "
                      "resume", replicas->elements);

        rd->no_replicas = 0;

        if (rd->replicas_probe.timer_set) {
            ngx_del_timer(&rd->replicas_probe);
        }
    }
}


/*
 * The sentinels announce another primary (+switch-master): in-flight
 * commands get a 503, and the connection moves there now.
 */

void
ngx_http_bedrud_redis_moved(u_char *host, in_port_t port)
{
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    if (rd->bmcf == NULL || rd->exiting || ngx_exiting || rd->discovering) {
        /* an ask under way gets the new answer */
        return;
    }

    if (rd->state != NGX_HTTP_BEDRUD_RS_DISCONNECTED && rd->port == port
        && ngx_strcmp(rd->host, host) == 0)
    {
        return;
    }

    if (rd->ac) {
        ngx_http_bedrud_redis_drop("primary moved: reconnecting");
    }

    /* the requests answered meanwhile may have had one tried already */

    if (rd->state != NGX_HTTP_BEDRUD_RS_DISCONNECTED || rd->discovering) {
        return;
    }

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    rd->backoff = NGX_HTTP_BEDRUD_BACKOFF_MIN;

    ngx_http_bedrud_redis_connect();
}


/*
 * Closes a READY connection once its replies are in (also from inside a
 * hiredis callback) and lets a new one be made: at most once a second.
 */

void
ngx_http_bedrud_redis_reconnect(const char *why)
{
    ngx_http_bedrud_redis_t  *rd;

    rd = &ngx_http_bedrud_rd;

    if (rd->ac == NULL || rd->state != NGX_HTTP_BEDRUD_RS_READY
        || ngx_current_msec - rd->ready_at < 1000)
    {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                  "bedrud: redis %s: reconnecting", why);

    /* new commands are refused at once from now on: 503 */
    redisAsyncDisconnect(rd->ac);
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
