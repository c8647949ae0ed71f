
/*
 * Copyright (C) ngx_bedrud authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>
#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_EMAIL_MAX        254
#define NGX_HTTP_BEDRUD_EMAIL_LOCAL_MAX  64
#define NGX_HTTP_BEDRUD_DNS_LABEL_MAX    63


static ngx_int_t ngx_http_bedrud_random_bytes(u_char *buf, size_t len);
static ngx_int_t ngx_http_bedrud_email_local(const u_char *p, size_t len);
static ngx_uint_t ngx_http_bedrud_email_atext(u_char ch);
static ngx_int_t ngx_http_bedrud_email_domain(const u_char *p, size_t len);
static ngx_int_t ngx_http_bedrud_base64_value(u_char ch, ngx_uint_t url);
static u_char *ngx_http_bedrud_digits(u_char *p, ngx_uint_t n,
    ngx_uint_t width);


static u_char  ngx_http_bedrud_base64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static u_char  ngx_http_bedrud_base64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


ngx_int_t
ngx_http_bedrud_utf8_valid(const u_char *p, size_t len)
{
    u_char         c, lo, hi;
    size_t         n;
    const u_char  *last;

    /* the well-formed byte sequences of Unicode 15, table 3-7 */

    last = p + len;

    while (p < last) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;

            if (c == 0xe0) {
                lo = 0xa0;          /* overlong */

            } else if (c == 0xed) {
                hi = 0x9f;          /* UTF-16 surrogates */
            }

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;

            if (c == 0xf0) {
                lo = 0x90;          /* overlong */

            } else if (c == 0xf4) {
                hi = 0x8f;          /* above U+10FFFF */
            }

        } else {
            /* a stray continuation byte, 0xc0, 0xc1 or 0xf5..0xff */
            return NGX_DECLINED;
        }

        if ((size_t) (last - p) < n) {
            return NGX_DECLINED;
        }

        if (*p < lo || *p > hi) {
            return NGX_DECLINED;
        }

        p++;

        while (--n) {
            if ((*p++ & 0xc0) != 0x80) {
                return NGX_DECLINED;
            }
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_has_ctl(const u_char *p, size_t len)
{
    while (len--) {
        if (*p < 0x20 || *p == 0x7f) {
            return 1;
        }

        p++;
    }

    return 0;
}


ngx_int_t
ngx_http_bedrud_email_valid(const u_char *p, size_t len)
{
    size_t  n;

    /*
     * A deliberate subset of the RFC 5322 addr-spec: a dot-atom local part
     * (UTF-8 allowed, as in RFC 6532) and a domain of LDH labels.
     *
     * Bedrud uses Go's net/mail.ParseAddress(), which also accepts display
     * names and comments ("Bob <b@x.io>", "b@x.io (Bob)") and then stores
     * the whole text as the account's email.  Rejecting those forms is a
     * fix.  Quoted local parts and domain literals are rejected as well;
     * "a@b" stays valid, like in Go.
     */

    if (len < 3 || len > NGX_HTTP_BEDRUD_EMAIL_MAX) {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_utf8_valid(p, len) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* '@' is neither atext nor LDH, so the first one must be the only one */

    for (n = 0; n < len; n++) {
        if (p[n] == '@') {
            break;
        }
    }

    if (n == len) {
        return NGX_DECLINED;
    }

    if (ngx_http_bedrud_email_local(p, n) != NGX_OK) {
        return NGX_DECLINED;
    }

    return ngx_http_bedrud_email_domain(p + n + 1, len - n - 1);
}


static ngx_int_t
ngx_http_bedrud_email_local(const u_char *p, size_t len)
{
    u_char  ch, prev;
    size_t  i;

    if (len == 0 || len > NGX_HTTP_BEDRUD_EMAIL_LOCAL_MAX) {
        return NGX_DECLINED;
    }

    prev = '.';

    for (i = 0; i < len; i++) {
        ch = p[i];

        if (ch == '.') {
            if (prev == '.') {
                /* leading or doubled dot */
                return NGX_DECLINED;
            }

        } else if (ch < 0x80 && !ngx_http_bedrud_email_atext(ch)) {
            return NGX_DECLINED;
        }

        prev = ch;
    }

    return (prev == '.') ? NGX_DECLINED : NGX_OK;
}


static ngx_uint_t
ngx_http_bedrud_email_atext(u_char ch)
{
    static u_char  specials[] = "!#$%&'*+-/=?^_`{|}~";

    /* not atext: spaces, controls, DEL, and "()<>[]:;@\\,." */

    if ((ch >= 'a' && ch <= 'z')
        || (ch >= 'A' && ch <= 'Z')
        || (ch >= '0' && ch <= '9'))
    {
        return 1;
    }

    if (ngx_strlchr(specials, specials + sizeof(specials) - 1, ch) != NULL) {
        return 1;
    }

    return 0;
}


static ngx_int_t
ngx_http_bedrud_email_domain(const u_char *p, size_t len)
{
    u_char  ch;
    size_t  i, label;

    if (len == 0) {
        return NGX_DECLINED;
    }

    label = 0;

    for (i = 0; i < len; i++) {
        ch = p[i];

        if (ch == '.') {
            if (label == 0 || p[i - 1] == '-') {
                return NGX_DECLINED;
            }

            label = 0;
            continue;
        }

        if (ch == '-') {
            if (label == 0) {
                return NGX_DECLINED;
            }

        } else if (!((ch >= 'a' && ch <= 'z')
                     || (ch >= 'A' && ch <= 'Z')
                     || (ch >= '0' && ch <= '9')))
        {
            return NGX_DECLINED;
        }

        if (++label > NGX_HTTP_BEDRUD_DNS_LABEL_MAX) {
            return NGX_DECLINED;
        }
    }

    /* no empty last label (a trailing dot) and no trailing hyphen */

    if (label == 0 || p[len - 1] == '-') {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_random_bytes(u_char *buf, size_t len)
{
    int  n;

    while (len) {
        n = (len > 65536) ? 65536 : (int) len;

        if (RAND_bytes(buf, n) != 1) {
            return NGX_ERROR;
        }

        buf += n;
        len -= n;
    }

    return NGX_OK;
}


void
ngx_http_bedrud_uuid(u_char *out)
{
    u_char      b[16];
    ngx_uint_t  i;

    if (ngx_http_bedrud_random_bytes(b, sizeof(b)) != NGX_OK) {
        /*
         * there is no error path for an id, and a predictable one (a
         * token "jti", a user id) must never be handed out
         */
        ngx_log_error(NGX_LOG_EMERG, ngx_cycle->log, 0,
                      "bedrud: RAND_bytes() failed, aborting");
        ngx_abort();
    }

    b[6] = (u_char) ((b[6] & 0x0f) | 0x40);     /* version 4 */
    b[8] = (u_char) ((b[8] & 0x3f) | 0x80);     /* RFC 4122 variant */

    for (i = 0; i < sizeof(b); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *out++ = '-';
        }

        *out++ = "0123456789abcdef"[b[i] >> 4];
        *out++ = "0123456789abcdef"[b[i] & 0x0f];
    }
}


ngx_int_t
ngx_http_bedrud_random_id(u_char *out, size_t len)
{
    u_char  buf[64];
    size_t  i;

    i = sizeof(buf);

    while (len) {
        if (i == sizeof(buf)) {
            if (ngx_http_bedrud_random_bytes(buf, sizeof(buf)) != NGX_OK) {
                return NGX_ERROR;
            }

            i = 0;
        }

        /* 252 is 7 * 36: dropping 252..255 leaves no modulo bias */

        if (buf[i] < 252) {
            *out++ = "abcdefghijklmnopqrstuvwxyz0123456789"[buf[i] % 36];
            len--;
        }

        i++;
    }

    return NGX_OK;
}


void
ngx_http_bedrud_timestamp(u_char *out, size_t *len)
{
    u_char          *p;
    struct tm        tm;
    ngx_uint_t       frac, width;
    struct timeval   tv;

    /*
     * Go's time.Time JSON (RFC 3339 with RFC3339Nano trimming):
     * "2026-04-28T12:00:00.1234Z", or "2026-04-28T12:00:00Z"
     */

    ngx_gettimeofday(&tv);
    ngx_libc_gmtime(tv.tv_sec, &tm);

    p = ngx_http_bedrud_digits(out, tm.tm_year + 1900, 4);
    *p++ = '-';
    p = ngx_http_bedrud_digits(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = ngx_http_bedrud_digits(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = ngx_http_bedrud_digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = ngx_http_bedrud_digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = ngx_http_bedrud_digits(p, tm.tm_sec, 2);

    frac = tv.tv_usec;

    if (frac) {
        width = 6;

        while (frac % 10 == 0) {
            frac /= 10;
            width--;
        }

        *p++ = '.';
        p = ngx_http_bedrud_digits(p, frac, width);
    }

    *p++ = 'Z';

    *len = p - out;
}


static u_char *
ngx_http_bedrud_digits(u_char *p, ngx_uint_t n, ngx_uint_t width)
{
    u_char  *q;

    /* zero-padded, exactly "width" digits */

    q = p + width;

    while (q > p) {
        *--q = (u_char) ('0' + n % 10);
        n /= 10;
    }

    return p + width;
}


ngx_int_t
ngx_http_bedrud_json_depth_ok(const u_char *p, size_t len, ngx_uint_t max)
{
    size_t      i;
    ngx_uint_t  depth, string;

    /*
     * jansson nests up to 2048 levels; we check the raw text first.
     * Brackets inside strings do not count; invalid JSON is jansson's job.
     */

    depth = 0;
    string = 0;

    for (i = 0; i < len; i++) {

        if (string) {
            if (p[i] == '\\') {
                i++;

            } else if (p[i] == '"') {
                string = 0;
            }

            continue;
        }

        switch (p[i]) {

        case '"':
            string = 1;
            break;

        case '[':
        case '{':
            if (++depth > max) {
                return NGX_DECLINED;
            }

            break;

        case ']':
        case '}':
            if (depth) {
                depth--;
            }

            break;

        default:
            break;
        }
    }

    return NGX_OK;
}


u_char *
ngx_http_bedrud_base64_encode(u_char *dst, const u_char *src, size_t len,
    ngx_uint_t url)
{
    u_char  *basis;

    /* RFC 4648 without padding; returns the end of the output */

    basis = url ? ngx_http_bedrud_base64_url : ngx_http_bedrud_base64_std;

    while (len > 2) {
        *dst++ = basis[(src[0] >> 2) & 0x3f];
        *dst++ = basis[((src[0] & 3) << 4) | (src[1] >> 4)];
        *dst++ = basis[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *dst++ = basis[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len) {
        *dst++ = basis[(src[0] >> 2) & 0x3f];

        if (len == 1) {
            *dst++ = basis[(src[0] & 3) << 4];

        } else {
            *dst++ = basis[((src[0] & 3) << 4) | (src[1] >> 4)];
            *dst++ = basis[(src[1] & 0x0f) << 2];
        }
    }

    return dst;
}


ngx_int_t
ngx_http_bedrud_base64_decode(u_char *dst, size_t *n, const u_char *src,
    size_t len, ngx_uint_t url)
{
    size_t      i;
    u_char     *d;
    ngx_int_t   v;
    ngx_uint_t  acc, bits;

    /*
     * Strict RFC 4648 decoding without padding: one alphabet, no '=',
     * no whitespace, and the unused low bits of the last character must
     * be zero, so that every byte string has exactly one encoding.
     * dst needs room for len * 3 / 4 bytes.
     */

    if (len % 4 == 1) {
        return NGX_DECLINED;
    }

    d = dst;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        v = ngx_http_bedrud_base64_value(src[i], url);

        if (v < 0) {
            return NGX_DECLINED;
        }

        acc = (acc << 6) | (ngx_uint_t) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *d++ = (u_char) (acc >> bits);
            acc &= ((ngx_uint_t) 1 << bits) - 1;
        }
    }

    if (acc != 0) {
        return NGX_DECLINED;
    }

    *n = d - dst;

    return NGX_OK;
}


static ngx_int_t
ngx_http_bedrud_base64_value(u_char ch, ngx_uint_t url)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }

    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }

    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }

    if (ch == (url ? '-' : '+')) {
        return 62;
    }

    if (ch == (url ? '_' : '/')) {
        return 63;
    }

    return -1;
}


/*
 * JSON string escaping exactly as jansson writes it (\" \\ \b \f \n \r
 * \t, other control bytes as \u00XX, UTF-8 kept), so that what we write
 * by hand is byte for byte what jansson would have written.
 */

size_t
ngx_http_bedrud_json_escape_len(ngx_str_t *s)
{
    u_char  c;
    size_t  i, len;

    len = s->len;

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }

        switch (c) {

        case '"':
        case '\\':
        case '\b':
        case '\f':
        case '\n':
        case '\r':
        case '\t':
            len += 1;
            break;

        default:
            len += 5;
        }
    }

    return len;
}


u_char *
ngx_http_bedrud_json_escape(u_char *p, ngx_str_t *s)
{
    u_char          c;
    size_t          i;
    static u_char   hex[] = "0123456789ABCDEF";

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = c;
            continue;
        }

        *p++ = '\\';

        switch (c) {

        case '"':
        case '\\':
            *p++ = c;
            break;

        case '\b':
            *p++ = 'b';
            break;

        case '\f':
            *p++ = 'f';
            break;

        case '\n':
            *p++ = 'n';
            break;

        case '\r':
            *p++ = 'r';
            break;

        case '\t':
            *p++ = 't';
            break;

        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
        }
    }

    return p;
}
