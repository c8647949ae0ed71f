
/*
 * Copyright (C) ngx_bedrud authors
 */


/*
 * libFuzzer harness for ngx_http_bedrud_jwt_verify():
 *
 *     make -C t/unit fuzz && build/unit/fuzz_jwt -max_len=9000
 *
 * Without clang, "make fuzz" builds the same file with gcc and
 * NGX_HTTP_BEDRUD_FUZZ_MAIN: "fuzz_jwt FILE..." replays inputs, and
 * "fuzz_jwt -r N" runs N random mutations of a valid token, under ASan.
 *
 * Each input is tried as an access and as a refresh token.  The first
 * input byte also selects whether a valid signature is put on the rest,
 * so the claim checks behind the HMAC get fuzzed too.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "ngx_http_bedrud_module.h"
#include "ngx_stubs.h"


#define FUZZ_SECRET  "fuzz-secret-fuzz-secret-fuzz-secret"
#define FUZZ_NOW     1777377600
#define FUZZ_MAX     (16 * 1024)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_verify(u_char *p, size_t len);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char        *p;
    unsigned int   n;
    u_char         mac[EVP_MAX_MD_SIZE];

    static u_char  buf[FUZZ_MAX * 2];

    if (size == 0 || size > FUZZ_MAX) {
        return 0;
    }

    ngx_stub_init();

    fuzz_verify((u_char *) data + 1, size - 1);

    if (data[0] & 1) {
        /* "header.payload" from the input, then a valid signature */

        ngx_memcpy(buf, data + 1, size - 1);
        p = buf + size - 1;

        HMAC(EVP_sha256(), FUZZ_SECRET, sizeof(FUZZ_SECRET) - 1, buf,
             size - 1, mac, &n);

        *p++ = '.';
        p = ngx_http_bedrud_base64_encode(p, mac, n, 1);

        fuzz_verify(buf, p - buf);
    }

    ngx_stub_pool_reset();

    return 0;
}


static void
fuzz_verify(u_char *p, size_t len)
{
    ngx_int_t                 rc;
    ngx_str_t                 token, secret;
    ngx_http_bedrud_claims_t  claims;

    token.data = p;
    token.len = len;
    secret.data = (u_char *) FUZZ_SECRET;
    secret.len = sizeof(FUZZ_SECRET) - 1;

    rc = ngx_http_bedrud_jwt_verify(&ngx_stub_pool, &token, &secret,
                                    NGX_HTTP_BEDRUD_TOKEN_ACCESS, FUZZ_NOW,
                                    &claims);

    if (rc == NGX_OK && (claims.user_id.len == 0 || claims.jti.len == 0)) {
        /* a token passed without its required claims */
        ngx_abort();
    }

    (void) ngx_http_bedrud_jwt_verify(&ngx_stub_pool, &token, &secret,
                                      NGX_HTTP_BEDRUD_TOKEN_REFRESH,
                                      FUZZ_NOW, &claims);
}


#if (NGX_HTTP_BEDRUD_FUZZ_MAIN)

int
main(int argc, char **argv)
{
    int                        i, rounds;
    FILE                      *f;
    size_t                     len, j, pos;
    u_char                    *p;
    ngx_str_t                  secret, token;
    ngx_http_bedrud_claims_t   claims;

    static u_char  buf[FUZZ_MAX + 1], seed[FUZZ_MAX];

    if (argc == 3 && strcmp(argv[1], "-r") == 0) {

        /* mutate a valid access token, signed or re-signed */

        ngx_stub_init();

        ngx_memzero(&claims, sizeof(claims));
        claims.type = NGX_HTTP_BEDRUD_TOKEN_ACCESS;
        claims.user_id.data = (u_char *) "u-1";
        claims.user_id.len = 3;
        claims.jti = claims.user_id;
        claims.fam = claims.user_id;
        claims.accesses.data = (u_char *) "[\"user\",\"superadmin\"]";
        claims.accesses.len = 21;

        secret.data = (u_char *) FUZZ_SECRET;
        secret.len = sizeof(FUZZ_SECRET) - 1;

        if (ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &secret, &claims,
                                      FUZZ_NOW, 3600, &token)
            != NGX_OK)
        {
            return 1;
        }

        /* byte 0 selects re-signing; the rest is header.payload(.sig) */

        seed[0] = 0;
        ngx_memcpy(seed + 1, token.data, token.len);
        len = token.len + 1;

        ngx_stub_pool_reset();

        rounds = atoi(argv[2]);
        srandom(1);

        for (i = 0; i < rounds; i++) {
            ngx_memcpy(buf, seed, len);
            j = len;

            if (i % 2) {
                buf[0] = 1;
                p = ngx_strlchr(buf + 1, buf + j, '.');
                p = p ? ngx_strlchr(p + 1, buf + j, '.') : NULL;

                if (p) {
                    j = p - buf;
                }
            }

            pos = 1 + random() % (j - 1);
            buf[pos] = (u_char) random();

            if (random() % 4 == 0) {
                pos = 1 + random() % (j - 1);
                buf[pos] = (u_char) random();
            }

            LLVMFuzzerTestOneInput(buf, j);
        }

        printf("%d mutations done\n", rounds);

        return 0;
    }

    for (i = 1; i < argc; i++) {
        f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }

        len = fread(buf, 1, sizeof(buf), f);
        fclose(f);

        LLVMFuzzerTestOneInput(buf, len);
    }

    return 0;
}

#endif
