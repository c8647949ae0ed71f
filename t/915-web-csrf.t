# Cross-site requests in a real browser (plain Test::More): a user is
# signed in (the API's cookies in chromium); a page on another origin of
# the same host (another port, so the same site: SameSite=Lax cookies
# go along) tries, each as a form post and as a fetch with credentials
# and a text/plain body, to create a room, ban someone from the user's
# room and log the user out (web/test/csrf.mjs).  Nothing changes.  A
# page of the API's own origin then creates a room with the same cookie.
#
# Needs Debian's chromium and playwright-core (npm ci in web/).
# BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Race qw(http_req);
use Test::More;
use File::Temp qw(tempdir);

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';

my $top = $ENV{TEST_NGINX_TOP};
my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
BAIL_OUT('web/node_modules/playwright-core is missing: cd web && npm ci')
    unless -e "$top/web/node_modules/playwright-core/cli.js";
BAIL_OUT("$chromium is missing (Debian's chromium: make deps installs it)")
    unless -x $chromium;
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $n = int(rand(1_000_000_000));
my $pages = tempdir('bedrud-csrf-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$pages/$_" for qw(csrf evil);

# what reached the API: the answer, and whether the user's cookie came
my $http = http_config() . <<'CONF';
    log_format csrf '$status $request_method $uri cookie=$cookie_access_token';
CONF

my $evil_port = free_port();
my $ngx = BedrudTest::own_nginx(
    http => $http,
    server => "        location /csrf/ { root $pages; }\n"
            . "        access_log $pages/access.log csrf;",
    servers => "    server {\n        listen 127.0.0.1:$evil_port;\n"
             . "        root $pages/evil;\n    }");
my $victim = "http://127.0.0.1:$ngx->{port}";
my $attacker = "http://127.0.0.1:$evil_port";

# the user, signed in; a room of theirs with a guest in it
my ($uid, $access, $refresh, $fam) = mint_pair();
my $rid = uuid();
redis_cli('HSET', "bedrud:room:{$rid}", 'id', $rid, 'name', "csrf-room-$n",
          'createdBy', $uid, 'adminId', $uid, 'isActive', '1',
          'isPublic', '1', 'maxParticipants', '20');
redis_cli('SET', "bedrud:roomname:csrf-room-$n", $rid);
my $guest = 'guest-csrfabcd';

sub write_page {
    my ($path, $html) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $html;
    close $fh;
}

# the attacker: forms into hidden frames (text/plain: a JSON-looking
# body), and fetches without CORS (text/plain with a "json" parameter)
write_page("$pages/evil/evil.html", <<"HTML");
<!doctype html>
<html><head><title>cute kittens</title></head><body>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe>
<form id="create" target="f1" method="POST" enctype="text/plain"
      action="$victim/api/room/create">
  <input name='{"name":"csrf-form-$n","x":"' value='"}'>
</form>
<form id="ban" target="f2" method="POST"
      action="$victim/api/room/$rid/ban/$guest"></form>
<form id="logout" target="f3" method="POST" enctype="text/plain"
      action="$victim/api/auth/logout">
  <input name='{"x":"' value='"}'>
</form>
<script>
const v = '$victim';
const loaded = (name) => new Promise((ok) => {
  document.querySelector('iframe[name="' + name + '"]').onload = ok;
});
const plain = { 'Content-Type': 'text/plain; a=json' };
const opts = (body) => ({ method: 'POST', mode: 'no-cors',
                          credentials: 'include', headers: plain, body });
(async () => {
  const frames = [loaded('f1'), loaded('f2'), loaded('f3')];
  for (const id of ['create', 'ban', 'logout']) {
    document.getElementById(id).submit();
  }
  await Promise.allSettled([
    fetch(v + '/api/room/create', opts('{"name":"csrf-fetch-$n"}')),
    fetch(v + '/api/room/$rid/ban/$guest', opts('')),
    navigator.sendBeacon(v + '/api/room/create',
                         new Blob(['{"name":"csrf-beacon-$n"}'],
                                  { type: 'text/plain' })),
  ]);
  await Promise.allSettled([...frames,
    new Promise((ok) => setTimeout(ok, 5000))].slice(0, 3));
  await fetch(v + '/api/auth/logout', opts('{}')).catch(() => {});
  document.title = 'done';
})();
</script>
</body></html>
HTML

# our own page: a same-origin fetch with the cookie, as the web client
# (the path with a trailing slash, the same route, to tell it apart)
write_page("$pages/csrf/ok.html", <<"HTML");
<!doctype html>
<html><head><title>ours</title></head><body><script>
fetch('/api/room/create/', {
  method: 'POST', credentials: 'same-origin',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ name: 'csrf-ok-$n' }),
}).then((r) => { document.title = 'status ' + r.status; },
        (e) => { document.title = 'status error ' + e; });
</script></body></html>
HTML

my @out = `cd '$top/web' && ACCESS='$access' REFRESH='$refresh' CHROMIUM='$chromium' timeout 120 node test/csrf.mjs '$victim' '$attacker' 2>&1`;
my $rc = $? >> 8;
for (@out) {
    chomp;
    if (/^(not )?ok - (.*)$/) {
        ok(!$1, "browser: $2");
    } else {
        diag($_);
    }
}
is($rc, 0, 'the browser run ended well');

# what reached the API: each attempt, the user's cookie with it, refused
my @access = split /\n/, BedrudTest::slurp_file("$pages/access.log");
my %tried = (
    'create' => qr{^(\d+) POST /api/room/create cookie=\Q$access\E$},
    'ban' => qr{^(\d+) POST /api/room/$rid/ban/$guest cookie=\Q$access\E$},
    'logout' => qr{^(\d+) POST /api/auth/logout cookie=\Q$access\E$},
);
my %want = (create => 3, ban => 2, logout => 2);
for my $what (sort keys %tried) {
    my @st = map { /$tried{$what}/ ? $1 : () } @access;
    is(scalar @st, $want{$what},
       "the attacker's $what reached the API with the cookie: form, fetch"
       . ($what eq 'create' ? ', beacon' : ''));
    is(join(' ', grep { $_ ne '403' } @st), '', "and was refused (403)");
}

# what the server did
for my $name ("csrf-form-$n", "csrf-fetch-$n", "csrf-beacon-$n") {
    is(redis_cli('EXISTS', "bedrud:roomname:$name"), 0,
       "no room $name was created");
}
is(redis_cli('HLEN', "bedrud:room:{$rid}:bans"), 0, 'nobody was banned');
is(redis_cli('EXISTS', "bedrud:session:{$uid}:$fam"), 1,
   'the user is still signed in (the session is there)');
my ($st) = http_req($ngx->{port}, 'GET', '/api/auth/me', undef, $access);
is($st, 200, 'and the access token works');
is(redis_cli('EXISTS', "bedrud:roomname:csrf-ok-$n"), 1,
   'our own page created its room');

my $log = BedrudTest::slurp_file($ngx->{log});
like($log, qr/cross-site request with a cookie refused/,
     'the refusals were logged');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');

done_testing();
