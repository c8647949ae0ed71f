# The real SFU for the end-to-end tests: LiveKit (var/bin/livekit-server)
# on free loopback ports, its webhooks sent to an nginx with the module
# that also proxies LiveKit's signalling (/livekit/), calls its RoomService
# (/_livekit/) and serves the web client (web/dist).  Both are stopped when
# the test file ends.
#
#   my $e = E2E::start();      # dies (BAIL_OUT) if either cannot start
#   E2E::start(web => $dir)    # serve another build of the client
#   E2E::start(server => '...') # more in its server{} block
#   $e->{url}                  # http://127.0.0.1:<port>
#   $e->{dir}                  # logs/error.log, logs/access.log, livekit.log
#   $e->{livekit}              # LiveKit itself (API key "testkey")
#   E2E::api($e, POST => '/api/...', {json}, $token) -> (status, data)
#   E2E::browser_run($e or $url, 'test/e2ee.mjs', %env)
#                              -> (exit code, {room, key, other}, lines)

package E2E;

use strict;
use warnings;

use BedrudTest;
use LiveKitMock qw(lk_secret twirp_location);
use Test::More;
use HTTP::Tiny;
use File::Temp qw(tempdir);
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

my $http = HTTP::Tiny->new(timeout => 10);
my $json = JSON::PP->new;
my ($lk_pid, $nginx_pid, $parent);

END {
    local $?;
    return unless $parent && $$ == $parent;
    if ($nginx_pid) {
        kill 'QUIT', $nginx_pid;
        sleep 0.5;
        kill 'KILL', $nginx_pid if kill 0, $nginx_pid;
    }
    if ($lk_pid) {
        kill 'TERM', $lk_pid;
        waitpid $lk_pid, 0;
    }
}

# the binaries, or why the test cannot run
sub need {
    my $top = $ENV{TEST_NGINX_TOP};
    my @missing = grep { !-e $_ } map { "$top/$_" } @_;
    return unless @missing;
    BAIL_OUT("missing: @missing. make test builds them; "
             . "BEDRUD_E2E=0 skips the end-to-end tests");
}

# what the browser tests need: LiveKit, the built client, playwright-core
# and Debian's chromium
sub need_browser {
    need('var/bin/livekit-server', 'web/dist/index.html',
         'web/node_modules/playwright-core/cli.js');
    my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
    BAIL_OUT("$chromium is missing (Debian's chromium: make deps installs it)")
        unless -x $chromium;
}

sub wait_for {
    my ($what, $secs, $ok) = @_;
    my $deadline = time + $secs;
    until ($ok->()) {
        return 0 if time > $deadline;
        sleep 0.1;
    }
    return 1;
}

sub start {
    my (%o) = @_;
    my $top = $ENV{TEST_NGINX_TOP};
    my $web = $o{web} // "$top/web/dist";
    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES}
                              || "$top/build/ngx_bedrud_module.so");
    my $dir = tempdir('bedrud-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $port = free_port();
    my ($lk_port, $lk_tcp) = (free_port(), free_port());
    my $udp = free_range(20);
    $parent = $$;

    open my $fh, '>', "$dir/livekit.yaml" or die $!;
    print $fh <<"YAML";
port: $lk_port
bind_addresses: ["127.0.0.1"]
logging:
  level: info
rtc:
  tcp_port: $lk_tcp
  port_range_start: $udp
  port_range_end: @{[ $udp + 19 ]}
  node_ip: 127.0.0.1
  use_external_ip: false
  enable_loopback_candidate: true
  ips:
    includes: ["127.0.0.1/32"]
room:
  auto_create: true
  empty_timeout: 30
  departure_timeout: 5
webhook:
  api_key: testkey
  urls:
    - http://127.0.0.1:$port/api/livekit/webhook
YAML
    close $fh;

    $lk_pid = fork // die "fork: $!";
    if ($lk_pid == 0) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/livekit.log";
        open STDERR, '>&', \*STDOUT;
        # the secret in the environment, not on the command line
        $ENV{LIVEKIT_KEYS} = 'testkey: ' . lk_secret();
        exec "$top/var/bin/livekit-server", '--config', "$dir/livekit.yaml"
            or POSIX::_exit(127);
    }

    wait_for('livekit', 20, sub {
        BAIL_OUT('livekit-server exited: ' . `tail -5 $dir/livekit.log`)
            if waitpid($lk_pid, POSIX::WNOHANG()) == $lk_pid;
        ($http->get("http://127.0.0.1:$lk_port/")->{status} // 0) == 200;
    }) or BAIL_OUT('livekit-server did not start');

    mkdir "$dir/$_" for qw(conf logs);
    my $load = join "\n", map { "load_module $_;" } @modules;
    my $user = $> == 0 ? 'user root;' : '';
    my $conf = http_config(extra => '    bedrud_livekit_api /_livekit/;',
                           livekit_host => "http://127.0.0.1:$port/livekit");
    my $twirp = twirp_location($lk_port);
    # the web client's (the chat images have their own, without scripts)
    my ($csp) = slurp("$top/conf/bedrud-server.conf")
        =~ /^\s*add_header Content-Security-Policy ("[^"\n]*script-src[^"\n]*") always;/m
        or BAIL_OUT('no Content-Security-Policy in conf/bedrud-server.conf');

    open $fh, '>', "$dir/conf/nginx.conf" or die $!;
    print $fh <<"CONF";
$load
$user
worker_processes 1;
daemon on;
master_process on;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log $dir/logs/access.log;
$conf
    map \$http_upgrade \$conn_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:$port;
        location /api/ { bedrud_api; }
        location = /metrics { bedrud_metrics; }
        location /livekit/ {
            proxy_pass http://127.0.0.1:$lk_port/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$conn_upgrade;
            proxy_read_timeout 1h;
        }
        $twirp
        @{[ $o{server} // '' ]}
        location / {
            root $web;
            try_files \$uri /index.html =404;
            add_header Referrer-Policy no-referrer always;
            # the shipped one (conf/bedrud-server.conf)
            add_header Content-Security-Policy $csp always;
        }
    }
}
CONF
    close $fh;

    system($nginx, '-p', "$dir/", '-c', "$dir/conf/nginx.conf",
           '-e', "$dir/logs/error.log") == 0 or BAIL_OUT('cannot start nginx');
    wait_for('nginx', 10, sub {
        ($http->get("http://127.0.0.1:$port/api/health")->{status} // 0)
            == 200;
    }) or BAIL_OUT('nginx did not become healthy');
    if (open my $p, '<', "$dir/logs/nginx.pid") {
        ($nginx_pid) = <$p> =~ /(\d+)/;
    }

    return { url => "http://127.0.0.1:$port", port => $port, dir => $dir,
             livekit => "http://127.0.0.1:$lk_port" };
}

sub api {
    my ($e, $method, $path, $body, $token) = @_;
    my %h = ('Content-Type' => 'application/json');
    $h{Authorization} = "Bearer $token" if $token;
    my $res = $http->request($method, "$e->{url}$path",
        { headers => \%h,
          (defined $body ? (content => $json->encode($body)) : ()) });
    my $data = eval { $json->decode($res->{content}) } // {};
    return ($res->{status}, $data);
}

# every value in the test Redis, as one text (to check that no key
# material was ever stored): strings, hashes, sets, sorted sets, lists
sub redis_values {
    my $lua = <<'LUA';
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
    local t = redis.call('TYPE', k).ok
    local v = {}
    if t == 'string' then v = {redis.call('GET', k)}
    elseif t == 'hash' then v = redis.call('HGETALL', k)
    elseif t == 'set' then v = redis.call('SMEMBERS', k)
    elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1)
    elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1) end
    table.insert(out, k .. ' ' .. table.concat(v, ' '))
end
return table.concat(out, '\n')
LUA
    return scalar redis_cli('EVAL', $lua, 0);
}

# A browser script of web/test (e2ee.mjs, meeting.mjs) against $e (or a
# base URL), in Debian's chromium; %env: more environment (HOME,
# E2EE_RELAY, ...).  Each "ok - ..."/"not ok - ..." line it prints becomes
# a test of ours, anything else a diag.  Returns its exit code, what it
# named ({ room => , key => , other => }) and its output lines.
sub browser_run {
    my ($e, $script, %env) = @_;
    my $url = ref $e ? $e->{url} : $e;
    my $top = $ENV{TEST_NGINX_TOP};
    my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
    my $vars = join ' ', map { "$_='$env{$_}'" } sort keys %env;
    my @out = `cd '$top/web' && CHROMIUM='$chromium' $vars timeout 300 node '$script' '$url' 2>&1`;
    my $rc = $? >> 8;
    my %named;
    for (@out) {
        chomp;
        if (/^(not )?ok - (.*)$/) {
            ok(!$1, "browser: $2");
        } elsif (/^room (\S+) key (\S+)$/) {
            @named{qw(room key)} = ($1, $2);
        } elsif (/^other key (\S+)$/) {
            $named{other} = $1;
        } else {
            diag($_);
        }
    }
    return ($rc, \%named, @out);
}

sub slurp {
    my ($f) = @_;
    open my $in, '<', $f or return '';
    local $/;
    return <$in>;
}

1;
