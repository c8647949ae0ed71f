
/*
 * Copyright (C) ngx_bedrud authors
 *
 * The system settings record (GET and PUT /api/admin/settings): Bedrud's
 * SystemSettings, every field under its JSON name, in its order, stored
 * in "bedrud:settings" field by field (redis/SCHEMA.md).  No request
 * state.
 *
 * As Bedrud: secrets are answered as "••••••••" when set ("" when not),
 * and a secret sent as that mask, or empty, keeps its value.  Unlike
 * Bedrud, an update changes only the fields sent, and the answer says of
 * each field whether this server acts on it ("supported"): most of the
 * record mirrors Bedrud's config.yaml or features this server does not
 * have (OAuth, passkeys, S3, its own TLS); they are kept and returned,
 * never acted on, so that no client takes a provider stored here for one
 * that works.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_SETTING_BOOL     0
#define NGX_HTTP_BEDRUD_SETTING_INT      1
#define NGX_HTTP_BEDRUD_SETTING_STR      2
#define NGX_HTTP_BEDRUD_SETTING_SECRET   3

/* Bedrud's mask of a secret that is set: eight U+2022 (bullet) */
#define NGX_HTTP_BEDRUD_SECRET_MASK                                          \
    "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"                         \
    "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"

/* its columns are varchar(1024) at most */
#define NGX_HTTP_BEDRUD_SETTING_MAX      1024


typedef struct {
    const char                 *name;
    ngx_uint_t                  type;
    const char                 *def;       /* stored form of the default */
    ngx_uint_t                  supported;
} ngx_http_bedrud_setting_t;


#define B  NGX_HTTP_BEDRUD_SETTING_BOOL
#define I  NGX_HTTP_BEDRUD_SETTING_INT
#define S  NGX_HTTP_BEDRUD_SETTING_STR
#define X  NGX_HTTP_BEDRUD_SETTING_SECRET

/* Bedrud's order (models/settings.go); "id" and "updatedAt" around it */

static ngx_http_bedrud_setting_t  ngx_http_bedrud_settings_record[] = {
    { "registrationEnabled", B, "1", 1 },
    { "tokenRegistrationOnly", B, "0", 1 },
    { "passkeysEnabled", B, "0", 0 },
    { "googleClientId", S, "", 0 },
    { "googleClientSecret", X, "", 0 },
    { "googleRedirectUrl", S, "", 0 },
    { "githubClientId", S, "", 0 },
    { "githubClientSecret", X, "", 0 },
    { "githubRedirectUrl", S, "", 0 },
    { "twitterClientId", S, "", 0 },
    { "twitterClientSecret", X, "", 0 },
    { "twitterRedirectUrl", S, "", 0 },
    { "jwtSecret", X, "", 0 },
    { "tokenDuration", I, "24", 0 },
    { "sessionSecret", X, "", 0 },
    { "frontendUrl", S, "", 0 },
    { "serverPort", S, "", 0 },
    { "serverHost", S, "", 0 },
    { "serverDomain", S, "", 0 },
    { "serverEnableTls", B, "0", 0 },
    { "serverCertFile", S, "", 0 },
    { "serverKeyFile", S, "", 0 },
    { "serverUseAcme", B, "0", 0 },
    { "serverEmail", S, "", 0 },
    { "behindProxy", B, "0", 0 },
    { "livekitHost", S, "", 0 },
    { "livekitApiKey", S, "", 0 },
    { "livekitApiSecret", X, "", 0 },
    { "livekitExternal", B, "0", 0 },
    { "corsAllowedOrigins", S, "", 0 },
    { "corsAllowedHeaders", S, "", 0 },
    { "corsAllowedMethods", S, "", 0 },
    { "corsAllowCredentials", B, "0", 0 },
    { "corsMaxAge", I, "0", 0 },
    { "chatUploadBackend", S, "", 0 },
    { "chatUploadMaxBytes", I, "0", 1 },
    { "chatUploadInlineMax", I, "0", 0 },
    { "chatUploadDiskDir", S, "", 0 },
    { "chatUploadS3Endpoint", S, "", 0 },
    { "chatUploadS3Bucket", S, "", 0 },
    { "chatUploadS3Region", S, "", 0 },
    { "chatUploadS3AccessKey", S, "", 0 },
    { "chatUploadS3SecretKey", X, "", 0 },
    { "chatUploadS3PublicUrl", S, "", 0 },
    { "logLevel", S, "", 0 },
    { NULL, 0, NULL, 0 }
};

#undef B
#undef I
#undef S
#undef X


static ngx_str_t *ngx_http_bedrud_settings_find(ngx_http_bedrud_reply_t *rep,
    const char *name);
static json_t *ngx_http_bedrud_settings_value(ngx_http_bedrud_setting_t *s,
    ngx_str_t *stored);
static ngx_int_t ngx_http_bedrud_settings_arg(ngx_pool_t *pool,
    ngx_http_bedrud_setting_t *s, json_t *v, ngx_str_t *arg);


/*
 * The record from HGETALL's field/value list: Bedrud's SystemSettings
 * with secrets masked, then "supported" (each field's name: whether this
 * server acts on it).  A new reference, NULL on no memory or a reply
 * that is not a list.
 */

json_t *
ngx_http_bedrud_settings_json(ngx_http_bedrud_reply_t *rep)
{
    json_t                     *json, *supported, *v;
    ngx_str_t                  *stored;
    ngx_http_bedrud_setting_t  *s;

    if (rep == NULL || rep->type != NGX_HTTP_BEDRUD_REPLY_ARRAY) {
        return NULL;
    }

    json = json_pack("{s:i}", "id", 1);
    supported = json_object();

    if (json == NULL || supported == NULL) {
        goto failed;
    }

    for (s = ngx_http_bedrud_settings_record; s->name; s++) {
        stored = ngx_http_bedrud_settings_find(rep, s->name);

        v = ngx_http_bedrud_settings_value(s, stored);

        if (v == NULL || json_object_set_new(json, s->name, v) != 0
            || json_object_set_new(supported, s->name,
                                   json_boolean(s->supported))
               != 0)
        {
            goto failed;
        }
    }

    stored = ngx_http_bedrud_settings_find(rep, "updatedAt");

    v = stored ? ngx_http_bedrud_json_string(stored) : json_null();

    if (v == NULL || json_object_set_new(json, "updatedAt", v) != 0
        || json_object_set_new(json, "supported", supported) != 0)
    {
        supported = NULL;
        goto failed;
    }

    return json;

failed:

    if (json) {
        json_decref(json);
    }

    if (supported) {
        json_decref(supported);
    }

    return NULL;
}


/*
 * The field/value pairs of an update, for bedrud_admin_settings_set: the
 * fields sent (names as Bedrud's decoder takes them: any case), each with
 * the right JSON type; a null, or a secret sent as its mask or empty,
 * keeps the value.  args has room for two per field of the record; *n
 * gets their count.  NGX_DECLINED: a value of the wrong type, or text
 * over 1024 bytes or with control characters.
 */

ngx_int_t
ngx_http_bedrud_settings_update(ngx_pool_t *pool, json_t *body,
    ngx_str_t *args, ngx_uint_t *n)
{
    json_t                     *v;
    ngx_int_t                   rc;
    ngx_http_bedrud_setting_t  *s;

    *n = 0;

    for (s = ngx_http_bedrud_settings_record; s->name; s++) {
        v = ngx_http_bedrud_json_get(body, s->name);

        if (v == NULL || json_is_null(v)) {
            continue;
        }

        rc = ngx_http_bedrud_settings_arg(pool, s, v, &args[*n + 1]);

        if (rc == NGX_DONE) {
            continue;
        }

        if (rc != NGX_OK) {
            return rc;
        }

        args[*n].data = (u_char *) s->name;
        args[*n].len = ngx_strlen(s->name);

        *n += 2;
    }

    return NGX_OK;
}


/* how many strings an update may need: a field and a value per setting */

ngx_uint_t
ngx_http_bedrud_settings_max(void)
{
    return 2 * (sizeof(ngx_http_bedrud_settings_record)
                / sizeof(ngx_http_bedrud_setting_t) - 1);
}


/* a value stored: NGX_DONE for a secret left as it is */

static ngx_int_t
ngx_http_bedrud_settings_arg(ngx_pool_t *pool, ngx_http_bedrud_setting_t *s,
    json_t *v, ngx_str_t *arg)
{
    size_t       len;
    json_int_t   i;
    const char  *text;

    switch (s->type) {

    case NGX_HTTP_BEDRUD_SETTING_BOOL:
        if (!json_is_boolean(v)) {
            return NGX_DECLINED;
        }

        ngx_http_bedrud_bit(arg, json_is_true(v));
        return NGX_OK;

    case NGX_HTTP_BEDRUD_SETTING_INT:
        if (!json_is_integer(v)) {
            return NGX_DECLINED;
        }

        i = json_integer_value(v);

        if (i < 0 || i > 1000000000000LL) {
            return NGX_DECLINED;
        }

        return ngx_http_bedrud_num(pool, (int64_t) i, arg);

    default:
        if (!json_is_string(v)) {
            return NGX_DECLINED;
        }

        text = json_string_value(v);
        len = json_string_length(v);

        if (len > NGX_HTTP_BEDRUD_SETTING_MAX
            || ngx_http_bedrud_has_ctl((u_char *) text, len))
        {
            return NGX_DECLINED;
        }

        if (s->type == NGX_HTTP_BEDRUD_SETTING_SECRET
            && (len == 0
                || (len == sizeof(NGX_HTTP_BEDRUD_SECRET_MASK) - 1
                    && ngx_strncmp(text, NGX_HTTP_BEDRUD_SECRET_MASK, len)
                       == 0)))
        {
            return NGX_DONE;
        }

        arg->data = (u_char *) text;
        arg->len = len;

        return NGX_OK;
    }
}


/* a field of HGETALL's list; NULL when absent */

static ngx_str_t *
ngx_http_bedrud_settings_find(ngx_http_bedrud_reply_t *rep, const char *name)
{
    size_t       len;
    ngx_str_t   *f;
    ngx_uint_t   i;

    len = ngx_strlen(name);

    for (i = 0; i + 1 < rep->nelts; i += 2) {
        f = ngx_http_bedrud_reply_str(rep, i);

        if (f && f->len == len && ngx_strncmp(f->data, name, len) == 0) {
            return ngx_http_bedrud_reply_str(rep, i + 1);
        }
    }

    return NULL;
}


/* the JSON value of a setting as stored (or its default); secrets masked */

static json_t *
ngx_http_bedrud_settings_value(ngx_http_bedrud_setting_t *s,
    ngx_str_t *stored)
{
    ngx_int_t  n;
    ngx_str_t  def;

    if (stored == NULL) {
        def.data = (u_char *) s->def;
        def.len = ngx_strlen(s->def);
        stored = &def;
    }

    switch (s->type) {

    case NGX_HTTP_BEDRUD_SETTING_BOOL:
        return json_boolean(stored->len == 1 && stored->data[0] == '1');

    case NGX_HTTP_BEDRUD_SETTING_INT:
        n = ngx_atoi(stored->data, stored->len);
        return json_integer(n == NGX_ERROR ? 0 : n);

    case NGX_HTTP_BEDRUD_SETTING_SECRET:
        return json_string(stored->len ? NGX_HTTP_BEDRUD_SECRET_MASK : "");

    default:
        return ngx_http_bedrud_json_string(stored);
    }
}


/*
 * chatUploadMaxBytes as stored in HGETALL's list (or HGET's answer): 0
 * when not set, which is this server's own limit.
 */

off_t
ngx_http_bedrud_settings_upload_max(ngx_str_t *stored)
{
    off_t  n;

    if (stored == NULL || stored->len == 0) {
        return 0;
    }

    n = ngx_atoof(stored->data, stored->len);

    return (n == NGX_ERROR) ? 0 : n;
}
