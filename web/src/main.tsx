// The web client's entry: the home page (sign in, create or open a
// meeting) is in this chunk; the meeting, with livekit-client and
// LiveKit's React components, is a chunk of its own loaded only on a
// meeting page ("/r/<room>").

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { captureKey } from './pagekey';

captureKey();

createRoot(document.getElementById('root')!).render(
  <StrictMode><App /></StrictMode>,
);
