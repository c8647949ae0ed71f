# The JWT attack catalogue: forged, tampered, expired, confused and
# malformed tokens against a protected route (GET /api/auth/me), the admin
# group and the refresh route.  Every attack gets 401 and changes nothing;
# the first block shows that the same routes do answer a good token.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config();
our $n = int(rand(1_000_000_000));

# another key of the right length, and the header every good token has
our $other_key = 'x' x 48;
our $hs256 = { alg => 'HS256', typ => 'JWT' };

# "Authorization: Bearer <token>" for a real user, so that an attack that
# got through would answer 200 with the user instead of 401
sub bearer { return "Authorization: Bearer $_[0]" }

sub user_claims {
    my (%o) = @_;
    my ($uid, undef, undef, $fam) = ::mint_pair(email => "atk$::n-" . ::uuid()
                                              . '@example.com');
    return BedrudTest::claims(uid => $uid, fam => $fam, %o);
}

run_tests();

__DATA__

=== TEST 1: controls: a good token works as Bearer (any case), raw, or cookie
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a) = ::mint_pair(email => "ctl$::n\@example.com");
$::a1 = $a;
["GET /api/auth/me", "GET /api/auth/me", "GET /api/auth/me",
 "GET /api/auth/me", "GET /api/auth/me", "GET /api/auth/me"]
--- more_headers eval
["Authorization: Bearer $::a1", "Authorization: bearer $::a1",
 "Authorization: BEARER $::a1", "Authorization: $::a1",
 "Cookie: access_token=$::a1", "Cookie: theme=dark; access_token=$::a1"]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_body_like eval
[map { qr/^\{"id":"[0-9a-f-]{36}","email":"ctl\d+\@example.com",/ } 1 .. 6]



=== TEST 2: no token at all
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer
--- response_body chomp
{"error":"Missing authorization"}



=== TEST 3: alg none with an empty signature
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
my $c = ::json_of(::user_claims());
::bearer(::b64url('{"alg":"none","typ":"JWT"}') . '.' . ::b64url($c) . '.')
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}
--- no_error_log
[alert]
[crit]



=== TEST 4: alg none carrying a valid HMAC-SHA256 signature
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
::bearer(::jwt_sign({ alg => 'none', typ => 'JWT' }, ::user_claims()))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 5: alg switch: HS384 with the same secret
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
::bearer(BedrudTest::jwt_sign_hmac('HS384', { alg => 'HS384', typ => 'JWT' },
                                 ::user_claims()))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 6: alg switch: HS512 with the same secret
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
::bearer(BedrudTest::jwt_sign_hmac('HS512', { alg => 'HS512', typ => 'JWT' },
                                 ::user_claims()))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 7: alg confusion: an RS256 header over an HMAC signature
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
::bearer(::jwt_sign({ alg => 'RS256', typ => 'JWT' }, ::user_claims()))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 8: headers without alg, with a lower-case alg, or with crit
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $c = ::user_claims();
$::h8 = [
    ::jwt_sign({ typ => 'JWT' }, $c),
    ::jwt_sign({ alg => 'hs256', typ => 'JWT' }, $c),
    ::jwt_sign({ alg => 'HS256', typ => 'JWT', crit => ['exp'] }, $c),
    ::jwt_sign({ alg => 'HS256', typ => 'JWE' }, $c),
    ::jwt_sign('{"alg":"HS256","alg":"none"}', $c),
    ::jwt_sign('["HS256"]', $c),
];
[("GET /api/auth/me") x 6]
--- more_headers eval
[map { ::bearer($_) } @$::h8]
--- error_code eval
[(401) x 6]
--- response_body eval
[('{"error":"Invalid token"}') x 6]



=== TEST 9: a tampered signature (one character changed)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
::bearer(BedrudTest::flip_sig(::jwt_sign($::hs256, ::user_claims())))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 10: the same signature written another way (unused low bits set)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $t = ::jwt_sign($::hs256, ::user_claims());
# 43 base64url characters carry 258 bits: the last 2 of them are unused
my $abc = CORE::join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';
my $v = index($abc, substr($t, -1));
die "unexpected signature" if $v & 3;
$::t10 = [$t, substr($t, 0, -1) . substr($abc, $v | 1, 1)];
["GET /api/auth/me", "GET /api/auth/me"]
--- more_headers eval
[map { ::bearer($_) } @$::t10]
--- error_code eval
[200, 401]
--- response_body_like eval
[qr/^\{"id":/, qr/^\{"error":"Invalid token"\}$/]



=== TEST 11: signed with another key, with an empty key
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $c = ::user_claims();
$::t11 = [::jwt_sign($::hs256, $c, $::other_key), ::jwt_sign($::hs256, $c, ''),
          ::jwt_sign($::hs256, $c, ::secret() . 'x')];
[("GET /api/auth/me") x 3]
--- more_headers eval
[map { ::bearer($_) } @$::t11]
--- error_code eval
[401, 401, 401]
--- response_body eval
[('{"error":"Invalid token"}') x 3]
--- response_headers eval
[('WWW-Authenticate: Bearer error="invalid_token"') x 3]



=== TEST 12: expired token (exp a second ago, exp 0)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
$::t12 = [::jwt_sign($::hs256, ::user_claims(iat => time - 700, nbf => time - 700,
                                         exp => time - 1)),
          ::jwt_sign($::hs256, ::user_claims(iat => 0, nbf => 0, exp => 0))];
["GET /api/auth/me", "GET /api/auth/me"]
--- more_headers eval
[map { ::bearer($_) } @$::t12]
--- error_code eval
[401, 401]
--- response_body eval
[('{"error":"Invalid token"}') x 2]
--- response_headers eval
[('WWW-Authenticate: Bearer error="invalid_token"') x 2]



=== TEST 13: not valid yet (nbf an hour ahead)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
::bearer(::jwt_sign($::hs256, ::user_claims(nbf => time + 3600)))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 14: missing exp
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
::bearer(::jwt_sign($::hs256, ::user_claims(exp => undef)))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 15: missing typ, unknown typ
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
$::t15 = [::jwt_sign($::hs256, ::user_claims(typ => undef)),
          ::jwt_sign($::hs256, ::user_claims(typ => 'Access')),
          ::jwt_sign($::hs256, ::user_claims(typ => 'livekit'))];
[("GET /api/auth/me") x 3]
--- more_headers eval
[map { ::bearer($_) } @$::t15]
--- error_code eval
[401, 401, 401]
--- response_body eval
[('{"error":"Invalid token"}') x 3]



=== TEST 16: a refresh token is not an access token (unlike Bedrud)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request
GET /api/auth/me
--- more_headers eval
my (undef, undef, $r) = ::mint_pair();
::bearer($r)
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 17: an access token is not a refresh token; the session survives
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, $r) = ::mint_pair();
$::r17 = $r;
$::a17 = $a;
["POST /api/auth/refresh\n{\"refresh_token\":\"$a\"}",
 "POST /api/auth/refresh",
 "POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}"]
--- more_headers eval
["Content-Type: application/json",
 "Cookie: refresh_token=$::a17\nOrigin: http://localhost",
 "Content-Type: application/json"]
--- error_code eval
[401, 401, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid or expired refresh token"\}$/,
 qr/^\{"error":"Invalid or expired refresh token"\}$/,
 qr/^\{"access_token":"ey/]
--- response_headers eval
["!Set-Cookie", "!Set-Cookie", "Content-Type: application/json"]



=== TEST 18: wrong or missing issuer
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
$::t18 = [::jwt_sign($::hs256, ::user_claims(iss => 'evil')),
          ::jwt_sign($::hs256, ::user_claims(iss => 'Bedrud')),
          ::jwt_sign($::hs256, ::user_claims(iss => undef)),
          ::jwt_sign($::hs256, ::user_claims(iss => ['bedrud']))];
[("GET /api/auth/me") x 4]
--- more_headers eval
[map { ::bearer($_) } @$::t18]
--- error_code eval
[401, 401, 401, 401]
--- response_body eval
[('{"error":"Invalid token"}') x 4]



=== TEST 19: audience: "bedrud" as a string or among others is fine, else 401
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
$::t19 = [::jwt_sign($::hs256, ::user_claims(aud => 'bedrud')),
          ::jwt_sign($::hs256, ::user_claims(aud => ['other', 'bedrud'])),
          ::jwt_sign($::hs256, ::user_claims(aud => ['other'])),
          ::jwt_sign($::hs256, ::user_claims(aud => 'bedrudx')),
          ::jwt_sign($::hs256, ::user_claims(aud => [])),
          ::jwt_sign($::hs256, ::user_claims(aud => undef))];
[("GET /api/auth/me") x 6]
--- more_headers eval
[map { ::bearer($_) } @$::t19]
--- error_code eval
[200, 200, 401, 401, 401, 401]
--- response_body_like eval
[qr/^\{"id":/, qr/^\{"id":/, (qr/^\{"error":"Invalid token"\}$/) x 4]



=== TEST 20: claims of the wrong types
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $t = time;
$::t20 = [
    ::jwt_sign($::hs256, ::user_claims(exp => '' . ($t + 600))),
    ::jwt_sign($::hs256, ::user_claims(exp => $t + 600.5)),
    ::jwt_sign($::hs256, ::user_claims(nbf => "$t")),
    ::jwt_sign($::hs256, ::user_claims(iat => undef)),
    ::jwt_sign($::hs256, ::user_claims(accesses => 'user')),
    ::jwt_sign($::hs256, ::user_claims(accesses => ['user', 7])),
    ::jwt_sign($::hs256, ::user_claims(userId => 42, sub => 42)),
    ::jwt_sign($::hs256, ::user_claims(fam => undef)),
    ::jwt_sign($::hs256, ::user_claims(jti => '')),
    ::jwt_sign($::hs256, '[1,2,3]'),
    ::jwt_sign($::hs256, '"just a string"'),
];
[("GET /api/auth/me") x 11]
--- more_headers eval
[map { ::bearer($_) } @$::t20]
--- error_code eval
[(401) x 11]
--- response_body eval
[('{"error":"Invalid token"}') x 11]



=== TEST 21: sub and userId disagree; userId with a NUL; duplicate claims
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $c = ::user_claims();
my $victim = ::uuid();
my $j = ::json_of($c);
(my $dup = $j) =~ s/^\{/{"userId":"$victim",/;
(my $nul = $j) =~ s/"userId":"/"userId":"\\u0000/;
$::t21 = [::jwt_sign($::hs256, { %$c, sub => $victim }),
          ::jwt_sign($::hs256, $nul),
          ::jwt_sign($::hs256, $dup),
          ::jwt_sign($::hs256, $j)];
[("GET /api/auth/me") x 4]
--- more_headers eval
[map { ::bearer($_) } @$::t21]
--- error_code eval
[401, 401, 401, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid token"\}$/) x 3, qr/^\{"id":/]



=== TEST 22: a 9 KB token is refused even when signed; 7 KB is fine
--- http_config eval: $::http_config
--- config
    large_client_header_buffers 4 16k;
    location /api/ { bedrud_api; }
--- request eval
my $big = ::jwt_sign($::hs256, ::user_claims(name => 'n' x 6500));
my $ok = ::jwt_sign($::hs256, ::user_claims(name => 'n' x 4800));
die "sizes: " . length($big) . ' ' . length($ok)
    unless length($big) > 9000 && length($ok) < 7500;
$::t22 = [$big, $ok];
["GET /api/auth/me", "GET /api/auth/me"]
--- more_headers eval
[map { ::bearer($_) } @$::t22]
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid token"\}$/, qr/^\{"id":/]



=== TEST 23: a NUL byte in the header: nginx refuses the request itself
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- raw_request eval
my (undef, $a) = ::mint_pair();
substr($a, 20, 0) = "\0";
"GET /api/auth/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $a\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_body_unlike
"id"



=== TEST 24: a bare CR in the header: nginx refuses the request itself
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- raw_request eval
my (undef, $a) = ::mint_pair();
substr($a, 20, 0) = "\r";
"GET /api/auth/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $a\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_body_unlike
"id"



=== TEST 25: an LF splits the token: what is left is no token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- raw_request eval
my (undef, $a) = ::mint_pair();
substr($a, 20, 0) = "\n";
"GET /api/auth/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $a\r\nConnection: close\r\n\r\n"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer error="invalid_token"
--- response_body chomp
{"error":"Invalid token"}



=== TEST 26: spaces, tabs and junk inside or after a good token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::mint_pair();
(my $sp = $a) =~ s/\./. /;
$::t26 = ["Authorization: Bearer $sp", "Authorization: Bearer $a junk",
          "Authorization: Bearer\t$a", "Authorization: Bearer $a=",
          "Authorization: Bearer $a.", "Authorization: Bearer $a.$a",
          "Authorization: Bearer Bearer $a", "Authorization: Basic $a"];
[("GET /api/auth/me") x 8]
--- more_headers eval
$::t26
--- error_code eval
[(401) x 8]
--- response_body eval
[('{"error":"Invalid token"}') x 8]



=== TEST 27: garbage: non-base64, two dots, dots only, "Bearer" alone
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
[("GET /api/auth/me") x 8]
--- more_headers eval
["Authorization: Bearer !!!.@@@.###", "Authorization: Bearer ..",
 "Authorization: Bearer a.b", "Authorization: Bearer a.b.c",
 "Authorization: Bearer", "Authorization: Bearer %00",
 "Authorization: Bearer " . ('A' x 8000),
 "Authorization: Bearer " . ::b64url('{"alg":"HS256"}') . '..' . ('A' x 43)]
--- error_code eval
[(401) x 8]
--- response_body eval
[('{"error":"Invalid token"}') x 8]
--- response_headers eval
[('WWW-Authenticate: Bearer error="invalid_token"') x 8]



=== TEST 28: an empty Authorization header is no header (as in Go): the cookie counts
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::mint_pair();
$::a28 = $a;
[("GET /api/auth/me") x 4]
--- more_headers eval
["Authorization: ", "Cookie: access_token=",
 "Authorization: \nCookie: access_token=$::a28",
 "Authorization: \nCookie: access_token=garbage"]
--- error_code eval
[401, 401, 200, 401]
--- response_body_like eval
[(qr/^\{"error":"Missing authorization"\}$/) x 2, qr/^\{"id":/,
 qr/^\{"error":"Invalid token"\}$/]



=== TEST 28b: two Authorization headers: nginx refuses the request itself
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- raw_request eval
my (undef, $a) = ::mint_pair();
"GET /api/auth/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer garbage\r\nAuthorization: Bearer $a\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_body_unlike
"id"



=== TEST 29: the header wins over the cookie, even when the header is bad
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::mint_pair();
$::a29 = $a;
["GET /api/auth/me", "GET /api/auth/me"]
--- more_headers eval
["Authorization: Bearer garbage\nCookie: access_token=$::a29",
 "Authorization: Bearer $::a29\nCookie: access_token=garbage"]
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid token"\}$/, qr/^\{"id":/]



=== TEST 30: a logged-out session: its access and refresh tokens are dead
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r) = ::mint_pair();
my (undef, $a2) = ::mint_pair(uid => $uid, no_user => 1);
$::a30 = $a; $::a30b = $a2;
["POST /api/auth/logout\n{\"refresh_token\":\"$r\"}",
 "GET /api/auth/me",
 "PUT /api/auth/me\n{\"name\":\"Zombie\"}",
 "POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}",
 "GET /api/auth/me"]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Bearer $::a30",
 "Authorization: Bearer $::a30",
 "Content-Type: application/json\nAuthorization: Bearer $::a30",
 "Content-Type: application/json",
 "Authorization: Bearer $::a30b"]
--- error_code eval
[200, 401, 401, 401, 200]
--- response_body_like eval
[qr/^\{"message":"Successfully logged out"\}$/,
 qr/^\{"error":"Invalid token"\}$/,
 qr/^\{"error":"Invalid token"\}$/,
 qr/^\{"error":"Invalid or expired refresh token"\}$/,
 qr/^\{"id":.*"name":"Fixture User"/]



=== TEST 31: a replayed refresh token kills its whole session, and only it
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r, $fam) = ::mint_pair();
my (undef, $a2) = ::mint_pair(uid => $uid, no_user => 1);
# the session has moved on to another refresh token: $r is a replay
BedrudTest::redis_cli('HSET', "bedrud:session:{$uid}:$fam", 'jti', 'rotated');
$::a31 = $a; $::a31b = $a2;
["POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}",
 "GET /api/auth/me",
 "GET /api/auth/me"]
--- more_headers eval
["Content-Type: application/json",
 "Authorization: Bearer $::a31",
 "Authorization: Bearer $::a31b"]
--- error_code eval
[401, 401, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid or expired refresh token"\}$/,
 qr/^\{"error":"Invalid token"\}$/,
 qr/^\{"id":/]



=== TEST 32: forged refresh tokens: none, other key, expired, unknown session
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r, $fam, $rjti) = ::mint_pair();
my %rc = (uid => $uid, fam => $fam, jti => $rjti, typ => 'refresh');
my @bad = (
    ::jwt_sign({ alg => 'none', typ => 'JWT' }, BedrudTest::claims(%rc)),
    ::jwt_sign($::hs256, BedrudTest::claims(%rc), $::other_key),
    ::jwt_sign($::hs256, BedrudTest::claims(%rc, exp => time - 1)),
    ::jwt_sign($::hs256, BedrudTest::claims(%rc, fam => ::uuid())),
    BedrudTest::flip_sig($r),
);
[(map { "POST /api/auth/refresh\n{\"refresh_token\":\"$_\"}" } @bad),
 "POST /api/auth/refresh\n{\"refresh_token\":\"$r\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 401, 401, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid or expired refresh token"\}$/) x 5,
 qr/^\{"access_token":"ey/]



=== TEST 33: superadmin claims count only in a valid token
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $c = ::user_claims(accesses => ['user', 'superadmin']);
my $t = time;
$::t33 = [
    ::jwt_sign($::hs256, $c),
    ::jwt_sign($::hs256, $c),
    ::jwt_sign($::hs256, $c, $::other_key),
    ::jwt_sign({ alg => 'none', typ => 'JWT' }, $c),
    ::jwt_sign($::hs256, { %$c, exp => $t - 1 }),
    ::jwt_sign($::hs256, { %$c, typ => 'refresh' }),
    ::jwt_sign($::hs256, { %$c, accesses => 'superadmin' }),
    ::jwt_sign($::hs256, { %$c, accesses => ['Superadmin'] }),
    ::jwt_sign($::hs256, { %$c, accesses => ['superadmin '] }),
];
["GET /api/auth/me", "GET /api/admin/no-such-thing",
 ("GET /api/admin/no-such-thing") x 5,
 ("GET /api/admin/no-such-thing") x 2]
--- more_headers eval
[map { ::bearer($_) } @$::t33]
--- error_code eval
[200, 404, 401, 401, 401, 401, 401, 403, 403]
--- response_body_like eval
[qr/^\{"id":/, qr/^\{"error":"not found"\}$/,
 (qr/^\{"error":"Invalid token"\}$/) x 5,
 (qr/^\{"error":"Insufficient access rights"\}$/) x 2]



=== TEST 34: forged tokens change nothing: rename and logout refused
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my ($uid, $a, $r, $fam) = ::mint_pair(name => 'Original');
my %same = (uid => $uid, fam => $fam);
$::t34 = [
    ::jwt_sign($::hs256, BedrudTest::claims(%same), $::other_key),
    ::jwt_sign({ alg => 'none', typ => 'JWT' }, BedrudTest::claims(%same)),
    BedrudTest::flip_sig($a),
    ::jwt_sign($::hs256, BedrudTest::claims(%same, exp => time - 5)),
    $a,
    $a,
];
[("PUT /api/auth/me\n{\"name\":\"Hijacked\"}") x 2,
 "POST /api/auth/logout\n{\"refresh_token\":\"$r\"}",
 "PUT /api/auth/preferences\n{\"preferencesJson\":\"{\\\"x\\\":1}\"}",
 "GET /api/auth/me", "GET /api/auth/preferences"]
--- more_headers eval
[map { "Content-Type: application/json\nAuthorization: Bearer $_" } @$::t34]
--- error_code eval
[401, 401, 401, 401, 200, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid token"\}$/) x 4,
 qr/^\{"id":.*"name":"Original"/,
 qr/^\{"preferencesJson":"\{\}"\}$/]



=== TEST 35: a token of a user with no record (deleted) still only gets null
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
$::t35 = ::mint(accesses => ['user']);
["GET /api/auth/me", "GET /api/admin/users"]
--- more_headers eval
["Authorization: Bearer $::t35", "Authorization: Bearer $::t35"]
--- error_code eval
[200, 403]
--- response_body eval
["null", '{"error":"Insufficient access rights"}']
