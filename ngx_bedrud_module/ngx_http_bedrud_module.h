
/*
 * Copyright (C) ngx_bedrud authors
 */


#ifndef _NGX_HTTP_BEDRUD_MODULE_H_INCLUDED_
#define _NGX_HTTP_BEDRUD_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>

#include "ngx_http_bedrud_functions.h"


#define NGX_HTTP_BEDRUD_MAX_PARAMS       3

/* token kinds: never interchangeable */
#define NGX_HTTP_BEDRUD_TOKEN_ACCESS     1
#define NGX_HTTP_BEDRUD_TOKEN_REFRESH    2

/* auth levels of a route */
#define NGX_HTTP_BEDRUD_AUTH_NONE        0
#define NGX_HTTP_BEDRUD_AUTH_USER        1
#define NGX_HTTP_BEDRUD_AUTH_SUPERADMIN  2

/* rate limit classes (index into the zone's limit table) */
#define NGX_HTTP_BEDRUD_LIMIT_NONE       0
#define NGX_HTTP_BEDRUD_LIMIT_AUTH       1
#define NGX_HTTP_BEDRUD_LIMIT_GUEST      2
#define NGX_HTTP_BEDRUD_LIMIT_CLASSES    3

/* reply types, the same numbers as hiredis' REDIS_REPLY_* */
#define NGX_HTTP_BEDRUD_REPLY_STRING     1
#define NGX_HTTP_BEDRUD_REPLY_ARRAY      2
#define NGX_HTTP_BEDRUD_REPLY_INTEGER    3
#define NGX_HTTP_BEDRUD_REPLY_NIL        4
#define NGX_HTTP_BEDRUD_REPLY_STATUS     5
#define NGX_HTTP_BEDRUD_REPLY_ERROR      6

#define NGX_HTTP_BEDRUD_MAX_CMDS         8


typedef struct ngx_http_bedrud_ctx_s  ngx_http_bedrud_ctx_t;

typedef void (*ngx_http_bedrud_step_pt)(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


typedef struct {
    ngx_uint_t                  limit;     /* requests per window, 0: off */
    time_t                      window;    /* seconds */
} ngx_http_bedrud_limit_t;


typedef struct {
    ngx_uint_t                  ln;        /* log2(N) */
    ngx_uint_t                  r;
    ngx_uint_t                  p;
} ngx_http_bedrud_scrypt_t;


/* an address resolved at configuration time */
typedef struct {
    ngx_str_t                   host;      /* IP literal, NUL-terminated */
    in_port_t                   port;
} ngx_http_bedrud_addr_t;


typedef struct {
    /* Redis */
    ngx_str_t                   redis_host;     /* IP literal, or "" */
    in_port_t                   redis_port;
    ngx_str_t                   redis_unix;     /* socket path, or "" */
    ngx_str_t                   redis_password; /* from a file */
    ngx_int_t                   redis_db;
    ngx_msec_t                  redis_timeout;
    ngx_array_t                *redis_functions; /* ngx_str_t: libraries */

    /* Redis Sentinel: the primary's name, or "" */
    ngx_str_t                   sentinel_master;
    ngx_array_t                *sentinels;      /* ngx_http_bedrud_addr_t */
    ngx_str_t                   sentinel_password; /* from a file */

    /* WAIT after writes: replicas, 0 (off), and how long */
    ngx_uint_t                  redis_wait;
    ngx_msec_t                  redis_wait_timeout;

    /* tokens */
    ngx_str_t                   jwt_secret;     /* from a file */
    time_t                      access_ttl;
    time_t                      refresh_ttl;
    time_t                      refresh_grace;
    ngx_str_t                   cookie_domain;
    ngx_flag_t                  cookie_secure;
    ngx_array_t                *trusted_origins; /* ngx_str_t, or NULL */

    /* passwords */
    ngx_http_bedrud_scrypt_t    scrypt;
    ngx_str_t                   dummy_hash;     /* for unknown users */
    ngx_thread_pool_t          *thread_pool;
    ngx_str_t                   thread_pool_name;

    /* request limits */
    size_t                      body_limit;
    ngx_array_t                *api_locations; /* their core loc confs;
                                                  NULL: no bedrud_api */
    ngx_http_bedrud_limit_t     limits[NGX_HTTP_BEDRUD_LIMIT_CLASSES];
    ngx_shm_zone_t             *shm_zone;

    /* LiveKit */
    ngx_str_t                   livekit_host;
    ngx_str_t                   livekit_key;
    ngx_str_t                   livekit_secret; /* from a file */
    ngx_str_t                   livekit_api;    /* location prefix, no
                                                   trailing "/", or "" */

    /* chat uploads */
    ngx_str_t                   upload_dir;     /* or "": none */
    off_t                       upload_max;     /* a file's bytes */
} ngx_http_bedrud_main_conf_t;


/* A Redis reply copied into the request pool. */
typedef struct ngx_http_bedrud_reply_s  ngx_http_bedrud_reply_t;

struct ngx_http_bedrud_reply_s {
    ngx_uint_t                  type;
    long long                   integer;
    ngx_str_t                   str;
    ngx_uint_t                  nelts;
    ngx_http_bedrud_reply_t   **elts;
};


/* The verified claims of a Bedrud token. */
typedef struct {
    ngx_uint_t                  type;      /* NGX_HTTP_BEDRUD_TOKEN_* */
    ngx_str_t                   user_id;
    ngx_str_t                   email;
    ngx_str_t                   name;
    ngx_str_t                   provider;
    ngx_str_t                   accesses;  /* JSON array text */
    ngx_str_t                   jti;
    ngx_str_t                   fam;       /* login session (token family) */
    time_t                      iat;
    time_t                      exp;
    uint64_t                    version;   /* "ver": the user's token
                                              version at issue */
    unsigned                    superadmin:1;
} ngx_http_bedrud_claims_t;


typedef struct {
    ngx_uint_t                  method;    /* NGX_HTTP_GET, ... */
    const char                 *pattern;   /* "/api/room/:roomId/settings" */
    ngx_http_bedrud_step_pt     handler;
    ngx_uint_t                  auth;      /* NGX_HTTP_BEDRUD_AUTH_* */
    ngx_uint_t                  limit;     /* NGX_HTTP_BEDRUD_LIMIT_* */
    const char                 *invalid;   /* 400 text for a bad body */
    unsigned                    body:1;    /* needs a JSON body */
    unsigned                    body_optional:1; /* empty/bad body is ok */
    unsigned                    raw:2;     /* 1: the handler gets ctx->raw
                                              and parses it itself; 2: it
                                              reads the body itself, to a
                                              file if large (an upload) */
} ngx_http_bedrud_route_t;

#define NGX_HTTP_BEDRUD_BODY_RAW         1
#define NGX_HTTP_BEDRUD_BODY_FILE        2


typedef struct ngx_http_bedrud_tracker_s  ngx_http_bedrud_tracker_t;


/* what became of the last LiveKit call (ngx_http_bedrud_livekit_api.c) */
typedef struct {
    ngx_uint_t                  outcome;   /* NGX_HTTP_BEDRUD_LK_* */
    ngx_uint_t                  status;    /* its HTTP status, if any */
    ngx_str_t                   body;      /* its answer */
} ngx_http_bedrud_livekit_result_t;


struct ngx_http_bedrud_ctx_s {
    ngx_http_bedrud_route_t    *route;
    ngx_str_t                   params[NGX_HTTP_BEDRUD_MAX_PARAMS];
    ngx_uint_t                  nparams;

    json_t                     *body;      /* parsed JSON body or NULL */
    ngx_str_t                   raw;       /* the body's bytes (raw routes) */
    ngx_uint_t                  body_error; /* body present but invalid */
    ngx_http_bedrud_claims_t    claims;    /* valid when route->auth */
    ngx_str_t                   token;     /* raw access token used */

    /* results of the last asynchronous step */
    ngx_http_bedrud_reply_t    *replies[NGX_HTTP_BEDRUD_MAX_CMDS];
    ngx_uint_t                  nreplies;
    ngx_str_t                   pw_hash;   /* new PHC string, if any */
    unsigned                    pw_ok:1;
    unsigned                    pw_rehash:1;

    ngx_http_bedrud_step_pt     next;
    ngx_http_bedrud_tracker_t  *tracker;
    ngx_event_t                 timer;
    void                       *data;      /* handler-private state */
    void                       *call;      /* LiveKit API call, if any */
    ngx_http_bedrud_livekit_result_t  livekit;

    ngx_msec_t                  start;
    unsigned                    done:1;
    unsigned                    recheck:1; /* the zone could not vouch for
                                              the token: ask Redis */
    unsigned                    cookie:1;  /* the token came in a cookie */
};


/* A command for ngx_http_bedrud_redis_call(). */
typedef struct {
    ngx_uint_t                  argc;
    ngx_str_t                  *argv;
} ngx_http_bedrud_cmd_t;


extern ngx_module_t  ngx_http_bedrud_module;


/* ngx_http_bedrud_module.c: the pipeline */
void ngx_http_bedrud_run(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_router.c */
ngx_http_bedrud_route_t *ngx_http_bedrud_route(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *allow);


/* ngx_http_bedrud_token_cache.c: verified access tokens, per worker */
ngx_int_t ngx_http_bedrud_token_cache_init(ngx_cycle_t *cycle);
ngx_int_t ngx_http_bedrud_token_cache_lookup(ngx_pool_t *pool,
    ngx_str_t *token, ngx_str_t *secret, ngx_http_bedrud_claims_t *claims);
void ngx_http_bedrud_token_cache_remember(ngx_str_t *token, ngx_str_t *secret,
    ngx_http_bedrud_claims_t *claims, ngx_log_t *log);


/* ngx_http_bedrud_http.c: replies finalize the request exactly once */
void ngx_http_bedrud_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json);
void ngx_http_bedrud_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *text);
void ngx_http_bedrud_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message);
void ngx_http_bedrud_unavailable(ngx_http_request_t *r);
void ngx_http_bedrud_internal_error(ngx_http_request_t *r);
ngx_int_t ngx_http_bedrud_add_header(ngx_http_request_t *r, const char *key,
    ngx_str_t *value);
ngx_int_t ngx_http_bedrud_set_cookie(ngx_http_request_t *r,
    const char *name, ngx_str_t *value, time_t max_age);
ngx_int_t ngx_http_bedrud_get_cookie(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_bedrud_same_origin(ngx_http_request_t *r);
ngx_int_t ngx_http_bedrud_read_body(ngx_http_request_t *r);
/* a raw body as the JSON object ctx->body: NGX_OK, NGX_DECLINED (bad) */
ngx_int_t ngx_http_bedrud_body_json(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *raw);
json_t *ngx_http_bedrud_json_pool(ngx_pool_t *pool, json_t *json);
json_t *ngx_http_bedrud_json_get(json_t *obj, const char *key);
ngx_int_t ngx_http_bedrud_json_dump(ngx_pool_t *pool, json_t *json,
    ngx_str_t *out);
ngx_int_t ngx_http_bedrud_json_str(json_t *obj, const char *key,
    ngx_str_t *value);
ngx_int_t ngx_http_bedrud_json_bool(json_t *obj, const char *key,
    ngx_flag_t *value);
ngx_int_t ngx_http_bedrud_json_int(json_t *obj, const char *key,
    ngx_int_t *value);
json_t *ngx_http_bedrud_json_string(ngx_str_t *s);
json_t *ngx_http_bedrud_json_list(ngx_str_t *text);
typedef json_t *(*ngx_http_bedrud_item_pt)(ngx_http_bedrud_reply_t *reply);
json_t *ngx_http_bedrud_json_items(ngx_http_bedrud_reply_t *reply,
    ngx_uint_t from, ngx_http_bedrud_item_pt item);
ngx_int_t ngx_http_bedrud_bearer(ngx_http_request_t *r, ngx_str_t *token);
ngx_int_t ngx_http_bedrud_arg_int(ngx_http_request_t *r, const char *name,
    ngx_int_t def, ngx_int_t *value);


/* ngx_http_bedrud_redis.c: the connection; it reports, never answers */

#define ngx_http_bedrud_redis_configured(bmcf)                               \
    ((bmcf)->redis_host.len || (bmcf)->redis_unix.len                       \
     || (bmcf)->sentinel_master.len)

/* what became of a request's commands: NGX_OK, NGX_ERROR, NGX_DECLINED */
typedef void (*ngx_http_bedrud_redis_done_pt)(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_int_t rc);
/* the reply to a command of no request, NULL if none came */
typedef void (*ngx_http_bedrud_redis_handler_pt)(
    ngx_http_bedrud_reply_t *reply, void *data);
typedef void (*ngx_http_bedrud_redis_ready_pt)(void);

ngx_int_t ngx_http_bedrud_redis_init_process(ngx_cycle_t *cycle);
void ngx_http_bedrud_redis_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_bedrud_redis_ready(void);
void ngx_http_bedrud_redis_on_ready(ngx_http_bedrud_redis_ready_pt handler);
ngx_int_t ngx_http_bedrud_redis_request(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_cmd_t *cmds, ngx_uint_t n,
    ngx_http_bedrud_redis_done_pt done);
ngx_int_t ngx_http_bedrud_redis_fcall(ngx_pool_t *pool, const char *function,
    ngx_uint_t nkeys, ngx_uint_t nargs, ngx_str_t *args,
    ngx_http_bedrud_cmd_t *cmd);
ngx_int_t ngx_http_bedrud_redis_command(ngx_pool_t *pool, ngx_uint_t argc,
    ngx_str_t *argv, ngx_http_bedrud_redis_handler_pt handler, void *data);
ngx_http_bedrud_reply_t *ngx_http_bedrud_reply_elt(
    ngx_http_bedrud_reply_t *reply, ngx_uint_t i);
ngx_str_t *ngx_http_bedrud_reply_str(ngx_http_bedrud_reply_t *reply,
    ngx_uint_t i);
ngx_int_t ngx_http_bedrud_reply_is(ngx_http_bedrud_reply_t *reply,
    const char *status);
/* drives a hiredis context from nginx's event loop (and frees it there) */
struct redisAsyncContext;
ngx_int_t ngx_http_bedrud_redis_attach(struct redisAsyncContext *ac,
    ngx_log_t *log);
/* the sentinels name another primary: go there */
void ngx_http_bedrud_redis_moved(u_char *host, in_port_t port);
/* reconnect, e.g. to load the functions again; safe inside callbacks */
void ngx_http_bedrud_redis_reconnect(const char *why);


/* ngx_http_bedrud_sentinel.c: which node is the primary */

/* the primary's address (host NUL-terminated), or NULL if none answered */
typedef void (*ngx_http_bedrud_sentinel_found_pt)(u_char *host,
    in_port_t port);

ngx_int_t ngx_http_bedrud_sentinel_init_process(ngx_cycle_t *cycle);
void ngx_http_bedrud_sentinel_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_bedrud_sentinel_discover(
    ngx_http_bedrud_sentinel_found_pt found);


/* ngx_http_bedrud_revlog.c: revocations from Redis into the zone */
ngx_int_t ngx_http_bedrud_revlog_init_process(ngx_cycle_t *cycle);
void ngx_http_bedrud_revlog_exit_process(ngx_cycle_t *cycle);
ngx_uint_t ngx_http_bedrud_revlog_revoke(ngx_http_bedrud_reply_t *reply,
    ngx_uint_t from, time_t exp);
void ngx_http_bedrud_revlog_stale(ngx_str_t *uid,
    ngx_http_bedrud_reply_t *reply, time_t exp);
void ngx_http_bedrud_revlog_check(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);



/* ngx_http_bedrud_step.c: a handler's asynchronous steps */
void *ngx_http_bedrud_state(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, size_t size);
void ngx_http_bedrud_resume(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
/* waiting for a thread task, and its end (NGX_DONE: the request is gone) */
void ngx_http_bedrud_block(ngx_http_request_t *r, ngx_event_t *guard,
    const char *what);
ngx_int_t ngx_http_bedrud_unblock(ngx_http_request_t *r, ngx_event_t *guard);
void ngx_http_bedrud_query(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_http_bedrud_cmd_t *cmds, ngx_uint_t n, ngx_http_bedrud_step_pt next);
void ngx_http_bedrud_fcall(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    const char *function, ngx_uint_t nkeys, ngx_uint_t nargs,
    ngx_str_t *args, ngx_http_bedrud_step_pt next);

/*
 * A Redis function by its name in ngx_http_bedrud_functions.h (ROOM_JOIN,
 * ...): the function, its key count and argument count come from there.
 */
#define ngx_http_bedrud_call(r, ctx, fn, args, next)                          \
    ngx_http_bedrud_fcall(r, ctx, NGX_HTTP_BEDRUD_ ## fn,                     \
                          NGX_HTTP_BEDRUD_ ## fn ## _NKEYS,                   \
                          NGX_HTTP_BEDRUD_ ## fn ## _N, args, next)

/* a Redis function's status word and the error answer it stands for */
typedef struct {
    const char                 *status;
    ngx_uint_t                  code;
    const char                 *error;
} ngx_http_bedrud_status_t;

/*
 * NGX_OK when the reply's status is "OK"; else the error "map" (ended by
 * a NULL status) gives for it, or a 500 with "fallback" (NULL: "internal
 * server error"), has been sent, and NGX_DONE is returned.
 */
ngx_int_t ngx_http_bedrud_reply_check(ngx_http_request_t *r,
    ngx_http_bedrud_reply_t *reply, ngx_http_bedrud_status_t *map,
    const char *fallback);
/* the answer for a LiveKit call that failed; "done": what was done */
void ngx_http_bedrud_livekit_failed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *done);


/* ngx_http_bedrud_shm.c: the shared zone, rate limits, the denylist */
char *ngx_http_bedrud_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
/*
 * NGX_BUSY over the limit: *retry_after is when the window resets;
 * NGX_ERROR: the zone has no room to count, the request is refused
 */
ngx_int_t ngx_http_bedrud_shm_limit(ngx_http_request_t *r,
    ngx_uint_t cls, time_t *retry_after);
/* NGX_OK: revoked; NGX_DECLINED: not; NGX_AGAIN: unknown, ask Redis */
ngx_int_t ngx_http_bedrud_shm_revoked(ngx_str_t *id);
void ngx_http_bedrud_shm_revoke(ngx_str_t *id, time_t exp);

/* the zone's gauges */
typedef struct {
    ngx_atomic_uint_t           deny_entries;
    ngx_atomic_uint_t           limit_entries;
    ngx_uint_t                  deny_max;
    ngx_uint_t                  pages_free;
    size_t                      size;
    ngx_uint_t                  lossy;     /* revocations evicted live */
} ngx_http_bedrud_shm_stats_t;

ngx_int_t ngx_http_bedrud_shm_stats(ngx_http_bedrud_shm_stats_t *stats);


/* ngx_http_bedrud_metrics.c: counters in the shared zone, GET /metrics */

#define NGX_HTTP_BEDRUD_METRICS_CODES    5     /* 2xx, 3xx, 4xx, 5xx, other */
#define NGX_HTTP_BEDRUD_METRICS_STATUSES 4     /* 401, 403, 429, 503 */
#define NGX_HTTP_BEDRUD_METRICS_BUCKETS  12    /* the last one is +Inf */
#define NGX_HTTP_BEDRUD_METRICS_EVENTS   11

/* in the zone: a new field changes NGX_HTTP_BEDRUD_SHM_VERSION */
typedef struct {
    ngx_atomic_t                codes[NGX_HTTP_BEDRUD_METRICS_CODES];
    ngx_atomic_t                statuses[NGX_HTTP_BEDRUD_METRICS_STATUSES];
    ngx_atomic_t                buckets[NGX_HTTP_BEDRUD_METRICS_BUCKETS];
    ngx_atomic_t                latency;   /* sum, milliseconds */
    ngx_atomic_t                rate_limited;
    ngx_atomic_t                events[NGX_HTTP_BEDRUD_METRICS_EVENTS];
    ngx_atomic_t                deny_dropped;
} ngx_http_bedrud_metrics_t;

/* the zone's counters, NULL without a zone (ngx_http_bedrud_shm.c) */
ngx_http_bedrud_metrics_t *ngx_http_bedrud_shm_metrics(void);

void ngx_http_bedrud_metrics_account(ngx_uint_t status, ngx_msec_t latency);
void ngx_http_bedrud_metrics_count(ngx_uint_t what);
ngx_int_t ngx_http_bedrud_metrics_handler(ngx_http_request_t *r);

/* events counted by ngx_http_bedrud_metrics_count() */
#define NGX_HTTP_BEDRUD_REDIS_ERROR      0
#define NGX_HTTP_BEDRUD_REDIS_TIMEOUT    1
#define NGX_HTTP_BEDRUD_REDIS_RECONNECT  2
#define NGX_HTTP_BEDRUD_TOKEN_VERIFIED   3
#define NGX_HTTP_BEDRUD_E2EE_REMOVED     4
#define NGX_HTTP_BEDRUD_BANNED_REMOVED   5
#define NGX_HTTP_BEDRUD_RATE_LIMITED     6
#define NGX_HTTP_BEDRUD_DENY_DROPPED     7
#define NGX_HTTP_BEDRUD_LIMIT_EVICTED    8
#define NGX_HTTP_BEDRUD_LIMIT_REFUSED    9
#define NGX_HTTP_BEDRUD_REVOKED_CHECKED  10


/* ngx_http_bedrud_password.c */
ngx_int_t ngx_http_bedrud_scrypt_hash(ngx_http_bedrud_scrypt_t *params,
    const u_char *pw, size_t len, u_char *out, size_t *outlen);
ngx_int_t ngx_http_bedrud_scrypt_verify(const u_char *pw, size_t len,
    const u_char *phc, size_t phclen, ngx_http_bedrud_scrypt_t *want,
    ngx_uint_t *rehash);
void ngx_http_bedrud_password_hash(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *password,
    ngx_http_bedrud_step_pt next);
void ngx_http_bedrud_password_verify(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *password, ngx_str_t *phc,
    ngx_http_bedrud_step_pt next);
ngx_int_t ngx_http_bedrud_password_init_conf(ngx_conf_t *cf,
    ngx_http_bedrud_main_conf_t *bmcf);

#define NGX_HTTP_BEDRUD_PHC_MAX          160


/* ngx_http_bedrud_jwt.c: no request state */
ngx_int_t ngx_http_bedrud_jwt_verify(ngx_pool_t *pool, ngx_str_t *token,
    ngx_str_t *secret, ngx_uint_t type, time_t now,
    ngx_http_bedrud_claims_t *claims);

/*
 * The payload object of an HS256 token whose header and signature check
 * out ("alg" pinned, signature over the secret); the caller checks the
 * claims and json_decref()s it.  NGX_DECLINED for any bad token.
 */
ngx_int_t ngx_http_bedrud_jwt_decode(ngx_pool_t *pool, ngx_str_t *token,
    ngx_str_t *secret, json_t **payload);
/* a NumericDate claim: a non-negative integer; 0 when absent */
ngx_int_t ngx_http_bedrud_jwt_time(json_t *obj, const char *name,
    ngx_uint_t required, time_t *value);
ngx_int_t ngx_http_bedrud_jwt_issue(ngx_pool_t *pool, ngx_str_t *secret,
    ngx_http_bedrud_claims_t *claims, time_t now, time_t ttl,
    ngx_str_t *token);

/*
 * HMAC-SHA256 into mac[NGX_HTTP_BEDRUD_HS256_LEN], with one keyed OpenSSL
 * context per secret kept for the process: worker event loops only, it
 * takes no lock.
 */
ngx_int_t ngx_http_bedrud_hs256(ngx_str_t *secret, const u_char *in,
    size_t len, u_char *mac);

/* header.payload.signature: HS256 over a payload JSON text, no libjwt */
ngx_int_t ngx_http_bedrud_jwt_encode(ngx_pool_t *pool, ngx_str_t *secret,
    const u_char *payload, size_t len, ngx_str_t *token);

#define NGX_HTTP_BEDRUD_HS256_LEN        32


/* ngx_http_bedrud_validate.c: what input may be; no request state */
ngx_int_t ngx_http_bedrud_utf8_valid(const u_char *p, size_t len);
ngx_int_t ngx_http_bedrud_has_ctl(const u_char *p, size_t len);
ngx_int_t ngx_http_bedrud_email_valid(const u_char *p, size_t len);
ngx_int_t ngx_http_bedrud_json_depth_ok(const u_char *p, size_t len,
    ngx_uint_t max);
ngx_uint_t ngx_http_bedrud_json_tame(u_char *p, size_t len);
ngx_int_t ngx_http_bedrud_json_media_type(ngx_str_t *type);
/* "scheme" is "http" or "https"; "host" a Host header's value */
ngx_int_t ngx_http_bedrud_origin_match(ngx_str_t *origin, ngx_str_t *scheme,
    ngx_str_t *host);
ngx_int_t ngx_http_bedrud_uuid_valid(ngx_str_t *id);
/* the error text for a bad room name (Bedrud's), or NULL */
const char *ngx_http_bedrud_room_name_error(ngx_str_t *name);
/* a display name: NGX_HTTP_BEDRUD_NAME_OK, _LONG or _INVALID */
ngx_uint_t ngx_http_bedrud_display_name(ngx_str_t *name);
ngx_int_t ngx_http_bedrud_identity_valid(ngx_str_t *id);
/* a user or room id that can be a key of ours (OAuth ids too) */
ngx_int_t ngx_http_bedrud_id_valid(ngx_str_t *id);
/* a role: 1..32 bytes of [a-z0-9_-] */
ngx_int_t ngx_http_bedrud_role_valid(const char *role, size_t len);


#define NGX_HTTP_BEDRUD_NAME_OK          0
#define NGX_HTTP_BEDRUD_NAME_LONG        1
#define NGX_HTTP_BEDRUD_NAME_INVALID     2


/* ngx_http_bedrud_string.c: text we write or trim; no request state */
void ngx_http_bedrud_uuid(u_char *out);   /* 36 bytes */
ngx_int_t ngx_http_bedrud_new_uuid(ngx_pool_t *pool, ngx_str_t *id);
ngx_int_t ngx_http_bedrud_random_id(u_char *out, size_t len);
u_char *ngx_http_bedrud_rfc3339(u_char *p, time_t sec, ngx_uint_t usec);
void ngx_http_bedrud_timestamp(u_char *out, size_t *len); /* RFC 3339, now */
/* "2006-01-02 15:04:05", UTC, from RFC 3339; its length, 0 if unparsable */
size_t ngx_http_bedrud_datetime(ngx_str_t *rfc, u_char *out);
size_t ngx_http_bedrud_json_escape_len(ngx_str_t *s);
u_char *ngx_http_bedrud_json_escape(u_char *p, ngx_str_t *s);
u_char *ngx_http_bedrud_write_bool(u_char *p, ngx_uint_t b);
u_char *ngx_http_bedrud_base64_encode(u_char *dst, const u_char *src,
    size_t len, ngx_uint_t url);
ngx_int_t ngx_http_bedrud_base64_decode(u_char *dst, size_t *n,
    const u_char *src, size_t len, ngx_uint_t url);
void ngx_http_bedrud_trim_space(ngx_str_t *s);

#define NGX_HTTP_BEDRUD_UUID_LEN         36
#define NGX_HTTP_BEDRUD_TIMESTAMP_LEN    40
#define NGX_HTTP_BEDRUD_DATETIME_LEN     (sizeof("2006-01-02 15:04:05") - 1)


/* ngx_http_bedrud_keys.c: Redis key names and values; no request state */
ngx_int_t ngx_http_bedrud_key(ngx_pool_t *pool, ngx_uint_t kind,
    ngx_str_t *id, ngx_str_t *key);
ngx_int_t ngx_http_bedrud_session_key(ngx_pool_t *pool, ngx_str_t *uid,
    ngx_str_t *fam, ngx_str_t *key);
ngx_int_t ngx_http_bedrud_stale_id(ngx_str_t *uid, uint64_t ver, u_char *buf,
    ngx_str_t *id);
ngx_int_t ngx_http_bedrud_num(ngx_pool_t *pool, int64_t n, ngx_str_t *s);
void ngx_http_bedrud_bit(ngx_str_t *s, ngx_uint_t on);
ngx_int_t ngx_http_bedrud_now_stamp(ngx_pool_t *pool, ngx_str_t *s);
void ngx_http_bedrud_settings_cmd(ngx_http_bedrud_cmd_t *cmd, ngx_str_t *argv,
    ngx_uint_t n);
extern ngx_str_t  ngx_http_bedrud_settings[];

/* kinds of ngx_http_bedrud_key(): the id goes where <> is */
#define NGX_HTTP_BEDRUD_KEY_USER            0   /* bedrud:user:{<>} */
#define NGX_HTTP_BEDRUD_KEY_USER_ROOMS      1   /* bedrud:user:{<>}:rooms */
#define NGX_HTTP_BEDRUD_KEY_SESSIONS        2   /* bedrud:sessions:{<>} */
#define NGX_HTTP_BEDRUD_KEY_EMAIL           3   /* bedrud:email:<> */
#define NGX_HTTP_BEDRUD_KEY_INVITE          4   /* bedrud:invite:<> */
#define NGX_HTTP_BEDRUD_KEY_INVITE_ID       5   /* bedrud:inviteid:<> */
#define NGX_HTTP_BEDRUD_KEY_ROOM            6   /* bedrud:room:{<>} */
#define NGX_HTTP_BEDRUD_KEY_ROOM_SEATS      7   /* bedrud:room:{<>}:seats */
#define NGX_HTTP_BEDRUD_KEY_ROOM_BANS       8   /* bedrud:room:{<>}:bans */
#define NGX_HTTP_BEDRUD_KEY_ROOM_GUESTBANS  9   /* bedrud:room:{<>}:guestbans */
#define NGX_HTTP_BEDRUD_KEY_ROOM_GUESTS     10  /* bedrud:room:{<>}:guests */
#define NGX_HTTP_BEDRUD_KEY_ROOM_GUESTEXP   11  /* bedrud:room:{<>}:guestexp */
#define NGX_HTTP_BEDRUD_KEY_ROOM_MODS       12  /* bedrud:room:{<>}:mods */
#define NGX_HTTP_BEDRUD_KEY_ROOM_PRESENCE   13  /* bedrud:room:{<>}:presence */
#define NGX_HTTP_BEDRUD_KEY_ROOM_NAME       14  /* bedrud:roomname:<> */
#define NGX_HTTP_BEDRUD_KEY_LK_EVENT        15  /* bedrud:lkevent:<> */
#define NGX_HTTP_BEDRUD_KEY_LOGINFAIL       16  /* bedrud:loginfail:<> */

/* keys of their own */
#define NGX_HTTP_BEDRUD_SETTINGS_KEY     "bedrud:settings"
#define NGX_HTTP_BEDRUD_USERS_KEY        "bedrud:users"
#define NGX_HTTP_BEDRUD_ROOMS_KEY        "bedrud:rooms"
#define NGX_HTTP_BEDRUD_INVITES_KEY      "bedrud:invites"
#define NGX_HTTP_BEDRUD_REVLOG_KEY       "bedrud:revlog"
#define NGX_HTTP_BEDRUD_LIVE_KEY         "bedrud:live"
#define NGX_HTTP_BEDRUD_SUPERADMINS_KEY  "bedrud:superadmins"

/* "u:<user id>:<version>", a user id being 64 bytes at most */
#define NGX_HTTP_BEDRUD_STALE_ID_LEN     96

/* bedrud:settings' switches: registration, invite only, passkeys */
#define NGX_HTTP_BEDRUD_SETTINGS_N       3


/* ngx_http_bedrud_auth.c: accounts, sessions and tokens (/api/auth/...) */
void ngx_http_bedrud_auth_register(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_login(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_guest_login(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_refresh(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_logout(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_password(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_user.c: the user record; /api/auth/me, preferences */

/* a user record, as stored in "bedrud:user:{<userId>}"; strings point
   into the reply */
typedef struct {
    ngx_str_t                   id;
    ngx_str_t                   email;
    ngx_str_t                   name;
    ngx_str_t                   provider;
    ngx_str_t                   avatar;
    ngx_str_t                   accesses;
    ngx_str_t                   pwhash;
    ngx_str_t                   created;
    ngx_str_t                   updated;
    ngx_str_t                   prefs;
    uint64_t                    version;   /* "tokv", 0 when absent */
    ngx_flag_t                  active;
} ngx_http_bedrud_user_t;

ngx_int_t ngx_http_bedrud_user_parse(ngx_http_bedrud_reply_t *reply,
    ngx_uint_t from, ngx_http_bedrud_user_t *user);
json_t *ngx_http_bedrud_user_json(ngx_http_bedrud_user_t *user);
/* a display name; NGX_DECLINED when a 400 has been answered */
ngx_int_t ngx_http_bedrud_name_check(ngx_http_request_t *r, ngx_str_t *name,
    const char *too_short);
void ngx_http_bedrud_user_get(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_step_pt next);
void ngx_http_bedrud_auth_me(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_update_me(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_get_prefs(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_auth_put_prefs(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_health.c: GET /api/health */
void ngx_http_bedrud_health(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_livekit.c: no request state */

#define NGX_HTTP_BEDRUD_LIVEKIT_TTL      3600

/* one participant's join grant: who, where, and the room's settings */
typedef struct {
    ngx_str_t                   identity;  /* user id or "guest-xxxxxxxx" */
    ngx_str_t                   name;      /* display name, may be empty */
    ngx_str_t                   accesses;  /* JSON array text; users only */
    ngx_str_t                   room;      /* the room's name */
    unsigned                    guest:1;
    unsigned                    allow_chat:1;
    unsigned                    allow_video:1;
    unsigned                    allow_audio:1;
    unsigned                    e2ee:1;    /* see ngx_http_bedrud_livekit.c */
    unsigned                    moderator:1; /* "moderator" in accesses */
} ngx_http_bedrud_livekit_grant_t;

/*
 * A signed join token valid for NGX_HTTP_BEDRUD_LIVEKIT_TTL seconds from
 * "now"; NGX_DECLINED when the API key or secret is not configured.
 * Written directly, byte for byte what libjwt wrote (keys sorted); signed
 * with ngx_http_bedrud_hs256(), so from a worker's event loop only.
 */
ngx_int_t ngx_http_bedrud_livekit_token(ngx_pool_t *pool, ngx_str_t *key,
    ngx_str_t *secret, ngx_http_bedrud_livekit_grant_t *g, time_t now,
    ngx_str_t *token);


/* ngx_http_bedrud_webhook.c: POST /api/livekit/webhook */
void ngx_http_bedrud_livekit_webhook(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_livekit_api.c: RoomService calls by subrequest */

/* outcomes of a call */
#define NGX_HTTP_BEDRUD_LK_OK            0  /* done */
#define NGX_HTTP_BEDRUD_LK_NOT_FOUND     1  /* Twirp's not_found */
#define NGX_HTTP_BEDRUD_LK_REFUSED       2  /* another error of LiveKit's */
#define NGX_HTTP_BEDRUD_LK_DOWN          3  /* no answer from LiveKit */
#define NGX_HTTP_BEDRUD_LK_OFF           4  /* no bedrud_livekit_api */
#define NGX_HTTP_BEDRUD_LK_ERROR         5  /* ours: not started */

/* the grant of a call's token */
#define NGX_HTTP_BEDRUD_LK_ADMIN         0  /* roomAdmin of the room */
#define NGX_HTTP_BEDRUD_LK_CREATE        1  /* roomCreate (DeleteRoom) */
#define NGX_HTTP_BEDRUD_LK_LIST          2  /* roomList (ListRooms) */

void ngx_http_bedrud_livekit_call(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *method, ngx_str_t *room,
    ngx_str_t *identity, ngx_http_bedrud_step_pt next);
void ngx_http_bedrud_livekit_request(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *method, ngx_uint_t grant,
    ngx_str_t *room, ngx_str_t *body, ngx_http_bedrud_step_pt next);
ngx_int_t ngx_http_bedrud_livekit_ready(ngx_http_request_t *r);
int64_t ngx_http_bedrud_livekit_int(json_t *obj, const char *snake,
    const char *camel);
ngx_int_t ngx_http_bedrud_livekit_api_variables(ngx_conf_t *cf);


/* ngx_http_bedrud_room.c: the room record; no request state */

#define NGX_HTTP_BEDRUD_ROOM_SEATS       20     /* Bedrud's default */

/* a room record, as stored in "bedrud:room:{<roomId>}" (redis/SCHEMA.md) */
typedef struct {
    ngx_str_t                   id;
    ngx_str_t                   name;
    ngx_str_t                   created_by;
    ngx_str_t                   admin_id;
    ngx_str_t                   mode;
    ngx_str_t                   created_at;
    ngx_str_t                   updated_at;
    ngx_str_t                   expires_at;
    ngx_int_t                   max_participants;
    unsigned                    active:1;
    unsigned                    public:1;
    unsigned                    allow_chat:1;
    unsigned                    allow_video:1;
    unsigned                    allow_audio:1;
    unsigned                    require_approval:1;
    unsigned                    e2ee:1;
    unsigned                    moderator:1; /* a join's: the identity is
                                                a room moderator */
} ngx_http_bedrud_room_t;

/*
 * Reads a room from HGETALL-style field/value pairs: the elements
 * reply->elts[from], [from + 1], ... of an array reply.  Strings point
 * into the reply.  NGX_ERROR if the reply is not an array or has no "id".
 * Missing fields take Bedrud's defaults.
 */
ngx_int_t ngx_http_bedrud_room_parse(ngx_http_bedrud_reply_t *reply,
    ngx_uint_t from, ngx_http_bedrud_room_t *room);

/*
 * The full Room object of Bedrud, keys in its order: id, name, createdBy,
 * isActive, maxParticipants, createdAt, updatedAt, expiresAt, adminId,
 * isPublic, settings {allowChat, allowVideo, allowAudio, requireApproval,
 * e2ee}, mode; built from the same pairs as ngx_http_bedrud_room_parse().
 * A new reference (hand it to ngx_http_bedrud_send() or json_pack "o"),
 * or NULL on a malformed reply or no memory.
 */
json_t *ngx_http_bedrud_room_json(ngx_http_bedrud_reply_t *reply,
    ngx_uint_t from);
/* the same of a listing's room: a nested array of its own */
json_t *ngx_http_bedrud_room_item(ngx_http_bedrud_reply_t *reply);

/* RoomSettings' switches by name, in the wire order */
#define NGX_HTTP_BEDRUD_ROOM_FLAGS       5
extern const char  *ngx_http_bedrud_room_flags[NGX_HTTP_BEDRUD_ROOM_FLAGS];

/* the "settings" object alone, keys in Bedrud's order; a new reference */
json_t *ngx_http_bedrud_room_settings_json(ngx_http_bedrud_room_t *room);

/* a join's reply: JOIN_FIELDS by position after the status */
ngx_int_t ngx_http_bedrud_room_join_parse(ngx_http_bedrud_reply_t *reply,
    ngx_http_bedrud_room_t *room);

/*
 * A request's "settings" object: on create an omitted switch takes its
 * default, on update it becomes false; *present: the object was sent.
 */
ngx_int_t ngx_http_bedrud_room_settings_body(json_t *body,
    ngx_uint_t create, ngx_http_bedrud_room_t *room, ngx_uint_t *present);

/* the settings as stored: the JSON object of Bedrud's wire format */
ngx_int_t ngx_http_bedrud_room_settings_text(ngx_pool_t *pool,
    ngx_http_bedrud_room_t *room, ngx_str_t *text);
u_char *ngx_http_bedrud_room_settings_write(u_char *p,
    ngx_http_bedrud_room_t *room);

#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_LEN                                    \
    (sizeof("{\"allowChat\":false,\"allowVideo\":false,\"allowAudio\":false,"  \
            "\"requireApproval\":false,\"e2ee\":false}") - 1)


/* ngx_http_bedrud_rooms.c: /api/room/... */

void ngx_http_bedrud_room_create(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_join(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_guest_join(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_list(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_delete(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_bans(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_moderation.c: in-room moderation (/api/room/:roomId/...) */
void ngx_http_bedrud_room_moderate(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_ban(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_unban(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_room_stage(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_settings.c: the SystemSettings record; no request state */
json_t *ngx_http_bedrud_settings_json(ngx_http_bedrud_reply_t *rep);
ngx_int_t ngx_http_bedrud_settings_update(ngx_pool_t *pool, json_t *body,
    ngx_str_t *args, ngx_uint_t *n);
ngx_uint_t ngx_http_bedrud_settings_max(void);
off_t ngx_http_bedrud_settings_upload_max(ngx_str_t *stored);


/* ngx_http_bedrud_image.c: an upload's bytes; no request state */

/* an image by its bytes */
typedef struct {
    const char                 *mime;      /* or what else it seems */
    const char                 *ext;
    ngx_uint_t                  width;
    ngx_uint_t                  height;
} ngx_http_bedrud_image_t;

ngx_int_t ngx_http_bedrud_multipart_boundary(ngx_str_t *type,
    ngx_str_t *boundary);
ngx_int_t ngx_http_bedrud_multipart_file(u_char *body, size_t len,
    ngx_str_t *boundary, ngx_str_t *file);
/* NGX_OK an image we take, NGX_DECLINED another kind, NGX_ABORT broken */
ngx_int_t ngx_http_bedrud_image_sniff(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img);


/* ngx_http_bedrud_upload.c: POST /api/room/:roomId/chat/upload */
void ngx_http_bedrud_room_upload(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
ngx_int_t ngx_http_bedrud_upload_variables(ngx_conf_t *cf);


/* ngx_http_bedrud_admin.c: /api/admin/..., superadmin only */
void ngx_http_bedrud_admin_rooms(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_room_update(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_room_close(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_users(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_user(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_user_status(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_user_accesses(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_get_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_put_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_invites(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_invite_create(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_invite_delete(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* ngx_http_bedrud_admin_live.c: LiveKit's view, the online count */
void ngx_http_bedrud_admin_participants(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_online_count(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
void ngx_http_bedrud_admin_livekit_stats(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


#endif /* _NGX_HTTP_BEDRUD_MODULE_H_INCLUDED_ */
