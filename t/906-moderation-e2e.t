# Moderation end to end with the real SFU (plain Test::More): LiveKit
# v1.13.5, nginx with the module, tools/lkbot participants (Go, LiveKit's
# SDK) that report what the server does to them, and, for an E2EE room, a
# browser participant with livekit-client's end-to-end encryption on.
#
#   - promote: the participant's metadata gains "moderator" (what clients
#     show) and the promoted one may use the moderator-level routes;
#   - mute: LiveKit mutes its track; info shows it muted;
#   - deafen (to one), spotlight (to the room): the system messages arrive
#     exactly as Bedrud sends them, to whom they are meant for;
#   - the admin's live view: the participants with their tracks'
#     encryption, the online count, LiveKit's rooms;
#   - kick: LiveKit removes the participant (PARTICIPANT_REMOVED), the
#     room is told; not connected any more: 404;
#   - E2EE room: "kick" then "rekey" reach a Go client and an encrypting
#     browser client (data packets from the server are never encrypted).
#
# make test builds LiveKit and lkbot (tools/install-livekit all) and the
# web client's node_modules.  BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Test::More;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

my $top = $ENV{TEST_NGINX_TOP};
my $botbin = "$top/var/bin/lkbot";
my $json = JSON::PP->new->canonical(1);

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need('var/bin/livekit-server', 'var/bin/lkbot');
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

# livekit-client's own files, for the browser participant
my $lkc = "$top/web/node_modules/livekit-client/dist/";
my $e = E2E::start(server => "location /lkc/ { alias $lkc; "
                   . 'types { application/javascript mjs js; } } '
                   . 'location = /system-probe.html { default_type text/html; '
                   . q{return 200 '<!doctype html><title>probe</title>'; } . '}');
my ($port, $tmp) = ($e->{port}, $e->{dir});
my $ws = "ws://127.0.0.1:$port/livekit";
pass('livekit-server and nginx answer');

sub api { E2E::api($e, @_) }

my $n = int(rand(1_000_000_000));
my ($owner, $to) = mint_pair(name => 'Olga Owner');
my ($bob) = mint_pair(name => 'Bob');
# the LiveKit name is the one in the access token, as Bedrud's
my $tb = mint(uid => $bob, name => 'Bob');
my ($carol, $tc) = mint_pair(name => 'Carol');
my ($dave, $td) = mint_pair(name => 'Dave');
my (undef, $tsu) = mint_pair(accesses => ['user', 'superadmin']);

my %room;
for my $kind (qw(plain e2ee)) {
    my ($st, $r) = api(POST => '/api/room/create',
        { name => "mod-$kind-$n", settings => { e2ee => ($kind eq 'e2ee'
                            ? JSON::PP::true : JSON::PP::false) } }, $to);
    is($st, 200, "$kind room created") or BAIL_OUT('no room');
    $room{$kind} = $r;
}

# --- participants -----------------------------------------------------------

my @bots;

END {
    local $?;
    kill 'TERM', $_->{pid} for grep { $_->{pid} } @bots;
}

# joins a room for the token's user and runs lkbot there in the background
sub bot {
    my ($kind, $token, @args) = @_;
    my ($st, $r) = api(POST => '/api/room/join',
                       { roomName => $room{$kind}{name} }, $token);
    is($st, 200, "joined the $kind room") or return;
    my $out = "$tmp/bot-" . scalar(@bots) . '.out';
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', $out;
        open STDERR, '>', '/dev/null';
        exec $botbin, @args, $ws, $r->{token} or POSIX::_exit(127);
    }
    my $b = { pid => $pid, out => $out };
    push @bots, $b;
    return $b;
}

sub text { E2E::slurp($_[0]{out}) }

# waits for a line of the bot's output
sub saw {
    my ($b, $re, $secs) = @_;
    E2E::wait_for('bot', $secs // 10, sub { text($b) =~ $re });
    return text($b) =~ $re;
}

sub done {
    my ($b, $secs) = @_;
    E2E::wait_for('exit', $secs, sub {
        waitpid($b->{pid}, POSIX::WNOHANG()) == $b->{pid} or return 0;
        $b->{rc} = $? >> 8;
        delete $b->{pid};
        1;
    });
    return $b->{rc};
}

# a system message line of lkbot's, exactly as Bedrud sends it
sub msg {
    my ($event, $actor, $target) = @_;
    return qr/^data: system server \Q{"type":"system","event":"$event","actor":"$actor","target":"$target"}\E$/m;
}

my $plain = $room{plain}{id};

my $b = bot(plain => $tb, '-wait', '90s');
my $c = bot(plain => $tc, '-listen', '-wait', '90s');
ok(saw($b, qr/^published/m, 20), 'Bob publishes audio') or diag(text($b));
ok(saw($c, qr/^listening/m, 20), 'Carol listens') or diag(text($c));

# both connected as LiveKit's webhooks say: the moderation routes need that
my $presence = "bedrud:room:{$plain}:presence";
ok(E2E::wait_for('presence', 20, sub {
    redis_cli('HGET', $presence, $bob) =~ / in$/
        && redis_cli('HGET', $presence, $carol) =~ / in$/ }),
   'both are connected (participant_joined)');

# --- promote ----------------------------------------------------------------

my ($st, $r) = api(POST => "/api/room/$plain/spotlight/$carol", undef, $tb);
is($st, 403, 'before the promotion Bob may not spotlight');
is($r->{error}, 'not authorized for this room', 'as Bedrud says it');

($st, $r) = api(POST => "/api/room/$plain/promote/$bob", undef, $to);
is($st, 200, 'the owner promotes Bob') or diag($json->encode($r));
ok(saw($b, qr/^metadata: \Q{"accesses":["user","moderator"]}\E$/m),
   "LiveKit told Bob's client: \"moderator\" in its metadata")
    or diag(text($b));
is(redis_cli('SISMEMBER', "bedrud:room:{$plain}:mods", $bob), '1',
   'and the flag the server checks is set');
($st, $r) = api(POST => "/api/room/$plain/promote/$bob", undef, $to);
is($r->{status}, 'already_moderator', 'a second promotion: already_moderator');

# --- messages: spotlight (to the room), deafen (to one) ---------------------

($st) = api(POST => "/api/room/$plain/spotlight/$carol", undef, $tb);
is($st, 200, 'Bob, now a moderator, spotlights Carol');
ok(saw($c, msg('spotlight', $bob, $carol)), 'Carol receives "spotlight"')
    or diag(text($c));
ok(saw($b, msg('spotlight', $bob, $carol)), 'so does Bob: it went to the room')
    or diag(text($b));

($st) = api(POST => "/api/room/$plain/deafen/$carol", undef, $to);
is($st, 200, 'the owner deafens Carol');
ok(saw($c, msg('deafen', $owner, $carol)), 'Carol receives "deafen"')
    or diag(text($c));
($st) = api(POST => "/api/room/$plain/ask/$carol/camera", undef, $tb);
is($st, 200, 'Bob asks Carol to turn her camera on');
ok(saw($c, msg('ask_camera', $bob, $carol)), 'Carol receives "ask_camera"');
unlike(text($b), qr/"event":"(?:deafen|ask_camera)"/,
       'Bob received neither: they were meant for Carol alone');

($st) = api(POST => "/api/room/$plain/kick/$carol", undef, $tb);
is($st, 403, 'a moderator may not kick (owner level)');

# --- mute -------------------------------------------------------------------

($st, $r) = api(POST => "/api/room/$plain/mute/$bob", undef, $to);
is($st, 200, 'the owner mutes Bob') or diag($json->encode($r));
ok(saw($b, qr/^muted: mic$/m), "LiveKit muted Bob's track") or diag(text($b));

($st, $r) = api(GET => "/api/room/$plain/participant/$bob/info", undef, $tb);
is($st, 200, 'Bob reads his own info');
is($r->{identity}, $bob, 'identity');
is($r->{name}, 'Bob', 'name');
is($r->{state}, 'ACTIVE', 'state');
cmp_ok(abs($r->{joinedAt} - time), '<', 300, 'joinedAt, unix seconds');
is_deeply([ map { [$_->{type}, $_->{muted}] } @{ $r->{tracks} } ],
          [ ['AUDIO', JSON::PP::true] ], 'one audio track, muted')
    or diag($json->encode($r));

($st, $r) = api(GET => "/api/room/$plain/participant/$bob/info", undef, $tc);
is($st, 403, "Carol may not read Bob's");

# --- the admin's live view ----------------------------------------------------

($st, $r) = api(GET => "/api/admin/rooms/$plain/participants", undef, $tsu);
is($st, 200, "the room's participants") or diag($json->encode($r));
my %p = map { $_->{identity} => $_ } @{ $r->{participants} // [] };
ok($p{$bob} && $p{$carol}, 'Bob and Carol') or diag($json->encode($r));
is($p{$bob}{tracks}[0]{encryption}, 'NONE',
   "Bob's track says it is not encrypted");
is($p{$bob}{tracks}[0]{type}, 'AUDIO', 'an audio track');
ok($p{$bob}{isPublisher} && !$p{$carol}{isPublisher}, 'who publishes');
is($r->{room}{id}, $plain, 'with the room');

($st, $r) = api(GET => '/api/admin/online-count', undef, $tsu);
cmp_ok($r->{count} // 0, '>=', 2, "online: at least Bob and Carol ($r->{count})");

# LiveKit updates a room's numbers every few seconds, not at each join
my $lr;
E2E::wait_for('stats', 15, sub {
    ($st, $r) = api(GET => '/api/admin/livekit/stats', undef, $tsu);
    ($lr) = grep { $_->{name} eq $room{plain}{name} } @{ $r->{rooms} // [] };
    $st == 200 && $lr && $lr->{numParticipants} == 2;
});
is($st, 200, "LiveKit's stats");
is($lr->{numParticipants}, 2, 'the room, with its two participants')
    or diag($json->encode($r));
is($lr->{numPublishers}, 1, 'one of them publishing');
cmp_ok($r->{totalParticipants}, '>=', 2, 'in the totals');

# --- kick -------------------------------------------------------------------

my $t0 = time;
($st, $r) = api(POST => "/api/room/$plain/kick/$bob", undef, $to);
is($st, 200, 'the owner kicks Bob') or diag($json->encode($r));
is(done($b, 15), 0, sprintf('Bob was removed (%.0f ms)', 1000 * (time - $t0)));
like(text($b), qr/^removed: removed by server$/m, 'PARTICIPANT_REMOVED');
ok(saw($c, msg('kick', $owner, $bob)), 'Carol receives "kick"')
    or diag(text($c));
unlike(text($c), qr/"event":"rekey"/, 'no "rekey" in a room without E2EE');

($st, $r) = api(POST => "/api/room/$plain/kick/$bob", undef, $to);
is($st, 404, 'kicking him again: he is not connected');
is($r->{error}, 'Participant not found', 'a 404, not a 500');

# --- an E2EE room: "kick", then "rekey" ---------------------------------------

my $enc = $room{e2ee}{id};
my $c2 = bot(e2ee => $tc, '-listen', '-wait', '90s');
my $d = bot(e2ee => $td, '-listen', '-wait', '90s');
ok(saw($c2, qr/^listening/m, 20) && saw($d, qr/^listening/m, 20),
   'Carol and Dave listen in the E2EE room (publishing nothing)');
ok(E2E::wait_for('presence', 20, sub {
    redis_cli('HGET', "bedrud:room:{$enc}:presence", $dave) =~ / in$/ }),
   'Dave is connected');

# the browser participant: encryption on, a key only it holds
my ($sj, $j) = api(POST => '/api/room/join', { roomName => $room{e2ee}{name} },
                   $tb);
is($sj, 200, 'Bob joins the E2EE room, now in a browser');
my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
my $web = -x $chromium && -e "$top/web/node_modules/livekit-client/dist/livekit-client.esm.mjs";
my ($wpid, $wout) = (0, "$tmp/browser.out");
SKIP: {
    skip 'no chromium or web/node_modules', 1 unless $web;
    $wpid = fork // die "fork: $!";
    if ($wpid == 0) {
        open STDOUT, '>', $wout;
        open STDERR, '>&', \*STDOUT;
        chdir "$top/web";
        $ENV{CHROMIUM} = $chromium;
        exec 'timeout', '120', 'node', 'test/system-data.mjs', $e->{url},
             "$e->{url}/livekit",
             $j->{token}, "key-$n", 'kick,rekey', '60' or POSIX::_exit(127);
    }
    ok(E2E::wait_for('browser', 60, sub { E2E::slurp($wout) =~ /^ready/m }),
       'the browser joined') or diag(E2E::slurp($wout));
    like(E2E::slurp($wout), qr/^ready e2ee=true identity=\Q$bob\E$/m,
         'with end-to-end encryption on');
}

($st, $r) = api(POST => "/api/room/$enc/kick/$dave", undef, $to);
is($st, 200, 'the owner kicks Dave from the E2EE room') or diag($json->encode($r));
is(done($d, 15), 0, 'Dave was removed');
ok(saw($c2, msg('kick', $owner, $dave)), 'Carol receives "kick"')
    or diag(text($c2));
ok(saw($c2, msg('rekey', $owner, $dave)), 'then "rekey"') or diag(text($c2));
my ($rekey) = text($c2) =~ /^data: system server (\{.*"rekey".*\})$/m;
is_deeply([ sort keys %{ $json->decode($rekey // '{}') } ],
          [qw(actor event target type)], '"rekey" holds no key material');

SKIP: {
    skip 'no browser', 3 unless $wpid;
    waitpid $wpid, 0;
    is($? >> 8, 0, 'the encrypting browser received "kick" and "rekey"')
        or diag(E2E::slurp($wout));
    like(E2E::slurp($wout), msg('kick', $owner, $dave), '"kick" as sent');
    like(E2E::slurp($wout), msg('rekey', $owner, $dave), '"rekey" as sent');
}

($st) = api(POST => "/api/room/$enc/ban/$carol", undef, $to);
is($st, 200, 'the owner bans Carol, connected');
is(done($c2, 15), 0, 'Carol was removed');
($st, $r) = api(POST => '/api/room/join', { roomName => $room{e2ee}{name} }, $tc);
is($st, 403, 'and cannot join again');

kill 'TERM', $c->{pid} if $c->{pid};

my $log = E2E::slurp("$tmp/logs/error.log");
like($log, qr/bedrud: LiveKit SendData done/, 'LiveKit took the SendData calls');
unlike($log, qr/LiveKit \w+ (?:failed|refused)/, 'no LiveKit call failed');
unlike($log, qr/\[(?:alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]');

done_testing();
