# The errors nginx itself answers in front of the API are JSON, as the
# module's own: the shipped conf/bedrud-server.conf (its error_page lines)
# is included as a site includes it.  Bedrud's clients parse every error
# body as {"error": ...}; nginx's default is an HTML page.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

# what a site defines around bedrud-server.conf (conf/bedrud-http.conf)
our $http_config = http_config() . <<'CONF';
    client_max_body_size 1m;
    upstream bedrud_livekit { server 127.0.0.1:1; }
    map $http_upgrade $bedrud_connection_upgrade { default upgrade; '' close; }
    map $https $bedrud_hsts { on "max-age=63072000"; default ""; }
CONF

our $config = <<"CONF";
    root $ENV{TEST_NGINX_TOP}/t/data;
    include $ENV{TEST_NGINX_TOP}/conf/bedrud-server.conf;
CONF

run_tests();

__DATA__

=== TEST 1: TRACE: 405 JSON with Allow
--- http_config eval: $::http_config
--- config eval: $::config
--- request
TRACE /api/health
--- error_code: 405
--- response_headers
Content-Type: application/json
Allow: GET, HEAD, POST, PUT, DELETE
--- response_body: {"error":"method not allowed"}



=== TEST 2: a header line larger than nginx's buffers: 400 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /api/health
--- more_headers eval
"X-Big: " . ('a' x 10000)
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body: {"error":"request header too large"}



=== TEST 3: a URI too long: 414 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
"GET /api/" . ('a' x 10000)
--- error_code: 414
--- response_headers
Content-Type: application/json
--- response_body: {"error":"request URI too long"}



=== TEST 4: a NUL in the path: 400 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /api/auth/me%00
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body: {"error":"bad request"}



=== TEST 5: a body over client_max_body_size: 413 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- raw_request eval
"POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n{}"
--- shutdown: 1
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body: {"error":"request body too large"}



=== TEST 6: an unknown Transfer-Encoding: 501 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- raw_request eval
"POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"
--- error_code: 501
--- response_headers
Content-Type: application/json
--- response_body: {"error":"not implemented"}



=== TEST 7: a malformed request line: 400 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- raw_request eval
"GET /api/health HTTP/1.1 extra\r\nHost: localhost\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body: {"error":"bad request"}



=== TEST 8: HTTP/1.1 without Host: 400 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- raw_request eval
"GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body: {"error":"bad request"}



=== TEST 9: an unknown HTTP version: 505 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- raw_request eval
"GET /api/health HTTP/2.0\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 505
--- response_headers
Content-Type: application/json
--- response_body: {"error":"HTTP version not supported"}



=== TEST 10: the LiveKit proxy with LiveKit down: 502 JSON
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /livekit/rtc
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body: {"error":"bad gateway"}
--- error_log
connect() failed



=== TEST 11: the module's own answers are untouched
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["GET /api/nope", "DELETE /api/health", "GET /api/auth/me"]
--- error_code eval
[404, 405, 401]
--- response_body eval
['{"error":"not found"}', '{"error":"method not allowed"}',
 '{"error":"Missing authorization"}']
