# The Debian package (plain Test::More): tools/make-deb builds
# libnginx-mod-http-bedrud, then dpkg installs it into this machine's
# stock nginx, seen through throwaway overlays: in a mount namespace of
# its own, /etc, /usr and /var are overlay file systems over the real
# ones, so dpkg's database, /etc/nginx and /usr/lib/nginx of the machine
# are never written (other tests, and other test runs, see nothing), and
# a PID namespace and policy-rc.d keep its scripts from touching any
# service.  There:
#
#   - dpkg -i installs it against the installed nginx's ABI;
#   - the module's load file is enabled (modules-enabled/50-...) and the
#     stock nginx.conf still passes nginx -t with the module loaded;
#   - the example configuration (the site, the TLS router), set up as
#     README's "Deploying" says, passes nginx -t;
#   - dpkg -r disables the module, dpkg --purge removes it all.
#
# Needs root and the overlay file system; skipped otherwise.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Test::More;
use File::Temp qw(tempdir);

my $top = $ENV{TEST_NGINX_TOP};

plan skip_all => 'installing a package needs root' if $> != 0;
plan skip_all => 'no Debian package tools (dpkg-deb)'
    if system('command -v dpkg-deb >/dev/null') != 0;
plan skip_all => 'cannot make a private mount namespace with overlays here'
    if system('unshare --mount --propagation private sh -c '
              . '"d=\$(mktemp -d) && mkdir \$d/u \$d/w \$d/m && mount -t overlay overlay '
              . '-o lowerdir=/etc,upperdir=\$d/u,workdir=\$d/w \$d/m; r=\$?; rm -rf \$d; exit \$r"'
              . ' 2>/dev/null') != 0;

my $dir = tempdir('bedrud-deb-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# --- build -----------------------------------------------------------------

my $out = `'$top/tools/make-deb' '$dir/out' 2>&1`;
is($?, 0, 'tools/make-deb builds the package') or diag($out);
my ($deb) = glob("$dir/out/libnginx-mod-http-bedrud_*.deb");
ok($deb && -s $deb, 'libnginx-mod-http-bedrud_<version>_<arch>.deb')
    or BAIL_OUT('no package');

my %f;
for (split /\n/, `dpkg-deb -f '$deb'`) {
    $f{$1} = $2 if /^(\S+): (.*)$/;
}
my ($abi) = `sed -n 's/^nginx:abi=//p' /usr/share/nginx/src/debian/libnginx-mod.abisubstvars` =~ /(\S+)/;
like($abi // '', qr/^nginx-abi-\d/, "the nginx ABI it was built for: $abi");
like($f{Depends} // '', qr/^\Q$abi\E, /, 'Depends on exactly that ABI first');
like($f{Depends} // '', qr/\blibhiredis\S* \(>= [^)]+\).*\blibjansson\S* .*\blibjwt\S* .*\blibssl3 /,
     'and on its libraries, from dpkg-shlibdeps');
like(`dpkg-query -W -f='\${Provides}' nginx`, qr/\b\Q$abi\E\b/,
     'which the installed nginx provides');
is($f{Architecture}, `dpkg --print-architecture` =~ s/\s+//r, 'built for this architecture');
is($f{Section}, 'httpd', 'in section httpd, as the other nginx modules');

my $list = `dpkg-deb -c '$deb'`;
for my $path (qw(
        ./usr/lib/nginx/modules/ngx_http_bedrud_module.so
        ./usr/share/nginx/modules-available/mod-http-bedrud.conf
        ./usr/share/bedrud/redis/bedrud.lua ./usr/share/bedrud/redis/rooms.lua
        ./usr/share/bedrud/redis/admin.lua
        ./usr/share/bedrud/nginx/bedrud-server.conf
        ./usr/share/bedrud/examples/bedrud-https.conf
        ./usr/share/bedrud/examples/bedrud-stream.conf
        ./usr/share/bedrud/examples/livekit.yaml
        ./usr/share/bedrud/web/index.html
        ./usr/share/doc/libnginx-mod-http-bedrud/copyright)) {
    like($list, qr/ root\/root .* \Q$path\E$/m, "ships $path");
}
unlike($list, qr{ \./(?:etc|var|home|root|tmp)/}, 'nothing outside /usr');

# the whole web client, each file of its size: index.html, its split chunks (the
# meeting's loads only on a meeting page), styles and the E2EE worker
my %dist = map { chomp; s{^\Q$top/web/dist/\E}{}r => -s $_ }
    `find '$top/web/dist' -type f`;
my %shipped = map { m{ (\d+) \S+ \S+ \./usr/share/bedrud/web/(\S*[^/])$} ? ($2 => $1) : () }
    split /\n/, $list;
is(join(' ', map { "$_:$shipped{$_}" } sort keys %shipped),
   join(' ', map { "$_:$dist{$_}" } sort keys %dist),
   'ships every file of web/dist, of the same size (' . keys(%dist) . ' files)');
my @chunks = `dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/share/bedrud/web/index.html`
    =~ m{(?:src|href)="/(assets/[^"]+)"}g;
ok(@chunks && !grep({ !exists $shipped{$_} } @chunks),
   "what index.html loads is shipped (@chunks)");
my $ex = `dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/share/bedrud/examples/bedrud-https.conf`;
unlike($ex, qr/@[A-Z_]+@/, 'the example has no placeholder left');
like(`dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/share/bedrud/examples/livekit.yaml`,
     qr/^  allow_restricted_peer_cidrs: \[\]$/m,
     'the example LiveKit file lets TURN reach no private address');

# --- install, in overlays --------------------------------------------------

system("'$top/tools/local-tls' '$dir/tls'") == 0 or BAIL_OUT('no certificate');

open my $fh, '>', "$dir/inside.sh" or die $!;
print $fh <<'SH';
#!/bin/sh
# runs in its own mount and PID namespaces: $1 work dir, $2 package,
# $3 repository; prints "ok - ..." / "not ok - ..." lines
W=$1 DEB=$2 TOP=$3
set -u
check() {   # check WHAT COMMAND...
    what=$1; shift
    if out=$("$@" 2>&1); then echo "ok - $what"
    else echo "not ok - $what"; printf '%s\n' "$out" | sed 's/^/# /'; fi
}
for d in etc usr var; do
    mkdir -p "$W/$d.up" "$W/$d.wk"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$W/$d.up,workdir=$W/$d.wk" "/$d" \
        || { echo "not ok - overlay on /$d"; exit 1; }
done
# no service is started, stopped or reloaded from in here
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

check 'dpkg -i installs it into the stock nginx' \
    env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB"
check 'its load file is enabled as modules-enabled/50-mod-http-bedrud.conf' \
    test "$(readlink /etc/nginx/modules-enabled/50-mod-http-bedrud.conf)" \
         = /usr/share/nginx/modules-available/mod-http-bedrud.conf
check 'it loads the module from /usr/lib/nginx/modules' \
    grep -qx 'load_module modules/ngx_http_bedrud_module.so;' \
         /usr/share/nginx/modules-available/mod-http-bedrud.conf
check 'the stock nginx.conf passes nginx -t with the module loaded' nginx -t

# the example, set up as README's "Deploying" says
mkdir -p /etc/bedrud \
    /etc/letsencrypt/live/meet.example.com
cp "$TOP/t/data/jwt.secret" "$TOP/t/data/livekit.secret" /etc/bedrud/
chmod 0600 /etc/bedrud/*.secret
cp "$W/tls/server.pem" /etc/letsencrypt/live/meet.example.com/fullchain.pem
cp "$W/tls/server.key" /etc/letsencrypt/live/meet.example.com/privkey.pem
cp /usr/share/bedrud/examples/bedrud-https.conf /etc/nginx/sites-available/bedrud
ln -s /etc/nginx/sites-available/bedrud /etc/nginx/sites-enabled/bedrud
cp /usr/share/bedrud/examples/bedrud-stream.conf /etc/nginx/bedrud-stream.conf
echo 'include /etc/nginx/bedrud-stream.conf;' >> /etc/nginx/nginx.conf
check 'the example site and TLS router pass nginx -t' nginx -t
check 'nginx -T shows the site with the module directives' \
    sh -c 'nginx -T 2>/dev/null | grep -q "^bedrud_redis 127.0.0.1:6379;"'

check 'dpkg -r removes it' env DEBIAN_FRONTEND=noninteractive dpkg -r libnginx-mod-http-bedrud
check 'and disables the module (50-mod-http-bedrud.conf.removed)' \
    sh -c 'test ! -e /etc/nginx/modules-enabled/50-mod-http-bedrud.conf \
           && test -L /etc/nginx/modules-enabled/50-mod-http-bedrud.conf.removed \
           && test ! -e /usr/lib/nginx/modules/ngx_http_bedrud_module.so'
check 'dpkg --purge leaves nothing of it' \
    sh -c 'DEBIAN_FRONTEND=noninteractive dpkg --purge libnginx-mod-http-bedrud \
           && ! ls /etc/nginx/modules-enabled/ | grep -q bedrud \
           && ! dpkg -L libnginx-mod-http-bedrud >/dev/null 2>&1'
rm /etc/nginx/sites-enabled/bedrud
sed -i '/bedrud-stream.conf/d' /etc/nginx/nginx.conf
check 'nginx -t passes again without the site' nginx -t
SH
close $fh;
chmod 0755, "$dir/inside.sh";

my $state = q{md5sum /var/lib/dpkg/status; ls -l /etc/nginx/modules-enabled/ /usr/lib/nginx/modules/};
my $before = `$state`;
my @lines = `unshare --mount --propagation private --pid --fork --mount-proc '$dir/inside.sh' '$dir' '$deb' '$top' 2>&1`;
for (@lines) {
    chomp;
    if (/^(not )?ok - (.*)$/) { ok(!$1, $2) }
    else { diag($_) }
}
cmp_ok(scalar(grep { /^(?:not )?ok - / } @lines), '==', 10, 'every step ran');
is(`$state`, $before,
   'the machine\'s dpkg database and nginx modules are as they were');

done_testing();
