# The administration API (superadmin only): rooms, users, user status and
# roles, the settings record and invite tokens, success and error paths.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config();
our $n = int(rand(1_000_000_000));

# blocks that list or switch global state use databases of their own
for my $db (10 .. 15) {
    local $BedrudTest::DB = $db;
    redis_cli('FLUSHDB');
}
our $http_config_db10 = http_config(db => 10);
our $http_config_db11 = http_config(db => 11);
our $http_config_db12 = http_config(db => 12);
our $http_config_db13 = http_config(db => 13);
our $http_config_db15 = http_config(db => 15);

our $settings = '{"allowChat":true,"allowVideo":false,"allowAudio":true,'
    . '"requireApproval":false,"e2ee":true}';

# A room record as rooms.lua stores it, indexed for the owner and the
# admin listing; returns its id.
sub room_fixture {
    my (%o) = @_;
    my $rid = $o{id} // uuid();
    my $owner = $o{owner};
    my $score = $o{score} // time * 1000;
    redis_cli('HSET', "bedrud:room:{$rid}", 'id', $rid, 'name', $o{name},
        'createdBy', $owner, 'adminId', $owner,
        'isActive', ($o{inactive} ? '0' : '1'),
        'maxParticipants', $o{max} // 20, 'isPublic', '0',
        'mode', 'standard', 'settings', $o{settings} // $::settings,
        'createdAt', '2026-01-02T03:04:05Z',
        'updatedAt', '2026-01-02T03:04:05Z',
        'expiresAt', '2026-01-03T03:04:05Z',
        'createdAtUnix', int($score / 1000));
    redis_cli('ZADD', 'bedrud:rooms', $score, $rid);
    redis_cli('ZADD', "bedrud:user:{$owner}:rooms", $score, $rid);
    return $rid;
}

# the Room object of a fixture, as the API shows it
sub room_json {
    my ($rid, $name, $owner, %o) = @_;
    my $active = $o{inactive} ? 'false' : 'true';
    my $s = $o{settings} // $::settings;
    return qq({"id":"$rid","name":"$name","createdBy":"$owner",)
        . qq("isActive":$active,"maxParticipants":20,)
        . qq("createdAt":"2026-01-02T03:04:05Z",)
        . qq("updatedAt":"2026-01-02T03:04:05Z",)
        . qq("expiresAt":"2026-01-03T03:04:05Z","adminId":"$owner",)
        . qq("isPublic":false,"settings":$s,"mode":"standard"});
}

run_tests();

__DATA__

=== TEST 1: no token: 401 on known and unknown admin paths
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[
  "GET /api/admin/users",
  "GET /api/admin/rooms",
  "PUT /api/admin/settings\n{\"registrationEnabled\":false}",
  "DELETE /api/admin/invite-tokens/x",
  "GET /api/admin/no-such-thing",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 401, 401]
--- response_body eval
[
  '{"error":"Missing authorization"}',
  '{"error":"Missing authorization"}',
  '{"error":"Missing authorization"}',
  '{"error":"Missing authorization"}',
  '{"error":"Missing authorization"}',
]
--- raw_response_headers_like eval
[
  qr/WWW-Authenticate: Bearer/,
  qr/WWW-Authenticate: Bearer/,
  qr/WWW-Authenticate: Bearer/,
  qr/WWW-Authenticate: Bearer/,
  qr/WWW-Authenticate: Bearer/,
]



=== TEST 2: not a superadmin ("admin" is not enough): 403 on every endpoint
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'admin']);
$::a2 = $a;
[
  "GET /api/admin/rooms",
  "PUT /api/admin/rooms/r1\n{\"maxParticipants\":5}",
  "DELETE /api/admin/rooms/r1",
  "GET /api/admin/users",
  "GET /api/admin/users/u1",
  "PUT /api/admin/users/u1/status\n{\"active\":false}",
  "PUT /api/admin/users/u1/accesses\n{\"accesses\":[\"superadmin\"]}",
  "GET /api/admin/settings",
  "PUT /api/admin/settings\n{\"registrationEnabled\":false}",
  "GET /api/admin/invite-tokens",
  "POST /api/admin/invite-tokens\n{}",
  "DELETE /api/admin/invite-tokens/i1",
  "GET /api/admin/no-such-thing",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a2"
--- error_code eval
[(403) x 13]
--- response_body eval
[('{"error":"Insufficient access rights"}') x 13]



=== TEST 3: a superadmin gets 404 for unknown admin paths
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a3 = $a;
[
  "GET /api/admin/no-such-thing",
  "POST /api/admin/rooms/r1/token",
]
--- more_headers eval
"Authorization: Bearer $::a3"
--- error_code eval
[404, 404]
--- response_body eval
['{"error":"not found"}', '{"error":"not found"}']



=== TEST 4: user listing: newest first, paging, Bedrud's echo of page/limit
--- http_config eval: $::http_config_db10
--- config
    location /api/ { bedrud_api; }
--- request eval
local $BedrudTest::DB = 10;
for my $i (1 .. 3) {
    my ($uid) = BedrudTest::mint_pair(
        uid => "00000000-0000-4000-8000-00000000000$i",
        email => "p$i\@example.com", name => "P$i",
        accesses => ($i == 3 ? ['user', 'admin'] : ['user']),
        inactive => ($i == 2));
    BedrudTest::redis_cli('ZADD', 'bedrud:users', 1000 * $i, $uid);
}
# any zone: shown in UTC
BedrudTest::redis_cli('HSET', 'bedrud:user:{00000000-0000-4000-8000-000000000003}',
                      'createdAt', '2026-03-04T05:06:07.123456+03:30');
# a stale index entry is skipped
BedrudTest::redis_cli('ZADD', 'bedrud:users', 500, 'gone');
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a4 = $a;
[
  "GET /api/admin/users",
  "GET /api/admin/users?page=2&limit=2",
  "GET /api/admin/users?page=9&limit=2",
  "GET /api/admin/users?page=0&limit=500",
  "GET /api/admin/users?page=-3&limit=1",
  "GET /api/admin/users?page=&limit=",
  "GET /api/admin/users?page=abc",
  "GET /api/admin/users?limit=1.5",
  "GET /api/admin/users?page=1e3",
  "GET /api/admin/users?page=12345678901",
  "GET /api/admin/users?page=-99999999999999999999&limit=99999999999999999999",
]
--- more_headers eval
"Authorization: Bearer $::a4"
--- error_code eval
[200, 200, 200, 200, 200, 200, 400, 400, 400, 200, 200]
--- response_body eval
my $u3 = '{"id":"00000000-0000-4000-8000-000000000003","email":"p3@example.com","name":"P3","provider":"local","isActive":true,"isAdmin":true,"accesses":["user","admin"],"createdAt":"2026-03-04 01:36:07"}';
my $u2 = '{"id":"00000000-0000-4000-8000-000000000002","email":"p2@example.com","name":"P2","provider":"local","isActive":false,"isAdmin":false,"accesses":["user"],"createdAt":"2026-01-01 00:00:00"}';
my $u1 = '{"id":"00000000-0000-4000-8000-000000000001","email":"p1@example.com","name":"P1","provider":"local","isActive":true,"isAdmin":false,"accesses":["user"],"createdAt":"2026-01-01 00:00:00"}';
[
  qq({"users":[$u3,$u2,$u1],"total":4,"page":1,"limit":50}),
  qq({"users":[$u1],"total":4,"page":2,"limit":2}),
  qq({"users":[],"total":4,"page":9,"limit":2}),
  qq({"users":[$u3,$u2,$u1],"total":4,"page":0,"limit":500}),
  qq({"users":[$u3],"total":4,"page":-3,"limit":1}),
  qq({"users":[$u3,$u2,$u1],"total":4,"page":1,"limit":50}),
  '{"error":"Invalid input"}',
  '{"error":"Invalid input"}',
  '{"error":"Invalid input"}',
  qq({"users":[],"total":4,"page":1000000000,"limit":50}),
  qq({"users":[$u3,$u2,$u1],"total":4,"page":-1000000000,"limit":1000000000}),
]



=== TEST 5: one user with the rooms it created; unknown users are 404
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid) = BedrudTest::mint_pair(name => 'Owner', email => "own$::n\@example.com");
my ($lonely) = BedrudTest::mint_pair(name => 'Lonely', email => "lonely$::n\@example.com");
my $r1 = ::room_fixture(owner => $uid, name => "old-$::n", score => 1000);
my $r2 = ::room_fixture(owner => $uid, name => "new-$::n", score => 2000,
                        inactive => 1);
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a5 = $a;
$::body5 = [
  qq({"user":{"id":"$uid","email":"own$::n\@example.com","name":"Owner","provider":"local","isActive":true,"isAdmin":false,"accesses":["user"],"createdAt":"2026-01-01 00:00:00"},"rooms":[)
  . ::room_json($r2, "new-$::n", $uid, inactive => 1) . ','
  . ::room_json($r1, "old-$::n", $uid) . ']}',
  qq({"user":{"id":"$lonely","email":"lonely$::n\@example.com","name":"Lonely","provider":"local","isActive":true,"isAdmin":false,"accesses":["user"],"createdAt":"2026-01-01 00:00:00"},"rooms":[]}),
  '{"error":"User not found"}',
  '{"error":"User not found"}',
];
[
  "GET /api/admin/users/$uid",
  "GET /api/admin/users/$lonely",
  "GET /api/admin/users/" . BedrudTest::uuid(),
  "GET /api/admin/users/" . ('a' x 65),
]
--- more_headers eval
"Authorization: Bearer $::a5"
--- error_code eval
[200, 200, 404, 404]
--- response_body eval
$::body5



=== TEST 6: room listing: newest first with settings (e2ee), paging, bad input
--- http_config eval: $::http_config_db11
--- config
    location /api/ { bedrud_api; }
--- request eval
local $BedrudTest::DB = 11;
my $owner = BedrudTest::uuid();
my @r = map {
    ::room_fixture(owner => $owner, name => "room-$_", score => 1000 * $_,
                   id => "00000000-0000-4000-8000-00000000000$_",
                   ($_ == 2 ? (settings => '{"allowChat":false,"allowVideo":true,"allowAudio":true,"requireApproval":true,"e2ee":false}') : ()))
} 1 .. 3;
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a6 = $a;
my $j1 = ::room_json($r[0], 'room-1', $owner);
my $j2 = ::room_json($r[1], 'room-2', $owner, settings => '{"allowChat":false,"allowVideo":true,"allowAudio":true,"requireApproval":true,"e2ee":false}');
my $j3 = ::room_json($r[2], 'room-3', $owner);
$::body6 = [
  qq({"rooms":[$j3,$j2,$j1],"total":3,"page":1,"limit":50}),
  qq({"rooms":[$j2],"total":3,"page":2,"limit":1}),
  qq({"rooms":[],"total":3,"page":4,"limit":1}),
  qq({"rooms":[$j3,$j2,$j1],"total":3,"page":-1,"limit":101}),
  '{"error":"Invalid input"}',
  '{"error":"Invalid input"}',
];
[
  "GET /api/admin/rooms",
  "GET /api/admin/rooms?limit=1&page=2",
  "GET /api/admin/rooms?limit=1&page=4",
  "GET /api/admin/rooms?page=-1&limit=101",
  "GET /api/admin/rooms?page=two",
  "GET /api/admin/rooms?limit=-",
]
--- more_headers eval
"Authorization: Bearer $::a6"
--- error_code eval
[200, 200, 200, 200, 400, 400]
--- response_body eval
$::body6



=== TEST 7: room update: capacity, partial then full settings; bad input changes nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $owner = BedrudTest::uuid();
my $rid = ::room_fixture(owner => $owner, name => "upd-$::n");
$::rid7 = $rid;
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a7 = $a;
[
  "PUT /api/admin/rooms/$rid\n{\"maxParticipants\":\"ten\"}",
  "PUT /api/admin/rooms/$rid\n{\"maxParticipants\":7.5}",
  "PUT /api/admin/rooms/$rid\n{\"settings\":true}",
  "PUT /api/admin/rooms/$rid\n{\"maxParticipants\":3,\"settings\":{\"e2ee\":\"no\"}}",
  "PUT /api/admin/rooms/$rid\nnot json",
  "PUT /api/admin/rooms/$rid\n{}",
  "PUT /api/admin/rooms/$rid\n{\"maxParticipants\":5,\"settings\":{\"e2ee\":false}}",
  "PUT /api/admin/rooms/$rid\n{\"Settings\":{\"allowVideo\":true,\"requireApproval\":true}}",
  "PUT /api/admin/rooms/$rid\n{\"settings\":{\"allowChat\":false,\"allowVideo\":false,\"allowAudio\":false,\"requireApproval\":false,\"e2ee\":true}}",
  "PUT /api/admin/rooms/" . BedrudTest::uuid() . "\n{\"maxParticipants\":5}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a7"
--- error_code eval
[400, 400, 400, 400, 400, 200, 200, 200, 200, 404]
--- response_body_like eval
[
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"id":"$::rid7","name":"upd-\d+","createdBy":"[^"]+","isActive":true,"maxParticipants":20,"createdAt":"2026-01-02T03:04:05Z","updatedAt":"20\d\d-[^"]+Z","expiresAt":"2026-01-03T03:04:05Z","adminId":"[^"]+","isPublic":false,"settings":\{"allowChat":true,"allowVideo":false,"allowAudio":true,"requireApproval":false,"e2ee":true\},"mode":"standard"\}$/,
  qr/"maxParticipants":5,.*"settings":\{"allowChat":true,"allowVideo":false,"allowAudio":true,"requireApproval":false,"e2ee":false\}/,
  qr/"maxParticipants":5,.*"settings":\{"allowChat":true,"allowVideo":true,"allowAudio":true,"requireApproval":true,"e2ee":false\}/,
  qr/"maxParticipants":5,.*"settings":\{"allowChat":false,"allowVideo":false,"allowAudio":false,"requireApproval":false,"e2ee":true\}/,
  qr/^\{"error":"Room not found"\}$/,
]



=== TEST 8: admin "delete" closes the room and keeps it; unknown rooms are 404
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $owner = BedrudTest::uuid();
my $rid = ::room_fixture(owner => $owner, name => "close-$::n");
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a8 = $a;
[
  "DELETE /api/admin/rooms/$rid",
  "PUT /api/admin/rooms/$rid\n{}",
  "DELETE /api/admin/rooms/$rid",
  "DELETE /api/admin/rooms/" . BedrudTest::uuid(),
  "DELETE /api/admin/rooms/bad%7Bid%7D",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a8"
--- error_code eval
[200, 200, 200, 404, 404]
--- response_body_like eval
[
  qr/^\{"status":"success"\}$/,
  qr/^\{"id":"[^"]+","name":"close-\d+","createdBy":"[^"]+","isActive":false,/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
]



=== TEST 9: deactivation ends the user's sessions at once, reactivation restores login
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $ua, $ur) = BedrudTest::mint_pair(email => "deact$::n\@example.com");
# a second device of the same user
my (undef, $ua2) = BedrudTest::mint_pair(uid => $uid, no_user => 1,
                                         email => "deact$::n\@example.com");
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::uid9 = $uid; $::u9 = $ua; $::u9b = $ua2; $::a9 = $a; $::r9 = $ur;
[
  "GET /api/auth/me",
  "PUT /api/admin/users/$uid/status\n{\"active\":false}",
  "GET /api/auth/me",
  "GET /api/auth/me",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$ur\"}",
  "GET /api/admin/users/$uid",
  "PUT /api/admin/users/$uid/status\n{\"active\":true}",
  "GET /api/admin/users/$uid",
  "PUT /api/admin/users/" . BedrudTest::uuid() . "/status\n{\"active\":false}",
]
--- more_headers eval
[
  "Authorization: Bearer $::u9",
  "Content-Type: application/json\nAuthorization: Bearer $::a9",
  "Authorization: Bearer $::u9",
  "Authorization: Bearer $::u9b",
  "Content-Type: application/json",
  "Authorization: Bearer $::a9",
  "Content-Type: application/json\nAuthorization: Bearer $::a9",
  "Authorization: Bearer $::a9",
  "Content-Type: application/json\nAuthorization: Bearer $::a9",
]
--- error_code eval
[200, 200, 401, 401, 401, 200, 200, 200, 404]
--- response_body_like eval
[
  qr/^\{"id":"$::uid9",.*"isActive":true,/,
  qr/^\{"message":"User status updated successfully"\}$/,
  qr/^\{"error":"Invalid token"\}$/,
  qr/^\{"error":"Invalid token"\}$/,
  qr/^\{"error":"Invalid or expired refresh token"\}$/,
  qr/^\{"user":\{"id":"$::uid9",.*"isActive":false,.*\},"rooms":\[\]\}$/,
  qr/^\{"message":"User status updated successfully"\}$/,
  qr/^\{"user":\{"id":"$::uid9",.*"isActive":true,/,
  qr/^\{"error":"User not found"\}$/,
]



=== TEST 9b: a deactivation is logged with the sessions it ended
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid) = BedrudTest::mint_pair();
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a9b = $a;
"PUT /api/admin/users/$uid/status\n{\"active\":false}"
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a9b"
--- error_code: 200
--- response_body chomp
{"message":"User status updated successfully"}
--- error_log eval
qr/deactivated by "[0-9a-f-]{36}": 1 login sessions ended/



=== TEST 10: status needs a boolean "active" (Bedrud deactivated on a missing field)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $ua) = BedrudTest::mint_pair();
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::uid10 = $uid; $::u10 = $ua; $::a10 = $a;
[
  "PUT /api/admin/users/$uid/status\n{}",
  "PUT /api/admin/users/$uid/status\n{\"isActive\":false}",
  "PUT /api/admin/users/$uid/status\n{\"active\":null}",
  "PUT /api/admin/users/$uid/status\n{\"active\":\"false\"}",
  "PUT /api/admin/users/$uid/status\n{\"active\":0}",
  "PUT /api/admin/users/$uid/status\nnot json",
  "GET /api/admin/users/$uid",
  "GET /api/auth/me",
]
--- more_headers eval
[
  ("Content-Type: application/json\nAuthorization: Bearer $::a10") x 7,
  "Authorization: Bearer $::u10",
]
--- error_code eval
[400, 400, 400, 400, 400, 400, 200, 200]
--- response_body_like eval
[
  (qr/^\{"error":"Invalid input"\}$/) x 6,
  qr/^\{"user":\{"id":"$::uid10",.*"isActive":true,/,
  qr/^\{"id":"$::uid10",.*"isActive":true,/,
]



=== TEST 11: roles: replaced, deduplicated, validated; 404 for unknown users
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid) = BedrudTest::mint_pair();
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::uid11 = $uid; $::a11 = $a;
[
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[\"user\",\"admin\",\"user\",\"moder_ator-2\"]}",
  "GET /api/admin/users/$uid",
  "PUT /api/admin/users/$uid/accesses\n{}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":\"admin\"}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":null}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[]}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[\"Admin\"]}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[\"\"]}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[1]}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[\"" . ('r' x 33) . "\"]}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[" . CORE::join(',', map { "\"r$_\"" } 1 .. 17) . "]}",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[\"a b\"]}",
  "GET /api/admin/users/$uid",
  "PUT /api/admin/users/" . BedrudTest::uuid() . "/accesses\n{\"accesses\":[\"user\"]}",
  "PUT /api/admin/users/$uid/accesses\n{\"Accesses\":[\"" . ('r' x 32) . "\"]}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a11"
--- error_code eval
[200, 200, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 200, 404, 200]
--- response_body_like eval
my $bad = qr/^\{"error":"accesses must be 1 to 16 roles of at most 32 characters from a-z, 0-9, _ and -"\}$/;
[
  qr/^\{"message":"User accesses updated"\}$/,
  qr/^\{"user":\{"id":"$::uid11",.*"isAdmin":true,"accesses":\["user","admin","moder_ator-2"\],/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  $bad, $bad, $bad, $bad, $bad, $bad, $bad,
  qr/"accesses":\["user","admin","moder_ator-2"\],/,
  qr/^\{"error":"User not found"\}$/,
  qr/^\{"message":"User accesses updated"\}$/,
]



=== TEST 12: a new role reaches the user's tokens at the next refresh
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $ua, $ur) = BedrudTest::mint_pair();
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::u12 = $ua; $::a12 = $a;
[
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[\"user\",\"moderator\"]}",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$ur\"}",
]
--- more_headers eval
[
  "Content-Type: application/json\nAuthorization: Bearer $::a12",
  "Content-Type: application/json",
]
--- error_code eval
[200, 200]
--- response_body_filters eval
# the new access token's claims carry the new role
[
  [sub { $_[0] }],
  [sub {
      my ($p) = $_[0] =~ /"access_token":"[\w-]+\.([\w-]+)\./
          or return $_[0];
      require MIME::Base64;
      my $c = MIME::Base64::decode_base64url($p);
      return $c =~ /"accesses":\["user","moderator"\]/
          ? 'new role' : "claims without the new role: $c";
  }],
]
--- response_body eval
['{"message":"User accesses updated"}', 'new role']



=== TEST 12b: a role change holds at once: the access tokens issued before it are refused, the refresh keeps the session and has the new role
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $ua, $ur, $fam) = BedrudTest::mint_pair();
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::u12b = $ua; $::a12b = $a;
# what the refresh mints: the same session, the user's new version
$::v12b = BedrudTest::mint(uid => $uid, fam => $fam, ver => 1,
                           accesses => ['user', 'moderator']);
$::fam12b = $fam;
[
  "GET /api/auth/me",
  "PUT /api/admin/users/$uid/accesses\n{\"accesses\":[\"user\",\"moderator\"]}",
  "GET /api/auth/me",
  "POST /api/auth/refresh\n{\"refresh_token\":\"$ur\"}",
  "GET /api/auth/me",
]
--- more_headers eval
[
  "Authorization: Bearer $::u12b",
  "Content-Type: application/json\nAuthorization: Bearer $::a12b",
  "Authorization: Bearer $::u12b",
  "Content-Type: application/json",
  "Authorization: Bearer $::v12b",
]
--- error_code eval
[200, 200, 401, 200, 200]
--- response_body_filters eval
[
  [sub { $_[0] =~ /"accesses":\["user"\]/ ? 'old role' : $_[0] }],
  [sub { $_[0] }],
  [sub { $_[0] }],
  [sub {
      my ($p) = $_[0] =~ /"access_token":"[\w-]+\.([\w-]+)\./
          or return $_[0];
      require MIME::Base64;
      my $c = MIME::Base64::decode_base64url($p);
      return $c =~ /"accesses":\["user","moderator"\]/
                 && $c =~ /"fam":"$::fam12b"/ && $c =~ /"ver":1\b/
          ? 'new role, same session' : "claims: $c";
  }],
  [sub { $_[0] =~ /"accesses":\["user","moderator"\]/ ? 'new role' : $_[0] }],
]
--- response_body eval
['old role', '{"message":"User accesses updated"}', '{"error":"Invalid token"}',
 'new role, same session', 'new role']



=== TEST 12c: the last active superadmin can be neither demoted nor deactivated; with another one, both work
--- http_config eval: $::http_config_db15
--- config
    location /api/ { bedrud_api; }
--- request eval
local $BedrudTest::DB = 15;
# two superadmins not in the superadmins' index (made before it
# existed), and a third that is: the index alone does not tell that the
# other two are there when the third is deactivated
my ($s1, $a1) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($s2) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($s3) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($u) = BedrudTest::mint_pair();
BedrudTest::redis_cli('ZADD', 'bedrud:users', 1, $s1, 2, $s2, 3, $u, 4, $s3);
BedrudTest::redis_cli('SADD', 'bedrud:superadmins', $s3);
$::a12c = $a1;
[
  "PUT /api/admin/users/$s3/status\n{\"active\":false}",
  "PUT /api/admin/users/$s2/status\n{\"active\":false}",
  "PUT /api/admin/users/$s1/accesses\n{\"accesses\":[\"user\"]}",
  "PUT /api/admin/users/$s1/status\n{\"active\":false}",
  "PUT /api/admin/users/$u/accesses\n{\"accesses\":[\"user\",\"admin\"]}",
  "GET /api/admin/users/$s1",
  "PUT /api/admin/users/$s2/status\n{\"active\":true}",
  "PUT /api/admin/users/$s1/accesses\n{\"accesses\":[\"user\"]}",
  "GET /api/admin/users",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a12c"
--- error_code eval
[200, 200, 409, 409, 200, 200, 200, 200, 401]
--- response_body eval
my $last = '{"error":"the last active superadmin cannot be demoted or deactivated"}';
['{"message":"User status updated successfully"}',
 '{"message":"User status updated successfully"}', $last, $last,
 '{"message":"User accesses updated"}',
 qr/"isActive":true,"isAdmin":false,"accesses":\["user","superadmin"\]/,
 '{"message":"User status updated successfully"}',
 '{"message":"User accesses updated"}',
 '{"error":"Invalid token"}']



=== TEST 13: settings: Bedrud's whole record, partial updates change only what is sent, bad input changes nothing
--- http_config eval: $::http_config_db12
--- config
    location /api/ { bedrud_api; }
--- request eval
local $BedrudTest::DB = 12;
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a13 = $a;
[
  "GET /api/admin/settings",
  "PUT /api/admin/settings\n{\"tokenRegistrationOnly\":true}",
  "PUT /api/admin/settings\n{\"registrationEnabled\":false}",
  "PUT /api/admin/settings\n{\"registrationEnabled\":true,\"passkeysEnabled\":\"yes\"}",
  "PUT /api/admin/settings\n{\"tokenRegistrationOnly\":0}",
  "PUT /api/admin/settings\nnot json",
  "PUT /api/admin/settings\n{}",
  "PUT /api/admin/settings\n{\"PasskeysEnabled\":true,\"registrationEnabled\":null,\"jwtSecret\":\"x\"}",
  "PUT /api/admin/settings\n{\"googleClientId\":\"gid\",\"googleClientSecret\":\"gsecret\",\"githubClientSecret\":\"\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\",\"tokenDuration\":12,\"serverUseAcme\":true,\"logLevel\":\"debug\"}",
  "PUT /api/admin/settings\n{\"googleClientSecret\":\"\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\",\"jwtSecret\":\"\",\"googleClientId\":\"gid2\"}",
  "PUT /api/admin/settings\n{\"serverPort\":\"80\\r\\n\"}",
  "PUT /api/admin/settings\n{\"corsMaxAge\":-1}",
  "PUT /api/admin/settings\n{\"logLevel\":\"" . ('x' x 1025) . "\"}",
  "PUT /api/admin/settings\n{\"tokenDuration\":1.5}",
  "GET /api/admin/settings",
  "GET /api/auth/settings",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a13"
--- error_code eval
[200, 200, 200, 400, 400, 400, 200, 200, 200, 200, 400, 400, 400, 400, 200, 200]
--- response_body_like eval
# Bedrud's fields in its order, with ours (each one's value; true: acted on)
my @f = (
  [registrationEnabled => 'true', 1], [tokenRegistrationOnly => 'false', 1],
  [passkeysEnabled => 'false'], [googleClientId => '""'],
  [googleClientSecret => '""'], [googleRedirectUrl => '""'],
  [githubClientId => '""'], [githubClientSecret => '""'],
  [githubRedirectUrl => '""'], [twitterClientId => '""'],
  [twitterClientSecret => '""'], [twitterRedirectUrl => '""'],
  [jwtSecret => '""'], [tokenDuration => 24], [sessionSecret => '""'],
  [frontendUrl => '""'], [serverPort => '""'], [serverHost => '""'],
  [serverDomain => '""'], [serverEnableTls => 'false'],
  [serverCertFile => '""'], [serverKeyFile => '""'],
  [serverUseAcme => 'false'], [serverEmail => '""'],
  [behindProxy => 'false'], [livekitHost => '""'], [livekitApiKey => '""'],
  [livekitApiSecret => '""'], [livekitExternal => 'false'],
  [corsAllowedOrigins => '""'], [corsAllowedHeaders => '""'],
  [corsAllowedMethods => '""'], [corsAllowCredentials => 'false'],
  [corsMaxAge => 0], [chatUploadBackend => '""'],
  [chatUploadMaxBytes => 0, 1], [chatUploadInlineMax => 0],
  [chatUploadDiskDir => '""'], [chatUploadS3Endpoint => '""'],
  [chatUploadS3Bucket => '""'], [chatUploadS3Region => '""'],
  [chatUploadS3AccessKey => '""'], [chatUploadS3SecretKey => '""'],
  [chatUploadS3PublicUrl => '""'], [logLevel => '""'],
);
my $mask = qq("\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2");
my $rec = sub {
    my (%v) = @_;
    my $stamp = delete $v{updatedAt} ? '"20\d\d-\d\d-\d\dT[^"]+Z"' : 'null';
    my $body = CORE::join ',', map {
        my $val = exists $v{$_->[0]} ? $v{$_->[0]} : $_->[1];
        qq("$_->[0]":) . quotemeta($val)
    } @f;
    my $sup = CORE::join ',', map { qq("$_->[0]":) . ($_->[2] ? 'true' : 'false') } @f;
    qr/^\{"id":1,$body,"updatedAt":$stamp,"supported":\{$sup\}\}$/;
};
my $bad = qr/^\{"error":"Invalid input"\}$/;
my %s2 = (tokenRegistrationOnly => 'true', updatedAt => 1);
my %s3 = (%s2, registrationEnabled => 'false');
my %s8 = (%s3, passkeysEnabled => 'true', jwtSecret => $mask);
my %s9 = (%s8, googleClientId => '"gid"', googleClientSecret => $mask,
          tokenDuration => 12, serverUseAcme => 'true', logLevel => '"debug"');
my %s10 = (%s9, googleClientId => '"gid2"');
[
  $rec->(),
  $rec->(%s2),
  $rec->(%s3),
  $bad, $bad, $bad,
  $rec->(%s3),
  $rec->(%s8),
  $rec->(%s9),
  $rec->(%s10),
  $bad, $bad, $bad, $bad,
  $rec->(%s10),
  qr/^\{"registrationEnabled":false,"tokenRegistrationOnly":true,"passkeysEnabled":false,"oauthProviders":\[\]\}$/,
]



=== TEST 13b: the secrets sent masked or empty kept their values; none is ever answered
--- http_config eval: $::http_config_db12
--- config
    location /api/ { bedrud_api; }
--- init
local $BedrudTest::DB = 12;
Test::More::is(BedrudTest::redis_cli('HGET', 'bedrud:settings', 'googleClientSecret'),
               'gsecret', 'googleClientSecret kept (sent masked)');
Test::More::is(BedrudTest::redis_cli('HGET', 'bedrud:settings', 'jwtSecret'),
               'x', 'jwtSecret kept (sent empty)');
Test::More::is(BedrudTest::redis_cli('HEXISTS', 'bedrud:settings', 'githubClientSecret'),
               '0', 'the mask of an unset secret stores nothing');
--- request
GET /api/admin/settings
--- more_headers eval
"Authorization: Bearer $::a13"
--- response_body_unlike: gsecret



=== TEST 14: invite tokens: list, create, validate, delete (even unknown ids)
--- http_config eval: $::http_config_db13
--- config
    location /api/ { bedrud_api; }
--- request eval
local $BedrudTest::DB = 13;
my (undef, $a) = BedrudTest::mint_pair(uid => '00000000-0000-4000-8000-0000000000ad',
                                       accesses => ['user', 'superadmin']);
$::a14 = $a;
my $iid = '00000000-0000-4000-8000-00000000001d';
# an old, used invite; its id is deleted at the end
BedrudTest::redis_cli('HSET', 'bedrud:invite:0123456789abcdef0123456789abcdef',
    'id', $iid, 'token', '0123456789abcdef0123456789abcdef',
    'email', 'old@example.com', 'createdBy', 'someone',
    'createdAt', '2026-01-01T00:00:00Z', 'expiresAt', '2026-01-04T00:00:00Z',
    'expiresAtUnix', 1767484800, 'usedAt', '2026-01-02T00:00:00Z',
    'usedBy', 'newcomer');
BedrudTest::redis_cli('SET', "bedrud:inviteid:$iid",
                      '0123456789abcdef0123456789abcdef');
BedrudTest::redis_cli('ZADD', 'bedrud:invites', 1000,
                      '0123456789abcdef0123456789abcdef');
[
  "GET /api/admin/invite-tokens",
  "POST /api/admin/invite-tokens\n{\"email\":\"friend\@example.com\",\"expiresInHours\":2}",
  "POST /api/admin/invite-tokens\n{}",
  "POST /api/admin/invite-tokens\n{\"expiresInHours\":-5}",
  "POST /api/admin/invite-tokens\n{\"expiresInHours\":8761}",
  "POST /api/admin/invite-tokens\n{\"expiresInHours\":\"2\"}",
  "POST /api/admin/invite-tokens\n{\"email\":\"not an address\"}",
  "POST /api/admin/invite-tokens\n{\"email\":[]}",
  "POST /api/admin/invite-tokens\nnot json",
  "GET /api/admin/invite-tokens",
  "DELETE /api/admin/invite-tokens/$iid",
  "DELETE /api/admin/invite-tokens/$iid",
  "DELETE /api/admin/invite-tokens/" . ('x' x 100),
  "GET /api/admin/invite-tokens",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a14"
--- error_code eval
[200, 201, 201, 201, 400, 400, 400, 400, 400, 200, 200, 200, 200, 200]
--- response_body_like eval
my $old = '\{"id":"00000000-0000-4000-8000-00000000001d","token":"0123456789abcdef0123456789abcdef","email":"old@example.com","createdBy":"someone","expiresAt":"2026-01-04T00:00:00Z","usedAt":"2026-01-02T00:00:00Z","usedBy":"newcomer","createdAt":"2026-01-01T00:00:00Z","used":true\}';
my $new = '\{"id":"[0-9a-f-]{36}","token":"[0-9a-f]{32}","email":"[^"]*","createdBy":"00000000-0000-4000-8000-0000000000ad","expiresAt":"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ","usedAt":null,"usedBy":"","createdAt":"20\d\d-[^"]+Z","used":false\}';
[
  qr/^\{"tokens":\[$old\]\}$/,
  qr/^$new$/,
  qr/^\{"id":"[0-9a-f-]{36}","token":"[0-9a-f]{32}","email":"",/,
  qr/^$new$/,
  qr/^\{"error":"expiresInHours must be at most 8760"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid email format"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"error":"Invalid input"\}$/,
  qr/^\{"tokens":\[$new,$new,$new,$old\]\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"tokens":\[$new,$new,$new\]\}$/,
]



=== TEST 15: an invite's expiry: expiresInHours, else 72 hours
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a15 = $a;
[
  "POST /api/admin/invite-tokens\n{\"expiresInHours\":8760}",
  "POST /api/admin/invite-tokens\n{\"expiresInHours\":0}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a15"
--- error_code eval
[201, 201]
--- response_body_filters eval
use POSIX qw(strftime);
my $check = sub {
    my ($hours) = @_;
    return sub {
        my ($e) = $_[0] =~ /"expiresAt":"([^"]+)"/ or return $_[0];
        # a second may pass between the request and this check
        for my $d (-2 .. 2) {
            return 'ok' if $e eq strftime('%Y-%m-%dT%H:%M:%SZ',
                                          gmtime(time + $hours * 3600 + $d));
        }
        return "expiresAt $e is not now + $hours h";
    };
};
[[$check->(8760)], [$check->(72)]]
--- response_body eval
['ok', 'ok']



=== TEST 16: invite-only registration consumes an invite as stored here
--- http_config eval: BedrudTest::http_config(db => 14)
--- config
    location /api/ { bedrud_api; }
--- request eval
local $BedrudTest::DB = 14;
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a16 = $a;
my $tok = 'fedcba9876543210fedcba9876543210';
my $iid = BedrudTest::uuid();
BedrudTest::redis_cli('HSET', 'bedrud:settings', 'tokenRegistrationOnly', '1');
BedrudTest::redis_cli('HSET', "bedrud:invite:$tok", 'id', $iid,
    'token', $tok, 'email', '', 'createdBy', 'admin',
    'createdAt', '2026-01-01T00:00:00Z', 'expiresAt', '2099-01-01T00:00:00Z',
    'expiresAtUnix', time + 3600, 'usedAt', '', 'usedBy', '');
BedrudTest::redis_cli('SET', "bedrud:inviteid:$iid", $tok);
BedrudTest::redis_cli('ZADD', 'bedrud:invites', time, $tok);
my $pw = $BedrudTest::PW;
[
  "POST /api/auth/register\n{\"email\":\"inv$::n\@example.com\",\"password\":\"$pw\",\"name\":\"Invited\",\"inviteToken\":\"$tok\"}",
  "GET /api/admin/invite-tokens",
  "POST /api/auth/register\n{\"email\":\"inv2$::n\@example.com\",\"password\":\"$pw\",\"name\":\"Invited\",\"inviteToken\":\"$tok\"}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a16"
--- error_code eval
[200, 200, 403]
--- response_body_like eval
[
  qr/^\{"user":\{"id":"[0-9a-f-]{36}","email":"inv\d+\@example.com"/,
  qr/^\{"tokens":\[\{"id":"[0-9a-f-]{36}","token":"fedcba9876543210fedcba9876543210",.*"usedAt":"20\d\d-[^"]+Z","usedBy":"[0-9a-f-]{36}","createdAt":"2026-01-01T00:00:00Z","used":true\}\]\}$/,
  qr/^\{"error":"Invalid or expired invite token"\}$/,
]
