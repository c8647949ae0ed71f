# Cross-site requests (CSRF).  A request that a cookie authenticates and
# that would change something (any method but GET and HEAD) must come
# from our own pages: its Origin is the request's own or one of
# bedrud_trusted_origins, or, without an Origin, Sec-Fetch-Site says
# same-origin; else 403 and nothing changes.  A request with an
# Authorization header is not concerned.  JSON bodies must be declared
# application/json exactly: "text/plain; a=json" is what another site
# can send without asking.  t/915-web-csrf.t does the same in chromium.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

our $http_config = http_config(
    extra => '    bedrud_trusted_origins https://app.example.com;');
our $n = int(rand(1_000_000_000));
our $json = 'Content-Type: application/json';
our $refused = '{"error":"cross-site request refused"}';

run_tests();

__DATA__

=== TEST 1: a cookie's POST: refused without an Origin, with another site's (another port too), "null" or a same-site fetch; accepted from our own origin, a trusted one, or a same-origin fetch
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = BedrudTest::mint_pair();
$::a1 = $a;
[map { "POST /api/room/create\n{\"name\":\"csrf$_-$::n\"}" } 1 .. 10]
--- more_headers eval
my $c = "$::json\nCookie: access_token=$::a1";
["$c",
 "$c\nOrigin: https://evil.example",
 "$c\nOrigin: http://localhost:1985",
 "$c\nOrigin: null",
 "$c\nSec-Fetch-Site: same-site",
 "$c\nOrigin: http://localhost\nOrigin: https://evil.example",
 "$c\nOrigin: http://localhost",
 "$c\nOrigin: https://app.example.com",
 "$c\nSec-Fetch-Site: same-origin",
 "$c\nOrigin: HTTP://LOCALHOST:80"]
--- error_code eval
[403, 403, 403, 403, 403, 403, 200, 200, 200, 200]
--- response_body_like eval
[(qr/^\Q$::refused\E$/) x 6, (qr/^\{"id":"[0-9a-f-]{36}","name":"csrf\d+-\d+"/) x 4]



=== TEST 2: the refused ones created nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
["POST /api/room/create\n{\"name\":\"csrf1-$::n\"}",
 "POST /api/room/create\n{\"name\":\"csrf7-$::n\"}"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a1"
--- error_code eval
[200, 409]



=== TEST 3: an Authorization header is not concerned; GET is not either
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = BedrudTest::mint_pair();
$::a3 = $a;
["POST /api/room/create\n{\"name\":\"csrfh-$::n\"}", "GET /api/auth/me",
 "GET /api/room/list"]
--- more_headers eval
["$::json\nAuthorization: Bearer $::a3\nOrigin: https://evil.example",
 "Cookie: access_token=$::a3\nOrigin: https://evil.example",
 "Cookie: access_token=$::a3\nSec-Fetch-Site: cross-site"]
--- error_code eval
[200, 200, 200]



=== TEST 4: body-less routes (ban) and logout: a cookie from another site changes nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = BedrudTest::mint_pair();
$::a4 = $a;
my $rid = BedrudTest::uuid();
BedrudTest::redis_cli('HSET', "bedrud:room:{$rid}", 'id', $rid,
    'name', "csrfban-$::n", 'createdBy', $uid, 'adminId', $uid,
    'isActive', '1', 'isPublic', '1', 'maxParticipants', '20');
$::rid4 = $rid;
["POST /api/room/$rid/ban/guest-abcdefgh",
 "POST /api/auth/logout\n{}",
 "PUT /api/auth/me\n{\"name\":\"Mallory\"}",
 "DELETE /api/room/$rid",
 "GET /api/auth/me"]
--- more_headers eval
["Cookie: access_token=$::a4\nOrigin: http://127.0.0.1:9",
 "Content-Type: text/plain\nCookie: access_token=$::a4\nOrigin: http://127.0.0.1:9",
 "$::json\nCookie: access_token=$::a4\nSec-Fetch-Site: cross-site",
 "Cookie: access_token=$::a4\nOrigin: https://evil.example",
 "Cookie: access_token=$::a4"]
--- error_code eval
[403, 403, 403, 403, 200]
--- response_body_like eval
[(qr/^\Q$::refused\E$/) x 4, qr/"name":"Fixture User"/]



=== TEST 5: and so nothing was banned or deleted
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- init
my $bans = BedrudTest::redis_cli('HLEN', "bedrud:room:{$::rid4}:bans");
my $room = BedrudTest::redis_cli('EXISTS', "bedrud:room:{$::rid4}");
die "bans $bans, room $room" unless $bans eq '0' && $room eq '1';
--- request
GET /api/health
--- error_code: 200



=== TEST 6: a refresh with the cookie alone: our own origin only; with the token in the body, anyone
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, undef, $r) = BedrudTest::mint_pair();
my (undef, undef, $r2) = BedrudTest::mint_pair();
$::r6 = $r;
["POST /api/auth/refresh", "POST /api/auth/refresh",
 "POST /api/auth/refresh\n{\"refresh_token\":\"$r2\"}"]
--- more_headers eval
["Cookie: refresh_token=$::r6\nOrigin: https://evil.example",
 "Cookie: refresh_token=$::r6\nOrigin: http://localhost",
 "$::json\nOrigin: https://evil.example"]
--- error_code eval
[403, 200, 200]
--- response_body_like eval
[qr/^\Q$::refused\E$/, qr/^\{"access_token":"ey/, qr/^\{"access_token":"ey/]



=== TEST 7: JSON means application/json: "text/plain; a=json" (no CORS preflight) is no JSON
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = BedrudTest::mint_pair();
$::a7 = $a;
[("POST /api/room/create\n{\"name\":\"csrfct-$::n\"}") x 4]
--- more_headers eval
my $h = "Authorization: Bearer $::a7";
["$h\nContent-Type: text/plain; a=json", "$h\nContent-Type: text/plain",
 "$h\nContent-Type: application/x-www-form-urlencoded; x=application/json",
 "$h\nContent-Type: application/json; charset=utf-8"]
--- error_code eval
[400, 400, 400, 200]



=== TEST 8: cookies are SameSite=Lax
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
"POST /api/auth/guest-login\n{\"name\":\"Gus\"}"
--- more_headers eval
$::json
--- error_code: 200
--- raw_response_headers_like eval
qr/Set-Cookie: access_token=[^\r]*; HttpOnly; SameSite=Lax\r\nSet-Cookie: refresh_token=[^\r]*; HttpOnly; SameSite=Lax\r\n/



=== TEST 9: every operation of openapi.yaml that changes something and takes the cookie (moderation, settings, uploads included) refuses another site's request
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
require YAML::XS;
my $spec = YAML::XS::LoadFile("$ENV{TEST_NGINX_TOP}/openapi.yaml");
my %sample = (roomId => BedrudTest::uuid(), identity => 'guest-abcdefgh',
              action => 'unmute', id => BedrudTest::uuid());
my @req;
for my $path (sort keys %{ $spec->{paths} }) {
    for my $m (qw(post put delete)) {
        my $op = $spec->{paths}{$path}{$m} or next;
        my $sec = $op->{security} // $spec->{security} // [];
        next unless grep { exists $_->{cookieAuth} } @$sec;
        (my $p = $path) =~ s/\{(\w+)\}/$sample{$1} or die "no sample for $1"/ge;
        push @req, "\U$m\E $p" . ($op->{requestBody} && $path !~ /upload/
                                  ? "\n{\"registrationEnabled\":false}" : '');
    }
}
die "only " . @req . " operations" unless @req > 30;
$::n9 = @req;
$::reg9 = BedrudTest::redis_cli('HGET', 'bedrud:settings', 'registrationEnabled');
my (undef, $a) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
$::a9 = $a;
\@req
--- more_headers eval
"$::json\nCookie: access_token=$::a9\nOrigin: https://evil.example"
--- error_code eval
[(403) x $::n9]
--- response_body eval
[($::refused) x $::n9]



=== TEST 10: and the settings did not change
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- init
my $reg = BedrudTest::redis_cli('HGET', 'bedrud:settings', 'registrationEnabled');
die "registrationEnabled '$reg', was '$::reg9'" unless $reg eq $::reg9;
--- request
GET /api/health
--- error_code: 200
