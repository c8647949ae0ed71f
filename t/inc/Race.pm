# Plain HTTP/1.0 over a socket, and races: many clients released at
# once (Test::Nginx cannot fire requests at the same moment).  Used by
# t/250 (one node) and t/930 (two nodes).

package Race;

use strict;
use warnings;

use IO::Socket::INET;
use POSIX ();

use Exporter 'import';
our @EXPORT_OK = qw(request_text read_response http_req race count_status);

sub request_text {
    my ($method, $path, $body, $token) = @_;
    my $h = "$method $path HTTP/1.0\r\nHost: localhost\r\n";
    $h .= "Authorization: Bearer $token\r\n" if $token;
    if (defined $body) {
        $h .= "Content-Type: application/json\r\n"
            . 'Content-Length: ' . length($body) . "\r\n";
    }
    return $h . "\r\n" . ($body // '');
}

sub read_response {
    my ($s) = @_;
    my $resp = '';
    while (1) {
        my $r = sysread $s, my $buf, 65536;
        last unless $r;
        $resp .= $buf;
    }
    my ($status) = $resp =~ m{^HTTP/1\.[01] (\d{3})};
    my (undef, $body) = split /\r\n\r\n/, $resp, 2;
    return ($status // 0, $body // '');
}

sub http_req {
    my ($port, $method, $path, $body, $token) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5)
        or return (0, "connect: $!");
    syswrite $s, request_text($method, $path, $body, $token);
    return read_response($s);
}

# Forks one client per request ([port, request text] each); all connect
# first, then are released at once.  Returns the list of "status body"
# lines, in the order they finished; bodies are cut at 200 bytes, or
# 4000 when the first argument is { full => 1 } (one pipe write each).
sub race {
    my (@reqs) = @_;
    my $cut = (ref $reqs[0] eq 'HASH' && (shift @reqs)->{full}) ? 4000 : 200;
    pipe my $go_r, my $go_w or die $!;
    pipe my $ready_r, my $ready_w or die $!;
    pipe my $res_r, my $res_w or die $!;
    my @pids;

    for my $pr (@reqs) {
        my ($port, $req) = @$pr;
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            close $go_w;
            close $ready_r;
            close $res_r;
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $port, Proto => 'tcp');
            syswrite $ready_w, 'R';
            sysread $go_r, my $x, 1;       # EOF: go
            my ($st, $body) = (0, "connect failed");
            if ($s) {
                syswrite $s, $req;
                ($st, $body) = read_response($s);
            }
            $body =~ s/\s+/ /g;
            $body = substr($body, 0, $cut);
            syswrite $res_w, "$st $body\n";
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }

    close $go_r;
    close $ready_w;
    close $res_w;

    my $ready = 0;
    while ($ready < @reqs) {
        my $r = sysread $ready_r, my $buf, 64;
        last unless $r;
        $ready += $r;
    }
    close $go_w;

    my @lines = <$res_r>;
    waitpid $_, 0 for @pids;
    chomp @lines;
    return @lines;
}

sub count_status {
    my (@lines) = @_;
    my %c;
    $c{(split / /, $_)[0]}++ for @lines;
    return \%c;
}


1;
