
/*
 * Copyright (C) ngx_bedrud authors
 *
 * HTTP plumbing shared by the handlers: JSON replies (each finalizes the
 * request exactly once), request bodies parsed with limits, cookies and
 * the caller's token.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_JSON_DEPTH    16
#define NGX_HTTP_BEDRUD_QUERY_MAX     1000000000


static void ngx_http_bedrud_body_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_bedrud_header_in(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_bedrud_body_bytes(ngx_http_request_t *r,
    ngx_str_t *raw);
static void ngx_http_bedrud_json_cleanup(void *data);
static json_t *ngx_http_bedrud_json_value(json_t *obj, const char *key);
static size_t ngx_http_bedrud_json_len(json_t *json, ngx_uint_t depth);
static u_char *ngx_http_bedrud_json_write(u_char *p, json_t *json);


void
ngx_http_bedrud_send(ngx_http_request_t *r, ngx_uint_t status, json_t *json)
{
    ngx_int_t               rc;
    ngx_str_t               text;
    ngx_http_bedrud_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    if (ctx == NULL || ctx->done) {
        if (json) {
            json_decref(json);
        }

        return;
    }

    if (json == NULL) {
        ngx_str_set(&text, "null");

    } else {
        rc = ngx_http_bedrud_json_dump(r->pool, json, &text);
        json_decref(json);

        if (rc != NGX_OK) {
            ctx->done = 1;
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    ngx_http_bedrud_send_text(r, status, &text);
}


/* Sends JSON text that a handler wrote itself (the hot join reply). */

void
ngx_http_bedrud_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *text)
{
    ngx_int_t               rc;
    ngx_buf_t              *b;
    ngx_str_t               v;
    ngx_chain_t             out;
    ngx_http_bedrud_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    if (ctx == NULL || ctx->done) {
        return;
    }

    ctx->done = 1;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    b->pos = text->data;
    b->last = text->data + text->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = text->len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    /* API answers are per user: never cache them anywhere */
    ngx_str_set(&v, "no-store");
    (void) ngx_http_bedrud_add_header(r, "Cache-Control", &v);
    ngx_str_set(&v, "nosniff");
    (void) ngx_http_bedrud_add_header(r, "X-Content-Type-Options", &v);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
}


/*
 * Compact JSON text of a reply, in the objects' insertion order, byte for
 * byte as json_dumps(JSON_COMPACT) writes it, but in two passes over the
 * pool: jansson's dumper grows its buffer through a callback per token
 * and was a fifth of a join's CPU.
 */

ngx_int_t
ngx_http_bedrud_json_dump(ngx_pool_t *pool, json_t *json, ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = ngx_http_bedrud_json_len(json, 0);
    if (len == 0) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = ngx_http_bedrud_json_write(p, json) - p;

    return NGX_OK;
}


/* 0: not representable (too deep, a real number) */

static size_t
ngx_http_bedrud_json_len(json_t *json, ngx_uint_t depth)
{
    size_t       len, n;
    json_t      *v;
    ngx_str_t    s;
    ngx_uint_t   i;
    const char  *key;

    if (depth > 32) {
        return 0;
    }

    switch (json_typeof(json)) {

    case JSON_OBJECT:
        len = 2;

        json_object_foreach(json, key, v) {
            s.data = (u_char *) key;
            s.len = ngx_strlen(key);

            n = ngx_http_bedrud_json_len(v, depth + 1);
            if (n == 0) {
                return 0;
            }

            len += ngx_http_bedrud_json_escape_len(&s) + 4 + n;
        }

        return len;

    case JSON_ARRAY:
        len = 2;

        for (i = 0; i < json_array_size(json); i++) {
            n = ngx_http_bedrud_json_len(json_array_get(json, i), depth + 1);
            if (n == 0) {
                return 0;
            }

            len += n + 1;
        }

        return len;

    case JSON_STRING:
        s.data = (u_char *) json_string_value(json);
        s.len = json_string_length(json);

        return ngx_http_bedrud_json_escape_len(&s) + 2;

    case JSON_INTEGER:
        return NGX_INT64_LEN;

    case JSON_TRUE:
    case JSON_NULL:
        return 4;

    case JSON_FALSE:
        return 5;

    default:
        return 0;
    }
}


static u_char *
ngx_http_bedrud_json_write(u_char *p, json_t *json)
{
    json_t      *v;
    ngx_str_t    s;
    ngx_uint_t   i, n;
    const char  *key;

    switch (json_typeof(json)) {

    case JSON_OBJECT:
        *p++ = '{';
        n = 0;

        json_object_foreach(json, key, v) {
            if (n++) {
                *p++ = ',';
            }

            s.data = (u_char *) key;
            s.len = ngx_strlen(key);

            *p++ = '"';
            p = ngx_http_bedrud_json_escape(p, &s);
            *p++ = '"';
            *p++ = ':';
            p = ngx_http_bedrud_json_write(p, v);
        }

        *p++ = '}';
        return p;

    case JSON_ARRAY:
        *p++ = '[';

        for (i = 0; i < json_array_size(json); i++) {
            if (i) {
                *p++ = ',';
            }

            p = ngx_http_bedrud_json_write(p, json_array_get(json, i));
        }

        *p++ = ']';
        return p;

    case JSON_STRING:
        s.data = (u_char *) json_string_value(json);
        s.len = json_string_length(json);

        *p++ = '"';
        p = ngx_http_bedrud_json_escape(p, &s);
        *p++ = '"';
        return p;

    case JSON_INTEGER:
        return ngx_sprintf(p, "%L", (int64_t) json_integer_value(json));

    case JSON_TRUE:
        return ngx_cpymem(p, "true", 4);

    case JSON_FALSE:
        return ngx_cpymem(p, "false", 5);

    default:
        return ngx_cpymem(p, "null", 4);
    }
}


void
ngx_http_bedrud_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    ngx_http_bedrud_send(r, status, json_pack("{ss}", "error", message));
}


void
ngx_http_bedrud_unavailable(ngx_http_request_t *r)
{
    ngx_str_t  v;

    ngx_str_set(&v, "1");
    (void) ngx_http_bedrud_add_header(r, "Retry-After", &v);

    ngx_http_bedrud_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                          "service unavailable");
}


void
ngx_http_bedrud_internal_error(ngx_http_request_t *r)
{
    ngx_http_bedrud_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                          "internal server error");
}


ngx_int_t
ngx_http_bedrud_add_header(ngx_http_request_t *r, const char *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    return NGX_OK;
}


/* Cookies as Bedrud sets them, HttpOnly, Path=/, but SameSite=Lax always. */

ngx_int_t
ngx_http_bedrud_set_cookie(ngx_http_request_t *r, const char *name,
    ngx_str_t *value, time_t max_age)
{
    u_char                       *p;
    size_t                        len;
    ngx_str_t                     v;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    len = ngx_strlen(name) + 1 + value->len
          + sizeof("; Path=/; Max-Age=") - 1 + NGX_TIME_T_LEN
          + sizeof("; Expires=Thu, 01 Jan 1970 00:00:00 GMT") - 1
          + sizeof("; HttpOnly; SameSite=Lax; Secure") - 1
          + sizeof("; Domain=") - 1 + bmcf->cookie_domain.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v.data = p;

    p = ngx_sprintf(p, "%s=%V; Path=/", name, value);

    if (max_age > 0) {
        p = ngx_sprintf(p, "; Max-Age=%T", max_age);

    } else {
        p = ngx_cpymem(p, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                       sizeof("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 "
                              "GMT") - 1);
    }

    if (bmcf->cookie_domain.len) {
        p = ngx_sprintf(p, "; Domain=%V", &bmcf->cookie_domain);
    }

    /*
     * Lax, Secure or not: Bedrud's clients are same-origin, and None
     * would hand the cookies to any site's requests (Bedrud's choice).
     */

    p = ngx_cpymem(p, "; HttpOnly; SameSite=Lax",
                   sizeof("; HttpOnly; SameSite=Lax") - 1);

    if (bmcf->cookie_secure == 1) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    v.len = p - v.data;

    return ngx_http_bedrud_add_header(r, "Set-Cookie", &v);
}


ngx_int_t
ngx_http_bedrud_get_cookie(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_str_t  n;

    n.data = (u_char *) name;
    n.len = ngx_strlen(name);

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, &n, value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

    return value->len ? NGX_OK : NGX_DECLINED;
}


/*
 * Whether a request that a cookie authenticates comes from our own pages:
 * its Origin is the request's own (scheme and Host) or one of
 * bedrud_trusted_origins; without an Origin, Sec-Fetch-Site must say
 * "same-origin".  Browsers send one or the other with every request but
 * GET and HEAD, so another site's form, fetch or beacon, another port of
 * the same host included (SameSite does not tell those apart), is
 * refused: NGX_DECLINED.
 */

ngx_int_t
ngx_http_bedrud_same_origin(ngx_http_request_t *r)
{
    ngx_str_t                     origin, site, scheme, *o;
    ngx_uint_t                    i, n;
    ngx_http_bedrud_main_conf_t  *bmcf;

    n = ngx_http_bedrud_header_in(r, "Origin", &origin);

    if (n > 1) {
        return NGX_DECLINED;
    }

    if (n == 0) {
        return (ngx_http_bedrud_header_in(r, "Sec-Fetch-Site", &site) == 1
                && site.len == sizeof("same-origin") - 1
                && ngx_strncasecmp(site.data, (u_char *) "same-origin",
                                   site.len)
                   == 0)
               ? NGX_OK : NGX_DECLINED;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https");

    } else
#endif
    {
        ngx_str_set(&scheme, "http");
    }

    if (r->headers_in.host
        && ngx_http_bedrud_origin_match(&origin, &scheme,
                                        &r->headers_in.host->value)
           == NGX_OK)
    {
        return NGX_OK;
    }

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (bmcf->trusted_origins) {
        o = bmcf->trusted_origins->elts;

        for (i = 0; i < bmcf->trusted_origins->nelts; i++) {
            if (origin.len == o[i].len
                && ngx_strncasecmp(origin.data, o[i].data, origin.len) == 0)
            {
                return NGX_OK;
            }
        }
    }

    return NGX_DECLINED;
}


/* A request header by name: how many there are, the first one's value. */

static ngx_uint_t
ngx_http_bedrud_header_in(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    size_t            len;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    n = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            if (n++ == 0) {
                *value = h[i].value;
            }
        }
    }

    return n;
}


/*
 * The token of the Authorization header, as Bedrud takes it: "Bearer <t>"
 * (any case) or the bare value, spaces around it dropped.  NGX_DECLINED:
 * no header, or an empty one (Go's c.Get() == ""), so the caller may look
 * elsewhere; NGX_ERROR: a header with no token in it.
 */

ngx_int_t
ngx_http_bedrud_bearer(ngx_http_request_t *r, ngx_str_t *token)
{
    ngx_str_t  v;

    if (r->headers_in.authorization == NULL
        || r->headers_in.authorization->value.len == 0)
    {
        return NGX_DECLINED;
    }

    v = r->headers_in.authorization->value;

    if (v.len >= sizeof("Bearer ") - 1
        && ngx_strncasecmp(v.data, (u_char *) "Bearer ",
                           sizeof("Bearer ") - 1)
           == 0)
    {
        v.data += sizeof("Bearer ") - 1;
        v.len -= sizeof("Bearer ") - 1;
    }

    while (v.len && v.data[0] == ' ') {
        v.data++;
        v.len--;
    }

    while (v.len && v.data[v.len - 1] == ' ') {
        v.len--;
    }

    if (v.len == 0) {
        return NGX_ERROR;
    }

    *token = v;

    return NGX_OK;
}


/*
 * Reads and parses the JSON body, then runs the route's handler.  Returns
 * what the content handler returns.
 */

ngx_int_t
ngx_http_bedrud_read_body(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (r->headers_in.content_length_n > (off_t) bmcf->body_limit) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        r->main->count++;
        ngx_http_bedrud_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                              "request body too large");
        return NGX_DONE;
    }

    r->request_body_in_single_buf = 1;
    r->request_body_in_persistent_file = 0;

    rc = ngx_http_read_client_request_body(r, ngx_http_bedrud_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        r->keepalive = 0;
        r->main->count++;
        ngx_http_bedrud_error(r, rc,
                              rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
                              ? "request body too large"
                              : "could not read request body");
        return NGX_DONE;
    }

    return NGX_DONE;
}


static void
ngx_http_bedrud_body_handler(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_str_t               raw;
    ngx_http_bedrud_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    rc = ngx_http_bedrud_body_bytes(r, &raw);

    if (rc == NGX_OK && ctx->route->raw) {
        /* checked (a signature) before it is parsed */
        ctx->raw = raw;
        ngx_http_bedrud_run(r, ctx);
        return;
    }

    /*
     * The content type must be JSON's, exactly: a browser sends other
     * types cross-site without asking the server first (CORS).  (A raw
     * route, LiveKit's webhook, checks its signature instead.)
     */

    if (rc == NGX_OK
        && (r->headers_in.content_type == NULL
            || ngx_http_bedrud_json_media_type(
                                       &r->headers_in.content_type->value)
               != NGX_OK))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: request body is not declared as JSON");
        rc = NGX_DECLINED;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_bedrud_body_json(r, ctx, &raw);
    }

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        r->keepalive = 0;
        ngx_http_bedrud_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                              "request body too large");
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    if (rc != NGX_OK) {
        if (!ctx->route->body_optional) {
            ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST,
                                  ctx->route->invalid);
            return;
        }

        ctx->body_error = 1;
    }

    ngx_http_bedrud_run(r, ctx);
}


/*
 * The body's bytes in one piece: NGX_DECLINED when there are none,
 * NGX_HTTP_REQUEST_ENTITY_TOO_LARGE over bedrud_body_limit.
 */

static ngx_int_t
ngx_http_bedrud_body_bytes(ngx_http_request_t *r, ngx_str_t *raw)
{
    u_char                       *p;
    size_t                        len;
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    ngx_str_null(raw);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: empty request body");
        return NGX_DECLINED;
    }

    /*
     * The API locations buffer bodies up to bedrud_body_limit in memory
     * (see the postconfiguration handler): a body in a temporary file is
     * over the limit, and is never read back.
     */

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        if (ngx_buf_in_memory(b)) {
            len += b->last - b->pos;
        }
    }

    if (len > bmcf->body_limit) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    b = r->request_body->bufs->buf;

    if (r->request_body->bufs->next == NULL && ngx_buf_in_memory(b)) {
        p = b->pos;

    } else {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            if (ngx_buf_in_memory(cl->buf)) {
                p = ngx_cpymem(p, cl->buf->pos,
                               cl->buf->last - cl->buf->pos);
            }
        }

        p -= len;
    }

    raw->data = p;
    raw->len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_body_json(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_str_t *raw)
{
    u_char        *p, *copy;
    size_t         len;
    json_t        *json;
    json_error_t   err;

    p = raw->data;
    len = raw->len;

    if (len == 0 || ngx_strlchr(p, p + len, '\0') != NULL
        || ngx_http_bedrud_json_depth_ok(p, len, NGX_HTTP_BEDRUD_JSON_DEPTH)
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: empty, NUL-bearing or too deep JSON body");
        return NGX_DECLINED;
    }

    /* jansson checks UTF-8; "\u0000" in strings is checked per field */

    json = json_loadb((const char *) p, len,
                      JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);

    if (json == NULL
        && (json_error_code(&err) == json_error_numeric_overflow
            || json_error_code(&err) == json_error_null_byte_in_key))
    {
        /* Go skips unknown keys unread: whatever they hold, or are */

        copy = ngx_pnalloc(r->pool, len);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(copy, p, len);

        if (ngx_http_bedrud_json_tame(copy, len)) {
            json = json_loadb((const char *) copy, len,
                              JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
        }
    }

    if (json == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: invalid JSON body: %s", err.text);
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_json_pool(r->pool, json) == NULL) {
        return NGX_ERROR;
    }

    if (!json_is_object(json)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "bedrud: JSON body is not an object");
        return NGX_DECLINED;
    }

    ctx->body = json;

    return NGX_OK;
}


/*
 * An optionally signed decimal query argument; absent or empty gives the
 * default, anything but digits NGX_ERROR.  Any number of digits is read,
 * the value clamped to +-10^9: the callers' ranges are far inside, and
 * page * limit stays far from overflow.
 */

ngx_int_t
ngx_http_bedrud_arg_int(ngx_http_request_t *r, const char *name,
    ngx_int_t def, ngx_int_t *value)
{
    u_char     *p, *last;
    ngx_int_t   n, neg;
    ngx_str_t   v;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &v) != NGX_OK
        || v.len == 0)
    {
        *value = def;
        return NGX_OK;
    }

    p = v.data;
    last = v.data + v.len;
    neg = 0;

    if (*p == '-' || *p == '+') {
        neg = (*p == '-');
        p++;
    }

    if (p == last) {
        return NGX_ERROR;
    }

    for (n = 0; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        if (n < NGX_HTTP_BEDRUD_QUERY_MAX) {
            n = ngx_min(n * 10 + (*p - '0'), NGX_HTTP_BEDRUD_QUERY_MAX);
        }
    }

    *value = neg ? -n : n;

    return NGX_OK;
}


/* Ties a jansson value's lifetime to a pool. */

json_t *
ngx_http_bedrud_json_pool(ngx_pool_t *pool, json_t *json)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        json_decref(json);
        return NULL;
    }

    cln->handler = ngx_http_bedrud_json_cleanup;
    cln->data = json;

    return json;
}


static void
ngx_http_bedrud_json_cleanup(void *data)
{
    json_decref(data);
}


/* Go's encoding/json matches keys case-insensitively; so do we. */

json_t *
ngx_http_bedrud_json_get(json_t *obj, const char *key)
{
    json_t      *v;
    const char  *k;

    if (obj == NULL || !json_is_object(obj)) {
        return NULL;
    }

    v = json_object_get(obj, key);
    if (v != NULL) {
        return v;
    }

    json_object_foreach(obj, k, v) {
        if (ngx_strcasecmp((u_char *) k, (u_char *) key) == 0) {
            return v;
        }
    }

    return NULL;
}


/*
 * Getters: NGX_OK with the value, NGX_DECLINED when absent or null (Go's
 * zero value), NGX_ERROR for a wrong type.
 */

ngx_int_t
ngx_http_bedrud_json_str(json_t *obj, const char *key, ngx_str_t *value)
{
    json_t  *v;

    ngx_str_null(value);

    v = ngx_http_bedrud_json_value(obj, key);

    if (v == NULL || !json_is_string(v)) {
        return (v == NULL) ? NGX_DECLINED : NGX_ERROR;
    }

    value->data = (u_char *) json_string_value(v);
    value->len = json_string_length(v);

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_json_bool(json_t *obj, const char *key, ngx_flag_t *value)
{
    json_t  *v;

    *value = 0;

    v = ngx_http_bedrud_json_value(obj, key);

    if (v == NULL || !json_is_boolean(v)) {
        return (v == NULL) ? NGX_DECLINED : NGX_ERROR;
    }

    *value = json_is_true(v);

    return NGX_OK;
}


/* integers within +-10^9, as Go's int fields take them here */

ngx_int_t
ngx_http_bedrud_json_int(json_t *obj, const char *key, ngx_int_t *value)
{
    json_t      *v;
    json_int_t   i;

    *value = 0;

    v = ngx_http_bedrud_json_value(obj, key);

    if (v == NULL || !json_is_integer(v)) {
        return (v == NULL) ? NGX_DECLINED : NGX_ERROR;
    }

    i = json_integer_value(v);

    if (i < -1000000000 || i > 1000000000) {
        return NGX_ERROR;
    }

    *value = (ngx_int_t) i;

    return NGX_OK;
}


/* the value of "key", NULL when it is absent or null */

static json_t *
ngx_http_bedrud_json_value(json_t *obj, const char *key)
{
    json_t  *v;

    v = ngx_http_bedrud_json_get(obj, key);

    return (v == NULL || json_is_null(v)) ? NULL : v;
}


/* A JSON array from its text; an empty one when the text is not one. */

json_t *
ngx_http_bedrud_json_list(ngx_str_t *text)
{
    json_t        *list;
    json_error_t   err;

    list = NULL;

    if (text->len) {
        list = json_loadb((const char *) text->data, text->len, 0, &err);
    }

    if (list == NULL || !json_is_array(list)) {
        if (list) {
            json_decref(list);
        }

        list = json_array();
    }

    return list;
}


/*
 * A JSON array with an item made of each element of an array reply from
 * "from" on; NULL when one cannot be made.
 */

json_t *
ngx_http_bedrud_json_items(ngx_http_bedrud_reply_t *reply, ngx_uint_t from,
    ngx_http_bedrud_item_pt item)
{
    json_t      *list, *v;
    ngx_uint_t   i;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    for (i = from; i < reply->nelts; i++) {
        v = item(reply->elts[i]);

        if (v == NULL || json_array_append_new(list, v) != 0) {
            json_decref(list);
            return NULL;
        }
    }

    return list;
}


json_t *
ngx_http_bedrud_json_string(ngx_str_t *s)
{
    return json_stringn((const char *) s->data, s->len);
}
