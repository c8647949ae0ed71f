
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Redis key names (redis/SCHEMA.md), each written here only, and the
 * other values the Redis functions take: numbers, the current time.
 * No request state.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


typedef struct {
    ngx_str_t                   prefix;
    ngx_str_t                   suffix;
} ngx_http_bedrud_key_name_t;


/* by NGX_HTTP_BEDRUD_KEY_*: "<prefix><id><suffix>" */

static ngx_http_bedrud_key_name_t  ngx_http_bedrud_key_names[] = {
    { ngx_string("bedrud:user:{"), ngx_string("}") },
    { ngx_string("bedrud:user:{"), ngx_string("}:rooms") },
    { ngx_string("bedrud:sessions:{"), ngx_string("}") },
    { ngx_string("bedrud:email:"), ngx_null_string },
    { ngx_string("bedrud:invite:"), ngx_null_string },
    { ngx_string("bedrud:inviteid:"), ngx_null_string },
    { ngx_string("bedrud:room:{"), ngx_string("}") },
    { ngx_string("bedrud:room:{"), ngx_string("}:seats") },
    { ngx_string("bedrud:room:{"), ngx_string("}:bans") },
    { ngx_string("bedrud:room:{"), ngx_string("}:guestbans") },
    { ngx_string("bedrud:room:{"), ngx_string("}:guests") },
    { ngx_string("bedrud:room:{"), ngx_string("}:guestexp") },
    { ngx_string("bedrud:room:{"), ngx_string("}:mods") },
    { ngx_string("bedrud:room:{"), ngx_string("}:presence") },
    { ngx_string("bedrud:roomname:"), ngx_null_string },
    { ngx_string("bedrud:lkevent:"), ngx_null_string },
    { ngx_string("bedrud:loginfail:"), ngx_null_string }
};


/* the fields of NGX_HTTP_BEDRUD_SETTINGS_KEY */

ngx_str_t  ngx_http_bedrud_settings[NGX_HTTP_BEDRUD_SETTINGS_N] = {
    ngx_string("registrationEnabled"),
    ngx_string("tokenRegistrationOnly"),
    ngx_string("passkeysEnabled")
};


/* The key of one kind (NGX_HTTP_BEDRUD_KEY_USER, ...) for an id. */

ngx_int_t
ngx_http_bedrud_key(ngx_pool_t *pool, ngx_uint_t kind, ngx_str_t *id,
    ngx_str_t *key)
{
    u_char                      *p;
    ngx_http_bedrud_key_name_t  *name;

    if (kind >= sizeof(ngx_http_bedrud_key_names)
                / sizeof(ngx_http_bedrud_key_name_t))
    {
        return NGX_ERROR;
    }

    name = &ngx_http_bedrud_key_names[kind];

    p = ngx_pnalloc(pool, name->prefix.len + id->len + name->suffix.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    key->data = p;

    p = ngx_cpymem(p, name->prefix.data, name->prefix.len);
    p = ngx_cpymem(p, id->data, id->len);
    p = ngx_cpymem(p, name->suffix.data, name->suffix.len);

    key->len = p - key->data;

    return NGX_OK;
}


/* "bedrud:session:{<user id>}:<fam>": one login session of a user */

ngx_int_t
ngx_http_bedrud_session_key(ngx_pool_t *pool, ngx_str_t *uid, ngx_str_t *fam,
    ngx_str_t *key)
{
    u_char  *p;

    p = ngx_pnalloc(pool, sizeof("bedrud:session:{}:") - 1 + uid->len
                          + fam->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    key->data = p;

    p = ngx_cpymem(p, "bedrud:session:{", sizeof("bedrud:session:{") - 1);
    p = ngx_cpymem(p, uid->data, uid->len);
    p = ngx_cpymem(p, "}:", 2);
    p = ngx_cpymem(p, fam->data, fam->len);

    key->len = p - key->data;

    return NGX_OK;
}


/* A decimal number. */

ngx_int_t
ngx_http_bedrud_num(ngx_pool_t *pool, int64_t n, ngx_str_t *s)
{
    u_char    *p, *last;
    uint64_t   u;
    u_char     buf[NGX_INT64_LEN];

    u = (n < 0) ? -(uint64_t) n : (uint64_t) n;

    last = buf + NGX_INT64_LEN;
    p = last;

    do {
        *--p = (u_char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (n < 0) {
        *--p = '-';
    }

    s->len = last - p;

    s->data = ngx_pnalloc(pool, s->len);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, p, s->len);

    return NGX_OK;
}


/* A switch: "1" or "0". */

void
ngx_http_bedrud_bit(ngx_str_t *s, ngx_uint_t on)
{
    if (on) {
        ngx_str_set(s, "1");

    } else {
        ngx_str_set(s, "0");
    }
}


/* The current time, RFC 3339 (ngx_http_bedrud_timestamp()). */

ngx_int_t
ngx_http_bedrud_now_stamp(ngx_pool_t *pool, ngx_str_t *s)
{
    s->data = ngx_pnalloc(pool, NGX_HTTP_BEDRUD_TIMESTAMP_LEN);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_http_bedrud_timestamp(s->data, &s->len);

    return NGX_OK;
}


/*
 * HMGET of the first n switches; argv has room for 2 + n strings.
 */

void
ngx_http_bedrud_settings_cmd(ngx_http_bedrud_cmd_t *cmd, ngx_str_t *argv,
    ngx_uint_t n)
{
    ngx_uint_t  i;

    ngx_str_set(&argv[0], "HMGET");
    ngx_str_set(&argv[1], NGX_HTTP_BEDRUD_SETTINGS_KEY);

    for (i = 0; i < n; i++) {
        argv[2 + i] = ngx_http_bedrud_settings[i];
    }

    cmd->argc = 2 + n;
    cmd->argv = argv;
}


/*
 * The revocation log's entry for "the access tokens of user <uid> before
 * version <ver> are stale": "u:<uid>:<ver>" (tokens_stale() in
 * redis/admin.lua), into buf[NGX_HTTP_BEDRUD_STALE_ID_LEN].  A token of
 * version v is stale once the entry of v + 1 exists.
 */

ngx_int_t
ngx_http_bedrud_stale_id(ngx_str_t *uid, uint64_t ver, u_char *buf,
    ngx_str_t *id)
{
    u_char  *p, *q, *last, ch;

    if (uid->len == 0
        || uid->len > NGX_HTTP_BEDRUD_STALE_ID_LEN - sizeof("u::") + 1
                      - NGX_INT64_LEN)
    {
        return NGX_DECLINED;
    }

    p = ngx_cpymem(buf, "u:", 2);
    p = ngx_cpymem(p, uid->data, uid->len);
    *p++ = ':';

    /* the digits, backwards, then turned around */

    last = p;

    do {
        *last++ = (u_char) ('0' + ver % 10);
        ver /= 10;
    } while (ver);

    for (q = last - 1; p < q; p++, q--) {
        ch = *p;
        *p = *q;
        *q = ch;
    }

    id->data = buf;
    id->len = last - buf;

    return NGX_OK;
}
