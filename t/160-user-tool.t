# tools/bedrud-user, the operator's command for the first superadmin:
# an account it creates logs in through the API, and promote/demote
# change the roles the next login sees.  The logins verify hashes the
# tool made at the server's default cost (ln=17, half a second of CPU
# alone, seconds on a busy machine): they may take longer than the
# runner's default of 3 s.

use lib 't/inc';
use BedrudTest;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

our $http_config = http_config();
our $n = int(rand(1_000_000_000));
our $e = "boss$n\@example.com";

sub tool {
    my @a = @_;
    local $ENV{BEDRUD_PASSWORD} = 'the boss password';
    my $out = `tools/bedrud-user --redis-port $ENV{TEST_NGINX_REDIS_PORT} @a 2>&1`;
    return ($? >> 8, $out);
}

# the functions are loaded by nginx on connect; the tool may run first
{
    open my $fh, '<', "$ENV{TEST_NGINX_TOP}/redis/bedrud.lua" or die $!;
    local $/;
    my $lib = <$fh>;
    system('redis-cli', '-p', $ENV{TEST_NGINX_REDIS_PORT}, 'FUNCTION',
           'LOAD', 'REPLACE', $lib) == 0 or die;
}

our @created = tool("create --email \U$e\E --name Boss --superadmin");
our @again = tool("create --email $e --name Boss");
our @missing = tool("promote --email nobody$n\@example.com");
our $e2 = "demoted$n\@example.com";
tool("create --email $e2 --name Demo --superadmin");
tool("demote --email $e2");

run_tests();

__DATA__

=== TEST 1: the created superadmin logs in with the password, by any case
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
"POST /api/auth/login\n{\"email\":\"$::e\",\"password\":\"the boss password\"}"
--- more_headers
Content-Type: application/json
--- timeout: 15
--- error_code: 200
--- response_body_like eval
qr/"accesses":\["user","superadmin"\],"isActive":true/



=== TEST 2: the tool's own answers: created, exists, unknown address
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
"GET /api/health"
--- response_body_like eval
my $ok = $::created[0] == 0 && $::created[1] =~ /^created /
    && $::again[0] != 0 && $::again[1] =~ /exists; use promote/
    && $::missing[0] != 0 && $::missing[1] =~ /no account/;
$ok ? qr/healthy/ : qr/tool answers were wrong: \Q$::created[1]$::again[1]$::missing[1]\E/



=== TEST 3: demote removes superadmin for the next login
--- http_config eval: $::http_config
--- config
    location /api/ { bedrud_api; }
--- request eval
"POST /api/auth/login\n{\"email\":\"$::e2\",\"password\":\"the boss password\"}"
--- more_headers
Content-Type: application/json
--- timeout: 15
--- error_code: 200
--- response_body_like eval
qr/"accesses":\["user"\],"isActive":true/
