// The control bar: microphone, camera and screen share (LiveKit's
// TrackToggle; a screen share is published like the camera, so it is
// encrypted the same way), the choice of microphone, camera and speaker
// (LiveKit's MediaDeviceMenu), the layout, the side panels and Leave.
// Every control is a labelled button, reachable with the keyboard.

import {
  ChatIcon, LeaveIcon, MediaDeviceMenu, TrackToggle, useRoomContext,
} from '@livekit/components-react';
import { Track } from 'livekit-client';
import type { Layout } from './Stage';
import { useMeeting } from './context';
import { GridIcon, LinkIcon, PeopleIcon, SpeakerIcon, SpeakerLayoutIcon } from './icons';

export type Panel = 'people' | 'chat' | 'share';

export function Controls(props: {
  layout: Layout;
  setLayout: (l: Layout) => void;
  panel: Panel | null;
  setPanel: (p: Panel | null) => void;
  people: number;
  unread: number;
  allowChat: boolean;
  onSelfToggle: () => void;
}) {
  const room = useRoomContext();
  const m = useMeeting();
  const toggle = (p: Panel) => props.setPanel(props.panel === p ? null : p);
  const deviceError = (what: string) => (e: Error) =>
    m.notify(`${what}: ${e.message}`, 'error');
  const speakers = typeof HTMLMediaElement !== 'undefined'
    && 'setSinkId' in HTMLMediaElement.prototype;
  return (
    <div className="lk-control-bar controls" role="toolbar" aria-label="Meeting controls"
         data-testid="controls">
      <DeviceToggle source={Track.Source.Microphone} kind="audioinput" label="Mic"
                    name="Microphone" onToggle={props.onSelfToggle}
                    onError={deviceError('Microphone')} />
      <DeviceToggle source={Track.Source.Camera} kind="videoinput" label="Camera"
                    name="Camera" onToggle={props.onSelfToggle}
                    onError={deviceError('Camera')} />
      <TrackToggle source={Track.Source.ScreenShare} showIcon data-testid="toggle-screen"
                   aria-label="Share screen" onClick={props.onSelfToggle}
                   captureOptions={{ audio: true, selfBrowserSurface: 'include' }}
                   onDeviceError={deviceError('Screen share')}>
        <span className="label">Share screen</span>
      </TrackToggle>
      {speakers && (
        <MediaDeviceMenu kind="audiooutput" aria-label="Choose speaker"
                         data-testid="menu-audiooutput" className="lk-button lk-button-menu speaker-menu">
          <SpeakerIcon /><span className="label">Speaker</span>
        </MediaDeviceMenu>
      )}
      <button type="button" className="lk-button" data-testid="layout"
              aria-label={props.layout === 'grid' ? 'Speaker view' : 'Grid view'}
              onClick={() => props.setLayout(props.layout === 'grid' ? 'speaker' : 'grid')}>
        {props.layout === 'grid' ? <SpeakerLayoutIcon /> : <GridIcon />}
        <span className="label">{props.layout === 'grid' ? 'Speaker view' : 'Grid view'}</span>
      </button>
      <button type="button" className="lk-button" data-testid="open-people"
              aria-pressed={props.panel === 'people'} onClick={() => toggle('people')}
              aria-label={`People (${props.people})`}>
        <PeopleIcon /><span className="label">People</span> <span className="badge">{props.people}</span>
      </button>
      {props.allowChat && (
        <button type="button" className="lk-button" data-testid="open-chat"
                aria-pressed={props.panel === 'chat'} onClick={() => toggle('chat')}
                aria-label={props.unread ? `Chat (${props.unread} unread)` : 'Chat'}>
          <ChatIcon /><span className="label">Chat</span> {props.unread > 0 && <span className="badge" aria-label={`${props.unread} unread`}>{props.unread}</span>}
        </button>
      )}
      <button type="button" className="lk-button" data-testid="open-share"
              aria-pressed={props.panel === 'share'} onClick={() => toggle('share')}
              aria-label="Invite people">
        <LinkIcon /><span className="label">Invite</span>
      </button>
      <button type="button" className="lk-disconnect-button" data-testid="leave"
              aria-label="Leave the meeting" onClick={() => { void room.disconnect(); }}>
        <LeaveIcon /><span className="label">Leave</span>
      </button>
    </div>
  );
}

// a track's on/off button with the menu of its devices
function DeviceToggle({ source, kind, label, name, onToggle, onError }: {
  source: Track.Source.Microphone | Track.Source.Camera;
  kind: 'audioinput' | 'videoinput';
  label: string;
  name: string;
  onToggle: () => void;
  onError: (e: Error) => void;
}) {
  const what = source === Track.Source.Microphone ? 'mic' : 'camera';
  return (
    <div className="lk-button-group">
      <TrackToggle source={source} showIcon data-testid={`toggle-${what}`}
                   aria-label={name} onClick={onToggle} onDeviceError={onError}>
        <span className="label">{label}</span>
      </TrackToggle>
      <div className="lk-button-group-menu">
        <MediaDeviceMenu kind={kind} aria-label={`Choose ${name.toLowerCase()}`}
                         data-testid={`menu-${kind}`} />
      </div>
    </div>
  );
}
