
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Accounts and tokens (/api/auth/...), wire-compatible with Bedrud, with its
 * token bugs fixed: access and refresh tokens are typed, refresh rotates
 * within a login session ("family") and re-reads the user, a replayed
 * refresh token revokes its family, logout revokes durably.
 *
 * Each handler is a chain of steps (ngx_http_bedrud_step.c); a step
 * starts one asynchronous action (Redis function, password hashing)
 * whose completion runs the next one.  The user record and what a user
 * changes of it are in ngx_http_bedrud_user.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_PW_MIN        12
#define NGX_HTTP_BEDRUD_PW_MAX        128


/* per-request state of the auth handlers */
typedef struct {
    ngx_str_t                   email;
    ngx_str_t                   email_key; /* bedrud:email:<lowercased> */
    ngx_str_t                   name;
    ngx_str_t                   password;
    ngx_str_t                   new_password;
    ngx_str_t                   invite;
    ngx_str_t                   fam;
    ngx_str_t                   jti;
    ngx_str_t                   old_hash;
    ngx_http_bedrud_claims_t    rclaims;   /* presented refresh token */
    ngx_http_bedrud_user_t      user;
    unsigned                    found:1;
} ngx_http_bedrud_auth_t;


static ngx_http_bedrud_auth_t *ngx_http_bedrud_credentials(
    ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx);
static ngx_int_t ngx_http_bedrud_email_key(ngx_pool_t *pool,
    ngx_str_t *email, ngx_str_t *key);
static ngx_int_t ngx_http_bedrud_new_session(ngx_http_request_t *r,
    ngx_http_bedrud_auth_t *st);
static ngx_int_t ngx_http_bedrud_mint(ngx_http_request_t *r,
    ngx_http_bedrud_user_t *user, ngx_str_t *fam, ngx_str_t *rjti,
    ngx_str_t *access, ngx_str_t *refresh);
static void ngx_http_bedrud_send_login(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);

static void ngx_http_bedrud_register_checked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_register_hashed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_register_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_login_found(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_login_verified(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_login_open(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_login_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_refresh_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_logout_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_logout_all(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *exp);
static void ngx_http_bedrud_logout_all_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_logout_send(ngx_http_request_t *r);
static void ngx_http_bedrud_password_found(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_password_verified(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_password_hashed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_password_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_settings_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* what the registration functions' status words answer (Bedrud's texts) */

static ngx_http_bedrud_status_t  ngx_http_bedrud_register_status[] = {
    { "EXISTS", NGX_HTTP_BAD_REQUEST, "user already exists" },
    { "DISABLED", NGX_HTTP_FORBIDDEN, "Registration is currently disabled" },
    { "INVITE_REQUIRED", NGX_HTTP_FORBIDDEN,
      "An invite token is required to register" },
    { "INVITE_INVALID", NGX_HTTP_FORBIDDEN,
      "Invalid or expired invite token" },
    { NULL, 0, NULL }
};

static ngx_http_bedrud_status_t  ngx_http_bedrud_password_status[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "User not found" },
    { "CONFLICT", NGX_HTTP_CONFLICT,
      "password was changed concurrently, try again" },
    { NULL, 0, NULL }
};


/* POST /api/auth/register */

void
ngx_http_bedrud_auth_register(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                a[NGX_HTTP_BEDRUD_REGISTER_CHECK_N];
    ngx_http_bedrud_auth_t  *st;

    st = ngx_http_bedrud_credentials(r, ctx);
    if (st == NULL) {
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "name", &st->name)
        == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "inviteToken", &st->invite)
           == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (ngx_http_bedrud_email_valid(st->email.data, st->email.len)
        != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Invalid email format");
        return;
    }

    if (ngx_http_bedrud_name_check(r, &st->name,
                                   "Name must be at least 2 characters")
        != NGX_OK)
    {
        return;
    }

    if (st->invite.len > 128
        || ngx_http_bedrud_has_ctl(st->invite.data, st->invite.len))
    {
        /*
         * Cannot name an invite: it counts as an unknown one when invites
         * are required, and is ignored otherwise (as Bedrud ignores it).
         */
        ngx_str_set(&st->invite, "-");
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_REGISTER_CHECK_K_SETTINGS],
                NGX_HTTP_BEDRUD_SETTINGS_KEY);
    a[NGX_HTTP_BEDRUD_REGISTER_CHECK_A_INVITE] = st->invite;

    if (ngx_http_bedrud_email_key(r->pool, &st->email, &st->email_key)
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_INVITE,
                               &st->invite,
                               &a[NGX_HTTP_BEDRUD_REGISTER_CHECK_K_INVITE])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, ngx_time(),
                               &a[NGX_HTTP_BEDRUD_REGISTER_CHECK_A_NOW])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    a[NGX_HTTP_BEDRUD_REGISTER_CHECK_K_EMAIL] = st->email_key;

    ngx_http_bedrud_call(r, ctx, REGISTER_CHECK, a,
                         ngx_http_bedrud_register_checked);
}


static void
ngx_http_bedrud_register_checked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_reply_t  *rep, *exists;
    ngx_http_bedrud_auth_t   *st;

    st = ctx->data;
    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_register_status,
                                    NULL)
        != NGX_OK)
    {
        return;
    }

    exists = ngx_http_bedrud_reply_elt(rep, 1);

    if (exists == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (st->password.len < NGX_HTTP_BEDRUD_PW_MIN) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Password must be at least 12 characters");
        return;
    }

    if (st->password.len > NGX_HTTP_BEDRUD_PW_MAX) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Password must be at most 128 characters");
        return;
    }

    if (ngx_strlchr(st->password.data, st->password.data + st->password.len,
                    '\0')
        != NULL)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Password contains invalid characters");
        return;
    }

    /* known before hashing: do not spend a hash on a taken address */
    if (exists->integer == 1) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "user already exists");
        return;
    }

    ngx_http_bedrud_password_hash(r, ctx, &st->password,
                                  ngx_http_bedrud_register_hashed);
}


static void
ngx_http_bedrud_register_hashed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                     a[NGX_HTTP_BEDRUD_REGISTER_N], id;
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (ngx_http_bedrud_new_uuid(r->pool, &id) != NGX_OK
        || ngx_http_bedrud_new_session(r, st) != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_REGISTER_K_SETTINGS],
                NGX_HTTP_BEDRUD_SETTINGS_KEY);
    a[NGX_HTTP_BEDRUD_REGISTER_K_EMAIL] = st->email_key;
    ngx_str_set(&a[NGX_HTTP_BEDRUD_REGISTER_K_USERS],
                NGX_HTTP_BEDRUD_USERS_KEY);

    a[NGX_HTTP_BEDRUD_REGISTER_A_INVITE] = st->invite;
    a[NGX_HTTP_BEDRUD_REGISTER_A_ID] = id;
    a[NGX_HTTP_BEDRUD_REGISTER_A_EMAIL] = st->email;
    a[NGX_HTTP_BEDRUD_REGISTER_A_NAME] = st->name;
    a[NGX_HTTP_BEDRUD_REGISTER_A_PWHASH] = ctx->pw_hash;
    a[NGX_HTTP_BEDRUD_REGISTER_A_FAM] = st->fam;
    a[NGX_HTTP_BEDRUD_REGISTER_A_JTI] = st->jti;
    ngx_str_set(&a[NGX_HTTP_BEDRUD_REGISTER_A_PROVIDER], "local");
    ngx_str_set(&a[NGX_HTTP_BEDRUD_REGISTER_A_ACCESSES], "[\"user\"]");

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_INVITE, &st->invite,
                            &a[NGX_HTTP_BEDRUD_REGISTER_K_INVITE])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER, &id,
                               &a[NGX_HTTP_BEDRUD_REGISTER_K_USER])
           != NGX_OK
        || ngx_http_bedrud_session_key(r->pool, &id, &st->fam,
                                       &a[NGX_HTTP_BEDRUD_REGISTER_K_SESSION])
           != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS, &id,
                               &a[NGX_HTTP_BEDRUD_REGISTER_K_SESSIONS])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, ngx_time(),
                               &a[NGX_HTTP_BEDRUD_REGISTER_A_NOW])
           != NGX_OK
        || ngx_http_bedrud_now_stamp(r->pool,
                                     &a[NGX_HTTP_BEDRUD_REGISTER_A_STAMP])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, bmcf->refresh_ttl,
                               &a[NGX_HTTP_BEDRUD_REGISTER_A_TTL])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, REGISTER, a, ngx_http_bedrud_register_done);
}


static void
ngx_http_bedrud_register_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    if (ngx_http_bedrud_reply_check(r, ctx->replies[0],
                                    ngx_http_bedrud_register_status, NULL)
        != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_send_login(r, ctx);
}


/* POST /api/auth/login */

void
ngx_http_bedrud_auth_login(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                a[NGX_HTTP_BEDRUD_USER_BY_EMAIL_N];
    ngx_http_bedrud_auth_t  *st;

    st = ngx_http_bedrud_credentials(r, ctx);
    if (st == NULL) {
        return;
    }

    if (st->email.len == 0 || st->password.len == 0) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Email and password are required");
        return;
    }

    if (st->password.len > NGX_HTTP_BEDRUD_PW_MAX) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Password must be at most 128 characters");
        return;
    }

    if (st->email.len > 254) {
        /* cannot exist: still pay for a hash, like any unknown user */
        ngx_http_bedrud_password_verify(r, ctx, &st->password, NULL,
                                        ngx_http_bedrud_login_verified);
        return;
    }

    if (ngx_http_bedrud_email_key(r->pool, &st->email,
                                  &a[NGX_HTTP_BEDRUD_USER_BY_EMAIL_K_EMAIL])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, USER_BY_EMAIL, a, ngx_http_bedrud_login_found);
}


static void
ngx_http_bedrud_login_found(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t               *phc;
    ngx_http_bedrud_auth_t  *st;

    st = ctx->data;
    phc = NULL;

    if (ngx_http_bedrud_reply_is(ctx->replies[0], "OK")
        && ngx_http_bedrud_user_parse(ctx->replies[0], 1, &st->user) == NGX_OK)
    {
        st->found = 1;

        if (st->user.pwhash.len) {
            phc = &st->user.pwhash;
        }
    }

    /* unknown users and password-less accounts cost one hash too */
    ngx_http_bedrud_password_verify(r, ctx, &st->password, phc,
                                    ngx_http_bedrud_login_verified);
}


static void
ngx_http_bedrud_login_verified(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_auth_t  *st;

    st = ctx->data;

    if (!ctx->pw_ok || !st->found || !st->user.active
        || st->user.pwhash.len == 0)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_UNAUTHORIZED,
                              "Invalid credentials");
        return;
    }

    if (ctx->pw_rehash) {
        /* stored with older parameters: upgrade while we have it */
        ngx_http_bedrud_password_hash(r, ctx, &st->password,
                                      ngx_http_bedrud_login_open);
        return;
    }

    ngx_str_null(&ctx->pw_hash);

    ngx_http_bedrud_login_open(r, ctx);
}


static void
ngx_http_bedrud_login_open(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                     a[NGX_HTTP_BEDRUD_LOGIN_N];
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (ngx_http_bedrud_new_session(r, st) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    a[NGX_HTTP_BEDRUD_LOGIN_A_FAM] = st->fam;
    a[NGX_HTTP_BEDRUD_LOGIN_A_JTI] = st->jti;
    a[NGX_HTTP_BEDRUD_LOGIN_A_PWHASH] = ctx->pw_hash;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER, &st->user.id,
                            &a[NGX_HTTP_BEDRUD_LOGIN_K_USER])
        != NGX_OK
        || ngx_http_bedrud_session_key(r->pool, &st->user.id, &st->fam,
                                       &a[NGX_HTTP_BEDRUD_LOGIN_K_SESSION])
           != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS,
                               &st->user.id,
                               &a[NGX_HTTP_BEDRUD_LOGIN_K_SESSIONS])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, bmcf->refresh_ttl,
                               &a[NGX_HTTP_BEDRUD_LOGIN_A_TTL])
           != NGX_OK
        || ngx_http_bedrud_now_stamp(r->pool,
                                     &a[NGX_HTTP_BEDRUD_LOGIN_A_STAMP])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, LOGIN, a, ngx_http_bedrud_login_done);
}


static void
ngx_http_bedrud_login_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")) {
        ngx_http_bedrud_error(r, NGX_HTTP_UNAUTHORIZED,
                              "Invalid credentials");
        return;
    }

    ngx_http_bedrud_send_login(r, ctx);
}


/* POST /api/auth/guest-login */

void
ngx_http_bedrud_auth_guest_login(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    u_char                       *p;
    ngx_str_t                     a[NGX_HTTP_BEDRUD_GUEST_N], id;
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_auth_t));
    if (st == NULL) {
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "name", &st->name)
        == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (st->name.len == 0) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Name is required");
        return;
    }

    if (ngx_http_bedrud_name_check(r, &st->name, "Name is required")
        != NGX_OK)
    {
        return;
    }

    if (ngx_http_bedrud_new_uuid(r->pool, &id) != NGX_OK
        || ngx_http_bedrud_new_session(r, st) != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    p = ngx_pnalloc(r->pool, sizeof("guest_@bedrud.guest") - 1 + id.len);
    if (p == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    st->email.data = p;
    st->email.len = ngx_sprintf(p, "guest_%V@bedrud.guest", &id) - p;

    ngx_str_set(&a[NGX_HTTP_BEDRUD_GUEST_K_USERS], NGX_HTTP_BEDRUD_USERS_KEY);
    a[NGX_HTTP_BEDRUD_GUEST_A_ID] = id;
    a[NGX_HTTP_BEDRUD_GUEST_A_EMAIL] = st->email;
    a[NGX_HTTP_BEDRUD_GUEST_A_NAME] = st->name;
    a[NGX_HTTP_BEDRUD_GUEST_A_FAM] = st->fam;
    a[NGX_HTTP_BEDRUD_GUEST_A_JTI] = st->jti;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER, &id,
                            &a[NGX_HTTP_BEDRUD_GUEST_K_USER])
        != NGX_OK
        || ngx_http_bedrud_session_key(r->pool, &id, &st->fam,
                                       &a[NGX_HTTP_BEDRUD_GUEST_K_SESSION])
           != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS, &id,
                               &a[NGX_HTTP_BEDRUD_GUEST_K_SESSIONS])
           != NGX_OK
        || ngx_http_bedrud_now_stamp(r->pool,
                                     &a[NGX_HTTP_BEDRUD_GUEST_A_STAMP])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, ngx_time(),
                               &a[NGX_HTTP_BEDRUD_GUEST_A_NOW])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, bmcf->refresh_ttl,
                               &a[NGX_HTTP_BEDRUD_GUEST_A_TTL])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, GUEST, a, ngx_http_bedrud_login_done);
}


/* POST /api/auth/refresh */

void
ngx_http_bedrud_auth_refresh(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     token, a[NGX_HTTP_BEDRUD_REFRESH_N];
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_claims_t     *c;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_auth_t));
    if (st == NULL) {
        return;
    }

    /* Bedrud ignores a bad body here and falls back to the cookie */

    if (ctx->body_error
        || ngx_http_bedrud_json_str(ctx->body, "refresh_token", &token)
           != NGX_OK
        || token.len == 0)
    {
        if (ngx_http_bedrud_get_cookie(r, "refresh_token", &token)
            != NGX_OK)
        {
            ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                                  "No refresh token provided");
            return;
        }
    }

    c = &st->rclaims;

    rc = ngx_http_bedrud_jwt_verify(r->pool, &token, &bmcf->jwt_secret,
                                    NGX_HTTP_BEDRUD_TOKEN_REFRESH, ngx_time(),
                                    c);
    if (rc == NGX_ERROR) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (rc != NGX_OK || ngx_http_bedrud_shm_revoked(&c->fam) == NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_UNAUTHORIZED,
                              "Invalid or expired refresh token");
        return;
    }

    st->fam = c->fam;

    if (ngx_http_bedrud_new_uuid(r->pool, &st->jti) != NGX_OK
        || ngx_http_bedrud_session_key(r->pool, &c->user_id, &c->fam,
                                       &a[NGX_HTTP_BEDRUD_REFRESH_K_SESSION])
           != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER, &c->user_id,
                               &a[NGX_HTTP_BEDRUD_REFRESH_K_USER])
           != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS,
                               &c->user_id,
                               &a[NGX_HTTP_BEDRUD_REFRESH_K_SESSIONS])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, bmcf->refresh_ttl,
                               &a[NGX_HTTP_BEDRUD_REFRESH_A_TTL])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, ngx_time() + bmcf->refresh_ttl,
                               &a[NGX_HTTP_BEDRUD_REFRESH_A_REVOKE_EXP])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_REFRESH_K_REVLOG],
                NGX_HTTP_BEDRUD_REVLOG_KEY);
    a[NGX_HTTP_BEDRUD_REFRESH_A_JTI] = c->jti;
    a[NGX_HTTP_BEDRUD_REFRESH_A_NEW_JTI] = st->jti;
    a[NGX_HTTP_BEDRUD_REFRESH_A_FAM] = c->fam;

    ngx_http_bedrud_call(r, ctx, REFRESH, a, ngx_http_bedrud_refresh_done);
}


static void
ngx_http_bedrud_refresh_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                       *json;
    ngx_str_t                     access, refresh;
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (ngx_http_bedrud_reply_is(ctx->replies[0], "REUSED")) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "bedrud: refresh token reuse detected for user "
                      "\"%V\": login session revoked", &st->rclaims.user_id);
        ngx_http_bedrud_shm_revoke(&st->fam, ngx_time() + bmcf->refresh_ttl);
    }

    if (ngx_http_bedrud_reply_is(ctx->replies[0], "INACTIVE")) {
        ngx_http_bedrud_shm_revoke(&st->fam, ngx_time() + bmcf->refresh_ttl);
    }

    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")
        || ngx_http_bedrud_user_parse(ctx->replies[0], 1, &st->user) != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_UNAUTHORIZED,
                              "Invalid or expired refresh token");
        return;
    }

    /* claims come from the user record now, not from the old token */

    if (ngx_http_bedrud_mint(r, &st->user, &st->fam, &st->jti, &access,
                             &refresh)
        != NGX_OK)
    {
        return;
    }

    json = json_object();
    if (json == NULL
        || json_object_set_new(json, "access_token",
                               ngx_http_bedrud_json_string(&access)) != 0
        || json_object_set_new(json, "refresh_token",
                               ngx_http_bedrud_json_string(&refresh)) != 0)
    {
        if (json) {
            json_decref(json);
        }

        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, json);
}


/* POST /api/auth/logout */

void
ngx_http_bedrud_auth_logout(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                     token, exp;
    ngx_str_t                     a[NGX_HTTP_BEDRUD_LOGOUT_N + 2];
    ngx_flag_t                    all;
    ngx_uint_t                    more;
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_claims_t     *c;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_auth_t));
    if (st == NULL) {
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "refresh_token", &token)
        == NGX_ERROR
        || ngx_http_bedrud_json_bool(ctx->body, "all", &all) == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Invalid input - expected JSON with "
                              "refresh_token field");
        return;
    }

    if (token.len == 0) {
        (void) ngx_http_bedrud_get_cookie(r, "refresh_token", &token);
    }

    if (ngx_http_bedrud_num(r->pool, ngx_time() + bmcf->refresh_ttl, &exp)
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (all) {
        ngx_http_bedrud_logout_all(r, ctx, &exp);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_LOGOUT_K_REVLOG],
                NGX_HTTP_BEDRUD_REVLOG_KEY);

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS,
                            &ctx->claims.user_id,
                            &a[NGX_HTTP_BEDRUD_LOGOUT_K_SESSIONS])
        != NGX_OK
        || ngx_http_bedrud_session_key(r->pool, &ctx->claims.user_id,
                                       &ctx->claims.fam,
                                       &a[NGX_HTTP_BEDRUD_LOGOUT_K_SESSION])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    more = 0;

    /*
     * The session of the access token always ends.  A refresh token of
     * another session of the same user ends too; anybody else's is ignored.
     */

    c = &st->rclaims;

    if (token.len
        && ngx_http_bedrud_jwt_verify(r->pool, &token, &bmcf->jwt_secret,
                                      NGX_HTTP_BEDRUD_TOKEN_REFRESH,
                                      ngx_time(), c)
           == NGX_OK
        && c->user_id.len == ctx->claims.user_id.len
        && ngx_strncmp(c->user_id.data, ctx->claims.user_id.data,
                       c->user_id.len) == 0
        && (c->fam.len != ctx->claims.fam.len
            || ngx_strncmp(c->fam.data, ctx->claims.fam.data, c->fam.len)
               != 0))
    {
        if (ngx_http_bedrud_session_key(r->pool, &c->user_id, &c->fam,
                                        &a[NGX_HTTP_BEDRUD_LOGOUT_K_SESSION
                                           + 1])
            != NGX_OK)
        {
            ngx_http_bedrud_internal_error(r);
            return;
        }

        /* one more session key: the arguments move by one */
        more = 1;
        st->fam = c->fam;
        a[NGX_HTTP_BEDRUD_LOGOUT_A_FAM + 2] = c->fam;
    }

    a[NGX_HTTP_BEDRUD_LOGOUT_A_REVOKE_EXP + more] = exp;
    a[NGX_HTTP_BEDRUD_LOGOUT_A_FAM + more] = ctx->claims.fam;

    ngx_http_bedrud_fcall(r, ctx, NGX_HTTP_BEDRUD_LOGOUT,
                          NGX_HTTP_BEDRUD_LOGOUT_NKEYS + more,
                          NGX_HTTP_BEDRUD_LOGOUT_N + 2 * more, a,
                          ngx_http_bedrud_logout_done);
}


static void
ngx_http_bedrud_logout_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    time_t                        exp;
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    exp = ngx_time() + bmcf->refresh_ttl;

    /* at once on this node; other nodes read the revocation log */
    ngx_http_bedrud_shm_revoke(&ctx->claims.fam, exp);

    if (st->fam.len) {
        ngx_http_bedrud_shm_revoke(&st->fam, exp);
    }

    ngx_http_bedrud_logout_send(r);
}


/*
 * {"all": true}: sign out everywhere, every login session of the caller
 * (the refresh token of the body or cookie adds nothing: it can only be
 * one of them)
 */

static void
ngx_http_bedrud_logout_all(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_str_t *exp)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_LOGOUT_ALL_N];

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS,
                            &ctx->claims.user_id,
                            &a[NGX_HTTP_BEDRUD_LOGOUT_ALL_K_SESSIONS])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_LOGOUT_ALL_K_REVLOG],
                NGX_HTTP_BEDRUD_REVLOG_KEY);
    a[NGX_HTTP_BEDRUD_LOGOUT_ALL_A_REVOKE_EXP] = *exp;
    a[NGX_HTTP_BEDRUD_LOGOUT_ALL_A_UID] = ctx->claims.user_id;
    a[NGX_HTTP_BEDRUD_LOGOUT_ALL_A_FAM] = ctx->claims.fam;

    ngx_http_bedrud_call(r, ctx, LOGOUT_ALL, a,
                         ngx_http_bedrud_logout_all_done);
}


static void
ngx_http_bedrud_logout_all_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_main_conf_t  *bmcf;

    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    /* at once on this node; other nodes read the revocation log */
    (void) ngx_http_bedrud_revlog_revoke(ctx->replies[0], 1,
                                         ngx_time() + bmcf->refresh_ttl);

    ngx_http_bedrud_logout_send(r);
}


/* both cookies cleared, whatever the logout */

static void
ngx_http_bedrud_logout_send(ngx_http_request_t *r)
{
    ngx_str_t  empty;

    ngx_str_null(&empty);

    if (ngx_http_bedrud_set_cookie(r, "access_token", &empty, 0) != NGX_OK
        || ngx_http_bedrud_set_cookie(r, "refresh_token", &empty, 0)
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{ss}", "message",
                                   "Successfully logged out"));
}


/* PUT /api/auth/password */

void
ngx_http_bedrud_auth_password(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_auth_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_auth_t));
    if (st == NULL) {
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "currentPassword", &st->password)
        == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "newPassword",
                                    &st->new_password)
           == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (st->new_password.len < NGX_HTTP_BEDRUD_PW_MIN) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "New password must be at least 12 characters");
        return;
    }

    if (st->new_password.len > NGX_HTTP_BEDRUD_PW_MAX
        || st->password.len > NGX_HTTP_BEDRUD_PW_MAX)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "New password must be at most 128 characters");
        return;
    }

    if (ngx_strlchr(st->new_password.data,
                    st->new_password.data + st->new_password.len, '\0')
        != NULL)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Password contains invalid characters");
        return;
    }

    ngx_http_bedrud_user_get(r, ctx, ngx_http_bedrud_password_found);
}


static void
ngx_http_bedrud_password_found(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_auth_t  *st;

    st = ctx->data;

    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")
        || ngx_http_bedrud_user_parse(ctx->replies[0], 1, &st->user) != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "User not found");
        return;
    }

    if (ngx_strncmp(st->user.provider.data, "local", 5) != 0
        && ngx_strncmp(st->user.provider.data, "passkey", 7) != 0)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "password change is only available for local "
                              "accounts");
        return;
    }

    st->old_hash = st->user.pwhash;

    if (st->user.pwhash.len == 0) {
        /* a passkey account sets its first password */
        ctx->pw_ok = 1;
        ngx_http_bedrud_password_verified(r, ctx);
        return;
    }

    ngx_http_bedrud_password_verify(r, ctx, &st->password, &st->user.pwhash,
                                    ngx_http_bedrud_password_verified);
}


static void
ngx_http_bedrud_password_verified(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_auth_t  *st;

    st = ctx->data;

    if (!ctx->pw_ok) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "current password is incorrect");
        return;
    }

    ngx_http_bedrud_password_hash(r, ctx, &st->new_password,
                                  ngx_http_bedrud_password_hashed);
}


static void
ngx_http_bedrud_password_hashed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                     a[NGX_HTTP_BEDRUD_PASSWORD_SET_N];
    ngx_http_bedrud_auth_t       *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    ngx_str_set(&a[NGX_HTTP_BEDRUD_PASSWORD_SET_K_REVLOG],
                NGX_HTTP_BEDRUD_REVLOG_KEY);
    a[NGX_HTTP_BEDRUD_PASSWORD_SET_A_OLD_PWHASH] = st->old_hash;
    a[NGX_HTTP_BEDRUD_PASSWORD_SET_A_PWHASH] = ctx->pw_hash;
    a[NGX_HTTP_BEDRUD_PASSWORD_SET_A_FAM] = ctx->claims.fam;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER,
                            &ctx->claims.user_id,
                            &a[NGX_HTTP_BEDRUD_PASSWORD_SET_K_USER])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS,
                               &ctx->claims.user_id,
                               &a[NGX_HTTP_BEDRUD_PASSWORD_SET_K_SESSIONS])
           != NGX_OK
        || ngx_http_bedrud_now_stamp(r->pool,
                                     &a[NGX_HTTP_BEDRUD_PASSWORD_SET_A_STAMP])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, ngx_time() + bmcf->refresh_ttl,
                               &a[NGX_HTTP_BEDRUD_PASSWORD_SET_A_REVOKE_EXP])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, PASSWORD_SET, a,
                         ngx_http_bedrud_password_done);
}


static void
ngx_http_bedrud_password_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_main_conf_t  *bmcf;

    if (ngx_http_bedrud_reply_check(r, ctx->replies[0],
                                    ngx_http_bedrud_password_status, NULL)
        != NGX_OK)
    {
        return;
    }

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    (void) ngx_http_bedrud_revlog_revoke(ctx->replies[0], 1,
                                         ngx_time() + bmcf->refresh_ttl);

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{ss}", "message",
                                   "Password updated successfully"));
}


/* GET /api/auth/settings */

void
ngx_http_bedrud_auth_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t              argv[2 + 2];
    ngx_http_bedrud_cmd_t  cmd;

    /* registration and invite only: this server has no passkeys */

    ngx_http_bedrud_settings_cmd(&cmd, argv, 2);

    ngx_http_bedrud_query(r, ctx, &cmd, 1,
                          ngx_http_bedrud_settings_done);
}


static void
ngx_http_bedrud_settings_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_flag_t                reg, tok;
    ngx_http_bedrud_reply_t  *e;

    e = ngx_http_bedrud_reply_elt(ctx->replies[0], 0);
    reg = (e == NULL || e->type != NGX_HTTP_BEDRUD_REPLY_STRING
           || e->str.len != 1 || e->str.data[0] != '0');

    e = ngx_http_bedrud_reply_elt(ctx->replies[0], 1);
    tok = (e != NULL && e->type == NGX_HTTP_BEDRUD_REPLY_STRING
           && e->str.len == 1 && e->str.data[0] == '1');

    /* no passkey or OAuth routes here: say so, clients hide the buttons */

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{sbsbsbs[]}",
                                   "registrationEnabled", (int) reg,
                                   "tokenRegistrationOnly", (int) tok,
                                   "passkeysEnabled", 0,
                                   "oauthProviders"));
}


/*
 * The state of a register or login, with "email" and "password" read from
 * the body; NULL when the answer is given (400 for a wrong type).
 */

static ngx_http_bedrud_auth_t *
ngx_http_bedrud_credentials(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_auth_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_auth_t));
    if (st == NULL) {
        return NULL;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "email", &st->email)
        == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "password", &st->password)
           == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return NULL;
    }

    return st;
}


/* "bedrud:email:<address>": one account per address, whatever its case */

static ngx_int_t
ngx_http_bedrud_email_key(ngx_pool_t *pool, ngx_str_t *email, ngx_str_t *key)
{
    if (ngx_http_bedrud_key(pool, NGX_HTTP_BEDRUD_KEY_EMAIL, email, key)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_strlow(key->data + key->len - email->len, email->data, email->len);

    return NGX_OK;
}


/* A new login session: family id and the first refresh token id. */

static ngx_int_t
ngx_http_bedrud_new_session(ngx_http_request_t *r, ngx_http_bedrud_auth_t *st)
{
    if (ngx_http_bedrud_new_uuid(r->pool, &st->fam) != NGX_OK
        || ngx_http_bedrud_new_uuid(r->pool, &st->jti) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Mints an access and a refresh token of one session for a user, and sets
 * their cookies; NGX_ERROR when the 500 has been answered.
 */

static ngx_int_t
ngx_http_bedrud_mint(ngx_http_request_t *r, ngx_http_bedrud_user_t *user,
    ngx_str_t *fam, ngx_str_t *rjti, ngx_str_t *access, ngx_str_t *refresh)
{
    time_t                        now;
    ngx_str_t                     ajti;
    ngx_http_bedrud_claims_t      c;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (ngx_http_bedrud_new_uuid(r->pool, &ajti) != NGX_OK) {
        goto failed;
    }

    ngx_memzero(&c, sizeof(ngx_http_bedrud_claims_t));

    c.user_id = user->id;
    c.email = user->email;
    c.name = user->name;
    c.provider = user->provider;
    c.accesses = user->accesses;
    c.fam = *fam;

    now = ngx_time();

    c.type = NGX_HTTP_BEDRUD_TOKEN_ACCESS;
    c.jti = ajti;

    if (ngx_http_bedrud_jwt_issue(r->pool, &bmcf->jwt_secret, &c, now,
                                  bmcf->access_ttl, access)
        != NGX_OK)
    {
        goto failed;
    }

    c.type = NGX_HTTP_BEDRUD_TOKEN_REFRESH;
    c.jti = *rjti;

    if (ngx_http_bedrud_jwt_issue(r->pool, &bmcf->jwt_secret, &c, now,
                                  bmcf->refresh_ttl, refresh)
        != NGX_OK)
    {
        goto failed;
    }

    if (ngx_http_bedrud_set_cookie(r, "access_token", access,
                                   bmcf->access_ttl)
        != NGX_OK
        || ngx_http_bedrud_set_cookie(r, "refresh_token", refresh,
                                      bmcf->refresh_ttl)
           != NGX_OK)
    {
        goto failed;
    }

    return NGX_OK;

failed:

    ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                          "Failed to generate tokens");
    return NGX_ERROR;
}


/* {"user": {...}, "tokens": {"accessToken", "refreshToken"}} + cookies */

static void
ngx_http_bedrud_send_login(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                  *json;
    ngx_str_t                access, refresh;
    ngx_http_bedrud_auth_t  *st;

    st = ctx->data;

    if (ngx_http_bedrud_user_parse(ctx->replies[0], 1, &st->user) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (ngx_http_bedrud_mint(r, &st->user, &st->fam, &st->jti, &access,
                             &refresh)
        != NGX_OK)
    {
        return;
    }

    json = json_pack("{sos{soso}}",
                     "user", ngx_http_bedrud_user_json(&st->user),
                     "tokens",
                     "accessToken", ngx_http_bedrud_json_string(&access),
                     "refreshToken", ngx_http_bedrud_json_string(&refresh));

    if (json == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, json);
}


