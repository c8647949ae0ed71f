#!lua name=bedrud_rooms

--[[
  ngx_bedrud room functions (Redis >= 7.0).

  Every change that touches more than one key is one function here, so it
  is atomic: two creates of one name, or the last seat of a room wanted by
  many joins, are decided by Redis running one function at a time.
  The key schema is in redis/SCHEMA.md ("Rooms").

  Conventions as in bedrud.lua: a flat array whose first element is a
  status word; room records are returned as HGETALL's field/value list
  right after the status word.  Keys of a room are derived from its id,
  which only ever comes from nginx's UUID check or from the name index.
]]

local function room_key(id)
    return 'bedrud:room:{' .. id .. '}'
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
    if redis.call('HEXISTS', rkey .. ':bans', identity) == 1 then
        return true
    end
    return guest_name ~= nil and redis.call('HEXISTS', rkey .. ':guestbans',
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

--[[
  bedrud_room_create
  KEYS: name index, room, creator's room set, all rooms
  ARGV: id, name, createdBy, maxParticipants, isPublic (1/0), mode,
        settings (JSON), timestamp, expiresAt, score (creation, ms),
        creation (unix s)
]]
local function create(keys, args)
    local cur = redis.call('GET', keys[1])
    if cur and redis.call('EXISTS', room_key(cur)) == 1 then
        return {'EXISTS'}
    end
    if redis.call('EXISTS', keys[2]) == 1 then
        -- a UUID collision: never overwrite a room
        return {'IDTAKEN'}
    end
    redis.call('HSET', keys[2],
        'id', args[1], 'name', args[2], 'createdBy', args[3],
        'adminId', args[3], 'isActive', '1', 'maxParticipants', args[4],
        'isPublic', args[5], 'mode', args[6], 'settings', args[7],
        'createdAt', args[8], 'updatedAt', args[8], 'expiresAt', args[9],
        'createdAtUnix', args[11])
    redis.call('SET', keys[1], args[1])
    redis.call('ZADD', keys[3], tonumber(args[10]), args[1])
    redis.call('ZADD', keys[4], tonumber(args[10]), args[1])
    return with_room('OK', keys[2])
end

-- the fields a join answers with, in this order: nginx reads them by
-- position (ngx_http_bedrud_join_fields in ngx_http_bedrud_rooms.c)
local JOIN_FIELDS = {'id', 'name', 'createdBy', 'adminId', 'isActive',
    'isPublic', 'maxParticipants', 'mode', 'settings', 'createdAt',
    'updatedAt', 'expiresAt'}
local J_ACTIVE, J_PUBLIC, J_MAX, J_UPDATED = 5, 6, 7, 11

--[[
  bedrud_room_join: admit one participant, in Bedrud's order of checks.
  KEYS: name index
  ARGV: identity, now (unix s), seat expiry (= token expiry), kind
        ("user" | "guest"), guest name, guest name error ("" if none),
        timestamp, token can be signed ("1" | "0")
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
local function join(keys, args)
    local identity, now, kind = args[1], tonumber(args[2]), args[4]
    local guest = (kind == 'guest')

    local id = redis.call('GET', keys[1])
    if not id then
        return {'NOTFOUND'}
    end
    local rkey = room_key(id)

    local f = redis.call('HMGET', rkey, unpack(JOIN_FIELDS))
    if not f[J_ACTIVE] then
        return {'NOTFOUND'}
    end

    if guest then
        -- the name is judged after the lookup: "\u0000" probes existence
        if args[6] ~= '' then
            return {'BADNAME'}
        end
        if f[J_PUBLIC] ~= '1' then
            return {'PRIVATE'}
        end
        if f[J_ACTIVE] ~= '1' then
            return {'INACTIVE'}
        end
    elseif f[J_ACTIVE] ~= '1' then
        redis.call('HSET', rkey, 'isActive', '1', 'updatedAt', args[7])
        f[J_ACTIVE] = '1'
        f[J_UPDATED] = args[7]
    end

    -- times stay strings on the hot path: Lua numbers going back to
    -- Redis are formatted with printf("%.17g"), a tenth of the join's cost
    local seats = rkey .. ':seats'
    local max = tonumber(f[J_MAX]) or 0
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
        redis.call('ZREMRANGEBYSCORE', seats, '-inf', args[2])
        pruned = true
        if redis.call('ZCARD', seats) >= max then
            return {'FULL'}
        end
    end

    if banned(rkey, identity, guest and args[5] or nil) then
        return {'BANNED'}
    end

    if args[8] ~= '1' then
        return {'NOTOKEN'}
    end

    -- the set ends with its last seat.  A new seat may have made the set
    -- (no TTL yet: NX) and is when expired seats of unlimited rooms go,
    -- so that the set stays small; a refreshed one only extends (GT)
    local added = redis.call('ZADD', seats, args[3], identity)
    if added == 1 and not pruned then
        redis.call('ZREMRANGEBYSCORE', seats, '-inf', args[2])
    end
    if added == 0 or redis.call('EXPIREAT', seats, args[3], 'NX') == 0 then
        redis.call('EXPIREAT', seats, args[3], 'GT')
    end

    if guest then
        -- identity -> name, so that a ban of the identity bans the name;
        -- kept a day past the seat: LiveKit refreshes tokens of connected
        -- participants, so a guest may stay longer than the seat
        local gexp = rkey .. ':guestexp'
        local gmap = rkey .. ':guests'
        local old = redis.call('ZRANGE', gexp, '-inf', now - 86400,
                               'BYSCORE', 'LIMIT', 0, 100)
        if #old > 0 then
            redis.call('HDEL', gmap, unpack(old))
            redis.call('ZREM', gexp, unpack(old))
        end
        redis.call('HSET', gmap, identity, args[5])
        redis.call('ZADD', gexp, args[3], identity)
        expire_with_last(gexp, 86400)
        expire_with_last(gmap, 86400, gexp)
    end

    table.insert(f, 1, 'OK')
    return f
end

--[[
  bedrud_room_get: a room record.
  KEYS: room
]]
local function get(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
        return {'NOTFOUND'}
    end
    return with_room('OK', keys[1])
end

--[[
  bedrud_room_list: the rooms a user created, newest first, each as a
  nested HGETALL list.
  KEYS: the user's room set
]]
local function list(keys, args)
    local r = {'OK'}
    for _, id in ipairs(redis.call('ZREVRANGE', keys[1], 0, -1)) do
        local h = redis.call('HGETALL', room_key(id))
        if #h > 0 then
            table.insert(r, h)
        end
    end
    return r
end

--[[
  bedrud_room_settings: owner or superadmin only.
  KEYS: room
  ARGV: caller id, superadmin (1/0), isPublic ("" = unchanged, 1, 0),
        maxParticipants ("" = unchanged), settings JSON ("" = unchanged),
        timestamp
]]
local function settings(keys, args)
    local owner = owner_of(keys[1])
    if not owner then
        return {'NOTFOUND'}
    end
    if args[1] ~= owner and args[2] ~= '1' then
        return {'FORBIDDEN'}
    end
    if args[3] ~= '' then
        redis.call('HSET', keys[1], 'isPublic', args[3])
    end
    if args[4] ~= '' then
        redis.call('HSET', keys[1], 'maxParticipants', args[4])
    end
    if args[5] ~= '' then
        redis.call('HSET', keys[1], 'settings', args[5])
    end
    redis.call('HSET', keys[1], 'updatedAt', args[6])
    return with_room('OK', keys[1])
end

--[[
  bedrud_room_delete: the creator (not adminId, as Bedrud) or a
  superadmin.  Frees the name; bans, seats and moderators go with it.
  KEYS: room, all rooms
  ARGV: caller id, superadmin (1/0)
  Reply: {'OK', room name} (for LiveKit's DeleteRoom), {'NOTFOUND'} or
  {'FORBIDDEN'}
]]
local function delete(keys, args)
    local owner, creator = owner_of(keys[1])
    if not owner then
        return {'NOTFOUND'}
    end
    if args[1] ~= creator and args[2] ~= '1' then
        return {'FORBIDDEN'}
    end
    local f = redis.call('HMGET', keys[1], 'id', 'name')
    local id, name = f[1], f[2]
    if name then
        local nkey = 'bedrud:roomname:' .. name
        if redis.call('GET', nkey) == id then
            redis.call('DEL', nkey)
        end
    end
    redis.call('DEL', keys[1], keys[1] .. ':seats', keys[1] .. ':bans',
               keys[1] .. ':guestbans', keys[1] .. ':guests',
               keys[1] .. ':guestexp', keys[1] .. ':mods',
               keys[1] .. ':presence')
    redis.call('ZREM', 'bedrud:user:{' .. creator .. '}:rooms', id)
    redis.call('ZREM', keys[2], id)
    return {'OK', name or ''}
end

--[[
  bedrud_room_ban: ban or unban an identity; owner or superadmin only.
  KEYS: room
  ARGV: caller id, superadmin (1/0), identity, "ban" | "unban"

  "bans" maps a banned identity to the (folded) guest name behind it, ""
  for users; "guestbans" counts banned identities per guest name, so a
  banned guest cannot come back as a new guest of the same name, and
  lifting one of two bans on a name keeps the other.  A ban does not
  free the seat: the participant may still be connected.
  Reply: {'OK'} ({'OK', room name} for a ban), {'NOTFOUND'} or
  {'FORBIDDEN'}
]]
local function ban(keys, args)
    local owner = owner_of(keys[1])
    if not owner then
        return {'NOTFOUND'}
    end
    if args[1] ~= owner and args[2] ~= '1' then
        return {'FORBIDDEN'}
    end
    local identity = args[3]
    local bans = keys[1] .. ':bans'
    local gbans = keys[1] .. ':guestbans'

    if args[4] == 'ban' then
        -- the room's name, for LiveKit's RemoveParticipant
        local room = redis.call('HGET', keys[1], 'name') or ''
        if redis.call('HEXISTS', bans, identity) == 1 then
            return {'OK', room}
        end
        local name = ''
        if string.sub(identity, 1, 6) == 'guest-' then
            name = redis.call('HGET', keys[1] .. ':guests', identity) or ''
            name = string.lower(name)
        end
        redis.call('HSET', bans, identity, name)
        if name ~= '' then
            redis.call('HINCRBY', gbans, name, 1)
        end
        return {'OK', room}
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

--[[
  bedrud_room_bans: the room's ban list; owner or superadmin only.
  KEYS: room
  ARGV: caller id, superadmin (1/0)
  Reply: {'OK', identity, name, ...} sorted by identity, name being the
  guest's name as shown, the user's name, or "" when neither is known
  any more; {'NOTFOUND'} or {'FORBIDDEN'}
]]
local function bans(keys, args)
    local owner = owner_of(keys[1])
    if not owner then
        return {'NOTFOUND'}
    end
    if args[1] ~= owner and args[2] ~= '1' then
        return {'FORBIDDEN'}
    end
    local ids = redis.call('HKEYS', keys[1] .. ':bans')
    table.sort(ids)
    local r = {'OK'}
    for _, id in ipairs(ids) do
        local name
        if string.sub(id, 1, 6) == 'guest-' then
            name = redis.call('HGET', keys[1] .. ':guests', id)
        elseif string.match(id, '^%x+%-%x+%-%x+%-%x+%-%x+$') then
            name = redis.call('HGET', 'bedrud:user:{' .. id .. '}', 'name')
        end
        table.insert(r, id)
        table.insert(r, name or '')
    end
    return r
end

--[[
  bedrud_livekit_event: what a LiveKit webhook means for one of our rooms.
  KEYS: name index, event id key
  ARGV: event, identity, createdAt (unix s), track encrypted (1/0), track
        type, presence seat expiry (unix s), disconnect reason
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

  LiveKit retries a delivery that failed, so events of one participant
  may come out of order: "presence" keeps the time of the newest one, and
  an older one changes nothing.
]]
local function livekit_event(keys, args)
    local ev, identity, at = args[1], args[2], tonumber(args[3]) or 0

    if not redis.call('SET', keys[2], '1', 'NX', 'EX', 3600) then
        return {'DUP'}
    end

    local id = redis.call('GET', keys[1])
    if not id then
        return {'NOROOM'}
    end
    local rkey = room_key(id)
    if redis.call('EXISTS', rkey) == 0 then
        return {'NOROOM'}
    end

    if ev == 'track_published' then
        if args[4] == '1' or args[5] == 'DATA' then
            return {'OK'}
        end
        local ok, s = pcall(cjson.decode,
                            redis.call('HGET', rkey, 'settings') or '')
        if ok and type(s) == 'table' and s.e2ee == true then
            return {'REMOVE', 'unencrypted'}
        end
        return {'OK'}
    end

    local presence = rkey .. ':presence'

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

    local seats = rkey .. ':seats'

    if ev == 'participant_joined' then
        local name
        if string.sub(identity, 1, 6) == 'guest-' then
            name = redis.call('HGET', rkey .. ':guests', identity) or nil
        end
        if banned(rkey, identity, name) then
            return {'REMOVE', 'banned'}
        end
        redis.call('HSET', presence, identity, args[3] .. ' in')
        redis.call('ZADD', seats, 'GT', args[6], identity)
        if redis.call('EXPIREAT', seats, args[6], 'NX') == 0 then
            redis.call('EXPIREAT', seats, args[6], 'GT')
        end
        if redis.call('EXPIREAT', presence, args[6], 'NX') == 0 then
            redis.call('EXPIREAT', presence, args[6], 'GT')
        end
        return {'OK'}
    end

    if ev == 'participant_left' or ev == 'participant_connection_aborted' then
        if args[7] == 'DUPLICATE_IDENTITY' then
            return {'OK'}
        end
        redis.call('HSET', presence, identity, args[3] .. ' out')
        redis.call('ZREM', seats, identity)
        return {'OK'}
    end

    return {'OK'}
end

redis.register_function('bedrud_room_create', create)
redis.register_function('bedrud_room_join', join)
redis.register_function{function_name = 'bedrud_room_get',
    callback = get, flags = {'no-writes'}}
redis.register_function{function_name = 'bedrud_room_list',
    callback = list, flags = {'no-writes'}}
redis.register_function('bedrud_room_settings', settings)
redis.register_function('bedrud_room_delete', delete)
redis.register_function('bedrud_room_ban', ban)
redis.register_function{function_name = 'bedrud_room_bans', callback = bans,
                        flags = {'no-writes'}}
redis.register_function('bedrud_livekit_event', livekit_event)
