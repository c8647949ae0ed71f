
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
 *
 * A join is CPU-bound and the token was most of it, so the payload is
 * written directly here, without jansson or libjwt: the same claims in
 * the same bytes as libjwt wrote them (keys sorted, jansson's escapes),
 * which t/unit checks against the jansson and libjwt build.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


/* the payload's fixed text is 279 bytes, plus the two times */
#define NGX_HTTP_BEDRUD_LIVEKIT_TEXT     (512 + 2 * NGX_TIME_T_LEN)

/* a JSON string's worst case: every byte a control, "\u00XX" */
#define NGX_HTTP_BEDRUD_LIVEKIT_ESCAPED  6

#define ngx_http_bedrud_livekit_cpy(p, text)                                 \
    ngx_cpymem(p, text, sizeof(text) - 1)


static ngx_int_t ngx_http_bedrud_livekit_text_ok(ngx_str_t *s);
static ngx_int_t ngx_http_bedrud_livekit_accesses(ngx_pool_t *pool,
    ngx_str_t *accesses, ngx_str_t *text);
static ngx_int_t ngx_http_bedrud_livekit_canonical(const u_char *p,
    size_t len);
static u_char *ngx_http_bedrud_livekit_time(u_char *p, time_t t);
static u_char *ngx_http_bedrud_livekit_video(u_char *p,
    ngx_http_bedrud_livekit_grant_t *g);


/* canPublishSources by (allow_video << 1 | allow_audio), LiveKit's order */

static ngx_str_t  ngx_http_bedrud_livekit_sources[] = {
    ngx_string(""),
    ngx_string("\"microphone\",\"screen_share_audio\""),
    ngx_string("\"camera\",\"screen_share\""),
    ngx_string("\"camera\",\"microphone\",\"screen_share\","
               "\"screen_share_audio\"")
};


ngx_int_t
ngx_http_bedrud_livekit_token(ngx_pool_t *pool, ngx_str_t *key,
    ngx_str_t *secret, ngx_http_bedrud_livekit_grant_t *g, time_t now,
    ngx_str_t *token)
{
    u_char     *p, *payload;
    size_t      size;
    ngx_str_t   accesses;

    if (key->len == 0 || secret->len == 0) {
        return NGX_DECLINED;
    }

    if (g->identity.len == 0 || g->room.len == 0) {
        return NGX_ERROR;
    }

    if (ngx_http_bedrud_livekit_text_ok(key) != NGX_OK
        || ngx_http_bedrud_livekit_text_ok(&g->identity) != NGX_OK
        || ngx_http_bedrud_livekit_text_ok(&g->name) != NGX_OK
        || ngx_http_bedrud_livekit_text_ok(&g->room) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* clients read "accesses" for badges; guests carry no metadata */

    ngx_str_null(&accesses);

    if (!g->guest
        && ngx_http_bedrud_livekit_accesses(pool, &g->accesses, &accesses)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    size = NGX_HTTP_BEDRUD_LIVEKIT_TEXT
           + NGX_HTTP_BEDRUD_LIVEKIT_ESCAPED
             * (key->len + g->identity.len + g->name.len + g->room.len
                + accesses.len);

    payload = ngx_pnalloc(pool, size);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    /* libjwt sorted the keys of every object: so do we, by hand */

    p = ngx_http_bedrud_livekit_cpy(payload, "{\"exp\":");
    p = ngx_http_bedrud_livekit_time(p, now + NGX_HTTP_BEDRUD_LIVEKIT_TTL);

    p = ngx_http_bedrud_livekit_cpy(p, ",\"iss\":\"");
    p = ngx_http_bedrud_json_escape(p, key);

    if (!g->guest) {
        /* a string claim holding {"accesses":[...]}, null if none */

        p = ngx_http_bedrud_livekit_cpy(p,
                                        "\",\"metadata\":\"{\\\"accesses\\\":");
        p = ngx_http_bedrud_json_escape(p, &accesses);
        *p++ = '}';
    }

    /* Bedrud omits an empty name */

    if (g->name.len) {
        p = ngx_http_bedrud_livekit_cpy(p, "\",\"name\":\"");
        p = ngx_http_bedrud_json_escape(p, &g->name);
    }

    p = ngx_http_bedrud_livekit_cpy(p, "\",\"nbf\":");
    p = ngx_http_bedrud_livekit_time(p, now);

    p = ngx_http_bedrud_livekit_cpy(p, ",\"sub\":\"");
    p = ngx_http_bedrud_json_escape(p, &g->identity);

    p = ngx_http_bedrud_livekit_cpy(p, "\",\"video\":");
    p = ngx_http_bedrud_livekit_video(p, g);
    *p++ = '}';

    return ngx_http_bedrud_jwt_encode(pool, secret, payload, p - payload,
                                      token);
}


/* the "video" grant: what the room's settings let the participant do */

static u_char *
ngx_http_bedrud_livekit_video(u_char *p, ngx_http_bedrud_livekit_grant_t *g)
{
    ngx_str_t  *src;

    src = &ngx_http_bedrud_livekit_sources[(g->allow_video << 1)
                                           | g->allow_audio];

    p = ngx_http_bedrud_livekit_cpy(p, "{\"canPublish\":");
    p = ngx_http_bedrud_write_bool(p, g->allow_audio || g->allow_video);

    p = ngx_http_bedrud_livekit_cpy(p, ",\"canPublishData\":");
    p = ngx_http_bedrud_write_bool(p, g->allow_chat);

    p = ngx_http_bedrud_livekit_cpy(p, ",\"canPublishSources\":[");
    p = ngx_cpymem(p, src->data, src->len);

    p = ngx_http_bedrud_livekit_cpy(p, "],\"canSubscribe\":true"
                                       ",\"canUpdateOwnMetadata\":");
    p = ngx_http_bedrud_write_bool(p, !g->guest);

    p = ngx_http_bedrud_livekit_cpy(p, ",\"room\":\"");
    p = ngx_http_bedrud_json_escape(p, &g->room);

    return ngx_http_bedrud_livekit_cpy(p, "\",\"roomJoin\":true}");
}


static ngx_int_t
ngx_http_bedrud_livekit_text_ok(ngx_str_t *s)
{
    /*
     * What jansson took before: valid UTF-8, and no NUL, since libjwt
     * parsed the claims again and its parser refuses "\u0000"
     */

    if (s->len && ngx_strlchr(s->data, s->data + s->len, '\0') != NULL) {
        return NGX_DECLINED;
    }

    return ngx_http_bedrud_utf8_valid(s->data, s->len);
}


/*
 * The accesses array as jansson would dump it; "null" if none, or if it
 * is not an array, as Bedrud.
 */

static ngx_int_t
ngx_http_bedrud_livekit_accesses(ngx_pool_t *pool, ngx_str_t *accesses,
    ngx_str_t *text)
{
    char    *s;
    json_t  *acc;
    size_t   len;

    if (accesses->len == 0) {
        ngx_str_set(text, "null");
        return NGX_OK;
    }

    /* the access token's accesses are jansson's compact dump already */

    if (ngx_http_bedrud_livekit_canonical(accesses->data, accesses->len)
        == NGX_OK)
    {
        *text = *accesses;
        return NGX_OK;
    }

    /* never from a verified token: parsed and dumped again, as before */

    acc = json_loadb((const char *) accesses->data, accesses->len, 0, NULL);

    if (!json_is_array(acc)) {
        json_decref(acc);
        ngx_str_set(text, "null");
        return NGX_OK;
    }

    s = json_dumps(acc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(acc);

    if (s == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(s);

    text->data = ngx_pnalloc(pool, len);
    if (text->data == NULL) {
        free(s);
        return NGX_ERROR;
    }

    ngx_memcpy(text->data, s, len);
    text->len = len;

    free(s);

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_livekit_canonical(const u_char *p, size_t len)
{
    u_char         c, d;
    const u_char  *last;

    /*
     * An array of strings exactly as jansson dumps it compactly, so that
     * parsing and dumping it again would change nothing: no white space,
     * valid UTF-8, only the escapes jansson writes: \" \\ \b \f \n \r \t,
     * and \u00XX, capitals, for the other controls but NUL.
     */

    if (len < 2 || p[0] != '[' || p[len - 1] != ']') {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_utf8_valid(p, len) != NGX_OK) {
        return NGX_DECLINED;
    }

    last = p + len - 1;
    p++;

    if (p == last) {
        return NGX_OK;
    }

    for ( ;; ) {
        if (p == last || *p++ != '"') {
            return NGX_DECLINED;
        }

        for ( ;; ) {
            if (p == last) {
                return NGX_DECLINED;
            }

            c = *p++;

            if (c == '"') {
                break;
            }

            if (c < 0x20) {
                return NGX_DECLINED;
            }

            if (c != '\\') {
                continue;
            }

            if (p == last) {
                return NGX_DECLINED;
            }

            c = *p++;

            if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n'
                || c == 'r' || c == 't')
            {
                continue;
            }

            if (c != 'u' || last - p < 4 || p[0] != '0' || p[1] != '0'
                || (p[2] != '0' && p[2] != '1'))
            {
                return NGX_DECLINED;
            }

            d = p[3];

            if (d >= '0' && d <= '9') {
                c = (u_char) ((p[2] - '0') * 16 + d - '0');

            } else if (d >= 'A' && d <= 'F') {
                c = (u_char) ((p[2] - '0') * 16 + d - 'A' + 10);

            } else {
                return NGX_DECLINED;
            }

            if (c == '\0' || c == '\b' || c == '\f' || c == '\n'
                || c == '\r' || c == '\t')
            {
                return NGX_DECLINED;
            }

            p += 4;
        }

        if (p == last) {
            return NGX_OK;
        }

        if (*p++ != ',') {
            return NGX_DECLINED;
        }
    }
}


static u_char *
ngx_http_bedrud_livekit_time(u_char *p, time_t t)
{
    u_char     *q;
    uint64_t    v;
    u_char      digits[NGX_INT64_LEN];

    /* "%T" without ngx_sprintf(), which the unit tests do not link */

    if (t < 0) {
        *p++ = '-';
        v = (uint64_t) 0 - (uint64_t) t;

    } else {
        v = (uint64_t) t;
    }

    q = digits + NGX_INT64_LEN;

    do {
        *--q = (u_char) ('0' + v % 10);
        v /= 10;
    } while (v);

    return ngx_cpymem(p, q, digits + NGX_INT64_LEN - q);
}
