
/*
 * Copyright (C) ngx_bedrud authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "ngx_http_bedrud_module.h"

#include <sys/resource.h>


/*
 * Passwords are stored as passlib-compatible PHC strings:
 *
 *     $scrypt$ln=17,r=8,p=1$<salt>$<key>
 *
 * with a 16-byte salt and a 32-byte key in standard base64 without
 * padding.  Hashing runs in an nginx thread pool: scrypt at the OWASP
 * parameters takes a CPU for a fraction of a second and 128 MiB of RAM.
 */


#define NGX_HTTP_BEDRUD_SCRYPT_SALT      16
#define NGX_HTTP_BEDRUD_SCRYPT_KEY       32
#define NGX_HTTP_BEDRUD_SCRYPT_SALT_B64  22
#define NGX_HTTP_BEDRUD_SCRYPT_KEY_B64   43

#define NGX_HTTP_BEDRUD_SCRYPT_LN_MIN    10
#define NGX_HTTP_BEDRUD_SCRYPT_LN_MAX    22
#define NGX_HTTP_BEDRUD_SCRYPT_R_MAX     32
#define NGX_HTTP_BEDRUD_SCRYPT_P_MAX     16

/*
 * The memory one hash may take: 128 * r * N for V (1 GiB is ln=20 with
 * r=8), whatever the parameters of a stored hash say.
 */
#define NGX_HTTP_BEDRUD_SCRYPT_MEM_MAX   (1024 * 1024 * 1024)



typedef struct {
    ngx_http_bedrud_scrypt_t    params;
    u_char                      salt[NGX_HTTP_BEDRUD_SCRYPT_SALT];
    u_char                      key[NGX_HTTP_BEDRUD_SCRYPT_KEY];
} ngx_http_bedrud_phc_t;


static ngx_int_t ngx_http_bedrud_scrypt_params(
    ngx_http_bedrud_scrypt_t *params);
static ngx_int_t ngx_http_bedrud_scrypt(ngx_http_bedrud_scrypt_t *params,
    const u_char *pw, size_t len, const u_char *salt, u_char *key);
static u_char *ngx_http_bedrud_phc_write(u_char *p,
    ngx_http_bedrud_scrypt_t *params, const u_char *salt, const u_char *key);
static u_char *ngx_http_bedrud_phc_number(u_char *p, ngx_uint_t n);
static ngx_int_t ngx_http_bedrud_phc_parse(const u_char *p, size_t len,
    ngx_http_bedrud_phc_t *phc);
static const u_char *ngx_http_bedrud_phc_param(const u_char *p,
    const u_char *last, const char *name, ngx_uint_t *value);
static const u_char *ngx_http_bedrud_phc_b64(const u_char *p,
    const u_char *last, size_t len, u_char *dst, size_t n);


#ifndef NGX_HTTP_BEDRUD_UNIT

typedef struct {
    ngx_http_request_t         *request;
    ngx_http_bedrud_ctx_t      *ctx;
    ngx_http_bedrud_step_pt     next;

    ngx_http_bedrud_scrypt_t    params;
    ngx_int_t                   rc;
    ngx_uint_t                  rehash;

    u_char                     *password;
    size_t                      password_len;
    u_char                      phc[NGX_HTTP_BEDRUD_PHC_MAX];
    size_t                      phc_len;

    ngx_event_t                 guard;

    unsigned                    verify:1;
    unsigned                    dummy:1;
} ngx_http_bedrud_password_task_t;


static ngx_thread_task_t *ngx_http_bedrud_password_task(
    ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx, ngx_str_t *password,
    ngx_http_bedrud_step_pt next);
static void ngx_http_bedrud_password_post(ngx_http_request_t *r,
    ngx_thread_task_t *task);
static void ngx_http_bedrud_password_thread(void *data, ngx_log_t *log);
static void ngx_http_bedrud_password_done(ngx_event_t *ev);

#endif


ngx_int_t
ngx_http_bedrud_scrypt_hash(ngx_http_bedrud_scrypt_t *params,
    const u_char *pw, size_t len, u_char *out, size_t *outlen)
{
    ngx_int_t   rc;
    u_char      salt[NGX_HTTP_BEDRUD_SCRYPT_SALT];
    u_char      key[NGX_HTTP_BEDRUD_SCRYPT_KEY];

    if (ngx_http_bedrud_scrypt_params(params) != NGX_OK) {
        return NGX_ERROR;
    }

    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        ERR_clear_error();
        return NGX_ERROR;
    }

    rc = ngx_http_bedrud_scrypt(params, pw, len, salt, key);
    if (rc != NGX_OK) {
        OPENSSL_cleanse(key, sizeof(key));
        return rc;
    }

    *outlen = ngx_http_bedrud_phc_write(out, params, salt, key) - out;

    OPENSSL_cleanse(key, sizeof(key));

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_scrypt_verify(const u_char *pw, size_t len,
    const u_char *phc, size_t phclen, ngx_http_bedrud_scrypt_t *want,
    ngx_uint_t *rehash)
{
    ngx_int_t              rc;
    ngx_http_bedrud_phc_t  stored;
    u_char                 key[NGX_HTTP_BEDRUD_SCRYPT_KEY];

    *rehash = 0;

    if (phc == NULL
        || ngx_http_bedrud_phc_parse(phc, phclen, &stored) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_bedrud_scrypt(&stored.params, pw, len, stored.salt, key);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = (CRYPTO_memcmp(key, stored.key, sizeof(key)) == 0)
         ? NGX_OK : NGX_DECLINED;

    OPENSSL_cleanse(key, sizeof(key));

    /*
     * HMAC pads short keys with zeros, so "pw" and "pw\0" derive the same
     * key; no stored password has a NUL (they are refused when set).  The
     * check comes after the work, so the answer takes the same time.
     */

    if (ngx_strlchr((u_char *) pw, (u_char *) pw + len, '\0') != NULL) {
        rc = NGX_DECLINED;
    }

    /* a match with older (or newer) parameters: login stores a new hash */

    if (rc == NGX_OK
        && want != NULL
        && (stored.params.ln != want->ln
            || stored.params.r != want->r
            || stored.params.p != want->p))
    {
        *rehash = 1;
    }

    return rc;
}


/* "$scrypt$ln=N,r=N,p=N$<salt>$<key>": 90 bytes at most, within PHC_MAX */

static u_char *
ngx_http_bedrud_phc_write(u_char *p, ngx_http_bedrud_scrypt_t *params,
    const u_char *salt, const u_char *key)
{
    p = ngx_cpymem(p, "$scrypt$ln=", sizeof("$scrypt$ln=") - 1);
    p = ngx_http_bedrud_phc_number(p, params->ln);
    p = ngx_cpymem(p, ",r=", 3);
    p = ngx_http_bedrud_phc_number(p, params->r);
    p = ngx_cpymem(p, ",p=", 3);
    p = ngx_http_bedrud_phc_number(p, params->p);

    *p++ = '$';
    p = ngx_http_bedrud_base64_encode(p, salt, NGX_HTTP_BEDRUD_SCRYPT_SALT, 0);
    *p++ = '$';

    return ngx_http_bedrud_base64_encode(p, key, NGX_HTTP_BEDRUD_SCRYPT_KEY,
                                         0);
}


static ngx_int_t
ngx_http_bedrud_scrypt_params(ngx_http_bedrud_scrypt_t *params)
{
    if (params->ln < NGX_HTTP_BEDRUD_SCRYPT_LN_MIN
        || params->ln > NGX_HTTP_BEDRUD_SCRYPT_LN_MAX
        || params->r < 1
        || params->r > NGX_HTTP_BEDRUD_SCRYPT_R_MAX
        || params->p < 1
        || params->p > NGX_HTTP_BEDRUD_SCRYPT_P_MAX)
    {
        return NGX_DECLINED;
    }

    if ((uint64_t) 128 * params->r << params->ln
        > NGX_HTTP_BEDRUD_SCRYPT_MEM_MAX)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_scrypt(ngx_http_bedrud_scrypt_t *params, const u_char *pw,
    size_t len, const u_char *salt, u_char *key)
{
    uint64_t  n, maxmem;

    /* called from pool threads: nothing here may touch nginx */

    n = (uint64_t) 1 << params->ln;

    /*
     * OpenSSL's default limit is 32 MiB, less than ln=17 needs; it wants
     * 128 * r * (N + 2) for V plus 128 * r * p for B, see
     * providers/implementations/kdfs/scrypt.c; 1 MiB of slack on top
     */

    maxmem = (uint64_t) 128 * params->r * (n + 2 + params->p) + 1024 * 1024;

    if (EVP_PBE_scrypt((const char *) pw, len, salt,
                       NGX_HTTP_BEDRUD_SCRYPT_SALT, n, params->r, params->p,
                       maxmem, key, NGX_HTTP_BEDRUD_SCRYPT_KEY)
        != 1)
    {
        ERR_clear_error();
        return NGX_ERROR;
    }

    return NGX_OK;
}


static u_char *
ngx_http_bedrud_phc_number(u_char *p, ngx_uint_t n)
{
    /* 1..99: the parameters are checked before */

    if (n >= 10) {
        *p++ = (u_char) ('0' + n / 10);
    }

    *p++ = (u_char) ('0' + n % 10);

    return p;
}


static ngx_int_t
ngx_http_bedrud_phc_parse(const u_char *p, size_t len,
    ngx_http_bedrud_phc_t *phc)
{
    const u_char  *last;

    /*
     * Strict: exactly "$scrypt$ln=N,r=N,p=N$<22 chars>$<43 chars>", the
     * numbers without leading zeros, the parameters within our limits.
     * Anything else (bcrypt, padding, other lengths) is not ours.
     */

    last = p + len;

    if (len > NGX_HTTP_BEDRUD_PHC_MAX
        || len < sizeof("$scrypt$") - 1
        || ngx_memcmp(p, "$scrypt$", sizeof("$scrypt$") - 1) != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof("$scrypt$") - 1;

    p = ngx_http_bedrud_phc_param(p, last, "ln=", &phc->params.ln);
    if (p == NULL || p == last || *p++ != ',') {
        return NGX_DECLINED;
    }

    p = ngx_http_bedrud_phc_param(p, last, "r=", &phc->params.r);
    if (p == NULL || p == last || *p++ != ',') {
        return NGX_DECLINED;
    }

    p = ngx_http_bedrud_phc_param(p, last, "p=", &phc->params.p);
    if (p == NULL || p == last || *p++ != '$') {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_scrypt_params(&phc->params) != NGX_OK) {
        return NGX_DECLINED;
    }

    p = ngx_http_bedrud_phc_b64(p, last, NGX_HTTP_BEDRUD_SCRYPT_SALT_B64,
                                phc->salt, NGX_HTTP_BEDRUD_SCRYPT_SALT);
    if (p == NULL || p == last || *p++ != '$') {
        return NGX_DECLINED;
    }

    p = ngx_http_bedrud_phc_b64(p, last, NGX_HTTP_BEDRUD_SCRYPT_KEY_B64,
                                phc->key, NGX_HTTP_BEDRUD_SCRYPT_KEY);
    if (p != last) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static const u_char *
ngx_http_bedrud_phc_param(const u_char *p, const u_char *last,
    const char *name, ngx_uint_t *value)
{
    size_t      len;
    ngx_uint_t  n, digits;

    /* "name=" and one or two digits, no leading zero */

    len = ngx_strlen(name);

    if ((size_t) (last - p) < len || ngx_memcmp(p, name, len) != 0) {
        return NULL;
    }

    p += len;

    n = 0;

    for (digits = 0; p < last && *p >= '0' && *p <= '9'; digits++) {
        if (digits == 2) {
            return NULL;
        }

        n = n * 10 + (*p++ - '0');
    }

    if (digits == 0 || (digits == 2 && n < 10)) {
        return NULL;
    }

    *value = n;

    return p;
}


static const u_char *
ngx_http_bedrud_phc_b64(const u_char *p, const u_char *last, size_t len,
    u_char *dst, size_t n)
{
    size_t  decoded;

    /* exactly len characters up to the next '$' or the end */

    if ((size_t) (last - p) < len
        || (p + len < last && p[len] != '$'))
    {
        return NULL;
    }

    if (ngx_http_bedrud_base64_decode(dst, &decoded, p, len, 0) != NGX_OK
        || decoded != n)
    {
        return NULL;
    }

    return p + len;
}


#ifndef NGX_HTTP_BEDRUD_UNIT

ngx_int_t
ngx_http_bedrud_password_init_conf(ngx_conf_t *cf,
    ngx_http_bedrud_main_conf_t *bmcf)
{
    u_char     *phc, *last;
    ngx_str_t  *name;
    u_char      raw[NGX_HTTP_BEDRUD_SCRYPT_SALT + NGX_HTTP_BEDRUD_SCRYPT_KEY];

    ngx_conf_init_uint_value(bmcf->scrypt.ln, 17);
    ngx_conf_init_uint_value(bmcf->scrypt.r, 8);
    ngx_conf_init_uint_value(bmcf->scrypt.p, 1);

    if (ngx_http_bedrud_scrypt_params(&bmcf->scrypt) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid scrypt parameters ln=%ui r=%ui p=%ui, "
                           "need ln %d..%d, r 1..%d, p 1..%d and "
                           "128 * r * 2^ln <= 1 GiB",
                           bmcf->scrypt.ln, bmcf->scrypt.r, bmcf->scrypt.p,
                           NGX_HTTP_BEDRUD_SCRYPT_LN_MIN,
                           NGX_HTTP_BEDRUD_SCRYPT_LN_MAX,
                           NGX_HTTP_BEDRUD_SCRYPT_R_MAX,
                           NGX_HTTP_BEDRUD_SCRYPT_P_MAX);
        return NGX_ERROR;
    }

    if (bmcf->thread_pool == NULL) {
        /* no name: nginx's "default" pool, 32 threads */

        name = bmcf->thread_pool_name.len ? &bmcf->thread_pool_name : NULL;

        bmcf->thread_pool = ngx_thread_pool_add(cf, name);
        if (bmcf->thread_pool == NULL) {
            return NGX_ERROR;
        }
    }

    /*
     * Login verifies unknown users against this "hash", so that unknown
     * emails cost the same time as wrong passwords: the configured
     * parameters, a random salt and a random key.  Verifying it is a full
     * scrypt run that can never match; making it costs nothing, so a
     * configuration load (a reload, "nginx -s reload" itself) does no
     * hashing.
     */

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        ERR_clear_error();
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "RAND_bytes() failed");
        return NGX_ERROR;
    }

    phc = ngx_pnalloc(cf->pool, NGX_HTTP_BEDRUD_PHC_MAX);
    if (phc == NULL) {
        return NGX_ERROR;
    }

    last = ngx_http_bedrud_phc_write(phc, &bmcf->scrypt, raw,
                                     raw + NGX_HTTP_BEDRUD_SCRYPT_SALT);

    bmcf->dummy_hash.data = phc;
    bmcf->dummy_hash.len = last - phc;

    return NGX_OK;
}


void
ngx_http_bedrud_password_hash(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *password,
    ngx_http_bedrud_step_pt next)
{
    ngx_thread_task_t  *task;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "bedrud password hash");

    task = ngx_http_bedrud_password_task(r, ctx, password, next);
    if (task == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_password_post(r, task);
}


void
ngx_http_bedrud_password_verify(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *password, ngx_str_t *phc,
    ngx_http_bedrud_step_pt next)
{
    ngx_thread_task_t                *task;
    ngx_http_bedrud_phc_t             parsed;
    ngx_http_bedrud_main_conf_t      *bmcf;
    ngx_http_bedrud_password_task_t  *t;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "bedrud password verify");

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    task = ngx_http_bedrud_password_task(r, ctx, password, next);
    if (task == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    t = task->ctx;
    t->verify = 1;

    /*
     * Unknown users (no hash), and accounts without a usable hash, are
     * checked against the dummy hash: the same work, and never a match.
     */

    if (phc == NULL || phc->len == 0) {
        t->dummy = 1;

    } else if (ngx_http_bedrud_phc_parse(phc->data, phc->len, &parsed)
               != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: stored password hash is not a valid "
                      "scrypt PHC string");
        t->dummy = 1;
    }

    if (t->dummy) {
        phc = &bmcf->dummy_hash;
    }

    if (phc->len == 0 || phc->len > NGX_HTTP_BEDRUD_PHC_MAX) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bedrud: no dummy password hash, "
                      "ngx_http_bedrud_password_init_conf() was not called");
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_memcpy(t->phc, phc->data, phc->len);
    t->phc_len = phc->len;

    ngx_http_bedrud_password_post(r, task);
}


static ngx_thread_task_t *
ngx_http_bedrud_password_task(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *password,
    ngx_http_bedrud_step_pt next)
{
    ngx_thread_task_t                *task;
    ngx_http_bedrud_main_conf_t      *bmcf;
    ngx_http_bedrud_password_task_t  *t;

    /*
     * The thread sees only this copy, which lives in the request pool:
     * "blocked" keeps the request, and so the pool, alive until the
     * completion handler has run, even if the client goes away.
     */

    task = ngx_thread_task_alloc(r->pool,
                                 sizeof(ngx_http_bedrud_password_task_t)
                                 + password->len);
    if (task == NULL) {
        return NULL;
    }

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    t = task->ctx;

    t->request = r;
    t->ctx = ctx;
    t->next = next;
    t->params = bmcf->scrypt;

    t->password = (u_char *) (t + 1);
    t->password_len = password->len;
    ngx_memcpy(t->password, password->data, password->len);

    return task;
}


static void
ngx_http_bedrud_password_post(ngx_http_request_t *r, ngx_thread_task_t *task)
{
    ngx_http_bedrud_main_conf_t      *bmcf;
    ngx_http_bedrud_password_task_t  *t;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    t = task->ctx;

    task->handler = ngx_http_bedrud_password_thread;
    task->event.data = t;
    task->event.handler = ngx_http_bedrud_password_done;

    if (ngx_thread_task_post(bmcf->thread_pool, task) != NGX_OK) {
        /* queue overflow: logged by nginx, shed the load */
        OPENSSL_cleanse(t->password, t->password_len);
        ngx_http_bedrud_unavailable(r);
        return;
    }

    ngx_http_bedrud_block(r, &t->guard, "password");
}


static void
ngx_http_bedrud_password_thread(void *data, ngx_log_t *log)
{
    ngx_http_bedrud_password_task_t  *t = data;

    static __thread ngx_uint_t  niced;

    /*
     * Hashing is meant to be slow; the event loop must not be.  On a busy
     * machine the kernel runs the worker's own thread before these ones
     * (a thread's nice value is its own on Linux).
     */

    if (!niced) {
        niced = 1;

        if (setpriority(PRIO_PROCESS, gettid(), 10) == -1) {
            ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                          "bedrud: setpriority() of a hashing thread failed");
        }
    }

    /* a pool thread: only the task's own copies, only pure functions */

    if (t->verify) {
        t->rc = ngx_http_bedrud_scrypt_verify(t->password, t->password_len,
                                              t->phc, t->phc_len, &t->params,
                                              &t->rehash);

    } else {
        t->rc = ngx_http_bedrud_scrypt_hash(&t->params, t->password,
                                            t->password_len, t->phc,
                                            &t->phc_len);
    }

    OPENSSL_cleanse(t->password, t->password_len);
}


static void
ngx_http_bedrud_password_done(ngx_event_t *ev)
{
    ngx_connection_t                 *c;
    ngx_http_request_t               *r;
    ngx_http_bedrud_ctx_t            *ctx;
    ngx_http_bedrud_password_task_t  *t;

    t = ev->data;
    r = t->request;
    ctx = t->ctx;
    c = r->connection;

    if (ngx_http_bedrud_unblock(r, &t->guard) != NGX_OK) {
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "bedrud password done: %i, \"%V\"", t->rc, &r->uri);

    ctx->pw_ok = 0;
    ctx->pw_rehash = 0;
    ngx_str_null(&ctx->pw_hash);

    if (t->rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "bedrud: scrypt failed (ln=%ui r=%ui p=%ui)",
                      t->params.ln, t->params.r, t->params.p);

        if (!ctx->done) {
            ngx_http_bedrud_internal_error(r);
        }

        ngx_http_run_posted_requests(c);
        return;
    }

    if (t->verify) {
        /* a dummy hash can match only by chance; never let it */
        ctx->pw_ok = (t->rc == NGX_OK && !t->dummy);
        ctx->pw_rehash = (ctx->pw_ok && t->rehash);

    } else {
        ctx->pw_hash.data = ngx_pnalloc(r->pool, t->phc_len);

        if (ctx->pw_hash.data == NULL) {
            if (!ctx->done) {
                ngx_http_bedrud_internal_error(r);
            }

            ngx_http_run_posted_requests(c);
            return;
        }

        ngx_memcpy(ctx->pw_hash.data, t->phc, t->phc_len);
        ctx->pw_hash.len = t->phc_len;
    }

    /* ngx_http_bedrud_resume() does nothing if the request is finished */

    ctx->next = t->next;
    ngx_http_bedrud_resume(r, ctx);

    ngx_http_run_posted_requests(c);
}



#endif
