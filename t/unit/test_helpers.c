
/*
 * Copyright (C) ngx_bedrud authors
 */


/*
 * Unit tests of the pure helpers: ngx_http_bedrud_password.c (built with
 * NGX_HTTP_BEDRUD_UNIT, without the thread pool wrappers),
 * ngx_http_bedrud_jwt.c, ngx_http_bedrud_livekit.c,
 * ngx_http_bedrud_validate.c, ngx_http_bedrud_string.c,
 * ngx_http_bedrud_keys.c and ngx_http_bedrud_image.c.  Output is TAP, run by t/unit.t under prove.
 * Single-threaded, as ngx_http_bedrud_hs256() requires.
 *
 * BEDRUD_UNIT_SKIP_SLOW=1 skips the scrypt run at the default (OWASP)
 * parameters, which valgrind makes very slow.  BEDRUD_UNIT_BENCH=1 times
 * 100k LiveKit tokens, the direct writer against jansson and libjwt.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "ngx_http_bedrud_module.h"
#include "ngx_stubs.h"


#define T_SECRET      "0123456789abcdef0123456789abcdef-test-secret"
#define T_NOW         1777377600      /* 2026-04-28T12:00:00Z */
#define T_BUF         16384
#define T_LK_SECRET   "devsecret-devsecret-devsecret-32"

/*
 * The known join token of t_livekit(), made without this code: Python's
 * json.dumps(sort_keys=True, separators=(",", ":")), the MAC from
 * "openssl dgst -sha256 -hmac T_LK_SECRET".
 */
#define T_LK_TOKEN                                                           \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" \
    "." \
    "eyJleHAiOjE3NzczODEyMDAsImlzcyI6ImRldmtleSIsIm1ldGFkYXRhIjoie1wiYWNj" \
    "ZXNzZXNcIjpbXCJ1c2VyXCJdfSIsIm5hbWUiOiJBbGljZSIsIm5iZiI6MTc3NzM3NzYw" \
    "MCwic3ViIjoiYWxpY2UiLCJ2aWRlbyI6eyJjYW5QdWJsaXNoIjpmYWxzZSwiY2FuUHVi" \
    "bGlzaERhdGEiOmZhbHNlLCJjYW5QdWJsaXNoU291cmNlcyI6W10sImNhblN1YnNjcmli" \
    "ZSI6dHJ1ZSwiY2FuVXBkYXRlT3duTWV0YWRhdGEiOnRydWUsInJvb20iOiJyMSIsInJv" \
    "b21Kb2luIjp0cnVlfX0" \
    ".B6lpCMErRvFh_l9EII1bvMuR9XCYYeyj8sv9eeiGF5U"


typedef struct {
    const char  *name;
    const char  *value;
} t_claim_t;


typedef struct {
    const char  *key;
    const char  *msg;
    const char  *hex;
} t_hmac_vector_t;


typedef struct {
    const char  *text;
    const char  *dumped;
} t_acc_t;


static void t_ok(int cond, const char *fmt, ...);
static void t_skip(const char *why, const char *fmt, ...);
static ngx_str_t t_str(const char *s);
static double t_ms(struct timespec *start);
static ngx_int_t t_hash_verify(ngx_http_bedrud_scrypt_t *params,
    const char *pw, const char *try, ngx_uint_t *rehash);
static void t_password(void);
static void t_password_slow(void);
static size_t t_b64url(u_char *dst, const u_char *src, size_t len);
static void t_craft(ngx_str_t *token, const char *header, const char *payload,
    const char *secret, const EVP_MD *md);
static void t_payload(char *buf, time_t now, const char *name,
    const char *value, const char *extra);
static ngx_int_t t_verify(ngx_str_t *token, ngx_uint_t type,
    ngx_http_bedrud_claims_t *claims);
static ngx_int_t t_verify_payload(const char *name, const char *value,
    const char *extra);
static void t_claims(ngx_http_bedrud_claims_t *claims, ngx_uint_t type,
    const char *accesses);
static void t_jwt_roundtrip(void);
static void t_jwt_headers(void);
static void t_jwt_claims(void);
static void t_jwt_garbage(void);
static void t_jwt_alloc(void);
static void t_hex(u_char *dst, const u_char *src, size_t len);
static void t_hs256(void);
static json_t *t_lk_old_metadata(ngx_str_t *accesses);
static json_t *t_lk_old_video(ngx_http_bedrud_livekit_grant_t *g);
static ngx_int_t t_lk_old(ngx_str_t *key, ngx_str_t *secret,
    ngx_http_bedrud_livekit_grant_t *g, time_t now, ngx_str_t *token);
static json_t *t_lk_expect(ngx_str_t *key,
    ngx_http_bedrud_livekit_grant_t *g, time_t now, const char *dumped);
static json_t *t_lk_decode(ngx_str_t *token, ngx_str_t *secret);
static void t_livekit(void);
static void t_livekit_bench(void);
static void t_utf8(void);
static void t_email(void);
static void t_random(void);
static void t_timestamp(void);
static void t_rfc3339(void);
static void t_uuid_valid(void);
static void t_trim_space(void);
static void t_names(void);
static void t_datetime(void);
static void t_ids(void);
static void t_keys(void);
static void t_json_depth(void);
static void t_json_tame(void);
static void t_media_origin(void);
static void t_base64(void);
static void t_json_escape(void);
static void t_multipart(void);
static void t_image(void);


static ngx_uint_t  t_count;
static ngx_uint_t  t_failed;
static ngx_str_t   t_secret = ngx_string(T_SECRET);


static void
t_ok(int cond, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    text[1024];

    t_count++;

    if (!cond) {
        t_failed++;
    }

    va_start(args, fmt);
    vsnprintf((char *) text, sizeof(text), fmt, args);
    va_end(args);

    /* test inputs have CR, LF and worse: keep TAP one line per test */

    for (p = text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }

    printf("%sok %u - %s\n", cond ? "" : "not ", (unsigned) t_count, text);
    fflush(stdout);
}


static void
t_skip(const char *why, const char *fmt, ...)
{
    va_list  args;

    t_count++;

    printf("ok %u - ", (unsigned) t_count);

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf(" # SKIP %s\n", why);
}


static ngx_str_t
t_str(const char *s)
{
    ngx_str_t  str;

    str.data = (u_char *) s;
    str.len = strlen(s);

    return str;
}


static double
t_ms(struct timespec *start)
{
    struct timespec  now;

    clock_gettime(CLOCK_MONOTONIC, &now);

    return (now.tv_sec - start->tv_sec) * 1000.0
           + (now.tv_nsec - start->tv_nsec) / 1000000.0;
}


/* password.c */

static ngx_int_t
t_hash_verify(ngx_http_bedrud_scrypt_t *params, const char *pw,
    const char *try, ngx_uint_t *rehash)
{
    size_t  len;
    u_char  phc[NGX_HTTP_BEDRUD_PHC_MAX];

    if (ngx_http_bedrud_scrypt_hash(params, (u_char *) pw, strlen(pw), phc,
                                    &len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_bedrud_scrypt_verify((u_char *) try, strlen(try), phc,
                                         len, params, rehash);
}


static void
t_password(void)
{
    size_t                     len, len2;
    u_char                     phc[NGX_HTTP_BEDRUD_PHC_MAX];
    u_char                     phc2[NGX_HTTP_BEDRUD_PHC_MAX];
    u_char                     buf[256];
    ngx_int_t                  rc;
    ngx_uint_t                 i, rehash;
    ngx_http_bedrud_scrypt_t   fast = { 10, 8, 1 };
    ngx_http_bedrud_scrypt_t   want = { 11, 8, 1 };
    ngx_http_bedrud_scrypt_t   bad;

    static const char  *known =
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
        "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU";

    /* a valid hash with each single thing wrong */

    static const char  *malformed[] = {
        "",
        "$scrypt$",
        "$scrypt$ln=10,r=8,p=1$",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$",
        "$SCRYPT$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=9,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=23,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=010,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=+10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=-1,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=18446744073709551626,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=0,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=33,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=0$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=17$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=22,r=32,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$r=8,ln=10,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1,x=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10, r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0OD"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODwA"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw=="
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODx"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0OD."
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlR",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRUA",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU=",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S_AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRV",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU$",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU\n",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        " $scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
            "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJ"
            "TmaaJObG",
        NULL
    };

    /* round trips at fast parameters */

    rc = ngx_http_bedrud_scrypt_hash(&fast, (u_char *) "correct horse", 13,
                                     phc, &len);
    t_ok(rc == NGX_OK, "scrypt hash ln=10");
    t_ok(len == 88 && ngx_strncmp(phc, "$scrypt$ln=10,r=8,p=1$", 22) == 0
         && phc[44] == '$',
         "PHC string shape: %.*s", (int) len, phc);

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "correct horse", 13, phc,
                                       len, &fast, &rehash);
    t_ok(rc == NGX_OK && rehash == 0, "verify: right password, no rehash");

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "correct horsE", 13, phc,
                                       len, &fast, &rehash);
    t_ok(rc == NGX_DECLINED, "verify: wrong password");

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "correct hors", 12, phc,
                                       len, &fast, &rehash);
    t_ok(rc == NGX_DECLINED, "verify: password prefix");

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "", 0, phc, len, &fast,
                                       &rehash);
    t_ok(rc == NGX_DECLINED, "verify: empty password");

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "correct horse", 13, phc,
                                       len, &want, &rehash);
    t_ok(rc == NGX_OK && rehash == 1, "verify: other wanted params: rehash");

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "correct horsE", 13, phc,
                                       len, &want, &rehash);
    t_ok(rc == NGX_DECLINED && rehash == 0,
         "verify: wrong password never asks for a rehash");

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "correct horse", 13, phc,
                                       len, NULL, &rehash);
    t_ok(rc == NGX_OK && rehash == 0, "verify: no wanted params");

    rc = ngx_http_bedrud_scrypt_hash(&fast, (u_char *) "correct horse", 13,
                                     phc2, &len2);
    t_ok(rc == NGX_OK && len2 == len && ngx_memcmp(phc, phc2, len) != 0,
         "random salt: two hashes of one password differ");

    t_ok(t_hash_verify(&fast, "", "", &rehash) == NGX_OK,
         "empty password hashes and verifies");

    ngx_memset(buf, 0xff, sizeof(buf));
    buf[sizeof(buf) - 1] = '\0';
    t_ok(t_hash_verify(&fast, (char *) buf, (char *) buf, &rehash) == NGX_OK,
         "255 bytes of 0xff hash and verify");

    t_ok(t_hash_verify(&want, "pässwörd", "pässwörd", &rehash) == NGX_OK
         && rehash == 0,
         "hash and verify at ln=11");

    /* parameters with r and p of two digits print and parse */

    bad.ln = 10;
    bad.r = 10;
    bad.p = 12;
    rc = ngx_http_bedrud_scrypt_hash(&bad, (u_char *) "x", 1, phc, &len);
    t_ok(rc == NGX_OK
         && ngx_strncmp(phc, "$scrypt$ln=10,r=10,p=12$", 24) == 0
         && ngx_http_bedrud_scrypt_verify((u_char *) "x", 1, phc, len, &fast,
                                          &rehash) == NGX_OK
         && rehash == 1,
         "two-digit r and p round trip");

    /* an independent vector: Python's hashlib.scrypt() */

    rc = ngx_http_bedrud_scrypt_verify(
             (u_char *) "correct horse battery staple", 28,
             (u_char *) known, strlen(known), &fast, &rehash);
    t_ok(rc == NGX_OK && rehash == 0, "verify a hashlib.scrypt() vector");

    rc = ngx_http_bedrud_scrypt_verify(
             (u_char *) "correct horse battery stapl", 27,
             (u_char *) known, strlen(known), &fast, &rehash);
    t_ok(rc == NGX_DECLINED, "hashlib vector, wrong password");

    /* invalid parameters for hashing are a caller error */

    bad.ln = 9;
    bad.r = 8;
    bad.p = 1;
    t_ok(ngx_http_bedrud_scrypt_hash(&bad, (u_char *) "x", 1, phc, &len)
         == NGX_ERROR, "hash: ln=9 refused");

    bad.ln = 21;
    bad.r = 8;
    t_ok(ngx_http_bedrud_scrypt_hash(&bad, (u_char *) "x", 1, phc, &len)
         == NGX_ERROR, "hash: ln=21 r=8 (2 GiB) refused");

    bad.ln = 10;
    bad.r = 8;
    bad.p = 0;
    t_ok(ngx_http_bedrud_scrypt_hash(&bad, (u_char *) "x", 1, phc, &len)
         == NGX_ERROR, "hash: p=0 refused");

    for (i = 0; malformed[i]; i++) {
        rehash = 7;
        rc = ngx_http_bedrud_scrypt_verify(
                 (u_char *) "correct horse battery staple", 28,
                 (u_char *) malformed[i], strlen(malformed[i]), &fast,
                 &rehash);
        t_ok(rc == NGX_DECLINED && rehash == 0,
             "malformed PHC %u declined", (unsigned) i);
    }

    /* a NUL inside, and NULL */

    ngx_memcpy(buf, known, strlen(known));
    buf[30] = '\0';
    rc = ngx_http_bedrud_scrypt_verify(
             (u_char *) "correct horse battery staple", 28, buf,
             strlen(known), &fast, &rehash);
    t_ok(rc == NGX_DECLINED, "PHC with a NUL byte declined");

    rc = ngx_http_bedrud_scrypt_verify((u_char *) "x", 1, NULL, 0, &fast,
                                       &rehash);
    t_ok(rc == NGX_DECLINED, "NULL PHC declined");
}


static void
t_password_slow(void)
{
    size_t                     len;
    u_char                     phc[NGX_HTTP_BEDRUD_PHC_MAX];
    double                     hash_ms, verify_ms;
    ngx_int_t                  rc;
    ngx_uint_t                 rehash;
    struct timespec            start;
    ngx_http_bedrud_scrypt_t   owasp = { 17, 8, 1 };

    if (getenv("BEDRUD_UNIT_SKIP_SLOW")) {
        t_skip("BEDRUD_UNIT_SKIP_SLOW", "scrypt ln=17 r=8 p=1 hash");
        t_skip("BEDRUD_UNIT_SKIP_SLOW", "scrypt ln=17 r=8 p=1 verify");
        return;
    }

    clock_gettime(CLOCK_MONOTONIC, &start);
    rc = ngx_http_bedrud_scrypt_hash(&owasp, (u_char *) "correct horse", 13,
                                     phc, &len);
    hash_ms = t_ms(&start);

    t_ok(rc == NGX_OK && ngx_strncmp(phc, "$scrypt$ln=17,r=8,p=1$", 22) == 0,
         "scrypt hash at ln=17 r=8 p=1 (128 MiB, above OpenSSL's default "
         "maxmem)");

    clock_gettime(CLOCK_MONOTONIC, &start);
    rc = ngx_http_bedrud_scrypt_verify((u_char *) "correct horse", 13, phc,
                                       len, &owasp, &rehash);
    verify_ms = t_ms(&start);

    t_ok(rc == NGX_OK && rehash == 0, "scrypt verify at ln=17 r=8 p=1");

    printf("# scrypt ln=17 r=8 p=1: hash %.0f ms, verify %.0f ms\n",
           hash_ms, verify_ms);
}


/* jwt.c */

static size_t
t_b64url(u_char *dst, const u_char *src, size_t len)
{
    return ngx_http_bedrud_base64_encode(dst, src, len, 1) - dst;
}


static void
t_craft(ngx_str_t *token, const char *header, const char *payload,
    const char *secret, const EVP_MD *md)
{
    u_char        *p;
    unsigned int   n;
    u_char         mac[EVP_MAX_MD_SIZE];

    static u_char  buf[T_BUF];

    /* a token signed independently of libjwt: any header, any payload */

    p = buf;
    p += t_b64url(p, (u_char *) header, strlen(header));
    *p++ = '.';
    p += t_b64url(p, (u_char *) payload, strlen(payload));

    if (md) {
        HMAC(md, secret, strlen(secret), buf, p - buf, mac, &n);
        *p++ = '.';
        p += t_b64url(p, mac, n);

    } else {
        *p++ = '.';
    }

    token->data = buf;
    token->len = p - buf;
}


static void
t_payload(char *buf, time_t now, const char *name, const char *value,
    const char *extra)
{
    char        *p;
    char         num[32];
    const char  *v;
    ngx_uint_t   i, first;

    static t_claim_t  claims[] = {
        { "typ", "\"access\"" },
        { "iss", "\"bedrud\"" },
        { "aud", "[\"bedrud\"]" },
        { "exp", "+3600" },
        { "iat", "+0" },
        { "nbf", "+0" },
        { "userId", "\"u-1\"" },
        { "sub", "\"u-1\"" },
        { "email", "\"ann@example.com\"" },
        { "name", "\"Ann\"" },
        { "provider", "\"local\"" },
        { "accesses", "[\"user\",\"superadmin\"]" },
        { "jti", "\"j-1\"" },
        { "fam", "\"f-1\"" },
        { NULL, NULL }
    };

    /* the valid claims, with "name" replaced by "value" (NULL: removed) */

    p = buf;
    *p++ = '{';
    first = 1;

    for (i = 0; claims[i].name; i++) {
        v = claims[i].value;

        if (name && strcmp(name, claims[i].name) == 0) {
            v = value;
        }

        if (v == NULL) {
            continue;
        }

        if (v[0] == '+') {
            snprintf(num, sizeof(num), "%lld",
                     (long long) now + atoll(v + 1));
            v = num;
        }

        p += sprintf(p, "%s\"%s\":%s", first ? "" : ",", claims[i].name, v);
        first = 0;
    }

    if (extra) {
        p += sprintf(p, "%s", extra);
    }

    *p++ = '}';
    *p = '\0';
}


static ngx_int_t
t_verify(ngx_str_t *token, ngx_uint_t type, ngx_http_bedrud_claims_t *claims)
{
    ngx_http_bedrud_claims_t  dummy;

    return ngx_http_bedrud_jwt_verify(&ngx_stub_pool, token, &t_secret, type,
                                      T_NOW, claims ? claims : &dummy);
}


static ngx_int_t
t_verify_payload(const char *name, const char *value, const char *extra)
{
    ngx_str_t  token;
    char       payload[T_BUF];

    t_payload(payload, T_NOW, name, value, extra);
    t_craft(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha256());

    return t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL);
}


static void
t_claims(ngx_http_bedrud_claims_t *claims, ngx_uint_t type,
    const char *accesses)
{
    ngx_memzero(claims, sizeof(ngx_http_bedrud_claims_t));

    claims->type = type;
    claims->user_id = t_str("5f0c6a52-3b1e-4c1a-9a57-1f2d3c4b5a69");
    claims->email = t_str("ann@example.com");
    claims->name = t_str("Ann \xc3\x85ngstr\xc3\xb6m \"quoted\"");
    claims->provider = t_str("local");
    claims->accesses = t_str(accesses);
    claims->jti = t_str("0e3a9a3c-9f5e-4b7c-8d2a-6c1b5e4f3a21");
    claims->fam = t_str("f2b8c1d4-7e6a-4f3b-9c2d-1a0b9e8d7c6f");
}


static void
t_jwt_roundtrip(void)
{
    ngx_int_t                 rc;
    ngx_str_t                 access, refresh, bad;
    ngx_http_bedrud_claims_t  in, out;

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[\"user\",\"superadmin\"]");

    rc = ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   3600, &access);
    t_ok(rc == NGX_OK && access.len > 0, "issue access token");

    rc = t_verify(&access, NGX_HTTP_BEDRUD_TOKEN_ACCESS, &out);
    t_ok(rc == NGX_OK, "verify access token as access");

    t_ok(out.type == NGX_HTTP_BEDRUD_TOKEN_ACCESS
         && out.user_id.len == in.user_id.len
         && ngx_memcmp(out.user_id.data, in.user_id.data, in.user_id.len) == 0
         && out.email.len == in.email.len
         && ngx_memcmp(out.email.data, in.email.data, in.email.len) == 0
         && out.name.len == in.name.len
         && ngx_memcmp(out.name.data, in.name.data, in.name.len) == 0
         && out.provider.len == 5
         && out.jti.len == in.jti.len
         && ngx_memcmp(out.jti.data, in.jti.data, in.jti.len) == 0
         && out.fam.len == in.fam.len
         && ngx_memcmp(out.fam.data, in.fam.data, in.fam.len) == 0,
         "claims survive the round trip (UTF-8 and quotes in name)");

    t_ok(out.iat == T_NOW && out.exp == T_NOW + 3600,
         "iat and exp");

    t_ok(out.accesses.len == 21
         && ngx_strncmp(out.accesses.data, "[\"user\",\"superadmin\"]", 21)
            == 0
         && out.superadmin,
         "accesses text and superadmin flag: %.*s",
         (int) out.accesses.len, out.accesses.data);

    rc = t_verify(&access, NGX_HTTP_BEDRUD_TOKEN_REFRESH, &out);
    t_ok(rc == NGX_DECLINED, "access token refused as refresh");

    rc = ngx_http_bedrud_jwt_verify(&ngx_stub_pool, &access, &t_secret,
                                    NGX_HTTP_BEDRUD_TOKEN_ACCESS,
                                    T_NOW + 3600, &out);
    t_ok(rc == NGX_DECLINED, "access token expired at exp");

    rc = ngx_http_bedrud_jwt_verify(&ngx_stub_pool, &access, &t_secret,
                                    NGX_HTTP_BEDRUD_TOKEN_ACCESS,
                                    T_NOW + 3599, &out);
    t_ok(rc == NGX_OK, "access token valid one second before exp");

    rc = ngx_http_bedrud_jwt_verify(&ngx_stub_pool, &access, &t_secret,
                                    NGX_HTTP_BEDRUD_TOKEN_ACCESS,
                                    T_NOW - 1, &out);
    t_ok(rc == NGX_DECLINED, "access token not valid before nbf");

    bad = t_str("0123456789abcdef0123456789abcdef-test-secreT");
    rc = ngx_http_bedrud_jwt_verify(&ngx_stub_pool, &access, &bad,
                                    NGX_HTTP_BEDRUD_TOKEN_ACCESS, T_NOW,
                                    &out);
    t_ok(rc == NGX_DECLINED, "wrong secret");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_REFRESH, "[\"user\"]");

    rc = ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   7 * 86400, &refresh);
    t_ok(rc == NGX_OK, "issue refresh token");

    rc = t_verify(&refresh, NGX_HTTP_BEDRUD_TOKEN_REFRESH, &out);
    t_ok(rc == NGX_OK && out.type == NGX_HTTP_BEDRUD_TOKEN_REFRESH
         && !out.superadmin && out.exp == T_NOW + 7 * 86400,
         "verify refresh token as refresh");

    rc = t_verify(&refresh, NGX_HTTP_BEDRUD_TOKEN_ACCESS, &out);
    t_ok(rc == NGX_DECLINED, "refresh token refused as access token");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "");
    rc = ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   60, &access);
    t_ok(rc == NGX_OK
         && t_verify(&access, NGX_HTTP_BEDRUD_TOKEN_ACCESS, &out) == NGX_OK
         && out.accesses.len == 2 && !out.superadmin,
         "empty accesses issue as []");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[\"superadmins\"]");
    rc = ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   60, &access);
    t_ok(rc == NGX_OK
         && t_verify(&access, NGX_HTTP_BEDRUD_TOKEN_ACCESS, &out) == NGX_OK
         && !out.superadmin,
         "\"superadmins\" is not superadmin");

    /* issue() refuses what verify() would refuse */

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "\"user\"");
    t_ok(ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   60, &access) == NGX_ERROR,
         "issue: accesses not an array");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[\"user\",1]");
    t_ok(ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   60, &access) == NGX_ERROR,
         "issue: accesses with a number");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[\"user\"");
    t_ok(ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   60, &access) == NGX_ERROR,
         "issue: accesses not JSON");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[]");
    in.name = t_str("bad \xc3\x28 utf-8");
    t_ok(ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   60, &access) == NGX_ERROR,
         "issue: invalid UTF-8");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[]");
    in.jti.len = 0;
    t_ok(ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW,
                                   60, &access) == NGX_ERROR,
         "issue: no jti");

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[]");
    bad.len = 0;
    t_ok(ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &bad, &in, T_NOW,
                                   60, &access) == NGX_ERROR,
         "issue: empty secret");
    t_ok(ngx_http_bedrud_jwt_verify(&ngx_stub_pool, &access, &bad,
                                    NGX_HTTP_BEDRUD_TOKEN_ACCESS, T_NOW, &out)
         == NGX_DECLINED,
         "verify: empty secret");

    ngx_stub_pool_reset();
}


static void
t_jwt_headers(void)
{
    jwt_t                     *jwt;
    char                      *s;
    ngx_int_t                  rc;
    ngx_str_t                  token;
    ngx_uint_t                 i;
    char                       payload[T_BUF];
    u_char                     buf[T_BUF], orig[T_BUF];

    static const char  *refused[] = {
        "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256 \",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
        "{\"alg\":\"HS256\",\"typ\":1}",
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
        "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
        "{\"alg\":[\"HS256\"]}",
        "{\"alg\":null}",
        "{\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"x\":[[[[[[1]]]]]]}",
        "[\"HS256\"]",
        "\"HS256\"",
        "{\"alg\":\"HS256\"",
        "{\"alg\":\"HS256\"}x",
        "",
        NULL
    };

    t_payload(payload, T_NOW, NULL, NULL, NULL);

    t_craft(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha256());
    rc = t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL);
    t_ok(rc == NGX_OK, "crafted HS256 token verifies (control)");

    t_craft(&token, "{\"typ\":\"JWT\",\"alg\":\"HS256\"}", payload, T_SECRET,
            EVP_sha256());
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_OK,
         "header members in another order");

    t_craft(&token, "{\"alg\":\"HS256\"}", payload, T_SECRET, EVP_sha256());
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_OK,
         "header without typ");

    for (i = 0; refused[i]; i++) {
        t_craft(&token, refused[i], payload, T_SECRET, EVP_sha256());
        rc = t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL);
        t_ok(rc == NGX_DECLINED, "header refused: %s", refused[i]);
    }

    /* "alg":"none": unsigned, or with an HS256 signature appended */

    t_craft(&token, "{\"alg\":\"none\"}", payload, T_SECRET, NULL);
    t_ok(ngx_strncmp(token.data, "eyJhbGciOiJub25lIn0.", 20) == 0
         && t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
            == NGX_DECLINED,
         "alg none, no signature: eyJhbGciOiJub25lIn0.<payload>.");

    t_craft(&token, "{\"alg\":\"none\"}", payload, T_SECRET, EVP_sha256());
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "alg none with an HMAC appended");

    t_craft(&token, "{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, T_SECRET,
            NULL);
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "alg none with typ JWT");

    /* HS512 and HS384 with the same secret: the right MAC, wrong alg */

    t_craft(&token, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha512());
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "HS512 token signed with the secret (crafted)");

    t_craft(&token, "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha384());
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "HS384 token signed with the secret (crafted)");

    s = NULL;
    jwt = NULL;

    if (jwt_new(&jwt) == 0
        && jwt_set_alg(jwt, JWT_ALG_HS512, (u_char *) T_SECRET,
                       strlen(T_SECRET)) == 0
        && jwt_add_grants_json(jwt, payload) == 0)
    {
        s = jwt_encode_str(jwt);
    }

    token = t_str(s ? s : "");
    t_ok(s != NULL
         && t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
            == NGX_DECLINED,
         "HS512 token signed with the secret (libjwt)");

    free(s);
    jwt_free(jwt);

    /* the HS512 signature truncated to HS256 length */

    t_craft(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha512());
    token.len -= 86 - 43;
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "HS256 header, truncated HS512 signature");

    /* bad signatures */

    t_craft(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha256());
    ngx_memcpy(orig, token.data, token.len);
    ngx_memcpy(buf, token.data, token.len);
    token.data = buf;

    for (i = token.len - 43; i < token.len; i += 6) {
        buf[i] = (buf[i] == 'A') ? 'B' : 'A';
        t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
             == NGX_DECLINED, "signature character %u changed", (unsigned) i);
        buf[i] = orig[i];
    }

    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_OK,
         "restored signature verifies (control)");

    /* 'Q' and 'R' differ only in the low bits, unused at the end */

    buf[token.len - 1] = (buf[token.len - 1] == 'Q') ? 'R' : 'Q';
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "last signature character changed");

    t_craft(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload,
            "another secret of some length 0123456789", EVP_sha256());
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "signed with another secret");

    /* the payload changed after signing */

    t_craft(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha256());
    ngx_memcpy(buf, token.data, token.len);
    token.data = buf;
    buf[40] = (buf[40] == 'A') ? 'B' : 'A';
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "payload byte changed");

    ngx_stub_pool_reset();
}


static void
t_jwt_claims(void)
{
    ngx_uint_t  i;
    char        big[9000];

    static t_claim_t  refused[] = {
        { "typ", NULL },
        { "typ", "\"refresh\"" },
        { "typ", "\"Access\"" },
        { "typ", "1" },
        { "typ", "[\"access\"]" },
        { "iss", NULL },
        { "iss", "\"evil\"" },
        { "iss", "\"bedrud\\u0000\"" },
        { "iss", "[\"bedrud\"]" },
        { "aud", NULL },
        { "aud", "[\"other\"]" },
        { "aud", "[]" },
        { "aud", "\"other\"" },
        { "aud", "1" },
        { "aud", "[1,{\"bedrud\":1}]" },
        { "aud", "{\"bedrud\":true}" },
        { "exp", NULL },
        { "exp", "+0" },
        { "exp", "-1" },
        { "exp", "\"1777381200\"" },
        { "exp", "1777381200.0" },
        { "exp", "1.7773812e9" },
        { "exp", "1e300" },
        { "exp", "-1777381200" },
        { "exp", "253402300800" },
        { "exp", "9223372036854775807" },
        { "exp", "99999999999999999999" },
        { "exp", "true" },
        { "exp", "null" },
        { "exp", "[1777381200]" },
        { "nbf", "+1" },
        { "nbf", "+100" },
        { "nbf", "\"0\"" },
        { "nbf", "0.5" },
        { "nbf", "-5" },
        { "iat", NULL },
        { "iat", "\"1777377600\"" },
        { "iat", "1777377600.5" },
        { "iat", "null" },
        { "userId", NULL },
        { "userId", "\"\"" },
        { "userId", "42" },
        { "userId", "null" },
        { "sub", NULL },
        { "sub", "\"u-2\"" },
        { "sub", "\"u-1 \"" },
        { "sub", "\"\"" },
        { "sub", "42" },
        { "jti", NULL },
        { "jti", "\"\"" },
        { "jti", "{}" },
        { "fam", NULL },
        { "fam", "7" },
        { "email", "1" },
        { "name", "[]" },
        { "provider", "false" },
        { "accesses", NULL },
        { "accesses", "\"superadmin\"" },
        { "accesses", "[\"user\",1]" },
        { "accesses", "[null]" },
        { "accesses", "[[\"superadmin\"]]" },
        { "accesses", "{\"superadmin\":1}" },
        { NULL, NULL }
    };

    static t_claim_t  accepted[] = {
        { "nbf", NULL },
        { "nbf", "+0" },
        { "nbf", "+-100" },
        { "aud", "\"bedrud\"" },
        { "aud", "[\"x\",\"bedrud\"]" },
        { "email", NULL },
        { "name", "\"\"" },
        { "provider", NULL },
        { "accesses", "[]" },
        { "iat", "+100" },
        { NULL, NULL }
    };

    for (i = 0; refused[i].name; i++) {
        t_ok(t_verify_payload(refused[i].name, refused[i].value, NULL)
             == NGX_DECLINED,
             "claim refused: %s %s", refused[i].name,
             refused[i].value ? refused[i].value : "missing");
    }

    for (i = 0; accepted[i].name; i++) {
        t_ok(t_verify_payload(accepted[i].name, accepted[i].value, NULL)
             == NGX_OK,
             "claim accepted: %s %s", accepted[i].name,
             accepted[i].value ? accepted[i].value : "missing");
    }

    t_ok(t_verify_payload(NULL, NULL, ",\"userId\":\"u-2\"") == NGX_DECLINED,
         "duplicate claim refused");

    t_ok(t_verify_payload(NULL, NULL, ",\"extra\":{\"a\":[1,2,{}]}")
         == NGX_OK,
         "unknown claims ignored");

    /* the whole payload */

    {
        ngx_str_t   token;
        const char  *payloads[] = { "[]", "null", "\"x\"", "{", "", "{}",
                                    "{\"typ\":\"access\"}", NULL };

        for (i = 0; payloads[i]; i++) {
            t_craft(&token, "{\"alg\":\"HS256\"}", payloads[i], T_SECRET,
                    EVP_sha256());
            t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
                 == NGX_DECLINED, "payload refused: '%s'", payloads[i]);
        }
    }

    /* size: a big name claim just under, and over, 8 KiB */

    ngx_memset(big, 'a', sizeof(big));
    big[0] = '"';
    big[5600] = '"';
    big[5601] = '\0';

    t_ok(t_verify_payload("name", big, NULL) == NGX_OK,
         "token of about 7.7 KiB accepted");

    big[5600] = 'a';
    big[6200] = '"';
    big[6201] = '\0';

    t_ok(t_verify_payload("name", big, NULL) == NGX_DECLINED,
         "token over 8 KiB refused");

    ngx_stub_pool_reset();
}


static void
t_jwt_garbage(void)
{
    u_char      *p;
    size_t       len, olen, pos;
    ngx_str_t    token;
    ngx_uint_t   i, j, k, declined;
    char         payload[T_BUF];
    u_char       buf[T_BUF], orig[T_BUF];

    static const char  *garbage[] = {
        "", ".", "..", "...", "....", "a", "a.b", "a.b.c", "a.b.c.d",
        ".b.cccccccccccccccccccccccccccccccccccccccccc",
        "a..ccccccccccccccccccccccccccccccccccccccccccc",
        "a.b.", "eyJhbGciOiJub25lIn0..",
        "eyJhbGciOiJub25lIn0.e30.",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30."
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJhbGciOiJIUzI1NiJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJhbGciOiJIUzI1NiJ9=.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJhbGciOiJIUzI1NiJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
        NULL
    };

    for (i = 0; garbage[i]; i++) {
        token = t_str(garbage[i]);
        t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
             == NGX_DECLINED, "garbage refused: '%s'", garbage[i]);
    }

    /* a valid token, with extra bytes around it */

    t_payload(payload, T_NOW, NULL, NULL, NULL);
    t_craft(&token, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, T_SECRET,
            EVP_sha256());
    ngx_memcpy(orig, token.data, token.len);
    len = token.len;
    olen = len;

    token.data = buf;

    buf[0] = ' ';
    ngx_memcpy(buf + 1, orig, len);
    token.len = len + 1;
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "leading space refused");

    ngx_memcpy(buf, orig, len);
    buf[len] = '\n';
    token.len = len + 1;
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "trailing newline refused");

    buf[len] = '\0';
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "trailing NUL refused");

    buf[len] = '.';
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "trailing dot refused");

    ngx_memcpy(buf, orig, len);
    buf[10] = '\0';
    token.len = len;
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "NUL inside refused");

    ngx_memcpy(buf, orig, len);
    token.len = len;
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_OK,
         "the untouched copy still verifies (control)");

    /* 9 KiB and 8 KiB + 1 of valid-looking characters */

    ngx_memset(buf, 'A', 9216);
    buf[100] = '.';
    buf[9216 - 44] = '.';
    token.len = 9216;
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "9 KiB token refused");

    token.len = 8193;
    buf[8193 - 44] = '.';
    t_ok(t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL) == NGX_DECLINED,
         "8 KiB + 1 token refused");

    /* random bytes, random base64url, random mutations of a valid token */

    srandom(12345);
    declined = 0;

    for (i = 0; i < 3000; i++) {
        len = random() % 200;

        for (j = 0; j < len; j++) {
            buf[j] = (u_char) random();
        }

        token.len = len;

        if (t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
            == NGX_DECLINED)
        {
            declined++;
        }
    }

    t_ok(declined == 3000, "3000 random byte strings refused");

    declined = 0;

    for (i = 0; i < 3000; i++) {
        p = buf;
        len = 1 + random() % 80;

        for (j = 0; j < len; j++) {
            *p++ = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789-_"[random() % 64];
        }

        *p++ = '.';

        if (i % 2) {
            /* a JSON header, to get past the header check sometimes */
            p += t_b64url(p, (u_char *) "{\"alg\":\"HS256\"}", 15);
            *p++ = '.';
        }

        len = random() % 120;

        for (j = 0; j < len; j++) {
            *p++ = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789-_."[random() % 65];
        }

        token.len = p - buf;

        if (t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
            == NGX_DECLINED)
        {
            declined++;
        }
    }

    t_ok(declined == 3000, "3000 random base64url strings refused");

    declined = 0;

    for (i = 0; i < 3000; i++) {
        ngx_memcpy(buf, orig, olen);
        token.len = olen;

        k = 1 + random() % 3;

        for (j = 0; j < k; j++) {
            pos = random() % olen;
            buf[pos] = (u_char) (buf[pos] ^ (1 + random() % 255));
        }

        if (ngx_memcmp(buf, orig, olen) == 0) {
            /* two flips undid each other */
            declined++;
            continue;
        }

        if (t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, NULL)
            == NGX_DECLINED)
        {
            declined++;
        }
    }

    t_ok(declined == 3000, "3000 mutated tokens refused");

    ngx_stub_pool_reset();
}


static void
t_jwt_alloc(void)
{
    ngx_int_t                 rc;
    ngx_str_t                 token;
    ngx_uint_t                i, errors;
    ngx_http_bedrud_claims_t  in, out;

    /* every failing pool allocation gives NGX_ERROR, never a half result */

    t_claims(&in, NGX_HTTP_BEDRUD_TOKEN_ACCESS, "[\"user\"]");

    ngx_stub_fail_after = 0;
    rc = ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW, 60,
                                   &token);
    t_ok(rc == NGX_ERROR, "issue: allocation failure is NGX_ERROR");
    ngx_stub_pool_reset();

    rc = ngx_http_bedrud_jwt_issue(&ngx_stub_pool, &t_secret, &in, T_NOW, 60,
                                   &token);

    errors = 0;

    for (i = 0; i < 32; i++) {
        ngx_stub_fail_after = i;
        rc = t_verify(&token, NGX_HTTP_BEDRUD_TOKEN_ACCESS, &out);

        if (rc == NGX_OK) {
            break;
        }

        if (rc == NGX_ERROR) {
            errors++;
        }
    }

    ngx_stub_fail_after = -1;

    t_ok(rc == NGX_OK && errors == i && i > 3,
         "verify: each of %u allocations failing gives NGX_ERROR",
         (unsigned) i);

    ngx_stub_pool_reset();
}


/* livekit.c, and the HS256 signer of jwt.c */

static void
t_hex(u_char *dst, const u_char *src, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        sprintf((char *) dst + 2 * i, "%02x", src[i]);
    }
}


static void
t_hs256(void)
{
    ngx_int_t      rc;
    ngx_str_t      secret, empty;
    ngx_uint_t     i, j, good;
    unsigned int   n;
    u_char         mac[NGX_HTTP_BEDRUD_HS256_LEN];
    u_char         want[EVP_MAX_MD_SIZE];
    u_char         hex[2 * NGX_HTTP_BEDRUD_HS256_LEN + 1];
    u_char         keys[6][40];

    /* from "printf %s MSG | openssl dgst -sha256 -hmac KEY" */

    static t_hmac_vector_t  vectors[] = {
        { T_LK_SECRET, "hello",
          "e3158c608953bc01a78fba5e0cee2a47476884c858e8946db432d379e3095930" },
        { T_LK_SECRET, "other",
          "82e7384fa08ba1c44e0aa67fcb493937a87b5076863f90729d8fc491c7d523c8" },
        { T_LK_SECRET, "",
          "e93ed4c68ec8a00c53c792c915578081be6a4216f773e47f373bcaa30914b5b9" },
        { T_SECRET, "hello",
          "ceef72743a5c53fe9b7aebf1da1a9753b6a0d157d5b41c9ce71e08f8a2d20b44" },

        /* longer than SHA-256's block: HMAC hashes the key first */

        { "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
          "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
          "The quick brown fox jumps over the lazy dog",
          "d545ebc800857f4b734cbdc38712fe226d36a8ac3469cad63650e5bc872cd76d" },
        { NULL, NULL, NULL }
    };

    /*
     * Twice round: the second time every key's context is reused, and
     * each MAC must start afresh after the previous one with that key
     * (EVP_MAC_init() with a NULL key).
     */

    for (j = 0; j < 2; j++) {
        for (i = 0; vectors[i].key; i++) {
            secret = t_str(vectors[i].key);

            rc = ngx_http_bedrud_hs256(&secret,
                                       (u_char *) vectors[i].msg,
                                       strlen(vectors[i].msg), mac);
            t_hex(hex, mac, sizeof(mac));

            t_ok(rc == NGX_OK && strcmp((char *) hex, vectors[i].hex) == 0,
                 "hs256 round %u: \"%s\" under a %u-byte key is the openssl "
                 "dgst vector", (unsigned) j + 1, vectors[i].msg,
                 (unsigned) secret.len);
        }
    }

    /* more secrets than cached contexts: they take turns, still right */

    good = 1;

    for (j = 0; j < 3; j++) {
        for (i = 0; i < 6; i++) {
            ngx_memset(keys[i], 'a' + i, sizeof(keys[i]));
            secret.data = keys[i];
            secret.len = sizeof(keys[i]) - i;

            rc = ngx_http_bedrud_hs256(&secret, (u_char *) "hello", 5, mac);
            HMAC(EVP_sha256(), secret.data, secret.len, (u_char *) "hello",
                 5, want, &n);

            good &= (rc == NGX_OK && n == sizeof(mac)
                     && ngx_memcmp(mac, want, n) == 0);
        }
    }

    t_ok(good, "hs256 with 6 secrets, 3 rounds: each MAC as HMAC()");

    /* the same address and length, other bytes: never the old key */

    secret.data = keys[0];
    secret.len = sizeof(keys[0]);

    (void) ngx_http_bedrud_hs256(&secret, (u_char *) "hello", 5, mac);
    keys[0][7] ^= 1;
    rc = ngx_http_bedrud_hs256(&secret, (u_char *) "hello", 5, mac);
    HMAC(EVP_sha256(), secret.data, secret.len, (u_char *) "hello", 5, want,
         &n);

    t_ok(rc == NGX_OK && ngx_memcmp(mac, want, n) == 0,
         "hs256: a secret changed in place is keyed again");

    ngx_str_null(&empty);

    t_ok(ngx_http_bedrud_hs256(&empty, (u_char *) "hello", 5, mac)
         == NGX_ERROR, "hs256 refuses an empty secret");
}


/*
 * The LiveKit token as it was made before the direct writer: claims
 * built with jansson, signed by libjwt.  The new token must be the same
 * bytes, for every input.
 */

static json_t *
t_lk_old_metadata(ngx_str_t *accesses)
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
t_lk_old_video(ngx_http_bedrud_livekit_grant_t *g)
{
    json_t  *sources;

    sources = json_array();

    if (g->allow_video) {
        json_array_append_new(sources, json_string("camera"));
    }

    if (g->allow_audio) {
        json_array_append_new(sources, json_string("microphone"));
    }

    if (g->allow_video) {
        json_array_append_new(sources, json_string("screen_share"));
    }

    if (g->allow_audio) {
        json_array_append_new(sources, json_string("screen_share_audio"));
    }

    return json_pack("{sbsosbsbsosbsb}",
                     "roomJoin", 1,
                     "room", json_stringn((char *) g->room.data, g->room.len),
                     "canPublish", (int) (g->allow_audio || g->allow_video),
                     "canPublishData", (int) g->allow_chat,
                     "canPublishSources", sources,
                     "canSubscribe", 1,
                     "canUpdateOwnMetadata", (int) !g->guest);
}


static ngx_int_t
t_lk_old(ngx_str_t *key, ngx_str_t *secret,
    ngx_http_bedrud_livekit_grant_t *g, time_t now, ngx_str_t *token)
{
    char       *text, *out;
    jwt_t      *jwt;
    json_t     *claims;
    ngx_int_t   rc;

    if (key->len == 0 || secret->len == 0) {
        return NGX_DECLINED;
    }

    if (g->identity.len == 0 || g->room.len == 0) {
        return NGX_ERROR;
    }

    claims = json_object();

    if (json_object_set_new(claims, "sub",
                            json_stringn((char *) g->identity.data,
                                         g->identity.len))
        != 0
        || (g->name.len
            && json_object_set_new(claims, "name",
                                   json_stringn((char *) g->name.data,
                                                g->name.len))
               != 0)
        || (!g->guest
            && json_object_set_new(claims, "metadata",
                                   t_lk_old_metadata(&g->accesses))
               != 0)
        || json_object_set_new(claims, "video", t_lk_old_video(g)) != 0
        || json_object_set_new(claims, "iss",
                               json_stringn((char *) key->data, key->len))
           != 0
        || json_object_set_new(claims, "nbf", json_integer(now)) != 0
        || json_object_set_new(claims, "exp",
                               json_integer(now
                                            + NGX_HTTP_BEDRUD_LIVEKIT_TTL))
           != 0)
    {
        json_decref(claims);
        return NGX_ERROR;
    }

    text = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);

    if (text == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    jwt = NULL;
    out = NULL;

    if (jwt_new(&jwt) == 0
        && jwt_set_alg(jwt, JWT_ALG_HS256, secret->data, (int) secret->len)
           == 0
        && jwt_add_grants_json(jwt, text) == 0)
    {
        out = jwt_encode_str(jwt);
    }

    if (out != NULL) {
        token->len = strlen(out);
        token->data = ngx_pnalloc(&ngx_stub_pool, token->len);

        if (token->data != NULL) {
            ngx_memcpy(token->data, out, token->len);
            rc = NGX_OK;
        }
    }

    free(out);
    jwt_free(jwt);
    free(text);

    return rc;
}


/* the claims a grant must give, built independently with jansson */

static json_t *
t_lk_expect(ngx_str_t *key, ngx_http_bedrud_livekit_grant_t *g,
    time_t now, const char *dumped)
{
    json_t  *claims, *sources;
    char     meta[1024];

    sources = json_array();

    if (g->allow_video) {
        json_array_append_new(sources, json_string("camera"));
    }

    if (g->allow_audio) {
        json_array_append_new(sources, json_string("microphone"));
    }

    if (g->allow_video) {
        json_array_append_new(sources, json_string("screen_share"));
    }

    if (g->allow_audio) {
        json_array_append_new(sources, json_string("screen_share_audio"));
    }

    claims = json_pack("{s:s%, s:s%, s:I, s:I, s:{s:b, s:s%, s:b, s:b, s:o,"
                       " s:b, s:b}}",
                       "iss", key->data, key->len,
                       "sub", g->identity.data, g->identity.len,
                       "nbf", (json_int_t) now,
                       "exp", (json_int_t) now + 3600,
                       "video",
                       "roomJoin", 1,
                       "room", g->room.data, g->room.len,
                       "canPublish", g->allow_audio || g->allow_video,
                       "canPublishData", (int) g->allow_chat,
                       "canPublishSources", sources,
                       "canSubscribe", 1,
                       "canUpdateOwnMetadata", !g->guest);

    if (g->name.len) {
        json_object_set_new(claims, "name",
                            json_stringn((char *) g->name.data, g->name.len));
    }

    if (!g->guest) {
        snprintf(meta, sizeof(meta), "{\"accesses\":%s}", dumped);
        json_object_set_new(claims, "metadata", json_string(meta));
    }

    return claims;
}


/* libjwt verifies the token; its payload, parsed, or NULL */

static json_t *
t_lk_decode(ngx_str_t *token, ngx_str_t *secret)
{
    int         rc;
    char       *dot;
    jwt_t      *jwt;
    size_t      n;
    jwt_alg_t   alg;
    u_char      buf[T_BUF], payload[T_BUF];

    if (token->len >= sizeof(buf)) {
        return NULL;
    }

    ngx_memcpy(buf, token->data, token->len);
    buf[token->len] = '\0';

    jwt = NULL;
    rc = jwt_decode(&jwt, (char *) buf, secret->data, secret->len);
    alg = (rc == 0) ? jwt_get_alg(jwt) : JWT_ALG_NONE;
    jwt_free(jwt);

    if (rc != 0 || alg != JWT_ALG_HS256) {
        return NULL;
    }

    dot = strchr((char *) buf, '.');

    if (ngx_http_bedrud_base64_decode(payload, &n, (u_char *) dot + 1,
                                      strrchr((char *) buf, '.') - dot - 1,
                                      1)
        != NGX_OK)
    {
        return NULL;
    }

    return json_loadb((char *) payload, n, JSON_REJECT_DUPLICATES, NULL);
}


static void
t_livekit(void)
{
    json_t                           *want, *got, *old;
    ngx_int_t                         rc, orc;
    ngx_str_t                         key, secret, other, token, otoken;
    ngx_uint_t                        i, bits, ni, cases, n_ok, n_claims;
    ngx_uint_t                        n_bytes, n_equal, n_header, fails;
    ngx_uint_t                        err;
    ngx_http_bedrud_livekit_grant_t   g;

    static const char  *names[] = {
        "",
        "Alice",
        "say \"hi\"",
        "back\\slash\\",
        "ctl \x01\b\t\n\x0b\f\r\x1f\x7f end",
        "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
        "\"\\\"/</script>",
        NULL
    };

    /* the grant's accesses, and what the metadata must say for them */

    static t_acc_t  accs[] = {
        { "", "null" },
        { "[]", "[]" },
        { "[\"user\",\"moderator\"]", "[\"user\",\"moderator\"]" },
        { "[\"a\\\"b\",\"c\\\\d\",\"\\n\\u001F\\u000B\\t\"]",
          "[\"a\\\"b\",\"c\\\\d\",\"\\n\\u001F\\u000B\\t\"]" },
        { "[\"\xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80\",\"x/y\"]",
          "[\"\xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80\",\"x/y\"]" },

        /* not jansson's form: dumped again */

        { "[ \"user\" ]", "[\"user\"]" },
        { "[\"\\u0041\\/\"]", "[\"A/\"]" },
        { "[\"\\u001f\\u000a\"]", "[\"\\u001F\\n\"]" },
        { "[\"\\ud83d\\ude00\"]", "[\"\xf0\x9f\x98\x80\"]" },
        { "[1,{\"b\":[true,null]}]", "[1,{\"b\":[true,null]}]" },

        /* not an array of JSON: null */

        { "[\"\\u0000\"]", "null" },
        { "{\"accesses\":[]}", "null" },
        { "not json", "null" },
        { "[\"a\"]]", "null" },
        { "[\"a\",]", "null" },
        { "[\"\xff\"]", "null" },
        { "[\"a\"", "null" },
        { NULL, NULL }
    };

    key = t_str("devkey");
    secret = t_str(T_LK_SECRET);

    cases = 0;
    n_ok = 0;
    n_claims = 0;
    n_bytes = 0;
    n_equal = 0;
    n_header = 0;
    fails = 0;

    /* guest, audio, video, chat, e2ee: every combination, every name */

    for (bits = 0; bits < 32; bits++) {
        for (ni = 0; names[ni]; ni++) {
            for (i = 0; accs[i].text; i++) {

                if ((bits & 1) && i > 0) {
                    /* guests carry no accesses at all */
                    break;
                }

                ngx_memzero(&g, sizeof(ngx_http_bedrud_livekit_grant_t));

                g.guest = bits & 1;
                g.allow_audio = (bits >> 1) & 1;
                g.allow_video = (bits >> 2) & 1;
                g.allow_chat = (bits >> 3) & 1;
                g.e2ee = (bits >> 4) & 1;

                g.identity = t_str(g.guest
                                   ? "guest-1a2b3c4d"
                                   : "5f0c6a8e-2b1d-4c3e-9f7a-0123456789ab");
                g.name = t_str(names[ni]);
                g.room = t_str(bits & 8 ? "abc-defg-hij" : "r\"\\\xc3\xa9");

                if (!g.guest) {
                    g.accesses = t_str(accs[i].text);
                }

                cases++;

                rc = ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key,
                                                   &secret, &g, T_NOW,
                                                   &token);
                orc = t_lk_old(&key, &secret, &g, T_NOW, &otoken);

                if (rc != NGX_OK || orc != NGX_OK) {
                    if (fails++ == 0) {
                        printf("# failed: bits %u name \"%s\" accesses "
                               "\"%s\": rc %d old %d\n", (unsigned) bits,
                               names[ni], accs[i].text, (int) rc, (int) orc);
                    }

                    continue;
                }

                n_ok++;

                if (token.len > 37
                    && ngx_memcmp(token.data,
                                  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37)
                       == 0)
                {
                    n_header++;
                }

                if (token.len == otoken.len
                    && ngx_memcmp(token.data, otoken.data, token.len) == 0)
                {
                    n_bytes++;

                } else if (fails++ == 0) {
                    printf("# differs: bits %u name \"%s\" accesses "
                           "\"%s\"\n# new %.*s\n# old %.*s\n",
                           (unsigned) bits, names[ni], accs[i].text,
                           (int) token.len, token.data,
                           (int) otoken.len, otoken.data);
                }

                want = t_lk_expect(&key, &g, T_NOW,
                                   g.guest ? NULL : accs[i].dumped);
                got = t_lk_decode(&token, &secret);
                old = t_lk_decode(&otoken, &secret);

                if (got != NULL && json_equal(got, want)) {
                    n_claims++;

                } else if (fails++ == 0) {
                    printf("# claims: bits %u name \"%s\" accesses \"%s\"\n",
                           (unsigned) bits, names[ni], accs[i].text);
                }

                if (got != NULL && old != NULL && json_equal(got, old)) {
                    n_equal++;
                }

                json_decref(want);
                json_decref(got);
                json_decref(old);

                ngx_stub_pool_reset();
            }
        }
    }

    t_ok(n_ok == cases, "LiveKit: %u of %u grants give a token",
         (unsigned) n_ok, (unsigned) cases);
    t_ok(n_header == cases,
         "LiveKit: %u of %u headers are {\"alg\":\"HS256\",\"typ\":\"JWT\"}",
         (unsigned) n_header, (unsigned) cases);
    t_ok(n_claims == cases,
         "LiveKit: %u of %u verify with libjwt (HS256), every claim as "
         "expected", (unsigned) n_claims, (unsigned) cases);
    t_ok(n_equal == cases,
         "LiveKit: %u of %u payloads json_equal() to the jansson-built "
         "ones", (unsigned) n_equal, (unsigned) cases);
    t_ok(n_bytes == cases,
         "LiveKit: %u of %u tokens the same bytes as jansson and libjwt "
         "made", (unsigned) n_bytes, (unsigned) cases);

    /* the signature is the secret's */

    ngx_memzero(&g, sizeof(ngx_http_bedrud_livekit_grant_t));
    g.identity = t_str("alice");
    g.room = t_str("r1");
    g.name = t_str("Alice");
    g.accesses = t_str("[\"user\"]");

    other = t_str(T_SECRET);

    rc = ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &secret, &g,
                                       T_NOW, &token);
    got = t_lk_decode(&token, &other);

    t_ok(rc == NGX_OK && got == NULL, "LiveKit: another secret refuses it");

    /* a known token, as written and signed independently */

    t_ok(rc == NGX_OK
         && token.len == sizeof(T_LK_TOKEN) - 1
         && ngx_memcmp(token.data, T_LK_TOKEN, token.len) == 0,
         "LiveKit: the known token");

    /* as before: what cannot be signed */

    err = 0;

    g.name = t_str("bad \xc3\x28 utf-8");
    err += (ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &secret, &g,
                                          T_NOW, &token) == NGX_ERROR
            && t_lk_old(&key, &secret, &g, T_NOW, &otoken) != NGX_OK);

    g.name.data = (u_char *) "nul\0inside";
    g.name.len = 10;
    err += (ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &secret, &g,
                                          T_NOW, &token) == NGX_ERROR
            && t_lk_old(&key, &secret, &g, T_NOW, &otoken) != NGX_OK);

    g.name = t_str("Alice");
    g.room = t_str("");
    err += (ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &secret, &g,
                                          T_NOW, &token) == NGX_ERROR);

    g.room = t_str("r1");
    g.identity = t_str("");
    err += (ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &secret, &g,
                                          T_NOW, &token) == NGX_ERROR);

    t_ok(err == 4, "LiveKit: invalid UTF-8, NUL, no room, no identity "
         "are errors, as before (%u of 4)", (unsigned) err);

    g.identity = t_str("alice");
    ngx_str_null(&other);

    t_ok(ngx_http_bedrud_livekit_token(&ngx_stub_pool, &other, &secret, &g,
                                       T_NOW, &token) == NGX_DECLINED
         && ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &other, &g,
                                          T_NOW, &token) == NGX_DECLINED,
         "LiveKit: no API key or no secret: NGX_DECLINED");

    /* each allocation failing, in the fast and the jansson accesses path */

    for (ni = 0; ni < 2; ni++) {
        g.accesses = t_str(ni ? "[ \"user\" ]" : "[\"user\"]");
        err = 0;

        for (i = 0; /* void */; i++) {
            ngx_stub_fail_after = i;

            rc = ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key,
                                               &secret, &g, T_NOW, &token);
            if (rc == NGX_OK) {
                break;
            }

            err += (rc == NGX_ERROR);
        }

        t_ok(err == i && i == 2 + ni,
             "LiveKit: each of %u allocations failing gives NGX_ERROR",
             (unsigned) i);

        ngx_stub_pool_reset();
    }

    json_decref(got);
    ngx_stub_pool_reset();
}


/*
 * BEDRUD_UNIT_BENCH=1: 100k join tokens, the jansson and libjwt way and
 * the direct way; and the HMAC alone, HMAC() against the cached context.
 */

static void
t_livekit_bench(void)
{
    double                            ms;
    ngx_str_t                         key, secret, token;
    ngx_uint_t                        i, n;
    unsigned int                      len;
    struct timespec                   start;
    u_char                            mac[EVP_MAX_MD_SIZE];
    ngx_http_bedrud_livekit_grant_t   g;

    if (getenv("BEDRUD_UNIT_BENCH") == NULL) {
        return;
    }

    n = 100000;

    key = t_str("devkey");
    secret = t_str(T_LK_SECRET);

    ngx_memzero(&g, sizeof(ngx_http_bedrud_livekit_grant_t));
    g.identity = t_str("5f0c6a8e-2b1d-4c3e-9f7a-0123456789ab");
    g.name = t_str("Alice Example");
    g.accesses = t_str("[\"user\",\"moderator\"]");
    g.room = t_str("abc-defg-hij");
    g.allow_audio = 1;
    g.allow_video = 1;
    g.allow_chat = 1;

    clock_gettime(CLOCK_MONOTONIC, &start);

    for (i = 0; i < n; i++) {
        (void) t_lk_old(&key, &secret, &g, T_NOW + i, &token);
        ngx_stub_pool_reset();
    }

    ms = t_ms(&start);
    printf("# bench: jansson + libjwt: %u tokens in %.1f ms, %.2f us each\n",
           (unsigned) n, ms, ms * 1000 / n);

    clock_gettime(CLOCK_MONOTONIC, &start);

    for (i = 0; i < n; i++) {
        (void) ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &secret,
                                             &g, T_NOW + i, &token);
        ngx_stub_pool_reset();
    }

    ms = t_ms(&start);
    printf("# bench: direct: %u tokens in %.1f ms, %.2f us each\n",
           (unsigned) n, ms, ms * 1000 / n);

    /* a token to MAC below, as a join signs it */

    (void) ngx_http_bedrud_livekit_token(&ngx_stub_pool, &key, &secret, &g,
                                         T_NOW, &token);

    clock_gettime(CLOCK_MONOTONIC, &start);

    for (i = 0; i < n; i++) {
        HMAC(EVP_sha256(), secret.data, secret.len, token.data, token.len,
             mac, &len);
    }

    ms = t_ms(&start);
    printf("# bench: HMAC(EVP_sha256()) of %u bytes: %.2f us each\n",
           (unsigned) token.len, ms * 1000 / n);

    clock_gettime(CLOCK_MONOTONIC, &start);

    for (i = 0; i < n; i++) {
        (void) ngx_http_bedrud_hs256(&secret, token.data, token.len, mac);
    }

    ms = t_ms(&start);
    printf("# bench: ngx_http_bedrud_hs256() of %u bytes: %.2f us each\n",
           (unsigned) token.len, ms * 1000 / n);
}


/* validate.c */

static void
t_utf8(void)
{
    ngx_uint_t  i;

    static struct {
        const char  *s;
        size_t       len;
        ngx_int_t    rc;
        const char  *what;
    } cases[] = {
        { "", 0, NGX_OK, "empty" },
        { "plain ascii", 11, NGX_OK, "ASCII" },
        { "a\0b", 3, NGX_OK, "NUL is valid UTF-8" },
        { "\xc3\xa9", 2, NGX_OK, "U+00E9" },
        { "\xc2\x80", 2, NGX_OK, "U+0080" },
        { "\xdf\xbf", 2, NGX_OK, "U+07FF" },
        { "\xe0\xa0\x80", 3, NGX_OK, "U+0800" },
        { "\xe2\x82\xac", 3, NGX_OK, "U+20AC" },
        { "\xed\x9f\xbf", 3, NGX_OK, "U+D7FF" },
        { "\xee\x80\x80", 3, NGX_OK, "U+E000" },
        { "\xef\xbf\xbf", 3, NGX_OK, "U+FFFF" },
        { "\xf0\x90\x80\x80", 4, NGX_OK, "U+10000" },
        { "\xf0\x9f\x98\x80", 4, NGX_OK, "U+1F600" },
        { "\xf4\x8f\xbf\xbf", 4, NGX_OK, "U+10FFFF" },
        { "\xc0\x80", 2, NGX_DECLINED, "overlong NUL" },
        { "\xc1\xbf", 2, NGX_DECLINED, "overlong 2 bytes" },
        { "\xe0\x80\x80", 3, NGX_DECLINED, "overlong 3 bytes" },
        { "\xe0\x9f\xbf", 3, NGX_DECLINED, "overlong U+07FF" },
        { "\xf0\x80\x80\x80", 4, NGX_DECLINED, "overlong 4 bytes" },
        { "\xf0\x8f\xbf\xbf", 4, NGX_DECLINED, "overlong U+FFFF" },
        { "\xed\xa0\x80", 3, NGX_DECLINED, "surrogate U+D800" },
        { "\xed\xbf\xbf", 3, NGX_DECLINED, "surrogate U+DFFF" },
        { "\xed\xa0\xbd\xed\xb8\x80", 6, NGX_DECLINED, "CESU-8 pair" },
        { "\xf4\x90\x80\x80", 4, NGX_DECLINED, "U+110000" },
        { "\xf5\x80\x80\x80", 4, NGX_DECLINED, "0xf5 lead" },
        { "\xf8\x88\x80\x80\x80", 5, NGX_DECLINED, "5-byte form" },
        { "\xfe", 1, NGX_DECLINED, "0xfe" },
        { "\xff", 1, NGX_DECLINED, "0xff" },
        { "\x80", 1, NGX_DECLINED, "lone continuation" },
        { "a\xbf", 2, NGX_DECLINED, "continuation after ASCII" },
        { "\xc3", 1, NGX_DECLINED, "truncated 2 bytes" },
        { "\xe2\x82", 2, NGX_DECLINED, "truncated 3 bytes" },
        { "\xf0\x9f\x98", 3, NGX_DECLINED, "truncated 4 bytes" },
        { "\xc3\x28", 2, NGX_DECLINED, "bad continuation" },
        { "\xe2\x28\xa1", 3, NGX_DECLINED, "bad 2nd byte of 3" },
        { "\xe2\x82\x28", 3, NGX_DECLINED, "bad 3rd byte of 3" },
        { "\xf0\x9f\x98\x28", 4, NGX_DECLINED, "bad 4th byte of 4" },
        { NULL, 0, 0, NULL }
    };

    for (i = 0; cases[i].s; i++) {
        t_ok(ngx_http_bedrud_utf8_valid((u_char *) cases[i].s, cases[i].len)
             == cases[i].rc,
             "utf8: %s", cases[i].what);
    }

    t_ok(ngx_http_bedrud_has_ctl((u_char *) "Ann \xc3\x85", 6) == 0,
         "has_ctl: text");
    t_ok(ngx_http_bedrud_has_ctl((u_char *) "", 0) == 0, "has_ctl: empty");
    t_ok(ngx_http_bedrud_has_ctl((u_char *) "a\0b", 3) == 1, "has_ctl: NUL");
    t_ok(ngx_http_bedrud_has_ctl((u_char *) "a\r\n", 3) == 1,
         "has_ctl: CR LF");
    t_ok(ngx_http_bedrud_has_ctl((u_char *) "\t", 1) == 1, "has_ctl: tab");
    t_ok(ngx_http_bedrud_has_ctl((u_char *) "x\x1f", 2) == 1,
         "has_ctl: 0x1f");
    t_ok(ngx_http_bedrud_has_ctl((u_char *) "x\x7f", 2) == 1,
         "has_ctl: DEL");
    t_ok(ngx_http_bedrud_has_ctl((u_char *) " ~", 2) == 0,
         "has_ctl: space and tilde");
}


static void
t_email(void)
{
    ngx_uint_t  i;
    char        buf[512];

    static const char  *good[] = {
        "a@b",
        "user@example.com",
        "first.last+tag@sub.example.co",
        "o'brien@x.io",
        "a!#$%&'*+-/=?^_`{|}~b@x.io",
        "UPPER@EXAMPLE.COM",
        "j\xc3\xb6rg@example.de",
        "x@1.2.3.4",
        "x@a-b.c-d.io",
        "guest_0e3a9a3c-9f5e-4b7c-8d2a-6c1b5e4f3a21@bedrud.guest",
        NULL
    };

    static const char  *bad[] = {
        "", "@", "a@", "@b", "ab", "a@@b", "a@b@c",
        "Bob <b@x.io>", "<b@x.io>", "b@x.io (Bob)", "a(c)@x.io",
        "\"quoted\"@x.io", "\"a b\"@x.io", "a@[1.2.3.4]",
        "a b@x.io", " a@x.io", "a@x.io ", "a@b .io", "a@b\t.io",
        "a\n@b", "a@b\r\n", "a\x7f@b",
        ".a@b", "a.@b", "a..b@c",
        "a@-b.io", "a@b-.io", "a@b..io", "a@b.", "a@.b", "a@b_c.io",
        "a@b.io.", "a@\xc3\xa9.io", "a,b@x.io", "a;b@x.io", "a:b@x.io",
        "a\\b@x.io", "a[b]@x.io",
        "bad\xc3\x28@x.io", "\xed\xa0\x80@x.io",
        NULL
    };

    for (i = 0; good[i]; i++) {
        t_ok(ngx_http_bedrud_email_valid((u_char *) good[i], strlen(good[i]))
             == NGX_OK, "email valid: %s", good[i]);
    }

    for (i = 0; bad[i]; i++) {
        t_ok(ngx_http_bedrud_email_valid((u_char *) bad[i], strlen(bad[i]))
             == NGX_DECLINED, "email invalid: '%s'", bad[i]);
    }

    t_ok(ngx_http_bedrud_email_valid((u_char *) "a\0@b", 4) == NGX_DECLINED,
         "email invalid: NUL");

    /* lengths: local part 64, domain label 63, total 254 */

    ngx_memset(buf, 'a', 64);
    ngx_memcpy(buf + 64, "@x.io", 6);
    t_ok(ngx_http_bedrud_email_valid((u_char *) buf, strlen(buf)) == NGX_OK,
         "local part of 64");

    ngx_memset(buf, 'a', 65);
    ngx_memcpy(buf + 65, "@x.io", 6);
    t_ok(ngx_http_bedrud_email_valid((u_char *) buf, strlen(buf))
         == NGX_DECLINED, "local part of 65");

    buf[0] = 'a';
    buf[1] = '@';
    ngx_memset(buf + 2, 'b', 63);
    ngx_memcpy(buf + 65, ".io", 4);
    t_ok(ngx_http_bedrud_email_valid((u_char *) buf, strlen(buf)) == NGX_OK,
         "domain label of 63");

    ngx_memset(buf + 2, 'b', 64);
    ngx_memcpy(buf + 66, ".io", 4);
    t_ok(ngx_http_bedrud_email_valid((u_char *) buf, strlen(buf))
         == NGX_DECLINED, "domain label of 64");

    /* a@ + 4 labels of 61 + dots: 2 + 4 * 61 + 3 + "b.io" */

    ngx_memcpy(buf, "a@", 2);

    for (i = 0; i < 4; i++) {
        ngx_memset(buf + 2 + i * 62, 'c', 61);
        buf[2 + i * 62 + 61] = '.';
    }

    ngx_memcpy(buf + 2 + 4 * 62, "io", 3);
    t_ok(strlen(buf) == 252
         && ngx_http_bedrud_email_valid((u_char *) buf, 252) == NGX_OK,
         "address of 252");

    ngx_memcpy(buf + 2 + 4 * 62, "iooo", 5);
    t_ok(ngx_http_bedrud_email_valid((u_char *) buf, 254) == NGX_OK,
         "address of 254");

    ngx_memcpy(buf + 2 + 4 * 62, "ioooo", 6);
    t_ok(ngx_http_bedrud_email_valid((u_char *) buf, 255) == NGX_DECLINED,
         "address of 255");
}


static void
t_random(void)
{
    ngx_uint_t  i, good, counts[36], min, max;
    u_char      a[NGX_HTTP_BEDRUD_UUID_LEN], b[NGX_HTTP_BEDRUD_UUID_LEN];
    u_char      id[36000];

    ngx_http_bedrud_uuid(a);
    ngx_http_bedrud_uuid(b);

    good = 1;

    for (i = 0; i < NGX_HTTP_BEDRUD_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            good &= (a[i] == '-');

        } else {
            good &= ((a[i] >= '0' && a[i] <= '9')
                     || (a[i] >= 'a' && a[i] <= 'f'));
        }
    }

    t_ok(good, "uuid: lowercase hex and dashes: %.36s", a);
    t_ok(a[14] == '4', "uuid: version 4");
    t_ok(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b',
         "uuid: RFC 4122 variant");
    t_ok(ngx_memcmp(a, b, NGX_HTTP_BEDRUD_UUID_LEN) != 0,
         "uuid: two differ");

    t_ok(ngx_http_bedrud_random_id(id, 0) == NGX_OK, "random_id: length 0");

    ngx_memset(id, 0, sizeof(id));
    t_ok(ngx_http_bedrud_random_id(id, 8) == NGX_OK && id[8] == '\0',
         "random_id: writes exactly 8: %.8s", id);

    t_ok(ngx_http_bedrud_random_id(id, sizeof(id)) == NGX_OK,
         "random_id: 36000 characters");

    ngx_memzero(counts, sizeof(counts));
    good = 1;

    for (i = 0; i < sizeof(id); i++) {
        if (id[i] >= 'a' && id[i] <= 'z') {
            counts[id[i] - 'a']++;

        } else if (id[i] >= '0' && id[i] <= '9') {
            counts[26 + id[i] - '0']++;

        } else {
            good = 0;
        }
    }

    min = sizeof(id);
    max = 0;

    for (i = 0; i < 36; i++) {
        min = ngx_min(min, counts[i]);
        max = ngx_max(max, counts[i]);
    }

    t_ok(good, "random_id: only [a-z0-9]");

    /* 1000 expected per character, sd about 31: 800..1200 is > 6 sd */

    t_ok(min > 800 && max < 1200,
         "random_id: roughly uniform (min %u, max %u of 1000)",
         (unsigned) min, (unsigned) max);
}


static void
t_timestamp(void)
{
    size_t      len, i;
    time_t      t;
    ngx_uint_t  good;
    struct tm   tm;
    u_char      buf[NGX_HTTP_BEDRUD_TIMESTAMP_LEN + 1];

    len = 0;
    ngx_http_bedrud_timestamp(buf, &len);
    buf[len] = '\0';

    t_ok(len >= 20 && len <= 27, "timestamp length %u: %s", (unsigned) len,
         buf);

    good = (buf[4] == '-' && buf[7] == '-' && buf[10] == 'T'
            && buf[13] == ':' && buf[16] == ':' && buf[len - 1] == 'Z');

    for (i = 0; i < 19; i++) {
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16) {
            good &= (buf[i] >= '0' && buf[i] <= '9');
        }
    }

    if (len > 20) {
        good &= (buf[19] == '.' && buf[len - 2] != '0');

        for (i = 20; i < len - 1; i++) {
            good &= (buf[i] >= '0' && buf[i] <= '9');
        }
    }

    t_ok(good, "timestamp: RFC 3339, UTC, fraction without trailing zeros");

    ngx_memzero(&tm, sizeof(tm));
    t = 0;

    if (strptime((char *) buf, "%Y-%m-%dT%H:%M:%S", &tm) != NULL) {
        t = timegm(&tm);
    }

    t_ok(t > 0 && labs((long) (t - time(NULL))) <= 2,
         "timestamp: now");
}


static void
t_rfc3339(void)
{
    u_char      *end;
    ngx_uint_t   i;
    u_char       buf[NGX_HTTP_BEDRUD_TIMESTAMP_LEN];

    static struct {
        time_t       sec;
        ngx_uint_t   usec;
        const char  *text;
    } cases[] = {
        { T_NOW, 0, "2026-04-28T12:00:00Z" },
        { T_NOW, 123400, "2026-04-28T12:00:00.1234Z" },
        { T_NOW, 1, "2026-04-28T12:00:00.000001Z" },
        { T_NOW + 43199, 999999, "2026-04-28T23:59:59.999999Z" },
        { 0, 500000, "1970-01-01T00:00:00.5Z" },
        { 951782400, 0, "2000-02-29T00:00:00Z" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        end = ngx_http_bedrud_rfc3339(buf, cases[i].sec, cases[i].usec);

        t_ok((size_t) (end - buf) == strlen(cases[i].text)
             && ngx_strncmp(buf, cases[i].text, end - buf) == 0,
             "rfc3339 %s", cases[i].text);
    }
}


static void
t_uuid_valid(void)
{
    ngx_str_t   s;
    ngx_uint_t  i;
    u_char      id[NGX_HTTP_BEDRUD_UUID_LEN];

    static struct {
        const char  *id;
        ngx_int_t    rc;
    } cases[] = {
        { "0f8fad5b-d9cb-469f-a165-70867728950e", NGX_OK },
        { "0F8FAD5B-D9CB-469F-A165-70867728950E", NGX_DECLINED },
        { "0f8fad5b-d9cb-469f-a165-70867728950", NGX_DECLINED },
        { "0f8fad5b-d9cb-469f-a165-70867728950e0", NGX_DECLINED },
        { "0f8fad5bxd9cb-469f-a165-70867728950e", NGX_DECLINED },
        { "0f8fad5b-d9cb-469f-a165-7086772895}e", NGX_DECLINED },
        { "", NGX_DECLINED }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = t_str(cases[i].id);

        t_ok(ngx_http_bedrud_uuid_valid(&s) == cases[i].rc,
             "uuid_valid \"%s\"", cases[i].id);
    }

    ngx_http_bedrud_uuid(id);
    s.data = id;
    s.len = sizeof(id);

    t_ok(ngx_http_bedrud_uuid_valid(&s) == NGX_OK,
         "uuid_valid takes what uuid makes");
}


static void
t_trim_space(void)
{
    ngx_str_t   s;
    ngx_uint_t  i;

    static struct {
        const char  *in;
        const char  *out;
    } cases[] = {
        { "", "" },
        { "   ", "" },
        { "a", "a" },
        { " \t\n\v\f\ra b\r\n", "a b" },
        { "\xc2\xa0name\xc2\x85", "name" },
        { "\xe3\x80\x80x\xe2\x80\x8a", "x" },
        { "\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xafy\xe2\x81\x9f\xe1\x9a\x80",
          "y" },
        { "\xe2\x80\x8bz", "\xe2\x80\x8bz" },   /* U+200B is no space */
        { "\xc3\xa9 ", "\xc3\xa9" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = t_str(cases[i].in);

        ngx_http_bedrud_trim_space(&s);

        t_ok(s.len == strlen(cases[i].out)
             && ngx_strncmp(s.data, cases[i].out, s.len) == 0,
             "trim_space case %u", (unsigned) i);
    }
}


static void
t_names(void)
{
    ngx_str_t    s;
    ngx_uint_t   i;
    const char  *err;
    u_char       longname[300], longutf8[202];

    static struct {
        const char  *name;
        const char  *error;    /* a word of it, or NULL */
    } rooms[] = {
        { "abc", NULL },
        { "team-standup-42", NULL },
        { "ab", "at least 3" },
        { "-abc", "lowercase" },
        { "abc-", "lowercase" },
        { "a--bc", "lowercase" },
        { "Abc", "lowercase" },
        { "a_bc", "lowercase" },
        { "a bc", "lowercase" }
    };

    /* the one rule of display names: accounts and guests */
    static struct {
        const char  *name;
        ngx_uint_t   rc;
    } names[] = {
        { "Alice", NGX_HTTP_BEDRUD_NAME_OK },
        { "J\xc3\xb6rg \xe2\x80\x94 the host", NGX_HTTP_BEDRUD_NAME_OK },
        { "\xd9\x85\xd8\xb1\xdb\x8c\xd9\x85", NGX_HTTP_BEDRUD_NAME_OK },
        { "emoji \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb",
          NGX_HTTP_BEDRUD_NAME_OK },
        { "tab\there", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "new\nline", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "del\x7f", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "c1 \xc2\x85", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "c1 \xc2\x9f", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "alm \xd8\x9c", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "lrm \xe2\x80\x8e", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "rlm \xe2\x80\x8f", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "rlo \xe2\x80\xae", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "lre \xe2\x80\xaa", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "isolate \xe2\x81\xa6", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "pdi \xe2\x81\xa9", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "line \xe2\x80\xa8", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "paragraph \xe2\x80\xa9", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "broken \xc3", NGX_HTTP_BEDRUD_NAME_INVALID },
        { "overlong \xc0\xaf", NGX_HTTP_BEDRUD_NAME_INVALID }
    };

    static struct {
        const char  *id;
        ngx_int_t    rc;
    } ids[] = {
        { "guest-abc12345", NGX_OK },
        { "0f8fad5b-d9cb-469f-a165-70867728950e", NGX_OK },
        { "", NGX_DECLINED },
        { "two words", NGX_DECLINED },
        { "nul\x01", NGX_DECLINED },
        { "bad\xff", NGX_DECLINED }
    };

    for (i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
        s = t_str(rooms[i].name);
        err = ngx_http_bedrud_room_name_error(&s);

        t_ok(rooms[i].error ? (err && strstr(err, rooms[i].error) != NULL)
                            : err == NULL,
             "room name \"%s\": %s", rooms[i].name,
             err ? err : "valid");
    }

    ngx_memset(longname, 'a', 64);
    s.data = longname;
    s.len = 64;
    err = ngx_http_bedrud_room_name_error(&s);
    t_ok(err && strstr(err, "at most 63") != NULL, "room name of 64 bytes");

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        s = t_str(names[i].name);

        t_ok(ngx_http_bedrud_display_name(&s) == names[i].rc,
             "display name case %u", (unsigned) i);
    }

    ngx_memset(longname, 'a', 101);
    s.data = longname;
    s.len = 100;
    t_ok(ngx_http_bedrud_display_name(&s) == NGX_HTTP_BEDRUD_NAME_OK,
         "display name of 100 bytes");

    s.len = 101;
    t_ok(ngx_http_bedrud_display_name(&s) == NGX_HTTP_BEDRUD_NAME_LONG,
         "display name of 101 bytes");

    /* characters, not bytes: 100 two-byte characters are fine */
    for (i = 0; i < 101; i++) {
        longutf8[2 * i] = 0xc3;
        longutf8[2 * i + 1] = 0xa9;
    }

    s.data = longutf8;
    s.len = 200;
    t_ok(ngx_http_bedrud_display_name(&s) == NGX_HTTP_BEDRUD_NAME_OK,
         "display name of 100 two-byte characters");

    s.len = 202;
    t_ok(ngx_http_bedrud_display_name(&s) == NGX_HTTP_BEDRUD_NAME_LONG,
         "display name of 101 two-byte characters");

    s.data = longname;
    s.len = 101;

    /* a bad character is told before the length */
    longname[100] = '\x7f';
    t_ok(ngx_http_bedrud_display_name(&s) == NGX_HTTP_BEDRUD_NAME_INVALID,
         "display name of 101 bytes with DEL");

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        s = t_str(ids[i].id);

        t_ok(ngx_http_bedrud_identity_valid(&s) == ids[i].rc,
             "identity case %u", (unsigned) i);
    }

    ngx_memset(longname, 'a', 257);
    s.data = longname;
    s.len = 257;
    t_ok(ngx_http_bedrud_identity_valid(&s) == NGX_DECLINED,
         "identity of 257 bytes");
}


static void
t_datetime(void)
{
    size_t      len;
    ngx_str_t   s;
    ngx_uint_t  i;
    u_char      out[NGX_HTTP_BEDRUD_DATETIME_LEN];

    static struct {
        const char  *rfc;
        const char  *out;      /* "" when unparsable */
    } cases[] = {
        { "2026-04-28T12:00:00Z", "2026-04-28 12:00:00" },
        { "2026-04-28T12:00:00.123456Z", "2026-04-28 12:00:00" },
        { "2026-04-28t12:00:00z", "2026-04-28 12:00:00" },
        { "2026-04-28T12:00:00+02:00", "2026-04-28 10:00:00" },
        { "2026-04-28T23:30:00-01:00", "2026-04-29 00:30:00" },
        { "2024-02-29T00:00:00Z", "2024-02-29 00:00:00" },
        { "0000-01-01T00:00:00+00:01", "" },
        { "2026-13-01T00:00:00Z", "" },
        { "2026-04-28 12:00:00Z", "" },
        { "2026-04-28T12:00:00", "" },
        { "2026-04-28T12:00:00+2:00", "" },
        { "2026-04-28T1a:00:00Z", "" },
        { "", "" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = t_str(cases[i].rfc);
        len = ngx_http_bedrud_datetime(&s, out);

        t_ok(len == strlen(cases[i].out)
             && ngx_strncmp(out, cases[i].out, len) == 0,
             "datetime \"%s\" -> \"%s\"", cases[i].rfc, cases[i].out);
    }
}


static void
t_ids(void)
{
    ngx_str_t   s;
    ngx_uint_t  i;

    static struct {
        const char  *id;
        ngx_int_t    rc;
    } ids[] = {
        { "0f8fad5b-d9cb-469f-a165-70867728950e", NGX_OK },
        { "google_1234.5678-AB", NGX_OK },
        { "", NGX_DECLINED },
        { "a}b", NGX_DECLINED },
        { "a b", NGX_DECLINED },
        { "0123456789012345678901234567890123456789012345678901234567890123",
          NGX_OK },
        { "01234567890123456789012345678901234567890123456789012345678901234",
          NGX_DECLINED }
    };

    static struct {
        const char  *role;
        ngx_int_t    rc;
    } roles[] = {
        { "user", NGX_OK },
        { "super_admin-2", NGX_OK },
        { "", NGX_DECLINED },
        { "Admin", NGX_DECLINED },
        { "a b", NGX_DECLINED },
        { "012345678901234567890123456789ab", NGX_OK },
        { "012345678901234567890123456789abc", NGX_DECLINED }
    };

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        s = t_str(ids[i].id);

        t_ok(ngx_http_bedrud_id_valid(&s) == ids[i].rc,
             "id_valid \"%s\"", ids[i].id);
    }

    for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        t_ok(ngx_http_bedrud_role_valid(roles[i].role,
                                        strlen(roles[i].role))
             == roles[i].rc,
             "role_valid \"%s\"", roles[i].role);
    }
}


static void
t_keys(void)
{
    ngx_str_t   k, id, fam;
    ngx_uint_t  i;
    u_char      stale[NGX_HTTP_BEDRUD_STALE_ID_LEN], longid[200];

    static struct {
        ngx_uint_t   kind;
        const char  *key;
    } keys[] = {
        { NGX_HTTP_BEDRUD_KEY_USER, "bedrud:user:{x1}" },
        { NGX_HTTP_BEDRUD_KEY_USER_ROOMS, "bedrud:user:{x1}:rooms" },
        { NGX_HTTP_BEDRUD_KEY_SESSIONS, "bedrud:sessions:{x1}" },
        { NGX_HTTP_BEDRUD_KEY_EMAIL, "bedrud:email:x1" },
        { NGX_HTTP_BEDRUD_KEY_INVITE, "bedrud:invite:x1" },
        { NGX_HTTP_BEDRUD_KEY_INVITE_ID, "bedrud:inviteid:x1" },
        { NGX_HTTP_BEDRUD_KEY_ROOM, "bedrud:room:{x1}" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_SEATS, "bedrud:room:{x1}:seats" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_BANS, "bedrud:room:{x1}:bans" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTBANS, "bedrud:room:{x1}:guestbans" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTS, "bedrud:room:{x1}:guests" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_GUESTEXP, "bedrud:room:{x1}:guestexp" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_MODS, "bedrud:room:{x1}:mods" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_PRESENCE, "bedrud:room:{x1}:presence" },
        { NGX_HTTP_BEDRUD_KEY_ROOM_NAME, "bedrud:roomname:x1" },
        { NGX_HTTP_BEDRUD_KEY_LK_EVENT, "bedrud:lkevent:x1" }
    };

    static struct {
        int64_t      n;
        const char  *text;
    } nums[] = {
        { 0, "0" },
        { 7, "7" },
        { -42, "-42" },
        { 1777377600123LL, "1777377600123" },
        { INT64_MAX, "9223372036854775807" },
        { INT64_MIN, "-9223372036854775808" }
    };

    id = t_str("x1");

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        t_ok(ngx_http_bedrud_key(&ngx_stub_pool, keys[i].kind, &id, &k)
             == NGX_OK
             && k.len == strlen(keys[i].key)
             && ngx_strncmp(k.data, keys[i].key, k.len) == 0,
             "key %s", keys[i].key);
    }

    t_ok(ngx_http_bedrud_key(&ngx_stub_pool, 999, &id, &k) == NGX_ERROR,
         "key of an unknown kind");

    fam = t_str("f2");

    t_ok(ngx_http_bedrud_session_key(&ngx_stub_pool, &id, &fam, &k) == NGX_OK
         && k.len == sizeof("bedrud:session:{x1}:f2") - 1
         && ngx_strncmp(k.data, "bedrud:session:{x1}:f2", k.len) == 0,
         "session key");

    /* the revocation log's name of a user's stale tokens (admin.lua) */

    t_ok(ngx_http_bedrud_stale_id(&id, 0, stale, &k) == NGX_OK
         && k.len == 6 && ngx_strncmp(k.data, "u:x1:0", 6) == 0,
         "stale id, version 0");

    t_ok(ngx_http_bedrud_stale_id(&id, 18446744073709551615ULL, stale, &k)
         == NGX_OK
         && k.len == sizeof("u:x1:18446744073709551615") - 1
         && ngx_strncmp(k.data, "u:x1:18446744073709551615", k.len) == 0,
         "stale id, the largest version");

    ngx_memset(longid, 'a', sizeof(longid));
    fam.data = longid;
    fam.len = 64;

    t_ok(ngx_http_bedrud_stale_id(&fam, 18446744073709551615ULL, stale, &k)
         == NGX_OK && k.len == 2 + 64 + 1 + 20
         && k.len <= NGX_HTTP_BEDRUD_STALE_ID_LEN,
         "stale id of a 64-byte user id fits");

    fam.len = 65 + NGX_HTTP_BEDRUD_STALE_ID_LEN;
    t_ok(ngx_http_bedrud_stale_id(&fam, 1, stale, &k) == NGX_DECLINED,
         "stale id of an id too long");

    for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        t_ok(ngx_http_bedrud_num(&ngx_stub_pool, nums[i].n, &k) == NGX_OK
             && k.len == strlen(nums[i].text)
             && ngx_strncmp(k.data, nums[i].text, k.len) == 0,
             "num %s", nums[i].text);
    }

    ngx_http_bedrud_bit(&k, 1);
    t_ok(k.len == 1 && k.data[0] == '1', "bit on");
    ngx_http_bedrud_bit(&k, 0);
    t_ok(k.len == 1 && k.data[0] == '0', "bit off");

    ngx_stub_pool_reset();
}


static void
t_json_tame(void)
{
    json_t        *j;
    size_t         n;
    ngx_uint_t     i, changed;
    json_error_t   err;
    u_char         buf[512], big[400];

    static struct {
        const char  *in;
        const char  *out;
        ngx_uint_t   changed;
    } cases[] = {
        { "{\"a\":1}", "{\"a\":1}", 0 },
        { "{\"x\":99999999999999999999,\"a\":1}",
          "{\"x\":0.0                 ,\"a\":1}", 1 },
        { "{\"x\":-99999999999999999999}",
          "{\"x\":0.0                  }", 1 },
        { "{\"x\":9223372036854775807}", "{\"x\":9223372036854775807}", 0 },
        { "{\"x\":9223372036854775808}", "{\"x\":0.0                }", 1 },
        { "{\"x\":1e400,\"y\":[1e-400,-1E+999]}",
          "{\"x\":0.0  ,\"y\":[1e-400,0.0    ]}", 2 },
        { "{\"s\":\"99999999999999999999\"}",
          "{\"s\":\"99999999999999999999\"}", 0 },
        { "{\"s\":\"\\\"99999999999999999999\"}",
          "{\"s\":\"\\\"99999999999999999999\"}", 0 },
        { "[1.5, 2e10, 123]", "[1.5, 2e10, 123]", 0 },
        { "{\"a\\u0000b\":1,\"x\":\"\\u0000\"}",
          "{\"a\\ufffdb\":1,\"x\":\"\\u0000\"}", 1 },
        { "{\"\\\\u0000\" : {\"\\u0000\"\n:\"\\u0000\"}}",
          "{\"\\\\u0000\" : {\"\\ufffd\"\n:\"\\u0000\"}}", 1 },
        { NULL, NULL, 0 }
    };

    for (i = 0; cases[i].in; i++) {
        n = strlen(cases[i].in);
        ngx_memcpy(buf, cases[i].in, n);

        changed = ngx_http_bedrud_json_tame(buf, n);

        t_ok(changed == cases[i].changed
             && ngx_memcmp(buf, cases[i].out, n) == 0,
             "tame numbers: %s", cases[i].in);
    }

    /* a token longer than the scratch buffer */

    big[0] = '[';
    ngx_memset(big + 1, '7', 300);
    big[301] = ']';

    t_ok(ngx_http_bedrud_json_tame(big, 302) == 1
         && big[1] == '0' && big[4] == ' ',
         "tame numbers: an integer of 300 digits");

    /* what jansson refused, it now reads, the number as a real */

    n = strlen(cases[1].in);
    ngx_memcpy(buf, cases[1].in, n);

    j = json_loadb((char *) buf, n, 0, &err);
    t_ok(j == NULL && json_error_code(&err) == json_error_numeric_overflow,
         "jansson refuses an integer beyond int64");

    (void) ngx_http_bedrud_json_tame(buf, n);

    j = json_loadb((char *) buf, n, 0, &err);
    t_ok(j != NULL && json_is_real(json_object_get(j, "x"))
         && json_integer_value(json_object_get(j, "a")) == 1,
         "and reads it once tamed");

    json_decref(j);
}


static void
t_media_origin(void)
{
    ngx_str_t   a, b, c;
    ngx_uint_t  i;

    static struct {
        const char  *type;
        ngx_int_t    rc;
    } types[] = {
        { "application/json", NGX_OK },
        { "Application/JSON", NGX_OK },
        { "application/json; charset=utf-8", NGX_OK },
        { "application/json;charset=UTF-8", NGX_OK },
        { " application/json ", NGX_OK },
        { "text/plain; a=json", NGX_DECLINED },
        { "text/plain", NGX_DECLINED },
        { "application/x-www-form-urlencoded", NGX_DECLINED },
        { "multipart/form-data; boundary=json", NGX_DECLINED },
        { "application/jsonx", NGX_DECLINED },
        { "application/json-seq", NGX_DECLINED },
        { "application/merge-patch+json", NGX_DECLINED },
        { "application/json, text/plain", NGX_DECLINED },
        { "json", NGX_DECLINED },
        { "", NGX_DECLINED }
    };

    static struct {
        const char  *origin;
        const char  *scheme;
        const char  *host;
        ngx_int_t    rc;
    } origins[] = {
        { "http://127.0.0.1:8080", "http", "127.0.0.1:8080", NGX_OK },
        { "http://127.0.0.1:8081", "http", "127.0.0.1:8080", NGX_DECLINED },
        { "https://127.0.0.1:8080", "http", "127.0.0.1:8080", NGX_DECLINED },
        { "https://Meet.Example.com", "https", "meet.example.com", NGX_OK },
        { "https://meet.example.com", "https", "meet.example.com:443",
          NGX_OK },
        { "https://meet.example.com:443", "https", "meet.example.com",
          NGX_OK },
        { "http://meet.example.com", "http", "meet.example.com:80", NGX_OK },
        { "http://meet.example.com:80", "http", "meet.example.com:8080",
          NGX_DECLINED },
        { "https://meet.example.com.evil.io", "https", "meet.example.com",
          NGX_DECLINED },
        { "https://evil.io", "https", "meet.example.com", NGX_DECLINED },
        { "https://meet.example.com/", "https", "meet.example.com",
          NGX_DECLINED },
        { "https://user@meet.example.com", "https", "meet.example.com",
          NGX_DECLINED },
        { "null", "https", "meet.example.com", NGX_DECLINED },
        { "", "https", "meet.example.com", NGX_DECLINED },
        { "http://[::1]:8080", "http", "[::1]:8080", NGX_OK },
        { "http://[::1]", "http", "[::1]:80", NGX_OK },
        { "http://[::1]:8080", "http", "[::2]:8080", NGX_DECLINED },
        { "http://a:", "http", "a", NGX_DECLINED },
        { "http://a:123456", "http", "a:123456", NGX_DECLINED },
        { "http://a:65536", "http", "a:65536", NGX_DECLINED },
        { "http://a:65535", "http", "a:65535", NGX_OK },
        { "http://:80", "http", ":80", NGX_DECLINED }
    };

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        a = t_str(types[i].type);

        t_ok(ngx_http_bedrud_json_media_type(&a) == types[i].rc,
             "media type \"%s\"", types[i].type);
    }

    for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
        a = t_str(origins[i].origin);
        b = t_str(origins[i].scheme);
        c = t_str(origins[i].host);

        t_ok(ngx_http_bedrud_origin_match(&a, &b, &c) == origins[i].rc,
             "origin \"%s\" of %s://%s", origins[i].origin,
             origins[i].scheme, origins[i].host);
    }
}


static void
t_json_depth(void)
{
    ngx_uint_t  i;
    u_char      deep[1000];

    static struct {
        const char  *s;
        ngx_uint_t   max;
        ngx_int_t    rc;
    } cases[] = {
        { "", 0, NGX_OK },
        { "1", 0, NGX_OK },
        { "{}", 0, NGX_DECLINED },
        { "{}", 1, NGX_OK },
        { "{\"a\":[1,{\"b\":2}]}", 3, NGX_OK },
        { "{\"a\":[1,{\"b\":2}]}", 2, NGX_DECLINED },
        { "[[],[],[],[]]", 2, NGX_OK },
        { "[[[]]]", 2, NGX_DECLINED },
        { "\"[[[[[[\"", 1, NGX_OK },
        { "[\"[[[[\",\"{{{{\"]", 1, NGX_OK },
        { "[\"\\\"[[[[\"]", 1, NGX_OK },
        { "[\"\\\\\",[[", 1, NGX_DECLINED },
        { "[\"\\\\\"]", 1, NGX_OK },
        { "]]]]]][[", 2, NGX_OK },
        { "]]]]]][[[", 2, NGX_DECLINED },
        { "\"unterminated [[[[", 1, NGX_OK },
        { "\"\\", 0, NGX_OK },
        { NULL, 0, 0 }
    };

    for (i = 0; cases[i].s; i++) {
        t_ok(ngx_http_bedrud_json_depth_ok((u_char *) cases[i].s,
                                           strlen(cases[i].s), cases[i].max)
             == cases[i].rc,
             "json depth %u: %s", (unsigned) cases[i].max, cases[i].s);
    }

    ngx_memset(deep, '[', sizeof(deep));
    t_ok(ngx_http_bedrud_json_depth_ok(deep, sizeof(deep), 32)
         == NGX_DECLINED, "json depth: 1000 brackets, max 32");
    t_ok(ngx_http_bedrud_json_depth_ok(deep, 32, 32) == NGX_OK,
         "json depth: 32 brackets, max 32");
}


static void
t_base64(void)
{
    size_t      len, n;
    u_char     *end;
    ngx_uint_t  i, url, good;
    u_char      src[64], enc[128], dec[128];

    good = 1;

    for (url = 0; url < 2; url++) {
        for (len = 0; len < sizeof(src); len++) {
            for (i = 0; i < len; i++) {
                src[i] = (u_char) random();
            }

            end = ngx_http_bedrud_base64_encode(enc, src, len, url);

            good &= ((size_t) (end - enc) == (len * 4 + 2) / 3);
            good &= (ngx_http_bedrud_base64_decode(dec, &n, enc, end - enc,
                                                   url) == NGX_OK);
            good &= (n == len && ngx_memcmp(src, dec, len) == 0);
        }
    }

    t_ok(good, "base64 round trips, both alphabets, lengths 0..63");

    end = ngx_http_bedrud_base64_encode(enc, (u_char *) "\xfb\xff", 2, 0);
    t_ok(end - enc == 3 && ngx_memcmp(enc, "+/8", 3) == 0,
         "base64 standard alphabet");

    end = ngx_http_bedrud_base64_encode(enc, (u_char *) "\xfb\xff", 2, 1);
    t_ok(end - enc == 3 && ngx_memcmp(enc, "-_8", 3) == 0,
         "base64url alphabet");

    t_ok(ngx_http_bedrud_base64_decode(dec, &n, (u_char *) "AA", 2, 0)
         == NGX_OK && n == 1 && dec[0] == 0, "decode AA");
    t_ok(ngx_http_bedrud_base64_decode(dec, &n, (u_char *) "AB", 2, 0)
         == NGX_DECLINED, "decode AB: non-zero trailing bits");
    t_ok(ngx_http_bedrud_base64_decode(dec, &n, (u_char *) "A", 1, 0)
         == NGX_DECLINED, "decode A: impossible length");
    t_ok(ngx_http_bedrud_base64_decode(dec, &n, (u_char *) "AA==", 4, 0)
         == NGX_DECLINED, "decode AA==: no padding");
    t_ok(ngx_http_bedrud_base64_decode(dec, &n, (u_char *) "+/8", 3, 1)
         == NGX_DECLINED, "base64url refuses +/");
    t_ok(ngx_http_bedrud_base64_decode(dec, &n, (u_char *) "-_8", 3, 0)
         == NGX_DECLINED, "base64 refuses -_");
    t_ok(ngx_http_bedrud_base64_decode(dec, &n, (u_char *) "QU JD", 5, 0)
         == NGX_DECLINED, "base64 refuses spaces");
}


static void
t_json_escape(void)
{
    u_char      *end;
    ngx_str_t    s;
    u_char       out[64];
    static char  want[] = "a\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001F\xc3\xa9/";

    s.data = (u_char *) "a\"\\\b\f\n\r\t\x01\x1f\xc3\xa9/";
    s.len = 13;

    end = ngx_http_bedrud_json_escape(out, &s);

    t_ok((size_t) (end - out) == sizeof(want) - 1
         && ngx_memcmp(out, want, sizeof(want) - 1) == 0,
         "json escape: short forms, \\u00XX, UTF-8 and '/' as they are");
    t_ok(ngx_http_bedrud_json_escape_len(&s) == sizeof(want) - 1,
         "json escape length matches what is written");
}



/* uploads: the "file" part of a form, and its boundary */

static void
t_multipart(void)
{
    size_t       n;
    u_char      *buf;
    ngx_str_t    b, f, type;
    ngx_uint_t   i, bad;

    static const struct {
        const char  *type;
        const char  *boundary;     /* NULL: refused */
    } types[] = {
        { "multipart/form-data; boundary=abc", "abc" },
        { "Multipart/Form-Data;boundary=\"a b;c\"", "a b;c" },
        { "multipart/form-data; charset=utf-8; boundary=----WebKit7MA4",
          "----WebKit7MA4" },
        { "multipart/form-data", NULL },
        { "multipart/form-data; boundary=", NULL },
        { "multipart/form-data; boundary=\"abc", NULL },
        { "application/json; boundary=abc", NULL },
        /* 71 characters: one too many */
        { "multipart/form-data; boundary=0123456789012345678901234567890123"
          "4567890123456789012345678901234567890", NULL },
        { "multipart/form-data; xboundary=abc", NULL },
    };

    static const struct {
        const char  *body;
        const char  *file;         /* NULL: no file */
    } forms[] = {
        { "--abc\r\nContent-Disposition: form-data; name=\"file\"; "
          "filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\nDATA\r\n"
          "--abc--\r\n", "DATA" },
        /* a preamble, another field first, a quoted name with "file" */
        { "junk\r\n--abc\r\nContent-Disposition: form-data; "
          "name=\"notfile\"\r\n\r\nv\r\n--abc\r\nContent-Disposition: "
          "form-data; filename=\"name=file\"; name=\"file\"\r\n\r\n"
          "a\r\nb\r\n--abc--", "a\r\nb" },
        /* an empty file is a file */
        { "--abc\r\ncontent-disposition: form-data; name=file\r\n\r\n"
          "\r\n--abc--", "" },
        /* the filename says file, the name does not */
        { "--abc\r\nContent-Disposition: form-data; name=\"image\"; "
          "filename=\"file\"\r\n\r\nDATA\r\n--abc--", NULL },
        /* cut short: no closing delimiter after the content */
        { "--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
          "DATA", NULL },
        /* headers never end */
        { "--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n",
          NULL },
        /* only the closing delimiter */
        { "--abc--\r\n", NULL },
        /* no delimiter at all */
        { "DATA", NULL },
        /* a part without headers, then the file */
        { "--abc\r\n\r\nx\r\n--abc\r\nContent-Disposition: form-data; "
          "name=\"file\"\r\n\r\nY\r\n--abc--", "Y" },
        /* not form-data */
        { "--abc\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\n"
          "D\r\n--abc--", NULL },
        /* a near delimiter inside the content is content */
        { "--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
          "1\r\n--ab 2\r\n--abc--", "1\r\n--ab 2" },
    };

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        type = t_str(types[i].type);

        if (types[i].boundary == NULL) {
            t_ok(ngx_http_bedrud_multipart_boundary(&type, &b) == NGX_DECLINED,
                 "multipart: no boundary in \"%s\"", types[i].type);
            continue;
        }

        t_ok(ngx_http_bedrud_multipart_boundary(&type, &b) == NGX_OK
             && b.len == strlen(types[i].boundary)
             && memcmp(b.data, types[i].boundary, b.len) == 0,
             "multipart: boundary \"%s\" of \"%s\"", types[i].boundary,
             types[i].type);
    }

    b = t_str("abc");

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (forms[i].file == NULL) {
            t_ok(ngx_http_bedrud_multipart_file((u_char *) forms[i].body,
                                                strlen(forms[i].body), &b, &f)
                 == NGX_DECLINED,
                 "multipart: form %u has no file", (unsigned) i);
            continue;
        }

        t_ok(ngx_http_bedrud_multipart_file((u_char *) forms[i].body,
                                            strlen(forms[i].body), &b, &f)
             == NGX_OK
             && f.len == strlen(forms[i].file)
             && memcmp(f.data, forms[i].file, f.len) == 0,
             "multipart: form %u has its file", (unsigned) i);
    }

    /* every prefix of every form, in a heap block of its exact size */

    bad = 0;

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        for (n = 0; n <= strlen(forms[i].body); n++) {
            buf = malloc(n ? n : 1);
            if (buf == NULL) {
                bad++;
                continue;
            }

            memcpy(buf, forms[i].body, n);

            if (ngx_http_bedrud_multipart_file(buf, n, &b, &f) == NGX_OK
                && (f.data < buf || f.data + f.len > buf + n))
            {
                bad++;
            }

            free(buf);
        }
    }

    t_ok(bad == 0, "multipart: every prefix of the forms is judged, in "
         "bounds");
}


/* uploads: images by their bytes, their sizes from their headers */

static void
t_image(void)
{
    size_t                   n;
    u_char                  *buf;
    ngx_int_t                rc;
    ngx_uint_t               i, bad;
    ngx_http_bedrud_image_t  img;

    static const struct {
        const char  *bytes;
        size_t       len;
        ngx_int_t    rc;
        const char  *mime;
        ngx_uint_t   w, h;
    } v[] = {
#define T(b, rc, m, w, h)  { b, sizeof(b) - 1, rc, m, w, h }
        T("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x00\0\0\0\x80\x08\x06"
          "\0\0\0", NGX_OK, "image/png", 256, 128),
        T("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x00\0\0\0\x00\x08\x06",
          NGX_ABORT, "image/png", 0, 0),
        T("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\x7f\0\0\x00\0\0\0\x01\x08\x06",
          NGX_ABORT, "image/png", 0, 0),
        T("\x89PNG\r\n\x1a\n\0\0\0\x0dIEND", NGX_ABORT, "image/png", 0, 0),
        /* JPEG: APP0, a fill byte, RST, then SOF2 (progressive) */
        T("\xff\xd8\xff\xe0\0\x04JF\xff\xff\xd0\xff\xc2\0\x0b\x08\x01\x2c"
          "\x02\x58\x03\x01\x22\0", NGX_OK, "image/jpeg", 600, 300),
        /* DHT (0xc4) is not a frame; the scan before any frame is wrong */
        T("\xff\xd8\xff\xc4\0\x04\0\0\xff\xda\0\x04\0\0",
          NGX_ABORT, "image/jpeg", 0, 0),
        T("\xff\xd8\xff\xe0\0\x01", NGX_ABORT, "image/jpeg", 0, 0),
        T("\xff\xd8\xff\xe0\xff\xff", NGX_ABORT, "image/jpeg", 0, 0),
        T("GIF87a\x40\x01\xf0\0\0\0", NGX_OK, "image/gif", 320, 240),
        T("GIF89a\x01", NGX_ABORT, "image/gif", 0, 0),
        T("RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a\x80\x02\xe0\x01",
          NGX_OK, "image/webp", 640, 480),
        T("RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2b\x80\x02\xe0\x01",
          NGX_ABORT, "image/webp", 0, 0),
        T("RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f\x3f\xc0\x3f\x00\0\0\0\0\0",
          NGX_OK, "image/webp", 64, 256),
        T("RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0\xff\x03\0\x7f\x02\0",
          NGX_OK, "image/webp", 1024, 640),
        T("RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0\xff\xff\xff\x7f\x02\0",
          NGX_ABORT, "image/webp", 0, 0),
        T("RIFF\0\0\0\0WEBPALPH\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
          NGX_ABORT, "image/webp", 0, 0),
        T("RIFF\0\0\0\0WAVEfmt ", NGX_DECLINED,
          "application/octet-stream", 0, 0),
        T("\n\t <!doctype html><p>x", NGX_DECLINED,
          "text/html; charset=utf-8", 0, 0),
        T("<p>", NGX_DECLINED, "text/html; charset=utf-8", 0, 0),
        T("<pre>", NGX_DECLINED, "text/plain; charset=utf-8", 0, 0),
        T("<?xml version", NGX_DECLINED, "text/xml; charset=utf-8", 0, 0),
        T("%PDF-1.4", NGX_DECLINED, "application/pdf", 0, 0),
        T("PK\x03\x04", NGX_DECLINED, "application/zip", 0, 0),
        T("\x1f\x8b\x08\0", NGX_DECLINED, "application/x-gzip", 0, 0),
        T("\0\0\x01\0\x01", NGX_DECLINED, "image/x-icon", 0, 0),
        T("plain text\r\n", NGX_DECLINED, "text/plain; charset=utf-8", 0, 0),
        T("", NGX_DECLINED, "text/plain; charset=utf-8", 0, 0),
#undef T
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        rc = ngx_http_bedrud_image_sniff((u_char *) v[i].bytes, v[i].len,
                                         &img);

        t_ok(rc == v[i].rc && strcmp(img.mime, v[i].mime) == 0
             && (rc != NGX_OK || (img.width == v[i].w
                                  && img.height == v[i].h)),
             "image %u: %s %ux%u (got %d, %s %ux%u)", (unsigned) i,
             v[i].mime, (unsigned) v[i].w, (unsigned) v[i].h, (int) rc,
             img.mime, (unsigned) img.width, (unsigned) img.height);
    }

    /*
     * Every prefix of every vector, in a heap block of its exact size:
     * valgrind (make -C t/unit valgrind) sees any read past the end.
     */

    bad = 0;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        for (n = 0; n <= v[i].len; n++) {
            buf = malloc(n ? n : 1);
            if (buf == NULL) {
                bad++;
                continue;
            }

            memcpy(buf, v[i].bytes, n);

            rc = ngx_http_bedrud_image_sniff(buf, n, &img);
            bad += (rc != NGX_OK && rc != NGX_DECLINED && rc != NGX_ABORT);

            free(buf);
        }
    }

    t_ok(bad == 0, "image: every prefix of the vectors is judged, in bounds");
}

int
main(void)
{
    ngx_stub_init();

    t_password();
    t_password_slow();

    t_jwt_roundtrip();
    t_jwt_headers();
    t_jwt_claims();
    t_jwt_garbage();
    t_jwt_alloc();
    t_hs256();
    t_livekit();
    t_livekit_bench();

    t_utf8();
    t_email();
    t_random();
    t_timestamp();
    t_rfc3339();
    t_uuid_valid();
    t_trim_space();
    t_names();
    t_datetime();
    t_ids();
    t_keys();
    t_json_depth();
    t_json_tame();
    t_media_origin();
    t_base64();
    t_json_escape();
    t_multipart();
    t_image();

    ngx_stub_pool_reset();

    printf("1..%u\n", (unsigned) t_count);

    if (t_failed) {
        printf("# %u of %u failed\n", (unsigned) t_failed,
               (unsigned) t_count);
    }

    return t_failed ? 1 : 0;
}
