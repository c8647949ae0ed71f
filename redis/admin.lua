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

  KEYS and ARGV are declared by name above each function, as in
  bedrud.lua.  Listings find their records' keys in an index; those keys
  are built by the *_key() helpers below.
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

-- the fields of an admin user item, in the order nginx reads them
-- (NGX_HTTP_BEDRUD_USER_F_* in ngx_http_bedrud_functions.h)
local USER_FIELDS = {'id', 'email', 'name', 'provider', 'isActive',
                     'accesses', 'createdAt'}

-- the fields of an invite token, in the order nginx reads them
-- (NGX_HTTP_BEDRUD_INVITE_F_*)
local INVITE_FIELDS = {'id', 'token', 'email', 'createdBy', 'expiresAt',
                       'usedAt', 'usedBy', 'createdAt'}

-- RoomSettings: name and Bedrud's default, in the order of the wire
local ROOM_SETTINGS = {{'allowChat', true}, {'allowVideo', true},
                       {'allowAudio', true}, {'requireApproval', false},
                       {'e2ee', false}}

-- keys reached through data read inside a function
local function user_key(uid)
    return 'bedrud:user:{' .. uid .. '}'
end

local function room_key(rid)
    return 'bedrud:room:{' .. rid .. '}'
end

local function presence_key(rid)
    return 'bedrud:room:{' .. rid .. '}:presence'
end

local function session_key(uid, fam)
    return 'bedrud:session:{' .. uid .. '}:' .. fam
end

local function invite_key(token)
    return 'bedrud:invite:' .. token
end

-- one page of an index, newest first: ZCARD, then a record per member
local function page(index, first, last, record)
    local r = {'OK', redis.call('ZCARD', index)}
    for _, id in ipairs(redis.call('ZREVRANGE', index, first, last)) do
        local rec = record(id)
        if rec then
            table.insert(r, rec)
        end
    end
    return r
end

-- a room's HGETALL, or nil if it is gone
local function room_record(rid)
    local room = redis.call('HGETALL', room_key(rid))
    if #room > 0 then
        return room
    end
    return nil
end

-- does a user's accesses text hold "superadmin"?
local function is_superadmin(text)
    local ok, acc = pcall(cjson.decode, text or '[]')
    if not ok or type(acc) ~= 'table' then
        return false
    end
    for _, a in ipairs(acc) do
        if a == 'superadmin' then
            return true
        end
    end
    return false
end

-- Is any active superadmin left besides uid?  "supers" is an index of
-- the superadmins' ids, a hint only: each member is checked against its
-- record, and a stale one dropped.  When it names no other active
-- superadmin, every user is read (the index may miss accounts made
-- before it, or by hand), and the index completed: a refusal is never
-- wrong, and the full read happens only when one is likely.
local function other_superadmin(supers, users, uid)
    for _, id in ipairs(redis.call('SMEMBERS', supers)) do
        if id ~= uid then
            local u = redis.call('HMGET', user_key(id), 'accesses', 'isActive')
            if not is_superadmin(u[1]) then
                redis.call('SREM', supers, id)
            elseif u[2] == '1' then
                return true
            end
        end
    end
    local found = false
    for _, id in ipairs(redis.call('ZRANGE', users, 0, -1)) do
        local u = redis.call('HMGET', user_key(id), 'accesses', 'isActive')
        if is_superadmin(u[1]) then
            redis.call('SADD', supers, id)
            if id ~= uid and u[2] == '1' then
                found = true
            end
        end
    end
    return found
end

-- the same as bedrud.lua's: every node mirrors the log into its zone
local function revlog_add(revlog, fam, exp)
    local t = redis.call('TIME')
    local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('ZADD', revlog, ms, fam .. ' ' .. exp)
    -- entries older than the longest token lifetime are useless
    redis.call('ZREMRANGEBYSCORE', revlog, '-inf', ms - 8 * 86400 * 1000)
end

-- A change of a user's roles or status makes the access tokens issued
-- before it stale: the user's token version goes up, and every node
-- learns from the revocation log that tokens of older versions are
-- refused ("u:<id>:<version>"), so that clients refresh and get the
-- new roles.
local function tokens_stale(ukey, revlog, uid, exp)
    local v = redis.call('HINCRBY', ukey, 'tokv', 1)
    revlog_add(revlog, 'u:' .. uid .. ':' .. v, exp)
    return v
end

--[[
  bedrud_admin_users: one page of users, newest first.
  first, last: ZREVRANGE ranks
  Returns OK, total, then one USER_FIELDS array per user.  An index entry
  whose record is gone is skipped.
]]
local K, A = declare('bedrud_admin_users', {'users'}, {'first', 'last'})
local function users(keys, args)
    return page(keys[K.users], args[A.first], args[A.last], function(uid)
        local u = redis.call('HMGET', user_key(uid), unpack(USER_FIELDS))
        if u[1] then
            return u
        end
        return nil
    end)
end

--[[
  bedrud_admin_user: a user and the rooms it created, newest first.
  max: most rooms to return
  Returns OK, USER_FIELDS array, then one HGETALL array per room.
]]
local K, A = declare('bedrud_admin_user', {'user', 'user_rooms'}, {'max'})
local function user(keys, args)
    local u = redis.call('HMGET', keys[K.user], unpack(USER_FIELDS))
    if not u[1] then
        return {'NOTFOUND'}
    end
    local r = {'OK', u}
    local last = tonumber(args[A.max]) - 1
    for _, rid in ipairs(redis.call('ZREVRANGE', keys[K.user_rooms], 0,
                                    last)) do
        local room = room_record(rid)
        if room then
            table.insert(r, room)
        end
    end
    return r
end

--[[
  bedrud_admin_rooms: one page of rooms, newest first.
  first, last: ZREVRANGE ranks
  Returns OK, total, then one HGETALL array per room.
]]
local K, A = declare('bedrud_admin_rooms', {'rooms'}, {'first', 'last'})
local function rooms(keys, args)
    return page(keys[K.rooms], args[A.first], args[A.last], room_record)
end

--[[
  bedrud_admin_room_update: change a room's capacity and settings.
  max: maxParticipants, "" keeps it; allow_chat ... e2ee: "1", "0", or ""
  to keep each
  A settings flag not sent keeps its stored value: the object is merged
  here, under the function's atomicity, not overwritten.  The settings
  text is rewritten with all five flags in the wire order.
  Returns OK and the room's HGETALL, or NOTFOUND.
]]
local K, A = declare('bedrud_admin_room_update',
    {'room'},
    {'max', 'allow_chat', 'allow_video', 'allow_audio', 'require_approval',
     'e2ee', 'stamp'})
local function room_update(keys, args)
    local rkey = keys[K.room]
    if redis.call('EXISTS', rkey) == 0 then
        return {'NOTFOUND'}
    end
    if args[A.max] ~= '' then
        redis.call('HSET', rkey, 'maxParticipants', args[A.max])
    end
    -- one argument per switch of ROOM_SETTINGS, in its order
    local sent = {args[A.allow_chat], args[A.allow_video],
                  args[A.allow_audio], args[A.require_approval],
                  args[A.e2ee]}
    if table.concat(sent) ~= '' then
        local text = redis.call('HGET', rkey, 'settings') or '{}'
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
            if sent[i] == '1' then
                v = true
            elseif sent[i] == '0' then
                v = false
            end
            table.insert(parts, '"' .. s[1] .. '":' .. tostring(v))
        end
        redis.call('HSET', rkey, 'settings',
                   '{' .. table.concat(parts, ',') .. '}')
    end
    redis.call('HSET', rkey, 'updatedAt', args[A.stamp])
    return {'OK', redis.call('HGETALL', rkey)}
end

--[[
  bedrud_admin_room_close: Bedrud's admin "delete": the room is closed,
  its record kept (an authenticated join reopens it).
  Reply: {'OK', room name} (for LiveKit's DeleteRoom) or {'NOTFOUND'}
]]
local K, A = declare('bedrud_admin_room_close', {'room'}, {'stamp'})
local function room_close(keys, args)
    if redis.call('EXISTS', keys[K.room]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[K.room], 'isActive', '0',
               'updatedAt', args[A.stamp])
    return {'OK', redis.call('HGET', keys[K.room], 'name') or ''}
end

--[[
  bedrud_admin_user_status: activate or deactivate a user.  Deactivation
  ends every login session of the user at once (unlike Bedrud, where the
  tokens of a deactivated user keep working): the session records (their
  keys: the families in the session set) go and each family enters the
  revocation log.  Either way the user's access tokens become stale.
  The last active superadmin is not deactivated: nobody could undo it
  through the API.
  active: "1" | "0"; uid: the user's id; revoke_exp: when the last token
  that may be affected expires
  Returns OK, the user's new token version and the ended families (so
  the caller's node can deny them before its next revocation log read),
  NOTFOUND or LAST_SUPERADMIN.
]]
local K, A = declare('bedrud_admin_user_status',
    {'user', 'sessions', 'revlog', 'superadmins', 'users'},
    {'active', 'stamp', 'revoke_exp', 'uid'})
local function user_status(keys, args)
    local ukey, uid = keys[K.user], args[A.uid]
    local u = redis.call('HMGET', ukey, 'id', 'accesses', 'isActive')
    if not u[1] then
        return {'NOTFOUND'}
    end
    if args[A.active] == '0' and u[3] == '1' and is_superadmin(u[2])
        and not other_superadmin(keys[K.superadmins], keys[K.users], uid)
    then
        return {'LAST_SUPERADMIN'}
    end
    redis.call('HSET', ukey, 'isActive', args[A.active],
               'updatedAt', args[A.stamp])
    local r = {'OK', tokens_stale(ukey, keys[K.revlog], uid,
                                  args[A.revoke_exp])}
    if args[A.active] == '0' then
        for _, fam in ipairs(redis.call('SMEMBERS', keys[K.sessions])) do
            redis.call('DEL', session_key(uid, fam))
            revlog_add(keys[K.revlog], fam, args[A.revoke_exp])
            table.insert(r, fam)
        end
        redis.call('DEL', keys[K.sessions])
    end
    return r
end

--[[
  bedrud_admin_user_accesses: replace a user's roles.  The user's access
  tokens become stale at once on every node (the revocation log); the
  refresh their clients then make re-reads the user, so the new roles
  hold within the log's delay, and the login session stays open.  The
  last active superadmin keeps "superadmin".
  accesses: a JSON array, validated by the caller; uid: the user's id;
  revoke_exp: when the last access token issued before expires
  Returns OK and the user's new token version, NOTFOUND or
  LAST_SUPERADMIN.
]]
local K, A = declare('bedrud_admin_user_accesses',
    {'user', 'revlog', 'superadmins', 'users'},
    {'accesses', 'stamp', 'uid', 'revoke_exp'})
local function user_accesses(keys, args)
    local ukey, uid = keys[K.user], args[A.uid]
    local u = redis.call('HMGET', ukey, 'id', 'accesses', 'isActive')
    if not u[1] then
        return {'NOTFOUND'}
    end
    local was, becomes = is_superadmin(u[2]), is_superadmin(args[A.accesses])
    if was and not becomes and u[3] == '1'
        and not other_superadmin(keys[K.superadmins], keys[K.users], uid)
    then
        return {'LAST_SUPERADMIN'}
    end
    redis.call('HSET', ukey, 'accesses', args[A.accesses],
               'updatedAt', args[A.stamp])
    if becomes then
        redis.call('SADD', keys[K.superadmins], uid)
    else
        redis.call('SREM', keys[K.superadmins], uid)
    end
    return {'OK', tokens_stale(ukey, keys[K.revlog], uid, args[A.revoke_exp])}
end

--[[
  bedrud_admin_settings_set: change only the settings sent (Bedrud
  overwrote the whole row, turning omitted switches off).  nginx checked
  the fields' names and values.
  ARGV: field, value, ... as many as sent
  Returns the whole record as HGETALL does (a field never set is absent:
  its default).
]]
local K, A = declare('bedrud_admin_settings_set', {'settings'}, {})
local function settings_set(keys, args)
    if #args > 0 then
        redis.call('HSET', keys[K.settings], unpack(args))
    end
    return redis.call('HGETALL', keys[K.settings])
end

--[[
  bedrud_admin_settings: the record as HGETALL returns it, for GET (a read:
  no-writes, so under bedrud_redis_wait it waits for no replica).
]]
local K, A = declare('bedrud_admin_settings', {'settings'}, {})
local function settings_get(keys, args)
    return redis.call('HGETALL', keys[K.settings])
end

--[[
  bedrud_admin_online: how many participants are connected now, each
  identity counted once however many rooms it is in, from the presence
  LiveKit's webhooks keep (the rooms' presence keys are found through
  "live"; a room whose presence went leaves the list here).
  Reply: {'OK', count}
]]
local K, A = declare('bedrud_admin_online', {'live'}, {})
local function online(keys, args)
    local seen, n, gone = {}, 0, {}
    for _, id in ipairs(redis.call('SMEMBERS', keys[K.live])) do
        local p = redis.call('HGETALL', presence_key(id))
        if #p == 0 then
            table.insert(gone, id)
        end
        for i = 1, #p, 2 do
            if string.sub(p[i + 1], -3) == ' in' and not seen[p[i]] then
                seen[p[i]] = true
                n = n + 1
            end
        end
    end
    if #gone > 0 then
        redis.call('SREM', keys[K.live], unpack(gone))
    end
    return {'OK', tostring(n)}
end

--[[
  bedrud_admin_invites: invite tokens, newest first, found through the
  index.
  max: most tokens to return
  Returns OK, then one INVITE_FIELDS array per token.
]]
local K, A = declare('bedrud_admin_invites', {'invites'}, {'max'})
local function invites(keys, args)
    local r = {'OK'}
    local last = tonumber(args[A.max]) - 1
    for _, tok in ipairs(redis.call('ZREVRANGE', keys[K.invites], 0,
                                    last)) do
        local inv = redis.call('HMGET', invite_key(tok),
                               unpack(INVITE_FIELDS))
        if inv[1] then
            table.insert(r, inv)
        end
    end
    return r
end

--[[
  bedrud_admin_invite_create
  stamp: createdAt; expires: expiresAt; expires_unix and now: unix s
]]
local K, A = declare('bedrud_admin_invite_create',
    {'invite', 'invite_id', 'invites'},
    {'id', 'token', 'email', 'created_by', 'stamp', 'expires',
     'expires_unix', 'now'})
local function invite_create(keys, args)
    if redis.call('EXISTS', keys[K.invite]) == 1
        or redis.call('EXISTS', keys[K.invite_id]) == 1
    then
        return {'EXISTS'}
    end
    redis.call('HSET', keys[K.invite], 'id', args[A.id],
               'token', args[A.token], 'email', args[A.email],
               'createdBy', args[A.created_by], 'createdAt', args[A.stamp],
               'expiresAt', args[A.expires],
               'expiresAtUnix', args[A.expires_unix],
               'usedAt', '', 'usedBy', '')
    redis.call('SET', keys[K.invite_id], args[A.token])
    redis.call('ZADD', keys[K.invites], tonumber(args[A.now]), args[A.token])
    return {'OK'}
end

--[[
  bedrud_admin_invite_delete: succeeds whether or not the token exists.
  The invite's key is found through the id index.
]]
local K, A = declare('bedrud_admin_invite_delete',
    {'invite_id', 'invites'},
    {})
local function invite_delete(keys, args)
    local tok = redis.call('GET', keys[K.invite_id])
    if tok then
        redis.call('DEL', invite_key(tok))
        redis.call('ZREM', keys[K.invites], tok)
        redis.call('DEL', keys[K.invite_id])
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
redis.register_function{function_name = 'bedrud_admin_settings',
    callback = settings_get, flags = {'no-writes'}}
redis.register_function('bedrud_admin_online', online)
redis.register_function{function_name = 'bedrud_admin_invites',
    callback = invites, flags = {'no-writes'}}
redis.register_function('bedrud_admin_invite_create', invite_create)
redis.register_function('bedrud_admin_invite_delete', invite_delete)
