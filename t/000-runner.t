# Self-test of the test harness: runs under the real Test::Nginx::Socket
# (CPAN) and under the fallback in t/lib alike.  Uses stock nginx
# directives only, so it does not need ngx_bedrud.

use Test::Nginx::Socket;

repeat_each(2);

# Tests per round of each block (status + checks; see the comments).
plan tests => repeat_each() * (
      3     # TEST 1: status, body, no_error_log
    + 2     # TEST 2: status, body
    + 5     # TEST 3: status, 3 response_headers, body
    + 6     # TEST 4: status, 2 response_headers_like, body_like, 2 error_log
    + 2     # TEST 5: status, body
    + 6     # TEST 6: 2 requests x (status, body_like, no_error_log)
    + 4     # TEST 7: 2 pipelined responses x (status, body)
    + 2     # TEST 8: status, body
    + 2     # TEST 9: status, body
    + 3     # TEST 10: status, raw_response_headers_like, body
);

# TEST 8 reuses the nginx of TEST 7, so the order matters.
no_shuffle();
run_tests();

__DATA__

=== TEST 1: plain GET
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[alert]



=== TEST 2: POST body gets an automatic Content-Length
--- config
    location = /post {
        client_body_buffer_size 16k;
        client_body_in_single_buffer on;
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "$request_method [$http_x_body] $http_content_length\n";
    }
--- request
POST /post
hello world
--- response_body
POST [hello world] 11



=== TEST 3: more_headers, error_code, response_headers with !Absent
--- config
    location = /h {
        add_header X-Foo "foo-$http_x_test" always;
        return 201 "created\n";
    }
--- more_headers
# comment lines are ignored
X-Test: bar
--- request
GET /h
--- error_code: 201
--- response_headers
X-Foo: foo-bar
!X-Absent
Content-Type: text/plain
--- response_body
created



=== TEST 4: 404 for a missing file is logged
--- config
    location = /unused {
        return 204;
    }
--- request
GET /nope.html
--- error_code: 404
--- response_headers_like
Content-Type: text/html.*
Server: nginx/[\d.]+
--- response_body_like: 404 Not Found
--- error_log
open() "
nope.html" failed (2: No such file or directory)



=== TEST 5: response_body_json_sort canonicalises the JSON body
--- config
    location = /json {
        default_type application/json;
        return 200 '{"b": 1, "a": [true, null, "x"], "c": {"z": 2, "y": 1}}';
    }
--- request
GET /json
--- response_body_json_sort
--- response_body
{"a":[true,null,"x"],"b":1,"c":{"y":1,"z":2}}



=== TEST 6: request eval with two requests, array expectations
--- config
    location = /a {
        return 200 "a\n";
    }
    location = /b {
        return 403;
    }
--- request eval
["GET /a", "GET /b"]
--- error_code eval
[200, 403]
--- response_body_like eval
['^a\n\z', '403 Forbidden']
--- no_error_log
[error]



=== TEST 7: pipelined requests on one connection
--- config
    location = /p1 {
        return 200 "one\n";
    }
    location = /p2 {
        return 200 "two\n";
    }
--- pipelined_requests eval
["GET /p1", "GET /p2"]
--- error_code eval
[200, 200]
--- response_body eval
["one\n", "two\n"]



=== TEST 8: no config: reuses the nginx of the previous block
--- request
GET /p2
--- response_body
two



=== TEST 9: raw_request, $ServerPort in the expected body
--- config
    location = /raw {
        return 200 "raw $server_protocol $server_port\n";
    }
--- raw_request eval
"GET /raw HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- response_body
raw HTTP/1.0 $ServerPort



=== TEST 10: chunked response is de-chunked
--- config
    location = /chunked {
        sub_filter 'a' 'o';
        sub_filter_once off;
        sub_filter_types text/plain;
        return 200 "banana\n";
    }
--- request
GET /chunked
--- raw_response_headers_like: Transfer-Encoding: chunked
--- response_body
bonono
