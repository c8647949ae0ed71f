# Workers remember verified access tokens; a remembered token must still
# expire on time and still be refused once its session is revoked.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

# only for its /sleep: a pause between two requests of one block
our (undef, $cport) = BedrudTest::own_redis();
our $http_config = http_config();

run_tests();

__DATA__

=== TEST 1: a remembered token expires on time (first block: little time passes before it runs)
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
my ($uid) = BedrudTest::mint_pair();
$::short = BedrudTest::mint(uid => $uid, exp => time + 4);
[
  "GET /api/auth/me",
  "GET /api/auth/me",
  "GET /ctl/sleep?ms=5000",
  "GET /api/auth/me",
]
--- more_headers eval
"Authorization: Bearer $::short"
--- timeout: 10
--- error_code eval
[200, 200, 200, 401]
--- response_body_like eval
[qr/"id":"/, qr/"id":"/, qr/ok/, qr/^\{"error":"Invalid token"\}$/]



=== TEST 2: a remembered token is refused after logout, on every request
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a2 = $a;
[
  "GET /api/auth/me",
  "GET /api/auth/me",
  "POST /api/auth/logout\n{}",
  "GET /api/auth/me",
  "GET /api/auth/me",
]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a2"
--- error_code eval
[200, 200, 200, 401, 401]



=== TEST 3: a token that differs from a remembered one in one byte is refused
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
["GET /api/auth/me", "GET /api/auth/me", "GET /api/auth/me"]
--- more_headers eval
my (undef, $a) = BedrudTest::mint_pair();
my $b = $a;
# a signature character in the middle: the MAC no longer matches
substr($b, -20, 1) = substr($b, -20, 1) eq 'A' ? 'B' : 'A';
["Authorization: Bearer $a", "Authorization: Bearer $b",
 "Authorization: Bearer $a"]
--- error_code eval
[200, 401, 200]



=== TEST 4: every distinct token is verified once, then remembered (64 clients: none evicts another)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
    location = /metrics { bedrud_metrics; }
--- request eval
my ($uid, undef, undef, $fam) = BedrudTest::mint_pair();
@::many = map { BedrudTest::mint(uid => $uid, fam => $fam) } 1 .. 64;
[ (map { "GET /api/auth/me" } 1 .. 192), "GET /metrics" ]
--- more_headers eval
[ (map { "Authorization: Bearer $_" } (@::many) x 3), "X-Probe: 1" ]
--- error_code eval
[ (200) x 193 ]
--- response_body_like eval
[ (qr/"id":"/) x 192, qr/^bedrud_token_verifications_total 64$/m ]
--- no_error_log
[error]
