# Sign out everywhere: POST /api/auth/logout with {"all": true} ends every
# login session of the caller (every refresh-token family: access and
# refresh tokens of all of them stop working at once), clears the cookies,
# and leaves other users alone; a non-boolean "all" changes nothing.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config();

run_tests();

__DATA__

=== TEST 1: all: every session of the user ends, the access tokens at once; others stay
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r) = BedrudTest::mint_pair();
my (undef, $a2, $r2) = BedrudTest::mint_pair(uid => $uid, no_user => 1);
my (undef, $a3, $r3) = BedrudTest::mint_pair(uid => $uid, no_user => 1);
my (undef, $b, $rb) = BedrudTest::mint_pair();
@::t1 = ($a, $a2, $a3, $b);
$::u1 = $uid;
[
  "POST /api/auth/logout\n{\"all\":true}",
  "GET /api/auth/me",
  "GET /api/auth/me",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r2\"}",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r3\"}",
  "GET /api/auth/me",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$rb\"}",
]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Bearer $::t1[0]",
 "Authorization: Bearer $::t1[1]",
 "Authorization: Bearer $::t1[2]",
 "Content-Type: application/json",
 "Content-Type: application/json",
 "Content-Type: application/json",
 "Authorization: Bearer $::t1[3]",
 "Content-Type: application/json"]
--- error_code eval
[200, 401, 401, 401, 401, 401, 200, 200]
--- response_body_like eval
[
  qr/^\{"message":"Successfully logged out"\}$/,
  qr/^\{"error":"Invalid token"\}$/,
  qr/^\{"error":"Invalid token"\}$/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
  qr/^\{"id":"[0-9a-f-]{36}"/,
  qr/^\{"access_token":"ey/,
]
--- raw_response_headers_like eval
[
  qr/Set-Cookie: access_token=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax\r\nSet-Cookie: refresh_token=; Path=\/; Max-Age=0;/,
  qr/WWW-Authenticate: Bearer/,
  qr/WWW-Authenticate: Bearer/,
  qr/HTTP\/1.1 401/,
  qr/HTTP\/1.1 401/,
  qr/HTTP\/1.1 401/,
  qr/HTTP\/1.1 200/,
  qr/HTTP\/1.1 200/,
]



=== TEST 2: in Redis: the session records and the session set are gone, each family logged
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, undef, $fam) = BedrudTest::mint_pair();
my (undef, undef, undef, $fam2) = BedrudTest::mint_pair(uid => $uid, no_user => 1);
# the caller's own family, even when the set no longer lists it
BedrudTest::redis_cli('SREM', "bedrud:sessions:{$uid}", $fam);
$::a2 = $a; $::u2 = $uid; @::f2 = ($fam, $fam2);
[
  "POST /api/auth/logout\n{\"all\":true,\"refresh_token\":\"\"}",
]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Bearer $::a2"]
--- error_code eval
[200]
--- response_body_filters eval
sub {
    my $b = shift;
    my @left = grep { BedrudTest::redis_cli('EXISTS', $_) ne '0' }
        ("bedrud:sessions:{$::u2}", map { "bedrud:session:{$::u2}:$_" } @::f2);
    my $log = BedrudTest::redis_cli('ZRANGE', 'bedrud:revlog', 0, -1);
    my @unlogged = grep { $log !~ /^\Q$_\E \d+$/m } @::f2;
    return "left: @left; not in the revocation log: @unlogged" if @left || @unlogged;
    return $b;
}
--- response_body chomp
{"message":"Successfully logged out"}



=== TEST 3: all false is a plain logout (other sessions stay); a non-boolean all changes nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
my (undef, $a2, $r2) = BedrudTest::mint_pair(uid => $uid, no_user => 1);
my ($v, $av) = BedrudTest::mint_pair();
$::a3 = $a; $::a3b = $a2; $::a3v = $av;
[
  "POST /api/auth/logout\n{\"all\":\"yes\"}",
  "POST /api/auth/logout\n{\"all\":1}",
  "GET /api/auth/me",
  "POST /api/auth/logout\n{\"all\":false}",
  "GET /api/auth/me",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$r2\"}",
]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Bearer $::a3v",
 "Content-Type: application/json\nAuthorization: Bearer $::a3v",
 "Authorization: Bearer $::a3v",
 "Content-Type: application/json\nAuthorization: Bearer $::a3",
 "Authorization: Bearer $::a3b",
 "Content-Type: application/json"]
--- error_code eval
[400, 400, 200, 200, 200, 200]
--- response_body_like eval
[
  qr/^\{"error":"Invalid input - expected JSON with refresh_token field"\}$/,
  qr/^\{"error":"Invalid input - expected JSON with refresh_token field"\}$/,
  qr/^\{"id":"[0-9a-f-]{36}"/,
  qr/^\{"message":"Successfully logged out"\}$/,
  qr/^\{"id":"[0-9a-f-]{36}"/,
  qr/^\{"access_token":"ey/,
]



=== TEST 4: all needs a signed-in caller
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
POST /api/auth/logout
{"all":true}
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body chomp
{"error":"Missing authorization"}
