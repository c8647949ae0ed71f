# Twenty "nginx -s reload" while clients join a room without pause: every
# join is answered 200.  The configuration uses a costly scrypt setting
# (ln=19): loading it once hashed a dummy password (seconds of CPU, in
# the master and in the signalling process), and the new workers started
# their Redis connect deadline from the master's clock, stale by that
# long, so they gave up on a healthy Redis ("redis connect timed out")
# and answered 503.  Plain Test::More: a master-process nginx of its own.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Race qw(http_req);
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);

plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $RELOADS = 20;
my $CLIENTS = 4;

my $http = http_config();
$http =~ s/bedrud_password_scrypt [^;]*;/bedrud_password_scrypt ln=19 r=8 p=1;/;

my $ngx = BedrudTest::own_nginx(http => $http, workers => 2);
my ($port, $dir) = ($ngx->{port}, $ngx->{dir});
my @ngx = @{ $ngx->{cmd} };

sub log_text { BedrudTest::slurp_file($ngx->{log}) }

# every worker of a generation says "redis ready" once connected
sub ready_count { my @m = log_text() =~ /bedrud: redis ready/g; return 0 + @m }

sub wait_ready {
    my ($n) = @_;
    my $deadline = time + 30;
    while (time < $deadline) {
        return 1 if ready_count() >= $n;
        sleep 0.05;
    }
    return 0;
}

ok(wait_ready(2), 'both workers connected to Redis');

# a room, and one member per client
my ($owner, $otoken) = mint_pair();
my $room = "reload-$$-" . int(rand(1e6));
my ($st, $body) = http_req($port, 'POST', '/api/room/create',
    qq({"name":"$room","maxParticipants":20}), $otoken);
is($st, 200, 'the room is created') or diag($body);

my @tokens = map { (mint_pair())[1] } 1 .. $CLIENTS;

# the clients: join, join, join... until told to stop; each writes one
# line per answer that is not 200
pipe my $res_r, my $res_w or die $!;
my $stop = "$dir/stop";
my @pids;
for my $t (@tokens) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $res_r;
        my ($n, $bad) = (0, 0);
        until (-e $stop) {
            my ($s, $b) = http_req($port, 'POST', '/api/room/join',
                                   qq({"roomName":"$room"}), $t);
            $n++;
            if ($s != 200) {
                $bad++;
                $b =~ s/\s+/ /g;
                syswrite $res_w, "bad $s " . substr($b, 0, 100) . "\n";
            }
        }
        syswrite $res_w, "done $n $bad\n";
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
close $res_w;

sleep 0.5;

my $reloaded = 0;
for my $i (1 .. $RELOADS) {
    system(@ngx, '-s', 'reload') == 0 or last;
    last unless wait_ready(2 * ($i + 1));
    $reloaded++;
}

is($reloaded, $RELOADS, "$RELOADS reloads, each with new workers connected");

open my $tick, '>', $stop or die $!;
close $tick;
my @lines = <$res_r>;
waitpid $_, 0 for @pids;

my ($joins, $bad) = (0, 0);
for (@lines) {
    $joins += $1, $bad += $2 if /^done (\d+) (\d+)/;
}
my @bad = grep { /^bad/ } @lines;

cmp_ok($joins, '>', 100, "joins made during the reloads: $joins");
is($bad, 0, 'every join was answered 200') or diag(join '', @bad[0 .. ($#bad < 9 ? $#bad : 9)]);

system(@ngx, '-s', 'quit');
for (1 .. 100) { last unless -e "$dir/logs/nginx.pid"; sleep 0.1 }

my $log = log_text();
diag(join "\n", grep { /\[error\]/ } split /\n/, $log) if $bad;
unlike($log, qr/redis connect timed out/, 'no worker gave up connecting');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg in the log');

done_testing();
