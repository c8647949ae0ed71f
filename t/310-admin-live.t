# The administration's live view (Bedrud's §8.6) against a mock of
# LiveKit's RoomService: a room's participants with each track's
# encryption (ListParticipants), the admin's kick and mute, the online
# count from the presence LiveKit's webhooks keep, LiveKit's rooms
# (ListRooms); superadmin only, LiveKit down or off is a 502.

use lib 't/inc';
use BedrudTest;
use LiveKitMock qw(mock_twirp lk_location make_room load_rooms);
use Test::Nginx::Socket 'no_plan';
use Digest::SHA ();
use MIME::Base64 ();

repeat_each(1);
no_shuffle();
no_long_string();

load_rooms();
our $lkport = mock_twirp();
our $closed = free_port();

# the online count reads every room: a database of its own
{
    local $BedrudTest::DB = 15;
    redis_cli('FLUSHDB');
    my $f = "$ENV{TEST_NGINX_TOP}/redis/admin.lua";
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    redis_cli('FUNCTION', 'LOAD', 'REPLACE', scalar <$fh>);
}

our $http_config = http_config(extra => '    bedrud_livekit_api /_livekit/;');
our $http_config_db15 = http_config(db => 15,
                                    extra => '    bedrud_livekit_api /_livekit/;');
our $config = lk_location($lkport);
our $down_config = lk_location($closed, $lkport);
our $off_config = http_config();

sub hdr { "Authorization: Bearer $_[0]" }

run_tests();

__DATA__

=== TEST 1: participants: LiveKit's list with each track's encryption, and the room
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id, $name) = ::make_room(owner => $owner, e2ee => 1);
@::t1 = ($id, $name, $owner);
$::h1 = ['', ::hdr($asu), ''];
[
  "GET /lk/reset",
  "GET /api/admin/rooms/$id/participants",
  "GET /lk/last",
]
--- more_headers eval
$::h1
--- error_code eval
[200, 200, 200]
--- response_body_like eval
my ($id, $name, $owner) = @::t1;
my $t = sub {
    my ($e) = @_;
    qq(\\[\\{"sid":"TR_mic","type":"AUDIO","source":"MICROPHONE","muted":false,"bitrate":0,"encryption":"$e"\\},)
    . qq(\\{"sid":"TR_cam","type":"VIDEO","source":"CAMERA","muted":false,"bitrate":1700000,"encryption":"$e"\\},)
    . qq(\\{"sid":"TR_screen","type":"VIDEO","source":"SCREEN_SHARE","muted":false,"bitrate":1700000,"encryption":"$e"\\},)
    . qq(\\{"sid":"TR_screenaudio","type":"AUDIO","source":"SCREEN_SHARE_AUDIO","muted":false,"bitrate":0,"encryption":"$e"\\}\\]);
};
[
  qr/^ok$/,
  qr/^\{"participants":\[\{"sid":"PA_enc-alice","identity":"enc-alice","name":"Name of enc-alice","state":"ACTIVE","joinedAt":1795780800,"isPublisher":true,"tracks":${\ $t->('GCM')}\},\{"sid":"PA_bob","identity":"bob","name":"Name of bob","state":"ACTIVE","joinedAt":1795780800,"isPublisher":true,"tracks":${\ $t->('NONE')}\}\],"room":\{"id":"$id","name":"\Q$name\E","createdBy":"$owner",.*"settings":\{"allowChat":true,"allowVideo":true,"allowAudio":true,"requireApproval":false,"e2ee":true\},"mode":"standard"\}\}$/,
  qr/^POST \/twirp\/livekit\.RoomService\/ListParticipants ct=application\/json token=ok \{"iss":"testkey","video":\{"room":"\Q$name\E","roomAdmin":true\}\} body=\{"room":"\Q$name\E"\}$/,
]
--- no_error_log
[alert]
[crit]



=== TEST 2: participants: no media room in LiveKit is an empty list; no room is a 404; superadmin only
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id) = ::make_room(owner => $owner, name => "gone-" . int(rand(1e9)));
$::h2 = [::hdr($asu), ::hdr($asu), ::hdr($asu), ::hdr($ao), ''];
[
  "GET /api/admin/rooms/$id/participants",
  "GET /api/admin/rooms/" . BedrudTest::uuid() . "/participants",
  "GET /api/admin/rooms/not-a-uuid/participants",
  "GET /api/admin/rooms/$id/participants",
  "GET /api/admin/rooms/$id/participants",
]
--- more_headers eval
$::h2
--- error_code eval
[200, 404, 404, 403, 401]
--- response_body_like eval
[
  qr/^\{"participants":\[\],"room":\{"id":/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Insufficient access rights"\}$/,
  qr/^\{"error":"Missing authorization"\}$/,
]



=== TEST 3: participants and stats: LiveKit down or off is a 502 that says so
--- http_config eval: $::http_config
--- config eval: $::down_config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id) = ::make_room(owner => $owner);
$::h3 = ::hdr($asu);
[
  "GET /api/admin/rooms/$id/participants",
  "GET /api/admin/livekit/stats",
]
--- more_headers eval: $::h3
--- error_code eval
[502, 502]
--- response_body eval
[('{"error":"LiveKit is unavailable"}') x 2]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 3b: not configured
--- http_config eval: $::off_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id) = ::make_room(owner => $owner);
$::h3b = ::hdr($asu);
[
  "GET /api/admin/rooms/$id/participants",
  "GET /api/admin/livekit/stats",
  "POST /api/admin/rooms/$id/participants/bob/kick",
]
--- more_headers eval: $::h3b
--- error_code eval
[502, 502, 502]
--- response_body eval
[('{"error":"LiveKit is not configured"}') x 3]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 4: the admin's kick and mute: the room's own, without the owner check
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my ($suid, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my (undef, $ao) = BedrudTest::mint_pair(uid => $owner);
my ($id, $name) = ::make_room(owner => $owner, e2ee => 1);
@::t4 = ($suid, $name);
$::h4 = ['', ::hdr($asu), ::hdr($asu), '', ::hdr($asu), ::hdr($ao),
         ::hdr($asu)];
[
  "GET /lk/reset",
  "POST /api/admin/rooms/$id/participants/bob/kick",
  "POST /api/admin/rooms/$id/participants/enc-alice/mute",
  "GET /lk/calls",
  "POST /api/admin/rooms/$id/participants/absent/kick",
  "POST /api/admin/rooms/$id/participants/bob/kick",
  "POST /api/admin/rooms/" . BedrudTest::uuid() . "/participants/bob/mute",
]
--- more_headers eval
$::h4
--- error_code eval
[200, 200, 200, 200, 404, 403, 404]
--- response_body_like eval
my ($suid, $name) = @::t4;
my $tok = qr/token=ok \{"iss":"testkey","video":\{"room":"\Q$name\E","roomAdmin":true\}\}/;
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^POST \S+RemoveParticipant .* body=\{"room":"\Q$name\E","identity":"bob"\}
POST \S+SendData .* data=\{"type":"system","event":"kick","actor":"$suid","target":"bob"\}
POST \S+SendData .* data=\{"type":"system","event":"rekey","actor":"$suid","target":"bob"\}
POST \S+GetParticipant ct=application\/json $tok body=\{"room":"\Q$name\E","identity":"enc-alice"\}
POST \S+MutePublishedTrack .*"track_sid":"TR_mic","muted":true\}
POST \S+MutePublishedTrack .*"track_sid":"TR_screenaudio","muted":true\}$/,
  qr/^\{"error":"Participant not found"\}$/,
  qr/^\{"error":"Insufficient access rights"\}$/,
  qr/^\{"error":"Room not found"\}$/,
]



=== TEST 5: online count: who is connected now, each identity once, from the webhooks' presence
--- http_config eval: $::http_config_db15
--- config eval: $::config
--- request eval
local $BedrudTest::DB = 15;
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($r1, $r2, $r3) = map { BedrudTest::uuid() } 1 .. 3;
# alice in two rooms, bob in one, carol left; a room whose presence went
BedrudTest::redis_cli('HSET', "bedrud:room:{$r1}:presence", 'alice', '1795780800 in',
                      'bob', '1795780801 in', 'carol', '1795780802 out');
BedrudTest::redis_cli('HSET', "bedrud:room:{$r2}:presence", 'alice', '1795780803 in');
BedrudTest::redis_cli('SADD', 'bedrud:live', $r1, $r2, $r3);
$::r3_5 = $r3;
$::h5 = ::hdr($asu);
[
  "GET /api/admin/online-count",
  "GET /api/admin/online-count",
]
--- more_headers eval: $::h5
--- error_code eval
[200, 200]
--- response_body eval
['{"count":2}', '{"count":2}']
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 5b: the online count dropped the room whose presence went; leaving counts
--- http_config eval: $::http_config_db15
--- config eval: $::config
--- init
local $BedrudTest::DB = 15;
Test::More::is(BedrudTest::redis_cli('SISMEMBER', 'bedrud:live', $::r3_5), '0',
               'a room without presence left the list');
for my $id (split /\n/, BedrudTest::redis_cli('SMEMBERS', 'bedrud:live')) {
    BedrudTest::redis_cli('HSET', "bedrud:room:{$id}:presence", 'alice',
                          '1795780900 out');
}
--- request
GET /api/admin/online-count
--- more_headers eval: $::h5
--- response_body chomp
{"count":1}



=== TEST 6: LiveKit stats: totals over ListRooms, with a roomList token
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my (undef, $a) = BedrudTest::mint_pair();
$::h6 = ['', ::hdr($asu), '', ::hdr($a)];
[
  "GET /lk/reset",
  "GET /api/admin/livekit/stats",
  "GET /lk/last",
  "GET /api/admin/livekit/stats",
]
--- more_headers eval
$::h6
--- error_code eval
[200, 200, 200, 403]
--- response_body eval
[
  'ok',
  '{"totalParticipants":4,"totalPublishers":3,"activeRooms":2,"rooms":[{"name":"weekly-sync","numParticipants":3,"numPublishers":2,"creationTime":1795780800},{"name":"standup","numParticipants":1,"numPublishers":1,"creationTime":1795784400}]}',
  'POST /twirp/livekit.RoomService/ListRooms ct=application/json token=ok {"iss":"testkey","video":{"roomList":true}} body={}',
  '{"error":"Insufficient access rights"}',
]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 7: a participant_joined webhook lists its room for the online count
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
$::id7 = $id;
my $body = BedrudTest::json_of({ event => 'participant_joined', id => 'EV_' . BedrudTest::uuid(),
    createdAt => '' . time, room => { name => $name },
    participant => { identity => $uid, sid => 'PA_x' } });
my $hash = MIME::Base64::encode_base64(Digest::SHA::sha256($body), '');
my $now = time;
my $jwt = BedrudTest::jwt_sign({ alg => 'HS256', typ => 'JWT' },
    { iss => 'testkey', nbf => $now, exp => $now + 300, sha256 => $hash },
    LiveKitMock::lk_secret());
$::h7 = "Content-Type: application/webhook+json\nAuthorization: $jwt";
"POST /api/livekit/webhook\n$body"
--- more_headers eval: $::h7
--- response_body chomp
{"status":"ok","action":"recorded"}
--- no_error_log
[alert]
[crit]



=== TEST 7b: listed
--- http_config eval: $::http_config
--- config eval: $::config
--- init
Test::More::is(BedrudTest::redis_cli('SISMEMBER', 'bedrud:live', $::id7), '1',
               'the room is in bedrud:live');
--- request
GET /api/health
--- error_code: 200
