# The shared zone survives a configuration reload (nginx -s reload,
# SIGHUP with master on): rate-limit windows, the token denylist and the
# counters carry over to the new workers.  Plain Test::More: it drives a
# master-process nginx of its own.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Test::More;
use IO::Socket::INET;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);

my $top = $ENV{TEST_NGINX_TOP};
my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES}
                          || "$top/build/ngx_bedrud_module.so");

plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $dir = tempdir('bedrud-reload-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $port = free_port();
mkdir "$dir/$_" for qw(conf logs);

sub write_conf {
    my ($extra) = @_;
    my $load = join '', map { "load_module $_;\n" } @modules;
    my $user = $> == 0 ? 'user root;' : '';
    my $http = http_config(auth_limit => '2 1m');
    open my $fh, '>', "$dir/conf/nginx.conf" or die $!;
    print $fh <<"CONF";
$load
$user
master_process on;
worker_processes 1;
daemon on;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/body;
$http
    server {
        listen 127.0.0.1:$port;
        location /api/ { bedrud_api; }
        location = /metrics { bedrud_metrics; }
        $extra
    }
}
CONF
    close $fh;
}

sub http {
    my ($req) = @_;
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        if (!$s) { sleep 0.1; next }
        print $s $req;
        local $/;
        my $res = <$s> // '';
        return $res;
    }
    die "no answer on $port";
}

sub get {
    my ($uri, $hdr) = @_;
    return http("GET $uri HTTP/1.0\r\nHost: x\r\n" . ($hdr // '') . "\r\n");
}

sub login {
    my $body = '{"email":"nobody@example.com","password":"whatever it is"}';
    return http("POST /api/auth/login HTTP/1.0\r\nHost: x\r\n"
                . "Content-Type: application/json\r\n"
                . "Content-Length: " . length($body) . "\r\n\r\n$body");
}

sub status { my ($r) = @_; return $r =~ m{^HTTP/1\.\d (\d+)} ? $1 : 0 }

sub total {
    my $m = get('/metrics');
    my $t = 0;
    $t += $1 while $m =~ /^bedrud_http_requests_total\{code="[^"]+"\} (\d+)$/mg;
    return $t;
}

sub worker_pids {
    return grep { /^\d+$/ } split /\s+/,
        `pgrep -P \$(cat $dir/logs/nginx.pid) 2>/dev/null`;
}

write_conf('');
system($nginx, '-p', "$dir/", '-c', "$dir/conf/nginx.conf",
       '-e', "$dir/logs/error.log") == 0 or BAIL_OUT("nginx did not start");

my ($uid, $access) = mint_pair();

is(status(login()), 401, 'first login counts (unknown user)');
is(status(login()), 401, 'second login counts');
is(status(get('/api/auth/me', "Authorization: Bearer $access\r\n")), 200,
   'the access token works');
is(status(http("POST /api/auth/logout HTTP/1.0\r\nHost: x\r\n"
               . "Authorization: Bearer $access\r\n"
               . "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")),
   200, 'logout');

my $before = total();
ok($before >= 4, "counters before the reload: $before");
my @old = worker_pids();

# a changed configuration, so the reload really makes a new cycle
write_conf('location = /v2 { return 204; }');
kill 'HUP', `cat $dir/logs/nginx.pid` + 0;

sub renewed {
    my ($old, $new) = @_;
    my %was = map { $_ => 1 } @$old;
    return @$new && !(grep { $was{$_} } @$new);
}

my @new;
for (1 .. 100) {
    @new = worker_pids();
    last if renewed(\@old, \@new);
    sleep 0.1;
}
ok(renewed(\@old, \@new), 'new workers after the reload');
is(status(get('/v2')), 204, 'the new configuration is in force');

is(status(login()), 429, 'the rate-limit window carried over: third login is 429');
is(status(get('/api/auth/me', "Authorization: Bearer $access\r\n")), 401,
   'the revoked token is still denied by the new workers');
ok(total() > $before, 'the counters carried over and kept counting');

system($nginx, '-p', "$dir/", '-c', "$dir/conf/nginx.conf", '-s', 'quit');
for (1 .. 50) { last unless -e "$dir/logs/nginx.pid"; sleep 0.1 }

my $log = do { local $/; open my $fh, '<', "$dir/logs/error.log"; <$fh> // '' };
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg in the log');

done_testing();
