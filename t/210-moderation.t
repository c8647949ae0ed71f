# In-room moderation (Bedrud's §6) against a mock of LiveKit's RoomService
# (t/inc/LiveKitMock.pm): for each route the calls made (method, token,
# body, the system message each SendData carries), the answer, the
# permission levels (owner, promoted moderator, the participant itself,
# stranger, guest account, superadmin), and LiveKit off, down, slow or
# refusing.  The real SFU: t/906-moderation-e2e.t.

use lib 't/inc';
use BedrudTest;
use LiveKitMock qw(mock_twirp lk_location make_room load_rooms);
use Test::Nginx::Socket 'no_plan';
use MIME::Base64 qw(decode_base64url);
use JSON::PP ();

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
our $wrong_secret_config = $http_config
    =~ s{t/data/livekit\.secret}{t/data/jwt.secret}r;

sub hdr { "Authorization: Bearer $_[0]" }

# a call of the mock's /calls, as a pattern: method, its roomAdmin token
# for the room, the body; a SendData also its message
sub call {
    my ($method, $room, $body, $msg) = @_;
    my $tok = qq(token=ok \\{"iss":"testkey","video":\\{"room":"\Q$room\E","roomAdmin":true\\}\\});
    my $re = "POST /twirp/livekit\\.RoomService/$method ct=application/json $tok body=$body";
    $re .= " data=$msg" if defined $msg;
    return $re;
}

# a SendData of the system message (event, actor, target), to the target
# alone or to the room
sub message {
    my ($room, $event, $actor, $target, $targeted) = @_;
    my $dest = $targeted ? qq(,"destination_identities":\\["\Q$target\E"\\]) : '';
    return call('SendData', $room,
        qq(\\{"room":"\Q$room\E","data":"[A-Za-z0-9+/=]+","kind":"RELIABLE","topic":"system"$dest\\}),
        qq(\\{"type":"system","event":"$event","actor":"$actor","target":"\Q$target\E"\\}));
}

sub participant_call {
    my ($method, $room, $id) = @_;
    return call($method, $room, qq(\\{"room":"\Q$room\E","identity":"\Q$id\E"\\}));
}

sub mute_call {
    my ($room, $id, $sid) = @_;
    return call('MutePublishedTrack', $room,
        qq(\\{"room":"\Q$room\E","identity":"\Q$id\E","track_sid":"$sid","muted":true\\}));
}

sub calls { my $re = join "\n", @_; return qr/^$re$/ }

our $lk_log = qr/bedrud: LiveKit \w+(?: done|: not found| failed: \d+)/;

run_tests();

__DATA__

=== TEST 1: kick: LiveKit removes the participant, then the room is told, as Bedrud
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
@::t1 = ($owner, $uid, $name);
$::h1 = ['', ::hdr($ao), ''];
[
  "GET /lk/reset",
  "POST /api/room/$id/kick/$uid",
  "GET /lk/calls",
]
--- more_headers eval
$::h1
--- error_code eval
[200, 200, 200]
--- response_body_like eval
my ($owner, $uid, $name) = @::t1;
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  ::calls(::participant_call('RemoveParticipant', $name, $uid),
          ::message($name, 'kick', $owner, $uid)),
]
--- no_error_log
[alert]
[crit]



=== TEST 1b: a kick is logged, with who did it
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h1b = ::hdr($ao);
$::log1b = qr/room $id: "$uid" kicked by $owner/;
"POST /api/room/$id/kick/$uid"
--- more_headers eval: $::h1b
--- response_body chomp
{"status":"success"}
--- error_log eval: $::log1b



=== TEST 2: kick in an E2EE room: "kick", then "rekey" (no key in either)
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, e2ee => 1);
@::t2 = ($owner, $uid, $name);
$::h2 = ['', ::hdr($ao), ''];
[
  "GET /lk/reset",
  "POST /api/room/$id/kick/$uid",
  "GET /lk/calls",
]
--- more_headers eval
$::h2
--- response_body_like eval
my ($owner, $uid, $name) = @::t2;
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  ::calls(::participant_call('RemoveParticipant', $name, $uid),
          ::message($name, 'kick', $owner, $uid),
          ::message($name, 'rekey', $owner, $uid)),
]
--- no_error_log
[alert]
[crit]



=== TEST 3: kick: owner level; not connected is a 404, not Bedrud's 500; no message then
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($mod, $am) = BedrudTest::mint_pair();
my (undef, $as) = BedrudTest::mint_pair();
my (undef, $ag) = BedrudTest::mint_pair(provider => 'guest', accesses => ['guest']);
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id, $name) = ::make_room(owner => $owner);
# a promoted moderator: moderator level, not owner level
BedrudTest::redis_cli('SADD', "bedrud:room:{$id}:mods", $mod);
$::name3 = $name;
$::h3 = [::hdr($as), ::hdr($ag), ::hdr($am), ::hdr($a), '', '', ::hdr($ao),
         '', ::hdr($asu), ::hdr($ao), ::hdr($ao), ''];
[
  "POST /api/room/$id/kick/$uid",
  "POST /api/room/$id/kick/$uid",
  "POST /api/room/$id/kick/$uid",
  "POST /api/room/$id/kick/$owner",
  "POST /api/room/$id/kick/$uid",
  "GET /lk/reset",
  "POST /api/room/$id/kick/absent",
  "GET /lk/calls",
  "POST /api/room/$id/kick/$owner",
  "POST /api/room/" . BedrudTest::uuid() . "/kick/$uid",
  "POST /api/room/not-a-uuid/kick/$uid",
  "POST /api/room/$id/kick/$uid",
]
--- more_headers eval
$::h3
--- error_code eval
[403, 403, 403, 403, 401, 200, 404, 200, 200, 404, 404, 401]
--- response_body_like eval
[
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"error":"Missing authorization"\}$/,
  qr/^ok$/,
  qr/^\{"error":"Participant not found"\}$/,
  ::calls(::participant_call('RemoveParticipant', $::name3, 'absent')),
  qr/^\{"status":"success"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Missing authorization"\}$/,
]
--- no_error_log
[alert]
[crit]



=== TEST 4: mute: every unmuted audio track (microphone, screen share audio), one call each; muted ones are left alone
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
@::t4 = ($uid, $name);
$::h4 = ['', ::hdr($ao), '', ::hdr($ao), '', ::hdr($ao), '', ::hdr($ao),
         ''];
[
  "GET /lk/reset",
  "POST /api/room/$id/mute/$uid",
  "GET /lk/calls",
  "GET /api/room/$id/participant/$uid/info",
  "GET /lk/reset",
  "POST /api/room/$id/mute/$uid",
  "GET /lk/calls",
  "POST /api/room/$id/mute/notracks",
  "GET /lk/calls",
]
--- more_headers eval
$::h4
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
my ($uid, $name) = @::t4;
my $get = ::participant_call('GetParticipant', $name, $uid);
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  ::calls($get, ::mute_call($name, $uid, 'TR_mic'),
          ::mute_call($name, $uid, 'TR_screenaudio')),
  qr/^\{"identity":"\Q$uid\E","name":"Name of \Q$uid\E","state":"ACTIVE","joinedAt":1795780800,"tracks":\[\{"sid":"TR_mic","type":"AUDIO","source":"MICROPHONE","muted":true\},\{"sid":"TR_cam","type":"VIDEO","source":"CAMERA","muted":false\},\{"sid":"TR_screen","type":"VIDEO","source":"SCREEN_SHARE","muted":false\},\{"sid":"TR_screenaudio","type":"AUDIO","source":"SCREEN_SHARE_AUDIO","muted":true\}\]\}$/,
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  ::calls($get, ::mute_call($name, $uid, 'TR_mic'),
          ::mute_call($name, $uid, 'TR_screenaudio')),
  qr/^\{"status":"success"\}$/,
  ::calls($get, ::mute_call($name, $uid, 'TR_mic'),
          ::mute_call($name, $uid, 'TR_screenaudio'),
          ::participant_call('GetParticipant', $name, 'notracks')),
]
--- no_error_log
[alert]
[crit]



=== TEST 5: video off (camera only) and screen share stop (its video and audio): moderator level
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($mod, $am) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
BedrudTest::redis_cli('SADD', "bedrud:room:{$id}:mods", $mod);
@::t5 = ($uid, $name);
$::h5 = ['', ::hdr($am), '', '', ::hdr($ao), '', ::hdr($a), ::hdr($a)];
[
  "GET /lk/reset",
  "POST /api/room/$id/video/$uid/off",
  "GET /lk/calls",
  "GET /lk/reset",
  "POST /api/room/$id/screenshare/$uid/stop",
  "GET /lk/calls",
  "POST /api/room/$id/video/$owner/off",
  "POST /api/room/$id/screenshare/$owner/stop",
]
--- more_headers eval
$::h5
--- error_code eval
[200, 200, 200, 200, 200, 200, 403, 403]
--- response_body_like eval
my ($uid, $name) = @::t5;
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  ::calls(::participant_call('GetParticipant', $name, $uid),
          ::mute_call($name, $uid, 'TR_cam')),
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  ::calls(::participant_call('GetParticipant', $name, $uid),
          ::mute_call($name, $uid, 'TR_screen'),
          ::mute_call($name, $uid, 'TR_screenaudio')),
  qr/^\{"error":"not authorized for this room"\}$/,
  qr/^\{"error":"not authorized for this room"\}$/,
]
--- no_error_log
[alert]
[crit]



=== TEST 6: promote: "moderator" in the metadata, then the durable flag; again: already_moderator
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($other) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
@::t6 = ($uid, $name, $id);
$::h6 = ['', ::hdr($a), ::hdr($ao), '', ::hdr($ao), ::hdr($a), ::hdr($a),
         ::hdr($a), ::hdr($a), ::hdr($ao)];
[
  "GET /lk/reset",
  "POST /api/room/$id/video/$other/off",
  "POST /api/room/$id/promote/$uid",
  "GET /lk/calls",
  "POST /api/room/$id/promote/$uid",
  "POST /api/room/$id/video/$other/off",
  "POST /api/room/$id/kick/$other",
  "POST /api/room/$id/promote/$other",
  "GET /api/room/$id/participant/$other/info",
  "POST /api/room/$id/promote/absent",
]
--- more_headers eval
$::h6
--- error_code eval
[200, 403, 200, 200, 200, 200, 403, 403, 200, 404]
--- response_body_like eval
my ($uid, $name) = @::t6;
[
  qr/^ok$/,
  qr/^\{"error":"not authorized for this room"\}$/,
  qr/^\{"status":"success"\}$/,
  ::calls(::participant_call('GetParticipant', $name, $uid),
          ::call('UpdateParticipant', $name,
                 qq(\\{"room":"\Q$name\E","identity":"\Q$uid\E","metadata":"\\{\\\\"accesses\\\\":\\[\\\\"user\\\\",\\\\"moderator\\\\"\\]\\}"\\}))),
  qr/^\{"status":"already_moderator"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"identity":/,
  qr/^\{"error":"Participant not found"\}$/,
]
--- no_error_log
[alert]
[crit]



=== TEST 6b: the promotion is durable: in Redis, and in the metadata of the next join token
--- http_config eval: $::http_config
--- config eval: $::config
--- init
my ($uid, $name, $id) = @::t6;
Test::More::is(BedrudTest::redis_cli('SISMEMBER', "bedrud:room:{$id}:mods", $uid),
               '1', 'the promoted identity is a room moderator in Redis');
Test::More::is(BedrudTest::redis_cli('SISMEMBER', "bedrud:room:{$id}:mods", 'absent'),
               '0', 'a failed promotion left no flag');
--- request eval
"POST /api/room/join\n{\"roomName\":\"$::t6[1]\"}"
--- more_headers eval
"Content-Type: application/json\n" . ::hdr(BedrudTest::mint(uid => $::t6[0]))
--- error_code: 200
--- response_body_filters eval
sub {
    my ($tok) = $_[0] =~ /"token":"([^"]+)"/ or return 'no token';
    my $c = JSON::PP->new->decode(MIME::Base64::decode_base64url((split /\./, $tok)[1]));
    return $c->{metadata};
}
--- response_body: {"accesses":["user","moderator"]}



=== TEST 7: demote: the flag goes first, then the metadata; not connected is fine (the flag is gone)
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
@::t7 = ($uid, $name, $id);
$::h7 = ['', ::hdr($ao), ::hdr($ao), '', ::hdr($ao), '', ::hdr($a),
         ::hdr($a), ::hdr($ao), ::hdr($ao)];
[
  "GET /lk/reset",
  "POST /api/room/$id/promote/$uid",
  "POST /api/room/$id/demote/$uid",
  "GET /lk/calls",
  "POST /api/room/$id/demote/$uid",
  "GET /lk/calls",
  "POST /api/room/$id/spotlight/$owner",
  "POST /api/room/$id/demote/$owner",
  "POST /api/room/$id/demote/absent",
  "POST /api/room/$id/demote/guest-ab12cd34",
]
--- more_headers eval
$::h7
--- error_code eval
[200, 200, 200, 200, 200, 200, 403, 403, 200, 200]
--- response_body_like eval
my ($uid, $name) = @::t7;
my $get = ::participant_call('GetParticipant', $name, $uid);
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"status":"success"\}$/,
  ::calls($get,
          ::call('UpdateParticipant', $name, '.*moderator.*'),
          $get,
          ::call('UpdateParticipant', $name,
                 qq(\\{"room":"\Q$name\E","identity":"\Q$uid\E","metadata":"\\{\\\\"accesses\\\\":\\[\\\\"user\\\\"\\]\\}"\\}))),
  qr/^\{"status":"success"\}$/,
  ::calls($get, ::call('UpdateParticipant', $name, '.*moderator.*'), $get,
          ::call('UpdateParticipant', $name, '.*'), $get),
  qr/^\{"error":"not authorized for this room"\}$/,
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"status":"success"\}$/,
]
--- no_error_log
[alert]
[crit]



=== TEST 8: chat block: "chatBlocked" in the metadata and no canPublishData; unblock: what the room allows
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
my ($id2, $name2) = ::make_room(owner => $owner);
# a room without chat: unblocking gives no more than it allows
BedrudTest::redis_cli('HSET', "bedrud:room:{$id2}", 'settings',
    '{"allowChat":false,"allowVideo":true,"allowAudio":true,"requireApproval":false,"e2ee":false}');
@::t8 = ($uid, $name, $name2);
$::h8 = ['', ::hdr($ao), '', '', ::hdr($ao), '', '', ::hdr($ao), '',
         ::hdr($ao)];
[
  "GET /lk/reset",
  "POST /api/room/$id/chat/$uid/block",
  "GET /lk/last",
  "GET /lk/reset",
  "POST /api/room/$id/chat/$uid/unblock",
  "GET /lk/last",
  "GET /lk/reset",
  "POST /api/room/$id2/chat/$uid/unblock",
  "GET /lk/last",
  "POST /api/room/$id/chat/absent/block",
]
--- more_headers eval
$::h8
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200, 200, 404]
--- response_body_like eval
my ($uid, $name, $name2) = @::t8;
my $perm = sub {
    qr/"permission":\{"agent":false,"can_publish":true,"can_publish_data":$_[0],"can_publish_sources":\[\],"can_subscribe":true,"can_subscribe_metrics":false,"can_update_metadata":true,"hidden":false,"recorder":false\}\}$/
};
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/UpdateParticipant .*"metadata":"\{\\"accesses\\":\[\\"user\\"\],\\"chatBlocked\\":true\}",${\ $perm->('false')}/,
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/UpdateParticipant .*"metadata":"\{\\"accesses\\":\[\\"user\\"\]\}",${\ $perm->('true')}/,
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/UpdateParticipant .*"room":"\Q$name2\E".*${\ $perm->('false')}/,
  qr/^\{"error":"Participant not found"\}$/,
]
--- no_error_log
[alert]
[crit]



=== TEST 9: deafen, undeafen, ask (to the target), spotlight (to the room): messages only
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($mod, $am) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
BedrudTest::redis_cli('SADD', "bedrud:room:{$id}:mods", $mod);
@::t9 = ($owner, $mod, $uid, $name);
$::h9 = ['', ::hdr($ao), ::hdr($am), ::hdr($ao), ::hdr($am), ::hdr($ao), ''];
[
  "GET /lk/reset",
  "POST /api/room/$id/deafen/$uid",
  "POST /api/room/$id/undeafen/$uid",
  "POST /api/room/$id/ask/$uid/unmute",
  "POST /api/room/$id/ask/$uid/camera",
  "POST /api/room/$id/spotlight/$uid",
  "GET /lk/calls",
]
--- more_headers eval
$::h9
--- error_code eval
[200, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
my ($owner, $mod, $uid, $name) = @::t9;
[
  qr/^ok$/,
  (qr/^\{"status":"success"\}$/) x 5,
  ::calls(::message($name, 'deafen', $owner, $uid, 1),
          ::message($name, 'undeafen', $mod, $uid, 1),
          ::message($name, 'ask_unmute', $owner, $uid, 1),
          ::message($name, 'ask_camera', $mod, $uid, 1),
          ::message($name, 'spotlight', $owner, $uid)),
]
--- no_error_log
[alert]
[crit]



=== TEST 10: ask: an unknown action is a 400 before anything else; moderator level; no room: 404
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my (undef, $as) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h10 = [::hdr($ao), ::hdr($as), ::hdr($as), ::hdr($as), ::hdr($as),
          ::hdr($ao)];
[
  "POST /api/room/$id/ask/someone/dance",
  "POST /api/room/not-a-uuid/ask/someone/dance",
  "POST /api/room/$id/ask/someone/unmute",
  "POST /api/room/$id/deafen/someone",
  "POST /api/room/$id/spotlight/someone",
  "POST /api/room/" . BedrudTest::uuid() . "/deafen/someone",
]
--- more_headers eval
$::h10
--- error_code eval
[400, 400, 403, 403, 403, 404]
--- response_body eval
[
  '{"error":"Unknown action"}',
  '{"error":"Unknown action"}',
  '{"error":"not authorized for this room"}',
  '{"error":"not authorized for this room"}',
  '{"error":"not authorized for this room"}',
  '{"error":"Room not found"}',
]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 11: info: the participant itself or a moderator; a stranger is refused
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my (undef, $as) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id) = ::make_room(owner => $owner);
$::uid11 = $uid;
$::h11 = ['', ::hdr($a), ::hdr($as), ::hdr($ao), ::hdr($asu), ::hdr($ao)];
[
  "GET /lk/reset",
  "GET /api/room/$id/participant/$uid/info",
  "GET /api/room/$id/participant/$uid/info",
  "GET /api/room/$id/participant/$uid/info",
  "GET /api/room/$id/participant/$uid/info",
  "GET /api/room/$id/participant/absent/info",
]
--- more_headers eval
$::h11
--- error_code eval
[200, 200, 403, 200, 200, 404]
--- response_body_like eval
my $info = qr/^\{"identity":"\Q$::uid11\E","name":"Name of \Q$::uid11\E","state":"ACTIVE","joinedAt":1795780800,"tracks":\[\{"sid":"TR_mic","type":"AUDIO","source":"MICROPHONE","muted":false\},\{"sid":"TR_cam","type":"VIDEO","source":"CAMERA","muted":false\},\{"sid":"TR_screen","type":"VIDEO","source":"SCREEN_SHARE","muted":false\},\{"sid":"TR_screenaudio","type":"AUDIO","source":"SCREEN_SHARE_AUDIO","muted":false\}\]\}$/;
[
  qr/^ok$/,
  $info,
  qr/^\{"error":"not authorized for this room"\}$/,
  $info,
  $info,
  qr/^\{"error":"Participant not found"\}$/,
]



=== TEST 12: stage bring and remove: Bedrud's 501, before any lookup; authenticated
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my (undef, $as) = BedrudTest::mint_pair();
$::h12 = [::hdr($as), ::hdr($as), ''];
[
  "POST /api/room/" . BedrudTest::uuid() . "/stage/someone/bring",
  "POST /api/room/not-a-room/stage/someone/remove",
  "POST /api/room/not-a-room/stage/someone/remove",
]
--- more_headers eval
$::h12
--- error_code eval
[501, 501, 401]
--- response_body eval
[
  qq({"error":"not yet implemented"}),
  qq({"error":"not yet implemented"}),
  qq({"error":"Missing authorization"}),
]



=== TEST 13: bad identities change nothing: spaces, CRLF, NUL, over 256 bytes, not UTF-8
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h13 = ['', (::hdr($ao)) x 7, ''];
[
  "GET /lk/reset",
  "POST /api/room/$id/kick/a%20b",
  "POST /api/room/$id/kick/a%0D%0ASet-Cookie:%20x=y",
  "POST /api/room/$id/mute/a%00b",
  "POST /api/room/$id/promote/" . ('x' x 257),
  "POST /api/room/$id/deafen/%FF%FE",
  "POST /api/room/$id/ban/a%09b",
  "GET /api/room/$id/participant/a%7Fb/info",
  "GET /lk/last",
]
--- more_headers eval
$::h13
--- error_code eval
[200, 400, 400, 400, 400, 400, 400, 400, 200]
--- response_body_like eval
# %00: nginx itself refuses it in a URI, before the module sees it
[
  qr/^ok$/,
  (qr/^\{"error":"Invalid identity"\}$/) x 2,
  qr/<title>400 Bad Request<\/title>/,
  (qr/^\{"error":"Invalid identity"\}$/) x 4,
  qr/^none$/,
]
--- no_error_log
[alert]
[crit]



=== TEST 14: a 10 kB identity: nginx's own 414 (a request line over its buffers), nothing called
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h14 = ['', ::hdr($ao), ''];
[
  "GET /lk/reset",
  "POST /api/room/$id/kick/" . ('x' x 10240),
  "GET /lk/last",
]
--- more_headers eval
$::h14
--- error_code eval
[200, 414, 200]
--- response_body_like eval
[qr/^ok$/, qr/414/, qr/^none$/]



=== TEST 15: LiveKit down: a clear 502 at once, for every kind of route
--- http_config eval: $::http_config
--- config eval: $::down_config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h15 = ::hdr($ao);
[
  "POST /api/room/$id/kick/$uid",
  "POST /api/room/$id/mute/$uid",
  "POST /api/room/$id/promote/$uid",
  "POST /api/room/$id/deafen/$uid",
  "GET /api/room/$id/participant/$uid/info",
]
--- more_headers eval: $::h15
--- timeout: 5
--- error_code eval
[(502) x 5]
--- response_body eval
[('{"error":"LiveKit is unavailable"}') x 5]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }
--- no_error_log
[alert]
[crit]



=== TEST 16: LiveKit not configured: 502 saying so; a demotion still takes the rights away
--- http_config eval: $::off_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
BedrudTest::redis_cli('SADD', "bedrud:room:{$id}:mods", $uid);
$::h16 = [::hdr($a), ::hdr($ao), ::hdr($ao), ::hdr($ao), ::hdr($a)];
[
  "POST /api/room/$id/spotlight/$owner",
  "POST /api/room/$id/kick/$uid",
  "POST /api/room/$id/video/$uid/off",
  "POST /api/room/$id/demote/$uid",
  "POST /api/room/$id/spotlight/$owner",
]
--- more_headers eval
$::h16
--- error_code eval
[502, 502, 502, 502, 403]
--- response_body eval
[
  '{"error":"LiveKit is not configured"}',
  '{"error":"LiveKit is not configured"}',
  '{"error":"LiveKit is not configured"}',
  '{"error":"LiveKit is not configured: the moderator rights are removed"}',
  '{"error":"not authorized for this room"}',
]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 17: LiveKit refuses (Twirp's internal error): 502, logged with its answer
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h17 = ::hdr($ao);
"POST /api/room/$id/kick/broken"
--- more_headers eval: $::h17
--- error_code: 502
--- response_body chomp
{"error":"LiveKit refused the request"}
--- error_log
bedrud: LiveKit RemoveParticipant refused: {"code":"internal","msg":"boom"}
--- no_error_log
[alert]
[crit]



=== TEST 17b: the same for a route that reads the participant first
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h17b = ::hdr($ao);
"POST /api/room/$id/mute/broken"
--- more_headers eval: $::h17b
--- error_code: 502
--- response_body chomp
{"error":"LiveKit refused the request"}



=== TEST 18: a token LiveKit rejects (another secret): 502
--- http_config eval: $::wrong_secret_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h18 = ::hdr($ao);
"POST /api/room/$id/deafen/$uid"
--- more_headers eval: $::h18
--- error_code: 502
--- response_body chomp
{"error":"LiveKit refused the request"}
--- grep_error_log eval: $::lk_log
--- grep_error_log_out
bedrud: LiveKit SendData failed: 401



=== TEST 19: LiveKit slow: 502 after proxy_read_timeout (2 s), not later
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::h19 = ::hdr($ao);
"POST /api/room/$id/kick/slow"
--- more_headers eval: $::h19
--- timeout: 3
--- error_code: 502
--- response_body chomp
{"error":"LiveKit is unavailable"}
--- grep_error_log eval: $::lk_log
--- grep_error_log_out
bedrud: LiveKit RemoveParticipant failed: 504



=== TEST 20: a message to a room LiveKit does not have (nobody in it) is a 404
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner, name => "gone-" . int(rand(1e9)));
$::h20 = ::hdr($ao);
"POST /api/room/$id/spotlight/someone"
--- more_headers eval: $::h20
--- error_code: 404
--- response_body chomp
{"error":"Participant not found"}



=== TEST 21: ban in an E2EE room: recorded, removed, "ban" then "rekey"; a guest identity too
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, e2ee => 1);
@::t21 = ($owner, $uid, $name);
$::h21 = ['', ::hdr($ao), ::hdr($ao), ''];
[
  "GET /lk/reset",
  "POST /api/room/$id/ban/$uid",
  "POST /api/room/$id/ban/guest-ab12cd34",
  "GET /lk/calls",
]
--- more_headers eval
$::h21
--- response_body_like eval
my ($owner, $uid, $name) = @::t21;
[
  qr/^ok$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"status":"success"\}$/,
  ::calls(::participant_call('RemoveParticipant', $name, $uid),
          ::message($name, 'ban', $owner, $uid),
          ::message($name, 'rekey', $owner, $uid),
          ::participant_call('RemoveParticipant', $name, 'guest-ab12cd34'),
          ::message($name, 'ban', $owner, 'guest-ab12cd34'),
          ::message($name, 'rekey', $owner, 'guest-ab12cd34')),
]
