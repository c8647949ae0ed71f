// Small line icons (currentColor) for what LiveKit's icon set lacks. No
// emoji: not every system has an emoji font (Debian's headless chromium
// has none), and a box in place of a lock says nothing.

import type { SVGProps } from 'react';

const base = (p: SVGProps<SVGSVGElement>) => ({
  width: 16, height: 16, viewBox: '0 0 16 16', fill: 'none', stroke: 'currentColor',
  strokeWidth: 1.5, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const,
  'aria-hidden': true, focusable: false, ...p,
});

export const PeopleIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><circle cx="6" cy="5" r="2.5" /><path d="M1.5 14c0-2.5 2-4.5 4.5-4.5s4.5 2 4.5 4.5" />
    <path d="M11 3a2.5 2.5 0 0 1 0 5M12.5 9.8c1.2.6 2 1.9 2 3.7" /></svg>
);
export const LinkIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><path d="M6.5 9.5l3-3" /><path d="M7 4.5l1-1a3 3 0 0 1 4.2 4.2l-1 1" />
    <path d="M9 11.5l-1 1a3 3 0 0 1-4.2-4.2l1-1" /></svg>
);
export const GridIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><rect x="2" y="2" width="5" height="5" rx="1" /><rect x="9" y="2" width="5" height="5" rx="1" />
    <rect x="2" y="9" width="5" height="5" rx="1" /><rect x="9" y="9" width="5" height="5" rx="1" /></svg>
);
export const SpeakerLayoutIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><rect x="1.5" y="2" width="13" height="8.5" rx="1" />
    <rect x="2" y="12" width="3.5" height="2.5" rx=".5" /><rect x="6.25" y="12" width="3.5" height="2.5" rx=".5" />
    <rect x="10.5" y="12" width="3.5" height="2.5" rx=".5" /></svg>
);
export const WarnIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><path d="M8 1.8l6.5 11.7h-13z" /><path d="M8 6.5v3" /><path d="M8 11.6v.1" /></svg>
);
export const LockIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><rect x="3" y="7" width="10" height="7" rx="1.2" /><path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" /></svg>
);
export const UnlockIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><rect x="3" y="7" width="10" height="7" rx="1.2" /><path d="M5.5 7V5a2.5 2.5 0 0 1 4.8-1" /></svg>
);
export const ImageIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><rect x="1.5" y="2.5" width="13" height="11" rx="1.2" /><circle cx="5.5" cy="6" r="1.2" />
    <path d="M2 12l4-4 3 3 2-2 3.5 3.5" /></svg>
);
export const SpeakerIcon = (p: SVGProps<SVGSVGElement>) => (
  <svg {...base(p)}><path d="M2 6h2.5L8 3v10L4.5 10H2z" /><path d="M10.5 5.5a3.5 3.5 0 0 1 0 5M12.5 3.5a6.3 6.3 0 0 1 0 9" /></svg>
);
