#!lua name=bedrud_rooms

--[[
  ngx_bedrud room functions (Redis >= 7.0).

  Every change that touches more than one key is one function here, so it
  is atomic: two creates of one name, or the last seat of a room wanted by
  many joins, are decided by Redis running one function at a time.
  The key schema is in redis/SCHEMA.md ("Rooms").

  Conventions as in bedrud.lua: a flat array whose first element is a
  status word; room records are returned as HGETALL's field/value list
  right after the status word.  KEYS and ARGV are declared by name above
  each function, as in bedrud.lua.  Keys of a room are derived from its
  id, which only ever comes from nginx's UUID check or from the name
  index; a function that finds the room through the name index (or a
  listing) builds its keys with room_key() and room_part().
]]

-- the positions in a list by name (built at load time, where ipairs()
-- and the like do not exist yet)
local function positions(list)
    local t = {}
    for i = 1, #list do
        t[list[i]] = i
    end
    return t
end

-- the positions of a function's keys and arguments by name; "name" is for
-- the reader and t/unit/functions.t
local function declare(name, keys, args)
    return positions(keys), positions(args)
end

-- keys reached through data read inside a function
local function room_key(id)
    return 'bedrud:room:{' .. id .. '}'
end

local function room_part(rkey, part)
    return rkey .. ':' .. part
end

local function room_name_key(name)
    return 'bedrud:roomname:' .. name
end

local function user_key(uid)
    return 'bedrud:user:{' .. uid .. '}'
end

local function user_rooms_key(uid)
    return 'bedrud:user:{' .. uid .. '}:rooms'
end

local function with_room(status, rkey)
    local r = {status}
    for _, v in ipairs(redis.call('HGETALL', rkey)) do
        table.insert(r, v)
    end
    return r
end

-- a zset of expiries, or a key kept as long as one, ends with its last
-- member (plus grace): rooms nobody joins leave nothing behind
local function expire_with_last(key, grace, zset)
    local last = redis.call('ZRANGE', zset or key, -1, -1, 'WITHSCORES')
    if last[2] then
        redis.call('EXPIREAT', key, math.floor(tonumber(last[2])) + grace)
    end
end

-- is the identity banned from the room, or (a guest) the name it goes by?
local function banned(rkey, identity, guest_name)
    if redis.call('HEXISTS', room_part(rkey, 'bans'), identity) == 1 then
        return true
    end
    return guest_name ~= nil
           and redis.call('HEXISTS', room_part(rkey, 'guestbans'),
                          string.lower(guest_name)) == 1
end

-- the owner of a room: adminId, or the creator if that is empty (Bedrud)
local function owner_of(rkey)
    local f = redis.call('HMGET', rkey, 'id', 'createdBy', 'adminId')
    if not f[1] then
        return nil, nil
    end
    local owner = f[3]
    if not owner or owner == '' then
        owner = f[2]
    end
    return owner, f[2]
end

-- a switch of a room's settings JSON text: '1' or '0'
local function room_flag(text, name, default)
    local ok, s = pcall(cjson.decode, text or '')
    local v = ok and type(s) == 'table' and s[name]
    if type(v) ~= 'boolean' then
        v = default
    end
    return v and '1' or '0'
end

-- nil when the caller may act as the room's owner (it is, or a
-- superadmin), else the status word of the refusal
local function not_owner(rkey, caller, superadmin)
    local owner = owner_of(rkey)
    if not owner then
        return 'NOTFOUND'
    end
    if caller ~= owner and superadmin ~= '1' then
        return 'FORBIDDEN'
    end
    return nil
end

--[[
  bedrud_room_create: the room a name index entry points to is read to
  tell a live name from a stale one.
  public: 1/0; settings: JSON; stamp: createdAt and updatedAt; score:
  creation, unix ms; created_unix: unix s
]]
local K, A = declare('bedrud_room_create',
    {'room_name', 'room', 'user_rooms', 'rooms'},
    {'id', 'name', 'created_by', 'max', 'public', 'mode', 'settings',
     'stamp', 'expires', 'score', 'created_unix'})
local function create(keys, args)
    local cur = redis.call('GET', keys[K.room_name])
    if cur and redis.call('EXISTS', room_key(cur)) == 1 then
        return {'EXISTS'}
    end
    if redis.call('EXISTS', keys[K.room]) == 1 then
        -- a UUID collision: never overwrite a room
        return {'IDTAKEN'}
    end
    local id, score = args[A.id], tonumber(args[A.score])
    redis.call('HSET', keys[K.room],
        'id', id, 'name', args[A.name], 'createdBy', args[A.created_by],
        'adminId', args[A.created_by], 'isActive', '1',
        'maxParticipants', args[A.max], 'isPublic', args[A.public],
        'mode', args[A.mode], 'settings', args[A.settings],
        'createdAt', args[A.stamp], 'updatedAt', args[A.stamp],
        'expiresAt', args[A.expires], 'createdAtUnix', args[A.created_unix])
    redis.call('SET', keys[K.room_name], id)
    redis.call('ZADD', keys[K.user_rooms], score, id)
    redis.call('ZADD', keys[K.rooms], score, id)
    return with_room('OK', keys[K.room])
end

-- the fields a join answers with, in this order: nginx reads them by
-- position (NGX_HTTP_BEDRUD_JOIN_F_* in ngx_http_bedrud_functions.h)
-- ("moderator", last, is not the room's: whether the identity is one of
-- its moderators, for the badge in the LiveKit token's metadata)
local JOIN_FIELDS = {'id', 'name', 'createdBy', 'adminId', 'isActive',
    'isPublic', 'maxParticipants', 'mode', 'settings', 'createdAt',
    'updatedAt', 'expiresAt', 'moderator'}
local J = positions(JOIN_FIELDS)

--[[
  bedrud_room_join: admit one participant, in Bedrud's order of checks.
  The room and its keys are found through the name index.
  now: unix s; seat_exp: the token's expiry; kind: "user" | "guest";
  guest_name_error: "" if none; stamp: RFC 3339 now; can_sign: "1" when
  nginx can sign the token.
  Reply: {'OK', JOIN_FIELDS values...} or {status}

  A seat is the identity in the room's "seats" zset, scored by the expiry
  of the token it was given.  A user who joins again refreshes the seat
  and is never counted twice.  Users re-activate an inactive room
  (Bedrud); guests get INACTIVE.  Nothing is written unless the
  participant is admitted, apart from that re-activation and the pruning
  of expired seats.

  This is the hottest function: every redis.call costs about a
  microsecond, so a seat that is only refreshed takes no more calls than
  it needs (no count in unlimited rooms, no pruning, one EXPIREAT).
]]
local K, A = declare('bedrud_room_join',
    {'room_name'},
    {'identity', 'now', 'seat_exp', 'kind', 'guest_name', 'guest_name_error',
     'stamp', 'can_sign'})
local function join(keys, args)
    local identity, now = args[A.identity], tonumber(args[A.now])
    local guest = (args[A.kind] == 'guest')
    local seat_exp, stamp = args[A.seat_exp], args[A.stamp]

    local id = redis.call('GET', keys[K.room_name])
    if not id then
        return {'NOTFOUND'}
    end
    local rkey = room_key(id)

    local f = redis.call('HMGET', rkey, unpack(JOIN_FIELDS))
    if not f[J.isActive] then
        return {'NOTFOUND'}
    end

    if guest then
        -- the name is judged after the lookup: "\u0000" probes existence
        if args[A.guest_name_error] ~= '' then
            return {'BADNAME'}
        end
        if f[J.isPublic] ~= '1' then
            return {'PRIVATE'}
        end
        if f[J.isActive] ~= '1' then
            return {'INACTIVE'}
        end
    elseif f[J.isActive] ~= '1' then
        redis.call('HSET', rkey, 'isActive', '1', 'updatedAt', stamp)
        f[J.isActive] = '1'
        f[J.updatedAt] = stamp
    end

    -- times stay strings on the hot path: Lua numbers going back to
    -- Redis are formatted with printf("%.17g"), a tenth of the join's cost
    local seats = room_part(rkey, 'seats')
    local max = tonumber(f[J.maxParticipants]) or 0
    local pruned = false

    -- a seat counts while its token is valid; an expired one is no seat
    local seated = false
    if guest or max > 0 then
        local score = redis.call('ZSCORE', seats, identity)
        seated = score ~= false and tonumber(score) > now
    end

    if guest and seated then
        -- a random identity already in use: nginx draws another one
        return {'TAKEN'}
    end

    if max > 0 and not seated then
        redis.call('ZREMRANGEBYSCORE', seats, '-inf', args[A.now])
        pruned = true
        if redis.call('ZCARD', seats) >= max then
            return {'FULL'}
        end
    end

    if banned(rkey, identity, guest and args[A.guest_name] or nil) then
        return {'BANNED'}
    end

    if args[A.can_sign] ~= '1' then
        return {'NOTOKEN'}
    end

    -- the set ends with its last seat.  A new seat may have made the set
    -- (no TTL yet: NX) and is when expired seats of unlimited rooms go,
    -- so that the set stays small; a refreshed one only extends (GT)
    local added = redis.call('ZADD', seats, seat_exp, identity)
    if added == 1 and not pruned then
        redis.call('ZREMRANGEBYSCORE', seats, '-inf', args[A.now])
    end
    if added == 0 or redis.call('EXPIREAT', seats, seat_exp, 'NX') == 0 then
        redis.call('EXPIREAT', seats, seat_exp, 'GT')
    end

    if guest then
        -- identity -> name, so that a ban of the identity bans the name;
        -- kept a day past the seat: LiveKit refreshes tokens of connected
        -- participants, so a guest may stay longer than the seat
        local gexp = room_part(rkey, 'guestexp')
        local gmap = room_part(rkey, 'guests')
        local old = redis.call('ZRANGE', gexp, '-inf', now - 86400,
                               'BYSCORE', 'LIMIT', 0, 100)
        if #old > 0 then
            redis.call('HDEL', gmap, unpack(old))
            redis.call('ZREM', gexp, unpack(old))
        end
        redis.call('HSET', gmap, identity, args[A.guest_name])
        redis.call('ZADD', gexp, seat_exp, identity)
        expire_with_last(gexp, 86400)
        expire_with_last(gmap, 86400, gexp)
    end

    -- a promoted moderator keeps the badge when joining again
    f[J.moderator] = '0'
    if not guest
       and redis.call('SISMEMBER', room_part(rkey, 'mods'), identity) == 1 then
        f[J.moderator] = '1'
    end

    table.insert(f, 1, 'OK')
    return f
end

--[[
  bedrud_room_list: the rooms a user created, newest first, each as a
  nested list: how many participants are connected now (the presence
  LiveKit's webhooks keep), then HGETALL's list; the rooms' keys come from
  the user's room set.
]]
local K, A = declare('bedrud_room_list', {'user_rooms'}, {})
local function list(keys, args)
    local r = {'OK'}
    for _, id in ipairs(redis.call('ZREVRANGE', keys[K.user_rooms], 0, -1)) do
        local rkey = room_key(id)
        local h = redis.call('HGETALL', rkey)
        if #h > 0 then
            local n = 0
            for _, v in ipairs(redis.call('HVALS', room_part(rkey,
                                                            'presence'))) do
                if string.sub(v, -3) == ' in' then
                    n = n + 1
                end
            end
            table.insert(h, 1, tostring(n))
            table.insert(r, h)
        end
    end
    return r
end

--[[
  bedrud_room_settings: owner or superadmin only.
  caller: the user's id; superadmin: 1/0; public (1/0), max and settings
  (JSON): "" leaves the value as it is.
]]
local K, A = declare('bedrud_room_settings',
    {'room'},
    {'caller', 'superadmin', 'public', 'max', 'settings', 'stamp'})
local function settings(keys, args)
    local rkey = keys[K.room]
    local no = not_owner(rkey, args[A.caller], args[A.superadmin])
    if no then
        return {no}
    end
    if args[A.public] ~= '' then
        redis.call('HSET', rkey, 'isPublic', args[A.public])
    end
    if args[A.max] ~= '' then
        redis.call('HSET', rkey, 'maxParticipants', args[A.max])
    end
    if args[A.settings] ~= '' then
        redis.call('HSET', rkey, 'settings', args[A.settings])
    end
    redis.call('HSET', rkey, 'updatedAt', args[A.stamp])
    return with_room('OK', rkey)
end

--[[
  bedrud_room_delete: the creator (not adminId, as Bedrud) or a
  superadmin.  Frees the name; bans, seats and moderators go with it:
  every key of the room comes in KEYS; the name index entry and the
  creator's room set are found through the record.
  caller: the user's id; superadmin: 1/0
  Reply: {'OK', room name} (for LiveKit's DeleteRoom), {'NOTFOUND'} or
  {'FORBIDDEN'}
]]
local K, A = declare('bedrud_room_delete',
    {'room', 'rooms', 'seats', 'bans', 'guestbans', 'guests', 'guestexp',
     'mods', 'presence'},
    {'caller', 'superadmin'})
local function delete(keys, args)
    local owner, creator = owner_of(keys[K.room])
    if not owner then
        return {'NOTFOUND'}
    end
    if args[A.caller] ~= creator and args[A.superadmin] ~= '1' then
        return {'FORBIDDEN'}
    end
    local f = redis.call('HMGET', keys[K.room], 'id', 'name')
    local id, name = f[1], f[2]
    if name then
        local nkey = room_name_key(name)
        if redis.call('GET', nkey) == id then
            redis.call('DEL', nkey)
        end
    end
    redis.call('DEL', keys[K.room], keys[K.seats], keys[K.bans],
               keys[K.guestbans], keys[K.guests], keys[K.guestexp],
               keys[K.mods], keys[K.presence])
    redis.call('ZREM', user_rooms_key(creator), id)
    redis.call('ZREM', keys[K.rooms], id)
    return {'OK', name or ''}
end

--[[
  bedrud_room_ban: ban or unban an identity; owner or superadmin only.
  caller: the user's id; superadmin: 1/0; action: "ban" | "unban"

  "bans" maps a banned identity to the (folded) guest name behind it, ""
  for users; "guestbans" counts banned identities per guest name, so a
  banned guest cannot come back as a new guest of the same name, and
  lifting one of two bans on a name keeps the other.  A ban does not
  free the seat: the participant may still be connected.
  Reply: {'OK'} ({'OK', room name, e2ee (1/0)} for a ban: LiveKit's
  RemoveParticipant, and an E2EE room's "rekey"), {'NOTFOUND'} or
  {'FORBIDDEN'}
]]
local K, A = declare('bedrud_room_ban',
    {'room', 'bans', 'guestbans', 'guests'},
    {'caller', 'superadmin', 'identity', 'action'})
local function ban(keys, args)
    local no = not_owner(keys[K.room], args[A.caller], args[A.superadmin])
    if no then
        return {no}
    end
    local identity = args[A.identity]
    local bans = keys[K.bans]
    local gbans = keys[K.guestbans]

    if args[A.action] == 'ban' then
        -- the room's name, for LiveKit's RemoveParticipant
        local f = redis.call('HMGET', keys[K.room], 'name', 'settings')
        local room, e2ee = f[1] or '', room_flag(f[2], 'e2ee', false)
        if redis.call('HEXISTS', bans, identity) == 1 then
            return {'OK', room, e2ee}
        end
        local name = ''
        if string.sub(identity, 1, 6) == 'guest-' then
            name = redis.call('HGET', keys[K.guests], identity) or ''
            name = string.lower(name)
        end
        redis.call('HSET', bans, identity, name)
        if name ~= '' then
            redis.call('HINCRBY', gbans, name, 1)
        end
        return {'OK', room, e2ee}
    end

    local name = redis.call('HGET', bans, identity)
    if name then
        redis.call('HDEL', bans, identity)
        if name ~= '' and redis.call('HINCRBY', gbans, name, -1) <= 0 then
            redis.call('HDEL', gbans, name)
        end
    end
    return {'OK'}
end

-- what a moderation route answers with after 'OK', in this order: nginx
-- reads them by position (NGX_HTTP_BEDRUD_ACCESS_F_*)
local ACCESS_FIELDS = {'name', 'e2ee', 'allowChat', 'moderator'}

--[[
  bedrud_room_access: may the caller moderate the room at this level?
  caller: the user's id; superadmin: 1/0; level: "owner" (adminId, else
  the creator, as Bedrud), "moderator" (the owner or a room moderator) or
  "self" (the identity itself, else as "moderator"); identity: the
  participant acted on.
  Reply: {'OK', ACCESS_FIELDS values...}: the room's name (LiveKit's),
  its e2ee and allowChat switches (1/0), and whether the identity is a
  room moderator (1/0); or {'NOTFOUND'}, {'FORBIDDEN'} (owner level) or
  {'NOTMODERATOR'}
]]
local K, A = declare('bedrud_room_access',
    {'room', 'mods'},
    {'caller', 'superadmin', 'level', 'identity'})
local function access(keys, args)
    local owner = owner_of(keys[K.room])
    if not owner then
        return {'NOTFOUND'}
    end
    local caller, level = args[A.caller], args[A.level]
    local allowed = caller == owner or args[A.superadmin] == '1'
    if not allowed and level == 'self' and caller == args[A.identity] then
        allowed = true
    end
    if not allowed and level ~= 'owner' then
        allowed = redis.call('SISMEMBER', keys[K.mods], caller) == 1
    end
    if not allowed then
        return {level == 'owner' and 'FORBIDDEN' or 'NOTMODERATOR'}
    end
    local f = redis.call('HMGET', keys[K.room], 'name', 'settings')
    local mod = redis.call('SISMEMBER', keys[K.mods], args[A.identity])
    return {'OK', f[1] or '', room_flag(f[2], 'e2ee', false),
            room_flag(f[2], 'allowChat', true), tostring(mod)}
end

--[[
  bedrud_room_moderator: make an identity a room moderator, or no longer
  one; the owner or a superadmin only (checked again: the caller's right
  may have changed since bedrud_room_access).
  caller: the user's id; superadmin: 1/0; action: "add" | "remove"
  Reply: {'OK', changed (1/0)}, {'NOTFOUND'} or {'FORBIDDEN'}
]]
local K, A = declare('bedrud_room_moderator',
    {'room', 'mods'},
    {'caller', 'superadmin', 'identity', 'action'})
local function moderator(keys, args)
    local no = not_owner(keys[K.room], args[A.caller], args[A.superadmin])
    if no then
        return {no}
    end
    local n
    if args[A.action] == 'add' then
        n = redis.call('SADD', keys[K.mods], args[A.identity])
    else
        n = redis.call('SREM', keys[K.mods], args[A.identity])
    end
    return {'OK', tostring(n)}
end

-- a ban in a ban list, in this order: nginx reads the fields by position
-- (NGX_HTTP_BEDRUD_BAN_F_* in ngx_http_bedrud_functions.h)
local BAN_FIELDS = {'identity', 'name'}
local B = positions(BAN_FIELDS)

--[[
  bedrud_room_bans: the room's ban list; owner or superadmin only.
  caller: the user's id; superadmin: 1/0
  Reply: {'OK', one BAN_FIELDS array per ban...} sorted by identity, the
  name being the guest's as shown (or, once that is forgotten, as it was
  banned: lowercased), the user's current name, or "" when none is
  known; {'NOTFOUND'} or {'FORBIDDEN'}
]]
local K, A = declare('bedrud_room_bans',
    {'room', 'bans', 'guests'},
    {'caller', 'superadmin'})
local function bans(keys, args)
    local no = not_owner(keys[K.room], args[A.caller], args[A.superadmin])
    if no then
        return {no}
    end
    local all = redis.call('HGETALL', keys[K.bans])
    local folded, ids = {}, {}
    for i = 1, #all, 2 do
        folded[all[i]] = all[i + 1]
        table.insert(ids, all[i])
    end
    table.sort(ids)
    local r = {'OK'}
    for _, id in ipairs(ids) do
        local name
        if string.sub(id, 1, 6) == 'guest-' then
            name = redis.call('HGET', keys[K.guests], id) or folded[id]
        elseif string.match(id, '^%x+%-%x+%-%x+%-%x+%-%x+$') then
            -- identities of users are their ids (checked UUIDs)
            name = redis.call('HGET', user_key(id), 'name')
        end
        local ban = {}
        ban[B.identity] = id
        ban[B.name] = name or ''
        table.insert(r, ban)
    end
    return r
end

--[[
  bedrud_livekit_event: what a LiveKit webhook means for one of our rooms,
  found with its keys through the name index.
  event: the key of the event's id; at: createdAt, unix s; encrypted: the
  track's, 1/0; presence_exp: unix s; reason: disconnectReason
  Reply: {'OK'}, {'DUP'} (seen before), {'NOROOM'} (not ours), or
         {'REMOVE', 'unencrypted' | 'banned'}: nginx removes the
         participant through LiveKit's RoomService

  * track_published: LiveKit refuses nothing unencrypted, so an audio or
    video track published without encryption into an E2EE room means its
    publisher goes.
  * participant_joined: a participant banned after it got its token (a
    token cannot be revoked) goes again; anyone else holds its seat while
    connected, past its token's expiry.
  * participant_left, participant_connection_aborted: the seat is free.
    A participant that left because the same identity joined again
    (DUPLICATE_IDENTITY) is still there.
  * room_finished: everyone left; presence goes.

  "live" lists the rooms that have had a participant connected, for the
  online count (bedrud_admin_online drops the rooms whose presence went).

  LiveKit retries a delivery that failed, so events of one participant
  may come out of order: "presence" keeps the time of the newest one, and
  an older one changes nothing.
]]
local K, A = declare('bedrud_livekit_event',
    {'room_name', 'event', 'live'},
    {'event', 'identity', 'at', 'encrypted', 'track_type', 'presence_exp',
     'reason'})
local function livekit_event(keys, args)
    local ev, identity = args[A.event], args[A.identity]
    local at = tonumber(args[A.at]) or 0
    local exp = args[A.presence_exp]

    if not redis.call('SET', keys[K.event], '1', 'NX', 'EX', 3600) then
        return {'DUP'}
    end

    local id = redis.call('GET', keys[K.room_name])
    if not id then
        return {'NOROOM'}
    end
    local rkey = room_key(id)
    if redis.call('EXISTS', rkey) == 0 then
        return {'NOROOM'}
    end

    if ev == 'track_published' then
        if args[A.encrypted] == '1' or args[A.track_type] == 'DATA' then
            return {'OK'}
        end
        if room_flag(redis.call('HGET', rkey, 'settings'), 'e2ee',
                     false) == '1' then
            return {'REMOVE', 'unencrypted'}
        end
        return {'OK'}
    end

    local presence = room_part(rkey, 'presence')

    if ev == 'room_finished' then
        redis.call('DEL', presence)
        return {'OK'}
    end

    if identity == '' then
        return {'OK'}
    end

    local last = redis.call('HGET', presence, identity)
    if last and (tonumber(string.match(last, '^(%d+)')) or 0) > at then
        return {'OK'}
    end

    local seats = room_part(rkey, 'seats')

    if ev == 'participant_joined' then
        local name
        if string.sub(identity, 1, 6) == 'guest-' then
            name = redis.call('HGET', room_part(rkey, 'guests'), identity)
                   or nil
        end
        if banned(rkey, identity, name) then
            return {'REMOVE', 'banned'}
        end
        redis.call('HSET', presence, identity, args[A.at] .. ' in')
        redis.call('SADD', keys[K.live], id)
        redis.call('ZADD', seats, 'GT', exp, identity)
        if redis.call('EXPIREAT', seats, exp, 'NX') == 0 then
            redis.call('EXPIREAT', seats, exp, 'GT')
        end
        if redis.call('EXPIREAT', presence, exp, 'NX') == 0 then
            redis.call('EXPIREAT', presence, exp, 'GT')
        end
        return {'OK'}
    end

    if ev == 'participant_left' or ev == 'participant_connection_aborted' then
        if args[A.reason] == 'DUPLICATE_IDENTITY' then
            return {'OK'}
        end
        redis.call('HSET', presence, identity, args[A.at] .. ' out')
        redis.call('ZREM', seats, identity)
        return {'OK'}
    end

    return {'OK'}
end

redis.register_function('bedrud_room_create', create)
redis.register_function('bedrud_room_join', join)
redis.register_function{function_name = 'bedrud_room_list',
    callback = list, flags = {'no-writes'}}
redis.register_function('bedrud_room_settings', settings)
redis.register_function('bedrud_room_delete', delete)
redis.register_function('bedrud_room_ban', ban)
redis.register_function{function_name = 'bedrud_room_access',
    callback = access, flags = {'no-writes'}}
redis.register_function('bedrud_room_moderator', moderator)
redis.register_function{function_name = 'bedrud_room_bans',
    callback = bans, flags = {'no-writes'}}
redis.register_function('bedrud_livekit_event', livekit_event)
