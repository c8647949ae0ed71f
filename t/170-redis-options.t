# bedrud_redis with a unix socket, a password (read from a file) and a
# database number; a wrong password is refused at the handshake and the
# API answers 503 instead of running commands unauthenticated.  Without
# bedrud_redis_functions (so without bedrud_api) there is no connection.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

our $sock = "/tmp/bedrud-test-redis-$$.sock";
our ($rport) = BedrudTest::own_redis(requirepass => 'right-redis-password-0123456789',
                                     unixsocket => $sock,
                                     unixsocketperm => '700');
our $top = $ENV{TEST_NGINX_TOP};

sub conf {
    my ($addr) = @_;
    my $c = http_config();
    $c =~ s/bedrud_redis 127\.0\.0\.1:\d+[^;]*;/bedrud_redis $addr;/;
    return $c;
}

our $unix_ok = conf("unix:$sock db=3 password_file=$top/t/data/redis.password");
our $tcp_ok = conf("127.0.0.1:$rport password_file=$top/t/data/redis.password");
our $tcp_ok3 = conf("127.0.0.1:$rport db=3 password_file=$top/t/data/redis.password");
our $tcp_bad = conf("127.0.0.1:$rport password_file=$top/t/data/redis.wrong");

# bedrud_redis alone: no functions to load, no API to use them
our $redis_only = "    bedrud_redis 127.0.0.1:$rport "
                  . "password_file=$top/t/data/redis.password;\n";

run_tests();

__DATA__

=== TEST 1: unix socket, password and db: the API works
--- http_config eval: $::unix_ok
--- config
    location /api/ { bedrud_api; }
--- request eval
["GET /api/health",
 "POST /api/auth/register\n{\"email\":\"sock$$\@example.com\",\"password\":\"$BedrudTest::PW\",\"name\":\"Sock\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"functions":"loaded"/, qr/"provider":"local"/]
--- no_error_log
[error]



=== TEST 2: the account is in database 3 (over TCP now), not in database 0
--- http_config eval: $::tcp_ok
--- config
    location /api/ { bedrud_api; }
--- request eval
["POST /api/auth/login\n{\"email\":\"sock$$\@example.com\",\"password\":\"$BedrudTest::PW\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[401]



=== TEST 3: the same login against database 3 over TCP
--- http_config eval: $::tcp_ok3
--- config
    location /api/ { bedrud_api; }
--- request eval
["POST /api/auth/login\n{\"email\":\"sock$$\@example.com\",\"password\":\"$BedrudTest::PW\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200]



=== TEST 4: a wrong password: the handshake fails, the API answers 503
(one request: the error_log check runs after each request of a block, and
whether a retried handshake fails between two of them is a matter of
timing; a request that comes while the handshake is still on its way
waits for it and gets the 503 too)
--- http_config eval: $::tcp_bad
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/settings
--- error_code: 503
--- response_body: {"error":"service unavailable"}
--- error_log
redis handshake failed: WRONGPASS
--- no_error_log
NOAUTH



=== TEST 5: bedrud_redis without functions or API: the worker serves on
(it used to crash loading a list of libraries it did not have)
--- http_config eval: $::redis_only
--- config
    location = /t { return 200 "up\n"; }
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[200, 200]
--- response_body eval
["up\n", "up\n"]
--- no_error_log
[error]
