// lkbot: a LiveKit participant for the end-to-end tests. It joins a room
// with a join token from the Bedrud API and publishes an audio track
// WITHOUT end-to-end encryption (Opus silence, one frame every 20 ms), as
// a client that ignores the room's E2EE setting would.
//
// By default (t/900) it reports how its session ended:
//
//	exit 0  removed by the server ("removed: <reason>")
//	exit 3  still connected after -wait
//	exit 2  could not connect or publish
//
// With -meet N (t/930) it waits to meet N other participants instead:
// each seen, with an audio track subscribed that delivered RTP packets.
// It prints the node and region that host the room (LiveKit's join
// answer) and "met: <identities>", then stays for -stay and leaves:
//
//	exit 0  met them all
//	exit 3  not within -wait ("missing: ...")
//	exit 4  removed by the server before
//	exit 2  could not connect or publish
//
// Usage: lkbot [-wait 15s] [-meet N [-stay 0s]] <ws url> <token>
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// packets an audio track must deliver before its sender counts as met
const enoughPackets = 10

type peers struct {
	mu      sync.Mutex
	packets map[string]int // identity -> RTP packets received
}

func (p *peers) add(identity string) {
	p.mu.Lock()
	p.packets[identity]++
	p.mu.Unlock()
}

// met: the identities that delivered enough, and whether n did
func (p *peers) met(n int) ([]string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for id, k := range p.packets {
		if k >= enoughPackets {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, len(ids) >= n
}

func main() {
	wait := flag.Duration("wait", 15*time.Second, "how long to stay (or to wait for -meet)")
	meet := flag.Int("meet", 0, "wait to meet this many other participants")
	stay := flag.Duration("stay", 0, "with -meet: how long to stay once met")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: lkbot [-wait 15s] [-meet N [-stay 0s]] <ws url> <token>")
		os.Exit(2)
	}

	seen := &peers{packets: map[string]int{}}
	gone := make(chan lksdk.DisconnectionReason, 1)
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		gone <- r
	}
	cb.OnTrackSubscribed = func(track *webrtc.TrackRemote,
		_ *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		id := rp.Identity()
		go func() {
			for {
				if _, _, err := track.ReadRTP(); err != nil {
					return
				}
				seen.add(id)
			}
		}()
	}

	room, err := lksdk.ConnectToRoomWithToken(flag.Arg(0), flag.Arg(1), cb,
		lksdk.WithAutoSubscribe(*meet > 0))
	if err != nil {
		fmt.Println("connect:", err)
		os.Exit(2)
	}

	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err == nil {
		_, err = room.LocalParticipant.PublishTrack(track,
			&lksdk.TrackPublicationOptions{Name: "mic"})
	}
	if err != nil {
		fmt.Println("publish:", err)
		room.Disconnect()
		os.Exit(2)
	}
	fmt.Println("published an unencrypted audio track")
	if si := room.ServerInfo(); si != nil {
		fmt.Printf("node: %s region: %s\n", si.NodeId, si.Region)
	}

	// Opus silence, so that the others receive packets
	go func() {
		silence := []byte{0xf8, 0xff, 0xfe}
		for range time.Tick(20 * time.Millisecond) {
			_ = track.WriteSample(media.Sample{Data: silence,
				Duration: 20 * time.Millisecond}, nil)
		}
	}()

	if *meet == 0 {
		select {
		case r := <-gone:
			fmt.Println("removed:", r)
		case <-time.After(*wait):
			fmt.Println("still connected after", *wait)
			room.Disconnect()
			os.Exit(3)
		}
		return
	}

	deadline := time.After(*wait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case r := <-gone:
			fmt.Println("removed:", r)
			os.Exit(4)
		case <-deadline:
			ids, _ := seen.met(*meet)
			var all []string
			for _, p := range room.GetRemoteParticipants() {
				all = append(all, p.Identity())
			}
			fmt.Printf("missing: met %d of %d in %s (met: %s; in the room: %s)\n",
				len(ids), *meet, *wait, strings.Join(ids, ","),
				strings.Join(all, ","))
			room.Disconnect()
			os.Exit(3)
		case <-tick.C:
			if ids, ok := seen.met(*meet); ok {
				fmt.Println("met:", strings.Join(ids, ","))
				select {
				case r := <-gone:
					fmt.Println("removed:", r)
				case <-time.After(*stay):
				}
				room.Disconnect()
				return
			}
		}
	}
}
