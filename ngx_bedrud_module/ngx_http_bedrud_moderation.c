
/*
 * Copyright (C) ngx_bedrud authors
 *
 * In-room moderation (/api/room/:roomId/<action>/:identity, and the
 * admin's kick and mute), wire-compatible with Bedrud: paths, permission
 * levels, status codes, JSON shapes, error texts, and the system messages
 * it sends through LiveKit's SendData (topic "system", reliable, to one
 * participant or to the room):
 *
 *   {"type":"system","event":<event>,"actor":<caller's user id>,
 *    "target":<identity>}
 *
 * A route is: the room and identity checked here, the caller's right
 * checked by bedrud_room_access (redis/rooms.lua: owner level, moderator
 * level, or the participant itself), then LiveKit's RoomService by
 * subrequest (ngx_http_bedrud_livekit_api.c), whose outcome is the answer.
 * Fixed on the way:
 *
 *   - LiveKit down, too slow or not configured is a JSON 502 saying so
 *     (Bedrud: a 500 with Twirp's text, or a 404 "Participant not found");
 *   - kicking someone not connected is a 404, not a 500;
 *   - a ban is recorded first, so it works for users and guests who are
 *     not connected; bans can be lifted (unban) and listed;
 *   - a room moderator is a durable flag in Redis that the moderator-level
 *     routes read (Bedrud's database flag), and a "moderator" entry in the
 *     participant's LiveKit metadata that clients show;
 *   - a chat block is enforced by LiveKit (the participant loses
 *     canPublishData), not only shown, and can be lifted.
 *
 * E2EE rooms: the server holds no key, so its messages carry none; a kick
 * or a ban there also tells the room "rekey" (the membership changed, the
 * moderator's client rotates the room key).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


/* which tracks a mute takes */
#define NGX_HTTP_BEDRUD_MUTE_AUDIO       1   /* every AUDIO track */
#define NGX_HTTP_BEDRUD_MUTE_CAMERA      2   /* VIDEO from CAMERA */
#define NGX_HTTP_BEDRUD_MUTE_SCREEN      4   /* SCREEN_SHARE(_AUDIO) */


/* what the room learns from the server, and no more: never a key */
#define NGX_HTTP_BEDRUD_SYSTEM_TOPIC     "system"


typedef struct {
    const char                 *level;     /* bedrud_room_access's */
    ngx_http_bedrud_step_pt     run;       /* once the caller may */
    ngx_http_bedrud_step_pt     got;       /* with the participant read */
    const char                 *event;     /* its system message */
    ngx_uint_t                  mute;      /* NGX_HTTP_BEDRUD_MUTE_* */
    unsigned                    targeted:1; /* the message: to the target */
    unsigned                    on:1;      /* promote, block; not their
                                              opposites */
    unsigned                    absent_ok:1; /* not connected is fine */
} ngx_http_bedrud_mod_route_t;


/* per-request state */
typedef struct {
    ngx_http_bedrud_mod_route_t  *route;
    ngx_str_t                   room;      /* LiveKit's name of it */
    ngx_str_t                   identity;
    json_t                     *participant; /* GetParticipant's answer */
    size_t                      track;     /* the next track to look at */
    unsigned                    e2ee:1;
    unsigned                    allow_chat:1;
    unsigned                    moderator:1; /* the identity is one */
    unsigned                    ban:1;     /* a ban, not an unban */
} ngx_http_bedrud_mod_t;


static ngx_http_bedrud_mod_t *ngx_http_bedrud_mod_check(
    ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_http_bedrud_mod_route_t *route);
static void ngx_http_bedrud_mod_access_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_success(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);

static void ngx_http_bedrud_mod_kick(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_removed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_told(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_get(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_got(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_mute(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static ngx_uint_t ngx_http_bedrud_mod_mutes(json_t *track, ngx_uint_t mute);
static void ngx_http_bedrud_mod_promote(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_promoted(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_moderator(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_flagged(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_demote(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_chat(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_changed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_notify(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_notified(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_info(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_ban(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, ngx_uint_t ban);
static void ngx_http_bedrud_mod_ban_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_mod_banned(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);

static json_t *ngx_http_bedrud_mod_metadata(json_t *participant);
static ngx_uint_t ngx_http_bedrud_mod_has(json_t *list, const char *s);
static void ngx_http_bedrud_mod_update(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, json_t *metadata, json_t *permission,
    ngx_http_bedrud_step_pt next);
static void ngx_http_bedrud_mod_send(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *event, ngx_uint_t targeted,
    ngx_http_bedrud_step_pt next);
static void ngx_http_bedrud_mod_call(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *method, json_t *body,
    ngx_http_bedrud_step_pt next);


/* the access function's status words, by level (Bedrud's texts) */

static ngx_http_bedrud_status_t  ngx_http_bedrud_mod_owner_status[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "Room not found" },
    { "FORBIDDEN", NGX_HTTP_FORBIDDEN, "Insufficient permissions" },
    { NULL, 0, NULL }
};

static ngx_http_bedrud_status_t  ngx_http_bedrud_mod_moderator_status[] = {
    { "NOTFOUND", NGX_HTTP_NOT_FOUND, "Room not found" },
    { "NOTMODERATOR", NGX_HTTP_FORBIDDEN, "not authorized for this room" },
    { NULL, 0, NULL }
};


/*   level        run                          got
 *   event        mute                         targeted on absent_ok */

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_kick_route = {
    "owner", ngx_http_bedrud_mod_kick, NULL,
    "kick", 0, 0, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_mute_route = {
    "owner", ngx_http_bedrud_mod_get, ngx_http_bedrud_mod_mute,
    NULL, NGX_HTTP_BEDRUD_MUTE_AUDIO, 0, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_video_route = {
    "moderator", ngx_http_bedrud_mod_get, ngx_http_bedrud_mod_mute,
    NULL, NGX_HTTP_BEDRUD_MUTE_CAMERA, 0, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_screen_route = {
    "moderator", ngx_http_bedrud_mod_get, ngx_http_bedrud_mod_mute,
    NULL, NGX_HTTP_BEDRUD_MUTE_SCREEN, 0, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_promote_route = {
    "owner", ngx_http_bedrud_mod_get, ngx_http_bedrud_mod_promote,
    NULL, 0, 0, 1, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_demote_route = {
    "owner", ngx_http_bedrud_mod_moderator, ngx_http_bedrud_mod_demote,
    NULL, 0, 0, 0, 1 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_block_route = {
    "moderator", ngx_http_bedrud_mod_get, ngx_http_bedrud_mod_chat,
    NULL, 0, 0, 1, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_unblock_route = {
    "moderator", ngx_http_bedrud_mod_get, ngx_http_bedrud_mod_chat,
    NULL, 0, 0, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_deafen_route = {
    "moderator", ngx_http_bedrud_mod_notify, NULL,
    "deafen", 0, 1, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_undeafen_route = {
    "moderator", ngx_http_bedrud_mod_notify, NULL,
    "undeafen", 0, 1, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_ask_unmute_route = {
    "moderator", ngx_http_bedrud_mod_notify, NULL,
    "ask_unmute", 0, 1, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_ask_camera_route = {
    "moderator", ngx_http_bedrud_mod_notify, NULL,
    "ask_camera", 0, 1, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_spotlight_route = {
    "moderator", ngx_http_bedrud_mod_notify, NULL,
    "spotlight", 0, 0, 0, 0 };

static ngx_http_bedrud_mod_route_t  ngx_http_bedrud_mod_info_route = {
    "self", ngx_http_bedrud_mod_get, ngx_http_bedrud_mod_info,
    NULL, 0, 0, 0, 0 };


/* the routes by their pattern in the route table */

typedef struct {
    const char                   *pattern;
    ngx_http_bedrud_mod_route_t  *route;
} ngx_http_bedrud_mod_pattern_t;

static ngx_http_bedrud_mod_pattern_t  ngx_http_bedrud_mod_patterns[] = {
    { "/api/room/:roomId/kick/:identity", &ngx_http_bedrud_mod_kick_route },
    { "/api/admin/rooms/:roomId/participants/:identity/kick",
      &ngx_http_bedrud_mod_kick_route },
    { "/api/room/:roomId/mute/:identity", &ngx_http_bedrud_mod_mute_route },
    { "/api/admin/rooms/:roomId/participants/:identity/mute",
      &ngx_http_bedrud_mod_mute_route },
    { "/api/room/:roomId/video/:identity/off",
      &ngx_http_bedrud_mod_video_route },
    { "/api/room/:roomId/screenshare/:identity/stop",
      &ngx_http_bedrud_mod_screen_route },
    { "/api/room/:roomId/promote/:identity",
      &ngx_http_bedrud_mod_promote_route },
    { "/api/room/:roomId/demote/:identity",
      &ngx_http_bedrud_mod_demote_route },
    { "/api/room/:roomId/chat/:identity/block",
      &ngx_http_bedrud_mod_block_route },
    { "/api/room/:roomId/chat/:identity/unblock",
      &ngx_http_bedrud_mod_unblock_route },
    { "/api/room/:roomId/deafen/:identity",
      &ngx_http_bedrud_mod_deafen_route },
    { "/api/room/:roomId/undeafen/:identity",
      &ngx_http_bedrud_mod_undeafen_route },
    { "/api/room/:roomId/spotlight/:identity",
      &ngx_http_bedrud_mod_spotlight_route },
    { "/api/room/:roomId/participant/:identity/info",
      &ngx_http_bedrud_mod_info_route },
    { NULL, NULL }
};


/*
 * The moderation routes of the table above (the admin's kick and mute
 * are the room's own), and ask, whose ":action" ("unmute" or "camera")
 * is checked before anything else, as Bedrud does.
 */

void
ngx_http_bedrud_room_moderate(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                      *action;
    ngx_http_bedrud_mod_pattern_t  *p;

    if (ctx->nparams == 3) {
        action = &ctx->params[2];

        if (action->len == sizeof("unmute") - 1
            && ngx_strncmp(action->data, "unmute", action->len) == 0)
        {
            ngx_http_bedrud_mod(r, ctx, &ngx_http_bedrud_mod_ask_unmute_route);
            return;
        }

        if (action->len == sizeof("camera") - 1
            && ngx_strncmp(action->data, "camera", action->len) == 0)
        {
            ngx_http_bedrud_mod(r, ctx, &ngx_http_bedrud_mod_ask_camera_route);
            return;
        }

        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Unknown action");
        return;
    }

    for (p = ngx_http_bedrud_mod_patterns; p->pattern; p++) {
        if (ngx_strcmp(ctx->route->pattern, p->pattern) == 0) {
            ngx_http_bedrud_mod(r, ctx, p->route);
            return;
        }
    }

    ngx_http_bedrud_internal_error(r);
}


/*
 * POST /api/room/:roomId/stage/:identity/bring, .../remove: Bedrud's own
 * answer, 501, before any lookup (it has no stage either).
 */

void
ngx_http_bedrud_room_stage(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_error(r, NGX_HTTP_NOT_IMPLEMENTED, "not yet implemented");
}


/*
 * The room of ":roomId" and the identity of ":identity": a room id that
 * is not a UUID cannot exist (404, and it must never reach a key name);
 * an identity LiveKit could not have (empty, over 256 bytes, spaces,
 * control characters, not UTF-8) is a 400.  NULL when answered.
 */

static ngx_http_bedrud_mod_t *
ngx_http_bedrud_mod_check(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_mod_t));
    if (st == NULL) {
        return NULL;
    }

    if (ctx->nparams < 2
        || ngx_http_bedrud_uuid_valid(&ctx->params[0]) != NGX_OK)
    {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
        return NULL;
    }

    if (ngx_http_bedrud_identity_valid(&ctx->params[1]) != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid identity");
        return NULL;
    }

    st->identity = ctx->params[1];

    return st;
}


static void
ngx_http_bedrud_mod(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_http_bedrud_mod_route_t *route)
{
    ngx_str_t               a[NGX_HTTP_BEDRUD_ROOM_ACCESS_N];
    ngx_http_bedrud_mod_t  *st;

    st = ngx_http_bedrud_mod_check(r, ctx);
    if (st == NULL) {
        return;
    }

    st->route = route;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM, &ctx->params[0],
                            &a[NGX_HTTP_BEDRUD_ROOM_ACCESS_K_ROOM])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM_MODS,
                               &ctx->params[0],
                               &a[NGX_HTTP_BEDRUD_ROOM_ACCESS_K_MODS])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    a[NGX_HTTP_BEDRUD_ROOM_ACCESS_A_CALLER] = ctx->claims.user_id;
    ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_ROOM_ACCESS_A_SUPERADMIN],
                        ctx->claims.superadmin);
    a[NGX_HTTP_BEDRUD_ROOM_ACCESS_A_LEVEL].data = (u_char *) route->level;
    a[NGX_HTTP_BEDRUD_ROOM_ACCESS_A_LEVEL].len = ngx_strlen(route->level);
    a[NGX_HTTP_BEDRUD_ROOM_ACCESS_A_IDENTITY] = st->identity;

    ngx_http_bedrud_call(r, ctx, ROOM_ACCESS, a,
                         ngx_http_bedrud_mod_access_done);
}


static void
ngx_http_bedrud_mod_access_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                *v;
    ngx_uint_t                i;
    ngx_http_bedrud_mod_t    *st;
    ngx_http_bedrud_reply_t  *rep;
    ngx_str_t                 f[NGX_HTTP_BEDRUD_ACCESS_NFIELDS];

    st = ctx->data;
    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep,
                                    st->route->level[0] == 'o'
                                    ? ngx_http_bedrud_mod_owner_status
                                    : ngx_http_bedrud_mod_moderator_status,
                                    NULL)
        != NGX_OK)
    {
        return;
    }

    for (i = 0; i < NGX_HTTP_BEDRUD_ACCESS_NFIELDS; i++) {
        v = ngx_http_bedrud_reply_str(rep, 1 + i);

        if (v == NULL) {
            ngx_http_bedrud_internal_error(r);
            return;
        }

        f[i] = *v;
    }

#define ngx_http_bedrud_access_on(field)                                     \
    (f[NGX_HTTP_BEDRUD_ACCESS_F_ ## field].len == 1                           \
     && f[NGX_HTTP_BEDRUD_ACCESS_F_ ## field].data[0] == '1')

    st->room = f[NGX_HTTP_BEDRUD_ACCESS_F_NAME];
    st->e2ee = ngx_http_bedrud_access_on(E2EE);
    st->allow_chat = ngx_http_bedrud_access_on(ALLOW_CHAT);
    st->moderator = ngx_http_bedrud_access_on(MODERATOR);

#undef ngx_http_bedrud_access_on

    st->route->run(r, ctx);
}


static void
ngx_http_bedrud_mod_success(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{ss}", "status", "success"));
}


/*
 * kick: LiveKit removes the participant (nothing is kept: it may join
 * again), then the room is told "kick", and an E2EE room "rekey".  Once
 * removed, a message that cannot be sent is only logged: the kick is done.
 */

static void
ngx_http_bedrud_mod_kick(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    ngx_http_bedrud_livekit_call(r, ctx, "RemoveParticipant", &st->room,
                                 &st->identity, ngx_http_bedrud_mod_removed);
}


static void
ngx_http_bedrud_mod_removed(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK) {
        ngx_http_bedrud_livekit_failed(r, ctx, NULL);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "bedrud: room %V: \"%V\" kicked by %V", &ctx->params[0],
                  &st->identity, &ctx->claims.user_id);

    ngx_http_bedrud_mod_send(r, ctx, "kick", 0, ngx_http_bedrud_mod_told);
}


/* after a kick's or a ban's message: an E2EE room is told to rekey */

static void
ngx_http_bedrud_mod_told(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (!st->e2ee) {
        ngx_http_bedrud_mod_success(r, ctx);
        return;
    }

    st->e2ee = 0;

    ngx_http_bedrud_mod_send(r, ctx, "rekey", 0, ngx_http_bedrud_mod_told);
}


/*
 * The routes that read the participant first; Bedrud's 404
 * "Participant not found" when LiveKit does not know it.
 */

static void
ngx_http_bedrud_mod_get(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    ngx_http_bedrud_livekit_call(r, ctx, "GetParticipant", &st->room,
                                 &st->identity, ngx_http_bedrud_mod_got);
}


static void
ngx_http_bedrud_mod_got(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                 *json;
    json_error_t            err;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (ctx->livekit.outcome == NGX_HTTP_BEDRUD_LK_NOT_FOUND
        && st->route->absent_ok)
    {
        ngx_http_bedrud_mod_success(r, ctx);
        return;
    }

    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK) {
        ngx_http_bedrud_livekit_failed(r, ctx,
                                   st->route->absent_ok
                                   ? "the moderator rights are removed"
                                   : NULL);
        return;
    }

    json = json_loadb((const char *) ctx->livekit.body.data,
                      ctx->livekit.body.len, 0, &err);

    if (json == NULL || !json_is_object(json)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: LiveKit GetParticipant: not a participant");

        if (json) {
            json_decref(json);
        }

        ctx->livekit.outcome = NGX_HTTP_BEDRUD_LK_REFUSED;
        ngx_http_bedrud_livekit_failed(r, ctx, NULL);
        return;
    }

    if (ngx_http_bedrud_json_pool(r->pool, json) == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    st->participant = json;
    st->track = 0;

    st->route->got(r, ctx);
}


/*
 * mute, video off, screenshare stop: one MutePublishedTrack after the
 * other, for each track the route takes that is not muted yet; a track
 * gone meanwhile (not found) is fine.  Bedrud sends no message.
 */

static void
ngx_http_bedrud_mod_mute(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                 *tracks, *track, *body, *sid;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (st->track > 0
        && ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK
        && ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_NOT_FOUND)
    {
        ngx_http_bedrud_livekit_failed(r, ctx, NULL);
        return;
    }

    tracks = json_object_get(st->participant, "tracks");

    while (json_is_array(tracks) && st->track < json_array_size(tracks)) {
        track = json_array_get(tracks, st->track++);
        sid = json_object_get(track, "sid");

        if (!json_is_string(sid)
            || !ngx_http_bedrud_mod_mutes(track, st->route->mute))
        {
            continue;
        }

        body = json_pack("{s:s%,s:s%,s:O,s:b}",
                         "room", st->room.data, st->room.len,
                         "identity", st->identity.data, st->identity.len,
                         "track_sid", sid, "muted", 1);

        ngx_http_bedrud_mod_call(r, ctx, "MutePublishedTrack", body,
                                 ngx_http_bedrud_mod_mute);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "bedrud: room %V: tracks of \"%V\" muted by %V",
                  &ctx->params[0], &st->identity, &ctx->claims.user_id);

    ngx_http_bedrud_mod_success(r, ctx);
}


/* does a mute of this kind take the track (and is it not muted yet)? */

static ngx_uint_t
ngx_http_bedrud_mod_mutes(json_t *track, ngx_uint_t mute)
{
    const char  *type, *source;

    if (json_is_true(json_object_get(track, "muted"))) {
        return 0;
    }

    type = json_string_value(json_object_get(track, "type"));
    source = json_string_value(json_object_get(track, "source"));

    if (type == NULL) {
        return 0;
    }

    if (source == NULL) {
        source = "";
    }

    switch (mute) {

    case NGX_HTTP_BEDRUD_MUTE_AUDIO:
        return ngx_strcmp(type, "AUDIO") == 0;

    case NGX_HTTP_BEDRUD_MUTE_CAMERA:
        return ngx_strcmp(type, "VIDEO") == 0
               && ngx_strcmp(source, "CAMERA") == 0;

    case NGX_HTTP_BEDRUD_MUTE_SCREEN:
        return ngx_strcmp(source, "SCREEN_SHARE") == 0
               || ngx_strcmp(source, "SCREEN_SHARE_AUDIO") == 0;

    default:
        return 0;
    }
}


/*
 * promote: "moderator" joins the metadata's "accesses" (what clients
 * show), then the identity the room's moderators (what the server
 * checks).  Both already so is Bedrud's {"status":"already_moderator"}.
 */

static void
ngx_http_bedrud_mod_promote(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                 *meta, *acc;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    meta = ngx_http_bedrud_mod_metadata(st->participant);
    if (meta == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    acc = json_object_get(meta, "accesses");

    if (ngx_http_bedrud_mod_has(acc, "moderator")) {
        json_decref(meta);

        if (st->moderator) {
            ngx_http_bedrud_send(r, NGX_HTTP_OK,
                                 json_pack("{ss}", "status",
                                           "already_moderator"));
            return;
        }

        ngx_http_bedrud_mod_moderator(r, ctx);
        return;
    }

    if (!json_is_array(acc)) {
        acc = json_array();

        if (acc == NULL || json_object_set_new(meta, "accesses", acc) != 0) {
            json_decref(meta);
            ngx_http_bedrud_internal_error(r);
            return;
        }
    }

    if (json_array_append_new(acc, json_string("moderator")) != 0) {
        json_decref(meta);
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_mod_update(r, ctx, meta, NULL,
                               ngx_http_bedrud_mod_promoted);
}


static void
ngx_http_bedrud_mod_promoted(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK) {
        ngx_http_bedrud_livekit_failed(r, ctx, NULL);
        return;
    }

    ngx_http_bedrud_mod_moderator(r, ctx);
}


/*
 * The durable flag (bedrud_room_moderator).  A demotion changes it first,
 * so that the rights end even when LiveKit cannot be told.
 */

static void
ngx_http_bedrud_mod_moderator(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t               a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_N];
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM, &ctx->params[0],
                            &a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_K_ROOM])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM_MODS,
                               &ctx->params[0],
                               &a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_K_MODS])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_CALLER] = ctx->claims.user_id;
    ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_SUPERADMIN],
                        ctx->claims.superadmin);
    a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_IDENTITY] = st->identity;

    if (st->route->on) {
        ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_ACTION], "add");

    } else {
        ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_ACTION], "remove");
    }

    ngx_http_bedrud_call(r, ctx, ROOM_MODERATOR, a,
                         ngx_http_bedrud_mod_flagged);
}


static void
ngx_http_bedrud_mod_flagged(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (ngx_http_bedrud_reply_check(r, ctx->replies[0],
                                    ngx_http_bedrud_mod_owner_status, NULL)
        != NGX_OK)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "bedrud: room %V: \"%V\" %s by %V", &ctx->params[0],
                  &st->identity, st->route->on ? "promoted" : "demoted",
                  &ctx->claims.user_id);

    if (st->route->on) {
        ngx_http_bedrud_mod_success(r, ctx);
        return;
    }

    /* demoted: the metadata too, if the participant is connected */

    ngx_http_bedrud_mod_get(r, ctx);
}


static void
ngx_http_bedrud_mod_demote(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                 *meta, *acc, *v;
    size_t                  i;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    meta = ngx_http_bedrud_mod_metadata(st->participant);
    if (meta == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    acc = json_object_get(meta, "accesses");

    if (!ngx_http_bedrud_mod_has(acc, "moderator")) {
        json_decref(meta);
        ngx_http_bedrud_mod_success(r, ctx);
        return;
    }

    for (i = json_array_size(acc); i > 0; i--) {
        v = json_array_get(acc, i - 1);

        if (json_is_string(v)
            && ngx_strcmp(json_string_value(v), "moderator") == 0)
        {
            (void) json_array_remove(acc, i - 1);
        }
    }

    ngx_http_bedrud_mod_update(r, ctx, meta, NULL,
                               ngx_http_bedrud_mod_changed);
}


/*
 * chat block: "chatBlocked": true in the metadata (what Bedrud's clients
 * show), and LiveKit takes canPublishData away, so that the block holds
 * whatever the client does.  Unblock: the key goes, and canPublishData is
 * what the room allows (allowChat).  The permission is written back whole:
 * LiveKit replaces it, an omitted switch would turn off.
 */

static void
ngx_http_bedrud_mod_chat(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                 *meta, *perm;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    meta = ngx_http_bedrud_mod_metadata(st->participant);
    if (meta == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (st->route->on) {
        if (json_object_set_new(meta, "chatBlocked", json_true()) != 0) {
            json_decref(meta);
            ngx_http_bedrud_internal_error(r);
            return;
        }

    } else {
        (void) json_object_del(meta, "chatBlocked");
    }

    perm = json_object_get(st->participant, "permission");

    perm = json_is_object(perm) ? json_deep_copy(perm) : json_object();

    if (perm == NULL
        || json_object_set_new(perm, "can_publish_data",
                               json_boolean(st->route->on ? 0
                                            : st->allow_chat))
           != 0)
    {
        json_decref(meta);

        if (perm) {
            json_decref(perm);
        }

        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_mod_update(r, ctx, meta, perm,
                               ngx_http_bedrud_mod_changed);
}


/* an UpdateParticipant that is the route's last step */

static void
ngx_http_bedrud_mod_changed(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK) {
        ngx_http_bedrud_livekit_failed(r, ctx,
                                   st->route->absent_ok
                                   ? "the moderator rights are removed"
                                   : NULL);
        return;
    }

    if (st->route->got == ngx_http_bedrud_mod_chat) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "bedrud: room %V: chat of \"%V\" %s by %V",
                      &ctx->params[0], &st->identity,
                      st->route->on ? "blocked" : "unblocked",
                      &ctx->claims.user_id);
    }

    ngx_http_bedrud_mod_success(r, ctx);
}


/*
 * deafen, undeafen, ask_unmute, ask_camera (to the target), spotlight (to
 * the room): the message is all Bedrud does; it must have gone out.
 */

static void
ngx_http_bedrud_mod_notify(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    ngx_http_bedrud_mod_send(r, ctx, st->route->event, st->route->targeted,
                             ngx_http_bedrud_mod_notified);
}


static void
ngx_http_bedrud_mod_notified(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK) {
        /* SendData's not_found: the room has nobody in it */
        ngx_http_bedrud_livekit_failed(r, ctx, NULL);
        return;
    }

    ngx_http_bedrud_mod_success(r, ctx);
}


/*
 * info: {"identity","name","state","joinedAt" (unix s),"tracks":[{"sid",
 * "type","source","muted"}]}, Bedrud's shape.
 */

static void
ngx_http_bedrud_mod_info(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    json_t                 *p, *tracks, *list, *t, *item;
    size_t                  i;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;
    p = st->participant;

    list = json_array();
    if (list == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    tracks = json_object_get(p, "tracks");

    json_array_foreach(tracks, i, t) {
        item = json_pack("{s:O*,s:O*,s:O*,s:b}",
                         "sid", json_object_get(t, "sid"),
                         "type", json_object_get(t, "type"),
                         "source", json_object_get(t, "source"),
                         "muted", json_is_true(json_object_get(t, "muted")));

        if (item == NULL || json_array_append_new(list, item) != 0) {
            json_decref(list);
            ngx_http_bedrud_internal_error(r);
            return;
        }
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
        json_pack("{s:O*,s:O*,s:O*,s:I,s:o}",
                  "identity", json_object_get(p, "identity"),
                  "name", json_object_get(p, "name"),
                  "state", json_object_get(p, "state"),
                  "joinedAt", (json_int_t) ngx_http_bedrud_livekit_int(p,
                                                   "joined_at", "joinedAt"),
                  "tracks", list));
}


/*
 * POST /api/room/:roomId/ban/:identity, .../unban/:identity: owner level.
 * The ban is recorded first (bedrud_room_ban), so that it holds for
 * someone not connected, and for a guest by name too; then LiveKit
 * removes the participant (not connected: fine), and the room is told
 * "ban" (an E2EE room "rekey" too: the key is in every old link).
 */

void
ngx_http_bedrud_room_ban(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_ban(r, ctx, 1);
}


void
ngx_http_bedrud_room_unban(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_http_bedrud_mod_ban(r, ctx, 0);
}


static void
ngx_http_bedrud_mod_ban(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_uint_t ban)
{
    ngx_str_t               a[NGX_HTTP_BEDRUD_ROOM_BAN_N];
    ngx_uint_t              i;
    ngx_http_bedrud_mod_t  *st;

    static ngx_uint_t  keys[][2] = {
        { NGX_HTTP_BEDRUD_KEY_ROOM, NGX_HTTP_BEDRUD_ROOM_BAN_K_ROOM },
        { NGX_HTTP_BEDRUD_KEY_ROOM_BANS, NGX_HTTP_BEDRUD_ROOM_BAN_K_BANS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTBANS,
          NGX_HTTP_BEDRUD_ROOM_BAN_K_GUESTBANS },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTS, NGX_HTTP_BEDRUD_ROOM_BAN_K_GUESTS }
    };

    st = ngx_http_bedrud_mod_check(r, ctx);
    if (st == NULL) {
        return;
    }

    st->ban = ban;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (ngx_http_bedrud_key(r->pool, keys[i][0], &ctx->params[0],
                                &a[keys[i][1]])
            != NGX_OK)
        {
            ngx_http_bedrud_internal_error(r);
            return;
        }
    }

    a[NGX_HTTP_BEDRUD_ROOM_BAN_A_CALLER] = ctx->claims.user_id;
    ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_ROOM_BAN_A_SUPERADMIN],
                        ctx->claims.superadmin);
    a[NGX_HTTP_BEDRUD_ROOM_BAN_A_IDENTITY] = st->identity;

    if (ban) {
        ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_BAN_A_ACTION], "ban");

    } else {
        ngx_str_set(&a[NGX_HTTP_BEDRUD_ROOM_BAN_A_ACTION], "unban");
    }

    ngx_http_bedrud_call(r, ctx, ROOM_BAN, a, ngx_http_bedrud_mod_ban_done);
}


static void
ngx_http_bedrud_mod_ban_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                *v;
    ngx_http_bedrud_mod_t    *st;
    ngx_http_bedrud_reply_t  *rep;

    st = ctx->data;
    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_check(r, rep, ngx_http_bedrud_mod_owner_status,
                                    NULL)
        != NGX_OK)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "bedrud: room %V: \"%V\" %s by %V", &ctx->params[0],
                  &st->identity, st->ban ? "banned" : "unbanned",
                  &ctx->claims.user_id);

    if (!st->ban) {
        ngx_http_bedrud_mod_success(r, ctx);
        return;
    }

    /* {'OK', room name, e2ee} */

    v = ngx_http_bedrud_reply_str(rep, 1);
    if (v == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    st->room = *v;

    v = ngx_http_bedrud_reply_str(rep, 2);
    st->e2ee = (v && v->len == 1 && v->data[0] == '1');

    ngx_http_bedrud_livekit_call(r, ctx, "RemoveParticipant", &st->room,
                                 &st->identity, ngx_http_bedrud_mod_banned);
}


static void
ngx_http_bedrud_mod_banned(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    /* "not found": the participant need not be connected */

    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK
        && ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_NOT_FOUND)
    {
        ngx_http_bedrud_livekit_failed(r, ctx,
                                   "the ban is recorded, the participant "
                                   "could not be removed");
        return;
    }

    ngx_http_bedrud_mod_send(r, ctx, "ban", 0, ngx_http_bedrud_mod_told);
}


/*
 * The participant's metadata as an object of its own (a copy): Bedrud's
 * {"accesses":[...]} for users, "" (none) for guests, or whatever the
 * client wrote (canUpdateOwnMetadata); what is not an object starts anew.
 */

static json_t *
ngx_http_bedrud_mod_metadata(json_t *participant)
{
    json_t        *meta;
    const char    *text;
    json_error_t   err;

    text = json_string_value(json_object_get(participant, "metadata"));

    meta = (text && *text) ? json_loads(text, 0, &err) : NULL;

    if (meta != NULL && !json_is_object(meta)) {
        json_decref(meta);
        meta = NULL;
    }

    return meta ? meta : json_object();
}


static ngx_uint_t
ngx_http_bedrud_mod_has(json_t *list, const char *s)
{
    json_t  *v;
    size_t   i;

    json_array_foreach(list, i, v) {
        if (json_is_string(v) && ngx_strcmp(json_string_value(v), s) == 0) {
            return 1;
        }
    }

    return 0;
}


/* UpdateParticipant with new metadata (and permission); both are taken */

static void
ngx_http_bedrud_mod_update(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    json_t *metadata, json_t *permission, ngx_http_bedrud_step_pt next)
{
    json_t                 *body;
    ngx_str_t               text;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (ngx_http_bedrud_json_dump(r->pool, metadata, &text) != NGX_OK) {
        json_decref(metadata);

        if (permission) {
            json_decref(permission);
        }

        ngx_http_bedrud_internal_error(r);
        return;
    }

    json_decref(metadata);

    body = json_pack("{s:s%,s:s%,s:s%}",
                     "room", st->room.data, st->room.len,
                     "identity", st->identity.data, st->identity.len,
                     "metadata", text.data, text.len);

    if (body && permission
        && json_object_set_new(body, "permission", permission) != 0)
    {
        json_decref(body);
        body = NULL;

    } else if (body == NULL && permission) {
        json_decref(permission);
    }

    ngx_http_bedrud_mod_call(r, ctx, "UpdateParticipant", body, next);
}


/*
 * A system message (SendData, reliable, topic "system"), to the target
 * alone or to the whole room.  Its content is public by design: who did
 * what to whom, never key material.
 */

static void
ngx_http_bedrud_mod_send(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    const char *event, ngx_uint_t targeted, ngx_http_bedrud_step_pt next)
{
    json_t                 *msg, *body;
    ngx_str_t               text, data;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    msg = json_pack("{s:s,s:s,s:s%,s:s%}",
                    "type", "system", "event", event,
                    "actor", ctx->claims.user_id.data,
                    ctx->claims.user_id.len,
                    "target", st->identity.data, st->identity.len);

    if (msg == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (ngx_http_bedrud_json_dump(r->pool, msg, &text) != NGX_OK) {
        json_decref(msg);
        ngx_http_bedrud_internal_error(r);
        return;
    }

    json_decref(msg);

    data.data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(text.len));
    if (data.data == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_encode_base64(&data, &text);

    body = json_pack("{s:s%,s:s%,s:s,s:s}",
                     "room", st->room.data, st->room.len,
                     "data", data.data, data.len,
                     "kind", "RELIABLE",
                     "topic", NGX_HTTP_BEDRUD_SYSTEM_TOPIC);

    if (body && targeted
        && json_object_set_new(body, "destination_identities",
                               json_pack("[s%]", st->identity.data,
                                         st->identity.len))
           != 0)
    {
        json_decref(body);
        body = NULL;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "bedrud: room %V: system message \"%s\" about \"%V\"%s",
                  &ctx->params[0], event, &st->identity,
                  targeted ? ", to it" : "");

    ngx_http_bedrud_mod_call(r, ctx, "SendData", body, next);
}


/* a RoomService call with a JSON body (a new reference, taken) */

static void
ngx_http_bedrud_mod_call(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    const char *method, json_t *body, ngx_http_bedrud_step_pt next)
{
    ngx_int_t               rc;
    ngx_str_t               text;
    ngx_http_bedrud_mod_t  *st;

    st = ctx->data;

    if (body == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    rc = ngx_http_bedrud_json_dump(r->pool, body, &text);
    json_decref(body);

    if (rc != NGX_OK) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_livekit_request(r, ctx, method, NGX_HTTP_BEDRUD_LK_ADMIN,
                                    &st->room, &text, next);
}
