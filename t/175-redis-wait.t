# bedrud_redis_wait against a Redis without replicas (the test Redis):
# reads (functions flagged no-writes, plain reads) are served, a write is
# executed but answered 503 because no replica acknowledged it within the
# WAIT timeout, and the writes after it are refused before they are sent
# (so they did not happen) while no replica is online.  With replicas,
# t/935-redis-failover.t.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

our ($uid, $token) = mint_pair();
our $name = "wait-$$-" . int(rand(1e9));
our $http_config = http_config(extra => '    bedrud_redis_wait 1 50ms;');

run_tests();

__DATA__

=== TEST 1: reads go on, the first write is answered 503 (it happened),
the next is refused unsent (it did not)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[
  "GET /api/auth/me",
  "GET /api/auth/settings",
  "POST /api/room/create\n{\"name\":\"$::name-a\"}",
  "POST /api/room/create\n{\"name\":\"$::name-b\"}",
  "GET /api/room/list",
  "GET /api/health",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::token"
--- error_code eval
[200, 200, 503, 503, 200, 200]
--- response_body_like eval
[
  qr/"id":"$::uid"/,
  qr/^\{"registrationEnabled"/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/"name":"\Q$::name\E-a".*\]$/,
  qr/"functions":"loaded"/,
]
--- response_body_unlike eval
[qr/^$/, qr/^$/, qr/^$/, qr/^$/, qr/\Q$::name\E-b/, qr/^$/]
--- grep_error_log: redis WAIT: 0 of 1 replicas
--- grep_error_log_out eval
qr/\A(?:redis WAIT: 0 of 1 replicas\n)?\z/
--- no_error_log
[alert]
[crit]
