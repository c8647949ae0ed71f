# LiveKit RoomService (Twirp) calls by subrequest: admin close and owner
# delete call DeleteRoom, a ban calls RemoveParticipant and tells the room.
# A mock Twirp server checks each call's token (HS256 over the LiveKit
# secret, the grant the method needs) and keeps the calls for GET /calls.
# A close or a delete never depends on LiveKit: off, down, slow or
# refusing.  A ban is recorded whatever LiveKit does, and its answer says
# whether the participant could be removed (a JSON 502 when not).

use lib 't/inc';
use BedrudTest;
use LiveKitMock qw(mock_twirp lk_location make_room load_rooms);
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

load_rooms();
our $lkport = mock_twirp();

our $closed = free_port();

our $http_config = http_config(extra => '    bedrud_livekit_api /_livekit/;');
our $config = lk_location($lkport);
our $down_config = lk_location($closed, $lkport);
our $off_config = http_config();
our $wrong_secret_config = http_config(extra => '    bedrud_livekit_api /_livekit;')
    =~ s{t/data/livekit\.secret}{t/data/jwt.secret}r;

sub hdr { "Content-Type: application/json\nAuthorization: Bearer $_[0]" }

our $token_re = qr/token=ok \{"iss":"testkey","video":\{"roomCreate":true\}\}/;

# one line per finished call, exactly
our $lk_log = qr/bedrud: LiveKit \w+(?: done|: not found| failed: \d+)/;

run_tests();

__DATA__

=== TEST 1: admin close calls DeleteRoom with a roomCreate token, then answers
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id, $name) = ::make_room(owner => $owner);
$::name1 = $name;
$::h1 = [::hdr($asu), '', ::hdr($asu), ''];
[
  "GET /lk/reset",
  "DELETE /api/admin/rooms/$id",
  "GET /lk/last",
  "DELETE /api/admin/rooms/" . BedrudTest::uuid(),
  "GET /lk/reset",
]
--- more_headers eval
[ '', $::h1->[0], '', $::h1->[0], '' ]
--- error_code eval
[200, 200, 200, 404, 200]
--- response_body_like eval
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/^POST \/twirp\/livekit\.RoomService\/DeleteRoom ct=application\/json $::token_re body=\{"room":"\Q$::name1\E"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^ok$/,
]
--- grep_error_log eval: $::lk_log
--- grep_error_log_out eval
qr/\A(?:bedrud:\ LiveKit\ DeleteRoom\ done\n)?\z/
--- no_error_log
[alert]
[crit]



=== TEST 2: owner delete calls DeleteRoom; a stranger's attempt calls nothing
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my (undef, $as) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
$::name2 = $name;
$::h2 = ['', ::hdr($as), '', ::hdr($ao), ''];
[
  "GET /lk/reset",
  "DELETE /api/room/$id",
  "GET /lk/last",
  "DELETE /api/room/$id",
  "GET /lk/last",
]
--- more_headers eval
$::h2
--- error_code eval
[200, 403, 200, 200, 200]
--- response_body_like eval
[
  qr/^ok$/,
  qr/^\{"error":"Only the room creator can delete this room"\}$/,
  qr/^none$/,
  qr/^\{"status":"success"\}$/,
  qr/^POST \/twirp\/livekit\.RoomService\/DeleteRoom ct=application\/json $::token_re body=\{"room":"\Q$::name2\E"\}$/,
]
--- grep_error_log eval: $::lk_log
--- grep_error_log_out eval
qr/\A(?:bedrud:\ LiveKit\ DeleteRoom\ done\n)?\z/
--- no_error_log
[alert]
[crit]



=== TEST 3: ban calls RemoveParticipant with a roomAdmin token for the room, then tells the room; absent is fine
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
$::name3 = $name; $::uid3 = $uid; $::id3 = $id; $::owner3 = $owner;
$::h3 = ['', ::hdr($ao), '', '', ::hdr($ao), '', ::hdr($ao), '', ::hdr($ao)];
[
  "GET /lk/reset",
  "POST /api/room/$id/ban/$uid",
  "GET /lk/calls",
  "GET /lk/reset",
  "POST /api/room/$id/ban/absent",
  "GET /lk/calls",
  "POST /api/room/$id/unban/$uid",
  "GET /lk/reset",
  "POST /api/room/$id/unban/absent",
]
--- more_headers eval
$::h3
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
my $tok = qr/token=ok \{"iss":"testkey","video":\{"room":"\Q$::name3\E","roomAdmin":true\}\}/;
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/^POST \/twirp\/livekit\.RoomService\/RemoveParticipant ct=application\/json $tok body=\{"room":"\Q$::name3\E","identity":"$::uid3"\}\nPOST \/twirp\/livekit\.RoomService\/SendData ct=application\/json $tok body=\{"room":"\Q$::name3\E","data":"[A-Za-z0-9+\/=]+","kind":"RELIABLE","topic":"system"\} data=\{"type":"system","event":"ban","actor":"$::owner3","target":"$::uid3"\}$/,
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/^POST \/twirp\/livekit\.RoomService\/RemoveParticipant .* body=\{"room":"\Q$::name3\E","identity":"absent"\}\nPOST \/twirp\/livekit\.RoomService\/SendData .* data=\{"type":"system","event":"ban","actor":"$::owner3","target":"absent"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
]
--- grep_error_log eval: $::lk_log
--- grep_error_log_out eval
qr/\A(?:bedrud:\ LiveKit\ (?:RemoveParticipant|SendData)\ done\n|bedrud:\ LiveKit\ RemoveParticipant:\ not\ found\n)*\z/
--- no_error_log
[alert]
[crit]



=== TEST 4: the ban is recorded even when the removal is refused (a token LiveKit rejects): a 502 says so
--- http_config eval: $::wrong_secret_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
$::h4 = ['', ::hdr($ao), '', ::hdr($a)];
[
  "GET /lk/reset",
  "POST /api/room/$id/ban/$uid",
  "GET /lk/last",
  "POST /api/room/join\n{\"roomName\":\"$name\"}",
]
--- more_headers eval
$::h4
--- error_code eval
[200, 502, 200, 403]
--- response_body_like eval
[
  qr/^ok$/,
  qr/^\{"error":"LiveKit refused the request: the ban is recorded, the participant could not be removed"\}$/,
  qr/ token=bad-signature /,
  qr/^\{"error":"you are banned from this room"\}$/,
]
--- grep_error_log eval: $::lk_log
--- grep_error_log_out eval
qr/\A(?:bedrud:\ LiveKit\ RemoveParticipant\ failed:\ 401\n)?\z/
--- no_error_log
[alert]
[crit]



=== TEST 5: feature off (no bedrud_livekit_api): close and delete work, nothing is called; a ban is recorded, and says it removed nobody
--- http_config eval: $::off_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id, $name) = ::make_room(owner => $owner);
my ($id2) = ::make_room(owner => $owner);
$::h5 = ['', ::hdr($asu), ::hdr($ao), ::hdr($ao), '', ::hdr($a)];
[
  "GET /lk/reset",
  "DELETE /api/admin/rooms/$id",
  "DELETE /api/room/$id2",
  "POST /api/room/$id/ban/$uid",
  "GET /lk/last",
  "POST /api/room/join\n{\"roomName\":\"$name\"}",
]
--- more_headers eval
$::h5
--- error_code eval
[200, 200, 200, 502, 200, 403]
--- response_body_like eval
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"error":"LiveKit is not configured: the ban is recorded, the participant could not be removed"\}$/,
  qr/^none$/,
  qr/^\{"error":"you are banned from this room"\}$/,
]
--- grep_error_log eval: $::lk_log
--- grep_error_log_out eval
''
--- no_error_log
[alert]
[crit]



=== TEST 6: LiveKit down: admin close still answers 200 at once, the failure is logged
--- http_config eval: $::http_config
--- config eval: $::down_config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id) = ::make_room(owner => $owner);
$::h6 = ::hdr($asu); $::id6 = $id;
"DELETE /api/admin/rooms/$id"
--- more_headers eval: $::h6
--- timeout: 2
--- error_code: 200
--- response_body chomp
{"status":"success"}
--- grep_error_log eval: $::lk_log
--- grep_error_log_out
bedrud: LiveKit DeleteRoom failed: 502
--- no_error_log
[alert]
[crit]



=== TEST 6b: LiveKit down: the close above was recorded in Redis
--- http_config eval: $::http_config
--- config eval: $::down_config
--- request eval
"PUT /api/admin/rooms/$::id6\n{}"
--- more_headers eval: $::h6
--- error_code: 200
--- response_body_like: "isActive":false,
--- no_error_log
[alert]
[crit]



=== TEST 6c: LiveKit down: owner delete answers 200, the failure is logged
--- http_config eval: $::http_config
--- config eval: $::down_config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h6c = ::hdr($ao);
"DELETE /api/room/$id"
--- more_headers eval: $::h6c
--- timeout: 2
--- error_code: 200
--- response_body chomp
{"status":"success"}
--- grep_error_log eval: $::lk_log
--- grep_error_log_out
bedrud: LiveKit DeleteRoom failed: 502
--- no_error_log
[alert]
[crit]



=== TEST 6d: LiveKit down: a ban answers 502 at once, says the ban is recorded, and logs the failure
--- http_config eval: $::http_config
--- config eval: $::down_config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h6d = ::hdr($ao);
"POST /api/room/$id/ban/someone"
--- more_headers eval: $::h6d
--- timeout: 2
--- error_code: 502
--- response_body chomp
{"error":"LiveKit is unavailable: the ban is recorded, the participant could not be removed"}
--- grep_error_log eval: $::lk_log
--- grep_error_log_out
bedrud: LiveKit RemoveParticipant failed: 502
--- no_error_log
[alert]
[crit]



=== TEST 7: LiveKit slow: the ban answers after proxy_read_timeout (2s), not later, with a 502
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h7 = ::hdr($ao);
"POST /api/room/$id/ban/slow"
--- more_headers eval: $::h7
--- timeout: 3
--- error_code: 502
--- response_body chomp
{"error":"LiveKit is unavailable: the ban is recorded, the participant could not be removed"}
--- grep_error_log eval: $::lk_log
--- grep_error_log_out
bedrud: LiveKit RemoveParticipant failed: 504
--- no_error_log
[alert]
[crit]



=== TEST 8: the call's variables are empty outside the call
--- http_config eval: $::http_config
--- config eval
$::config . "
 location = /vars { return 200 '[\$bedrud_livekit_auth][\$bedrud_livekit_body]'; }"
--- request
GET /vars
--- response_body chomp
[][]
--- no_error_log
[alert]
[crit]
