# Redis down, then back: API requests get a fast JSON 503 while it is
# away, the worker keeps serving, and it reconnects by itself without a
# reload.  A Redis that stops answering is treated the same way.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

our ($rport, $cport) = BedrudTest::own_redis();
our $http_config = http_config(redis_port => $rport);

run_tests();

__DATA__

=== TEST 1: Redis stops, API answers 503 at once, Redis returns, API recovers
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }
 location = /static { return 200 'still serving'; }"
--- request eval
[
  "GET /api/health",
  "GET /ctl/stop",
  "GET /api/health",
  "POST /api/auth/login\n{\"email\":\"a\@example.com\",\"password\":\"whatever it is\"}",
  "GET /api/auth/settings",
  "GET /static",
  "GET /ctl/start",
  "GET /ctl/sleep?ms=5500",
  "GET /api/auth/settings",
  "GET /api/health",
]
--- more_headers
Content-Type: application/json
--- timeout: 10
--- error_code eval
[200, 200, 503, 503, 503, 200, 200, 200, 200, 200]
--- response_body_like eval
[
  qr/^\{"status":"healthy","time":\d+,"redis":"up","functions":"loaded"\}$/,
  qr/ok/,
  qr/^\{"status":"unhealthy","time":\d+,"redis":"down"\}$/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/^still serving$/,
  qr/ok/,
  qr/ok/,
  qr/^\{"registrationEnabled":true,/,
  qr/^\{"status":"healthy"/,
]
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: answers within the timeout while Redis is down (client gives up after 1s)
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
[
  "GET /ctl/stop",
  "POST /api/auth/register\n{\"email\":\"d\@example.com\",\"password\":\"long enough password\",\"name\":\"Dee\"}",
  "GET /api/auth/settings",
  "GET /ctl/start",
]
--- more_headers
Content-Type: application/json
--- timeout: 1
--- error_code eval
[200, 503, 503, 200]
--- raw_response_headers_like eval
[qr/200 OK/, qr/Retry-After: 1\r\n/, qr/Retry-After: 1\r\n/, qr/200 OK/]



=== TEST 3: a Redis that stops answering: 503 within the command timeout, then recovery
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
[
  "GET /api/auth/settings",
  "GET /ctl/pause?ms=2500",
  "GET /api/auth/settings",
  "GET /api/auth/settings",
  "GET /ctl/sleep?ms=6000",
  "GET /api/auth/settings",
]
--- timeout: 10
--- error_code eval
[200, 200, 503, 503, 200, 200]
--- response_body_like eval
[
  qr/^\{"registrationEnabled"/,
  qr/ok/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/ok/,
  qr/^\{"registrationEnabled"/,
]
--- no_error_log
[alert]
[crit]



=== TEST 4: functions flushed under our feet: health says so; a reconnect reloads them
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
[
  "GET /api/health",
  "GET /ctl/flush-functions",
  "GET /api/health",
  "GET /ctl/stop",
  "GET /ctl/start",
  "GET /ctl/sleep?ms=5500",
  "GET /api/health",
]
--- timeout: 10
--- error_code eval
[200, 200, 503, 200, 200, 200, 200]
--- response_body_like eval
[
  qr/"functions":"loaded"/,
  qr/ok/,
  qr/^\{"status":"unhealthy","time":\d+,"redis":"up","functions":"missing"\}$/,
  qr/ok/,
  qr/ok/,
  qr/ok/,
  qr/"functions":"loaded"/,
]




=== TEST 5: Redis back after a long idle outage: the next request is served
(idle, the reconnect backoff has grown to seconds: at 4.5 s down the next
timed attempt is at 6.3 s; a request has one tried at once and waits for
its handshake instead of a 503)
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
[
  "GET /api/auth/settings",
  "GET /ctl/stop",
  "GET /ctl/sleep?ms=4500",
  "GET /ctl/start",
  "GET /api/auth/settings",
]
--- timeout: 10
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[
  qr/^\{"registrationEnabled"/,
  qr/ok/,
  qr/ok/,
  qr/ok/,
  qr/^\{"registrationEnabled"/,
]
--- no_error_log
[alert]
[crit]



=== TEST 6: requests during the outage get fast 503s; 300 ms after Redis
answers again they are served
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
[
  "GET /api/auth/settings",
  "GET /ctl/stop",
  "GET /ctl/sleep?ms=3500",
  "GET /api/auth/settings",
  "GET /api/health",
  "GET /ctl/start",
  "GET /ctl/sleep?ms=300",
  "GET /api/auth/settings",
  "GET /api/health",
]
--- timeout: 10
--- error_code eval
[200, 200, 200, 503, 503, 200, 200, 200, 200]
--- response_body_like eval
[
  qr/^\{"registrationEnabled"/,
  qr/ok/,
  qr/ok/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/^\{"status":"unhealthy"/,
  qr/ok/,
  qr/ok/,
  qr/^\{"registrationEnabled"/,
  qr/^\{"status":"healthy"/,
]



=== TEST 7: a dead Redis is not hammered: 30 requests in a row make a
few connects (one per 250 ms at most, and the first backoff steps), not 30
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
[
  "GET /ctl/stop",
  ("GET /api/auth/settings") x 30,
  "GET /ctl/start",
]
--- timeout: 10
--- error_code eval
[200, (503) x 30, 200]
--- grep_error_log: redis connect failed
--- grep_error_log_out eval
qr/\A(?:redis connect failed\n){0,8}\z/



=== TEST 8: functions flushed under our feet: a call of one is a 503, not a
500, and the next connection loads them again, no restart needed
--- http_config eval: $::http_config
--- config eval
"location /api/ { bedrud_api; }
 location /ctl/ { proxy_pass http://127.0.0.1:$::cport/; proxy_read_timeout 20s; }"
--- request eval
[
  "GET /api/health",
  "GET /ctl/sleep?ms=1100",
  "GET /ctl/flush-functions",
  "POST /api/auth/login\n{\"email\":\"f\@example.com\",\"password\":\"whatever it is\"}",
  "GET /ctl/sleep?ms=400",
  "GET /api/health",
  "GET /ctl/sleep?ms=1100",
  "GET /ctl/flush-functions",
  "GET /api/health",
  "GET /ctl/sleep?ms=400",
  "GET /api/health",
]
--- more_headers
Content-Type: application/json
--- timeout: 10
--- error_code eval
[200, 200, 200, 503, 200, 200, 200, 200, 503, 200, 200]
--- response_body_like eval
[
  qr/"functions":"loaded"/,
  qr/ok/,
  qr/ok/,
  qr/^\{"error":"service unavailable"\}$/,
  qr/ok/,
  qr/"functions":"loaded"/,
  qr/ok/,
  qr/ok/,
  qr/"functions":"missing"/,
  qr/ok/,
  qr/"functions":"loaded"/,
]
--- no_error_log
[alert]
[crit]
