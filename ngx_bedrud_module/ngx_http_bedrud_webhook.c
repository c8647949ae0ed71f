
/*
 * Copyright (C) ngx_bedrud authors
 *
 * POST /api/livekit/webhook: LiveKit's webhooks (conf/livekit.yaml).
 *
 * LiveKit signs each delivery: "Authorization: <JWT>" (HS256 with the API
 * secret, "iss" the API key) whose "sha256" claim is the base64 SHA-256
 * of the body's exact bytes.  Both are checked before the body is parsed.
 * What an event means for a room is decided by the Redis function
 * bedrud_livekit_event (redis/rooms.lua); a participant it names is then
 * removed through RoomService.  This is where an E2EE room is enforced:
 * LiveKit itself accepts unencrypted tracks anywhere.
 *
 * LiveKit retries on 5xx (not 501) and on nothing else: a Redis outage
 * answers 503, so the event comes again; a bad delivery answers 4xx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_bedrud_module.h"


/* clock skew allowed on "nbf" and "exp", as LiveKit's own receiver */
#define NGX_HTTP_BEDRUD_WEBHOOK_LEEWAY     60

/* a connected participant holds its seat this long past the event */
#define NGX_HTTP_BEDRUD_PRESENCE_TTL       86400

/* names, identities and event ids: LiveKit's are far shorter */
#define NGX_HTTP_BEDRUD_WEBHOOK_FIELD_MAX  256

/* base64 of a SHA-256, with padding */
#define NGX_HTTP_BEDRUD_SHA256_B64_LEN     44


typedef struct {
    ngx_str_t                   event;
    ngx_str_t                   id;
    ngx_str_t                   room;
    ngx_str_t                   identity;
    ngx_str_t                   reason;    /* disconnectReason */
    ngx_str_t                   type;      /* the track's */
    ngx_str_t                   at;        /* createdAt, unix seconds */
    ngx_uint_t                  encrypted;
    ngx_uint_t                  known;     /* an event we act on */
    const char                 *action;    /* what the answer says */
} ngx_http_bedrud_webhook_t;


static ngx_int_t ngx_http_bedrud_webhook_verify(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_bedrud_webhook_parse(ngx_http_request_t *r,
    json_t *body, ngx_http_bedrud_webhook_t *wh);
static ngx_int_t ngx_http_bedrud_webhook_field(json_t *obj, const char *name,
    ngx_str_t *value);
static ngx_uint_t ngx_http_bedrud_webhook_known(ngx_str_t *event);
static void ngx_http_bedrud_webhook_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_webhook_reply(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);


void
ngx_http_bedrud_livekit_webhook(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_N];
    ngx_http_bedrud_webhook_t    *wh;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    wh = ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_webhook_t));
    if (wh == NULL) {
        return;
    }

    if (bmcf->livekit_key.len == 0 || bmcf->livekit_secret.len == 0) {
        /* 501: LiveKit does not retry it */
        ngx_http_bedrud_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                              "LiveKit is not configured");
        return;
    }

    rc = ngx_http_bedrud_webhook_verify(r, &ctx->raw);

    if (rc == NGX_ERROR) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "bedrud: LiveKit webhook refused: bad signature");
        ngx_http_bedrud_error(r, NGX_HTTP_UNAUTHORIZED,
                              "invalid webhook signature");
        return;
    }

    rc = ngx_http_bedrud_body_json(r, ctx, &ctx->raw);

    if (rc == NGX_OK) {
        rc = ngx_http_bedrud_webhook_parse(r, ctx->body, wh);
    }

    if (rc == NGX_ERROR) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Invalid webhook");
        return;
    }

    if (!wh->known) {
        wh->action = "none";
        ngx_http_bedrud_webhook_reply(r, ctx);
        return;
    }

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM_NAME, &wh->room,
                            &a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_K_ROOM_NAME])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_LK_EVENT, &wh->id,
                               &a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_K_EVENT])
           != NGX_OK
        || ngx_http_bedrud_num(r->pool,
                               ngx_time() + NGX_HTTP_BEDRUD_PRESENCE_TTL,
                               &a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_PRESENCE_EXP])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_EVENT] = wh->event;
    a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_IDENTITY] = wh->identity;
    a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_AT] = wh->at;
    ngx_http_bedrud_bit(&a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_ENCRYPTED],
                        wh->encrypted);
    a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_TRACK_TYPE] = wh->type;
    a[NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_REASON] = wh->reason;

    ngx_http_bedrud_call(r, ctx, LIVEKIT_EVENT, a,
                         ngx_http_bedrud_webhook_done);
}


/*
 * The signature: the token in "Authorization" (LiveKit sends it bare;
 * "Bearer " is taken too), its issuer and times, and the body's hash.
 */

static ngx_int_t
ngx_http_bedrud_webhook_verify(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char                        b64[NGX_HTTP_BEDRUD_SHA256_B64_LEN];
    u_char                        md[EVP_MAX_MD_SIZE];
    time_t                        now, nbf, exp;
    json_t                       *payload, *v;
    ngx_int_t                     rc;
    ngx_str_t                     token, digest, hash;
    unsigned int                  mdlen;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (ngx_http_bedrud_bearer(r, &token) != NGX_OK) {
        return NGX_DECLINED;
    }

    rc = ngx_http_bedrud_jwt_decode(r->pool, &token, &bmcf->livekit_secret,
                                    &payload);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_bedrud_json_pool(r->pool, payload) == NULL) {
        return NGX_ERROR;
    }

    /* signed by the key we gave LiveKit, not just with its secret */

    v = json_object_get(payload, "iss");

    if (!json_is_string(v)
        || json_string_length(v) != bmcf->livekit_key.len
        || ngx_memcmp(json_string_value(v), bmcf->livekit_key.data,
                      bmcf->livekit_key.len)
           != 0)
    {
        return NGX_DECLINED;
    }

    now = ngx_time();

    if (ngx_http_bedrud_jwt_time(payload, "exp", 1, &exp) != NGX_OK
        || ngx_http_bedrud_jwt_time(payload, "nbf", 0, &nbf) != NGX_OK
        || exp + NGX_HTTP_BEDRUD_WEBHOOK_LEEWAY <= now
        || nbf > now + NGX_HTTP_BEDRUD_WEBHOOK_LEEWAY)
    {
        return NGX_DECLINED;
    }

    /* the body as sent: LiveKit's JSON text is not canonical */

    v = json_object_get(payload, "sha256");

    if (!json_is_string(v)
        || json_string_length(v) != NGX_HTTP_BEDRUD_SHA256_B64_LEN)
    {
        return NGX_DECLINED;
    }

    if (EVP_Digest(body->data, body->len, md, &mdlen, EVP_sha256(), NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    digest.data = md;
    digest.len = mdlen;
    hash.data = b64;

    if (ngx_base64_encoded_length(mdlen) != NGX_HTTP_BEDRUD_SHA256_B64_LEN) {
        return NGX_ERROR;
    }

    ngx_encode_base64(&hash, &digest);

    if (CRYPTO_memcmp(json_string_value(v), hash.data, hash.len) != 0) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * LiveKit's protojson: lowerCamelCase names, zero values left out (an
 * unencrypted track has no "encryption"), int64 as strings, and fields we
 * do not know, to be ignored.
 */

static ngx_int_t
ngx_http_bedrud_webhook_parse(ngx_http_request_t *r, json_t *body,
    ngx_http_bedrud_webhook_t *wh)
{
    u_char     *p;
    json_t     *v;
    ngx_str_t   enc;
    ngx_int_t   n;

    if (ngx_http_bedrud_webhook_field(body, "event", &wh->event) != NGX_OK
        || wh->event.len == 0
        || ngx_http_bedrud_webhook_field(body, "id", &wh->id) != NGX_OK
        || wh->id.len == 0)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_webhook_field(json_object_get(body, "room"), "name",
                                      &wh->room)
        != NGX_OK
        || ngx_http_bedrud_webhook_field(json_object_get(body, "participant"),
                                         "identity", &wh->identity)
           != NGX_OK
        || ngx_http_bedrud_webhook_field(json_object_get(body, "participant"),
                                         "disconnectReason", &wh->reason)
           != NGX_OK
        || ngx_http_bedrud_webhook_field(json_object_get(body, "track"),
                                         "type", &wh->type)
           != NGX_OK
        || ngx_http_bedrud_webhook_field(json_object_get(body, "track"),
                                         "encryption", &enc)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /* zero values are left out: AUDIO (0) has no "type" */

    if (wh->type.len == 0 && json_object_get(body, "track") != NULL) {
        ngx_str_set(&wh->type, "AUDIO");
    }

    /* NONE (0) is left out; GCM and CUSTOM are encrypted */

    wh->encrypted = (enc.len != 0
                     && !(enc.len == 4
                          && ngx_strncmp(enc.data, "NONE", 4) == 0));

    /* "createdAt": int64, so a string; a number is taken too */

    v = json_object_get(body, "createdAt");

    if (json_is_string(v)) {
        n = ngx_atoi((u_char *) json_string_value(v), json_string_length(v));

    } else if (json_is_integer(v) && json_integer_value(v) >= 0
               && json_integer_value(v) < NGX_MAX_INT32_VALUE)
    {
        n = (ngx_int_t) json_integer_value(v);

    } else if (v == NULL) {
        n = ngx_time();

    } else {
        n = NGX_ERROR;
    }

    if (n == NGX_ERROR) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    wh->at.data = p;
    wh->at.len = ngx_sprintf(p, "%i", n) - p;

    /* the events we act on name their room, and all but one a person */

    wh->known = ngx_http_bedrud_webhook_known(&wh->event);

    if (wh->known) {
        if (wh->room.len == 0) {
            return NGX_DECLINED;
        }

        if (wh->identity.len == 0
            && !(wh->event.len == sizeof("room_finished") - 1
                 && ngx_strncmp(wh->event.data, "room_finished",
                                wh->event.len)
                    == 0))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* an optional string member of an optional object: "" when absent */

static ngx_int_t
ngx_http_bedrud_webhook_field(json_t *obj, const char *name,
    ngx_str_t *value)
{
    json_t  *v;

    ngx_str_set(value, "");

    if (obj == NULL) {
        return NGX_OK;
    }

    if (!json_is_object(obj)) {
        return NGX_DECLINED;
    }

    v = json_object_get(obj, name);

    if (v == NULL) {
        return NGX_OK;
    }

    if (!json_is_string(v)
        || json_string_length(v) > NGX_HTTP_BEDRUD_WEBHOOK_FIELD_MAX)
    {
        return NGX_DECLINED;
    }

    value->data = (u_char *) json_string_value(v);
    value->len = json_string_length(v);

    /* they become Redis keys and log text */

    if (ngx_http_bedrud_has_ctl(value->data, value->len)) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_bedrud_webhook_known(ngx_str_t *event)
{
    ngx_uint_t  i;

    static ngx_str_t  events[] = {
        ngx_string("track_published"),
        ngx_string("participant_joined"),
        ngx_string("participant_left"),
        ngx_string("participant_connection_aborted"),
        ngx_string("room_finished")
    };

    for (i = 0; i < sizeof(events) / sizeof(ngx_str_t); i++) {
        if (event->len == events[i].len
            && ngx_strncmp(event->data, events[i].data, event->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_bedrud_webhook_done(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                    *why;
    ngx_http_bedrud_reply_t      *rep;
    ngx_http_bedrud_webhook_t    *wh;
    ngx_http_bedrud_main_conf_t  *bmcf;

    wh = ctx->data;
    rep = ctx->replies[0];

    if (ngx_http_bedrud_reply_is(rep, "DUP")) {
        wh->action = "duplicate";

    } else if (ngx_http_bedrud_reply_is(rep, "NOROOM")) {
        wh->action = "unknown room";

    } else if (ngx_http_bedrud_reply_is(rep, "OK")) {
        wh->action = "recorded";

    } else if (ngx_http_bedrud_reply_is(rep, "REMOVE")
               && (why = ngx_http_bedrud_reply_str(rep, 1)) != NULL)
    {
        bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

        if (bmcf->livekit_api.len == 0) {
            /* nothing can be done about it: say so, loudly */
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "bedrud: room \"%V\": \"%V\" should be removed "
                          "(%V), but \"bedrud_livekit_api\" is not "
                          "configured", &wh->room, &wh->identity, why);
            wh->action = "not enforced";
            ngx_http_bedrud_webhook_reply(r, ctx);
            return;
        }

        wh->action = "removed";

        if (why->len == sizeof("unencrypted") - 1
            && ngx_strncmp(why->data, "unencrypted", why->len) == 0)
        {
            ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_E2EE_REMOVED);

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "bedrud: E2EE room \"%V\": \"%V\" published an "
                          "unencrypted %V track, removing it",
                          &wh->room, &wh->identity, &wh->type);

        } else {
            ngx_http_bedrud_metrics_count(NGX_HTTP_BEDRUD_BANNED_REMOVED);

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "bedrud: room \"%V\": banned \"%V\" connected, "
                          "removing it", &wh->room, &wh->identity);
        }

        ngx_http_bedrud_livekit_call(r, ctx, "RemoveParticipant", &wh->room,
                                     &wh->identity,
                                     ngx_http_bedrud_webhook_reply);
        return;

    } else {
        ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Failed to process webhook");
        return;
    }

    ngx_http_bedrud_webhook_reply(r, ctx);
}


static void
ngx_http_bedrud_webhook_reply(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    u_char                     *p;
    ngx_str_t                   text;
    ngx_http_bedrud_webhook_t  *wh;

    wh = ctx->data;

    p = ngx_pnalloc(r->pool, sizeof("{\"status\":\"ok\",\"action\":\"\"}")
                             + ngx_strlen(wh->action));
    if (p == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    text.data = p;
    text.len = ngx_sprintf(p, "{\"status\":\"ok\",\"action\":\"%s\"}",
                           wh->action)
               - p;

    ngx_http_bedrud_send_text(r, NGX_HTTP_OK, &text);
}
