
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Directives, configuration, worker start and stop, and the pipeline of
 * every API request: the content handler routes, rate-limits and
 * authenticates it before a route handler runs; the log phase counts its
 * answer in the metrics.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_SECRET_MIN  32


static ngx_int_t ngx_http_bedrud_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_bedrud_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_bedrud_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_bedrud_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_bedrud_api_conf(ngx_conf_t *cf,
    ngx_http_bedrud_main_conf_t *bmcf);
static ngx_int_t ngx_http_bedrud_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_bedrud_init_process(ngx_cycle_t *cycle);
static void ngx_http_bedrud_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_bedrud_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_bedrud_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_bedrud_early(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);
static ngx_int_t ngx_http_bedrud_authenticate(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static ngx_int_t ngx_http_bedrud_token_verify(ngx_http_request_t *r,
    ngx_str_t *token, ngx_str_t *secret, ngx_http_bedrud_claims_t *claims);
static ngx_int_t ngx_http_bedrud_token_revoked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);

static char *ngx_http_bedrud_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bedrud_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bedrud_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_bedrud_redis_address(ngx_conf_t *cf,
    ngx_http_bedrud_main_conf_t *bmcf, ngx_str_t *addr);
static ngx_int_t ngx_http_bedrud_sentinel_address(ngx_conf_t *cf,
    ngx_http_bedrud_main_conf_t *bmcf, ngx_str_t *addr);
static ngx_int_t ngx_http_bedrud_inet_address(ngx_conf_t *cf,
    ngx_str_t *addr, in_port_t default_port, ngx_http_bedrud_addr_t *out);
static char *ngx_http_bedrud_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bedrud_file_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bedrud_functions(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bedrud_scrypt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bedrud_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_bedrud_origins(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_bedrud_read_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content, size_t max);


static ngx_command_t  ngx_http_bedrud_commands[] = {

    { ngx_string("bedrud_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_bedrud_api,
      0,
      0,
      NULL },

    { ngx_string("bedrud_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_bedrud_metrics,
      0,
      0,
      NULL },

    { ngx_string("bedrud_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_bedrud_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("bedrud_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("bedrud_redis_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_bedrud_redis_wait,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("bedrud_redis_functions"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_bedrud_functions,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("bedrud_jwt_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_bedrud_file_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, jwt_secret),
      NULL },

    { ngx_string("bedrud_access_token_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, access_ttl),
      NULL },

    { ngx_string("bedrud_refresh_token_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, refresh_ttl),
      NULL },

    { ngx_string("bedrud_refresh_grace"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, refresh_grace),
      NULL },

    { ngx_string("bedrud_cookie_secure"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, cookie_secure),
      NULL },

    { ngx_string("bedrud_trusted_origins"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_bedrud_origins,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("bedrud_cookie_domain"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, cookie_domain),
      NULL },

    { ngx_string("bedrud_password_scrypt"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_http_bedrud_scrypt,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("bedrud_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, thread_pool_name),
      NULL },

    { ngx_string("bedrud_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_bedrud_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("bedrud_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_http_bedrud_limit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("bedrud_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, body_limit),
      NULL },

    { ngx_string("bedrud_livekit_host"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, livekit_host),
      NULL },

    { ngx_string("bedrud_livekit_api_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, livekit_key),
      NULL },

    { ngx_string("bedrud_livekit_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_bedrud_file_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, livekit_secret),
      NULL },

    { ngx_string("bedrud_livekit_api"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, livekit_api),
      NULL },

    { ngx_string("bedrud_upload_dir"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, upload_dir),
      NULL },

    { ngx_string("bedrud_upload_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_bedrud_main_conf_t, upload_max),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_bedrud_module_ctx = {
    ngx_http_bedrud_preconfiguration,      /* preconfiguration */
    ngx_http_bedrud_postconfiguration,     /* postconfiguration */

    ngx_http_bedrud_create_main_conf,      /* create main configuration */
    ngx_http_bedrud_init_main_conf,        /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_bedrud_module = {
    NGX_MODULE_V1,
    &ngx_http_bedrud_module_ctx,           /* module context */
    ngx_http_bedrud_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_bedrud_init_module,           /* init module */
    ngx_http_bedrud_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_bedrud_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* checks the caller before an unknown /api/admin path is answered */
static ngx_http_bedrud_route_t  ngx_http_bedrud_admin_guard = {
    0, "/api/admin", NULL, NGX_HTTP_BEDRUD_AUTH_SUPERADMIN,
    NGX_HTTP_BEDRUD_LIMIT_NONE, NULL, 0, 0, 0
};


static ngx_int_t
ngx_http_bedrud_preconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_bedrud_livekit_api_variables(cf) != NGX_OK
        || ngx_http_bedrud_upload_variables(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Runs after the locations are merged: an API location keeps bodies up to
 * bedrud_body_limit in memory, so that no request makes the worker read
 * its body back from a temporary file (a blocking disk read).  The log
 * phase accounts the API's answers.
 */

static ngx_int_t
ngx_http_bedrud_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                     i;
    ngx_http_handler_pt           *h;
    ngx_http_core_loc_conf_t     **clcfp;
    ngx_http_core_main_conf_t     *cmcf;
    ngx_http_bedrud_main_conf_t   *bmcf;

    bmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_bedrud_module);

    if (bmcf->api_locations == NULL) {
        return NGX_OK;
    }

    clcfp = bmcf->api_locations->elts;

    for (i = 0; i < bmcf->api_locations->nelts; i++) {
        if (clcfp[i]->client_body_buffer_size < bmcf->body_limit) {
            clcfp[i]->client_body_buffer_size = bmcf->body_limit;
        }
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_bedrud_log_handler;

    return NGX_OK;
}


static void *
ngx_http_bedrud_create_main_conf(ngx_conf_t *cf)
{
    ngx_uint_t                    i;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_bedrud_main_conf_t));
    if (bmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     bmcf->redis_host = { 0, NULL };
     *     bmcf->redis_unix = { 0, NULL };
     *     bmcf->redis_password = { 0, NULL };
     *     bmcf->jwt_secret = { 0, NULL };
     *     bmcf->shm_zone = NULL;
     *     ...
     */

    bmcf->redis_db = NGX_CONF_UNSET;
    bmcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    bmcf->redis_wait = NGX_CONF_UNSET_UINT;
    bmcf->access_ttl = NGX_CONF_UNSET;
    bmcf->refresh_ttl = NGX_CONF_UNSET;
    bmcf->refresh_grace = NGX_CONF_UNSET;
    bmcf->cookie_secure = NGX_CONF_UNSET;
    bmcf->body_limit = NGX_CONF_UNSET_SIZE;
    bmcf->upload_max = NGX_CONF_UNSET;
    bmcf->scrypt.ln = NGX_CONF_UNSET_UINT;

    for (i = 0; i < NGX_HTTP_BEDRUD_LIMIT_CLASSES; i++) {
        bmcf->limits[i].limit = NGX_CONF_UNSET_UINT;
    }

    return bmcf;
}


static char *
ngx_http_bedrud_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    ngx_str_t  *name;

    ngx_conf_init_value(bmcf->redis_db, 0);
    ngx_conf_init_msec_value(bmcf->redis_timeout, 500);
    ngx_conf_init_uint_value(bmcf->redis_wait, 0);

    /* a write waits for its replicas within the request's own deadline */

    if (bmcf->redis_wait && bmcf->redis_wait_timeout >= bmcf->redis_timeout) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the \"bedrud_redis_wait\" timeout must be "
                           "shorter than \"bedrud_redis_timeout\" (%M ms)",
                           bmcf->redis_timeout);
        return NGX_CONF_ERROR;
    }

    /* Bedrud's web client refreshes on 401, so short access tokens work */
    ngx_conf_init_value(bmcf->access_ttl, 3600);
    ngx_conf_init_value(bmcf->refresh_ttl, 7 * 86400);

    /* two tabs refreshing at once must not end the session */
    ngx_conf_init_value(bmcf->refresh_grace, 30);
    ngx_conf_init_value(bmcf->cookie_secure, 0);
    ngx_conf_init_size_value(bmcf->body_limit, 64 * 1024);

    /* Bedrud's chatUploadMaxBytes default */
    ngx_conf_init_value(bmcf->upload_max, 10 * 1024 * 1024);

    if (bmcf->scrypt.ln == NGX_CONF_UNSET_UINT) {
        /* OWASP: scrypt N=2^17, r=8, p=1 */
        bmcf->scrypt.ln = 17;
        bmcf->scrypt.r = 8;
        bmcf->scrypt.p = 1;
    }

    if (bmcf->limits[NGX_HTTP_BEDRUD_LIMIT_AUTH].limit
        == NGX_CONF_UNSET_UINT)
    {
        bmcf->limits[NGX_HTTP_BEDRUD_LIMIT_AUTH].limit = 10;
        bmcf->limits[NGX_HTTP_BEDRUD_LIMIT_AUTH].window = 60;
    }

    if (bmcf->limits[NGX_HTTP_BEDRUD_LIMIT_GUEST].limit
        == NGX_CONF_UNSET_UINT)
    {
        bmcf->limits[NGX_HTTP_BEDRUD_LIMIT_GUEST].limit = 5;
        bmcf->limits[NGX_HTTP_BEDRUD_LIMIT_GUEST].window = 60;
    }

    bmcf->limits[NGX_HTTP_BEDRUD_LIMIT_NONE].limit = 0;

    if (bmcf->access_ttl < 60 || bmcf->refresh_ttl < bmcf->access_ttl) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "bedrud_access_token_ttl must be at least 60s and "
                           "not longer than bedrud_refresh_token_ttl");
        return NGX_CONF_ERROR;
    }

    if (bmcf->refresh_grace > 600) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "bedrud_refresh_grace must be at most 10m");
        return NGX_CONF_ERROR;
    }

    /* bedrud_api makes the settings it needs mandatory */

    if (bmcf->api_locations == NULL) {
        return NGX_CONF_OK;
    }

    if (ngx_http_bedrud_api_conf(cf, bmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    name = bmcf->thread_pool_name.len ? &bmcf->thread_pool_name : NULL;

    bmcf->thread_pool = ngx_thread_pool_add(cf, name);
    if (bmcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_bedrud_password_init_conf(cf, bmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * What bedrud_api needs: Redis, its functions, a secret, a zone; and the
 * LiveKit settings that go together.
 */

static ngx_int_t
ngx_http_bedrud_api_conf(ngx_conf_t *cf, ngx_http_bedrud_main_conf_t *bmcf)
{
    if (!ngx_http_bedrud_redis_configured(bmcf)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"bedrud_api\" needs \"bedrud_redis\"");
        return NGX_ERROR;
    }

    if (bmcf->redis_functions == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"bedrud_api\" needs \"bedrud_redis_functions\" "
                           "(the libraries in redis/*.lua)");
        return NGX_ERROR;
    }

    if (bmcf->jwt_secret.len < NGX_HTTP_BEDRUD_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"bedrud_api\" needs \"bedrud_jwt_secret_file\" "
                           "with a secret of at least %d bytes",
                           NGX_HTTP_BEDRUD_SECRET_MIN);
        return NGX_ERROR;
    }

    if (bmcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"bedrud_api\" needs \"bedrud_zone\"");
        return NGX_ERROR;
    }

    if (bmcf->livekit_secret.len
        && bmcf->livekit_secret.len < NGX_HTTP_BEDRUD_SECRET_MIN)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the LiveKit API secret must be at least %d bytes",
                           NGX_HTTP_BEDRUD_SECRET_MIN);
        return NGX_ERROR;
    }

    if (bmcf->upload_dir.len) {
        if (ngx_conf_full_name(cf->cycle, &bmcf->upload_dir, 0) != NGX_OK) {
            return NGX_ERROR;
        }

        while (bmcf->upload_dir.len > 1
               && bmcf->upload_dir.data[bmcf->upload_dir.len - 1] == '/')
        {
            bmcf->upload_dir.len--;
        }
    }

    if (bmcf->upload_max < 1 || bmcf->upload_max > 1024 * 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"bedrud_upload_max_size\" must be 1 to 1g");
        return NGX_ERROR;
    }

    if (bmcf->livekit_api.len) {
        if (bmcf->livekit_api.data[0] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"bedrud_livekit_api\" needs a location "
                               "prefix such as \"/_livekit\"");
            return NGX_ERROR;
        }

        if (bmcf->livekit_key.len == 0 || bmcf->livekit_secret.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"bedrud_livekit_api\" needs "
                               "\"bedrud_livekit_api_key\" and "
                               "\"bedrud_livekit_secret_file\"");
            return NGX_ERROR;
        }

        /* calls are "<prefix>/<Method>" */

        while (bmcf->livekit_api.len > 1
               && bmcf->livekit_api.data[bmcf->livekit_api.len - 1] == '/')
        {
            bmcf->livekit_api.len--;
        }
    }

    return NGX_OK;
}


/*
 * In the master, before the workers start: the upload directory's "chat"
 * exists and belongs to the workers' user, as nginx makes its own
 * temporary directories.
 */

static ngx_int_t
ngx_http_bedrud_init_module(ngx_cycle_t *cycle)
{
    u_char                       *path;
    ngx_core_conf_t              *ccf;
    ngx_http_bedrud_main_conf_t  *bmcf;

    if (ngx_test_config || ngx_get_conf(cycle->conf_ctx, ngx_http_module)
                           == NULL)
    {
        return NGX_OK;
    }

    bmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_bedrud_module);

    if (bmcf == NULL || bmcf->upload_dir.len == 0) {
        return NGX_OK;
    }

    path = ngx_pnalloc(cycle->pool, bmcf->upload_dir.len + sizeof("/chat/"));
    if (path == NULL) {
        return NGX_ERROR;
    }

    /* every directory of the path, its own included ("chat/") */

    ngx_sprintf(path, "%V/chat/%Z", &bmcf->upload_dir);

    if (ngx_create_full_path(path, 0755) != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    path[bmcf->upload_dir.len + sizeof("/chat") - 1] = '\0';

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (geteuid() == 0 && ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT
        && chown((char *) path, ccf->user, (gid_t) -1) == -1)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "chown(\"%s\", %d) failed", path, ccf->user);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_init_process(ngx_cycle_t *cycle)
{
    /*
     * A worker inherits the master's cached clock, which is stale by the
     * time the master took to load the configuration: timers started
     * from it (the Redis connect deadline) would fire that much early.
     */

    ngx_time_update();

    if (ngx_http_bedrud_token_cache_init(cycle) != NGX_OK
        || ngx_http_bedrud_sentinel_init_process(cycle) != NGX_OK
        || ngx_http_bedrud_redis_init_process(cycle) != NGX_OK
        || ngx_http_bedrud_revlog_init_process(cycle) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_bedrud_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_bedrud_revlog_exit_process(cycle);
    ngx_http_bedrud_redis_exit_process(cycle);
    ngx_http_bedrud_sentinel_exit_process(cycle);
}


static ngx_int_t
ngx_http_bedrud_handler(ngx_http_request_t *r)
{
    time_t                    retry;
    ngx_int_t                 rc;
    ngx_str_t                 allow, v;
    ngx_http_bedrud_ctx_t    *ctx;
    ngx_http_bedrud_route_t  *route;
    u_char                    buf[NGX_TIME_T_LEN];

    if (r != r->main) {
        return NGX_HTTP_NOT_FOUND;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_bedrud_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->start = ngx_current_msec;
    ngx_http_set_ctx(r, ctx, ngx_http_bedrud_module);

    route = ngx_http_bedrud_route(r, ctx, &allow);

    if (route == NULL
        && r->uri.len >= sizeof("/api/admin") - 1
        && ngx_strncmp(r->uri.data, "/api/admin", sizeof("/api/admin") - 1)
           == 0)
    {
        /* as Bedrud's group middleware: strangers learn no admin paths */
        ctx->route = &ngx_http_bedrud_admin_guard;

        rc = ngx_http_bedrud_authenticate(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (route == NULL) {
        if (allow.len == 0) {
            return ngx_http_bedrud_early(r, NGX_HTTP_NOT_FOUND, "not found");
        }

        if (ngx_http_bedrud_add_header(r, "Allow", &allow) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_bedrud_early(r, NGX_HTTP_NOT_ALLOWED,
                                     "method not allowed");
    }

    ctx->route = route;

    rc = (route->limit == NGX_HTTP_BEDRUD_LIMIT_NONE)
         ? NGX_OK : ngx_http_bedrud_shm_limit(r, route->limit, &retry);

    if (rc == NGX_ERROR) {
        /* no room to count: refused rather than unlimited */
        ngx_str_set(&v, "1");

        if (ngx_http_bedrud_add_header(r, "Retry-After", &v) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_bedrud_early(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "service unavailable");
    }

    if (rc == NGX_BUSY) {
        v.data = buf;
        v.len = ngx_sprintf(buf, "%T", retry) - buf;

        if (ngx_http_bedrud_add_header(r, "Retry-After", &v) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_bedrud_early(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                     route->limit == NGX_HTTP_BEDRUD_LIMIT_GUEST
                                     ? "too many guest join attempts"
                                     : "too many requests, please try again "
                                       "later");
    }

    if (route->auth != NGX_HTTP_BEDRUD_AUTH_NONE) {
        rc = ngx_http_bedrud_authenticate(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        /* a cookie changes nothing for another site (CSRF) */

        if (ctx->cookie && !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
            && ngx_http_bedrud_same_origin(r) != NGX_OK)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "bedrud: cross-site request with a cookie "
                          "refused");
            return ngx_http_bedrud_early(r, NGX_HTTP_FORBIDDEN,
                                         "cross-site request refused");
        }
    }

    if (route->raw == NGX_HTTP_BEDRUD_BODY_FILE) {
        /* it reads the body once it knows it wants it */
        r->main->count++;
        ngx_http_bedrud_run(r, ctx);
        return NGX_DONE;
    }

    if (route->body) {
        return ngx_http_bedrud_read_body(r);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    r->main->count++;

    ngx_http_bedrud_run(r, ctx);

    return NGX_DONE;
}


/*
 * Runs the route's handler, once its body is read; first, when the zone
 * could not vouch for the access token, Redis checks it.
 */

void
ngx_http_bedrud_run(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    if (ctx->recheck) {
        ctx->recheck = 0;
        ngx_http_bedrud_revlog_check(r, ctx);
        return;
    }

    ctx->route->handler(r, ctx);
}


/* Each answer of the API, once, in the metrics. */

static ngx_int_t
ngx_http_bedrud_log_handler(ngx_http_request_t *r)
{
    ngx_uint_t              status;
    ngx_http_bedrud_ctx_t  *ctx;

    /* a LiveKit call's subrequest has a context of another type */

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    if (ctx == NULL || !ctx->done) {
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    ngx_http_bedrud_metrics_account(status, ngx_current_msec - ctx->start);

    return NGX_OK;
}


/* An answer before any body is read or any handler runs. */

static ngx_int_t
ngx_http_bedrud_early(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    r->main->count++;

    ngx_http_bedrud_error(r, status, message);

    return NGX_DONE;
}


/*
 * Verifies the access token on the hot path: signature, type and times
 * in memory, revocation in the shared zone, no Redis round trip.
 */

static ngx_int_t
ngx_http_bedrud_authenticate(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     v;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    /* the header, else the cookie the web client keeps */

    rc = ngx_http_bedrud_bearer(r, &ctx->token);

    if (rc == NGX_DECLINED) {
        rc = ngx_http_bedrud_get_cookie(r, "access_token", &ctx->token);
        ctx->cookie = 1;
    }

    if (rc != NGX_OK) {
        ngx_str_set(&v, "Bearer");
        (void) ngx_http_bedrud_add_header(r, "WWW-Authenticate", &v);
        return ngx_http_bedrud_early(r, NGX_HTTP_UNAUTHORIZED,
                                     "Missing authorization");
    }

    rc = ngx_http_bedrud_token_verify(r, &ctx->token, &bmcf->jwt_secret,
                                      &ctx->claims);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_bedrud_token_revoked(r, ctx);
    }

    if (rc != NGX_OK) {
        ngx_str_set(&v, "Bearer error=\"invalid_token\"");
        (void) ngx_http_bedrud_add_header(r, "WWW-Authenticate", &v);
        return ngx_http_bedrud_early(r, NGX_HTTP_UNAUTHORIZED,
                                     "Invalid token");
    }

    if (ctx->route->auth == NGX_HTTP_BEDRUD_AUTH_SUPERADMIN
        && !ctx->claims.superadmin)
    {
        return ngx_http_bedrud_early(r, NGX_HTTP_FORBIDDEN,
                                     "Insufficient access rights");
    }

    return NGX_OK;
}


/*
 * A valid token's session ended (logout, ...) or its version is older
 * than the user's (a role change): NGX_DECLINED.  When the zone cannot
 * tell (revocations were evicted from it), Redis will: ctx->recheck.
 */

static ngx_int_t
ngx_http_bedrud_token_revoked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t  rc;
    ngx_str_t  id;
    u_char     buf[NGX_HTTP_BEDRUD_STALE_ID_LEN];

    rc = ngx_http_bedrud_shm_revoked(&ctx->claims.fam);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: revoked token used");
        return NGX_DECLINED;
    }

    ctx->recheck = (rc == NGX_AGAIN);

    /* older than a role or status change: the client refreshes */

    if (ngx_http_bedrud_stale_id(&ctx->claims.user_id,
                                 ctx->claims.version + 1, buf, &id)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_bedrud_shm_revoked(&id);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: stale token used");
        return NGX_DECLINED;
    }

    ctx->recheck |= (rc == NGX_AGAIN);

    return NGX_OK;
}


/*
 * The token's claims: remembered by this worker, else verified in full
 * (signature, algorithm, claims) and remembered.  A remembered token
 * had all checked but the times.
 */

static ngx_int_t
ngx_http_bedrud_token_verify(ngx_http_request_t *r, ngx_str_t *token,
    ngx_str_t *secret, ngx_http_bedrud_claims_t *claims)
{
    time_t     now;
    ngx_int_t  rc;

    now = ngx_time();

    rc = ngx_http_bedrud_token_cache_lookup(r->pool, token, secret, claims);

    if (rc == NGX_OK) {
        return (claims->exp > now) ? NGX_OK : NGX_DECLINED;
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_TOKEN_VERIFIED);

    rc = ngx_http_bedrud_jwt_verify(r->pool, token, secret,
                                    NGX_HTTP_BEDRUD_TOKEN_ACCESS, now,
                                    claims);

    if (rc == NGX_OK) {
        ngx_http_bedrud_token_cache_remember(token, secret, claims,
                                             r->connection->log);
    }

    return rc;
}


static char *
ngx_http_bedrud_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    size_t                        size;
    ngx_http_core_loc_conf_t     *clcf, **clcfp;
    ngx_http_bedrud_main_conf_t  *bmcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_bedrud_handler;

    bmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_bedrud_module);

    if (bmcf->api_locations == NULL) {
        size = sizeof(ngx_http_core_loc_conf_t *);

        bmcf->api_locations = ngx_array_create(cf->pool, 2, size);
        if (bmcf->api_locations == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    clcfp = ngx_array_push(bmcf->api_locations);
    if (clcfp == NULL) {
        return NGX_CONF_ERROR;
    }

    *clcfp = clcf;

    return NGX_CONF_OK;
}


static char *
ngx_http_bedrud_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_bedrud_metrics_handler;

    return NGX_CONF_OK;
}


/*
 * bedrud_redis 127.0.0.1:6379 | [::1]:6379 | unix:/path
 *              [db=N] [password_file=/path];
 * bedrud_redis sentinel:NAME 10.0.0.1:26379 10.0.0.2:26379 ...
 *              [db=N] [password_file=/path] [sentinel_password_file=/path];
 *
 * Host names are resolved here, at configuration time: hiredis 0.14 would
 * resolve them with a blocking getaddrinfo() in the worker.  With
 * "sentinel:", the primary of that name is whatever the sentinels (26379
 * by default) say it is; "password_file" is the data nodes' password,
 * "sentinel_password_file" the sentinels'.
 */

static char *
ngx_http_bedrud_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    ngx_str_t  *value, s, file, *password;
    ngx_uint_t  i;

    if (ngx_http_bedrud_redis_configured(bmcf)) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "sentinel:", 9) == 0) {
        bmcf->sentinel_master.data = value[1].data + 9;
        bmcf->sentinel_master.len = value[1].len - 9;

        if (bmcf->sentinel_master.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"bedrud_redis\" needs the primary's name "
                               "after \"sentinel:\"");
            return NGX_CONF_ERROR;
        }

        bmcf->sentinels = ngx_array_create(cf->pool, 3,
                                           sizeof(ngx_http_bedrud_addr_t));
        if (bmcf->sentinels == NULL) {
            return NGX_CONF_ERROR;
        }

    } else if (ngx_http_bedrud_redis_address(cf, bmcf, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            bmcf->redis_db = ngx_atoi(value[i].data + 3, value[i].len - 3);

            if (bmcf->redis_db == NGX_ERROR || bmcf->redis_db > 1000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid Redis database \"%V\"",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        password = NULL;

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0) {
            file.data = value[i].data + 14;
            file.len = value[i].len - 14;
            password = &bmcf->redis_password;

        } else if (bmcf->sentinels
                   && ngx_strncmp(value[i].data, "sentinel_password_file=",
                                  23) == 0)
        {
            file.data = value[i].data + 23;
            file.len = value[i].len - 23;
            password = &bmcf->sentinel_password;
        }

        if (password) {
            if (ngx_http_bedrud_read_file(cf, &file, &s, 4096) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            if (s.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "Redis password file \"%V\" is empty",
                                   &file);
                return NGX_CONF_ERROR;
            }

            *password = s;
            continue;
        }

        if (bmcf->sentinels && ngx_strlchr(value[i].data,
                                           value[i].data + value[i].len, '=')
                               == NULL)
        {
            if (ngx_http_bedrud_sentinel_address(cf, bmcf, &value[i])
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (bmcf->sentinels && bmcf->sentinels->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"bedrud_redis sentinel:%V\" needs the "
                           "sentinels' addresses", &bmcf->sentinel_master);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The address of bedrud_redis: "unix:/path", or an IP literal or a host
 * name with an optional port, resolved here.
 */

static ngx_int_t
ngx_http_bedrud_redis_address(ngx_conf_t *cf,
    ngx_http_bedrud_main_conf_t *bmcf, ngx_str_t *addr)
{
    ngx_http_bedrud_addr_t  a;

    if (ngx_strncmp(addr->data, "unix:", 5) == 0) {
        if (addr->len <= 5) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"bedrud_redis\" needs a socket path after "
                               "\"unix:\"");
            return NGX_ERROR;
        }

        bmcf->redis_unix.data = addr->data + 5;
        bmcf->redis_unix.len = addr->len - 5;

        return NGX_OK;
    }

    if (ngx_http_bedrud_inet_address(cf, addr, 6379, &a) != NGX_OK) {
        return NGX_ERROR;
    }

    bmcf->redis_host = a.host;
    bmcf->redis_port = a.port;

    return NGX_OK;
}


/* a sentinel's address: an IP literal or a host name, port 26379 */

static ngx_int_t
ngx_http_bedrud_sentinel_address(ngx_conf_t *cf,
    ngx_http_bedrud_main_conf_t *bmcf, ngx_str_t *addr)
{
    ngx_uint_t               i;
    ngx_http_bedrud_addr_t  *a, *s;

    if (bmcf->sentinels->nelts == 16) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many sentinels (16 at most)");
        return NGX_ERROR;
    }

    a = ngx_array_push(bmcf->sentinels);
    if (a == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_bedrud_inet_address(cf, addr, 26379, a) != NGX_OK) {
        return NGX_ERROR;
    }

    s = bmcf->sentinels->elts;

    for (i = 0; i < bmcf->sentinels->nelts - 1; i++) {
        if (s[i].port == a->port
            && ngx_strcmp(s[i].host.data, a->host.data) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "sentinel \"%V\" is listed twice", addr);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* An IP literal or a host name with an optional port, resolved here. */

static ngx_int_t
ngx_http_bedrud_inet_address(ngx_conf_t *cf, ngx_str_t *addr,
    in_port_t default_port, ngx_http_bedrud_addr_t *out)
{
    u_char     *p;
    size_t      len;
    ngx_url_t   u;
    u_char      text[NGX_SOCKADDR_STRLEN];

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *addr;
    u.default_port = default_port;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Redis address \"%V\"%s%s", addr,
                           u.err ? ": " : "", u.err ? u.err : "");
        return NGX_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis host \"%V\" has no address", addr);
        return NGX_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text,
                        NGX_SOCKADDR_STRLEN, 0);

    p = ngx_pnalloc(cf->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    /* hiredis wants "::1", not "[::1]", and a NUL-terminated string */
    if (len > 2 && text[0] == '[') {
        ngx_memcpy(p, text + 1, len - 2);
        len -= 2;

    } else {
        ngx_memcpy(p, text, len);
    }

    p[len] = '\0';

    out->host.data = p;
    out->host.len = len;
    out->port = u.port;

    return NGX_OK;
}


/*
 * bedrud_redis_wait replicas [timeout] | off;
 *
 * A write is answered only once that many replicas have it (WAIT), else
 * 503 (fail closed).
 */

static char *
ngx_http_bedrud_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (bmcf->redis_wait != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0)
    {
        bmcf->redis_wait = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n < 1 || n > 64) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number of replicas \"%V\" (1..64, or "
                           "\"off\")", &value[1]);
        return NGX_CONF_ERROR;
    }

    bmcf->redis_wait = n;
    bmcf->redis_wait_timeout = 100;

    if (cf->args->nelts == 3) {
        bmcf->redis_wait_timeout = ngx_parse_time(&value[2], 0);

        if (bmcf->redis_wait_timeout == (ngx_msec_t) NGX_ERROR
            || bmcf->redis_wait_timeout == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid timeout \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * bedrud_redis_functions file.lua ...;  Redis Functions libraries, loaded
 * with FUNCTION LOAD REPLACE on every connect.
 */

static char *
ngx_http_bedrud_functions(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    ngx_str_t   *value, *lib;
    ngx_uint_t   i;

    if (bmcf->redis_functions != NULL) {
        return "is duplicate";
    }

    bmcf->redis_functions = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                             sizeof(ngx_str_t));
    if (bmcf->redis_functions == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        lib = ngx_array_push(bmcf->redis_functions);
        if (lib == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_bedrud_read_file(cf, &value[i], lib, 1024 * 1024)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (lib->len < sizeof("#!lua name=bedrud") - 1
            || ngx_strncmp(lib->data, "#!lua name=bedrud",
                           sizeof("#!lua name=bedrud") - 1)
               != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" is not a bedrud Redis Functions "
                               "library (\"#!lua name=bedrud...\")",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* A directive whose argument names a file; the field gets its content. */

static char *
ngx_http_bedrud_file_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t  *field, *value;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_bedrud_read_file(cf, &value[1], field, 1024 * 1024)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Reads a whole file at configuration time (secrets stay out of the
 * configuration text).  Trailing white space is dropped.
 */

static ngx_int_t
ngx_http_bedrud_read_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *content, size_t max)
{
    u_char           *buf;
    ssize_t           n;
    ngx_str_t         path;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    path = *name;

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));

    file.name = path;
    file.log = cf->log;

    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", path.data);
        return NGX_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", path.data);
        goto failed;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is not a regular file", path.data);
        goto failed;
    }

    if ((size_t) ngx_file_size(&fi) > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is too large", path.data);
        goto failed;
    }

    buf = ngx_pnalloc(cf->pool, ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        goto failed;
    }

    n = ngx_read_file(&file, buf, ngx_file_size(&fi), 0);

    if (n == NGX_ERROR) {
        goto failed;
    }

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                     || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    {
        n--;
    }

    buf[n] = '\0';

    content->data = buf;
    content->len = n;

    (void) ngx_close_file(file.fd);

    return NGX_OK;

failed:

    (void) ngx_close_file(file.fd);

    return NGX_ERROR;
}


/* bedrud_password_scrypt ln=17 r=8 p=1; */

static char *
ngx_http_bedrud_scrypt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;
    ngx_uint_t  i;

    if (bmcf->scrypt.ln != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    bmcf->scrypt.ln = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ln=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n < 10 || n > 22) {
                goto invalid;
            }

            bmcf->scrypt.ln = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "r=", 2) == 0) {
            n = ngx_atoi(value[i].data + 2, value[i].len - 2);
            if (n < 1 || n > 32) {
                goto invalid;
            }

            bmcf->scrypt.r = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "p=", 2) == 0) {
            n = ngx_atoi(value[i].data + 2, value[i].len - 2);
            if (n < 1 || n > 16) {
                goto invalid;
            }

            bmcf->scrypt.p = n;
            continue;
        }

        goto invalid;
    }

    if (bmcf->scrypt.ln == 0 || bmcf->scrypt.r == 0 || bmcf->scrypt.p == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"bedrud_password_scrypt\" needs ln=, r= and p=");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid scrypt parameter \"%V\" (ln=10..22, "
                       "r=1..32, p=1..16)", &value[i]);
    return NGX_CONF_ERROR;
}


/* bedrud_limit auth|guest <requests> <window>; 0 requests: off */

static char *
ngx_http_bedrud_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    time_t      window;
    ngx_int_t   n;
    ngx_str_t  *value;
    ngx_uint_t  cls;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "auth") == 0) {
        cls = NGX_HTTP_BEDRUD_LIMIT_AUTH;

    } else if (ngx_strcmp(value[1].data, "guest") == 0) {
        cls = NGX_HTTP_BEDRUD_LIMIT_GUEST;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown limit class \"%V\" (auth or guest)",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    if (bmcf->limits[cls].limit != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    n = ngx_atoi(value[2].data, value[2].len);
    if (n == NGX_ERROR || n > 1000000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid request count \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    window = ngx_parse_time(&value[3], 1);
    if (window == (time_t) NGX_ERROR || window < 1 || window > 86400) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid window \"%V\" (1s..1d)", &value[3]);
        return NGX_CONF_ERROR;
    }

    bmcf->limits[cls].limit = n;
    bmcf->limits[cls].window = window;

    return NGX_CONF_OK;
}


/*
 * bedrud_trusted_origins https://meet.example.com ...;  origins, besides
 * the request's own (its scheme and Host), whose pages may change things
 * with the cookies: "scheme://host[:port]", nothing after.
 */

static char *
ngx_http_bedrud_origins(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_bedrud_main_conf_t *bmcf = conf;

    ngx_str_t   *value, *o, scheme, host;
    ngx_uint_t   i;

    if (bmcf->trusted_origins) {
        return "is duplicate";
    }

    bmcf->trusted_origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                             sizeof(ngx_str_t));
    if (bmcf->trusted_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncasecmp(value[i].data, (u_char *) "https://", 8) == 0) {
            ngx_str_set(&scheme, "https");

        } else {
            ngx_str_set(&scheme, "http");
        }

        host.data = value[i].data + scheme.len + 3;
        host.len = value[i].len - ngx_min(value[i].len, scheme.len + 3);

        /* it must name itself: scheme, host, port, nothing else */

        if (host.len == 0
            || ngx_http_bedrud_origin_match(&value[i], &scheme, &host)
               != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\" (scheme://host[:port], "
                               "as browsers send it)", &value[i]);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(bmcf->trusted_origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];
    }

    return NGX_CONF_OK;
}
