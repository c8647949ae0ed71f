# bedrud_redis_wait and a worker's first handshake (plain Test::More): a
# request that reaches a new worker before Redis has told it which
# functions write (FUNCTION LIST, the handshake's last step) is held
# behind the handshake; then a read is served as a read, a write waits
# for the replicas.  Here Redis pauses writes (CLIENT PAUSE WRITE holds
# the handshake's FUNCTION LOAD) while nginx starts, and has no replica:
# the read (a function flagged no-writes) is answered 200 once the pause ends (before: counted as a
# write, 503 for want of a replica), the write after it 503.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Race qw(http_req);
use Test::More;
use Time::HiRes qw(time);

my ($rport) = BedrudTest::own_redis();
$ENV{TEST_NGINX_REDIS_PORT} = $rport;      # fixtures go there too
my ($uid, $token) = mint_pair();

# a timeout that outlasts the pause
my $http = http_config(redis_port => $rport,
                       extra => '    bedrud_redis_wait 1 50ms;')
    =~ s/bedrud_redis_timeout 300ms/bedrud_redis_timeout 5s/r;

system("redis-cli -p $rport client pause 1500 write >/dev/null") == 0
    or die "redis-cli: $?";
my $t0 = time;
my $ngx = BedrudTest::own_nginx(http => $http, wait_ready => 0);

# bedrud_user_get: a function flagged no-writes
my ($st, $body) = http_req($ngx->{port}, 'GET', '/api/auth/me', undef,
                           $token);
my $took = time - $t0;
is($st, 200, 'a read sent during the first handshake is served')
    or diag($body);
like($body, qr/"id":"$uid"/, 'with the user');
cmp_ok($took, '>', 0.5,
       sprintf('it waited for the handshake (%.2f s)', $took));

($st, $body) = http_req($ngx->{port}, 'POST', '/api/auth/guest-login',
                        '{"name":"Gus"}');
is($st, 503, 'a write after it still waits for a replica');

my $log = BedrudTest::slurp_file($ngx->{log});
like($log, qr/redis WAIT: 0 of 1 replicas/, 'the write\'s WAIT found none');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');

done_testing();
