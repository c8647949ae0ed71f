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
use LiveKitMock qw(lk_secret twirp_location);
use Test::More;
use HTTP::Tiny;
use File::Temp qw(tempdir);
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

my $top = $ENV{TEST_NGINX_TOP};
my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES}
                          || "$top/build/ngx_bedrud_module.so");
my $livekit = "$top/var/bin/livekit-server";
my $bot = "$top/var/bin/lkbot";
my $json = JSON::PP->new;
my $http = HTTP::Tiny->new(timeout => 10);

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';

for my $bin ($livekit, $bot) {
    BAIL_OUT("$bin is missing: run tools/install-livekit all (make test "
             . "does), or BEDRUD_E2E=0 to skip this file")
        unless -x $bin;
}

plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $tmp = tempdir('bedrud-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($lk_pid, $nginx_pid);

END {
    local $?;
    if ($nginx_pid) {
        kill 'QUIT', $nginx_pid;
        sleep 0.5;
        kill 'KILL', $nginx_pid if kill 0, $nginx_pid;
    }
    if ($lk_pid) {
        kill 'TERM', $lk_pid;
        waitpid $lk_pid, 0;
    }
}

my $secret = lk_secret();

my $port = free_port();
my ($lk_port, $lk_tcp) = (free_port(), free_port());
my $udp = 40000 + int(rand(2000)) * 10;

# ---------------------------------------------------------------- LiveKit ---

open my $fh, '>', "$tmp/livekit.yaml" or die $!;
print $fh <<"YAML";
port: $lk_port
bind_addresses: ["127.0.0.1"]
logging:
  level: info
rtc:
  tcp_port: $lk_tcp
  port_range_start: $udp
  port_range_end: @{[ $udp + 9 ]}
  node_ip: 127.0.0.1
  use_external_ip: false
  enable_loopback_candidate: true
  ips:
    includes: ["127.0.0.1/32"]
room:
  auto_create: true
  empty_timeout: 30
  departure_timeout: 5
webhook:
  api_key: testkey
  urls:
    - http://127.0.0.1:$port/api/livekit/webhook
YAML
close $fh;

$lk_pid = fork // die "fork: $!";
if ($lk_pid == 0) {
    POSIX::setsid();
    open STDIN, '<', '/dev/null';
    open STDOUT, '>', "$tmp/livekit.log";
    open STDERR, '>&', \*STDOUT;
    # the secret in the environment, not on the command line
    $ENV{LIVEKIT_KEYS} = "testkey: $secret";
    exec $livekit, '--config', "$tmp/livekit.yaml" or POSIX::_exit(127);
}

my $deadline = time + 20;
until (($http->get("http://127.0.0.1:$lk_port/")->{status} // 0) == 200) {
    if (time > $deadline || waitpid($lk_pid, POSIX::WNOHANG()) == $lk_pid) {
        diag(`tail -20 $tmp/livekit.log`);
        BAIL_OUT('livekit-server did not start');
    }
    sleep 0.1;
}
pass('livekit-server answers');

# ------------------------------------------------------------------ nginx ---

mkdir "$tmp/$_" for qw(conf logs);
my $load = join "\n", map { "load_module $_;" } @modules;
my $user = $> == 0 ? 'user root;' : '';
my $conf = http_config(extra => '    bedrud_livekit_api /_livekit/;');

open $fh, '>', "$tmp/conf/nginx.conf" or die $!;
print $fh <<"CONF";
$load
$user
worker_processes 1;
daemon on;
master_process on;
pid $tmp/logs/nginx.pid;
error_log $tmp/logs/error.log info;
events { worker_connections 256; }
http {
    access_log off;
$conf
    map \$http_upgrade \$conn_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:$port;
        location /api/ { bedrud_api; }
        location = /metrics { bedrud_metrics; }
        location /livekit/ {
            proxy_pass http://127.0.0.1:$lk_port/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$conn_upgrade;
            proxy_read_timeout 1h;
        }
        @{[ twirp_location($lk_port) ]}
    }
}
CONF
close $fh;

system($nginx, '-p', "$tmp/", '-c', "$tmp/conf/nginx.conf",
       '-e', "$tmp/logs/error.log") == 0 or BAIL_OUT('cannot start nginx');
$deadline = time + 10;
until (($http->get("http://127.0.0.1:$port/api/health")->{status} // 0)
       == 200)
{
    BAIL_OUT('nginx did not become healthy') if time > $deadline;
    sleep 0.1;
}
if (open my $p, '<', "$tmp/logs/nginx.pid") {
    ($nginx_pid) = <$p> =~ /(\d+)/;
}
pass('nginx answers');

# -------------------------------------------------------------- the API ---

sub api {
    my ($method, $path, $body, $token) = @_;
    my %h = ('Content-Type' => 'application/json');
    $h{Authorization} = "Bearer $token" if $token;
    my $res = $http->request($method, "http://127.0.0.1:$port$path",
        { headers => \%h, (defined $body ? (content => $json->encode($body))
                                          : ()) });
    my $data = eval { $json->decode($res->{content}) } // {};
    return ($res->{status}, $data);
}

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
$deadline = time + 10;
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
