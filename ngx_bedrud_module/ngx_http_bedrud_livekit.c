
/*
 * Copyright (C) ngx_bedrud authors
 *
 * LiveKit join tokens: the claims and grants of one participant, derived
 * from the room's settings.  Pure functions, no request state.
 *
 * Bedrud grants every participant everything (no canPublish* claims at
 * all); here the room's settings are enforced by LiveKit itself:
 *
 *   allowVideo false   no "camera", no "screen_share"
 *   allowAudio false   no "microphone", no "screen_share_audio"
 *   both false         canPublish false
 *   allowChat false    canPublishData false
 *
 * canPublishSources is always emitted: LiveKit reads an absent or empty
 * list as "every source".
 *
 * No token ever carries roomRecord, roomAdmin, roomCreate, roomList,
 * recorder, hidden, agent or any egress configuration.  For E2EE rooms
 * this is what keeps the zero-knowledge promise: a recorder or egress
 * worker could otherwise join and ask participants for media, and a room
 * admin could publish a hidden participant.  The server never sees, makes
 * or stores key material; it only tells clients (the "e2ee" setting)
 * that they must encrypt.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


static json_t *ngx_http_bedrud_livekit_metadata(ngx_str_t *accesses);
static json_t *ngx_http_bedrud_livekit_video(
    ngx_http_bedrud_livekit_grant_t *g);


json_t *
ngx_http_bedrud_livekit_claims(ngx_http_bedrud_livekit_grant_t *g)
{
    json_t  *claims, *v;

    if (g->identity.len == 0 || g->room.len == 0) {
        return NULL;
    }

    claims = json_object();
    if (claims == NULL) {
        return NULL;
    }

    if (json_object_set_new(claims, "sub",
                            ngx_http_bedrud_json_string(&g->identity))
        != 0)
    {
        goto failed;
    }

    /* Bedrud omits an empty name */

    if (g->name.len
        && json_object_set_new(claims, "name",
                               ngx_http_bedrud_json_string(&g->name))
           != 0)
    {
        goto failed;
    }

    /* clients read "accesses" for badges; guests carry no metadata */

    if (!g->guest) {
        v = ngx_http_bedrud_livekit_metadata(&g->accesses);

        if (json_object_set_new(claims, "metadata", v) != 0) {
            goto failed;
        }
    }

    if (json_object_set_new(claims, "video",
                            ngx_http_bedrud_livekit_video(g))
        != 0)
    {
        goto failed;
    }

    return claims;

failed:

    json_decref(claims);

    return NULL;
}


ngx_int_t
ngx_http_bedrud_livekit_token(ngx_pool_t *pool, ngx_str_t *key,
    ngx_str_t *secret, ngx_http_bedrud_livekit_grant_t *g, time_t now,
    ngx_str_t *token)
{
    json_t     *claims;
    ngx_int_t   rc;

    if (key->len == 0 || secret->len == 0) {
        return NGX_DECLINED;
    }

    claims = ngx_http_bedrud_livekit_claims(g);
    if (claims == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_bedrud_jwt_livekit(pool, key, secret, claims, now,
                                     NGX_HTTP_BEDRUD_LIVEKIT_TTL, token);

    json_decref(claims);

    return rc;
}


/* {"accesses":[...]} as JSON text; {"accesses":null} if none, as Bedrud */

static json_t *
ngx_http_bedrud_livekit_metadata(ngx_str_t *accesses)
{
    char          *text;
    json_t        *acc, *meta, *s;
    json_error_t   err;

    acc = NULL;

    if (accesses->len) {
        acc = json_loadb((const char *) accesses->data, accesses->len, 0,
                         &err);

        if (acc != NULL && !json_is_array(acc)) {
            json_decref(acc);
            acc = NULL;
        }
    }

    meta = json_pack("{so}", "accesses", acc ? acc : json_null());
    if (meta == NULL) {
        return NULL;
    }

    text = json_dumps(meta, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(meta);

    if (text == NULL) {
        return NULL;
    }

    s = json_string(text);
    free(text);

    return s;
}


static json_t *
ngx_http_bedrud_livekit_video(ngx_http_bedrud_livekit_grant_t *g)
{
    json_t  *video, *sources;

    sources = json_array();
    if (sources == NULL) {
        return NULL;
    }

    /* LiveKit's order of TrackSource */

    if ((g->allow_video
         && json_array_append_new(sources, json_string("camera")) != 0)
        || (g->allow_audio
            && json_array_append_new(sources, json_string("microphone"))
               != 0)
        || (g->allow_video
            && json_array_append_new(sources, json_string("screen_share"))
               != 0)
        || (g->allow_audio
            && json_array_append_new(sources,
                                     json_string("screen_share_audio"))
               != 0))
    {
        json_decref(sources);
        return NULL;
    }

    video = json_pack("{sbsosbsbsosbsb}",
                      "roomJoin", 1,
                      "room", ngx_http_bedrud_json_string(&g->room),
                      "canPublish", (int) (g->allow_audio || g->allow_video),
                      "canPublishData", (int) g->allow_chat,
                      "canPublishSources", sources,
                      "canSubscribe", 1,
                      "canUpdateOwnMetadata", (int) !g->guest);

    return video;
}
