
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Chat uploads as bytes: the "file" part of a multipart/form-data body,
 * and what an image is by its first bytes (PNG, JPEG, GIF, WebP), with
 * its width and height from its header.  Never the client's word: its
 * file name and content type are not read.  No request state and no
 * allocation: this runs in a pool thread (ngx_http_bedrud_upload.c), and
 * in the unit tests.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_bedrud_module.h"


/* largest width or height an image may claim */
#define NGX_HTTP_BEDRUD_IMAGE_SIDE_MAX   65535


static ngx_int_t ngx_http_bedrud_multipart_part(u_char *p, u_char *end,
    ngx_str_t *name);
static ngx_int_t ngx_http_bedrud_multipart_param(u_char *p, u_char *end,
    const char *param, ngx_str_t *value);
static u_char *ngx_http_bedrud_memfind(u_char *p, u_char *end,
    const u_char *s, size_t len);
static ngx_int_t ngx_http_bedrud_image_png(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img);
static ngx_int_t ngx_http_bedrud_image_jpeg(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img);
static ngx_int_t ngx_http_bedrud_image_gif(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img);
static ngx_int_t ngx_http_bedrud_image_webp(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img);
static const char *ngx_http_bedrud_image_other(u_char *p, size_t len);


/*
 * The boundary of a Content-Type "multipart/form-data; boundary=...";
 * NGX_DECLINED when it is not one (RFC 2046: 1 to 70 characters).
 */

ngx_int_t
ngx_http_bedrud_multipart_boundary(ngx_str_t *type, ngx_str_t *boundary)
{
    u_char  *p, *end;

    p = type->data;
    end = type->data + type->len;

    while (p < end && *p == ' ') {
        p++;
    }

    if ((size_t) (end - p) < sizeof("multipart/form-data") - 1
        || ngx_strncasecmp(p, (u_char *) "multipart/form-data",
                           sizeof("multipart/form-data") - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof("multipart/form-data") - 1;

    if (ngx_http_bedrud_multipart_param(p, end, "boundary", boundary)
        != NGX_OK
        || boundary->len == 0 || boundary->len > 70)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The content of the first part named "file" (Go's FormFile: the form
 * must be well formed up to that part's closing delimiter).
 * NGX_DECLINED: no such part, or a body cut short.
 */

ngx_int_t
ngx_http_bedrud_multipart_file(u_char *body, size_t len, ngx_str_t *boundary,
    ngx_str_t *file)
{
    u_char     *p, *end, *headers, *hend, *content, *next;
    size_t      dlen;
    ngx_str_t   name;
    u_char      delim[2 + 2 + 70];

    if (boundary->len == 0 || boundary->len > 70) {
        return NGX_DECLINED;
    }

    /* "\r\n--boundary": the delimiter before every part but the first */

    ngx_memcpy(delim, "\r\n--", 4);
    ngx_memcpy(delim + 4, boundary->data, boundary->len);
    dlen = 4 + boundary->len;

    p = body;
    end = body + len;

    /* the first delimiter: at the start, or after a preamble */

    if ((size_t) (end - p) >= dlen - 2
        && ngx_memcmp(p, delim + 2, dlen - 2) == 0)
    {
        p += dlen - 2;

    } else {
        p = ngx_http_bedrud_memfind(p, end, delim, dlen);
        if (p == NULL) {
            return NGX_DECLINED;
        }

        p += dlen;
    }

    for ( ;; ) {

        /* after a delimiter: "--" closes the body; else a part follows */

        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            return NGX_DECLINED;
        }

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            return NGX_DECLINED;
        }

        headers = p + 2;

        if (end - headers >= 2 && headers[0] == '\r' && headers[1] == '\n') {
            /* no headers */
            hend = headers;
            content = headers + 2;

        } else {
            hend = ngx_http_bedrud_memfind(headers, end,
                                           (u_char *) "\r\n\r\n", 4);
            if (hend == NULL) {
                return NGX_DECLINED;
            }

            content = hend + 4;
        }

        next = ngx_http_bedrud_memfind(content, end, delim, dlen);

        if (next == NULL) {
            /* cut short: the part never ends */
            return NGX_DECLINED;
        }

        if (ngx_http_bedrud_multipart_part(headers, hend, &name) == NGX_OK
            && name.len == sizeof("file") - 1
            && ngx_strncmp(name.data, "file", name.len) == 0)
        {
            file->data = content;
            file->len = next - content;
            return NGX_OK;
        }

        p = next + dlen;
    }
}


/*
 * The form field name of a part, from its headers: Content-Disposition
 * "form-data; name=...".
 */

static ngx_int_t
ngx_http_bedrud_multipart_part(u_char *p, u_char *end, ngx_str_t *name)
{
    u_char  *eol, *v;

    static const char  header[] = "content-disposition:";

    while (p < end) {
        eol = ngx_http_bedrud_memfind(p, end, (u_char *) "\r\n", 2);
        if (eol == NULL) {
            eol = end;
        }

        if ((size_t) (eol - p) > sizeof(header) - 1
            && ngx_strncasecmp(p, (u_char *) header, sizeof(header) - 1) == 0)
        {
            v = p + sizeof(header) - 1;

            while (v < eol && *v == ' ') {
                v++;
            }

            if ((size_t) (eol - v) < sizeof("form-data") - 1
                || ngx_strncasecmp(v, (u_char *) "form-data",
                                   sizeof("form-data") - 1)
                   != 0)
            {
                return NGX_DECLINED;
            }

            return ngx_http_bedrud_multipart_param(v + sizeof("form-data") - 1,
                                                   eol, "name", name);
        }

        p = eol + 2;
    }

    return NGX_DECLINED;
}


/*
 * A parameter of a header's ";"-separated list: name=token or
 * name="quoted" (a backslash quotes the next character; the value is
 * left as it is, which is enough to compare it with "file").
 */

static ngx_int_t
ngx_http_bedrud_multipart_param(u_char *p, u_char *end, const char *param,
    ngx_str_t *value)
{
    u_char  *key, *v;
    size_t   len;

    len = ngx_strlen(param);

    while (p < end) {

        while (p < end && (*p == ';' || *p == ' ' || *p == '\t')) {
            p++;
        }

        key = p;

        while (p < end && *p != '=' && *p != ';') {
            p++;
        }

        if (p == end || *p == ';') {
            continue;
        }

        v = ++p;

        if (v < end && *v == '"') {
            v++;
            p = v;

            while (p < end && *p != '"') {
                if (*p == '\\') {
                    p++;
                }

                p++;
            }

            if (p >= end) {
                return NGX_DECLINED;
            }

            value->data = v;
            value->len = p - v;
            p++;

        } else {
            while (p < end && *p != ';' && *p != ' ' && *p != '\t') {
                p++;
            }

            value->data = v;
            value->len = p - v;
        }

        if ((size_t) (v - key) >= len + 1
            && ngx_strncasecmp(key, (u_char *) param, len) == 0
            && (key[len] == '=' || key[len] == ' '))
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static u_char *
ngx_http_bedrud_memfind(u_char *p, u_char *end, const u_char *s, size_t len)
{
    if (len == 0 || (size_t) (end - p) < len) {
        return NULL;
    }

    end -= len - 1;

    for ( ;; ) {
        p = ngx_strlchr(p, end, s[0]);

        if (p == NULL) {
            return NULL;
        }

        if (ngx_memcmp(p, s, len) == 0) {
            return p;
        }

        p++;
    }
}


/*
 * What the bytes are: NGX_OK with the kind and its width and height,
 * NGX_DECLINED for anything else (img->mime then names what it seems
 * to be, as Go's http.DetectContentType would for the common kinds),
 * NGX_ABORT for an image of a kind we take whose header is broken.
 */

ngx_int_t
ngx_http_bedrud_image_sniff(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img)
{
    ngx_int_t  rc;

    ngx_memzero(img, sizeof(ngx_http_bedrud_image_t));

    if (len >= 8 && ngx_memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        img->mime = "image/png";
        img->ext = "png";
        rc = ngx_http_bedrud_image_png(p, len, img);

    } else if (len >= 3 && ngx_memcmp(p, "\xff\xd8\xff", 3) == 0) {
        img->mime = "image/jpeg";
        img->ext = "jpg";
        rc = ngx_http_bedrud_image_jpeg(p, len, img);

    } else if (len >= 6 && (ngx_memcmp(p, "GIF87a", 6) == 0
                            || ngx_memcmp(p, "GIF89a", 6) == 0))
    {
        img->mime = "image/gif";
        img->ext = "gif";
        rc = ngx_http_bedrud_image_gif(p, len, img);

    } else if (len >= 12 && ngx_memcmp(p, "RIFF", 4) == 0
               && ngx_memcmp(p + 8, "WEBP", 4) == 0)
    {
        img->mime = "image/webp";
        img->ext = "webp";
        rc = ngx_http_bedrud_image_webp(p, len, img);

    } else {
        img->mime = ngx_http_bedrud_image_other(p, len);
        img->ext = NULL;
        return NGX_DECLINED;
    }

    if (rc != NGX_OK
        || img->width == 0 || img->height == 0
        || img->width > NGX_HTTP_BEDRUD_IMAGE_SIDE_MAX
        || img->height > NGX_HTTP_BEDRUD_IMAGE_SIDE_MAX)
    {
        return NGX_ABORT;
    }

    return NGX_OK;
}


#define ngx_http_bedrud_be16(p)  ((ngx_uint_t) (p)[0] << 8 | (p)[1])
#define ngx_http_bedrud_le16(p)  ((ngx_uint_t) (p)[1] << 8 | (p)[0])
#define ngx_http_bedrud_be32(p)                                              \
    ((ngx_uint_t) (p)[0] << 24 | (ngx_uint_t) (p)[1] << 16                    \
     | (ngx_uint_t) (p)[2] << 8 | (p)[3])
#define ngx_http_bedrud_le24(p)                                              \
    ((ngx_uint_t) (p)[2] << 16 | (ngx_uint_t) (p)[1] << 8 | (p)[0])


/* PNG: the IHDR chunk comes first, 13 bytes, width and height first */

static ngx_int_t
ngx_http_bedrud_image_png(u_char *p, size_t len, ngx_http_bedrud_image_t *img)
{
    if (len < 8 + 8 + 13
        || ngx_http_bedrud_be32(p + 8) != 13
        || ngx_memcmp(p + 12, "IHDR", 4) != 0)
    {
        return NGX_DECLINED;
    }

    img->width = ngx_http_bedrud_be32(p + 16);
    img->height = ngx_http_bedrud_be32(p + 20);

    return NGX_OK;
}


/* JPEG: the segments up to the first start of frame (SOFn) */

static ngx_int_t
ngx_http_bedrud_image_jpeg(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img)
{
    u_char  m;
    size_t  i, seg;

    i = 2;

    while (i + 4 <= len) {

        if (p[i] != 0xff) {
            return NGX_DECLINED;
        }

        m = p[i + 1];

        if (m == 0xff) {
            /* fill */
            i++;
            continue;
        }

        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
            /* no length: TEM, RSTn */
            i += 2;
            continue;
        }

        if (m == 0xd9 || m == 0xda) {
            /* the end, or the scan, before any frame */
            return NGX_DECLINED;
        }

        seg = ngx_http_bedrud_be16(p + i + 2);

        if (seg < 2) {
            return NGX_DECLINED;
        }

        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (seg < 7 || i + 2 + 7 > len) {
                return NGX_DECLINED;
            }

            img->height = ngx_http_bedrud_be16(p + i + 5);
            img->width = ngx_http_bedrud_be16(p + i + 7);

            return NGX_OK;
        }

        i += 2 + seg;
    }

    return NGX_DECLINED;
}


/* GIF: the logical screen, little-endian */

static ngx_int_t
ngx_http_bedrud_image_gif(u_char *p, size_t len, ngx_http_bedrud_image_t *img)
{
    if (len < 10) {
        return NGX_DECLINED;
    }

    img->width = ngx_http_bedrud_le16(p + 6);
    img->height = ngx_http_bedrud_le16(p + 8);

    return NGX_OK;
}


/* WebP: the first chunk, lossy (VP8), lossless (VP8L) or extended (VP8X) */

static ngx_int_t
ngx_http_bedrud_image_webp(u_char *p, size_t len,
    ngx_http_bedrud_image_t *img)
{
    if (len < 30) {
        return NGX_DECLINED;
    }

    if (ngx_memcmp(p + 12, "VP8 ", 4) == 0) {
        if (ngx_memcmp(p + 23, "\x9d\x01\x2a", 3) != 0) {
            return NGX_DECLINED;
        }

        img->width = ngx_http_bedrud_le16(p + 26) & 0x3fff;
        img->height = ngx_http_bedrud_le16(p + 28) & 0x3fff;
        return NGX_OK;
    }

    if (ngx_memcmp(p + 12, "VP8L", 4) == 0) {
        if (p[20] != 0x2f) {
            return NGX_DECLINED;
        }

        img->width = 1 + (p[21] | (ngx_uint_t) (p[22] & 0x3f) << 8);
        img->height = 1 + ((ngx_uint_t) p[22] >> 6 | (ngx_uint_t) p[23] << 2
                           | (ngx_uint_t) (p[24] & 0x0f) << 10);
        return NGX_OK;
    }

    if (ngx_memcmp(p + 12, "VP8X", 4) == 0) {
        img->width = 1 + ngx_http_bedrud_le24(p + 24);
        img->height = 1 + ngx_http_bedrud_le24(p + 27);
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * What something else is, in Go's names (http.DetectContentType) for the
 * kinds one is likely to see: HTML, XML, PDF, other images, archives,
 * text, or octets.
 */

static const char *
ngx_http_bedrud_image_other(u_char *p, size_t len)
{
    size_t       i, n;
    ngx_uint_t   k;
    const char  *tag;

    static const char  *html[] = {
        "<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1",
        "<DIV", "<FONT", "<TABLE", "<A", "<STYLE", "<TITLE", "<B", "<BODY",
        "<BR", "<P", "<!--", NULL
    };

    if (len > 512) {
        len = 512;
    }

    i = 0;

    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n'
                       || p[i] == '\r' || p[i] == '\f'))
    {
        i++;
    }

    for (k = 0; html[k]; k++) {
        tag = html[k];
        n = ngx_strlen(tag);

        if (len - i > n && ngx_strncasecmp(p + i, (u_char *) tag, n) == 0
            && (p[i + n] == ' ' || p[i + n] == '>'))
        {
            return "text/html; charset=utf-8";
        }
    }

    if (len - i >= 5 && ngx_strncmp(p + i, "<?xml", 5) == 0) {
        return "text/xml; charset=utf-8";
    }

    if (len >= 5 && ngx_memcmp(p, "%PDF-", 5) == 0) {
        return "application/pdf";
    }

    if (len >= 2 && ngx_memcmp(p, "BM", 2) == 0) {
        return "image/bmp";
    }

    if (len >= 4 && ngx_memcmp(p, "\x00\x00\x01\x00", 4) == 0) {
        return "image/x-icon";
    }

    if (len >= 4 && ngx_memcmp(p, "PK\x03\x04", 4) == 0) {
        return "application/zip";
    }

    if (len >= 3 && ngx_memcmp(p, "\x1f\x8b\x08", 3) == 0) {
        return "application/x-gzip";
    }

    for (i = 0; i < len; i++) {
        if (p[i] <= 0x08 || p[i] == 0x0b || (p[i] >= 0x0e && p[i] <= 0x1a)
            || (p[i] >= 0x1c && p[i] <= 0x1f))
        {
            return "application/octet-stream";
        }
    }

    return "text/plain; charset=utf-8";
}
