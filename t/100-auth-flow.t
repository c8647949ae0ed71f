# Accounts and tokens: register, login, guest-login, refresh, logout, me,
# preferences, password change and settings, success and error paths.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config();
our $http_config_nograce = http_config(extra => "    bedrud_refresh_grace 0;");
our $n = int(rand(1_000_000_000));
our $pw = $BedrudTest::PW;

# blocks that switch global settings use databases of their own
{
    local $BedrudTest::DB = 5;
    redis_cli('FLUSHDB');
    redis_cli('HSET', 'bedrud:settings', 'registrationEnabled', '0');
    $BedrudTest::DB = 6;
    redis_cli('FLUSHDB');
    redis_cli('HSET', 'bedrud:settings', 'tokenRegistrationOnly', '1');
    redis_cli('HSET', "bedrud:invite:inv$n", 'token', "inv$n",
              'expiresAtUnix', time + 3600);
    redis_cli('HSET', "bedrud:invite:old$n", 'token', "old$n",
              'expiresAtUnix', time - 1);
}
our $http_config_db5 = http_config(db => 5);
our $http_config_db6 = http_config(db => 6);

run_tests();

__DATA__

=== TEST 1: register then log in (case-insensitive address), wrong password, duplicate
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "reg$::n\@example.com";
[
  "POST /api/auth/register\n{\"email\":\"$e\",\"password\":\"$::pw\",\"name\":\"Alice\"}",
  "POST /api/auth/login\n{\"email\":\"\U$e\E\",\"password\":\"$::pw\"}",
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"wrong horse battery\"}",
  "POST /api/auth/register\n{\"email\":\"$e\",\"password\":\"$::pw\",\"name\":\"Alice\"}",
  "POST /api/auth/login\n{\"email\":\"nobody$::n\@example.com\",\"password\":\"$::pw\"}",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 401, 400, 401]
--- response_body_like eval
[
  qr/^\{"user":\{"id":"[0-9a-f-]{36}","email":"reg\d+\@example.com","name":"Alice","provider":"local","avatarUrl":"","accesses":\["user"\],"isActive":true,"createdAt":"20\d\d-[^"]+Z","updatedAt":"[^"]+"\},"tokens":\{"accessToken":"ey[\w-]+\.[\w-]+\.[\w-]+","refreshToken":"ey[\w-]+\.[\w-]+\.[\w-]+"\}\}$/,
  qr/^\{"user":\{"id":"[0-9a-f-]{36}","email":"reg\d+\@example.com".*"tokens":\{"accessToken"/,
  qr/^\{"error":"Invalid credentials"\}$/,
  qr/^\{"error":"user already exists"\}$/,
  qr/^\{"error":"Invalid credentials"\}$/,
]
--- raw_response_headers_like eval
[
  qr/Set-Cookie: access_token=ey[^;]+; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax\r\nSet-Cookie: refresh_token=ey[^;]+; Path=\/; Max-Age=604800; HttpOnly; SameSite=Lax\r\n/,
  qr/Set-Cookie: access_token=/,
  qr/Content-Type: application\/json/,
  qr/Cache-Control: no-store/,
  qr/X-Content-Type-Options: nosniff/,
]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: register validation, in Bedrud's order
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[
  "POST /api/auth/register\n{\"email\":\"not-an-address\",\"password\":\"$::pw\",\"name\":\"Al\"}",
  "POST /api/auth/register\n{\"email\":\"Bob <b$::n\@x.io>\",\"password\":\"$::pw\",\"name\":\"Al\"}",
  "POST /api/auth/register\n{\"email\":\"v$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"A\"}",
  "POST /api/auth/register\n{\"email\":\"v$::n\@example.com\",\"password\":\"short\",\"name\":\"Al\"}",
  "POST /api/auth/register\n{\"email\":\"v$::n\@example.com\",\"password\":\"" . ('p' x 129) . "\",\"name\":\"Al\"}",
  "POST /api/auth/register\n{\"email\":\"v$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"" . ('n' x 101) . "\"}",
  "POST /api/auth/register\n{\"email\":\"v$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\\r\\nX-Evil: 1\"}",
  "POST /api/auth/register\n{\"email\":\"v$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\\u0000ice\"}",
  "POST /api/auth/register\n{\"email\":42,\"password\":\"$::pw\",\"name\":\"Al\"}",
  "POST /api/auth/register\n{\"email\":\"v$::n\@example.com\",\"password\":[\"x\"],\"name\":\"Al\"}",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 400, 400]
--- response_body eval
[
  '{"error":"Invalid email format"}',
  '{"error":"Invalid email format"}',
  '{"error":"Name must be at least 2 characters"}',
  '{"error":"Password must be at least 12 characters"}',
  '{"error":"Password must be at most 128 characters"}',
  '{"error":"Name must be at most 100 characters"}',
  '{"error":"Name contains invalid characters"}',
  '{"error":"Name contains invalid characters"}',
  '{"error":"Invalid input"}',
  '{"error":"Invalid input"}',
]
--- no_error_log
[alert]
[emerg]



=== TEST 3: registration switches and invite tokens
--- http_config eval: $::http_config_db5
--- config
    location /api/ { bedrud_api; }
--- request eval
[
  "POST /api/auth/register\n{\"email\":\"s$::n\@example.com\",\"password\":\"x\",\"name\":\"Al\"}",
  "GET /api/auth/settings",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[403, 200]
--- response_body eval
[
  '{"error":"Registration is currently disabled"}',
  '{"registrationEnabled":false,"tokenRegistrationOnly":false,"passkeysEnabled":false,"oauthProviders":[]}',
]



=== TEST 4: invite-only registration: missing, unknown, used, then valid
--- http_config eval: $::http_config_db6
--- config
    location /api/ { bedrud_api; }
--- request eval
[
  "POST /api/auth/register\n{\"email\":\"i$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\"}",
  "POST /api/auth/register\n{\"email\":\"i$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\",\"inviteToken\":\"nope\"}",
  "POST /api/auth/register\n{\"email\":\"i$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\",\"inviteToken\":\"old$::n\"}",
  "POST /api/auth/register\n{\"email\":\"i$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\",\"inviteToken\":\"inv$::n\"}",
  "POST /api/auth/register\n{\"email\":\"j$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\",\"inviteToken\":\"inv$::n\"}",
  "GET /api/auth/settings",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[403, 403, 403, 200, 403, 200]
--- response_body_like eval
[
  qr/^\{"error":"An invite token is required to register"\}$/,
  qr/^\{"error":"Invalid or expired invite token"\}$/,
  qr/^\{"error":"Invalid or expired invite token"\}$/,
  qr/^\{"user":\{"id"/,
  qr/^\{"error":"Invalid or expired invite token"\}$/,
  qr/"tokenRegistrationOnly":true/,
]
--- no_error_log
[alert]



=== TEST 5: guest login
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[
  "POST /api/auth/guest-login\n{\"name\":\"Guest Gus\"}",
  "POST /api/auth/guest-login\n{\"name\":\"\"}",
  "POST /api/auth/guest-login\n{}",
  "POST /api/auth/guest-login\n{\"name\":7}",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 400, 400, 400]
--- response_body_like eval
[
  qr/^\{"user":\{"id":"([0-9a-f-]{36})","email":"guest_\1\@bedrud\.guest","name":"Guest Gus","provider":"guest","avatarUrl":"","accesses":\["guest"\],"isActive":true,.*"tokens":\{"accessToken":"ey/,
  qr/^\{"error":"Name is required"\}$/,
  qr/^\{"error":"Name is required"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
]



=== TEST 6: me, rename, preferences with a session token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair(name => 'Fixture');
$::a6 = $a;
[
  "GET /api/auth/me",
  "PUT /api/auth/me\n{\"name\":\"Renamed\"}",
  "PUT /api/auth/me\n{\"name\":\"R\"}",
  "GET /api/auth/preferences",
  "PUT /api/auth/preferences\n{\"preferencesJson\":\"{\\\"theme\\\":\\\"dark\\\"}\"}",
  "GET /api/auth/preferences",
  "PUT /api/auth/preferences\n{\"preferencesJson\":\"{not json\"}",
  "PUT /api/auth/preferences\n{\"preferencesJson\":\"" . ('x' x 4097) . "\"}",
  "GET /api/auth/me/",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a6"
--- error_code eval
[200, 200, 400, 200, 200, 200, 400, 413, 200]
--- response_body_like eval
[
  qr/^\{"id":"[0-9a-f-]{36}","email":"u[^"]+","name":"Fixture","provider":"local","avatarUrl":"","accesses":\["user"\],"isActive":true,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"\}$/,
  qr/^\{"id":"[^"]+",.*"name":"Renamed",.*"updatedAt":"20\d\d-\d\d-\d\dT[^"]+Z"\}$/,
  qr/^\{"error":"Name must be at least 2 characters"\}$/,
  qr/^\{"preferencesJson":"\{\}"\}$/,
  qr/^\{"message":"Preferences updated"\}$/,
  qr/^\{"preferencesJson":"\{\\"theme\\":\\"dark\\"\}"\}$/,
  qr/^\{"error":"preferencesJson must be valid JSON"\}$/,
  qr/^\{"error":"preferencesJson too large \(max 4 KB\)"\}$/,
  qr/"name":"Renamed"/,
]



=== TEST 7: a deleted user's /me is 200 null (as Bedrud)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair(no_user => 1);
$::a7 = $a;
"GET /api/auth/me"
--- more_headers eval
"Authorization: $::a7"
--- error_code: 200
--- response_body chomp
null



=== TEST 8: refresh rotates; the rotated token replayed revokes the session (no grace: t/105-refresh-grace.t has it)
--- http_config eval: $::http_config_nograce
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r) = BedrudTest::mint_pair(name => 'Rot');
$::a8 = $a;
[
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}",
  "GET /api/auth/me",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a8"
--- error_code eval
[200, 401, 401]
--- response_body_like eval
[
  qr/^\{"access_token":"ey[\w-]+\.[\w-]+\.[\w-]+","refresh_token":"ey[\w-]+\.[\w-]+\.[\w-]+"\}$/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
  qr/^\{"error":"Invalid token"\}$/,
]



=== TEST 8b: replaying a rotated refresh token is logged
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r, $fam) = BedrudTest::mint_pair();
# the session has moved on to another token: $r is a replay
BedrudTest::redis_cli('HSET', "bedrud:session:{$uid}:$fam", 'jti', 'rotated');
"POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}"
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body chomp
{"error":"Invalid or expired refresh token"}
--- error_log
refresh token reuse detected



=== TEST 9: refresh from the cookie with no body (Bedrud's web client), errors
--- http_config eval: $::http_config_nograce
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r) = BedrudTest::mint_pair();
$::r9 = $r;
[
  "POST /api/auth/refresh",
  "POST /api/auth/refresh\n{\"refresh_token\":\"garbage\"}",
  "POST /api/auth/refresh\nnot json at all",
]
--- more_headers eval
"Cookie: refresh_token=$::r9\nOrigin: http://localhost"
--- error_code eval
[200, 401, 401]
--- response_body_like eval
[
  qr/^\{"access_token":"ey/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
]



=== TEST 10: refresh with no token at all
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
POST /api/auth/refresh
--- error_code: 400
--- response_body chomp
{"error":"No refresh token provided"}



=== TEST 11: refresh re-reads the user: a deactivated user cannot refresh
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r) = BedrudTest::mint_pair(inactive => 1);
"POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}"
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body chomp
{"error":"Invalid or expired refresh token"}



=== TEST 12: refresh picks up a promotion at once
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
"POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like eval
use MIME::Base64 qw(decode_base64url);
qr/"access_token":"ey[\w-]+\.([\w-]+)\./
--- response_body_unlike
"error"



=== TEST 13: logout revokes access and refresh; cookies cleared; other devices stay
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r) = BedrudTest::mint_pair();
my (undef, $a2, $r2) = BedrudTest::mint_pair(uid => $uid, no_user => 1);
$::a13 = $a; $::a13b = $a2;
[
  "POST /api/auth/logout\n{\"refresh_token\":\"$r\"}",
  "GET /api/auth/me",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r2\"}",
]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Bearer $::a13",
 "Authorization: Bearer $::a13",
 "Content-Type: application/json",
 "Content-Type: application/json"]
--- error_code eval
[200, 401, 401, 200]
--- response_body_like eval
[
  qr/^\{"message":"Successfully logged out"\}$/,
  qr/^\{"error":"Invalid token"\}$/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
  qr/^\{"access_token":"ey/,
]
--- raw_response_headers_like eval
[
  qr/Set-Cookie: access_token=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax\r\nSet-Cookie: refresh_token=; Path=\/; Max-Age=0;/,
  qr/WWW-Authenticate: Bearer/,
  qr/HTTP\/1.1 401/,
  qr/HTTP\/1.1 200/,
]



=== TEST 14: logout needs a JSON body and a token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a14 = $a;
[
  "POST /api/auth/logout\nnot json",
  "POST /api/auth/logout\n{}",
]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Bearer $::a14",
 "Content-Type: application/json"]
--- error_code eval
[400, 401]
--- response_body eval
[
  '{"error":"Invalid input - expected JSON with refresh_token field"}',
  '{"error":"Missing authorization"}',
]



=== TEST 15: password change: wrong current, too short, success ends other sessions
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "pw$::n\@example.com";
my ($uid, $a1) = BedrudTest::mint_pair(email => $e,
                                       pwhash => $BedrudTest::PW_HASH);
my (undef, $a2) = BedrudTest::mint_pair(uid => $uid, no_user => 1, email => $e);
$::a16 = $a1; $::a16b = $a2;
[
  "PUT /api/auth/password\n{\"currentPassword\":\"wrong horse battery\",\"newPassword\":\"another long secret\"}",
  "PUT /api/auth/password\n{\"currentPassword\":\"$::pw\",\"newPassword\":\"short\"}",
  "PUT /api/auth/password\n{\"currentPassword\":\"$::pw\",\"newPassword\":\"another long secret\"}",
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"$::pw\"}",
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"another long secret\"}",
  "GET /api/auth/me",
  "GET /api/auth/me",
]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Bearer $::a16",
 "Content-Type: application/json\nAuthorization: Bearer $::a16",
 "Content-Type: application/json\nAuthorization: Bearer $::a16",
 "Content-Type: application/json",
 "Content-Type: application/json",
 "Authorization: Bearer $::a16",
 "Authorization: Bearer $::a16b"]
--- error_code eval
[400, 400, 200, 401, 200, 200, 401]
--- response_body_like eval
[
  qr/^\{"error":"current password is incorrect"\}$/,
  qr/^\{"error":"New password must be at least 12 characters"\}$/,
  qr/^\{"message":"Password updated successfully"\}$/,
  qr/^\{"error":"Invalid credentials"\}$/,
  qr/^\{"user":/,
  qr/"email":"pw\d+\@example.com"/,
  qr/^\{"error":"Invalid token"\}$/,
]



=== TEST 16: login upgrades a hash made with older parameters
--- http_config eval: BedrudTest::http_config(extra => '') =~ s/ln=10/ln=11/r
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "up$::n\@example.com";
BedrudTest::mint_pair(email => $e, pwhash => $BedrudTest::PW_HASH);
$::e16 = $e;
[
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"$::pw\"}",
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"$::pw\"}",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"user":/, qr/^\{"user":/]



=== TEST 17: guests have no password to change; deactivated users cannot log in
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $g) = BedrudTest::mint_pair(provider => 'guest');
$::a17 = $g;
"PUT /api/auth/password\n{\"currentPassword\":\"\",\"newPassword\":\"a long enough secret\"}"
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a17"
--- error_code: 400
--- response_body chomp
{"error":"password change is only available for local accounts"}



=== TEST 18: a password with a NUL appended does not log in (HMAC zero padding)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "nul$::n\@example.com";
BedrudTest::mint_pair(email => $e, pwhash => $BedrudTest::PW_HASH);
[
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"$::pw\\u0000\"}",
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"$::pw\\u0000\\u0000\"}",
  "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"$::pw\"}",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid credentials"\}$/, qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"user":/]



=== TEST 19: an unusable invite token is ignored when invites are not required
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
"POST /api/auth/register\n{\"email\":\"inv2$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Ivy\",\"inviteToken\":\"" . ('x' x 200) . "\\r\\n\"}"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like eval
qr/^\{"user":\{"id"/



=== TEST 20: failed logins of one address make its next logins wait, with a wrong password's answer; the right one afterwards works
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "Thr$::n\@example.com";
$::e20 = lc $e;
BedrudTest::mint_pair(email => lc $e, pwhash => $BedrudTest::PW_HASH);
my $bad = "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"not the password\"}";
my $good = "POST /api/auth/login\n{\"email\":\"" . lc($e) . "\",\"password\":\"$::pw\"}";
[($bad) x 4, $good]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 401, 401]
--- response_body eval
[('{"error":"Invalid credentials"}') x 5]



=== TEST 21: the wait ended: the right password logs in and forgets the failures
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- init
# four failures were counted and the wait has not grown since (the
# refused logins counted for nothing); let it end
my $k = "bedrud:loginfail:$::e20";
die "failures: " . BedrudTest::redis_cli('HGET', $k, 'n')
    unless BedrudTest::redis_cli('HGET', $k, 'n') eq '4';
BedrudTest::redis_cli('HSET', $k, 'until', time - 1);
--- request eval
["POST /api/auth/login\n{\"email\":\"$::e20\",\"password\":\"$::pw\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200]
--- response_body_like eval
[qr/^\{"user":/]



=== TEST 22: an address without an account is throttled the same way: the wait tells nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "nobody-thr$::n\@example.com";
$::e22 = $e;
[("POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"not the password\"}") x 5]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 401, 401]
--- response_body_like eval
[(qr/^\{"error":"Invalid credentials"\}$/) x 5]
--- no_error_log
[error]



=== TEST 23: its four failures are counted, the fifth login was refused unchecked
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- init
my $k = "bedrud:loginfail:$::e22";
my $n = BedrudTest::redis_cli('HGET', $k, 'n');
my $ttl = BedrudTest::redis_cli('TTL', $k);
die "failures $n, ttl $ttl" unless $n eq '4' && $ttl > 800 && $ttl <= 900;
--- request
GET /api/health
--- error_code: 200
