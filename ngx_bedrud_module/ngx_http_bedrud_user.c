
/*
 * Copyright (C) ngx_bedrud authors
 *
 * The user record, as stored in "bedrud:user:{<userId>}" (redis/SCHEMA.md):
 * read from HGETALL's pairs, written as Bedrud's User object; and what a
 * user changes of it: GET and PUT /api/auth/me (the display name) and
 * /api/auth/preferences.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_NAME_MIN      2
#define NGX_HTTP_BEDRUD_PREFS_MAX     4096


static ngx_int_t ngx_http_bedrud_user_own(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *key, ngx_str_t *stamp);
static void ngx_http_bedrud_me_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_update_me_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_get_prefs_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_put_prefs_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* GET /api/auth/me */

void
ngx_http_bedrud_auth_me(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_user_get(r, ctx, ngx_http_bedrud_me_done);
}


/* The caller's user key and the time: what a change of one's own takes. */

static ngx_int_t
ngx_http_bedrud_user_own(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_str_t *key, ngx_str_t *stamp)
{
    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER,
                            &ctx->claims.user_id, key)
        != NGX_OK
        || ngx_http_bedrud_now_stamp(r->pool, stamp) != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* The caller's user record: bedrud_user_get's reply for "next". */

void
ngx_http_bedrud_user_get(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_http_bedrud_step_pt next)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_USER_GET_N];

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER,
                            &ctx->claims.user_id,
                            &a[NGX_HTTP_BEDRUD_USER_GET_K_USER])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, USER_GET, a, next);
}


static void
ngx_http_bedrud_me_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_user_t  user;

    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")) {
        /* Bedrud answers a deleted user with 200 null */
        ngx_http_bedrud_send(r, NGX_HTTP_OK, NULL);
        return;
    }

    if (ngx_http_bedrud_user_parse(ctx->replies[0], 1, &user) != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to get user");
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, ngx_http_bedrud_user_json(&user));
}


/* PUT /api/auth/me */

void
ngx_http_bedrud_auth_update_me(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_USER_RENAME_N], *name;

    name = &a[NGX_HTTP_BEDRUD_USER_RENAME_A_NAME];

    if (ngx_http_bedrud_json_str(ctx->body, "name", name)
        == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (ngx_http_bedrud_name_check(r, name,
                                   "Name must be at least 2 characters")
        != NGX_OK)
    {
        return;
    }

    if (ngx_http_bedrud_user_own(r, ctx, &a[NGX_HTTP_BEDRUD_USER_RENAME_K_USER],
                                 &a[NGX_HTTP_BEDRUD_USER_RENAME_A_STAMP])
        != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_call(r, ctx, USER_RENAME, a,
                         ngx_http_bedrud_update_me_done);
}


static void
ngx_http_bedrud_update_me_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_user_t  user;

    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "User not found");
        return;
    }

    if (ngx_http_bedrud_user_parse(ctx->replies[0], 1, &user) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, ngx_http_bedrud_user_json(&user));
}


/* GET /api/auth/preferences */

void
ngx_http_bedrud_auth_get_prefs(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t              argv[3];
    ngx_http_bedrud_cmd_t  cmd;

    ngx_str_set(&argv[0], "HGET");
    ngx_str_set(&argv[2], "prefs");

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER,
                            &ctx->claims.user_id, &argv[1])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    cmd.argc = 3;
    cmd.argv = argv;

    ngx_http_bedrud_query(r, ctx, &cmd, 1,
                          ngx_http_bedrud_get_prefs_done);
}


static void
ngx_http_bedrud_get_prefs_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                 v;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (rep->type == NGX_HTTP_BEDRUD_REPLY_STRING && rep->str.len) {
        v = rep->str;

    } else {
        ngx_str_set(&v, "{}");
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{so}", "preferencesJson",
                                   ngx_http_bedrud_json_string(&v)));
}


/* PUT /api/auth/preferences */

void
ngx_http_bedrud_auth_put_prefs(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t        *check;
    ngx_str_t      a[NGX_HTTP_BEDRUD_PREFS_SET_N], prefs;
    json_error_t   err;

    if (ngx_http_bedrud_json_str(ctx->body, "preferencesJson", &prefs)
        == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (prefs.len > NGX_HTTP_BEDRUD_PREFS_MAX) {
        ngx_http_bedrud_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                              "preferencesJson too large (max 4 KB)");
        return;
    }

    if (prefs.len == 0
        || ngx_http_bedrud_json_depth_ok(prefs.data, prefs.len, 16) != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "preferencesJson must be valid JSON");
        return;
    }

    check = json_loadb((const char *) prefs.data, prefs.len,
                       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (check == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "preferencesJson must be valid JSON");
        return;
    }

    json_decref(check);

    a[NGX_HTTP_BEDRUD_PREFS_SET_A_PREFS] = prefs;

    if (ngx_http_bedrud_user_own(r, ctx, &a[NGX_HTTP_BEDRUD_PREFS_SET_K_USER],
                                 &a[NGX_HTTP_BEDRUD_PREFS_SET_A_STAMP])
        != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_call(r, ctx, PREFS_SET, a, ngx_http_bedrud_put_prefs_done);
}


static void
ngx_http_bedrud_put_prefs_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "User not found");
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{ss}", "message", "Preferences updated"));
}


/* Reads HGETALL's field/value pairs from element "from" of an array. */

ngx_int_t
ngx_http_bedrud_user_parse(ngx_http_bedrud_reply_t *reply, ngx_uint_t from,
    ngx_http_bedrud_user_t *user)
{
    off_t                     n;
    ngx_str_t                *f, *v;
    ngx_uint_t                i;
    ngx_http_bedrud_reply_t  *k, *val;

    ngx_memzero(user, sizeof(ngx_http_bedrud_user_t));

    if (reply == NULL || reply->type != NGX_HTTP_BEDRUD_REPLY_ARRAY) {
        return NGX_ERROR;
    }

    for (i = from; i + 1 < reply->nelts; i += 2) {
        k = reply->elts[i];
        val = reply->elts[i + 1];

        if (k->type != NGX_HTTP_BEDRUD_REPLY_STRING
            || val->type != NGX_HTTP_BEDRUD_REPLY_STRING)
        {
            continue;
        }

        f = &k->str;
        v = &val->str;

#define ngx_http_bedrud_field(name, dst)                                     \
        if (f->len == sizeof(name) - 1                                        \
            && ngx_strncmp(f->data, name, f->len) == 0)                       \
        {                                                                     \
            user->dst = *v;                                                   \
            continue;                                                         \
        }

        ngx_http_bedrud_field("id", id);
        ngx_http_bedrud_field("email", email);
        ngx_http_bedrud_field("name", name);
        ngx_http_bedrud_field("provider", provider);
        ngx_http_bedrud_field("avatarUrl", avatar);
        ngx_http_bedrud_field("accesses", accesses);
        ngx_http_bedrud_field("pwhash", pwhash);
        ngx_http_bedrud_field("createdAt", created);
        ngx_http_bedrud_field("updatedAt", updated);
        ngx_http_bedrud_field("prefs", prefs);

#undef ngx_http_bedrud_field

        if (f->len == 8 && ngx_strncmp(f->data, "isActive", 8) == 0) {
            user->active = (v->len == 1 && v->data[0] == '1');
            continue;
        }

        if (f->len == 4 && ngx_strncmp(f->data, "tokv", 4) == 0) {
            n = ngx_atoof(v->data, v->len);
            user->version = (n > 0) ? (uint64_t) n : 0;
        }
    }

    if (user->id.len == 0) {
        return NGX_ERROR;
    }

    if (user->accesses.len == 0) {
        ngx_str_set(&user->accesses, "[]");
    }

    return NGX_OK;
}


/* The User object, keys in Bedrud's order. */

json_t *
ngx_http_bedrud_user_json(ngx_http_bedrud_user_t *user)
{
    return json_pack("{sososososososbsoso}",
                     "id", ngx_http_bedrud_json_string(&user->id),
                     "email", ngx_http_bedrud_json_string(&user->email),
                     "name", ngx_http_bedrud_json_string(&user->name),
                     "provider", ngx_http_bedrud_json_string(&user->provider),
                     "avatarUrl", ngx_http_bedrud_json_string(&user->avatar),
                     "accesses", ngx_http_bedrud_json_list(&user->accesses),
                     "isActive", (int) user->active,
                     "createdAt", ngx_http_bedrud_json_string(&user->created),
                     "updatedAt", ngx_http_bedrud_json_string(&user->updated));
}


/*
 * An account's display name (register, guest login, a rename): Bedrud's
 * minimum (in characters: Bedrud counted bytes), then the rule every
 * display name follows
 * (ngx_http_bedrud_display_name(), guests joining a room included).
 */

ngx_int_t
ngx_http_bedrud_name_check(ngx_http_request_t *r, ngx_str_t *name,
    const char *too_short)
{
    if (ngx_utf8_length(name->data, name->len) < NGX_HTTP_BEDRUD_NAME_MIN) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, too_short);
        return NGX_DECLINED;
    }

    switch (ngx_http_bedrud_display_name(name)) {

    case NGX_HTTP_BEDRUD_NAME_OK:
        return NGX_OK;

    case NGX_HTTP_BEDRUD_NAME_LONG:
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Name must be at most 100 characters");
        return NGX_DECLINED;

    default:
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Name contains invalid characters");
        return NGX_DECLINED;
    }
}
