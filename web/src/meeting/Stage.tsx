// The stage: LiveKit's grid, or the speaker layout (one large tile and a
// strip of the others). A screen share, or a tile the person pinned, takes
// the large place in either layout; in the speaker layout the active
// speaker does otherwise. Each tile says who it is, whether they speak,
// are muted or have their camera off, their connection quality and their
// E2EE state.

import {
  CarouselLayout, ConnectionQualityIndicator, FocusLayoutContainer,
  FocusToggleIcon, GridLayout, ParticipantContext, ParticipantName, TrackMutedIndicator,
  TrackRefContext, UnfocusToggleIcon,
  VideoTrack, isTrackReference, useFocusToggle, useIsMuted, useLayoutContext,
  useParticipantTile, usePinnedTracks,
  useTrackRefContext, useTracks, type TrackReferenceOrPlaceholder,
} from '@livekit/components-react';
import { RoomEvent, Track } from 'livekit-client';
import { useEffect, useRef, type HTMLAttributes, type ReactNode } from 'react';
import { accessesOf, useMeeting } from './context';
import { E2EEMark } from './status';

export type Layout = 'grid' | 'speaker';

const same = (a?: TrackReferenceOrPlaceholder, b?: TrackReferenceOrPlaceholder) =>
  !!a && !!b && a.participant.identity === b.participant.identity && a.source === b.source;

export function Stage({ layout }: { layout: Layout }) {
  const tracks = useTracks(
    [{ source: Track.Source.Camera, withPlaceholder: true },
     { source: Track.Source.ScreenShare, withPlaceholder: false }],
    { updateOnlyOn: [RoomEvent.ActiveSpeakersChanged], onlySubscribed: false },
  );
  const ctx = useLayoutContext();
  const pinned = usePinnedTracks(ctx)?.[0];
  const shares = tracks.filter(isTrackReference)
    .filter((t) => t.publication.source === Track.Source.ScreenShare);

  // a new screen share is pinned, as LiveKit Meet does; gone, unpinned
  const autoPinned = useRef<string | null>(null);
  const shareKey = shares.map((s) => s.publication.trackSid).join();
  useEffect(() => {
    const first = shares[0];
    if (first && !autoPinned.current) {
      ctx.pin.dispatch?.({ msg: 'set_pin', trackReference: first });
      autoPinned.current = first.publication.trackSid;
    } else if (autoPinned.current && !shares.some((s) => s.publication.trackSid === autoPinned.current)) {
      ctx.pin.dispatch?.({ msg: 'clear_pin' });
      autoPinned.current = null;
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shareKey]);

  // speaker layout: the pinned tile, else whoever speaks (useTracks
  // orders by speaking), else the first remote camera
  const speaker = tracks.find((t) => !t.participant.isLocal && t.participant.isSpeaking)
    ?? tracks.find((t) => !t.participant.isLocal) ?? tracks[0];
  const focus = pinned ?? (layout === 'speaker' ? speaker : undefined);
  const others = tracks.filter((t) => !same(t, focus));

  return (
    <div className="stage" data-testid="stage">
      {focus
        ? (
          <FocusLayoutContainer className="focus-wrap">
            <CarouselLayout tracks={others}><Tile /></CarouselLayout>
            <TrackRefContext.Provider value={focus}><Tile /></TrackRefContext.Provider>
          </FocusLayoutContainer>
        )
        : <GridLayout tracks={tracks}><Tile /></GridLayout>}
    </div>
  );
}

/** One participant's camera or screen share, from the layout's context. */
export function Tile() {
  const trackRef = useTrackRefContext();
  const p = trackRef.participant;
  const m = useMeeting();
  const micMuted = useIsMuted({ participant: p, source: Track.Source.Microphone });
  const screen = trackRef.source === Track.Source.ScreenShare;
  const cameraOn = isTrackReference(trackRef) && !trackRef.publication.isMuted;
  const roles = accessesOf(p.metadata);
  const name = p.name || p.identity;
  const hasMic = !!p.getTrackPublication(Track.Source.Microphone);
  return (
    <TileFrame trackRef={trackRef} htmlProps={{
      'data-testid': 'tile', 'data-identity': p.identity, 'data-name': name,
      'data-local': p.isLocal ? 'true' : 'false', 'data-source': trackRef.source,
      'data-camera': screen ? undefined : cameraOn ? 'on' : 'off',
      'data-mic': hasMic && !micMuted ? 'on' : 'off',
      className: p.isLocal ? 'local' : undefined,
      'aria-label': `${name}${screen ? ', screen' : ''}${p.isLocal ? ' (you)' : ''}`,
    } as HTMLAttributes<HTMLDivElement>}>
      {isTrackReference(trackRef)
        ? <VideoTrack trackRef={trackRef} />
        : null}
      {!screen && !cameraOn && (
        <div className="camera-off" aria-hidden="true">
          <span className="avatar">{initials(name)}</span>
          <span>Camera off</span>
        </div>
      )}
      <div className="lk-participant-metadata">
        <div className="lk-participant-metadata-item">
          {!screen && (
            <span className="mic-state" data-state={hasMic && !micMuted ? 'on' : 'off'}
                  title={hasMic && !micMuted ? 'Microphone on' : 'Microphone muted'}>
              <TrackMutedIndicator trackRef={{ participant: p, source: Track.Source.Microphone }}
                                   show="always" />
              <span className="sr-only">{hasMic && !micMuted ? 'Microphone on' : 'Microphone muted'}</span>
            </span>
          )}
          <ParticipantName />
          {screen && <span className="tag">screen</span>}
          {p.identity === m.ownerId && <span className="tag">host</span>}
          {roles.includes('moderator') && <span className="tag">moderator</span>}
          <E2EEMark participant={p} />
        </div>
        <ConnectionQualityIndicator className="lk-participant-metadata-item" />
      </div>
      <PinButton name={name} />
    </TileFrame>
  );
}

// What LiveKit's ParticipantTile is (its speaking, muted and local data
// attributes, the participant's context), without the unlabelled focus
// button it always adds: ours, PinButton, has a name.
function TileFrame({ trackRef, htmlProps, children }: {
  trackRef: TrackReferenceOrPlaceholder;
  htmlProps: HTMLAttributes<HTMLDivElement>;
  children: ReactNode;
}) {
  const { elementProps } = useParticipantTile<HTMLDivElement>({ trackRef, htmlProps });
  return (
    <div {...elementProps}>
      <ParticipantContext.Provider value={trackRef.participant}>{children}</ParticipantContext.Provider>
    </div>
  );
}

// LiveKit's focus toggle, with a name for screen readers
function PinButton({ name }: { name: string }) {
  const trackRef = useTrackRefContext();
  const { mergedProps, inFocus } = useFocusToggle({ trackRef, props: {} });
  return (
    <button type="button" {...mergedProps} aria-pressed={inFocus}
            aria-label={inFocus ? `Unpin ${name}` : `Pin ${name}`}>
      {inFocus ? <UnfocusToggleIcon /> : <FocusToggleIcon />}
    </button>
  );
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts.slice(0, 2).map((w) => [...w][0]).join('') || '?').toUpperCase();
}
