# Configuration checks: `nginx -t` accepts a good configuration and
# refuses each bad directive value with a message that names the problem.
# A plain Test::More script (no nginx is started), run like the other
# suites from the top of the repository:
#
#   TEST_NGINX_BINARY=/usr/sbin/nginx \
#   TEST_NGINX_LOAD_MODULES=$PWD/build/ngx_bedrud_module.so prove t/010-config.t

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use Cwd qw(getcwd);

my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
my $modules = $ENV{TEST_NGINX_LOAD_MODULES}
    or plan skip_all => 'TEST_NGINX_LOAD_MODULES is not set';
my $top = $ENV{TEST_NGINX_TOP} || getcwd();

my $dir = tempdir('bedrud-conf-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub write_file {
    my ($name, $content) = @_;
    my $path = "$dir/$name";
    open my $fh, '>', $path or die "$path: $!";
    print $fh $content;
    close $fh;
    return $path;
}

# secrets and libraries of various kinds
my $secret = "$top/t/data/jwt.secret";
my $short = write_file('short.secret', ('s' x 31) . "\n");
my $exact = write_file('exact.secret', ('s' x 32) . "\n");
my $empty = write_file('empty.secret', "\n");
my $notlib = write_file('not-bedrud.lua',
                        "#!lua name=other\nredis.register_function('x', "
                        . "function() return 1 end)\n");
my $lib = "$top/redis/bedrud.lua";

# the directives of a good configuration, by key; a test replaces some
# (a string) or drops them (undef) and may add lines
my @order = qw(redis timeout functions secret zone scrypt limit_auth
               limit_guest access refresh);
my %good = (
    redis       => 'bedrud_redis 127.0.0.1:6379;',
    timeout     => 'bedrud_redis_timeout 300ms;',
    functions   => "bedrud_redis_functions $lib;",
    secret      => "bedrud_jwt_secret_file $secret;",
    zone        => 'bedrud_zone bedrud 1m;',
    scrypt      => 'bedrud_password_scrypt ln=10 r=8 p=1;',
    limit_auth  => 'bedrud_limit auth 10 1m;',
    limit_guest => 'bedrud_limit guest 5 1m;',
    access      => 'bedrud_access_token_ttl 1h;',
    refresh     => 'bedrud_refresh_token_ttl 7d;',
);

my $n = 0;

# Writes a configuration and runs nginx -t on it: (exit status, output).
sub nginx_t {
    my (%o) = @_;
    my %d = %good;
    for my $k (keys %{ $o{set} || {} }) {
        $d{$k} = $o{set}{$k};
    }
    my $http = join '', map { "    $_\n" } grep { defined }
                        map { $d{$_} } @order;
    $http .= join '', map { "    $_\n" } @{ $o{add} || [] };
    my $location = $o{location} // 'bedrud_api;';
    my $server = $o{server} // '';
    my $load = join '', map { "load_module $_;\n" } split ' ', $modules;

    $n++;
    my $conf = write_file("nginx-$n.conf", <<"CONF");
${load}error_log $dir/error.log;
pid $dir/nginx.pid;
$o{main}
events { worker_connections 16; }
http {
    access_log off;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
$http
    server {
        listen 127.0.0.1:1;
$server
        location /api/ { $location }
    }
}
CONF

    my $out = `$bin -t -q -p $dir/ -c $conf -e $dir/error.log 2>&1`;
    return ($? >> 8, $out, $conf);
}

# nginx -t must fail with this message
sub refused {
    my ($name, $msg, %o) = @_;
    $o{main} //= '';
    my ($rc, $out, $conf) = nginx_t(%o);
    my $re = ref $msg ? $msg : qr/\[emerg\] \Q$msg\E/;
    ok($rc != 0 && $out =~ $re, "refused: $name")
        or diag("exit $rc, output:\n$out\nconfiguration $conf:\n"
                . do { local (@ARGV, $/) = $conf; <> });
}

# nginx -t must pass
sub accepted {
    my ($name, %o) = @_;
    $o{main} //= '';
    my ($rc, $out, $conf) = nginx_t(%o);
    ok($rc == 0 && $out !~ /\[(?:emerg|alert|crit)\]/, "accepted: $name")
        or diag("exit $rc, output:\n$out");
}


# the binary itself, and a good configuration

my $v = `$bin -V 2>&1`;
ok($? == 0 && $v =~ /nginx version/, "$bin -V works") or BAIL_OUT($v);

accepted('the good configuration');
accepted('defaults for everything optional',
         set => { timeout => undef, scrypt => undef, limit_auth => undef,
                  limit_guest => undef, access => undef, refresh => undef });
accepted('a secret of exactly 32 bytes (trailing newline dropped)',
         set => { secret => "bedrud_jwt_secret_file $exact;" });
accepted('no bedrud_api: nothing else is needed',
         set => { redis => undef, functions => undef, secret => undef,
                  zone => undef },
         location => 'return 204;');
accepted('rate limits off', set => { limit_auth => 'bedrud_limit auth 0 1m;' });
accepted('LiveKit RoomService calls',
         add => ['bedrud_livekit_api_key k;',
                 "bedrud_livekit_secret_file $exact;",
                 'bedrud_livekit_api /_livekit/;']);
refused('bedrud_livekit_api without the key and secret',
        '"bedrud_livekit_api" needs "bedrud_livekit_api_key" and '
        . '"bedrud_livekit_secret_file"',
        add => ['bedrud_livekit_api /_livekit;']);
refused('bedrud_livekit_api that is not a location prefix',
        '"bedrud_livekit_api" needs a location prefix such as "/_livekit"',
        add => ['bedrud_livekit_api_key k;',
                "bedrud_livekit_secret_file $exact;",
                'bedrud_livekit_api _livekit;']);
accepted('Redis over a unix socket, db and password file',
         set => { redis => "bedrud_redis unix:/run/redis.sock db=3 "
                           . "password_file=$secret;" });
accepted('an IPv6 Redis address',
         set => { redis => 'bedrud_redis [::1]:6380 db=0;' });
accepted('several function libraries',
         set => { functions => "bedrud_redis_functions $lib "
                               . "$top/redis/rooms.lua;" });
accepted('a named thread pool',
         main => 'thread_pool bedrud threads=4;',
         add => ['bedrud_thread_pool bedrud;']);


# bedrud_api needs the essentials

refused('bedrud_api without bedrud_redis',
        '"bedrud_api" needs "bedrud_redis"', set => { redis => undef });
refused('bedrud_api without bedrud_jwt_secret_file',
        '"bedrud_api" needs "bedrud_jwt_secret_file" with a secret of at '
        . 'least 32 bytes', set => { secret => undef });
refused('bedrud_api without bedrud_zone',
        '"bedrud_api" needs "bedrud_zone"', set => { zone => undef });
refused('bedrud_api without bedrud_redis_functions',
        '"bedrud_api" needs "bedrud_redis_functions"',
        set => { functions => undef });


# secrets and libraries

refused('a missing secret file',
        qr/\[emerg\] open\(\) "\Q$dir\E\/no-such\.secret" failed \(2: No such file/,
        set => { secret => "bedrud_jwt_secret_file $dir/no-such.secret;" });
refused('a secret of 31 bytes',
        '"bedrud_api" needs "bedrud_jwt_secret_file" with a secret of at '
        . 'least 32 bytes',
        set => { secret => "bedrud_jwt_secret_file $short;" });
refused('an empty secret file',
        '"bedrud_api" needs "bedrud_jwt_secret_file" with a secret of at '
        . 'least 32 bytes',
        set => { secret => "bedrud_jwt_secret_file $empty;" });
refused('a LiveKit secret of 31 bytes',
        'the LiveKit API secret must be at least 32 bytes',
        add => ["bedrud_livekit_secret_file $short;"]);
refused('a functions file that is not a bedrud library',
        "\"$notlib\" is not a bedrud Redis Functions library",
        set => { functions => "bedrud_redis_functions $lib $notlib;" });
refused('a missing functions file',
        qr/\[emerg\] open\(\) "\Q$dir\E\/nope\.lua" failed/,
        set => { functions => "bedrud_redis_functions $dir/nope.lua;" });
refused('a secret file that is a directory',
        "\"$dir\" is not a regular file",
        set => { secret => "bedrud_jwt_secret_file $dir;" });


# scrypt parameters

for my $case (['ln=9', 'ln=9 r=8 p=1'], ['ln=23', 'ln=23 r=8 p=1'],
              ['r=0', 'ln=10 r=0 p=1'], ['r=33', 'ln=10 r=33 p=1'],
              ['p=0', 'ln=10 r=8 p=0'], ['p=17', 'ln=10 r=8 p=17'],
              ['foo=1', 'foo=1 r=8 p=1'], ['ln=abc', 'ln=abc r=8 p=1'])
{
    my ($bad, $args) = @$case;
    refused("scrypt $bad",
            "invalid scrypt parameter \"$bad\" (ln=10..22, r=1..32, p=1..16)",
            set => { scrypt => "bedrud_password_scrypt $args;" });
}
refused('scrypt without p=',
        '"bedrud_password_scrypt" needs ln=, r= and p=',
        set => { scrypt => 'bedrud_password_scrypt ln=10 ln=11 r=8;' });
refused('scrypt needing more than 1 GiB',
        'invalid scrypt parameters ln=22 r=32 p=1',
        set => { scrypt => 'bedrud_password_scrypt ln=22 r=32 p=1;' });
refused('scrypt with two parameters',
        'invalid number of arguments in "bedrud_password_scrypt" directive',
        set => { scrypt => 'bedrud_password_scrypt ln=10 r=8;' });


# rate limits

refused('an unknown limit class', 'unknown limit class "login" (auth or guest)',
        set => { limit_auth => 'bedrud_limit login 10 1m;' });
for my $count ('abc', '-1', '1000001', '1.5') {
    refused("a request count of $count", "invalid request count \"$count\"",
            set => { limit_auth => "bedrud_limit auth $count 1m;" });
}
for my $window ('0s', 'abc', '2d', '-1s') {
    refused("a window of $window", "invalid window \"$window\" (1s..1d)",
            set => { limit_guest => "bedrud_limit guest 5 $window;" });
}


# Redis address and parameters

refused('a port out of range',
        'invalid Redis address "127.0.0.1:99999": invalid port',
        set => { redis => 'bedrud_redis 127.0.0.1:99999;' });
refused('unix: without a path',
        '"bedrud_redis" needs a socket path after "unix:"',
        set => { redis => 'bedrud_redis unix:;' });
refused('db=abc', 'invalid Redis database "db=abc"',
        set => { redis => 'bedrud_redis 127.0.0.1:6379 db=abc;' });
refused('db=-1', 'invalid Redis database "db=-1"',
        set => { redis => 'bedrud_redis 127.0.0.1:6379 db=-1;' });
refused('an unknown parameter', 'invalid parameter "timeout=1s"',
        set => { redis => 'bedrud_redis 127.0.0.1:6379 timeout=1s;' });
refused('an empty password file', "Redis password file \"$empty\" is empty",
        set => { redis => "bedrud_redis 127.0.0.1:6379 password_file=$empty;" });
refused('a bad timeout',
        qr/\[emerg\] "bedrud_redis_timeout" directive invalid value/,
        set => { timeout => 'bedrud_redis_timeout soon;' });


# Redis Sentinel and WAIT

accepted('Sentinel: a primary\'s name, three sentinels, passwords, db',
         set => { redis => 'bedrud_redis sentinel:bedrud 127.0.0.1:26379 '
                           . '127.0.0.1:26380 [::1] db=2 '
                           . "password_file=$secret "
                           . "sentinel_password_file=$secret;" });
accepted('Sentinel: one sentinel, default port',
         set => { redis => 'bedrud_redis sentinel:mymaster 127.0.0.1;' });
refused('Sentinel without a name',
        '"bedrud_redis" needs the primary\'s name after "sentinel:"',
        set => { redis => 'bedrud_redis sentinel: 127.0.0.1:26379;' });
refused('Sentinel without sentinels',
        '"bedrud_redis sentinel:bedrud" needs the sentinels\' addresses',
        set => { redis => "bedrud_redis sentinel:bedrud password_file=$secret;" });
refused('a sentinel listed twice',
        'sentinel "127.0.0.1:26379" is listed twice',
        set => { redis => 'bedrud_redis sentinel:bedrud 127.0.0.1:26379 '
                          . '127.0.0.1:26379;' });
refused('a sentinel port out of range',
        'invalid Redis address "127.0.0.1:0": invalid port',
        set => { redis => 'bedrud_redis sentinel:bedrud 127.0.0.1:0;' });
refused('seventeen sentinels', 'too many sentinels (16 at most)',
        set => { redis => 'bedrud_redis sentinel:bedrud '
                          . join(' ', map { "127.0.0.1:$_" } 26001 .. 26017)
                          . ';' });
refused('a sentinel password without Sentinel',
        "invalid parameter \"sentinel_password_file=$secret\"",
        set => { redis => 'bedrud_redis 127.0.0.1:6379 '
                          . "sentinel_password_file=$secret;" });
refused('an empty sentinel password file',
        "Redis password file \"$empty\" is empty",
        set => { redis => 'bedrud_redis sentinel:bedrud 127.0.0.1 '
                          . "sentinel_password_file=$empty;" });
refused('an unknown parameter with Sentinel', 'invalid parameter "quorum=2"',
        set => { redis => 'bedrud_redis sentinel:bedrud 127.0.0.1 quorum=2;' });
refused('a second address without Sentinel', 'invalid parameter "127.0.0.1:6380"',
        set => { redis => 'bedrud_redis 127.0.0.1:6379 127.0.0.1:6380;' });
accepted('WAIT for one replica, 100ms by default',
         add => ['bedrud_redis_wait 1;']);
accepted('WAIT for two replicas within 250ms',
         set => { timeout => 'bedrud_redis_timeout 500ms;' },
         add => ['bedrud_redis_wait 2 250ms;']);
accepted('WAIT off', add => ['bedrud_redis_wait off;']);
for my $n ('0', '65', 'abc', '-1') {
    refused("WAIT for $n replicas",
            "invalid number of replicas \"$n\" (1..64, or \"off\")",
            add => ["bedrud_redis_wait $n;"]);
}
for my $t ('0', 'soon', '0ms') {
    refused("a WAIT timeout of $t", "invalid timeout \"$t\"",
            add => ["bedrud_redis_wait 1 $t;"]);
}
refused('a WAIT timeout as long as the Redis timeout',
        'the "bedrud_redis_wait" timeout must be shorter than '
        . '"bedrud_redis_timeout" (300 ms)',
        add => ['bedrud_redis_wait 1 300ms;']);
refused('bedrud_redis_wait twice', '"bedrud_redis_wait" directive is duplicate',
        add => ['bedrud_redis_wait 1;', 'bedrud_redis_wait 2;']);


# the shared zone

refused('a zone of 16k', 'zone "bedrud" is too small',
        set => { zone => 'bedrud_zone bedrud 16k;' });
refused('a zone size that is no size', 'invalid zone size "big"',
        set => { zone => 'bedrud_zone bedrud big;' });


# trusted origins (CSRF) and the refresh grace

accepted('trusted origins',
         add => ['bedrud_trusted_origins https://meet.example.com '
                 . 'http://127.0.0.1:8080 https://[::1]:8443;']);
for my $bad ('https://meet.example.com/', 'meet.example.com', 'null',
             'https://user@meet.example.com', 'ftp://meet.example.com',
             'https://meet.example.com:99999') {
    refused("the origin $bad",
            "invalid origin \"$bad\" (scheme://host[:port], as browsers "
            . 'send it)',
            add => ["bedrud_trusted_origins $bad;"]);
}
accepted('a refresh grace of 0 (off)', add => ['bedrud_refresh_grace 0;']);
refused('a refresh grace of 11m', 'bedrud_refresh_grace must be at most 10m',
        add => ['bedrud_refresh_grace 11m;']);


# directives given twice

for my $k (qw(redis functions secret zone scrypt limit_auth)) {
    (my $name = $good{$k}) =~ s/ .*//;
    refused("$name twice", "\"$name\" directive is duplicate",
            add => [$good{$k}]);
}


# token lifetimes

refused('an access token ttl of 59s',
        'bedrud_access_token_ttl must be at least 60s and not longer than '
        . 'bedrud_refresh_token_ttl',
        set => { access => 'bedrud_access_token_ttl 59s;' });
refused('an access token ttl longer than the refresh token ttl',
        'bedrud_access_token_ttl must be at least 60s and not longer than '
        . 'bedrud_refresh_token_ttl',
        set => { access => 'bedrud_access_token_ttl 2h;',
                 refresh => 'bedrud_refresh_token_ttl 1h;' });
accepted('an access token ttl of exactly 60s',
         set => { access => 'bedrud_access_token_ttl 60s;' });


# directives in the wrong place

refused('bedrud_api in http{}', '"bedrud_api" directive is not allowed here',
        add => ['bedrud_api;']);
refused('bedrud_redis in a location',
        '"bedrud_redis" directive is not allowed here',
        location => 'bedrud_api; bedrud_redis 127.0.0.1:6379;');
refused('bedrud_api with an argument',
        'invalid number of arguments in "bedrud_api" directive',
        location => 'bedrud_api on;');
refused('an unknown thread pool', 'unknown thread pool "nope"',
        add => ['bedrud_thread_pool nope;']);

done_testing();
