
/*
 * Copyright (C) ngx_bedrud authors
 */


/*
 * The bedrud zone ("bedrud_zone <name> <size>;" in http{}) is one slab
 * pool shared by all workers.  Its layout:
 *
 *   ngx_slab_pool_t             the pool header; shpool->data points to
 *   ngx_http_bedrud_shctx_t     the shared header, allocated first:
 *     magic, version, size      checked when a reload reuses the zone, so
 *                               that a new module build never reinterprets
 *                               an old layout (magic stays the first field)
 *     limit_rbtree, limit_queue rate limit windows: an index ordered by
 *                               crc32 of the key, then the key bytes, and
 *                               an LRU queue (head: most recently used)
 *     deny_rbtree, deny_timers  the token denylist: an index ordered like
 *                               the one above, and a second tree ordered
 *                               by expiry time (its minimum expires first)
 *     limit_entries,            gauges, changed under the lock
 *     deny_entries
 *     metrics                   counters, changed with atomic ops only
 *                               (ngx_http_bedrud_metrics.c)
 *   " in bedrud zone \"name\""  shpool->log_ctx, for slab messages
 *   nodes                       ngx_http_bedrud_limit_node_t or
 *                               ngx_http_bedrud_deny_node_t, each starting
 *                               with the ngx_str_node_t of its index, so
 *                               that nginx's ngx_str_rbtree_insert_value()
 *                               and ngx_str_rbtree_lookup() serve both
 *
 * A rate limit key is the class byte, an address family byte (4, 6, or
 * 0 for unix sockets) and the client address bytes without the port; an
 * IPv4-mapped IPv6 address counts as IPv4.  The window of a key starts at
 * its first hit and lasts the class' window; every request in the window
 * counts, up to the limit.
 *
 * The trees, queues, gauges and "logged once" flags are protected by
 * shpool->mutex only: it is the one lock the master force-unlocks when a
 * worker dies while holding it.  Nothing logs while holding it.
 *
 * The zone is a cache: Redis stays the source of truth, and a full zone
 * never weakens security.  Denylist nodes take at most three quarters of
 * the zone (counted in NGX_HTTP_BEDRUD_SHM_DENY_SLOT), so that rate limits
 * always have room; beyond that, or when memory is short, the node closest to
 * its expiry is evicted, and until that time ("lossy_until") an id not
 * found here is unknown rather than valid: the pipeline asks Redis
 * (ngx_http_bedrud_revlog_check()).  Rate limit nodes evict their own
 * least recently used ones, then denylist nodes as above; if nothing
 * can be freed the request is refused, never let through unlimited.
 * Each of these is logged at most once a minute and counted in the
 * metrics.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_SHM_MAGIC        0x62656472    /* "bedr" */
#define NGX_HTTP_BEDRUD_SHM_VERSION      4

/* class, family, IPv6 address */
#define NGX_HTTP_BEDRUD_SHM_KEY_LEN      (1 + 1 + 16)

#define NGX_HTTP_BEDRUD_SHM_ID_MAX       NGX_HTTP_BEDRUD_STALE_ID_LEN

/* expired denylist nodes freed at once when memory is short */
#define NGX_HTTP_BEDRUD_SHM_EXPIRE_MAX   64

/* nodes evicted at most to make room for one */
#define NGX_HTTP_BEDRUD_SHM_EVICT_MAX    64

/* the slab size of a denylist node: they may take all but a quarter */
#define NGX_HTTP_BEDRUD_SHM_DENY_SLOT    256

/* a full zone is logged at most this often, seconds */
#define NGX_HTTP_BEDRUD_SHM_LOG_EVERY    60

/* what a full zone did, for the log (after the lock) */
#define NGX_HTTP_BEDRUD_SHM_LOG_DENY     1
#define NGX_HTTP_BEDRUD_SHM_LOG_LIMIT    2
#define NGX_HTTP_BEDRUD_SHM_LOG_REFUSED  4



typedef struct {
    ngx_str_node_t              sn;        /* key: crc32; str: the key */
    ngx_queue_t                 queue;
    time_t                      reset;     /* end of the current window */
    ngx_uint_t                  count;     /* requests in the window */
    u_char                      data[1];
} ngx_http_bedrud_limit_node_t;


typedef struct {
    ngx_str_node_t              sn;        /* key: crc32; str: the id */
    ngx_rbtree_node_t           timer;     /* key: expiry, unix seconds */
    u_char                      data[1];
} ngx_http_bedrud_deny_node_t;


typedef struct {
    uint32_t                    magic;
    uint32_t                    version;
    size_t                      size;

    ngx_rbtree_t                limit_rbtree;
    ngx_rbtree_node_t           limit_sentinel;
    ngx_queue_t                 limit_queue;

    ngx_rbtree_t                deny_rbtree;
    ngx_rbtree_node_t           deny_sentinel;
    ngx_rbtree_t                deny_timers;
    ngx_rbtree_node_t           deny_timers_sentinel;

    ngx_atomic_t                limit_entries;
    ngx_atomic_t                deny_entries;
    ngx_uint_t                  deny_max;
    time_t                      lossy_until;   /* a denylist node was
                                                  evicted that lived as
                                                  long */
    time_t                      deny_logged;   /* when, last */
    time_t                      limit_logged;
    time_t                      refused_logged;

    ngx_http_bedrud_metrics_t   metrics;
} ngx_http_bedrud_shctx_t;


typedef struct {
    ngx_http_bedrud_shctx_t    *sh;
    ngx_slab_pool_t            *shpool;
} ngx_http_bedrud_shm_ctx_t;


static ngx_int_t ngx_http_bedrud_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_bedrud_shm_check(ngx_shm_zone_t *shm_zone,
    ngx_http_bedrud_shctx_t *sh);
static ngx_http_bedrud_shm_ctx_t *ngx_http_bedrud_shm_get(void);
static size_t ngx_http_bedrud_limit_key(ngx_http_request_t *r,
    ngx_uint_t cls, u_char *key);
static ngx_http_bedrud_limit_node_t *ngx_http_bedrud_limit_lookup(
    ngx_http_bedrud_shm_ctx_t *ctx, uint32_t hash, u_char *data,
    size_t len);
static ngx_http_bedrud_limit_node_t *ngx_http_bedrud_limit_alloc(
    ngx_http_bedrud_shm_ctx_t *ctx, uint32_t hash, u_char *data,
    size_t len, time_t now, ngx_uint_t *log);
static void ngx_http_bedrud_deny_evict(ngx_http_bedrud_shm_ctx_t *ctx,
    time_t now, ngx_uint_t *log);
static ngx_uint_t ngx_http_bedrud_shm_log(ngx_http_bedrud_shm_ctx_t *ctx,
    time_t *last, time_t now, ngx_uint_t what);
static void ngx_http_bedrud_shm_logged(ngx_http_bedrud_shm_ctx_t *ctx,
    ngx_uint_t what, ngx_log_t *log);
static void ngx_http_bedrud_limit_expire(ngx_http_bedrud_shm_ctx_t *ctx,
    ngx_uint_t n, time_t now);
static ngx_http_bedrud_deny_node_t *ngx_http_bedrud_deny_lookup(
    ngx_http_bedrud_shm_ctx_t *ctx, uint32_t hash, u_char *data,
    size_t len);
static ngx_http_bedrud_deny_node_t *ngx_http_bedrud_deny_alloc(
    ngx_http_bedrud_shm_ctx_t *ctx, size_t size, time_t now,
    ngx_uint_t *log);
static void ngx_http_bedrud_deny_expire(ngx_http_bedrud_shm_ctx_t *ctx,
    ngx_uint_t n, time_t now);
static void ngx_http_bedrud_deny_free(ngx_http_bedrud_shm_ctx_t *ctx,
    ngx_http_bedrud_deny_node_t *dn);


char *
ngx_http_bedrud_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    ssize_t                     size;
    ngx_str_t                  *value;
    ngx_shm_zone_t             *shm_zone;
    ngx_http_bedrud_shm_ctx_t  *ctx;

    if (bmcf->shm_zone != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_bedrud_shm_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &value[1], size,
                                     &ngx_http_bedrud_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V \"%V\" is already bound",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_bedrud_init_zone;
    shm_zone->data = ctx;

    bmcf->shm_zone = shm_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_bedrud_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_bedrud_shm_ctx_t  *octx = data;

    size_t                      len;
    ngx_http_bedrud_shm_ctx_t  *ctx;

    ctx = shm_zone->data;

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx || shm_zone->shm.exists) {

        /*
         * the zone is reused: the old context may come from another
         * module build, so only the pool itself is trusted
         */

        ctx->sh = ctx->shpool->data;

        return ngx_http_bedrud_shm_check(shm_zone, ctx->sh);
    }

    ctx->sh = ngx_slab_calloc(ctx->shpool, sizeof(ngx_http_bedrud_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ctx->sh->magic = NGX_HTTP_BEDRUD_SHM_MAGIC;
    ctx->sh->version = NGX_HTTP_BEDRUD_SHM_VERSION;
    ctx->sh->size = sizeof(ngx_http_bedrud_shctx_t);

    ctx->sh->deny_max = (shm_zone->shm.size - shm_zone->shm.size / 4)
                        / NGX_HTTP_BEDRUD_SHM_DENY_SLOT;

    ngx_rbtree_init(&ctx->sh->limit_rbtree, &ctx->sh->limit_sentinel,
                    ngx_str_rbtree_insert_value);

    ngx_queue_init(&ctx->sh->limit_queue);

    ngx_rbtree_init(&ctx->sh->deny_rbtree, &ctx->sh->deny_sentinel,
                    ngx_str_rbtree_insert_value);

    ngx_rbtree_init(&ctx->sh->deny_timers, &ctx->sh->deny_timers_sentinel,
                    ngx_rbtree_insert_timer_value);

    len = sizeof(" in bedrud zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in bedrud zone \"%V\"%Z",
                &shm_zone->shm.name);

    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_shm_check(ngx_shm_zone_t *shm_zone,
    ngx_http_bedrud_shctx_t *sh)
{
    if (sh == NULL
        || sh->magic != NGX_HTTP_BEDRUD_SHM_MAGIC
        || sh->version != NGX_HTTP_BEDRUD_SHM_VERSION
        || sh->size != sizeof(ngx_http_bedrud_shctx_t))
    {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "bedrud zone \"%V\" was created by an incompatible "
                      "build of the module, restart nginx instead of "
                      "reloading it", &shm_zone->shm.name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_http_bedrud_shm_ctx_t *
ngx_http_bedrud_shm_get(void)
{
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_bedrud_module);

    if (bmcf == NULL || bmcf->shm_zone == NULL) {
        return NULL;
    }

    return bmcf->shm_zone->data;
}


ngx_int_t
ngx_http_bedrud_shm_limit(ngx_http_request_t *r, ngx_uint_t cls,
    time_t *retry_after)
{
    u_char                         key[NGX_HTTP_BEDRUD_SHM_KEY_LEN];
    size_t                         len;
    time_t                         now, window;
    uint32_t                       hash;
    ngx_int_t                      rc;
    ngx_uint_t                     limit, log;
    ngx_http_bedrud_shm_ctx_t     *ctx;
    ngx_http_bedrud_limit_node_t  *ln;
    ngx_http_bedrud_main_conf_t   *bmcf;

    if (cls == NGX_HTTP_BEDRUD_LIMIT_NONE
        || cls >= NGX_HTTP_BEDRUD_LIMIT_CLASSES)
    {
        return NGX_DECLINED;
    }

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (bmcf == NULL || bmcf->shm_zone == NULL) {
        return NGX_DECLINED;
    }

    limit = bmcf->limits[cls].limit;

    if (limit == 0) {
        return NGX_DECLINED;
    }

    window = bmcf->limits[cls].window;

    if (window <= 0) {
        window = 60;
    }

    ctx = bmcf->shm_zone->data;

    len = ngx_http_bedrud_limit_key(r, cls, key);
    hash = ngx_crc32_short(key, len);

    now = ngx_time();
    log = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    ln = ngx_http_bedrud_limit_lookup(ctx, hash, key, len);

    if (ln == NULL) {
        ln = ngx_http_bedrud_limit_alloc(ctx, hash, key, len, now, &log);

        if (ln == NULL) {
            /* nothing could be freed: refused, never unlimited */

            log |= ngx_http_bedrud_shm_log(ctx, &ctx->sh->refused_logged,
                                           now,
                                           NGX_HTTP_BEDRUD_SHM_LOG_REFUSED);

            ngx_shmtx_unlock(&ctx->shpool->mutex);

            ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_LIMIT_REFUSED);
            ngx_http_bedrud_shm_logged(ctx, log, r->connection->log);

            return NGX_ERROR;
        }
    }

    /* a new window: the first hit, a window over, or the clock went back */

    if (now >= ln->reset || ln->reset - now > window) {
        ln->reset = now + window;
        ln->count = 0;
    }

    if (ln->count < limit) {
        ln->count++;
        rc = NGX_OK;

    } else {
        rc = NGX_BUSY;
    }

    *retry_after = ln->reset - now;

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_http_bedrud_shm_logged(ctx, log, r->connection->log);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "bedrud limit class:%ui rc:%i reset:%T",
                   cls, rc, *retry_after);

    if (rc == NGX_BUSY) {
        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_RATE_LIMITED);

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud limiting requests of class %ui, "
                      "%ui per %Ts", cls, limit, window);
    }

    return rc;
}


static size_t
ngx_http_bedrud_limit_key(ngx_http_request_t *r, ngx_uint_t cls,
    u_char *key)
{
    u_char               *p;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    u_char               *a;
    struct sockaddr_in6  *sin6;
#endif

    p = key;

    *p++ = (u_char) cls;

    switch (r->connection->sockaddr->sa_family) {

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        a = sin6->sin6_addr.s6_addr;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            *p++ = 4;
            p = ngx_cpymem(p, &a[12], 4);
            break;
        }

        *p++ = 6;
        p = ngx_cpymem(p, a, 16);
        break;
#endif

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;

        *p++ = 4;
        p = ngx_cpymem(p, &sin->sin_addr.s_addr, 4);
        break;

    default: /* AF_UNIX: all such clients share one key */
        *p++ = 0;
        break;
    }

    return p - key;
}


static ngx_http_bedrud_limit_node_t *
ngx_http_bedrud_limit_lookup(ngx_http_bedrud_shm_ctx_t *ctx, uint32_t hash,
    u_char *data, size_t len)
{
    ngx_str_t                      key;
    ngx_http_bedrud_limit_node_t  *ln;

    key.data = data;
    key.len = len;

    ln = (ngx_http_bedrud_limit_node_t *)
             ngx_str_rbtree_lookup(&ctx->sh->limit_rbtree, &key, hash);

    if (ln) {
        ngx_queue_remove(&ln->queue);
        ngx_queue_insert_head(&ctx->sh->limit_queue, &ln->queue);
    }

    return ln;
}


/*
 * A new rate limit node.  When memory is short, the least recently used
 * ones make room, then denylist nodes (ngx_http_bedrud_deny_evict()):
 * NULL only when nothing is left to free.  *log gets what happened.
 */

static ngx_http_bedrud_limit_node_t *
ngx_http_bedrud_limit_alloc(ngx_http_bedrud_shm_ctx_t *ctx, uint32_t hash,
    u_char *data, size_t len, time_t now, ngx_uint_t *log)
{
    size_t                         size;
    ngx_uint_t                     i;
    ngx_http_bedrud_limit_node_t  *ln;

    size = offsetof(ngx_http_bedrud_limit_node_t, data) + len;

    ngx_http_bedrud_limit_expire(ctx, 1, now);
    ngx_http_bedrud_deny_expire(ctx, 2, now);

    ln = ngx_slab_alloc_locked(ctx->shpool, size);

    if (ln == NULL) {
        ngx_http_bedrud_deny_expire(ctx, NGX_HTTP_BEDRUD_SHM_EXPIRE_MAX, now);
        ln = ngx_slab_alloc_locked(ctx->shpool, size);
    }

    for (i = 0; ln == NULL && i < NGX_HTTP_BEDRUD_SHM_EVICT_MAX; i++) {

        if (ngx_queue_empty(&ctx->sh->limit_queue)) {
            break;
        }

        /* a client seen least recently starts a new window */

        ngx_http_bedrud_limit_expire(ctx, 0, now);
        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_LIMIT_EVICTED);

        *log |= ngx_http_bedrud_shm_log(ctx, &ctx->sh->limit_logged, now,
                                        NGX_HTTP_BEDRUD_SHM_LOG_LIMIT);

        ln = ngx_slab_alloc_locked(ctx->shpool, size);
    }

    for (i = 0; ln == NULL && i < NGX_HTTP_BEDRUD_SHM_EVICT_MAX; i++) {

        if (ctx->sh->deny_timers.root == ctx->sh->deny_timers.sentinel) {
            break;
        }

        ngx_http_bedrud_deny_evict(ctx, now, log);

        ln = ngx_slab_alloc_locked(ctx->shpool, size);
    }

    if (ln == NULL) {
        return NULL;
    }

    ln->sn.node.key = hash;
    ln->sn.str.data = ln->data;
    ln->sn.str.len = len;
    ln->reset = 0;
    ln->count = 0;

    ngx_memcpy(ln->data, data, len);

    ngx_rbtree_insert(&ctx->sh->limit_rbtree, &ln->sn.node);

    ngx_queue_insert_head(&ctx->sh->limit_queue, &ln->queue);

    ctx->sh->limit_entries++;

    return ln;
}


static void
ngx_http_bedrud_limit_expire(ngx_http_bedrud_shm_ctx_t *ctx, ngx_uint_t n,
    time_t now)
{
    ngx_queue_t                   *q;
    ngx_http_bedrud_limit_node_t  *ln;

    /*
     * n == 1 deletes one or two nodes whose window is over
     * n == 0 deletes the oldest node by force
     *        and one or two nodes whose window is over
     */

    while (n < 3) {

        if (ngx_queue_empty(&ctx->sh->limit_queue)) {
            return;
        }

        q = ngx_queue_last(&ctx->sh->limit_queue);

        ln = ngx_queue_data(q, ngx_http_bedrud_limit_node_t, queue);

        if (n++ != 0 && now < ln->reset) {
            return;
        }

        ngx_queue_remove(q);

        ngx_rbtree_delete(&ctx->sh->limit_rbtree, &ln->sn.node);

        ngx_slab_free_locked(ctx->shpool, ln);

        ctx->sh->limit_entries--;
    }
}


ngx_int_t
ngx_http_bedrud_shm_revoked(ngx_str_t *id)
{
    time_t                        now;
    uint32_t                      hash;
    ngx_int_t                     rc;
    ngx_http_bedrud_shm_ctx_t    *ctx;
    ngx_http_bedrud_deny_node_t  *dn;

    ctx = ngx_http_bedrud_shm_get();

    if (ctx == NULL
        || id->len == 0
        || id->len > NGX_HTTP_BEDRUD_SHM_ID_MAX)
    {
        return NGX_DECLINED;
    }

    hash = ngx_crc32_short(id->data, id->len);

    now = ngx_time();

    ngx_shmtx_lock(&ctx->shpool->mutex);

    dn = ngx_http_bedrud_deny_lookup(ctx, hash, id->data, id->len);

    if (dn && (time_t) dn->timer.key <= now) {
        ngx_http_bedrud_deny_free(ctx, dn);
        dn = NULL;
    }

    if (dn) {
        rc = NGX_OK;

    } else if (now < ctx->sh->lossy_until) {
        /* it may have been evicted: Redis knows */
        rc = NGX_AGAIN;

    } else {
        rc = NGX_DECLINED;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "bedrud denylist \"%V\": %i", id, rc);

    return rc;
}


void
ngx_http_bedrud_shm_revoke(ngx_str_t *id, time_t exp)
{
    size_t                        size;
    time_t                        now;
    uint32_t                      hash;
    ngx_uint_t                    log;
    ngx_http_bedrud_shm_ctx_t    *ctx;
    ngx_http_bedrud_deny_node_t  *dn;

    ctx = ngx_http_bedrud_shm_get();

    if (ctx == NULL || id->len == 0) {
        return;
    }

    if (id->len > NGX_HTTP_BEDRUD_SHM_ID_MAX) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "bedrud denylist id is longer than %d bytes: \"%V\"",
                      NGX_HTTP_BEDRUD_SHM_ID_MAX, id);
        return;
    }

    now = ngx_time();

    if (exp <= now) {
        return;
    }

    hash = ngx_crc32_short(id->data, id->len);

    log = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    dn = ngx_http_bedrud_deny_lookup(ctx, hash, id->data, id->len);

    if (dn) {
        if ((time_t) dn->timer.key < exp) {
            ngx_rbtree_delete(&ctx->sh->deny_timers, &dn->timer);
            dn->timer.key = (ngx_rbtree_key_t) exp;
            ngx_rbtree_insert(&ctx->sh->deny_timers, &dn->timer);
        }

        goto done;
    }

    size = offsetof(ngx_http_bedrud_deny_node_t, data) + id->len;

    dn = ngx_http_bedrud_deny_alloc(ctx, size, now, &log);

    if (dn == NULL) {
        /* not even an eviction made room: this one is in Redis only */

        ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_DENY_DROPPED);

        if (ctx->sh->lossy_until < exp) {
            ctx->sh->lossy_until = exp;
        }

        log |= ngx_http_bedrud_shm_log(ctx, &ctx->sh->deny_logged, now,
                                       NGX_HTTP_BEDRUD_SHM_LOG_DENY);
        goto done;
    }

    dn->sn.node.key = hash;
    dn->sn.str.data = dn->data;
    dn->sn.str.len = id->len;
    dn->timer.key = (ngx_rbtree_key_t) exp;

    ngx_memcpy(dn->data, id->data, id->len);

    ngx_rbtree_insert(&ctx->sh->deny_rbtree, &dn->sn.node);
    ngx_rbtree_insert(&ctx->sh->deny_timers, &dn->timer);

    ctx->sh->deny_entries++;

done:

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_http_bedrud_shm_logged(ctx, log, ngx_cycle->log);
}


static ngx_http_bedrud_deny_node_t *
ngx_http_bedrud_deny_lookup(ngx_http_bedrud_shm_ctx_t *ctx, uint32_t hash,
    u_char *data, size_t len)
{
    ngx_str_t  key;

    key.data = data;
    key.len = len;

    return (ngx_http_bedrud_deny_node_t *)
               ngx_str_rbtree_lookup(&ctx->sh->deny_rbtree, &key, hash);
}


/*
 * A new denylist node: within the denylist's share of the zone, the node
 * closest to its expiry makes room (never a rate limit node); NULL when
 * even that fails.
 */

static ngx_http_bedrud_deny_node_t *
ngx_http_bedrud_deny_alloc(ngx_http_bedrud_shm_ctx_t *ctx, size_t size,
    time_t now, ngx_uint_t *log)
{
    void        *node;
    ngx_uint_t   i;

    ngx_http_bedrud_deny_expire(ctx, 2, now);
    ngx_http_bedrud_limit_expire(ctx, 1, now);

    if (ctx->sh->deny_entries >= ctx->sh->deny_max) {
        ngx_http_bedrud_deny_expire(ctx, NGX_HTTP_BEDRUD_SHM_EXPIRE_MAX, now);
    }

    if (ctx->sh->deny_entries >= ctx->sh->deny_max) {
        ngx_http_bedrud_deny_evict(ctx, now, log);
    }

    node = ngx_slab_alloc_locked(ctx->shpool, size);

    if (node == NULL) {
        ngx_http_bedrud_deny_expire(ctx, NGX_HTTP_BEDRUD_SHM_EXPIRE_MAX, now);
        node = ngx_slab_alloc_locked(ctx->shpool, size);
    }

    for (i = 0; node == NULL && i < NGX_HTTP_BEDRUD_SHM_EVICT_MAX; i++) {

        if (ctx->sh->deny_timers.root == ctx->sh->deny_timers.sentinel) {
            break;
        }

        ngx_http_bedrud_deny_evict(ctx, now, log);

        node = ngx_slab_alloc_locked(ctx->shpool, size);
    }

    return node;
}


/*
 * Evicts the denylist node closest to its expiry: until then, ids not
 * found are unknown, and checked in Redis.
 */

static void
ngx_http_bedrud_deny_evict(ngx_http_bedrud_shm_ctx_t *ctx, time_t now,
    ngx_uint_t *log)
{
    time_t                        exp;
    ngx_rbtree_node_t            *node;
    ngx_http_bedrud_deny_node_t  *dn;

    if (ctx->sh->deny_timers.root == ctx->sh->deny_timers.sentinel) {
        return;
    }

    node = ngx_rbtree_min(ctx->sh->deny_timers.root,
                          ctx->sh->deny_timers.sentinel);

    dn = (ngx_http_bedrud_deny_node_t *)
             ((u_char *) node - offsetof(ngx_http_bedrud_deny_node_t, timer));

    exp = (time_t) node->key;

    if (ctx->sh->lossy_until < exp) {
        ctx->sh->lossy_until = exp;
    }

    ngx_http_bedrud_deny_free(ctx, dn);

    ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_DENY_DROPPED);

    *log |= ngx_http_bedrud_shm_log(ctx, &ctx->sh->deny_logged, now,
                                    NGX_HTTP_BEDRUD_SHM_LOG_DENY);
}


/* "what" is to be logged if it was not in the last minute (locked) */

static ngx_uint_t
ngx_http_bedrud_shm_log(ngx_http_bedrud_shm_ctx_t *ctx, time_t *last,
    time_t now, ngx_uint_t what)
{
    if (now - *last < NGX_HTTP_BEDRUD_SHM_LOG_EVERY) {
        return 0;
    }

    *last = now;

    return what;
}


/* the log lines of a full zone, once the lock is released */

static void
ngx_http_bedrud_shm_logged(ngx_http_bedrud_shm_ctx_t *ctx, ngx_uint_t what,
    ngx_log_t *log)
{
    if (what & NGX_HTTP_BEDRUD_SHM_LOG_DENY) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "bedrud zone is full%s: revocations were evicted, "
                      "tokens they do not name are checked in Redis until "
                      "they expire (make the zone larger)",
                      ctx->shpool->log_ctx);
    }

    if (what & NGX_HTTP_BEDRUD_SHM_LOG_LIMIT) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "bedrud zone is full%s: rate limits forget the "
                      "clients seen least recently (make the zone larger)",
                      ctx->shpool->log_ctx);
    }

    if (what & NGX_HTTP_BEDRUD_SHM_LOG_REFUSED) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "bedrud zone is full%s: no room for a rate limit, "
                      "requests of the class are refused",
                      ctx->shpool->log_ctx);
    }
}


static void
ngx_http_bedrud_deny_expire(ngx_http_bedrud_shm_ctx_t *ctx, ngx_uint_t n,
    time_t now)
{
    ngx_rbtree_node_t            *node, *root, *sentinel;
    ngx_http_bedrud_deny_node_t  *dn;

    sentinel = ctx->sh->deny_timers.sentinel;

    while (n--) {

        root = ctx->sh->deny_timers.root;

        if (root == sentinel) {
            return;
        }

        node = ngx_rbtree_min(root, sentinel);

        if ((time_t) node->key > now) {
            return;
        }

        dn = (ngx_http_bedrud_deny_node_t *)
                 ((u_char *) node - offsetof(ngx_http_bedrud_deny_node_t,
                                             timer));

        ngx_http_bedrud_deny_free(ctx, dn);
    }
}


static void
ngx_http_bedrud_deny_free(ngx_http_bedrud_shm_ctx_t *ctx,
    ngx_http_bedrud_deny_node_t *dn)
{
    ngx_rbtree_delete(&ctx->sh->deny_timers, &dn->timer);
    ngx_rbtree_delete(&ctx->sh->deny_rbtree, &dn->sn.node);

    ngx_slab_free_locked(ctx->shpool, dn);

    ctx->sh->deny_entries--;
}


/* the zone's counters (ngx_http_bedrud_metrics.c); NULL without a zone */

ngx_http_bedrud_metrics_t *
ngx_http_bedrud_shm_metrics(void)
{
    ngx_http_bedrud_shm_ctx_t  *ctx;

    ctx = ngx_http_bedrud_shm_get();

    return (ctx == NULL) ? NULL : &ctx->sh->metrics;
}


/* the zone's gauges; NGX_DECLINED without a zone */

ngx_int_t
ngx_http_bedrud_shm_stats(ngx_http_bedrud_shm_stats_t *stats)
{
    ngx_http_bedrud_shm_ctx_t    *ctx;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_bedrud_module);

    if (bmcf == NULL || bmcf->shm_zone == NULL) {
        return NGX_DECLINED;
    }

    ctx = bmcf->shm_zone->data;

    stats->deny_entries = ctx->sh->deny_entries;
    stats->limit_entries = ctx->sh->limit_entries;
    stats->deny_max = ctx->sh->deny_max;
    stats->pages_free = ctx->shpool->pfree;
    stats->size = bmcf->shm_zone->shm.size;
    stats->lossy = (ngx_time() < ctx->sh->lossy_until);

    return NGX_OK;
}
