
/*
 * Copyright (C) ngx_bedrud authors
 *
 * The administration's live view (/api/admin/..., superadmin only): who is
 * in a room now and whether each track is encrypted (LiveKit's
 * ListParticipants), how many are online (the presence LiveKit's webhooks
 * keep), and LiveKit's rooms (ListRooms).  The admin's kick and mute are
 * the room's own (ngx_http_bedrud_moderation.c).
 *
 * Bedrud's shapes; fixed on the way:
 *  - the online count is who is connected now (Bedrud counted every user
 *    who ever joined a room: the number only grew);
 *  - LiveKit down or not configured is a JSON 502 saying so (Bedrud: an
 *    empty participant list, or a 500);
 *  - each track says its encryption (NONE, GCM, CUSTOM), so that an admin
 *    can see an E2EE room is encrypted.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


static void ngx_http_bedrud_admin_room_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_participants_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static json_t *ngx_http_bedrud_admin_participant(json_t *p);
static json_t *ngx_http_bedrud_admin_track(json_t *t);
static void ngx_http_bedrud_admin_online_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_admin_stats_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static json_t *ngx_http_bedrud_admin_answer(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *list);
static json_t *ngx_http_bedrud_admin_str(json_t *obj, const char *snake,
    const char *camel);


/* per-request state */
typedef struct {
    json_t                     *room;      /* the Room object */
    ngx_str_t                   name;
} ngx_http_bedrud_admin_live_t;


/*
 * GET /api/admin/rooms/:roomId/participants:
 * {"participants":[{"sid","identity","name","state","joinedAt",
 *  "isPublisher","tracks":[{"sid","type","source","muted","bitrate",
 *  "encryption"}]}],"room":Room}
 */

void
ngx_http_bedrud_admin_participants(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t              argv[2];
    ngx_http_bedrud_cmd_t  cmd;

    if (ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_admin_live_t))
        == NULL)
    {
        return;
    }

    if (ngx_http_bedrud_uuid_valid(&ctx->params[0]) != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
        return;
    }

    ngx_str_set(&argv[0], "HGETALL");

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM, &ctx->params[0],
                            &argv[1])
        != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    cmd.argc = 2;
    cmd.argv = argv;

    ngx_http_bedrud_query(r, ctx, &cmd, 1, ngx_http_bedrud_admin_room_done);
}


static void
ngx_http_bedrud_admin_room_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                        *name;
    ngx_str_t                      body;
    ngx_http_bedrud_admin_live_t  *st;

    st = ctx->data;

    st->room = ngx_http_bedrud_room_json(ctx->replies[0], 0);

    if (st->room == NULL) {
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_FOUND, "Room not found");
        return;
    }

    if (ngx_http_bedrud_json_pool(r->pool, st->room) == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    name = json_object_get(st->room, "name");

    st->name.data = (u_char *) json_string_value(name);
    st->name.len = json_string_length(name);

    if (st->name.data == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    body.len = sizeof("{\"room\":\"\"}") - 1
               + ngx_http_bedrud_json_escape_len(&st->name);
    body.data = ngx_pnalloc(r->pool, body.len);
    if (body.data == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    body.len = ngx_http_bedrud_json_escape(ngx_cpymem(body.data, "{\"room\":\"",
                                           sizeof("{\"room\":\"") - 1),
                                           &st->name)
               - body.data;
    body.data[body.len++] = '"';
    body.data[body.len++] = '}';

    ngx_http_bedrud_livekit_request(r, ctx, "ListParticipants",
                                    NGX_HTTP_BEDRUD_LK_ADMIN, &st->name,
                                    &body,
                                    ngx_http_bedrud_admin_participants_done);
}


static void
ngx_http_bedrud_admin_participants_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t                        *answer, *list, *p, *item;
    size_t                         i;
    ngx_http_bedrud_admin_live_t  *st;

    st = ctx->data;

    list = json_array();
    if (list == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    /* not_found: LiveKit has no media room of that name, nobody is in */

    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_NOT_FOUND) {

        answer = ngx_http_bedrud_admin_answer(r, ctx, "participants");
        if (answer == NULL) {
            json_decref(list);
            return;
        }

        json_array_foreach(json_object_get(answer, "participants"), i, p) {
            item = ngx_http_bedrud_admin_participant(p);

            if (item == NULL || json_array_append_new(list, item) != 0) {
                json_decref(list);
                ngx_http_bedrud_internal_error(r);
                return;
            }
        }
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{s:o,s:O}", "participants", list,
                                   "room", st->room));
}


static json_t *
ngx_http_bedrud_admin_participant(json_t *p)
{
    json_t  *tracks, *t, *item;
    size_t   i;

    tracks = json_array();
    if (tracks == NULL) {
        return NULL;
    }

    json_array_foreach(json_object_get(p, "tracks"), i, t) {
        item = ngx_http_bedrud_admin_track(t);

        if (item == NULL || json_array_append_new(tracks, item) != 0) {
            json_decref(tracks);
            return NULL;
        }
    }

    return json_pack("{s:o,s:o,s:o,s:o,s:I,s:b,s:o}",
                     "sid", ngx_http_bedrud_admin_str(p, "sid", NULL),
                     "identity",
                     ngx_http_bedrud_admin_str(p, "identity", NULL),
                     "name", ngx_http_bedrud_admin_str(p, "name", NULL),
                     "state", ngx_http_bedrud_admin_str(p, "state", NULL),
                     "joinedAt",
                     (json_int_t) ngx_http_bedrud_livekit_int(p, "joined_at",
                                                              "joinedAt"),
                     "isPublisher",
                     json_is_true(json_object_get(p, "is_publisher"))
                     || json_is_true(json_object_get(p, "isPublisher")),
                     "tracks", tracks);
}


/*
 * A track: Bedrud's fields, its bitrate the highest of its layers'; and
 * "encryption", what the publisher told LiveKit ("NONE" when absent).
 */

static json_t *
ngx_http_bedrud_admin_track(json_t *t)
{
    json_t      *enc, *layer;
    size_t       i;
    int64_t      bitrate, b;
    const char  *e;

    bitrate = 0;

    json_array_foreach(json_object_get(t, "layers"), i, layer) {
        b = ngx_http_bedrud_livekit_int(layer, "bitrate", NULL);

        if (b > bitrate) {
            bitrate = b;
        }
    }

    enc = json_object_get(t, "encryption");
    e = json_is_string(enc) ? json_string_value(enc) : "NONE";

    return json_pack("{s:o,s:o,s:o,s:b,s:I,s:s}",
                     "sid", ngx_http_bedrud_admin_str(t, "sid", NULL),
                     "type", ngx_http_bedrud_admin_str(t, "type", NULL),
                     "source", ngx_http_bedrud_admin_str(t, "source", NULL),
                     "muted", json_is_true(json_object_get(t, "muted")),
                     "bitrate", (json_int_t) bitrate,
                     "encryption", e);
}


/*
 * GET /api/admin/online-count: {"count": n}, the identities connected to
 * any room now (each once), from the webhooks' presence.
 */

void
ngx_http_bedrud_admin_online_count(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  a[NGX_HTTP_BEDRUD_ADMIN_ONLINE_N];

    ngx_str_set(&a[NGX_HTTP_BEDRUD_ADMIN_ONLINE_K_LIVE],
                NGX_HTTP_BEDRUD_LIVE_KEY);

    ngx_http_bedrud_call(r, ctx, ADMIN_ONLINE, a,
                         ngx_http_bedrud_admin_online_done);
}


static void
ngx_http_bedrud_admin_online_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t   n;
    ngx_str_t  *count;

    if (ngx_http_bedrud_reply_check(r, ctx->replies[0], NULL, NULL)
        != NGX_OK)
    {
        return;
    }

    count = ngx_http_bedrud_reply_str(ctx->replies[0], 1);
    n = count ? ngx_atoi(count->data, count->len) : NGX_ERROR;

    if (n == NGX_ERROR) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{s:I}", "count", (json_int_t) n));
}


/*
 * GET /api/admin/livekit/stats: {"totalParticipants","totalPublishers",
 * "activeRooms","rooms":[{"name","numParticipants","numPublishers",
 * "creationTime"}]}, from LiveKit's ListRooms.
 */

void
ngx_http_bedrud_admin_livekit_stats(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t  body;

    ngx_str_set(&body, "{}");

    ngx_http_bedrud_livekit_request(r, ctx, "ListRooms",
                                    NGX_HTTP_BEDRUD_LK_LIST, NULL, &body,
                                    ngx_http_bedrud_admin_stats_done);
}


static void
ngx_http_bedrud_admin_stats_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    json_t   *answer, *list, *room, *item;
    size_t    i;
    int64_t   participants, publishers, np, npub;

    answer = ngx_http_bedrud_admin_answer(r, ctx, "rooms");
    if (answer == NULL) {
        return;
    }

    list = json_array();
    if (list == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    participants = 0;
    publishers = 0;

    json_array_foreach(json_object_get(answer, "rooms"), i, room) {
        np = ngx_http_bedrud_livekit_int(room, "num_participants",
                                         "numParticipants");
        npub = ngx_http_bedrud_livekit_int(room, "num_publishers",
                                           "numPublishers");
        participants += np;
        publishers += npub;

        item = json_pack("{s:o,s:I,s:I,s:I}",
                         "name", ngx_http_bedrud_admin_str(room, "name",
                                                           NULL),
                         "numParticipants", (json_int_t) np,
                         "numPublishers", (json_int_t) npub,
                         "creationTime",
                         (json_int_t) ngx_http_bedrud_livekit_int(room,
                                              "creation_time",
                                              "creationTime"));

        if (item == NULL || json_array_append_new(list, item) != 0) {
            json_decref(list);
            ngx_http_bedrud_internal_error(r);
            return;
        }
    }

    ngx_http_bedrud_send(r, NGX_HTTP_OK,
                         json_pack("{s:I,s:I,s:I,s:o}",
                                   "totalParticipants",
                                   (json_int_t) participants,
                                   "totalPublishers", (json_int_t) publishers,
                                   "activeRooms",
                                   (json_int_t) json_array_size(list),
                                   "rooms", list));
}


/*
 * LiveKit's answer as an object with an array "list" (possibly empty),
 * tied to the request; NULL when the answer has been given instead.
 */

static json_t *
ngx_http_bedrud_admin_answer(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, const char *list)
{
    json_t        *json, *v;
    json_error_t   err;

    if (ctx->livekit.outcome != NGX_HTTP_BEDRUD_LK_OK) {
        ngx_http_bedrud_livekit_failed(r, ctx, NULL);
        return NULL;
    }

    json = json_loadb((const char *) ctx->livekit.body.data,
                      ctx->livekit.body.len, 0, &err);

    v = json_is_object(json) ? json_object_get(json, list) : NULL;

    if (!json_is_object(json)
        || (v != NULL && !json_is_array(v) && !json_is_null(v)))
    {
        if (json) {
            json_decref(json);
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bedrud: LiveKit's answer has no \"%s\" list", list);

        ctx->livekit.outcome = NGX_HTTP_BEDRUD_LK_REFUSED;
        ngx_http_bedrud_livekit_failed(r, ctx, NULL);
        return NULL;
    }

    if (ngx_http_bedrud_json_pool(r->pool, json) == NULL) {
        ngx_http_bedrud_internal_error(r);
        return NULL;
    }

    return json;
}


/* a string field (a new reference); "" when absent or not a string */

static json_t *
ngx_http_bedrud_admin_str(json_t *obj, const char *snake, const char *camel)
{
    json_t  *v;

    v = json_object_get(obj, snake);

    if (v == NULL && camel) {
        v = json_object_get(obj, camel);
    }

    if (!json_is_string(v)) {
        return json_string("");
    }

    return json_stringn(json_string_value(v), json_string_length(v));
}
