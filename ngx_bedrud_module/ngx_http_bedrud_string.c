
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Text we write or trim: random ids, RFC 3339 times (and Bedrud's admin
 * listing time), base64, JSON string escaping, Go's TrimSpace.  No
 * request state.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>
#include "ngx_http_bedrud_module.h"


static ngx_int_t ngx_http_bedrud_random_bytes(u_char *buf, size_t len);
static u_char *ngx_http_bedrud_digits(u_char *p, ngx_uint_t n,
    ngx_uint_t width);
static u_char *ngx_http_bedrud_date_time(u_char *p, struct tm *tm,
    u_char sep);
static ngx_int_t ngx_http_bedrud_decimal(const u_char *p, size_t n);
static ngx_int_t ngx_http_bedrud_base64_value(u_char ch, ngx_uint_t url);
static size_t ngx_http_bedrud_space(const u_char *p, size_t len);
static u_char ngx_http_bedrud_json_short(u_char c);


static u_char  ngx_http_bedrud_base64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static u_char  ngx_http_bedrud_base64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


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


/* a new UUID in the pool */

ngx_int_t
ngx_http_bedrud_new_uuid(ngx_pool_t *pool, ngx_str_t *id)
{
    id->data = ngx_pnalloc(pool, NGX_HTTP_BEDRUD_UUID_LEN);
    if (id->data == NULL) {
        return NGX_ERROR;
    }

    ngx_http_bedrud_uuid(id->data);
    id->len = NGX_HTTP_BEDRUD_UUID_LEN;

    return NGX_OK;
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


/*
 * Go's time.Time JSON (RFC 3339 with RFC3339Nano trimming), in UTC:
 * "2026-04-28T12:00:00.1234Z", or "2026-04-28T12:00:00Z" when usec is 0.
 * Returns the end; NGX_HTTP_BEDRUD_TIMESTAMP_LEN bytes are enough.
 */

u_char *
ngx_http_bedrud_rfc3339(u_char *p, time_t sec, ngx_uint_t usec)
{
    ngx_uint_t  width;
    struct tm   tm;

    ngx_libc_gmtime(sec, &tm);

    p = ngx_http_bedrud_date_time(p, &tm, 'T');

    if (usec) {
        width = 6;

        while (usec % 10 == 0) {
            usec /= 10;
            width--;
        }

        *p++ = '.';
        p = ngx_http_bedrud_digits(p, usec, width);
    }

    *p++ = 'Z';

    return p;
}


/*
 * "2006-01-02 15:04:05" in UTC from an RFC 3339 time ("Z" or "+hh:mm",
 * fraction optional).  Bedrud printed the server's local time with no
 * zone; UTC at least means the same everywhere.  0 if unparsable.
 */

size_t
ngx_http_bedrud_datetime(ngx_str_t *rfc, u_char *out)
{
    u_char     *p, *last;
    time_t      t, off;
    int64_t     y, era, yoe, doy, doe, days;
    ngx_int_t   v[6], oh, om;
    ngx_uint_t  i;
    struct tm   tm;

    static const ngx_uint_t  pos[6] = { 0, 5, 8, 11, 14, 17 };
    static const ngx_uint_t  width[6] = { 4, 2, 2, 2, 2, 2 };

    if (rfc->len < sizeof("2006-01-02T15:04:05Z") - 1) {
        return 0;
    }

    p = rfc->data;

    if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't')
        || p[13] != ':' || p[16] != ':')
    {
        return 0;
    }

    for (i = 0; i < 6; i++) {
        v[i] = ngx_http_bedrud_decimal(p + pos[i], width[i]);
        if (v[i] < 0) {
            return 0;
        }
    }

    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23
        || v[4] > 59 || v[5] > 60)
    {
        return 0;
    }

    p += 19;
    last = rfc->data + rfc->len;

    if (*p == '.') {
        for (p++; p < last && *p >= '0' && *p <= '9'; p++) {
            /* void */
        }
    }

    if (last - p == 1 && (*p == 'Z' || *p == 'z')) {
        off = 0;

    } else if (last - p == 6 && (*p == '+' || *p == '-') && p[3] == ':') {
        oh = ngx_http_bedrud_decimal(p + 1, 2);
        om = ngx_http_bedrud_decimal(p + 4, 2);

        if (oh < 0 || om < 0 || oh > 23 || om > 59) {
            return 0;
        }

        off = oh * 3600 + om * 60;

        if (*p == '-') {
            off = -off;
        }

    } else {
        return 0;
    }

    /* days since the epoch of a proleptic Gregorian date (H. Hinnant) */

    y = v[0] - (v[1] <= 2);
    era = (y >= 0 ? y : y - 399) / 400;       /* rounded down, year 0 too */
    yoe = y - era * 400;
    doy = (153 * (v[1] + (v[1] > 2 ? -3 : 9)) + 2) / 5 + v[2] - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;

    t = (time_t) (days * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) - off;

    ngx_libc_gmtime(t, &tm);

    /* a zone may move 0000-01-01 or 9999-12-31 out of four digits */
    if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        return 0;
    }

    return ngx_http_bedrud_date_time(out, &tm, ' ') - out;
}


/* "2006-01-02<sep>15:04:05" */

static u_char *
ngx_http_bedrud_date_time(u_char *p, struct tm *tm, u_char sep)
{
    p = ngx_http_bedrud_digits(p, tm->tm_year + 1900, 4);
    *p++ = '-';
    p = ngx_http_bedrud_digits(p, tm->tm_mon + 1, 2);
    *p++ = '-';
    p = ngx_http_bedrud_digits(p, tm->tm_mday, 2);
    *p++ = sep;
    p = ngx_http_bedrud_digits(p, tm->tm_hour, 2);
    *p++ = ':';
    p = ngx_http_bedrud_digits(p, tm->tm_min, 2);
    *p++ = ':';

    return ngx_http_bedrud_digits(p, tm->tm_sec, 2);
}


/* n decimal digits at p; -1 if one is not a digit */

static ngx_int_t
ngx_http_bedrud_decimal(const u_char *p, size_t n)
{
    ngx_int_t  v;

    for (v = 0; n; n--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        v = v * 10 + (*p - '0');
    }

    return v;
}


/* the current time, to the microsecond */

void
ngx_http_bedrud_timestamp(u_char *out, size_t *len)
{
    struct timeval  tv;

    ngx_gettimeofday(&tv);

    *len = ngx_http_bedrud_rfc3339(out, tv.tv_sec, tv.tv_usec) - out;
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

        len += ngx_http_bedrud_json_short(c) ? 1 : 5;
    }

    return len;
}


u_char *
ngx_http_bedrud_json_escape(u_char *p, ngx_str_t *s)
{
    u_char          c, e;
    size_t          i;
    static u_char   hex[] = "0123456789ABCDEF";

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = c;
            continue;
        }

        *p++ = '\\';

        e = ngx_http_bedrud_json_short(c);

        if (e) {
            *p++ = e;
            continue;
        }

        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 0x0f];
    }

    return p;
}


/* the letter after the backslash JSON has for c, or 0 for \u00XX */

static u_char
ngx_http_bedrud_json_short(u_char c)
{
    switch (c) {

    case '"':
    case '\\':
        return c;

    case '\b':
        return 'b';

    case '\f':
        return 'f';

    case '\n':
        return 'n';

    case '\r':
        return 'r';

    case '\t':
        return 't';

    default:
        return 0;
    }
}


/* a JSON boolean */

u_char *
ngx_http_bedrud_write_bool(u_char *p, ngx_uint_t b)
{
    return b ? ngx_cpymem(p, "true", 4) : ngx_cpymem(p, "false", 5);
}


/* Go's strings.TrimSpace on valid UTF-8 */

void
ngx_http_bedrud_trim_space(ngx_str_t *s)
{
    size_t  n;

    while (s->len) {
        n = ngx_http_bedrud_space(s->data, s->len);
        if (n == 0) {
            break;
        }

        s->data += n;
        s->len -= n;
    }

    while (s->len) {
        /* the last character: 1, 2 or 3 bytes long if it is a space */

        if (ngx_http_bedrud_space(s->data + s->len - 1, 1) == 1) {
            n = 1;

        } else if (s->len >= 2
                   && ngx_http_bedrud_space(s->data + s->len - 2, 2) == 2)
        {
            n = 2;

        } else if (s->len >= 3
                   && ngx_http_bedrud_space(s->data + s->len - 3, 3) == 3)
        {
            n = 3;

        } else {
            break;
        }

        s->len -= n;
    }
}


/*
 * The length of the white space character at p, 0 if none: unicode.IsSpace,
 * that is \t \n \v \f \r, space, U+0085, U+00A0, U+1680, U+2000..U+200A,
 * U+2028, U+2029, U+202F, U+205F and U+3000.
 */

static size_t
ngx_http_bedrud_space(const u_char *p, size_t len)
{
    if (len >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))) {
        return 1;
    }

    if (len >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0)) {
        return 2;
    }

    if (len < 3) {
        return 0;
    }

    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) {
        return 3;
    }

    if (p[0] == 0xe2 && p[1] == 0x80
        && (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
    {
        return 3;
    }

    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) {
        return 3;
    }

    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) {
        return 3;
    }

    return 0;
}
