
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Rooms (/api/room/...), wire-compatible with Bedrud: paths, JSON keys and
 * their order, status codes, error texts and the order of the checks.
 * Fixed on the way:
 *
 *   - requested maxParticipants and false flags are stored as sent
 *     (Bedrud's ORM replaced them by defaults);
 *   - capacity counts the participants admitted now: a join holds a seat
 *     until its LiveKit token expires, a re-join refreshes it;
 *   - bans work for guests (by identity, and by the guest's name) and can
 *     be lifted (ngx_http_bedrud_moderation.c);
 *   - the room's settings are enforced in LiveKit tokens
 *     (ngx_http_bedrud_livekit.c), and E2EE rooms never admit a recorder;
 *   - generated names are retried on a collision instead of a 409.
 *
 * Each handler validates its input, makes one Redis Function call (the
 * library in redis/rooms.lua, where every multi-key change is atomic) and
 * answers from its result.  The room record itself is read and written
 * in ngx_http_bedrud_room.c.
 *
 * As Bedrud, a delete asks LiveKit's RoomService to delete the media room
 * (ngx_http_bedrud_livekit_api.c); the change is recorded first, so that
 * a failed call changes nothing of the answer.  LiveKit creates a media
 * room on its first join.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_ROOM_GEN_LEN      (sizeof("xxx-xxxx-xxx") - 1)
#define NGX_HTTP_BEDRUD_ROOM_LIFETIME     86400  /* expiresAt */
#define NGX_HTTP_BEDRUD_ROOM_MODE_MAX     20     /* varchar(20) */
#define NGX_HTTP_BEDRUD_ROOM_TRIES        5
#define NGX_HTTP_BEDRUD_GUEST_PREFIX      "guest-"
#define NGX_HTTP_BEDRUD_GUEST_ID_LEN      8

/* nginx has no name for it */
#define NGX_HTTP_BEDRUD_GONE              410


/* per-request state of the room handlers */
typedef struct {
    ngx_http_bedrud_room_t      room;      /* requested values */
    ngx_str_t                   name;      /* normalised room name */
    ngx_str_t                   guest_name; /* trimmed */
    ngx_str_t                   identity;
    ngx_str_t                   settings;  /* JSON text, or "" */
    const char                 *badname;   /* guest name error, or NULL */
    time_t                      now;
    ngx_uint_t                  tries;
    unsigned                    generated:1;
    unsigned                    guest:1;
} ngx_http_bedrud_rooms_t;


/* a key of the room named in the path, and its place in the arguments */
typedef struct {
    ngx_uint_t                  kind;      /* NGX_HTTP_BEDRUD_KEY_ROOM... */
    ngx_uint_t                  index;
} ngx_http_bedrud_room_key_t;


static ngx_int_t ngx_http_bedrud_create_name(ngx_http_request_t *r,
    ngx_http_bedrud_rooms_t *st, ngx_str_t *name);
static ngx_int_t ngx_http_bedrud_create_mode(ngx_http_request_t *r,
    ngx_http_bedrud_rooms_t *st, ngx_str_t *mode);
static void ngx_http_bedrud_create_call(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_create_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static ngx_int_t ngx_http_bedrud_join_name(ngx_http_request_t *r,
    ngx_http_bedrud_rooms_t *st, ngx_str_t *name);
static void ngx_http_bedrud_join_call(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_join_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_list_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static json_t *ngx_http_bedrud_list_item(ngx_http_bedrud_reply_t *reply);
static void ngx_http_bedrud_settings_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_delete_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_deleted(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_bans_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static json_t *ngx_http_bedrud_ban_item(ngx_http_bedrud_reply_t *fields);

static ngx_int_t ngx_http_bedrud_join_text(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_room_t *room,
    ngx_str_t *text);
static ngx_int_t ngx_http_bedrud_room_token(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_room_t *room,
    ngx_str_t *token);
static ngx_int_t ngx_http_bedrud_room_keys(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_room_key_t *keys,
    ngx_uint_t n, ngx_str_t *a);
static void ngx_http_bedrud_room_caller(ngx_http_bedrud_ctx_t *ctx,
    ngx_str_t *caller, ngx_str_t *superadmin);

static ngx_int_t ngx_http_bedrud_room_normalize(ngx_pool_t *pool,
    ngx_str_t *in, ngx_str_t *out);
static ngx_int_t ngx_http_bedrud_room_generate(u_char *out);


/* what the room functions' status words answer (Bedrud's texts) */

static ngx_http_bedrud_status_t  ngx_http_bedrud_join_status[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "Room not found" },
    { "PRIVATE", NGX_HTTP_FORBIDDEN, "This room is private" },
    { "INACTIVE", NGX_HTTP_BEDRUD_GONE, "room is no longer active" },
    { "FULL", NGX_HTTP_FORBIDDEN, "room is full" },
    { "BANNED", NGX_HTTP_FORBIDDEN, "you are banned from this room" },
    { NULL, 0, NULL }
};

static ngx_http_bedrud_status_t  ngx_http_bedrud_owner_status[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "Room not found" },
    { "FORBIDDEN", NGX_HTTP_FORBIDDEN, "Insufficient permissions" },
    { NULL, 0, NULL }
};

static ngx_http_bedrud_status_t  ngx_http_bedrud_delete_status[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "Room not found" },
    { "FORBIDDEN", NGX_HTTP_FORBIDDEN,
      "Only the room creator can delete this room" },
    { NULL, 0, NULL }
};


/* POST /api/room/create */

void
ngx_http_bedrud_room_create(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                 name, mode;
    ngx_flag_t                pub;
    ngx_uint_t                present;
    ngx_http_bedrud_rooms_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_rooms_t));
    if (st == NULL) {
        return;
    }

    /* every type error is Bedrud's body parse error, checked first */

    rc = ngx_http_bedrud_json_int(ctx->body, "maxParticipants",
                                  &st->room.max_participants);

    if (rc == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "name", &name)
           == NGX_ERROR
        || ngx_http_bedrud_json_bool(ctx->body, "isPublic", &pub)
           == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "mode", &mode)
           == NGX_ERROR
        || ngx_http_bedrud_room_settings_body(ctx->body, 1, &st->room, &present)
           != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Invalid request body");
        return;
    }

    /* stored as sent; defaults only for what is absent */

    if (rc != NGX_OK) {
        st->room.max_participants = NGX_HTTP_BEDRUD_ROOM_SEATS;
    }

    st->room.public = pub ? 1 : 0;

    if (ngx_http_bedrud_create_name(r, st, &name) != NGX_OK
        || ngx_http_bedrud_create_mode(r, st, &mode) != NGX_OK)
    {
        return;
    }

    if (ngx_http_bedrud_room_settings_text(r->pool, &st->room, &st->settings)
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_create_call(r, ctx);
}


/* The room's name as asked for, normalised, or one drawn for it. */

static ngx_int_t
ngx_http_bedrud_create_name(ngx_http_request_t *r,
    ngx_http_bedrud_rooms_t *st, ngx_str_t *name)
{
    const char  *err;

    if (ngx_http_bedrud_room_normalize(r->pool, name, &st->name) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return NGX_ERROR;
    }

    if (st->name.len == 0) {
        st->generated = 1;

        st->name.data = ngx_pnalloc(r->pool, NGX_HTTP_BEDRUD_ROOM_GEN_LEN);
        if (st->name.data == NULL) {
            ngx_http_bedrud_internal_error(r);
            return NGX_ERROR;
        }

        st->name.len = NGX_HTTP_BEDRUD_ROOM_GEN_LEN;

        if (ngx_http_bedrud_room_generate(st->name.data) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "bedrud: RAND_bytes() failed");
            ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "Failed to generate room name");
            return NGX_ERROR;
        }
    }

    err = ngx_http_bedrud_room_name_error(&st->name);
    if (err) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, err);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* Bedrud's varchar(20) would fail at insert: say why instead */

static ngx_int_t
ngx_http_bedrud_create_mode(ngx_http_request_t *r,
    ngx_http_bedrud_rooms_t *st, ngx_str_t *mode)
{
    if (mode->len == 0) {
        ngx_str_set(&st->room.mode, "standard");
        return NGX_OK;
    }

    if (ngx_utf8_length(mode->data, mode->len)
        > NGX_HTTP_BEDRUD_ROOM_MODE_MAX)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "mode must be at most 20 characters");
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_has_ctl(mode->data, mode->len)) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "mode contains invalid characters");
        return NGX_DECLINED;
    }

    st->room.mode = *mode;

    return NGX_OK;
}


static void
ngx_http_bedrud_create_call(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                 a[NGX_HTTP_BEDRUD_ROOM_CREATE_N];
    ngx_time_t               *tp;
    ngx_http_bedrud_rooms_t  *st;
    u_char                    created[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];
    u_char                    expires[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];

    st = ctx->data;
    tp = ngx_timeofday();

    if (ngx_http_bedrud_new_uuid(r->pool, &st->room.id) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_CREATE_K_ROOMS],
                NGX_HTTP_BEDRUD_ROOMS_KEY);

    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_ID] = st->room.id;
    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_NAME] = st->name;
    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_CREATED_BY] = ctx->claims.user_id;
    ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_PUBLIC],
                        st->room.public);
    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_MODE] = st->room.mode;
    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_SETTINGS] = st->settings;

    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_STAMP].data = created;
    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_STAMP].len =
        ngx_http_bedrud_rfc3339(created, tp->sec, tp->msec * 1000) - created;

    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_EXPIRES].data = expires;
    a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_EXPIRES].len =
        ngx_http_bedrud_rfc3339(expires,
                                tp->sec + NGX_HTTP_BEDRUD_ROOM_LIFETIME,
                                tp->msec * 1000)
        - expires;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM_NAME, &st->name,
                            &a[NGX_HTTP_BEDRUD_ROOM_CREATE_K_ROOM_NAME])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM, &st->room.id,
                               &a[NGX_HTTP_BEDRUD_ROOM_CREATE_K_ROOM])
           != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER_ROOMS,
                               &ctx->claims.user_id,
                               &a[NGX_HTTP_BEDRUD_ROOM_CREATE_K_USER_ROOMS])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, st->room.max_participants,
                               &a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_MAX])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, (int64_t) tp->sec * 1000 + tp->msec,
                               &a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_SCORE])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, tp->sec,
                               &a[NGX_HTTP_BEDRUD_ROOM_CREATE_A_CREATED_UNIX])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, ROOM_CREATE, a, ngx_http_bedrud_create_done);
}


static void
ngx_http_bedrud_create_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                       *json;
    ngx_str_t                     host;
    ngx_http_bedrud_room_t        room;
    ngx_http_bedrud_rooms_t      *st;
    ngx_http_bedrud_reply_t      *rep;
    ngx_http_bedrud_main_conf_t  *bmcf;

    st = ctx->data;
    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_is(rep, "IDTAKEN")
        || (st->generated && ngx_http_bedrud_reply_is(rep, "EXISTS")))
    {
        /* nobody asked for this name or id: draw another one */

        if (++st->tries < NGX_HTTP_BEDRUD_ROOM_TRIES) {

            if (st->generated
                && ngx_http_bedrud_room_generate(st->name.data) != NGX_OK)
            {
                ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "Failed to generate room name");
                return;
            }

            ngx_http_bedrud_create_call(r, ctx);
            return;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: no free room name or id after %ui tries",
                      st->tries);
    }

    if (ngx_http_bedrud_reply_is(rep, "EXISTS")) {
        ngx_http_bedrud_error(r, NGX_HTTP_CONFLICT,
                              "a room with this name already exists");
        return;
    }

    if (!ngx_http_bedrud_reply_is(rep, "OK")
        || ngx_http_bedrud_room_parse(rep, 1, &room) != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to create room");
        return;
    }

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);
    host = bmcf->livekit_host;

    json = json_pack("{sosososbsbsIsososo}",
                     "id", ngx_http_bedrud_json_string(&room.id),
                     "name", ngx_http_bedrud_json_string(&room.name),
                     "createdBy",
                     ngx_http_bedrud_json_string(&room.created_by),
                     "isActive", (int) room.active,
                     "isPublic", (int) room.public,
                     "maxParticipants", (json_int_t) room.max_participants,
                     "settings", ngx_http_bedrud_room_settings_json(&room),
                     "livekitHost", ngx_http_bedrud_json_string(&host),
                     "mode", ngx_http_bedrud_json_string(&room.mode));

    if (json == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, json);
}


/* POST /api/room/join */

void
ngx_http_bedrud_room_join(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                 name;
    ngx_http_bedrud_rooms_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_rooms_t));
    if (st == NULL) {
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "roomName", &name)
        == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid body");
        return;
    }

    if (ngx_http_bedrud_join_name(r, st, &name) != NGX_OK) {
        return;
    }

    st->identity = ctx->claims.user_id;

    ngx_http_bedrud_join_call(r, ctx);
}


/* POST /api/room/guest-join */

void
ngx_http_bedrud_room_guest_join(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    u_char                   *p;
    ngx_str_t                 name;
    ngx_http_bedrud_rooms_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_rooms_t));
    if (st == NULL) {
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "roomName", &name)
        == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "guestName", &st->guest_name)
           == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid body");
        return;
    }

    ngx_http_bedrud_trim_space(&st->guest_name);

    if (st->guest_name.len == 0) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "Guest name is required");
        return;
    }

    if (ngx_http_bedrud_join_name(r, st, &name) != NGX_OK) {
        return;
    }

    /*
     * Judged now, reported after the room lookup: the web client probes
     * for a room with the guest name "\u0000" and only a 404 stops it.
     */

    st->badname = ngx_http_bedrud_guest_name_error(&st->guest_name);

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_BEDRUD_GUEST_PREFIX) - 1
                             + NGX_HTTP_BEDRUD_GUEST_ID_LEN);
    if (p == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    st->identity.data = p;
    st->identity.len = sizeof(NGX_HTTP_BEDRUD_GUEST_PREFIX) - 1
                       + NGX_HTTP_BEDRUD_GUEST_ID_LEN;

    ngx_memcpy(p, NGX_HTTP_BEDRUD_GUEST_PREFIX,
               sizeof(NGX_HTTP_BEDRUD_GUEST_PREFIX) - 1);

    st->guest = 1;

    ngx_http_bedrud_join_call(r, ctx);
}


/* The room to join, by name: a name no room can have is a 404 at once. */

static ngx_int_t
ngx_http_bedrud_join_name(ngx_http_request_t *r, ngx_http_bedrud_rooms_t *st,
    ngx_str_t *name)
{
    if (ngx_http_bedrud_room_normalize(r->pool, name, &st->name) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return NGX_ERROR;
    }

    if (ngx_http_bedrud_room_name_error(&st->name) != NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* one call for both joins: checks, seat and ban in one atomic step */

static void
ngx_http_bedrud_join_call(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    u_char                       *p;
    ngx_str_t                     a[NGX_HTTP_BEDRUD_ROOM_JOIN_N], *name, *err;
    ngx_uint_t                    guest;
    ngx_http_bedrud_rooms_t      *st;
    ngx_http_bedrud_main_conf_t  *bmcf;
    u_char                        stamp[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);
    guest = st->guest;

    if (guest) {
        /* a fresh identity on every try */

        p = st->identity.data + sizeof(NGX_HTTP_BEDRUD_GUEST_PREFIX) - 1;

        if (ngx_http_bedrud_random_id(p, NGX_HTTP_BEDRUD_GUEST_ID_LEN)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "bedrud: RAND_bytes() failed");
            ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "Failed to generate room token");
            return;
        }
    }

    /* the seat ends when the token does */

    st->now = ngx_time();

    a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_IDENTITY] = st->identity;

    a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_STAMP].data = stamp;
    ngx_http_bedrud_timestamp(stamp, &a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_STAMP].len);

    name = &a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_GUEST_NAME];
    err = &a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_GUEST_NAME_ERROR];

    ngx_str_set(name, "");
    ngx_str_set(err, "");

    if (guest) {
        ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_KIND], "guest");

        if (st->badname) {
            /* never stored: keep it out of Redis altogether */
            ngx_str_set(err, "bad");

        } else {
            *name = st->guest_name;
        }

    } else {
        ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_KIND], "user");
    }

    ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_CAN_SIGN],
                        bmcf->livekit_key.len && bmcf->livekit_secret.len);

    /* the seat ends when the token does */

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM_NAME, &st->name,
                            &a[NGX_HTTP_BEDRUD_ROOM_JOIN_K_ROOM_NAME])
        != NGX_OK
        || ngx_http_bedrud_num(r->pool, st->now,
                               &a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_NOW])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool, st->now + NGX_HTTP_BEDRUD_LIVEKIT_TTL,
                               &a[NGX_HTTP_BEDRUD_ROOM_JOIN_A_SEAT_EXP])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, ROOM_JOIN, a, ngx_http_bedrud_join_done);
}


static void
ngx_http_bedrud_join_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                 text;
    ngx_uint_t                guest;
    ngx_http_bedrud_room_t    room;
    ngx_http_bedrud_rooms_t  *st;
    ngx_http_bedrud_reply_t  *rep;

    st = ctx->data;
    rep = ctx->replies[0];
    guest = st->guest;

    if (ngx_http_bedrud_reply_is(rep, "BADNAME")) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, st->badname);
        return;
    }

    if (ngx_http_bedrud_reply_is(rep, "TAKEN")) {
        /* a guest identity in use: 36^8 makes this rare, retry quietly */

        if (++st->tries < NGX_HTTP_BEDRUD_ROOM_TRIES) {
            ngx_http_bedrud_join_call(r, ctx);
            return;
        }

        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to generate room token");
        return;
    }

    if (ngx_http_bedrud_reply_is(rep, "NOTOKEN")) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: cannot sign LiveKit tokens: "
                      "\"bedrud_livekit_api_key\" or "
                      "\"bedrud_livekit_secret_file\" is not configured");
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to generate room token");
        return;
    }

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_join_status,
                                    "Failed to look up room")
        != NGX_OK)
    {
        return;
    }

    if (ngx_http_bedrud_room_join_parse(rep, &room) != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to look up room");
        return;
    }

    if (ngx_http_bedrud_join_text(r, ctx, &room, &text) != NGX_OK) {
        /* the reply is sent already */
        return;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "bedrud: %s %V joined room %V",
                   guest ? "guest" : "user", &st->identity, &room.name);

    ngx_http_bedrud_send_text(r, NGX_HTTP_OK, &text);
}


/*
 * The join answer, in Bedrud's key order, written directly: it is the
 * hottest reply, and building it as jansson objects cost more than the
 * rest of the reply path.  NGX_ERROR after an error reply.
 */

static ngx_int_t
ngx_http_bedrud_join_text(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_http_bedrud_room_t *room, ngx_str_t *text)
{
    u_char                       *p;
    size_t                        len;
    ngx_str_t                     token, host, *admin;
    ngx_http_bedrud_rooms_t      *st;
    ngx_http_bedrud_main_conf_t  *bmcf;

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);
    host = bmcf->livekit_host;

    if (ngx_http_bedrud_room_token(r, ctx, room, &token) != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to generate room token");
        return NGX_ERROR;
    }

    admin = room->admin_id.len ? &room->admin_id : &room->created_by;

    len = sizeof("{\"id\":\"\",\"name\":\"\",\"token\":\"\",\"createdBy\":\"\","
                 "\"adminId\":\"\",\"isActive\":false,\"isPublic\":false,"
                 "\"maxParticipants\":,\"expiresAt\":\"\",\"settings\":,"
                 "\"livekitHost\":\"\",\"mode\":\"\"}")
          + NGX_HTTP_BEDRUD_ROOM_SETTINGS_LEN + NGX_INT_T_LEN
          + ngx_http_bedrud_json_escape_len(&room->id)
          + ngx_http_bedrud_json_escape_len(&room->name)
          + token.len
          + ngx_http_bedrud_json_escape_len(&room->created_by)
          + ngx_http_bedrud_json_escape_len(admin)
          + ngx_http_bedrud_json_escape_len(&room->expires_at)
          + ngx_http_bedrud_json_escape_len(&host)
          + ngx_http_bedrud_json_escape_len(&room->mode);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        ngx_http_bedrud_internal_error(r);
        return NGX_ERROR;
    }

    text->data = p;

#define ngx_http_bedrud_put(lit)                                             \
    p = ngx_cpymem(p, lit, sizeof(lit) - 1)
#define ngx_http_bedrud_put_str(s)                                           \
    *p++ = '"'; p = ngx_http_bedrud_json_escape(p, s); *p++ = '"'
#define ngx_http_bedrud_put_bool(b)                                          \
    p = ngx_http_bedrud_write_bool(p, b)

    ngx_http_bedrud_put("{\"id\":");
    ngx_http_bedrud_put_str(&room->id);
    ngx_http_bedrud_put(",\"name\":");
    ngx_http_bedrud_put_str(&room->name);
    ngx_http_bedrud_put(",\"token\":\"");

    /* a JWT we made: base64url and dots, nothing to escape */
    p = ngx_cpymem(p, token.data, token.len);
    *p++ = '"';

    if (!st->guest) {
        ngx_http_bedrud_put(",\"createdBy\":");
        ngx_http_bedrud_put_str(&room->created_by);
    }

    ngx_http_bedrud_put(",\"adminId\":");
    ngx_http_bedrud_put_str(admin);

    if (!st->guest) {
        ngx_http_bedrud_put(",\"isActive\":");
        ngx_http_bedrud_put_bool(room->active);
        ngx_http_bedrud_put(",\"isPublic\":");
        ngx_http_bedrud_put_bool(room->public);
        p = ngx_sprintf(p, ",\"maxParticipants\":%i", room->max_participants);
        ngx_http_bedrud_put(",\"expiresAt\":");
        ngx_http_bedrud_put_str(&room->expires_at);
    }

    /* guests: Bedrud's five keys, then the settings they must obey */

    if (st->guest) {
        ngx_http_bedrud_put(",\"livekitHost\":");
        ngx_http_bedrud_put_str(&host);
    }

    ngx_http_bedrud_put(",\"settings\":");
    p = ngx_http_bedrud_room_settings_write(p, room);

    if (!st->guest) {
        ngx_http_bedrud_put(",\"livekitHost\":");
        ngx_http_bedrud_put_str(&host);
        ngx_http_bedrud_put(",\"mode\":");
        ngx_http_bedrud_put_str(&room->mode);
    }

    *p++ = '}';

#undef ngx_http_bedrud_put
#undef ngx_http_bedrud_put_str
#undef ngx_http_bedrud_put_bool

    text->len = p - text->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_room_token(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_http_bedrud_room_t *room, ngx_str_t *token)
{
    ngx_int_t                         rc;
    ngx_http_bedrud_rooms_t          *st;
    ngx_http_bedrud_main_conf_t      *bmcf;
    ngx_http_bedrud_livekit_grant_t   g;

    st = ctx->data;
    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    ngx_memzero(&g, sizeof(ngx_http_bedrud_livekit_grant_t));

    g.identity = st->identity;
    g.room = room->name;
    g.allow_chat = room->allow_chat;
    g.allow_video = room->allow_video;
    g.allow_audio = room->allow_audio;
    g.e2ee = room->e2ee;

    if (st->guest) {
        g.guest = 1;
        g.name = st->guest_name;

    } else {
        /* the name at login, as Bedrud: from the access token */
        g.name = ctx->claims.name;
        g.accesses = ctx->claims.accesses;
        g.moderator = room->moderator;
    }

    rc = ngx_http_bedrud_livekit_token(r->pool, &bmcf->livekit_key,
                                       &bmcf->livekit_secret, &g, st->now,
                                       token);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: cannot sign LiveKit tokens: the API key or "
                      "secret is not configured");
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: signing a LiveKit token for room \"%V\" "
                      "failed", &room->name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* GET /api/room/list */

void
ngx_http_bedrud_room_list(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ROOM_LIST_N];

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_USER_ROOMS,
                            &ctx->claims.user_id,
                            &a[NGX_HTTP_BEDRUD_ROOM_LIST_K_USER_ROOMS])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_call(r, ctx, ROOM_LIST, a, ngx_http_bedrud_list_done);
}


static void
ngx_http_bedrud_list_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *list;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    list = ngx_http_bedrud_reply_is(rep, "OK")
           ? ngx_http_bedrud_json_items(rep, 1, ngx_http_bedrud_list_item)
           : NULL;

    if (list == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to list rooms");
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, list);
}


/*
 * One room of the list: the Room object plus "activeNow", the participants
 * connected now (an owner's dashboard; the admin routes are not theirs).
 * The reply is the count, then the record.
 */

static json_t *
ngx_http_bedrud_list_item(ngx_http_bedrud_reply_t *reply)
{
    json_t                   *room;
    ngx_int_t                 n;
    ngx_http_bedrud_reply_t  *count;

    count = ngx_http_bedrud_reply_elt(reply, 0);

    if (count == NULL || count->type != NGX_HTTP_BEDRUD_REPLY_STRING) {
        return NULL;
    }

    n = ngx_atoi(count->str.data, count->str.len);
    if (n == NGX_ERROR) {
        return NULL;
    }

    room = ngx_http_bedrud_room_json(reply, 1);

    if (room == NULL
        || json_object_set_new(room, "activeNow", json_integer(n)) != 0)
    {
        if (room) {
            json_decref(room);
        }

        return NULL;
    }

    return room;
}


/* PUT /api/room/:roomId/settings */

void
ngx_http_bedrud_room_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t                 rc_pub, rc_max;
    ngx_str_t                 a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_N], text;
    ngx_flag_t                pub;
    ngx_uint_t                present;
    ngx_http_bedrud_rooms_t  *st;
    u_char                    stamp[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];

    static ngx_http_bedrud_room_key_t  keys[] = {
        { NGX_HTTP_BEDRUD_KEY_ROOM, NGX_HTTP_BEDRUD_ROOM_SETTINGS_K_ROOM }
    };

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_rooms_t));
    if (st == NULL) {
        return;
    }

    /*
     * Each of the three is changed only when sent; "settings" replaces
     * all five flags, and a flag it omits becomes false (Bedrud).
     */

    rc_pub = ngx_http_bedrud_json_bool(ctx->body, "isPublic", &pub);
    rc_max = ngx_http_bedrud_json_int(ctx->body, "maxParticipants",
                                      &st->room.max_participants);

    if (rc_pub == NGX_ERROR || rc_max == NGX_ERROR
        || ngx_http_bedrud_room_settings_body(ctx->body, 0, &st->room, &present)
           != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid body");
        return;
    }

    if (ngx_http_bedrud_room_keys(r, ctx, keys, 1, a) != NGX_OK) {
        return;
    }

    ngx_http_bedrud_room_caller(ctx, &a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_CALLER],
                                &a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_SUPERADMIN]);

    /* "" leaves a value as it is */

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_PUBLIC], "");
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_MAX], "");
    ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_SETTINGS], "");

    if (rc_pub == NGX_OK) {
        ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_PUBLIC], pub);
    }

    if (rc_max == NGX_OK
        && ngx_http_bedrud_num(r->pool, st->room.max_participants,
                               &a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_MAX])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (present) {
        if (ngx_http_bedrud_room_settings_text(r->pool, &st->room, &text)
            != NGX_OK)
        {
            ngx_http_bedrud_internal_error(r);
            return;
        }

        a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_SETTINGS] = text;
    }

    a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_STAMP].data = stamp;
    ngx_http_bedrud_timestamp(stamp,
                              &a[NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_STAMP].len);

    ngx_http_bedrud_call(r, ctx, ROOM_SETTINGS, a,
                         ngx_http_bedrud_settings_done);
}


static void
ngx_http_bedrud_settings_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *json;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_owner_status,
                                    "Failed to update room settings")
        != NGX_OK)
    {
        return;
    }

    json = ngx_http_bedrud_room_json(rep, 1);

    if (json == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to update room settings");
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, json);
}


/* DELETE /api/room/:roomId */

void
ngx_http_bedrud_room_delete(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ROOM_DELETE_N];

    /* the room goes with every key of its own */

    static ngx_http_bedrud_room_key_t  keys[] = {
        { NGX_HTTP_BEDRUD_KEY_ROOM, NGX_HTTP_BEDRUD_ROOM_DELETE_K_ROOM },
        { NGX_HTTP_BEDRUD_KEY_ROOM_SEATS, NGX_HTTP_BEDRUD_ROOM_DELETE_K_SEATS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_BANS, NGX_HTTP_BEDRUD_ROOM_DELETE_K_BANS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTBANS,
          NGX_HTTP_BEDRUD_ROOM_DELETE_K_GUESTBANS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTS,
          NGX_HTTP_BEDRUD_ROOM_DELETE_K_GUESTS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTEXP,
          NGX_HTTP_BEDRUD_ROOM_DELETE_K_GUESTEXP },
        { NGX_HTTP_BEDRUD_KEY_ROOM_MODS, NGX_HTTP_BEDRUD_ROOM_DELETE_K_MODS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_PRESENCE,
          NGX_HTTP_BEDRUD_ROOM_DELETE_K_PRESENCE }
    };

    if (ngx_http_bedrud_room_keys(r, ctx, keys,
                                  sizeof(keys) / sizeof(keys[0]), a)
        != NGX_OK)
    {
        return;
    }

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_DELETE_K_ROOMS],
                NGX_HTTP_BEDRUD_ROOMS_KEY);

    ngx_http_bedrud_room_caller(ctx, &a[NGX_HTTP_BEDRUD_ROOM_DELETE_A_CALLER],
                                &a[NGX_HTTP_BEDRUD_ROOM_DELETE_A_SUPERADMIN]);

    ngx_http_bedrud_call(r, ctx, ROOM_DELETE, a, ngx_http_bedrud_delete_done);
}


static void
ngx_http_bedrud_delete_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_delete_status,
                                    "Failed to delete room")
        != NGX_OK)
    {
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "bedrud: room %V deleted by %V",
                  &ctx->params[0], &ctx->claims.user_id);

    /* as Bedrud: everyone is disconnected; a failure changes nothing */

    ngx_http_bedrud_livekit_call(r, ctx, "DeleteRoom",
                                 ngx_http_bedrud_reply_str(rep, 1), NULL,
                                 ngx_http_bedrud_deleted);
}


static void
ngx_http_bedrud_deleted(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{ss}", "status", "success"));
}


/*
 * GET /api/room/:roomId/bans (ngx_bedrud only): the room's ban list for
 * its owner or a superadmin, with names, so that a ban can be lifted by
 * someone who did not note the identity.
 */

void
ngx_http_bedrud_room_bans(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ROOM_BANS_N];

    static ngx_http_bedrud_room_key_t  keys[] = {
        { NGX_HTTP_BEDRUD_KEY_ROOM, NGX_HTTP_BEDRUD_ROOM_BANS_K_ROOM },
        { NGX_HTTP_BEDRUD_KEY_ROOM_BANS, NGX_HTTP_BEDRUD_ROOM_BANS_K_BANS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTS, NGX_HTTP_BEDRUD_ROOM_BANS_K_GUESTS }
    };

    if (ngx_http_bedrud_room_keys(r, ctx, keys,
                                  sizeof(keys) / sizeof(keys[0]), a)
        != NGX_OK)
    {
        return;
    }

    ngx_http_bedrud_room_caller(ctx, &a[NGX_HTTP_BEDRUD_ROOM_BANS_A_CALLER],
                                &a[NGX_HTTP_BEDRUD_ROOM_BANS_A_SUPERADMIN]);

    ngx_http_bedrud_call(r, ctx, ROOM_BANS, a, ngx_http_bedrud_bans_done);
}


static void
ngx_http_bedrud_bans_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *list;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_owner_status,
                                    NULL)
        != NGX_OK)
    {
        return;
    }

    list = ngx_http_bedrud_json_items(rep, 1, ngx_http_bedrud_ban_item);
    if (list == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, json_pack("{so}", "bans", list));
}


/* one BAN_FIELDS array: {"identity": ..., "name": ...} */

static json_t *
ngx_http_bedrud_ban_item(ngx_http_bedrud_reply_t *fields)
{
    ngx_str_t  *id, *name;

    if (fields == NULL || fields->type != NGX_HTTP_BEDRUD_REPLY_ARRAY
        || fields->nelts != NGX_HTTP_BEDRUD_BAN_NFIELDS)
    {
        return NULL;
    }

    id = ngx_http_bedrud_reply_str(fields, NGX_HTTP_BEDRUD_BAN_F_IDENTITY);
    name = ngx_http_bedrud_reply_str(fields, NGX_HTTP_BEDRUD_BAN_F_NAME);

    if (id == NULL || name == NULL) {
        return NULL;
    }

    return json_pack("{soso}", "identity", ngx_http_bedrud_json_string(id),
                     "name", ngx_http_bedrud_json_string(name));
}


/*
 * Keys of the room ":roomId", each put at its index in a.  Room ids are
 * UUIDs: anything else cannot exist (404, answered here), and must never
 * reach a key name (braces would change the key).
 */

static ngx_int_t
ngx_http_bedrud_room_keys(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_http_bedrud_room_key_t *keys, ngx_uint_t n, ngx_str_t *a)
{
    ngx_uint_t  i;

    if (ctx->nparams == 0
        || ngx_http_bedrud_uuid_valid(&ctx->params[0]) != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
        return NGX_DECLINED;
    }

    for (i = 0; i < n; i++) {
        if (ngx_http_bedrud_key(r->pool, keys[i].kind, &ctx->params[0],
                                &a[keys[i].index])
            != NGX_OK)
        {
            ngx_http_bedrud_internal_error(r);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* Who asks an owner-only function: the user, and "1" for a superadmin. */

static void
ngx_http_bedrud_room_caller(ngx_http_bedrud_ctx_t *ctx, ngx_str_t *caller,
    ngx_str_t *superadmin)
{
    *caller = ctx->claims.user_id;

    ngx_http_bedrud_bit(superadmin, ctx->claims.superadmin);
}


/* Bedrud's normal form of a room name: trimmed, lowercased */

static ngx_int_t
ngx_http_bedrud_room_normalize(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out)
{
    ngx_str_t  s;

    s = *in;

    ngx_http_bedrud_trim_space(&s);

    if (s.len == 0) {
        ngx_str_set(out, "");
        return NGX_OK;
    }

    out->data = ngx_pnalloc(pool, s.len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    /* ASCII only: nothing else can pass the check anyway */

    ngx_strlow(out->data, s.data, s.len);
    out->len = s.len;

    return NGX_OK;
}


/* "xxx-xxxx-xxx", each x uniform in a-z from the crypto RNG */

static ngx_int_t
ngx_http_bedrud_room_generate(u_char *out)
{
    u_char      buf[32];
    ngx_uint_t  i, n;

    n = 0;
    i = sizeof(buf);

    while (n < NGX_HTTP_BEDRUD_ROOM_GEN_LEN) {

        if (n == 3 || n == 8) {
            out[n++] = '-';
            continue;
        }

        if (i == sizeof(buf)) {
            if (RAND_bytes(buf, sizeof(buf)) != 1) {
                return NGX_ERROR;
            }

            i = 0;
        }

        /* 234 is 9 * 26: dropping 234..255 leaves no modulo bias */

        if (buf[i] < 234) {
            out[n++] = (u_char) ('a' + buf[i] % 26);
        }

        i++;
    }

    return NGX_OK;
}


