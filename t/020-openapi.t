#!/usr/bin/perl

# openapi.yaml against the route table: every route of
# ngx_bedrud_module/ngx_http_bedrud_router.c is documented with its method,
# and the document has no route the router lacks. Also checks what the table
# says about each route (authentication, superadmin, rate limit, body) and
# that every $ref resolves. Plain Test::More, no nginx needed:
#
#   prove t/020-openapi.t
#
# Needs YAML::XS (Debian: libyaml-libyaml-perl, in tools/install-deps).

use strict;
use warnings;

use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);

my $top = abs_path(dirname(abs_path(__FILE__)) . '/..');
my $router_c = "$top/ngx_bedrud_module/ngx_http_bedrud_router.c";
my $spec_file = "$top/openapi.yaml";

my %METHODS = map { $_ => 1 } qw(get put post delete patch head options trace);

# ------------------------------------------------------------ route table ---

open my $fh, '<', $router_c or die "$router_c: $!";
my $src = do { local $/; <$fh> };
close $fh;

# drop comments, so a commented-out route does not count
$src =~ s{/\*.*?\*/}{ }gs;
$src =~ s{//[^\n]*}{ }g;

my ($table) = $src =~ /ngx_http_bedrud_route_table\s*\[\s*\]\s*=\s*\{(.*?)\{\s*0\s*,\s*NULL/s;
ok(defined $table, 'found ngx_http_bedrud_route_table in the router source')
    or BAIL_OUT("cannot find the route table in $router_c");

my $cstr = qr/"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*/;   # incl. "a" "b"

my @routes;
my $entries = 0;
while ($table =~ /\{\s*NGX_HTTP_(\w+)\s*,/g) {
    $entries++;
}
while ($table =~ m{
        \{ \s* NGX_HTTP_(\w+) \s*,             # method
        \s* "([^"]+)" \s*,                     # pattern
        \s* (\w+) \s*,                         # handler
        \s* NGX_HTTP_BEDRUD_AUTH_(\w+) \s*,    # auth level
        \s* NGX_HTTP_BEDRUD_LIMIT_(\w+) \s*,   # rate limit class
        \s* (?: $cstr | \w+ ) \s*,             # parse-error message
        \s* (\d) \s*,                          # has a body
        \s* (\d) \s*,                          # body optional
        \s* (\d) \s* \}                        # raw body (a signature)
    }gx)
{
    my ($m, $pat, $handler, $auth, $limit, $body, $opt, $raw) =
        ($1, $2, $3, $4, $5, $6, $7, $8);
    (my $path = $pat) =~ s{:(\w+)}{\{$1\}}g;
    push @routes, { method => lc $m, path => $path, pattern => $pat,
                    handler => $handler, auth => $auth, limit => $limit,
                    body => $body, optional => $opt, raw => $raw };
}

cmp_ok(scalar @routes, '>=', 20, 'parsed the route table (' . @routes . ' routes)');
is(scalar @routes, $entries,
   'every "{ NGX_HTTP_..." entry of the table parsed (fix this test if the entry layout changed)');

my %router;
for my $r (@routes) {
    my $k = "$r->{method} $r->{path}";
    ok(!$router{$k}, "route $k is listed once in the table");
    $router{$k} = $r;
}

# Two patterns that can match one path (segment by segment, literals equal
# or either a parameter) must differ in their number of parameters: the
# router keeps a path's routes with the fewest (the most specific), so
# "/api/room/create" is never also "/api/room/:roomId".

{
    my %pats = map { $_->{pattern} => 1 } @routes;
    my @p = sort keys %pats;
    my @ambiguous;
    for my $i (0 .. $#p) {
        for my $j ($i + 1 .. $#p) {
            my @a = split m{/}, $p[$i];
            my @b = split m{/}, $p[$j];
            next unless @a == @b;
            next if grep { $a[$_] !~ /^:/ && $b[$_] !~ /^:/
                           && $a[$_] ne $b[$_] } 0 .. $#a;
            my $na = grep { /^:/ } @a;
            my $nb = grep { /^:/ } @b;
            push @ambiguous, "$p[$i] ~ $p[$j]" if $na == $nb;
        }
    }
    is_deeply(\@ambiguous, [],
              'no two route patterns match one path with as many parameters');
}

# -------------------------------------------------------------- the spec ---

unless (eval { require YAML::XS; 1 }) {
    fail('YAML::XS is available (Debian package libyaml-libyaml-perl: run make deps)');
    done_testing();
    exit;
}

{ no warnings "once"; $YAML::XS::LoadBlessed = 0; }
my $spec = eval { YAML::XS::LoadFile($spec_file) };
ok($spec, 'openapi.yaml parses as YAML') or diag($@), done_testing(), exit;

is($spec->{openapi}, '3.0.3', 'openapi: 3.0.3');
ok($spec->{info}{title} && $spec->{info}{version}, 'info has title and version');
like($spec->{info}{description} // '', qr/metrics/i,
     'info.description mentions the operator-chosen metrics location');

my $paths = $spec->{paths};
is(ref $paths, 'HASH', 'paths is a mapping') or done_testing(), exit;

my %spec_ops;
for my $p (keys %$paths) {
    for my $m (grep { $METHODS{$_} } keys %{ $paths->{$p} }) {
        $spec_ops{"$m $p"} = $paths->{$p}{$m};
    }
}

# 1. every route of the router is in the document, with its method

for my $r (@routes) {
    my $k = "$r->{method} $r->{path}";
    ok($spec_ops{$k}, "router route \U$r->{method}\E $r->{path} ($r->{pattern}) is in openapi.yaml");
}

# 2. the document has no route the router lacks

for my $k (sort keys %spec_ops) {
    my ($m, $p) = split / /, $k, 2;
    ok($router{$k}, "openapi.yaml's \U$m\E $p is in the route table");
}

# ----------------------------------------------------- what the table says ---

my $global_security = $spec->{security} // [];

# resolve a local $ref ("#/components/...")
sub deref {
    my ($node) = @_;
    my $seen = 0;
    while (ref $node eq 'HASH' && exists $node->{'$ref'}) {
        my $ref = $node->{'$ref'};
        return undef unless $ref =~ m{^#/(.+)$};
        $node = $spec;
        for my $part (split m{/}, $1) {
            $part =~ s/~1/\//g;
            $part =~ s/~0/~/g;
            return undef unless ref $node eq 'HASH' && exists $node->{$part};
            $node = $node->{$part};
        }
        return undef if ++$seen > 20;
    }
    return $node;
}

for my $r (@routes) {
    my $k = "$r->{method} $r->{path}";
    my $op = $spec_ops{$k} or next;
    my $name = "\U$r->{method}\E $r->{path}";
    my $resp = $op->{responses} // {};

    # Bedrud's stage routes answer 501 and nothing else
    ok(grep({ /^2\d\d$/ } keys %$resp) || ($resp->{501} && keys %$resp <= 3),
       "$name: documents a 2xx response (or only 501, not implemented)");

    my $sec = exists $op->{security} ? $op->{security} : $global_security;
    my %schemes = map { %$_ } @$sec;
    if ($r->{auth} eq 'NONE') {
        ok(!%schemes, "$name: public, no security requirement");
    } else {
        ok($schemes{bearerAuth} && $schemes{cookieAuth},
           "$name: requires bearerAuth or cookieAuth");
        ok($resp->{401}, "$name: documents 401");
    }

    if ($r->{auth} eq 'SUPERADMIN') {
        ok($resp->{403}, "$name: documents 403 (superadmin only)");
    }

    if ($r->{limit} ne 'NONE') {
        ok($resp->{429}, "$name: documents 429 (rate limit class \L$r->{limit}\E)");
    }

    if ($r->{body}) {
        ok($op->{requestBody}, "$name: has a requestBody");
        my $req = deref($op->{requestBody}) // {};
        is(!!$req->{required}, !$r->{optional},
           "$name: requestBody.required matches the table's body_optional");
        ok($resp->{413}, "$name: documents 413 (body too large)");
        ok($resp->{400}, "$name: documents 400 (body parse error)") unless $r->{optional};
    } else {
        ok(!$op->{requestBody}, "$name: no requestBody (the table reads none)");
    }

    # every {param} of the path is declared as a path parameter
    my %declared;
    for my $prm (@{ $paths->{ $r->{path} }{parameters} // [] },
                 @{ $op->{parameters} // [] })
    {
        my $d = deref($prm) or next;
        $declared{ $d->{name} } = 1 if ($d->{in} // '') eq 'path' && $d->{required};
    }
    for my $param ($r->{path} =~ /\{(\w+)\}/g) {
        ok($declared{$param}, "$name: path parameter {$param} is declared (in: path, required)");
    }

    # error responses carry the Error schema (except /api/health's own body)
    for my $code (grep { /^[45]\d\d$/ } sort keys %$resp) {
        my $rr = deref($resp->{$code}) // {};
        my $schema = $rr->{content}{'application/json'}{schema} // {};
        my $ref = $schema->{'$ref'} // '';
        next if $r->{path} eq '/api/health';
        is($ref, '#/components/schemas/Error', "$name: $code uses the Error schema");
        like($rr->{description} // '', qr/`[^`]+`/, "$name: $code quotes its error string(s)");
    }
}

# ------------------------------------------------------------- components ---

my $schemas = $spec->{components}{schemas} // {};
my %want = (
    Error => [qw(error)],
    User => [qw(id email name provider avatarUrl accesses isActive createdAt updatedAt)],
    Tokens => [qw(accessToken refreshToken)],
    LoginResponse => [qw(user tokens)],
    Room => [qw(id name createdBy isActive maxParticipants createdAt updatedAt expiresAt adminId isPublic settings mode)],
    RoomSettings => [qw(allowChat allowVideo allowAudio requireApproval e2ee)],
    JoinResponse => [qw(id name token createdBy adminId isActive isPublic maxParticipants expiresAt settings livekitHost mode)],
    GuestJoinResponse => [qw(id name token adminId livekitHost settings)],
    CreateRoomResponse => [qw(id name createdBy isActive isPublic maxParticipants settings livekitHost mode)],
    AdminUser => [qw(id email name provider isActive isAdmin accesses createdAt)],
    InviteToken => [qw(id token email createdBy expiresAt usedAt usedBy createdAt)],
);
for my $s (sort keys %want) {
    my $props = $schemas->{$s}{properties};
    ok($props, "components.schemas.$s exists") or next;
    is_deeply([sort keys %$props], [sort @{ $want{$s} }], "$s has exactly the fields " . join(',', @{ $want{$s} }));
}

my $ss = $spec->{components}{securitySchemes} // {};
is($ss->{bearerAuth}{type}, 'http', 'bearerAuth is http');
is($ss->{bearerAuth}{scheme}, 'bearer', 'bearerAuth scheme bearer');
is($ss->{bearerAuth}{bearerFormat}, 'JWT', 'bearerAuth bearerFormat JWT');
is_deeply([@{ $ss->{cookieAuth} // {} }{qw(type in name)}], [qw(apiKey cookie access_token)],
          'cookieAuth is the access_token cookie');

# every $ref anywhere resolves, and no value is null: a null usually means
# a flow mapping such as {description: a, b} that YAML split at the comma

my (@bad, @nulls);
my @stack = (['', $spec]);
while (@stack) {
    my ($where, $n) = @{ pop @stack };
    if (ref $n eq 'HASH') {
        if (exists $n->{'$ref'} && !defined deref({ '$ref' => $n->{'$ref'} })) {
            push @bad, $n->{'$ref'};
        }
        for my $k (keys %$n) {
            push @nulls, "$where/$k" unless defined $n->{$k};
            push @stack, ["$where/$k", $n->{$k}];
        }
    } elsif (ref $n eq 'ARRAY') {
        push @stack, map { ["$where/$_", $n->[$_]] } 0 .. $#$n;
    }
}
is_deeply(\@bad, [], 'every $ref resolves');
is_deeply([sort @nulls], [], 'no null values (quote flow-mapping text that has commas)');

done_testing();
