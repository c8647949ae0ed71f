
/*
 * Copyright (C) ngx_bedrud authors
 *
 * What input may be: well-formed UTF-8, no control bytes, an address,
 * JSON not nested too deep, an id of ours, a room name, a display name, a
 * LiveKit identity, a role.  No request state.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_bedrud_module.h"

#include <math.h>


#define NGX_HTTP_BEDRUD_EMAIL_MAX        254
#define NGX_HTTP_BEDRUD_EMAIL_LOCAL_MAX  64
#define NGX_HTTP_BEDRUD_DNS_LABEL_MAX    63
#define NGX_HTTP_BEDRUD_ROOM_NAME_MIN    3
#define NGX_HTTP_BEDRUD_ROOM_NAME_MAX    63
#define NGX_HTTP_BEDRUD_DISPLAY_NAME_MAX 100
#define NGX_HTTP_BEDRUD_IDENTITY_MAX     256    /* LiveKit's limit */
#define NGX_HTTP_BEDRUD_ID_MAX           64
#define NGX_HTTP_BEDRUD_ROLE_LEN         32


static ngx_int_t ngx_http_bedrud_email_local(const u_char *p, size_t len);
static ngx_uint_t ngx_http_bedrud_email_atext(u_char ch);
static ngx_int_t ngx_http_bedrud_email_domain(const u_char *p, size_t len);
static ngx_int_t ngx_http_bedrud_host_port(ngx_str_t *host, ngx_str_t *port,
    ngx_str_t *def);
static ngx_uint_t ngx_http_bedrud_json_key_nul(u_char *p, u_char *last);
static ngx_uint_t ngx_http_bedrud_json_number(u_char **pp, u_char *last);


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


/*
 * What jansson refuses in a whole body where Go's decoder skips unknown
 * keys unread: numbers it cannot hold (integers beyond int64, reals
 * beyond a double) become "0.0" padded with spaces, and "\u0000" in an
 * object key becomes "\ufffd", in place.  No field of ours takes a real
 * or a NUL in its name, so a known field still fails its check, as in
 * Go; an unknown key is ignored.  The number of changes.
 */

ngx_uint_t
ngx_http_bedrud_json_tame(u_char *p, size_t len)
{
    u_char      *start, *last, *q;
    ngx_uint_t   changed;

    changed = 0;
    last = p + len;

    while (p < last) {

        if (*p == '"') {
            start = p++;

            while (p < last && *p != '"') {
                p += (*p == '\\') ? 2 : 1;
            }

            if (p >= last) {
                break;
            }

            /* a key is followed by a colon */

            for (q = p + 1; q < last && (*q == ' ' || *q == '\t'
                                         || *q == '\r' || *q == '\n'); q++)
            {
                /* void */
            }

            if (q < last && *q == ':') {
                changed += ngx_http_bedrud_json_key_nul(start + 1, p);
            }

            p++;
            continue;
        }

        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            changed += ngx_http_bedrud_json_number(&p, last);
            continue;
        }

        p++;
    }

    return changed;
}


/* "\u0000" escapes of a key's text become "\ufffd" */

static ngx_uint_t
ngx_http_bedrud_json_key_nul(u_char *p, u_char *last)
{
    ngx_uint_t  n;

    n = 0;

    while (p < last) {

        if (*p != '\\') {
            p++;
            continue;
        }

        if (last - p >= 6 && p[1] == 'u'
            && ngx_strncmp(p + 2, "0000", 4) == 0)
        {
            ngx_memcpy(p + 2, "fffd", 4);
            n++;
        }

        p += 2;
    }

    return n;
}


/*
 * The number token at *p, tamed if jansson could not hold it; *p moves
 * past it.  JSON's grammar is jansson's to check.
 */

static ngx_uint_t
ngx_http_bedrud_json_number(u_char **pp, u_char *last)
{
    u_char      *p, *start, *copy;
    size_t       n;
    double       d;
    ngx_uint_t   real, over;
    u_char       buf[64];

    start = *pp;
    p = start + 1;
    real = 0;

    while (p < last
           && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e'
               || *p == 'E' || *p == '+' || *p == '-'))
    {
        if (*p == '.' || *p == 'e' || *p == 'E') {
            real = 1;
        }

        p++;
    }

    *pp = p;
    n = p - start;

    copy = (n < sizeof(buf)) ? buf : malloc(n + 1);
    if (copy == NULL) {
        return 0;
    }

    ngx_memcpy(copy, start, n);
    copy[n] = '\0';

    errno = 0;

    if (real) {
        d = strtod((char *) copy, NULL);
        over = (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL));

    } else {
        (void) strtoll((char *) copy, NULL, 10);
        over = (errno == ERANGE);
    }

    if (copy != buf) {
        free(copy);
    }

    if (!over || n < 3) {
        return 0;
    }

    ngx_memset(start, ' ', n);
    ngx_memcpy(start, "0.0", 3);

    return 1;
}


/*
 * A Content-Type that says JSON: exactly the media type application/json
 * (any case), optionally followed by parameters (";charset=utf-8").
 * "text/plain; a=json", which a browser sends cross-site without asking
 * first, is not.
 */

ngx_int_t
ngx_http_bedrud_json_media_type(ngx_str_t *type)
{
    u_char  *p, *last;

    p = type->data;
    last = p + type->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if ((size_t) (last - p) < sizeof("application/json") - 1
        || ngx_strncasecmp(p, (u_char *) "application/json",
                           sizeof("application/json") - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof("application/json") - 1;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return (p == last || *p == ';') ? NGX_OK : NGX_DECLINED;
}


/*
 * Does an Origin header ("https://meet.example.com", "http://[::1]:8080")
 * name the origin of "scheme" and a Host header value?  Both sides in
 * any case, a default port written or not; a path, user info or any
 * other part makes it no origin at all.
 */

ngx_int_t
ngx_http_bedrud_origin_match(ngx_str_t *origin, ngx_str_t *scheme,
    ngx_str_t *host)
{
    ngx_str_t  o, h, oport, hport, def;

    o = *origin;

    if (o.len <= scheme->len + 3
        || ngx_strncasecmp(o.data, scheme->data, scheme->len) != 0
        || ngx_strncmp(o.data + scheme->len, "://", 3) != 0)
    {
        return NGX_DECLINED;
    }

    o.data += scheme->len + 3;
    o.len -= scheme->len + 3;

    if (scheme->len == 5) {
        ngx_str_set(&def, "443");

    } else {
        ngx_str_set(&def, "80");
    }

    h = *host;

    if (ngx_http_bedrud_host_port(&o, &oport, &def) != NGX_OK
        || ngx_http_bedrud_host_port(&h, &hport, &def) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (o.len != h.len || ngx_strncasecmp(o.data, h.data, o.len) != 0
        || oport.len != hport.len
        || ngx_strncmp(oport.data, hport.data, oport.len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * Splits "host[:port]" ("[v6]:port" too) in place into the host and
 * the port, "def" when none is written.  Only the characters of a host
 * name or address literal are allowed.
 */

static ngx_int_t
ngx_http_bedrud_host_port(ngx_str_t *host, ngx_str_t *port, ngx_str_t *def)
{
    u_char      *p, *last, *colon, ch;
    ngx_uint_t   n;

    p = host->data;
    last = p + host->len;
    colon = NULL;

    if (p < last && *p == '[') {
        p = ngx_strlchr(p, last, ']');
        if (p == NULL) {
            return NGX_DECLINED;
        }

        p++;

        if (p < last && *p != ':') {
            return NGX_DECLINED;
        }

        colon = (p < last) ? p : NULL;

    } else {
        for ( /* void */ ; p < last; p++) {
            ch = *p;

            if (ch == ':') {
                colon = p;
                break;
            }

            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
                  || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
            {
                return NGX_DECLINED;
            }
        }
    }

    if (colon == NULL) {
        *port = *def;

    } else {
        port->data = colon + 1;
        port->len = last - colon - 1;
        host->len = colon - host->data;

        if (port->len == 0 || port->len > 5) {
            return NGX_DECLINED;
        }

        for (n = 0, p = port->data; p < last; p++) {
            if (*p < '0' || *p > '9') {
                return NGX_DECLINED;
            }

            n = n * 10 + (*p - '0');
        }

        if (n > 65535) {
            return NGX_DECLINED;
        }
    }

    return host->len ? NGX_OK : NGX_DECLINED;
}


/* a lowercase UUID as ngx_http_bedrud_uuid() writes them */

ngx_int_t
ngx_http_bedrud_uuid_valid(ngx_str_t *id)
{
    u_char  ch;
    size_t  i;

    if (id->len != NGX_HTTP_BEDRUD_UUID_LEN) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        ch = id->data[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-') {
                return NGX_DECLINED;
            }

            continue;
        }

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* ValidateRoomName: 3-63 bytes of ^[a-z0-9]+(-[a-z0-9]+)*$ */

const char *
ngx_http_bedrud_room_name_error(ngx_str_t *name)
{
    u_char  ch, prev;
    size_t  i;

    if (name->len < NGX_HTTP_BEDRUD_ROOM_NAME_MIN) {
        return "room name must be at least 3 characters";
    }

    if (name->len > NGX_HTTP_BEDRUD_ROOM_NAME_MAX) {
        return "room name must be at most 63 characters";
    }

    prev = '-';

    for (i = 0; i < name->len; i++) {
        ch = name->data[i];

        if (ch == '-') {
            if (prev == '-') {
                /* leading or doubled */
                goto invalid;
            }

        } else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
            goto invalid;
        }

        prev = ch;
    }

    if (prev != '-') {
        return NULL;
    }

invalid:

    return "room name must contain only lowercase letters, numbers, "
           "and hyphens";
}


/*
 * The one rule for display names (accounts and guests alike): they go to
 * every participant, in LiveKit tokens too.  At most 100 characters,
 * no control characters (C0, DEL, C1), no line or paragraph separators,
 * no bidirectional overrides, isolates or marks that would let one name
 * spoof another.  The minimum length is the caller's (Bedrud's differ).
 */

ngx_uint_t
ngx_http_bedrud_display_name(ngx_str_t *name)
{
    u_char  *p, *last;

    p = name->data;
    last = p + name->len;

    if (ngx_http_bedrud_utf8_valid(p, name->len) != NGX_OK) {
        return NGX_HTTP_BEDRUD_NAME_INVALID;
    }

    for ( /* void */ ; p < last; p++) {

        if (*p < 0x20 || *p == 0x7f) {
            return NGX_HTTP_BEDRUD_NAME_INVALID;
        }

        /* U+0080..U+009F */
        if (*p == 0xc2 && p + 1 < last && p[1] >= 0x80 && p[1] <= 0x9f) {
            return NGX_HTTP_BEDRUD_NAME_INVALID;
        }

        /* U+061C, the Arabic letter mark */
        if (*p == 0xd8 && p + 1 < last && p[1] == 0x9c) {
            return NGX_HTTP_BEDRUD_NAME_INVALID;
        }

        if (*p == 0xe2 && p + 2 < last) {

            /* U+200E, U+200F, U+2028..U+202E */
            if (p[1] == 0x80
                && (p[2] == 0x8e || p[2] == 0x8f
                    || (p[2] >= 0xa8 && p[2] <= 0xae)))
            {
                return NGX_HTTP_BEDRUD_NAME_INVALID;
            }

            /* U+2066..U+2069 */
            if (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
                return NGX_HTTP_BEDRUD_NAME_INVALID;
            }
        }
    }

    if (ngx_utf8_length(name->data, name->len)
        > NGX_HTTP_BEDRUD_DISPLAY_NAME_MAX)
    {
        return NGX_HTTP_BEDRUD_NAME_LONG;
    }

    return NGX_HTTP_BEDRUD_NAME_OK;
}


/* a LiveKit identity: 1..256 bytes, no controls, no spaces */

ngx_int_t
ngx_http_bedrud_identity_valid(ngx_str_t *id)
{
    size_t  i;

    if (id->len == 0 || id->len > NGX_HTTP_BEDRUD_IDENTITY_MAX) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        if (id->data[i] <= 0x20 || id->data[i] == 0x7f) {
            return NGX_DECLINED;
        }
    }

    return ngx_http_bedrud_utf8_valid(id->data, id->len);
}


/*
 * Ids of users and rooms are UUIDs (OAuth users: a provider's id).  One
 * that cannot be a key of ours is answered 404 without asking Redis.
 */

ngx_int_t
ngx_http_bedrud_id_valid(ngx_str_t *id)
{
    u_char      c;
    ngx_uint_t  i;

    if (id->len == 0 || id->len > NGX_HTTP_BEDRUD_ID_MAX) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
        {
            continue;
        }

        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_role_valid(const char *role, size_t len)
{
    u_char  c;
    size_t  i;

    if (len == 0 || len > NGX_HTTP_BEDRUD_ROLE_LEN) {
        return NGX_DECLINED;
    }

    for (i = 0; i < len; i++) {
        c = (u_char) role[i];

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '_' || c == '-')
        {
            continue;
        }

        return NGX_DECLINED;
    }

    return NGX_OK;
}
