# POST /api/livekit/webhook: LiveKit's signed webhooks.  The signature
# (HS256 over the LiveKit secret, "iss" the API key, "sha256" the body's
# hash) is checked before anything else; then an unencrypted track in an
# E2EE room, or a banned participant connecting, gets its participant
# removed through RoomService (a mock that checks the calls' tokens), and
# presence holds or frees seats.

use lib 't/inc';
use BedrudTest;
use LiveKitMock qw(lk_secret mock_twirp lk_location make_room load_rooms);
use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(sha256_base64);

repeat_each(1);
no_shuffle();
no_long_string();

load_rooms();
our $lkport = mock_twirp();

our $http_config = http_config(extra => '    bedrud_livekit_api /_livekit/;');
our $config = lk_location($lkport) . "
     location = /metrics { bedrud_metrics; }";
our $down_config = http_config(redis_port => free_port());
our $no_api_config = http_config();
our $unconfigured = http_config()
    =~ s/^\s*bedrud_livekit_(?:api_key|secret_file) [^\n]*\n//mgr;

# sha256 as LiveKit writes it: standard base64 with padding
sub b64sha { my $h = sha256_base64($_[0]); $h .= '=' while length($h) % 4; $h }

# the headers of a delivery of BODY; %o changes the token
sub wh {
    my ($body, %o) = @_;
    my $now = time;
    my %c = (iss => 'testkey', nbf => $now, iat => $now, exp => $now + 300,
             sha256 => b64sha($body));
    for my $k (qw(iss nbf exp sha256)) {
        next unless exists $o{$k};
        if (defined $o{$k}) { $c{$k} = $o{$k} } else { delete $c{$k} }
    }
    my $jwt = jwt_sign({ alg => $o{alg} // 'HS256', typ => 'JWT' }, \%c,
                       $o{key} // lk_secret());
    $jwt = "Bearer $jwt" if $o{bearer};
    return "Content-Type: application/webhook+json\nAuthorization: $jwt";
}

my $evn = 0;

# an event's JSON text: event, room (name), identity, track ({...}),
# reason, at (createdAt), id
sub ev {
    my (%o) = @_;
    my %e = (event => $o{event}, id => $o{id} // 'EV_' . uuid() . '_' . ++$evn,
             createdAt => '' . ($o{at} // time));
    $e{room} = { sid => 'RM_x', name => $o{room} } if defined $o{room};
    if (defined $o{identity}) {
        $e{participant} = { sid => 'PA_y', identity => $o{identity} };
        $e{participant}{disconnectReason} = $o{reason} if $o{reason};
    }
    $e{track} = { sid => 'TR_z', %{ $o{track} } } if $o{track};
    return json_of(\%e);
}

sub join_hdr { "Content-Type: application/json\nAuthorization: Bearer $_[0]" }

our $vector = '{"event":"room_started","room":{"sid":"RM_abc","name":"demo"},'
    . '"id":"EV_x","createdAt":"1795780800"}';

run_tests();

__DATA__

=== TEST 1: LiveKit's test vector: the body's hash, a valid delivery of an event we need not act on
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
die "sha256 helper" unless ::b64sha($::vector)
    eq '3EAzQZiA3v/Fjw4+VQlsquzfAIHpk7huNR30keVWkvA=';
"POST /api/livekit/webhook\n$::vector"
--- more_headers eval
::wh($::vector)
--- error_code: 200
--- response_body: {"status":"ok","action":"none"}
--- no_error_log
[error]
[warn]



=== TEST 2: a signature that does not hold is a 401, whatever is wrong with it
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
$::b2 = ::ev(event => 'track_published', room => 'nowhere', identity => 'u',
             track => { type => 'VIDEO' });
[ ("POST /api/livekit/webhook\n$::b2") x 11 ]
--- more_headers eval
my $b = $::b2;
my $t = time;
[
  "Content-Type: application/webhook+json",
  ::wh($b, key => BedrudTest::secret()),
  ::wh($b, iss => 'otherkey'),
  ::wh($b, iss => undef),
  ::wh($b, exp => $t - 120),
  ::wh($b, exp => undef),
  ::wh($b, nbf => $t + 300),
  ::wh($b, sha256 => ::b64sha("$b ")),
  ::wh($b, sha256 => undef),
  ::wh($b, alg => 'HS512'),
  ::wh($b) =~ s/\.[^.]+$/.AAAA/r,
]
--- error_code eval
[ (401) x 11 ]
--- response_body eval
[ ('{"error":"invalid webhook signature"}') x 11 ]
--- no_error_log
[error]



=== TEST 3: "Bearer " before the token is taken; a minute of clock skew is too
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
[ ("POST /api/livekit/webhook\n$::vector") x 3 ]
--- more_headers eval
my $t = time;
[ ::wh($::vector, bearer => 1), ::wh($::vector, exp => $t - 30),
  ::wh($::vector, nbf => $t + 30) ]
--- error_code eval
[200, 200, 200]



=== TEST 4: signed but malformed deliveries are a 400 and change nothing
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
@::b4 = (
  '{"event":"track_published"',
  '[]',
  '{"id":"EV_1","room":{"name":"r"}}',
  '{"event":"participant_left","id":"EV_1","room":{"name":"r"}}',
  '{"event":"participant_left","id":"EV_1","participant":{"identity":"u"}}',
  '{"event":"participant_left","id":"EV_1","room":"r","participant":{"identity":"u"}}',
  '{"event":"participant_left","id":"EV_1","room":{"name":"r\nx"},"participant":{"identity":"u"}}',
  '{"event":"participant_left","id":"EV_1","room":{"name":"r"},"participant":{"identity":"u"},"createdAt":"yesterday"}',
  '{"event":"track_published","id":"EV_1","room":{"name":"r"},"participant":{"identity":"u"},"track":{"encryption":7}}',
  '{"event":"room_finished","id":"","room":{"name":"r"}}',
  '{"event":"room_finished","id":"EV_1","id":"EV_2","room":{"name":"r"}}',
);
[ map { "POST /api/livekit/webhook\n$_" } @::b4 ]
--- more_headers eval
[ map { ::wh($_) } @::b4 ]
--- error_code eval
[ (400) x 11 ]
--- response_body eval
[ ('{"error":"Invalid webhook"}') x 11 ]
--- no_error_log
[error]



=== TEST 5: an unencrypted track in an E2EE room: its publisher is removed, once
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $name) = ::make_room(owner => $owner, e2ee => 1);
$::name5 = $name;
my $id = 'EV_dup_' . BedrudTest::uuid();
@::b5 = (
  ::ev(event => 'track_published', room => $name, identity => 'u-plain',
       track => { type => 'VIDEO', source => 'CAMERA' }, id => $id),
  ::ev(event => 'track_published', room => $name, identity => 'u-plain',
       track => { type => 'VIDEO', source => 'CAMERA' }, id => $id),
  ::ev(event => 'track_published', room => $name, identity => 'u-mic',
       track => { source => 'MICROPHONE', encryption => 'NONE' }),
);
[
  "GET /lk/reset",
  "POST /api/livekit/webhook\n$::b5[0]",
  "GET /lk/last",
  "GET /lk/reset",
  "POST /api/livekit/webhook\n$::b5[1]",
  "GET /lk/last",
  "POST /api/livekit/webhook\n$::b5[2]",
  "GET /lk/last",
  "GET /metrics",
]
--- more_headers eval
[ '', ::wh($::b5[0]), '', '', ::wh($::b5[1]), '', ::wh($::b5[2]), '', '' ]
--- error_code eval
[ (200) x 9 ]
--- response_body_like eval
[
  qr/^ok$/,
  qr/^\{"status":"ok","action":"removed"\}$/,
  qr/^POST \/twirp\/livekit\.RoomService\/RemoveParticipant ct=application\/json token=ok \{"iss":"testkey","video":\{"room":"\Q$::name5\E","roomAdmin":true\}\} body=\{"room":"\Q$::name5\E","identity":"u-plain"\}$/,
  qr/^ok$/,
  qr/^\{"status":"ok","action":"duplicate"\}$/,
  qr/^none$/,
  qr/^\{"status":"ok","action":"removed"\}$/,
  qr/RemoveParticipant .* body=\{"room":"\Q$::name5\E","identity":"u-mic"\}$/,
  qr/^bedrud_livekit_removals_total\{reason="unencrypted"\} 2$/m,
]
--- grep_error_log eval
qr/bedrud: E2EE room "[^"]+": "[^"]+" published an unencrypted \w* ?track, removing it|bedrud: LiveKit RemoveParticipant done/
--- grep_error_log_out eval
# checked after each request, on the lines it added
qr/\A(?:\Qbedrud: E2EE room "$::name5": "u-plain" published an unencrypted VIDEO track, removing it\E
bedrud: LiveKit RemoveParticipant done
|\Qbedrud: E2EE room "$::name5": "u-mic" published an unencrypted AUDIO track, removing it\E
bedrud: LiveKit RemoveParticipant done
)?\z/



=== TEST 6: encrypted tracks, data tracks and rooms without E2EE are left alone
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $e2ee) = ::make_room(owner => $owner, e2ee => 1);
my (undef, $open) = ::make_room(owner => $owner);
@::b6 = (
  ::ev(event => 'track_published', room => $e2ee, identity => 'u1',
       track => { type => 'VIDEO', encryption => 'GCM' }),
  ::ev(event => 'track_published', room => $e2ee, identity => 'u1',
       track => { type => 'AUDIO', encryption => 'CUSTOM' }),
  ::ev(event => 'track_published', room => $e2ee, identity => 'u1',
       track => { type => 'DATA' }),
  ::ev(event => 'track_published', room => $open, identity => 'u1',
       track => { type => 'VIDEO' }),
  ::ev(event => 'track_published', room => 'no-such-room-' . BedrudTest::uuid(),
       identity => 'u1', track => { type => 'VIDEO' }),
);
[ "GET /lk/reset", (map { "POST /api/livekit/webhook\n$_" } @::b6),
  "GET /lk/last" ]
--- more_headers eval
[ '', (map { ::wh($_) } @::b6), '' ]
--- error_code eval
[ (200) x 7 ]
--- response_body eval
[
  'ok',
  ('{"status":"ok","action":"recorded"}') x 4,
  '{"status":"ok","action":"unknown room"}',
  'none',
]
--- no_error_log
[error]
[warn]



=== TEST 7: a participant that leaves frees its seat: a full room admits the next
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my ($ua, $ta) = BedrudTest::mint_pair();
my (undef, $tb) = BedrudTest::mint_pair();
my (undef, $name) = ::make_room(owner => $owner, max => 1);
my $t = time;
@::h7 = (::join_hdr($ta), ::join_hdr($tb));
@::b7 = (
  ::ev(event => 'participant_joined', room => $name, identity => $ua, at => $t),
  ::ev(event => 'participant_left', room => $name, identity => $ua, at => $t,
       reason => 'CLIENT_INITIATED'),
);
my $j = qq{POST /api/room/join\n{"roomName":"$name"}};
[ $j, $j, "POST /api/livekit/webhook\n$::b7[0]",
  "POST /api/livekit/webhook\n$::b7[1]", $j ]
--- more_headers eval
[ $::h7[0], $::h7[1], ::wh($::b7[0]), ::wh($::b7[1]), $::h7[1] ]
--- error_code eval
[200, 403, 200, 200, 200]
--- response_body_like eval
[
  qr/"token":"/,
  qr/^\{"error":"room is full"\}$/,
  qr/^\{"status":"ok","action":"recorded"\}$/,
  qr/^\{"status":"ok","action":"recorded"\}$/,
  qr/"token":"/,
]
--- no_error_log
[error]



=== TEST 8: a late, older "joined" after "left" does not take the seat back
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my ($ua, $ta) = BedrudTest::mint_pair();
my (undef, $tb) = BedrudTest::mint_pair();
my (undef, $name) = ::make_room(owner => $owner, max => 1);
my $t = time;
@::h8 = (::join_hdr($ta), ::join_hdr($tb));
@::b8 = (
  ::ev(event => 'participant_left', room => $name, identity => $ua,
       at => $t + 10),
  ::ev(event => 'participant_joined', room => $name, identity => $ua,
       at => $t + 5),
);
my $j = qq{POST /api/room/join\n{"roomName":"$name"}};
[ $j, "POST /api/livekit/webhook\n$::b8[0]",
  "POST /api/livekit/webhook\n$::b8[1]", $j ]
--- more_headers eval
[ $::h8[0], ::wh($::b8[0]), ::wh($::b8[1]), $::h8[1] ]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[ qr/"token":"/, qr/"recorded"/, qr/"recorded"/, qr/"token":"/ ]



=== TEST 9: "left" because the same identity joined again keeps the seat
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner) = BedrudTest::mint_pair();
my ($ua, $ta) = BedrudTest::mint_pair();
my (undef, $tb) = BedrudTest::mint_pair();
my (undef, $name) = ::make_room(owner => $owner, max => 1);
@::h9 = (::join_hdr($ta), ::join_hdr($tb));
@::b9 = (
  ::ev(event => 'participant_joined', room => $name, identity => $ua),
  ::ev(event => 'participant_left', room => $name, identity => $ua,
       reason => 'DUPLICATE_IDENTITY'),
);
my $j = qq{POST /api/room/join\n{"roomName":"$name"}};
[ $j, "POST /api/livekit/webhook\n$::b9[0]",
  "POST /api/livekit/webhook\n$::b9[1]", $j ]
--- more_headers eval
[ $::h9[0], ::wh($::b9[0]), ::wh($::b9[1]), $::h9[1] ]
--- error_code eval
[200, 200, 200, 403]
--- response_body_like eval
[ qr/"token":"/, qr/"recorded"/, qr/"recorded"/,
  qr/^\{"error":"room is full"\}$/ ]



=== TEST 10: a banned participant connecting with a token it got before the ban is removed
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($owner, $to) = BedrudTest::mint_pair();
my ($ua, $ta) = BedrudTest::mint_pair();
my ($id, $name) = ::make_room(owner => $owner);
$::name10 = $name;
$::ua10 = $ua;
@::h10 = (::join_hdr($ta), ::join_hdr($to));
$::b10 = ::ev(event => 'participant_joined', room => $name, identity => $ua);
[
  qq{POST /api/room/join\n{"roomName":"$name"}},
  "POST /api/room/$id/ban/$ua\n{}",
  "GET /lk/reset",
  "POST /api/livekit/webhook\n$::b10",
  "GET /lk/last",
  "GET /metrics",
]
--- more_headers eval
[ $::h10[0], $::h10[1], '', ::wh($::b10), '', '' ]
--- error_code eval
[ (200) x 6 ]
--- response_body_like eval
[
  qr/"token":"/,
  qr/^\{"status":"success"\}$/,
  qr/^ok$/,
  qr/^\{"status":"ok","action":"removed"\}$/,
  qr/RemoveParticipant .*token=ok .* body=\{"room":"\Q$::name10\E","identity":"\Q$::ua10\E"\}$/,
  qr/^bedrud_livekit_removals_total\{reason="banned"\} 1$/m,
]



=== TEST 11: Redis down: 503, so that LiveKit delivers the event again
--- http_config eval: $::down_config
--- config
    location /api/ { bedrud_api; }
--- request eval
$::b11 = ::ev(event => 'participant_left', room => 'r', identity => 'u');
"POST /api/livekit/webhook\n$::b11"
--- more_headers eval
::wh($::b11)
--- error_code: 503
--- response_body_like: ^\{"error":"service unavailable"\}$



=== TEST 12: no LiveKit key configured: 501, which LiveKit does not retry
--- http_config eval: $::unconfigured
--- config
    location /api/ { bedrud_api; }
--- request eval
"POST /api/livekit/webhook\n$::vector"
--- more_headers eval
::wh($::vector)
--- error_code: 501
--- response_body: {"error":"LiveKit is not configured"}



=== TEST 13: without bedrud_livekit_api nothing can be removed: the answer and the log say so
--- http_config eval: $::no_api_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($owner) = BedrudTest::mint_pair();
my (undef, $name) = ::make_room(owner => $owner, e2ee => 1);
$::name13 = $name;
$::b13 = ::ev(event => 'track_published', room => $name, identity => 'u-plain',
              track => { type => 'VIDEO' });
"POST /api/livekit/webhook\n$::b13"
--- more_headers eval
::wh($::b13)
--- error_code: 200
--- response_body: {"status":"ok","action":"not enforced"}
--- error_log eval
qr/\[warn\] .*bedrud: room "\Q$::name13\E": "u-plain" should be removed \(unencrypted\), but "bedrud_livekit_api" is not configured/
