# The bad-input catalogue of the accounts API: content types, malformed and
# non-object JSON, wrong types, missing fields, invalid UTF-8, NUL and CRLF
# bytes, long strings, deep nesting, duplicate keys, the body size limit
# (Content-Length and chunked), unknown routes, wrong methods and HEAD.
# Rejected writes change nothing: the blocks end with a request that shows
# the state is as before.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $http_config = http_config();
our $n = int(rand(1_000_000_000));
our $pw = $BedrudTest::PW;
our $json = 'Content-Type: application/json';

# a JSON object body, keys in a fixed order
sub body { return ::json_of({@_}) }

# a login-able user: (uid, access token, refresh token, email)
sub user {
    my ($tag, %o) = @_;
    my $e = "$tag$::n\@example.com";
    my ($uid, $a, $r) = ::mint_pair(email => $e, name => 'Keeper',
                                    pwhash => $BedrudTest::PW_HASH, %o);
    return ($uid, $a, $r, $e);
}

run_tests();

__DATA__

=== TEST 1: register: a body not declared as JSON is refused and creates nothing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "ct$::n\@example.com";
my $b = ::body(email => $e, password => $::pw, name => 'Al');
[("POST /api/auth/register\n$b") x 5,
 "POST /api/auth/login\n" . ::body(email => $e, password => $::pw),
 "POST /api/auth/register\n$b"]
--- more_headers eval
["Content-Type: text/plain", "",
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: multipart/form-data; boundary=xyz",
 "Content-Type: application/octet-stream",
 $::json,
 "Content-Type: application/json; charset=utf-8"]
--- error_code eval
[400, 400, 400, 400, 400, 401, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 5,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"user":\{"id":"[0-9a-f-]{36}","email":"ct\d+\@example.com"/]



=== TEST 2: login: content types (application/json only, any case, parameters allowed)
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, undef, undef, $e) = ::user('ctl');
my $b = ::body(email => $e, password => $::pw);
[("POST /api/auth/login\n$b") x 5]
--- more_headers eval
["Content-Type: text/plain", "",
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: APPLICATION/JSON", "Content-Type: application/vnd.api+json"]
--- error_code eval
[400, 400, 400, 200, 400]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 3, qr/^\{"user":/,
 qr/^\{"error":"Invalid input"\}$/]



=== TEST 3: guest-login, PUT me, PUT preferences, logout: content types; nothing changes
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, $r) = ::user('ctg');
$::a3 = $a;
my $rt = ::body(refresh_token => $r);
["POST /api/auth/guest-login\n" . ::body(name => 'Gus'),
 "POST /api/auth/guest-login\n" . ::body(name => 'Gus'),
 "PUT /api/auth/me\n" . ::body(name => 'Changed'),
 "PUT /api/auth/me\n" . ::body(name => 'Changed'),
 "PUT /api/auth/preferences\n" . ::body(preferencesJson => '{"a":1}'),
 "PUT /api/auth/preferences\n" . ::body(preferencesJson => '{"a":1}'),
 "POST /api/auth/logout\n$rt",
 "POST /api/auth/logout\n$rt",
 "POST /api/auth/logout\n$rt",
 "GET /api/auth/me",
 "GET /api/auth/preferences"]
--- more_headers eval
my $auth = "Authorization: Bearer $::a3";
["Content-Type: text/plain", "",
 "Content-Type: text/plain\n$auth", $auth,
 "Content-Type: application/x-www-form-urlencoded\n$auth", $auth,
 "Content-Type: text/plain\n$auth", $auth,
 "Content-Type: application/x-www-form-urlencoded\n$auth",
 $auth, $auth]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 400, 200, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 6,
 (qr/^\{"error":"Invalid input - expected JSON with refresh_token field"\}$/) x 3,
 qr/^\{"id":.*"name":"Keeper",/,
 qr/^\{"preferencesJson":"\{\}"\}$/]



=== TEST 4: register: malformed JSON of all kinds; no user is created
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my $e = "mal$::n\@example.com";
my $good = ::body(email => $e, password => $::pw, name => 'Al');
my @bad = (
    '{"email":',
    "{email:\"$e\",password:\"$::pw\",name:\"Al\"}",
    "{'email':'$e','password':'$::pw','name':'Al'}",
    substr($good, 0, -1) . ',}',
    "$good$good",
    "$good x",
    "/* hi */$good",
    "\xef\xbb\xbf$good",
    '{"email":"' . $e . '","password":"' . $::pw . '","name":"Al","n":NaN}',
    '{"email":"' . $e . '","password":"' . $::pw . '","name":"Al\\x41"}',
    '{"email":"' . $e . "\",\"password\":\"$::pw\",\"name\":\"Al\tx\"}",
    '}',
);
[(map { "POST /api/auth/register\n$_" } @bad),
 "POST /api/auth/login\n" . ::body(email => $e, password => $::pw)]
--- more_headers eval: $::json
--- error_code eval
[(400) x 12, 401]
--- response_body eval
[('{"error":"Invalid input"}') x 12, '{"error":"Invalid credentials"}']



=== TEST 5: malformed JSON on the other routes; nothing changes
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, undef, $e) = ::user('malo');
$::a5 = $a;
my @bad = ('{"name":', '{"name":"Zed",}', '{"name":"Zed"}]');
[(map { "POST /api/auth/login\n$_" } '{"email":', "{\"email\":\"$e\"",
      "{\"email\":\"$e\",\"password\":\"$::pw\"} {}"),
 (map { "POST /api/auth/guest-login\n$_" } @bad),
 (map { "PUT /api/auth/me\n$_" } @bad),
 (map { "PUT /api/auth/preferences\n$_" } '{"preferencesJson":',
      '{"preferencesJson":"{}"'),
 (map { "POST /api/auth/logout\n$_" } '{"refresh_token":', 'not json'),
 "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a5"
--- error_code eval
[(400) x 13, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 11,
 (qr/^\{"error":"Invalid input - expected JSON with refresh_token field"\}$/) x 2,
 qr/^\{"id":.*"name":"Keeper",/]



=== TEST 6: an empty body is refused by every route that needs one
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::user('empty');
$::a6 = $a;
["POST /api/auth/register", "POST /api/auth/login",
 "POST /api/auth/guest-login", "PUT /api/auth/me",
 "PUT /api/auth/preferences", "POST /api/auth/logout",
 "POST /api/auth/login", "GET /api/auth/me"]
--- more_headers eval
my $h = "$::json\nAuthorization: Bearer $::a6";
[($h) x 6, "$h\nContent-Length: 0", $h]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 200]
--- response_body eval
[('{"error":"Invalid input"}') x 5,
 '{"error":"Invalid input - expected JSON with refresh_token field"}',
 '{"error":"Invalid input"}',
 qr/^\{"id":.*"name":"Keeper",/]



=== TEST 7: JSON that is not an object
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::user('nobj');
$::a7 = $a;
my @v = ('[]', '"str"', '1', 'null', 'true', '[{"name":"Zed"}]');
[(map { "POST /api/auth/register\n$_" } @v[0 .. 3]),
 (map { "POST /api/auth/login\n$_" } @v[0 .. 3]),
 (map { "POST /api/auth/guest-login\n$_" } @v[4, 5]),
 (map { "PUT /api/auth/me\n$_" } @v[5, 1]),
 (map { "PUT /api/auth/preferences\n$_" } '"{}"', '[]'),
 (map { "POST /api/auth/logout\n$_" } @v[0, 3]),
 "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a7"
--- error_code eval
[(400) x 16, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 14,
 (qr/^\{"error":"Invalid input - expected JSON with refresh_token field"\}$/) x 2,
 qr/^\{"id":.*"name":"Keeper",/]



=== TEST 8: wrong JSON types for each field: numbers (also huge ones), booleans, arrays, objects
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, undef, $e) = ::user('types');
$::a8 = $a;
my $ne = "types-new$::n\@example.com";
my %reg = (email => $ne, password => $::pw, name => 'Al');
my @reg = map { my ($k, $v) = @$_; ::json_of({ %reg, $k => $v }) }
    [email => 42], [email => ['a@b.io']], [password => 123456789012345],
    [password => JSON::PP::true()], [name => { first => 'Al' }],
    [name => 12], [inviteToken => 5];
my %log = (email => $e, password => $::pw);
my @log = map { my ($k, $v) = @$_; ::json_of({ %log, $k => $v }) }
    [email => 1], [email => JSON::PP::false()], [password => [$::pw]],
    [password => { p => 1 }];
[(map { "POST /api/auth/register\n$_" } @reg),
 (map { "POST /api/auth/login\n$_" } @log),
 "POST /api/auth/guest-login\n" . ::body(name => ['Gus']),
 "POST /api/auth/guest-login\n" . ::body(name => JSON::PP::true()),
 "PUT /api/auth/me\n" . ::body(name => 99),
 "PUT /api/auth/me\n" . ::body(name => ['Zed']),
 "PUT /api/auth/preferences\n" . ::body(preferencesJson => { a => 1 }),
 "PUT /api/auth/preferences\n" . ::body(preferencesJson => 5),
 "POST /api/auth/logout\n" . ::body(refresh_token => 7),
 "POST /api/auth/logout\n" . ::body(refresh_token => [1]),
 "POST /api/auth/guest-login\n{\"name\":1e400}",
 "POST /api/auth/guest-login\n{\"name\":99999999999999999999999}",
 "POST /api/auth/login\n" . ::body(email => $ne, password => $::pw),
 "GET /api/auth/me",
 "GET /api/auth/preferences"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a8"
--- error_code eval
[(400) x 21, 401, 200, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 17,
 (qr/^\{"error":"Invalid input - expected JSON with refresh_token field"\}$/) x 2,
 (qr/^\{"error":"Invalid input"\}$/) x 2,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"id":.*"name":"Keeper",/,
 qr/^\{"preferencesJson":"\{\}"\}$/]



=== TEST 9: null and missing fields are Go's zero values
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::user('zero');
$::a9 = $a;
my $ne = "zero-new$::n\@example.com";
["POST /api/auth/register\n{}",
 "POST /api/auth/register\n{\"email\":null,\"password\":\"$::pw\",\"name\":\"Al\"}",
 "POST /api/auth/register\n" . ::body(email => $ne, password => $::pw),
 "POST /api/auth/register\n{\"email\":\"$ne\",\"password\":\"$::pw\",\"name\":null}",
 "POST /api/auth/register\n" . ::body(email => $ne, name => 'Al'),
 "POST /api/auth/login\n{}",
 "POST /api/auth/login\n{\"email\":null,\"password\":null}",
 "POST /api/auth/login\n" . ::body(email => $ne),
 "POST /api/auth/guest-login\n{}",
 "POST /api/auth/guest-login\n{\"name\":null}",
 "PUT /api/auth/me\n{}",
 "PUT /api/auth/me\n{\"name\":null}",
 "PUT /api/auth/preferences\n{}",
 "PUT /api/auth/preferences\n{\"preferencesJson\":null}",
 "PUT /api/auth/preferences\n{\"preferencesJson\":\"\"}",
 "POST /api/auth/login\n" . ::body(email => $ne, password => $::pw),
 "GET /api/auth/me",
 "GET /api/auth/preferences"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a9"
--- error_code eval
[(400) x 15, 401, 200, 200]
--- response_body eval
['{"error":"Invalid email format"}',
 '{"error":"Invalid email format"}',
 '{"error":"Name must be at least 2 characters"}',
 '{"error":"Name must be at least 2 characters"}',
 '{"error":"Password must be at least 12 characters"}',
 '{"error":"Email and password are required"}',
 '{"error":"Email and password are required"}',
 '{"error":"Email and password are required"}',
 '{"error":"Name is required"}',
 '{"error":"Name is required"}',
 '{"error":"Name must be at least 2 characters"}',
 '{"error":"Name must be at least 2 characters"}',
 '{"error":"preferencesJson must be valid JSON"}',
 '{"error":"preferencesJson must be valid JSON"}',
 '{"error":"preferencesJson must be valid JSON"}',
 '{"error":"Invalid credentials"}',
 qr/^\{"id":.*"name":"Keeper",/,
 '{"preferencesJson":"{}"}']



=== TEST 10: invalid UTF-8: raw 0xff, overlong, encoded and escaped surrogates
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::user('utf');
$::a10 = $a;
my $ne = "utf-new$::n\@example.com";
my @names = ("Al\xff", "Al\xc0\xaf", "Al\xed\xa0\x80", 'Al\ud800',
             'Al\udc00x', 'Al\ud800\u0041', "Al\xf4\x90\x80\x80",
             "Al\xe2\x82");
[(map { "POST /api/auth/register\n{\"email\":\"$ne\",\"password\":\"$::pw\",\"name\":\"$_\"}" } @names),
 (map { "POST /api/auth/guest-login\n{\"name\":\"$_\"}" } @names[0, 3]),
 (map { "PUT /api/auth/me\n{\"name\":\"$_\"}" } @names[1, 4]),
 "PUT /api/auth/preferences\n{\"preferencesJson\":\"{\\\"a\\\":\\\"\xff\\\"}\"}",
 "POST /api/auth/login\n" . ::body(email => $ne, password => $::pw),
 "POST /api/auth/guest-login\n{\"name\":\"Gus \\ud83d\\ude00 \xc3\xa9\"}",
 "GET /api/auth/me",
 "GET /api/auth/preferences"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a10"
--- error_code eval
[(400) x 13, 401, 200, 200, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 13,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"user":\{[^}]*"name":"Gus \xf0\x9f\x98\x80 \xc3\xa9","provider":"guest"/,
 qr/^\{"id":.*"name":"Keeper",/,
 qr/^\{"preferencesJson":"\{\}"\}$/]



=== TEST 11: a raw NUL byte anywhere in the body
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, $r, $e) = ::user('nul');
$::a11 = $a;
my $ne = "nul-new$::n\@example.com";
["POST /api/auth/register\n{\"email\":\"$ne\",\"password\":\"$::pw\",\"name\":\"Al\0ice\"}",
 "POST /api/auth/register\n{\"email\":\"$ne\",\"password\":\"$::pw\",\"name\":\"Alice\"}\0",
 "POST /api/auth/login\n{\"email\":\"$e\",\"password\":\"$::pw\"}\0",
 "POST /api/auth/login\n{\"email\":\"$e\",\0\"password\":\"$::pw\"}",
 "POST /api/auth/guest-login\n{\"name\":\"Gus\0\"}",
 "PUT /api/auth/me\n{\"name\":\"Ze\0d\"}",
 "POST /api/auth/logout\n{\"refresh_token\":\"$r\"}\0",
 "POST /api/auth/login\n" . ::body(email => $ne, password => $::pw),
 "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a11"
--- error_code eval
[(400) x 7, 401, 200]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 6,
 qr/^\{"error":"Invalid input - expected JSON with refresh_token field"\}$/,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"id":.*"name":"Keeper",/]



=== TEST 12: "\u0000" and CR/LF inside string fields
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, undef, $e) = ::user('ctl');
$::a12 = $a;
my $ne = "ctl-new$::n\@example.com";
my %reg = (email => $ne, password => $::pw, name => 'Al');
my $reg = sub { "POST /api/auth/register\n" . ::json_of({ %reg, @_ }) };
[$reg->(email => "ctl-new$::n\0\@example.com"),
 $reg->(email => "$ne\r\nBcc: victim\@example.com"),
 $reg->(name => "Al\0"),
 $reg->(name => "Al\r\nX-Evil: 1"),
 $reg->(name => "Al\x7f"),
 $reg->(password => "correct horse\0battery"),
 "POST /api/auth/login\n" . ::body(email => "$e\0", password => $::pw),
 "POST /api/auth/login\n" . ::body(email => "$e\r\n", password => $::pw),
 "POST /api/auth/login\n" . ::body(email => $e, password => "$::pw\0x"),
 "POST /api/auth/guest-login\n" . ::body(name => "Gus\0"),
 "POST /api/auth/guest-login\n" . ::body(name => "Gus\r\nSet-Cookie: x=1"),
 "PUT /api/auth/me\n" . ::body(name => "\0\0"),
 "PUT /api/auth/me\n" . ::body(name => "Zed\n"),
 "POST /api/auth/login\n" . ::body(email => $ne, password => $::pw),
 "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a12"
--- error_code eval
[400, 400, 400, 400, 400, 400, 401, 401, 401, 400, 400, 400, 400, 401, 200]
--- response_body_like eval
[qr/^\{"error":"Invalid email format"\}$/,
 qr/^\{"error":"Invalid email format"\}$/,
 (qr/^\{"error":"Name contains invalid characters"\}$/) x 3,
 qr/^\{"error":"Password contains invalid characters"\}$/,
 (qr/^\{"error":"Invalid credentials"\}$/) x 3,
 (qr/^\{"error":"Name contains invalid characters"\}$/) x 4,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"id":.*"name":"Keeper",/]
--- raw_response_headers_unlike eval
[(qr/X-Evil|Bcc|Set-Cookie: x=1/) x 15]



=== TEST 13: over-long strings (10 kB) get the field's message, not a crash
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, undef, $e) = ::user('long');
$::a13 = $a;
my $ne = "long-new$::n\@example.com";
my $k10 = 'x' x 10240;
my %reg = (email => $ne, password => $::pw, name => 'Al');
my $reg = sub { "POST /api/auth/register\n" . ::json_of({ %reg, @_ }) };
[$reg->(name => $k10),
 $reg->(email => "$k10\@example.com"),
 $reg->(email => 'a@' . ('b' x 10240) . '.io'),
 $reg->(password => $k10),
 "POST /api/auth/login\n" . ::body(email => "$k10\@example.com", password => $::pw),
 "POST /api/auth/login\n" . ::body(email => $e, password => $k10),
 "POST /api/auth/guest-login\n" . ::body(name => $k10),
 "PUT /api/auth/me\n" . ::body(name => $k10),
 "PUT /api/auth/me\n" . ::body(name => 'y' x 101),
 "PUT /api/auth/preferences\n" . ::body(preferencesJson => "\"$k10\""),
 "POST /api/auth/login\n" . ::body(email => $ne, password => $::pw),
 "GET /api/auth/me",
 "PUT /api/auth/me\n" . ::body(name => 'y' x 100)]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a13"
--- error_code eval
[400, 400, 400, 400, 401, 400, 400, 400, 400, 413, 401, 200, 200]
--- response_body_like eval
[qr/^\{"error":"Name must be at most 100 characters"\}$/,
 qr/^\{"error":"Invalid email format"\}$/,
 qr/^\{"error":"Invalid email format"\}$/,
 qr/^\{"error":"Password must be at most 128 characters"\}$/,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"error":"Password must be at most 128 characters"\}$/,
 (qr/^\{"error":"Name must be at most 100 characters"\}$/) x 3,
 qr/^\{"error":"preferencesJson too large \(max 4 KB\)"\}$/,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"id":.*"name":"Keeper",/,
 qr/^\{"id":.*"name":"y{100}",/]



=== TEST 14: nesting: depth 16 is parsed, 17, 20 and 10000 are refused
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, undef, $e) = ::user('deep');
$::a14 = $a;
my $nest = sub { my $d = shift; ('[' x $d) . (']' x $d) };
my $login = ::body(email => $e, password => $::pw);
my $with = sub { substr($login, 0, -1) . ',"x":' . $_[0] . '}' };
my $brackets = '[{' x 50;
["POST /api/auth/login\n" . $with->($nest->(15)),
 "POST /api/auth/login\n" . $with->($nest->(16)),
 "POST /api/auth/login\n" . $with->($nest->(19)),
 "POST /api/auth/login\n" . $with->($nest->(10000)),
 "POST /api/auth/login\n" . $with->('{"a":' x 10000 . '1' . '}' x 10000),
 "POST /api/auth/login\n" . ('[' x 10000),
 "PUT /api/auth/me\n{\"name\":\"Zed\",\"x\":" . $nest->(20) . '}',
 "PUT /api/auth/me\n" . ::body(name => $brackets),
 "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a14"
--- error_code eval
[200, 400, 400, 400, 400, 400, 400, 200, 200]
--- response_body_like eval
[qr/^\{"user":/,
 (qr/^\{"error":"Invalid input"\}$/) x 6,
 qr/^\{"id":.*"name":"(\[\{){50}",/,
 qr/^\{"id":.*"name":"(\[\{){50}",/]
--- no_error_log
[alert]
[crit]



=== TEST 15: duplicate keys are refused; keys match case-insensitively, as in Go
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, $r, $e) = ::user('keys');
$::a15 = $a;
["POST /api/auth/login\n{\"email\":\"$e\",\"email\":\"$e\",\"password\":\"$::pw\"}",
 "POST /api/auth/guest-login\n{\"name\":\"Gus\",\"name\":\"Guy\"}",
 "PUT /api/auth/me\n{\"name\":\"Zed\",\"name\":\"Zoe\"}",
 "POST /api/auth/login\n{\"EMAIL\":\"$e\",\"Password\":\"$::pw\"}",
 "POST /api/auth/guest-login\n{\"NAME\":\"Upper Gus\"}",
 "PUT /api/auth/preferences\n{\"PreferencesJSON\":\"{\\\"k\\\":2}\"}",
 "PUT /api/auth/me\n{\"nAmE\":\"Mixed Case\"}",
 "GET /api/auth/preferences",
 "POST /api/auth/logout\n{\"REFRESH_TOKEN\":\"$r\"}",
 "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a15"
--- error_code eval
[400, 400, 400, 200, 200, 200, 200, 200, 200, 401]
--- response_body_like eval
[(qr/^\{"error":"Invalid input"\}$/) x 3,
 qr/^\{"user":\{"id":"[^"]+","email":"keys\d+\@example.com"/,
 qr/^\{"user":\{[^}]*"name":"Upper Gus"/,
 qr/^\{"message":"Preferences updated"\}$/,
 qr/^\{"id":.*"name":"Mixed Case",/,
 qr/^\{"preferencesJson":"\{\\"k\\":2\}"\}$/,
 qr/^\{"message":"Successfully logged out"\}$/,
 qr/^\{"error":"Invalid token"\}$/]



=== TEST 16: body size: 65536 bytes are parsed, 65537 are 413, before any parsing
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::user('size');
$::a16 = $a;
my $pad = sub {
    my ($len, $path) = @_;
    my $head = "{\"email\":\"size-new$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"";
    my $b = $head . ('n' x ($len - length($head) - 2)) . '"}';
    die "length" unless length($b) == $len;
    return "$path\n$b";
};
[$pad->(65536, "POST /api/auth/register"),
 $pad->(65537, "POST /api/auth/register"),
 $pad->(200_000, "POST /api/auth/register"),
 $pad->(65537, "PUT /api/auth/me"),
 $pad->(30_000, "PUT /api/auth/me"),
 "POST /api/auth/login\n" . ('{' x 70000),
 "POST /api/auth/login\n" . ::body(email => "size-new$::n\@example.com", password => $::pw),
 "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a16"
--- error_code eval
[400, 413, 413, 413, 400, 413, 401, 200]
--- response_body_like eval
[qr/^\{"error":"Name must be at most 100 characters"\}$/,
 (qr/^\{"error":"request body too large"\}$/) x 3,
 qr/^\{"error":"Name must be at most 100 characters"\}$/,
 qr/^\{"error":"request body too large"\}$/,
 qr/^\{"error":"Invalid credentials"\}$/,
 qr/^\{"id":.*"name":"Keeper",/]



=== TEST 17: chunked bodies: small and medium ones are parsed, huge ones are 413
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a, undef, $e) = ::user('chunk');
$::a17 = $a;
my $big = ::body(email => $e, password => $::pw, name => 'n' x 70000);
my $mid = ::body(email => $e, password => $::pw, name => 'n' x 30000);
["POST /api/auth/login\n" . BedrudTest::chunked(::body(email => $e, password => $::pw), 7),
 "POST /api/auth/register\n" . BedrudTest::chunked($mid, 4000),
 "POST /api/auth/register\n" . BedrudTest::chunked($big, 8192),
 "PUT /api/auth/me\n" . BedrudTest::chunked($big, 65536),
 "PUT /api/auth/me\n" . BedrudTest::chunked(::body(name => 'Chunky'), 3),
 "GET /api/auth/me"]
--- more_headers eval
my $h = "$::json\nAuthorization: Bearer $::a17";
[("$h\nTransfer-Encoding: chunked") x 5, $h]
--- error_code eval
[200, 400, 413, 413, 200, 200]
--- response_body_like eval
[qr/^\{"user":\{"id":"[^"]+","email":"chunk\d+\@example.com"/,
 qr/^\{"error":"Name must be at most 100 characters"\}$/,
 (qr/^\{"error":"request body too large"\}$/) x 2,
 (qr/^\{"id":.*"name":"Chunky",/) x 2]



=== TEST 18: a body over the limit: one 413 line in the log, nothing worse
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
"POST /api/auth/login\n" . ::body(email => 'a@b.io', password => 'x' x 70000)
--- more_headers eval: $::json
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"request body too large"}
--- no_error_log
[alert]
[crit]
[error]



=== TEST 19: unknown routes are 404 JSON
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
["GET /api/nope", "GET /api/auth", "GET /api/auth/me/extra",
 "POST /api/auth/login/x", "GET /api/", "GET /api/auth/settingsx",
 "GET /api/auth/settings/x", "DELETE /api/room/a/b/c/d"]
--- error_code eval
[(404) x 8]
--- response_body eval
[('{"error":"not found"}') x 8]
--- response_headers eval
[("Content-Type: application/json") x 8]



=== TEST 20: wrong methods are 405 with Allow
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
["GET /api/auth/login", "DELETE /api/auth/me", "POST /api/auth/settings",
 "PUT /api/auth/logout", "PATCH /api/auth/me", "OPTIONS /api/auth/register",
 "DELETE /api/health", "GET /api/auth/password", "HEAD /api/auth/refresh",
 "POST /api/auth/preferences"]
--- error_code eval
[(405) x 10]
--- response_headers eval
["Allow: POST", "Allow: GET, HEAD, PUT", "Allow: GET, HEAD", "Allow: POST",
 "Allow: GET, HEAD, PUT", "Allow: POST", "Allow: GET, HEAD", "Allow: PUT",
 "Allow: POST", "Allow: GET, HEAD, PUT"]
--- response_body eval
[('{"error":"method not allowed"}') x 8, '', '{"error":"method not allowed"}']



=== TEST 21: unknown admin paths: 401 without a token, 403 for users, 404 for superadmins
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $u) = ::mint_pair();
my (undef, $s) = ::mint_pair(accesses => ['user', 'superadmin']);
$::u21 = $u; $::s21 = $s;
["GET /api/admin/xyz", "GET /api/admin/xyz", "GET /api/admin/xyz",
 "POST /api/admin/users", "POST /api/admin/users", "DELETE /api/admin",
 "GET /api/admin/xyz"]
--- more_headers eval
["", "Authorization: Bearer $::u21", "Authorization: Bearer $::s21",
 "Authorization: Bearer $::u21", "Authorization: Bearer $::s21",
 "Authorization: Bearer $::u21", "Authorization: Bearer garbage"]
--- error_code eval
[401, 403, 404, 403, 405, 403, 401]
--- response_body eval
['{"error":"Missing authorization"}',
 '{"error":"Insufficient access rights"}',
 '{"error":"not found"}',
 '{"error":"Insufficient access rights"}',
 '{"error":"method not allowed"}',
 '{"error":"Insufficient access rights"}',
 '{"error":"Invalid token"}']
--- response_headers eval
["WWW-Authenticate: Bearer", "!Allow", "!Allow", "!Allow", "Allow: GET, HEAD",
 "!Allow", 'WWW-Authenticate: Bearer error="invalid_token"']



=== TEST 22: HEAD on GET routes: headers only
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::mint_pair();
$::a22 = $a;
["HEAD /api/auth/settings", "HEAD /api/health", "HEAD /api/auth/me",
 "HEAD /api/auth/me", "HEAD /api/nope"]
--- more_headers eval
["", "", "", "Authorization: Bearer $::a22", ""]
--- error_code eval
[200, 200, 401, 200, 404]
--- response_headers_like eval
["Content-Length: [1-9]\\d*", "Content-Length: [1-9]\\d*",
 "Content-Length: 33", "Content-Length: [1-9]\\d*", "Content-Length: 21"]
--- response_body eval
['', '', '', '', '']



=== TEST 23: one display-name rule: bidi overrides and marks, C1 controls and line separators are refused by register, guest login, rename and guest join alike
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::user('dn');
$::a23 = $a;
my $room = "dn-$::n";
::redis_cli('HSET', "bedrud:room:{dn-$::n}", 'id', "dn-$::n", 'name', $room,
            'createdBy', 'x', 'isActive', '1', 'isPublic', '1',
            'maxParticipants', '20', 'settings', '{}');
::redis_cli('SET', "bedrud:roomname:$room", "dn-$::n");
my @bad = ("Gus\x{202e}gnp.exe", "Gus\x{85}Gus", "Gus\x{2028}Gus",
           "Gus\x{200f}", "Gus\x{2066}x", "Gus\x{61c}x");
my @req;
for my $name (@bad) {
    push @req,
        "POST /api/auth/register\n" . ::body(email => "dn" . @req . "-$::n\@example.com",
                                             password => $::pw, name => $name),
        "POST /api/auth/guest-login\n" . ::body(name => $name),
        "PUT /api/auth/me\n" . ::body(name => $name),
        "POST /api/room/guest-join\n" . ::json_of({roomName => $room, guestName => $name});
}
utf8::encode($_) for @req;
[@req, "GET /api/auth/me"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a23"
--- error_code eval
[(400) x 24, 200]
--- response_body_like eval
[(qr/^\{"error":"Name contains invalid characters"\}$/,
  qr/^\{"error":"Name contains invalid characters"\}$/,
  qr/^\{"error":"Name contains invalid characters"\}$/,
  qr/^\{"error":"Guest name contains invalid characters"\}$/) x 6,
 qr/^\{"id":.*"name":"Keeper",/]



=== TEST 24: unknown keys are ignored whatever number they hold; a known field with a number out of range is still refused
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::user('bignum');
$::a24 = $a;
["POST /api/auth/guest-login\n{\"name\":\"Gus\",\"x\":99999999999999999999}",
 "POST /api/auth/guest-login\n{\"name\":\"Gus\",\"x\":{\"y\":[1e400,-1e999]}}",
 "POST /api/auth/register\n{\"email\":\"bignum-new$::n\@example.com\",\"password\":\"$::pw\",\"name\":\"Al\",\"id\":-99999999999999999999}",
 "POST /api/room/create\n{\"name\":\"bignum-$::n\",\"maxParticipants\":99999999999999999999}",
 "POST /api/room/create\n{\"name\":\"bignum-$::n\",\"maxParticipants\":1e400}",
 "POST /api/room/create\n{\"name\":\"bignum-$::n\",\"maxParticipants\":3,\"x\":1e400}"]
--- more_headers eval
"$::json\nAuthorization: Bearer $::a24"
--- error_code eval
[200, 200, 200, 400, 400, 200]
--- response_body_like eval
[qr/^\{"user":\{"id":"[0-9a-f-]{36}".*"name":"Gus"/,
 qr/^\{"user":\{"id":"[0-9a-f-]{36}".*"name":"Gus"/,
 qr/^\{"user":\{"id":"[0-9a-f-]{36}","email":"bignum-new\d+\@example.com"/,
 qr/^\{"error":"Invalid request body"\}$/,
 qr/^\{"error":"Invalid request body"\}$/,
 qr/^\{"id":"[0-9a-f-]{36}","name":"bignum-\d+",.*"maxParticipants":3,/]



=== TEST 25: a path with a route of its own is no other route's parameter: /api/room/create and /api/room/list are not rooms to delete
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
my (undef, $a) = ::mint_pair();
$::a25 = $a;
["DELETE /api/room/create", "OPTIONS /api/room/list", "DELETE /api/room/list/",
 "OPTIONS /api/room/" . ::uuid()]
--- more_headers eval
"Authorization: Bearer $::a25"
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
["Allow: POST", "Allow: GET, HEAD", "Allow: GET, HEAD", "Allow: DELETE"]
--- response_body eval
[('{"error":"method not allowed"}') x 4]



=== TEST 26: the most specific route wins on every path of openapi.yaml (moderation, live admin, settings and upload included): OPTIONS lists exactly the document's methods of that path
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
require YAML::XS;
my $spec = YAML::XS::LoadFile("$ENV{TEST_NGINX_TOP}/openapi.yaml");
my %sample = (roomId => ::uuid(), identity => 'guest-abcdefgh',
              action => 'camera', id => ::uuid());
my (@req, @allow);
for my $path (sort keys %{ $spec->{paths} }) {
    my %m = map { $_ => 1 } keys %{ $spec->{paths}{$path} };
    my @a = (($m{get} ? ('GET', 'HEAD') : ()),
             grep { $m{lc $_} } qw(POST PUT DELETE));
    (my $p = $path) =~ s/\{(\w+)\}/$sample{$1} or die "no sample for $1"/ge;
    push @req, "OPTIONS $p";
    push @allow, 'Allow: ' . join(', ', @a);
}
die "only " . @req . " paths" unless @req > 40;
$::allow26 = \@allow;
my (undef, $a) = ::mint_pair(accesses => ['user', 'superadmin']);
$::a26 = $a;
\@req
--- more_headers eval
"Authorization: Bearer $::a26"
--- error_code eval
[(405) x @$::allow26]
--- response_headers eval
$::allow26
--- response_body eval
[('{"error":"method not allowed"}') x @$::allow26]
