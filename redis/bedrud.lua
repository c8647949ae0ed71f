#!lua name=bedrud

--[[
  ngx_bedrud Redis Functions (Redis >= 7.0).

  Every change that touches more than one key is one function here, so it
  is atomic: Redis runs a function to the end before serving anything else.
  nginx loads this library with FUNCTION LOAD REPLACE on every (re)connect.
  The key schema is documented in redis/SCHEMA.md.

  Conventions: a function returns a flat array whose first element is a
  status word ("OK", "EXISTS", ...); user records are returned as the flat
  field/value list of HGETALL.  Keys arrive in KEYS in the order given in
  each function's comment.
]]

local function hgetall(key)
    return redis.call('HGETALL', key)
end

local function revlog_add(revlog, fam, exp)
    -- the revocation log: every node mirrors it into its shared zone
    local t = redis.call('TIME')
    local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('ZADD', revlog, ms, fam .. ' ' .. exp)
    -- entries older than the longest token lifetime are useless
    redis.call('ZREMRANGEBYSCORE', revlog, '-inf', ms - 8 * 86400 * 1000)
end

local function session_put(skey, sset, fam, jti, ttl)
    redis.call('HSET', skey, 'jti', jti)
    redis.call('EXPIRE', skey, ttl)
    redis.call('SADD', sset, fam)
    redis.call('EXPIRE', sset, ttl)
end

local function setting(settings, field, default)
    local v = redis.call('HGET', settings, field)
    if not v then
        return default
    end
    return v
end

local function invite_usable(ikey, now)
    if redis.call('EXISTS', ikey) == 0 then
        return false
    end
    local inv = redis.call('HMGET', ikey, 'usedAt', 'expiresAtUnix')
    if inv[1] and inv[1] ~= '' then
        return false
    end
    if inv[2] and tonumber(inv[2]) and tonumber(inv[2]) <= now then
        return false
    end
    return true
end

--[[
  bedrud_register_check: the cheap checks before a password is hashed.
  KEYS: settings, email index, invite (or a dummy key when none)
  ARGV: invite token ("" when none), now (unix seconds)
]]
local function register_check(keys, args)
    if setting(keys[1], 'registrationEnabled', '1') ~= '1' then
        return {'DISABLED'}
    end
    if setting(keys[1], 'tokenRegistrationOnly', '0') == '1' then
        if args[1] == '' then
            return {'INVITE_REQUIRED'}
        end
        if not invite_usable(keys[3], tonumber(args[2])) then
            return {'INVITE_INVALID'}
        end
    end
    -- existence is reported, not an error: Bedrud checks the password
    -- length first
    return {'OK', redis.call('EXISTS', keys[2])}
end

--[[
  bedrud_register: create a local user and its first login session.
  KEYS: settings, email index, invite, user, users index, session,
        user's session set
  ARGV: invite token, now (unix), id, email, name, pwhash, timestamp,
        fam, jti, refresh ttl, provider, accesses (JSON)
  The checks of register_check are repeated: they may have changed while
  the password was being hashed.
]]
local function register(keys, args)
    local check = register_check(keys, args)
    if check[1] ~= 'OK' then
        return check
    end
    if check[2] == 1 then
        return {'EXISTS'}
    end
    local uid = args[3]
    redis.call('HSET', keys[4],
        'id', uid, 'email', args[4], 'name', args[5],
        'provider', args[11], 'avatarUrl', '', 'accesses', args[12],
        'isActive', '1', 'pwhash', args[6],
        'createdAt', args[7], 'updatedAt', args[7])
    redis.call('SET', keys[2], uid)
    redis.call('ZADD', keys[5], tonumber(args[2]), uid)
    if args[1] ~= '' and redis.call('EXISTS', keys[3]) == 1 then
        redis.call('HSET', keys[3], 'usedAt', args[7], 'usedBy', uid)
    end
    session_put(keys[6], keys[7], args[8], args[9], tonumber(args[10]))
    local r = {'OK'}
    for _, v in ipairs(hgetall(keys[4])) do
        table.insert(r, v)
    end
    return r
end

--[[
  bedrud_guest: create a guest user (no password, no email index) and its
  session.
  KEYS: user, users index, session, session set
  ARGV: id, email, name, timestamp, now, fam, jti, refresh ttl
]]
local function guest(keys, args)
    redis.call('HSET', keys[1],
        'id', args[1], 'email', args[2], 'name', args[3],
        'provider', 'guest', 'avatarUrl', '', 'accesses', '["guest"]',
        'isActive', '1', 'pwhash', '',
        'createdAt', args[4], 'updatedAt', args[4])
    redis.call('ZADD', keys[2], tonumber(args[5]), args[1])
    session_put(keys[3], keys[4], args[6], args[7], tonumber(args[8]))
    local r = {'OK'}
    for _, v in ipairs(hgetall(keys[1])) do
        table.insert(r, v)
    end
    return r
end

--[[
  bedrud_user_by_email: the user record behind an email, for login.
  KEYS: email index
]]
local function user_by_email(keys, args)
    local uid = redis.call('GET', keys[1])
    if not uid then
        return {'NOTFOUND'}
    end
    local r = {'OK'}
    for _, v in ipairs(hgetall('bedrud:user:{' .. uid .. '}')) do
        table.insert(r, v)
    end
    if #r == 1 then
        return {'NOTFOUND'}
    end
    return r
end

--[[
  bedrud_login: open a session for a user whose password was verified.
  KEYS: user, session, session set
  ARGV: fam, jti, refresh ttl, new pwhash ("" to keep), timestamp
]]
local function login(keys, args)
    if redis.call('HGET', keys[1], 'isActive') ~= '1' then
        return {'INACTIVE'}
    end
    if args[4] ~= '' then
        -- parameters were upgraded: store the rehashed password
        redis.call('HSET', keys[1], 'pwhash', args[4])
    end
    session_put(keys[2], keys[3], args[1], args[2], tonumber(args[3]))
    local r = {'OK'}
    for _, v in ipairs(hgetall(keys[1])) do
        table.insert(r, v)
    end
    return r
end

--[[
  bedrud_refresh: rotate a refresh token.  A token whose jti is not the
  family's current one was already rotated: it is being replayed, so the
  whole family is revoked.
  KEYS: session, user, session set, revocation log
  ARGV: presented jti, new jti, refresh ttl, fam, family revocation expiry
]]
local function refresh(keys, args)
    local cur = redis.call('HGET', keys[1], 'jti')
    if not cur then
        return {'INVALID'}
    end
    if cur ~= args[1] then
        redis.call('DEL', keys[1])
        redis.call('SREM', keys[3], args[4])
        revlog_add(keys[4], args[4], args[5])
        return {'REUSED'}
    end
    if redis.call('HGET', keys[2], 'isActive') ~= '1' then
        redis.call('DEL', keys[1])
        redis.call('SREM', keys[3], args[4])
        revlog_add(keys[4], args[4], args[5])
        return {'INACTIVE'}
    end
    redis.call('HSET', keys[1], 'jti', args[2])
    redis.call('EXPIRE', keys[1], tonumber(args[3]))
    redis.call('EXPIRE', keys[3], tonumber(args[3]))
    local r = {'OK'}
    for _, v in ipairs(hgetall(keys[2])) do
        table.insert(r, v)
    end
    return r
end

--[[
  bedrud_logout: end login sessions.
  KEYS: session set, revocation log, session key of each family
  ARGV: revocation expiry, then one family id per session key
]]
local function logout(keys, args)
    for i = 3, #keys do
        local fam = args[i - 1]
        redis.call('DEL', keys[i])
        redis.call('SREM', keys[1], fam)
        revlog_add(keys[2], fam, args[1])
    end
    return {'OK'}
end

--[[
  bedrud_user_get: a user record.
  KEYS: user
]]
local function user_get(keys, args)
    local r = {'OK'}
    for _, v in ipairs(hgetall(keys[1])) do
        table.insert(r, v)
    end
    if #r == 1 then
        return {'NOTFOUND'}
    end
    return r
end

--[[
  bedrud_user_rename
  KEYS: user
  ARGV: name, timestamp
]]
local function user_rename(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[1], 'name', args[1], 'updatedAt', args[2])
    return user_get(keys, args)
end

--[[
  bedrud_password_set: store a new password hash and end every other login
  session of the user (a changed password must lock out whoever else had
  it).
  KEYS: user, session set, revocation log
  ARGV: expected old pwhash, new pwhash, timestamp, current fam,
        revocation expiry
]]
local function password_set(keys, args)
    local old = redis.call('HGET', keys[1], 'pwhash')
    if not old then
        return {'NOTFOUND'}
    end
    if old ~= args[1] then
        -- changed concurrently: make the client retry
        return {'CONFLICT'}
    end
    redis.call('HSET', keys[1], 'pwhash', args[2], 'updatedAt', args[3])
    local uid = redis.call('HGET', keys[1], 'id')
    local r = {'OK'}
    for _, fam in ipairs(redis.call('SMEMBERS', keys[2])) do
        if fam ~= args[4] then
            redis.call('DEL', 'bedrud:session:{' .. uid .. '}:' .. fam)
            redis.call('SREM', keys[2], fam)
            revlog_add(keys[3], fam, args[5])
            table.insert(r, fam)
        end
    end
    -- the ended families, so this node can deny them at once
    return r
end

--[[
  bedrud_prefs_set
  KEYS: user
  ARGV: preferences JSON text, timestamp
]]
local function prefs_set(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[1], 'prefs', args[1])
    return {'OK'}
end

--[[
  bedrud_user_access: add or remove one role (the superadmin tool).
  KEYS: email index
  ARGV: role, "add" | "remove"
]]
local function user_access(keys, args)
    local uid = redis.call('GET', keys[1])
    if not uid then
        return {'NOTFOUND'}
    end
    local ukey = 'bedrud:user:{' .. uid .. '}'
    local acc = cjson.decode(redis.call('HGET', ukey, 'accesses') or '[]')
    local out = {}
    local found = false
    for _, a in ipairs(acc) do
        if a == args[1] then
            found = true
            if args[2] == 'add' then
                table.insert(out, a)
            end
        else
            table.insert(out, a)
        end
    end
    if args[2] == 'add' and not found then
        table.insert(out, args[1])
    end
    local text = '[]'
    if #out > 0 then
        text = cjson.encode(out)
    end
    redis.call('HSET', ukey, 'accesses', text)
    return {'OK', uid, text}
end

--[[
  bedrud_user_create: the operator's tool creates an account, whatever
  the registration switches say.
  KEYS: email index, user, users index
  ARGV: id, email, name, pwhash, timestamp, now (unix), accesses (JSON)
]]
local function user_create(keys, args)
    if redis.call('EXISTS', keys[1]) == 1 then
        return {'EXISTS'}
    end
    redis.call('HSET', keys[2],
        'id', args[1], 'email', args[2], 'name', args[3],
        'provider', 'local', 'avatarUrl', '', 'accesses', args[7],
        'isActive', '1', 'pwhash', args[4],
        'createdAt', args[5], 'updatedAt', args[5])
    redis.call('SET', keys[1], args[1])
    redis.call('ZADD', keys[3], tonumber(args[6]), args[1])
    return {'OK', args[1]}
end

redis.register_function{function_name = 'bedrud_register_check',
    callback = register_check, flags = {'no-writes'}}
redis.register_function('bedrud_register', register)
redis.register_function('bedrud_guest', guest)
redis.register_function{function_name = 'bedrud_user_by_email',
    callback = user_by_email, flags = {'no-writes'}}
redis.register_function('bedrud_login', login)
redis.register_function('bedrud_refresh', refresh)
redis.register_function('bedrud_logout', logout)
redis.register_function{function_name = 'bedrud_user_get',
    callback = user_get, flags = {'no-writes'}}
redis.register_function('bedrud_user_rename', user_rename)
redis.register_function('bedrud_password_set', password_set)
redis.register_function('bedrud_prefs_set', prefs_set)
redis.register_function('bedrud_user_access', user_access)
redis.register_function('bedrud_user_create', user_create)
