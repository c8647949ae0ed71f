
/*
 * Copyright (C) ngx_bedrud authors
 *
 * The administration API (/api/admin/...).  The router lets only callers
 * whose token carries "superadmin" reach these handlers.
 *
 * Wire-compatible with Bedrud, with its bugs fixed:
 *  - deactivating a user ends its login sessions at once (Bedrud's tokens
 *    kept working until they expired, refresh included);
 *  - a status change without a boolean "active" is a 400 (Bedrud read the
 *    missing field as false and deactivated the user);
 *  - a settings update changes only the fields sent (Bedrud overwrote
 *    the whole row, so an omitted switch turned off registration), and
 *    the record says which fields this server acts on
 *    (ngx_http_bedrud_settings.c);
 *  - room and user listings have an order (newest first) and an empty
 *    page is [] (Bedrud: null);
 *  - the admin room update takes the room settings too, merged field by
 *    field (Bedrud honoured only maxParticipants);
 *  - roles are validated (Bedrud stored any list verbatim, even none);
 *  - non-numeric page/limit are a 400 (Bedrud silently used defaults).
 *
 * Each handler validates its input completely before it changes anything:
 * the change itself is one Redis function (redis/admin.lua), so it is
 * atomic.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_PAGE_DEFAULT     1
#define NGX_HTTP_BEDRUD_LIMIT_DEFAULT    50
#define NGX_HTTP_BEDRUD_LIMIT_MAX        100

/* unpaged listings (a user's rooms, invite tokens) stop here */
#define NGX_HTTP_BEDRUD_LIST_MAX         "1000"

#define NGX_HTTP_BEDRUD_ROLES_MAX        16

#define NGX_HTTP_BEDRUD_INVITE_HOURS     72
#define NGX_HTTP_BEDRUD_INVITE_HOURS_MAX 8760
#define NGX_HTTP_BEDRUD_INVITE_BYTES     16      /* 32 hex digits */
#define NGX_HTTP_BEDRUD_EMAIL_MAX        254



/* per-request state of the admin handlers */
typedef struct {
    ngx_int_t                   page;      /* as sent: Bedrud echoes them */
    ngx_int_t                   limit;
    time_t                      revoke_exp;
    ngx_str_t                   id;        /* a new invite */
    ngx_str_t                   token;
    ngx_str_t                   email;
    ngx_str_t                   created;
    ngx_str_t                   expires;
    time_t                      now;
    time_t                      expires_unix;
} ngx_http_bedrud_admin_t;


static ngx_int_t ngx_http_bedrud_admin_target(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_uint_t kind, ngx_str_t *key,
    ngx_str_t *stamp);
static void ngx_http_bedrud_admin_page(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *name,
    ngx_http_bedrud_item_pt item, const char *failed);
static ngx_int_t ngx_http_bedrud_admin_paging(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *first, ngx_str_t *last);
static ngx_int_t ngx_http_bedrud_admin_invite_new(ngx_http_request_t *r,
    ngx_http_bedrud_admin_t *st, ngx_int_t hours);
static json_t *ngx_http_bedrud_admin_user_json(
    ngx_http_bedrud_reply_t *fields);
static json_t *ngx_http_bedrud_admin_invite_json(
    ngx_http_bedrud_reply_t *fields);
static void ngx_http_bedrud_admin_field(ngx_http_bedrud_reply_t *rep,
    ngx_uint_t i, ngx_str_t *value);
static ngx_int_t ngx_http_bedrud_admin_flag(ngx_http_bedrud_reply_t *rep,
    ngx_uint_t i, ngx_int_t def);
static ngx_int_t ngx_http_bedrud_admin_accesses(ngx_http_request_t *r,
    json_t *list, ngx_str_t *text);
static void ngx_http_bedrud_admin_send(ngx_http_request_t *r,
    ngx_uint_t status, json_t *json);

static void ngx_http_bedrud_admin_rooms_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_room_update_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_room_close_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_room_closed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_users_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_user_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_user_status_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_user_accesses_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_settings_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_invites_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_invite_create_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_invite_delete_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


/* the admin functions' "not found" (Bedrud's texts) */

static ngx_http_bedrud_status_t  ngx_http_bedrud_admin_no_room[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "Room not found" },
    { NULL, 0, NULL }
};

static ngx_http_bedrud_status_t  ngx_http_bedrud_admin_no_user[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "User not found" },
    { NULL, 0, NULL }
};

/* a role or status change: nobody may lock everyone out of this API */

static ngx_http_bedrud_status_t  ngx_http_bedrud_admin_user_change[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "User not found" },
    { "LAST_SUPERADMIN", NGX_HTTP_CONFLICT,
      "the last active superadmin cannot be demoted or deactivated" },
    { NULL, 0, NULL }
};


/* GET /api/admin/rooms?page=&limit= */

void
ngx_http_bedrud_admin_rooms(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_ROOMS_N];

    if (ngx_http_bedrud_admin_paging(r, ctx,
                                     &a[NGX_HTTP_BEDRUD_ADMIN_ROOMS_A_FIRST],
                                     &a[NGX_HTTP_BEDRUD_ADMIN_ROOMS_A_LAST])
        != NGX_OK)
    {
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_ROOMS_K_ROOMS],
                NGX_HTTP_BEDRUD_ROOMS_KEY);

    ngx_http_bedrud_call(r, ctx, ADMIN_ROOMS, a,
                         ngx_http_bedrud_admin_rooms_done);
}


static void
ngx_http_bedrud_admin_rooms_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_admin_page(r, ctx, "rooms", ngx_http_bedrud_room_item,
                               "Failed to fetch rooms");
}


/*
 * PUT /api/admin/rooms/:roomId {"maxParticipants"?, "settings"?}
 *
 * "settings" is Bedrud's RoomSettings object; unlike the owner's settings
 * update (which replaces all five flags), a flag not sent here keeps its
 * value, so an admin can flip e.g. e2ee alone.
 */

void
ngx_http_bedrud_admin_room_update(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t      *settings;
    ngx_int_t    rc, max;
    ngx_str_t    a[NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_N], *flag;
    ngx_flag_t   on;
    ngx_uint_t   i;

    rc = ngx_http_bedrud_json_int(ctx->body, "maxParticipants", &max);
    if (rc == NGX_ERROR) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    /* "" tells the function to keep the value */
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_MAX], "");

    if (rc == NGX_OK
        && ngx_http_bedrud_num(r->pool, max,
                               &a[NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_MAX])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    settings = ngx_http_bedrud_json_get(ctx->body, "settings");

    if (settings != NULL && !json_is_null(settings)
        && !json_is_object(settings))
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    /* the five flags follow one another, in the wire order */

    for (i = 0; i < NGX_HTTP_BEDRUD_ROOM_FLAGS; i++) {
        flag = &a[NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_ALLOW_CHAT + i];

        ngx_str_set(flag, "");

        if (settings == NULL || json_is_null(settings)) {
            continue;
        }

        rc = ngx_http_bedrud_json_bool(settings,
                                       ngx_http_bedrud_room_flags[i], &on);

        if (rc == NGX_ERROR) {
            ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
            return;
        }

        if (rc == NGX_OK) {
            ngx_http_bedrud_bit(flag, on);
        }
    }

    if (ngx_http_bedrud_admin_target(r, ctx, NGX_HTTP_BEDRUD_KEY_ROOM,
                                  &a[NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_K_ROOM],
                                  &a[NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_STAMP])
        != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_call(r, ctx, ADMIN_ROOM_UPDATE, a,
                         ngx_http_bedrud_admin_room_update_done);
}


static void
ngx_http_bedrud_admin_room_update_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *room;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_admin_no_room,
                                    "Failed to update room")
        != NGX_OK)
    {
        return;
    }

    room = ngx_http_bedrud_room_json(ngx_http_bedrud_reply_elt(rep, 1), 0);

    if (room == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to update room");
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, room);
}


/*
 * DELETE /api/admin/rooms/:roomId: Bedrud's admin "delete" closes the room
 * (isActive=false) and keeps its record.
 */

void
ngx_http_bedrud_admin_room_close(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE_N];

    if (ngx_http_bedrud_admin_target(r, ctx, NGX_HTTP_BEDRUD_KEY_ROOM,
                                   &a[NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE_K_ROOM],
                                   &a[NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE_A_STAMP])
        != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_call(r, ctx, ADMIN_ROOM_CLOSE, a,
                         ngx_http_bedrud_admin_room_close_done);
}


static void
ngx_http_bedrud_admin_room_close_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    if (ngx_http_bedrud_reply_check(r, ctx->replies[0],
                                    ngx_http_bedrud_admin_no_room,
                                    "Failed to close room")
        != NGX_OK)
    {
        return;
    }

    /* as Bedrud: everyone is disconnected; a failure changes nothing */

    ngx_http_bedrud_livekit_call(r, ctx, "DeleteRoom",
                                 ngx_http_bedrud_reply_str(ctx->replies[0], 1),
                                 NULL, ngx_http_bedrud_admin_room_closed);
}


static void
ngx_http_bedrud_admin_room_closed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                               json_pack("{ss}", "status", "success"));
}


/* GET /api/admin/users?page=&limit= */

void
ngx_http_bedrud_admin_users(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_USERS_N];

    if (ngx_http_bedrud_admin_paging(r, ctx,
                                     &a[NGX_HTTP_BEDRUD_ADMIN_USERS_A_FIRST],
                                     &a[NGX_HTTP_BEDRUD_ADMIN_USERS_A_LAST])
        != NGX_OK)
    {
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USERS_K_USERS],
                NGX_HTTP_BEDRUD_USERS_KEY);

    ngx_http_bedrud_call(r, ctx, ADMIN_USERS, a,
                         ngx_http_bedrud_admin_users_done);
}


static void
ngx_http_bedrud_admin_users_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_admin_page(r, ctx, "users",
                               ngx_http_bedrud_admin_user_json,
                               "Failed to fetch users");
}


/* GET /api/admin/users/:id: the user and the rooms it created */

void
ngx_http_bedrud_admin_user(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_USER_N];

    if (ngx_http_bedrud_admin_target(r, ctx, NGX_HTTP_BEDRUD_KEY_USER,
                                     &a[NGX_HTTP_BEDRUD_ADMIN_USER_K_USER],
                                     NULL)
        != NGX_OK)
    {
        return;
    }

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER_ROOMS,
                            &ctx->params[0],
                            &a[NGX_HTTP_BEDRUD_ADMIN_USER_K_USER_ROOMS])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USER_A_MAX], NGX_HTTP_BEDRUD_LIST_MAX);

    ngx_http_bedrud_call(r, ctx, ADMIN_USER, a,
                         ngx_http_bedrud_admin_user_done);
}


static void
ngx_http_bedrud_admin_user_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *user, *rooms;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_admin_no_user,
                                    NULL)
        != NGX_OK)
    {
        return;
    }

    user = ngx_http_bedrud_admin_user_json(ngx_http_bedrud_reply_elt(rep, 1));
    rooms = ngx_http_bedrud_json_items(rep, 2, ngx_http_bedrud_room_item);

    if (user == NULL || rooms == NULL) {
        if (user) {
            json_decref(user);
        }

        if (rooms) {
            json_decref(rooms);
        }

        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                               json_pack("{soso}", "user", user,
                                         "rooms", rooms));
}


/*
 * PUT /api/admin/users/:id/status {"active": bool}
 *
 * Deactivation ends every login session of the user in the same Redis
 * function; this node denies their tokens at once, the other nodes when
 * they next read the revocation log (within a second).
 */

void
ngx_http_bedrud_admin_user_status(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                     a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_N];
    ngx_str_t                     exp;
    ngx_flag_t                    active;
    ngx_http_bedrud_admin_t      *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_admin_t));
    if (st == NULL) {
        return;
    }

    /* Bedrud took a missing "active" for false and deactivated the user */

    if (ngx_http_bedrud_json_bool(ctx->body, "active", &active)
        != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (ngx_http_bedrud_admin_target(r, ctx, NGX_HTTP_BEDRUD_KEY_USER,
                                  &a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_USER],
                                  &a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_STAMP])
        != NGX_OK)
    {
        return;
    }

    /* any token of an ended session is dead by then, access or refresh */
    st->revoke_exp = ngx_time() + ngx_max(bmcf->access_ttl,
                                          bmcf->refresh_ttl);

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_REVLOG],
                NGX_HTTP_BEDRUD_REVLOG_KEY);
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_SUPERADMINS],
                NGX_HTTP_BEDRUD_SUPERADMINS_KEY);
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_USERS],
                NGX_HTTP_BEDRUD_USERS_KEY);

    ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_ACTIVE],
                        active);

    a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_UID] = ctx->params[0];

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_SESSIONS,
                            &ctx->params[0],
                            &a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_SESSIONS])
        != NGX_OK
        || ngx_http_bedrud_num(r->pool, st->revoke_exp, &exp) != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    a[NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_REVOKE_EXP] = exp;

    ngx_http_bedrud_call(r, ctx, ADMIN_USER_STATUS, a,
                         ngx_http_bedrud_admin_user_status_done);
}


static void
ngx_http_bedrud_admin_user_status_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_uint_t                n;
    ngx_http_bedrud_reply_t  *rep;
    ngx_http_bedrud_admin_t  *st;

    st = ctx->data;
    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep,
                                    ngx_http_bedrud_admin_user_change,
                                    "Failed to update user status")
        != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_revlog_stale(&ctx->params[0], rep, st->revoke_exp);

    n = ngx_http_bedrud_revlog_revoke(rep, 2, st->revoke_exp);

    if (n) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: user \"%V\" deactivated by \"%V\": %ui "
                      "login sessions ended", &ctx->params[0],
                      &ctx->claims.user_id, n);
    }

    ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                               json_pack("{ss}", "message",
                                         "User status updated successfully"));
}


/*
 * PUT /api/admin/users/:id/accesses {"accesses": [role, ...]}
 *
 * The user's access tokens become stale on every node within the
 * revocation log's delay (at once on this one); the refresh that their
 * clients then make re-reads the user, and so the roles.
 */

void
ngx_http_bedrud_admin_user_accesses(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                       *list;
    ngx_int_t                     rc;
    ngx_str_t                     a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_N];
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    list = ngx_http_bedrud_json_get(ctx->body, "accesses");

    if (list == NULL || !json_is_array(list)) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    rc = ngx_http_bedrud_admin_accesses(r, list,
                          &a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_ACCESSES]);

    if (rc == NGX_ERROR) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "accesses must be 1 to 16 roles of at most "
                              "32 characters from a-z, 0-9, _ and -");
        return;
    }

    if (ngx_http_bedrud_admin_target(r, ctx, NGX_HTTP_BEDRUD_KEY_USER,
                                &a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_USER],
                                &a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_STAMP])
        != NGX_OK)
    {
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_REVLOG],
                NGX_HTTP_BEDRUD_REVLOG_KEY);
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_SUPERADMINS],
                NGX_HTTP_BEDRUD_SUPERADMINS_KEY);
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_USERS],
                NGX_HTTP_BEDRUD_USERS_KEY);

    a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_UID] = ctx->params[0];

    if (ngx_http_bedrud_num(r->pool, ngx_time() + bmcf->access_ttl,
                        &a[NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_REVOKE_EXP])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, ADMIN_USER_ACCESSES, a,
                         ngx_http_bedrud_admin_user_accesses_done);
}


static void
ngx_http_bedrud_admin_user_accesses_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_main_conf_t  *bmcf;

    if (ngx_http_bedrud_reply_check(r, ctx->replies[0],
                                    ngx_http_bedrud_admin_user_change,
                                    "Failed to update user accesses")
        != NGX_OK)
    {
        return;
    }

    /* this node refuses the older tokens at once */

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    ngx_http_bedrud_revlog_stale(&ctx->params[0], ctx->replies[0],
                                 ngx_time() + bmcf->access_ttl);

    ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                               json_pack("{ss}", "message",
                                         "User accesses updated"));
}


/*
 * GET /api/admin/settings: Bedrud's whole SystemSettings record, secrets
 * masked, and which fields this server acts on ("supported").
 */

void
ngx_http_bedrud_admin_get_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_SETTINGS_N];

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_SETTINGS_K_SETTINGS],
                NGX_HTTP_BEDRUD_SETTINGS_KEY);

    ngx_http_bedrud_call(r, ctx, ADMIN_SETTINGS, a,
                         ngx_http_bedrud_admin_settings_done);
}


/*
 * PUT /api/admin/settings: only the fields sent change (Bedrud replaced
 * the whole settings row, so a switch left out was turned off); a secret
 * sent masked or empty keeps its value.
 */

void
ngx_http_bedrud_admin_put_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t    rc;
    ngx_str_t   *a;
    ngx_uint_t   n, sent;

    /* the key, the fields sent with their values, then updatedAt */

    a = ngx_palloc(r->pool, (NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET_N
                             + ngx_http_bedrud_settings_max() + 2)
                            * sizeof(ngx_str_t));
    if (a == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET_K_SETTINGS],
                NGX_HTTP_BEDRUD_SETTINGS_KEY);

    n = NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET_N;

    rc = ngx_http_bedrud_settings_update(r->pool, ctx->body, &a[n], &sent);

    if (rc == NGX_DECLINED) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    n += sent;

    ngx_str_set(&a[n], "updatedAt");

    if (ngx_http_bedrud_now_stamp(r->pool, &a[n + 1]) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    n += 2;

    ngx_http_bedrud_fcall(r, ctx, NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET,
                          NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET_NKEYS, n, a,
                          ngx_http_bedrud_admin_settings_done);
}


static void
ngx_http_bedrud_admin_settings_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t  *json;

    json = ngx_http_bedrud_settings_json(ctx->replies[0]);

    if (json == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to fetch settings");
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, json);
}


/* GET /api/admin/invite-tokens */

void
ngx_http_bedrud_admin_invites(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_INVITES_N];

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_INVITES_K_INVITES],
                NGX_HTTP_BEDRUD_INVITES_KEY);
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_INVITES_A_MAX],
                NGX_HTTP_BEDRUD_LIST_MAX);

    ngx_http_bedrud_call(r, ctx, ADMIN_INVITES, a,
                         ngx_http_bedrud_admin_invites_done);
}


static void
ngx_http_bedrud_admin_invites_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *tokens;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (!ngx_http_bedrud_reply_is(rep, "OK")) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to fetch invite tokens");
        return;
    }

    tokens = ngx_http_bedrud_json_items(rep, 1,
                                        ngx_http_bedrud_admin_invite_json);
    if (tokens == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to fetch invite tokens");
        return;
    }

    ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                               json_pack("{so}", "tokens", tokens));
}


/*
 * POST /api/admin/invite-tokens {"email"?, "expiresInHours"?}
 *
 * The token is 128 random bits in hex, as Bedrud's.  The e-mail is a note
 * for the admin: registration does not require it to match.
 */

void
ngx_http_bedrud_admin_invite_create(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t                 rc, hours;
    ngx_str_t                 a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_N];
    ngx_str_t                 id_key, exp;
    ngx_http_bedrud_admin_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_admin_t));
    if (st == NULL) {
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "email", &st->email)
        == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    rc = ngx_http_bedrud_json_int(ctx->body, "expiresInHours", &hours);
    if (rc == NGX_ERROR) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return;
    }

    if (st->email.data == NULL) {
        ngx_str_set(&st->email, "");
    }

    if (st->email.len
        && (st->email.len > NGX_HTTP_BEDRUD_EMAIL_MAX
            || ngx_http_bedrud_email_valid(st->email.data, st->email.len)
               != NGX_OK))
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Invalid email format");
        return;
    }

    if (hours <= 0) {
        hours = NGX_HTTP_BEDRUD_INVITE_HOURS;
    }

    if (hours > NGX_HTTP_BEDRUD_INVITE_HOURS_MAX) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "expiresInHours must be at most 8760");
        return;
    }

    if (ngx_http_bedrud_admin_invite_new(r, st, hours) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_K_INVITES],
                NGX_HTTP_BEDRUD_INVITES_KEY);

    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_ID] = st->id;
    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_TOKEN] = st->token;
    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_EMAIL] = st->email;
    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_CREATED_BY] = ctx->claims.user_id;
    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_STAMP] = st->created;
    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_EXPIRES] = st->expires;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_INVITE, &st->token,
                            &a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_K_INVITE])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_INVITE_ID, &st->id,
                               &id_key)
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, st->expires_unix, &exp) != NGX_OK
        || ngx_http_bedrud_num(r->pool, st->now,
                               &a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_NOW])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_K_INVITE_ID] = id_key;
    a[NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_EXPIRES_UNIX] = exp;

    ngx_http_bedrud_call(r, ctx, ADMIN_INVITE_CREATE, a,
                         ngx_http_bedrud_admin_invite_create_done);
}


/* A new invite: 128 random bits in hex (Bedrud's), an id, its times. */

static ngx_int_t
ngx_http_bedrud_admin_invite_new(ngx_http_request_t *r,
    ngx_http_bedrud_admin_t *st, ngx_int_t hours)
{
    u_char  *p, rnd[NGX_HTTP_BEDRUD_INVITE_BYTES];

    if (RAND_bytes(rnd, NGX_HTTP_BEDRUD_INVITE_BYTES) != 1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bedrud: RAND_bytes() failed");
        return NGX_ERROR;
    }

    st->now = ngx_time();
    st->expires_unix = st->now + hours * 3600;

    st->token.data = ngx_pnalloc(r->pool, 2 * NGX_HTTP_BEDRUD_INVITE_BYTES);
    st->expires.data = ngx_pnalloc(r->pool,
                                   sizeof("2006-01-02T15:04:05Z") - 1);

    if (st->token.data == NULL || st->expires.data == NULL
        || ngx_http_bedrud_new_uuid(r->pool, &st->id) != NGX_OK
        || ngx_http_bedrud_now_stamp(r->pool, &st->created) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_hex_dump(st->token.data, rnd, NGX_HTTP_BEDRUD_INVITE_BYTES);
    st->token.len = p - st->token.data;

    p = ngx_http_bedrud_rfc3339(st->expires.data, st->expires_unix, 0);
    st->expires.len = p - st->expires.data;

    return NGX_OK;
}


static void
ngx_http_bedrud_admin_invite_create_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *json;
    ngx_http_bedrud_admin_t  *st;

    st = ctx->data;

    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")) {
        /* a 128-bit collision, or worse */
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to create invite token");
        return;
    }

    json = json_pack("{sosososososnsssosb}",
                     "id", ngx_http_bedrud_json_string(&st->id),
                     "token", ngx_http_bedrud_json_string(&st->token),
                     "email", ngx_http_bedrud_json_string(&st->email),
                     "createdBy",
                     ngx_http_bedrud_json_string(&ctx->claims.user_id),
                     "expiresAt", ngx_http_bedrud_json_string(&st->expires),
                     "usedAt",
                     "usedBy", "",
                     "createdAt", ngx_http_bedrud_json_string(&st->created),
                     "used", 0);

    ngx_http_bedrud_admin_send(r, NGX_HTTP_CREATED, json);
}


/*
 * DELETE /api/admin/invite-tokens/:id: success whether or not it exists,
 * as Bedrud.
 */

void
ngx_http_bedrud_admin_invite_delete(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE_N];

    if (ngx_http_bedrud_id_valid(&ctx->params[0]) != NGX_OK) {
        /* cannot exist */
        ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                                   json_pack("{ss}", "status", "success"));
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE_K_INVITES],
                NGX_HTTP_BEDRUD_INVITES_KEY);

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_INVITE_ID,
                            &ctx->params[0],
                            &a[NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE_K_INVITE_ID])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, ADMIN_INVITE_DELETE, a,
                         ngx_http_bedrud_admin_invite_delete_done);
}


static void
ngx_http_bedrud_admin_invite_delete_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    if (!ngx_http_bedrud_reply_is(ctx->replies[0], "OK")) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to delete invite token");
        return;
    }

    ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                               json_pack("{ss}", "status", "success"));
}


/*
 * The key of the record that ":id" names, a room or a user, and the time
 * (stamp may be NULL): what an admin change takes.  An id that no record
 * can have is answered 404 here, without asking Redis.
 */

static ngx_int_t
ngx_http_bedrud_admin_target(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_uint_t kind, ngx_str_t *key,
    ngx_str_t *stamp)
{
    if (ngx_http_bedrud_id_valid(&ctx->params[0]) != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND,
                              kind == NGX_HTTP_BEDRUD_KEY_ROOM
                              ? "Room not found" : "User not found");
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_key(r->pool, kind, &ctx->params[0], key) != NGX_OK
        || (stamp && ngx_http_bedrud_now_stamp(r->pool, stamp) != NGX_OK))
    {
        ngx_http_bedrud_internal_error(r);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A page of a listing: {"<name>": [an item per record], "total", "page",
 * "limit"}; an empty page is [], not Bedrud's null.
 */

static void
ngx_http_bedrud_admin_page(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    const char *name, ngx_http_bedrud_item_pt item, const char *failed)
{
    json_t                   *list;
    ngx_http_bedrud_reply_t  *rep, *total;
    ngx_http_bedrud_admin_t  *st;

    st = ctx->data;
    rep = ctx->replies[0];
    total = ngx_http_bedrud_reply_elt(rep, 1);

    if (!ngx_http_bedrud_reply_is(rep, "OK") || total == NULL
        || total->type != NGX_HTTP_BEDRUD_REPLY_INTEGER)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR, failed);
        return;
    }

    list = ngx_http_bedrud_json_items(rep, 2, item);
    if (list == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR, failed);
        return;
    }

    ngx_http_bedrud_admin_send(r, NGX_HTTP_OK,
                               json_pack("{sosIsIsI}",
                                         name, list,
                                         "total", (json_int_t) total->integer,
                                         "page", (json_int_t) st->page,
                                         "limit", (json_int_t) st->limit));
}


/*
 * Reads ?page= and ?limit=, answering 400 itself when one is not an
 * integer.  Like Bedrud's storage, a page <= 0 is the first page and a
 * limit outside 1..100 is 50; like Bedrud's answer, the state keeps the
 * values as sent.  "first" and "last" become the ranks of the page.
 */

static ngx_int_t
ngx_http_bedrud_admin_paging(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_str_t *first, ngx_str_t *last)
{
    int64_t                   page, limit, from;
    ngx_http_bedrud_admin_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_admin_t));
    if (st == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_bedrud_arg_int(r, "page",
                                        NGX_HTTP_BEDRUD_PAGE_DEFAULT,
                                        &st->page)
        != NGX_OK
        || ngx_http_bedrud_arg_int(r, "limit",
                                           NGX_HTTP_BEDRUD_LIMIT_DEFAULT,
                                           &st->limit)
           != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid input");
        return NGX_DECLINED;
    }

    page = (st->page <= 0) ? 1 : st->page;

    limit = (st->limit <= 0 || st->limit > NGX_HTTP_BEDRUD_LIMIT_MAX)
            ? NGX_HTTP_BEDRUD_LIMIT_DEFAULT : st->limit;

    from = (page - 1) * limit;

    if (ngx_http_bedrud_num(r->pool, from, first) != NGX_OK
        || ngx_http_bedrud_num(r->pool, from + limit - 1, last) != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The admin user item: id, email, name, provider, isActive, isAdmin,
 * accesses, createdAt.  isAdmin is Bedrud's: the "admin" role, not
 * "superadmin".
 */

static json_t *
ngx_http_bedrud_admin_user_json(ngx_http_bedrud_reply_t *fields)
{
    u_char       created[NGX_HTTP_BEDRUD_DATETIME_LEN];
    size_t       len, i;
    json_t      *json, *acc, *role, *created_json;
    ngx_str_t    v[NGX_HTTP_BEDRUD_USER_NFIELDS], *stamp;
    ngx_int_t    active;
    ngx_uint_t   admin;

    if (fields == NULL || fields->type != NGX_HTTP_BEDRUD_REPLY_ARRAY
        || fields->nelts != NGX_HTTP_BEDRUD_USER_NFIELDS)
    {
        return NULL;
    }

    for (i = 0; i < NGX_HTTP_BEDRUD_USER_NFIELDS; i++) {
        ngx_http_bedrud_admin_field(fields, i, &v[i]);
    }

    active = ngx_http_bedrud_admin_flag(fields,
                                        NGX_HTTP_BEDRUD_USER_F_IS_ACTIVE, 0);

    acc = ngx_http_bedrud_json_list(&v[NGX_HTTP_BEDRUD_USER_F_ACCESSES]);
    if (acc == NULL) {
        return NULL;
    }

    admin = 0;

    json_array_foreach(acc, i, role) {
        if (json_is_string(role)
            && ngx_strcmp(json_string_value(role), "admin") == 0)
        {
            admin = 1;
            break;
        }
    }

    stamp = &v[NGX_HTTP_BEDRUD_USER_F_CREATED_AT];

    len = ngx_http_bedrud_datetime(stamp, created);

    if (len) {
        created_json = json_stringn((const char *) created, len);

    } else {
        /* not RFC 3339: shown as stored rather than hidden */
        created_json = ngx_http_bedrud_json_string(stamp);
    }

#define ngx_http_bedrud_user(field)                                          \
    ngx_http_bedrud_json_string(&v[NGX_HTTP_BEDRUD_USER_F_ ## field])

    json = json_pack("{sososososbsbsoso}",
                     "id", ngx_http_bedrud_user(ID),
                     "email", ngx_http_bedrud_user(EMAIL),
                     "name", ngx_http_bedrud_user(NAME),
                     "provider", ngx_http_bedrud_user(PROVIDER),
                     "isActive", (int) active,
                     "isAdmin", (int) admin,
                     "accesses", acc,
                     "createdAt", created_json);

#undef ngx_http_bedrud_user

    return json;
}


/*
 * Bedrud's InviteToken plus "used": id, token, email, createdBy,
 * expiresAt, usedAt (null while unused), usedBy, createdAt, used.
 */

static json_t *
ngx_http_bedrud_admin_invite_json(ngx_http_bedrud_reply_t *fields)
{
    json_t     *json, *used_at;
    ngx_str_t   v[NGX_HTTP_BEDRUD_INVITE_NFIELDS];
    ngx_uint_t  i, used;

    if (fields == NULL || fields->type != NGX_HTTP_BEDRUD_REPLY_ARRAY
        || fields->nelts != NGX_HTTP_BEDRUD_INVITE_NFIELDS)
    {
        return NULL;
    }

    for (i = 0; i < NGX_HTTP_BEDRUD_INVITE_NFIELDS; i++) {
        ngx_http_bedrud_admin_field(fields, i, &v[i]);
    }

#define ngx_http_bedrud_invite(field)                                        \
    ngx_http_bedrud_json_string(&v[NGX_HTTP_BEDRUD_INVITE_F_ ## field])

    used = (v[NGX_HTTP_BEDRUD_INVITE_F_USED_AT].len != 0);
    used_at = used ? ngx_http_bedrud_invite(USED_AT) : json_null();

    json = json_pack("{sososososososososb}",
                     "id", ngx_http_bedrud_invite(ID),
                     "token", ngx_http_bedrud_invite(TOKEN),
                     "email", ngx_http_bedrud_invite(EMAIL),
                     "createdBy", ngx_http_bedrud_invite(CREATED_BY),
                     "expiresAt", ngx_http_bedrud_invite(EXPIRES_AT),
                     "usedAt", used_at,
                     "usedBy", ngx_http_bedrud_invite(USED_BY),
                     "createdAt", ngx_http_bedrud_invite(CREATED_AT),
                     "used", (int) used);

#undef ngx_http_bedrud_invite

    return json;
}


/* Element i of an array reply as a string; nil and others are "". */

static void
ngx_http_bedrud_admin_field(ngx_http_bedrud_reply_t *rep, ngx_uint_t i,
    ngx_str_t *value)
{
    ngx_http_bedrud_reply_t  *e;

    e = ngx_http_bedrud_reply_elt(rep, i);

    if (e != NULL && e->type == NGX_HTTP_BEDRUD_REPLY_STRING) {
        *value = e->str;

    } else {
        ngx_str_set(value, "");
    }
}


/* Element i of an array reply as a "1"/"0" switch; nil gives def. */

static ngx_int_t
ngx_http_bedrud_admin_flag(ngx_http_bedrud_reply_t *rep, ngx_uint_t i,
    ngx_int_t def)
{
    ngx_http_bedrud_reply_t  *e;

    e = ngx_http_bedrud_reply_elt(rep, i);

    if (e == NULL || e->type != NGX_HTTP_BEDRUD_REPLY_STRING) {
        return def;
    }

    return (e->str.len == 1 && e->str.data[0] == '1');
}


/*
 * Checks a roles list and writes it as compact JSON, duplicates dropped.
 * NGX_DECLINED: not 1..16 roles of 1..32 bytes of [a-z0-9_-].
 */

static ngx_int_t
ngx_http_bedrud_admin_accesses(ngx_http_request_t *r, json_t *list,
    ngx_str_t *text)
{
    size_t       i, j, n;
    json_t      *out, *v, *w;
    ngx_int_t    rc;
    const char  *s;

    n = json_array_size(list);

    if (n == 0 || n > NGX_HTTP_BEDRUD_ROLES_MAX) {
        return NGX_DECLINED;
    }

    for (i = 0; i < n; i++) {
        v = json_array_get(list, i);

        if (!json_is_string(v)
            || ngx_http_bedrud_role_valid(json_string_value(v),
                                             json_string_length(v))
               != NGX_OK)
        {
            return NGX_DECLINED;
        }
    }

    out = json_array();
    if (out == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        v = json_array_get(list, i);
        s = json_string_value(v);

        json_array_foreach(out, j, w) {
            if (ngx_strcmp(json_string_value(w), s) == 0) {
                break;
            }
        }

        if (j < json_array_size(out)) {
            continue;
        }

        if (json_array_append(out, v) != 0) {
            json_decref(out);
            return NGX_ERROR;
        }
    }

    rc = ngx_http_bedrud_json_dump(r->pool, out, text);
    json_decref(out);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* ngx_http_bedrud_send() would answer a failed json_pack() with "null" */

static void
ngx_http_bedrud_admin_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json)
{
    if (json == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, status, json);
}
