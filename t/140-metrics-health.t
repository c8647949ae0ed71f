# GET /api/health (with Redis up and down) and the Prometheus metrics
# location (bedrud_metrics): format, counters that follow the API traffic,
# methods.  Every block starts a fresh nginx, so the counters start at 0.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config();
our $http_config_limited = http_config(auth_limit => '1 1m');

# nothing listens there
our $http_config_down = http_config(redis_port => free_port());

our $config = q{
    location /api/ { bedrud_api; }
    location = /metrics { bedrud_metrics; }
};

# the whole body: comment lines and samples, nothing else
our $prometheus = qr/\A(?:(?:# (?:HELP|TYPE) bedrud_\w+ [^\n]+|bedrud_\w+(?:\{(?:code|le|reason)="[^"]+"\})? \d+(?:\.\d{3})?)\n)+\z/;

run_tests();

__DATA__

=== TEST 1: health: Redis answers
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /api/health
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like eval
qr/^\{"status":"healthy","time":(\d{10}),"redis":"up","functions":"loaded"\}$/
--- no_error_log
[error]



=== TEST 2: health: the time is now
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /api/health
--- response_body_like eval
# within minutes of now (this runs when the blocks are read)
my $t = time;
my $alt = CORE::join '|', map { $t - 5 + $_ } 0 .. 300;
qr/"time":(?:$alt),/



=== TEST 3: health: Redis down is 503, and says so
--- http_config eval: $::http_config_down
--- config eval: $::config
--- request eval
["GET /api/health", "HEAD /api/health"]
--- error_code eval
[503, 503]
--- response_body_like eval
[qr/^\{"status":"unhealthy","time":\d{10},"redis":"down"\}$/, qr/^$/]



=== TEST 4: metrics: Prometheus text, all counters at zero on a fresh start
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_like eval
# the format, and no counter of requests above 0
qr/\A(?![\s\S]*(?:requests_total|responses_total|_count|rate_limited_total)(?:\{[^}]*\})? [1-9])$::prometheus/



=== TEST 5: metrics: the TYPE lines
--- http_config eval: $::http_config
--- config eval: $::config
--- request
GET /metrics
--- response_body_like eval
my @t = ('bedrud_http_requests_total counter',
         'bedrud_http_responses_total counter',
         'bedrud_http_request_duration_seconds histogram',
         'bedrud_rate_limited_total counter',
         'bedrud_redis_errors_total counter',
         'bedrud_denylist_entries gauge',
         'bedrud_zone_size_bytes gauge');
my $re = CORE::join '', map { "(?=[\\s\\S]*^# TYPE \Q$_\E\$)" } @t;
qr/\A$re/m



=== TEST 6: metrics count the API's answers by class and status
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["GET /api/auth/settings", "GET /metrics", "GET /api/auth/settings",
 "GET /api/nope", "GET /api/auth/me", "POST /api/auth/me", "GET /metrics"]
--- error_code eval
[200, 200, 200, 404, 401, 405, 200]
--- response_body_like eval
[qr/^\{"registrationEnabled"/,
 qr/\A(?=[\s\S]*\nbedrud_http_requests_total\{code="2xx"\} 1\n)(?=[\s\S]*\nbedrud_http_requests_total\{code="4xx"\} 0\n)(?=[\s\S]*\nbedrud_http_request_duration_seconds_count 1\n)/,
 qr/^\{"registrationEnabled"/,
 qr/^\{"error":"not found"\}$/,
 qr/^\{"error":"Missing authorization"\}$/,
 qr/^\{"error":"method not allowed"\}$/,
 qr/\A(?=[\s\S]*\nbedrud_http_requests_total\{code="2xx"\} 2\n)(?=[\s\S]*\nbedrud_http_requests_total\{code="4xx"\} 3\n)(?=[\s\S]*\nbedrud_http_requests_total\{code="5xx"\} 0\n)(?=[\s\S]*\nbedrud_http_responses_total\{code="401"\} 1\n)(?=[\s\S]*\nbedrud_http_responses_total\{code="403"\} 0\n)(?=[\s\S]*\nbedrud_http_request_duration_seconds_bucket\{le="\+Inf"\} 5\n)(?=[\s\S]*\nbedrud_http_request_duration_seconds_count 5\n)/]



=== TEST 7: metrics count refused requests
--- http_config eval: $::http_config_limited
--- config eval: $::config
--- request eval
["POST /api/auth/login\n{\"email\":\"a\@b.io\",\"password\":\"not the password\"}",
 "POST /api/auth/login\n{\"email\":\"a\@b.io\",\"password\":\"not the password\"}",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 429, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"error":"too many requests, please try again later"\}$/,
 qr/\A(?=[\s\S]*\nbedrud_rate_limited_total 1\n)(?=[\s\S]*\nbedrud_http_responses_total\{code="429"\} 1\n)(?=[\s\S]*\nbedrud_http_responses_total\{code="401"\} 1\n)(?=[\s\S]*\nbedrud_rate_limit_entries 1\n)/]



=== TEST 8: metrics: only GET and HEAD
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
["POST /metrics\nx=1", "PUT /metrics", "DELETE /metrics", "HEAD /metrics"]
--- error_code eval
[405, 405, 405, 200]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD", "Allow: GET, HEAD", "!Allow"]
--- response_body eval
["method not allowed\n", "method not allowed\n", "method not allowed\n", ""]



=== TEST 9: metrics without a bedrud_zone: 503, not a crash
--- http_config
--- config
    location = /metrics { bedrud_metrics; }
--- request
GET /metrics
--- error_code: 503
--- response_body
no bedrud_zone configured
--- no_error_log
[alert]
[crit]
