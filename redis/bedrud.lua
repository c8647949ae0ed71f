#!lua name=bedrud

--[[
  ngx_bedrud Redis Functions (Redis >= 7.0).

  Every change that touches more than one key is one function here, so it
  is atomic: Redis runs a function to the end before serving anything else.
  nginx loads this library with FUNCTION LOAD REPLACE on every (re)connect.
  The key schema is documented in redis/SCHEMA.md.

  Conventions: a function returns a flat array whose first element is a
  status word ("OK", "EXISTS", ...); user records are returned as the flat
  field/value list of HGETALL.

  KEYS and ARGV by name: each function declares its keys and arguments,
  in order, right above it, and reads them through these names only (K.x,
  A.x).  nginx names the same ones in ngx_http_bedrud_functions.h, and
  t/unit/functions.t fails when the two disagree.  Every key a function
  touches comes in KEYS, except the keys it can only find through data it
  reads (an email's user, the sessions of a user): those are built by the
  *_key() helpers below, and listed in SCHEMA.md.
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
local function user_key(uid)
    return 'bedrud:user:{' .. uid .. '}'
end

local function session_key(uid, fam)
    return 'bedrud:session:{' .. uid .. '}:' .. fam
end

local function user_reply(ukey)
    local r = {'OK'}
    for _, v in ipairs(redis.call('HGETALL', ukey)) do
        table.insert(r, v)
    end
    return r
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

-- the checks of a registration, before and after the password is hashed
local function registration(settings, ekey, ikey, invite, now)
    if setting(settings, 'registrationEnabled', '1') ~= '1' then
        return {'DISABLED'}
    end
    if setting(settings, 'tokenRegistrationOnly', '0') == '1' then
        if invite == '' then
            return {'INVITE_REQUIRED'}
        end
        if not invite_usable(ikey, tonumber(now)) then
            return {'INVITE_INVALID'}
        end
    end
    -- existence is reported, not an error: Bedrud checks the password
    -- length first
    return {'OK', redis.call('EXISTS', ekey)}
end

--[[
  bedrud_register_check: the cheap checks before a password is hashed.
  invite: the token, "" when none; its key is then a dummy.
]]
local K, A = declare('bedrud_register_check',
    {'settings', 'email', 'invite'},
    {'invite', 'now'})
local function register_check(keys, args)
    return registration(keys[K.settings], keys[K.email], keys[K.invite],
                        args[A.invite], args[A.now])
end

--[[
  bedrud_register: create a local user and its first login session.
  The checks of register_check are repeated: they may have changed while
  the password was being hashed.
]]
local K, A = declare('bedrud_register',
    {'settings', 'email', 'invite', 'user', 'users', 'session', 'sessions'},
    {'invite', 'now', 'id', 'email', 'name', 'pwhash', 'stamp', 'fam', 'jti',
     'ttl', 'provider', 'accesses'})
local function register(keys, args)
    local check = registration(keys[K.settings], keys[K.email],
                               keys[K.invite], args[A.invite], args[A.now])
    if check[1] ~= 'OK' then
        return check
    end
    if check[2] == 1 then
        return {'EXISTS'}
    end
    local uid, stamp = args[A.id], args[A.stamp]
    redis.call('HSET', keys[K.user],
        'id', uid, 'email', args[A.email], 'name', args[A.name],
        'provider', args[A.provider], 'avatarUrl', '',
        'accesses', args[A.accesses], 'isActive', '1',
        'pwhash', args[A.pwhash], 'createdAt', stamp, 'updatedAt', stamp)
    redis.call('SET', keys[K.email], uid)
    redis.call('ZADD', keys[K.users], tonumber(args[A.now]), uid)
    if args[A.invite] ~= '' and redis.call('EXISTS', keys[K.invite]) == 1 then
        redis.call('HSET', keys[K.invite], 'usedAt', stamp, 'usedBy', uid)
    end
    session_put(keys[K.session], keys[K.sessions], args[A.fam], args[A.jti],
                tonumber(args[A.ttl]))
    return user_reply(keys[K.user])
end

--[[
  bedrud_guest: create a guest user (no password, no email index) and its
  session.
]]
local K, A = declare('bedrud_guest',
    {'user', 'users', 'session', 'sessions'},
    {'id', 'email', 'name', 'stamp', 'now', 'fam', 'jti', 'ttl'})
local function guest(keys, args)
    redis.call('HSET', keys[K.user],
        'id', args[A.id], 'email', args[A.email], 'name', args[A.name],
        'provider', 'guest', 'avatarUrl', '', 'accesses', '["guest"]',
        'isActive', '1', 'pwhash', '',
        'createdAt', args[A.stamp], 'updatedAt', args[A.stamp])
    redis.call('ZADD', keys[K.users], tonumber(args[A.now]), args[A.id])
    session_put(keys[K.session], keys[K.sessions], args[A.fam], args[A.jti],
                tonumber(args[A.ttl]))
    return user_reply(keys[K.user])
end

--[[
  bedrud_user_by_email: the user record behind an email, for login.
  The user's key is read from the email index.
]]
local K, A = declare('bedrud_user_by_email', {'email'}, {})
local function user_by_email(keys, args)
    local uid = redis.call('GET', keys[K.email])
    if not uid then
        return {'NOTFOUND'}
    end
    local r = user_reply(user_key(uid))
    if #r == 1 then
        return {'NOTFOUND'}
    end
    return r
end

--[[
  bedrud_login: open a session for a user whose password was verified.
  pwhash: the rehashed password, "" to keep the stored one.
]]
local K, A = declare('bedrud_login',
    {'user', 'session', 'sessions'},
    {'fam', 'jti', 'ttl', 'pwhash', 'stamp'})
local function login(keys, args)
    if redis.call('HGET', keys[K.user], 'isActive') ~= '1' then
        return {'INACTIVE'}
    end
    if args[A.pwhash] ~= '' then
        -- parameters were upgraded: store the rehashed password
        redis.call('HSET', keys[K.user], 'pwhash', args[A.pwhash])
    end
    session_put(keys[K.session], keys[K.sessions], args[A.fam], args[A.jti],
                tonumber(args[A.ttl]))
    return user_reply(keys[K.user])
end

--[[
  bedrud_refresh: rotate a refresh token.  A token whose jti is not the
  family's current one was already rotated: it is being replayed, so the
  whole family is revoked.
  jti: the presented token's; revoke_exp: how long a revocation lasts.
]]
local K, A = declare('bedrud_refresh',
    {'session', 'user', 'sessions', 'revlog'},
    {'jti', 'new_jti', 'ttl', 'fam', 'revoke_exp'})
local function refresh(keys, args)
    local cur = redis.call('HGET', keys[K.session], 'jti')
    if not cur then
        return {'INVALID'}
    end
    local ended
    if cur ~= args[A.jti] then
        ended = 'REUSED'
    elseif redis.call('HGET', keys[K.user], 'isActive') ~= '1' then
        ended = 'INACTIVE'
    end
    if ended then
        redis.call('DEL', keys[K.session])
        redis.call('SREM', keys[K.sessions], args[A.fam])
        revlog_add(keys[K.revlog], args[A.fam], args[A.revoke_exp])
        return {ended}
    end
    local ttl = tonumber(args[A.ttl])
    redis.call('HSET', keys[K.session], 'jti', args[A.new_jti])
    redis.call('EXPIRE', keys[K.session], ttl)
    redis.call('EXPIRE', keys[K.sessions], ttl)
    return user_reply(keys[K.user])
end

--[[
  bedrud_logout: end login sessions: one session key and one fam for
  each, from "session" and "fam" on.
]]
local K, A = declare('bedrud_logout',
    {'sessions', 'revlog', 'session'},
    {'revoke_exp', 'fam'})
local function logout(keys, args)
    for i = 0, #keys - K.session do
        local fam = args[A.fam + i]
        redis.call('DEL', keys[K.session + i])
        redis.call('SREM', keys[K.sessions], fam)
        revlog_add(keys[K.revlog], fam, args[A.revoke_exp])
    end
    return {'OK'}
end

--[[
  bedrud_logout_all: end every login session of a user ("sign out
  everywhere"): the families in the session set (their keys built from
  uid) and the caller's own, fam, even if the set no longer lists it.
  Returns OK and the ended families, so this node denies them at once.
]]
local K, A = declare('bedrud_logout_all',
    {'sessions', 'revlog'},
    {'revoke_exp', 'uid', 'fam'})
local function logout_all(keys, args)
    local fams = redis.call('SMEMBERS', keys[K.sessions])
    if redis.call('SISMEMBER', keys[K.sessions], args[A.fam]) == 0 then
        table.insert(fams, args[A.fam])
    end
    local r = {'OK'}
    for _, fam in ipairs(fams) do
        redis.call('DEL', session_key(args[A.uid], fam))
        revlog_add(keys[K.revlog], fam, args[A.revoke_exp])
        table.insert(r, fam)
    end
    redis.call('DEL', keys[K.sessions])
    return r
end

--[[
  bedrud_user_get: a user record.
]]
local K, A = declare('bedrud_user_get', {'user'}, {})
local function user_get(keys, args)
    local r = user_reply(keys[K.user])
    if #r == 1 then
        return {'NOTFOUND'}
    end
    return r
end

--[[
  bedrud_user_rename
]]
local K, A = declare('bedrud_user_rename', {'user'}, {'name', 'stamp'})
local function user_rename(keys, args)
    if redis.call('EXISTS', keys[K.user]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[K.user], 'name', args[A.name],
               'updatedAt', args[A.stamp])
    return user_reply(keys[K.user])
end

--[[
  bedrud_password_set: store a new password hash and end every other login
  session of the user (a changed password must lock out whoever else had
  it).  The session keys are those of the families in the session set.
  old_pwhash: the hash the change was checked against; fam: the caller's.
]]
local K, A = declare('bedrud_password_set',
    {'user', 'sessions', 'revlog'},
    {'old_pwhash', 'pwhash', 'stamp', 'fam', 'revoke_exp'})
local function password_set(keys, args)
    local old = redis.call('HGET', keys[K.user], 'pwhash')
    if not old then
        return {'NOTFOUND'}
    end
    if old ~= args[A.old_pwhash] then
        -- changed concurrently: make the client retry
        return {'CONFLICT'}
    end
    redis.call('HSET', keys[K.user], 'pwhash', args[A.pwhash],
               'updatedAt', args[A.stamp])
    local uid = redis.call('HGET', keys[K.user], 'id')
    local r = {'OK'}
    for _, fam in ipairs(redis.call('SMEMBERS', keys[K.sessions])) do
        if fam ~= args[A.fam] then
            redis.call('DEL', session_key(uid, fam))
            redis.call('SREM', keys[K.sessions], fam)
            revlog_add(keys[K.revlog], fam, args[A.revoke_exp])
            table.insert(r, fam)
        end
    end
    -- the ended families, so this node can deny them at once
    return r
end

--[[
  bedrud_prefs_set
  prefs: the preferences' JSON text.
]]
local K, A = declare('bedrud_prefs_set', {'user'}, {'prefs', 'stamp'})
local function prefs_set(keys, args)
    if redis.call('EXISTS', keys[K.user]) == 0 then
        return {'NOTFOUND'}
    end
    redis.call('HSET', keys[K.user], 'prefs', args[A.prefs])
    return {'OK'}
end

--[[
  bedrud_user_access: add or remove one role (the superadmin tool).
  The user's key is read from the email index.
  action: "add" | "remove"
]]
local K, A = declare('bedrud_user_access', {'email'}, {'role', 'action'})
local function user_access(keys, args)
    local uid = redis.call('GET', keys[K.email])
    if not uid then
        return {'NOTFOUND'}
    end
    local ukey = user_key(uid)
    local role, add = args[A.role], args[A.action] == 'add'
    local acc = cjson.decode(redis.call('HGET', ukey, 'accesses') or '[]')
    local out = {}
    local found = false
    for _, a in ipairs(acc) do
        if a == role then
            found = true
            if add then
                table.insert(out, a)
            end
        else
            table.insert(out, a)
        end
    end
    if add and not found then
        table.insert(out, role)
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
  accesses: a JSON array
]]
local K, A = declare('bedrud_user_create',
    {'email', 'user', 'users'},
    {'id', 'email', 'name', 'pwhash', 'stamp', 'now', 'accesses'})
local function user_create(keys, args)
    if redis.call('EXISTS', keys[K.email]) == 1 then
        return {'EXISTS'}
    end
    redis.call('HSET', keys[K.user],
        'id', args[A.id], 'email', args[A.email], 'name', args[A.name],
        'provider', 'local', 'avatarUrl', '', 'accesses', args[A.accesses],
        'isActive', '1', 'pwhash', args[A.pwhash],
        'createdAt', args[A.stamp], 'updatedAt', args[A.stamp])
    redis.call('SET', keys[K.email], args[A.id])
    redis.call('ZADD', keys[K.users], tonumber(args[A.now]), args[A.id])
    return {'OK', args[A.id]}
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
redis.register_function('bedrud_logout_all', logout_all)
redis.register_function{function_name = 'bedrud_user_get',
    callback = user_get, flags = {'no-writes'}}
redis.register_function('bedrud_user_rename', user_rename)
redis.register_function('bedrud_password_set', password_set)
redis.register_function('bedrud_prefs_set', prefs_set)
redis.register_function('bedrud_user_access', user_access)
redis.register_function('bedrud_user_create', user_create)
