# A full shared zone never weakens security.  With a tiny zone (32k,
# about 90 revocations) filled from the revocation log:
#
#   - a logout whose revocation was evicted from the zone still holds:
#     tokens the zone cannot vouch for are checked in Redis (their
#     session must exist, their version be the user's);
#   - valid tokens keep working, through Redis;
#   - rate limits keep counting: a client over its limit gets 429, and
#     when many clients fill the zone the least recently seen are
#     forgotten, not everyone let through;
#   - each of these is logged once (a minute), and counted in /metrics.
#
# Plain Test::More, an nginx of its own, Redis database 9.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Race qw(http_req read_response);
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

$BedrudTest::DB = 9;
redis_cli('FLUSHDB');

my $http = http_config(db => 9, auth_limit => '3 1m');
$http =~ s/bedrud_zone bedrud 1m;/bedrud_zone bedrud 32k;/ or die;

my $ngx = BedrudTest::own_nginx(http => $http);
my $port = $ngx->{port};

sub metric {
    my ($name) = @_;
    my (undef, $m) = http_req($port, 'GET', '/metrics');
    return $m =~ /^\Q$name\E (\d+)$/m ? $1 : -1;
}

# revocations of other nodes, as the log brings them: far expiries
my $far = int(time) + 30 * 86400;
sub junk {
    my ($n) = @_;
    my $ms = int(time * 1000);
    redis_cli('ZADD', 'bedrud:revlog', map { ($ms + $_, uuid() . " $far") } 1 .. $n);
}

sub wait_until {
    my ($secs, $ok) = @_;
    my $deadline = time + $secs;
    until ($ok->()) {
        return 0 if time > $deadline;
        sleep 0.1;
    }
    return 1;
}

# --- revocations ----------------------------------------------------------

my (undef, $gone) = mint_pair();      # will log out
my (undef, $kept) = mint_pair();      # will not

is((http_req($port, 'GET', '/api/auth/me', undef, $gone))[0], 200,
   'a user is signed in');

junk(300);
ok(wait_until(10, sub { metric('bedrud_denylist_in_redis') == 1 }),
   'the log filled the zone: revocations were evicted');
cmp_ok(metric('bedrud_denylist_dropped_total'), '>', 0, 'and counted');
my $cap = metric('bedrud_denylist_capacity');
cmp_ok(metric('bedrud_denylist_entries'), '<=', $cap,
       "the denylist keeps to its share of the zone ($cap)");

my ($st) = http_req($port, 'POST', '/api/auth/logout', '{}', $gone);
is($st, 200, 'the user logs out');

# more revocations push the logout out of the zone (the entry closest
# to its expiry goes first: the logout's 7 days, before the others' 30)
my $dropped = metric('bedrud_denylist_dropped_total');
junk(200);
ok(wait_until(10, sub {
       metric('bedrud_denylist_dropped_total') >= $dropped + 150 }),
   'more revocations evicted more');

my $checks = metric('bedrud_revocation_redis_checks_total');
($st) = http_req($port, 'GET', '/api/auth/me', undef, $gone);
is($st, 401, 'the logged-out token is still refused');
($st) = http_req($port, 'GET', '/api/auth/me', undef, $kept);
is($st, 200, 'a valid token still works');
cmp_ok(metric('bedrud_revocation_redis_checks_total'), '>=', $checks + 2,
       'both were checked in Redis');

# the routes without a JSON body: a moderation route, and the upload,
# which reads its own body
my $rid = uuid();
($st) = http_req($port, 'POST', "/api/room/$rid/kick/guest-abcdefgh",
                 undef, $gone);
is($st, 401, 'the logged-out token moderates nothing');

my $b = 'bedrudzonefull';
my $part = "--$b\r\nContent-Disposition: form-data; name=\"file\"; "
    . "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    . ('x' x 64) . "\r\n--$b--\r\n";
my $up = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                               Proto => 'tcp', Timeout => 5) or die $!;
syswrite $up, "POST /api/room/$rid/chat/upload HTTP/1.1\r\nHost: localhost\r\n"
    . "Authorization: Bearer $gone\r\nConnection: close\r\n"
    . "Content-Type: multipart/form-data; boundary=$b\r\n"
    . "Content-Length: " . length($part) . "\r\n\r\n$part";
($st) = read_response($up);
is($st, 401, 'nor uploads anything (the upload reads its body itself)');

# --- rate limits ----------------------------------------------------------

sub login_from {
    my ($addr) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  LocalAddr => $addr, Proto => 'tcp')
        or return 0;
    my $body = '{"email":"nobody@example.com","password":"x"}';
    syswrite $s, "POST /api/auth/login HTTP/1.0\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\nContent-Length: "
        . length($body) . "\r\n\r\n$body";
    return (read_response($s))[0];
}

my @st = map { login_from('127.0.0.2') } 1 .. 4;
is("@st", '401 401 401 429', 'a client over its limit is refused, zone full');

# many clients: the limit table fills its quarter and forgets the oldest
for my $i (3 .. 254) {
    login_from("127.0.1.$i");
}
cmp_ok(metric('bedrud_rate_limit_evicted_total'), '>', 0,
       'many clients: the least recently seen were forgotten');
is(metric('bedrud_rate_limit_refused_total'), 0, 'nobody was refused for room');

@st = map { login_from('127.0.2.7') } 1 .. 4;
is("@st", '401 401 401 429', 'and the limit still holds for a client');

# --- the log --------------------------------------------------------------

my $log = BedrudTest::slurp_file($ngx->{log});
my @deny = $log =~ /bedrud zone is full.*revocations were evicted/g;
my @limit = $log =~ /bedrud zone is full.*rate limits forget/g;
is(scalar @deny, 1, 'the evictions of revocations were logged once');
is(scalar @limit, 1, 'the forgotten clients were logged once');
unlike($log, qr/rate limits are off/, 'rate limits never went off');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');

redis_cli('FLUSHDB');

done_testing();
