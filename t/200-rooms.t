# Rooms: create, join, guest-join, list, settings, delete, ban and unban;
# success and error paths, permissions, and the LiveKit join tokens.

use lib 't/inc';
use BedrudTest;
use LiveKitMock qw(mock_twirp lk_location);
use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url decode_base64url);
use JSON::PP ();

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config();

# bans remove the participant through LiveKit: a mock RoomService
our $lkport = mock_twirp();
our $lk_http_config = http_config(extra => '    bedrud_livekit_api /_livekit/;');
our $lk_config = lk_location($lkport);
our $n = int(rand(1_000_000_000));
our $rooms = 0;
our $host = 'http://127.0.0.1:7880';
our $uuid = qr/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;
our $stamp = qr/20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z/;
our $all = '"settings":{"allowChat":true,"allowVideo":true,'
    . '"allowAudio":true,"requireApproval":false,"e2ee":false}';

# fixtures use the room functions directly: load them now, nginx has not
# necessarily connected yet
{
    my $f = "$ENV{TEST_NGINX_TOP}/redis/rooms.lua";
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    my $lua = <$fh>;
    redis_cli('FUNCTION', 'LOAD', 'REPLACE', $lua);
}

our $lk_secret = do {
    open my $fh, '<', "$ENV{TEST_NGINX_TOP}/t/data/livekit.secret" or die $!;
    my $s = <$fh>;
    $s =~ s/\s+\z//;
    $s;
};

# a room straight in Redis; returns (id, name)
sub make_room {
    my (%o) = @_;
    my $id = uuid();
    my $name = $o{name} // "fx-$::n-" . ++$::rooms;
    my %s = (allowChat => 1, allowVideo => 1, allowAudio => 1,
             requireApproval => 0, e2ee => 0, %{ $o{settings} // {} });
    my $settings = '{' . join(',', map { "\"$_\":" . ($s{$_} ? 'true' : 'false') }
        qw(allowChat allowVideo allowAudio requireApproval e2ee)) . '}';
    my $now = time;
    my $r = redis_cli('FCALL', 'bedrud_room_create', 4,
        "bedrud:roomname:$name", "bedrud:room:{$id}",
        "bedrud:user:{$o{owner}}:rooms", 'bedrud:rooms',
        $id, $name, $o{owner}, $o{max} // 20, $o{public} ? 1 : 0,
        $o{mode} // 'standard', $settings, '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z', $now * 1000 + $::rooms, $now);
    die "make_room: $r" unless $r =~ /^OK/;
    redis_cli('HSET', "bedrud:room:{$id}", 'isActive', '0') if $o{inactive};
    return ($id, $name);
}

# The claims of the join token in a response, as one line of text:
# signature and times checked here, the rest canonical JSON.
my $canon = JSON::PP->new->canonical(1);

sub claims_of {
    my ($body) = @_;
    my $res = eval { JSON::PP->new->decode($body) };
    return "no token: $body" unless ref $res eq 'HASH' && $res->{token};
    my ($h, $p, $s) = split /\./, $res->{token};
    my $sig = encode_base64url(hmac_sha256("$h.$p", $::lk_secret)) eq $s
              ? 'ok' : 'BAD';
    my $c = JSON::PP->new->decode(decode_base64url($p));
    my $now = time;
    my $times = (abs($c->{nbf} - $now) <= 5 && $c->{exp} - $c->{nbf} == 3600)
                ? 'ok' : "BAD nbf=$c->{nbf} exp=$c->{exp}";
    delete @$c{qw(nbf exp)};
    return "sig=$sig times=$times header=" . decode_base64url($h)
        . " claims=" . $canon->encode($c);
}

sub video {
    my (%o) = @_;
    my @src;
    push @src, 'camera' if $o{video};
    push @src, 'microphone' if $o{audio};
    push @src, 'screen_share' if $o{video};
    push @src, 'screen_share_audio' if $o{audio};
    return '"video":{"canPublish":' . ($o{audio} || $o{video} ? 'true' : 'false')
        . ',"canPublishData":' . ($o{chat} ? 'true' : 'false')
        . ',"canPublishSources":[' . join(',', map { "\"$_\"" } @src) . ']'
        . ',"canSubscribe":true,"canUpdateOwnMetadata":'
        . ($o{guest} ? 'false' : 'true')
        . ',"room":"' . $o{room} . '","roomJoin":true}';
}

our $no_lk_config = http_config() =~ s/^.*bedrud_livekit_secret_file.*\n//mr;

run_tests();

__DATA__

=== TEST 1: create: everything as sent, a normalised duplicate, generated names, defaults
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a1 = $a; $::u1 = $uid;
[
  "POST /api/room/create\n{\"name\":\"Full-$::n\",\"maxParticipants\":7,\"isPublic\":true,\"mode\":\"webinar\",\"settings\":{\"allowChat\":false,\"allowVideo\":false,\"allowAudio\":true,\"requireApproval\":true,\"e2ee\":true}}",
  "POST /api/room/create\n{\"name\":\" \\u3000FULL-$::n\\t\\n\"}",
  "POST /api/room/create\n{}",
  "POST /api/room/create\n{\"name\":\"   \",\"maxParticipants\":0,\"settings\":{\"e2ee\":true}}",
  "POST /api/room/create\n{\"NAME\":\"case-$::n\",\"MaxParticipants\":-1,\"settings\":{\"allowaudio\":false},\"mode\":\"\"}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a1"
--- error_code eval
[200, 409, 200, 200, 200]
--- response_body_like eval
[
  qr/^\{"id":"$::uuid","name":"full-$::n","createdBy":"$::u1","isActive":true,"isPublic":true,"maxParticipants":7,"settings":\{"allowChat":false,"allowVideo":false,"allowAudio":true,"requireApproval":true,"e2ee":true\},"livekitHost":"\Q$::host\E","mode":"webinar"\}$/,
  qr/^\{"error":"a room with this name already exists"\}$/,
  qr/^\{"id":"$::uuid","name":"[a-z]{3}-[a-z]{4}-[a-z]{3}","createdBy":"$::u1","isActive":true,"isPublic":false,"maxParticipants":20,\Q$::all\E,"livekitHost":"\Q$::host\E","mode":"standard"\}$/,
  qr/^\{"id":"$::uuid","name":"[a-z]{3}-[a-z]{4}-[a-z]{3}","createdBy":"$::u1","isActive":true,"isPublic":false,"maxParticipants":0,"settings":\{"allowChat":true,"allowVideo":true,"allowAudio":true,"requireApproval":false,"e2ee":true\},"livekitHost":"[^"]+","mode":"standard"\}$/,
  qr/^\{"id":"$::uuid","name":"case-$::n",.*"maxParticipants":-1,"settings":\{"allowChat":true,"allowVideo":true,"allowAudio":false,"requireApproval":false,"e2ee":false\},.*"mode":"standard"\}$/,
]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: create: bad input is a clear 400 and creates nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a2 = $a;
[
  "POST /api/room/create\n{\"name\":\"ab\"}",
  "POST /api/room/create\n{\"name\":\"" . ('a' x 64) . "\"}",
  "POST /api/room/create\n{\"name\":\"" . ('a' x 10240) . "\"}",
  "POST /api/room/create\n{\"name\":\"bad name\"}",
  "POST /api/room/create\n{\"name\":\"-abc\"}",
  "POST /api/room/create\n{\"name\":\"abc-\"}",
  "POST /api/room/create\n{\"name\":\"a--bc\"}",
  "POST /api/room/create\n{\"name\":\"r\\u00e9union\"}",
  "POST /api/room/create\n{\"name\":\"ab\\r\\ncd\"}",
  "POST /api/room/create\n{\"name\":\"abc\\u0000\"}",
  "POST /api/room/create\n{\"name\":\"a_b.c\"}",
  "POST /api/room/create\n{\"name\":42}",
  "POST /api/room/create\n{\"maxParticipants\":\"20\"}",
  "POST /api/room/create\n{\"maxParticipants\":1.5}",
  "POST /api/room/create\n{\"maxParticipants\":99999999999}",
  "POST /api/room/create\n{\"isPublic\":\"yes\"}",
  "POST /api/room/create\n{\"settings\":[]}",
  "POST /api/room/create\n{\"settings\":{\"e2ee\":\"true\"}}",
  "POST /api/room/create\n{\"mode\":\"" . ('m' x 21) . "\"}",
  "POST /api/room/create\n{\"mode\":\"a\\nb\"}",
  "POST /api/room/create\nnot json",
  "POST /api/room/create\n[]",
  "GET /api/room/list",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a2"
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400,
 400, 400, 400, 400, 400, 400, 400, 200]
--- response_body eval
[
  '{"error":"room name must be at least 3 characters"}',
  '{"error":"room name must be at most 63 characters"}',
  '{"error":"room name must be at most 63 characters"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"room name must contain only lowercase letters, numbers, and hyphens"}',
  '{"error":"Invalid request body"}',
  '{"error":"Invalid request body"}',
  '{"error":"Invalid request body"}',
  '{"error":"Invalid request body"}',
  '{"error":"Invalid request body"}',
  '{"error":"Invalid request body"}',
  '{"error":"Invalid request body"}',
  '{"error":"mode must be at most 20 characters"}',
  '{"error":"mode contains invalid characters"}',
  '{"error":"Invalid request body"}',
  '{"error":"Invalid request body"}',
  '[]',
]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 3: create and list need a valid token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[
  "POST /api/room/create\n{}",
  "GET /api/room/list",
  "POST /api/room/join\n{\"roomName\":\"x-$::n\"}",
]
--- more_headers eval
["Content-Type: application/json",
 "Authorization: Bearer not-a-token",
 "Content-Type: application/json\nAuthorization: Bearer " . BedrudTest::mint(exp => time - 10)]
--- error_code eval
[401, 401, 401]
--- response_body eval
[
  '{"error":"Missing authorization"}',
  '{"error":"Invalid token"}',
  '{"error":"Invalid token"}',
]



=== TEST 4: list: own rooms only, newest first, full Room objects in Bedrud's order
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
my ($other) = BedrudTest::mint_pair();
$::a4 = $a; $::u4 = $uid;
($::id4a, $::n4a) = ::make_room(owner => $uid, max => 3, public => 1,
                                 settings => { e2ee => 1, allowChat => 0 });
::make_room(owner => $other);
($::id4b, $::n4b) = ::make_room(owner => $uid, mode => 'class');
[
  "GET /api/room/list",
  "GET /api/room/list/",
]
--- more_headers eval
"Authorization: Bearer $::a4"
--- error_code eval
[200, 200]
--- response_body_like eval
[
  qr/^\[\{"id":"$::id4b","name":"$::n4b","createdBy":"$::u4","isActive":true,"maxParticipants":20,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","expiresAt":"2026-01-02T00:00:00Z","adminId":"$::u4","isPublic":false,\Q$::all\E,"mode":"class","activeNow":0\},\{"id":"$::id4a","name":"$::n4a","createdBy":"$::u4","isActive":true,"maxParticipants":3,"createdAt":"[^"]+","updatedAt":"[^"]+","expiresAt":"[^"]+","adminId":"$::u4","isPublic":true,"settings":\{"allowChat":false,"allowVideo":true,"allowAudio":true,"requireApproval":false,"e2ee":true\},"mode":"standard","activeNow":0\}\]$/,
  qr/^\[\{"id":"$::id4b",.*\},\{"id":"$::id4a",.*\}\]$/,
]



=== TEST 5: created rooms list with real timestamps (expiresAt = createdAt + 24 h)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a5 = $a;
[
  "POST /api/room/create\n{\"name\":\"stamps-$::n\"}",
  "GET /api/room/list",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a5"
--- error_code eval
[200, 200]
--- response_body_like eval
[
  qr/^\{"id":"$::uuid","name":"stamps-$::n"/,
  qr/^\[\{"id":"$::uuid","name":"stamps-$::n","createdBy":"[^"]+","isActive":true,"maxParticipants":20,"createdAt":"($::stamp)","updatedAt":"\1","expiresAt":"$::stamp","adminId":"[^"]+","isPublic":false,\Q$::all\E,"mode":"standard","activeNow":0\}\]$/,
]
--- response_body_filters eval
sub {
    my $b = shift;
    return $b unless $b =~ /"createdAt":"([^"]+)","updatedAt":"[^"]+","expiresAt":"([^"]+)"/;
    my ($c, $e) = ($1, $2);
    for ($c, $e) { s/\.\d+//; }
    require Time::Local;
    my $t = sub { my @f = $_[0] =~ /(\d+)/g;
                  Time::Local::timegm($f[5], $f[4], $f[3], $f[2], $f[1] - 1, $f[0]) };
    return $t->($e) - $t->($c) == 86400 ? $b : "expiresAt is not createdAt + 24h: $b";
}



=== TEST 5b: list: activeNow counts the identities LiveKit reports connected now
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a5b = $a;
my ($busy) = ::make_room(owner => $uid);
my ($left) = ::make_room(owner => $uid);
# the newest presence webhook per identity, as bedrud_livekit_event keeps it
BedrudTest::redis_cli('HSET', "bedrud:room:{$busy}:presence", 'u-1', '1795780861 in',
          'guest-ab12cd34', '1795780862 in', 'u-3', '1795780863 out');
BedrudTest::redis_cli('HSET', "bedrud:room:{$left}:presence", 'u-1', '1795780864 out');
$::busy5b = $busy; $::left5b = $left;
["GET /api/room/list"]
--- more_headers eval
"Authorization: Bearer $::a5b"
--- error_code: 200
--- response_body_like eval
qr/^\[\{"id":"$::left5b",[^\[\]]*"mode":"standard","activeNow":0\},\{"id":"$::busy5b",[^\[\]]*"mode":"standard","activeNow":2\}\]$/



=== TEST 6: join: Bedrud's answer, a normalised name, errors
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
$::a6 = $a; $::o6 = $owner;
($::id6, $::n6) = ::make_room(owner => $owner, max => 5, mode => 'talk',
                              settings => { e2ee => 1 });
[
  "POST /api/room/join\n{\"roomName\":\"$::n6\"}",
  "POST /api/room/join\n{\"roomName\":\"\\u00a0 \U$::n6\E \\r\\n\"}",
  "POST /api/room/join\n{\"roomname\":\"$::n6\"}",
  "POST /api/room/join\n{\"roomName\":\"nope-$::n\"}",
  "POST /api/room/join\n{\"roomName\":\"\"}",
  "POST /api/room/join\n{}",
  "POST /api/room/join\n{\"roomName\":\"bad name\\u0000\"}",
  "POST /api/room/join\n{\"roomName\":\"" . ('x' x 10240) . "\"}",
  "POST /api/room/join\n{\"roomName\":5}",
  "POST /api/room/join\n{\"roomName\":[\"$::n6\"]}",
  "POST /api/room/join\nnope",
  "POST /api/room/join",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a6"
--- error_code eval
[200, 200, 200, 404, 404, 404, 404, 404, 400, 400, 400, 400]
--- response_body_like eval
[
  qr/^\{"id":"$::id6","name":"$::n6","token":"ey[\w-]+\.[\w-]+\.[\w-]+","createdBy":"$::o6","adminId":"$::o6","isActive":true,"isPublic":false,"maxParticipants":5,"expiresAt":"2026-01-02T00:00:00Z","settings":\{"allowChat":true,"allowVideo":true,"allowAudio":true,"requireApproval":false,"e2ee":true\},"livekitHost":"\Q$::host\E","mode":"talk"\}$/,
  qr/^\{"id":"$::id6","name":"$::n6","token":"ey/,
  qr/^\{"id":"$::id6","name":"$::n6","token":"ey/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 7: the user join token, claim by claim, signed with the LiveKit secret
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair(accesses => ['user', 'moderator']);
$::a7 = $a; $::u7 = $uid;
(undef, $::n7) = ::make_room(owner => $uid, settings => { e2ee => 1 });
"POST /api/room/join\n{\"roomName\":\"$::n7\"}"
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a7"
--- response_body_filters eval
\&::claims_of
--- response_body eval
'sig=ok times=ok header={"alg":"HS256","typ":"JWT"} claims={"iss":"testkey",'
. '"metadata":"{\"accesses\":[\"user\",\"moderator\"]}","name":"X",'
. "\"sub\":\"$::u7\","
. ::video(room => $::n7, audio => 1, video => 1, chat => 1) . '}'
--- response_body_unlike
roomRecord|roomAdmin|roomCreate|roomList|recorder|egress|hidden|agent



=== TEST 8: settings become grants: audio, video and chat switched off
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a8 = $a; $::u8 = $uid;
@::r8 = map { (::make_room(owner => $uid, settings => $_))[1] }
    ({ allowAudio => 0 }, { allowVideo => 0 },
     { allowAudio => 0, allowVideo => 0 }, { allowChat => 0, e2ee => 1 },
     { allowAudio => 0, allowVideo => 0, allowChat => 0, e2ee => 1 });
[ map { "POST /api/room/join\n{\"roomName\":\"$_\"}" } @::r8 ]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a8"
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_filters eval
\&::claims_of
--- response_body eval
my $pre = 'sig=ok times=ok header={"alg":"HS256","typ":"JWT"} '
    . 'claims={"iss":"testkey","metadata":"{\"accesses\":[\"user\"]}",'
    . "\"name\":\"X\",\"sub\":\"$::u8\",";
[
  $pre . ::video(room => $::r8[0], video => 1, chat => 1) . '}',
  $pre . ::video(room => $::r8[1], audio => 1, chat => 1) . '}',
  $pre . ::video(room => $::r8[2], chat => 1) . '}',
  $pre . ::video(room => $::r8[3], audio => 1, video => 1) . '}',
  $pre . ::video(room => $::r8[4]) . '}',
]



=== TEST 9: guest join: Bedrud's keys plus settings; the guest token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner) = BedrudTest::mint_pair();
$::o9 = $owner;
($::id9, $::n9) = ::make_room(owner => $owner, public => 1,
                              settings => { allowVideo => 0, e2ee => 1 });
[
  "POST /api/room/guest-join\n{\"roomName\":\"$::n9\",\"guestName\":\" \\u3000Gus the Guest\\t\"}",
  "POST /api/room/guest-join\n{\"roomName\":\"$::n9\",\"guestName\":\"Gus\"}",
]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_filters eval
[[], [\&::claims_of]]
--- response_body_like eval
[
  qr/^\{"id":"$::id9","name":"$::n9","token":"ey[\w-]+\.[\w-]+\.[\w-]+","adminId":"$::o9","livekitHost":"\Q$::host\E","settings":\{"allowChat":true,"allowVideo":false,"allowAudio":true,"requireApproval":false,"e2ee":true\}\}$/,
  qr/^sig=ok times=ok header=\{"alg":"HS256","typ":"JWT"\} claims=\{"iss":"testkey","name":"Gus","sub":"guest-[a-z0-9]{8}",\Q@{[::video(room => $::n9, audio => 1, chat => 1, guest => 1)]}\E\}$/,
]



=== TEST 10: guest join: the order of checks (the "\u0000" probe reaches the 404)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $pub) = ::make_room(owner => $owner, public => 1);
my (undef, $priv) = ::make_room(owner => $owner);
my (undef, $gone) = ::make_room(owner => $owner, public => 1, inactive => 1);
my (undef, $gone_priv) = ::make_room(owner => $owner, inactive => 1);
my $gj = sub { "POST /api/room/guest-join\n" . $_[0] };
[
  $gj->("{\"roomName\":\"nope-$::n\",\"guestName\":\"\\u0000\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":\"\\u0000\"}"),
  $gj->("{\"roomName\":\"nope-$::n\",\"guestName\":\"  \"}"),
  $gj->("{\"roomName\":\"nope-$::n\",\"guestName\":\"\\u00a0\\u2003\\u3000\\u0085\"}"),
  $gj->("{\"roomName\":\"nope-$::n\"}"),
  $gj->("{\"roomName\":\"$priv\",\"guestName\":\"\\u0000\"}"),
  $gj->("{\"roomName\":\"$priv\",\"guestName\":\"Gus\"}"),
  $gj->("{\"roomName\":\"$gone_priv\",\"guestName\":\"Gus\"}"),
  $gj->("{\"roomName\":\"$gone\",\"guestName\":\"Gus\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":\"" . ('g' x 101) . "\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":\"" . ('g' x 10240) . "\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":\"Gus\\r\\nX-Evil: 1\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":\"Gus\\u202egnp.exe\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":\"Gus\\u0085Gus\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":7}"),
  $gj->("{\"roomName\":[],\"guestName\":\"Gus\"}"),
  $gj->("not json"),
  $gj->("{\"roomName\":\"  \U$pub\E \",\"guestName\":\"" . ('g' x 100) . "\"}"),
  $gj->("{\"roomName\":\"$pub\",\"guestName\":\"Zo\\u00eb \\u674e\"}"),
]
--- more_headers
Content-Type: application/json
--- error_code eval
[404, 400, 400, 400, 400, 400, 403, 403, 410, 400, 400, 400, 400, 400, 400,
 400, 400, 200, 200]
--- response_body_like eval
[
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Guest name contains invalid characters"\}$/,
  qr/^\{"error":"Guest name is required"\}$/,
  qr/^\{"error":"Guest name is required"\}$/,
  qr/^\{"error":"Guest name is required"\}$/,
  qr/^\{"error":"Guest name contains invalid characters"\}$/,
  qr/^\{"error":"This room is private"\}$/,
  qr/^\{"error":"This room is private"\}$/,
  qr/^\{"error":"room is no longer active"\}$/,
  qr/^\{"error":"Guest name must be at most 100 characters"\}$/,
  qr/^\{"error":"Guest name must be at most 100 characters"\}$/,
  qr/^\{"error":"Guest name contains invalid characters"\}$/,
  qr/^\{"error":"Guest name contains invalid characters"\}$/,
  qr/^\{"error":"Guest name contains invalid characters"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"id":"$::uuid","name":"[^"]+","token":"ey/,
  qr/^\{"id":"$::uuid","name":"[^"]+","token":"ey/,
]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 11: capacity counts current seats: re-joins refresh, expired seats free up
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($u1, $a1) = BedrudTest::mint_pair();
my ($u2, $a2) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, max => 2, public => 1);
# two seats whose tokens have expired: they must not count
BedrudTest::redis_cli('ZADD', "bedrud:room:{$id}:seats", time - 5, 'ghost-1',
                      time - 1, 'ghost-2');
$::m11 = ["Content-Type: application/json\nAuthorization: Bearer $a1",
          "Content-Type: application/json\nAuthorization: Bearer $ao",
          "Content-Type: application/json\nAuthorization: Bearer $a2",
          "Content-Type: application/json\nAuthorization: Bearer $a1",
          "Content-Type: application/json\nAuthorization: Bearer $ao",
          "Content-Type: application/json"];
my $j = "POST /api/room/join\n{\"roomName\":\"$name\"}";
[$j, $j, $j, $j, $j,
 "POST /api/room/guest-join\n{\"roomName\":\"$name\",\"guestName\":\"Gus\"}"]
--- more_headers eval
$::m11
--- error_code eval
[200, 200, 403, 200, 200, 403]
--- response_body_like eval
[
  qr/^\{"id":/,
  qr/^\{"id":/,
  qr/^\{"error":"room is full"\}$/,
  qr/^\{"id":/,
  qr/^\{"id":/,
  qr/^\{"error":"room is full"\}$/,
]



=== TEST 12: guests take seats too; unlimited rooms (0 or less) never fill
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my (undef, $one) = ::make_room(owner => $owner, max => 1, public => 1);
my (undef, $zero) = ::make_room(owner => $owner, max => 0, public => 1);
my (undef, $neg) = ::make_room(owner => $owner, max => -3, public => 1);
$::ao12 = $ao;
my $g = sub { "POST /api/room/guest-join\n{\"roomName\":\"$_[0]\",\"guestName\":\"G\"}" };
[$g->($one), $g->($one), "POST /api/room/join\n{\"roomName\":\"$one\"}",
 $g->($zero), $g->($zero), $g->($zero), $g->($neg), $g->($neg)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json\nAuthorization: Bearer $::ao12",
 ("Content-Type: application/json") x 5]
--- error_code eval
[200, 403, 403, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/"token"/, qr/room is full/, qr/room is full/, qr/"token"/, qr/"token"/,
 qr/"token"/, qr/"token"/, qr/"token"/]



=== TEST 13: an authenticated join re-activates an inactive room; guests then get in
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, public => 1, inactive => 1);
$::a13 = $a;
my $g = "POST /api/room/guest-join\n{\"roomName\":\"$name\",\"guestName\":\"G\"}";
[$g, "POST /api/room/join\n{\"roomName\":\"$name\"}", $g]
--- more_headers eval
["Content-Type: application/json",
 "Content-Type: application/json\nAuthorization: Bearer $::a13",
 "Content-Type: application/json"]
--- error_code eval
[410, 200, 200]
--- response_body_like eval
[
  qr/^\{"error":"room is no longer active"\}$/,
  qr/^\{"id":"$::uuid","name":"[^"]+","token":"[^"]+","createdBy":"[^"]+","adminId":"[^"]+","isActive":true,/,
  qr/^\{"id":"$::uuid","name":"[^"]+","token":"ey/,
]



=== TEST 14: ban and unban a user: owner, superadmin; strangers and guests cannot
--- http_config eval: $::lk_http_config
--- config eval: $::lk_config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my (undef, $as) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my (undef, $ag) = BedrudTest::mint_pair(provider => 'guest',
                                        accesses => ['guest']);
my ($id, $name) = ::make_room(owner => $owner);
my $h = sub { "Content-Type: application/json\nAuthorization: Bearer $_[0]" };
$::m14 = [$h->($a), $h->($as), $h->($ag), $h->($ao), $h->($a), $h->($ao),
          $h->($a), $h->($asu), $h->($a), $h->($as), $h->($asu), $h->($a),
          $h->($ao), $h->($ao), $h->($ao)];
my $j = "POST /api/room/join\n{\"roomName\":\"$name\"}";
[
  $j,
  "POST /api/room/$id/ban/$uid",
  "POST /api/room/$id/ban/$uid",
  "POST /api/room/$id/ban/$uid",
  $j,
  "POST /api/room/$id/unban/$uid",
  $j,
  "POST /api/room/$id/ban/$uid",
  $j,
  "POST /api/room/$id/unban/$uid",
  "POST /api/room/$id/unban/$uid",
  $j,
  "POST /api/room/" . BedrudTest::uuid() . "/ban/$uid",
  "POST /api/room/not-a-uuid/ban/$uid",
  "POST /api/room/$id/ban/a%20b",
]
--- more_headers eval
$::m14
--- error_code eval
[200, 403, 403, 200, 403, 200, 200, 200, 403, 403, 200, 200, 404, 404, 400]
--- response_body eval
[
  '{"id"',
  '{"error":"Insufficient permissions"}',
  '{"error":"Insufficient permissions"}',
  '{"status":"success"}',
  '{"error":"you are banned from this room"}',
  '{"status":"success"}',
  '{"id"',
  '{"status":"success"}',
  '{"error":"you are banned from this room"}',
  '{"error":"Insufficient permissions"}',
  '{"status":"success"}',
  '{"id"',
  '{"error":"Room not found"}',
  '{"error":"Room not found"}',
  '{"error":"Invalid identity"}',
]
--- response_body_filters eval
sub { $_[0] =~ /^\{"id"/ ? '{"id"' : $_[0] }



=== TEST 14b: bans are logged, without any token
--- http_config eval: $::lk_http_config
--- config eval: $::lk_config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id) = ::make_room(owner => $owner);
$::ao14 = $ao; $::id14 = $id;
"POST /api/room/$id/ban/guest-0000abcd"
--- more_headers eval
"Authorization: Bearer $::ao14"
--- response_body chomp
{"status":"success"}
--- error_log eval
qr/room $::id14: "guest-0000abcd" banned by [0-9a-f-]{36}/



=== TEST 15: banning a guest identity bans the guest's name too, until unbanned
--- http_config eval: $::lk_http_config
--- config eval: $::lk_config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, public => 1);
# a guest who joined earlier as "Mallory"
BedrudTest::redis_cli('HSET', "bedrud:room:{$id}:guests", 'guest-ab12cd34',
                      'Mallory');
$::ao15 = $ao;
my $g = sub { "POST /api/room/guest-join\n{\"roomName\":\"$name\",\"guestName\":\"$_[0]\"}" };
[
  $g->('Mallory'),
  "POST /api/room/$id/ban/guest-ab12cd34",
  $g->('Mallory'),
  $g->(' MALLORY '),
  $g->('Alice'),
  "POST /api/room/$id/ban/guest-zz99zz99",
  $g->('Mallory'),
  "POST /api/room/$id/unban/guest-ab12cd34",
  $g->('Mallory'),
]
--- more_headers eval
my $g = "Content-Type: application/json";
my $o = "Content-Type: application/json\nAuthorization: Bearer $::ao15";
[$g, $o, $g, $g, $g, $o, $g, $o, $g]
--- error_code eval
[200, 200, 403, 403, 200, 200, 403, 200, 200]
--- response_body_like eval
[qr/"token"/, qr/success/, qr/you are banned from this room/,
 qr/you are banned from this room/, qr/"token"/, qr/success/,
 qr/you are banned from this room/, qr/success/, qr/"token"/]



=== TEST 15b: the ban list (ngx_bedrud): owner and superadmin, with names
--- http_config eval: $::lk_http_config
--- config eval: $::lk_config
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid) = BedrudTest::mint_pair(name => 'Bob Banned');
my (undef, $as) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id) = ::make_room(owner => $owner, public => 1);
BedrudTest::redis_cli('HSET', "bedrud:room:{$id}:guests", 'guest-ab12cd34',
                      'Mallory M.');
# banned as "Eve", the guest since forgotten by the room
BedrudTest::redis_cli('HSET', "bedrud:room:{$id}:bans", 'guest-77777777', 'eve');
$::uid15b = $uid;
my $h = sub { "Authorization: Bearer $_[0]" };
$::h15b = [$h->($ao), $h->($ao), $h->($ao), $h->($as), $h->($ao), $h->($asu),
           $h->($ao), $h->($ao), $h->($ao), $h->($ao), ''];
[
  "GET /api/room/$id/bans",
  "POST /api/room/$id/ban/$uid",
  "POST /api/room/$id/ban/guest-ab12cd34",
  "GET /api/room/$id/bans",
  "GET /api/room/$id/bans",
  "GET /api/room/$id/bans",
  "POST /api/room/$id/unban/$uid",
  "GET /api/room/$id/bans",
  "GET /api/room/" . BedrudTest::uuid() . "/bans",
  "GET /api/room/not-a-uuid/bans",
  "GET /api/room/$id/bans",
]
--- more_headers eval
$::h15b
--- error_code eval
[200, 200, 200, 403, 200, 200, 200, 200, 404, 404, 401]
--- response_body eval
my $eve = '{"identity":"guest-77777777","name":"eve"}';
my $mal = '{"identity":"guest-ab12cd34","name":"Mallory M."}';
my $all = qq({"bans":[{"identity":"$::uid15b","name":"Bob Banned"},$eve,$mal]});
[
  qq({"bans":[$eve]}),
  '{"status":"success"}',
  '{"status":"success"}',
  '{"error":"Insufficient permissions"}',
  $all,
  $all,
  '{"status":"success"}',
  qq({"bans":[$eve,$mal]}),
  '{"error":"Room not found"}',
  '{"error":"Room not found"}',
  '{"error":"Missing authorization"}',
]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 16: a banned user is refused even when the room is not full; capacity first
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($uid, $a) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, max => 1);
BedrudTest::redis_cli('HSET', "bedrud:room:{$id}:bans", $uid, '');
BedrudTest::redis_cli('ZADD', "bedrud:room:{$id}:seats", time + 600, 'someone');
$::a16 = $a;
"POST /api/room/join\n{\"roomName\":\"$name\"}"
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a16"
--- error_code: 403
--- response_body chomp
{"error":"room is full"}



=== TEST 17: settings: owner and superadmin only; omitted flags become false
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my (undef, $as) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id, $name) = ::make_room(owner => $owner);
$::id17 = $id; $::n17 = $name; $::o17 = $owner;
my $h = sub { "Content-Type: application/json\nAuthorization: Bearer $_[0]" };
$::m17 = [$h->($ao), $h->($as), $h->($asu), $h->($ao), $h->($ao), $h->($ao),
          $h->($ao), $h->($ao), $h->($ao), $h->($ao), $h->($ao), $h->($ao)];
my $p = "PUT /api/room/$id/settings\n";
[
  $p . '{"isPublic":true,"maxParticipants":5,"settings":{"allowChat":false,"e2ee":true}}',
  $p . '{"isPublic":false}',
  $p . '{"maxParticipants":0}',
  $p . '{}',
  $p . '{"isPublic":"no"}',
  $p . '{"maxParticipants":"5"}',
  $p . '{"settings":{"allowVideo":1}}',
  $p . '{"settings":true}',
  $p . 'not json',
  "PUT /api/room/" . BedrudTest::uuid() . "/settings\n{}",
  "PUT /api/room/x}y/settings\n{}",
  $p . '{"settings":{"allowVideo":true,"allowAudio":true,"allowChat":true}}',
]
--- more_headers eval
$::m17
--- error_code eval
[200, 403, 200, 200, 400, 400, 400, 400, 400, 404, 404, 200]
--- response_body_like eval
[
  qr/^\{"id":"$::id17","name":"$::n17","createdBy":"$::o17","isActive":true,"maxParticipants":5,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"$::stamp","expiresAt":"2026-01-02T00:00:00Z","adminId":"$::o17","isPublic":true,"settings":\{"allowChat":false,"allowVideo":false,"allowAudio":false,"requireApproval":false,"e2ee":true\},"mode":"standard"\}$/,
  qr/^\{"error":"Insufficient permissions"\}$/,
  qr/^\{"id":"$::id17",.*"maxParticipants":0,.*"isPublic":true,"settings":\{"allowChat":false,"allowVideo":false,"allowAudio":false,"requireApproval":false,"e2ee":true\}/,
  qr/^\{"id":"$::id17",.*"maxParticipants":0,.*"isPublic":true,"settings":\{"allowChat":false,"allowVideo":false,"allowAudio":false,"requireApproval":false,"e2ee":true\}/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Invalid body"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"id":"$::id17",.*"maxParticipants":0,.*"isPublic":true,"settings":\{"allowChat":true,"allowVideo":true,"allowAudio":true,"requireApproval":false,"e2ee":false\}/,
]



=== TEST 18: changed settings reach the next token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
$::ao18 = $ao; $::n18 = $name; $::u18 = $owner;
[
  "PUT /api/room/$id/settings\n{\"settings\":{\"allowAudio\":true,\"e2ee\":true}}",
  "POST /api/room/join\n{\"roomName\":\"$name\"}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::ao18"
--- response_body_filters eval
[[], [\&::claims_of]]
--- response_body_like eval
[
  qr/"settings":\{"allowChat":false,"allowVideo":false,"allowAudio":true,"requireApproval":false,"e2ee":true\}/,
  qr/^\Q@{['sig=ok times=ok header={"alg":"HS256","typ":"JWT"} claims={"iss":"testkey",'
  . '"metadata":"{\"accesses\":[\"user\"]}","name":"X",'
  . "\"sub\":\"$::u18\","
  . ::video(room => $::n18, audio => 1) . '}']}\E$/,
]



=== TEST 19: delete: creator or superadmin; frees the name
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my (undef, $as) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($id, $name) = ::make_room(owner => $owner);
my ($id2, $name2) = ::make_room(owner => $owner);
my $h = sub { "Content-Type: application/json\nAuthorization: Bearer $_[0]" };
$::m19 = [$h->($as), $h->($ao), $h->($ao), $h->($ao), $h->($ao), $h->($asu),
          $h->($ao), $h->($ao), $h->($as)];
[
  "DELETE /api/room/$id",
  "DELETE /api/room/$id",
  "DELETE /api/room/$id",
  "POST /api/room/join\n{\"roomName\":\"$name\"}",
  "POST /api/room/create\n{\"name\":\"$name\"}",
  "DELETE /api/room/$id2",
  "GET /api/room/list",
  "DELETE /api/room/nope",
  "GET /api/room/list",
]
--- more_headers eval
$::m19
--- error_code eval
[403, 200, 404, 404, 200, 200, 200, 404, 200]
--- response_body_like eval
[
  qr/^\{"error":"Only the room creator can delete this room"\}$/,
  qr/^\{"status":"success"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\{"id":"$::uuid","name":"fx-/,
  qr/^\{"status":"success"\}$/,
  qr/^\[\{"id":"$::uuid","name":"fx-[^"]+","createdBy"[^\]]+\}\]$/,
  qr/^\{"error":"Room not found"\}$/,
  qr/^\[\]$/,
]



=== TEST 20: guest accounts are users: they create and join, with user grants
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair(provider => 'guest', accesses => ['guest']);
$::a20 = $a; $::u20 = $uid;
[
  "POST /api/room/create\n{\"name\":\"guestroom-$::n\"}",
  "POST /api/room/join\n{\"roomName\":\"guestroom-$::n\"}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a20"
--- response_body_filters eval
[[], [\&::claims_of]]
--- response_body_like eval
[
  qr/^\{"id":"$::uuid","name":"guestroom-\d+","createdBy":"$::u20"/,
  qr/^sig=ok times=ok header=\S+ claims=\{"iss":"testkey","metadata":"\{\\"accesses\\":\[\\"guest\\"\]\}","name":"X","sub":"$::u20",.*"canUpdateOwnMetadata":true,/,
]



=== TEST 21: without a LiveKit secret: 500 after every other check
--- http_config eval: $::no_lk_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, max => 1, public => 1);
my (undef, $priv) = ::make_room(owner => $owner);
$::ao21 = $ao;
[
  "POST /api/room/join\n{\"roomName\":\"nope-$::n\"}",
  "POST /api/room/guest-join\n{\"roomName\":\"nope-$::n\",\"guestName\":\"G\"}",
  "POST /api/room/guest-join\n{\"roomName\":\"$priv\",\"guestName\":\"G\"}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::ao21"
--- error_code eval
[404, 404, 403]
--- response_body eval
[
  '{"error":"Room not found"}',
  '{"error":"Room not found"}',
  '{"error":"This room is private"}',
]



=== TEST 21b: without a LiveKit secret: the join fails, says why, takes no seat
--- http_config eval: $::no_lk_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner, $ao) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner, max => 1, public => 1);
$::ao21b = $ao; $::id21 = $id;
[
  "POST /api/room/join\n{\"roomName\":\"$name\"}",
  "POST /api/room/guest-join\n{\"roomName\":\"$name\",\"guestName\":\"G\"}",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::ao21b"
--- error_code eval
[500, 500]
--- response_body_filters eval
sub { $_[0] . ' seats=' . BedrudTest::redis_cli('ZCARD', "bedrud:room:{$::id21}:seats") }
--- response_body eval
[
  '{"error":"Failed to generate room token"} seats=0',
  '{"error":"Failed to generate room token"} seats=0',
]
--- error_log
cannot sign LiveKit tokens



=== TEST 22: no key material anywhere: not in answers, not in the log
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a22 = $a;
(undef, $::n22) = ::make_room(owner => $uid, public => 1, settings => { e2ee => 1 });
[
  "POST /api/room/join\n{\"roomName\":\"$::n22\"}",
  "POST /api/room/guest-join\n{\"roomName\":\"$::n22\",\"guestName\":\"G\"}",
  "GET /api/room/list",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a22"
--- response_body_unlike eval
[qr/\Q$::lk_secret\E|secret|passphrase|"key"/i, qr/\Q$::lk_secret\E|secret|passphrase|"key"/i,
 qr/\Q$::lk_secret\E|secret|passphrase|"key"/i]
--- no_error_log eval
[$::lk_secret, $::lk_secret, $::lk_secret]



=== TEST 23: wrong methods on room paths
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
["GET /api/room/create", "PUT /api/room/join"]
--- error_code eval
[405, 405]
