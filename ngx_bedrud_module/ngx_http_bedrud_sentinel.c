
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Redis Sentinel: which node is the primary, per worker process.
 *
 * Asking: before each connect, the Redis layer has the sentinels asked in
 * turn, beginning with the last one that answered, for the primary's
 * address (SENTINEL get-master-addr-by-name); each gets
 * bedrud_redis_timeout to connect and answer.  The handshake then checks
 * with ROLE that the node named is a primary: a sentinel may lag behind a
 * failover.
 *
 * Watching: one connection to a sentinel is subscribed to +switch-master,
 * so that a failover moves the Redis layer at once, also while the old
 * primary still answers (a manual failover, a partition).  A watch that
 * is lost is made again, to the next sentinel, a second later (up to 30 s
 * later while they keep failing: a wrong password, say).
 *
 * Both are hiredis connections driven by nginx's event loop, like the
 * Redis layer's own (ngx_http_bedrud_redis_attach()).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_SENTINEL_RETRY      1000
#define NGX_HTTP_BEDRUD_SENTINEL_RETRY_MAX  30000


typedef struct {
    ngx_http_bedrud_main_conf_t       *bmcf;
    ngx_log_t                         *log;

    /* asking */
    redisAsyncContext                 *ac;
    ngx_uint_t                         current;   /* the sentinel asked */
    ngx_uint_t                         left;      /* to ask this time */
    ngx_event_t                        timer;
    ngx_http_bedrud_sentinel_found_pt  found;
    u_char                             host[NGX_INET6_ADDRSTRLEN + 1];

    /* watching */
    redisAsyncContext                 *watch;
    ngx_uint_t                         watch_index;
    ngx_event_t                        watch_timer;
    ngx_msec_t                         watch_retry;
    u_char                             moved[NGX_INET6_ADDRSTRLEN + 1];

    unsigned                           exiting:1;
} ngx_http_bedrud_sentinel_t;


static void ngx_http_bedrud_sentinel_ask(void);
static void ngx_http_bedrud_sentinel_next(redisAsyncContext *ac);
static void ngx_http_bedrud_sentinel_timeout(ngx_event_t *ev);
static void ngx_http_bedrud_sentinel_answer(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_bedrud_sentinel_watch(void);
static void ngx_http_bedrud_sentinel_rewatch(void);
static void ngx_http_bedrud_sentinel_watch_timer(ngx_event_t *ev);
static void ngx_http_bedrud_sentinel_message(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_bedrud_sentinel_switch(ngx_http_bedrud_addr_t *s,
    redisReply *payload);
static redisAsyncContext *ngx_http_bedrud_sentinel_connect(
    ngx_http_bedrud_addr_t *s);
static void ngx_http_bedrud_sentinel_auth(redisAsyncContext *ac,
    void *reply, void *privdata);
static ngx_int_t ngx_http_bedrud_sentinel_send(redisAsyncContext *ac,
    redisCallbackFn *fn, void *privdata, ngx_uint_t argc, ngx_str_t *argv);
static ngx_int_t ngx_http_bedrud_sentinel_address(u_char *host, size_t len,
    u_char *port, size_t plen, u_char *out, in_port_t *out_port);


/* per worker process */
static ngx_http_bedrud_sentinel_t  ngx_http_bedrud_sl;


ngx_int_t
ngx_http_bedrud_sentinel_init_process(ngx_cycle_t *cycle)
{
    ngx_http_bedrud_sentinel_t   *sl;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_bedrud_module);

    /* as the Redis layer: no functions, no connection */

    if (bmcf == NULL || bmcf->sentinels == NULL
        || bmcf->redis_functions == NULL)
    {
        return NGX_OK;
    }

    sl = &ngx_http_bedrud_sl;
    ngx_memzero(sl, sizeof(ngx_http_bedrud_sentinel_t));

    sl->bmcf = bmcf;
    sl->log = cycle->log;

    sl->timer.handler = ngx_http_bedrud_sentinel_timeout;
    sl->timer.log = cycle->log;
    sl->timer.data = sl;
    sl->timer.cancelable = 1;

    sl->watch_timer.handler = ngx_http_bedrud_sentinel_watch_timer;
    sl->watch_timer.log = cycle->log;
    sl->watch_timer.data = sl;
    sl->watch_timer.cancelable = 1;

    /* the workers begin with different sentinels */

    sl->current = ngx_worker % bmcf->sentinels->nelts;
    sl->watch_index = sl->current;
    sl->watch_retry = NGX_HTTP_BEDRUD_SENTINEL_RETRY;

    ngx_http_bedrud_sentinel_watch();

    return NGX_OK;
}


void
ngx_http_bedrud_sentinel_exit_process(ngx_cycle_t *cycle)
{
    redisAsyncContext           *ac;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    if (sl->bmcf == NULL) {
        return;
    }

    sl->exiting = 1;

    if (sl->timer.timer_set) {
        ngx_del_timer(&sl->timer);
    }

    if (sl->watch_timer.timer_set) {
        ngx_del_timer(&sl->watch_timer);
    }

    /* NULL first: the callbacks of a context being freed find no owner */

    if (sl->ac) {
        ac = sl->ac;
        sl->ac = NULL;
        redisAsyncFree(ac);
    }

    if (sl->watch) {
        ac = sl->watch;
        sl->watch = NULL;
        redisAsyncFree(ac);
    }
}


/*
 * Asks for the primary: "found" gets its address, or NULL when no
 * sentinel named one.  It may run before this returns.  NGX_ERROR: not
 * asked, "found" never runs.
 */

ngx_int_t
ngx_http_bedrud_sentinel_discover(ngx_http_bedrud_sentinel_found_pt found)
{
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    if (sl->bmcf == NULL || sl->ac != NULL || sl->exiting) {
        return NGX_ERROR;
    }

    sl->found = found;
    sl->left = sl->bmcf->sentinels->nelts;

    ngx_http_bedrud_sentinel_ask();

    return NGX_OK;
}


static void
ngx_http_bedrud_sentinel_ask(void)
{
    ngx_str_t                    argv[3];
    redisAsyncContext           *ac;
    ngx_http_bedrud_addr_t      *s;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    while (sl->left) {
        sl->left--;

        s = sl->bmcf->sentinels->elts;
        s += sl->current;

        ac = ngx_http_bedrud_sentinel_connect(s);

        if (ac != NULL) {
            ngx_str_set(&argv[0], "SENTINEL");
            ngx_str_set(&argv[1], "get-master-addr-by-name");
            argv[2] = sl->bmcf->sentinel_master;

            if (ngx_http_bedrud_sentinel_send(ac,
                                              ngx_http_bedrud_sentinel_answer,
                                              NULL, 3, argv)
                == NGX_OK)
            {
                sl->ac = ac;
                ngx_add_timer(&sl->timer, sl->bmcf->redis_timeout);
                return;
            }

            redisAsyncFree(ac);
        }

        sl->current = (sl->current + 1) % sl->bmcf->sentinels->nelts;
    }

    ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                  "bedrud: no sentinel named the redis primary \"%V\"",
                  &sl->bmcf->sentinel_master);

    sl->found(NULL, 0);
}


/* the next sentinel; "ac", if any, is closed once its callback returns */

static void
ngx_http_bedrud_sentinel_next(redisAsyncContext *ac)
{
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    sl->ac = NULL;

    if (sl->timer.timer_set) {
        ngx_del_timer(&sl->timer);
    }

    if (ac) {
        redisAsyncDisconnect(ac);
    }

    sl->current = (sl->current + 1) % sl->bmcf->sentinels->nelts;

    ngx_http_bedrud_sentinel_ask();
}


static void
ngx_http_bedrud_sentinel_timeout(ngx_event_t *ev)
{
    redisAsyncContext           *ac;
    ngx_http_bedrud_addr_t      *s;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = ev->data;

    if (sl->ac == NULL || sl->exiting) {
        return;
    }

    s = sl->bmcf->sentinels->elts;
    s += sl->current;

    ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                  "bedrud: sentinel %V:%d did not answer within %M ms",
                  &s->host, (int) s->port, sl->bmcf->redis_timeout);

    ac = sl->ac;
    sl->ac = NULL;

    /* not inside a callback: freed now, its callback finds no owner */
    redisAsyncFree(ac);

    sl->current = (sl->current + 1) % sl->bmcf->sentinels->nelts;

    ngx_http_bedrud_sentinel_ask();
}


static void
ngx_http_bedrud_sentinel_answer(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    in_port_t                    port;
    redisReply                  *rr, *h, *p;
    ngx_http_bedrud_addr_t      *s;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;
    rr = reply;

    if (ac != sl->ac) {
        /* given up on */
        return;
    }

    s = sl->bmcf->sentinels->elts;
    s += sl->current;

    if (rr == NULL) {
        ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                      "bedrud: sentinel %V:%d: %s", &s->host, (int) s->port,
                      ac->errstr[0] ? ac->errstr : "connection closed");

        /* hiredis is freeing it */
        ngx_http_bedrud_sentinel_next(NULL);
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                      "bedrud: sentinel %V:%d: %*s", &s->host, (int) s->port,
                      (size_t) rr->len, rr->str);
        ngx_http_bedrud_sentinel_next(ac);
        return;
    }

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements != 2
        || rr->element[0]->type != REDIS_REPLY_STRING
        || rr->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                      "bedrud: sentinel %V:%d does not know the redis "
                      "primary \"%V\"", &s->host, (int) s->port,
                      &sl->bmcf->sentinel_master);
        ngx_http_bedrud_sentinel_next(ac);
        return;
    }

    h = rr->element[0];
    p = rr->element[1];

    if (ngx_http_bedrud_sentinel_address((u_char *) h->str, h->len,
                                         (u_char *) p->str, p->len,
                                         sl->host, &port)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                      "bedrud: sentinel %V:%d names \"%*s\" port \"%*s\": "
                      "not an IP address and port (announce-hostnames "
                      "must be off)", &s->host, (int) s->port,
                      (size_t) h->len, h->str, (size_t) p->len, p->str);
        ngx_http_bedrud_sentinel_next(ac);
        return;
    }

    /* this sentinel is asked first next time */

    sl->ac = NULL;

    if (sl->timer.timer_set) {
        ngx_del_timer(&sl->timer);
    }

    redisAsyncDisconnect(ac);

    sl->found(sl->host, port);
}


static void
ngx_http_bedrud_sentinel_watch(void)
{
    ngx_str_t                    argv[2];
    redisAsyncContext           *ac;
    ngx_http_bedrud_addr_t      *s;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    s = sl->bmcf->sentinels->elts;
    s += sl->watch_index;

    ac = ngx_http_bedrud_sentinel_connect(s);
    if (ac == NULL) {
        ngx_http_bedrud_sentinel_rewatch();
        return;
    }

    ngx_str_set(&argv[0], "SUBSCRIBE");
    ngx_str_set(&argv[1], "+switch-master");

    if (ngx_http_bedrud_sentinel_send(ac, ngx_http_bedrud_sentinel_message,
                                      NULL, 2, argv)
        != NGX_OK)
    {
        redisAsyncFree(ac);
        ngx_http_bedrud_sentinel_rewatch();
        return;
    }

    sl->watch = ac;

    /* bounds the connect and the subscription */

    ngx_add_timer(&sl->watch_timer,
                  ngx_max(2 * sl->bmcf->redis_timeout, 1000));
}


/* the next sentinel, a little later, and later each time in a row */

static void
ngx_http_bedrud_sentinel_rewatch(void)
{
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    if (sl->exiting || ngx_exiting) {
        return;
    }

    sl->watch_index = (sl->watch_index + 1) % sl->bmcf->sentinels->nelts;

    if (sl->watch_timer.timer_set) {
        ngx_del_timer(&sl->watch_timer);
    }

    ngx_add_timer(&sl->watch_timer, sl->watch_retry);

    sl->watch_retry = ngx_min(sl->watch_retry * 2,
                              NGX_HTTP_BEDRUD_SENTINEL_RETRY_MAX);
}


static void
ngx_http_bedrud_sentinel_watch_timer(ngx_event_t *ev)
{
    redisAsyncContext           *ac;
    ngx_http_bedrud_addr_t      *s;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = ev->data;

    if (sl->exiting || ngx_exiting) {
        return;
    }

    if (sl->watch == NULL) {
        ngx_http_bedrud_sentinel_watch();
        return;
    }

    /* connected and subscribed in time: the timer would be gone */

    s = sl->bmcf->sentinels->elts;
    s += sl->watch_index;

    ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                  "bedrud: sentinel %V:%d: no subscription to failovers "
                  "in time", &s->host, (int) s->port);

    ac = sl->watch;
    sl->watch = NULL;
    redisAsyncFree(ac);

    ngx_http_bedrud_sentinel_rewatch();
}


/* the subscription's replies: its confirmation, then the messages */

static void
ngx_http_bedrud_sentinel_message(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                  *rr, *kind;
    ngx_http_bedrud_addr_t      *s;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;
    rr = reply;

    if (ac != sl->watch) {
        return;
    }

    s = sl->bmcf->sentinels->elts;
    s += sl->watch_index;

    if (rr == NULL) {
        sl->watch = NULL;

        if (!sl->exiting) {
            ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                          "bedrud: sentinel %V:%d: watch for failovers "
                          "lost: %s", &s->host, (int) s->port,
                          ac->errstr[0] ? ac->errstr : "connection closed");
        }

        ngx_http_bedrud_sentinel_rewatch();
        return;
    }

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements < 3
        || rr->element[0]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    kind = rr->element[0];

    if (kind->len == sizeof("subscribe") - 1
        && ngx_strncmp(kind->str, "subscribe", kind->len) == 0)
    {
        if (sl->watch_timer.timer_set) {
            ngx_del_timer(&sl->watch_timer);
        }

        sl->watch_retry = NGX_HTTP_BEDRUD_SENTINEL_RETRY;

        ngx_log_error(NGX_LOG_INFO, sl->log, 0,
                      "bedrud: watching sentinel %V:%d for failovers",
                      &s->host, (int) s->port);
        return;
    }

    if (kind->len == sizeof("message") - 1
        && ngx_strncmp(kind->str, "message", kind->len) == 0
        && rr->element[2]->type == REDIS_REPLY_STRING)
    {
        ngx_http_bedrud_sentinel_switch(s, rr->element[2]);
    }
}


/* "+switch-master": "<name> <old ip> <old port> <new ip> <new port>" */

static void
ngx_http_bedrud_sentinel_switch(ngx_http_bedrud_addr_t *s,
    redisReply *payload)
{
    u_char                      *p, *last, *field[5];
    size_t                       len[5];
    in_port_t                    port;
    ngx_uint_t                   n;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    p = (u_char *) payload->str;
    last = p + payload->len;

    for (n = 0; n < 5 && p < last; n++) {
        field[n] = p;

        while (p < last && *p != ' ') {
            p++;
        }

        len[n] = p - field[n];

        if (p < last) {
            p++;
        }
    }

    if (n < 5 || p != last) {
        return;
    }

    if (len[0] != sl->bmcf->sentinel_master.len
        || ngx_strncmp(field[0], sl->bmcf->sentinel_master.data, len[0])
           != 0)
    {
        /* another primary this sentinel watches */
        return;
    }

    if (ngx_http_bedrud_sentinel_address(field[3], len[3], field[4], len[4],
                                         sl->moved, &port)
        != NGX_OK)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, sl->log, 0,
                  "bedrud: sentinel %V:%d: redis primary \"%V\" moved to "
                  "%s:%d", &s->host, (int) s->port,
                  &sl->bmcf->sentinel_master, sl->moved, (int) port);

    ngx_http_bedrud_redis_moved(sl->moved, port);
}


static redisAsyncContext *
ngx_http_bedrud_sentinel_connect(ngx_http_bedrud_addr_t *s)
{
    ngx_str_t                    argv[2];
    redisAsyncContext           *ac;
    ngx_http_bedrud_sentinel_t  *sl;

    sl = &ngx_http_bedrud_sl;

    /* an IP literal: no DNS lookup in the worker */

    ac = redisAsyncConnect((char *) s->host.data, s->port);

    if (ac == NULL) {
        return NULL;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, sl->log, 0,
                      "bedrud: sentinel %V:%d: %s", &s->host, (int) s->port,
                      ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }

    if (ngx_http_bedrud_redis_attach(ac, sl->log) != NGX_OK) {
        redisAsyncFree(ac);
        return NULL;
    }

    if (sl->bmcf->sentinel_password.len) {
        ngx_str_set(&argv[0], "AUTH");
        argv[1] = sl->bmcf->sentinel_password;

        if (ngx_http_bedrud_sentinel_send(ac, ngx_http_bedrud_sentinel_auth,
                                          s, 2, argv)
            != NGX_OK)
        {
            redisAsyncFree(ac);
            return NULL;
        }
    }

    return ac;
}


/* a refused password: the command after it fails (NOAUTH) and says so */

static void
ngx_http_bedrud_sentinel_auth(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply              *rr;
    ngx_http_bedrud_addr_t  *s;

    rr = reply;
    s = privdata;

    if (rr && rr->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_http_bedrud_sl.log, 0,
                      "bedrud: sentinel %V:%d refused the password: %*s",
                      &s->host, (int) s->port, (size_t) rr->len, rr->str);
    }
}


static ngx_int_t
ngx_http_bedrud_sentinel_send(redisAsyncContext *ac, redisCallbackFn *fn,
    void *privdata, ngx_uint_t argc, ngx_str_t *argv)
{
    ngx_uint_t   i;
    const char  *args[4];
    size_t       lens[4];

    if (argc > 4) {
        return NGX_ERROR;
    }

    for (i = 0; i < argc; i++) {
        args[i] = (const char *) argv[i].data;
        lens[i] = argv[i].len;
    }

    return redisAsyncCommandArgv(ac, fn, privdata, (int) argc, args, lens)
           == REDIS_OK ? NGX_OK : NGX_ERROR;
}


/*
 * An address a sentinel names: an IP literal (a host name would need a
 * blocking lookup) and a port, into "out" (NUL-terminated).
 */

static ngx_int_t
ngx_http_bedrud_sentinel_address(u_char *host, size_t len, u_char *port,
    size_t plen, u_char *out, in_port_t *out_port)
{
    ngx_int_t  n;
#if (NGX_HAVE_INET6)
    u_char     inet6[16];
#endif

    if (len == 0 || len > NGX_INET6_ADDRSTRLEN) {
        return NGX_ERROR;
    }

    if (ngx_inet_addr(host, len) == INADDR_NONE
#if (NGX_HAVE_INET6)
        && ngx_inet6_addr(host, len, inet6) != NGX_OK
#endif
        )
    {
        return NGX_ERROR;
    }

    n = ngx_atoi(port, plen);

    if (n < 1 || n > 65535) {
        return NGX_ERROR;
    }

    ngx_memcpy(out, host, len);
    out[len] = '\0';

    *out_port = (in_port_t) n;

    return NGX_OK;
}
