
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Verified access tokens, remembered per worker process.  Clients send the
 * same access token with every request: a worker verifies each token once
 * (signature, algorithm, claims) and keeps its claims; the caller checks
 * the times again, and the revocation check stays per request.
 *
 * A slot is found by a hash of the token and must then equal it byte for
 * byte, in constant time, so that a forged token learns nothing of the
 * cached one.  Sets of four ways: a direct-mapped table made two of 64
 * clients evict each other for good.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_TOKEN_SETS  512     /* a power of two */
#define NGX_HTTP_BEDRUD_TOKEN_WAYS  4


typedef struct {
    u_char                     *token;     /* malloc()ed copy, or NULL */
    size_t                      len;
    uint32_t                    hash;
    ngx_msec_t                  used;      /* the least recent goes */
    u_char                     *secret;    /* verified with; a reload in
                                              one process may change it */
    ngx_http_bedrud_claims_t    claims;    /* strings point into token */
} ngx_http_bedrud_token_slot_t;


static ngx_http_bedrud_token_slot_t *ngx_http_bedrud_token_find(
    ngx_str_t *token, ngx_str_t *secret);
static ngx_http_bedrud_token_slot_t *ngx_http_bedrud_token_set(
    ngx_str_t *token, uint32_t *hash);
static size_t ngx_http_bedrud_claims_len(ngx_http_bedrud_claims_t *c);
static void ngx_http_bedrud_claims_pack(u_char *p,
    ngx_http_bedrud_claims_t *dst, ngx_http_bedrud_claims_t *src);


/* per worker process: gone with the process */
static ngx_http_bedrud_token_slot_t  *ngx_http_bedrud_token_cache;


ngx_int_t
ngx_http_bedrud_token_cache_init(ngx_cycle_t *cycle)
{
    size_t                        size;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_bedrud_module);

    if (bmcf == NULL || bmcf->api_locations == NULL) {
        /* no API here: no tokens to remember */
        return NGX_OK;
    }

    size = NGX_HTTP_BEDRUD_TOKEN_SETS * NGX_HTTP_BEDRUD_TOKEN_WAYS
           * sizeof(ngx_http_bedrud_token_slot_t);

    ngx_http_bedrud_token_cache = ngx_calloc(size, cycle->log);
    if (ngx_http_bedrud_token_cache == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The claims of a remembered token verified with "secret", copied into
 * the pool: NGX_OK, NGX_DECLINED when it is not remembered.
 */

ngx_int_t
ngx_http_bedrud_token_cache_lookup(ngx_pool_t *pool, ngx_str_t *token,
    ngx_str_t *secret, ngx_http_bedrud_claims_t *claims)
{
    u_char                        *p;
    ngx_http_bedrud_token_slot_t  *slot;

    slot = ngx_http_bedrud_token_find(token, secret);
    if (slot == NULL) {
        return NGX_DECLINED;
    }

    slot->used = ngx_current_msec;

    /* the request's own copy: the slot may be reused meanwhile */

    p = ngx_pnalloc(pool, ngx_http_bedrud_claims_len(&slot->claims));
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_bedrud_claims_pack(p, claims, &slot->claims);

    return NGX_OK;
}


/* Takes a free way of the token's set, else the least recently used. */

void
ngx_http_bedrud_token_cache_remember(ngx_str_t *token, ngx_str_t *secret,
    ngx_http_bedrud_claims_t *claims, ngx_log_t *log)
{
    u_char                        *p;
    uint32_t                       hash;
    ngx_uint_t                     i;
    ngx_http_bedrud_token_slot_t  *set, *slot;

    set = ngx_http_bedrud_token_set(token, &hash);
    if (set == NULL) {
        return;
    }

    slot = &set[0];

    for (i = 0; i < NGX_HTTP_BEDRUD_TOKEN_WAYS; i++) {
        if (set[i].token == NULL) {
            slot = &set[i];
            break;
        }

        if ((ngx_msec_int_t) (set[i].used - slot->used) < 0) {
            slot = &set[i];
        }
    }

    p = ngx_alloc(token->len + ngx_http_bedrud_claims_len(claims), log);
    if (p == NULL) {
        /* just not remembered */
        return;
    }

    if (slot->token != NULL) {
        ngx_free(slot->token);
    }

    slot->token = p;
    slot->len = token->len;
    slot->hash = hash;
    slot->used = ngx_current_msec;
    slot->secret = secret->data;
    p = ngx_cpymem(p, token->data, token->len);

    ngx_http_bedrud_claims_pack(p, &slot->claims, claims);
}


static ngx_http_bedrud_token_slot_t *
ngx_http_bedrud_token_find(ngx_str_t *token, ngx_str_t *secret)
{
    uint32_t                       hash;
    ngx_uint_t                     i;
    ngx_http_bedrud_token_slot_t  *set;

    set = ngx_http_bedrud_token_set(token, &hash);

    for (i = 0; set && i < NGX_HTTP_BEDRUD_TOKEN_WAYS; i++) {
        if (set[i].token != NULL
            && set[i].hash == hash
            && set[i].len == token->len
            && set[i].secret == secret->data
            && CRYPTO_memcmp(set[i].token, token->data, token->len) == 0)
        {
            return &set[i];
        }
    }

    return NULL;
}


static ngx_http_bedrud_token_slot_t *
ngx_http_bedrud_token_set(ngx_str_t *token, uint32_t *hash)
{
    ngx_uint_t  set;

    if (ngx_http_bedrud_token_cache == NULL) {
        return NULL;
    }

    *hash = ngx_murmur_hash2(token->data, token->len);
    set = *hash & (NGX_HTTP_BEDRUD_TOKEN_SETS - 1);

    return &ngx_http_bedrud_token_cache[set * NGX_HTTP_BEDRUD_TOKEN_WAYS];
}


static size_t
ngx_http_bedrud_claims_len(ngx_http_bedrud_claims_t *c)
{
    return c->user_id.len + c->email.len + c->name.len + c->provider.len
           + c->accesses.len + c->jti.len + c->fam.len;
}


/* *dst = *src, with the strings copied to p, one after the other */

static void
ngx_http_bedrud_claims_pack(u_char *p, ngx_http_bedrud_claims_t *dst,
    ngx_http_bedrud_claims_t *src)
{
    *dst = *src;

#define ngx_http_bedrud_pack(field)                                          \
    dst->field.data = p;                                                      \
    p = ngx_cpymem(p, src->field.data, src->field.len)

    ngx_http_bedrud_pack(user_id);
    ngx_http_bedrud_pack(email);
    ngx_http_bedrud_pack(name);
    ngx_http_bedrud_pack(provider);
    ngx_http_bedrud_pack(accesses);
    ngx_http_bedrud_pack(jti);
    ngx_http_bedrud_pack(fam);

#undef ngx_http_bedrud_pack
}
