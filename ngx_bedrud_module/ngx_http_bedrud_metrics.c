
/*
 * Copyright (C) ngx_bedrud authors
 *
 * Counters of the API's answers and of events, kept in the shared zone
 * (ngx_http_bedrud_shm.c) with atomic operations only, and the Prometheus
 * text of them: the content handler of a location with "bedrud_metrics".
 * The pipeline accounts each API answer in the log phase.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_METRICS_SIZE  8192


static ngx_atomic_t *ngx_http_bedrud_metrics_counter(
    ngx_http_bedrud_metrics_t *m, ngx_uint_t what);
static ngx_int_t ngx_http_bedrud_metrics_text(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *text);
static ngx_int_t ngx_http_bedrud_metrics_reply(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *b);
static u_char *ngx_http_bedrud_metrics_http(ngx_http_bedrud_metrics_t *m,
    u_char *p, u_char *last);
static u_char *ngx_http_bedrud_metrics_events(ngx_http_bedrud_metrics_t *m,
    ngx_http_bedrud_shm_stats_t *stats, u_char *p, u_char *last);


static ngx_uint_t  ngx_http_bedrud_bounds[NGX_HTTP_BEDRUD_METRICS_BUCKETS - 1]
    = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500 };


static char  *ngx_http_bedrud_bucket_names[NGX_HTTP_BEDRUD_METRICS_BUCKETS] = {
    "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "+Inf"
};


static char  *ngx_http_bedrud_code_names[NGX_HTTP_BEDRUD_METRICS_CODES] = {
    "2xx", "3xx", "4xx", "5xx", "other"
};


static ngx_uint_t  ngx_http_bedrud_statuses[NGX_HTTP_BEDRUD_METRICS_STATUSES]
    = {
    NGX_HTTP_UNAUTHORIZED,
    NGX_HTTP_FORBIDDEN,
    NGX_HTTP_TOO_MANY_REQUESTS,
    NGX_HTTP_SERVICE_UNAVAILABLE
};


/* One answer of the API: its status class, status and latency. */

void
ngx_http_bedrud_metrics_account(ngx_uint_t status, ngx_msec_t latency)
{
    ngx_uint_t                  i;
    ngx_http_bedrud_metrics_t  *m;

    m = ngx_http_bedrud_shm_metrics();

    if (m == NULL) {
        return;
    }

    if (status >= 200 && status < 600) {
        i = status / 100 - 2;

    } else {
        i = NGX_HTTP_BEDRUD_METRICS_CODES - 1;
    }

    (void) ngx_atomic_fetch_add(&m->codes[i], 1);

    for (i = 0; i < NGX_HTTP_BEDRUD_METRICS_STATUSES; i++) {
        if (status == ngx_http_bedrud_statuses[i]) {
            (void) ngx_atomic_fetch_add(&m->statuses[i], 1);
            break;
        }
    }

    for (i = 0; i < NGX_HTTP_BEDRUD_METRICS_BUCKETS - 1; i++) {
        if (latency <= ngx_http_bedrud_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->buckets[i], 1);
    (void) ngx_atomic_fetch_add(&m->latency, (ngx_atomic_int_t) latency);
}


/* One event: NGX_HTTP_BEDRUD_REDIS_ERROR, ... */

void
ngx_http_bedrud_metrics_count(ngx_uint_t what)
{
    ngx_atomic_t               *counter;
    ngx_http_bedrud_metrics_t  *m;

    m = ngx_http_bedrud_shm_metrics();

    if (m == NULL) {
        return;
    }

    counter = ngx_http_bedrud_metrics_counter(m, what);

    if (counter) {
        (void) ngx_atomic_fetch_add(counter, 1);
    }
}


static ngx_atomic_t *
ngx_http_bedrud_metrics_counter(ngx_http_bedrud_metrics_t *m,
    ngx_uint_t what)
{
    switch (what) {

    case NGX_HTTP_BEDRUD_RATE_LIMITED:
        return &m->rate_limited;

    case NGX_HTTP_BEDRUD_DENY_DROPPED:
        return &m->deny_dropped;

    default:
        return (what < NGX_HTTP_BEDRUD_METRICS_EVENTS) ? &m->events[what]
                                                       : NULL;
    }
}


ngx_int_t
ngx_http_bedrud_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_buf_t                    *b;
    ngx_str_t                     text;
    ngx_table_elt_t              *h;
    ngx_http_bedrud_metrics_t    *m;
    ngx_http_bedrud_shm_stats_t   stats;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "GET, HEAD");

        ngx_str_set(&text, "method not allowed\n");

        return ngx_http_bedrud_metrics_text(r, NGX_HTTP_NOT_ALLOWED, &text);
    }

    m = ngx_http_bedrud_shm_metrics();

    if (m == NULL || ngx_http_bedrud_shm_stats(&stats) != NGX_OK) {
        ngx_str_set(&text, "no bedrud_zone configured\n");

        return ngx_http_bedrud_metrics_text(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                            &text);
    }

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_BEDRUD_METRICS_SIZE);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_http_bedrud_metrics_http(m, b->last, b->end);
    b->last = ngx_http_bedrud_metrics_events(m, &stats, b->last, b->end);

    if (b->last == b->end) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "bedrud metrics do not fit in %d bytes",
                      NGX_HTTP_BEDRUD_METRICS_SIZE);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_bedrud_metrics_reply(r, NGX_HTTP_OK, b);
}


static ngx_int_t
ngx_http_bedrud_metrics_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *text)
{
    ngx_buf_t  *b;

    b = ngx_create_temp_buf(r->pool, text->len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, text->data, text->len);

    return ngx_http_bedrud_metrics_reply(r, status, b);
}


static ngx_int_t
ngx_http_bedrud_metrics_reply(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;

    if (status == NGX_HTTP_OK) {
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; charset=utf-8");
    }

    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* the API's answers: by class, selected statuses, the latency histogram */

static u_char *
ngx_http_bedrud_metrics_http(ngx_http_bedrud_metrics_t *m, u_char *p,
    u_char *last)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  n, latency;

    p = ngx_slprintf(p, last,
                     "# HELP bedrud_http_requests_total "
                     "HTTP requests answered, by status class.\n"
                     "# TYPE bedrud_http_requests_total counter\n");

    for (i = 0; i < NGX_HTTP_BEDRUD_METRICS_CODES; i++) {
        p = ngx_slprintf(p, last,
                         "bedrud_http_requests_total{code=\"%s\"} %uA\n",
                         ngx_http_bedrud_code_names[i], m->codes[i]);
    }

    p = ngx_slprintf(p, last,
                     "# HELP bedrud_http_responses_total "
                     "HTTP responses with selected status codes.\n"
                     "# TYPE bedrud_http_responses_total counter\n");

    for (i = 0; i < NGX_HTTP_BEDRUD_METRICS_STATUSES; i++) {
        p = ngx_slprintf(p, last,
                         "bedrud_http_responses_total{code=\"%ui\"} %uA\n",
                         ngx_http_bedrud_statuses[i], m->statuses[i]);
    }

    p = ngx_slprintf(p, last,
                     "# HELP bedrud_http_request_duration_seconds "
                     "HTTP request latency.\n"
                     "# TYPE bedrud_http_request_duration_seconds "
                     "histogram\n");

    /* one pass over the buckets, so that +Inf and _count agree */

    n = 0;
    latency = m->latency;

    for (i = 0; i < NGX_HTTP_BEDRUD_METRICS_BUCKETS; i++) {
        n += m->buckets[i];

        p = ngx_slprintf(p, last,
                         "bedrud_http_request_duration_seconds_bucket"
                         "{le=\"%s\"} %uA\n",
                         ngx_http_bedrud_bucket_names[i], n);
    }

    return ngx_slprintf(p, last,
                        "bedrud_http_request_duration_seconds_sum "
                        "%uA.%03uA\n"
                        "bedrud_http_request_duration_seconds_count %uA\n",
                        latency / 1000, latency % 1000, n);
}


/* events, and the zone's gauges */

static u_char *
ngx_http_bedrud_metrics_events(ngx_http_bedrud_metrics_t *m,
    ngx_http_bedrud_shm_stats_t *stats, u_char *p, u_char *last)
{
    p = ngx_slprintf(p, last,
                     "# HELP bedrud_rate_limited_total "
                     "Requests refused by a rate limit.\n"
                     "# TYPE bedrud_rate_limited_total counter\n"
                     "bedrud_rate_limited_total %uA\n",
                     m->rate_limited);

    p = ngx_slprintf(p, last,
                     "# HELP bedrud_redis_errors_total Redis errors.\n"
                     "# TYPE bedrud_redis_errors_total counter\n"
                     "bedrud_redis_errors_total %uA\n"
                     "# HELP bedrud_redis_timeouts_total Redis timeouts.\n"
                     "# TYPE bedrud_redis_timeouts_total counter\n"
                     "bedrud_redis_timeouts_total %uA\n"
                     "# HELP bedrud_redis_reconnects_total "
                     "Redis reconnection attempts.\n"
                     "# TYPE bedrud_redis_reconnects_total counter\n"
                     "bedrud_redis_reconnects_total %uA\n",
                     m->events[NGX_HTTP_BEDRUD_REDIS_ERROR],
                     m->events[NGX_HTTP_BEDRUD_REDIS_TIMEOUT],
                     m->events[NGX_HTTP_BEDRUD_REDIS_RECONNECT]);

    p = ngx_slprintf(p, last,
                     "# HELP bedrud_token_verifications_total "
                     "Access tokens verified in full (not remembered).\n"
                     "# TYPE bedrud_token_verifications_total counter\n"
                     "bedrud_token_verifications_total %uA\n"
                     "# HELP bedrud_livekit_removals_total "
                     "Participants removed from LiveKit rooms: an "
                     "unencrypted track in an E2EE room, or banned.\n"
                     "# TYPE bedrud_livekit_removals_total counter\n"
                     "bedrud_livekit_removals_total{reason=\"unencrypted\"}"
                     " %uA\n"
                     "bedrud_livekit_removals_total{reason=\"banned\"} %uA\n",
                     m->events[NGX_HTTP_BEDRUD_TOKEN_VERIFIED],
                     m->events[NGX_HTTP_BEDRUD_E2EE_REMOVED],
                     m->events[NGX_HTTP_BEDRUD_BANNED_REMOVED]);

    p = ngx_slprintf(p, last,
                     "# HELP bedrud_denylist_entries "
                     "Revoked tokens mirrored in the shared zone.\n"
                     "# TYPE bedrud_denylist_entries gauge\n"
                     "bedrud_denylist_entries %uA\n"
                     "# HELP bedrud_denylist_capacity "
                     "Revoked tokens the shared zone holds at most "
                     "(three quarters of it).\n"
                     "# TYPE bedrud_denylist_capacity gauge\n"
                     "bedrud_denylist_capacity %ui\n"
                     "# HELP bedrud_denylist_dropped_total "
                     "Revocations evicted from the zone, or not stored, "
                     "because it was full (Redis still has them).\n"
                     "# TYPE bedrud_denylist_dropped_total counter\n"
                     "bedrud_denylist_dropped_total %uA\n"
                     "# HELP bedrud_denylist_in_redis "
                     "1 while tokens the zone does not name are checked "
                     "in Redis (revocations were evicted).\n"
                     "# TYPE bedrud_denylist_in_redis gauge\n"
                     "bedrud_denylist_in_redis %ui\n"
                     "# HELP bedrud_revocation_redis_checks_total "
                     "Tokens checked in Redis because the zone was "
                     "full.\n"
                     "# TYPE bedrud_revocation_redis_checks_total counter\n"
                     "bedrud_revocation_redis_checks_total %uA\n",
                     stats->deny_entries, stats->deny_max, m->deny_dropped,
                     stats->lossy,
                     m->events[NGX_HTTP_BEDRUD_REVOKED_CHECKED]);

    return ngx_slprintf(p, last,
                        "# HELP bedrud_rate_limit_entries "
                        "Rate limit windows kept in the shared zone.\n"
                        "# TYPE bedrud_rate_limit_entries gauge\n"
                        "bedrud_rate_limit_entries %uA\n"
                        "# HELP bedrud_rate_limit_evicted_total "
                        "Rate limit windows of the clients seen least "
                        "recently, dropped because the zone was full.\n"
                        "# TYPE bedrud_rate_limit_evicted_total counter\n"
                        "bedrud_rate_limit_evicted_total %uA\n"
                        "# HELP bedrud_rate_limit_refused_total "
                        "Requests refused because the zone had no room "
                        "to count them.\n"
                        "# TYPE bedrud_rate_limit_refused_total counter\n"
                        "bedrud_rate_limit_refused_total %uA\n"
                        "# HELP bedrud_zone_pages_free "
                        "Free pages in the shared zone.\n"
                        "# TYPE bedrud_zone_pages_free gauge\n"
                        "bedrud_zone_pages_free %ui\n"
                        "# HELP bedrud_zone_size_bytes "
                        "Size of the shared zone.\n"
                        "# TYPE bedrud_zone_size_bytes gauge\n"
                        "bedrud_zone_size_bytes %uz\n",
                        stats->limit_entries,
                        m->events[NGX_HTTP_BEDRUD_LIMIT_EVICTED],
                        m->events[NGX_HTTP_BEDRUD_LIMIT_REFUSED],
                        stats->pages_free, stats->size);
}
