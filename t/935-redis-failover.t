# Redis fails over without losing an acknowledged room (plain
# Test::More).  A primary, two replicas and three Sentinels on loopback;
# two nginx nodes whose bedrud_redis names the sentinels: W acknowledges
# a write only once a replica has it (bedrud_redis_wait 1), N does not.
# Two replicas, so that one is left for W's WAIT after a failover (with a
# single replica, W refuses writes until a second node is back).
#
#   M. a planned switch under load, as the README says to make one:
#      CLIENT PAUSE WRITE on the primary, then SENTINEL FAILOVER.  Both
#      nodes move to the new primary (on +switch-master, or when their
#      connection to the paused one stops answering) without waiting for
#      the old one to close it (seconds later, when the sentinels demote
#      it), and neither loses a room.
#   A. kill -9 of the primary under a create-and-join load on both nodes:
#      no room acknowledged by W is lost; every error is a 503 within
#      the Redis timeout (no 500, no hang); joins succeed again on both
#      nodes, in seconds (printed); N's losses are printed.
#   B. the same with a replica that lags (its link to the primary held
#      back by a proxy) and is promoted: W still loses nothing (its
#      writes during the lag were answered 503), N loses the rooms it
#      acknowledged during the lag: what bedrud_redis_wait is for.
#   C. LiveKit (conf/livekit-production.yaml) on the same sentinels, if
#      built: it registers through them and follows the failover.
#
# The sentinels have a password (sentinel_password_file=); a node with a
# wrong one finds no primary and answers 503.
#
# The figures are printed (diag); bench/README.md and the README quote
# them.  BEDRUD_E2E=0 skips LiveKit only.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Sentinel;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(sleep time);

my $top = $ENV{TEST_NGINX_TOP};
my $timeout = 0.5;                 # bedrud_redis_timeout
my $slack = 1.0;                   # a busy two-core machine's scheduling

my $p = Sentinel::node();
my $r1 = Sentinel::node(replicaof => $p->{port});
my $r2 = Sentinel::node(replicaof => $p->{port});
my $spass = 'sentinel-password-0123456789';
my $s = Sentinel::sentinels(master => $p->{port}, password => $spass);
my $dir = Sentinel::dir();
for my $f (['sentinel.password', $spass], ['sentinel.wrong', 'not-it']) {
    open my $fh, '>', "$dir/$f->[0]" or die $!;
    print $fh "$f->[1]\n";
    close $fh;
}
ok(Sentinel::wait_for(30, sub {
       Sentinel::agreed($s)
       && Sentinel::settled($s, $p->{port})
       && Sentinel::replica_ok($s, $r1->{port})
       && Sentinel::replica_ok($s, $r2->{port})
   }), 'three sentinels know each other, the primary and its two replicas');

# LiveKit first: it registers in Redis through the sentinels
my $lk;
if (($ENV{BEDRUD_E2E} // '1') ne '0' && -x "$top/var/bin/livekit-server") {
    require Prod;
    my $sentinels = join '', map { "    - 127.0.0.1:$_->{port}\n" } @$s;
    $lk = Prod::livekit(name => 'livekit-sentinel',
        webhook => 'http://127.0.0.1:9/api/livekit/webhook',
        extra => "redis:\n  sentinel_master_name: $Sentinel::MASTER\n"
                 . "  sentinel_password: $spass\n"
                 . "  sentinel_addresses:\n$sentinels");
    ok(Sentinel::wait_for(10, sub {
           Sentinel::cli($p->{port}, 'HEXISTS', 'nodes', $lk->{node}) eq '1'
       }), "LiveKit registered its node in the primary through the sentinels");
}

my $w = Sentinel::nginx(name => 'w', sentinels => $s, workers => 2,
                        timeout => '500ms',
                        params => "sentinel_password_file=$dir/sentinel.password",
                        extra => '    bedrud_redis_wait 1 100ms;');
my $n = Sentinel::nginx(name => 'n', sentinels => $s, timeout => '500ms',
                        params => "sentinel_password_file=$dir/sentinel.password");

# the wrong password: no primary, no service, and the log says why
{
    my $bad = Sentinel::nginx(name => 'bad', sentinels => $s,
        params => "sentinel_password_file=$dir/sentinel.wrong",
        unhealthy => 1);
    sleep 1;
    my ($st, $body) = Sentinel::http($bad, 'GET', '/api/health');
    my ($st2, $body2) = Sentinel::http($bad, 'POST', '/api/room/create',
                                       '{"name":"never"}', mint());
    ok($st == 503 && $st2 == 503 && $body2 eq '{"error":"service unavailable"}',
       'a wrong sentinel password: 503') or diag("$st $body / $st2 $body2");
    my $log = Sentinel::slurp($bad->{log});
    like($log, qr/refused the password: WRONGPASS/, 'the log names the password');
    like($log, qr/no sentinel named the redis primary "bedrud"/,
         'and that no sentinel named the primary');
    Sentinel::stop_nginx($bad);
}

like(Sentinel::slurp($w->{log}), qr/redis primary "bedrud" is 127\.0\.0\.1:$p->{port}/,
     'W found the primary through the sentinels');

my %node = map { $_->{port} => $_ } $p, $r1, $r2;

# --- M: a manual failover, the old primary still answering -----------------

my $load = Sentinel::load(nodes => [$w, $n], clients => 2, tag => 'm');
sleep 1;
my $pause = time;
is(Sentinel::cli($p->{port}, 'CLIENT', 'PAUSE', 10000, 'WRITE'), 'OK',
   'M: writes paused on the primary');
is(Sentinel::cli($s->[0]{port}, 'SENTINEL', 'FAILOVER', $Sentinel::MASTER),
   'OK', 'M: SENTINEL FAILOVER');
my $m;
ok(Sentinel::wait_for(15, sub {
       $m = Sentinel::primary($s);
       $m && $m ne $p->{port};
   }), 'M: a replica was promoted') or nofailover($s);
resumed($load, $pause, 10);
sleep 1;
my @mr = Sentinel::load_stop($load);
# on +switch-master, or on asking again when its connection to the
# paused primary stopped answering, whichever came first (a sentinel that
# did not lead the failover announces it up to 2 s later)
for my $nd ($w, $n) {
    like(Sentinel::slurp($nd->{log}),
         qr/primary "bedrud" (?:moved to|is) 127\.0\.0\.1:$m\b/,
         "M: $nd->{name} moved to the new primary");
}
my %fm = figures('M', \@mr, $pause, $m);
is($fm{$_}{lost}, 0, "M: \u$_ lost none of its $fm{$_}{acked} acknowledged rooms")
    for qw(w n);
# the old primary becomes a replica once the sentinels demote it
ok(Sentinel::wait_for(30, sub {
       Sentinel::settled($s, $m)
       && !grep { !Sentinel::replica_ok($s, $_) } grep { $_ != $m } keys %node
   }), 'M: the two others are replicas of the new primary');

# --- A: kill -9 of the primary under load ----------------------------------

$load = Sentinel::load(nodes => [$w, $n], clients => 3, tag => 'a');
sleep 1.5;
my $kill = time;
Sentinel::kill9($node{$m});
my %back = resumed($load, $kill, 20);
sleep 1;
my @a = Sentinel::load_stop($load);

my $x = Sentinel::primary($s);
ok($x && $x ne $m && $node{$x}, 'A: a replica was promoted')
    or nofailover($s);
my ($y) = grep { $_ != $x && $_ != $m } keys %node;
my $switch = Sentinel::switch_times($s)->{"$m>$x"};

my %fa = figures('A', \@a, $kill, $x);
is($fa{w}{lost}, 0, "A: W lost none of its $fa{w}{acked} acknowledged rooms");
diag(sprintf 'A: N lost %d of its %d acknowledged rooms (no WAIT)',
     $fa{n}{lost}, $fa{n}{acked});
for my $node ($w, $n) {
    my $k = $node->{name};
    ok(defined $back{$k}, "A: joins succeed again on $k");
    diag(sprintf 'A: %s: joins again %.2f s after the kill, %.2f s after '
         . 'the sentinels switched', uc $k, $back{$k} // -1,
         ($back{$k} // -1) - ($switch ? $switch - $kill : 0));
}
like(Sentinel::slurp($n->{log}), qr/redis primary "bedrud" moved to 127\.0\.0\.1:$x/,
     'N heard of the failover from a sentinel (+switch-master)');

# LiveKit follows the failover: a room created through it lands in the
# new primary
if ($lk) {
    my $room = "lk-failover-$$";
    my $ok = Sentinel::wait_for(15, sub {
        my $st = lk_create($lk->{port}, $room);
        $st == 200
            && Sentinel::cli($x, 'HEXISTS', 'rooms', $room) eq '1';
    });
    ok($ok, 'LiveKit writes to the new primary after the failover');
}

# --- B: the replica left lags, then the primary dies ------------------------

# the other replica goes; the one killed in A comes back as the only
# replica, its link through a proxy that can hold the primary's stream back
ok(Sentinel::wait_for(20, sub { Sentinel::settled($s, $x) }),
   'B: the sentinels are settled on the new primary');
Sentinel::kill9($node{$y});
my $proxy = Sentinel::proxy($x);
my $pb = Sentinel::node(port => $m, replicaof => $proxy->{port});
ok(Sentinel::wait_for(20, sub { Sentinel::replica_ok($s, $pb->{port}) }),
   'B: the old primary is back as the replica, the sentinels see it');

$load = Sentinel::load(nodes => [$w, $n], clients => 3, tag => 'b');
sleep 1;
my $lag = time;
Sentinel::hold($proxy);
sleep 0.6;
$kill = time;
Sentinel::kill9($node{$x});
Sentinel::kill_proxy($proxy);
%back = resumed($load, $kill, 20, 'n');
sleep 0.5;
my @b = Sentinel::load_stop($load);

is(Sentinel::primary($s), $pb->{port}, 'B: the lagging replica was promoted')
    or nofailover($s);
my %fb = figures('B', \@b, $kill, $pb->{port});
my @w_lag = grep { $_->{node} eq 'w' } acked_between(\@b, $lag, $kill);
my @n_lag = grep { $_->{node} eq 'n' } acked_between(\@b, $lag, $kill);
# (W's few answers of the lag's first moments: writes the replica had
# before the hold took effect)
is($fb{w}{lost}, 0, "B: W lost none of its $fb{w}{acked} acknowledged rooms, "
   . scalar(@w_lag) . ' of them acknowledged during the lag');
cmp_ok($fb{n}{lost}, '>', 0,
       "B: N lost $fb{n}{lost} of its $fb{n}{acked} acknowledged rooms, "
       . scalar(@n_lag) . ' of them acknowledged during the lag');
ok(defined $back{n}, 'B: joins succeed again on N');
diag(sprintf 'B: N: joins again %.2f s after the kill', $back{n} // -1);

for my $node ($w, $n) {
    unlike(Sentinel::slurp($node->{log}), qr/\[(?:alert|crit|emerg)\]/,
           "no [alert], [crit] or [emerg] in $node->{name}'s error log");
}

done_testing();


sub nofailover {
    my ($s) = @_;
    diag("$_->{log}:\n" . `tail -n 25 $_->{log}`) for @$s;
    BAIL_OUT('no failover (the sentinels\' logs are above)');
}

# seconds from $since until each node (or only those named) answered a
# join with 200, waiting at most $max seconds
sub resumed {
    my ($l, $since, $max, @only) = @_;
    @only = qw(w n) unless @only;
    my %back;
    Sentinel::wait_for($max, sub {
        for my $r (Sentinel::load_results($l)) {
            next unless $r->{op} eq 'join' && $r->{status} == 200
                        && $r->{t0} > $since;
            my $d = $r->{t1} - $since;
            $back{$r->{node}} = $d
                if !defined $back{$r->{node}} || $d < $back{$r->{node}};
        }
        return !grep { !defined $back{$_} } @only;
    });
    return %back;
}

sub acked_between {
    my ($r, $from, $to) = @_;
    return grep { $_->{op} eq 'create' && $_->{status} == 200
                  && $_->{t1} > $from && $_->{t1} < $to } @$r;
}

# per node: acknowledged rooms, those missing from the primary, the
# answers; tests that every error was a fast 503
sub figures {
    my ($phase, $r, $kill, $primary) = @_;
    my %f;
    for my $k (qw(w n)) {
        my @mine = grep { $_->{node} eq $k } @$r;
        my @acked = grep { $_->{op} eq 'create' && $_->{status} == 200 } @mine;
        my @names = Sentinel::hget_many($primary, 'name',
                                        map { "bedrud:room:{$_->{id}}" } @acked);
        my $lost = grep { ($names[$_] // '') ne $acked[$_]{name} } 0 .. $#acked;
        my %st;
        $st{$_->{status}}++ for @mine;
        my @err = grep { $_->{status} != 200 } @mine;
        my @bad = grep { $_->{status} != 503 } @err;
        my ($slowest) = sort { $b <=> $a } map { $_->{t1} - $_->{t0} } @err;
        $slowest //= 0;
        $f{$k} = { acked => scalar @acked, lost => $lost };
        is(scalar @bad, 0, "$phase: $k answered only 200 and 503")
            or diag(join ', ', map { "$_ x $st{$_}" } sort keys %st);
        cmp_ok($slowest, '<', $timeout + $slack,
               "$phase: $k answered each error within the Redis timeout");
        diag(sprintf '%s: %s: %s; slowest error %.3f s', $phase, uc $k,
             join(', ', map { "$_ x $st{$_}" } sort keys %st), $slowest);
    }
    return %f;
}

# RoomService CreateRoom on a LiveKit node: its HTTP status
sub lk_create {
    my ($port, $room) = @_;
    require LiveKitMock;
    my $now = int time;
    my $token = jwt_sign({ alg => 'HS256', typ => 'JWT' },
                         { iss => 'testkey', nbf => $now - 5,
                           exp => $now + 600,
                           video => { roomCreate => JSON::PP::true() } },
                         LiveKitMock::lk_secret());
    my ($st) = Sentinel::http({ port => $port }, 'POST',
                              '/twirp/livekit.RoomService/CreateRoom',
                              qq({"name":"$room"}), $token);
    return $st;
}
