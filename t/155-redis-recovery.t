# Service resumes within a second of Redis answering again (plain
# Test::More; issue 13, item 6).  One Redis, no Sentinel, an nginx with
# two workers under a create-and-join load: Redis is killed (-9), stays
# away long enough for the idle reconnect backoff to reach seconds, and
# comes back on the same port.  Requests that find no connection have one
# tried at once, or within 250 ms of the last try: joins succeed again
# well within a second of Redis answering (measured and printed), and
# every error meanwhile is a fast 503.  It comes back empty (no
# persistence here): the handshake loads the functions again.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Sentinel;
use Test::More;
use Time::HiRes qw(sleep time);

my $redis = Sentinel::node();
my $node = Sentinel::nginx(name => 'r', redis => $redis->{port},
                           workers => 2, timeout => '500ms');

for my $round (1 .. 2) {
    my $load = Sentinel::load(nodes => [$node], clients => 2,
                              tag => "rec$round");
    sleep 1;
    Sentinel::kill9($redis);
    my $down = time;
    sleep 4;
    $redis = Sentinel::node(port => $redis->{port});
    my $up = time;      # it answered PING: Redis answers again
    my $back;
    Sentinel::wait_for(10, sub {
        for my $r (Sentinel::load_results($load)) {
            next unless $r->{op} eq 'join' && $r->{status} == 200
                        && $r->{t0} > $down;
            $back = $r->{t1} if !defined $back || $r->{t1} < $back;
        }
        return defined $back;
    });
    sleep 0.5;
    my @r = Sentinel::load_stop($load);

    ok(defined $back, "round $round: joins succeed again");
    my $after = ($back // $up + 99) - $up;
    cmp_ok($after, '<', 1.0,
           sprintf 'round %d: joins again %.3f s after Redis answered',
           $round, $after);
    my @err = grep { $_->{status} != 200 } @r;
    my @bad = grep { $_->{status} != 503 } @err;
    my ($slowest) = sort { $b <=> $a } map { $_->{t1} - $_->{t0} } @err;
    is(scalar @bad, 0, "round $round: every error was a 503")
        or diag(join ', ', map { "$_->{op} $_->{status}" } @bad[0 .. 4]);
    cmp_ok($slowest // 0, '<', 1.5,
           "round $round: each within the Redis timeout");
    diag(sprintf 'round %d: %d requests, %d answered 503 (slowest %.3f s); '
         . 'joins again %.3f s after Redis answered', $round, scalar @r,
         scalar @err, $slowest // 0, $after);
}

unlike(Sentinel::slurp($node->{log}), qr/\[(?:alert|crit|emerg)\]/,
       'no [alert], [crit] or [emerg] in the error log');

done_testing();
