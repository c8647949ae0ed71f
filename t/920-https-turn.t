# The production site on loopback (plain Test::More): conf/bedrud-https.conf
# behind the TLS router of conf/bedrud-stream.conf, and LiveKit from
# conf/livekit-production.yaml with its TURN server, rendered from the
# templates with a certificate of a local CA (tools/local-tls).
#
#   - TLS 1.2 and 1.3 only, no CBC or non-forward-secret cipher; HSTS;
#     Secure cookies; plain HTTP redirects to HTTPS; the client's own
#     address reaches nginx through the router (PROXY protocol);
#   - the web client runs an E2EE meeting over https:// and wss:// in
#     chromium (web/test/e2ee.mjs), which trusts the local CA (an NSS
#     database of its own) and may use nothing but TURN relays: Alice
#     only TURN/UDP, Bob only TURN/TLS through the router, and still
#     each decodes the other; LiveKit handed out both TURN servers with
#     credentials.
#
# make test builds web/dist and var/bin/livekit-server first.  BEDRUD_E2E=0
# skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Prod;
use Test::More;
use JSON::PP ();

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need_browser();
for my $cmd (qw(certutil openssl curl)) {
    BAIL_OUT("$cmd is missing: make deps installs it")
        if system("command -v $cmd >/dev/null") != 0;
}
BAIL_OUT('nginx stream module missing (libnginx-mod-stream: make deps)')
    unless -f '/usr/lib/nginx/modules/ngx_stream_module.so';
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $tls = Prod::tls();
my $dir = Prod::dir();
my $json = JSON::PP->new;

# LiveKit's webhooks go through the router too, its certificate checked
# against the local CA
my $router = free_port();
my $lk = Prod::livekit(webhook => "https://127.0.0.1:$router/api/livekit/webhook");
my $n = Prod::nginx(site => 'https', router => $router,
                    livekit => $lk->{port}, turn_tls => $lk->{turn_tls});
my $url = $n->{url};
pass("nginx ($url) and LiveKit answer");

my $curl = "curl -s --max-time 5 --cacert '$tls->{ca}'";

# --- TLS ---------------------------------------------------------------

sub handshake {
    my (@opt) = @_;
    my $out = `echo | openssl s_client -connect 127.0.0.1:$n->{router} -servername localhost -CAfile '$tls->{ca}' @opt 2>&1`;
    my ($proto, $cipher) = $out =~ /^New, (TLSv[\d.]+), Cipher is (\S+)/m;
    return ($proto // '', $cipher // '', $out =~ /Verify return code: 0 \(ok\)/);
}

my ($p, $c, $ok) = handshake('-tls1_3');
is($p, 'TLSv1.3', "TLS 1.3 ($c)");
ok($ok, 'the certificate chain verifies against the local CA');
($p, $c) = handshake('-tls1_2');
is($p, 'TLSv1.2', "TLS 1.2 ($c)");
like($c, qr/^ECDHE-(?:ECDSA|RSA)-(?:AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/,
     'TLS 1.2 picks a forward-secret AEAD cipher');
($p) = handshake('-tls1_1');
is($p, '', 'TLS 1.1 is refused');
($p) = handshake('-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA:AES128-GCM-SHA256');
is($p, '', 'CBC and non-forward-secret ciphers are refused');

# --- HTTP semantics ----------------------------------------------------

my $hdr = `$curl -D - -o /dev/null '$url/r/some-room'`;
like($hdr, qr{^HTTP/2 200}m, 'the client over HTTP/2');
like($hdr, qr/^strict-transport-security: max-age=63072000\r?$/mi, 'HSTS on the client');
like($hdr, qr/^content-security-policy: default-src 'self'/mi, 'with the CSP');

$hdr = `$curl -D - -o /dev/null '$url/api/health'`;
like($hdr, qr/^strict-transport-security: max-age=/mi, 'HSTS on the API too');
my @nosniff = $hdr =~ /^x-content-type-options:/mig;
is(scalar @nosniff, 1, 'one X-Content-Type-Options header');

$hdr = `curl -s -D - -o /dev/null 'http://127.0.0.1:$n->{http}/r/x?y=1'`;
like($hdr, qr{^HTTP/1\.1 301}m, 'plain HTTP redirects');
like($hdr, qr{^Location: https://127\.0\.0\.1:$n->{router}/r/x\?y=1\r?$}mi,
     'to the same path over HTTPS');
unlike($hdr, qr/strict-transport-security/i, 'no HSTS over plain HTTP');

mkdir "$n->{prefix}/acme";
mkdir "$n->{prefix}/acme/.well-known";
mkdir "$n->{prefix}/acme/.well-known/acme-challenge";
open my $fh, '>', "$n->{prefix}/acme/.well-known/acme-challenge/tok-1" or die $!;
print $fh "tok-1.thumb";
close $fh;
is(`curl -s 'http://127.0.0.1:$n->{http}/.well-known/acme-challenge/tok-1'`,
   'tok-1.thumb', 'ACME http-01 challenges are served over plain HTTP');

my $nonce = int(rand(1e9));
my $reg = `$curl -D - -X POST '$url/api/auth/register' -H 'Content-Type: application/json' -d '{"email":"tls$nonce\@example.com","password":"correct horse battery","name":"TLS"}'`;
like($reg, qr/^set-cookie: refresh_token=[^\r\n]*; HttpOnly;[^\r\n]*; Secure\r?$/mi,
     'the refresh cookie is Secure and HttpOnly');

# the client's own address crosses the router (PROXY protocol): a
# connection from 127.0.0.2 is logged as 127.0.0.2
system("$curl --interface 127.0.0.2 -o /dev/null '$url/api/health?from=two'");
like(Prod::slurp("$n->{prefix}/logs/access.log"),
     qr{^127\.0\.0\.2 \S+ \S+ \[[^\]]+\] "GET /api/health\?from=two }m,
     'nginx sees the client address, not the router\'s');

# --- the browser: E2EE over HTTPS, relays only ---------------------------

# chromium trusts the local CA through an NSS database in its own HOME
my $home = "$dir/home";
mkdir $home;
mkdir "$home/.pki";
mkdir "$home/.pki/nssdb";
system("certutil -d 'sql:$home/.pki/nssdb' -N --empty-password"
       . " && certutil -d 'sql:$home/.pki/nssdb' -A -t C,, -n bedrud-test-ca"
       . " -i '$tls->{ca}'") == 0 or BAIL_OUT('certutil failed');

my ($rc, $named, @out) = E2E::browser_run($url, 'test/e2ee.mjs',
    HOME => $home, E2EE_RELAY => 'udp tls', E2EE_TURNS_PORT => $n->{router});
my ($room, $key) = @$named{qw(room key)};
is($rc, 0, 'the browser run ended well');
my $all = join "\n", @out;
like($all, qr{^ok - Alice's media flows through TURN/UDP relays only$}m,
     'Alice was held to TURN/UDP');
like($all, qr{^ok - Bob's media flows through TURN/TLS relays only$}m,
     'Bob was held to TURN/TLS');
ok($room && $key, 'it named the room and its key') or BAIL_OUT('no room');

my $access = Prod::slurp("$n->{prefix}/logs/access.log");
my $error = Prod::slurp("$n->{prefix}/logs/error.log");
my $lklog = Prod::slurp($lk->{log});
like($access, qr{"GET /livekit/rtc/v1\?[^"]*" 101 }, 'the signalling went over wss:// through nginx');
like($access, qr{"POST /api/livekit/webhook HTTP/[\d.]+" 200 },
     'LiveKit delivered its webhooks over HTTPS');
unlike("$access$error$lklog", qr/\Q$key\E/, 'the room key reached neither nginx nor LiveKit');
unlike($error, qr/published an unencrypted/, 'no track was unencrypted');
unlike($error, qr/\[(?:alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]');

done_testing();
