
/*
 * Copyright (C) ngx_bedrud authors
 *
 * The room record, as stored in "bedrud:room:{<roomId>}" (redis/SCHEMA.md):
 * read from HGETALL's pairs or from a join's JOIN_FIELDS, written as
 * Bedrud's Room object, and its settings (the five switches) in their
 * stored JSON form.  No request state.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


static void ngx_http_bedrud_room_field(ngx_http_bedrud_room_t *room,
    ngx_str_t *f, ngx_str_t *v, ngx_str_t *settings);
static ngx_uint_t ngx_http_bedrud_room_bit(ngx_str_t *v);
static ngx_int_t ngx_http_bedrud_room_max(ngx_str_t *v);
static ngx_uint_t ngx_http_bedrud_room_flag_get(ngx_http_bedrud_room_t *room,
    ngx_uint_t i);
static void ngx_http_bedrud_room_flag(ngx_http_bedrud_room_t *room,
    ngx_uint_t i, ngx_uint_t on);
static ngx_int_t ngx_http_bedrud_room_finish(ngx_http_bedrud_room_t *room,
    ngx_str_t *settings);
static ngx_int_t ngx_http_bedrud_room_settings_scan(ngx_str_t *text,
    ngx_http_bedrud_room_t *room);
static void ngx_http_bedrud_room_settings_parse(ngx_str_t *text,
    ngx_http_bedrud_room_t *room);


/* the record's string fields, as stored, and where they go */

typedef struct {
    ngx_str_t                   name;
    size_t                      offset;
} ngx_http_bedrud_room_string_t;


static ngx_http_bedrud_room_string_t  ngx_http_bedrud_room_strings[] = {
    { ngx_string("id"), offsetof(ngx_http_bedrud_room_t, id) },
    { ngx_string("name"), offsetof(ngx_http_bedrud_room_t, name) },
    { ngx_string("createdBy"), offsetof(ngx_http_bedrud_room_t, created_by) },
    { ngx_string("adminId"), offsetof(ngx_http_bedrud_room_t, admin_id) },
    { ngx_string("mode"), offsetof(ngx_http_bedrud_room_t, mode) },
    { ngx_string("createdAt"), offsetof(ngx_http_bedrud_room_t, created_at) },
    { ngx_string("updatedAt"), offsetof(ngx_http_bedrud_room_t, updated_at) },
    { ngx_string("expiresAt"), offsetof(ngx_http_bedrud_room_t, expires_at) }
};


/* RoomSettings' switches, in the wire order */

const char  *ngx_http_bedrud_room_flags[NGX_HTTP_BEDRUD_ROOM_FLAGS] = {
    "allowChat", "allowVideo", "allowAudio", "requireApproval", "e2ee"
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


/*
 * The record of a join answer: the values of JOIN_FIELDS by position, a
 * nil for a field the record lacks.  A dozen values instead of HGETALL's
 * pairs halve what Redis converts and hiredis allocates on the hottest
 * path.
 */

ngx_int_t
ngx_http_bedrud_room_join_parse(ngx_http_bedrud_reply_t *reply,
    ngx_http_bedrud_room_t *room)
{
    ngx_uint_t                i;
    ngx_str_t                 v[NGX_HTTP_BEDRUD_JOIN_NFIELDS];
    ngx_http_bedrud_reply_t  *e;

    if (reply == NULL || reply->type != NGX_HTTP_BEDRUD_REPLY_ARRAY
        || reply->nelts != NGX_HTTP_BEDRUD_JOIN_NFIELDS + 1)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_BEDRUD_JOIN_NFIELDS; i++) {
        e = reply->elts[i + 1];

        if (e->type == NGX_HTTP_BEDRUD_REPLY_STRING) {
            v[i] = e->str;

        } else {
            ngx_str_null(&v[i]);
        }
    }

    ngx_memzero(room, sizeof(ngx_http_bedrud_room_t));

    room->id = v[NGX_HTTP_BEDRUD_JOIN_F_ID];
    room->name = v[NGX_HTTP_BEDRUD_JOIN_F_NAME];
    room->created_by = v[NGX_HTTP_BEDRUD_JOIN_F_CREATED_BY];
    room->admin_id = v[NGX_HTTP_BEDRUD_JOIN_F_ADMIN_ID];
    room->mode = v[NGX_HTTP_BEDRUD_JOIN_F_MODE];
    room->created_at = v[NGX_HTTP_BEDRUD_JOIN_F_CREATED_AT];
    room->updated_at = v[NGX_HTTP_BEDRUD_JOIN_F_UPDATED_AT];
    room->expires_at = v[NGX_HTTP_BEDRUD_JOIN_F_EXPIRES_AT];
    room->active =
        ngx_http_bedrud_room_bit(&v[NGX_HTTP_BEDRUD_JOIN_F_IS_ACTIVE]);
    room->public =
        ngx_http_bedrud_room_bit(&v[NGX_HTTP_BEDRUD_JOIN_F_IS_PUBLIC]);
    room->max_participants =
        ngx_http_bedrud_room_max(&v[NGX_HTTP_BEDRUD_JOIN_F_MAX_PARTICIPANTS]);

    return ngx_http_bedrud_room_finish(room,
                                       &v[NGX_HTTP_BEDRUD_JOIN_F_SETTINGS]);
}


/* one field of HGETALL's pairs */

static void
ngx_http_bedrud_room_field(ngx_http_bedrud_room_t *room, ngx_str_t *f,
    ngx_str_t *v, ngx_str_t *settings)
{
    ngx_uint_t                      i;
    ngx_http_bedrud_room_string_t  *rs;

    for (i = 0; i < sizeof(ngx_http_bedrud_room_strings)
                    / sizeof(ngx_http_bedrud_room_string_t); i++)
    {
        rs = &ngx_http_bedrud_room_strings[i];

        if (f->len == rs->name.len
            && ngx_strncmp(f->data, rs->name.data, f->len) == 0)
        {
            *(ngx_str_t *) ((u_char *) room + rs->offset) = *v;
            return;
        }
    }

#define ngx_http_bedrud_is(name)                                              \
    (f->len == sizeof(name) - 1 && ngx_strncmp(f->data, name, f->len) == 0)

    if (ngx_http_bedrud_is("isActive")) {
        room->active = ngx_http_bedrud_room_bit(v);

    } else if (ngx_http_bedrud_is("isPublic")) {
        room->public = ngx_http_bedrud_room_bit(v);

    } else if (ngx_http_bedrud_is("settings")) {
        *settings = *v;

    } else if (ngx_http_bedrud_is("maxParticipants")) {
        room->max_participants = ngx_http_bedrud_room_max(v);
    }

#undef ngx_http_bedrud_is
}


/* a stored switch: "1" is on, anything else (nil included) off */

static ngx_uint_t
ngx_http_bedrud_room_bit(ngx_str_t *v)
{
    return (v->len == 1 && v->data[0] == '1');
}


/* the stored capacity, as sent (<= 0: no limit); nil or junk: the default */

static ngx_int_t
ngx_http_bedrud_room_max(ngx_str_t *v)
{
    u_char     *p, *last;
    ngx_int_t   n, sign;

    p = v->data;
    last = p + v->len;
    sign = 1;

    if (p < last && *p == '-') {
        sign = -1;
        p++;
    }

    n = ngx_atoi(p, last - p);

    return (n == NGX_ERROR) ? NGX_HTTP_BEDRUD_ROOM_SEATS : sign * n;
}


/* switch i of ngx_http_bedrud_room_flags[] */

static ngx_uint_t
ngx_http_bedrud_room_flag_get(ngx_http_bedrud_room_t *room, ngx_uint_t i)
{
    switch (i) {

    case 0:
        return room->allow_chat;

    case 1:
        return room->allow_video;

    case 2:
        return room->allow_audio;

    case 3:
        return room->require_approval;

    default:
        return room->e2ee;
    }
}


static void
ngx_http_bedrud_room_flag(ngx_http_bedrud_room_t *room, ngx_uint_t i,
    ngx_uint_t on)
{
    on = on ? 1 : 0;

    switch (i) {

    case 0:
        room->allow_chat = on;
        break;

    case 1:
        room->allow_video = on;
        break;

    case 2:
        room->allow_audio = on;
        break;

    case 3:
        room->require_approval = on;
        break;

    default:
        room->e2ee = on;
        break;
    }
}


static ngx_int_t
ngx_http_bedrud_room_finish(ngx_http_bedrud_room_t *room,
    ngx_str_t *settings)
{
    ngx_str_t   *v;
    ngx_uint_t   i;

    if (room->id.len == 0) {
        return NGX_ERROR;
    }

    /* strings must not be NULL for jansson */

    for (i = 0; i < sizeof(ngx_http_bedrud_room_strings)
                    / sizeof(ngx_http_bedrud_room_string_t); i++)
    {
        v = (ngx_str_t *) ((u_char *) room
                           + ngx_http_bedrud_room_strings[i].offset);

        if (v->data == NULL) {
            ngx_str_set(v, "");
        }
    }

    if (room->mode.len == 0) {
        ngx_str_set(&room->mode, "standard");
    }

    ngx_http_bedrud_room_settings_parse(settings, room);

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
ngx_http_bedrud_room_item(ngx_http_bedrud_reply_t *reply)
{
    return ngx_http_bedrud_room_json(reply, 0);
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

ngx_int_t
ngx_http_bedrud_room_settings_body(json_t *body, ngx_uint_t create,
    ngx_http_bedrud_room_t *room, ngx_uint_t *present)
{
    json_t      *s;
    ngx_int_t    rc;
    ngx_flag_t   v;
    ngx_uint_t   i;

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

    for (i = 0; i < NGX_HTTP_BEDRUD_ROOM_FLAGS; i++) {
        rc = ngx_http_bedrud_json_bool(s, ngx_http_bedrud_room_flags[i], &v);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            ngx_http_bedrud_room_flag(room, i, v);
        }
    }

    return NGX_OK;
}


/* the stored form: the JSON object of Bedrud's wire format */

ngx_int_t
ngx_http_bedrud_room_settings_text(ngx_pool_t *pool,
    ngx_http_bedrud_room_t *room, ngx_str_t *text)
{
    text->data = ngx_pnalloc(pool, NGX_HTTP_BEDRUD_ROOM_SETTINGS_LEN);
    if (text->data == NULL) {
        return NGX_ERROR;
    }

    text->len = ngx_http_bedrud_room_settings_write(text->data, room)
                - text->data;

    return NGX_OK;
}


/*
 * The settings object's text, {"allowChat":true,...}: keys in Bedrud's
 * order, byte for byte what jansson writes; at most
 * NGX_HTTP_BEDRUD_ROOM_SETTINGS_LEN bytes.
 */

u_char *
ngx_http_bedrud_room_settings_write(u_char *p, ngx_http_bedrud_room_t *room)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_BEDRUD_ROOM_FLAGS; i++) {
        *p++ = i ? ',' : '{';
        *p++ = '"';
        p = ngx_cpymem(p, ngx_http_bedrud_room_flags[i],
                       ngx_strlen(ngx_http_bedrud_room_flags[i]));
        *p++ = '"';
        *p++ = ':';
        p = ngx_http_bedrud_write_bool(p,
                                       ngx_http_bedrud_room_flag_get(room, i));
    }

    *p++ = '}';

    return p;
}


/*
 * Every join reads the settings: the flat form stored by nginx and by
 * the Redis functions ({"allowChat":true,...}, plain keys, booleans) is
 * read without jansson; anything else takes the general path below.
 * Unknown keys are ignored and the last of duplicates wins, as there.
 */

static ngx_int_t
ngx_http_bedrud_room_settings_scan(ngx_str_t *text,
    ngx_http_bedrud_room_t *room)
{
    u_char                  *p, *end, *k;
    size_t                   klen;
    ngx_uint_t               v, i;
    ngx_http_bedrud_room_t   scanned;

    /* into a copy: a text that turns out malformed changes nothing */

    scanned = *room;

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

        for (i = 0; i < NGX_HTTP_BEDRUD_ROOM_FLAGS; i++) {
            if (klen == ngx_strlen(ngx_http_bedrud_room_flags[i])
                && ngx_strncmp(k, ngx_http_bedrud_room_flags[i], klen) == 0)
            {
                ngx_http_bedrud_room_flag(&scanned, i, v);
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

    *room = scanned;

    return NGX_OK;
}


static void
ngx_http_bedrud_room_settings_parse(ngx_str_t *text,
    ngx_http_bedrud_room_t *room)
{
    json_t        *json, *v;
    ngx_uint_t     i;
    json_error_t   err;

    /* Bedrud's defaults for a missing or damaged record */

    room->allow_chat = 1;
    room->allow_video = 1;
    room->allow_audio = 1;
    room->require_approval = 0;
    room->e2ee = 0;

    if (text->len == 0
        || ngx_http_bedrud_room_settings_scan(text, room) == NGX_OK)
    {
        return;
    }

    json = json_loadb((const char *) text->data, text->len, 0, &err);
    if (json == NULL) {
        return;
    }

    for (i = 0; i < NGX_HTTP_BEDRUD_ROOM_FLAGS; i++) {
        v = json_object_get(json, ngx_http_bedrud_room_flags[i]);

        if (json_is_boolean(v)) {
            ngx_http_bedrud_room_flag(room, i, json_is_true(v));
        }
    }

    json_decref(json);
}
