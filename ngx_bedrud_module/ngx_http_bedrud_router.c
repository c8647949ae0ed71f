
/*
 * Copyright (C) ngx_bedrud authors
 *
 * The route table: method, path pattern (":name" matches one segment),
 * handler, authentication level, rate limit class and body rules.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_bedrud_module.h"


#define NGX_HTTP_BEDRUD_INVALID  "Invalid input"


static ngx_int_t ngx_http_bedrud_match(const char *pattern, ngx_str_t *uri,
    ngx_str_t *params, ngx_uint_t *nparams);


static ngx_http_bedrud_route_t  ngx_http_bedrud_route_table[] = {

    { NGX_HTTP_POST, "/api/auth/register", ngx_http_bedrud_auth_register,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_AUTH,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_POST, "/api/auth/login", ngx_http_bedrud_auth_login,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_AUTH,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_POST, "/api/auth/guest-login",
      ngx_http_bedrud_auth_guest_login,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_AUTH,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    /* the web client refreshes with no body at all, cookie only */
    { NGX_HTTP_POST, "/api/auth/refresh", ngx_http_bedrud_auth_refresh,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_AUTH,
      NGX_HTTP_BEDRUD_INVALID, 1, 1, 0 },

    { NGX_HTTP_POST, "/api/auth/logout", ngx_http_bedrud_auth_logout,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      "Invalid input - expected JSON with refresh_token field", 1, 0, 0 },

    { NGX_HTTP_GET, "/api/auth/me", ngx_http_bedrud_auth_me,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_PUT, "/api/auth/me", ngx_http_bedrud_auth_update_me,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_PUT, "/api/auth/password", ngx_http_bedrud_auth_password,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_AUTH,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_GET, "/api/auth/settings", ngx_http_bedrud_auth_settings,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/auth/preferences", ngx_http_bedrud_auth_get_prefs,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_PUT, "/api/auth/preferences", ngx_http_bedrud_auth_put_prefs,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    /* rooms */

    { NGX_HTTP_POST, "/api/room/create", ngx_http_bedrud_room_create,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      "Invalid request body", 1, 0, 0 },

    { NGX_HTTP_POST, "/api/room/join", ngx_http_bedrud_room_join,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      "Invalid body", 1, 0, 0 },

    { NGX_HTTP_POST, "/api/room/guest-join", ngx_http_bedrud_room_guest_join,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_GUEST,
      "Invalid body", 1, 0, 0 },

    { NGX_HTTP_GET, "/api/room/list", ngx_http_bedrud_room_list,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_PUT, "/api/room/:roomId/settings",
      ngx_http_bedrud_room_settings,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      "Invalid body", 1, 0, 0 },

    { NGX_HTTP_DELETE, "/api/room/:roomId", ngx_http_bedrud_room_delete,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    /*
     * a multipart body, read by the handler once the room lets it in
     * (raw 2: NGX_HTTP_BEDRUD_BODY_FILE)
     */

    { NGX_HTTP_POST, "/api/room/:roomId/chat/upload",
      ngx_http_bedrud_room_upload,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      "Missing file field", 1, 0, 2 },

    /*
     * in-room moderation: no body; ngx_http_bedrud_moderation.c finds the
     * route by its pattern, and checks the caller
     */

    { NGX_HTTP_POST, "/api/room/:roomId/kick/:identity",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/mute/:identity",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/ban/:identity",
      ngx_http_bedrud_room_ban,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/unban/:identity",
      ngx_http_bedrud_room_unban,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/room/:roomId/bans", ngx_http_bedrud_room_bans,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/video/:identity/off",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/screenshare/:identity/stop",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/promote/:identity",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/demote/:identity",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/chat/:identity/block",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/chat/:identity/unblock",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/deafen/:identity",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/undeafen/:identity",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/ask/:identity/:action",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/spotlight/:identity",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/stage/:identity/bring",
      ngx_http_bedrud_room_stage,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/room/:roomId/stage/:identity/remove",
      ngx_http_bedrud_room_stage,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/room/:roomId/participant/:identity/info",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_USER, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    /* administration: superadmin only */

    { NGX_HTTP_GET, "/api/admin/rooms", ngx_http_bedrud_admin_rooms,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_PUT, "/api/admin/rooms/:roomId",
      ngx_http_bedrud_admin_room_update,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_DELETE, "/api/admin/rooms/:roomId",
      ngx_http_bedrud_admin_room_close,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/admin/rooms/:roomId/participants",
      ngx_http_bedrud_admin_participants,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    /* the room's kick and mute, without the owner check */

    { NGX_HTTP_POST, "/api/admin/rooms/:roomId/participants/:identity/kick",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/admin/rooms/:roomId/participants/:identity/mute",
      ngx_http_bedrud_room_moderate,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/admin/online-count",
      ngx_http_bedrud_admin_online_count,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/admin/livekit/stats",
      ngx_http_bedrud_admin_livekit_stats,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/admin/users", ngx_http_bedrud_admin_users,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/admin/users/:id", ngx_http_bedrud_admin_user,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_PUT, "/api/admin/users/:id/status",
      ngx_http_bedrud_admin_user_status,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_PUT, "/api/admin/users/:id/accesses",
      ngx_http_bedrud_admin_user_accesses,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_GET, "/api/admin/settings", ngx_http_bedrud_admin_get_settings,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_PUT, "/api/admin/settings", ngx_http_bedrud_admin_put_settings,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_GET, "/api/admin/invite-tokens", ngx_http_bedrud_admin_invites,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_POST, "/api/admin/invite-tokens",
      ngx_http_bedrud_admin_invite_create,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NGX_HTTP_BEDRUD_INVALID, 1, 0, 0 },

    { NGX_HTTP_DELETE, "/api/admin/invite-tokens/:id",
      ngx_http_bedrud_admin_invite_delete,
      NGX_HTTP_BEDRUD_AUTH_SUPERADMIN, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    { NGX_HTTP_GET, "/api/health", ngx_http_bedrud_health,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_NONE,
      NULL, 0, 0, 0 },

    /* LiveKit's webhooks: signed by LiveKit, checked before parsing */

    { NGX_HTTP_POST, "/api/livekit/webhook", ngx_http_bedrud_livekit_webhook,
      NGX_HTTP_BEDRUD_AUTH_NONE, NGX_HTTP_BEDRUD_LIMIT_NONE,
      "Invalid webhook", 1, 0, 1 },

    { 0, NULL, NULL, 0, 0, NULL, 0, 0, 0 }
};


/*
 * Finds the route for the request.  NULL with allow->len == 0 means no
 * such path (404); NULL with an Allow list means a wrong method (405).
 * The routes of a path with the fewest parameters are its only ones:
 * "/api/room/create" is not also "/api/room/:roomId", whatever the
 * method.
 */

ngx_http_bedrud_route_t *
ngx_http_bedrud_route(ngx_http_request_t *r, ngx_http_bedrud_ctx_t *ctx,
    ngx_str_t *allow)
{
    u_char                   *p;
    ngx_str_t                 uri, params[NGX_HTTP_BEDRUD_MAX_PARAMS];
    ngx_uint_t                method, nparams, methods, fewest;
    ngx_http_bedrud_route_t  *rt, *found;

    uri = r->uri;

    /* non-strict routing, as Fiber's default: one trailing slash is ok */
    if (uri.len > 1 && uri.data[uri.len - 1] == '/') {
        uri.len--;
    }

    method = (r->method == NGX_HTTP_HEAD) ? NGX_HTTP_GET : r->method;
    methods = 0;
    fewest = NGX_HTTP_BEDRUD_MAX_PARAMS + 1;
    found = NULL;

    for (rt = ngx_http_bedrud_route_table; rt->pattern; rt++) {

        if (ngx_http_bedrud_match(rt->pattern, &uri, params, &nparams)
            != NGX_OK
            || nparams > fewest)
        {
            continue;
        }

        if (nparams < fewest) {
            /* a more specific path: forget the others */
            fewest = nparams;
            methods = 0;
            found = NULL;
        }

        if (rt->method == method && found == NULL) {
            ngx_memcpy(ctx->params, params, sizeof(params));
            ctx->nparams = nparams;
            found = rt;
        }

        methods |= rt->method;
    }

    if (found) {
        return found;
    }

    ngx_str_null(allow);

    if (methods == 0) {
        return NULL;
    }

    p = ngx_pnalloc(r->pool, sizeof("GET, HEAD, POST, PUT, DELETE") - 1);
    if (p == NULL) {
        return NULL;
    }

    allow->data = p;

    if (methods & NGX_HTTP_GET) {
        p = ngx_cpymem(p, "GET, HEAD, ", sizeof("GET, HEAD, ") - 1);
    }

    if (methods & NGX_HTTP_POST) {
        p = ngx_cpymem(p, "POST, ", sizeof("POST, ") - 1);
    }

    if (methods & NGX_HTTP_PUT) {
        p = ngx_cpymem(p, "PUT, ", sizeof("PUT, ") - 1);
    }

    if (methods & NGX_HTTP_DELETE) {
        p = ngx_cpymem(p, "DELETE, ", sizeof("DELETE, ") - 1);
    }

    allow->len = p - allow->data - 2;

    return NULL;
}


static ngx_int_t
ngx_http_bedrud_match(const char *pattern, ngx_str_t *uri, ngx_str_t *params,
    ngx_uint_t *nparams)
{
    u_char      *u, *end, *seg;
    const char  *p;

    p = pattern;
    u = uri->data;
    end = uri->data + uri->len;
    *nparams = 0;

    while (*p) {

        if (*p == ':') {
            /* a parameter: one non-empty segment */
            while (*p && *p != '/') {
                p++;
            }

            seg = u;

            while (u < end && *u != '/') {
                u++;
            }

            if (u == seg || *nparams == NGX_HTTP_BEDRUD_MAX_PARAMS) {
                return NGX_DECLINED;
            }

            params[*nparams].data = seg;
            params[*nparams].len = u - seg;
            (*nparams)++;

            continue;
        }

        if (u == end || *u != (u_char) *p) {
            return NGX_DECLINED;
        }

        p++;
        u++;
    }

    return (u == end) ? NGX_OK : NGX_DECLINED;
}
