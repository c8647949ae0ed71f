# End to end with the real SFU (plain Test::More): LiveKit v1.13.5 from
# var/bin/livekit-server, nginx with the module, and tools/lkbot, a Go
# participant that publishes an audio track without encryption.
#
#   - into an E2EE room: LiveKit accepts the track, its webhook reaches the
#     module, and the module has LiveKit remove the participant;
#   - into a room without E2EE: it stays;
#   - leaving frees its seat (participant_left), and the removal is
#     counted in the metrics and logged.
#
# make test builds both binaries first (tools/install-livekit all).
# BEDRUD_E2E=0 skips this file, for machines without Go.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Test::More;
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes qw(sleep time);

my $top = $ENV{TEST_NGINX_TOP};
my $bot = "$top/var/bin/lkbot";
my $json = JSON::PP->new;
my $http = HTTP::Tiny->new(timeout => 10);

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need('var/bin/livekit-server', 'var/bin/lkbot');
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $e = E2E::start();
my ($port, $tmp) = ($e->{port}, $e->{dir});
pass('livekit-server and nginx answer');

sub api { E2E::api($e, @_) }

my $n = int(rand(1_000_000_000));
my ($st, $r) = api(POST => '/api/auth/register',
    { email => "e2e$n\@example.com", password => 'correct horse battery',
      name => 'E2E' });
is($st, 200, 'registered') or diag($json->encode($r));
my $token = $r->{tokens}{accessToken};

my %room;
for my $kind (qw(e2ee plain)) {
    ($st, $r) = api(POST => '/api/room/create',
        { name => "$kind-$n", settings => { e2ee => ($kind eq 'e2ee'
                                ? JSON::PP::true : JSON::PP::false) } },
        $token);
    is($st, 200, "$kind room created");
    $room{$kind} = $r->{id};
}

# runs the bot in a room; returns (exit status, output, seconds)
sub bot {
    my ($kind, $wait) = @_;
    my ($st, $r) = api(POST => '/api/room/join', { roomName => "$kind-$n" },
                       $token);
    is($st, 200, "joined the $kind room");
    is(!!$r->{settings}{e2ee}, $kind eq 'e2ee',
       "the $kind room says e2ee " . ($kind eq 'e2ee' ? 'true' : 'false'));
    my $t0 = time;
    my $out = `'$bot' -wait $wait ws://127.0.0.1:$port/livekit '$r->{token}' 2>/dev/null`;
    return ($? >> 8, $out, time - $t0);
}

my ($rc, $out, $secs) = bot(e2ee => '20s');
is($rc, 0, 'E2EE room: the unencrypted publisher was removed')
    or diag($out);
like($out, qr/^removed: /m, 'E2EE room: by the server') or diag($out);
cmp_ok($secs, '<', 15, sprintf 'E2EE room: within %.1f s', $secs);

($rc, $out) = bot(plain => '4s');
is($rc, 3, 'room without E2EE: the same participant stays') or diag($out);

# the plain bot left by itself: participant_left frees its seat
my $seats = "bedrud:room:{$room{plain}}:seats";
my $deadline = time + 10;
sleep 0.2 while redis_cli('ZCARD', $seats) ne '0' && time < $deadline;
is(redis_cli('ZCARD', $seats), '0', 'leaving freed the seat');
my (undef, $me) = api(GET => '/api/auth/me', undef, $token);
like(redis_cli('HGET', "bedrud:room:{$room{plain}}:presence", $me->{id}),
     qr/^\d+ out$/, 'presence says out');

my $metrics = $http->get("http://127.0.0.1:$port/metrics")->{content};
like($metrics, qr/^bedrud_livekit_removals_total\{reason="unencrypted"\} 1$/m,
     'one removal counted');

my $log = do { local (@ARGV, $/) = "$tmp/logs/error.log"; <> };
like($log, qr/\[warn\].*bedrud: E2EE room "e2ee-$n": "[^"]+" published an unencrypted AUDIO track, removing it/,
     'the removal is logged');
like($log, qr/bedrud: LiveKit RemoveParticipant done/,
     'LiveKit accepted the RemoveParticipant call');
unlike($log, qr/\[(?:alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]');
unlike($log, qr/webhook refused/, 'every webhook of LiveKit was accepted');

done_testing();
