
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
 *     be lifted;
 *   - the room's settings are enforced in LiveKit tokens
 *     (ngx_http_bedrud_livekit.c), and E2EE rooms never admit a recorder;
 *   - generated names are retried on a collision instead of a 409.
 *
 * Each handler validates its input, makes one Redis Function call (the
 * library in redis/rooms.lua, where every multi-key change is atomic) and
 * answers from its result.
 *
 * Not done yet: Bedrud asks LiveKit to create/delete the media room and
 * to remove a banned participant (Twirp RoomService).  There is no Twirp
 * client here yet, so LiveKit creates rooms on the first join, and a ban
 * takes effect on the banned participant's next join: whoever is
 * connected stays connected until they leave.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_ROOM_NAME_MIN     3
#define NGX_HTTP_BEDRUD_ROOM_NAME_MAX     63
#define NGX_HTTP_BEDRUD_ROOM_GEN_LEN      (sizeof("xxx-xxxx-xxx") - 1)
#define NGX_HTTP_BEDRUD_ROOM_SEATS        20     /* Bedrud's default */
#define NGX_HTTP_BEDRUD_ROOM_LIFETIME     86400  /* expiresAt */
#define NGX_HTTP_BEDRUD_ROOM_MODE_MAX     20     /* varchar(20) */
#define NGX_HTTP_BEDRUD_ROOM_TRIES        5
#define NGX_HTTP_BEDRUD_GUEST_NAME_MAX    100
#define NGX_HTTP_BEDRUD_GUEST_PREFIX      "guest-"
#define NGX_HTTP_BEDRUD_GUEST_ID_LEN      8
#define NGX_HTTP_BEDRUD_IDENTITY_MAX      256    /* LiveKit's limit */
#define NGX_HTTP_BEDRUD_ALL_ROOMS         "bedrud:rooms"

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


static void ngx_http_bedrud_create_call(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_create_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_join_call(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_join_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_list_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_settings_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_delete_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_deleted(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_ban(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *action);
static void ngx_http_bedrud_ban_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_banned(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_bans_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);

static ngx_int_t ngx_http_bedrud_join_text(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_room_t *room,
    ngx_str_t *text);
static ngx_int_t ngx_http_bedrud_room_token(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_room_t *room,
    ngx_str_t *token);
static ngx_int_t ngx_http_bedrud_room_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_bedrud_settings_body(json_t *body,
    ngx_uint_t create, ngx_http_bedrud_room_t *room, ngx_uint_t *present);
static ngx_int_t ngx_http_bedrud_settings_text(ngx_pool_t *pool,
    ngx_http_bedrud_room_t *room, ngx_str_t *text);
static ngx_int_t ngx_http_bedrud_settings_scan(ngx_str_t *text,
    ngx_http_bedrud_room_t *room);
static void ngx_http_bedrud_settings_parse(ngx_str_t *text,
    ngx_http_bedrud_room_t *room);
static ngx_int_t ngx_http_bedrud_join_parse(ngx_http_bedrud_reply_t *reply,
    ngx_http_bedrud_room_t *room);
static void ngx_http_bedrud_room_field(ngx_http_bedrud_room_t *room,
    ngx_str_t *f, ngx_str_t *v, ngx_str_t *settings);
static ngx_int_t ngx_http_bedrud_room_finish(ngx_http_bedrud_room_t *room,
    ngx_str_t *settings);

static ngx_int_t ngx_http_bedrud_room_normalize(ngx_pool_t *pool,
    ngx_str_t *in, ngx_str_t *out);
static const char *ngx_http_bedrud_room_name_error(ngx_str_t *name);
static ngx_int_t ngx_http_bedrud_room_generate(u_char *out);
static const char *ngx_http_bedrud_guest_name_error(ngx_str_t *name);
static ngx_int_t ngx_http_bedrud_identity_valid(ngx_str_t *id);
static ngx_int_t ngx_http_bedrud_uuid_valid(ngx_str_t *id);
static void ngx_http_bedrud_trim_space(ngx_str_t *s);
static size_t ngx_http_bedrud_space(const u_char *p, size_t len);
static ngx_int_t ngx_http_bedrud_fmt(ngx_pool_t *pool, ngx_str_t *out,
    size_t max, const char *fmt, ...);
static void ngx_http_bedrud_stamp(u_char *out, size_t *len, time_t sec,
    ngx_uint_t usec);


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
    const char               *err;
    ngx_http_bedrud_rooms_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_rooms_t));
    if (st == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    /* every type error is Bedrud's body parse error, checked first */

    rc = ngx_http_bedrud_json_int(ctx->body, "maxParticipants",
                                  &st->room.max_participants, NULL);

    if (rc == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "name", &name, NULL)
           == NGX_ERROR
        || ngx_http_bedrud_json_bool(ctx->body, "isPublic", &pub, NULL)
           == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "mode", &mode, NULL)
           == NGX_ERROR
        || ngx_http_bedrud_settings_body(ctx->body, 1, &st->room, &present)
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

    if (ngx_http_bedrud_room_normalize(r->pool, &name, &st->name) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (st->name.len == 0) {
        st->generated = 1;

        st->name.data = ngx_pnalloc(r->pool, NGX_HTTP_BEDRUD_ROOM_GEN_LEN);
        if (st->name.data == NULL) {
            ngx_http_bedrud_internal_error(r);
            return;
        }

        st->name.len = NGX_HTTP_BEDRUD_ROOM_GEN_LEN;

        if (ngx_http_bedrud_room_generate(st->name.data) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "bedrud: RAND_bytes() failed");
            ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "Failed to generate room name");
            return;
        }
    }

    err = ngx_http_bedrud_room_name_error(&st->name);
    if (err) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, err);
        return;
    }

    /* Bedrud's varchar(20) would fail at insert: say why instead */

    if (mode.len == 0) {
        ngx_str_set(&st->room.mode, "standard");

    } else if (ngx_utf8_length(mode.data, mode.len)
               > NGX_HTTP_BEDRUD_ROOM_MODE_MAX)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "mode must be at most 20 characters");
        return;

    } else if (ngx_http_bedrud_has_ctl(mode.data, mode.len)) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                              "mode contains invalid characters");
        return;

    } else {
        st->room.mode = mode;
    }

    if (ngx_http_bedrud_settings_text(r->pool, &st->room, &st->settings)
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_create_call(r, ctx);
}


static void
ngx_http_bedrud_create_call(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    u_char                   *id;
    size_t                    len;
    ngx_str_t                 a[15];
    ngx_time_t               *tp;
    ngx_http_bedrud_rooms_t  *st;
    u_char                    created[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];
    u_char                    expires[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];

    st = ctx->data;
    tp = ngx_timeofday();

    id = ngx_pnalloc(r->pool, NGX_HTTP_BEDRUD_UUID_LEN);
    if (id == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_uuid(id);

    st->room.id.data = id;
    st->room.id.len = NGX_HTTP_BEDRUD_UUID_LEN;

    /* KEYS: name index, room, creator's rooms, all rooms */

    ngx_str_set(&a[3], NGX_HTTP_BEDRUD_ALL_ROOMS);

    /* ARGV */

    a[4] = st->room.id;
    a[5] = st->name;
    a[6] = ctx->claims.user_id;
    a[8].data = (u_char *) (st->room.public ? "1" : "0");
    a[8].len = 1;
    a[9] = st->room.mode;
    a[10] = st->settings;

    ngx_http_bedrud_stamp(created, &len, tp->sec, tp->msec * 1000);
    a[11].data = created;
    a[11].len = len;

    ngx_http_bedrud_stamp(expires, &len,
                          tp->sec + NGX_HTTP_BEDRUD_ROOM_LIFETIME,
                          tp->msec * 1000);
    a[12].data = expires;
    a[12].len = len;

    if (ngx_http_bedrud_fmt(r->pool, &a[0], 64 + st->name.len,
                            "bedrud:roomname:%V", &st->name)
        != NGX_OK
        || ngx_http_bedrud_fmt(r->pool, &a[1], 64, "bedrud:room:{%V}",
                               &st->room.id)
           != NGX_OK
        || ngx_http_bedrud_fmt(r->pool, &a[2], 64 + ctx->claims.user_id.len,
                               "bedrud:user:{%V}:rooms",
                               &ctx->claims.user_id)
           != NGX_OK
        || ngx_http_bedrud_fmt(r->pool, &a[7], NGX_INT_T_LEN, "%i",
                               st->room.max_participants)
           != NGX_OK
        || ngx_http_bedrud_fmt(r->pool, &a[13], NGX_TIME_T_LEN + 3, "%T%03M",
                               tp->sec, tp->msec)
           != NGX_OK
        || ngx_http_bedrud_fmt(r->pool, &a[14], NGX_TIME_T_LEN, "%T",
                               tp->sec)
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_fcall(r, ctx, "bedrud_room_create", 4, 15, a,
                          ngx_http_bedrud_create_done);
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
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "roomName", &name, NULL)
        == NGX_ERROR)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid body");
        return;
    }

    if (ngx_http_bedrud_room_normalize(r->pool, &name, &st->name) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    /* no room has such a name: no need to ask */

    if (ngx_http_bedrud_room_name_error(&st->name) != NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
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
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (ngx_http_bedrud_json_str(ctx->body, "roomName", &name, NULL)
        == NGX_ERROR
        || ngx_http_bedrud_json_str(ctx->body, "guestName", &st->guest_name,
                                    NULL)
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

    if (ngx_http_bedrud_room_normalize(r->pool, &name, &st->name) != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (ngx_http_bedrud_room_name_error(&st->name) != NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
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


/* one call for both joins: checks, seat and ban in one atomic step */

static void
ngx_http_bedrud_join_call(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    u_char                       *p;
    size_t                        len;
    ngx_str_t                     a[9];
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

    ngx_http_bedrud_timestamp(stamp, &len);

    /* KEYS: name index; ARGV: see bedrud_room_join in redis/rooms.lua */

    a[1] = st->identity;

    if (guest) {
        ngx_str_set(&a[4], "guest");

        if (st->badname) {
            /* never stored: keep it out of Redis altogether */
            ngx_str_set(&a[5], "");
            ngx_str_set(&a[6], "bad");

        } else {
            a[5] = st->guest_name;
            ngx_str_set(&a[6], "");
        }

    } else {
        ngx_str_set(&a[4], "user");
        ngx_str_set(&a[5], "");
        ngx_str_set(&a[6], "");
    }

    a[7].data = stamp;
    a[7].len = len;

    if (bmcf->livekit_key.len && bmcf->livekit_secret.len) {
        ngx_str_set(&a[8], "1");

    } else {
        ngx_str_set(&a[8], "0");
    }

    if (ngx_http_bedrud_fmt(r->pool, &a[0], 64 + st->name.len,
                            "bedrud:roomname:%V", &st->name)
        != NGX_OK
        || ngx_http_bedrud_fmt(r->pool, &a[2], NGX_TIME_T_LEN, "%T", st->now)
           != NGX_OK
        || ngx_http_bedrud_fmt(r->pool, &a[3], NGX_TIME_T_LEN, "%T",
                               st->now + NGX_HTTP_BEDRUD_LIVEKIT_TTL)
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_fcall(r, ctx, "bedrud_room_join", 1, 9, a,
                          ngx_http_bedrud_join_done);
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

    if (ngx_http_bedrud_join_parse(rep, &room) != NGX_OK) {
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
                 "\"maxParticipants\":,\"expiresAt\":\"\",\"settings\":"
                 "{\"allowChat\":false,\"allowVideo\":false,"
                 "\"allowAudio\":false,\"requireApproval\":false,"
                 "\"e2ee\":false},\"livekitHost\":\"\",\"mode\":\"\"}")
          + NGX_INT_T_LEN
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
    p = (b) ? ngx_cpymem(p, "true", 4) : ngx_cpymem(p, "false", 5)

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

    ngx_http_bedrud_put(",\"settings\":{\"allowChat\":");
    ngx_http_bedrud_put_bool(room->allow_chat);
    ngx_http_bedrud_put(",\"allowVideo\":");
    ngx_http_bedrud_put_bool(room->allow_video);
    ngx_http_bedrud_put(",\"allowAudio\":");
    ngx_http_bedrud_put_bool(room->allow_audio);
    ngx_http_bedrud_put(",\"requireApproval\":");
    ngx_http_bedrud_put_bool(room->require_approval);
    ngx_http_bedrud_put(",\"e2ee\":");
    ngx_http_bedrud_put_bool(room->e2ee);
    *p++ = '}';

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
    ngx_str_t  key;

    if (ngx_http_bedrud_fmt(r->pool, &key, 64 + ctx->claims.user_id.len,
                            "bedrud:user:{%V}:rooms", &ctx->claims.user_id)
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_fcall(r, ctx, "bedrud_room_list", 1, 1, &key,
                          ngx_http_bedrud_list_done);
}


static void
ngx_http_bedrud_list_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *list, *room;
    ngx_uint_t                i;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (!ngx_http_bedrud_reply_is(rep, "OK")) {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to list rooms");
        return;
    }

    list = json_array();
    if (list == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    for (i = 1; i < rep->nelts; i++) {
        room = ngx_http_bedrud_room_json(rep->elts[i], 0);

        if (room == NULL || json_array_append_new(list, room) != 0) {
            json_decref(list);
            ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "Failed to list rooms");
            return;
        }
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, list);
}


/* PUT /api/room/:roomId/settings */

void
ngx_http_bedrud_room_settings(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    size_t                    len;
    ngx_int_t                 rc_pub, rc_max;
    ngx_str_t                 a[7];
    ngx_flag_t                pub;
    ngx_uint_t                present;
    ngx_http_bedrud_rooms_t  *st;
    u_char                    stamp[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_rooms_t));
    if (st == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    /*
     * Each of the three is changed only when sent; "settings" replaces
     * all five flags, and a flag it omits becomes false (Bedrud).
     */

    rc_pub = ngx_http_bedrud_json_bool(ctx->body, "isPublic", &pub, NULL);
    rc_max = ngx_http_bedrud_json_int(ctx->body, "maxParticipants",
                                      &st->room.max_participants, NULL);

    if (rc_pub == NGX_ERROR || rc_max == NGX_ERROR
        || ngx_http_bedrud_settings_body(ctx->body, 0, &st->room, &present)
           != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid body");
        return;
    }

    if (ngx_http_bedrud_room_key(r, &a[0]) != NGX_OK) {
        return;
    }

    a[1] = ctx->claims.user_id;
    a[2].data = (u_char *) (ctx->claims.superadmin ? "1" : "0");
    a[2].len = 1;

    if (rc_pub == NGX_OK) {
        a[3].data = (u_char *) (pub ? "1" : "0");
        a[3].len = 1;

    } else {
        ngx_str_set(&a[3], "");
    }

    ngx_str_set(&a[4], "");
    ngx_str_set(&a[5], "");

    if (rc_max == NGX_OK
        && ngx_http_bedrud_fmt(r->pool, &a[4], NGX_INT_T_LEN, "%i",
                               st->room.max_participants)
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (present
        && ngx_http_bedrud_settings_text(r->pool, &st->room, &a[5])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_timestamp(stamp, &len);
    a[6].data = stamp;
    a[6].len = len;

    ngx_http_bedrud_fcall(r, ctx, "bedrud_room_settings", 1, 7, a,
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
    ngx_str_t  a[4];

    if (ngx_http_bedrud_room_key(r, &a[0]) != NGX_OK) {
        return;
    }

    ngx_str_set(&a[1], NGX_HTTP_BEDRUD_ALL_ROOMS);
    a[2] = ctx->claims.user_id;
    a[3].data = (u_char *) (ctx->claims.superadmin ? "1" : "0");
    a[3].len = 1;

    ngx_http_bedrud_fcall(r, ctx, "bedrud_room_delete", 2, 4, a,
                          ngx_http_bedrud_delete_done);
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


/* POST /api/room/:roomId/ban/:identity, .../unban/:identity */

void
ngx_http_bedrud_room_ban(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_ban(r, ctx, "ban");
}


void
ngx_http_bedrud_room_unban(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_ban(r, ctx, "unban");
}


static void
ngx_http_bedrud_ban(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    const char *action)
{
    ngx_str_t  a[5];

    if (ngx_http_bedrud_room_key(r, &a[0]) != NGX_OK) {
        return;
    }

    if (ngx_http_bedrud_identity_valid(&ctx->params[1]) != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid identity");
        return;
    }

    a[1] = ctx->claims.user_id;
    a[2].data = (u_char *) (ctx->claims.superadmin ? "1" : "0");
    a[2].len = 1;
    a[3] = ctx->params[1];
    a[4].data = (u_char *) action;
    a[4].len = ngx_strlen(action);

    /*
     * Bedrud removes the participant from LiveKit first; here the ban is
     * recorded first, so that a failed removal still keeps the identity
     * (and, for a guest, its name) out of the next join.
     */

    ngx_http_bedrud_fcall(r, ctx, "bedrud_room_ban", 1, 5, a,
                          ngx_http_bedrud_ban_done);
}


static void
ngx_http_bedrud_ban_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_owner_status,
                                    NULL)
        != NGX_OK)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "bedrud: room %V: \"%V\" %s by %V", &ctx->params[0],
                  &ctx->params[1],
                  ctx->route->handler == ngx_http_bedrud_room_ban
                  ? "banned" : "unbanned",
                  &ctx->claims.user_id);

    if (ctx->route->handler != ngx_http_bedrud_room_ban) {
        ngx_http_bedrud_banned(r, ctx);
        return;
    }

    /* "not found" is fine: the participant need not be connected */

    ngx_http_bedrud_livekit_call(r, ctx, "RemoveParticipant",
                                 ngx_http_bedrud_reply_str(rep, 1),
                                 &ctx->params[1], ngx_http_bedrud_banned);
}


static void
ngx_http_bedrud_banned(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{ss}", "status", "success"));
}


/*
 * GET /api/room/:roomId/bans (ngx_bedrud only): the room's ban list for
 * its owner or a superadmin, so that a ban can be lifted by someone who
 * did not note the identity.
 */

void
ngx_http_bedrud_room_bans(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[3];

    if (ngx_http_bedrud_room_key(r, &a[0]) != NGX_OK) {
        return;
    }

    a[1] = ctx->claims.user_id;
    a[2].data = (u_char *) (ctx->claims.superadmin ? "1" : "0");
    a[2].len = 1;

    ngx_http_bedrud_fcall(r, ctx, "bedrud_room_bans", 1, 3, a,
                          ngx_http_bedrud_bans_done);
}


static void
ngx_http_bedrud_bans_done(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                   *list, *ban;
    ngx_str_t                *id, *name;
    ngx_uint_t                i;
    ngx_http_bedrud_reply_t  *rep;

    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_owner_status,
                                    NULL)
        != NGX_OK)
    {
        return;
    }

    list = json_array();
    if (list == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    /* {'OK', identity, name, identity, name, ...} */

    for (i = 1; i + 1 < rep->nelts; i += 2) {
        id = ngx_http_bedrud_reply_str(rep, i);
        name = ngx_http_bedrud_reply_str(rep, i + 1);

        ban = (id == NULL || name == NULL)
              ? NULL
              : json_pack("{soso}", "identity", ngx_http_bedrud_json_string(id),
                          "name", ngx_http_bedrud_json_string(name));

        if (ban == NULL || json_array_append_new(list, ban) != 0) {
            json_decref(list);
            ngx_http_bedrud_internal_error(r);
            return;
        }
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK, json_pack("{so}", "bans", list));
}


/*
 * The room key of ":roomId".  Room ids are UUIDs: anything else cannot
 * exist, and must never reach a key name (braces would change the key).
 */

static ngx_int_t
ngx_http_bedrud_room_key(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_http_bedrud_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    if (ctx->nparams == 0
        || ngx_http_bedrud_uuid_valid(&ctx->params[0]) != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_fmt(r->pool, key, 64, "bedrud:room:{%V}",
                            &ctx->params[0])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The fields bedrud_room_join answers with, by position (JOIN_FIELDS in
 * redis/rooms.lua): a dozen values instead of HGETALL's pairs halve what
 * Redis converts and hiredis allocates on the hottest path.
 */

static ngx_str_t  ngx_http_bedrud_join_fields[] = {
    ngx_string("id"),
    ngx_string("name"),
    ngx_string("createdBy"),
    ngx_string("adminId"),
    ngx_string("isActive"),
    ngx_string("isPublic"),
    ngx_string("maxParticipants"),
    ngx_string("mode"),
    ngx_string("settings"),
    ngx_string("createdAt"),
    ngx_string("updatedAt"),
    ngx_string("expiresAt")
};


/* the room record: HGETALL's field/value pairs from reply->elts[from] */

ngx_int_t
ngx_http_bedrud_room_parse(ngx_http_bedrud_reply_t *reply, ngx_uint_t from,
    ngx_http_bedrud_room_t *room)
{
    ngx_str_t                 settings;
    ngx_uint_t                i;
    ngx_http_bedrud_reply_t  *k, *v;

    ngx_memzero(room, sizeof(ngx_http_bedrud_room_t));
    ngx_str_null(&settings);

    if (reply == NULL || reply->type != NGX_HTTP_BEDRUD_REPLY_ARRAY) {
        return NGX_ERROR;
    }

    room->max_participants = NGX_HTTP_BEDRUD_ROOM_SEATS;

    for (i = from; i + 1 < reply->nelts; i += 2) {
        k = reply->elts[i];
        v = reply->elts[i + 1];

        if (k->type == NGX_HTTP_BEDRUD_REPLY_STRING
            && v->type == NGX_HTTP_BEDRUD_REPLY_STRING)
        {
            ngx_http_bedrud_room_field(room, &k->str, &v->str, &settings);
        }
    }

    return ngx_http_bedrud_room_finish(room, &settings);
}


/* the record of a join answer: ngx_http_bedrud_join_fields by position */

static ngx_int_t
ngx_http_bedrud_join_parse(ngx_http_bedrud_reply_t *reply,
    ngx_http_bedrud_room_t *room)
{
    ngx_str_t                 settings;
    ngx_uint_t                i, n;
    ngx_http_bedrud_reply_t  *v;

    ngx_memzero(room, sizeof(ngx_http_bedrud_room_t));
    ngx_str_null(&settings);

    n = sizeof(ngx_http_bedrud_join_fields) / sizeof(ngx_str_t);

    if (reply == NULL || reply->type != NGX_HTTP_BEDRUD_REPLY_ARRAY
        || reply->nelts != n + 1)
    {
        return NGX_ERROR;
    }

    room->max_participants = NGX_HTTP_BEDRUD_ROOM_SEATS;

    for (i = 0; i < n; i++) {
        v = reply->elts[i + 1];

        /* a field the record lacks is a nil */

        if (v->type == NGX_HTTP_BEDRUD_REPLY_STRING) {
            ngx_http_bedrud_room_field(room, &ngx_http_bedrud_join_fields[i],
                                       &v->str, &settings);
        }
    }

    return ngx_http_bedrud_room_finish(room, &settings);
}


static void
ngx_http_bedrud_room_field(ngx_http_bedrud_room_t *room, ngx_str_t *f,
    ngx_str_t *v, ngx_str_t *settings)
{
    u_char     *p, *last;
    ngx_int_t   n, sign;

#define ngx_http_bedrud_is(name)                                              \
    (f->len == sizeof(name) - 1 && ngx_strncmp(f->data, name, f->len) == 0)

    if (ngx_http_bedrud_is("id")) {
        room->id = *v;

    } else if (ngx_http_bedrud_is("name")) {
        room->name = *v;

    } else if (ngx_http_bedrud_is("createdBy")) {
        room->created_by = *v;

    } else if (ngx_http_bedrud_is("adminId")) {
        room->admin_id = *v;

    } else if (ngx_http_bedrud_is("mode")) {
        room->mode = *v;

    } else if (ngx_http_bedrud_is("createdAt")) {
        room->created_at = *v;

    } else if (ngx_http_bedrud_is("updatedAt")) {
        room->updated_at = *v;

    } else if (ngx_http_bedrud_is("expiresAt")) {
        room->expires_at = *v;

    } else if (ngx_http_bedrud_is("isActive")) {
        room->active = (v->len == 1 && v->data[0] == '1');

    } else if (ngx_http_bedrud_is("isPublic")) {
        room->public = (v->len == 1 && v->data[0] == '1');

    } else if (ngx_http_bedrud_is("settings")) {
        *settings = *v;

    } else if (ngx_http_bedrud_is("maxParticipants")) {
        p = v->data;
        last = p + v->len;
        sign = 1;

        if (p < last && *p == '-') {
            sign = -1;
            p++;
        }

        n = ngx_atoi(p, last - p);

        if (n != NGX_ERROR) {
            room->max_participants = sign * n;
        }
    }

#undef ngx_http_bedrud_is
}


static ngx_int_t
ngx_http_bedrud_room_finish(ngx_http_bedrud_room_t *room,
    ngx_str_t *settings)
{
    if (room->id.len == 0) {
        return NGX_ERROR;
    }

    /* strings must not be NULL for jansson */

    if (room->name.data == NULL) {
        ngx_str_set(&room->name, "");
    }

    if (room->created_by.data == NULL) {
        ngx_str_set(&room->created_by, "");
    }

    if (room->admin_id.data == NULL) {
        ngx_str_set(&room->admin_id, "");
    }

    if (room->mode.len == 0) {
        ngx_str_set(&room->mode, "standard");
    }

    if (room->created_at.data == NULL) {
        ngx_str_set(&room->created_at, "");
    }

    if (room->updated_at.data == NULL) {
        ngx_str_set(&room->updated_at, "");
    }

    if (room->expires_at.data == NULL) {
        ngx_str_set(&room->expires_at, "");
    }

    ngx_http_bedrud_settings_parse(settings, room);

    return NGX_OK;
}


json_t *
ngx_http_bedrud_room_json(ngx_http_bedrud_reply_t *reply, ngx_uint_t from)
{
    ngx_http_bedrud_room_t  room;

    if (ngx_http_bedrud_room_parse(reply, from, &room) != NGX_OK) {
        return NULL;
    }

    return json_pack("{sosososbsIsososososbsoso}",
                     "id", ngx_http_bedrud_json_string(&room.id),
                     "name", ngx_http_bedrud_json_string(&room.name),
                     "createdBy",
                     ngx_http_bedrud_json_string(&room.created_by),
                     "isActive", (int) room.active,
                     "maxParticipants", (json_int_t) room.max_participants,
                     "createdAt",
                     ngx_http_bedrud_json_string(&room.created_at),
                     "updatedAt",
                     ngx_http_bedrud_json_string(&room.updated_at),
                     "expiresAt",
                     ngx_http_bedrud_json_string(&room.expires_at),
                     "adminId", ngx_http_bedrud_json_string(&room.admin_id),
                     "isPublic", (int) room.public,
                     "settings", ngx_http_bedrud_room_settings_json(&room),
                     "mode", ngx_http_bedrud_json_string(&room.mode));
}


json_t *
ngx_http_bedrud_room_settings_json(ngx_http_bedrud_room_t *room)
{
    return json_pack("{sbsbsbsbsb}",
                     "allowChat", (int) room->allow_chat,
                     "allowVideo", (int) room->allow_video,
                     "allowAudio", (int) room->allow_audio,
                     "requireApproval", (int) room->require_approval,
                     "e2ee", (int) room->e2ee);
}


/*
 * The request's "settings" object.  On create an omitted flag takes its
 * default (allow* true, the others false); on update it becomes false,
 * as in Bedrud.  *present tells whether the object was sent at all.
 */

static ngx_int_t
ngx_http_bedrud_settings_body(json_t *body, ngx_uint_t create,
    ngx_http_bedrud_room_t *room, ngx_uint_t *present)
{
    json_t      *s;
    ngx_int_t    rc;
    ngx_flag_t   v;
    ngx_uint_t   i;

    static const char  *names[] = {
        "allowChat", "allowVideo", "allowAudio", "requireApproval", "e2ee"
    };

    room->allow_chat = create ? 1 : 0;
    room->allow_video = create ? 1 : 0;
    room->allow_audio = create ? 1 : 0;
    room->require_approval = 0;
    room->e2ee = 0;

    s = ngx_http_bedrud_json_get(body, "settings");

    if (s == NULL || json_is_null(s)) {
        *present = 0;
        return NGX_OK;
    }

    if (!json_is_object(s)) {
        return NGX_ERROR;
    }

    *present = 1;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        rc = ngx_http_bedrud_json_bool(s, names[i], &v, NULL);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            continue;
        }

        switch (i) {
        case 0:
            room->allow_chat = v ? 1 : 0;
            break;
        case 1:
            room->allow_video = v ? 1 : 0;
            break;
        case 2:
            room->allow_audio = v ? 1 : 0;
            break;
        case 3:
            room->require_approval = v ? 1 : 0;
            break;
        default:
            room->e2ee = v ? 1 : 0;
            break;
        }
    }

    return NGX_OK;
}


/* the stored form: the JSON object of Bedrud's wire format */

static ngx_int_t
ngx_http_bedrud_settings_text(ngx_pool_t *pool, ngx_http_bedrud_room_t *room,
    ngx_str_t *text)
{
    json_t     *json;
    ngx_int_t   rc;

    json = ngx_http_bedrud_room_settings_json(room);
    if (json == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_bedrud_json_dump(pool, json, text);
    json_decref(json);

    return rc;
}


/*
 * Every join reads the settings: the flat form stored by nginx and by
 * the Redis functions ({"allowChat":true,...}, plain keys, booleans) is
 * read without jansson; anything else takes the general path below.
 * Unknown keys are ignored and the last of duplicates wins, as there.
 */

static ngx_int_t
ngx_http_bedrud_settings_scan(ngx_str_t *text, ngx_http_bedrud_room_t *room)
{
    u_char      *p, *end, *k;
    size_t       klen;
    ngx_uint_t   v, i;
    ngx_int_t    flags[5];

    static const char  *names[] = {
        "allowChat", "allowVideo", "allowAudio", "requireApproval", "e2ee"
    };

    flags[0] = room->allow_chat;
    flags[1] = room->allow_video;
    flags[2] = room->allow_audio;
    flags[3] = room->require_approval;
    flags[4] = room->e2ee;

    p = text->data;
    end = p + text->len;

    if (end - p < 2 || *p++ != '{') {
        return NGX_DECLINED;
    }

    if (*p == '}') {
        return (p + 1 == end) ? NGX_OK : NGX_DECLINED;
    }

    for ( ;; ) {
        if (p == end || *p++ != '"') {
            return NGX_DECLINED;
        }

        k = p;

        while (p < end && *p != '"' && *p != '\\') {
            p++;
        }

        if (p == end || *p != '"') {
            return NGX_DECLINED;
        }

        klen = p++ - k;

        if (p == end || *p++ != ':') {
            return NGX_DECLINED;
        }

        if (end - p >= 4 && ngx_strncmp(p, "true", 4) == 0) {
            v = 1;
            p += 4;

        } else if (end - p >= 5 && ngx_strncmp(p, "false", 5) == 0) {
            v = 0;
            p += 5;

        } else {
            return NGX_DECLINED;
        }

        for (i = 0; i < 5; i++) {
            if (klen == ngx_strlen(names[i])
                && ngx_strncmp(k, names[i], klen) == 0)
            {
                flags[i] = v;
            }
        }

        if (p == end) {
            return NGX_DECLINED;
        }

        if (*p == '}') {
            break;
        }

        if (*p++ != ',') {
            return NGX_DECLINED;
        }
    }

    if (p + 1 != end) {
        return NGX_DECLINED;
    }

    room->allow_chat = flags[0];
    room->allow_video = flags[1];
    room->allow_audio = flags[2];
    room->require_approval = flags[3];
    room->e2ee = flags[4];

    return NGX_OK;
}


static void
ngx_http_bedrud_settings_parse(ngx_str_t *text, ngx_http_bedrud_room_t *room)
{
    json_t        *json, *v;
    json_error_t   err;

    /* Bedrud's defaults for a missing or damaged record */

    room->allow_chat = 1;
    room->allow_video = 1;
    room->allow_audio = 1;
    room->require_approval = 0;
    room->e2ee = 0;

    if (text->len == 0 || ngx_http_bedrud_settings_scan(text, room) == NGX_OK)
    {
        return;
    }

    json = json_loadb((const char *) text->data, text->len, 0, &err);
    if (json == NULL) {
        return;
    }

#define ngx_http_bedrud_flag(name, field)                                     \
    v = json_object_get(json, name);                                          \
    if (json_is_boolean(v)) {                                                 \
        room->field = json_is_true(v) ? 1 : 0;                                \
    }

    ngx_http_bedrud_flag("allowChat", allow_chat);
    ngx_http_bedrud_flag("allowVideo", allow_video);
    ngx_http_bedrud_flag("allowAudio", allow_audio);
    ngx_http_bedrud_flag("requireApproval", require_approval);
    ngx_http_bedrud_flag("e2ee", e2ee);

#undef ngx_http_bedrud_flag

    json_decref(json);
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


/* ValidateRoomName: 3-63 bytes of ^[a-z0-9]+(-[a-z0-9]+)*$ */

static const char *
ngx_http_bedrud_room_name_error(ngx_str_t *name)
{
    u_char  ch, prev;
    size_t  i;

    if (name->len < NGX_HTTP_BEDRUD_ROOM_NAME_MIN) {
        return "room name must be at least 3 characters";
    }

    if (name->len > NGX_HTTP_BEDRUD_ROOM_NAME_MAX) {
        return "room name must be at most 63 characters";
    }

    prev = '-';

    for (i = 0; i < name->len; i++) {
        ch = name->data[i];

        if (ch == '-') {
            if (prev == '-') {
                /* leading or doubled */
                goto invalid;
            }

        } else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
            goto invalid;
        }

        prev = ch;
    }

    if (prev != '-') {
        return NULL;
    }

invalid:

    return "room name must contain only lowercase letters, numbers, "
           "and hyphens";
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


/*
 * Guest display names go to every participant: no control characters
 * (C0, DEL, C1), no line or paragraph separators, no bidirectional
 * overrides or marks that would let one name spoof another.
 */

static const char *
ngx_http_bedrud_guest_name_error(ngx_str_t *name)
{
    u_char  *p, *last;

    p = name->data;
    last = p + name->len;

    for ( /* void */ ; p < last; p++) {

        if (*p < 0x20 || *p == 0x7f) {
            goto invalid;
        }

        /* U+0080..U+009F */
        if (*p == 0xc2 && p + 1 < last && p[1] >= 0x80 && p[1] <= 0x9f) {
            goto invalid;
        }

        if (*p == 0xe2 && p + 2 < last) {

            /* U+200E, U+200F, U+2028..U+202E */
            if (p[1] == 0x80
                && (p[2] == 0x8e || p[2] == 0x8f
                    || (p[2] >= 0xa8 && p[2] <= 0xae)))
            {
                goto invalid;
            }

            /* U+2066..U+2069 */
            if (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
                goto invalid;
            }
        }
    }

    if (name->len > NGX_HTTP_BEDRUD_GUEST_NAME_MAX) {
        return "Guest name must be at most 100 characters";
    }

    return NULL;

invalid:

    return "Guest name contains invalid characters";
}


/* a LiveKit identity: 1..256 bytes, no controls, no spaces */

static ngx_int_t
ngx_http_bedrud_identity_valid(ngx_str_t *id)
{
    size_t  i;

    if (id->len == 0 || id->len > NGX_HTTP_BEDRUD_IDENTITY_MAX) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        if (id->data[i] <= 0x20 || id->data[i] == 0x7f) {
            return NGX_DECLINED;
        }
    }

    return ngx_http_bedrud_utf8_valid(id->data, id->len);
}


static ngx_int_t
ngx_http_bedrud_uuid_valid(ngx_str_t *id)
{
    u_char  ch;
    size_t  i;

    if (id->len != NGX_HTTP_BEDRUD_UUID_LEN) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        ch = id->data[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-') {
                return NGX_DECLINED;
            }

            continue;
        }

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* Go's strings.TrimSpace on valid UTF-8 */

static void
ngx_http_bedrud_trim_space(ngx_str_t *s)
{
    size_t  n;

    while (s->len) {
        n = ngx_http_bedrud_space(s->data, s->len);
        if (n == 0) {
            break;
        }

        s->data += n;
        s->len -= n;
    }

    while (s->len) {
        /* the last character: 1, 2 or 3 bytes long if it is a space */

        if (ngx_http_bedrud_space(s->data + s->len - 1, 1) == 1) {
            n = 1;

        } else if (s->len >= 2
                   && ngx_http_bedrud_space(s->data + s->len - 2, 2) == 2)
        {
            n = 2;

        } else if (s->len >= 3
                   && ngx_http_bedrud_space(s->data + s->len - 3, 3) == 3)
        {
            n = 3;

        } else {
            break;
        }

        s->len -= n;
    }
}


/*
 * The length of the white space character at p, 0 if none: unicode.IsSpace,
 * that is \t \n \v \f \r, space, U+0085, U+00A0, U+1680, U+2000..U+200A,
 * U+2028, U+2029, U+202F, U+205F and U+3000.
 */

static size_t
ngx_http_bedrud_space(const u_char *p, size_t len)
{
    if (len >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))) {
        return 1;
    }

    if (len >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0)) {
        return 2;
    }

    if (len < 3) {
        return 0;
    }

    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) {
        return 3;
    }

    if (p[0] == 0xe2 && p[1] == 0x80
        && (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
    {
        return 3;
    }

    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) {
        return 3;
    }

    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) {
        return 3;
    }

    return 0;
}


static ngx_int_t
ngx_http_bedrud_fmt(ngx_pool_t *pool, ngx_str_t *out, size_t max,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    p = ngx_pnalloc(pool, max);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    out->len = ngx_vslprintf(p, p + max, fmt, args) - p;
    va_end(args);

    out->data = p;

    return NGX_OK;
}


/* as ngx_http_bedrud_timestamp(), for a given time */

static void
ngx_http_bedrud_stamp(u_char *out, size_t *len, time_t sec, ngx_uint_t usec)
{
    u_char     *p, *q;
    ngx_tm_t    tm;
    ngx_uint_t  width;

    ngx_gmtime(sec, &tm);

    p = ngx_sprintf(out, "%4d-%02d-%02dT%02d:%02d:%02d",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);

    if (usec) {
        width = 6;

        while (usec % 10 == 0) {
            usec /= 10;
            width--;
        }

        *p++ = '.';

        /* zero-padded to "width" digits */
        for (q = p + width; q > p; usec /= 10) {
            *--q = (u_char) ('0' + usec % 10);
        }

        p += width;
    }

    *p++ = 'Z';

    *len = p - out;
}
