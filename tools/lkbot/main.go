// lkbot: a LiveKit participant for the end-to-end test (t/900). It joins
// a room with a join token from the Bedrud API and publishes an audio
// track WITHOUT end-to-end encryption, as a client that ignores the
// room's E2EE setting would, then reports how its session ended:
//
//	exit 0  removed by the server ("removed: <reason>")
//	exit 3  still connected after -wait
//	exit 2  could not connect or publish
//
// Usage: lkbot [-wait 15s] <ws url> <token>
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

func main() {
	wait := flag.Duration("wait", 15*time.Second, "how long to stay")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: lkbot [-wait 15s] <ws url> <token>")
		os.Exit(2)
	}

	gone := make(chan lksdk.DisconnectionReason, 1)
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		gone <- r
	}

	room, err := lksdk.ConnectToRoomWithToken(flag.Arg(0), flag.Arg(1), cb,
		lksdk.WithAutoSubscribe(false))
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

	select {
	case r := <-gone:
		fmt.Println("removed:", r)
	case <-time.After(*wait):
		fmt.Println("still connected after", *wait)
		room.Disconnect()
		os.Exit(3)
	}
}
