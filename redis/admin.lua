#!lua name=bedrud_admin

--[[
  ngx_bedrud administration (superadmin API) Redis Functions (Redis >= 7.0).

  Same conventions as bedrud.lua: every change that touches more than one
  key is one function, so it is atomic; a function returns a flat array
  whose first element is a status word ("OK", "NOTFOUND", ...).  Listings
  return one nested array per record.  The key schema is documented in
  redis/SCHEMA.md.

  Password hashes never leave Redis here: user records are read with HMGET
  of the listed fields only.
]]

-- the fields of an admin user item, in the order the C side expects
local USER_FIELDS = {'id', 'email', 'name', 'provider', 'isActive',
                     'accesses', 'createdAt'}

-- the fields of an invite token, in the order the C side expects
local INVITE_FIELDS = {'id', 'token', 'email', 'createdBy', 'expiresAt',
                       'usedAt', 'usedBy', 'createdAt'}

-- RoomSettings: name and Bedrud's default, in the order of the wire
local ROOM_SETTINGS = {{'allowChat', true}, {'allowVideo', true},
                       {'allowAudio', true}, {'requireApproval', false},
                       {'e2ee', false}}

local function user_key(uid)
    return 'bedrud:user:{' .. uid .. '}'
end

local function room_key(rid)
    return 'bedrud:room:{' .. rid .. '}'
end

-- the same as bedrud.lua's: every node mirrors the log into its zone
local function revlog_add(revlog, fam, exp)
    local t = redis.call('TIME')
    local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('ZADD', revlog, ms, fam .. ' ' .. exp)
    -- entries older than the longest token lifetime are useless
    redis.call('ZREMRANGEBYSCORE', revlog, '-inf', ms - 8 * 86400 * 1000)
end

--[[
  bedrud_admin_users: one page of users, newest first.
  KEYS: users index
  ARGV: first rank, last rank (ZREVRANGE indices)
  Returns OK, total, then one USER_FIELDS array per user.  An index entry
  whose record is gone is skipped.
]]
local function users(keys, args)
    local r = {'OK', redis.call('ZCARD', keys[1])}
    local ids = redis.call('ZREVRANGE', keys[1], args[1], args[2])
    for _, uid in ipairs(ids) do
        local u = redis.call('HMGET', user_key(uid), unpack(USER_FIELDS))
        if u[1] then
            table.insert(r, u)
        end
    end
    return r
end

--[[
  bedrud_admin_user: a user and the rooms it created, newest first.
  KEYS: user, user's rooms index
  ARGV: most rooms to return
  Returns OK, USER_FIELDS array, then one HGETALL array per room.
]]
local function user(keys, args)
    local u = redis.call('HMGET', keys[1], unpack(USER_FIELDS))
    if not u[1] then
        return {'NOTFOUND'}
    end
    local r = {'OK', u}
    local max = tonumber(args[1])
    for _, rid in ipairs(redis.call('ZREVRANGE', keys[2], 0, max - 1)) do
        local room = redis.call('HGETALL', room_key(rid))
        if #room > 0 then
            table.insert(r, room)
        end
    end
    return r
end

--[[
  bedrud_admin_rooms: one page of rooms, newest first.
  KEYS: rooms index
  ARGV: first rank, last rank (ZREVRANGE indices)
  Returns OK, total, then one HGETALL array per room.
]]
local function rooms(keys, args)
    local r = {'OK', redis.call('ZCARD', keys[1])}
    local ids = redis.call('ZREVRANGE', keys[1], args[1], args[2])
    for _, rid in ipairs(ids) do
        local room = redis.call('HGETALL', room_key(rid))
        if #room > 0 then
            table.insert(r, room)
        end
    end
    return r
end

--[[
  bedrud_admin_room_update: change a room's capacity and settings.
  KEYS: room
  ARGV: maxParticipants ("" keeps it), then allowChat, allowVideo,
        allowAudio, requireApproval, e2ee ("1", "0", or "" to keep each),
        timestamp
  A settings flag not sent keeps its stored value: the object is merged
  here, under the function's atomicity, not overwritten.  The settings
  text is rewritten with all five flags in the wire order.
  Returns OK and the room's HGETALL, or NOTFOUND.
]]
local function room_update(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
        return {'NOTFOUND'}
    end
    if args[1] ~= '' then
        redis.call('HSET', keys[1], 'maxParticipants', args[1])
    end
    local change = false
    for i = 2, 6 do
        if args[i] ~= '' then
            change = true
        end
    end
    if change then
        local text = redis.call('HGET', keys[1], 'settings') or '{}'
        local ok, cur = pcall(cjson.decode, text)
        if not ok or type(cur) ~= 'table' then
            cur = {}
        end
        local parts = {}
        for i, s in ipairs(ROOM_SETTINGS) do
            local v = cur[s[1]]
            if type(v) ~= 'boolean' then
                v = s[2]
            end
            if args[i + 1] == '1' then
                v = true
            elseif args[i + 1] == '0' then
                v = false
            end
            table.insert(parts, '"' .. s[1] .. '":' .. tostring(v))
        end
        redis.call('HSET', keys[1], 'settings',
                   '{' .. table.concat(parts, ',') .. '}')
    end
    redis.call('HSET', keys[1], 'updatedAt', args[7])
    return {'OK', redis.call('HGETALL', keys[1])}
end

--[[
  bedrud_admin_room_close: Bedrud's admin "delete": the room is closed,
  its record kept (an authenticated join reopens it).
  KEYS: room
  ARGV: timestamp
  Reply: {'OK', room name} (for LiveKit's DeleteRoom) or {'NOTFOUND'}
]]
local function room_close(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[1], 'isActive', '0', 'updatedAt', args[1])
    return {'OK', redis.call('HGET', keys[1], 'name') or ''}
end

--[[
  bedrud_admin_user_status: activate or deactivate a user.  Deactivation
  ends every login session of the user at once (unlike Bedrud, where the
  tokens of a deactivated user keep working): the session records go and
  each family enters the revocation log.
  KEYS: user, user's session set, revocation log
  ARGV: "1" | "0", timestamp, revocation expiry, user id
  Returns OK and the ended families (so the caller's node can deny them
  before its next revocation log read), or NOTFOUND.
]]
local function user_status(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[1], 'isActive', args[1], 'updatedAt', args[2])
    local r = {'OK'}
    if args[1] == '0' then
        for _, fam in ipairs(redis.call('SMEMBERS', keys[2])) do
            redis.call('DEL', 'bedrud:session:{' .. args[4] .. '}:' .. fam)
            revlog_add(keys[3], fam, args[3])
            table.insert(r, fam)
        end
        redis.call('DEL', keys[2])
    end
    return r
end

--[[
  bedrud_admin_user_accesses: replace a user's roles.  Open sessions get
  the new roles at their next refresh, which re-reads the user.
  KEYS: user
  ARGV: accesses (JSON array, validated by the caller), timestamp
]]
local function user_accesses(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[1], 'accesses', args[1], 'updatedAt', args[2])
    return {'OK'}
end

--[[
  bedrud_admin_settings_set: change only the registration switches sent
  (Bedrud overwrote the whole row, turning omitted switches off).
  KEYS: settings
  ARGV: field, "1" | "0", ... (none: just read)
  Returns the three switches as HMGET does (nil: default).
]]
local function settings_set(keys, args)
    if #args > 0 then
        redis.call('HSET', keys[1], unpack(args))
    end
    return redis.call('HMGET', keys[1], 'registrationEnabled',
                      'tokenRegistrationOnly', 'passkeysEnabled')
end

--[[
  bedrud_admin_invites: invite tokens, newest first.
  KEYS: invites index
  ARGV: most tokens to return
  Returns OK, then one INVITE_FIELDS array per token.
]]
local function invites(keys, args)
    local r = {'OK'}
    local max = tonumber(args[1])
    for _, tok in ipairs(redis.call('ZREVRANGE', keys[1], 0, max - 1)) do
        local inv = redis.call('HMGET', 'bedrud:invite:' .. tok,
                               unpack(INVITE_FIELDS))
        if inv[1] then
            table.insert(r, inv)
        end
    end
    return r
end

--[[
  bedrud_admin_invite_create
  KEYS: invite, invite id index, invites index
  ARGV: id, token, email, createdBy, createdAt, expiresAt, expiresAtUnix,
        now (unix)
]]
local function invite_create(keys, args)
    if redis.call('EXISTS', keys[1]) == 1
        or redis.call('EXISTS', keys[2]) == 1
    then
        return {'EXISTS'}
    end
    redis.call('HSET', keys[1], 'id', args[1], 'token', args[2],
               'email', args[3], 'createdBy', args[4],
               'createdAt', args[5], 'expiresAt', args[6],
               'expiresAtUnix', args[7], 'usedAt', '', 'usedBy', '')
    redis.call('SET', keys[2], args[2])
    redis.call('ZADD', keys[3], tonumber(args[8]), args[2])
    return {'OK'}
end

--[[
  bedrud_admin_invite_delete: succeeds whether or not the token exists.
  KEYS: invite id index, invites index
]]
local function invite_delete(keys, args)
    local tok = redis.call('GET', keys[1])
    if tok then
        redis.call('DEL', 'bedrud:invite:' .. tok)
        redis.call('ZREM', keys[2], tok)
        redis.call('DEL', keys[1])
    end
    return {'OK'}
end

redis.register_function{function_name = 'bedrud_admin_users',
    callback = users, flags = {'no-writes'}}
redis.register_function{function_name = 'bedrud_admin_user',
    callback = user, flags = {'no-writes'}}
redis.register_function{function_name = 'bedrud_admin_rooms',
    callback = rooms, flags = {'no-writes'}}
redis.register_function('bedrud_admin_room_update', room_update)
redis.register_function('bedrud_admin_room_close', room_close)
redis.register_function('bedrud_admin_user_status', user_status)
redis.register_function('bedrud_admin_user_accesses', user_accesses)
redis.register_function('bedrud_admin_settings_set', settings_set)
redis.register_function{function_name = 'bedrud_admin_invites',
    callback = invites, flags = {'no-writes'}}
redis.register_function('bedrud_admin_invite_create', invite_create)
redis.register_function('bedrud_admin_invite_delete', invite_delete)
