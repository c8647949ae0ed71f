# openapi.yaml is the contract: schemathesis (var/fuzz-api/venv, made by
# `make fuzz`) fuzzes every operation of it against a running stack (the
# module, Redis, the shipped conf/bedrud-server.conf) with all of its
# checks, both ways: a request the document allows must not be refused,
# one it forbids must not be accepted, every answer must be documented.
# Bounded by FUZZ_TIME (150 s).  The seed is fixed, so make test is
# deterministic (a finding is not left to chance in CI); FUZZ_SEED=N tries
# another, FUZZ_SEED=random a new one each run.
#
# Generic over the document: nothing names a route.  The fixture is one
# superadmin whose tokens the hooks mint (tools/fuzz-api/hooks.py): the
# fuzzer cannot lock itself out, whatever it logs out, demotes or
# deactivates; and one room of it, put back before every request, whose
# id the hooks give half of the requests that name a valid room id (the
# others find no room), so that moderation, uploads and the live admin
# routes do their work: LiveKit's RoomService is a mock
# (t/inc/LiveKitMock.pm), uploads go to a directory of the test's.
# What a schema-valid request may still be refused for (stored state;
# what a JSON Schema cannot state) the document lists per response
# (x-valid-input-errors).  Redis database 7.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use LiveKitMock qw(mock_twirp make_room);
use Test::More;
use File::Temp qw(tempdir);

my $top = $ENV{TEST_NGINX_TOP};
my $py = "$top/var/fuzz-api/venv/bin/python";

BAIL_OUT("$py is missing: make fuzz (tools/fuzz-api/install)") unless -x $py;
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $time = $ENV{FUZZ_TIME} || 150;
# a seed whose 11,242 cases passed on the final tree
my $seed = '92089189228931632423661605002067844830';

$BedrudTest::DB = 7;
redis_cli('FLUSHDB');

my $lk = mock_twirp();
my $uploads = tempdir('bedrud-fuzz-uploads-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# limits that let the fuzzer reach the handlers (t/130 tests the limits)
my $ngx = BedrudTest::own_nginx(
    site => 1, workers => 2, livekit_port => $lk,
    http => http_config(db => 7, auth_limit => '1000000 1m',
                        guest_limit => '1000000 1m',
                        extra => "    bedrud_livekit_api /_livekit;\n"
                               . "    bedrud_upload_dir $uploads;"));

my ($uid) = mint_pair(accesses => ['user', 'superadmin'],
                      email => 'fuzz@example.com', name => 'Fuzz');
redis_cli('ZADD', 'bedrud:users', time, $uid);
redis_cli('SADD', 'bedrud:superadmins', $uid);
my ($room, $room_name) = make_room(owner => $uid, name => "fuzz-$$");

my $report = "$ngx->{dir}/schemathesis";
local $ENV{BEDRUD_FUZZ_SECRET} = "$top/t/data/jwt.secret";
local $ENV{BEDRUD_FUZZ_UID} = $uid;
local $ENV{BEDRUD_FUZZ_ROOM} = "$room $room_name";
local $ENV{BEDRUD_FUZZ_REDIS} = "127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}:7";
local $ENV{BEDRUD_FUZZ_SPEC} = "$top/openapi.yaml";
local $ENV{BEDRUD_FUZZ_DROPPED} = "$ngx->{dir}/dropped";
local $ENV{BEDRUD_FUZZ_REACHED} = "$ngx->{dir}/reached";
local $ENV{SCHEMATHESIS_HOOKS} = 'hooks';
local $ENV{PYTHONPATH} = "$top/tools/fuzz-api";

my @cmd = ($py, '-c', 'import sys; from schemathesis.cli import schemathesis; '
           . 'sys.argv[0] = "schemathesis"; sys.exit(schemathesis())',
           '--config-file', "$top/tools/fuzz-api/schemathesis.toml",
           '--no-color', 'run', "$top/openapi.yaml",
           '--url', "http://127.0.0.1:$ngx->{port}",
           # but use_after_free: the fixture room is put back before every
           # request on purpose, so a deleted fixture room is there again
           # (t/200 tests that a deleted room is gone)
           '--checks', 'all', '--exclude-checks', 'use_after_free',
           '--max-time', $time, '--workers', 1,
           '--generation-database', 'none',
           '--report', 'junit', '--report-dir', $report,
           (($ENV{FUZZ_SEED} // '') eq 'random' ? ()
            : ('--seed', $ENV{FUZZ_SEED} || $seed)));

diag("schemathesis for ${time}s against 127.0.0.1:$ngx->{port}");
# from its own directory: schemathesis keeps a cache where it runs
my $out = `cd '$ngx->{dir}' && @{[ join ' ', map { "'$_'" } @cmd ]} 2>&1`;
my $rc = $? >> 8;

my ($summary) = $out =~ /(=+ SUMMARY =+.*)\z/s;
diag($summary // $out);

# what the document let through, by operation and error
my %dropped;
$dropped{$_}++ for split /\n/, BedrudTest::slurp_file("$ngx->{dir}/dropped");
diag("schema-valid requests refused as the document allows "
     . "(x-valid-input-errors):");
diag(sprintf q{  %5d  %s}, $dropped{$_}, $_) for sort keys %dropped;

my ($generated) = $out =~ /(\d+) generated/;
cmp_ok($generated // 0, '>', 500, 'the fuzzer sent a good many requests');
like($out, qr/Selected: (\d+)\/\1/, 'every operation of the document was selected');
unlike($out, qr/^Errors:/m, 'no errors in the fuzzer itself');
is($rc, 0, 'no mismatch between openapi.yaml and the API, either way')
    or diag(substr($out, 0, 20000));

# the routes of a room reached one, not only "Room not found"
my %reached;
for (split /\n/, BedrudTest::slurp_file("$ngx->{dir}/reached")) {
    my ($m, $p, $st) = split / /;
    $reached{"$m $p"}++ if $st =~ /^2/;
}
diag("requests that named the fixture room and were answered 2xx:");
diag(sprintf q{  %5d  %s}, $reached{$_}, $_) for sort keys %reached;
cmp_ok(scalar keys %reached, '>=', 15,
       'the routes of a room worked on the fixture room');

my $log = BedrudTest::slurp_file($ngx->{log});
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg in the log');

redis_cli('FLUSHDB');

done_testing();
