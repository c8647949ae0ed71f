
/*
 * Copyright (C) ngx_bedrud authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include "ngx_http_bedrud_module.h"


/*
 * Bedrud access/refresh tokens, and the HS256 signing of LiveKit tokens.
 *
 * Pure functions over bytes: a pool for the results and nothing else of
 * nginx, so that they can be unit-tested and fuzzed.  libjwt 1.10 checks
 * the signature only; the algorithm, the header and every claim are
 * checked here.  Memory from libjwt and jansson is plain malloc(), freed
 * before returning.
 *
 * LiveKit tokens are minted on every join, so they skip libjwt and
 * jansson: the caller writes the payload text, ngx_http_bedrud_jwt_encode()
 * adds the constant header and an HMAC from ngx_http_bedrud_hs256().
 */


#define NGX_HTTP_BEDRUD_JWT_MAX          8192
#define NGX_HTTP_BEDRUD_JWT_HEADER_MAX   256
#define NGX_HTTP_BEDRUD_JWT_DEPTH        4

/* HMAC-SHA256: 32 bytes, 43 characters of unpadded base64url */
#define NGX_HTTP_BEDRUD_JWT_SIG_LEN      43

/* dates beyond 9999-12-31 are garbage, and would overflow arithmetic */
#define NGX_HTTP_BEDRUD_JWT_TIME_MAX     253402300799LL

/* base64url of {"alg":"HS256","typ":"JWT"}: the one header we issue */
#define NGX_HTTP_BEDRUD_JWT_HS256_HEADER                                     \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

/* keyed HMAC contexts kept per process: the JWT and the LiveKit secret */
#define NGX_HTTP_BEDRUD_HS256_KEYS       4


typedef struct {
    const char                 *name;
    ngx_uint_t                  required;
    size_t                      offset;
} ngx_http_bedrud_jwt_str_t;


typedef struct {
    const u_char               *data;      /* the caller's secret */
    size_t                      len;
    u_char                     *copy;      /* its bytes, when keyed */
    EVP_MAC_CTX                *ctx;       /* keyed with them */
} ngx_http_bedrud_hs256_key_t;


static EVP_MAC_CTX *ngx_http_bedrud_hs256_ctx(ngx_str_t *secret);
static void ngx_http_bedrud_hs256_drop(ngx_http_bedrud_hs256_key_t *k);
static ngx_int_t ngx_http_bedrud_jwt_sign(ngx_pool_t *pool,
    ngx_str_t *secret, json_t *grants, ngx_str_t *token);
static ngx_int_t ngx_http_bedrud_jwt_segment(ngx_pool_t *pool, u_char *p,
    size_t len, ngx_uint_t depth, json_t **json);
static ngx_int_t ngx_http_bedrud_jwt_split(ngx_str_t *token, u_char **dot);
static ngx_int_t ngx_http_bedrud_jwt_header(ngx_pool_t *pool, u_char *p,
    size_t len);
static ngx_int_t ngx_http_bedrud_jwt_claims(ngx_pool_t *pool,
    json_t *payload, ngx_uint_t type, time_t now,
    ngx_http_bedrud_claims_t *claims);
static ngx_int_t ngx_http_bedrud_jwt_accesses(ngx_pool_t *pool,
    json_t *payload, ngx_http_bedrud_claims_t *claims);
static ngx_int_t ngx_http_bedrud_jwt_string(ngx_pool_t *pool, json_t *obj,
    const char *name, ngx_uint_t required, ngx_str_t *value);
static ngx_int_t ngx_http_bedrud_jwt_is(json_t *value, const char *text);
static json_t *ngx_http_bedrud_jwt_stringn(ngx_str_t *s);


/*
 * The HMAC algorithm, fetched once: a fetch per call (as HMAC() and
 * libjwt do) takes OpenSSL 3.0's provider and name-map locks each time.
 * Process-wide state without locks: only worker event loops sign
 * (never the password thread pool), and they are single-threaded.
 */

static EVP_MAC                      *ngx_http_bedrud_hmac;
static ngx_http_bedrud_hs256_key_t   ngx_http_bedrud_hs256_keys[
                                         NGX_HTTP_BEDRUD_HS256_KEYS];
static ngx_uint_t                    ngx_http_bedrud_hs256_next;


/* string claims: both token kinds carry all of them */

static ngx_http_bedrud_jwt_str_t  ngx_http_bedrud_jwt_strings[] = {
    { "userId", 1, offsetof(ngx_http_bedrud_claims_t, user_id) },
    { "email", 0, offsetof(ngx_http_bedrud_claims_t, email) },
    { "name", 0, offsetof(ngx_http_bedrud_claims_t, name) },
    { "provider", 0, offsetof(ngx_http_bedrud_claims_t, provider) },
    { "jti", 1, offsetof(ngx_http_bedrud_claims_t, jti) },
    { "fam", 1, offsetof(ngx_http_bedrud_claims_t, fam) },
    { NULL, 0, 0 }
};


ngx_int_t
ngx_http_bedrud_jwt_issue(ngx_pool_t *pool, ngx_str_t *secret,
    ngx_http_bedrud_claims_t *claims, time_t now, time_t ttl,
    ngx_str_t *token)
{
    json_t                     *grants, *accesses, *aud, *v;
    ngx_int_t                   rc;
    ngx_str_t                  *s;
    ngx_uint_t                  i;
    ngx_http_bedrud_jwt_str_t  *f;

    if (claims->accesses.len) {
        accesses = json_loadb((char *) claims->accesses.data,
                              claims->accesses.len, JSON_REJECT_DUPLICATES,
                              NULL);
    } else {
        accesses = json_array();
    }

    if (!json_is_array(accesses)) {
        json_decref(accesses);
        return NGX_ERROR;
    }

    for (i = 0; i < json_array_size(accesses); i++) {
        if (!json_is_string(json_array_get(accesses, i))) {
            json_decref(accesses);
            return NGX_ERROR;
        }
    }

    grants = json_object();
    if (grants == NULL) {
        json_decref(accesses);
        return NGX_ERROR;
    }

    /* json_object_set_new() takes the value, and fails on NULL values */

    if (json_object_set_new(grants, "accesses", accesses) != 0) {
        goto failed;
    }

    for (f = ngx_http_bedrud_jwt_strings; f->name; f++) {
        s = (ngx_str_t *) ((u_char *) claims + f->offset);

        if (f->required && s->len == 0) {
            /* verify() would refuse the token: a caller's bug */
            goto failed;
        }

        if (json_object_set_new(grants, f->name,
                                ngx_http_bedrud_jwt_stringn(s))
            != 0)
        {
            goto failed;
        }
    }

    aud = json_array();

    if (json_array_append_new(aud, json_string("bedrud")) != 0) {
        json_decref(aud);
        goto failed;
    }

    if (json_object_set_new(grants, "aud", aud) != 0) {
        goto failed;
    }

    v = json_string(claims->type == NGX_HTTP_BEDRUD_TOKEN_REFRESH
                    ? "refresh" : "access");

    if (json_object_set_new(grants, "typ", v) != 0
        || json_object_set_new(grants, "iss", json_string("bedrud")) != 0
        || json_object_set_new(grants, "sub",
                               ngx_http_bedrud_jwt_stringn(&claims->user_id))
           != 0
        || json_object_set_new(grants, "ver",
                               json_integer((json_int_t) claims->version))
           != 0
        || json_object_set_new(grants, "iat", json_integer(now)) != 0
        || json_object_set_new(grants, "nbf", json_integer(now)) != 0
        || json_object_set_new(grants, "exp", json_integer(now + ttl)) != 0)
    {
        goto failed;
    }

    rc = ngx_http_bedrud_jwt_sign(pool, secret, grants, token);

    json_decref(grants);

    return rc;

failed:

    json_decref(grants);

    return NGX_ERROR;
}


/*
 * HMAC-SHA256 of "in" under "secret" into mac[32].  Only from a worker's
 * event loop (or another single thread): the key cache is not locked.
 * Contexts are found by the secret's address and length, and its bytes
 * must match too: memory freed and reused for another secret (as in the
 * unit tests) is keyed afresh, never signed with the old key.
 */

ngx_int_t
ngx_http_bedrud_hs256(ngx_str_t *secret, const u_char *in, size_t len,
    u_char *mac)
{
    size_t        n;
    EVP_MAC_CTX  *ctx;

    ctx = ngx_http_bedrud_hs256_ctx(secret);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    /*
     * A NULL key restarts the MAC with the key already set: no key
     * schedule, no fetch, no allocation but OpenSSL's digest copies.
     * t/unit checks it against "openssl dgst -sha256 -hmac".
     */

    if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1
        || EVP_MAC_update(ctx, in, len) != 1
        || EVP_MAC_final(ctx, mac, &n, NGX_HTTP_BEDRUD_HS256_LEN) != 1
        || n != NGX_HTTP_BEDRUD_HS256_LEN)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static EVP_MAC_CTX *
ngx_http_bedrud_hs256_ctx(ngx_str_t *secret)
{
    ngx_uint_t                    i;
    OSSL_PARAM                    params[2];
    ngx_http_bedrud_hs256_key_t  *k, *slot;

    if (secret->len == 0 || secret->len > NGX_MAX_INT32_VALUE) {
        return NULL;
    }

    slot = NULL;

    for (i = 0; i < NGX_HTTP_BEDRUD_HS256_KEYS; i++) {
        k = &ngx_http_bedrud_hs256_keys[i];

        if (k->ctx == NULL) {
            if (slot == NULL) {
                slot = k;
            }

            continue;
        }

        if (k->data != secret->data || k->len != secret->len) {
            continue;
        }

        if (ngx_memcmp(k->copy, secret->data, secret->len) == 0) {
            return k->ctx;
        }

        /* the address was freed and reused for another secret */

        ngx_http_bedrud_hs256_drop(k);
        slot = k;
        break;
    }

    if (ngx_http_bedrud_hmac == NULL) {
        ngx_http_bedrud_hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
        if (ngx_http_bedrud_hmac == NULL) {
            return NULL;
        }
    }

    k = slot;

    if (k == NULL) {
        /* more secrets than expected: take turns, still correct */

        i = ngx_http_bedrud_hs256_next++ % NGX_HTTP_BEDRUD_HS256_KEYS;
        k = &ngx_http_bedrud_hs256_keys[i];

        ngx_http_bedrud_hs256_drop(k);
    }

    k->copy = OPENSSL_memdup(secret->data, secret->len);
    k->ctx = EVP_MAC_CTX_new(ngx_http_bedrud_hmac);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (k->copy == NULL
        || k->ctx == NULL
        || EVP_MAC_init(k->ctx, secret->data, secret->len, params) != 1)
    {
        ngx_http_bedrud_hs256_drop(k);
        return NULL;
    }

    k->data = secret->data;
    k->len = secret->len;

    return k->ctx;
}


static void
ngx_http_bedrud_hs256_drop(ngx_http_bedrud_hs256_key_t *k)
{
    /* key material: cleared before it goes back to malloc() */

    if (k->copy) {
        OPENSSL_clear_free(k->copy, k->len);
    }

    EVP_MAC_CTX_free(k->ctx);

    ngx_memzero(k, sizeof(ngx_http_bedrud_hs256_key_t));
}


/*
 * An HS256 JWT with the header {"alg":"HS256","typ":"JWT"} over a
 * payload text, which the caller vouches for: valid JSON, an object.
 */

ngx_int_t
ngx_http_bedrud_jwt_encode(ngx_pool_t *pool, ngx_str_t *secret,
    const u_char *payload, size_t len, ngx_str_t *token)
{
    u_char  *p;
    size_t   size;
    u_char   mac[NGX_HTTP_BEDRUD_HS256_LEN];

    /* absurd lengths only: the arithmetic below cannot overflow */

    if (len > NGX_MAX_SIZE_T_VALUE / 8) {
        return NGX_ERROR;
    }

    size = sizeof(NGX_HTTP_BEDRUD_JWT_HS256_HEADER) - 1 + 1
           + (len * 4 + 2) / 3 + 1 + NGX_HTTP_BEDRUD_JWT_SIG_LEN;

    token->data = ngx_pnalloc(pool, size);
    if (token->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(token->data, NGX_HTTP_BEDRUD_JWT_HS256_HEADER,
                   sizeof(NGX_HTTP_BEDRUD_JWT_HS256_HEADER) - 1);
    *p++ = '.';
    p = ngx_http_bedrud_base64_encode(p, payload, len, 1);

    if (ngx_http_bedrud_hs256(secret, token->data, p - token->data, mac)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *p++ = '.';
    p = ngx_http_bedrud_base64_encode(p, mac, NGX_HTTP_BEDRUD_HS256_LEN, 1);

    token->len = p - token->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_jwt_sign(ngx_pool_t *pool, ngx_str_t *secret,
    json_t *grants, ngx_str_t *token)
{
    char       *text, *out;
    jwt_t      *jwt;
    size_t      len;
    ngx_int_t   rc;

    if (secret->len == 0 || secret->len > NGX_MAX_INT32_VALUE) {
        return NGX_ERROR;
    }

    text = json_dumps(grants, JSON_COMPACT);
    if (text == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    jwt = NULL;
    out = NULL;

    /* libjwt writes the header {"alg":"HS256","typ":"JWT"}, as Bedrud */

    if (jwt_new(&jwt) != 0
        || jwt_set_alg(jwt, JWT_ALG_HS256, secret->data, (int) secret->len)
           != 0
        || jwt_add_grants_json(jwt, text) != 0)
    {
        goto done;
    }

    out = jwt_encode_str(jwt);
    if (out == NULL) {
        goto done;
    }

    len = ngx_strlen(out);

    token->data = ngx_pnalloc(pool, len);
    if (token->data == NULL) {
        goto done;
    }

    ngx_memcpy(token->data, out, len);
    token->len = len;

    rc = NGX_OK;

done:

    /* libjwt 1.10 has no jwt_free_str(): its strings come from malloc() */

    free(out);
    jwt_free(jwt);
    free(text);

    return rc;
}


ngx_int_t
ngx_http_bedrud_jwt_verify(ngx_pool_t *pool, ngx_str_t *token,
    ngx_str_t *secret, ngx_uint_t type, time_t now,
    ngx_http_bedrud_claims_t *claims)
{
    json_t     *payload;
    ngx_int_t   rc;

    ngx_memzero(claims, sizeof(ngx_http_bedrud_claims_t));

    rc = ngx_http_bedrud_jwt_decode(pool, token, secret, &payload);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_bedrud_jwt_claims(pool, payload, type, now, claims);

    json_decref(payload);

    return rc;
}


ngx_int_t
ngx_http_bedrud_jwt_decode(ngx_pool_t *pool, ngx_str_t *token,
    ngx_str_t *secret, json_t **payload)
{
    int         err;
    u_char     *copy, *dot[2];
    jwt_t      *jwt;
    size_t      n;
    jwt_alg_t   alg;
    ngx_int_t   rc;

    if (token->len == 0
        || token->len > NGX_HTTP_BEDRUD_JWT_MAX
        || secret->len == 0
        || secret->len > NGX_MAX_INT32_VALUE
        || ngx_http_bedrud_jwt_split(token, dot) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /*
     * Our own look at the header before libjwt's: "alg" must be exactly
     * "HS256".  libjwt takes the algorithm from the token itself.
     */

    rc = ngx_http_bedrud_jwt_header(pool, token->data,
                                    dot[0] - token->data);
    if (rc != NGX_OK) {
        return rc;
    }

    /* jwt_decode() needs a C string */

    copy = ngx_pnalloc(pool, token->len + 1);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(copy, token->data, token->len);
    copy[token->len] = '\0';

    jwt = NULL;

    err = jwt_decode(&jwt, (char *) copy, secret->data, (int) secret->len);

    if (err != 0) {
        return (err == ENOMEM) ? NGX_ERROR : NGX_DECLINED;
    }

    /* pinned: "none", HS384/HS512 and the asymmetric ones never pass */

    alg = jwt_get_alg(jwt);
    jwt_free(jwt);

    if (alg != JWT_ALG_HS256) {
        return NGX_DECLINED;
    }

    /* the signature covers the text, so decode the payload ourselves */

    n = dot[0] - token->data + 1;

    rc = ngx_http_bedrud_jwt_segment(pool, copy + n, dot[1] - dot[0] - 1, 0,
                                     payload);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!json_is_object(*payload)) {
        json_decref(*payload);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * header.payload.signature, base64url only: no padding, no spaces; dot[]
 * gets the two dots.  NGX_DECLINED for any other shape.
 */

static ngx_int_t
ngx_http_bedrud_jwt_split(ngx_str_t *token, u_char **dot)
{
    u_char  ch;
    size_t  i, n;
    u_char  sig[NGX_HTTP_BEDRUD_JWT_SIG_LEN * 3 / 4];

    n = 0;

    for (i = 0; i < token->len; i++) {
        ch = token->data[i];

        if (ch == '.') {
            if (n == 2) {
                return NGX_DECLINED;
            }

            dot[n++] = &token->data[i];
            continue;
        }

        if (!((ch >= 'A' && ch <= 'Z')
              || (ch >= 'a' && ch <= 'z')
              || (ch >= '0' && ch <= '9')
              || ch == '-' || ch == '_'))
        {
            return NGX_DECLINED;
        }
    }

    if (n != 2
        || dot[0] == token->data
        || dot[1] == dot[0] + 1
        || token->data + token->len - (dot[1] + 1)
           != NGX_HTTP_BEDRUD_JWT_SIG_LEN)
    {
        return NGX_DECLINED;
    }

    /*
     * One text per token: the unused low bits of the signature's last
     * character must be zero.  libjwt 1.10 happens to compare encoded
     * text, but tokens may be hashed or compared as text: do not rely
     * on it.
     */

    if (ngx_http_bedrud_base64_decode(sig, &n, dot[1] + 1,
                                      NGX_HTTP_BEDRUD_JWT_SIG_LEN, 1)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_jwt_header(ngx_pool_t *pool, u_char *p, size_t len)
{
    json_t     *header, *v;
    ngx_int_t   rc;

    if (len > NGX_HTTP_BEDRUD_JWT_HEADER_MAX) {
        return NGX_DECLINED;
    }

    rc = ngx_http_bedrud_jwt_segment(pool, p, len, NGX_HTTP_BEDRUD_JWT_DEPTH,
                                     &header);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = NGX_DECLINED;

    if (!json_is_object(header)) {
        goto done;
    }

    if (ngx_http_bedrud_jwt_is(json_object_get(header, "alg"), "HS256")
        != NGX_OK)
    {
        goto done;
    }

    v = json_object_get(header, "typ");

    if (v != NULL && ngx_http_bedrud_jwt_is(v, "JWT") != NGX_OK) {
        goto done;
    }

    /* RFC 7515: extensions we would have to understand; we know none */

    if (json_object_get(header, "crit") != NULL) {
        goto done;
    }

    rc = NGX_OK;

done:

    json_decref(header);

    return rc;
}


static ngx_int_t
ngx_http_bedrud_jwt_segment(ngx_pool_t *pool, u_char *p, size_t len,
    ngx_uint_t depth, json_t **json)
{
    u_char  *buf;
    size_t   n;

    buf = ngx_pnalloc(pool, len / 4 * 3 + 3);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_bedrud_base64_decode(buf, &n, p, len, 1) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (depth && ngx_http_bedrud_json_depth_ok(buf, n, depth) != NGX_OK) {
        return NGX_DECLINED;
    }

    /*
     * jansson also rejects "\u0000" in strings and trailing garbage;
     * its own failures to allocate look like bad JSON here
     */

    *json = json_loadb((char *) buf, n, JSON_REJECT_DUPLICATES, NULL);

    return (*json == NULL) ? NGX_DECLINED : NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_jwt_claims(ngx_pool_t *pool, json_t *payload,
    ngx_uint_t type, time_t now, ngx_http_bedrud_claims_t *claims)
{
    time_t                      nbf, ver;
    json_t                     *aud;
    ngx_int_t                   rc;
    ngx_str_t                   sub, *value;
    ngx_uint_t                  i, found;
    ngx_http_bedrud_jwt_str_t  *f;

    /* an object: ngx_http_bedrud_jwt_decode() checked */

    /* an access token is not a refresh token, nor the other way round */

    if (ngx_http_bedrud_jwt_is(json_object_get(payload, "typ"),
                               type == NGX_HTTP_BEDRUD_TOKEN_REFRESH
                               ? "refresh" : "access")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_jwt_is(json_object_get(payload, "iss"), "bedrud")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /* RFC 7519: "aud" is an array of strings, or a single string */

    aud = json_object_get(payload, "aud");
    found = 0;

    if (json_is_array(aud)) {
        for (i = 0; i < json_array_size(aud); i++) {
            if (ngx_http_bedrud_jwt_is(json_array_get(aud, i), "bedrud")
                == NGX_OK)
            {
                found = 1;
            }
        }

    } else if (ngx_http_bedrud_jwt_is(aud, "bedrud") == NGX_OK) {
        found = 1;
    }

    if (!found) {
        return NGX_DECLINED;
    }

    /* no leeway, as in Bedrud */

    if (ngx_http_bedrud_jwt_time(payload, "exp", 1, &claims->exp) != NGX_OK
        || claims->exp <= now)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_jwt_time(payload, "nbf", 0, &nbf) != NGX_OK
        || nbf > now)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_jwt_time(payload, "iat", 1, &claims->iat) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* the user's token version: tokens from before it existed have none */

    if (ngx_http_bedrud_jwt_time(payload, "ver", 0, &ver) != NGX_OK) {
        return NGX_DECLINED;
    }

    claims->version = (uint64_t) ver;

    for (f = ngx_http_bedrud_jwt_strings; f->name; f++) {
        value = (ngx_str_t *) ((u_char *) claims + f->offset);

        rc = ngx_http_bedrud_jwt_string(pool, payload, f->name, f->required,
                                        value);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    rc = ngx_http_bedrud_jwt_string(pool, payload, "sub", 1, &sub);
    if (rc != NGX_OK) {
        return rc;
    }

    if (sub.len != claims->user_id.len
        || ngx_memcmp(sub.data, claims->user_id.data, sub.len) != 0)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_bedrud_jwt_accesses(pool, payload, claims);
    if (rc != NGX_OK) {
        return rc;
    }

    claims->type = type;

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_jwt_accesses(ngx_pool_t *pool, json_t *payload,
    ngx_http_bedrud_claims_t *claims)
{
    char        *text;
    json_t      *accesses, *v;
    size_t       len;
    ngx_uint_t   i;

    accesses = json_object_get(payload, "accesses");

    if (!json_is_array(accesses)) {
        return NGX_DECLINED;
    }

    for (i = 0; i < json_array_size(accesses); i++) {
        v = json_array_get(accesses, i);

        if (!json_is_string(v)) {
            return NGX_DECLINED;
        }

        if (ngx_http_bedrud_jwt_is(v, "superadmin") == NGX_OK) {
            claims->superadmin = 1;
        }
    }

    text = json_dumps(accesses, JSON_COMPACT);
    if (text == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(text);

    claims->accesses.data = ngx_pnalloc(pool, len);
    if (claims->accesses.data == NULL) {
        free(text);
        return NGX_ERROR;
    }

    ngx_memcpy(claims->accesses.data, text, len);
    claims->accesses.len = len;

    free(text);

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_jwt_string(ngx_pool_t *pool, json_t *obj, const char *name,
    ngx_uint_t required, ngx_str_t *value)
{
    json_t  *v;
    size_t   len;

    v = json_object_get(obj, name);

    if (v == NULL) {
        ngx_str_null(value);
        return required ? NGX_DECLINED : NGX_OK;
    }

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    len = json_string_length(v);

    if (len == 0) {
        ngx_str_null(value);
        return required ? NGX_DECLINED : NGX_OK;
    }

    value->data = ngx_pnalloc(pool, len);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(value->data, json_string_value(v), len);
    value->len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_jwt_time(json_t *obj, const char *name, ngx_uint_t required,
    time_t *value)
{
    json_t      *v;
    json_int_t   t;

    v = json_object_get(obj, name);

    if (v == NULL) {
        *value = 0;
        return required ? NGX_DECLINED : NGX_OK;
    }

    /* integers only: we never issue fractions, strings or exponents */

    if (!json_is_integer(v)) {
        return NGX_DECLINED;
    }

    t = json_integer_value(v);

    if (t < 0 || t > NGX_HTTP_BEDRUD_JWT_TIME_MAX) {
        return NGX_DECLINED;
    }

    *value = (time_t) t;

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_jwt_is(json_t *value, const char *text)
{
    size_t  len;

    /* an exact, length-aware match of a JSON string; NULL never matches */

    if (!json_is_string(value)) {
        return NGX_DECLINED;
    }

    len = ngx_strlen(text);

    if (json_string_length(value) != len
        || ngx_memcmp(json_string_value(value), text, len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static json_t *
ngx_http_bedrud_jwt_stringn(ngx_str_t *s)
{
    /* NULL for invalid UTF-8: json_object_set_new() then fails cleanly */

    return json_stringn(s->len ? (char *) s->data : "", s->len);
}
