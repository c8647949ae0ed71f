
/*
 * Copyright (C) ngx_bedrud authors
 */


#ifndef _NGX_HTTP_BEDRUD_FUNCTIONS_H_INCLUDED_
#define _NGX_HTTP_BEDRUD_FUNCTIONS_H_INCLUDED_


/*
 * The Redis Functions (the .lua files in redis/) by name: for each, its
 * name, its KEYS and its other arguments in the order they are passed.
 * _K_ names a key by its index in KEYS, _A_ an argument by its index
 * after the keys (the key count, then the argument's index in ARGV);
 * _NKEYS and _N count them; ngx_http_bedrud_call() takes them all from
 * the function's name.  A function declares the same names at its top,
 * in the same order (declare() in the .lua files), and uses only them;
 * so do the _FIELDS lists, whose values a reply carries by position
 * (_F_).  t/unit/functions.t fails when the two sides disagree.
 */


/* bedrud_register_check (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_REGISTER_CHECK  "bedrud_register_check"
#define NGX_HTTP_BEDRUD_REGISTER_CHECK_K_SETTINGS             0
#define NGX_HTTP_BEDRUD_REGISTER_CHECK_K_EMAIL                1
#define NGX_HTTP_BEDRUD_REGISTER_CHECK_K_INVITE               2
#define NGX_HTTP_BEDRUD_REGISTER_CHECK_NKEYS                  3
#define NGX_HTTP_BEDRUD_REGISTER_CHECK_A_INVITE               3
#define NGX_HTTP_BEDRUD_REGISTER_CHECK_A_NOW                  4
#define NGX_HTTP_BEDRUD_REGISTER_CHECK_N                      5


/* bedrud_register (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_REGISTER  "bedrud_register"
#define NGX_HTTP_BEDRUD_REGISTER_K_SETTINGS                   0
#define NGX_HTTP_BEDRUD_REGISTER_K_EMAIL                      1
#define NGX_HTTP_BEDRUD_REGISTER_K_INVITE                     2
#define NGX_HTTP_BEDRUD_REGISTER_K_USER                       3
#define NGX_HTTP_BEDRUD_REGISTER_K_USERS                      4
#define NGX_HTTP_BEDRUD_REGISTER_K_SESSION                    5
#define NGX_HTTP_BEDRUD_REGISTER_K_SESSIONS                   6
#define NGX_HTTP_BEDRUD_REGISTER_NKEYS                        7
#define NGX_HTTP_BEDRUD_REGISTER_A_INVITE                     7
#define NGX_HTTP_BEDRUD_REGISTER_A_NOW                        8
#define NGX_HTTP_BEDRUD_REGISTER_A_ID                         9
#define NGX_HTTP_BEDRUD_REGISTER_A_EMAIL                      10
#define NGX_HTTP_BEDRUD_REGISTER_A_NAME                       11
#define NGX_HTTP_BEDRUD_REGISTER_A_PWHASH                     12
#define NGX_HTTP_BEDRUD_REGISTER_A_STAMP                      13
#define NGX_HTTP_BEDRUD_REGISTER_A_FAM                        14
#define NGX_HTTP_BEDRUD_REGISTER_A_JTI                        15
#define NGX_HTTP_BEDRUD_REGISTER_A_TTL                        16
#define NGX_HTTP_BEDRUD_REGISTER_A_PROVIDER                   17
#define NGX_HTTP_BEDRUD_REGISTER_A_ACCESSES                   18
#define NGX_HTTP_BEDRUD_REGISTER_N                            19


/* bedrud_guest (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_GUEST  "bedrud_guest"
#define NGX_HTTP_BEDRUD_GUEST_K_USER                          0
#define NGX_HTTP_BEDRUD_GUEST_K_USERS                         1
#define NGX_HTTP_BEDRUD_GUEST_K_SESSION                       2
#define NGX_HTTP_BEDRUD_GUEST_K_SESSIONS                      3
#define NGX_HTTP_BEDRUD_GUEST_NKEYS                           4
#define NGX_HTTP_BEDRUD_GUEST_A_ID                            4
#define NGX_HTTP_BEDRUD_GUEST_A_EMAIL                         5
#define NGX_HTTP_BEDRUD_GUEST_A_NAME                          6
#define NGX_HTTP_BEDRUD_GUEST_A_STAMP                         7
#define NGX_HTTP_BEDRUD_GUEST_A_NOW                           8
#define NGX_HTTP_BEDRUD_GUEST_A_FAM                           9
#define NGX_HTTP_BEDRUD_GUEST_A_JTI                           10
#define NGX_HTTP_BEDRUD_GUEST_A_TTL                           11
#define NGX_HTTP_BEDRUD_GUEST_N                               12


/* bedrud_user_by_email (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_USER_BY_EMAIL  "bedrud_user_by_email"
#define NGX_HTTP_BEDRUD_USER_BY_EMAIL_K_EMAIL                 0
#define NGX_HTTP_BEDRUD_USER_BY_EMAIL_K_THROTTLE              1
#define NGX_HTTP_BEDRUD_USER_BY_EMAIL_NKEYS                   2
#define NGX_HTTP_BEDRUD_USER_BY_EMAIL_A_NOW                   2
#define NGX_HTTP_BEDRUD_USER_BY_EMAIL_N                       3


/* bedrud_login_failed (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_LOGIN_FAILED  "bedrud_login_failed"
#define NGX_HTTP_BEDRUD_LOGIN_FAILED_K_THROTTLE               0
#define NGX_HTTP_BEDRUD_LOGIN_FAILED_NKEYS                    1
#define NGX_HTTP_BEDRUD_LOGIN_FAILED_A_NOW                    1
#define NGX_HTTP_BEDRUD_LOGIN_FAILED_A_FREE                   2
#define NGX_HTTP_BEDRUD_LOGIN_FAILED_A_MAX                    3
#define NGX_HTTP_BEDRUD_LOGIN_FAILED_A_TTL                    4
#define NGX_HTTP_BEDRUD_LOGIN_FAILED_N                        5


/* bedrud_login (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_LOGIN  "bedrud_login"
#define NGX_HTTP_BEDRUD_LOGIN_K_USER                          0
#define NGX_HTTP_BEDRUD_LOGIN_K_SESSION                       1
#define NGX_HTTP_BEDRUD_LOGIN_K_SESSIONS                      2
#define NGX_HTTP_BEDRUD_LOGIN_K_THROTTLE                      3
#define NGX_HTTP_BEDRUD_LOGIN_NKEYS                           4
#define NGX_HTTP_BEDRUD_LOGIN_A_FAM                           4
#define NGX_HTTP_BEDRUD_LOGIN_A_JTI                           5
#define NGX_HTTP_BEDRUD_LOGIN_A_TTL                           6
#define NGX_HTTP_BEDRUD_LOGIN_A_PWHASH                        7
#define NGX_HTTP_BEDRUD_LOGIN_A_STAMP                         8
#define NGX_HTTP_BEDRUD_LOGIN_N                               9


/* bedrud_refresh (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_REFRESH  "bedrud_refresh"
#define NGX_HTTP_BEDRUD_REFRESH_K_SESSION                     0
#define NGX_HTTP_BEDRUD_REFRESH_K_USER                        1
#define NGX_HTTP_BEDRUD_REFRESH_K_SESSIONS                    2
#define NGX_HTTP_BEDRUD_REFRESH_K_REVLOG                      3
#define NGX_HTTP_BEDRUD_REFRESH_NKEYS                         4
#define NGX_HTTP_BEDRUD_REFRESH_A_JTI                         4
#define NGX_HTTP_BEDRUD_REFRESH_A_NEW_JTI                     5
#define NGX_HTTP_BEDRUD_REFRESH_A_NEW_AJTI                    6
#define NGX_HTTP_BEDRUD_REFRESH_A_NOW                         7
#define NGX_HTTP_BEDRUD_REFRESH_A_GRACE                       8
#define NGX_HTTP_BEDRUD_REFRESH_A_TTL                         9
#define NGX_HTTP_BEDRUD_REFRESH_A_FAM                         10
#define NGX_HTTP_BEDRUD_REFRESH_A_REVOKE_EXP                  11
#define NGX_HTTP_BEDRUD_REFRESH_N                             12


/*
 * bedrud_logout (redis/bedrud.lua): one session key and one fam for each
 * login session ended; each session after the first moves the _A_
 * positions by one
 */
#define NGX_HTTP_BEDRUD_LOGOUT  "bedrud_logout"
#define NGX_HTTP_BEDRUD_LOGOUT_K_SESSIONS                     0
#define NGX_HTTP_BEDRUD_LOGOUT_K_REVLOG                       1
#define NGX_HTTP_BEDRUD_LOGOUT_K_SESSION                      2
#define NGX_HTTP_BEDRUD_LOGOUT_NKEYS                          3
#define NGX_HTTP_BEDRUD_LOGOUT_A_REVOKE_EXP                   3
#define NGX_HTTP_BEDRUD_LOGOUT_A_FAM                          4
#define NGX_HTTP_BEDRUD_LOGOUT_N                              5


/* bedrud_logout_all (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_LOGOUT_ALL  "bedrud_logout_all"
#define NGX_HTTP_BEDRUD_LOGOUT_ALL_K_SESSIONS                 0
#define NGX_HTTP_BEDRUD_LOGOUT_ALL_K_REVLOG                   1
#define NGX_HTTP_BEDRUD_LOGOUT_ALL_NKEYS                      2
#define NGX_HTTP_BEDRUD_LOGOUT_ALL_A_REVOKE_EXP               2
#define NGX_HTTP_BEDRUD_LOGOUT_ALL_A_UID                      3
#define NGX_HTTP_BEDRUD_LOGOUT_ALL_A_FAM                      4
#define NGX_HTTP_BEDRUD_LOGOUT_ALL_N                          5


/* bedrud_user_get (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_USER_GET  "bedrud_user_get"
#define NGX_HTTP_BEDRUD_USER_GET_K_USER                       0
#define NGX_HTTP_BEDRUD_USER_GET_NKEYS                        1
#define NGX_HTTP_BEDRUD_USER_GET_N                            1


/* bedrud_user_rename (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_USER_RENAME  "bedrud_user_rename"
#define NGX_HTTP_BEDRUD_USER_RENAME_K_USER                    0
#define NGX_HTTP_BEDRUD_USER_RENAME_NKEYS                     1
#define NGX_HTTP_BEDRUD_USER_RENAME_A_NAME                    1
#define NGX_HTTP_BEDRUD_USER_RENAME_A_STAMP                   2
#define NGX_HTTP_BEDRUD_USER_RENAME_N                         3


/* bedrud_password_set (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_PASSWORD_SET  "bedrud_password_set"
#define NGX_HTTP_BEDRUD_PASSWORD_SET_K_USER                   0
#define NGX_HTTP_BEDRUD_PASSWORD_SET_K_SESSIONS               1
#define NGX_HTTP_BEDRUD_PASSWORD_SET_K_REVLOG                 2
#define NGX_HTTP_BEDRUD_PASSWORD_SET_NKEYS                    3
#define NGX_HTTP_BEDRUD_PASSWORD_SET_A_OLD_PWHASH             3
#define NGX_HTTP_BEDRUD_PASSWORD_SET_A_PWHASH                 4
#define NGX_HTTP_BEDRUD_PASSWORD_SET_A_STAMP                  5
#define NGX_HTTP_BEDRUD_PASSWORD_SET_A_FAM                    6
#define NGX_HTTP_BEDRUD_PASSWORD_SET_A_REVOKE_EXP             7
#define NGX_HTTP_BEDRUD_PASSWORD_SET_N                        8


/* bedrud_prefs_set (redis/bedrud.lua) */
#define NGX_HTTP_BEDRUD_PREFS_SET  "bedrud_prefs_set"
#define NGX_HTTP_BEDRUD_PREFS_SET_K_USER                      0
#define NGX_HTTP_BEDRUD_PREFS_SET_NKEYS                       1
#define NGX_HTTP_BEDRUD_PREFS_SET_A_PREFS                     1
#define NGX_HTTP_BEDRUD_PREFS_SET_A_STAMP                     2
#define NGX_HTTP_BEDRUD_PREFS_SET_N                           3


/* bedrud_room_create (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_CREATE  "bedrud_room_create"
#define NGX_HTTP_BEDRUD_ROOM_CREATE_K_ROOM_NAME               0
#define NGX_HTTP_BEDRUD_ROOM_CREATE_K_ROOM                    1
#define NGX_HTTP_BEDRUD_ROOM_CREATE_K_USER_ROOMS              2
#define NGX_HTTP_BEDRUD_ROOM_CREATE_K_ROOMS                   3
#define NGX_HTTP_BEDRUD_ROOM_CREATE_NKEYS                     4
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_ID                      4
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_NAME                    5
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_CREATED_BY              6
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_MAX                     7
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_PUBLIC                  8
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_MODE                    9
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_SETTINGS                10
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_STAMP                   11
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_EXPIRES                 12
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_SCORE                   13
#define NGX_HTTP_BEDRUD_ROOM_CREATE_A_CREATED_UNIX            14
#define NGX_HTTP_BEDRUD_ROOM_CREATE_N                         15


/* bedrud_room_join (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_JOIN  "bedrud_room_join"
#define NGX_HTTP_BEDRUD_ROOM_JOIN_K_ROOM_NAME                 0
#define NGX_HTTP_BEDRUD_ROOM_JOIN_NKEYS                       1
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_IDENTITY                  1
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_NOW                       2
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_SEAT_EXP                  3
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_KIND                      4
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_GUEST_NAME                5
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_GUEST_NAME_ERROR          6
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_STAMP                     7
#define NGX_HTTP_BEDRUD_ROOM_JOIN_A_CAN_SIGN                  8
#define NGX_HTTP_BEDRUD_ROOM_JOIN_N                           9


/* bedrud_room_list (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_LIST  "bedrud_room_list"
#define NGX_HTTP_BEDRUD_ROOM_LIST_K_USER_ROOMS                0
#define NGX_HTTP_BEDRUD_ROOM_LIST_NKEYS                       1
#define NGX_HTTP_BEDRUD_ROOM_LIST_N                           1


/* bedrud_room_settings (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS  "bedrud_room_settings"
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_K_ROOM                  0
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_NKEYS                   1
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_CALLER                1
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_SUPERADMIN            2
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_PUBLIC                3
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_MAX                   4
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_SETTINGS              5
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_A_STAMP                 6
#define NGX_HTTP_BEDRUD_ROOM_SETTINGS_N                       7


/* bedrud_room_delete (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_DELETE  "bedrud_room_delete"
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_ROOM                    0
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_ROOMS                   1
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_SEATS                   2
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_BANS                    3
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_GUESTBANS               4
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_GUESTS                  5
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_GUESTEXP                6
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_MODS                    7
#define NGX_HTTP_BEDRUD_ROOM_DELETE_K_PRESENCE                8
#define NGX_HTTP_BEDRUD_ROOM_DELETE_NKEYS                     9
#define NGX_HTTP_BEDRUD_ROOM_DELETE_A_CALLER                  9
#define NGX_HTTP_BEDRUD_ROOM_DELETE_A_SUPERADMIN              10
#define NGX_HTTP_BEDRUD_ROOM_DELETE_N                         11


/* bedrud_room_ban (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_BAN  "bedrud_room_ban"
#define NGX_HTTP_BEDRUD_ROOM_BAN_K_ROOM                       0
#define NGX_HTTP_BEDRUD_ROOM_BAN_K_BANS                       1
#define NGX_HTTP_BEDRUD_ROOM_BAN_K_GUESTBANS                  2
#define NGX_HTTP_BEDRUD_ROOM_BAN_K_GUESTS                     3
#define NGX_HTTP_BEDRUD_ROOM_BAN_NKEYS                        4
#define NGX_HTTP_BEDRUD_ROOM_BAN_A_CALLER                     4
#define NGX_HTTP_BEDRUD_ROOM_BAN_A_SUPERADMIN                 5
#define NGX_HTTP_BEDRUD_ROOM_BAN_A_IDENTITY                   6
#define NGX_HTTP_BEDRUD_ROOM_BAN_A_ACTION                     7
#define NGX_HTTP_BEDRUD_ROOM_BAN_N                            8


/* bedrud_room_access (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_ACCESS  "bedrud_room_access"
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_K_ROOM                    0
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_K_MODS                    1
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_NKEYS                     2
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_A_CALLER                  2
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_A_SUPERADMIN              3
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_A_LEVEL                   4
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_A_IDENTITY                5
#define NGX_HTTP_BEDRUD_ROOM_ACCESS_N                         6


/* bedrud_room_moderator (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR  "bedrud_room_moderator"
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_K_ROOM                 0
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_K_MODS                 1
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_NKEYS                  2
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_CALLER               2
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_SUPERADMIN           3
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_IDENTITY             4
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_A_ACTION               5
#define NGX_HTTP_BEDRUD_ROOM_MODERATOR_N                      6


/* bedrud_room_bans (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_ROOM_BANS  "bedrud_room_bans"
#define NGX_HTTP_BEDRUD_ROOM_BANS_K_ROOM                      0
#define NGX_HTTP_BEDRUD_ROOM_BANS_K_BANS                      1
#define NGX_HTTP_BEDRUD_ROOM_BANS_K_GUESTS                    2
#define NGX_HTTP_BEDRUD_ROOM_BANS_NKEYS                       3
#define NGX_HTTP_BEDRUD_ROOM_BANS_A_CALLER                    3
#define NGX_HTTP_BEDRUD_ROOM_BANS_A_SUPERADMIN                4
#define NGX_HTTP_BEDRUD_ROOM_BANS_N                           5


/* bedrud_livekit_event (redis/rooms.lua) */
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT  "bedrud_livekit_event"
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_K_ROOM_NAME             0
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_K_EVENT                 1
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_K_LIVE                  2
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_NKEYS                   3
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_EVENT                 3
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_IDENTITY              4
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_AT                    5
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_ENCRYPTED             6
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_TRACK_TYPE            7
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_PRESENCE_EXP          8
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_A_REASON                9
#define NGX_HTTP_BEDRUD_LIVEKIT_EVENT_N                       10


/* bedrud_admin_users (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_USERS  "bedrud_admin_users"
#define NGX_HTTP_BEDRUD_ADMIN_USERS_K_USERS                   0
#define NGX_HTTP_BEDRUD_ADMIN_USERS_NKEYS                     1
#define NGX_HTTP_BEDRUD_ADMIN_USERS_A_FIRST                   1
#define NGX_HTTP_BEDRUD_ADMIN_USERS_A_LAST                    2
#define NGX_HTTP_BEDRUD_ADMIN_USERS_N                         3


/* bedrud_admin_user (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_USER  "bedrud_admin_user"
#define NGX_HTTP_BEDRUD_ADMIN_USER_K_USER                     0
#define NGX_HTTP_BEDRUD_ADMIN_USER_K_USER_ROOMS               1
#define NGX_HTTP_BEDRUD_ADMIN_USER_NKEYS                      2
#define NGX_HTTP_BEDRUD_ADMIN_USER_A_MAX                      2
#define NGX_HTTP_BEDRUD_ADMIN_USER_N                          3


/* bedrud_admin_rooms (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_ROOMS  "bedrud_admin_rooms"
#define NGX_HTTP_BEDRUD_ADMIN_ROOMS_K_ROOMS                   0
#define NGX_HTTP_BEDRUD_ADMIN_ROOMS_NKEYS                     1
#define NGX_HTTP_BEDRUD_ADMIN_ROOMS_A_FIRST                   1
#define NGX_HTTP_BEDRUD_ADMIN_ROOMS_A_LAST                    2
#define NGX_HTTP_BEDRUD_ADMIN_ROOMS_N                         3


/* bedrud_admin_room_update (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE  "bedrud_admin_room_update"
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_K_ROOM              0
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_NKEYS               1
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_MAX               1
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_ALLOW_CHAT        2
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_ALLOW_VIDEO       3
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_ALLOW_AUDIO       4
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_REQUIRE_APPROVAL  5
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_E2EE              6
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_A_STAMP             7
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_UPDATE_N                   8


/* bedrud_admin_room_close (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE  "bedrud_admin_room_close"
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE_K_ROOM               0
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE_NKEYS                1
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE_A_STAMP              1
#define NGX_HTTP_BEDRUD_ADMIN_ROOM_CLOSE_N                    2


/* bedrud_admin_user_status (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS  "bedrud_admin_user_status"
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_USER              0
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_SESSIONS          1
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_REVLOG            2
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_SUPERADMINS       3
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_K_USERS             4
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_NKEYS               5
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_ACTIVE            5
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_STAMP             6
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_REVOKE_EXP        7
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_A_UID               8
#define NGX_HTTP_BEDRUD_ADMIN_USER_STATUS_N                   9


/* bedrud_admin_user_accesses (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES  "bedrud_admin_user_accesses"
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_USER            0
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_REVLOG          1
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_SUPERADMINS     2
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_K_USERS           3
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_NKEYS             4
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_ACCESSES        4
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_STAMP           5
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_UID             6
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_A_REVOKE_EXP      7
#define NGX_HTTP_BEDRUD_ADMIN_USER_ACCESSES_N                 8


/*
 * bedrud_admin_settings_set (redis/admin.lua): the key, then any number of
 * field and value pairs
 */
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET  "bedrud_admin_settings_set"
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET_K_SETTINGS         0
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET_NKEYS              1
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS_SET_N                  1


/* bedrud_admin_settings (redis/admin.lua): the key only, a read */
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS  "bedrud_admin_settings"
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS_K_SETTINGS             0
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS_NKEYS                  1
#define NGX_HTTP_BEDRUD_ADMIN_SETTINGS_N                      1

/* bedrud_admin_online (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_ONLINE  "bedrud_admin_online"
#define NGX_HTTP_BEDRUD_ADMIN_ONLINE_K_LIVE                   0
#define NGX_HTTP_BEDRUD_ADMIN_ONLINE_NKEYS                    1
#define NGX_HTTP_BEDRUD_ADMIN_ONLINE_N                        1


/* bedrud_admin_invites (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_INVITES  "bedrud_admin_invites"
#define NGX_HTTP_BEDRUD_ADMIN_INVITES_K_INVITES               0
#define NGX_HTTP_BEDRUD_ADMIN_INVITES_NKEYS                   1
#define NGX_HTTP_BEDRUD_ADMIN_INVITES_A_MAX                   1
#define NGX_HTTP_BEDRUD_ADMIN_INVITES_N                       2


/* bedrud_admin_invite_create (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE  "bedrud_admin_invite_create"
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_K_INVITE          0
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_K_INVITE_ID       1
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_K_INVITES         2
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_NKEYS             3
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_ID              3
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_TOKEN           4
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_EMAIL           5
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_CREATED_BY      6
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_STAMP           7
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_EXPIRES         8
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_EXPIRES_UNIX    9
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_A_NOW             10
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_CREATE_N                 11


/* bedrud_admin_invite_delete (redis/admin.lua) */
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE  "bedrud_admin_invite_delete"
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE_K_INVITE_ID       0
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE_K_INVITES         1
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE_NKEYS             2
#define NGX_HTTP_BEDRUD_ADMIN_INVITE_DELETE_N                 2


/* JOIN_FIELDS (redis/rooms.lua): the values after bedrud_room_join's "OK" */
#define NGX_HTTP_BEDRUD_JOIN_F_ID                             0
#define NGX_HTTP_BEDRUD_JOIN_F_NAME                           1
#define NGX_HTTP_BEDRUD_JOIN_F_CREATED_BY                     2
#define NGX_HTTP_BEDRUD_JOIN_F_ADMIN_ID                       3
#define NGX_HTTP_BEDRUD_JOIN_F_IS_ACTIVE                      4
#define NGX_HTTP_BEDRUD_JOIN_F_IS_PUBLIC                      5
#define NGX_HTTP_BEDRUD_JOIN_F_MAX_PARTICIPANTS               6
#define NGX_HTTP_BEDRUD_JOIN_F_MODE                           7
#define NGX_HTTP_BEDRUD_JOIN_F_SETTINGS                       8
#define NGX_HTTP_BEDRUD_JOIN_F_CREATED_AT                     9
#define NGX_HTTP_BEDRUD_JOIN_F_UPDATED_AT                     10
#define NGX_HTTP_BEDRUD_JOIN_F_EXPIRES_AT                     11
#define NGX_HTTP_BEDRUD_JOIN_F_MODERATOR                      12
#define NGX_HTTP_BEDRUD_JOIN_NFIELDS                          13


/*
 * ACCESS_FIELDS (redis/rooms.lua): the values after bedrud_room_access's
 * "OK"
 */
#define NGX_HTTP_BEDRUD_ACCESS_F_NAME                         0
#define NGX_HTTP_BEDRUD_ACCESS_F_E2EE                         1
#define NGX_HTTP_BEDRUD_ACCESS_F_ALLOW_CHAT                   2
#define NGX_HTTP_BEDRUD_ACCESS_F_MODERATOR                    3
#define NGX_HTTP_BEDRUD_ACCESS_NFIELDS                        4


/* BAN_FIELDS (redis/rooms.lua): a ban in bedrud_room_bans's list */
#define NGX_HTTP_BEDRUD_BAN_F_IDENTITY                        0
#define NGX_HTTP_BEDRUD_BAN_F_NAME                            1
#define NGX_HTTP_BEDRUD_BAN_NFIELDS                           2


/* ROTATION_FIELDS (redis/bedrud.lua): bedrud_refresh's pair after "OK" */
#define NGX_HTTP_BEDRUD_ROTATION_F_JTI                        0
#define NGX_HTTP_BEDRUD_ROTATION_F_AJTI                       1
#define NGX_HTTP_BEDRUD_ROTATION_F_ROTATED                    2
#define NGX_HTTP_BEDRUD_ROTATION_NFIELDS                      3


/* USER_FIELDS (redis/admin.lua): an admin user item */
#define NGX_HTTP_BEDRUD_USER_F_ID                             0
#define NGX_HTTP_BEDRUD_USER_F_EMAIL                          1
#define NGX_HTTP_BEDRUD_USER_F_NAME                           2
#define NGX_HTTP_BEDRUD_USER_F_PROVIDER                       3
#define NGX_HTTP_BEDRUD_USER_F_IS_ACTIVE                      4
#define NGX_HTTP_BEDRUD_USER_F_ACCESSES                       5
#define NGX_HTTP_BEDRUD_USER_F_CREATED_AT                     6
#define NGX_HTTP_BEDRUD_USER_NFIELDS                          7


/* INVITE_FIELDS (redis/admin.lua): an invite token */
#define NGX_HTTP_BEDRUD_INVITE_F_ID                           0
#define NGX_HTTP_BEDRUD_INVITE_F_TOKEN                        1
#define NGX_HTTP_BEDRUD_INVITE_F_EMAIL                        2
#define NGX_HTTP_BEDRUD_INVITE_F_CREATED_BY                   3
#define NGX_HTTP_BEDRUD_INVITE_F_EXPIRES_AT                   4
#define NGX_HTTP_BEDRUD_INVITE_F_USED_AT                      5
#define NGX_HTTP_BEDRUD_INVITE_F_USED_BY                      6
#define NGX_HTTP_BEDRUD_INVITE_F_CREATED_AT                   7
#define NGX_HTTP_BEDRUD_INVITE_NFIELDS                        8



#endif /* _NGX_HTTP_BEDRUD_FUNCTIONS_H_INCLUDED_ */
