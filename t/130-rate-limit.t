# Per-IP rate limits (bedrud_limit): the auth class (register, login,
# guest-login, refresh) and the guest class (room guest-join) count
# separately, a window resets, 0 turns a class off, and routes without a
# class are never limited.  Every block starts a fresh nginx, so counters
# start at zero.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config(auth_limit => '3 1m', guest_limit => '2 1m');
# 2s, not 1s: three requests may straddle a second boundary, and with a
# window of 1s that would open a new window half way
our $http_config_2s = http_config(auth_limit => '2 2s', guest_limit => '2 1m');
our $http_config_off = http_config(auth_limit => '0 1m', guest_limit => '0 1m');
our $n = int(rand(1_000_000_000));

our $login = "POST /api/auth/login\n"
    . '{"email":"nobody' . $n . '@example.com","password":"not the password"}';
our $guest_join = "POST /api/room/guest-join\n"
    . '{"roomName":"no-such-room-' . $n . '","guestName":"Gus"}';

our $too_many = '{"error":"too many requests, please try again later"}';
our $too_many_guests = '{"error":"too many guest join attempts"}';

# raw header checks: a Retry-After of 1..60 seconds, or none at all
our $retry = qr/\r\nRetry-After: (?:[1-9]|[1-5][0-9]|60)\r\n/;
our $no_retry = qr/\A(?![\s\S]*Retry-After)/;

run_tests();

__DATA__

=== TEST 1: the 4th login in a minute is refused, with Retry-After
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[($::login) x 5]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 429, 429]
--- response_body eval
[('{"error":"Invalid credentials"}') x 3, ($::too_many) x 2]
--- raw_response_headers_like eval
[($::no_retry) x 3, ($::retry) x 2]



=== TEST 2: the limit comes first: an over-long password is not even looked at
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[($::login) x 3,
 "POST /api/auth/login\n"
 . '{"email":"x@example.com","password":"' . ('p' x 200) . '"}']
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 429]
--- response_headers eval
[("Content-Type: application/json") x 4]
--- response_body eval
[('{"error":"Invalid credentials"}') x 3, $::too_many]



=== TEST 3: register, login, guest-login and refresh share the auth class
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
["POST /api/auth/register\n{}",
 $::login,
 "POST /api/auth/guest-login\n{\"name\":\"Gus\"}",
 "POST /api/auth/refresh",
 "POST /api/auth/register\n{}",
 "POST /api/auth/guest-login\n{\"name\":\"Gus\"}",
 "GET /api/auth/settings"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 401, 200, 429, 429, 429, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid email format"\}$/,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"user":/,
 (qr/^\Q$::too_many\E$/) x 3,
 qr/^\{"registrationEnabled":/]



=== TEST 4: guest-join has a class of its own, with its own message
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[($::login) x 4, ($::guest_join) x 3, $::login]
--- more_headers
Content-Type: application/json
--- error_code_like eval
['^401$', '^401$', '^401$', '^429$', '^(?!429$)\d{3}$', '^(?!429$)\d{3}$',
 '^429$', '^429$']
--- response_body_like eval
[(qr/^\{"error":"Invalid credentials"\}$/) x 3,
 qr/^\Q$::too_many\E$/,
 (qr/^(?!\Q$::too_many_guests\E)/) x 2,
 qr/^\Q$::too_many_guests\E$/,
 qr/^\Q$::too_many\E$/]
--- raw_response_headers_like eval
[($::no_retry) x 3, $::retry, ($::no_retry) x 2, $::retry, $::retry]



=== TEST 5: guest-join counts alone: exhausting it leaves the auth class alone
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[($::guest_join) x 4, ($::login) x 3]
--- more_headers
Content-Type: application/json
--- error_code_like eval
['^(?!429$)\d{3}$', '^(?!429$)\d{3}$', '^429$', '^429$',
 '^401$', '^401$', '^401$']
--- response_body_like eval
[(qr/^(?!\Q$::too_many_guests\E)/) x 2,
 (qr/^\Q$::too_many_guests\E$/) x 2,
 (qr/^\{"error":"Invalid credentials"\}$/) x 3]



=== TEST 6: a window of 2s resets: after 3s the class is open again
--- http_config eval: $::http_config_2s
--- config
    location /api/ { bedrud_api; }
--- request eval
# the last requests are held back in the middle of their request line:
# they are counted when nginx has their headers, 3 s after the first ones
my ($head, $rest) = ("POST /api/auth/lo", substr($::login, 17));
[($::login) x 3,
 [$head, { value => $rest, delay_before => 3.2 }],
 $::login, $::login]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 429, 401, 401, 429]
--- response_body eval
[('{"error":"Invalid credentials"}') x 2, $::too_many,
 ('{"error":"Invalid credentials"}') x 2, $::too_many]
--- timeout: 8



=== TEST 7: bedrud_limit auth 0: no limit at all
--- http_config eval: $::http_config_off
--- config
    location /api/ { bedrud_api; }
--- request eval
[($::login) x 12, ("POST /api/auth/register\n{}") x 4,
 ("POST /api/auth/refresh") x 4, ($::guest_join) x 8]
--- more_headers
Content-Type: application/json
--- error_code_like eval
[('^(?!429$)\d{3}$') x 28]
--- response_body_like eval
[(qr/^\{"error":"Invalid credentials"\}$/) x 12,
 (qr/^\{"error":"Invalid email format"\}$/) x 4,
 (qr/^\{"error":"No refresh token provided"\}$/) x 4,
 (qr/^(?!\Q$::too_many_guests\E)/) x 8]



=== TEST 8: routes without a class are never limited, even once a class is exhausted
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::mint_pair();
$::a9 = $a;
[($::login) x 4,
 ("GET /api/auth/settings") x 10,
 ("GET /api/health") x 3,
 ("GET /api/auth/me") x 5,
 ("GET /api/auth/preferences") x 3,
 "POST /api/auth/logout\n{}"]
--- more_headers eval
"Content-Type: application/json\nAuthorization: Bearer $::a9"
--- error_code eval
[401, 401, 401, 429, (200) x 22]
--- response_body_like eval
[(qr/^\{"error":"Invalid credentials"\}$/) x 3,
 qr/^\Q$::too_many\E$/,
 (qr/^\{"registrationEnabled":/) x 10,
 (qr/^\{"status":"healthy"/) x 3,
 (qr/^\{"id":/) x 5,
 (qr/^\{"preferencesJson":/) x 3,
 qr/^\{"message":"Successfully logged out"\}$/]



=== TEST 9: the key is the peer address: X-Forwarded-For and X-Real-IP change nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[($::login) x 4]
--- more_headers eval
[map { "Content-Type: application/json\nX-Forwarded-For: 10.0.0.$_\n"
       . "X-Real-IP: 10.0.1.$_\nForwarded: for=10.0.2.$_" } 1 .. 4]
--- error_code eval
[401, 401, 401, 429]
--- response_body eval
[('{"error":"Invalid credentials"}') x 3, $::too_many]



=== TEST 10: each client address has its own window (a second address via proxy_bind)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
    location /from2/ {
        proxy_bind 127.0.0.2;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- request eval
(my $via = $::login) =~ s{^POST /api/}{POST /from2/api/};
[($::login) x 4, ($via) x 4, $::login]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 429, 401, 401, 401, 429, 429]
--- response_body eval
[('{"error":"Invalid credentials"}') x 3, $::too_many,
 ('{"error":"Invalid credentials"}') x 3, $::too_many, $::too_many]
--- raw_response_headers_like eval
[($::no_retry) x 3, $::retry, ($::no_retry) x 3, $::retry, $::retry]
