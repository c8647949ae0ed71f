
/*
 * Copyright (C) ngx_bedrud authors
 *
 * POST /api/room/:roomId/chat/upload: an image for a room's chat, as
 * Bedrud takes it (multipart field "file"; PNG, JPEG, GIF or WebP by its
 * bytes; {"url","mime","size","w","h"}), stored under bedrud_upload_dir
 * as chat/<sha256>.<ext> and served by nginx itself (a location of the
 * site: conf/bedrud-server.conf), with the type of the kind sniffed and
 * nosniff.
 *
 * The room is checked before the body is read: it must exist, the caller
 * must be in it (a seat), its owner or a superadmin, and it must not be
 * an E2EE room: the server never holds an E2EE room's content in the
 * clear (its clients send images through LiveKit's encrypted streams).
 * The body is read by nginx (to a temporary file when large); reading it
 * back, parsing, hashing and writing run in the thread pool.  A file is
 * written under a temporary name, synced, then renamed: a URL answered is
 * a file on disk.
 *
 * Fixed on the way: Bedrud let any user upload to any room, and answered
 * small images as data URIs; here every image has its URL.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_bedrud_module.h"


#if (NGX_THREADS)

/* multipart's own bytes around the file: headers, delimiters */
#define NGX_HTTP_BEDRUD_UPLOAD_OVERHEAD  (64 * 1024)

#define NGX_HTTP_BEDRUD_UPLOAD_URL       "/uploads/chat/"


/* one piece of the body: in memory, or in nginx's temporary file */
typedef struct {
    u_char                     *data;
    ngx_fd_t                    fd;
    off_t                       offset;
    size_t                      len;
} ngx_http_bedrud_upload_seg_t;


/* the task: its input is copied or kept alive by the blocked request */
typedef struct {
    ngx_http_request_t         *request;
    ngx_http_bedrud_ctx_t      *ctx;
    ngx_event_t                 guard;

    ngx_str_t                   dir;       /* ".../chat", NUL-terminated */
    ngx_str_t                   boundary;
    off_t                       max;       /* the file's, in bytes */
    size_t                      total;
    ngx_uint_t                  nsegs;
    ngx_http_bedrud_upload_seg_t  *segs;

    ngx_uint_t                  status;    /* 200, or the error's */
    const char                 *error;
    ngx_http_bedrud_image_t     image;
    size_t                      size;
    u_char                      hash[2 * 32];
} ngx_http_bedrud_upload_task_t;


static void ngx_http_bedrud_upload_checked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_upload_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *error);
static ngx_int_t ngx_http_bedrud_upload_allowed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, off_t *max);
static ngx_str_t *ngx_http_bedrud_upload_str(ngx_http_bedrud_reply_t *rep);
static time_t ngx_http_bedrud_upload_seconds(ngx_str_t *score);
static void ngx_http_bedrud_upload_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_bedrud_upload_post(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx);
static void ngx_http_bedrud_upload_thread(void *data, ngx_log_t *log);
static ngx_int_t ngx_http_bedrud_upload_read(
    ngx_http_bedrud_upload_task_t *t, u_char *buf, ngx_log_t *log);
static ngx_int_t ngx_http_bedrud_upload_store(
    ngx_http_bedrud_upload_task_t *t, ngx_str_t *file, ngx_log_t *log);
static void ngx_http_bedrud_upload_done(ngx_event_t *ev);


/* per-request state */
typedef struct {
    off_t                       max;       /* the file's limit */
} ngx_http_bedrud_upload_t;


void
ngx_http_bedrud_room_upload(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    ngx_str_t                    *argv;
    ngx_http_bedrud_cmd_t         cmds[3];
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (bmcf->upload_dir.len == 0) {
        ngx_http_bedrud_upload_refuse(r, NGX_HTTP_NOT_IMPLEMENTED,
                                      "chat uploads are not configured");
        return;
    }

    if (ngx_http_bedrud_uuid_valid(&ctx->params[0]) != NGX_OK) {
        ngx_http_bedrud_upload_refuse(r, NGX_HTTP_NOT_FOUND,
                                      "Room not found");
        return;
    }

    if (r->headers_in.content_length_n
        > bmcf->upload_max + NGX_HTTP_BEDRUD_UPLOAD_OVERHEAD)
    {
        ngx_http_bedrud_upload_refuse(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "File too large");
        return;
    }

    if (ngx_http_bedrud_state(r, ctx, sizeof(ngx_http_bedrud_upload_t))
        == NULL)
    {
        return;
    }

    /*
     * The room (its settings and owner), the caller's seat, and the
     * administrator's upload limit: reads, one round trip.
     */

    argv = ngx_pnalloc(r->pool, 10 * sizeof(ngx_str_t));
    if (argv == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&argv[0], "HMGET");
    ngx_str_set(&argv[2], "id");
    ngx_str_set(&argv[3], "settings");
    ngx_str_set(&argv[4], "createdBy");
    ngx_str_set(&argv[5], "adminId");
    ngx_str_set(&argv[6], "ZSCORE");
    argv[8] = ctx->claims.user_id;

    if (ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM, &ctx->params[0],
                            &argv[1])
        != NGX_OK
        || ngx_http_bedrud_key(r->pool, NGX_HTTP_BEDRUD_KEY_ROOM_SEATS,
                               &ctx->params[0], &argv[7])
           != NGX_OK)
    {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    cmds[0].argc = 6;
    cmds[0].argv = &argv[0];
    cmds[1].argc = 3;
    cmds[1].argv = &argv[6];

    argv = ngx_pnalloc(r->pool, 3 * sizeof(ngx_str_t));
    if (argv == NULL) {
        ngx_http_bedrud_internal_error(r);
        return;
    }

    ngx_str_set(&argv[0], "HGET");
    ngx_str_set(&argv[1], NGX_HTTP_BEDRUD_SETTINGS_KEY);
    ngx_str_set(&argv[2], "chatUploadMaxBytes");

    cmds[2].argc = 3;
    cmds[2].argv = argv;

    ngx_http_bedrud_query(r, ctx, cmds, 3, ngx_http_bedrud_upload_checked);
}


/* an answer before the body is read: the body is dropped first */

static void
ngx_http_bedrud_upload_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    ngx_http_bedrud_error(r, status, error);
}


static void
ngx_http_bedrud_upload_checked(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx)
{
    ngx_int_t                  rc;
    ngx_http_bedrud_upload_t  *st;

    st = ctx->data;

    rc = ngx_http_bedrud_upload_allowed(r, ctx, &st->max);
    if (rc != NGX_OK) {
        return;
    }

    if (r->headers_in.content_length_n
        > st->max + NGX_HTTP_BEDRUD_UPLOAD_OVERHEAD)
    {
        ngx_http_bedrud_upload_refuse(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "File too large");
        return;
    }

    /*
     * nginx reads the body, to its temporary file past the location's
     * client_body_buffer_size (bedrud_body_limit), and deletes the file
     * when the request ends.
     */

    r->request_body_in_single_buf = 0;
    r->request_body_in_file_only = 0;
    r->request_body_in_persistent_file = 0;
    r->request_body_in_clean_file = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_bedrud_upload_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* the read gave back the reference it took */
        r->keepalive = 0;
        ngx_http_bedrud_error(r, rc,
                              rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
                              ? "File too large"
                              : "could not read request body");
    }
}


/*
 * The room exists and is not E2EE, and the caller may post to it: the
 * limit of the file then, the smaller of bedrud_upload_max_size and the
 * administrator's chatUploadMaxBytes.  Else the answer is given.
 */

static ngx_int_t
ngx_http_bedrud_upload_allowed(ngx_http_request_t *r,
    ngx_http_bedrud_ctx_t *ctx, off_t *max)
{
    off_t                         limit;
    json_t                       *settings;
    ngx_str_t                    *id, *text, *owner, *score;
    ngx_int_t                     seated;
    json_error_t                  err;
    ngx_http_bedrud_reply_t      *room;
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    room = ctx->replies[0];
    id = ngx_http_bedrud_reply_str(room, 0);

    if (id == NULL) {
        ngx_http_bedrud_upload_refuse(r, NGX_HTTP_NOT_FOUND,
                                      "Room not found");
        return NGX_DECLINED;
    }

    text = ngx_http_bedrud_reply_str(room, 1);
    settings = text ? json_loadb((const char *) text->data, text->len, 0,
                                 &err)
                    : NULL;

    if (settings && json_is_true(json_object_get(settings, "e2ee"))) {
        json_decref(settings);
        ngx_http_bedrud_upload_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "uploads are disabled in end-to-end "
                                      "encrypted rooms: send the image in "
                                      "the encrypted chat");
        return NGX_DECLINED;
    }

    if (settings) {
        json_decref(settings);
    }

    /* owner: adminId, else the creator (Bedrud) */

    owner = ngx_http_bedrud_reply_str(room, 3);

    if (owner == NULL || owner->len == 0) {
        owner = ngx_http_bedrud_reply_str(room, 2);
    }

    /* a seat: the identity's score, the expiry of its admission */

    score = ngx_http_bedrud_upload_str(ctx->replies[1]);
    seated = (score != NULL
              && ngx_http_bedrud_upload_seconds(score) > ngx_time());

    if (!seated && !ctx->claims.superadmin
        && (owner == NULL || owner->len != ctx->claims.user_id.len
            || ngx_strncmp(owner->data, ctx->claims.user_id.data,
                           owner->len) != 0))
    {
        ngx_http_bedrud_upload_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "join the room before uploading to "
                                      "its chat");
        return NGX_DECLINED;
    }

    limit = ngx_http_bedrud_settings_upload_max(
                ngx_http_bedrud_upload_str(ctx->replies[2]));

    *max = (limit > 0 && limit < bmcf->upload_max) ? limit : bmcf->upload_max;

    return NGX_OK;
}


/* a bulk string reply (ZSCORE's, HGET's); NULL for nil */

static ngx_str_t *
ngx_http_bedrud_upload_str(ngx_http_bedrud_reply_t *rep)
{
    if (rep == NULL || rep->type != NGX_HTTP_BEDRUD_REPLY_STRING) {
        return NULL;
    }

    return &rep->str;
}


/* a zset score, whole seconds: "1795780800" or "1795780800.5" */

static time_t
ngx_http_bedrud_upload_seconds(ngx_str_t *score)
{
    size_t   i;
    time_t   t;

    t = 0;

    for (i = 0; i < score->len && score->data[i] != '.'; i++) {
        if (score->data[i] < '0' || score->data[i] > '9'
            || t > (NGX_MAX_TIME_T_VALUE - 9) / 10)
        {
            return 0;
        }

        t = t * 10 + (score->data[i] - '0');
    }

    return t;
}


/* the body is read: the rest runs in a pool thread */

static void
ngx_http_bedrud_upload_body(ngx_http_request_t *r)
{
    ngx_http_bedrud_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_bedrud_module);

    /* the reference the read took; the answer drops the handler's */

    ngx_http_finalize_request(r, NGX_DONE);

    if (ctx->done) {
        return;
    }

    if (ngx_http_bedrud_upload_post(r, ctx) != NGX_OK && !ctx->done) {
        ngx_http_bedrud_internal_error(r);
    }
}


static ngx_int_t
ngx_http_bedrud_upload_post(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    size_t                          total;
    ngx_buf_t                      *b;
    ngx_str_t                       type;
    ngx_uint_t                      n;
    ngx_chain_t                    *cl;
    ngx_thread_task_t              *task;
    ngx_http_bedrud_upload_t       *st;
    ngx_http_bedrud_main_conf_t    *bmcf;
    ngx_http_bedrud_upload_seg_t   *seg;
    ngx_http_bedrud_upload_task_t  *t;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);
    st = ctx->data;

    n = 0;
    total = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            b = cl->buf;
            n++;
            total += b->in_file ? (size_t) (b->file_last - b->file_pos)
                                : (size_t) (b->last - b->pos);
        }
    }

    ngx_str_null(&type);

    if (r->headers_in.content_type) {
        type = r->headers_in.content_type->value;
    }

    task = ngx_thread_task_alloc(r->pool,
                                 sizeof(ngx_http_bedrud_upload_task_t)
                                 + n * sizeof(ngx_http_bedrud_upload_seg_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    t = task->ctx;

    t->request = r;
    t->ctx = ctx;
    t->max = st->max;
    t->total = total;
    t->nsegs = n;
    t->segs = (ngx_http_bedrud_upload_seg_t *) (t + 1);

    if (n == 0 || total == 0
        || ngx_http_bedrud_multipart_boundary(&type, &t->boundary) != NGX_OK)
    {
        /* Go's FormFile on no form at all */
        ngx_http_bedrud_error(r, NGX_HTTP_BAD_REQUEST, "Missing file field");
        return NGX_OK;
    }

    if ((off_t) total > st->max + NGX_HTTP_BEDRUD_UPLOAD_OVERHEAD) {
        /* chunked, so not refused before it was read */
        ngx_http_bedrud_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                              "File too large");
        return NGX_OK;
    }

    seg = t->segs;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            seg->data = NULL;
            seg->fd = b->file->fd;
            seg->offset = b->file_pos;
            seg->len = (size_t) (b->file_last - b->file_pos);

        } else {
            seg->data = b->pos;
            seg->fd = NGX_INVALID_FILE;
            seg->offset = 0;
            seg->len = b->last - b->pos;
        }

        seg++;
    }

    /* "<bedrud_upload_dir>/chat" */

    t->dir.len = bmcf->upload_dir.len + sizeof("/chat") - 1;
    t->dir.data = ngx_pnalloc(r->pool, t->dir.len + 1);
    if (t->dir.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(t->dir.data, "%V/chat%Z", &bmcf->upload_dir);

    task->handler = ngx_http_bedrud_upload_thread;
    task->event.data = t;
    task->event.handler = ngx_http_bedrud_upload_done;

    if (ngx_thread_task_post(bmcf->thread_pool, task) != NGX_OK) {
        /* queue overflow: logged by nginx, shed the load */
        ngx_http_bedrud_unavailable(r);
        return NGX_OK;
    }

    ngx_http_bedrud_block(r, &t->guard, "upload");

    return NGX_OK;
}


/*
 * In a pool thread: only the task's own data (the body's buffers and the
 * temporary file stay put while the request is blocked), only functions
 * that take no lock of nginx's.
 */

static void
ngx_http_bedrud_upload_thread(void *data, ngx_log_t *log)
{
    ngx_http_bedrud_upload_task_t  *t = data;

    u_char     *buf;
    ngx_int_t   rc;
    ngx_str_t   file;

    t->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    t->error = "Failed to save file";

    buf = ngx_alloc(t->total, log);
    if (buf == NULL) {
        return;
    }

    if (ngx_http_bedrud_upload_read(t, buf, log) != NGX_OK) {
        ngx_free(buf);
        return;
    }

    if (ngx_http_bedrud_multipart_file(buf, t->total, &t->boundary, &file)
        != NGX_OK)
    {
        t->status = NGX_HTTP_BAD_REQUEST;
        t->error = "Missing file field";
        ngx_free(buf);
        return;
    }

    t->size = file.len;

    if ((off_t) file.len > t->max) {
        t->status = NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        t->error = "File too large";
        ngx_free(buf);
        return;
    }

    rc = ngx_http_bedrud_image_sniff(file.data, file.len, &t->image);

    if (rc == NGX_DECLINED) {
        /* the error names what it seems to be: done on the event loop */
        t->status = NGX_HTTP_BAD_REQUEST;
        t->error = NULL;
        ngx_free(buf);
        return;
    }

    if (rc != NGX_OK) {
        t->status = NGX_HTTP_BAD_REQUEST;
        t->error = "invalid image";
        ngx_free(buf);
        return;
    }

    if (ngx_http_bedrud_upload_store(t, &file, log) == NGX_OK) {
        t->status = NGX_HTTP_OK;
        t->error = NULL;
    }

    ngx_free(buf);
}


/* the body, in one piece: memory copied, the temporary file read back */

static ngx_int_t
ngx_http_bedrud_upload_read(ngx_http_bedrud_upload_task_t *t, u_char *buf,
    ngx_log_t *log)
{
    u_char                        *p;
    size_t                         left;
    ssize_t                        n;
    off_t                          off;
    ngx_uint_t                     i;
    ngx_http_bedrud_upload_seg_t  *seg;

    p = buf;

    for (i = 0; i < t->nsegs; i++) {
        seg = &t->segs[i];

        if (seg->data) {
            p = ngx_cpymem(p, seg->data, seg->len);
            continue;
        }

        left = seg->len;
        off = seg->offset;

        while (left) {
            n = pread(seg->fd, p, left, off);

            if (n == -1 && ngx_errno == NGX_EINTR) {
                continue;
            }

            if (n <= 0) {
                ngx_log_error(NGX_LOG_ALERT, log, n ? ngx_errno : 0,
                              "bedrud: upload: reading the request body's "
                              "temporary file failed");
                return NGX_ERROR;
            }

            p += n;
            off += n;
            left -= n;
        }
    }

    return NGX_OK;
}


/*
 * chat/<sha256 hex>.<ext>: written under a temporary name, synced and
 * renamed, the directory synced; an image already there is kept.
 */

static ngx_int_t
ngx_http_bedrud_upload_store(ngx_http_bedrud_upload_task_t *t,
    ngx_str_t *file, ngx_log_t *log)
{
    u_char          *p, *end;
    ssize_t          n;
    ngx_fd_t         fd;
    unsigned int     mdlen;
    struct stat      sb;
    u_char           md[EVP_MAX_MD_SIZE], rnd[8];
    u_char           path[NGX_MAX_PATH], tmp[NGX_MAX_PATH];

    if (EVP_Digest(file->data, file->len, md, &mdlen, EVP_sha256(), NULL)
        != 1
        || mdlen != 32
        || RAND_bytes(rnd, sizeof(rnd)) != 1)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "bedrud: upload: SHA-256 or "
                      "the random generator failed");
        return NGX_ERROR;
    }

    ngx_hex_dump(t->hash, md, 32);

    if (t->dir.len + sizeof("/.0123456789abcdef.tmp") + 2 * 32 + 8
        > NGX_MAX_PATH)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "bedrud: upload: directory "
                      "name \"%s\" too long", t->dir.data);
        return NGX_ERROR;
    }

    ngx_sprintf(path, "%s/%*s.%s%Z", t->dir.data, (size_t) 64, t->hash,
                t->image.ext);

    if (stat((char *) path, &sb) == 0 && S_ISREG(sb.st_mode)
        && (size_t) sb.st_size == file->len)
    {
        /* the same image, stored before: its name is its content */
        return NGX_OK;
    }

    if (mkdir((char *) t->dir.data, 0755) == -1 && ngx_errno != NGX_EEXIST) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "bedrud: upload: mkdir(\"%s\") failed", t->dir.data);
        return NGX_ERROR;
    }

    p = ngx_sprintf(tmp, "%s/.", t->dir.data);
    p = ngx_hex_dump(p, rnd, sizeof(rnd));
    ngx_sprintf(p, ".tmp%Z");

    fd = open((char *) tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "bedrud: upload: open(\"%s\") failed", tmp);
        return NGX_ERROR;
    }

    p = file->data;
    end = file->data + file->len;

    while (p < end) {
        n = write(fd, p, end - p);

        if (n == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        if (n <= 0) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          "bedrud: upload: write(\"%s\") failed", tmp);
            goto failed;
        }

        p += n;
    }

    if (fsync(fd) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "bedrud: upload: fsync(\"%s\") failed", tmp);
        goto failed;
    }

    if (close(fd) == -1) {
        fd = -1;
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "bedrud: upload: close(\"%s\") failed", tmp);
        goto failed;
    }

    fd = -1;

    if (rename((char *) tmp, (char *) path) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "bedrud: upload: rename(\"%s\", \"%s\") failed",
                      tmp, path);
        goto failed;
    }

    /* the new name is durable too */

    fd = open((char *) t->dir.data, O_RDONLY | O_DIRECTORY);

    if (fd != -1) {
        (void) fsync(fd);
        (void) close(fd);
    }

    return NGX_OK;

failed:

    if (fd != -1) {
        (void) close(fd);
    }

    (void) unlink((char *) tmp);

    return NGX_ERROR;
}


static void
ngx_http_bedrud_upload_done(ngx_event_t *ev)
{
    u_char                         *url;
    json_t                         *json;
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_bedrud_ctx_t          *ctx;
    ngx_http_bedrud_upload_task_t  *t;
    u_char                          text[sizeof("unsupported image type: ")
                                         + 64];

    t = ev->data;
    r = t->request;
    ctx = t->ctx;
    c = r->connection;

    if (ngx_http_bedrud_unblock(r, &t->guard) != NGX_OK) {
        return;
    }

    if (ctx->done) {
        ngx_http_run_posted_requests(c);
        return;
    }

    if (t->status != NGX_HTTP_OK) {
        if (t->error == NULL) {
            ngx_sprintf(text, "unsupported image type: %s%Z",
                        t->image.mime);
            t->error = (const char *) text;
        }

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "bedrud: room %V: upload refused: %s",
                      &ctx->params[0], t->error);

        ngx_http_bedrud_error(r, t->status, t->error);
        ngx_http_run_posted_requests(c);
        return;
    }

    url = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_BEDRUD_UPLOAD_URL) + 64 + 6);
    if (url == NULL) {
        ngx_http_bedrud_internal_error(r);
        ngx_http_run_posted_requests(c);
        return;
    }

    ngx_sprintf(url, NGX_HTTP_BEDRUD_UPLOAD_URL "%*s.%s%Z", (size_t) 64,
                t->hash, t->image.ext);

    ngx_log_error(NGX_LOG_INFO, c->log, 0,
                  "bedrud: room %V: %V uploaded %s (%uz bytes)",
                  &ctx->params[0], &ctx->claims.user_id, url, t->size);

    json = json_pack("{s:s,s:s,s:I,s:I,s:I}",
                     "url", (char *) url,
                     "mime", t->image.mime,
                     "size", (json_int_t) t->size,
                     "w", (json_int_t) t->image.width,
                     "h", (json_int_t) t->image.height);

    if (json == NULL) {
        ngx_http_bedrud_internal_error(r);

    } else {
        ngx_http_bedrud_send(r, NGX_HTTP_OK, json);
    }

    ngx_http_run_posted_requests(c);
}




#else /* !(NGX_THREADS) */

void
ngx_http_bedrud_room_upload(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx)
{
    (void) ngx_http_discard_request_body(r);

    ngx_http_bedrud_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                          "chat uploads need nginx with threads");
}

#endif


/*
 * $bedrud_upload_dir: bedrud_upload_dir as configured (its full name), for
 * the location that serves the images (conf/bedrud-server.conf).
 */

static ngx_int_t
ngx_http_bedrud_upload_dir_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_bedrud_main_conf_t  *bmcf;

    bmcf = ngx_http_get_module_main_conf(r, ngx_http_bedrud_module);

    if (bmcf->upload_dir.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = bmcf->upload_dir.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = bmcf->upload_dir.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_bedrud_upload_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var;

    static ngx_str_t  name = ngx_string("bedrud_upload_dir");

    var = ngx_http_add_variable(cf, &name, 0);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = ngx_http_bedrud_upload_dir_variable;

    return NGX_OK;
}

